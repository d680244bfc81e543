//! The resolver daemon's cache TTL rules and local-zone types, set by flags or the YAML config, as
//! a user checks them with dig: negative TTL cap and RFC 2308 §5, TTL 0, round-robin,
//! transparent/nodefault/always_refuse, promiscuous NS scrubbing, serve-expired-ttl.
//!
//! `e2e::scripted_server` is the upstream: it answers what each test scripts (per question, with
//! `by_question`) and counts questions.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use e2e::{dig, loopback_for, require_tool, DigAnswer, Resolver, TempDir};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::rdata::PTR;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use e2e::scripted_server::{
    address, by_question, name, name_server, name_server_name, root_priming, start_of_authority,
    Reply, ScriptedServer, LONG_TTL,
};

/// Bound on every polling loop below, and the pause between polls.
const POLL_BUDGET: Duration = Duration::from_secs(30);
const POLL_INTERVAL: Duration = Duration::from_millis(200);

fn ask(dig_path: &Path, resolver: &Resolver, name: &str, record_type: &str) -> DigAnswer {
    dig(dig_path, resolver.address, name, record_type, &[])
        .unwrap_or_else(|error| panic!("{error}\nresolver output:\n{}", resolver.output()))
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

/// A scripted root at `address`: priming is answered, every other question goes to `script`.
fn start_root(
    address: SocketAddr,
    script: impl Fn(&Name, RecordType) -> Reply + Send + Sync + 'static,
) -> ScriptedServer {
    let ip = address.ip();
    let whole = by_question(move |qname, qtype| {
        root_priming(qname, qtype, ip).unwrap_or_else(|| script(qname, qtype))
    });
    ScriptedServer::start(address, whole).unwrap_or_else(|error| panic!("{address}: {error}"))
}

/// A resolver at `loopback_for(test, index)` iterating from `root` alone
/// (`Resolver::from_root`), full names asked (so the questions counted are the client's), plus
/// `extra` flags.
fn resolver_from_root(test: &str, index: u8, root: &ScriptedServer, extra: &[&str]) -> Resolver {
    let mut flags = vec![
        "--allow-loopback-upstream",
        "--no-qname-minimisation",
        "--no-dnssec",
    ];
    flags.extend_from_slice(extra);
    Resolver::from_scripted_root(loopback_for(test, index), root, &flags)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

/// A resolver at `loopback_for(test, index)` forwarding everything to `upstream`.
fn forwarding_resolver(
    test: &str,
    index: u8,
    upstream: &ScriptedServer,
    extra: &[&str],
) -> Resolver {
    let mut arguments: Vec<String> = vec![
        "--forward".into(),
        upstream.address.to_string(),
        "--allow-loopback-upstream".into(),
        "--no-dnssec".into(),
    ];
    arguments.extend(extra.iter().map(|flag| flag.to_string()));
    Resolver::start(loopback_for(test, index), &arguments)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

/// The root's own NXDOMAIN for every name it has no script for: SOA `.` with `ttl` and `minimum`.
fn nxdomain(ttl: u32, minimum: u32) -> Reply {
    Reply::negative(
        ResponseCode::NXDomain,
        start_of_authority(&Name::root(), ttl, minimum),
    )
}

fn soa_ttl(answer: &DigAnswer) -> u32 {
    match answer
        .authorities
        .iter()
        .find(|record| record.record_type == "SOA")
    {
        Some(soa) => soa.ttl,
        None => panic!("no SOA in the authority section:\n{}", answer.output),
    }
}

#[test]
fn max_negative_ttl_caps_the_ttl_of_the_soa_a_negative_answer_carries() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "max_negative_ttl_caps_the_ttl_of_the_soa";
    let root = start_root(loopback_for(test, 1), |_, _| nxdomain(3600, 3600));
    let capped = resolver_from_root(test, 0, &root, &["--max-negative-ttl", "5"]);
    let first = ask(&dig_path, &capped, "missing.capped.test.", "A");
    assert_eq!(first.status, "NXDOMAIN", "{}", first.output);
    assert_eq!(soa_ttl(&first), 5, "{}", first.output);
    // From the cache: still within the cap, and not asked again.
    let again = ask(&dig_path, &capped, "missing.capped.test.", "A");
    assert_eq!(again.status, "NXDOMAIN", "{}", again.output);
    assert!(soa_ttl(&again) <= 5, "{}", again.output);
    assert_eq!(root.times_asked("missing.capped.test. A"), 1);

    // Without the flag the default cap (3600) leaves the server's TTL alone.
    let plain = resolver_from_root(test, 2, &root, &[]);
    let uncapped = ask(&dig_path, &plain, "missing.plain.test.", "A");
    assert_eq!(uncapped.status, "NXDOMAIN", "{}", uncapped.output);
    assert_eq!(soa_ttl(&uncapped), 3600, "{}", uncapped.output);
}

#[test]
fn a_negative_answer_lives_the_lesser_of_the_soa_ttl_and_its_minimum() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "a_negative_answer_lives_the_lesser_of_the_soa_ttl_and_its_minimum";
    // RFC 2308 §5: min(SOA TTL, SOA MINIMUM), whichever of the two is the smaller.
    for (index, (ttl, minimum, lesser)) in [(300, 60, 60), (40, 600, 40)].into_iter().enumerate() {
        let index = u8::try_from(index * 2).unwrap_or(0);
        let root = start_root(loopback_for(test, index + 1), move |_, _| {
            nxdomain(ttl, minimum)
        });
        let resolver = resolver_from_root(test, index, &root, &[]);
        for _ in 0..2 {
            let answer = ask(&dig_path, &resolver, "missing.negative.test.", "A");
            assert_eq!(answer.status, "NXDOMAIN", "{}", answer.output);
            let shown = soa_ttl(&answer);
            assert!(
                shown <= lesser && shown + 5 >= lesser,
                "SOA TTL {ttl}, MINIMUM {minimum}: dig shows {shown}\n{}",
                answer.output
            );
        }
        // The second answer came from the cache.
        assert_eq!(root.times_asked("missing.negative.test. A"), 1);
    }
}

#[test]
fn a_ttl_0_answer_reaches_the_client_but_is_asked_upstream_every_time() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "a_ttl_0_answer_reaches_the_client_but_is_asked_upstream";
    let root = start_root(loopback_for(test, 1), |qname, qtype| {
        let ttl = if *qname == name("zero.ttl.test.") {
            0
        } else {
            300
        };
        if qtype == RecordType::A {
            Reply::answer(vec![address(qname, ttl, v4(192, 0, 2, 1))])
        } else {
            nxdomain(LONG_TTL, LONG_TTL)
        }
    });
    let resolver = resolver_from_root(test, 0, &root, &[]);
    for _ in 0..3 {
        let zero = ask(&dig_path, &resolver, "zero.ttl.test.", "A");
        assert_eq!(zero.status, "NOERROR", "{}", zero.output);
        assert_eq!(zero.answers.len(), 1, "{}", zero.output);
        assert_eq!(
            (zero.answers[0].ttl, zero.answers[0].data.as_str()),
            (0, "192.0.2.1"),
            "{}",
            zero.output
        );
        let kept = ask(&dig_path, &resolver, "kept.ttl.test.", "A");
        assert_eq!(kept.answers[0].data, "192.0.2.1", "{}", kept.output);
    }
    // Every client question for the TTL 0 name went upstream; the TTL 300 one was cached.
    assert_eq!(
        root.times_asked("zero.ttl.test. A"),
        3,
        "{:?}",
        root.questions()
    );
    assert_eq!(
        root.times_asked("kept.ttl.test. A"),
        1,
        "{:?}",
        root.questions()
    );
}

