//! Writes scrubbed replies into the cache: RRsets at their RFC 2181 §5.4.1 rank, the parent's
//! referral data apart, negative answers per RFC 2308. Only ever given scrubber output.

use std::time::Duration;

use hickory_proto::op::Message;
use hickory_proto::rr::{Name, Record, RecordType};

use crate::cache::{ReplyStates, StoreTime, Trust, Validation};
use crate::dnssec::signature::signatures_for;
use crate::resolver::Resolver;
use crate::scrub::deferred_stores::DeferredStore;

impl Resolver {
    /// Caches a walk's final reply later (`deferred_stores.rs`): now if too many wait. `time`
    /// says when it arrived and how the cache's copies are judged.
    pub(crate) fn defer_store(
        &self,
        reply: Message,
        zone: Name,
        states: ReplyStates,
        time: StoreTime,
    ) {
        let store = DeferredStore {
            reply,
            zone,
            time,
            states,
        };
        if let Some(now) = self.deferred.push(store) {
            self.store_answer_records(&now);
        }
    }

    /// Caches the final replies waiting, if any: the server calls this once a client has its
    /// answer, and every cache read calls it first.
    pub fn store_deferred(&self) {
        for waiting in self.deferred.take_all() {
            // Stored as of its arrival: its TTLs count down from then, not from now.
            self.store_answer_records(&waiting);
        }
    }

    /// Keeps the referral's NS set and in-zone glue as the parent gave them.
    pub(crate) fn store_parent_side(&self, reply: &Message, child_zone: &Name, parent_zone: &Name) {
        let now = self.clock.now();
        let ns_set: Vec<&Record> = reply
            .authorities
            .iter()
            .filter(|record| record.record_type() == RecordType::NS && record.name == *child_zone)
            .collect();
        self.cache.insert_parent_side(&ns_set, now);
        for rrset in group_rrsets(&reply.additionals) {
            if rrset
                .first()
                .is_some_and(|record| parent_zone.zone_of(&record.name))
            {
                self.cache.insert_parent_side(&rrset, now);
            }
        }
    }

    /// The authority section a fresh negative answer is passed on with: the scrubbed SOA and the
    /// zone's NS set, as received (Unbound passes them on the same way); TTLs clamped.
    pub(crate) fn negative_authority(&self, reply: &Message, zone: &Name) -> Vec<Record> {
        let records: Vec<Record> = reply
            .authorities
            .iter()
            .filter(|record| {
                zone.zone_of(&record.name)
                    && matches!(
                        record.record_type(),
                        RecordType::SOA
                            | RecordType::NS
                            | RecordType::NSEC
                            | RecordType::NSEC3
                            | RecordType::RRSIG
                    )
            })
            .cloned()
            .collect();
        // The SOA is shown with the negative TTL (RFC 2308 §5: min of its TTL and MINIMUM,
        // capped at max_negative_ttl), as the cached copy will be.
        let negative_ttl = self.cache.negative_ttl(&records);
        let mut records = self.clamped(records);
        for record in &mut records {
            if record.record_type() == RecordType::SOA {
                record.ttl = negative_ttl;
            }
        }
        records
    }

    /// The records with the operator's TTL bounds applied; with `serve-original-ttl` as the
    /// server gave them (Unbound ignores cache-min-ttl and cache-max-ttl then).
    pub(crate) fn clamped(&self, mut records: Vec<Record>) -> Vec<Record> {
        if self.config.serve_original_ttl {
            return records;
        }
        let max = self.config.max_ttl.max(self.config.min_ttl);
        for record in &mut records {
            record.ttl = record.ttl.clamp(self.config.min_ttl, max);
        }
        records
    }

    /// Caches a scrubbed reply's RRsets inside `zone`, each at its RFC 2181 §5.4.1 rank, not
    /// validated (referrals, priming), arrived now for a query begun at `query_started`.
    pub(crate) fn store_records(
        &self,
        reply: &Message,
        zone: &Name,
        priming: bool,
        referral: bool,
        query_started: Duration,
    ) {
        let time = StoreTime {
            query_started,
            ..StoreTime::at(self.clock.now())
        };
        self.store_records_at(reply, zone, priming, referral, None, time);
    }

    /// A final answer's records (neither priming nor referral) with the validator's states;
    /// a prefetch's (`time.leeway`) renew what expires within its leeway (a CNAME link
    /// refreshed as a final answer's RRsets are).
    pub(crate) fn store_validated_records(
        &self,
        reply: &Message,
        zone: &Name,
        states: &ReplyStates,
        time: StoreTime,
    ) {
        self.store_records_at(reply, zone, false, false, Some(states), time);
    }

    /// A final answer's records (neither priming nor referral), as of its arrival; its
    /// sections too where answers repeat them (`keeps_sections`).
    fn store_answer_records(&self, stored: &DeferredStore) {
        let DeferredStore {
            reply,
            zone,
            time,
            states,
        } = stored;
        self.store_records_at(reply, zone, false, false, Some(states), *time);
        if self.repeats_sections_of(reply) {
            self.store_sections(reply, zone, time.received);
        }
    }

    /// Whether answers from `reply` repeat its authority and additional sections: where
    /// answers keep their sections (`keeps_sections`), and for an answer beside an NSEC/NSEC3
    /// proof (a wildcard expansion), which minimal responses leave whole (Unbound
    /// `positive_answer`).
    pub(crate) fn repeats_sections_of(&self, reply: &Message) -> bool {
        let Some(question) = reply.queries.first() else {
            return false;
        };
        self.keeps_sections(question.query_type())
            || (!reply.answers.is_empty()
                && crate::response_sections::has_denial_records(&reply.authorities))
    }

