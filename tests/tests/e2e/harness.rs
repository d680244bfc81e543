//! Proves the harness itself: a reference server (NSD, Unbound, Knot) starts on its own loopback
//! address, and our client and the real `dig` see the same answers from it; the scripted server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use e2e::scripted_server::{authoritative_address, name, question_of};
use e2e::{
    dig, loopback_for, query_tcp, query_udp, require_tool, start_knot, start_nsd, start_unbound,
    ScriptedServer, Zone, PEER_PORT,
};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};

const EXAMPLE_ZONE: &str = "\
$TTL 3600
@       IN SOA ns1.example.test. hostmaster.example.test. 1 3600 900 604800 300
@       IN NS  ns1.example.test.
ns1     IN A   192.0.2.53
www     IN A   192.0.2.80
www     IN A   192.0.2.81
";

fn example_zone() -> Zone {
    Zone::new("example.test.", EXAMPLE_ZONE)
}

/// dig's status mnemonic for an rcode (RFC 1035 §4.1.1, RFC 6895 §2.3).
fn status_mnemonic(code: ResponseCode) -> &'static str {
    match code {
        ResponseCode::NoError => "NOERROR",
        ResponseCode::FormErr => "FORMERR",
        ResponseCode::ServFail => "SERVFAIL",
        ResponseCode::NXDomain => "NXDOMAIN",
        ResponseCode::NotImp => "NOTIMP",
        ResponseCode::Refused => "REFUSED",
        _ => "OTHER",
    }
}

fn a_addresses(message: &hickory_proto::op::Message) -> Vec<String> {
    let mut addresses: Vec<String> = message
        .answers
        .iter()
        .filter_map(|record| match &record.data {
            RData::A(address) => Some(address.to_string()),
            _ => None,
        })
        .collect();
    addresses.sort();
    addresses
}

#[test]
fn nsd_answers_our_client_and_dig_alike() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let Some(_) = require_tool("nsd") else { return };
    let address = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 32, 0, 1)), PEER_PORT);
    let nsd = start_nsd(address, &[example_zone()]).unwrap_or_else(|error| panic!("{error}"));

    for (name, expected_status, expected_addresses) in [
        (
            "www.example.test.",
            "NOERROR",
            vec!["192.0.2.80", "192.0.2.81"],
        ),
        ("missing.example.test.", "NXDOMAIN", vec![]),
    ] {
        let over_udp = query_udp(nsd.address, name, RecordType::A)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let over_tcp = query_tcp(nsd.address, name, RecordType::A)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let from_dig =
            dig(&dig_path, nsd.address, name, "A", &[]).unwrap_or_else(|error| panic!("{error}"));

        assert_eq!(
            status_mnemonic(over_udp.metadata.response_code),
            expected_status,
            "{name} over UDP"
        );
        assert_eq!(
            status_mnemonic(over_tcp.metadata.response_code),
            expected_status,
            "{name} over TCP"
        );
        assert_eq!(
            from_dig.status, expected_status,
            "{name} with dig:\n{}",
            from_dig.output
        );
        assert!(
            over_udp.metadata.authoritative,
            "{name}: NSD answers with AA"
        );
        assert!(
            from_dig.flags.iter().any(|flag| flag == "aa"),
            "{name}: dig sees AA"
        );

        let mut dig_addresses: Vec<String> = from_dig
            .answers
            .iter()
            .filter(|record| record.record_type == "A")
            .map(|record| record.data.clone())
            .collect();
        dig_addresses.sort();
        assert_eq!(
            a_addresses(&over_udp),
            expected_addresses,
            "{name} over UDP"
        );
        assert_eq!(
            a_addresses(&over_tcp),
            expected_addresses,
            "{name} over TCP"
        );
        assert_eq!(dig_addresses, expected_addresses, "{name} with dig");
    }
}

#[test]
fn unbound_follows_a_stub_zone_to_nsd() {
    let Some(_) = require_tool("nsd") else { return };
    let Some(_) = require_tool("unbound") else {
        return;
    };
    let nsd_address = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 32, 0, 2)), PEER_PORT);
    let unbound_address = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 32, 0, 3)), PEER_PORT);
    let _nsd = start_nsd(nsd_address, &[example_zone()]).unwrap_or_else(|error| panic!("{error}"));
    let config = e2e::UnboundConfig {
        stub_zones: vec![("example.test.".to_string(), vec![nsd_address])],
        ..e2e::UnboundConfig::default()
    };
    let unbound = start_unbound(unbound_address, &config).unwrap_or_else(|error| panic!("{error}"));

    let reply = query_udp(unbound.address, "www.example.test.", RecordType::A)
        .unwrap_or_else(|error| panic!("{error}\n{}", unbound.output()));
    assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
    assert!(reply.metadata.recursion_available, "a resolver sets RA");
    assert!(
        !reply.metadata.authoritative,
        "a resolver's answer is not authoritative"
    );
    assert_eq!(a_addresses(&reply), vec!["192.0.2.80", "192.0.2.81"]);
}