/// The A records of `pool.rr.test.` as dig shows them, `times` answers in a row.
fn orders(dig_path: &Path, resolver: &Resolver, times: usize) -> Vec<Vec<String>> {
    (0..times)
        .map(|_| {
            let answer = ask(dig_path, resolver, "pool.rr.test.", "A");
            assert_eq!(answer.answers.len(), 4, "{}", answer.output);
            answer
                .answers
                .iter()
                .map(|record| record.data.clone())
                .collect()
        })
        .collect()
}

#[test]
fn rrset_roundrobin_rotates_a_multi_record_rrset_across_answers() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "rrset_roundrobin_rotates_a_multi_record_rrset_across_answers";
    let root = start_root(loopback_for(test, 1), |qname, qtype| {
        if qtype == RecordType::A {
            Reply::answer(
                (1..=4)
                    .map(|last| address(qname, LONG_TTL, v4(192, 0, 2, last)))
                    .collect(),
            )
        } else {
            nxdomain(LONG_TTL, LONG_TTL)
        }
    });
    // Round-robin is on by default (Unbound's default): the order is the query ID's turn, so
    // eleven answers from the cache all in one order would be a 4^-10 chance. The first answer
    // comes from the resolution; the others are cache hits (the wire fast path), which rotate too.
    let rotating = resolver_from_root(test, 0, &root, &[]);
    let seen = orders(&dig_path, &rotating, 12);
    assert_eq!(
        root.times_asked("pool.rr.test. A"),
        1,
        "{:?}",
        root.questions()
    );
    let mut distinct = seen[1..].to_vec();
    distinct.sort();
    distinct.dedup();
    assert!(
        distinct.len() > 1,
        "cached answers always in one order: {seen:?}"
    );
    for order in &distinct {
        let mut records = order.clone();
        records.sort();
        assert_eq!(
            records,
            ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]
        );
    }

    let fixed = resolver_from_root(test, 2, &root, &["--no-rrset-roundrobin"]);
    let seen = orders(&dig_path, &fixed, 12);
    assert!(
        seen.iter().all(|order| *order == seen[0]),
        "the order changed without round-robin: {seen:?}"
    );
}

