//! Unbound's `edns-client-string`: an EDNS option carrying an operator's string, sent in queries
//! to upstream servers whose address lies in a configured netblock (the longest match decides).
//!
//! The option code is Unbound's `edns-client-string-opcode`, 65001 by default (the first of
//! RFC 6891 §9's local/experimental range). The string is the operator's; nothing here reads replies.

use std::fmt;
use std::net::IpAddr;

use crate::limits::MAX_CLIENT_STRING_BYTES;
use crate::server::access::Cidr;

/// Unbound's default `edns-client-string-opcode`.
pub const DEFAULT_OPTION_CODE: u16 = 65001;

/// The strings per netblock, and the option code they are sent with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientStrings {
    pub option_code: u16,
    entries: Vec<(Cidr, Vec<u8>)>,
}

/// Why an `edns-client-string` entry was refused; names the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientStringError {
    pub text: String,
    pub reason: &'static str,
}

impl fmt::Display for ClientStringError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "invalid EDNS client string {:?}: {} (expected NETBLOCK STRING, e.g. 192.0.2.0/24 \"site-a\")",
            self.text, self.reason
        )
    }
}

impl std::error::Error for ClientStringError {}

impl Default for ClientStrings {
    fn default() -> Self {
        ClientStrings {
            option_code: DEFAULT_OPTION_CODE,
            entries: Vec::new(),
        }
    }
}

impl ClientStrings {
    /// Adds one `NETBLOCK STRING` entry (the string may be in double quotes, as in
    /// unbound.conf); a later entry for the same netblock replaces the earlier one.
    pub fn add(&mut self, text: &str) -> Result<(), ClientStringError> {
        let error = |reason| ClientStringError {
            text: text.to_owned(),
            reason,
        };
        let text_trimmed = text.trim();
        let (netblock, value) = text_trimmed
            .split_once(char::is_whitespace)
            .ok_or_else(|| error("no string after the netblock"))?;
        let netblock: Cidr = netblock
            .parse()
            .map_err(|_| error("the netblock is not ADDRESS/LENGTH"))?;
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'))
            .unwrap_or(value);
        if value.len() > MAX_CLIENT_STRING_BYTES {
            return Err(error("the string is longer than 255 bytes"));
        }
        self.entries.retain(|(existing, _)| *existing != netblock);
        self.entries.push((netblock, value.as_bytes().to_vec()));
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The string sent to `server`: the entry with the longest netblock containing it.
    pub fn for_server(&self, server: IpAddr) -> Option<&[u8]> {
        self.entries
            .iter()
            .filter(|(netblock, _)| netblock.contains(server))
            .max_by_key(|(netblock, _)| netblock.prefix_length())
            .map(|(_, value)| value.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_matching_netblock_gives_the_string() {
        let mut strings = ClientStrings::default();
        strings.add("10.0.0.0/24 \"abc d\"").unwrap();
        strings.add("10.0.0.10/32 \"123AbC!\"").unwrap();
        let string = |address: &str| {
            strings
                .for_server(address.parse().unwrap())
                .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
        };
        assert_eq!(string("10.0.0.1").as_deref(), Some("abc d"));
        assert_eq!(string("10.0.0.10").as_deref(), Some("123AbC!"));
        assert_eq!(string("10.10.0.1"), None);
        assert_eq!(string("2001:db8::1"), None);
        assert_eq!(strings.option_code, 65001);
    }

    #[test]
    fn entries_without_a_string_or_netblock_or_too_long_are_refused() {
        let mut strings = ClientStrings::default();
        assert!(strings.add("10.0.0.0/24").is_err());
        assert!(strings.add("not-a-block \"x\"").is_err());
        let long = format!("10.0.0.0/8 {}", "x".repeat(256));
        assert!(strings.add(&long).is_err());
        assert!(strings.is_empty());
        // The same netblock again replaces the string, as a later unbound.conf line would.
        strings.add("192.0.2.0/24 first").unwrap();
        strings.add("192.0.2.0/24 second").unwrap();
        assert_eq!(
            strings.for_server("192.0.2.1".parse().unwrap()),
            Some(&b"second"[..])
        );
    }
}
