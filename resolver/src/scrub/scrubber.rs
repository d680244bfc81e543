//! The scrubber (Unbound `iter_scrub.c`): cleans an upstream reply before anything may use it.
//! It is the only door to the cache: data it drops is never cached nor given to a client.

use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::rdata::CNAME;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::limits::{MAX_CNAME_CHAIN, MAX_RECORDS_PER_SECTION, MAX_SIGNATURES_KEPT_PER_RRSET};
use crate::scrub::classify::{follows_chain, is_strict_subdomain};

/// Unbound `scrub_sanitize`: of a CNAME chain only the first link (the question name's CNAME,
/// or a DNAME and the CNAME it synthesizes) is believed; the rest is asked for separately.
const FIRST_LINK_ONLY: usize = 1;

/// Why a reply is not a reply to our query at all (anti-spoofing, RFC 5452 §9.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyMismatch {
    NotAResponse,
    WrongId { expected: u16, got: u16 },
    WrongQuestion,
}

impl std::fmt::Display for ReplyMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplyMismatch::NotAResponse => write!(f, "QR bit clear"),
            ReplyMismatch::WrongId { expected, got } => write!(f, "id {got} instead of {expected}"),
            ReplyMismatch::WrongQuestion => write!(f, "question differs from the one sent"),
        }
    }
}

/// RFC 5452 §9.1: accept only a response with our ID and our question (name compared without
/// regard to case: 0x20 is not required of servers). The source address and port are the
/// transport's: it answers only for the address asked.
pub fn check_reply_matches(
    reply: &Message,
    id: u16,
    question: &Query,
) -> Result<(), ReplyMismatch> {
    if reply.metadata.message_type != hickory_proto::op::MessageType::Response {
        return Err(ReplyMismatch::NotAResponse);
    }
    if reply.metadata.id != id {
        return Err(ReplyMismatch::WrongId {
            expected: id,
            got: reply.metadata.id,
        });
    }
    match reply.queries.as_slice() {
        [asked]
            if asked.name() == question.name()
                && asked.query_type() == question.query_type()
                && asked.query_class() == question.query_class() =>
        {
            Ok(())
        }
        // FORMERR/NOTIMP from old servers may come without a question; the caller only uses their rcode.
        [] if reply.answers.is_empty() && reply.authorities.is_empty() => Ok(()),
        _ => Err(ReplyMismatch::WrongQuestion),
    }
}

/// The scrubber's rules an operator may turn off; the others are fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScrubRules {
    /// Unbound `iter-scrub-promiscuous` (default yes, CVE-2025-11411): remove the NS sets of a
    /// positive answer's authority section, and the addresses given for them.
    pub promiscuous_ns: bool,
    /// Unbound `harden-glue` (default yes): addresses for name servers outside the zone that
    /// sent them are dropped. Off (an operator's choice, less safe): they are kept beside the
    /// NS set that names them.
    pub harden_glue: bool,
    /// Unbound `harden-unknown-additional`: on, the additional section keeps addresses only;
    /// off, other RRsets inside the zone there (an SRV, a TXT) stay too. Never a CNAME, DNAME
    /// or NS set: those would steer the walk (Unbound `scrub_normalize`).
    pub harden_unknown_additional: bool,
    /// Knot Resolver's way: the whole CNAME chain of an answer inside the zone is believed.
    /// Unbound's (`false`, the default): only the first link; the rest is asked for.
    pub whole_chain: bool,
}

impl Default for ScrubRules {
    fn default() -> Self {
        ScrubRules {
            promiscuous_ns: true,
            harden_glue: true,
            harden_unknown_additional: true,
            whole_chain: false,
        }
    }
}

