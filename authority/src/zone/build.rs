//! Checks a zone's records as a whole and prepares the lookup structure (`Zone`) once, at load.
//! Every problem is reported with its line; nothing here runs per query.

use std::collections::HashSet;
use std::sync::Arc;

use hickory_proto::rr::rdata::{NS, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::limits::{MAX_ERRORS_PER_FILE, MAX_VALUES_PER_RECORD};
use crate::zone::error::{ZoneError, ZoneErrorKind, ZoneWarning, ZoneWarningKind};
use crate::zone::name_table::{
    canonical_key, canonical_key_of_wire, write_canonical_key_of_wire, NameTable,
};
use crate::zone::prepared::{CompactList, RecordSet, ServedSet, ServedSets, Zone, ZoneNode};
use crate::zone::record_set::{OneRecord, RecordSetBuilder, UnencodableRecord};
use crate::zone::yaml_zone::{ReadZone, SourceRecord};

/// Timers of the SOA we make when a file has none. The serial is 1 (the file has no history);
/// refresh/retry/expire follow RIPE-203's recommendations scaled for a small zone, and the
/// negative-caching minimum of 300 s keeps NXDOMAIN short-lived (RFC 2308 §5 suggests 1–3 h;
/// a zone kept in git changes often).
pub const DEFAULT_SOA_SERIAL: u32 = 1;
pub const DEFAULT_SOA_REFRESH: i32 = 3600;
pub const DEFAULT_SOA_RETRY: i32 = 900;
pub const DEFAULT_SOA_EXPIRE: i32 = 604_800;
pub const DEFAULT_SOA_MINIMUM: u32 = 300;

/// The additional address RRsets found for one RRset: its node's position, its index there.
type AdditionalFor = (usize, usize, CompactList<Arc<RecordSet>>);

/// The lines that introduced the RRsets (node position, type code, line), for messages; only a
/// read with lines has any, so a first read without them keeps nothing here.
#[derive(Default)]
struct SetLines {
    lines: Vec<(usize, u16, u64)>,
}

impl SetLines {
    fn add(&mut self, position: usize, code: u16, line: u64) {
        if line != 0 {
            self.lines.push((position, code, line));
        }
    }

    /// Sorted for `line`, once every set is made.
    fn finish(&mut self) {
        self.lines.sort_unstable();
    }

    fn line(&self, position: usize, code: u16) -> u64 {
        self.lines
            .binary_search_by(|(at, known, _)| (*at, *known).cmp(&(position, code)))
            .ok()
            .and_then(|index| self.lines.get(index))
            .map_or(0, |(_, _, line)| *line)
    }
}

/// A built node as the zone-wide checks read it: its RRsets and the lines that introduced them.
#[derive(Clone, Copy)]
struct Checked<'zone> {
    node: &'zone ZoneNode,
    position: usize,
    lines: &'zone SetLines,
}

/// One RRset of a `Checked` node.
struct CheckedSet<'zone> {
    records: &'zone RecordSet,
    line: u64,
}

impl<'zone> Checked<'zone> {
    fn get(&self, code: &u16) -> Option<CheckedSet<'zone>> {
        self.iter()
            .find(|(known, _)| known == code)
            .map(|(_, set)| set)
    }

    fn contains_key(&self, code: &u16) -> bool {
        self.get(code).is_some()
    }

    fn len(&self) -> usize {
        self.node.sets.len()
    }

    fn iter(&self) -> impl Iterator<Item = (u16, CheckedSet<'zone>)> + 'zone {
        let Checked {
            node,
            position,
            lines,
        } = *self;
        node.sets.iter().map(move |served| {
            let code = u16::from(served.set.record_type);
            let set = CheckedSet {
                records: &served.set,
                line: lines.line(position, code),
            };
            (code, set)
        })
    }

    /// The owner as first written (every set holds at least the record that made it).
    fn owner(&self) -> Option<Name> {
        self.node.sets.first().map(|served| served.set.owner())
    }
}

/// The nodes of `names` as the checks read them, with their keys.
fn checked<'zone>(
    names: &'zone NameTable,
    lines: &'zone SetLines,
) -> impl Iterator<Item = (&'zone [u8], Checked<'zone>)> + 'zone {
    names
        .iter_keys()
        .enumerate()
        .map(move |(position, (key, node))| {
            let node = Checked {
                node,
                position,
                lines,
            };
            (key, node)
        })
}

