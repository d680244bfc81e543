//! Walks that start at configured servers: stub zones (`stub-addr`, `stub-host`, `stub-prime`,
//! `stub-first`), forward zones (`forward-first`, `-tcp-upstream`, `-host`, `-no-cache`).

use std::net::Ipv4Addr;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use crate::config::{ForwardZone, ResolverConfig, StubZone};
use crate::scripted::network::*;
use crate::upstream::transport::Protocol;

/// A server the operator configured for example.com., holding other data than the public one.
const STUB: &str = "192.0.2.50";
/// The server a primed stub names in its NS set.
const STUB_NAMED: &str = "192.0.2.51";
const FORWARDER: &str = "192.0.2.60";

fn stub(suffix: &str, address: &str) -> StubZone {
    StubZone {
        suffix: name(suffix),
        addresses: vec![format!("{address}:53").parse().unwrap()],
        ..StubZone::default()
    }
}

fn with_stub(zone: StubZone) -> ResolverConfig {
    ResolverConfig {
        stub_zones: vec![zone],
        ..config()
    }
}

fn forward(suffix: &str, address: &str) -> ForwardZone {
    ForwardZone {
        suffix: name(suffix),
        upstreams: vec![format!("{address}:53").parse().unwrap()],
        ..ForwardZone::default()
    }
}

/// The public internet, plus the stub server's own answer for www.example.com.
fn internet_with_stub_server() -> ScriptedNetwork {
    let mut network = internet();
    network.on(
        STUB,
        "www.example.com.",
        RecordType::A,
        answer(vec![a("www.example.com.", "192.0.2.55")]),
    );
    network
}

#[tokio::test]
async fn stub_zone_walk_starts_at_the_configured_server_with_recursion_off() {
    for config in modes() {
        let config = ResolverConfig {
            stub_zones: vec![stub("example.com.", STUB)],
            ..config
        };
        let setup = setup(internet_with_stub_server(), config);
        let response = setup
            .resolver
            .resolve(&client_query("www.example.com.", RecordType::A))
            .await;
        assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 55)]);
        assert_eq!(setup.network.sent_to(ROOT), 0, "no walk from the root");
        assert_eq!(setup.network.sent_to(EXAMPLE_COM), 0);
        let flags = setup.network.recursion_desired_to(STUB);
        assert!(!flags.is_empty() && flags.iter().all(|rd| !rd), "{flags:?}");
        // Names outside the stub zone are iterated as before.
        let net = setup
            .resolver
            .resolve(&client_query("www.example.net.", RecordType::A))
            .await;
        assert_eq!(addresses(&net), vec![Ipv4Addr::new(192, 0, 2, 81)]);
    }
}

#[tokio::test]
async fn stub_zone_wins_over_the_cached_parent_delegation() {
    let setup = setup(
        internet_with_stub_server(),
        with_stub(stub("example.com.", STUB)),
    );
    // com.'s delegation (and example.com.'s, from com.) are cached by a walk outside the stub.
    let other = setup
        .resolver
        .resolve(&client_query("ns.example.net.", RecordType::A))
        .await;
    assert_eq!(other.metadata.response_code, ResponseCode::NoError);
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 55)]);
    assert_eq!(setup.network.sent_to(COM), 0);
}

#[tokio::test]
async fn stub_prime_asks_the_configured_server_for_the_zone_ns_set_and_uses_it() {
    let mut network = internet();
    network.on(
        STUB,
        "example.com.",
        RecordType::NS,
        Canned {
            authoritative: true,
            answers: vec![ns("example.com.", "ns.example.com.")],
            additionals: vec![a("ns.example.com.", STUB_NAMED)],
            ..Canned::default()
        },
    );
    network.on(
        STUB_NAMED,
        "www.example.com.",
        RecordType::A,
        answer(vec![a("www.example.com.", "192.0.2.56")]),
    );
    let setup = setup(
        network,
        with_stub(StubZone {
            prime: true,
            ..stub("example.com.", STUB)
        }),
    );
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 56)]);
    assert_eq!(setup.network.sent_to(STUB), 1, "only the priming query");
    assert_eq!(setup.network.sent_to(ROOT), 0);
}

#[tokio::test]
async fn failing_stub_servers_give_servfail_without_leaking_to_the_parent() {
    let setup = setup(internet(), with_stub(stub("example.com.", STUB)));
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    assert_eq!(setup.network.sent_to(ROOT), 0);
    assert_eq!(setup.network.sent_to(EXAMPLE_COM), 0);
}

#[tokio::test]
async fn stub_first_falls_back_to_iteration_when_the_stub_servers_fail() {
    for prime in [false, true] {
        let setup = setup(
            internet(),
            with_stub(StubZone {
                first: true,
                prime,
                ..stub("example.com.", STUB)
            }),
        );
        let response = setup
            .resolver
            .resolve(&client_query("www.example.com.", RecordType::A))
            .await;
        assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 80)]);
        assert!(setup.network.sent_to(STUB) > 0);
        assert_eq!(setup.network.sent_to(EXAMPLE_COM), 1);
    }
}

