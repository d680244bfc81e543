//! Ghost domains (CVE-2012-1191, CVE-2022-30698): a zone its parent has removed must not live on
//! through the child's own NS answers or through delegations cached below it.

use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Record, RecordType};

use crate::clock::Clock;
use crate::scripted::network::*;

const SUB: &str = "198.51.100.9";

fn with_ttl(mut record: Record, ttl: u32) -> Record {
    record.ttl = ttl;
    record
}

/// com. delegates example.com. for 5 s (and, asked later, says b.sub.example.com. does not
/// exist: the zone was removed); example.com.'s server claims its NS set for a day and delegates
/// sub.example.com. for an hour.
fn removed_zone() -> ScriptedNetwork {
    let mut network = internet();
    for qname in ["a.sub.example.com.", "b.sub.example.com."] {
        network.on(
            ROOT,
            qname,
            RecordType::A,
            referral(vec![ns("com.", "a.gtld.com.")], vec![a("a.gtld.com.", COM)]),
        );
    }
    network.on(
        COM,
        "a.sub.example.com.",
        RecordType::A,
        referral(
            vec![with_ttl(ns("example.com.", "ns.example.com."), 5)],
            vec![a("ns.example.com.", EXAMPLE_COM)],
        ),
    );
    network.on(
        COM,
        "b.sub.example.com.",
        RecordType::A,
        Canned {
            authoritative: true,
            rcode: ResponseCode::NXDomain,
            authorities: vec![soa("com.", 300)],
            ..Canned::default()
        },
    );
    network.on(
        EXAMPLE_COM,
        "example.com.",
        RecordType::NS,
        answer(vec![with_ttl(
            ns("example.com.", "ns.example.com."),
            86_400,
        )]),
    );
    network.on(
        EXAMPLE_COM,
        "a.sub.example.com.",
        RecordType::A,
        referral(
            vec![ns("sub.example.com.", "ns.sub.example.com.")],
            vec![a("ns.sub.example.com.", SUB)],
        ),
    );
    for (qname, address) in [
        ("a.sub.example.com.", "192.0.2.40"),
        ("b.sub.example.com.", "192.0.2.41"),
    ] {
        network.on(SUB, qname, RecordType::A, answer(vec![a(qname, address)]));
    }
    network
}

#[tokio::test]
async fn a_removed_zone_does_not_live_on_through_its_child_or_its_cached_delegations() {
    let setup = setup(removed_zone(), config());
    let first = setup
        .resolver
        .resolve(&client_query("a.sub.example.com.", RecordType::A))
        .await;
    assert_eq!(
        addresses(&first),
        vec![std::net::Ipv4Addr::new(192, 0, 2, 40)]
    );
    // The child's own NS answer is passed on as it came, but does not extend the delegation.
    let apex = setup
        .resolver
        .resolve(&client_query("example.com.", RecordType::NS))
        .await;
    assert_eq!(apex.answers.len(), 1);
    assert_eq!(apex.answers[0].ttl, 86_400);
    setup.clock.advance(Duration::from_secs(10));
    // example.com.'s delegation has expired: sub.example.com.'s, cached for an hour below it,
    // is not used until com. confirms the cut, which it no longer does.
    let second = setup
        .resolver
        .resolve(&client_query("b.sub.example.com.", RecordType::A))
        .await;
    assert_eq!(second.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(setup.network.sent_to(SUB), 1, "only the first question");
}

/// The root and com. for a day; com. delegates example.com. for an hour (its only server
/// answers `slow.example.com.` over TCP alone, with its NS set and address) and, from 3600 s on, says
/// `gone.example.com.` does not exist: the zone was removed.
fn zone_removed_while_a_query_is_out() -> ScriptedNetwork {
    let mut network = internet();
    network.on(
        ROOT,
        ".",
        RecordType::NS,
        Canned {
            authoritative: true,
            answers: vec![with_ttl(ns(".", "k.root-servers.net."), 86_400)],
            additionals: vec![with_ttl(a("k.root-servers.net.", ROOT), 86_400)],
            ..Canned::default()
        },
    );
    let com_referral = referral(
        vec![with_ttl(ns("com.", "a.gtld.com."), 86_400)],
        vec![with_ttl(a("a.gtld.com.", COM), 86_400)],
    );
    for qname in ["www.example.com.", "slow.example.com.", "gone.example.com."] {
        network.on(ROOT, qname, RecordType::A, com_referral.clone());
    }
    network.on(
        COM,
        "slow.example.com.",
        RecordType::A,
        referral(
            vec![ns("example.com.", "ns.example.com.")],
            vec![a("ns.example.com.", EXAMPLE_COM)],
        ),
    );
    network.on_from(
        Duration::from_secs(3_600),
        COM,
        "gone.example.com.",
        RecordType::A,
        Canned {
            authoritative: true,
            rcode: ResponseCode::NXDomain,
            authorities: vec![soa("com.", 300)],
            ..Canned::default()
        },
    );
    network.on(
        EXAMPLE_COM,
        "slow.example.com.",
        RecordType::A,
        Canned {
            authorities: vec![ns("example.com.", "ns.example.com.")],
            additionals: vec![a("ns.example.com.", EXAMPLE_COM)],
            silent_over_udp: true,
            ..answer(vec![a("slow.example.com.", "192.0.2.42")])
        },
    );
    network
}

#[tokio::test]
async fn a_child_answering_after_its_delegation_lapsed_does_not_bring_it_back() {
    // Unbound iter_ghost_timewindow (CVE-2022-30698): asked while example.com.'s delegation
    // lived, its server answers (with its NS set) once it has lapsed; stored as of its arrival,
    // the set would start a new hour and keep the removed zone alive.
    // The NS set in the answer's authority section is kept (`iter-scrub-promiscuous: no`, as
    // in the scenario): it is the child's claim that must not outlive the parent's word.
    let setup = setup(
        zone_removed_while_a_query_is_out(),
        crate::config::ResolverConfig {
            scrub_promiscuous: false,
            ..config()
        },
    );
    let first = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(
        addresses(&first),
        vec![std::net::Ipv4Addr::new(192, 0, 2, 80)]
    );
    setup.clock.advance(Duration::from_secs(3_599));
    let slow = setup
        .resolver
        .resolve(&client_query("slow.example.com.", RecordType::A))
        .await;
    assert_eq!(
        addresses(&slow),
        vec![std::net::Ipv4Addr::new(192, 0, 2, 42)]
    );
    assert!(
        setup.clock.now() > Duration::from_secs(3_600),
        "the answer came after the delegation lapsed (UDP timed out first)"
    );
    let gone = setup
        .resolver
        .resolve(&client_query("gone.example.com.", RecordType::A))
        .await;
    assert_eq!(gone.metadata.response_code, ResponseCode::NXDomain);
    let asked_child = setup.network.sent().iter().any(|(server, qname, ..)| {
        *server == ip(EXAMPLE_COM) && *qname == name("gone.example.com.")
    });
    assert!(!asked_child, "the removed zone's server was not asked");
}
