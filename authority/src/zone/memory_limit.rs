//! The memory one zone may take while it loads (`--zone-max-memory`, config `zone-max-memory`):
//! the file's text plus an estimate per record, checked as records are read. Never a record count.

use std::fmt;

use crate::limits::{
    FALLBACK_ZONE_MEMORY_LIMIT, MIN_ZONE_MEMORY_LIMIT, ZONE_BYTES_PER_RECORD,
    ZONE_MEMORY_SHARE_OF_RAM,
};

/// How operators raise the bound; every message about it names both.
pub const ZONE_MEMORY_OPTION: &str = "--zone-max-memory SIZE (config file: `zone-max-memory`)";

/// Bytes one zone may take while loading. NSD and Knot have no bound at all; a fixed record count
/// (our old one million) refused real TLD zones, so the bound is on memory, and the default
/// follows the machine's RAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoneMemoryLimit {
    pub bytes: u64,
}

impl Default for ZoneMemoryLimit {
    /// A share of physical memory (ZONE_MEMORY_SHARE_OF_RAM), or FALLBACK_ZONE_MEMORY_LIMIT where
    /// the machine does not say.
    fn default() -> ZoneMemoryLimit {
        let bytes = physical_memory()
            .map_or(FALLBACK_ZONE_MEMORY_LIMIT, |total| {
                total / ZONE_MEMORY_SHARE_OF_RAM
            })
            .max(MIN_ZONE_MEMORY_LIMIT);
        ZoneMemoryLimit { bytes }
    }
}

impl ZoneMemoryLimit {
    pub fn new(bytes: u64) -> ZoneMemoryLimit {
        ZoneMemoryLimit { bytes }
    }

    /// `SIZE` as operators write it: bytes, or a number with K, M, G or T (powers of 1024, as
    /// Knot's sizes), optionally followed by `B` or `iB`.
    pub fn parse(text: &str) -> Result<ZoneMemoryLimit, String> {
        let trimmed = text.trim();
        let without_bytes = trimmed
            .strip_suffix("iB")
            .or_else(|| trimmed.strip_suffix('B'))
            .unwrap_or(trimmed);
        let (digits, shift) = match without_bytes.char_indices().last() {
            Some((index, unit)) if unit.is_ascii_alphabetic() => {
                let shift = match unit.to_ascii_uppercase() {
                    'K' => 10,
                    'M' => 20,
                    'G' => 30,
                    'T' => 40,
                    _ => return Err(format!("{text:?}: the unit must be K, M, G or T")),
                };
                (&without_bytes[..index], shift)
            }
            _ => (without_bytes, 0),
        };
        let number: u64 = digits
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a size such as 512M or 8G"))?;
        let bytes = number
            .checked_mul(1u64 << shift)
            .ok_or_else(|| format!("{text:?} is too large"))?;
        if bytes == 0 {
            return Err(format!("{text:?}: a zone needs more than 0 bytes"));
        }
        Ok(ZoneMemoryLimit { bytes })
    }

    /// Whether a file of `bytes` can be read at all (its text is held while it loads).
    pub fn admits_file(&self, bytes: u64) -> bool {
        bytes <= self.bytes
    }

    /// Whether `records` records read from `text_bytes` of text stay within the bound.
    pub fn admits(&self, text_bytes: usize, records: usize) -> bool {
        estimate(text_bytes, records) <= self.bytes
    }
}

/// The memory a zone of `records` records read from `text_bytes` of text takes at its peak.
pub fn estimate(text_bytes: usize, records: usize) -> u64 {
    (text_bytes as u64).saturating_add((records as u64).saturating_mul(ZONE_BYTES_PER_RECORD))
}

impl fmt::Display for ZoneMemoryLimit {
    /// In the largest binary unit that divides it, as an operator would write it back.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, shift) in [("T", 40), ("G", 30), ("M", 20), ("K", 10)] {
            if self.bytes >= 1u64 << shift && self.bytes.is_multiple_of(1u64 << shift) {
                return write!(formatter, "{}{unit}", self.bytes >> shift);
            }
        }
        write!(formatter, "{} bytes", self.bytes)
    }
}

