//! RFC 6891 and its options in every kind of reply: BADVERS, NOTIMP and FORMERR keep the OPT of a
//! query that had one, Extended DNS Errors (RFC 8914), NSID (RFC 5001), CH TXT `id.server`, and
//! the same bytes through the answer memo. The shapes follow Knot (see tests/tests/e2e/authority_edns.rs).

use authority::answer::handler::{answer_packet_memoised_with, answer_packet_with};
use authority::answer::identity::ServerIdentity;
use authority::answer::memo::AnswerMemo;
use authority::answer::response::{
    EDE_INVALID_DATA, EDE_NOT_AUTHORITATIVE, EDE_NOT_SUPPORTED, EDE_OPTION_CODE,
};
use authority::catalog::zones::{Catalog, ZoneSource};
use authority::listen::Protocol;
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption, NSIDPayload};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};

use crate::support::{catalog, section, EXAMPLE};

const DNAME_ZONE: &str = r#"
'': {type: NS, value: ns1.example.test.}
ns1: {type: A, value: 192.0.2.53}
d: {type: DNAME, value: inside.dname.test.}
x.inside: {type: A, value: 192.0.2.7}
"#;

fn zones() -> Catalog {
    catalog(&[("example.test", EXAMPLE), ("dname.test", DNAME_ZONE)])
}

fn configured() -> ServerIdentity {
    ServerIdentity::new(Some("ns1.test"), Some("authority 1"), Some("ns1-nsid")).unwrap()
}

/// What a query carries besides its question.
#[derive(Clone, Copy, Default)]
struct Ask {
    op_code: Option<OpCode>,
    edns_version: Option<u8>,
    nsid: bool,
    class: Option<DNSClass>,
}

impl Ask {
    fn edns() -> Ask {
        Ask {
            edns_version: Some(0),
            ..Ask::default()
        }
    }
}

fn bytes(name: &str, record_type: RecordType, ask: Ask) -> Vec<u8> {
    let mut message = Message::new(
        0x4242,
        MessageType::Query,
        ask.op_code.unwrap_or(OpCode::Query),
    );
    let mut query = Query::query(Name::from_ascii(name).unwrap(), record_type);
    query.set_query_class(ask.class.unwrap_or(DNSClass::IN));
    message.queries.push(query);
    if let Some(version) = ask.edns_version {
        let mut edns = Edns::new();
        edns.set_max_payload(1232);
        edns.set_version(version);
        if ask.nsid {
            edns.options_mut()
                .insert(EdnsOption::NSID(NSIDPayload::new(Vec::new()).unwrap()));
        }
        message.edns = Some(edns);
    }
    message.to_vec().unwrap()
}

fn reply(identity: &ServerIdentity, catalog: &Catalog, packet: &[u8]) -> Message {
    let bytes = answer_packet_with(identity, catalog, packet, Protocol::Udp).expect("a reply");
    Message::from_vec(&bytes).expect("decodable reply")
}

fn ede(message: &Message) -> Option<u16> {
    match message
        .edns
        .as_ref()?
        .option(EdnsCode::Unknown(EDE_OPTION_CODE))?
    {
        EdnsOption::Unknown(_, data) => Some(u16::from_be_bytes([data[0], data[1]])),
        other => panic!("EDE decoded as {other:?}"),
    }
}

fn nsid(message: &Message) -> Option<Vec<u8>> {
    match message.edns.as_ref()?.option(EdnsCode::NSID)? {
        EdnsOption::NSID(payload) => Some(payload.as_ref().to_vec()),
        other => panic!("NSID decoded as {other:?}"),
    }
}

#[test]
fn badvers_reply_echoes_the_question_with_our_version_zero_opt() {
    let ask = Ask {
        edns_version: Some(1),
        nsid: true,
        ..Ask::default()
    };
    let message = reply(
        &configured(),
        &zones(),
        &bytes("web.example.test.", RecordType::A, ask),
    );
    // BADVERS shares code 16 with BADSIG; hickory decodes 16 as BADSIG.
    assert_eq!(u16::from(message.metadata.response_code), 16);
    assert_eq!(message.queries.len(), 1, "question echoed as Knot does");
    assert_eq!(message.queries[0].name().to_ascii(), "web.example.test.");
    assert!(!message.metadata.authoritative);
    assert_eq!(message.edns.as_ref().expect("OPT").version(), 0);
    assert_eq!(nsid(&message), Some(b"ns1-nsid".to_vec()));
}

