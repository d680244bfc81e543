//! Why a presentation-format RDATA could not become a hickory `RData`: the field and the text.
//! The caller adds file and line (`replay::error` for scenarios).

use std::fmt;

/// One unusable RDATA field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PresentationError {
    MissingField(&'static str),
    BadNumber {
        field: &'static str,
        text: String,
    },
    BadName {
        text: String,
        reason: String,
    },
    BadBase64(String),
    BadBase32(String),
    BadHex(String),
    BadTime(String),
    UnknownAlgorithm(String),
    UnknownType(String),
    /// A value hickory's type cannot hold (NSEC3 flags other than opt-out, DNSKEY protocol ≠ 3...).
    NotRepresentable {
        field: &'static str,
        text: String,
    },
    /// RFC 3597 §5: the declared length and the hex data disagree.
    LengthMismatch {
        declared: usize,
        actual: usize,
    },
    /// hickory's wire reader refused the generic RDATA for this type.
    Wire(String),
    TrailingFields(String),
}

impl fmt::Display for PresentationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PresentationError::MissingField(field) => write!(f, "missing {field}"),
            PresentationError::BadNumber { field, text } => write!(f, "bad {field} `{text}`"),
            PresentationError::BadName { text, reason } => write!(f, "bad name `{text}`: {reason}"),
            PresentationError::BadBase64(text) => write!(f, "bad base64 `{text}`"),
            PresentationError::BadBase32(text) => write!(f, "bad base32hex `{text}`"),
            PresentationError::BadHex(text) => write!(f, "bad hex `{text}`"),
            PresentationError::BadTime(text) => {
                write!(f, "bad time `{text}` (YYYYMMDDHHmmSS or seconds)")
            }
            PresentationError::UnknownAlgorithm(text) => write!(f, "unknown algorithm `{text}`"),
            PresentationError::UnknownType(text) => write!(f, "unknown record type `{text}`"),
            PresentationError::NotRepresentable { field, text } => {
                write!(
                    f,
                    "{field} `{text}` cannot be held by hickory's record type"
                )
            }
            PresentationError::LengthMismatch { declared, actual } => {
                write!(f, "generic RDATA declares {declared} octets, has {actual}")
            }
            PresentationError::Wire(reason) => write!(f, "RDATA does not decode: {reason}"),
            PresentationError::TrailingFields(text) => write!(f, "unexpected trailing `{text}`"),
        }
    }
}

impl std::error::Error for PresentationError {}
