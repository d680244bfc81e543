//! The signed NSEC or NSEC3 chain of one zone, in order, for proofs of non-existence (RFC 4034 §4,
//! RFC 5155). Built once when the zone is signed; the query path only searches it.
//!
//! NSEC3 hashes a query name that does not exist at query time (there is no other way); every
//! name that exists was hashed at signing.

use std::sync::Arc;

use hickory_proto::dnssec::Nsec3HashAlgorithm;
use hickory_proto::rr::Name;

use crate::zone::prepared::RecordSet;

/// The chain: owner (or owner hash) → its signed NSEC/NSEC3 RRset, sorted.
#[derive(Debug)]
pub enum Denial {
    /// NSEC owners in canonical order (RFC 4034 §6.1; hickory's `Name` order is that order).
    Nsec(Vec<(Name, Arc<RecordSet>)>),
    /// NSEC3 owner hashes in order (RFC 5155 §3.1.7: the hash order is the base32hex order).
    Nsec3 {
        salt: Vec<u8>,
        iterations: u16,
        chain: Vec<(Vec<u8>, Arc<RecordSet>)>,
    },
}

impl Denial {
    /// The NSEC owned by `name`, or else the one whose span covers it (owner < name < next), the
    /// last covering names after it (its next is the apex). `None` only for an empty chain.
    pub fn nsec_at_or_before(&self, name: &Name) -> Option<&Arc<RecordSet>> {
        let Denial::Nsec(chain) = self else {
            return None;
        };
        let after = chain.partition_point(|(owner, _)| owner <= name);
        let index = after
            .checked_sub(1)
            .unwrap_or(chain.len().saturating_sub(1));
        chain.get(index).map(|(_, set)| set)
    }

    /// `name`'s NSEC3 hash (RFC 5155 §5), or `None` for an NSEC zone.
    pub fn nsec3_hash(&self, name: &Name) -> Option<Vec<u8>> {
        let Denial::Nsec3 {
            salt, iterations, ..
        } = self
        else {
            return None;
        };
        Nsec3HashAlgorithm::SHA1
            .hash(salt, &name.to_lowercase(), *iterations)
            .ok()
            .map(|digest| digest.as_ref().to_vec())
    }

    /// The NSEC3 whose owner is `name`'s hash.
    pub fn nsec3_matching(&self, name: &Name) -> Option<&Arc<RecordSet>> {
        let Denial::Nsec3 { chain, .. } = self else {
            return None;
        };
        let hash = self.nsec3_hash(name)?;
        chain
            .binary_search_by(|(owner, _)| owner.as_slice().cmp(&hash))
            .ok()
            .and_then(|index| chain.get(index))
            .map(|(_, set)| set)
    }

    /// The NSEC3 whose span covers `name`'s hash (owner < hash < next, wrapping at the end).
    pub fn nsec3_covering(&self, name: &Name) -> Option<&Arc<RecordSet>> {
        let Denial::Nsec3 { chain, .. } = self else {
            return None;
        };
        let hash = self.nsec3_hash(name)?;
        let after = chain.partition_point(|(owner, _)| owner.as_slice() < hash.as_slice());
        let index = after
            .checked_sub(1)
            .unwrap_or(chain.len().saturating_sub(1));
        chain.get(index).map(|(_, set)| set)
    }

    /// Every NSEC3 RRset (they live outside the zone's nodes), for printing the zone.
    pub fn nsec3_sets(&self) -> impl Iterator<Item = &Arc<RecordSet>> {
        let sets: &[(Vec<u8>, Arc<RecordSet>)] = match self {
            Denial::Nsec3 { chain, .. } => chain,
            Denial::Nsec(_) => &[],
        };
        sets.iter().map(|(_, set)| set)
    }

    pub fn is_nsec3(&self) -> bool {
        matches!(self, Denial::Nsec3 { .. })
    }
}
