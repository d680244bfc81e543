//! The RRset cache: positive RRsets and negative answers, keyed by name, type and class.
//! Expiry follows the resolver's `Clock`, never moka's; only the scrubber's output is ever stored.

use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use moka::sync::Cache;

/// How much an RRset is believed, RFC 2181 §5.4.1 (higher is better). Lower-ranked data never
/// replaces higher-ranked data that has not expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trust {
    /// Additional-section data and the authority section of non-authoritative replies (referrals).
    Glue = 1,
    /// The answer section of a non-authoritative reply.
    AnswerNonAuthoritative = 2,
    /// The authority section of an authoritative reply.
    AuthorityAuthoritative = 3,
    /// The answer section of an authoritative reply.
    AnswerAuthoritative = 4,
}

/// TTL bounds applied on insertion, in seconds.
#[derive(Clone, Copy, Debug)]
pub struct TtlPolicy {
    pub min_ttl: u32,
    pub max_ttl: u32,
    pub max_negative_ttl: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum EntryKind {
    RrSet(RecordType),
    /// RFC 2308 §5: NODATA for this name and type.
    NoData(RecordType),
    /// RFC 2308 §5: the name does not exist, whatever the type.
    NxDomain,
    /// NS sets and glue as the parent zone gave them in a referral, kept apart from the
    /// child's (higher-ranked) data: the fallback when the child's servers fail (Unbound's
    /// parent-side cache, `iter_store_parentside_*`).
    ParentSide(RecordType),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct CacheKey {
    name: Name,
    class: DNSClass,
    kind: EntryKind,
}

#[derive(Clone, Debug)]
struct CacheEntry {
    records: Arc<Vec<Record>>,
    expires: Duration,
    trust: Trust,
    stored_at: Duration,
}

/// A negative answer from the cache, with the authority section (SOA, zone NS) to send.
#[derive(Clone, Debug, PartialEq)]
pub enum NegativeAnswer {
    NxDomain(Vec<Record>),
    NoData(Vec<Record>),
}

pub struct RecordCache {
    entries: Cache<CacheKey, CacheEntry>,
    policy: TtlPolicy,
}

impl RecordCache {
    pub fn new(max_entries: u64, policy: TtlPolicy) -> Self {
        RecordCache {
            entries: Cache::new(max_entries),
            policy,
        }
    }

    fn key(name: &Name, class: DNSClass, kind: EntryKind) -> CacheKey {
        CacheKey {
            name: name.to_lowercase(),
            class,
            kind,
        }
    }

    /// Stores one RRset (all records share owner, type and class). Returns whether it was stored.
    pub fn insert_rrset(&self, records: &[Record], trust: Trust, now: Duration) -> bool {
        let Some(first) = records.first() else {
            return false;
        };
        let min_record_ttl = records.iter().map(|record| record.ttl).min().unwrap_or(0);
        let ttl = min_record_ttl.clamp(
            self.policy.min_ttl,
            self.policy.max_ttl.max(self.policy.min_ttl),
        );
        let key = Self::key(
            &first.name,
            first.dns_class,
            EntryKind::RrSet(first.record_type()),
        );
        if let Some(existing) = self.entries.get(&key) {
            if existing.expires > now && existing.trust > trust {
                return false;
            }
        }
        let mut stored: Vec<Record> = Vec::with_capacity(records.len());
        for record in records {
            let mut record = record.clone();
            record.ttl = ttl;
            // Duplicate records in one RRset are one record (RFC 2181 §5).
            if !stored.iter().any(|kept| kept.data == record.data) {
                stored.push(record);
            }
        }
        let expires = now + Duration::from_secs(u64::from(ttl));
        self.entries.insert(
            key,
            CacheEntry {
                records: Arc::new(stored),
                expires,
                trust,
                stored_at: now,
            },
        );
        // A positive RRset supersedes a cached NODATA for the same name and type.
        self.entries.invalidate(&Self::key(
            &first.name,
            first.dns_class,
            EntryKind::NoData(first.record_type()),
        ));
        self.entries.invalidate(&Self::key(
            &first.name,
            first.dns_class,
            EntryKind::NxDomain,
        ));
        true
    }

    /// The RRset with TTLs counted down, if cached, unexpired and at least `minimum_trust`.
    pub fn get_rrset(
        &self,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        minimum_trust: Trust,
        now: Duration,
    ) -> Option<Vec<Record>> {
        let key = Self::key(name, class, EntryKind::RrSet(record_type));
        let entry = self.entries.get(&key)?;
        if entry.expires <= now {
            self.entries.invalidate(&key);
            return None;
        }
        if entry.trust < minimum_trust {
            return None;
        }
        let remaining = remaining_seconds(entry.expires, now);
        Some(
            entry
                .records
                .iter()
                .map(|record| {
                    let mut record = record.clone();
                    record.ttl = remaining;
                    record
                })
                .collect(),
        )
    }

    /// Records a referral's NS set or glue as the parent gave it.
    pub fn insert_parent_side(&self, records: &[Record], now: Duration) {
        let Some(first) = records.first() else { return };
        let ttl = records.iter().map(|record| record.ttl).min().unwrap_or(0);
        let ttl = ttl.clamp(
            self.policy.min_ttl,
            self.policy.max_ttl.max(self.policy.min_ttl),
        );
        let key = Self::key(
            &first.name,
            first.dns_class,
            EntryKind::ParentSide(first.record_type()),
        );
        let expires = now + Duration::from_secs(u64::from(ttl));
        self.entries.insert(
            key,
            CacheEntry {
                records: Arc::new(records.to_vec()),
                expires,
                trust: Trust::Glue,
                stored_at: now,
            },
        );
    }

    /// The parent-side NS set or glue for `name`, if unexpired.
    pub fn get_parent_side(
        &self,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        now: Duration,
    ) -> Vec<Record> {
        let key = Self::key(name, class, EntryKind::ParentSide(record_type));
        match self.entries.get(&key) {
            Some(entry) if entry.expires > now => entry.records.as_ref().clone(),
            _ => Vec::new(),
        }
    }

    /// Trust of the cached, unexpired RRset, if any.
    pub fn trust_of(
        &self,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        now: Duration,
    ) -> Option<Trust> {
        let entry = self
            .entries
            .get(&Self::key(name, class, EntryKind::RrSet(record_type)))?;
        (entry.expires > now).then_some(entry.trust)
    }

    /// RFC 2308 §5: caches NXDOMAIN (record_type `None`) or NODATA for min(SOA TTL, SOA MINIMUM),
    /// with the authority records to send along (SOA, the zone's NS), which keep their own TTLs
    /// as Unbound's message cache does. Without an SOA the TTL is 0 (RFC 2308 §5: not cached)
    /// unless the operator's `min_ttl` raises it, as it raises every other TTL.
    pub fn insert_negative(
        &self,
        name: &Name,
        class: DNSClass,
        record_type: Option<RecordType>,
        authorities: &[Record],
        now: Duration,
    ) {
        let soa_ttl = authorities.iter().find_map(|record| match &record.data {
            RData::SOA(soa) => Some(record.ttl.min(soa.minimum)),
            _ => None,
        });
        let ttl = soa_ttl
            .unwrap_or(0)
            .max(self.policy.min_ttl)
            .min(self.policy.max_negative_ttl);
        if ttl == 0 {
            return;
        }
        let kind = match record_type {
            Some(record_type) => EntryKind::NoData(record_type),
            None => EntryKind::NxDomain,
        };
        let max_ttl = self.policy.max_ttl.max(self.policy.min_ttl);
        let stored: Vec<Record> = authorities
            .iter()
            .map(|record| {
                let mut stored = record.clone();
                // Served for `ttl` seconds at most, so never shown with less than that left.
                stored.ttl = stored.ttl.clamp(ttl, max_ttl.max(ttl));
                stored
            })
            .collect();
        let expires = now + Duration::from_secs(u64::from(ttl));
        self.entries.insert(
            Self::key(name, class, kind),
            CacheEntry {
                records: Arc::new(stored),
                expires,
                trust: Trust::AnswerAuthoritative,
                stored_at: now,
            },
        );
    }

    /// A cached negative answer for this name and type, authority TTLs counted down.
    pub fn get_negative(
        &self,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        now: Duration,
    ) -> Option<NegativeAnswer> {
        for (kind, nxdomain) in [
            (EntryKind::NxDomain, true),
            (EntryKind::NoData(record_type), false),
        ] {
            let key = Self::key(name, class, kind);
            let Some(entry) = self.entries.get(&key) else {
                continue;
            };
            if entry.expires <= now {
                self.entries.invalidate(&key);
                continue;
            }
            let elapsed =
                u32::try_from(now.saturating_sub(entry.stored_at).as_secs()).unwrap_or(u32::MAX);
            let records: Vec<Record> = entry
                .records
                .iter()
                .map(|record| {
                    let mut record = record.clone();
                    record.ttl = record.ttl.saturating_sub(elapsed);
                    record
                })
                .collect();
            return Some(if nxdomain {
                NegativeAnswer::NxDomain(records)
            } else {
                NegativeAnswer::NoData(records)
            });
        }
        None
    }

    /// Drops everything (tests and operator flush).
    pub fn clear(&self) {
        self.entries.invalidate_all();
    }

    /// How many entries (RRsets and negative answers) are held, once pending evictions are done.
    pub fn entry_count(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }
}

fn remaining_seconds(expires: Duration, now: Duration) -> u32 {
    u32::try_from(expires.saturating_sub(now).as_secs()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, SOA};
    use std::net::Ipv4Addr;

    fn policy() -> TtlPolicy {
        TtlPolicy {
            min_ttl: 0,
            max_ttl: 86_400,
            max_negative_ttl: 3_600,
        }
    }

    fn a_record(name: &str, ttl: u32, last: u8) -> Record {
        Record::from_rdata(
            Name::from_ascii(name).unwrap(),
            ttl,
            RData::A(A(Ipv4Addr::new(192, 0, 2, last))),
        )
    }

    fn soa_record(zone: &str, ttl: u32, minimum: u32) -> Record {
        let soa = SOA::new(
            Name::from_ascii(zone).unwrap(),
            Name::from_ascii(zone).unwrap(),
            1,
            2,
            3,
            4,
            minimum,
        );
        Record::from_rdata(Name::from_ascii(zone).unwrap(), ttl, RData::SOA(soa))
    }

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    #[test]
    fn negative_answer_without_soa_is_cached_only_under_a_min_ttl() {
        let plain = RecordCache::new(100, policy());
        plain.insert_negative(
            &name("x.example."),
            DNSClass::IN,
            Some(RecordType::A),
            &[],
            Duration::ZERO,
        );
        assert!(plain
            .get_negative(
                &name("x.example."),
                RecordType::A,
                DNSClass::IN,
                Duration::ZERO
            )
            .is_none());
        let floored = RecordCache::new(
            100,
            TtlPolicy {
                min_ttl: 5,
                max_ttl: 86_400,
                max_negative_ttl: 3_600,
            },
        );
        floored.insert_negative(
            &name("x.example."),
            DNSClass::IN,
            Some(RecordType::A),
            &[],
            Duration::ZERO,
        );
        assert!(floored
            .get_negative(
                &name("x.example."),
                RecordType::A,
                DNSClass::IN,
                Duration::from_secs(4)
            )
            .is_some());
        assert!(floored
            .get_negative(
                &name("x.example."),
                RecordType::A,
                DNSClass::IN,
                Duration::from_secs(5)
            )
            .is_none());
    }

    #[test]
    fn size_bound_holds_when_more_rrsets_arrive_than_fit() {
        let bound = 50;
        let cache = RecordCache::new(bound, policy());
        for index in 0..1_000u32 {
            let owner = format!("host{index}.example.");
            cache.insert_rrset(
                &[a_record(&owner, 300, (index % 250) as u8)],
                Trust::AnswerAuthoritative,
                Duration::from_secs(10),
            );
        }
        let held = cache.entry_count();
        assert!(held <= bound, "{held} entries held with a bound of {bound}");
        assert!(held > 0, "the cache should still hold recent entries");
    }

    #[test]
    fn rrset_ttl_counts_down_and_expires() {
        let cache = RecordCache::new(100, policy());
        cache.insert_rrset(
            &[a_record("www.example.", 300, 1)],
            Trust::AnswerAuthoritative,
            Duration::from_secs(10),
        );
        let at_110 = cache
            .get_rrset(
                &name("WWW.example."),
                RecordType::A,
                DNSClass::IN,
                Trust::Glue,
                Duration::from_secs(110),
            )
            .unwrap();
        assert_eq!(at_110[0].ttl, 200);
        assert!(cache
            .get_rrset(
                &name("www.example."),
                RecordType::A,
                DNSClass::IN,
                Trust::Glue,
                Duration::from_secs(310)
            )
            .is_none());
    }

    #[test]
    fn ttl_clamps_apply_on_insert() {
        let cache = RecordCache::new(
            100,
            TtlPolicy {
                min_ttl: 60,
                max_ttl: 600,
                max_negative_ttl: 30,
            },
        );
        cache.insert_rrset(
            &[a_record("low.example.", 5, 1)],
            Trust::AnswerAuthoritative,
            Duration::ZERO,
        );
        cache.insert_rrset(
            &[a_record("high.example.", 9_999, 1)],
            Trust::AnswerAuthoritative,
            Duration::ZERO,
        );
        let low = cache
            .get_rrset(
                &name("low.example."),
                RecordType::A,
                DNSClass::IN,
                Trust::Glue,
                Duration::ZERO,
            )
            .unwrap();
        let high = cache
            .get_rrset(
                &name("high.example."),
                RecordType::A,
                DNSClass::IN,
                Trust::Glue,
                Duration::ZERO,
            )
            .unwrap();
        assert_eq!(low[0].ttl, 60);
        assert_eq!(high[0].ttl, 600);
    }

    #[test]
    fn glue_never_overwrites_unexpired_authoritative_answer() {
        let cache = RecordCache::new(100, policy());
        cache.insert_rrset(
            &[a_record("ns.example.", 300, 1)],
            Trust::AnswerAuthoritative,
            Duration::ZERO,
        );
        assert!(!cache.insert_rrset(
            &[a_record("ns.example.", 300, 66)],
            Trust::Glue,
            Duration::ZERO
        ));
        let kept = cache
            .get_rrset(
                &name("ns.example."),
                RecordType::A,
                DNSClass::IN,
                Trust::Glue,
                Duration::ZERO,
            )
            .unwrap();
        assert_eq!(kept[0].data, RData::A(A(Ipv4Addr::new(192, 0, 2, 1))));
        // Once expired, lower-ranked data may take its place.
        assert!(cache.insert_rrset(
            &[a_record("ns.example.", 300, 66)],
            Trust::Glue,
            Duration::from_secs(301)
        ));
    }

    #[test]
    fn glue_is_not_served_when_answer_trust_is_required() {
        let cache = RecordCache::new(100, policy());
        cache.insert_rrset(
            &[a_record("ns.example.", 300, 1)],
            Trust::Glue,
            Duration::ZERO,
        );
        assert!(cache
            .get_rrset(
                &name("ns.example."),
                RecordType::A,
                DNSClass::IN,
                Trust::AnswerNonAuthoritative,
                Duration::ZERO
            )
            .is_none());
    }

    #[test]
    fn negative_ttl_is_soa_minimum_capped_by_soa_ttl_and_config() {
        let cache = RecordCache::new(100, policy());
        cache.insert_negative(
            &name("nx.example."),
            DNSClass::IN,
            None,
            &[soa_record("example.", 900, 120)],
            Duration::ZERO,
        );
        match cache.get_negative(
            &name("nx.example."),
            RecordType::AAAA,
            DNSClass::IN,
            Duration::from_secs(20),
        ) {
            // The entry lives min(TTL, MINIMUM) = 120 s; the SOA shown counts down its own TTL.
            Some(NegativeAnswer::NxDomain(authorities)) => assert_eq!(authorities[0].ttl, 880),
            other => panic!("expected cached NXDOMAIN, got {other:?}"),
        }
        assert!(cache
            .get_negative(
                &name("nx.example."),
                RecordType::A,
                DNSClass::IN,
                Duration::from_secs(120)
            )
            .is_none());
        let capped = RecordCache::new(
            100,
            TtlPolicy {
                min_ttl: 0,
                max_ttl: 86_400,
                max_negative_ttl: 10,
            },
        );
        capped.insert_negative(
            &name("a.example."),
            DNSClass::IN,
            Some(RecordType::MX),
            &[soa_record("example.", 900, 900)],
            Duration::ZERO,
        );
        assert!(capped
            .get_negative(
                &name("a.example."),
                RecordType::MX,
                DNSClass::IN,
                Duration::from_secs(9)
            )
            .is_some());
        assert!(capped
            .get_negative(
                &name("a.example."),
                RecordType::MX,
                DNSClass::IN,
                Duration::from_secs(10)
            )
            .is_none());
        assert!(capped
            .get_negative(
                &name("a.example."),
                RecordType::A,
                DNSClass::IN,
                Duration::ZERO
            )
            .is_none());
    }
}
