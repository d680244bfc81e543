//! The resolver's Unbound-style features as a client sees them against the lab (or servers of
//! the test's own), through dig and the daemon's counters: serve-expired, stub zones,
//! forward-first, prefetch (a moved zone too), minimal-responses.

use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use e2e::client::{build_query, exchange_udp};
use e2e::{dig, loopback_for, require_tool, shared_lab, DigAnswer, Lab, Resolver, TempDir};
use hickory_proto::op::Message;
use hickory_proto::rr::RecordType;

/// Bound on every polling loop below, and the pause between polls.
const POLL_BUDGET: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Generous: a client query must be answered within the daemon's client deadline.
const CLIENT_WAIT: Duration = Duration::from_secs(15);

fn ask(dig_path: &std::path::Path, resolver: &Resolver, name: &str, kind: &str) -> DigAnswer {
    dig(dig_path, resolver.address, name, kind, &[])
        .unwrap_or_else(|error| panic!("{error}\nresolver output:\n{}", resolver.output()))
}

fn start(lab: &Lab, test: &str, index: u8, extra: &[&str]) -> Resolver {
    Resolver::iterating(lab, loopback_for(test, index), extra)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

/// A loopback address of this test where nothing listens: queries to it fail at once (ICMP
/// port unreachable), on the lab's port since `--upstream-port` sends everything there.
fn dead_server(test: &str, lab: &Lab) -> SocketAddr {
    SocketAddr::new(loopback_for(test, 9).ip(), lab.port)
}

#[test]
fn stale_answer_with_ede_3_is_served_after_the_lab_stops() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    // A lab of the test's own: it is stopped half-way.
    let lab = Lab::start(e2e::lab::unused_lab_port())
        .unwrap_or_else(|error| panic!("lab did not start: {error}"));
    let test = "stale_answer_with_ede_3_is_served_after_the_lab_stops";
    let resolver = start(
        &lab,
        test,
        0,
        &["--serve-expired", "--serve-expired-client-timeout", "500"],
    );
    // short.example.test. has TTL 2.
    let fresh = ask(&dig_path, &resolver, "short.example.test.", "A");
    assert_eq!(fresh.status, "NOERROR", "{}", fresh.output);
    assert_eq!(fresh.answers[0].data, "192.0.2.2", "{}", fresh.output);
    assert!(fresh.extended_errors.is_empty(), "{}", fresh.output);
    drop(lab);

    // Once the entry has expired, the refresh fails and the client gets the stale data.
    let deadline = Instant::now() + POLL_BUDGET;
    let stale = loop {
        let answer = ask(&dig_path, &resolver, "short.example.test.", "A");
        if answer.extended_errors.contains(&3) || Instant::now() >= deadline {
            break answer;
        }
        thread::sleep(POLL_INTERVAL);
    };
    assert_eq!(stale.extended_errors, vec![3], "{}", stale.output);
    assert_eq!(stale.status, "NOERROR", "{}", stale.output);
    assert_eq!(stale.answers.len(), 1, "{}", stale.output);
    assert_eq!(stale.answers[0].data, "192.0.2.2");
    // RFC 8767 §4: stale records go out with serve-expired-reply-ttl (30 s by default).
    assert_eq!(stale.answers[0].ttl, 30, "{}", stale.output);
    assert!(
        stale.output.contains("Stale Answer"),
        "dig names the code: {}",
        stale.output
    );
    assert!(resolver.statistic("answers.stale") > 0);
}

#[test]
fn stub_zone_is_asked_even_when_the_root_is_unreachable() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "stub_zone_is_asked_even_when_the_root_is_unreachable";
    // Root hints naming a root where nothing listens: only the stub zone can be resolved.
    let hints = TempDir::new("dead-root").unwrap_or_else(|error| panic!("{error}"));
    let dead_root = dead_server(test, &lab).ip();
    let hints_file = hints
        .write(
            "root.hints",
            &format!(".  3600000 NS a.root.\na.root. 3600000 A {dead_root}\n"),
        )
        .unwrap_or_else(|error| panic!("{error}"));
    let stub = format!("example.test.={}", lab.server_of("example.test."));
    let arguments: Vec<String> = [
        "--root-hints",
        &hints_file.display().to_string(),
        "--allow-loopback-upstream",
        "--upstream-port",
        &lab.port.to_string(),
        "--stub-zone",
        &stub,
    ]
    .iter()
    .map(|argument| argument.to_string())
    .collect();
    let resolver = Resolver::start(loopback_for(test, 0), &arguments)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let stubbed = ask(&dig_path, &resolver, "mail.example.test.", "A");
    assert_eq!(stubbed.status, "NOERROR", "{}", stubbed.output);
    assert_eq!(stubbed.answers[0].data, "192.0.2.25", "{}", stubbed.output);
    let elsewhere = ask(&dig_path, &resolver, "www.shop.test.", "A");
    assert_eq!(elsewhere.status, "SERVFAIL", "{}", elsewhere.output);
}