#[test]
fn knot_serves_the_same_zone() {
    let Some(_) = require_tool("knotd") else {
        return;
    };
    let address = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 32, 0, 4)), PEER_PORT);
    let knot = start_knot(address, &[example_zone()]).unwrap_or_else(|error| panic!("{error}"));
    let reply = query_tcp(knot.address, "www.example.test.", RecordType::A)
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
    assert!(reply.metadata.authoritative);
    assert_eq!(a_addresses(&reply), vec!["192.0.2.80", "192.0.2.81"]);
}

#[test]
fn loopback_addresses_are_stable_and_distinct() {
    let first = e2e::loopback_v4_for("loopback_addresses_are_stable_and_distinct", 0);
    let second = e2e::loopback_v4_for("loopback_addresses_are_stable_and_distinct", 1);
    assert_ne!(first, second);
    assert_eq!(
        first,
        e2e::loopback_v4_for("loopback_addresses_are_stable_and_distinct", 0)
    );
    assert!(first.is_loopback() && second.is_loopback());
}

#[test]
fn process_guard_waits_for_the_ready_line_and_kills_on_drop() {
    let mut command = std::process::Command::new("sh");
    // exec: the PID we hold is the long-running process itself.
    command.args([
        "-c",
        "echo starting >&2; echo 'ready on 127.0.0.1:53' >&2; exec sleep 600",
    ]);
    let process =
        e2e::Process::spawn_ready(command, "ready on").unwrap_or_else(|error| panic!("{error}"));
    let proc_entry = std::path::PathBuf::from(format!("/proc/{}", process.id()));
    assert!(proc_entry.exists(), "process is running");
    assert!(process.output().contains("starting"), "stderr is captured");
    drop(process);
    // Drop kills and reaps, so the PID is gone once drop returns.
    assert!(!proc_entry.exists(), "process survived its guard");
}

#[test]
fn process_that_exits_before_ready_is_reported_with_its_output() {
    let mut command = std::process::Command::new("sh");
    command.args(["-c", "echo 'bad config line 3' >&2; exit 2"]);
    match e2e::Process::spawn_ready(command, "ready") {
        Ok(_) => panic!("a process that exited cannot be ready"),
        Err(error) => {
            let message = error.to_string();
            assert!(message.contains("bad config line 3"), "{message}");
            assert!(message.contains("exited"), "{message}");
        }
    }
}

#[test]
fn workspace_binary_builds_and_finds_the_authority() {
    let path = e2e::workspace_binary("authority", "authority");
    assert!(path.is_file(), "{}", path.display());
    assert!(
        path.ends_with("target/debug/authority") || std::env::var_os("CARGO_TARGET_DIR").is_some()
    );
}

#[test]
fn missing_tool_skips_or_fails_as_the_environment_says() {
    let required = std::env::var("DNS_TESTS_REQUIRE_TOOLS").is_ok_and(|value| value == "1");
    let outcome = std::panic::catch_unwind(|| require_tool("no-such-dns-tool-e2e"));
    match outcome {
        Ok(found) => {
            assert!(
                !required,
                "a missing tool must fail the test when DNS_TESTS_REQUIRE_TOOLS=1"
            );
            assert!(found.is_none());
        }
        Err(_) => assert!(
            required,
            "a missing tool must only skip without DNS_TESTS_REQUIRE_TOOLS=1"
        ),
    }
    assert!(require_tool("sh").is_some(), "tools on PATH are found");
}

#[test]
fn scripted_server_answers_from_its_script_records_every_query_and_drops_on_none() {
    let answered = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let server = ScriptedServer::start(
        loopback_for("scripted_server_answers_from_its_script", 0),
        Box::new(move |query| {
            let (qname, _) = question_of(query);
            (qname == name("www.scripted.test.")).then(|| authoritative_address(query, answered))
        }),
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let reply = query_udp(server.address, "WWW.Scripted.test.", RecordType::A)
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(a_addresses(&reply), ["192.0.2.1"]);
    assert!(reply.metadata.authoritative);
    // The script returns None: no reply at all, the client times out.
    assert!(query_udp(server.address, "dropped.scripted.test.", RecordType::A).is_err());
    assert_eq!(
        server.questions(),
        ["www.scripted.test. A", "dropped.scripted.test. A"]
    );
    assert_eq!(server.times_asked("www.scripted.test. A"), 1);
    // Our client sends EDNS with no options.
    assert!(server.seen().iter().all(|seen| seen.edns));
    assert_eq!(server.edns_options(), [Vec::new(), Vec::new()]);
}
