//! Background refreshes: stale answers (RFC 8767 serve-expired) and prefetch (Unbound
//! `prefetch`); the resolver queues questions here, whoever hosts it runs them, one per question.
//!
//! Flow: `resolve` → fresh hit in its last 10 % (prefetch) | expired entry served stale (EDE 3)
//! → `queue_refresh` → the daemon (`server/handler.rs`) or the replay runner `take_refreshes`
//! → `refresh`: a walk past the cache, its reply stored as any walk's (the entry renewed).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::opt::EdnsOption;
use hickory_proto::rr::{Name, Record, RecordType};

use crate::cache::Freshness;
use crate::iterate::budget::Budget;
use crate::iterate::states::WalkResult;
use crate::limits::{MAX_BACKGROUND_REFRESHES, MAX_CNAME_CHAIN};
use crate::resolver::Resolver;
use crate::response::Resolution;

/// RFC 8914 §2: the Extended DNS Error option code; §4.4: INFO-CODE 3, Stale Answer.
const EDNS_OPTION_EXTENDED_ERROR: u16 = 15;
const EXTENDED_ERROR_STALE_ANSWER: u16 = 3;

/// One question to refresh in the background.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Refresh {
    pub name: Name,
    pub record_type: RecordType,
    /// Not a question: the chain of trust of zone `name` (Unbound `prefetch-key`).
    pub keys: bool,
}

/// Questions waiting to be refreshed and those being refreshed; a question is in at most one
/// of them, and both together hold at most `MAX_BACKGROUND_REFRESHES`.
#[derive(Default)]
pub(crate) struct RefreshQueue {
    state: Mutex<QueueState>,
    /// Whether `waiting` may hold something: one load per answered query, no lock.
    any_waiting: AtomicBool,
    /// Woken when something is queued: a host may start it before its client's answer is
    /// done (a key prefetch queued mid-walk is worth running alongside the walk).
    queued: tokio::sync::Notify,
}

#[derive(Default)]
struct QueueState {
    waiting: Vec<Refresh>,
    running: HashSet<Refresh>,
}

impl RefreshQueue {
    /// Queues `refresh` unless it is already queued or running, or the queue is full.
    fn push(&self, refresh: Refresh) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        if state.waiting.len() + state.running.len() >= MAX_BACKGROUND_REFRESHES
            || state.running.contains(&refresh)
            || state.waiting.contains(&refresh)
        {
            return false;
        }
        state.waiting.push(refresh);
        self.any_waiting.store(true, Ordering::Release);
        self.queued.notify_one();
        true
    }

    fn any_waiting(&self) -> bool {
        self.any_waiting.load(Ordering::Acquire)
    }

    /// The waiting questions, now counted as running until `finished`.
    fn take(&self) -> Vec<Refresh> {
        let Ok(mut state) = self.state.lock() else {
            return Vec::new();
        };
        self.any_waiting.store(false, Ordering::Release);
        let taken = std::mem::take(&mut state.waiting);
        state.running.extend(taken.iter().cloned());
        taken
    }

    fn finished(&self, refresh: &Refresh) {
        if let Ok(mut state) = self.state.lock() {
            state.running.remove(refresh);
        }
    }
}

/// Takes a running refresh off the queue when dropped, so a cancelled one frees its place.
struct Running<'a> {
    queue: &'a RefreshQueue,
    refresh: &'a Refresh,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.queue.finished(self.refresh);
    }
}

impl Resolver {
    /// Queues a background refresh of (`name`, `record_type`).
    pub(crate) fn queue_refresh(&self, name: &Name, record_type: RecordType) {
        let queued = self.refreshes.push(Refresh {
            name: name.clone(),
            record_type,
            keys: false,
        });
        tracing::debug!(%name, %record_type, queued, "background refresh");
    }

    /// Unbound `prefetch-key`: a referral showed `zone`'s DS, so its DNSKEY set will be needed
    /// to validate what the zone answers; it is fetched and validated in the background while
    /// the walk asks the zone's servers, instead of after their answer.
    pub(crate) fn queue_key_prefetch(&self, zone: &Name) {
        let queued = self.refreshes.push(Refresh {
            name: zone.clone(),
            record_type: RecordType::DNSKEY,
            keys: true,
        });
        tracing::debug!(%zone, queued, "key prefetch");
    }

    /// Prefetch (Unbound `prefetch`): a question whose cached answer is in the last 10 % of its
    /// TTL is refreshed in the background; the client is answered from the cache meanwhile.
    pub(crate) fn prefetch_if_due(&self, name: &Name, record_type: RecordType) {
        if self.config.prefetch && self.cache.prefetch_due(name, record_type, self.clock.now()) {
            self.queue_refresh(name, record_type);
        }
    }

    /// Whether refreshes wait to be taken: the host checks after every answer, cache hits
    /// included, so a prefetch starts while its entry is still fresh.
    pub fn refreshes_waiting(&self) -> bool {
        self.refreshes.any_waiting()
    }

