//! The authoritative answer algorithm of RFC 1034 §4.3.2, pure: catalog + question → sections.
//! One function per outcome (NSD `query.c` style); it never touches sockets or wire bytes.
//!
//! Flow: answering zone → walk down from the apex → exact | delegation | wildcard | no name,
//! then answer_exact / answer_cname / answer_delegation / answer_nodata / answer_nxdomain.

use std::sync::Arc;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::rdata::CNAME;
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordType};

use crate::answer::response::{EDE_INVALID_DATA, EDE_NOT_AUTHORITATIVE};
use crate::catalog::zones::{Catalog, ZoneFor};
use crate::dnssec::proofs;
use crate::limits::MAX_CNAME_CHAIN;
use crate::zone::names::ancestor;
use crate::zone::prepared::{RecordSet, ServedSet, Zone, ZoneNode};

/// The sections of an answer, each a list of whole RRsets (truncation drops whole RRsets,
/// RFC 2181 §9), plus the header bits the lookup decides.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    pub response_code: ResponseCode,
    pub authoritative: bool,
    /// True for a referral: glue in the additional section is required (RFC 9471), so losing it
    /// to truncation must set TC.
    pub is_referral: bool,
    /// True when the authority section holds only the zone's NS added to a positive answer:
    /// optional data, so dropping it for size does not set TC (RFC 2181 §9).
    pub authority_is_optional: bool,
    pub answers: Vec<Arc<RecordSet>>,
    pub authorities: Vec<Arc<RecordSet>>,
    pub additionals: Vec<Arc<RecordSet>>,
    /// The Extended DNS Error to add when the query had EDNS (RFC 8914), such as "Not
    /// Authoritative" on REFUSED.
    pub extended_error: Option<u16>,
    /// The query had DO=1 (RFC 3225): signatures go with every RRset written, and answers from a
    /// signed zone carry proofs of non-existence and DS at referrals (RFC 4035 §3.1).
    pub dnssec_ok: bool,
}

impl Answer {
    /// The records of one section, RRset after RRset (for callers that build their own
    /// messages, such as a resolver answering from local zones).
    pub fn records(sets: &[Arc<RecordSet>]) -> Vec<Record> {
        sets.iter().flat_map(|set| set.records()).collect()
    }

    /// Not our name: REFUSED, not authoritative, EDE 20 "Not Authoritative" (as NSD and Knot).
    fn refused() -> Answer {
        Answer {
            response_code: ResponseCode::Refused,
            extended_error: Some(EDE_NOT_AUTHORITATIVE),
            ..Answer::default()
        }
    }

    /// A zone we are configured for whose file failed to load: SERVFAIL, not authoritative (NSD
    /// answers a configured zone without data so), EDE 24 "Invalid Data" (Knot: "Not loaded").
    fn zone_not_loaded() -> Answer {
        Answer {
            response_code: ResponseCode::ServFail,
            extended_error: Some(EDE_INVALID_DATA),
            ..Answer::default()
        }
    }

    fn add_answer(&mut self, served: &ServedSet) {
        self.answers.push(served.set.clone());
        self.add_additionals(&served.additional);
    }

    fn add_additionals(&mut self, sets: &[Arc<RecordSet>]) {
        for set in sets {
            let already = self
                .additionals
                .iter()
                .chain(self.answers.iter())
                .any(|known| Arc::ptr_eq(known, set));
            if !already {
                self.additionals.push(set.clone());
            }
        }
    }
}

