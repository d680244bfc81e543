//! `-f FILE`: one dig command line per line, each inheriting the command line's settings.
//! Reads the file with a size bound; blank lines and `;`/`#` comments are skipped.

use std::io::Read;

use crate::dig::args::{parse_arguments_with_defaults, GlobalSettings, Lookup};
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

/// The lookups of a batch file's text; the first of each line carries the line for its banner.
pub fn batch_lookups(text: &str, defaults: &Lookup) -> Result<Vec<Lookup>, DigError> {
    let mut lookups = Vec::new();
    // dig's global settings (`+short`, `-p`...) given on a line hold for the lines after it.
    let mut globals = GlobalSettings::default();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = trimmed.split_whitespace().collect();
        let mut line_defaults = defaults.clone();
        globals.apply(&mut line_defaults);
        let invocation = parse_arguments_with_defaults(&words, line_defaults)?;
        globals.merge(&invocation.globals);
        let mut line_lookups = invocation.lookups;
        if line_lookups.is_empty() {
            line_lookups.push(invocation.defaults);
        }
        if let Some(first) = line_lookups.first_mut() {
            first.source_line = Some(words.join(" "));
        }
        lookups.extend(line_lookups);
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
    fn global_options_of_a_line_hold_for_the_lines_after_it() {
        let lookups = batch_lookups(
            "a.test\nb.test +short -p 5301\nc.test\n",
            &Lookup::default(),
        )
        .unwrap();
        assert!(!lookups[0].options.display.short);
        assert!(lookups[1].options.display.short && lookups[2].options.display.short);
        assert_eq!(lookups[2].port, 5301);
        assert_eq!(
            lookups[1].source_line.as_deref(),
            Some("b.test +short -p 5301")
        );
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
