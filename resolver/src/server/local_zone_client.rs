//! Who is asking, as the local zones see it: the client's address (for `local-zone-override`)
//! and its ACL tags, tag actions and tag data. Pure lookups; it never builds an answer.

use std::net::IpAddr;

use hickory_proto::rr::{Record, RecordType};

use crate::server::access::AccessRule;
use crate::server::client_tags::TagSet;
use crate::server::local_zone_table::{LocalZone, LocalZoneType};

/// The client facts a local-zone lookup may depend on.
#[derive(Clone, Copy, Debug)]
pub struct ClientView<'a> {
    pub address: Option<IpAddr>,
    pub tags: TagSet,
    pub tag_actions: &'a [(usize, LocalZoneType)],
    pub tag_data: &'a [(usize, Vec<Record>)],
}

impl ClientView<'static> {
    /// No address, no tags: what a lookup that does not know the client sees.
    pub const ANYONE: ClientView<'static> = ClientView {
        address: None,
        tags: TagSet::EMPTY,
        tag_actions: &[],
        tag_data: &[],
    };
}

impl<'a> ClientView<'a> {
    /// The client at `address`, with the tags of its access-control rule.
    pub fn of(address: IpAddr, rule: Option<&'a AccessRule>) -> ClientView<'a> {
        match rule {
            Some(rule) => ClientView {
                address: Some(address),
                tags: rule.tags,
                tag_actions: &rule.tag_actions,
                tag_data: &rule.tag_data,
            },
            None => ClientView {
                address: Some(address),
                ..ClientView::ANYONE
            },
        }
    }

    /// Unbound `local_zones_tags_lookup`: an untagged zone is seen by everyone, a tagged one
    /// only by clients sharing a tag.
    pub fn sees(&self, zone: &LocalZone) -> bool {
        zone.tags.is_empty() || zone.tags.first_common(self.tags).is_some()
    }

    /// Unbound `lz_type`: the client's most specific `local-zone-override` first; else, when
    /// zone and client share tags, the first shared tag's action (or the zone's type). The tag
    /// is returned for tag data.
    pub fn zone_type(&self, zone: &LocalZone) -> (LocalZoneType, Option<usize>) {
        if let Some(address) = self.address {
            let overridden = zone
                .overrides
                .iter()
                .filter(|(cidr, _)| cidr.contains(address))
                .max_by_key(|(cidr, _)| cidr.prefix_length());
            if let Some((_, zone_type)) = overridden {
                return (*zone_type, None);
            }
        }
        let Some(tag) = zone.tags.first_common(self.tags) else {
            return (zone.zone_type, None);
        };
        let action = self
            .tag_actions
            .iter()
            .find(|(known, _)| *known == tag)
            .map(|(_, zone_type)| *zone_type);
        (action.unwrap_or(zone.zone_type), Some(tag))
    }

    /// The client's tag data for `tag` of `record_type`, else its CNAME (Unbound
    /// `local_data_find_tag_datas`).
    pub fn tag_data(&self, tag: usize, record_type: RecordType) -> Option<&'a [Record]> {
        let of_type = |wanted: RecordType| {
            self.tag_data.iter().find(|(known, rrset)| {
                *known == tag
                    && rrset
                        .first()
                        .is_some_and(|first| first.record_type() == wanted)
            })
        };
        of_type(record_type)
            .or_else(|| of_type(RecordType::CNAME))
            .map(|(_, rrset)| rrset.as_slice())
    }
}
