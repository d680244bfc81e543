//! Cache keys as bytes: what is cached (kind), type, class and the lower-cased wire-format owner
//! name, in one small slice. Built on the stack for lookups; boxed only when an entry is stored.

use hickory_proto::rr::{DNSClass, Name, RecordType};

use crate::limits::MAX_NAME_WIRE_BYTES;

/// What an entry holds for its name, type and class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EntryKind {
    RrSet,
    /// RFC 2308 §5: NODATA for this name and type.
    NoData,
    /// RFC 2308 §5: the name does not exist, whatever the type (the type bytes are zero).
    NxDomain,
    /// NS sets and glue as the parent zone gave them in a referral, kept apart from the
    /// child's (higher-ranked) data: the fallback when the child's servers fail (Unbound's
    /// parent-side cache, `iter_store_parentside_*`).
    ParentSide,
    /// The RRSIGs covering the RRset of this name and type (the type is the covered one),
    /// stored beside it so a cached answer carries them to DO clients (RFC 4035 §3.2.1).
    Signatures,
    /// The NSEC/NSEC3 records (and RRSIGs) proving that a wildcard-expanded RRset under the
    /// same name and type had no closer match (RFC 4035 §3.1.3.3), for DO clients.
    WildcardProof,
    /// The authority and additional sections of the final reply that answered this name and
    /// type, kept with the answer when minimal responses are off (Unbound's message cache).
    Sections,
    /// The zone's SOA as its latest negative answer gave it: a negative answer cached earlier
    /// shows this renewed TTL (Unbound's message cache refers to the rrset cache's SOA).
    NegativeSoa,
}

impl EntryKind {
    fn tag(self) -> u8 {
        match self {
            EntryKind::RrSet => 0,
            EntryKind::NoData => 1,
            EntryKind::NxDomain => 2,
            EntryKind::ParentSide => 3,
            EntryKind::Signatures => 4,
            EntryKind::WildcardProof => 5,
            EntryKind::Sections => 6,
            EntryKind::NegativeSoa => 7,
        }
    }

    /// The kind whose `tag` this is.
    pub(crate) fn from_tag(tag: u8) -> Option<EntryKind> {
        match tag {
            0 => Some(EntryKind::RrSet),
            1 => Some(EntryKind::NoData),
            2 => Some(EntryKind::NxDomain),
            3 => Some(EntryKind::ParentSide),
            6 => Some(EntryKind::Sections),
            7 => Some(EntryKind::NegativeSoa),
            _ => None,
        }
    }
}

/// Kind tag, type (2 bytes), class (2 bytes), then the name.
pub(crate) const PREFIX_BYTES: usize = 5;

/// A key being built: fixed-size, so a lookup allocates nothing.
pub(crate) struct KeyBuffer {
    bytes: [u8; PREFIX_BYTES + MAX_NAME_WIRE_BYTES],
    length: usize,
}

impl KeyBuffer {
    /// The key for `name` (any case). `None` only for a name longer than RFC 1035 allows, which
    /// hickory never builds.
    pub(crate) fn for_name(
        name: &Name,
        record_type: RecordType,
        class: DNSClass,
        kind: EntryKind,
    ) -> Option<KeyBuffer> {
        let mut key = KeyBuffer::prefix(record_type, class, kind);
        for label in name.iter() {
            key.push_label(label)?;
        }
        key.push_label(&[])?;
        Some(key)
    }

    /// The key for a name in uncompressed wire form (any case), as the wire fast path reads it
    /// from a packet or a cached CNAME. `None` for a malformed or over-long name.
    pub(crate) fn for_wire_name(
        name: &[u8],
        record_type: RecordType,
        class: DNSClass,
        kind: EntryKind,
    ) -> Option<KeyBuffer> {
        let mut key = KeyBuffer::prefix(record_type, class, kind);
        let mut rest = name;
        // Each pass consumes a label; `push_label` fails once the key is full (255 bytes).
        loop {
            let (&length, after) = rest.split_first()?;
            let label = after.get(..usize::from(length))?;
            key.push_label(label)?;
            if length == 0 {
                return Some(key);
            }
            rest = after.get(usize::from(length)..)?;
        }
    }

    fn prefix(record_type: RecordType, class: DNSClass, kind: EntryKind) -> KeyBuffer {
        let mut bytes = [0u8; PREFIX_BYTES + MAX_NAME_WIRE_BYTES];
        bytes[3..5].copy_from_slice(&u16::from(class).to_be_bytes());
        let mut key = KeyBuffer {
            bytes,
            length: PREFIX_BYTES,
        };
        key.set_kind(kind, record_type);
        key
    }

