//! The cached zone cuts above a name: which of its ancestors (itself included) hold a live NS
//! RRset, longest first, probed with one key trimmed label by label, so a miss builds no name.

use std::time::Duration;

use hickory_proto::rr::{DNSClass, Name, RecordType};

use crate::cache::key::{EntryKind, KeyBuffer};
use crate::cache::RecordCache;

/// Label counts (as `Name::trim_to` takes them) of the ancestors with a live NS RRset.
pub(crate) struct CachedCuts<'a> {
    cache: &'a RecordCache,
    /// The NS key of the name probed next; `None` once the root has been probed.
    key: Option<KeyBuffer>,
    labels: usize,
    now: Duration,
}

impl RecordCache {
    /// The ancestors of `name` (itself included, the root last) whose NS RRset is cached and
    /// unexpired, at any trust, longest first. At most one probe per label.
    pub(crate) fn cached_cuts(&self, name: &Name, now: Duration) -> CachedCuts<'_> {
        CachedCuts {
            cache: self,
            key: KeyBuffer::for_name(name, RecordType::NS, DNSClass::IN, EntryKind::RrSet),
            labels: name.iter().len(),
            now,
        }
    }
}

impl RecordCache {
    /// Whether an ancestor of `name` with fewer than `below` labels and at least `top` holds an
    /// NS RRset that is cached but expired (Unbound `rrset_cache_expired_above`). A delegation
    /// cached below such a cut is not used: the parent must confirm the cut first, or a zone
    /// removed by its parent would live on through the delegations cached below it (ghost
    /// domains, CVE-2022-30698). At most one probe per label.
    pub(crate) fn expired_cut_above(
        &self,
        name: &Name,
        below: usize,
        top: usize,
        now: Duration,
    ) -> bool {
        let Some(mut key) =
            KeyBuffer::for_name(name, RecordType::NS, DNSClass::IN, EntryKind::RrSet)
        else {
            return false;
        };
        let mut labels = name.iter().len();
        loop {
            if labels < below && labels >= top {
                let expired = self
                    .entries
                    .get(key.as_bytes())
                    .is_some_and(|entry| entry.expires() <= now);
                if expired {
                    return true;
                }
            }
            if labels <= top || !key.strip_first_label() {
                return false;
            }
            labels -= 1;
        }
    }
}

impl Iterator for CachedCuts<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        loop {
            let key = self.key.as_mut()?;
            let labels = self.labels;
            let live = self
                .cache
                .entries
                .get(key.as_bytes())
                .is_some_and(|entry| entry.expires() > self.now);
            if key.strip_first_label() {
                self.labels = self.labels.saturating_sub(1);
            } else {
                self.key = None;
            }
            if live {
                return Some(labels);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{test_policy, Trust};
    use hickory_proto::rr::rdata::NS;
    use hickory_proto::rr::{RData, Record};

    fn ns(zone: &str, ttl: u32) -> Record {
        Record::from_rdata(
            Name::from_ascii(zone).unwrap(),
            ttl,
            RData::NS(NS(Name::from_ascii("ns.example.").unwrap())),
        )
    }

    #[test]
    fn cuts_are_the_live_ns_sets_above_the_name_longest_first() {
        let cache = RecordCache::new(100, test_policy());
        let now = Duration::from_secs(100);
        for (zone, ttl) in [(".", 1_000), ("com.", 1_000), ("Example.COM.", 10)] {
            cache.insert_rrset(&[ns(zone, ttl)], Trust::Glue, Duration::ZERO);
        }
        let name = Name::from_ascii("www.example.com.").unwrap();
        let cuts: Vec<usize> = cache.cached_cuts(&name, Duration::from_secs(5)).collect();
        assert_eq!(cuts, vec![2, 1, 0]);
        assert_eq!(
            name.trim_to(cuts[0]),
            Name::from_ascii("example.com.").unwrap()
        );
        // example.com.'s NS set has expired by `now`.
        let cuts: Vec<usize> = cache.cached_cuts(&name, now).collect();
        assert_eq!(cuts, vec![1, 0]);
        let empty = RecordCache::new(10, cache.policy);
        assert_eq!(empty.cached_cuts(&name, now).count(), 0);
    }

    #[test]
    fn an_expired_cut_above_a_cached_delegation_is_seen_down_to_the_top() {
        let cache = RecordCache::new(100, test_policy());
        for (zone, ttl) in [(".", 1_000), ("mid.tld.", 5), ("sub.mid.tld.", 3_600)] {
            cache.insert_rrset(&[ns(zone, ttl)], Trust::Glue, Duration::ZERO);
        }
        let name = Name::from_ascii("b.sub.mid.tld.").unwrap();
        let later = Duration::from_secs(10);
        // sub.mid.tld. (3 labels) lies below the expired mid.tld. cut.
        assert!(cache.expired_cut_above(&name, 3, 0, later));
        assert!(!cache.expired_cut_above(&name, 3, 0, Duration::from_secs(1)));
        // A stub at sub.mid.tld. is the top: nothing above it is looked at.
        assert!(!cache.expired_cut_above(&name, 3, 3, later));
        // tld. (1 label) has nothing expired above it.
        assert!(!cache.expired_cut_above(&name, 1, 0, later));
    }
}
