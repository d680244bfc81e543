//! Signs a prepared zone in place: DNSKEY at the apex, the NSEC or NSEC3 chain, an RRSIG over every
//! authoritative RRset (RFC 4035 §2). Runs at load and reload only, never per query.
//!
//! Glue and a delegation's NS are not signed (RFC 4035 §2.2); a delegation's DS is. Signatures of
//! an RRset unchanged since the previous load are kept while they have more than the refresh
//! margin left, so a reload re-signs only what changed.

use std::collections::HashMap;
use std::sync::Arc;

use data_encoding::BASE32_DNSSEC;
use hickory_proto::dnssec::rdata::{DNSSECRData, SigInput, NSEC, NSEC3, NSEC3PARAM, RRSIG};
use hickory_proto::dnssec::{Nsec3HashAlgorithm, TBS};
use hickory_proto::rr::{DNSClass, LowerName, Name, RData, Record, RecordType, SerialNumber};

use crate::dnssec::config::{DenialKind, DnssecConfig};
use crate::dnssec::denial::Denial;
use crate::dnssec::keys::ZoneKey;
use crate::dnssec::ZoneDnssec;
use crate::limits::{
    SIGNATURE_INCEPTION_BACKDATE_SECONDS, SIGNATURE_REFRESH_SECONDS, SIGNATURE_VALIDITY_SECONDS,
};
use crate::zone::names::ancestor;
use crate::zone::prepared::{RecordSet, Zone, ZoneNode};

/// RFC 9276 §3.1: NSEC3 with no extra iterations and an empty salt.
pub const NSEC3_ITERATIONS: u16 = 0;

/// When and how long signatures made now are valid.
#[derive(Clone, Copy, Debug)]
pub struct SignatureWindow {
    pub now: u32,
    pub inception: u32,
    pub expiration: u32,
}

impl SignatureWindow {
    pub fn starting(now: u32) -> SignatureWindow {
        SignatureWindow {
            now,
            inception: now.wrapping_sub(SIGNATURE_INCEPTION_BACKDATE_SECONDS),
            expiration: now.wrapping_add(SIGNATURE_VALIDITY_SECONDS),
        }
    }
}

/// Why a zone could not be signed.
#[derive(Debug)]
pub enum SignError {
    NoKeys,
    Signing { owner: Name, problem: String },
    Nsec3Collision(Name),
}

impl std::fmt::Display for SignError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoKeys => write!(formatter, "no keys to sign with"),
            Self::Signing { owner, problem } => {
                write!(formatter, "cannot sign {owner}: {problem}")
            }
            Self::Nsec3Collision(owner) => write!(
                formatter,
                "NSEC3 hash collision at {owner}; the zone cannot use NSEC3 (RFC 5155 §7.1)"
            ),
        }
    }
}

/// Which keys sign which RRsets (RFC 6781 §3.1): SEP keys sign the DNSKEY RRset, the others the
/// rest; an algorithm with only SEP keys (a CSK) or only non-SEP keys signs everything with all
/// of its keys. Decided per algorithm: each algorithm of the DNSKEY RRset must sign every RRset
/// (RFC 6840 §5.11, RFC 4035 §2.2).
struct KeyUse<'keys> {
    dnskey: Vec<&'keys ZoneKey>,
    other: Vec<&'keys ZoneKey>,
}

