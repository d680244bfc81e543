//! The records read from a zone file, in file order, packed end to end in large chunks (what the
//! reader hands the build); never a per-record allocation, and never more than one copy.

use crate::zone::record_set::OneRecord;
use crate::zone::yaml_zone::SourceRecord;

/// Bytes of one chunk: large enough that a million records take a few dozen allocations, small
/// enough that the build gives each back soon after it starts reading it.
const CHUNK_BYTES: usize = 1 << 20;

/// Bytes before each record's wire form in a chunk: the owner's length (u8), then the wire
/// form's length (u32, little-endian; a record is at most 255 + 10 + 65,535 octets).
const RECORD_PREFIX_BYTES: usize = 5;

/// The records of a zone in the order they were read: per record its owner length, its length,
/// and its wire form (`OneRecord`), 42 bytes for an A record where a list of boxed records took
/// 80 (a 32-byte list entry and a 48-byte block), alive from the read to the end of the build.
#[derive(Clone, Debug, Default)]
pub struct SourceRecords {
    chunks: Vec<Vec<u8>>,
    /// The line of each record, filled only once a record with a line (not 0) is pushed: a
    /// first read without lines keeps none.
    lines: Vec<u64>,
    count: usize,
    /// Lines are dropped as records come (a read whose lines are never shown: 8 MB a million).
    forget_lines: bool,
}

/// One record of the list, borrowed (for a look over the list before the build).
#[derive(Clone, Copy, Debug)]
pub struct SourceRecordView<'list> {
    record: OneRecordView<'list>,
    pub line: u64,
}

#[derive(Clone, Copy, Debug)]
struct OneRecordView<'list> {
    owner_length: u8,
    wire: &'list [u8],
}

impl SourceRecordView<'_> {
    pub fn owner_wire(&self) -> &[u8] {
        self.record
            .wire
            .get(..usize::from(self.record.owner_length))
            .unwrap_or_default()
    }

    pub fn record_type(&self) -> hickory_proto::rr::RecordType {
        let at = usize::from(self.record.owner_length);
        let code = match self.record.wire.get(at..at + 2) {
            Some(&[high, low]) => u16::from_be_bytes([high, low]),
            _ => 0,
        };
        hickory_proto::rr::RecordType::from(code)
    }
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
        let needed = RECORD_PREFIX_BYTES + wire.len();
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
        // At most 255 + 10 + 65,535 octets (OneRecord refuses more): fits a u32.
        let length = u32::try_from(wire.len()).unwrap_or(u32::MAX);
        chunk.push(owner_length);
        chunk.extend_from_slice(&length.to_le_bytes());
        chunk.extend_from_slice(wire);
        if line != 0 && self.lines.len() < self.count {
            self.lines.resize(self.count, 0);
        }
        if line != 0 || !self.lines.is_empty() {
            self.lines.push(line);
        }
        self.count += 1;
    }

    /// The records in order, borrowed.
    pub fn iter(&self) -> impl Iterator<Item = SourceRecordView<'_>> + '_ {
        self.chunks
            .iter()
            .flat_map(|chunk| ChunkRecords { rest: chunk })
            .enumerate()
            .map(|(index, record)| SourceRecordView {
                record,
                line: self.lines.get(index).copied().unwrap_or(0),
            })
    }

    /// The records in order, taken: each chunk is freed once its records are taken.
    pub fn into_records(self) -> impl Iterator<Item = SourceRecord> {
        let SourceRecords { chunks, lines, .. } = self;
        let mut lines = lines.into_iter();
        let mut chunks = chunks.into_iter();
        let mut current: Vec<u8> = Vec::new();
        let mut at = 0usize;
        std::iter::from_fn(move || loop {
            if let Some((record, next)) = record_at(&current, at) {
                at = next;
                let record = OneRecord::from_parts(record.wire, record.owner_length);
                let line = lines.next().unwrap_or(0);
                return Some(SourceRecord { record, line });
            }
            // This chunk is done: it is freed as the next one takes its place.
            current = chunks.next()?;
            at = 0;
        })
    }
}

/// The record starting at `at` in `chunk`, and where the next one starts.
fn record_at(chunk: &[u8], at: usize) -> Option<(OneRecordView<'_>, usize)> {
    let prefix = chunk.get(at..at + RECORD_PREFIX_BYTES)?;
    let owner_length = *prefix.first()?;
    let length = u32::from_le_bytes(prefix.get(1..5)?.try_into().ok()?);
    let start = at + RECORD_PREFIX_BYTES;
    let end = start.checked_add(usize::try_from(length).ok()?)?;
    let wire = chunk.get(start..end)?;
    Some((OneRecordView { owner_length, wire }, end))
}

/// The records of one chunk, borrowed.
struct ChunkRecords<'list> {
    rest: &'list [u8],
}

impl<'list> Iterator for ChunkRecords<'list> {
    type Item = OneRecordView<'list>;

    fn next(&mut self) -> Option<OneRecordView<'list>> {
        let (record, next) = record_at(self.rest, 0)?;
        self.rest = self.rest.get(next..).unwrap_or_default();
        Some(record)
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
    use hickory_proto::rr::{Name, RData, Record, RecordType};

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
                record: record(&format!("host{number}.example.test."), data),
                line,
            });
        }
        let list: SourceRecords = pushed.iter().cloned().collect();
        assert_eq!(list.len(), pushed.len());
        assert!(list.chunks.len() > 1);
        let viewed: Vec<(Vec<u8>, RecordType, u64)> = list
            .iter()
            .map(|view| (view.owner_wire().to_vec(), view.record_type(), view.line))
            .collect();
        let expected: Vec<(Vec<u8>, RecordType, u64)> = pushed
            .iter()
            .map(|source| {
                let owner = source.record.owner_wire().to_vec();
                (owner, source.record.record_type(), source.line)
            })
            .collect();
        assert_eq!(viewed, expected);
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
        assert_eq!(list.iter().map(|view| view.line).collect::<Vec<_>>(), [0]);
        list.clear();
        assert!(list.is_empty());
    }

    #[test]
    fn an_empty_list_yields_nothing() {
        let list = SourceRecords::new();
        assert!(list.is_empty());
        assert_eq!(list.iter().count(), 0);
        assert_eq!(list.into_records().count(), 0);
    }
}
