//! Unbound's `local-zone` / `local-data` / `local-data-ptr`: the zones built once (start, reload)
//! into hash maps keyed by lowercase wire names; a query only walks its own labels. Never resolves.
//!
//! Lookup (Unbound `services/localzone.c`, `local_zones_answer`): the closest enclosing local zone
//! (for DS, of the parent name) → its exact local data (redirect: the apex's) → the zone type's
//! answer when there is none (NXDOMAIN/NODATA, REFUSED, drop, or resolve normally).

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;

use hickory_proto::rr::rdata::{A, AAAA, PTR};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::replay::record_text::parse_record;
use crate::server::access::Cidr;
use crate::server::client_tags::{TagNames, TagSet};
use crate::server::limits::{MAX_LOCAL_RRSET_RECORDS, MAX_NAME_BYTES};
use crate::server::local_zone_client::ClientView;
use crate::wire_name::write_name;

/// What a local zone does with a question its local data does not answer (`man unbound.conf`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalZoneType {
    /// Drop the question.
    Deny,
    /// REFUSED.
    Refuse,
    /// NXDOMAIN or NODATA, with the apex SOA when there is one.
    Static,
    /// Resolve, except NODATA for a name that has local data of other types.
    Transparent,
    /// Resolve whatever the local data does not answer.
    TypeTransparent,
    /// Answer every name in the zone with the apex's data.
    Redirect,
    /// As transparent; Unbound logs the client (we log at info level).
    Inform,
    /// As deny, logged.
    InformDeny,
    /// Resolve normally, local data ignored.
    AlwaysTransparent,
    /// REFUSED, local data ignored.
    AlwaysRefuse,
    /// NXDOMAIN, local data ignored.
    AlwaysNxdomain,
    /// NODATA, local data ignored.
    AlwaysNodata,
    /// Drop, local data ignored.
    AlwaysDeny,
    /// 0.0.0.0 for A, :: for AAAA, NODATA for other types, local data ignored.
    AlwaysNull,
    /// Only turns off a default zone of that name; otherwise as transparent.
    Nodefault,
    /// NODATA for A questions, local data ignored; other types resolved (Unbound 1.22
    /// `block_a`: a dual-stack network steered to IPv6).
    BlockA,
    /// NODATA for AAAA questions, local data ignored; other types resolved.
    BlockAaaa,
    /// As `block_a`, but local data answers first (`block_a_wdata`).
    BlockAWithData,
    /// As `block_aaaa`, but local data answers first (`block_aaaa_wdata`).
    BlockAaaaWithData,
}

impl LocalZoneType {
    pub fn parse(text: &str) -> Option<LocalZoneType> {
        Some(match text {
            "deny" => LocalZoneType::Deny,
            "refuse" => LocalZoneType::Refuse,
            "static" => LocalZoneType::Static,
            "transparent" => LocalZoneType::Transparent,
            "typetransparent" => LocalZoneType::TypeTransparent,
            "redirect" => LocalZoneType::Redirect,
            "inform" => LocalZoneType::Inform,
            "inform_deny" => LocalZoneType::InformDeny,
            "always_transparent" => LocalZoneType::AlwaysTransparent,
            "always_refuse" => LocalZoneType::AlwaysRefuse,
            "always_nxdomain" => LocalZoneType::AlwaysNxdomain,
            "always_nodata" => LocalZoneType::AlwaysNodata,
            "always_deny" => LocalZoneType::AlwaysDeny,
            "always_null" => LocalZoneType::AlwaysNull,
            "nodefault" => LocalZoneType::Nodefault,
            "block_a" => LocalZoneType::BlockA,
            "block_aaaa" => LocalZoneType::BlockAaaa,
            "block_a_wdata" => LocalZoneType::BlockAWithData,
            "block_aaaa_wdata" => LocalZoneType::BlockAaaaWithData,
            _ => return None,
        })
    }

    /// The type's word in the config (`parse` reads it back).
    pub fn word(self) -> &'static str {
        match self {
            LocalZoneType::Deny => "deny",
            LocalZoneType::Refuse => "refuse",
            LocalZoneType::Static => "static",
            LocalZoneType::Transparent => "transparent",
            LocalZoneType::TypeTransparent => "typetransparent",
            LocalZoneType::Redirect => "redirect",
            LocalZoneType::Inform => "inform",
            LocalZoneType::InformDeny => "inform_deny",
            LocalZoneType::AlwaysTransparent => "always_transparent",
            LocalZoneType::AlwaysRefuse => "always_refuse",
            LocalZoneType::AlwaysNxdomain => "always_nxdomain",
            LocalZoneType::AlwaysNodata => "always_nodata",
            LocalZoneType::AlwaysDeny => "always_deny",
            LocalZoneType::AlwaysNull => "always_null",
            LocalZoneType::Nodefault => "nodefault",
            LocalZoneType::BlockA => "block_a",
            LocalZoneType::BlockAaaa => "block_aaaa",
            LocalZoneType::BlockAWithData => "block_a_wdata",
            LocalZoneType::BlockAaaaWithData => "block_aaaa_wdata",
        }
    }

    /// The one record type a `block_*` zone answers NODATA for.
    fn blocked_type(self) -> Option<RecordType> {
        match self {
            LocalZoneType::BlockA | LocalZoneType::BlockAWithData => Some(RecordType::A),
            LocalZoneType::BlockAaaa | LocalZoneType::BlockAaaaWithData => Some(RecordType::AAAA),
            _ => None,
        }
    }

    /// Types whose local data is never looked at (Unbound: `always_*`, `block_a`, `block_aaaa`).
    fn ignores_data(self) -> bool {
        matches!(
            self,
            LocalZoneType::BlockA
                | LocalZoneType::BlockAaaa
                | LocalZoneType::AlwaysTransparent
                | LocalZoneType::AlwaysRefuse
                | LocalZoneType::AlwaysNxdomain
                | LocalZoneType::AlwaysNodata
                | LocalZoneType::AlwaysDeny
                | LocalZoneType::AlwaysNull
        )
    }
}