/// Where the walk down the zone tree ended (RFC 1034 §4.3.2 step 3).
enum Position<'zone> {
    /// The name exists (possibly as an empty non-terminal).
    Exact(&'zone ZoneNode),
    /// The name is at or below a zone cut.
    Delegation(&'zone ZoneNode),
    /// The name is below a DNAME owner (RFC 6672 §2.3) of this many labels: substitute and follow.
    Dname(&'zone ZoneNode, usize),
    /// The name does not exist, but `*.<closest encloser>` (the name given) does (RFC 4592 §3.3.1).
    Wildcard(&'zone ZoneNode, LowerName),
    /// The name does not exist and no wildcard covers it.
    NoName,
}

/// Answers one question from our zones.
pub fn lookup(catalog: &Catalog, name: &Name, record_type: RecordType) -> Answer {
    lookup_with_dnssec(catalog, name, record_type, false)
}

/// `lookup` for a query with the DO bit `dnssec_ok` (RFC 3225): with it, answers from signed
/// zones carry the DNSSEC records RFC 4035 §3.1 asks for.
pub fn lookup_with_dnssec(
    catalog: &Catalog,
    name: &Name,
    record_type: RecordType,
    dnssec_ok: bool,
) -> Answer {
    // The one lowercasing of the query name: the zone search and the walk down the zone cut
    // their keys from it (`names::ancestor`).
    let mut current_lower = LowerName::new(name);
    let zone = match catalog.zone_for(&current_lower, record_type) {
        ZoneFor::Loaded(zone) => zone,
        ZoneFor::NotLoaded => return Answer::zone_not_loaded(),
        ZoneFor::NotOurs => return Answer::refused(),
    };
    let mut answer = Answer {
        authoritative: true,
        dnssec_ok,
        ..Answer::default()
    };
    let mut current_zone = zone;
    let mut answered_zone = zone;
    let mut left_our_zones = false;
    let mut current_name = name.clone();
    // Names answered so far; filled only when a CNAME is followed (most answers have none).
    let mut visited: Vec<LowerName> = Vec::new();
    // RFC 1034 §4.3.2 step 3a: a CNAME restarts the search at its target; bounded by
    // MAX_CNAME_CHAIN and cut at the first repeat (a loop).
    for _ in 0..=MAX_CNAME_CHAIN {
        answered_zone = current_zone;
        let next = answer_in_zone(
            &mut answer,
            current_zone,
            &current_name,
            &current_lower,
            record_type,
        );
        let Some(target) = next else { break };
        visited.push(std::mem::replace(
            &mut current_lower,
            LowerName::new(&target),
        ));
        if visited.contains(&current_lower) {
            break;
        }
        // Follow only inside our own zones; elsewhere the client's resolver continues.
        match catalog.zone_for(&current_lower, record_type) {
            ZoneFor::Loaded(next_zone) => {
                current_zone = next_zone;
                current_name = target;
            }
            // A zone without data ends the chain as one we do not serve (NSD sets SERVFAIL only
            // for the query name itself).
            ZoneFor::NotLoaded | ZoneFor::NotOurs => {
                // The chain leaves our zones: the answer is partial, so (as NSD) no NS is added.
                left_our_zones = true;
                break;
            }
        }
    }
    // A DS answer comes from the parent side of a cut; NSD adds no NS there, nor do we. Nor to
    // DNSKEY answers (NSD: the key set is asked for by validators, which need no NS).
    if !matches!(record_type, RecordType::DS | RecordType::DNSKEY) && !left_our_zones {
        add_zone_nameservers(&mut answer, answered_zone);
    }
    answer
}

/// RFC 1034 §4.3.2 step 6 (optional): a positive answer also carries the zone's NS RRset in
/// authority and their addresses in additional. NSD and BIND do this by default; we follow so
/// that resolvers learn the servers and our answers match NSD's.
fn add_zone_nameservers(answer: &mut Answer, zone: &Zone) {
    // A DO=1 wildcard answer already holds its proof (NSEC/NSEC3); NSD adds the NS after it.
    let only_proofs = answer
        .authorities
        .iter()
        .all(|set| matches!(set.record_type, RecordType::NSEC | RecordType::NSEC3));
    if answer.response_code != ResponseCode::NoError || answer.answers.is_empty() || !only_proofs {
        return;
    }
    let Some(ns) = zone.apex().and_then(|apex| apex.find(RecordType::NS)) else {
        return;
    };
    if answer.answers.iter().any(|set| Arc::ptr_eq(set, &ns.set)) {
        return;
    }
    // The NS is optional, but a proof before it is not: then losing the section sets TC.
    answer.authority_is_optional = answer.authorities.is_empty();
    answer.authorities.push(ns.set.clone());
    answer.add_additionals(&ns.additional);
}

/// Answers `name` (`lower` is it lowercased) in `zone` into `answer`; returns the CNAME target
/// to follow, if any.
fn answer_in_zone(
    answer: &mut Answer,
    zone: &Zone,
    name: &Name,
    lower: &LowerName,
    record_type: RecordType,
) -> Option<Name> {
    match find_position(zone, lower, record_type) {
        Position::Exact(node) => answer_exact(answer, zone, node, name, record_type),
        Position::Delegation(cut) => {
            answer_delegation(answer, zone, cut);
            None
        }
        Position::Wildcard(source, wildcard) => {
            let wildcard = Name::from(wildcard);
            answer_wildcard(answer, zone, source, name, &wildcard, record_type)
        }
        Position::Dname(node, owner_labels) => {
            answer_dname(answer, node, owner_labels, name, record_type)
        }
        Position::NoName => {
            answer_nxdomain(answer, zone, name);
            None
        }
    }
}

/// Walks from the label below the apex down to `name`, stopping at a zone cut or at the first
/// missing name (RFC 1034 §4.3.2 step 3; RFC 4592 §3.3.1 for the closest encloser).
fn find_position<'zone>(
    zone: &'zone Zone,
    lower: &LowerName,
    record_type: RecordType,
) -> Position<'zone> {
    let apex_labels = usize::from(zone.origin.num_labels());
    let name_labels = usize::from(lower.num_labels());
    // A DNAME at the apex (RFC 6672 §2.3 allows it) redirects every name below it.
    if name_labels > apex_labels {
        if let Some(apex) = zone.apex().filter(|apex| apex.has_dname) {
            return Position::Dname(apex, apex_labels);
        }
    }
    let mut found = None;
    for labels in apex_labels + 1..=name_labels {
        let ancestor_key = ancestor(lower, labels);
        match zone.node_lower(&ancestor_key) {
            Some(node) if node.is_delegation => {
                // DS at the cut is parent-side data (RFC 4035 §3.1.4.1): answered here.
                if labels == name_labels && record_type == RecordType::DS {
                    return Position::Exact(node);
                }
                return Position::Delegation(node);
            }
            Some(node) if labels < name_labels && node.has_dname => {
                return Position::Dname(node, labels);
            }
            Some(node) => found = Some(node),
            None => {
                // The first missing name, its first label replaced: `*.<closest encloser>`.
                let wildcard = ancestor_key.into_wildcard();
                return match zone.node_lower(&wildcard) {
                    Some(node) => Position::Wildcard(node, wildcard),
                    None => Position::NoName,
                };
            }
        }
    }
    // The last ancestor was the name itself, unless the name is the apex (or above it).
    match found
        .filter(|_| name_labels > apex_labels)
        .or_else(|| zone.node_lower(lower))
    {
        Some(node) => Position::Exact(node),
        None => Position::NoName,
    }
}

/// The name exists: its data, a CNAME to follow, or NODATA.
fn answer_exact(
    answer: &mut Answer,
    zone: &Zone,
    node: &ZoneNode,
    name: &Name,
    record_type: RecordType,
) -> Option<Name> {
    // ANY matches the CNAME itself (RFC 1034 §3.6.2), so it is answered, not followed. NSEC
    // lives beside a CNAME in a signed zone (RFC 4035 §2.5) and is answered there, as NSD does.
    let beside_cname = record_type == RecordType::NSEC && node.find(record_type).is_some();
    if record_type != RecordType::CNAME && record_type != RecordType::ANY && !beside_cname {
        if let Some(cname) = node.find(RecordType::CNAME) {
            return answer_cname(answer, cname);
        }
    }
    if record_type == RecordType::ANY {
        return answer_any(answer, zone, node, name);
    }
    match node.find(record_type) {
        Some(served) => answer.add_answer(served),
        None => {
            answer_nodata(answer, zone);
            proofs::prove_nodata(answer, zone, name);
        }
    }
    None
}

/// RFC 1034 §4.3.2 step 3a: the CNAME goes in the answer and the search restarts at its target.
fn answer_cname(answer: &mut Answer, cname: &ServedSet) -> Option<Name> {
    answer.add_answer(cname);
    cname.set.rdatas().next().and_then(|data| match data {
        RData::CNAME(target) => Some(target.0),
        _ => None,
    })
}

/// RFC 8482 §4.2: a minimal ANY answer, one RRset. We pick the RRset with the lowest type code
/// (stable, and at the apex that is NS rather than the large SOA+everything).
fn answer_any(answer: &mut Answer, zone: &Zone, node: &ZoneNode, name: &Name) -> Option<Name> {
    match node.sets.first() {
        Some(served) => answer.add_answer(served),
        None => {
            answer_nodata(answer, zone);
            proofs::prove_nodata(answer, zone, name);
        }
    }
    None
}

/// RFC 6672 §3.1: the DNAME, then a CNAME synthesized from it (TTL of the DNAME) whose target
/// is the query name with the owner replaced by the DNAME target; then follow that CNAME.
/// A result longer than 255 octets is YXDOMAIN (RFC 6672 §2.2). A CNAME question is answered by
/// the synthesized CNAME itself (RFC 1034 §3.6.2), so it is not followed: NSD and Knot stop there.
fn answer_dname(
    answer: &mut Answer,
    node: &ZoneNode,
    owner_labels: usize,
    name: &Name,
    record_type: RecordType,
) -> Option<Name> {
    let dname = node.find(RecordType::DNAME)?;
    let target = node.dname_target()?;
    answer.add_answer(dname);
    let keep = usize::from(name.num_labels()).saturating_sub(owner_labels);
    let substituted =
        Name::from_labels(name.iter().take(keep)).and_then(|prefix| prefix.append_domain(&target));
    let Ok(substituted) = substituted else {
        answer.response_code = ResponseCode::YXDomain;
        return None;
    };
    let ttl = dname.set.ttl();
    let cname = Record::from_rdata(name.clone(), ttl, RData::CNAME(CNAME(substituted.clone())));
    // A name that fits a message always encodes; were it not to, the CNAME is left out.
    if let Ok(synthesized) = RecordSet::from_records(name, RecordType::CNAME, &[cname]) {
        answer.answers.push(Arc::new(synthesized));
    }
    (record_type != RecordType::CNAME).then_some(substituted)
}

/// RFC 1034 §4.3.2 step 3b: a referral. Not authoritative; the cut's NS in authority and glue
/// in additional.
fn answer_delegation(answer: &mut Answer, zone: &Zone, cut: &ZoneNode) {
    let Some(ns) = cut.find(RecordType::NS) else {
        return;
    };
    if answer.answers.is_empty() {
        answer.authoritative = false;
    }
    answer.is_referral = true;
    answer.authorities.push(ns.set.clone());
    proofs::prove_delegation(answer, zone, cut);
    answer.add_additionals(&ns.additional);
}

/// RFC 2308 §2.2: NOERROR, no data, the SOA in authority for negative caching.
fn answer_nodata(answer: &mut Answer, zone: &Zone) {
    answer.response_code = ResponseCode::NoError;
    answer.authorities.push(zone.negative_soa.clone());
}

/// RFC 2308 §2.1: NXDOMAIN with the SOA in authority. After a CNAME the code still describes
/// the last name in the chain (RFC 6604 §2).
fn answer_nxdomain(answer: &mut Answer, zone: &Zone, name: &Name) {
    answer.response_code = ResponseCode::NXDomain;
    answer.authorities.push(zone.negative_soa.clone());
    proofs::prove_nxdomain(answer, zone, name);
}

/// RFC 4592 §3.4: synthesize from the wildcard with the query name as owner.
fn answer_wildcard(
    answer: &mut Answer,
    zone: &Zone,
    source: &ZoneNode,
    name: &Name,
    wildcard: &Name,
    record_type: RecordType,
) -> Option<Name> {
    let synthesize = |served: &ServedSet| ServedSet {
        set: Arc::new(served.set.with_owner(name)),
        additional: served.additional.clone(),
    };
    if record_type != RecordType::CNAME && record_type != RecordType::ANY {
        if let Some(cname) = source.find(RecordType::CNAME) {
            let target = answer_cname(answer, &synthesize(cname));
            proofs::prove_wildcard_answer(answer, zone, name, wildcard);
            return target;
        }
    }
    let chosen = if record_type == RecordType::ANY {
        source.sets.first()
    } else {
        source.find(record_type)
    };
    match chosen {
        Some(served) => {
            answer.add_answer(&synthesize(served));
            proofs::prove_wildcard_answer(answer, zone, name, wildcard);
        }
        None => {
            answer_nodata(answer, zone);
            proofs::prove_wildcard_nodata(answer, zone, name, wildcard);
        }
    }
    None
}
