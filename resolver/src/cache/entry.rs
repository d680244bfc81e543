//! One cache entry in wire form, in ONE allocation: when it was stored, for how long, at what
//! trust, then the records (RDATA only for an RRset, whole RRs for a negative answer's authority).
//!
//! Layout (big-endian): stored_at µs (8) | ttl s (4) | trust (1) | shape (1) | count (2) |
//! security (1) | bogus reason (1) | records (`validation.rs`: the validator's state).
//! RRset records are `rdlength rdata`; full records are `owner type class ttl rdlength rdata`, all
//! names uncompressed, so the bytes can be copied into a response as they are.

use std::borrow::Borrow;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{
    BinDecodable, BinDecoder, BinEncodable, BinEncoder, NameEncoding, Restrict,
};

use crate::cache::validation::Validation;
use crate::cache::Trust;
use crate::limits::MAX_ENTRY_WIRE_BYTES;

const HEADER_BYTES: usize = 18;
const SHAPE_RDATA: u8 = 0;
const SHAPE_FULL: u8 = 1;
/// Whole records, as `SHAPE_FULL`, after a 2-byte count of those in the authority section.
const SHAPE_SECTIONS: u8 = 2;

/// A stored entry; cloning it is one reference count.
#[derive(Clone, Debug)]
pub(crate) struct WireEntry(Arc<[u8]>);

/// Why records could not be stored.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum EncodeError {
    /// hickory could not encode a record's data.
    Record,
    /// More bytes than any message could carry (`MAX_ENTRY_WIRE_BYTES`).
    TooLarge,
}

impl WireEntry {
    /// An RRset: the RDATA of `records` (one owner, type and class, checked by the caller).
    /// A record whose data repeats an earlier one's is left out: duplicates in one RRset are
    /// one record (RFC 2181 §5).
    pub(crate) fn rrset<R: Borrow<Record>>(
        records: &[R],
        stored_at: Duration,
        ttl: u32,
        trust: Trust,
        validation: Validation,
    ) -> Result<WireEntry, EncodeError> {
        let mut bytes = header(
            stored_at,
            ttl,
            trust,
            validation,
            SHAPE_RDATA,
            records.len(),
        )?;
        // Addresses, most RRsets stored, are their octets: no encoder needed.
        if records
            .iter()
            .all(|record| address_octets(&record.borrow().data).is_some())
        {
            let mut count: u16 = 0;
            for (index, record) in records.iter().enumerate() {
                let Some(octets) = address_octets(&record.borrow().data) else {
                    continue;
                };
                let earlier = records.get(..index).unwrap_or_default();
                if earlier
                    .iter()
                    .any(|kept| address_octets(&kept.borrow().data) == Some(octets))
                {
                    continue;
                }
                let octets = octets.as_slice();
                let length = u16::try_from(octets.len()).map_err(|_| EncodeError::TooLarge)?;
                bytes.extend_from_slice(&length.to_be_bytes());
                bytes.extend_from_slice(octets);
                count = count.saturating_add(1);
            }
            if let Some(slot) = bytes.get_mut(14..16) {
                slot.copy_from_slice(&count.to_be_bytes());
            }
            return finish(bytes);
        }
        let mut encoder = BinEncoder::new(&mut bytes);
        encoder.set_offset(HEADER_BYTES);
        encoder.set_name_encoding(NameEncoding::Uncompressed);
        let mut count: u16 = 0;
        for (index, record) in records.iter().enumerate() {
            let data = &record.borrow().data;
            let earlier = records.get(..index).unwrap_or_default();
            if earlier.iter().any(|kept| kept.borrow().data == *data) {
                continue;
            }
            let place = encoder.place::<u16>().map_err(|_| EncodeError::Record)?;
            data.emit(&mut encoder).map_err(|_| EncodeError::Record)?;
            let length = u16::try_from(encoder.len_since_place(&place))
                .map_err(|_| EncodeError::TooLarge)?;
            place
                .replace(&mut encoder, length)
                .map_err(|_| EncodeError::Record)?;
            count = count.saturating_add(1);
        }
        if let Some(slot) = bytes.get_mut(14..16) {
            slot.copy_from_slice(&count.to_be_bytes());
        }
        finish(bytes)
    }