/// One problem in the local-zone configuration; `origin` says where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalZoneError {
    pub origin: String,
    pub kind: LocalZoneErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalZoneErrorKind {
    /// `local-zone` is `NAME TYPE`.
    BadZoneLine(String),
    BadZoneName(String),
    UnknownZoneType(String),
    BadRecord(String),
    /// `local-data-ptr` is `ADDRESS [TTL] NAME`.
    BadPointer(String),
    /// Unbound: local data in a redirect zone must be at the apex.
    RedirectDataBelowApex(String),
    /// Unbound: a redirect apex holds a CNAME or other data, not both.
    RedirectCnameAndOther(String),
    /// `local-zone-tag` / `local-zone-override` name a zone that is not configured.
    NoSuchZone {
        key: &'static str,
        zone: String,
    },
    /// `local-zone-tag ZONE "TAGS"` / `local-zone-override ZONE CIDR TYPE` unreadable.
    BadClientLine {
        key: &'static str,
        reason: String,
    },
}

impl fmt::Display for LocalZoneError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: ", self.origin)?;
        match &self.kind {
            LocalZoneErrorKind::BadZoneLine(text) => {
                write!(formatter, "local-zone {text:?}: expected NAME TYPE")
            }
            LocalZoneErrorKind::BadZoneName(text) => {
                write!(formatter, "local-zone: invalid name {text:?}")
            }
            LocalZoneErrorKind::UnknownZoneType(text) => write!(
                formatter,
                "local-zone: unknown type {text:?} (static, transparent, typetransparent, redirect, refuse, deny, inform, inform_deny, always_transparent, always_refuse, always_nxdomain, always_nodata, always_deny, always_null, nodefault)"
            ),
            LocalZoneErrorKind::BadRecord(text) => {
                write!(formatter, "local-data: cannot read {text}")
            }
            LocalZoneErrorKind::BadPointer(text) => write!(
                formatter,
                "local-data-ptr {text:?}: expected ADDRESS [TTL] NAME"
            ),
            LocalZoneErrorKind::RedirectDataBelowApex(text) => write!(
                formatter,
                "local-data {text:?}: data in a redirect zone must be at its apex"
            ),
            LocalZoneErrorKind::RedirectCnameAndOther(text) => write!(
                formatter,
                "local-data {text:?}: a redirect zone's apex holds a CNAME or other data, not both"
            ),
            LocalZoneErrorKind::NoSuchZone { key, zone } => {
                write!(formatter, "{key}: no local-zone {zone:?} to apply it to")
            }
            LocalZoneErrorKind::BadClientLine { key, reason } => {
                write!(formatter, "{key}: {reason}")
            }
        }
    }
}

impl std::error::Error for LocalZoneError {}

/// A configuration line with where it came from (`file:line` or `--flag`), for errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigLine {
    pub text: String,
    pub origin: String,
}

impl ConfigLine {
    pub fn new(text: impl Into<String>, origin: impl Into<String>) -> ConfigLine {
        ConfigLine {
            text: text.into(),
            origin: origin.into(),
        }
    }
}

/// The records at one name of a local zone; an empty list is an empty non-terminal.
#[derive(Clone, Debug, Default)]
struct Node {
    rrsets: Vec<Vec<Record>>,
}

impl Node {
    /// The RRset of `record_type`, or a CNAME (Unbound `local_data_find_type` with alias_ok).
    fn find(&self, record_type: RecordType) -> Option<&[Record]> {
        self.rrsets
            .iter()
            .find(|rrset| rrset_type(rrset) == Some(record_type))
            .or_else(|| {
                self.rrsets
                    .iter()
                    .find(|rrset| rrset_type(rrset) == Some(RecordType::CNAME))
            })
            .map(Vec::as_slice)
    }
}

fn rrset_type(rrset: &[Record]) -> Option<RecordType> {
    rrset.first().map(Record::record_type)
}

/// One local zone: its name, type, apex SOA and data by lowercase wire name.
#[derive(Clone, Debug)]
pub struct LocalZone {
    pub name: Name,
    pub zone_type: LocalZoneType,
    /// `local-zone-tag`: when set, only clients holding one of these tags see the zone.
    pub tags: TagSet,
    /// `local-zone-override`: the type for clients in a netblock (the most specific wins).
    pub overrides: Vec<(Cidr, LocalZoneType)>,
    soa: Option<Record>,
    nodes: HashMap<Vec<u8>, Node, ahash::RandomState>,
}

/// What the local zones make of a question.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LocalLookup<'table> {
    /// Not ours: resolve it.
    Resolve,
    /// Send nothing (deny).
    Drop,
    /// REFUSED, authoritative.
    Refused,
    /// These records, answered authoritatively; `rename` puts the question's name on them
    /// (redirect zones, like a wildcard).
    Data {
        records: &'table [Record],
        rename: bool,
    },
    /// NXDOMAIN (`nxdomain`) or NODATA, with the zone's SOA in the authority section if it has one.
    Negative {
        zone: &'table LocalZone,
        nxdomain: bool,
    },
    /// always_null: 0.0.0.0 or :: at the question's name.
    Null(RecordType),
}

