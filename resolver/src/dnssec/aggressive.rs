//! Aggressive use of the DNSSEC-validated cache (RFC 8198, Unbound `aggressive-nsec`): secure NSEC,
//! NSEC3 and wildcard RRsets kept per zone, and the answers they prove made without a query.
//!
//! ```text
//! validator: a secure denial or wildcard proof ─▶ remember (per signer zone: SOA, NSEC by owner,
//!              NSEC3 by hash, wildcard RRsets; each usable for its TTL and signatures' bound)
//! lookup miss (validating, no CD) ─▶ synthesize: closest kept zone ─▶ the few spans a proof needs
//!   ─▶ nsec.rs / nsec3.rs decide ─▶ NXDOMAIN / NODATA (within min(SOA TTL, SOA MINIMUM) of the
//!      span's arrival, RFC 8198 §5.4, RFC 9077) or a wildcard expansion (§5.3) ─▶ as a walk's result
//! ```
//!
//! Nothing here verifies a signature, and nothing unverified enters.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::dnssec::Nsec3HashAlgorithm;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::dnssec::denial::Proof;
use crate::dnssec::signature::{rrsig_of, signatures_for};
use crate::dnssec::Verdict;
use crate::dnssec::{nsec, nsec3};
use crate::iterate::budget::Budget;
use crate::iterate::states::WalkResult;
use crate::limits::{MAX_AGGRESSIVE_NSEC3_DEPTH, MAX_AGGRESSIVE_NSEC_SPANS, MAX_NSEC3_ITERATIONS};
use crate::resolver::Resolver;

/// A secure RRset from a validated reply: its records, the RRSIGs over it, and the validator's
/// TTL bound (RRSIG original TTL and time to expiration, RFC 4035 §5.3.3).
pub(crate) struct SecureRrset<'a> {
    pub records: &'a [Record],
    pub signatures: Vec<&'a Record>,
    pub ttl_cap: u32,
}

/// An answer made from kept records, TTLs counted down.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Synthesized {
    /// NXDOMAIN: the SOA and the NSEC or NSEC3 records (with RRSIGs) that prove it.
    NameError(Vec<Record>),
    /// NODATA, likewise.
    NoData(Vec<Record>),
    /// RFC 8198 §5.3: a kept wildcard RRset expanded to the query name (its RRSIGs too, whose
    /// labels field tells validators so), and the NSEC proving no closer name exists.
    Expansion {
        records: Vec<Record>,
        proof: Vec<Record>,
    },
}

/// What kept records prove about a name, with the spans that prove it.
enum Proved<'k> {
    NameError(Vec<&'k Kept>),
    NoData(Vec<&'k Kept>),
    /// The kept wildcard RRset that answers, and the spans proving no closer name exists.
    Expansion(&'k Kept, Vec<&'k Kept>),
}

/// Types a wildcard is never synthesized for: meta types, and DNSSEC types whose RRsets belong
/// to the name itself.
fn expandable(qtype: RecordType) -> bool {
    !matches!(
        qtype,
        RecordType::ANY | RecordType::DS | RecordType::RRSIG | RecordType::NSEC | RecordType::NSEC3
    )
}

/// One kept RRset (an SOA, an NSEC or an NSEC3 and the RRSIGs over it), TTLs as received.
#[derive(Clone)]
struct Kept {
    records: Vec<Record>,
    stored_at: Duration,
    /// Past this the records prove nothing any more (RFC 8198 §5.4, RFC 9077 §3.2).
    usable_until: Duration,
    /// Insertion number, matched against `order` so a replaced entry is not evicted for its
    /// predecessor.
    sequence: u64,
}

impl Kept {
    fn usable(&self, now: Duration) -> bool {
        self.usable_until > now
    }

    /// The data record (not an RRSIG).
    fn data(&self) -> Option<&Record> {
        self.records
            .iter()
            .find(|record| record.record_type() != RecordType::RRSIG)
    }

    /// The records with the seconds since they were stored taken off their TTLs.
    fn counted_down(&self, now: Duration) -> impl Iterator<Item = Record> + '_ {
        let elapsed =
            u32::try_from(now.saturating_sub(self.stored_at).as_secs()).unwrap_or(u32::MAX);
        self.records.iter().map(move |record| {
            let mut record = record.clone();
            record.ttl = record.ttl.saturating_sub(elapsed);
            record
        })
    }
}

/// A zone's NSEC3 chain: one parameter set (RFC 5155 §7.3, the NSEC3PARAM's), spans by owner hash.
struct Nsec3Chain {
    salt: Vec<u8>,
    iterations: u16,
    spans: BTreeMap<Vec<u8>, Kept>,
}

/// What is kept of one signed zone.
#[derive(Default)]
struct ZoneSpans {
    soa: Option<Kept>,
    nsecs: BTreeMap<Name, Kept>,
    nsec3: Option<Nsec3Chain>,
    /// Secure wildcard RRsets (owner `*.parent`, lower case) seen expanded in answers.
    wildcards: HashMap<(Name, RecordType), Kept>,
    /// The zone's negative TTL (RFC 2308 §5) from the kept SOA: how long after it came a span
    /// may prove NXDOMAIN or NODATA.
    negative_limit: Duration,
}

impl ZoneSpans {
    fn is_empty(&self) -> bool {
        self.nsecs.is_empty()
            && self.wildcards.is_empty()
            && self
                .nsec3
                .as_ref()
                .is_none_or(|chain| chain.spans.is_empty())
    }
}

/// Where a kept span sits, for eviction.
#[derive(Clone, PartialEq, Eq)]
enum SpanKey {
    Nsec(Name),
    Nsec3(Vec<u8>),
    Wildcard(Name, RecordType),
}

