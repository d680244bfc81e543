//! Cache snooping (RD=0) against a real `resolver` walking the lab: REFUSED unless the client is
//! in `--allow-snoop` (Unbound's allow_snoop); a snooper gets the cache only, never a resolution.

use std::time::Duration;

use e2e::client::{build_query, exchange_udp};
use e2e::{loopback_for, shared_lab, Resolver};
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::RecordType;

const CLIENT_WAIT: Duration = Duration::from_secs(10);

fn ask(resolver: &Resolver, name: &str, recursion_desired: bool) -> Message {
    let mut query = build_query(name, RecordType::A).unwrap_or_else(|error| panic!("{error}"));
    query.metadata.recursion_desired = recursion_desired;
    exchange_udp(resolver.address, &query, CLIENT_WAIT)
        .unwrap_or_else(|error| panic!("{name}: {error}\nresolver output:\n{}", resolver.output()))
}

#[test]
fn recursion_not_desired_is_refused_unless_the_client_may_snoop() {
    let lab = shared_lab();
    let test = "recursion_not_desired_is_refused";
    let plain = Resolver::iterating(&lab, loopback_for(test, 0), &[])
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let answered = ask(&plain, "www.shop.test.", true);
    assert_eq!(answered.metadata.response_code, ResponseCode::NoError);
    let snooped = ask(&plain, "www.shop.test.", false);
    assert_eq!(
        snooped.metadata.response_code,
        ResponseCode::Refused,
        "RD=0 without --allow-snoop, even for a cached name"
    );
    assert!(snooped.answers.is_empty());
}

#[test]
fn snooper_gets_the_cache_only_and_never_a_resolution() {
    let lab = shared_lab();
    let test = "snooper_gets_the_cache_only";
    let resolver = Resolver::iterating(
        &lab,
        loopback_for(test, 0),
        &["--allow-snoop", "127.0.0.0/8"],
    )
    .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let before = resolver.statistic("upstream.queries");
    let uncached = ask(&resolver, "www.shop.test.", false);
    assert_eq!(uncached.metadata.response_code, ResponseCode::NoError);
    assert!(uncached.answers.is_empty(), "{uncached:?}");
    assert_eq!(
        resolver.statistic("upstream.queries"),
        before,
        "an RD=0 query was resolved upstream"
    );
    let resolved = ask(&resolver, "www.shop.test.", true);
    assert!(!resolved.answers.is_empty());
    let cached = ask(&resolver, "www.shop.test.", false);
    assert_eq!(cached.metadata.response_code, ResponseCode::NoError);
    assert_eq!(cached.answers.len(), resolved.answers.len());
    for record in &cached.answers {
        assert!(record.ttl <= 3600, "remaining TTL, not more: {record:?}");
    }
}
