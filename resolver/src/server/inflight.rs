//! Identical in-flight questions share one resolution; the number of resolutions is bounded by the
//! request list (`request_list.rs`, Unbound's jostling). Never parses or encodes wire bytes.
//!
//! A query without recursion (RD=0, a snooper's) is keyed apart and answered by the engine's
//! `answer_without_recursion` (the cache, a referral it may validate), bounded the same way.
//!
//! Flow: key → join a pending resolution (wait for its answer) | take a place in the request
//! list and run one in this client's future (moved to a task if the client goes away, so the
//! others still get the answer; see `leader_work`), which may jostle an old one out (it stops,
//! its clients get nothing) | no place: overloaded.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RecordType};
use tokio::sync::{broadcast, oneshot};

use crate::request_list::{RequestLimits, RequestList, Ticket};

use crate::server::leader_work::LeaderWork;
use crate::server::resolve::Resolve;
use crate::server::stats::count_upstream_exchanges;

/// What makes two client questions the same resolution: the name (lowercased, RFC 4343), type,
/// class and the bits that change the answer (RD, CD, DO).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuestionKey {
    name: Name,
    record_type: RecordType,
    class: DNSClass,
    recursion_desired: bool,
    checking_disabled: bool,
    dnssec_ok: bool,
}

impl QuestionKey {
    /// `None` when the request has no question (the handler never passes one).
    pub fn of(request: &Message) -> Option<QuestionKey> {
        let query = request.queries.first()?;
        Some(QuestionKey {
            name: query.name().to_lowercase(),
            record_type: query.query_type(),
            class: query.query_class(),
            recursion_desired: request.metadata.recursion_desired,
            checking_disabled: request.metadata.checking_disabled,
            dnssec_ok: request
                .edns
                .as_ref()
                .is_some_and(|edns| edns.flags().dnssec_ok),
        })
    }
}

/// Consistent with `Eq` (names compare without case, and the key's name is lower-cased when
/// made): each label is hashed as one write, where hickory's `Name` hash lower-cases and
/// writes byte by byte (three hashes per cache miss made that 2.4 % of a cold walk).
impl Hash for QuestionKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for label in self.name.iter() {
            state.write_usize(label.len());
            state.write(label);
        }
        self.record_type.hash(state);
        self.class.hash(state);
        self.recursion_desired.hash(state);
        self.checking_disabled.hash(state);
        self.dnssec_ok.hash(state);
    }
}

/// Whether the caller already asked the cache about the question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheChecked {
    /// Not asked: `resolve` looks in the cache before anything else.
    No,
    /// The wire fast path found the cache cannot answer: looking again would miss again.
    Missed,
}

/// How a question was answered.
#[derive(Debug)]
pub enum Resolution {
    /// This request started the resolution; `from_cache` when it needed no upstream query.
    Resolved { response: Message, from_cache: bool },
    /// Another identical request was already resolving; this one waited for its answer.
    Joined(Message),
    /// Every place of the request list is taken: the caller drops the query (as Unbound does).
    Overloaded,
    /// The resolution was jostled out by a newer query (Unbound `mesh_make_new_space`): it
    /// stopped, and the caller drops the query as Unbound does.
    Jostled,
}

/// What the waiters on a resolution get.
#[derive(Clone)]
enum Outcome {
    Answer(Arc<Message>),
    Jostled,
}

/// One resolution in flight: how waiters subscribe, its place, how to stop it.
struct PendingResolution {
    sender: broadcast::Sender<Outcome>,
    ticket: Ticket,
    /// Dropping it stops the resolution (its leader sees the channel close).
    stop: oneshot::Sender<()>,
}

/// Keyed by clients' questions: ahash with per-process random keys (flooding-resistant like
/// SipHash, at a fraction of its cost per key).
type Pending = HashMap<QuestionKey, PendingResolution, ahash::RandomState>;

/// The pending map and the request list, under one lock. The map never outgrows the list: an
/// entry is inserted only with a place, and removed when that resolution ends or is jostled.
struct Table {
    pending: Pending,
    list: RequestList<QuestionKey>,
}

