//! Our authority as a secondary of NSD and of Knot: first transfer, same answers as the primary,
//! NOTIFY → the new serial (IXFR where the primary offers it), restart from the persisted copy with
//! the primary gone, expiry → SERVFAIL, TSIG right and wrong key, NOTIFY from a stranger refused, and
//! a zone given both as a file and as a secondary refused at start.

use std::net::{IpAddr, SocketAddr};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use e2e::{
    loopback_for, query_udp, require_tool, start_workspace_server, Peer, PrimaryZone, Process,
    TempDir, Zone,
};
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

/// Bound on our secondary serving a serial after the primary has it (NOTIFY, SOA query, transfer);
/// it takes well under a second, so reaching the bound is a failure.
const FOLLOW_BOUND: Duration = Duration::from_secs(30);

/// Pause between two polls (every loop is bounded by FOLLOW_BOUND).
const POLL_PAUSE: Duration = Duration::from_millis(100);

const ORIGIN: &str = "sec.test.";

/// SOA REFRESH RETRY EXPIRE of the zones that must not expire during a test.
const LONG_TIMERS: &str = "3600 900 604800";

/// The primary's zone at `serial` with SOA `timers` (REFRESH RETRY EXPIRE): one address follows
/// the serial, one record comes at 2.
fn zone_text(serial: u32, timers: &str) -> String {
    let mut text = format!(
        "$TTL 3600\n@ IN SOA ns1 hostmaster {serial} {timers} 300\n@ NS ns1\n@ NS ns2\n\
         @ MX 10 mail\n@ TXT \"v=spf1 -all\"\nns1 A 192.0.2.1\nns2 AAAA 2001:db8::2\nmail A 192.0.2.25\n\
         www A 192.0.2.{www}\nalias CNAME www\n*.wild TXT \"wildcard\"\nsub NS ns.sub\nns.sub A 192.0.2.53\n\
         _sip._tcp SRV 10 5 5060 www\n",
        www = 80 + serial,
    );
    if serial >= 2 {
        text.push_str("new A 192.0.2.99\n");
    }
    text
}

/// The questions both servers must answer alike.
const QUESTIONS: &[(&str, RecordType)] = &[
    ("sec.test.", RecordType::SOA),
    ("sec.test.", RecordType::NS),
    ("sec.test.", RecordType::MX),
    ("sec.test.", RecordType::TXT),
    ("www.sec.test.", RecordType::A),
    ("alias.sec.test.", RecordType::A),
    ("a.wild.sec.test.", RecordType::TXT),
    ("ns2.sec.test.", RecordType::AAAA),
    ("_sip._tcp.sec.test.", RecordType::SRV),
    ("new.sec.test.", RecordType::A),
    ("missing.sec.test.", RecordType::A),
];

/// Rcode and answer records, sorted, of each question: what must match between the two servers.
fn answers_of(server: SocketAddr) -> Vec<(String, Vec<String>)> {
    QUESTIONS
        .iter()
        .map(|(name, record_type)| {
            let reply: Message = query_udp(server, name, *record_type)
                .unwrap_or_else(|error| panic!("{server} {name} {record_type}: {error}"));
            let mut answers: Vec<String> = reply.answers.iter().map(ToString::to_string).collect();
            answers.sort();
            (reply.metadata.response_code.to_string(), answers)
        })
        .collect()
}

fn serial_of(server: SocketAddr) -> Option<u32> {
    let reply = query_udp(server, ORIGIN, RecordType::SOA).ok()?;
    reply.answers.iter().find_map(|record| match &record.data {
        RData::SOA(soa) => Some(soa.serial),
        _ => None,
    })
}

fn rcode_of(server: SocketAddr) -> Option<ResponseCode> {
    query_udp(server, ORIGIN, RecordType::SOA)
        .ok()
        .map(|reply| reply.metadata.response_code)
}

/// Polls `server` until it serves `serial`, failing with both logs after FOLLOW_BOUND.
fn wait_for_serial(server: SocketAddr, serial: u32, ours: &Process, peer: &Peer) {
    let deadline = Instant::now() + FOLLOW_BOUND;
    while serial_of(server) != Some(serial) {
        assert!(
            Instant::now() < deadline,
            "our secondary did not serve serial {serial} within {FOLLOW_BOUND:?}\nours:\n{}\nprimary:\n{}",
            ours.output(),
            peer.output()
        );
        std::thread::sleep(POLL_PAUSE);
    }
}

/// Our authority as a secondary on `address` with `arguments` (a `--secondary` or a `--config`).
fn start_ours(address: SocketAddr, state: &std::path::Path, arguments: &[String]) -> Process {
    let mut all = vec![
        "--workers".to_string(),
        "1".to_string(),
        "--listen".to_string(),
        address.to_string(),
        "--state-dir".to_string(),
        state.display().to_string(),
    ];
    all.extend_from_slice(arguments);
    start_workspace_server("authority", "authority", &all).unwrap_or_else(|error| panic!("{error}"))
}

