//! A name server's cached addresses read straight from the stored A and AAAA RDATA (4 and 16
//! bytes): a delegation needs the addresses only, not hickory records. One key for both types.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use hickory_proto::rr::{DNSClass, Name, RecordType};

use crate::cache::key::{EntryKind, KeyBuffer};
use crate::cache::RecordCache;

impl RecordCache {
    /// The unexpired A then AAAA addresses cached for `name` (class IN, any trust), in stored
    /// order: what `get_rrset` with `Trust::Glue` gives, as addresses.
    pub(crate) fn cached_addresses(&self, name: &Name, now: Duration) -> Vec<IpAddr> {
        let mut addresses = Vec::new();
        let Some(mut key) =
            KeyBuffer::for_name(name, RecordType::A, DNSClass::IN, EntryKind::RrSet)
        else {
            return addresses;
        };
        for record_type in [RecordType::A, RecordType::AAAA] {
            key.set_kind(EntryKind::RrSet, record_type);
            let Some(entry) = self.live(&key, now) else {
                continue;
            };
            for rdata in entry.rdatas() {
                if let Ok(octets) = <[u8; 4]>::try_from(rdata) {
                    addresses.push(IpAddr::V4(Ipv4Addr::from(octets)));
                } else if let Ok(octets) = <[u8; 16]>::try_from(rdata) {
                    addresses.push(IpAddr::V6(Ipv6Addr::from(octets)));
                }
            }
        }
        addresses
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{test_policy, Trust};
    use hickory_proto::rr::rdata::{A, AAAA};
    use hickory_proto::rr::{RData, Record};

    #[test]
    fn addresses_match_the_decoded_records_a_before_aaaa() {
        let cache = RecordCache::new(100, test_policy());
        let name = Name::from_ascii("ns1.example.").unwrap();
        let v4 = [Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 2)];
        let v6 = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 53);
        let a: Vec<Record> = v4
            .iter()
            .map(|ip| Record::from_rdata(name.clone(), 60, RData::A(A(*ip))))
            .collect();
        cache.insert_rrset(&a, Trust::Glue, Duration::ZERO);
        let aaaa = Record::from_rdata(name.clone(), 10, RData::AAAA(AAAA(v6)));
        cache.insert_rrset(&[aaaa], Trust::AnswerAuthoritative, Duration::ZERO);

        let upper = Name::from_ascii("NS1.Example.").unwrap();
        assert_eq!(
            cache.cached_addresses(&upper, Duration::from_secs(5)),
            vec![IpAddr::V4(v4[0]), IpAddr::V4(v4[1]), IpAddr::V6(v6)]
        );
        // The AAAA set has expired at 10 s; the A set has not.
        assert_eq!(
            cache.cached_addresses(&name, Duration::from_secs(10)),
            vec![IpAddr::V4(v4[0]), IpAddr::V4(v4[1])]
        );
        let decoded: Vec<IpAddr> = cache
            .get_rrset(
                &name,
                RecordType::A,
                DNSClass::IN,
                Trust::Glue,
                Duration::ZERO,
            )
            .unwrap()
            .iter()
            .filter_map(|record| record.data.ip_addr())
            .collect();
        assert_eq!(
            decoded,
            cache.cached_addresses(&name, Duration::from_secs(10))
        );
        let unknown = Name::from_ascii("ns2.example.").unwrap();
        assert!(cache.cached_addresses(&unknown, Duration::ZERO).is_empty());
    }
}