/// Every local zone, built once; answers lookups without parsing or allocating.
#[derive(Clone, Debug, Default)]
pub struct LocalZoneTable {
    /// Key: the lowercase wire name followed by the class (big-endian), so that a suffix of a
    /// name's buffer with the class appended is a key.
    /// ahash with per-process random keys: SipHash of each suffix of every question's name was
    /// a sixth of a cache hit's instructions.
    zones: HashMap<Vec<u8>, LocalZone, ahash::RandomState>,
    /// The most labels any zone has: a question's longer suffixes are never looked up.
    deepest_labels: usize,
    /// Some zone has tags or overrides: answers depend on who asks.
    client_dependent: bool,
}

/// Lowercase wire form: label lengths are below 64, so ASCII lowercasing leaves them intact.
fn lowercase_wire(name: &Name) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(MAX_NAME_BYTES);
    write_name(&mut bytes, name)?;
    bytes.make_ascii_lowercase();
    Some(bytes)
}

/// The labels of an uncompressed wire name, the root not counted; bounded by the bytes.
fn label_count(wire: &[u8]) -> usize {
    let mut count = 0;
    let mut position = 0;
    while let Some(&label) = wire.get(position) {
        if label == 0 {
            break;
        }
        count += 1;
        position += 1 + usize::from(label);
    }
    count
}

fn zone_key(name_wire: &[u8], class: DNSClass) -> Vec<u8> {
    let mut key = name_wire.to_vec();
    key.extend_from_slice(&u16::from(class).to_be_bytes());
    key
}

/// The text of a name as Unbound reads it: absolute whether or not it ends in a dot.
fn parse_absolute_name(text: &str) -> Option<Name> {
    let text = unquote(text.trim());
    let mut name = Name::from_ascii(text).ok()?;
    name.set_fqdn(true);
    Some(name)
}

/// unbound.conf values may be in double or single quotes.
pub fn unquote(text: &str) -> &str {
    let text = text.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = text
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner;
        }
    }
    text
}

impl LocalZoneTable {
    /// Builds the table in Unbound's order (`local_zones_apply_cfg`): the configured zones, then
    /// the defaults not overridden, then an implicit transparent zone covering data without one,
    /// then the data. Every error is reported, not just the first.
    pub fn build(
        zone_lines: &[ConfigLine],
        data_lines: &[ConfigLine],
        pointer_lines: &[ConfigLine],
        defaults: &[(Name, LocalZoneType, Vec<Record>)],
    ) -> Result<LocalZoneTable, Vec<LocalZoneError>> {
        let mut errors = Vec::new();
        let mut table = LocalZoneTable::default();
        for line in zone_lines {
            let text = unquote(&line.text);
            let error = |kind| LocalZoneError {
                origin: line.origin.clone(),
                kind,
            };
            let mut words = text.split_whitespace();
            let (Some(name), Some(zone_type), None) = (words.next(), words.next(), words.next())
            else {
                errors.push(error(LocalZoneErrorKind::BadZoneLine(text.to_owned())));
                continue;
            };
            let Some(name) = parse_absolute_name(name) else {
                errors.push(error(LocalZoneErrorKind::BadZoneName(name.to_owned())));
                continue;
            };
            let Some(zone_type) = LocalZoneType::parse(unquote(zone_type)) else {
                errors.push(error(LocalZoneErrorKind::UnknownZoneType(
                    zone_type.to_owned(),
                )));
                continue;
            };
            // A duplicate keeps the first (Unbound warns "duplicate local-zone" and does so too).
            table.add_zone(name, zone_type, DNSClass::IN);
        }
        let mut records = Vec::new();
        for line in data_lines {
            match parse_record(unquote(&line.text)) {
                Ok(record) => records.push((record, line)),
                Err(error) => errors.push(LocalZoneError {
                    origin: line.origin.clone(),
                    kind: LocalZoneErrorKind::BadRecord(error.to_string()),
                }),
            }
        }
        for line in pointer_lines {
            match pointer_record(unquote(&line.text)) {
                Some(record) => records.push((record, line)),
                None => errors.push(LocalZoneError {
                    origin: line.origin.clone(),
                    kind: LocalZoneErrorKind::BadPointer(line.text.clone()),
                }),
            }
        }
        for (name, zone_type, data) in defaults {
            if table.find_exact(name, DNSClass::IN).is_some() {
                continue;
            }
            table.add_zone(name.clone(), *zone_type, DNSClass::IN);
            for record in data {
                // Built-in data cannot break a rule; an error here would be ours, so it is skipped.
                let _ = table.add_record(record.clone());
            }
        }
        table.add_implicit_zones(records.iter().map(|(record, _)| record));
        for (record, line) in records {
            if let Err(kind) = table.add_record(record) {
                errors.push(LocalZoneError {
                    origin: line.origin.clone(),
                    kind,
                });
            }
        }
        if errors.is_empty() {
            Ok(table)
        } else {
            Err(errors)
        }
    }

    pub fn zone_count(&self) -> usize {
        self.zones.len()
    }

    pub fn zones(&self) -> impl Iterator<Item = &LocalZone> {
        self.zones.values()
    }

