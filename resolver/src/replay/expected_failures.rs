//! The expected-failures file: scenarios that fail by a deliberate design difference, one per line
//! as `name  reason`, `#` comments. Progress tracking (what does not work yet) never goes here.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::replay::limits::MAX_SCENARIO_BYTES;

/// Scenario names with the reason each is expected to fail.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpectedFailures {
    entries: Vec<(String, String)>,
}

/// Why the expected-failures file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedFailuresError {
    pub file: PathBuf,
    pub line: usize,
    pub kind: ExpectedFailuresErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpectedFailuresErrorKind {
    Unreadable(std::io::ErrorKind),
    TooLarge,
    /// A name without a reason: every deliberate difference says why.
    NoReason(String),
    Duplicate(String),
}

impl fmt::Display for ExpectedFailuresError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.file.display(), self.line)?;
        match &self.kind {
            ExpectedFailuresErrorKind::Unreadable(kind) => write!(f, "cannot read: {kind}"),
            ExpectedFailuresErrorKind::TooLarge => write!(f, "file too large"),
            ExpectedFailuresErrorKind::NoReason(name) => write!(f, "`{name}` has no reason"),
            ExpectedFailuresErrorKind::Duplicate(name) => write!(f, "`{name}` is listed twice"),
        }
    }
}

impl std::error::Error for ExpectedFailuresError {}

impl ExpectedFailures {
    pub fn read(path: &Path) -> Result<Self, ExpectedFailuresError> {
        let error = |line, kind| ExpectedFailuresError {
            file: path.to_path_buf(),
            line,
            kind,
        };
        let metadata = std::fs::metadata(path)
            .map_err(|io| error(0, ExpectedFailuresErrorKind::Unreadable(io.kind())))?;
        if metadata.len() > MAX_SCENARIO_BYTES {
            return Err(error(0, ExpectedFailuresErrorKind::TooLarge));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|io| error(0, ExpectedFailuresErrorKind::Unreadable(io.kind())))?;
        Self::parse(&text).map_err(|(line, kind)| error(line, kind))
    }

    pub fn parse(text: &str) -> Result<Self, (usize, ExpectedFailuresErrorKind)> {
        let mut entries: Vec<(String, String)> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line_number = index + 1;
            let content = line.split('#').next().unwrap_or_default().trim();
            if content.is_empty() {
                continue;
            }
            let (name, reason) = content
                .split_once(char::is_whitespace)
                .map(|(name, reason)| (name, reason.trim()))
                .unwrap_or((content, ""));
            if reason.is_empty() {
                return Err((
                    line_number,
                    ExpectedFailuresErrorKind::NoReason(name.to_owned()),
                ));
            }
            if entries.iter().any(|(known, _)| known == name) {
                return Err((
                    line_number,
                    ExpectedFailuresErrorKind::Duplicate(name.to_owned()),
                ));
            }
            entries.push((name.to_owned(), reason.to_owned()));
        }
        Ok(ExpectedFailures { entries })
    }

    /// The reason `name` is expected to fail, if it is listed.
    pub fn reason(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(listed, _)| listed == name)
            .map(|(_, reason)| reason.as_str())
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(name, _)| name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_reasons_comments_and_blank_lines() {
        let list =
            ExpectedFailures::parse("# header\n\niter_cycle_noh  always hardens glue # why\n")
                .unwrap();
        assert_eq!(list.reason("iter_cycle_noh"), Some("always hardens glue"));
        assert_eq!(list.reason("iter_other"), None);
    }

    #[test]
    fn a_name_without_reason_or_listed_twice_is_an_error() {
        assert_eq!(
            ExpectedFailures::parse("a reason\nb\n").unwrap_err(),
            (2, ExpectedFailuresErrorKind::NoReason("b".to_owned()))
        );
        assert!(ExpectedFailures::parse("a x\na y\n").is_err());
    }
}
