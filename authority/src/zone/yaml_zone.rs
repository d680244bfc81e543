//! Reads one octoDNS YAML zone file into source records (owner, type, TTL, RDATA, line).
//! It only reads and converts; zone-wide checks (apex NS, CNAME, glue) are done in `zone::build`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use hickory_proto::rr::{Name, Record, RecordType};
use hickory_proto::serialize::binary::BinDecodable;

use crate::dnssec::config::{read_config, DnssecConfig};
use crate::limits::{MAX_ERRORS_PER_FILE, MAX_VALUES_PER_RECORD};
use crate::zone::error::{ZoneError, ZoneErrorKind, ZoneWarning, ZoneWarningKind, RECORD_KEYS};
use crate::zone::memory_limit::ZoneMemoryLimit;
use crate::zone::owners_seen::OwnersSeen;
pub use crate::zone::record_set::OneRecord;
use crate::zone::source_records::SourceRecords;
use crate::zone::spelling::closest;
use crate::zone::yaml_events::parse_plain_entries;
use crate::zone::yaml_flow_lines::{parse_entries_by_lines, LinesNotPlain};
use crate::zone::yaml_rdata::rdata_from_node;
use crate::zone::yaml_record_wire::{write_name, write_plain_name, RecordWriter};
use crate::zone::yaml_tree::{
    parse_document, parse_entries, LineMode, Node, NodeValue, TopLevel, WithLines, WithoutLines,
};
use crate::zone::yaml_value::trimmed;

/// octoDNS's default TTL when a record object has none.
pub const DEFAULT_TTL: u32 = 3600;

/// octoDNS record-object keys that carry provider metadata, not DNS data.
const IGNORED_KEYS: &[&str] = &["octodns", "geo", "dynamic"];

/// Record types whose values are octoDNS TXT strings, where `;` must be written `\;`.
const TXT_LIKE_TYPES: &[&str] = &["TXT", "SPF"];

/// octoDNS types that are provider features, not DNS records: skipped with a warning.
const NON_DNS_TYPES: &[&str] = &["ALIAS", "URLFWD"];

/// One record as written in the file, with the line of its value for error messages. Kept as
/// wire bytes (`OneRecord`, a fifth of a hickory `Record`'s size): a million of them are alive
/// at once, when the file is read and its RRsets not yet built.
#[derive(Clone, Debug)]
pub struct SourceRecord {
    pub record: OneRecord,
    pub line: u64,
}

/// Everything read from one file: the records, or every error found, plus warnings.
#[derive(Debug)]
pub struct ReadZone {
    pub origin: Name,
    pub file: PathBuf,
    pub records: SourceRecords,
    pub warnings: Vec<ZoneWarning>,
    /// Problems found while reading; `build_zone` adds its own and reports them all.
    pub errors: Vec<ZoneError>,
    /// Apex NS names to serve when the file has none (`--default-ns`; octoDNS providers add
    /// their own). Empty: a zone without apex NS is an error.
    pub default_nameservers: Vec<Name>,
    /// `octodns: {dnssec: ...}` on an apex record: the zone is to be signed (`crate::dnssec`).
    pub dnssec: Option<DnssecConfig>,
}

/// The origin a file serves: its name without `.yaml`, `root.yaml` being the root zone.
pub fn origin_from_path(path: &Path) -> Result<Name, ZoneErrorKind> {
    let file_name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    let stem = file_name
        .strip_suffix(".yaml")
        .or_else(|| file_name.strip_suffix(".yml"))
        .unwrap_or(file_name);
    if stem == "root" {
        return Ok(Name::root());
    }
    parse_origin(stem)
}

/// Parses an origin given on the command line or derived from a file name.
pub fn parse_origin(text: &str) -> Result<Name, ZoneErrorKind> {
    if text == "." || text.is_empty() {
        return Ok(Name::root());
    }
    let absolute = if text.ends_with('.') {
        text.to_owned()
    } else {
        format!("{text}.")
    };
    Name::from_str(&absolute).map_err(|_| ZoneErrorKind::BadOrigin(text.to_owned()))
}

/// Reads `path` for zone `origin`. All errors in the file are returned together.
pub fn read_zone_file(path: &Path, origin: &Name) -> Result<ReadZone, Vec<ZoneError>> {
    read_zone_text(&read_zone_file_text(path)?, path, origin)
}

/// The text of the zone file at `path`, if the default zone memory limit admits it.
pub fn read_zone_file_text(path: &Path) -> Result<String, Vec<ZoneError>> {
    read_zone_file_text_within(path, ZoneMemoryLimit::default())
}

