//! The authority and additional sections kept with a positive answer (Unbound's message cache,
//! `services/cache/dns.c`): one entry per answered name and type, never an answer by itself.
//!
//! The entry holds the reply's sections as received and lives as long as the shortest RRset of
//! the whole reply, as the RRset cache held each once the reply was stored (Unbound
//! `store_rrsets`: a cached copy that stays counts with its own, shorter, TTL). It counts
//! against the cache's entry bound like any other entry.

use std::time::Duration;

use hickory_proto::rr::{DNSClass, Name, Record, RecordType};

use crate::cache::entry::WireEntry;
use crate::cache::key::EntryKind;
use crate::cache::{Freshness, RecordCache};

/// What the cache holds for the sections of an answer.
#[derive(Clone, Debug, PartialEq)]
pub enum StoredSections {
    /// None were stored (minimal responses, an answer not from a reply, or evicted).
    Absent,
    /// Stored, but the message they belong to has expired (outside any stale window asked
    /// for): the answer must be fetched again, as Unbound's message cache misses then.
    Expired,
    /// The records as received, TTLs counted down (0 once expired, for stale answers).
    Held {
        authorities: Vec<Record>,
        additionals: Vec<Record>,
    },
}

impl RecordCache {
    /// Keeps `authorities` and `additionals` as the sections of the answer to (`name`,
    /// `record_type`) for `ttl` seconds from `now`, replacing what was kept before. A `ttl` of
    /// 0 is kept too, for the answer being sent now only (`sections`'s `since`).
    #[allow(clippy::too_many_arguments)]
    pub fn insert_sections(
        &self,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        authorities: &[Record],
        additionals: &[Record],
        ttl: u32,
        now: Duration,
    ) {
        let Some(key) = Self::key(name, record_type, class, EntryKind::Sections) else {
            return;
        };
        match WireEntry::sections(authorities, additionals, now, ttl) {
            Ok(entry) => self.entries.insert(key.as_bytes(), entry),
            // Too large to keep: the answer is sent without them rather than with old ones.
            Err(_) => self.entries.remove(key.as_bytes()),
        }
    }

    /// The sections kept for (`name`, `record_type`). An expired entry is `Held` when
    /// `freshness` allows stale data and it is inside its stale window, or when it was stored
    /// at or after `since` (the answer of the resolution that stored it, TTL 0 included).
    pub fn sections(
        &self,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        now: Duration,
        freshness: Freshness,
        since: Option<Duration>,
    ) -> StoredSections {
        let Some(key) = Self::key(name, record_type, class, EntryKind::Sections) else {
            return StoredSections::Absent;
        };
        let Some(entry) = self.entries.get(key.as_bytes()) else {
            return StoredSections::Absent;
        };
        let fresh = entry.expires() > now;
        let just_stored = since.is_some_and(|since| entry.stored_at() >= since);
        let stale_allowed = self.may_serve_stale(&entry, now);
        if !fresh && !stale_allowed && !just_stored {
            self.entries.remove(key.as_bytes());
            return StoredSections::Expired;
        }
        if !fresh && !just_stored && freshness == Freshness::Fresh {
            return StoredSections::Expired;
        }
        // Seconds rounded up, so a record reads as an RRset stored with it would
        // (`remaining_seconds` rounds down). Past expiry (a stale answer) every TTL reads 0.
        let elapsed = if fresh || just_stored {
            let age = now.saturating_sub(entry.stored_at());
            let whole = age.as_secs() + u64::from(age.subsec_nanos() > 0);
            u32::try_from(whole).unwrap_or(u32::MAX)
        } else {
            u32::MAX
        };
        match entry.to_sections(elapsed) {
            Some((authorities, additionals)) => StoredSections::Held {
                authorities,
                additionals,
            },
            None => StoredSections::Absent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::TtlPolicy;
    use hickory_proto::rr::rdata::{A, NS};
    use hickory_proto::rr::RData;
    use std::net::Ipv4Addr;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    fn cache() -> RecordCache {
        RecordCache::new(
            100,
            TtlPolicy {
                min_ttl: 0,
                max_ttl: 86_400,
                max_negative_ttl: 3_600,
                min_negative_ttl: 0,
            },
        )
    }

    fn ns() -> Record {
        Record::from_rdata(name("example."), 300, RData::NS(NS(name("ns.example."))))
    }

    fn glue() -> Record {
        Record::from_rdata(
            name("ns.example."),
            300,
            RData::A(A(Ipv4Addr::new(192, 0, 2, 1))),
        )
    }

    fn read(cache: &RecordCache, at: u64, since: Option<u64>) -> StoredSections {
        cache.sections(
            &name("www.example."),
            RecordType::A,
            DNSClass::IN,
            Duration::from_secs(at),
            Freshness::Fresh,
            since.map(Duration::from_secs),
        )
    }

    #[test]
    fn sections_come_back_split_as_stored_and_counted_down_until_they_expire() {
        let cache = cache();
        let owner = name("www.example.");
        let at = Duration::from_secs(10);
        cache.insert_sections(
            &owner,
            RecordType::A,
            DNSClass::IN,
            &[ns()],
            &[glue()],
            60,
            at,
        );
        let StoredSections::Held {
            authorities,
            additionals,
        } = read(&cache, 30, None)
        else {
            panic!("sections should be held");
        };
        assert_eq!(authorities.len(), 1);
        assert_eq!(authorities[0].data, ns().data);
        assert_eq!(authorities[0].ttl, 280);
        assert_eq!(additionals[0].data, glue().data);
        assert_eq!(read(&cache, 70, None), StoredSections::Expired);
        // Without serve-expired the expired entry is dropped on the way.
        assert_eq!(read(&cache, 70, None), StoredSections::Absent);
        assert_eq!(
            cache.sections(
                &owner,
                RecordType::AAAA,
                DNSClass::IN,
                at,
                Freshness::Fresh,
                None
            ),
            StoredSections::Absent
        );
    }

    #[test]
    fn a_zero_ttl_message_is_read_only_by_the_resolution_that_stored_it() {
        let cache = cache();
        let at = Duration::from_secs(10);
        let mut zero = ns();
        zero.ttl = 0;
        cache.insert_sections(
            &name("www.example."),
            RecordType::A,
            DNSClass::IN,
            &[zero],
            &[],
            0,
            at,
        );
        assert!(matches!(
            read(&cache, 10, Some(9)),
            StoredSections::Held { .. }
        ));
        assert_eq!(read(&cache, 10, None), StoredSections::Expired);
    }
}
