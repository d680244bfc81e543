//! The RRset cache: positive RRsets and negative answers, keyed by name, type and class.
//! Expiry follows the resolver's `Clock`, never the map's; only the scrubber's output is ever stored.
//!
//! ```text
//! insert_* ─▶ key.rs (lower-cased wire name + kind/type/class) ─▶ store.rs (bounded map)
//!                 entry.rs (the records in wire form, one allocation) ◀─ get_* (hickory records)
//!                                                                    ◀─ wire_view.rs (stored bytes)
//!                                                                    ◀─ zone_cuts.rs (NS probes)
//! ```

mod addresses;
mod chain_link;
pub mod dump;
mod entry;
mod key;
pub mod maintenance;
mod negative_soa;
mod sections;
mod store;
mod store_time;
mod validation;
pub(crate) mod wire_lookup;
mod wire_view;
mod zone_cuts;

use std::borrow::Borrow;
use std::time::Duration;

use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

pub(crate) use crate::cache::chain_link::ChainLink;
use crate::cache::entry::WireEntry;
use crate::cache::key::{EntryKind, KeyBuffer};
pub use crate::cache::sections::StoredSections;
use crate::cache::store::EntryStore;
pub use crate::cache::store_time::StoreTime;
pub use crate::cache::validation::{ReplyStates, RrsetState, Validation};
pub(crate) use crate::cache::wire_view::{CachedNegative, CachedRrset};
use crate::limits::{BOGUS_TTL, PREFETCH_EXPIRY_ADD};

/// How much an RRset is believed, RFC 2181 §5.4.1 (higher is better). Lower-ranked data never
/// replaces higher-ranked data that has not expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Trust {
    /// The additional and authority sections of non-authoritative replies (referrals).
    Glue = 1,
    /// The additional section of an authoritative reply: a zone's own servers giving their
    /// addresses outrank the parent's glue (Unbound `rrset_trust_add_AA` over `add_noAA`).
    AdditionalAuthoritative = 2,
    /// The answer section of a non-authoritative reply.
    AnswerNonAuthoritative = 3,
    /// The authority section of an authoritative reply.
    AuthorityAuthoritative = 4,
    /// The answer section of an authoritative reply.
    AnswerAuthoritative = 5,
}

/// TTL bounds applied on insertion, in seconds.
#[derive(Clone, Copy, Debug)]
pub struct TtlPolicy {
    pub min_ttl: u32,
    pub max_ttl: u32,
    pub max_negative_ttl: u32,
    /// Floor of a negative answer's TTL (Unbound `cache-min-negative-ttl`); 0 leaves the floor
    /// at `min_ttl`, as Unbound does when it is unset.
    pub min_negative_ttl: u32,
}

/// A negative answer from the cache, with the authority section (SOA, zone NS) to send.
#[derive(Clone, Debug, PartialEq)]
pub enum NegativeAnswer {
    NxDomain(Vec<Record>),
    NoData(Vec<Record>),
}

/// A cached RRset as the lookups hand it out: records with TTLs counted down, the RRSIGs
/// covering it (when asked for), and the validator's state.
#[derive(Clone, Debug, PartialEq)]
pub struct CachedSet {
    pub records: Vec<Record>,
    pub signatures: Vec<Record>,
    pub validation: Validation,
}

/// What happens to entries past their TTL (RFC 8767 serve-stale, Unbound `prefetch`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExpiryPolicy {
    /// Expired entries are kept (within the size bound and `max_stale_seconds`) for stale
    /// answers instead of dropped when read. Bogus data is dropped all the same.
    pub keep_expired: bool,
    /// Seconds past expiry that an entry may still be served stale; 0 means no limit.
    pub max_stale_seconds: u32,
    /// Unbound `serve-original-ttl`: records leave the cache with the TTL they were stored
    /// with (the server's, unclamped), not the one counting down; expiry is unchanged.
    pub original_ttl: bool,
}

/// Whether a lookup may return entries past their TTL (stale answers, RFC 8767).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freshness {
    /// Unexpired entries only.
    Fresh,
    /// Expired ones too, within the stale window, bogus ones never; their TTLs read 0.
    AllowStale,
}

pub struct RecordCache {
    entries: EntryStore,
    policy: TtlPolicy,
    expiry: ExpiryPolicy,
}

impl RecordCache {
    pub fn new(max_entries: u64, policy: TtlPolicy) -> Self {
        RecordCache {
            entries: EntryStore::new(max_entries),
            policy,
            expiry: ExpiryPolicy::default(),
        }
    }

    /// The same cache with `expiry` deciding what happens past a TTL.
    pub fn with_expiry(mut self, expiry: ExpiryPolicy) -> Self {
        self.expiry = expiry;
        self
    }

    fn key(
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        kind: EntryKind,
    ) -> Option<KeyBuffer> {
        KeyBuffer::for_name(name, record_type, class, kind)
    }

    fn clamp_ttl(&self, ttl: u32) -> u32 {
        ttl.clamp(
            self.policy.min_ttl,
            self.policy.max_ttl.max(self.policy.min_ttl),
        )
    }

    /// The entry under `key` if it has not expired; an expired one is dropped on the way
    /// unless it may still be served stale.
    fn live(&self, key: &KeyBuffer, now: Duration) -> Option<WireEntry> {
        self.readable(key, now, Freshness::Fresh)
    }

    /// `live`, or with `AllowStale` an expired entry still inside its stale window.
    fn readable(&self, key: &KeyBuffer, now: Duration, freshness: Freshness) -> Option<WireEntry> {
        let entry = self.entries.get(key.as_bytes())?;
        if entry.expires() > now {
            return Some(entry);
        }
        if !self.may_serve_stale(&entry, now) {
            self.entries.remove(key.as_bytes());
            return None;
        }
        (freshness == Freshness::AllowStale).then_some(entry)
    }

