//! Why the lab could not be planned or started: each variant names the zone, name server or
//! address at fault, so a bad lab directory is fixed from the message alone.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use hickory_proto::rr::Name;

use crate::zone::error::ZoneError;

#[derive(Debug)]
pub enum LabError {
    /// The directory could not be listed.
    ReadDirectory {
        directory: PathBuf,
        message: String,
    },
    /// No `*.yaml` file in the directory.
    NoZones {
        directory: PathBuf,
    },
    /// More zone files than `MAX_LAB_ZONES`.
    TooManyZones {
        directory: PathBuf,
        count: usize,
    },
    /// A zone file failed to load.
    Zone(ZoneError),
    /// The zone has no NS records at its apex, so no address would serve it.
    NoNameServers {
        zone: Name,
    },
    /// An apex NS name has no A or AAAA record in any lab zone (neither data nor glue).
    NoAddress {
        zone: Name,
        name_server: Name,
    },
    /// An NS name resolves to an address outside 127.0.0.0/8 and ::1; the lab binds loopback only.
    NotLoopback {
        zone: Name,
        name_server: Name,
        address: IpAddr,
    },
    /// The plan needs more addresses than `MAX_LAB_ADDRESSES`.
    TooManyAddresses {
        count: usize,
    },
    /// A reload would serve a different set of addresses; the sockets are bound once at start.
    AddressesChanged,
    /// Port 0 cannot be used: every address must share one known port.
    PortZero,
    Listen(String),
    Signal(std::io::Error),
    /// A zone could not be signed (its keys in the run directory, or signing itself).
    Signing(String),
}

impl fmt::Display for LabError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReadDirectory { directory, message } => {
                write!(formatter, "{}: {message} (the lab directory)", directory.display())
            }
            Self::NoZones { directory } => {
                write!(formatter, "{}: no *.yaml zone file in the lab directory", directory.display())
            }
            Self::TooManyZones { directory, count } => write!(
                formatter,
                "{}: {count} zone files, more than the lab limit of {}",
                directory.display(),
                crate::limits::MAX_LAB_ZONES
            ),
            Self::Zone(error) => write!(formatter, "{error}"),
            Self::NoNameServers { zone } => {
                write!(formatter, "zone {zone}: no NS records at the apex; no lab address would serve it")
            }
            Self::NoAddress { zone, name_server } => write!(
                formatter,
                "zone {zone}: name server {name_server} has no A or AAAA record in any lab zone"
            ),
            Self::NotLoopback {
                zone,
                name_server,
                address,
            } => write!(
                formatter,
                "zone {zone}: name server {name_server} has address {address}, outside 127.0.0.0/8 and ::1; the lab only binds loopback"
            ),
            Self::TooManyAddresses { count } => write!(
                formatter,
                "the lab needs {count} addresses, more than the limit of {}",
                crate::limits::MAX_LAB_ADDRESSES
            ),
            Self::AddressesChanged => write!(
                formatter,
                "the zones now name other server addresses; restart the lab to bind them"
            ),
            Self::PortZero => write!(
                formatter,
                "--port 0 would give every lab address its own port; give one port for all"
            ),
            Self::Listen(problem) => write!(formatter, "{problem}"),
            Self::Signal(error) => write!(formatter, "cannot install signal handler: {error}"),
            Self::Signing(problem) => write!(formatter, "lab signing: {problem}"),
        }
    }
}

impl std::error::Error for LabError {}
