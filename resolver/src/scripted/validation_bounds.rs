//! The DNSSEC bounds of `limits.rs` against hostile signed zones (KeyTrap, CVE-2023-50387; NSEC3
//! hashing, CVE-2023-50868; key fetches in the query budget): counters of work, never time.

use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC3, RRSIG};
use hickory_proto::dnssec::Nsec3HashAlgorithm;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::dnssec::nsec3::HASHES_COMPUTED;
use crate::dnssec::signature::rrsig_of;
use crate::dnssec::{Reason, Security};
use crate::iterate::budget::Budget;
use crate::limits::{
    MAX_KEYS_TRIED_PER_SIGNATURE, MAX_NSEC3_HASHES_PER_PROOF, MAX_NSEC3_ITERATIONS,
    MAX_SIGNATURES_TRIED_PER_RRSET, MAX_SIGNATURE_CHECKS_PER_QUERY, MAX_UPSTREAM_QUERIES,
    MAX_VALIDATION_RESTARTS,
};
use crate::scripted::network::*;
use crate::scripted::signed_network::*;

/// Verifications the chain of trust to `example.` costs: the root's DNSKEY RRset, the DS of
/// `example.` and its DNSKEY RRset, one each.
const CHAIN_CHECKS: u64 = 3;

fn signature_checks(setup: &Setup) -> u64 {
    setup.resolver.validation_counts.read().signature_checks
}

/// `count` RRSIGs like `signed`'s last record (same key tag, signer and window) whose
/// signature bytes are garbage: each must be tried before it is known bad.
fn forged_signatures(signed: &[Record], count: u8) -> Vec<Record> {
    let valid = signed.last().expect("a signed RRset");
    let rrsig = rrsig_of(valid).expect("an RRSIG");
    (0..count)
        .map(|index| {
            let mut bytes = rrsig.sig().to_vec();
            bytes[0] ^= index.wrapping_add(1);
            bytes[10] ^= 0x5a;
            let forged = RRSIG::from_sig(rrsig.input().clone(), bytes);
            Record::from_rdata(
                valid.name.clone(),
                valid.ttl,
                RData::DNSSEC(DNSSECRData::RRSIG(forged)),
            )
        })
        .collect()
}

/// KeyTrap's zone: 40 DNSKEYs sharing the zone key's tag, and `www.example. A` with 30 RRSIGs
/// naming that tag, none valid. Unbounded, that is 30 × 41 verifications for one RRset.
fn keytrap_zone(servers: u8) -> SignedInternet {
    let mut internet = SignedInternet::new(servers);
    let colliding = internet.child.colliding_keys(40);
    assert_eq!(colliding.len(), 40);
    for key in &colliding {
        assert_eq!(
            key.calculate_key_tag().ok(),
            Some(internet.child.key.key_tag())
        );
    }
    let keys = internet.child.dnskey_rrset(&colliding);
    internet.on_child("example.", RecordType::DNSKEY, answer(keys));
    let signed = internet.child.signed(vec![a("www.example.", "192.0.2.80")]);
    let mut records = vec![signed[0].clone()];
    records.extend(forged_signatures(&signed, 30));
    internet.on_child("www.example.", RecordType::A, answer(records));
    internet
}

