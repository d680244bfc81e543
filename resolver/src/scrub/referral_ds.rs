//! A DS question that the parent answers with its referral to the child, the signed DS RRset in
//! the authority section: that DS RRset is the answer. Pure; never touches cache or network.

use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// RFC 4035 §3.1.4.1: the DS RRset lives in the parent zone, and §3.1.4 puts it beside the NS
/// RRset of a referral. A parent that answers a DS question for `qname` with a referral to
/// `qname` itself has therefore given the authoritative answer: its DS RRset (and the RRSIGs
/// covering it, which the validator checks against the parent's keys). Following the referral
/// instead would ask the child, which has no DS to give (Unbound's iter_ds_referral case).
/// `None` when the reply is not such a referral (no DS RRset at `qname` in the authority).
pub fn ds_answer_of_referral(reply: &Message, qname: &Name, zone: &Name) -> Option<Message> {
    if *zone != *qname {
        return None;
    }
    let is_ds = |record: &Record| record.name == *qname && record.record_type() == RecordType::DS;
    if !reply.authorities.iter().any(is_ds) {
        return None;
    }
    let covers_ds = |record: &Record| {
        record.name == *qname
            && matches!(&record.data, RData::DNSSEC(DNSSECRData::RRSIG(rrsig))
                if rrsig.input().type_covered == RecordType::DS)
    };
    let mut answer = reply.clone();
    answer.answers = reply
        .authorities
        .iter()
        .filter(|record| is_ds(record) || covers_ds(record))
        .cloned()
        .collect();
    answer.authorities.clear();
    answer.additionals.clear();
    // The parent is authoritative for the DS RRset (RFC 4035 §2.4), whatever its AA bit said
    // about the referral.
    answer.metadata.authoritative = true;
    Some(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::dnssec::rdata::DS;
    use hickory_proto::dnssec::{Algorithm, DigestType};
    use hickory_proto::op::{MessageType, OpCode, Query};
    use hickory_proto::rr::rdata::{A, NS};
    use std::net::Ipv4Addr;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    fn referral_with_ds() -> Message {
        let mut reply = Message::new(1, MessageType::Response, OpCode::Query);
        reply
            .queries
            .push(Query::query(name("sub.example.com."), RecordType::DS));
        reply.authorities.push(Record::from_rdata(
            name("sub.example.com."),
            3600,
            RData::NS(NS(name("ns.sub.example.com."))),
        ));
        reply.authorities.push(Record::from_rdata(
            name("sub.example.com."),
            3600,
            RData::DNSSEC(DNSSECRData::DS(DS::new(
                30899,
                Algorithm::RSASHA256,
                DigestType::SHA256,
                vec![7; 32],
            ))),
        ));
        reply.additionals.push(Record::from_rdata(
            name("ns.sub.example.com."),
            3600,
            RData::A(A(Ipv4Addr::new(192, 0, 2, 6))),
        ));
        reply
    }

    #[test]
    fn a_referral_to_the_ds_owner_carrying_its_ds_is_the_answer() {
        let qname = name("sub.example.com.");
        let answer = ds_answer_of_referral(&referral_with_ds(), &qname, &qname).unwrap();
        let types: Vec<RecordType> = answer.answers.iter().map(Record::record_type).collect();
        assert_eq!(types, [RecordType::DS]);
        assert!(answer.authorities.is_empty() && answer.additionals.is_empty());
        assert!(answer.metadata.authoritative);
    }

    #[test]
    fn a_referral_without_ds_or_to_another_name_is_followed() {
        let qname = name("sub.example.com.");
        let mut unsigned = referral_with_ds();
        unsigned
            .authorities
            .retain(|record| record.record_type() != RecordType::DS);
        assert!(ds_answer_of_referral(&unsigned, &qname, &qname).is_none());
        // A referral to a zone above the DS owner (an intermediate cut): keep walking.
        let deeper = name("a.sub.example.com.");
        assert!(ds_answer_of_referral(&referral_with_ds(), &deeper, &qname).is_none());
    }
}