#[derive(Default)]
struct Spans {
    zones: HashMap<Name, ZoneSpans>,
    /// Spans in insertion order (zone, key, sequence): the oldest goes first when full.
    order: VecDeque<(Name, SpanKey, u64)>,
    held: usize,
    sequence: u64,
}

/// The kept proofs of every zone, bounded by `MAX_AGGRESSIVE_NSEC_SPANS` in all.
#[derive(Default)]
pub(crate) struct DenialSpans {
    spans: Mutex<Spans>,
}

/// The signer of an RRset: the zone named by its RRSIGs, if it encloses the owner.
fn signer_of(owner: &Name, signatures: &[&Record]) -> Option<Name> {
    signatures
        .iter()
        .filter_map(|signature| rrsig_of(signature))
        .map(|rrsig| rrsig.input().signer_name.clone())
        .find(|signer| signer.zone_of(owner))
        .map(|signer| signer.to_lowercase())
}

/// RFC 5155 §3: the owner hash an NSEC3's first label spells in base32hex.
fn owner_hash(owner: &Name) -> Option<Vec<u8>> {
    let label = owner.iter().next()?;
    data_encoding::BASE32HEX_NOPAD
        .decode(label.to_ascii_uppercase().as_slice())
        .ok()
}

fn wildcard_of(parent: &Name) -> Option<Name> {
    Name::from_ascii("*").ok()?.append_domain(parent).ok()
}

impl DenialSpans {
    /// Keeps the secure SOA, NSEC and NSEC3 RRsets of one validated reply whose denial (or
    /// wildcard proof) held. An NSEC or NSEC3 is usable for min(its TTL, its signatures' bound,
    /// `max_negative_ttl`), and proves a negative answer only within the zone's negative TTL
    /// (min(SOA TTL, SOA MINIMUM)) of when it came: RFC 8198 §5.4, RFC 9077 §3.2 (RFC 2308 §5).
    pub(crate) fn remember(
        &self,
        rrsets: &[SecureRrset<'_>],
        max_negative_ttl: u32,
        now: Duration,
    ) {
        let Ok(mut spans) = self.spans.lock() else {
            return;
        };
        // The SOAs first, so the spans of the same reply find theirs.
        let mut soa_zones: Vec<Name> = Vec::new();
        for rrset in rrsets {
            let Some(first) = rrset.records.first() else {
                continue;
            };
            let RData::SOA(soa) = &first.data else {
                continue;
            };
            let Some(zone) = signer_of(&first.name, &rrset.signatures) else {
                continue;
            };
            if zone != first.name {
                continue;
            }
            let ttl = first.ttl.min(rrset.ttl_cap);
            let limit = ttl.min(soa.minimum).min(max_negative_ttl);
            if limit == 0 {
                continue;
            }
            let mut records = vec![first.clone()];
            records.extend(rrset.signatures.iter().map(|record| (*record).clone()));
            let sequence = spans.next_sequence();
            soa_zones.push(zone.clone());
            let zone_spans = spans.zones.entry(zone).or_default();
            zone_spans.soa = Some(Kept {
                records,
                stored_at: now,
                usable_until: now + Duration::from_secs(u64::from(ttl)),
                sequence,
            });
            zone_spans.negative_limit = Duration::from_secs(u64::from(limit));
        }
        for rrset in rrsets {
            let Some(first) = rrset.records.first() else {
                continue;
            };
            let key = match &first.data {
                RData::DNSSEC(DNSSECRData::NSEC(_)) => SpanKey::Nsec(first.name.to_lowercase()),
                RData::DNSSEC(DNSSECRData::NSEC3(nsec3)) => {
                    if nsec3.hash_algorithm() != Nsec3HashAlgorithm::SHA1
                        || nsec3.iterations() > MAX_NSEC3_ITERATIONS
                    {
                        continue;
                    }
                    let Some(hash) = owner_hash(&first.name) else {
                        continue;
                    };
                    SpanKey::Nsec3(hash)
                }
                _ => continue,
            };
            let Some(zone) = signer_of(&first.name, &rrset.signatures) else {
                continue;
            };
            if matches!(key, SpanKey::Nsec3(_)) && first.name.base_name() != zone {
                continue;
            }
            // A wildcard answer's proof comes without an SOA: the span is kept all the same,
            // and the zone's SOA bounds it when it proves a negative answer.
            let ttl = first.ttl.min(rrset.ttl_cap).min(max_negative_ttl);
            if ttl == 0 {
                continue;
            }
            let usable_until = now + Duration::from_secs(u64::from(ttl));
            let mut records = vec![first.clone()];
            records.extend(rrset.signatures.iter().map(|record| (*record).clone()));
            let sequence = spans.next_sequence();
            let kept = Kept {
                records,
                stored_at: now,
                usable_until,
                sequence,
            };
            spans.insert(zone, key, kept, first);
        }
        // A zone is kept for its spans: an SOA alone proves nothing and must not pile up.
        for zone in soa_zones {
            if spans.zones.get(&zone).is_some_and(ZoneSpans::is_empty) {
                spans.zones.remove(&zone);
            }
        }
    }

    /// Keeps a secure wildcard expansion's RRset as the wildcard itself (`*.parent`), for RFC
    /// 8198 §5.3: usable for min(its TTL, its signatures' bound).
    pub(crate) fn remember_wildcard(&self, rrset: &SecureRrset<'_>, parent: &Name, now: Duration) {
        let Some(first) = rrset.records.first() else {
            return;
        };
        let (Some(zone), Some(wildcard)) = (
            signer_of(&first.name, &rrset.signatures),
            wildcard_of(&parent.to_lowercase()),
        ) else {
            return;
        };
        let ttl = rrset
            .records
            .iter()
            .map(|record| record.ttl)
            .min()
            .unwrap_or(0)
            .min(rrset.ttl_cap);
        if ttl == 0 || !zone.zone_of(&wildcard) {
            return;
        }
        let records: Vec<Record> = rrset
            .records
            .iter()
            .chain(rrset.signatures.iter().copied())
            .map(|record| {
                let mut record = record.clone();
                record.name = wildcard.clone();
                record
            })
            .collect();
        let Ok(mut spans) = self.spans.lock() else {
            return;
        };
        let kept = Kept {
            records,
            stored_at: now,
            usable_until: now + Duration::from_secs(u64::from(ttl)),
            sequence: spans.next_sequence(),
        };
        let key = SpanKey::Wildcard(wildcard, first.record_type());
        spans.insert(zone, key, kept, first);
    }

    /// RFC 8198 §5.1-5.2: the NXDOMAIN or NODATA answer to (`qname`, `qtype`) that the kept
    /// records of the closest zone prove, if they do. A few map lookups, plus (NSEC3) one hash
    /// per label below the zone, `MAX_AGGRESSIVE_NSEC3_DEPTH` labels at most.
    pub(crate) fn synthesize(
        &self,
        qname: &Name,
        qtype: RecordType,
        now: Duration,
    ) -> Option<Synthesized> {
        let spans = self.spans.lock().ok()?;
        let (zone, kept) = spans.closest_zone(qname, qtype)?;
        let proved = nsec_expansion(kept, qname, qtype, now)
            .map(|(expansion, span)| Proved::Expansion(expansion, vec![span]))
            .or_else(|| nsec_denial(kept, qname, qtype, now))
            .or_else(|| nsec3_expansion(kept, &zone, qname, qtype, now))
            .or_else(|| nsec3_denial(kept, &zone, qname, qtype, now))?;
        let (name_error, used) = match proved {
            Proved::Expansion(expansion, proof) => {
                let records = expansion.counted_down(now).map(|mut record| {
                    record.name = qname.clone();
                    record
                });
                return Some(Synthesized::Expansion {
                    records: records.collect(),
                    proof: proof
                        .iter()
                        .flat_map(|span| span.counted_down(now))
                        .collect(),
                });
            }
            Proved::NameError(used) => (true, used),
            Proved::NoData(used) => (false, used),
        };
        let soa = kept.soa.as_ref().filter(|soa| soa.usable(now))?;
        if used
            .iter()
            .any(|span| span.stored_at + kept.negative_limit <= now)
        {
            return None;
        }
        let mut authorities: Vec<Record> = soa.counted_down(now).collect();
        for span in used {
            authorities.extend(span.counted_down(now));
        }
        Some(if name_error {
            Synthesized::NameError(authorities)
        } else {
            Synthesized::NoData(authorities)
        })
    }

    /// Forgets everything (cache flush).
    pub(crate) fn clear(&self) {
        if let Ok(mut spans) = self.spans.lock() {
            *spans = Spans::default();
        }
    }

    /// How many NSEC and NSEC3 spans are kept.
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.spans.lock().map_or(0, |spans| spans.held)
    }
}