    /// RFC 8767 §4: expired data may answer for `max_stale_seconds` past its expiry (inclusive,
    /// as Unbound's `serve_expired_ttl < now` test); bogus data never (Unbound the same), nor
    /// data stored with TTL 0, which was only ever for its own transaction (RFC 1035 §3.2.1).
    fn may_serve_stale(&self, entry: &WireEntry, now: Duration) -> bool {
        if !self.expiry.keep_expired || entry.validation().is_bogus() || entry.ttl() == 0 {
            return false;
        }
        self.expiry.max_stale_seconds == 0
            || now
                <= entry.expires() + Duration::from_secs(u64::from(self.expiry.max_stale_seconds))
    }

    /// Whether the entry answering (`name`, `qtype`) — its RRset, CNAME or negative answer —
    /// is unexpired and in the last 10 % of its TTL (Unbound's `PREFETCH_TTL_CALC`: ttl - ttl/10).
    pub fn prefetch_due(&self, name: &Name, qtype: RecordType, now: Duration) -> bool {
        Self::key(name, qtype, DNSClass::IN, EntryKind::RrSet)
            .is_some_and(|key| self.prefetch_due_under(key, qtype, now))
    }

    /// `prefetch_due` for a name in uncompressed wire form (the wire fast path's question).
    pub(crate) fn prefetch_due_wire(&self, name: &[u8], qtype: RecordType, now: Duration) -> bool {
        KeyBuffer::for_wire_name(name, qtype, DNSClass::IN, EntryKind::RrSet)
            .is_some_and(|key| self.prefetch_due_under(key, qtype, now))
    }

    fn prefetch_due_under(&self, key: KeyBuffer, qtype: RecordType, now: Duration) -> bool {
        self.answering_entry(key, qtype, now)
            .is_some_and(|entry| in_last_tenth(&entry, now))
    }

    /// The unexpired entry that answers (`qtype` at `key`'s name): its RRset, a CNAME, or a
    /// negative answer, probed in that order.
    fn answering_entry(
        &self,
        mut key: KeyBuffer,
        qtype: RecordType,
        now: Duration,
    ) -> Option<WireEntry> {
        let probes = [
            (EntryKind::RrSet, qtype),
            (EntryKind::RrSet, RecordType::CNAME),
            (EntryKind::NxDomain, qtype),
            (EntryKind::NoData, qtype),
        ];
        probes.into_iter().find_map(|(kind, record_type)| {
            key.set_kind(kind, record_type);
            self.entries
                .get(key.as_bytes())
                .filter(|entry| entry.expires() > now)
        })
    }

    /// A refresh's leeway (Unbound `reply_and_prefetch`): the remaining TTL of the entry
    /// answering (`name`, `qtype`), none when it has expired (a stale answer's refresh), plus
    /// `PREFETCH_EXPIRY_ADD`. What the cache holds that expires within it counts as expired for
    /// the refresh (`StoreTime::leeway`, the walk's delegation search).
    pub fn prefetch_leeway(&self, name: &Name, qtype: RecordType, now: Duration) -> Duration {
        let remaining = Self::key(name, qtype, DNSClass::IN, EntryKind::RrSet)
            .and_then(|key| self.answering_entry(key, qtype, now))
            .map_or(Duration::ZERO, |entry| entry.expires().saturating_sub(now));
        remaining + PREFETCH_EXPIRY_ADD
    }

    /// Unbound `serve-expired-ttl-reset`: after a failed refresh, the expired entries answering
    /// (`name`, `qtype`) count as expired now, so their stale window starts again.
    pub fn restart_stale_window(&self, name: &Name, qtype: RecordType, now: Duration) {
        let Some(mut key) = Self::key(name, qtype, DNSClass::IN, EntryKind::RrSet) else {
            return;
        };
        for (kind, record_type) in [
            (EntryKind::RrSet, qtype),
            (EntryKind::RrSet, RecordType::CNAME),
            (EntryKind::NxDomain, qtype),
            (EntryKind::NoData, qtype),
        ] {
            key.set_kind(kind, record_type);
            let Some(entry) = self.entries.get(key.as_bytes()) else {
                continue;
            };
            if entry.expires() <= now && self.may_serve_stale(&entry, now) {
                let age = u32::try_from(now.saturating_sub(entry.stored_at()).as_secs())
                    .unwrap_or(u32::MAX);
                self.entries.insert(key.as_bytes(), entry.with_ttl(age));
            }
        }
    }

    /// Stores one RRset (all records share owner, type and class), not validated. Returns
    /// whether it was stored.
    pub fn insert_rrset<R: Borrow<Record>>(
        &self,
        records: &[R],
        trust: Trust,
        now: Duration,
    ) -> bool {
        self.insert_validated(records, &[], trust, Validation::UNCHECKED, None, now)
    }

    /// Stores one RRset with the RRSIGs covering it and its validation state. `ttl_cap` is the
    /// validator's bound (RFC 4035 §5.3.3: the RRSIG's original TTL and time to expiry). Bogus
    /// data lives `BOGUS_TTL` at most and never replaces unexpired secure data (Unbound).
    pub fn insert_validated<R: Borrow<Record>>(
        &self,
        records: &[R],
        signatures: &[&Record],
        trust: Trust,
        validation: Validation,
        ttl_cap: Option<u32>,
        now: Duration,
    ) -> bool {
        let time = StoreTime::at(now);
        self.insert_rrset_entry(records, signatures, trust, validation, ttl_cap, time)
    }

    /// `insert_validated` as a reply's store decides it (`StoreTime`): the cached copy is
    /// judged at `time.judged_at`, so a prefetch's answer renews what expires within its leeway
    /// (the same data at the same rank included, NS sets too), and an NS set arriving after the
    /// cached one lapsed, for a query sent before, does not bring it back.
    pub fn insert_stored<R: Borrow<Record>>(
        &self,
        records: &[R],
        signatures: &[&Record],
        trust: Trust,
        validation: Validation,
        ttl_cap: Option<u32>,
        time: StoreTime,
    ) -> bool {
        self.insert_rrset_entry(records, signatures, trust, validation, ttl_cap, time)
    }