    /// The same entry with another TTL (its stored time unchanged).
    pub(crate) fn with_ttl(&self, ttl: u32) -> WireEntry {
        let mut bytes = self.0.to_vec();
        if let Some(slot) = bytes.get_mut(8..12) {
            slot.copy_from_slice(&ttl.to_be_bytes());
        }
        WireEntry(Arc::from(bytes))
    }

    /// Whole records with their own owners and TTLs (a negative answer's SOA and NS).
    pub(crate) fn records(
        records: &[Record],
        stored_at: Duration,
        ttl: u32,
        trust: Trust,
        validation: Validation,
    ) -> Result<WireEntry, EncodeError> {
        let mut bytes = header(stored_at, ttl, trust, validation, SHAPE_FULL, records.len())?;
        let mut encoder = BinEncoder::new(&mut bytes);
        encoder.set_offset(HEADER_BYTES);
        encoder.set_name_encoding(NameEncoding::Uncompressed);
        for record in records {
            record.emit(&mut encoder).map_err(|_| EncodeError::Record)?;
        }
        finish(bytes)
    }

    /// A reply's authority and additional sections as whole records (`to_sections` splits
    /// them again); trust and validation are not theirs to have, each RRset keeps its own.
    pub(crate) fn sections(
        authorities: &[Record],
        additionals: &[Record],
        stored_at: Duration,
        ttl: u32,
    ) -> Result<WireEntry, EncodeError> {
        let count = authorities.len() + additionals.len();
        let mut bytes = header(
            stored_at,
            ttl,
            Trust::Glue,
            Validation::UNCHECKED,
            SHAPE_SECTIONS,
            count,
        )?;
        let in_authority = u16::try_from(authorities.len()).map_err(|_| EncodeError::TooLarge)?;
        bytes.extend_from_slice(&in_authority.to_be_bytes());
        let mut encoder = BinEncoder::new(&mut bytes);
        encoder.set_offset(HEADER_BYTES + 2);
        encoder.set_name_encoding(NameEncoding::Uncompressed);
        for record in authorities.iter().chain(additionals) {
            record.emit(&mut encoder).map_err(|_| EncodeError::Record)?;
        }
        finish(bytes)
    }

    /// The authority and additional records of a `sections` entry, each TTL reduced by
    /// `elapsed` seconds; `None` for an entry of another shape or bytes that do not decode.
    pub(crate) fn to_sections(&self, elapsed: u32) -> Option<(Vec<Record>, Vec<Record>)> {
        if self.0.get(13) != Some(&SHAPE_SECTIONS) {
            return None;
        }
        let records = self.record_bytes();
        let in_authority = usize::from(u16::from_be_bytes([*records.first()?, *records.get(1)?]));
        let mut decoder = BinDecoder::new(records.get(2..)?);
        let mut authorities = Vec::with_capacity(in_authority.min(self.count()));
        let mut additionals = Vec::new();
        for index in 0..self.count() {
            let mut record = Record::read(&mut decoder).ok()?;
            record.ttl = record.ttl.saturating_sub(elapsed);
            if index < in_authority {
                authorities.push(record);
            } else {
                additionals.push(record);
            }
        }
        Some((authorities, additionals))
    }

    pub(crate) fn stored_at(&self) -> Duration {
        Duration::from_micros(u64::from_be_bytes(self.array::<8>(0)))
    }

    pub(crate) fn ttl(&self) -> u32 {
        u32::from_be_bytes(self.array::<4>(8))
    }

    pub(crate) fn expires(&self) -> Duration {
        self.stored_at() + Duration::from_secs(u64::from(self.ttl()))
    }