/// The text of the zone file at `path`, if it is no larger than `limit` (the text is held in
/// memory while the zone loads, so a file larger than the whole bound cannot load).
pub fn read_zone_file_text_within(
    path: &Path,
    limit: ZoneMemoryLimit,
) -> Result<String, Vec<ZoneError>> {
    let error = |line, kind| {
        vec![ZoneError {
            file: path.to_path_buf(),
            line,
            kind,
        }]
    };
    let size = fs::metadata(path)
        .map_err(|problem| error(0, ZoneErrorKind::read(&problem)))?
        .len();
    if !limit.admits_file(size) {
        return Err(error(0, ZoneErrorKind::TooLarge { bytes: size, limit }));
    }
    fs::read_to_string(path).map_err(|problem| error(0, ZoneErrorKind::read(&problem)))
}

/// Reads zone text as if it came from `path` (tests use this directly).
pub fn read_zone_text(text: &str, path: &Path, origin: &Name) -> Result<ReadZone, Vec<ZoneError>> {
    read_zone_text_in::<WithLines>(text, path, origin, ZoneMemoryLimit::default())
}

/// `read_zone_text` within a zone memory limit: reading stops, with an error naming the option
/// that raises it, once the zone's estimated memory passes `limit`.
pub fn read_zone_text_within(
    text: &str,
    path: &Path,
    origin: &Name,
    limit: ZoneMemoryLimit,
) -> Result<ReadZone, Vec<ZoneError>> {
    read_zone_text_in::<WithLines>(text, path, origin, limit)
}

/// As `read_zone_text`, but every line is 0: a third faster, for a first pass over a file that
/// is most likely valid. Whoever finds an error or warning in the result reads the text again
/// with `read_zone_text` to report it with its line.
pub fn read_zone_text_without_lines(
    text: &str,
    path: &Path,
    origin: &Name,
) -> Result<ReadZone, Vec<ZoneError>> {
    read_zone_text_in::<WithoutLines>(text, path, origin, ZoneMemoryLimit::default())
}

/// `read_zone_text_without_lines` within a zone memory limit.
pub fn read_zone_text_without_lines_within(
    text: &str,
    path: &Path,
    origin: &Name,
    limit: ZoneMemoryLimit,
) -> Result<ReadZone, Vec<ZoneError>> {
    read_zone_text_in::<WithoutLines>(text, path, origin, limit)
}

fn read_zone_text_in<L: LineMode>(
    text: &str,
    path: &Path,
    origin: &Name,
    limit: ZoneMemoryLimit,
) -> Result<ReadZone, Vec<ZoneError>> {
    let mut origin_wire = Vec::new();
    write_name(origin, &mut origin_wire);
    let new_reader = || Reader {
        file: path.to_path_buf(),
        origin: origin.clone(),
        origin_wire: origin_wire.clone(),
        owner_wire: Vec::new(),
        writer: RecordWriter::default(),
        records: SourceRecords::with_lines(L::KEEPS_LINES),
        warnings: Vec::new(),
        errors: Vec::new(),
        dnssec: None,
        memory: MemoryBudget {
            limit,
            text_bytes: text.len(),
            exceeded: false,
        },
    };
    // Plain YAML (nearly every zone file) is read from the parser's events, with lines, in one
    // pass; anything else through serde-saphyr below, which knows all of YAML.
    // Files written one record per line have those lines read by a scanner of that shape
    // (`yaml_flow_lines`), the rest by the parser; if that cannot decide, the parser reads all.
    // Owners given twice are looked for once the file is read; if there may be one, the file
    // is read again to report it where it is.
    let mut reader = new_reader();
    let mut seen = OwnersSeen::deferred();
    let mut by_lines = parse_entries_by_lines(text, &mut |key, value| {
        reader.read_entry(key, value, &mut seen)
    });
    if by_lines.is_ok() {
        if !seen.may_have_repeated() {
            return Ok(reader.into_read_zone());
        }
        reader = new_reader();
        seen = OwnersSeen::exact();
        by_lines = parse_entries_by_lines(text, &mut |key, value| {
            reader.read_entry(key, value, &mut seen)
        });
        if by_lines.is_ok() {
            return Ok(reader.into_read_zone());
        }
    }
    if by_lines == Err(LinesNotPlain::Stretch) {
        let mut reader = new_reader();
        let mut seen = OwnersSeen::exact();
        if parse_plain_entries(text, &mut |key, value| {
            reader.read_entry(&key, &value, &mut seen)
        })
        .is_ok()
        {
            return Ok(reader.into_read_zone());
        }
    }
    drop(seen);
    let mut reader = new_reader();
    // Entries are converted as the parser reads them: the file is never a whole tree in memory.
    // Owners are kept (as text) only to report duplicates.
    let mut seen = OwnersSeen::exact();
    let parsed = parse_entries::<L>(text, &mut |key, value| {
        reader.read_entry(&key, &value, &mut seen)
    });
    drop(seen);
    let unreadable = match parsed {
        Ok(TopLevel::Mapping | TopLevel::Empty) => false,
        Ok(TopLevel::Other) => {
            // Rare and wrong: parse again as a tree for the line the document starts on.
            let line = parse_document(text).map_or(1, |document| document.line);
            reader.error(
                line,
                ZoneErrorKind::WrongShape {
                    owner: String::new(),
                    expected: "a mapping of owner names to records",
                },
            );
            false
        }
        // Unparseable YAML yields no records and no other errors (those before the YAML error
        // were found in a file we cannot read anyway): zone-wide checks would only add noise.
        Err((line, problem)) => {
            reader.records.clear();
            reader.warnings.clear();
            reader.errors.clear();
            reader.error(line, ZoneErrorKind::Yaml(problem));
            true
        }
    };
    if unreadable {
        return Err(reader.errors);
    }
    Ok(reader.into_read_zone())
}

