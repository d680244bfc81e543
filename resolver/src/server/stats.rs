//! The daemon's counters and latency histograms, lock-free, read through one `Snapshot` that both
//! the control socket's `stats` (`name value` lines, unbound-control's shape) and the Prometheus
//! endpoint (`metrics.rs`) print: one source of truth. It never blocks a query: every update is an atomic add.

use std::cell::Cell;
use std::fmt::Write as _;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use hickory_proto::op::ResponseCode;

use crate::cache::maintenance::CacheSize;
use crate::dnssec::ValidationCounters;
use crate::server::limits::{
    LATENCY_BUCKETS_MILLISECONDS, MAX_UPSTREAM_SERVER_LABELS, UPSTREAM_RTT_BUCKETS_MILLISECONDS,
};
use crate::server::resolve::CacheCounters;
use crate::upstream::transport::{ExchangeFuture, Protocol, Transport, TransportError};

/// Question types counted by name (what resolvers mostly see); every other type is `other`.
/// A fixed list keeps the label set bounded whatever clients send.
pub const QUERY_TYPE_LABELS: [(u16, &str); 16] = [
    (1, "A"),
    (28, "AAAA"),
    (5, "CNAME"),
    (15, "MX"),
    (2, "NS"),
    (12, "PTR"),
    (6, "SOA"),
    (33, "SRV"),
    (16, "TXT"),
    (43, "DS"),
    (48, "DNSKEY"),
    (64, "SVCB"),
    (65, "HTTPS"),
    (257, "CAA"),
    (35, "NAPTR"),
    (255, "ANY"),
];

/// A histogram of durations: one counter per bucket bound (milliseconds), one for anything
/// slower, and the sum in microseconds (Prometheus needs `_sum`).
pub struct Histogram<const N: usize> {
    bounds: &'static [u64; N],
    buckets: [AtomicU64; N],
    slower: AtomicU64,
    sum_micros: AtomicU64,
}

impl<const N: usize> Histogram<N> {
    const fn new(bounds: &'static [u64; N]) -> Self {
        Histogram {
            bounds,
            buckets: [const { AtomicU64::new(0) }; N],
            slower: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    fn observe(&self, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let milliseconds = micros / 1000;
        let bucket = self
            .bounds
            .iter()
            .position(|bound| milliseconds < *bound)
            .and_then(|bucket| self.buckets.get(bucket));
        add(bucket.unwrap_or(&self.slower));
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn snapshot(&self) -> HistogramSnapshot {
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .chain(std::iter::once(&self.slower))
            .map(|counter| counter.load(Ordering::Relaxed))
            .collect();
        HistogramSnapshot {
            bounds_milliseconds: self.bounds.to_vec(),
            counts,
            sum_micros: self.sum_micros.load(Ordering::Relaxed),
        }
    }
}

/// A histogram read at one moment: `counts` has one entry per bound and a last one above all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistogramSnapshot {
    pub bounds_milliseconds: Vec<u64>,
    pub counts: Vec<u64>,
    pub sum_micros: u64,
}

impl HistogramSnapshot {
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// One upstream server's counters (or the `other` servers').
pub struct ServerCounters {
    queries: AtomicU64,
    timeouts: AtomicU64,
    errors: AtomicU64,
    rtt: Histogram<{ UPSTREAM_RTT_BUCKETS_MILLISECONDS.len() }>,
}

impl Default for ServerCounters {
    fn default() -> Self {
        ServerCounters {
            queries: AtomicU64::new(0),
            timeouts: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            rtt: Histogram::new(&UPSTREAM_RTT_BUCKETS_MILLISECONDS),
        }
    }
}

/// One server's counters read at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerSnapshot {
    /// The server's address, or `other` for those past `MAX_UPSTREAM_SERVER_LABELS`.
    pub label: String,
    pub queries: u64,
    pub timeouts: u64,
    pub errors: u64,
    pub rtt: HistogramSnapshot,
}

/// Per-server counters for the first `MAX_UPSTREAM_SERVER_LABELS` addresses seen, the rest in `other`.
#[derive(Default)]
struct UpstreamServers {
    named: RwLock<Vec<(IpAddr, Arc<ServerCounters>)>>,
    other: Arc<ServerCounters>,
}

impl UpstreamServers {
    /// The counters of `address`: a read lock and a scan of at most 32 entries per exchange
    /// (an upstream exchange takes milliseconds; this takes nanoseconds).
    fn of(&self, address: IpAddr) -> Arc<ServerCounters> {
        let read = self
            .named
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, counters)) = read.iter().find(|(known, _)| *known == address) {
            return counters.clone();
        }
        drop(read);
        let mut named = self
            .named
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, counters)) = named.iter().find(|(known, _)| *known == address) {
            return counters.clone();
        }
        if named.len() >= MAX_UPSTREAM_SERVER_LABELS {
            return self.other.clone();
        }
        let counters = Arc::new(ServerCounters::default());
        named.push((address, counters.clone()));
        counters
    }

    fn snapshot(&self) -> Vec<ServerSnapshot> {
        let read = |label: String, counters: &ServerCounters| ServerSnapshot {
            label,
            queries: counters.queries.load(Ordering::Relaxed),
            timeouts: counters.timeouts.load(Ordering::Relaxed),
            errors: counters.errors.load(Ordering::Relaxed),
            rtt: counters.rtt.snapshot(),
        };
        let named = self
            .named
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut servers: Vec<ServerSnapshot> = named
            .iter()
            .map(|(address, counters)| read(address.to_string(), counters))
            .collect();
        servers.push(read("other".to_string(), &self.other));
        servers
    }
}

