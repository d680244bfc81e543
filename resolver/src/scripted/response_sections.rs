//! The shape of positive answers on a scripted network: minimal by default, the zone's NS set and
//! its in-zone servers' addresses with `minimal_responses` off, addresses beside an NS answer always.

use hickory_proto::rr::RecordType;

use crate::config::ResolverConfig;
use crate::scripted::network::*;

fn full_responses() -> ResolverConfig {
    ResolverConfig {
        minimal_responses: false,
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

#[tokio::test]
async fn full_responses_add_the_zone_ns_set_and_its_addresses_fresh_and_from_the_cache() {
    let setup = setup(internet(), full_responses());
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
