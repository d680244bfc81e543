//! NSEC3 denial of existence (RFC 5155 §8): hashed names, the closest encloser proof (§8.3),
//! name error (§8.4), no data (§8.5-8.7), wildcard answers (§8.8), opt-out and RFC 9276 bounds.

use std::collections::HashMap;

use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC3};
use hickory_proto::dnssec::Nsec3HashAlgorithm;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::dnssec::denial::{DsDenial, Proof};
use crate::limits::{MAX_NSEC3_HASHES_PER_PROOF, MAX_NSEC3_ITERATIONS};

/// An NSEC3 record with its owner hash decoded (RFC 5155 §3: base32hex first label).
pub struct Nsec3Record<'r> {
    pub owner_hash: Vec<u8>,
    pub zone: Name,
    pub nsec3: &'r NSEC3,
}

/// The NSEC3 records among `records` whose owner is a hash label under a zone.
pub fn nsec3_records(records: &[Record]) -> Vec<Nsec3Record<'_>> {
    records
        .iter()
        .filter_map(|record| {
            let RData::DNSSEC(DNSSECRData::NSEC3(nsec3)) = &record.data else {
                return None;
            };
            let label = record.name.iter().next()?;
            let owner_hash = data_encoding::BASE32HEX_NOPAD
                .decode(label.to_ascii_uppercase().as_slice())
                .ok()?;
            Some(Nsec3Record {
                owner_hash,
                zone: record.name.base_name(),
                nsec3,
            })
        })
        .collect()
}

#[cfg(test)]
thread_local! {
    /// NSEC3 hashes computed on this thread: tests assert the CVE-2023-50868 work on it.
    pub(crate) static HASHES_COMPUTED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The hashes of one proof, computed once per name (the expensive part, CVE-2023-50868).
struct Hasher<'a, 'r> {
    records: &'a [Nsec3Record<'r>],
    zone: Name,
    salt: Vec<u8>,
    iterations: u16,
    memo: HashMap<Name, Option<Vec<u8>>>,
}

impl<'a, 'r> Hasher<'a, 'r> {
    fn hash(&mut self, name: &Name) -> Option<Vec<u8>> {
        if let Some(known) = self.memo.get(name) {
            return known.clone();
        }
        let hash = if self.memo.len() >= MAX_NSEC3_HASHES_PER_PROOF {
            None
        } else {
            #[cfg(test)]
            HASHES_COMPUTED.with(|computed| computed.set(computed.get() + 1));
            Nsec3HashAlgorithm::SHA1
                .hash(&self.salt, name, self.iterations)
                .ok()
                .map(|digest| digest.as_ref().to_vec())
        };
        self.memo.insert(name.clone(), hash.clone());
        hash
    }

    fn in_zone(&self) -> impl Iterator<Item = &'a Nsec3Record<'r>> + '_ {
        self.records.iter().filter(|record| {
            record.zone == self.zone
                && record.nsec3.salt() == self.salt.as_slice()
                && record.nsec3.iterations() == self.iterations
        })
    }

    fn matching(&mut self, name: &Name) -> Option<&'a Nsec3Record<'r>> {
        let hash = self.hash(name)?;
        self.in_zone().find(|record| record.owner_hash == hash)
    }

    /// RFC 5155 §3.1.7: owner hash < hash < next hash, the last one wrapping to the first.
    fn covering(&mut self, name: &Name) -> Option<&'a Nsec3Record<'r>> {
        let hash = self.hash(name)?;
        self.in_zone().find(|record| {
            let (owner, next) = (
                record.owner_hash.as_slice(),
                record.nsec3.next_hashed_owner_name(),
            );
            if owner < next {
                owner < hash.as_slice() && hash.as_slice() < next
            } else {
                owner < hash.as_slice() || hash.as_slice() < next
            }
        })
    }

    /// RFC 5155 §8.3: the closest encloser of `name` and the record covering the next closer
    /// name; None when the proof is not there.
    fn closest_encloser(&mut self, name: &Name) -> Option<(Name, &'a Nsec3Record<'r>)> {
        let zone_labels = usize::from(self.zone.num_labels());
        // Every label, a leading `*` too (hickory's `num_labels` leaves it out; `trim_to` counts it).
        let labels = name.iter().count();
        for keep in (zone_labels..labels).rev() {
            let candidate = name.trim_to(keep);
            let Some(found) = self.matching(&candidate) else {
                continue;
            };
            let types = found.nsec3.type_set();
            // §8.3: a delegation or DNAME at the encloser means the server should have
            // referred or redirected; such a proof is not accepted.
            if (types.contains(RecordType::NS) && !types.contains(RecordType::SOA))
                || types.contains(RecordType::DNAME)
            {
                return None;
            }
            let next_closer = name.trim_to(keep + 1);
            let cover = self.covering(&next_closer)?;
            return Some((candidate, cover));
        }
        None
    }
}

