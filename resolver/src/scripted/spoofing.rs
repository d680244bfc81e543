//! Cache poisoning by a malicious authoritative server, on a scripted network: records
//! outside its zone, sibling glue, a parent NS set, answers for other names are never served.

use std::net::Ipv4Addr;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{RData, Record, RecordType};

use crate::config::ResolverConfig;
use crate::scripted::network::*;

/// The malicious server, authoritative (by a genuine delegation from com.) for evil.com. only.
const EVIL: &str = "203.0.113.53";
/// Where every forged record points.
const FORGED: &str = "203.0.113.66";

const GENUINE_WWW_COM: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 80);
const GENUINE_WWW_NET: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 81);

/// The scripted internet plus evil.com. (delegated by com. to ns.evil.com. with glue) and the
/// genuine data the follow-up questions need from example.com.'s own server.
fn internet_with_evil_zone() -> ScriptedNetwork {
    let mut network = internet();
    for qname in [
        "evil.com.",
        "www.evil.com.",
        "alias.evil.com.",
        "gone.evil.com.",
        "other.evil.com.",
        "sub.evil.com.",
    ] {
        for qtype in [RecordType::A, RecordType::AAAA, RecordType::NS] {
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
                    vec![ns("evil.com.", "ns.evil.com.")],
                    vec![a("ns.evil.com.", EVIL)],
                ),
            );
        }
    }
    network.on(
        EXAMPLE_COM,
        "ns.example.com.",
        RecordType::A,
        answer(vec![a("ns.example.com.", EXAMPLE_COM)]),
    );
    network.on(
        EXAMPLE_COM,
        "example.com.",
        RecordType::NS,
        answer(vec![ns("example.com.", "ns.example.com.")]),
    );
    network
}

fn forged(owner: &str) -> Record {
    a(owner, FORGED)
}

/// No record of any section carries the forged address or names the malicious server.
fn assert_nothing_forged(response: &Message) {
    let forged_address = ip(FORGED);
    for record in response
        .answers
        .iter()
        .chain(&response.authorities)
        .chain(&response.additionals)
    {
        assert_ne!(record.data.ip_addr(), Some(forged_address), "{record}");
        if let RData::NS(target) = &record.data {
            assert_ne!(target.0, name("ns.evil.com."), "{record}");
        }
    }
}

async fn ask(setup: &Setup, qname: &str, qtype: RecordType) -> Message {
    let response = setup.resolver.resolve(&client_query(qname, qtype)).await;
    assert_nothing_forged(&response);
    response
}

/// The follow-up questions a victim asks after the attack: each gets the genuine data, and the
/// malicious server is never asked about a name outside its own zone.
async fn assert_follow_ups_are_genuine(setup: &Setup) {
    let www_com = ask(setup, "www.example.com.", RecordType::A).await;
    assert_eq!(addresses(&www_com), vec![GENUINE_WWW_COM]);
    let www_net = ask(setup, "www.example.net.", RecordType::A).await;
    assert_eq!(addresses(&www_net), vec![GENUINE_WWW_NET]);
    let ns_com = ask(setup, "ns.example.com.", RecordType::A).await;
    assert_eq!(addresses(&ns_com), vec![ip_v4(EXAMPLE_COM)]);
    let ns_net = ask(setup, "ns.example.net.", RecordType::A).await;
    assert_eq!(addresses(&ns_net), vec![ip_v4(EXAMPLE_NET)]);
    let zone_ns = ask(setup, "example.com.", RecordType::NS).await;
    assert_eq!(
        zone_ns.answers.iter().map(|r| &r.data).collect::<Vec<_>>(),
        vec![&ns("example.com.", "ns.example.com.").data]
    );
    let evil = name("evil.com.");
    let misdirected: Vec<Sent> = setup
        .network
        .sent()
        .into_iter()
        .filter(|sent| sent.0 == ip(EVIL) && !evil.zone_of(&sent.1))
        .collect();
    assert!(misdirected.is_empty(), "{misdirected:?}");
}

fn ip_v4(text: &str) -> Ipv4Addr {
    text.parse().unwrap()
}

