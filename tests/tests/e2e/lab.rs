//! The lab end to end: `authority --lab zones/lab` (one instance per test process, shared) and our
//! `resolver` walking it, one resolver per test on the test's own address. Checked against what
//! the lab servers hold, against Unbound, and through dig, kdig and the C library's resolver.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};
use std::process::Command;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

use e2e::{
    dig, loopback_for, loopback_v4_for, query_tcp, query_udp, query_udp_from, require_tool,
    shared_lab, start_unbound, start_workspace_server, Lab, Resolver, TempDir, TestLabZones,
    UnboundConfig, PEER_PORT,
};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{RData, RecordType};

/// Bound on the polling loops waiting for a TTL to tick or a cache entry to expire. The short
/// record lives 2 s and a TTL ticks each second, so 15 s is several times what is needed on a
/// loaded machine; the loops stop as soon as the awaited change is seen.
const POLL_BUDGET: Duration = Duration::from_secs(15);
/// Pause between two polls of such a loop.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// An answer section as a set of "owner TYPE rdata" lines, owner lowercased, TTLs left out.
fn answer_records(message: &Message) -> BTreeSet<String> {
    message
        .answers
        .iter()
        .map(|record| {
            format!(
                "{} {} {}",
                record.name.to_ascii().to_lowercase(),
                record.record_type(),
                record.data
            )
        })
        .collect()
}

fn authority_records(message: &Message) -> BTreeSet<String> {
    message
        .authorities
        .iter()
        .map(|record| {
            format!(
                "{} {}",
                record.name.to_ascii().to_lowercase(),
                record.record_type()
            )
        })
        .collect()
}

