//! The validator step after a walk (Unbound `validator/validator.c`): the chain of trust from the
//! closest anchor down to the zone that signed the reply, then every RRset and proof of the reply.
//!
//! ```text
//! walk_validated ─▶ walk_reply (final reply held) ─▶ validate_final
//!     per RRset: signer ─▶ zone_keys: key cache │ anchor ─▶ per label: DS (parent keys) ─▶ DNSKEY
//!     negative / wildcard: NSEC/NSEC3 RRsets verified, then the proof (nsec.rs, nsec3.rs)
//!  ─▶ not bogus: store_final (cache)   bogus: kept from the cache, SERVFAIL unless CD
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::cache::{NegativeAnswer, ReplyStates, RrsetState, StoreTime, Trust, Validation};
use crate::dnssec::denial::{DsDenial, Proof};
use crate::dnssec::keys::{ds_of, keys_from_anchor_keys, keys_from_ds, KeysCheck};
use crate::dnssec::security::{Reason, Verdict};
use crate::dnssec::signature::{
    rrsig_of, signatures_for, verify_rrset, CheckContext, RrsetCheck, Verified, ZoneKeys,
};
use crate::dnssec::{nsec, nsec3};
use crate::iterate::budget::Budget;
use crate::iterate::states::{FinalReply, WalkResult};
use crate::limits::{BOGUS_TTL, MAX_CHAIN_DEPTH, MAX_VALIDATION_RESTARTS};
use crate::resolver::Resolver;
use crate::scrub::classify::chain_end;

/// How long a proved-insecure zone is remembered, in seconds, when no proof's TTL says (an
/// unsupported algorithm, a negative trust anchor): a bound like Unbound's key cache default.
const INSECURE_KEY_TTL: u64 = 900;

/// What the chain of trust says about one zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyState {
    /// The zone's trusted keys (for a name that is no zone cut, the enclosing zone's).
    Secure(ZoneKeys),
    Insecure,
    Bogus(Reason, Name),
}

/// Unbound's key cache: the chain's result per zone, with its expiry on the resolver clock.
#[derive(Default)]
pub(crate) struct KeyCache {
    entries: Mutex<HashMap<Name, (KeyState, Duration)>>,
}

impl KeyCache {
    fn get(&self, name: &Name, now: Duration) -> Option<KeyState> {
        let entries = self.entries.lock().ok()?;
        let (state, expires) = entries.get(name)?;
        (*expires > now).then(|| state.clone())
    }

    fn put(&self, name: &Name, state: &KeyState, ttl: u64, now: Duration) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= crate::limits::INFRA_MAX_ENTRIES {
                entries.retain(|_, (_, expires)| *expires > now);
            }
            entries.insert(
                name.clone(),
                (state.clone(), now + Duration::from_secs(ttl)),
            );
        }
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    /// unbound-control `flush_bogus`: forgets the zones whose chain of trust was bogus, so the
    /// next query builds it again. Returns how many went.
    pub(crate) fn remove_bogus(&self) -> usize {
        let Ok(mut entries) = self.entries.lock() else {
            return 0;
        };
        let before = entries.len();
        entries.retain(|_, (state, _)| !matches!(state, KeyState::Bogus(..)));
        before - entries.len()
    }
}

/// RRsets of `records` other than RRSIGs, grouped by owner and type, first-seen order.
fn rrsets(records: &[Record]) -> Vec<Vec<Record>> {
    let mut groups: Vec<Vec<Record>> = Vec::new();
    for record in records {
        if record.record_type() == RecordType::RRSIG {
            continue;
        }
        match groups.iter_mut().find(|group| {
            group.first().is_some_and(|first| {
                first.name == record.name && first.record_type() == record.record_type()
            })
        }) {
            Some(group) => group.push(record.clone()),
            None => groups.push(vec![record.clone()]),
        }
    }
    groups
}

impl Resolver {
    /// Whether the key cache holds an unexpired chain-of-trust result for `zone`.
    pub(crate) fn key_cache_holds(&self, zone: &Name) -> bool {
        self.key_cache.get(zone, self.clock.now()).is_some()
    }

