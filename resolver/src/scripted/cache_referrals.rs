//! What a referral left in the cache answers: queries without recursion (RD=0) get the cached
//! answer, else a referral to the closest cached delegation (AD when its NS set was validated
//! secure); a DS question gets the referral's DS, checked against the parent's keys.

use hickory_proto::op::{Edns, Message, ResponseCode};
use hickory_proto::rr::{Record, RecordType};

use crate::config::ResolverConfig;
use crate::scripted::network::*;
use crate::scripted::signed_network::*;

fn without_recursion(qname: &str) -> Message {
    let mut query = client_query(qname, RecordType::A);
    query.metadata.recursion_desired = false;
    let mut edns = Edns::new();
    edns.set_dnssec_ok(true);
    query.edns = Some(edns);
    query
}

fn sorted(records: &[Record]) -> Vec<String> {
    let mut texts: Vec<String> = records.iter().map(ToString::to_string).collect();
    texts.sort();
    texts
}

/// The DS records and their RRSIGs of a referral's authority section.
fn ds_records(referral: &Message) -> Vec<Record> {
    referral
        .authorities
        .iter()
        .filter(|record| {
            record.record_type() == RecordType::DS
                || matches!(&record.data, hickory_proto::rr::RData::DNSSEC(
                    hickory_proto::dnssec::rdata::DNSSECRData::RRSIG(rrsig))
                    if rrsig.input().type_covered == RecordType::DS)
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_query_without_recursion_gets_the_closest_cached_delegation_with_ad() {
    let mut internet = SignedInternet::new(1);
    let ns_set = internet.child.signed(vec![ns("example.", "ns0.example.")]);
    let glue = internet
        .child
        .signed(vec![a("ns0.example.", &child_server(0))]);
    let www = internet.child.signed(vec![a("www.example.", "192.0.2.80")]);
    internet.on_child(
        "www.example.",
        RecordType::A,
        Canned {
            authoritative: true,
            answers: www,
            authorities: ns_set.clone(),
            additionals: glue.clone(),
            ..Canned::default()
        },
    );
    let config = ResolverConfig {
        minimal_responses: false,
        scrub_promiscuous: false,
        ..internet.config()
    };
    let setup = setup(internet.network, config);
    let nothing = setup
        .resolver
        .answer_without_recursion(&without_recursion("other.example."))
        .await;
    assert_eq!(nothing.metadata.response_code, ResponseCode::NoError);
    assert!(nothing.authorities.is_empty() && !nothing.metadata.authentic_data);
    assert!(setup.network.sent().is_empty(), "nothing resolved");
    setup
        .resolver
        .resolve(&client_query("www.example.", RecordType::A))
        .await;
    let sent = setup.network.sent().len();
    let referral = setup
        .resolver
        .answer_without_recursion(&without_recursion("other.example."))
        .await;
    assert_eq!(setup.network.sent().len(), sent, "nothing asked upstream");
    assert_eq!(referral.metadata.response_code, ResponseCode::NoError);
    assert!(referral.answers.is_empty());
    assert!(referral.metadata.authentic_data);
    // The NS set and, as in a signed referral, the zone's DS, each with its RRSIG.
    let mut expected = ns_set.clone();
    expected.extend(ds_records(&referral));
    assert_eq!(sorted(&referral.authorities), sorted(&expected));
    assert_eq!(ds_records(&referral).len(), 2);
    assert_eq!(sorted(&referral.additionals), sorted(&glue));
    // The cached answer itself comes before any referral.
    let answer = setup
        .resolver
        .answer_without_recursion(&without_recursion("www.example."))
        .await;
    assert_eq!(answer.answers.len(), 2);
}

#[tokio::test]
async fn a_ds_question_is_answered_from_the_referrals_ds_checked_once() {
    let internet = SignedInternet::new(1);
    let config = internet.config();
    let setup = setup(internet.network, config);
    setup
        .resolver
        .resolve(&client_query("www.example.", RecordType::A))
        .await;
    let sent = setup.network.sent().len();
    for _ in 0..2 {
        let response = setup
            .resolver
            .resolve(&ad_query("example.", RecordType::DS))
            .await;
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert!(response.metadata.authentic_data);
        assert!(response
            .answers
            .iter()
            .any(|record| record.record_type() == RecordType::DS));
    }
    assert_eq!(setup.network.sent().len(), sent, "nothing asked upstream");
}

/// A forwarder's answer carrying its zone's NS set and that server's address, without AA.
fn forwarded_internet() -> (ScriptedNetwork, ResolverConfig) {
    let forwarder = "192.0.2.70";
    let mut network = ScriptedNetwork::default();
    network.on(
        forwarder,
        "www.example.com.",
        RecordType::A,
        Canned {
            answers: vec![a("www.example.com.", "192.0.2.80")],
            authorities: vec![ns("example.com.", "ns.example.com.")],
            additionals: vec![a("ns.example.com.", "192.0.2.53")],
            ..Canned::default()
        },
    );
    let config = ResolverConfig {
        forward_zones: vec![crate::config::ForwardZone {
            suffix: name("."),
            upstreams: vec![format!("{forwarder}:53").parse().unwrap()],
            ..Default::default()
        }],
        scrub_promiscuous: false,
        ..config()
    };
    (network, config)
}

#[tokio::test]
async fn a_forwarders_ns_set_refers_queries_without_recursion_with_minimal_responses() {
    let (network, config) = forwarded_internet();
    assert!(config.minimal_responses);
    let setup = setup(network, config);
    setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    let sent = setup.network.sent().len();
    let mut query = client_query("other.example.com.", RecordType::A);
    query.metadata.recursion_desired = false;
    let referral = setup
        .resolver
        .answer_without_recursion(&query)
        .await;
    assert_eq!(setup.network.sent().len(), sent, "nothing asked upstream");
    assert_eq!(referral.metadata.response_code, ResponseCode::NoError);
    assert!(referral.answers.is_empty());
    assert_eq!(
        sorted(&referral.authorities),
        sorted(&[ns("example.com.", "ns.example.com.")])
    );
    assert_eq!(
        sorted(&referral.additionals),
        sorted(&[a("ns.example.com.", "192.0.2.53")])
    );
}