    /// `local-zone-tag: ZONE "TAGS"` and `local-zone-override: ZONE CIDR TYPE`, applied to the
    /// built zones (Unbound `lz_enter_zone_tags`, `lz_enter_overrides`); every error reported.
    pub fn apply_client_rules(
        &mut self,
        zone_tags: &[ConfigLine],
        overrides: &[ConfigLine],
        names: &TagNames,
    ) -> Vec<LocalZoneError> {
        let mut errors = Vec::new();
        for (key, line) in zone_tags
            .iter()
            .map(|line| ("local-zone-tag", line))
            .chain(overrides.iter().map(|line| ("local-zone-override", line)))
        {
            let error = |kind| LocalZoneError {
                origin: line.origin.clone(),
                kind,
            };
            let bad = |reason: String| error(LocalZoneErrorKind::BadClientLine { key, reason });
            let text = line.text.trim();
            let Some((zone_text, rest)) = text.split_once(char::is_whitespace) else {
                errors.push(bad(format!("{text:?}: expected ZONE and a value")));
                continue;
            };
            let zone = parse_absolute_name(zone_text)
                .and_then(|name| lowercase_wire(&name))
                .and_then(|wire| self.zones.get_mut(&zone_key(&wire, DNSClass::IN)));
            let Some(zone) = zone else {
                errors.push(error(LocalZoneErrorKind::NoSuchZone {
                    key,
                    zone: unquote(zone_text).to_owned(),
                }));
                continue;
            };
            if key == "local-zone-tag" {
                match names.set(rest) {
                    Ok(tags) => zone.tags = tags,
                    Err(tag_error) => errors.push(bad(tag_error.to_string())),
                }
                continue;
            }
            let mut words = rest.split_whitespace();
            let (Some(cidr), Some(zone_type), None) = (words.next(), words.next(), words.next())
            else {
                errors.push(bad(format!("{text:?}: expected ZONE CIDR TYPE")));
                continue;
            };
            let cidr = match unquote(cidr).parse::<Cidr>() {
                Ok(cidr) => cidr,
                Err(cidr_error) => {
                    errors.push(bad(cidr_error.to_string()));
                    continue;
                }
            };
            match LocalZoneType::parse(unquote(zone_type)) {
                Some(zone_type) => {
                    zone.overrides.retain(|(known, _)| *known != cidr);
                    zone.overrides.push((cidr, zone_type));
                }
                None => errors.push(bad(format!("unknown local-zone type {zone_type:?}"))),
            }
        }
        self.client_dependent = self
            .zones
            .values()
            .any(|zone| !zone.tags.is_empty() || !zone.overrides.is_empty());
        errors
    }

    /// Whether some zone's answer depends on the client (tags, overrides).
    pub fn is_client_dependent(&self) -> bool {
        self.client_dependent
    }

    fn add_zone(&mut self, name: Name, zone_type: LocalZoneType, class: DNSClass) {
        let Some(wire) = lowercase_wire(&name) else {
            return;
        };
        self.deepest_labels = self.deepest_labels.max(name.iter().count());
        self.zones
            .entry(zone_key(&wire, class))
            .or_insert_with(|| LocalZone {
                name: name.to_lowercase(),
                zone_type,
                tags: TagSet::default(),
                overrides: Vec::new(),
                soa: None,
                nodes: HashMap::default(),
            });
    }

    fn find_exact(&self, name: &Name, class: DNSClass) -> Option<&LocalZone> {
        let wire = lowercase_wire(name)?;
        self.zones.get(&zone_key(&wire, class))
    }

