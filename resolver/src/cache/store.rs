//! The bounded map under the RRset cache: byte-slice keys to wire entries, evicting by count.
//! It knows nothing of DNS; expiry and trust are the cache's business, never the map's.
//!
//! Why `quick_cache` and not `moka` (the crate the workplace guide names, still used by the
//! failure cache): measured per entry for small keys and values (a name-sized key, an
//! `Arc<[u8]>`), moka's floor was ~422 bytes (its timer wheel, frequency sketch and per-entry
//! `Arc`ed metadata), quick_cache's ~142 and a plain `HashMap` ~133. The memory target is at most
//! 0.6 × Unbound's bytes per cached name (≤ 391): unreachable with moka's floor alone.
//! quick_cache evicts by S3-FIFO, scan resistant like moka's TinyLFU, at a third of the cost.

use quick_cache::sync::Cache;

use crate::cache::entry::WireEntry;

pub(crate) struct EntryStore {
    map: Cache<Box<[u8]>, WireEntry>,
}

impl EntryStore {
    /// A map holding at most `max_entries` entries (at least one).
    pub(crate) fn new(max_entries: u64) -> EntryStore {
        let capacity = usize::try_from(max_entries).unwrap_or(usize::MAX).max(1);
        EntryStore {
            map: Cache::new(capacity),
        }
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
