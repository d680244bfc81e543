//! The Prometheus endpoint (`--metrics ADDR:PORT`): `GET /metrics` answers the statistics snapshot
//! in the Prometheus text format (prometheus-client) over HTTP/1.1 (hyper). It never parses HTTP itself.
//!
//! Flow: accept (at most `METRICS_MAX_CONNECTIONS`) → hyper reads the request (header timeout,
//! bounded buffer) → snapshot on the blocking pool (the cache size is a pass over the cache) →
//! `SnapshotCollector` encodes it. The numbers are the ones `stats` prints: one `Snapshot`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::server::handler::ResolverHandler;
use crate::server::limits::{
    METRICS_CONNECTION_LIFETIME, METRICS_HEADER_TIMEOUT, METRICS_MAX_CONNECTIONS,
    METRICS_MAX_REQUEST_BYTES,
};
use crate::server::resolve::Resolve;
use crate::server::stats::{HistogramSnapshot, Snapshot};

/// The path Prometheus scrapes by default.
const METRICS_PATH: &str = "/metrics";

/// Serves `GET /metrics` on `listener` until the task is aborted.
pub async fn serve<R: Resolve>(listener: TcpListener, handler: Arc<ResolverHandler<R>>) {
    let slots = Arc::new(Semaphore::new(METRICS_MAX_CONNECTIONS));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors or similar: back off instead of spinning on the error.
            tokio::time::sleep(METRICS_HEADER_TIMEOUT / 50).await;
            continue;
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            continue;
        };
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| respond(request, handler.clone()));
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(METRICS_HEADER_TIMEOUT)
                .max_buf_size(METRICS_MAX_REQUEST_BYTES);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(METRICS_CONNECTION_LIFETIME, connection).await;
            drop(permit);
        });
    }
}

async fn respond<R: Resolve>(
    request: Request<Incoming>,
    handler: Arc<ResolverHandler<R>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.uri().path() != METRICS_PATH {
        return Ok(plain(StatusCode::NOT_FOUND, "not found: try /metrics\n"));
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return Ok(plain(StatusCode::METHOD_NOT_ALLOWED, "only GET\n"));
    }
    let snapshot = tokio::task::spawn_blocking(move || handler.statistics_snapshot()).await;
    let Ok(snapshot) = snapshot else {
        return Ok(plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "snapshot failed\n",
        ));
    };
    match encode(snapshot) {
        Ok(text) => Ok(Response::builder()
            .header(
                "content-type",
                prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
            )
            .body(Full::new(Bytes::from(text)))
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "response failed\n"))),
        Err(_) => Ok(plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "encoding failed\n",
        )),
    }
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}

/// The snapshot in the Prometheus text format (version 0.0.4).
pub fn encode(snapshot: Snapshot) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::with_prefix("resolver");
    registry.register_collector(Box::new(SnapshotCollector(snapshot)));
    let mut text = String::new();
    prometheus_client::encoding::prometheus_text::encode(&mut text, &registry)?;
    Ok(text)
}

/// One snapshot, encoded at the scrape that took it.
#[derive(Debug)]
struct SnapshotCollector(Snapshot);

fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), std::fmt::Error> {
    encoder
        .encode_descriptor(name, help, None, MetricType::Counter)?
        .encode_counter::<NoLabelSet, u64, u64>(&value, None)
}

fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), std::fmt::Error> {
    encoder
        .encode_descriptor(name, help, None, MetricType::Gauge)?
        .encode_gauge(&value)
}

/// One counter family with one label.
fn counters(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    label: &str,
    values: &[(&str, u64)],
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (value_label, value) in values {
        let labels = [(label, *value_label)];
        family
            .encode_family(&labels)?
            .encode_counter::<NoLabelSet, u64, u64>(value, None)?;
    }
    Ok(())
}

/// Bucket bounds in seconds with their own counts; the last count (slower than every bound)
/// is in the total only, which the encoder writes as `+Inf`.
fn seconds_buckets(histogram: &HistogramSnapshot) -> (f64, u64, Vec<(f64, u64)>) {
    let buckets = histogram
        .bounds_milliseconds
        .iter()
        .zip(&histogram.counts)
        .map(|(bound, count)| (*bound as f64 / 1000.0, *count))
        .collect();
    (
        histogram.sum_micros as f64 / 1_000_000.0,
        histogram.count(),
        buckets,
    )
}

