//! Turns an answer template (an ENTRY) into the bytes a mock server sends for one query:
//! REPLY header, SECTIONs, then ADJUST (copy_id, copy_query, raw_id), as Deckard's `adjust_reply`.

use hickory_proto::op::{Edns, Message, MessageType};
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption, OPT};
use hickory_proto::rr::{RData, RecordType};
use hickory_proto::serialize::binary::{BinDecoder, Restrict};
use hickory_proto::ProtoError;

use crate::replay::scenario::Entry;

/// EDNS buffer size a mock server advertises: Deckard's default for entries ("EDNS version 0 with
/// buffer size 4096 B").
pub const MOCK_EDNS_PAYLOAD: u16 = 4096;

/// The reply to `query` built from `entry`, or `None` when the entry says `do_not_answer`.
pub fn mock_answer(entry: &Entry, query: &Message) -> Option<Result<Vec<u8>, ProtoError>> {
    if entry.adjust.do_not_answer {
        return None;
    }
    if let Some(raw) = &entry.raw {
        let mut bytes = raw.clone();
        if entry.adjust.raw_id {
            for (byte, id_byte) in bytes.iter_mut().zip(query.metadata.id.to_be_bytes()) {
                *byte = id_byte;
            }
        }
        return Some(Ok(bytes));
    }
    Some(message_from_entry(entry, Some(query)).to_vec())
}

/// The message an entry describes; with `query`, adjusted to it. Also used to build client queries.
pub fn message_from_entry(entry: &Entry, query: Option<&Message>) -> Message {
    let header = &entry.header;
    let message_type = if header.flags.qr {
        MessageType::Response
    } else {
        MessageType::Query
    };
    let mut message = Message::new(0, message_type, header.opcode);
    let metadata = &mut message.metadata;
    metadata.authoritative = header.flags.aa;
    metadata.truncation = header.flags.tc;
    metadata.recursion_desired = header.flags.rd;
    metadata.recursion_available = header.flags.ra;
    metadata.authentic_data = header.flags.ad;
    metadata.checking_disabled = header.flags.cd;
    metadata.response_code = header.rcode;
    message.queries = entry.question.clone();
    message.answers = entry.answer.clone();
    message.authorities = entry.authority.clone();
    message.additionals = entry.additional.clone();
    // Deckard answers with the query's EDNS (an OPT only when the query had one), DO as either sets it.
    let query_edns = query.and_then(|query| query.edns.as_ref());
    if query.is_none() || query_edns.is_some() || header.dnssec_ok || entry.edns_data.is_some() {
        let mut edns = Edns::new();
        edns.set_max_payload(MOCK_EDNS_PAYLOAD);
        let query_dnssec_ok = query_edns.is_some_and(|edns| edns.flags().dnssec_ok);
        edns.set_dnssec_ok(header.dnssec_ok || query_dnssec_ok);
        // testpkts `add_edns`: HEX_EDNSDATA is the OPT RDATA, read by hickory's OPT decoder.
        if let Some(options) = entry.edns_data.as_deref().and_then(read_options) {
            *edns.options_mut() = options;
        }
        if entry.adjust.copy_client_subnet {
            copy_client_subnet(
                &mut edns,
                query_edns,
                entry.adjust.increment_client_subnet_scope,
            );
        }
        message.edns = Some(edns);
    }
    let Some(query) = query else { return message };
    if entry.adjust.copy_id {
        message.metadata.id = query.metadata.id;
        // Deckard also copies the query's qname into the template's question, keeping its letter case.
        if let (Some(template), Some(asked)) = (message.queries.first_mut(), query.queries.first())
        {
            template.set_name(asked.name().clone());
        }
    }
    if entry.adjust.copy_query {
        message.queries = query.queries.clone();
    }
    message
}

