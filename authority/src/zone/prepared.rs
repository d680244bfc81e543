//! One zone prepared for lookup (NSD style): nodes keyed by lowercased name, RRsets per type,
//! delegations marked, empty non-terminals present, additional addresses precomputed.
//! Built only by `zone::build`; the query path reads it and never changes it.

use std::sync::Arc;

use hickory_proto::rr::{LowerName, Name, Record, RecordType};
use hickory_proto::serialize::binary::BinDecodable;

use crate::zone::name_table::NameTable;
pub use crate::zone::record_set::RecordSet;

/// One RRset plus the address RRsets of the names it points at (NS, MX, SRV targets in this
/// zone), so answers add them without searching at query time.
#[derive(Clone, Debug)]
pub struct ServedSet {
    pub set: Arc<RecordSet>,
    /// Boxed, not a Vec: most sets have none, and 8 bytes less per RRset is 8 MB per million.
    pub additional: Box<[Arc<RecordSet>]>,
}

/// A node's RRsets, in type order. Most names hold one RRset, which is kept in the node itself:
/// no allocation of its own (a 24-byte list in a 32-byte block per name, 32 MB per million).
#[derive(Clone, Debug)]
pub enum ServedSets {
    One(ServedSet),
    /// None (an empty non-terminal) or several.
    Many(Box<[ServedSet]>),
}

impl Default for ServedSets {
    fn default() -> Self {
        ServedSets::Many(Box::default())
    }
}

impl From<Vec<ServedSet>> for ServedSets {
    fn from(mut sets: Vec<ServedSet>) -> Self {
        if sets.len() == 1 {
            if let Some(one) = sets.pop() {
                return ServedSets::One(one);
            }
        }
        ServedSets::Many(sets.into_boxed_slice())
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
                additional: Box::default(),
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
                    ServedSets::Many(many) => many.len() * std::mem::size_of::<ServedSet>(),
                };
                let served: usize = node
                    .sets
                    .iter()
                    .map(|served| {
                        served.set.heap_bytes()
                            + served.additional.len() * std::mem::size_of::<Arc<RecordSet>>()
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
    fn a_node_and_its_one_rrset_take_no_more_than_thirty_two_bytes() {
        assert!(std::mem::size_of::<ServedSets>() <= 24);
        assert!(std::mem::size_of::<ZoneNode>() <= 32);
    }
}
