//! Fuzzes the resolver daemon's client-facing handler (`ResolverHandler::answer`): arbitrary client
//! bytes in, reply bytes or nothing out. Offline: upstream replies come from the input, never the network.
//!
//! Input layout: byte 0 picks UDP (even) or TCP (odd); bytes 1-2 (big-endian) are the length of the
//! client packet that follows; whatever is left is the template of every upstream reply (its ID is
//! overwritten with the query's, so the fuzzer reaches the resolver's reply checks and scrubber).
//! With no template every upstream exchange is refused at once.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use authority::listen::{Protocol, RequestContext};
use libfuzzer_sys::fuzz_target;
use resolver::clock::ManualClock;
use resolver::config::{ForwardZone, ResolverConfig};
use resolver::server::handler::{Policy, ResolverHandler};
use resolver::server::limits::{MAX_TCP_PAYLOAD, MAX_UDP_PAYLOAD};
use resolver::server::stats::Statistics;
use resolver::upstream::transport::{ExchangeFuture, Transport, TransportError};
use resolver::Resolver;

/// Cache bound of the per-input resolver (RRsets): enough for one resolution's records.
const CACHE_ENTRIES: u64 = 64;

/// Answers every upstream query with the template (ID patched in), or refuses when there is none.
struct TemplateTransport {
    template: Vec<u8>,
}

impl Transport for TemplateTransport {
    fn exchange<'a>(
        &'a self,
        _server: SocketAddr,
        _protocol: Protocol,
        query: &'a [u8],
        _timeout: Duration,
    ) -> ExchangeFuture<'a> {
        let reply = if self.template.is_empty() {
            Err(TransportError::Io(std::io::ErrorKind::ConnectionRefused))
        } else {
            let mut reply = self.template.clone();
            for (target, source) in reply.iter_mut().zip(query.iter().take(2)) {
                *target = *source;
            }
            Ok(reply)
        };
        Box::pin(async move { reply })
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|error| panic!("cannot build the runtime: {error}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let (Some(&selector), Some(length)) = (data.first(), data.get(1..3)) else {
        return;
    };
    let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
    let rest = data.get(3..).unwrap_or_default();
    let packet = rest.get(..length).unwrap_or(rest);
    let template = rest.get(packet.len()..).unwrap_or_default().to_vec();
    let protocol = if selector & 1 == 0 {
        Protocol::Udp
    } else {
        Protocol::Tcp
    };
    // A fresh resolver per input: a cache filled by one input must not hide a crash in the next.
    // A small cache: the cache sizes its structures by the bound, and one input stores little.
    let config = ResolverConfig {
        cache_max_entries: CACHE_ENTRIES,
        forward_zones: vec![ForwardZone {
            suffix: hickory_proto::rr::Name::root(),
            upstreams: vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 53)],
            ..ForwardZone::default()
        }],
        ..ResolverConfig::default()
    };
    // Forwarding exercises the daemon path; even selectors above 1 iterate from the built-in hints.
    let config = if selector & 2 == 0 {
        config
    } else {
        ResolverConfig {
            cache_max_entries: CACHE_ENTRIES,
            ..ResolverConfig::default()
        }
    };
    let resolver = Arc::new(Resolver::new(
        config,
        Arc::new(TemplateTransport { template }),
        Arc::new(ManualClock::new()),
    ));
    let handler = ResolverHandler::new(resolver, Policy::default(), Statistics::new());
    let context = RequestContext {
        client: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 40_000),
        local: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 53),
        protocol,
    };
    // Twice: the second answer is a cache hit wherever the first resolution cached something, so
    // the wire fast path (`server::wire_answer`) copies bytes the fuzzer's upstream reply put there.
    for _ in 0..2 {
        if let Some(reply) = runtime().block_on(handler.answer(packet, context)) {
            check_reply(&reply, packet, protocol);
        }
    }
});

/// A reply fits its transport (RFC 1035 §4.2.1, RFC 6891; RFC 1035 §4.2.2), has a header, is a
/// response, and carries the client's ID.
fn check_reply(reply: &[u8], packet: &[u8], protocol: Protocol) {
    let limit = match protocol {
        Protocol::Udp => usize::from(MAX_UDP_PAYLOAD),
        Protocol::Tcp => MAX_TCP_PAYLOAD,
    };
    assert!(
        reply.len() <= limit,
        "reply of {} bytes over {protocol:?}",
        reply.len()
    );
    assert!(
        reply.len() >= 12,
        "reply of {} bytes has no header",
        reply.len()
    );
    assert!(
        reply.get(2).is_some_and(|flags| flags & 0x80 != 0),
        "reply is not a response"
    );
    assert_eq!(
        reply.get(..2),
        packet.get(..2),
        "reply ID differs from the query's"
    );
}