    /// Unbound `lz_setup_implicit`: data outside every zone of its class but inside a
    /// configured (IN) zone gets that zone's name and type in its own class; other data gets one
    /// transparent zone at the closest name enclosing all of it (per class).
    fn add_implicit_zones<'a>(&mut self, records: impl Iterator<Item = &'a Record> + Clone) {
        let mut classes: Vec<DNSClass> = Vec::new();
        for record in records.clone() {
            if !classes.contains(&record.dns_class) {
                classes.push(record.dns_class);
            }
        }
        for class in classes {
            let mut common: Option<Name> = None;
            for record in records.clone().filter(|record| record.dns_class == class) {
                let Some(wire) = lowercase_wire(&record.name) else {
                    continue;
                };
                if self
                    .closest_zone(&wire, class, record.record_type())
                    .is_some()
                {
                    continue;
                }
                let in_zone = self
                    .closest_zone(&wire, DNSClass::IN, record.record_type())
                    .map(|zone| (zone.name.clone(), zone.zone_type));
                if let Some((name, zone_type)) = in_zone {
                    self.add_zone(name, zone_type, class);
                    continue;
                }
                let name = record.name.to_lowercase();
                common = Some(match common {
                    None => name,
                    Some(known) => common_ancestor(&known, &name),
                });
            }
            if let Some(name) = common {
                self.add_zone(name, LocalZoneType::Transparent, class);
            }
        }
    }

    fn add_record(&mut self, record: Record) -> Result<(), LocalZoneErrorKind> {
        let text = record.to_string();
        let wire = lowercase_wire(&record.name)
            .ok_or_else(|| LocalZoneErrorKind::BadRecord(text.clone()))?;
        let class = record.dns_class;
        let zone_key = self
            .closest_zone_key(&wire, class, record.record_type())
            .ok_or_else(|| LocalZoneErrorKind::BadRecord(text.clone()))?;
        let Some(zone) = self.zones.get_mut(&zone_key) else {
            return Err(LocalZoneErrorKind::BadRecord(text));
        };
        let apex = zone_key
            .get(..zone_key.len().saturating_sub(2))
            .unwrap_or(&[]);
        let at_apex = wire == apex;
        if zone.zone_type == LocalZoneType::Redirect && !at_apex {
            return Err(LocalZoneErrorKind::RedirectDataBelowApex(text));
        }
        let record_type = record.record_type();
        // Empty non-terminals between the apex and the name exist (Unbound lz_find_create_node).
        let mut position = 0;
        while let Some(&length) = wire.get(position) {
            let suffix = wire.get(position..).unwrap_or(&[]);
            if suffix.len() <= apex.len() || length == 0 {
                break;
            }
            zone.nodes.entry(suffix.to_vec()).or_default();
            position += 1 + usize::from(length);
        }
        let node = zone.nodes.entry(wire).or_default();
        if zone.zone_type == LocalZoneType::Redirect && !node.rrsets.is_empty() {
            let has_cname = node
                .rrsets
                .iter()
                .any(|rrset| rrset_type(rrset) == Some(RecordType::CNAME));
            if record_type == RecordType::CNAME || has_cname {
                return Err(LocalZoneErrorKind::RedirectCnameAndOther(text));
            }
        }
        if at_apex && record_type == RecordType::SOA && zone.soa.is_none() {
            zone.soa = Some(record.clone());
        }
        match node
            .rrsets
            .iter_mut()
            .find(|rrset| rrset_type(rrset) == Some(record_type))
        {
            Some(rrset) => {
                let duplicate = rrset.iter().any(|known| known.data == record.data);
                if !duplicate && rrset.len() < MAX_LOCAL_RRSET_RECORDS {
                    rrset.push(record);
                }
            }
            None => node.rrsets.push(vec![record]),
        }
        Ok(())
    }

    /// The key of the closest zone at or above `wire` (a lowercase wire name) in `class`; for DS,
    /// above the name's parent, as DS lives on the parent side (Unbound `local_zones_lookup`).
    fn closest_zone_key(
        &self,
        wire: &[u8],
        class: DNSClass,
        record_type: RecordType,
    ) -> Option<Vec<u8>> {
        let mut buffer = [0u8; MAX_NAME_BYTES + 2];
        let zone = self.closest_in_buffer(wire, class, record_type, &mut buffer)?;
        let wire = lowercase_wire(&zone.name)?;
        Some(zone_key(&wire, class))
    }

    fn closest_zone(
        &self,
        wire: &[u8],
        class: DNSClass,
        record_type: RecordType,
    ) -> Option<&LocalZone> {
        let mut buffer = [0u8; MAX_NAME_BYTES + 2];
        self.closest_in_buffer(wire, class, record_type, &mut buffer)
    }

    /// The walk itself: `buffer` receives the lowercased name and the class, and each label
    /// boundary's suffix is looked up; nothing is allocated.
    fn closest_in_buffer(
        &self,
        wire: &[u8],
        class: DNSClass,
        record_type: RecordType,
        buffer: &mut [u8; MAX_NAME_BYTES + 2],
    ) -> Option<&LocalZone> {
        self.closest_seen_in_buffer(wire, class, record_type, buffer, |_| true)
    }

    /// As `closest_in_buffer`, skipping zones `seen` rejects (Unbound
    /// `local_zones_tags_lookup`: a tagged zone a client does not share a tag with is passed
    /// over for the zone above it).
    fn closest_seen_in_buffer(
        &self,
        wire: &[u8],
        class: DNSClass,
        record_type: RecordType,
        buffer: &mut [u8; MAX_NAME_BYTES + 2],
        seen: impl Fn(&LocalZone) -> bool,
    ) -> Option<&LocalZone> {
        if self.zones.is_empty() || wire.len() > MAX_NAME_BYTES {
            return None;
        }
        let length = wire.len();
        let name = buffer.get_mut(..length)?;
        name.copy_from_slice(wire);
        name.make_ascii_lowercase();
        let class_bytes = u16::from(class).to_be_bytes();
        buffer
            .get_mut(length..length + 2)?
            .copy_from_slice(&class_bytes);
        let mut position = 0;
        if record_type == RecordType::DS && buffer.first().is_some_and(|&first| first != 0) {
            position = 1 + usize::from(*buffer.first()?);
        }
        // Suffixes with more labels than the deepest zone cannot be zones: skipped unhashed.
        let mut labels = label_count(buffer.get(position..length)?);
        while labels > self.deepest_labels {
            position += 1 + usize::from(*buffer.get(position)?);
            labels -= 1;
        }
        loop {
            let label = *buffer.get(position)?;
            if let Some(zone) = self.zones.get(buffer.get(position..length + 2)?) {
                if seen(zone) {
                    return Some(zone);
                }
            }
            if label == 0 {
                return None;
            }
            position += 1 + usize::from(label);
        }
    }

    /// Unbound `local_zones_answer` for a question whose name is `wire` (wire form, any case).
    pub fn lookup(&self, wire: &[u8], class: DNSClass, record_type: RecordType) -> LocalLookup<'_> {
        self.lookup_for(wire, class, record_type, &ClientView::ANYONE)
    }

    /// `lookup` for one client: zones tagged for others are skipped, and the client's
    /// `local-zone-override` or tag action replaces the zone's type (Unbound `lz_type`); a
    /// redirect answers from the client's tag data first (`local_data_answer`).
    pub fn lookup_for<'a>(
        &'a self,
        wire: &[u8],
        class: DNSClass,
        record_type: RecordType,
        client: &ClientView<'a>,
    ) -> LocalLookup<'a> {
        let mut buffer = [0u8; MAX_NAME_BYTES + 2];
        let zone = if self.client_dependent {
            self.closest_seen_in_buffer(wire, class, record_type, &mut buffer, |zone| {
                client.sees(zone)
            })
        } else {
            self.closest_in_buffer(wire, class, record_type, &mut buffer)
        };
        let Some(zone) = zone else {
            return LocalLookup::Resolve;
        };
        let lowercase = buffer.get(..wire.len()).unwrap_or(&[]);
        let (zone_type, tag) = if self.client_dependent {
            client.zone_type(zone)
        } else {
            (zone.zone_type, None)
        };
        if zone_type == LocalZoneType::Redirect {
            if let Some(records) = tag.and_then(|tag| client.tag_data(tag, record_type)) {
                return LocalLookup::Data {
                    records,
                    rename: true,
                };
            }
        }
        if matches!(zone_type, LocalZoneType::Inform | LocalZoneType::InformDeny) {
            tracing::info!(zone = %zone.name, "inform: local zone asked for");
        }
        let mut node = None;
        if !zone_type.ignores_data() {
            let key = if zone_type == LocalZoneType::Redirect {
                let apex_length = buffer_apex_length(zone);
                lowercase.get(wire.len().saturating_sub(apex_length)..)
            } else {
                Some(lowercase)
            };
            node = key.and_then(|key| zone.nodes.get(key));
            if let Some(records) = node.and_then(|node| node.find(record_type)) {
                return LocalLookup::Data {
                    records,
                    rename: zone_type == LocalZoneType::Redirect,
                };
            }
        }
        match zone_type {
            LocalZoneType::Deny | LocalZoneType::InformDeny | LocalZoneType::AlwaysDeny => {
                LocalLookup::Drop
            }
            LocalZoneType::Refuse | LocalZoneType::AlwaysRefuse => LocalLookup::Refused,
            LocalZoneType::Static | LocalZoneType::Redirect | LocalZoneType::AlwaysNxdomain => {
                LocalLookup::Negative {
                    zone,
                    nxdomain: node.is_none() && zone_type != LocalZoneType::Redirect,
                }
            }
            LocalZoneType::AlwaysNodata => LocalLookup::Negative {
                zone,
                nxdomain: false,
            },
            LocalZoneType::AlwaysNull => match record_type {
                RecordType::A | RecordType::AAAA => LocalLookup::Null(record_type),
                _ => LocalLookup::Negative {
                    zone,
                    nxdomain: false,
                },
            },
            LocalZoneType::TypeTransparent | LocalZoneType::AlwaysTransparent => {
                LocalLookup::Resolve
            }
            LocalZoneType::BlockA
            | LocalZoneType::BlockAaaa
            | LocalZoneType::BlockAWithData
            | LocalZoneType::BlockAaaaWithData => {
                if zone_type.blocked_type() == Some(record_type) {
                    LocalLookup::Negative {
                        zone,
                        nxdomain: false,
                    }
                } else {
                    LocalLookup::Resolve
                }
            }
            LocalZoneType::Transparent | LocalZoneType::Inform | LocalZoneType::Nodefault => {
                if node.is_some_and(|node| !node.rrsets.is_empty()) {
                    LocalLookup::Negative {
                        zone,
                        nxdomain: false,
                    }
                } else {
                    LocalLookup::Resolve
                }
            }
        }
    }
}

