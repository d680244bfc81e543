//! The resolver's `listen::Handler`: bytes in, bytes out. Order matters and follows Unbound's
//! worker: access control, then parsing, then local zones, then the (shared, bounded) resolution.
//!
//! Flow: header → ACL (REFUSED) → [plain query, no local zones: cache hit written from wire bytes]
//! → parse (drop | FORMERR | NOTIMP | BADVERS) → local zone answer
//! → in-flight join or new resolution (drop when overloaded or jostled out; an answer later than
//! the discard timeout is dropped too) → encode within the client's limit.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, ResponseCode};

use authority::listen::{Handler, Protocol, RequestContext, TcpConnection};

use crate::auth_zone::DownstreamAuthZones;
use crate::request_list::RequestLimits;

use crate::policy::{AfterResolution, BeforeResolution};
use crate::response::refused_prohibited;
use crate::server::access::{AccessAction, AccessList};
use crate::server::cookies::{self, CookieVerdict};
use crate::server::inflight::{server_failure, CacheChecked, InFlight, Resolution};
use crate::server::limits::CLIENT_ANSWER_DEADLINE;
use crate::server::local_alias::LocalAlias;
use crate::server::local_answers::{LocalAnswers, LocalOutcome};
use crate::server::local_zone_client::ClientView;
use crate::server::local_zones::{LocalZones, NoLocalZones};
use crate::server::message::{
    echoed_error, encode_response, error_response, parse_request, question_type, read_header,
    refused_question_type, rejection_response, size_limit, ClientRequest, Rejection, RequestHeader,
};
use crate::server::plain_query::PlainQuery;
use crate::server::resolve::{CachedBytes, FlushOutcome, Resolve};
use crate::server::stats::{render_text, Snapshot, Statistics};
use crate::server::tcp_keepalive::{self, KeepaliveAnswer};
use crate::server::walk_answer::write_walk_answer;

/// What a reload may change while the cache lives on: who may ask, and which zones are local.
pub struct Policy {
    pub access: AccessList,
    pub local_zones: Arc<dyn LocalZones>,
    /// Unbound-style local zones (default ones included), identity, NSID and response rules.
    pub local_answers: Arc<LocalAnswers>,
    /// `--auth-zone ...,downstream`: zones answered to clients, AA=1 (Unbound for-downstream).
    pub auth_zones: Option<Arc<DownstreamAuthZones>>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            access: AccessList::loopback_only(),
            local_zones: Arc::new(NoLocalZones),
            local_answers: Arc::new(LocalAnswers::default()),
            auth_zones: None,
        }
    }
}

/// The handler shared by every listener task.
pub struct ResolverHandler<R> {
    in_flight: InFlight<R>,
    /// The request list's settings; the handler applies the discard timeout.
    limits: RequestLimits,
    policy: RwLock<Arc<Policy>>,
    statistics: Arc<Statistics>,
    /// The listener's TCP idle timeout, announced to clients that send the RFC 7828 keepalive
    /// option; `None`: the option is ignored.
    tcp_keepalive: Option<Duration>,
}

impl<R: Resolve> ResolverHandler<R> {
    pub fn new(
        resolver: Arc<R>,
        policy: Policy,
        statistics: Arc<Statistics>,
    ) -> ResolverHandler<R> {
        Self::with_request_limits(resolver, policy, statistics, RequestLimits::default())
    }

    /// As `new`, with a different bound on concurrent resolutions and no jostling (tests use a
    /// small one).
    pub fn with_concurrency(
        resolver: Arc<R>,
        policy: Policy,
        statistics: Arc<Statistics>,
        max_concurrent: usize,
    ) -> ResolverHandler<R> {
        let limits = RequestLimits {
            max_resolutions: max_concurrent,
            jostle_timeout: Duration::MAX,
            discard_timeout: None,
        };
        Self::with_request_limits(resolver, policy, statistics, limits)
    }