#[tokio::test]
async fn out_of_zone_records_in_every_section_are_never_served() {
    for config in modes() {
        let mut network = internet_with_evil_zone();
        network.on(
            EVIL,
            "www.evil.com.",
            RecordType::A,
            Canned {
                authoritative: true,
                answers: vec![
                    a("www.evil.com.", "192.0.2.66"),
                    forged("www.example.com."),
                    forged("www.example.net."),
                ],
                authorities: vec![
                    ns("evil.com.", "ns.evil.com."),
                    ns("example.net.", "ns.evil.com."),
                ],
                additionals: vec![
                    a("ns.evil.com.", EVIL),
                    forged("ns.example.net."),
                    forged("www.example.com."),
                ],
                ..Canned::default()
            },
        );
        let setup = setup(network, config);
        let response = ask(&setup, "www.evil.com.", RecordType::A).await;
        assert_eq!(addresses(&response), vec![Ipv4Addr::new(192, 0, 2, 66)]);
        assert_follow_ups_are_genuine(&setup).await;
    }
}

#[tokio::test]
async fn cname_out_of_the_zone_is_chased_not_taken_from_the_same_reply() {
    for config in modes() {
        let mut network = internet_with_evil_zone();
        network.on(
            EVIL,
            "alias.evil.com.",
            RecordType::A,
            answer(vec![
                cname("alias.evil.com.", "www.example.com."),
                forged("www.example.com."),
            ]),
        );
        let setup = setup(network, config);
        let response = ask(&setup, "alias.evil.com.", RecordType::A).await;
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert_eq!(addresses(&response), vec![GENUINE_WWW_COM]);
        assert_eq!(
            setup.network.sent_to(EXAMPLE_COM),
            1,
            "the target was asked"
        );
        assert_follow_ups_are_genuine(&setup).await;
    }
}

#[tokio::test]
async fn poisoned_glue_for_a_sibling_zone_is_never_used() {
    for config in modes() {
        let mut network = internet_with_evil_zone();
        // evil.com.'s server refers a child to a server named in its sibling example.com., with
        // "glue" for it: the address is not evil.com.'s to give.
        network.on(
            EVIL,
            "sub.evil.com.",
            RecordType::A,
            referral(
                vec![ns("sub.evil.com.", "ns.example.com.")],
                vec![forged("ns.example.com.")],
            ),
        );
        network.on(
            EXAMPLE_COM,
            "sub.evil.com.",
            RecordType::A,
            answer(vec![a("sub.evil.com.", "192.0.2.67")]),
        );
        let setup = setup(network, config);
        ask(&setup, "sub.evil.com.", RecordType::A).await;
        assert_eq!(setup.network.sent_to(FORGED), 0, "the forged glue was used");
        assert_follow_ups_are_genuine(&setup).await;
    }
}

#[tokio::test]
async fn ns_set_for_the_parent_zone_does_not_take_over_the_parent() {
    for config in modes() {
        let mut network = internet_with_evil_zone();
        // evil.com.'s server claims to serve com. (its parent) and the root, with glue.
        network.on(
            EVIL,
            "www.evil.com.",
            RecordType::A,
            Canned {
                authoritative: true,
                answers: vec![a("www.evil.com.", "192.0.2.66")],
                authorities: vec![ns("com.", "ns.evil.com."), ns(".", "ns.evil.com.")],
                additionals: vec![a("ns.evil.com.", EVIL)],
                ..Canned::default()
            },
        );
        // And refers upward for another of its names.
        network.on(
            EVIL,
            "other.evil.com.",
            RecordType::A,
            referral(
                vec![ns("com.", "ns.evil.com.")],
                vec![a("ns.evil.com.", EVIL)],
            ),
        );
        let setup = setup(network, config);
        ask(&setup, "www.evil.com.", RecordType::A).await;
        let upward = ask(&setup, "other.evil.com.", RecordType::A).await;
        assert_eq!(upward.metadata.response_code, ResponseCode::ServFail);
        assert_follow_ups_are_genuine(&setup).await;
        // com. is still asked at its genuine address for names not yet cached.
        assert!(setup.network.sent_to(COM) >= 2);
    }
}

