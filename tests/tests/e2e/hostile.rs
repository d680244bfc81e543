//! A hostile network against a real `authority` process: malformed messages over UDP and
//! TCP get FORMERR/NOTIMP/REFUSED or nothing and leave it answering; a UDP flood is rate limited.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};

use e2e::hostile::{tcp_corpus, throw_corpus, udp_corpus};
use e2e::{loopback_for, loopback_v4_for, query_tcp, query_udp, start_workspace_server};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};

fn example_zone() -> String {
    format!(
        "{}/../zones/examples/example.test.yaml",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn assert_www_answered(server: SocketAddr) {
    for reply in [
        query_udp(server, "www.example.test.", RecordType::A),
        query_tcp(server, "www.example.test.", RecordType::A),
    ] {
        let reply = reply.unwrap_or_else(|error| panic!("valid query after the corpus: {error}"));
        assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
        assert!(
            reply
                .answers
                .iter()
                .any(|record| matches!(record.data, RData::A(_) | RData::CNAME(_))),
            "www.example.test A has an answer: {reply:?}"
        );
    }
}

#[test]
fn authority_survives_malformed_corpus_over_udp_and_tcp() {
    let address = loopback_for("authority_survives_malformed_corpus_over_udp_and_tcp", 0);
    let listen = address.to_string();
    let zone = example_zone();
    let mut server = start_workspace_server(
        "authority",
        "authority",
        ["--listen", listen.as_str(), zone.as_str()],
    )
    .unwrap_or_else(|error| panic!("{error}"));
    assert_www_answered(address);
    let report = throw_corpus(address, "example.test.");
    assert_eq!(
        report.cases,
        udp_corpus("example.test.").len() + tcp_corpus("example.test.").len()
    );
    assert!(
        report.problems.is_empty(),
        "unacceptable replies: {:#?}",
        report.problems
    );
    // The corpus is mostly answerable with FORMERR/NOTIMP/REFUSED; a server that dropped
    // everything would pass the checks above while being useless to a confused client.
    assert!(report.replies > report.cases / 2, "{report:?}");
    server
        .check_running()
        .unwrap_or_else(|error| panic!("authority died during the corpus: {error}"));
    assert_www_answered(address);
}

#[test]
fn rate_limit_cuts_a_burst_from_one_prefix_but_not_another() {
    let test = "rate_limit_cuts_a_burst_from_one_prefix_but_not_another";
    let address = loopback_for(test, 0);
    let listen = address.to_string();
    let zone = example_zone();
    let _server = start_workspace_server(
        "authority",
        "authority",
        [
            "--listen",
            listen.as_str(),
            "--rrl-rate",
            "5",
            "--rrl-slip",
            "2",
            zone.as_str(),
        ],
    )
    .unwrap_or_else(|error| panic!("{error}"));
    // Two clients in different /24s.
    let attacker = loopback_v4_for(test, 1);
    let mut bystander = loopback_v4_for(test, 2);
    if attacker.octets()[..3] == bystander.octets()[..3] {
        bystander = Ipv4Addr::new(127, 63, 255, 1);
    }
    let socket = UdpSocket::bind((attacker, 0)).unwrap_or_else(|error| panic!("{error}"));
    const BURST: usize = 200;
    let query = e2e::hostile::valid_query("www.example.test.");
    for _ in 0..BURST {
        socket
            .send_to(&query, address)
            .unwrap_or_else(|error| panic!("{error}"));
    }
    // Collect what comes back until the server has been quiet for a while (bounded by BURST).
    socket
        .set_read_timeout(Some(e2e::hostile::CASE_REPLY_WAIT))
        .unwrap_or_else(|error| panic!("{error}"));
    let (mut full, mut truncated) = (0usize, 0usize);
    let mut buffer = [0u8; 4096];
    for _ in 0..BURST {
        let Ok((length, _)) = socket.recv_from(&mut buffer) else {
            break;
        };
        let reply = &buffer[..length];
        if reply.get(2).is_some_and(|flags| flags & 0x02 != 0) {
            truncated += 1;
            assert_eq!(
                reply.get(6..12),
                Some(&[0u8; 6][..]),
                "a slipped reply carries no records"
            );
        } else {
            full += 1;
        }
    }
    assert!(full >= 1, "the first queries are answered");
    assert!(
        full < BURST / 4,
        "full answers {full} of {BURST}: the rate limit did not hold"
    );
    assert!(
        truncated >= 1,
        "slip 2 sends some TC replies (got {truncated})"
    );
    assert!(full + truncated < BURST, "some responses are dropped");
    // The bystander's prefix has its own budget; TCP is never limited.
    let bystander_socket =
        UdpSocket::bind((bystander, 0)).unwrap_or_else(|error| panic!("{error}"));
    let reply = e2e::hostile::send_udp_from(&bystander_socket, address, &query, e2e::QUERY_TIMEOUT)
        .unwrap_or_else(|| panic!("the second prefix is answered"));
    assert_eq!(
        reply.get(2).map(|flags| flags & 0x02),
        Some(0),
        "full answer, not TC"
    );
    let over_tcp = query_tcp(address, "www.example.test.", RecordType::A)
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(over_tcp.metadata.response_code, ResponseCode::NoError);
}
