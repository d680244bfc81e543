//! What a DO client gets from signed zones, validating or not (RFC 4035 §3.2): the RRSIGs and,
//! for a wildcard expansion, the NSEC proof of no closer name; fresh from a walk and cached.

use hickory_proto::op::{Edns, Message, ResponseCode};
use hickory_proto::rr::{RData, Record, RecordType};

use crate::config::ResolverConfig;
use crate::scripted::network::*;
use crate::scripted::signed_network::*;

fn do_query(qname: &str) -> Message {
    let mut query = client_query(qname, RecordType::A);
    let mut edns = Edns::new();
    edns.set_dnssec_ok(true);
    query.edns = Some(edns);
    query
}

/// `example.` holds `*.example. A`; `anything.example. A` is its expansion, signed with the
/// wildcard's label count, and the NSEC from `example.` to `www.example.` covers the name.
fn wildcard_zone() -> SignedInternet {
    let mut internet = SignedInternet::new(1);
    let mut expansion = internet.child.signed(vec![a("*.example.", "192.0.2.77")]);
    for record in &mut expansion {
        record.name = hickory_proto::rr::Name::from_ascii("anything.example.").unwrap();
    }
    let nsec = Record::from_rdata(
        name("example."),
        3600,
        RData::DNSSEC(hickory_proto::dnssec::rdata::DNSSECRData::NSEC(
            hickory_proto::dnssec::rdata::NSEC::new(
                name("www.example."),
                [
                    RecordType::NS,
                    RecordType::SOA,
                    RecordType::RRSIG,
                    RecordType::NSEC,
                    RecordType::DNSKEY,
                ],
            ),
        )),
    );
    let authorities = internet.child.signed(vec![nsec]);
    internet.on_child(
        "anything.example.",
        RecordType::A,
        Canned {
            authoritative: true,
            answers: expansion,
            authorities,
            ..Canned::default()
        },
    );
    internet
}

fn nsec_proof(response: &Message) -> Vec<RecordType> {
    response
        .authorities
        .iter()
        .map(|record| record.record_type())
        .collect()
}

async fn assert_proof_fresh_and_cached(setup: &Setup, authentic: bool) {
    for round in ["fresh", "cached"] {
        let response = setup.resolver.resolve(&do_query("anything.example.")).await;
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert_eq!(response.metadata.authentic_data, authentic, "{round}");
        assert_eq!(addresses(&response).len(), 1, "{round}");
        let proof = nsec_proof(&response);
        assert!(
            proof.contains(&RecordType::NSEC) && proof.contains(&RecordType::RRSIG),
            "{round}: the NSEC proof and its RRSIG in the authority section, got {proof:?}"
        );
        setup.resolver.store_deferred();
    }
}

#[tokio::test]
async fn validating_a_wildcard_expansion_gives_do_clients_its_proof_and_ad() {
    let internet = wildcard_zone();
    let config = internet.config();
    let setup = setup(internet.network, config);
    assert_proof_fresh_and_cached(&setup, true).await;
}

/// Regression: with validation off (`--no-dnssec`) the walk's answer went to the client without
/// the wildcard's NSEC proof the server had sent (only the cached answer carried it).
#[tokio::test]
async fn not_validating_a_wildcard_expansion_still_gives_do_clients_its_proof() {
    let internet = wildcard_zone();
    let mut config: ResolverConfig = internet.config();
    config.dnssec.enabled = false;
    let setup = setup(internet.network, config);
    assert_proof_fresh_and_cached(&setup, false).await;
}
