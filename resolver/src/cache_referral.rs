//! The answer to a query without recursion (RD=0, from a client allowed to snoop): the cache's
//! answer, else a referral to the closest delegation the cache holds. Never resolves the question.
//!
//! ```text
//! RD=0 ─▶ resolve_from_cache ─▶ answer
//!            └ miss ─▶ stale (serve-expired), referral DS, NSEC/NSEC3 synthesis ─▶ answer
//!            └ miss ─▶ closest cached NS set (DS parent side for a DS question)
//!                 ├ validating, not checked yet ─▶ validated now (dnssec/cached_delegation.rs:
//!                 │    may fetch the DNSKEY/DS the chain needs, on the query's budget)
//!                 ├ bogus ─▶ SERVFAIL + EDE
//!                 └ NS set (+ DS or proof of none, RRSIGs for DO) in authority, its servers'
//!                   addresses; AD if secure
//!            └ nothing cached ─▶ NOERROR, empty sections
//! ```

use hickory_proto::dnssec::rdata::DNSSECRData;
use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::cache::{Freshness, NegativeAnswer, Trust};
use crate::dnssec::Security;
use crate::iterate::budget::Budget;
use crate::iterate::states::WalkResult;
use crate::resolver::{unanswerable, Resolver};
use crate::response::{response_skeleton, withheld_response, Resolution};

impl Resolver {
    /// What a client that asked without recursion gets: the cached answer, or a referral to
    /// the closest cached delegation, validated first if the validator has not seen it (Unbound
    /// `answer_norec_from_cache`, else its iterator's cached referral through the validator);
    /// NOERROR with empty sections when the cache holds neither. The daemon and the replay
    /// runner both answer RD=0 here; nothing but the chain of trust is asked upstream.
    pub async fn answer_without_recursion(&self, request: &Message) -> Message {
        if let Some(response) = unanswerable(request) {
            return response;
        }
        if let Some(response) = self.resolve_from_cache(request) {
            return response;
        }
        let mut budget = Budget::with_sends(self.clock.now(), self.config.max_upstream_queries);
        budget.checking_disabled = request.metadata.checking_disabled;
        if let Some((resolution, stale)) = self.cached_resolution(request, &budget).await {
            return self.respond(request, resolution, stale, &budget);
        }
        let response = self.referral_from_cache(request, &budget).await;
        self.validation_counts
            .add_signature_checks(budget.signature_checks.used());
        response.unwrap_or_else(|| response_skeleton(request, ResponseCode::NoError))
    }

    /// The NSEC/NSEC3 records and their RRSIGs a referral to `zone` came with to prove there
    /// is no DS (kept by `store_referral_denial`), for a DO client; empty when none
    /// is cached.
    fn cached_proof_of_no_ds(&self, zone: &Name, now: std::time::Duration) -> Vec<Record> {
        let Some(NegativeAnswer::NoData(records)) =
            self.cache
                .get_negative(zone, RecordType::DS, DNSClass::IN, now)
        else {
            return Vec::new();
        };
        let is_denial =
            |record_type: RecordType| matches!(record_type, RecordType::NSEC | RecordType::NSEC3);
        records
            .into_iter()
            .filter(|record| match &record.data {
                RData::DNSSEC(DNSSECRData::RRSIG(rrsig)) => is_denial(rrsig.input().type_covered),
                _ => is_denial(record.record_type()),
            })
            .collect()
    }

    /// What the cache answers beyond its plain lookup, as `lookup` would find it before
    /// walking (Unbound's iterator answers an RD=0 query from these too): expired data with
    /// serve-expired on (its refresh queued), a DS question from a referral's DS, a denial
    /// synthesized from cached NSEC/NSEC3 records (RFC 8198). The bool says stale.
    async fn cached_resolution(
        &self,
        request: &Message,
        budget: &Budget,
    ) -> Option<(Resolution, bool)> {
        let question = request.queries.first()?;
        let (name, qtype) = (question.name(), question.query_type());
        let dnssec_ok = request
            .edns
            .as_ref()
            .is_some_and(|edns| edns.flags().dnssec_ok);
        if self.config.serve_expired.enabled
            && self.stale_resolution(name, qtype, dnssec_ok).is_some()
        {
            return Some(self.answer_stale(name, qtype, dnssec_ok));
        }
        if qtype == RecordType::DS {
            if let Some((answers, verdict)) = self.cached_referral_ds(name, budget, 0, &[]).await {
                let resolution = Resolution {
                    response_code: ResponseCode::NoError,
                    answers,
                    authorities: Vec::new(),
                    verdict,
                };
                return Some((resolution, false));
            }
        }
        let (result, verdict, mut authorities) = self.synthesized(name, qtype, budget)?;
        let (response_code, answers) = match result {
            WalkResult::Answer(records) => (ResponseCode::NoError, records),
            WalkResult::NoData(proof) => {
                authorities.extend(proof);
                (ResponseCode::NoError, Vec::new())
            }
            WalkResult::NxDomain(proof) => {
                authorities.extend(proof);
                (ResponseCode::NXDomain, Vec::new())
            }
            _ => return None,
        };
        let resolution = Resolution {
            response_code,
            answers,
            authorities,
            verdict,
        };
        Some((resolution, false))
    }

