//! RDATA that hickory refuses, kept as the opaque bytes it arrived as (RFC 3597 §5), for record
//! types the resolver never reads itself: one odd record (an SVCB with a repeated key) must not
//! sink the message it came in. Never for types whose data may hold compressed names or that
//! the resolution reads (addresses, delegations, DNSSEC): those stay malformed.

use hickory_proto::op::{Edns, Header, Message, Query};
use hickory_proto::rr::rdata::NULL;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, DecodeError};

/// Whether data of `record_type` that hickory cannot decode may be kept opaque. Not for the
/// RFC 1035 types and the others RFC 3597 §4 lets a sender compress (their bytes mean nothing
/// outside their message), nor for the types the resolver itself interprets.
pub(crate) fn may_stay_opaque(record_type: RecordType) -> bool {
    !matches!(
        record_type,
        RecordType::A
            | RecordType::AAAA
            | RecordType::NS
            | RecordType::CNAME
            | RecordType::SOA
            | RecordType::PTR
            | RecordType::MX
            | RecordType::SRV
            | RecordType::NAPTR
            | RecordType::DNAME
            | RecordType::DS
            | RecordType::DNSKEY
            | RecordType::CDS
            | RecordType::CDNSKEY
            | RecordType::RRSIG
            | RecordType::SIG
            | RecordType::KEY
            | RecordType::NSEC
            | RecordType::NSEC3
            | RecordType::NSEC3PARAM
            | RecordType::OPT
            | RecordType::TSIG
    )
}

/// `bytes` as the RDATA of `record_type`, uninterpreted; written back out byte for byte.
pub(crate) fn opaque(record_type: RecordType, bytes: Vec<u8>) -> RData {
    RData::Unknown {
        code: record_type,
        rdata: NULL::with(bytes),
    }
}

/// Decodes a message as hickory does; when that fails only because some record's data does not
/// decode and its type may stay opaque, that record is kept as opaque data. Any other fault
/// gives hickory's error.
pub(crate) fn decode_keeping_opaque(bytes: &[u8]) -> Result<Message, DecodeError> {
    Message::from_vec(bytes).or_else(|error| decode_leniently(bytes).ok_or(error))
}

fn decode_leniently(bytes: &[u8]) -> Option<Message> {
    let mut decoder = BinDecoder::new(bytes);
    let header = Header::read(&mut decoder).ok()?;
    let mut metadata = header.metadata;
    let counts = header.counts;
    let mut message = Message::new(metadata.id, metadata.message_type, metadata.op_code);
    for _ in 0..counts.queries {
        message.queries.push(Query::read(&mut decoder).ok()?);
    }
    let sections = [counts.answers, counts.authorities, counts.additionals];
    for (section, count) in sections.into_iter().enumerate() {
        for _ in 0..count {
            let record = read_record(bytes, &mut decoder)?;
            let record_type = record.record_type();
            // The rules hickory's `Message::read` applies, kept: no empty RDATA outside UPDATE,
            // OPT/TSIG/SIG only in the additional section, one OPT.
            if record_type != RecordType::OPT
                && matches!(record.data, RData::Update0(_))
                && metadata.op_code != hickory_proto::op::OpCode::Update
            {
                return None;
            }
            let additional_only = matches!(
                record_type,
                RecordType::OPT | RecordType::SIG | RecordType::TSIG
            );
            match section {
                0 | 1 if additional_only => return None,
                0 => message.answers.push(record),
                1 => message.authorities.push(record),
                _ if record_type == RecordType::OPT => {
                    if message.edns.is_some() {
                        return None;
                    }
                    message.edns = Some(Edns::from(&record));
                }
                _ => message.additionals.push(record),
            }
        }
    }
    if let Some(edns) = &message.edns {
        metadata.merge_response_code(edns.rcode_high());
    }
    message.metadata = metadata;
    Some(message)
}

/// One resource record at the decoder's position: hickory's reading, or, when its RDATA does not
/// decode and the type may stay opaque, the record with that RDATA as opaque bytes.
fn read_record<'a>(bytes: &'a [u8], decoder: &mut BinDecoder<'a>) -> Option<Record> {
    let start = bytes.len() - decoder.len();
    if let Ok(record) = Record::read(decoder) {
        return Some(record);
    }
    // Read the record's framing again (RFC 1035 §4.1.3: owner, TYPE, CLASS, TTL, RDLENGTH), the
    // RDATA whole and unread. A decoder over the whole message follows compression pointers.
    let mut again = BinDecoder::new(bytes);
    again.read_slice(start).ok()?;
    let owner = Name::read(&mut again).ok()?;
    let record_type = RecordType::read(&mut again).ok()?;
    if !may_stay_opaque(record_type) {
        return None;
    }
    let class = DNSClass::read(&mut again).ok()?;
    let ttl = again.read_u32().ok()?.unverified(/* any TTL is a TTL */);
    let length = again.read_u16().ok()?.unverified(/* checked by read_vec */);
    let data = again
        .read_vec(usize::from(length))
        .ok()?
        .unverified(/* opaque: never interpreted */);
    *decoder = again;
    let mut record = Record::from_rdata(owner, ttl, opaque(record_type, data));
    record.dns_class = class;
    Some(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply to `www.example.com.` of type `code` with one answer whose RDATA is `rdata`.
    fn reply_with(code: u8, rdata: &[u8]) -> Vec<u8> {
        let mut bytes = vec![0x12, 0x34, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0];
        bytes.extend_from_slice(b"\x03www\x07example\x03com\x00");
        bytes.extend_from_slice(&[0, code, 0, 1]);
        bytes.extend_from_slice(&[0xc0, 0x0c, 0, code, 0, 1, 0, 0, 0x0e, 0x10]);
        bytes.extend_from_slice(&u16::try_from(rdata.len()).unwrap().to_be_bytes());
        bytes.extend_from_slice(rdata);
        bytes
    }

    #[test]
    fn an_svcb_with_a_repeated_key_stays_opaque_and_round_trips() {
        // iter_svcb_malformed: priority 1, target `.`, alpn "h2", alpn "h3" again.
        let rdata = [
            0, 1, 0, 0, 1, 0, 3, 2, b'h', b'2', 0, 1, 0, 3, 2, b'h', b'3',
        ];
        let bytes = reply_with(65, &rdata);
        assert!(Message::from_vec(&bytes).is_err());
        let message = decode_keeping_opaque(&bytes).unwrap();
        assert_eq!(message.answers.len(), 1);
        assert_eq!(message.answers[0].record_type(), RecordType::HTTPS);
        assert_eq!(
            message.answers[0].data,
            opaque(RecordType::HTTPS, rdata.to_vec())
        );
        // Written back out, the record is the bytes that came in.
        let again = message.to_vec().unwrap();
        assert!(again.ends_with(&rdata));
    }

    #[test]
    fn a_bad_address_or_a_cut_message_is_still_malformed() {
        // An A record with three octets: its type is one the resolver reads.
        assert!(decode_keeping_opaque(&reply_with(1, &[192, 0, 2])).is_err());
        // An RDLENGTH past the end of the message.
        let mut cut = reply_with(65, &[0, 1, 0]);
        cut.truncate(cut.len() - 1);
        assert!(decode_keeping_opaque(&cut).is_err());
    }
}
