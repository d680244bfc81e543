//! The resolver daemon sends a DS question to the parent side of the zone cut (RFC 4035 §3.1.4.1),
//! before and after it has the child's delegation cached, however the child's server is named.
//!
//! A scripted root is the parent of `child.test.` (it is authoritative for `test.` and
//! `host.test.` too) and holds the child's DS; a scripted child server would answer the DS
//! question as well, with its own NODATA. Each test asks `dig child.test. DS` and checks that the
//! answer is the root's DS and that the child was never asked for it. Cases: the child's server
//! named elsewhere (`ns.host.test.`), below the child (`ns.child.test.`, with glue), and a CNAME
//! (`alias.host.test.` → `ns.host.test.`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

use e2e::scripted_server::{
    address, by_question, name, name_server, root_priming, start_of_authority, Reply,
    ScriptedServer, LONG_TTL,
};
use e2e::{dig, loopback_for, require_tool, DigAnswer, Resolver};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::rdata::{CNAME, NULL};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// The DS the root holds for `child.test.`, as dig prints its data (key tag, algorithm 13,
/// digest type 2, a SHA-256 digest).
const PARENT_DS: &str =
    "12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";
/// The address `www.child.test.` has on the child's server.
const CHILD_WWW: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 61);

/// How the root's delegation of `child.test.` names the child's server.
#[derive(Clone, Copy)]
enum ChildServerName {
    /// `ns.host.test.`, an address record in the root's own data (no glue needed).
    Elsewhere,
    /// `ns.child.test.`, below the child, with glue in the referral.
    BelowTheChild,
    /// `alias.host.test.`, a CNAME to `ns.host.test.` (RFC 2181 §10.3 forbids it; Unbound
    /// follows it all the same).
    Cname,
}

impl ChildServerName {
    fn server(self) -> Name {
        match self {
            ChildServerName::Elsewhere => name("ns.host.test."),
            ChildServerName::BelowTheChild => name("ns.child.test."),
            ChildServerName::Cname => name("alias.host.test."),
        }
    }
}

/// The parent (a root) and the child's server, each recording what it is asked.
struct ZoneCut {
    root: ScriptedServer,
    child: ScriptedServer,
}

fn ds_record(owner: &Name) -> Record {
    // Key tag 12345, algorithm 13, digest type 2, then PARENT_DS's digest.
    let mut data = vec![0x30, 0x39, 13, 2];
    data.extend([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef].repeat(4));
    let rdata = RData::Unknown {
        code: RecordType::DS,
        rdata: NULL::with(data),
    };
    Record::from_rdata(owner.clone(), LONG_TTL, rdata)
}

/// The root: the parent of `child.test.` (delegation and DS), authoritative for the rest of
/// `test.`, where `ns.host.test.` is the child's address and `alias.host.test.` a CNAME to it.
fn start_parent(
    address_of_root: SocketAddr,
    child_ip: IpAddr,
    naming: ChildServerName,
) -> ScriptedServer {
    let root_ip = address_of_root.ip();
    let child_zone = name("child.test.");
    let server = naming.server();
    let host = name("ns.host.test.");
    let alias = name("alias.host.test.");
    let script = by_question(move |qname, qtype| {
        if let Some(reply) = root_priming(qname, qtype, root_ip) {
            return reply;
        }
        let root_soa = start_of_authority(&Name::root(), LONG_TTL, LONG_TTL);
        if *qname == child_zone && qtype == RecordType::DS {
            return Reply::answer(vec![ds_record(&child_zone)]);
        }
        if child_zone.zone_of(qname) {
            let glue = if child_zone.zone_of(&server) {
                vec![address(&server, LONG_TTL, child_ip)]
            } else {
                Vec::new()
            };
            return Reply {
                authorities: vec![name_server(&child_zone, LONG_TTL, &server)],
                additionals: glue,
                ..Reply::default()
            };
        }
        let host_address = address(&host, LONG_TTL, child_ip);
        if *qname == host {
            return match qtype {
                RecordType::A => Reply::answer(vec![host_address]),
                _ => Reply::negative(ResponseCode::NoError, root_soa),
            };
        }
        if *qname == alias {
            let link =
                Record::from_rdata(alias.clone(), LONG_TTL, RData::CNAME(CNAME(host.clone())));
            let mut answers = vec![link];
            if qtype == RecordType::A {
                answers.push(host_address);
            }
            return Reply::answer(answers);
        }
        // Names on the way down to those above (QNAME minimisation asks them) exist, empty.
        if [name("test."), name("host.test.")].contains(qname) {
            return Reply::negative(ResponseCode::NoError, root_soa);
        }
        Reply::negative(ResponseCode::NXDomain, root_soa)
    });
    ScriptedServer::start(address_of_root, script)
        .unwrap_or_else(|error| panic!("{address_of_root}: {error}"))
}