#[test]
fn a_transparent_local_zone_answers_its_data_and_resolves_other_names() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "a_transparent_local_zone_answers_its_data_and_resolves_other_names";
    let root = start_root(loopback_for(test, 1), |qname, qtype| {
        if qtype == RecordType::A {
            Reply::answer(vec![address(qname, LONG_TTL, v4(192, 0, 2, 80))])
        } else {
            nxdomain(LONG_TTL, LONG_TTL)
        }
    });
    let resolver = resolver_from_root(
        test,
        0,
        &root,
        &[
            "--local-zone",
            "corp.test. transparent",
            "--local-data",
            "intranet.corp.test. 600 IN A 10.1.2.3",
        ],
    );
    let local = ask(&dig_path, &resolver, "intranet.corp.test.", "A");
    assert_eq!(local.status, "NOERROR", "{}", local.output);
    assert!(local.flags.contains(&"aa".to_string()), "{}", local.output);
    assert_eq!(
        (local.answers[0].ttl, local.answers[0].data.as_str()),
        (600, "10.1.2.3"),
        "{}",
        local.output
    );
    // Another type of a name with local data: NODATA, locally.
    let other_type = ask(&dig_path, &resolver, "intranet.corp.test.", "AAAA");
    assert_eq!(other_type.status, "NOERROR", "{}", other_type.output);
    assert!(other_type.answers.is_empty(), "{}", other_type.output);
    // A name without local data is resolved (a static zone would say NXDOMAIN).
    let resolved = ask(&dig_path, &resolver, "www.corp.test.", "A");
    assert_eq!(resolved.status, "NOERROR", "{}", resolved.output);
    assert_eq!(
        resolved.answers[0].data, "192.0.2.80",
        "{}",
        resolved.output
    );
    assert!(
        !resolved.flags.contains(&"aa".to_string()),
        "{}",
        resolved.output
    );
    let asked: Vec<String> = root
        .questions()
        .into_iter()
        .filter(|question| question.contains("corp.test."))
        .collect();
    assert_eq!(asked, ["www.corp.test. A"]);
}

