//! RFC 9156 §2.3 relaxed QNAME minimisation: a minimised question that is refused, failed,
//! unanswered, answered NXDOMAIN or with a CNAME must not sink the resolution of the full name.

use std::net::Ipv4Addr;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use crate::config::ResolverConfig;
use crate::scripted::network::*;

fn minimising() -> ResolverConfig {
    ResolverConfig {
        qname_minimisation: true,
        ..config()
    }
}

/// The questions sent to `server`, as (name, type) text.
fn asked(setup: &Setup, server: &str) -> Vec<String> {
    setup
        .network
        .sent()
        .iter()
        .filter(|(address, ..)| *address == ip(server))
        .map(|(_, name, qtype, _)| format!("{name} {qtype}"))
        .collect()
}

async fn resolve_www(setup: &Setup) -> hickory_proto::op::Message {
    setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await
}

#[tokio::test]
async fn minimised_question_refused_or_failed_is_asked_again_in_full() {
    for rcode in [
        ResponseCode::Refused,
        ResponseCode::ServFail,
        ResponseCode::NotImp,
    ] {
        let mut network = internet();
        network.on(COM, "example.com.", RecordType::A, error_reply(rcode));
        let setup = setup(network, minimising());
        let response = resolve_www(&setup).await;
        assert_eq!(
            addresses(&response),
            vec![Ipv4Addr::new(192, 0, 2, 80)],
            "{rcode}"
        );
        // NOTIMP is first asked again without EDNS (RFC 6891 §7), by the exchange itself.
        let mut questions = asked(&setup, COM);
        questions.dedup();
        assert_eq!(
            questions,
            ["example.com. A", "www.example.com. A"],
            "{rcode}: the same server asked the full name, not given up"
        );
    }
}

#[tokio::test]
async fn minimised_question_never_answered_is_asked_again_in_full() {
    let mut network = internet();
    network.on(
        COM,
        "example.com.",
        RecordType::A,
        Canned {
            silent_over_udp: true,
            silent_over_tcp: true,
            ..Canned::default()
        },
    );
    let setup = setup(network, minimising());
    let response = resolve_www(&setup).await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 80)]);
    assert_eq!(
        asked(&setup, COM).last().map(String::as_str),
        Some("www.example.com. A")
    );
}

#[tokio::test]
async fn minimised_question_answered_nxdomain_is_asked_again_in_full() {
    // A broken server that answers NXDOMAIN for an empty non-terminal (RFC 9156 §2.3).
    let mut network = internet();
    network.on(
        COM,
        "example.com.",
        RecordType::A,
        Canned {
            rcode: ResponseCode::NXDomain,
            authorities: vec![soa("com.", 900)],
            ..Canned::default()
        },
    );
    let setup = setup(network, minimising());
    let response = resolve_www(&setup).await;
    assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 80)]);
}

#[tokio::test]
async fn cname_met_on_a_minimised_question_stops_minimising() {
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        answer(vec![cname("www.example.com.", "www.example.net.")]),
    );
    network.on(
        EXAMPLE_COM,
        "y.x.www.example.com.",
        RecordType::A,
        answer(vec![a("y.x.www.example.com.", "192.0.2.90")]),
    );
    for qname in ["y.x.www.example.com."] {
        for qtype in [RecordType::NS, RecordType::A] {
            network.on(
                ROOT,
                qname,
                qtype,
                referral(vec![ns("com.", "a.gtld.com.")], vec![a("a.gtld.com.", COM)]),
            );
        }
    }
    let setup = setup(network, minimising());
    let response = setup
        .resolver
        .resolve(&client_query("y.x.www.example.com.", RecordType::A))
        .await;
    assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    assert_eq!(
        asked(&setup, EXAMPLE_COM),
        ["www.example.com. A", "y.x.www.example.com. A"],
        "no minimised question below the CNAME's owner"
    );
}
