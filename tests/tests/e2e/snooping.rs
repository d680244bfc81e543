//! Cache snooping (RD=0) against a real `resolver` walking the lab: REFUSED unless the client is
//! in `--allow-snoop` (Unbound's allow_snoop); a snooper gets the cache only, never a resolution.
//! Validating, the referral a snooper gets is validated when handed out (`ad` only when secure).

use std::time::Duration;

use e2e::client::{build_query, exchange_udp};
use e2e::{dig, loopback_for, require_tool, shared_lab, DigAnswer, Resolver};
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

fn has_flag(answer: &DigAnswer, flag: &str) -> bool {
    answer.flags.iter().any(|present| present == flag)
}

fn authority_types_of(answer: &DigAnswer, owner: &str) -> Vec<String> {
    answer
        .authorities
        .iter()
        .filter(|record| record.name == owner)
        .map(|record| record.record_type.clone())
        .collect()
}

/// `dig +norec +dnssec` against a validating resolver, as an operator checks what it holds: a
/// name it never resolved gets a referral to the closest cached delegation, checked by the
/// validator when it is handed out: `ad` for `example.test.` (its signed NS set cached), none
/// for `insecure.test.` (the unsigned child of the signed `test.`, proved to have no DS).
#[test]
fn a_snoopers_referral_is_validated_with_ad_only_when_secure() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let anchor = lab.trust_anchor();
    let resolver = Resolver::iterating(
        &lab,
        loopback_for("a_snoopers_referral_is_validated", 0),
        &["--allow-snoop", "127.0.0.0/8", "--trust-anchor", &anchor],
    )
    .unwrap_or_else(|error| panic!("resolver did not start: {error}"));
    let query = |name: &str, record_type: &str, extra: &[&str]| {
        dig(&dig_path, resolver.address, name, record_type, extra)
            .unwrap_or_else(|error| panic!("{error}\nresolver output:\n{}", resolver.output()))
    };
    // The cache primed with recursion: the signed zone's own NS set, a name of the unsigned one.
    let zone = query("example.test.", "NS", &["+dnssec"]);
    assert!(has_flag(&zone, "ad"), "{}", zone.output);
    let unsigned = query("www.insecure.test.", "A", &["+dnssec"]);
    assert_eq!(unsigned.status, "NOERROR", "{}", unsigned.output);
    assert!(!has_flag(&unsigned, "ad"), "{}", unsigned.output);

    let secure = query("other.example.test.", "A", &["+norec", "+dnssec"]);
    assert_eq!(
        secure.status, "NOERROR",
        "never resolved (it is NXDOMAIN): {}",
        secure.output
    );
    assert!(secure.answers.is_empty(), "{}", secure.output);
    assert!(
        has_flag(&secure, "ad"),
        "a secure referral: {}",
        secure.output
    );
    let types = authority_types_of(&secure, "example.test.");
    assert!(
        types.iter().any(|record_type| record_type == "NS")
            && types.iter().any(|record_type| record_type == "RRSIG"),
        "the signed NS set: {}",
        secure.output
    );

    let insecure = query("other.insecure.test.", "A", &["+norec", "+dnssec"]);
    assert_eq!(insecure.status, "NOERROR", "{}", insecure.output);
    assert!(insecure.answers.is_empty(), "{}", insecure.output);
    assert!(
        !has_flag(&insecure, "ad"),
        "an insecure referral: {}",
        insecure.output
    );
    assert!(
        authority_types_of(&insecure, "insecure.test.")
            .iter()
            .any(|record_type| record_type == "NS"),
        "{}",
        insecure.output
    );
    // `test.`'s NSEC3 (opt-out) proof that there is no DS, as the referral from `test.` came.
    assert!(
        insecure
            .authorities
            .iter()
            .any(|record| record.record_type == "NSEC3"),
        "the proof of no DS: {}",
        insecure.output
    );
}