impl Spans {
    fn next_sequence(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    /// The deepest zone with kept records enclosing `qname`; for DS, strictly above it (the
    /// parent holds a DS and its denial, RFC 4035 §5.2). One map probe per label.
    fn closest_zone(&self, qname: &Name, qtype: RecordType) -> Option<(Name, &ZoneSpans)> {
        let lower = qname.to_lowercase();
        let labels = lower.iter().count();
        let deepest = if qtype == RecordType::DS {
            labels.checked_sub(1)?
        } else {
            labels
        };
        (0..=deepest).rev().find_map(|keep| {
            let zone = lower.trim_to(keep);
            self.zones.get(&zone).map(|kept| (zone, kept))
        })
    }

    fn insert(&mut self, zone: Name, key: SpanKey, kept: Kept, first: &Record) {
        while self.held >= MAX_AGGRESSIVE_NSEC_SPANS {
            if !self.evict_oldest() {
                break;
            }
        }
        let sequence = kept.sequence;
        let zone_spans = self.zones.entry(zone.clone()).or_default();
        let replaced = match (&key, &first.data) {
            (SpanKey::Nsec(owner), _) => zone_spans.nsecs.insert(owner.clone(), kept).is_some(),
            (SpanKey::Nsec3(hash), RData::DNSSEC(DNSSECRData::NSEC3(nsec3))) => {
                let chain = zone_spans.nsec3.get_or_insert_with(|| Nsec3Chain {
                    salt: nsec3.salt().to_vec(),
                    iterations: nsec3.iterations(),
                    spans: BTreeMap::new(),
                });
                if chain.salt != nsec3.salt() || chain.iterations != nsec3.iterations() {
                    // RFC 5155 §10.3: the zone moved to new parameters; the old chain is void.
                    self.held -= chain.spans.len();
                    chain.salt = nsec3.salt().to_vec();
                    chain.iterations = nsec3.iterations();
                    chain.spans.clear();
                }
                chain.spans.insert(hash.clone(), kept).is_some()
            }
            (SpanKey::Wildcard(owner, record_type), _) => zone_spans
                .wildcards
                .insert((owner.clone(), *record_type), kept)
                .is_some(),
            _ => return,
        };
        if !replaced {
            self.held += 1;
        }
        self.order.push_back((zone, key, sequence));
        // Replaced spans leave stale order entries; drop them before they outgrow the bound.
        if self.order.len() > 2 * MAX_AGGRESSIVE_NSEC_SPANS {
            let zones = &self.zones;
            self.order.retain(|(zone, key, sequence)| {
                zones
                    .get(zone)
                    .and_then(|kept| kept.span(key))
                    .is_some_and(|kept| kept.sequence == *sequence)
            });
        }
    }

    /// Removes the oldest kept span (expired ones as they come); false when none is left.
    fn evict_oldest(&mut self) -> bool {
        while let Some((zone, key, sequence)) = self.order.pop_front() {
            let Some(zone_spans) = self.zones.get_mut(&zone) else {
                continue;
            };
            if zone_spans
                .span(&key)
                .is_none_or(|kept| kept.sequence != sequence)
            {
                continue;
            }
            match &key {
                SpanKey::Nsec(owner) => {
                    zone_spans.nsecs.remove(owner);
                }
                SpanKey::Nsec3(hash) => {
                    if let Some(chain) = zone_spans.nsec3.as_mut() {
                        chain.spans.remove(hash);
                    }
                }
                SpanKey::Wildcard(owner, record_type) => {
                    zone_spans.wildcards.remove(&(owner.clone(), *record_type));
                }
            }
            self.held -= 1;
            if zone_spans.is_empty() {
                self.zones.remove(&zone);
            }
            return true;
        }
        false
    }
}

impl ZoneSpans {
    fn span(&self, key: &SpanKey) -> Option<&Kept> {
        match key {
            SpanKey::Nsec(owner) => self.nsecs.get(owner),
            SpanKey::Nsec3(hash) => self.nsec3.as_ref()?.spans.get(hash),
            SpanKey::Wildcard(owner, record_type) => {
                self.wildcards.get(&(owner.clone(), *record_type))
            }
        }
    }

