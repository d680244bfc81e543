//! Fuzzes the resolver's response scrubber (`scrub::scrub`, the only door to the cache): arbitrary
//! bytes parsed as an upstream reply, scrubbed for a fixed question and zone, then checked that
//! nothing out of bailiwick survived.
//!
//! Input layout: byte 0 picks the question (name and type) and the zone the server was asked as
//! authority for; the rest is the reply. Replies that do not parse are the decoder's to reject.
#![no_main]

use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};
use libfuzzer_sys::fuzz_target;
use resolver::limits::{MAX_CNAME_CHAIN, MAX_RECORDS_PER_SECTION};
use resolver::scrub::scrubber::{check_reply_matches, scrub, ScrubRules};

const QUESTION_NAMES: [&str; 2] = ["www.example.test.", "a.b.sub.example.test."];
const QUESTION_TYPES: [RecordType; 4] = [
    RecordType::A,
    RecordType::CNAME,
    RecordType::NS,
    RecordType::ANY,
];
const ZONES: [&str; 4] = [".", "test.", "example.test.", "sub.example.test."];

fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap_or_else(|error| panic!("{text}: {error}"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    // A second byte: harden-unknown-additional on or off.
    let Some((&more, bytes)) = bytes.split_first() else {
        return;
    };
    let harden_unknown_additional = more & 1 == 0;
    let selector = usize::from(selector);
    let qname = name(QUESTION_NAMES[selector & 1]);
    let qtype = QUESTION_TYPES[(selector >> 1) & 3];
    let zone = name(ZONES[(selector >> 3) & 3]);
    let question = Query::query(qname, qtype);
    let Ok(reply) = Message::from_vec(bytes) else {
        return;
    };
    let _ = check_reply_matches(&reply, reply.metadata.id, &question);
    // Both settings of promiscuous-NS scrubbing (Unbound's iter-scrub-promiscuous), of
    // out-of-bailiwick glue (harden-glue) and of CNAME chains (Unbound's first link only, or
    // Knot Resolver's whole in-zone chain).
    let harden_glue = selector & 0x40 == 0;
    let rules = ScrubRules {
        promiscuous_ns: selector & 0x20 == 0,
        harden_glue,
        harden_unknown_additional,
        whole_chain: selector & 0x80 != 0,
    };
    let clean = scrub(&reply, &question, &zone, rules);

    // Bounded: at most a section's worth of records plus the CNAMEs synthesized from DNAMEs.
    assert!(clean.answers.len() <= MAX_RECORDS_PER_SECTION + MAX_CNAME_CHAIN);
    assert!(clean.authorities.len() <= MAX_RECORDS_PER_SECTION);
    assert!(clean.additionals.len() <= MAX_RECORDS_PER_SECTION);
    // Answers: in the zone and the question's class.
    for record in &clean.answers {
        assert!(
            zone.zone_of(&record.name) && record.dns_class == DNSClass::IN,
            "answer {record} outside {zone}"
        );
    }
    // Authority: in the zone, or an NS set for an ancestor of the zone (kept only so the
    // classifier sees a lame upward referral; never cached).
    for record in &clean.authorities {
        let in_zone = zone.zone_of(&record.name);
        let upward_ns = record.record_type() == RecordType::NS && record.name.zone_of(&zone);
        assert!(in_zone || upward_ns, "authority {record} outside {zone}");
        // NS and SOA, and for the validator the DNSSEC records of the section: a referral's
        // DS, NSEC/NSEC3 denial proofs and the RRSIGs over what was kept (RFC 4035 §3.1.3-4).
        assert!(
            matches!(
                record.record_type(),
                RecordType::NS
                    | RecordType::SOA
                    | RecordType::DS
                    | RecordType::NSEC
                    | RecordType::NSEC3
                    | RecordType::RRSIG
            ),
            "authority {record} is neither NS, SOA nor a DNSSEC record"
        );
    }
    // Additional: addresses of a kept NS, MX or SRV target (in-zone unless harden-glue is
    // off), their RRSIGs, and with harden-unknown-additional off other in-zone RRsets that
    // cannot steer the walk (never CNAME, DNAME or NS).
    let targets: Vec<&Name> = clean
        .authorities
        .iter()
        .chain(clean.answers.iter())
        .filter_map(|record| match &record.data {
            RData::NS(target) => Some(&target.0),
            RData::MX(mx) => Some(&mx.exchange),
            RData::SRV(srv) => Some(&srv.target),
            _ => None,
        })
        .collect();
    for record in &clean.additionals {
        match record.record_type() {
            RecordType::RRSIG => {}
            RecordType::A | RecordType::AAAA => {
                // Out-of-zone addresses only with harden-glue off (still only for a target).
                assert!(
                    !harden_glue || zone.zone_of(&record.name),
                    "glue {record} outside {zone}"
                );
                assert!(
                    targets.contains(&&record.name),
                    "address {record} names no kept target"
                );
            }
            RecordType::CNAME | RecordType::DNAME | RecordType::NS => {
                panic!("additional {record} would steer the walk")
            }
            _ => assert!(
                !harden_unknown_additional && zone.zone_of(&record.name),
                "additional {record} kept (harden-unknown-additional {harden_unknown_additional})"
            ),
        }
    }
});
