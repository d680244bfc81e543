//! The resolver's upstream-query options as a user sees them: NAT64 reaching an IPv4-only root
//! through `::1`, do-not-query-address, the EDNS client string a server receives, sibling glue.
//!
//! `e2e::scripted_server` is the upstream: it records what it is asked (and the EDNS options) and
//! answers from a `Table` (`answer_from` below).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use e2e::scripted_server::{address_record, name, name_server, reply_to, Script, LONG_TTL};
use e2e::{
    dig, loopback_for, require_tool, shared_lab, DigAnswer, Resolver, ScriptedServer,
    ScriptedServerError,
};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RecordType};

/// The root server's name, as the hints and the priming answer give it.
const SERVER_NAME: &str = "a.root-servers.upstream.";
/// Every A question outside a delegated zone is answered with this address.
const ANSWER_ADDRESS: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 64);
/// The name server of the delegated zone, a sibling of it (its glue is sibling glue).
const DELEGATED_SERVER: &str = "ns.sibling.test.";

/// How a scripted root answers: `. NS` with one root server (`SERVER_NAME`, at `glue`), a name
/// inside the delegated zone with a referral to `DELEGATED_SERVER` and its glue,
/// `DELEGATED_SERVER A` with its real address, any other A question with `ANSWER_ADDRESS`.
#[derive(Clone, Debug)]
struct Table {
    /// The address the priming answer gives for `SERVER_NAME`.
    glue: IpAddr,
    /// A zone delegated to `DELEGATED_SERVER`, with the glue address given in the referral and
    /// the address its own A question is answered with.
    delegation: Option<(Name, IpAddr, IpAddr)>,
}

/// A scripted server at `address` (port 0 allowed) answering from `table`.
fn start_root(address: SocketAddr, table: Table) -> Result<ScriptedServer, ScriptedServerError> {
    let script: Script = Box::new(move |query| Some(answer_from(query, &table)));
    ScriptedServer::start(address, script)
}

fn answer_from(query: &Message, table: &Table) -> Message {
    let mut reply = reply_to(query, ResponseCode::NoError);
    let Some(question) = query.queries.first() else {
        return reply;
    };
    let qname = question.name().to_lowercase();
    let server = name(SERVER_NAME);
    if let Some((zone, glue, real)) = &table.delegation {
        if qname == name(DELEGATED_SERVER) {
            reply.metadata.authoritative = true;
            if question.query_type() == RecordType::A {
                reply.answers.push(address_record(qname, *real));
            }
            return reply;
        }
        if zone.zone_of(&qname) {
            // A referral with sibling glue: the server's name is outside the delegated zone.
            let target = name(DELEGATED_SERVER);
            reply.authorities.push(name_server(zone, LONG_TTL, &target));
            reply.additionals.push(address_record(target, *glue));
            return reply;
        }
    }
    reply.metadata.authoritative = true;
    match question.query_type() {
        RecordType::NS if qname.is_root() => {
            reply
                .answers
                .push(name_server(&Name::root(), LONG_TTL, &server));
            reply.additionals.push(address_record(server, table.glue));
        }
        RecordType::A if qname == server => {
            reply.answers.push(address_record(server, table.glue));
        }
        RecordType::A => reply
            .answers
            .push(address_record(qname, IpAddr::V4(ANSWER_ADDRESS))),
        _ => {}
    }
    reply
}

fn ask(dig_path: &Path, resolver: &Resolver, name: &str) -> DigAnswer {
    dig(dig_path, resolver.address, name, "A", &[])
        .unwrap_or_else(|error| panic!("{error}\nresolver output:\n{}", resolver.output()))
}

/// A resolver iterating from one root server at `root_address` (`Resolver::from_root`), every
/// upstream query to `port`, full names asked, plus `extra` flags.
fn resolver_with_root(
    address: SocketAddr,
    root_address: IpAddr,
    port: u16,
    extra: &[&str],
) -> Resolver {
    let mut flags = vec!["--no-qname-minimisation"];
    flags.extend_from_slice(extra);
    Resolver::from_root(address, SERVER_NAME, root_address, port, &flags)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

#[test]
fn nat64_reaches_an_ipv4_only_root_at_the_address_its_prefix_embeds() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "nat64_reaches_an_ipv4_only_root_at_the_address_its_prefix_embeds";
    // The root's only address is 0.0.0.1, which nothing answers on; under the NAT64 prefix ::/96
    // it is ::1 (RFC 6052 §2.2), where the root listens.
    let v4_only = IpAddr::V4(Ipv4Addr::new(0, 0, 0, 1));
    let root = match start_root(
        SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 0),
        Table {
            glue: v4_only,
            delegation: None,
        },
    ) {
        Ok(root) => root,
        Err(error) => {
            eprintln!("skipped: {test}: no IPv6 loopback: {error}");
            return;
        }
    };
    let resolver = resolver_with_root(
        loopback_for(test, 0),
        v4_only,
        root.address.port(),
        &["--nat64", "--nat64-prefix", "::/96"],
    );
    let answer = ask(&dig_path, &resolver, "www.nat64.test.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(
        answer.answers[0].data,
        ANSWER_ADDRESS.to_string(),
        "{}",
        answer.output
    );
    assert!(root.questions().contains(&"www.nat64.test. A".to_string()));

    // The same resolver without NAT64 has no way to the root.
    let plain = resolver_with_root(loopback_for(test, 1), v4_only, root.address.port(), &[]);
    let asked_before = root.questions().len();
    let failed = ask(&dig_path, &plain, "www.nat64.test.");
    assert_eq!(failed.status, "SERVFAIL", "{}", failed.output);
    assert_eq!(root.questions().len(), asked_before);
}

