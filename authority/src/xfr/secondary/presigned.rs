//! A zone a primary signed (RFC 4035 §2), served as it came: RRSIGs attached to the RRsets they
//! cover, NSEC/NSEC3 kept as the chain for proofs. We never sign or re-sign what we pull.
//!
//! The DNSSEC records are set aside before the zone checks (an NSEC at a delegation is not glue,
//! an RRSIG beside a CNAME is not other data, NSEC3 owners are not names of the zone) and put back
//! on the built zone, as `dnssec::sign` puts its own: NSEC in the nodes, NSEC3 in the chain only.

use std::collections::HashMap;
use std::sync::Arc;

use data_encoding::BASE32_DNSSEC;
use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordType};

use crate::dnssec::config::{DenialKind, DnssecConfig};
use crate::dnssec::denial::Denial;
use crate::dnssec::ZoneDnssec;
use crate::zone::prepared::{RecordSet, Zone};

/// The DNSSEC records of a transfer, set aside from the data the zone checks see.
#[derive(Debug, Default)]
pub struct SetAside {
    /// RRSIGs by (owner, type covered).
    signatures: HashMap<(LowerName, RecordType), Vec<Record>>,
    nsec: Vec<Record>,
    nsec3: Vec<Record>,
}

impl SetAside {
    pub fn is_empty(&self) -> bool {
        self.signatures.is_empty() && self.nsec.is_empty() && self.nsec3.is_empty()
    }
}

/// Splits `records` into the data the zone checks see and the DNSSEC records set aside.
pub fn set_aside(records: Vec<Record>) -> (Vec<Record>, SetAside) {
    let mut aside = SetAside::default();
    let mut data = Vec::with_capacity(records.len());
    for record in records {
        match &record.data {
            RData::DNSSEC(DNSSECRData::RRSIG(rrsig)) => {
                let key = (LowerName::new(&record.name), rrsig.input().type_covered);
                aside.signatures.entry(key).or_default().push(record);
            }
            RData::DNSSEC(DNSSECRData::NSEC(_)) => aside.nsec.push(record),
            RData::DNSSEC(DNSSECRData::NSEC3(_)) => aside.nsec3.push(record),
            _ => data.push(record),
        }
    }
    (data, aside)
}

/// The RRset of `records` (one owner and type) with its signatures taken from `aside`.
fn signed_set(aside: &mut SetAside, records: Vec<Record>) -> Option<RecordSet> {
    let first = records.first()?;
    let owner = first.name.clone();
    let record_type = first.record_type();
    let signatures = aside
        .signatures
        .remove(&(LowerName::new(&owner), record_type))
        .unwrap_or_default();
    let mut set = RecordSet::from_records(&owner, record_type, &records).ok()?;
    set.signatures = signatures.into();
    Some(set)
}

/// Groups records of one type into RRsets by owner (lowercased), in input order.
fn by_owner(records: Vec<Record>) -> Vec<(LowerName, Vec<Record>)> {
    let mut index: HashMap<LowerName, usize> = HashMap::new();
    let mut groups: Vec<(LowerName, Vec<Record>)> = Vec::new();
    for record in records {
        let key = LowerName::new(&record.name);
        match index.get(&key) {
            Some(&at) => groups[at].1.push(record),
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((key, vec![record]));
            }
        }
    }
    groups
}

/// The NSEC3 hash an owner name spells in its first label (RFC 5155 §3: base32hex).
fn hash_of_owner(owner: &Name) -> Option<Vec<u8>> {
    let label = owner.iter().next()?;
    BASE32_DNSSEC.decode(&label.to_ascii_uppercase()).ok()
}

