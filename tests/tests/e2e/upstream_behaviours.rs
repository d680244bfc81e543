//! The resolver's always-on upstream behaviours as a user sees them, daemon against scripted
//! servers: relaxed QNAME-minimisation fallbacks, unusable server addresses (`--no-ip6`, `ip6:
//! false`), truncated replies whose TCP retry fails, and the EDNS FORMERR fallback.
//!
//! `e2e::scripted_server` is every upstream: it records what it is asked and answers from the
//! test's script.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use e2e::{dig, loopback_for, require_tool, DigAnswer, Resolver, TempDir};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;

use e2e::scripted_server::{
    authoritative_address, name, priming, question_of, referral, reply_to, Script, ScriptedServer,
};

/// The root server's name, as the hints and the priming answer give it.
const ROOT_NAME: &str = "a.root-servers.behaviours.";
/// The address the tests' names resolve to when all goes well.
const ANSWER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 64);

fn ask(dig_path: &Path, resolver: &Resolver, name: &str, extra: &[&str]) -> DigAnswer {
    dig(dig_path, resolver.address, name, "A", extra)
        .unwrap_or_else(|error| panic!("{error}\nresolver output:\n{}", resolver.output()))
}

fn answer_data(answer: &DigAnswer) -> Vec<String> {
    answer
        .answers
        .iter()
        .map(|record| record.data.clone())
        .collect()
}

/// A root server's script at `root_ip`: answers priming and its own name's address, everything
/// else with `rest`.
fn root_script(
    root_ip: IpAddr,
    rest: impl Fn(&Message) -> Option<Message> + Send + 'static,
) -> impl Fn(&Message) -> Option<Message> + Send + 'static {
    move |query| {
        let (qname, qtype) = question_of(query);
        if qname.is_root() && qtype == RecordType::NS {
            return Some(priming(query, ROOT_NAME, root_ip));
        }
        if qname == name(ROOT_NAME) {
            return Some(authoritative_address(query, root_ip));
        }
        rest(query)
    }
}

/// A root server at `address` running `root_script`.
fn root_server(
    address: SocketAddr,
    rest: impl Fn(&Message) -> Option<Message> + Send + 'static,
) -> ScriptedServer {
    let script: Script = Box::new(root_script(address.ip(), rest));
    ScriptedServer::start(address, script).unwrap_or_else(|error| panic!("{address}: {error}"))
}