#[test]
fn do_not_query_address_keeps_the_resolver_away_from_a_zones_servers() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "do_not_query_address_keeps_the_resolver_away_from_a_zones_servers";
    // Every server of example.test. is on the list.
    let blocks: Vec<String> = lab
        .servers
        .get("example.test.")
        .map(|servers| {
            servers
                .iter()
                .map(|server| format!("{}/32", server.ip()))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !blocks.is_empty(),
        "the lab plan names example.test.'s servers"
    );
    let mut flags: Vec<&str> = Vec::new();
    for block in &blocks {
        flags.extend(["--do-not-query-address", block.as_str()]);
    }
    let resolver = Resolver::iterating(&lab, loopback_for(test, 0), &flags)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let elsewhere = ask(&dig_path, &resolver, "www.shop.test.");
    assert_eq!(elsewhere.status, "NOERROR", "{}", elsewhere.output);
    let refused = ask(&dig_path, &resolver, "www.example.test.");
    assert_eq!(refused.status, "SERVFAIL", "{}", refused.output);
}

#[test]
fn edns_client_string_is_sent_to_servers_in_its_netblock_only() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "edns_client_string_is_sent_to_servers_in_its_netblock_only";
    let address = loopback_for(test, 1);
    let root = start_root(
        address,
        Table {
            glue: address.ip(),
            delegation: None,
        },
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let netblock = format!("{}/32 site-a", address.ip());
    let resolver = resolver_with_root(
        loopback_for(test, 0),
        address.ip(),
        address.port(),
        &[
            "--edns-client-string",
            &netblock,
            "--edns-client-string-opcode",
            "65432",
        ],
    );
    let answer = ask(&dig_path, &resolver, "www.client-string.test.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    let options = root.edns_options();
    assert!(!options.is_empty());
    for query_options in &options {
        assert!(
            query_options.contains(&(65432, b"site-a".to_vec())),
            "every query carries the string: {options:?}"
        );
    }

    // A resolver whose netblock does not hold the server sends no such option.
    let other_address = loopback_for(test, 2);
    let other_root = start_root(
        other_address,
        Table {
            glue: other_address.ip(),
            delegation: None,
        },
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let other = resolver_with_root(
        loopback_for(test, 3),
        other_address.ip(),
        other_address.port(),
        &["--edns-client-string", "192.0.2.0/24 site-b"],
    );
    let answer = ask(&dig_path, &other, "www.client-string.test.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert!(other_root
        .edns_options()
        .iter()
        .all(|query_options| query_options.is_empty()));
}

#[test]
fn harden_unverified_glue_looks_up_a_sibling_name_server_before_using_its_glue() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let test = "harden_unverified_glue_looks_up_a_sibling_name_server_before_using_its_glue";
    // The root delegates example.test. to ns.sibling.test. with glue where nothing listens, and
    // answers ns.sibling.test. A itself with the address of the real server.
    let root_address = loopback_for(test, 1);
    let child_address = loopback_for(test, 2);
    let dead = loopback_for(test, 9).ip();
    let zone = Name::from_ascii("example.test.").unwrap_or_else(|_| Name::root());
    let table = Table {
        glue: root_address.ip(),
        delegation: Some((zone, dead, child_address.ip())),
    };
    let root = start_root(root_address, table).unwrap_or_else(|error| panic!("{error}"));
    let child = start_root(
        child_address,
        Table {
            glue: child_address.ip(),
            delegation: None,
        },
    )
    .unwrap_or_else(|error| panic!("{error}"));
    let hardened = resolver_with_root(
        loopback_for(test, 0),
        root_address.ip(),
        root_address.port(),
        &["--harden-unverified-glue"],
    );
    let answer = ask(&dig_path, &hardened, "www.example.test.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(
        answer.answers[0].data,
        ANSWER_ADDRESS.to_string(),
        "{}",
        answer.output
    );
    assert!(root.questions().contains(&"ns.sibling.test. A".to_string()));
    assert!(child
        .questions()
        .contains(&"www.example.test. A".to_string()));

    // By default the glue is believed: the dead address is all the resolver has.
    let plain = resolver_with_root(
        loopback_for(test, 3),
        root_address.ip(),
        root_address.port(),
        &[],
    );
    let failed = ask(&dig_path, &plain, "www.example.test.");
    assert_eq!(failed.status, "SERVFAIL", "{}", failed.output);
}
