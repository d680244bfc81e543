//! What a zone was last built from: the file's modification time, size and a hash of its text, and
//! for a signed zone its key directory's listing. Reload compares them and rebuilds only on change.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::time::SystemTime;

use crate::limits::MAX_KEY_DIRECTORY_ENTRIES;
use crate::zone::prepared::Zone;

/// The file as `stat` sees it: cheap to read, so most reloads stop here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStat {
    pub modified: Option<SystemTime>,
    pub size: u64,
}

impl FileStat {
    /// The file's stat, or `None` when it cannot be read (the load that follows reports why).
    pub fn of(path: &Path) -> Option<FileStat> {
        let metadata = fs::metadata(path).ok()?;
        Some(FileStat {
            modified: metadata.modified().ok(),
            size: metadata.len(),
        })
    }
}

/// Everything a zone was built from, as last loaded successfully.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFingerprint {
    /// `None` when the stat is not to be trusted (the file was modified just before it was read):
    /// the next reload hashes the text.
    pub stat: Option<FileStat>,
    /// A hash of the file's text: a file touched, or rewritten with the same bytes, is not rebuilt.
    pub text_hash: u64,
    /// For a zone signed with keys from a directory: a hash of that directory's listing (names,
    /// sizes, times), so a key added or removed before a SIGHUP re-signs the zone.
    pub keys_hash: Option<u64>,
}

/// A hash of zone text. SipHash (std's): no new dependency, a few hundred MB/s, and a collision
/// between two versions of one operator's file is not a concern for a 64-bit hash.
pub fn text_hash(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// The key directory's listing hash for a zone signed from one, `None` for any other zone.
pub fn keys_hash(zone: &Zone) -> Option<u64> {
    let directory = zone
        .dnssec
        .as_ref()
        .filter(|dnssec| dnssec.config.sign)
        .and_then(|dnssec| dnssec.config.keys.as_ref())?;
    Some(directory_hash(directory))
}

/// A hash of the directory's entries (name, size, modification time), in name order; an unreadable
/// directory hashes as empty (the rebuild that follows reports it).
fn directory_hash(directory: &Path) -> u64 {
    let mut entries: Vec<(std::ffi::OsString, u64, Option<SystemTime>)> = fs::read_dir(directory)
        .map(|listing| {
            listing
                .filter_map(Result::ok)
                .take(MAX_KEY_DIRECTORY_ENTRIES)
                .map(|entry| {
                    let metadata = entry.metadata().ok();
                    (
                        entry.file_name(),
                        metadata.as_ref().map_or(0, fs::Metadata::len),
                        metadata.and_then(|metadata| metadata.modified().ok()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    entries.sort();
    let mut hasher = DefaultHasher::new();
    entries.hash(&mut hasher);
    hasher.finish()
}

/// Whether a signed zone's signatures are close enough to expiry that a reload must re-sign it
/// (the per-zone form of `dnssec::needs_refresh`).
pub fn signatures_due(zone: &Zone, now: u32) -> bool {
    zone.dnssec.as_ref().is_some_and(|dnssec| {
        dnssec.chain.is_some()
            && dnssec.earliest_expiration.saturating_sub(now)
                < crate::limits::SIGNATURE_REFRESH_SECONDS
    })
}
