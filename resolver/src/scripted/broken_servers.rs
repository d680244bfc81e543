//! Broken and slow servers against a scripted network in simulated time: each ends in
//! an answer or SERVFAIL within a named query budget and `MAX_RESOLUTION_TIME`, never a hang.

use std::net::Ipv4Addr;
use std::time::Duration;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Record, RecordType};

use crate::clock::Clock;
use crate::limits::{
    FAILURE_CACHE_TTL, MAX_CNAME_CHAIN, MAX_FAILED_NS_NAME_LOOKUPS, MAX_QUERIES_PER_WALK,
    MAX_RESOLUTION_TIME, PROBE_DELAY_FIRST, PROBE_DELAY_MARGIN, UPSTREAM_QUERY_TIMEOUT,
};
use crate::scripted::network::*;
use crate::upstream::transport::Protocol;

/// Sends per exchange at most: UDP, TCP after TC=1, and once more without EDNS (upstream/exchange.rs).
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
    minimised: bool,
}

async fn resolve(setup: &Setup, qname: &str, qtype: RecordType) -> Outcome {
    let sent_before = setup.network.sent().len();
    let started = setup.clock.now();
    let response = setup.resolver.resolve(&client_query(qname, qtype)).await;
    Outcome {
        response,
        queries: setup.network.sent().len() - sent_before,
        elapsed: setup.clock.now() - started,
        minimised: setup.resolver.config.qname_minimisation,
    }
}

/// A SERVFAIL with nothing in the answer, within `query_bound` queries and the time bound.
fn assert_bounded_servfail(outcome: &Outcome, query_bound: usize) {
    assert_eq!(
        outcome.response.metadata.response_code,
        ResponseCode::ServFail,
        "minimised: {}, {:?}",
        outcome.minimised,
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
        "{} upstream queries, bound {query_bound} (minimised: {})",
        outcome.queries,
        outcome.minimised
    );
    assert!(
        outcome.elapsed <= time_bound(),
        "{:?} of simulated time, bound {:?}",
        outcome.elapsed,
        time_bound()
    );
}

/// The internet of `scripted/network.rs`, with example.com. delegated by com. to `servers`
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
    refer(
        &mut network,
        COM,
        &EXAMPLE_COM_NAMES,
        referral(ns_records, glue),
    );
    network
}

/// The names of example.com. that tests (and minimised queries) ask its parent about.
const EXAMPLE_COM_NAMES: [&str; 5] = [
    "example.com.",
    "www.example.com.",
    "ns.example.com.",
    "ns2.example.com.",
    "nx.example.com.",
];

/// `server` answers `canned` for each of `qnames`, asked as A, AAAA or NS.
fn refer(network: &mut ScriptedNetwork, server: &str, qnames: &[&str], canned: Canned) {
    for qname in qnames {
        for qtype in [RecordType::A, RecordType::AAAA, RecordType::NS] {
            network.on(server, qname, qtype, canned.clone());
        }
    }
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
    for config in modes() {
        let mut network = two_broken_servers();
        // One refers upward to com. (not authoritative for example.com.), the other answers
        // without AA and without data: neither serves the zone.
        network.on_anything(BROKEN_1, referral(vec![ns("com.", "a.gtld.com.")], vec![]));
        network.on_anything(
            BROKEN_2,
            referral(vec![ns("example.com.", "broken2.example.com.")], vec![]),
        );
        let setup = setup(network, config);
        let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
        assert_bounded_servfail(&outcome, MAX_QUERIES_PER_WALK as usize);
        // A second client query for the zone costs a new bounded walk, not an endless retry.
        let again = resolve(&setup, "ns2.example.com.", RecordType::A).await;
        assert_bounded_servfail(&again, MAX_QUERIES_PER_WALK as usize);
    }
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
    let sends_before_the_deadline =
        (MAX_RESOLUTION_TIME.as_millis() / UPSTREAM_QUERY_TIMEOUT.as_millis()) as usize + 1;
    for config in modes() {
        let setup = setup(example_com_served_by(&servers), config);
        let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
        // Priming, root and com. answer at once; then one send per dead server until the
        // deadline.
        assert_bounded_servfail(&outcome, 3 + sends_before_the_deadline);
    }
}

