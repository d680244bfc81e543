//! The answer memo (PowerDNS's packet cache): whole responses kept under the request bytes after the
//! ID plus the transport. It never decides an answer, never serves another catalog's, never grows.
//!
//! Flow: handler → `recall` (hit: stored bytes, request's ID) or `answer_packet` → `remember`;
//! rate limiting runs after it on whichever bytes came out, so hits are limited like the rest.
//! An answer that would push out a live one is stored only at its question's second miss, so
//! names asked once never flush the answers asked again.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::limits::{
    ANSWER_MEMO_DOORKEEPER, ANSWER_MEMO_MAX_BYTES, ANSWER_MEMO_MAX_REQUEST_BYTES,
    ANSWER_MEMO_MAX_RESPONSE_BYTES, ANSWER_MEMO_SLOTS, ANSWER_MEMO_WAYS, HEADER_BYTES,
};
use crate::listen::Protocol;

/// The message ID (RFC 1035 §4.1.1): the only request bytes a response echoes unchanged that the
/// key leaves out, so a hit patches them and nothing else.
const ID_BYTES: usize = 2;

/// One remembered answer.
struct Entry {
    /// `Catalog::generation` of the catalog the answer came from.
    generation: u64,
    /// The key (a transport byte, then the request without its ID) followed by the response: one
    /// allocation per entry.
    bytes: Box<[u8]>,
    key_length: usize,
}

impl Entry {
    /// The full key is compared, so two questions whose hashes meet never share an answer.
    fn matches(&self, generation: u64, transport: u8, question: &[u8]) -> bool {
        self.generation == generation
            && self.key_length == question.len() + 1
            && self.bytes.first() == Some(&transport)
            && self.bytes.get(1..self.key_length) == Some(question)
    }

    fn response(&self) -> &[u8] {
        self.bytes.get(self.key_length..).unwrap_or_default()
    }
}

/// The slots one key may occupy.
#[derive(Default)]
struct Set {
    ways: [Option<Entry>; ANSWER_MEMO_WAYS],
    /// The way hit or filled last; a new entry goes elsewhere when no way is free.
    recent: usize,
    /// Fingerprints of questions turned away because every way held a live answer (0: none).
    turned_away: [u32; ANSWER_MEMO_DOORKEEPER],
    /// Where the next turned-away fingerprint is written (the oldest is overwritten).
    next_turned_away: usize,
}

impl Set {
    /// Where a new entry for this key goes: its own old entry (another thread answered the same
    /// question meanwhile), else an empty way, else one of an older catalog, else not the recent one.
    fn way_for(&self, generation: u64, transport: u8, question: &[u8]) -> usize {
        let find = |wanted: &dyn Fn(&Option<Entry>) -> bool| self.ways.iter().position(wanted);
        find(&|way| {
            way.as_ref()
                .is_some_and(|entry| entry.matches(generation, transport, question))
        })
        .or_else(|| find(&|way| way.is_none()))
        .or_else(|| {
            find(&|way| {
                way.as_ref()
                    .is_some_and(|entry| entry.generation != generation)
            })
        })
        .unwrap_or((self.recent + 1) % ANSWER_MEMO_WAYS)
    }

    /// Whether a question may evict a live answer: yes when it was turned away before and is
    /// still listed (the listing is then used up); otherwise it is listed, and turned away.
    fn admits(&mut self, fingerprint: u32) -> bool {
        if let Some(listed) = self
            .turned_away
            .iter_mut()
            .find(|listed| **listed == fingerprint)
        {
            *listed = 0;
            return true;
        }
        if let Some(slot) = self.turned_away.get_mut(self.next_turned_away) {
            *slot = fingerprint;
        }
        self.next_turned_away = (self.next_turned_away + 1) % ANSWER_MEMO_DOORKEEPER;
        false
    }
}

/// A bounded, set-associative table of answers, safe to share between listener threads: one lock
/// per set, held for a key comparison and a copy, so threads meet only on the same set.
pub struct AnswerMemo {
    sets: Box<[Mutex<Set>]>,
    /// Seeded per process so nobody can aim many questions at one set from outside.
    hasher: RandomState,
    stored_bytes: AtomicUsize,
    max_bytes: usize,
}

impl Default for AnswerMemo {
    fn default() -> AnswerMemo {
        AnswerMemo::new(ANSWER_MEMO_SLOTS, ANSWER_MEMO_MAX_BYTES)
    }
}

/// The transport is part of the key: UDP answers are cut to the client's payload size, TCP ones not.
fn transport_byte(protocol: Protocol) -> u8 {
    match protocol {
        Protocol::Udp => 0,
        Protocol::Tcp => 1,
    }
}

/// `(id, rest)` of a request the memo may hold: at least a header, at most the request bound.
fn split_request(request: &[u8]) -> Option<(&[u8], &[u8])> {
    if !(HEADER_BYTES..=ANSWER_MEMO_MAX_REQUEST_BYTES).contains(&request.len()) {
        return None;
    }
    Some(request.split_at(ID_BYTES))
}

