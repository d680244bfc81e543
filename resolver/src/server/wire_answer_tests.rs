//! The wire fast path against the message path, its reference: for the same cache and clock, both
//! answers parse to the same hickory message, or the fast path declines. No network is ever used.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, CNAME, SOA, TXT};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use authority::listen::{Protocol, RequestContext};

use crate::cache::Trust;
use crate::clock::ManualClock;
use crate::config::ResolverConfig;
use crate::server::handler::{Policy, ResolverHandler};
use crate::server::message::{encode_response, parse_request, size_limit};
use crate::server::plain_query::PlainQuery;
use crate::server::resolve::Resolve;
use crate::server::stats::Statistics;
use crate::upstream::transport::{ExchangeFuture, Transport, TransportError};
use crate::Resolver;

/// A network that never answers: every case here must come from the cache.
struct NoNetwork;

impl Transport for NoNetwork {
    fn exchange<'a>(
        &'a self,
        _server: SocketAddr,
        _protocol: Protocol,
        _query: &'a [u8],
        _timeout: Duration,
    ) -> ExchangeFuture<'a> {
        Box::pin(async { Err(TransportError::Timeout) })
    }
}

fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap()
}

fn record(owner: &str, ttl: u32, data: RData) -> Record {
    Record::from_rdata(name(owner), ttl, data)
}

fn soa(zone: &str) -> Record {
    let data = SOA::new(
        name(&format!("ns.{zone}")),
        name(&format!("host.{zone}")),
        1,
        2,
        3,
        4,
        600,
    );
    record(zone, 900, RData::SOA(data))
}

/// A resolver whose cache holds every situation the tests ask about, stored at t = 0 and read at
/// t = 7 s, so every TTL shown has been counted down.
fn cached_resolver() -> (Arc<Resolver>, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let resolver = Resolver::new(
        ResolverConfig::default(),
        Arc::new(NoNetwork),
        clock.clone(),
    );
    let now = Duration::ZERO;
    let trust = Trust::AnswerAuthoritative;
    let cache = &resolver.cache;
    let a = |last: u8| RData::A(A(Ipv4Addr::new(192, 0, 2, last)));
    let cname = |target: &str| RData::CNAME(CNAME(name(target)));
    cache.insert_rrset(
        &[
            record("www.example.", 300, a(1)),
            record("www.example.", 300, a(2)),
        ],
        trust,
        now,
    );
    cache.insert_rrset(
        &[record("alias.example.", 60, cname("Mid.Example.NET."))],
        trust,
        now,
    );
    cache.insert_rrset(
        &[record("mid.example.net.", 120, cname("www.example."))],
        trust,
        now,
    );
    cache.insert_negative(
        &name("nx.example."),
        DNSClass::IN,
        None,
        &[soa("example.")],
        now,
    );
    cache.insert_negative(
        &name("www.example."),
        DNSClass::IN,
        Some(RecordType::AAAA),
        &[soa("example.")],
        now,
    );
    cache.insert_rrset(
        &[record("dangling.example.", 60, cname("nx.example."))],
        trust,
        now,
    );
    let text = "t".repeat(60);
    let big: Vec<Record> = (0..30)
        .map(|index| {
            let data = RData::TXT(TXT::new(vec![format!("{index}"), text.clone()]));
            record("big.example.", 300, data)
        })
        .collect();
    cache.insert_rrset(&big, trust, now);
    cache.insert_rrset(
        &[record("loop1.example.", 60, cname("loop2.example."))],
        trust,
        now,
    );
    cache.insert_rrset(
        &[record("loop2.example.", 60, cname("LOOP1.example."))],
        trust,
        now,
    );
    clock.advance(Duration::from_secs(7));
    (Arc::new(resolver), clock)
}

