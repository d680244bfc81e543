//! How a response past the client's limit is cut (`message::encode_response`): whole RRsets from
//! the end, each with its RRSIGs, TC once an authority or answer RRset goes. No network used.

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::rr::rdata::{A, NS};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::dnssec::signature::rrsig_of;
use crate::dnssec::test_signing::TestKey;
use crate::server::message::encode_response;

fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap()
}

fn a(owner: &str, address: [u8; 4]) -> Record {
    Record::from_rdata(
        name(owner),
        3600,
        RData::A(A::from(std::net::Ipv4Addr::from(address))),
    )
}

/// `rrset` followed by its RRSIG.
fn signed(key: &TestKey, rrset: Vec<Record>) -> Vec<Record> {
    let signature = key.sign(&rrset, 1, u32::MAX);
    let mut records = rrset;
    records.push(signature);
    records
}

fn do_request() -> Message {
    let mut request = Message::new(7, MessageType::Query, OpCode::Query);
    request.add_query(Query::query(name("www.example."), RecordType::A));
    let mut edns = Edns::new();
    edns.set_dnssec_ok(true);
    edns.set_max_payload(1232);
    request.edns = Some(edns);
    request
}

/// The (owner, type) of each RRset a section holds, RRSIGs named by what they cover.
fn sets(records: &[Record]) -> Vec<(String, RecordType, bool)> {
    let mut sets: Vec<(String, RecordType, bool)> = records
        .iter()
        .map(|record| match rrsig_of(record) {
            Some(rrsig) => (record.name.to_string(), rrsig.input().type_covered, true),
            None => (record.name.to_string(), record.record_type(), false),
        })
        .collect();
    sets.sort();
    sets.dedup();
    sets
}

/// A signed answer, a signed address set in authority whose RRSIGs stand after all its data
/// (as a proof section lists them), the signed NS set last, and a signed glue address.
fn signed_response(key: &TestKey) -> Message {
    let mut response = Message::new(7, MessageType::Response, OpCode::Query);
    response.add_query(Query::query(name("www.example."), RecordType::A));
    response.answers = signed(key, vec![a("www.example.", [192, 0, 2, 1])]);
    let proof = vec![
        a("p.example.", [192, 0, 2, 2]),
        a("p.example.", [192, 0, 2, 3]),
    ];
    let proof_signature = key.sign(&proof, 1, u32::MAX);
    response.authorities = proof;
    response.authorities.push(proof_signature);
    let ns_set = vec![Record::from_rdata(
        name("example."),
        3600,
        RData::NS(NS(name("ns.example."))),
    )];
    response.authorities.extend(signed(key, ns_set));
    response.additionals = signed(key, vec![a("ns.example.", [192, 0, 2, 53])]);
    response
}

fn encoded_length(response: &Message, request: &Message) -> usize {
    encode_response(response.clone(), request, usize::MAX)
        .unwrap()
        .len()
}

#[test]
fn a_signed_rrset_that_does_not_fit_goes_with_its_rrsigs_and_sets_tc() {
    let key = TestKey::new("example.");
    let request = do_request();
    let response = signed_response(&key);
    // Room for everything but the additional section and the NS RRSIG: the NS set alone fits.
    let mut without = response.clone();
    without.additionals.clear();
    without.authorities.pop();
    let limit = encoded_length(&without, &request);
    let bytes = encode_response(response, &request, limit).unwrap();
    assert!(bytes.len() <= limit);
    let received = Message::from_vec(&bytes).unwrap();
    assert!(received.metadata.truncation);
    assert_eq!(
        sets(&received.authorities),
        vec![
            ("p.example.".to_string(), RecordType::A, false),
            ("p.example.".to_string(), RecordType::A, true),
        ],
        "the NS set went with its RRSIG, the earlier set stayed whole"
    );
    assert!(received.additionals.is_empty());
}

#[test]
fn an_rrset_whose_rrsigs_stand_apart_is_dropped_with_them() {
    let key = TestKey::new("example.");
    let request = do_request();
    let mut response = signed_response(&key);
    response.additionals.clear();
    // The proof's records, then its RRSIG, then nothing else: the RRSIG names the last set.
    response.authorities.truncate(3);
    // Room for the proof's records but not their RRSIG.
    let mut unsigned = response.clone();
    unsigned.authorities.pop();
    let limit = encoded_length(&unsigned, &request);
    let received = Message::from_vec(&encode_response(response, &request, limit).unwrap()).unwrap();
    assert!(received.metadata.truncation);
    assert!(
        received.authorities.is_empty(),
        "no address left without its RRSIG: {:?}",
        received.authorities
    );
    assert_eq!(received.answers.len(), 2);
}

#[test]
fn glue_that_does_not_fit_goes_without_tc() {
    let key = TestKey::new("example.");
    let request = do_request();
    let response = signed_response(&key);
    let mut without = response.clone();
    without.additionals.clear();
    let limit = encoded_length(&without, &request);
    let received = Message::from_vec(&encode_response(response, &request, limit).unwrap()).unwrap();
    assert!(!received.metadata.truncation);
    assert!(received.additionals.is_empty());
    assert_eq!(received.authorities.len(), 5);
}
