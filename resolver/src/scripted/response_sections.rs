//! The shape of positive answers on a scripted network: minimal by default, the answering reply's
//! own sections with `minimal_responses` off, addresses beside an NS answer always.

use hickory_proto::rr::RecordType;

use crate::config::ResolverConfig;
use crate::scripted::network::ScriptedNetwork;
use crate::scripted::network::*;

/// Minimal responses off, and the NS sets servers add beside answers kept (Unbound's
/// `iter-scrub-promiscuous: no`, as in its own scenarios): else they are scrubbed before the
/// cache, and full responses have none to repeat.
fn full_responses() -> ResolverConfig {
    ResolverConfig {
        minimal_responses: false,
        scrub_promiscuous: false,
        ..config()
    }
}

#[tokio::test]
async fn positive_answer_carries_the_answer_only_by_default() {
    let setup = setup(internet(), config());
    for _ in 0..2 {
        let response = setup
            .resolver
            .resolve(&client_query("www.example.com.", RecordType::A))
            .await;
        assert_eq!(response.answers.len(), 1);
        assert!(response.authorities.is_empty() && response.additionals.is_empty());
    }
}

/// example.com's server answering www.example.com with its NS set and that server's address
/// beside the answer, as BIND and NSD do.
fn internet_with_sections() -> ScriptedNetwork {
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        Canned {
            authoritative: true,
            answers: vec![a("www.example.com.", "192.0.2.80")],
            authorities: vec![ns("example.com.", "ns.example.com.")],
            additionals: vec![a("ns.example.com.", EXAMPLE_COM)],
            ..Canned::default()
        },
    );
    network
}

#[tokio::test]
async fn full_responses_repeat_the_answering_replys_sections_fresh_and_from_the_cache() {
    let setup = setup(internet_with_sections(), full_responses());
    for pass in ["walk", "cache"] {
        let response = setup
            .resolver
            .resolve(&client_query("www.example.com.", RecordType::A))
            .await;
        assert_eq!(response.answers.len(), 1, "{pass}");
        assert_eq!(
            response.authorities,
            vec![ns("example.com.", "ns.example.com.")],
            "{pass}"
        );
        assert_eq!(
            response.additionals,
            vec![a("ns.example.com.", EXAMPLE_COM)],
            "{pass}"
        );
        let cached = setup
            .resolver
            .resolve_from_cache(&client_query("www.example.com.", RecordType::A));
        assert!(cached.is_some_and(|cached| cached.authorities == response.authorities));
    }
}

#[tokio::test]
async fn full_responses_add_nothing_the_answering_reply_did_not_carry() {
    // Unbound rrset_untrusted: the referral taught example.com.'s NS set, but the reply that
    // answered had neither section, so the answer has none either, fresh or cached.
    let setup = setup(internet(), full_responses());
    for pass in ["walk", "cache"] {
        let response = setup
            .resolver
            .resolve(&client_query("www.example.com.", RecordType::A))
            .await;
        assert_eq!(response.answers.len(), 1, "{pass}");
        assert!(response.authorities.is_empty(), "{pass}: {response:?}");
        assert!(response.additionals.is_empty(), "{pass}: {response:?}");
    }
}

#[tokio::test]
async fn a_kept_answer_shows_a_newer_ns_set_beside_its_own_additional_section() {
    // Unbound rrset_updated: a later reply brings a second name server; the first answer,
    // asked again, shows the NS set as the cache holds it now, and the addresses it came with.
    let mut network = internet_with_sections();
    network.on(
        EXAMPLE_COM,
        "bla.example.com.",
        RecordType::A,
        Canned {
            authoritative: true,
            answers: vec![a("bla.example.com.", "192.0.2.81")],
            authorities: vec![
                ns("example.com.", "ns.example.com."),
                ns("example.com.", "ns2.example.com."),
            ],
            additionals: vec![
                a("ns.example.com.", EXAMPLE_COM),
                a("ns2.example.com.", "192.0.2.53"),
            ],
            ..Canned::default()
        },
    );
    let setup = setup(network, full_responses());
    for qname in ["www.example.com.", "bla.example.com."] {
        setup
            .resolver
            .resolve(&client_query(qname, RecordType::A))
            .await;
    }
    let again = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(
        again.authorities,
        vec![
            ns("example.com.", "ns.example.com."),
            ns("example.com.", "ns2.example.com.")
        ]
    );
    assert_eq!(again.additionals, vec![a("ns.example.com.", EXAMPLE_COM)]);
}

