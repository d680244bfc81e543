//! Iterative resolution as explicit states (Unbound `iterator/iterator.c`), one loop driving them:
//! FindDelegation → PrimeRoot (RFC 8109) → QueryTargets → QueryResponse → ... → Finished.
//! `lookup` wraps a walk with the cache and CNAME chasing; a walk never writes unscrubbed data.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::cache::{ReplyStates, StoreTime};
use crate::config::MinimisedQueryType;
use crate::iterate::budget::Budget;
use crate::iterate::delegation::{ConfiguredZone, Delegation};
use crate::iterate::find_delegation::{is_useless, ConfiguredSource};
use crate::limits::{
    EMPTY_NODATA_RETRY_COUNT, MAX_FAILED_NS_NAME_LOOKUPS, MAX_GLUELESS_DEPTH, MAX_MINIMISE_COUNT,
    MAX_NS_NAME_LOOKUPS_PER_DELEGATION, MAX_QUERIES_PER_WALK, MAX_REFERRAL_DEPTH,
    MAX_STATE_TRANSITIONS, MINIMISE_ONE_LAB, UPSTREAM_QUERY_TIMEOUT,
};
use crate::resolver::Resolver;
use crate::scrub::classify::{classify, ReplyClass};
use crate::scrub::referral_ds::ds_answer_of_referral;
use crate::scrub::scrubber::scrub;
use crate::upstream::exchange::{exchange, ExchangeFailure, UpstreamReply};
use crate::upstream::infra::order_by_rtt;
use crate::upstream::query_bytes::ExtraOption;
use crate::upstream::transport::Protocol;

/// What one walk (one name, one type, no CNAME chasing beyond one reply) ends with.
#[derive(Debug)]
pub(crate) enum WalkResult {
    /// The answer records: the CNAME chain inside the reply, then the data.
    Answer(Vec<Record>),
    /// The chain left the server's knowledge at `target`: chase it.
    CName {
        records: Vec<Record>,
        target: Name,
    },
    /// NODATA with the authority section to give the client (SOA, and the zone's NS if sent).
    NoData(Vec<Record>),
    /// NXDOMAIN, likewise.
    NxDomain(Vec<Record>),
    /// YXDOMAIN with the DNAME that caused it.
    YxDomain(Vec<Record>),
    ServFail(&'static str),
}

/// The resolution states. Each handler returns the next one.
#[derive(Debug)]
enum State {
    FindDelegation,
    PrimeRoot,
    /// Unbound `stub-prime`: ask the stub zone's configured servers for its NS set.
    PrimeStub(Name),
    QueryTargets,
    QueryResponse {
        reply: Message,
        question: Query,
        server: SocketAddr,
    },
    Finished(WalkResult),
}

impl State {
    fn name(&self) -> &'static str {
        match self {
            State::FindDelegation => "FindDelegation",
            State::PrimeRoot => "PrimeRoot",
            State::PrimeStub(_) => "PrimeStub",
            State::QueryTargets => "QueryTargets",
            State::QueryResponse { .. } => "QueryResponse",
            State::Finished(_) => "Finished",
        }
    }
}

/// The mutable context of one walk.
struct Walk {
    qname: Name,
    qtype: RecordType,
    delegation: Option<Delegation>,
    primed: bool,
    referrals: usize,
    queries: u32,
    /// RFC 9156 relaxed mode: still minimising for this walk.
    minimise: bool,
    minimise_count: usize,
    /// Labels of the longest minimised name already answered without a referral.
    minimised_labels: usize,
    depth: u8,
    /// (name, type) pairs being resolved above this walk: a dependency cycle ends here.
    ancestors: Vec<(Name, RecordType)>,
    /// The last question sent was a minimised one.
    last_sent_minimised: bool,
    /// A reply from a recursion-only server, kept in case no authoritative server answers.
    recursion_lame_reply: Option<(Message, Query, SocketAddr)>,
    /// Entirely empty NOERROR replies to the full question so far, and the first of them, kept
    /// as the NODATA answer in case no other server says more (`EMPTY_NODATA_RETRY_COUNT`).
    empty_replies: usize,
    empty_reply: Option<(Message, Query, SocketAddr)>,
    /// Delegations above the current one, to fall back to when a referral leads nowhere.
    parents: Vec<Delegation>,
    /// Zones whose servers all failed in this walk: a new referral to them is not followed.
    dead_zones: Vec<Name>,
    /// Zones whose cached delegation failed: ask their parent afresh instead.
    refetched_zones: Vec<Name>,
    /// Stub zones primed (or tried) in this walk.
    primed_stubs: Vec<Name>,
    /// `stub-first`/`forward-first` zones whose servers all failed: iterate as if unconfigured.
    abandoned_zones: Vec<Name>,
    /// The validator runs after the walk: the final reply is kept for it and stored only once
    /// it is not bogus (`dnssec/validator.rs`).
    hold_final: bool,
    final_reply: Option<FinalReply>,
    /// Servers whose reply the validator found bogus: another server of the zone is asked
    /// (Unbound's validator restart, `val-max-restart`).
    avoid: Vec<SocketAddr>,
    /// The full question after minimised ones went unanswered: the servers they rested (for
    /// the minimised question's type, which may be the real one's) are asked all the same.
    ask_resting: bool,
    /// When the client query began (`Budget::started`): NS sets its replies bring are judged
    /// as of then (`StoreTime::judged_at`).
    started: Duration,
    /// Zero, or the leeway of the prefetch this walk is (`Resolver::refresh`): delegations
    /// expiring within it are passed over for their parent's.
    leeway: Duration,
}

