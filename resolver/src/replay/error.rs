//! Why a scenario file could not be read: the file, the line, and what was wrong there.
//! Failures of a scenario that parsed are `outcome::Failure`, not this.

use std::fmt;
use std::path::PathBuf;

/// A scenario file that cannot be replayed as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub file: PathBuf,
    /// 1-based; 0 when the problem is the file as a whole.
    pub line: usize,
    pub kind: ParseErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseErrorKind {
    Unreadable(std::io::ErrorKind),
    TooLarge {
        bytes: u64,
    },
    NotUtf8,
    MissingConfigEnd,
    MissingScenarioBegin,
    MissingScenarioEnd,
    /// A keyword where it cannot appear (`ENTRY_END` outside an entry, `ADDRESS` outside a range...).
    Unexpected(String),
    UnknownKeyword(String),
    UnknownStepKind(String),
    UnknownMatchElement(String),
    UnknownAdjustElement(String),
    UnknownReplyElement(String),
    UnknownSection(String),
    BadNumber(String),
    BadAddress(String),
    BadName {
        text: String,
        reason: String,
    },
    BadRecordType(String),
    BadClass(String),
    BadRecord {
        text: String,
        reason: String,
    },
    BadHex(String),
    /// A header option the runner maps onto resolver settings has a value it cannot use.
    BadOptionValue {
        key: String,
        value: String,
    },
    /// A step kind that needs an entry (QUERY, CHECK_ANSWER, REPLY) has none, or has two.
    StepEntryCount {
        step: u64,
        count: usize,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.kind)
    }
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseErrorKind::Unreadable(kind) => write!(f, "cannot read file: {kind}"),
            ParseErrorKind::TooLarge { bytes } => write!(f, "file too large ({bytes} bytes)"),
            ParseErrorKind::NotUtf8 => write!(f, "file is not UTF-8 text"),
            ParseErrorKind::MissingConfigEnd => write!(f, "no CONFIG_END line"),
            ParseErrorKind::MissingScenarioBegin => write!(f, "no SCENARIO_BEGIN line"),
            ParseErrorKind::MissingScenarioEnd => write!(f, "no SCENARIO_END line"),
            ParseErrorKind::Unexpected(word) => write!(f, "`{word}` is not allowed here"),
            ParseErrorKind::UnknownKeyword(word) => write!(f, "unknown keyword `{word}`"),
            ParseErrorKind::UnknownStepKind(word) => write!(f, "unknown step kind `{word}`"),
            ParseErrorKind::UnknownMatchElement(word) => {
                write!(f, "unknown MATCH element `{word}`")
            }
            ParseErrorKind::UnknownAdjustElement(word) => {
                write!(f, "unknown ADJUST element `{word}`")
            }
            ParseErrorKind::UnknownReplyElement(word) => {
                write!(f, "unknown REPLY element `{word}`")
            }
            ParseErrorKind::UnknownSection(word) => write!(f, "unknown SECTION `{word}`"),
            ParseErrorKind::BadNumber(text) => write!(f, "bad number `{text}`"),
            ParseErrorKind::BadAddress(text) => write!(f, "bad IP address `{text}`"),
            ParseErrorKind::BadName { text, reason } => write!(f, "bad name `{text}`: {reason}"),
            ParseErrorKind::BadRecordType(text) => write!(f, "unknown record type `{text}`"),
            ParseErrorKind::BadClass(text) => write!(f, "unknown class `{text}`"),
            ParseErrorKind::BadRecord { text, reason } => {
                write!(f, "bad record `{text}`: {reason}")
            }
            ParseErrorKind::BadHex(text) => write!(f, "bad RAW hex `{text}`"),
            ParseErrorKind::BadOptionValue { key, value } => {
                write!(f, "header option `{key}` has unusable value `{value}`")
            }
            ParseErrorKind::StepEntryCount { step, count } => {
                write!(f, "STEP {step} needs exactly one ENTRY, has {count}")
            }
        }
    }
}

impl std::error::Error for ParseError {}