/// The parameters of the proof: those of the zone the NSEC3 records belong to (the deepest one
/// enclosing `name`); `Err` when iterations exceed the RFC 9276 bound.
fn hasher<'a, 'r>(
    records: &'a [Nsec3Record<'r>],
    name: &Name,
) -> Option<Result<Hasher<'a, 'r>, ()>> {
    let first = records
        .iter()
        .filter(|record| record.zone.zone_of(name))
        .filter(|record| record.nsec3.hash_algorithm() == Nsec3HashAlgorithm::SHA1)
        .max_by_key(|record| record.zone.num_labels())?;
    if first.nsec3.iterations() > MAX_NSEC3_ITERATIONS {
        return Some(Err(()));
    }
    Some(Ok(Hasher {
        records,
        zone: first.zone.clone(),
        salt: first.nsec3.salt().to_vec(),
        iterations: first.nsec3.iterations(),
        memo: HashMap::new(),
    }))
}

fn wildcard_of(parent: &Name) -> Option<Name> {
    Name::from_ascii("*").ok()?.append_domain(parent).ok()
}

fn type_absent(record: &Nsec3Record<'_>, qtype: RecordType) -> bool {
    let types = record.nsec3.type_set();
    if types.contains(qtype) || types.contains(RecordType::CNAME) {
        return false;
    }
    if qtype == RecordType::DS {
        // As for NSEC: only the root's apex may deny its own DS (it has no parent).
        !types.contains(RecordType::SOA) || record.zone.is_root()
    } else {
        !types.contains(RecordType::NS) || types.contains(RecordType::SOA)
    }
}

macro_rules! hasher_or_return {
    ($records:expr, $name:expr) => {
        match hasher($records, $name) {
            None => return Proof::NotProved,
            Some(Err(())) => return Proof::TooManyIterations,
            Some(Ok(hasher)) => hasher,
        }
    };
}

