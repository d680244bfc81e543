//! Unbound's `harden-unverified-glue`: in a referral, address records for a name server outside
//! the delegated zone (sibling glue) are set aside, so the name is looked up before it is used.
//!
//! Only what the walk uses and caches as glue changes; the parent-side copy of the referral keeps
//! the set-aside records, and `add_parent_side_addresses` uses them when the lookup fails
//! (Unbound's last resort, `PACKED_RRSET_UNVERIFIED_GLUE`).

use hickory_proto::op::Message;
use hickory_proto::rr::{Name, RecordType};

use crate::resolver::Resolver;

/// Whether an additional record is glue the referral's zone vouches for: an address of a name
/// strictly below the delegated zone (Unbound `pkt_strict_sub`), or not an address at all.
fn is_verified(record_type: RecordType, owner: &Name, zone: &Name) -> bool {
    !matches!(record_type, RecordType::A | RecordType::AAAA)
        || (zone.zone_of(owner) && owner.num_labels() > zone.num_labels())
}

impl Resolver {
    /// The referral to `zone` without its unverified glue, when the setting is on.
    pub(crate) fn without_unverified_glue(&self, mut reply: Message, zone: &Name) -> Message {
        if self.config.harden_unverified_glue {
            reply
                .additionals
                .retain(|record| is_verified(record.record_type(), &record.name, zone));
        }
        reply
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap_or_else(|_| Name::root())
    }

    #[test]
    fn only_addresses_strictly_below_the_delegated_zone_are_verified() {
        let zone = name("example.com.");
        assert!(is_verified(RecordType::A, &name("ns1.example.com."), &zone));
        assert!(is_verified(
            RecordType::AAAA,
            &name("a.b.example.com."),
            &zone
        ));
        // Sibling glue, glue elsewhere, and an address at the apex itself (Unbound's strict test).
        assert!(!is_verified(
            RecordType::A,
            &name("ns1.examplesibling.com."),
            &zone
        ));
        assert!(!is_verified(
            RecordType::AAAA,
            &name("ns.other.net."),
            &zone
        ));
        assert!(!is_verified(RecordType::A, &zone, &zone));
        // Not an address record: left to the scrubber.
        assert!(is_verified(
            RecordType::TXT,
            &name("ns1.examplesibling.com."),
            &zone
        ));
    }
}
