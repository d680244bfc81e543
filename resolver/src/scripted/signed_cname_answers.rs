//! Validated answers that go through a CNAME: a CNAME question whose target does not exist in
//! another zone, and a wildcard expansion's answer with the sections minimal responses keep.

use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC};
use hickory_proto::op::{Edns, Message, ResponseCode};
use hickory_proto::rr::{RData, Record, RecordType};

use crate::scripted::network::*;
use crate::scripted::signed_network::*;

fn do_query(qname: &str, qtype: RecordType) -> Message {
    let mut query = client_query(qname, qtype);
    let mut edns = Edns::new();
    edns.set_dnssec_ok(true);
    query.edns = Some(edns);
    query
}

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

/// The records as text, TTLs left out (a negative answer's SOA is capped, RFC 2308 §5), sorted.
fn sorted(records: &[Record]) -> Vec<String> {
    let mut texts: Vec<String> = records
        .iter()
        .map(|record| {
            let mut record = record.clone();
            record.ttl = 0;
            record.to_string()
        })
        .collect();
    texts.sort();
    texts
}

/// `alias.example. CNAME gone.`, and `gone.` does not exist in the signed root: its signed SOA
/// and the NSECs covering `gone.` and `*.`, as a server holding both zones sends them.
fn alias_to_a_missing_name() -> (SignedInternet, Vec<Record>, Vec<Record>) {
    let mut internet = SignedInternet::new(1);
    let alias = internet
        .child
        .signed(vec![cname("alias.example.", "gone.")]);
    let root_types = [
        RecordType::NS,
        RecordType::SOA,
        RecordType::RRSIG,
        RecordType::NSEC,
        RecordType::DNSKEY,
    ];
    let mut denial = internet.root.signed(vec![soa(".", 300)]);
    denial.extend(
        internet
            .root
            .signed(vec![nsec(".", "example.", &root_types)]),
    );
    let delegation_types = [
        RecordType::NS,
        RecordType::DS,
        RecordType::RRSIG,
        RecordType::NSEC,
    ];
    denial.extend(
        internet
            .root
            .signed(vec![nsec("example.", ".", &delegation_types)]),
    );
    let name_error = |answers: Vec<Record>| Canned {
        authoritative: true,
        rcode: ResponseCode::NXDomain,
        answers,
        authorities: denial.clone(),
        ..Canned::default()
    };
    internet.on_child(
        "alias.example.",
        RecordType::CNAME,
        name_error(alias.clone()),
    );
    internet
        .network
        .on(ROOT, "gone.", RecordType::CNAME, name_error(Vec::new()));
    (internet, alias, denial)
}

/// val_cnameqtype_qmin: the NXDOMAIN a CNAME question gets is the target's. The root's proof in
/// the alias zone's reply is out of its bailiwick (scrubbed), so the target is asked of the
/// root, whose proof validates: NXDOMAIN with AD, the CNAME and the root's denial (Unbound
/// `response_type_from_server`).
#[tokio::test]
async fn a_cname_question_whose_target_does_not_exist_is_proved_in_the_targets_zone() {
    let (internet, alias, denial) = alias_to_a_missing_name();
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup
        .resolver
        .resolve(&do_query("alias.example.", RecordType::CNAME))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
    assert!(response.metadata.authentic_data, "{response}");
    assert_eq!(sorted(&response.answers), sorted(&alias));
    assert_eq!(sorted(&response.authorities), sorted(&denial));
    let asked_root = setup
        .network
        .sent()
        .iter()
        .any(|(server, qname, qtype, _)| {
            *server == ip(ROOT) && *qname == name("gone.") && *qtype == RecordType::CNAME
        });
    assert!(asked_root, "the target asked of its own zone's server");
}

/// A reply that answers `anything.example. A` from `*.example.`, with its NSEC proof, the
/// zone's signed NS set and the server's signed address, all secure.
fn wildcard_answer_with_sections() -> (SignedInternet, Vec<Record>, Vec<Record>) {
    let mut internet = SignedInternet::new(1);
    let mut expansion = internet.child.signed(vec![a("*.example.", "192.0.2.77")]);
    for record in &mut expansion {
        record.name = name("anything.example.");
    }
    let apex_types = [
        RecordType::NS,
        RecordType::SOA,
        RecordType::RRSIG,
        RecordType::NSEC,
        RecordType::DNSKEY,
    ];
    let mut authorities =
        internet
            .child
            .signed(vec![nsec("example.", "www.example.", &apex_types)]);
    authorities.extend(internet.child.signed(vec![ns("example.", "ns0.example.")]));
    let additionals = internet
        .child
        .signed(vec![a("ns0.example.", &child_server(0))]);
    internet.on_child(
        "anything.example.",
        RecordType::A,
        Canned {
            authoritative: true,
            answers: expansion,
            authorities: authorities.clone(),
            additionals: additionals.clone(),
            ..Canned::default()
        },
    );
    (internet, authorities, additionals)
}

/// val_cnametocnamewctoposwc: minimal responses leave an answer beside an NSEC proof whole
/// (Unbound `positive_answer`): the proof, the NS set and the address, fresh and from the cache.
/// The NS set beside an answer is kept only with promiscuous scrubbing off, as there.
#[tokio::test]
async fn minimal_responses_keep_the_sections_of_a_wildcard_answer() {
    let (internet, authorities, additionals) = wildcard_answer_with_sections();
    let config = crate::config::ResolverConfig {
        scrub_promiscuous: false,
        ..internet.config()
    };
    assert!(config.minimal_responses);
    let setup = setup(internet.network, config);
    for round in ["fresh", "cached"] {
        let response = setup
            .resolver
            .resolve(&do_query("anything.example.", RecordType::A))
            .await;
        assert!(response.metadata.authentic_data, "{round}");
        assert_eq!(
            sorted(&response.authorities),
            sorted(&authorities),
            "{round}"
        );
        assert_eq!(
            sorted(&response.additionals),
            sorted(&additionals),
            "{round}"
        );
        setup.resolver.store_deferred();
    }
}

/// Without a proof the same answer stays minimal: the answer alone.
#[tokio::test]
async fn minimal_responses_cut_the_sections_of_an_answer_without_proof() {
    let mut internet = SignedInternet::new(1);
    let ns_set = internet.child.signed(vec![ns("example.", "ns0.example.")]);
    let www = internet.child.signed(vec![a("www.example.", "192.0.2.80")]);
    internet.on_child(
        "www.example.",
        RecordType::A,
        Canned {
            authoritative: true,
            answers: www,
            authorities: ns_set,
            ..Canned::default()
        },
    );
    let config = crate::config::ResolverConfig {
        scrub_promiscuous: false,
        ..internet.config()
    };
    let setup = setup(internet.network, config);
    let response = setup
        .resolver
        .resolve(&do_query("www.example.", RecordType::A))
        .await;
    assert!(response.metadata.authentic_data);
    assert!(response.authorities.is_empty(), "{response}");
    assert!(response.additionals.is_empty(), "{response}");
}
