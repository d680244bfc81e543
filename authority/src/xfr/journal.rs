//! The IXFR journal (RFC 1995): the differences between the versions a zone was served at, kept
//! from reload to reload, bounded, and written to the state directory so a restart keeps them.

use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use hickory_proto::rr::{Record, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, BinEncodable, BinEncoder};

use crate::limits::{JOURNAL_MAX_DIFFERENCES, JOURNAL_MAX_RECORDS, MAX_STATE_FILE_BYTES};
use crate::zone::prepared::{RecordSet, Zone};

/// Every record of `zone` as a transfer carries it: the apex SOA first, then every RRset with its
/// RRSIGs (DNSKEY, NSEC and NSEC3 are RRsets of the signed zone), the SOA not repeated.
pub fn zone_records(zone: &Zone) -> Vec<Record> {
    let mut records = Vec::with_capacity(zone.record_count * 2 + 1);
    records.extend(zone.soa.first());
    for node in zone.nodes.values() {
        for served in &node.sets {
            if served.set.record_type != RecordType::SOA {
                records.extend(served.set.records());
            }
            records.extend(served.set.signatures.iter().cloned());
        }
    }
    // NSEC3 RRsets live in the chain only (their owners are not names of the zone).
    for set in nsec3_sets(zone) {
        records.extend(set.records());
        records.extend(set.signatures.iter().cloned());
    }
    records
}

/// A signed zone's NSEC3 RRsets (none for an unsigned or NSEC zone).
pub fn nsec3_sets(
    zone: &Zone,
) -> impl Iterator<Item = &std::sync::Arc<crate::zone::prepared::RecordSet>> {
    zone.dnssec
        .as_ref()
        .and_then(|dnssec| dnssec.chain.as_ref())
        .into_iter()
        .flat_map(|chain| chain.nsec3_sets())
}

/// The serial of a zone as served.
pub fn zone_serial(zone: &Zone) -> u32 {
    soa_serial(zone.soa.first().as_ref()).unwrap_or(0)
}

pub fn soa_serial(record: Option<&Record>) -> Option<u32> {
    match record.map(|record| &record.data) {
        Some(hickory_proto::rr::RData::SOA(soa)) => Some(soa.serial),
        _ => None,
    }
}

/// RFC 1982 serial comparison: is `newer` after `older`?
pub fn serial_after(newer: u32, older: u32) -> bool {
    newer != older && newer.wrapping_sub(older) < 0x8000_0000
}

/// A record in canonical form (lowercase owner, no compression), for comparing versions.
pub fn canonical_bytes(record: &Record) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(64);
    let mut encoder = BinEncoder::new(&mut bytes);
    encoder.set_canonical_form(true);
    let mut lower = record.clone();
    lower.name = record.name.to_lowercase();
    // A record that cannot be encoded was never served either; an empty key keeps it apart.
    if lower.emit(&mut encoder).is_err() {
        bytes.clear();
    }
    bytes
}

/// From one version to the next: the old SOA, what went, the new SOA, what came (RFC 1995 §4).
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    pub old_soa: Record,
    pub removed: Vec<Record>,
    pub new_soa: Record,
    pub added: Vec<Record>,
}

impl Difference {
    pub fn from_serial(&self) -> u32 {
        soa_serial(Some(&self.old_soa)).unwrap_or(0)
    }

    pub fn to_serial(&self) -> u32 {
        soa_serial(Some(&self.new_soa)).unwrap_or(0)
    }

    fn record_count(&self) -> usize {
        self.removed.len() + self.added.len() + 2
    }

