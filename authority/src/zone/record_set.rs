//! One RRset as wire bytes (NSD's way): the owner once, then each record's type, class, TTL and
//! RDATA uncompressed; hickory `Record`s are made from them only on cold paths (signing, transfers).
//! Never holds a compression pointer: the answer path adds compression as it writes a message.

use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordData, RecordType};
use hickory_proto::serialize::binary::{
    BinDecodable, BinDecoder, BinEncodable, BinEncoder, NameEncoding, Restrict,
};
use hickory_proto::ProtoError;

/// Bytes after the owner before each record's RDATA: type, class, TTL, RDLENGTH (RFC 1035 §4.1.3).
const RECORD_HEADER_BYTES: usize = 10;

/// Why a record could not be kept as wire bytes (hickory refused to encode it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnencodableRecord {
    pub owner: String,
    pub record_type: RecordType,
    pub reason: String,
}

impl std::fmt::Display for UnencodableRecord {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{} {}: cannot be encoded: {}",
            self.owner, self.record_type, self.reason
        )
    }
}

/// All records of one owner and type, as served (RFC 2181 §5: the RRset is the unit).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordSet {
    pub record_type: RecordType,
    /// How many records `wire` holds.
    count: u32,
    /// The owner's length at the start of `wire` (a name is at most 255 octets, RFC 1035 §2.3.4).
    owner_length: u8,
    /// The owner as first written (uncompressed, case kept), then per record: type, class, TTL,
    /// RDLENGTH and RDATA, names in it uncompressed and as written. One allocation per RRset.
    wire: Box<[u8]>,
    /// The RRSIG records over this RRset (RFC 4034 §3), sent only to DO=1 queries (RFC 3225 §3);
    /// empty in an unsigned zone.
    pub signatures: Signatures,
}

/// The RRSIG records over an RRset, boxed: most zones are unsigned, and an empty list in every
/// RRset would take 24 bytes (8 here; 16 MB a million RRsets, the difference between a 64-byte
/// and an 80-byte block for each). Read as a slice; set from a `Vec`.
#[derive(Clone, Debug, Default, PartialEq)]
#[allow(
    clippy::box_collection,
    reason = "the box is the point: a thin 8-byte pointer, where a Vec takes 24 bytes"
)]
pub struct Signatures(Option<Box<Vec<Record>>>);

impl Signatures {
    pub fn to_vec(&self) -> Vec<Record> {
        self.as_ref().to_vec()
    }
}

impl From<Vec<Record>> for Signatures {
    fn from(records: Vec<Record>) -> Signatures {
        // Empty is None, so two empty lists compare equal however they were made.
        Signatures((!records.is_empty()).then(|| Box::new(records)))
    }
}

impl AsRef<[Record]> for Signatures {
    fn as_ref(&self) -> &[Record] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl std::ops::Deref for Signatures {
    type Target = [Record];

    fn deref(&self) -> &[Record] {
        self.as_ref()
    }
}

impl std::ops::DerefMut for Signatures {
    fn deref_mut(&mut self) -> &mut [Record] {
        self.0.as_deref_mut().map_or(&mut [], Vec::as_mut_slice)
    }
}

impl<'list> IntoIterator for &'list Signatures {
    type Item = &'list Record;
    type IntoIter = std::slice::Iter<'list, Record>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'list> IntoIterator for &'list mut Signatures {
    type Item = &'list mut Record;
    type IntoIter = std::slice::IterMut<'list, Record>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

/// One record of a set, borrowed from its wire bytes.
#[derive(Clone, Copy, Debug)]
pub struct WireRecord<'set> {
    pub record_type: u16,
    pub class: u16,
    pub ttl: u32,
    pub rdata: &'set [u8],
}

/// True for the types whose RDATA hickory writes with names in it (compressed for RFC 1035's NS,
/// CNAME, PTR, SOA, MX; the others uncompressed but remembered as compression targets): those are
/// decoded and written by hickory, so a reply keeps hickory's bytes (RFC 3597 §4).
fn rdata_has_names(record_type: RecordType) -> bool {
    matches!(
        record_type,
        RecordType::NS
            | RecordType::CNAME
            | RecordType::PTR
            | RecordType::ANAME
            | RecordType::SOA
            | RecordType::MX
            | RecordType::SRV
            | RecordType::NAPTR
            | RecordType::SVCB
            | RecordType::HTTPS
            | RecordType::NSEC
            | RecordType::RRSIG
            | RecordType::SIG
    )
}

fn encode_error(owner: &Name, record_type: RecordType, error: impl ToString) -> UnencodableRecord {
    UnencodableRecord {
        owner: owner.to_string(),
        record_type,
        reason: error.to_string(),
    }
}

/// One record alone, as wire bytes: its owner (uncompressed, as written), then type, class, TTL,
/// RDLENGTH and RDATA. What the zone reader keeps per record until the RRsets are built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneRecord {
    wire: Box<[u8]>,
    owner_length: u8,
}

