//! The bytes-in/bytes-out path: malformed and unsupported requests, EDNS, truncation by size.

use authority::answer::handler::answer_packet;
use authority::listen::Protocol;
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RecordType};

use crate::support::{ask_with, catalog, query_bytes, section, EXAMPLE};

fn zones() -> authority::catalog::zones::Catalog {
    catalog(&[("example.test", EXAMPLE), ("big.test", &big_zone())])
}

/// A zone whose `many` name has 60 A records: about 1 KB, more than 512 and less than 1232.
/// `huge` has 200: more than 1232.
fn big_zone() -> String {
    let mut text =
        String::from("'': {type: NS, value: ns.example.org.}\nmany:\n  type: A\n  values:\n");
    for index in 0..60 {
        text.push_str(&format!("    - 10.0.0.{index}\n"));
    }
    text.push_str("few:\n  type: A\n  values:\n");
    for index in 0..12 {
        text.push_str(&format!("    - 10.3.0.{index}\n"));
    }
    text.push_str("huge:\n  type: A\n  values:\n");
    for index in 0..200 {
        text.push_str(&format!("    - 10.1.0.{index}\n"));
    }
    text
}

fn decode(bytes: &[u8]) -> Message {
    Message::from_vec(bytes).expect("decodable response")
}

#[test]
fn packet_shorter_than_a_header_is_dropped() {
    assert!(answer_packet(&zones(), &[0x12, 0x34, 0x01], Protocol::Udp).is_none());
    assert!(answer_packet(&zones(), &[], Protocol::Udp).is_none());
}

#[test]
fn response_sent_as_query_is_dropped() {
    let mut bytes = query_bytes("web.example.test.", RecordType::A, None);
    bytes[2] |= 0x80;
    assert!(answer_packet(&zones(), &bytes, Protocol::Udp).is_none());
}

#[test]
fn garbage_after_header_is_formerr_with_id() {
    let mut bytes = vec![
        0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];
    bytes.extend_from_slice(&[0x3f, b'x', b'y']);
    let reply = decode(&answer_packet(&zones(), &bytes, Protocol::Udp).expect("FORMERR"));
    assert_eq!(reply.metadata.id, 0xabcd);
    assert_eq!(reply.metadata.response_code, ResponseCode::FormErr);
    assert_eq!(reply.metadata.message_type, MessageType::Response);
}

#[test]
fn two_questions_are_formerr() {
    let mut message = Message::new(7, MessageType::Query, OpCode::Query);
    message.queries.push(Query::query(
        Name::from_ascii("web.example.test.").unwrap(),
        RecordType::A,
    ));
    message.queries.push(Query::query(
        Name::from_ascii("www.example.test.").unwrap(),
        RecordType::A,
    ));
    let reply = decode(
        &answer_packet(&zones(), &message.to_vec().unwrap(), Protocol::Udp).expect("FORMERR"),
    );
    assert_eq!(reply.metadata.id, 7);
    assert_eq!(reply.metadata.response_code, ResponseCode::FormErr);
}

#[test]
fn zero_questions_are_formerr() {
    let message = Message::new(8, MessageType::Query, OpCode::Query);
    let reply = decode(
        &answer_packet(&zones(), &message.to_vec().unwrap(), Protocol::Udp).expect("FORMERR"),
    );
    assert_eq!(reply.metadata.response_code, ResponseCode::FormErr);
}

#[test]
fn record_counts_beyond_the_packet_are_formerr() {
    let mut bytes = query_bytes("web.example.test.", RecordType::A, None);
    bytes[10] = 0xff;
    bytes[11] = 0xff;
    let reply = decode(&answer_packet(&zones(), &bytes, Protocol::Udp).expect("FORMERR"));
    assert_eq!(reply.metadata.response_code, ResponseCode::FormErr);
}

#[test]
fn other_opcodes_are_notimp() {
    for op_code in [OpCode::Status, OpCode::Notify, OpCode::Update] {
        let mut message = Message::new(9, MessageType::Query, op_code);
        message.queries.push(Query::query(
            Name::from_ascii("example.test.").unwrap(),
            RecordType::SOA,
        ));
        let reply = decode(
            &answer_packet(&zones(), &message.to_vec().unwrap(), Protocol::Udp).expect("NOTIMP"),
        );
        assert_eq!(
            reply.metadata.response_code,
            ResponseCode::NotImp,
            "{op_code:?}"
        );
        assert_eq!(reply.metadata.op_code, op_code);
        assert_eq!(reply.metadata.id, 9);
    }
}