#[test]
fn nodefault_sends_a_default_reverse_zone_upstream() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "nodefault_sends_a_default_reverse_zone_upstream";
    let upstream = start_root(loopback_for(test, 1), |qname, qtype| {
        if qtype == RecordType::PTR {
            Reply::answer(vec![Record::from_rdata(
                qname.clone(),
                LONG_TTL,
                RData::PTR(PTR(name("printer.corp.test."))),
            )])
        } else {
            nxdomain(LONG_TTL, LONG_TTL)
        }
    });
    // A forwarding resolver (no root hints) keeps every default zone: 10.in-addr.arpa. is answered
    // NXDOMAIN locally, as RFC 6303 asks, and never forwarded.
    let defaults = forwarding_resolver(test, 0, &upstream, &[]);
    let local = ask(&dig_path, &defaults, "5.1.0.10.in-addr.arpa.", "PTR");
    assert_eq!(local.status, "NXDOMAIN", "{}", local.output);
    assert_eq!(
        local.authorities[0].name, "10.in-addr.arpa.",
        "{}",
        local.output
    );
    assert!(
        upstream.questions().is_empty(),
        "{:?}",
        upstream.questions()
    );

    // nodefault turns that zone off: the site's own servers answer its reverse names.
    let turned_off = forwarding_resolver(
        test,
        2,
        &upstream,
        &["--local-zone", "10.in-addr.arpa. nodefault"],
    );
    let forwarded = ask(&dig_path, &turned_off, "5.1.0.10.in-addr.arpa.", "PTR");
    assert_eq!(forwarded.status, "NOERROR", "{}", forwarded.output);
    assert_eq!(
        forwarded.answers[0].data, "printer.corp.test.",
        "{}",
        forwarded.output
    );
    assert_eq!(upstream.times_asked("5.1.0.10.in-addr.arpa. PTR"), 1);
    // The other default zones stay on.
    let still_local = ask(&dig_path, &turned_off, "1.1.168.192.in-addr.arpa.", "PTR");
    assert_eq!(still_local.status, "NXDOMAIN", "{}", still_local.output);
    assert_eq!(upstream.questions().len(), 1, "{:?}", upstream.questions());
}

#[test]
fn always_refuse_refuses_names_of_the_zone_even_those_with_local_data() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "always_refuse_refuses_names_of_the_zone_even_those_with_local_data";
    let upstream = start_root(loopback_for(test, 1), |qname, qtype| {
        if qtype == RecordType::A {
            Reply::answer(vec![address(qname, LONG_TTL, v4(192, 0, 2, 80))])
        } else {
            nxdomain(LONG_TTL, LONG_TTL)
        }
    });
    let zone = |kind: &str| format!("ads.example. {kind}");
    let data = "tracker.ads.example. A 192.0.2.99";
    let always = forwarding_resolver(
        test,
        0,
        &upstream,
        &["--local-zone", &zone("always_refuse"), "--local-data", data],
    );
    for name in ["tracker.ads.example.", "other.ads.example.", "ads.example."] {
        let refused = ask(&dig_path, &always, name, "A");
        assert_eq!(refused.status, "REFUSED", "{name}\n{}", refused.output);
        assert!(refused.answers.is_empty(), "{}", refused.output);
    }
    // Names outside the zone are resolved as usual.
    let outside = ask(&dig_path, &always, "www.example.", "A");
    assert_eq!(outside.answers[0].data, "192.0.2.80", "{}", outside.output);
    assert_eq!(upstream.questions(), ["www.example. A"]);

    // Plain `refuse` (the control): the local data still answers, only other names are refused.
    let plain = forwarding_resolver(
        test,
        2,
        &upstream,
        &["--local-zone", &zone("refuse"), "--local-data", data],
    );
    let answered = ask(&dig_path, &plain, "tracker.ads.example.", "A");
    assert_eq!(answered.status, "NOERROR", "{}", answered.output);
    assert_eq!(
        answered.answers[0].data, "192.0.2.99",
        "{}",
        answered.output
    );
}

/// The three servers of the scrubbing test: the root delegating `child.test.` to `ns.child.test.`
/// (the child), whose answers carry a promiscuous NS set naming `ns.child.test.`'s rival
/// `ns2.child.test.` (the rival, a server of the test's own that records what it is asked).
struct PromiscuousChild {
    root: ScriptedServer,
    child: ScriptedServer,
    rival: ScriptedServer,
}

