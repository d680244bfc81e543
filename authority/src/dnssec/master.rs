//! The signed zone as an RFC 1035 master file (`authority --print-signed`), for dnssec-verify,
//! ldns-verify-zone and NSD; and the DS lines a parent publishes (`authority ds`).
//! Every record in RFC 3597 generic form (`zone::master_file::master_line`), so no type's
//! presentation format can be misspelt.

use std::fmt::Write;

use hickory_proto::dnssec::rdata::DS;
use hickory_proto::rr::{Name, Record, RecordType};

use crate::zone::master_file::master_line;
use crate::zone::prepared::{RecordSet, Zone};

/// Every RRset with its signatures, SOA first (RFC 1035 §5.2), then NSEC3 RRsets.
pub fn signed_master_file(zone: &Zone) -> String {
    let mut nodes: Vec<_> = zone.nodes.iter_keys().collect();
    nodes.sort_unstable_by_key(|(key, _)| *key);
    let mut sets: Vec<&RecordSet> = Vec::new();
    for (_, node) in nodes {
        sets.extend(node.sets.iter().map(|served| served.set.as_ref()));
    }
    let soa = sets.iter().filter(|set| set.record_type == RecordType::SOA);
    let rest = sets.iter().filter(|set| set.record_type != RecordType::SOA);
    let nsec3 = zone
        .dnssec
        .iter()
        .filter_map(|dnssec| dnssec.chain.as_ref())
        .flat_map(|chain| {
            chain
                .nsec3_sets()
                .map(|set| set.as_ref())
                .collect::<Vec<_>>()
        });
    let mut text = String::new();
    for set in soa.chain(rest).copied().chain(nsec3) {
        for record in set.records().iter().chain(set.signatures.iter()) {
            // Writing to a String cannot fail.
            let _ = writeln!(text, "{}", master_line(record));
        }
    }
    text
}

/// `zone IN DS tag algorithm digest-type DIGEST` lines (RFC 4034 §5.3), one per DS.
pub fn ds_lines(zone: &Name, ds: &[DS], ttl: Option<u32>) -> String {
    let mut text = String::new();
    for record in ds {
        let ttl = ttl.map(|ttl| format!(" {ttl}")).unwrap_or_default();
        let digest: String = record
            .digest()
            .iter()
            .map(|byte| format!("{byte:02X}"))
            .collect();
        let _ = writeln!(
            text,
            "{zone}{ttl} IN DS {} {} {} {digest}",
            record.key_tag(),
            u8::from(record.algorithm()),
            u8::from(record.digest_type()),
        );
    }
    text
}

/// All records of the signed zone, signatures included (tests and tools).
pub fn signed_records(zone: &Zone) -> Vec<Record> {
    let mut records = Vec::new();
    for node in zone.nodes.values() {
        for served in &node.sets {
            records.extend(served.set.records());
            records.extend(served.set.signatures.iter().cloned());
        }
    }
    if let Some(chain) = zone
        .dnssec
        .as_ref()
        .and_then(|dnssec| dnssec.chain.as_ref())
    {
        for set in chain.nsec3_sets() {
            records.extend(set.records());
            records.extend(set.signatures.iter().cloned());
        }
    }
    records
}
