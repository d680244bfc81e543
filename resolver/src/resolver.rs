//! The `Resolver`: shared state (cache, infrastructure data, hints) and the client entry point.
//! Flow: client message → checks → `lookup` (cache, iterator states) → response assembly.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RecordType};

use crate::auth_zone::{AuthZoneTransport, AUTH_ZONE_SERVER_V4, AUTH_ZONE_SERVER_V6};
use crate::cache::{ExpiryPolicy, RecordCache, TtlPolicy};
use crate::clock::Clock;
use crate::config::{ForwardZone, ResolverConfig, RootHint, StubZone};
use crate::dnssec::aggressive::DenialSpans;
use crate::dnssec::validator::KeyCache;
use crate::dnssec::{Reason, Security, ValidationCounts, Verdict};
use crate::iterate::budget::Budget;
use crate::iterate::root_hints::builtin_root_hints;
use crate::refresh::{mark_stale, RefreshQueue};
use crate::response::{build_response, response_skeleton, Resolution};
use crate::scrub::deferred_stores::DeferredStores;
use crate::upstream::failure_cache::FailureCache;
use crate::upstream::infra::InfraCache;
use crate::upstream::transport::Transport;

/// The resolver: one per process, shared by every client query.
pub struct Resolver {
    pub(crate) config: ResolverConfig,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) cache: RecordCache,
    pub(crate) infra: InfraCache,
    /// Recent resolution failures (RFC 9520), so a broken delegation is not retried per query.
    pub(crate) failures: FailureCache,
    /// Final answers cached once their clients have them (`deferred_stores.rs`).
    pub(crate) deferred: DeferredStores,
    /// The hints in use (configured or built-in), computed once.
    pub(crate) root_hints: Vec<RootHint>,
    /// Forward zones, deepest suffix first, so the first match is the closest.
    pub(crate) forward_zones: Vec<ForwardZone>,
    /// Unbound `do-not-query-localhost` off: set by config, or because the configured
    /// hints, forwarders or stub servers are themselves loopback (a lab).
    pub(crate) loopback_allowed: bool,
    /// The validator's key cache: the chain of trust's result per zone (`dnssec/validator.rs`).
    pub(crate) key_cache: KeyCache,
    /// Signatures verified before: identical signed data is checked once (`dnssec/verified.rs`).
    pub(crate) verified_signatures: crate::dnssec::verified::VerifiedSignatures,
    /// Secure NSEC/NSEC3 records for synthesized denials (RFC 8198, `dnssec/aggressive.rs`).
    pub(crate) denial_spans: DenialSpans,
    /// Client answers by DNSSEC status, for the statistics (validation on only).
    pub(crate) validation_counts: ValidationCounts,
    /// Background refreshes (serve-expired, prefetch) for the host to run (`refresh.rs`).
    pub(crate) refreshes: RefreshQueue,
    /// Some forward or stub zone is `no-cache` (`in_no_cache_zone` has work to do).
    pub(crate) no_cache_zones: bool,
}

