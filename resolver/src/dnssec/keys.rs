//! From a parent's DS set (or a trust anchor) to a zone's trusted DNSKEY RRset (RFC 4035 §5.2):
//! a DS matches a zone key by digest, and that key must sign the DNSKEY RRset.

use hickory_proto::dnssec::rdata::{DNSSECRData, DNSKEY, DS};
use hickory_proto::dnssec::{DigestType, PublicKey};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::dnssec::security::Reason;
use crate::dnssec::signature::{
    algorithm_supported, signatures_for, verify_rrset, CheckContext, RrsetCheck, ZoneKeys,
};
use crate::limits::MAX_DS_RECORDS_USED;

/// What the DS (or anchor) and DNSKEY sets give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeysCheck {
    /// The trusted keys and how long they may be cached.
    Secure(ZoneKeys, u32),
    /// RFC 4035 §5.2 / RFC 6840 §5.2: no DS with an algorithm and digest validated here.
    Insecure(Reason),
    Bogus(Reason),
}

pub fn dnskey_of(record: &Record) -> Option<&DNSKEY> {
    match &record.data {
        RData::DNSSEC(DNSSECRData::DNSKEY(key)) => Some(key),
        _ => None,
    }
}

pub fn ds_of(record: &Record) -> Option<&DS> {
    match &record.data {
        RData::DNSSEC(DNSSECRData::DS(ds)) => Some(ds),
        _ => None,
    }
}

/// RFC 4509 §3, RFC 6605: of the usable digests, only the strongest present is used (Unbound
/// `val_favorite_ds_algo`), so an attacker cannot downgrade to SHA-1 by adding a SHA-1 DS.
fn digest_rank(digest: DigestType) -> u8 {
    match digest {
        DigestType::SHA384 => 3,
        DigestType::SHA256 => 2,
        DigestType::SHA1 => 1,
        _ => 0,
    }
}

/// RFC 4035 §5.2: `zone`'s DNSKEY RRset (with its RRSIGs in `records`) checked against the
/// parent's DS RRset. With `every_algorithm` (Unbound `harden-algo-downgrade`) each algorithm
/// of the chosen DS records must sign the DNSKEY RRset with a key its DS matches; otherwise one
/// suffices (RFC 6840 §5.11).
pub fn keys_from_ds(
    zone: &Name,
    ds_set: &[DS],
    records: &[Record],
    context: CheckContext<'_>,
    every_algorithm: bool,
) -> KeysCheck {
    let usable: Vec<&DS> = ds_set
        .iter()
        .filter(|ds| algorithm_supported(ds.algorithm(), context.switches))
        .filter(|ds| ds.digest_type().is_supported())
        .collect();
    if usable.is_empty() {
        let any_algorithm = ds_set
            .iter()
            .any(|ds| algorithm_supported(ds.algorithm(), context.switches));
        return KeysCheck::Insecure(if any_algorithm {
            Reason::UnsupportedDigest
        } else {
            Reason::UnsupportedAlgorithm
        });
    }
    let best = usable
        .iter()
        .map(|ds| digest_rank(ds.digest_type()))
        .max()
        .unwrap_or(0);
    let chosen: Vec<&DS> = usable
        .into_iter()
        .filter(|ds| digest_rank(ds.digest_type()) == best)
        .take(MAX_DS_RECORDS_USED)
        .collect();
    let rrset = dnskey_rrset(zone, records);
    if rrset.is_empty() {
        return KeysCheck::Bogus(Reason::DnskeyMissing);
    }
    let mut matching = Vec::new();
    for record in &rrset {
        let Some(key) = dnskey_of(record) else {
            continue;
        };
        let tag = key.calculate_key_tag().ok();
        if chosen.iter().any(|ds| {
            Some(ds.key_tag()) == tag
                && ds.algorithm() == key.public_key().algorithm()
                && ds.covers(zone, key).unwrap_or(false)
        }) {
            matching.push(key.clone());
        }
    }
    if matching.is_empty() {
        return KeysCheck::Bogus(Reason::DnskeyMissing);
    }
    if every_algorithm {
        if let Some(failed) = algorithm_missing(zone, &rrset, records, &chosen, &matching, context)
        {
            return failed;
        }
    }
    self_signed(zone, rrset, records, matching, context)
}

