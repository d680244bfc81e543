//! The optional sections of a positive answer, from the cache: with `minimal-responses` off (BIND's
//! default shape), or beside a wildcard's NSEC/NSEC3 proof, those of the reply that gave the
//! answer (`kept_sections.rs`), else the zone's NS set and its servers' addresses; addresses beside
//! an NS answer always.

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::cache::{CachedSet, Freshness, StoredSections, Trust};
use crate::resolver::Resolver;

impl Resolver {
    /// Adds the authority and additional records `response` may carry beside its answer. Unbound
    /// `msgencode.c` (`positive_answer`): a minimal positive answer has neither section, except
    /// that an NS answer keeps the addresses of its servers (priming needs them) and that an
    /// answer beside an NSEC/NSEC3 proof (a wildcard expansion) is full, the proofs of a
    /// chain's earlier links first, and has nothing more when no reply's sections are kept
    /// (Unbound's message put together from the cache has only the proofs). A full one
    /// repeats the sections of the reply that gave the answer, as the RRset cache now holds
    /// them (Unbound's message cache); `since` (the client query's start) lets the reply just
    /// stored be read even at TTL 0. With none kept, it has the zone's NS set in authority and
    /// the addresses of the NS targets in additional. Only what the cache holds is added
    /// (scrubbed data, TTLs counted down); nothing is fetched.
    /// A `stale` answer (RFC 8767) takes expired sets too, shown with serve-expired-reply-ttl,
    /// as Unbound repeats the whole stored message. Beside a `secure` answer only secure sets
    /// are added (Unbound `val_check_nonsecure`).
    pub(crate) fn add_optional_sections(
        &self,
        response: &mut Message,
        stale: bool,
        secure: bool,
        since: Option<std::time::Duration>,
    ) {
        let Some(question) = response.queries.first() else {
            return;
        };
        let qtype = question.query_type();
        let answered = response.metadata.response_code == ResponseCode::NoError
            && response
                .answers
                .iter()
                .any(|record| record.record_type() == qtype || qtype == RecordType::ANY);
        if !answered {
            if self.config.minimal_responses {
                trim_minimal_negative(response);
            } else {
                self.add_negative_additionals(response, stale, secure, since);
            }
            return;
        }
        // Unbound `positive_answer`: an answer beside an NSEC/NSEC3 proof (a wildcard expansion)
        // is not one minimal responses may cut, so its sections go whole, proofs first.
        let proved = has_denial_records(&response.authorities);
        if !self.keeps_sections(qtype) && qtype != RecordType::NS && !proved {
            return;
        }
        // RFC 4035 §3.2.1: a DO client gets the RRSIGs of what is added, as of the answer.
        let with_signatures = response
            .edns
            .as_ref()
            .is_some_and(|edns| edns.flags().dnssec_ok);
        let now = self.clock.now();
        let freshness = if stale {
            Freshness::AllowStale
        } else {
            Freshness::Fresh
        };
        if self.keeps_sections(qtype) || proved {
            let owner = response
                .answers
                .last()
                .map(|record| record.name.clone())
                .unwrap_or_else(|| question.name().clone());
            let kept = self
                .cache
                .sections(&owner, qtype, DNSClass::IN, now, freshness, since);
            if let StoredSections::Held {
                authorities,
                additionals,
            } = kept
            {
                let (authorities, additionals) = self.current_sections(
                    &authorities,
                    &additionals,
                    secure,
                    with_signatures,
                    now,
                    freshness,
                );
                // The proofs of earlier links of a chain lead, as Unbound prepends them
                // (`iter_prepend`), then the final reply's sections without repeats.
                let proofs = std::mem::take(&mut response.authorities);
                response.authorities = merged_section(proofs, authorities);
                response.additionals = additionals;
                self.finish_sections(response, stale);
                return;
            }
        }
        // With no reply's sections kept (an answer the cache put together), a proved answer has
        // its proofs only, as Unbound's message built from the cache has nothing else
        // (val_nsec3_cname_ds).
        if proved || (self.config.minimal_responses && qtype != RecordType::NS) {
            return;
        }
        if !self.config.minimal_responses {
            let owner = response
                .answers
                .last()
                .map(|record| record.name.clone())
                .unwrap_or_else(|| question.name().clone());
            let zone_ns = self.closest_ns_set(&owner, now, freshness);
            // The zone's NS set is not repeated when it is the answer itself.
            let in_answer = zone_ns.records.first().is_some_and(|first| {
                response.answers.iter().any(|record| {
                    record.record_type() == RecordType::NS && record.name == first.name
                })
            });
            if secure && !zone_ns.records.is_empty() && !zone_ns.validation.is_secure() {
                // Unbound `val_check_nonsecure`: beside a secure answer, an NS set that is not
                // secure makes the response minimal (no authority, no additional).
                return;
            }
            if !in_answer {
                response.authorities = zone_ns.records;
                if with_signatures {
                    response.authorities.extend(zone_ns.signatures);
                }
            }
        }
        // Addresses of name servers inside the zone that answered only: Unbound answers from
        // the scrubbed reply, which holds no other (harden-glue drops out-of-zone additional
        // data). A forwarder's zone is its forward zone (all of the namespace for `.`).
        let forward_suffix = self
            .forward_zones
            .iter()
            .find(|zone| zone.suffix.zone_of(question.name()))
            .map(|zone| zone.suffix.clone());
        let targets: Vec<Name> = response
            .answers
            .iter()
            .chain(&response.authorities)
            .filter_map(|record| match &record.data {
                RData::NS(target)
                    if record.name.zone_of(&target.0)
                        || forward_suffix
                            .as_ref()
                            .is_some_and(|suffix| suffix.zone_of(&target.0)) =>
                {
                    Some(target.0.clone())
                }
                _ => None,
            })
            .collect();
        response.additionals = self.addresses_of(&targets, secure, with_signatures, now, freshness);
        self.finish_sections(response, stale);
    }