fn promiscuous_child(test: &str) -> PromiscuousChild {
    let child_zone = name("child.test.");
    let child_server = name_server_name(&child_zone);
    let rival_server = name("ns2.child.test.");
    let child_address = loopback_for(test, 2);
    let rival_address = loopback_for(test, 3);
    let root = {
        let (zone, server) = (child_zone.clone(), child_server.clone());
        start_root(loopback_for(test, 1), move |qname, _| {
            if !zone.zone_of(qname) {
                return nxdomain(LONG_TTL, LONG_TTL);
            }
            Reply {
                authorities: vec![name_server(&zone, LONG_TTL, &server)],
                additionals: vec![address(&server, LONG_TTL, child_address.ip())],
                ..Reply::default()
            }
        })
    };
    let child = {
        let (zone, server, rival) = (child_zone.clone(), child_server, rival_server.clone());
        let script = by_question(move |qname, qtype| {
            let own = [(&server, child_address.ip()), (&rival, rival_address.ip())];
            if let Some((_, ip)) = own.iter().find(|(host, _)| *host == qname) {
                return if qtype == RecordType::A {
                    Reply::answer(vec![address(qname, LONG_TTL, *ip)])
                } else {
                    Reply::negative(
                        ResponseCode::NoError,
                        start_of_authority(&zone, LONG_TTL, LONG_TTL),
                    )
                };
            }
            if qtype != RecordType::A {
                return Reply::negative(
                    ResponseCode::NoError,
                    start_of_authority(&zone, LONG_TTL, LONG_TTL),
                );
            }
            // The answer, and beside it an NS set the parent never gave, with its address.
            let mut reply = Reply::answer(vec![address(qname, LONG_TTL, v4(192, 0, 2, 7))]);
            reply.authorities = vec![name_server(&zone, LONG_TTL, &rival)];
            reply.additionals = vec![address(&rival, LONG_TTL, rival_address.ip())];
            reply
        });
        ScriptedServer::start(child_address, script)
            .unwrap_or_else(|error| panic!("{child_address}: {error}"))
    };
    let rival = {
        let script = by_question(|qname, qtype| {
            if qtype == RecordType::A {
                Reply::answer(vec![address(qname, LONG_TTL, v4(192, 0, 2, 66))])
            } else {
                nxdomain(LONG_TTL, LONG_TTL)
            }
        });
        ScriptedServer::start(rival_address, script)
            .unwrap_or_else(|error| panic!("{rival_address}: {error}"))
    };
    PromiscuousChild { root, child, rival }
}

#[test]
fn a_promiscuous_ns_set_beside_an_answer_does_not_replace_the_parents_delegation() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "a_promiscuous_ns_set_beside_an_answer_does_not_replace_the_delegation";
    let servers = promiscuous_child(test);
    // Scrubbing is on by default (Unbound's iter-scrub-promiscuous).
    let resolver = resolver_from_root(test, 0, &servers.root, &[]);
    let first = ask(&dig_path, &resolver, "www.child.test.", "A");
    assert_eq!(first.answers[0].data, "192.0.2.7", "{}", first.output);
    let next = ask(&dig_path, &resolver, "next.child.test.", "A");
    assert_eq!(next.answers[0].data, "192.0.2.7", "{}", next.output);
    assert_eq!(servers.child.times_asked("next.child.test. A"), 1);
    assert!(
        servers.rival.questions().is_empty(),
        "the rival NS set was used: {:?}",
        servers.rival.questions()
    );

    // The control: with scrubbing off, the child's own NS set outranks the referral's (RFC
    // 2181 §5.4.1) and the next question goes to the rival.
    let unscrubbed = resolver_from_root(test, 4, &servers.root, &["--no-scrub-promiscuous"]);
    let first = ask(&dig_path, &unscrubbed, "www2.child.test.", "A");
    assert_eq!(first.answers[0].data, "192.0.2.7", "{}", first.output);
    let next = ask(&dig_path, &unscrubbed, "next2.child.test.", "A");
    assert_eq!(next.answers[0].data, "192.0.2.66", "{}", next.output);
    assert_eq!(servers.rival.times_asked("next2.child.test. A"), 1);
}

/// Polls `resolver` for `stale.expired.test. A` until the answer is no longer stale; returns
/// how many stale answers (EDE 3 with the old data) came first, and the last answer.
fn stale_answers_until_refused(dig_path: &Path, resolver: &Resolver) -> (usize, DigAnswer) {
    let deadline = Instant::now() + POLL_BUDGET;
    let mut stale = 0;
    loop {
        let answer = ask(dig_path, resolver, "stale.expired.test.", "A");
        let is_stale = answer.extended_errors.contains(&3)
            && answer.answers.first().map(|record| record.data.as_str()) == Some("192.0.2.5");
        if !is_stale || Instant::now() >= deadline {
            return (stale, answer);
        }
        stale += 1;
        thread::sleep(POLL_INTERVAL);
    }
}