    /// What changed between two versions of a zone (SOAs excluded from the lists). RRsets are
    /// compared as wire bytes first, name by name: only those that differ are made into records
    /// and compared record by record (a reload of a million-record zone with one change made two
    /// million records and two hash maps of them, more time than the load itself).
    pub fn between(old: &Zone, new: &Zone) -> Option<Difference> {
        let old_soa = old.soa.first()?;
        let new_soa = new.soa.first()?;
        let mut changed = ChangedRecords::default();
        for (key, new_node) in new.nodes.iter_keys() {
            let old_node = old.nodes.get_by_key(key);
            for served in &new_node.sets {
                let before = old_node.and_then(|node| node.find(served.set.record_type));
                changed.compare(before.map(|served| &*served.set), Some(&served.set));
            }
            for served in old_node.iter().flat_map(|node| node.sets.iter()) {
                if new_node.find(served.set.record_type).is_none() {
                    changed.compare(Some(&served.set), None);
                }
            }
        }
        for (key, old_node) in old.nodes.iter_keys() {
            if new.nodes.get_by_key(key).is_none() {
                for served in &old_node.sets {
                    changed.compare(Some(&served.set), None);
                }
            }
        }
        // NSEC3 RRsets live in the chain only (their owners are not names of the zone).
        for set in nsec3_sets(old) {
            changed.old.extend(set.records());
            changed.old.extend(set.signatures.iter().cloned());
        }
        for set in nsec3_sets(new) {
            changed.new.extend(set.records());
            changed.new.extend(set.signatures.iter().cloned());
        }
        Some(Difference::of_records(
            old_soa,
            &changed.old,
            new_soa,
            &changed.new,
        ))
    }

    /// The difference between two lists of records (each without its SOA).
    pub fn of_records(
        old_soa: Record,
        old: &[Record],
        new_soa: Record,
        new: &[Record],
    ) -> Difference {
        let old_keys: HashMap<Vec<u8>, &Record> = old
            .iter()
            .map(|record| (canonical_bytes(record), record))
            .collect();
        let new_keys: HashMap<Vec<u8>, &Record> = new
            .iter()
            .map(|record| (canonical_bytes(record), record))
            .collect();
        let removed = old_keys
            .iter()
            .filter(|(key, _)| !new_keys.contains_key(*key))
            .map(|(_, record)| (*record).clone())
            .collect();
        let added = new_keys
            .iter()
            .filter(|(key, _)| !old_keys.contains_key(*key))
            .map(|(_, record)| (*record).clone())
            .collect();
        Difference {
            old_soa,
            removed,
            new_soa,
            added,
        }
    }
}

/// The records of the RRsets that differ between two versions (as a transfer carries them: an
/// SOA set's signatures but not the SOA itself), to be compared record by record.
#[derive(Default)]
struct ChangedRecords {
    old: Vec<Record>,
    new: Vec<Record>,
}

impl ChangedRecords {
    /// Adds both versions of one RRset (owner and type), unless they hold the same records and
    /// signatures: the same set bytes under the same key are the same records.
    fn compare(&mut self, old: Option<&RecordSet>, new: Option<&RecordSet>) {
        if let (Some(old), Some(new)) = (old, new) {
            if old.same_records(new) && old.signatures == new.signatures {
                return;
            }
        }
        for (set, records) in [(old, &mut self.old), (new, &mut self.new)] {
            let Some(set) = set else { continue };
            if set.record_type != RecordType::SOA {
                records.extend(set.records());
            }
            records.extend(set.signatures.iter().cloned());
        }
    }
}

/// The differences of one zone, oldest first, each starting where the previous one ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Journal {
    differences: VecDeque<Difference>,
    records: usize,
}

impl Journal {
    /// Adds the newest difference. One that does not continue the chain (a version the journal
    /// never saw in between) starts the journal afresh; the oldest go beyond the bounds.
    pub fn push(&mut self, difference: Difference) {
        if self
            .differences
            .back()
            .is_some_and(|last| last.to_serial() != difference.from_serial())
        {
            self.clear();
        }
        let count = difference.record_count();
        if count > JOURNAL_MAX_RECORDS {
            // Larger than the whole journal: an AXFR is as cheap for the secondary.
            self.clear();
            return;
        }
        self.records += count;
        self.differences.push_back(difference);
        while self.differences.len() > JOURNAL_MAX_DIFFERENCES || self.records > JOURNAL_MAX_RECORDS
        {
            match self.differences.pop_front() {
                Some(oldest) => self.records -= oldest.record_count(),
                None => break,
            }
        }
    }

    pub fn clear(&mut self) {
        self.differences.clear();
        self.records = 0;
    }

    pub fn is_empty(&self) -> bool {
        self.differences.is_empty()
    }

    pub fn len(&self) -> usize {
        self.differences.len()
    }

