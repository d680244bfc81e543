//! Trust anchors (RFC 4033 §2): the root KSKs built in, DS or DNSKEY records read from zone-file
//! text (Unbound `trust-anchor`/`trust-anchor-file`), and negative anchors (RFC 7646).

use hickory_proto::dnssec::rdata::{DNSSECRData, DNSKEY, DS};
use hickory_proto::dnssec::{PublicKey, TrustAnchors};
use hickory_proto::rr::{Name, RData, RecordType};

use crate::presentation::{
    is_text_refused_by_hickory, parse_dnssec_rdata, parse_name, parse_record_type,
    PresentationError,
};

/// The DNSKEY flags of a key-signing key: zone key (bit 7) and secure entry point (bit 15).
const KSK_FLAGS: u16 = 257;

/// The anchor of one zone: its DS records or its DNSKEYs (either form is trusted as given).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ZoneAnchor {
    pub ds: Vec<DS>,
    pub keys: Vec<DNSKEY>,
}

/// Every configured anchor, and the negative anchors (names below which nothing is validated).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Anchors {
    zones: Vec<(Name, ZoneAnchor)>,
    negative: Vec<Name>,
}

/// Why anchor text could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnchorError {
    /// A line that is not `owner [ttl] [class] DS|DNSKEY rdata`.
    Syntax { line: usize, text: String },
    Presentation {
        line: usize,
        error: PresentationError,
    },
    /// Neither DS nor DNSKEY.
    WrongType { line: usize, record_type: String },
}

impl std::fmt::Display for AnchorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnchorError::Syntax { line, text } => {
                write!(f, "line {line}: not a DS or DNSKEY record: {text}")
            }
            AnchorError::Presentation { line, error } => write!(f, "line {line}: {error}"),
            AnchorError::WrongType { line, record_type } => {
                write!(
                    f,
                    "line {line}: {record_type} is not a trust anchor type (DS or DNSKEY)"
                )
            }
        }
    }
}

impl std::error::Error for AnchorError {}

impl Anchors {
    /// No anchor at all: validation finds nothing to start from and everything is insecure.
    pub fn empty() -> Anchors {
        Anchors::default()
    }

    /// The IANA root KSKs 20326 and 38696, from hickory's built-in set.
    pub fn builtin_root() -> Anchors {
        let root = TrustAnchors::default();
        let keys = (0..root.len())
            .filter_map(|index| root.get(index))
            .map(|key| {
                DNSKEY::with_flags(
                    KSK_FLAGS,
                    hickory_proto::dnssec::PublicKeyBuf::new(
                        key.public_bytes().to_vec(),
                        key.algorithm(),
                    ),
                )
            })
            .collect();
        Anchors {
            zones: vec![(
                Name::root(),
                ZoneAnchor {
                    ds: Vec::new(),
                    keys,
                },
            )],
            negative: Vec::new(),
        }
    }

    /// Adds the DS and DNSKEY records of zone-file text (comments, `$ORIGIN`/`$TTL` lines
    /// skipped; one record per line, parentheses allowed within it).
    pub fn add_text(&mut self, text: &str) -> Result<usize, AnchorError> {
        let mut added = 0;
        let mut pending = String::new();
        let mut first_line = 0;
        for (index, raw) in text.lines().enumerate() {
            let line = raw.split(';').next().unwrap_or_default();
            if pending.is_empty() {
                first_line = index + 1;
                if line.trim().is_empty() || line.trim_start().starts_with('$') {
                    continue;
                }
            }
            pending.push(' ');
            pending.push_str(line);
            let open = pending.matches('(').count();
            let close = pending.matches(')').count();
            if open > close {
                continue;
            }
            let record = std::mem::take(&mut pending);
            self.add_record(&record, first_line)?;
            added += 1;
        }
        if !pending.trim().is_empty() {
            self.add_record(&pending, first_line)?;
            added += 1;
        }
        Ok(added)
    }

    /// One `owner [ttl] [class] DS|DNSKEY rdata` record.
    fn add_record(&mut self, text: &str, line: usize) -> Result<(), AnchorError> {
        let syntax = || AnchorError::Syntax {
            line,
            text: text.trim().to_owned(),
        };
        let cleaned = text.replace(['(', ')'], " ");
        let tokens: Vec<&str> = cleaned.split_whitespace().collect();
        let (owner, rest) = tokens.split_first().ok_or_else(syntax)?;
        let owner = parse_name(owner, &Name::root())
            .map_err(|error| AnchorError::Presentation { line, error })?;
        let type_position = rest
            .iter()
            .position(|token| {
                !token.bytes().all(|byte| byte.is_ascii_digit())
                    && !token.eq_ignore_ascii_case("IN")
            })
            .ok_or_else(syntax)?;
        let type_text = rest.get(type_position).ok_or_else(syntax)?;
        let record_type = parse_record_type(type_text)
            .map_err(|error| AnchorError::Presentation { line, error })?;
        let fields = rest.get(type_position + 1..).unwrap_or_default();
        let data = match record_type {
            RecordType::DNSKEY | RecordType::DS if is_text_refused_by_hickory(record_type) => {
                parse_dnssec_rdata(record_type, fields, &Name::root())
                    .map_err(|error| AnchorError::Presentation { line, error })?
            }
            other => {
                return Err(AnchorError::WrongType {
                    line,
                    record_type: other.to_string(),
                })
            }
        };
        let zone = self.zone_mut(&owner);
        match data {
            RData::DNSSEC(DNSSECRData::DNSKEY(key)) => zone.keys.push(key),
            RData::DNSSEC(DNSSECRData::DS(ds)) => zone.ds.push(ds),
            _ => return Err(syntax()),
        }
        Ok(())
    }