impl<'keys> KeyUse<'keys> {
    fn new(keys: &'keys [ZoneKey]) -> KeyUse<'keys> {
        let mut algorithms: Vec<u8> = keys.iter().map(|key| u8::from(key.algorithm())).collect();
        algorithms.sort_unstable();
        algorithms.dedup();
        let mut dnskey = Vec::new();
        let mut other = Vec::new();
        for algorithm in algorithms {
            let same: Vec<&ZoneKey> = keys
                .iter()
                .filter(|key| u8::from(key.algorithm()) == algorithm)
                .collect();
            let (secure_entry, zone_signing): (Vec<&ZoneKey>, Vec<&ZoneKey>) =
                same.iter().partition(|key| key.is_secure_entry_point());
            dnskey.extend(if secure_entry.is_empty() {
                same.clone()
            } else {
                secure_entry
            });
            other.extend(if zone_signing.is_empty() {
                same
            } else {
                zone_signing
            });
        }
        KeyUse { dnskey, other }
    }

    fn for_type(&self, record_type: RecordType) -> &[&'keys ZoneKey] {
        if record_type == RecordType::DNSKEY {
            &self.dnskey
        } else {
            &self.other
        }
    }
}

/// Whether a name lies below one of the zone's cuts (glue or occluded data: not authoritative).
fn is_below_cut(zone: &Zone, name: &LowerName) -> bool {
    let apex_labels = usize::from(zone.origin.num_labels());
    let labels = usize::from(name.num_labels());
    (apex_labels + 1..labels).any(|count| {
        zone.node_lower(&ancestor(name, count))
            .is_some_and(|node| node.is_delegation)
    })
}

/// The types an NSEC or NSEC3 bitmap lists for `node` (RFC 4035 §2.3: at a cut only NS and DS
/// are the parent's; RFC 5155 §7.1 likewise), without NSEC/NSEC3 and RRSIG themselves.
fn authoritative_types(node: &ZoneNode) -> Vec<RecordType> {
    node.sets
        .iter()
        .map(|served| served.set.record_type)
        .filter(|record_type| {
            !node.is_delegation || matches!(record_type, RecordType::NS | RecordType::DS)
        })
        .filter(|record_type| *record_type != RecordType::NSEC)
        .collect()
}

fn has_signed_data(node: &ZoneNode) -> bool {
    if node.is_delegation {
        node.find(RecordType::DS).is_some()
    } else {
        !node.sets.is_empty()
    }
}

/// Signs `zone` with `keys`. `previous`, the zone as last served, lends the signatures of RRsets
/// that did not change and are still fresh.
pub fn sign_zone(
    zone: &mut Zone,
    keys: &[ZoneKey],
    config: &DnssecConfig,
    window: SignatureWindow,
    previous: Option<&Zone>,
) -> Result<(), SignError> {
    if keys.is_empty() {
        return Err(SignError::NoKeys);
    }
    let origin = zone.origin.to_lowercase();
    let apex_key = LowerName::new(&origin);
    let soa_ttl = zone.soa.ttl();
    // RFC 9077 §3: NSEC/NSEC3 TTL = min(SOA TTL, SOA minimum), the negative-caching TTL.
    let negative_ttl = if zone.negative_soa.is_empty() {
        soa_ttl
    } else {
        zone.negative_soa.ttl()
    };

    // The apex DNSKEY RRset (Knot's default DNSKEY TTL is the SOA TTL), and NSEC3PARAM.
    let dnskeys: Vec<Record> = keys
        .iter()
        .map(|key| {
            Record::from_rdata(
                origin.clone(),
                soa_ttl,
                RData::DNSSEC(DNSSECRData::DNSKEY(key.dnskey.clone())),
            )
        })
        .collect();
    let mut apex_additions = vec![new_set(&origin, RecordType::DNSKEY, dnskeys)?];
    if let DenialKind::Nsec3 { .. } = config.denial {
        let parameters = NSEC3PARAM::new(
            Nsec3HashAlgorithm::SHA1,
            false,
            NSEC3_ITERATIONS,
            Vec::new(),
        );
        apex_additions.push(new_set(
            &origin,
            RecordType::NSEC3PARAM,
            vec![Record::from_rdata(
                origin.clone(),
                0,
                RData::DNSSEC(DNSSECRData::NSEC3PARAM(parameters)),
            )],
        )?);
    }
    if let Some(apex) = zone.nodes.get_mut(&apex_key) {
        for addition in apex_additions {
            insert_set(apex, addition);
        }
    }

    // The names of the chain, in canonical order, with the types their bitmaps list.
    let mut authoritative: Vec<(Name, LowerName)> = zone
        .nodes
        .keys()
        .filter(|name| !is_below_cut(zone, name))
        .map(|name| (Name::from(name.clone()), name.clone()))
        .collect();
    authoritative.sort_by(|left, right| left.0.cmp(&right.0));

    let key_use = KeyUse::new(keys);
    let mut signer = Signer {
        origin: &origin,
        key_use: &key_use,
        window,
        previous,
        earliest_expiration: u32::MAX,
    };

    let denial = match config.denial {
        DenialKind::Nsec => {
            let members: Vec<&(Name, LowerName)> = authoritative
                .iter()
                .filter(|(_, key)| {
                    zone.nodes
                        .get(key)
                        .is_some_and(|node| !node.sets.is_empty())
                })
                .collect();
            let mut chain = Vec::with_capacity(members.len());
            for (index, (name, key)) in members.iter().enumerate() {
                let next = members
                    .get(index + 1)
                    .or(members.first())
                    .map_or_else(|| origin.clone(), |(next, _)| next.clone());
                let Some(node) = zone.nodes.get_mut(key) else {
                    continue;
                };
                let types = authoritative_types(node);
                let nsec = NSEC::new_cover_self(next, types);
                let set = new_set(
                    name,
                    RecordType::NSEC,
                    vec![Record::from_rdata(
                        name.clone(),
                        negative_ttl,
                        RData::DNSSEC(DNSSECRData::NSEC(nsec)),
                    )],
                )?;
                insert_set(node, set);
            }
            // Filled after signing, from the signed NSEC sets.
            chain.extend(
                members
                    .iter()
                    .map(|(name, key)| (name.clone(), key.clone())),
            );
            DenialPlan::Nsec(chain)
        }
        DenialKind::Nsec3 { opt_out } => {
            let mut hashed: Vec<(Vec<u8>, Vec<RecordType>, bool)> = Vec::new();
            for (name, key) in &authoritative {
                let Some(node) = zone.nodes.get(key) else {
                    continue;
                };
                // RFC 5155 §7.1: with opt-out, an unsigned delegation may go without an NSEC3.
                if opt_out && node.is_delegation && node.find(RecordType::DS).is_none() {
                    continue;
                }
                let hash = Nsec3HashAlgorithm::SHA1
                    .hash(&[], name, NSEC3_ITERATIONS)
                    .map_err(|error| SignError::Signing {
                        owner: name.clone(),
                        problem: error.to_string(),
                    })?;
                let mut types = authoritative_types(node);
                if has_signed_data(node) || key == &apex_key {
                    types.push(RecordType::RRSIG);
                }
                hashed.push((hash.as_ref().to_vec(), types, node.is_delegation));
            }
            hashed.sort_by(|left, right| left.0.cmp(&right.0));
            if let Some(pair) = hashed.windows(2).find(|pair| pair[0].0 == pair[1].0) {
                return Err(SignError::Nsec3Collision(owner_of_hash(
                    &pair[0].0, &origin,
                )));
            }
            let mut chain = Vec::with_capacity(hashed.len());
            for (index, (hash, types, _)) in hashed.iter().enumerate() {
                let next = hashed
                    .get(index + 1)
                    .or(hashed.first())
                    .map_or_else(Vec::new, |(next, _, _)| next.clone());
                let owner = owner_of_hash(hash, &origin);
                let nsec3 = NSEC3::new(
                    Nsec3HashAlgorithm::SHA1,
                    opt_out,
                    NSEC3_ITERATIONS,
                    Vec::new(),
                    next,
                    types.iter().copied(),
                );
                let set = new_set(
                    &owner,
                    RecordType::NSEC3,
                    vec![Record::from_rdata(
                        owner.clone(),
                        negative_ttl,
                        RData::DNSSEC(DNSSECRData::NSEC3(nsec3)),
                    )],
                )?;
                let signed = signer.signed(&set)?;
                chain.push((hash.clone(), Arc::new(signed)));
            }
            DenialPlan::Nsec3(chain)
        }
    };

    // Sign every authoritative RRset; remember old → new so shared references follow.
    let mut replaced: HashMap<*const RecordSet, Arc<RecordSet>> = HashMap::new();
    for (_, key) in &authoritative {
        let Some(node) = zone.nodes.get_mut(key) else {
            continue;
        };
        let is_delegation = node.is_delegation;
        for served in &mut node.sets {
            let record_type = served.set.record_type;
            if is_delegation && !matches!(record_type, RecordType::DS | RecordType::NSEC) {
                continue;
            }
            let signed = Arc::new(signer.signed(&served.set)?);
            replaced.insert(Arc::as_ptr(&served.set), signed.clone());
            served.set = signed;
        }
    }
    let follow = |set: &Arc<RecordSet>| -> Arc<RecordSet> {
        replaced
            .get(&Arc::as_ptr(set))
            .cloned()
            .unwrap_or_else(|| set.clone())
    };
    for node in zone.nodes.values_mut() {
        for served in &mut node.sets {
            for additional in &mut served.additional {
                *additional = follow(additional);
            }
        }
    }
    zone.soa = follow(&zone.soa);
    // The negative SOA is the SOA at a lower TTL; its signatures too (RFC 4035 §3.1.3 sends them).
    let mut negative = (*zone.negative_soa).clone();
    negative.signatures = zone.soa.signatures.clone();
    let negative_ttl = (!negative.is_empty()).then(|| negative.ttl());
    for signature in &mut negative.signatures {
        signature.ttl = negative_ttl.unwrap_or(signature.ttl);
    }
    zone.negative_soa = Arc::new(negative);

    let chain = match denial {
        DenialPlan::Nsec(members) => Denial::Nsec(
            members
                .into_iter()
                .filter_map(|(name, key)| {
                    let set = zone.nodes.get(&key)?.find(RecordType::NSEC)?.set.clone();
                    Some((name, set))
                })
                .collect(),
        ),
        DenialPlan::Nsec3(chain) => Denial::Nsec3 {
            salt: Vec::new(),
            iterations: NSEC3_ITERATIONS,
            chain,
        },
    };
    let ds = keys
        .iter()
        .filter(|key| key.is_secure_entry_point())
        .filter_map(|key| key.ds(&origin))
        .collect();
    zone.dnssec = Some(Box::new(ZoneDnssec {
        config: config.clone(),
        chain: Some(Arc::new(chain)),
        earliest_expiration: signer.earliest_expiration,
        ds,
        key_tags: keys.iter().map(|key| key.key_tag).collect(),
    }));
    Ok(())
}

enum DenialPlan {
    Nsec(Vec<(Name, LowerName)>),
    Nsec3(Vec<(Vec<u8>, Arc<RecordSet>)>),
}

/// `<base32hex(hash)>.<origin>` (RFC 5155 §3).
fn owner_of_hash(hash: &[u8], origin: &Name) -> Name {
    Name::from_ascii(BASE32_DNSSEC.encode(hash))
        .and_then(|label| label.append_domain(origin))
        .unwrap_or_else(|_| origin.clone())
}

fn new_set(
    owner: &Name,
    record_type: RecordType,
    records: Vec<Record>,
) -> Result<RecordSet, SignError> {
    RecordSet::from_records(owner, record_type, &records).map_err(|unencodable| {
        SignError::Signing {
            owner: owner.clone(),
            problem: unencodable.reason,
        }
    })
}

/// Adds (or replaces) an RRset in a node, keeping the type order `ZoneNode::sets` promises.
fn insert_set(node: &mut ZoneNode, set: RecordSet) {
    node.put_set(Arc::new(set));
}

/// Makes (or reuses) the signatures of one RRset.
struct Signer<'a> {
    origin: &'a Name,
    key_use: &'a KeyUse<'a>,
    window: SignatureWindow,
    previous: Option<&'a Zone>,
    earliest_expiration: u32,
}

