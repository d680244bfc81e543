//! Outages against a real `resolver` walking a lab of its own: example.test.'s servers (the
//! glue 127.153.10.1 and .2 in test.) are taken out of the lab and replaced by what the test
//! binds there: nothing (a closed port, answered with ICMP port unreachable), sockets that never
//! answer, a server that drops UDP and answers TCP, or one that answers A and drops AAAA.
//! Timing is checked only as generous upper bounds, far from what the behaviour was before (6 s
//! per name; 1.5 s or more for a second client while the first walk still waited). Side-by-side
//! figures: bench/outages.sh.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use e2e::client::{build_query, exchange_udp};
use e2e::{loopback_for, Lab, Resolver, TestLabZones};
use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{RData, Record, RecordType};

/// Generous: a client query must be answered within the daemon's client deadline (4 s), on a
/// loaded machine.
const CLIENT_WAIT: Duration = Duration::from_secs(15);
/// Upper bound for an answer that needs no upstream timeout (was 6 s per name before).
const FAST: Duration = Duration::from_secs(1);
/// Bound on polling for the first resolution to end, and the pause between polls.
const POLL_BUDGET: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// A lab without the example.test. zones: their servers' addresses are the test's to fill.
fn lab_without_example_test() -> (TestLabZones, Lab, [SocketAddr; 2]) {
    let zones = TestLabZones::new().unwrap_or_else(|error| panic!("{error}"));
    for file in ["example.test.yaml", "sub.example.test.yaml"] {
        std::fs::remove_file(zones.path().join(file)).unwrap_or_else(|error| panic!("{error}"));
    }
    let lab = Lab::start_from(zones.path(), e2e::lab::unused_lab_port())
        .unwrap_or_else(|error| panic!("lab did not start: {error}"));
    // test.yaml's glue for ns1/ns2.example.test. (zones/lab's 127.53.10.x, moved to the tests' block).
    let servers = [1u8, 2].map(|last| SocketAddr::from(([127, 153, 10, last], lab.port)));
    (zones, lab, servers)
}

fn resolve(resolver: &Resolver, name: &str) -> (Message, Duration) {
    resolve_type(resolver, name, RecordType::A)
}

fn resolve_type(resolver: &Resolver, name: &str, qtype: RecordType) -> (Message, Duration) {
    let query = build_query(name, qtype).unwrap_or_else(|error| panic!("{error}"));
    let started = Instant::now();
    let reply = exchange_udp(resolver.address, &query, CLIENT_WAIT)
        .unwrap_or_else(|error| panic!("{name}: {error}\nresolver output:\n{}", resolver.output()));
    (reply, started.elapsed())
}

/// Waits (bounded) until the resolver runs no resolution: the first client's walk goes on after
/// its SERVFAIL at the deadline, and what it learns is what the next client relies on.
fn wait_until_idle(resolver: &Resolver) {
    let deadline = Instant::now() + POLL_BUDGET;
    while resolver.statistic("resolutions.running") != 0 {
        assert!(
            Instant::now() < deadline,
            "a resolution still runs after {POLL_BUDGET:?}"
        );
        thread::sleep(POLL_INTERVAL);
    }
}

#[test]
fn second_name_in_a_zone_whose_servers_never_answer_gets_servfail_at_once() {
    let (_zones, lab, servers) = lab_without_example_test();
    // Bound and silent over UDP and TCP (the kernel accepts the connection, nobody reads).
    let _silent: Vec<(UdpSocket, TcpListener)> = servers
        .iter()
        .map(|server| {
            let udp = UdpSocket::bind(server).unwrap_or_else(|error| panic!("{server}: {error}"));
            let tcp = TcpListener::bind(server).unwrap_or_else(|error| panic!("{server}: {error}"));
            (udp, tcp)
        })
        .collect();
    let test = "second_name_in_a_zone_whose_servers_never_answer";
    let resolver = Resolver::iterating(&lab, loopback_for(test, 0), &[])
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let (first, _) = resolve(&resolver, "a1.example.test.");
    assert_eq!(first.metadata.response_code, ResponseCode::ServFail);
    wait_until_idle(&resolver);
    let (second, elapsed) = resolve(&resolver, "a2.example.test.");
    assert_eq!(second.metadata.response_code, ResponseCode::ServFail);
    assert!(elapsed < FAST, "the second name took {elapsed:?}");
    // The rest of the lab is not affected.
    let (shop, _) = resolve(&resolver, "www.shop.test.");
    assert_eq!(shop.metadata.response_code, ResponseCode::NoError);
}

