//! The seam between the daemon and the resolution engine: what the handler needs from a resolver.
//! The real `Resolver` implements it; daemon tests plug in a fake that counts and scripts answers.

use std::future::Future;

use hickory_proto::op::Message;
use hickory_proto::rr::RecordType;

use crate::cache::maintenance::CacheSize;
use crate::refresh::Refresh;
use crate::server::control::Reply;
use crate::server::control_command::ControlCommand;
use crate::server::plain_query::PlainQuery;
use crate::server::wire_answer::write_answer;

/// What a cache flush did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlushOutcome {
    Flushed,
    /// The resolution engine has no flush operation (yet).
    Unsupported,
}

/// Cache counters, when the engine keeps them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheCounters {
    pub hits: u64,
    pub misses: u64,
}

/// What the cache's stored bytes say about a plain query (`Resolve::answer_from_cache_bytes`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CachedBytes {
    /// The complete response.
    Answer(Vec<u8>),
    /// The cache cannot answer the question alone: the message path's cache lookup
    /// (`resolve_from_cache`, the same chain of steps) would miss too, so it is skipped.
    Miss,
    /// Not answered here (too large, or a shape the wire path does not write): the message
    /// path decides, cache lookup included.
    Unknown,
}

impl CachedBytes {
    /// The response bytes, if the cache answered.
    pub fn answer(self) -> Option<Vec<u8>> {
        match self {
            CachedBytes::Answer(bytes) => Some(bytes),
            CachedBytes::Miss | CachedBytes::Unknown => None,
        }
    }
}

/// A resolution engine: client query in, full response out (same ID and question, rcode set).
pub trait Resolve: Send + Sync + 'static {
    fn resolve(&self, request: &Message) -> impl Future<Output = Message> + Send;

    /// The response if the cache alone answers, without waiting; the default never does.
    fn resolve_from_cache(&self, _request: &Message) -> Option<Message> {
        None
    }

    /// A query without recursion (RD=0): the cached answer or a referral from the cache (which
    /// the engine may validate first), never a resolution of the question; the default gives
    /// the cached answer, else NOERROR with empty sections.
    fn answer_without_recursion(&self, request: &Message) -> impl Future<Output = Message> + Send {
        std::future::ready(self.resolve_from_cache(request).unwrap_or_else(|| {
            let mut empty = crate::server::inflight::server_failure(request);
            empty.metadata.response_code = hickory_proto::op::ResponseCode::NoError;
            empty
        }))
    }

    /// The complete response bytes, within `limit`, if the cache alone answers `query` and the
    /// wire path covers the answer (`server::wire_answer`), each answer RRset rotated by the
    /// query ID when `roundrobin` (as `LocalAnswers::finish` on the message path); the default
    /// never knows.
    fn answer_from_cache_bytes(
        &self,
        _query: &PlainQuery<'_>,
        _limit: usize,
        _roundrobin: bool,
    ) -> CachedBytes {
        CachedBytes::Unknown
    }

    /// Work put off until a client has its answer (caching a walk's final reply, the
    /// transport's socket upkeep); called by the server after it sends a response. The default
    /// has none.
    fn after_answer(&self) {}

    /// Whether `take_refreshes` has something (cheap: checked after every answer).
    fn refreshes_waiting(&self) -> bool {
        false
    }

    /// Completes when a refresh is queued, so the server can start it while a resolution is
    /// still running (a key prefetch); the default never completes.
    fn refresh_queued(&self) -> impl Future<Output = ()> + Send {
        std::future::pending()
    }

    /// Background refreshes (serve-expired, prefetch) the engine wants run; the default none.
    fn take_refreshes(&self) -> Vec<Refresh> {
        Vec::new()
    }

    /// Runs one refresh from `take_refreshes`; the default does nothing.
    fn refresh(&self, _refresh: Refresh) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }

    /// Empties the cache (Unbound's `flush_zone .`-style reset); the default says it cannot.
    fn flush(&self) -> FlushOutcome {
        FlushOutcome::Unsupported
    }

    /// Cache hit and miss counts, if the engine keeps them.
    fn cache_counters(&self) -> Option<CacheCounters> {
        None
    }

    /// Client answers by DNSSEC status, if the engine validates.
    fn validation_counters(&self) -> Option<crate::dnssec::ValidationCounters> {
        None
    }

    /// What the cache holds (entries, bytes, evictions), if the engine can say.
    fn cache_size(&self) -> Option<CacheSize> {
        None
    }

    /// Runs a control command on the cache or infrastructure data (`body`: what followed the
    /// command, `load_cache`'s dump); `None` when the engine has no such operation.
    fn cache_command(&self, _command: &ControlCommand, _body: &str) -> Option<Reply> {
        None
    }
}

