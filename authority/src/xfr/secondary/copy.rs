//! A secondary zone's copy in the state directory: its records in wire format (the journal's
//! encoding, SOA first) and the time of its last successful refresh, so a restart serves at once.

use std::path::{Path, PathBuf};

use hickory_proto::rr::{Name, Record, RecordType};

use crate::limits::MAX_STATE_FILE_BYTES;
use crate::xfr::journal::{push_count, push_record, write_atomically, zone_records, RecordReader};
use crate::xfr::serial::state_file_stem;
use crate::zone::prepared::Zone;

/// First octets of a copy file: what it is and its format version.
const COPY_MAGIC: &[u8] = b"authority-secondary-1\n";

/// The two files of one zone's copy.
#[derive(Clone, Debug)]
pub struct CopyFiles {
    /// `<zone>.secondary`: the records.
    pub records: PathBuf,
    /// `<zone>.refreshed`: seconds since the epoch of the last successful refresh, as text.
    pub refreshed: PathBuf,
}

impl CopyFiles {
    pub fn new(directory: &Path, origin: &Name) -> CopyFiles {
        let stem = state_file_stem(origin);
        CopyFiles {
            records: directory.join(format!("{stem}secondary")),
            refreshed: directory.join(format!("{stem}refreshed")),
        }
    }

    /// Writes the zone's records (a new file renamed over the old) and the refresh time.
    pub fn save(&self, zone: &Zone, refreshed: u64) -> std::io::Result<()> {
        let records = zone_records(zone);
        let mut bytes = Vec::with_capacity(COPY_MAGIC.len() + records.len() * 48);
        bytes.extend_from_slice(COPY_MAGIC);
        push_count(&mut bytes, records.len());
        for record in &records {
            push_record(&mut bytes, record)?;
        }
        write_atomically(&self.records, &bytes)?;
        self.save_refreshed(refreshed)
    }

    /// Notes a successful refresh that found the copy up to date.
    pub fn save_refreshed(&self, refreshed: u64) -> std::io::Result<()> {
        write_atomically(&self.refreshed, format!("{refreshed}\n").as_bytes())
    }

    /// The records saved by `save` (SOA first), or why they cannot be used: a missing, foreign or
    /// damaged file is never served.
    pub fn load(&self) -> Result<Vec<Record>, String> {
        let metadata = std::fs::metadata(&self.records).map_err(|error| error.to_string())?;
        if metadata.len() > MAX_STATE_FILE_BYTES {
            return Err(format!("larger than {MAX_STATE_FILE_BYTES} octets"));
        }
        let bytes = std::fs::read(&self.records).map_err(|error| error.to_string())?;
        let body = bytes
            .strip_prefix(COPY_MAGIC)
            .ok_or("not a secondary zone copy")?;
        let mut reader = RecordReader::new(body);
        let records = reader
            .records()
            .ok_or("damaged (a record does not decode)")?;
        if !reader.is_empty() {
            return Err("damaged (trailing octets)".to_string());
        }
        match records.first() {
            Some(first) if first.record_type() == RecordType::SOA => Ok(records),
            _ => Err("damaged (no SOA first)".to_string()),
        }
    }

    /// The time of the last successful refresh; `None` if never noted (the copy counts as stale).
    pub fn load_refreshed(&self) -> Option<u64> {
        std::fs::read_to_string(&self.refreshed)
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xfr::secondary::apply::build_secondary_zone;
    use hickory_proto::rr::rdata::{A, NS, SOA};
    use hickory_proto::rr::RData;

    #[test]
    fn a_copy_survives_save_and_load_and_damage_is_refused() {
        let origin = Name::from_ascii("example.test.").unwrap();
        let soa = Record::from_rdata(
            origin.clone(),
            3600,
            RData::SOA(SOA::new(
                origin.clone(),
                origin.clone(),
                7,
                3600,
                900,
                604_800,
                300,
            )),
        );
        let ns_name = Name::from_ascii("ns.example.test.").unwrap();
        let mut records = vec![
            Record::from_rdata(origin.clone(), 3600, RData::NS(NS(ns_name.clone()))),
            Record::from_rdata(ns_name, 300, RData::A(A::new(192, 0, 2, 1))),
        ];
        // More than 64 KiB of records: the file is not one DNS message.
        records.extend((0..5000u32).map(|index| {
            Record::from_rdata(
                Name::from_ascii(format!("host{index}.example.test.")).unwrap(),
                300,
                RData::A(A::new(10, 0, (index >> 8) as u8, index as u8)),
            )
        }));
        let zone = build_secondary_zone(&origin, soa, records, PathBuf::from("t")).unwrap();
        let directory =
            std::env::temp_dir().join(format!("secondary-copy-test-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let files = CopyFiles::new(&directory, &origin);
        files.save(&zone, 1234).unwrap();
        let loaded = files.load().unwrap();
        assert_eq!(loaded.len(), 5003);
        assert_eq!(loaded[0].record_type(), RecordType::SOA);
        assert_eq!(files.load_refreshed(), Some(1234));
        let mut bytes = std::fs::read(&files.records).unwrap();
        bytes.truncate(bytes.len() - 2);
        std::fs::write(&files.records, bytes).unwrap();
        assert!(files.load().is_err());
        std::fs::remove_dir_all(directory).unwrap();
    }
}