    /// Whether answers to `qtype` repeat the sections kept with them: with minimal responses
    /// off, and for ANY always (Unbound's minimal responses leave an ANY answer whole: no RRset
    /// of its answer has the question's type, `positive_answer` in `msgencode.c`).
    pub(crate) fn keeps_sections(&self, qtype: RecordType) -> bool {
        !self.config.minimal_responses || qtype == RecordType::ANY
    }

    /// With minimal responses off, a negative answer (no answer records) repeats the additional
    /// section its reply came with, as Unbound repeats the whole cached message (beside a
    /// `secure` one, secure RRsets only).
    fn add_negative_additionals(
        &self,
        response: &mut Message,
        stale: bool,
        secure: bool,
        since: Option<std::time::Duration>,
    ) {
        let Some(question) = response.queries.first() else {
            return;
        };
        let negative = matches!(
            response.metadata.response_code,
            ResponseCode::NoError | ResponseCode::NXDomain
        ) && response.answers.is_empty();
        if self.config.minimal_responses || !negative || !response.additionals.is_empty() {
            return;
        }
        let now = self.clock.now();
        let freshness = if stale {
            Freshness::AllowStale
        } else {
            Freshness::Fresh
        };
        let kept = self.cache.sections(
            question.name(),
            question.query_type(),
            DNSClass::IN,
            now,
            freshness,
            since,
        );
        if let StoredSections::Held { additionals, .. } = kept {
            let with_signatures = response
                .edns
                .as_ref()
                .is_some_and(|edns| edns.flags().dnssec_ok);
            let (_, additionals) =
                self.current_sections(&[], &additionals, secure, with_signatures, now, freshness);
            response.additionals = additionals;
            self.finish_sections(response, stale);
        }
    }

    /// Leaves out what the answer section holds already and, for a `stale` answer (RFC 8767),
    /// shows expired records with serve-expired-reply-ttl.
    fn finish_sections(&self, response: &mut Message, stale: bool) {
        // An RRset already in the answer is not repeated (Unbound's message encoding: a name
        // server's address that is itself the answer; val_stub_noroot).
        let key = |record: &Record| {
            let covered =
                crate::dnssec::signature::rrsig_of(record).map(|rrsig| rrsig.input().type_covered);
            (record.name.clone(), covered.unwrap_or(record.record_type()))
        };
        let answered: Vec<(Name, RecordType)> = response.answers.iter().map(key).collect();
        response
            .authorities
            .retain(|record| !answered.contains(&key(record)));
        response
            .additionals
            .retain(|record| !answered.contains(&key(record)));
        if stale {
            let reply_ttl = self.config.serve_expired.reply_ttl;
            for record in response
                .authorities
                .iter_mut()
                .chain(response.additionals.iter_mut())
                .filter(|record| record.ttl == 0)
            {
                record.ttl = reply_ttl;
            }
        }
    }

