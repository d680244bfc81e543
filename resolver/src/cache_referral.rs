//! The answer to a query without recursion (RD=0, from a client allowed to snoop): the cache's
//! answer, else a referral to the closest delegation the cache holds. Never asks the network.
//!
//! ```text
//! RD=0 ─▶ resolve_from_cache ─▶ answer
//!            └ miss ─▶ closest cached NS set (DS parent side for a DS question)
//!                 ├ validating and unchecked ─▶ None (the validator has not seen it)
//!                 └ NS set (+ DS, RRSIGs for DO) in authority, its servers' addresses
//! ```

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};

use crate::cache::{Freshness, Trust};
use crate::resolver::Resolver;
use crate::response::response_skeleton;

impl Resolver {
    /// What a client that asked without recursion gets: the cached answer, or a referral to
    /// the closest cached delegation (Unbound `answer_norec_from_cache`). None when the cache
    /// has neither, or (validating, CD=0) its delegation has not been validated yet.
    pub fn answer_without_recursion(&self, request: &Message) -> Option<Message> {
        if let Some(response) = self.resolve_from_cache(request) {
            return Some(response);
        }
        self.referral_from_cache(request)
    }

    /// Unbound `dns_cache_find_delegation` answered as a referral: the NS set in authority
    /// (with its RRSIGs and the zone's DS for a DO client), the servers' addresses in
    /// additional; AD when the NS set is secure (only secure addresses then, as
    /// `deleg_remove_nonsecure_additional`); SERVFAIL when it is bogus.
    fn referral_from_cache(&self, request: &Message) -> Option<Message> {
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
        let validating = self.config.dnssec.enabled && !request.metadata.checking_disabled;
        if validating && ns_set.validation.security.is_none() {
            return None;
        }
        if validating && ns_set.validation.is_bogus() {
            return Some(response_skeleton(request, ResponseCode::ServFail));
        }
        let secure = validating && ns_set.validation.is_secure();
        let dnssec_ok = request
            .edns
            .as_ref()
            .is_some_and(|edns| edns.flags().dnssec_ok);
        let mut response = response_skeleton(request, ResponseCode::NoError);
        let targets: Vec<Name> = ns_set
            .records
            .iter()
            .filter_map(|record| match &record.data {
                RData::NS(target) => Some(target.0.clone()),
                _ => None,
            })
            .collect();
        response.authorities = ns_set.records;
        if dnssec_ok {
            response.authorities.extend(ns_set.signatures);
            if let Some(ds_set) = self
                .cache
                .get_set(&zone, RecordType::DS, DNSClass::IN, Trust::Glue, now)
                .filter(|ds_set| !ds_set.validation.is_bogus())
            {
                response.authorities.extend(ds_set.records);
                response.authorities.extend(ds_set.signatures);
            }
        }
        response.additionals =
            self.addresses_of(&targets, secure, dnssec_ok, now, Freshness::Fresh);
        // RFC 6840 §5.8: AD only for a client that set DO or AD.
        response.metadata.authentic_data = secure && (dnssec_ok || request.metadata.authentic_data);
        Some(response)
    }
}