    /// Appends one label, lower-cased (RFC 4343: names compare without regard to ASCII case).
    fn push_label(&mut self, label: &[u8]) -> Option<()> {
        let length = u8::try_from(label.len())
            .ok()
            .filter(|length| *length < 64)?;
        let end = self.length + 1 + label.len();
        let slot = self.bytes.get_mut(self.length..end)?;
        if let Some((first, rest)) = slot.split_first_mut() {
            *first = length;
            rest.copy_from_slice(label);
            rest.make_ascii_lowercase();
        }
        self.length = end;
        Some(())
    }

    /// The same name under another kind (and type, which NXDOMAIN ignores): the key of the
    /// entries an RRset insert makes stale, without walking the name again.
    pub(crate) fn set_kind(&mut self, kind: EntryKind, record_type: RecordType) {
        let record_type = match kind {
            EntryKind::NxDomain => 0,
            _ => u16::from(record_type),
        };
        self.bytes[0] = kind.tag();
        self.bytes[1..3].copy_from_slice(&record_type.to_be_bytes());
    }

    /// Drops the name's first label: the key of the parent name, same kind, type and class.
    /// `false` (and unchanged) at the root.
    pub(crate) fn strip_first_label(&mut self) -> bool {
        let first = usize::from(self.bytes.get(PREFIX_BYTES).copied().unwrap_or(0));
        if first == 0 {
            return false;
        }
        let from = PREFIX_BYTES + 1 + first;
        if from >= self.length {
            return false;
        }
        self.bytes.copy_within(from..self.length, PREFIX_BYTES);
        self.length -= 1 + first;
        true
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.length).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_differing_in_case_share_a_key() {
        let upper = Name::from_ascii("WWW.Example.").unwrap();
        let lower = Name::from_ascii("www.example.").unwrap();
        let a = KeyBuffer::for_name(&upper, RecordType::A, DNSClass::IN, EntryKind::RrSet).unwrap();
        let b = KeyBuffer::for_name(&lower, RecordType::A, DNSClass::IN, EntryKind::RrSet).unwrap();
        assert_eq!(a.as_bytes(), b.as_bytes());
    }

    #[test]
    fn wire_names_key_like_parsed_names() {
        let name = Name::from_ascii("WWW.Example.").unwrap();
        let parsed =
            KeyBuffer::for_name(&name, RecordType::A, DNSClass::IN, EntryKind::NoData).unwrap();
        let wire = KeyBuffer::for_wire_name(
            b"\x03wWw\x07example\x00",
            RecordType::A,
            DNSClass::IN,
            EntryKind::NoData,
        )
        .unwrap();
        assert_eq!(parsed.as_bytes(), wire.as_bytes());
        for broken in [&b""[..], b"\x03ww", b"\x03www", b"\x40"] {
            assert!(KeyBuffer::for_wire_name(
                broken,
                RecordType::A,
                DNSClass::IN,
                EntryKind::RrSet
            )
            .is_none());
        }
    }

    #[test]
    fn retargeted_and_stripped_keys_equal_keys_built_afresh() {
        let name = Name::from_ascii("WWW.Example.com.").unwrap();
        let mut key =
            KeyBuffer::for_name(&name, RecordType::AAAA, DNSClass::IN, EntryKind::RrSet).unwrap();
        for kind in [
            EntryKind::NoData,
            EntryKind::NxDomain,
            EntryKind::ParentSide,
        ] {
            key.set_kind(kind, RecordType::AAAA);
            let fresh = KeyBuffer::for_name(&name, RecordType::AAAA, DNSClass::IN, kind).unwrap();
            assert_eq!(key.as_bytes(), fresh.as_bytes());
        }
        key.set_kind(EntryKind::RrSet, RecordType::NS);
        for parent in ["example.com.", "com.", "."] {
            assert!(key.strip_first_label());
            let fresh = KeyBuffer::for_name(
                &Name::from_ascii(parent).unwrap(),
                RecordType::NS,
                DNSClass::IN,
                EntryKind::RrSet,
            )
            .unwrap();
            assert_eq!(key.as_bytes(), fresh.as_bytes(), "{parent}");
        }
        assert!(!key.strip_first_label());
    }

    #[test]
    fn kinds_and_types_do_not_collide() {
        let name = Name::from_ascii("example.").unwrap();
        let rrset =
            KeyBuffer::for_name(&name, RecordType::A, DNSClass::IN, EntryKind::RrSet).unwrap();
        let nodata =
            KeyBuffer::for_name(&name, RecordType::A, DNSClass::IN, EntryKind::NoData).unwrap();
        let aaaa =
            KeyBuffer::for_name(&name, RecordType::AAAA, DNSClass::IN, EntryKind::RrSet).unwrap();
        assert_ne!(rrset.as_bytes(), nodata.as_bytes());
        assert_ne!(rrset.as_bytes(), aaaa.as_bytes());
    }
}
