//! The records read from a zone file, in file order, packed end to end in large chunks (what the
//! reader hands the build); never a per-record allocation, and never more than one copy.

use hickory_proto::rr::RecordType;

use crate::zone::record_set::OneRecord;
use crate::zone::yaml_zone::SourceRecord;

/// Bytes of one chunk: large enough that a million records take a few dozen allocations, small
/// enough that the build gives each back soon after it starts reading it.
const CHUNK_BYTES: usize = 1 << 20;

/// Bytes before each record in a chunk: the owner's length (u8), the bytes its end shares with
/// the previous record's owner (u8; they are not stored again), then the length of what is
/// stored (u32, little-endian; a record is at most 255 + 10 + 65,535 octets).
const RECORD_PREFIX_BYTES: usize = 6;

/// The records of a zone in the order they were read: per record its wire form (`OneRecord`)
/// without the end of its owner that the previous record's owner shares (the origin, most often),
/// 31 bytes for an A record of bench/'s zone where a list of boxed records took 80 (a 32-byte
/// list entry and a 48-byte block), alive from the read to the end of the build.
#[derive(Clone, Debug, Default)]
pub struct SourceRecords {
    chunks: Vec<Vec<u8>>,
    /// The line of each record, filled only once a record with a line (not 0) is pushed: a
    /// first read without lines keeps none.
    lines: Vec<u64>,
    count: usize,
    /// Lines are dropped as records come (a read whose lines are never shown: 8 MB a million).
    forget_lines: bool,
    /// The owner of the last record pushed (wire form).
    last_owner: Vec<u8>,
}

impl SourceRecords {
    pub fn new() -> SourceRecords {
        SourceRecords::default()
    }

    /// A list that keeps every line as 0 when `keep_lines` is false.
    pub fn with_lines(keep_lines: bool) -> SourceRecords {
        SourceRecords {
            forget_lines: !keep_lines,
            ..SourceRecords::default()
        }
    }

    /// Empties the list (its choice about lines stays).
    pub fn clear(&mut self) {
        *self = SourceRecords::with_lines(!self.forget_lines);
    }

    pub fn len(&self) -> usize {
        self.count
    }

    /// Bytes the list holds (its chunks and lines).
    pub fn heap_bytes(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum::<usize>()
            + self.lines.capacity() * std::mem::size_of::<u64>()
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends `source` at the end (its bytes are copied; its own allocation is freed).
    pub fn push(&mut self, source: SourceRecord) {
        let SourceRecord { record, line } = source;
        let line = if self.forget_lines { 0 } else { line };
        let (wire, owner_length) = record.as_parts();
        let owner = wire.get(..usize::from(owner_length)).unwrap_or_default();
        let shared = shared_end(owner, &self.last_owner);
        let kept_owner = owner.get(..owner.len() - shared).unwrap_or_default();
        let tail = wire.get(owner.len()..).unwrap_or_default();
        let needed = RECORD_PREFIX_BYTES + kept_owner.len() + tail.len();
        // A record never spans chunks, and a chunk never grows: no copy of what is stored.
        let room = self
            .chunks
            .last()
            .is_some_and(|chunk| chunk.capacity() - chunk.len() >= needed);
        if !room {
            self.chunks
                .push(Vec::with_capacity(CHUNK_BYTES.max(needed)));
        }
        let Some(chunk) = self.chunks.last_mut() else {
            return;
        };
        // At most 255 + 10 + 65,535 octets (OneRecord refuses more): fits a u32; `shared` is at
        // most the owner's length, which fits a u8.
        let length = u32::try_from(kept_owner.len() + tail.len()).unwrap_or(u32::MAX);
        chunk.push(owner_length);
        chunk.push(u8::try_from(shared).unwrap_or(0));
        chunk.extend_from_slice(&length.to_le_bytes());
        chunk.extend_from_slice(kept_owner);
        chunk.extend_from_slice(tail);
        self.last_owner.clear();
        self.last_owner.extend_from_slice(owner);
        if line != 0 && self.lines.len() < self.count {
            self.lines.resize(self.count, 0);
        }
        if line != 0 || !self.lines.is_empty() {
            self.lines.push(line);
        }
        self.count += 1;
    }

    /// Whether `predicate(owner, type)` holds for some record (owner in wire form), looked at in
    /// order without taking them.
    pub fn any(&self, mut predicate: impl FnMut(&[u8], RecordType) -> bool) -> bool {
        let mut records = Records::default();
        for chunk in &self.chunks {
            let mut at = 0;
            while let Some(next) = records.read(chunk, at) {
                at = next;
                if predicate(records.owner(), records.record_type()) {
                    return true;
                }
            }
        }
        false
    }

    /// The records in order, taken: each chunk is freed once its records are taken.
    pub fn into_records(self) -> impl Iterator<Item = SourceRecord> {
        let SourceRecords { chunks, lines, .. } = self;
        let mut lines = lines.into_iter();
        let mut chunks = chunks.into_iter();
        let mut current: Vec<u8> = Vec::new();
        let mut at = 0usize;
        let mut records = Records::default();
        std::iter::from_fn(move || loop {
            if let Some(next) = records.read(&current, at) {
                at = next;
                let record = OneRecord::from_parts(&records.wire, records.owner_length);
                let line = lines.next().unwrap_or(0);
                return Some(SourceRecord { record, line });
            }
            // This chunk is done: it is freed as the next one takes its place.
            current = chunks.next()?;
            at = 0;
        })
    }
}

/// How many bytes at the end of `owner` are the end of `previous` too.
fn shared_end(owner: &[u8], previous: &[u8]) -> usize {
    owner
        .iter()
        .rev()
        .zip(previous.iter().rev())
        .take_while(|(one, other)| one == other)
        .count()
        .min(usize::from(u8::MAX))
}

/// The record being read back: its whole wire form, rebuilt from what is stored and the end of
/// the previous owner.
#[derive(Default)]
struct Records {
    wire: Vec<u8>,
    owner_length: u8,
}

impl Records {
    /// Reads the record starting at `at` in `chunk` (the one after the record read last);
    /// where the next one starts.
    fn read(&mut self, chunk: &[u8], at: usize) -> Option<usize> {
        let prefix = chunk.get(at..at + RECORD_PREFIX_BYTES)?;
        let owner_length = *prefix.first()?;
        let shared = usize::from(*prefix.get(1)?);
        let length = u32::from_le_bytes(prefix.get(2..6)?.try_into().ok()?);
        let start = at + RECORD_PREFIX_BYTES;
        let end = start.checked_add(usize::try_from(length).ok()?)?;
        let stored = chunk.get(start..end)?;
        let previous_owner = self.wire.get(..usize::from(self.owner_length))?;
        let shared_bytes = previous_owner.get(previous_owner.len().checked_sub(shared)?..)?;
        let kept = usize::from(owner_length).checked_sub(shared)?;
        let mut wire =
            Vec::with_capacity(usize::from(owner_length) + stored.len().saturating_sub(kept));
        wire.extend_from_slice(stored.get(..kept)?);
        wire.extend_from_slice(shared_bytes);
        wire.extend_from_slice(stored.get(kept..)?);
        self.wire = wire;
        self.owner_length = owner_length;
        Some(end)
    }