/// A walk's last reply as scrubbed, with the zone whose servers gave it and the question sent.
#[derive(Debug)]
pub(crate) struct FinalReply {
    pub(crate) reply: Message,
    pub(crate) zone: Name,
    pub(crate) question: Query,
    /// The server that sent it.
    pub(crate) server: SocketAddr,
}

impl Resolver {
    /// One walk down the tree for (qname, qtype): the state loop. With `hold_final` the final
    /// reply is returned unstored, for the validator. `leeway` is zero but for a prefetch's own
    /// question (never for what it looks up on the way: Unbound's sub-queries have none).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn walk_reply(
        &self,
        qname: Name,
        qtype: RecordType,
        budget: &Budget,
        depth: u8,
        ancestors: Vec<(Name, RecordType)>,
        hold_final: bool,
        leeway: Duration,
    ) -> (WalkResult, Option<FinalReply>) {
        self.walk_reply_avoiding(
            qname,
            qtype,
            budget,
            depth,
            ancestors,
            hold_final,
            Vec::new(),
            leeway,
        )
        .await
    }

    /// `walk_reply` never asking the servers in `avoid` (they sent bogus data).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn walk_reply_avoiding(
        &self,
        qname: Name,
        qtype: RecordType,
        budget: &Budget,
        depth: u8,
        mut ancestors: Vec<(Name, RecordType)>,
        hold_final: bool,
        avoid: Vec<SocketAddr>,
        leeway: Duration,
    ) -> (WalkResult, Option<FinalReply>) {
        ancestors.push((qname.clone(), qtype));
        let mut walk = Walk {
            qname,
            qtype,
            delegation: None,
            primed: false,
            referrals: 0,
            queries: 0,
            minimise: self.config.qname_minimisation,
            minimise_count: 0,
            minimised_labels: 0,
            depth,
            ancestors,
            last_sent_minimised: false,
            recursion_lame_reply: None,
            empty_replies: 0,
            empty_reply: None,
            parents: Vec::new(),
            dead_zones: Vec::new(),
            refetched_zones: Vec::new(),
            primed_stubs: Vec::new(),
            abandoned_zones: Vec::new(),
            hold_final,
            final_reply: None,
            avoid,
            ask_resting: false,
            started: budget.started(),
            leeway,
        };
        let mut state = State::FindDelegation;
        for _ in 0..MAX_STATE_TRANSITIONS {
            tracing::debug!(state = state.name(), name = %walk.qname, qtype = %walk.qtype, depth, "iterator state");
            state = match state {
                State::FindDelegation => self.find_delegation(&mut walk),
                State::PrimeRoot => self.prime_root(&mut walk, budget).await,
                State::PrimeStub(zone) => self.prime_stub(&mut walk, budget, zone).await,
                State::QueryTargets => self.query_targets(&mut walk, budget).await,
                State::QueryResponse {
                    reply,
                    question,
                    server,
                } => self.query_response(&mut walk, reply, question, server),
                State::Finished(result) => return (result, walk.final_reply.take()),
            };
        }
        (WalkResult::ServFail("too many state transitions"), None)
    }

    /// The closest delegation for the name: a forward zone, a stub zone or a cached NS set below
    /// it, a cached NS set, or the root hints.
    fn find_delegation(&self, walk: &mut Walk) -> State {
        self.store_deferred();
        // RFC 4035 §3.1.4.1: DS lives in the parent, so its delegation is the parent's (Unbound
        // strips the label before looking up forward and stub zones too).
        let start = if walk.qtype == RecordType::DS && !walk.qname.is_root() {
            walk.qname.base_name()
        } else {
            walk.qname.clone()
        };
        let stub = match self.configured_zone(&start, &walk.abandoned_zones) {
            Some(ConfiguredSource::Forward(forward)) => {
                walk.minimise = false;
                walk.delegation = Some(self.forward_delegation(forward));
                return State::QueryTargets;
            }
            Some(ConfiguredSource::Stub(stub)) => Some(stub),
            None => None,
        };
        // A prefetch passes over delegations that expire within its leeway, for their parent's
        // (Unbound `dns_cache_find_delegation` at now + `prefetch_leeway`): a zone moved to new
        // servers is learnt from its parent before the old delegation lapses.
        let judged_at = self.clock.now() + walk.leeway;
        // Only the ancestors with a cached NS set become names (building one costs more than
        // probing the cache for it).
        for keep in self.cache.cached_cuts(&start, judged_at) {
            let zone = start.trim_to(keep);
            if let Some(stub) = stub {
                // Unbound `hints_lookup_stub`: the stub wins over a cached delegation above it,
                // and over one at its own name unless that one came from priming the stub.
                let stub_labels = stub.suffix.num_labels();
                if zone.num_labels() < stub_labels
                    || (zone.num_labels() == stub_labels && !stub.prime)
                {
                    break;
                }
            }
            if walk.refetched_zones.contains(&zone) {
                continue;
            }
            let top = stub.map_or(0, |stub| usize::from(stub.suffix.num_labels()));
            if self.cache.expired_cut_above(&start, keep, top, judged_at) {
                tracing::debug!(zone = %zone, "a cut above it has expired: asking from there");
                continue;
            }
            if let Some(mut delegation) = self.cached_delegation(&zone) {
                if is_useless(&delegation) {
                    // Unbound `iter_dp_is_useless`: no address and every server inside the zone
                    // itself; only the parent can tell us more.
                    tracing::debug!(zone = %zone, "cached delegation has no usable server");
                    continue;
                }
                delegation.configured = stub.map(|stub| ConfiguredZone {
                    name: stub.suffix.clone(),
                    first: stub.first,
                    tcp_upstream: false,
                });
                walk.delegation = Some(delegation);
                return State::QueryTargets;
            }
        }
        if let Some(stub) = stub {
            if stub.prime && !walk.primed_stubs.contains(&stub.suffix) {
                return State::PrimeStub(stub.suffix.clone());
            }
            walk.delegation = Some(self.stub_delegation(stub));
            return State::QueryTargets;
        }
        if !walk.primed {
            return State::PrimeRoot;
        }
        walk.delegation = Some(self.hints_delegation());
        State::QueryTargets
    }

    /// RFC 8109: ask the hints for the root NS set and cache it (with its addresses).
    async fn prime_root(&self, walk: &mut Walk, budget: &Budget) -> State {
        walk.primed = true;
        let hints = self.hints_delegation();
        let mut candidates = self.usable_addresses(&hints, RecordType::NS);
        candidates.retain(|address| !walk.avoid.contains(address));
        order_socket_addresses(self, &Name::root(), &mut candidates);
        let question = Query::query(Name::root(), RecordType::NS);
        for server in candidates {
            match self
                .ask(budget, server, &Name::root(), &question, false, false)
                .await
            {
                Ok(reply) => {
                    let clean = scrub(
                        &reply.message,
                        &question,
                        &Name::root(),
                        self.config.scrub_rules(),
                    );
                    let has_root_ns = clean.answers.iter().any(|record| {
                        record.record_type() == RecordType::NS && record.name.is_root()
                    });
                    if clean.metadata.response_code == ResponseCode::NoError && has_root_ns {
                        let now = self.clock.now();
                        self.store_records(&clean, &Name::root(), true, false, now);
                        return State::FindDelegation;
                    }
                }
                Err(ExchangeFailure::BudgetExhausted) => {
                    return State::Finished(WalkResult::ServFail("budget exhausted while priming"))
                }
                Err(_) => {}
            }
        }
        // No server answered the priming query: iterate from the hints themselves.
        State::FindDelegation
    }

    /// Unbound `stub-prime`: ask the stub's configured servers (RD=0) for the zone's NS set and
    /// walk from the servers it names. When no server gives one: a `stub-first` zone is left for
    /// ordinary iteration; otherwise the configured servers are used as they are.
    async fn prime_stub(&self, walk: &mut Walk, budget: &Budget, zone: Name) -> State {
        walk.primed_stubs.push(zone.clone());
        let Some(stub) = self
            .config
            .stub_zones
            .iter()
            .find(|stub| stub.suffix == zone)
        else {
            return State::FindDelegation;
        };
        let configured = self.stub_delegation(stub);
        let mut candidates = self.usable_addresses(&configured, RecordType::NS);
        order_socket_addresses(self, &zone, &mut candidates);
        let question = Query::query(zone.clone(), RecordType::NS);
        for server in candidates {
            let reply = match self
                .ask(
                    budget,
                    server,
                    &zone,
                    &question,
                    false,
                    configured.tcp_only(),
                )
                .await
            {
                Ok(reply) => reply,
                Err(ExchangeFailure::BudgetExhausted) => {
                    return State::Finished(WalkResult::ServFail(
                        "budget exhausted while priming a stub zone",
                    ))
                }
                Err(_) => continue,
            };
            let clean = scrub(&reply.message, &question, &zone, self.config.scrub_rules());
            let names: Vec<Name> = clean
                .answers
                .iter()
                .filter(|record| record.name == zone)
                .filter_map(|record| match &record.data {
                    RData::NS(target) => Some(target.0.clone()),
                    _ => None,
                })
                .collect();
            if clean.metadata.response_code != ResponseCode::NoError || names.is_empty() {
                continue;
            }
            self.store_records(&clean, &zone, true, false, self.clock.now());
            let servers = self.servers_with_cached_addresses(names, &clean.additionals);
            let mut delegation = Delegation::new(zone.clone(), servers, false);
            delegation.configured = configured.configured.clone();
            walk.delegation = Some(delegation);
            return State::QueryTargets;
        }
        if stub.first {
            tracing::debug!(zone = %zone, "stub priming failed, iterating (stub-first)");
            walk.abandoned_zones.push(zone);
            return State::FindDelegation;
        }
        // The configured servers are all this zone may use: ask them the question itself (a
        // server may refuse NS queries and still answer the rest).
        walk.delegation = Some(configured);
        State::QueryTargets
    }

    /// RFC 9156 §3: the question to send next; `true` when it is a minimised one.
    fn outgoing_question(&self, walk: &Walk, delegation: &Delegation) -> (Query, bool) {
        let full = Query::query(walk.qname.clone(), walk.qtype);
        if !walk.minimise || delegation.forward || walk.qtype == RecordType::DS {
            return (full, false);
        }
        let target_labels = usize::from(walk.qname.num_labels());
        let known = walk
            .minimised_labels
            .max(usize::from(delegation.zone.num_labels()));
        if known >= target_labels {
            return (full, false);
        }
        let next = if walk.minimise_count < MINIMISE_ONE_LAB {
            known + 1
        } else {
            let queries_left = MAX_MINIMISE_COUNT
                .saturating_sub(walk.minimise_count)
                .max(1);
            known + (target_labels - known).div_ceil(queries_left)
        };
        match self.config.minimised_query_type {
            // Knot Resolver: the name one label down with NS, and the full name as asked.
            MinimisedQueryType::Ns if next < target_labels => {
                (Query::query(walk.qname.trim_to(next), RecordType::NS), true)
            }
            MinimisedQueryType::Ns => (full, false),
            // Unbound `processQueryTargets`: every step with A, the full name too (unless A is
            // what was asked), then the full question.
            MinimisedQueryType::A if next < target_labels || walk.qtype != RecordType::A => {
                let labels = next.min(target_labels);
                (
                    Query::query(walk.qname.trim_to(labels), RecordType::A),
                    true,
                )
            }
            MinimisedQueryType::A => (full, false),
        }
    }

    /// Picks the best remaining server of the delegation and sends it the next question;
    /// resolves a glueless server name first when no address is left.
    async fn query_targets(&self, walk: &mut Walk, budget: &Budget) -> State {
        let Some(mut delegation) = walk.delegation.take() else {
            return State::FindDelegation;
        };
        if walk.queries >= MAX_QUERIES_PER_WALK {
            return State::Finished(WalkResult::ServFail("query limit per walk reached"));
        }
        if self.forward_hosts_pending(walk, &delegation) {
            // Unbound's target fetching: a forward zone's `forward-host` names are looked up
            // before its first query, so all its forwarders are known when one fails.
            let next = self.find_more_targets(walk, &mut delegation, budget).await;
            walk.delegation = Some(delegation);
            return next;
        }
        let (question, minimised) = self.outgoing_question(walk, &delegation);
        let mut candidates = self.usable_addresses(&delegation, question.query_type());
        if candidates.is_empty() && std::mem::take(&mut walk.ask_resting) {
            candidates = delegation
                .candidate_addresses()
                .into_iter()
                .filter(|address| self.may_query(*address))
                .collect();
        }
        candidates.retain(|address| !walk.avoid.contains(address));
        order_socket_addresses(self, &delegation.zone, &mut candidates);
        let Some(server) = candidates.first().copied() else {
            let next = self.find_more_targets(walk, &mut delegation, budget).await;
            walk.delegation = Some(delegation);
            return next;
        };
        walk.queries += 1;
        walk.last_sent_minimised = minimised;
        if minimised {
            walk.minimise_count += 1;
        }
        let result = self
            .ask(
                budget,
                server,
                &delegation.zone,
                &question,
                delegation.forward,
                delegation.tcp_only(),
            )
            .await;
        let zone = delegation.zone.clone();
        match result {
            Ok(reply) => {
                walk.delegation = Some(delegation);
                let clean = scrub(&reply.message, &question, &zone, self.config.scrub_rules());
                State::QueryResponse {
                    reply: clean,
                    question,
                    server,
                }
            }
            Err(ExchangeFailure::BudgetExhausted) => {
                State::Finished(WalkResult::ServFail("query budget exhausted"))
            }
            Err(failure) => {
                tracing::debug!(%server, %failure, "upstream failed");
                let tcp_due = self
                    .infra
                    .first_protocol(server.ip(), &zone, self.clock.now())
                    == Protocol::Tcp;
                if failure == ExchangeFailure::Timeout(Protocol::Udp) && tcp_due {
                    // Kept for one try over TCP once the delegation's other servers have had
                    // theirs over UDP (its doubled RTT orders it after them): a server may drop
                    // UDP and answer TCP.
                } else {
                    delegation.give_up(server);
                }
                walk.delegation = Some(delegation);
                State::QueryTargets
            }
        }
    }

    /// Whether a configured forward zone still has a `forward-host` name to look up, within the
    /// name-lookup bounds `find_more_targets` applies.
    fn forward_hosts_pending(&self, walk: &Walk, delegation: &Delegation) -> bool {
        delegation.forward
            && delegation.configured.is_some()
            && delegation.name_lookups < MAX_NS_NAME_LOOKUPS_PER_DELEGATION
            && walk.depth < MAX_GLUELESS_DEPTH
            && delegation
                .servers
                .iter()
                .any(|server| !server.looked_up && server.addresses.is_empty())
    }

    /// No address left: look up a glueless server name (bounded), or stop minimising, or give up.
    async fn find_more_targets(
        &self,
        walk: &mut Walk,
        delegation: &mut Delegation,
        budget: &Budget,
    ) -> State {
        // NXNSAttack: a referral to many names that do not resolve would make us the
        // attacker's amplifier; past the bound no more names are looked up, and only the
        // parent-side addresses are left to try (Unbound `MAX_TARGET_NX`, iter_nxns_fallback).
        let too_many_failed = delegation.failed_name_lookups > MAX_FAILED_NS_NAME_LOOKUPS;
        let can_look_up = delegation.name_lookups < MAX_NS_NAME_LOOKUPS_PER_DELEGATION
            && walk.depth < MAX_GLUELESS_DEPTH
            && !too_many_failed;
        let pending = delegation
            .servers
            .iter()
            .position(|server| !server.looked_up && server.addresses.is_empty());
        if let (true, Some(index)) = (can_look_up, pending) {
            let Some(server) = delegation.servers.get_mut(index) else {
                return State::QueryTargets;
            };
            server.looked_up = true;
            let name = server.name.clone();
            let families: Vec<RecordType> = [RecordType::A, RecordType::AAAA]
                .into_iter()
                .filter(|family| self.wants_family(*family))
                .collect();
            let mut found: Vec<SocketAddr> = Vec::new();
            let sends_before = budget.sends_left();
            for family in families {
                let resolution = self
                    .lookup(
                        name.clone(),
                        family,
                        budget,
                        walk.depth + 1,
                        walk.ancestors.clone(),
                    )
                    .await;
                for record in resolution.answers {
                    if let Some(ip) = record.data.ip_addr() {
                        found.push(SocketAddr::new(ip, self.upstream_port()));
                    }
                }
            }
            tracing::debug!(server = %name, addresses = found.len(), "glueless server name resolved");
            // Only lookups that cost upstream queries count against the delegation: what the
            // cache answered (a name known not to exist, say) was paid for earlier.
            if budget.sends_left() != sends_before {
                delegation.name_lookups += 1;
                if found.is_empty() {
                    delegation.failed_name_lookups += 1;
                }
            }
            if let Some(server) = delegation.servers.get_mut(index) {
                server.addresses.extend(found);
            }
            return State::QueryTargets;
        }
        if !delegation.parent_side_added && !delegation.forward && delegation.may_look_above() {
            delegation.parent_side_added = true;
            if self.add_parent_side_addresses(delegation) {
                tracing::debug!(zone = %delegation.zone, "trying the parent-side addresses");
                return State::QueryTargets;
            }
        }
        // Only while the question left unsent is still a minimised one: once minimised answers
        // led to the full question, its servers rest for the full question's own type (a
        // server dropping AAAA), not because of minimisation, and they stay resting.
        let minimised_pending = self.outgoing_question(walk, delegation).1;
        if walk.minimise && walk.last_sent_minimised && minimised_pending {
            // RFC 9156 §2.3 relaxed: if minimised queries got nowhere, ask the full name.
            walk.minimise = false;
            walk.ask_resting = true;
            delegation.given_up.clear();
            return State::QueryTargets;
        }
        if let Some((reply, question, server)) = walk.empty_reply.take() {
            // No other server said more than the empty reply: it is the NODATA answer.
            let current =
                std::mem::replace(delegation, Delegation::new(Name::root(), Vec::new(), false));
            return self.act_on_final_class(
                walk,
                current,
                ReplyClass::NoData,
                reply,
                &question,
                server,
            );
        }
        if let Some((reply, question, server)) = walk.recursion_lame_reply.take() {
            // Every server only recurses: Unbound then uses them all the same.
            let class = classify(
                &reply,
                question.name(),
                question.query_type(),
                &delegation.zone,
                true,
            );
            let current =
                std::mem::replace(delegation, Delegation::new(Name::root(), Vec::new(), false));
            return self.act_on_final_class(walk, current, class, reply, &question, server);
        }
        let (next_question, _) = self.outgoing_question(walk, delegation);
        if self.every_address_rests(delegation, next_question.query_type()) {
            if let Some(next) = self.abandon_first_zone(walk, delegation) {
                return next;
            }
            // Unbound's "no useful server": the zone's servers failed lately and rest until
            // their probe time; asking the parent again would hand back the same servers.
            return State::Finished(WalkResult::ServFail(
                "every server of the delegation is resting after timeouts",
            ));
        }
        if too_many_failed {
            // Asking the parent again would only bring the same names back (Unbound ends the
            // query after its last resort, iter_nxns_cached).
            return State::Finished(WalkResult::ServFail(
                "too many name server names without an address",
            ));
        }
        if delegation.from_cache
            && delegation.may_look_above()
            && !delegation.zone.is_root()
            && walk.refetched_zones.len() < MAX_REFERRAL_DEPTH
        {
            // The cached delegation may be stale (addresses expired or moved): ask the parent
            // for a fresh referral, as Unbound re-fetches a delegation whose targets all failed.
            tracing::debug!(zone = %delegation.zone, "cached delegation failed, asking its parent");
            walk.refetched_zones.push(delegation.zone.clone());
            return State::FindDelegation;
        }
        if let Some(parent) = walk.parents.pop() {
            // The referral led to servers that all failed: ask the parent for the full name.
            tracing::debug!(dead = %delegation.zone, parent = %parent.zone, "falling back to the parent");
            walk.dead_zones.push(delegation.zone.clone());
            walk.minimise = false;
            *delegation = parent;
            return State::QueryTargets;
        }
        if let Some(next) = self.abandon_first_zone(walk, delegation) {
            return next;
        }
        State::Finished(WalkResult::ServFail("no usable server for the delegation"))
    }

    /// Unbound `stub-first`/`forward-first`: every server of the configured zone failed, so the
    /// walk starts again as if the zone were not configured (from the cache or the root hints).
    fn abandon_first_zone(&self, walk: &mut Walk, delegation: &Delegation) -> Option<State> {
        let configured = delegation.configured.as_ref()?;
        if !configured.first || walk.abandoned_zones.contains(&configured.name) {
            return None;
        }
        tracing::debug!(zone = %configured.name, "configured servers failed, iterating (first)");
        walk.abandoned_zones.push(configured.name.clone());
        walk.minimise = self.config.qname_minimisation;
        walk.parents.clear();
        Some(State::FindDelegation)
    }

    /// Classifies the scrubbed reply and acts on its class.
    fn query_response(
        &self,
        walk: &mut Walk,
        reply: Message,
        question: Query,
        server: SocketAddr,
    ) -> State {
        let Some(mut delegation) = walk.delegation.take() else {
            return State::FindDelegation;
        };
        let class = classify(
            &reply,
            question.name(),
            question.query_type(),
            &delegation.zone,
            delegation.forward,
        );
        tracing::debug!(%server, ?class, zone = %delegation.zone, "reply classified");
        let minimised = *question.name() != walk.qname || question.query_type() != walk.qtype;
        if class == ReplyClass::NoData && !minimised && is_entirely_empty(&reply) {
            // Unbound `response_type_from_server`: a NODATA carries the zone's SOA (RFC 2308
            // §2.2); one with nothing at all may be a server that lost its zone, so another
            // server is asked first. The empty reply answers if none says more.
            walk.empty_replies += 1;
            if walk.empty_replies < EMPTY_NODATA_RETRY_COUNT {
                tracing::debug!(%server, "empty reply, asking another server");
                if walk.empty_reply.is_none() {
                    walk.empty_reply = Some((reply, question, server));
                }
                delegation.give_up(server);
                walk.delegation = Some(delegation);
                return State::QueryTargets;
            }
        }
        match class {
            ReplyClass::Referral { zone }
                if question.query_type() == RecordType::DS && !delegation.forward =>
            {
                // The parent answered the DS question with its referral to the DS owner: the
                // DS RRset it carries is the answer (RFC 4035 §3.1.4.1), the child has none.
                match ds_answer_of_referral(&reply, question.name(), &zone) {
                    Some(answer) => self.act_on_final_class(
                        walk,
                        delegation,
                        ReplyClass::Answer,
                        answer,
                        &question,
                        server,
                    ),
                    None => self.follow_referral(walk, delegation, zone, &reply, server),
                }
            }
            ReplyClass::Referral { zone } => {
                self.follow_referral(walk, delegation, zone, &reply, server)
            }
            ReplyClass::Lame | ReplyClass::Throwaway
                if minimised
                    && walk.minimise
                    && !matches!(
                        reply.metadata.response_code,
                        ResponseCode::NoError | ResponseCode::NXDomain
                    ) =>
            {
                // RFC 9156 §2.3, Unbound's relaxed mode: a server that fails a minimised query
                // (REFUSED, SERVFAIL, NOTIMP...) may only mishandle minimisation; ask it the full
                // name before counting it as failed.
                walk.minimise = false;
                walk.delegation = Some(delegation);
                State::QueryTargets
            }
            ReplyClass::Lame | ReplyClass::Throwaway => {
                delegation.give_up(server);
                walk.delegation = Some(delegation);
                State::QueryTargets
            }
            ReplyClass::RecursionLame => {
                if !minimised && walk.recursion_lame_reply.is_none() {
                    walk.recursion_lame_reply = Some((reply, question, server));
                }
                delegation.give_up(server);
                walk.delegation = Some(delegation);
                State::QueryTargets
            }
            ReplyClass::NxDomain if minimised && self.nxdomain_ends_walk(walk, &reply) => {
                // RFC 8020 §2: nothing exists below a name that does not exist. A signed zone
                // is trusted to answer an empty non-terminal with NODATA, so its NXDOMAIN on
                // the way down answers the full question (Unbound: `dnssec_expected`); the
                // validator checks the proof for the name asked.
                tracing::debug!(name = %question.name(), "signed NXDOMAIN above the name");
                self.act_on_final_class(walk, delegation, class, reply, &question, server)
            }
            _ if minimised => {
                if class == ReplyClass::NxDomain {
                    // RFC 9156 §2.3 relaxed: an NXDOMAIN on the way down may be a broken empty
                    // non-terminal; ask the full name instead (Unbound does the same unless
                    // `harden-below-nxdomain` and a validated NXDOMAIN, RFC 8020).
                    walk.minimise = false;
                } else if matches!(class, ReplyClass::CName { .. })
                    || shows_dname_at(&reply, question.name())
                {
                    // A CNAME is no zone cut and nothing can exist below its owner (RFC 2181
                    // §10.1), nor below a DNAME's (RFC 6672 §2.4): ask the full name, whose
                    // answer carries the chain (Unbound stops minimising here too).
                    walk.minimise = false;
                } else {
                    walk.minimised_labels = usize::from(question.name().num_labels());
                }
                walk.delegation = Some(delegation);
                State::QueryTargets
            }
            class => self.act_on_final_class(walk, delegation, class, reply, &question, server),
        }
    }

    /// A referral to `zone`, below the delegation asked: keep what it teaches (its NS set, glue,
    /// DS or proof of none) and ask the new zone's servers; the old delegation is kept to fall
    /// back on.
    fn follow_referral(
        &self,
        walk: &mut Walk,
        mut delegation: Delegation,
        zone: Name,
        reply: &Message,
        server: SocketAddr,
    ) -> State {
        if delegation.forward || walk.dead_zones.contains(&zone) {
            delegation.give_up(server);
            walk.delegation = Some(delegation);
            return State::QueryTargets;
        }
        walk.referrals += 1;
        // An empty reply kept from this zone says nothing about the child's names.
        walk.empty_reply = None;
        if walk.referrals > MAX_REFERRAL_DEPTH {
            return State::Finished(WalkResult::ServFail("referral limit reached"));
        }
        // The parent's data is kept whole: sibling glue set aside below is its last resort.
        self.store_parent_side(reply, &zone, &delegation.zone);
        let glue_checked;
        let reply = if self.config.harden_unverified_glue {
            glue_checked = self.without_unverified_glue(reply.clone(), &zone);
            &glue_checked
        } else {
            reply
        };
        self.store_records(reply, &delegation.zone, false, true, walk.started);
        self.store_referral_denial(reply, &zone);
        self.prefetch_keys_of_referral(reply, &zone);
        let names: Vec<Name> = reply
            .authorities
            .iter()
            .chain(reply.answers.iter())
            .filter(|record| record.name == zone)
            .filter_map(|record| match &record.data {
                RData::NS(target) => Some(target.0.clone()),
                _ => None,
            })
            .collect();
        let servers = self.servers_with_cached_addresses(names, &reply.additionals);
        if walk.parents.len() < MAX_REFERRAL_DEPTH {
            walk.parents.push(delegation);
        }
        walk.delegation = Some(Delegation::new(zone, servers, false));
        State::QueryTargets
    }

    /// Whether an NXDOMAIN to a minimised question ends the walk (RFC 8020, Unbound
    /// `harden-below-nxdomain`): only where the validator will check it, that is when the name
    /// is under a trust anchor and the reply is signed. Unsigned, it may come from a server
    /// that answers empty non-terminals wrongly (RFC 8020 §4), so the full name is asked.
    fn nxdomain_ends_walk(&self, walk: &Walk, reply: &Message) -> bool {
        let dnssec = &self.config.dnssec;
        self.config.harden_below_nxdomain
            && dnssec.enabled
            && walk.hold_final
            && dnssec.anchors.closest(&walk.qname).is_some()
            && !dnssec.anchors.is_negative(&walk.qname)
            && reply
                .authorities
                .iter()
                .any(|record| record.record_type() == RecordType::RRSIG)
    }

    /// Answer, CNAME, NODATA or NXDOMAIN for the full question: cache it (or hold it for the
    /// validator) and finish.
    fn act_on_final_class(
        &self,
        walk: &mut Walk,
        delegation: Delegation,
        class: ReplyClass,
        reply: Message,
        question: &Query,
        server: SocketAddr,
    ) -> State {
        let zone = delegation.zone.clone();
        walk.delegation = Some(delegation);
        let result = match class {
            ReplyClass::Answer => WalkResult::Answer(self.clamped(reply.answers.clone())),
            ReplyClass::CName { target } => WalkResult::CName {
                records: self.clamped(reply.answers.clone()),
                target,
            },
            ReplyClass::NoData => WalkResult::NoData(self.negative_authority(&reply, &zone)),
            ReplyClass::NxDomain => WalkResult::NxDomain(self.negative_authority(&reply, &zone)),
            ReplyClass::YxDomain => WalkResult::YxDomain(self.clamped(reply.answers.clone())),
            // Anything else was handled by the caller; treat it as a failed server.
            _ => return State::Finished(WalkResult::ServFail("unusable reply")),
        };
        let final_reply = FinalReply {
            reply,
            zone,
            question: question.clone(),
            server,
        };
        if walk.hold_final {
            walk.final_reply = Some(final_reply);
        } else {
            let states = ReplyStates::all(self.unvalidated_state(&walk.qname));
            let time = StoreTime {
                query_started: walk.started,
                leeway: walk.leeway,
                ..StoreTime::at(self.clock.now())
            };
            self.store_final(&result, final_reply, states, time);
        }
        State::Finished(result)
    }

    /// Unbound `prefetch-key`: a referral with `zone`'s DS queues the fetch of the zone's keys,
    /// unless the key cache knows them already (only when validating).
    fn prefetch_keys_of_referral(&self, reply: &Message, zone: &Name) {
        let dnssec = &self.config.dnssec;
        if !dnssec.enabled
            || !dnssec.prefetch_keys
            || !reply
                .authorities
                .iter()
                .any(|record| record.record_type() == RecordType::DS && record.name == *zone)
            || self.key_cache_holds(zone)
        {
            return;
        }
        self.queue_key_prefetch(zone);
    }

    /// A referral without DS for `zone`: its NSEC/NSEC3 records and their RRSIGs, kept for
    /// the validator's proof that the child is unsigned (only when validating).
    fn store_referral_denial(&self, reply: &Message, zone: &Name) {
        if !self.config.dnssec.enabled
            || reply
                .authorities
                .iter()
                .any(|record| record.record_type() == RecordType::DS && record.name == *zone)
        {
            return;
        }
        let proof: Vec<Record> = reply
            .authorities
            .iter()
            .filter(|record| {
                matches!(
                    record.record_type(),
                    RecordType::NSEC | RecordType::NSEC3 | RecordType::RRSIG
                )
            })
            .cloned()
            .collect();
        if proof
            .iter()
            .any(|record| record.record_type() != RecordType::RRSIG)
        {
            self.cache
                .insert_referral_denial(zone, DNSClass::IN, &proof, self.clock.now());
        }
    }

    /// Caches a walk's final reply as its class says (the answer once the client has it), each
    /// RRset with the validator's state, as `time` says (a prefetch's answer renews what
    /// expires within its leeway).
    pub(crate) fn store_final(
        &self,
        result: &WalkResult,
        final_reply: FinalReply,
        states: ReplyStates,
        time: StoreTime,
    ) {
        let now = time.received;
        let FinalReply {
            reply,
            zone,
            question,
            ..
        } = final_reply;
        // forward-no-cache: nothing learned for the name is kept.
        if self.in_no_cache_zone(question.name()) {
            return;
        }
        let negative_state = states.answer;
        match result {
            WalkResult::Answer(_) => self.defer_store(reply, zone, states, time),
            WalkResult::CName { .. } => self.store_validated_records(&reply, &zone, &states, time),
            WalkResult::NoData(authorities) => {
                self.store_validated_records(&reply, &zone, &states, time);
                self.store_negative_additionals(&reply, &zone, authorities, now);
                self.cache.insert_negative_validated(
                    question.name(),
                    DNSClass::IN,
                    Some(question.query_type()),
                    authorities,
                    negative_state,
                    now,
                );
            }
            WalkResult::NxDomain(authorities) => {
                self.store_negative_additionals(&reply, &zone, authorities, now);
                self.cache.insert_negative_validated(
                    question.name(),
                    DNSClass::IN,
                    None,
                    authorities,
                    negative_state,
                    now,
                );
            }
            WalkResult::YxDomain(_) | WalkResult::ServFail(_) => {}
        }
    }
}