/// Returns the reply with only the records a server authoritative for `zone` may tell us about
/// `question`. `zone` is the zone the server was asked as authority for (`.` when forwarding
/// everything).
pub fn scrub(reply: &Message, question: &Query, zone: &Name, rules: ScrubRules) -> Message {
    let mut clean = Message::new(
        reply.metadata.id,
        reply.metadata.message_type,
        reply.metadata.op_code,
    );
    clean.metadata = reply.metadata;
    clean.queries = reply.queries.clone();
    let class = question.query_class();
    let qname = question.name();
    let qtype = question.query_type();
    let in_zone = |record: &Record| record.dns_class == class && zone.zone_of(&record.name);
    // Unbound `sanitize_nsec_is_overreach`: an NSEC whose next name lies outside the zone asked
    // would deny names of other zones; as an answer it is dropped (nsec_cross_zone). In the
    // authority section the validator finds it proves nothing (`next_in_signer_zone`, EDE 6).
    let overreaching = |record: &Record| match &record.data {
        RData::DNSSEC(DNSSECRData::NSEC(nsec)) => !zone.zone_of(nsec.next_domain_name()),
        _ => false,
    };

    // Answer section: only the chain from the question name (CNAME/DNAME links, then the asked
    // type at its end), and only inside the zone (Unbound scrub_normalize + scrub_sanitize).
    let answers: Vec<&Record> = reply
        .answers
        .iter()
        .take(MAX_RECORDS_PER_SECTION)
        .filter(|record| in_zone(record) && !overreaching(record))
        .collect();
    let mut current = qname.clone();
    let mut chain_names = vec![current.clone()];
    // A CNAME question answered by a DNAME's synthesis: nothing else answers it.
    let mut synthesized_answer = false;
    let links = if rules.whole_chain {
        MAX_CNAME_CHAIN
    } else {
        FIRST_LINK_ONLY
    };
    for _ in 0..links {
        // RFC 6672 §2.2: a DNAME at an ancestor rewrites the name; keep it and its synthesized
        // CNAME. For a CNAME question too (the synthesized CNAME is the answer, and only the
        // signed DNAME proves it, RFC 6672 §5.3.1; Unbound `scrub_normalize`), one link only.
        let dname = answers.iter().find_map(|record| {
            if record.record_type() == RecordType::DNAME
                && is_strict_subdomain(&current, &record.name)
            {
                dname_target(record).map(|target| (*record, target))
            } else {
                None
            }
        });
        if let Some((record, dname_to)) = dname {
            if let Some(synthesized) =
                synthesize_cname(&current, &record.name, &dname_to, record.ttl)
            {
                if !clean.answers.contains(record) {
                    clean.answers.push(record.clone());
                }
                let target = synthesized.1.clone();
                clean.answers.push(synthesized.0);
                if qtype == RecordType::CNAME {
                    synthesized_answer = true;
                    break;
                }
                if chain_names.contains(&target) {
                    break;
                }
                current = target;
                chain_names.push(current.clone());
                continue;
            }
            // RFC 6672 §2.2: the substituted name would be too long (the server answers
            // YXDOMAIN); the DNAME itself is the answer.
            if !clean.answers.contains(record) {
                clean.answers.push(record.clone());
            }
            break;
        }
        if qtype == RecordType::CNAME {
            break;
        }
        let position = |wanted: RecordType| {
            answers
                .iter()
                .position(|record| record.record_type() == wanted && record.name == current)
        };
        // CNAME and other data at one name (RFC 2181 §10.1 forbids it): what comes first in
        // the section answers, as Unbound's scrub_normalize walks it (val_cnameother).
        if let (Some(data), Some(alias)) = (position(qtype), position(RecordType::CNAME)) {
            if data < alias && qtype != RecordType::RRSIG {
                break;
            }
        }
        let cname: Vec<&&Record> = answers
            .iter()
            .filter(|record| record.record_type() == RecordType::CNAME && record.name == current)
            .collect();
        // RFC 2181 §10.1: one CNAME per name; more than one is a broken or forged chain.
        let Some(first) = cname.first() else { break };
        let RData::CNAME(target) = &first.data else {
            break;
        };
        if !follows_chain(qtype) {
            // ANY: the CNAME is one of the name's RRsets, kept below with the others.
            break;
        }
        clean.answers.push((**first).clone());
        if chain_names.contains(&target.0) {
            break;
        }
        current = target.0.clone();
        chain_names.push(current.clone());
    }
    for record in answers.iter().filter(|_| !synthesized_answer) {
        let wanted_type = record.record_type() == qtype || qtype == RecordType::ANY;
        if record.name == current
            && (rules.whole_chain || current == *qname)
            && wanted_type
            && (record.record_type() != RecordType::DNAME
                || matches!(qtype, RecordType::DNAME | RecordType::ANY))
            && !clean.answers.iter().any(|kept| kept == *record)
        {
            clean.answers.push((*record).clone());
        }
    }

    // An RRSIG belongs to the RRset it covers, whichever section it came in (Unbound's message
    // parser joins them the same way; val_unalgo_anchor has them swapped between sections).
    let signatures: Vec<&Record> = [&reply.answers, &reply.authorities, &reply.additionals]
        .into_iter()
        .flat_map(|section| section.iter().take(MAX_RECORDS_PER_SECTION))
        .filter(|record| record.record_type() == RecordType::RRSIG && in_zone(record))
        .collect();
    keep_signatures(&mut clean.answers, &signatures);

    // Authority section: NS sets for the final name's ancestors inside the zone (delegations
    // or the zone's own NS), one SOA for the final name's zone, and the DNSSEC records the
    // validator needs (RFC 4035 §3.1.3: NSEC/NSEC3 proofs, a referral's DS); nothing else.
    let mut soa_kept = false;
    for record in reply.authorities.iter().take(MAX_RECORDS_PER_SECTION) {
        // An NS set for the zone's parent is kept only so that the classifier can see the
        // server refer us upward (lame); the cache never stores records outside the zone.
        let upward_referral = record.record_type() == RecordType::NS
            && record.dns_class == class
            && is_strict_subdomain(zone, &record.name);
        if upward_referral {
            clean.authorities.push(record.clone());
            continue;
        }
        if !in_zone(record) {
            continue;
        }
        match record.record_type() {
            RecordType::NS if record.name.zone_of(&current) => {
                clean.authorities.push(record.clone())
            }
            RecordType::NSEC | RecordType::NSEC3 => clean.authorities.push(record.clone()),
            RecordType::DS if record.name.zone_of(&current) && record.name != *zone => {
                clean.authorities.push(record.clone())
            }
            // One SOA set only: the first one seen for the final name's zone.
            RecordType::SOA
                if record.name.zone_of(&current)
                    && (!soa_kept
                        || clean.authorities.iter().any(|kept| {
                            kept.name == record.name && kept.record_type() == RecordType::SOA
                        })) =>
            {
                soa_kept = true;
                clean.authorities.push(record.clone());
            }
            _ => {}
        }
    }
    // Next to an SOA (a negative answer) only the zone's own NS set may stay, never an upward one.
    if soa_kept {
        clean
            .authorities
            .retain(|record| record.record_type() == RecordType::SOA || zone.zone_of(&record.name));
    }
    // Of the NS sets, keep only the deepest owner (the actual delegation).
    if let Some(deepest) = clean
        .authorities
        .iter()
        .filter(|record| record.record_type() == RecordType::NS)
        .map(|record| record.name.num_labels())
        .max()
    {
        clean.authorities.retain(|record| {
            record.record_type() != RecordType::NS || record.name.num_labels() == deepest
        });
    }

    // A positive answer needs no NS set beside it. One there is "promiscuous": a spoofed or
    // careless reply could otherwise replace the delegation the parent gave (and a child could
    // keep a revoked delegation alive by refreshing it: ghost domains, CVE-2012-1191). Unbound
    // `iter-scrub-promiscuous` (CVE-2025-11411) removes it; its addresses go with it below.
    if rules.promiscuous_ns
        && clean.metadata.response_code == ResponseCode::NoError
        && !clean.answers.is_empty()
    {
        clean
            .authorities
            .retain(|record| record.record_type() != RecordType::NS);
    }

    keep_signatures(&mut clean.authorities, &signatures);

    // Additional section: addresses of the names the kept records point at (Unbound
    // `mark_additional_rrset`: NS, MX and SRV targets), and only inside the zone (Unbound
    // harden-glue: out-of-bailiwick glue is never believed), unless the operator turned that off.
    let ns_targets: Vec<Name> = clean
        .authorities
        .iter()
        .chain(clean.answers.iter())
        .filter_map(|record| match &record.data {
            RData::NS(target) => Some(target.0.clone()),
            RData::MX(mx) => Some(mx.exchange.clone()),
            RData::SRV(srv) => Some(srv.target.clone()),
            _ => None,
        })
        .collect();
    for record in reply.additionals.iter().take(MAX_RECORDS_PER_SECTION) {
        let is_address = matches!(record.record_type(), RecordType::A | RecordType::AAAA);
        let believed = in_zone(record) || !rules.harden_glue;
        if is_address && believed && ns_targets.contains(&record.name) {
            clean.additionals.push(record.clone());
        }
        let steering = matches!(
            record.record_type(),
            RecordType::CNAME | RecordType::DNAME | RecordType::NS | RecordType::RRSIG
        );
        if !is_address && !steering && !rules.harden_unknown_additional && in_zone(record) {
            clean.additionals.push(record.clone());
        }
    }
    keep_signatures(&mut clean.additionals, &signatures);
    clean
}

