//! The zone's names (NSD's domain table): each name once, as its canonical key (lowercased labels
//! from the root down, `canonical_key`), mapped to its node; hickory names are made only on demand.
//! A key is a quarter of a hickory `LowerName`'s size, and a lookup allocates nothing.

use std::collections::hash_map::{self, HashMap};

use hickory_proto::rr::{LowerName, Name};

use crate::zone::prepared::ZoneNode;

/// The longest canonical key: a 255-octet name whose every octet is escaped (two bytes each).
const MAX_KEY_BYTES: usize = 2 * 255;

/// Writes the canonical key of `name` into `buffer`, returning its length (None if it does not
/// fit, which a valid name never does). See `canonical_key`.
fn encode_key(name: &Name, buffer: &mut [u8; MAX_KEY_BYTES]) -> Option<usize> {
    let mut length = 0;
    let mut push = |octet: u8| -> Option<()> {
        *buffer.get_mut(length)? = octet;
        length += 1;
        Some(())
    };
    for label in name.iter().rev() {
        for &octet in label {
            match octet.to_ascii_lowercase() {
                0 => {
                    push(1)?;
                    push(1)?;
                }
                1 => {
                    push(1)?;
                    push(2)?;
                }
                other => push(other)?,
            }
        }
        push(0)?;
    }
    Some(length)
}

/// A byte string whose plain ordering is the canonical DNS order of names (RFC 4034 §6.1): labels
/// from the root down, each lowercased and ended by 0, with the octets 0 and 1 escaped as 1 1 and
/// 1 2 so a shorter label always sorts first. Sorting these is memcmp, not label-by-label work.
pub fn canonical_key(name: &Name) -> Vec<u8> {
    let mut buffer = [0u8; MAX_KEY_BYTES];
    let length = encode_key(name, &mut buffer).unwrap_or(0);
    buffer.get(..length).unwrap_or_default().to_vec()
}

/// The canonical key of a name given in uncompressed wire form (labels, each after its length,
/// ending with the root's zero), as `canonical_key` makes it from a hickory name.
pub fn canonical_key_of_wire(wire: &[u8]) -> Vec<u8> {
    let mut labels: Vec<&[u8]> = Vec::with_capacity(8);
    let mut at = 0;
    while let Some(&length) = wire.get(at) {
        if length == 0 {
            break;
        }
        let Some(label) = wire.get(at + 1..at + 1 + usize::from(length)) else {
            break;
        };
        labels.push(label);
        at += 1 + usize::from(length);
    }
    let mut key = Vec::with_capacity(wire.len() + 2);
    for label in labels.iter().rev() {
        for &octet in *label {
            match octet.to_ascii_lowercase() {
                0 => key.extend_from_slice(&[1, 1]),
                1 => key.extend_from_slice(&[1, 2]),
                other => key.push(other),
            }
        }
        key.push(0);
    }
    key
}

/// The name a canonical key was made from, lowercased.
pub fn name_of_key(key: &[u8]) -> LowerName {
    let mut labels: Vec<Vec<u8>> = Vec::new();
    let mut label = Vec::new();
    let mut octets = key.iter();
    while let Some(&octet) = octets.next() {
        match octet {
            0 => labels.push(std::mem::take(&mut label)),
            1 => label.push(octets.next().map_or(0, |escaped| escaped - 1)),
            other => label.push(other),
        }
    }
    labels.reverse();
    let mut name = LowerName::default();
    // Keys are only made from valid names, so the labels make one again.
    if let Ok(mut made) = Name::from_labels(labels) {
        made.set_fqdn(true);
        *name = made;
    }
    name
}

/// Every name of a zone and its node.
#[derive(Clone, Debug, Default)]
pub struct NameTable {
    nodes: HashMap<Box<[u8]>, ZoneNode>,
}

