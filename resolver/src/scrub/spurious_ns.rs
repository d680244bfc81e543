//! Spurious unsigned NS sets (Unbound `remove_spurious_authority`): an NS set without any RRSIG
//! beside a signed answer, as a forwarder that thinks the zone insecure may add, is left out.
//!
//! The answer does not hinge on it, and kept it would make every later answer minimal (beside a
//! secure answer an insecure NS set empties the optional sections, `val_check_nonsecure`); the
//! addresses in the additional section stay, each standing on its own signatures.

use hickory_proto::rr::{Record, RecordType};

use crate::dnssec::signature::rrsig_of;

/// `authorities` without the NS sets no RRSIG covers, when `answers` holds a signed RRset (the
/// zone is signed, so the NS set should be too). A negative answer keeps its authority section.
pub(crate) fn without_spurious_ns(authorities: &[Record], answers: &[Record]) -> Vec<Record> {
    let signed_answer = answers.iter().any(|record| rrsig_of(record).is_some());
    if !signed_answer {
        return authorities.to_vec();
    }
    let signed = |record: &Record| {
        authorities.iter().any(|other| {
            other.name == record.name
                && rrsig_of(other).is_some_and(|rrsig| rrsig.input().type_covered == RecordType::NS)
        })
    };
    authorities
        .iter()
        .filter(|record| record.record_type() != RecordType::NS || signed(record))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::record_text::parse_record;

    const SIG: &str = "MC0CFC99iE9K5y2WNgI0gFvBWaTi9wm6AhUAoUqOpDtG5Zct+Qr9F3mSdnbc6V4=";

    fn record(line: &str) -> Record {
        parse_record(line).unwrap()
    }

    fn signature(owner: &str, covered: &str) -> Record {
        record(&format!(
            "{owner} 3600 IN RRSIG {covered} 3 2 3600 20070926134150 20070829134150 2854 example.com. {SIG}"
        ))
    }

    #[test]
    fn unsigned_ns_beside_a_signed_answer_is_left_out() {
        let answers = [
            record("www.example.com. 3600 IN A 10.20.30.40"),
            signature("www.example.com.", "A"),
        ];
        let authorities = [record("example.com. 3600 IN NS ns.example.com.")];
        assert!(without_spurious_ns(&authorities, &answers).is_empty());
    }

    #[test]
    fn signed_ns_stays() {
        let answers = [
            record("www.example.com. 3600 IN A 10.20.30.40"),
            signature("www.example.com.", "A"),
        ];
        let authorities = [
            record("example.com. 3600 IN NS ns.example.com."),
            signature("example.com.", "NS"),
        ];
        assert_eq!(without_spurious_ns(&authorities, &answers), authorities);
    }

    #[test]
    fn unsigned_answer_keeps_its_ns() {
        let answers = [record("www.example.com. 3600 IN A 10.20.30.40")];
        let authorities = [record("example.com. 3600 IN NS ns.example.com.")];
        assert_eq!(without_spurious_ns(&authorities, &answers), authorities);
    }
}
