//! Final answers waiting to be cached: a walk's last reply is stored after its client has the
//! answer (the server calls `Resolver::store_deferred` once it has sent it) instead of before.
//!
//! Nothing reads around them: every cache read of the walker and the server (`resolve`, the
//! wire path, finding a delegation, a CNAME-chain step) stores what waits first. At most
//! `MAX_DEFERRED_STORES` wait; the one past it is stored at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use hickory_proto::op::Message;
use hickory_proto::rr::Name;

use crate::cache::{ReplyStates, StoreTime};
use crate::limits::MAX_DEFERRED_STORES;

/// A scrubbed final reply, the zone whose servers gave it (its bailiwick for storing), and when
/// it arrived (its TTLs count down from then; a prefetch's leeway beside it).
pub(crate) struct DeferredStore {
    pub(crate) reply: Message,
    pub(crate) zone: Name,
    pub(crate) time: StoreTime,
    /// The validator's word on its RRsets.
    pub(crate) states: ReplyStates,
}

/// The replies waiting; `waiting` lets a read with nothing to store skip the lock.
#[derive(Default)]
pub(crate) struct DeferredStores {
    pending: Mutex<Vec<DeferredStore>>,
    waiting: AtomicBool,
}

impl DeferredStores {
    /// Puts `store` in the queue; gives it back when the queue is full, to be stored now.
    pub(crate) fn push(&self, store: DeferredStore) -> Option<DeferredStore> {
        let Ok(mut pending) = self.pending.lock() else {
            return Some(store);
        };
        if pending.len() >= MAX_DEFERRED_STORES {
            return Some(store);
        }
        pending.push(store);
        self.waiting.store(true, Ordering::Release);
        None
    }

    /// Everything waiting, oldest first; empty (and no lock taken) when nothing waits.
    pub(crate) fn take_all(&self) -> Vec<DeferredStore> {
        if !self.waiting.load(Ordering::Acquire) {
            return Vec::new();
        }
        let Ok(mut pending) = self.pending.lock() else {
            return Vec::new();
        };
        self.waiting.store(false, Ordering::Release);
        std::mem::take(&mut *pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(name: &str) -> DeferredStore {
        DeferredStore {
            reply: Message::query(),
            zone: Name::from_ascii(name).unwrap(),
            time: StoreTime::at(std::time::Duration::ZERO),
            states: ReplyStates::all(crate::cache::Validation::INSECURE),
        }
    }

    #[test]
    fn replies_come_back_in_order_once() {
        let stores = DeferredStores::default();
        assert!(stores.take_all().is_empty());
        assert!(stores.push(store("a.")).is_none());
        assert!(stores.push(store("b.")).is_none());
        let zones: Vec<String> = stores
            .take_all()
            .into_iter()
            .map(|store| store.zone.to_ascii())
            .collect();
        assert_eq!(zones, ["a.", "b."]);
        assert!(stores.take_all().is_empty());
    }

    #[test]
    fn past_the_bound_a_reply_is_given_back_to_store_now() {
        let stores = DeferredStores::default();
        for _ in 0..MAX_DEFERRED_STORES {
            assert!(stores.push(store("a.")).is_none());
        }
        let refused = stores.push(store("full.")).expect("the queue is full");
        assert_eq!(refused.zone.to_ascii(), "full.");
        assert_eq!(stores.take_all().len(), MAX_DEFERRED_STORES);
    }
}
