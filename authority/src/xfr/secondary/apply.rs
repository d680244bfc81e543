//! Turns what a primary sent into a zone to serve: the whole zone as it came, or our copy with the
//! IXFR differences applied (RFC 1995 §4); then the checks every zone passes (`zone::build`).

use std::collections::HashMap;
use std::path::PathBuf;

use hickory_proto::rr::{Name, Record};

use crate::xfr::journal::Difference;
use crate::xfr::journal::{canonical_bytes, soa_serial, zone_records, zone_serial};
use crate::xfr::secondary::error::PullError;
use crate::xfr::secondary::presigned::{attach, set_aside};
use crate::zone::build::build_zone_with_warnings;
use crate::zone::prepared::Zone;
use crate::zone::source_records::SourceRecords;
use crate::zone::yaml_zone::{OneRecord, ReadZone, SourceRecord};

/// A record's identity for IXFR deletions: owner, type, class and RDATA, not the TTL (BIND, NSD
/// and Knot match deletions the same way; a TTL change is a deletion and an addition).
fn identity(record: &Record) -> Vec<u8> {
    let mut without_ttl = record.clone();
    without_ttl.ttl = 0;
    canonical_bytes(&without_ttl)
}

/// `current`'s records (without its SOA) with `differences` applied, and the last new SOA.
pub fn apply_differences(
    current: &Zone,
    differences: &[Difference],
) -> Result<(Record, Vec<Record>), PullError> {
    let mut serial = zone_serial(current);
    let mut soa = current.soa.first().ok_or(PullError::NoSoaFirst)?;
    let records = zone_records(current);
    let mut held: HashMap<Vec<u8>, Record> = records
        .into_iter()
        .skip(1)
        .map(|record| (identity(&record), record))
        .collect();
    for difference in differences {
        if difference.from_serial() != serial {
            return Err(PullError::IxfrMismatch(format!(
                "difference from serial {} but our copy is at {serial}",
                difference.from_serial()
            )));
        }
        for record in &difference.removed {
            if held.remove(&identity(record)).is_none() {
                return Err(PullError::IxfrMismatch(format!(
                    "deletes {} {} which our copy does not hold",
                    record.name,
                    record.record_type()
                )));
            }
        }
        for record in &difference.added {
            held.insert(identity(record), record.clone());
        }
        serial = difference.to_serial();
        soa = difference.new_soa.clone();
    }
    Ok((soa, held.into_values().collect()))
}

/// The zone `origin` from its SOA and other records, checked as a loaded file is; `source` names
/// where it came from in error messages (the primary, or the copy's file). A zone the primary
/// signed keeps its signatures and NSEC/NSEC3 chain and is answered as signed (presigned.rs).
pub fn build_secondary_zone(
    origin: &Name,
    soa: Record,
    records: Vec<Record>,
    source: PathBuf,
) -> Result<Zone, PullError> {
    if soa_serial(Some(&soa)).is_none() {
        return Err(PullError::NoSoaFirst);
    }
    let (records, aside) = set_aside(records);
    let mut sources = SourceRecords::new();
    for record in std::iter::once(soa).chain(records) {
        // Records that came off the wire encode again; one that does not refuses the copy.
        let record = OneRecord::new(&record).map_err(|unencodable| {
            PullError::Rejected(vec![crate::zone::error::ZoneError {
                file: source.clone(),
                line: 0,
                kind: crate::zone::error::ZoneErrorKind::BadValue {
                    record_type: unencodable.record_type.to_string(),
                    problem: format!("{}: {}", unencodable.owner, unencodable.reason),
                },
            }])
        })?;
        sources.push(SourceRecord { record, line: 0 });
    }
    let read = ReadZone {
        origin: origin.clone(),
        file: source,
        records: sources,
        warnings: Vec::new(),
        errors: Vec::new(),
        default_nameservers: Vec::new(),
        dnssec: None,
    };
    let (mut zone, _) = build_zone_with_warnings(read).map_err(PullError::Rejected)?;
    if !aside.is_empty() {
        let orphans = attach(&mut zone, aside);
        if orphans > 0 {
            tracing::warn!(zone = %origin, signatures = orphans, "signatures covering no RRset of the zone dropped");
        }
    }
    Ok(zone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, NS, SOA};
    use hickory_proto::rr::RData;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    fn soa(serial: u32) -> Record {
        let origin = name("example.test.");
        Record::from_rdata(
            origin.clone(),
            3600,
            RData::SOA(SOA::new(
                origin.clone(),
                origin,
                serial,
                3600,
                900,
                604_800,
                300,
            )),
        )
    }

    fn a(owner: &str, last: u8, ttl: u32) -> Record {
        Record::from_rdata(name(owner), ttl, RData::A(A::new(192, 0, 2, last)))
    }

    fn base() -> Vec<Record> {
        vec![
            Record::from_rdata(
                name("example.test."),
                3600,
                RData::NS(NS(name("ns.example.test."))),
            ),
            a("ns.example.test.", 1, 300),
            a("www.example.test.", 80, 300),
        ]
    }

    fn zone(serial: u32) -> Zone {
        build_secondary_zone(
            &name("example.test."),
            soa(serial),
            base(),
            PathBuf::from("test"),
        )
        .unwrap()
    }

    #[test]
    fn differences_apply_in_order_and_ttl_does_not_matter_for_deletion() {
        let differences = vec![
            Difference {
                old_soa: soa(1),
                removed: vec![a("www.example.test.", 80, 60)],
                new_soa: soa(2),
                added: vec![a("www.example.test.", 81, 300)],
            },
            Difference {
                old_soa: soa(2),
                removed: vec![],
                new_soa: soa(3),
                added: vec![a("new.example.test.", 9, 300)],
            },
        ];
        let (new_soa, records) = apply_differences(&zone(1), &differences).unwrap();
        assert_eq!(soa_serial(Some(&new_soa)), Some(3));
        let zone =
            build_secondary_zone(&name("example.test."), new_soa, records, PathBuf::from("t"))
                .unwrap();
        assert!(zone.node(&name("new.example.test.")).is_some());
        let www = zone.node(&name("www.example.test.")).unwrap();
        assert_eq!(
            www.sets[0].set.records(),
            vec![a("www.example.test.", 81, 300)]
        );
    }

    #[test]
    fn a_difference_from_another_serial_or_deleting_the_unknown_does_not_apply() {
        let from_elsewhere = Difference {
            old_soa: soa(7),
            removed: vec![],
            new_soa: soa(8),
            added: vec![],
        };
        assert!(matches!(
            apply_differences(&zone(1), &[from_elsewhere]),
            Err(PullError::IxfrMismatch(_))
        ));
        let unknown = Difference {
            old_soa: soa(1),
            removed: vec![a("nothere.example.test.", 1, 300)],
            new_soa: soa(2),
            added: vec![],
        };
        assert!(matches!(
            apply_differences(&zone(1), &[unknown]),
            Err(PullError::IxfrMismatch(_))
        ));
    }

    #[test]
    fn a_zone_without_apex_ns_is_rejected() {
        let result = build_secondary_zone(
            &name("example.test."),
            soa(1),
            vec![a("www.example.test.", 1, 300)],
            PathBuf::from("t"),
        );
        assert!(matches!(result, Err(PullError::Rejected(_))));
    }
}