/// Zones are equal when they are the same zone: one name, one type, in one table.
impl PartialEq for LocalZone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.zone_type == other.zone_type
    }
}

impl LocalZone {
    /// The apex SOA, for negative answers.
    pub fn soa(&self) -> Option<&Record> {
        self.soa.as_ref()
    }
}

/// The apex name's wire length (the zone name is stored lowercase).
fn buffer_apex_length(zone: &LocalZone) -> usize {
    zone.name.iter().map(|label| label.len() + 1).sum::<usize>() + 1
}

/// The closest name enclosing both (`zone_of`: at or above).
fn common_ancestor(left: &Name, right: &Name) -> Name {
    let mut ancestor = left.clone();
    while !ancestor.zone_of(right) && !ancestor.is_root() {
        ancestor = ancestor.base_name();
    }
    ancestor
}

/// `local-data-ptr: "ADDRESS [TTL] NAME"`: a PTR at the address's reverse name.
fn pointer_record(text: &str) -> Option<Record> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let (address, ttl, target) = match words.as_slice() {
        [address, target] => (*address, 3600, *target),
        [address, ttl, target] => (*address, ttl.parse().ok()?, *target),
        _ => return None,
    };
    let address: IpAddr = address.parse().ok()?;
    let owner = reverse_name(address)?;
    let target = parse_absolute_name(target)?;
    Some(Record::from_rdata(owner, ttl, RData::PTR(PTR(target))))
}

/// RFC 1035 §3.5 / RFC 3596 §2.5 reverse names.
fn reverse_name(address: IpAddr) -> Option<Name> {
    let text = match address {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa.")
        }
        IpAddr::V6(v6) => {
            let mut text = String::with_capacity(73);
            for byte in v6.octets().iter().rev() {
                text.push_str(&format!("{:x}.{:x}.", byte & 0x0f, byte >> 4));
            }
            text.push_str("ip6.arpa.");
            text
        }
    };
    Name::from_ascii(text).ok()
}

/// The records always_null answers with.
pub fn null_record(name: Name, record_type: RecordType, ttl: u32) -> Option<Record> {
    let data = match record_type {
        RecordType::A => RData::A(A::new(0, 0, 0, 0)),
        RecordType::AAAA => RData::AAAA(AAAA::new(0, 0, 0, 0, 0, 0, 0, 0)),
        _ => return None,
    };
    Some(Record::from_rdata(name, ttl, data))
}

