//! Operator maintenance of the RRset cache (unbound-control's `flush`, `flush_type`, `flush_zone`,
//! `flush_negative`) and its size for the statistics. Never on a query's path; each pass is bounded by the cache's size.

use std::cell::Cell;
use std::time::Duration;

use hickory_proto::rr::{DNSClass, Name, RecordType};

use crate::cache::entry::WireEntry;
use crate::cache::key::{EntryKind, KeyBuffer, PREFIX_BYTES};
use crate::cache::RecordCache;

/// What the cache holds, for `stats` and the metrics endpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheSize {
    /// Entries: RRsets, parent-side NS sets and glue, negative answers.
    pub entries: u64,
    /// Bytes of keys and entries (the stored data, not the map's own overhead).
    pub bytes: u64,
    /// Entries evicted to stay within `--cache-size` since the start.
    pub evictions: u64,
}

/// One stored key read back: what it holds, and the owner in lower-case wire form.
pub(crate) struct StoredKey<'a> {
    pub(crate) kind: EntryKind,
    pub(crate) record_type: RecordType,
    pub(crate) class: DNSClass,
    pub(crate) wire_name: &'a [u8],
}

impl<'a> StoredKey<'a> {
    /// The key's parts; `None` for bytes no `KeyBuffer` made.
    pub(crate) fn read(key: &'a [u8]) -> Option<StoredKey<'a>> {
        let kind = EntryKind::from_tag(*key.first()?)?;
        let record_type = u16::from_be_bytes([*key.get(1)?, *key.get(2)?]);
        let class = u16::from_be_bytes([*key.get(3)?, *key.get(4)?]);
        Some(StoredKey {
            kind,
            record_type: RecordType::from(record_type),
            class: DNSClass::from(class),
            wire_name: key.get(PREFIX_BYTES..)?,
        })
    }

    /// The owner name; `None` if the stored labels do not make one.
    pub(crate) fn name(&self) -> Option<Name> {
        let mut labels = Vec::new();
        let mut rest = self.wire_name;
        loop {
            let (&length, after) = rest.split_first()?;
            if length == 0 {
                return Name::from_labels(labels).ok();
            }
            labels.push(after.get(..usize::from(length))?);
            rest = after.get(usize::from(length)..)?;
        }
    }

    /// Whether the owner is `zone` or below it (`zone` in lower-case wire form, as keys hold it).
    pub(crate) fn is_at_or_below(&self, zone: &[u8]) -> bool {
        let mut at = self.wire_name;
        // One step per label: at most 127 for a 255-byte name.
        loop {
            if at == zone {
                return true;
            }
            let Some((&length, after)) = at.split_first() else {
                return false;
            };
            if length == 0 {
                return false;
            }
            match after.get(usize::from(length)..) {
                Some(rest) => at = rest,
                None => return false,
            }
        }
    }
}

/// The lower-case wire form of `name`, as keys hold it.
fn wire_name(name: &Name) -> Option<Vec<u8>> {
    let key = KeyBuffer::for_name(name, RecordType::A, DNSClass::IN, EntryKind::RrSet)?;
    key.as_bytes().get(PREFIX_BYTES..).map(<[u8]>::to_vec)
}

impl RecordCache {
    /// Removes the entries whose key `remove` picks; returns how many went. One pass.
    fn remove_where(&self, remove: impl Fn(&StoredKey<'_>, &WireEntry) -> bool) -> u64 {
        let removed = Cell::new(0u64);
        self.entries.retain(|key, entry| {
            let stored = StoredKey::read(key);
            let gone = stored.as_ref().is_some_and(|key| remove(key, entry));
            // A negative answer's SOA renewal (`negative_soa.rs`) goes with it uncounted: the
            // operator is told of answers removed, as Unbound counts them.
            if gone && stored.is_some_and(|key| key.kind != EntryKind::NegativeSoa) {
                removed.set(removed.get() + 1);
            }
            !gone
        });
        removed.get()
    }

    /// unbound-control `flush NAME`: every entry of this owner name, whatever its type or kind
    /// (RRsets, parent-side data, NODATA and NXDOMAIN). Unbound removes a fixed list of common
    /// types; a pass over the cache removes them all. Returns the entries removed.
    pub fn flush_name(&self, name: &Name) -> u64 {
        let Some(wire) = wire_name(name) else {
            return 0;
        };
        self.remove_where(|key, _| key.wire_name == wire.as_slice())
    }

    /// unbound-control `flush_type NAME TYPE`: the RRset, parent-side data, NODATA and stored
    /// sections of this name and type, and an NXDOMAIN of the name (it answers that type too).
    pub fn flush_type(&self, name: &Name, record_type: RecordType) -> u64 {
        let mut removed = 0;
        for kind in [
            EntryKind::RrSet,
            EntryKind::ParentSide,
            EntryKind::NoData,
            EntryKind::NxDomain,
            EntryKind::Sections,
        ] {
            if let Some(key) = KeyBuffer::for_name(name, record_type, DNSClass::IN, kind) {
                if self.entries.get(key.as_bytes()).is_some() {
                    self.entries.remove(key.as_bytes());
                    removed += 1;
                }
            }
        }
        removed
    }

    /// unbound-control `flush_zone NAME`: every entry at or below `zone` (`.` empties the cache).
    pub fn flush_zone(&self, zone: &Name) -> u64 {
        let Some(wire) = wire_name(zone) else {
            return 0;
        };
        self.remove_where(|key, _| key.is_at_or_below(&wire))
    }

    /// unbound-control `flush_negative`: every NXDOMAIN and NODATA entry (and the SOA renewals
    /// beside them).
    pub fn flush_negative(&self) -> u64 {
        self.remove_where(|key, _| {
            matches!(
                key.kind,
                EntryKind::NoData | EntryKind::NxDomain | EntryKind::NegativeSoa
            )
        })
    }

    /// Entries that have expired by `now` are dropped (they would be on their next read).
    pub fn flush_expired(&self, now: Duration) -> u64 {
        self.remove_where(|_, entry| entry.expires() <= now)
    }

    /// Entries and bytes held, and evictions so far. The byte count is one pass over the cache
    /// (a read lock per shard while it is copied), so it is taken when asked, never per query.
    pub fn size(&self) -> CacheSize {
        let bytes = self
            .entries
            .snapshot()
            .iter()
            .map(|(key, entry)| u64::try_from(key.len() + entry.byte_len()).unwrap_or(u64::MAX))
            .fold(0u64, u64::saturating_add);
        CacheSize {
            entries: self.entry_count(),
            bytes,
            evictions: self.entries.evictions(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{test_policy, Trust};
    use hickory_proto::rr::rdata::{A, SOA};
    use hickory_proto::rr::{RData, Record};
    use std::net::Ipv4Addr;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap_or_else(|_| Name::root())
    }

    fn a_record(owner: &str) -> Record {
        Record::from_rdata(name(owner), 300, RData::A(A(Ipv4Addr::new(192, 0, 2, 1))))
    }

    fn soa(zone: &str) -> Record {
        let data = SOA::new(name(zone), name(zone), 1, 2, 3, 4, 300);
        Record::from_rdata(name(zone), 300, RData::SOA(data))
    }

    fn filled() -> RecordCache {
        let cache = RecordCache::new(1_000, test_policy());
        for owner in [
            "Example.",
            "www.example.",
            "a.b.example.",
            "example.net.",
            "xexample.",
        ] {
            cache.insert_rrset(
                &[a_record(owner)],
                Trust::AnswerAuthoritative,
                Duration::ZERO,
            );
        }
        cache.insert_negative(
            &name("nx.example."),
            DNSClass::IN,
            None,
            &[soa("example.")],
            Duration::ZERO,
        );
        cache.insert_negative(
            &name("www.example."),
            DNSClass::IN,
            Some(RecordType::MX),
            &[soa("example.")],
            Duration::ZERO,
        );
        cache
    }

    fn has(cache: &RecordCache, owner: &str) -> bool {
        cache
            .get_rrset(
                &name(owner),
                RecordType::A,
                DNSClass::IN,
                Trust::Glue,
                Duration::ZERO,
            )
            .is_some()
    }

    #[test]
    fn flush_zone_removes_the_name_and_everything_below_and_nothing_beside() {
        let cache = filled();
        assert_eq!(cache.flush_zone(&name("EXAMPLE.")), 5);
        assert!(!has(&cache, "www.example.") && !has(&cache, "a.b.example."));
        assert!(has(&cache, "example.net."), "a sibling zone stays");
        assert!(has(&cache, "xexample."), "a label boundary is respected");
        assert_eq!(cache.flush_zone(&Name::root()), 2);
        assert_eq!(cache.entry_count(), 0);
    }

    #[test]
    fn flush_name_removes_every_type_of_one_name_only() {
        let cache = filled();
        assert_eq!(cache.flush_name(&name("www.example.")), 2);
        assert!(!has(&cache, "www.example."));
        assert!(cache
            .get_negative(
                &name("www.example."),
                RecordType::MX,
                DNSClass::IN,
                Duration::ZERO
            )
            .is_none());
        assert!(has(&cache, "a.b.example.") && has(&cache, "example."));
    }

    #[test]
    fn flush_type_and_flush_negative_remove_what_they_name() {
        let cache = filled();
        assert_eq!(cache.flush_type(&name("www.example."), RecordType::A), 1);
        assert!(!has(&cache, "www.example."));
        assert_eq!(cache.flush_negative(), 2);
        assert!(cache
            .get_negative(
                &name("nx.example."),
                RecordType::A,
                DNSClass::IN,
                Duration::ZERO
            )
            .is_none());
        assert_eq!(cache.entry_count(), 4);
    }

    #[test]
    fn size_counts_entries_bytes_and_evictions() {
        let cache = RecordCache::new(10, test_policy());
        for index in 0..100 {
            cache.insert_rrset(
                &[a_record(&format!("host{index}.example."))],
                Trust::AnswerAuthoritative,
                Duration::ZERO,
            );
        }
        let size = cache.size();
        assert!(size.entries <= 10 && size.entries > 0, "{size:?}");
        assert!(size.bytes > size.entries * 20, "{size:?}");
        assert!(size.evictions >= 90, "{size:?}");
    }
}