/// Rewrites the primary's zone file, with an mtime NSD cannot mistake for the old one's.
fn rewrite_zone(peer: &Peer, text: &str) {
    let path = peer.directory().join("sec.test.zone");
    std::fs::write(&path, text).unwrap_or_else(|error| panic!("{error}"));
    let file = std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap_or_else(|error| panic!("{error}"));
    file.set_modified(SystemTime::now() + Duration::from_secs(5))
        .unwrap_or_else(|error| panic!("{error}"));
}

fn hang_up(process_id: u32) {
    let status = Command::new("kill")
        .args(["-HUP", &process_id.to_string()])
        .status()
        .unwrap_or_else(|error| panic!("cannot run kill: {error}"));
    assert!(status.success());
}

fn knot_reload(knot: &Peer) {
    let socket = knot.directory().join("knot.sock");
    let output = Command::new(require_tool("knotc").unwrap_or_else(|| panic!("knotc")))
        .arg("-s")
        .arg(&socket)
        .args(["zone-reload", ORIGIN])
        .output()
        .unwrap_or_else(|error| panic!("cannot run knotc: {error}"));
    assert!(
        output.status.success(),
        "knotc zone-reload: {}{}\nknot:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        knot.output()
    );
}

/// Waits (bounded) for a line of our log: lines are read from its pipe by another thread, so one
/// written just before an answer may not have been read yet when the answer arrives.
pub(crate) fn log_line(ours: &mut Process, pattern: &str) -> String {
    ours.wait_for_line(pattern, FOLLOW_BOUND)
        .unwrap_or_else(|error| panic!("{error}"))
}

/// The `secondary zone transferred` log line for `serial`.
pub(crate) fn transfer_line(ours: &mut Process, serial: u32) -> String {
    let line = log_line(ours, &format!("serial={serial} records="));
    assert!(line.contains("secondary zone transferred"), "{line}");
    line
}

/// A NOTIFY for ORIGIN sent to `server` from `source`: the answer's rcode.
fn notify_from(source: IpAddr, server: SocketAddr) -> ResponseCode {
    let mut message = Message::new(0x5eca, MessageType::Query, OpCode::Notify);
    message.metadata.authoritative = true;
    message.add_query(Query::query(
        Name::from_ascii(ORIGIN).unwrap_or_else(|error| panic!("{error}")),
        RecordType::SOA,
    ));
    e2e::client::exchange_udp_from(source, server, &message, e2e::QUERY_TIMEOUT)
        .unwrap_or_else(|error| panic!("NOTIFY to {server}: {error}"))
        .metadata
        .response_code
}

#[test]
fn our_secondary_of_nsd_follows_notify_restarts_from_its_copy_and_refuses_strangers() {
    if require_tool("nsd").is_none() {
        return;
    }
    let test = "secondary_of_nsd";
    let (primary, ours_address) = (loopback_for(test, 0), loopback_for(test, 1));
    let directory = TempDir::new(test).unwrap_or_else(|error| panic!("{error}"));
    let state = directory.path().join("state");
    let zone = PrimaryZone {
        zone: Zone::new(ORIGIN, &zone_text(1, LONG_TIMERS)),
        secondary: ours_address,
        key: None,
    };
    let nsd = e2e::start_nsd_primary(primary, &zone).unwrap_or_else(|error| panic!("{error}"));
    let flag = ["--secondary".to_string(), format!("{ORIGIN}={primary}")];
    let mut ours = start_ours(ours_address, &state, &flag);
    wait_for_serial(ours_address, 1, &ours, &nsd);
    assert_eq!(answers_of(ours_address), answers_of(primary));

    // RFC 1996 §4.7 leaves it to us: a NOTIFY from anyone but the primary is refused.
    let stranger = loopback_for(test, 2).ip();
    assert_eq!(notify_from(stranger, ours_address), ResponseCode::Refused);
    log_line(&mut ours, "NOTIFY refused");

    rewrite_zone(&nsd, &zone_text(2, LONG_TIMERS));
    hang_up(nsd.id());
    wait_for_serial(ours_address, 2, &ours, &nsd);
    let after_change = answers_of(ours_address);
    assert_eq!(after_change, answers_of(primary));
    log_line(&mut ours, "NOTIFY received");
    // NSD before 4.7 keeps no IXFR data: it answers our IXFR with the whole zone.
    let line = transfer_line(&mut ours, 2);
    assert!(line.contains(&format!("primary={primary}")), "{line}");
    assert!(line.contains("kind=\"AXFR\""), "{line}");

    // SIGHUP rereads zone files; the secondary zone has none and stays as transferred.
    hang_up(ours.id());
    ours.wait_for_line("reload done", FOLLOW_BOUND)
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(answers_of(ours_address), after_change);

    // The primary is gone; a restart serves the persisted copy at once.
    drop(nsd);
    drop(ours);
    let ours = start_ours(ours_address, &state, &flag);
    assert_eq!(answers_of(ours_address), after_change, "{}", ours.output());
    assert!(
        ours.output().contains("secondary zone copy loaded"),
        "{}",
        ours.output()
    );
}

