//! One zone prepared for lookup (NSD style): nodes keyed by lowercased name, RRsets per type,
//! delegations marked, empty non-terminals present, additional addresses precomputed.
//! Built only by `zone::build`; the query path reads it and never changes it.

use std::sync::Arc;

use hickory_proto::rr::{LowerName, Name, Record, RecordType};
use hickory_proto::serialize::binary::BinDecodable;

use crate::zone::name_table::NameTable;
pub use crate::zone::record_set::RecordSet;

/// A list in 8 bytes (none, or a boxed `Vec`), read as a slice: for the lists a node holds that
/// are most often empty, where a boxed slice (16 bytes) in every node of a million-name zone
/// would be 8 MB more.
#[derive(Clone, Debug, PartialEq)]
#[allow(
    clippy::box_collection,
    reason = "the box is the point: a thin 8-byte pointer, where a Vec takes 24 bytes"
)]
pub struct CompactList<T>(Option<Box<Vec<T>>>);

impl<T> Default for CompactList<T> {
    fn default() -> Self {
        CompactList(None)
    }
}

impl<T> From<Vec<T>> for CompactList<T> {
    fn from(items: Vec<T>) -> Self {
        // Empty is None, so two empty lists are alike however they were made.
        CompactList((!items.is_empty()).then(|| Box::new(items)))
    }
}

impl<T> CompactList<T> {
    pub fn into_vec(self) -> Vec<T> {
        self.0.map_or_else(Vec::new, |items| *items)
    }
}

impl<T> std::ops::Deref for CompactList<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl<T> std::ops::DerefMut for CompactList<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.0.as_deref_mut().map_or(&mut [], Vec::as_mut_slice)
    }
}

impl<'list, T> IntoIterator for &'list CompactList<T> {
    type Item = &'list T;
    type IntoIter = std::slice::Iter<'list, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'list, T> IntoIterator for &'list mut CompactList<T> {
    type Item = &'list mut T;
    type IntoIter = std::slice::IterMut<'list, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

/// One RRset plus the address RRsets of the names it points at (NS, MX, SRV targets in this
/// zone), so answers add them without searching at query time.
#[derive(Clone, Debug)]
pub struct ServedSet {
    pub set: Arc<RecordSet>,
    /// Most sets have none.
    pub additional: CompactList<Arc<RecordSet>>,
}

/// A node's RRsets, in type order. Most names hold one RRset, which is kept in the node itself:
/// no allocation of its own (16 bytes in the node).
#[derive(Clone, Debug)]
pub enum ServedSets {
    One(ServedSet),
    /// None (an empty non-terminal) or several.
    Many(CompactList<ServedSet>),
}

impl Default for ServedSets {
    fn default() -> Self {
        ServedSets::Many(CompactList::default())
    }
}

impl From<Vec<ServedSet>> for ServedSets {
    fn from(mut sets: Vec<ServedSet>) -> Self {
        if sets.len() == 1 {
            if let Some(one) = sets.pop() {
                return ServedSets::One(one);
            }
        }
        sets.shrink_to_fit();
        ServedSets::Many(sets.into())
    }
}

impl ServedSets {
    pub fn into_vec(self) -> Vec<ServedSet> {
        match self {
            ServedSets::One(one) => vec![one],
            ServedSets::Many(many) => many.into_vec(),
        }
    }
}

impl std::ops::Deref for ServedSets {
    type Target = [ServedSet];

    fn deref(&self) -> &[ServedSet] {
        match self {
            ServedSets::One(one) => std::slice::from_ref(one),
            ServedSets::Many(many) => many,
        }
    }
}

impl std::ops::DerefMut for ServedSets {
    fn deref_mut(&mut self) -> &mut [ServedSet] {
        match self {
            ServedSets::One(one) => std::slice::from_mut(one),
            ServedSets::Many(many) => many,
        }
    }
}

impl<'sets> IntoIterator for &'sets ServedSets {
    type Item = &'sets ServedSet;
    type IntoIter = std::slice::Iter<'sets, ServedSet>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'sets> IntoIterator for &'sets mut ServedSets {
    type Item = &'sets mut ServedSet;
    type IntoIter = std::slice::IterMut<'sets, ServedSet>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter_mut()
    }
}

