//! Spoofed answers against a real `resolver` process: while it resolves names from a
//! slow authority, forged replies flood its upstream side; none is ever served or cached.

mod forging_authority;

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{SystemTime, UNIX_EPOCH};

use e2e::{loopback_for, loopback_v4_for, query_udp, Resolver, TempDir, PEER_PORT};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;

use forging_authority::{forged_reply, query_for, ForgingAuthority, GENUINE, SERVER_NAME, ZONE};

/// Names resolved while the flood runs, each asked once during it and once after.
const NAMES: usize = 32;
/// Names first asked after the flood, to check no forged delegation took over the zone.
const FRESH_NAMES: usize = 4;
/// Client threads sharing the names, so several upstream queries are in flight at once.
const CLIENT_THREADS: usize = 4;
/// Forged datagrams the flooder sends at most; it stops earlier when the clients are done.
/// Enough to hit most of the resolver's ephemeral ports once in the race windows.
const FLOOD_MAX_PACKETS: usize = 50_000;
/// Linux's default ephemeral port range (`ip_local_port_range`), where the resolver's upstream
/// sockets live.
const EPHEMERAL_PORTS: std::ops::Range<u16> = 32_768..61_000;

fn names() -> Vec<String> {
    (0..NAMES)
        .map(|index| format!("host{index}.{ZONE}"))
        .collect()
}

/// xorshift64: enough randomness for guessing IDs and ports, without another crate.
struct Guesses(u64);