impl OneRecord {
    pub fn new(record: &Record) -> Result<OneRecord, UnencodableRecord> {
        let mut wire = Vec::new();
        encode_into(&mut wire, |encoder| {
            record.name.emit(encoder)?;
            emit_tail_with(record, encoder)
        })
        .map_err(|error| encode_error(&record.name, record.record_type(), error))?;
        let mut owner_length = 0usize;
        // The owner's labels, up to and with the root's zero (uncompressed: no pointers).
        while let Some(&length) = wire.get(owner_length) {
            owner_length += 1 + usize::from(length);
            if length == 0 {
                break;
            }
        }
        let owner_length = u8::try_from(owner_length).map_err(|_| {
            encode_error(
                &record.name,
                record.record_type(),
                "owner longer than 255 octets",
            )
        })?;
        Ok(OneRecord {
            wire: wire.into_boxed_slice(),
            owner_length,
        })
    }

    pub fn owner_wire(&self) -> &[u8] {
        self.wire
            .get(..usize::from(self.owner_length))
            .unwrap_or_default()
    }

    /// The record's bytes (owner, then type, class, TTL, RDLENGTH, RDATA) and its owner's
    /// length, for a list that packs records end to end (`source_records`).
    pub(crate) fn as_parts(&self) -> (&[u8], u8) {
        (&self.wire, self.owner_length)
    }

    /// A record from what `as_parts` gave.
    pub(crate) fn from_parts(wire: &[u8], owner_length: u8) -> OneRecord {
        OneRecord {
            wire: wire.into(),
            owner_length,
        }
    }

    /// The owner (decoded: for messages and checks, not per record of a large zone).
    pub fn owner(&self) -> Name {
        Name::from_bytes(self.owner_wire()).unwrap_or_else(|_| Name::root())
    }

    /// Type, class, TTL, RDLENGTH and RDATA.
    fn tail(&self) -> WireRecord<'_> {
        RecordSetView {
            owner_length: self.owner_length,
            wire: &self.wire,
        }
        .wire_records()
        .next()
        .unwrap_or(WireRecord {
            record_type: 0,
            class: 0,
            ttl: 0,
            rdata: &[],
        })
    }

    pub fn record_type(&self) -> RecordType {
        RecordType::from(self.tail().record_type)
    }

    pub fn ttl(&self) -> u32 {
        self.tail().ttl
    }

    /// The RDATA, decoded.
    pub fn rdata(&self) -> Option<RData> {
        decode_rdata(self.tail())
    }

    /// As a hickory record (cold paths).
    pub fn to_record(&self) -> Option<Record> {
        RecordSet::decode(&self.owner(), self.tail())
    }

    /// A record from the bytes `new` would write (the zone reader writes them itself, without a
    /// hickory `Record`): an owner of `owner_length` octets, then type, class, TTL, RDLENGTH, RDATA.
    pub fn from_wire(wire: &[u8], owner_length: u8) -> OneRecord {
        OneRecord {
            wire: wire.into(),
            owner_length,
        }
    }
}

/// A set being filled, record by record (the zone build keeps these, not hickory records).
#[derive(Clone, Debug)]
pub struct RecordSetBuilder {
    record_type: RecordType,
    count: u32,
    owner_length: u8,
    wire: Vec<u8>,
}

