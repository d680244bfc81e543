//! The validator's word on a cached delegation handed out as a referral to a query without
//! recursion (Unbound: the iterator's cached referral through `validate_referral_response`).
//!
//! ```text
//! NS set unchecked ─▶ signed (the zone's own apex set): its RRSIGs against the signer's keys
//!                  └ unsigned (the parent's delegation, RFC 4035 §2.2): the chain at the zone
//!                       insecure ─▶ insecure   bogus ─▶ bogus   secure ─▶ not authentic: no AD
//! NS set secure ─▶ its servers' addresses signed by the same zone, checked (Unbound checks the
//!                  additional section with the referral's keys; the others stay out of it)
//! ```
//! States found are stored with the RRsets; the chain's DNSKEY/DS fetches take the query's
//! budget. Never builds a response.

use hickory_proto::rr::{DNSClass, Name, Record, RecordType};

use crate::cache::{CachedSet, Trust, Validation};
use crate::dnssec::signature::rrsig_of;
use crate::dnssec::validator::KeyState;
use crate::dnssec::Verdict;
use crate::iterate::budget::Budget;
use crate::resolver::Resolver;

impl Resolver {
    /// How secure the cached delegation to `zone` (its NS set `ns_set`, naming `targets`) is,
    /// checking what the validator has not seen yet.
    pub(crate) async fn cached_delegation_verdict(
        &self,
        zone: &Name,
        ns_set: &CachedSet,
        targets: &[Name],
        budget: &Budget,
    ) -> Verdict {
        let verdict = match ns_set.validation.security {
            Some(_) => ns_set.validation.verdict(zone),
            None if ns_set.signatures.is_empty() => {
                self.unsigned_delegation_verdict(zone, budget).await
            }
            None => {
                self.check_and_store(&ns_set.records, &ns_set.signatures, budget)
                    .await
            }
        };
        tracing::debug!(%zone, signed = !ns_set.signatures.is_empty(), stored = ?ns_set.validation.security, security = ?verdict.security, "cached delegation judged");
        if verdict.security == crate::dnssec::Security::Secure {
            if let Some(signer) = signer_of(&ns_set.signatures) {
                self.check_addresses_signed_by(&signer, targets, budget)
                    .await;
            }
        }
        verdict
    }

    /// RFC 4035 §2.2: the NS set at a delegation point is not signed (the parent is not
    /// authoritative for it), so the chain of trust at the zone says what it is: inside an
    /// insecure or bogus chain it is that; below a secure one it is unauthenticated data of a
    /// secure delegation, given without AD (RFC 4035 §3.2.3) and not stored as checked.
    async fn unsigned_delegation_verdict(&self, zone: &Name, budget: &Budget) -> Verdict {
        if self.config.dnssec.anchors.is_negative(zone) {
            return Verdict::insecure();
        }
        match self.zone_keys(zone, budget, 0, &[]).await {
            KeyState::Insecure => {
                self.store_checked(zone, RecordType::NS, Validation::INSECURE, None);
                Verdict::insecure()
            }
            KeyState::Bogus(reason, name) => Verdict::bogus(reason, &name),
            KeyState::Secure(_) => Verdict::insecure(),
        }
    }

    /// One cached RRset through `check_rrset` (its signer's keys, fetched as needed), its
    /// state stored.
    async fn check_and_store(
        &self,
        records: &[Record],
        signatures: &[Record],
        budget: &Budget,
    ) -> Verdict {
        let Some(first) = records.first() else {
            return Verdict::insecure();
        };
        let mut section = records.to_vec();
        section.extend(signatures.iter().cloned());
        let (verdict, verified) = self.check_rrset(records, &section, budget, 0, &[]).await;
        let now = self.clock.now();
        let trust = self
            .cache
            .trust_of(&first.name, first.record_type(), DNSClass::IN, now)
            .unwrap_or(Trust::Glue);
        let signatures: Vec<&Record> = signatures.iter().collect();
        self.cache.insert_validated(
            records,
            &signatures,
            trust,
            Validation::of(&verdict),
            verified.map(|verified| verified.ttl),
            now,
        );
        verdict
    }

    /// Stores a state for a cached RRset whose records need no signature check.
    fn store_checked(
        &self,
        owner: &Name,
        record_type: RecordType,
        validation: Validation,
        ttl_cap: Option<u32>,
    ) {
        let now = self.clock.now();
        let Some(set) = self
            .cache
            .get_set(owner, record_type, DNSClass::IN, Trust::Glue, now)
        else {
            return;
        };
        let trust = self
            .cache
            .trust_of(owner, record_type, DNSClass::IN, now)
            .unwrap_or(Trust::Glue);
        let signatures: Vec<&Record> = set.signatures.iter().collect();
        self.cache
            .insert_validated(&set.records, &signatures, trust, validation, ttl_cap, now);
    }

    /// The unchecked A/AAAA RRsets of `targets` that `signer` signed: checked with its keys
    /// (already known: they proved the NS set), so a secure referral can carry them.
    async fn check_addresses_signed_by(&self, signer: &Name, targets: &[Name], budget: &Budget) {
        for target in targets {
            for family in [RecordType::A, RecordType::AAAA] {
                let now = self.clock.now();
                let Some(set) = self
                    .cache
                    .get_set(target, family, DNSClass::IN, Trust::Glue, now)
                else {
                    continue;
                };
                if set.validation.security.is_some()
                    || signer_of(&set.signatures).as_ref() != Some(signer)
                {
                    continue;
                }
                self.check_and_store(&set.records, &set.signatures, budget)
                    .await;
            }
        }
    }
}

/// The zone that signed an RRset: the signer name of its first RRSIG.
fn signer_of(signatures: &[Record]) -> Option<Name> {
    signatures
        .iter()
        .find_map(rrsig_of)
        .map(|rrsig| rrsig.input().signer_name.clone())
}