/// A resolver at `address` iterating from the root server at `root` (`Resolver::from_root`),
/// every upstream query to `root`'s port, plus `extra` flags.
fn resolver_with_root(address: SocketAddr, root: SocketAddr, extra: &[&str]) -> Resolver {
    Resolver::from_root(address, ROOT_NAME, root.ip(), root.port(), extra)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

/// What a server does with a minimised question (RFC 9156 §2.3 lists each as seen in the wild).
#[derive(Clone, Copy, Debug)]
enum MinimisedBreakage {
    NxDomain,
    Refused,
    Dropped,
}

#[test]
fn relaxed_minimisation_answers_a_name_whose_minimised_question_gets_nxdomain() {
    minimised_question_breakage_is_survived(
        "relaxed_minimisation_answers_a_name_whose_minimised_question_gets_nxdomain",
        MinimisedBreakage::NxDomain,
    );
}

#[test]
fn relaxed_minimisation_answers_a_name_whose_minimised_question_is_refused() {
    minimised_question_breakage_is_survived(
        "relaxed_minimisation_answers_a_name_whose_minimised_question_is_refused",
        MinimisedBreakage::Refused,
    );
}

#[test]
fn relaxed_minimisation_answers_a_name_whose_minimised_question_is_dropped() {
    minimised_question_breakage_is_survived(
        "relaxed_minimisation_answers_a_name_whose_minimised_question_is_dropped",
        MinimisedBreakage::Dropped,
    );
}

/// A root that answers the full name itself and breaks on every shorter one: a resolver with
/// the default (relaxed) minimisation asks a shorter name first, then the full one, and answers.
fn minimised_question_breakage_is_survived(test: &str, breakage: MinimisedBreakage) {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let full = "www.deep.minimised.test.";
    let root = root_server(loopback_for(test, 1), move |query| {
        let (qname, _) = question_of(query);
        if qname == name(full) {
            return Some(authoritative_address(query, IpAddr::V4(ANSWER)));
        }
        match breakage {
            MinimisedBreakage::NxDomain => Some(reply_to(query, ResponseCode::NXDomain)),
            MinimisedBreakage::Refused => Some(reply_to(query, ResponseCode::Refused)),
            MinimisedBreakage::Dropped => None,
        }
    });
    // Minimisation is on by default: no flag.
    let resolver = resolver_with_root(loopback_for(test, 0), root.address, &[]);
    // A dropped question costs the resolver an upstream timeout before it moves on.
    let answer = ask(&dig_path, &resolver, full, &["+time=10"]);
    let questions = root.questions();
    assert_eq!(
        (answer.status.as_str(), answer_data(&answer)),
        ("NOERROR", vec![ANSWER.to_string()]),
        "{breakage:?}: {}\nasked: {questions:?}",
        answer.output
    );
    // The walk did minimise (a shorter name was asked and broke), then asked the full name.
    let minimised = questions.iter().position(|question| {
        question.starts_with("test.")
            || question.starts_with("minimised.test.")
            || question.starts_with("deep.minimised.test.")
    });
    let in_full = questions
        .iter()
        .rposition(|question| question == &format!("{full} A"));
    assert!(
        matches!((minimised, in_full), (Some(first), Some(last)) if first < last),
        "{breakage:?}: asked {questions:?}"
    );
}

#[test]
fn without_ipv6_a_delegation_to_ipv6_only_servers_fails_at_once_and_a_mixed_one_resolves() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "without_ipv6_a_delegation_to_ipv6_only_servers_fails_at_once";
    let v6_answer = Ipv4Addr::new(192, 0, 2, 6);
    // The IPv6 server on ::1 takes a free port; every other server of the test shares it, since
    // --upstream-port sends every upstream query to one port.
    let v6_server = match ScriptedServer::start(
        SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 0),
        Box::new(move |query| Some(authoritative_address(query, IpAddr::V4(v6_answer)))),
    ) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("skipped: {test}: no IPv6 loopback: {error}");
            return;
        }
    };
    let port = v6_server.address.port();
    let at_port = |index| SocketAddr::new(loopback_for(test, index).ip(), port);
    let v4_server = ScriptedServer::start(
        at_port(2),
        Box::new(|query| Some(authoritative_address(query, IpAddr::V4(ANSWER)))),
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let v6_ip = v6_server.address.ip();
    let v4_ip = v4_server.address.ip();
    let root = root_server(at_port(1), move |query| {
        let (qname, _) = question_of(query);
        let under = |zone: &str| name(zone).zone_of(&qname);
        if under("v6only.test.") {
            Some(referral(
                query,
                "v6only.test.",
                &[("ns.v6only.test.", &[v6_ip])],
            ))
        } else if under("mixed.test.") {
            Some(referral(
                query,
                "mixed.test.",
                &[("ns1.mixed.test.", &[v6_ip]), ("ns2.mixed.test.", &[v4_ip])],
            ))
        } else if under("nowhere.test.") {
            // Addresses no resolver may send to: unspecified (on Linux, this very host) and multicast.
            Some(referral(
                query,
                "nowhere.test.",
                &[(
                    "ns.nowhere.test.",
                    &[
                        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                        IpAddr::V4(Ipv4Addr::new(224, 0, 0, 1)),
                        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                    ],
                )],
            ))
        } else {
            Some(reply_to(query, ResponseCode::NXDomain))
        }
    });
    let flagged = resolver_with_root(
        at_port(3),
        root.address,
        &["--no-ip6", "--no-qname-minimisation"],
    );
    // dig gives up after 2 s (one try): a resolver waiting on a server it cannot reach would
    // leave it without any reply.
    let failed = ask(&dig_path, &flagged, "www.v6only.test.", &[]);
    assert_eq!(failed.status, "SERVFAIL", "{}", failed.output);
    let mixed = ask(&dig_path, &flagged, "www.mixed.test.", &[]);
    assert_eq!(
        (mixed.status.as_str(), answer_data(&mixed)),
        ("NOERROR", vec![ANSWER.to_string()]),
        "{}",
        mixed.output
    );
    assert_eq!(
        v6_server.questions(),
        Vec::<String>::new(),
        "never asked over IPv6"
    );
    let nowhere = ask(&dig_path, &flagged, "www.nowhere.test.", &[]);
    assert_eq!(nowhere.status, "SERVFAIL", "{}", nowhere.output);

    // The same from the YAML config: `ip6: false`.
    let config_directory = TempDir::new("no-ip6-yaml").unwrap_or_else(|error| panic!("{error}"));
    let config = config_directory
        .write("resolver.yaml", "ip6: false\nqname-minimisation: false\n")
        .unwrap_or_else(|error| panic!("{error}"));
    let config_flag = config.display().to_string();
    let from_yaml = resolver_with_root(at_port(4), root.address, &["--config", &config_flag]);
    let failed = ask(&dig_path, &from_yaml, "www.v6only.test.", &[]);
    assert_eq!(failed.status, "SERVFAIL", "{}", failed.output);
    assert_eq!(
        v6_server.questions(),
        Vec::<String>::new(),
        "never asked over IPv6"
    );

    // By default the IPv6-only server is used: the failure above is the setting's doing.
    let default = resolver_with_root(at_port(5), root.address, &["--no-qname-minimisation"]);
    let reached = ask(&dig_path, &default, "www.v6only.test.", &[]);
    assert_eq!(
        (reached.status.as_str(), answer_data(&reached)),
        ("NOERROR", vec![v6_answer.to_string()]),
        "{}",
        reached.output
    );
    assert!(v6_server
        .questions()
        .contains(&"www.v6only.test. A".to_string()));
}

