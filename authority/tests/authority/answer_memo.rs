//! The answer memo: a remembered answer is the fresh answer with the request's ID, every
//! difference in the request gets its own answer, reload and rate limiting still hold, and it stays bounded.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use authority::answer::handler::{answer_packet, answer_packet_memoised, AuthorityHandler};
use authority::answer::memo::AnswerMemo;
use authority::catalog::reload::SharedCatalog;
use authority::catalog::zones::{Catalog, ZoneSource};
use authority::listen::{Handler, Protocol, RequestContext};
use authority::rrl::RateLimitConfig;
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::{Name, RecordType};

use crate::support::{catalog, full, EXAMPLE, OTHER};

/// What a test query may vary.
#[derive(Clone, Copy)]
struct Ask<'a> {
    id: u16,
    name: &'a str,
    record_type: RecordType,
    recursion_desired: bool,
    checking_disabled: bool,
    edns_size: Option<u16>,
    dnssec_ok: bool,
}

fn ask(name: &str, record_type: RecordType) -> Ask<'_> {
    Ask {
        id: 0x0101,
        name,
        record_type,
        recursion_desired: false,
        checking_disabled: false,
        edns_size: None,
        dnssec_ok: false,
    }
}

fn bytes(ask: Ask<'_>) -> Vec<u8> {
    let mut message = Message::new(ask.id, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = ask.recursion_desired;
    message.metadata.checking_disabled = ask.checking_disabled;
    message.queries.push(Query::query(
        Name::from_ascii(ask.name).expect("name"),
        ask.record_type,
    ));
    if let Some(size) = ask.edns_size {
        let mut edns = Edns::new();
        edns.set_max_payload(size);
        edns.set_dnssec_ok(ask.dnssec_ok);
        message.edns = Some(edns);
    }
    message.to_vec().expect("encode")
}

fn with_id(mut packet: Vec<u8>, id: u16) -> Vec<u8> {
    if let Some(slot) = packet.get_mut(..2) {
        slot.copy_from_slice(&id.to_be_bytes());
    }
    packet
}

/// A zone with an RRset too big for 512 octets (40 A records, 16 octets each once compressed).
fn big_zone() -> String {
    let addresses: Vec<String> = (1..=40).map(|last| format!("192.0.2.{last}")).collect();
    format!(
        "'': {{type: NS, value: ns.big.test.}}\nns: {{type: A, value: 192.0.2.53}}\nmany: {{type: A, values: [{}]}}\n",
        addresses.join(", ")
    )
}

fn zones() -> Catalog {
    catalog(&[
        ("example.test.", EXAMPLE),
        ("other.test.", OTHER),
        ("big.test.", &big_zone()),
    ])
}

/// The question mix: every answer path, plus the error answers.
fn mix() -> Vec<Vec<u8>> {
    let mut packets: Vec<Vec<u8>> = [
        ("web.example.test.", RecordType::A),
        ("www.example.test.", RecordType::A),
        ("example.test.", RecordType::MX),
        ("away.example.test.", RecordType::A),
        ("missing.example.test.", RecordType::A),
        ("web.example.test.", RecordType::TXT),
        ("x.sub.example.test.", RecordType::A),
        ("a.wild.example.test.", RecordType::MX),
        ("www.example.org.", RecordType::A),
        ("example.test.", RecordType::AXFR),
        ("many.big.test.", RecordType::A),
    ]
    .into_iter()
    .map(|(name, record_type)| bytes(ask(name, record_type)))
    .collect();
    let mut trailing_garbage = bytes(ask("web.example.test.", RecordType::A));
    trailing_garbage.extend_from_slice(&[1, 2, 3]);
    packets.push(trailing_garbage);
    let mut status_opcode = bytes(ask("web.example.test.", RecordType::A));
    if let Some(flags) = packet_byte(&mut status_opcode, 2) {
        *flags |= 2 << 3;
    }
    packets.push(status_opcode);
    let mut edns_version_one = bytes(Ask {
        edns_size: Some(1232),
        ..ask("web.example.test.", RecordType::A)
    });
    // The OPT record (no options) ends the packet: its TTL's second octet, the version, is followed
    // by the two flag octets and the two of RDLENGTH.
    let version_index = edns_version_one.len() - 5;
    if let Some(version) = packet_byte(&mut edns_version_one, version_index) {
        *version = 1;
    }
    packets.push(edns_version_one);
    packets
}

fn packet_byte(packet: &mut [u8], index: usize) -> Option<&mut u8> {
    packet.get_mut(index)
}

#[test]
fn remembered_answer_is_the_fresh_answer_with_the_new_id() {
    let zones = zones();
    // Many sets, so that no set ever holds three of the mix's questions: a third would be stored
    // only at its second miss (the doorkeeper), and this test is about what a hit returns. With
    // 1,024 slots, three of its 56 answers landed in one set about one run in thirty.
    let memo = AnswerMemo::new(1 << 16, 1 << 20);
    for (index, packet) in mix().into_iter().enumerate() {
        for protocol in [Protocol::Udp, Protocol::Tcp] {
            let first = answer_packet_memoised(&memo, &zones, &packet, protocol);
            assert_eq!(
                first,
                answer_packet(&zones, &packet, protocol),
                "miss {index}"
            );
            let again = with_id(packet.clone(), 0x7e00 + index as u16);
            let remembered = memo.recall(zones.generation(), &again, protocol);
            assert!(remembered.is_some(), "question {index} was remembered");
            assert_eq!(
                remembered,
                answer_packet(&zones, &again, protocol),
                "hit {index} over {protocol:?}"
            );
        }
    }
}

#[test]
fn each_difference_in_flags_edns_case_or_transport_gets_its_own_answer() {
    let zones = zones();
    // Many sets, so the few requests below never crowd one set and all stay.
    let memo = AnswerMemo::new(1 << 16, 1 << 20);
    let base = ask("many.big.test.", RecordType::A);
    let variants = [
        base,
        Ask {
            recursion_desired: true,
            ..base
        },
        Ask {
            checking_disabled: true,
            ..base
        },
        Ask {
            edns_size: Some(512),
            ..base
        },
        Ask {
            edns_size: Some(1232),
            ..base
        },
        Ask {
            edns_size: Some(1232),
            dnssec_ok: true,
            ..base
        },
        Ask {
            name: "MANY.big.TEST.",
            ..base
        },
    ];
    let asked: Vec<(Vec<u8>, Protocol)> = variants
        .iter()
        .flat_map(|variant| {
            [
                (bytes(*variant), Protocol::Udp),
                (bytes(*variant), Protocol::Tcp),
            ]
        })
        .collect();
    for (packet, protocol) in &asked {
        answer_packet_memoised(&memo, &zones, packet, *protocol);
    }
    assert_eq!(
        memo.entry_count(),
        asked.len(),
        "one entry per distinct request"
    );
    for (round, (packet, protocol)) in asked.iter().enumerate() {
        let again = with_id(packet.clone(), 0x4000 + round as u16);
        let answer = answer_packet_memoised(&memo, &zones, &again, *protocol);
        assert_eq!(
            answer,
            answer_packet(&zones, &again, *protocol),
            "request {round}"
        );
    }
    assert_eq!(memo.entry_count(), asked.len(), "the second round only hit");
    // The payload size decides truncation, so it must have been part of the key.
    let truncated = |ask: Ask<'_>, protocol| {
        let answer = answer_packet_memoised(&memo, &zones, &bytes(ask), protocol).expect("answer");
        Message::from_vec(&answer)
            .expect("decodable")
            .metadata
            .truncation
    };
    assert!(truncated(base, Protocol::Udp), "512 octets without EDNS");
    assert!(!truncated(base, Protocol::Tcp), "TCP is not cut");
    assert!(!truncated(
        Ask {
            edns_size: Some(1232),
            ..base
        },
        Protocol::Udp
    ));
    // The question section echoes the case as sent.
    let mixed =
        answer_packet_memoised(&memo, &zones, &bytes(variants[6]), Protocol::Udp).expect("answer");
    let question = Message::from_vec(&mixed).expect("decodable").queries;
    assert_eq!(
        question.first().map(|query| query.name().to_string()),
        Some("MANY.big.TEST.".to_string())
    );
}

