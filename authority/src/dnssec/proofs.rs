//! The DNSSEC additions to a DO=1 answer from a signed zone (RFC 4035 §3.1.3, RFC 5155 §7.2): which
//! NSEC/NSEC3 RRsets prove NXDOMAIN, NODATA, a wildcard answer, and a referral's DS or its absence.
//! Only look-ups in the chain built at signing; the signatures travel inside each RecordSet.

use std::sync::Arc;

use hickory_proto::rr::{LowerName, Name, RecordType};

use crate::answer::lookup::Answer;
use crate::dnssec::denial::Denial;
use crate::zone::prepared::{RecordSet, Zone, ZoneNode};

/// The zone's chain, when the answer wants proofs (DO=1) and the zone is signed.
fn chain<'zone>(answer: &Answer, zone: &'zone Zone) -> Option<&'zone Denial> {
    if !answer.dnssec_ok {
        return None;
    }
    zone.dnssec.as_ref()?.chain.as_deref()
}

fn add(answer: &mut Answer, set: Option<&Arc<RecordSet>>) {
    if let Some(set) = set {
        if !answer
            .authorities
            .iter()
            .any(|known| Arc::ptr_eq(known, set))
        {
            answer.authorities.push(set.clone());
        }
    }
}

/// `name` cut to its rightmost `labels` labels.
fn ancestor_name(name: &Name, labels: u8) -> Name {
    name.trim_to(usize::from(labels))
}

/// RFC 5155 §7.2.1: the NSEC3 matching the closest (provable) encloser of `name` and the one
/// covering the next closer name. Returns the closest encloser.
fn closest_encloser_proof(answer: &mut Answer, zone: &Zone, chain: &Denial, name: &Name) -> Name {
    let apex_labels = zone.origin.num_labels();
    let mut labels = name.num_labels();
    while labels > apex_labels {
        labels -= 1;
        let encloser = ancestor_name(name, labels);
        if let Some(matching) = chain.nsec3_matching(&encloser) {
            add(answer, Some(matching));
            let next_closer = ancestor_name(name, labels + 1);
            add(answer, chain.nsec3_covering(&next_closer));
            return encloser;
        }
    }
    zone.origin.clone()
}

/// `*.<encloser>`.
fn wildcard_at(encloser: &Name) -> Option<Name> {
    Name::from_ascii("*").ok()?.append_domain(encloser).ok()
}

/// NXDOMAIN (RFC 4035 §3.1.3.2, RFC 5155 §7.2.2): the name and the wildcard that could have
/// matched it do not exist.
pub fn prove_nxdomain(answer: &mut Answer, zone: &Zone, name: &Name) {
    let Some(chain) = chain(answer, zone) else {
        return;
    };
    if chain.is_nsec3() {
        let encloser = closest_encloser_proof(answer, zone, chain, name);
        if let Some(wildcard) = wildcard_at(&encloser) {
            add(answer, chain.nsec3_covering(&wildcard));
        }
        return;
    }
    add(answer, chain.nsec_at_or_before(name));
    let encloser = closest_existing(zone, name);
    if let Some(wildcard) = wildcard_at(&encloser) {
        add(answer, chain.nsec_at_or_before(&wildcard));
    }
}

/// The longest ancestor of `name` that exists in the zone (RFC 4592 §3.3.1's closest encloser).
fn closest_existing(zone: &Zone, name: &Name) -> Name {
    let apex_labels = zone.origin.num_labels();
    let mut labels = name.num_labels();
    while labels > apex_labels {
        labels -= 1;
        let encloser = ancestor_name(name, labels);
        if zone.node_lower(&LowerName::new(&encloser)).is_some() {
            return encloser;
        }
    }
    zone.origin.clone()
}

/// NODATA at an existing name (RFC 4035 §3.1.3.1, RFC 5155 §7.2.3/§7.2.4): its NSEC/NSEC3 shows
/// the type absent. An empty non-terminal has no NSEC: the NSEC before it proves it (its next
/// name is below it). A DS question at an opted-out delegation has no NSEC3: the closest
/// provable encloser proof with an opt-out span stands in (RFC 5155 §7.2.4).
pub fn prove_nodata(answer: &mut Answer, zone: &Zone, name: &Name) {
    let Some(chain) = chain(answer, zone) else {
        return;
    };
    if chain.is_nsec3() {
        match chain.nsec3_matching(name) {
            Some(matching) => add(answer, Some(matching)),
            None => {
                closest_encloser_proof(answer, zone, chain, name);
            }
        }
        return;
    }
    add(answer, chain.nsec_at_or_before(name));
}

/// A wildcard answer (RFC 4035 §3.1.3.3, RFC 5155 §7.2.6): the query name itself does not exist.
pub fn prove_wildcard_answer(answer: &mut Answer, zone: &Zone, name: &Name, wildcard: &Name) {
    let Some(chain) = chain(answer, zone) else {
        return;
    };
    if chain.is_nsec3() {
        let encloser_labels = wildcard.num_labels();
        add(
            answer,
            chain.nsec3_covering(&ancestor_name(name, encloser_labels + 1)),
        );
        return;
    }
    add(answer, chain.nsec_at_or_before(name));
}

/// A wildcard NODATA (RFC 4035 §3.1.3.4, RFC 5155 §7.2.5): no such name, and the wildcard that
/// matched it has no such type.
pub fn prove_wildcard_nodata(answer: &mut Answer, zone: &Zone, name: &Name, wildcard: &Name) {
    let Some(chain) = chain(answer, zone) else {
        return;
    };
    if chain.is_nsec3() {
        let encloser = wildcard.base_name();
        add(answer, chain.nsec3_matching(&encloser));
        add(
            answer,
            chain.nsec3_covering(&ancestor_name(name, encloser.num_labels() + 1)),
        );
        add(answer, chain.nsec3_matching(wildcard));
        return;
    }
    add(answer, chain.nsec_at_or_before(name));
    add(answer, chain.nsec_at_or_before(wildcard));
}

/// A referral (RFC 4035 §3.1.4): the signed DS RRset, or the proof that there is none (the
/// child is unsigned), so the resolver knows whether to expect signatures below.
pub fn prove_delegation(answer: &mut Answer, zone: &Zone, cut: &ZoneNode) {
    if chain(answer, zone).is_none() {
        return;
    }
    if let Some(ds) = cut.find(RecordType::DS) {
        add(answer, Some(&ds.set));
        return;
    }
    let Some(name) = cut.find(RecordType::NS).map(|ns| ns.set.owner()) else {
        return;
    };
    prove_nodata(answer, zone, &name);
}
