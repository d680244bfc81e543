//! DS questions go to the parent side of the zone cut (RFC 4035 §3.1.4.1), also once the child's
//! delegation is cached, and whatever the child's servers are named: a name below the child
//! itself, or a CNAME to a server elsewhere.

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use crate::scripted::network::*;

/// The child zone's own server (the one a DS question must never reach).
const SUB: &str = "198.51.100.60";

/// internet() with sub.example.com. delegated by example.com. to `child_ns`, reached at
/// `child_address` (glue when `child_ns` is below the child); example.com. answers the DS
/// question authoritatively (NODATA: no DS, an insecure child).
fn internet_with_child(
    child_ns: &str,
    glue: Vec<hickory_proto::rr::Record>,
    child_address: &str,
) -> ScriptedNetwork {
    let mut network = internet();
    let sub_names = ["www.sub.example.com.", "sub.example.com."];
    for qname in sub_names {
        for qtype in [
            RecordType::A,
            RecordType::NS,
            RecordType::AAAA,
            RecordType::DS,
        ] {
            network.on(
                ROOT,
                qname,
                qtype,
                referral(vec![ns("com.", "a.gtld.com.")], vec![a("a.gtld.com.", COM)]),
            );
            network.on(
                COM,
                qname,
                qtype,
                referral(
                    vec![ns("example.com.", "ns.example.com.")],
                    vec![a("ns.example.com.", EXAMPLE_COM)],
                ),
            );
            network.on(
                EXAMPLE_COM,
                qname,
                qtype,
                referral(vec![ns("sub.example.com.", child_ns)], glue.clone()),
            );
        }
    }
    network.on(
        EXAMPLE_COM,
        "sub.example.com.",
        RecordType::DS,
        Canned {
            authoritative: true,
            authorities: vec![soa("example.com.", 300)],
            ..Canned::default()
        },
    );
    network.on(
        child_address,
        "www.sub.example.com.",
        RecordType::A,
        answer(vec![a("www.sub.example.com.", "192.0.2.61")]),
    );
    // The child would answer the DS question too, wrongly (a child has no DS for itself).
    network.on(
        child_address,
        "sub.example.com.",
        RecordType::DS,
        Canned {
            authoritative: true,
            authorities: vec![soa("sub.example.com.", 300)],
            ..Canned::default()
        },
    );
    network
}

/// Resolves www.sub.example.com. (the child's delegation is then cached), then asks DS.
async fn ds_after_the_child_is_cached(network: impl Fn() -> ScriptedNetwork, child_address: &str) {
    for config in modes() {
        let setup = setup(network(), config);
        let www = setup
            .resolver
            .resolve(&client_query("www.sub.example.com.", RecordType::A))
            .await;
        assert_eq!(addresses(&www), [std::net::Ipv4Addr::new(192, 0, 2, 61)]);
        let child_before = ds_questions_to(&setup, child_address);
        let parent_before = ds_questions_to(&setup, EXAMPLE_COM);
        let ds = setup
            .resolver
            .resolve(&client_query("sub.example.com.", RecordType::DS))
            .await;
        assert_eq!(ds.metadata.response_code, ResponseCode::NoError, "{ds:?}");
        assert_eq!(
            ds.authorities.first().map(|record| record.name.clone()),
            Some(name("example.com.")),
            "the parent's NODATA: {ds:?}"
        );
        assert_eq!(ds_questions_to(&setup, child_address), child_before);
        assert_eq!(ds_questions_to(&setup, EXAMPLE_COM), parent_before + 1);
    }
}

fn ds_questions_to(setup: &Setup, server: &str) -> usize {
    setup
        .network
        .sent()
        .iter()
        .filter(|sent| sent.0 == ip(server) && sent.2 == RecordType::DS)
        .count()
}

#[tokio::test]
async fn ds_goes_to_the_parent_when_the_childs_server_is_named_below_the_child() {
    let network = || {
        internet_with_child(
            "ns.sub.example.com.",
            vec![a("ns.sub.example.com.", SUB)],
            SUB,
        )
    };
    ds_after_the_child_is_cached(network, SUB).await;
}

#[tokio::test]
async fn ds_goes_to_the_parent_when_the_childs_server_name_is_a_cname() {
    // alias.example.net. is a CNAME to ns.example.net. (RFC 2181 §10.3 forbids it; Unbound
    // follows it all the same): the child is served at example.net.'s address.
    let network = || {
        let mut network = internet_with_child("alias.example.net.", Vec::new(), EXAMPLE_NET);
        for qtype in [RecordType::A, RecordType::NS, RecordType::AAAA] {
            network.on(
                ROOT,
                "alias.example.net.",
                qtype,
                referral(vec![ns("net.", "a.gtld.net.")], vec![a("a.gtld.net.", NET)]),
            );
            network.on(
                NET,
                "alias.example.net.",
                qtype,
                referral(
                    vec![ns("example.net.", "ns.example.net.")],
                    vec![a("ns.example.net.", EXAMPLE_NET)],
                ),
            );
        }
        network.on(
            EXAMPLE_NET,
            "alias.example.net.",
            RecordType::A,
            answer(vec![
                cname("alias.example.net.", "ns.example.net."),
                a("ns.example.net.", EXAMPLE_NET),
            ]),
        );
        network
    };
    ds_after_the_child_is_cached(network, EXAMPLE_NET).await;
}

/// iter_ds_referral: the parent answers the DS question with its referral to the child, the
/// signed DS RRset beside the NS set (RFC 4035 §3.1.4). That DS RRset is the answer, validated
/// with the parent's keys; the child, which refuses DS questions, is never asked.
#[tokio::test]
async fn a_ds_question_answered_by_the_parents_referral_takes_its_signed_ds() {
    use crate::scripted::signed_network::{ad_query, SignedInternet};
    let mut internet = SignedInternet::new(1);
    let mut delegation = vec![ns("example.", "ns0.example.")];
    delegation.extend(internet.root.signed(vec![internet.child.ds()]));
    internet.network.on(
        ROOT,
        "example.",
        RecordType::DS,
        referral(
            delegation,
            vec![a("ns0.example.", &internet.child_servers[0])],
        ),
    );
    internet.on_child(
        "example.",
        RecordType::DS,
        error_reply(ResponseCode::Refused),
    );
    let child = internet.child_servers[0].clone();
    let config = internet.config();
    let setup = setup(internet.network, config);
    let response = setup
        .resolver
        .resolve(&ad_query("example.", RecordType::DS))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert!(response.metadata.authentic_data, "{response:?}");
    assert!(response
        .answers
        .iter()
        .any(|record| record.record_type() == RecordType::DS));
    assert_eq!(ds_questions_to(&setup, &child), 0);
}
