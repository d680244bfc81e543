//! The cache chain of `lookup_cached` on stored bytes: (wire name, type) → the cached RRsets of
//! the answer (CNAME links included) and the negative entry ending it. It never decodes or writes.
//!
//! Same steps, same order as `lookup.rs`: the RRset of the type asked, else a CNAME (its first
//! record, the chain goes on at its target), else a negative entry, else a miss (`None`). Loops and
//! over-long chains are `None` too: the slow path reports them.

use std::time::Duration;

use hickory_proto::rr::{DNSClass, RecordType};

use crate::cache::key::{EntryKind, KeyBuffer};
use crate::cache::{CachedNegative, CachedRrset, Trust, Validation};
use crate::limits::MAX_CNAME_CHAIN;
use crate::resolver::Resolver;

/// One answer RRset. Its owner is the question name for the first, and the target of the CNAME
/// before it for the others.
#[derive(Clone, Debug)]
pub(crate) struct CachedAnswer {
    pub(crate) record_type: RecordType,
    pub(crate) rrset: CachedRrset,
    /// A CNAME link: only its first record is sent, as `lookup` does.
    pub(crate) first_only: bool,
    /// The RRSIGs covering it, looked up only for a DO client.
    pub(crate) signatures: Option<CachedRrset>,
}

impl CachedAnswer {
    /// How many records of this RRset go into the answer.
    pub(crate) fn record_count(&self) -> usize {
        if self.first_only {
            self.rrset.count().min(1)
        } else {
            self.rrset.count()
        }
    }
}

/// Everything the cache says about a question: answer RRsets, and the negative entry (with its
/// SOA) when the chain ends in NXDOMAIN or NODATA.
#[derive(Clone, Debug)]
pub(crate) struct WireResolution {
    pub(crate) answers: Vec<CachedAnswer>,
    pub(crate) negative: Option<CachedNegative>,
}

impl WireResolution {
    /// The stored states of every part, answers then the negative entry.
    pub(crate) fn validations(&self) -> impl Iterator<Item = Validation> + '_ {
        self.answers
            .iter()
            .map(|answer| answer.rrset.validation())
            .chain(self.negative.iter().map(CachedNegative::validation))
    }

    pub(crate) fn is_nxdomain(&self) -> bool {
        self.negative
            .as_ref()
            .is_some_and(|negative| negative.nxdomain)
    }
}

impl Resolver {
    /// Whether a DNAME RRset is cached at a proper ancestor of `name` (wire form, uncompressed:
    /// each ancestor is a suffix starting at a label's length byte).
    fn dname_cached_above(&self, name: &[u8], minimum: Trust, now: Duration) -> bool {
        let mut start = 0;
        while let Some(&length) = name.get(start) {
            if length == 0 {
                return false;
            }
            start += 1 + usize::from(length);
            let Some(ancestor) = name.get(start..) else {
                return false;
            };
            if ancestor.len() > 1 {
                let Some(mut key) = KeyBuffer::for_wire_name(
                    ancestor,
                    RecordType::DNAME,
                    DNSClass::IN,
                    EntryKind::RrSet,
                ) else {
                    return false;
                };
                if self
                    .cache
                    .rrset_for_key(&mut key, RecordType::DNAME, minimum, now)
                    .is_some()
                {
                    return true;
                }
            }
        }
        false
    }

    /// The cached answer to (`qname` in wire form, `qtype`), or `None` where `lookup_cached`
    /// would need the network (or would report a loop). The RRSIGs come `with_signatures`.
    pub(crate) fn lookup_cached_wire(
        &self,
        qname: &[u8],
        qtype: RecordType,
        with_signatures: bool,
    ) -> Option<WireResolution> {
        let now = self.clock.now();
        let minimum = Trust::AnswerNonAuthoritative;
        let mut answers: Vec<CachedAnswer> = Vec::new();
        // The CNAME whose (first) target is the name looked up now; none for the question.
        let mut alias: Option<CachedRrset> = None;
        for _ in 0..=MAX_CNAME_CHAIN {
            let current = match &alias {
                None => qname,
                Some(cname) => cname.rdatas().next()?,
            };
            // One key per name, lower-cased once; each probe below switches its kind and type.
            let mut key = KeyBuffer::for_wire_name(current, qtype, DNSClass::IN, EntryKind::RrSet)?;
            if let Some(rrset) = self.cache.rrset_for_key(&mut key, qtype, minimum, now) {
                // RFC 4035 §3.1.3.3: a wildcard expansion goes to a DO client with its proof
                // in the authority section, which this path does not write: the message path
                // does.
                if with_signatures && self.cache.has_wildcard_proof_for_key(&mut key, qtype, now) {
                    return None;
                }
                // An unsigned CNAME asked for may be a DNAME's synthesis, which goes to the
                // client with its DNAME (RFC 6672 §3.4): the message path writes that.
                if qtype == RecordType::CNAME
                    && self
                        .cache
                        .signatures_for_key(&mut key, qtype, now)
                        .is_none()
                    && self.dname_cached_above(current, minimum, now)
                {
                    return None;
                }
                let signatures = with_signatures
                    .then(|| self.cache.signatures_for_key(&mut key, qtype, now))
                    .flatten();
                answers.push(CachedAnswer {
                    record_type: qtype,
                    rrset,
                    first_only: false,
                    signatures,
                });
                return Some(WireResolution {
                    answers,
                    negative: None,
                });
            }
            if crate::lookup::follows_cached_alias(qtype) {
                if let Some(cname) =
                    self.cache
                        .rrset_for_key(&mut key, RecordType::CNAME, minimum, now)
                {
                    if with_signatures
                        && self
                            .cache
                            .has_wildcard_proof_for_key(&mut key, RecordType::CNAME, now)
                    {
                        return None;
                    }
                    // An unsigned CNAME may be a DNAME's synthesis, which goes to the client
                    // with its DNAME (RFC 6672 §3.4): the message path writes that.
                    if self
                        .cache
                        .signatures_for_key(&mut key, RecordType::CNAME, now)
                        .is_none()
                        && self.dname_cached_above(current, minimum, now)
                    {
                        return None;
                    }
                    let target = cname.rdatas().next()?;
                    // RFC 1034 §3.6.2: a loop is an error, left to `lookup` to report.
                    let seen = std::iter::once(qname).chain(
                        answers
                            .iter()
                            .filter_map(|answer| answer.rrset.rdatas().next()),
                    );
                    if seen
                        .into_iter()
                        .any(|name| name.eq_ignore_ascii_case(target))
                    {
                        return None;
                    }
                    let signatures = with_signatures
                        .then(|| {
                            self.cache
                                .signatures_for_key(&mut key, RecordType::CNAME, now)
                        })
                        .flatten();
                    answers.push(CachedAnswer {
                        record_type: RecordType::CNAME,
                        rrset: cname.clone(),
                        first_only: true,
                        signatures,
                    });
                    alias = Some(cname);
                    continue;
                }
            }
            let negative = self.cache.negative_for_key(&mut key, qtype, now)?;
            return Some(WireResolution {
                answers,
                negative: Some(negative),
            });
        }
        None
    }
}