    /// Unbound `dns_cache_find_delegation` answered as a referral: the NS set in authority
    /// (with its RRSIGs and the zone's DS for a DO client), the servers' addresses in
    /// additional; AD when the delegation is secure (only secure addresses then, as
    /// `deleg_remove_nonsecure_additional`); SERVFAIL when it is bogus. None when no
    /// delegation is cached.
    async fn referral_from_cache(&self, request: &Message, budget: &Budget) -> Option<Message> {
        let [question] = request.queries.as_slice() else {
            return None;
        };
        if question.query_class() != DNSClass::IN {
            return None;
        }
        let name = question.name();
        // RFC 4035 §3.1.4.1: a DS question belongs to the parent's delegation.
        let start = if question.query_type() == RecordType::DS && !name.is_root() {
            name.base_name()
        } else {
            name.clone()
        };
        let now = self.clock.now();
        let zone: Name = start.trim_to(self.cache.cached_cuts(&start, now).next()?);
        let ns_set = self.cache.get_set_with(
            &zone,
            RecordType::NS,
            DNSClass::IN,
            Trust::Glue,
            now,
            Freshness::Fresh,
        )?;
        let targets: Vec<Name> = ns_set
            .records
            .iter()
            .filter_map(|record| match &record.data {
                RData::NS(target) => Some(target.0.clone()),
                _ => None,
            })
            .collect();
        let validating = self.config.dnssec.enabled && !request.metadata.checking_disabled;
        let dnssec_ok = request
            .edns
            .as_ref()
            .is_some_and(|edns| edns.flags().dnssec_ok);
        let delegation = if validating {
            let verdict = self
                .cached_delegation_verdict(&zone, &ns_set, &targets, budget)
                .await;
            if verdict.security.is_withheld() {
                self.count_validation(verdict.security);
                return Some(withheld_response(request, &verdict));
            }
            Some(verdict.security)
        } else {
            None
        };
        let mut secure = delegation == Some(Security::Secure);
        let mut response = response_skeleton(request, ResponseCode::NoError);
        response.authorities = ns_set.records;
        if dnssec_ok {
            response.authorities.extend(ns_set.signatures);
            let ds = if validating {
                // Checked against the parent's keys the first time; None when bogus.
                self.cached_referral_ds(&zone, budget, 0, &[]).await
            } else {
                self.cache
                    .get_set(&zone, RecordType::DS, DNSClass::IN, Trust::Glue, now)
                    .filter(|ds_set| !ds_set.validation.is_bogus())
                    .map(|ds_set| {
                        let mut records = ds_set.records;
                        records.extend(ds_set.signatures);
                        (records, crate::dnssec::Verdict::insecure())
                    })
            };
            match ds {
                Some((records, verdict)) => {
                    // RFC 4035 §3.2.3: AD only when every RRset of the authority section is
                    // authentic.
                    secure &= verdict.security == Security::Secure;
                    response.authorities.extend(records);
                }
                // RFC 4035 §3.1.4: without a DS, a signed parent's referral proves there is
                // none (Unbound `find_add_ds` adds the NSEC); such a delegation is not secure.
                None => {
                    let proof = self.cached_proof_of_no_ds(&zone, now);
                    secure &= proof.is_empty();
                    response.authorities.extend(proof);
                }
            }
        }
        if delegation.is_some() {
            self.count_validation(if secure {
                Security::Secure
            } else {
                Security::Insecure
            });
        }
        response.additionals =
            self.addresses_of(&targets, secure, dnssec_ok, now, Freshness::Fresh);
        // RFC 6840 §5.8: AD only for a client that set DO or AD.
        response.metadata.authentic_data = secure && (dnssec_ok || request.metadata.authentic_data);
        Some(response)
    }
}