impl Resolve for crate::Resolver {
    fn resolve(&self, request: &Message) -> impl Future<Output = Message> + Send {
        crate::Resolver::resolve(self, request)
    }

    fn resolve_from_cache(&self, request: &Message) -> Option<Message> {
        crate::Resolver::resolve_from_cache(self, request)
    }

    fn answer_without_recursion(&self, request: &Message) -> impl Future<Output = Message> + Send {
        crate::Resolver::answer_without_recursion(self, request)
    }

    fn refresh_queued(&self) -> impl Future<Output = ()> + Send {
        crate::Resolver::refresh_queued(self)
    }

    fn answer_from_cache_bytes(
        &self,
        query: &PlainQuery<'_>,
        limit: usize,
        roundrobin: bool,
    ) -> CachedBytes {
        self.store_deferred();
        // The wire path writes no additional or authority records beside an answer.
        if self.keeps_sections(query.record_type()) || query.record_type() == RecordType::NS {
            return CachedBytes::Unknown;
        }
        // Names of a no-cache zone are never answered from the cache: the message path knows
        // which they are.
        if self.no_cache_zones {
            return CachedBytes::Unknown;
        }
        // A root key sentinel name (RFC 8509) is judged on the message path.
        if self.config.dnssec.enabled && crate::dnssec::sentinel::may_be_sentinel_wire(query.name())
        {
            return CachedBytes::Unknown;
        }
        // `lookup_cached_wire` takes `lookup_cached`'s steps in its order: where it finds no
        // answer, neither would the message path.
        let dnssec_ok = query.edns.is_some_and(|edns| edns.dnssec_ok);
        let Some(resolution) =
            self.lookup_cached_wire(query.name(), query.record_type(), dnssec_ok)
        else {
            return CachedBytes::Miss;
        };
        // The stored states decide, as in `lookup`: no crypto on a hit.
        let mut secure = true;
        if self.config.dnssec.enabled {
            for state in resolution.validations() {
                match state.security {
                    // Never looked at by the validator: the message path walks instead.
                    None => return CachedBytes::Miss,
                    // SERVFAIL with its Extended DNS Error: the message path writes it.
                    Some(security) if security.is_withheld() && !query.checking_disabled() => {
                        return CachedBytes::Unknown
                    }
                    Some(security) => secure &= security == crate::dnssec::Security::Secure,
                }
            }
        } else {
            secure = false;
        }
        let authentic_data = secure && (dnssec_ok || query.authentic_data());
        match write_answer(query, &resolution, limit, authentic_data, roundrobin) {
            Some(bytes) => {
                // Prefetch: one comparison per probe when on; the name is parsed only when due.
                if self.config.prefetch
                    && self.cache.prefetch_due_wire(
                        query.name(),
                        query.record_type(),
                        self.clock.now(),
                    )
                {
                    use hickory_proto::serialize::binary::BinDecodable;
                    if let Ok(name) = hickory_proto::rr::Name::from_bytes(query.name()) {
                        self.queue_refresh(&name, query.record_type());
                    }
                }
                let worst = resolution
                    .validations()
                    .filter_map(|state| state.security)
                    .max()
                    .unwrap_or(crate::dnssec::Security::Secure);
                self.count_validation(worst);
                CachedBytes::Answer(bytes)
            }
            None => CachedBytes::Unknown,
        }
    }

    fn after_answer(&self) {
        self.store_deferred();
        self.transport.after_answer();
    }

    fn refreshes_waiting(&self) -> bool {
        crate::Resolver::refreshes_waiting(self)
    }

    fn take_refreshes(&self) -> Vec<Refresh> {
        crate::Resolver::take_refreshes(self)
    }

    fn refresh(&self, refresh: Refresh) -> impl Future<Output = ()> + Send {
        crate::Resolver::refresh(self, refresh)
    }

    fn flush(&self) -> FlushOutcome {
        // Waiting replies are dropped with the rest, not stored after the flush.
        drop(self.deferred.take_all());
        // RRsets and negative entries go; infrastructure data (server RTTs) stays, as with
        // Unbound's `flush_zone .` which leaves the infra cache alone.
        self.cache.clear();
        self.failures.clear();
        self.key_cache.clear();
        self.verified_signatures.clear();
        self.denial_spans.clear();
        FlushOutcome::Flushed
    }
    fn validation_counters(&self) -> Option<crate::dnssec::ValidationCounters> {
        self.config
            .dnssec
            .enabled
            .then(|| self.validation_counts.read())
    }
    // TODO(resolver core): `cache_counters` once the cache counts hits and misses.

    fn cache_size(&self) -> Option<CacheSize> {
        Some(self.cache.size())
    }

    fn cache_command(&self, command: &ControlCommand, body: &str) -> Option<Reply> {
        crate::Resolver::cache_command(self, command, body)
    }
}