impl Signer<'_> {
    fn signed(&mut self, set: &RecordSet) -> Result<RecordSet, SignError> {
        let keys = self.key_use.for_type(set.record_type);
        let signatures = match self.reusable(set, keys) {
            Some(signatures) => signatures,
            None => self.sign(set, keys)?,
        };
        for signature in &signatures {
            if let RData::DNSSEC(DNSSECRData::RRSIG(rrsig)) = &signature.data {
                self.earliest_expiration = self
                    .earliest_expiration
                    .min(rrsig.input().sig_expiration.get());
            }
        }
        let mut signed = set.clone();
        signed.signatures = signatures.into();
        Ok(signed)
    }

    /// The previous zone's signatures of an identical RRset, made by exactly these keys, that
    /// still have more than the refresh margin left.
    fn reusable(&self, set: &RecordSet, keys: &[&ZoneKey]) -> Option<Vec<Record>> {
        let previous = self.previous?;
        let old = match set.record_type {
            RecordType::NSEC3 => previous
                .dnssec
                .as_ref()?
                .chain
                .as_ref()?
                .nsec3_sets()
                .find(|old| old.owner_wire().eq_ignore_ascii_case(set.owner_wire()))?
                .clone(),
            _ => previous
                .node(&set.owner())?
                .find(set.record_type)?
                .set
                .clone(),
        };
        if !old.same_records(set) || old.signatures.len() != keys.len() {
            return None;
        }
        let fresh_until = self.window.now.checked_add(SIGNATURE_REFRESH_SECONDS)?;
        let all_fresh = old.signatures.iter().zip(keys).all(|(signature, key)| {
            matches!(&signature.data, RData::DNSSEC(DNSSECRData::RRSIG(rrsig))
                if rrsig.input().key_tag == key.key_tag
                    && rrsig.input().sig_expiration.get() > fresh_until
                    && rrsig.input().sig_inception.get() <= self.window.now)
        });
        all_fresh.then(|| old.signatures.to_vec())
    }

    fn sign(&self, set: &RecordSet, keys: &[&ZoneKey]) -> Result<Vec<Record>, SignError> {
        let ttl = set.ttl();
        let owner = set.owner();
        let records = set.records();
        let failed = |problem: String| SignError::Signing {
            owner: owner.clone(),
            problem,
        };
        keys.iter()
            .map(|key| {
                let input = SigInput {
                    type_covered: set.record_type,
                    algorithm: key.algorithm(),
                    // RFC 4034 §3.1.3: a wildcard owner's `*` is not counted (hickory does not).
                    num_labels: owner.num_labels(),
                    original_ttl: ttl,
                    sig_expiration: SerialNumber::new(self.window.expiration),
                    sig_inception: SerialNumber::new(self.window.inception),
                    key_tag: key.key_tag,
                    signer_name: self.origin.clone(),
                };
                let tbs = TBS::from_input(&owner, DNSClass::IN, &input, records.iter())
                    .map_err(|error| failed(error.to_string()))?;
                let signature = key
                    .signer
                    .sign(&tbs)
                    .map_err(|error| failed(error.to_string()))?;
                Ok(Record::from_rdata(
                    owner.clone(),
                    ttl,
                    RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(input, signature))),
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::dnssec::keys::{generate_key, load_zone_keys, KeyRole};
    use crate::zone::build::build_zone;
    use crate::zone::yaml_zone::read_zone_text;
    use hickory_proto::dnssec::Algorithm;

    const ZONE: &str = "
'':
  - type: NS
    value: ns1.example.test.
ns1:
  type: A
  value: 192.0.2.1
www:
  type: A
  value: 192.0.2.2
";

    fn signed(
        text: &str,
        window: SignatureWindow,
        previous: Option<&Zone>,
        keys: &[ZoneKey],
    ) -> Zone {
        let origin = Name::from_ascii("example.test.").unwrap();
        let read = read_zone_text(text, Path::new("example.test.yaml"), &origin).unwrap();
        let mut zone = build_zone(read).unwrap();
        let config = crate::dnssec::config::DnssecConfig {
            keys: None,
            denial: DenialKind::Nsec,
            sign: true,
            lab_fault: None,
            line: 0,
        };
        sign_zone(&mut zone, keys, &config, window, previous).unwrap();
        zone
    }

    fn signatures_of(zone: &Zone, owner: &str) -> Vec<Record> {
        let name = Name::from_ascii(owner).unwrap();
        zone.node(&name)
            .unwrap()
            .find(RecordType::A)
            .unwrap()
            .set
            .signatures
            .to_vec()
    }

    #[test]
    fn reload_reuses_fresh_signatures_of_unchanged_rrsets_and_signs_changed_ones() {
        let directory =
            std::env::temp_dir().join(format!("authority-sign-reuse-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        let origin = Name::from_ascii("example.test.").unwrap();
        generate_key(&origin, Algorithm::ED25519, KeyRole::Combined, &directory).unwrap();
        let keys = load_zone_keys(&directory, &origin).unwrap();
        let first = signed(ZONE, SignatureWindow::starting(1_000_000), None, &keys);
        let changed = ZONE.replace("192.0.2.2", "192.0.2.3");
        // A day later: the old signatures have 13 days left, more than the 7-day margin.
        let second = signed(
            &changed,
            SignatureWindow::starting(1_086_400),
            Some(&first),
            &keys,
        );
        assert_eq!(
            signatures_of(&first, "ns1.example.test."),
            signatures_of(&second, "ns1.example.test.")
        );
        assert_ne!(
            signatures_of(&first, "www.example.test."),
            signatures_of(&second, "www.example.test.")
        );
        // Eight days later every signature is re-made.
        let third = signed(
            &changed,
            SignatureWindow::starting(1_000_000 + 8 * 86_400),
            Some(&second),
            &keys,
        );
        assert_ne!(
            signatures_of(&second, "ns1.example.test."),
            signatures_of(&third, "ns1.example.test.")
        );
        let _ = std::fs::remove_dir_all(&directory);
    }

    #[test]
    fn glue_and_delegation_ns_are_not_signed_but_the_ds_proof_is() {
        let directory =
            std::env::temp_dir().join(format!("authority-sign-glue-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        let origin = Name::from_ascii("example.test.").unwrap();
        generate_key(&origin, Algorithm::ED25519, KeyRole::Combined, &directory).unwrap();
        let keys = load_zone_keys(&directory, &origin).unwrap();
        let text = format!("{ZONE}sub:\n  type: NS\n  value: ns.sub.example.test.\nns.sub:\n  type: A\n  value: 192.0.2.9\n");
        let zone = signed(&text, SignatureWindow::starting(1_000_000), None, &keys);
        let node = |name: &str| zone.node(&Name::from_ascii(name).unwrap()).unwrap();
        assert!(node("sub.example.test.")
            .find(RecordType::NS)
            .unwrap()
            .set
            .signatures
            .is_empty());
        assert!(node("ns.sub.example.test.")
            .find(RecordType::A)
            .unwrap()
            .set
            .signatures
            .is_empty());
        assert!(node("ns.sub.example.test.")
            .find(RecordType::NSEC)
            .is_none());
        assert_eq!(
            node("sub.example.test.")
                .find(RecordType::NSEC)
                .unwrap()
                .set
                .signatures
                .len(),
            1
        );
        let _ = std::fs::remove_dir_all(&directory);
    }
}