#[test]
fn notimp_to_a_query_with_opt_carries_opt_and_not_supported() {
    for op_code in [OpCode::Status, OpCode::Notify, OpCode::Update] {
        let with_opt = Ask {
            op_code: Some(op_code),
            ..Ask::edns()
        };
        let message = reply(
            &ServerIdentity::hidden(),
            &zones(),
            &bytes("example.test.", RecordType::SOA, with_opt),
        );
        assert_eq!(message.metadata.response_code, ResponseCode::NotImp);
        assert_eq!(message.metadata.op_code, op_code);
        assert_eq!(message.queries.len(), 1, "{op_code:?}: question echoed");
        assert_eq!(ede(&message), Some(EDE_NOT_SUPPORTED), "{op_code:?}");

        let without_opt = Ask {
            op_code: Some(op_code),
            ..Ask::default()
        };
        let message = reply(
            &ServerIdentity::hidden(),
            &zones(),
            &bytes("example.test.", RecordType::SOA, without_opt),
        );
        assert_eq!(message.metadata.response_code, ResponseCode::NotImp);
        assert!(message.edns.is_none(), "no OPT without one in the query");
    }
}

#[test]
fn formerr_to_a_query_with_opt_carries_opt() {
    let mut trailing = bytes("web.example.test.", RecordType::A, Ask::edns());
    trailing.extend_from_slice(b"xx");
    let message = reply(&ServerIdentity::hidden(), &zones(), &trailing);
    assert_eq!(message.metadata.response_code, ResponseCode::FormErr);
    assert!(
        message.edns.is_some(),
        "OPT kept on FORMERR (RFC 6891 §6.1.1)"
    );
    assert_eq!(message.queries.len(), 1);

    let mut no_question = Message::new(0x4242, MessageType::Query, OpCode::Query);
    no_question.edns = Some(Edns::new());
    let message = reply(
        &ServerIdentity::hidden(),
        &zones(),
        &no_question.to_vec().unwrap(),
    );
    assert_eq!(message.metadata.response_code, ResponseCode::FormErr);
    assert!(message.edns.is_some());
    assert!(message.queries.is_empty());
}

#[test]
fn qtype_opt_is_formerr_with_opt_and_question() {
    let message = reply(
        &ServerIdentity::hidden(),
        &zones(),
        &bytes("web.example.test.", RecordType::OPT, Ask::edns()),
    );
    assert_eq!(message.metadata.response_code, ResponseCode::FormErr);
    assert!(message.edns.is_some());
    assert_eq!(message.queries[0].query_type(), RecordType::OPT);
}

#[test]
fn cname_question_below_a_dname_stops_at_the_synthesized_cname() {
    let message = reply(
        &ServerIdentity::hidden(),
        &zones(),
        &bytes("x.d.dname.test.", RecordType::CNAME, Ask::default()),
    );
    assert_eq!(message.metadata.response_code, ResponseCode::NoError);
    assert_eq!(
        section(&message.answers),
        ["d.dname.test. DNAME", "x.d.dname.test. CNAME"]
    );
    assert!(
        !message
            .authorities
            .iter()
            .any(|record| record.record_type() == RecordType::SOA),
        "no SOA after the synthesized CNAME: {:?}",
        message.authorities
    );
    // Other types still follow the CNAME to the data.
    let message = reply(
        &ServerIdentity::hidden(),
        &zones(),
        &bytes("x.d.dname.test.", RecordType::A, Ask::default()),
    );
    assert_eq!(
        section(&message.answers),
        [
            "d.dname.test. DNAME",
            "x.d.dname.test. CNAME",
            "x.inside.dname.test. A"
        ]
    );
}

#[test]
fn chaos_identity_is_refused_unless_configured() {
    let chaos = Ask {
        class: Some(DNSClass::CH),
        ..Ask::default()
    };
    for name in [
        "id.server.",
        "hostname.bind.",
        "version.bind.",
        "version.server.",
    ] {
        let message = reply(
            &ServerIdentity::hidden(),
            &zones(),
            &bytes(name, RecordType::TXT, chaos),
        );
        assert_eq!(
            message.metadata.response_code,
            ResponseCode::Refused,
            "{name}"
        );
    }
    for (name, expected) in [
        ("id.server.", "ns1.test"),
        ("HOSTNAME.bind.", "ns1.test"),
        ("version.bind.", "authority 1"),
        ("version.server.", "authority 1"),
    ] {
        let message = reply(
            &configured(),
            &zones(),
            &bytes(name, RecordType::TXT, chaos),
        );
        assert_eq!(
            message.metadata.response_code,
            ResponseCode::NoError,
            "{name}"
        );
        // As NSD and Knot: not authoritative, TTL 0, class CH.
        assert!(!message.metadata.authoritative);
        let [record] = message.answers.as_slice() else {
            panic!("{name}: {:?}", message.answers)
        };
        assert_eq!(record.ttl, 0);
        assert_eq!(record.dns_class, DNSClass::CH);
        match &record.data {
            RData::TXT(txt) => assert_eq!(txt.to_string(), expected),
            other => panic!("{other:?}"),
        }
    }
    // Other CH questions stay refused.
    for (name, record_type) in [
        ("id.server.", RecordType::A),
        ("x.id.server.", RecordType::TXT),
        ("authors.bind.", RecordType::TXT),
    ] {
        let message = reply(&configured(), &zones(), &bytes(name, record_type, chaos));
        assert_eq!(
            message.metadata.response_code,
            ResponseCode::Refused,
            "{name}"
        );
    }
}

