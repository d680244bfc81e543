//! Whole resolutions against a scripted network: a table (server, qname, qtype) → reply,
//! and a manual clock. No sockets, no sleeping.

use std::net::Ipv4Addr;
use std::time::Duration;

use hickory_proto::op::{MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::CNAME;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::config::ResolverConfig;
use crate::scripted::network::*;
use crate::upstream::transport::Protocol;

#[tokio::test]
async fn referral_chain_from_root_to_domain_resolves_and_is_cached() {
    let setup = setup(internet(), config());
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert_eq!(response.metadata.id, 4242);
    assert!(response.metadata.recursion_available && response.metadata.recursion_desired);
    assert_eq!(response.metadata.message_type, MessageType::Response);
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    let sent_first = setup.network.sent().len();
    assert_eq!(setup.network.sent_to(EXAMPLE_COM), 1);

    setup.clock.advance(Duration::from_secs(100));
    let again = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&again), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    assert_eq!(again.answers[0].ttl, 3500, "TTL counts down in the cache");
    assert_eq!(
        setup.network.sent().len(),
        sent_first,
        "second answer comes from the cache"
    );
}

/// The walk's last reply is cached once the server has sent the answer (`store_deferred`),
/// with TTLs counted from its arrival; a read before that stores it first.
#[tokio::test]
async fn a_final_answer_is_cached_after_the_client_has_it_and_before_any_read() {
    let first = setup(internet(), config());
    let name = Name::from_ascii("www.example.com.").unwrap();
    let cached = |setup: &Setup| {
        setup.resolver.cache.get_rrset(
            &name,
            RecordType::A,
            hickory_proto::rr::DNSClass::IN,
            crate::cache::Trust::Glue,
            crate::clock::Clock::now(setup.clock.as_ref()),
        )
    };
    first
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert!(
        cached(&first).is_none(),
        "not cached before the answer is sent"
    );
    first.clock.advance(Duration::from_secs(100));
    first.resolver.store_deferred();
    let records = cached(&first).expect("cached once the answer is sent");
    assert_eq!(records[0].ttl, 3500, "TTL counted from the reply's arrival");

    // Another walk's answer waits; the next resolution reads the cache only after storing it.
    let again = setup(internet(), config());
    again
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    let sent = again.network.sent().len();
    let response = again
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    assert_eq!(again.network.sent().len(), sent, "answered from the cache");
}

#[tokio::test]
async fn cached_delegation_is_reused_by_later_walks() {
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "ns2.example.com.",
        RecordType::A,
        answer(vec![a("ns2.example.com.", "192.0.2.53")]),
    );
    let setup = setup(network, config());
    setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    let root_queries = setup.network.sent_to(ROOT);
    let response = setup
        .resolver
        .resolve(&client_query("ns2.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 53)]);
    assert_eq!(
        setup.network.sent_to(ROOT),
        root_queries,
        "no new walk from the root"
    );
    assert_eq!(setup.network.sent_to(COM), 1);
}

#[tokio::test]
async fn glueless_name_server_is_resolved_first() {
    let mut network = internet();
    // example.org. is served by ns.example.net., given without glue.
    network.on(
        ROOT,
        "www.example.org.",
        RecordType::A,
        referral(vec![ns("example.org.", "ns.example.net.")], vec![]),
    );
    network.on(
        EXAMPLE_NET,
        "www.example.org.",
        RecordType::A,
        answer(vec![a("www.example.org.", "192.0.2.82")]),
    );
    let setup = setup(network, config());
    let response = setup
        .resolver
        .resolve(&client_query("www.example.org.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 82)]);
    assert_eq!(
        setup.network.sent_to(NET),
        1,
        "ns.example.net. was looked up through net."
    );
}

#[tokio::test]
async fn cname_into_another_zone_is_chased() {
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        answer(vec![cname("www.example.com.", "www.example.net.")]),
    );
    let setup = setup(network, config());
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert_eq!(response.answers.len(), 2);
    assert_eq!(
        response.answers[0].data,
        RData::CNAME(CNAME(name("www.example.net.")))
    );
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 81)]);
}

#[tokio::test]
async fn cname_loop_ends_in_servfail() {
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        answer(vec![cname("www.example.com.", "www.example.net.")]),
    );
    network.on(
        EXAMPLE_NET,
        "www.example.net.",
        RecordType::A,
        answer(vec![cname("www.example.net.", "www.example.com.")]),
    );
    let setup = setup(network, config());
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    assert!(setup.network.sent().len() < 20);
}

