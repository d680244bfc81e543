//! RFC 7828 edns-tcp-keepalive as dig sees it from the resolver over TCP: the idle timeout set,
//! none when turned off, and the option remembered for a connection as Unbound remembers it.
//!
//! Unbound (`edns-tcp-keepalive: yes`), forwarding `test.` to our resolver, answers the same dig
//! runs side by side; this kdig has no `+keepalive`, so dig is the only client that can ask.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use e2e::UnboundConfig;
use e2e::{dig, loopback_for, require_tool, shared_lab, start_unbound, DigAnswer, Resolver};

/// The idle timeout both servers announce: 30 s, `TIMEOUT 300` (units of 100 ms).
const IDLE_MILLISECONDS: &str = "30000";

/// dig's view of the keepalive option over TCP (`+keepalive`).
fn dig_keepalive(dig_path: &Path, resolver: &Resolver) -> DigAnswer {
    dig(
        dig_path,
        resolver.address,
        "www.example.test.",
        "A",
        &["+tcp", "+keepalive"],
    )
    .unwrap_or_else(|error| panic!("{error}\nresolver output:\n{}", resolver.output()))
}

#[test]
fn dig_keepalive_over_tcp_gets_the_idle_timeout_set_and_none_when_off() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "dig_keepalive_over_tcp_gets_the_idle_timeout_set_and_none_when_off";
    let resolver = Resolver::iterating(
        &lab,
        loopback_for(test, 0),
        &["--edns-tcp-keepalive-timeout", IDLE_MILLISECONDS],
    )
    .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let answer = dig_keepalive(&dig_path, &resolver);
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    // dig prints the option as `; TCP KEEPALIVE: 30.0 secs` (RFC 7828: 300 units of 100 ms).
    let keepalive = answer
        .output
        .lines()
        .find(|line| line.contains("KEEPALIVE"))
        .unwrap_or_else(|| panic!("no keepalive option in the answer:\n{}", answer.output));
    assert!(keepalive.contains("30.0"), "{}", answer.output);

    let off = Resolver::iterating(&lab, loopback_for(test, 1), &["--no-edns-tcp-keepalive"])
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let answer = dig_keepalive(&dig_path, &off);
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert!(
        !answer.output.contains("KEEPALIVE"),
        "keepalive turned off:\n{}",
        answer.output
    );
}

/// One dig run with two TCP queries, the first with `+keepalive` and the second without (dig's
/// options after a name apply to that query only), on one connection with `+keepopen`, else on
/// two. For each answer in order: its status, and the keepalive line dig printed, if any.
fn two_queries(dig_path: &Path, server: SocketAddr, keepopen: bool) -> Vec<(String, String)> {
    let mut command = Command::new(dig_path);
    command.args([
        format!("@{}", server.ip()),
        "-p".to_string(),
        server.port().to_string(),
        "+tcp".to_string(),
        "+tries=1".to_string(),
        "+time=2".to_string(),
        "+nocookie".to_string(),
    ]);
    if keepopen {
        command.arg("+keepopen");
    }
    command.args([
        "www.example.test.",
        "A",
        "+keepalive",
        "example.test.",
        "MX",
    ]);
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("dig did not run: {error}"));
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    // Each answer starts with dig's header line; what precedes the first is the banner.
    let answers: Vec<(String, String)> = text
        .split(";; ->>HEADER<<-")
        .skip(1)
        .map(|answer| {
            let status = answer
                .split("status: ")
                .nth(1)
                .and_then(|rest| rest.split(',').next())
                .unwrap_or("")
                .to_string();
            let keepalive = answer
                .lines()
                .find(|line| line.contains("KEEPALIVE"))
                .unwrap_or("")
                .trim()
                .to_string();
            (status, keepalive)
        })
        .collect();
    assert_eq!(answers.len(), 2, "two answers expected:\n{text}");
    answers
}

#[test]
fn keepalive_asked_once_on_a_connection_comes_back_on_its_later_answers_as_from_unbound() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let Some(_) = require_tool("unbound") else {
        return;
    };
    let lab = shared_lab();
    let test =
        "keepalive_asked_once_on_a_connection_comes_back_on_its_later_answers_as_from_unbound";
    let resolver = Resolver::iterating(
        &lab,
        loopback_for(test, 0),
        &["--edns-tcp-keepalive-timeout", IDLE_MILLISECONDS],
    )
    .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let unbound = start_unbound(
        loopback_for(test, 1),
        &UnboundConfig {
            forward_zones: vec![("test.".to_string(), vec![resolver.address])],
            server_lines: vec![
                "edns-tcp-keepalive: yes".to_string(),
                format!("edns-tcp-keepalive-timeout: {IDLE_MILLISECONDS}"),
            ],
            ..Default::default()
        },
    )
    .unwrap_or_else(|error| panic!("unbound did not start: {error}"));

    let announced = "; TCP KEEPALIVE: 30.0 secs".to_string();
    let noerror = "NOERROR".to_string();
    // One connection: the second query did not ask, but its connection did.
    let remembered = vec![
        (noerror.clone(), announced.clone()),
        (noerror.clone(), announced.clone()),
    ];
    // A connection each: the second connection never asked.
    let per_query = vec![(noerror.clone(), announced), (noerror, String::new())];

    let ours = two_queries(&dig_path, resolver.address, true);
    assert_eq!(
        ours,
        remembered,
        "ours, one connection:\n{}",
        resolver.output()
    );
    let theirs = two_queries(&dig_path, unbound.address, true);
    assert_eq!(theirs, remembered, "Unbound, one connection");

    let ours = two_queries(&dig_path, resolver.address, false);
    assert_eq!(
        ours,
        per_query,
        "ours, two connections:\n{}",
        resolver.output()
    );
    let theirs = two_queries(&dig_path, unbound.address, false);
    assert_eq!(theirs, per_query, "Unbound, two connections");
}
