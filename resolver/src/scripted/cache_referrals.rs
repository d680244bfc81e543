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
    let referral = setup.resolver.answer_without_recursion(&query).await;
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

/// The child's DNSKEY reply carries its signed NS set and signed glue (the answers carry no
/// authority section): with `scrub_promiscuous` off the cache holds them, not yet checked
/// (Unbound val_refer_unsignadd).
fn keys_reply_with_signed_sections(internet: &mut SignedInternet) -> (Vec<Record>, Vec<Record>) {
    let ns_set = internet.child.signed(vec![ns("example.", "ns0.example.")]);
    let glue = internet
        .child
        .signed(vec![a("ns0.example.", &child_server(0))]);
    let keys = internet.child.dnskey_rrset(&[]);
    internet.on_child(
        "example.",
        RecordType::DNSKEY,
        Canned {
            authoritative: true,
            answers: keys,
            authorities: ns_set.clone(),
            additionals: glue.clone(),
            ..Canned::default()
        },
    );
    (ns_set, glue)
}

#[tokio::test]
async fn an_unchecked_signed_delegation_is_validated_when_referred_and_gets_ad() {
    let mut internet = SignedInternet::new(1);
    let (ns_set, glue) = keys_reply_with_signed_sections(&mut internet);
    let config = ResolverConfig {
        scrub_promiscuous: false,
        ..internet.config()
    };
    let setup = setup(internet.network, config);
    let www = setup
        .resolver
        .resolve(&ad_query("www.example.", RecordType::A))
        .await;
    assert!(www.metadata.authentic_data);
    // The chain of trust forgotten: validating the referral needs the keys again.
    setup.resolver.key_cache.clear();
    setup.resolver.verified_signatures.clear();
    let sent = setup.network.sent().len();
    let referral = setup
        .resolver
        .answer_without_recursion(&without_recursion("other.example."))
        .await;
    assert_eq!(referral.metadata.response_code, ResponseCode::NoError);
    assert!(referral.answers.is_empty());
    assert!(referral.metadata.authentic_data, "{referral:?}");
    assert_eq!(sorted(&referral.authorities[..2]), sorted(&ns_set));
    assert_eq!(sorted(&referral.additionals), sorted(&glue));
    let asked: Vec<RecordType> = setup.network.sent()[sent..]
        .iter()
        .map(|(_, _, record_type, _)| *record_type)
        .collect();
    assert!(!asked.is_empty(), "the keys were fetched");
    assert!(
        asked
            .iter()
            .all(|asked| matches!(asked, RecordType::DNSKEY | RecordType::DS)),
        "only the chain of trust is asked, never the question: {asked:?}"
    );
    // The verdict is stored with the RRsets: the next referral costs nothing upstream.
    let sent = setup.network.sent().len();
    let again = setup
        .resolver
        .answer_without_recursion(&without_recursion("more.example."))
        .await;
    assert!(again.metadata.authentic_data);
    assert_eq!(setup.network.sent().len(), sent);
}