/// MemTotal from /proc/meminfo, in bytes; read once per process (every default limit asks).
fn physical_memory() -> Option<u64> {
    static TOTAL: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *TOTAL.get_or_init(read_physical_memory)
}

fn read_physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kibibytes: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kibibytes.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_operators_write_them() {
        assert_eq!(ZoneMemoryLimit::parse("4096").unwrap().bytes, 4096);
        assert_eq!(ZoneMemoryLimit::parse("512M").unwrap().bytes, 512 << 20);
        assert_eq!(ZoneMemoryLimit::parse("8G").unwrap().bytes, 8 << 30);
        assert_eq!(ZoneMemoryLimit::parse("8GiB").unwrap().bytes, 8 << 30);
        assert_eq!(ZoneMemoryLimit::parse("2t").unwrap().bytes, 2 << 40);
        assert!(ZoneMemoryLimit::parse("0").is_err());
        assert!(ZoneMemoryLimit::parse("lots").is_err());
        assert!(ZoneMemoryLimit::parse("9X").is_err());
        assert!(ZoneMemoryLimit::parse("99999999999T").is_err());
    }

    #[test]
    fn a_limit_prints_as_it_would_be_written() {
        assert_eq!(ZoneMemoryLimit::new(8 << 30).to_string(), "8G");
        assert_eq!(ZoneMemoryLimit::new(1536 << 20).to_string(), "1536M");
        assert_eq!(ZoneMemoryLimit::new(1000).to_string(), "1000 bytes");
    }

    /// A zone as `ZoneSource::load` reads and builds it: the text, the records read and the
    /// zone built from them (counted as if all were alive at once, which they never are).
    fn load_bytes(text: &str, origin: &str) -> (usize, usize) {
        let origin = hickory_proto::rr::Name::from_ascii(origin).expect("origin");
        let path = std::path::Path::new("limit.test.yaml");
        let read = crate::zone::yaml_zone::read_zone_text_without_lines(text, path, &origin)
            .expect("reads");
        let records = read.records.len();
        let list = read.records.heap_bytes();
        let zone = crate::zone::build::build_zone(read).expect("builds");
        (records, text.len() + list + zone.heap_bytes())
    }

    fn zone_text(owner: impl Fn(usize) -> String, records: usize) -> String {
        let mut text = String::from(
            "'':
  - {type: NS, value: ns.example.}
",
        );
        for index in 0..records {
            text.push_str(&format!(
                "'{}': {{type: A, value: 10.0.{}.{}}}
",
                owner(index),
                index / 256,
                index % 256
            ));
        }
        text
    }

    /// The estimate covers what a zone's text, records and built zone hold, for short names
    /// (bench/'s zone: `hostN`) and for 100-octet names written relative to a long origin (the
    /// text holding the least of each name).
    #[test]
    fn the_estimate_covers_a_loads_memory() {
        let short = zone_text(|index| format!("host{index}"), 3000);
        let (records, bytes) = load_bytes(&short, "example.");
        assert!(
            estimate(short.len(), records) >= bytes as u64,
            "{records} records, {bytes} bytes"
        );
        let long_origin = format!("{}.example.", "x".repeat(60));
        let long = zone_text(|index| format!("{index}{}", "y".repeat(24)), 3000)
            .replace("example.}", &format!("{long_origin}}}"));
        let (records, bytes) = load_bytes(&long, &long_origin);
        assert!(
            estimate(long.len(), records) >= bytes as u64,
            "{records} records, {bytes} bytes"
        );
    }

    #[test]
    fn the_default_admits_a_million_records() {
        assert!(ZoneMemoryLimit::default().admits(60 << 20, 1_000_000));
    }
}
