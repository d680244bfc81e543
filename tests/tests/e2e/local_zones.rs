//! The resolver's local answers as a client sees them through dig: Unbound-style local zones
//! from flags and YAML, the RFC 6761/6303 default zones, identity and NSID, private addresses.

use e2e::{dig, loopback_for, require_tool, shared_lab, Resolver, TempDir};

fn start(test: &str, arguments: &[&str]) -> Resolver {
    let arguments: Vec<String> = arguments.iter().map(|text| text.to_string()).collect();
    Resolver::start(loopback_for(test, 0), &arguments)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

/// The forwarder is an address of this test where nothing listens: an answer can only be local.
fn dead_forwarder(test: &str) -> String {
    loopback_for(test, 1).to_string()
}

#[test]
fn default_zones_are_answered_without_any_upstream_query() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "default_zones_are_answered_without_any_upstream_query";
    let forwarder = dead_forwarder(test);
    let resolver = start(
        test,
        &["--forward", &forwarder, "--allow-loopback-upstream"],
    );
    let ask = |name: &str, record_type: &str| {
        dig(&dig_path, resolver.address, name, record_type, &[])
            .unwrap_or_else(|error| panic!("{error}"))
    };
    let localhost = ask("localhost.", "A");
    assert_eq!(localhost.status, "NOERROR", "{}", localhost.output);
    assert!(
        localhost.flags.contains(&"aa".to_string()),
        "{}",
        localhost.output
    );
    assert_eq!(localhost.answers[0].data, "127.0.0.1");
    let private_reverse = ask("1.0.0.10.in-addr.arpa.", "PTR");
    assert_eq!(
        private_reverse.status, "NXDOMAIN",
        "{}",
        private_reverse.output
    );
    assert_eq!(private_reverse.authorities[0].name, "10.in-addr.arpa.");
    for name in ["www.test.", "a.onion.", "printer.home.arpa.", "x.invalid."] {
        assert_eq!(ask(name, "A").status, "NXDOMAIN", "{name}");
    }
    assert_eq!(resolver.statistic("upstream.queries"), 0);
}

#[test]
fn the_labs_own_root_serves_test_unless_default_zones_all_is_asked_for() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "the_labs_own_root_serves_test_unless_default_zones_all";
    let auto = Resolver::iterating(&lab, loopback_for(test, 0), &[])
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let from_lab = dig(&dig_path, auto.address, "example.test.", "A", &[])
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(from_lab.status, "NOERROR", "{}", from_lab.output);
    assert_eq!(from_lab.answers[0].data, "192.0.2.10");
    let localhost = dig(&dig_path, auto.address, "localhost.", "AAAA", &[])
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(localhost.answers[0].data, "::1");
    let all = Resolver::iterating(&lab, loopback_for(test, 1), &["--default-zones", "all"])
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let local = dig(&dig_path, all.address, "example.test.", "A", &[])
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(local.status, "NXDOMAIN", "{}", local.output);
    assert!(local.flags.contains(&"aa".to_string()));
}

