//! The bytes of one upstream query: header, one question, our OPT record. The OPT record is
//! encoded by hickory once; the rest is 16 bytes plus the name's labels, written per query.
//!
//! hickory's encoder keeps a copy of every label it writes as a compression candidate, even
//! when compression is off: about 3,700 instructions per query, against about 200 here.

use std::sync::LazyLock;

use hickory_proto::op::{Edns, Query};
use hickory_proto::rr::Record;
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};

use crate::limits::EDNS_BUFFER_SIZE;
use crate::wire_name::{write_name, MAX_NAME_BYTES};

/// Header bytes (RFC 1035 §4.1.1).
const HEADER_BYTES: usize = 12;
/// The RD bit in the header's third byte (RFC 1035 §4.1.1).
const RECURSION_DESIRED: u8 = 0x01;

/// Our OPT record (RFC 6891) in wire form: payload size, version 0, no options, the DO bit
/// (RFC 3225: the validator needs RRSIGs and NSEC/NSEC3 records; Unbound always sets it).
static OPT_BYTES: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_BUFFER_SIZE);
    edns.set_version(0);
    edns.set_dnssec_ok(true);
    let mut bytes = Vec::new();
    let mut encoder = BinEncoder::new(&mut bytes);
    // An OPT record's owner is the root: nothing hickory can fail to write.
    if Record::from(&edns).emit(&mut encoder).is_err() {
        bytes.clear();
    }
    bytes
});

/// One EDNS option (RFC 6891 §6.1.2) some servers get in their queries: code and data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ExtraOption<'a> {
    pub code: u16,
    pub data: &'a [u8],
}

/// The query with `id` for `question`, RD as asked, our OPT record when `use_edns` (with `extra`
/// as its one option, when given). `None` when the name cannot be written (a label over 63
/// bytes or a name over 255: hickory's parsers do not make such names, so never expected), or
/// the option's data is over 65531 bytes.
pub(crate) fn encode_query(
    id: u16,
    question: &Query,
    recursion_desired: bool,
    use_edns: bool,
    extra: Option<ExtraOption<'_>>,
) -> Option<Vec<u8>> {
    let opt: &[u8] = if use_edns { &OPT_BYTES } else { &[] };
    if opt.is_empty() && use_edns {
        return None;
    }
    let extra_length = extra.map_or(0, |option| 4 + option.data.len());
    let mut bytes =
        Vec::with_capacity(HEADER_BYTES + MAX_NAME_BYTES + 4 + opt.len() + extra_length);
    bytes.extend_from_slice(&id.to_be_bytes());
    bytes.push(if recursion_desired {
        RECURSION_DESIRED
    } else {
        0
    });
    // RA, Z, AD, CD and RCODE are zero in a query; one question; one additional with EDNS.
    bytes.push(0);
    bytes.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, u8::from(use_edns)]);
    write_name(&mut bytes, question.name())?;
    bytes.extend_from_slice(&u16::from(question.query_type()).to_be_bytes());
    bytes.extend_from_slice(&u16::from(question.query_class()).to_be_bytes());
    match extra {
        Some(option) if use_edns => {
            // Our OPT record ends with RDLENGTH 0: write the option's length there and append it.
            let fixed = opt.get(..opt.len().checked_sub(2)?)?;
            let data_length = u16::try_from(option.data.len()).ok()?;
            let rdata_length = data_length.checked_add(4)?;
            bytes.extend_from_slice(fixed);
            bytes.extend_from_slice(&rdata_length.to_be_bytes());
            bytes.extend_from_slice(&option.code.to_be_bytes());
            bytes.extend_from_slice(&data_length.to_be_bytes());
            bytes.extend_from_slice(option.data);
        }
        _ => bytes.extend_from_slice(opt),
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{Message, MessageType, OpCode};
    use hickory_proto::rr::Name;
    use hickory_proto::rr::RecordType;

    fn message_encoding(id: u16, question: &Query, recursion_desired: bool, edns: bool) -> Vec<u8> {
        let mut expected = Message::new(id, MessageType::Query, OpCode::Query);
        expected.metadata.recursion_desired = recursion_desired;
        expected.queries.push(question.clone());
        if edns {
            let mut edns = Edns::new();
            edns.set_max_payload(EDNS_BUFFER_SIZE);
            edns.set_version(0);
            edns.set_dnssec_ok(true);
            expected.edns = Some(edns);
        }
        expected.to_vec().unwrap()
    }

    #[test]
    fn queries_are_the_bytes_hickory_writes_for_the_same_message() {
        let names = [
            "WwW.example.",
            ".",
            "a.b.c.d.e.f.example.org.",
            "xn--bcher-kva.test.",
        ];
        for name in names {
            for record_type in [
                RecordType::A,
                RecordType::AAAA,
                RecordType::NS,
                RecordType::DS,
            ] {
                let question = Query::query(Name::from_ascii(name).unwrap(), record_type);
                for (recursion_desired, edns) in [(false, true), (true, false), (true, true)] {
                    assert_eq!(
                        encode_query(0xbeef, &question, recursion_desired, edns, None).unwrap(),
                        message_encoding(0xbeef, &question, recursion_desired, edns),
                        "{name} {record_type} rd={recursion_desired} edns={edns}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_question_reads_back_with_its_case_and_the_opt_record_with_our_payload_size() {
        let question = Query::query(Name::from_ascii("WwW.Example.").unwrap(), RecordType::AAAA);
        let parsed =
            Message::from_vec(&encode_query(7, &question, true, true, None).unwrap()).unwrap();
        assert_eq!(parsed.metadata.id, 7);
        assert!(parsed.metadata.recursion_desired);
        assert_eq!(parsed.queries[0].name().to_ascii(), "WwW.Example.");
        assert_eq!(parsed.edns.unwrap().max_payload(), EDNS_BUFFER_SIZE);

        let plain =
            Message::from_vec(&encode_query(7, &question, false, false, None).unwrap()).unwrap();
        assert!(plain.edns.is_none());
        assert!(!plain.metadata.recursion_desired);
        assert!(plain.additionals.is_empty());
    }

    #[test]
    fn an_extra_option_is_the_opt_records_one_option_and_dropped_without_edns() {
        use hickory_proto::rr::rdata::opt::EdnsOption;
        let question = Query::query(Name::from_ascii("www.example.").unwrap(), RecordType::A);
        let extra = ExtraOption {
            code: 65001,
            data: b"abc d",
        };
        let bytes = encode_query(7, &question, false, true, Some(extra)).unwrap();
        let parsed = Message::from_vec(&bytes).unwrap();
        let edns = parsed.edns.unwrap();
        assert!(edns.flags().dnssec_ok);
        let option = edns
            .options()
            .get(hickory_proto::rr::rdata::opt::EdnsCode::from(65001u16));
        assert_eq!(option, Some(&EdnsOption::Unknown(65001, b"abc d".to_vec())));
        let plain = encode_query(7, &question, false, false, Some(extra)).unwrap();
        assert_eq!(
            plain,
            encode_query(7, &question, false, false, None).unwrap()
        );
    }

    #[test]
    fn a_longest_name_is_written_whole() {
        // 4 labels of 62 bytes (plus lengths) and the root: 253 bytes of name, within 255.
        let label = "a".repeat(62);
        let name = Name::from_ascii(format!("{label}.{label}.{label}.{label}.")).unwrap();
        let bytes =
            encode_query(1, &Query::query(name, RecordType::A), false, false, None).unwrap();
        assert_eq!(bytes.len(), HEADER_BYTES + 253 + 4);
    }
}
