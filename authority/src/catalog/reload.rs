//! The catalog being served and its reload: only files that changed (stat, then a hash of the
//! text) are read and rebuilt; a file that fails keeps its zone's last good data (one that never
//! loaded is answered SERVFAIL); the new catalog replaces the old one in a single pointer swap.

use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, SystemTime};

use hickory_proto::rr::Name;

use crate::catalog::fingerprint::{
    keys_hash, signatures_due, text_hash, FileStat, SourceFingerprint,
};
use crate::catalog::zones::{Catalog, LoadOptions, ZoneSource};
use crate::zone::error::{ZoneError, ZoneWarning};
use crate::zone::prepared::Zone;

/// A file modified this recently when it is loaded may change again within the same timestamp
/// tick (Linux stamps files with a clock that advances in jiffies), so its stat is not trusted
/// at the next reload and its text is hashed instead (git's "racily clean" rule).
const RACY_STAT_WINDOW: Duration = Duration::from_secs(2);

/// The current catalog behind a lock held only long enough to clone an `Arc`, so a query
/// sees either the whole old catalog or the whole new one, never a mix.
#[derive(Debug)]
pub struct SharedCatalog {
    sources: Vec<ZoneSource>,
    options: LoadOptions,
    current: RwLock<Arc<Catalog>>,
    /// What each source's served zone was built from (same order as `sources`; `None` until it
    /// loads). The lock is held for a whole reload, so two reloads (SIGHUP and the signature
    /// refresh) never interleave.
    built_from: Mutex<Vec<Option<SourceFingerprint>>>,
}

/// What one reload did.
#[derive(Debug, Default)]
pub struct ReloadReport {
    /// Zones rebuilt from their file (new, changed, or re-signed), now serving freshly read data.
    pub reloaded: usize,
    /// Zones kept as they were: their file (and keys) did not change since they were built.
    pub unchanged: usize,
    /// Errors of files whose zone kept its previous data (or stays absent if it never loaded).
    pub errors: Vec<ZoneError>,
    pub warnings: Vec<ZoneWarning>,
    /// Zones that have no data at all (their file failed and never loaded): answered SERVFAIL.
    pub not_loaded: Vec<Name>,
}

impl SharedCatalog {
    /// Loads every source for the first time.
    pub fn load(sources: Vec<ZoneSource>) -> (SharedCatalog, ReloadReport) {
        SharedCatalog::load_with(sources, LoadOptions::default())
    }

    /// `load` with the server's loading options, kept for every reload.
    pub fn load_with(
        sources: Vec<ZoneSource>,
        options: LoadOptions,
    ) -> (SharedCatalog, ReloadReport) {
        let built_from = Mutex::new(vec![None; sources.len()]);
        let shared = SharedCatalog {
            sources,
            options,
            current: RwLock::new(Arc::new(Catalog::default())),
            built_from,
        };
        let report = shared.reload();
        (shared, report)
    }

    /// The catalog to answer from now.
    pub fn current(&self) -> Arc<Catalog> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            // A writer never panics while holding the lock (it only swaps an Arc), but if one
            // did, the data is still a whole catalog.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reloads (SIGHUP): rebuilds each zone whose file changed, whose keys changed, or whose
    /// signatures near expiry; keeps the others as they are. Queries are answered from the
    /// current catalog until the new one is swapped in whole. Zones whose file fails keep their
    /// last good data.
    pub fn reload(&self) -> ReloadReport {
        self.reload_with(|_, _| {})
    }

