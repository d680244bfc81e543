//! What a negative proof must show, shared by NSEC (`nsec.rs`) and NSEC3 (`nsec3.rs`):
//! the question denied and the outcome of checking the proof records.

use hickory_proto::rr::{Record, RecordType};

/// The outcome of checking NSEC or NSEC3 records against a denial.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    /// The records prove the denial.
    Proved,
    /// RFC 5155 §8.6 and §9.2 (opt-out): the name may be an unsigned delegation; insecure.
    OptOut,
    /// RFC 9276 §3.2: NSEC3 iterations above `MAX_NSEC3_ITERATIONS`; insecure.
    TooManyIterations,
    /// The records do not prove the denial.
    NotProved,
}

/// What a DS query's negative answer says about the name (RFC 4035 §5.2, RFC 5155 §8.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DsDenial {
    /// A delegation without DS: the child zone is insecure.
    InsecureDelegation,
    /// No zone cut at the name (no NS, or the name does not exist): the parent's keys go on.
    NoZoneCut,
    /// Opt-out span: insecure.
    OptOut,
    TooManyIterations,
    NotProved,
}

/// Whether an RRset owned by `owner` is a wildcard expansion (RFC 4035 §5.3.4): one of its
/// RRSIGs has a labels count below the owner's (hickory's `num_labels` leaves a leading `*`
/// out, as the RRSIG labels field does).
pub fn is_wildcard_expansion(owner: &hickory_proto::rr::Name, signatures: &[&Record]) -> bool {
    signatures.iter().any(|signature| {
        super::signature::rrsig_of(signature)
            .is_some_and(|rrsig| rrsig.input().num_labels < owner.num_labels())
    })
}

/// RFC 4035 §3.1.3.3: the NSEC/NSEC3 records (and the RRSIGs covering them) of `authorities`
/// that a DO client needs beside a wildcard expansion in `answers`, the proof that no closer
/// name exists; empty when no RRset of `answers` is a wildcard expansion.
pub fn wildcard_proof(answers: &[Record], authorities: &[Record]) -> Vec<Record> {
    let expanded = answers.iter().any(|record| {
        record.record_type() != RecordType::RRSIG
            && is_wildcard_expansion(
                &record.name,
                &super::signature::signatures_for(answers, &record.name, record.record_type()),
            )
    });
    if !expanded {
        return Vec::new();
    }
    denial_records(authorities)
}

/// The NSEC and NSEC3 records of an authority section with their RRSIGs. A CNAME link's reply
/// passes them on to the client's authority section (Unbound `handle_cname_response` prepends
/// them: they prove the link's wildcard or the target's unsigned delegation).
pub fn denial_records(authorities: &[Record]) -> Vec<Record> {
    let is_proof_type = |record_type| matches!(record_type, RecordType::NSEC | RecordType::NSEC3);
    authorities
        .iter()
        .filter(|record| {
            is_proof_type(record.record_type())
                || super::signature::rrsig_of(record)
                    .is_some_and(|rrsig| is_proof_type(rrsig.input().type_covered))
        })
        .cloned()
        .collect()
}

/// The NSEC and NSEC3 records (with their RRSIGs) of a CNAME link's authority section that go
/// on to the client (Unbound `handle_cname_response` passes them on): all of them when the
/// link is a wildcard expansion (its proof of no closer name), otherwise only those that can
/// prove a delegation below unsigned, the target's (NS without SOA in the bitmap, or an
/// opt-out NSEC3 span, RFC 5155 §6). A span that only says what a name of the zone holds
/// proves nothing about the chain and stays out (Knot Resolver alike; val_dname).
pub fn cname_link_proof(answers: &[Record], authorities: &[Record]) -> Vec<Record> {
    let wildcard = wildcard_proof(answers, authorities);
    if !wildcard.is_empty() {
        return wildcard;
    }
    let delegation_proofs: Vec<(&hickory_proto::rr::Name, RecordType)> = authorities
        .iter()
        .filter(|record| bears_on_a_delegation(record))
        .map(|record| (&record.name, record.record_type()))
        .collect();
    denial_records(authorities)
        .into_iter()
        .filter(|record| {
            let covered = super::signature::rrsig_of(record)
                .map(|rrsig| rrsig.input().type_covered)
                .unwrap_or(record.record_type());
            delegation_proofs
                .iter()
                .any(|(owner, record_type)| **owner == record.name && *record_type == covered)
        })
        .collect()
}

