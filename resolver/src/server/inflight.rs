//! Identical in-flight questions share one resolution; the number of resolutions is bounded.
//! It never parses or encodes wire bytes: messages in, messages out, keyed by the question.
//!
//! Flow: key → join a pending resolution (wait for its answer) | take a permit and run one in
//! this client's future (moved to a task if the client goes away, so the others still get the
//! answer; see `leader_work`) | no permit: overloaded.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RecordType};
use tokio::sync::{broadcast, OwnedSemaphorePermit, Semaphore};

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
    /// All resolution slots are taken: the caller drops the query (as Unbound does).
    Overloaded,
}

/// Keyed by clients' questions: ahash with per-process random keys (flooding-resistant like
/// SipHash, at a fraction of its cost per key).
type Pending = HashMap<QuestionKey, broadcast::Sender<Arc<Message>>, ahash::RandomState>;

/// The pending map and the resolution slots. The map never outgrows the slot count: an entry is
/// inserted only by a request holding a permit, and removed when that resolution ends.
pub struct InFlight<R> {
    resolver: Arc<R>,
    pending: Arc<Mutex<Pending>>,
    slots: Arc<Semaphore>,
}

impl<R: Resolve> InFlight<R> {
    pub fn new(resolver: Arc<R>, max_concurrent: usize) -> InFlight<R> {
        InFlight {
            resolver,
            pending: Arc::new(Mutex::new(HashMap::with_hasher(ahash::RandomState::new()))),
            slots: Arc::new(Semaphore::new(max_concurrent)),
        }
    }

    pub fn resolver(&self) -> &Arc<R> {
        &self.resolver
    }

    /// Requests waiting on another request's resolution right now.
    pub fn waiting(&self) -> usize {
        lock(&self.pending)
            .values()
            .map(broadcast::Sender::receiver_count)
            .sum()
    }

    /// Resolutions running now.
    pub fn running(&self) -> usize {
        lock(&self.pending).len()
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
        let permit = match self.join_or_claim(&key) {
            Claim::Join(mut receiver) => {
                return match receiver.recv().await {
                    Ok(response) => Resolution::Joined(Arc::unwrap_or_clone(response)),
                    Err(_) => Resolution::Joined(server_failure(request)),
                };
            }
            Claim::Overloaded => return Resolution::Overloaded,
            Claim::Lead(permit) => permit,
        };
        let resolver = self.resolver.clone();
        let entry = PendingEntry {
            table: self.pending.clone(),
            key: Some(key),
        };
        let owned_request = request.clone();
        // Driven by this client's future: no task per resolution. If this client goes away
        // first, `LeaderWork` moves the rest to a task so the waiters still get the answer; a
        // panic ends it with `None`, and the entry's drop closes the waiters' channel (SERVFAIL).
        let work = LeaderWork::new(async move {
            let (response, exchanges) =
                count_upstream_exchanges(resolver.resolve(&owned_request)).await;
            let response = Arc::new(response);
            if let Some(sender) = entry.finish() {
                // No receivers is fine: nobody else asked.
                let _ = sender.send(response.clone());
            }
            drop(permit);
            (response, exchanges)
        });
        match work.await {
            Some((response, exchanges)) => Resolution::Resolved {
                response: Arc::unwrap_or_clone(response),
                from_cache: exchanges == 0,
            },
            None => Resolution::Resolved {
                response: server_failure(request),
                from_cache: false,
            },
        }
    }

    /// Under the lock: subscribe to a pending resolution, or take a slot and register one.
    fn join_or_claim(&self, key: &QuestionKey) -> Claim {
        let mut pending = lock(&self.pending);
        // One hash for the lookup and the insert.
        let vacant = match pending.entry(key.clone()) {
            Entry::Occupied(occupied) => return Claim::Join(occupied.get().subscribe()),
            Entry::Vacant(vacant) => vacant,
        };
        let Ok(permit) = self.slots.clone().try_acquire_owned() else {
            return Claim::Overloaded;
        };
        // Capacity 1: exactly one message is ever sent on it.
        let (sender, _) = broadcast::channel(1);
        vacant.insert(sender);
        Claim::Lead(permit)
    }
}

enum Claim {
    Join(broadcast::Receiver<Arc<Message>>),
    Lead(OwnedSemaphorePermit),
    Overloaded,
}

/// A pending-map entry owned by its resolution (wherever it runs).
struct PendingEntry {
    table: Arc<Mutex<Pending>>,
    key: Option<QuestionKey>,
}

impl PendingEntry {
    /// Takes the entry out of the map; waiters subscribed until now will get the answer.
    fn finish(mut self) -> Option<broadcast::Sender<Arc<Message>>> {
        let key = self.key.take()?;
        lock(&self.table).remove(&key)
    }
}

impl Drop for PendingEntry {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock(&self.table).remove(&key);
        }
    }
}

/// A poisoned lock only means another task panicked mid-update of a plain map; the map is
/// still consistent (insert and remove are single calls), so keep serving.
fn lock(pending: &Mutex<Pending>) -> MutexGuard<'_, Pending> {
    pending
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