#[test]
fn a_truncated_reply_whose_tcp_retry_fails_is_neither_served_nor_cached() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "a_truncated_reply_whose_tcp_retry_fails_is_neither_served_nor_cached";
    let truncated_answer = Ipv4Addr::new(192, 0, 2, 66);
    // UDP only, TC=1 on every answer; nothing listens on its TCP port, so the retry is refused.
    let truncating = ScriptedServer::start(
        loopback_for(test, 2),
        Box::new(move |query| {
            let mut reply = authoritative_address(query, IpAddr::V4(truncated_answer));
            reply.metadata.truncation = true;
            Some(reply)
        }),
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let complete = ScriptedServer::start(
        loopback_for(test, 3),
        Box::new(|query| Some(authoritative_address(query, IpAddr::V4(ANSWER)))),
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let truncating_ip = truncating.address.ip();
    let complete_ip = complete.address.ip();
    let root = root_server(loopback_for(test, 1), move |query| {
        let (qname, _) = question_of(query);
        if name("truncated.test.").zone_of(&qname) {
            Some(referral(
                query,
                "truncated.test.",
                &[("ns.truncated.test.", &[truncating_ip])],
            ))
        } else if name("two.test.").zone_of(&qname) {
            Some(referral(
                query,
                "two.test.",
                &[
                    ("ns1.two.test.", &[truncating_ip]),
                    ("ns2.two.test.", &[complete_ip]),
                ],
            ))
        } else {
            Some(reply_to(query, ResponseCode::NXDomain))
        }
    });
    let resolver = resolver_with_root(
        loopback_for(test, 0),
        root.address,
        &["--no-qname-minimisation", "--allow-snoop", "127.0.0.0/8"],
    );

    let only_truncated = ask(&dig_path, &resolver, "www.truncated.test.", &[]);
    assert_eq!(
        only_truncated.status, "SERVFAIL",
        "{}",
        only_truncated.output
    );
    assert!(
        only_truncated.answers.is_empty(),
        "{}",
        only_truncated.output
    );
    assert!(
        truncating
            .questions()
            .contains(&"www.truncated.test. A".to_string()),
        "the truncating server was asked"
    );
    // The cache as a snooper sees it (RD=0 is answered from the cache only): no trace of it.
    let cached = ask(&dig_path, &resolver, "www.truncated.test.", &["+norecurse"]);
    assert!(
        !cached.output.contains(&truncated_answer.to_string()),
        "{}",
        cached.output
    );

    // With another server for the zone, the client gets that server's complete answer.
    let two = ask(&dig_path, &resolver, "www.two.test.", &[]);
    assert_eq!(
        (two.status.as_str(), answer_data(&two)),
        ("NOERROR", vec![ANSWER.to_string()]),
        "{}",
        two.output
    );
    // The snooper's view does show what is cached: the check above looked at the right place.
    let cached_two = ask(&dig_path, &resolver, "www.two.test.", &["+norecurse"]);
    assert_eq!(
        answer_data(&cached_two),
        vec![ANSWER.to_string()],
        "{}",
        cached_two.output
    );
}

#[test]
fn a_server_answering_formerr_to_edns_is_asked_again_without_it() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "a_server_answering_formerr_to_edns_is_asked_again_without_it";
    // A pre-EDNS server: FORMERR to any query with an OPT record (priming included), answers
    // the others.
    let address = loopback_for(test, 1);
    let answers = root_script(address.ip(), |query| {
        Some(authoritative_address(query, IpAddr::V4(ANSWER)))
    });
    let root = ScriptedServer::start(
        address,
        Box::new(move |query| {
            if query.edns.is_some() {
                return Some(reply_to(query, ResponseCode::FormErr));
            }
            answers(query)
        }),
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let resolver = resolver_with_root(
        loopback_for(test, 0),
        root.address,
        &["--no-qname-minimisation"],
    );
    let answer = ask(&dig_path, &resolver, "www.formerr.test.", &[]);
    assert_eq!(
        (answer.status.as_str(), answer_data(&answer)),
        ("NOERROR", vec![ANSWER.to_string()]),
        "{}",
        answer.output
    );
    let asked: Vec<bool> = root
        .seen()
        .into_iter()
        .filter(|seen| seen.question == "www.formerr.test. A")
        .map(|seen| seen.edns)
        .collect();
    assert!(
        asked.starts_with(&[true, false]),
        "with EDNS first, then without: {asked:?}"
    );
}
