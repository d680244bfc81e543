//! Unbound's access-control actions, client tags, local-zone-override, DNS cookies and
//! for-upstream auth zones, as a client sees them through dig from addresses of its own
//! (`dig -b`): no upstream is ever needed.

use e2e::{dig, loopback_for, require_tool, Resolver};

fn start(test: &str, arguments: &[String]) -> Resolver {
    Resolver::start(loopback_for(test, 0), arguments)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

/// The `i`th client address of a test, as dig's `-b` source.
fn client(test: &str, index: u8) -> String {
    loopback_for(test, index).ip().to_string()
}

fn arguments(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|text| text.to_string()).collect()
}

#[test]
fn refused_clients_get_ede_18_denied_ones_nothing_and_allowed_ones_the_answer() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "refused_clients_get_ede_18_denied_ones_nothing";
    let (refused, denied, allowed) = (client(test, 1), client(test, 2), client(test, 3));
    let mut flags = arguments(&["--local-data", "www.acl.example. 300 A 192.0.2.1"]);
    for rule in [format!("{refused}/32 refuse"), format!("{denied} deny")] {
        flags.extend(["--access-control".to_string(), rule]);
    }
    let resolver = start(test, &flags);
    let from = |source: &str, extra: &[&str]| {
        let mut all = vec!["-b", source];
        all.extend_from_slice(extra);
        dig(&dig_path, resolver.address, "www.acl.example.", "A", &all)
    };
    let answer = from(&refused, &[]).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(answer.status, "REFUSED", "{}", answer.output);
    assert_eq!(
        answer.extended_errors,
        [18],
        "EDE 18 Prohibited\n{}",
        answer.output
    );
    assert!(answer.answers.is_empty());
    assert!(
        from(&denied, &[]).is_err(),
        "a denied client gets no answer at all"
    );
    let answer = from(&allowed, &[]).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(answer.answers[0].data, "192.0.2.1");
}

#[test]
fn tagged_clients_see_tagged_zones_with_their_own_action_and_data() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "tagged_clients_see_tagged_zones";
    let (kid, blocked, other) = (client(test, 1), client(test, 2), client(test, 3));
    let mut flags = arguments(&[
        "--define-tag",
        "kids blocked",
        "--local-zone",
        "example. static",
        "--local-zone",
        "games.example. redirect",
        "--local-data",
        "games.example. 300 A 192.0.2.10",
        "--local-zone-tag",
        "games.example. \"kids blocked\"",
        "--local-zone",
        "school.example. static",
        "--local-data",
        "school.example. 300 A 192.0.2.20",
    ]);
    for (key, value) in [
        ("--access-control-tag", format!("{kid}/32 kids")),
        (
            "--access-control-tag-data",
            format!("{kid}/32 kids A 192.0.2.99"),
        ),
        ("--access-control-tag", format!("{blocked}/32 blocked")),
        (
            "--access-control-tag-action",
            format!("{blocked}/32 blocked always_nxdomain"),
        ),
        (
            "--local-zone-override",
            format!("school.example. {other}/32 always_refuse"),
        ),
    ] {
        flags.extend([key.to_string(), value]);
    }
    let resolver = start(test, &flags);
    let ask = |source: &str, name: &str| {
        dig(&dig_path, resolver.address, name, "A", &["-b", source])
            .unwrap_or_else(|error| panic!("{error}"))
    };
    let kid_answer = ask(&kid, "www.games.example.");
    assert_eq!(kid_answer.status, "NOERROR", "{}", kid_answer.output);
    assert_eq!(kid_answer.answers[0].name, "www.games.example.");
    assert_eq!(kid_answer.answers[0].data, "192.0.2.99", "the tag's data");
    let blocked_answer = ask(&blocked, "www.games.example.");
    assert_eq!(
        blocked_answer.status, "NXDOMAIN",
        "{}",
        blocked_answer.output
    );
    // Without a tag the tagged zone is not there: the untagged zone above it answers.
    let other_answer = ask(&other, "www.games.example.");
    assert_eq!(other_answer.status, "NXDOMAIN", "{}", other_answer.output);
    assert_eq!(other_answer.authorities.len(), 0, "{}", other_answer.output);
    let school = ask(&other, "school.example.");
    assert_eq!(school.status, "REFUSED", "override: {}", school.output);
    let school = ask(&kid, "school.example.");
    assert_eq!(school.answers[0].data, "192.0.2.20", "{}", school.output);
}