#[tokio::test]
async fn nxdomain_is_cached_for_the_soa_minimum() {
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "nx.example.com.",
        RecordType::A,
        Canned {
            authoritative: true,
            rcode: ResponseCode::NXDomain,
            authorities: vec![soa("example.com.", 60)],
            ..Canned::default()
        },
    );
    let setup = setup(network, config());
    let response = setup
        .resolver
        .resolve(&client_query("nx.example.com.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(response.authorities.len(), 1);
    // RFC 2308 §5: the SOA is passed on with min(its TTL, MINIMUM), fresh and from the cache.
    assert_eq!(response.authorities[0].ttl, 60);
    setup.clock.advance(Duration::from_secs(30));
    let cached = setup
        .resolver
        .resolve(&client_query("nx.example.com.", RecordType::A))
        .await;
    assert_eq!(cached.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(cached.authorities[0].ttl, 30);
    assert_eq!(setup.network.sent_to(EXAMPLE_COM), 1);
    setup.clock.advance(Duration::from_secs(31));
    setup
        .resolver
        .resolve(&client_query("nx.example.com.", RecordType::A))
        .await;
    assert_eq!(
        setup.network.sent_to(EXAMPLE_COM),
        2,
        "expired negative entry is not served"
    );
}

#[tokio::test]
async fn lame_server_is_skipped_for_the_next_one() {
    let mut network = internet();
    let lame = "198.51.100.40";
    let two_servers = referral(
        vec![
            ns("example.com.", "lame.example.com."),
            ns("example.com.", "ns.example.com."),
        ],
        vec![
            a("lame.example.com.", lame),
            a("ns.example.com.", EXAMPLE_COM),
        ],
    );
    network.on(COM, "www.example.com.", RecordType::A, two_servers);
    // The lame server refers back upward to com.
    network.on(
        lame,
        "www.example.com.",
        RecordType::A,
        referral(vec![ns("com.", "a.gtld.com.")], vec![]),
    );
    let setup = setup(network, config());
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    assert_eq!(setup.network.sent_to(lame), 1);
}

#[tokio::test]
async fn truncated_reply_is_retried_over_tcp() {
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        Canned {
            truncated_over_udp: true,
            ..answer(vec![a("www.example.com.", "192.0.2.80")])
        },
    );
    let setup = setup(network, config());
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    let protocols: Vec<Protocol> = setup
        .network
        .sent()
        .into_iter()
        .filter(|(address, ..)| *address == ip(EXAMPLE_COM))
        .map(|sent| sent.3)
        .collect();
    assert_eq!(protocols, vec![Protocol::Udp, Protocol::Tcp]);
}

#[tokio::test]
async fn reply_with_wrong_id_is_not_believed() {
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        Canned {
            wrong_id: true,
            ..answer(vec![a("www.example.com.", "203.0.113.66")])
        },
    );
    let setup = setup(network, config());
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    assert!(response.answers.is_empty());
}

#[tokio::test]
async fn loopback_name_server_is_never_queried_by_default() {
    let mut network = internet();
    network.on(
        COM,
        "www.example.com.",
        RecordType::A,
        referral(
            vec![ns("example.com.", "ns.example.com.")],
            vec![a("ns.example.com.", "127.0.0.1")],
        ),
    );
    network.on(
        "127.0.0.1",
        "www.example.com.",
        RecordType::A,
        answer(vec![a("www.example.com.", "192.0.2.80")]),
    );
    let refused = setup(network, config());
    let response = refused
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    assert_eq!(refused.network.sent_to("127.0.0.1"), 0);

    let mut network = internet();
    network.on(
        COM,
        "www.example.com.",
        RecordType::A,
        referral(
            vec![ns("example.com.", "ns.example.com.")],
            vec![a("ns.example.com.", "127.0.0.1")],
        ),
    );
    network.on(
        "127.0.0.1",
        "www.example.com.",
        RecordType::A,
        answer(vec![a("www.example.com.", "192.0.2.80")]),
    );
    let allowed = setup(
        network,
        ResolverConfig {
            allow_loopback_upstream: true,
            ..config()
        },
    );
    let response = allowed
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 80)]);
}

