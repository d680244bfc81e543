//! Ghost domains (CVE-2012-1191 family) at the daemon: once the parent revokes a delegation and
//! its TTL passes, the resolver asks the parent again, whatever NS TTL the child claims.
//!
//! A scripted root delegates `ghost.test.` for 2 s to a scripted child that claims its own NS set
//! for a day (in the authority section of its answers, and as the answer to `ghost.test. NS`);
//! then the root says `ghost.test.` does not exist. Two defences hold the line: scrubbing of
//! promiscuous NS sets (`--no-scrub-promiscuous` turns it off) and the cache's rule that a
//! child's NS set never outlives the delegation it replaces (no switch: the second test shows it
//! holds alone, with scrubbing off).

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use e2e::scripted_server::{
    address, by_question, name, name_server, name_server_name, root_priming, start_of_authority,
    Reply, ScriptedServer, LONG_TTL,
};
use e2e::{dig, loopback_for, require_tool, DigAnswer, Resolver};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

/// The parent's delegation TTL (NS set and glue): short, so the test waits seconds, not hours.
const DELEGATION_TTL: u32 = 2;
/// The child's claim on its own NS set: a day, what a ghost domain would live on.
const CHILD_NS_TTL: u32 = 86_400;
/// Bound on the wait for the revoked delegation to lapse: far above `DELEGATION_TTL`.
const POLL_BUDGET: Duration = Duration::from_secs(30);
/// Pause between two polls (each a fresh name, so no cached answer hides the delegation used).
const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// The address every name under `ghost.test.` has at the child.
const CHILD_ANSWER: &str = "192.0.2.53";

/// The scripted root (the parent) and the child it delegates `ghost.test.` to, until `revoke`.
struct RevokedZone {
    root: ScriptedServer,
    child: ScriptedServer,
    revoked: Arc<AtomicBool>,
}

impl RevokedZone {
    /// The root stops delegating `ghost.test.`: NXDOMAIN for it and every name below.
    fn revoke(&self) {
        self.revoked.store(true, Ordering::SeqCst);
    }
}

fn revoked_zone(test: &str) -> RevokedZone {
    let zone = name("ghost.test.");
    let server = name_server_name(&zone);
    let root_address = loopback_for(test, 1);
    let child_address = loopback_for(test, 2);
    let revoked = Arc::new(AtomicBool::new(false));
    let root = {
        let (zone, server, revoked) = (zone.clone(), server.clone(), revoked.clone());
        let root_ip = root_address.ip();
        let script = by_question(move |qname, qtype| {
            if let Some(reply) = root_priming(qname, qtype, root_ip) {
                return reply;
            }
            let soa = start_of_authority(&name("."), LONG_TTL, 1);
            if !zone.zone_of(qname) || revoked.load(Ordering::SeqCst) {
                return Reply::negative(ResponseCode::NXDomain, soa);
            }
            Reply {
                authorities: vec![name_server(&zone, DELEGATION_TTL, &server)],
                additionals: vec![address(&server, DELEGATION_TTL, child_address.ip())],
                ..Reply::default()
            }
        });
        ScriptedServer::start(root_address, script)
            .unwrap_or_else(|error| panic!("{root_address}: {error}"))
    };
    let child = {
        let answer_ip = IpAddr::V4(
            CHILD_ANSWER
                .parse::<Ipv4Addr>()
                .unwrap_or(Ipv4Addr::LOCALHOST),
        );
        let script = by_question(move |qname, qtype| {
            let own_ns = name_server(&zone, CHILD_NS_TTL, &server);
            let own_address = address(&server, CHILD_NS_TTL, child_address.ip());
            if *qname == zone && qtype == RecordType::NS {
                let mut reply = Reply::answer(vec![own_ns]);
                reply.additionals = vec![own_address];
                return reply;
            }
            if *qname == server && qtype == RecordType::A {
                return Reply::answer(vec![own_address]);
            }
            if qtype != RecordType::A {
                return Reply::negative(
                    ResponseCode::NoError,
                    start_of_authority(&zone, LONG_TTL, 1),
                );
            }
            // The answer, and beside it the child's own NS set for a day, with its address.
            let mut reply = Reply::answer(vec![address(qname, LONG_TTL, answer_ip)]);
            reply.authorities = vec![own_ns];
            reply.additionals = vec![own_address];
            reply
        });
        ScriptedServer::start(child_address, script)
            .unwrap_or_else(|error| panic!("{child_address}: {error}"))
    };
    RevokedZone {
        root,
        child,
        revoked,
    }
}

