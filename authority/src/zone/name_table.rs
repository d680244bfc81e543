//! The zone's names (NSD's domain table): each name once, as its canonical key (lowercased labels
//! from the root down, `canonical_key`), mapped to its node; hickory names are made only on demand.
//! A key is a quarter of a hickory `LowerName`'s size, and a lookup allocates nothing.

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
    let mut key = Vec::with_capacity(wire.len() + 2);
    write_canonical_key_of_wire(wire, &mut key);
    key
}

/// `canonical_key_of_wire` into `key` (emptied first), so a loop over records reuses one buffer.
pub fn write_canonical_key_of_wire(wire: &[u8], key: &mut Vec<u8>) {
    key.clear();
    // Label starts, root first after the reversal; a name has at most 128 labels.
    let mut starts = [0u8; 128];
    let mut count = 0;
    let mut at = 0;
    while let Some(&length) = wire.get(at) {
        if length == 0 || wire.len() < at + 1 + usize::from(length) {
            break;
        }
        let (Some(slot), Ok(start)) = (starts.get_mut(count), u8::try_from(at)) else {
            break;
        };
        *slot = start;
        count += 1;
        at += 1 + usize::from(length);
    }
    for &start in starts.get(..count).unwrap_or_default().iter().rev() {
        let start = usize::from(start);
        let length = usize::from(wire.get(start).copied().unwrap_or(0));
        for &octet in wire.get(start + 1..start + 1 + length).unwrap_or_default() {
            match octet.to_ascii_lowercase() {
                0 => key.extend_from_slice(&[1, 1]),
                1 => key.extend_from_slice(&[1, 2]),
                other => key.push(other),
            }
        }
        key.push(0);
    }
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

/// A key's place in the table's key bytes: start (high 48 bits) and length (low 16 bits), so an
/// entry is a node and 8 bytes, not a node and a 16-byte boxed key with its own allocation.
#[derive(Clone, Copy, Debug)]
struct KeyPlace(u64);

impl KeyPlace {
    fn new(start: usize, length: usize) -> Option<KeyPlace> {
        let start = u64::try_from(start).ok().filter(|start| *start < 1 << 48)?;
        let length = u16::try_from(length).ok()?;
        Some(KeyPlace(start << 16 | u64::from(length)))
    }

    fn range(self) -> std::ops::Range<usize> {
        // Made from a usize by `new`: both fit.
        let start = (self.0 >> 16) as usize;
        start..start + (self.0 & 0xFFFF) as usize
    }
}

#[derive(Clone, Debug)]
struct Entry<Node> {
    key: KeyPlace,
    node: Node,
}

/// Below this many entries, a list being emptied by `map_nodes` is not shrunk (a large list
/// lives in its own mapping, which shrinks in place; a small one is not worth the calls).
const MAP_SHRINK_MIN_CAPACITY: usize = 4096;

/// An empty slot of the index (slots hold an entry's position + 1).
const EMPTY_SLOT: u32 = 0;

/// The index is kept at most half full, so a probe finds a match or an empty slot within a couple
/// of steps (linear probing's expected probes at load ½: 1.5 for a hit, 2.5 for a miss).
const MAX_LOAD_NUMERATOR: usize = 1;
const MAX_LOAD_DENOMINATOR: usize = 2;

/// Every name of a zone and its node (NSD's domain table, compact; the zone build fills the
/// zone's own, node by node, and a zone reader keeps its owners seen in one): the keys end to
/// end in one buffer, the nodes in one list in insertion order (a node keeps its position), and
/// an open-addressing index of 4-byte positions hashed with a keyed hash (names from a transfer
/// cannot be chosen to collide). Per name of a zone: 32 bytes of entry, the key, and 8 bytes of
/// index; no allocation per name.
#[derive(Clone, Debug)]
pub struct NameTable<Node = ZoneNode> {
    key_bytes: Vec<u8>,
    entries: Vec<Entry<Node>>,
    slots: Vec<u32>,
    hasher: ahash::RandomState,
}

impl<Node> Default for NameTable<Node> {
    fn default() -> Self {
        NameTable {
            key_bytes: Vec::new(),
            entries: Vec::new(),
            slots: Vec::new(),
            hasher: ahash::RandomState::new(),
        }
    }
}

impl<Node: Default> NameTable<Node> {
    pub fn with_capacity(capacity: usize) -> Self {
        let mut table = NameTable::default();
        table.entries.reserve_exact(capacity);
        table.slots = vec![EMPTY_SLOT; Self::slots_for(capacity)];
        table
    }

    /// The same names with each node replaced by `change(key, node)` (called from the last name
    /// to the first), in the same order: the keys and the index are kept as they are (no key is
    /// copied, no name hashed again).
    pub fn map_nodes<Other>(
        self,
        mut change: impl FnMut(&[u8], Node) -> Other,
    ) -> NameTable<Other> {
        let NameTable {
            key_bytes,
            mut entries,
            slots,
            hasher,
        } = self;
        // Taken from the end, the old list giving back its memory as it empties, so the two
        // lists are never both whole (for a million names, each is tens of MB: the load's
        // peak). The new list's pages are touched only as it fills.
        let mut changed = Vec::with_capacity(entries.len());
        while let Some(Entry { key, node }) = entries.pop() {
            if entries.capacity() > MAP_SHRINK_MIN_CAPACITY
                && entries.len() < entries.capacity() / 8 * 7
            {
                entries.shrink_to_fit();
            }
            let bytes = key_bytes.get(key.range()).unwrap_or_default();
            changed.push(Entry {
                key,
                node: change(bytes, node),
            });
        }
        // Back in insertion order: the index holds positions.
        changed.reverse();
        NameTable {
            key_bytes,
            entries: changed,
            slots,
            hasher,
        }
    }

    /// Index slots for `entries` names: a power of two, at most half full.
    fn slots_for(entries: usize) -> usize {
        (entries.saturating_mul(MAX_LOAD_DENOMINATOR) / MAX_LOAD_NUMERATOR)
            .max(8)
            .checked_next_power_of_two()
            .unwrap_or(usize::MAX / 2 + 1)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Bytes the table holds itself (keys, entries, index), not what its nodes point to.
    pub fn heap_bytes(&self) -> usize {
        self.key_bytes.capacity()
            + self.entries.capacity() * std::mem::size_of::<Entry<Node>>()
            + self.slots.capacity() * std::mem::size_of::<u32>()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn key_of(&self, entry: &Entry<Node>) -> &[u8] {
        self.key_bytes.get(entry.key.range()).unwrap_or_default()
    }

    fn hash(&self, key: &[u8]) -> usize {
        // Truncation is fine: the slot is the low bits.
        self.hasher.hash_one(key) as usize
    }

    /// The slot holding `key`, or the empty slot where it would go (None: no index yet).
    fn probe(&self, key: &[u8]) -> Option<(usize, Option<usize>)> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut slot = self.hash(key) & mask;
        // At most half the slots are taken, so an empty one comes within len() steps.
        for _ in 0..self.slots.len() {
            let held = *self.slots.get(slot)?;
            if held == EMPTY_SLOT {
                return Some((slot, None));
            }
            let position = (held - 1) as usize;
            if let Some(entry) = self.entries.get(position) {
                if self.key_of(entry) == key {
                    return Some((slot, Some(position)));
                }
            }
            slot = (slot + 1) & mask;
        }
        None
    }

    fn position(&self, key: &[u8]) -> Option<usize> {
        self.probe(key)?.1
    }

    /// Makes room in the index for one more name (rebuilds it twice as large when full).
    fn grow_for_one_more(&mut self) {
        let wanted = Self::slots_for(self.entries.len() + 1);
        if wanted > self.slots.len() {
            self.slots = vec![EMPTY_SLOT; wanted];
            self.rebuild_index();
        }
    }

    /// The node of `name` (any case).
    pub fn get(&self, name: &Name) -> Option<&Node> {
        let mut buffer = [0u8; MAX_KEY_BYTES];
        let length = encode_key(name, &mut buffer)?;
        self.get_by_key(buffer.get(..length)?)
    }

    pub fn get_mut(&mut self, name: &Name) -> Option<&mut Node> {
        let mut buffer = [0u8; MAX_KEY_BYTES];
        let length = encode_key(name, &mut buffer)?;
        self.get_by_key_mut(buffer.get(..length)?)
    }

    /// The node under a canonical key.
    pub fn get_by_key(&self, key: &[u8]) -> Option<&Node> {
        let position = self.position(key)?;
        self.entries.get(position).map(|entry| &entry.node)
    }

    pub fn get_by_key_mut(&mut self, key: &[u8]) -> Option<&mut Node> {
        let position = self.position(key)?;
        self.entries.get_mut(position).map(|entry| &mut entry.node)
    }

    pub fn contains_key(&self, name: &Name) -> bool {
        self.get(name).is_some()
    }

    /// Sets the node of `name`, returning the one it replaces.
    pub fn insert(&mut self, name: &Name, node: Node) -> Option<Node> {
        self.insert_key(&canonical_key(name), node)
    }

    /// Sets the node under a canonical key, returning the one it replaces. A table holds at most
    /// u32::MAX - 1 names (far past any memory limit); a name past that is not added.
    pub fn insert_key(&mut self, key: &[u8], node: Node) -> Option<Node> {
        if let Some(position) = self.position(key) {
            return self
                .entries
                .get_mut(position)
                .map(|entry| std::mem::replace(&mut entry.node, node));
        }
        self.append(key, node);
        None
    }

    /// Adds a name known not to be in the table; its position, or None when the table is full.
    fn append(&mut self, key: &[u8], node: Node) -> Option<usize> {
        let position = self.entries.len();
        let held = u32::try_from(position + 1)
            .ok()
            .filter(|held| *held != u32::MAX)?;
        let place = KeyPlace::new(self.key_bytes.len(), key.len())?;
        self.grow_for_one_more();
        let (slot, _) = self.probe(key)?;
        self.key_bytes.extend_from_slice(key);
        self.entries.push(Entry { key: place, node });
        if let Some(free) = self.slots.get_mut(slot) {
            *free = held;
        }
        Some(position)
    }

    /// The node under `key`, made empty (an empty non-terminal) if there was none.
    pub fn get_or_insert_default_key(&mut self, key: &[u8]) -> Option<&mut Node> {
        let position = match self.position(key) {
            Some(position) => position,
            None => self.append(key, Node::default())?,
        };
        self.entries.get_mut(position).map(|entry| &mut entry.node)
    }

    /// The position of the node under `key` (made empty if there was none), for `node_at_mut`;
    /// None only when the table is full (see `insert_key`).
    pub fn position_or_insert_default_key(&mut self, key: &[u8]) -> Option<usize> {
        match self.position(key) {
            Some(position) => Some(position),
            None => self.append(key, Node::default()),
        }
    }

    /// The position of the node under `key`: nodes keep their positions (insertion order).
    pub fn position_of_key(&self, key: &[u8]) -> Option<usize> {
        self.position(key)
    }

    pub fn node_at(&self, position: usize) -> Option<&Node> {
        self.entries.get(position).map(|entry| &entry.node)
    }

    pub fn node_at_mut(&mut self, position: usize) -> Option<&mut Node> {
        self.entries.get_mut(position).map(|entry| &mut entry.node)
    }

    /// The node of `name`, made empty (an empty non-terminal) if there was none. None only when
    /// the table is full (see `insert_key`).
    pub fn get_or_insert_default(&mut self, name: &Name) -> Option<&mut Node> {
        self.get_or_insert_default_key(&canonical_key(name))
    }

    /// Room for `additional` more names without growing the index or the list.
    pub fn reserve_exact(&mut self, additional: usize) {
        self.entries.reserve_exact(additional);
        let wanted = Self::slots_for(self.entries.len().saturating_add(additional));
        if wanted > self.slots.len() {
            self.slots = vec![EMPTY_SLOT; wanted];
            self.rebuild_index();
        }
    }

    /// Fills the index (of the size it has) from the entries.
    fn rebuild_index(&mut self) {
        self.slots.fill(EMPTY_SLOT);
        let mask = self.slots.len().saturating_sub(1);
        for (position, entry) in self.entries.iter().enumerate() {
            let key = self.key_bytes.get(entry.key.range()).unwrap_or_default();
            let mut slot = self.hasher.hash_one(key) as usize & mask;
            while self.slots.get(slot).is_some_and(|held| *held != EMPTY_SLOT) {
                slot = (slot + 1) & mask;
            }
            if let Some(held) = self.slots.get_mut(slot) {
                // Positions fit: `append` refuses past u32::MAX - 1 names.
                *held = position as u32 + 1;
            }
        }
    }

    /// The names, made from their keys (cold paths only: each is a new `LowerName`).
    pub fn keys(&self) -> impl Iterator<Item = LowerName> + '_ {
        self.canonical_keys().map(name_of_key)
    }

    /// The canonical keys, in the table's order (the same order as `values`).
    pub fn canonical_keys(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.entries.iter().map(|entry| self.key_of(entry))
    }

    pub fn values(&self) -> impl Iterator<Item = &Node> + '_ {
        self.entries.iter().map(|entry| &entry.node)
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Node> + '_ {
        self.entries.iter_mut().map(|entry| &mut entry.node)
    }

    /// Names and nodes (names made on demand, as in `keys`).
    pub fn iter(&self) -> impl Iterator<Item = (LowerName, &Node)> + '_ {
        self.iter_keys().map(|(key, node)| (name_of_key(key), node))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (LowerName, &mut Node)> + '_ {
        self.iter_keys_mut()
            .map(|(key, node)| (name_of_key(key), node))
    }

    /// Keys and nodes, without making names.
    pub fn iter_keys(&self) -> impl Iterator<Item = (&[u8], &Node)> + '_ {
        self.entries
            .iter()
            .map(|entry| (self.key_of(entry), &entry.node))
    }

    /// Keys and nodes, without making names, to change the nodes.
    pub fn iter_keys_mut(&mut self) -> impl Iterator<Item = (&[u8], &mut Node)> + '_ {
        let key_bytes = &self.key_bytes;
        self.entries.iter_mut().map(move |entry| {
            (
                key_bytes.get(entry.key.range()).unwrap_or_default(),
                &mut entry.node,
            )
        })
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

    /// The index grows as names come (from no capacity at all), every name stays found, and a
    /// name inserted again replaces its node rather than adding one.
    #[test]
    fn a_table_grows_and_keeps_every_name() {
        let mut table: NameTable<u32> = NameTable::default();
        for number in 0..5000u32 {
            let key = canonical_key(&name(&format!("host{number}.example.test.")));
            assert_eq!(table.insert_key(&key, number), None);
        }
        let key = canonical_key(&name("HOST7.example.test."));
        assert_eq!(table.insert_key(&key, 70), Some(7));
        assert_eq!(table.len(), 5000);
        for number in 0..5000u32 {
            let expected = if number == 7 { 70 } else { number };
            let key = canonical_key(&name(&format!("Host{number}.Example.test.")));
            assert_eq!(table.get_by_key(&key), Some(&expected), "host{number}");
        }
        assert!(table
            .get_by_key(&canonical_key(&name("host5000.example.test.")))
            .is_none());
        let keys: Vec<&[u8]> = table.canonical_keys().collect();
        assert_eq!(
            keys.first().copied(),
            Some(&canonical_key(&name("host0.example.test."))[..])
        );
    }

    #[test]
    fn mapped_nodes_keep_their_names() {
        let mut table: NameTable<u32> = NameTable::with_capacity(2);
        for (number, text) in ["a.test.", "b.test.", "c.test."].iter().enumerate() {
            *table
                .get_or_insert_default_key(&canonical_key(&name(text)))
                .expect("room") += number as u32 + 1;
        }
        let mapped = table.map_nodes(|key, number| (key.len(), number * 10));
        assert_eq!(
            mapped.get(&name("B.TEST.")),
            Some(&(canonical_key(&name("b.test.")).len(), 20))
        );
        assert_eq!(mapped.len(), 3);
    }
}
