//! Writes a prepared zone as an RFC 1035 master file, for NSD, Knot or BIND to serve the same
//! data (interoperability tests). Every record uses the RFC 3597 generic `\# len hex` form, so
//! nothing depends on how a type's presentation format is spelled.

use std::fmt::Write;

use hickory_proto::rr::{RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder, NameEncoding};

use crate::zone::prepared::Zone;

/// The zone as master-file text: SOA first (RFC 1035 §5.2), then every other record.
pub fn to_master_file(zone: &Zone) -> String {
    let mut text = String::new();
    let records = zone.records();
    let soa = records
        .iter()
        .filter(|record| record.record_type() == RecordType::SOA);
    let rest = records
        .iter()
        .filter(|record| record.record_type() != RecordType::SOA);
    for record in soa.chain(rest) {
        // Writing to a String cannot fail.
        let _ = writeln!(text, "{}", master_line(record));
    }
    text
}

/// One record as `owner TTL IN TYPEnn \# length hex` (RFC 3597 §5), names uncompressed.
pub fn master_line(record: &Record) -> String {
    let code = match &record.data {
        RData::Unknown { code, .. } => u16::from(*code),
        _ => u16::from(record.record_type()),
    };
    let mut wire = Vec::new();
    let mut encoder = BinEncoder::new(&mut wire);
    encoder.set_name_encoding(NameEncoding::Uncompressed);
    let encoded = record.data.emit(&mut encoder).is_ok();
    let mut hex = String::with_capacity(wire.len() * 2);
    for byte in &wire {
        let _ = write!(hex, "{byte:02x}");
    }
    if !encoded {
        hex.clear();
    }
    format!(
        "{} {} IN TYPE{} \\# {} {}",
        record.name,
        record.ttl,
        code,
        hex.len() / 2,
        hex
    )
}
