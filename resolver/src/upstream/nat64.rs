//! NAT64 for upstream queries (Unbound `do-nat64`, `nat64-prefix`): an IPv4 server address is
//! reached through a NAT64 gateway at the IPv6 address RFC 6052 §2.2 embeds it in. No DNS data here.
//!
//! Only the address a query is sent to changes: delegations, glue, the infrastructure cache and
//! `do-not-query-address` keep the IPv4 address, as Unbound's iterator does.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// The RFC 6052 §2.1 well-known prefix, Unbound's default `nat64-prefix`.
pub const WELL_KNOWN_PREFIX: Nat64Prefix = Nat64Prefix {
    network: Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0),
    length: 96,
};

/// The prefix lengths RFC 6052 §2.2 defines an embedding for (Unbound accepts the same).
const VALID_LENGTHS: [u8; 6] = [32, 40, 48, 56, 64, 96];
/// Bits 64 to 71 of an embedded address (its byte 8, the "u" octet) are zero (RFC 6052 §2.2).
const U_OCTET: usize = 8;

/// A NAT64 prefix: an IPv6 network of one of RFC 6052's lengths, host bits zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Nat64Prefix {
    network: Ipv6Addr,
    length: u8,
}

/// Why a `nat64-prefix` value was refused; names the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nat64PrefixError {
    pub text: String,
}

impl fmt::Display for Nat64PrefixError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "invalid NAT64 prefix {:?}: expected an IPv6 prefix of length 32, 40, 48, 56, 64 or 96 \
             (RFC 6052 §2.2), e.g. 64:ff9b::/96",
            self.text
        )
    }
}

impl std::error::Error for Nat64PrefixError {}

impl Nat64Prefix {
    /// `network/length`, its host bits cleared; `None` for a length RFC 6052 has no format for.
    pub fn new(network: Ipv6Addr, length: u8) -> Option<Nat64Prefix> {
        if !VALID_LENGTHS.contains(&length) {
            return None;
        }
        let mask = u128::MAX.checked_shl(128 - u32::from(length)).unwrap_or(0);
        Some(Nat64Prefix {
            network: Ipv6Addr::from(u128::from(network) & mask),
            length,
        })
    }

    /// The IPv6 address that reaches `address` through the gateway (RFC 6052 §2.2): the IPv4
    /// octets follow the prefix, skipping the "u" octet (bits 64-71), the rest zero.
    pub fn synthesize(&self, address: Ipv4Addr) -> Ipv6Addr {
        let mut octets = self.network.octets();
        let mut at = usize::from(self.length / 8);
        for byte in address.octets() {
            if at == U_OCTET {
                at += 1;
            }
            if let Some(slot) = octets.get_mut(at) {
                *slot = byte;
            }
            at += 1;
        }
        Ipv6Addr::from(octets)
    }

    /// Whether `address` lies inside the prefix: a gateway address, not an IPv6 server's own.
    pub fn contains(&self, address: Ipv6Addr) -> bool {
        let mask = u128::MAX
            .checked_shl(128 - u32::from(self.length))
            .unwrap_or(0);
        u128::from(address) & mask == u128::from(self.network)
    }

    /// Where a query for `server` goes: IPv4 through the gateway, IPv6 as it is.
    pub fn route(&self, server: IpAddr) -> IpAddr {
        match server {
            IpAddr::V4(v4) => IpAddr::V6(self.synthesize(v4)),
            v6 => v6,
        }
    }
}

impl Default for Nat64Prefix {
    fn default() -> Self {
        WELL_KNOWN_PREFIX
    }
}

impl FromStr for Nat64Prefix {
    type Err = Nat64PrefixError;

    fn from_str(text: &str) -> Result<Nat64Prefix, Nat64PrefixError> {
        let error = || Nat64PrefixError {
            text: text.to_owned(),
        };
        let (network, length) = text.trim().split_once('/').ok_or_else(error)?;
        let network: Ipv6Addr = network.trim().parse().map_err(|_| error())?;
        let length: u8 = length.trim().parse().map_err(|_| error())?;
        Nat64Prefix::new(network, length).ok_or_else(error)
    }
}

impl fmt::Display for Nat64Prefix {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.network, self.length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix(text: &str) -> Nat64Prefix {
        text.parse().unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn addresses_embed_as_rfc_6052_section_2_4_shows_for_every_prefix_length() {
        // RFC 6052 §2.4, Table 3: 192.0.2.33 under 2001:db8:122:344::/LENGTH.
        let v4 = Ipv4Addr::new(192, 0, 2, 33);
        let cases = [
            ("2001:db8::/32", "2001:db8:c000:221::"),
            ("2001:db8:100::/40", "2001:db8:1c0:2:21::"),
            ("2001:db8:122::/48", "2001:db8:122:c000:2:2100::"),
            ("2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"),
            ("2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"),
            ("2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33"),
        ];
        for (network, expected) in cases {
            let expected: Ipv6Addr = expected.parse().unwrap_or_else(|_| panic!("{expected}"));
            assert_eq!(prefix(network).synthesize(v4), expected, "{network}");
        }
        assert_eq!(
            WELL_KNOWN_PREFIX.synthesize(Ipv4Addr::new(192, 0, 2, 1)),
            "64:ff9b::c000:201"
                .parse::<Ipv6Addr>()
                .unwrap_or(Ipv6Addr::UNSPECIFIED)
        );
    }

    #[test]
    fn lengths_without_an_embedding_and_ipv4_prefixes_are_refused() {
        for text in [
            "64:ff9b::/95",
            "64:ff9b::",
            "192.0.2.0/24",
            "64:ff9b::/200",
            "x/96",
        ] {
            assert!(text.parse::<Nat64Prefix>().is_err(), "{text}");
        }
        // Host bits are cleared, as Unbound's netblock parser does.
        assert_eq!(prefix("2001:db8::1/96").to_string(), "2001:db8::/96");
    }

    #[test]
    fn only_ipv4_servers_are_routed_through_the_prefix() {
        let nat64 = prefix("2001:db8:1234::/96");
        let v6: IpAddr = "2001:db8::1"
            .parse()
            .unwrap_or(IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert_eq!(nat64.route(v6), v6);
        let routed = nat64.route(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(routed.to_string(), "2001:db8:1234::c000:201");
        let IpAddr::V6(routed) = routed else {
            panic!("not IPv6")
        };
        assert!(nat64.contains(routed));
        assert!(!nat64.contains(Ipv6Addr::LOCALHOST));
    }
}
