//! A zone version's whole-zone transfer (AXFR, or IXFR answered AXFR-style) packed into messages
//! once, before the version is served, and reused by every transfer of it (ID and question patched).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use hickory_proto::op::Query;
use hickory_proto::rr::{LowerName, RecordType};

use crate::xfr::messages::{question_bytes, PackError, TransferPacker};
use crate::xfr::order::{canonical_nodes, whole_zone};
use crate::zone::prepared::Zone;

/// Offset of the question in a DNS message (after the 12-octet header).
const HEADER_LEN: usize = 12;

/// The packed transfer of each served zone version. An entry holds its zone only weakly, so a
/// version swapped out by a reload is not kept alive; its messages go at the next look-up.
#[derive(Debug, Default)]
pub struct PackedZones {
    /// Per origin, the entries of the versions still alive: the served one, the one a reload is
    /// about to serve, and any a running transfer still sends (bounded by the transfer slots).
    zones: Mutex<HashMap<LowerName, Vec<Arc<PackedEntry>>>>,
}

/// One zone version's transfer, packed by whoever needs it first (`prepare` or a transfer); a
/// transfer that arrives while it is being packed waits for it instead of packing it again.
#[derive(Debug)]
pub struct PackedEntry {
    zone: Weak<Zone>,
    packed: OnceLock<Result<PackedZone, PackError>>,
}

/// The messages of a whole-zone transfer: SOA, every name in canonical order, SOA; the first
/// message holds the question `AXFR <origin> IN` (the asked question is patched in per transfer).
#[derive(Debug)]
pub struct PackedZone {
    messages: Vec<Vec<u8>>,
    /// The first message's question as packed.
    question: Vec<u8>,
    records: usize,
}

impl PackedZones {
    /// Packs `zone`'s transfer now (at load, before a reload publishes the version), so no
    /// transfer waits for it.
    pub fn prepare(&self, zone: &Arc<Zone>) {
        let started = std::time::Instant::now();
        if let Err(error) = self.entry(zone).packed(zone) {
            tracing::warn!(zone = %zone.origin, %error, "cannot pack the zone for transfers");
            return;
        }
        tracing::debug!(zone = %zone.origin, elapsed_ms = started.elapsed().as_millis() as u64, "zone packed for transfers");
    }

    /// Whether `zone`'s transfer is packed already.
    pub fn is_packed(&self, zone: &Arc<Zone>) -> bool {
        self.entry(zone).packed.get().is_some()
    }

    /// The entry of this zone version (made on first use; the previous version's is dropped).
    pub fn entry(&self, zone: &Arc<Zone>) -> Arc<PackedEntry> {
        let mut zones = self
            .zones
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Versions no longer alive are forgotten with their messages.
        zones.retain(|_, entries| {
            entries.retain(|entry| entry.zone.strong_count() > 0);
            !entries.is_empty()
        });
        let entries = zones.entry(LowerName::new(&zone.origin)).or_default();
        if let Some(entry) = entries
            .iter()
            .find(|entry| std::ptr::eq(entry.zone.as_ptr(), Arc::as_ptr(zone)))
        {
            return entry.clone();
        }
        let entry = Arc::new(PackedEntry {
            zone: Arc::downgrade(zone),
            packed: OnceLock::new(),
        });
        entries.push(entry.clone());
        entry
    }
}