impl Resolver {
    /// The delegation's addresses this walk has not given up on, that may be queried, and whose
    /// server is not resting for `qtype` (`upstream/infra.rs`; one whose probe is due is not).
    fn usable_addresses(&self, delegation: &Delegation, qtype: RecordType) -> Vec<SocketAddr> {
        let now = self.clock.now();
        if self.every_server_failing(delegation, qtype) {
            return Vec::new();
        }
        delegation
            .candidate_addresses()
            .into_iter()
            .filter(|address| self.may_query(*address))
            .filter(|address| {
                self.infra
                    .is_available(address.ip(), &delegation.zone, qtype, now)
            })
            .collect()
    }

    /// Whether every server of the delegation timed out lately and another walk is asking one
    /// of them again (`InfraCache::every_server_failing`): its outcome is that walk's to learn.
    fn every_server_failing(&self, delegation: &Delegation, qtype: RecordType) -> bool {
        let addresses = delegation
            .servers
            .iter()
            .flat_map(|server| server.addresses.iter())
            .filter(|address| self.may_query(**address))
            .map(|address| address.ip());
        self.infra
            .every_server_failing(addresses, &delegation.zone, qtype, self.clock.now())
    }

    /// Whether the delegation has addresses and every one of them rests for `qtype` (or is
    /// failing while another walk asks it).
    fn every_address_rests(&self, delegation: &Delegation, qtype: RecordType) -> bool {
        if self.every_server_failing(delegation, qtype) {
            return true;
        }
        let now = self.clock.now();
        let mut addresses = delegation
            .servers
            .iter()
            .flat_map(|server| server.addresses.iter())
            .filter(|address| self.may_query(**address))
            .peekable();
        addresses.peek().is_some()
            && addresses.all(|address| {
                !self
                    .infra
                    .is_available(address.ip(), &delegation.zone, qtype, now)
            })
    }

