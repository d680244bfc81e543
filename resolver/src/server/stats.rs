//! The daemon's counters and latency histogram, lock-free, dumped as `name value` text lines
//! (the shape of `unbound-control stats`). It never blocks a query: every update is one atomic add.

use std::cell::Cell;
use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::op::ResponseCode;

use crate::dnssec::ValidationCounters;
use crate::server::limits::LATENCY_BUCKETS_MILLISECONDS;
use crate::server::resolve::CacheCounters;
use crate::upstream::transport::{ExchangeFuture, Protocol, Transport};

/// Every counter the daemon keeps.
#[derive(Default)]
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
    /// One counter per bucket of `LATENCY_BUCKETS_MILLISECONDS`, plus one for anything slower.
    latency: [AtomicU64; LATENCY_BUCKETS_MILLISECONDS.len() + 1],
}

fn add(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Statistics {
    pub fn new() -> Arc<Statistics> {
        Arc::new(Statistics::default())
    }

    pub fn count(&self, counter: impl Fn(&Statistics) -> &AtomicU64) {
        add(counter(self));
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
        let milliseconds = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        let bucket = LATENCY_BUCKETS_MILLISECONDS
            .iter()
            .position(|bound| milliseconds < *bound)
            .unwrap_or(LATENCY_BUCKETS_MILLISECONDS.len());
        if let Some(counter) = self.latency.get(bucket) {
            add(counter);
        }
    }

    /// `name value` lines; cache and DNSSEC counters come from the engine when it keeps them.
    pub fn render(
        &self,
        cache: Option<CacheCounters>,
        validation: Option<ValidationCounters>,
        running: usize,
    ) -> String {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let mut lines: Vec<(String, String)> = [
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
            ("resolutions.started", &self.resolutions),
            ("resolutions.joined_in_flight", &self.joined_in_flight),
            ("upstream.queries", &self.upstream_queries),
            ("upstream.failures", &self.upstream_failures),
            ("answers.truncated", &self.truncated),
            ("rcode.NOERROR", &self.rcode_noerror),
            ("rcode.NXDOMAIN", &self.rcode_nxdomain),
            ("rcode.SERVFAIL", &self.rcode_servfail),
            ("rcode.REFUSED", &self.rcode_refused),
            ("rcode.other", &self.rcode_other),
        ]
        .into_iter()
        .map(|(name, counter)| (name.to_string(), load(counter).to_string()))
        .collect();
        lines.push(("resolutions.running".to_string(), running.to_string()));
        // The engine's own counters when it keeps them; otherwise ours, per resolution.
        let (hits, misses) = match cache {
            Some(cache) => (cache.hits, cache.misses),
            None => (load(&self.cache_hits), load(&self.cache_misses)),
        };
        let (hits, misses) = (hits.to_string(), misses.to_string());
        lines.push(("cache.hits".to_string(), hits));
        lines.push(("cache.misses".to_string(), misses));
        if let Some(validation) = validation {
            lines.push(("dnssec.secure".to_string(), validation.secure.to_string()));
            lines.push((
                "dnssec.insecure".to_string(),
                validation.insecure.to_string(),
            ));
            lines.push(("dnssec.bogus".to_string(), validation.bogus.to_string()));
        }
        let mut lower = 0;
        for (bound, counter) in LATENCY_BUCKETS_MILLISECONDS.iter().zip(self.latency.iter()) {
            lines.push((
                format!("latency.{lower}ms-{bound}ms"),
                load(counter).to_string(),
            ));
            lower = *bound;
        }
        if let Some(slowest) = self.latency.last() {
            lines.push((format!("latency.{lower}ms+"), load(slowest).to_string()));
        }
        let mut text = String::new();
        for (name, value) in lines {
            let _ = writeln!(text, "{name} {value}");
        }
        text
    }
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
        Box::pin(async move {
            let result = self.inner.exchange(server, protocol, query, timeout).await;
            if result.is_err() {
                add(&self.statistics.upstream_failures);
            }
            result
        })
    }

    fn after_answer(&self) {
        self.inner.after_answer();
    }
}