    /// The usable kept wildcard RRset of `qtype` at `wildcard` (lower case), or its CNAME.
    fn wildcard(&self, wildcard: &Name, qtype: RecordType, now: Duration) -> Option<&Kept> {
        self.wildcards
            .get(&(wildcard.clone(), qtype))
            .or_else(|| self.wildcards.get(&(wildcard.clone(), RecordType::CNAME)))
            .filter(|expansion| expansion.usable(now))
    }

    /// The usable NSEC with the greatest owner at or before `name` in canonical order: the one
    /// that matches or covers it, if any does.
    fn nsec_at_or_before(&self, name: &Name, now: Duration) -> Option<&Kept> {
        self.nsecs
            .range(..=name.to_lowercase())
            .next_back()
            .map(|(_, kept)| kept)
            .filter(|kept| kept.usable(now))
    }
}

/// The closest encloser a covering NSEC implies (Unbound `nsec_closest_encloser`): the longer
/// common ancestor of the name with the NSEC's owner or next name.
fn closest_encloser(owner: &Name, next: &Name, qname: &Name) -> Name {
    let by_owner = nsec::common_ancestor(owner, qname);
    let by_next = nsec::common_ancestor(next, qname);
    if by_owner.num_labels() > by_next.num_labels() {
        by_owner
    } else {
        by_next
    }
}

/// RFC 8198 §5.3 over NSEC: the kept NSEC at or before the name covers it (no such name, nor
/// any closer to it than the encloser) and a kept secure RRset of the wildcard at the closest
/// encloser holds the type (or a CNAME): that RRset, with the NSEC as its proof.
fn nsec_expansion<'k>(
    kept: &'k ZoneSpans,
    qname: &Name,
    qtype: RecordType,
    now: Duration,
) -> Option<(&'k Kept, &'k Kept)> {
    if kept.wildcards.is_empty() || !expandable(qtype) {
        return None;
    }
    let at_name = kept.nsec_at_or_before(qname, now)?;
    let data = at_name.data()?;
    let RData::DNSSEC(DNSSECRData::NSEC(record)) = &data.data else {
        return None;
    };
    let encloser = closest_encloser(&data.name, record.next_domain_name(), qname);
    let records = [data.clone()];
    let nsecs = nsec::nsec_records(&records);
    if nsec::proves_no_closer_match(&nsecs, qname, &encloser) != Proof::Proved {
        return None;
    }
    let wildcard = wildcard_of(&encloser.to_lowercase())?;
    Some((kept.wildcard(&wildcard, qtype, now)?, at_name))
}

/// RFC 8198 §5.1-5.2 over NSEC: the span at or before the name, and for a name error the span at
/// or before the wildcard at its closest encloser; `nsec.rs` decides what they prove.
fn nsec_denial<'k>(
    kept: &'k ZoneSpans,
    qname: &Name,
    qtype: RecordType,
    now: Duration,
) -> Option<Proved<'k>> {
    let at_name = kept.nsec_at_or_before(qname, now)?;
    let mut used = vec![at_name];
    let data = at_name.data()?;
    if let RData::DNSSEC(DNSSECRData::NSEC(record)) = &data.data {
        if data.name != *qname {
            let encloser = closest_encloser(&data.name, record.next_domain_name(), qname);
            if let Some(at_wildcard) =
                wildcard_of(&encloser).and_then(|wildcard| kept.nsec_at_or_before(&wildcard, now))
            {
                if at_wildcard.sequence != at_name.sequence {
                    used.push(at_wildcard);
                }
            }
        }
    }
    let records: Vec<Record> = used
        .iter()
        .filter_map(|kept| kept.data().cloned())
        .collect();
    let nsecs = nsec::nsec_records(&records);
    // NODATA first: an NSEC whose next name lies below the name proves the name an empty
    // non-terminal (RFC 4035 §3.1.3.2), though it covers the name and the wildcard as well.
    if nsec::proves_no_data(&nsecs, qname, qtype) == Proof::Proved {
        return Some(Proved::NoData(used));
    }
    if nsec::proves_name_error(&nsecs, qname) == Proof::Proved {
        return Some(Proved::NameError(used));
    }
    None
}