    fn zone_mut(&mut self, owner: &Name) -> &mut ZoneAnchor {
        let position = match self.zones.iter().position(|(zone, _)| zone == owner) {
            Some(position) => position,
            None => {
                self.zones.push((owner.clone(), ZoneAnchor::default()));
                self.zones.len() - 1
            }
        };
        &mut self.zones[position].1
    }

    /// RFC 7646: no validation at or below `name` (Unbound `domain-insecure`).
    pub fn add_negative(&mut self, name: Name) {
        if !self.negative.contains(&name) {
            self.negative.push(name);
        }
    }

    /// The deepest anchor at or above `name`.
    pub fn closest(&self, name: &Name) -> Option<(&Name, &ZoneAnchor)> {
        self.zones
            .iter()
            .filter(|(zone, _)| zone.zone_of(name))
            .max_by_key(|(zone, _)| zone.num_labels())
            .map(|(zone, anchor)| (zone, anchor))
    }

    /// Whether a negative anchor covers `name` and is deeper than the closest positive anchor
    /// (an anchor below a negative one still applies, as in Unbound).
    pub fn is_negative(&self, name: &Name) -> bool {
        let deepest_negative = self
            .negative
            .iter()
            .filter(|negative| negative.zone_of(name))
            .map(|negative| negative.num_labels())
            .max();
        let deepest_positive = self.closest(name).map(|(zone, _)| zone.num_labels());
        match (deepest_negative, deepest_positive) {
            (Some(negative), Some(positive)) => negative >= positive,
            (Some(_), None) => true,
            _ => false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    #[test]
    fn builtin_root_has_the_two_ksks() {
        let anchors = Anchors::builtin_root();
        let (zone, anchor) = anchors.closest(&name("www.example.com.")).unwrap();
        assert!(zone.is_root());
        let mut tags: Vec<u16> = anchor
            .keys
            .iter()
            .map(|key| key.calculate_key_tag().unwrap())
            .collect();
        tags.sort_unstable();
        assert_eq!(tags, [20326, 38696]);
    }

    #[test]
    fn ds_and_dnskey_text_become_anchors() {
        let mut anchors = Anchors::empty();
        let added = anchors
            .add_text(
                "; the island\nexample.com.    3600    IN      DS      34385 7 1 32E1CF5B4E0089080FF6DDC4A48CEE63E88101D6\n\
                 example.net. IN DNSKEY 257 3 8 ( AwEAAagAIKlVZrpC6Ia7gEzahOR+9W29euxhJhVVLOyQbSEW0O8gcCjF\n FVQUTf6v58fLjwBd0YI0EzrAcQqBGCzh/RStIoO8g0NfnfL2MTJRkxoX\n bfDaUeVPQuYEhg37NZWAJQ9VnMVDxP/VHL496M/QZxkjf5/Efucp2gaD\n X6RS6CXpoY68LsvPVjR0ZSwzz1apAzvN9dlzEheX7ICJBBtuA6G3LQpz\n W5hOA2hzCTMjJPJ8LbqF6dsV6DoBQzgul0sGIcGOYl7OyQdXfZ57relS\n Qageu+ipAdTTJ25AsRTAoub8ONGcLmqrAmRLKBP1dfwhYB4N7knNnulq\n QxA+Uk1ihz0= )\n",
            )
            .unwrap();
        assert_eq!(added, 2);
        let (zone, anchor) = anchors.closest(&name("www.example.com.")).unwrap();
        assert_eq!(*zone, name("example.com."));
        assert_eq!(anchor.ds.first().map(|ds| ds.key_tag()), Some(34385));
        let (_, anchor) = anchors.closest(&name("example.net.")).unwrap();
        assert_eq!(
            anchor
                .keys
                .first()
                .map(|key| key.calculate_key_tag().unwrap()),
            Some(19036)
        );
        assert!(anchors.closest(&name("example.org.")).is_none());
    }

    #[test]
    fn other_types_are_refused_with_their_line() {
        let mut anchors = Anchors::empty();
        let error = anchors.add_text("\nexample. IN A 192.0.2.1\n").unwrap_err();
        assert!(
            matches!(error, AnchorError::WrongType { line: 2, .. }),
            "{error}"
        );
    }

    #[test]
    fn negative_anchor_applies_below_unless_a_deeper_anchor_exists() {
        let mut anchors = Anchors::builtin_root();
        anchors.add_negative(name("lab.example."));
        assert!(anchors.is_negative(&name("a.lab.example.")));
        assert!(!anchors.is_negative(&name("example.")));
        anchors
            .add_text("x.lab.example. DS 34385 7 1 32E1CF5B4E0089080FF6DDC4A48CEE63E88101D6")
            .unwrap();
        assert!(!anchors.is_negative(&name("a.x.lab.example.")));
    }
}