    /// `reload`, with `before_publish(served, next)` called once the new catalog is built and
    /// before it is served (the served one still answers meanwhile): what must be ready when a
    /// zone version is first seen (its journal entry, its packed transfer) is made there. `next`
    /// holds the zones from files only (secondary zones are carried over at the swap).
    pub fn reload_with(&self, before_publish: impl FnOnce(&Catalog, &Catalog)) -> ReloadReport {
        let mut built_from = self.lock_built_from();
        let previous = self.current();
        let now = crate::dnssec::unix_now();
        let mut report = ReloadReport::default();
        let mut zones = Vec::with_capacity(self.sources.len());
        let mut not_loaded = Vec::new();
        for (source, fingerprint) in self.sources.iter().zip(built_from.iter_mut()) {
            let served = previous.zone(&source.origin);
            match self.reload_source(source, fingerprint, served, now) {
                Reloaded::Unchanged(zone) => {
                    zones.push(zone);
                    report.unchanged += 1;
                }
                Reloaded::Rebuilt(zone, warnings) => {
                    zones.push(Arc::from(zone));
                    report.reloaded += 1;
                    report.warnings.extend(warnings);
                }
                Reloaded::Failed(errors) => {
                    match served {
                        Some(old) => zones.push(old.clone()),
                        None => {
                            not_loaded.push(source.origin.clone());
                            report.not_loaded.push(source.origin.clone());
                        }
                    }
                    report.errors.extend(errors);
                }
            }
        }
        let next = Catalog::with_not_loaded(zones, not_loaded);
        before_publish(&previous, &next);
        // Secondary zones come from transfers, not files: the reload keeps them as they are now.
        self.replace(|current| {
            crate::catalog::secondary::keep_secondaries(next, current, &self.sources)
        });
        // The replaced zones are freed off this path: what follows a reload (NOTIFY) need not
        // wait seconds for a big zone's memory to be given back.
        crate::catalog::retire::retire(previous);
        report
    }

    /// Swaps in `change(current)` under the write lock, so a reload and a secondary zone's
    /// transfer never overwrite each other's catalog.
    pub fn replace(&self, change: impl FnOnce(&Catalog) -> Catalog) {
        let mut guard = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let next = Arc::new(change(&guard));
        let replaced = std::mem::replace(&mut *guard, next);
        drop(guard);
        crate::catalog::retire::retire(replaced);
    }
    /// One source's part of a reload. `fingerprint` describes `served` (when both are present)
    /// and is updated to describe what is served after this reload.
    fn reload_source(
        &self,
        source: &ZoneSource,
        fingerprint: &mut Option<SourceFingerprint>,
        served: Option<&Arc<Zone>>,
        now: u32,
    ) -> Reloaded {
        // Stat before reading: a change made after the stat is seen by the next reload.
        let stat = FileStat::of(&source.path);
        let keepable = match (served, fingerprint.as_mut()) {
            (Some(zone), Some(known))
                if !signatures_due(zone, now) && keys_hash(zone) == known.keys_hash =>
            {
                Some((zone, known))
            }
            _ => None,
        };
        let keepable = match keepable {
            Some((zone, known)) if stat.is_some() && known.stat == stat => {
                return Reloaded::Unchanged(zone.clone())
            }
            other => other,
        };
        let text = match source.read_text(&self.options) {
            Ok(text) => text,
            Err(errors) => return Reloaded::Failed(errors),
        };
        let hash = text_hash(&text);
        if let Some((zone, known)) = keepable {
            if known.text_hash == hash {
                // Touched or rewritten with the same text: nothing to rebuild.
                known.stat = trusted(stat);
                return Reloaded::Unchanged(zone.clone());
            }
        }
        let previous = served.map(|zone| zone.as_ref());
        match source.load_text_after(text, &self.options, previous) {
            Ok((zone, warnings)) => {
                *fingerprint = Some(SourceFingerprint {
                    stat: trusted(stat),
                    text_hash: hash,
                    keys_hash: keys_hash(&zone),
                });
                Reloaded::Rebuilt(Box::new(zone), warnings)
            }
            // The served zone (if any) is kept, and the fingerprint still describes it.
            Err(errors) => Reloaded::Failed(errors),
        }
    }

    fn lock_built_from(&self) -> MutexGuard<'_, Vec<Option<SourceFingerprint>>> {
        // A reload that panicked left fingerprints that still describe served zones, or none.
        self.built_from
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What reloading one source did.
enum Reloaded {
    Unchanged(Arc<Zone>),
    /// Boxed: a `Zone` is a few hundred bytes, the other variants a pointer or a list.
    Rebuilt(Box<Zone>, Vec<ZoneWarning>),
    Failed(Vec<ZoneError>),
}

/// The stat to compare at the next reload: `None` (hash the text again) for a file modified so
/// recently that a further change could carry the same timestamp.
fn trusted(stat: Option<FileStat>) -> Option<FileStat> {
    let stat = stat?;
    let modified = stat.modified?;
    let age = SystemTime::now()
        .duration_since(modified)
        .unwrap_or(Duration::ZERO);
    (age >= RACY_STAT_WINDOW).then_some(stat)
}
