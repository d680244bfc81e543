//! Broken and slow servers (issue 7) against a scripted network in simulated time: each ends in
//! an answer or SERVFAIL within a named query budget and `MAX_RESOLUTION_TIME`, never a hang.

use std::time::Duration;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Record, RecordType};

use crate::clock::Clock;
use crate::limits::{
    FAILURE_CACHE_TTL, MAX_CNAME_CHAIN, MAX_NS_NAME_LOOKUPS_PER_DELEGATION, MAX_QUERIES_PER_WALK,
    MAX_RESOLUTION_TIME, UPSTREAM_QUERY_TIMEOUT,
};
use crate::scripted_network::*;
use crate::transport::Protocol;

/// Sends per exchange at most: UDP, TCP after TC=1, and once more without EDNS (upstream.rs).
const SENDS_PER_EXCHANGE: usize = 3;

/// The longest a client query may take in simulated time: the deadline, plus the timeout of a
/// query sent just before it.
fn time_bound() -> Duration {
    MAX_RESOLUTION_TIME + UPSTREAM_QUERY_TIMEOUT
}

/// What the client gets, the upstream queries it cost and the simulated time it took.
struct Outcome {
    response: Message,
    queries: usize,
    elapsed: Duration,
}

async fn resolve(setup: &Setup, qname: &str, qtype: RecordType) -> Outcome {
    let sent_before = setup.network.sent().len();
    let started = setup.clock.now();
    let response = setup.resolver.resolve(&client_query(qname, qtype)).await;
    Outcome {
        response,
        queries: setup.network.sent().len() - sent_before,
        elapsed: setup.clock.now() - started,
    }
}

/// A SERVFAIL with nothing in the answer, within `query_bound` queries and the time bound.
fn assert_bounded_servfail(outcome: &Outcome, query_bound: usize) {
    assert_eq!(
        outcome.response.metadata.response_code,
        ResponseCode::ServFail,
        "{:?}",
        outcome.response
    );
    assert!(
        outcome.response.answers.is_empty(),
        "{:?}",
        outcome.response
    );
    assert_bounded(outcome, query_bound);
}

fn assert_bounded(outcome: &Outcome, query_bound: usize) {
    assert!(
        outcome.queries <= query_bound,
        "{} upstream queries, bound {query_bound}",
        outcome.queries
    );
    assert!(
        outcome.elapsed <= time_bound(),
        "{:?} of simulated time, bound {:?}",
        outcome.elapsed,
        time_bound()
    );
}

/// The internet of `scripted_network`, with example.com. delegated by com. to `servers`
/// (name, address) with glue instead of to its real server.
fn example_com_served_by(servers: &[(&str, &str)]) -> ScriptedNetwork {
    let mut network = internet();
    let ns_records: Vec<Record> = servers
        .iter()
        .map(|(server, _)| ns("example.com.", server))
        .collect();
    let glue: Vec<Record> = servers
        .iter()
        .map(|(server, address)| a(server, address))
        .collect();
    for qname in ["www.example.com.", "ns2.example.com."] {
        network.on(
            COM,
            qname,
            RecordType::A,
            referral(ns_records.clone(), glue.clone()),
        );
    }
    network
}

const BROKEN_1: &str = "198.51.100.101";
const BROKEN_2: &str = "198.51.100.102";

fn two_broken_servers() -> ScriptedNetwork {
    example_com_served_by(&[
        ("broken1.example.com.", BROKEN_1),
        ("broken2.example.com.", BROKEN_2),
    ])
}

#[tokio::test]
async fn lame_delegation_ends_in_servfail_within_the_walk_budget() {
    let mut network = two_broken_servers();
    // One refers upward to com. (not authoritative for example.com.), the other answers without
    // AA and without data: neither serves the zone.
    network.on_anything(BROKEN_1, referral(vec![ns("com.", "a.gtld.com.")], vec![]));
    network.on_anything(
        BROKEN_2,
        referral(vec![ns("example.com.", "broken2.example.com.")], vec![]),
    );
    let setup = setup(network, config());
    let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
    assert_bounded_servfail(&outcome, MAX_QUERIES_PER_WALK as usize);
    // Each lame server is asked once per walk; a second client query for the zone costs a new
    // bounded walk, not an endless retry.
    assert!(setup.network.sent_to(BROKEN_1) <= 2);
    assert!(setup.network.sent_to(BROKEN_2) <= 2);
    let again = resolve(&setup, "ns2.example.com.", RecordType::A).await;
    assert_bounded_servfail(&again, MAX_QUERIES_PER_WALK as usize);
}

