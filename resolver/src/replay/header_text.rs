//! Reads the header (everything before `CONFIG_END`) as an unbound.conf fragment: `key: value`
//! pairs in clauses, plus testbound's TEMPFILE/AUTOTRUST blocks. Syntax only; meaning is `header`.

use crate::replay::error::ParseErrorKind;
use crate::replay::scenario::{HeaderOption, TempFile};

/// Clause keywords of unbound.conf (a key with no value that opens a block of keys).
const CLAUSES: &[&str] = &[
    "server",
    "stub-zone",
    "forward-zone",
    "auth-zone",
    "view",
    "rpz",
    "remote-control",
    "python",
    "dynlib",
    "cachedb",
    "dnstap",
    "dnscrypt",
    "ipset",
];

/// The header as read so far.
#[derive(Default)]
pub struct HeaderReader {
    pub options: Vec<HeaderOption>,
    pub tempfiles: Vec<TempFile>,
    clause: String,
    clause_line: usize,
    /// Inside `TEMPFILE_CONTENTS` / `AUTOTRUST_FILE`: lines are file contents, not options.
    block: Option<Block>,
}

enum Block {
    TempFile(TempFile),
    Autotrust,
}

impl HeaderReader {
    /// Reads one header line (without its line end).
    pub fn line(&mut self, raw: &str, line: usize) -> Result<(), ParseErrorKind> {
        if let Some(block) = self.block.as_mut() {
            let end = raw.trim();
            match block {
                Block::TempFile(file) if end == "TEMPFILE_END" => {
                    let file = std::mem::replace(
                        file,
                        TempFile {
                            name: String::new(),
                            contents: String::new(),
                            line: 0,
                        },
                    );
                    self.tempfiles.push(file);
                    self.block = None;
                }
                Block::TempFile(file) => {
                    file.contents.push_str(raw);
                    file.contents.push('\n');
                }
                Block::Autotrust if end == "AUTOTRUST_END" => self.block = None,
                Block::Autotrust => {}
            }
            return Ok(());
        }
        let text = strip_comment(raw).trim();
        let mut words = text.split_whitespace();
        match words.next() {
            None => return Ok(()),
            Some("TEMPFILE_NAME") => {
                // testbound echoes the file's path here: it is the value of a key left empty
                // on the line before (`zonefile:`), or just a declaration.
                let name = words.next().unwrap_or_default().to_owned();
                if let Some(last) = self.options.last_mut() {
                    if last.value.is_empty() && !CLAUSES.contains(&last.key.as_str()) {
                        last.value = name;
                    }
                }
                return Ok(());
            }
            Some("TEMPFILE_CONTENTS") => {
                let name = words.next().unwrap_or_default().to_owned();
                self.block = Some(Block::TempFile(TempFile {
                    name,
                    contents: String::new(),
                    line,
                }));
                return Ok(());
            }
            Some("AUTOTRUST_FILE") => {
                // testbound adds `auto-trust-anchor-file:` for it (replay.h); `header` judges that key.
                self.push(
                    "auto-trust-anchor-file",
                    words.collect::<Vec<_>>().join(" "),
                    line,
                );
                self.block = Some(Block::Autotrust);
                return Ok(());
            }
            Some("COMMANDLINE") => {
                self.push("COMMANDLINE", words.collect::<Vec<_>>().join(" "), line);
                return Ok(());
            }
            Some(_) => {}
        }
        for token in tokens(text)? {
            match token {
                Token::Key(key) => {
                    if CLAUSES.contains(&key.as_str()) {
                        self.clause = key.clone();
                        self.clause_line = line;
                    }
                    self.push(&key, String::new(), line);
                }
                Token::Value(value) => {
                    let Some(last) = self.options.last_mut() else {
                        return Err(ParseErrorKind::Unexpected(value));
                    };
                    if !last.value.is_empty() {
                        last.value.push(' ');
                    }
                    last.value.push_str(&value);
                }
            }
        }
        Ok(())
    }

    /// Whether a TEMPFILE or AUTOTRUST block is still open (an error at `CONFIG_END`).
    pub fn in_block(&self) -> bool {
        self.block.is_some()
    }

    fn push(&mut self, key: &str, value: String, line: usize) {
        self.options.push(HeaderOption {
            key: key.to_owned(),
            value,
            line,
            clause: self.clause.clone(),
            clause_line: self.clause_line,
        });
    }
}