/// The child's server: `www.child.test.` and `ns.child.test.` have addresses; anything else is
/// NODATA or NXDOMAIN under the child's SOA, the DS question included (as a real child answers).
fn start_child(child_address: SocketAddr, naming: ChildServerName) -> ScriptedServer {
    let child_zone = name("child.test.");
    let server = naming.server();
    let www = name("www.child.test.");
    let own_server = name("ns.child.test.");
    let script = by_question(move |qname, qtype| {
        let soa = start_of_authority(&child_zone, LONG_TTL, LONG_TTL);
        if *qname == child_zone && qtype == RecordType::NS {
            return Reply::answer(vec![name_server(&child_zone, LONG_TTL, &server)]);
        }
        let own = [
            (&www, IpAddr::V4(CHILD_WWW)),
            (&own_server, child_address.ip()),
        ];
        if let Some((_, ip)) = own.iter().find(|(owner, _)| *owner == qname) {
            return if qtype == RecordType::A {
                Reply::answer(vec![address(qname, LONG_TTL, *ip)])
            } else {
                Reply::negative(ResponseCode::NoError, soa)
            };
        }
        if *qname == child_zone {
            return Reply::negative(ResponseCode::NoError, soa);
        }
        Reply::negative(ResponseCode::NXDomain, soa)
    });
    ScriptedServer::start(child_address, script)
        .unwrap_or_else(|error| panic!("{child_address}: {error}"))
}

fn zone_cut(test: &str, naming: ChildServerName) -> ZoneCut {
    let child_address = loopback_for(test, 2);
    ZoneCut {
        root: start_parent(loopback_for(test, 1), child_address.ip(), naming),
        child: start_child(child_address, naming),
    }
}

/// A resolver at `loopback_for(test, index)` iterating from `root` alone
/// (`Resolver::from_root`), no validation (the DS is only routed, not checked).
fn resolver_from_root(test: &str, index: u8, root: &ScriptedServer) -> Resolver {
    let flags = ["--allow-loopback-upstream", "--no-dnssec"];
    Resolver::from_scripted_root(loopback_for(test, index), root, &flags)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

fn ask(dig_path: &Path, resolver: &Resolver, name: &str, record_type: &str) -> DigAnswer {
    dig(dig_path, resolver.address, name, record_type, &[])
        .unwrap_or_else(|error| panic!("{error}\nresolver output:\n{}", resolver.output()))
}

/// `dig child.test. DS` gives the root's DS.
fn assert_the_parents_ds(dig_path: &Path, resolver: &Resolver, cut: &ZoneCut) {
    let answer = ask(dig_path, resolver, "child.test.", "DS");
    // dig splits a long digest into groups; the groups joined are the digest.
    let records: Vec<(&str, &str, String)> = answer
        .answers
        .iter()
        .map(|record| {
            let mut fields = record.data.split_whitespace();
            let head: Vec<&str> = fields.by_ref().take(3).collect();
            (
                record.name.as_str(),
                record.record_type.as_str(),
                format!("{} {}", head.join(" "), fields.collect::<String>()),
            )
        })
        .collect();
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(
        records,
        [("child.test.", "DS", PARENT_DS.to_string())],
        "{}\nroot asked: {:?}\nchild asked: {:?}",
        answer.output,
        cut.root.questions(),
        cut.child.questions()
    );
}

/// The whole check for one naming of the child's server: a cold resolver asks DS first; a warm
/// one resolves `www.child.test.` (the child's delegation and server are then cached) and asks DS
/// after. Both get the root's DS; the root is asked the DS question, the child never.
fn ds_goes_to_the_parent(test: &str, naming: ChildServerName) {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let cut = zone_cut(test, naming);

    let cold = resolver_from_root(test, 0, &cut.root);
    assert_the_parents_ds(&dig_path, &cold, &cut);
    let asked_cold = cut.root.times_asked("child.test. DS");
    assert!(asked_cold >= 1, "root asked: {:?}", cut.root.questions());

    let warm = resolver_from_root(test, 3, &cut.root);
    let www = ask(&dig_path, &warm, "www.child.test.", "A");
    assert_eq!(
        www.answers.first().map(|record| record.data.as_str()),
        Some(CHILD_WWW.to_string().as_str()),
        "{}",
        www.output
    );
    assert!(
        cut.child.times_asked("www.child.test. A") >= 1,
        "the child's server was not used: {:?}",
        cut.child.questions()
    );
    assert_the_parents_ds(&dig_path, &warm, &cut);
    assert!(
        cut.root.times_asked("child.test. DS") > asked_cold,
        "the warm resolver did not ask the root: {:?}",
        cut.root.questions()
    );

    assert_eq!(
        cut.child.times_asked("child.test. DS"),
        0,
        "the child was asked its own DS: {:?}",
        cut.child.questions()
    );
}

#[test]
fn ds_goes_to_the_parent_for_a_plain_delegation() {
    ds_goes_to_the_parent(
        "ds_goes_to_the_parent_for_a_plain_delegation",
        ChildServerName::Elsewhere,
    );
}

#[test]
fn ds_goes_to_the_parent_when_the_childs_server_is_named_below_the_child() {
    ds_goes_to_the_parent(
        "ds_goes_to_the_parent_when_the_childs_server_is_named_below_the_child",
        ChildServerName::BelowTheChild,
    );
}

#[test]
fn ds_goes_to_the_parent_when_the_childs_server_name_is_a_cname() {
    ds_goes_to_the_parent(
        "ds_goes_to_the_parent_when_the_childs_server_name_is_a_cname",
        ChildServerName::Cname,
    );
}
