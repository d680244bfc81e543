//! A zone's SOA as its latest negative answer gave it: a negative answer cached earlier shows
//! that renewed TTL for its SOA and the SOA's RRSIGs, as Unbound's message cache (whose
//! entries refer to the rrset cache's SOA) does when a prefetch or another name renews it.

use std::time::Duration;

use hickory_proto::rr::{DNSClass, Record, RecordType};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder, NameEncoding};

use crate::cache::entry::WireEntry;
use crate::cache::key::{EntryKind, KeyBuffer};
use crate::cache::{remaining_seconds, RecordCache, Trust, Validation};
use crate::server::plain_query::uncompressed_name_length;

/// Type (2), class (2), TTL (4), RDLENGTH (2) after a stored record's owner.
const RECORD_FIXED_BYTES: usize = 10;

impl RecordCache {
    /// Remembers `soa` of a negative answer stored at `now` for `ttl` seconds.
    pub(super) fn remember_negative_soa(
        &self,
        soa: &Record,
        ttl: u32,
        validation: Validation,
        now: Duration,
    ) {
        let Some(key) = Self::key(
            &soa.name,
            RecordType::SOA,
            soa.dns_class,
            EntryKind::NegativeSoa,
        ) else {
            return;
        };
        if let Ok(entry) =
            WireEntry::rrset(&[soa], now, ttl, Trust::AuthorityAuthoritative, validation)
        {
            self.entries.insert(key.as_bytes(), entry);
        }
    }

    /// The TTL a negative answer stored at `since`, whose SOA (RDATA `rdata`, key `key`) shows
    /// `shown` seconds now, gives that SOA instead: what is left of the same SOA remembered by
    /// a later negative answer, when more. Never with `original_ttl`, nor from bogus data.
    fn renewed_soa_ttl(
        &self,
        key: &KeyBuffer,
        rdata: &[u8],
        since: Duration,
        shown: u32,
        now: Duration,
    ) -> Option<u32> {
        if self.expiry.original_ttl {
            return None;
        }
        let renewal = self.live(key, now)?;
        if renewal.stored_at() <= since
            || renewal.validation().is_bogus()
            || !renewal.rdatas().any(|stored| stored == rdata)
        {
            return None;
        }
        let ttl = remaining_seconds(renewal.expires(), now);
        (ttl > shown).then_some(ttl)
    }

    /// `renewed_soa_ttl` for decoded records: the SOA and its RRSIGs get the renewed TTL.
    pub(super) fn renew_soa_records(&self, records: &mut [Record], since: Duration, now: Duration) {
        let Some(soa) = records
            .iter()
            .find(|record| record.record_type() == RecordType::SOA)
        else {
            return;
        };
        let Some(key) = Self::key(
            &soa.name,
            RecordType::SOA,
            DNSClass::IN,
            EntryKind::NegativeSoa,
        ) else {
            return;
        };
        let mut rdata = Vec::new();
        let mut encoder = BinEncoder::new(&mut rdata);
        encoder.set_name_encoding(NameEncoding::Uncompressed);
        if soa.data.emit(&mut encoder).is_err() {
            return;
        }
        let owner = soa.name.clone();
        let Some(ttl) = self.renewed_soa_ttl(&key, &rdata, since, soa.ttl, now) else {
            return;
        };
        for record in records.iter_mut() {
            let covers_soa = record.record_type() == RecordType::SOA
                || crate::dnssec::signature::rrsig_of(record)
                    .is_some_and(|rrsig| rrsig.input().type_covered == RecordType::SOA);
            if covers_soa && record.name == owner {
                record.ttl = ttl;
            }
        }
    }

    /// `renewed_soa_ttl` for a stored negative entry's whole records (the wire path), each TTL
    /// shown less `elapsed`.
    pub(super) fn renewed_soa_ttl_of(
        &self,
        entry: &WireEntry,
        elapsed: u32,
        now: Duration,
    ) -> Option<u32> {
        let (owner, ttl, rdata) = stored_soa(entry.record_bytes(), entry.count())?;
        let key =
            KeyBuffer::for_wire_name(owner, RecordType::SOA, DNSClass::IN, EntryKind::NegativeSoa)?;
        self.renewed_soa_ttl(
            &key,
            rdata,
            entry.stored_at(),
            ttl.saturating_sub(elapsed),
            now,
        )
    }
}

