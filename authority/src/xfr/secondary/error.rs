//! Why a refresh of a secondary zone failed: one variant per way a primary, the network or the
//! data can let us down. Every one of them leaves the last good copy served.

use std::fmt;
use std::net::SocketAddr;

use hickory_proto::op::ResponseCode;

use crate::xfr::tsig::VerifyError;
use crate::zone::error::ZoneError;

/// What went wrong while asking a primary for its SOA or its zone.
#[derive(Debug)]
pub enum PullError {
    Connect(SocketAddr, std::io::Error),
    /// No answer in time: what we were waiting for.
    Timeout(&'static str),
    Io(std::io::Error),
    /// The primary closed the connection before the closing SOA (a truncated stream).
    Truncated,
    /// A message that does not decode, or that is not an answer to our question.
    Malformed(String),
    /// The primary answered with this rcode.
    Rcode(ResponseCode),
    Tsig(VerifyError),
    /// The answer did not start with the zone's SOA (RFC 5936 §2.2).
    NoSoaFirst,
    /// A record outside the zone (RFC 5936 §6.2: such a transfer is rejected).
    OutOfZone(String),
    /// A record of another class than IN.
    WrongClass(String),
    /// The primary's serial is older than ours (RFC 1982 arithmetic): we keep ours.
    SerialBackwards {
        ours: u32,
        theirs: u32,
    },
    /// The closing SOA does not match the opening one, or records follow it.
    BadEnding(String),
    /// More records, octets or messages than the bounds allow.
    TooLarge(&'static str),
    /// An IXFR that does not apply to our copy (another starting serial, a deletion of a record we
    /// do not hold): an AXFR follows.
    IxfrMismatch(String),
    /// The transferred zone fails the checks every zone passes (first problems).
    Rejected(Vec<ZoneError>),
    /// Writing or reading the copy in the state directory.
    Storage(String),
}

impl fmt::Display for PullError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PullError::Connect(address, error) => {
                write!(formatter, "cannot connect to {address}: {error}")
            }
            PullError::Timeout(waiting) => write!(formatter, "timed out waiting for {waiting}"),
            PullError::Io(error) => write!(formatter, "connection failed: {error}"),
            PullError::Truncated => write!(
                formatter,
                "transfer ended before its closing SOA (truncated)"
            ),
            PullError::Malformed(problem) => write!(formatter, "malformed answer: {problem}"),
            PullError::Rcode(rcode) => write!(formatter, "primary answered {rcode}"),
            PullError::Tsig(error) => write!(formatter, "TSIG: {error}"),
            PullError::NoSoaFirst => write!(formatter, "answer does not start with the zone's SOA"),
            PullError::OutOfZone(owner) => write!(formatter, "record {owner} is outside the zone"),
            PullError::WrongClass(owner) => write!(formatter, "record {owner} is not of class IN"),
            PullError::SerialBackwards { ours, theirs } => write!(
                formatter,
                "primary's serial {theirs} is older than ours {ours} (RFC 1982); keeping ours"
            ),
            PullError::BadEnding(problem) => write!(formatter, "transfer ends wrongly: {problem}"),
            PullError::TooLarge(what) => write!(formatter, "transfer exceeds the bound on {what}"),
            PullError::IxfrMismatch(problem) => write!(formatter, "IXFR does not apply: {problem}"),
            PullError::Rejected(errors) => {
                write!(formatter, "transferred zone rejected:")?;
                for error in errors.iter().take(3) {
                    write!(formatter, " {};", error.kind)?;
                }
                if errors.len() > 3 {
                    write!(formatter, " and {} more", errors.len() - 3)?;
                }
                Ok(())
            }
            PullError::Storage(problem) => write!(formatter, "state directory: {problem}"),
        }
    }
}

impl std::error::Error for PullError {}

impl From<std::io::Error> for PullError {
    fn from(error: std::io::Error) -> PullError {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            PullError::Truncated
        } else {
            PullError::Io(error)
        }
    }
}
