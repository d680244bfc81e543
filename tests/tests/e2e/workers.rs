//! The authority with `--workers 2`: two UDP sockets on the port (SO_REUSEPORT), both answering;
//! a reload reaches every worker; the rate limit is one table for all workers, not one each.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::process::Command;
use std::time::{Duration, Instant};

use e2e::{loopback_for, query_udp, start_workspace_server, Process, TempDir};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{RData, RecordType};

/// Queries from fresh source ports: the kernel hashes each onto one of the two sockets, so 64 of
/// them all landing on one socket has odds of 2^-63.
const QUERIES_ACROSS_WORKERS: usize = 64;

/// Bound on waiting for the reload's log line; reaching it is a failure.
const RELOAD_WAIT: Duration = Duration::from_secs(30);

fn zone_text(address: &str) -> String {
    format!("'': {{type: NS, value: ns.example.org.}}\nwww: {{type: A, value: {address}}}\n")
}

fn start_with_workers(server: SocketAddr, zone: &std::path::Path, extra: &[&str]) -> Process {
    let listen = server.to_string();
    let zone = format!("workers.test.={}", zone.display());
    let mut arguments = vec!["--workers", "2", "--listen", listen.as_str()];
    arguments.extend_from_slice(extra);
    arguments.push(zone.as_str());
    start_workspace_server("authority", "authority", arguments)
        .unwrap_or_else(|error| panic!("{error}"))
}

/// UDP sockets bound to `address` (/proc/net/udp: local address as little-endian hex, port in hex).
fn udp_sockets_on(address: SocketAddr) -> usize {
    let IpAddr::V4(ip) = address.ip() else {
        panic!("IPv4 only");
    };
    let wanted = format!("{:08X}:{:04X}", u32::from(ip).swap_bytes(), address.port());
    let table = std::fs::read_to_string("/proc/net/udp").unwrap_or_else(|error| panic!("{error}"));
    table
        .lines()
        .filter(|line| line.split_whitespace().nth(1) == Some(wanted.as_str()))
        .count()
}

fn addresses_in(reply: &Message) -> BTreeSet<String> {
    reply
        .answers
        .iter()
        .filter_map(|record| match &record.data {
            RData::A(address) => Some(address.to_string()),
            _ => None,
        })
        .collect()
}

/// Asks `www.workers.test. A` from `QUERIES_ACROSS_WORKERS` source ports; every one must be answered.
fn addresses_seen(server: SocketAddr) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for _ in 0..QUERIES_ACROSS_WORKERS {
        let reply = query_udp(server, "www.workers.test.", RecordType::A)
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
        seen.extend(addresses_in(&reply));
    }
    seen
}

#[test]
fn two_workers_both_answer_and_a_reload_reaches_both() {
    let server = loopback_for("two_workers_both_answer_and_a_reload_reaches_both", 0);
    let directory = TempDir::new("workers-reload").unwrap_or_else(|error| panic!("{error}"));
    let zone = directory
        .write("workers.test.yaml", &zone_text("192.0.2.1"))
        .unwrap_or_else(|error| panic!("{error}"));
    let mut process = start_with_workers(server, &zone, &[]);
    assert_eq!(udp_sockets_on(server), 2, "{}", process.output());
    assert_eq!(
        addresses_seen(server),
        BTreeSet::from(["192.0.2.1".to_string()])
    );
    directory
        .write("workers.test.yaml", &zone_text("192.0.2.2"))
        .unwrap_or_else(|error| panic!("{error}"));
    let status = Command::new("kill")
        .args(["-HUP", &process.id().to_string()])
        .status()
        .unwrap_or_else(|error| panic!("cannot run kill: {error}"));
    assert!(status.success());
    process
        .wait_for_line("reload done", RELOAD_WAIT)
        .unwrap_or_else(|error| panic!("{error}"));
    // Every worker answers from the new catalog: not one old answer on either socket.
    assert_eq!(
        addresses_seen(server),
        BTreeSet::from(["192.0.2.2".to_string()])
    );
}

#[test]
fn rate_limit_is_one_budget_for_all_workers() {
    const RATE: u32 = 20;
    const QUERIES: usize = 200;
    let server = loopback_for("rate_limit_is_one_budget_for_all_workers", 0);
    let directory = TempDir::new("workers-rrl").unwrap_or_else(|error| panic!("{error}"));
    let zone = directory
        .write("workers.test.yaml", &zone_text("192.0.2.1"))
        .unwrap_or_else(|error| panic!("{error}"));
    // Slip 1: every limited answer comes back empty with TC=1, so no query goes unanswered and
    // the test never waits for a datagram that will not come.
    let rate = RATE.to_string();
    let _process = start_with_workers(server, &zone, &["--rrl-rate", &rate, "--rrl-slip", "1"]);
    let started = Instant::now();
    let mut full = 0u32;
    for _ in 0..QUERIES {
        let reply = query_udp(server, "www.workers.test.", RecordType::A)
            .unwrap_or_else(|error| panic!("{error}"));
        if !reply.metadata.truncation {
            full += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    // One bucket for the client's /24 and this question: a burst of RATE, then RATE a second.
    // A table per worker would give each worker its own burst: about 2 x RATE.
    let allowed = RATE + (f64::from(RATE) * elapsed).ceil() as u32;
    assert!(
        (RATE..=allowed).contains(&full),
        "{full} full answers of {QUERIES} in {elapsed:.3} s; one shared budget allows {RATE} to {allowed}"
    );
}