/// The first SOA among `count` stored whole records: its owner, stored TTL and RDATA.
fn stored_soa(mut stored: &[u8], count: usize) -> Option<(&[u8], u32, &[u8])> {
    for _ in 0..count {
        let owner_length = uncompressed_name_length(stored)?;
        let fixed = stored.get(owner_length..owner_length + RECORD_FIXED_BYTES)?;
        let record_type = RecordType::from(u16::from_be_bytes([fixed[0], fixed[1]]));
        let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
        let rdata_length = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
        let start = owner_length + RECORD_FIXED_BYTES;
        if record_type == RecordType::SOA {
            return Some((
                stored.get(..owner_length)?,
                ttl,
                stored.get(start..start + rdata_length)?,
            ));
        }
        stored = stored.get(start + rdata_length..)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{test_policy, NegativeAnswer};
    use hickory_proto::dnssec::rdata::{sig::SigInput, DNSSECRData, RRSIG};
    use hickory_proto::dnssec::Algorithm;
    use hickory_proto::rr::rdata::SOA;
    use hickory_proto::rr::{Name, RData, SerialNumber};

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    /// The zone's SOA (serial `serial`, TTL 900, minimum 3600) and its RRSIG.
    fn soa_and_signature(serial: u32) -> Vec<Record> {
        let soa = SOA::new(
            name("ns.example."),
            name("admin.example."),
            serial,
            2,
            3,
            4,
            3600,
        );
        let input = SigInput {
            type_covered: RecordType::SOA,
            algorithm: Algorithm::RSASHA256,
            num_labels: 1,
            original_ttl: 900,
            sig_expiration: SerialNumber::new(2),
            sig_inception: SerialNumber::new(1),
            key_tag: 1,
            signer_name: name("example."),
        };
        vec![
            Record::from_rdata(name("example."), 900, RData::SOA(soa)),
            Record::from_rdata(
                name("example."),
                900,
                RData::DNSSEC(DNSSECRData::RRSIG(RRSIG::from_sig(input, vec![1; 64]))),
            ),
        ]
    }

    fn authority_ttls(cache: &RecordCache, owner: &str, at: u64) -> Vec<u32> {
        match cache.get_negative(
            &name(owner),
            RecordType::AAAA,
            DNSClass::IN,
            Duration::from_secs(at),
        ) {
            Some(NegativeAnswer::NoData(records) | NegativeAnswer::NxDomain(records)) => {
                records.iter().map(|record| record.ttl).collect()
            }
            None => Vec::new(),
        }
    }

    #[test]
    fn a_later_negative_answer_renews_the_soa_of_earlier_ones_in_the_zone() {
        let cache = RecordCache::new(100, test_policy());
        let nodata = name("peanut.example.");
        cache.insert_negative(
            &nodata,
            DNSClass::IN,
            Some(RecordType::AAAA),
            &soa_and_signature(1),
            Duration::ZERO,
        );
        assert_eq!(authority_ttls(&cache, "peanut.example.", 874), vec![26, 26]);
        // Another name of the zone (a prefetch, say) brings the same SOA again.
        cache.insert_negative(
            &name("antelope.example."),
            DNSClass::IN,
            None,
            &soa_and_signature(1),
            Duration::from_secs(874),
        );
        assert_eq!(
            authority_ttls(&cache, "peanut.example.", 874),
            vec![900, 900]
        );
        assert_eq!(
            authority_ttls(&cache, "peanut.example.", 880),
            vec![894, 894]
        );
        // The entry itself still ends when its own TTL does.
        assert!(authority_ttls(&cache, "peanut.example.", 900).is_empty());
    }

    #[test]
    fn a_changed_soa_does_not_renew_an_answer_that_holds_the_old_one() {
        let cache = RecordCache::new(100, test_policy());
        cache.insert_negative(
            &name("peanut.example."),
            DNSClass::IN,
            Some(RecordType::AAAA),
            &soa_and_signature(1),
            Duration::ZERO,
        );
        cache.insert_negative(
            &name("antelope.example."),
            DNSClass::IN,
            None,
            &soa_and_signature(2),
            Duration::from_secs(874),
        );
        assert_eq!(authority_ttls(&cache, "peanut.example.", 874), vec![26, 26]);
    }

    #[test]
    fn the_wire_view_carries_the_renewed_ttl() {
        let cache = RecordCache::new(100, test_policy());
        cache.insert_negative(
            &name("peanut.example."),
            DNSClass::IN,
            Some(RecordType::AAAA),
            &soa_and_signature(1),
            Duration::ZERO,
        );
        cache.insert_negative(
            &name("antelope.example."),
            DNSClass::IN,
            None,
            &soa_and_signature(1),
            Duration::from_secs(874),
        );
        let mut key = KeyBuffer::for_name(
            &name("peanut.example."),
            RecordType::AAAA,
            DNSClass::IN,
            EntryKind::NoData,
        )
        .unwrap();
        let negative = cache
            .negative_for_key(&mut key, RecordType::AAAA, Duration::from_secs(874))
            .unwrap();
        assert_eq!(negative.soa_ttl, Some(900));
    }
}