#[tokio::test]
async fn a_delegation_whose_signature_fails_is_servfail_with_ede_unless_cd() {
    let mut internet = SignedInternet::new(1);
    keys_reply_with_signed_sections(&mut internet);
    let config = ResolverConfig {
        scrub_promiscuous: false,
        ..internet.config()
    };
    let setup = setup(internet.network, config);
    setup
        .resolver
        .resolve(&ad_query("www.example.", RecordType::A))
        .await;
    // An NS set signed by a key the zone does not have, better ranked than the one held.
    let impostor = crate::scripted::signed_network::SignedZone::new("example.");
    let forged = impostor.signed(vec![ns("example.", "ns0.example.")]);
    let (records, signatures): (Vec<Record>, Vec<Record>) = forged
        .into_iter()
        .partition(|record| record.record_type() == RecordType::NS);
    let signatures: Vec<&Record> = signatures.iter().collect();
    setup.resolver.cache.insert_validated(
        &records,
        &signatures,
        crate::cache::Trust::AnswerAuthoritative,
        crate::cache::Validation::UNCHECKED,
        None,
        crate::clock::Clock::now(setup.clock.as_ref()),
    );
    let bogus = setup
        .resolver
        .answer_without_recursion(&without_recursion("other.example."))
        .await;
    assert_eq!(bogus.metadata.response_code, ResponseCode::ServFail);
    let extended_error = bogus.edns.as_ref().and_then(|edns| {
        edns.options()
            .as_ref()
            .iter()
            .find_map(|(_, option)| match option {
                hickory_proto::rr::rdata::opt::EdnsOption::Unknown(15, data) if data.len() >= 2 => {
                    Some(u16::from_be_bytes([data[0], data[1]]))
                }
                _ => None,
            })
    });
    // RFC 8914 §4.10: 9, DNSKEY Missing: the RRSIG names a key the zone does not have.
    assert_eq!(extended_error, Some(9), "{bogus:?}");
    let mut checking_disabled = without_recursion("other.example.");
    checking_disabled.metadata.checking_disabled = true;
    let referral = setup
        .resolver
        .answer_without_recursion(&checking_disabled)
        .await;
    assert_eq!(referral.metadata.response_code, ResponseCode::NoError);
    assert!(!referral.metadata.authentic_data);
    assert!(referral
        .authorities
        .iter()
        .any(|record| record.record_type() == RecordType::NS));
}

#[tokio::test]
async fn an_insecure_delegation_is_referred_without_ad() {
    use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC};
    use hickory_proto::rr::RData;

    let mut internet = SignedInternet::new(1);
    let no_ds = Record::from_rdata(
        name("example."),
        3600,
        RData::DNSSEC(DNSSECRData::NSEC(NSEC::new(
            name("zzz."),
            [RecordType::NS, RecordType::RRSIG, RecordType::NSEC],
        ))),
    );
    let proof = internet.root.signed(vec![no_ds]);
    // The referral proves there is no DS: `example.` is unsigned.
    let mut delegation = vec![ns("example.", "ns0.example.")];
    delegation.extend(proof.iter().cloned());
    let glue = vec![a("ns0.example.", &internet.child_servers[0])];
    internet
        .network
        .on_anything(ROOT, referral(delegation, glue.clone()));
    let mut negative = internet.root.signed(vec![soa(".", 3600)]);
    negative.extend(proof);
    internet.network.on(
        ROOT,
        "example.",
        RecordType::DS,
        Canned {
            authoritative: true,
            authorities: negative,
            ..Canned::default()
        },
    );
    internet.on_child(
        "www.example.",
        RecordType::A,
        answer(vec![a("www.example.", "192.0.2.80")]),
    );
    let config = internet.config();
    let setup = setup(internet.network, config);
    let www = setup
        .resolver
        .resolve(&ad_query("www.example.", RecordType::A))
        .await;
    assert_eq!(www.metadata.response_code, ResponseCode::NoError);
    assert!(!www.metadata.authentic_data, "insecure");
    let sent = setup.network.sent().len();
    let referral = setup
        .resolver
        .answer_without_recursion(&without_recursion("other.example."))
        .await;
    assert_eq!(referral.metadata.response_code, ResponseCode::NoError);
    assert!(!referral.metadata.authentic_data, "{referral:?}");
    assert!(referral
        .authorities
        .contains(&ns("example.", "ns0.example.")));
    // A DO client gets the referral's proof of no DS, as the parent gave it.
    assert!(
        referral
            .authorities
            .iter()
            .any(|record| record.record_type() == RecordType::NSEC),
        "{referral:?}"
    );
    assert_eq!(sorted(&referral.additionals), sorted(&glue));
    assert_eq!(setup.network.sent().len(), sent, "the chain was known");
}
