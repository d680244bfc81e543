//! What the server says about itself when configured to: CH TXT `id.server`, `hostname.bind`,
//! `version.bind`, `version.server`, and the EDNS NSID option (RFC 5001). Built once at start.
//!
//! Off by default (NSD's `hide-identity`/`hide-version`): without a configured value those names
//! are REFUSED and no NSID is sent. Nothing here looks at zones; answers never change per query.

use std::sync::Arc;

use hickory_proto::rr::rdata::opt::{EdnsOption, NSIDPayload};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::limits::TXT_CHUNK_BYTES;
use crate::zone::prepared::RecordSet;

/// The names RFC 4892 §2 and BIND/NSD/Knot answer with the server's identity.
pub const IDENTITY_NAMES: [&str; 2] = ["id.server.", "hostname.bind."];
/// The names BIND/NSD/Knot answer with the server's version.
pub const VERSION_NAMES: [&str; 2] = ["version.bind.", "version.server."];

/// The CH TXT answers and the NSID option, prepared from the configuration.
#[derive(Clone, Debug, Default)]
pub struct ServerIdentity {
    /// (owner, the one-record TXT RRset in class CH) for each configured name.
    chaos: Vec<(Name, Arc<RecordSet>)>,
    nsid: Option<EdnsOption>,
}

/// Why an identity option cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdentityError {
    /// `--nsid 0x...` with an odd number of digits or a non-hex character.
    BadNsidHex(String),
    /// An NSID longer than an EDNS option can carry.
    NsidTooLong(usize),
    /// `--identity`/`--version` text that does not fit a TXT record.
    TooLongForTxt(String),
}

impl std::fmt::Display for IdentityError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadNsidHex(text) => write!(
                formatter,
                "--nsid {text}: not an even number of hex digits after 0x"
            ),
            Self::NsidTooLong(length) => write!(
                formatter,
                "--nsid is {length} octets, more than an EDNS option holds"
            ),
            Self::TooLongForTxt(problem) => write!(
                formatter,
                "--identity/--version does not fit a TXT record: {problem}"
            ),
        }
    }
}

impl std::error::Error for IdentityError {}

impl ServerIdentity {
    /// Nothing disclosed: every CH TXT question is REFUSED and no NSID is sent.
    pub fn hidden() -> ServerIdentity {
        ServerIdentity::default()
    }

    /// `identity` answers `id.server`/`hostname.bind`, `version` answers `version.bind`/
    /// `version.server`; `nsid` is the text of `--nsid` (`0x` then hex digits for raw octets,
    /// as Knot's `nsid` option reads it).
    pub fn new(
        identity: Option<&str>,
        version: Option<&str>,
        nsid: Option<&str>,
    ) -> Result<ServerIdentity, IdentityError> {
        let mut chaos = Vec::new();
        for (value, names) in [(identity, IDENTITY_NAMES), (version, VERSION_NAMES)] {
            let Some(value) = value else { continue };
            for owner in names {
                if let Ok(owner) = Name::from_ascii(owner) {
                    chaos.push((owner.clone(), Arc::new(chaos_txt(owner, value)?)));
                }
            }
        }
        let nsid = match nsid {
            None => None,
            Some(text) => {
                let octets = nsid_octets(text)?;
                let length = octets.len();
                let payload =
                    NSIDPayload::new(octets).map_err(|_| IdentityError::NsidTooLong(length))?;
                Some(EdnsOption::NSID(payload))
            }
        };
        Ok(ServerIdentity { chaos, nsid })
    }

    /// The CH TXT RRset for `name`, if that name is configured.
    pub fn chaos_answer(&self, name: &Name) -> Option<&Arc<RecordSet>> {
        self.chaos
            .iter()
            .find(|(owner, _)| owner == name)
            .map(|(_, set)| set)
    }

    /// The NSID option to add to replies whose query asked for it (RFC 5001 §2.1).
    pub fn nsid(&self) -> Option<&EdnsOption> {
        self.nsid.as_ref()
    }
}

/// A TXT record in class CH with TTL 0, as NSD and Knot send it (never cached).
fn chaos_txt(owner: Name, value: &str) -> Result<RecordSet, IdentityError> {
    let mut strings = Vec::new();
    let mut current = String::new();
    for character in value.chars() {
        if current.len() + character.len_utf8() > TXT_CHUNK_BYTES {
            strings.push(std::mem::take(&mut current));
        }
        current.push(character);
    }
    strings.push(current);
    let mut record = Record::from_rdata(owner.clone(), 0, RData::TXT(TXT::new(strings)));
    record.dns_class = DNSClass::CH;
    RecordSet::from_records(&owner, RecordType::TXT, &[record])
        .map_err(|unencodable| IdentityError::TooLongForTxt(unencodable.reason))
}

fn nsid_octets(text: &str) -> Result<Vec<u8>, IdentityError> {
    let Some(hex) = text.strip_prefix("0x") else {
        return Ok(text.as_bytes().to_vec());
    };
    let bad = || IdentityError::BadNsidHex(text.to_owned());
    if hex.len() % 2 != 0 {
        return Err(bad());
    }
    (0..hex.len())
        .step_by(2)
        .map(|index| {
            hex.get(index..index + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(bad)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nsid_is_text_or_hex_after_0x() {
        assert_eq!(nsid_octets("ns1").unwrap(), b"ns1".to_vec());
        assert_eq!(nsid_octets("0x6e7331").unwrap(), b"ns1".to_vec());
        assert!(nsid_octets("0x6e7").is_err());
        assert!(nsid_octets("0xzz").is_err());
    }

    #[test]
    fn identity_answers_both_names_and_version_its_two() {
        let identity = ServerIdentity::new(Some("ns1"), None, None).unwrap();
        let id_server = Name::from_ascii("ID.server.").unwrap();
        assert!(identity.chaos_answer(&id_server).is_some());
        assert!(identity
            .chaos_answer(&Name::from_ascii("hostname.bind.").unwrap())
            .is_some());
        assert!(identity
            .chaos_answer(&Name::from_ascii("version.bind.").unwrap())
            .is_none());
        assert!(ServerIdentity::hidden().chaos_answer(&id_server).is_none());
    }
}