    fn owner(&self) -> &[u8] {
        self.wire
            .get(..usize::from(self.owner_length))
            .unwrap_or_default()
    }

    fn record_type(&self) -> RecordType {
        let at = usize::from(self.owner_length);
        match self.wire.get(at..at + 2) {
            Some(&[high, low]) => RecordType::from(u16::from_be_bytes([high, low])),
            _ => RecordType::from(0),
        }
    }
}

impl FromIterator<SourceRecord> for SourceRecords {
    fn from_iter<T: IntoIterator<Item = SourceRecord>>(iterator: T) -> SourceRecords {
        let mut records = SourceRecords::new();
        for source in iterator {
            records.push(source);
        }
        records
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, TXT};
    use hickory_proto::rr::{Name, RData, Record};

    fn record(owner: &str, data: RData) -> OneRecord {
        let name = Name::from_ascii(owner).expect("name");
        OneRecord::new(&Record::from_rdata(name, 300, data)).expect("encodes")
    }

    /// Records come back in the order pushed, with their lines, across chunks (a 50 kB TXT
    /// record among them).
    #[test]
    fn records_come_back_in_order_with_their_lines() {
        let big = TXT::new(vec!["x".repeat(255); 200]);
        let mut pushed = Vec::new();
        for number in 0..60_000u32 {
            let data = if number == 30_000 {
                RData::TXT(big.clone())
            } else {
                RData::A(A::from(std::net::Ipv4Addr::from(number)))
            };
            let line = if number < 10 { 0 } else { u64::from(number) };
            pushed.push(SourceRecord {
                // Most owners share their end with the one before; some share nothing.
                record: record(
                    &if number % 7 == 0 {
                        format!("h{number}.Other.TEST.")
                    } else {
                        format!("host{number}.example.test.")
                    },
                    data,
                ),
                line,
            });
        }
        let list: SourceRecords = pushed.iter().cloned().collect();
        assert_eq!(list.len(), pushed.len());
        assert!(list.chunks.len() > 1);
        let mut viewed: Vec<(Vec<u8>, RecordType)> = Vec::new();
        assert!(!list.any(|owner, record_type| {
            viewed.push((owner.to_vec(), record_type));
            false
        }));
        let expected: Vec<(Vec<u8>, RecordType)> = pushed
            .iter()
            .map(|source| {
                (
                    source.record.owner_wire().to_vec(),
                    source.record.record_type(),
                )
            })
            .collect();
        assert_eq!(viewed, expected);
        assert!(list.any(|_, record_type| record_type == RecordType::TXT));
        let taken: Vec<SourceRecord> = list.into_records().collect();
        assert_eq!(taken.len(), pushed.len());
        for (taken, pushed) in taken.iter().zip(&pushed) {
            assert_eq!(taken.record, pushed.record);
            assert_eq!(taken.line, pushed.line);
        }
    }

    #[test]
    fn a_list_without_lines_gives_line_zero() {
        let mut list = SourceRecords::with_lines(false);
        list.push(SourceRecord {
            record: record("a.example.test.", RData::A(A::new(192, 0, 2, 1))),
            line: 7,
        });
        assert_eq!(
            list.clone()
                .into_records()
                .map(|source| source.line)
                .collect::<Vec<_>>(),
            [0]
        );
        list.clear();
        assert!(list.is_empty());
    }

    #[test]
    fn an_empty_list_yields_nothing() {
        let list = SourceRecords::new();
        assert!(list.is_empty());
        assert!(!list.any(|_, _| true));
        assert_eq!(list.into_records().count(), 0);
    }
}