#[tokio::test]
async fn root_that_never_answers_ends_in_servfail_within_the_time_budget() {
    for config in modes() {
        let minimise = config.qname_minimisation;
        let setup = setup(ScriptedNetwork::default(), config);
        let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
        // The priming query over UDP and the walk's first query over TCP (the fallback after a
        // UDP timeout); when minimising, the minimised NS question rests the server for NS only,
        // so the full A question costs its own UDP and TCP tries (RFC 9156 §2.3 relaxed mode;
        // timeouts count per type, as Unbound's).
        assert_bounded_servfail(&outcome, 2 + 2 * usize::from(minimise));
    }
}

async fn servers_answering(rcode: ResponseCode) {
    for config in modes() {
        let mut network = two_broken_servers();
        network.on_anything(BROKEN_1, error_reply(rcode));
        network.on_anything(BROKEN_2, error_reply(rcode));
        let setup = setup(network, config);
        let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
        assert_bounded_servfail(&outcome, MAX_QUERIES_PER_WALK as usize);
        // No EDNS fallback for REFUSED/SERVFAIL, so no second send to the same server
        // (the walk may ask each again once from the parent's fresh referral).
        let to_broken = setup.network.sent_to(BROKEN_1);
        assert!(to_broken <= 2, "{to_broken} queries to one server");
    }
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
    for config in modes() {
        let mut network = two_broken_servers();
        let forged = Canned {
            wrong_question: Some(name("www.example.org.")),
            ..answer(vec![a("www.example.com.", "203.0.113.66")])
        };
        network.on_anything(BROKEN_1, forged.clone());
        network.on_anything(BROKEN_2, forged);
        let setup = setup(network, config);
        let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
        assert_bounded_servfail(&outcome, MAX_QUERIES_PER_WALK as usize);
    }
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
    for config in modes() {
        let mut network = internet();
        truncate_every_udp_reply(&mut network, false);
        let setup = setup(network, config);
        let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
        assert_eq!(
            addresses(&outcome.response),
            vec![std::net::Ipv4Addr::new(192, 0, 2, 80)]
        );
        // Priming, root, com., example.com. (minimised questions are the zone cuts, so no
        // more): each one UDP and one TCP query.
        assert_bounded(&outcome, 4 * 2);
        let sent = setup.network.sent();
        let udp = sent.iter().filter(|sent| sent.3 == Protocol::Udp).count();
        assert_eq!(udp * 2, sent.len(), "one TCP retry per UDP query: {sent:?}");
    }
}

#[tokio::test]
async fn truncation_on_every_udp_reply_with_dead_tcp_ends_in_servfail() {
    for config in modes() {
        let mut network = two_broken_servers();
        truncate_every_udp_reply(&mut network, true);
        let setup = setup(network, config);
        let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
        // At most every exchange of the walk, each UDP then TCP.
        assert_bounded_servfail(&outcome, MAX_QUERIES_PER_WALK as usize * SENDS_PER_EXCHANGE);
    }
}

const ORG: &str = "198.51.100.6";
const EXAMPLE_ORG: &str = "198.51.100.7";

