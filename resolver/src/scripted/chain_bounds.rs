//! The chain-of-trust bounds of `limits.rs` against hostile signed zones: `MAX_DS_RECORDS_USED`
//! (DS records of one zone considered) and `MAX_CHAIN_DEPTH` (zone levels walked to a signer).

use hickory_proto::dnssec::rdata::{DNSSECRData, DS, NSEC};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, Record, RecordType};

use crate::dnssec::keys::ds_of;
use crate::limits::{MAX_CHAIN_DEPTH, MAX_DS_RECORDS_USED, MAX_VALIDATION_RESTARTS};
use crate::scripted::network::*;
use crate::scripted::signed_network::*;

fn signature_checks(setup: &Setup) -> u64 {
    setup.resolver.validation_counts.read().signature_checks
}

/// `count` DS records for `example.` with its key's tag and algorithm but digests of no key.
/// Their digests start with two zero bytes, so they sort before the real one in canonical order.
fn ds_of_no_key(internet: &SignedInternet, count: u8) -> Vec<Record> {
    let real = internet.child.ds();
    let ds = ds_of(&real).expect("a DS record");
    (0..count)
        .map(|index| {
            let mut digest = vec![0u8; ds.digest().len()];
            digest[2] = index;
            let fake = DS::new(ds.key_tag(), ds.algorithm(), ds.digest_type(), digest);
            Record::from_rdata(
                real.name.clone(),
                3600,
                RData::DNSSEC(DNSSECRData::DS(fake)),
            )
        })
        .collect()
}

/// The root publishes `ds_set` (signed) for `example.`, in answers to DS and in its referrals.
fn publish_ds(internet: &mut SignedInternet, ds_set: Vec<Record>) {
    let signed = internet.root.signed(ds_set);
    internet
        .network
        .on(ROOT, "example.", RecordType::DS, answer(signed.clone()));
    let mut delegation = vec![ns("example.", "ns0.example.")];
    delegation.extend(signed);
    let glue = vec![a("ns0.example.", &internet.child_servers[0])];
    internet
        .network
        .on_anything(ROOT, referral(delegation, glue));
}