#[tokio::test]
async fn many_glueless_name_servers_cost_a_bounded_number_of_queries() {
    let mut network = internet();
    // NXNSAttack shape: a referral to many glueless names under a zone that never answers.
    let names: Vec<Record> = (0..40)
        .map(|index| ns("example.com.", &format!("ns{index}.victim.example.")))
        .collect();
    network.on(
        COM,
        "www.example.com.",
        RecordType::A,
        referral(names, vec![]),
    );
    let setup = setup(network, config());
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    let victim_lookups = setup
        .network
        .sent()
        .iter()
        .filter(|sent| sent.1.to_string().contains("victim"))
        .count();
    assert!(
        victim_lookups <= crate::limits::MAX_NS_NAME_LOOKUPS_PER_DELEGATION * 2,
        "{victim_lookups} lookups"
    );
    assert!(setup.network.sent().len() <= crate::limits::MAX_UPSTREAM_QUERIES as usize);
}

#[tokio::test]
async fn qname_minimisation_reveals_one_label_per_zone() {
    let setup = setup(
        internet(),
        ResolverConfig {
            qname_minimisation: true,
            ..config()
        },
    );
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    let sent = setup.network.sent();
    // RFC 9156 §3: the minimised question asks A.
    assert!(
        sent.iter()
            .any(|s| s.0 == ip(ROOT) && s.1 == name("com.") && s.2 == RecordType::A),
        "{sent:?}"
    );
    assert!(
        !sent
            .iter()
            .any(|s| s.0 == ip(ROOT) && s.1 == name("www.example.com.")),
        "{sent:?}"
    );
}

#[tokio::test]
async fn minimisation_asks_the_full_name_with_a_before_the_type_asked() {
    // Unbound: the last minimised question is the full name with A; then the real type.
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::AAAA,
        Canned {
            authoritative: true,
            authorities: vec![soa("example.com.", 300)],
            ..Canned::default()
        },
    );
    let setup = setup(
        network,
        ResolverConfig {
            qname_minimisation: true,
            ..config()
        },
    );
    setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::AAAA))
        .await;
    let asked: Vec<(Name, RecordType)> = setup
        .network
        .sent()
        .into_iter()
        .filter(|s| s.0 == ip(EXAMPLE_COM))
        .map(|s| (s.1, s.2))
        .collect();
    assert_eq!(
        asked,
        vec![
            (name("www.example.com."), RecordType::A),
            (name("www.example.com."), RecordType::AAAA)
        ]
    );
}

#[tokio::test]
async fn minimisation_in_knot_resolver_mode_asks_ns() {
    let setup = setup(
        internet(),
        ResolverConfig {
            qname_minimisation: true,
            minimised_query_type: crate::config::MinimisedQueryType::Ns,
            ..config()
        },
    );
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    let sent = setup.network.sent();
    assert!(
        sent.iter()
            .any(|s| s.0 == ip(ROOT) && s.1 == name("com.") && s.2 == RecordType::NS),
        "{sent:?}"
    );
    assert!(
        !sent
            .iter()
            .any(|s| s.0 == ip(EXAMPLE_COM) && s.2 == RecordType::NS),
        "the full name is asked with its own type: {sent:?}"
    );
}

#[tokio::test]
async fn forwarding_sends_recursive_queries_and_fails_over() {
    let mut network = ScriptedNetwork::default();
    let mut forwarded = answer(vec![a("www.example.com.", "192.0.2.80")]);
    forwarded.authoritative = false;
    network.on("192.0.2.200", "www.example.com.", RecordType::A, forwarded);
    let config = ResolverConfig {
        forward_zones: vec![crate::config::ForwardZone {
            suffix: Name::root(),
            upstreams: vec![
                "192.0.2.199:53".parse().unwrap(),
                "192.0.2.200:53".parse().unwrap(),
            ],
            ..Default::default()
        }],
        ..config()
    };
    let setup = setup(network, config);
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    assert_eq!(setup.network.sent_to("192.0.2.199"), 1);
    assert_eq!(setup.network.sent_to(ROOT), 0);
}

#[tokio::test]
async fn out_of_bailiwick_glue_is_never_used() {
    let mut network = internet();
    // com. hands out an address for a name in net.: harden-glue says it is not com.'s to give.
    network.on(
        COM,
        "www.example.com.",
        RecordType::A,
        referral(
            vec![ns("example.com.", "ns.example.net.")],
            vec![a("ns.example.net.", "203.0.113.66")],
        ),
    );
    network.on(
        EXAMPLE_NET,
        "www.example.com.",
        RecordType::A,
        answer(vec![a("www.example.com.", "192.0.2.80")]),
    );
    let setup = setup(network, config());
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    assert_eq!(setup.network.sent_to("203.0.113.66"), 0);
}