#[tokio::test]
async fn cname_loop_across_three_zones_ends_in_servfail() {
    for config in modes() {
        let mut network = internet();
        let org_names = ["org.", "example.org.", "www.example.org."];
        refer(
            &mut network,
            ROOT,
            &org_names,
            referral(vec![ns("org.", "a.gtld.org.")], vec![a("a.gtld.org.", ORG)]),
        );
        refer(
            &mut network,
            ORG,
            &org_names,
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
        let setup = setup(network, config);
        let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
        assert_eq!(
            outcome.response.metadata.response_code,
            ResponseCode::ServFail
        );
        // Each of the three names is walked once (root, TLD, zone; minimising adds a query
        // per level): the loop is seen, not followed until MAX_CNAME_CHAIN.
        assert_bounded(&outcome, 1 + 3 * 3 * 2);
        assert!(outcome.response.answers.len() <= MAX_CNAME_CHAIN);
        // The next client query is answered from the cached chain without an upstream query.
        let again = resolve(&setup, "www.example.net.", RecordType::A).await;
        assert_eq!(
            again.response.metadata.response_code,
            ResponseCode::ServFail
        );
        assert_eq!(again.queries, 0);
    }
}

const TEST_TLD: &str = "198.51.100.8";

/// tsuNAME (Moura et al., 2021): a.test. is served by ns.b.test. and b.test. by ns.a.test.,
/// both without glue, so finding either server needs the other first.
fn tsuname_network() -> ScriptedNetwork {
    let mut network = internet();
    let a_names = ["a.test.", "www.a.test.", "ns.a.test."];
    let b_names = ["b.test.", "www.b.test.", "ns.b.test."];
    let tld = referral(
        vec![ns("test.", "ns.nic.test.")],
        vec![a("ns.nic.test.", TEST_TLD)],
    );
    refer(&mut network, ROOT, &["test."], tld.clone());
    refer(&mut network, ROOT, &a_names, tld.clone());
    refer(&mut network, ROOT, &b_names, tld);
    let to_b = referral(vec![ns("a.test.", "ns.b.test.")], vec![]);
    let to_a = referral(vec![ns("b.test.", "ns.a.test.")], vec![]);
    refer(&mut network, TEST_TLD, &a_names, to_b);
    refer(&mut network, TEST_TLD, &b_names, to_a);
    network
}

#[tokio::test]
async fn ns_cycle_between_glueless_zones_ends_in_servfail() {
    for config in modes() {
        let setup = setup(tsuname_network(), config);
        let outcome = resolve(&setup, "www.a.test.", RecordType::A).await;
        // The cycle is seen when ns.b.test. is needed to find ns.b.test.: one walk per name
        // on it (www.a.test., ns.b.test., ns.a.test.), each bounded.
        assert_bounded_servfail(&outcome, 3 * MAX_QUERIES_PER_WALK as usize);
        let other_side = resolve(&setup, "www.b.test.", RecordType::A).await;
        assert_bounded_servfail(&other_side, MAX_QUERIES_PER_WALK as usize);
        // tsuNAME's harm is repetition: clients retrying cost nothing while the failure is
        // cached (RFC 9520). Before the failure cache each retry cost more than the first query.
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
}

const VICTIM: &str = "198.51.100.9";

#[tokio::test]
async fn hundreds_of_unresolvable_name_servers_cost_a_bounded_number_of_queries() {
    // NXNSAttack (Afek et al., 2020): a referral to 300 glueless names in a victim's zone, which
    // answers NXDOMAIN for each; a resolver chasing them all amplifies the attack 300 times.
    for config in modes() {
        let mut network = internet();
        let names: Vec<Record> = (0..300)
            .map(|index| ns("example.com.", &format!("ns{index}.victim.")))
            .collect();
        refer(
            &mut network,
            COM,
            &EXAMPLE_COM_NAMES,
            referral(names, vec![]),
        );
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
        let setup = setup(network, config);
        let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
        assert_bounded_servfail(&outcome, MAX_QUERIES_PER_WALK as usize);
        // Each name that does not resolve costs the victim one query (its NXDOMAIN is
        // cached for every type); one past the bound and the walk ends.
        let to_victim = setup.network.sent_to(VICTIM);
        assert!(
            to_victim <= MAX_FAILED_NS_NAME_LOOKUPS + 1,
            "{to_victim} queries to the victim"
        );
        let again = resolve(&setup, "ns2.example.com.", RecordType::A).await;
        assert_bounded_servfail(&again, MAX_QUERIES_PER_WALK as usize);
        let to_victim = setup.network.sent_to(VICTIM);
        assert!(
            to_victim <= 2 * (MAX_FAILED_NS_NAME_LOOKUPS + 1),
            "{to_victim} queries to the victim"
        );
    }
}

#[tokio::test]
async fn forwarders_that_refuse_or_never_answer_end_in_servfail() {
    let mut network = ScriptedNetwork::default();
    let refusing = "192.0.2.201";
    network.on_anything(refusing, error_reply(ResponseCode::Refused));
    let config = crate::config::ResolverConfig {
        forward_zones: vec![crate::config::ForwardZone {
            suffix: name("."),
            upstreams: vec![
                format!("{refusing}:53").parse().unwrap(),
                "192.0.2.202:53".parse().unwrap(),
            ],
            ..Default::default()
        }],
        ..config()
    };
    let setup = setup(network, config);
    let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
    // One query to each forwarder (the silent one once more over TCP), then SERVFAIL; the
    // root is never asked.
    assert_bounded_servfail(&outcome, 3);
    assert_eq!(setup.network.sent_to(ROOT), 0);
    let retry = resolve(&setup, "www.example.com.", RecordType::A).await;
    assert_bounded_servfail(&retry, 0);
}

/// Names of example.com. asked in the dead-zone tests, each a new name for the zone.
const NEW_NAMES: [&str; 3] = ["www.example.com.", "ns2.example.com.", "nx.example.com."];

#[tokio::test]
async fn second_name_in_a_dead_zone_fails_at_once_and_the_servers_are_probed_later() {
    for config in modes() {
        let network = two_broken_servers();
        let setup = setup(network, config);
        // The first name pays for finding out: each server over UDP, then over TCP.
        let first = resolve(&setup, NEW_NAMES[0], RecordType::A).await;
        assert_bounded_servfail(&first, 3 + 4 + 2);
        assert!(
            first.elapsed <= UPSTREAM_QUERY_TIMEOUT * 4,
            "{:?}",
            first.elapsed
        );
        // Another name in the zone: both servers rest, so no query goes to them and no
        // time passes.
        let to_dead_before = setup.network.sent_to(BROKEN_1) + setup.network.sent_to(BROKEN_2);
        let second = resolve(&setup, NEW_NAMES[1], RecordType::A).await;
        assert_bounded_servfail(&second, 2);
        assert_eq!(second.elapsed, Duration::ZERO);
        let to_dead = setup.network.sent_to(BROKEN_1) + setup.network.sent_to(BROKEN_2);
        assert_eq!(to_dead, to_dead_before, "a resting server was asked");
        // After the probe delay one query probes one server; it still times out.
        setup.clock.advance(PROBE_DELAY_FIRST);
        let probing = resolve(&setup, NEW_NAMES[2], RecordType::A).await;
        assert_eq!(
            probing.response.metadata.response_code,
            ResponseCode::ServFail
        );
        let probes = setup.network.sent_to(BROKEN_1) + setup.network.sent_to(BROKEN_2) - to_dead;
        assert!((1..=2).contains(&probes), "{probes} probes");
    }
}

#[tokio::test]
async fn server_back_from_an_outage_answers_at_its_next_probe() {
    let config = config();
    let mut network = example_com_served_by(&[("ns.example.com.", EXAMPLE_COM)]);
    network.on(
        EXAMPLE_COM,
        "ns2.example.com.",
        RecordType::A,
        answer(vec![a("ns2.example.com.", "192.0.2.53")]),
    );
    let mut outage = network.without_server(EXAMPLE_COM);
    outage.clock = network.clock.clone();
    // One resolver (one infra cache) over a network that switches from the outage to the
    // recovered state.
    let switch = std::sync::Arc::new(SwitchedNetwork {
        outage,
        recovered: network,
        recovered_now: std::sync::atomic::AtomicBool::new(false),
    });
    let clock = switch.recovered.clock.clone();
    let resolver = crate::Resolver::new(config, switch.clone(), clock.clone());
    let first = resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    assert_eq!(first.metadata.response_code, ResponseCode::ServFail);
    switch
        .recovered_now
        .store(true, std::sync::atomic::Ordering::SeqCst);
    // Still resting: the server is not asked before its probe time.
    let resting = resolver
        .resolve(&client_query("nx.example.com.", RecordType::A))
        .await;
    assert_eq!(resting.metadata.response_code, ResponseCode::ServFail);
    assert_eq!(switch.recovered.sent_to(EXAMPLE_COM), 0);
    clock.advance(PROBE_DELAY_FIRST);
    let recovered = resolver
        .resolve(&client_query("ns2.example.com.", RecordType::A))
        .await;
    assert_eq!(
        addresses(&recovered),
        vec![std::net::Ipv4Addr::new(192, 0, 2, 53)]
    );
}

/// AAAA questions `server` got over the network so far.
fn aaaa_sent_to(setup: &Setup, server: &str) -> usize {
    setup
        .network
        .sent()
        .iter()
        .filter(|(address, _, qtype, _)| *address == ip(server) && *qtype == RecordType::AAAA)
        .count()
}

/// The internet of `scripted/network.rs` with an example.com. server that answers A questions
/// (www, ns2, mail) and drops every AAAA question.
fn aaaa_dropping_network() -> ScriptedNetwork {
    let mut network = internet();
    for (qname, address) in [
        ("ns2.example.com.", "192.0.2.53"),
        ("mail.example.com.", "192.0.2.25"),
    ] {
        network.on(
            EXAMPLE_COM,
            qname,
            RecordType::A,
            answer(vec![a(qname, address)]),
        );
    }
    network
}

/// Asks for `qname`'s AAAA and checks the SERVFAIL and the AAAA questions it cost the
/// example.com. server (a minimised walk also asks it the name's A first).
async fn aaaa_servfail(setup: &Setup, qname: &str, aaaa_questions: usize) -> Outcome {
    let before = aaaa_sent_to(setup, EXAMPLE_COM);
    let outcome = resolve(setup, qname, RecordType::AAAA).await;
    assert_bounded_servfail(&outcome, 3 + 2 + aaaa_questions);
    assert_eq!(
        aaaa_sent_to(setup, EXAMPLE_COM) - before,
        aaaa_questions,
        "{qname} AAAA (minimised: {})",
        outcome.minimised
    );
    outcome
}

async fn assert_answers_a(setup: &Setup, qname: &str, address: [u8; 4]) {
    let outcome = resolve(setup, qname, RecordType::A).await;
    assert_eq!(addresses(&outcome.response), vec![Ipv4Addr::from(address)]);
}

/// Unbound's iter_timeout_ra_aaaa: a server that answers A but drops every AAAA question rests
/// for AAAA only; its first AAAA probe comes after `PROBE_DELAY_FIRST`, and once that probe has
/// failed the next waits for the backed-off timeout (12 s) plus the margin, as Unbound's
/// `probedelay`: a client asking 12 s later gets SERVFAIL at once, not another timeout. Without
/// QNAME minimisation, as the scenario (a minimised walk asks the name's A first, whose answer
/// gives AAAA one more try after the first streak, next test).
#[tokio::test]
async fn server_dropping_aaaa_is_probed_for_aaaa_ever_more_rarely_and_still_answers_a() {
    {
        let setup = setup(aaaa_dropping_network(), config());
        assert_answers_a(&setup, "www.example.com.", [192, 0, 2, 80]).await;
        // UDP, then TCP: the server rests for AAAA.
        aaaa_servfail(&setup, "www.example.com.", 2).await;
        // Its probe is due: one query, which times out.
        setup
            .clock
            .advance(PROBE_DELAY_FIRST + Duration::from_secs(1));
        aaaa_servfail(&setup, "www.example.com.", 1).await;
        // 12 s later it still rests for AAAA (the old doubling, 10 s, would have probed it),
        // and answers A.
        setup.clock.advance(Duration::from_secs(12));
        let resting = aaaa_servfail(&setup, "www.example.com.", 0).await;
        assert_eq!(resting.elapsed, Duration::ZERO);
        assert_answers_a(&setup, "mail.example.com.", [192, 0, 2, 25]).await;
        // 14 s after the failed probe (12 s backed off, plus the margin) the next probe goes
        // (another name: the SERVFAIL just given is cached for `FAILURE_CACHE_TTL`).
        setup.clock.advance(PROBE_DELAY_MARGIN);
        aaaa_servfail(&setup, "ns2.example.com.", 1).await;
        assert_answers_a(&setup, "ns2.example.com.", [192, 0, 2, 53]).await;
    }
}

/// A server silent for AAAA and then answering A may have been down and be back: AAAA is asked
/// again at once. Once AAAA has failed while A was answered, the A answers the server keeps
/// giving do not cut its AAAA rest short: until the probe time, AAAA gets SERVFAIL at once.
#[tokio::test]
async fn answers_to_a_do_not_end_the_rest_of_a_server_dropping_aaaa() {
    for config in modes() {
        let setup = setup(aaaa_dropping_network(), config);
        aaaa_servfail(&setup, "www.example.com.", 2).await;
        assert_answers_a(&setup, "www.example.com.", [192, 0, 2, 80]).await;
        aaaa_servfail(&setup, "ns2.example.com.", 1).await;
        assert_answers_a(&setup, "ns2.example.com.", [192, 0, 2, 53]).await;
        let resting = aaaa_servfail(&setup, "mail.example.com.", 0).await;
        assert_eq!(resting.elapsed, Duration::ZERO);
        // (www: its SERVFAIL, the oldest, has left the failure cache.)
        setup.clock.advance(PROBE_DELAY_FIRST);
        aaaa_servfail(&setup, "www.example.com.", 1).await;
    }
}

/// The outage network until `recovered_now`, then the recovered one.
struct SwitchedNetwork {
    outage: ScriptedNetwork,
    recovered: ScriptedNetwork,
    recovered_now: std::sync::atomic::AtomicBool,
}

impl crate::upstream::transport::Transport for SwitchedNetwork {
    fn exchange<'a>(
        &'a self,
        server: std::net::SocketAddr,
        protocol: Protocol,
        query: &'a [u8],
        timeout: Duration,
    ) -> crate::upstream::transport::ExchangeFuture<'a> {
        if self.recovered_now.load(std::sync::atomic::Ordering::SeqCst) {
            self.recovered.exchange(server, protocol, query, timeout)
        } else {
            self.outage.exchange(server, protocol, query, timeout)
        }
    }
}