#[test]
fn second_name_asked_while_the_first_walk_still_waits_gets_servfail_at_once() {
    let (_zones, lab, servers) = lab_without_example_test();
    let silent: Vec<(UdpSocket, TcpListener)> = servers
        .iter()
        .map(|server| {
            let udp = UdpSocket::bind(server).unwrap_or_else(|error| panic!("{server}: {error}"));
            let tcp = TcpListener::bind(server).unwrap_or_else(|error| panic!("{server}: {error}"));
            (udp, tcp)
        })
        .collect();
    let test = "second_name_asked_while_the_first_walk_still_waits";
    let resolver = Resolver::iterating(&lab, loopback_for(test, 0), &[])
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    // Warm: the root and test. cached, so the names below cost only example.test.'s servers.
    let (shop, _) = resolve(&resolver, "www.shop.test.");
    assert_eq!(shop.metadata.response_code, ResponseCode::NoError);
    // The first client gets SERVFAIL at the daemon's deadline; its walk goes on (each server
    // over UDP, then over TCP), and the next client comes at once, as a stub resolver's would.
    let (first, _) = resolve(&resolver, "a1.example.test.");
    assert_eq!(first.metadata.response_code, ResponseCode::ServFail);
    let (second, elapsed) = resolve(&resolver, "a2.example.test.");
    assert_eq!(second.metadata.response_code, ResponseCode::ServFail);
    assert!(
        elapsed < FAST,
        "the second name took {elapsed:?} while the first walk still waited"
    );
    // The servers come back (answering over UDP and TCP): a name resolves as soon as a probe
    // reaches them (bounded polling; the probe comes 5 s after they went to rest).
    drop(silent);
    for server in servers {
        let udp = UdpSocket::bind(server).unwrap_or_else(|error| panic!("{server}: {error}"));
        thread::spawn(move || answer_over_udp(udp, [192, 0, 2, 78]));
        let tcp = TcpListener::bind(server).unwrap_or_else(|error| panic!("{server}: {error}"));
        thread::spawn(move || answer_over_tcp(tcp, [192, 0, 2, 78]));
    }
    let deadline = Instant::now() + POLL_BUDGET;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (reply, _) = resolve(&resolver, &format!("back{attempt}.example.test."));
        if reply.metadata.response_code == ResponseCode::NoError {
            assert!(
                reply
                    .answers
                    .iter()
                    .any(|record| record.data == RData::A(A([192, 0, 2, 78].into()))),
                "{reply:?}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the servers answer again but no name resolved within {POLL_BUDGET:?}"
        );
        thread::sleep(POLL_INTERVAL);
    }
}

#[test]
fn closed_port_answered_by_icmp_fails_without_waiting_for_the_timeout() {
    // Nothing bound on example.test.'s addresses: each query is answered by ICMP port
    // unreachable, which used to be ignored (1.5 s per server, 6 s per name).
    let (_zones, lab, _servers) = lab_without_example_test();
    let test = "closed_port_answered_by_icmp_fails_without_waiting";
    let resolver = Resolver::iterating(&lab, loopback_for(test, 0), &[])
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    // Warm: the root and test. delegations in the cache, so the name below costs only its zone.
    let (shop, _) = resolve(&resolver, "www.shop.test.");
    assert_eq!(shop.metadata.response_code, ResponseCode::NoError);
    let (reply, elapsed) = resolve(&resolver, "a1.example.test.");
    assert_eq!(reply.metadata.response_code, ResponseCode::ServFail);
    assert!(elapsed < FAST, "a closed port took {elapsed:?}");
}