    /// As `new`, with the operator's request list settings (`num-queries-per-thread`,
    /// `jostle-timeout`, `discard-timeout`).
    pub fn with_request_limits(
        resolver: Arc<R>,
        policy: Policy,
        statistics: Arc<Statistics>,
        limits: RequestLimits,
    ) -> ResolverHandler<R> {
        ResolverHandler {
            in_flight: InFlight::new(resolver, &limits),
            limits,
            policy: RwLock::new(Arc::new(policy)),
            statistics,
            tcp_keepalive: None,
        }
    }

    /// Answers RFC 7828 keepalive options on TCP with `idle_timeout`, which must be the
    /// listener's (`ListenOptions::tcp_idle_timeout`): the option tells the client when we close.
    pub fn with_tcp_keepalive(mut self, idle_timeout: Duration) -> Self {
        self.tcp_keepalive = Some(idle_timeout);
        self
    }

    /// `answer`, and on TCP the keepalive option (RFC 7828) for queries that carry it, or for every
    /// query on a `connection` where one did (`tcp_keepalive::answer_for`).
    async fn answer_with_keepalive(
        &self,
        packet: &[u8],
        context: RequestContext,
        connection: Option<&TcpConnection>,
    ) -> Option<Vec<u8>> {
        let (Protocol::Tcp, Some(idle_timeout)) = (context.protocol, self.tcp_keepalive) else {
            return self.answer(packet, context).await;
        };
        match tcp_keepalive::answer_for(tcp_keepalive::requested(packet), connection) {
            KeepaliveAnswer::Plain => self.answer(packet, context).await,
            KeepaliveAnswer::WithOption => self
                .answer(packet, context)
                .await
                .map(|response| tcp_keepalive::with_keepalive(response, idle_timeout)),
            KeepaliveAnswer::FormatError => {
                let (header, _) = read_header(packet)?;
                self.statistics.count(|s| &s.format_errors);
                error_response(header, ResponseCode::FormErr, None, None)
            }
        }
    }

    /// A cache hit finishes at the listener's first poll and gets no `after_send`: the prefetch
    /// or stale refresh it queued starts here, while the entry is still fresh.
    fn start_refreshes_waiting(&self) {
        if self.in_flight.resolver().refreshes_waiting() {
            self.start_refreshes();
        }
    }

    /// Swaps in a new ACL and zone set in one step: a query sees all of the old or all of the new.
    pub fn replace_policy(&self, policy: Policy) {
        let policy = Arc::new(policy);
        match self.policy.write() {
            Ok(mut guard) => *guard = policy,
            Err(poisoned) => *poisoned.into_inner() = policy,
        }
    }

