//! The optional sections of a validated answer with `minimal_responses` off (Unbound
//! `val_check_nonsecure`): only secure NS sets and addresses, with their RRSIGs for DO clients.

use hickory_proto::op::{Edns, Message};
use hickory_proto::rr::{Record, RecordType};

use crate::config::ResolverConfig;
use crate::scripted::network::*;
use crate::scripted::signed_network::*;

fn do_query(qname: &str, checking_disabled: bool) -> Message {
    let mut query = client_query(qname, RecordType::A);
    let mut edns = Edns::new();
    edns.set_dnssec_ok(true);
    query.edns = Some(edns);
    query.metadata.checking_disabled = checking_disabled;
    query
}

fn sorted(records: &[Record]) -> Vec<String> {
    let mut texts: Vec<String> = records.iter().map(ToString::to_string).collect();
    texts.sort();
    texts
}

/// `www.example.` answered with the zone's signed NS set (a signed server and one in an
/// unsigned child) in authority, a signed and an unsigned address in additional.
fn zone_with_unsigned_glue() -> (SignedInternet, Vec<Record>, Vec<Record>) {
    let mut internet = SignedInternet::new(1);
    let ns_set = internet.child.signed(vec![
        ns("example.", "ns0.example."),
        ns("example.", "ns.unsigned.example."),
    ]);
    let signed_glue = internet
        .child
        .signed(vec![a("ns0.example.", &child_server(0))]);
    let mut additionals = signed_glue.clone();
    additionals.push(a("ns.unsigned.example.", "192.0.2.53"));
    let www = internet.child.signed(vec![a("www.example.", "192.0.2.80")]);
    internet.on_child(
        "www.example.",
        RecordType::A,
        Canned {
            authoritative: true,
            answers: www,
            authorities: ns_set.clone(),
            additionals,
            ..Canned::default()
        },
    );
    (internet, ns_set, signed_glue)
}

#[tokio::test]
async fn a_secure_answer_carries_the_signed_ns_set_and_glue_with_rrsigs_and_no_unsigned_glue() {
    let (internet, ns_set, signed_glue) = zone_with_unsigned_glue();
    let config = ResolverConfig {
        minimal_responses: false,
        scrub_promiscuous: false,
        ..internet.config()
    };
    let setup = setup(internet.network, config);
    for checking_disabled in [true, false] {
        let response = setup
            .resolver
            .resolve(&do_query("www.example.", checking_disabled))
            .await;
        assert!(response.metadata.authentic_data, "CD={checking_disabled}");
        assert_eq!(sorted(&response.authorities), sorted(&ns_set));
        assert_eq!(sorted(&response.additionals), sorted(&signed_glue));
    }
}

#[tokio::test]
async fn without_validation_every_address_stays() {
    let (internet, _, signed_glue) = zone_with_unsigned_glue();
    let mut config = ResolverConfig {
        minimal_responses: false,
        scrub_promiscuous: false,
        ..internet.config()
    };
    config.dnssec.enabled = false;
    let setup = setup(internet.network, config);
    let response = setup
        .resolver
        .resolve(&do_query("www.example.", false))
        .await;
    assert_eq!(response.additionals.len(), signed_glue.len() + 1);
}

#[tokio::test]
async fn an_address_already_in_the_answer_is_not_repeated_in_additional() {
    let mut internet = SignedInternet::new(1);
    let ns_set = internet.child.signed(vec![ns("example.", "ns0.example.")]);
    let address = internet
        .child
        .signed(vec![a("ns0.example.", &child_server(0))]);
    internet.on_child(
        "ns0.example.",
        RecordType::A,
        Canned {
            authoritative: true,
            answers: address.clone(),
            authorities: ns_set.clone(),
            additionals: address.clone(),
            ..Canned::default()
        },
    );
    let config = ResolverConfig {
        minimal_responses: false,
        scrub_promiscuous: false,
        ..internet.config()
    };
    let setup = setup(internet.network, config);
    let response = setup
        .resolver
        .resolve(&do_query("ns0.example.", false))
        .await;
    assert_eq!(sorted(&response.answers), sorted(&address));
    assert_eq!(sorted(&response.authorities), sorted(&ns_set));
    assert!(
        response.additionals.is_empty(),
        "{:?}",
        response.additionals
    );
}