#[tokio::test]
async fn answer_for_a_different_name_is_never_cached() {
    for config in modes() {
        let mut network = internet_with_evil_zone();
        // The reply echoes the question asked but answers another name (outside the zone, and
        // inside it), with AA set.
        network.on(
            EVIL,
            "other.evil.com.",
            RecordType::A,
            answer(vec![
                forged("www.example.com."),
                forged("ns.example.com."),
                forged("www.evil.com."),
            ]),
        );
        network.on(
            EVIL,
            "www.evil.com.",
            RecordType::A,
            answer(vec![a("www.evil.com.", "192.0.2.66")]),
        );
        let setup = setup(network, config);
        let response = ask(&setup, "other.evil.com.", RecordType::A).await;
        assert!(addresses(&response).is_empty());
        // Even the in-zone record for another name is not taken from that reply.
        let www_evil = ask(&setup, "www.evil.com.", RecordType::A).await;
        assert_eq!(addresses(&www_evil), vec![Ipv4Addr::new(192, 0, 2, 66)]);
        assert_follow_ups_are_genuine(&setup).await;
    }
}

#[tokio::test]
async fn nxdomain_for_a_cname_target_outside_the_zone_is_not_believed() {
    for config in modes() {
        let mut network = internet_with_evil_zone();
        // The server claims the target of its own CNAME, in example.com., does not exist.
        network.on(
            EVIL,
            "gone.evil.com.",
            RecordType::A,
            Canned {
                authoritative: true,
                rcode: ResponseCode::NXDomain,
                answers: vec![cname("gone.evil.com.", "www.example.com.")],
                authorities: vec![soa("example.com.", 3600)],
                ..Canned::default()
            },
        );
        let setup = setup(network, config);
        let response = ask(&setup, "gone.evil.com.", RecordType::A).await;
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert_eq!(addresses(&response), vec![GENUINE_WWW_COM]);
        assert_follow_ups_are_genuine(&setup).await;
    }
}

/// Where a promiscuous NS set beside a genuine-looking answer points.
const HIJACKER: &str = "203.0.113.99";

/// example.com.'s server answers www.example.com. with an NS set for its own zone naming another
/// server (a spoofed reply, or a careless child): Unbound's "promiscuous" NS set.
fn internet_with_promiscuous_answer() -> ScriptedNetwork {
    let mut network = internet();
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        Canned {
            authoritative: true,
            answers: vec![a("www.example.com.", "192.0.2.80")],
            authorities: vec![ns("example.com.", "ns.hijack.example.com.")],
            additionals: vec![a("ns.hijack.example.com.", HIJACKER)],
            ..Canned::default()
        },
    );
    for qtype in [RecordType::A, RecordType::NS, RecordType::AAAA] {
        network.on(
            ROOT,
            "mail.example.com.",
            qtype,
            referral(vec![ns("com.", "a.gtld.com.")], vec![a("a.gtld.com.", COM)]),
        );
        network.on(
            COM,
            "mail.example.com.",
            qtype,
            referral(
                vec![ns("example.com.", "ns.example.com.")],
                vec![a("ns.example.com.", EXAMPLE_COM)],
            ),
        );
    }
    network.on(
        EXAMPLE_COM,
        "mail.example.com.",
        RecordType::A,
        answer(vec![a("mail.example.com.", "192.0.2.25")]),
    );
    network.on_anything(HIJACKER, answer(vec![forged("mail.example.com.")]));
    network
}

#[tokio::test]
async fn promiscuous_ns_set_beside_an_answer_does_not_replace_the_parents_delegation() {
    for config in modes() {
        let setup = setup(internet_with_promiscuous_answer(), config);
        let www = ask(&setup, "www.example.com.", RecordType::A).await;
        assert!(www.authorities.is_empty() && www.additionals.is_empty());
        let mail = ask(&setup, "mail.example.com.", RecordType::A).await;
        assert_eq!(addresses(&mail), vec![ip_v4("192.0.2.25")]);
        assert_eq!(setup.network.sent_to(HIJACKER), 0);
    }
}

#[tokio::test]
async fn promiscuous_ns_set_is_believed_when_scrubbing_is_turned_off() {
    // Unbound's `iter-scrub-promiscuous: no`: the authoritative answer's NS set outranks the
    // referral's (RFC 2181 §5.4.1) and the zone moves; this is what the default prevents.
    let config = ResolverConfig {
        scrub_promiscuous: false,
        ..config()
    };
    let setup = setup(internet_with_promiscuous_answer(), config);
    setup
        .resolver
        .resolve(&client_query("www.example.com.", RecordType::A))
        .await;
    let mail = setup
        .resolver
        .resolve(&client_query("mail.example.com.", RecordType::A))
        .await;
    assert_eq!(addresses(&mail), vec![ip_v4(FORGED)]);
    assert!(setup.network.sent_to(HIJACKER) >= 1);
}