#[tokio::test]
async fn spoofed_ns_set_riding_on_an_answer_does_not_replace_the_delegation() {
    let mut network = internet();
    let evil = "203.0.113.99";
    // The walk to bad.example.com. must reach example.com.'s server (it once timed out at the
    // root, which knew no such name, so the spoofed reply was never seen).
    network.on(
        ROOT,
        "bad.example.com.",
        RecordType::A,
        referral(vec![ns("com.", "a.gtld.com.")], vec![a("a.gtld.com.", COM)]),
    );
    network.on(
        COM,
        "bad.example.com.",
        RecordType::A,
        referral(
            vec![ns("example.com.", "ns.example.com.")],
            vec![a("ns.example.com.", EXAMPLE_COM)],
        ),
    );
    network.on(
        EXAMPLE_COM,
        "bad.example.com.",
        RecordType::A,
        Canned {
            answers: vec![a("bad.example.com.", evil)],
            authorities: vec![ns("example.com.", "bad.example.com.")],
            ..Canned::default()
        },
    );
    network.on(
        EXAMPLE_COM,
        "ns2.example.com.",
        RecordType::A,
        answer(vec![a("ns2.example.com.", "192.0.2.53")]),
    );
    let setup = setup(network, config());
    setup
        .resolver
        .resolve(&client_query("bad.example.com.", RecordType::A))
        .await;
    let response = setup
        .resolver
        .resolve(&client_query("ns2.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 53)]);
    assert_eq!(setup.network.sent_to(evil), 0);
}

#[tokio::test]
async fn unknown_opcode_is_answered_notimp_without_upstream_queries() {
    let mut query = client_query("www.example.com.", RecordType::A);
    query.metadata.op_code = OpCode::Status;
    let setup = setup(internet(), config());
    let response = setup.resolver.resolve(&query).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NotImp);
    assert_eq!(response.metadata.id, 4242);
    assert!(setup.network.sent().is_empty());
}

#[tokio::test]
async fn server_that_timed_out_is_tried_last_on_the_next_query() {
    let mut network = internet();
    let dead = "198.51.100.66";
    let two_servers = referral(
        vec![
            ns("example.com.", "dead.example.com."),
            ns("example.com.", "ns.example.com."),
        ],
        vec![
            a("dead.example.com.", dead),
            a("ns.example.com.", EXAMPLE_COM),
        ],
    );
    network.on(COM, "www.example.com.", RecordType::A, two_servers);
    network.on(
        EXAMPLE_COM,
        "ns2.example.com.",
        RecordType::A,
        answer(vec![a("ns2.example.com.", "192.0.2.53")]),
    );
    // The delegation is cached from the first walk; the second walk must prefer the live server.
    let setup = setup(network, config());
    let first = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&first), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    assert_eq!(setup.network.sent_to(dead), 1);
    let second = setup
        .resolver
        .resolve(&client_query("ns2.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&second), vec![Ipv4Addr::new(192, 0, 2, 53)]);
    assert_eq!(
        setup.network.sent_to(dead),
        1,
        "the timed-out server was not asked first again"
    );
}

#[test]
fn resolve_future_is_send() {
    // The listener runs handlers on a multi-threaded runtime: the resolution must be `Send`.
    fn assert_send<T: Send>(_: &T) {}
    let setup = setup(internet(), config());
    let query = client_query("www.example.com.", RecordType::A);
    let future = setup.resolver.resolve(&query);
    assert_send(&future);
}

#[tokio::test]
async fn forward_zone_applies_only_below_its_suffix() {
    let mut network = internet();
    let forwarder = "192.0.2.210";
    let mut forwarded = answer(vec![a("www.example.net.", "192.0.2.99")]);
    forwarded.authoritative = false;
    network.on(forwarder, "www.example.net.", RecordType::A, forwarded);
    let config = ResolverConfig {
        forward_zones: vec![crate::config::ForwardZone {
            suffix: name("example.net."),
            upstreams: vec![format!("{forwarder}:53").parse().unwrap()],
            ..Default::default()
        }],
        ..config()
    };
    let setup = setup(network, config);
    let net = setup
        .resolver
        .resolve(&client_query("www.example.net.", RecordType::A))
        .await;
    assert_eq!(addresses(&net), vec![Ipv4Addr::new(192, 0, 2, 99)]);
    assert_eq!(
        setup.network.sent_to(NET),
        0,
        "example.net. is forwarded, not iterated"
    );
    let com = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&com), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    assert_eq!(setup.network.sent_to(forwarder), 1);
}

#[tokio::test]
async fn cache_only_answer_matches_the_full_resolution_and_sends_nothing() {
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        answer(vec![cname("www.example.com.", "www.example.net.")]),
    );
    let setup = setup(network, config());
    let query = client_query("www.example.com.", RecordType::A);
    assert!(
        setup.resolver.resolve_from_cache(&query).is_none(),
        "a cold cache answers nothing"
    );
    assert!(setup.network.sent().is_empty(), "and asks nobody");
    setup.resolver.resolve(&query).await;
    let sent = setup.network.sent().len();
    setup.clock.advance(Duration::from_secs(100));
    let cached = setup.resolver.resolve_from_cache(&query).expect("cached");
    let full = setup.resolver.resolve(&query).await;
    assert_eq!(
        cached, full,
        "the CNAME chain comes back as a full resolution gives it"
    );
    assert_eq!(cached.answers.len(), 2);
    assert_eq!(cached.answers[0].ttl, 3500, "TTL counts down in the cache");
    assert_eq!(setup.network.sent().len(), sent);
}

