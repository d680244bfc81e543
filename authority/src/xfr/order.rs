//! The order an AXFR sends a zone in: names in canonical DNS order (RFC 4034 §6.1), each name's
//! RRsets together, as NSD and Knot send (packed.rs packs it once per zone version).

use std::borrow::Cow;

use hickory_proto::rr::{Record, RecordType};

use crate::xfr::journal::nsec3_sets;
use crate::zone::prepared::{Zone, ZoneNode};

/// The zone's nodes in canonical name order (RFC 4034 §6.1): the node table's keys sort as
/// plain bytes in that order.
pub fn canonical_nodes(zone: &Zone) -> Vec<&ZoneNode> {
    let mut keyed: Vec<(&[u8], &ZoneNode)> = zone.nodes.iter_keys().collect();
    keyed.sort_unstable_by(|left, right| left.0.cmp(right.0));
    keyed.into_iter().map(|(_, node)| node).collect()
}

pub use crate::zone::name_table::canonical_key;

/// Every record of a whole-zone transfer: the SOA, then each name's RRsets (the apex SOA left
/// out) followed by the name's RRSIG RRset, names in canonical order, the NSEC3 chain, the SOA.
/// The records are made from the zone's wire bytes one RRset at a time, as the packer asks.
pub fn whole_zone<'zone>(
    zone: &'zone Zone,
    nodes: Vec<&'zone ZoneNode>,
) -> impl Iterator<Item = Cow<'zone, Record>> {
    let soa = zone.soa.first();
    let body = nodes.into_iter().flat_map(|node| {
        let records = node
            .sets
            .iter()
            .filter(|served| served.set.record_type != RecordType::SOA)
            .flat_map(|served| served.set.records())
            .map(Cow::Owned);
        let signatures = node
            .sets
            .iter()
            .flat_map(|served| served.set.signatures.iter())
            .map(Cow::Borrowed);
        records.chain(signatures)
    });
    let nsec3 = nsec3_sets(zone).flat_map(|set| {
        set.records()
            .into_iter()
            .map(Cow::Owned)
            .chain(set.signatures.iter().map(Cow::Borrowed))
    });
    let soa_first = soa.clone().map(Cow::Owned);
    soa_first
        .into_iter()
        .chain(body)
        .chain(nsec3)
        .chain(soa.map(Cow::Owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xfr::messages::TransferPacker;
    use crate::zone::build::build_zone;
    use crate::zone::yaml_zone::read_zone_text;
    use hickory_proto::op::{Message, Query};
    use hickory_proto::rr::Name;

    /// The key of a name written with `\\NNN` escapes for any octet.
    fn key(text: &str) -> Vec<u8> {
        let labels: Vec<Vec<u8>> = text
            .trim_end_matches('.')
            .split('.')
            .map(|label| match label.strip_prefix('\\') {
                Some(code) => vec![code.parse::<u8>().unwrap()],
                None => label.as_bytes().to_vec(),
            })
            .collect();
        canonical_key(&Name::from_labels(labels).unwrap())
    }

    #[test]
    fn keys_sort_as_rfc_4034_section_6_1_lists() {
        // The example list of RFC 4034 §6.1, in its order.
        let listed = [
            "example.",
            "a.example.",
            "yljkjljk.a.example.",
            "Z.a.example.",
            "zABC.a.EXAMPLE.",
            "z.example.",
            "\\001.z.example.",
            "*.z.example.",
            "\\200.z.example.",
        ];
        let keys: Vec<Vec<u8>> = listed.iter().map(|name| key(name)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, keys);
    }

    #[test]
    fn a_shorter_label_sorts_first_and_zero_octets_do_not_end_a_label() {
        let raw = |first: &[u8]| {
            canonical_key(&Name::from_labels(vec![first.to_vec(), b"example".to_vec()]).unwrap())
        };
        assert!(key("example.") < key("\\000.example."));
        assert!(raw(b"a") < raw(b"a\x00"));
        assert!(raw(b"a\x00") < raw(b"a\x00\x00"));
        assert!(raw(b"a\x00\x00") < raw(b"a\x01"));
        assert!(raw(b"a\x01") < raw(b"a\x02"));
        assert!(raw(b"a\x00z") < raw(b"a\x01"));
        assert!(key("a.example.") < key("ab.example."));
        assert!(key("b.a.example.") < key("a.b.example."));
    }

    /// A zone of `names` names with an A and a TXT RRset each, some with children, one delegation.
    fn zone(names: usize) -> Zone {
        let mut text = String::from(
            "'':\n  - type: NS\n    value: ns1.example.test.\n  - type: MX\n    value:\n      preference: 10\n      exchange: mail.example.test.\nns1:\n  type: A\n  value: 192.0.2.1\nsub:\n  type: NS\n  value: ns.sub.example.test.\nns.sub:\n  type: A\n  value: 192.0.2.2\n",
        );
        for index in 0..names {
            text.push_str(&format!(
                "host{index}:\n  - type: A\n    values: [192.0.2.{}, 198.51.100.{}]\n  - type: TXT\n    value: t{index}\n",
                index % 250,
                index % 250 + 1
            ));
            if index % 7 == 0 {
                text.push_str(&format!(
                    "www.host{index}:\n  type: AAAA\n  value: 2001:db8::{index:x}\n"
                ));
            }
        }
        let origin = Name::from_ascii("example.test.").unwrap();
        let read =
            read_zone_text(&text, std::path::Path::new("example.test.yaml"), &origin).unwrap();
        build_zone(read).unwrap()
    }

    /// The records of an AXFR of `zone`, as packed into messages and decoded back.
    fn transferred(zone: &Zone) -> (Vec<Record>, usize) {
        let question = Query::query(zone.origin.clone(), RecordType::AXFR);
        let mut packer = TransferPacker::new(1, question, whole_zone(zone, canonical_nodes(zone)));
        let mut records = Vec::new();
        let mut messages = 0;
        while let Some(bytes) = packer.next_message() {
            records.extend(Message::from_vec(&bytes.unwrap()).unwrap().answers);
            messages += 1;
        }
        (records, messages)
    }

    #[test]
    fn an_axfr_sends_names_in_canonical_order_with_rrsets_together() {
        let zone = zone(500);
        let (records, _) = transferred(&zone);
        // RFC 5936 §2.2: the SOA first and last, and only there.
        assert_eq!(
            records.first().map(Record::record_type),
            Some(RecordType::SOA)
        );
        assert_eq!(
            records.last().map(Record::record_type),
            Some(RecordType::SOA)
        );
        let body = &records[1..records.len() - 1];
        assert!(body
            .iter()
            .all(|record| record.record_type() != RecordType::SOA));
        assert_eq!(body.len(), zone.record_count);
        // Owners never go backwards in canonical order; a name, and an RRset, never comes back.
        let mut finished_names = std::collections::HashSet::new();
        let mut finished_sets = std::collections::HashSet::new();
        for pair in body.windows(2) {
            let (before, after) = (&pair[0], &pair[1]);
            assert!(
                canonical_key(&before.name) <= canonical_key(&after.name),
                "{} before {}",
                before.name,
                after.name
            );
            if before.name != after.name {
                assert!(
                    finished_names.insert(before.name.clone()),
                    "{} split",
                    before.name
                );
            }
            if (&before.name, before.record_type()) != (&after.name, after.record_type()) {
                let set = (before.name.clone(), before.record_type());
                assert!(
                    finished_sets.insert(set),
                    "{} {} split",
                    before.name,
                    before.record_type()
                );
            }
        }
        // The apex comes first after the SOA; www.host0 after host0, before host1.
        assert_eq!(body[0].name, zone.origin);
        let position = |name: &str| {
            let name = Name::from_ascii(name).unwrap();
            body.iter().position(|record| record.name == name).unwrap()
        };
        assert!(position("host0.example.test.") < position("www.host0.example.test."));
        assert!(position("www.host0.example.test.") < position("host1.example.test."));
    }

    #[test]
    fn a_transfer_message_holds_many_records_because_names_are_compressed() {
        let zone = zone(3000);
        let (records, messages) = transferred(&zone);
        // Uncompressed, an A record here takes ~37 octets and a TXT ~35; compressed against the
        // previous record's owner, 16 and ~19. 16 KiB messages then hold over 700 records each.
        assert!(
            records.len() / messages > 700,
            "{} records in {messages} messages",
            records.len()
        );
    }
}
