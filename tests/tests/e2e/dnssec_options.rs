//! DNSSEC options of a validating `resolver` walking the lab, as dig sees them: a negative trust
//! anchor (`--insecure-domain`, RFC 7646) and the `dnssec.bogus` / `dnssec.insecure` counters.

use std::path::Path;

use e2e::{dig, loopback_for, require_tool, shared_lab, DigAnswer, Lab, Resolver, TempDir};

/// A resolver validating from the lab's trust anchor, with `extra` flags.
fn validating(lab: &Lab, test: &str, index: u8, extra: &[&str]) -> Resolver {
    let anchor = lab.trust_anchor();
    let mut arguments = vec!["--trust-anchor", anchor.as_str()];
    arguments.extend_from_slice(extra);
    Resolver::iterating(lab, loopback_for(test, index), &arguments)
        .unwrap_or_else(|error| panic!("resolver did not start: {error}"))
}

/// dig's view of `name A`, asking for DNSSEC data (`+dnssec`, so `ad` is set when secure).
fn ask(dig_path: &Path, resolver: &Resolver, name: &str) -> DigAnswer {
    dig(dig_path, resolver.address, name, "A", &["+dnssec"]).unwrap_or_else(|error| {
        panic!(
            "dig {name}: {error}\nresolver output:\n{}",
            resolver.output()
        )
    })
}

fn addresses(answer: &DigAnswer) -> Vec<String> {
    answer
        .answers
        .iter()
        .filter(|record| record.record_type == "A")
        .map(|record| record.data.clone())
        .collect()
}

fn has_ad(answer: &DigAnswer) -> bool {
    answer.flags.iter().any(|flag| flag == "ad")
}

/// bogus.test. is signed but its DS matches none of its keys: SERVFAIL from a validator. Named
/// as a negative trust anchor, its data comes back unvalidated (no `ad`), while the rest of the
/// tree is still validated (www.example.test. keeps `ad`).
#[test]
fn insecure_domain_answers_a_bogus_zone_without_ad_and_validates_the_rest() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let test = "insecure_domain_answers_a_bogus_zone";

    let plain = validating(&lab, test, 0, &[]);
    let bogus = ask(&dig_path, &plain, "www.bogus.test.");
    assert_eq!(bogus.status, "SERVFAIL", "{}", bogus.output);
    assert!(addresses(&bogus).is_empty(), "{}", bogus.output);

    let anchored = validating(&lab, test, 1, &["--insecure-domain", "bogus.test."]);
    let answer = ask(&dig_path, &anchored, "www.bogus.test.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(addresses(&answer), ["198.51.100.170"], "{}", answer.output);
    assert!(!has_ad(&answer), "insecure, not secure:\n{}", answer.output);
    assert!(answer.extended_errors.is_empty(), "{}", answer.output);

    let secure = ask(&dig_path, &anchored, "www.example.test.");
    assert_eq!(secure.status, "NOERROR", "{}", secure.output);
    assert!(
        has_ad(&secure),
        "outside the anchor: secure\n{}",
        secure.output
    );
}

/// The same negative trust anchor from the YAML configuration (`insecure-domains:`, as
/// `resolver.example.yaml` shows it): bogus.test.'s data without `ad`, example.test. secure.
#[test]
fn insecure_domains_from_the_config_file_act_as_the_flag() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let directory = TempDir::new("insecure-domains").unwrap_or_else(|error| panic!("{error}"));
    let config = directory
        .write("resolver.yaml", "insecure-domains:\n  - bogus.test.\n")
        .unwrap_or_else(|error| panic!("{error}"));
    let config = config.display().to_string();
    let resolver = validating(
        &lab,
        "insecure_domains_from_the_config_file",
        0,
        &["--config", &config],
    );
    let answer = ask(&dig_path, &resolver, "www.bogus.test.");
    assert_eq!(answer.status, "NOERROR", "{}", answer.output);
    assert_eq!(addresses(&answer), ["198.51.100.170"], "{}", answer.output);
    assert!(!has_ad(&answer), "{}", answer.output);
    let secure = ask(&dig_path, &resolver, "www.example.test.");
    assert!(has_ad(&secure), "{}", secure.output);
}

/// The validation counters (`resolver --control stats`) move with what the answers were:
/// a bogus zone's answer adds to `dnssec.bogus`, an unsigned delegation's to `dnssec.insecure`,
/// and neither to the other's.
#[test]
fn dnssec_counters_count_bogus_and_insecure_answers() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let lab = shared_lab();
    let resolver = validating(&lab, "dnssec_counters_count_bogus_and_insecure", 0, &[]);
    assert_eq!(resolver.statistic("dnssec.bogus"), 0);
    assert_eq!(resolver.statistic("dnssec.insecure"), 0);

    let bogus = ask(&dig_path, &resolver, "www.bogus.test.");
    assert_eq!(bogus.status, "SERVFAIL", "{}", bogus.output);
    assert_eq!(resolver.statistic("dnssec.bogus"), 1);
    assert_eq!(resolver.statistic("dnssec.insecure"), 0);

    let insecure = ask(&dig_path, &resolver, "www.insecure.test.");
    assert_eq!(insecure.status, "NOERROR", "{}", insecure.output);
    assert_eq!(
        addresses(&insecure),
        ["198.51.100.160"],
        "{}",
        insecure.output
    );
    assert!(!has_ad(&insecure), "{}", insecure.output);
    assert_eq!(resolver.statistic("dnssec.insecure"), 1);
    assert_eq!(resolver.statistic("dnssec.bogus"), 1);

    // Answers from the cache count as well, as `dnssec.secure` does (Unbound's
    // num.answer.bogus and num.answer.secure count answers, not validations).
    let bogus = ask(&dig_path, &resolver, "www.bogus.test.");
    assert_eq!(bogus.status, "SERVFAIL", "{}", bogus.output);
    let insecure = ask(&dig_path, &resolver, "www.insecure.test.");
    assert_eq!(insecure.status, "NOERROR", "{}", insecure.output);
    assert_eq!(resolver.statistic("dnssec.bogus"), 2);
    assert_eq!(resolver.statistic("dnssec.insecure"), 2);
}