    /// One exchange with `server`, over the protocol the infra cache chooses, and its outcome
    /// recorded there: a reply lets the server back in, a timeout or refusal counts against it.
    async fn ask(
        &self,
        budget: &Budget,
        server: SocketAddr,
        zone: &Name,
        question: &Query,
        recursion_desired: bool,
        tcp_only: bool,
    ) -> Result<UpstreamReply, ExchangeFailure> {
        let address = server.ip();
        let now = self.clock.now();
        let _outstanding = self
            .infra
            .start_query(address, zone, question.query_type(), now);
        // Unbound `tcp-upstream` and the zones' `*-tcp-upstream`: no UDP at all.
        let protocol = if tcp_only || self.config.tcp_upstream {
            Protocol::Tcp
        } else {
            self.infra.first_protocol(address, zone, now)
        };
        // Unbound `edns-client-string`: chosen by the server's own address, before NAT64.
        let extra = self
            .config
            .client_strings
            .for_server(address)
            .map(|data| ExtraOption {
                code: self.config.client_strings.option_code,
                data,
            });
        let result = exchange(
            self.transport.as_ref(),
            self.clock.as_ref(),
            budget,
            self.route(server),
            question,
            recursion_desired,
            protocol,
            extra,
        )
        .await;
        let now = self.clock.now();
        match &result {
            Ok(reply) => self.infra.record_reply(
                address,
                zone,
                question.query_type(),
                reply.round_trip,
                reply.protocol,
                now,
            ),
            Err(ExchangeFailure::Timeout(protocol)) => self.infra.record_timeout(
                address,
                zone,
                question.query_type(),
                *protocol,
                UPSTREAM_QUERY_TIMEOUT,
                now,
            ),
            Err(ExchangeFailure::Network(std::io::ErrorKind::ConnectionRefused)) => {
                self.infra.record_refused(address, zone, now)
            }
            Err(_) => {}
        }
        result
    }
}