impl AnswerMemo {
    /// A memo of at least `slots` slots (rounded up to whole sets, a power of two of them) holding
    /// at most `max_bytes` of keys and answers. The table of slots is allocated here, once.
    pub fn new(slots: usize, max_bytes: usize) -> AnswerMemo {
        let set_count = slots.div_ceil(ANSWER_MEMO_WAYS).max(1).next_power_of_two();
        AnswerMemo {
            sets: (0..set_count).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            stored_bytes: AtomicUsize::new(0),
            max_bytes,
        }
    }

    /// The answer remembered for `request` over `protocol` from catalog `generation`, with the
    /// request's ID; `None` if there is none.
    pub fn recall(&self, generation: u64, request: &[u8], protocol: Protocol) -> Option<Vec<u8>> {
        let (id, question) = split_request(request)?;
        let transport = transport_byte(protocol);
        let (mut set, _) = self.lock_set(transport, question)?;
        let way = set.ways.iter().position(|way| {
            way.as_ref()
                .is_some_and(|entry| entry.matches(generation, transport, question))
        })?;
        set.recent = way;
        let mut response = set.ways.get(way)?.as_ref()?.response().to_vec();
        if let Some(response_id) = response.get_mut(..ID_BYTES) {
            response_id.copy_from_slice(id);
        }
        Some(response)
    }

    /// Remembers `response`, the answer to `request` over `protocol` from catalog `generation`.
    /// The caller vouches that the answer depends on nothing else (not on the client, not on time).
    /// Requests or answers over their bounds, and answers past the byte budget, are not kept; nor
    /// is an answer that would evict a live one, until its question has been turned away once.
    pub fn remember(&self, generation: u64, request: &[u8], protocol: Protocol, response: &[u8]) {
        let Some((_, question)) = split_request(request) else {
            return;
        };
        if !(HEADER_BYTES..=ANSWER_MEMO_MAX_RESPONSE_BYTES).contains(&response.len()) {
            return;
        }
        let transport = transport_byte(protocol);
        let size = 1 + question.len() + response.len();
        let Some((mut set, fingerprint)) = self.lock_set(transport, question) else {
            return;
        };
        let way = set.way_for(generation, transport, question);
        let evicts_live = set
            .ways
            .get(way)
            .and_then(Option::as_ref)
            .is_some_and(|entry| {
                entry.generation == generation && !entry.matches(generation, transport, question)
            });
        if evicts_live && !set.admits(fingerprint) {
            return;
        }
        let Some(slot) = set.ways.get_mut(way) else {
            return;
        };
        let freed = slot.as_ref().map_or(0, |entry| entry.bytes.len());
        // Exact under concurrency: `freed` belongs to this set, whose lock we hold.
        let admitted = self
            .stored_bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |stored| {
                let after = stored.saturating_sub(freed).saturating_add(size);
                (after <= self.max_bytes).then_some(after)
            })
            .is_ok();
        if !admitted {
            return;
        }
        let mut bytes = Vec::with_capacity(size);
        bytes.push(transport);
        bytes.extend_from_slice(question);
        bytes.extend_from_slice(response);
        *slot = Some(Entry {
            generation,
            bytes: bytes.into_boxed_slice(),
            key_length: 1 + question.len(),
        });
        set.recent = way;
    }

    /// Slots in the table (fixed at creation).
    pub fn slot_count(&self) -> usize {
        self.sets.len() * ANSWER_MEMO_WAYS
    }

    /// Answers held now (takes every set's lock in turn: for tests and statistics, not per query).
    pub fn entry_count(&self) -> usize {
        self.sets
            .iter()
            .map(|set| lock(set).ways.iter().filter(|way| way.is_some()).count())
            .sum()
    }

    /// Bytes of keys and answers held now (never more than the budget given to `new`).
    pub fn stored_bytes(&self) -> usize {
        self.stored_bytes.load(Ordering::Relaxed)
    }

    /// The set of this key, locked, and the key's fingerprint within the set (never 0); `None`
    /// cannot happen: the mask keeps the index in the table.
    fn lock_set(&self, transport: u8, question: &[u8]) -> Option<(MutexGuard<'_, Set>, u32)> {
        let mut hasher = self.hasher.build_hasher();
        hasher.write_u8(transport);
        hasher.write(question);
        let hash = hasher.finish();
        // Truncating the hash is the point: its low bits pick the set (a power of two of them),
        // its top 32 bits, which no table here is large enough to use for the index, are the
        // fingerprint. The lowest bit is set so that 0 can mean "no fingerprint".
        let index = (hash as usize) & (self.sets.len() - 1);
        let fingerprint = ((hash >> 32) as u32) | 1;
        self.sets.get(index).map(|set| (lock(set), fingerprint))
    }
}

/// A panic while a set's lock is held leaves whole entries behind (each is written in one store).
fn lock(set: &Mutex<Set>) -> MutexGuard<'_, Set> {
    set.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