/// The SOA shown in a negative answer lives min(TTL, MINIMUM) (RFC 2308 §3), as Unbound's does.
pub fn negative_soa(soa: &Record) -> Record {
    let mut record = soa.clone();
    if let RData::SOA(data) = &soa.data {
        record.ttl = soa.ttl.min(data.minimum);
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(texts: &[&str]) -> Vec<ConfigLine> {
        texts
            .iter()
            .enumerate()
            .map(|(index, text)| ConfigLine::new(*text, format!("test:{}", index + 1)))
            .collect()
    }

    fn wire(text: &str) -> Vec<u8> {
        let mut bytes = Vec::new();
        write_name(&mut bytes, &Name::from_ascii(text).unwrap()).unwrap();
        bytes
    }

    fn table(zones: &[&str], data: &[&str]) -> LocalZoneTable {
        LocalZoneTable::build(&lines(zones), &lines(data), &[], &[]).unwrap()
    }

    #[test]
    fn tagged_zones_are_skipped_for_other_clients_and_overrides_and_tag_actions_apply() {
        use crate::server::access::AccessRule;
        use crate::server::access::{AccessAction, Cidr};
        let mut table = table(
            &[
                "example. static",
                "d.example. static",
                "o.example. transparent",
            ],
            &["d.example. TXT \"data 1\"", "example. TXT \"data 0\""],
        );
        let names = TagNames::define(["tag1 tag2"]).unwrap();
        let errors = table.apply_client_rules(
            &lines(&["d.example. \"tag1 tag2\""]),
            &lines(&["o.example. 10.0.0.0/8 refuse", "missing. 10.0.0.0/8 refuse"]),
            &names,
        );
        assert_eq!(
            errors.len(),
            1,
            "the override of a zone that is not there: {errors:?}"
        );
        assert!(table.is_client_dependent());
        let cidr = |text: &str| text.parse::<Cidr>().unwrap();
        let mut tagged = AccessRule::new(cidr("10.1.1.1"), AccessAction::Allow);
        tagged.tags = names.set("tag2").unwrap();
        tagged.tag_actions = vec![(1, LocalZoneType::AlwaysRefuse)];
        let address = "10.1.1.1".parse().unwrap();
        let with_tag = ClientView::of(address, Some(&tagged));
        let without = ClientView::of(address, None);
        let table = &table;
        fn lookup<'a>(
            table: &'a LocalZoneTable,
            client: &ClientView<'a>,
            name: &str,
        ) -> LocalLookup<'a> {
            table.lookup_for(&wire(name), DNSClass::IN, RecordType::TXT, client)
        }
        assert_eq!(
            lookup(table, &with_tag, "d.example."),
            LocalLookup::Refused,
            "tag action"
        );
        // Untagged, the client sees the zone above: example.'s data is not at d.example.
        assert!(matches!(
            lookup(table, &without, "d.example."),
            LocalLookup::Negative { nxdomain: true, .. }
        ));
        assert_eq!(
            lookup(table, &without, "www.o.example."),
            LocalLookup::Refused,
            "override"
        );
        assert_eq!(
            table.lookup(&wire("www.o.example."), DNSClass::IN, RecordType::TXT),
            LocalLookup::Resolve
        );
    }

    #[test]
    fn static_zone_answers_data_nodata_and_nxdomain_with_soa() {
        let table = table(
            &["local static"],
            &[
                "local SOA nobody nobody 1 2 3 4 5",
                "serv.local. A 20.30.40.50",
                "bla.bla.local. A 20.30.40.51",
                "bla.bla.local. A 20.30.40.52",
            ],
        );
        let a = table.lookup(&wire("BLA.bla.local."), DNSClass::IN, RecordType::A);
        assert!(matches!(a, LocalLookup::Data { records, rename: false } if records.len() == 2));
        let nodata = table.lookup(&wire("serv.local."), DNSClass::IN, RecordType::MX);
        assert!(matches!(
            nodata,
            LocalLookup::Negative {
                nxdomain: false,
                ..
            }
        ));
        // bla.local. is an empty non-terminal: NODATA, not NXDOMAIN.
        let empty = table.lookup(&wire("bla.local."), DNSClass::IN, RecordType::MX);
        assert!(matches!(
            empty,
            LocalLookup::Negative {
                nxdomain: false,
                ..
            }
        ));
        let missing = table.lookup(&wire("doing.local."), DNSClass::IN, RecordType::MX);
        let LocalLookup::Negative {
            zone,
            nxdomain: true,
        } = missing
        else {
            panic!("{missing:?}")
        };
        assert_eq!(negative_soa(zone.soa().unwrap()).ttl, 5);
        assert_eq!(
            table.lookup(&wire("example.com."), DNSClass::IN, RecordType::A),
            LocalLookup::Resolve
        );
    }

    #[test]
    fn block_a_zones_answer_nodata_for_their_type_and_resolve_the_rest() {
        let table = table(
            &["example1.com. block_a", "example4.com. block_aaaa_wdata"],
            &["b.example4.com. A 1.2.3.5", "b.example4.com. AAAA 1:2:3::5"],
        );
        let nodata = |name: &str, record_type| {
            matches!(
                table.lookup(&wire(name), DNSClass::IN, record_type),
                LocalLookup::Negative {
                    nxdomain: false,
                    ..
                }
            )
        };
        assert!(nodata("a.example1.com.", RecordType::A));
        assert!(nodata("a.example4.com.", RecordType::AAAA));
        for (name, record_type) in [
            ("a.example1.com.", RecordType::AAAA),
            ("a.example4.com.", RecordType::A),
        ] {
            assert_eq!(
                table.lookup(&wire(name), DNSClass::IN, record_type),
                LocalLookup::Resolve
            );
        }
        // _wdata: local data answers first, the blocked type included.
        for record_type in [RecordType::A, RecordType::AAAA] {
            assert!(matches!(
                table.lookup(&wire("b.example4.com."), DNSClass::IN, record_type),
                LocalLookup::Data { .. }
            ));
        }
    }

    #[test]
    fn data_of_another_class_inside_a_zone_gets_that_zones_type_in_its_class() {
        let table = table(
            &["refuse.top. refuse"],
            &["refuse.top. ANY TXT implicit_non_transparent"],
        );
        assert!(matches!(
            table.lookup(&wire("refuse.top."), DNSClass::ANY, RecordType::TXT),
            LocalLookup::Data { .. }
        ));
        assert_eq!(
            table.lookup(&wire("www.refuse.top."), DNSClass::ANY, RecordType::A),
            LocalLookup::Refused
        );
    }

    #[test]
    fn transparent_and_typetransparent_differ_on_other_types() {
        let transparent = table(
            &["example.com. transparent"],
            &["mail.example.com. IN A 10.20.30.40"],
        );
        let typetransparent = table(
            &["example.com. typetransparent"],
            &["mail.example.com. IN A 10.20.30.40"],
        );
        let name = wire("mail.example.com.");
        assert!(matches!(
            transparent.lookup(&name, DNSClass::IN, RecordType::AAAA),
            LocalLookup::Negative {
                nxdomain: false,
                ..
            }
        ));
        assert_eq!(
            typetransparent.lookup(&name, DNSClass::IN, RecordType::AAAA),
            LocalLookup::Resolve
        );
        for table in [&transparent, &typetransparent] {
            assert!(matches!(
                table.lookup(&name, DNSClass::IN, RecordType::A),
                LocalLookup::Data { .. }
            ));
            assert_eq!(
                table.lookup(&wire("www.example.com."), DNSClass::IN, RecordType::A),
                LocalLookup::Resolve
            );
        }
    }

    #[test]
    fn redirect_answers_every_name_below_with_the_apex_data() {
        let table = table(
            &["redirect.top. redirect"],
            &["redirect.top. A 20.30.40.54"],
        );
        let answer = table.lookup(&wire("a.b.redirect.top."), DNSClass::IN, RecordType::A);
        assert!(matches!(answer, LocalLookup::Data { rename: true, .. }));
        let nodata = table.lookup(&wire("a.redirect.top."), DNSClass::IN, RecordType::MX);
        assert!(matches!(
            nodata,
            LocalLookup::Negative {
                nxdomain: false,
                ..
            }
        ));
        let below = LocalZoneTable::build(
            &lines(&["redirect.top. redirect"]),
            &lines(&["www.redirect.top. A 1.2.3.4"]),
            &[],
            &[],
        );
        let errors = below.unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].to_string().starts_with("test:1: "),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn refuse_deny_nxdomain_and_null_zones() {
        let table = table(
            &[
                "refuse.top refuse",
                "deny.top deny",
                "nx.top always_nxdomain",
                "null.top always_null",
            ],
            &["ok.refuse.top. A 1.2.3.4", "ok.nx.top. A 1.2.3.4"],
        );
        let lookup = |name: &str, record_type| table.lookup(&wire(name), DNSClass::IN, record_type);
        assert_eq!(
            lookup("www.refuse.top.", RecordType::A),
            LocalLookup::Refused
        );
        assert!(matches!(
            lookup("ok.refuse.top.", RecordType::A),
            LocalLookup::Data { .. }
        ));
        assert_eq!(lookup("www.deny.top.", RecordType::A), LocalLookup::Drop);
        assert!(matches!(
            lookup("ok.nx.top.", RecordType::A),
            LocalLookup::Negative { nxdomain: true, .. }
        ));
        assert_eq!(
            lookup("a.null.top.", RecordType::AAAA),
            LocalLookup::Null(RecordType::AAAA)
        );
        assert!(matches!(
            lookup("a.null.top.", RecordType::MX),
            LocalLookup::Negative {
                nxdomain: false,
                ..
            }
        ));
    }

    #[test]
    fn data_without_a_zone_makes_one_transparent_zone_over_it_all() {
        let table = table(
            &[],
            &["a.a.implicit. A 20.30.41.50", "b.c.implicit. A 20.30.45.50"],
        );
        assert_eq!(table.zone_count(), 1);
        assert!(matches!(
            table.lookup(&wire("a.a.implicit."), DNSClass::IN, RecordType::A),
            LocalLookup::Data { .. }
        ));
        assert_eq!(
            table.lookup(&wire("x.implicit."), DNSClass::IN, RecordType::A),
            LocalLookup::Resolve
        );
    }

    #[test]
    fn ds_is_looked_up_in_the_parent_zone() {
        let table = table(&["sub.example. static"], &[]);
        assert_eq!(
            table.lookup(&wire("sub.example."), DNSClass::IN, RecordType::DS),
            LocalLookup::Resolve
        );
        assert!(matches!(
            table.lookup(&wire("sub.example."), DNSClass::IN, RecordType::A),
            LocalLookup::Negative { .. }
        ));
    }

    #[test]
    fn pointer_lines_make_reverse_records_and_errors_name_their_origin() {
        let table = LocalZoneTable::build(
            &[],
            &[],
            &lines(&[
                "192.0.2.4 www.example.com",
                "2001:DB8::4 7200 v6.example.com.",
            ]),
            &[],
        )
        .unwrap();
        assert!(matches!(
            table.lookup(
                &wire("4.2.0.192.in-addr.arpa."),
                DNSClass::IN,
                RecordType::PTR
            ),
            LocalLookup::Data { .. }
        ));
        let v6 = "4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.";
        let LocalLookup::Data { records, .. } =
            table.lookup(&wire(v6), DNSClass::IN, RecordType::PTR)
        else {
            panic!("no v6 PTR")
        };
        assert_eq!(records[0].ttl, 7200);
        let errors = LocalZoneTable::build(
            &lines(&["example. nosuch", "x"]),
            &lines(&["bad"]),
            &[],
            &[],
        )
        .unwrap_err();
        let origins: Vec<&str> = errors.iter().map(|error| error.origin.as_str()).collect();
        assert_eq!(origins, ["test:1", "test:2", "test:1"]);
    }
}