#[test]
fn forward_first_iterates_when_the_forwarder_is_dead() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "forward_first_iterates_when_the_forwarder_is_dead";
    let dead = dead_server(test, &lab);
    let first = start(
        &lab,
        test,
        0,
        &["--forward-zone", &format!("example.test.={dead},first")],
    );
    let answer = ask(&dig_path, &first, "mail.example.test.", "A");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(answer.answers[0].data, "192.0.2.25", "{}", answer.output);
    // Without `first` the forwarder is the only way: its failure is the client's.
    let only = start(
        &lab,
        test,
        1,
        &["--forward-zone", &format!("example.test.={dead}")],
    );
    let failed = ask(&dig_path, &only, "mail.example.test.", "A");
    assert_eq!(failed.status, "SERVFAIL", "{}", failed.output);
}

fn resolve(resolver: &Resolver, name: &str) -> Message {
    let query = build_query(name, RecordType::A).unwrap_or_else(|error| panic!("{error}"));
    exchange_udp(resolver.address, &query, CLIENT_WAIT)
        .unwrap_or_else(|error| panic!("{name}: {error}\nresolver output:\n{}", resolver.output()))
}

fn data_of(message: &Message) -> Vec<String> {
    message
        .answers
        .iter()
        .map(|record| record.data.to_string())
        .collect()
}

#[test]
fn prefetch_refreshes_an_entry_asked_for_in_its_last_tenth_without_a_miss() {
    let lab = shared_lab();
    let test = "prefetch_refreshes_an_entry_asked_for_in_its_last_tenth";
    // TTLs capped at 10 s: the prefetch window is the last second of each entry.
    let resolver = start(&lab, test, 0, &["--prefetch", "--max-ttl", "10"]);
    let first = resolve(&resolver, "mail.example.test.");
    assert_eq!(first.answers.len(), 1, "{first:?}");
    let misses = resolver.statistic("cache.misses");
    let upstream = resolver.statistic("upstream.queries");
    assert!(misses > 0 && upstream > 0);

    // Clients keep asking; one of them lands in the last tenth and queues the refresh.
    let deadline = Instant::now() + POLL_BUDGET;
    while resolver.statistic("upstream.queries") == upstream && Instant::now() < deadline {
        thread::sleep(POLL_INTERVAL);
        let again = resolve(&resolver, "mail.example.test.");
        assert_eq!(data_of(&again), data_of(&first));
    }
    assert!(
        resolver.statistic("upstream.queries") > upstream,
        "no refresh within {POLL_BUDGET:?}"
    );
    // The entry was renewed before it expired: every client was answered from the cache.
    assert_eq!(resolver.statistic("cache.misses"), misses);
    assert!(resolver.statistic("cache.refreshes") > 0);
    let renewed = resolve(&resolver, "mail.example.test.");
    assert!(renewed.answers[0].ttl > 1, "{renewed:?}");
    assert_eq!(resolver.statistic("cache.misses"), misses);
}

#[test]
fn no_minimal_responses_adds_the_zones_ns_set_and_its_addresses() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "no_minimal_responses_adds_the_zones_ns_set";
    // The lab's servers add the zone's NS set and addresses beside an answer, as NSD does; the
    // resolver repeats them when it keeps them (scrubbing promiscuous NS sets off).
    let full = start(
        &lab,
        test,
        0,
        &["--no-minimal-responses", "--no-scrub-promiscuous"],
    );
    let answer = ask(&dig_path, &full, "mail.example.test.", "A");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    let mut servers: Vec<&str> = answer
        .authorities
        .iter()
        .filter(|record| record.name == "example.test." && record.record_type == "NS")
        .map(|record| record.data.as_str())
        .collect();
    servers.sort_unstable();
    assert_eq!(
        servers,
        ["ns1.example.test.", "ns2.example.test."],
        "{}",
        answer.output
    );
    let addresses: Vec<&str> = answer
        .additionals
        .iter()
        .map(|record| record.name.as_str())
        .collect();
    assert!(
        addresses.contains(&"ns1.example.test.") && addresses.contains(&"ns2.example.test."),
        "{}",
        answer.output
    );
    // The default is minimal: the answer alone.
    let minimal = start(&lab, test, 1, &[]);
    let plain = ask(&dig_path, &minimal, "mail.example.test.", "A");
    assert_eq!(plain.answers.len(), 1, "{}", plain.output);
    assert_eq!(plain.answers[0].data, answer.answers[0].data);
    assert!(plain.authorities.is_empty(), "{}", plain.output);
    assert!(plain.additionals.is_empty(), "{}", plain.output);
}

/// `moved.test.`, served by our authority: it delegates `zone.moved.test.` to the server at
/// `child` for 10 s (NS set and glue).
fn parent_zone(child: std::net::IpAddr) -> String {
    format!(
        "'':\n  - type: SOA\n    value:\n      mname: ns.moved.test.\n      rname: hostmaster.moved.test.\n      serial: 1\n      refresh: 7200\n      retry: 900\n      expire: 1209600\n      minimum: 300\n  - type: NS\n    value: ns.moved.test.\nns:\n  type: A\n  value: 192.0.2.53\nzone:\n  type: NS\n  ttl: 10\n  value: ns.zone.moved.test.\nns.zone:\n  type: A\n  ttl: 10\n  value: {child}\n"
    )
}