/// RFC 4035 §3.1.1: an RRSIG goes with the RRset it covers; keeps those of `section`'s RRSIGs
/// whose RRset was kept in `kept`, the first `MAX_SIGNATURES_KEPT_PER_RRSET` of each.
fn keep_signatures(kept: &mut Vec<Record>, section: &[&Record]) {
    let covered_type = |record: &Record| match &record.data {
        RData::DNSSEC(DNSSECRData::RRSIG(rrsig)) => Some(rrsig.input().type_covered),
        _ => None,
    };
    for record in section {
        let Some(covered) = covered_type(record) else {
            continue;
        };
        let covers_kept = kept
            .iter()
            .any(|other| other.name == record.name && other.record_type() == covered);
        if !covers_kept || kept.iter().any(|other| other == *record) {
            continue;
        }
        let signatures = kept
            .iter()
            .filter(|other| other.name == record.name && covered_type(other) == Some(covered))
            .count();
        if signatures < MAX_SIGNATURES_KEPT_PER_RRSET {
            kept.push((*record).clone());
        }
    }
}

pub(crate) fn dname_target(record: &Record) -> Option<Name> {
    // hickory-proto 0.26 has no DNAME type: it arrives as unknown rdata holding one
    // uncompressed name (RFC 6672 §2.5 forbids compressing it).
    use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};
    match &record.data {
        RData::Unknown { rdata, .. } => {
            let mut decoder = BinDecoder::new(&rdata.anything);
            Name::read(&mut decoder).ok()
        }
        _ => None,
    }
}