/// OPT RDATA bytes as hickory's decoder reads them; `None` when they do not decode (the entry then
/// carries no options, as a server that cannot encode them would send none).
fn read_options(bytes: &[u8]) -> Option<OPT> {
    let length = u16::try_from(bytes.len()).ok()?;
    match RData::read(
        &mut BinDecoder::new(bytes),
        RecordType::OPT,
        Restrict::new(length),
    ) {
        Ok(RData::OPT(options)) => Some(options),
        _ => None,
    }
}

/// testpkts `copy_ednsdata_assume_clientsubnet`: echo the query's ECS option (RFC 7871 §7.2.1)
/// with the scope prefix set to the source prefix (plus one with `increment_ecs_scope`).
fn copy_client_subnet(edns: &mut Edns, query_edns: Option<&Edns>, increment: bool) {
    let Some(EdnsOption::Subnet(subnet)) =
        query_edns.and_then(|edns| edns.option(EdnsCode::Subnet))
    else {
        return;
    };
    let mut echoed = *subnet;
    let scope = subnet.source_prefix().saturating_add(u8::from(increment));
    echoed.set_scope_prefix(scope);
    edns.options_mut().insert(EdnsOption::Subnet(echoed));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::record_text::{parse_question, parse_record};
    use crate::replay::scenario::Adjust;
    use hickory_proto::rr::RecordType;

    fn query(question: &str, id: u16) -> Message {
        let mut query = Message::query();
        query.metadata.id = id;
        query.add_query(parse_question(question).unwrap());
        query
    }

    fn template(adjust: Adjust) -> Entry {
        let mut entry = Entry {
            adjust,
            ..Entry::default()
        };
        entry.header.flags.qr = true;
        entry.header.flags.aa = true;
        entry
            .question
            .push(parse_question("example.com. IN A").unwrap());
        entry
            .answer
            .push(parse_record("example.com. IN A 10.20.30.40").unwrap());
        entry
    }

    #[test]
    fn copy_id_copies_the_id_and_the_qname_case_but_not_the_type() {
        let adjust = Adjust {
            copy_id: true,
            ..Adjust::default()
        };
        let bytes = mock_answer(&template(adjust), &query("ExAmPlE.com. IN NS", 4242))
            .unwrap()
            .unwrap();
        let reply = Message::from_vec(&bytes).unwrap();
        assert_eq!(reply.metadata.id, 4242);
        assert!(reply.metadata.authoritative);
        assert_eq!(reply.queries[0].name().to_ascii(), "ExAmPlE.com.");
        assert_eq!(reply.queries[0].query_type(), RecordType::A);
        assert_eq!(reply.answers.len(), 1);
        assert!(
            reply.edns.is_none(),
            "no OPT in reply to a query without EDNS"
        );
    }

    #[test]
    fn copy_query_copies_the_whole_question() {
        let adjust = Adjust {
            copy_id: true,
            copy_query: true,
            ..Adjust::default()
        };
        let bytes = mock_answer(&template(adjust), &query("www.example.com. IN MX", 1))
            .unwrap()
            .unwrap();
        let reply = Message::from_vec(&bytes).unwrap();
        assert_eq!(reply.queries[0].name().to_string(), "www.example.com.");
        assert_eq!(reply.queries[0].query_type(), RecordType::MX);
    }

    #[test]
    fn do_not_answer_sends_nothing_and_raw_id_patches_raw_bytes() {
        let silent = Adjust {
            do_not_answer: true,
            ..Adjust::default()
        };
        assert!(mock_answer(&template(silent), &query("a. IN A", 1)).is_none());
        let mut raw = template(Adjust {
            raw_id: true,
            ..Adjust::default()
        });
        raw.raw = Some(vec![0, 0, 0x81, 0x80]);
        let bytes = mock_answer(&raw, &query("a. IN A", 0xabcd))
            .unwrap()
            .unwrap();
        assert_eq!(bytes, [0xab, 0xcd, 0x81, 0x80]);
    }
}