    pub(crate) fn trust(&self) -> Trust {
        match self.0.get(12) {
            Some(5) => Trust::AnswerAuthoritative,
            Some(4) => Trust::AuthorityAuthoritative,
            Some(3) => Trust::AnswerNonAuthoritative,
            Some(2) => Trust::AdditionalAuthoritative,
            _ => Trust::Glue,
        }
    }

    pub(crate) fn validation(&self) -> Validation {
        let [security, reason] = self.array::<2>(16);
        Validation::from_bytes(security, reason)
    }

    pub(crate) fn count(&self) -> usize {
        usize::from(u16::from_be_bytes(self.array::<2>(14)))
    }

    /// The records part: for an RRset, `rdlength rdata` repeated `count` times.
    pub(crate) fn record_bytes(&self) -> &[u8] {
        self.0.get(HEADER_BYTES..).unwrap_or_default()
    }

    /// Each RDATA of an RRset, in stored order.
    pub(crate) fn rdatas(&self) -> RdataIter<'_> {
        RdataIter {
            rest: self.record_bytes(),
        }
    }

    /// Whether two RRset entries hold the same RDATA, in any order (Unbound `rrsetdata_equal`,
    /// but order-blind: round-robin servers reorder sets). Bounded by the records per section.
    pub(crate) fn same_rdata(&self, other: &WireEntry) -> bool {
        self.count() == other.count()
            && self.record_bytes().len() == other.record_bytes().len()
            && self
                .rdatas()
                .all(|rdata| other.rdatas().any(|kept| kept == rdata))
    }

    /// The RRset as hickory records, TTL `ttl`. `None` if stored bytes do not decode (never
    /// expected: they were encoded by hickory), which callers treat as a miss.
    pub(crate) fn to_rrset(
        &self,
        owner: &Name,
        record_type: RecordType,
        class: DNSClass,
        ttl: u32,
    ) -> Option<Vec<Record>> {
        self.rdatas()
            .map(|rdata| {
                let length = u16::try_from(rdata.len()).ok()?;
                let mut decoder = BinDecoder::new(rdata);
                let data = match RData::read(&mut decoder, record_type, Restrict::new(length)) {
                    Ok(data) => data,
                    // Stored opaque because hickory refused it (`opaque_rdata.rs`): still so.
                    Err(_) if crate::opaque_rdata::may_stay_opaque(record_type) => {
                        crate::opaque_rdata::opaque(record_type, rdata.to_vec())
                    }
                    Err(_) => return None,
                };
                let mut record = Record::from_rdata(owner.clone(), ttl, data);
                record.dns_class = class;
                Some(record)
            })
            .collect()
    }

    /// Whole records, each TTL reduced by `elapsed` seconds.
    pub(crate) fn to_records(&self, elapsed: u32) -> Option<Vec<Record>> {
        let mut decoder = BinDecoder::new(self.record_bytes());
        let mut records = Vec::with_capacity(self.count());
        for _ in 0..self.count() {
            let mut record = Record::read(&mut decoder).ok()?;
            record.ttl = record.ttl.saturating_sub(elapsed);
            records.push(record);
        }
        Some(records)
    }

    /// Bytes held (header and records), for the size tests and the cache's byte gauge.
    pub(crate) fn byte_len(&self) -> usize {
        self.0.len()
    }

    fn array<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0u8; N];
        if let Some(bytes) = self.0.get(at..at + N) {
            out.copy_from_slice(bytes);
        }
        out
    }
}

/// An address record's RDATA: its 4 or 16 octets (RFC 1035 §3.4.1, RFC 3596 §2.2).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Octets {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl Octets {
    fn as_slice(&self) -> &[u8] {
        match self {
            Octets::V4(octets) => octets,
            Octets::V6(octets) => octets,
        }
    }
}