#[tokio::test]
async fn a_cached_answer_is_asked_again_once_the_reply_it_came_with_expired() {
    // Unbound rrset_use_cached: the answer lives an hour but came with an NS set of 100 s;
    // the reply as a whole lives 100 s, so the answer is asked for again after that. Minimal
    // responses keep nothing but the answer, which the cache gives for its whole hour.
    let network = || {
        let mut network = internet();
        let mut short_ns = ns("example.com.", "ns.example.com.");
        short_ns.ttl = 100;
        network.on(
            EXAMPLE_COM,
            "www.example.com.",
            RecordType::A,
            Canned {
                authoritative: true,
                answers: vec![a("www.example.com.", "192.0.2.80")],
                authorities: vec![short_ns],
                ..Canned::default()
            },
        );
        network
    };
    for (config, asked_again) in [(full_responses(), true), (config(), false)] {
        let setup = setup(network(), config);
        let query = client_query("www.example.com.", RecordType::A);
        setup.resolver.resolve(&query).await;
        let first = setup.network.sent_to(EXAMPLE_COM);
        setup.clock.advance(std::time::Duration::from_secs(50));
        let cached = setup.resolver.resolve(&query).await;
        assert_eq!(setup.network.sent_to(EXAMPLE_COM), first);
        assert_eq!(cached.answers[0].ttl, 3_550);
        setup.clock.advance(std::time::Duration::from_secs(60));
        let later = setup.resolver.resolve(&query).await;
        assert_eq!(later.answers.len(), 1);
        assert_eq!(setup.network.sent_to(EXAMPLE_COM) > first, asked_again);
    }
}

#[tokio::test]
async fn ns_answer_carries_its_servers_addresses_even_when_minimal() {
    let network = || {
        let mut network = internet();
        network.on(
            EXAMPLE_COM,
            "example.com.",
            RecordType::NS,
            Canned {
                authoritative: true,
                answers: vec![ns("example.com.", "ns.example.com.")],
                additionals: vec![a("ns.example.com.", EXAMPLE_COM)],
                ..Canned::default()
            },
        );
        network
    };
    for config in [config(), full_responses()] {
        let setup = setup(network(), config);
        let response = setup
            .resolver
            .resolve(&client_query("example.com.", RecordType::NS))
            .await;
        assert_eq!(
            response.answers,
            vec![ns("example.com.", "ns.example.com.")]
        );
        // The NS set is the answer: not repeated in the authority section.
        assert!(response.authorities.is_empty());
        assert_eq!(
            response.additionals,
            vec![a("ns.example.com.", EXAMPLE_COM)]
        );
    }
}

#[tokio::test]
async fn full_responses_repeat_a_non_authoritative_answers_sections_fresh_and_stale() {
    // A stub server answering without AA (as Unbound's scenarios often do): no referral taught
    // us example.com.'s NS set, so only the answer's own sections can give it. Promiscuous NS
    // scrubbing off, else the NS set beside a positive answer is removed before the cache.
    const STUB: &str = "192.0.2.50";
    let mut network = internet();
    network.on(
        STUB,
        "www.example.com.",
        RecordType::A,
        Canned {
            authoritative: false,
            answers: vec![a("www.example.com.", "192.0.2.80")],
            authorities: vec![ns("example.com.", "ns.example.com.")],
            additionals: vec![a("ns.example.com.", STUB)],
            ..Canned::default()
        },
    );
    let stub = crate::config::StubZone {
        suffix: name("example.com."),
        addresses: vec![std::net::SocketAddr::new(ip(STUB), 53)],
        ..crate::config::StubZone::default()
    };
    let config = ResolverConfig {
        stub_zones: vec![stub],
        scrub_promiscuous: false,
        serve_expired: crate::config::ServeExpired {
            enabled: true,
            client_timeout_milliseconds: 0,
            ..crate::config::ServeExpired::default()
        },
        ..full_responses()
    };
    let setup = setup(network, config);
    let fresh = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(
        fresh.authorities,
        vec![ns("example.com.", "ns.example.com.")]
    );
    assert_eq!(fresh.additionals, vec![a("ns.example.com.", STUB)]);
    // RFC 8767: past every TTL the stale answer repeats them too, at serve-expired-reply-ttl.
    setup.clock.advance(std::time::Duration::from_secs(3_601));
    let stale = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    let ttls = |records: &[hickory_proto::rr::Record]| -> Vec<u32> {
        records.iter().map(|record| record.ttl).collect()
    };
    assert_eq!(ttls(&stale.answers), [30]);
    assert_eq!(ttls(&stale.authorities), [30], "{stale:?}");
    assert_eq!(ttls(&stale.additionals), [30], "{stale:?}");
}