#[test]
fn edns_version_above_zero_is_badvers_with_opt() {
    let mut message = Message::new(10, MessageType::Query, OpCode::Query);
    message.queries.push(Query::query(
        Name::from_ascii("web.example.test.").unwrap(),
        RecordType::A,
    ));
    let mut edns = Edns::new();
    edns.set_version(1);
    message.edns = Some(edns);
    let reply = decode(
        &answer_packet(&zones(), &message.to_vec().unwrap(), Protocol::Udp).expect("BADVERS"),
    );
    // BADVERS shares code 16 with BADSIG; hickory decodes 16 as BADSIG.
    assert_eq!(u16::from(reply.metadata.response_code), 16);
    let edns = reply.edns.expect("OPT in BADVERS");
    assert_eq!(edns.version(), 0);
}

#[test]
fn edns_is_echoed_with_our_payload_size() {
    let reply = ask_with(
        &zones(),
        "web.example.test.",
        RecordType::A,
        Some(4096),
        Protocol::Udp,
    );
    let edns = reply.edns.expect("OPT echoed");
    assert_eq!(edns.max_payload(), 1232);
    assert_eq!(edns.version(), 0);
    let reply = ask_with(
        &zones(),
        "web.example.test.",
        RecordType::A,
        None,
        Protocol::Udp,
    );
    assert!(reply.edns.is_none());
}

#[test]
fn udp_without_edns_truncates_at_512_bytes() {
    let bytes = answer_packet(
        &zones(),
        &query_bytes("many.big.test.", RecordType::A, None),
        Protocol::Udp,
    )
    .unwrap();
    assert!(bytes.len() <= 512, "{} bytes", bytes.len());
    let reply = decode(&bytes);
    assert!(reply.metadata.truncation);
    assert!(
        reply.answers.is_empty(),
        "the only RRset did not fit, so it is dropped whole"
    );
    assert_eq!(reply.queries.len(), 1);
}

#[test]
fn edns_buffer_size_is_honoured() {
    let bytes = answer_packet(
        &zones(),
        &query_bytes("many.big.test.", RecordType::A, Some(1232)),
        Protocol::Udp,
    )
    .unwrap();
    let reply = decode(&bytes);
    assert!(!reply.metadata.truncation);
    assert_eq!(reply.answers.len(), 60);
    assert!(reply.edns.is_some());
}

#[test]
fn edns_size_below_512_counts_as_512() {
    let bytes = answer_packet(
        &zones(),
        &query_bytes("few.big.test.", RecordType::A, Some(100)),
        Protocol::Udp,
    )
    .unwrap();
    assert!(
        bytes.len() > 100,
        "a reply of {} bytes fits 512",
        bytes.len()
    );
    let reply = decode(&bytes);
    assert!(!reply.metadata.truncation);
    assert_eq!(reply.answers.len(), 12);
    let bytes = answer_packet(
        &zones(),
        &query_bytes("many.big.test.", RecordType::A, Some(100)),
        Protocol::Udp,
    )
    .unwrap();
    assert!(bytes.len() <= 512);
    let reply = decode(&bytes);
    assert!(reply.metadata.truncation);
    assert!(reply.edns.is_some(), "OPT is kept in a truncated reply");
}

#[test]
fn edns_size_above_1232_is_capped() {
    let bytes = answer_packet(
        &zones(),
        &query_bytes("huge.big.test.", RecordType::A, Some(65000)),
        Protocol::Udp,
    )
    .unwrap();
    assert!(bytes.len() <= 1232);
    assert!(decode(&bytes).metadata.truncation);
}

#[test]
fn tcp_gets_the_full_answer() {
    let reply = ask_with(
        &zones(),
        "huge.big.test.",
        RecordType::A,
        None,
        Protocol::Tcp,
    );
    assert!(!reply.metadata.truncation);
    assert_eq!(reply.answers.len(), 200);
}

#[test]
fn additional_data_is_dropped_silently_before_answers() {
    // A 25-record NS RRset whose targets have addresses: the answer fits 1232, the addresses not.
    let mut text = String::from("'':\n  type: NS\n  values:\n");
    for index in 0..25 {
        text.push_str(&format!("    - nameserver-number-{index}.example.test.\n"));
    }
    for index in 0..25 {
        text.push_str(&format!(
            "nameserver-number-{index}: {{type: A, value: 10.2.0.{index}}}\n"
        ));
    }
    let zones = catalog(&[("example.test", &text)]);
    let bytes = answer_packet(
        &zones,
        &query_bytes("example.test.", RecordType::NS, Some(1232)),
        Protocol::Udp,
    )
    .unwrap();
    let reply = decode(&bytes);
    assert_eq!(reply.answers.len(), 25);
    assert!(
        !reply.metadata.truncation,
        "losing additional data is not truncation (RFC 2181 §9)"
    );
    assert!(reply.additionals.len() < 25);
}

#[test]
fn chaos_class_is_refused() {
    let mut message = Message::new(11, MessageType::Query, OpCode::Query);
    let mut query = Query::query(Name::from_ascii("version.bind.").unwrap(), RecordType::TXT);
    query.set_query_class(hickory_proto::rr::DNSClass::CH);
    message.queries.push(query);
    let reply =
        decode(&answer_packet(&zones(), &message.to_vec().unwrap(), Protocol::Udp).unwrap());
    assert_eq!(reply.metadata.response_code, ResponseCode::Refused);
}