/// A cached CNAME is the child side's data: a DS question for its owner is asked of the
/// parent side's servers and answered as they say, not by following the CNAME.
#[tokio::test]
async fn a_ds_question_does_not_follow_a_cached_cname() {
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        answer(vec![cname("www.example.com.", "web.example.com.")]),
    );
    network.on(
        EXAMPLE_COM,
        "web.example.com.",
        RecordType::A,
        answer(vec![a("web.example.com.", "192.0.2.80")]),
    );
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::DS,
        Canned {
            authoritative: true,
            authorities: vec![soa("example.com.", 300)],
            ..Canned::default()
        },
    );
    let setup = setup(network, config());
    setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    let response = setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::DS))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(response.answers.is_empty(), "{:?}", response.answers);
}

/// RFC 6672 §3.4: the CNAME synthesized from a DNAME travels with the DNAME, fresh from a walk
/// and from the cache alike.
#[tokio::test]
async fn a_synthesized_cname_comes_with_its_dname_fresh_and_cached() {
    let dname =
        crate::replay::record_text::parse_record("example.com. 300 IN DNAME example.net.").unwrap();
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        answer(vec![
            dname.clone(),
            cname("www.example.com.", "www.example.net."),
        ]),
    );
    network.on(
        EXAMPLE_NET,
        "www.example.net.",
        RecordType::A,
        answer(vec![a("www.example.net.", "192.0.2.80")]),
    );
    let setup = setup(
        network,
        crate::config::ResolverConfig {
            qname_minimisation: false,
            ..config()
        },
    );
    for pass in ["walk", "cache"] {
        let response = setup
            .resolver
            .resolve(&client_query("www.example.com.", RecordType::A))
            .await;
        let dnames = response
            .answers
            .iter()
            .filter(|record| record.record_type() == RecordType::DNAME)
            .count();
        assert_eq!(dnames, 1, "{pass}: {:?}", response.answers);
        assert_eq!(response.answers.len(), 3, "{pass}: {:?}", response.answers);
    }
}

/// RFC 6672 §3.2 rewriting from the cache is for secure DNAMEs only (Unbound
/// `dns_cache_lookup`: an unsigned one may have been planted beside another answer): a name
/// below a cached unsigned DNAME is asked for, and answered with the DNAME and its CNAME.
#[tokio::test]
async fn a_name_below_a_cached_unsigned_dname_is_asked_for() {
    let dname =
        crate::replay::record_text::parse_record("example.com. 300 IN DNAME example.net.").unwrap();
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        answer(vec![
            dname.clone(),
            cname("www.example.com.", "www.example.net."),
        ]),
    );
    network.on(
        EXAMPLE_NET,
        "www.example.net.",
        RecordType::A,
        answer(vec![a("www.example.net.", "192.0.2.80")]),
    );
    network.on(
        EXAMPLE_COM,
        "ns.example.com.",
        RecordType::A,
        answer(vec![
            dname.clone(),
            cname("ns.example.com.", "ns.example.net."),
        ]),
    );
    network.on(
        EXAMPLE_NET,
        "ns.example.net.",
        RecordType::A,
        answer(vec![a("ns.example.net.", "192.0.2.81")]),
    );
    let setup = setup(
        network,
        crate::config::ResolverConfig {
            qname_minimisation: false,
            ..config()
        },
    );
    setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    let response = setup
        .resolver
        .resolve(&client_query("ns.example.com.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(response.answers.contains(&dname), "{:?}", response.answers);
    assert!(response
        .answers
        .contains(&cname("ns.example.com.", "ns.example.net.")));
    assert!(setup
        .network
        .sent()
        .iter()
        .any(|(_, qname, _, _)| *qname == name("ns.example.com.")));
}
