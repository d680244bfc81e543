//! One name of a CNAME chain as the cache knows it, in `lookup.rs`'s order: the RRset of the
//! type asked, else a CNAME, else a negative answer. One key serves all four probes.

use std::time::Duration;

use hickory_proto::rr::{DNSClass, Name, RecordType};

use crate::cache::key::{EntryKind, KeyBuffer};
use crate::cache::{CachedSet, Freshness, NegativeAnswer, RecordCache, Trust, Validation};

/// What the cache holds for one name (class IN).
#[derive(Debug, PartialEq)]
pub(crate) enum ChainLink {
    /// The RRset of the type asked.
    Answer(CachedSet),
    /// The name's CNAME RRset (never for a CNAME question).
    Alias(CachedSet),
    Negative(NegativeAnswer, Validation),
    Unknown,
}

impl RecordCache {
    /// The cache's word on (`name`, `qtype`): RRsets below `minimum` trust do not count. The
    /// RRSIGs come along only `with_signatures` (a DO client), so others decode none. With
    /// `Freshness::AllowStale` expired entries in their stale window count too (TTLs 0).
    pub(crate) fn chain_link(
        &self,
        name: &Name,
        qtype: RecordType,
        minimum: Trust,
        with_signatures: bool,
        now: Duration,
        freshness: Freshness,
    ) -> ChainLink {
        let class = DNSClass::IN;
        let Some(mut key) = KeyBuffer::for_name(name, qtype, class, EntryKind::RrSet) else {
            return ChainLink::Unknown;
        };
        let answer = self.cached_set_under(
            &mut key,
            name,
            qtype,
            class,
            minimum,
            with_signatures,
            now,
            freshness,
        );
        if let Some(set) = answer {
            return ChainLink::Answer(set);
        }
        if qtype != RecordType::CNAME {
            key.set_kind(EntryKind::RrSet, RecordType::CNAME);
            let cname = self.cached_set_under(
                &mut key,
                name,
                RecordType::CNAME,
                class,
                minimum,
                with_signatures,
                now,
                freshness,
            );
            if let Some(set) = cname {
                return ChainLink::Alias(set);
            }
        }
        match self.negative_under(&mut key, qtype, now, freshness) {
            Some((negative, validation)) => ChainLink::Negative(negative, validation),
            None => ChainLink::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::test_policy;
    use hickory_proto::rr::rdata::{A, CNAME, SOA};
    use hickory_proto::rr::RData;
    use hickory_proto::rr::Record;
    use std::net::Ipv4Addr;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    fn cache() -> RecordCache {
        RecordCache::new(100, test_policy())
    }

    /// The same answers as the separate `get_rrset` and `get_negative` lookups it replaces.
    #[test]
    fn links_agree_with_the_separate_lookups() {
        let cache = cache();
        let now = Duration::from_secs(1);
        let a = Record::from_rdata(
            name("a.test."),
            60,
            RData::A(A(Ipv4Addr::new(192, 0, 2, 1))),
        );
        let alias = Record::from_rdata(name("b.test."), 60, RData::CNAME(CNAME(name("a.test."))));
        let glue = Record::from_rdata(
            name("g.test."),
            60,
            RData::A(A(Ipv4Addr::new(192, 0, 2, 9))),
        );
        cache.insert_rrset(&[a], Trust::AnswerAuthoritative, Duration::ZERO);
        cache.insert_rrset(&[alias], Trust::AnswerAuthoritative, Duration::ZERO);
        cache.insert_rrset(&[glue], Trust::Glue, Duration::ZERO);
        let soa = Record::from_rdata(
            name("test."),
            60,
            RData::SOA(SOA::new(name("ns.test."), name("h.test."), 1, 2, 3, 4, 30)),
        );
        cache.insert_negative(
            &name("n.test."),
            DNSClass::IN,
            None,
            std::slice::from_ref(&soa),
            Duration::ZERO,
        );
        cache.insert_negative(
            &name("a.test."),
            DNSClass::IN,
            Some(RecordType::MX),
            &[soa],
            Duration::ZERO,
        );
        let minimum = Trust::AnswerNonAuthoritative;
        let get =
            |owner: &str, qtype| cache.get_rrset(&name(owner), qtype, DNSClass::IN, minimum, now);
        let negative =
            |owner: &str, qtype| cache.get_negative(&name(owner), qtype, DNSClass::IN, now);
        let link = |owner: &str, qtype| {
            cache.chain_link(&name(owner), qtype, minimum, false, now, Freshness::Fresh)
        };
        let set = |records: Option<Vec<Record>>| CachedSet {
            records: records.unwrap(),
            signatures: Vec::new(),
            validation: Validation::UNCHECKED,
        };
        assert_eq!(
            link("A.test.", RecordType::A),
            ChainLink::Answer(set(get("a.test.", RecordType::A)))
        );
        assert_eq!(
            link("b.test.", RecordType::A),
            ChainLink::Alias(set(get("b.test.", RecordType::CNAME)))
        );
        assert_eq!(
            link("b.test.", RecordType::CNAME),
            ChainLink::Answer(set(get("b.test.", RecordType::CNAME)))
        );
        assert_eq!(
            link("n.test.", RecordType::TXT),
            ChainLink::Negative(
                negative("n.test.", RecordType::TXT).unwrap(),
                Validation::UNCHECKED
            )
        );
        assert!(matches!(
            link("a.test.", RecordType::MX),
            ChainLink::Negative(NegativeAnswer::NoData(_), _)
        ));
        // Glue is below the answer trust: not an answer, and nothing else is known.
        assert_eq!(link("g.test.", RecordType::A), ChainLink::Unknown);
        assert_eq!(link("x.test.", RecordType::A), ChainLink::Unknown);
    }
}