#[test]
fn questions_sharing_a_set_never_share_an_answer() {
    let zones = zones();
    // One set of two slots: every question lands in it, so only the full key tells them apart.
    let memo = AnswerMemo::new(2, 1 << 20);
    assert_eq!(memo.slot_count(), 2);
    let packets = mix();
    for _ in 0..3 {
        for packet in &packets {
            assert_eq!(
                answer_packet_memoised(&memo, &zones, packet, Protocol::Udp),
                answer_packet(&zones, packet, Protocol::Udp)
            );
        }
    }
    assert!(memo.entry_count() <= 2);
}

#[test]
fn names_asked_once_never_push_out_answers_asked_again() {
    let zones = zones();
    // One set of two slots, held by two questions that keep being asked.
    let memo = AnswerMemo::new(2, 1 << 20);
    let kept = [
        bytes(ask("web.example.test.", RecordType::A)),
        bytes(ask("www.example.test.", RecordType::A)),
    ];
    for packet in &kept {
        answer_packet_memoised(&memo, &zones, packet, Protocol::Udp);
    }
    // A flood of names asked once each, under the wildcard: every one is answered, none is kept.
    for index in 0..1000 {
        let packet = bytes(ask(&format!("n{index}.wild.example.test."), RecordType::MX));
        assert_eq!(
            answer_packet_memoised(&memo, &zones, &packet, Protocol::Udp),
            answer_packet(&zones, &packet, Protocol::Udp)
        );
    }
    for packet in &kept {
        assert!(
            memo.recall(zones.generation(), packet, Protocol::Udp)
                .is_some(),
            "an answer asked again was pushed out by names asked once"
        );
    }
    // A question that comes back is let in at its second miss.
    let newcomer = bytes(ask("a.wild.example.test.", RecordType::MX));
    answer_packet_memoised(&memo, &zones, &newcomer, Protocol::Udp);
    assert!(
        memo.recall(zones.generation(), &newcomer, Protocol::Udp)
            .is_none(),
        "turned away at its first miss"
    );
    assert_eq!(
        answer_packet_memoised(&memo, &zones, &newcomer, Protocol::Udp),
        answer_packet(&zones, &newcomer, Protocol::Udp)
    );
    assert_eq!(
        memo.recall(zones.generation(), &newcomer, Protocol::Udp),
        answer_packet(&zones, &newcomer, Protocol::Udp),
        "let in at its second miss"
    );
    assert_eq!(memo.entry_count(), 2);
}