/// `octodns: {ignored: true}` (octoDNS's flag for records it must leave alone).
fn is_ignored(octodns: Option<&Node>) -> bool {
    octodns
        .and_then(|node| node.get("ignored"))
        .and_then(Node::as_scalar)
        .is_some_and(|flag| flag.trim().eq_ignore_ascii_case("true"))
}

/// An IPv4 or IPv6 address where a host name is expected.
fn is_address(text: &str) -> bool {
    text.trim().parse::<std::net::IpAddr>().is_ok()
}

/// A `;` not escaped as `\;` (octoDNS's TXT rule; `\\` is an escaped backslash).
fn has_unescaped_semicolon(text: &str) -> bool {
    let mut escaped = false;
    for character in text.chars() {
        match (escaped, character) {
            (false, '\\') => escaped = true,
            (false, ';') => return true,
            _ => escaped = false,
        }
    }
    false
}

struct Reader {
    file: PathBuf,
    origin: Name,
    /// The origin's wire form, which relative owners end with.
    origin_wire: Vec<u8>,
    /// The wire form of the owner being read (a buffer kept from entry to entry).
    owner_wire: Vec<u8>,
    writer: RecordWriter,
    records: SourceRecords,
    warnings: Vec<ZoneWarning>,
    errors: Vec<ZoneError>,
    dnssec: Option<DnssecConfig>,
    memory: MemoryBudget,
}

/// The zone memory limit as the reader applies it: once passed, one error and no more records.
struct MemoryBudget {
    limit: ZoneMemoryLimit,
    text_bytes: usize,
    exceeded: bool,
}

impl Reader {
    fn into_read_zone(self) -> ReadZone {
        ReadZone {
            origin: self.origin,
            file: self.file,
            records: self.records,
            warnings: self.warnings,
            errors: self.errors,
            default_nameservers: Vec::new(),
            dnssec: self.dnssec,
        }
    }

    fn warn(&mut self, line: u64, kind: ZoneWarningKind) {
        if self.warnings.len() < MAX_ERRORS_PER_FILE {
            self.warnings.push(ZoneWarning {
                file: self.file.clone(),
                line,
                kind,
            });
        }
    }

    fn error(&mut self, line: u64, kind: ZoneErrorKind) {
        if self.errors.len() < MAX_ERRORS_PER_FILE {
            self.errors.push(ZoneError {
                file: self.file.clone(),
                line,
                kind,
            });
        } else if self.errors.len() == MAX_ERRORS_PER_FILE {
            self.errors.push(ZoneError {
                file: self.file.clone(),
                line,
                kind: ZoneErrorKind::TooManyErrors,
            });
        }
    }