impl NameTable {
    pub fn with_capacity(capacity: usize) -> NameTable {
        NameTable {
            nodes: HashMap::with_capacity(capacity),
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node of `name` (any case).
    pub fn get(&self, name: &Name) -> Option<&ZoneNode> {
        let mut buffer = [0u8; MAX_KEY_BYTES];
        let length = encode_key(name, &mut buffer)?;
        self.nodes.get(buffer.get(..length)?)
    }

    pub fn get_mut(&mut self, name: &Name) -> Option<&mut ZoneNode> {
        let mut buffer = [0u8; MAX_KEY_BYTES];
        let length = encode_key(name, &mut buffer)?;
        self.nodes.get_mut(buffer.get(..length)?)
    }

    /// The node under a canonical key.
    pub fn get_by_key(&self, key: &[u8]) -> Option<&ZoneNode> {
        self.nodes.get(key)
    }

    pub fn contains_key(&self, name: &Name) -> bool {
        self.get(name).is_some()
    }

    /// Sets the node of `name`, returning the one it replaces.
    pub fn insert(&mut self, name: &Name, node: ZoneNode) -> Option<ZoneNode> {
        self.insert_key(canonical_key(name).into_boxed_slice(), node)
    }

    /// Sets the node under a canonical key, returning the one it replaces.
    pub fn insert_key(&mut self, key: Box<[u8]>, node: ZoneNode) -> Option<ZoneNode> {
        self.nodes.insert(key, node)
    }

    /// The node of `name`, made empty (an empty non-terminal) if there was none.
    pub fn get_or_insert_default(&mut self, name: &Name) -> &mut ZoneNode {
        match self.nodes.entry(canonical_key(name).into_boxed_slice()) {
            hash_map::Entry::Occupied(entry) => entry.into_mut(),
            hash_map::Entry::Vacant(entry) => entry.insert(ZoneNode::default()),
        }
    }

    /// The names, made from their keys (cold paths only: each is a new `LowerName`).
    pub fn keys(&self) -> impl Iterator<Item = LowerName> + '_ {
        self.nodes.keys().map(|key| name_of_key(key))
    }

    /// The canonical keys, in the table's order (the same order as `values`).
    pub fn canonical_keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.nodes.keys().map(|key| &key[..])
    }

    pub fn values(&self) -> impl Iterator<Item = &ZoneNode> + '_ {
        self.nodes.values()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut ZoneNode> + '_ {
        self.nodes.values_mut()
    }

    /// Names and nodes (names made on demand, as in `keys`).
    pub fn iter(&self) -> impl Iterator<Item = (LowerName, &ZoneNode)> + '_ {
        self.nodes
            .iter()
            .map(|(key, node)| (name_of_key(key), node))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (LowerName, &mut ZoneNode)> + '_ {
        self.nodes
            .iter_mut()
            .map(|(key, node)| (name_of_key(key), node))
    }

    /// Keys and nodes, without making names.
    pub fn iter_keys(&self) -> impl Iterator<Item = (&[u8], &ZoneNode)> + '_ {
        self.nodes.iter().map(|(key, node)| (&key[..], node))
    }

    pub fn get_by_key_mut(&mut self, key: &[u8]) -> Option<&mut ZoneNode> {
        self.nodes.get_mut(key)
    }

    /// Keys and nodes, without making names, to change the nodes.
    pub fn iter_keys_mut(&mut self) -> impl Iterator<Item = (&[u8], &mut ZoneNode)> + '_ {
        self.nodes.iter_mut().map(|(key, node)| (&key[..], node))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name from text, where `\NNN` is an octet in decimal.
    fn name(text: &str) -> Name {
        let labels: Vec<Vec<u8>> = text
            .trim_end_matches('.')
            .split('.')
            .filter(|label| !label.is_empty())
            .map(|label| match label.split_once('\\') {
                Some((before, after)) => {
                    let octet: u8 = after.get(..3).and_then(|n| n.parse().ok()).expect("octet");
                    let mut bytes = before.as_bytes().to_vec();
                    bytes.push(octet);
                    bytes.extend_from_slice(after.get(3..).unwrap_or_default().as_bytes());
                    bytes
                }
                None => label.as_bytes().to_vec(),
            })
            .collect();
        let mut name = Name::from_labels(labels).expect("name");
        name.set_fqdn(true);
        name
    }

    #[test]
    fn a_name_comes_back_lowercased_from_its_key() {
        for text in [
            ".",
            "example.test.",
            "WWW.Example.TEST.",
            "*.wild.test.",
            "a\\000b.test.",
        ] {
            let key = canonical_key(&name(text));
            assert_eq!(name_of_key(&key), LowerName::new(&name(text)), "{text}");
        }
    }

    #[test]
    fn keys_sort_in_canonical_order() {
        // RFC 4034 §6.1's example order.
        let ordered = [
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
        let keys: Vec<Vec<u8>> = ordered
            .iter()
            .map(|text| canonical_key(&name(text)))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn a_wire_name_has_the_key_of_its_name() {
        use hickory_proto::serialize::binary::BinEncodable;
        for text in [
            "example.test.",
            "WWW.Example.TEST.",
            "*.wild.test.",
            "a\\001b.test.",
            ".",
        ] {
            let name = name(text);
            let wire = name.to_bytes().expect("wire");
            assert_eq!(canonical_key_of_wire(&wire), canonical_key(&name), "{text}");
        }
    }

    #[test]
    fn lookups_ignore_case() {
        let mut table = NameTable::default();
        table.insert(&name("Host.Example.TEST."), ZoneNode::default());
        assert!(table.get(&name("host.example.test.")).is_some());
        assert!(table.contains_key(&name("HOST.EXAMPLE.TEST.")));
        assert!(table.get(&name("other.example.test.")).is_none());
        assert_eq!(table.len(), 1);
    }
}
