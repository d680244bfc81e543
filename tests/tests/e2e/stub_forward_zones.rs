//! Stub and forward zone options of the resolver daemon as a user sees them through dig: a stub
//! server given by host name, `prime`, `first`, `tcp`, forward-zone `tcp`, and `--tcp-upstream`.
//!
//! Upstreams: the shared lab, our authority on the test's own addresses, and `tcp_only_server.rs`
//! (answers TCP, reads UDP without ever replying) to show which transport the resolver uses.

#[path = "stub_forward_zones/tcp_only_server.rs"]
mod tcp_only_server;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use e2e::{dig, loopback_for, require_tool, shared_lab, DigAnswer, Lab, Resolver, TempDir};

use tcp_only_server::{TcpOnlyServer, ANSWER_ADDRESS, SERVER_NAME};

/// Bound on waiting for a server to have seen a query, and the pause between looks.
const POLL_BUDGET: Duration = Duration::from_secs(10);
const POLL_INTERVAL: Duration = Duration::from_millis(50);

fn ask(dig_path: &Path, resolver: &Resolver, name: &str) -> DigAnswer {
    dig(dig_path, resolver.address, name, "A", &[])
        .unwrap_or_else(|error| panic!("{error}\nresolver output:\n{}", resolver.output()))
}

fn start(lab: &Lab, test: &str, index: u8, extra: &[&str]) -> Resolver {
    Resolver::iterating(lab, loopback_for(test, index), extra)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

/// A resolver iterating from the root hints in `hints`, every upstream query to `PEER_PORT`
/// (where the test's servers listen), plus `extra` flags.
fn start_with_hints(address: SocketAddr, hints: &Path, extra: &[String]) -> Resolver {
    let mut arguments: Vec<String> = vec![
        "--root-hints".into(),
        hints.display().to_string(),
        "--allow-loopback-upstream".into(),
        "--upstream-port".into(),
        e2e::PEER_PORT.to_string(),
        "--no-qname-minimisation".into(),
    ];
    arguments.extend(extra.iter().cloned());
    Resolver::start(address, &arguments)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

/// Root hints naming one root server `server_name` at `address`.
fn write_hints(directory: &TempDir, server_name: &str, address: IpAddr) -> std::path::PathBuf {
    directory
        .write(
            "root.hints",
            &format!(".  3600000 NS {server_name}\n{server_name} 3600000 A {address}\n"),
        )
        .unwrap_or_else(|error| panic!("{error}"))
}

/// Our authority on `address` serving the zone files `zones`.
fn start_authority(address: SocketAddr, zones: &[std::path::PathBuf]) -> e2e::Process {
    let mut arguments = vec!["--listen".to_string(), address.to_string()];
    arguments.extend(zones.iter().map(|zone| zone.display().to_string()));
    e2e::start_workspace_server("authority", "authority", &arguments)
        .unwrap_or_else(|error| panic!("authority did not start: {error}"))
}

/// A zone file's head: SOA and one NS `server` (a name).
fn zone_head(server: &str) -> String {
    format!(
        "'':\n  - type: SOA\n    value:\n      mname: {server}\n      rname: hostmaster.{server}\n      serial: 1\n      refresh: 7200\n      retry: 900\n      expire: 1209600\n      minimum: 300\n  - type: NS\n    value: {server}\n"
    )
}

/// An A record of a zone file (relative owner).
fn a_record(owner: &str, address: impl std::fmt::Display) -> String {
    format!("{owner}:\n  type: A\n  value: {address}\n")
}

/// Polls `condition` until it holds or `POLL_BUDGET` has passed; returns whether it held.
fn eventually(condition: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + POLL_BUDGET;
    while !condition() {
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(POLL_INTERVAL);
    }
    true
}

/// The data of the A records of an answer.
fn addresses(answer: &DigAnswer) -> Vec<&str> {
    answer
        .answers
        .iter()
        .filter(|record| record.record_type == "A")
        .map(|record| record.data.as_str())
        .collect()
}

#[test]
fn stub_zone_given_by_host_name_is_asked_at_the_address_the_resolver_finds_for_it() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "stub_zone_given_by_host_name_is_asked_at_the_address";
    let root_address = loopback_for(test, 0);
    let stub_address = loopback_for(test, 1);
    let directory = TempDir::new("stub-host").unwrap_or_else(|error| panic!("{error}"));
    // The root knows the stub server's name (ns.stubhost.) but delegates no corp.internal.
    let root_zone = format!(
        "{}{}{}",
        zone_head("a.root.stubhost."),
        a_record("a.root.stubhost", root_address.ip()),
        a_record("ns.stubhost", stub_address.ip()),
    );
    let root_file = directory
        .write("root.yaml", &root_zone)
        .unwrap_or_else(|error| panic!("{error}"));
    let corp_zone = format!(
        "{}{}",
        zone_head("ns.stubhost."),
        a_record("www", "192.0.2.80"),
    );
    let corp_file = directory
        .write("corp.internal.yaml", &corp_zone)
        .unwrap_or_else(|error| panic!("{error}"));
    let _root = start_authority(root_address, &[root_file]);
    let _stub = start_authority(stub_address, &[corp_file]);
    let hints = write_hints(&directory, "a.root.stubhost.", root_address.ip());

    let resolver = start_with_hints(
        loopback_for(test, 2),
        &hints,
        &["--stub-zone".into(), "corp.internal.=ns.stubhost.".into()],
    );
    let answer = ask(&dig_path, &resolver, "www.corp.internal.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(addresses(&answer), ["192.0.2.80"], "{}", answer.output);
    // The host's own address came through the resolver, from the root, and is cached.
    let host = ask(&dig_path, &resolver, "ns.stubhost.");
    assert_eq!(
        addresses(&host),
        [stub_address.ip().to_string()],
        "{}",
        host.output
    );

    // Without the stub zone the root's word stands: there is no such name.
    let plain = start_with_hints(loopback_for(test, 3), &hints, &[]);
    let missing = ask(&dig_path, &plain, "www.corp.internal.");
    assert_eq!(missing.status, "NXDOMAIN", "{}", missing.output);
}

#[test]
fn stub_prime_uses_the_servers_the_zones_own_ns_set_names() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "stub_prime_uses_the_servers_the_zones_own_ns_set_names";
    let configured = loopback_for(test, 0);
    let named = loopback_for(test, 1);
    let directory = TempDir::new("stub-prime").unwrap_or_else(|error| panic!("{error}"));
    // Both servers publish the same NS set, naming `named`; each has its own www address, so
    // the answer tells which server was asked.
    let zone = |www: &str| {
        format!(
            "{}{}{}",
            zone_head("ns1.corp.internal."),
            a_record("ns1", named.ip()),
            a_record("www", www),
        )
    };
    let configured_directory =
        TempDir::new("stub-prime-configured").unwrap_or_else(|error| panic!("{error}"));
    let configured_file = configured_directory
        .write("corp.internal.yaml", &zone("192.0.2.1"))
        .unwrap_or_else(|error| panic!("{error}"));
    let named_file = directory
        .write("corp.internal.yaml", &zone("192.0.2.2"))
        .unwrap_or_else(|error| panic!("{error}"));
    let _configured = start_authority(configured, &[configured_file]);
    let _named = start_authority(named, &[named_file]);
    // A root where nothing listens: the stub zone is the only way to an answer.
    let hints = write_hints(&directory, "a.root.invalid.", loopback_for(test, 9).ip());

    let primed = start_with_hints(
        loopback_for(test, 2),
        &hints,
        &[
            "--stub-zone".into(),
            format!("corp.internal.={configured},prime"),
        ],
    );
    let answer = ask(&dig_path, &primed, "www.corp.internal.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(addresses(&answer), ["192.0.2.2"], "{}", answer.output);

    // Without `prime` the configured server itself answers.
    let unprimed = start_with_hints(
        loopback_for(test, 3),
        &hints,
        &["--stub-zone".into(), format!("corp.internal.={configured}")],
    );
    let answer = ask(&dig_path, &unprimed, "www.corp.internal.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(addresses(&answer), ["192.0.2.1"], "{}", answer.output);
}

#[test]
fn stub_first_iterates_from_the_root_when_the_stub_servers_are_dead() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "stub_first_iterates_from_the_root_when_the_stub_servers_are_dead";
    // Nothing listens there: queries fail at once (ICMP port unreachable).
    let dead = SocketAddr::new(loopback_for(test, 9).ip(), lab.port);
    let first = start(
        &lab,
        test,
        0,
        &["--stub-zone", &format!("example.test.={dead},first")],
    );
    let answer = ask(&dig_path, &first, "mail.example.test.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(addresses(&answer), ["192.0.2.25"], "{}", answer.output);

    // Without `first` nothing above the stub is asked: its servers' failure is the client's.
    let only = start(
        &lab,
        test,
        1,
        &["--stub-zone", &format!("example.test.={dead}")],
    );
    let failed = ask(&dig_path, &only, "mail.example.test.");
    assert_eq!(failed.status, "SERVFAIL", "{}", failed.output);
}

/// A TCP-only server on the test's address `index`, on the lab's port.
fn tcp_only_on_lab_port(lab: &Lab, test: &str, index: u8) -> TcpOnlyServer {
    let address = SocketAddr::new(loopback_for(test, index).ip(), lab.port);
    TcpOnlyServer::start(address).unwrap_or_else(|error| panic!("{error}"))
}

/// `mail.example.test.` is answered with the TCP-only `server`'s address, which was asked it
/// over TCP and never over UDP.
fn assert_answered_over_tcp_alone(dig_path: &Path, resolver: &Resolver, server: &TcpOnlyServer) {
    let answer = ask(dig_path, resolver, "mail.example.test.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(
        addresses(&answer),
        [ANSWER_ADDRESS.to_string()],
        "{}",
        answer.output
    );
    assert!(
        server
            .tcp_questions()
            .contains(&"mail.example.test. A".to_string()),
        "{:?}",
        server.tcp_questions()
    );
    assert_eq!(server.udp_questions(), Vec::<String>::new());
}

#[test]
fn stub_tcp_asks_a_tcp_only_stub_server_over_tcp_alone() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "stub_tcp_asks_a_tcp_only_stub_server_over_tcp_alone";
    let server = tcp_only_on_lab_port(&lab, test, 1);
    let resolver = start(
        &lab,
        test,
        0,
        &[
            "--stub-zone",
            &format!("example.test.={},tcp", server.address),
        ],
    );
    // The stub server's answer, not the lab's (192.0.2.25).
    assert_answered_over_tcp_alone(&dig_path, &resolver, &server);

    // Without `tcp` the resolver tries UDP first.
    let plain_server = tcp_only_on_lab_port(&lab, test, 3);
    let plain = start(
        &lab,
        test,
        2,
        &[
            "--stub-zone",
            &format!("example.test.={}", plain_server.address),
        ],
    );
    // Its outcome (SERVFAIL, or an answer over TCP after UDP timeouts) is not the point.
    let _ = dig(&dig_path, plain.address, "mail.example.test.", "A", &[]);
    assert!(
        eventually(|| !plain_server.udp_questions().is_empty()),
        "{}",
        plain.output()
    );
}

#[test]
fn forward_zone_tcp_asks_a_tcp_only_forwarder_over_tcp_alone() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "forward_zone_tcp_asks_a_tcp_only_forwarder_over_tcp_alone";
    let forwarder = tcp_only_on_lab_port(&lab, test, 1);
    let resolver = start(
        &lab,
        test,
        0,
        &[
            "--forward-zone",
            &format!("example.test.={},tcp", forwarder.address),
        ],
    );
    assert_answered_over_tcp_alone(&dig_path, &resolver, &forwarder);
    // Names outside the forward zone still come from the lab, over whatever transport.
    let elsewhere = ask(&dig_path, &resolver, "www.shop.test.");
    assert_eq!(elsewhere.status, "NOERROR", "{}", elsewhere.output);

    // Without `tcp` the forwarder is asked over UDP first.
    let plain_forwarder = tcp_only_on_lab_port(&lab, test, 3);
    let plain = start(
        &lab,
        test,
        2,
        &[
            "--forward-zone",
            &format!("example.test.={}", plain_forwarder.address),
        ],
    );
    // Its outcome (SERVFAIL, or an answer over TCP after UDP timeouts) is not the point.
    let _ = dig(&dig_path, plain.address, "mail.example.test.", "A", &[]);
    assert!(
        eventually(|| !plain_forwarder.udp_questions().is_empty()),
        "{}",
        plain.output()
    );
}

#[test]
fn tcp_upstream_resolves_through_a_root_that_answers_tcp_only() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "tcp_upstream_resolves_through_a_root_that_answers_tcp_only";
    let root =
        TcpOnlyServer::start(loopback_for(test, 1)).unwrap_or_else(|error| panic!("{error}"));
    let directory = TempDir::new("tcp-upstream").unwrap_or_else(|error| panic!("{error}"));
    let hints = write_hints(&directory, SERVER_NAME, root.address.ip());
    let resolver = start_with_hints(loopback_for(test, 0), &hints, &["--tcp-upstream".into()]);
    let answer = ask(&dig_path, &resolver, "www.tcp-only.test.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(
        addresses(&answer),
        [ANSWER_ADDRESS.to_string()],
        "{}",
        answer.output
    );
    assert!(!root.tcp_questions().is_empty());
    // Every upstream query, priming included, went over TCP.
    assert_eq!(root.udp_questions(), Vec::<String>::new());

    // The plain daemon asks over UDP first, into the silence.
    let plain_root =
        TcpOnlyServer::start(loopback_for(test, 3)).unwrap_or_else(|error| panic!("{error}"));
    let plain_directory = TempDir::new("tcp-upstream-2").unwrap_or_else(|error| panic!("{error}"));
    let plain_hints = write_hints(&plain_directory, SERVER_NAME, plain_root.address.ip());
    let plain = start_with_hints(loopback_for(test, 2), &plain_hints, &[]);
    let _ = dig(&dig_path, plain.address, "www.tcp-only.test.", "A", &[]);
    assert!(
        eventually(|| !plain_root.udp_questions().is_empty()),
        "{}",
        plain.output()
    );
}