/// RFC 8198 §5.1-5.2 over NSEC3 (RFC 5155 §8.4-8.7): the spans matching or covering the hash of
/// each name from `qname` up to its closest encloser, and the one at the encloser's wildcard;
/// `nsec3.rs` decides. Opt-out spans never give an answer (they prove only an insecure one,
/// RFC 8198 §4 and RFC 5155 §9.2); iterations above the RFC 9276 bound were never kept.
fn nsec3_denial<'k>(
    kept: &'k ZoneSpans,
    zone: &Name,
    qname: &Name,
    qtype: RecordType,
    now: Duration,
) -> Option<Proved<'k>> {
    let chain = kept.nsec3.as_ref()?;
    if chain.spans.is_empty() || chain.iterations > MAX_NSEC3_ITERATIONS {
        return None;
    }
    let zone_labels = usize::from(zone.num_labels());
    let labels = qname.iter().count();
    if labels.checked_sub(zone_labels)? > MAX_AGGRESSIVE_NSEC3_DEPTH {
        return None;
    }
    let hash = |name: &Name| {
        Nsec3HashAlgorithm::SHA1
            .hash(&chain.salt, name, chain.iterations)
            .ok()
            .map(|digest| digest.as_ref().to_vec())
    };
    // The span whose owner hash is the greatest at or before `hash`, wrapping to the last.
    let at_or_before = |hash: &[u8]| {
        chain
            .spans
            .range(..=hash.to_vec())
            .next_back()
            .or_else(|| chain.spans.iter().next_back())
            .filter(|(_, kept)| kept.usable(now))
    };
    let mut used: Vec<&Kept> = Vec::new();
    for keep in (zone_labels..=labels).rev() {
        let name = qname.trim_to(keep);
        let name_hash = hash(&name)?;
        let (owner, span) = at_or_before(&name_hash)?;
        push_once(&mut used, span);
        if *owner == name_hash {
            if keep < labels {
                let wildcard = wildcard_of(&name)?;
                if let Some((_, span)) = at_or_before(&hash(&wildcard)?) {
                    push_once(&mut used, span);
                }
            }
            break;
        }
    }
    let records: Vec<Record> = used
        .iter()
        .filter_map(|kept| kept.data().cloned())
        .collect();
    let nsec3s = nsec3::nsec3_records(&records);
    if nsec3::proves_no_data(&nsec3s, qname, qtype) == Proof::Proved {
        return Some(Proved::NoData(used));
    }
    if nsec3::proves_name_error(&nsec3s, qname) == Proof::Proved {
        return Some(Proved::NameError(used));
    }
    None
}

/// RFC 8198 §5.3 with RFC 5155 §8.8 over NSEC3: a kept secure wildcard RRset `*.X` proves X
/// exists; a span (not opt-out) covering the next closer name below X proves nothing closer
/// does, so X is the closest encloser and the wildcard answers. The deepest such X is tried,
/// one hash at most.
fn nsec3_expansion<'k>(
    kept: &'k ZoneSpans,
    zone: &Name,
    qname: &Name,
    qtype: RecordType,
    now: Duration,
) -> Option<Proved<'k>> {
    let chain = kept.nsec3.as_ref()?;
    if kept.wildcards.is_empty() || !expandable(qtype) || chain.iterations > MAX_NSEC3_ITERATIONS {
        return None;
    }
    let zone_labels = usize::from(zone.num_labels());
    let labels = qname.iter().count();
    let lower = qname.to_lowercase();
    let (encloser, expansion) = (zone_labels..labels).rev().find_map(|keep| {
        let encloser = lower.trim_to(keep);
        let expansion = kept.wildcard(&wildcard_of(&encloser)?, qtype, now)?;
        Some((encloser, expansion))
    })?;
    let next_closer = qname.trim_to(usize::from(encloser.num_labels()) + 1);
    let hash = Nsec3HashAlgorithm::SHA1
        .hash(&chain.salt, &next_closer, chain.iterations)
        .ok()?;
    let span = chain
        .spans
        .range(..=hash.as_ref().to_vec())
        .next_back()
        .or_else(|| chain.spans.iter().next_back())
        .map(|(_, span)| span)
        .filter(|span| span.usable(now))?;
    let records: Vec<Record> = span.data().cloned().into_iter().collect();
    let nsec3s = nsec3::nsec3_records(&records);
    if nsec3::proves_no_closer_match(&nsec3s, qname, &encloser) != Proof::Proved {
        return None;
    }
    Some(Proved::Expansion(expansion, vec![span]))
}

fn push_once<'k>(used: &mut Vec<&'k Kept>, kept: &'k Kept) {
    if !used.iter().any(|known| known.sequence == kept.sequence) {
        used.push(kept);
    }
}

impl Resolver {
    /// The validator's hook: a denial or wildcard proof held, and these RRsets of `section` (SOA,
    /// NSEC, NSEC3, each with its TTL bound) were secure; they are kept for synthesis.
    pub(crate) fn remember_denial(&self, secure: &[(Vec<Record>, u32)], section: &[Record]) {
        if !self.config.aggressive_nsec {
            return;
        }
        let rrsets: Vec<SecureRrset<'_>> = secure
            .iter()
            .filter_map(|(records, ttl_cap)| {
                let first = records.first()?;
                Some(SecureRrset {
                    records,
                    signatures: signatures_for(section, &first.name, first.record_type()),
                    ttl_cap: *ttl_cap,
                })
            })
            .collect();
        self.denial_spans
            .remember(&rrsets, self.config.max_negative_ttl, self.clock.now());
    }

    /// The validator's hook: a secure wildcard expansion whose proof of no closer name held.
    pub(crate) fn remember_wildcard(
        &self,
        rrset: &[Record],
        section: &[Record],
        parent: &Name,
        ttl_cap: u32,
    ) {
        let Some(first) = rrset.first() else { return };
        if !self.config.aggressive_nsec {
            return;
        }
        let secure = SecureRrset {
            records: rrset,
            signatures: signatures_for(section, &first.name, first.record_type()),
            ttl_cap,
        };
        self.denial_spans
            .remember_wildcard(&secure, parent, self.clock.now());
    }