#[test]
fn axfr_is_refused() {
    let reply = ask_with(
        &zones(),
        "example.test.",
        RecordType::AXFR,
        None,
        Protocol::Tcp,
    );
    assert_eq!(reply.metadata.response_code, ResponseCode::Refused);
    assert!(section(&reply.answers).is_empty());
}

#[test]
fn random_bytes_never_panic() {
    // A fixed pseudo-random sequence (xorshift) so the test is reproducible; every input must
    // give either nothing or a decodable reply.
    let zones = zones();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let base = query_bytes("web.example.test.", RecordType::A, Some(1232));
    for round in 0..2000 {
        let mut bytes = base.clone();
        for _ in 0..(round % 6 + 1) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let position = (state as usize) % bytes.len();
            bytes[position] = (state >> 32) as u8;
        }
        if round % 3 == 0 {
            bytes.truncate((state as usize >> 8) % bytes.len());
        }
        if let Some(reply) = answer_packet(&zones, &bytes, Protocol::Udp) {
            assert!(reply.len() <= 1232);
            assert!(Message::from_vec(&reply).is_ok(), "round {round}");
        }
    }
}

#[test]
fn dnssec_ok_bit_is_copied() {
    let mut message = Message::new(12, MessageType::Query, OpCode::Query);
    message.queries.push(Query::query(
        Name::from_ascii("web.example.test.").unwrap(),
        RecordType::A,
    ));
    let mut edns = Edns::new();
    edns.set_dnssec_ok(true);
    message.edns = Some(edns);
    let reply =
        decode(&answer_packet(&zones(), &message.to_vec().unwrap(), Protocol::Udp).unwrap());
    assert!(reply.edns.expect("OPT").flags().dnssec_ok);
}

#[test]
fn optional_authority_is_dropped_without_tc() {
    // An answer that fits 512 bytes only without the zone's NS in authority.
    let mut text = String::from("'':\n  type: NS\n  values:\n");
    for index in 0..13 {
        text.push_str(&format!(
            "    - a-rather-long-nameserver-name-{index}.example.org.\n"
        ));
    }
    text.push_str("www:\n  type: A\n  values:\n");
    for index in 0..20 {
        text.push_str(&format!("    - 10.4.0.{index}\n"));
    }
    let zones = catalog(&[("example.test", &text)]);
    let reply = decode(
        &answer_packet(
            &zones,
            &query_bytes("www.example.test.", RecordType::A, None),
            Protocol::Udp,
        )
        .unwrap(),
    );
    assert_eq!(reply.answers.len(), 20);
    assert!(reply.authorities.is_empty());
    assert!(
        !reply.metadata.truncation,
        "the zone's NS in a positive answer is optional (RFC 2181 §9)"
    );
    let reply = ask_with(
        &zones,
        "www.example.test.",
        RecordType::A,
        None,
        Protocol::Tcp,
    );
    assert_eq!(reply.authorities.len(), 13);
}

#[test]
fn referral_that_loses_glue_is_truncated() {
    // RFC 9471 §3: glue for in-domain nameservers must fit, or TC is set.
    let mut text =
        String::from("'': {type: NS, value: ns.example.org.}\nsub:\n  type: NS\n  values:\n");
    for index in 0..12 {
        text.push_str(&format!(
            "    - a-long-nameserver-name-number-{index}.sub.example.test.\n"
        ));
    }
    for index in 0..12 {
        text.push_str(&format!("a-long-nameserver-name-number-{index}.sub:\n  - {{type: A, value: 10.5.0.{index}}}\n  - {{type: AAAA, value: '2001:db8::{index}'}}\n"));
    }
    let zones = catalog(&[("example.test", &text)]);
    let bytes = answer_packet(
        &zones,
        &query_bytes("host.sub.example.test.", RecordType::A, None),
        Protocol::Udp,
    )
    .unwrap();
    assert!(bytes.len() <= 512);
    let reply = decode(&bytes);
    assert!(reply.metadata.truncation, "lost glue sets TC");
    assert!(!reply.metadata.authoritative);
    let reply = ask_with(
        &zones,
        "host.sub.example.test.",
        RecordType::A,
        None,
        Protocol::Tcp,
    );
    assert!(!reply.metadata.truncation);
    assert_eq!(reply.additionals.len(), 24);
}

/// Found by the hostile corpus (tests/tests/e2e/hostile.rs): hickory ignores bytes after the
/// last counted record, so a query with trailing garbage used to get a normal answer.
#[test]
fn trailing_bytes_after_question_are_formerr() {
    let mut bytes = query_bytes("web.example.test.", RecordType::A, None);
    bytes.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    let reply = decode(&answer_packet(&zones(), &bytes, Protocol::Udp).expect("FORMERR"));
    assert_eq!(reply.metadata.response_code, ResponseCode::FormErr);
}