pub struct InFlight<R> {
    resolver: Arc<R>,
    table: Arc<Mutex<Table>>,
    /// The request list's clock: jostle ages are measured from here.
    origin: Instant,
}

impl<R: Resolve> InFlight<R> {
    pub fn new(resolver: Arc<R>, limits: &RequestLimits) -> InFlight<R> {
        InFlight {
            resolver,
            table: Arc::new(Mutex::new(Table {
                pending: HashMap::with_hasher(ahash::RandomState::new()),
                list: RequestList::new(limits),
            })),
            origin: Instant::now(),
        }
    }

    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    pub fn resolver(&self) -> &Arc<R> {
        &self.resolver
    }

    /// Requests waiting on another request's resolution right now.
    pub fn waiting(&self) -> usize {
        lock(&self.table)
            .pending
            .values()
            .map(|resolution| resolution.sender.receiver_count())
            .sum()
    }

    /// Resolutions running now.
    pub fn running(&self) -> usize {
        lock(&self.table).pending.len()
    }

    /// Resolves `request`, sharing the work with identical requests in flight.
    pub async fn resolve(&self, request: &Message, cache_checked: CacheChecked) -> Resolution {
        // A cache hit is answered at once: no in-flight entry, channel or task (those cost more
        // than the answer itself; Unbound answers from its cache before its mesh too).
        if cache_checked == CacheChecked::No {
            if let Some(response) = self.resolver.resolve_from_cache(request) {
                return Resolution::Resolved {
                    response,
                    from_cache: true,
                };
            }
        }
        let Some(key) = QuestionKey::of(request) else {
            return Resolution::Overloaded;
        };
        let (ticket, mut stopped) = match self.join_or_claim(&key) {
            Claim::Join(mut receiver) => {
                return match receiver.recv().await {
                    Ok(Outcome::Answer(response)) => {
                        Resolution::Joined(Arc::unwrap_or_clone(response))
                    }
                    Ok(Outcome::Jostled) => Resolution::Jostled,
                    Err(_) => Resolution::Joined(server_failure(request)),
                };
            }
            Claim::Overloaded => return Resolution::Overloaded,
            Claim::Lead(ticket, stopped) => (ticket, stopped),
        };
        let resolver = self.resolver.clone();
        let entry = PendingEntry {
            table: self.table.clone(),
            key: Some(key),
            ticket,
        };
        let owned_request = request.clone();
        // Driven by this client's future: no task per resolution. If this client goes away
        // first, `LeaderWork` moves the rest to a task so the waiters still get the answer; a
        // panic ends it with `None`, and the entry's drop closes the waiters' channel (SERVFAIL).
        // Jostled out, the resolution stops where it is (`stopped` closes).
        let work = LeaderWork::new(async move {
            // RD=0 (a snooping client; the key tells it apart): the cache's answer or its
            // referral, validated if need be, bounded like any resolution by this place.
            let resolving = count_upstream_exchanges(async {
                if owned_request.metadata.recursion_desired {
                    resolver.resolve(&owned_request).await
                } else {
                    resolver.answer_without_recursion(&owned_request).await
                }
            });
            let (response, exchanges) = tokio::select! {
                biased;
                _ = &mut stopped => return None,
                done = resolving => done,
            };
            let response = Arc::new(response);
            if let Some(sender) = entry.finish() {
                // No receivers is fine: nobody else asked.
                let _ = sender.send(Outcome::Answer(response.clone()));
            }
            Some((response, exchanges))
        });
        match work.await {
            Some(Some((response, exchanges))) => Resolution::Resolved {
                response: Arc::unwrap_or_clone(response),
                from_cache: exchanges == 0,
            },
            Some(None) => Resolution::Jostled,
            None => Resolution::Resolved {
                response: server_failure(request),
                from_cache: false,
            },
        }
    }