    fn current_policy(&self) -> Arc<Policy> {
        match self.policy.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The shared resolutions, for tests and the stats dump.
    pub fn in_flight(&self) -> &InFlight<R> {
        &self.in_flight
    }

    pub fn statistics(&self) -> &Arc<Statistics> {
        &self.statistics
    }

    /// Every counter now, with the engine's cache counters and size (a pass over the cache:
    /// call it off the query threads).
    pub fn statistics_snapshot(&self) -> Snapshot {
        let resolver = self.in_flight.resolver();
        self.statistics.snapshot(
            resolver.cache_counters(),
            resolver.cache_size(),
            resolver.validation_counters(),
            self.in_flight.running(),
        )
    }

    /// The statistics dump for the control endpoint.
    pub fn render_statistics(&self) -> String {
        render_text(&self.statistics_snapshot())
    }

    pub fn flush(&self) -> FlushOutcome {
        self.in_flight.resolver().flush()
    }

    /// unbound-control `list_local_zones`: one `NAME TYPE` line per local zone, sorted.
    pub fn local_zone_listing(&self) -> String {
        let policy = self.current_policy();
        let mut lines = policy.local_answers.zone_lines();
        lines.extend(policy.local_zones.zone_names().iter().map(|name| {
            format!(
                "{} authoritative (--zone)",
                crate::dig::presentation::name_text(name)
            )
        }));
        if let Some(zones) = &policy.auth_zones {
            lines.extend(zones.names().iter().map(|name| {
                format!(
                    "{} auth-zone (for-downstream)",
                    crate::dig::presentation::name_text(name)
                )
            }));
        }
        lines.sort();
        let mut text = lines.join("\n");
        text.push('\n');
        if lines.is_empty() {
            text = "no local zones\n".to_string();
        }
        text
    }

    /// Answers one packet; `None` means send nothing.
    pub async fn answer(&self, packet: &[u8], context: RequestContext) -> Option<Vec<u8>> {
        let started = Instant::now();
        let statistics = &self.statistics;
        statistics.count(|s| &s.queries);
        statistics.count(|s| match context.protocol {
            Protocol::Udp => &s.queries_udp,
            Protocol::Tcp => &s.queries_tcp,
        });
        let policy = self.current_policy();
        let Some((header, is_response)) = read_header(packet) else {
            statistics.count(|s| &s.dropped);
            return None;
        };
        if is_response {
            statistics.count(|s| &s.dropped);
            return None;
        }
        // Access control before any parsing: a denied client costs us twelve bytes of reading.
        let client = context.client.ip();
        let rule = policy.access.rule_for(client);
        let action = rule.map_or(AccessAction::Refuse, |rule| rule.action);
        match action {
            AccessAction::Deny => {
                statistics.count(|s| &s.refused_by_access_control);
                statistics.count(|s| &s.dropped);
                return None;
            }
            AccessAction::Refuse => {
                statistics.count(|s| &s.refused_by_access_control);
                statistics.record_answer(ResponseCode::Refused, started.elapsed());
                return refused_by_access_control(packet, header, context.protocol);
            }
            _ => {}
        }
        // allow_setrd: RD=0 is taken as RD=1 (Unbound sets the bit in the query itself).
        let set_rd;
        let (packet, header) = if action == AccessAction::AllowSetRd && !header.recursion_desired {
            let mut copy = packet.to_vec();
            if let Some(flags) = copy.get_mut(2) {
                *flags |= 0x01;
            }
            set_rd = copy;
            let (header, _) = read_header(&set_rd)?;
            (set_rd.as_slice(), header)
        } else {
            (packet, header)
        };
        if let Some(code) = question_type(packet) {
            statistics.count_query_type(code);
        }
        // RD=0 is cache snooping: only for clients allowed to (refused below, after local zones,
        // which answer authoritatively whatever RD says).
        let may_snoop = action == AccessAction::AllowSnoop;
        // deny_non_local/refuse_non_local: local zones answer, nothing else does (no cache).
        let resolves = action.resolves();
        let view = ClientView::of(client, rule);
        // An allow_cookie client's query needs its cookie checked: never the wire fast path.
        let fast_path = if resolves
            && action != AccessAction::AllowCookie
            && (header.recursion_desired || may_snoop)
        {
            self.answer_plain_from_cache(packet, &policy, context.protocol)
        } else {
            CachedBytes::Unknown
        };
        let cache_checked = match fast_path {
            CachedBytes::Answer(bytes) => {
                statistics.count(|s| &s.resolutions);
                statistics.count(|s| &s.cache_hits);
                let response_code =
                    ResponseCode::from(0, bytes.get(3).map_or(0, |flags| flags & 0x0f));
                statistics.record_answer(response_code, started.elapsed());
                return Some(bytes);
            }
            CachedBytes::Miss => CacheChecked::Missed,
            CachedBytes::Unknown => CacheChecked::No,
        };
        let request = match parse_request(packet) {
            Ok(request) => request,
            Err(rejection) => return self.reject(rejection),
        };
        if let Some(response_code) = refused_question_type(request.query.query_type()) {
            statistics.record_answer(response_code, started.elapsed());
            let header = RequestHeader::of(&request.message);
            return echoed_error(header, response_code, Some(&request.query));
        }
        if let Some(response) = policy
            .local_zones
            .answer(packet, &request.query, context.protocol)
        {
            statistics.count(|s| &s.local_zone_answers);
            let response_code = response.get(3).map_or(ResponseCode::NoError, |flags| {
                ResponseCode::from(0, flags & 0x0f)
            });
            statistics.record_answer(response_code, started.elapsed());
            return Some(crate::server::local_zones::set_recursion_available(
                response,
            ));
        }
        let limit = size_limit(context.protocol, request.message.edns.as_ref());
        // RFC 7873 §5.2: the client's cookie, judged before any answer is made.
        let cookie = match policy.access.cookie_secret() {
            Some(secret) => cookies::check(
                cookies::request_cookie(&request.message),
                secret,
                client,
                unix_seconds(),
            ),
            None => CookieVerdict::Absent,
        };
        let over_udp = context.protocol == Protocol::Udp;
        if let Some(response) = cookies::gate(&request.message, &cookie, action, over_udp) {
            statistics.record_answer(response.metadata.response_code, started.elapsed());
            // The encoder sets TC only for what it cut; "retry over TCP" is set here.
            let retry_over_tcp = response.metadata.truncation;
            let mut bytes = encode_response(response, &request.message, limit)?;
            if let (true, Some(flags)) = (retry_over_tcp, bytes.get_mut(2)) {
                *flags |= 0x02;
            }
            return Some(bytes);
        }
        // The response policy (RPZ), before local zones as in Unbound's worker.
        let (rpz_passthru, policy_alias) =
            match policy
                .local_answers
                .policy()
                .before(&request.message, Some(client), over_udp)
            {
                BeforeResolution::Resolve { rpz_passthru } => (rpz_passthru, None),
                BeforeResolution::Alias(cname) => (false, LocalAlias::new(cname).map(Box::new)),
                BeforeResolution::Drop => {
                    statistics.count(|s| &s.dropped);
                    return None;
                }
                BeforeResolution::Answer(mut response) => {
                    statistics.record_answer(response.metadata.response_code, started.elapsed());
                    policy
                        .local_answers
                        .finish(&request.message, &mut response, false);
                    cookies::attach(&mut response, &cookie);
                    let retry_over_tcp = response.metadata.truncation;
                    let bytes = encode_response(response, &request.message, limit)?;
                    return Some(with_truncation(bytes, retry_over_tcp));
                }
            };
        // A policy CNAME is chased as a local alias is; the local zones are not asked.
        let mut alias = policy_alias;
        let local_outcome = match alias {
            None => policy.local_answers.answer_for(&request.message, &view),
            Some(_) => LocalOutcome::Resolve,
        };
        match local_outcome {
            LocalOutcome::Resolve => {}
            LocalOutcome::Alias(found) => alias = Some(found),
            LocalOutcome::Drop => {
                statistics.count(|s| &s.local_zone_answers);
                statistics.count(|s| &s.dropped);
                return None;
            }
            LocalOutcome::Answer(mut response) => {
                statistics.count(|s| &s.local_zone_answers);
                statistics.record_answer(response.metadata.response_code, started.elapsed());
                policy
                    .local_answers
                    .finish(&request.message, &mut response, false);
                cookies::attach(&mut response, &cookie);
                return encode_response(response, &request.message, limit);
            }
        }
        // Unbound's worker: downstream auth zones after the local zones, before the non-local
        // and RD=0 rules; RA only for clients that may recurse and asked to.
        if alias.is_none() {
            if let Some(mut response) = policy
                .auth_zones
                .as_ref()
                .and_then(|zones| zones.answer(&request.message))
            {
                statistics.count(|s| &s.local_zone_answers);
                statistics.record_answer(response.metadata.response_code, started.elapsed());
                policy
                    .local_answers
                    .finish(&request.message, &mut response, false);
                cookies::attach(&mut response, &cookie);
                let bytes = encode_response(response, &request.message, limit)?;
                return Some(if request.message.metadata.recursion_desired && resolves {
                    bytes
                } else {
                    crate::server::local_zones::clear_recursion_available(bytes)
                });
            }
        }
        if action == AccessAction::DenyNonLocal {
            statistics.count(|s| &s.refused_by_access_control);
            statistics.count(|s| &s.dropped);
            return None;
        }
        if action == AccessAction::RefuseNonLocal {
            statistics.count(|s| &s.refused_by_access_control);
            statistics.record_answer(ResponseCode::Refused, started.elapsed());
            let response = refused_prohibited(&request.message);
            return encode_response(response, &request.message, limit);
        }
        if let Some(alias) = alias {
            return self
                .answer_alias(
                    &request,
                    &alias,
                    &policy,
                    may_snoop,
                    &cookie,
                    limit,
                    started,
                    context.client,
                    (over_udp, rpz_passthru),
                )
                .await;
        }
        if !request.message.metadata.recursion_desired && !may_snoop {
            return self.refuse_without_recursion(&request, context.protocol, started);
        }
        // A snooper's RD=0 query takes the path of any other (a place in the request list, the
        // client's deadline): `InFlight` answers it from the cache, validating a cached
        // referral if need be, and never resolves it.
        let mut response = self
            .resolve_for_client(&request.message, cache_checked, context.client, started)
            .await?;
        // The response policy's look at the answer (Unbound respip), stale answers alike.
        let after = policy.local_answers.policy().after(
            &request.message,
            &mut response,
            Some(client),
            over_udp,
            rpz_passthru,
        );
        if after == AfterResolution::Drop {
            statistics.count(|s| &s.dropped);
            return None;
        }
        let retry_over_tcp = after == AfterResolution::SendTruncated;
        policy
            .local_answers
            .finish(&request.message, &mut response, true);
        cookies::attach(&mut response, &cookie);
        // A plain query (the wire path read it) with a positive answer: written without hickory's
        // encoder, or left to it.
        if cache_checked == CacheChecked::Missed && !retry_over_tcp {
            if let Some(bytes) = PlainQuery::parse(packet)
                .and_then(|query| write_walk_answer(&query, &response, limit))
            {
                return Some(bytes);
            }
        }
        let bytes = with_truncation(
            encode_response(response, &request.message, limit)?,
            retry_over_tcp,
        );
        if bytes.get(2).is_some_and(|flags| flags & 0x02 != 0) {
            statistics.count(|s| &s.truncated);
        }
        Some(bytes)
    }

    /// A resolution for a client: joined or led, bounded by the client's deadline and the
    /// discard timeout (`None`: send nothing), counted.
    async fn resolve_for_client(
        &self,
        request: &Message,
        cache_checked: CacheChecked,
        client: std::net::SocketAddr,
        started: Instant,
    ) -> Option<Message> {
        let statistics = &self.statistics;
        let question = request
            .queries
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        // Past the deadline the resolution is not cancelled: dropping its future hands the work
        // to a task of its own (`leader_work`), so identical requests still get its answer.
        let resolving = self.in_flight.resolve(request, cache_checked);
        let resolving = async {
            tokio::pin!(resolving);
            // Refreshes queued mid-walk (Unbound prefetch-key: the keys of a zone a referral
            // showed signed) start now, alongside the walk, not after the answer.
            loop {
                tokio::select! {
                    response = &mut resolving => break response,
                    () = self.in_flight.resolver().refresh_queued() => self.start_refreshes(),
                }
            }
        };
        let resolution = tokio::time::timeout(CLIENT_ANSWER_DEADLINE, resolving).await;
        let response = match resolution {
            Err(_elapsed) => {
                tracing::debug!(client = %client, question = %question, "SERVFAIL at the client's deadline");
                server_failure(request)
            }
            Ok(Resolution::Resolved {
                response,
                from_cache,
            }) => {
                statistics.count(|s| &s.resolutions);
                statistics.count(|s| {
                    if from_cache {
                        &s.cache_hits
                    } else {
                        &s.cache_misses
                    }
                });
                response
            }
            Ok(Resolution::Joined(response)) => {
                statistics.count(|s| &s.joined_in_flight);
                response
            }
            Ok(Resolution::Overloaded) => {
                statistics.count(|s| &s.dropped_overloaded);
                return None;
            }
            Ok(Resolution::Jostled) => {
                tracing::debug!(client = %client, question = %question, "dropped: jostled out by a newer query");
                statistics.count(|s| &s.dropped_jostled);
                return None;
            }
        };
        // Unbound's discard-timeout: the client has given up or asked again by now.
        if !self.limits.still_wanted(started.elapsed()) {
            tracing::debug!(client = %client, question = %question, "dropped: answer later than the discard timeout");
            statistics.count(|s| &s.dropped_late);
            return None;
        }
        statistics.record_answer(response.metadata.response_code, started.elapsed());
        if crate::refresh::is_stale(&response) {
            statistics.count(|s| &s.stale_answers);
        }
        tracing::debug!(
            client = %client,
            question = %question,
            rcode = %response.metadata.response_code,
            elapsed_us = started.elapsed().as_micros(),
            "answered"
        );
        Some(response)
    }

    /// A redirect zone's CNAME chased (Unbound's local alias): the target is answered from a
    /// downstream auth zone, or as any query is (`InFlight`: a resolution, or for RD=0 from a
    /// snooper the cache's answer or referral), then the CNAME is put in front. RD=0 from others is refused as any other RD=0 query.
    #[allow(clippy::too_many_arguments)]
    async fn answer_alias(
        &self,
        request: &ClientRequest,
        alias: &LocalAlias,
        policy: &Policy,
        may_snoop: bool,
        cookie: &CookieVerdict,
        limit: usize,
        started: Instant,
        client: std::net::SocketAddr,
        (over_udp, rpz_passthru): (bool, bool),
    ) -> Option<Vec<u8>> {
        let statistics = &self.statistics;
        let message = &request.message;
        let recursion_desired = message.metadata.recursion_desired;
        if !recursion_desired && !may_snoop {
            statistics.count(|s| &s.refused_by_access_control);
            statistics.record_answer(ResponseCode::Refused, started.elapsed());
            let response = crate::response::refused_not_authoritative(message);
            return encode_response(response, message, limit);
        }
        let target_request = alias.target_request(message);
        let local = policy
            .auth_zones
            .as_ref()
            .and_then(|zones| zones.answer(&target_request));
        let (target, resolved) = match local {
            Some(response) => (response, false),
            None => (
                self.resolve_for_client(&target_request, CacheChecked::No, client, started)
                    .await?,
                true,
            ),
        };
        let mut response = alias.response(message, target);
        statistics.count(|s| &s.local_zone_answers);
        if !resolved {
            statistics.record_answer(response.metadata.response_code, started.elapsed());
        }
        // The response policy's look at the chased answer, as at any other.
        let after = policy.local_answers.policy().after(
            message,
            &mut response,
            Some(client.ip()),
            over_udp,
            rpz_passthru,
        );
        if after == AfterResolution::Drop {
            statistics.count(|s| &s.dropped);
            return None;
        }
        policy
            .local_answers
            .finish(message, &mut response, resolved);
        cookies::attach(&mut response, cookie);
        Some(with_truncation(
            encode_response(response, message, limit)?,
            after == AfterResolution::SendTruncated,
        ))
    }

    /// RD=0 (RFC 1035 §4.1.1: recursion not desired), which from a resolver only reads its
    /// cache, from a client that may not snoop: REFUSED (Unbound's `allow_snoop`; Unbound and
    /// Knot Resolver refuse it too, Unbound logging "refused nonrec (cache snoop) query", with
    /// EDE 20 "Not Authoritative" as Unbound's). A snooper gets the cached answer with its
    /// remaining TTL, or a referral to the closest cached delegation (Unbound), validated
    /// first when the validator has not seen it, or, when nothing usable is cached, NOERROR
    /// with empty sections (`Resolver::answer_without_recursion`).
    fn refuse_without_recursion(
        &self,
        request: &ClientRequest,
        protocol: Protocol,
        started: Instant,
    ) -> Option<Vec<u8>> {
        let statistics = &self.statistics;
        let edns = request.message.edns.as_ref();
        statistics.count(|s| &s.refused_by_access_control);
        statistics.record_answer(ResponseCode::Refused, started.elapsed());
        let response = crate::response::refused_not_authoritative(&request.message);
        encode_response(response, &request.message, size_limit(protocol, edns))
    }

    /// The wire fast path (`plain_query`, `wire_answer`): a plain query the cache answers, written
    /// without building messages. Only without YAML zones, for names no local zone or downstream auth zone answers and
    /// when no response rule (private addresses) applies;
    /// `None` means the message path answers (it is the reference both must agree with).
    fn answer_plain_from_cache(
        &self,
        packet: &[u8],
        policy: &Policy,
        protocol: Protocol,
    ) -> CachedBytes {
        if policy.local_zones.zone_count() != 0 {
            return CachedBytes::Unknown;
        }
        let Some(query) = PlainQuery::parse(packet) else {
            return CachedBytes::Unknown;
        };
        if policy
            .auth_zones
            .as_ref()
            .is_some_and(|zones| zones.answers_wire(query.name(), query.record_type()))
        {
            return CachedBytes::Unknown;
        }
        if !policy.local_answers.leaves_to_cache(&query) {
            return CachedBytes::Unknown;
        }
        self.in_flight.resolver().answer_from_cache_bytes(
            &query,
            query.size_limit(protocol),
            policy.local_answers.rotates_rrsets(),
        )
    }

    /// Serve-expired and prefetch refreshes, each in a task of its own; the resolver's queue
    /// keeps one per question and bounds them.
    fn start_refreshes(&self) {
        let resolver = self.in_flight.resolver();
        for refresh in resolver.take_refreshes() {
            self.statistics.count(|s| &s.refreshes);
            let resolver = resolver.clone();
            tokio::spawn(async move { resolver.refresh(refresh).await });
        }
    }

    fn reject(&self, rejection: Rejection) -> Option<Vec<u8>> {
        let statistics = &self.statistics;
        match rejection {
            Rejection::Drop => statistics.count(|s| &s.dropped),
            Rejection::FormatError(_) | Rejection::BadVersion(_) => {
                statistics.count(|s| &s.format_errors)
            }
            Rejection::NotImplemented(_) => statistics.count(|s| &s.not_implemented),
        }
        rejection_response(&rejection)
    }
}

/// TC=1 set on an encoded response when asked (a policy's "retry over TCP").
fn with_truncation(mut bytes: Vec<u8>, truncated: bool) -> Vec<u8> {
    if let (true, Some(flags)) = (truncated, bytes.get_mut(2)) {
        *flags |= 0x02;
    }
    bytes
}

/// Wall-clock seconds (RFC 9018 §4.3: cookie timestamps are Unix time, so servers sharing a
/// secret agree on them), in RFC 1982 serial arithmetic's 32 bits.
fn unix_seconds() -> u32 {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    // Truncation is the point: serial arithmetic wraps.
    since_epoch.as_secs() as u32
}

/// REFUSED for a client the access list refuses (Unbound `deny_refuse`): the question echoed and
/// EDE 18 "Prohibited" when the request parses and speaks EDNS; a header-only REFUSED otherwise.
fn refused_by_access_control(
    packet: &[u8],
    header: RequestHeader,
    protocol: Protocol,
) -> Option<Vec<u8>> {
    match parse_request(packet) {
        Ok(request) => {
            let limit = size_limit(protocol, request.message.edns.as_ref());
            encode_response(
                refused_prohibited(&request.message),
                &request.message,
                limit,
            )
        }
        Err(_) => error_response(header, ResponseCode::Refused, None, None),
    }
}

impl<R: Resolve> Handler for ResolverHandler<R> {
    async fn handle(&self, request: &[u8], context: RequestContext) -> Option<Vec<u8>> {
        let response = self.answer_with_keepalive(request, context, None).await;
        self.start_refreshes_waiting();
        response
    }

    /// As `handle`, with the keepalive the connection remembers (RFC 7828, as Unbound).
    async fn handle_tcp(
        &self,
        request: &[u8],
        context: RequestContext,
        connection: &TcpConnection,
        responses: &tokio::sync::mpsc::Sender<Vec<u8>>,
    ) {
        let response = self
            .answer_with_keepalive(request, context, Some(connection))
            .await;
        self.start_refreshes_waiting();
        if let Some(response) = response {
            // An error only means the writer is gone; the connection is closing anyway.
            let _ = responses.send(response).await;
        }
    }

    fn after_send(&self) {
        self.in_flight.resolver().after_answer();
        self.start_refreshes();
    }
}
