//! A walk's answer written by `walk_answer` against the message path, its reference: for the
//! same response, both parse to the same hickory message, or `walk_answer` declines.

use std::net::Ipv6Addr;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::{AAAA, CNAME, MX, SOA};
use hickory_proto::rr::{DNSClass, RData, Record, RecordType};

use authority::listen::Protocol;

use crate::response::{build_response, Resolution};
use crate::scrub::scrubber::tests::{a, name};
use crate::server::message::{encode_response, parse_request, size_limit};
use crate::server::plain_query::PlainQuery;
use crate::server::walk_answer::write_walk_answer;
use crate::server::wire_answer_tests::query;

fn cname(owner: &str, target: &str) -> Record {
    Record::from_rdata(name(owner), 60, RData::CNAME(CNAME(name(target))))
}

/// The response `Resolver::resolve` builds for `packet` from these records.
fn response(packet: &[u8], answers: Vec<Record>, authorities: Vec<Record>) -> Message {
    let request = parse_request(packet).unwrap();
    let response_code = if answers.is_empty() && authorities.is_empty() {
        ResponseCode::ServFail
    } else {
        ResponseCode::NoError
    };
    build_response(
        &request.message,
        Resolution {
            response_code,
            answers,
            authorities,
            verdict: crate::dnssec::Verdict::insecure(),
        },
    )
}

/// (walk_answer's bytes, the message path's bytes) for `packet` answered with `response`.
fn both(packet: &[u8], response: Message, protocol: Protocol) -> (Option<Vec<u8>>, Vec<u8>) {
    let request = parse_request(packet).unwrap();
    let limit = size_limit(protocol, request.message.edns.as_ref());
    let plain = PlainQuery::parse(packet).unwrap();
    let fast = write_walk_answer(&plain, &response, limit);
    let slow = encode_response(response, &request.message, limit).unwrap();
    (fast, slow)
}

fn assert_same(packet: &[u8], answers: Vec<Record>) -> Message {
    let response = response(packet, answers, Vec::new());
    let (fast, slow) = both(packet, response, Protocol::Udp);
    let fast = Message::from_vec(&fast.expect("walk_answer should write this")).unwrap();
    let slow = Message::from_vec(&slow).unwrap();
    assert_eq!(fast, slow);
    // The question is echoed with the client's letter case, as the message path does.
    assert_eq!(
        fast.queries[0].name().to_ascii(),
        slow.queries[0].name().to_ascii()
    );
    fast
}

const EDNS_CASES: [Option<(u16, bool)>; 3] = [None, Some((1232, false)), Some((4096, true))];

#[test]
fn addresses_equal_the_message_path_with_and_without_edns() {
    for edns in EDNS_CASES {
        let packet = query("WwW.Example.", RecordType::A, edns);
        let answer = assert_same(&packet, vec![a("www.example.", 1), a("www.example.", 2)]);
        assert_eq!(answer.answers.len(), 2);
        assert_eq!(answer.edns.is_some(), edns.is_some());
        let packet = query("v6.example.", RecordType::AAAA, edns);
        let data = RData::AAAA(AAAA(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)));
        assert_same(
            &packet,
            vec![Record::from_rdata(name("v6.example."), 30, data)],
        );
    }
}

#[test]
fn a_cname_chain_equals_the_message_path() {
    for edns in EDNS_CASES {
        let packet = query("alias.example.", RecordType::A, edns);
        let chain = vec![
            cname("alias.example.", "Mid.Example.NET."),
            cname("mid.example.net.", "www.example."),
            a("www.example.", 1),
            a("www.example.", 2),
        ];
        let answer = assert_same(&packet, chain);
        assert_eq!(answer.answers.len(), 4);
        let packet = query("alias.example.", RecordType::CNAME, edns);
        assert_same(&packet, vec![cname("alias.example.", "www.example.")]);
    }
}

#[test]
fn anything_else_is_left_to_the_message_path() {
    let packet = query("www.example.", RecordType::A, Some((1232, false)));
    let declined = |response: Message| both(&packet, response, Protocol::Udp).0.is_none();
    let soa = Record::from_rdata(
        name("example."),
        900,
        RData::SOA(SOA::new(
            name("ns.example."),
            name("h.example."),
            1,
            2,
            3,
            4,
            5,
        )),
    );
    // NODATA, NXDOMAIN, SERVFAIL: authority records or another rcode.
    assert!(declined(response(&packet, Vec::new(), vec![soa.clone()])));
    let mut nxdomain = response(&packet, Vec::new(), vec![soa]);
    nxdomain.metadata.response_code = ResponseCode::NXDomain;
    assert!(declined(nxdomain));
    assert!(declined(response(&packet, Vec::new(), Vec::new())));
    // A type it does not write, a record of another class, an owner out of chain order.
    let mx = Record::from_rdata(
        name("www.example."),
        60,
        RData::MX(MX::new(10, name("mail.example."))),
    );
    assert!(declined(response(&packet, vec![mx], Vec::new())));
    let mut chaos = a("www.example.", 1);
    chaos.dns_class = DNSClass::CH;
    assert!(declined(response(&packet, vec![chaos], Vec::new())));
    assert!(declined(response(
        &packet,
        vec![a("other.example.", 1)],
        Vec::new()
    )));
    let broken_chain = vec![cname("www.example.", "mid.example."), a("www.example.", 1)];
    assert!(declined(response(&packet, broken_chain, Vec::new())));
    // AD set: the message path writes the header from the response.
    let mut authentic = response(&packet, vec![a("www.example.", 1)], Vec::new());
    authentic.metadata.authentic_data = true;
    assert!(declined(authentic));
}

#[test]
fn a_stale_answer_keeps_its_extended_dns_error() {
    // Regression: the daemon served stale data without EDE 3, this path writing a bare OPT.
    let packet = query("www.example.", RecordType::A, Some((1232, false)));
    let mut stale = response(&packet, vec![a("www.example.", 1)], Vec::new());
    crate::refresh::mark_stale(&mut stale);
    let (fast, slow) = both(&packet, stale, Protocol::Udp);
    assert!(fast.is_none(), "the message path writes the option");
    let slow = Message::from_vec(&slow).unwrap();
    let edns = slow.edns.unwrap();
    let codes: Vec<u16> = edns
        .options()
        .options
        .iter()
        .map(|(code, _)| u16::from(*code))
        .collect();
    assert_eq!(codes, [15], "EDE");
}

#[test]
fn an_answer_over_the_clients_limit_is_left_to_the_message_path_which_truncates() {
    // 512 bytes without EDNS: 40 A records of 16 bytes each do not fit.
    let packet = query("many.example.", RecordType::A, None);
    let records: Vec<Record> = (0..40).map(|last| a("many.example.", last)).collect();
    let (fast, slow) = both(
        &packet,
        response(&packet, records.clone(), Vec::new()),
        Protocol::Udp,
    );
    assert!(fast.is_none());
    assert!(Message::from_vec(&slow).unwrap().metadata.truncation);
    // Over TCP they fit, and both paths agree.
    let (fast, slow) = both(
        &packet,
        response(&packet, records, Vec::new()),
        Protocol::Tcp,
    );
    assert_eq!(
        Message::from_vec(&fast.unwrap()).unwrap(),
        Message::from_vec(&slow).unwrap()
    );
}
