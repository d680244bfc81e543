//! The shared listener as a real process (`listener-echo`): its ready line names the bound
//! addresses, and real clients (ours and dig) get answers over UDP and TCP, IPv4 and IPv6.

use std::net::SocketAddr;
use std::process::Command;

use e2e::{
    dig, listener_ready_addresses, loopback_for, query_tcp, query_udp, require_tool,
    LISTENER_READY_PATTERN,
};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

fn start(addresses: &[SocketAddr]) -> e2e::Process {
    let mut command = Command::new(env!("CARGO_BIN_EXE_listener-echo"));
    for address in addresses {
        command.arg("--listen").arg(address.to_string());
    }
    command.env("RUST_LOG", "info").env("NO_COLOR", "1");
    e2e::Process::spawn_ready(command, LISTENER_READY_PATTERN)
        .unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn ready_line_names_every_address_and_each_answers() {
    let v4 = loopback_for("ready_line_names_every_address_and_each_answers", 0);
    // Port 0 on ::1: the real port is read back from the ready line.
    let v6_any_port: SocketAddr = "[::1]:0".parse().expect("literal address");
    let mut server = start(&[v4, v6_any_port]);
    let bound = listener_ready_addresses(&mut server).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(bound.len(), 2, "one address per --listen: {bound:?}");
    assert_eq!(bound[0], v4);
    assert!(
        bound[1].is_ipv6() && bound[1].ip().is_loopback() && bound[1].port() != 0,
        "{bound:?}"
    );
    for address in bound {
        let over_udp = query_udp(address, "example.test.", RecordType::A)
            .unwrap_or_else(|error| panic!("{address}: {error}"));
        let over_tcp = query_tcp(address, "example.test.", RecordType::A)
            .unwrap_or_else(|error| panic!("{address}: {error}"));
        assert_eq!(
            over_udp.metadata.response_code,
            ResponseCode::Refused,
            "{address} UDP"
        );
        assert_eq!(
            over_tcp.metadata.response_code,
            ResponseCode::Refused,
            "{address} TCP"
        );
        assert_eq!(over_udp.queries, over_tcp.queries, "the question is echoed");
    }
}

#[test]
fn dig_gets_answers_over_udp_and_tcp() {
    let Some(dig_path) = require_tool("dig") else {
        return;
    };
    let address = loopback_for("dig_gets_answers_over_udp_and_tcp", 0);
    let _server = start(&[address]);
    for extra in [&[][..], &["+tcp"][..]] {
        let answer = dig(&dig_path, address, "example.test.", "A", extra)
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(
            answer.status, "REFUSED",
            "dig {extra:?}:\n{}",
            answer.output
        );
    }
}