/// `zone.moved.test.` as one of its homes serves it: `www` at `address`, for 10 s.
fn child_zone(home: std::net::IpAddr, address: &str) -> String {
    format!(
        "'':\n  - type: SOA\n    value:\n      mname: ns.zone.moved.test.\n      rname: hostmaster.zone.moved.test.\n      serial: 1\n      refresh: 7200\n      retry: 900\n      expire: 1209600\n      minimum: 300\n  - type: NS\n    ttl: 10\n    value: ns.zone.moved.test.\nns:\n  type: A\n  ttl: 10\n  value: {home}\nwww:\n  type: A\n  ttl: 10\n  value: {address}\n"
    )
}

fn start_authority(address: SocketAddr, zone: &std::path::Path) -> e2e::Process {
    let listen = address.to_string();
    let zone = zone.display().to_string();
    e2e::start_workspace_server(
        "authority",
        "authority",
        ["--listen", listen.as_str(), zone.as_str()],
    )
    .unwrap_or_else(|error| panic!("authority did not start: {error}"))
}

#[test]
fn prefetch_follows_a_zone_moved_to_new_servers_before_its_delegation_lapses() {
    // Unbound's prefetch leeway (iter_prefetch_change2): the answer due for its prefetch and the
    // delegation it came through lapse together, so the prefetch asks the parent, learns the
    // zone's new home and renews the answer from there; the old home is not asked again.
    let test = "prefetch_follows_a_zone_moved_to_new_servers";
    let parent_address = loopback_for(test, 0);
    let old_home = loopback_for(test, 1);
    let new_home = loopback_for(test, 2);
    let before = TempDir::new("moved-before").unwrap_or_else(|error| panic!("{error}"));
    let after = TempDir::new("moved-after").unwrap_or_else(|error| panic!("{error}"));
    let write = |directory: &TempDir, name: &str, text: String| {
        directory
            .write(name, &text)
            .unwrap_or_else(|error| panic!("zone file {name}: {error}"))
    };
    let parent_before = write(&before, "moved.test.yaml", parent_zone(old_home.ip()));
    let parent_after = write(&after, "moved.test.yaml", parent_zone(new_home.ip()));
    let old_zone = write(
        &before,
        "zone.moved.test.yaml",
        child_zone(old_home.ip(), "192.0.2.1"),
    );
    let new_zone = write(
        &after,
        "zone.moved.test.yaml",
        child_zone(new_home.ip(), "192.0.2.2"),
    );
    let hints = write(
        &before,
        "root.hints",
        format!(
            ". 3600000 NS a.root.invalid.\na.root.invalid. 3600000 A {}\n",
            loopback_for(test, 9).ip()
        ),
    );
    let parent = start_authority(parent_address, &parent_before);
    let _old = start_authority(old_home, &old_zone);
    let _new = start_authority(new_home, &new_zone);
    let arguments: Vec<String> = vec![
        "--root-hints".into(),
        hints.display().to_string(),
        "--stub-zone".into(),
        format!("moved.test.={parent_address}"),
        "--allow-loopback-upstream".into(),
        "--upstream-port".into(),
        e2e::PEER_PORT.to_string(),
        "--no-dnssec".into(),
        "--prefetch".into(),
    ];
    let resolver = Resolver::start(loopback_for(test, 3), &arguments)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let first = resolve(&resolver, "www.zone.moved.test.");
    assert_eq!(data_of(&first), ["192.0.2.1"], "{first:?}");
    let misses = resolver.statistic("cache.misses");

    // The parent now delegates the zone to its new home.
    drop(parent);
    let _parent = start_authority(parent_address, &parent_after);

    // Clients keep asking: the old answer counts down, its prefetch brings the new one.
    let mut last_old_ttl = first.answers[0].ttl;
    let deadline = Instant::now() + POLL_BUDGET;
    let moved = loop {
        let answer = resolve(&resolver, "www.zone.moved.test.");
        if data_of(&answer) == ["192.0.2.2"] {
            break answer;
        }
        assert_eq!(data_of(&answer), ["192.0.2.1"], "{answer:?}");
        let ttl = answer.answers[0].ttl;
        assert!(
            ttl <= last_old_ttl,
            "the old answer was renewed from the old home (TTL {last_old_ttl} then {ttl})"
        );
        last_old_ttl = ttl;
        assert!(
            Instant::now() < deadline,
            "the new home's answer never came within {POLL_BUDGET:?}\n{}",
            resolver.output()
        );
        thread::sleep(POLL_INTERVAL);
    };
    assert!(moved.answers[0].ttl > 1, "{moved:?}");
    // The new answer came from the prefetch: no client waited for a resolution.
    assert_eq!(resolver.statistic("cache.misses"), misses);
    assert!(resolver.statistic("cache.refreshes") > 0);
}