/// A reply with no record in any section (EDNS aside): not even the SOA a NODATA carries.
fn is_entirely_empty(reply: &Message) -> bool {
    reply.answers.is_empty() && reply.authorities.is_empty() && reply.additionals.is_empty()
}

/// RFC 6672 §2.4: whether the reply shows a DNAME owned by `name` (in the answer, or in the
/// type bitmap of a NODATA's NSEC). Nothing below a DNAME's owner is a zone cut the walk could
/// find: a minimised question there only meets the redirection, so the full name is asked.
fn shows_dname_at(reply: &Message, name: &Name) -> bool {
    let dname_record = reply
        .answers
        .iter()
        .any(|record| record.record_type() == RecordType::DNAME && record.name == *name);
    let dname_in_nsec = reply.authorities.iter().any(|record| match &record.data {
        RData::DNSSEC(hickory_proto::dnssec::rdata::DNSSECRData::NSEC(nsec)) => {
            record.name == *name && nsec.type_set().contains(RecordType::DNAME)
        }
        _ => false,
    });
    dname_record || dname_in_nsec
}

fn order_socket_addresses(resolver: &Resolver, zone: &Name, addresses: &mut [SocketAddr]) {
    let mut ips: Vec<std::net::IpAddr> = addresses.iter().map(|address| address.ip()).collect();
    order_by_rtt(&resolver.infra, zone, &mut ips);
    addresses.sort_by_key(|address| {
        ips.iter()
            .position(|ip| *ip == address.ip())
            .unwrap_or(usize::MAX)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::record_text::parse_record;

    /// RFC 6672 §2.4: a minimised NODATA whose NSEC lists DNAME at the name shows the walk can
    /// find no zone cut below it; another name's NSEC, or one without DNAME, does not.
    #[test]
    fn a_nodata_nsec_listing_dname_shows_a_dname_at_its_owner() {
        let mut reply = Message::query();
        reply
            .authorities
            .push(parse_record("x. 300 IN NSEC y. DNAME RRSIG NSEC").unwrap());
        assert!(shows_dname_at(&reply, &Name::from_ascii("x.").unwrap()));
        assert!(!shows_dname_at(&reply, &Name::from_ascii("y.").unwrap()));
        let mut plain = Message::query();
        plain
            .authorities
            .push(parse_record("x. 300 IN NSEC y. A RRSIG NSEC").unwrap());
        assert!(!shows_dname_at(&plain, &Name::from_ascii("x.").unwrap()));
    }
}
