//! A resolver fleet behind dnsdist (zones/fleet/dnsdist.conf with the test's addresses): two of our
//! resolvers, each walking the lab alone; clients keep resolving while one is stopped and restarted.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use e2e::binaries::workspace_root;
use e2e::client::{build_query, exchange_udp};
use e2e::{loopback_for, require_tool, shared_lab, Dnsdist, Lab, Resolver};
use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

/// The example's addresses, each replaced by one of the test's own.
const EXAMPLE_DNSDIST: &str = "127.53.54.1:5300";
const EXAMPLE_CONSOLE: &str = "127.53.54.1:5199";
const EXAMPLE_RESOLVER_A: &str = "127.53.54.2:5300";
const EXAMPLE_RESOLVER_B: &str = "127.53.54.3:5300";

/// Lab names the clients ask, with the address each must end at (CNAME chains, a glueless
/// delegation: real walks, not one-hop answers).
const QUESTIONS: &[(&str, &str)] = &[
    ("mail.example.test.", "192.0.2.25"),
    ("www.glueless.test.", "198.51.100.92"),
    ("start.chain.test.", "192.0.2.99"),
    ("end.example.test.", "192.0.2.99"),
];

/// A client as a stub resolver is: each query waits this long, then is sent again (dnsdist
/// forwards a UDP query once; a query sent to a resolver that has just died is lost).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);
/// Attempts per resolution. dnsdist checks every second and one failure marks a backend down, so
/// within two attempts after a stop every query goes to the live resolver.
const ATTEMPTS: u32 = 3;

/// Bound on dnsdist seeing a change (health checks every second: reaching it is a failure).
const STATE_BOUND: Duration = Duration::from_secs(20);
/// Pause between two reads of dnsdist's console (bounded by STATE_BOUND).
const POLL_PAUSE: Duration = Duration::from_millis(100);

/// One resolution as a client sees it: how many attempts it took, or why it failed.
fn resolve(server: SocketAddr, name: &str, expected: &str) -> Result<u32, String> {
    let mut failures = Vec::new();
    for attempt in 1..=ATTEMPTS {
        let query = build_query(name, RecordType::A).map_err(|error| error.to_string())?;
        match exchange_udp(server, &query, ATTEMPT_TIMEOUT) {
            Ok(reply) if reply.metadata.response_code == ResponseCode::NoError => {
                let addresses: Vec<String> = reply
                    .answers
                    .iter()
                    .filter_map(|record| match &record.data {
                        RData::A(address) => Some(address.to_string()),
                        _ => None,
                    })
                    .collect();
                if addresses.iter().any(|address| address == expected) {
                    return Ok(attempt);
                }
                return Err(format!("{name}: answered {addresses:?}, not {expected}"));
            }
            Ok(reply) => failures.push(format!("{}", reply.metadata.response_code)),
            Err(error) => failures.push(error.to_string()),
        }
    }
    Err(format!(
        "{name}: no answer in {ATTEMPTS} attempts: {failures:?}"
    ))
}

/// Every question once; panics on a failed resolution; returns the attempts each took.
fn resolve_all(server: SocketAddr, context: &dyn Fn() -> String) -> Vec<u32> {
    QUESTIONS
        .iter()
        .map(|(name, expected)| {
            resolve(server, name, expected).unwrap_or_else(|error| panic!("{error}\n{}", context()))
        })
        .collect()
}

/// The example config with the test's addresses in place of the example's.
fn fleet_config(dnsdist: SocketAddr, console: SocketAddr, a: SocketAddr, b: SocketAddr) -> String {
    let path = workspace_root()
        .join("zones")
        .join("fleet")
        .join("dnsdist.conf");
    let example = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    let mut config = example;
    for (from, to) in [
        (EXAMPLE_CONSOLE, console),
        (EXAMPLE_DNSDIST, dnsdist),
        (EXAMPLE_RESOLVER_A, a),
        (EXAMPLE_RESOLVER_B, b),
    ] {
        assert!(
            config.contains(from),
            "{} no longer names {from}: update the test with it",
            path.display()
        );
        config = config.replace(from, &to.to_string());
    }
    config
}

