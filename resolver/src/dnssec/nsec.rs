//! NSEC denial of existence (RFC 4035 §5.4, RFC 4034 §4, RFC 6840 §4): name error, no data,
//! empty non-terminals, wildcard answers and DS absence, in RFC 4034 §6.1 canonical order.

use std::cmp::Ordering;

use hickory_proto::dnssec::rdata::{DNSSECRData, NSEC};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::dnssec::denial::{DsDenial, Proof};

/// An NSEC record's owner and data.
pub struct NsecRecord<'r> {
    pub owner: &'r Name,
    pub nsec: &'r NSEC,
}

/// The NSEC records among `records`.
pub fn nsec_records(records: &[Record]) -> Vec<NsecRecord<'_>> {
    records
        .iter()
        .filter_map(|record| match &record.data {
            RData::DNSSEC(DNSSECRData::NSEC(nsec)) => Some(NsecRecord {
                owner: &record.name,
                nsec,
            }),
            _ => None,
        })
        .collect()
}

/// RFC 4034 §6.1: hickory's `Name` order is the canonical order (case-insensitive, by labels
/// from the right, absent octet first).
fn canonical(a: &Name, b: &Name) -> Ordering {
    a.cmp(b)
}

/// RFC 4034 §4.1.1: the NSEC covers `name` (owner < name < next); the zone's last NSEC points
/// back to the apex, so there the span is everything after the owner inside the apex.
pub fn covers(owner: &Name, next: &Name, name: &Name) -> bool {
    if canonical(owner, name) != Ordering::Less {
        return false;
    }
    if canonical(owner, next) == Ordering::Less {
        canonical(name, next) == Ordering::Less
    } else {
        next.zone_of(name)
    }
}

/// The longest common ancestor of two names.
pub fn common_ancestor(a: &Name, b: &Name) -> Name {
    // Every label, a leading `*` too (hickory's `num_labels` leaves it out; `trim_to` counts it).
    let mut labels = a.iter().count().min(b.iter().count());
    loop {
        let candidate = a.trim_to(labels);
        if candidate.zone_of(b) || labels == 0 {
            return candidate;
        }
        labels -= 1;
    }
}

/// RFC 6840 §4.1: an NSEC at a delegation (NS without SOA) belongs to the parent and cannot
/// deny names below the cut; a DNAME likewise redirects everything below.
fn denies_below(record: &NsecRecord<'_>) -> bool {
    let types = record.nsec.type_set();
    let delegation = types.contains(RecordType::NS) && !types.contains(RecordType::SOA);
    !delegation && !types.contains(RecordType::DNAME)
}

fn covering<'a, 'r>(records: &'a [NsecRecord<'r>], name: &Name) -> Option<&'a NsecRecord<'r>> {
    records.iter().find(|record| {
        covers(record.owner, record.nsec.next_domain_name(), name)
            && (!record.owner.zone_of(name) || denies_below(record))
    })
}

fn matching<'a, 'r>(records: &'a [NsecRecord<'r>], name: &Name) -> Option<&'a NsecRecord<'r>> {
    records.iter().find(|record| record.owner == name)
}

/// The closest encloser a covering NSEC implies (Unbound `nsec_closest_encloser`).
fn closest_encloser(record: &NsecRecord<'_>, name: &Name) -> Name {
    let by_owner = common_ancestor(record.owner, name);
    let by_next = common_ancestor(record.nsec.next_domain_name(), name);
    if by_owner.num_labels() > by_next.num_labels() {
        by_owner
    } else {
        by_next
    }
}

fn wildcard_of(parent: &Name) -> Option<Name> {
    Name::from_ascii("*").ok()?.append_domain(parent).ok()
}