#[tokio::test]
async fn servers_that_never_answer_end_in_servfail_within_the_time_budget() {
    // Thirteen servers for example.com., none answering: at 1.5 s a timeout they could hold the
    // query for 19.5 s; the deadline cuts it.
    let dead: Vec<(String, String)> = (1..=13)
        .map(|index| {
            (
                format!("dead{index}.example.com."),
                format!("198.51.100.{}", 110 + index),
            )
        })
        .collect();
    let servers: Vec<(&str, &str)> = dead
        .iter()
        .map(|(server, address)| (server.as_str(), address.as_str()))
        .collect();
    let setup = setup(example_com_served_by(&servers), config());
    let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
    let sends_before_the_deadline =
        (MAX_RESOLUTION_TIME.as_millis() / UPSTREAM_QUERY_TIMEOUT.as_millis()) as usize + 1;
    // Root and com. answer at once; then one send per dead server until the deadline.
    assert_bounded_servfail(&outcome, 3 + sends_before_the_deadline);
}

#[tokio::test]
async fn root_that_never_answers_ends_in_servfail_within_the_time_budget() {
    let setup = setup(ScriptedNetwork::default(), config());
    let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
    // The priming query and one walk query to the only root server.
    assert_bounded_servfail(&outcome, 2);
}

async fn servers_answering(rcode: ResponseCode) {
    let mut network = two_broken_servers();
    network.on_anything(BROKEN_1, error_reply(rcode));
    network.on_anything(BROKEN_2, error_reply(rcode));
    let setup = setup(network, config());
    let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
    assert_bounded_servfail(&outcome, MAX_QUERIES_PER_WALK as usize);
    // The EDNS fallback does not apply to REFUSED/SERVFAIL: one send per server per walk.
    assert!(
        setup.network.sent_to(BROKEN_1) <= 2,
        "{}",
        setup.network.sent_to(BROKEN_1)
    );
}

#[tokio::test]
async fn servers_answering_refused_end_in_servfail_within_the_walk_budget() {
    servers_answering(ResponseCode::Refused).await;
}

#[tokio::test]
async fn servers_answering_servfail_end_in_servfail_within_the_walk_budget() {
    servers_answering(ResponseCode::ServFail).await;
}

#[tokio::test]
async fn reply_to_another_question_is_not_believed() {
    let mut network = two_broken_servers();
    let forged = Canned {
        wrong_question: Some(name("www.example.org.")),
        ..answer(vec![a("www.example.com.", "203.0.113.66")])
    };
    network.on_anything(BROKEN_1, forged.clone());
    network.on_anything(BROKEN_2, forged);
    let setup = setup(network, config());
    let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
    assert_bounded_servfail(&outcome, MAX_QUERIES_PER_WALK as usize);
}

/// Every reply of every server in `network` comes with TC=1 over UDP.
fn truncate_every_udp_reply(network: &mut ScriptedNetwork, silent_over_tcp: bool) {
    network.modify_every_reply(|canned| {
        canned.truncated_over_udp = true;
        canned.silent_over_tcp = silent_over_tcp;
    });
}

#[tokio::test]
async fn truncation_on_every_udp_reply_is_resolved_over_tcp() {
    let mut network = internet();
    truncate_every_udp_reply(&mut network, false);
    let setup = setup(network, config());
    let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
    assert_eq!(
        addresses(&outcome.response),
        vec![std::net::Ipv4Addr::new(192, 0, 2, 80)]
    );
    // Priming, root, com., example.com.: each one UDP and one TCP query.
    assert_bounded(&outcome, 4 * 2);
    let sent = setup.network.sent();
    let udp = sent.iter().filter(|sent| sent.3 == Protocol::Udp).count();
    assert_eq!(udp * 2, sent.len(), "one TCP retry per UDP query: {sent:?}");
}

#[tokio::test]
async fn truncation_on_every_udp_reply_with_dead_tcp_ends_in_servfail() {
    let mut network = two_broken_servers();
    truncate_every_udp_reply(&mut network, true);
    let setup = setup(network, config());
    let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
    // At most every exchange of the walk, each UDP then TCP.
    assert_bounded_servfail(&outcome, MAX_QUERIES_PER_WALK as usize * SENDS_PER_EXCHANGE);
}

const ORG: &str = "198.51.100.6";
const EXAMPLE_ORG: &str = "198.51.100.7";

#[tokio::test]
async fn cname_loop_across_three_zones_ends_in_servfail() {
    let mut network = internet();
    network.on(
        ROOT,
        "www.example.org.",
        RecordType::A,
        referral(vec![ns("org.", "a.gtld.org.")], vec![a("a.gtld.org.", ORG)]),
    );
    network.on(
        ORG,
        "www.example.org.",
        RecordType::A,
        referral(
            vec![ns("example.org.", "ns.example.org.")],
            vec![a("ns.example.org.", EXAMPLE_ORG)],
        ),
    );
    let links = [
        (EXAMPLE_COM, "www.example.com.", "www.example.net."),
        (EXAMPLE_NET, "www.example.net.", "www.example.org."),
        (EXAMPLE_ORG, "www.example.org.", "www.example.com."),
    ];
    for (server, owner, target) in links {
        network.on(
            server,
            owner,
            RecordType::A,
            answer(vec![cname(owner, target)]),
        );
    }
    let setup = setup(network, config());
    let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
    assert_eq!(
        outcome.response.metadata.response_code,
        ResponseCode::ServFail
    );
    // Each of the three names is walked once (root, TLD, zone): the loop is seen, not followed
    // until MAX_CNAME_CHAIN.
    assert_bounded(&outcome, 1 + 3 * 3);
    assert!(outcome.response.answers.len() <= MAX_CNAME_CHAIN);
    // The next client query is answered from the cached chain without a new upstream query.
    let again = resolve(&setup, "www.example.net.", RecordType::A).await;
    assert_eq!(
        again.response.metadata.response_code,
        ResponseCode::ServFail
    );
    assert_eq!(again.queries, 0);
}

