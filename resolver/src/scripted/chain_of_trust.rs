//! The chain of trust: walked down through a name that is no zone cut because a CNAME owns it
//! (the DS question there is answered by the CNAME, val_ds_cnamesub), and kept as long as keys.

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Record, RecordType};

use crate::scripted::network::*;
use crate::scripted::signed_network::*;

/// The server of `sub.a.example.`, a signed grandchild under the name `a.example.` that owns a
/// CNAME in `example.`.
const GRANDCHILD: &str = "198.51.100.40";

/// `example.` answers `a.example. DS` with `cname` (a CNAME, signed or not), holds the signed
/// DS of `sub.a.example.` and delegates it; the grandchild answers `www.sub.a.example. A`.
fn cname_above_a_signed_zone(sign_cname: bool) -> SignedInternet {
    let mut internet = SignedInternet::new(1);
    let grandchild = SignedZone::new("sub.a.example.");
    let link = vec![cname("a.example.", "elsewhere.test.")];
    let link = if sign_cname {
        internet.child.signed(link)
    } else {
        link
    };
    internet.on_child("a.example.", RecordType::DS, answer(link));
    let ds = internet.child.signed(vec![grandchild.ds()]);
    internet.on_child("sub.a.example.", RecordType::DS, answer(ds.clone()));
    let mut delegation: Vec<Record> = vec![ns("sub.a.example.", "ns.sub.a.example.")];
    delegation.extend(ds);
    internet.on_child(
        "www.sub.a.example.",
        RecordType::A,
        referral(delegation, vec![a("ns.sub.a.example.", GRANDCHILD)]),
    );
    let keys = grandchild.dnskey_rrset(&[]);
    internet.network.on(
        GRANDCHILD,
        "sub.a.example.",
        RecordType::DNSKEY,
        answer(keys),
    );
    let www = grandchild.signed(vec![a("www.sub.a.example.", "192.0.2.41")]);
    internet
        .network
        .on(GRANDCHILD, "www.sub.a.example.", RecordType::A, answer(www));
    internet
}

#[tokio::test]
async fn a_signed_cname_answering_a_ds_question_is_no_zone_cut() {
    let internet = cname_above_a_signed_zone(true);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup
        .resolver
        .resolve(&ad_query("www.sub.a.example.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert_eq!(addresses(&response).len(), 1);
    assert!(
        response.metadata.authentic_data,
        "the chain goes on from example.'s keys"
    );
}

#[tokio::test]
async fn an_unsigned_cname_answering_a_ds_question_is_bogus() {
    let internet = cname_above_a_signed_zone(false);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup
        .resolver
        .resolve(&ad_query("www.sub.a.example.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
}

/// Validated keys stay in the key cache as long as their DNSKEY RRset may be cached (3600 s
/// here), not a fixed 900 s: past that, a new name of the zone costs no DNSKEY query (Unbound's
/// key cache; black_ds_entry relies on it after its bogus DS entry expires).
#[tokio::test]
async fn validated_keys_live_as_long_as_their_dnskey_ttl() {
    let mut internet = SignedInternet::new(1);
    let ftp = internet.child.signed(vec![a("ftp.example.", "192.0.2.81")]);
    internet.on_child("ftp.example.", RecordType::A, answer(ftp));
    let config = internet.config();
    let setup = setup(internet.network, config);
    let dnskey_queries = |setup: &Setup| {
        setup
            .network
            .sent()
            .iter()
            .filter(|(_, _, record_type, _)| *record_type == RecordType::DNSKEY)
            .count()
    };
    let first = setup
        .resolver
        .resolve(&ad_query("www.example.", RecordType::A))
        .await;
    assert!(first.metadata.authentic_data);
    let before = dnskey_queries(&setup);
    setup.clock.advance(std::time::Duration::from_secs(1800));
    let second = setup
        .resolver
        .resolve(&ad_query("ftp.example.", RecordType::A))
        .await;
    assert!(second.metadata.authentic_data);
    assert_eq!(dnskey_queries(&setup), before, "no DNSKEY asked again");
}

/// net_signed_servfail: a delegation proved insecure (the parent's NSEC shows no DS) is only
/// insecure as long as that proof may be cached; once the parent publishes a DS and the proof
/// has expired, the child's answers are validated again and come out secure.
#[tokio::test]
async fn an_insecure_delegation_lasts_only_as_long_as_its_proof_of_no_ds() {
    use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC};
    use hickory_proto::rr::RData;
    use std::time::Duration;

    let mut internet = SignedInternet::new(1);
    let proof_ttl = 60;
    let mut no_ds = Record::from_rdata(
        name("example."),
        proof_ttl,
        RData::DNSSEC(DNSSECRData::NSEC(NSEC::new(
            name("zzz."),
            [RecordType::NS, RecordType::RRSIG, RecordType::NSEC],
        ))),
    );
    no_ds.ttl = proof_ttl;
    let mut negative = internet.root.signed(vec![soa(".", proof_ttl)]);
    negative.extend(internet.root.signed(vec![no_ds]));
    let with_ds = answer(internet.root.signed(vec![internet.child.ds()]));
    // The referral carries the proof of no DS instead of the DS.
    let mut delegation = vec![ns("example.", "ns0.example.")];
    delegation.extend(
        negative
            .iter()
            .filter(|record| record.name == name("example."))
            .cloned(),
    );
    let glue = vec![a("ns0.example.", &internet.child_servers[0])];
    internet
        .network
        .on_anything(ROOT, referral(delegation, glue));
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
    let introduced = Duration::from_secs(70);
    internet
        .network
        .on_from(introduced, ROOT, "example.", RecordType::DS, with_ds);
    let mut www = a("www.example.", "192.0.2.80");
    www.ttl = 60;
    let www = internet.child.signed(vec![www]);
    internet.on_child("www.example.", RecordType::A, answer(www));
    let config = internet.config();
    let setup = setup(internet.network, config);
    let query = ad_query("www.example.", RecordType::A);
    let before = setup.resolver.resolve(&query).await;
    assert_eq!(before.metadata.response_code, ResponseCode::NoError);
    assert!(!before.metadata.authentic_data, "no DS yet: insecure");
    setup.clock.advance(introduced);
    let after = setup.resolver.resolve(&query).await;
    assert_eq!(after.metadata.response_code, ResponseCode::NoError);
    assert!(after.metadata.authentic_data, "the DS is seen: {after:?}");
}
