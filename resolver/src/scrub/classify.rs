//! Classifies a scrubbed upstream reply into what it means for the resolution (Unbound `iter_resptype.c`).
//! A pure function of the reply, the question sent and the zone asked; it never touches cache or network.

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

/// What an upstream reply means. Referrals and NXDOMAIN are outcomes, not errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyClass {
    /// The answer section holds the asked type at the end of the (possibly empty) CNAME chain.
    Answer,
    /// The chain ends in a CNAME/DNAME whose target this server did not answer: chase `target`.
    CName { target: Name },
    /// A delegation to `zone`, strictly below the zone asked.
    Referral { zone: Name },
    /// NOERROR with no data for the name (RFC 2308 §2.2).
    NoData,
    /// The name does not exist (RFC 2308 §2.1).
    NxDomain,
    /// The server is not authoritative for the zone (referral upward or sideways, recursive-only
    /// reply, no AA and no data): try another server, remember nothing.
    Lame,
    /// Data from a server that only recurses (RA without AA): usable when nothing better is left.
    RecursionLame,
    /// RFC 6672 §2.2: the DNAME substitution overflows the name length; final, like NXDOMAIN.
    YxDomain,
    /// SERVFAIL, REFUSED, FORMERR... : this server cannot help now; try another.
    Throwaway,
}

/// Whether a CNAME at the question name is followed: not when the CNAME itself is asked for,
/// nor for ANY, whose answer is every RRset at the name, a CNAME among them (Unbound
/// `response_type_from_cache`: an ANY reply is an answer; val_any_cname).
pub fn follows_chain(qtype: RecordType) -> bool {
    !matches!(qtype, RecordType::CNAME | RecordType::ANY)
}

/// Follows the CNAME chain in `answers` from `qname`; returns the final name (equal to `qname`
/// if there is no chain). Bounded by the number of answer records.
pub fn chain_end(reply: &Message, qname: &Name) -> Name {
    chain_walk(reply, qname).0
}

/// The chain's end and whether it loops back onto a name already on it.
fn chain_walk(reply: &Message, qname: &Name) -> (Name, bool) {
    let mut current = qname.clone();
    let mut seen = vec![qname.clone()];
    for _ in 0..reply.answers.len() {
        let next = reply.answers.iter().find_map(|record| match &record.data {
            RData::CNAME(target) if record.name == current => Some(target.0.clone()),
            _ => None,
        });
        let Some(target) = next else { break };
        if seen.contains(&target) {
            return (target, true);
        }
        seen.push(target.clone());
        current = target;
    }
    (current, false)
}

/// Unbound `response_type_from_server`, for a reply already through the scrubber.
/// `forwarded` replies come from a recursive server (RD=1), so RA without AA is expected there.
pub fn classify(
    reply: &Message,
    qname: &Name,
    qtype: RecordType,
    zone: &Name,
    forwarded: bool,
) -> ReplyClass {
    let authoritative = reply.metadata.authoritative;
    // Unbound's "recursion lame": RA without AA from a server we asked iteratively. Such a server
    // answers from a cache; use it only when no better server is left.
    let recursive_lame = reply.metadata.recursion_available && !authoritative && !forwarded;
    let class = classify_content(reply, qname, qtype, zone, forwarded);
    match class {
        ReplyClass::Answer
        | ReplyClass::CName { .. }
        | ReplyClass::NoData
        | ReplyClass::NxDomain
            if recursive_lame =>
        {
            ReplyClass::RecursionLame
        }
        class => class,
    }
}