#[test]
fn our_secondary_of_knot_with_tsig_takes_ixfr_and_a_wrong_key_keeps_the_copy() {
    if require_tool("knotd").is_none() || require_tool("knotc").is_none() {
        return;
    }
    let test = "secondary_of_knot";
    let (primary, ours_address) = (loopback_for(test, 0), loopback_for(test, 1));
    let directory = TempDir::new(test).unwrap_or_else(|error| panic!("{error}"));
    let state = directory.path().join("state");
    let secret = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=";
    let zone = PrimaryZone {
        zone: Zone::new(ORIGIN, &zone_text(1, LONG_TIMERS)),
        secondary: ours_address,
        key: Some(("xfr-key".to_string(), secret.to_string())),
    };
    let knot = e2e::start_knot_primary(primary, &zone).unwrap_or_else(|error| panic!("{error}"));
    let config = |secret: &str| {
        let path = directory
            .write(
                "authority.yaml",
                &format!(
                    "keys:\n  - name: xfr-key\n    secret: {secret}\nzones:\n  - origin: {ORIGIN}\n    role: secondary\n    primaries:\n      - address: \"{primary}\"\n        key: xfr-key\n"
                ),
            )
            .unwrap_or_else(|error| panic!("{error}"));
        vec!["--config".to_string(), path.display().to_string()]
    };
    let mut ours = start_ours(ours_address, &state, &config(secret));
    wait_for_serial(ours_address, 1, &ours, &knot);
    assert_eq!(answers_of(ours_address), answers_of(primary));

    rewrite_zone(&knot, &zone_text(2, LONG_TIMERS));
    knot_reload(&knot);
    wait_for_serial(ours_address, 2, &ours, &knot);
    let after_change = answers_of(ours_address);
    assert_eq!(after_change, answers_of(primary));
    log_line(&mut ours, "NOTIFY received");
    let line = transfer_line(&mut ours, 2);
    assert!(
        line.contains("kind=\"IXFR\""),
        "Knot offers IXFR, we took: {line}"
    );

    // With a wrong secret the primary's newer serial is refused and the copy stays.
    drop(ours);
    rewrite_zone(&knot, &zone_text(3, LONG_TIMERS));
    knot_reload(&knot);
    let ours = start_ours(
        ours_address,
        &state,
        &config("d3Jvbmd3cm9uZ3dyb25nd3Jvbmd3cm9uZw=="),
    );
    let mut ours = ours;
    let failure = ours
        .wait_for_line("secondary zone refresh failed", FOLLOW_BOUND)
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(failure.contains("TSIG"), "{failure}");
    assert_eq!(serial_of(ours_address), Some(2));
    assert_eq!(answers_of(ours_address), after_change);
}

#[test]
fn our_secondary_expires_its_copy_when_the_primary_is_gone() {
    if require_tool("nsd").is_none() {
        return;
    }
    let test = "secondary_expires";
    let (primary, ours_address) = (loopback_for(test, 0), loopback_for(test, 1));
    let directory = TempDir::new(test).unwrap_or_else(|error| panic!("{error}"));
    // REFRESH 2 s keeps the copy fresh while the primary answers; EXPIRE 5 s (our floor is 3 s,
    // as Knot's) ends it soon after the primary goes.
    let zone = PrimaryZone {
        zone: Zone::new(ORIGIN, &zone_text(1, "2 2 5")),
        secondary: ours_address,
        key: None,
    };
    let nsd = e2e::start_nsd_primary(primary, &zone).unwrap_or_else(|error| panic!("{error}"));
    let mut ours = start_ours(
        ours_address,
        &directory.path().join("state"),
        &["--secondary".to_string(), format!("{ORIGIN}={primary}")],
    );
    wait_for_serial(ours_address, 1, &ours, &nsd);
    drop(nsd);
    let deadline = Instant::now() + FOLLOW_BOUND;
    while rcode_of(ours_address) != Some(ResponseCode::ServFail) {
        assert!(
            Instant::now() < deadline,
            "the copy did not expire within {FOLLOW_BOUND:?}:\n{}",
            ours.output()
        );
        std::thread::sleep(POLL_PAUSE);
    }
    log_line(&mut ours, "secondary zone expired");
}

#[test]
fn a_zone_both_served_from_a_file_and_pulled_is_refused_at_start() {
    let test = "secondary_and_file";
    let directory = TempDir::new(test).unwrap_or_else(|error| panic!("{error}"));
    let file = directory
        .write(
            "sec.test.yaml",
            "'':\n  - type: NS\n    value: ns1.sec.test.\nns1: {type: A, value: 192.0.2.1}\n",
        )
        .unwrap_or_else(|error| panic!("{error}"));
    let output = Command::new(e2e::workspace_binary("authority", "authority"))
        .args(["--listen", &loopback_for(test, 0).to_string()])
        .args(["--secondary", &format!("{ORIGIN}=192.0.2.1")])
        .arg(&file)
        .output()
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("both served from a file and pulled as a secondary"),
        "{stderr}"
    );
}