/// Polls dnsdist's console until every backend in `wanted` has the state given; panics after STATE_BOUND.
fn wait_for_states(dnsdist: &Dnsdist, wanted: &[(&str, &str)]) {
    let deadline = Instant::now() + STATE_BOUND;
    let mut states = BTreeMap::new();
    loop {
        match dnsdist.backends() {
            Ok(read) => states = read,
            Err(error) => eprintln!("dnsdist console: {error}"),
        }
        if wanted.iter().all(|(name, state)| {
            states.get(*name).map(|backend| backend.state.as_str()) == Some(*state)
        }) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "dnsdist did not reach {wanted:?} within {STATE_BOUND:?}: {states:?}\n{}",
            dnsdist.output()
        );
        thread::sleep(POLL_PAUSE);
    }
}

/// Client queries dnsdist has sent each backend so far (its console's `Queries` column).
fn forwarded(dnsdist: &Dnsdist) -> BTreeMap<String, u64> {
    dnsdist
        .backends()
        .unwrap_or_else(|error| panic!("{error}"))
        .into_iter()
        .map(|(name, backend)| (name, backend.queries))
        .collect()
}

/// Panics unless dnsdist sent `name` more client queries than `before` holds.
fn assert_took_queries(dnsdist: &Dnsdist, before: &BTreeMap<String, u64>, name: &str) {
    let after = forwarded(dnsdist);
    assert!(
        after.get(name) > before.get(name),
        "dnsdist sent {name} no client queries ({before:?} → {after:?})\n{}",
        dnsdist.output()
    );
}

/// The question dnsdist's health check asks when the config names none, as it sends it: ID, RD
/// set, no EDNS, `a.root-servers.net. IN A` (seen on the wire from dnsdist 1.7).
fn default_health_check() -> Message {
    let mut message = Message::query();
    message.metadata.recursion_desired = true;
    let name = Name::from_ascii("a.root-servers.net.").unwrap_or_else(|error| panic!("{error}"));
    message.add_query(Query::query(name, RecordType::A));
    message
}

/// Client queries the resolver counted (`queries` in `stats`).
fn client_queries(resolver: &Resolver) -> u64 {
    resolver.statistic("queries")
}

fn start_resolver(lab: &Lab, address: SocketAddr) -> Resolver {
    Resolver::iterating(lab, address, &[]).unwrap_or_else(|error| panic!("{error}"))
}

/// Clients resolving through dnsdist in a loop until told to stop: the attempts of each
/// resolution, and every failure.
struct Clients {
    stop: Arc<AtomicBool>,
    record: Arc<Mutex<(Vec<u32>, Vec<String>)>>,
    thread: Option<thread::JoinHandle<()>>,
}

/// Resolutions a background client makes at most (a bound on its loop; the test needs far fewer).
const MAX_BACKGROUND_RESOLUTIONS: usize = 100_000;
/// The background client's pace: about 100 resolutions a second, a steady trickle of clients
/// rather than a flood on a machine the other tests share.
const CLIENT_PACE: Duration = Duration::from_millis(10);

impl Clients {
    fn start(server: SocketAddr) -> Clients {
        let stop = Arc::new(AtomicBool::new(false));
        let record = Arc::new(Mutex::new((Vec::new(), Vec::new())));
        let thread = {
            let stop = stop.clone();
            let record = record.clone();
            thread::spawn(move || {
                for (name, expected) in QUESTIONS.iter().cycle().take(MAX_BACKGROUND_RESOLUTIONS) {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let outcome = resolve(server, name, expected);
                    let mut record = record
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner());
                    match outcome {
                        Ok(attempts) => record.0.push(attempts),
                        Err(error) => record.1.push(error),
                    }
                    drop(record);
                    thread::sleep(CLIENT_PACE);
                }
            })
        };
        Clients {
            stop,
            record,
            thread: Some(thread),
        }
    }

    /// Stops the loop; returns (attempts of each resolution, failures).
    fn finish(mut self) -> (Vec<u32>, Vec<String>) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let record = self
            .record
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        record.clone()
    }
}