fn classify_content(
    reply: &Message,
    qname: &Name,
    qtype: RecordType,
    zone: &Name,
    forwarded: bool,
) -> ReplyClass {
    let authoritative = reply.metadata.authoritative;
    match reply.metadata.response_code {
        ResponseCode::NoError => {}
        ResponseCode::NXDomain => {
            // RFC 6604 §3: the rcode speaks of the chain's last name, whose zone may be one
            // this server's reply cannot speak for (its proof is out of bailiwick and scrubbed
            // away), so the target is asked of its own servers, whatever the question's type:
            // a CNAME (or ANY) question too (Unbound `response_type_from_server`: "it could be
            // a CNAME with NXDOMAIN rcode"; val_cnameqtype_qmin).
            let end = chain_end(reply, qname);
            if end != *qname {
                return ReplyClass::CName { target: end };
            }
            return ReplyClass::NxDomain;
        }
        ResponseCode::YXDomain
            if reply.answers.iter().any(|record| {
                record.record_type() == RecordType::DNAME && record.name.zone_of(qname)
            }) =>
        {
            return ReplyClass::YxDomain;
        }
        _ => return ReplyClass::Throwaway,
    }

    // Answer section: the asked type at the end of the chain, or a chain that stops short.
    if qtype == RecordType::NS || qtype == RecordType::ANY {
        // An NS set below the zone in the answer section of a non-AA reply is a referral that
        // a server put in the wrong section (Unbound handles it the same way).
        if let Some(record) = reply.answers.iter().find(|record| {
            record.record_type() == RecordType::NS
                && record.name == *qname
                && is_strict_subdomain(&record.name, zone)
        }) {
            if !authoritative && !forwarded {
                return ReplyClass::Referral {
                    zone: record.name.clone(),
                };
            }
        }
    }
    let (end, looped) = if !follows_chain(qtype) {
        (qname.clone(), false)
    } else {
        chain_walk(reply, qname)
    };
    if looped {
        // RFC 1034 §3.6.2: the caller sees the chain return to a name it visited and fails.
        return ReplyClass::CName { target: end };
    }
    let has_answer = reply.answers.iter().any(|record| {
        record.name == end && (record.record_type() == qtype || qtype == RecordType::ANY)
    });
    if has_answer && (authoritative || forwarded) {
        return ReplyClass::Answer;
    }
    if !has_answer && end != *qname {
        // The chain stops at a name this server did not answer for (a referral in the
        // authority section, if any, is for the target): chase the target.
        return ReplyClass::CName { target: end };
    }

    // Authority section: an SOA means NODATA, an NS set below the zone a referral.
    let has_soa = reply
        .authorities
        .iter()
        .any(|record| record.record_type() == RecordType::SOA && record.name.zone_of(&end));
    if has_soa && !has_answer {
        return ReplyClass::NoData;
    }
    if let Some(record) = reply
        .authorities
        .iter()
        .find(|record| record.record_type() == RecordType::NS && record.name.zone_of(qname))
    {
        if is_strict_subdomain(&record.name, zone) {
            return ReplyClass::Referral {
                zone: record.name.clone(),
            };
        }
        // A referral above the zone asked, or a non-authoritative one to the zone itself: the
        // server does not serve this zone. With AA, the zone's own NS set next to no data is
        // a NODATA without SOA.
        let upward = is_strict_subdomain(zone, &record.name);
        if !has_answer && !forwarded && (upward || !authoritative) {
            return ReplyClass::Lame;
        }
        if !has_answer && forwarded && upward {
            // A forwarder that refers us above the zone it was asked about has no answer: its
            // reply says nothing, so another forwarder is asked (Unbound: THROWAWAY, not LAME,
            // when RD was set; iter_scrub_ns_fwd).
            return ReplyClass::Throwaway;
        }
    }
    if has_answer {
        // Non-authoritative data without a referral: accepted provisionally, as Unbound does.
        return ReplyClass::Answer;
    }
    ReplyClass::NoData
}