    /// The lookup's hook on a cache miss: what kept records prove, as a walk's result (secure,
    /// with the proof for the authority section), without a walk. Only while validating, for
    /// a name under a trust anchor and no negative one, and never for a CD client (it checks
    /// for itself, RFC 4035 §3.2.2). ANY is never answered NODATA this way: an NSEC lists the
    /// types of a name, which ANY would have returned.
    pub(crate) fn synthesized(
        &self,
        qname: &Name,
        qtype: RecordType,
        budget: &Budget,
    ) -> Option<(WalkResult, Verdict, Vec<Record>)> {
        if !self.config.aggressive_nsec || !self.config.dnssec.enabled || budget.checking_disabled {
            return None;
        }
        let anchors = &self.config.dnssec.anchors;
        if anchors.closest(qname).is_none() || anchors.is_negative(qname) {
            return None;
        }
        let synthesized = self
            .denial_spans
            .synthesize(qname, qtype, self.clock.now())
            .filter(|synthesized| {
                !matches!(synthesized, Synthesized::NoData(_)) || qtype != RecordType::ANY
            })?;
        tracing::debug!(name = %qname, %qtype, ?synthesized, "answer synthesized from cached NSEC/NSEC3 (RFC 8198)");
        self.validation_counts.count_synthesized();
        let (result, proof) = match synthesized {
            Synthesized::NameError(authorities) => (WalkResult::NxDomain(authorities), Vec::new()),
            Synthesized::NoData(authorities) => (WalkResult::NoData(authorities), Vec::new()),
            Synthesized::Expansion { records, proof } => {
                let target = records.iter().find_map(|record| match &record.data {
                    RData::CNAME(target) if qtype != RecordType::CNAME => Some(target.0.clone()),
                    _ => None,
                });
                let result = match target {
                    Some(target) => WalkResult::CName { records, target },
                    None => WalkResult::Answer(records),
                };
                (result, proof)
            }
        };
        Some((result, Verdict::secure(), proof))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::record_text::parse_record;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    fn record(text: &str) -> Record {
        parse_record(text).unwrap()
    }

    /// An RRSIG by `signer` over (owner, covered); never verified here, only its signer read.
    fn rrsig(owner: &str, covered: &str, signer: &str) -> Record {
        record(&format!(
            "{owner} 3600 IN RRSIG {covered} 13 2 3600 20330101000000 20000101000000 12345 \
             {signer} c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl"
        ))
    }

    /// Keeps `texts` (one record each, signed by `signer`) as a validated reply's RRsets.
    fn remember(spans: &DenialSpans, signer: &str, texts: &[&str], now: u64) {
        let rrsets: Vec<(Vec<Record>, Record)> = texts
            .iter()
            .map(|text| {
                let data = record(text);
                let covered = data.record_type().to_string();
                let signature = rrsig(&data.name.to_string(), &covered, signer);
                (vec![data], signature)
            })
            .collect();
        let secure: Vec<SecureRrset<'_>> = rrsets
            .iter()
            .map(|(records, signature)| SecureRrset {
                records,
                signatures: vec![signature],
                ttl_cap: u32::MAX,
            })
            .collect();
        spans.remember(&secure, 86_400, Duration::from_secs(now));
    }

    fn synthesize(spans: &DenialSpans, qname: &str, qtype: RecordType, now: u64) -> Option<bool> {
        spans
            .synthesize(&name(qname), qtype, Duration::from_secs(now))
            .and_then(|synthesized| match synthesized {
                Synthesized::NameError(_) => Some(true),
                Synthesized::NoData(_) => Some(false),
                Synthesized::Expansion { .. } => None,
            })
    }

    const SOA: &str = "example. 3600 IN SOA ns.example. admin.example. 1 7200 900 86400 300";

    /// RFC 4035 appendix A's zone, in part: the apex, `a.` (a delegation), `ns1.`, `x.w.`.
    fn example_zone() -> DenialSpans {
        let spans = DenialSpans::default();
        remember(
            &spans,
            "example.",
            &[
                SOA,
                "example. 3600 IN NSEC a.example. NS SOA MX RRSIG NSEC DNSKEY",
                "a.example. 3600 IN NSEC ai.example. NS DS RRSIG NSEC",
                "b.example. 3600 IN NSEC ns1.example. NS RRSIG NSEC",
                "ns1.example. 3600 IN NSEC ns2.example. A RRSIG NSEC",
            ],
            0,
        );
        spans
    }

    #[test]
    fn a_name_in_a_kept_span_is_a_name_error_and_a_missing_type_no_data() {
        let spans = example_zone();
        // ml.example. lies between b. and ns1.; *.example. between the apex and a.
        assert_eq!(
            synthesize(&spans, "ml.example.", RecordType::A, 10),
            Some(true)
        );
        let Some(Synthesized::NameError(authorities)) =
            spans.synthesize(&name("ml.example."), RecordType::A, Duration::from_secs(10))
        else {
            panic!("ml.example. is a name error");
        };
        let owners: Vec<String> = authorities
            .iter()
            .filter(|record| record.record_type() == RecordType::NSEC)
            .map(|record| record.name.to_string())
            .collect();
        assert_eq!(owners, ["b.example.", "example."]);
        // TTLs count down from when the records were kept.
        assert!(authorities.iter().all(|record| record.ttl == 3590));
        assert_eq!(
            synthesize(&spans, "ns1.example.", RecordType::MX, 10),
            Some(false)
        );
        assert_eq!(synthesize(&spans, "ns1.example.", RecordType::A, 10), None);
        // ANY is the resolver's business (never NODATA); NXDOMAIN holds for every type.
        assert_eq!(
            synthesize(&spans, "ml.example.", RecordType::TXT, 10),
            Some(true)
        );
    }

    /// Unbound's val_negcache_nodata: the NSEC from `*.elephant.` to `duck.ent.` covers `ent.`
    /// and `*.ent.` too, yet `ent.` is an empty non-terminal: NODATA, never NXDOMAIN.
    #[test]
    fn an_empty_non_terminal_is_no_data_though_its_name_is_covered() {
        let spans = DenialSpans::default();
        remember(
            &spans,
            "example.",
            &[
                SOA,
                "*.elephant.example. 3600 IN NSEC duck.ent.example. TXT RRSIG NSEC",
            ],
            0,
        );
        assert_eq!(
            synthesize(&spans, "ent.example.", RecordType::TXT, 1),
            Some(false)
        );
    }

    #[test]
    fn a_delegation_nsec_denies_only_the_ds_and_nothing_below_the_cut() {
        let spans = example_zone();
        assert_eq!(
            synthesize(&spans, "b.example.", RecordType::DS, 10),
            Some(false)
        );
        assert_eq!(synthesize(&spans, "b.example.", RecordType::A, 10), None);
        assert_eq!(synthesize(&spans, "x.b.example.", RecordType::A, 10), None);
        assert_eq!(synthesize(&spans, "a.example.", RecordType::DS, 10), None);
    }

    #[test]
    fn a_childs_apex_nsec_says_nothing_of_its_ds() {
        let spans = example_zone();
        remember(
            &spans,
            "a.example.",
            &[
                "a.example. 3600 IN SOA ns.a.example. admin.a.example. 1 7200 900 86400 300",
                "a.example. 3600 IN NSEC b.a.example. NS SOA RRSIG NSEC DNSKEY",
            ],
            0,
        );
        // The DS is the parent's (a.example. has one there): no denial.
        assert_eq!(synthesize(&spans, "a.example.", RecordType::DS, 10), None);
        assert_eq!(
            synthesize(&spans, "a.example.", RecordType::TXT, 10),
            Some(false)
        );
    }

    /// RFC 8198 §5.4, RFC 9077 §3.2: usable for min(NSEC TTL, SOA TTL, SOA MINIMUM).
    #[test]
    fn a_span_is_usable_for_the_soa_minimum_at_most() {
        let spans = example_zone();
        assert_eq!(
            synthesize(&spans, "ml.example.", RecordType::A, 299),
            Some(true)
        );
        assert_eq!(synthesize(&spans, "ml.example.", RecordType::A, 300), None);
    }

    /// A span kept from a wildcard answer (no SOA) proves a negative answer once the zone's SOA
    /// is known, and only within the negative TTL of when the span itself came (RFC 9077).
    #[test]
    fn a_negative_answer_needs_the_zones_soa_and_its_limit_counts_from_the_span() {
        let spans = DenialSpans::default();
        remember(
            &spans,
            "example.",
            &["example. 3600 IN NSEC a.example. NS SOA RRSIG NSEC DNSKEY"],
            0,
        );
        assert_eq!(spans.held(), 1);
        assert_eq!(synthesize(&spans, "0.example.", RecordType::A, 1), None);
        remember(&spans, "example.", &[SOA], 100);
        assert_eq!(
            synthesize(&spans, "0.example.", RecordType::A, 101),
            Some(true)
        );
        assert_eq!(synthesize(&spans, "0.example.", RecordType::A, 300), None);
    }

    #[test]
    fn the_kept_spans_stay_within_their_bound() {
        let spans = DenialSpans::default();
        remember(&spans, "example.", &[SOA], 0);
        for index in 0..MAX_AGGRESSIVE_NSEC_SPANS + 50 {
            let owner = format!("n{index:06}.example.");
            let text = format!("{owner} 3600 IN NSEC n{index:06}a.example. A RRSIG NSEC");
            // Each reply carries its zone's SOA, as a negative answer does.
            remember(&spans, "example.", &[SOA, &text], 0);
        }
        assert_eq!(spans.held(), MAX_AGGRESSIVE_NSEC_SPANS);
        // The newest is kept, the oldest went.
        let newest = format!("n{:06}.example.", MAX_AGGRESSIVE_NSEC_SPANS + 49);
        assert_eq!(synthesize(&spans, &newest, RecordType::MX, 1), Some(false));
        assert_eq!(
            synthesize(&spans, "n000000.example.", RecordType::MX, 1),
            None
        );
    }

    /// RFC 8198 §5.3 over RFC 4035 appendix B.6: `*.w.example. MX` seen expanded once, and the
    /// NSEC from `x.y.w.example.` to `xx.example.`, answer `a.z.w.example. MX` with no query.
    #[test]
    fn a_kept_wildcard_answers_a_name_its_nsec_covers() {
        let spans = DenialSpans::default();
        remember(
            &spans,
            "example.",
            &["x.y.w.example. 3600 IN NSEC xx.example. MX RRSIG NSEC"],
            0,
        );
        let expanded = [record("b.w.example. 3600 IN MX 1 ai.example.")];
        let signature = rrsig("b.w.example.", "MX", "example.");
        let secure = SecureRrset {
            records: &expanded,
            signatures: vec![&signature],
            ttl_cap: 600,
        };
        spans.remember_wildcard(&secure, &name("w.example."), Duration::ZERO);
        let at = |qname: &str, qtype, now| {
            spans.synthesize(&name(qname), qtype, Duration::from_secs(now))
        };
        let Some(Synthesized::Expansion { records, proof }) =
            at("a.z.w.example.", RecordType::MX, 10)
        else {
            panic!("a.z.w.example. MX comes from *.w.example.");
        };
        assert!(records
            .iter()
            .all(|record| record.name == name("a.z.w.example.")));
        assert_eq!(records.len(), 2, "the MX and its RRSIG: {records:?}");
        assert!(records.iter().all(|record| record.ttl == 3590));
        assert_eq!(proof[0].name, name("x.y.w.example."));
        // Not for another type, nor past the RRSIG's bound, nor for a name the NSEC misses.
        assert_eq!(at("a.z.w.example.", RecordType::AAAA, 10), None);
        assert_eq!(at("a.z.w.example.", RecordType::MX, 600), None);
        assert_eq!(at("a.w.example.", RecordType::MX, 10), None);
        assert_eq!(at("a.z.w.example.", RecordType::DS, 10), None);
    }

    /// RFC 5155 appendix A's chain, each record with `flags` (1 = opt-out, as published).
    fn nsec3_zone(flags: u8, iterations: u16) -> DenialSpans {
        let spans = DenialSpans::default();
        let chain = [
            (
                "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
                "2t7b4g4vsa5smi47k61mv5bv1a22bojr",
                "MX DNSKEY NS SOA NSEC3PARAM RRSIG",
            ),
            (
                "2t7b4g4vsa5smi47k61mv5bv1a22bojr",
                "2vptu5timamqttgl4luu9kg21e0aor3s",
                "A RRSIG",
            ),
            (
                "2vptu5timamqttgl4luu9kg21e0aor3s",
                "35mthgpgcu1qg68fab165klnsnk3dpvl",
                "MX RRSIG",
            ),
            (
                "35mthgpgcu1qg68fab165klnsnk3dpvl",
                "b4um86eghhds6nea196smvmlo4ors995",
                "NS DS RRSIG",
            ),
            (
                "b4um86eghhds6nea196smvmlo4ors995",
                "gjeqe526plbf1g8mklp59enfd789njgi",
                "MX RRSIG",
            ),
            (
                "gjeqe526plbf1g8mklp59enfd789njgi",
                "ji6neoaepv8b5o6k4ev33abha8ht9fgc",
                "HINFO A AAAA RRSIG",
            ),
            (
                "ji6neoaepv8b5o6k4ev33abha8ht9fgc",
                "k8udemvp1j2f7eg6jebps17vp3n8i58h",
                "",
            ),
            (
                "k8udemvp1j2f7eg6jebps17vp3n8i58h",
                "kohar7mbb8dc2ce8a9qvl8hon4k53uhi",
                "",
            ),
            (
                "kohar7mbb8dc2ce8a9qvl8hon4k53uhi",
                "q04jkcevqvmu85r014c7dkba38o0ji5r",
                "A RRSIG",
            ),
            (
                "q04jkcevqvmu85r014c7dkba38o0ji5r",
                "r53bq7cc2uvmubfu5ocmm6pers9tk9en",
                "A RRSIG",
            ),
            (
                "r53bq7cc2uvmubfu5ocmm6pers9tk9en",
                "t644ebqk9bibcna874givr6joj62mlhv",
                "MX RRSIG",
            ),
            (
                "t644ebqk9bibcna874givr6joj62mlhv",
                "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
                "A HINFO AAAA RRSIG",
            ),
        ];
        let texts: Vec<String> = chain
            .iter()
            .map(|(owner, next, types)| {
                format!(
                    "{owner}.example. 3600 IN NSEC3 1 {flags} {iterations} aabbccdd {next} {types}"
                )
            })
            .collect();
        let mut all: Vec<&str> = vec![SOA];
        all.extend(texts.iter().map(String::as_str));
        remember(&spans, "example.", &all, 0);
        spans
    }

    /// RFC 5155 appendix B.1 (a.c.x.w.example. does not exist) and B.2 (ns1.example. has no MX;
    /// y.w.example. is an empty non-terminal), synthesized from the kept chain.
    #[test]
    fn nsec3_name_error_and_no_data_are_synthesized_from_the_kept_chain() {
        let spans = nsec3_zone(0, 12);
        assert_eq!(
            synthesize(&spans, "a.c.x.w.example.", RecordType::A, 1),
            Some(true)
        );
        assert_eq!(
            synthesize(&spans, "ns1.example.", RecordType::MX, 1),
            Some(false)
        );
        assert_eq!(
            synthesize(&spans, "y.w.example.", RecordType::A, 1),
            Some(false)
        );
        assert_eq!(synthesize(&spans, "ns1.example.", RecordType::A, 1), None);
    }

    /// RFC 8198 §4/§5 with RFC 5155 §9.2: an opt-out span may hide an unsigned delegation, so
    /// it never proves a name absent here (the published appendix chain is all opt-out).
    #[test]
    fn nsec3_opt_out_spans_are_never_used() {
        let spans = nsec3_zone(1, 12);
        assert_eq!(
            synthesize(&spans, "a.c.x.w.example.", RecordType::A, 1),
            None
        );
        assert_eq!(synthesize(&spans, "c.example.", RecordType::A, 1), None);
    }

    /// RFC 9276 §3.2, CVE-2023-50868: a chain above the iteration bound is not even kept.
    #[test]
    fn nsec3_chains_above_the_iteration_bound_are_not_kept() {
        let spans = nsec3_zone(0, MAX_NSEC3_ITERATIONS + 1);
        assert_eq!(spans.held(), 0);
        assert_eq!(
            synthesize(&spans, "a.c.x.w.example.", RecordType::A, 1),
            None
        );
    }

    /// Hashing stays bounded: a name far below the zone is left to a walk.
    #[test]
    fn nsec3_names_deep_below_the_zone_are_not_hashed() {
        let spans = nsec3_zone(0, 12);
        let deep = format!("{}c.x.w.example.", "a.".repeat(MAX_AGGRESSIVE_NSEC3_DEPTH));
        assert_eq!(synthesize(&spans, &deep, RecordType::A, 1), None);
        // One label less is within the bound, and proved.
        let within = format!(
            "{}c.x.w.example.",
            "a.".repeat(MAX_AGGRESSIVE_NSEC3_DEPTH - 3)
        );
        assert_eq!(synthesize(&spans, &within, RecordType::A, 1), Some(true));
    }
}