    /// The cached addresses of `targets` (name servers), their RRSIGs `with_signatures`. Unbound
    /// `val-clean-additional`: beside a `secure` answer, no address that is not secure itself
    /// (glue of an unsigned child, unsigned data).
    pub(crate) fn addresses_of(
        &self,
        targets: &[Name],
        secure: bool,
        with_signatures: bool,
        now: std::time::Duration,
        freshness: Freshness,
    ) -> Vec<Record> {
        let mut additionals: Vec<Record> = Vec::new();
        for target in targets {
            for family in [RecordType::A, RecordType::AAAA] {
                let Some(set) = self.cache.get_set_with(
                    target,
                    family,
                    DNSClass::IN,
                    Trust::Glue,
                    now,
                    freshness,
                ) else {
                    continue;
                };
                if secure && !set.validation.is_secure() {
                    continue;
                }
                let signatures = if with_signatures {
                    set.signatures
                } else {
                    Vec::new()
                };
                for record in set.records.into_iter().chain(signatures) {
                    if !additionals.contains(&record) {
                        additionals.push(record);
                    }
                }
            }
        }
        additionals
    }

    /// The cached NS set of the closest zone holding `name` (the name itself first), with its
    /// RRSIGs and state; empty when none is cached.
    fn closest_ns_set(
        &self,
        name: &Name,
        now: std::time::Duration,
        freshness: Freshness,
    ) -> CachedSet {
        let mut candidate = name.clone();
        loop {
            if let Some(set) = self.cache.get_set_with(
                &candidate,
                RecordType::NS,
                DNSClass::IN,
                Trust::Glue,
                now,
                freshness,
            ) {
                return set;
            }
            if candidate.is_root() {
                return CachedSet {
                    records: Vec::new(),
                    signatures: Vec::new(),
                    validation: crate::cache::Validation::UNCHECKED,
                };
            }
            candidate = candidate.base_name();
        }
    }
}

/// Whether `records` hold an NSEC or NSEC3 RRset (or its RRSIGs): beside an answer, the proof
/// of a wildcard expansion (RFC 4035 §3.1.3.3).
pub(crate) fn has_denial_records(records: &[Record]) -> bool {
    records.iter().any(|record| {
        let covered = crate::dnssec::signature::rrsig_of(record)
            .map_or(record.record_type(), |rrsig| rrsig.input().type_covered);
        matches!(covered, RecordType::NSEC | RecordType::NSEC3)
    })
}

/// `first`, then each record of `then` not in it already (TTLs aside: the cache's copy of a
/// proof may have counted down differently from the one the answer carries).
fn merged_section(first: Vec<Record>, then: Vec<Record>) -> Vec<Record> {
    let mut section = first;
    for record in then {
        let repeated = section.iter().any(|held| {
            held.name == record.name
                && held.dns_class == record.dns_class
                && held.data == record.data
        });
        if !repeated {
            section.push(record);
        }
    }
    section
}

/// Unbound `msgencode.c` (`negative_answer`): a minimal negative answer (NXDOMAIN, or NODATA
/// with a SOA) carries its SOA and denial proofs only: the zone's NS set and any additional
/// records the upstream reply had beside them are left out. A referral (NS without SOA) is kept.
pub(crate) fn trim_minimal_negative(response: &mut Message) {
    let rcode = response.metadata.response_code;
    let has_soa = response
        .authorities
        .iter()
        .any(|record| record.record_type() == RecordType::SOA);
    let negative = rcode == ResponseCode::NXDomain
        || (rcode == ResponseCode::NoError && response.answers.is_empty() && has_soa);
    if !negative {
        return;
    }
    let is_ns = |record: &Record| {
        record.record_type() == RecordType::NS
            || crate::dnssec::signature::rrsig_of(record)
                .is_some_and(|rrsig| rrsig.input().type_covered == RecordType::NS)
    };
    response.authorities.retain(|record| !is_ns(record));
    response.additionals.clear();
}