#[test]
fn local_zones_from_the_yaml_config_answer_refuse_and_drop() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "local_zones_from_the_yaml_config_answer_refuse_and_drop";
    let directory = TempDir::new("local-zones").unwrap_or_else(|error| panic!("{error}"));
    let config = directory.path().join("resolver.yaml");
    let text = format!(
        "forward: [\"{}\"]\nallow-loopback-upstream: true\nlocal-zones:\n  - \"home.lan. static\"\n  - \"ads.example. always_nxdomain\"\n  - \"blocked.example. refuse\"\n  - \"quiet.example. deny\"\n  - \"redirect.example. redirect\"\nlocal-data:\n  - \"home.lan. 3600 IN SOA ns.home.lan. admin.home.lan. 1 3600 600 86400 60\"\n  - \"nas.home.lan. 300 IN A 192.168.1.10\"\n  - \"redirect.example. A 192.0.2.99\"\nlocal-data-ptr:\n  - \"192.168.1.10 nas.home.lan.\"\n",
        dead_forwarder(test)
    );
    std::fs::write(&config, text).unwrap_or_else(|error| panic!("{error}"));
    let resolver = start(test, &["--config", &config.display().to_string()]);
    let ask =
        |name: &str, record_type: &str| dig(&dig_path, resolver.address, name, record_type, &[]);
    let nas = ask("nas.home.lan.", "A").unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        (nas.answers[0].ttl, nas.answers[0].data.as_str()),
        (300, "192.168.1.10")
    );
    let missing = ask("tv.home.lan.", "A").unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(missing.status, "NXDOMAIN");
    // RFC 2308 §3: the SOA's TTL is min(TTL, MINIMUM).
    assert_eq!(missing.authorities[0].ttl, 60);
    // The PTR lands in the default 168.192.in-addr.arpa zone, whose static type serves it.
    let pointer =
        ask("10.1.168.192.in-addr.arpa.", "PTR").unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(pointer.answers[0].data, "nas.home.lan.");
    let redirected =
        ask("www.deep.redirect.example.", "A").unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(redirected.answers[0].name, "www.deep.redirect.example.");
    assert_eq!(redirected.answers[0].data, "192.0.2.99");
    assert_eq!(
        ask("x.ads.example.", "A")
            .unwrap_or_else(|error| panic!("{error}"))
            .status,
        "NXDOMAIN"
    );
    assert_eq!(
        ask("x.blocked.example.", "A")
            .unwrap_or_else(|error| panic!("{error}"))
            .status,
        "REFUSED"
    );
    assert!(
        ask("x.quiet.example.", "A").is_err(),
        "deny must send nothing"
    );
    assert_eq!(resolver.statistic("upstream.queries"), 0);
}

#[test]
fn identity_version_and_nsid_are_answered_only_when_configured() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "identity_version_and_nsid_are_answered_only_when_configured";
    let forwarder = dead_forwarder(test);
    let quiet = start(
        test,
        &["--forward", &forwarder, "--allow-loopback-upstream"],
    );
    let refused = dig(
        &dig_path,
        quiet.address,
        "version.bind.",
        "TXT",
        &["-c", "CH"],
    )
    .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(refused.status, "REFUSED");
    let told = Resolver::start(
        loopback_for(test, 2),
        &[
            "--forward".to_string(),
            forwarder,
            "--allow-loopback-upstream".to_string(),
            "--identity".to_string(),
            "resolver-7".to_string(),
            "--nsid".to_string(),
            "ascii_site-7".to_string(),
        ],
    )
    .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let identity = dig(
        &dig_path,
        told.address,
        "id.server.",
        "TXT",
        &["-c", "CH", "+nsid"],
    )
    .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(identity.answers[0].data, "\"resolver-7\"");
    assert!(
        identity.output.contains("NSID: 73 69 74 65 2d 37"),
        "{}",
        identity.output
    );
    let localhost = dig(&dig_path, told.address, "localhost.", "A", &[])
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(
        !localhost.output.contains("NSID"),
        "NSID only when asked: {}",
        localhost.output
    );
}

#[test]
fn private_addresses_are_stripped_from_lab_answers_outside_private_domains() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "private_addresses_are_stripped_from_lab_answers";
    let strict = Resolver::iterating(
        &lab,
        loopback_for(test, 0),
        &["--private-address", "192.0.2.0/24"],
    )
    .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let stripped = dig(&dig_path, strict.address, "example.test.", "A", &[])
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(stripped.status, "NOERROR", "{}", stripped.output);
    assert!(stripped.answers.is_empty(), "{}", stripped.output);
    // From the cache too.
    let again = dig(&dig_path, strict.address, "example.test.", "A", &[])
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(again.answers.is_empty(), "{}", again.output);
    let allowed = Resolver::iterating(
        &lab,
        loopback_for(test, 1),
        &[
            "--private-address",
            "192.0.2.0/24",
            "--private-domain",
            "example.test",
        ],
    )
    .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let kept = dig(&dig_path, allowed.address, "example.test.", "A", &[])
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(kept.answers[0].data, "192.0.2.10");
}
