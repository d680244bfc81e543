//! The catalog being served and its reload: every file is re-read; a file that fails keeps its
//! zone's last good data (one that never loaded is answered SERVFAIL); the new catalog replaces
//! the old one in a single pointer swap.

use std::sync::{Arc, RwLock};

use hickory_proto::rr::Name;

use crate::catalog::zones::{Catalog, LoadOptions, ZoneSource};
use crate::zone::error::{ZoneError, ZoneWarning};

/// The current catalog behind a lock held only long enough to clone an `Arc`, so a query
/// sees either the whole old catalog or the whole new one, never a mix.
#[derive(Debug)]
pub struct SharedCatalog {
    sources: Vec<ZoneSource>,
    options: LoadOptions,
    current: RwLock<Arc<Catalog>>,
}

/// What one reload did.
#[derive(Debug, Default)]
pub struct ReloadReport {
    /// Zones now serving freshly read data.
    pub reloaded: usize,
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
        let shared = SharedCatalog {
            sources,
            options,
            current: RwLock::new(Arc::new(Catalog::default())),
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

    /// Re-reads every file (SIGHUP). Zones whose file fails keep their last good data.
    pub fn reload(&self) -> ReloadReport {
        let previous = self.current();
        let mut report = ReloadReport::default();
        let mut zones = Vec::with_capacity(self.sources.len());
        let mut not_loaded = Vec::new();
        for source in &self.sources {
            let served = previous.zone(&source.origin).map(|zone| zone.as_ref());
            match source.load_after(&self.options, served) {
                Ok((zone, warnings)) => {
                    zones.push(Arc::new(zone));
                    report.reloaded += 1;
                    report.warnings.extend(warnings);
                }
                Err(errors) => {
                    match previous.zone(&source.origin) {
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
        // Secondary zones come from transfers, not files: the reload keeps them as they are now.
        self.replace(|current| {
            crate::catalog::secondary::keep_secondaries(next, current, &self.sources)
        });
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
        *guard = next;
    }
}
