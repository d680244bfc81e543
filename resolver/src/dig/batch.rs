//! `-f FILE`: one dig command line per line, each inheriting the command line's settings.
//! Reads the file with a size bound; blank lines and `;`/`#` comments are skipped.

use std::io::Read;

use crate::dig::args::{parse_arguments_with_defaults, Lookup};
use crate::dig::error::DigError;
use crate::dig::limits::{MAX_BATCH_FILE_BYTES, MAX_LOOKUPS};

/// Reads `path` (`-` is standard input, as in dig).
pub fn read_batch_file(path: &str) -> Result<String, DigError> {
    let error = |reason: std::io::Error| DigError::BatchFile {
        path: path.to_string(),
        reason: reason.to_string(),
    };
    let mut text = String::new();
    if path == "-" {
        std::io::stdin()
            .take(MAX_BATCH_FILE_BYTES)
            .read_to_string(&mut text)
            .map_err(error)?;
    } else {
        let file = std::fs::File::open(path).map_err(error)?;
        file.take(MAX_BATCH_FILE_BYTES)
            .read_to_string(&mut text)
            .map_err(error)?;
    }
    Ok(text)
}

/// The lookups of a batch file's text.
pub fn batch_lookups(text: &str, defaults: &Lookup) -> Result<Vec<Lookup>, DigError> {
    let mut lookups = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        let invocation = parse_arguments_with_defaults(&words, defaults.clone())?;
        if invocation.lookups.is_empty() {
            lookups.push(invocation.defaults);
        } else {
            lookups.extend(invocation.lookups);
        }
        if lookups.len() > MAX_LOOKUPS {
            return Err(DigError::TooManyArguments);
        }
    }
    Ok(lookups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_is_a_lookup_with_command_line_defaults() {
        let defaults = Lookup {
            port: 5300,
            ..Lookup::default()
        };
        let lookups =
            batch_lookups("; comment\nwww.example MX\n\n-x 192.0.2.1\n", &defaults).unwrap();
        assert_eq!(lookups.len(), 2);
        assert!(lookups.iter().all(|lookup| lookup.port == 5300));
        assert_eq!(lookups[1].name.as_deref(), Some("1.2.0.192.in-addr.arpa."));
    }

    #[test]
    fn missing_file_is_exit_code_8() {
        assert_eq!(
            read_batch_file("/nonexistent/rdig-batch")
                .unwrap_err()
                .exit_code(),
            8
        );
    }
}
