//! A cache-hit response written straight from cached wire bytes: header, the question as asked,
//! answer and authority records with TTLs counted down, our OPT. It never decodes RDATA.
//!
//! It writes what `message::encode_response` would send for the same cache state, or nothing
//! (`None`: the caller takes the message path, which stays the reference): when the response
//! would not fit the client's limit (the message path drops RRsets and sets TC, RFC 2181 §9),
//! or when a stored record does not read back. DNSSEC (RFC 4035 §3.2): AD as the caller decides
//! from the stored states; for a DO client the RRSIGs stored beside each answer RRset and the
//! negative answer's NSEC/NSEC3 proofs, for others none of them. Owner names of answers are compression pointers (RFC 1035
//! §4.1.4): to the question, or to the CNAME target in the record before; all else is uncompressed.

use hickory_proto::rr::RecordType;

use crate::cache::wire_lookup::WireResolution;
use crate::server::limits::{HEADER_BYTES, MAX_UDP_PAYLOAD};
use crate::server::plain_query::{uncompressed_name_length, PlainQuery};

/// A compression pointer holds a 14-bit offset (RFC 1035 §4.1.4).
pub(crate) const MAX_POINTER_OFFSET: usize = 0x3fff;
/// Type, class, TTL and RDLENGTH after an owner name (RFC 1035 §4.1.3).
const RECORD_FIXED_BYTES: usize = 10;
/// What most answers need; a larger one grows once.
pub(crate) const INITIAL_CAPACITY: usize = 512;
pub(crate) const CLASS_IN: [u8; 2] = [0, 1];
const TYPE_OPT: [u8; 2] = [0, 41];
/// RCODE values (RFC 1035 §4.1.1).
pub(crate) const NO_ERROR: u8 = 0;
const NAME_ERROR: u8 = 3;

/// Where the authority count sits in the header (RFC 1035 §4.1.1).
const AUTHORITY_COUNT_AT: usize = 8;

/// The response bytes for `query` from `resolution`, within `limit`, AD set when
/// `authentic_data`, each answer RRset rotated by the query ID when `roundrobin` (Unbound's
/// rrset-roundrobin, the turn `local_answers::rotate_rrsets` gives the message path's records);
/// `None` leaves it to the message path.
pub(crate) fn write_answer(
    query: &PlainQuery<'_>,
    resolution: &WireResolution,
    limit: usize,
    authentic_data: bool,
    roundrobin: bool,
) -> Option<Vec<u8>> {
    let answer_count: usize = resolution
        .answers
        .iter()
        .map(|answer| {
            answer.record_count() + answer.signatures.as_ref().map_or(0, |sigs| sigs.count())
        })
        .sum();
    let mut bytes = Vec::with_capacity(INITIAL_CAPACITY.min(limit));
    let rcode = if resolution.is_nxdomain() {
        NAME_ERROR
    } else {
        NO_ERROR
    };
    write_header(&mut bytes, query, rcode, authentic_data, answer_count, 0)?;
    bytes.extend_from_slice(query.question());
    // Where the name that the next answer RRset is owned by was written.
    let mut owner_at = HEADER_BYTES;
    for answer in &resolution.answers {
        let pointer = u16::try_from(owner_at)
            .ok()
            .filter(|at| usize::from(*at) <= MAX_POINTER_OFFSET)?
            | 0xc000;
        let ttl = answer.rrset.ttl.to_be_bytes();
        let count = answer.record_count();
        // Rotated as `rotate_left(turn)`: from the turn's record to the end, then the rest. A
        // CNAME link is one record, so `owner_at` below still ends at the chain's next owner.
        let turn = if roundrobin && count > 1 {
            usize::from(query.id()) % count
        } else {
            0
        };
        let rotated = answer
            .rrset
            .rdatas()
            .take(count)
            .skip(turn)
            .chain(answer.rrset.rdatas().take(turn));
        for rdata in rotated {
            bytes.extend_from_slice(&pointer.to_be_bytes());
            bytes.extend_from_slice(&u16::from(answer.record_type).to_be_bytes());
            bytes.extend_from_slice(&CLASS_IN);
            bytes.extend_from_slice(&ttl);
            bytes.extend_from_slice(&u16::try_from(rdata.len()).ok()?.to_be_bytes());
            // A CNAME's RDATA is its target, owner of the next RRset.
            owner_at = bytes.len();
            bytes.extend_from_slice(rdata);
            if bytes.len() > limit {
                return None;
            }
        }
        if let Some(signatures) = &answer.signatures {
            let ttl = signatures.ttl.to_be_bytes();
            for rdata in signatures.rdatas() {
                bytes.extend_from_slice(&pointer.to_be_bytes());
                bytes.extend_from_slice(&u16::from(RecordType::RRSIG).to_be_bytes());
                bytes.extend_from_slice(&CLASS_IN);
                bytes.extend_from_slice(&ttl);
                bytes.extend_from_slice(&u16::try_from(rdata.len()).ok()?.to_be_bytes());
                bytes.extend_from_slice(rdata);
            }
            if bytes.len() > limit {
                return None;
            }
        }
    }
    if let Some(negative) = &resolution.negative {
        let dnssec_ok = query.edns.is_some_and(|edns| edns.dnssec_ok);
        let written = write_full_records(
            &mut bytes,
            negative.record_bytes(),
            negative.count(),
            negative.elapsed,
            negative.soa_ttl,
            dnssec_ok,
        )?;
        bytes
            .get_mut(AUTHORITY_COUNT_AT..AUTHORITY_COUNT_AT + 2)?
            .copy_from_slice(&u16::try_from(written).ok()?.to_be_bytes());
    }
    write_opt(&mut bytes, query);
    (bytes.len() <= limit).then_some(bytes)
}

