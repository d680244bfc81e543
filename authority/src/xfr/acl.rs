//! Who may transfer a zone: address prefixes and/or TSIG keys (Knot's `acl`, NSD's
//! `provide-xfr`). An empty list allows no one: there is no allow-all default (BIND's is what we avoid).

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use hickory_proto::rr::Name;

use crate::xfr::tsig::RequestSignature;

/// An address prefix, `192.0.2.0/24`, `2001:db8::/32`, or one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prefix {
    pub address: IpAddr,
    pub length: u8,
}

impl Prefix {
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            // An IPv4 client on a dual-stack socket arrives as ::ffff:a.b.c.d.
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        match (self.address, address) {
            (IpAddr::V4(network), IpAddr::V4(client)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.length))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(client) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(client)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.length))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(client) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Prefix {
    type Err = String;

    fn from_str(text: &str) -> Result<Prefix, String> {
        let (address, length) = match text.split_once('/') {
            Some((address, length)) => (address, Some(length)),
            None => (text, None),
        };
        let address: IpAddr = address
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not an address or prefix (e.g. 192.0.2.0/24)"))?;
        let most = if address.is_ipv4() { 32 } else { 128 };
        let length = match length {
            Some(length) => length
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|length| *length <= most)
                .ok_or_else(|| format!("{text:?}: prefix length must be 0 to {most}"))?,
            None => most,
        };
        Ok(Prefix { address, length })
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.address, self.length)
    }
}

/// One rule: clients in any of `prefixes` (any client when empty) that signed with `key` (any
/// valid signature or none when `None`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AclEntry {
    pub prefixes: Vec<Prefix>,
    pub key: Option<Name>,
}

impl AclEntry {
    fn allows(&self, client: IpAddr, signature: &RequestSignature) -> bool {
        let address_matches =
            self.prefixes.is_empty() || self.prefixes.iter().any(|prefix| prefix.contains(client));
        let key_matches = match (&self.key, signature) {
            (None, RequestSignature::Unsigned | RequestSignature::Valid { .. }) => true,
            (Some(wanted), RequestSignature::Valid { key, .. }) => key.name == *wanted,
            _ => false,
        };
        address_matches && key_matches
    }
}

/// Rules tried in order; the first that matches allows. None matching: REFUSED.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Acl {
    pub entries: Vec<AclEntry>,
}

impl Acl {
    pub fn allows(&self, client: IpAddr, signature: &RequestSignature) -> bool {
        self.entries
            .iter()
            .any(|entry| entry.allows(client, signature))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::xfr::tsig::TsigKey;

    fn signed(name: &str) -> RequestSignature {
        RequestSignature::Valid {
            key: Arc::new(TsigKey::new(name, "hmac-sha256", "c2VjcmV0").unwrap()),
            request_mac: Vec::new(),
        }
    }

    #[test]
    fn prefixes_match_their_addresses_only() {
        let prefix: Prefix = "192.0.2.0/24".parse().unwrap();
        assert!(prefix.contains("192.0.2.77".parse().unwrap()));
        assert!(prefix.contains("::ffff:192.0.2.1".parse().unwrap()));
        assert!(!prefix.contains("192.0.3.1".parse().unwrap()));
        assert!(!prefix.contains("2001:db8::1".parse().unwrap()));
        assert!("192.0.2.0/33".parse::<Prefix>().is_err());
        assert!("0.0.0.0/0"
            .parse::<Prefix>()
            .unwrap()
            .contains("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn empty_acl_allows_no_one() {
        assert!(!Acl::default().allows("127.0.0.1".parse().unwrap(), &RequestSignature::Unsigned));
    }

    #[test]
    fn a_keyed_entry_needs_that_key_and_an_address_entry_takes_any() {
        let acl = Acl {
            entries: vec![
                AclEntry {
                    prefixes: vec![],
                    key: Some(Name::from_ascii("xfr-key.").unwrap()),
                },
                AclEntry {
                    prefixes: vec!["10.0.0.0/8".parse().unwrap()],
                    key: None,
                },
            ],
        };
        let outside = "192.0.2.1".parse().unwrap();
        assert!(acl.allows(outside, &signed("xfr-key")));
        assert!(!acl.allows(outside, &signed("other")));
        assert!(!acl.allows(outside, &RequestSignature::Unsigned));
        assert!(acl.allows("10.1.2.3".parse().unwrap(), &RequestSignature::Unsigned));
    }
}