/// The node under `key`, as the checks read it.
fn checked_by_key<'zone>(
    names: &'zone NameTable,
    lines: &'zone SetLines,
    key: &[u8],
) -> Option<Checked<'zone>> {
    let position = names.position_of_key(key)?;
    let node = names.node_at(position)?;
    Some(Checked {
        node,
        position,
        lines,
    })
}

/// Puts the finished RRsets of the node at `position` (under `key`) in place, in type order.
fn close_node(
    names: &mut NameTable,
    position: usize,
    key: &[u8],
    sets: &mut Vec<(u16, RecordSetBuilder)>,
    previous: Option<&Zone>,
) {
    let served = |records: RecordSetBuilder| ServedSet {
        set: shared_or_new(previous, key, records),
        additional: CompactList::default(),
    };
    let finished = if sets.len() == 1 {
        sets.pop()
            .map(|(_, records)| ServedSets::One(served(records)))
    } else {
        let list: Vec<ServedSet> = sets.drain(..).map(|(_, records)| served(records)).collect();
        Some(ServedSets::from(list))
    };
    if let (Some(node), Some(finished)) = (names.node_at_mut(position), finished) {
        node.sets = finished;
    }
}

/// The finished RRset: `previous`'s own when it holds the same records under the same spelling
/// of the owner and carries no signatures (signing decides about those), else a new one.
fn shared_or_new(previous: Option<&Zone>, key: &[u8], records: RecordSetBuilder) -> Arc<RecordSet> {
    let old = previous
        .and_then(|zone| zone.nodes.get_by_key(key))
        .and_then(|node| node.find(records.record_type()));
    match old {
        Some(old) if old.set.signatures.is_empty() && records.holds_same_as(&old.set) => {
            old.set.clone()
        }
        _ => Arc::new(records.finish()),
    }
}

/// A record hickory could not encode, as a zone error.
fn unencodable_error(unencodable: UnencodableRecord) -> ZoneErrorKind {
    ZoneErrorKind::BadValue {
        record_type: unencodable.record_type.to_string(),
        problem: format!("{}: {}", unencodable.owner, unencodable.reason),
    }
}

/// Checks and prepares one zone. Returns every error found.
pub fn build_zone(read: ReadZone) -> Result<Zone, Vec<ZoneError>> {
    build_zone_with_warnings(read).map(|(zone, _)| zone)
}

/// As `build_zone`, also returning the warnings: the reader's and the zone-wide ones (unequal
/// TTLs in an RRset, in-zone nameservers without addresses).
pub fn build_zone_with_warnings(
    read: ReadZone,
) -> Result<(Zone, Vec<ZoneWarning>), Vec<ZoneError>> {
    build_zone_after(read, None)
}