    /// One top-level entry: an owner and its record object or list of record objects.
    fn read_entry(&mut self, key: &Node, value: &Node, seen: &mut OwnersSeen) {
        let owner_text = match &key.value {
            NodeValue::Scalar(text) => text.as_str(),
            NodeValue::Null => "",
            _ => {
                self.error(
                    key.line,
                    ZoneErrorKind::BadOwner(format!("{:?}", key.value)),
                );
                return;
            }
        };
        // A set, not a list: a million owners checked against a list is 10^12 comparisons.
        if !seen.insert(owner_text) {
            self.error(key.line, ZoneErrorKind::DuplicateKey(owner_text.to_owned()));
            return;
        }
        let mut owner_wire = std::mem::take(&mut self.owner_wire);
        owner_wire.clear();
        if let Err(kind) = self.owner_wire(owner_text, &mut owner_wire) {
            self.error(key.line, kind);
            self.owner_wire = owner_wire;
            return;
        }
        // Name equality is case-insensitive; a wire length octet is never a letter.
        let owner = Owner {
            text: owner_text,
            wire: &owner_wire,
            is_apex: owner_wire.eq_ignore_ascii_case(&self.origin_wire),
        };
        match &value.value {
            NodeValue::Sequence(items) => {
                for item in items {
                    self.read_record_object(&owner, item, item.line);
                }
            }
            NodeValue::Mapping(_) => self.read_record_object(&owner, value, key.line),
            _ => self.error(
                value.line,
                ZoneErrorKind::WrongShape {
                    owner: owner_text.to_owned(),
                    expected: "a record object or a list of them",
                },
            ),
        }
        self.owner_wire = owner_wire;
    }

    /// The zone's signing settings (one `dnssec:` per zone; a second is an error).
    fn read_dnssec(&mut self, settings: &Node) {
        if self.dnssec.is_some() {
            self.error(
                settings.line,
                ZoneErrorKind::Dnssec("`dnssec` given on two apex records; give it once".into()),
            );
            return;
        }
        match read_config(settings, &self.file) {
            Ok(config) => self.dnssec = Some(config),
            Err(problems) => {
                for (line, problem) in problems {
                    self.error(line, ZoneErrorKind::Dnssec(problem));
                }
            }
        }
    }

    /// The owner's wire form (uncompressed, case as hickory's parser keeps it) into `wire`.
    fn owner_wire(&self, text: &str, wire: &mut Vec<u8>) -> Result<(), ZoneErrorKind> {
        if text.is_empty() || text == "@" {
            wire.extend_from_slice(&self.origin_wire);
            return Ok(());
        }
        if write_plain_name(text, &self.origin_wire, wire) {
            return Ok(());
        }
        let name = Name::parse(text, Some(&self.origin))
            .map_err(|_| ZoneErrorKind::BadOwner(text.to_owned()))?;
        write_name(&name, wire);
        Ok(())
    }

