//! Answers (name, type) from the cache where it can and walks where it cannot, chasing CNAMEs
//! across zones with loop and length limits. It never talks to the network itself.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::cache::{CachedSet, ChainLink, Freshness, NegativeAnswer, Trust, Validation};
use crate::dnssec::{Security, Verdict};
use crate::iterate::budget::Budget;
use crate::iterate::states::WalkResult;
use crate::limits::MAX_CNAME_CHAIN;
use crate::resolver::Resolver;
use crate::response::Resolution;

pub(crate) type LookupFuture<'a> = Pin<Box<dyn Future<Output = Resolution> + Send + 'a>>;

/// What the cache says about one name of the chain, with the validator's state of it.
enum CacheStep {
    Hit(CachedSet),
    /// The CNAME's first record, the RRSIGs covering it, its target.
    Alias(Vec<Record>, Validation, Name),
    Negative(NegativeAnswer, Validation),
    Miss,
}

/// What one cached link means for the whole chain.
enum ChainStep {
    /// The resolution is complete (an answer, or a negative answer, at the end of the chain).
    Done(Resolution),
    /// A CNAME: the chain goes on at this name.
    Next(Name),
    /// The cache does not know this name: a walk (or, from `lookup_cached`, nothing) follows.
    Miss,
}

impl Resolver {
    /// Resolves (qname, qtype): cache first, walking where it misses, chasing CNAMEs across zones.
    pub(crate) fn lookup<'a>(
        &'a self,
        qname: Name,
        qtype: RecordType,
        budget: &'a Budget,
        depth: u8,
        ancestors: Vec<(Name, RecordType)>,
    ) -> LookupFuture<'a> {
        Box::pin(async move {
            let mut answers: Vec<Record> = Vec::new();
            // Wildcard proofs of the links so far (RFC 4035 §3.1.3.3), for the authority section.
            let mut proofs: Vec<Record> = Vec::new();
            // The worst state of the links so far, cached or walked.
            let mut verdict = Verdict::secure();
            let mut current = qname;
            let mut seen: Vec<Name> = vec![current.clone()];
            for _ in 0..=MAX_CNAME_CHAIN {
                let step = self.chain_step_from_cache(
                    &current,
                    qtype,
                    &mut answers,
                    &mut proofs,
                    &mut verdict,
                    true,
                    Freshness::Fresh,
                );
                let target = match step {
                    ChainStep::Done(resolution) => return resolution,
                    ChainStep::Next(target) => target,
                    ChainStep::Miss => {
                        if qtype == RecordType::DS {
                            if let Some((records, ds_verdict)) = self
                                .cached_referral_ds(&current, budget, depth, &ancestors)
                                .await
                            {
                                extend_unique(&mut answers, records);
                                return Resolution {
                                    response_code: ResponseCode::NoError,
                                    answers,
                                    authorities: proofs,
                                    verdict: verdict.worst(ds_verdict),
                                };
                            }
                        }
                        // RFC 8198: cached secure NSEC records may answer with no walk at all.
                        let synthesized = self.synthesized(&current, qtype, budget);
                        let (result, step_verdict, proof) = match synthesized {
                            Some(synthesized) => synthesized,
                            None => {
                                if ancestors.iter().any(|(name, record_type)| {
                                    *name == current && *record_type == qtype
                                }) {
                                    tracing::debug!(name = %current, %qtype, "dependency cycle");
                                    return Resolution::server_failure();
                                }
                                if self.failures.has_failed(&current, qtype, self.clock.now()) {
                                    // RFC 9520 §3.2: a recent failure is answered from the cache.
                                    tracing::debug!(name = %current, %qtype, "failed recently");
                                    return Resolution::server_failure();
                                }
                                self.walk_validated(
                                    current.clone(),
                                    qtype,
                                    budget,
                                    depth,
                                    ancestors.clone(),
                                    Duration::ZERO,
                                )
                                .await
                            }
                        };
                        verdict = verdict.worst(step_verdict);
                        extend_unique(&mut proofs, proof);
                        match result {
                            WalkResult::Answer(records) => {
                                extend_unique(&mut answers, records);
                                return Resolution {
                                    response_code: ResponseCode::NoError,
                                    answers,
                                    authorities: proofs,
                                    verdict: verdict.clone(),
                                };
                            }
                            WalkResult::CName { records, target } => {
                                extend_unique(&mut answers, records);
                                target
                            }
                            WalkResult::NoData(authorities) => {
                                extend_unique(&mut proofs, authorities);
                                return Resolution {
                                    response_code: ResponseCode::NoError,
                                    answers,
                                    authorities: proofs,
                                    verdict: verdict.clone(),
                                };
                            }
                            WalkResult::NxDomain(authorities) => {
                                extend_unique(&mut proofs, authorities);
                                return Resolution {
                                    response_code: ResponseCode::NXDomain,
                                    answers,
                                    authorities: proofs,
                                    verdict: verdict.clone(),
                                };
                            }
                            WalkResult::YxDomain(records) => {
                                extend_unique(&mut answers, records);
                                return Resolution {
                                    response_code: ResponseCode::YXDomain,
                                    answers,
                                    authorities: Vec::new(),
                                    verdict: verdict.clone(),
                                };
                            }
                            WalkResult::ServFail(reason) => {
                                tracing::debug!(name = %current, %qtype, reason, "server failure");
                                self.failures.insert(&current, qtype, self.clock.now());
                                return Resolution {
                                    verdict,
                                    ..Resolution::server_failure()
                                };
                            }
                        }
                    }
                };
                if seen.contains(&target) {
                    // RFC 1034 §3.6.2: a CNAME loop is an error; the chain so far goes along
                    // with the SERVFAIL, as Unbound does.
                    tracing::debug!(name = %target, "CNAME loop");
                    return Resolution {
                        response_code: ResponseCode::ServFail,
                        answers,
                        authorities: Vec::new(),
                        verdict,
                    };
                }
                seen.push(target.clone());
                current = target;
            }
            tracing::debug!("CNAME chain longer than {MAX_CNAME_CHAIN}");
            Resolution::server_failure()
        })
    }

    /// The answer to (qname, qtype) if the cache alone gives it: the same chain of steps as
    /// `lookup`, stopping (None) at the first name the cache does not know. Synchronous, so a
    /// cache hit needs no task, no in-flight entry and no future.
    /// The RRSIGs of cached RRsets come along only `with_signatures` (a DO client).
    pub(crate) fn lookup_cached(
        &self,
        qname: &Name,
        qtype: RecordType,
        with_signatures: bool,
    ) -> Option<Resolution> {
        self.lookup_cached_with(qname, qtype, with_signatures, Freshness::Fresh)
    }

    /// `lookup_cached`, expired links in their stale window included with `AllowStale`
    /// (RFC 8767): their TTLs read 0 and the caller sets the stale reply TTL.
    pub(crate) fn lookup_cached_with(
        &self,
        qname: &Name,
        qtype: RecordType,
        with_signatures: bool,
        freshness: Freshness,
    ) -> Option<Resolution> {
        let mut answers: Vec<Record> = Vec::new();
        let mut proofs: Vec<Record> = Vec::new();
        let mut verdict = Verdict::secure();
        let mut current = qname.clone();
        let mut seen: Vec<Name> = vec![current.clone()];
        for _ in 0..=MAX_CNAME_CHAIN {
            let step = self.chain_step_from_cache(
                &current,
                qtype,
                &mut answers,
                &mut proofs,
                &mut verdict,
                with_signatures,
                freshness,
            );
            let target = match step {
                ChainStep::Done(resolution) => return Some(resolution),
                ChainStep::Next(target) => target,
                ChainStep::Miss => return None,
            };
            // Loops and over-long chains are left to `lookup`, which reports them.
            if seen.contains(&target) {
                return None;
            }
            seen.push(target.clone());
            current = target;
        }
        None
    }

    /// One link of the chain from the cache alone: `answers` (the chain so far) gains what the
    /// cache holds for `current`, `verdict` its stored state (no crypto on a hit), and the step
    /// says whether the resolution is complete. `proofs` gains the wildcard proof stored beside
    /// a wildcard-expanded link (RFC 4035 §3.1.3.3), `with_signatures` (a DO client) only; an
    /// answer carries them as its authority section.
    #[allow(clippy::too_many_arguments)]
    fn chain_step_from_cache(
        &self,
        current: &Name,
        qtype: RecordType,
        answers: &mut Vec<Record>,
        proofs: &mut Vec<Record>,
        verdict: &mut Verdict,
        with_signatures: bool,
        freshness: Freshness,
    ) -> ChainStep {
        self.store_deferred();
        // forward-no-cache: the name is asked upstream every time.
        if self.in_no_cache_zone(current) {
            return ChainStep::Miss;
        }
        let finished = |response_code, answers: &mut Vec<Record>, authorities, verdict| {
            ChainStep::Done(Resolution {
                response_code,
                answers: std::mem::take(answers),
                authorities,
                verdict,
            })
        };
        match self.answer_from_cache(current, qtype, with_signatures, freshness) {
            CacheStep::Hit(_) if self.kept_message_expired(current, qtype, freshness) => {
                ChainStep::Miss
            }
            CacheStep::Hit(set) => {
                extend_unique(answers, set.records);
                extend_unique(answers, set.signatures);
                if with_signatures {
                    proofs.extend(self.cached_wildcard_proof(current, qtype, freshness));
                }
                let verdict = self.fold_verdict(verdict, set.validation, current);
                finished(
                    ResponseCode::NoError,
                    answers,
                    std::mem::take(proofs),
                    verdict,
                )
            }
            CacheStep::Alias(records, state, target) => {
                extend_unique(answers, records);
                if with_signatures {
                    proofs.extend(self.cached_wildcard_proof(
                        current,
                        RecordType::CNAME,
                        freshness,
                    ));
                }
                *verdict = self.fold_verdict(verdict, state, current);
                ChainStep::Next(target)
            }
            CacheStep::Negative(NegativeAnswer::NxDomain(authorities), state) => {
                let verdict = self.fold_verdict(verdict, state, current);
                let mut all = std::mem::take(proofs);
                extend_unique(&mut all, authorities);
                finished(ResponseCode::NXDomain, answers, all, verdict)
            }
            CacheStep::Negative(NegativeAnswer::NoData(authorities), state) => {
                let verdict = self.fold_verdict(verdict, state, current);
                let mut all = std::mem::take(proofs);
                extend_unique(&mut all, authorities);
                finished(ResponseCode::NoError, answers, all, verdict)
            }
            CacheStep::Miss => ChainStep::Miss,
        }
    }

    /// Where answers repeat their kept sections, whether the reply that gave the cached answer has expired as
    /// a whole (one of its RRsets, in any section, has): Unbound's message cache misses then
    /// and asks again, though the answer RRset itself may still be fresh (rrset_use_cached).
    fn kept_message_expired(&self, name: &Name, qtype: RecordType, freshness: Freshness) -> bool {
        self.keeps_sections(qtype)
            && self.cache.sections(
                name,
                qtype,
                hickory_proto::rr::DNSClass::IN,
                self.clock.now(),
                freshness,
                None,
            ) == crate::cache::StoredSections::Expired
    }

    /// The wildcard proof stored beside the cached RRset (`name`, `record_type`), if any.
    fn cached_wildcard_proof(
        &self,
        name: &Name,
        record_type: RecordType,
        freshness: Freshness,
    ) -> Vec<Record> {
        self.cache
            .wildcard_proof(
                name,
                record_type,
                hickory_proto::rr::DNSClass::IN,
                self.clock.now(),
                freshness,
            )
            .unwrap_or_default()
    }

    /// The chain's verdict so far, worsened by a cached link's stored state.
    fn fold_verdict(&self, verdict: &Verdict, state: Validation, owner: &Name) -> Verdict {
        verdict.clone().worst(self.cached_verdict(state, owner))
    }

    /// The verdict a cached link carries: its stored state, insecure with validation off.
    fn cached_verdict(&self, state: Validation, owner: &Name) -> Verdict {
        if self.config.dnssec.enabled {
            state.verdict(owner)
        } else {
            Verdict::insecure()
        }
    }

    /// Whether a cached state may answer: unchecked data may not while validating (it was
    /// never looked at by the validator: glue, priming, a referral's proof).
    fn answerable(&self, state: Validation) -> bool {
        !self.config.dnssec.enabled || state.security.is_some()
    }

    /// The cached DNAME at an ancestor of `name` that rewrites it to `target`: the source of an
    /// unsigned cached CNAME, which a response carries with it (Unbound stores the DNAME with
    /// the chain; val_dnametopos). At most one lookup per label of `name`.
    fn cached_dname_of(
        &self,
        name: &Name,
        target: &Name,
        with_signatures: bool,
        freshness: Freshness,
    ) -> Option<CachedSet> {
        let now = self.clock.now();
        let labels = usize::from(name.num_labels());
        (1..labels).rev().find_map(|keep| {
            let owner = name.trim_to(keep);
            let mut set = self.cache.get_set_with(
                &owner,
                RecordType::DNAME,
                hickory_proto::rr::DNSClass::IN,
                Trust::AnswerNonAuthoritative,
                now,
                freshness,
            )?;
            let rewrites = set.records.first().is_some_and(|dname| {
                crate::scrub::scrubber::dname_target(dname)
                    .and_then(|to| crate::scrub::scrubber::synthesize_cname(name, &owner, &to, 0))
                    .is_some_and(|(_, synthesized)| synthesized == *target)
            });
            if !with_signatures {
                set.signatures.clear();
            }
            rewrites.then_some(set)
        })
    }

    fn answer_from_cache(
        &self,
        name: &Name,
        qtype: RecordType,
        with_signatures: bool,
        freshness: Freshness,
    ) -> CacheStep {
        let minimum = Trust::AnswerNonAuthoritative;
        let now = self.clock.now();
        match self
            .cache
            .chain_link(name, qtype, minimum, with_signatures, now, freshness)
        {
            ChainLink::Answer(set) if self.answerable(set.validation) => {
                CacheStep::Hit(self.with_source_dname(name, qtype, set, with_signatures, freshness))
            }
            // A cached CNAME is the child side's: a DS question belongs to the parent side
            // of the name and is asked there (Unbound `dns_cache_lookup` skips it the same way).
            // An ANY question is not chased through one either (`follows_chain`).
            ChainLink::Alias(set)
                if follows_cached_alias(qtype) && self.answerable(set.validation) =>
            {
                let Some(record) = set.records.into_iter().next() else {
                    return CacheStep::Miss;
                };
                match &record.data {
                    RData::CNAME(target) => {
                        let target = target.0.clone();
                        let mut validation = set.validation;
                        let mut records = Vec::new();
                        if set.signatures.is_empty() {
                            // RFC 6672 §3.4: a synthesized CNAME goes with its DNAME.
                            if let Some(dname) =
                                self.cached_dname_of(name, &target, with_signatures, freshness)
                            {
                                validation = dname.validation;
                                records.extend(dname.records);
                                records.extend(dname.signatures);
                            }
                        }
                        records.push(record);
                        records.extend(set.signatures);
                        CacheStep::Alias(records, validation, target)
                    }
                    _ => CacheStep::Miss,
                }
            }
            ChainLink::Negative(negative, state) if self.answerable(state) => {
                CacheStep::Negative(negative, state)
            }
            ChainLink::Unknown if qtype != RecordType::DS => {
                match self.synthesized_from_cached_dname(name, with_signatures, freshness) {
                    // The synthesized CNAME answers a CNAME question; no chase (val_cnameqtype_qmin).
                    Some(CacheStep::Alias(records, validation, _))
                        if qtype == RecordType::CNAME =>
                    {
                        CacheStep::Hit(CachedSet {
                            records,
                            signatures: Vec::new(),
                            validation,
                        })
                    }
                    Some(step) => step,
                    None => self.nxdomain_above(name, freshness),
                }
            }
            _ => self.nxdomain_above(name, freshness),
        }
    }

    /// A CNAME question answered by an unsigned cached CNAME that a cached DNAME synthesizes:
    /// the DNAME (and its RRSIGs for DO) goes first, in its state (RFC 6672 §3.4; Unbound
    /// `dns_cache_lookup` resynthesizes from the DNAME before it looks at CNAMEs).
    fn with_source_dname(
        &self,
        name: &Name,
        qtype: RecordType,
        set: CachedSet,
        with_signatures: bool,
        freshness: Freshness,
    ) -> CachedSet {
        if qtype != RecordType::CNAME || !set.signatures.is_empty() {
            return set;
        }
        let Some(RData::CNAME(target)) = set.records.first().map(|record| &record.data) else {
            return set;
        };
        let Some(dname) = self.cached_dname_of(name, &target.0, with_signatures, freshness) else {
            return set;
        };
        let mut records = dname.records;
        records.extend(dname.signatures);
        records.extend(set.records);
        CachedSet {
            records,
            signatures: Vec::new(),
            validation: dname.validation,
        }
    }

    /// RFC 6672 §3.2, Unbound `synth_dname_msg`: a name the cache does not know, below a cached
    /// secure DNAME, is rewritten without asking: the DNAME (and its RRSIGs for DO) and the CNAME
    /// synthesized from it, in the DNAME's state. At most one lookup per label of `name`.
    fn synthesized_from_cached_dname(
        &self,
        name: &Name,
        with_signatures: bool,
        freshness: Freshness,
    ) -> Option<CacheStep> {
        let now = self.clock.now();
        let labels = usize::from(name.num_labels());
        (1..labels).rev().find_map(|keep| {
            let owner = name.trim_to(keep);
            let set = self.cache.get_set_with(
                &owner,
                RecordType::DNAME,
                hickory_proto::rr::DNSClass::IN,
                Trust::AnswerNonAuthoritative,
                now,
                freshness,
            )?;
            // Only a secure DNAME rewrites from the cache (Unbound `dns_cache_lookup`): an
            // unsigned one may have been planted beside another answer (iter_scrub_dname_insec).
            if !set.validation.is_secure() || !self.answerable(set.validation) {
                return None;
            }
            let dname = set.records.first()?;
            let to = crate::scrub::scrubber::dname_target(dname)?;
            let (cname, target) =
                crate::scrub::scrubber::synthesize_cname(name, &owner, &to, dname.ttl)?;
            let mut records = set.records.clone();
            if with_signatures {
                records.extend(set.signatures);
            }
            records.push(cname);
            Some(CacheStep::Alias(records, set.validation, target))
        })
    }

    /// RFC 8020 (Unbound `harden-below-nxdomain`): a name below one proved not to exist does
    /// not exist either. Only a DNSSEC-secure NXDOMAIN is believed for the names below it: an
    /// unsigned one may come from a server that mishandles empty non-terminals (RFC 8020 §4).
    fn nxdomain_above(&self, name: &Name, freshness: Freshness) -> CacheStep {
        // A name under a negative trust anchor is not validated, so no proof reaches it.
        if !self.config.harden_below_nxdomain
            || !self.config.dnssec.enabled
            || self.config.dnssec.anchors.is_negative(name)
        {
            return CacheStep::Miss;
        }
        let now = self.clock.now();
        // Names at or below a stub or forward zone are that zone's servers' to deny: an
        // NXDOMAIN above the zone does not reach into it (Unbound, stop_nxdomain_minimised).
        let floor = match self.configured_zone(name, &[]) {
            Some(crate::iterate::find_delegation::ConfiguredSource::Forward(zone)) => {
                zone.suffix.num_labels()
            }
            Some(crate::iterate::find_delegation::ConfiguredSource::Stub(zone)) => {
                zone.suffix.num_labels()
            }
            None => 0,
        };
        let mut ancestor = name.clone();
        while ancestor.num_labels() > floor.max(1) {
            ancestor = ancestor.base_name();
            let link = self.cache.chain_link(
                &ancestor,
                RecordType::A,
                Trust::AnswerNonAuthoritative,
                false,
                now,
                freshness,
            );
            if let ChainLink::Negative(NegativeAnswer::NxDomain(authorities), state) = link {
                if state.security == Some(Security::Secure) {
                    return CacheStep::Negative(NegativeAnswer::NxDomain(authorities), state);
                }
            }
        }
        CacheStep::Miss
    }
}

/// Whether a cached CNAME at the name answers (qname, `qtype`) as a link to chase: not for DS
/// (the parent side's) nor ANY (the CNAME is one of the name's RRsets). The wire path
/// (`cache/wire_lookup.rs`) asks the same.
pub(crate) fn follows_cached_alias(qtype: RecordType) -> bool {
    qtype != RecordType::DS && crate::scrub::classify::follows_chain(qtype)
}

/// Appends the records `to` does not hold yet (TTLs aside): a response shows an RRset once,
/// though a CNAME link and the final reply of a zone often carry the same NSEC records, and a
/// DNAME that rewrites two links of a chain comes with both (val_dname_twice).
fn extend_unique(to: &mut Vec<Record>, records: Vec<Record>) {
    for record in records {
        let held = to.iter().any(|kept| {
            kept.name == record.name
                && kept.record_type() == record.record_type()
                && kept.data == record.data
        });
        if !held {
            to.push(record);
        }
    }
}
