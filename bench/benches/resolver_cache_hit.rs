//! Hot path of the resolver daemon without sockets: a cache hit, from request bytes to response
//! bytes (`ResolverHandler::answer`: parse, cache, encode). The cache is warmed by one pass of
//! the benchmark's resolver query mix, forwarded to our authority library through an in-process
//! transport; then every round answers the same list from the cache. Prints ns per query
//! (median and range over rounds); std-only timing, so read it as a trend.

use std::hint::black_box;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use authority::answer::handler::answer_packet;
use authority::catalog::zones::{Catalog, ZoneSource};
use authority::listen::{Protocol, RequestContext};
use bench::auth_zone::{self, QueryMix, ZoneShape};
use bench::statistics::summarize;
use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RecordType};
use resolver::clock::SystemClock;
use resolver::config::{ForwardZone, ResolverConfig};
use resolver::server::handler::{Policy, ResolverHandler};
use resolver::server::stats::Statistics;
use resolver::upstream::transport::{ExchangeFuture, Transport};
use resolver::Resolver;

/// Queries per round (the benchmark's resolver list is 100,000 long; a tenth keeps rounds short).
const QUERIES: u32 = 10_000;
/// Rounds: the median of 15 is stable against one preempted round.
const ROUNDS: usize = 15;
/// Where the forwarder "sends": the in-process transport answers whatever the address.
const UPSTREAM: &str = "127.0.0.1:53";

/// Answers every upstream query from the authority library, as a local NSD would.
struct CatalogTransport {
    catalog: Catalog,
}

impl Transport for CatalogTransport {
    fn exchange<'a>(
        &'a self,
        _server: SocketAddr,
        protocol: Protocol,
        query: &'a [u8],
        _timeout: Duration,
    ) -> ExchangeFuture<'a> {
        let reply = answer_packet(&self.catalog, query, protocol)
            .ok_or(resolver::upstream::transport::TransportError::Timeout);
        Box::pin(std::future::ready(reply))
    }
}

fn fail(message: String) -> ! {
    eprintln!("{message}");
    std::process::exit(1);
}

fn main() {
    let origin = "bench.test.";
    let directory =
        std::env::temp_dir().join(format!("resolver-cache-bench-{}", std::process::id()));
    std::fs::create_dir_all(&directory)
        .unwrap_or_else(|error| fail(format!("cannot create {}: {error}", directory.display())));
    let yaml = directory.join("bench.test.yaml");
    let records = auth_zone::records(origin, ZoneShape::ISSUE_6);
    let mut text = Vec::new();
    let mut queries = Vec::new();
    auth_zone::write_yaml(origin, &records, &mut text)
        .and_then(|()| std::fs::write(&yaml, &text))
        .and_then(|()| {
            auth_zone::write_queries(
                origin,
                ZoneShape::ISSUE_6,
                QueryMix::Resolver,
                QUERIES,
                6,
                &mut queries,
            )
        })
        .unwrap_or_else(|error| fail(format!("cannot write the zone or queries: {error}")));
    let source = ZoneSource::parse(&format!("{origin}={}", yaml.display()))
        .unwrap_or_else(|error| fail(error.to_string()));
    let load = Catalog::load(&[source]);
    let _ = std::fs::remove_dir_all(&directory);
    if let Some(error) = load.errors.first() {
        fail(error.to_string());
    }
    let upstream: SocketAddr = UPSTREAM
        .parse()
        .unwrap_or_else(|_| fail(format!("bad address {UPSTREAM}")));
    let config = ResolverConfig {
        forward_zones: vec![ForwardZone {
            suffix: Name::from_ascii(origin).unwrap_or_else(|_| fail("bad origin".into())),
            upstreams: vec![upstream],
            ..ForwardZone::default()
        }],
        allow_loopback_upstream: true,
        cache_max_entries: 1_000_000,
        ..ResolverConfig::default()
    };
    let resolver = Resolver::new(
        config,
        Arc::new(CatalogTransport {
            catalog: load.catalog,
        }),
        Arc::new(SystemClock::new()),
    );
    let handler = ResolverHandler::new(Arc::new(resolver), Policy::default(), Statistics::new());
    let packets: Vec<Vec<u8>> = String::from_utf8_lossy(&queries)
        .lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let (name, record_type) = line.split_once(' ')?;
            let mut message = Message::query();
            message.metadata.id = index as u16;
            message.metadata.recursion_desired = true;
            message.add_query(Query::query(
                Name::from_ascii(name).ok()?,
                RecordType::from_str(record_type).ok()?,
            ));
            message.to_vec().ok()
        })
        .collect();
    let context = RequestContext {
        client: "127.0.0.1:40000"
            .parse()
            .unwrap_or_else(|_| fail("bad client".into())),
        local: "127.0.0.1:53"
            .parse()
            .unwrap_or_else(|_| fail("bad local".into())),
        protocol: Protocol::Udp,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|error| fail(format!("no runtime: {error}")));
    runtime.block_on(async {
        // Warm: every name once through the forwarder into the cache.
        let mut warmed = 0usize;
        for packet in &packets {
            if handler.answer(packet, context).await.is_some() {
                warmed += 1;
            }
        }
        let mut nanoseconds = Vec::with_capacity(ROUNDS);
        let mut answered = 0usize;
        for _ in 0..ROUNDS {
            let started = Instant::now();
            for packet in &packets {
                if black_box(handler.answer(black_box(packet), context).await).is_some() {
                    answered += 1;
                }
            }
            nanoseconds.push(started.elapsed().as_nanos() as f64 / packets.len().max(1) as f64);
        }
        if let Some(summary) = summarize(&nanoseconds) {
            println!(
                "resolver cache hit: {:.0} ns/query (range {:.0}–{:.0}, {} rounds of {} queries, {} warmed, {} answered)",
                summary.median, summary.minimum, summary.maximum, ROUNDS, packets.len(), warmed, answered
            );
        }
    });
}
