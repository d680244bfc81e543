//! Our authority as a primary of NSD, Knot and BIND secondaries (AXFR, then NOTIFY and IXFR after a
//! reload), and its transfer access rules (TSIG right, wrong and unknown key; no ACL match).

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use e2e::{
    loopback_for, query_udp, require_tool, start_workspace_server, Peer, PeerError, Process,
    SecondaryZone, TempDir,
};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{RData, RecordType};

/// Bound on a secondary serving the new serial after our reload (NOTIFY, SOA check, IXFR); the
/// engines act on NOTIFY within a second or two, so reaching it is a failure.
const FOLLOW_BOUND: Duration = Duration::from_secs(30);

/// Pause between two polls of a secondary's serial (the loop is bounded by FOLLOW_BOUND).
const POLL_PAUSE: Duration = Duration::from_millis(100);

const ORIGIN: &str = "xfr.test.";

/// The zone before and after the change: one address differs, one record is added.
fn zone_text(www: &str, extra: bool) -> String {
    let mut text = format!(
        "'':\n  - type: NS\n    values: [ns1.xfr.test., ns2.xfr.test.]\n  - type: MX\n    value: {{preference: 10, exchange: mail.xfr.test.}}\n  - type: TXT\n    value: v=spf1 -all\nns1: {{type: A, value: 192.0.2.1}}\nns2: {{type: AAAA, value: '2001:db8::2'}}\nmail: {{type: A, value: 192.0.2.25}}\nwww: {{type: A, value: {www}}}\nalias: {{type: CNAME, value: www.xfr.test.}}\n'*.wild': {{type: TXT, value: wildcard}}\nsub:\n  - type: NS\n    value: ns.sub.xfr.test.\nns.sub: {{type: A, value: 192.0.2.53}}\n_sip._tcp: {{type: SRV, value: {{priority: 10, weight: 5, port: 5060, target: www.xfr.test.}}}}\n"
    );
    if extra {
        text.push_str("new: {type: A, value: 192.0.2.99}\n");
    }
    text
}

/// The questions both servers must answer alike.
const QUESTIONS: &[(&str, RecordType)] = &[
    ("xfr.test.", RecordType::SOA),
    ("xfr.test.", RecordType::NS),
    ("xfr.test.", RecordType::MX),
    ("xfr.test.", RecordType::TXT),
    ("www.xfr.test.", RecordType::A),
    ("alias.xfr.test.", RecordType::A),
    ("a.wild.xfr.test.", RecordType::TXT),
    ("ns2.xfr.test.", RecordType::AAAA),
    ("_sip._tcp.xfr.test.", RecordType::SRV),
    ("new.xfr.test.", RecordType::A),
    ("missing.xfr.test.", RecordType::A),
];

/// Rcode and answer records, sorted: what must match between primary and secondary.
fn answer_of(server: SocketAddr, name: &str, record_type: RecordType) -> (String, Vec<String>) {
    let reply: Message = query_udp(server, name, record_type)
        .unwrap_or_else(|error| panic!("{server} {name} {record_type}: {error}"));
    let mut answers: Vec<String> = reply.answers.iter().map(ToString::to_string).collect();
    answers.sort();
    (reply.metadata.response_code.to_string(), answers)
}

/// The serial `server` answers for the zone; a lost datagram (a loaded machine) is asked again,
/// at most `SERIAL_ATTEMPTS` times, so one timeout does not read as "no zone".
fn serial_of(server: SocketAddr) -> Option<u32> {
    const SERIAL_ATTEMPTS: usize = 3;
    let reply =
        (0..SERIAL_ATTEMPTS).find_map(|_| query_udp(server, ORIGIN, RecordType::SOA).ok())?;
    reply.answers.iter().find_map(|record| match &record.data {
        RData::SOA(soa) => Some(soa.serial),
        _ => None,
    })
}

fn assert_same_answers(primary: SocketAddr, secondary: SocketAddr, engine: &str) {
    for (name, record_type) in QUESTIONS {
        assert_eq!(
            answer_of(secondary, name, *record_type),
            answer_of(primary, name, *record_type),
            "{engine} answers {name} {record_type} unlike our primary"
        );
    }
}