impl Guesses {
    fn new() -> Guesses {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        Guesses(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Sends forged replies for the test's names, with random IDs, to random ports of `target()`
/// (the resolver's upstream address once the authority has seen it), until `stop`.
fn flood(
    attacker: IpAddr,
    target: impl Fn() -> IpAddr,
    stop: &AtomicBool,
) -> std::io::Result<usize> {
    let socket = UdpSocket::bind(SocketAddr::new(attacker, 0))?;
    let queries: Vec<Message> = names().iter().filter_map(|name| query_for(name)).collect();
    let mut guesses = Guesses::new();
    let mut sent = 0;
    let port_span = u64::from(EPHEMERAL_PORTS.end - EPHEMERAL_PORTS.start);
    while sent < FLOOD_MAX_PACKETS && !stop.load(Ordering::SeqCst) {
        let guess = guesses.next();
        let Some(query) = queries.get((guess % queries.len() as u64) as usize) else {
            break;
        };
        let id = (guess >> 16) as u16;
        let port = EPHEMERAL_PORTS.start + ((guess >> 32) % port_span) as u16;
        if let Some(bytes) = forged_reply(query, id, attacker) {
            // Nothing listens on most ports: the kernel's refusals are expected and ignored.
            let _ = socket.send_to(&bytes, SocketAddr::new(target(), port));
            sent += 1;
        }
    }
    Ok(sent)
}

/// Every address record in every section of `reply`.
fn addresses_in(reply: &Message) -> Vec<IpAddr> {
    reply
        .answers
        .iter()
        .chain(&reply.authorities)
        .chain(&reply.additionals)
        .filter_map(|record| record.data.ip_addr())
        .collect()
}

/// Whether `reply` is the genuine answer; panics if it holds the attacker's address at all.
fn check_reply(name: &str, reply: &Message, attacker: IpAddr) -> bool {
    assert!(
        !addresses_in(reply).contains(&attacker),
        "{name}: the forged address reached the client: {reply:?}"
    );
    reply.metadata.response_code == ResponseCode::NoError
        && addresses_in(reply) == vec![IpAddr::V4(GENUINE)]
}

/// Resolves each of `all` once (in `CLIENT_THREADS` threads); returns how many got the genuine
/// answer.
fn resolve_all(resolver: SocketAddr, attacker: IpAddr, all: &[String]) -> usize {
    let chunks: Vec<Vec<String>> = all
        .chunks(all.len().div_ceil(CLIENT_THREADS).max(1))
        .map(<[String]>::to_vec)
        .collect();
    let clients: Vec<_> = chunks
        .into_iter()
        .map(|chunk| {
            thread::spawn(move || {
                chunk
                    .iter()
                    .filter(|name| match query_udp(resolver, name, RecordType::A) {
                        Ok(reply) => check_reply(name, &reply, attacker),
                        Err(_) => false,
                    })
                    .count()
            })
        })
        .collect();
    clients
        .into_iter()
        .map(|client| client.join().unwrap_or_else(|_| panic!("a client failed")))
        .sum()
}

#[test]
fn forged_replies_flooding_the_upstream_side_are_never_served_or_cached() {
    let test = "forged_replies_flooding_the_upstream_side_are_never_served_or_cached";
    let attacker = IpAddr::V4(loopback_v4_for(test, 2));
    let authority = ForgingAuthority::start(loopback_for(test, 0), attacker)
        .unwrap_or_else(|error| panic!("the forging authority did not bind: {error}"));
    let directory = TempDir::new("spoofing").unwrap_or_else(|error| panic!("{error}"));
    let hints = directory.path().join("root.hints");
    let hints_text = format!(
        ". 3600000 NS {SERVER_NAME}\n{SERVER_NAME} 3600000 A {}\n",
        authority.address.ip()
    );
    std::fs::write(&hints, hints_text).unwrap_or_else(|error| panic!("{error}"));
    let arguments: Vec<String> = vec![
        "--root-hints".into(),
        hints.display().to_string(),
        "--allow-loopback-upstream".into(),
        "--upstream-port".into(),
        PEER_PORT.to_string(),
        "--no-qname-minimisation".into(),
    ];
    let resolver = Resolver::start(loopback_for(test, 1), &arguments)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));

    let stop = Arc::new(AtomicBool::new(false));
    let flooder = {
        let stop = stop.clone();
        let observed = authority.observed.clone();
        thread::spawn(move || {
            let target = || {
                observed
                    .resolver_source
                    .lock()
                    .ok()
                    .and_then(|source| *source)
                    .unwrap_or(IpAddr::from([127, 0, 0, 1]))
            };
            flood(attacker, target, &stop)
        })
    };
    let genuine_during_flood = resolve_all(resolver.address, attacker, &names());
    stop.store(true, Ordering::SeqCst);
    let flooded = flooder
        .join()
        .unwrap_or_else(|_| panic!("the flooder failed"))
        .unwrap_or_else(|error| panic!("the flooder could not bind: {error}"));
    let queries_during_flood = authority.observed.queries.load(Ordering::SeqCst);

    // Later questions are answered from the cache: what the flood left there, if anything.
    let genuine_after = resolve_all(resolver.address, attacker, &names());
    let queries_after = authority.observed.queries.load(Ordering::SeqCst) - queries_during_flood;
    // Names never asked before, and the forged server's own name: had a forged delegation of
    // spoof.test. been cached, these would go to (or be) the attacker's address.
    let fresh: Vec<String> = (0..FRESH_NAMES)
        .map(|index| format!("fresh{index}.{ZONE}"))
        .chain([format!("ns.attacker.{ZONE}")])
        .collect();
    let genuine_fresh = resolve_all(resolver.address, attacker, &fresh);
    assert_eq!(
        genuine_fresh,
        fresh.len(),
        "names first asked after the flood"
    );

    let summary = format!(
        "{flooded} flood packets; {genuine_during_flood}/{NAMES} genuine during the flood, \
         {genuine_after}/{NAMES} after; {queries_during_flood} upstream queries during, \
         {queries_after} after"
    );
    eprintln!("spoofing: {summary}");
    let context = format!("{summary}\nresolver output:\n{}", resolver.output());
    assert!(flooded > 0, "{context}");
    // Every forged reply carried a wrong ID or came from the wrong address, so a resolver
    // that waits for the genuine reply answers every name; one that gave up on the first
    // forged datagram answers none. Half leaves room for a badly loaded machine.
    assert!(genuine_during_flood * 2 >= NAMES, "{context}");
    assert_eq!(genuine_after, NAMES, "{context}");
    // Names answered during the flood were cached: asking again costs no upstream query.
    assert!(queries_after <= NAMES - genuine_during_flood, "{context}");
}