/// Puts the set-aside DNSSEC records back on `zone`, built from the rest: signatures on every
/// RRset (the SOA's on the negative SOA too, at its TTL), NSEC RRsets in their nodes (a
/// delegation's included), and the NSEC or NSEC3 chain the proofs search. Returns how many
/// signatures covered nothing in the zone (dropped, as NSD drops them).
pub fn attach(zone: &mut Zone, mut aside: SetAside) -> usize {
    let nsec_sets: Vec<RecordSet> = by_owner(std::mem::take(&mut aside.nsec))
        .into_iter()
        .filter_map(|(_, records)| signed_set(&mut aside, records))
        .collect();
    let nsec3_sets: Vec<RecordSet> = by_owner(std::mem::take(&mut aside.nsec3))
        .into_iter()
        .filter_map(|(_, records)| signed_set(&mut aside, records))
        .collect();

    // Signatures onto the RRsets the build made; old → new so shared references follow.
    let mut replaced: HashMap<*const RecordSet, Arc<RecordSet>> = HashMap::new();
    for (key, node) in zone.nodes.iter_mut() {
        for served in &mut node.sets {
            let Some(signatures) = aside
                .signatures
                .remove(&(key.clone(), served.set.record_type))
            else {
                continue;
            };
            let mut signed = (*served.set).clone();
            signed.signatures = signatures.into();
            let signed = Arc::new(signed);
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
    // RFC 4035 §3.1.3: a negative answer carries the SOA's signatures with the SOA.
    let mut negative = (*zone.negative_soa).clone();
    let negative_ttl = (!negative.is_empty()).then(|| negative.ttl());
    negative.signatures = zone.soa.signatures.clone();
    for signature in &mut negative.signatures {
        signature.ttl = negative_ttl.unwrap_or(signature.ttl);
    }
    zone.negative_soa = Arc::new(negative);

    // NSEC RRsets into their nodes, in type order, as the signer puts its own.
    let mut nsec_chain: Vec<(Name, Arc<RecordSet>)> = Vec::with_capacity(nsec_sets.len());
    for set in nsec_sets {
        let key = LowerName::new(&set.owner());
        let count = set.len();
        let set = Arc::new(set);
        // An NSEC where the checks left no node (no other data) is kept all the same, so
        // the copy and our own transfers hold what the primary sent.
        let Some(node) = zone.nodes.get_or_insert_default(&key) else {
            continue;
        };
        node.put_set(set.clone());
        zone.record_count += count;
        nsec_chain.push((set.owner().to_lowercase(), set));
    }
    nsec_chain.sort_by(|left, right| left.0.cmp(&right.0));

    // The NSEC3 chain, with the parameters the apex NSEC3PARAM names (RFC 5155 §4: the chain
    // the primary built for answers); NSEC3 of another chain (a rollover in progress) are
    // left out of the proofs.
    let parameters = zone
        .apex()
        .and_then(|apex| apex.find(RecordType::NSEC3PARAM))
        .and_then(|served| served.set.rdatas().next())
        .and_then(|data| match data {
            RData::DNSSEC(DNSSECRData::NSEC3PARAM(parameters)) => {
                Some((parameters.salt().to_vec(), parameters.iterations()))
            }
            _ => None,
        });
    let mut opt_out = false;
    let mut nsec3_chain: Vec<(Vec<u8>, Arc<RecordSet>)> = Vec::with_capacity(nsec3_sets.len());
    let mut nsec3_parameters = parameters;
    for set in nsec3_sets {
        let Some(RData::DNSSEC(DNSSECRData::NSEC3(nsec3))) = set.rdatas().next() else {
            continue;
        };
        let these = (nsec3.salt().to_vec(), nsec3.iterations());
        let wanted = nsec3_parameters.get_or_insert_with(|| these.clone());
        if *wanted != these {
            continue;
        }
        opt_out |= nsec3.opt_out();
        let Some(hash) = hash_of_owner(&set.owner()) else {
            continue;
        };
        zone.record_count += set.len();
        nsec3_chain.push((hash, Arc::new(set)));
    }
    nsec3_chain.sort_by(|left, right| left.0.cmp(&right.0));

    let (chain, denial) = match nsec3_parameters {
        Some((salt, iterations)) if !nsec3_chain.is_empty() => (
            Denial::Nsec3 {
                salt,
                iterations,
                chain: nsec3_chain,
            },
            DenialKind::Nsec3 { opt_out },
        ),
        _ => (Denial::Nsec(nsec_chain), DenialKind::Nsec),
    };
    zone.dnssec = Some(Box::new(ZoneDnssec {
        // No keys and `sign: false`: the primary signs; we serve what it signed.
        config: DnssecConfig {
            keys: None,
            denial,
            sign: false,
            lab_fault: None,
            line: 0,
        },
        chain: Some(Arc::new(chain)),
        // Never due for re-signing here: the primary refreshes its signatures and we pull them.
        earliest_expiration: u32::MAX,
        ds: Vec::new(),
        key_tags: Vec::new(),
    }));
    aside.signatures.values().map(Vec::len).sum()
}

#[cfg(test)]
mod tests {
    //! A zone signed by our own signer, sent as records and rebuilt, must answer as the original.

    use std::path::{Path, PathBuf};

    use hickory_proto::dnssec::Algorithm;

    use super::*;
    use crate::dnssec::keys::{generate_key, load_zone_keys, KeyRole};
    use crate::dnssec::master::signed_records;
    use crate::dnssec::sign::{sign_zone, SignatureWindow};
    use crate::xfr::journal::{canonical_bytes, zone_records};
    use crate::xfr::secondary::apply::build_secondary_zone;
    use crate::zone::build::build_zone;
    use crate::zone::yaml_zone::read_zone_text;

    const ZONE: &str = "
'':
  - type: NS
    value: ns1.example.test.
ns1:
  type: A
  value: 192.0.2.1
www:
  type: CNAME
  value: ns1.example.test.
'*.wild':
  type: TXT
  value: wildcard
signed-child:
  - type: NS
    value: ns.signed-child.example.test.
  - type: DS
    value:
      key_tag: 12345
      algorithm: 13
      digest_type: 2
      digest: 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns.signed-child:
  type: A
  value: 192.0.2.53
unsigned-child:
  type: NS
  value: ns.elsewhere.test.
";

    fn origin() -> Name {
        Name::from_ascii("example.test.").unwrap()
    }

    /// The zone signed by us with `denial`, as a primary would send it: SOA first, then the rest.
    fn signed(denial: DenialKind, tag: &str) -> (Zone, Record, Vec<Record>) {
        let directory =
            std::env::temp_dir().join(format!("authority-presigned-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&directory);
        generate_key(&origin(), Algorithm::ED25519, KeyRole::Combined, &directory).unwrap();
        let keys = load_zone_keys(&directory, &origin()).unwrap();
        let read = read_zone_text(ZONE, Path::new("example.test.yaml"), &origin()).unwrap();
        let mut zone = build_zone(read).unwrap();
        let config = DnssecConfig {
            keys: None,
            denial,
            sign: true,
            lab_fault: None,
            line: 0,
        };
        sign_zone(
            &mut zone,
            &keys,
            &config,
            SignatureWindow::starting(1_000_000),
            None,
        )
        .unwrap();
        let _ = std::fs::remove_dir_all(&directory);
        let soa = zone.soa.first().unwrap();
        let rest = signed_records(&zone)
            .into_iter()
            .filter(|record| record.record_type() != RecordType::SOA)
            .collect();
        (zone, soa, rest)
    }

    fn sorted(records: Vec<Record>) -> Vec<Vec<u8>> {
        let mut bytes: Vec<Vec<u8>> = records.iter().map(canonical_bytes).collect();
        bytes.sort();
        bytes
    }

    fn rebuilt(denial: DenialKind, tag: &str) -> (Zone, Zone) {
        let (original, soa, rest) = signed(denial, tag);
        let copy = build_secondary_zone(&origin(), soa, rest, PathBuf::from("transfer")).unwrap();
        (original, copy)
    }

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    #[test]
    fn an_nsec_signed_zone_keeps_every_record_signature_and_its_chain() {
        let (original, copy) = rebuilt(DenialKind::Nsec, "nsec");
        assert_eq!(sorted(zone_records(&copy)), sorted(zone_records(&original)));
        // The NSEC at a delegation is kept (it proves the DS or its absence), signed.
        let cut = copy.node(&name("unsigned-child.example.test.")).unwrap();
        assert!(cut.is_delegation);
        let nsec = cut.find(RecordType::NSEC).unwrap();
        assert!(!nsec.set.signatures.is_empty());
        let ds = copy.node(&name("signed-child.example.test.")).unwrap();
        assert!(!ds.find(RecordType::DS).unwrap().set.signatures.is_empty());
        assert!(!copy.negative_soa.signatures.is_empty());
        assert_eq!(copy.negative_soa.signatures[0].ttl, copy.negative_soa.ttl());
        let chain = copy.dnssec.as_ref().unwrap().chain.as_ref().unwrap();
        let before = chain
            .nsec_at_or_before(&name("nothere.example.test."))
            .unwrap();
        let expected = original.dnssec.as_ref().unwrap().chain.as_ref().unwrap();
        assert_eq!(
            before,
            expected
                .nsec_at_or_before(&name("nothere.example.test."))
                .unwrap()
        );
    }

    #[test]
    fn an_nsec3_opt_out_zone_keeps_its_chain_outside_the_names() {
        let (original, copy) = rebuilt(DenialKind::Nsec3 { opt_out: true }, "nsec3");
        assert_eq!(sorted(zone_records(&copy)), sorted(zone_records(&original)));
        // The hashed owners are no names of the zone: a query for one is NXDOMAIN.
        let chain = copy.dnssec.as_ref().unwrap().chain.as_ref().unwrap();
        assert!(chain.is_nsec3());
        let hashed = chain.nsec3_sets().next().unwrap().owner();
        assert!(copy.node(&hashed).is_none());
        let expected = original.dnssec.as_ref().unwrap().chain.as_ref().unwrap();
        for probe in [
            "example.test.",
            "nothere.example.test.",
            "x.wild.example.test.",
        ] {
            assert_eq!(
                chain.nsec3_matching(&name(probe)),
                expected.nsec3_matching(&name(probe)),
                "{probe}"
            );
            assert_eq!(
                chain.nsec3_covering(&name(probe)),
                expected.nsec3_covering(&name(probe)),
                "{probe}"
            );
        }
        assert!(matches!(
            copy.dnssec.as_ref().unwrap().config.denial,
            DenialKind::Nsec3 { opt_out: true }
        ));
    }

    #[test]
    fn an_unsigned_transfer_stays_unsigned() {
        let read = read_zone_text(ZONE, Path::new("example.test.yaml"), &origin()).unwrap();
        let zone = build_zone(read).unwrap();
        let records = zone_records(&zone);
        let copy = build_secondary_zone(
            &origin(),
            records[0].clone(),
            records[1..].to_vec(),
            PathBuf::from("transfer"),
        )
        .unwrap();
        assert!(copy.dnssec.is_none());
    }
}
