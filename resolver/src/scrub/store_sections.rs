//! Keeps a final positive reply's authority and additional sections with its answer (minimal
//! responses off, or a wildcard answer's reply with its NSEC/NSEC3 proof: `repeats_sections_of`),
//! for `response_sections.rs` to repeat: Unbound's message cache, by RRset.
//!
//! Only scrubbed records inside the answering zone are kept, as `store_reply.rs` stores them.

use std::time::Duration;

use hickory_proto::op::Message;
use hickory_proto::rr::{DNSClass, Name, Record, RecordType};

use crate::cache::Trust;
use crate::resolver::Resolver;
use crate::scrub::spurious_ns::without_spurious_ns;
use crate::scrub::store_reply::group_rrsets;

impl Resolver {
    /// Keeps `reply`'s sections under the name its answer ends at (the last owner of a CNAME
    /// chain) and the question's type. They live as long as the shortest RRset of the whole
    /// reply as the cache now holds it (Unbound `store_rrsets`: an RRset the cache kept, being
    /// as good, counts with its own remaining TTL). Called once the reply's RRsets are stored.
    pub(crate) fn store_sections(&self, reply: &Message, zone: &Name, now: Duration) {
        let Some(question) = reply.queries.first() else {
            return;
        };
        let owner = reply
            .answers
            .iter()
            .rev()
            .find(|record| record.record_type() != RecordType::RRSIG)
            .map_or_else(|| question.name().clone(), |record| record.name.clone());
        let in_zone = |records: &[Record]| -> Vec<Record> {
            records
                .iter()
                .filter(|record| zone.zone_of(&record.name))
                .cloned()
                .collect()
        };
        let answers = in_zone(&reply.answers);
        let authorities = without_spurious_ns(&in_zone(&reply.authorities), &answers);
        let additionals = in_zone(&reply.additionals);
        let mut ttl = u32::MAX;
        for records in [&answers, &authorities, &additionals] {
            for rrset in group_rrsets(records) {
                let Some(first) = rrset.first() else { continue };
                if first.record_type() == RecordType::RRSIG {
                    continue;
                }
                let held = self
                    .cache
                    .get_rrset(
                        &first.name,
                        first.record_type(),
                        first.dns_class,
                        Trust::Glue,
                        now,
                    )
                    .and_then(|held| held.iter().map(|record| record.ttl).min());
                // Not held (TTL 0, or refused): its own TTL within the configured bounds.
                let ceiling = self.config.max_ttl.max(self.config.min_ttl);
                let received = rrset
                    .iter()
                    .map(|record| record.ttl)
                    .min()
                    .unwrap_or(0)
                    .clamp(self.config.min_ttl, ceiling);
                ttl = ttl.min(held.unwrap_or(received));
            }
        }
        if ttl == u32::MAX {
            return;
        }
        self.cache.insert_sections(
            &owner,
            question.query_type(),
            DNSClass::IN,
            &authorities,
            &additionals,
            ttl,
            now,
        );
    }

    /// With minimal responses off, keeps the additional section of a negative `reply` (no
    /// answer records) under its question, for as long as the negative answer lives (its
    /// `authorities` decide that, RFC 2308 §5) or the shortest RRset kept, whichever is less.
    /// The authority section goes with the negative entry itself.
    pub(crate) fn store_negative_additionals(
        &self,
        reply: &Message,
        zone: &Name,
        authorities: &[Record],
        now: Duration,
    ) {
        let Some(question) = reply.queries.first() else {
            return;
        };
        if self.config.minimal_responses || !reply.answers.is_empty() {
            return;
        }
        let additionals: Vec<Record> = reply
            .additionals
            .iter()
            .filter(|record| zone.zone_of(&record.name))
            .cloned()
            .collect();
        if additionals.is_empty() {
            return;
        }
        let ceiling = self.config.max_ttl.max(self.config.min_ttl);
        let shortest = additionals
            .iter()
            .map(|record| record.ttl.clamp(self.config.min_ttl, ceiling))
            .min()
            .unwrap_or(0);
        let ttl = shortest.min(self.cache.negative_ttl(authorities));
        self.cache.insert_sections(
            question.name(),
            question.query_type(),
            DNSClass::IN,
            &[],
            &additionals,
            ttl,
            now,
        );
    }
}