thread_local! {
    /// Where records are encoded before they are copied to their set: a hickory encoder limits
    /// its buffer to 65,535 octets (an RRset may hold more) and reserves 512 octets in it (a
    /// million one-record sets would each keep that much until built).
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Appends to `wire` what `write` encodes (names uncompressed, case kept).
fn encode_into(
    wire: &mut Vec<u8>,
    write: impl FnOnce(&mut BinEncoder<'_>) -> Result<(), ProtoError>,
) -> Result<(), ProtoError> {
    SCRATCH.with(|scratch| {
        let mut scratch = scratch.borrow_mut();
        scratch.clear();
        {
            let mut encoder = BinEncoder::new(&mut scratch);
            encoder.set_name_encoding(NameEncoding::Uncompressed);
            write(&mut encoder)?;
        }
        // Exact for the owner and a set's first records (most sets hold one); amortized after.
        if wire.len() < 512 {
            wire.reserve_exact(scratch.len());
        } else {
            wire.reserve(scratch.len());
        }
        wire.extend_from_slice(&scratch);
        Ok(())
    })
}

/// Writes `record` without its owner (as hickory's `Record::emit` after the name) at the end of
/// `wire`, names uncompressed and as written.
fn emit_tail(record: &Record, wire: &mut Vec<u8>) -> Result<(), ProtoError> {
    encode_into(wire, |encoder| emit_tail_with(record, encoder))
}

fn emit_tail_with(record: &Record, encoder: &mut BinEncoder<'_>) -> Result<(), ProtoError> {
    record.record_type().emit(encoder)?;
    record.dns_class.emit(encoder)?;
    encoder.emit_u32(record.ttl)?;
    let place = encoder.place::<u16>()?;
    if !record.data.is_update() {
        record.data.emit(encoder)?;
    }
    let length = encoder.len_since_place(&place);
    let length =
        u16::try_from(length).map_err(|_| ProtoError::Message("RDATA longer than 65535 octets"))?;
    place.replace(encoder, length)?;
    Ok(())
}

impl RecordSetBuilder {
    pub fn new(owner: &Name, record_type: RecordType) -> Result<Self, UnencodableRecord> {
        let mut wire = Vec::new();
        encode_into(&mut wire, |encoder| owner.emit(encoder))
            .map_err(|error| encode_error(owner, record_type, error))?;
        let owner_length = u8::try_from(wire.len())
            .map_err(|_| encode_error(owner, record_type, "owner longer than 255 octets"))?;
        Ok(RecordSetBuilder {
            record_type,
            count: 0,
            owner_length,
            wire,
        })
    }

    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The owner as first written.
    pub fn owner(&self) -> Name {
        Name::from_bytes(
            self.wire
                .get(..usize::from(self.owner_length))
                .unwrap_or_default(),
        )
        .unwrap_or_else(|_| Name::root())
    }

    /// A set to go on filling from `set`'s records (its signatures are left out).
    pub fn from_set(set: &RecordSet) -> RecordSetBuilder {
        RecordSetBuilder {
            record_type: set.record_type,
            count: set.count,
            owner_length: set.owner_length,
            wire: set.wire.to_vec(),
        }
    }

    /// Appends `record` (its owner is this set's; only its type, class, TTL and RDATA are kept).
    pub fn push(&mut self, record: &Record) -> Result<(), UnencodableRecord> {
        let before = self.wire.len();
        if let Err(error) = emit_tail(record, &mut self.wire) {
            self.wire.truncate(before);
            return Err(encode_error(&record.name, self.record_type, error));
        }
        self.count = self.count.saturating_add(1);
        Ok(())
    }

    /// A set owned by `record`'s owner, as it was written.
    pub fn for_record(record: &OneRecord) -> RecordSetBuilder {
        let mut wire = Vec::new();
        wire.reserve_exact(record.wire.len());
        wire.extend_from_slice(record.owner_wire());
        RecordSetBuilder {
            record_type: record.record_type(),
            count: 0,
            owner_length: record.owner_length,
            wire,
        }
    }

    /// Appends `record` (its owner is this set's) with TTL `ttl` unless the set already holds its
    /// RDATA (RFC 2181 §5); names in RDATA compare without case (RFC 4343), as hickory's do.
    /// True when it was added.
    pub fn push_distinct_one(&mut self, record: &OneRecord, ttl: u32) -> bool {
        let tail = record
            .wire
            .get(usize::from(record.owner_length)..)
            .unwrap_or_default();
        let new = record.tail();
        let has_names = rdata_has_names(self.record_type);
        let duplicate = self.view().wire_records().any(|existing| {
            existing.rdata == new.rdata
                || (has_names
                    && existing.rdata.eq_ignore_ascii_case(new.rdata)
                    && decode_rdata(existing).is_some()
                    && decode_rdata(existing) == decode_rdata(new))
        });
        if duplicate {
            return false;
        }
        let before = self.wire.len();
        if before < 512 {
            self.wire.reserve_exact(tail.len());
        }
        self.wire.extend_from_slice(tail);
        if let Some(ttl_bytes) = self.wire.get_mut(before + 4..before + 8) {
            ttl_bytes.copy_from_slice(&ttl.to_be_bytes());
        }
        self.count = self.count.saturating_add(1);
        true
    }

    /// Sets every record's TTL to `ttl` (RFC 2181 §5.2: one TTL per RRset).
    pub fn set_ttl(&mut self, ttl: u32) {
        let mut at = usize::from(self.owner_length);
        while let Some(header) = self.wire.get_mut(at..at + RECORD_HEADER_BYTES) {
            let length = usize::from(u16::from_be_bytes([header[8], header[9]]));
            header[4..8].copy_from_slice(&ttl.to_be_bytes());
            at += RECORD_HEADER_BYTES + length;
        }
    }

    /// The set as it stands, borrowed.
    fn view(&self) -> RecordSetView<'_> {
        RecordSetView {
            owner_length: self.owner_length,
            wire: &self.wire,
        }
    }

    /// The records' RDATA, decoded (for the build's checks of NS and CNAME sets).
    pub fn rdatas(&self) -> Vec<RData> {
        self.view()
            .wire_records()
            .filter_map(decode_rdata)
            .collect()
    }

    /// The records as hickory records (for the build's few checks that need them).
    pub fn records(&self) -> Vec<Record> {
        let owner = self.owner();
        self.view()
            .wire_records()
            .filter_map(|wire| RecordSet::decode(&owner, wire))
            .collect()
    }

    /// The TTL of the first record.
    pub fn ttl(&self) -> u32 {
        self.view()
            .wire_records()
            .next()
            .map_or(0, |record| record.ttl)
    }

    pub fn record_type(&self) -> RecordType {
        self.record_type
    }

    /// True when `set` holds exactly these records (type, class, TTL, RDATA, in order) under
    /// the same spelling of the owner: `finish` would make a copy of it.
    pub fn holds_same_as(&self, set: &RecordSet) -> bool {
        self.record_type == set.record_type && self.count == set.count && *self.wire == *set.wire
    }

    /// The finished set, its bytes in an allocation of exactly their size.
    pub fn finish(self) -> RecordSet {
        RecordSet {
            record_type: self.record_type,
            count: self.count,
            owner_length: self.owner_length,
            wire: self.wire.into_boxed_slice(),
            signatures: Signatures::default(),
        }
    }
}

/// Wire bytes of a set, borrowed.
struct RecordSetView<'set> {
    owner_length: u8,
    wire: &'set [u8],
}