impl Resolver {
    pub fn new(
        config: ResolverConfig,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let root_hints = if config.root_hints.is_empty() {
            builtin_root_hints()
        } else {
            config.root_hints.clone()
        };
        let mut config = config;
        let mut transport = transport;
        // Auth zones for upstream: a stub zone each, whose one server is answered from memory
        // (a stub zone configured for the same name wins, as it is more explicit).
        if let Some(zones) = config.auth_zones.clone() {
            let server = if config.do_ip4 {
                AUTH_ZONE_SERVER_V4
            } else {
                AUTH_ZONE_SERVER_V6
            };
            for name in zones.names() {
                if config.stub_zones.iter().any(|stub| stub.suffix == *name) {
                    continue;
                }
                config.stub_zones.push(StubZone {
                    suffix: name.clone(),
                    addresses: vec![SocketAddr::new(server, 53)],
                    hosts: Vec::new(),
                    prime: false,
                    first: false,
                    tcp_upstream: false,
                    no_cache: false,
                });
            }
            transport = Arc::new(AuthZoneTransport::new(transport, zones));
        }
        let mut forward_zones = config.forward_zones.clone();
        forward_zones.sort_by_key(|zone| std::cmp::Reverse(zone.suffix.num_labels()));
        let configured_loopback = config
            .root_hints
            .iter()
            .any(|hint| is_loopback(hint.address))
            || config
                .forward_zones
                .iter()
                .flat_map(|zone| zone.upstreams.iter())
                .chain(
                    config
                        .stub_zones
                        .iter()
                        .flat_map(|zone| zone.addresses.iter()),
                )
                .any(|upstream| is_loopback(upstream.ip()));
        let loopback_allowed = config.allow_loopback_upstream || configured_loopback;
        let no_cache_zones = config.forward_zones.iter().any(|zone| zone.no_cache)
            || config.stub_zones.iter().any(|zone| zone.no_cache);
        // Unbound `serve-original-ttl` ignores cache-min-ttl and cache-max-ttl: the server's
        // TTL is kept (up to RFC 2181 §8's 2^31 - 1).
        let (min_ttl, max_ttl) = if config.serve_original_ttl {
            (0, i32::MAX.unsigned_abs())
        } else {
            (config.min_ttl, config.max_ttl)
        };
        let policy = TtlPolicy {
            min_ttl,
            max_ttl,
            max_negative_ttl: config.max_negative_ttl,
            min_negative_ttl: config.min_negative_ttl,
        };
        Resolver {
            cache: RecordCache::new(config.cache_max_entries, policy).with_expiry(ExpiryPolicy {
                keep_expired: config.serve_expired.enabled,
                max_stale_seconds: config.serve_expired.max_stale_seconds,
                original_ttl: config.serve_original_ttl,
            }),
            refreshes: RefreshQueue::default(),
            infra: InfraCache::new(),
            failures: FailureCache::new(),
            deferred: DeferredStores::default(),
            root_hints,
            forward_zones,
            loopback_allowed,
            key_cache: KeyCache::default(),
            verified_signatures: Default::default(),
            denial_spans: DenialSpans::default(),
            validation_counts: ValidationCounts::default(),
            no_cache_zones,
            config,
            transport,
            clock,
        }
    }

    /// Answers one client query message (already parsed) with a complete response message:
    /// same ID and question, QR and RA set, RD copied, rcode NOERROR/NXDOMAIN/SERVFAIL/...
    pub async fn resolve(&self, request: &Message) -> Message {
        self.store_deferred();
        if let Some(response) = unanswerable(request) {
            return response;
        }
        let [question] = request.queries.as_slice() else {
            return response_skeleton(request, ResponseCode::FormErr);
        };
        let mut budget = Budget::with_sends(self.clock.now(), self.config.max_upstream_queries);
        budget.checking_disabled = request.metadata.checking_disabled;
        let name = question.name().clone();
        let qtype = question.query_type();
        self.prefetch_if_due(&name, qtype);
        let (resolution, stale) = if self.config.serve_expired.enabled {
            let dnssec_ok = request
                .edns
                .as_ref()
                .is_some_and(|edns| edns.flags().dnssec_ok);
            self.resolve_serving_expired(&name, qtype, dnssec_ok, &budget)
                .await
        } else {
            let resolution = self.lookup(name, qtype, &budget, 0, Vec::new()).await;
            (resolution, false)
        };
        tracing::debug!(rcode = %resolution.response_code, answers = resolution.answers.len(), sends_left = budget.sends_left(), stale, "resolved");
        self.respond(request, resolution, stale, &budget)
    }