    /// The state of data the validator has not looked at: unchecked where an anchor covers
    /// it (never an answer while validating), insecure where none does or validation is off.
    pub(crate) fn unvalidated_state(&self, owner: &Name) -> Validation {
        let dnssec = &self.config.dnssec;
        if dnssec.enabled
            && dnssec.anchors.closest(owner).is_some()
            && !dnssec.anchors.is_negative(owner)
        {
            Validation::UNCHECKED
        } else {
            Validation::INSECURE
        }
    }

    /// `store_records` as `time` says; RRsets of the answer section take `states` when given.
    fn store_records_at(
        &self,
        reply: &Message,
        zone: &Name,
        priming: bool,
        referral: bool,
        states: Option<&ReplyStates>,
        time: StoreTime,
    ) {
        let now = time.received;
        let authoritative = reply.metadata.authoritative || priming;
        let answer_trust = if authoritative {
            Trust::AnswerAuthoritative
        } else {
            Trust::AnswerNonAuthoritative
        };
        let authority_trust = if reply.metadata.authoritative {
            Trust::AuthorityAuthoritative
        } else {
            Trust::Glue
        };
        let additional_trust = if reply.metadata.authoritative {
            Trust::AdditionalAuthoritative
        } else {
            Trust::Glue
        };
        // The authority and additional sections of a non-authoritative answer are hearsay that
        // could replace a good delegation (a spoofed NS set riding on an answer); only a referral
        // or an authoritative reply may update delegations. With minimal-responses off they are
        // kept all the same (as Unbound stores every scrubbed section, at its lowest ranks):
        // the answers repeat them (`response_sections.rs`). So are an ANY answer's and a
        // wildcard answer's (with its proof), which minimal responses leave whole
        // (`repeats_sections_of`): an ANY answer's MX/NS targets' addresses. A
        // forwarder's reply (asked with RD, for a forward zone) is kept too: no delegation inside
        // a forward zone is followed, and the forwarder is the zone's only source (Unbound stores
        // it whole; RD=0 clients are referred from it, `cache_referral.rs`).
        let sections_repeated = self.repeats_sections_of(reply);
        let forwarded = reply.metadata.recursion_desired
            && self
                .forward_zones
                .iter()
                .any(|forward| forward.suffix == *zone);
        let delegation_data_trusted =
            referral || reply.metadata.authoritative || priming || forwarded || sections_repeated;
        let sections: &[(&Vec<Record>, Trust)] = if delegation_data_trusted {
            &[
                (&reply.answers, answer_trust),
                (&reply.authorities, authority_trust),
                (&reply.additionals, additional_trust),
            ]
        } else {
            &[(&reply.answers, answer_trust)]
        };
        for (index, &(records, trust)) in sections.iter().enumerate() {
            let answer_section = index == 0;
            for rrset in group_rrsets(records) {
                let Some(first) = rrset.first() else { continue };
                // RRSIGs are kept beside the RRset they cover, not as an RRset of their own.
                if matches!(first.record_type(), RecordType::SOA | RecordType::RRSIG)
                    || !zone.zone_of(&first.name)
                {
                    continue;
                }
                let checked = states.and_then(|states| states.of(&first.name, first.record_type()));
                let (validation, ttl_cap) = match (checked, states) {
                    (Some(checked), _) => checked,
                    (None, Some(states)) if answer_section => (states.answer, None),
                    _ => (self.unvalidated_state(&first.name), None),
                };
                let signatures = signatures_for(records, &first.name, first.record_type());
                // RFC 4035 §3.1.3.3: a validated wildcard expansion keeps the NSEC/NSEC3 proof
                // of no closer name beside it, for DO clients answered from the cache.
                let proof = (answer_section
                    && states.is_some()
                    && crate::dnssec::denial::is_wildcard_expansion(&first.name, &signatures))
                .then(|| crate::dnssec::denial::wildcard_proof(records, &reply.authorities));
                // The expansion is not an answer without its proof, so it lives no longer than
                // the proof's records (Unbound: a message lives as long as its shortest RRset);
                // a proof of TTL 0 means the next DO client is answered by a fresh walk.
                let proof_ttl = proof
                    .as_ref()
                    .and_then(|proof| proof.iter().map(|record| record.ttl).min());
                let ttl_cap = match (ttl_cap, proof_ttl) {
                    (Some(cap), Some(proof_ttl)) => Some(cap.min(proof_ttl)),
                    (cap, proof_ttl) => cap.or(proof_ttl),
                };
                let stored =
                    self.cache
                        .insert_stored(&rrset, &signatures, trust, validation, ttl_cap, time);
                if let Some(proof) = proof.filter(|_| stored) {
                    self.cache.insert_wildcard_proof(
                        &first.name,
                        first.record_type(),
                        first.dns_class,
                        &proof,
                        now,
                    );
                }
            }
        }
    }
}

/// Splits records into RRsets (same owner, type and class), keeping first-seen order. Borrows:
/// the reply outlives the grouping, so no record is copied.
pub(crate) fn group_rrsets(records: &[Record]) -> Vec<Vec<&Record>> {
    let mut groups: Vec<Vec<&Record>> = Vec::new();
    for record in records {
        let same = |group: &Vec<&Record>| {
            group.first().is_some_and(|first| {
                first.record_type() == record.record_type()
                    && first.dns_class == record.dns_class
                    && first.name == record.name
            })
        };
        match groups.iter_mut().find(|group| same(group)) {
            Some(group) => group.push(record),
            None => groups.push(vec![record]),
        }
    }
    groups
}