#[test]
fn nsid_is_sent_only_when_asked_and_configured() {
    let asked = Ask {
        nsid: true,
        ..Ask::edns()
    };
    let message = reply(
        &configured(),
        &zones(),
        &bytes("web.example.test.", RecordType::A, asked),
    );
    assert_eq!(nsid(&message), Some(b"ns1-nsid".to_vec()));
    let message = reply(
        &configured(),
        &zones(),
        &bytes("web.example.test.", RecordType::A, Ask::edns()),
    );
    assert_eq!(nsid(&message), None);
    let message = reply(
        &ServerIdentity::hidden(),
        &zones(),
        &bytes("web.example.test.", RecordType::A, asked),
    );
    assert_eq!(nsid(&message), None);
}

#[test]
fn refused_outside_our_zones_carries_not_authoritative_only_with_edns() {
    let message = reply(
        &ServerIdentity::hidden(),
        &zones(),
        &bytes("www.example.org.", RecordType::A, Ask::edns()),
    );
    assert_eq!(message.metadata.response_code, ResponseCode::Refused);
    assert_eq!(ede(&message), Some(EDE_NOT_AUTHORITATIVE));
    let message = reply(
        &ServerIdentity::hidden(),
        &zones(),
        &bytes("www.example.org.", RecordType::A, Ask::default()),
    );
    assert_eq!(message.metadata.response_code, ResponseCode::Refused);
    assert!(message.edns.is_none());
    // Answers inside our zones carry no EDE.
    let message = reply(
        &ServerIdentity::hidden(),
        &zones(),
        &bytes("web.example.test.", RecordType::A, Ask::edns()),
    );
    assert_eq!(ede(&message), None);
}

#[test]
fn zone_that_failed_to_load_is_servfail_with_invalid_data() {
    let directory = std::env::temp_dir().join(format!("authority-edns-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let broken = directory.join("broken.test.yaml");
    std::fs::write(&broken, "www: {type: A, value: not-an-address}\n").unwrap();
    let load = Catalog::load(&[ZoneSource::parse(broken.to_str().unwrap()).unwrap()]);
    std::fs::remove_dir_all(&directory).ok();
    assert!(!load.errors.is_empty());
    let message = reply(
        &ServerIdentity::hidden(),
        &load.catalog,
        &bytes("www.broken.test.", RecordType::A, Ask::edns()),
    );
    assert_eq!(message.metadata.response_code, ResponseCode::ServFail);
    assert!(!message.metadata.authoritative);
    assert_eq!(ede(&message), Some(EDE_INVALID_DATA));
    // Names outside it are still not ours.
    let message = reply(
        &ServerIdentity::hidden(),
        &load.catalog,
        &bytes("www.other.test.", RecordType::A, Ask::edns()),
    );
    assert_eq!(message.metadata.response_code, ResponseCode::Refused);
}

#[test]
fn memo_replays_each_reply_kind_byte_for_byte() {
    let identity = configured();
    let zones = zones();
    let memo = AnswerMemo::default();
    let chaos = Ask {
        class: Some(DNSClass::CH),
        ..Ask::edns()
    };
    let asked_nsid = Ask {
        nsid: true,
        ..Ask::edns()
    };
    let badvers = Ask {
        edns_version: Some(1),
        ..Ask::default()
    };
    let notimp = Ask {
        op_code: Some(OpCode::Status),
        ..Ask::edns()
    };
    let packets = [
        bytes("web.example.test.", RecordType::A, Ask::edns()),
        bytes("web.example.test.", RecordType::A, asked_nsid),
        bytes("web.example.test.", RecordType::A, badvers),
        bytes("example.test.", RecordType::SOA, notimp),
        bytes("id.server.", RecordType::TXT, chaos),
        bytes("version.bind.", RecordType::TXT, chaos),
        bytes("www.example.org.", RecordType::A, Ask::edns()),
        bytes("x.d.dname.test.", RecordType::CNAME, Ask::edns()),
    ];
    // Twice each, interleaved: the second round comes from the memo and must not differ.
    for _ in 0..2 {
        for packet in &packets {
            assert_eq!(
                answer_packet_memoised_with(&memo, &identity, &zones, packet, Protocol::Udp),
                answer_packet_with(&identity, &zones, packet, Protocol::Udp)
            );
        }
    }
    assert!(memo.entry_count() >= 6, "the replies were remembered");
}
