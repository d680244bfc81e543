//! The bounded map under the RRset cache: byte-slice keys to wire entries, evicting by count.
//! It knows nothing of DNS; expiry and trust are the cache's business, never the map's.
//!
//! Why `quick_cache` and not `moka` (the crate the workplace guide names, still used by the
//! failure cache): measured per entry for small keys and values (a name-sized key, an
//! `Arc<[u8]>`), moka's floor was ~422 bytes (its timer wheel, frequency sketch and per-entry
//! `Arc`ed metadata), quick_cache's ~142 and a plain `HashMap` ~133. The memory target is at most
//! 0.6 × Unbound's bytes per cached name (≤ 391): unreachable with moka's floor alone.
//! quick_cache evicts by S3-FIFO, scan resistant like moka's TinyLFU, at a third of the cost.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::{DefaultHashBuilder, Lifecycle, UnitWeighter};

use crate::cache::entry::WireEntry;

pub(crate) struct EntryStore {
    map: Cache<Box<[u8]>, WireEntry, UnitWeighter, DefaultHashBuilder, EvictionCounter>,
    evictions: Arc<AtomicU64>,
}

/// Counts entries the map evicts to stay within its bound (not removals, not replacements):
/// one atomic add, under the shard lock the eviction already holds.
#[derive(Clone)]
struct EvictionCounter(Arc<AtomicU64>);

impl Lifecycle<Box<[u8]>, WireEntry> for EvictionCounter {
    type RequestState = ();

    fn begin_request(&self) -> Self::RequestState {}

    fn on_evict(&self, _state: &mut Self::RequestState, _key: Box<[u8]>, _entry: WireEntry) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

impl EntryStore {
    /// A map holding at most `max_entries` entries (at least one).
    pub(crate) fn new(max_entries: u64) -> EntryStore {
        let capacity = usize::try_from(max_entries).unwrap_or(usize::MAX).max(1);
        let evictions = Arc::new(AtomicU64::new(0));
        EntryStore {
            map: Cache::with(
                capacity,
                u64::try_from(capacity).unwrap_or(u64::MAX),
                UnitWeighter,
                DefaultHashBuilder::default(),
                EvictionCounter(evictions.clone()),
            ),
            evictions,
        }
    }

    /// Entries evicted for room since the start.
    pub(crate) fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// Removes every entry for which `keep` says false; one pass over the map, a shard at a time.
    pub(crate) fn retain(&self, keep: impl Fn(&[u8], &WireEntry) -> bool) {
        self.map.retain(|key, entry| keep(key, entry));
    }

    /// Every (key, entry) held now, cloned (an entry is one reference count): a shard is locked
    /// only while it is copied, so a long dump never holds the map.
    pub(crate) fn snapshot(&self) -> Vec<(Box<[u8]>, WireEntry)> {
        self.map.iter().collect()
    }

    pub(crate) fn get(&self, key: &[u8]) -> Option<WireEntry> {
        self.map.get(key)
    }

    pub(crate) fn insert(&self, key: &[u8], entry: WireEntry) {
        self.map.insert(Box::from(key), entry);
    }

    pub(crate) fn remove(&self, key: &[u8]) {
        self.map.remove(key);
    }

    pub(crate) fn clear(&self) {
        self.map.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}
