//! A longest-prefix-match table of IPv4 and IPv6 prefixes, built at load and only read after:
//! one hash probe per distinct prefix length present, never a scan of the entries.

use std::collections::HashMap;
use std::net::IpAddr;

/// Values keyed by prefix; the longest prefix holding an address wins.
#[derive(Clone, Debug)]
pub struct PrefixTable<T> {
    v4: FamilyTable<T>,
    v6: FamilyTable<T>,
}

impl<T> Default for PrefixTable<T> {
    fn default() -> Self {
        PrefixTable {
            v4: FamilyTable::new(32),
            v6: FamilyTable::new(128),
        }
    }
}

#[derive(Clone, Debug)]
struct FamilyTable<T> {
    /// The address width in bits.
    width: u8,
    /// The distinct prefix lengths present, longest first.
    lengths: Vec<u8>,
    entries: HashMap<(u8, u128), T>,
}

impl<T> FamilyTable<T> {
    fn new(width: u8) -> Self {
        FamilyTable {
            width,
            lengths: Vec::new(),
            entries: HashMap::new(),
        }
    }

    fn key(&self, address: u128, length: u8) -> (u8, u128) {
        let host_bits = u32::from(self.width.saturating_sub(length));
        let mask = u128::MAX.checked_shl(host_bits).unwrap_or(0);
        (length, address & mask)
    }
}

/// An address as (family is v6, bits).
fn bits(address: IpAddr) -> (bool, u128) {
    match address {
        IpAddr::V4(v4) => (false, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => (false, u128::from(u32::from(v4))),
            None => (true, u128::from(v6)),
        },
    }
}

impl<T> PrefixTable<T> {
    fn family(&self, v6: bool) -> &FamilyTable<T> {
        if v6 {
            &self.v6
        } else {
            &self.v4
        }
    }

    pub fn is_empty(&self) -> bool {
        self.v4.entries.is_empty() && self.v6.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.v4.entries.len() + self.v6.entries.len()
    }

    /// Adds `network/length`; `false` (and nothing changed) when that prefix is already there or
    /// the length is past the family's width.
    pub fn insert(&mut self, network: IpAddr, length: u8, value: T) -> bool {
        let (v6, address) = bits(network);
        let family = if v6 { &mut self.v6 } else { &mut self.v4 };
        if length > family.width {
            return false;
        }
        let key = family.key(address, length);
        if family.entries.contains_key(&key) {
            return false;
        }
        family.entries.insert(key, value);
        if let Err(place) = family
            .lengths
            .binary_search_by(|present| length.cmp(present))
        {
            family.lengths.insert(place, length);
        }
        true
    }

    /// The value of the longest prefix holding `address`, with that prefix's length.
    pub fn lookup(&self, address: IpAddr) -> Option<(&T, u8)> {
        let (v6, address) = bits(address);
        let family = self.family(v6);
        family.lengths.iter().find_map(|&length| {
            family
                .entries
                .get(&family.key(address, length))
                .map(|value| (value, length))
        })
    }

    /// The value stored for exactly `network/length`, to add to it.
    pub fn get_mut(&mut self, network: IpAddr, length: u8) -> Option<&mut T> {
        let (v6, address) = bits(network);
        let family = if v6 { &mut self.v6 } else { &mut self.v4 };
        let key = family.key(address, length);
        family.entries.get_mut(&key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn longest_prefix_wins_and_families_stay_apart() {
        let mut table = PrefixTable::default();
        assert!(table.insert(address("192.0.2.0"), 24, "net"));
        assert!(table.insert(address("192.0.2.128"), 25, "half"));
        assert!(table.insert(address("192.0.2.1"), 32, "host"));
        assert!(table.insert(address("2001:db8::"), 32, "v6"));
        assert!(!table.insert(address("192.0.2.77"), 24, "again"));
        assert!(!table.insert(address("192.0.2.0"), 33, "too long"));
        assert_eq!(table.lookup(address("192.0.2.1")), Some((&"host", 32)));
        assert_eq!(table.lookup(address("192.0.2.200")), Some((&"half", 25)));
        assert_eq!(table.lookup(address("192.0.2.2")), Some((&"net", 24)));
        assert_eq!(table.lookup(address("192.0.3.2")), None);
        assert_eq!(table.lookup(address("2001:db8:1::5")), Some((&"v6", 32)));
        assert_eq!(
            table.lookup(address("::ffff:192.0.2.2")),
            Some((&"net", 24))
        );
        assert_eq!(table.len(), 4);
    }

    #[test]
    fn a_zero_length_prefix_holds_every_address_of_its_family() {
        let mut table = PrefixTable::default();
        assert!(table.insert(address("0.0.0.0"), 0, 1));
        assert_eq!(table.lookup(address("203.0.113.9")), Some((&1, 0)));
        assert_eq!(table.lookup(address("2001:db8::1")), None);
    }
}