/// KeyTrap: 30 DS records of which only the last matches `example.`'s key. Only the first
/// MAX_DS_RECORDS_USED are considered, so no key of the zone is reached: bogus (SERVFAIL),
/// with no check of the zone's DNSKEY RRset (no considered DS names a key it holds) and a
/// bounded number of queries.
#[tokio::test]
async fn a_ds_set_larger_than_the_limit_is_used_only_up_to_it() {
    let mut internet = SignedInternet::new(1);
    let fake = 30;
    assert!(usize::from(fake) > MAX_DS_RECORDS_USED);
    let mut ds_set = ds_of_no_key(&internet, fake);
    ds_set.push(internet.child.ds());
    publish_ds(&mut internet, ds_set);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup
        .resolver
        .resolve(&ad_query("www.example.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    assert_eq!(setup.resolver.validation_counts.read().bogus, 1);
    let sent = setup.network.sent();
    let dnskey_fetches = sent
        .iter()
        .filter(|(_, qname, qtype, _)| *qtype == RecordType::DNSKEY && *qname == name("example."))
        .count();
    assert!(
        dnskey_fetches <= 1 + MAX_VALIDATION_RESTARTS,
        "{dnskey_fetches} DNSKEY fetches"
    );
    // The root's DNSKEY RRset and the DS RRset, each checked once; the child's DNSKEY RRset
    // never, however often it is fetched: none of its keys matched a considered DS.
    assert_eq!(signature_checks(&setup), 2, "{sent:?}");
}

/// The same DS set with the real DS among the first MAX_DS_RECORDS_USED: the zone is secure,
/// so the previous test's SERVFAIL is the limit's doing, not the set's size.
#[tokio::test]
async fn a_ds_set_with_its_matching_record_within_the_limit_is_secure() {
    let mut internet = SignedInternet::new(1);
    let mut ds_set = ds_of_no_key(&internet, (MAX_DS_RECORDS_USED - 1) as u8);
    ds_set.push(internet.child.ds());
    publish_ds(&mut internet, ds_set);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup
        .resolver
        .resolve(&ad_query("www.example.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(response.metadata.authentic_data, "secure: AD");
}

/// A name `levels` labels below `example.`: `a.a.….example.`.
fn deep_name(levels: usize) -> String {
    format!("{}example.", "a.".repeat(levels))
}

/// `example.` holds a TXT record at each name `a.example.` … down to `deep_name(levels - 1)`,
/// so each answers its DS question with a signed NSEC showing no DS and no zone cut, and
/// delegates `deep_name(levels)` with a signed DS to a zone of its own that answers
/// `www.deep_name(levels) A`, signed. The chain of trust to that answer has `levels + 1` steps
/// below the root.
fn deep_signer(levels: usize) -> (SignedInternet, String) {
    let mut internet = SignedInternet::new(1);
    for level in 1..levels {
        let owner = deep_name(level);
        let next = deep_name(level + 1);
        let nsec = Record::from_rdata(
            name(&owner),
            300,
            RData::DNSSEC(DNSSECRData::NSEC(NSEC::new(
                name(&next),
                [RecordType::TXT, RecordType::RRSIG, RecordType::NSEC],
            ))),
        );
        let mut authorities = internet.child.signed(vec![soa("example.", 300)]);
        authorities.extend(internet.child.signed(vec![nsec]));
        internet.on_child(
            &owner,
            RecordType::DS,
            Canned {
                authoritative: true,
                authorities,
                ..Canned::default()
            },
        );
    }
    let signer = deep_name(levels);
    let zone = SignedZone::new(&signer);
    let ds = internet.child.signed(vec![zone.ds()]);
    internet.on_child(&signer, RecordType::DS, answer(ds));
    internet.on_child(&signer, RecordType::DNSKEY, answer(zone.dnskey_rrset(&[])));
    let qname = format!("www.{signer}");
    let www = zone.signed(vec![a(&qname, "192.0.2.81")]);
    internet.on_child(&qname, RecordType::A, answer(www));
    (internet, qname)
}

/// DS questions the resolver sent for names below `example.`.
fn ds_questions_below_example(setup: &Setup) -> usize {
    let example = name("example.");
    setup
        .network
        .sent()
        .iter()
        .filter(|(_, qname, qtype, _)| {
            *qtype == RecordType::DS && qname.num_labels() > example.num_labels()
        })
        .count()
}

/// A signer within MAX_CHAIN_DEPTH levels of the trust anchor is reached and the answer is
/// secure: the walk is taken step by step, one DS question per level.
#[tokio::test]
async fn a_signer_within_the_chain_depth_is_reached() {
    let levels = MAX_CHAIN_DEPTH - 2;
    let (internet, qname) = deep_signer(levels);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup
        .resolver
        .resolve(&ad_query(&qname, RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(response.metadata.authentic_data, "secure: AD");
    assert_eq!(ds_questions_below_example(&setup), levels);
}

/// A signer claimed deeper than MAX_CHAIN_DEPTH levels below the trust anchor is never
/// reached: the walk stops after MAX_CHAIN_DEPTH steps (one DS question each), and the answer,
/// whose keys were not found, is bogus (SERVFAIL), never passed on as secure or unchecked.
#[tokio::test]
async fn a_signer_deeper_than_the_chain_depth_is_bogus_after_bounded_work() {
    let levels = MAX_CHAIN_DEPTH + 8;
    let (internet, qname) = deep_signer(levels);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup
        .resolver
        .resolve(&ad_query(&qname, RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    assert_eq!(setup.resolver.validation_counts.read().bogus, 1);
    let asked = ds_questions_below_example(&setup);
    assert!(asked < MAX_CHAIN_DEPTH, "{asked} DS questions");
    let deep_keys = setup
        .network
        .sent()
        .iter()
        .filter(|(_, qname, qtype, _)| {
            *qtype == RecordType::DNSKEY && *qname == name(&deep_name(levels))
        })
        .count();
    assert_eq!(deep_keys, 0, "the signer's keys are beyond the walk");
}