/// A port free on 127.0.0.1 for both UDP and TCP just now (the kernel's choice for UDP, TCP checked).
fn free_loopback_port() -> u16 {
    for _ in 0..64 {
        let udp =
            std::net::UdpSocket::bind("127.0.0.1:0").unwrap_or_else(|error| panic!("{error}"));
        let port = udp.local_addr().map(|address| address.port()).unwrap_or(0);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free for both UDP and TCP on 127.0.0.1");
}

fn hang_up(process: &Process) {
    let status = Command::new("kill")
        .args(["-HUP", &process.id().to_string()])
        .status()
        .unwrap_or_else(|error| panic!("cannot run kill: {error}"));
    assert!(status.success());
}

/// Our primary for `secondary`, with `extra` arguments; the zone file is written into `directory`.
fn start_primary(
    directory: &TempDir,
    primary: SocketAddr,
    extra: &[String],
) -> (Process, std::path::PathBuf) {
    let file = directory
        .write("xfr.test.yaml", &zone_text("192.0.2.80", false))
        .unwrap_or_else(|error| panic!("{error}"));
    let state = directory.path().join("state");
    let mut arguments = vec![
        "--workers".to_string(),
        "1".to_string(),
        "--listen".to_string(),
        primary.to_string(),
        "--state-dir".to_string(),
        state.display().to_string(),
    ];
    arguments.extend_from_slice(extra);
    arguments.push(file.display().to_string());
    let process = start_workspace_server("authority", "authority", &arguments)
        .unwrap_or_else(|error| panic!("{error}"));
    (process, file)
}

/// The whole story for one engine: AXFR at its start, same answers; change + SIGHUP → NOTIFY →
/// the new serial within FOLLOW_BOUND, taken by IXFR (our log names each transfer's kind and client).
fn secondary_follows_our_primary(
    test: &str,
    engine: &str,
    key: Option<(&str, &str)>,
    start: fn(SocketAddr, &SecondaryZone) -> Result<Peer, PeerError>,
) {
    let Some(_) = require_tool(engine) else {
        return;
    };
    let primary = loopback_for(test, 0);
    let secondary = if engine == "named" {
        // named listens only on addresses configured on an interface (lo has 127.0.0.1, not all
        // of 127/8), so it gets 127.0.0.1 and a port of its own.
        SocketAddr::from(([127, 0, 0, 1], free_loopback_port()))
    } else {
        loopback_for(test, 1)
    };
    let directory = TempDir::new(test).unwrap_or_else(|error| panic!("{error}"));
    let mut extra = vec!["--notify".to_string(), secondary.to_string()];
    let config;
    match key {
        Some((name, secret)) => {
            // Only the key opens the zone: the ACL has no address rule.
            config = directory
                .write(
                    "authority.yaml",
                    &format!("keys:\n  - name: {name}\n    secret: {secret}\nallow-transfer:\n  - key: {name}\nnotify:\n  - address: \"{secondary}\"\n    key: {name}\n"),
                )
                .unwrap_or_else(|error| panic!("{error}"));
            extra = vec!["--config".to_string(), config.display().to_string()];
        }
        None => extra.extend([
            "--allow-transfer".to_string(),
            format!("{}/32", secondary.ip()),
        ]),
    }
    let (mut ours, file) = start_primary(&directory, primary, &extra);
    let zone = SecondaryZone {
        origin: ORIGIN.to_string(),
        primary,
        key: key.map(|(name, secret)| (name.to_string(), secret.to_string())),
    };
    let peer =
        start(secondary, &zone).unwrap_or_else(|error| panic!("{error}\nours:\n{}", ours.output()));
    assert_eq!(serial_of(secondary), Some(1), "{}", peer.output());
    assert_same_answers(primary, secondary, engine);

    std::fs::write(&file, zone_text("192.0.2.81", true)).unwrap_or_else(|error| panic!("{error}"));
    hang_up(&ours);
    let deadline = Instant::now() + FOLLOW_BOUND;
    while serial_of(secondary) != Some(2) {
        assert!(
            Instant::now() < deadline,
            "{engine} did not serve serial 2 within {FOLLOW_BOUND:?}\n{engine}:\n{}\nours:\n{}",
            peer.output(),
            ours.output()
        );
        std::thread::sleep(POLL_PAUSE);
    }
    assert_same_answers(primary, secondary, engine);
    // The secondary's answer to our NOTIFY checks out (signed in chain from our request's MAC when
    // a key is set: a regression once had every TSIG-signed NOTIFY answer refused).
    ours.wait_for_line("NOTIFY acknowledged zone=xfr.test. serial=2", FOLLOW_BOUND)
        .unwrap_or_else(|error| panic!("{engine} NOTIFY answer not accepted: {error}"));
    let log = ours.output();
    let client = format!("client={}", secondary.ip());
    assert!(
        log.lines().any(|line| line.contains("transfer sent")
            && line.contains(&client)
            && line.contains("kind=\"IXFR\"")),
        "{engine} did not take an IXFR after the change; our log:\n{log}"
    );
}

#[test]
fn nsd_secondary_follows_our_primary_by_axfr_then_notify_and_ixfr() {
    secondary_follows_our_primary(
        "nsd_secondary_follows",
        "nsd",
        None,
        e2e::start_nsd_secondary,
    );
}

#[test]
fn knot_secondary_with_tsig_follows_our_primary_by_axfr_then_notify_and_ixfr() {
    secondary_follows_our_primary(
        "knot_secondary_follows",
        "knotd",
        Some(("xfr-key", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=")),
        e2e::start_knot_secondary,
    );
}

#[test]
fn bind_secondary_follows_our_primary_by_axfr_then_notify_and_ixfr() {
    secondary_follows_our_primary(
        "bind_secondary_follows",
        "named",
        None,
        e2e::start_bind_secondary,
    );
}

/// dig's view of an AXFR from `source` with `extra` arguments: its whole output.
fn dig_axfr(dig: &std::path::Path, server: SocketAddr, source: &str, extra: &[&str]) -> String {
    let output = Command::new(dig)
        .args([
            format!("@{}", server.ip()),
            "-p".to_string(),
            server.port().to_string(),
            "-b".to_string(),
            source.to_string(),
        ])
        .args(["+tries=1", "+time=3", ORIGIN, "AXFR"])
        .args(extra)
        .output()
        .unwrap_or_else(|error| panic!("cannot run dig: {error}"));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn transfer_access_tsig_keys_and_acl_decide_with_the_rfc_8945_errors() {
    let Some(dig) = require_tool("dig") else {
        return;
    };
    let test = "transfer_access_rules";
    let primary = loopback_for(test, 0);
    let allowed = loopback_for(test, 1).ip().to_string();
    let other = loopback_for(test, 2).ip().to_string();
    let directory = TempDir::new(test).unwrap_or_else(|error| panic!("{error}"));
    let secret = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
    let config = directory
        .write(
            "authority.yaml",
            &format!("keys:\n  - name: xfr-key\n    secret: {secret}\nallow-transfer:\n  - address: [{allowed}/32]\n  - key: xfr-key\n"),
        )
        .unwrap_or_else(|error| panic!("{error}"));
    let (ours, _) = start_primary(
        &directory,
        primary,
        &["--config".to_string(), config.display().to_string()],
    );

    let by_address = dig_axfr(&dig, primary, &allowed, &[]);
    assert!(by_address.contains("XFR size: 15 records"), "{by_address}");
    let right_key = dig_axfr(
        &dig,
        primary,
        &other,
        &["-y", &format!("hmac-sha256:xfr-key:{secret}")],
    );
    assert!(right_key.contains("XFR size: 15 records"), "{right_key}");
    assert!(
        right_key.contains("TSIG") && right_key.contains("NOERROR"),
        "{right_key}"
    );
    let wrong_key = dig_axfr(
        &dig,
        primary,
        &other,
        &["-y", "hmac-sha256:xfr-key:d3Jvbmd3cm9uZw=="],
    );
    assert!(
        wrong_key.contains("BADSIG") && wrong_key.contains("Transfer failed"),
        "{wrong_key}"
    );
    let unknown_key = dig_axfr(
        &dig,
        primary,
        &other,
        &["-y", "hmac-sha256:nobody:d3Jvbmd3cm9uZw=="],
    );
    assert!(
        unknown_key.contains("BADKEY") && unknown_key.contains("Transfer failed"),
        "{unknown_key}"
    );
    let no_match = dig_axfr(&dig, primary, &other, &[]);
    assert!(no_match.contains("Transfer failed"), "{no_match}");
    assert!(
        ours.output().contains(&format!(
            "transfer refused: no ACL entry matches client={other}"
        )),
        "{}",
        ours.output()
    );
    // The rcode itself, over UDP (IXFR there is answered in one message).
    let source: std::net::IpAddr = other.parse().unwrap_or_else(|error| panic!("{error}"));
    let refused = e2e::query_udp_from(source, primary, ORIGIN, RecordType::IXFR)
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(refused.metadata.response_code, ResponseCode::Refused);
}
