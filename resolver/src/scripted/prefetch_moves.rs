//! A prefetch and the delegation it refreshes: a zone moved to new servers while its cached
//! delegation is about to lapse is learnt from the parent (Unbound's prefetch leeway).

use std::net::Ipv4Addr;
use std::time::Duration;

use hickory_proto::rr::{Record, RecordType};

use crate::config::ResolverConfig;
use crate::scripted::network::*;

/// The new home of example.com. once it moved.
const NEW_HOME: &str = "198.51.100.6";

fn with_ttl(mut record: Record, ttl: u32) -> Record {
    record.ttl = ttl;
    record
}

/// The root and com. for a day; com. delegates example.com. for 300 s, as long as its server's
/// answer lives. From 100 s on, com. delegates example.com. to a new server, which answers with
/// other data and its NS set for an hour.
fn moved_zone() -> ScriptedNetwork {
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
    for qname in ["www.example.com.", "mail.example.com."] {
        network.on(
            ROOT,
            qname,
            RecordType::A,
            referral(
                vec![with_ttl(ns("com.", "a.gtld.com."), 86_400)],
                vec![with_ttl(a("a.gtld.com.", COM), 86_400)],
            ),
        );
        network.on(
            COM,
            qname,
            RecordType::A,
            referral(
                vec![with_ttl(ns("example.com.", "ns.example.com."), 300)],
                vec![with_ttl(a("ns.example.com.", EXAMPLE_COM), 300)],
            ),
        );
        network.on_from(
            Duration::from_secs(100),
            COM,
            qname,
            RecordType::A,
            referral(
                vec![ns("example.com.", "ns2.example.com.")],
                vec![a("ns2.example.com.", NEW_HOME)],
            ),
        );
    }
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        answer(vec![with_ttl(a("www.example.com.", "192.0.2.80"), 300)]),
    );
    for (qname, address) in [
        ("www.example.com.", "192.0.2.99"),
        ("mail.example.com.", "192.0.2.25"),
    ] {
        network.on(
            NEW_HOME,
            qname,
            RecordType::A,
            Canned {
                authorities: vec![ns("example.com.", "ns2.example.com.")],
                ..answer(vec![a(qname, address)])
            },
        );
    }
    network
}

#[tokio::test]
async fn a_prefetch_follows_a_zone_moved_while_its_delegation_is_about_to_lapse() {
    // Unbound iter_prefetch_change2: the delegation (300 s) lapses with the answer being
    // prefetched, so the prefetch asks com. and finds the zone's new server.
    // The new server's NS set, in its answer's authority section, is kept (as the scenario's
    // `iter-scrub-promiscuous: no`): the prefetch's answer renews the delegation with it.
    let setup = setup(
        moved_zone(),
        ResolverConfig {
            prefetch: true,
            scrub_promiscuous: false,
            ..config()
        },
    );
    let www = || client_query("www.example.com.", RecordType::A);
    let first = setup.resolver.resolve(&www()).await;
    assert_eq!(addresses(&first), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    setup.clock.advance(Duration::from_secs(275));
    let due = setup.resolver.resolve(&www()).await;
    assert_eq!(addresses(&due), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    assert_eq!(due.answers[0].ttl, 25, "the cached answer, at once");
    let asked_old_home = setup.network.sent_to(EXAMPLE_COM);
    let refreshes = setup.resolver.take_refreshes();
    assert_eq!(refreshes.len(), 1);
    for refresh in refreshes {
        setup.resolver.refresh(refresh).await;
    }
    assert_eq!(
        setup.network.sent_to(EXAMPLE_COM),
        asked_old_home,
        "the delegation about to lapse was passed over"
    );
    let moved = setup.resolver.resolve(&www()).await;
    assert_eq!(addresses(&moved), vec![Ipv4Addr::new(192, 0, 2, 99)]);
    assert_eq!(moved.answers[0].ttl, 3_600);
    // com.'s referral to the new server was held to the old set's expiry (300 s: a changed NS
    // set does not outlive the one it replaces), but the answer's NS set, lapsing within the
    // prefetch's leeway, renewed it: past 300 s the new server is asked without asking com.
    setup.clock.advance(Duration::from_secs(100));
    let asked_com = setup.network.sent_to(COM);
    let mail = setup
        .resolver
        .resolve(&client_query("mail.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&mail), vec![Ipv4Addr::new(192, 0, 2, 25)]);
    assert_eq!(setup.network.sent_to(COM), asked_com);
}

#[tokio::test]
async fn without_prefetch_the_answer_lapses_and_the_walk_finds_the_move() {
    // The same network asked at the same times with prefetch off: the due answer is served
    // from the cache with no refresh, and only its expiry leads to the new server.
    let setup = setup(moved_zone(), config());
    let www = || client_query("www.example.com.", RecordType::A);
    setup.resolver.resolve(&www()).await;
    setup.clock.advance(Duration::from_secs(275));
    setup.resolver.resolve(&www()).await;
    assert!(setup.resolver.take_refreshes().is_empty());
    setup.clock.advance(Duration::from_secs(30));
    let moved = setup.resolver.resolve(&www()).await;
    assert_eq!(addresses(&moved), vec![Ipv4Addr::new(192, 0, 2, 99)]);
}