#[tokio::test]
async fn a_signed_answer_costs_one_check_per_link_and_rrset() {
    let internet = SignedInternet::new(1);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup
        .resolver
        .resolve(&ad_query("www.example.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(response.metadata.authentic_data, "secure: AD");
    assert_eq!(signature_checks(&setup), CHAIN_CHECKS + 1);
}

/// CVE-2023-50387: colliding key tags × piles of signatures cost at most
/// MAX_SIGNATURES_TRIED_PER_RRSET × MAX_KEYS_TRIED_PER_SIGNATURE checks for the RRset.
#[tokio::test]
async fn keytrap_colliding_keys_and_signatures_cost_a_bounded_number_of_checks() {
    let internet = keytrap_zone(1);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup
        .resolver
        .resolve(&ad_query("www.example.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    let per_rrset = (MAX_SIGNATURES_TRIED_PER_RRSET * MAX_KEYS_TRIED_PER_SIGNATURE) as u64;
    let checks = signature_checks(&setup);
    assert_eq!(checks, CHAIN_CHECKS + per_rrset, "30 × 41 unbounded");
    let counts = setup.resolver.validation_counts.read();
    assert_eq!(counts.bogus, 1);

    // The bogus answer is cached (val-bogus-ttl): asking again costs no check and no query.
    let sent = setup.network.sent().len();
    let again = setup
        .resolver
        .resolve(&ad_query("www.example.", RecordType::A))
        .await;
    assert_eq!(again.metadata.response_code, ResponseCode::ServFail);
    assert_eq!(signature_checks(&setup), checks);
    assert_eq!(setup.network.sent().len(), sent);
}

/// CVE-2023-50387 across retries: six servers each send the KeyTrap answer, and each bogus
/// reply is asked again of another (val-max-restart). The query's allowance stops the work at
/// MAX_SIGNATURE_CHECKS_PER_QUERY, and the restarts at MAX_VALIDATION_RESTARTS.
#[tokio::test]
async fn keytrap_from_every_server_stops_at_the_per_query_allowance() {
    let internet = keytrap_zone(6);
    let servers = internet.child_servers.clone();
    let config = internet.config();
    let setup = setup(internet.network, config);
    let query = ad_query("www.example.", RecordType::A);
    let resolution = setup
        .resolver
        .lookup(
            Name::from_ascii("www.example.").unwrap(),
            RecordType::A,
            &Budget::new(std::time::Duration::ZERO),
            0,
            Vec::new(),
        )
        .await;
    assert_eq!(resolution.verdict.security, Security::Bogus);
    assert!(matches!(
        resolution.verdict.reason,
        Some((Reason::WorkLimit | Reason::SignatureInvalid, _))
    ));
    let answers_asked = setup
        .network
        .sent()
        .iter()
        .filter(|(address, qname, qtype, _)| {
            servers.contains(&address.to_string())
                && *qname == Name::from_ascii("www.example.").unwrap()
                && *qtype == RecordType::A
        })
        .count();
    assert!(answers_asked <= 1 + MAX_VALIDATION_RESTARTS);
    assert!(
        answers_asked >= 4,
        "the answer was asked of several servers"
    );

    // The same through `resolve`, on a fresh resolver: the counter shows the allowance.
    let internet = keytrap_zone(6);
    let config = internet.config();
    let fresh = crate::scripted::network::setup(internet.network, config);
    let response = fresh.resolver.resolve(&query).await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    assert_eq!(
        signature_checks(&fresh),
        u64::from(MAX_SIGNATURE_CHECKS_PER_QUERY),
        "six answers × 16 checks would be 96"
    );
}

/// An NSEC3 record (RFC 5155 §3) of `example.` with `iterations`, owned by `owner_hash`.
fn nsec3(owner_hash: [u8; 20], next_hash: [u8; 20], iterations: u16) -> Record {
    let owner = format!(
        "{}.example.",
        data_encoding::BASE32HEX_NOPAD.encode(&owner_hash)
    );
    Record::from_rdata(
        Name::from_ascii(&owner).unwrap(),
        3600,
        RData::DNSSEC(DNSSECRData::NSEC3(NSEC3::new(
            Nsec3HashAlgorithm::SHA1,
            false,
            iterations,
            vec![0xab, 0xcd],
            next_hash.to_vec(),
            [RecordType::A, RecordType::RRSIG],
        ))),
    )
}

/// The child answers `qname A` with NXDOMAIN: its SOA and two NSEC3 records with
/// `iterations`, all validly signed, that prove nothing for `qname`.
fn nsec3_name_error(internet: &mut SignedInternet, qname: &str, iterations: u16) {
    let mut authorities = internet.child.signed(vec![soa("example.", 300)]);
    authorities.extend(
        internet
            .child
            .signed(vec![nsec3([0x01; 20], [0x02; 20], iterations)]),
    );
    authorities.extend(
        internet
            .child
            .signed(vec![nsec3([0xf0; 20], [0xf1; 20], iterations)]),
    );
    internet.on_child(
        qname,
        RecordType::A,
        Canned {
            authoritative: true,
            rcode: ResponseCode::NXDomain,
            authorities,
            ..Canned::default()
        },
    );
}

/// CVE-2023-50868 / RFC 9276 §3.2: NSEC3 iterations above MAX_NSEC3_ITERATIONS make the
/// answer insecure, and not one hash is computed.
#[tokio::test]
async fn nsec3_iterations_above_the_limit_give_insecure_without_hashing() {
    let mut internet = SignedInternet::new(1);
    nsec3_name_error(&mut internet, "nx.example.", 2500);
    let config = internet.config();
    let setup = setup(internet.network, config);
    HASHES_COMPUTED.with(|computed| computed.set(0));
    let response = setup
        .resolver
        .resolve(&ad_query("nx.example.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
    assert!(!response.metadata.authentic_data, "insecure: no AD");
    assert_eq!(HASHES_COMPUTED.with(|computed| computed.get()), 0);
    assert_eq!(setup.resolver.validation_counts.read().insecure, 1);
}

/// CVE-2023-50868: at the iteration limit, a proof for a name of many labels hashes each
/// name once (MAX_NSEC3_HASHES_PER_PROOF at most), and the failed proof is bogus.
#[tokio::test]
async fn nsec3_proof_for_a_deep_name_hashes_each_label_once() {
    let labels = 60;
    let qname = format!("{}example.", "a.".repeat(labels));
    let mut internet = SignedInternet::new(1);
    nsec3_name_error(&mut internet, &qname, MAX_NSEC3_ITERATIONS);
    let config = internet.config();
    let setup = setup(internet.network, config);
    HASHES_COMPUTED.with(|computed| computed.set(0));
    let response = setup
        .resolver
        .resolve(&ad_query(&qname, RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
    let hashes = HASHES_COMPUTED.with(|computed| computed.get());
    assert!(hashes <= labels, "{hashes} hashes for {labels} labels");
    assert!(hashes <= MAX_NSEC3_HASHES_PER_PROOF);
}

/// DS and DNSKEY fetches are sub-walks of the client's query: every query they send is taken
/// from its budget, exactly as the walk's own.
#[tokio::test]
async fn key_fetches_are_taken_from_the_query_budget() {
    let internet = SignedInternet::new(1);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let budget = Budget::new(std::time::Duration::ZERO);
    let resolution = setup
        .resolver
        .lookup(
            Name::from_ascii("www.example.").unwrap(),
            RecordType::A,
            &budget,
            0,
            Vec::new(),
        )
        .await;
    assert_eq!(resolution.verdict.security, Security::Secure);
    let sent = setup.network.sent();
    assert!(sent
        .iter()
        .any(|(_, _, qtype, _)| *qtype == RecordType::DNSKEY));
    let spent = MAX_UPSTREAM_QUERIES - budget.sends_left();
    assert_eq!(spent as usize, sent.len());
}

/// With fewer queries left than the chain of trust needs, validation stops inside the budget
/// and the answer is withheld (never passed on unchecked).
#[tokio::test]
async fn a_chain_of_trust_beyond_the_budget_fails_within_it() {
    let internet = SignedInternet::new(1);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let budget = Budget::new(std::time::Duration::ZERO);
    let left = 3;
    while budget.sends_left() > left {
        budget.take_send(std::time::Duration::ZERO);
    }
    let resolution = setup
        .resolver
        .lookup(
            Name::from_ascii("www.example.").unwrap(),
            RecordType::A,
            &budget,
            0,
            Vec::new(),
        )
        .await;
    assert!(
        resolution.verdict.security.is_withheld()
            || resolution.response_code == ResponseCode::ServFail,
        "{:?} {:?}",
        resolution.response_code,
        resolution.verdict
    );
    assert!(setup.network.sent().len() <= left as usize);
}