    /// Under the lock: subscribe to a pending resolution, or take a place and register one
    /// (stopping the resolution it jostles out, whose waiters learn it).
    fn join_or_claim(&self, key: &QuestionKey) -> Claim {
        let now = self.now();
        let mut table = lock(&self.table);
        let Table { pending, list } = &mut *table;
        // One hash for the lookup and the insert.
        let vacant = match pending.entry(key.clone()) {
            Entry::Occupied(occupied) => {
                let resolution = occupied.get();
                list.joined(resolution.ticket, now);
                return Claim::Join(resolution.sender.subscribe());
            }
            Entry::Vacant(vacant) => vacant,
        };
        let Ok((ticket, jostled)) = list.admit(key.clone(), now) else {
            return Claim::Overloaded;
        };
        // Capacity 1: exactly one message is ever sent on it.
        let (sender, _) = broadcast::channel(1);
        let (stop, stopped) = oneshot::channel();
        vacant.insert(PendingResolution {
            sender,
            ticket,
            stop,
        });
        if let Some(jostled) = jostled {
            if let Some(resolution) = pending.remove(&jostled) {
                tracing::debug!(question = ?jostled, "jostled out to make room for a new query");
                let _ = resolution.sender.send(Outcome::Jostled);
                drop(resolution.stop);
            }
        }
        Claim::Lead(ticket, stopped)
    }
}

enum Claim {
    Join(broadcast::Receiver<Outcome>),
    Lead(Ticket, oneshot::Receiver<()>),
    Overloaded,
}

/// A pending-map entry owned by its resolution (wherever it runs).
struct PendingEntry {
    table: Arc<Mutex<Table>>,
    key: Option<QuestionKey>,
    ticket: Ticket,
}

impl PendingEntry {
    /// Takes the entry out of the map and frees its place; waiters subscribed until now will
    /// get the answer. `None` when it was jostled out meanwhile.
    fn finish(mut self) -> Option<broadcast::Sender<Outcome>> {
        let key = self.key.take()?;
        remove_own(&mut lock(&self.table), &key, self.ticket).map(|resolution| resolution.sender)
    }
}

impl Drop for PendingEntry {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            remove_own(&mut lock(&self.table), &key, self.ticket);
        }
    }
}

/// Frees `ticket`'s place and removes the map entry for `key` if it is still this resolution's
/// (after a jostle, a newer resolution of the same question may hold the key).
fn remove_own(table: &mut Table, key: &QuestionKey, ticket: Ticket) -> Option<PendingResolution> {
    table.list.finish(ticket);
    match table.pending.entry(key.clone()) {
        Entry::Occupied(occupied) if occupied.get().ticket == ticket => Some(occupied.remove()),
        _ => None,
    }
}

/// A poisoned lock only means another task panicked mid-update of a plain map; the map is
/// still consistent (insert and remove are single calls), so keep serving.
fn lock(table: &Mutex<Table>) -> MutexGuard<'_, Table> {
    table
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// SERVFAIL for a resolution that ended without an answer (it panicked).
pub fn server_failure(request: &Message) -> Message {
    let mut response = Message::new(
        request.metadata.id,
        hickory_proto::op::MessageType::Response,
        request.metadata.op_code,
    );
    response.metadata.response_code = ResponseCode::ServFail;
    response.queries = request.queries.clone();
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{MessageType, OpCode, Query};
    use std::collections::hash_map::RandomState;
    use std::hash::BuildHasher;

    fn key(name: &str, record_type: RecordType) -> QuestionKey {
        let mut request = Message::new(1, MessageType::Query, OpCode::Query);
        request
            .queries
            .push(Query::query(Name::from_ascii(name).unwrap(), record_type));
        QuestionKey::of(&request).unwrap()
    }

    #[test]
    fn keys_equal_without_case_hash_alike_and_types_keep_them_apart() {
        let hasher = RandomState::new();
        let upper = key("WWW.Example.", RecordType::A);
        let lower = key("www.example.", RecordType::A);
        assert_eq!(upper, lower);
        assert_eq!(hasher.hash_one(&upper), hasher.hash_one(&lower));
        assert_ne!(upper, key("www.example.", RecordType::AAAA));
        // Label boundaries are part of the hash: "ab.c." and "a.bc." differ.
        assert_ne!(
            hasher.hash_one(key("ab.c.", RecordType::A)),
            hasher.hash_one(key("a.bc.", RecordType::A))
        );
    }
}
