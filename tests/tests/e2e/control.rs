//! The control commands (unbound-control's names) through the real control socket of a `resolver`
//! walking the lab: what each command empties or shows, judged by the `upstream.queries` counter.
//! A warm restart: dump_cache, a new daemon, load_cache, answers without one upstream query.

use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::{Command, Stdio};
use std::time::Duration;

use e2e::client::{build_query, exchange_udp};
use e2e::{loopback_for, shared_lab, workspace_binary, Lab, Resolver};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;

const CLIENT_WAIT: Duration = Duration::from_secs(10);

fn start(lab: &Lab, test: &str, index: u8, extra: &[&str]) -> Resolver {
    Resolver::iterating(lab, loopback_for(test, index), extra)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

fn ask(resolver: &Resolver, name: &str, record_type: RecordType) -> Message {
    let query = build_query(name, record_type).unwrap_or_else(|error| panic!("{error}"));
    exchange_udp(resolver.address, &query, CLIENT_WAIT)
        .unwrap_or_else(|error| panic!("{name}: {error}\nresolver output:\n{}", resolver.output()))
}

/// Upstream queries the question cost (0: answered from the cache), and the reply.
fn cost(resolver: &Resolver, name: &str, record_type: RecordType) -> (u64, Message) {
    let before = resolver.statistic("upstream.queries");
    let reply = ask(resolver, name, record_type);
    (resolver.statistic("upstream.queries") - before, reply)
}

/// `resolver --control SOCKET WORDS...` with `input` on stdin: (success, stdout, stderr).
fn control(resolver: &Resolver, words: &[&str], input: &str) -> (bool, String, String) {
    let mut child = Command::new(workspace_binary("resolver", "resolver"))
        .arg("--control")
        .arg(&resolver.control)
        .args(words)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run the control client: {error}"));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let output = child
        .wait_with_output()
        .unwrap_or_else(|error| panic!("control client: {error}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn control_ok(resolver: &Resolver, words: &[&str], input: &str) -> String {
    let (success, stdout, stderr) = control(resolver, words, input);
    assert!(success, "{words:?} failed: {stderr}");
    stdout
}

#[test]
fn control_socket_is_private_to_the_daemons_user() {
    let lab = shared_lab();
    let resolver = start(&lab, "control_socket_is_private", 0, &[]);
    let metadata = std::fs::metadata(&resolver.control).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    let own = std::fs::metadata("/proc/self").map_or(u32::MAX, |own| own.uid());
    assert_eq!(metadata.uid(), own, "owned by the daemon's user");
}

#[test]
fn flush_commands_empty_what_they_name_and_nothing_else() {
    let lab = shared_lab();
    let resolver = start(&lab, "flush_commands_empty_what_they_name", 0, &[]);
    for (name, record_type) in [
        ("www.example.test.", RecordType::A),
        ("www.example.test.", RecordType::MX),
        ("mail.example.test.", RecordType::A),
        ("mail.example.test.", RecordType::AAAA),
        ("www.shop.test.", RecordType::A),
        ("missing.example.test.", RecordType::A),
    ] {
        ask(&resolver, name, record_type);
    }
    let cached = |name: &str, record_type: RecordType| cost(&resolver, name, record_type).0 == 0;
    assert!(cached("www.example.test.", RecordType::A));

    // flush_type NAME TYPE: that type of that name only.
    let flushed = control_ok(&resolver, &["flush_type", "mail.example.test.", "A"], "");
    assert!(!flushed.starts_with("ok: removed 0 "), "{flushed}");
    assert!(cached("mail.example.test.", RecordType::AAAA), "AAAA stays");
    assert!(
        !cached("mail.example.test.", RecordType::A),
        "A was flushed"
    );

    // flush NAME: every type of the name (www is a CNAME to the apex: the apex stays).
    control_ok(&resolver, &["flush", "mail.example.test."], "");
    assert!(!cached("mail.example.test.", RecordType::AAAA));
    assert!(
        cached("example.test.", RecordType::MX),
        "another name stays"
    );

    // flush_zone NAME: the name and everything below it; other zones stay.
    let flushed = control_ok(&resolver, &["flush_zone", "example.test."], "");
    assert!(flushed.starts_with("ok: removed "), "{flushed}");
    assert!(cached("www.shop.test.", RecordType::A), "shop.test. stays");
    assert!(!cached("example.test.", RecordType::MX));

    // flush_negative: NXDOMAIN and NODATA go, positive answers stay.
    let (_, nxdomain) = cost(&resolver, "missing.example.test.", RecordType::A);
    assert_eq!(nxdomain.metadata.response_code, ResponseCode::NXDomain);
    assert!(cached("missing.example.test.", RecordType::A));
    let flushed = control_ok(&resolver, &["flush_negative"], "");
    assert!(flushed.starts_with("ok: removed "), "{flushed}");
    assert!(!flushed.starts_with("ok: removed 0 "), "{flushed}");
    assert!(cached("www.shop.test.", RecordType::A));
    assert!(!cached("missing.example.test.", RecordType::A));

    // flush (no name): everything.
    assert_eq!(control_ok(&resolver, &["flush"], ""), "flushed\n");
    assert!(!cached("www.shop.test.", RecordType::A));
}

#[test]
fn flush_bogus_forgets_a_failed_chain_of_trust_and_it_is_judged_again() {
    let lab = shared_lab();
    let anchor = lab.trust_anchor();
    let resolver = start(
        &lab,
        "flush_bogus_forgets_a_failed_chain",
        0,
        &["--trust-anchor", &anchor],
    );
    let (_, bogus) = cost(&resolver, "www.bogus.test.", RecordType::A);
    assert_eq!(bogus.metadata.response_code, ResponseCode::ServFail);
    let flushed = control_ok(&resolver, &["flush_bogus"], "");
    assert!(flushed.starts_with("ok: removed "), "{flushed}");
    assert!(!flushed.starts_with("ok: removed 0 "), "{flushed}");
    // Judged again (from the cached DS and DNSKEY sets: no bogus data is ever cached): still bogus.
    let bogus = ask(&resolver, "www.bogus.test.", RecordType::A);
    assert_eq!(bogus.metadata.response_code, ResponseCode::ServFail);
    // Secure data is not touched.
    let (_, secure) = cost(&resolver, "www.example.test.", RecordType::A);
    assert_eq!(secure.metadata.response_code, ResponseCode::NoError);
}

#[test]
fn lookup_names_the_servers_and_flush_infra_forgets_what_was_learned_of_them() {
    let lab = shared_lab();
    let resolver = start(&lab, "lookup_names_the_servers", 0, &[]);
    ask(&resolver, "www.example.test.", RecordType::A);
    let lookup = control_ok(&resolver, &["lookup", "www.example.test."], "");
    assert!(
        lookup.starts_with("www.example.test.: delegation example.test. from the cache\n"),
        "{lookup}"
    );
    let server = lab.server_of("example.test.");
    assert!(
        lookup.contains(&format!(" {server} rtt ")),
        "{server} with its RTT in:\n{lookup}"
    );
    let forgotten = control_ok(&resolver, &["flush_infra", &server.ip().to_string()], "");
    assert!(forgotten.starts_with("ok: forgot "), "{forgotten}");
    assert!(!forgotten.starts_with("ok: forgot 0 "), "{forgotten}");
    let lookup = control_ok(&resolver, &["lookup", "www.example.test."], "");
    assert!(
        lookup.contains(&format!(" {server} not tried yet")),
        "{lookup}"
    );
    let all = control_ok(&resolver, &["flush_infra", "all"], "");
    assert!(!all.starts_with("ok: forgot 0 "), "{all}");
    // A name nothing is cached for starts from the root hints.
    let lookup = control_ok(&resolver, &["lookup", "nothing.lab."], "");
    assert!(
        lookup.starts_with("nothing.lab.: delegation lab. from the cache\n")
            || lookup.starts_with("nothing.lab.: delegation . from "),
        "{lookup}"
    );
}

#[test]
fn warm_restart_answers_from_the_loaded_dump_without_upstream_queries() {
    let lab = shared_lab();
    let test = "warm_restart_answers_from_the_loaded_dump";
    let names = [
        ("www.example.test.", RecordType::A),
        ("start.chain.test.", RecordType::A),
        ("www.glueless.test.", RecordType::A),
        ("missing.example.test.", RecordType::A),
    ];
    let dump = {
        let first = start(&lab, test, 0, &[]);
        for (name, record_type) in names {
            ask(&first, name, record_type);
        }
        let dump = control_ok(&first, &["dump_cache"], "");
        assert!(dump.contains("\nwww.example.test. "), "{dump}");
        dump
    };
    // The first daemon is gone; a new one starts cold on the same address.
    let second = start(&lab, test, 0, &[]);
    let loaded = control_ok(&second, &["load_cache"], &dump);
    assert!(loaded.starts_with("ok: loaded "), "{loaded}");
    assert!(loaded.contains("; 0 lines or blocks skipped"), "{loaded}");
    for (name, record_type) in names {
        let (queries, reply) = cost(&second, name, record_type);
        assert_eq!(queries, 0, "{name} cost upstream queries after load_cache");
        assert_ne!(
            reply.metadata.response_code,
            ResponseCode::ServFail,
            "{name}"
        );
        if name != "missing.example.test." {
            assert!(!reply.answers.is_empty(), "{name}: {reply:?}");
        }
    }
    let (success, _, stderr) = control(&second, &["load_cache"], "not a record\n");
    assert!(!success && stderr.contains("nothing loaded"), "{stderr}");
}

#[test]
fn list_commands_show_forward_and_local_zones_and_stats_noreset_keeps_counting() {
    let lab = shared_lab();
    let forwarded: SocketAddr = lab.server_of("shop.test.");
    let forward = format!("shop.test.={forwarded}");
    let resolver = start(
        &lab,
        "list_commands_show_forward_and_local_zones",
        0,
        &[
            "--forward-zone",
            &forward,
            "--local-zone",
            "blocked.test. always_nxdomain",
        ],
    );
    assert_eq!(
        control_ok(&resolver, &["list_forwards"], ""),
        format!("shop.test. IN forward {forwarded}\n")
    );
    let zones = control_ok(&resolver, &["list_local_zones"], "");
    assert!(zones.contains("blocked.test. always_nxdomain\n"), "{zones}");
    let lookup = control_ok(&resolver, &["lookup", "www.shop.test."], "");
    assert_eq!(
        lookup,
        format!("www.shop.test. is forwarded: zone shop.test. to {forwarded}\n")
    );
    ask(&resolver, "www.example.test.", RecordType::A);
    let first = control_ok(&resolver, &["stats_noreset"], "");
    assert!(first.contains("\nupstream.queries "), "{first}");
    ask(&resolver, "www.example.test.", RecordType::MX);
    let queries = |stats: &str| -> u64 {
        stats
            .lines()
            .find_map(|line| line.strip_prefix("queries "))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("no queries line in:\n{stats}"))
    };
    let second = control_ok(&resolver, &["stats_noreset"], "");
    assert_eq!(queries(&second), queries(&first) + 1, "not reset");
}

#[test]
fn reload_refuses_min_ttl_above_max_ttl_and_keeps_serving_with_the_old_settings() {
    let lab = shared_lab();
    let directory =
        e2e::TempDir::new("contradictory-ttls").unwrap_or_else(|error| panic!("{error}"));
    directory
        .write("resolver.yaml", "min-ttl: 5\nmax-ttl: 3600\n")
        .unwrap_or_else(|error| panic!("{error}"));
    let config = directory.path().join("resolver.yaml").display().to_string();
    let resolver = start(
        &lab,
        "reload_refuses_min_ttl_above_max_ttl",
        0,
        &["--config", &config],
    );
    let (_, reply) = cost(&resolver, "www.shop.test.", RecordType::A);
    assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
    directory
        .write("resolver.yaml", "min-ttl: 100\nmax-ttl: 10\n")
        .unwrap_or_else(|error| panic!("{error}"));
    let (_, stdout, stderr) = control(&resolver, &["reload"], "");
    let said = format!("{stdout}{stderr}");
    assert!(
        said.contains("keeping the old settings")
            && said.contains("min-ttl 100 is above max-ttl 10"),
        "{said}"
    );
    // Still serving, from the same cache.
    let (queries, reply) = cost(&resolver, "www.shop.test.", RecordType::A);
    assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
    assert_eq!(queries, 0, "the cache was kept");
}

/// The value of each sample whose name (with labels) starts with `prefix`, summed.
fn metric_sum(text: &str, prefix: &str) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(prefix))
        .filter_map(|line| line.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

#[test]
fn metrics_on_the_lab_move_with_queries_and_agree_with_stats() {
    let Some(curl) = e2e::require_tool("curl") else {
        return;
    };
    let lab = shared_lab();
    let test = "metrics_on_the_lab_move_with_queries";
    let metrics = loopback_for(test, 1).to_string();
    let resolver = start(&lab, test, 0, &["--metrics", &metrics]);
    for name in [
        "www.example.test.",
        "start.chain.test.",
        "www.example.test.",
    ] {
        let reply = ask(&resolver, name, RecordType::A);
        assert_eq!(
            reply.metadata.response_code,
            ResponseCode::NoError,
            "{name}"
        );
    }
    let output = Command::new(curl)
        .args([
            "-sS",
            "--max-time",
            "10",
            &format!("http://{metrics}/metrics"),
        ])
        .output()
        .unwrap_or_else(|error| panic!("curl: {error}"));
    assert!(output.status.success(), "curl failed: {output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        metric_sum(&text, "resolver_queries_total{protocol=\"udp\"}"),
        3.0,
        "{text}"
    );
    let upstream = metric_sum(&text, "resolver_upstream_queries_total{");
    assert!(upstream > 0.0, "{text}");
    assert_eq!(
        upstream,
        resolver.statistic("upstream.queries") as f64,
        "/metrics and stats disagree:\n{text}"
    );
}

#[test]
fn signature_checks_count_the_validation_work_and_a_cache_hit_does_none() {
    let Some(curl) = e2e::require_tool("curl") else {
        return;
    };
    let lab = shared_lab();
    let anchor = lab.trust_anchor();
    let test = "signature_checks_count_the_validation_work";
    let metrics = loopback_for(test, 1).to_string();
    let resolver = start(
        &lab,
        test,
        0,
        &["--trust-anchor", &anchor, "--metrics", &metrics],
    );
    assert_eq!(resolver.statistic("dnssec.signature_checks"), 0);
    let reply = ask(&resolver, "www.example.test.", RecordType::A);
    assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
    // The chain from the lab's root (DNSKEY sets of ., test. and example.test.) and the answer.
    let checks = resolver.statistic("dnssec.signature_checks");
    assert!(
        checks >= 4,
        "only {checks} signature checks for a validated walk"
    );
    assert_eq!(resolver.statistic("dnssec.secure"), 1);
    // The cached answer carries its stored verdict: no signature is checked again.
    let again = ask(&resolver, "www.example.test.", RecordType::A);
    let data = |message: &Message| -> Vec<String> {
        message
            .answers
            .iter()
            .map(|record| record.data.to_string())
            .collect()
    };
    assert_eq!(data(&again), data(&reply));
    assert_eq!(resolver.statistic("dnssec.signature_checks"), checks);
    assert_eq!(resolver.statistic("dnssec.secure"), 2);
    let output = Command::new(curl)
        .args([
            "-sS",
            "--max-time",
            "10",
            &format!("http://{metrics}/metrics"),
        ])
        .output()
        .unwrap_or_else(|error| panic!("curl: {error}"));
    assert!(output.status.success(), "curl failed: {output:?}");
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        metric_sum(&text, "resolver_dnssec_signature_checks_total "),
        checks as f64,
        "/metrics and stats disagree:\n{text}"
    );
    assert_eq!(
        metric_sum(&text, "resolver_validation_total{outcome=\"secure\"}"),
        2.0,
        "{text}"
    );
}