/// Our OPT record when the query had one, as `message::response_edns`: our payload, version 0,
/// DO echoed, no options.
pub(crate) fn write_opt(bytes: &mut Vec<u8>, query: &PlainQuery<'_>) {
    if let Some(edns) = query.edns {
        bytes.push(0);
        bytes.extend_from_slice(&TYPE_OPT);
        bytes.extend_from_slice(&MAX_UDP_PAYLOAD.to_be_bytes());
        let flags: u16 = if edns.dnssec_ok { 0x8000 } else { 0 };
        bytes.extend_from_slice(&[0, 0]);
        bytes.extend_from_slice(&flags.to_be_bytes());
        bytes.extend_from_slice(&[0, 0]);
    }
}

/// A resolver's response header for `query`: QR, opcode QUERY, not AA, TC clear, RD and CD
/// echoed, RA set, AD as given, `rcode`; one question, and an additional record for our OPT.
pub(crate) fn write_header(
    bytes: &mut Vec<u8>,
    query: &PlainQuery<'_>,
    rcode: u8,
    authentic_data: bool,
    answer_count: usize,
    authority_count: usize,
) -> Option<()> {
    let high = 0x80 | u8::from(query.recursion_desired());
    let low = 0x80
        | if authentic_data { 0x20 } else { 0 }
        | if query.checking_disabled() { 0x10 } else { 0 }
        | rcode;
    let additional_count = u16::from(query.edns.is_some());
    bytes.extend_from_slice(&query.id().to_be_bytes());
    bytes.extend_from_slice(&[high, low]);
    bytes.extend_from_slice(&1u16.to_be_bytes());
    bytes.extend_from_slice(&u16::try_from(answer_count).ok()?.to_be_bytes());
    bytes.extend_from_slice(&u16::try_from(authority_count).ok()?.to_be_bytes());
    bytes.extend_from_slice(&additional_count.to_be_bytes());
    Some(())
}

/// Copies `count` stored whole records, each TTL less `elapsed` (saturating), the DNSSEC types
/// only for a DO client (RFC 4035 §3.2.1); how many were written, `None` when a record does not
/// read back. Bounded by `count` and by the bytes.
fn write_full_records(
    bytes: &mut Vec<u8>,
    mut stored: &[u8],
    count: usize,
    elapsed: u32,
    soa_ttl: Option<u32>,
    dnssec_ok: bool,
) -> Option<usize> {
    let mut written = 0;
    for _ in 0..count {
        let owner_length = uncompressed_name_length(stored)?;
        let fixed = stored.get(owner_length..owner_length + RECORD_FIXED_BYTES)?;
        let record_type = RecordType::from(u16::from_be_bytes([fixed[0], fixed[1]]));
        let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
        let rdata_length = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        let end = owner_length + RECORD_FIXED_BYTES + rdata_length;
        let record = stored.get(..end)?;
        stored = stored.get(end..)?;
        if is_proof_type(record_type) && !dnssec_ok {
            continue;
        }
        bytes.extend_from_slice(record.get(..owner_length + 4)?);
        let rdata = record.get(owner_length + RECORD_FIXED_BYTES..)?;
        let shown = match soa_ttl {
            // A later negative answer renewed the SOA: it and its RRSIGs show that TTL.
            Some(renewed) if record_type == RecordType::SOA || covers_soa(record_type, rdata) => {
                renewed
            }
            _ => ttl.saturating_sub(elapsed),
        };
        bytes.extend_from_slice(&shown.to_be_bytes());
        bytes.extend_from_slice(record.get(owner_length + 8..)?);
        written += 1;
    }
    Some(written)
}

/// Whether a stored record of `record_type` with `rdata` is an RRSIG covering an SOA.
fn covers_soa(record_type: RecordType, rdata: &[u8]) -> bool {
    record_type == RecordType::RRSIG
        && rdata.get(..2) == Some(&u16::from(RecordType::SOA).to_be_bytes()[..])
}

/// The types `response::build_response` strips from the authority section without DO.
fn is_proof_type(record_type: RecordType) -> bool {
    matches!(
        record_type,
        RecordType::RRSIG | RecordType::NSEC | RecordType::NSEC3
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_are_measured_and_broken_ones_refused() {
        assert_eq!(uncompressed_name_length(b"\x07example\x00rest"), Some(9));
        assert_eq!(uncompressed_name_length(b"\x00"), Some(1));
        assert_eq!(uncompressed_name_length(b"\x07exam"), None);
        assert_eq!(uncompressed_name_length(b"\xc0\x0c"), None);
        assert_eq!(uncompressed_name_length(&[63u8; 400]), None);
    }

    #[test]
    fn garbage_stored_records_are_refused_not_panicked_on() {
        let mut out = Vec::new();
        assert!(write_full_records(&mut out, b"", 1, 0, None, false).is_none());
        assert!(write_full_records(&mut out, b"\x00\x00\x06\x00\x01", 1, 0, None, false).is_none());
        // A complete root SOA-typed record with 2 bytes of RDATA claimed but 1 present.
        let short = b"\x00\x00\x06\x00\x01\x00\x00\x00\x10\x00\x02\xff";
        assert!(write_full_records(&mut out, short, 1, 0, None, false).is_none());
        let whole = b"\x00\x00\x06\x00\x01\x00\x00\x00\x10\x00\x01\xff";
        let mut written = Vec::new();
        assert_eq!(
            write_full_records(&mut written, whole, 1, 3, None, false),
            Some(1)
        );
        assert_eq!(written[5..9], [0, 0, 0, 0x0d]);
    }
}
