//! Resolution failures remembered for a few seconds (RFC 9520), so that a broken delegation
//! (tsuNAME NS cycles, dead servers) costs upstream queries once, not once per client query.
//! Expiry follows the resolver's `Clock`; it holds no DNS data and never answers with any.

use std::time::Duration;

use hickory_proto::rr::{Name, RecordType};
use moka::sync::Cache;

use crate::limits::{FAILURE_CACHE_MAX_ENTRIES, FAILURE_CACHE_TTL};

/// (name, type) pairs whose resolution failed, with when the failure expires.
pub struct FailureCache {
    failures: Cache<(Name, RecordType), Duration, ahash::RandomState>,
}

impl Default for FailureCache {
    fn default() -> Self {
        Self::new()
    }
}

impl FailureCache {
    pub fn new() -> Self {
        FailureCache {
            // ahash with per-process random keys: SipHash of a name was most of a lookup.
            failures: Cache::builder()
                .max_capacity(FAILURE_CACHE_MAX_ENTRIES)
                .build_with_hasher(ahash::RandomState::new()),
        }
    }

    /// RFC 9520 §3.2: remember that resolving (name, type) failed at `now`.
    pub fn insert(&self, name: &Name, record_type: RecordType, now: Duration) {
        self.failures
            .insert((name.to_lowercase(), record_type), now + FAILURE_CACHE_TTL);
    }

    /// Whether resolving (name, type) failed recently enough to answer SERVFAIL at once.
    pub fn has_failed(&self, name: &Name, record_type: RecordType, now: Duration) -> bool {
        let key = (name.to_lowercase(), record_type);
        match self.failures.get(&key) {
            Some(expires) if expires > now => true,
            Some(_) => {
                self.failures.invalidate(&key);
                false
            }
            None => false,
        }
    }

    pub fn clear(&self) {
        self.failures.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_is_remembered_until_its_ttl_runs_out() {
        let cache = FailureCache::new();
        let name = Name::from_ascii("www.example.com.").unwrap();
        cache.insert(&name, RecordType::A, Duration::from_secs(10));
        let upper = Name::from_ascii("WWW.Example.COM.").unwrap();
        assert!(cache.has_failed(&upper, RecordType::A, Duration::from_secs(10)));
        assert!(!cache.has_failed(&name, RecordType::AAAA, Duration::from_secs(10)));
        let expiry = Duration::from_secs(10) + FAILURE_CACHE_TTL;
        assert!(!cache.has_failed(&name, RecordType::A, expiry));
    }
}