#[test]
fn memo_stays_within_its_slots_and_bytes() {
    let zones = zones();
    let memo = AnswerMemo::new(64, 1 << 20);
    let small_budget = AnswerMemo::new(64, 2000);
    let names: Vec<String> = (0..1000)
        .map(|index| format!("n{index}.wild.example.test."))
        .collect();
    for name in &names {
        let packet = bytes(ask(name, RecordType::MX));
        for memo in [&memo, &small_budget] {
            assert_eq!(
                answer_packet_memoised(memo, &zones, &packet, Protocol::Udp),
                answer_packet(&zones, &packet, Protocol::Udp)
            );
        }
    }
    assert_eq!(memo.slot_count(), 64);
    assert!(memo.entry_count() <= 64, "{} entries", memo.entry_count());
    assert!(memo.entry_count() >= 32, "the slots are used");
    assert!(small_budget.stored_bytes() <= 2000);
    assert!(
        small_budget.entry_count() >= 1,
        "the budget holds a few answers"
    );
    assert!(small_budget.entry_count() < memo.entry_count());
    // A request over the request bound is answered but not remembered.
    let fresh = AnswerMemo::new(64, 1 << 20);
    let mut long = bytes(Ask {
        edns_size: Some(1232),
        ..ask("web.example.test.", RecordType::A)
    });
    long.resize(600, 0);
    assert!(answer_packet_memoised(&fresh, &zones, &long, Protocol::Udp).is_some());
    assert_eq!(fresh.entry_count(), 0);
}

/// A private directory for one test's zone files, removed at the end.
struct TempDirectory(PathBuf);