    /// Completes when a refresh has been queued (at once if one was since the last wait).
    pub async fn refresh_queued(&self) {
        self.refreshes.queued.notified().await;
    }

    /// The refreshes queued since the last call, for the host to run with `refresh`.
    pub fn take_refreshes(&self) -> Vec<Refresh> {
        self.refreshes.take()
    }

    /// Resolves `refresh` past the cache and stores the reply (a prefetch renews its entry, a
    /// stale one is replaced). A failure leaves stale data in place; with
    /// `serve-expired-ttl-reset` its stale window starts again.
    pub async fn refresh(&self, refresh: Refresh) {
        let _running = Running {
            queue: &self.refreshes,
            refresh: &refresh,
        };
        let budget = Budget::with_sends(self.clock.now(), self.config.max_upstream_queries);
        if refresh.keys {
            // The chain of trust lands in the key cache, where the validator finds it.
            self.zone_keys(&refresh.name, &budget, 0, &[]).await;
            self.validation_counts
                .add_signature_checks(budget.signature_checks.used());
            return;
        }
        if self
            .failures
            .has_failed(&refresh.name, refresh.record_type, self.clock.now())
        {
            // RFC 9520 §3.2 (Unbound's NORR_TTL): the last refresh failed moments ago; the
            // stale answer stands until the failure is forgotten.
            tracing::debug!(name = %refresh.name, record_type = %refresh.record_type, "refresh failed recently");
            return;
        }
        // Unbound's prefetch leeway: what the cache holds that expires before the refreshed
        // answer would (and a minute more) counts as expired for this walk, delegations
        // included, so a zone moved meanwhile is followed to its new servers.
        let leeway =
            self.cache
                .prefetch_leeway(&refresh.name, refresh.record_type, self.clock.now());
        let (result, verdict, _) = self
            .walk_validated(
                refresh.name.clone(),
                refresh.record_type,
                &budget,
                0,
                Vec::new(),
                leeway,
            )
            .await;
        let target = match &result {
            WalkResult::CName { target, .. } if !verdict.security.is_withheld() => {
                Some(target.clone())
            }
            _ => None,
        };
        if let Some(target) = target {
            self.refresh_chain(&refresh, target, &budget, leeway).await;
        }
        self.validation_counts
            .add_signature_checks(budget.signature_checks.used());
        self.store_deferred();
        let reason = match result {
            WalkResult::ServFail(reason) => Some(reason),
            // Bogus data never replaces the stale answer (`walk_validated`); it fails the
            // refresh like a SERVFAIL (Unbound serve_expired_val_bogus).
            _ if verdict.security.is_withheld() => Some("the refreshed answer is bogus"),
            _ => None,
        };
        if let Some(reason) = reason {
            tracing::debug!(name = %refresh.name, record_type = %refresh.record_type, reason, "refresh failed");
            let now = self.clock.now();
            self.failures
                .insert(&refresh.name, refresh.record_type, now);
            if self.config.serve_expired.reset_after_failure {
                self.cache
                    .restart_stale_window(&refresh.name, refresh.record_type, now);
            }
        }
    }

    /// A refreshed CNAME's chain, each target past the cache too (Unbound's prefetch asks the
    /// whole chain with `no_cache_lookup`), so the answer a client reads next is renewed
    /// throughout: a target's negative answer brings its zone's SOA anew. At most
    /// `MAX_CNAME_CHAIN` links, each name once, all with the refresh's `leeway` (one Unbound
    /// query state follows the chain).
    async fn refresh_chain(
        &self,
        refresh: &Refresh,
        first: Name,
        budget: &Budget,
        leeway: Duration,
    ) {
        if !crate::lookup::follows_cached_alias(refresh.record_type) {
            return;
        }
        let mut asked = vec![refresh.name.clone()];
        let mut next = Some(first);
        for _ in 0..MAX_CNAME_CHAIN {
            let Some(target) = next.take() else {
                return;
            };
            if asked.contains(&target) {
                return;
            }
            asked.push(target.clone());
            let (result, verdict, _) = self
                .walk_validated(target, refresh.record_type, budget, 0, Vec::new(), leeway)
                .await;
            if let WalkResult::CName { target, .. } = result {
                if !verdict.security.is_withheld() {
                    next = Some(target);
                }
            }
        }
    }