#[tokio::test]
async fn stub_host_is_looked_up_and_asked() {
    // The stub server is given by name: ns.example.net., found by iterating.
    let mut network = internet();
    network.on(
        EXAMPLE_NET,
        "www.example.com.",
        RecordType::A,
        answer(vec![a("www.example.com.", "192.0.2.55")]),
    );
    let setup = setup(
        network,
        with_stub(StubZone {
            suffix: name("example.com."),
            hosts: vec![name("ns.example.net.")],
            ..StubZone::default()
        }),
    );
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 55)]);
    assert_eq!(setup.network.sent_to(EXAMPLE_COM), 0);
}

#[tokio::test]
async fn forward_first_falls_back_to_iteration_when_the_forwarders_fail() {
    let setup = setup(
        internet(),
        ResolverConfig {
            forward_zones: vec![ForwardZone {
                first: true,
                ..forward("example.com.", FORWARDER)
            }],
            ..config()
        },
    );
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    assert!(setup.network.sent_to(FORWARDER) > 0);
    // Without forward-first the forwarders are all the zone has.
    let strict = setup_without_first();
    let response = strict
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    assert_eq!(strict.network.sent_to(ROOT), 0);
}

fn setup_without_first() -> Setup {
    setup(
        internet(),
        ResolverConfig {
            forward_zones: vec![forward("example.com.", FORWARDER)],
            ..config()
        },
    )
}

#[tokio::test]
async fn forward_first_of_the_root_falls_back_to_the_root_hints() {
    let setup = setup(
        internet(),
        ResolverConfig {
            forward_zones: vec![ForwardZone {
                first: true,
                ..forward(".", FORWARDER)
            }],
            ..config()
        },
    );
    let response = setup
        .resolver
        .resolve(&client_query("www.example.net.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 81)]);
}

#[tokio::test]
async fn forward_tcp_upstream_asks_the_forwarders_over_tcp_only() {
    let mut network = internet();
    let mut forwarded = answer(vec![a("www.example.com.", "192.0.2.57")]);
    forwarded.authoritative = false;
    network.on(FORWARDER, "www.example.com.", RecordType::A, forwarded);
    let setup = setup(
        network,
        ResolverConfig {
            forward_zones: vec![ForwardZone {
                tcp_upstream: true,
                ..forward(".", FORWARDER)
            }],
            ..config()
        },
    );
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 57)]);
    let protocols: Vec<Protocol> = setup
        .network
        .sent()
        .iter()
        .map(|(.., protocol)| *protocol)
        .collect();
    assert_eq!(protocols, [Protocol::Tcp]);
}

#[tokio::test]
async fn forward_host_is_looked_up_when_the_addresses_fail() {
    // 192.0.2.61 never answers; the forwarder named ns.example.net. does.
    let mut network = internet();
    let mut forwarded = answer(vec![a("www.example.com.", "192.0.2.58")]);
    forwarded.authoritative = false;
    network.on(EXAMPLE_NET, "www.example.com.", RecordType::A, forwarded);
    let setup = setup(
        network,
        ResolverConfig {
            forward_zones: vec![ForwardZone {
                hosts: vec![name("ns.example.net.")],
                ..forward("example.com.", "192.0.2.61")
            }],
            ..config()
        },
    );
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 58)]);
    assert_eq!(
        setup.network.recursion_desired_to(EXAMPLE_NET).last(),
        Some(&true)
    );
    // As Unbound's target fetching: the name is looked up before the first forwarded query,
    // so a forwarder that fails later finds the others known (fwd_name_lookup).
    let sent = setup.network.sent();
    let position = |wanted: &str| {
        sent.iter()
            .position(|(_, name, ..)| *name == self::name(wanted))
            .unwrap()
    };
    assert!(position("ns.example.net.") < position("www.example.com."));
}

/// Unbound `forward-no-cache`: the forwarder is asked again for every query of the zone, while
/// a stub zone below it (the closer configured zone, not no-cache) is cached as usual.
#[tokio::test]
async fn a_no_cache_forward_zone_is_asked_every_time_and_a_stub_below_it_is_cached() {
    let mut network = internet();
    network.on(
        FORWARDER,
        "www.example.com.",
        RecordType::A,
        answer(vec![a("www.example.com.", "192.0.2.61")]),
    );
    network.on(
        STUB,
        "www.sub.example.com.",
        RecordType::A,
        answer(vec![a("www.sub.example.com.", "192.0.2.56")]),
    );
    let setup = setup(
        network,
        ResolverConfig {
            forward_zones: vec![ForwardZone {
                no_cache: true,
                ..forward("example.com.", FORWARDER)
            }],
            stub_zones: vec![stub("sub.example.com.", STUB)],
            ..config()
        },
    );
    for _ in 0..2 {
        let forwarded = setup
            .resolver
            .resolve(&client_query("www.example.com.", RecordType::A))
            .await;
        assert_eq!(addresses(&forwarded), vec![Ipv4Addr::new(192, 0, 2, 61)]);
        let stubbed = setup
            .resolver
            .resolve(&client_query("www.sub.example.com.", RecordType::A))
            .await;
        assert_eq!(addresses(&stubbed), vec![Ipv4Addr::new(192, 0, 2, 56)]);
    }
    assert_eq!(setup.network.sent_to(FORWARDER), 2);
    assert_eq!(setup.network.sent_to(STUB), 1);
    let cached = setup
        .resolver
        .resolve_from_cache(&client_query("www.example.com.", RecordType::A));
    assert!(cached.is_none(), "a no-cache name came from the cache");
}
