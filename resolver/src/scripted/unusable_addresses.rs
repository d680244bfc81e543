//! Delegations whose server addresses cannot all be used, on a scripted network: IPv6 glue
//! without IPv6 (`do_ip6` off), loopback glue while loopback upstreams are not allowed.
//! What can be used is used; when nothing can, the walk fails at once, no query sent there.

use std::net::IpAddr;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::rdata::{A, AAAA};
use hickory_proto::rr::{RData, Record, RecordType};

use crate::clock::Clock;
use crate::scripted::network::*;

/// Names whose referral from com. is replaced in `internet_with_glue`.
const EXAMPLE_COM_NAMES: [&str; 4] = [
    "www.example.com.",
    "example.com.",
    "ns.example.com.",
    "ns2.example.com.",
];

fn glue(owner: &str, address: &str) -> Record {
    let data = match ip(address) {
        IpAddr::V4(v4) => RData::A(A(v4)),
        IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
    };
    Record::from_rdata(name(owner), 3600, data)
}

/// com. delegates example.com. to ns.example.com. and ns2.example.com. with this glue; both
/// server names are inside the zone, so the glue is the only way to reach it.
fn internet_with_glue(glue_records: Vec<Record>) -> ScriptedNetwork {
    let mut network = internet();
    for qname in EXAMPLE_COM_NAMES {
        for qtype in [RecordType::A, RecordType::NS, RecordType::AAAA] {
            network.on(
                COM,
                qname,
                qtype,
                referral(
                    vec![
                        ns("example.com.", "ns.example.com."),
                        ns("example.com.", "ns2.example.com."),
                    ],
                    glue_records.clone(),
                ),
            );
        }
    }
    for server in ["2001:db8::53", "127.0.0.53", "198.51.100.44"] {
        network.on(
            server,
            "www.example.com.",
            RecordType::A,
            answer(vec![a("www.example.com.", "192.0.2.80")]),
        );
    }
    network
}

#[tokio::test]
async fn ipv6_only_glue_without_ipv6_fails_without_querying_the_zone() {
    for config in modes() {
        let network = internet_with_glue(vec![
            glue("ns.example.com.", "2001:db8::53"),
            glue("ns2.example.com.", "2001:db8::53"),
        ]);
        let setup = setup(network, config);
        let response = setup
            .resolver
            .resolve(&client_query("www.example.com.", RecordType::A))
            .await;
        assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
        assert_eq!(setup.network.sent_to("2001:db8::53"), 0);
        // Priming, the root, com. (and com. again for the servers' own names): nothing more.
        assert!(
            setup.network.sent().len() <= 8,
            "{:?}",
            setup.network.sent()
        );
    }
}

#[tokio::test]
async fn loopback_glue_is_not_queried_and_the_usable_server_answers() {
    for config in modes() {
        let network = internet_with_glue(vec![
            glue("ns.example.com.", "127.0.0.53"),
            glue("ns2.example.com.", "198.51.100.44"),
        ]);
        let setup = setup(network, config);
        let response = setup
            .resolver
            .resolve(&client_query("www.example.com.", RecordType::A))
            .await;
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert_eq!(
            addresses(&response),
            [std::net::Ipv4Addr::new(192, 0, 2, 80)]
        );
        assert_eq!(setup.network.sent_to("127.0.0.53"), 0);
    }
}

#[tokio::test]
async fn only_loopback_and_ipv6_glue_fails_at_once() {
    for config in modes() {
        let network = internet_with_glue(vec![
            glue("ns.example.com.", "127.0.0.53"),
            glue("ns2.example.com.", "2001:db8::53"),
        ]);
        let setup = setup(network, config);
        let started = setup.clock.now();
        let response = setup
            .resolver
            .resolve(&client_query("www.example.com.", RecordType::A))
            .await;
        assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
        assert_eq!(setup.network.sent_to("127.0.0.53"), 0);
        assert_eq!(setup.network.sent_to("2001:db8::53"), 0);
        assert!(
            setup.network.sent().len() <= 8,
            "{:?}",
            setup.network.sent()
        );
        // No timeout was waited for: nothing was sent where no answer could come from.
        assert_eq!(setup.clock.now(), started);
    }
}