    /// RFC 8767: the answer with expired data when serve-expired is on and the cache has only
    /// that (`None` when it holds a fresh answer or nothing, or the data is bogus). Stale records
    /// carry `serve-expired-reply-ttl`.
    pub(crate) fn stale_resolution(
        &self,
        name: &Name,
        record_type: RecordType,
        dnssec_ok: bool,
    ) -> Option<Resolution> {
        if !self.config.serve_expired.enabled {
            return None;
        }
        let mut resolution =
            self.lookup_cached_with(name, record_type, dnssec_ok, Freshness::AllowStale)?;
        if resolution.verdict.security.is_withheld()
            || resolution.response_code == ResponseCode::ServFail
        {
            return None;
        }
        let reply_ttl = self.config.serve_expired.reply_ttl;
        let stale_ttl = |record: &mut Record| {
            // Expired links read 0; fresh ones in the chain keep their own countdown.
            if record.ttl == 0 {
                record.ttl = reply_ttl;
            }
        };
        resolution.answers.iter_mut().for_each(stale_ttl);
        resolution.authorities.iter_mut().for_each(stale_ttl);
        Some(resolution)
    }

    /// Resolves (`name`, `record_type`) with serve-expired on (RFC 8767 §5): a fresh cache hit
    /// as usual; expired data at once with a background refresh when the client timeout is 0;
    /// otherwise the resolution is given that long, and stale data answers when it fails or is
    /// slower (the refresh then starts again in the background). The bool says stale.
    pub(crate) async fn resolve_serving_expired(
        &self,
        name: &Name,
        record_type: RecordType,
        dnssec_ok: bool,
        budget: &Budget,
    ) -> (Resolution, bool) {
        if let Some(fresh) = self.lookup_cached(name, record_type, dnssec_ok) {
            return (fresh, false);
        }
        if self
            .stale_resolution(name, record_type, dnssec_ok)
            .is_none()
        {
            let resolution = self
                .lookup(name.clone(), record_type, budget, 0, Vec::new())
                .await;
            return (resolution, false);
        }
        let client_timeout = self.config.serve_expired.client_timeout_milliseconds;
        if client_timeout == 0 {
            return self.answer_stale(name, record_type, dnssec_ok);
        }
        let waited = Duration::from_millis(u64::from(client_timeout));
        let mut lookup =
            std::pin::pin!(self.lookup(name.clone(), record_type, budget, 0, Vec::new()));
        // The resolver's clock times the client, so a replay in virtual time sees the timer
        // fire when its scenario lets time pass.
        let timer = self.clock.sleep(waited);
        let resolved = tokio::select! {
            biased;
            resolution = &mut lookup => resolution,
            () = timer => {
                // Slower than the client may wait: stale data now, the refresh in the
                // background. With none left (its window closed meanwhile) the client waits
                // for the resolution, as Unbound's mesh does.
                if self.stale_resolution(name, record_type, dnssec_ok).is_some() {
                    return self.answer_stale(name, record_type, dnssec_ok);
                }
                return (lookup.await, false);
            }
        };
        if !failed(&resolved) {
            return (resolved, false);
        }
        if resolved.verdict.security.is_withheld() {
            // Bogus data is not cached over the stale answer (`walk_validated`), so the failure
            // is remembered instead: the next queries get the stale answer at once, without a
            // walk, for the failure cache's few seconds (Unbound's NORR_TTL).
            self.failures.insert(name, record_type, self.clock.now());
        }
        // Served stale until the next query tries again (RFC 8767 §4).
        if self.config.serve_expired.reset_after_failure {
            self.cache
                .restart_stale_window(name, record_type, self.clock.now());
        }
        match self.stale_resolution(name, record_type, dnssec_ok) {
            Some(stale) => (stale, true),
            None => (resolved, false),
        }
    }

    /// Expired data at once, its refresh queued for the background.
    pub(crate) fn answer_stale(
        &self,
        name: &Name,
        record_type: RecordType,
        dnssec_ok: bool,
    ) -> (Resolution, bool) {
        self.queue_refresh(name, record_type);
        match self.stale_resolution(name, record_type, dnssec_ok) {
            Some(stale) => (stale, true),
            None => (Resolution::server_failure(), false),
        }
    }
}

/// A resolution that did not give the client data: SERVFAIL, or bogus data withheld.
fn failed(resolution: &Resolution) -> bool {
    resolution.response_code == ResponseCode::ServFail || resolution.verdict.security.is_withheld()
}

/// Whether `response` carries EDE 3 "Stale Answer" (`mark_stale`); cheap without options.
pub(crate) fn is_stale(response: &Message) -> bool {
    response.edns.as_ref().is_some_and(|edns| {
        edns.options().options.iter().any(|(_, option)| {
            matches!(option, EdnsOption::Unknown(EDNS_OPTION_EXTENDED_ERROR, data)
                if data.get(..2) == Some(&EXTENDED_ERROR_STALE_ANSWER.to_be_bytes()[..]))
        })
    })
}

/// RFC 8914 §4.4: marks `response` as a stale answer (EDE 3), when the client speaks EDNS.
pub(crate) fn mark_stale(response: &mut Message) {
    if let Some(edns) = response.edns.as_mut() {
        edns.options_mut().insert(EdnsOption::Unknown(
            EDNS_OPTION_EXTENDED_ERROR,
            EXTENDED_ERROR_STALE_ANSWER.to_be_bytes().to_vec(),
        ));
    }
}