/// A resolver at `loopback_for(test, 0)` iterating from `root` alone
/// (`Resolver::from_root`), full names asked (so the questions recorded are the client's), plus
/// `extra` flags.
fn resolver_from_root(test: &str, root: &ScriptedServer, extra: &[&str]) -> Resolver {
    let mut flags = vec![
        "--allow-loopback-upstream",
        "--no-qname-minimisation",
        "--no-dnssec",
    ];
    flags.extend_from_slice(extra);
    Resolver::from_scripted_root(loopback_for(test, 0), root, &flags)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

fn ask(dig_path: &Path, resolver: &Resolver, name: &str, record_type: &str) -> DigAnswer {
    dig(dig_path, resolver.address, name, record_type, &[])
        .unwrap_or_else(|error| panic!("{error}\nresolver output:\n{}", resolver.output()))
}

/// Asks a fresh name under `ghost.test.` until the answer is no longer the child's, within
/// `POLL_BUDGET`; returns the name last asked and dig's view of it.
fn poll_until_the_child_is_dropped(dig_path: &Path, resolver: &Resolver) -> (String, DigAnswer) {
    let deadline = Instant::now() + POLL_BUDGET;
    let mut poll = 0u32;
    loop {
        poll += 1;
        let qname = format!("poll{poll}.ghost.test.");
        let answer = ask(dig_path, resolver, &qname, "A");
        let from_child = answer.status == "NOERROR"
            && answer
                .answers
                .iter()
                .any(|record| record.data == CHILD_ANSWER);
        if !from_child || Instant::now() >= deadline {
            return (qname, answer);
        }
        thread::sleep(POLL_INTERVAL);
    }
}

/// The scenario both tests run: delegated and answered by the child, the child's NS set asked
/// for directly, then revoked; the resolver must come back to the root and answer NXDOMAIN.
fn revoked_delegation_is_asked_of_the_parent_again(test: &str, extra: &[&str]) {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let servers = revoked_zone(test);
    let resolver = resolver_from_root(test, &servers.root, extra);

    let first = ask(&dig_path, &resolver, "www.ghost.test.", "A");
    assert_eq!(first.status, "NOERROR", "{}", first.output);
    assert_eq!(first.answers[0].data, CHILD_ANSWER, "{}", first.output);
    assert_eq!(servers.root.times_asked("www.ghost.test. A"), 1);
    assert_eq!(servers.child.times_asked("www.ghost.test. A"), 1);
    // The child's own answer for its NS set, a day long: it must not extend the delegation.
    let apex = ask(&dig_path, &resolver, "ghost.test.", "NS");
    assert_eq!(apex.status, "NOERROR", "{}", apex.output);
    assert_eq!(apex.answers[0].data, "ns.ghost.test.", "{}", apex.output);
    // Asked again, from the cache (the child asked once at most), the set counts down from the
    // parent's TTL, not the child's day.
    let again = ask(&dig_path, &resolver, "ghost.test.", "NS");
    if servers.child.times_asked("ghost.test. NS") <= 1 {
        assert!(
            again
                .answers
                .iter()
                .all(|record| record.ttl <= DELEGATION_TTL),
            "{}",
            again.output
        );
    }

    servers.revoke();
    let (last, gone) = poll_until_the_child_is_dropped(&dig_path, &resolver);
    assert_eq!(
        gone.status,
        "NXDOMAIN",
        "{last} still answered by the child {POLL_BUDGET:?} after the root revoked a \
         {DELEGATION_TTL} s delegation\n{}\nroot asked: {:?}",
        gone.output,
        servers.root.questions()
    );
    assert_eq!(servers.root.times_asked(&format!("{last} A")), 1);
    assert_eq!(servers.child.times_asked(&format!("{last} A")), 0);

    // From now on the root's word holds: a new name goes to the root alone.
    let after = ask(&dig_path, &resolver, "after.ghost.test.", "A");
    assert_eq!(after.status, "NXDOMAIN", "{}", after.output);
    assert_eq!(servers.root.times_asked("after.ghost.test. A"), 1);
    assert_eq!(
        servers.child.times_asked("after.ghost.test. A"),
        0,
        "the revoked child was asked: {:?}",
        servers.child.questions()
    );
}

#[test]
fn a_revoked_delegation_is_asked_of_the_parent_again_once_its_ttl_passes() {
    revoked_delegation_is_asked_of_the_parent_again(
        "a_revoked_delegation_is_asked_of_the_parent_again",
        &[],
    );
}

#[test]
fn a_child_cannot_keep_a_revoked_delegation_alive_even_with_scrubbing_off() {
    // With `--no-scrub-promiscuous` the child's day-long NS set beside each answer is kept
    // (it outranks the referral, RFC 2181 §5.4.1) but counts down from the parent's 2 s.
    revoked_delegation_is_asked_of_the_parent_again(
        "a_child_cannot_keep_a_revoked_delegation_alive_unscrubbed",
        &["--no-scrub-promiscuous"],
    );
}