#[test]
fn config_file_stub_and_forward_zones_with_tcp_upstream_ask_over_tcp_alone() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "config_file_stub_and_forward_zones_with_tcp_upstream";
    let server = tcp_only_on_lab_port(&lab, test, 1);
    let forwarder = tcp_only_on_lab_port(&lab, test, 2);
    let directory = TempDir::new("stub-config").unwrap_or_else(|error| panic!("{error}"));
    // The YAML spelling of `--stub-zone example.test.=SERVER,tcp` and
    // `--forward-zone shop.test.=FORWARDER,tcp`.
    let config = directory
        .write(
            "resolver.yaml",
            &format!(
                "stub-zones:\n  - name: example.test.\n    addresses: [\"{}\"]\n    tcp-upstream: true\nforward-zones:\n  - name: shop.test.\n    addresses: [\"{}\"]\n    tcp-upstream: true\n",
                server.address, forwarder.address
            ),
        )
        .unwrap_or_else(|error| panic!("{error}"));
    let resolver = start(&lab, test, 0, &["--config", &config.display().to_string()]);
    let stubbed = ask(&dig_path, &resolver, "mail.example.test.");
    assert_eq!(
        addresses(&stubbed),
        [ANSWER_ADDRESS.to_string()],
        "{}",
        stubbed.output
    );
    let forwarded = ask(&dig_path, &resolver, "www.shop.test.");
    assert_eq!(
        addresses(&forwarded),
        [ANSWER_ADDRESS.to_string()],
        "{}",
        forwarded.output
    );
    assert_eq!(server.udp_questions(), Vec::<String>::new());
    assert_eq!(forwarder.udp_questions(), Vec::<String>::new());
    assert!(!forwarder.tcp_questions().is_empty());
}