const TEST_TLD: &str = "198.51.100.8";

/// tsuNAME (Moura et al., 2021): a.test. is served by ns.b.test. and b.test. by ns.a.test.,
/// both without glue, so finding either server needs the other first.
fn tsuname_network() -> ScriptedNetwork {
    let mut network = internet();
    let names = ["www.a.test.", "ns.a.test.", "www.b.test.", "ns.b.test."];
    for qname in names {
        for qtype in [RecordType::A, RecordType::AAAA, RecordType::NS] {
            network.on(
                ROOT,
                qname,
                qtype,
                referral(
                    vec![ns("test.", "ns.nic.test.")],
                    vec![a("ns.nic.test.", TEST_TLD)],
                ),
            );
            let delegation = if qname.ends_with("a.test.") {
                ns("a.test.", "ns.b.test.")
            } else {
                ns("b.test.", "ns.a.test.")
            };
            network.on(TEST_TLD, qname, qtype, referral(vec![delegation], vec![]));
        }
    }
    network
}

#[tokio::test]
async fn ns_cycle_between_glueless_zones_ends_in_servfail() {
    let setup = setup(tsuname_network(), config());
    let outcome = resolve(&setup, "www.a.test.", RecordType::A).await;
    // The cycle is seen when ns.b.test. is needed to find ns.b.test.: one walk per name on it
    // (www.a.test., ns.b.test., ns.a.test.), each bounded.
    assert_bounded_servfail(&outcome, 3 * MAX_QUERIES_PER_WALK as usize);
    let other_side = resolve(&setup, "www.b.test.", RecordType::A).await;
    assert_bounded_servfail(&other_side, MAX_QUERIES_PER_WALK as usize);
    // tsuNAME's harm is repetition: clients retrying cost nothing while the failure is cached
    // (RFC 9520). Before the failure cache, each retry cost more than the first query.
    for round in 0..10 {
        let qname = if round % 2 == 0 {
            "www.b.test."
        } else {
            "www.a.test."
        };
        let retry = resolve(&setup, qname, RecordType::A).await;
        assert_bounded_servfail(&retry, 0);
    }
    setup.clock.advance(FAILURE_CACHE_TTL);
    let after_expiry = resolve(&setup, "www.a.test.", RecordType::A).await;
    assert_bounded_servfail(&after_expiry, 3 * MAX_QUERIES_PER_WALK as usize);
}

const VICTIM: &str = "198.51.100.9";

#[tokio::test]
async fn hundreds_of_unresolvable_name_servers_cost_a_bounded_number_of_queries() {
    // NXNSAttack (Afek et al., 2020): a referral to 300 glueless names in a victim's zone, which
    // answers NXDOMAIN for each; a resolver chasing them all amplifies the attack 300 times.
    let mut network = internet();
    let names: Vec<Record> = (0..300)
        .map(|index| ns("example.com.", &format!("ns{index}.victim.")))
        .collect();
    for qname in ["www.example.com.", "ns2.example.com."] {
        network.on(COM, qname, RecordType::A, referral(names.clone(), vec![]));
    }
    network.on_anything(
        ROOT,
        referral(
            vec![ns("victim.", "a.nic.victim.")],
            vec![a("a.nic.victim.", VICTIM)],
        ),
    );
    network.on_anything(
        VICTIM,
        Canned {
            authoritative: true,
            rcode: ResponseCode::NXDomain,
            authorities: vec![soa("victim.", 60)],
            ..Canned::default()
        },
    );
    let setup = setup(network, config());
    let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
    assert_bounded_servfail(&outcome, MAX_QUERIES_PER_WALK as usize);
    assert!(
        setup.network.sent_to(VICTIM) <= MAX_NS_NAME_LOOKUPS_PER_DELEGATION,
        "{} queries to the victim",
        setup.network.sent_to(VICTIM)
    );
    let again = resolve(&setup, "ns2.example.com.", RecordType::A).await;
    assert_bounded_servfail(&again, MAX_QUERIES_PER_WALK as usize);
    assert!(
        setup.network.sent_to(VICTIM) <= 2 * MAX_NS_NAME_LOOKUPS_PER_DELEGATION,
        "{} queries to the victim",
        setup.network.sent_to(VICTIM)
    );
}