impl Collector for SnapshotCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let snapshot = &self.0;
        let value = |name: &str| snapshot.counter(name);
        counters(
            &mut encoder,
            "queries",
            "Queries received, by transport.",
            "protocol",
            &[("udp", value("queries.udp")), ("tcp", value("queries.tcp"))],
        )?;
        counters(
            &mut encoder,
            "queries_by_type",
            "Queries received, by question type (common types by name, the rest as other).",
            "type",
            &snapshot.query_types,
        )?;
        counters(
            &mut encoder,
            "answers",
            "Answers sent, by rcode.",
            "rcode",
            &snapshot.rcodes,
        )?;
        for (name, key, help) in [
            (
                "queries_refused",
                "queries.refused_by_access_control",
                "Queries refused by the access list or for RD=0 without allow-snoop.",
            ),
            (
                "queries_formerr",
                "queries.formerr",
                "Queries answered FORMERR or BADVERS.",
            ),
            (
                "queries_notimp",
                "queries.notimp",
                "Queries answered NOTIMP.",
            ),
            (
                "queries_dropped",
                "queries.dropped",
                "Queries dropped unanswered (unreadable, responses, deny zones).",
            ),
            (
                "local_zone_answers",
                "queries.local_zone",
                "Queries answered from local zones.",
            ),
            (
                "answers_truncated",
                "answers.truncated",
                "UDP answers sent with TC=1.",
            ),
            (
                "answers_stale",
                "answers.stale",
                "Answers given with expired data (serve-expired, EDE 3).",
            ),
            (
                "cache_refreshes",
                "cache.refreshes",
                "Background refreshes started (prefetch, stale answers).",
            ),
            (
                "resolutions",
                "resolutions.started",
                "Resolutions run (answered from the cache or upstream).",
            ),
            (
                "resolutions_joined",
                "resolutions.joined_in_flight",
                "Queries that joined an identical resolution in flight.",
            ),
            (
                "resolutions_dropped",
                "queries.dropped_overloaded",
                "Queries dropped because the resolutions in flight were at their bound.",
            ),
            (
                "resolutions_jostled",
                "queries.dropped_jostled",
                "Queries dropped because a newer query jostled their resolution out.",
            ),
            (
                "answers_discarded_late",
                "queries.dropped_late",
                "Answers not sent because they were ready past the discard timeout.",
            ),
        ] {
            counter(&mut encoder, name, help, value(key))?;
        }
        gauge(
            &mut encoder,
            "resolutions_in_flight",
            "Resolutions running now.",
            snapshot.running,
        )?;
        counter(
            &mut encoder,
            "cache_hits",
            "Resolutions answered from the cache without an upstream query.",
            snapshot.cache_hits,
        )?;
        counter(
            &mut encoder,
            "cache_misses",
            "Resolutions that sent upstream queries.",
            snapshot.cache_misses,
        )?;
        if let Some(cache) = snapshot.cache {
            counter(
                &mut encoder,
                "cache_evictions",
                "Cache entries evicted to stay within --cache-size.",
                cache.evictions,
            )?;
            gauge(
                &mut encoder,
                "cache_rrsets",
                "Cache entries held (RRsets, parent-side data, negative answers).",
                cache.entries,
            )?;
            gauge(
                &mut encoder,
                "cache_bytes",
                "Bytes of cached keys and data.",
                cache.bytes,
            )?;
        }
        let (sum, count, buckets) = seconds_buckets(&snapshot.latency);
        encoder
            .encode_descriptor(
                "answer_latency_seconds",
                "Time from a query's arrival to its answer.",
                None,
                MetricType::Histogram,
            )?
            .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
        let servers = &snapshot.upstream_servers;
        let per_server = |extract: fn(&crate::server::stats::ServerSnapshot) -> u64| {
            servers
                .iter()
                .map(|server| (server.label.as_str(), extract(server)))
                .collect::<Vec<_>>()
        };
        counters(
            &mut encoder,
            "upstream_queries",
            "Queries sent upstream, by server address (the first 32 seen; the rest as other).",
            "server",
            &per_server(|server| server.queries),
        )?;
        counters(
            &mut encoder,
            "upstream_timeouts",
            "Upstream queries that timed out, by server.",
            "server",
            &per_server(|server| server.timeouts),
        )?;
        counters(
            &mut encoder,
            "upstream_errors",
            "Upstream queries that failed otherwise (refused, unreachable, reset), by server.",
            "server",
            &per_server(|server| server.errors),
        )?;
        let mut rtt = encoder.encode_descriptor(
            "upstream_rtt_seconds",
            "Round-trip time of answered upstream queries, by server.",
            None,
            MetricType::Histogram,
        )?;
        for server in servers {
            let (sum, count, buckets) = seconds_buckets(&server.rtt);
            let labels = [("server", server.label.as_str())];
            rtt.encode_family(&labels)?
                .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
        }
        // DNSSEC verdicts of client answers (the same counters as `stats`' dnssec.*), when the
        // resolver validates.
        if let Some(validation) = snapshot.validation {
            counters(
                &mut encoder,
                "validation",
                "Client answers by DNSSEC verdict (bogus includes indeterminate).",
                "outcome",
                &[
                    ("secure", validation.secure),
                    ("insecure", validation.insecure),
                    ("bogus", validation.bogus),
                ],
            )?;
            // The KeyTrap work (CVE-2023-50387): Unbound has no such counter; it shows what
            // validation costs and that the per-query allowance holds.
            counter(
                &mut encoder,
                "dnssec_signature_checks",
                "DNSSEC signature verifications done, over every query and refresh.",
                validation.signature_checks,
            )?;
            counter(
                &mut encoder,
                "aggressive_nsec_answers",
                "Negative answers synthesized from cached secure NSEC/NSEC3 records, no query \
                 sent (RFC 8198).",
                validation.synthesized,
            )?;
        }
        Ok(())
    }
}