impl TempDirectory {
    fn new(name: &str) -> TempDirectory {
        let path =
            std::env::temp_dir().join(format!("authority-memo-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&path).expect("temp directory");
        TempDirectory(path)
    }
    fn write(&self, file: &str, text: &str) -> PathBuf {
        let path = self.0.join(file);
        std::fs::write(&path, text).expect("zone file");
        path
    }
}

impl Drop for TempDirectory {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

fn context(client: &str, protocol: Protocol) -> RequestContext {
    RequestContext {
        client: client.parse::<SocketAddr>().expect("client address"),
        local: "127.0.0.1:53".parse().expect("local address"),
        protocol,
    }
}

async fn answers_of(handler: &AuthorityHandler, packet: &[u8]) -> Vec<String> {
    let reply = handler
        .handle(packet, context("192.0.2.7:4000", Protocol::Udp))
        .await
        .expect("a reply");
    full(&Message::from_vec(&reply).expect("decodable").answers)
}

#[tokio::test]
async fn reload_lets_no_remembered_answer_out() {
    let directory = TempDirectory::new("reload");
    let zone = |address: &str| {
        format!("'': {{type: NS, value: ns.example.org.}}\nwww: {{type: A, value: {address}}}\n")
    };
    let path = directory.write("one.test.yaml", &zone("192.0.2.1"));
    let source = ZoneSource::parse(path.to_str().expect("utf-8 path")).expect("zone argument");
    let (shared, report) = SharedCatalog::load(vec![source]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let shared = Arc::new(shared);
    let handler = AuthorityHandler::new(shared.clone());
    let packet = bytes(ask("www.one.test.", RecordType::A));
    assert_eq!(
        answers_of(&handler, &packet).await,
        ["www.one.test. 3600 A 192.0.2.1"]
    );
    assert_eq!(
        answers_of(&handler, &packet).await,
        ["www.one.test. 3600 A 192.0.2.1"]
    );
    assert_eq!(handler.memo().entry_count(), 1, "the answer was remembered");
    directory.write("one.test.yaml", &zone("192.0.2.2"));
    assert!(shared.reload().errors.is_empty());
    assert_eq!(
        answers_of(&handler, &packet).await,
        ["www.one.test. 3600 A 192.0.2.2"]
    );
    // A reload that fails keeps the zone's data; the answer stays the newest good one.
    directory.write("one.test.yaml", "www: {type: A, value: not-an-address}\n");
    assert!(!shared.reload().errors.is_empty());
    assert_eq!(
        answers_of(&handler, &packet).await,
        ["www.one.test. 3600 A 192.0.2.2"]
    );
}

#[tokio::test]
async fn rate_limiting_applies_to_remembered_answers() {
    let zone = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../zones/examples/example.test.yaml"
    );
    let source = ZoneSource::parse(zone).expect("zone argument");
    let (shared, report) = SharedCatalog::load(vec![source]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let handler = AuthorityHandler::new(Arc::new(shared)).with_rate_limit(RateLimitConfig {
        responses_per_second: 1,
        slip: 2,
    });
    let packet = bytes(Ask {
        edns_size: Some(1232),
        ..ask("www.example.test.", RecordType::A)
    });
    let (mut full_answers, mut truncated, mut dropped) = (0, 0, 0);
    for _ in 0..50 {
        match handler
            .handle(&packet, context("192.0.2.1:4000", Protocol::Udp))
            .await
        {
            Some(reply) if reply.get(2).is_some_and(|flags| flags & 0x02 != 0) => truncated += 1,
            Some(_) => full_answers += 1,
            None => dropped += 1,
        }
    }
    assert_eq!(
        handler.memo().entry_count(),
        1,
        "the answers came from the memo"
    );
    assert!(
        (1..25).contains(&full_answers),
        "full answers: {full_answers}"
    );
    assert!(
        truncated >= 1 && dropped >= 1,
        "{truncated} slipped, {dropped} dropped"
    );
    // What the memo holds is the full answer, not a slipped one: another /24 gets it whole.
    let other = handler
        .handle(&packet, context("198.51.100.1:4000", Protocol::Udp))
        .await
        .expect("a reply");
    let message = Message::from_vec(&other).expect("decodable");
    assert!(!message.metadata.truncation);
    assert!(!message.answers.is_empty());
}