#[tokio::test]
async fn server_that_drops_udp_but_answers_tcp_is_reached_over_tcp() {
    for config in modes() {
        let mut network = example_com_served_by(&[("ns.example.com.", EXAMPLE_COM)]);
        network.on(
            EXAMPLE_COM,
            "www.example.com.",
            RecordType::A,
            Canned {
                silent_over_udp: true,
                ..answer(vec![a("www.example.com.", "192.0.2.80")])
            },
        );
        network.on(
            EXAMPLE_COM,
            "ns2.example.com.",
            RecordType::A,
            Canned {
                silent_over_udp: true,
                ..answer(vec![a("ns2.example.com.", "192.0.2.53")])
            },
        );
        network.on_anything(
            EXAMPLE_COM,
            Canned {
                silent_over_udp: true,
                ..referral(vec![], vec![])
            },
        );
        let setup = setup(network, config);
        let first = resolve(&setup, "www.example.com.", RecordType::A).await;
        assert_eq!(
            addresses(&first.response),
            vec![std::net::Ipv4Addr::new(192, 0, 2, 80)]
        );
        // One UDP timeout, then TCP answers.
        assert!(
            first.elapsed <= UPSTREAM_QUERY_TIMEOUT * 2,
            "{:?}",
            first.elapsed
        );
        // The next name goes over TCP at once: no more UDP timeouts.
        let second = resolve(&setup, "ns2.example.com.", RecordType::A).await;
        assert_eq!(
            addresses(&second.response),
            vec![std::net::Ipv4Addr::new(192, 0, 2, 53)]
        );
        assert_eq!(second.elapsed, Duration::ZERO);
    }
}