#[test]
fn past_serve_expired_ttl_stale_data_is_no_longer_served() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "past_serve_expired_ttl_stale_data_is_no_longer_served";
    let root = start_root(loopback_for(test, 1), |qname, qtype| {
        if qtype == RecordType::A {
            Reply::answer(vec![address(qname, 1, v4(192, 0, 2, 5))])
        } else {
            nxdomain(LONG_TTL, LONG_TTL)
        }
    });
    // Stale for at most 3 s past expiry; the control serves stale data without a limit.
    let limited = resolver_from_root(
        test,
        0,
        &root,
        &["--serve-expired", "--serve-expired-ttl", "3"],
    );
    let unlimited = resolver_from_root(
        test,
        2,
        &root,
        &["--serve-expired", "--serve-expired-ttl", "0"],
    );
    for resolver in [&limited, &unlimited] {
        let fresh = ask(&dig_path, resolver, "stale.expired.test.", "A");
        assert_eq!(fresh.answers[0].data, "192.0.2.5", "{}", fresh.output);
        assert!(fresh.extended_errors.is_empty(), "{}", fresh.output);
    }
    // The only server goes away: every refresh fails from now on.
    drop(root);

    // Wait for the entry to expire: the first stale answer.
    let deadline = Instant::now() + POLL_BUDGET;
    while ask(&dig_path, &limited, "stale.expired.test.", "A")
        .extended_errors
        .is_empty()
    {
        assert!(Instant::now() < deadline, "{}", limited.output());
        thread::sleep(POLL_INTERVAL);
    }
    let (stale, last) = stale_answers_until_refused(&dig_path, &limited);
    assert_eq!(
        last.status, "SERVFAIL",
        "still stale after {POLL_BUDGET:?}:\n{}",
        last.output
    );
    assert!(last.answers.is_empty(), "{}", last.output);
    assert!(stale > 0, "no stale answer within the limit");
    // At the same moment the resolver without a limit still serves the stale data.
    let kept = ask(&dig_path, &unlimited, "stale.expired.test.", "A");
    assert_eq!(kept.extended_errors, vec![3], "{}", kept.output);
    assert_eq!(kept.answers[0].data, "192.0.2.5", "{}", kept.output);
}

#[test]
fn the_yaml_config_sets_the_negative_ttl_cap_round_robin_and_local_zone_types() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "the_yaml_config_sets_the_negative_ttl_cap_round_robin_and_local_zone_types";
    let root = start_root(loopback_for(test, 1), |qname, qtype| {
        if *qname == name("pool.rr.test.") && qtype == RecordType::A {
            Reply::answer(
                (1..=4)
                    .map(|last| address(qname, LONG_TTL, v4(192, 0, 2, last)))
                    .collect(),
            )
        } else {
            nxdomain(3600, 3600)
        }
    });
    let directory = TempDir::new("cache-rules-yaml").unwrap_or_else(|error| panic!("{error}"));
    let config = directory
        .write(
            "resolver.yaml",
            "max-negative-ttl: 7\nrrset-roundrobin: false\nlocal-zones:\n  - \"ads.example. always_refuse\"\n  - \"corp.test. transparent\"\nlocal-data:\n  - \"intranet.corp.test. A 10.1.2.3\"\n",
        )
        .unwrap_or_else(|error| panic!("{error}"));
    let resolver = resolver_from_root(test, 0, &root, &["--config", &config.display().to_string()]);
    let negative = ask(&dig_path, &resolver, "missing.yaml.test.", "A");
    assert_eq!(negative.status, "NXDOMAIN", "{}", negative.output);
    assert_eq!(soa_ttl(&negative), 7, "{}", negative.output);
    let seen = orders(&dig_path, &resolver, 8);
    assert!(
        seen.iter().all(|order| *order == seen[0]),
        "rotated despite rrset-roundrobin: false: {seen:?}"
    );
    let refused = ask(&dig_path, &resolver, "x.ads.example.", "A");
    assert_eq!(refused.status, "REFUSED", "{}", refused.output);
    let local = ask(&dig_path, &resolver, "intranet.corp.test.", "A");
    assert_eq!(local.answers[0].data, "10.1.2.3", "{}", local.output);
    let resolved = ask(&dig_path, &resolver, "www.corp.test.", "A");
    assert_eq!(resolved.status, "NXDOMAIN", "{}", resolved.output);
    assert_eq!(root.times_asked("www.corp.test. A"), 1);
    assert_eq!(root.times_asked("x.ads.example. A"), 0);
}