/// `build_zone_with_warnings` for a zone served until now as `previous` (a reload): each RRset
/// that is byte for byte one of `previous`'s unsigned RRsets is that RRset, shared, not a copy,
/// so a reload that changed a few records holds the old zone and little more.
pub fn build_zone_after(
    read: ReadZone,
    previous: Option<&Zone>,
) -> Result<(Zone, Vec<ZoneWarning>), Vec<ZoneError>> {
    let ReadZone {
        origin,
        file,
        mut records,
        errors: read_errors,
        warnings: read_warnings,
        default_nameservers,
        dnssec: _,
    } = read;
    let mut errors: Vec<ZoneError> = read_errors;
    let mut warnings: Vec<ZoneWarning> = read_warnings;
    let mut warn = |line: u64, kind: ZoneWarningKind| {
        if warnings.len() <= MAX_ERRORS_PER_FILE {
            warnings.push(ZoneWarning {
                file: file.clone(),
                line,
                kind,
            });
        }
    };
    // octoDNS providers add their own apex NS; `--default-ns` stands in for them (line 0: the
    // records come from the command line, not the file).
    let apex_key = canonical_key(&origin);
    let origin_key = apex_key.as_slice();
    let has_apex_ns = records.any(|owner, record_type| {
        record_type == RecordType::NS && canonical_key_of_wire(owner) == origin_key
    });
    if !has_apex_ns {
        for nameserver in &default_nameservers {
            let record = Record::from_rdata(
                origin.clone(),
                crate::zone::yaml_zone::DEFAULT_TTL,
                RData::NS(NS(nameserver.clone())),
            );
            // A name given on the command line always encodes.
            if let Ok(record) = OneRecord::new(&record) {
                records.push(SourceRecord { record, line: 0 });
            }
        }
    }
    let mut report = |line: u64, kind: ZoneErrorKind| {
        if errors.len() <= MAX_ERRORS_PER_FILE {
            errors.push(ZoneError {
                file: file.clone(),
                line,
                kind,
            });
        }
    };
    let origin_text = origin.to_string();

    // Group into RRsets keyed by (owner, type), in type order, straight into the table the zone
    // will keep: case-insensitive through the canonical keys (RFC 4343). A file gives one
    // owner's records together (one YAML key), so only that owner's RRsets are open (growing);
    // they are finished when the next owner starts (and, in a reload, each unchanged one is the
    // served zone's own). An owner met again (another spelling of it) reopens its sets. Sized
    // once: no rehash of a million names.
    let mut names: NameTable = NameTable::with_capacity(records.len());
    let mut set_lines = SetLines::default();
    let mut key = Vec::with_capacity(64);
    let mut open_key: Vec<u8> = Vec::with_capacity(64);
    let mut open_position: Option<usize> = None;
    let mut open_sets: Vec<(u16, RecordSetBuilder)> = Vec::new();
    let mut record_count = 0usize;
    // The list gives back its memory chunk by chunk as the records are taken: the records and
    // their RRsets are never both whole at once.
    for SourceRecord { record, line } in records.into_records() {
        // The key says whether the owner is in the zone: the origin's key is a prefix of the
        // keys of the names at and below it.
        write_canonical_key_of_wire(record.owner_wire(), &mut key);
        if !key.starts_with(origin_key) {
            report(
                line,
                ZoneErrorKind::OutOfZone {
                    owner: record.owner().to_string(),
                    origin: origin_text.clone(),
                },
            );
            continue;
        }
        if open_position.is_none() || open_key != key {
            if let Some(position) = open_position.take() {
                close_node(&mut names, position, &open_key, &mut open_sets, previous);
            }
            let Some(position) = names.position_or_insert_default_key(&key) else {
                // Only past u32::MAX - 1 names, far beyond any memory limit.
                continue;
            };
            if let Some(node) = names.node_at_mut(position) {
                for served in std::mem::take(&mut node.sets).into_vec() {
                    let code = u16::from(served.set.record_type);
                    open_sets.push((code, RecordSetBuilder::from_set(&served.set)));
                }
            }
            open_key.clone_from(&key);
            open_position = Some(position);
        }
        let Some(position) = open_position else {
            continue;
        };
        let code = u16::from(record.record_type());
        let index = match open_sets.binary_search_by_key(&code, |(known, _)| *known) {
            Ok(index) => index,
            Err(index) => {
                open_sets.insert(index, (code, RecordSetBuilder::for_record(&record)));
                set_lines.add(position, code, line);
                index
            }
        };
        let Some((_, pending)) = open_sets.get_mut(index) else {
            continue;
        };
        // RFC 2181 §5: an RRset holds no duplicate records; §5.2: one TTL for all of them.
        let mut ttl = record.ttl();
        if !pending.is_empty() {
            let first_ttl = pending.ttl();
            if first_ttl != ttl {
                let used = first_ttl.min(ttl);
                warn(
                    line,
                    ZoneWarningKind::UnequalTtls {
                        owner: record.owner().to_string(),
                        record_type: record.record_type().to_string(),
                        ttl,
                        used,
                    },
                );
                pending.set_ttl(used);
            }
            ttl = pending.ttl();
        }
        if !pending.push_distinct_one(&record, ttl) {
            continue;
        }
        if pending.len() > MAX_VALUES_PER_RECORD {
            // Several record objects of one type at one owner add up to one RRset; it has the
            // same bound as a single object's `values`.
            if pending.len() == MAX_VALUES_PER_RECORD + 1 {
                let owner = record.owner().to_string();
                report(
                    line,
                    ZoneErrorKind::WrongShape {
                        owner,
                        expected: "at most 4096 values in one RRset",
                    },
                );
            }
            // Kept past the bound so it is reported once (the zone is refused anyway).
            continue;
        }
        record_count += 1;
    }
    if let Some(position) = open_position.take() {
        close_node(&mut names, position, &open_key, &mut open_sets, previous);
    }
    set_lines.finish();
    let names_checked = || checked(&names, &set_lines).map(|(_, node)| node);

    let soa_code = u16::from(RecordType::SOA);
    let ns_code = u16::from(RecordType::NS);
    let cname_code = u16::from(RecordType::CNAME);

    // SOA only at the apex, exactly one value.
    for sets in names_checked() {
        if let Some(pending) = sets.get(&soa_code) {
            let Some(name) = sets.owner() else { continue };
            if name != origin {
                report(pending.line, ZoneErrorKind::SoaNotAtApex(name.to_string()));
            } else if pending.records.len() > 1 {
                report(pending.line, ZoneErrorKind::MultipleSoa(name.to_string()));
            }
        }
    }

    // Apex NS (RFC 1035 §5.2 / RFC 1034 §4.2.1: a zone has NS at its top).
    let apex_ns_line = checked_by_key(&names, &set_lines, origin_key)
        .and_then(|sets| sets.get(&ns_code))
        .map(|pending| pending.line);
    if apex_ns_line.is_none() {
        report(1, ZoneErrorKind::MissingApexNs(origin_text.clone()));
    }

    // CNAME beside other data (RFC 1034 §3.6.2, RFC 2181 §10.1), and never at the apex.
    for sets in names_checked() {
        if let Some(pending) = sets.get(&cname_code) {
            let Some(name) = sets.owner() else { continue };
            if pending.records.len() > 1 {
                report(pending.line, ZoneErrorKind::SeveralCnames(name.to_string()));
            }
            if name == origin {
                report(pending.line, ZoneErrorKind::CnameAtApex(name.to_string()));
            } else if sets.len() > 1 {
                report(
                    pending.line,
                    ZoneErrorKind::CnameBesideOtherData(name.to_string()),
                );
            }
        }
    }

    // Nothing below a DNAME (RFC 6672 §2.3: such names are occluded). DNAMEs are rare, so the
    // names are walked only when there is one.
    let dname_code = u16::from(RecordType::DNAME);
    let dnames: Vec<Name> = names_checked()
        .filter(|sets| sets.contains_key(&dname_code))
        .filter_map(|sets| sets.owner())
        .collect();
    if !dnames.is_empty() {
        let mut occluded: Vec<(u64, String, String)> = Vec::new();
        for sets in names_checked() {
            let Some(name) = sets.owner() else { continue };
            if let Some(dname) = dnames
                .iter()
                .find(|dname| dname.zone_of(&name) && **dname != name)
            {
                let line = sets
                    .iter()
                    .map(|(_, pending)| pending.line)
                    .min()
                    .unwrap_or(0);
                occluded.push((line, name.to_string(), dname.to_string()));
            }
        }
        occluded.sort();
        for (line, owner, dname) in occluded {
            report(line, ZoneErrorKind::DataBelowDname { owner, dname });
        }
    }

    // Zone cuts: NS below the apex.
    let cuts: Vec<Name> = checked(&names, &set_lines)
        .filter(|(key, sets)| *key != origin_key && sets.contains_key(&ns_code))
        .filter_map(|(_, sets)| sets.owner())
        .collect();
    let cut_above = |name: &Name| -> Option<&Name> {
        cuts.iter().find(|cut| cut.zone_of(name) && *cut != name)
    };

    // Below a cut only glue (A/AAAA) may live; at a cut only NS, DS and address records.
    // Compared by keys: a name is at or below a cut when the cut's key begins its own.
    let cut_keys: Vec<Vec<u8>> = cuts.iter().map(canonical_key).collect();
    for (key, sets) in checked(&names, &set_lines) {
        if cut_keys.is_empty() {
            break;
        }
        let at_cut = cut_keys.iter().any(|cut| cut.as_slice() == key);
        let below_cut = cut_keys
            .iter()
            .any(|cut| key.len() > cut.len() && key.starts_with(cut));
        if !at_cut && !below_cut {
            continue;
        }
        let Some(name) = sets.owner() else { continue };
        for (code, pending) in sets.iter() {
            let record_type = RecordType::from(code);
            let allowed = matches!(record_type, RecordType::A | RecordType::AAAA)
                || (at_cut && matches!(record_type, RecordType::NS | RecordType::DS));
            if !allowed {
                report(
                    pending.line,
                    ZoneErrorKind::NotGlue {
                        owner: name.to_string(),
                        record_type: record_type.to_string(),
                    },
                );
            }
        }
    }

    // In-zone nameservers of a delegation need addresses (RFC 1034 §4.2.1 glue).
    let has_address = |target: &Name| -> bool {
        names
            .get_by_key(canonical_key(target).as_slice())
            .is_some_and(|node| {
                node.find(RecordType::A).is_some() || node.find(RecordType::AAAA).is_some()
            })
    };
    for cut in &cuts {
        let Some(sets) = checked_by_key(&names, &set_lines, canonical_key(cut).as_slice()) else {
            continue;
        };
        let Some(pending) = sets.get(&ns_code) else {
            continue;
        };
        for data in pending.records.rdatas() {
            if let RData::NS(target) = &data {
                if origin.zone_of(&target.0) && !has_address(&target.0) {
                    report(
                        pending.line,
                        ZoneErrorKind::GluelessDelegation {
                            delegation: cut.to_string(),
                            nameserver: target.0.to_string(),
                        },
                    );
                }
            }
        }
    }

    // In-zone names of the apex NS need an address, or resolvers cannot reach them (Knot
    // refuses the zone; NSD and BIND load it): a warning, the zone may be in transition.
    if let Some(pending) =
        checked_by_key(&names, &set_lines, origin_key).and_then(|sets| sets.get(&ns_code))
    {
        for data in pending.records.rdatas() {
            if let RData::NS(target) = &data {
                if origin.zone_of(&target.0) && !has_address(&target.0) {
                    warn(
                        pending.line,
                        ZoneWarningKind::NameserverWithoutAddress {
                            owner: origin_text.clone(),
                            nameserver: target.0.to_string(),
                        },
                    );
                }
            }
        }
    }

    if !errors.is_empty() {
        return Err(errors);
    }

    // The SOA: as written, or made from the first apex NS.
    let apex_sets = checked_by_key(&names, &set_lines, origin_key);
    let written_soa = apex_sets
        .and_then(|sets| sets.get(&soa_code))
        .and_then(|pending| pending.records.records().into_iter().next());
    let soa_record = match written_soa {
        Some(record) => record,
        None => {
            let first_ns = apex_sets
                .and_then(|sets| sets.get(&ns_code))
                .and_then(|pending| pending.records.rdatas().next())
                .and_then(|data| match data {
                    RData::NS(ns) => Some(ns.0),
                    _ => None,
                })
                .unwrap_or_else(|| origin.clone());
            let hostmaster = Name::from_ascii("hostmaster")
                .and_then(|label| label.append_domain(&origin))
                .unwrap_or_else(|_| origin.clone());
            let soa = SOA::new(
                first_ns,
                hostmaster,
                DEFAULT_SOA_SERIAL,
                DEFAULT_SOA_REFRESH,
                DEFAULT_SOA_RETRY,
                DEFAULT_SOA_EXPIRE,
                DEFAULT_SOA_MINIMUM,
            );
            let apex_ttl = apex_sets
                .and_then(|sets| sets.get(&ns_code))
                .map_or(crate::zone::yaml_zone::DEFAULT_TTL, |pending| {
                    pending.records.ttl()
                });
            Record::from_rdata(origin.clone(), apex_ttl, RData::SOA(soa))
        }
    };
    let minimum = match &soa_record.data {
        RData::SOA(soa) => soa.minimum,
        _ => DEFAULT_SOA_MINIMUM,
    };
    let mut negative_record = soa_record.clone();
    negative_record.ttl = soa_record.ttl.min(minimum);
    let soa = RecordSet::from_records(&origin, RecordType::SOA, &[soa_record]);
    let negative_soa = RecordSet::from_records(&origin, RecordType::SOA, &[negative_record]);
    let (soa, negative_soa) = match (soa, negative_soa) {
        (Ok(soa), Ok(negative_soa)) => (Arc::new(soa), Arc::new(negative_soa)),
        (Err(unencodable), _) | (_, Err(unencodable)) => {
            return Err(vec![ZoneError {
                file,
                line: 1,
                kind: unencodable_error(unencodable),
            }]);
        }
    };

    // First pass: the served SOA at the apex (the checks above refused one elsewhere), zone
    // cuts and DNAME targets marked, in place.
    drop(set_lines);
    let mut nodes = names;
    for (key, node) in nodes.iter_keys_mut() {
        let is_apex = key == origin_key;
        if is_apex {
            node.put_set(soa.clone());
        }
        node.is_delegation = !is_apex && node.find(RecordType::NS).is_some();
        // Marked only when its target decodes (as the decoded target was kept before).
        node.has_dname = true;
        node.has_dname = node.dname_target().is_some();
    }

    // Second pass: additional addresses for NS, MX and SRV targets (RFC 1035 §3.3.9, §3.3.11,
    // RFC 2782). Occluded names are glue: only a delegation's own NS set may use them.
    let addresses_of = |target: &Name, allow_occluded: bool| -> Vec<Arc<RecordSet>> {
        if !origin.zone_of(target) || (!allow_occluded && cut_above(target).is_some()) {
            return Vec::new();
        }
        nodes
            .get(target)
            .map(|node| {
                node.sets
                    .iter()
                    .filter(|served| {
                        matches!(served.set.record_type, RecordType::A | RecordType::AAAA)
                    })
                    .map(|served| served.set.clone())
                    .collect()
            })
            .unwrap_or_default()
    };
    // Found with the zone borrowed, then set: by node position (no key copied), each list
    // already in its final boxed form.
    let mut additionals: Vec<AdditionalFor> = Vec::new();
    for (position, node) in nodes.values().enumerate() {
        for (index, served) in node.sets.iter().enumerate() {
            let set = &served.set;
            let mut additional: Vec<Arc<RecordSet>> = Vec::new();
            if !matches!(
                set.record_type,
                RecordType::NS | RecordType::MX | RecordType::SRV
            ) {
                continue;
            }
            for data in set.rdatas() {
                let target = match &data {
                    RData::NS(ns) => Some(&ns.0),
                    RData::MX(mx) => Some(&mx.exchange),
                    RData::SRV(srv) => Some(&srv.target),
                    _ => None,
                };
                if let Some(target) = target {
                    for address in
                        // Any NS set may use glue for its addresses (NSD and BIND do; a parent's
                        // apex NS often has only glue for servers named inside a child).
                        addresses_of(target, set.record_type == RecordType::NS)
                    {
                        if !additional.iter().any(|known| Arc::ptr_eq(known, &address)) {
                            additional.push(address);
                        }
                    }
                }
            }
            if !additional.is_empty() {
                additionals.push((position, index, additional.into()));
            }
        }
    }
    for (position, index, additional) in additionals {
        if let Some(served) = nodes
            .node_at_mut(position)
            .and_then(|node| node.sets.get_mut(index))
        {
            served.additional = additional;
        }
    }

    // Empty non-terminals: every ancestor up to the apex exists (RFC 8020, RFC 4592 §2.2.2).
    // A canonical key's ancestors are its prefixes that end a label (the octet 0 ends labels only).
    let mut missing: HashSet<Box<[u8]>, ahash::RandomState> = HashSet::default();
    for key in nodes.canonical_keys() {
        if key.len() <= origin_key.len() || !key.starts_with(origin_key) {
            continue;
        }
        let ends = key
            .iter()
            .enumerate()
            .filter(|(at, octet)| **octet == 0 && *at >= origin_key.len() && at + 1 < key.len())
            .map(|(at, _)| at + 1);
        let ancestors: Vec<usize> = ends.collect();
        for &end in ancestors.iter().rev() {
            let Some(ancestor) = key.get(..end) else {
                break;
            };
            if nodes.get_by_key(ancestor).is_some() || missing.contains(ancestor) {
                break;
            }
            missing.insert(ancestor.into());
        }
    }
    nodes.reserve_exact(missing.len());
    for key in missing {
        nodes.insert_key(&key, ZoneNode::default());
    }
    Ok((
        Zone {
            origin,
            nodes,
            soa,
            negative_soa,
            record_count,
            dnssec: None,
        },
        warnings,
    ))
}
