//! Root hints: the built-in IANA list (a..m.root-servers.net) and a `named.root` file reader.
//! The file is parsed with hickory-proto's zone-file parser; this module never hand-parses text.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use hickory_proto::rr::{DNSClass, Name, RData, RecordType};
use hickory_proto::serialize::txt::Parser;

use crate::config::RootHint;
use crate::limits::MAX_ROOT_HINTS_BYTES;

/// IANA root servers (https://www.iana.org/domains/root/servers), name, IPv4, IPv6.
const IANA_ROOT_SERVERS: [(&str, &str, &str); 13] = [
    ("a.root-servers.net.", "198.41.0.4", "2001:503:ba3e::2:30"),
    ("b.root-servers.net.", "170.247.170.2", "2801:1b8:10::b"),
    ("c.root-servers.net.", "192.33.4.12", "2001:500:2::c"),
    ("d.root-servers.net.", "199.7.91.13", "2001:500:2d::d"),
    ("e.root-servers.net.", "192.203.230.10", "2001:500:a8::e"),
    ("f.root-servers.net.", "192.5.5.241", "2001:500:2f::f"),
    ("g.root-servers.net.", "192.112.36.4", "2001:500:12::d0d"),
    ("h.root-servers.net.", "198.97.190.53", "2001:500:1::53"),
    ("i.root-servers.net.", "192.36.148.17", "2001:7fe::53"),
    ("j.root-servers.net.", "192.58.128.30", "2001:503:c27::2:30"),
    ("k.root-servers.net.", "193.0.14.129", "2001:7fd::1"),
    ("l.root-servers.net.", "199.7.83.42", "2001:500:9f::42"),
    ("m.root-servers.net.", "202.12.27.33", "2001:dc3::35"),
];

/// The built-in hints, IPv4 and IPv6 addresses of all thirteen root servers.
pub fn builtin_root_hints() -> Vec<RootHint> {
    let mut hints = Vec::with_capacity(IANA_ROOT_SERVERS.len() * 2);
    for (name, v4, v6) in IANA_ROOT_SERVERS {
        let Ok(name) = Name::from_ascii(name) else {
            continue;
        };
        for address in [v4, v6] {
            if let Ok(address) = address.parse::<IpAddr>() {
                hints.push(RootHint {
                    name: name.clone(),
                    address,
                });
            }
        }
    }
    hints
}

/// Why a root hints file could not be used.
#[derive(Debug)]
pub enum RootHintsError {
    Read {
        file: PathBuf,
        error: std::io::ErrorKind,
    },
    /// `line` is the first line whose record does not parse, when it could be located.
    Parse {
        file: PathBuf,
        line: Option<usize>,
        message: String,
    },
    /// Larger than any real hints file: refused before parsing.
    TooLarge { file: PathBuf, bytes: u64 },
    /// The file parsed but names no root server address.
    NoAddresses { file: PathBuf },
}

impl std::fmt::Display for RootHintsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RootHintsError::Read {
                file,
                error: std::io::ErrorKind::NotFound,
            } => write!(f, "{}: no such file", file.display()),
            RootHintsError::Read { file, error } => {
                write!(f, "{}: cannot read: {error}", file.display())
            }
            RootHintsError::Parse {
                file,
                line: Some(line),
                message,
            } => write!(f, "{}:{line}: {message}", file.display()),
            RootHintsError::Parse {
                file,
                line: None,
                message,
            } => write!(f, "{}: {message}", file.display()),
            RootHintsError::TooLarge { file, bytes } => write!(
                f,
                "{}: {bytes} bytes, more than the {MAX_ROOT_HINTS_BYTES} a hints file may have",
                file.display()
            ),
            RootHintsError::NoAddresses { file } => {
                write!(
                    f,
                    "{}: no A or AAAA record for any NS of the root",
                    file.display()
                )
            }
        }
    }
}

impl std::error::Error for RootHintsError {}

/// Reads a `named.root`-format file: root NS records and the addresses of their targets.
pub fn read_root_hints_file(path: &Path) -> Result<Vec<RootHint>, RootHintsError> {
    let read_error = |error: std::io::Error| RootHintsError::Read {
        file: path.to_path_buf(),
        error: error.kind(),
    };
    let bytes = std::fs::metadata(path).map_err(read_error)?.len();
    if bytes > MAX_ROOT_HINTS_BYTES {
        return Err(RootHintsError::TooLarge {
            file: path.to_path_buf(),
            bytes,
        });
    }
    let text = std::fs::read_to_string(path).map_err(|error| RootHintsError::Read {
        file: path.to_path_buf(),
        error: error.kind(),
    })?;
    parse_root_hints(&text, path)
}