#[test]
fn cookies_are_answered_and_allow_cookie_clients_need_one_over_udp() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "cookies_are_answered_and_allow_cookie";
    let (plain, cookie_only) = (client(test, 1), client(test, 2));
    let mut flags = arguments(&[
        "--local-data",
        "www.cookie.example. 300 A 192.0.2.1",
        "--answer-cookie",
        "--cookie-secret",
        "000102030405060708090a0b0c0d0e0f",
    ]);
    flags.extend([
        "--access-control".to_string(),
        format!("{cookie_only}/32 allow_cookie"),
    ]);
    let resolver = start(test, &flags);
    let ask = |source: &str, extra: &[&str]| {
        let mut all = vec!["-b", source];
        all.extend_from_slice(extra);
        dig(
            &dig_path,
            resolver.address,
            "www.cookie.example.",
            "A",
            &all,
        )
        .unwrap_or_else(|error| panic!("{error}"))
    };
    // dig checks that our cookie echoes its client cookie: "(good)".
    let answer = ask(&plain, &["+cookie"]);
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert!(
        answer.output.contains("; COOKIE: ") && answer.output.contains("(good)"),
        "{}",
        answer.output
    );
    // No cookie over UDP: REFUSED with TC (shown as is with +ignore), then fine over TCP.
    let refused = ask(&cookie_only, &["+ignore"]);
    assert_eq!(refused.status, "REFUSED", "{}", refused.output);
    assert!(
        refused.flags.contains(&"tc".to_string()),
        "{}",
        refused.output
    );
    let over_tcp = ask(&cookie_only, &["+tcp"]);
    assert_eq!(over_tcp.status, "NOERROR", "{}", over_tcp.output);
    // A client cookie alone: BADCOOKIE with ours, which dig retries with (+badcookie).
    let first = ask(&cookie_only, &["+cookie", "+nobadcookie", "+showbadcookie"]);
    assert!(first.output.contains("BADCOOKIE"), "{}", first.output);
    let retried = ask(&cookie_only, &["+cookie", "+badcookie"]);
    assert_eq!(retried.status, "NOERROR", "{}", retried.output);
    assert_eq!(retried.answers[0].data, "192.0.2.1");
}

#[test]
fn auth_zone_for_upstream_answers_from_its_file_without_asking_anyone() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "auth_zone_for_upstream_answers_from_its_file";
    let directory = e2e::TempDir::new(test).unwrap_or_else(|error| panic!("{error}"));
    let zone = directory
        .write(
            "example.tld.zone",
            "$ORIGIN example.tld.\n$TTL 3600\n@ IN SOA ns hostmaster 1 7200 3600 1209600 300\n\
             @ IN NS ns\nns IN A 192.0.2.53\nwww IN A 192.0.2.80\n",
        )
        .unwrap_or_else(|error| panic!("{error}"));
    // The forwarder is an address of this test where nothing listens.
    let forwarder = loopback_for(test, 1).to_string();
    let resolver = start(
        test,
        &arguments(&[
            "--forward",
            &forwarder,
            "--allow-loopback-upstream",
            "--auth-zone",
            &format!("example.tld.={}", zone.display()),
        ]),
    );
    let ask = |name: &str| {
        dig(&dig_path, resolver.address, name, "A", &[]).unwrap_or_else(|error| panic!("{error}"))
    };
    let answer = ask("www.example.tld.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(answer.answers[0].data, "192.0.2.80");
    assert!(
        answer.flags.contains(&"ra".to_string()),
        "{}",
        answer.output
    );
    assert!(
        !answer.flags.contains(&"aa".to_string()),
        "a resolved answer: {}",
        answer.output
    );
    let missing = ask("nothere.example.tld.");
    assert_eq!(missing.status, "NXDOMAIN", "{}", missing.output);
    assert_eq!(
        resolver.statistic("upstream.queries"),
        0,
        "the zone's servers are never asked"
    );
}