    /// Seconds since the UNIX epoch for signature windows: `val-override-date` plus the time
    /// the resolver clock has run, or the system time.
    pub(crate) fn validation_now(&self) -> u32 {
        let elapsed = u32::try_from(self.clock.now().as_secs()).unwrap_or(u32::MAX);
        match self.config.dnssec.date_override {
            Some(date) => date.wrapping_add(elapsed),
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_secs() as u32),
        }
    }

    pub(crate) fn check_context<'a>(&'a self, budget: &'a Budget) -> CheckContext<'a> {
        CheckContext {
            now: self.validation_now(),
            allowance: &budget.signature_checks,
            switches: self.config.dnssec.test_switches,
            verified: Some(&self.verified_signatures),
        }
    }

    /// A walk, then the validator on its final reply; the reply is cached unless bogus.
    /// The third part is the NSEC/NSEC3 proof (with RRSIGs) of a wildcard expansion in an
    /// answer (RFC 4035 §3.1.3.3), or every NSEC/NSEC3 of a CNAME link's reply, for the
    /// authority section of a DO client's response.
    /// `leeway` is a prefetch's (`Resolver::refresh`), zero otherwise.
    pub(crate) async fn walk_validated(
        &self,
        qname: Name,
        qtype: RecordType,
        budget: &Budget,
        depth: u8,
        ancestors: Vec<(Name, RecordType)>,
        leeway: Duration,
    ) -> (WalkResult, Verdict, Vec<Record>) {
        // Read once the final reply is in: its TTLs count from then.
        let store_time = || StoreTime {
            query_started: budget.started(),
            leeway,
            ..StoreTime::at(self.clock.now())
        };
        let proof_of = |result: &WalkResult, final_reply: &FinalReply| match result {
            WalkResult::Answer(_) => crate::dnssec::denial::wildcard_proof(
                &final_reply.reply.answers,
                &final_reply.reply.authorities,
            ),
            WalkResult::CName { .. } => crate::dnssec::denial::cname_link_proof(
                &final_reply.reply.answers,
                &final_reply.reply.authorities,
            ),
            _ => Vec::new(),
        };
        if !self.config.dnssec.enabled {
            // Not validating, a DO client still gets a wildcard expansion's proof as the
            // server sent it (RFC 4035 §3.2.1: the RRSIGs and NSEC/NSEC3 records, unchecked).
            let (result, final_reply) = self
                .walk_reply(qname.clone(), qtype, budget, depth, ancestors, true, leeway)
                .await;
            let Some(final_reply) = final_reply else {
                return (result, Verdict::insecure(), Vec::new());
            };
            let proof = proof_of(&result, &final_reply);
            let states = ReplyStates::all(self.unvalidated_state(&qname));
            self.store_final(&result, final_reply, states, store_time());
            return (result, Verdict::insecure(), proof);
        }
        // Unbound's restart: a bogus reply is asked again of another server of the zone.
        let mut avoid: Vec<SocketAddr> = Vec::new();
        let mut bogus: Option<(WalkResult, Verdict, FinalReply, ReplyStates)> = None;
        for _ in 0..=MAX_VALIDATION_RESTARTS {
            let (result, final_reply) = self
                .walk_reply_avoiding(
                    qname.clone(),
                    qtype,
                    budget,
                    depth,
                    ancestors.clone(),
                    true,
                    avoid.clone(),
                    leeway,
                )
                .await;
            let Some(final_reply) = final_reply else {
                if bogus.is_some() {
                    // No other server answered: the bogus reply stands.
                    break;
                }
                return (result, Verdict::insecure(), Vec::new());
            };
            let (verdict, states) = self
                .validate_final(&result, &final_reply, budget, depth, &ancestors)
                .await;
            let (result, final_reply) = nodata_if_empty_non_terminal(result, final_reply, &verdict);
            tracing::debug!(name = %final_reply.question.name(), server = %final_reply.server, security = ?verdict.security, reason = ?verdict.reason, "validated");
            if !verdict.security.is_withheld() {
                let proof = proof_of(&result, &final_reply);
                self.store_final(&result, final_reply, states, store_time());
                return (result, verdict, proof);
            }
            // Keys found bogus were already asked of every server they could come from.
            let keys_bogus = matches!(
                self.key_cache.get(&final_reply.zone, self.clock.now()),
                Some(KeyState::Bogus(..))
            );
            avoid.push(final_reply.server);
            bogus = Some((result, verdict, final_reply, states));
            if keys_bogus {
                break;
            }
        }
        let Some((result, verdict, final_reply, states)) = bogus else {
            return (
                WalkResult::ServFail("validation restarts exhausted"),
                Verdict::insecure(),
                Vec::new(),
            );
        };
        // Bogus data is cached too, `BOGUS_TTL` at most (Unbound `val-bogus-ttl`): a repeat
        // costs no walk and no crypto, and only CD clients ever get it. Except over expired
        // data still served (RFC 8767): a bogus refresh must not take the last good answer
        // away; the caller remembers the failure instead (Unbound keeps the stale message).
        let proof = proof_of(&result, &final_reply);
        if self.stale_resolution(&qname, qtype, false).is_none() {
            self.store_final(&result, final_reply, states, store_time());
        }
        (result, verdict, proof)
    }

    /// RFC 4035 §5: every RRset of the answer section, then the denial or wildcard proofs;
    /// the answer's verdict and each RRset's state for the cache.
    async fn validate_final(
        &self,
        result: &WalkResult,
        final_reply: &FinalReply,
        budget: &Budget,
        depth: u8,
        ancestors: &[(Name, RecordType)],
    ) -> (Verdict, ReplyStates) {
        let mut states = Vec::new();
        let verdict = self
            .validate_answer(result, final_reply, budget, depth, ancestors, &mut states)
            .await;
        let states = ReplyStates {
            rrsets: states,
            answer: Validation::of(&verdict),
        };
        (verdict, states)
    }

    async fn validate_answer(
        &self,
        result: &WalkResult,
        final_reply: &FinalReply,
        budget: &Budget,
        depth: u8,
        ancestors: &[(Name, RecordType)],
        states: &mut Vec<RrsetState>,
    ) -> Verdict {
        let question = &final_reply.question;
        let qname = question.name();
        let anchors = &self.config.dnssec.anchors;
        if anchors.closest(qname).is_none() || anchors.is_negative(qname) {
            return Verdict::insecure();
        }
        let reply = &final_reply.reply;
        let mut verdict = Verdict::secure();
        let dnames: Vec<&Record> = reply
            .answers
            .iter()
            .filter(|record| record.record_type() == RecordType::DNAME)
            .collect();
        for rrset in rrsets(&reply.answers) {
            let Some(first) = rrset.first() else { continue };
            // RFC 6672 §5.3.1: the CNAME synthesized from a DNAME is unsigned; the DNAME is checked.
            if first.record_type() == RecordType::CNAME
                && signatures_for(&reply.answers, &first.name, RecordType::CNAME).is_empty()
                && dnames.iter().any(|dname| dname.name.zone_of(&first.name))
            {
                continue;
            }
            let (rrset_verdict, verified) = self
                .check_rrset(&rrset, &reply.answers, budget, depth, ancestors)
                .await;
            let mut rrset_state = RrsetState {
                owner: first.name.clone(),
                record_type: first.record_type(),
                validation: Validation::of(&rrset_verdict),
                ttl_cap: verified.as_ref().map(|verified| verified.ttl),
            };
            verdict = verdict.worst(rrset_verdict.clone());
            if first.record_type() == RecordType::DNAME && expanded_from_wildcard(verified.as_ref())
            {
                let bogus = Verdict::bogus(Reason::WildcardDname, &first.name);
                rrset_state.validation = Validation::of(&bogus);
                verdict = verdict.worst(bogus);
                states.push(rrset_state);
                continue;
            }
            if let Some(Verified {
                wildcard_parent: Some(parent),
                ttl,
                ..
            }) = verified
            {
                let proof = self
                    .denial_proof(
                        reply,
                        &final_reply.zone,
                        budget,
                        depth,
                        ancestors,
                        |nsecs, nsec3s| {
                            if !nsecs.is_empty() {
                                nsec::proves_no_closer_match(nsecs, &first.name, &parent)
                            } else {
                                nsec3::proves_no_closer_match(nsec3s, &first.name, &parent)
                            }
                        },
                    )
                    .await;
                // Unbound: a wildcard expansion without its proof is DNSSEC Bogus (EDE 6).
                let proof = proof_verdict(proof, &first.name, Reason::ProofFailed);
                if proof.security == crate::dnssec::Security::Secure
                    && rrset_verdict.security == crate::dnssec::Security::Secure
                {
                    self.remember_wildcard(&rrset, &reply.answers, &parent, ttl);
                }
                rrset_state.validation = Validation::of(&rrset_verdict.worst(proof.clone()));
                verdict = verdict.worst(proof);
            }
            states.push(rrset_state);
        }
        // An answer of RRSIGs alone (an RRSIG question) has no RRset a signature covers: it
        // cannot be proved, so it is insecure, never AD (Unbound answers it unchecked).
        if matches!(result, WalkResult::Answer(_)) && states.is_empty() {
            return verdict.worst(Verdict::insecure());
        }
        if matches!(result, WalkResult::Answer(_))
            && verdict.security == crate::dnssec::Security::Secure
        {
            self.check_optional_sections(reply, budget, depth, ancestors, states)
                .await;
        }
        let end = chain_end(reply, qname);
        if matches!(result, WalkResult::CName { .. }) {
            self.keep_delegation_denials(reply, &end, &final_reply.zone);
        }
        let qtype = question.query_type();
        match result {
            WalkResult::NoData(_) | WalkResult::NxDomain(_)
                if self
                    .under_proved_unsigned_delegation(&end, qtype, budget, depth, ancestors)
                    .await =>
            {
                verdict.worst(Verdict::insecure())
            }
            WalkResult::NoData(_) | WalkResult::NxDomain(_) => {
                let name_error = matches!(result, WalkResult::NxDomain(_));
                let proof = self
                    .denial_proof(
                        reply,
                        &final_reply.zone,
                        budget,
                        depth,
                        ancestors,
                        |nsecs, nsec3s| match (name_error, nsecs.is_empty()) {
                            // An empty non-terminal: NODATA, whatever the rcode said.
                            (true, false) if nsec::proves_empty_non_terminal(nsecs, &end) => {
                                Proof::Proved
                            }
                            (true, false) => nsec::proves_name_error(nsecs, &end),
                            (true, true) => nsec3::proves_name_error(nsec3s, &end),
                            (false, false) => nsec::proves_no_data(nsecs, &end, qtype),
                            (false, true) => nsec3::proves_no_data(nsec3s, &end, qtype),
                        },
                    )
                    .await;
                // RFC 8914: NSEC Missing (12) when none came at all, else DNSSEC Bogus (6).
                let carries_denial = reply.authorities.iter().any(|record| {
                    matches!(record.record_type(), RecordType::NSEC | RecordType::NSEC3)
                });
                let unproved = if carries_denial {
                    Reason::ProofFailed
                } else {
                    Reason::DenialMissing
                };
                verdict.worst(proof_verdict(proof, &end, unproved))
            }
            _ => verdict,
        }
    }

    /// Whether `name` is at or below a delegation the cache already holds a denial of DS for
    /// (a referral's or a CNAME reply's NSEC/NSEC3) that the chain of trust finds insecure. A
    /// negative answer there is the unsigned child's to give, whoever signed it (a forwarder
    /// answering with the parent's SOA; val_cnametoinsecure): insecure, not bogus. Only
    /// cached denials are read, so no DS query is spent on names without one. A DS question's
    /// own name is the parent's to answer (RFC 4035 §3.1.4.1): only its ancestors count.
    async fn under_proved_unsigned_delegation(
        &self,
        name: &Name,
        qtype: RecordType,
        budget: &Budget,
        depth: u8,
        ancestors: &[(Name, RecordType)],
    ) -> bool {
        let labels =
            usize::from(name.num_labels()).saturating_sub(usize::from(qtype == RecordType::DS));
        for keep in (1..=labels).rev().take(MAX_CHAIN_DEPTH) {
            let candidate = name.trim_to(keep);
            let denied = self.cached_ds_reply(&candidate).is_some_and(|reply| {
                reply.answers.is_empty()
                    && reply.authorities.iter().any(|record| {
                        matches!(record.record_type(), RecordType::NSEC | RecordType::NSEC3)
                    })
            });
            if denied {
                return matches!(
                    self.zone_keys(&candidate, budget, depth, ancestors).await,
                    KeyState::Insecure
                );
            }
        }
        false
    }

    /// `keep_delegation_denials` for an NSEC3 record: its owner is a hash, so the names between
    /// the zone and the chain's end are hashed to find the one it matches (RFC 5155 §8.6: NS
    /// without DS or SOA, an unsigned delegation; val_cnametooptin). At most
    /// `MAX_CHAIN_DEPTH` names, each hash bounded as in every NSEC3 proof.
    fn keep_nsec3_delegation_denial(
        &self,
        reply: &Message,
        rrset: &[Record],
        end: &Name,
        zone: &Name,
    ) {
        let Some(first) = rrset.first() else { return };
        // The NSEC3's zone: a forwarder's replies come from the forward zone's servers.
        let nsec3_zone = first.name.base_name();
        if !zone.zone_of(&nsec3_zone) || !nsec3_zone.zone_of(end) {
            return;
        }
        let records = nsec3::nsec3_records(rrset);
        let first_label = usize::from(nsec3_zone.num_labels()) + 1;
        let last_label = usize::from(end.num_labels());
        for labels in (first_label..=last_label).take(MAX_CHAIN_DEPTH) {
            let name = end.trim_to(labels);
            if nsec3::ds_denial(&records, &name) != DsDenial::InsecureDelegation {
                continue;
            }
            tracing::debug!(%name, "kept a CNAME reply's unsigned delegation proof (NSEC3)");
            let mut denial = rrset.to_vec();
            denial.extend(
                signatures_for(&reply.authorities, &first.name, RecordType::NSEC3)
                    .into_iter()
                    .cloned(),
            );
            self.cache.insert_referral_denial(
                &name,
                hickory_proto::rr::DNSClass::IN,
                &denial,
                self.clock.now(),
            );
            return;
        }
    }

    /// Unbound `validate_msg_signatures`: beside a secure answer, the authority section's NS
    /// set and the signed RRsets of the additional section are checked too, so that the cache
    /// knows which of them a secure response may repeat (`response_sections.rs`). Their state
    /// never changes the answer's; unsigned additional data stays unchecked. With minimal
    /// responses too: a referral to a client asking without recursion shows them
    /// (`cache_referral.rs`; val_refer_unsignadd). The scrubber keeps them only when
    /// `iter-scrub-promiscuous` is off, so by default there is nothing to check.
    async fn check_optional_sections(
        &self,
        reply: &Message,
        budget: &Budget,
        depth: u8,
        ancestors: &[(Name, RecordType)],
        states: &mut Vec<RrsetState>,
    ) {
        let authority = rrsets(&reply.authorities)
            .into_iter()
            .filter(|rrset| {
                rrset
                    .first()
                    .is_some_and(|first| first.record_type() == RecordType::NS)
            })
            .map(|rrset| (rrset, &reply.authorities));
        let additional = rrsets(&reply.additionals)
            .into_iter()
            .filter(|rrset| {
                rrset.first().is_some_and(|first| {
                    !signatures_for(&reply.additionals, &first.name, first.record_type()).is_empty()
                })
            })
            .map(|rrset| (rrset, &reply.additionals));
        for (rrset, section) in authority.chain(additional) {
            let Some(first) = rrset.first() else { continue };
            let (rrset_verdict, verified) = self
                .check_rrset(&rrset, section, budget, depth, ancestors)
                .await;
            states.push(RrsetState {
                owner: first.name.clone(),
                record_type: first.record_type(),
                validation: Validation::of(&rrset_verdict),
                ttl_cap: verified.as_ref().map(|verified| verified.ttl),
            });
        }
    }

    /// A CNAME reply may carry the NSEC that proves its target's zone an unsigned delegation
    /// (NS, no DS). It is kept as that name's DS denial, unchecked like a referral's, and checked
    /// with the parent's keys when the chain of trust for the next link reads it: that link is
    /// then insecure without a DS query (Unbound reuses it the same way; val_cnametonsec, where
    /// the same server answers for the child without a referral).
    fn keep_delegation_denials(&self, reply: &Message, end: &Name, zone: &Name) {
        for rrset in rrsets(&reply.authorities) {
            let Some(first) = rrset.first() else { continue };
            if first.record_type() == RecordType::NSEC3 {
                self.keep_nsec3_delegation_denial(reply, &rrset, end, zone);
                continue;
            }
            let RData::DNSSEC(DNSSECRData::NSEC(nsec)) = &first.data else {
                continue;
            };
            let types = nsec.type_set();
            let unsigned_delegation = types.contains(RecordType::NS)
                && !types.contains(RecordType::DS)
                && !types.contains(RecordType::SOA);
            if !unsigned_delegation
                || !first.name.zone_of(end)
                || !zone.zone_of(&first.name)
                || first.name == *zone
            {
                continue;
            }
            tracing::debug!(name = %first.name, "kept a CNAME reply's unsigned delegation proof");
            let mut denial = rrset.clone();
            denial.extend(
                signatures_for(&reply.authorities, &first.name, RecordType::NSEC)
                    .into_iter()
                    .cloned(),
            );
            self.cache.insert_referral_denial(
                &first.name,
                hickory_proto::rr::DNSClass::IN,
                &denial,
                self.clock.now(),
            );
        }
    }

    /// The NSEC/NSEC3 RRsets of the authority section verified with their zone's keys, then
    /// `prove` over the secure ones. A zone found insecure gives `OptOut` (insecure).
    async fn denial_proof(
        &self,
        reply: &Message,
        zone: &Name,
        budget: &Budget,
        depth: u8,
        ancestors: &[(Name, RecordType)],
        prove: impl Fn(&[nsec::NsecRecord<'_>], &[nsec3::Nsec3Record<'_>]) -> Proof,
    ) -> Result<Proof, Verdict> {
        let mut secure: Vec<Record> = Vec::new();
        // What RFC 8198 may reuse: the secure SOA and proof RRsets with their TTL bounds.
        let mut reusable: Vec<(Vec<Record>, u32)> = Vec::new();
        let mut seen_any = false;
        for rrset in rrsets(&reply.authorities) {
            let Some(first) = rrset.first() else { continue };
            if !matches!(
                first.record_type(),
                RecordType::NSEC | RecordType::NSEC3 | RecordType::SOA
            ) {
                continue;
            }
            seen_any = true;
            let (verdict, verified) = self
                .check_rrset(&rrset, &reply.authorities, budget, depth, ancestors)
                .await;
            match verdict.security {
                crate::dnssec::Security::Secure => {
                    let usable = !expanded_from_wildcard(verified.as_ref())
                        && next_in_signer_zone(&rrset, &reply.authorities);
                    if let (true, Some(verified)) = (usable, verified.as_ref()) {
                        reusable.push((rrset.clone(), verified.ttl));
                    }
                    if first.record_type() != RecordType::SOA && usable {
                        secure.extend(rrset);
                    }
                }
                crate::dnssec::Security::Insecure => return Ok(Proof::OptOut),
                _ => return Err(verdict),
            }
        }
        if !seen_any {
            // Nothing signed came: is the zone insecure?
            match self.zone_keys(zone, budget, depth, ancestors).await {
                KeyState::Insecure => return Ok(Proof::OptOut),
                KeyState::Bogus(reason, name) => return Err(Verdict::bogus(reason, &name)),
                KeyState::Secure(_) => return Ok(Proof::NotProved),
            }
        }
        let nsecs = nsec::nsec_records(&secure);
        let nsec3s = nsec3::nsec3_records(&secure);
        let proof = prove(&nsecs, &nsec3s);
        if proof == Proof::Proved {
            self.remember_denial(&reusable, &reply.authorities);
        }
        Ok(proof)
    }

    /// One RRset: its signer's keys through the chain, then its signatures.
    pub(crate) async fn check_rrset(
        &self,
        rrset: &[Record],
        section: &[Record],
        budget: &Budget,
        depth: u8,
        ancestors: &[(Name, RecordType)],
    ) -> (Verdict, Option<Verified>) {
        let Some(first) = rrset.first() else {
            return (Verdict::insecure(), None);
        };
        let signatures = signatures_for(section, &first.name, first.record_type());
        let signer = signatures
            .iter()
            .filter_map(|signature| rrsig_of(signature))
            .map(|rrsig| rrsig.input().signer_name.clone())
            .find(|signer| signer.zone_of(&first.name))
            .unwrap_or_else(|| {
                // Unsigned: the chain of trust down to the owner decides, label by label as
                // Unbound does without a signer; a child the same server serves without a
                // referral is then insecure below its proved unsigned delegation, and data of
                // a signed zone is found unsigned (RRSIGs missing) at the zone's keys.
                first.name.clone()
            });
        if self.config.dnssec.anchors.is_negative(&first.name) {
            return (Verdict::insecure(), None);
        }
        match self.zone_keys(&signer, budget, depth, ancestors).await {
            KeyState::Insecure => (Verdict::insecure(), None),
            KeyState::Bogus(reason, name) => (Verdict::bogus(reason, &name), None),
            KeyState::Secure(keys) => {
                if signatures.is_empty() {
                    return (Verdict::bogus(Reason::RrsigsMissing, &first.name), None);
                }
                match verify_rrset(rrset, &signatures, &keys, self.check_context(budget)) {
                    RrsetCheck::Secure(verified) => (Verdict::secure(), Some(verified)),
                    RrsetCheck::Unsupported => (
                        Verdict::insecure_because(Reason::UnsupportedAlgorithm, &first.name),
                        None,
                    ),
                    RrsetCheck::Bogus(reason) => (Verdict::bogus(reason, &first.name), None),
                }
            }
        }
    }

    /// Unbound `dns_cache_lookup`: a DS question is answered from the DS RRset a referral left
    /// in the cache (the parent's authority data), checked here against the parent's keys the
    /// first time, its state stored. None when none is cached or it is bogus (a walk asks).
    pub(crate) async fn cached_referral_ds(
        &self,
        name: &Name,
        budget: &Budget,
        depth: u8,
        ancestors: &[(Name, RecordType)],
    ) -> Option<(Vec<Record>, Verdict)> {
        let now = self.clock.now();
        let class = hickory_proto::rr::DNSClass::IN;
        let set = self
            .cache
            .get_set(name, RecordType::DS, class, Trust::Glue, now)?;
        let verdict = match set.validation.security {
            _ if !self.config.dnssec.enabled => Verdict::insecure(),
            Some(_) => set.validation.verdict(name),
            None => {
                let mut section = set.records.clone();
                section.extend(set.signatures.iter().cloned());
                let (verdict, verified) = self
                    .check_rrset(&set.records, &section, budget, depth, ancestors)
                    .await;
                let signatures: Vec<&Record> = set.signatures.iter().collect();
                self.cache.insert_validated(
                    &set.records,
                    &signatures,
                    Trust::Glue,
                    Validation::of(&verdict),
                    verified.map(|verified| verified.ttl),
                    now,
                );
                verdict
            }
        };
        if verdict.security.is_withheld() {
            return None;
        }
        let mut answers = set.records;
        answers.extend(set.signatures);
        Some((answers, verdict))
    }

    /// The chain of trust down to `zone` (RFC 4035 §5.1-5.2), from the key cache where it can.
    pub(crate) async fn zone_keys(
        &self,
        zone: &Name,
        budget: &Budget,
        depth: u8,
        ancestors: &[(Name, RecordType)],
    ) -> KeyState {
        let now = self.clock.now();
        if let Some(state) = self.key_cache.get(zone, now) {
            return state;
        }
        let anchors = &self.config.dnssec.anchors;
        let Some((anchor_zone, anchor)) = anchors.closest(zone) else {
            return KeyState::Insecure;
        };
        let anchor_zone = anchor_zone.clone();
        let mut state = match self.key_cache.get(&anchor_zone, now) {
            Some(state) => state,
            None => {
                let keys_ttl = KeysTtl::default();
                let judge = |reply: &Message| {
                    let context = self.check_context(budget);
                    let check = if anchor.ds.is_empty() {
                        keys_from_anchor_keys(&anchor_zone, &anchor.keys, &reply.answers, context)
                    } else {
                        keys_from_ds(
                            &anchor_zone,
                            &anchor.ds,
                            &reply.answers,
                            context,
                            self.config.dnssec.harden_algorithm_downgrade,
                        )
                    };
                    keys_ttl.record(&check);
                    let state = judged(key_state(check, &anchor_zone));
                    if let Ok(KeyState::Secure(keys)) = &state {
                        self.keep_key_reply_sections(&anchor_zone, reply, keys, budget);
                    }
                    state
                };
                let state = self
                    .fetch_judged(
                        &anchor_zone,
                        RecordType::DNSKEY,
                        Reason::DnskeyMissing,
                        budget,
                        depth,
                        ancestors,
                        judge,
                    )
                    .await
                    .unwrap_or_else(|state| state);
                let state = self.unless_stripped_allowed(state);
                self.cache_key_state(&anchor_zone, &state, keys_ttl.get());
                state
            }
        };
        let first = usize::from(anchor_zone.num_labels()) + 1;
        let last = usize::from(zone.num_labels());
        for labels in (first..=last).take(MAX_CHAIN_DEPTH) {
            let KeyState::Secure(parent_keys) = &state else {
                break;
            };
            let name = zone.trim_to(labels);
            if let Some(cached) = self.key_cache.get(&name, self.clock.now()) {
                state = cached;
                continue;
            }
            let (next, keys_ttl) = if anchors.is_negative(&name) {
                (KeyState::Insecure, None)
            } else {
                self.descend(parent_keys, &name, budget, depth, ancestors)
                    .await
            };
            self.cache_key_state(&name, &next, keys_ttl);
            state = next;
        }
        state
    }

    /// Keeps a zone's key state: validated keys as long as their DNSKEY RRset may be cached
    /// (`keys_ttl`: its TTL capped by the signature, RFC 4035 §5.3.3, and by the cache's
    /// maximum), as Unbound's key cache; the other states for fixed times.
    fn cache_key_state(&self, name: &Name, state: &KeyState, keys_ttl: Option<u32>) {
        let ttl = match state {
            KeyState::Secure(_) => keys_ttl.map_or(INSECURE_KEY_TTL, |ttl| {
                u64::from(ttl.min(self.config.max_ttl))
            }),
            KeyState::Insecure => keys_ttl.map_or(INSECURE_KEY_TTL, |ttl| {
                u64::from(ttl.min(self.config.max_ttl))
            }),
            KeyState::Bogus(..) => u64::from(BOGUS_TTL),
        };
        self.key_cache.put(name, state, ttl, self.clock.now());
    }

    /// One step down: `name`'s DS from the parent (or its proved absence), then its DNSKEYs;
    /// each asked again of another server when what came is bogus. With the keys, how long
    /// they may be cached.
    async fn descend(
        &self,
        parent_keys: &ZoneKeys,
        name: &Name,
        budget: &Budget,
        depth: u8,
        ancestors: &[(Name, RecordType)],
    ) -> (KeyState, Option<u32>) {
        // An insecure delegation is remembered as long as its proof of no DS may be cached
        // (Unbound's null key entry takes the denial's TTL): a DS added in the parent is seen
        // once that proof expires.
        let denial_ttl = KeysTtl::default();
        let ds_step = |reply: &Message| {
            let step = self.ds_step(parent_keys, name, reply, budget);
            if matches!(step, Err(KeyState::Insecure)) {
                denial_ttl.record_ttl(negative_ttl(reply));
            }
            step
        };
        let ds_from_cache = self.cached_ds_reply(name).map(|reply| ds_step(&reply));
        let ds_set = match ds_from_cache {
            Some(Ok(ds_set)) => ds_set,
            Some(Err(state)) if !matches!(state, KeyState::Bogus(..)) => {
                return (state, denial_ttl.get())
            }
            _ => {
                let judge = |reply: &Message| ds_step(reply);
                match self
                    .fetch_judged(
                        name,
                        RecordType::DS,
                        Reason::ChainUnreachable,
                        budget,
                        depth,
                        ancestors,
                        judge,
                    )
                    .await
                {
                    Ok(ds_set) => ds_set,
                    Err(state) => return (state, denial_ttl.get()),
                }
            }
        };
        let keys_ttl = KeysTtl::default();
        let judge = |reply: &Message| {
            let context = self.check_context(budget);
            let check = keys_from_ds(
                name,
                &ds_set,
                &reply.answers,
                context,
                self.config.dnssec.harden_algorithm_downgrade,
            );
            keys_ttl.record(&check);
            let state = judged(key_state(check, name));
            if let Ok(KeyState::Secure(keys)) = &state {
                self.keep_key_reply_sections(name, reply, keys, budget);
            }
            state
        };
        let state = self
            .fetch_judged(
                name,
                RecordType::DNSKEY,
                Reason::DnskeyMissing,
                budget,
                depth,
                ancestors,
                judge,
            )
            .await
            .unwrap_or_else(|state| state);
        (self.unless_stripped_allowed(state), keys_ttl.get())
    }

    /// Unbound `harden-dnssec-stripped: no` (`stripped_is_insecure`): a DNSKEY set that
    /// could not be had or did not validate leaves the zone insecure rather than bogus.
    fn unless_stripped_allowed(&self, state: KeyState) -> KeyState {
        match state {
            KeyState::Bogus(reason, name) if self.config.dnssec.stripped_is_insecure => {
                tracing::debug!(%name, ?reason, "DNSKEY failure taken as insecure (stripped allowed)");
                KeyState::Insecure
            }
            other => other,
        }
    }

    /// What a DS reply says: the verified DS set to match the child's keys with, or the
    /// chain's end (insecure delegation, no zone cut, bogus).
    fn ds_step(
        &self,
        parent_keys: &ZoneKeys,
        name: &Name,
        reply: &Message,
        budget: &Budget,
    ) -> Result<Vec<hickory_proto::dnssec::rdata::DS>, KeyState> {
        let context = self.check_context(budget);
        let ds_rrset: Vec<Record> = reply
            .answers
            .iter()
            .filter(|record| record.name == *name && record.record_type() == RecordType::DS)
            .cloned()
            .collect();
        if !ds_rrset.is_empty() {
            let signatures = signatures_for(&reply.answers, name, RecordType::DS);
            return match verify_rrset(&ds_rrset, &signatures, parent_keys, context) {
                RrsetCheck::Secure(_) => Ok(ds_rrset.iter().filter_map(ds_of).cloned().collect()),
                RrsetCheck::Unsupported => Err(KeyState::Insecure),
                RrsetCheck::Bogus(reason) => Err(KeyState::Bogus(reason, name.clone())),
            };
        }
        // A CNAME owner holds no other data (RFC 1034 §3.6.2), so it is no zone cut: signed by
        // the parent's keys, it proves there is no DS here and the parent's keys go on below
        // it; unsigned or bad, it is bogus (Unbound `ds_response_to_ke`, val_ds_cnamesub).
        let cname: Vec<Record> = reply
            .answers
            .iter()
            .filter(|record| record.name == *name && record.record_type() == RecordType::CNAME)
            .cloned()
            .collect();
        if !cname.is_empty() {
            let signatures = signatures_for(&reply.answers, name, RecordType::CNAME);
            return Err(
                match verify_rrset(&cname, &signatures, parent_keys, context) {
                    RrsetCheck::Secure(_) => KeyState::Secure(parent_keys.clone()),
                    RrsetCheck::Unsupported => KeyState::Insecure,
                    RrsetCheck::Bogus(reason) => KeyState::Bogus(reason, name.clone()),
                },
            );
        }
        // No DS: the denial must be signed by the parent (RFC 4035 §5.2). Records that do not
        // verify are not used (Unbound checks only the NSECs its proof needs); the proof over
        // the others decides, and fails with their reason.
        let mut secure: Vec<Record> = Vec::new();
        let mut reusable: Vec<(Vec<Record>, u32)> = Vec::new();
        let mut failure: Option<Reason> = None;
        for rrset in rrsets(&reply.authorities) {
            let Some(first) = rrset.first() else { continue };
            if !matches!(first.record_type(), RecordType::NSEC | RecordType::NSEC3) {
                continue;
            }
            let signatures = signatures_for(&reply.authorities, &first.name, first.record_type());
            match verify_rrset(&rrset, &signatures, parent_keys, context) {
                RrsetCheck::Secure(verified) if expanded_from_wildcard(Some(&verified)) => {
                    failure = failure.or(Some(Reason::DenialMissing));
                }
                RrsetCheck::Secure(verified) => {
                    if next_in_signer_zone(&rrset, &reply.authorities) {
                        reusable.push((rrset.clone(), verified.ttl));
                    }
                    secure.extend(rrset);
                }
                RrsetCheck::Unsupported => return Err(KeyState::Insecure),
                RrsetCheck::Bogus(reason) => {
                    tracing::debug!(owner = %first.name, ?reason, "DS denial record not used");
                    failure = failure.or(Some(reason));
                }
            }
        }
        let nsecs = nsec::nsec_records(&secure);
        let denial = if nsecs.is_empty() {
            nsec3::ds_denial(&nsec3::nsec3_records(&secure), name)
        } else {
            nsec::ds_denial(&nsecs, name)
        };
        if matches!(denial, DsDenial::InsecureDelegation | DsDenial::NoZoneCut) {
            // Unbound's negative cache (`val_neg_addreferral`): a proved absence of DS, a
            // referral's included, answers a later DS question for the name without a query
            // (RFC 8198, with the zone's SOA once one is known).
            self.remember_denial(&reusable, &reply.authorities);
        }
        Err(match denial {
            DsDenial::InsecureDelegation | DsDenial::OptOut | DsDenial::TooManyIterations => {
                KeyState::Insecure
            }
            DsDenial::NoZoneCut => KeyState::Secure(parent_keys.clone()),
            DsDenial::NotProved => {
                KeyState::Bogus(failure.unwrap_or(Reason::DenialMissing), name.clone())
            }
        })
    }

    /// A DS or DNSKEY fetch judged by `judge`; a bogus verdict asks another server of the zone,
    /// `MAX_VALIDATION_RESTARTS` times at most. `unreachable` is the reason when nothing came.
    #[allow(clippy::too_many_arguments)]
    async fn fetch_judged<T>(
        &self,
        name: &Name,
        record_type: RecordType,
        unreachable: Reason,
        budget: &Budget,
        depth: u8,
        ancestors: &[(Name, RecordType)],
        judge: impl Fn(&Message) -> Result<T, KeyState>,
    ) -> Result<T, KeyState> {
        let mut avoid: Vec<SocketAddr> = Vec::new();
        let mut bogus: Option<KeyState> = None;
        for _ in 0..=MAX_VALIDATION_RESTARTS {
            let Some((reply, server)) = self
                .fetch(name, record_type, budget, depth, ancestors, avoid.clone())
                .await
            else {
                break;
            };
            match judge(&reply) {
                Err(state @ KeyState::Bogus(..)) => {
                    tracing::debug!(%name, %record_type, %server, "bogus, asking another server");
                    bogus = Some(state);
                    avoid.push(server);
                }
                other => return other,
            }
        }
        Err(bogus.unwrap_or_else(|| KeyState::Bogus(unreachable, name.clone())))
    }

    /// What the cache holds about `name`'s DS, shaped as a DS reply: the DS RRset with its
    /// RRSIGs (a referral's, at any trust), or a referral's NSEC/NSEC3 claim that there is
    /// none. Checked like a fetched reply; saves the query Unbound saves the same way.
    fn cached_ds_reply(&self, name: &Name) -> Option<Message> {
        let now = self.clock.now();
        let class = hickory_proto::rr::DNSClass::IN;
        let mut reply = Message::query();
        if let Some(set) = self
            .cache
            .get_set(name, RecordType::DS, class, Trust::Glue, now)
        {
            if set.validation.is_bogus() {
                return None;
            }
            reply.answers = set.records;
            reply.answers.extend(set.signatures);
            return Some(reply);
        }
        match self.cache.get_negative(name, RecordType::DS, class, now)? {
            NegativeAnswer::NoData(records) => {
                reply.authorities = records;
                Some(reply)
            }
            NegativeAnswer::NxDomain(_) => None,
        }
    }

    /// A DS or DNSKEY query as a sub-walk (its queries count against the client's budget); the
    /// scrubbed final reply, or None when the walk failed.
    async fn fetch(
        &self,
        name: &Name,
        record_type: RecordType,
        budget: &Budget,
        depth: u8,
        ancestors: &[(Name, RecordType)],
        avoid: Vec<SocketAddr>,
    ) -> Option<(Message, SocketAddr)> {
        if ancestors
            .iter()
            .any(|(ancestor, ancestor_type)| ancestor == name && *ancestor_type == record_type)
        {
            return None;
        }
        let (result, final_reply) = self
            .walk_reply_avoiding(
                name.clone(),
                record_type,
                budget,
                depth,
                ancestors.to_vec(),
                true,
                avoid,
                Duration::ZERO,
            )
            .await;
        match result {
            WalkResult::ServFail(reason) => {
                tracing::debug!(%name, %record_type, reason, "key fetch failed");
                None
            }
            _ => final_reply.map(|final_reply| (final_reply.reply, final_reply.server)),
        }
    }
}

