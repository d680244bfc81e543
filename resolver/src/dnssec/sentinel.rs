//! RFC 8509 root key sentinel: a client asks `root-key-sentinel-is-ta-NNNNN.<zone>` or
//! `...-not-ta-NNNNN...` to learn whether this resolver trusts the root KSK with key tag NNNNN.
//!
//! Judged on an A or AAAA answer already validated secure (§3.2): an is-ta name whose tag is not
//! a root trust anchor, or a not-ta name whose tag is, is answered SERVFAIL (Unbound: EDE 6).
//! Pure: never touches the cache, which keeps the answer as it came.

use hickory_proto::rr::Name;

use crate::dnssec::Anchors;

/// What a sentinel query name asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sentinel {
    /// `root-key-sentinel-is-ta-<tag>`: is this key a trust anchor?
    IsTrustAnchor(u16),
    /// `root-key-sentinel-not-ta-<tag>`: is this key not a trust anchor?
    NotTrustAnchor(u16),
}

/// RFC 8509 §2: the leftmost label, case-insensitive, with the key tag as exactly five digits.
pub fn sentinel_of(qname: &Name) -> Option<Sentinel> {
    let label = qname.iter().next()?.to_ascii_lowercase();
    let (kind, digits) = label.split_at(label.len().checked_sub(5)?);
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let tag: u16 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    match kind {
        b"root-key-sentinel-is-ta-" => Some(Sentinel::IsTrustAnchor(tag)),
        b"root-key-sentinel-not-ta-" => Some(Sentinel::NotTrustAnchor(tag)),
        _ => None,
    }
}

/// Whether a query name in wire form (first label's length byte first) may be a sentinel
/// name: a cheap test for the cache's wire path, which then leaves the query to the message path.
pub fn may_be_sentinel_wire(name: &[u8]) -> bool {
    const PREFIX: &[u8] = b"root-key-sentinel-";
    matches!(name.first(), Some(29 | 30))
        && name
            .get(1..=PREFIX.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(PREFIX))
}

/// Whether a secure answer to a name asking `sentinel` must be turned into SERVFAIL (§3.2).
pub fn answer_refused(sentinel: Sentinel, anchors: &Anchors) -> bool {
    let trusted = |tag: u16| {
        anchors
            .closest(&Name::root())
            .filter(|(zone, _)| zone.is_root())
            .is_some_and(|(_, anchor)| {
                anchor.ds.iter().any(|ds| ds.key_tag() == tag)
                    || anchor
                        .keys
                        .iter()
                        .any(|key| key.calculate_key_tag().ok() == Some(tag))
            })
    };
    match sentinel {
        Sentinel::IsTrustAnchor(tag) => !trusted(tag),
        Sentinel::NotTrustAnchor(tag) => trusted(tag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    #[test]
    fn sentinel_labels_are_read_with_five_digit_tags() {
        assert_eq!(
            sentinel_of(&name("root-key-sentinel-is-ta-20326.example.")),
            Some(Sentinel::IsTrustAnchor(20326))
        );
        assert_eq!(
            sentinel_of(&name("ROOT-KEY-SENTINEL-NOT-TA-00042.")),
            Some(Sentinel::NotTrustAnchor(42))
        );
        assert_eq!(
            sentinel_of(&name("root-key-sentinel-is-ta-2032.example.")),
            None
        );
        assert_eq!(sentinel_of(&name("root-key-sentinel-is-ta-9999x.")), None);
        assert_eq!(
            sentinel_of(&name("www.root-key-sentinel-is-ta-20326.")),
            None
        );
        assert_eq!(sentinel_of(&name("root-key-sentinel-is-ta-99999.")), None);
        assert!(may_be_sentinel_wire(
            b"\x1droot-key-sentinel-is-ta-20326\x00"
        ));
        assert!(may_be_sentinel_wire(
            b"\x1eROOT-KEY-SENTINEL-not-ta-20326\x00"
        ));
        assert!(!may_be_sentinel_wire(b"\x03www\x00"));
    }

    #[test]
    fn is_ta_needs_a_trusted_tag_and_not_ta_an_untrusted_one() {
        let anchors = Anchors::builtin_root();
        assert!(!answer_refused(Sentinel::IsTrustAnchor(20326), &anchors));
        assert!(answer_refused(Sentinel::IsTrustAnchor(19036), &anchors));
        assert!(answer_refused(Sentinel::NotTrustAnchor(20326), &anchors));
        assert!(!answer_refused(Sentinel::NotTrustAnchor(19036), &anchors));
    }
}