#[tokio::test]
async fn partial_answer_with_tc_whose_tcp_fails_is_neither_served_nor_cached() {
    for config in modes() {
        let mut network = internet();
        // The only server of example.com. truncates with the records that fitted, and its TCP
        // never answers: the partial answer is not an answer (RFC 2181 §9, RFC 7766 §5).
        network.on(
            EXAMPLE_COM,
            "www.example.com.",
            RecordType::A,
            Canned {
                authoritative: true,
                answers: vec![a("www.example.com.", "192.0.2.80")],
                truncated_over_udp: true,
                partial_when_truncated: true,
                silent_over_tcp: true,
                ..Canned::default()
            },
        );
        let setup = setup(network, config);
        let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
        assert_eq!(
            outcome.response.metadata.response_code,
            ResponseCode::ServFail,
            "{:?}",
            outcome.response
        );
        assert!(outcome.response.answers.is_empty());
        let query = client_query("www.example.com.", RecordType::A);
        assert!(
            setup.resolver.resolve_from_cache(&query).is_none(),
            "the truncated records were cached"
        );
    }
}

/// The scripted network, but a TCP query to a held server waits for `release` before it goes on
/// (and times out): the first walk's retry over TCP is still on its way while a second client asks.
struct HeldTcpRetry {
    network: std::sync::Arc<ScriptedNetwork>,
    held: [std::net::IpAddr; 2],
    holding: std::sync::atomic::AtomicBool,
    release: tokio::sync::Notify,
}