/// CVE-2017-15105: an NSEC or NSEC3 record whose signature says it was synthesized from a
/// wildcard (RRSIG labels below its owner's) verifies, but its owner is not the name the zone
/// holds, so it proves nothing (Unbound drops such records from every proof; RFC 4035 §5.3.4).
fn expanded_from_wildcard(verified: Option<&Verified>) -> bool {
    verified.is_some_and(|verified| verified.wildcard_parent.is_some())
}

/// RFC 4034 §4.1.1: an NSEC's next name is the next owner in its zone. One whose next name lies
/// outside the zone that signed it overreaches (it would deny names of other zones) and proves
/// nothing (Unbound's val_nx_overreach). NSEC3 next hashes are always in the zone.
fn next_in_signer_zone(rrset: &[Record], section: &[Record]) -> bool {
    let Some(first) = rrset.first() else {
        return false;
    };
    let RData::DNSSEC(DNSSECRData::NSEC(nsec)) = &first.data else {
        return true;
    };
    signatures_for(section, &first.name, RecordType::NSEC)
        .iter()
        .filter_map(|signature| rrsig_of(signature))
        .any(|rrsig| rrsig.input().signer_name.zone_of(nsec.next_domain_name()))
}

/// A secure NXDOMAIN whose NSEC proves the name an empty non-terminal is a NODATA (the
/// validator accepted it as such): answered and cached as one.
fn nodata_if_empty_non_terminal(
    result: WalkResult,
    mut final_reply: FinalReply,
    verdict: &Verdict,
) -> (WalkResult, FinalReply) {
    let WalkResult::NxDomain(authorities) = result else {
        return (result, final_reply);
    };
    let name = final_reply.question.name().clone();
    let end = chain_end(&final_reply.reply, &name);
    let secure = verdict.security == crate::dnssec::Security::Secure;
    if !secure
        || !nsec::proves_empty_non_terminal(
            &nsec::nsec_records(&final_reply.reply.authorities),
            &end,
        )
    {
        return (WalkResult::NxDomain(authorities), final_reply);
    }
    tracing::debug!(%end, "NXDOMAIN for an empty non-terminal: NODATA");
    final_reply.reply.metadata.response_code = hickory_proto::op::ResponseCode::NoError;
    (WalkResult::NoData(authorities), final_reply)
}

