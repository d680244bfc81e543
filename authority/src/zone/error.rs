//! Errors found while loading a zone file: one `ZoneError` per problem, naming file, line and kind.
//! The loader collects all of them (NSD style) instead of stopping at the first.

use std::fmt;
use std::path::PathBuf;

/// One problem in one zone file. `line` is 1-based; 0 means the problem concerns the whole file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneError {
    pub file: PathBuf,
    pub line: u64,
    pub kind: ZoneErrorKind,
}

/// What went wrong; each variant names the offending thing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneErrorKind {
    Read(String),
    TooLarge {
        bytes: u64,
        limit: u64,
    },
    Yaml(String),
    BadOrigin(String),
    BadOwner(String),
    DuplicateKey(String),
    UnknownType(String),
    WrongShape {
        owner: String,
        expected: &'static str,
    },
    BadValue {
        record_type: String,
        problem: String,
    },
    BadAddress(String),
    BadName(String),
    OutOfZone {
        owner: String,
        origin: String,
    },
    CnameBesideOtherData(String),
    CnameAtApex(String),
    SeveralCnames(String),
    MissingApexNs(String),
    NotGlue {
        owner: String,
        record_type: String,
    },
    GluelessDelegation {
        delegation: String,
        nameserver: String,
    },
    SoaNotAtApex(String),
    MultipleSoa(String),
    TooManyRecords {
        limit: usize,
    },
    TooManyErrors,
}

impl fmt::Display for ZoneError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Line 0 means the whole file (it could not be read, or is too large).
        if self.line == 0 {
            write!(formatter, "{}: {}", self.file.display(), self.kind)
        } else {
            write!(
                formatter,
                "{}:{}: {}",
                self.file.display(),
                self.line,
                self.kind
            )
        }
    }
}

impl ZoneErrorKind {
    /// A file that cannot be read, in the wording every command uses: `PATH: no such file` for a
    /// missing one, `PATH: cannot read: REASON` otherwise.
    pub fn read(problem: &std::io::Error) -> Self {
        match problem.kind() {
            std::io::ErrorKind::NotFound => Self::Read("no such file".to_string()),
            _ => Self::Read(format!("cannot read: {problem}")),
        }
    }
}

impl fmt::Display for ZoneErrorKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(problem) => write!(formatter, "{problem}"),
            Self::TooLarge { bytes, limit } => {
                write!(formatter, "file is {bytes} bytes, more than the limit of {limit}")
            }
            Self::Yaml(problem) => write!(formatter, "invalid YAML: {problem}"),
            Self::BadOrigin(origin) => write!(formatter, "invalid zone origin {origin:?}"),
            Self::BadOwner(owner) => write!(formatter, "invalid owner name {owner:?}"),
            Self::DuplicateKey(key) => write!(formatter, "duplicate key {key:?}"),
            Self::UnknownType(record_type) => write!(formatter, "unknown record type {record_type:?}"),
            Self::WrongShape { owner, expected } => {
                write!(formatter, "wrong value shape at {owner:?}: expected {expected}")
            }
            Self::BadValue { record_type, problem } => {
                write!(formatter, "bad {record_type} value: {problem}")
            }
            Self::BadAddress(address) => write!(formatter, "bad address {address:?}"),
            Self::BadName(name) => write!(formatter, "bad domain name {name:?}"),
            Self::OutOfZone { owner, origin } => {
                write!(formatter, "record {owner} is outside zone {origin}")
            }
            Self::CnameBesideOtherData(owner) => {
                write!(formatter, "CNAME at {owner} beside other data (RFC 1034 §3.6.2)")
            }
            Self::CnameAtApex(owner) => write!(formatter, "CNAME at zone apex {owner}"),
            Self::SeveralCnames(owner) => {
                write!(formatter, "more than one CNAME value at {owner} (RFC 2181 §10.1)")
            }
            Self::MissingApexNs(origin) => write!(formatter, "zone {origin} has no NS record at its apex"),
            Self::NotGlue { owner, record_type } => write!(
                formatter,
                "{record_type} record {owner} is below a delegation and is not glue (only A/AAAA are)"
            ),
            Self::GluelessDelegation { delegation, nameserver } => write!(
                formatter,
                "delegation {delegation} names in-zone nameserver {nameserver} which has no A/AAAA glue"
            ),
            Self::SoaNotAtApex(owner) => write!(formatter, "SOA record at {owner}, not at the apex"),
            Self::MultipleSoa(owner) => write!(formatter, "more than one SOA value at {owner}"),
            Self::TooManyRecords { limit } => write!(formatter, "zone has more than {limit} records"),
            Self::TooManyErrors => write!(formatter, "too many errors, stopped reading this file"),
        }
    }
}

impl std::error::Error for ZoneError {}

/// A record the loader skipped on purpose (an octoDNS type that is not DNS, such as URLFWD).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneWarning {
    pub file: PathBuf,
    pub line: u64,
    pub record_type: String,
}

impl fmt::Display for ZoneWarning {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{}:{}: skipped {} record: an octoDNS provider feature, not DNS data",
            self.file.display(),
            self.line,
            self.record_type
        )
    }
}