    /// The serial the newest difference leads to.
    pub fn last_serial(&self) -> Option<u32> {
        self.differences.back().map(Difference::to_serial)
    }

    /// The differences from `serial` to `current`, if the journal holds the whole way. The
    /// journal may already go further (a reload journals its difference just before it serves
    /// the new version): the way stops at `current`.
    pub fn since(&self, serial: u32, current: u32) -> Option<Vec<&Difference>> {
        let start = self
            .differences
            .iter()
            .position(|difference| difference.from_serial() == serial)?;
        let mut path = Vec::new();
        for difference in self.differences.iter().skip(start) {
            path.push(difference);
            if difference.to_serial() == current {
                return Some(path);
            }
        }
        None
    }

    /// Reads a journal written by `save`; `None` for a missing, foreign or damaged file (the
    /// caller starts an empty journal: the cost is AXFR instead of IXFR, never wrong data).
    pub fn load(path: &Path) -> Option<Journal> {
        let metadata = std::fs::metadata(path).ok()?;
        if metadata.len() > MAX_STATE_FILE_BYTES {
            return None;
        }
        let bytes = std::fs::read(path).ok()?;
        let mut reader = RecordReader::new(bytes.strip_prefix(JOURNAL_MAGIC)?);
        let mut journal = Journal::default();
        let count = reader.count()?;
        for _ in 0..count.min(JOURNAL_MAX_DIFFERENCES) {
            let old_soa = reader.record()?;
            let removed = reader.records()?;
            let new_soa = reader.record()?;
            let added = reader.records()?;
            journal.push(Difference {
                old_soa,
                removed,
                new_soa,
                added,
            });
        }
        reader.is_empty().then_some(journal)
    }

    /// Writes the journal to `path` (a new file renamed over the old, so a crash leaves one or the other).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let mut bytes = JOURNAL_MAGIC.to_vec();
        push_count(&mut bytes, self.differences.len());
        for difference in &self.differences {
            push_record(&mut bytes, &difference.old_soa)?;
            push_records(&mut bytes, &difference.removed)?;
            push_record(&mut bytes, &difference.new_soa)?;
            push_records(&mut bytes, &difference.added)?;
        }
        write_atomically(path, &bytes)
    }
}

/// First octets of a journal file: what it is and its format version (2: records framed one by
/// one; version 1 encoded the body as one message, which cannot exceed 64 KiB).
const JOURNAL_MAGIC: &[u8] = b"authority-journal-2\n";

/// Appends a count (four octets) to a state file.
pub fn push_count(bytes: &mut Vec<u8>, count: usize) {
    bytes.extend_from_slice(&(count as u32).to_be_bytes());
}

/// Appends one record to a state file: two octets of length, then its wire form (names compressed
/// within the record only, so each decodes on its own and a file may exceed 64 KiB).
pub fn push_record(bytes: &mut Vec<u8>, record: &Record) -> std::io::Result<()> {
    let mut wire = Vec::with_capacity(64);
    {
        let mut encoder = BinEncoder::new(&mut wire);
        record
            .emit(&mut encoder)
            .map_err(|error| std::io::Error::other(format!("record does not encode: {error}")))?;
    }
    let length = u16::try_from(wire.len())
        .map_err(|_| std::io::Error::other("record longer than 65,535 octets"))?;
    bytes.extend_from_slice(&length.to_be_bytes());
    bytes.extend_from_slice(&wire);
    Ok(())
}

fn push_records(bytes: &mut Vec<u8>, records: &[Record]) -> std::io::Result<()> {
    push_count(bytes, records.len());
    records
        .iter()
        .try_for_each(|record| push_record(bytes, record))
}

/// Reads what `push_count` and `push_record` wrote; `None` at the first damaged octet.
pub struct RecordReader<'bytes> {
    bytes: &'bytes [u8],
}