    fn read_record_object(&mut self, owner: &Owner<'_>, object: &Node, object_line: u64) {
        let owner_text = owner.text;
        let NodeValue::Mapping(fields) = &object.value else {
            self.error(
                object_line,
                ZoneErrorKind::WrongShape {
                    owner: owner_text.to_owned(),
                    expected: "a record object with type and value(s)",
                },
            );
            return;
        };
        let mut record_type_node = None;
        let mut ttl_node = None;
        let mut value_node = None;
        let mut values_node = None;
        let mut octodns_node = None;
        let mut unknown_key = false;
        let mut seen = KeysSeen::for_fields(fields);
        for (index, (key, value)) in fields.iter().enumerate() {
            let Some(name) = key.as_scalar() else {
                self.error(
                    key.line,
                    ZoneErrorKind::WrongShape {
                        owner: owner_text.to_owned(),
                        expected: "string keys in a record object",
                    },
                );
                continue;
            };
            if seen.repeats(index, name) {
                self.error(key.line, ZoneErrorKind::DuplicateKey(name.to_owned()));
                continue;
            }
            match name {
                "type" => record_type_node = Some(value),
                "ttl" => ttl_node = Some(value),
                "value" => value_node = Some(value),
                "values" => values_node = Some(value),
                "octodns" => octodns_node = Some(value),
                other if IGNORED_KEYS.contains(&other) => {}
                other => {
                    unknown_key = true;
                    self.error(
                        key.line,
                        ZoneErrorKind::UnknownKey {
                            owner: owner_text.to_owned(),
                            key: other.to_owned(),
                            suggestion: closest(other, &RECORD_KEYS),
                        },
                    );
                }
            }
        }
        if owner.is_apex {
            if let Some(settings) = octodns_node.and_then(|node| node.get("dnssec")) {
                self.read_dnssec(settings);
            }
        }
        let Some(type_text) = record_type_node.and_then(Node::as_scalar) else {
            // A misspelt `type` key was just reported; saying it is missing would be the same
            // mistake twice.
            if !unknown_key {
                self.error(
                    object_line,
                    ZoneErrorKind::WrongShape {
                        owner: owner_text.to_owned(),
                        expected: "a `type` field naming the record type",
                    },
                );
            }
            return;
        };
        let type_line = record_type_node.map_or(object_line, |node| node.line);
        let type_upper: Cow<'_, str> = match trimmed(type_text) {
            upper if !upper.bytes().any(|byte| byte.is_ascii_lowercase()) => Cow::Borrowed(upper),
            other => Cow::Owned(other.to_ascii_uppercase()),
        };
        if NON_DNS_TYPES.contains(&&*type_upper) {
            self.warn(
                type_line,
                ZoneWarningKind::SkippedType(type_upper.into_owned()),
            );
            return;
        }
        if is_ignored(octodns_node) {
            self.warn(
                object_line,
                ZoneWarningKind::Ignored {
                    owner: owner_text.to_owned(),
                    record_type: type_upper.into_owned(),
                },
            );
            return;
        }
        // Upper-cased (owned) exactly when it had a lower-case letter.
        if matches!(type_upper, Cow::Owned(_)) {
            self.warn(
                type_line,
                ZoneWarningKind::LowercaseType(type_text.to_owned()),
            );
        }
        let record_type = match served_record_type(&type_upper) {
            Some(record_type) => record_type,
            None => {
                self.error(type_line, ZoneErrorKind::UnknownType(type_text.to_owned()));
                return;
            }
        };
        let ttl = match ttl_node {
            None => DEFAULT_TTL,
            Some(node) => match node
                .as_scalar()
                .and_then(|text| trimmed(text).parse::<u32>().ok())
            {
                // RFC 2181 §8: TTLs are 31-bit; larger values are treated as zero by receivers.
                Some(ttl) if ttl <= i32::MAX as u32 => ttl,
                _ => {
                    self.error(
                        node.line,
                        ZoneErrorKind::WrongShape {
                            owner: owner_text.to_owned(),
                            expected: "a ttl between 0 and 2147483647",
                        },
                    );
                    return;
                }
            },
        };
        let values: &[Node] = match (value_node, values_node) {
            (Some(value), None) => std::slice::from_ref(value),
            (
                None,
                Some(Node {
                    value: NodeValue::Sequence(items),
                    ..
                }),
            ) => items,
            (None, Some(single)) => std::slice::from_ref(single),
            _ => {
                self.error(
                    object_line,
                    ZoneErrorKind::WrongShape {
                        owner: owner_text.to_owned(),
                        expected: "exactly one of `value` or `values`",
                    },
                );
                return;
            }
        };
        if values.is_empty() {
            self.error(object_line, ZoneErrorKind::NoValues(owner_text.to_owned()));
            return;
        }
        if values.len() > MAX_VALUES_PER_RECORD {
            self.error(
                object_line,
                ZoneErrorKind::WrongShape {
                    owner: owner_text.to_owned(),
                    expected: "at most 4096 values",
                },
            );
            return;
        }
        for value in values {
            if let Some((line, key)) = duplicate_key(value) {
                self.error(line, ZoneErrorKind::DuplicateKey(key));
                continue;
            }
            if record_type == RecordType::NS {
                if let Some(text) = value.as_scalar().filter(|text| is_address(text)) {
                    self.error(
                        value.line,
                        ZoneErrorKind::NameserverIsAddress {
                            owner: owner_text.to_owned(),
                            value: text.to_owned(),
                        },
                    );
                    continue;
                }
            }
            if TXT_LIKE_TYPES.contains(&&*type_upper)
                && value.as_scalar().is_some_and(has_unescaped_semicolon)
            {
                self.warn(
                    value.line,
                    ZoneWarningKind::UnescapedSemicolon {
                        owner: owner_text.to_owned(),
                        record_type: type_upper.to_string(),
                    },
                );
            }
            match rdata_from_node(record_type, value, &self.origin) {
                Ok(rdata) => {
                    if self.memory.exceeded {
                        return;
                    }
                    if !self
                        .memory
                        .limit
                        .admits(self.memory.text_bytes, self.records.len() + 1)
                    {
                        // Reported once: the old cap repeated its error for every record past it.
                        self.memory.exceeded = true;
                        let limit = self.memory.limit;
                        let records = self.records.len();
                        self.error(
                            value.line,
                            ZoneErrorKind::OverMemoryLimit { records, limit },
                        );
                        return;
                    }
                    let written = self.writer.one_record(owner.wire, ttl, &rdata).ok_or(rdata);
                    // Only hickory's encoder words why a record cannot be encoded.
                    let made = written.or_else(|rdata| {
                        let name = Name::from_bytes(owner.wire).unwrap_or_else(|_| Name::root());
                        OneRecord::new(&Record::from_rdata(name, ttl, rdata))
                    });
                    match made {
                        Ok(record) => self.records.push(SourceRecord {
                            record,
                            line: value.line,
                        }),
                        Err(unencodable) => self.error(
                            value.line,
                            ZoneErrorKind::BadValue {
                                record_type: unencodable.record_type.to_string(),
                                problem: unencodable.reason,
                            },
                        ),
                    }
                }
                Err(kind) => self.error(value.line, kind),
            }
        }
    }
}

