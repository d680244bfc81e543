//! The authority and additional sections kept with an answer (`scrub/store_sections.rs`), read
//! back RRset by RRset against the RRset cache: the cache's copy wins (TTLs counted down, newer data).
//!
//! Unbound's message cache the same (`services/cache/dns.c` `tomsg`): a message names its RRsets,
//! and what the RRset cache holds for each is what is sent. Never fetches anything.

use std::time::Duration;

use hickory_proto::rr::{Record, RecordType};

use crate::cache::{Freshness, Trust};
use crate::resolver::Resolver;
use crate::scrub::group_rrsets;

/// The RRset type a record belongs to: the covered type for an RRSIG.
fn set_type(record: &Record) -> RecordType {
    crate::dnssec::signature::rrsig_of(record)
        .map(|rrsig| rrsig.input().type_covered)
        .unwrap_or(record.record_type())
}

impl Resolver {
    /// `authorities` and `additionals` as kept, each RRset replaced by the cache's copy when the
    /// cache holds one; RRSIGs only `with_signatures`. Beside a `secure` answer (Unbound
    /// `val_check_nonsecure`): an NS set in authority that is not secure goes, and with it the
    /// whole additional section; an additional RRset that is not secure goes
    /// (`val-clean-additional`). A kept copy the cache no longer holds counts as not secure.
    pub(crate) fn current_sections(
        &self,
        authorities: &[Record],
        additionals: &[Record],
        secure: bool,
        with_signatures: bool,
        now: Duration,
        freshness: Freshness,
    ) -> (Vec<Record>, Vec<Record>) {
        let mut insecure_ns = false;
        let authorities = self.current_section(
            authorities,
            secure,
            with_signatures,
            now,
            freshness,
            |record_type| {
                if record_type == RecordType::NS {
                    insecure_ns = true;
                }
            },
        );
        if insecure_ns {
            return (authorities, Vec::new());
        }
        let additionals =
            self.current_section(additionals, secure, with_signatures, now, freshness, |_| {});
        (authorities, additionals)
    }

    /// One section: RRsets in kept order, each from the cache if held there. `dropped` hears
    /// the type of each RRset left out for not being secure beside a `secure` answer.
    fn current_section(
        &self,
        kept: &[Record],
        secure: bool,
        with_signatures: bool,
        now: Duration,
        freshness: Freshness,
        mut dropped: impl FnMut(RecordType),
    ) -> Vec<Record> {
        let mut section = Vec::new();
        for rrset in group_rrsets(kept) {
            let Some(first) = rrset.first() else { continue };
            if first.record_type() == RecordType::RRSIG {
                // Kept RRSIGs go with the RRset they cover, below.
                continue;
            }
            let (name, record_type, class) = (&first.name, first.record_type(), first.dns_class);
            let held =
                self.cache
                    .get_set_with(name, record_type, class, Trust::Glue, now, freshness);
            let (records, signatures, is_secure) = match held {
                Some(set) => (set.records, set.signatures, set.validation.is_secure()),
                None => {
                    let signatures = kept
                        .iter()
                        .filter(|record| {
                            record.record_type() == RecordType::RRSIG
                                && record.name == *name
                                && set_type(record) == record_type
                        })
                        .cloned()
                        .collect();
                    (rrset.into_iter().cloned().collect(), signatures, false)
                }
            };
            if secure && !is_secure {
                dropped(record_type);
                continue;
            }
            section.extend(records);
            if with_signatures {
                section.extend(signatures);
            }
        }
        section
    }
}