/// The authoritative reply to `query`: `address` for its question.
fn reply_to(query: &Message, address: [u8; 4]) -> Option<Vec<u8>> {
    let mut reply = Message::new(
        query.metadata.id,
        MessageType::Response,
        query.metadata.op_code,
    );
    reply.metadata.authoritative = true;
    reply.queries = query.queries.clone();
    let question = query.queries.first()?;
    reply.answers.push(Record::from_rdata(
        question.name().clone(),
        300,
        RData::A(A(address.into())),
    ));
    reply.to_vec().ok()
}

/// Answers every datagram on `socket` with `address` for its question, authoritatively.
fn answer_over_udp(socket: UdpSocket, address: [u8; 4]) {
    let mut buffer = [0u8; 4096];
    while let Ok((length, client)) = socket.recv_from(&mut buffer) {
        let Some(query) = buffer
            .get(..length)
            .and_then(|bytes| Message::from_vec(bytes).ok())
        else {
            continue;
        };
        if let Some(bytes) = reply_to(&query, address) {
            let _ = socket.send_to(&bytes, client);
        }
    }
}

/// Answers every framed query on `listener` with `address` for its question, authoritatively.
fn answer_over_tcp(listener: TcpListener, address: [u8; 4]) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { return };
        let mut prefix = [0u8; 2];
        if stream.read_exact(&mut prefix).is_err() {
            continue;
        }
        let mut body = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
        if stream.read_exact(&mut body).is_err() {
            continue;
        }
        let Ok(query) = Message::from_vec(&body) else {
            continue;
        };
        let Some(bytes) = reply_to(&query, address) else {
            continue;
        };
        let mut framed = u16::try_from(bytes.len())
            .unwrap_or(0)
            .to_be_bytes()
            .to_vec();
        framed.extend_from_slice(&bytes);
        let _ = stream.write_all(&framed);
    }
}

#[test]
fn server_that_drops_udp_but_answers_tcp_is_reached() {
    let (_zones, lab, servers) = lab_without_example_test();
    let mut keep = Vec::new();
    for server in servers {
        keep.push(UdpSocket::bind(server).unwrap_or_else(|error| panic!("{server}: {error}")));
        let listener =
            TcpListener::bind(server).unwrap_or_else(|error| panic!("{server}: {error}"));
        // Ends with the test process; it holds no resolver state.
        thread::spawn(move || answer_over_tcp(listener, [192, 0, 2, 77]));
    }
    let test = "server_that_drops_udp_but_answers_tcp";
    let resolver = Resolver::iterating(&lab, loopback_for(test, 0), &[])
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let (reply, _) = resolve(&resolver, "www.example.test.");
    assert_eq!(
        reply.metadata.response_code,
        ResponseCode::NoError,
        "{reply:?}"
    );
    assert!(
        reply
            .answers
            .iter()
            .any(|record| record.data == RData::A(A([192, 0, 2, 77].into()))),
        "{reply:?}"
    );
}

/// Names asked for AAAA, at most, before the AAAA-dropping servers stop being asked: the first
/// puts both to rest; the next A answer of each may give AAAA one more try (it might have been
/// down); a probe 5 s later may add one on a slow machine.
const AAAA_NAMES_BOUND: usize = 6;

