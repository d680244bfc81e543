//! RFC 8198 over whole resolutions: after one validated NXDOMAIN from the signed `example.`, other
//! names its NSEC covers are answered without a query, and only when that is safe.
//! Each test counts the queries `example.`'s server saw, as a user would in its query log.

use std::time::Duration;

use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC};
use hickory_proto::op::{Edns, Message, ResponseCode};
use hickory_proto::rr::{RData, Record, RecordType};

use crate::config::ResolverConfig;
use crate::scripted::network::*;
use crate::scripted::signed_network::*;

fn nsec(owner: &str, next: &str, types: &[RecordType]) -> Record {
    Record::from_rdata(
        name(owner),
        3600,
        RData::DNSSEC(DNSSECRData::NSEC(NSEC::new(
            name(next),
            types.iter().copied(),
        ))),
    )
}

/// The NXDOMAIN `example.`'s server gives for any name between the apex and `www.example.`:
/// the apex NSEC covers the name and `*.example.` both; SOA minimum 300, NSEC TTL 3600.
fn name_error(signer: &SignedZone, zone: &SignedZone) -> Canned {
    let apex_types = [
        RecordType::NS,
        RecordType::SOA,
        RecordType::RRSIG,
        RecordType::NSEC,
        RecordType::DNSKEY,
    ];
    let mut authorities = zone.signed(vec![soa("example.", 300)]);
    authorities.extend(signer.signed(vec![nsec("example.", "www.example.", &apex_types)]));
    Canned {
        authoritative: true,
        rcode: ResponseCode::NXDomain,
        authorities,
        ..Canned::default()
    }
}

/// `example.` answers NXDOMAIN for `nx1.` to `nx3.example.`, its NSEC signed by `signer`.
fn internet_with_name_errors(rogue_nsec: bool) -> SignedInternet {
    let mut internet = SignedInternet::new(1);
    let rogue = SignedZone::new("example.");
    let signer = if rogue_nsec { &rogue } else { &internet.child };
    let canned = name_error(signer, &internet.child);
    for qname in ["nx1.example.", "nx2.example.", "nx3.example."] {
        internet.on_child(qname, RecordType::A, canned.clone());
    }
    internet
}

fn do_query(qname: &str) -> Message {
    let mut query = client_query(qname, RecordType::A);
    let mut edns = Edns::new();
    edns.set_dnssec_ok(true);
    query.edns = Some(edns);
    query
}

fn queries_to_example(setup: &Setup) -> usize {
    setup.network.sent_to(&child_server(0))
}

/// Resolves `nx1.example.` (a walk) then `second` with the validating configuration changed by
/// `change`; the queries `example.`'s server got for the second, and its response.
async fn second_name_error(
    change: impl FnOnce(&mut ResolverConfig),
    second: Message,
) -> (usize, Message) {
    let internet = internet_with_name_errors(false);
    let mut config = internet.config();
    change(&mut config);
    let setup = setup(internet.network, config);
    let first = setup.resolver.resolve(&do_query("nx1.example.")).await;
    assert_eq!(first.metadata.response_code, ResponseCode::NXDomain);
    setup.resolver.store_deferred();
    let before = queries_to_example(&setup);
    let response = setup.resolver.resolve(&second).await;
    (queries_to_example(&setup) - before, response)
}

#[tokio::test]
async fn a_second_name_covered_by_a_cached_nsec_is_answered_without_a_query() {
    let internet = internet_with_name_errors(false);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let first = setup.resolver.resolve(&do_query("nx1.example.")).await;
    assert_eq!(first.metadata.response_code, ResponseCode::NXDomain);
    assert!(first.metadata.authentic_data);
    setup.resolver.store_deferred();
    let before = queries_to_example(&setup);
    let response = setup.resolver.resolve(&do_query("nx2.example.")).await;
    assert_eq!(
        queries_to_example(&setup),
        before,
        "no query for nx2.example."
    );
    assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
    assert!(
        response.metadata.authentic_data,
        "synthesized from secure records: AD"
    );
    let types: Vec<RecordType> = response
        .authorities
        .iter()
        .map(|record| record.record_type())
        .collect();
    for wanted in [RecordType::SOA, RecordType::NSEC, RecordType::RRSIG] {
        assert!(types.contains(&wanted), "{wanted} in {types:?}");
    }
    assert_eq!(setup.resolver.validation_counts.read().synthesized, 1);
    // A client without DO gets the SOA alone, as from any negative answer.
    let plain = setup
        .resolver
        .resolve(&client_query("nx3.example.", RecordType::A))
        .await;
    assert_eq!(plain.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(queries_to_example(&setup), before);
    assert!(plain
        .authorities
        .iter()
        .all(|record| record.record_type() == RecordType::SOA));
}

#[tokio::test]
async fn a_client_setting_cd_gets_no_synthesized_answer() {
    let mut query = do_query("nx2.example.");
    query.metadata.checking_disabled = true;
    let (sent, response) = second_name_error(|_| {}, query).await;
    assert_eq!(sent, 1, "CD: the zone is asked");
    assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
}

#[tokio::test]
async fn nothing_is_synthesized_when_switched_off_or_not_validating() {
    let off = |config: &mut ResolverConfig| config.aggressive_nsec = false;
    let (sent, _) = second_name_error(off, do_query("nx2.example.")).await;
    assert_eq!(sent, 1, "aggressive-nsec off: the zone is asked");
    let not_validating = |config: &mut ResolverConfig| config.dnssec.enabled = false;
    let (sent, _) = second_name_error(not_validating, do_query("nx2.example.")).await;
    assert_eq!(sent, 1, "validation off: the zone is asked");
}

#[tokio::test]
async fn a_nsec_that_fails_validation_is_never_reused() {
    let internet = internet_with_name_errors(true);
    let config = internet.config();
    let setup = setup(internet.network, config);
    let first = setup.resolver.resolve(&do_query("nx1.example.")).await;
    assert_eq!(first.metadata.response_code, ResponseCode::ServFail);
    setup.resolver.store_deferred();
    let before = queries_to_example(&setup);
    setup.resolver.resolve(&do_query("nx2.example.")).await;
    assert!(
        queries_to_example(&setup) > before,
        "the bogus NSEC proved nothing"
    );
    assert_eq!(setup.resolver.validation_counts.read().synthesized, 0);
}

/// RFC 8198 §5.4 and RFC 9077: the NSEC's TTL is 3600 but the SOA minimum 300; past 300 s the
/// NSEC proves nothing more and the zone is asked again.
#[tokio::test]
async fn a_kept_nsec_lasts_as_long_as_the_soa_minimum_allows() {
    let internet = internet_with_name_errors(false);
    let config = internet.config();
    let setup = setup(internet.network, config);
    setup.resolver.resolve(&do_query("nx1.example.")).await;
    setup.resolver.store_deferred();
    setup.clock.advance(Duration::from_secs(299));
    let before = queries_to_example(&setup);
    let response = setup.resolver.resolve(&do_query("nx2.example.")).await;
    assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(
        queries_to_example(&setup),
        before,
        "still within the SOA minimum"
    );
    setup.clock.advance(Duration::from_secs(1));
    setup.resolver.resolve(&do_query("nx3.example.")).await;
    assert!(queries_to_example(&setup) > before, "300 s on: asked again");
}

/// A name below `www.example.`, which exists, is not in the NSEC's span: it is asked.
#[tokio::test]
async fn a_name_outside_the_span_is_asked() {
    let (sent, _) = second_name_error(|_| {}, do_query("a.www.example.")).await;
    assert!(sent >= 1);
}