pub(crate) fn synthesize_cname(
    current: &Name,
    owner: &Name,
    target: &Name,
    ttl: u32,
) -> Option<(Record, Name)> {
    let keep = usize::from(current.num_labels()).checked_sub(usize::from(owner.num_labels()))?;
    let prefix = Name::from_labels(current.iter().take(keep)).ok()?;
    let new_name = prefix.append_domain(target).ok()?;
    let record = Record::from_rdata(current.clone(), ttl, RData::CNAME(CNAME(new_name.clone())));
    Some((record, new_name))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use hickory_proto::op::{MessageType, OpCode};
    use hickory_proto::rr::rdata::{A, NS, SOA};
    use std::net::Ipv4Addr;

    /// A name from test text (the walk-answer tests use it too).
    pub(crate) fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    /// An A record in 192.0.2.0/24, TTL 300 (the walk-answer tests use it too).
    pub(crate) fn a(owner: &str, last: u8) -> Record {
        Record::from_rdata(
            name(owner),
            300,
            RData::A(A(Ipv4Addr::new(192, 0, 2, last))),
        )
    }

    fn ns(owner: &str, target: &str) -> Record {
        Record::from_rdata(name(owner), 300, RData::NS(NS(name(target))))
    }

    fn cname(owner: &str, target: &str) -> Record {
        Record::from_rdata(name(owner), 300, RData::CNAME(CNAME(name(target))))
    }

    fn reply_to(query: &Query) -> Message {
        let mut message = Message::new(7, MessageType::Response, OpCode::Query);
        message.queries.push(query.clone());
        message
    }

    #[test]
    fn at_most_eight_signatures_per_rrset_are_kept_the_first_ones() {
        let query = Query::query(name("www.example.com."), RecordType::A);
        let mut reply = reply_to(&query);
        reply.answers.push(a("www.example.com.", 1));
        for index in 0..20u8 {
            let text = format!(
                "www.example.com. 300 IN RRSIG A 8 3 300 20330518033320 20010909014640 12345 . {}",
                data_encoding::BASE64.encode(&[index])
            );
            reply
                .answers
                .push(crate::replay::record_text::parse_record(&text).unwrap());
        }
        let clean = scrub(&reply, &query, &Name::root(), ScrubRules::default());
        let signatures: Vec<&Record> = clean
            .answers
            .iter()
            .filter(|record| record.record_type() == RecordType::RRSIG)
            .collect();
        assert_eq!(signatures.len(), MAX_SIGNATURES_KEPT_PER_RRSET);
        assert_eq!(*signatures[0], reply.answers[1]);
    }

    #[test]
    fn out_of_bailiwick_glue_is_dropped() {
        let query = Query::query(name("www.example.com."), RecordType::A);
        let mut reply = reply_to(&query);
        reply
            .authorities
            .push(ns("example.com.", "ns.example.com."));
        reply
            .authorities
            .push(ns("example.com.", "ns.example.net."));
        reply.additionals.push(a("ns.example.com.", 1));
        reply.additionals.push(a("ns.example.net.", 2));
        reply.additionals.push(a("www.google.com.", 3));
        let clean = scrub(&reply, &query, &name("com."), ScrubRules::default());
        assert_eq!(clean.authorities.len(), 2);
        assert_eq!(clean.additionals, vec![a("ns.example.com.", 1)]);
    }

    #[test]
    fn addresses_of_mx_and_srv_targets_are_kept_others_dropped() {
        // Unbound `mark_additional_rrset`: NS, MX and SRV targets' addresses stay.
        use crate::replay::record_text::parse_record;
        let query = Query::query(name("example.com."), RecordType::ANY);
        let mut reply = reply_to(&query);
        reply.metadata.response_code = ResponseCode::NoError;
        reply
            .answers
            .push(parse_record("example.com. 300 IN MX 10 mail.example.com.").unwrap());
        reply
            .answers
            .push(parse_record("example.com. 300 IN SRV 0 0 5060 sip.example.com.").unwrap());
        reply.additionals.push(a("mail.example.com.", 1));
        reply.additionals.push(a("sip.example.com.", 2));
        reply.additionals.push(a("johnny.example.com.", 3));
        let clean = scrub(&reply, &query, &name("example.com."), ScrubRules::default());
        assert_eq!(
            clean.additionals,
            vec![a("mail.example.com.", 1), a("sip.example.com.", 2)]
        );
    }

    #[test]
    fn other_additional_rrsets_stay_only_with_harden_unknown_additional_off() {
        use crate::replay::record_text::parse_record;
        let query = Query::query(name("example.com."), RecordType::A);
        let mut reply = reply_to(&query);
        reply.answers.push(a("example.com.", 1));
        let srv =
            parse_record("_sip._udp.example.com. 600 IN SRV 0 0 5060 sip.example.com.").unwrap();
        reply.additionals.push(srv.clone());
        reply
            .additionals
            .push(cname("alias.example.com.", "www.example.org."));
        reply
            .additionals
            .push(parse_record("other.example.org. 600 IN TXT \"outside\"").unwrap());
        let strict = scrub(&reply, &query, &name("example.com."), ScrubRules::default());
        assert!(strict.additionals.is_empty());
        let rules = ScrubRules {
            harden_unknown_additional: false,
            ..ScrubRules::default()
        };
        let lenient = scrub(&reply, &query, &name("example.com."), rules);
        // Never a CNAME (it would steer the walk), never outside the zone.
        assert_eq!(lenient.additionals, vec![srv]);
    }

    #[test]
    fn out_of_bailiwick_glue_for_a_named_server_is_kept_with_harden_glue_off() {
        let query = Query::query(name("www.example.com."), RecordType::A);
        let mut reply = reply_to(&query);
        reply
            .authorities
            .push(ns("example.com.", "ns.example.net."));
        reply.additionals.push(a("ns.example.net.", 2));
        reply.additionals.push(a("www.google.com.", 3));
        let rules = ScrubRules {
            harden_glue: false,
            ..ScrubRules::default()
        };
        let clean = scrub(&reply, &query, &name("com."), rules);
        // Only addresses of a name server the kept NS set names, even so.
        assert_eq!(clean.additionals, vec![a("ns.example.net.", 2)]);
    }

    #[test]
    fn only_the_first_link_of_a_cname_chain_is_kept() {
        // Unbound `scrub_sanitize`: the rest of the chain is asked for, not believed.
        let query = Query::query(name("www.example.com."), RecordType::A);
        let mut reply = reply_to(&query);
        reply
            .answers
            .push(cname("www.example.com.", "web.example.com."));
        reply.answers.push(a("web.example.com.", 1));
        reply.answers.push(a("mail.example.com.", 2));
        let clean = scrub(&reply, &query, &name("example.com."), ScrubRules::default());
        assert_eq!(
            clean.answers,
            vec![cname("www.example.com.", "web.example.com.")]
        );
    }

    #[test]
    fn the_whole_in_zone_chain_is_kept_in_knot_resolver_mode() {
        let query = Query::query(name("www.example.com."), RecordType::A);
        let mut reply = reply_to(&query);
        reply
            .answers
            .push(cname("www.example.com.", "web.example.com."));
        reply.answers.push(a("web.example.com.", 1));
        reply.answers.push(a("mail.example.com.", 2));
        let rules = ScrubRules {
            whole_chain: true,
            ..ScrubRules::default()
        };
        let clean = scrub(&reply, &query, &name("example.com."), rules);
        assert_eq!(
            clean.answers,
            vec![
                cname("www.example.com.", "web.example.com."),
                a("web.example.com.", 1)
            ]
        );
    }

    #[test]
    fn an_any_answer_keeps_the_cname_at_the_name_and_not_its_target() {
        let query = Query::query(name("www.example.com."), RecordType::ANY);
        let mut reply = reply_to(&query);
        reply
            .answers
            .push(cname("www.example.com.", "serf.example.com."));
        reply.answers.push(a("serf.example.com.", 1));
        let clean = scrub(&reply, &query, &name("example.com."), ScrubRules::default());
        assert_eq!(
            clean.answers,
            vec![cname("www.example.com.", "serf.example.com.")]
        );
    }

    #[test]
    fn an_any_answer_keeps_a_dname_at_the_name() {
        use hickory_proto::rr::rdata::NULL;
        use hickory_proto::serialize::binary::BinEncodable;
        let query = Query::query(name("example.com."), RecordType::ANY);
        let mut reply = reply_to(&query);
        let target = name("example.net.").to_bytes().unwrap();
        let dname = Record::from_rdata(
            name("example.com."),
            300,
            RData::Unknown {
                code: RecordType::DNAME,
                rdata: NULL::with(target),
            },
        );
        reply.answers.push(a("example.com.", 1));
        reply.answers.push(dname.clone());
        let clean = scrub(&reply, &query, &name("example.com."), ScrubRules::default());
        assert_eq!(clean.answers, vec![a("example.com.", 1), dname]);
    }

    /// RFC 6672 §2.2, §5.3.1: a CNAME question below a DNAME is answered by the DNAME and the
    /// CNAME synthesized from it; a server's CNAME that disagrees is not believed.
    #[test]
    fn a_cname_question_below_a_dname_keeps_the_dname_and_its_synthesis() {
        use hickory_proto::rr::rdata::NULL;
        use hickory_proto::serialize::binary::BinEncodable;
        let query = Query::query(name("foo.d.example.com."), RecordType::CNAME);
        let mut reply = reply_to(&query);
        let target = name("example.net.").to_bytes().unwrap();
        let dname = Record::from_rdata(
            name("d.example.com."),
            300,
            RData::Unknown {
                code: RecordType::DNAME,
                rdata: NULL::with(target),
            },
        );
        reply.answers.push(dname.clone());
        reply
            .answers
            .push(cname("foo.d.example.com.", "elsewhere.example.org."));
        let clean = scrub(&reply, &query, &name("example.com."), ScrubRules::default());
        assert_eq!(
            clean.answers,
            vec![dname, cname("foo.d.example.com.", "foo.example.net.")]
        );
    }

    #[test]
    fn an_rrsig_in_another_section_goes_with_the_rrset_it_covers() {
        use hickory_proto::dnssec::rdata::{sig::SigInput, RRSIG};
        use hickory_proto::dnssec::Algorithm;
        use hickory_proto::rr::SerialNumber;
        let query = Query::query(name("www.example.com."), RecordType::A);
        let mut reply = reply_to(&query);
        let rrsig = |owner: &str, covered: RecordType| {
            let input = SigInput {
                type_covered: covered,
                algorithm: Algorithm::ECDSAP256SHA256,
                num_labels: 3,
                original_ttl: 300,
                sig_expiration: SerialNumber::new(2),
                sig_inception: SerialNumber::new(1),
                key_tag: 1,
                signer_name: name("example.com."),
            };
            Record::from_rdata(
                name(owner),
                300,
                RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(input, vec![1; 64]))),
            )
        };
        reply.answers.push(a("www.example.com.", 1));
        reply.answers.push(rrsig("ns.example.com.", RecordType::A));
        reply
            .additionals
            .push(rrsig("www.example.com.", RecordType::A));
        let clean = scrub(&reply, &query, &name("example.com."), ScrubRules::default());
        assert_eq!(
            clean.answers,
            vec![
                a("www.example.com.", 1),
                rrsig("www.example.com.", RecordType::A)
            ]
        );
    }

    #[test]
    fn answers_outside_the_zone_asked_are_dropped() {
        let query = Query::query(name("www.example.com."), RecordType::A);
        let mut reply = reply_to(&query);
        reply
            .answers
            .push(cname("www.example.com.", "www.example.net."));
        reply.answers.push(a("www.example.net.", 9));
        let clean = scrub(&reply, &query, &name("example.com."), ScrubRules::default());
        assert_eq!(
            clean.answers,
            vec![cname("www.example.com.", "www.example.net.")]
        );
    }

    #[test]
    fn ns_sets_for_unrelated_names_are_dropped() {
        let query = Query::query(name("www.example.com."), RecordType::A);
        let mut reply = reply_to(&query);
        reply
            .authorities
            .push(ns("example.org.", "ns.example.org."));
        reply.authorities.push(ns("com.", "ns.evil.com."));
        reply
            .authorities
            .push(ns("example.com.", "ns.example.com."));
        let clean = scrub(&reply, &query, &name("com."), ScrubRules::default());
        assert_eq!(
            clean.authorities,
            vec![ns("example.com.", "ns.example.com.")]
        );
    }

    #[test]
    fn soa_for_another_zone_is_dropped() {
        let query = Query::query(name("www.example.com."), RecordType::A);
        let mut reply = reply_to(&query);
        let soa = |owner: &str| {
            Record::from_rdata(
                name(owner),
                60,
                RData::SOA(SOA::new(name(owner), name(owner), 1, 1, 1, 1, 60)),
            )
        };
        reply.authorities.push(soa("example.org."));
        let clean = scrub(&reply, &query, &name("."), ScrubRules::default());
        assert!(clean.authorities.is_empty());
        reply.authorities.push(soa("example.com."));
        let clean = scrub(&reply, &query, &name("."), ScrubRules::default());
        assert_eq!(clean.authorities, vec![soa("example.com.")]);
    }

    /// `www.example.com. A` answered with a promiscuous NS set and its address.
    fn answer_with_promiscuous_ns() -> (Query, Message) {
        let query = Query::query(name("www.example.com."), RecordType::A);
        let mut reply = reply_to(&query);
        reply.answers.push(a("www.example.com.", 1));
        reply
            .authorities
            .push(ns("example.com.", "ns.attacker.example.com."));
        reply.additionals.push(a("ns.attacker.example.com.", 66));
        (query, reply)
    }

    #[test]
    fn promiscuous_ns_set_beside_a_positive_answer_is_removed_with_its_address() {
        let (query, reply) = answer_with_promiscuous_ns();
        let clean = scrub(&reply, &query, &name("example.com."), ScrubRules::default());
        assert_eq!(clean.answers, vec![a("www.example.com.", 1)]);
        assert!(clean.authorities.is_empty());
        assert!(clean.additionals.is_empty());
    }

    #[test]
    fn promiscuous_ns_set_stays_when_the_rule_is_off() {
        let (query, reply) = answer_with_promiscuous_ns();
        let rules = ScrubRules {
            promiscuous_ns: false,
            ..ScrubRules::default()
        };
        let clean = scrub(&reply, &query, &name("example.com."), rules);
        assert_eq!(
            clean.authorities,
            vec![ns("example.com.", "ns.attacker.example.com.")]
        );
        assert_eq!(clean.additionals, vec![a("ns.attacker.example.com.", 66)]);
    }

    #[test]
    fn ns_set_of_a_referral_or_negative_answer_is_not_promiscuous() {
        let query = Query::query(name("www.example.com."), RecordType::A);
        let mut referral = reply_to(&query);
        referral
            .authorities
            .push(ns("example.com.", "ns.example.com."));
        referral.additionals.push(a("ns.example.com.", 1));
        let clean = scrub(&referral, &query, &name("com."), ScrubRules::default());
        assert_eq!(clean.authorities.len(), 1);
        assert_eq!(clean.additionals.len(), 1);
        let mut nodata = referral.clone();
        nodata.authorities.push(Record::from_rdata(
            name("example.com."),
            60,
            RData::SOA(SOA::new(
                name("example.com."),
                name("example.com."),
                1,
                1,
                1,
                1,
                60,
            )),
        ));
        let clean = scrub(
            &nodata,
            &query,
            &name("example.com."),
            ScrubRules::default(),
        );
        assert_eq!(clean.authorities.len(), 2);
    }

    #[test]
    fn mismatched_id_or_question_is_rejected() {
        let query = Query::query(name("www.example.com."), RecordType::A);
        let reply = reply_to(&query);
        assert!(check_reply_matches(&reply, 7, &query).is_ok());
        assert_eq!(
            check_reply_matches(&reply, 8, &query),
            Err(ReplyMismatch::WrongId {
                expected: 8,
                got: 7
            })
        );
        let other = Query::query(name("www.example.org."), RecordType::A);
        assert_eq!(
            check_reply_matches(&reply, 7, &other),
            Err(ReplyMismatch::WrongQuestion)
        );
        let upper = Query::query(name("WWW.Example.COM."), RecordType::A);
        assert!(check_reply_matches(&reply, 7, &upper).is_ok());
    }
}