/// A client query: RD set, optional EDNS (payload, DO).
pub(super) fn query(qname: &str, qtype: RecordType, edns: Option<(u16, bool)>) -> Vec<u8> {
    let mut message = Message::new(0x4a1f, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = true;
    message.queries.push(Query::query(name(qname), qtype));
    if let Some((payload, dnssec_ok)) = edns {
        let mut opt = Edns::new();
        opt.set_max_payload(payload);
        opt.set_dnssec_ok(dnssec_ok);
        message.edns = Some(opt);
    }
    message.to_vec().unwrap()
}

/// The message path's answer bytes for a cache hit, as the handler sends them.
fn slow_answer(resolver: &Resolver, packet: &[u8], protocol: Protocol) -> Vec<u8> {
    let request = parse_request(packet).unwrap();
    let response = Resolve::resolve_from_cache(resolver, &request.message).unwrap();
    let limit = size_limit(protocol, request.message.edns.as_ref());
    encode_response(response, &request.message, limit).unwrap()
}

fn fast_answer(resolver: &Resolver, packet: &[u8], protocol: Protocol) -> Option<Vec<u8>> {
    let plain = PlainQuery::parse(packet)?;
    resolver
        .answer_from_cache_bytes(&plain, plain.size_limit(protocol), false)
        .answer()
}

fn parsed(bytes: &[u8]) -> Message {
    Message::from_vec(bytes).unwrap()
}

fn assert_same_answer(resolver: &Resolver, packet: &[u8], protocol: Protocol) -> Message {
    let fast = fast_answer(resolver, packet, protocol).expect("the fast path should answer");
    let slow = slow_answer(resolver, packet, protocol);
    let (fast, slow) = (parsed(&fast), parsed(&slow));
    assert_eq!(fast, slow);
    fast
}

const EDNS_CASES: [Option<(u16, bool)>; 3] = [None, Some((1232, false)), Some((4096, true))];

#[test]
fn a_rotated_hit_equals_the_message_path_after_its_roundrobin() {
    // rrset-roundrobin on: the fast path rotates each answer RRset by the query ID, as the
    // handler's `finish` rotates the message path's records.
    let (resolver, _clock) = cached_resolver();
    for qname in ["www.example.", "alias.example."] {
        let packet = query(qname, RecordType::A, Some((1232, false)));
        let plain = PlainQuery::parse(&packet).unwrap();
        let limit = plain.size_limit(Protocol::Udp);
        let fast = resolver
            .answer_from_cache_bytes(&plain, limit, true)
            .answer()
            .expect("the fast path should answer");
        let request = parse_request(&packet).unwrap();
        let mut slow = Resolve::resolve_from_cache(resolver.as_ref(), &request.message).unwrap();
        crate::server::local_answers::rotate_rrsets(
            &mut slow.answers,
            usize::from(request.message.metadata.id),
        );
        let slow = encode_response(slow, &request.message, limit).unwrap();
        let (fast, slow) = (parsed(&fast), parsed(&slow));
        assert_eq!(fast, slow);
        // The query ID 0x4a1f is odd: www.example.'s two addresses swap places.
        let unrotated = parsed(&fast_answer(&resolver, &packet, Protocol::Udp).unwrap());
        assert_ne!(fast.answers, unrotated.answers);
        assert_eq!(fast.answers.len(), unrotated.answers.len());
    }
}

#[test]
fn a_hit_equals_the_message_path_with_ttls_counted_down() {
    let (resolver, _clock) = cached_resolver();
    for edns in EDNS_CASES {
        let answer = assert_same_answer(
            &resolver,
            &query("www.example.", RecordType::A, edns),
            Protocol::Udp,
        );
        assert_eq!(answer.answers.len(), 2);
        assert_eq!(answer.answers[0].ttl, 293);
        assert_eq!(answer.edns.is_some(), edns.is_some());
    }
}

#[test]
fn cname_chain_in_cache_equals_the_message_path() {
    let (resolver, _clock) = cached_resolver();
    for edns in EDNS_CASES {
        let answer = assert_same_answer(
            &resolver,
            &query("alias.example.", RecordType::A, edns),
            Protocol::Udp,
        );
        assert_eq!(answer.answers.len(), 4);
        assert_eq!(answer.answers[1].name, name("Mid.Example.NET."));
    }
}

#[test]
fn cached_nxdomain_and_nodata_carry_the_soa_like_the_message_path() {
    let (resolver, _clock) = cached_resolver();
    for edns in EDNS_CASES {
        let nx = assert_same_answer(
            &resolver,
            &query("nx.example.", RecordType::A, edns),
            Protocol::Udp,
        );
        assert_eq!(nx.metadata.response_code, ResponseCode::NXDomain);
        // min(SOA TTL 900, MINIMUM 600), 7 s later (RFC 2308 §5).
        assert_eq!(nx.authorities[0].ttl, 593);
        let nodata = assert_same_answer(
            &resolver,
            &query("www.example.", RecordType::AAAA, edns),
            Protocol::Udp,
        );
        assert_eq!(nodata.metadata.response_code, ResponseCode::NoError);
        assert!(nodata.answers.is_empty());
        assert_eq!(nodata.authorities.len(), 1);
    }
}

#[test]
fn cname_into_cached_nxdomain_equals_the_message_path() {
    let (resolver, _clock) = cached_resolver();
    for edns in EDNS_CASES {
        let answer = assert_same_answer(
            &resolver,
            &query("dangling.example.", RecordType::A, edns),
            Protocol::Udp,
        );
        assert_eq!(answer.metadata.response_code, ResponseCode::NXDomain);
        assert_eq!(answer.answers.len(), 1);
    }
}

#[test]
fn mixed_case_question_is_echoed_as_asked() {
    let (resolver, _clock) = cached_resolver();
    for edns in EDNS_CASES {
        let packet = query("WwW.ExAmPlE.", RecordType::A, edns);
        let answer = assert_same_answer(&resolver, &packet, Protocol::Udp);
        let fast = fast_answer(&resolver, &packet, Protocol::Udp).unwrap();
        assert_eq!(&fast[12..12 + 13], b"\x03WwW\x07ExAmPlE\x00");
        assert_eq!(answer.answers.len(), 2);
    }
}

#[test]
fn header_flags_are_echoed_like_the_message_path() {
    let (resolver, _clock) = cached_resolver();
    for (recursion_desired, checking_disabled) in [(false, false), (false, true), (true, true)] {
        let mut packet = query("www.example.", RecordType::A, Some((1232, false)));
        packet[2] = (packet[2] & !0x01) | u8::from(recursion_desired);
        packet[3] = (packet[3] & !0x10) | if checking_disabled { 0x10 } else { 0 };
        let answer = assert_same_answer(&resolver, &packet, Protocol::Udp);
        assert_eq!(answer.metadata.recursion_desired, recursion_desired);
        assert_eq!(answer.metadata.checking_disabled, checking_disabled);
        assert!(answer.metadata.recursion_available);
        assert_eq!(answer.metadata.id, 0x4a1f);
    }
}

#[test]
fn answer_too_large_for_the_client_is_left_to_the_message_path() {
    let (resolver, _clock) = cached_resolver();
    let small = query("big.example.", RecordType::TXT, None);
    assert!(fast_answer(&resolver, &small, Protocol::Udp).is_none());
    let truncated = parsed(&slow_answer(&resolver, &small, Protocol::Udp));
    assert!(truncated.metadata.truncation);
    // Over TCP the same answer fits, and both paths agree.
    let whole = assert_same_answer(&resolver, &small, Protocol::Tcp);
    assert_eq!(whole.answers.len(), 30);
    assert!(!whole.metadata.truncation);
}

#[test]
fn misses_and_loops_are_left_to_the_message_path() {
    let (resolver, _clock) = cached_resolver();
    for packet in [
        query("unknown.example.", RecordType::A, None),
        query("loop1.example.", RecordType::A, None),
        query("www.example.", RecordType::MX, None),
    ] {
        assert!(fast_answer(&resolver, &packet, Protocol::Udp).is_none());
    }
}

#[test]
fn a_ds_question_and_a_dname_synthesis_are_left_to_the_message_path() {
    let (resolver, _clock) = cached_resolver();
    // The message path does not chase a cached CNAME for DS; neither does this one.
    assert!(fast_answer(
        &resolver,
        &query("alias.example.", RecordType::DS, None),
        Protocol::Udp
    )
    .is_none());
    // An unsigned CNAME under a cached DNAME goes out with the DNAME (message path).
    let dname =
        crate::replay::record_text::parse_record("syn.example. 300 IN DNAME example.").unwrap();
    let trust = Trust::AnswerAuthoritative;
    let now = Duration::from_secs(7);
    resolver.cache.insert_rrset(&[dname], trust, now);
    resolver.cache.insert_rrset(
        &[record(
            "www.syn.example.",
            300,
            RData::CNAME(CNAME(name("www.example."))),
        )],
        trust,
        now,
    );
    let packet = query("www.syn.example.", RecordType::A, None);
    assert!(fast_answer(&resolver, &packet, Protocol::Udp).is_none());
    let slow = parsed(&slow_answer(&resolver, &packet, Protocol::Udp));
    assert!(slow
        .answers
        .iter()
        .any(|record| record.record_type() == RecordType::DNAME));
}

#[test]
fn expired_entries_are_not_answered() {
    let (resolver, clock) = cached_resolver();
    clock.advance(Duration::from_secs(300));
    assert!(fast_answer(
        &resolver,
        &query("www.example.", RecordType::A, None),
        Protocol::Udp
    )
    .is_none());
}

fn client() -> RequestContext {
    RequestContext {
        client: SocketAddr::from(([127, 0, 0, 1], 5353)),
        local: SocketAddr::from(([127, 0, 0, 1], 53)),
        protocol: Protocol::Udp,
    }
}

#[test]
fn handler_answers_cache_hits_and_survives_truncated_and_garbage_packets() {
    let (resolver, _clock) = cached_resolver();
    let handler = ResolverHandler::new(resolver.clone(), Policy::default(), Statistics::new());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let packet = query("Alias.example.", RecordType::A, Some((1232, false)));
    let answered = runtime.block_on(handler.answer(&packet, client())).unwrap();
    assert_eq!(
        parsed(&answered),
        parsed(&slow_answer(&resolver, &packet, Protocol::Udp))
    );
    // Every prefix and a deterministic spread of corrupted copies of a cached question: the fast
    // path never panics, and whatever it answers parses as a DNS message.
    let mut packets: Vec<Vec<u8>> = (0..packet.len())
        .map(|end| packet[..end].to_vec())
        .collect();
    let mut state: u32 = 0x2545_f491;
    for _ in 0..2_000 {
        let mut corrupt = packet.clone();
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let at = (state >> 8) as usize % corrupt.len();
        corrupt[at] = (state >> 24) as u8;
        packets.push(corrupt);
    }
    for corrupt in &packets {
        if let Some(plain) = PlainQuery::parse(corrupt) {
            if let Some(bytes) = resolver
                .answer_from_cache_bytes(&plain, plain.size_limit(Protocol::Udp), false)
                .answer()
            {
                assert!(Message::from_vec(&bytes).is_ok());
            }
        }
    }
}

/// `packet` with RD cleared: recursion not desired (RFC 1035 §4.1.1), i.e. cache snooping.
fn without_recursion(mut packet: Vec<u8>) -> Vec<u8> {
    packet[2] &= !0x01;
    packet
}

#[test]
fn rd0_query_is_refused_unless_the_client_may_snoop_and_a_snooper_reads_the_cache_only() {
    let (resolver, _clock) = cached_resolver();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let cached = without_recursion(query("www.example.", RecordType::A, None));
    let ordinary = ResolverHandler::new(resolver.clone(), Policy::default(), Statistics::new());
    let refused = parsed(
        &runtime
            .block_on(ordinary.answer(&cached, client()))
            .unwrap(),
    );
    assert_eq!(refused.metadata.response_code, ResponseCode::Refused);
    assert!(refused.answers.is_empty());

    let snooper = "127.0.0.1/32".parse().unwrap();
    let policy = Policy {
        access: crate::server::access::AccessList::loopback_only().with_snoopers([snooper]),
        ..Policy::default()
    };
    let snooping = ResolverHandler::new(resolver.clone(), policy, Statistics::new());
    let hit = parsed(
        &runtime
            .block_on(snooping.answer(&cached, client()))
            .unwrap(),
    );
    assert_eq!(hit.metadata.response_code, ResponseCode::NoError);
    assert!(!hit.metadata.recursion_desired);
    assert_eq!(hit.answers.len(), 2);
    // The remaining TTL: stored at 300 s, read 7 s later.
    assert!(
        hit.answers.iter().all(|record| record.ttl == 293),
        "{hit:?}"
    );
    // Not cached: answered empty, not resolved (this network never answers: a resolution would
    // end in SERVFAIL).
    let missing = without_recursion(query("absent.example.", RecordType::A, None));
    let miss = parsed(
        &runtime
            .block_on(snooping.answer(&missing, client()))
            .unwrap(),
    );
    assert_eq!(miss.metadata.response_code, ResponseCode::NoError);
    assert!(miss.answers.is_empty() && miss.authorities.is_empty());
    // RD=1 from the same client resolves as before.
    let recursive = query("www.example.", RecordType::A, None);
    let answered = parsed(
        &runtime
            .block_on(snooping.answer(&recursive, client()))
            .unwrap(),
    );
    assert_eq!(answered.answers.len(), 2);
}

/// A validating resolver whose cache holds a secure RRset with its RRSIG, a secure NXDOMAIN with
/// its NSEC proof, a bogus RRset and an unchecked one (stored at t = 0, read at t = 7 s).
fn validating_resolver() -> Arc<Resolver> {
    use crate::cache::Validation;
    use crate::dnssec::{Anchors, Reason, Security};
    use crate::replay::record_text::parse_record;
    let clock = Arc::new(ManualClock::new());
    let mut config = ResolverConfig::default();
    config.dnssec.enabled = true;
    config.dnssec.anchors = Anchors::builtin_root();
    let resolver = Resolver::new(config, Arc::new(NoNetwork), clock.clone());
    let cache = &resolver.cache;
    let now = Duration::ZERO;
    let trust = Trust::AnswerAuthoritative;
    let rrsig = |owner: &str, covered: &str| {
        parse_record(&format!(
            "{owner} 300 IN RRSIG {covered} 13 2 300 20330101000000 20000101000000 12345 \
             example. c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl"
        ))
        .unwrap()
    };
    let www = record(
        "www.example.",
        300,
        RData::A(A(Ipv4Addr::new(192, 0, 2, 1))),
    );
    let signature = rrsig("www.example.", "A");
    cache.insert_validated(&[www], &[&signature], trust, Validation::SECURE, None, now);
    let bogus = record(
        "bad.example.",
        300,
        RData::A(A(Ipv4Addr::new(192, 0, 2, 6))),
    );
    let bogus_state = Validation {
        security: Some(Security::Bogus),
        reason: Some(Reason::SignatureExpired),
    };
    cache.insert_validated(&[bogus], &[], trust, bogus_state, None, now);
    let unchecked = record(
        "new.example.",
        300,
        RData::A(A(Ipv4Addr::new(192, 0, 2, 7))),
    );
    cache.insert_rrset(&[unchecked], trust, now);
    let proof = [
        soa("example."),
        parse_record("example. 300 IN NSEC www.example. A RRSIG NSEC").unwrap(),
        rrsig("example.", "NSEC"),
    ];
    cache.insert_negative_validated(
        &name("aaa.example."),
        DNSClass::IN,
        None,
        &proof,
        Validation::SECURE,
        now,
    );
    clock.advance(Duration::from_secs(7));
    Arc::new(resolver)
}

#[test]
fn secure_hits_carry_ad_and_their_rrsigs_for_do_clients_on_both_paths() {
    let resolver = validating_resolver();
    let plain = assert_same_answer(
        &resolver,
        &query("www.example.", RecordType::A, Some((1232, false))),
        Protocol::Udp,
    );
    assert!(!plain.metadata.authentic_data);
    assert_eq!(plain.answers.len(), 1);
    let dnssec = assert_same_answer(
        &resolver,
        &query("www.example.", RecordType::A, Some((1232, true))),
        Protocol::Udp,
    );
    assert!(dnssec.metadata.authentic_data);
    assert_eq!(dnssec.answers.len(), 2);
    assert_eq!(dnssec.answers[1].record_type(), RecordType::RRSIG);
    assert_eq!(dnssec.answers[1].ttl, 293);
    // AD in the query asks for AD without DO (RFC 6840 §5.7).
    let mut packet = query("www.example.", RecordType::A, Some((1232, false)));
    packet[3] |= 0x20;
    let asked = assert_same_answer(&resolver, &packet, Protocol::Udp);
    assert!(asked.metadata.authentic_data);
    assert_eq!(asked.answers.len(), 1);
    for dnssec_ok in [false, true] {
        let nx = assert_same_answer(
            &resolver,
            &query("aaa.example.", RecordType::A, Some((1232, dnssec_ok))),
            Protocol::Udp,
        );
        assert_eq!(nx.metadata.response_code, ResponseCode::NXDomain);
        assert_eq!(nx.metadata.authentic_data, dnssec_ok);
        assert_eq!(nx.authorities.len(), if dnssec_ok { 3 } else { 1 });
    }
}

#[test]
fn bogus_hits_are_servfail_without_cd_and_unchecked_data_is_no_answer() {
    let resolver = validating_resolver();
    let packet = query("bad.example.", RecordType::A, Some((1232, true)));
    assert!(fast_answer(&resolver, &packet, Protocol::Udp).is_none());
    let refused = parsed(&slow_answer(&resolver, &packet, Protocol::Udp));
    assert_eq!(refused.metadata.response_code, ResponseCode::ServFail);
    assert!(refused.answers.is_empty());
    let mut checking_disabled = packet.clone();
    checking_disabled[3] |= 0x10;
    let given = assert_same_answer(&resolver, &checking_disabled, Protocol::Udp);
    assert_eq!(given.answers.len(), 1);
    assert!(!given.metadata.authentic_data);
    let unchecked = query("new.example.", RecordType::A, None);
    let plain = PlainQuery::parse(&unchecked).unwrap();
    assert_eq!(
        resolver.answer_from_cache_bytes(&plain, 512, false),
        crate::server::resolve::CachedBytes::Miss
    );
    let request = parse_request(&unchecked).unwrap();
    assert!(Resolve::resolve_from_cache(resolver.as_ref(), &request.message).is_none());
}

/// RFC 4035 §3.1.3.3 / §5.3.4: a validated wildcard expansion (RRSIG labels 2 below the owner's
/// 3) is stored with the NSEC proof of its reply's authority section; a DO client's cache hit
/// carries that proof in the authority section (the wire path steps aside), others get none,
/// and an RRset that is not an expansion stores no proof.
#[test]
fn wildcard_hits_carry_their_nsec_proof_to_do_clients() {
    use crate::cache::{ReplyStates, RrsetState, Validation};
    use crate::dnssec::Anchors;
    use crate::replay::record_text::parse_record;
    let clock = Arc::new(ManualClock::new());
    let mut config = ResolverConfig::default();
    config.dnssec.enabled = true;
    config.dnssec.anchors = Anchors::builtin_root();
    let resolver = Resolver::new(config, Arc::new(NoNetwork), clock.clone());
    let rrsig = |owner: &str, covered: &str, labels: u8| {
        parse_record(&format!(
            "{owner} 300 IN RRSIG {covered} 13 {labels} 300 20330101000000 20000101000000 12345 \
             example. c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl"
        ))
        .unwrap()
    };
    let store = |owner: &str, labels: u8| {
        let mut reply = Message::new(1, MessageType::Response, OpCode::Query);
        reply.metadata.authoritative = true;
        reply.answers = vec![
            record(owner, 300, RData::A(A(Ipv4Addr::new(192, 0, 2, 9)))),
            rrsig(owner, "A", labels),
        ];
        reply.authorities = vec![
            parse_record("*.wild.example. 300 IN NSEC zzz.example. A RRSIG NSEC").unwrap(),
            rrsig("*.wild.example.", "NSEC", 2),
        ];
        let states = ReplyStates {
            rrsets: vec![RrsetState {
                owner: name(owner),
                record_type: RecordType::A,
                validation: Validation::SECURE,
                ttl_cap: None,
            }],
            answer: Validation::SECURE,
        };
        let time = crate::cache::StoreTime::at(crate::clock::Clock::now(&*clock));
        resolver.store_validated_records(&reply, &name("example."), &states, time);
    };
    store("anything.wild.example.", 2);
    store("www.example.", 2);
    clock.advance(Duration::from_secs(7));

    let expanded = query("anything.wild.example.", RecordType::A, Some((1232, true)));
    assert!(fast_answer(&resolver, &expanded, Protocol::Udp).is_none());
    let dnssec = parsed(&slow_answer(&resolver, &expanded, Protocol::Udp));
    assert!(dnssec.metadata.authentic_data);
    assert_eq!(dnssec.answers.len(), 2);
    let proof: Vec<RecordType> = dnssec.authorities.iter().map(Record::record_type).collect();
    assert_eq!(proof, [RecordType::NSEC, RecordType::RRSIG]);
    assert!(dnssec.authorities.iter().all(|record| record.ttl == 293));
    // Without DO: neither RRSIGs nor the proof, on both paths alike.
    let plain = assert_same_answer(
        &resolver,
        &query("anything.wild.example.", RecordType::A, Some((1232, false))),
        Protocol::Udp,
    );
    assert_eq!(plain.answers.len(), 1);
    assert!(plain.authorities.is_empty());
    // Not an expansion (labels = the owner's): no proof kept, the fast path answers.
    let direct = assert_same_answer(
        &resolver,
        &query("www.example.", RecordType::A, Some((1232, true))),
        Protocol::Udp,
    );
    assert!(direct.authorities.is_empty());
    // New data that is no expansion replaces the proof along with the RRset.
    clock.advance(Duration::from_secs(300));
    store("anything.wild.example.", 3);
    let replaced = parsed(&slow_answer(&resolver, &expanded, Protocol::Udp));
    assert!(replaced.authorities.is_empty());
}

#[test]
fn a_cache_hit_in_the_last_tenth_starts_its_prefetch_at_once() {
    // Regression: a hit finishes at the listener's first poll, which calls no `after_send`; the
    // prefetch it queued waited for some later miss, and the entry expired first.
    let clock = Arc::new(ManualClock::new());
    let config = ResolverConfig {
        prefetch: true,
        ..ResolverConfig::default()
    };
    let resolver = Arc::new(Resolver::new(config, Arc::new(NoNetwork), clock.clone()));
    let address = RData::A(A(Ipv4Addr::new(192, 0, 2, 1)));
    resolver.cache.insert_rrset(
        &[record("www.example.", 300, address)],
        Trust::AnswerAuthoritative,
        Duration::ZERO,
    );
    clock.advance(Duration::from_secs(290));
    let statistics = Statistics::new();
    let handler = ResolverHandler::new(resolver.clone(), Policy::default(), statistics.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let packet = query("www.example.", RecordType::A, None);
    let answered = runtime
        .block_on(authority::listen::Handler::handle(
            &handler,
            &packet,
            client(),
        ))
        .unwrap();
    assert_eq!(parsed(&answered).answers.len(), 1);
    assert!(
        !resolver.refreshes_waiting(),
        "the prefetch was not started"
    );
}