enum Token {
    Key(String),
    Value(String),
}

/// Splits a line into `key:` and value words; quoted values ("" or '') may hold spaces, `#`
/// and `:`.
fn tokens(text: &str) -> Result<Vec<Token>, ParseErrorKind> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let Some(end) = quoted.find('"') else {
                return Err(ParseErrorKind::Unexpected(format!(
                    "unterminated quote in `{text}`"
                )));
            };
            out.push(Token::Value(quoted[..end].to_owned()));
            rest = quoted[end + 1..].trim_start();
            continue;
        }
        // unbound.conf's single quotes: the text inside, double quotes and all
        // (`local-data: 'example. TXT "a b"'`).
        if let Some(quoted) = rest.strip_prefix('\'') {
            let Some(end) = quoted.find('\'') else {
                return Err(ParseErrorKind::Unexpected(format!(
                    "unterminated quote in `{text}`"
                )));
            };
            out.push(Token::Value(quoted[..end].to_owned()));
            rest = quoted[end + 1..].trim_start();
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        rest = rest[end..].trim_start();
        match word.strip_suffix(':') {
            Some(key) if is_key(key) => out.push(Token::Key(key.to_owned())),
            _ => out.push(Token::Value(word.to_owned())),
        }
    }
    Ok(out)
}

/// unbound.conf keys are letters, digits and `-` (so `2001:db8::` is a value, not a key).
fn is_key(word: &str) -> bool {
    word.starts_with(|first: char| first.is_ascii_alphabetic())
        && word.chars().all(|character| {
            character.is_ascii_alphanumeric() || character == '-' || character == '_'
        })
}

/// Cuts a `#` or `;` comment, except inside a quoted string.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (index, character) in line.char_indices() {
        match character {
            '"' => quoted = !quoted,
            ';' | '#' if !quoted => return &line[..index],
            _ => {}
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> HeaderReader {
        let mut reader = HeaderReader::default();
        for (index, line) in text.lines().enumerate() {
            reader.line(line, index + 1).unwrap();
        }
        reader
    }

    fn pairs(reader: &HeaderReader) -> Vec<(&str, &str, &str)> {
        reader
            .options
            .iter()
            .map(|option| {
                (
                    option.clause.as_str(),
                    option.key.as_str(),
                    option.value.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn several_keys_on_one_line_and_clauses_are_kept_apart() {
        let reader = read(
            "server:\n\tqname-minimisation: \"no\" # comment\nforward-zone: name: \".\" forward-addr: 216.0.0.1\n\
             stub-zone:\n\tstub-addr: 2001:db8::\n\tlocal-zone: \"10.in-addr.arpa\" nodefault\n",
        );
        assert_eq!(
            pairs(&reader),
            [
                ("server", "server", ""),
                ("server", "qname-minimisation", "no"),
                ("forward-zone", "forward-zone", ""),
                ("forward-zone", "name", "."),
                ("forward-zone", "forward-addr", "216.0.0.1"),
                ("stub-zone", "stub-zone", ""),
                ("stub-zone", "stub-addr", "2001:db8::"),
                ("stub-zone", "local-zone", "10.in-addr.arpa nodefault"),
            ]
        );
    }

    #[test]
    fn tempfiles_keep_their_lines_and_their_name_fills_an_empty_key() {
        let reader = read(
            "auth-zone:\n\tzonefile:\nTEMPFILE_NAME example.tld\nTEMPFILE_CONTENTS example.tld\n\
             $ORIGIN tld. ; not a comment here\nexample 3600 IN SOA a b 1 2 3 4 5\nTEMPFILE_END\n\
             AUTOTRUST_FILE example.com\nexample.com. DNSKEY 257 3 5 AAAA\nAUTOTRUST_END\n",
        );
        assert_eq!(reader.options[1].value, "example.tld");
        assert_eq!(reader.tempfiles.len(), 1);
        assert_eq!(
            reader.tempfiles[0].contents,
            "$ORIGIN tld. ; not a comment here\nexample 3600 IN SOA a b 1 2 3 4 5\n"
        );
        assert_eq!(reader.options[2].key, "auto-trust-anchor-file");
        assert!(!reader.in_block());
    }

    #[test]
    fn a_value_before_any_key_or_an_open_quote_is_an_error() {
        let mut reader = HeaderReader::default();
        assert!(reader.line("orphan", 1).is_err());
        assert!(reader.line("name: \"unterminated", 2).is_err());
    }
}
