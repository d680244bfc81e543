//! The resolver's request list and per-query knobs as a client sees them against the lab: jostling
//! at --max-resolutions, --discard-timeout, --max-upstream-queries, no-cache, --serve-original-ttl.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use e2e::client::{build_query, exchange_udp};
use e2e::{dig, loopback_for, require_tool, shared_lab, DigAnswer, Lab, Resolver};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;

/// Bound on every polling loop below, and the pause between polls.
const POLL_BUDGET: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// Longer than the daemon's 4 s client deadline: a client that has heard nothing by then never
/// will.
const CLIENT_WAIT: Duration = Duration::from_secs(7);

fn start(lab: &Lab, test: &str, index: u8, extra: &[&str]) -> Resolver {
    Resolver::iterating(lab, loopback_for(test, index), extra)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

fn ask(dig_path: &std::path::Path, resolver: &Resolver, name: &str) -> DigAnswer {
    dig(dig_path, resolver.address, name, "A", &[])
        .unwrap_or_else(|error| panic!("{error}\nresolver output:\n{}", resolver.output()))
}

/// A server on the lab's port of this test's own address that takes queries and never answers:
/// UDP datagrams are left unread and TCP connections wait in the backlog, so a resolution asking
/// it stays in flight for seconds. Kept alive by the returned sockets.
fn black_hole(test: &str, lab: &Lab) -> (SocketAddr, UdpSocket, TcpListener) {
    let address = SocketAddr::new(loopback_for(test, 9).ip(), lab.port);
    let udp = UdpSocket::bind(address).unwrap_or_else(|error| panic!("bind {address}: {error}"));
    let tcp = TcpListener::bind(address).unwrap_or_else(|error| panic!("bind {address}: {error}"));
    (address, udp, tcp)
}

/// Sends an A query from a thread of its own: the answer, or `None` when none came in time.
fn ask_in_background(resolver: &Resolver, name: &str) -> thread::JoinHandle<Option<Message>> {
    let address = resolver.address;
    let query = build_query(name, RecordType::A).unwrap_or_else(|error| panic!("{error}"));
    thread::spawn(move || exchange_udp(address, &query, CLIENT_WAIT).ok())
}

/// Polls the daemon's `statistic` until it reaches `wanted` (bounded by `POLL_BUDGET`).
fn wait_for_statistic(resolver: &Resolver, statistic: &str, wanted: u64) {
    let deadline = Instant::now() + POLL_BUDGET;
    while resolver.statistic(statistic) < wanted {
        assert!(
            Instant::now() < deadline,
            "{statistic} never reached {wanted}\n{}",
            resolver.output()
        );
        thread::sleep(POLL_INTERVAL);
    }
}

#[test]
fn a_new_query_jostles_out_an_old_resolution_when_every_place_is_taken() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "a_new_query_jostles_out_an_old_resolution";
    let (hole, _udp, _tcp) = black_hole(test, &lab);
    // Two places: one that runs to its end, one that a query may take over at once.
    let resolver = start(
        &lab,
        test,
        0,
        &[
            "--forward-zone",
            &format!("slow.test.={hole}"),
            "--max-resolutions",
            "2",
            "--jostle-timeout",
            "0",
        ],
    );
    let forever = ask_in_background(&resolver, "one.slow.test.");
    wait_for_statistic(&resolver, "resolutions.running", 1);
    let jostled = ask_in_background(&resolver, "two.slow.test.");
    wait_for_statistic(&resolver, "resolutions.running", 2);
    // Both places taken: this query takes the second one's place and is answered.
    let answer = ask(&dig_path, &resolver, "mail.example.test.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(answer.answers[0].data, "192.0.2.25", "{}", answer.output);
    assert_eq!(resolver.statistic("queries.dropped_jostled"), 1);
    // The jostled client hears nothing (as from Unbound); the first gets its SERVFAIL.
    let jostled = jostled.join().unwrap_or_else(|_| panic!("client thread"));
    assert!(
        jostled.is_none(),
        "the jostled query was answered: {jostled:?}"
    );
    let forever = forever.join().unwrap_or_else(|_| panic!("client thread"));
    let forever = forever.unwrap_or_else(|| panic!("no answer\n{}", resolver.output()));
    assert_eq!(forever.metadata.response_code, ResponseCode::ServFail);
}

#[test]
fn a_query_past_a_full_list_without_a_jostle_place_is_dropped() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "a_query_past_a_full_list_is_dropped";
    let (hole, _udp, _tcp) = black_hole(test, &lab);
    let resolver = start(
        &lab,
        test,
        0,
        &[
            "--forward-zone",
            &format!("slow.test.={hole}"),
            "--max-resolutions",
            "1",
        ],
    );
    let stuck = ask_in_background(&resolver, "one.slow.test.");
    wait_for_statistic(&resolver, "resolutions.running", 1);
    let dropped = ask_in_background(&resolver, "mail.example.test.");
    wait_for_statistic(&resolver, "queries.dropped_overloaded", 1);
    let dropped = dropped.join().unwrap_or_else(|_| panic!("client thread"));
    assert!(dropped.is_none(), "answered past the bound: {dropped:?}");
    let _ = stuck.join();
    // With the place free again the same question is answered.
    let answer = ask(&dig_path, &resolver, "mail.example.test.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
}

#[test]
fn an_answer_later_than_the_discard_timeout_is_not_sent() {
    let lab = shared_lab();
    let test = "an_answer_later_than_the_discard_timeout";
    let (hole, _udp, _tcp) = black_hole(test, &lab);
    let forward = format!("slow.test.={hole}");
    let discarding = start(
        &lab,
        test,
        0,
        &["--forward-zone", &forward, "--discard-timeout", "500"],
    );
    let late = ask_in_background(&discarding, "one.slow.test.")
        .join()
        .unwrap_or_else(|_| panic!("client thread"));
    assert!(late.is_none(), "a late answer was sent: {late:?}");
    assert_eq!(discarding.statistic("queries.dropped_late"), 1);
    // Without it the client gets SERVFAIL at the daemon's deadline.
    let answering = start(&lab, test, 1, &["--forward-zone", &forward]);
    let answer = ask_in_background(&answering, "one.slow.test.")
        .join()
        .unwrap_or_else(|_| panic!("client thread"))
        .unwrap_or_else(|| panic!("no answer\n{}", answering.output()));
    assert_eq!(answer.metadata.response_code, ResponseCode::ServFail);
}

#[test]
fn a_query_costing_more_upstream_queries_than_allowed_fails() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "a_query_costing_more_upstream_queries";
    // A cold walk to example.test. asks the root, test. and example.test.: three queries.
    let frugal = start(&lab, test, 0, &["--max-upstream-queries", "2"]);
    let failed = ask(&dig_path, &frugal, "mail.example.test.");
    assert_eq!(failed.status, "SERVFAIL", "{}", failed.output);
    let default = start(&lab, test, 1, &[]);
    let answer = ask(&dig_path, &default, "mail.example.test.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
}

#[test]
fn a_no_cache_forward_zone_is_asked_again_for_every_query() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "a_no_cache_forward_zone_is_asked_again";
    let server = lab.server_of("example.test.");
    let uncached = start(
        &lab,
        test,
        0,
        &[
            "--forward-zone",
            &format!("example.test.={server},no-cache"),
        ],
    );
    let cached = start(
        &lab,
        test,
        1,
        &["--forward-zone", &format!("example.test.={server}")],
    );
    for resolver in [&uncached, &cached] {
        let first = ask(&dig_path, resolver, "mail.example.test.");
        assert_eq!(first.answers[0].data, "192.0.2.25", "{}", first.output);
    }
    let uncached_before = uncached.statistic("upstream.queries");
    let cached_before = cached.statistic("upstream.queries");
    for resolver in [&uncached, &cached] {
        let again = ask(&dig_path, resolver, "mail.example.test.");
        assert_eq!(again.answers[0].data, "192.0.2.25", "{}", again.output);
    }
    assert_eq!(uncached.statistic("upstream.queries"), uncached_before + 1);
    assert_eq!(cached.statistic("upstream.queries"), cached_before);
}

#[test]
fn serve_original_ttl_sends_the_servers_ttl_despite_min_ttl() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "serve_original_ttl_sends_the_servers_ttl";
    // The lab gives mail.example.test. TTL 3600; --min-ttl would raise it to 7200.
    let original = start(
        &lab,
        test,
        0,
        &["--serve-original-ttl", "--min-ttl", "7200"],
    );
    let clamped = start(&lab, test, 1, &["--min-ttl", "7200"]);
    for _ in 0..2 {
        // The second time from the cache.
        let answer = ask(&dig_path, &original, "mail.example.test.");
        assert_eq!(answer.answers[0].ttl, 3600, "{}", answer.output);
    }
    let answer = ask(&dig_path, &clamped, "mail.example.test.");
    assert!(answer.answers[0].ttl > 3600, "{}", answer.output);
}