impl<'bytes> RecordReader<'bytes> {
    pub fn new(bytes: &'bytes [u8]) -> RecordReader<'bytes> {
        RecordReader { bytes }
    }

    pub fn count(&mut self) -> Option<usize> {
        let (count, rest) = self.bytes.split_first_chunk::<4>()?;
        self.bytes = rest;
        Some(u32::from_be_bytes(*count) as usize)
    }

    pub fn record(&mut self) -> Option<Record> {
        let (length, rest) = self.bytes.split_first_chunk::<2>()?;
        let length = usize::from(u16::from_be_bytes(*length));
        let wire = rest.get(..length)?;
        self.bytes = rest.get(length..)?;
        let mut decoder = BinDecoder::new(wire);
        let record = Record::read(&mut decoder).ok()?;
        decoder.is_empty().then_some(record)
    }

    /// A count, then that many records.
    pub fn records(&mut self) -> Option<Vec<Record>> {
        let count = self.count()?;
        // Each record takes at least MIN_RECORD_BYTES: no allocation for counts the file cannot hold.
        if count > self.bytes.len() / crate::limits::MIN_RECORD_BYTES + 1 {
            return None;
        }
        let mut records = Vec::with_capacity(count);
        for _ in 0..count {
            records.push(self.record()?);
        }
        Some(records)
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Writes `bytes` to `path.tmp`, syncs, and renames it over `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temporary = PathBuf::from(path);
    temporary.as_mut_os_string().push(".tmp");
    {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, SOA};
    use hickory_proto::rr::{Name, RData};

    fn soa(serial: u32) -> Record {
        let name = Name::from_ascii("example.test.").unwrap();
        Record::from_rdata(
            name.clone(),
            3600,
            RData::SOA(SOA::new(
                name.clone(),
                name,
                serial,
                3600,
                900,
                604_800,
                300,
            )),
        )
    }

    fn a(last: u8) -> Record {
        Record::from_rdata(
            Name::from_ascii("www.example.test.").unwrap(),
            300,
            RData::A(A::new(192, 0, 2, last)),
        )
    }

    fn step(from: u32, to: u32) -> Difference {
        Difference::of_records(soa(from), &[a(from as u8)], soa(to), &[a(to as u8)])
    }

    fn zone(text: &str) -> Zone {
        let origin = Name::from_ascii("example.test.").unwrap();
        let read = crate::zone::yaml_zone::read_zone_text(
            text,
            std::path::Path::new("example.test.yaml"),
            &origin,
        )
        .expect("reads");
        crate::zone::build::build_zone(read).expect("builds")
    }

    fn sorted(mut records: Vec<Record>) -> Vec<Vec<u8>> {
        let mut keys: Vec<Vec<u8>> = records
            .drain(..)
            .map(|record| canonical_bytes(&record))
            .collect();
        keys.sort();
        keys
    }

    /// Comparing RRsets as bytes first finds what comparing every record finds: a changed
    /// value, a name gone, a name new, a type added beside another, a set that lost a value.
    #[test]
    fn a_reload_difference_is_the_record_by_record_one() {
        let head = "'':\n  - type: SOA\n    value: {mname: ns.example.test., rname: admin.example.test., serial: SERIAL, refresh: 7200, retry: 900, expire: 1209600, minimum: 300}\n  - type: NS\n    value: ns.example.test.\nns: {type: A, value: 192.0.2.53}\n";
        let old = zone(&(head.replace("SERIAL", "1")
            + "www: {type: A, value: 192.0.2.1}\ngone: {type: A, value: 192.0.2.2}\nmail: {type: MX, value: {preference: 10, exchange: ns.example.test.}}\npair: {type: A, values: [192.0.2.3, 192.0.2.4]}\nSame: {type: A, value: 192.0.2.5}\n"));
        let new = zone(&(head.replace("SERIAL", "2")
            + "www: {type: A, value: 192.0.2.9}\nnew: {type: A, value: 192.0.2.6}\nmail:\n  - {type: MX, value: {preference: 10, exchange: ns.example.test.}}\n  - {type: TXT, value: hello}\npair: {type: A, values: [192.0.2.3]}\nsame: {type: A, value: 192.0.2.5}\n"));
        let fast = Difference::between(&old, &new).expect("both have an SOA");
        let old_records = zone_records(&old);
        let new_records = zone_records(&new);
        let slow = Difference::of_records(
            old_records[0].clone(),
            &old_records[1..],
            new_records[0].clone(),
            &new_records[1..],
        );
        assert_eq!(sorted(fast.removed.clone()), sorted(slow.removed));
        assert_eq!(sorted(fast.added.clone()), sorted(slow.added));
        assert_eq!((fast.from_serial(), fast.to_serial()), (1, 2));
        assert_eq!(fast.removed.len(), 3, "{:?}", fast.removed);
        assert_eq!(fast.added.len(), 3, "{:?}", fast.added);
    }

    #[test]
    fn difference_lists_what_went_and_what_came() {
        let difference = Difference::of_records(soa(1), &[a(1), a(2)], soa(2), &[a(2), a(3)]);
        assert_eq!(difference.removed, vec![a(1)]);
        assert_eq!(difference.added, vec![a(3)]);
        assert_eq!((difference.from_serial(), difference.to_serial()), (1, 2));
    }

    #[test]
    fn since_needs_the_whole_way_to_the_current_serial() {
        let mut journal = Journal::default();
        journal.push(step(1, 2));
        journal.push(step(2, 3));
        assert_eq!(journal.since(1, 3).map(|path| path.len()), Some(2));
        assert_eq!(journal.since(2, 3).map(|path| path.len()), Some(1));
        assert!(journal.since(0, 3).is_none());
        assert!(journal.since(1, 4).is_none());
    }

    #[test]
    fn a_journal_ahead_of_the_served_version_still_leads_to_it() {
        // A reload journals 3 → 4 just before it serves serial 4; a request still answered
        // from the version with serial 3 gets the way to 3, not the whole zone.
        let mut journal = Journal::default();
        journal.push(step(1, 2));
        journal.push(step(2, 3));
        journal.push(step(3, 4));
        let path = journal.since(1, 3).unwrap();
        assert_eq!(path.len(), 2);
        assert_eq!(path.last().map(|last| last.to_serial()), Some(3));
        assert_eq!(journal.since(2, 4).map(|path| path.len()), Some(2));
    }

    #[test]
    fn a_gap_starts_the_journal_afresh() {
        let mut journal = Journal::default();
        journal.push(step(1, 2));
        journal.push(step(5, 6));
        assert_eq!(journal.len(), 1);
        assert!(journal.since(1, 6).is_none());
    }

    #[test]
    fn the_oldest_differences_go_past_the_bound() {
        let mut journal = Journal::default();
        for serial in 1..=(JOURNAL_MAX_DIFFERENCES as u32 + 5) {
            journal.push(step(serial, serial + 1));
        }
        assert_eq!(journal.len(), JOURNAL_MAX_DIFFERENCES);
        assert!(journal
            .since(1, JOURNAL_MAX_DIFFERENCES as u32 + 6)
            .is_none());
    }

    #[test]
    fn journal_survives_a_save_and_load_and_damage_is_refused() {
        let directory = std::env::temp_dir().join(format!("journal-test-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let path = directory.join("example.test.journal");
        let mut journal = Journal::default();
        journal.push(step(1, 2));
        journal.push(step(2, 3));
        journal.save(&path).unwrap();
        let loaded = Journal::load(&path);
        assert_eq!(loaded, Some(journal), "{loaded:#?}");
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.truncate(bytes.len() - 3);
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(Journal::load(&path), None);
        std::fs::remove_dir_all(directory).unwrap();
    }

    #[test]
    fn a_journal_larger_than_one_message_survives_a_save_and_load() {
        // Regression: the body was once encoded as one message, which stops at 64 KiB.
        let directory = std::env::temp_dir().join(format!("journal-large-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let path = directory.join("example.test.journal");
        let added: Vec<Record> = (0..5000u32)
            .map(|index| {
                Record::from_rdata(
                    Name::from_ascii(format!("host{index}.example.test.")).unwrap(),
                    300,
                    RData::A(A::new(10, 0, (index >> 8) as u8, index as u8)),
                )
            })
            .collect();
        let mut journal = Journal::default();
        journal.push(Difference::of_records(soa(1), &[], soa(2), &added));
        journal.save(&path).unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() > 65_535);
        assert_eq!(Journal::load(&path), Some(journal));
        std::fs::remove_dir_all(directory).unwrap();
    }

    #[test]
    fn serials_compare_as_rfc_1982_says() {
        assert!(serial_after(2, 1));
        assert!(serial_after(1, u32::MAX));
        assert!(!serial_after(1, 1));
        assert!(!serial_after(1, 2));
    }
}