/// Every counter the daemon keeps.
pub struct Statistics {
    pub queries: AtomicU64,
    pub queries_udp: AtomicU64,
    pub queries_tcp: AtomicU64,
    pub dropped: AtomicU64,
    pub refused_by_access_control: AtomicU64,
    pub format_errors: AtomicU64,
    pub not_implemented: AtomicU64,
    pub local_zone_answers: AtomicU64,
    pub resolutions: AtomicU64,
    pub joined_in_flight: AtomicU64,
    pub dropped_overloaded: AtomicU64,
    /// Queries whose resolution a newer query jostled out (Unbound's
    /// `requestlist.overwritten`): never answered.
    pub dropped_jostled: AtomicU64,
    /// Answers ready past the discard timeout, not sent (Unbound's
    /// `num.queries_discard_timeout`).
    pub dropped_late: AtomicU64,
    pub truncated: AtomicU64,
    pub rcode_noerror: AtomicU64,
    pub rcode_nxdomain: AtomicU64,
    pub rcode_servfail: AtomicU64,
    pub rcode_refused: AtomicU64,
    pub rcode_other: AtomicU64,
    /// Resolutions that sent no upstream query (answered from the cache), and those that did.
    pub cache_hits: AtomicU64,
    pub cache_misses: AtomicU64,
    pub upstream_queries: AtomicU64,
    pub upstream_failures: AtomicU64,
    pub upstream_timeouts: AtomicU64,
    /// Background refreshes started: prefetches and refreshes of stale answers (Unbound's
    /// `num.prefetch` counts the first kind).
    pub refreshes: AtomicU64,
    /// Answers given with expired data, EDE 3 (Unbound's `num.expired`).
    pub stale_answers: AtomicU64,
    /// One counter per `QUERY_TYPE_LABELS` entry, then one for every other type.
    query_types: [AtomicU64; QUERY_TYPE_LABELS.len() + 1],
    /// Time from a query's arrival to its answer.
    latency: Histogram<{ LATENCY_BUCKETS_MILLISECONDS.len() }>,
    upstream_servers: UpstreamServers,
}

impl Default for Statistics {
    fn default() -> Self {
        Statistics {
            queries: AtomicU64::new(0),
            queries_udp: AtomicU64::new(0),
            queries_tcp: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            refused_by_access_control: AtomicU64::new(0),
            format_errors: AtomicU64::new(0),
            not_implemented: AtomicU64::new(0),
            local_zone_answers: AtomicU64::new(0),
            resolutions: AtomicU64::new(0),
            joined_in_flight: AtomicU64::new(0),
            dropped_overloaded: AtomicU64::new(0),
            dropped_jostled: AtomicU64::new(0),
            dropped_late: AtomicU64::new(0),
            truncated: AtomicU64::new(0),
            rcode_noerror: AtomicU64::new(0),
            rcode_nxdomain: AtomicU64::new(0),
            rcode_servfail: AtomicU64::new(0),
            rcode_refused: AtomicU64::new(0),
            rcode_other: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            upstream_queries: AtomicU64::new(0),
            upstream_failures: AtomicU64::new(0),
            upstream_timeouts: AtomicU64::new(0),
            refreshes: AtomicU64::new(0),
            stale_answers: AtomicU64::new(0),
            query_types: [const { AtomicU64::new(0) }; QUERY_TYPE_LABELS.len() + 1],
            latency: Histogram::new(&LATENCY_BUCKETS_MILLISECONDS),
            upstream_servers: UpstreamServers::default(),
        }
    }
}