#[test]
fn auth_zone_for_downstream_answers_clients_authoritatively_and_a_redirect_cname_reaches_it() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "auth_zone_for_downstream_answers_clients";
    let directory = e2e::TempDir::new(test).unwrap_or_else(|error| panic!("{error}"));
    // No apex NS: Unbound serves such a zone, so do we.
    let zone = directory
        .write(
            "intranet.tld.zone",
            "$ORIGIN intranet.tld.\n$TTL 3600\n@ IN SOA ns hostmaster 1 7200 3600 1209600 300\n\
             www IN A 192.0.2.81\n",
        )
        .unwrap_or_else(|error| panic!("{error}"));
    // The forwarder is an address of this test where nothing listens: nothing here resolves.
    let forwarder = loopback_for(test, 1).to_string();
    let resolver = start(
        test,
        &arguments(&[
            "--forward",
            &forwarder,
            "--allow-loopback-upstream",
            "--auth-zone",
            &format!("intranet.tld.={},downstream,no-upstream", zone.display()),
            "--local-zone",
            "portal.example. redirect",
            "--local-data",
            "portal.example. 300 CNAME www.intranet.tld.",
        ]),
    );
    let ask = |name: &str, extra: &[&str]| {
        dig(&dig_path, resolver.address, name, "A", extra).unwrap_or_else(|error| panic!("{error}"))
    };
    let has = |answer: &e2e::DigAnswer, flag: &str| answer.flags.iter().any(|f| f == flag);

    let answer = ask("www.intranet.tld.", &[]);
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(answer.answers[0].data, "192.0.2.81", "{}", answer.output);
    assert!(
        has(&answer, "aa"),
        "answered as the zone's server: {}",
        answer.output
    );
    assert!(has(&answer, "ra"), "{}", answer.output);
    assert!(answer.authorities.is_empty(), "minimal: {}", answer.output);

    let missing = ask("nothere.intranet.tld.", &[]);
    assert_eq!(missing.status, "NXDOMAIN", "{}", missing.output);
    assert!(has(&missing, "aa"), "{}", missing.output);
    assert_eq!(
        missing.authorities[0].record_type, "SOA",
        "{}",
        missing.output
    );

    // The zone has no NS of its own: NODATA, as Unbound (no made-up record shows).
    let servers = dig(&dig_path, resolver.address, "intranet.tld.", "NS", &[])
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(servers.status, "NOERROR", "{}", servers.output);
    assert!(servers.answers.is_empty(), "{}", servers.output);

    // RD=0 from a client that may not snoop: the zone still answers (as Unbound), without RA.
    let norecurse = ask("www.intranet.tld.", &["+norecurse"]);
    assert_eq!(norecurse.status, "NOERROR", "{}", norecurse.output);
    assert!(
        has(&norecurse, "aa") && !has(&norecurse, "ra"),
        "{}",
        norecurse.output
    );

    // A redirect zone's CNAME is chased into the auth zone: the CNAME, then the target's A.
    let alias = ask("anything.portal.example.", &[]);
    assert_eq!(alias.status, "NOERROR", "{}", alias.output);
    let chain: Vec<(&str, &str)> = alias
        .answers
        .iter()
        .map(|record| (record.record_type.as_str(), record.data.as_str()))
        .collect();
    assert_eq!(
        chain,
        [("CNAME", "www.intranet.tld."), ("A", "192.0.2.81")],
        "{}",
        alias.output
    );
    assert_eq!(alias.answers[0].name, "anything.portal.example.");
    assert!(has(&alias, "aa"), "{}", alias.output);
    assert_eq!(
        resolver.statistic("upstream.queries"),
        0,
        "nothing was resolved upstream"
    );
}

#[test]
fn auth_zone_with_fallback_starts_without_its_file_and_without_it_the_start_fails() {
    let test = "auth_zone_with_fallback_starts_without_its_file";
    let directory = e2e::TempDir::new(test).unwrap_or_else(|error| panic!("{error}"));
    let missing = directory.path().join("missing.zone");
    let forwarder = loopback_for(test, 1).to_string();
    let flags = |suffix: &str| {
        arguments(&[
            "--forward",
            &forwarder,
            "--allow-loopback-upstream",
            "--auth-zone",
            &format!("gone.tld.={}{suffix}", missing.display()),
        ])
    };
    let resolver = Resolver::start(loopback_for(test, 2), &flags(",downstream,fallback"));
    assert!(
        resolver.is_ok(),
        "fallback: the zone is left out, the resolver serves"
    );
    drop(resolver);
    let error = Resolver::start(loopback_for(test, 3), &flags(",downstream"))
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("missing.zone"),
        "the start fails naming the file: {error}"
    );
}
