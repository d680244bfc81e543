//! What a DNSKEY reply carries beside the keys: the zone's own NS set and its servers'
//! addresses, kept in the cache if the keys just proved them (never data that fails them).
//!
//! Unbound stores every RRset of every reply, its validator checking them when they are used;
//! here only what the zone's fresh keys verify is kept, so a referral handed out from the
//! cache (`cache_referral.rs`) is the zone's signed NS set with its addresses. It is stored
//! as not yet checked, at the rank of its section: the validator states it when it is used
//! (`cached_delegation.rs`; the verification is remembered, `verified.rs`), and an answer's own
//! checked copy replaces it. The checks come out of the query's signature allowance (KeyTrap).

use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::cache::{Trust, Validation};
use crate::dnssec::signature::{signatures_for, verify_rrset, RrsetCheck, ZoneKeys};
use crate::iterate::budget::Budget;
use crate::resolver::Resolver;

impl Resolver {
    /// Keeps `reply`'s NS set for `zone` (authority section) and the in-zone addresses of its
    /// servers (additional section), each only if `keys` verify its RRSIGs.
    pub(crate) fn keep_key_reply_sections(
        &self,
        zone: &Name,
        reply: &Message,
        keys: &ZoneKeys,
        budget: &Budget,
    ) {
        // forward-no-cache: nothing learned for the zone is kept.
        if self.in_no_cache_zone(zone) {
            return;
        }
        let authoritative = reply.metadata.authoritative;
        let ns_trust = if authoritative {
            Trust::AuthorityAuthoritative
        } else {
            Trust::Glue
        };
        if !self.keep_verified(
            &reply.authorities,
            zone,
            RecordType::NS,
            keys,
            budget,
            ns_trust,
        ) {
            return;
        }
        let address_trust = if authoritative {
            Trust::AdditionalAuthoritative
        } else {
            Trust::Glue
        };
        let targets = reply
            .authorities
            .iter()
            .filter_map(|record| match &record.data {
                RData::NS(target) if record.name == *zone && zone.zone_of(&target.0) => {
                    Some(target.0.clone())
                }
                _ => None,
            });
        for target in targets {
            for family in [RecordType::A, RecordType::AAAA] {
                self.keep_verified(
                    &reply.additionals,
                    &target,
                    family,
                    keys,
                    budget,
                    address_trust,
                );
            }
        }
    }

    /// The (`owner`, `record_type`) RRset of `section`, stored unchecked if `keys` verify it;
    /// whether they did.
    fn keep_verified(
        &self,
        section: &[Record],
        owner: &Name,
        record_type: RecordType,
        keys: &ZoneKeys,
        budget: &Budget,
        trust: Trust,
    ) -> bool {
        let rrset: Vec<&Record> = section
            .iter()
            .filter(|record| record.name == *owner && record.record_type() == record_type)
            .collect();
        if rrset.is_empty() {
            return false;
        }
        let signatures = signatures_for(section, owner, record_type);
        if signatures.is_empty() {
            return false;
        }
        let records: Vec<Record> = rrset.into_iter().cloned().collect();
        let RrsetCheck::Secure(verified) =
            verify_rrset(&records, &signatures, keys, self.check_context(budget))
        else {
            return false;
        };
        self.cache.insert_validated(
            &records,
            &signatures,
            trust,
            Validation::UNCHECKED,
            Some(verified.ttl),
            self.clock.now(),
        );
        true
    }
}