impl crate::upstream::transport::Transport for HeldTcpRetry {
    fn exchange<'a>(
        &'a self,
        server: std::net::SocketAddr,
        protocol: Protocol,
        query: &'a [u8],
        timeout: Duration,
    ) -> crate::upstream::transport::ExchangeFuture<'a> {
        Box::pin(async move {
            // Only the first TCP query is held: any later one goes on (the test then fails on
            // its count instead of hanging).
            if protocol == Protocol::Tcp
                && self.held.contains(&server.ip())
                && !self.holding.swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                self.release.notified().await;
            }
            self.network
                .exchange(server, protocol, query, timeout)
                .await
        })
    }
}

#[tokio::test]
async fn second_name_in_a_dead_zone_fails_at_once_while_the_first_walk_still_waits() {
    use std::sync::atomic::Ordering;
    use std::sync::Arc;
    for config in modes() {
        let network = Arc::new(two_broken_servers());
        let clock = network.clock.clone();
        let transport = Arc::new(HeldTcpRetry {
            network: network.clone(),
            held: [ip(BROKEN_1), ip(BROKEN_2)],
            holding: std::sync::atomic::AtomicBool::new(false),
            release: tokio::sync::Notify::new(),
        });
        let resolver = Arc::new(crate::Resolver::new(
            config,
            transport.clone(),
            clock.clone() as Arc<dyn Clock>,
        ));
        let first = tokio::spawn({
            let resolver = resolver.clone();
            async move {
                resolver
                    .resolve(&client_query(NEW_NAMES[0], RecordType::A))
                    .await
            }
        });
        // Bounded: the first walk reaches its TCP retry after two UDP timeouts, without sockets.
        for _ in 0..10_000 {
            if transport.holding.load(Ordering::SeqCst) {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(
            transport.holding.load(Ordering::SeqCst),
            "the first walk never retried over TCP"
        );
        // Both servers timed out over UDP, one is being asked over TCP: another name in the zone
        // fails at once, with no query to them and no time passing.
        let to_dead_before = network.sent_to(BROKEN_1) + network.sent_to(BROKEN_2);
        let started = clock.now();
        let second = resolver
            .resolve(&client_query(NEW_NAMES[1], RecordType::A))
            .await;
        assert_eq!(
            second.metadata.response_code,
            ResponseCode::ServFail,
            "{second:?}"
        );
        assert_eq!(clock.now() - started, Duration::ZERO);
        let to_dead = network.sent_to(BROKEN_1) + network.sent_to(BROKEN_2);
        assert_eq!(to_dead, to_dead_before, "a failing server was asked again");
        transport.release.notify_one();
        let first = first.await.expect("the first walk ended");
        assert_eq!(first.metadata.response_code, ResponseCode::ServFail);
    }
}

#[tokio::test]
async fn an_entirely_empty_reply_sends_the_walk_to_another_server_first() {
    // iter_ignore_empty: example.com has two servers; the first answers NOERROR with no record
    // at all (not even the SOA a NODATA carries), the second has the data.
    let second = "198.51.100.44";
    let mut network = internet();
    network.on(
        COM,
        "www.example.com.",
        RecordType::A,
        referral(
            vec![
                ns("example.com.", "ns.example.com."),
                ns("example.com.", "ns2.example.com."),
            ],
            vec![
                a("ns.example.com.", EXAMPLE_COM),
                a("ns2.example.com.", second),
            ],
        ),
    );
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        Canned {
            authoritative: true,
            ..Canned::default()
        },
    );
    network.on(
        second,
        "www.example.com.",
        RecordType::A,
        answer(vec![a("www.example.com.", "192.0.2.80")]),
    );
    let setup = setup(network, config());
    let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
    assert_eq!(
        addresses(&outcome.response),
        vec![std::net::Ipv4Addr::new(192, 0, 2, 80)]
    );
}

#[tokio::test]
async fn an_empty_reply_no_other_server_contradicts_is_a_nodata() {
    // The zone's only server answers empty: asked once, believed (Unbound asks it again and
    // then believes it; the client sees the same NODATA).
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        Canned {
            authoritative: true,
            ..Canned::default()
        },
    );
    let setup = setup(network, config());
    let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
    assert_eq!(
        outcome.response.metadata.response_code,
        ResponseCode::NoError
    );
    assert!(outcome.response.answers.is_empty());
    assert_eq!(setup.network.sent_to(EXAMPLE_COM), 1);
}