/// RFC 4035 §5.4 name error: an NSEC covers the name, and one covers the wildcard at its
/// closest encloser. A name that an NSEC matches, or whose covering NSEC's next name lies below
/// it, exists (an empty non-terminal has descendants, RFC 4592 §2.2.2): no name error then
/// (Unbound `nsec_proves_nameerror`).
pub fn proves_name_error(records: &[NsecRecord<'_>], qname: &Name) -> Proof {
    if matching(records, qname).is_some() || proves_empty_non_terminal(records, qname) {
        return Proof::NotProved;
    }
    let Some(cover) = covering(records, qname) else {
        return Proof::NotProved;
    };
    let encloser = closest_encloser(cover, qname);
    let Some(wildcard) = wildcard_of(&encloser) else {
        return Proof::NotProved;
    };
    if covering(records, &wildcard).is_some() {
        Proof::Proved
    } else {
        Proof::NotProved
    }
}

/// The type is absent at a matching NSEC (and so is CNAME, which would have answered).
fn type_absent(record: &NsecRecord<'_>, qtype: RecordType) -> bool {
    let types = record.nsec.type_set();
    if types.contains(qtype) || types.contains(RecordType::CNAME) {
        return false;
    }
    let delegation = types.contains(RecordType::NS) && !types.contains(RecordType::SOA);
    if qtype == RecordType::DS {
        // The child's apex NSEC says nothing about the parent's DS; but the root has no
        // parent, so its own apex NSEC is what denies `. DS` (Unbound `val_nsec_proves_no_ds`).
        !types.contains(RecordType::SOA) || record.owner.is_root()
    } else {
        // A parent-side NSEC at a cut proves only the absence of DS (RFC 6840 §4.4).
        !delegation
    }
}

/// RFC 4035 §5.4: `qname` is an empty non-terminal when an NSEC covering it has a next name
/// below it (that name exists, so `qname` does too). An NXDOMAIN with such a proof is a NODATA
/// (Unbound `validate_nameerror_response` turns it into one; val_nodata_entnx).
pub fn proves_empty_non_terminal(records: &[NsecRecord<'_>], qname: &Name) -> bool {
    covering(records, qname).is_some_and(|cover| {
        let next = cover.nsec.next_domain_name();
        qname.zone_of(next) && next != qname
    })
}

/// RFC 4035 §5.4 no data: a matching NSEC without the type; an empty non-terminal (a covering
/// NSEC whose next name is below the name); or a wildcard without the type (RFC 4035 §3.1.3.4).
pub fn proves_no_data(records: &[NsecRecord<'_>], qname: &Name, qtype: RecordType) -> Proof {
    if let Some(record) = matching(records, qname) {
        return if type_absent(record, qtype) {
            Proof::Proved
        } else {
            Proof::NotProved
        };
    }
    let Some(cover) = covering(records, qname) else {
        return Proof::NotProved;
    };
    let next = cover.nsec.next_domain_name();
    if qname.zone_of(next) && next != qname {
        return Proof::Proved;
    }
    let encloser = closest_encloser(cover, qname);
    let Some(wildcard) = wildcard_of(&encloser) else {
        return Proof::NotProved;
    };
    match matching(records, &wildcard) {
        Some(record) if type_absent(record, qtype) => Proof::Proved,
        _ => Proof::NotProved,
    }
}

/// RFC 4035 §5.3.4: a wildcard expansion under `wildcard_parent` needs an NSEC proving the
/// query name itself does not exist.
pub fn proves_no_closer_match(
    records: &[NsecRecord<'_>],
    qname: &Name,
    wildcard_parent: &Name,
) -> Proof {
    match covering(records, qname) {
        Some(cover)
            if closest_encloser(cover, qname).num_labels() <= wildcard_parent.num_labels() =>
        {
            Proof::Proved
        }
        _ => Proof::NotProved,
    }
}

/// RFC 4035 §5.2: what a DS query's NSEC says about `name`.
pub fn ds_denial(records: &[NsecRecord<'_>], name: &Name) -> DsDenial {
    if let Some(record) = matching(records, name) {
        let types = record.nsec.type_set();
        if types.contains(RecordType::DS) || types.contains(RecordType::SOA) {
            return DsDenial::NotProved;
        }
        return if types.contains(RecordType::NS) {
            DsDenial::InsecureDelegation
        } else {
            DsDenial::NoZoneCut
        };
    }
    let Some(cover) = covering(records, name) else {
        return DsDenial::NotProved;
    };
    // The name does not exist (or is an empty non-terminal): no cut here.
    let _ = cover;
    DsDenial::NoZoneCut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presentation::parse_dnssec_rdata;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    /// An NSEC record from RFC 4035 appendix A's zone (owner, then RDATA text).
    fn nsec(owner: &str, rdata: &str) -> Record {
        let fields: Vec<&str> = rdata.split_whitespace().collect();
        let data = parse_dnssec_rdata(RecordType::NSEC, &fields, &Name::root()).unwrap();
        Record::from_rdata(name(owner), 3600, data)
    }

    #[test]
    fn an_nsec_whose_next_name_is_below_the_name_proves_an_empty_non_terminal() {
        let records = [nsec(
            "example.com.",
            "0.0.0.0.example.com. NS SOA RRSIG NSEC",
        )];
        let nsecs = nsec_records(&records);
        assert!(proves_empty_non_terminal(&nsecs, &name("0.example.com.")));
        assert!(proves_empty_non_terminal(&nsecs, &name("0.0.example.com.")));
        // Covered but not above the next name: a name error, not an empty non-terminal.
        assert!(!proves_empty_non_terminal(&nsecs, &name("*.example.com.")));
        assert!(!proves_empty_non_terminal(
            &nsecs,
            &name("0.0.0.0.example.com.")
        ));
    }

    #[test]
    fn canonical_order_is_rfc4034_section_6_1() {
        let ordered = [
            "example.",
            "a.example.",
            "yljkjljk.a.example.",
            "Z.a.example.",
            "zABC.a.EXAMPLE.",
            "z.example.",
            "\\001.z.example.",
            "*.z.example.",
            "\\200.z.example.",
        ];
        let parse = |text: &str| crate::presentation::parse_name(text, &Name::root()).unwrap();
        for pair in ordered.windows(2) {
            let (a, b) = (parse(pair[0]), parse(pair[1]));
            assert_eq!(canonical(&a, &b), Ordering::Less, "{a} < {b}");
        }
    }

    /// RFC 4035 appendix B.2: ml.example. does not exist.
    #[test]
    fn rfc4035_b2_name_error_is_proved() {
        let records = [
            nsec("b.example.", "ns1.example. NS RRSIG NSEC"),
            nsec("example.", "a.example. NS SOA MX RRSIG NSEC DNSKEY"),
        ];
        let nsecs = nsec_records(&records);
        assert_eq!(
            proves_name_error(&nsecs, &name("ml.example.")),
            Proof::Proved
        );
        // Without the NSEC covering *.example. the proof is incomplete.
        let partial = nsec_records(&records[..1]);
        assert_eq!(
            proves_name_error(&partial, &name("ml.example.")),
            Proof::NotProved
        );
    }

    /// RFC 4035 appendix B.3: ns1.example. has no MX.
    #[test]
    fn rfc4035_b3_no_data_is_proved() {
        let records = [nsec("ns1.example.", "ns2.example. A RRSIG NSEC")];
        let nsecs = nsec_records(&records);
        assert_eq!(
            proves_no_data(&nsecs, &name("ns1.example."), RecordType::MX),
            Proof::Proved
        );
        assert_eq!(
            proves_no_data(&nsecs, &name("ns1.example."), RecordType::A),
            Proof::NotProved
        );
    }

    /// RFC 4035 appendix B.6: a.z.w.example. MX from the wildcard *.w.example.
    #[test]
    fn rfc4035_b6_wildcard_expansion_needs_the_covering_nsec() {
        let records = [nsec("x.y.w.example.", "xx.example. MX RRSIG NSEC")];
        let nsecs = nsec_records(&records);
        assert_eq!(
            proves_no_closer_match(&nsecs, &name("a.z.w.example."), &name("w.example.")),
            Proof::Proved
        );
    }

    /// RFC 4035 appendix B.7: wildcard no data, a.z.w.example. AAAA.
    #[test]
    fn rfc4035_b7_wildcard_no_data_is_proved() {
        let records = [
            nsec("x.y.w.example.", "xx.example. MX RRSIG NSEC"),
            nsec("*.w.example.", "x.w.example. MX RRSIG NSEC"),
        ];
        let nsecs = nsec_records(&records);
        assert_eq!(
            proves_no_data(&nsecs, &name("a.z.w.example."), RecordType::AAAA),
            Proof::Proved
        );
    }

    /// RFC 4035 appendix B.8: DS NODATA at the parent side of an unsigned delegation.
    #[test]
    fn rfc4035_b8_unsigned_delegation_has_no_ds() {
        let records = [nsec("b.example.", "ns1.example. NS RRSIG NSEC")];
        let nsecs = nsec_records(&records);
        assert_eq!(
            ds_denial(&nsecs, &name("b.example.")),
            DsDenial::InsecureDelegation
        );
        // The parent-side NSEC cannot deny names below the cut (RFC 6840 §4.1).
        assert_eq!(
            proves_name_error(&nsecs, &name("x.b.example.")),
            Proof::NotProved
        );
    }

    /// A zone's apex NSEC (SOA set) cannot deny the zone's DS, which lives in the parent;
    /// the root has no parent, so its apex NSEC is the proof that `. DS` has no data.
    #[test]
    fn only_the_root_apex_nsec_denies_its_own_ds() {
        let root = [nsec(".", "aaa. NS SOA RRSIG NSEC DNSKEY")];
        assert_eq!(
            proves_no_data(&nsec_records(&root), &Name::root(), RecordType::DS),
            Proof::Proved
        );
        let apex = [nsec("example.", "a.example. NS SOA RRSIG NSEC DNSKEY")];
        assert_eq!(
            proves_no_data(&nsec_records(&apex), &name("example."), RecordType::DS),
            Proof::NotProved
        );
    }

    /// RFC 4592 §2.2.2: x.example. has a descendant (a.x.example.), so it exists as an empty
    /// non-terminal; NSECs covering it and the wildcard do not prove an NXDOMAIN.
    #[test]
    fn an_empty_non_terminal_is_no_name_error() {
        let records = [
            nsec("w.example.", "a.x.example. A RRSIG NSEC"),
            nsec("example.", "a.example. NS SOA RRSIG NSEC DNSKEY"),
        ];
        let nsecs = nsec_records(&records);
        assert_eq!(
            proves_name_error(&nsecs, &name("x.example.")),
            Proof::NotProved
        );
        // A name between the same two names with no descendant is a name error.
        assert_eq!(
            proves_name_error(&nsecs, &name("wa.example.")),
            Proof::Proved
        );
        // A name an NSEC matches exists.
        assert_eq!(
            proves_name_error(&nsecs, &name("w.example.")),
            Proof::NotProved
        );
    }

    #[test]
    fn empty_non_terminal_is_no_data() {
        let records = [nsec("w.example.", "a.x.example. A RRSIG NSEC")];
        let nsecs = nsec_records(&records);
        assert_eq!(
            proves_no_data(&nsecs, &name("x.example."), RecordType::A),
            Proof::Proved
        );
    }

    #[test]
    fn the_last_nsec_wraps_to_the_apex() {
        assert!(covers(
            &name("z.example."),
            &name("example."),
            &name("zz.example.")
        ));
        assert!(!covers(
            &name("z.example."),
            &name("example."),
            &name("a.example.")
        ));
        assert!(!covers(
            &name("z.example."),
            &name("example."),
            &name("zz.other.")
        ));
    }
}