fn address_octets(data: &RData) -> Option<Octets> {
    match data {
        RData::A(address) => Some(Octets::V4(address.0.octets())),
        RData::AAAA(address) => Some(Octets::V6(address.0.octets())),
        _ => None,
    }
}

/// The RDATA slices of an RRset entry.
pub(crate) struct RdataIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for RdataIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let length = self.rest.get(..2)?;
        let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
        let rdata = self.rest.get(2..2 + length)?;
        self.rest = self.rest.get(2 + length..).unwrap_or_default();
        Some(rdata)
    }
}

fn header(
    stored_at: Duration,
    ttl: u32,
    trust: Trust,
    validation: Validation,
    shape: u8,
    count: usize,
) -> Result<Vec<u8>, EncodeError> {
    let count = u16::try_from(count).map_err(|_| EncodeError::TooLarge)?;
    let micros = u64::try_from(stored_at.as_micros()).unwrap_or(u64::MAX);
    let mut bytes = Vec::with_capacity(HEADER_BYTES + 16 * usize::from(count));
    bytes.extend_from_slice(&micros.to_be_bytes());
    bytes.extend_from_slice(&ttl.to_be_bytes());
    bytes.push(trust as u8);
    bytes.push(shape);
    bytes.extend_from_slice(&count.to_be_bytes());
    bytes.extend_from_slice(&validation.to_bytes());
    Ok(bytes)
}

