//! RFC 8198 end to end: our `resolver` validating the signed lab from the lab's trust anchor. After
//! one NXDOMAIN from `example.test.`, another name its NSEC covers is answered with no upstream query.
//! Judged by the daemon's `upstream.queries` and `dnssec.synthesized` counters.

use std::net::SocketAddr;
use std::time::Duration;

use e2e::client::{build_query, exchange_udp};
use e2e::{loopback_for, shared_lab, Lab, Resolver};
use hickory_proto::op::{Edns, Message, ResponseCode};
use hickory_proto::rr::RecordType;

const CLIENT_WAIT: Duration = Duration::from_secs(10);

/// A DO query (as `dig +dnssec`), with CD when `checking_disabled`.
fn ask(address: SocketAddr, name: &str, checking_disabled: bool) -> Message {
    let mut query = build_query(name, RecordType::A).unwrap_or_else(|error| panic!("{error}"));
    query.edns.get_or_insert_with(Edns::new).set_dnssec_ok(true);
    query.metadata.checking_disabled = checking_disabled;
    exchange_udp(address, &query, CLIENT_WAIT).unwrap_or_else(|error| panic!("{name}: {error}"))
}

/// Upstream queries `name` cost (0: answered without one), and the reply.
fn cost(resolver: &Resolver, name: &str, checking_disabled: bool) -> (u64, Message) {
    let before = resolver.statistic("upstream.queries");
    let reply = ask(resolver.address, name, checking_disabled);
    (resolver.statistic("upstream.queries") - before, reply)
}

fn start(lab: &Lab, test: &str, extra: &[&str]) -> Resolver {
    let anchor = lab.trust_anchor();
    let mut arguments = vec!["--trust-anchor", anchor.as_str()];
    arguments.extend_from_slice(extra);
    Resolver::iterating(lab, loopback_for(test, 0), &arguments)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

/// `missing.` and `mouse.example.test.` both lie between `mail.` and `ns1.example.test.`; the
/// apex NSEC covers `*.example.test.` (`*` sorts before `_imaps`). One NSEC proof for both.
#[test]
fn a_second_missing_name_under_the_same_nsec_is_answered_without_asking_the_zone() {
    let lab = shared_lab();
    let resolver = start(&lab, "aggressive_nsec_second_name", &[]);
    let (_, first) = cost(&resolver, "missing.example.test.", false);
    assert_eq!(first.metadata.response_code, ResponseCode::NXDomain);
    assert!(first.metadata.authentic_data, "the lab is signed: ad");
    let (sent, second) = cost(&resolver, "mouse.example.test.", false);
    assert_eq!(second.metadata.response_code, ResponseCode::NXDomain);
    assert!(second.metadata.authentic_data);
    assert!(
        second
            .authorities
            .iter()
            .any(|record| record.record_type() == RecordType::NSEC),
        "the proof goes along: {second:?}"
    );
    assert_eq!(sent, 0, "mouse.example.test. needed no upstream query");
    assert_eq!(resolver.statistic("dnssec.synthesized"), 1);
    // A client with CD checks for itself: the zone is asked.
    let (sent, checked) = cost(&resolver, "moose.example.test.", true);
    assert_eq!(checked.metadata.response_code, ResponseCode::NXDomain);
    assert!(sent > 0, "CD: asked upstream");
    assert_eq!(resolver.statistic("dnssec.synthesized"), 1);
}

#[test]
fn with_aggressive_nsec_off_every_missing_name_is_asked() {
    let lab = shared_lab();
    let resolver = start(&lab, "aggressive_nsec_off", &["--no-aggressive-nsec"]);
    let (_, first) = cost(&resolver, "missing.example.test.", false);
    assert_eq!(first.metadata.response_code, ResponseCode::NXDomain);
    let (sent, second) = cost(&resolver, "mouse.example.test.", false);
    assert_eq!(second.metadata.response_code, ResponseCode::NXDomain);
    assert!(sent > 0, "asked upstream");
    assert_eq!(resolver.statistic("dnssec.synthesized"), 0);
}