/// RFC 5155 §8.4: closest encloser proof and a record covering the wildcard at the encloser.
/// An opt-out span over the next closer name makes the answer insecure (Unbound does the same).
pub fn proves_name_error(records: &[Nsec3Record<'_>], qname: &Name) -> Proof {
    let mut hasher = hasher_or_return!(records, qname);
    let Some((encloser, cover)) = hasher.closest_encloser(qname) else {
        return Proof::NotProved;
    };
    let Some(wildcard) = wildcard_of(&encloser) else {
        return Proof::NotProved;
    };
    if hasher.covering(&wildcard).is_none() {
        return Proof::NotProved;
    }
    if cover.nsec3.opt_out() {
        Proof::OptOut
    } else {
        Proof::Proved
    }
}

/// RFC 5155 §8.5-8.7: a record matching the name without the type; for DS, an opt-out span
/// over the name (§8.6); or a wildcard at the closest encloser without the type (§8.7).
pub fn proves_no_data(records: &[Nsec3Record<'_>], qname: &Name, qtype: RecordType) -> Proof {
    let mut hasher = hasher_or_return!(records, qname);
    if let Some(record) = hasher.matching(qname) {
        return if type_absent(record, qtype) {
            Proof::Proved
        } else {
            Proof::NotProved
        };
    }
    let Some((encloser, cover)) = hasher.closest_encloser(qname) else {
        return Proof::NotProved;
    };
    // §8.6 for DS; for other types RFC 5155 errata 3441: no NSEC3 matches the name and an
    // opt-out span covers the next closer name, so the name may be an empty non-terminal above
    // unsigned delegations (which opt-out leaves without NSEC3): insecure, as Unbound.
    if cover.nsec3.opt_out() {
        return Proof::OptOut;
    }
    let Some(wildcard) = wildcard_of(&encloser) else {
        return Proof::NotProved;
    };
    match hasher.matching(&wildcard) {
        // An opt-out span over the next closer name may hide an unsigned delegation that
        // would have answered instead (RFC 5155 §9.2): insecure, as Unbound.
        Some(record) if type_absent(record, qtype) && cover.nsec3.opt_out() => Proof::OptOut,
        Some(record) if type_absent(record, qtype) => Proof::Proved,
        _ => Proof::NotProved,
    }
}

/// RFC 5155 §8.8: a wildcard expansion under `wildcard_parent` needs a record covering the next
/// closer name.
pub fn proves_no_closer_match(
    records: &[Nsec3Record<'_>],
    qname: &Name,
    wildcard_parent: &Name,
) -> Proof {
    let mut hasher = hasher_or_return!(records, qname);
    let next_closer = qname.trim_to(usize::from(wildcard_parent.num_labels()) + 1);
    match hasher.covering(&next_closer) {
        // RFC 5155 §9.2: an opt-out span may hide an unsigned delegation at the next closer
        // name, which would have answered instead of the wildcard: insecure (Unbound alike).
        Some(cover) if cover.nsec3.opt_out() => Proof::OptOut,
        Some(_) => Proof::Proved,
        None => Proof::NotProved,
    }
}

/// RFC 5155 §8.6 and §8.9: what a DS query's NSEC3 records say about `name`.
pub fn ds_denial(records: &[Nsec3Record<'_>], name: &Name) -> DsDenial {
    let mut hasher = match hasher(records, name) {
        None => return DsDenial::NotProved,
        Some(Err(())) => return DsDenial::TooManyIterations,
        Some(Ok(hasher)) => hasher,
    };
    if let Some(record) = hasher.matching(name) {
        let types = record.nsec3.type_set();
        if types.contains(RecordType::DS) || types.contains(RecordType::SOA) {
            return DsDenial::NotProved;
        }
        return if types.contains(RecordType::NS) {
            DsDenial::InsecureDelegation
        } else {
            DsDenial::NoZoneCut
        };
    }
    match hasher.closest_encloser(name) {
        Some((_, cover)) if cover.nsec3.opt_out() => DsDenial::OptOut,
        // The name does not exist, and no opt-out span: no cut there.
        Some(_) => DsDenial::NoZoneCut,
        None => DsDenial::NotProved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presentation::parse_dnssec_rdata;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    fn nsec3(owner: &str, rdata: &str) -> Record {
        let fields: Vec<&str> = rdata.split_whitespace().collect();
        let data = parse_dnssec_rdata(RecordType::NSEC3, &fields, &Name::root()).unwrap();
        Record::from_rdata(name(owner), 3600, data)
    }

    fn hash(text: &str) -> String {
        let digest = Nsec3HashAlgorithm::SHA1
            .hash(&[0xaa, 0xbb, 0xcc, 0xdd], &name(text), 12)
            .unwrap();
        data_encoding::BASE32HEX_NOPAD
            .encode(digest.as_ref())
            .to_ascii_lowercase()
    }

    /// RFC 5155 appendix A: the hashed owner names of the example zone (salt aabbccdd, 12
    /// iterations).
    #[test]
    fn rfc5155_appendix_a_hashes() {
        for (owner, hashed) in [
            ("example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"),
            ("a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl"),
            ("ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi"),
            ("ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"),
            ("ns2.example.", "q04jkcevqvmu85r014c7dkba38o0ji5r"),
            ("w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h"),
            ("*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"),
            ("x.w.example.", "b4um86eghhds6nea196smvmlo4ors995"),
            ("y.w.example.", "ji6neoaepv8b5o6k4ev33abha8ht9fgc"),
            ("x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s"),
            ("xx.example.", "t644ebqk9bibcna874givr6joj62mlhv"),
        ] {
            assert_eq!(hash(owner), hashed, "{owner}");
        }
    }

    /// The example zone's NSEC3 chain (RFC 5155 appendix A), as in its appendix B answers.
    fn appendix_a_chain() -> Vec<Record> {
        [
            ("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example.", "1 1 12 aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG"),
            ("2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.", "1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG"),
            ("2vptu5timamqttgl4luu9kg21e0aor3s.example.", "1 1 12 aabbccdd 35mthgpgcu1qg68fab165klnsnk3dpvl MX RRSIG"),
            ("35mthgpgcu1qg68fab165klnsnk3dpvl.example.", "1 1 12 aabbccdd b4um86eghhds6nea196smvmlo4ors995 NS DS RRSIG"),
            ("b4um86eghhds6nea196smvmlo4ors995.example.", "1 1 12 aabbccdd gjeqe526plbf1g8mklp59enfd789njgi MX RRSIG"),
            ("gjeqe526plbf1g8mklp59enfd789njgi.example.", "1 1 12 aabbccdd ji6neoaepv8b5o6k4ev33abha8ht9fgc HINFO A AAAA RRSIG"),
            ("ji6neoaepv8b5o6k4ev33abha8ht9fgc.example.", "1 1 12 aabbccdd k8udemvp1j2f7eg6jebps17vp3n8i58h"),
            ("k8udemvp1j2f7eg6jebps17vp3n8i58h.example.", "1 1 12 aabbccdd kohar7mbb8dc2ce8a9qvl8hon4k53uhi"),
            ("kohar7mbb8dc2ce8a9qvl8hon4k53uhi.example.", "1 1 12 aabbccdd q04jkcevqvmu85r014c7dkba38o0ji5r A RRSIG"),
            ("q04jkcevqvmu85r014c7dkba38o0ji5r.example.", "1 1 12 aabbccdd r53bq7cc2uvmubfu5ocmm6pers9tk9en A RRSIG"),
            ("r53bq7cc2uvmubfu5ocmm6pers9tk9en.example.", "1 1 12 aabbccdd t644ebqk9bibcna874givr6joj62mlhv MX RRSIG"),
            ("t644ebqk9bibcna874givr6joj62mlhv.example.", "1 1 12 aabbccdd 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom A HINFO AAAA RRSIG"),
        ]
        .into_iter()
        .map(|(owner, rdata)| nsec3(owner, rdata))
        .collect()
    }

    /// RFC 5155 appendix B.1: a.c.x.w.example. does not exist. Every record of the example
    /// chain has the opt-out flag, so the proof holds but only as insecure.
    #[test]
    fn rfc5155_b1_name_error() {
        let chain = appendix_a_chain();
        let records = nsec3_records(&chain);
        assert_eq!(
            proves_name_error(&records, &name("a.c.x.w.example.")),
            Proof::OptOut
        );
        assert_eq!(
            proves_name_error(&records, &name("x.w.example.")),
            Proof::NotProved
        );
    }

    /// RFC 5155 appendix B.2: ns1.example. has no MX; B.2.1: y.w.example. is an empty
    /// non-terminal.
    #[test]
    fn rfc5155_b2_no_data() {
        let chain = appendix_a_chain();
        let records = nsec3_records(&chain);
        assert_eq!(
            proves_no_data(&records, &name("ns1.example."), RecordType::MX),
            Proof::Proved
        );
        assert_eq!(
            proves_no_data(&records, &name("ns1.example."), RecordType::A),
            Proof::NotProved
        );
        assert_eq!(
            proves_no_data(&records, &name("y.w.example."), RecordType::A),
            Proof::Proved
        );
    }

    /// RFC 5155 appendix B.3: mc.c.example. is under the opt-out span (an unsigned delegation
    /// c.example. may exist), so its referral is insecure.
    #[test]
    fn rfc5155_b3_opt_out_makes_ds_absence_insecure() {
        let chain = appendix_a_chain();
        let records = nsec3_records(&chain);
        assert_eq!(ds_denial(&records, &name("c.example.")), DsDenial::OptOut);
        // a.example. is a signed delegation: its DS exists, nothing is denied.
        assert_eq!(
            ds_denial(&records, &name("a.example.")),
            DsDenial::NotProved
        );
    }

    /// RFC 5155 appendix B.4: a.z.w.example. MX from *.w.example.; B.5: its AAAA is absent.
    /// The appendix zone is opt-out (flags 1): the span over the next closer name z.w.example.
    /// could hide an unsigned delegation, so both proofs hold only insecurely (§9.2; Unbound's
    /// val_nsec3_b4_wild and val_nsec3_b5_wcnodata answer without AD).
    #[test]
    fn rfc5155_b4_b5_wildcards() {
        let chain = appendix_a_chain();
        let records = nsec3_records(&chain);
        assert_eq!(
            proves_no_closer_match(&records, &name("a.z.w.example."), &name("w.example.")),
            Proof::OptOut
        );
        assert_eq!(
            proves_no_data(&records, &name("a.z.w.example."), RecordType::AAAA),
            Proof::OptOut
        );
    }

    /// RFC 5155 errata 3441: no NSEC3 matches c.example. and an opt-out span covers it (it is an
    /// unsigned delegation in the appendix zone): a NODATA for any type is insecure, not bogus.
    #[test]
    fn nodata_under_an_opt_out_span_is_insecure() {
        let chain = appendix_a_chain();
        let records = nsec3_records(&chain);
        assert_eq!(
            proves_no_data(&records, &name("c.example."), RecordType::A),
            Proof::OptOut
        );
    }

    #[test]
    fn iterations_above_the_rfc9276_bound_are_insecure() {
        let record = nsec3(
            "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example.",
            &format!(
                "1 0 {} aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr A",
                MAX_NSEC3_ITERATIONS + 1
            ),
        );
        let chain = [record];
        let records = nsec3_records(&chain);
        assert_eq!(
            proves_name_error(&records, &name("nothing.example.")),
            Proof::TooManyIterations
        );
    }
}