/// `child` is below `parent`, not equal to it.
pub fn is_strict_subdomain(child: &Name, parent: &Name) -> bool {
    parent.zone_of(child) && child.num_labels() > parent.num_labels()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{MessageType, OpCode, Query};
    use hickory_proto::rr::rdata::{A, CNAME, NS, SOA};
    use hickory_proto::rr::Record;
    use std::net::Ipv4Addr;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    fn reply(qname: &str, qtype: RecordType, authoritative: bool) -> Message {
        let mut message = Message::new(1, MessageType::Response, OpCode::Query);
        message.metadata.authoritative = authoritative;
        message.queries.push(Query::query(name(qname), qtype));
        message
    }

    fn ns(owner: &str, target: &str) -> Record {
        Record::from_rdata(name(owner), 3600, RData::NS(NS(name(target))))
    }

    fn a(owner: &str) -> Record {
        Record::from_rdata(name(owner), 3600, RData::A(A(Ipv4Addr::new(192, 0, 2, 1))))
    }

    fn soa(owner: &str) -> Record {
        Record::from_rdata(
            name(owner),
            3600,
            RData::SOA(SOA::new(name(owner), name(owner), 1, 1, 1, 1, 300)),
        )
    }

    #[test]
    fn any_reply_with_a_cname_at_the_name_is_an_answer_not_a_chain() {
        let mut message = reply("www.example.com.", RecordType::ANY, true);
        message.answers.push(Record::from_rdata(
            name("www.example.com."),
            3600,
            RData::CNAME(CNAME(name("serf.example.com."))),
        ));
        let class = classify(
            &message,
            &name("www.example.com."),
            RecordType::ANY,
            &name("example.com."),
            false,
        );
        assert_eq!(class, ReplyClass::Answer);
    }

    #[test]
    fn authoritative_data_is_an_answer() {
        let mut message = reply("www.example.com.", RecordType::A, true);
        message.answers.push(a("www.example.com."));
        let class = classify(
            &message,
            &name("www.example.com."),
            RecordType::A,
            &name("example.com."),
            false,
        );
        assert_eq!(class, ReplyClass::Answer);
    }

    #[test]
    fn ns_set_below_zone_is_a_referral() {
        let mut message = reply("www.example.com.", RecordType::A, false);
        message
            .authorities
            .push(ns("example.com.", "ns.example.com."));
        let class = classify(
            &message,
            &name("www.example.com."),
            RecordType::A,
            &name("com."),
            false,
        );
        assert_eq!(
            class,
            ReplyClass::Referral {
                zone: name("example.com.")
            }
        );
    }

    #[test]
    fn referral_to_the_same_zone_is_lame() {
        let mut message = reply("www.example.com.", RecordType::A, false);
        message
            .authorities
            .push(ns("example.com.", "ns.example.com."));
        let class = classify(
            &message,
            &name("www.example.com."),
            RecordType::A,
            &name("example.com."),
            false,
        );
        assert_eq!(class, ReplyClass::Lame);
    }

    #[test]
    fn upward_referral_is_lame() {
        let mut message = reply("www.example.com.", RecordType::A, false);
        message.authorities.push(ns("com.", "a.gtld-servers.net."));
        let class = classify(
            &message,
            &name("www.example.com."),
            RecordType::A,
            &name("example.com."),
            false,
        );
        assert_eq!(class, ReplyClass::Lame);
    }

    #[test]
    fn a_forwarders_upward_referral_without_answer_is_thrown_away() {
        let mut message = reply("mail.example.com.", RecordType::A, false);
        message.metadata.recursion_available = true;
        message.authorities.push(ns("com.", "ns.example.com."));
        let class = classify(
            &message,
            &name("mail.example.com."),
            RecordType::A,
            &name("example.com."),
            true,
        );
        assert_eq!(class, ReplyClass::Throwaway);
        // The zone's own NS set beside no data is a NODATA from a forwarder.
        message.authorities = vec![ns("example.com.", "ns.example.com.")];
        let class = classify(
            &message,
            &name("mail.example.com."),
            RecordType::A,
            &name("example.com."),
            true,
        );
        assert_eq!(class, ReplyClass::NoData);
    }

    #[test]
    fn soa_in_authority_is_nodata_and_nxdomain_is_an_outcome() {
        let mut message = reply("www.example.com.", RecordType::A, true);
        message.authorities.push(soa("example.com."));
        let qname = name("www.example.com.");
        assert_eq!(
            classify(
                &message,
                &qname,
                RecordType::A,
                &name("example.com."),
                false
            ),
            ReplyClass::NoData
        );
        message.metadata.response_code = ResponseCode::NXDomain;
        assert_eq!(
            classify(
                &message,
                &qname,
                RecordType::A,
                &name("example.com."),
                false
            ),
            ReplyClass::NxDomain
        );
    }

    /// val_cnameqtype_qmin: the NXDOMAIN is the target's, proved in the target's zone, which a
    /// reply from the alias's zone cannot carry past the scrubber: the target is asked.
    #[test]
    fn nxdomain_after_a_cname_is_a_chain_to_follow_for_a_cname_question_too() {
        for qtype in [RecordType::A, RecordType::CNAME, RecordType::ANY] {
            let mut message = reply("www.example.com.", qtype, true);
            message.metadata.response_code = ResponseCode::NXDomain;
            message.answers.push(Record::from_rdata(
                name("www.example.com."),
                300,
                RData::CNAME(CNAME(name("www.example.net."))),
            ));
            let class = classify(
                &message,
                &name("www.example.com."),
                qtype,
                &name("example.com."),
                false,
            );
            assert_eq!(
                class,
                ReplyClass::CName {
                    target: name("www.example.net.")
                },
                "{qtype}"
            );
        }
    }

    #[test]
    fn cname_without_target_data_is_a_cname() {
        let mut message = reply("www.example.com.", RecordType::A, true);
        message.answers.push(Record::from_rdata(
            name("www.example.com."),
            300,
            RData::CNAME(CNAME(name("www.example.net."))),
        ));
        let class = classify(
            &message,
            &name("www.example.com."),
            RecordType::A,
            &name("example.com."),
            false,
        );
        assert_eq!(
            class,
            ReplyClass::CName {
                target: name("www.example.net.")
            }
        );
    }

    #[test]
    fn recursion_available_without_authority_is_lame() {
        let mut message = reply("www.example.com.", RecordType::A, false);
        message.metadata.recursion_available = true;
        let class = classify(
            &message,
            &name("www.example.com."),
            RecordType::A,
            &name("example.com."),
            false,
        );
        assert_eq!(class, ReplyClass::RecursionLame);
    }

    #[test]
    fn refused_is_thrown_away() {
        let mut message = reply("www.example.com.", RecordType::A, true);
        message.metadata.response_code = ResponseCode::Refused;
        let class = classify(
            &message,
            &name("www.example.com."),
            RecordType::A,
            &name("example.com."),
            false,
        );
        assert_eq!(class, ReplyClass::Throwaway);
    }
}
