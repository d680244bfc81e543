//! A hostile network against a real `resolver` process: the malformed corpus over UDP
//! and TCP, slow (slowloris) and too many TCP clients. Each test forwards to its own `authority`.
//!
//! Flow: authority (example.test) ← resolver --forward ← the test's clients; the resolver must
//! refuse or ignore the garbage, keep serving others, and answer `www.example.test A` afterwards.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use e2e::hostile::{tcp_corpus, throw_corpus, udp_corpus, valid_query};
use e2e::{loopback_for, query_tcp, query_udp, start_workspace_server, Process};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};

/// The daemon's TCP connection cap: the shared listener's default (`authority::limits`, NSD's
/// `tcp-count`), which the resolver daemon uses unchanged.
const TCP_MAX_CONNECTIONS: usize = authority::limits::TCP_MAX_CONNECTIONS;

/// Connections tried after freeing the slots until one is served: each try is a round trip
/// through the server's accept loop, which meanwhile processes the closes.
const FREED_SLOT_ATTEMPTS: usize = 200;

/// Bound on waiting for one TCP reply or for the server to close a connection. Generous: the
/// server's own timeouts (3 s read, 10 s idle) are well inside it; it only ends a broken run.
const TCP_WAIT: Duration = Duration::from_secs(20);

/// Starts `authority` serving the example zones on the test's address `index`.
pub fn start_example_authority(test: &str, index: u8) -> (Process, SocketAddr) {
    let address = loopback_for(test, index);
    let listen = address.to_string();
    let zone = format!(
        "{}/../zones/examples/example.test.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let server = start_workspace_server(
        "authority",
        "authority",
        ["--listen", listen.as_str(), zone.as_str()],
    )
    .unwrap_or_else(|error| panic!("authority did not start: {error}"));
    (server, address)
}

/// Starts `resolver --forward UPSTREAM` on the test's address `index`, with `extra` arguments.
pub fn start_forwarding_resolver(
    test: &str,
    index: u8,
    upstream: SocketAddr,
    extra: &[&str],
) -> (Process, SocketAddr) {
    let address = loopback_for(test, index);
    let mut arguments = vec![
        "--listen".to_string(),
        address.to_string(),
        "--forward".to_string(),
        upstream.to_string(),
        // The upstream serves example.test.: test. is a default zone of a forwarder otherwise.
        "--default-zones".to_string(),
        "localhost".to_string(),
    ];
    arguments.extend(extra.iter().map(|argument| argument.to_string()));
    let server = start_workspace_server("resolver", "resolver", &arguments)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    (server, address)
}

/// `www.example.test A` through the resolver, over UDP and TCP, ends at an address.
pub fn assert_www_resolved(resolver: SocketAddr, process: &Process) {
    for (protocol, reply) in [
        (
            "udp",
            query_udp(resolver, "www.example.test.", RecordType::A),
        ),
        (
            "tcp",
            query_tcp(resolver, "www.example.test.", RecordType::A),
        ),
    ] {
        let reply = reply.unwrap_or_else(|error| {
            panic!(
                "www.example.test A over {protocol}: {error}\nresolver output:\n{}",
                process.output()
            )
        });
        assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
        assert!(
            reply
                .answers
                .iter()
                .any(|record| matches!(record.data, RData::A(_))),
            "www.example.test A over {protocol} has an address: {reply:?}"
        );
    }
}

#[test]
fn resolver_survives_malformed_corpus_over_udp_and_tcp() {
    let test = "resolver_survives_malformed_corpus_over_udp_and_tcp";
    let (_authority, upstream) = start_example_authority(test, 0);
    let (mut resolver, address) = start_forwarding_resolver(test, 1, upstream, &[]);
    assert_www_resolved(address, &resolver);
    let report = throw_corpus(address, "example.test.");
    println!(
        "corpus: {} cases, {} replies, {} silent",
        report.cases, report.replies, report.silent
    );
    assert_eq!(
        report.cases,
        udp_corpus("example.test.").len() + tcp_corpus("example.test.").len()
    );
    assert!(
        report.problems.is_empty(),
        "unacceptable replies: {:#?}",
        report.problems
    );
    // Most of the corpus deserves FORMERR/NOTIMP/REFUSED; a resolver dropping everything would
    // pass the check above while leaving a confused client to time out.
    assert!(report.replies > report.cases / 2, "{report:?}");
    resolver.check_running().unwrap_or_else(|error| {
        panic!(
            "resolver died during the corpus: {error}\n{}",
            resolver.output()
        )
    });
    assert_www_resolved(address, &resolver);
}

/// Writes one framed query on `stream` and returns its framed reply's body.
fn tcp_exchange(stream: &mut TcpStream, query: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut framed = u16::try_from(query.len())
        .unwrap_or(u16::MAX)
        .to_be_bytes()
        .to_vec();
    framed.extend_from_slice(query);
    stream.write_all(&framed)?;
    let mut prefix = [0u8; 2];
    stream.read_exact(&mut prefix)?;
    let mut reply = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
    stream.read_exact(&mut reply)?;
    Ok(reply)
}

fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&address, TCP_WAIT)
        .unwrap_or_else(|error| panic!("connect to {address}: {error}"));
    stream
        .set_read_timeout(Some(TCP_WAIT))
        .and_then(|()| stream.set_write_timeout(Some(TCP_WAIT)))
        .unwrap_or_else(|error| panic!("socket options: {error}"));
    stream
}

/// Whether the server closed `stream` (end of file or reset) without sending anything, waiting
/// at most `TCP_WAIT`. A reply, or the wait running out, is "not closed".
fn closed_without_reply(stream: &mut TcpStream) -> bool {
    let mut buffer = [0u8; 512];
    match stream.read(&mut buffer) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => matches!(
            error.kind(),
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
        ),
    }
}

#[test]
fn resolver_slowloris_client_does_not_block_another_and_is_closed() {
    let test = "resolver_slowloris_client_does_not_block_another_and_is_closed";
    let (_authority, upstream) = start_example_authority(test, 0);
    let (mut resolver, address) = start_forwarding_resolver(test, 1, upstream, &[]);
    // A length prefix promising 100 bytes, then a dribble of 3, then nothing.
    let mut slow = connect(address);
    slow.write_all(&[0, 100, 1, 2, 3])
        .unwrap_or_else(|error| panic!("slow client write: {error}"));
    // Another client on another connection is answered while the slow one holds its connection.
    let mut other = connect(address);
    let reply = tcp_exchange(&mut other, &valid_query("www.example.test."))
        .unwrap_or_else(|error| panic!("the second client was not answered: {error}"));
    assert_eq!(
        reply.get(..2),
        Some(&[0xbe, 0xef][..]),
        "reply to our query"
    );
    assert_eq!(reply.get(3).map(|code| code & 0x0f), Some(0), "NOERROR");
    // The slow client is cut off by the per-message read timeout (3 s), before the idle timeout.
    let started = Instant::now();
    assert!(
        closed_without_reply(&mut slow),
        "the slowloris connection was neither closed nor answered within {TCP_WAIT:?}"
    );
    println!("slowloris connection closed after {:?}", started.elapsed());
    resolver
        .check_running()
        .unwrap_or_else(|error| panic!("{error}"));
    assert_www_resolved(address, &resolver);
}

#[test]
fn resolver_tcp_connections_beyond_the_cap_are_closed_unserved() {
    let test = "resolver_tcp_connections_beyond_the_cap_are_closed_unserved";
    let (_authority, upstream) = start_example_authority(test, 0);
    let (mut resolver, address) = start_forwarding_resolver(test, 1, upstream, &[]);
    let query = valid_query("www.example.test.");
    // Fill every slot; each connection proves it was admitted by getting an answer.
    let mut open = Vec::with_capacity(TCP_MAX_CONNECTIONS);
    for index in 0..TCP_MAX_CONNECTIONS {
        let mut stream = connect(address);
        tcp_exchange(&mut stream, &query)
            .unwrap_or_else(|error| panic!("connection {index} within the cap: {error}"));
        open.push(stream);
    }
    // One more: the listener accepts and closes it at once, without reading the query.
    let mut beyond = connect(address);
    let _ = beyond.write_all(&[0, 2, 0, 0]);
    assert!(
        closed_without_reply(&mut beyond),
        "connection {} beyond the cap was served",
        TCP_MAX_CONNECTIONS + 1
    );
    // The admitted connections keep working.
    for index in [0, TCP_MAX_CONNECTIONS - 1] {
        let stream = open
            .get_mut(index)
            .unwrap_or_else(|| panic!("connection {index} is open"));
        tcp_exchange(stream, &query)
            .unwrap_or_else(|error| panic!("admitted connection {index} after the cap: {error}"));
    }
    // UDP is not affected by the TCP cap.
    let reply = query_udp(address, "www.example.test.", RecordType::A)
        .unwrap_or_else(|error| panic!("UDP while TCP is full: {error}"));
    assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
    // Closing the connections frees the slots: a new TCP client is served again. The server
    // releases a slot just after it sees the close, so a bounded number of tries covers that.
    drop(open);
    let mut served = false;
    for _ in 0..FREED_SLOT_ATTEMPTS {
        let mut stream = connect(address);
        if tcp_exchange(&mut stream, &query).is_ok() {
            served = true;
            break;
        }
    }
    assert!(served, "freed TCP slots were never reused");
    resolver
        .check_running()
        .unwrap_or_else(|error| panic!("{error}"));
}

#[test]
fn resolver_idle_tcp_connection_is_closed() {
    let test = "resolver_idle_tcp_connection_is_closed";
    let (_authority, upstream) = start_example_authority(test, 0);
    let (mut resolver, address) = start_forwarding_resolver(test, 1, upstream, &[]);
    // One answered query, then silence: between messages the connection is idle (RFC 7766
    // §6.2.3) and the daemon closes it after its idle timeout (10 s), freeing the slot.
    let mut idle = connect(address);
    tcp_exchange(&mut idle, &valid_query("www.example.test."))
        .unwrap_or_else(|error| panic!("first query on the connection: {error}"));
    let started = Instant::now();
    assert!(
        closed_without_reply(&mut idle),
        "an idle connection was still open after {TCP_WAIT:?}"
    );
    println!("idle connection closed after {:?}", started.elapsed());
    resolver
        .check_running()
        .unwrap_or_else(|error| panic!("{error}"));
}