/// A key state as a fetch judgement: bogus is worth asking another server.
fn judged(state: KeyState) -> Result<KeyState, KeyState> {
    match state {
        KeyState::Bogus(..) => Err(state),
        other => Ok(other),
    }
}

/// How long the keys a DNSKEY judgement validated may be cached, noted by the judging closure
/// (atomic, so the walk's future stays `Send`); none for any other outcome.
struct KeysTtl(AtomicU64);

impl Default for KeysTtl {
    fn default() -> Self {
        KeysTtl(AtomicU64::new(u64::MAX))
    }
}

impl KeysTtl {
    fn record(&self, check: &KeysCheck) {
        let ttl = match check {
            KeysCheck::Secure(_, ttl) => u64::from(*ttl),
            _ => u64::MAX,
        };
        self.0.store(ttl, Ordering::Relaxed);
    }

    /// The TTL of something other than keys (a proof of no DS), when known.
    fn record_ttl(&self, ttl: Option<u32>) {
        self.0
            .store(ttl.map_or(u64::MAX, u64::from), Ordering::Relaxed);
    }

    fn get(&self) -> Option<u32> {
        u32::try_from(self.0.load(Ordering::Relaxed)).ok()
    }
}

/// How long a negative reply (the proof of no DS) may be cached: the least TTL of its authority
/// records, SOA, NSEC/NSEC3 and their RRSIGs (RFC 2308 §5, RFC 4035 §5.3.3); `None` without any.
fn negative_ttl(reply: &Message) -> Option<u32> {
    reply
        .authorities
        .iter()
        .filter(|record| {
            matches!(
                record.record_type(),
                RecordType::SOA | RecordType::NSEC | RecordType::NSEC3 | RecordType::RRSIG
            )
        })
        .map(|record| record.ttl)
        .min()
}

fn key_state(check: KeysCheck, zone: &Name) -> KeyState {
    match check {
        KeysCheck::Secure(keys, _) => KeyState::Secure(keys),
        KeysCheck::Insecure(_) => KeyState::Insecure,
        KeysCheck::Bogus(reason) => KeyState::Bogus(reason, zone.clone()),
    }
}

/// A proof's verdict; `unproved` is the reason when the records prove nothing.
fn proof_verdict(proof: Result<Proof, Verdict>, name: &Name, unproved: Reason) -> Verdict {
    match proof {
        Ok(Proof::Proved) => Verdict::secure(),
        Ok(Proof::OptOut) => Verdict::insecure(),
        Ok(Proof::TooManyIterations) => {
            Verdict::insecure_because(Reason::Nsec3IterationsTooHigh, name)
        }
        Ok(Proof::NotProved) => Verdict::bogus(unproved, name),
        Err(verdict) => verdict,
    }
}