impl Drop for Clients {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[test]
fn clients_keep_resolving_through_dnsdist_while_one_resolver_stops_and_returns() {
    let Some(_) = require_tool("dnsdist") else {
        return;
    };
    let test = "fleet_behind_dnsdist";
    let lab = shared_lab();
    let front = loopback_for(test, 0);
    let console = SocketAddr::new(front.ip(), 5199);
    let address_a = loopback_for(test, 1);
    let address_b = loopback_for(test, 2);
    let resolver_a = start_resolver(&lab, address_a);
    let resolver_b = start_resolver(&lab, address_b);
    let dnsdist = Dnsdist::start(&fleet_config(front, console, address_a, address_b))
        .unwrap_or_else(|error| panic!("{error}"));

    // dnsdist's health checks (a.root-servers.lab. A, RD, mustResolve) reach both resolvers.
    wait_for_states(&dnsdist, &[("resolver-a", "up"), ("resolver-b", "up")]);
    let context = || format!("dnsdist:\n{}", dnsdist.output());
    // Without checkName dnsdist would ask a.root-servers.net.: the lab's root has no `net.`, so the
    // resolver answers NXDOMAIN (from its cache after the first time), which dnsdist counts as
    // healthy unless mustResolve is set. The example asks a lab name with mustResolve instead.
    let reply = exchange_udp(address_b, &default_health_check(), ATTEMPT_TIMEOUT)
        .unwrap_or_else(|error| panic!("the default health check got no answer: {error}"));
    assert_eq!(reply.metadata.response_code, ResponseCode::NXDomain);
    let before = forwarded(&dnsdist);
    for _ in 0..4 {
        resolve_all(front, &context);
    }
    // Round robin: both served clients; each walked the lab itself (nothing shared but the lab).
    assert_took_queries(&dnsdist, &before, "resolver-a");
    assert_took_queries(&dnsdist, &before, "resolver-b");
    for (name, resolver) in [("a", &resolver_a), ("b", &resolver_b)] {
        assert!(
            resolver.statistic("upstream.queries") > 0,
            "resolver {name} asked the lab nothing"
        );
    }

    // One instance stops (killed by PID) while clients keep asking.
    let clients = Clients::start(front);
    drop(resolver_a);
    wait_for_states(&dnsdist, &[("resolver-a", "down"), ("resolver-b", "up")]);
    // Taken out: every query now goes to b and is answered at the first attempt.
    let before = client_queries(&resolver_b);
    let attempts = resolve_all(front, &context);
    assert!(
        attempts.iter().all(|attempts| *attempts == 1),
        "with resolver a marked down, queries still went unanswered: attempts {attempts:?}\n{}",
        context()
    );
    assert!(client_queries(&resolver_b) >= before + QUESTIONS.len() as u64);

    // It comes back on the same address with an empty cache: marked up, and it takes its share again.
    let resolver_a = start_resolver(&lab, address_a);
    wait_for_states(&dnsdist, &[("resolver-a", "up"), ("resolver-b", "up")]);
    let before = forwarded(&dnsdist);
    for _ in 0..4 {
        resolve_all(front, &context);
    }
    assert_took_queries(&dnsdist, &before, "resolver-a");
    assert!(
        client_queries(&resolver_a) > 0,
        "the restarted resolver a counted no queries\n{}",
        context()
    );
    assert!(resolver_a.statistic("upstream.queries") > 0);

    let (attempts, failures) = clients.finish();
    assert!(
        failures.is_empty(),
        "client resolutions failed while a resolver stopped and returned: {failures:?}\n{}",
        context()
    );
    assert!(
        !attempts.is_empty(),
        "the background clients resolved nothing"
    );
    let log = dnsdist.output();
    assert!(
        log.lines()
            .any(|line| line.contains("Marking downstream resolver-a") && line.contains("'down'")),
        "dnsdist never logged resolver a down:\n{log}"
    );
}