/// Unbound `harden-algo-downgrade` (`algo_needs_init_ds`): the check of one algorithm of the
/// chosen DS records that fails (no key of it matched, or none of its keys signs the DNSKEY
/// RRset); `None` when each signs. The algorithms are the DS set's, at most
/// `MAX_DS_RECORDS_USED` records, so the work stays within the signature allowance.
fn algorithm_missing(
    zone: &Name,
    rrset: &[Record],
    records: &[Record],
    chosen: &[&DS],
    matching: &[DNSKEY],
    context: CheckContext<'_>,
) -> Option<KeysCheck> {
    let mut algorithms = Vec::new();
    for ds in chosen {
        if !algorithms.contains(&ds.algorithm()) {
            algorithms.push(ds.algorithm());
        }
    }
    for algorithm in algorithms {
        let keys: Vec<DNSKEY> = matching
            .iter()
            .filter(|key| key.public_key().algorithm() == algorithm)
            .cloned()
            .collect();
        if keys.is_empty() {
            return Some(KeysCheck::Bogus(Reason::AlgorithmMissing));
        }
        match self_signed(zone, rrset.to_vec(), records, keys, context) {
            KeysCheck::Secure(..) => {}
            KeysCheck::Bogus(Reason::DsMismatch) => {
                return Some(KeysCheck::Bogus(Reason::AlgorithmMissing))
            }
            other => return Some(other),
        }
    }
    None
}

/// A trust anchor given as DNSKEYs: the fetched DNSKEY RRset must be signed by one of them.
pub fn keys_from_anchor_keys(
    zone: &Name,
    anchor_keys: &[DNSKEY],
    records: &[Record],
    context: CheckContext<'_>,
) -> KeysCheck {
    if !anchor_keys
        .iter()
        .any(|key| algorithm_supported(key.public_key().algorithm(), context.switches))
    {
        return KeysCheck::Insecure(Reason::UnsupportedAlgorithm);
    }
    let rrset = dnskey_rrset(zone, records);
    if rrset.is_empty() {
        return KeysCheck::Bogus(Reason::DnskeyMissing);
    }
    self_signed(zone, rrset, records, anchor_keys.to_vec(), context)
}

fn dnskey_rrset(zone: &Name, records: &[Record]) -> Vec<Record> {
    records
        .iter()
        .filter(|record| record.name == *zone && record.record_type() == RecordType::DNSKEY)
        .cloned()
        .collect()
}

/// The DNSKEY RRset signed by one of `trusted`: then every key in it is trusted.
fn self_signed(
    zone: &Name,
    rrset: Vec<Record>,
    records: &[Record],
    trusted: Vec<DNSKEY>,
    context: CheckContext<'_>,
) -> KeysCheck {
    let signatures = signatures_for(records, zone, RecordType::DNSKEY);
    let signing = ZoneKeys {
        zone: zone.clone(),
        keys: trusted,
    };
    match verify_rrset(&rrset, &signatures, &signing, context) {
        RrsetCheck::Secure(verified) => {
            let keys = rrset.iter().filter_map(dnskey_of).cloned().collect();
            KeysCheck::Secure(
                ZoneKeys {
                    zone: zone.clone(),
                    keys,
                },
                verified.ttl,
            )
        }
        RrsetCheck::Unsupported => KeysCheck::Insecure(Reason::UnsupportedAlgorithm),
        RrsetCheck::Bogus(Reason::SignatureInvalid | Reason::RrsigsMissing) => {
            KeysCheck::Bogus(Reason::DsMismatch)
        }
        RrsetCheck::Bogus(reason) => KeysCheck::Bogus(reason),
    }
}