#[tokio::test]
async fn full_responses_leave_out_addresses_of_name_servers_outside_the_zone() {
    // example.com.'s answer names a server in another zone, whose address the cache holds from
    // a lookup of its own: it was never part of the zone's answer (the scrubber drops it
    // there, and Unbound answers from that scrubbed reply), so it is not added.
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        Canned {
            authoritative: true,
            answers: vec![a("www.example.com.", "192.0.2.80")],
            authorities: vec![ns("example.com.", "ns.example.net.")],
            ..Canned::default()
        },
    );
    let config = ResolverConfig {
        scrub_promiscuous: false,
        ..full_responses()
    };
    let setup = setup(network, config);
    let server = setup
        .resolver
        .resolve(&client_query("ns.example.net.", RecordType::A))
        .await;
    assert_eq!(server.answers, vec![a("ns.example.net.", EXAMPLE_NET)]);
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(
        response.authorities,
        vec![ns("example.com.", "ns.example.net.")]
    );
    assert!(response.additionals.is_empty(), "{response:?}");
}

#[tokio::test]
async fn an_any_answer_repeats_its_replys_sections_even_when_minimal() {
    // Unbound's minimal responses strip only answers with an RRset of the question's type, so
    // an ANY answer keeps what its reply carried beside it (val_any_dname).
    let mut network = internet();
    network.on(
        ROOT,
        "example.com.",
        RecordType::ANY,
        referral(vec![ns("com.", "a.gtld.com.")], vec![a("a.gtld.com.", COM)]),
    );
    network.on(
        COM,
        "example.com.",
        RecordType::ANY,
        referral(
            vec![ns("example.com.", "ns.example.com.")],
            vec![a("ns.example.com.", EXAMPLE_COM)],
        ),
    );
    network.on(
        EXAMPLE_COM,
        "example.com.",
        RecordType::ANY,
        Canned {
            authoritative: true,
            answers: vec![
                ns("example.com.", "ns.example.com."),
                a("example.com.", "192.0.2.7"),
            ],
            additionals: vec![a("ns.example.com.", EXAMPLE_COM)],
            ..Canned::default()
        },
    );
    let setup = setup(network, config());
    for pass in ["walk", "cache"] {
        let response = setup
            .resolver
            .resolve(&client_query("example.com.", RecordType::ANY))
            .await;
        assert_eq!(response.answers.len(), 2, "{pass}: {response:?}");
        assert_eq!(
            response.additionals,
            vec![a("ns.example.com.", EXAMPLE_COM)],
            "{pass}"
        );
    }
}

/// example.com's server giving its NS set and that server's address beside a NODATA's SOA.
fn internet_with_negative_sections() -> ScriptedNetwork {
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::AAAA,
        Canned {
            authoritative: true,
            authorities: vec![
                soa("example.com.", 300),
                ns("example.com.", "ns.example.com."),
            ],
            additionals: vec![a("ns.example.com.", EXAMPLE_COM)],
            ..Canned::default()
        },
    );
    network
}

#[tokio::test]
async fn minimal_negative_answer_carries_the_soa_only() {
    let setup = setup(internet_with_negative_sections(), config());
    for _ in 0..2 {
        let response = setup
            .resolver
            .resolve(&client_query("www.example.com.", RecordType::AAAA))
            .await;
        assert!(response.answers.is_empty());
        let types: Vec<RecordType> = response
            .authorities
            .iter()
            .map(|record| record.record_type())
            .collect();
        assert_eq!(types, vec![RecordType::SOA]);
        assert!(response.additionals.is_empty());
    }
}