impl<'set> RecordSetView<'set> {
    fn wire_records(&self) -> impl Iterator<Item = WireRecord<'set>> + 'set {
        let mut rest = self
            .wire
            .get(usize::from(self.owner_length)..)
            .unwrap_or_default();
        std::iter::from_fn(move || {
            let (header, after) = rest.split_first_chunk::<RECORD_HEADER_BYTES>()?;
            let [t0, t1, c0, c1, l0, l1, l2, l3, r0, r1] = *header;
            let length = usize::from(u16::from_be_bytes([r0, r1]));
            let rdata = after.get(..length)?;
            rest = after.get(length..).unwrap_or_default();
            Some(WireRecord {
                record_type: u16::from_be_bytes([t0, t1]),
                class: u16::from_be_bytes([c0, c1]),
                ttl: u32::from_be_bytes([l0, l1, l2, l3]),
                rdata,
            })
        })
    }
}

/// One record's RDATA, decoded by hickory (an empty RDATA as hickory's `Record::read` reads it).
fn decode_rdata(wire: WireRecord<'_>) -> Option<RData> {
    let length = u16::try_from(wire.rdata.len()).ok()?;
    let record_type = RecordType::from(wire.record_type);
    if length == 0 {
        return Some(RData::Update0(record_type));
    }
    let mut decoder = BinDecoder::new(wire.rdata);
    RData::read(&mut decoder, record_type, Restrict::new(length)).ok()
}