/// One name in the zone. An empty `sets` is an empty non-terminal (RFC 8020: it exists).
#[derive(Clone, Debug, Default)]
pub struct ZoneNode {
    /// Sorted by record type code so ANY picks a stable first RRset. Changed only when a zone
    /// is signed.
    pub sets: ServedSets,
    /// NS below the apex: a zone cut (RFC 1034 §4.2.1).
    pub is_delegation: bool,
    /// A DNAME is here (RFC 6672 §2.1): names below this one are redirected (`dname_target`).
    /// A flag, not the decoded target: DNAMEs are rare, and even a boxed target would add 8
    /// bytes to every node (a 40-byte node instead of 32; 8 MB a million names).
    pub has_dname: bool,
}

impl ZoneNode {
    /// Adds `set`, replacing the RRset of its type if there is one, in type order.
    pub fn put_set(&mut self, set: Arc<RecordSet>) {
        let mut sets = std::mem::take(&mut self.sets).into_vec();
        sets.retain(|served| served.set.record_type != set.record_type);
        let code = u16::from(set.record_type);
        let index = sets.partition_point(|served| u16::from(served.set.record_type) < code);
        sets.insert(
            index,
            ServedSet {
                set,
                additional: CompactList::default(),
            },
        );
        self.sets = sets.into();
    }

    /// The DNAME target (RFC 6672 §2.1), decoded from the DNAME RRset when one is here.
    pub fn dname_target(&self) -> Option<Name> {
        if !self.has_dname {
            return None;
        }
        let record = self.find(RecordType::DNAME)?.set.wire_records().next()?;
        Name::from_bytes(record.rdata).ok()
    }

    pub fn find(&self, record_type: RecordType) -> Option<&ServedSet> {
        self.sets
            .iter()
            .find(|served| served.set.record_type == record_type)
    }
}

/// A zone ready to answer from.
#[derive(Clone, Debug)]
pub struct Zone {
    pub origin: Name,
    /// Every name, keyed by its canonical form (`name_table`).
    pub nodes: NameTable,
    /// The apex SOA as stored.
    pub soa: Arc<RecordSet>,
    /// The SOA for negative answers: TTL = min(SOA TTL, SOA minimum) (RFC 2308 §3).
    pub negative_soa: Arc<RecordSet>,
    pub record_count: usize,
    /// Signing data (settings; once signed, the NSEC/NSEC3 chain for proofs), `None` for a zone
    /// without `dnssec` settings. Boxed: most zones have none.
    pub dnssec: Option<Box<crate::dnssec::ZoneDnssec>>,
}

impl Zone {
    pub fn node(&self, name: &Name) -> Option<&ZoneNode> {
        self.nodes.get(name)
    }

    /// As `node`, for a name already lowercased (the query path lowercases once).
    pub fn node_lower(&self, name: &LowerName) -> Option<&ZoneNode> {
        self.nodes.get(name)
    }

    /// The apex node; it always exists (build checks SOA and NS there).
    pub fn apex(&self) -> Option<&ZoneNode> {
        self.node(&self.origin)
    }

    /// Bytes the zone holds: its name table, and each RRset and list of additional data once
    /// (for the zone memory limit's estimate, `memory_limit`).
    pub fn heap_bytes(&self) -> usize {
        let sets: usize = self
            .nodes
            .values()
            .map(|node| {
                let list = match &node.sets {
                    ServedSets::One(_) => 0,
                    ServedSets::Many(many) if many.is_empty() => 0,
                    ServedSets::Many(many) => 32 + many.len() * std::mem::size_of::<ServedSet>(),
                };
                let served: usize = node
                    .sets
                    .iter()
                    .map(|served| {
                        let additional = match served.additional.len() {
                            0 => 0,
                            length => 32 + length * std::mem::size_of::<Arc<RecordSet>>(),
                        };
                        served.set.heap_bytes() + additional
                    })
                    .sum();
                list + served
            })
            .sum();
        self.nodes.heap_bytes() + sets
    }

    /// Every record in the zone, apex first, for converting to a master file or listing.
    pub fn records(&self) -> Vec<Record> {
        let mut nodes: Vec<(&[u8], &ZoneNode)> = self
            .nodes
            .canonical_keys()
            .zip(self.nodes.values())
            .collect();
        nodes.sort_unstable_by_key(|(key, _)| *key);
        let mut records = Vec::with_capacity(self.record_count);
        for (_, node) in nodes {
            for served in &node.sets {
                records.extend(served.set.records());
            }
        }
        records
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A million-name zone holds a million nodes: each byte here is a megabyte there.
    #[test]
    fn a_node_and_its_one_rrset_take_no_more_than_twenty_four_bytes() {
        assert!(std::mem::size_of::<ServedSets>() <= 16);
        assert!(std::mem::size_of::<ZoneNode>() <= 24);
    }
}