/// Binds the endpoint's socket (before the ready line, so a taken port fails the start).
pub async fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(address).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::stats::Statistics;
    use hickory_proto::op::ResponseCode;
    use std::time::Duration;

    #[test]
    fn the_text_carries_the_snapshot_numbers_in_prometheus_form() {
        let statistics = Statistics::new();
        statistics.count(|s| &s.queries_udp);
        statistics.count_query_type(28);
        statistics.record_answer(ResponseCode::NXDomain, Duration::from_millis(3));
        let snapshot = statistics.snapshot(None, None, None, 2);
        let text = encode(snapshot).unwrap_or_default();
        for line in [
            "# TYPE resolver_queries_total counter\n",
            "resolver_queries_total{protocol=\"udp\"} 1\n",
            "resolver_queries_by_type_total{type=\"AAAA\"} 1\n",
            "resolver_answers_total{rcode=\"NXDOMAIN\"} 1\n",
            "resolver_resolutions_in_flight 2\n",
            "resolver_answer_latency_seconds_bucket{le=\"0.005\"} 1\n",
            "resolver_answer_latency_seconds_bucket{le=\"+Inf\"} 1\n",
            "resolver_answer_latency_seconds_count 1\n",
            "resolver_upstream_queries_total{server=\"other\"} 0\n",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
    }

    #[test]
    fn dnssec_verdicts_and_signature_checks_are_exported_when_validating() {
        let statistics = Statistics::new();
        let validation = crate::dnssec::ValidationCounters {
            secure: 4,
            insecure: 2,
            bogus: 1,
            signature_checks: 9,
            synthesized: 3,
        };
        let snapshot = statistics.snapshot(None, None, Some(validation), 0);
        let text = encode(snapshot.clone()).unwrap_or_default();
        for line in [
            "resolver_validation_total{outcome=\"secure\"} 4\n",
            "resolver_validation_total{outcome=\"insecure\"} 2\n",
            "resolver_validation_total{outcome=\"bogus\"} 1\n",
            "# TYPE resolver_dnssec_signature_checks_total counter\n",
            "resolver_dnssec_signature_checks_total 9\n",
            "resolver_aggressive_nsec_answers_total 3\n",
        ] {
            assert!(text.contains(line), "{line:?} missing from\n{text}");
        }
        let stats = crate::server::stats::render_text(&snapshot);
        assert!(stats.contains("dnssec.signature_checks 9\n"), "{stats}");
        assert!(stats.contains("dnssec.synthesized 3\n"), "{stats}");
        // Without validation neither appears (a forwarder that trusts its upstream).
        let text = encode(statistics.snapshot(None, None, None, 0)).unwrap_or_default();
        assert!(!text.contains("signature_checks"), "{text}");
    }
}