    /// The client's response from a resolution of its one question (`stale`: served expired,
    /// RFC 8767): sentinel judged, counted, sections added.
    pub(crate) fn respond(
        &self,
        request: &Message,
        resolution: Resolution,
        stale: bool,
        budget: &Budget,
    ) -> Message {
        let Some(question) = request.queries.first() else {
            return response_skeleton(request, ResponseCode::FormErr);
        };
        let qtype = question.query_type();
        let resolution = self.judge_sentinel(question.name(), qtype, resolution);
        self.count_validation(resolution.verdict.security);
        self.validation_counts
            .add_signature_checks(budget.signature_checks.used());
        let secure = resolution.verdict.security == Security::Secure;
        let mut response = build_response(request, resolution);
        if stale {
            mark_stale(&mut response);
        }
        if self.keeps_sections(qtype)
            || crate::response_sections::has_denial_records(&response.authorities)
        {
            // The walk's final reply first, so its sections are kept and its RRsets cached.
            self.store_deferred();
        }
        // The sections this resolution's own reply left are read even at TTL 0 (Unbound hands
        // the client the reply it stored, whatever its TTL).
        self.add_optional_sections(&mut response, stale, secure, Some(budget.started()));
        response
    }

    /// The response to `request` if the cache alone answers it (same response as `resolve`
    /// would give); None when resolving needs the network or the request is not a plain query.
    pub fn resolve_from_cache(&self, request: &Message) -> Option<Message> {
        self.store_deferred();
        if request.metadata.message_type != MessageType::Query
            || request.metadata.op_code != OpCode::Query
        {
            return None;
        }
        let [question] = request.queries.as_slice() else {
            return None;
        };
        if !resolves_class(question.query_class())
            || matches!(
                question.query_type(),
                RecordType::AXFR | RecordType::IXFR | RecordType::OPT
            )
        {
            return None;
        }
        let dnssec_ok = request
            .edns
            .as_ref()
            .is_some_and(|edns| edns.flags().dnssec_ok);
        let resolution = self.lookup_cached(question.name(), question.query_type(), dnssec_ok)?;
        let resolution = self.judge_sentinel(question.name(), question.query_type(), resolution);
        self.prefetch_if_due(question.name(), question.query_type());
        self.count_validation(resolution.verdict.security);
        let secure = resolution.verdict.security == Security::Secure;
        let mut response = build_response(request, resolution);
        self.add_optional_sections(&mut response, false, secure, None);
        Some(response)
    }

    /// RFC 8509 §3.2: a secure answer to an A or AAAA question for a root key sentinel name
    /// whose key tag says the wrong thing about the root trust anchors becomes bogus (SERVFAIL,
    /// EDE 6; data for CD clients).
    fn judge_sentinel(
        &self,
        qname: &Name,
        qtype: RecordType,
        mut resolution: Resolution,
    ) -> Resolution {
        let dnssec = &self.config.dnssec;
        let address_question = matches!(qtype, RecordType::A | RecordType::AAAA);
        if dnssec.enabled && address_question && resolution.verdict.security == Security::Secure {
            if let Some(sentinel) = crate::dnssec::sentinel::sentinel_of(qname) {
                if crate::dnssec::sentinel::answer_refused(sentinel, &dnssec.anchors) {
                    resolution.verdict = Verdict::bogus(Reason::RootKeySentinel, qname);
                }
            }
        }
        resolution
    }

    /// Counts one client answer by its DNSSEC status, when validating.
    pub(crate) fn count_validation(&self, security: Security) {
        if self.config.dnssec.enabled {
            self.validation_counts.count(security);
        }
    }

    /// Whether the resolver may send a query to this address at all.
    pub(crate) fn may_query(&self, address: SocketAddr) -> bool {
        let ip = address.ip();
        if ip.is_unspecified() || ip.is_multicast() {
            return false;
        }
        if is_loopback(ip) && !self.loopback_allowed {
            return false;
        }
        let gateway = match (self.config.nat64, ip) {
            (Some(nat64), IpAddr::V6(v6)) => nat64.contains(v6),
            _ => false,
        };
        if !gateway
            && self
                .config
                .do_not_query
                .iter()
                .any(|netblock| netblock.contains(ip))
        {
            return false;
        }
        match ip {
            // Through the NAT64 gateway, an IPv4 server needs no IPv4 of ours (Unbound).
            IpAddr::V4(_) => self.config.do_ip4 || self.config.nat64.is_some(),
            IpAddr::V6(_) => self.config.do_ip6,
        }
    }