/// Finds a key repeated in one record object: by looking back over the keys before it, for the
/// usual handful (a list of those seen was one allocation per record of a big zone), else in a set.
struct KeysSeen<'object> {
    fields: &'object [(Node, Node)],
    set: Option<HashSet<&'object str, ahash::RandomState>>,
}

/// Keys a record object may have before looking back over them costs more than a set.
const KEYS_LOOKED_BACK: usize = 8;

impl<'object> KeysSeen<'object> {
    fn for_fields(fields: &'object [(Node, Node)]) -> Self {
        let set = (fields.len() > KEYS_LOOKED_BACK).then(HashSet::default);
        KeysSeen { fields, set }
    }

    /// Whether the key `key` at `index` is one given before it.
    fn repeats(&mut self, index: usize, key: &'object str) -> bool {
        match &mut self.set {
            Some(set) => !set.insert(key),
            None => self
                .fields
                .get(..index)
                .unwrap_or_default()
                .iter()
                .any(|(earlier, _)| earlier.as_scalar() == Some(key)),
        }
    }
}

/// The owner of the entry being read.
struct Owner<'entry> {
    /// As written (for messages).
    text: &'entry str,
    /// Uncompressed wire form.
    wire: &'entry [u8],
    /// The zone's apex.
    is_apex: bool,
}

/// The first repeated key in a value object (such as two `preference` in one MX value), with
/// the line of the repeat. Only the value's own mapping is checked: values are one level deep,
/// except SVCB's `svcparams`, which is checked too.
fn duplicate_key(value: &Node) -> Option<(u64, String)> {
    let NodeValue::Mapping(entries) = &value.value else {
        return None;
    };
    for (index, (key, nested)) in entries.iter().enumerate() {
        let text = key.as_scalar()?;
        let earlier = entries.get(..index).unwrap_or_default();
        if earlier
            .iter()
            .any(|(other, _)| other.as_scalar() == Some(text))
        {
            return Some((key.line, text.to_owned()));
        }
        if let Some(found) = duplicate_key(nested) {
            return Some(found);
        }
    }
    None
}

/// Record types a zone may hold. Meta types (ANY, OPT, AXFR, ...) and DNSSEC types we cannot
/// sign or parse are refused as unknown.
fn served_record_type(text: &str) -> Option<RecordType> {
    // The usual types first, without hickory's search through every type's name.
    let usual = match text {
        "A" => Some(RecordType::A),
        "AAAA" => Some(RecordType::AAAA),
        "CNAME" => Some(RecordType::CNAME),
        "MX" => Some(RecordType::MX),
        "NS" => Some(RecordType::NS),
        "TXT" => Some(RecordType::TXT),
        _ => None,
    };
    if usual.is_some() {
        return usual;
    }
    if text == "SPF" {
        return Some(crate::zone::yaml_rdata::SPF);
    }
    if text == "LOC" {
        return Some(crate::zone::yaml_rdata::LOC);
    }
    let record_type = RecordType::from_str(text).ok()?;
    match record_type {
        RecordType::A
        | RecordType::AAAA
        | RecordType::CAA
        | RecordType::CERT
        | RecordType::CNAME
        | RecordType::CSYNC
        | RecordType::DNAME
        | RecordType::DS
        | RecordType::HINFO
        | RecordType::HTTPS
        | RecordType::MX
        | RecordType::NAPTR
        | RecordType::NS
        | RecordType::OPENPGPKEY
        | RecordType::PTR
        | RecordType::SMIMEA
        | RecordType::SOA
        | RecordType::SRV
        | RecordType::SSHFP
        | RecordType::SVCB
        | RecordType::TLSA
        | RecordType::TXT => Some(record_type),
        _ => None,
    }
}
