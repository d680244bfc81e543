//! Cache entries as stored bytes, for the wire fast path: the same lookups as `get_rrset` and
//! `get_negative`, keyed by a wire-form name, handing out the entry instead of hickory records.
//! It never decodes RDATA; the caller copies it. Expiry and trust rules are those of `mod.rs`.

use std::time::Duration;

use hickory_proto::rr::RecordType;

use crate::cache::entry::{RdataIter, WireEntry};
use crate::cache::key::{EntryKind, KeyBuffer};
use crate::cache::{RecordCache, Trust, Validation};

/// A cached RRset's RDATA and the TTL it has left (what `get_rrset` gives every record).
#[derive(Clone, Debug)]
pub(crate) struct CachedRrset {
    entry: WireEntry,
    pub(crate) ttl: u32,
}

impl CachedRrset {
    /// Each RDATA in stored order; names inside are uncompressed.
    pub(crate) fn rdatas(&self) -> RdataIter<'_> {
        self.entry.rdatas()
    }

    pub(crate) fn count(&self) -> usize {
        self.entry.count()
    }

    pub(crate) fn validation(&self) -> Validation {
        self.entry.validation()
    }
}

/// A cached negative answer: its authority records as whole wire records (owner, type, class,
/// TTL, RDLENGTH, RDATA; names uncompressed), whose TTLs are shown less `elapsed` seconds.
#[derive(Clone, Debug)]
pub(crate) struct CachedNegative {
    entry: WireEntry,
    pub(crate) nxdomain: bool,
    pub(crate) elapsed: u32,
    /// The TTL the SOA and its RRSIGs show instead, renewed by a later negative answer.
    pub(crate) soa_ttl: Option<u32>,
}

impl CachedNegative {
    pub(crate) fn record_bytes(&self) -> &[u8] {
        self.entry.record_bytes()
    }

    pub(crate) fn count(&self) -> usize {
        self.entry.count()
    }

    pub(crate) fn validation(&self) -> Validation {
        self.entry.validation()
    }
}

impl RecordCache {
    /// As `get_rrset` (class IN) for the name in `key` (built by `KeyBuffer::for_wire_name`,
    /// any kind): the key is switched to the RRset of `record_type` in place, so the probes of
    /// one name share one walk over it.
    pub(crate) fn rrset_for_key(
        &self,
        key: &mut KeyBuffer,
        record_type: RecordType,
        minimum_trust: Trust,
        now: Duration,
    ) -> Option<CachedRrset> {
        key.set_kind(EntryKind::RrSet, record_type);
        let entry = self.live(key, now)?;
        if entry.trust() < minimum_trust {
            return None;
        }
        let ttl = self.served_ttl(&entry, now);
        Some(CachedRrset { entry, ttl })
    }

    /// The RRSIGs stored beside (the name in `key`, `covered`), as RRSIG RDATA.
    pub(crate) fn signatures_for_key(
        &self,
        key: &mut KeyBuffer,
        covered: RecordType,
        now: Duration,
    ) -> Option<CachedRrset> {
        key.set_kind(EntryKind::Signatures, covered);
        let entry = self.live(key, now)?;
        let ttl = self.served_ttl(&entry, now);
        Some(CachedRrset { entry, ttl })
    }

    /// Whether a wildcard proof is stored beside (the name in `key`, `record_type`): the wire
    /// path, which writes no authority section beside an answer, leaves such an answer to DO
    /// clients to the message path.
    pub(crate) fn has_wildcard_proof_for_key(
        &self,
        key: &mut KeyBuffer,
        record_type: RecordType,
        now: Duration,
    ) -> bool {
        key.set_kind(EntryKind::WildcardProof, record_type);
        self.live(key, now).is_some()
    }

    /// As `get_negative` (class IN) for the name in `key`: NXDOMAIN first, then NODATA.
    pub(crate) fn negative_for_key(
        &self,
        key: &mut KeyBuffer,
        record_type: RecordType,
        now: Duration,
    ) -> Option<CachedNegative> {
        for kind in [EntryKind::NxDomain, EntryKind::NoData] {
            key.set_kind(kind, record_type);
            let Some(entry) = self.live(key, now) else {
                continue;
            };
            let elapsed = self.served_age(&entry, now);
            let soa_ttl = self.renewed_soa_ttl_of(&entry, elapsed, now);
            return Some(CachedNegative {
                entry,
                nxdomain: kind == EntryKind::NxDomain,
                elapsed,
                soa_ttl,
            });
        }
        None
    }
}
