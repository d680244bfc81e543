//! Checks a zone's records as a whole and prepares the lookup structure (`Zone`) once, at load.
//! Every problem is reported with its line; nothing here runs per query.

use std::collections::HashSet;
use std::sync::Arc;

use hickory_proto::rr::rdata::{NS, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::BinDecodable;

use crate::limits::{MAX_ERRORS_PER_FILE, MAX_VALUES_PER_RECORD};
use crate::zone::error::{ZoneError, ZoneErrorKind, ZoneWarning, ZoneWarningKind};
use crate::zone::name_table::{
    canonical_key, canonical_key_of_wire, write_canonical_key_of_wire, NameTable,
};
use crate::zone::prepared::{RecordSet, ServedSet, Zone, ZoneNode};
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

/// The additional address RRsets found for one RRset: its name's key, its index in the node.
type AdditionalFor = (Box<[u8]>, usize, Vec<Arc<RecordSet>>);

/// An RRset under construction, already as wire bytes, and the line that introduced it.
struct PendingSet {
    records: RecordSetBuilder,
    line: u64,
}

/// The RRsets of one owner under construction, sorted by type code. Not a BTreeMap: almost
/// every name has one or two types, and a BTreeMap node costs ~400 bytes per name (400 MB at
/// load for a million-name zone); the one-type case is kept in the table's entry itself, with
/// no allocation of its own.
#[derive(Default)]
enum PendingSets {
    #[default]
    Empty,
    One((u16, PendingSet)),
    Many(Vec<(u16, PendingSet)>),
}

impl PendingSets {
    fn as_slice(&self) -> &[(u16, PendingSet)] {
        match self {
            PendingSets::Empty => &[],
            PendingSets::One(one) => std::slice::from_ref(one),
            PendingSets::Many(many) => many,
        }
    }

    fn into_vec(self) -> Vec<(u16, PendingSet)> {
        match self {
            PendingSets::Empty => Vec::new(),
            PendingSets::One(one) => vec![one],
            PendingSets::Many(many) => many,
        }
    }

    fn get(&self, code: &u16) -> Option<&PendingSet> {
        self.as_slice()
            .iter()
            .find(|(known, _)| known == code)
            .map(|(_, pending)| pending)
    }

    fn contains_key(&self, code: &u16) -> bool {
        self.get(code).is_some()
    }

    fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// The set `record` belongs to, created (introduced by `line`) if new.
    fn get_or_insert(&mut self, record: &OneRecord, line: u64) -> &mut PendingSet {
        let code = u16::from(record.record_type());
        let new = || {
            let records = RecordSetBuilder::for_record(record);
            (code, PendingSet { records, line })
        };
        let mut list = match std::mem::take(self) {
            PendingSets::Empty => {
                *self = PendingSets::One(new());
                return self.first_mut_of(code);
            }
            PendingSets::One(one) if one.0 == code => {
                *self = PendingSets::One(one);
                return self.first_mut_of(code);
            }
            PendingSets::One(one) => vec![one],
            PendingSets::Many(many) => many,
        };
        if let Err(index) = list.binary_search_by_key(&code, |(known, _)| *known) {
            list.insert(index, new());
        }
        *self = PendingSets::Many(list);
        self.first_mut_of(code)
    }

    /// The set of type `code`, which the caller has just made sure is here.
    fn first_mut_of(&mut self, code: u16) -> &mut PendingSet {
        let list: &mut [(u16, PendingSet)] = match self {
            PendingSets::Empty => &mut [],
            PendingSets::One(one) => std::slice::from_mut(one),
            PendingSets::Many(many) => many,
        };
        let index = list
            .iter()
            .position(|(known, _)| *known == code)
            .unwrap_or(0);
        // In range: the caller put a set of this type here.
        &mut list[index].1
    }

    fn iter(&self) -> impl Iterator<Item = (&u16, &PendingSet)> {
        self.as_slice()
            .iter()
            .map(|(code, pending)| (code, pending))
    }

    /// The owner as first written (every set holds at least the record that made it).
    fn owner(&self) -> Option<Name> {
        self.as_slice()
            .first()
            .map(|(_, pending)| pending.records.owner())
    }
}

/// The finished RRset: `previous`'s own when it holds the same records under the same spelling
/// of the owner and carries no signatures (signing decides about those), else a new one.
fn shared_or_new(
    previous: Option<&Zone>,
    key: &[u8],
    records: RecordSetBuilder,
) -> Arc<RecordSet> {
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
    let has_apex_ns = records.iter().any(|source| {
        source.record_type() == RecordType::NS
            && canonical_key_of_wire(source.owner_wire()) == origin_key
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

    // Group into RRsets keyed by (owner, type), in type order, in the table the zone will keep
    // (its keys and index are kept; only the nodes change): case-insensitive through the
    // canonical keys (RFC 4343). Sized once: no rehash of a million names.
    let mut names: NameTable<PendingSets> = NameTable::with_capacity(records.len());
    let mut key = Vec::with_capacity(64);
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
        let Some(sets) = names.get_or_insert_default_key(&key) else {
            // Only past u32::MAX - 1 names, far beyond any memory limit.
            continue;
        };
        let pending = sets.get_or_insert(&record, line);
        // RFC 2181 §5: an RRset holds no duplicate records; §5.2: one TTL for all of them.
        let mut ttl = record.ttl();
        if !pending.records.is_empty() {
            let first_ttl = pending.records.ttl();
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
                pending.records.set_ttl(used);
            }
            ttl = pending.records.ttl();
        }
        if !pending.records.push_distinct_one(&record, ttl) {
            continue;
        }
        if pending.records.len() > MAX_VALUES_PER_RECORD {
            // Several record objects of one type at one owner add up to one RRset; it has the
            // same bound as a single object's `values`.
            if pending.records.len() == MAX_VALUES_PER_RECORD + 1 {
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

    let soa_code = u16::from(RecordType::SOA);
    let ns_code = u16::from(RecordType::NS);
    let cname_code = u16::from(RecordType::CNAME);

    // SOA only at the apex, exactly one value.
    for sets in names.values() {
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
    let apex_ns_line = names
        .get_by_key(origin_key)
        .and_then(|sets| sets.get(&ns_code))
        .map(|pending| pending.line);
    if apex_ns_line.is_none() {
        report(1, ZoneErrorKind::MissingApexNs(origin_text.clone()));
    }

    // CNAME beside other data (RFC 1034 §3.6.2, RFC 2181 §10.1), and never at the apex.
    for sets in names.values() {
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
    let dnames: Vec<Name> = names
        .values()
        .filter(|sets| sets.contains_key(&dname_code))
        .filter_map(|sets| sets.owner())
        .collect();
    if !dnames.is_empty() {
        let mut occluded: Vec<(u64, String, String)> = Vec::new();
        for sets in names.values() {
            let Some(name) = sets.owner() else { continue };
            if let Some(dname) = dnames
                .iter()
                .find(|dname| dname.zone_of(&name) && **dname != name)
            {
                let line = sets
                    .as_slice()
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
    let cuts: Vec<Name> = names
        .iter_keys()
        .filter(|(key, sets)| *key != origin_key && sets.contains_key(&ns_code))
        .filter_map(|(_, sets)| sets.owner())
        .collect();
    let cut_above = |name: &Name| -> Option<&Name> {
        cuts.iter().find(|cut| cut.zone_of(name) && *cut != name)
    };

    // Below a cut only glue (A/AAAA) may live; at a cut only NS, DS and address records.
    // Compared by keys: a name is at or below a cut when the cut's key begins its own.
    let cut_keys: Vec<Vec<u8>> = cuts.iter().map(canonical_key).collect();
    for (key, sets) in names.iter_keys() {
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
            let record_type = RecordType::from(*code);
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
            .is_some_and(|sets| {
                sets.contains_key(&u16::from(RecordType::A))
                    || sets.contains_key(&u16::from(RecordType::AAAA))
            })
    };
    for cut in &cuts {
        let Some(sets) = names.get_by_key(canonical_key(cut).as_slice()) else {
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
    if let Some(pending) = names
        .get_by_key(origin_key)
        .and_then(|sets| sets.get(&ns_code))
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
    let apex_sets = names.get_by_key(origin_key);
    let written_soa = apex_sets
        .and_then(|sets| sets.get(&soa_code))
        .and_then(|pending| pending.records.records().into_iter().next());
    let soa_record = match written_soa {
        Some(record) => record,
        None => {
            let first_ns = apex_sets
                .and_then(|sets| sets.get(&ns_code))
                .and_then(|pending| pending.records.rdatas().into_iter().next())
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

    // First pass: each name's RRsets as shared sets (the SOA is always present), node by node
    // in the same table: its keys and index stay, only the nodes change.
    let mut nodes = names.map_nodes(|key, sets| {
        let is_apex = key == origin_key;
        let mut list: Vec<ServedSet> = sets
            .into_vec()
            .into_iter()
            .filter(|(code, _)| *code != soa_code)
            .map(|(_, pending)| ServedSet {
                set: shared_or_new(previous, key, pending.records),
                additional: Box::default(),
            })
            .collect();
        if is_apex {
            list.push(ServedSet {
                set: soa.clone(),
                additional: Box::default(),
            });
        }
        list.sort_by_key(|served| u16::from(served.set.record_type));
        let is_delegation = !is_apex
            && list
                .iter()
                .any(|served| served.set.record_type == RecordType::NS);
        let dname_target = list
            .iter()
            .find(|served| served.set.record_type == RecordType::DNAME)
            .and_then(|served| served.set.wire_records().next())
            .and_then(|record| Name::from_bytes(record.rdata).ok())
            .map(Box::new);
        ZoneNode {
            sets: list.into(),
            is_delegation,
            dname_target,
        }
    });

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
    let mut additionals: Vec<AdditionalFor> = Vec::new();
    for (key, node) in nodes.iter_keys() {
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
                additionals.push((key.into(), index, additional));
            }
        }
    }
    for (key, index, additional) in additionals {
        if let Some(served) = nodes
            .get_by_key_mut(&key)
            .and_then(|node| node.sets.get_mut(index))
        {
            served.additional = additional.into_boxed_slice();
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