impl PackedEntry {
    /// The packed transfer of `zone` (the version this entry was made for), packing it if needed.
    pub fn packed(&self, zone: &Zone) -> Result<&PackedZone, PackError> {
        self.packed
            .get_or_init(|| PackedZone::pack(zone))
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl PackedZone {
    fn pack(zone: &Zone) -> Result<PackedZone, PackError> {
        let question = Query::query(zone.origin.clone(), RecordType::AXFR);
        let question_bytes = question_bytes(&question)?;
        let mut counted = 0usize;
        let records = whole_zone(zone, canonical_nodes(zone)).inspect(|_| counted += 1);
        let mut packer = TransferPacker::new(0, question, records);
        let mut messages = Vec::new();
        while let Some(message) = packer.next_message() {
            let mut message = message?;
            message.shrink_to_fit();
            messages.push(message);
        }
        drop(packer);
        Ok(PackedZone {
            messages,
            question: question_bytes,
            records: counted,
        })
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Records in all messages (the SOA twice).
    pub fn records(&self) -> usize {
        self.records
    }

    /// Message `index` as the answer to `question` with `id`: the same octets a packer given that
    /// question would write. `None` past the end, or for a question that does not encode to the
    /// packed one's length (the caller packs afresh then).
    pub fn message(&self, index: usize, id: u16, question: &Query) -> Option<Vec<u8>> {
        let mut bytes = self.messages.get(index)?.clone();
        bytes.get_mut(..2)?.copy_from_slice(&id.to_be_bytes());
        if index == 0 {
            let asked = question_bytes(question).ok()?;
            if asked.len() != self.question.len() {
                return None;
            }
            // The question's name is the apex, equal but for case, and nothing in the message
            // points into it (`emit_question`): the rest of the message stays as packed.
            bytes
                .get_mut(HEADER_LEN..HEADER_LEN + asked.len())?
                .copy_from_slice(&asked);
        }
        Some(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::build::build_zone;
    use crate::zone::yaml_zone::read_zone_text;
    use hickory_proto::op::Message;
    use hickory_proto::rr::Name;

    fn zone(names: usize) -> Arc<Zone> {
        let mut text = String::from(
            "'':\n  - type: NS\n    value: ns1.example.test.\n  - type: MX\n    value:\n      preference: 10\n      exchange: mail.example.test.\nns1:\n  type: A\n  value: 192.0.2.1\n",
        );
        for index in 0..names {
            text.push_str(&format!(
                "host{index}:\n  - type: A\n    value: 192.0.2.{}\n  - type: TXT\n    value: t{index}\n",
                index % 250
            ));
        }
        let origin = Name::from_ascii("example.test.").unwrap();
        let read =
            read_zone_text(&text, std::path::Path::new("example.test.yaml"), &origin).unwrap();
        Arc::new(build_zone(read).unwrap())
    }

    /// Every message a fresh packer writes for `question` and `id`.
    fn fresh(zone: &Zone, id: u16, question: &Query) -> Vec<Vec<u8>> {
        let records = whole_zone(zone, canonical_nodes(zone));
        let mut packer = TransferPacker::new(id, question.clone(), records);
        std::iter::from_fn(|| packer.next_message().map(Result::unwrap)).collect()
    }

    #[test]
    fn a_packed_transfer_is_what_a_fresh_packer_writes_for_the_asked_question() {
        let zone = zone(3000);
        let packed = PackedZones::default();
        let entry = packed.entry(&zone);
        let packed = entry.packed(&zone).unwrap();
        assert!(packed.len() > 3, "{} messages", packed.len());
        assert_eq!(packed.records(), zone.record_count + 2);
        // Another case, another type (an IXFR answered with the whole zone), another ID.
        for (name, kind, id) in [
            ("example.test.", RecordType::AXFR, 1),
            ("ExAmPlE.TeSt.", RecordType::IXFR, 4242),
        ] {
            let question = Query::query(Name::from_ascii(name).unwrap(), kind);
            let patched: Vec<Vec<u8>> = (0..packed.len())
                .map(|index| packed.message(index, id, &question).unwrap())
                .collect();
            // Not assert_eq!: a failure would print megabytes.
            assert!(patched == fresh(&zone, id, &question), "{name} {kind}");
            let first = Message::from_vec(&patched[0]).unwrap();
            assert_eq!(first.metadata.id, id);
            assert_eq!(first.queries[0].name().to_string(), name);
            assert_eq!(first.queries[0].query_type(), kind);
        }
        let question = Query::query(zone.origin.clone(), RecordType::AXFR);
        assert!(packed.message(packed.len(), 1, &question).is_none());
    }

    #[test]
    fn a_zone_version_is_packed_once_and_forgotten_when_replaced() {
        let first = zone(20);
        let packed = PackedZones::default();
        packed.prepare(&first);
        let entry = packed.entry(&first);
        assert!(entry.packed.get().is_some(), "packed by prepare");
        assert!(Arc::ptr_eq(&entry, &packed.entry(&first)));
        // A new version gets its own entry, beside the old one while that is alive (a reload
        // packs the new version while the old is still served); the old goes with its zone.
        let second = zone(30);
        let newer = packed.entry(&second);
        assert!(!Arc::ptr_eq(&entry, &newer));
        assert!(Arc::ptr_eq(&entry, &packed.entry(&first)));
        assert!(Arc::ptr_eq(&newer, &packed.entry(&second)));
        drop(first);
        packed.entry(&second);
        let zones = packed.zones.lock().unwrap();
        assert_eq!(zones.values().map(Vec::len).collect::<Vec<_>>(), vec![1]);
        drop(zones);
        assert_eq!(
            newer.packed(&second).unwrap().records(),
            second.record_count + 2
        );
    }
}