/// An NSEC or NSEC3 at a delegation (NS without SOA) or an opt-out NSEC3 span.
fn bears_on_a_delegation(record: &Record) -> bool {
    use hickory_proto::dnssec::rdata::DNSSECRData;
    use hickory_proto::rr::RData;
    let at_cut = |types: &hickory_proto::rr::RecordTypeSet| {
        types.contains(RecordType::NS) && !types.contains(RecordType::SOA)
    };
    match &record.data {
        RData::DNSSEC(DNSSECRData::NSEC(nsec)) => at_cut(nsec.type_set()),
        RData::DNSSEC(DNSSECRData::NSEC3(nsec3)) => nsec3.opt_out() || at_cut(nsec3.type_set()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::record_text::parse_record;

    fn rrsig(owner: &str, covered: &str, labels: u8) -> Record {
        parse_record(&format!(
            "{owner} 300 IN RRSIG {covered} 13 {labels} 300 20330101000000 20000101000000 12345 \
             example. c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl"
        ))
        .unwrap()
    }

    #[test]
    fn the_proof_of_a_wildcard_expansion_is_its_nsec_and_nsec3_records_with_their_rrsigs() {
        let authorities = vec![
            parse_record("example. 300 IN NS ns.example.").unwrap(),
            parse_record("*.wild.example. 300 IN NSEC zzz.example. A RRSIG NSEC").unwrap(),
            rrsig("*.wild.example.", "NSEC", 2),
            rrsig("example.", "NS", 1),
        ];
        let answer = |labels| {
            vec![
                parse_record("a.wild.example. 300 IN A 192.0.2.1").unwrap(),
                rrsig("a.wild.example.", "A", labels),
            ]
        };
        let proof = wildcard_proof(&answer(2), &authorities);
        assert_eq!(proof, authorities[1..3].to_vec());
        // The RRSIG labels equal the owner's: no expansion, no proof (and `*` itself counts not).
        assert!(wildcard_proof(&answer(3), &authorities).is_empty());
        let star = parse_record("*.wild.example. 300 IN A 192.0.2.1").unwrap();
        let star_signature = rrsig("*.wild.example.", "A", 2);
        assert!(!is_wildcard_expansion(&star.name, &[&star_signature]));
        // Unsigned answers are no expansion either.
        assert!(wildcard_proof(&answer(2)[..1], &authorities).is_empty());
        // The denial records of a section, whatever its answer.
        assert_eq!(denial_records(&authorities), authorities[1..3].to_vec());
    }

    /// A CNAME link passes on its wildcard proof, or the NSEC of a delegation (the target's
    /// unsigned zone); an NSEC that only lists a name's types stays out (val_dname).
    #[test]
    fn a_cname_link_passes_on_only_wildcard_or_delegation_proofs() {
        let link = vec![
            parse_record("a.example. 300 IN CNAME b.sub.example.").unwrap(),
            rrsig("a.example.", "CNAME", 2),
        ];
        let unrelated = vec![
            parse_record("b.example. 300 IN NSEC c.example. TXT RRSIG NSEC").unwrap(),
            rrsig("b.example.", "NSEC", 2),
        ];
        assert!(cname_link_proof(&link, &unrelated).is_empty());
        let delegation = vec![
            parse_record("sub.example. 300 IN NSEC t.example. NS RRSIG NSEC").unwrap(),
            rrsig("sub.example.", "NSEC", 2),
        ];
        let mut both = unrelated.clone();
        both.extend(delegation.clone());
        assert_eq!(cname_link_proof(&link, &both), delegation);
        let wildcard_link = vec![
            parse_record("a.example. 300 IN CNAME b.sub.example.").unwrap(),
            rrsig("a.example.", "CNAME", 1),
        ];
        assert_eq!(cname_link_proof(&wildcard_link, &both), both);
    }
}