    /// `insert_stored`: the entry's TTL counts from `time.received`.
    fn insert_rrset_entry<R: Borrow<Record>>(
        &self,
        records: &[R],
        signatures: &[&Record],
        trust: Trust,
        validation: Validation,
        ttl_cap: Option<u32>,
        time: StoreTime,
    ) -> bool {
        let now = time.received;
        let Some(first) = records.first().map(Borrow::borrow) else {
            return false;
        };
        let min_record_ttl = records
            .iter()
            .map(|record| record.borrow().ttl)
            .min()
            .unwrap_or(0);
        let mut ttl = self.clamp_ttl(min_record_ttl.min(ttl_cap.unwrap_or(u32::MAX)));
        if validation.is_bogus() {
            ttl = ttl.min(BOGUS_TTL);
        }
        let (owner, record_type, class) = (&first.name, first.record_type(), first.dns_class);
        let Some(mut key) = Self::key(owner, record_type, class, EntryKind::RrSet) else {
            return false;
        };
        // What expires before the judging moment counts as gone (Unbound `need_to_update_rrset`:
        // "item in cache has expired", against the store's `timenow`).
        let judged_at = time.judged_at(record_type);
        let held = self.entries.get(key.as_bytes());
        // Bogus data never replaces secure data still alive, a prefetch's leeway or not.
        let secure_alive = held
            .as_ref()
            .is_some_and(|held| held.expires() > now && held.validation().is_secure());
        if validation.is_bogus() && secure_alive {
            return false;
        }
        let existing = held.filter(|existing| existing.expires() > judged_at);
        if existing
            .as_ref()
            .is_some_and(|existing| existing.trust() > trust)
        {
            return false;
        }
        let Ok(entry) = WireEntry::rrset(records, now, ttl, trust, validation) else {
            return false;
        };
        // Unbound's `rrsetdata_equal` counts the RRSIGs too: the same records now with their
        // signatures (an answer's authority NS set after the referral's unsigned one) are news.
        key.set_kind(EntryKind::Signatures, record_type);
        let signatures_before = self
            .live(&key, now)
            .map_or(0, |signatures| signatures.count());
        key.set_kind(EntryKind::RrSet, record_type);
        let replacement = match existing {
            // Unbound `need_to_update_rrset`: the same data at the same rank changes nothing;
            // keeping the entry keeps its TTL counting down, as the first answer set it. (A
            // prefetch's answer renews an entry expiring within its leeway: that one is not
            // `existing` here.)
            Some(existing)
                if existing.trust() == trust
                    && existing.same_rdata(&entry)
                    && existing.validation() == validation
                    && signatures_before == signatures.len() =>
            {
                None
            }
            // An NS set replaces a cached one (changed, or from a better rank: the child's own
            // answer after the parent's referral) but never outlives it: a delegation counts
            // down as its parent gave it, so neither side can keep it alive by answering again
            // (ghost domains, CVE-2012-1191; Unbound: "do not 'stick' to owner that changes the
            // NS RRset", and NS "must not be refreshed from the child domain"). Only a set
            // expiring within a prefetch's leeway is renewed (Unbound's prefetch leeway).
            Some(existing) if record_type == RecordType::NS => {
                Some(entry.with_ttl(remaining_seconds(existing.expires(), now).min(ttl)))
            }
            _ => Some(entry),
        };
        let stored = replacement.is_some();
        if let Some(entry) = replacement {
            let ttl = entry.ttl();
            self.entries.insert(key.as_bytes(), entry);
            // A proof belongs to the data it came with; `insert_wildcard_proof` follows if the
            // new data is a wildcard expansion too.
            key.set_kind(EntryKind::WildcardProof, record_type);
            self.entries.remove(key.as_bytes());
            key.set_kind(EntryKind::Signatures, record_type);
            let signatures = WireEntry::rrset(signatures, now, ttl, trust, validation);
            match signatures {
                Ok(signatures) if signatures.count() > 0 => {
                    self.entries.insert(key.as_bytes(), signatures)
                }
                _ => self.entries.remove(key.as_bytes()),
            }
        }
        // The RRset exists: a cached NODATA or NXDOMAIN for the name is stale either way.
        for kind in [EntryKind::NoData, EntryKind::NxDomain] {
            key.set_kind(kind, record_type);
            self.entries.remove(key.as_bytes());
        }
        stored
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
        let key = Self::key(name, record_type, class, EntryKind::RrSet)?;
        self.rrset_under(&key, name, record_type, class, minimum_trust, now)
    }

    /// `get_rrset` for a key already built (kind RRset, `record_type`, `class`, `name`).
    fn rrset_under(
        &self,
        key: &KeyBuffer,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        minimum_trust: Trust,
        now: Duration,
    ) -> Option<Vec<Record>> {
        let entry = self.live(key, now)?;
        if entry.trust() < minimum_trust {
            return None;
        }
        entry.to_rrset(name, record_type, class, self.served_ttl(&entry, now))
    }