    /// Unbound `forward-no-cache`/`stub-no-cache` (`iter_stub_fwd_no_cache`): whether the
    /// configured zone closest to `name` (forward or stub; a forward zone strictly below a
    /// stub zone wins, else the stub) keeps its names out of the cache, both ways.
    pub(crate) fn in_no_cache_zone(&self, name: &Name) -> bool {
        if !self.no_cache_zones {
            return false;
        }
        // Deepest first, so the first match is the closest.
        let forward = self
            .forward_zones
            .iter()
            .find(|zone| zone.suffix.zone_of(name));
        let stub = self
            .config
            .stub_zones
            .iter()
            .filter(|zone| zone.suffix.zone_of(name))
            .max_by_key(|zone| zone.suffix.num_labels());
        match (forward, stub) {
            (Some(forward), Some(stub))
                if forward.suffix.num_labels() > stub.suffix.num_labels() =>
            {
                forward.no_cache
            }
            (_, Some(stub)) => stub.no_cache,
            (Some(forward), None) => forward.no_cache,
            (None, None) => false,
        }
    }

    /// Whether server addresses of this family are looked up (glueless names, targets).
    pub(crate) fn wants_family(&self, family: RecordType) -> bool {
        match family {
            RecordType::A => self.config.do_ip4 || self.config.nat64.is_some(),
            RecordType::AAAA => self.config.do_ip6,
            _ => false,
        }
    }

    /// The address a query for `server` is sent to: through the NAT64 gateway for IPv4 when
    /// `do-nat64` is on (`upstream/nat64.rs`), else the server's own.
    pub(crate) fn route(&self, server: SocketAddr) -> SocketAddr {
        match self.config.nat64 {
            Some(nat64) => SocketAddr::new(nat64.route(server.ip()), server.port()),
            None => server,
        }
    }

    pub(crate) fn upstream_port(&self) -> u16 {
        self.config.upstream_port.unwrap_or(53)
    }
}

/// Loopback, including IPv4-mapped loopback (::ffff:127.0.0.1), which reaches the same host.
pub(crate) fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// The question classes resolved: IN, and ANY (RFC 1035 §3.2.5 QCLASS `*`), answered with the
/// data of every class the resolver serves, which is IN alone: Unbound's iterator collects a
/// class ANY question from the classes of its hints and forwards (`processCollectClass`), and
/// its answer keeps the question as asked, with the records of class IN. Others are REFUSED.
fn resolves_class(class: DNSClass) -> bool {
    matches!(class, DNSClass::IN | DNSClass::ANY)
}

/// The answer to a request no resolution (nor cache reading) may answer: not a query, an opcode
/// other than QUERY, not one question, a class not served, a zone transfer or meta type.
pub(crate) fn unanswerable(request: &Message) -> Option<Message> {
    if request.metadata.message_type != MessageType::Query {
        return Some(response_skeleton(request, ResponseCode::FormErr));
    }
    if request.metadata.op_code != OpCode::Query {
        return Some(response_skeleton(request, ResponseCode::NotImp));
    }
    let [question] = request.queries.as_slice() else {
        return Some(response_skeleton(request, ResponseCode::FormErr));
    };
    if !resolves_class(question.query_class()) {
        return Some(response_skeleton(request, ResponseCode::Refused));
    }
    // Zone transfers and meta types are not something a resolver answers (Unbound: REFUSED/NOTIMP).
    if matches!(
        question.query_type(),
        RecordType::AXFR | RecordType::IXFR | RecordType::OPT
    ) {
        // On the request's own header, as Unbound's worker answers them: no RA.
        let mut response = response_skeleton(request, ResponseCode::Refused);
        response.metadata.recursion_available = false;
        return Some(response);
    }
    None
}