/// Like `answer_over_udp` for A questions; other questions get no reply, counted in `dropped`.
fn answer_a_drop_others_over_udp(socket: UdpSocket, address: [u8; 4], dropped: Arc<AtomicUsize>) {
    let mut buffer = [0u8; 4096];
    while let Ok((length, client)) = socket.recv_from(&mut buffer) {
        let Some(query) = buffer
            .get(..length)
            .and_then(|bytes| Message::from_vec(bytes).ok())
        else {
            continue;
        };
        let is_a = query
            .queries
            .first()
            .is_some_and(|question| question.query_type() == RecordType::A);
        if !is_a {
            dropped.fetch_add(1, Ordering::SeqCst);
            continue;
        }
        if let Some(bytes) = reply_to(&query, address) {
            let _ = socket.send_to(&bytes, client);
        }
    }
}

/// TCP that accepts and never answers (as a dropping middlebox), counting each connection in
/// `dropped`; the connections stay open until the test process ends.
fn accept_and_stay_silent_over_tcp(listener: TcpListener, dropped: Arc<AtomicUsize>) {
    let mut open = Vec::new();
    for stream in listener.incoming().flatten() {
        dropped.fetch_add(1, Ordering::SeqCst);
        // Bounded by the test's few queries; kept so the resolver sees a timeout, not a close.
        if open.len() < 64 {
            open.push(stream);
        }
    }
}

/// Unbound's iter_timeout_ra_aaaa at the daemon: example.test.'s servers answer A and drop
/// every AAAA question (as some middleboxes and load balancers do). Once they have timed out,
/// an AAAA question gets SERVFAIL without a query to them (not another wait for timeouts at
/// each A answer they keep giving, as with QNAME minimisation's A question before it), and A
/// questions keep resolving.
#[test]
fn servers_dropping_aaaa_are_not_asked_aaaa_again_and_still_answer_a() {
    let (_zones, lab, servers) = lab_without_example_test();
    let dropped = Arc::new(AtomicUsize::new(0));
    for server in servers {
        let udp = UdpSocket::bind(server).unwrap_or_else(|error| panic!("{server}: {error}"));
        let counter = dropped.clone();
        thread::spawn(move || answer_a_drop_others_over_udp(udp, [192, 0, 2, 79], counter));
        let tcp = TcpListener::bind(server).unwrap_or_else(|error| panic!("{server}: {error}"));
        let counter = dropped.clone();
        thread::spawn(move || accept_and_stay_silent_over_tcp(tcp, counter));
    }
    let test = "servers_dropping_aaaa_are_not_asked_aaaa_again";
    let resolver = Resolver::iterating(&lab, loopback_for(test, 0), &[])
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let (shop, _) = resolve(&resolver, "www.shop.test.");
    assert_eq!(shop.metadata.response_code, ResponseCode::NoError);
    let (first, _) = resolve_type(&resolver, "n1.example.test.", RecordType::AAAA);
    assert_eq!(first.metadata.response_code, ResponseCode::ServFail);
    wait_until_idle(&resolver);
    assert!(
        dropped.load(Ordering::SeqCst) > 0,
        "no AAAA question reached the servers"
    );
    let mut quiet_name = None;
    for index in 2..=AAAA_NAMES_BOUND {
        let before = dropped.load(Ordering::SeqCst);
        let name = format!("n{index}.example.test.");
        let (reply, _) = resolve_type(&resolver, &name, RecordType::AAAA);
        assert_eq!(
            reply.metadata.response_code,
            ResponseCode::ServFail,
            "{name}"
        );
        wait_until_idle(&resolver);
        if dropped.load(Ordering::SeqCst) == before {
            quiet_name = Some(name);
            break;
        }
    }
    assert!(
        quiet_name.is_some(),
        "every one of {AAAA_NAMES_BOUND} AAAA names was sent to the servers that drop AAAA"
    );
    let (a_reply, _) = resolve(&resolver, "www.example.test.");
    assert_eq!(a_reply.metadata.response_code, ResponseCode::NoError);
    assert!(
        a_reply
            .answers
            .iter()
            .any(|record| record.data == RData::A(A([192, 0, 2, 79].into()))),
        "{a_reply:?}"
    );
}