impl RecordSet {
    /// The set of `records` (all of `record_type`) under `owner`, without signatures.
    pub fn from_records(
        owner: &Name,
        record_type: RecordType,
        records: &[Record],
    ) -> Result<RecordSet, UnencodableRecord> {
        let mut builder = RecordSetBuilder::new(owner, record_type)?;
        for record in records {
            builder.push(record)?;
        }
        Ok(builder.finish())
    }

    /// The owner's uncompressed wire form, as first written.
    pub fn owner_wire(&self) -> &[u8] {
        self.wire
            .get(..usize::from(self.owner_length))
            .unwrap_or_default()
    }

    /// The owner (made from the wire bytes: not for the hot path).
    pub fn owner(&self) -> Name {
        Name::from_bytes(self.owner_wire()).unwrap_or_else(|_| Name::root())
    }

    pub fn len(&self) -> usize {
        self.count as usize
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes of this set in a zone: its shared block (with the `Arc`'s two counts), its wire
    /// bytes and its signatures (each block rounded as glibc rounds it: 16 bytes, plus 8).
    pub fn heap_bytes(&self) -> usize {
        let block = |bytes: usize| (bytes + 8).div_ceil(16) * 16;
        let signatures = if self.signatures.is_empty() {
            0
        } else {
            block(self.signatures.len() * std::mem::size_of::<Record>()) + block(24)
        };
        block(std::mem::size_of::<RecordSet>() + 16) + block(self.wire.len()) + signatures
    }

    /// The records, borrowed from the wire bytes.
    pub fn wire_records(&self) -> impl Iterator<Item = WireRecord<'_>> + '_ {
        RecordSetView {
            owner_length: self.owner_length,
            wire: &self.wire,
        }
        .wire_records()
    }

    /// True when both sets hold the same records (type, class, TTL and RDATA, in order), whatever
    /// the case of their owners.
    pub fn same_records(&self, other: &RecordSet) -> bool {
        self.wire.get(usize::from(self.owner_length)..)
            == other.wire.get(usize::from(other.owner_length)..)
    }

    /// The TTL of the first record (a built zone's RRsets have one TTL, RFC 2181 §5.2).
    pub fn ttl(&self) -> u32 {
        self.wire_records().next().map_or(0, |record| record.ttl)
    }

    /// The records as hickory records (cold paths: each is decoded and allocated).
    pub fn records(&self) -> Vec<Record> {
        let owner = self.owner();
        self.wire_records()
            .filter_map(|wire| Self::decode(&owner, wire))
            .collect()
    }

    /// The first record as a hickory record (the SOA of a zone, the target of a CNAME).
    pub fn first(&self) -> Option<Record> {
        let wire = self.wire_records().next()?;
        Self::decode(&self.owner(), wire)
    }

    /// The RDATA of each record, decoded.
    pub fn rdatas(&self) -> impl Iterator<Item = RData> + '_ {
        self.wire_records().filter_map(decode_rdata)
    }

    pub(crate) fn decode(owner: &Name, wire: WireRecord<'_>) -> Option<Record> {
        let mut record = Record::from_rdata(owner.clone(), wire.ttl, decode_rdata(wire)?);
        record.dns_class = DNSClass::from(wire.class);
        Some(record)
    }

    /// The same records under another owner, for wildcard synthesis (RFC 4592 §3.4.1).
    pub fn with_owner(&self, owner: &Name) -> RecordSet {
        let mut wire = Vec::new();
        if encode_into(&mut wire, |encoder| owner.emit(encoder)).is_err() {
            return self.clone();
        }
        let Ok(owner_length) = u8::try_from(wire.len()) else {
            return self.clone();
        };
        wire.extend_from_slice(
            self.wire
                .get(usize::from(self.owner_length)..)
                .unwrap_or_default(),
        );
        // The signatures keep their Labels field, which tells a validator the answer came from
        // a wildcard (RFC 4035 §5.3.2).
        let signatures = self
            .signatures
            .iter()
            .map(|signature| {
                let mut renamed = signature.clone();
                renamed.name = owner.clone();
                renamed
            })
            .collect::<Vec<_>>()
            .into();
        RecordSet {
            record_type: self.record_type,
            count: self.count,
            owner_length,
            wire: wire.into_boxed_slice(),
            signatures,
        }
    }

    /// Writes the records (then, with `signed`, the signatures) into a message, compressing
    /// names as hickory's `Record::emit` would: the same bytes, without making `Record`s for the
    /// types whose RDATA holds no name. `count` counts the records of the section written so far.
    /// As hickory's `emit_iter`, a record that would pass the encoder's size limit is taken back;
    /// then the result is `Ok(false)` (not all written), as hickory's `NotAllRecordsWritten`.
    pub fn emit(
        &self,
        encoder: &mut BinEncoder<'_>,
        signed: bool,
        count: &mut usize,
    ) -> Result<bool, ProtoError> {
        let owner = self.owner();
        for wire in self.wire_records() {
            let start = encoder.offset();
            let emitted = Self::emit_one(encoder, &owner, wire);
            if !Self::finish_one(encoder, start, emitted, count)? {
                return Ok(false);
            }
        }
        if signed {
            for signature in &self.signatures {
                let start = encoder.offset();
                let emitted = signature.emit(encoder);
                if !Self::finish_one(encoder, start, emitted, count)? {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    fn finish_one(
        encoder: &mut BinEncoder<'_>,
        start: usize,
        emitted: Result<(), ProtoError>,
        count: &mut usize,
    ) -> Result<bool, ProtoError> {
        match emitted {
            Ok(()) => {
                *count += 1;
                Ok(true)
            }
            Err(ProtoError::MaxBufferSizeExceeded(_)) => {
                encoder.set_offset(start);
                encoder.trim();
                Ok(false)
            }
            Err(error) => Err(error),
        }
    }

    fn emit_one(
        encoder: &mut BinEncoder<'_>,
        owner: &Name,
        wire: WireRecord<'_>,
    ) -> Result<(), ProtoError> {
        owner.emit(encoder)?;
        encoder.emit_u16(wire.record_type)?;
        encoder.emit_u16(wire.class)?;
        encoder.emit_u32(wire.ttl)?;
        let record_type = RecordType::from(wire.record_type);
        if rdata_has_names(record_type) && !wire.rdata.is_empty() {
            let length = u16::try_from(wire.rdata.len()).unwrap_or(u16::MAX);
            let mut decoder = BinDecoder::new(wire.rdata);
            let data = RData::read(&mut decoder, record_type, Restrict::new(length))?;
            let place = encoder.place::<u16>()?;
            data.emit(encoder)?;
            let length = encoder.len_since_place(&place);
            place.replace(encoder, u16::try_from(length).unwrap_or(u16::MAX))?;
        } else {
            encoder.emit_u16(u16::try_from(wire.rdata.len()).unwrap_or(u16::MAX))?;
            encoder.emit_vec(wire.rdata)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, CNAME, MX, NS, SOA, SRV, TXT};

    fn name(text: &str) -> Name {
        Name::from_ascii(text).expect("name")
    }

    fn sample_sets() -> Vec<Vec<Record>> {
        let owner = name("Www.Example.TEST.");
        vec![
            vec![
                Record::from_rdata(owner.clone(), 300, RData::A(A::new(192, 0, 2, 1))),
                Record::from_rdata(owner.clone(), 300, RData::A(A::new(192, 0, 2, 2))),
            ],
            vec![Record::from_rdata(
                owner.clone(),
                60,
                RData::CNAME(CNAME(name("Target.example.test."))),
            )],
            vec![Record::from_rdata(
                owner.clone(),
                60,
                RData::MX(MX::new(10, name("mail.example.test."))),
            )],
            vec![Record::from_rdata(
                owner.clone(),
                60,
                RData::NS(NS(name("ns1.example.test."))),
            )],
            vec![Record::from_rdata(
                owner.clone(),
                60,
                RData::SRV(SRV::new(1, 2, 3, name("www.example.test."))),
            )],
            vec![Record::from_rdata(
                owner.clone(),
                60,
                RData::TXT(TXT::new(vec!["hello".into(), "world".into()])),
            )],
            vec![Record::from_rdata(
                owner,
                3600,
                RData::SOA(SOA::new(
                    name("ns1.example.test."),
                    name("hostmaster.example.test."),
                    7,
                    3600,
                    900,
                    604_800,
                    300,
                )),
            )],
        ]
    }

    /// A million RRsets are a million of these in shared blocks: 40 bytes is a 64-byte block
    /// with the counts of its `Arc`.
    #[test]
    fn an_rrset_takes_no_more_than_forty_bytes() {
        assert!(std::mem::size_of::<RecordSet>() <= 40);
    }

    #[test]
    fn records_come_back_as_they_went_in() {
        for records in sample_sets() {
            let record_type = records[0].record_type();
            let set =
                RecordSet::from_records(&records[0].name, record_type, &records).expect("encodes");
            assert_eq!(set.records(), records);
            assert_eq!(set.len(), records.len());
            assert_eq!(set.owner(), records[0].name);
            assert_eq!(set.ttl(), records[0].ttl);
        }
    }

    /// A message written from the sets is byte for byte the one hickory writes from the records,
    /// compression included.
    #[test]
    fn emitted_bytes_are_hickorys() {
        let sets = sample_sets();
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        {
            let mut encoder = BinEncoder::new(&mut ours);
            name("www.example.test.").emit(&mut encoder).expect("qname");
            for records in &sets {
                let set =
                    RecordSet::from_records(&records[0].name, records[0].record_type(), records)
                        .expect("encodes");
                set.emit(&mut encoder, false, &mut 0).expect("emits");
            }
        }
        {
            let mut encoder = BinEncoder::new(&mut theirs);
            name("www.example.test.").emit(&mut encoder).expect("qname");
            for records in &sets {
                for record in records {
                    record.emit(&mut encoder).expect("emits");
                }
            }
        }
        assert_eq!(ours, theirs);
    }

    #[test]
    fn a_wildcard_answer_takes_the_query_name() {
        let records = &sample_sets()[0];
        let set = RecordSet::from_records(&name("*.example.test."), RecordType::A, records)
            .expect("encodes");
        let renamed = set.with_owner(&name("host.example.test."));
        assert_eq!(renamed.owner(), name("host.example.test."));
        assert_eq!(
            renamed.rdatas().collect::<Vec<_>>(),
            set.rdatas().collect::<Vec<_>>()
        );
    }

    /// Every RRset of the repository's zones comes back from its bytes as records that encode to
    /// the same bytes: what transfers and signing make from a zone is what the file said.
    #[test]
    fn every_repository_zone_round_trips_through_records() {
        use crate::zone::yaml_zone::{origin_from_path, read_zone_text};
        let mut checked = 0;
        for (path, text) in crate::zone::repository_zones::repository_zone_texts() {
            let Ok(origin) = origin_from_path(&path) else {
                continue;
            };
            let Ok(read) = read_zone_text(&text, &path, &origin) else {
                continue;
            };
            let Ok(zone) = crate::zone::build::build_zone(read) else {
                continue;
            };
            for node in zone.nodes.values() {
                for served in &node.sets {
                    let set = &served.set;
                    let again =
                        RecordSet::from_records(&set.owner(), set.record_type, &set.records())
                            .expect("encodes");
                    assert_eq!(again, **set, "{} {}", path.display(), set.owner());
                    checked += 1;
                }
            }
        }
        assert!(checked > 100, "only {checked} RRsets found");
    }
}