/// Parses hints text; `path` only names the source in errors and resolves `$INCLUDE`.
pub fn parse_root_hints(text: &str, path: &Path) -> Result<Vec<RootHint>, RootHintsError> {
    let parser = Parser::new(text, Some(path.to_path_buf()), Some(Name::root()));
    let (_, record_sets) = parser.parse().map_err(|error| RootHintsError::Parse {
        file: path.to_path_buf(),
        line: locate_parse_error(text, path),
        message: error.to_string(),
    })?;
    // Hints for another class (Unbound reads a CH root from the same syntax) are not ours: the
    // resolver iterates class IN only.
    let record_sets: Vec<_> = record_sets
        .values()
        .filter(|record_set| record_set.dns_class() == DNSClass::IN)
        .collect();
    let mut server_names: Vec<Name> = Vec::new();
    for record_set in &record_sets {
        if record_set.record_type() == RecordType::NS && record_set.name().is_root() {
            for record in record_set.records_without_rrsigs() {
                if let RData::NS(target) = &record.data {
                    server_names.push(target.0.clone());
                }
            }
        }
    }
    let mut hints = Vec::new();
    for record_set in &record_sets {
        if !server_names.contains(record_set.name()) {
            continue;
        }
        for record in record_set.records_without_rrsigs() {
            let address = match &record.data {
                RData::A(address) => IpAddr::V4(address.0),
                RData::AAAA(address) => IpAddr::V6(address.0),
                _ => continue,
            };
            hints.push(RootHint {
                name: record.name.clone(),
                address,
            });
        }
    }
    if hints.is_empty() {
        return Err(RootHintsError::NoAddresses {
            file: path.to_path_buf(),
        });
    }
    Ok(hints)
}

/// hickory-proto 0.26 does not report the line of a parse error: find the shortest prefix of
/// whole lines that fails to parse. Runs only on the error path, on a file bounded by
/// `MAX_ROOT_HINTS_BYTES`; a record spanning lines in parentheses is reported at its last line.
fn locate_parse_error(text: &str, path: &Path) -> Option<usize> {
    let mut end = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        end += line.len();
        let prefix = text.get(..end)?;
        let parser = Parser::new(prefix, Some(path.to_path_buf()), Some(Name::root()));
        if parser.parse().is_err() {
            return Some(index + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_hints_cover_thirteen_servers_on_both_families() {
        let hints = builtin_root_hints();
        assert_eq!(hints.len(), 26);
        assert!(hints
            .iter()
            .any(|hint| hint.address == "193.0.14.129".parse::<IpAddr>().unwrap()));
        assert!(hints.iter().any(|hint| hint.address.is_ipv6()));
    }

    #[test]
    fn named_root_file_yields_addresses_of_root_servers_only() {
        let text = ".                        3600000      NS    A.ROOT-SERVERS.NET.\n\
                    A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4\n\
                    A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30\n\
                    unrelated.example.       3600000      A     192.0.2.1\n";
        let hints = parse_root_hints(text, Path::new("named.root")).unwrap();
        assert_eq!(hints.len(), 2);
        assert!(hints
            .iter()
            .all(|hint| hint.name == Name::from_ascii("a.root-servers.net.").unwrap()));
    }

    #[test]
    fn hints_of_another_class_are_left_out() {
        let text = ". 3600 IN NS k.root-servers.net.\nk.root-servers.net. 3600 IN A 193.0.14.129\n\
                    . 3600 CH NS ns.ch.test.\nns.ch.test. 3600 CH A 1.2.3.5\n";
        let hints = parse_root_hints(text, Path::new("mixed.hints")).unwrap();
        assert_eq!(hints.len(), 1);
        assert_eq!(hints[0].address.to_string(), "193.0.14.129");
        let chaos_only = ". 3600 CH NS ns.ch.test.\nns.ch.test. 3600 CH A 1.2.3.5\n";
        assert!(parse_root_hints(chaos_only, Path::new("ch.hints")).is_err());
    }

    #[test]
    fn broken_hints_file_error_names_file_and_line() {
        let text =
            ".  3600000 NS A.ROOT-SERVERS.NET.\nA.ROOT-SERVERS.NET. 3600000 A 198.41.0.400\n";
        let error = parse_root_hints(text, Path::new("/etc/broken.root")).unwrap_err();
        assert!(
            error.to_string().starts_with("/etc/broken.root:2:"),
            "{error}"
        );
    }

    #[test]
    fn missing_hints_file_is_named_with_no_such_file() {
        let error = read_root_hints_file(Path::new("/nonexistent/named.root")).unwrap_err();
        assert_eq!(error.to_string(), "/nonexistent/named.root: no such file");
    }
}