    /// The RRset under `key` (kind RRset) with its state and, when `with_signatures`, the
    /// RRSIGs stored beside it (`key` is re-kinded on the way and left so).
    #[allow(clippy::too_many_arguments)]
    fn cached_set_under(
        &self,
        key: &mut KeyBuffer,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        minimum_trust: Trust,
        with_signatures: bool,
        now: Duration,
        freshness: Freshness,
    ) -> Option<CachedSet> {
        let entry = self.readable(key, now, freshness)?;
        if entry.trust() < minimum_trust {
            return None;
        }
        let ttl = self.served_ttl(&entry, now);
        let records = entry.to_rrset(name, record_type, class, ttl)?;
        let signatures = if with_signatures {
            key.set_kind(EntryKind::Signatures, record_type);
            self.readable(key, now, freshness)
                .and_then(|signatures| {
                    let ttl = self.served_ttl(&signatures, now);
                    signatures.to_rrset(name, RecordType::RRSIG, class, ttl)
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Some(CachedSet {
            records,
            signatures,
            validation: entry.validation(),
        })
    }

    /// `get_rrset`, or with `AllowStale` an expired RRset inside its stale window (TTLs read 0).
    pub fn get_rrset_with(
        &self,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        minimum_trust: Trust,
        now: Duration,
        freshness: Freshness,
    ) -> Option<Vec<Record>> {
        let mut key = Self::key(name, record_type, class, EntryKind::RrSet)?;
        self.cached_set_under(
            &mut key,
            name,
            record_type,
            class,
            minimum_trust,
            false,
            now,
            freshness,
        )
        .map(|set| set.records)
    }

    /// `get_rrset_with` with the RRSIGs and the validation state (a response's optional
    /// sections: a DO client gets the signatures, a secure answer only secure additions).
    pub fn get_set_with(
        &self,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        minimum_trust: Trust,
        now: Duration,
        freshness: Freshness,
    ) -> Option<CachedSet> {
        let mut key = Self::key(name, record_type, class, EntryKind::RrSet)?;
        self.cached_set_under(
            &mut key,
            name,
            record_type,
            class,
            minimum_trust,
            true,
            now,
            freshness,
        )
    }

    /// `get_rrset` with the RRSIGs and the validation state (the validator's own lookups:
    /// a referral's DS, cached with its signatures).
    pub fn get_set(
        &self,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        minimum_trust: Trust,
        now: Duration,
    ) -> Option<CachedSet> {
        let mut key = Self::key(name, record_type, class, EntryKind::RrSet)?;
        self.cached_set_under(
            &mut key,
            name,
            record_type,
            class,
            minimum_trust,
            true,
            now,
            Freshness::Fresh,
        )
    }

    /// Records a referral's NS set or glue as the parent gave it.
    pub fn insert_parent_side<R: Borrow<Record>>(&self, records: &[R], now: Duration) {
        let Some(first) = records.first().map(Borrow::borrow) else {
            return;
        };
        let ttl = self.clamp_ttl(
            records
                .iter()
                .map(|record| record.borrow().ttl)
                .min()
                .unwrap_or(0),
        );
        let Some(key) = Self::key(
            &first.name,
            first.record_type(),
            first.dns_class,
            EntryKind::ParentSide,
        ) else {
            return;
        };
        if let Ok(entry) = WireEntry::rrset(records, now, ttl, Trust::Glue, Validation::UNCHECKED) {
            self.entries.insert(key.as_bytes(), entry);
        }
    }

    /// The parent-side NS set or glue for `name`, if unexpired.
    pub fn get_parent_side(
        &self,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        now: Duration,
    ) -> Vec<Record> {
        Self::key(name, record_type, class, EntryKind::ParentSide)
            .and_then(|key| self.entries.get(key.as_bytes()))
            .filter(|entry| entry.expires() > now)
            .and_then(|entry| {
                let ttl = self.served_ttl(&entry, now);
                entry.to_rrset(name, record_type, class, ttl)
            })
            .unwrap_or_default()
    }

    /// Trust of the cached, unexpired RRset, if any.
    pub fn trust_of(
        &self,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        now: Duration,
    ) -> Option<Trust> {
        let key = Self::key(name, record_type, class, EntryKind::RrSet)?;
        let entry = self.entries.get(key.as_bytes())?;
        (entry.expires() > now).then_some(entry.trust())
    }

    /// How long a negative answer with these authority records lives, in seconds: RFC 2308 §5
    /// min(SOA TTL, SOA MINIMUM), raised to `min_negative_ttl` (or `min_ttl` when that is 0),
    /// capped at `max_negative_ttl` (Unbound `cache-min-negative-ttl`, `cache-max-negative-ttl`);
    /// 0 without an SOA (not cached) unless a floor raises it.
    pub fn negative_ttl(&self, authorities: &[Record]) -> u32 {
        let soa_ttl = authorities.iter().find_map(|record| match &record.data {
            RData::SOA(soa) => Some(record.ttl.min(soa.minimum)),
            _ => None,
        });
        let floor = match self.policy.min_negative_ttl {
            0 => self.policy.min_ttl,
            floor => floor,
        };
        soa_ttl
            .unwrap_or(0)
            .max(floor)
            .min(self.policy.max_negative_ttl)
    }

    /// RFC 2308 §5: caches NXDOMAIN (record_type `None`) or NODATA for min(SOA TTL, SOA MINIMUM),
    /// with the authority records to send along: the SOA with that TTL, the zone's NS with
    /// their own (at least that long), as Unbound's message cache does. Without an SOA the TTL is 0 (RFC 2308 §5: not cached)
    /// unless the operator's `min_ttl` raises it, as it raises every other TTL.
    pub fn insert_negative(
        &self,
        name: &Name,
        class: DNSClass,
        record_type: Option<RecordType>,
        authorities: &[Record],
        now: Duration,
    ) {
        self.insert_negative_validated(
            name,
            class,
            record_type,
            authorities,
            Validation::UNCHECKED,
            now,
        );
    }

    /// `insert_negative` with the validator's state; the NSEC/NSEC3 proofs and their RRSIGs
    /// are among `authorities`. Bogus answers live `BOGUS_TTL` at most.
    pub fn insert_negative_validated(
        &self,
        name: &Name,
        class: DNSClass,
        record_type: Option<RecordType>,
        authorities: &[Record],
        validation: Validation,
        now: Duration,
    ) {
        let mut ttl = self.negative_ttl(authorities);
        if validation.is_bogus() {
            ttl = ttl.min(BOGUS_TTL);
        }
        if ttl == 0 {
            return;
        }
        let key = match record_type {
            Some(record_type) => Self::key(name, record_type, class, EntryKind::NoData),
            None => Self::key(name, RecordType::A, class, EntryKind::NxDomain),
        };
        let Some(key) = key else { return };
        let max_ttl = self.policy.max_ttl.max(self.policy.min_ttl);
        let stored: Vec<Record> = authorities
            .iter()
            .map(|record| {
                let mut stored = record.clone();
                // Served for `ttl` seconds at most, so never shown with less than that left;
                // the SOA shows the negative TTL itself (RFC 2308 §5, as Unbound).
                stored.ttl = if record.record_type() == RecordType::SOA {
                    ttl
                } else {
                    stored.ttl.clamp(ttl, max_ttl.max(ttl))
                };
                stored
            })
            .collect();
        if let Ok(entry) =
            WireEntry::records(&stored, now, ttl, Trust::AnswerAuthoritative, validation)
        {
            self.entries.insert(key.as_bytes(), entry);
        }
        if let Some(soa) = stored
            .iter()
            .find(|record| record.record_type() == RecordType::SOA)
        {
            self.remember_negative_soa(soa, ttl, validation, now);
        }
    }

    /// A referral without DS for its child zone: the NSEC/NSEC3 records (and RRSIGs) that
    /// claim so, kept as an unchecked NODATA for (zone, DS) for the validator (Unbound checks
    /// a referral's proof of no DS the same way, `val_nsec_prove_nodata_dsreply`). They live
    /// as long as the shortest of them, within the negative TTL bound.
    pub fn insert_referral_denial(
        &self,
        zone: &Name,
        class: DNSClass,
        records: &[Record],
        now: Duration,
    ) {
        let Some(ttl) = records.iter().map(|record| record.ttl).min() else {
            return;
        };
        let ttl = self.clamp_ttl(ttl).min(self.policy.max_negative_ttl);
        if ttl == 0 {
            return;
        }
        let Some(key) = Self::key(zone, RecordType::DS, class, EntryKind::NoData) else {
            return;
        };
        if let Ok(entry) = WireEntry::records(records, now, ttl, Trust::Glue, Validation::UNCHECKED)
        {
            self.entries.insert(key.as_bytes(), entry);
        }
    }

    /// The proof (NSEC/NSEC3 and their RRSIGs) that the cached RRset (`owner`, `record_type`)
    /// is a wildcard expansion with no closer name (RFC 4035 §3.1.3.3), kept beside it for DO
    /// clients. It lives no longer than the RRset's entry, nor than its own records' TTLs.
    pub fn insert_wildcard_proof(
        &self,
        owner: &Name,
        record_type: RecordType,
        class: DNSClass,
        proof: &[Record],
        now: Duration,
    ) {
        let Some(mut key) = Self::key(owner, record_type, class, EntryKind::RrSet) else {
            return;
        };
        let Some(rrset) = self.live(&key, now) else {
            return;
        };
        let Some(proof_ttl) = proof.iter().map(|record| record.ttl).min() else {
            return;
        };
        let ttl = self
            .clamp_ttl(proof_ttl)
            .min(remaining_seconds(rrset.expires(), now));
        key.set_kind(EntryKind::WildcardProof, record_type);
        if ttl == 0 {
            self.entries.remove(key.as_bytes());
            return;
        }
        if let Ok(entry) = WireEntry::records(proof, now, ttl, rrset.trust(), rrset.validation()) {
            self.entries.insert(key.as_bytes(), entry);
        }
    }

    /// The wildcard proof stored beside the RRset (`name`, `record_type`), TTLs counted down.
    pub fn wildcard_proof(
        &self,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        now: Duration,
        freshness: Freshness,
    ) -> Option<Vec<Record>> {
        let key = Self::key(name, record_type, class, EntryKind::WildcardProof)?;
        let entry = self.readable(&key, now, freshness)?;
        entry.to_records(self.served_age(&entry, now))
    }

    /// A cached negative answer for this name and type, authority TTLs counted down.
    pub fn get_negative(
        &self,
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        now: Duration,
    ) -> Option<NegativeAnswer> {
        let mut key = Self::key(name, record_type, class, EntryKind::NxDomain)?;
        self.negative_under(&mut key, record_type, now, Freshness::Fresh)
            .map(|(negative, _)| negative)
    }

    /// `get_negative` with the name's key already built (any kind; it is re-kinded here).
    fn negative_under(
        &self,
        key: &mut KeyBuffer,
        record_type: RecordType,
        now: Duration,
        freshness: Freshness,
    ) -> Option<(NegativeAnswer, Validation)> {
        for kind in [EntryKind::NxDomain, EntryKind::NoData] {
            key.set_kind(kind, record_type);
            let Some(entry) = self.readable(key, now, freshness) else {
                continue;
            };
            let mut records = entry.to_records(self.served_age(&entry, now))?;
            self.renew_soa_records(&mut records, entry.stored_at(), now);
            let negative = if kind == EntryKind::NxDomain {
                NegativeAnswer::NxDomain(records)
            } else {
                NegativeAnswer::NoData(records)
            };
            return Some((negative, entry.validation()));
        }
        None
    }

    /// The TTL an entry's records are sent with now: what is left of it, or with
    /// `original_ttl` the TTL it was stored with.
    pub(crate) fn served_ttl(&self, entry: &WireEntry, now: Duration) -> u32 {
        if self.expiry.original_ttl {
            entry.ttl()
        } else {
            remaining_seconds(entry.expires(), now)
        }
    }

    /// Seconds to take off the TTLs of an entry's whole records (a negative answer's SOA and
    /// NS): its age, or nothing with `original_ttl`.
    fn served_age(&self, entry: &WireEntry, now: Duration) -> u32 {
        if self.expiry.original_ttl {
            0
        } else {
            u32::try_from(now.saturating_sub(entry.stored_at()).as_secs()).unwrap_or(u32::MAX)
        }
    }

    /// Drops everything (tests and operator flush).
    pub fn clear(&self) {
        self.entries.clear();
    }

    /// How many entries (RRsets and negative answers) are held.
    pub fn entry_count(&self) -> u64 {
        u64::try_from(self.entries.len()).unwrap_or(u64::MAX)
    }
}

/// TTL bounds for the cache's unit tests: nothing clamped below a day.
#[cfg(test)]
pub(crate) fn test_policy() -> TtlPolicy {
    TtlPolicy {
        min_ttl: 0,
        max_ttl: 86_400,
        max_negative_ttl: 3_600,
        min_negative_ttl: 0,
    }
}

/// Whether an unexpired entry is in the last 10 % of its TTL (Unbound's prefetch point).
fn in_last_tenth(entry: &WireEntry, now: Duration) -> bool {
    let ttl = entry.ttl();
    let due = entry.stored_at() + Duration::from_secs(u64::from(ttl - ttl / 10));
    now >= due && entry.expires() > now
}

pub(crate) fn remaining_seconds(expires: Duration, now: Duration) -> u32 {
    u32::try_from(expires.saturating_sub(now).as_secs()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, SOA, TXT};
    use std::net::Ipv4Addr;

    fn policy() -> TtlPolicy {
        test_policy()
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
                min_negative_ttl: 0,
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
    fn the_same_records_now_with_their_rrsigs_replace_the_unsigned_entry() {
        use hickory_proto::dnssec::rdata::{sig::SigInput, DNSSECRData, RRSIG};
        use hickory_proto::dnssec::Algorithm;
        use hickory_proto::rr::SerialNumber;
        let cache = RecordCache::new(100, policy());
        let records = [a_record("ns.example.", 300, 1)];
        let input = SigInput {
            type_covered: RecordType::A,
            algorithm: Algorithm::ECDSAP256SHA256,
            num_labels: 2,
            original_ttl: 300,
            sig_expiration: SerialNumber::new(2),
            sig_inception: SerialNumber::new(1),
            key_tag: 1,
            signer_name: name("example."),
        };
        let signature = Record::from_rdata(
            name("ns.example."),
            300,
            RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(input, vec![1; 64]))),
        );
        let now = Duration::from_secs(10);
        let unchecked = Validation::UNCHECKED;
        assert!(cache.insert_validated(&records, &[], Trust::Glue, unchecked, None, now));
        // Unchanged: the entry stays as the first copy stored it.
        assert!(!cache.insert_validated(&records, &[], Trust::Glue, unchecked, None, now));
        assert!(cache.insert_validated(&records, &[&signature], Trust::Glue, unchecked, None, now));
        let set = cache
            .get_set(
                &name("ns.example."),
                RecordType::A,
                DNSClass::IN,
                Trust::Glue,
                now,
            )
            .unwrap();
        assert_eq!(set.signatures, vec![signature]);
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
    fn rrset_too_large_for_any_message_is_not_stored() {
        let cache = RecordCache::new(100, policy());
        let owner = name("big.example.");
        let text = "x".repeat(255);
        let records: Vec<Record> = (0..300)
            .map(|index| {
                Record::from_rdata(
                    owner.clone(),
                    60,
                    RData::TXT(TXT::new(vec![format!("{index}"), text.clone()])),
                )
            })
            .collect();
        assert!(!cache.insert_rrset(&records, Trust::AnswerAuthoritative, Duration::ZERO));
        assert_eq!(cache.entry_count(), 0);
        assert!(cache.insert_rrset(&records[..10], Trust::AnswerAuthoritative, Duration::ZERO));
        let kept = cache
            .get_rrset(
                &owner,
                RecordType::TXT,
                DNSClass::IN,
                Trust::Glue,
                Duration::ZERO,
            )
            .unwrap();
        assert_eq!(kept.len(), 10);
        assert_eq!(kept[9].data, records[9].data);
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
                min_negative_ttl: 0,
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
    fn same_rrset_at_same_rank_keeps_the_entry_and_its_countdown() {
        let cache = RecordCache::new(100, policy());
        let set = [
            a_record("www.example.", 300, 1),
            a_record("www.example.", 300, 2),
        ];
        assert!(cache.insert_rrset(&set, Trust::AnswerAuthoritative, Duration::ZERO));
        let reordered = [set[1].clone(), set[0].clone()];
        assert!(!cache.insert_rrset(
            &reordered,
            Trust::AnswerAuthoritative,
            Duration::from_secs(100)
        ));
        let kept = cache
            .get_rrset(
                &name("www.example."),
                RecordType::A,
                DNSClass::IN,
                Trust::Glue,
                Duration::from_secs(100),
            )
            .unwrap();
        assert_eq!(kept[0].ttl, 200);
        assert_eq!(kept[0].data, set[0].data);
        // Different data at the same rank does replace it.
        assert!(cache.insert_rrset(
            &[a_record("www.example.", 300, 9)],
            Trust::AnswerAuthoritative,
            Duration::from_secs(100)
        ));
        let replaced = cache
            .get_rrset(
                &name("www.example."),
                RecordType::A,
                DNSClass::IN,
                Trust::Glue,
                Duration::from_secs(100),
            )
            .unwrap();
        assert_eq!(replaced.len(), 1);
        assert_eq!(replaced[0].ttl, 300);
    }

    #[test]
    fn changed_ns_set_at_same_rank_keeps_the_old_expiry() {
        let cache = RecordCache::new(100, policy());
        let ns = |target: &str| {
            Record::from_rdata(
                name("example."),
                3_600,
                RData::NS(hickory_proto::rr::rdata::NS(name(target))),
            )
        };
        assert!(cache.insert_rrset(&[ns("a.ns.example.")], Trust::Glue, Duration::ZERO));
        assert!(cache.insert_rrset(
            &[ns("b.ns.example.")],
            Trust::Glue,
            Duration::from_secs(3_000)
        ));
        let now = Duration::from_secs(3_000);
        let held = cache
            .get_rrset(
                &name("example."),
                RecordType::NS,
                DNSClass::IN,
                Trust::Glue,
                now,
            )
            .unwrap();
        assert_eq!(held[0].data, ns("b.ns.example.").data);
        assert_eq!(held[0].ttl, 600);
    }

    #[test]
    fn the_childs_own_ns_answer_does_not_outlive_the_parents_referral() {
        let cache = RecordCache::new(100, policy());
        let ns = |ttl: u32| {
            Record::from_rdata(
                name("mid.tld."),
                ttl,
                RData::NS(hickory_proto::rr::rdata::NS(name("ns.mid.tld."))),
            )
        };
        // The parent's referral: 5 s; the child's authoritative answer a second later: a day.
        assert!(cache.insert_rrset(&[ns(5)], Trust::Glue, Duration::ZERO));
        assert!(cache.insert_rrset(
            &[ns(86_400)],
            Trust::AnswerAuthoritative,
            Duration::from_secs(1)
        ));
        let held = |now| {
            cache.get_rrset(
                &name("mid.tld."),
                RecordType::NS,
                DNSClass::IN,
                Trust::Glue,
                now,
            )
        };
        let held_now = held(Duration::from_secs(1)).unwrap();
        assert_eq!(held_now[0].ttl, 4, "the better rank, the parent's expiry");
        assert!(held(Duration::from_secs(6)).is_none());
        // Once expired, the child's answer stands on its own TTL again.
        assert!(cache.insert_rrset(
            &[ns(86_400)],
            Trust::AnswerAuthoritative,
            Duration::from_secs(10)
        ));
        assert_eq!(held(Duration::from_secs(10)).unwrap()[0].ttl, 86_400);
    }

    /// A prefetch's store at `now` with `leeway` (its query began at `now`).
    fn prefetch_at(now: Duration, leeway: u64) -> StoreTime {
        StoreTime {
            leeway: Duration::from_secs(leeway),
            ..StoreTime::at(now)
        }
    }

    #[test]
    fn only_a_prefetch_renews_an_equal_rrset_expiring_within_its_leeway() {
        let cache = RecordCache::new(100, policy());
        let set = [a_record("www.example.", 300, 1)];
        let trust = Trust::AnswerAuthoritative;
        let unchecked = Validation::UNCHECKED;
        assert!(cache.insert_rrset(&set, trust, Duration::ZERO));
        let late = Duration::from_secs(280);
        let ttl = |at: Duration| {
            cache
                .get_rrset(
                    &name("www.example."),
                    RecordType::A,
                    DNSClass::IN,
                    trust,
                    at,
                )
                .map(|records| records[0].ttl)
        };
        // An ordinary answer (or a referral) leaves the entry counting down.
        assert!(!cache.insert_rrset(&set, trust, late));
        assert_eq!(ttl(late), Some(20));
        // Expiring after the leeway, the entry is kept as it is by a prefetch too.
        let early = Duration::from_secs(200);
        assert!(!cache.insert_stored(&set, &[], trust, unchecked, None, prefetch_at(early, 60)));
        assert_eq!(
            cache.prefetch_leeway(&name("www.example."), RecordType::A, late),
            Duration::from_secs(80)
        );
        assert!(cache.insert_stored(&set, &[], trust, unchecked, None, prefetch_at(late, 80)));
        assert_eq!(ttl(late), Some(300));
    }

    #[test]
    fn a_prefetchs_bogus_answer_does_not_replace_secure_data_within_its_leeway() {
        let cache = RecordCache::new(100, policy());
        let set = [a_record("www.example.", 300, 1)];
        let trust = Trust::AnswerAuthoritative;
        assert!(cache.insert_validated(&set, &[], trust, Validation::SECURE, None, Duration::ZERO));
        let late = Duration::from_secs(280);
        let bogus = [a_record("www.example.", 300, 2)];
        let verdict = Validation {
            security: Some(crate::dnssec::Security::Bogus),
            reason: Some(crate::dnssec::Reason::SignatureInvalid),
        };
        let time = prefetch_at(late, 80);
        assert!(!cache.insert_stored(&bogus, &[], trust, verdict, None, time));
        let held = cache
            .get_rrset(
                &name("www.example."),
                RecordType::A,
                DNSClass::IN,
                trust,
                late,
            )
            .unwrap();
        assert_eq!(held[0].data, set[0].data);
    }

    #[test]
    fn a_changed_ns_set_keeps_the_old_expiry_unless_it_lapses_within_a_prefetchs_leeway() {
        let cache = RecordCache::new(100, policy());
        let ns = |target: &str| {
            Record::from_rdata(
                name("example."),
                300,
                RData::NS(hickory_proto::rr::rdata::NS(name(target))),
            )
        };
        let unchecked = Validation::UNCHECKED;
        let held = |at: Duration| {
            cache
                .get_rrset(
                    &name("example."),
                    RecordType::NS,
                    DNSClass::IN,
                    Trust::Glue,
                    at,
                )
                .unwrap()
        };
        let store = |target: &str, time: StoreTime| {
            cache.insert_stored(&[ns(target)], &[], Trust::Glue, unchecked, None, time)
        };
        assert!(cache.insert_rrset(&[ns("a.ns.example.")], Trust::Glue, Duration::ZERO));
        // The same set, due within the leeway: renewed.
        let late = Duration::from_secs(280);
        assert!(store("a.ns.example.", prefetch_at(late, 80)));
        assert_eq!(held(late)[0].ttl, 300);
        // A changed set, the old one alive past the leeway: held to the old expiry (580).
        let mid = Duration::from_secs(400);
        assert!(store("b.ns.example.", prefetch_at(mid, 60)));
        assert_eq!(held(mid)[0].data, ns("b.ns.example.").data);
        assert_eq!(held(mid)[0].ttl, 180);
        // A changed set, the old one lapsing within the leeway: the new set on its own TTL.
        let later = Duration::from_secs(560);
        assert!(store("c.ns.example.", prefetch_at(later, 60)));
        assert_eq!(held(later)[0].data, ns("c.ns.example.").data);
        assert_eq!(held(later)[0].ttl, 300);
    }

    #[test]
    fn an_ns_set_answered_after_it_lapsed_to_a_query_sent_before_stays_lapsed() {
        // iter_ghost_timewindow: asked at 3595 while the child's NS set lived (to 3600), the
        // child answers at 3605 with the same set: the delegation is not brought back.
        let cache = RecordCache::new(100, policy());
        let set = [Record::from_rdata(
            name("example."),
            3_600,
            RData::NS(hickory_proto::rr::rdata::NS(name("ns.example."))),
        )];
        let trust = Trust::AuthorityAuthoritative;
        let unchecked = Validation::UNCHECKED;
        assert!(cache.insert_rrset(&set, trust, Duration::ZERO));
        let arrived = Duration::from_secs(3_605);
        let time = StoreTime {
            query_started: Duration::from_secs(3_595),
            ..StoreTime::at(arrived)
        };
        assert!(!cache.insert_stored(&set, &[], trust, unchecked, None, time));
        let held = |at| cache.get_rrset(&name("example."), RecordType::NS, DNSClass::IN, trust, at);
        assert!(
            held(arrived).is_none(),
            "the lapsed delegation stays lapsed"
        );
        // A query begun after the lapse stores the set anew.
        assert!(cache.insert_stored(&set, &[], trust, unchecked, None, StoreTime::at(arrived)));
        assert!(held(arrived).is_some());
    }

    #[test]
    fn an_authoritative_replys_additional_data_replaces_referral_glue() {
        let cache = RecordCache::new(100, policy());
        let owner = name("ns.example.");
        assert!(cache.insert_rrset(
            &[a_record("ns.example.", 86_400, 1)],
            Trust::Glue,
            Duration::ZERO
        ));
        assert!(cache.insert_rrset(
            &[a_record("ns.example.", 300, 1)],
            Trust::AdditionalAuthoritative,
            Duration::ZERO
        ));
        let held = cache
            .get_rrset(
                &owner,
                RecordType::A,
                DNSClass::IN,
                Trust::Glue,
                Duration::ZERO,
            )
            .unwrap();
        assert_eq!(held[0].ttl, 300);
        // Glue is not an answer, whoever gave it.
        assert!(cache
            .get_rrset(
                &owner,
                RecordType::A,
                DNSClass::IN,
                Trust::AnswerNonAuthoritative,
                Duration::ZERO
            )
            .is_none());
        assert!(!cache.insert_rrset(
            &[a_record("ns.example.", 86_400, 1)],
            Trust::Glue,
            Duration::ZERO
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
    fn min_negative_ttl_raises_negative_answers_in_place_of_min_ttl() {
        let floors = |min_ttl, min_negative_ttl| {
            RecordCache::new(
                100,
                TtlPolicy {
                    min_ttl,
                    max_ttl: 86_400,
                    max_negative_ttl: 3_600,
                    min_negative_ttl,
                },
            )
            .negative_ttl(&[soa_record("example.", 1, 1)])
        };
        assert_eq!(floors(5, 10), 10);
        assert_eq!(floors(5, 0), 5);
        // Below the cache-min-ttl: Unbound's way to honour the upstream TTL despite that floor.
        assert_eq!(floors(20, 1), 1);
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
            // The entry lives min(TTL, MINIMUM) = 120 s, and the SOA shows that TTL counting
            // down (RFC 2308 §5; Unbound the same).
            Some(NegativeAnswer::NxDomain(authorities)) => assert_eq!(authorities[0].ttl, 100),
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
                min_negative_ttl: 0,
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

    #[test]
    fn bogus_data_lives_a_minute_and_never_replaces_secure_data() {
        use crate::dnssec::{Reason, Security};
        let cache = RecordCache::new(100, policy());
        let bogus = Validation {
            security: Some(Security::Bogus),
            reason: Some(Reason::SignatureInvalid),
        };
        let trust = Trust::AnswerAuthoritative;
        let set = [a_record("bad.example.", 3_600, 1)];
        assert!(cache.insert_validated(&set, &[], trust, bogus, None, Duration::ZERO));
        let read = |at: u64| {
            cache.get_set(
                &name("bad.example."),
                RecordType::A,
                DNSClass::IN,
                Trust::Glue,
                Duration::from_secs(at),
            )
        };
        assert_eq!(read(59).unwrap().validation, bogus);
        assert!(read(u64::from(BOGUS_TTL)).is_none());
        let good = [a_record("good.example.", 3_600, 1)];
        assert!(cache.insert_validated(
            &good,
            &[],
            trust,
            Validation::SECURE,
            Some(300),
            Duration::ZERO
        ));
        let spoofed = [a_record("good.example.", 3_600, 66)];
        assert!(!cache.insert_validated(&spoofed, &[], trust, bogus, None, Duration::ZERO));
        let kept = cache
            .get_set(
                &name("good.example."),
                RecordType::A,
                DNSClass::IN,
                Trust::Glue,
                Duration::ZERO,
            )
            .unwrap();
        assert_eq!(kept.validation, Validation::SECURE);
        // The signatures' bound (RFC 4035 §5.3.3) caps the stored TTL.
        assert_eq!(kept.records[0].ttl, 300);
    }
}