fn finish(bytes: Vec<u8>) -> Result<WireEntry, EncodeError> {
    if bytes.len() > MAX_ENTRY_WIRE_BYTES {
        return Err(EncodeError::TooLarge);
    }
    // `Arc<[u8]>::from` copies into an exactly sized allocation: no spare capacity is kept.
    Ok(WireEntry(Arc::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, CNAME, MX, SOA};
    use std::net::Ipv4Addr;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    #[test]
    fn rrset_round_trips_with_header_fields() {
        let owner = name("www.example.");
        let records = vec![
            Record::from_rdata(owner.clone(), 300, RData::A(A(Ipv4Addr::new(192, 0, 2, 1)))),
            Record::from_rdata(owner.clone(), 300, RData::A(A(Ipv4Addr::new(192, 0, 2, 2)))),
        ];
        let entry = WireEntry::rrset(
            &records,
            Duration::from_secs(7),
            300,
            Trust::AnswerAuthoritative,
            Validation::SECURE,
        )
        .unwrap();
        assert_eq!(entry.validation(), Validation::SECURE);
        assert_eq!(entry.stored_at(), Duration::from_secs(7));
        assert_eq!(entry.expires(), Duration::from_secs(307));
        assert_eq!(entry.trust(), Trust::AnswerAuthoritative);
        assert_eq!(entry.count(), 2);
        // Header, then two records of length prefix and four address bytes.
        assert_eq!(entry.byte_len(), HEADER_BYTES + 2 * 6);
        let back = entry
            .to_rrset(&owner, RecordType::A, DNSClass::IN, 120)
            .unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[1].data, records[1].data);
        assert_eq!(back[0].ttl, 120);
    }

    #[test]
    fn address_rdata_is_the_bytes_hickory_writes() {
        use hickory_proto::rr::rdata::AAAA;
        let owner = name("v6.example.");
        let data = [
            RData::AAAA(AAAA("2001:db8::1".parse().unwrap())),
            RData::AAAA(AAAA("2001:db8::2".parse().unwrap())),
        ];
        let records: Vec<Record> = data
            .iter()
            .map(|data| Record::from_rdata(owner.clone(), 60, data.clone()))
            .collect();
        let entry = WireEntry::rrset(
            &records,
            Duration::ZERO,
            60,
            Trust::Glue,
            Validation::UNCHECKED,
        )
        .unwrap();
        for (stored, data) in entry.rdatas().zip(&data) {
            let mut expected = Vec::new();
            data.emit(&mut BinEncoder::new(&mut expected)).unwrap();
            assert_eq!(stored, expected.as_slice());
        }
        let back = entry
            .to_rrset(&owner, RecordType::AAAA, DNSClass::IN, 60)
            .unwrap();
        assert_eq!(back[1].data, data[1]);
    }

    #[test]
    fn names_inside_rdata_are_stored_uncompressed_and_round_trip() {
        let owner = name("mail.example.");
        let records = vec![
            Record::from_rdata(
                owner.clone(),
                60,
                RData::MX(MX::new(10, name("mx.example."))),
            ),
            Record::from_rdata(
                owner.clone(),
                60,
                RData::MX(MX::new(20, name("mx2.example."))),
            ),
        ];
        let entry = WireEntry::rrset(
            &records,
            Duration::ZERO,
            60,
            Trust::Glue,
            Validation::UNCHECKED,
        )
        .unwrap();
        let rdatas: Vec<&[u8]> = entry.rdatas().collect();
        assert_eq!(rdatas[1], b"\x00\x14\x03mx2\x07example\x00");
        let back = entry
            .to_rrset(&owner, RecordType::MX, DNSClass::IN, 60)
            .unwrap();
        assert_eq!(back[0].data, records[0].data);
        assert_eq!(back[1].data, records[1].data);
    }

    #[test]
    fn repeated_records_are_stored_once_and_ttl_can_be_replaced() {
        let owner = name("a.example.");
        let one = Record::from_rdata(owner.clone(), 1, RData::A(A(Ipv4Addr::new(192, 0, 2, 1))));
        let two = Record::from_rdata(owner.clone(), 1, RData::A(A(Ipv4Addr::new(192, 0, 2, 2))));
        let entry = WireEntry::rrset(
            &[&one, &two, &one, &two],
            Duration::from_secs(3),
            60,
            Trust::Glue,
            Validation::UNCHECKED,
        )
        .unwrap();
        assert_eq!(entry.count(), 2);
        assert_eq!(entry.byte_len(), HEADER_BYTES + 2 * 6);
        let shorter = entry.with_ttl(10);
        assert_eq!(shorter.ttl(), 10);
        assert_eq!(shorter.stored_at(), Duration::from_secs(3));
        assert!(shorter.same_rdata(&entry));
    }

    #[test]
    fn same_rdata_ignores_order_but_not_content() {
        let owner = name("a.example.");
        let one = Record::from_rdata(owner.clone(), 1, RData::A(A(Ipv4Addr::new(192, 0, 2, 1))));
        let two = Record::from_rdata(owner.clone(), 1, RData::A(A(Ipv4Addr::new(192, 0, 2, 2))));
        let target = Record::from_rdata(owner, 1, RData::CNAME(CNAME(name("b.example."))));
        let entry = |records: &[Record]| {
            WireEntry::rrset(
                records,
                Duration::ZERO,
                1,
                Trust::Glue,
                Validation::UNCHECKED,
            )
            .unwrap()
        };
        let forward = entry(&[one.clone(), two.clone()]);
        assert!(forward.same_rdata(&entry(&[two.clone(), one.clone()])));
        assert!(!forward.same_rdata(&entry(std::slice::from_ref(&one))));
        assert!(!entry(&[target]).same_rdata(&entry(&[one])));
    }

    #[test]
    fn full_records_keep_owner_and_count_ttl_down() {
        let soa = SOA::new(name("ns.example."), name("host.example."), 1, 2, 3, 4, 5);
        let records = vec![Record::from_rdata(name("example."), 900, RData::SOA(soa))];
        let entry = WireEntry::records(
            &records,
            Duration::ZERO,
            5,
            Trust::AnswerAuthoritative,
            Validation::INSECURE,
        )
        .unwrap();
        let back = entry.to_records(100).unwrap();
        assert_eq!(back[0].name, name("example."));
        assert_eq!(back[0].ttl, 800);
        assert_eq!(back[0].data, records[0].data);
    }
}