fn add(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// Everything `stats` and `/metrics` print, read at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// (stats name, value) of the plain counters, in print order.
    pub counters: Vec<(&'static str, u64)>,
    /// (rcode name, answers).
    pub rcodes: Vec<(&'static str, u64)>,
    /// (type name, queries), `other` last.
    pub query_types: Vec<(&'static str, u64)>,
    pub running: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub cache: Option<CacheSize>,
    /// Client answers by DNSSEC status, when the engine validates.
    pub validation: Option<ValidationCounters>,
    pub latency: HistogramSnapshot,
    pub upstream_servers: Vec<ServerSnapshot>,
}

impl Snapshot {
    /// A plain counter by its stats name (0 if unknown).
    pub fn counter(&self, name: &str) -> u64 {
        self.counters
            .iter()
            .find(|(known, _)| *known == name)
            .map_or(0, |(_, value)| *value)
    }
}

impl Statistics {
    pub fn new() -> Arc<Statistics> {
        Arc::new(Statistics::default())
    }

    pub fn count(&self, counter: impl Fn(&Statistics) -> &AtomicU64) {
        add(counter(self));
    }

    /// Counts one question by its type (`QUERY_TYPE_LABELS`, else other).
    pub fn count_query_type(&self, code: u16) {
        let slot = QUERY_TYPE_LABELS
            .iter()
            .position(|(known, _)| *known == code)
            .unwrap_or(QUERY_TYPE_LABELS.len());
        if let Some(counter) = self.query_types.get(slot) {
            add(counter);
        }
    }

    /// Counts one response's rcode and its time from arrival to answer.
    pub fn record_answer(&self, response_code: ResponseCode, elapsed: Duration) {
        add(match response_code {
            ResponseCode::NoError => &self.rcode_noerror,
            ResponseCode::NXDomain => &self.rcode_nxdomain,
            ResponseCode::ServFail => &self.rcode_servfail,
            ResponseCode::Refused => &self.rcode_refused,
            _ => &self.rcode_other,
        });
        self.latency.observe(elapsed);
    }

    /// Every counter now; cache and DNSSEC counters come from the engine when it keeps them.
    pub fn snapshot(
        &self,
        cache_counters: Option<CacheCounters>,
        cache: Option<CacheSize>,
        validation: Option<ValidationCounters>,
        running: usize,
    ) -> Snapshot {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let counters = [
            ("queries", &self.queries),
            ("queries.udp", &self.queries_udp),
            ("queries.tcp", &self.queries_tcp),
            ("queries.dropped", &self.dropped),
            (
                "queries.refused_by_access_control",
                &self.refused_by_access_control,
            ),
            ("queries.formerr", &self.format_errors),
            ("queries.notimp", &self.not_implemented),
            ("queries.local_zone", &self.local_zone_answers),
            ("queries.dropped_overloaded", &self.dropped_overloaded),
            ("queries.dropped_jostled", &self.dropped_jostled),
            ("queries.dropped_late", &self.dropped_late),
            ("resolutions.started", &self.resolutions),
            ("resolutions.joined_in_flight", &self.joined_in_flight),
            ("upstream.queries", &self.upstream_queries),
            ("upstream.failures", &self.upstream_failures),
            ("upstream.timeouts", &self.upstream_timeouts),
            ("answers.truncated", &self.truncated),
            ("answers.stale", &self.stale_answers),
            ("cache.refreshes", &self.refreshes),
        ]
        .into_iter()
        .map(|(name, counter)| (name, load(counter)))
        .collect();
        let rcodes = [
            ("NOERROR", &self.rcode_noerror),
            ("NXDOMAIN", &self.rcode_nxdomain),
            ("SERVFAIL", &self.rcode_servfail),
            ("REFUSED", &self.rcode_refused),
            ("other", &self.rcode_other),
        ]
        .into_iter()
        .map(|(name, counter)| (name, load(counter)))
        .collect();
        let query_types = QUERY_TYPE_LABELS
            .iter()
            .map(|(_, name)| *name)
            .chain(std::iter::once("other"))
            .zip(self.query_types.iter().map(load))
            .collect();
        // The engine's own counters when it keeps them; otherwise ours, per resolution.
        let (cache_hits, cache_misses) = match cache_counters {
            Some(cache) => (cache.hits, cache.misses),
            None => (load(&self.cache_hits), load(&self.cache_misses)),
        };
        Snapshot {
            counters,
            rcodes,
            query_types,
            running: u64::try_from(running).unwrap_or(u64::MAX),
            cache_hits,
            cache_misses,
            cache,
            validation,
            latency: self.latency.snapshot(),
            upstream_servers: self.upstream_servers.snapshot(),
        }
    }

    /// `name value` lines (the control socket's `stats`).
    pub fn render(
        &self,
        cache_counters: Option<CacheCounters>,
        cache: Option<CacheSize>,
        validation: Option<ValidationCounters>,
        running: usize,
    ) -> String {
        render_text(&self.snapshot(cache_counters, cache, validation, running))
    }
}

/// A snapshot as `name value` lines: the plain counters, rcodes, in-flight resolutions, cache,
/// latency buckets, then question types and upstream servers that saw any traffic.
pub fn render_text(snapshot: &Snapshot) -> String {
    let mut lines: Vec<(String, u64)> = snapshot
        .counters
        .iter()
        .map(|(name, value)| (name.to_string(), *value))
        .collect();
    for (name, value) in &snapshot.rcodes {
        lines.push((format!("rcode.{name}"), *value));
    }
    lines.push(("resolutions.running".to_string(), snapshot.running));
    lines.push(("cache.hits".to_string(), snapshot.cache_hits));
    lines.push(("cache.misses".to_string(), snapshot.cache_misses));
    if let Some(cache) = snapshot.cache {
        lines.push(("cache.rrsets".to_string(), cache.entries));
        lines.push(("cache.bytes".to_string(), cache.bytes));
        lines.push(("cache.evictions".to_string(), cache.evictions));
    }
    if let Some(validation) = snapshot.validation {
        lines.push(("dnssec.secure".to_string(), validation.secure));
        lines.push(("dnssec.insecure".to_string(), validation.insecure));
        lines.push(("dnssec.bogus".to_string(), validation.bogus));
        lines.push((
            "dnssec.signature_checks".to_string(),
            validation.signature_checks,
        ));
        lines.push(("dnssec.synthesized".to_string(), validation.synthesized));
    }
    let mut lower = 0;
    let latency = &snapshot.latency;
    for (bound, count) in latency.bounds_milliseconds.iter().zip(&latency.counts) {
        lines.push((format!("latency.{lower}ms-{bound}ms"), *count));
        lower = *bound;
    }
    if let Some(slowest) = latency.counts.last() {
        lines.push((format!("latency.{lower}ms+"), *slowest));
    }
    for (name, value) in &snapshot.query_types {
        if *value > 0 {
            lines.push((format!("queries.type.{name}"), *value));
        }
    }
    for server in &snapshot.upstream_servers {
        if server.queries > 0 {
            let label = &server.label;
            lines.push((format!("upstream.server.{label}.queries"), server.queries));
            lines.push((format!("upstream.server.{label}.timeouts"), server.timeouts));
            lines.push((format!("upstream.server.{label}.errors"), server.errors));
        }
    }
    let mut text = String::new();
    for (name, value) in lines {
        let _ = writeln!(text, "{name} {value}");
    }
    text
}

tokio::task_local! {
    /// Upstream exchanges made by the resolution running in this task.
    static UPSTREAM_EXCHANGES: Cell<u64>;
}

/// Runs one resolution and returns its result with the number of upstream exchanges it made
/// (counted by `CountingTransport`). The counter is scoped to the resolution's future (set only
/// while it is polled), so each exchange is attributed to the right resolution wherever it runs.
pub async fn count_upstream_exchanges<T>(resolution: impl Future<Output = T>) -> (T, u64) {
    UPSTREAM_EXCHANGES
        .scope(Cell::new(0), async {
            let output = resolution.await;
            let exchanges = UPSTREAM_EXCHANGES.try_with(Cell::get).unwrap_or(0);
            (output, exchanges)
        })
        .await
}

/// Counts every upstream exchange and its failures, then hands it to the real transport.
pub struct CountingTransport {
    inner: Arc<dyn Transport>,
    statistics: Arc<Statistics>,
}

impl CountingTransport {
    pub fn new(inner: Arc<dyn Transport>, statistics: Arc<Statistics>) -> CountingTransport {
        CountingTransport { inner, statistics }
    }
}

impl Transport for CountingTransport {
    fn exchange<'a>(
        &'a self,
        server: SocketAddr,
        protocol: Protocol,
        query: &'a [u8],
        timeout: Duration,
    ) -> ExchangeFuture<'a> {
        add(&self.statistics.upstream_queries);
        // Outside a counted resolution (none today) there is nothing to attribute it to.
        let _ = UPSTREAM_EXCHANGES.try_with(|exchanges| exchanges.set(exchanges.get() + 1));
        let counters = self.statistics.upstream_servers.of(server.ip());
        add(&counters.queries);
        Box::pin(async move {
            let started = Instant::now();
            let result = self.inner.exchange(server, protocol, query, timeout).await;
            match &result {
                Ok(_) => counters.rtt.observe(started.elapsed()),
                Err(TransportError::Timeout) => {
                    add(&self.statistics.upstream_failures);
                    add(&self.statistics.upstream_timeouts);
                    add(&counters.timeouts);
                }
                Err(TransportError::Io(_)) => {
                    add(&self.statistics.upstream_failures);
                    add(&counters.errors);
                }
            }
            result
        })
    }

    fn after_answer(&self) {
        self.inner.after_answer();
    }
}
