//! Answers (name, type) from the cache where it can and walks where it cannot, chasing CNAMEs
//! across zones with loop and length limits. It never talks to the network itself.

use std::future::Future;
use std::pin::Pin;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::cache::{ChainLink, NegativeAnswer, Trust};
use crate::dnssec::Verdict;
use crate::iterate::budget::Budget;
use crate::iterate::states::WalkResult;
use crate::limits::MAX_CNAME_CHAIN;
use crate::resolver::Resolver;
use crate::response::Resolution;

pub(crate) type LookupFuture<'a> = Pin<Box<dyn Future<Output = Resolution> + Send + 'a>>;

/// What the cache says about one name of the chain.
enum CacheStep {
    Hit(Vec<Record>),
    Alias(Box<Record>, Name),
    Negative(NegativeAnswer),
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
            // Parts answered from the cache carry no stored status yet: insecure (never AD).
            let mut verdict = Verdict::secure();
            let mut from_cache = false;
            let mut current = qname;
            let mut seen: Vec<Name> = vec![current.clone()];
            for _ in 0..=MAX_CNAME_CHAIN {
                let target = match self.chain_step_from_cache(&current, qtype, &mut answers) {
                    ChainStep::Done(resolution) => {
                        return Resolution {
                            verdict: verdict.worst(Verdict::insecure()),
                            ..resolution
                        }
                    }
                    ChainStep::Next(target) => {
                        from_cache = true;
                        target
                    }
                    ChainStep::Miss => {
                        if ancestors
                            .iter()
                            .any(|(name, record_type)| *name == current && *record_type == qtype)
                        {
                            tracing::debug!(name = %current, %qtype, "dependency cycle");
                            return Resolution::server_failure();
                        }
                        if self.failures.has_failed(&current, qtype, self.clock.now()) {
                            // RFC 9520 §3.2: a recent failure is answered from the cache.
                            tracing::debug!(name = %current, %qtype, "failed recently");
                            return Resolution::server_failure();
                        }
                        let (result, step_verdict) = self
                            .walk_validated(
                                current.clone(),
                                qtype,
                                budget,
                                depth,
                                ancestors.clone(),
                            )
                            .await;
                        verdict = verdict.worst(step_verdict);
                        match result {
                            WalkResult::Answer(records) => {
                                answers.extend(records);
                                return Resolution {
                                    response_code: ResponseCode::NoError,
                                    answers,
                                    authorities: Vec::new(),
                                    verdict: cached_part(verdict, from_cache),
                                };
                            }
                            WalkResult::CName { records, target } => {
                                answers.extend(records);
                                target
                            }
                            WalkResult::NoData(authorities) => {
                                return Resolution {
                                    response_code: ResponseCode::NoError,
                                    answers,
                                    authorities,
                                    verdict: cached_part(verdict, from_cache),
                                };
                            }
                            WalkResult::NxDomain(authorities) => {
                                return Resolution {
                                    response_code: ResponseCode::NXDomain,
                                    answers,
                                    authorities,
                                    verdict: cached_part(verdict, from_cache),
                                };
                            }
                            WalkResult::YxDomain(records) => {
                                answers.extend(records);
                                return Resolution {
                                    response_code: ResponseCode::YXDomain,
                                    answers,
                                    authorities: Vec::new(),
                                    verdict: cached_part(verdict, from_cache),
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
    pub(crate) fn lookup_cached(&self, qname: &Name, qtype: RecordType) -> Option<Resolution> {
        let mut answers: Vec<Record> = Vec::new();
        let mut current = qname.clone();
        let mut seen: Vec<Name> = vec![current.clone()];
        for _ in 0..=MAX_CNAME_CHAIN {
            let target = match self.chain_step_from_cache(&current, qtype, &mut answers) {
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
    /// cache holds for `current`, and the step says whether the resolution is complete.
    fn chain_step_from_cache(
        &self,
        current: &Name,
        qtype: RecordType,
        answers: &mut Vec<Record>,
    ) -> ChainStep {
        self.store_deferred();
        let finished = |response_code, answers: &mut Vec<Record>, authorities| {
            ChainStep::Done(Resolution {
                response_code,
                answers: std::mem::take(answers),
                authorities,
                verdict: Verdict::insecure(),
            })
        };
        match self.answer_from_cache(current, qtype) {
            CacheStep::Hit(records) => {
                answers.extend(records);
                finished(ResponseCode::NoError, answers, Vec::new())
            }
            CacheStep::Alias(record, target) => {
                answers.push(*record);
                ChainStep::Next(target)
            }
            CacheStep::Negative(NegativeAnswer::NxDomain(authorities)) => {
                finished(ResponseCode::NXDomain, answers, authorities)
            }
            CacheStep::Negative(NegativeAnswer::NoData(authorities)) => {
                finished(ResponseCode::NoError, answers, authorities)
            }
            CacheStep::Miss => ChainStep::Miss,
        }
    }

    fn answer_from_cache(&self, name: &Name, qtype: RecordType) -> CacheStep {
        let minimum = Trust::AnswerNonAuthoritative;
        match self
            .cache
            .chain_link(name, qtype, minimum, self.clock.now())
        {
            ChainLink::Answer(records) => CacheStep::Hit(records),
            ChainLink::Alias(records) => match records.into_iter().next() {
                Some(record) => match &record.data {
                    RData::CNAME(target) => {
                        let target = target.0.clone();
                        CacheStep::Alias(Box::new(record), target)
                    }
                    _ => CacheStep::Miss,
                },
                None => CacheStep::Miss,
            },
            ChainLink::Negative(negative) => CacheStep::Negative(negative),
            ChainLink::Unknown => CacheStep::Miss,
        }
    }
}

/// A resolution partly answered from the cache: the cached links have no stored status, so the
/// whole is at best insecure.
fn cached_part(verdict: Verdict, from_cache: bool) -> Verdict {
    if from_cache {
        verdict.worst(Verdict::insecure())
    } else {
        verdict
    }
}