#[tokio::test]
async fn name_server_names_that_do_not_resolve_end_the_walk_past_the_bound() {
    // iter_nxns_cached: twelve glueless names under a zone that answers NXDOMAIN without SOA
    // (nothing cacheable): six lookups over the network fail, then the walk ends in SERVFAIL,
    // not asking the parent the question again.
    let victim = "198.51.100.66";
    let mut network = internet();
    let names: Vec<Record> = (1..=12)
        .map(|index| ns("example.com.", &format!("ns{index}.victim.")))
        .collect();
    network.on(
        COM,
        "www.example.com.",
        RecordType::A,
        referral(names, vec![]),
    );
    network.on_anything(
        ROOT,
        referral(
            vec![ns("victim.", "a.nic.victim.")],
            vec![a("a.nic.victim.", victim)],
        ),
    );
    network.on_anything(victim, error_reply(ResponseCode::NXDomain));
    let setup = setup(network, config());
    let outcome = resolve(&setup, "www.example.com.", RecordType::A).await;
    assert_bounded_servfail(&outcome, MAX_QUERIES_PER_WALK as usize);
    assert_eq!(
        setup.network.sent_to(victim),
        MAX_FAILED_NS_NAME_LOOKUPS + 1,
        "one A lookup per name (IPv6 off) up to one past the bound"
    );
    let to_com = setup
        .network
        .sent()
        .iter()
        .filter(|sent| sent.0 == ip(COM) && sent.1 == name("www.example.com."))
        .count();
    assert_eq!(to_com, 1, "the parent is not asked again");
}
