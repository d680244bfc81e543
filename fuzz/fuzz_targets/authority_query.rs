//! Fuzzes the authority's whole wire path (`handler::answer_packet`) with arbitrary bytes: the
//! first byte picks UDP or TCP, the rest is the packet. Must never panic or allocate unboundedly.
#![no_main]

use std::sync::OnceLock;

use authority::answer::handler::answer_packet;
use authority::catalog::zones::{Catalog, ZoneSource};
use authority::listen::Protocol;
use libfuzzer_sys::fuzz_target;

/// The example zones, loaded once (a per-input load would measure the loader, not the handler).
fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/../zones/examples");
        let sources: Vec<ZoneSource> = ["example.test.yaml", "example.net.yaml"]
            .iter()
            .filter_map(|file| ZoneSource::parse(&format!("{directory}/{file}")).ok())
            .collect();
        Catalog::load(&sources).catalog
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, packet)) = data.split_first() else {
        return;
    };
    let protocol = if selector & 1 == 0 {
        Protocol::Udp
    } else {
        Protocol::Tcp
    };
    if let Some(reply) = answer_packet(catalog(), packet, protocol) {
        // A reply must fit its transport (RFC 1035 §4.2.1 / RFC 6891, RFC 1035 §4.2.2).
        let limit = match protocol {
            Protocol::Udp => usize::from(authority::limits::MAX_UDP_PAYLOAD),
            Protocol::Tcp => authority::limits::MAX_TCP_PAYLOAD,
        };
        assert!(
            reply.len() <= limit,
            "reply of {} bytes over {protocol:?}",
            reply.len()
        );
        assert!(reply.len() >= authority::limits::HEADER_BYTES);
    }
});