fn start_iterating(lab: &Lab, test: &str, index: u8) -> Resolver {
    Resolver::iterating(lab, loopback_for(test, index), &[])
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

fn resolve(resolver: &Resolver, name: &str, record_type: RecordType) -> Message {
    query_udp(resolver.address, name, record_type).unwrap_or_else(|error| {
        panic!(
            "{name} {record_type} through the resolver: {error}\nresolver output:\n{}",
            resolver.output()
        )
    })
}

/// The names of the lab, one per record type and feature, with the zone holding the answer.
const LAB_QUESTIONS: &[(&str, RecordType, &str)] = &[
    ("example.test.", RecordType::A, "example.test."),
    ("example.test.", RecordType::AAAA, "example.test."),
    ("example.test.", RecordType::MX, "example.test."),
    ("example.test.", RecordType::TXT, "example.test."),
    ("example.test.", RecordType::CAA, "example.test."),
    ("example.test.", RecordType::NS, "example.test."),
    ("example.test.", RecordType::SOA, "example.test."),
    ("mail.example.test.", RecordType::AAAA, "example.test."),
    (
        "_imaps._tcp.example.test.",
        RecordType::SRV,
        "example.test.",
    ),
    ("www.example.test.", RecordType::CNAME, "example.test."),
    (
        "host.sub.example.test.",
        RecordType::TXT,
        "sub.example.test.",
    ),
    ("mx.mail.test.", RecordType::A, "mail.test."),
    ("_dmarc.mail.test.", RecordType::TXT, "mail.test."),
    ("www.shop.test.", RecordType::A, "shop.test."),
    ("shop.test.", RecordType::MX, "shop.test."),
    ("corp.lab.", RecordType::MX, "corp.lab."),
    ("intranet.corp.lab.", RecordType::A, "corp.lab."),
    ("panel.hosting.lab.", RecordType::A, "hosting.lab."),
    ("www.glueless.test.", RecordType::A, "glueless.test."),
    ("explicit.wild.test.", RecordType::A, "wild.test."),
    ("anything.wild.test.", RecordType::TXT, "wild.test."),
    ("local.chain.test.", RecordType::A, "chain.test."),
    (
        "1.0.53.127.in-addr.arpa.",
        RecordType::PTR,
        "53.127.in-addr.arpa.",
    ),
    ("small.big.test.", RecordType::A, "big.test."),
];

#[test]
fn resolver_answers_equal_what_the_lab_servers_hold() {
    let lab = shared_lab();
    let resolver = start_iterating(&lab, "resolver_answers_equal_what_the_lab_servers_hold", 0);
    for (name, record_type, zone) in LAB_QUESTIONS {
        let held = query_udp(lab.server_of(zone), name, *record_type)
            .unwrap_or_else(|error| panic!("{name} {record_type} from the lab: {error}"));
        let resolved = resolve(&resolver, name, *record_type);
        assert_eq!(
            resolved.metadata.response_code, held.metadata.response_code,
            "{name} {record_type}"
        );
        assert!(
            !held.answers.is_empty(),
            "the lab holds {name} {record_type}"
        );
        assert_eq!(
            answer_records(&resolved),
            answer_records(&held),
            "{name} {record_type}"
        );
        assert!(resolved.metadata.recursion_available, "RA on {name}");
        for (from_cache, from_zone) in resolved.answers.iter().zip(&held.answers) {
            assert!(
                from_cache.ttl <= from_zone.ttl,
                "{name}: TTL {} above the zone's {}",
                from_cache.ttl,
                from_zone.ttl
            );
        }
    }
}

#[test]
fn cname_chain_crossing_three_zones_is_followed_to_the_address() {
    let lab = shared_lab();
    let resolver = start_iterating(&lab, "cname_chain_crossing_three_zones", 0);
    let resolved = resolve(&resolver, "start.chain.test.", RecordType::A);
    assert_eq!(resolved.metadata.response_code, ResponseCode::NoError);
    let expected: BTreeSet<String> = [
        "start.chain.test. CNAME hop1.alias.lab.",
        "hop1.alias.lab. CNAME hop2.corp.lab.",
        "hop2.corp.lab. CNAME end.example.test.",
        "end.example.test. A 192.0.2.99",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    assert_eq!(answer_records(&resolved), expected);
    // Each link is the data its own zone holds.
    for (name, zone) in [
        ("start.chain.test.", "chain.test."),
        ("hop1.alias.lab.", "alias.lab."),
        ("hop2.corp.lab.", "corp.lab."),
    ] {
        let held = query_udp(lab.server_of(zone), name, RecordType::CNAME)
            .unwrap_or_else(|error| panic!("{name} from the lab: {error}"));
        assert!(
            answer_records(&resolved).is_superset(&answer_records(&held)),
            "{name}"
        );
    }
}

#[test]
fn glueless_delegation_resolves_its_name_servers_in_another_tld() {
    let lab = shared_lab();
    // test. refers glueless.test. to ns1/ns2.hosting.lab. without addresses: the resolver must
    // resolve those names under lab. first.
    let referral = query_udp(lab.server_of("test."), "www.glueless.test.", RecordType::A)
        .unwrap_or_else(|error| panic!("referral from test.: {error}"));
    assert!(referral.answers.is_empty());
    assert!(referral
        .additionals
        .iter()
        .all(|record| record.record_type() == RecordType::OPT
            || !record.name.to_ascii().ends_with("hosting.lab.")));
    let resolver = start_iterating(&lab, "glueless_delegation_resolves", 0);
    let resolved = resolve(&resolver, "www.glueless.test.", RecordType::A);
    assert_eq!(resolved.metadata.response_code, ResponseCode::NoError);
    assert_eq!(
        answer_records(&resolved),
        BTreeSet::from(["www.glueless.test. A 198.51.100.92".to_string()])
    );
}

#[test]
fn wildcard_answers_missing_names_but_not_explicit_or_empty_ones() {
    let lab = shared_lab();
    let resolver = start_iterating(&lab, "wildcard_answers_missing_names", 0);
    let synthesised = resolve(&resolver, "anything.wild.test.", RecordType::A);
    assert_eq!(
        answer_records(&synthesised),
        BTreeSet::from(["anything.wild.test. A 203.0.113.80".to_string()])
    );
    let explicit = resolve(&resolver, "explicit.wild.test.", RecordType::A);
    assert_eq!(
        answer_records(&explicit),
        BTreeSet::from(["explicit.wild.test. A 203.0.113.1".to_string()])
    );
    // nest.wild.test. is an empty non-terminal: it exists, so the wildcard does not apply
    // (RFC 4592 §2.2.2) and the answer is NODATA.
    let empty = resolve(&resolver, "nest.wild.test.", RecordType::A);
    assert_eq!(empty.metadata.response_code, ResponseCode::NoError);
    assert!(empty.answers.is_empty(), "{:?}", empty.answers);
}

#[test]
fn nxdomain_and_nodata_carry_the_zone_soa() {
    let lab = shared_lab();
    let resolver = start_iterating(&lab, "nxdomain_and_nodata_carry_the_zone_soa", 0);
    let soa = BTreeSet::from(["example.test. SOA".to_string()]);

    let missing = resolve(&resolver, "missing.example.test.", RecordType::A);
    assert_eq!(missing.metadata.response_code, ResponseCode::NXDomain);
    assert!(missing.answers.is_empty());
    assert_eq!(authority_records(&missing), soa, "NXDOMAIN authority");

    // mail.example.test. has A and AAAA but no TXT (RFC 2308 §2.2: NODATA).
    let nodata = resolve(&resolver, "mail.example.test.", RecordType::TXT);
    assert_eq!(nodata.metadata.response_code, ResponseCode::NoError);
    assert!(nodata.answers.is_empty());
    assert_eq!(authority_records(&nodata), soa, "NODATA authority");

    // The same, asked again, comes from the negative cache with the same outcome.
    let again = resolve(&resolver, "missing.example.test.", RecordType::A);
    assert_eq!(again.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(authority_records(&again), soa);
}

#[test]
fn answer_over_1232_bytes_is_fetched_over_tcp_and_served_whole() {
    let lab = shared_lab();
    let resolver = start_iterating(&lab, "answer_over_1232_bytes", 0);
    let held = query_tcp(
        lab.server_of("big.test."),
        "large.big.test.",
        RecordType::TXT,
    )
    .unwrap_or_else(|error| panic!("large.big.test. from the lab over TCP: {error}"));
    let held_over_udp = query_udp(
        lab.server_of("big.test."),
        "large.big.test.",
        RecordType::TXT,
    )
    .unwrap_or_else(|error| panic!("large.big.test. from the lab over UDP: {error}"));
    assert!(
        held_over_udp.metadata.truncation,
        "the lab truncates it over UDP, so the resolver must retry over TCP"
    );
    assert_eq!(held.answers.len(), 20);

    // Over UDP with a 1232-byte buffer our client gets TC=1, then the whole RRset over TCP.
    let over_udp = resolve(&resolver, "large.big.test.", RecordType::TXT);
    assert!(
        over_udp.metadata.truncation,
        "a 1232-byte buffer cannot hold it"
    );
    let over_tcp = query_tcp(resolver.address, "large.big.test.", RecordType::TXT)
        .unwrap_or_else(|error| panic!("large.big.test. through the resolver over TCP: {error}"));
    assert_eq!(over_tcp.metadata.response_code, ResponseCode::NoError);
    assert_eq!(answer_records(&over_tcp), answer_records(&held));
}

#[test]
fn second_query_is_answered_from_cache_and_its_ttl_counts_down() {
    let lab = shared_lab();
    let resolver = start_iterating(&lab, "second_query_is_answered_from_cache", 0);
    let first = resolve(&resolver, "www.shop.test.", RecordType::A);
    let first_ttl = first
        .answers
        .first()
        .map(|record| record.ttl)
        .unwrap_or_default();
    assert_eq!(first.answers.len(), 2, "{:?}", first.answers);
    let upstream_after_first = resolver.statistic("upstream.queries");
    assert!(
        upstream_after_first > 0,
        "the first answer came from the lab"
    );
    let hits_after_first = resolver.statistic("cache.hits");

    let second = resolve(&resolver, "www.shop.test.", RecordType::A);
    assert_eq!(answer_records(&second), answer_records(&first));
    assert_eq!(
        resolver.statistic("upstream.queries"),
        upstream_after_first,
        "the second query went upstream"
    );
    assert!(resolver.statistic("cache.hits") > hits_after_first);

    // The cached TTL falls with time (RFC 1035 §3.2.1), still without any upstream query.
    let deadline = Instant::now() + POLL_BUDGET;
    let mut last_ttl = first_ttl;
    while Instant::now() < deadline && last_ttl >= first_ttl {
        thread::sleep(POLL_INTERVAL);
        let again = resolve(&resolver, "www.shop.test.", RecordType::A);
        last_ttl = again
            .answers
            .first()
            .map(|record| record.ttl)
            .unwrap_or(u32::MAX);
    }
    assert!(last_ttl < first_ttl, "TTL stayed at {first_ttl}");
    assert_eq!(resolver.statistic("upstream.queries"), upstream_after_first);
}

#[test]
fn short_ttl_record_is_fetched_again_after_it_expires() {
    let lab = shared_lab();
    let resolver = start_iterating(&lab, "short_ttl_record_is_fetched_again", 0);
    let first = resolve(&resolver, "short.example.test.", RecordType::A);
    assert_eq!(
        answer_records(&first),
        BTreeSet::from(["short.example.test. A 192.0.2.2".to_string()])
    );
    assert!(first.answers.iter().all(|record| record.ttl <= 2));
    let upstream_after_first = resolver.statistic("upstream.queries");

    // TTL 2: within a few seconds the entry expires and the next query goes to the lab again.
    let deadline = Instant::now() + POLL_BUDGET;
    let mut refetched = false;
    while Instant::now() < deadline && !refetched {
        thread::sleep(POLL_INTERVAL);
        let again = resolve(&resolver, "short.example.test.", RecordType::A);
        assert_eq!(answer_records(&again), answer_records(&first));
        assert!(again.answers.iter().all(|record| record.ttl <= 2));
        refetched = resolver.statistic("upstream.queries") > upstream_after_first;
    }
    assert!(refetched, "short.example.test. never went upstream again");
}

/// Names asked in the forwarding and differential tests: positive, chained, glueless,
/// wildcard, reverse, NXDOMAIN and NODATA.
const COMPARED_QUESTIONS: &[(&str, RecordType, ResponseCode)] = &[
    ("www.example.test.", RecordType::A, ResponseCode::NoError),
    ("example.test.", RecordType::MX, ResponseCode::NoError),
    ("start.chain.test.", RecordType::A, ResponseCode::NoError),
    ("www.glueless.test.", RecordType::A, ResponseCode::NoError),
    ("anything.wild.test.", RecordType::A, ResponseCode::NoError),
    (
        "host.sub.example.test.",
        RecordType::TXT,
        ResponseCode::NoError,
    ),
    ("mx.mail.test.", RecordType::AAAA, ResponseCode::NoError),
    (
        "1.20.53.127.in-addr.arpa.",
        RecordType::PTR,
        ResponseCode::NoError,
    ),
    (
        "missing.example.test.",
        RecordType::A,
        ResponseCode::NXDomain,
    ),
    // NODATA: the name exists without this type.
    ("mail.example.test.", RecordType::TXT, ResponseCode::NoError),
    ("nothing.lab.", RecordType::A, ResponseCode::NXDomain),
];

/// Asks both servers every compared question; they must agree on rcode and answer records.
fn assert_same_answers(reference: SocketAddr, checked: SocketAddr, what: &str) {
    for (name, record_type, response_code) in COMPARED_QUESTIONS {
        let expected = query_udp(reference, name, *record_type)
            .unwrap_or_else(|error| panic!("{name} {record_type} from the reference: {error}"));
        // The reference itself must have reached the lab, or agreeing on SERVFAIL would pass.
        assert_eq!(
            expected.metadata.response_code, *response_code,
            "{name} {record_type} from the reference"
        );
        let is_nodata = *name == "mail.example.test.";
        assert_eq!(
            expected.answers.is_empty(),
            *response_code != ResponseCode::NoError || is_nodata,
            "{name} {record_type} answers from the reference"
        );
        let got = query_udp(checked, name, *record_type)
            .unwrap_or_else(|error| panic!("{name} {record_type} {what}: {error}"));
        assert_eq!(
            got.metadata.response_code, expected.metadata.response_code,
            "{name} {record_type} {what}"
        );
        assert_eq!(
            answer_records(&got),
            answer_records(&expected),
            "{name} {record_type} {what}"
        );
    }
}

#[test]
fn forwarding_through_a_second_resolver_gives_the_same_answers() {
    let lab = shared_lab();
    let iterating = start_iterating(&lab, "forwarding_through_a_second_resolver", 0);
    let forwarding = Resolver::start(
        loopback_for("forwarding_through_a_second_resolver", 1),
        &[
            "--forward".to_string(),
            iterating.address.to_string(),
            "--allow-loopback-upstream".to_string(),
            // The lab's namespace includes test.: a default zone of a forwarder otherwise.
            "--default-zones".to_string(),
            "localhost".to_string(),
        ],
    )
    .unwrap_or_else(|error| panic!("forwarding resolver did not start: {error}"));
    assert_same_answers(
        iterating.address,
        forwarding.address,
        "through the forwarder",
    );
    assert!(forwarding.statistic("upstream.queries") > 0);
    // A repeated question is answered from the forwarder's own cache.
    let upstream = forwarding.statistic("upstream.queries");
    let _ = resolve(&forwarding, "www.example.test.", RecordType::A);
    assert_eq!(forwarding.statistic("upstream.queries"), upstream);
}

/// Unbound's config for the lab: each zone a stub zone at its lab addresses (so Unbound reaches
/// the lab on its non-53 port), and its built-in local zones for test. and 127.in-addr.arpa. off.
fn unbound_with_lab_stubs(lab: &Lab) -> UnboundConfig {
    let stub_zones = lab
        .servers
        .iter()
        .map(|(zone, servers)| (zone.clone(), servers.clone()))
        .collect();
    UnboundConfig {
        stub_zones,
        server_lines: vec![
            "local-zone: \"127.in-addr.arpa.\" nodefault".to_string(),
            "qname-minimisation: no".to_string(),
        ],
        ..UnboundConfig::default()
    }
}

#[test]
fn forwarding_through_unbound_gives_the_same_answers() {
    let Some(_) = require_tool("unbound") else {
        return;
    };
    let lab = shared_lab();
    let iterating = start_iterating(&lab, "forwarding_through_unbound", 0);
    let unbound = start_unbound(
        loopback_for("forwarding_through_unbound", 1),
        &unbound_with_lab_stubs(&lab),
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let forwarding = Resolver::start(
        loopback_for("forwarding_through_unbound", 2),
        &[
            "--forward".to_string(),
            unbound.address.to_string(),
            "--allow-loopback-upstream".to_string(),
            // The lab's namespace includes test.: a default zone of a forwarder otherwise.
            "--default-zones".to_string(),
            "localhost".to_string(),
        ],
    )
    .unwrap_or_else(|error| panic!("forwarding resolver did not start: {error}"));
    assert_same_answers(iterating.address, forwarding.address, "through unbound");
}

#[test]
fn dig_and_kdig_read_the_resolvers_answers() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let Some(kdig_path) = require_tool("kdig") else {
        return;
    };
    let lab = shared_lab();
    let resolver = start_iterating(&lab, "dig_and_kdig_read_the_resolvers_answers", 0);

    let from_dig = dig(&dig_path, resolver.address, "mail.example.test.", "A", &[])
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(from_dig.status, "NOERROR", "{}", from_dig.output);
    assert!(
        from_dig.flags.iter().any(|flag| flag == "ra"),
        "{}",
        from_dig.output
    );
    let data: Vec<&str> = from_dig
        .answers
        .iter()
        .map(|record| record.data.as_str())
        .collect();
    assert_eq!(data, ["192.0.2.25"], "{}", from_dig.output);

    let over_tcp = dig(
        &dig_path,
        resolver.address,
        "large.big.test.",
        "TXT",
        &["+tcp"],
    )
    .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(over_tcp.answers.len(), 20, "{}", over_tcp.output);

    let missing = dig(
        &dig_path,
        resolver.address,
        "missing.example.test.",
        "A",
        &[],
    )
    .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(missing.status, "NXDOMAIN", "{}", missing.output);

    let output = Command::new(&kdig_path)
        .arg(format!("@{}", resolver.address.ip()))
        .args(["-p", &resolver.address.port().to_string()])
        .args([
            "mail.example.test.",
            "AAAA",
            "+short",
            "+timeout=2",
            "+retry=0",
        ])
        .output()
        .unwrap_or_else(|error| panic!("cannot run kdig: {error}"));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "kdig failed: {text}");
    assert_eq!(text.trim(), "2001:db8::25");

    let output = Command::new(&kdig_path)
        .arg(format!("@{}", resolver.address.ip()))
        .args(["-p", &resolver.address.port().to_string()])
        .args(["missing.example.test.", "A", "+timeout=2", "+retry=0"])
        .output()
        .unwrap_or_else(|error| panic!("cannot run kdig: {error}"));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("status: NXDOMAIN"), "kdig: {text}");
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// Tests that bind port 53 need root; without it they skip, unless tools are required.
fn require_root(test: &str) -> bool {
    if is_root() {
        return true;
    }
    if std::env::var(e2e::tools::REQUIRE_TOOLS_VARIABLE).is_ok_and(|value| value == "1") {
        panic!("{test} needs root (port 53) and DNS_TESTS_REQUIRE_TOOLS=1 is set");
    }
    e2e::tools::record_skip(&format!("{test} needs root to bind port 53"));
    false
}

#[test]
fn getent_resolves_lab_names_through_the_resolver_in_a_private_mount_namespace() {
    let test = "getent_resolves_lab_names_through_the_resolver";
    if !require_root(test) {
        return;
    }
    let Some(unshare) = require_tool("unshare") else {
        return;
    };
    let Some(_) = require_tool("getent") else {
        return;
    };
    let lab = shared_lab();
    // resolv.conf cannot name a port: the resolver listens on 53 of its own address.
    let address = SocketAddr::new(IpAddr::V4(loopback_v4_for(test, 0)), 53);
    let resolver = Resolver::iterating(&lab, address, &[])
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let directory = TempDir::new("getent").unwrap_or_else(|error| panic!("{error}"));
    let resolv_conf = directory
        .write(
            "resolv.conf",
            &format!(
                "nameserver {}\noptions timeout:2 attempts:2\n",
                address.ip()
            ),
        )
        .unwrap_or_else(|error| panic!("{error}"));
    let nsswitch = directory
        .write("nsswitch.conf", "hosts: files dns\n")
        .unwrap_or_else(|error| panic!("{error}"));
    // Inside `unshare -m` (private mounts) the bind mounts are seen by this shell only; the
    // machine's own /etc/resolv.conf is never written.
    let script = format!(
        "mount --bind {resolv} /etc/resolv.conf && mount --bind {nsswitch} /etc/nsswitch.conf && \
         echo HOSTS && getent hosts www.shop.test && echo AHOSTS && getent ahosts mail.example.test && \
         echo CHAIN && getent hosts start.chain.test && echo MISSING && \
         (getent hosts missing.example.test; echo status=$?)",
        resolv = resolv_conf.display(),
        nsswitch = nsswitch.display(),
    );
    let output = Command::new(unshare)
        .args(["-m", "--propagation", "private", "sh", "-c", &script])
        .output()
        .unwrap_or_else(|error| panic!("cannot run unshare: {error}"));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let errors = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "unshare failed: {text}{errors}\nresolver:\n{}",
        resolver.output()
    );
    let section = |start: &str, end: &str| -> String {
        text.split_once(start)
            .map(|(_, rest)| rest.split(end).next().unwrap_or_default().to_string())
            .unwrap_or_default()
    };
    // `getent hosts` asks for IPv6 first and shows it when there is one.
    let hosts = section("HOSTS\n", "AHOSTS");
    assert!(hosts.contains("2001:db8:5::21"), "{text}");
    assert!(hosts.contains("www.shop.test"), "{text}");
    let ahosts = section("AHOSTS\n", "CHAIN");
    assert!(ahosts.contains("192.0.2.25"), "{text}");
    assert!(ahosts.contains("2001:db8::25"), "{text}");
    let chain = section("CHAIN\n", "MISSING");
    assert!(chain.contains("192.0.2.99"), "{text}");
    assert!(
        text.contains("status=2"),
        "missing name: getent exits 2 (not found): {text}"
    );
}

/// Only one lab may use port 53 at a time in this process.
static PORT_53_LAB: Mutex<()> = Mutex::new(());

#[test]
fn unbound_with_the_lab_root_hints_agrees_with_our_resolver() {
    let test = "unbound_with_the_lab_root_hints_agrees";
    if !require_root(test) {
        return;
    }
    let Some(_) = require_tool("unbound") else {
        return;
    };
    let _port_53 = PORT_53_LAB
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Unbound iterates to port 53 only, so this lab runs there (not the shared one), on the
    // tests' address block: a lab a user runs (127.53.x.y:53) does not stop it.
    let zones = TestLabZones::new().unwrap_or_else(|error| panic!("lab zone copy: {error}"));
    let lab_process = start_workspace_server(
        "authority",
        "authority",
        [
            "--lab".as_ref(),
            zones.path().as_os_str(),
            "--port".as_ref(),
            "53".as_ref(),
        ],
    )
    .unwrap_or_else(|error| {
        panic!("a lab on port 53 did not start (is another test lab running there?): {error}")
    });
    let hints = zones.root_hints();
    let unbound = start_unbound(
        loopback_for(test, 0),
        &UnboundConfig {
            server_lines: vec![
                format!("root-hints: \"{}\"", hints.display()),
                "local-zone: \"test.\" nodefault".to_string(),
                "local-zone: \"127.in-addr.arpa.\" nodefault".to_string(),
                // The lab has no DNSSEC and no IPv6 servers.
                "harden-referral-path: no".to_string(),
            ],
            ..UnboundConfig::default()
        },
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let ours = Resolver::start(
        SocketAddr::new(IpAddr::V4(loopback_v4_for(test, 1)), PEER_PORT),
        &[
            "--root-hints".to_string(),
            hints.display().to_string(),
            "--allow-loopback-upstream".to_string(),
        ],
    )
    .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    assert_same_answers(unbound.address, ours.address, "ours vs unbound");
    drop(lab_process);
}

/// The signed lab's verdicts, as Unbound (with the lab's root trust anchor) and delv give them:
/// `ad` for names in secure zones (NSEC, NSEC3 opt-out, wildcard, NXDOMAIN), no `ad` below the
/// unsigned child, SERVFAIL for the child whose DS matches no key.
#[test]
fn unbound_and_delv_validate_the_signed_lab_from_its_trust_anchor() {
    let test = "unbound_and_delv_validate_the_signed_lab";
    if !require_root(test) {
        return;
    }
    let (Some(_), Some(dig_path), Some(delv)) = (
        require_tool("unbound"),
        require_tool("dig"),
        require_tool("delv"),
    ) else {
        return;
    };
    let _port_53 = PORT_53_LAB
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let zones = TestLabZones::new().unwrap_or_else(|error| panic!("lab zone copy: {error}"));
    let run_directory = zones.path().join("run");
    let lab_process = start_workspace_server(
        "authority",
        "authority",
        [
            "--lab".as_ref(),
            zones.path().as_os_str(),
            "--port".as_ref(),
            "53".as_ref(),
            "--run-dir".as_ref(),
            run_directory.as_os_str(),
        ],
    )
    .unwrap_or_else(|error| {
        panic!("a lab on port 53 did not start (is another test lab running there?): {error}")
    });
    let anchor = run_directory.join("trust-anchor.ds");
    assert!(anchor.exists(), "the lab wrote no trust anchor");
    let unbound = start_unbound(
        loopback_for(test, 0),
        &UnboundConfig {
            server_lines: vec![
                format!("root-hints: \"{}\"", zones.root_hints().display()),
                format!("trust-anchor-file: \"{}\"", anchor.display()),
                "local-zone: \"test.\" nodefault".to_string(),
                "local-zone: \"127.in-addr.arpa.\" nodefault".to_string(),
                "harden-referral-path: no".to_string(),
                "module-config: \"validator iterator\"".to_string(),
            ],
            ..UnboundConfig::default()
        },
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let cases: &[(&str, &str, &str, bool)] = &[
        ("www.example.test.", "A", "NOERROR", true),
        ("anything.wild.test.", "A", "NOERROR", true),
        ("missing.example.test.", "A", "NXDOMAIN", true),
        ("www.shop.test.", "A", "NOERROR", true),
        ("start.chain.test.", "A", "NOERROR", true),
        ("www.glueless.test.", "A", "NOERROR", true),
        ("host.sub.example.test.", "TXT", "NOERROR", true),
        ("test.", "SOA", "NOERROR", true),
        // test. uses NSEC3 opt-out: a span that may hide unsigned delegations proves no name
        // securely (RFC 5155 §9.2), so Unbound answers NXDOMAIN without `ad`.
        ("nothing-here.test.", "A", "NXDOMAIN", false),
        ("www.insecure.test.", "A", "NOERROR", false),
        ("www.bogus.test.", "A", "SERVFAIL", false),
    ];
    let mut wrong = Vec::new();
    for (name, record_type, status, secure) in cases {
        let answer = dig(
            &dig_path,
            unbound.address,
            name,
            record_type,
            &["+dnssec", "+time=5"],
        )
        .unwrap_or_else(|error| panic!("{error:?}"));
        let authenticated = answer.flags.iter().any(|flag| flag == "ad");
        if answer.status != *status || authenticated != *secure {
            wrong.push(format!(
                "{name} {record_type}: {} ad={authenticated}, expected {status} ad={secure}",
                answer.status
            ));
        }
    }
    // delv validates itself, from the anchor in BIND's syntax, through Unbound as its resolver.
    let bind_anchor = run_directory.join("trust-anchor.conf");
    for (name, expected) in [
        ("www.example.test.", "; fully validated"),
        ("www.insecure.test.", "; unsigned answer"),
        ("www.bogus.test.", "resolution failed"),
    ] {
        let output = Command::new(&delv)
            .arg(format!("@{}", unbound.address.ip()))
            .args(["-p", &unbound.address.port().to_string(), "-a"])
            .arg(&bind_anchor)
            .args(["+root=.", name, "A"])
            .output()
            .unwrap_or_else(|error| panic!("delv: {error}"));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if !text.contains(expected) {
            wrong.push(format!("delv {name}: expected `{expected}`, got:\n{text}"));
        }
    }
    drop(lab_process);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn client_outside_the_allowed_ranges_is_refused() {
    let test = "client_outside_the_allowed_ranges_is_refused";
    let lab = shared_lab();
    let allowed_client = IpAddr::V4(loopback_v4_for(test, 1));
    let other_client = IpAddr::V4(loopback_v4_for(test, 2));
    let resolver = Resolver::iterating(
        &lab,
        loopback_for(test, 0),
        &["--allow", &format!("{allowed_client}/32")],
    )
    .unwrap_or_else(|error| panic!("resolver did not start: {error}"));

    let refused = query_udp_from(
        other_client,
        resolver.address,
        "www.example.test.",
        RecordType::A,
    )
    .unwrap_or_else(|error| panic!("query from {other_client}: {error}"));
    assert_eq!(refused.metadata.response_code, ResponseCode::Refused);
    assert!(refused.answers.is_empty());

    let answered = query_udp_from(
        allowed_client,
        resolver.address,
        "www.example.test.",
        RecordType::A,
    )
    .unwrap_or_else(|error| panic!("query from {allowed_client}: {error}"));
    assert_eq!(answered.metadata.response_code, ResponseCode::NoError);
    assert!(answered.answers.iter().any(
        |record| matches!(&record.data, RData::A(address) if address.0.octets() == [192, 0, 2, 10])
    ));
    // The refused client caused no resolution: only the allowed one went upstream.
    assert!(resolver.statistic("queries.refused_by_access_control") >= 1);
}

#[test]
fn lab_servers_refer_from_the_root_and_answer_only_their_own_zones() {
    let lab = shared_lab();
    // A root server refers to test. with glue, as on the real Internet.
    let referral = query_udp(lab.server_of("."), "www.example.test.", RecordType::A)
        .unwrap_or_else(|error| panic!("root server: {error}"));
    assert_eq!(referral.metadata.response_code, ResponseCode::NoError);
    assert!(!referral.metadata.authoritative);
    assert!(referral.answers.is_empty());
    assert_eq!(
        authority_records(&referral),
        BTreeSet::from(["test. NS".to_string()])
    );
    // example.test.'s server knows nothing of shop.test., though one process serves both.
    let elsewhere = query_udp(
        lab.server_of("example.test."),
        "www.shop.test.",
        RecordType::A,
    )
    .unwrap_or_else(|error| panic!("example.test. server: {error}"));
    assert_eq!(elsewhere.metadata.response_code, ResponseCode::Refused);
    // hosting.lab.'s servers also serve glueless.test., authoritatively.
    let glueless = query_udp(
        lab.server_of("hosting.lab."),
        "glueless.test.",
        RecordType::A,
    )
    .unwrap_or_else(|error| panic!("hosting.lab. server: {error}"));
    assert!(glueless.metadata.authoritative);
    assert_eq!(
        answer_records(&glueless),
        BTreeSet::from(["glueless.test. A 198.51.100.91".to_string()])
    );
    // The tests' copy of the lab: zones/lab's 127.53.0.x moved to 127.153.0.x.
    assert_eq!(
        lab.servers.get("."),
        Some(&vec![
            SocketAddr::new(IpAddr::V4([127, 153, 0, 1].into()), lab.port),
            SocketAddr::new(IpAddr::V4([127, 153, 0, 2].into()), lab.port),
        ]),
        "lab output:\n{}",
        lab.output()
    );
}

#[test]
fn lab_refuses_to_start_when_a_name_server_is_outside_loopback() {
    let directory = TempDir::new("lab-public").unwrap_or_else(|error| panic!("{error}"));
    let zone =
        "'':\n  - type: NS\n    value: ns1.public.test.\nns1:\n  type: A\n  value: 192.0.2.53\n";
    directory
        .write("public.test.yaml", zone)
        .unwrap_or_else(|error| panic!("{error}"));
    let output = Command::new(e2e::workspace_binary("authority", "authority"))
        .arg("--lab")
        .arg(directory.path())
        .args(["--port", "5399"])
        .output()
        .unwrap_or_else(|error| panic!("cannot run authority: {error}"));
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "it started: {errors}");
    assert!(errors.contains("public.test."), "{errors}");
    assert!(errors.contains("192.0.2.53"), "{errors}");
}

#[test]
fn lab_reloads_edited_zones_on_sighup() {
    let directory = TestLabZones::new().unwrap_or_else(|error| panic!("{error}"));
    let lab = Lab::start_from(directory.path(), e2e::lab::unused_lab_port())
        .unwrap_or_else(|error| panic!("lab did not start: {error}"));
    let server = lab.server_of("shop.test.");
    let before =
        query_udp(server, "shop.test.", RecordType::A).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        answer_records(&before),
        BTreeSet::from(["shop.test. A 198.51.100.20".to_string()])
    );
    let path = directory.path().join("shop.test.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{error}"));
    std::fs::write(&path, text.replace("198.51.100.20", "198.51.100.29"))
        .unwrap_or_else(|error| panic!("{error}"));
    let status = Command::new("kill")
        .args(["-HUP", &lab.process_id().to_string()])
        .status()
        .unwrap_or_else(|error| panic!("cannot run kill: {error}"));
    assert!(status.success());
    let deadline = Instant::now() + POLL_BUDGET;
    let mut records = answer_records(&before);
    while Instant::now() < deadline && records.contains("shop.test. A 198.51.100.20") {
        thread::sleep(POLL_INTERVAL);
        let after = query_udp(server, "shop.test.", RecordType::A)
            .unwrap_or_else(|error| panic!("{error}"));
        records = answer_records(&after);
    }
    assert_eq!(
        records,
        BTreeSet::from(["shop.test. A 198.51.100.29".to_string()]),
        "lab output:\n{}",
        lab.output()
    );
}

#[test]
fn lab_sh_check_starts_the_lab_and_the_resolver_and_passes_its_queries() {
    let Some(bash) = require_tool("bash") else {
        return;
    };
    let lab_port = e2e::lab::unused_lab_port();
    let (success, text) = run_lab_sh_check(&bash, lab_port, "lab-sh-check");
    assert!(success, "lab.sh --check failed:\n{text}");
    assert!(text.contains("all checks passed"), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
}

/// `lab.sh --check` on the tests' address block (`TEST_LAB_BLOCK`), LAB_PORT `lab_port`, its logs
/// in a temporary directory: (exit status 0, stdout and stderr).
fn run_lab_sh_check(bash: &std::path::Path, lab_port: u16, label: &str) -> (bool, String) {
    // Build what lab.sh runs (debug here; lab.sh itself builds release).
    let _ = e2e::workspace_binary("authority", "authority");
    let _ = e2e::workspace_binary("resolver", "resolver");
    // The resolver's port: a neighbour of the lab port (another range), unique to this process.
    let resolver_port = lab_port.saturating_add(5_000);
    let logs = TempDir::new(label).unwrap_or_else(|error| panic!("{error}"));
    let output = Command::new(bash)
        .arg(e2e::binaries::workspace_root().join("lab.sh"))
        .arg("--check")
        .env("LAB_BINARIES", e2e::binaries::target_debug_dir())
        .env("LAB_BLOCK", e2e::lab::TEST_LAB_BLOCK.trim_end_matches('.'))
        .env("LAB_PORT", lab_port.to_string())
        .env("RESOLVER_PORT", resolver_port.to_string())
        .env("LAB_LOGS", logs.path())
        .output()
        .unwrap_or_else(|error| panic!("cannot run lab.sh: {error}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn lab_sh_names_the_taken_address_and_how_to_run_elsewhere() {
    let Some(bash) = require_tool("bash") else {
        return;
    };
    let lab_port = e2e::lab::unused_lab_port();
    // The root server address of the tests' block, held as another lab would hold it.
    let taken: SocketAddr = format!("{}0.1:{lab_port}", e2e::lab::TEST_LAB_BLOCK)
        .parse()
        .unwrap_or_else(|error| panic!("{error}"));
    let _udp = std::net::UdpSocket::bind(taken).unwrap_or_else(|error| panic!("{taken}: {error}"));
    let _tcp =
        std::net::TcpListener::bind(taken).unwrap_or_else(|error| panic!("{taken}: {error}"));
    let (success, text) = run_lab_sh_check(&bash, lab_port, "lab-sh-taken");
    assert!(!success, "lab.sh started on a taken address:\n{text}");
    assert!(text.contains(&format!("{taken} is taken")), "{text}");
    assert!(text.contains("LAB_BLOCK=127.54 ./lab.sh"), "{text}");
    assert!(text.contains("LAB_PORT="), "{text}");
}
