//! Zone transfers between servers: the authority as a primary (AXFR, RFC 5936; IXFR, RFC 1995;
//! NOTIFY, RFC 1996) and as a secondary (`secondary/`), with access by address and TSIG (RFC 8945).
//! Off unless configured.
//!
//! ```text
//! load / SIGHUP ─ serial.rs (file serial, or policy; never backwards) ─ sign ─ publish.rs, before
//!                       │ the catalog swap:
//!                       ├─ journal.rs: Difference(old zone, new zone) → Journal (bounded, state dir)
//!                       ├─ packed.rs: the whole zone packed once (order.rs: canonical names;
//!                       │    messages.rs: SOA, records, SOA in 16 KiB messages)
//!                       └─ after the swap, notify.rs: NOTIFY each secondary, retried, bounded
//! TCP/UDP request ─ serve.rs: is_transfer_request? ─ tsig.rs check ─ zone ─ acl.rs
//!        ├─ AXFR (TCP): packed.rs messages, ID and question patched ─ tsig.rs signs each ─ listener
//!        ├─ IXFR: journal since the client's serial, else the whole zone; UDP: the SOA alone
//!        └─ signed plain query: the normal answer, signed
//! NOTIFY for a secondary zone ─ secondary/notify_in.rs ─ refresh task: secondary/ pulls, swaps in
//! ```

pub mod acl;
pub mod journal;
pub mod messages;
pub mod notify;
pub mod order;
pub mod packed;
pub mod publish;
pub mod secondary;
pub mod serial;
pub mod serve;
pub mod tsig;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use hickory_proto::rr::{LowerName, Name};

use crate::catalog::zones::Catalog;
use crate::zone::prepared::Zone;
use acl::Acl;
use journal::{zone_serial, Difference, Journal};
use notify::NotifyTarget;
use tsig::Keyring;

/// Who may transfer which zone, and whom to notify.
#[derive(Clone, Debug, Default)]
pub struct TransferSettings {
    pub keyring: Keyring,
    /// For zones without their own list (`--allow-transfer`).
    pub default_acl: Acl,
    pub zone_acls: HashMap<LowerName, Acl>,
    /// For zones without their own list (`--notify`).
    pub default_notify: Vec<NotifyTarget>,
    pub zone_notify: HashMap<LowerName, Vec<NotifyTarget>>,
}

impl TransferSettings {
    pub fn acl_for(&self, origin: &Name) -> &Acl {
        self.zone_acls
            .get(&LowerName::new(origin))
            .unwrap_or(&self.default_acl)
    }

    pub fn notify_for(&self, origin: &Name) -> &[NotifyTarget] {
        self.zone_notify
            .get(&LowerName::new(origin))
            .map_or(&self.default_notify, Vec::as_slice)
    }

    /// Whether any zone may be transferred or notified at all (else the module stays out of the way).
    pub fn is_active(&self) -> bool {
        !self.default_acl.is_empty()
            || !self.zone_acls.is_empty()
            || !self.keyring.is_empty()
            || !self.default_notify.is_empty()
            || !self.zone_notify.is_empty()
    }
}

/// The journals of every zone, kept in memory and in the state directory.
#[derive(Debug, Default)]
pub struct Journals {
    directory: Option<PathBuf>,
    zones: Mutex<HashMap<LowerName, Journal>>,
}

impl Journals {
    pub fn new(directory: Option<PathBuf>) -> Journals {
        Journals {
            directory,
            zones: Mutex::new(HashMap::new()),
        }
    }

    fn path(&self, origin: &Name) -> Option<PathBuf> {
        self.directory
            .as_ref()
            .map(|directory| directory.join(format!("{}journal", serial::state_file_stem(origin))))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<LowerName, Journal>> {
        self.zones
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// At start: the saved journal of each zone. A signed zone's is dropped, because its
    /// signatures were made anew at this start and no longer match the differences.
    pub fn load(&self, catalog: &Catalog) {
        let mut zones = self.lock();
        for zone in catalog.zones() {
            let signed = zone
                .dnssec
                .as_ref()
                .is_some_and(|dnssec| dnssec.chain.is_some());
            let Some(path) = self.path(&zone.origin) else {
                continue;
            };
            let journal = match Journal::load(&path) {
                Some(journal) if !signed => journal,
                _ => Journal::default(),
            };
            tracing::debug!(zone = %zone.origin, differences = journal.len(), "journal loaded");
            zones.insert(LowerName::new(&zone.origin), journal);
        }
    }

    /// The differences from `asked` to `current`, if the journal holds them all.
    pub fn since(&self, origin: &Name, asked: u32, current: u32) -> Option<Vec<Difference>> {
        let zones = self.lock();
        let journal = zones.get(&LowerName::new(origin))?;
        journal
            .since(asked, current)
            .map(|path| path.into_iter().cloned().collect())
    }

    /// One more difference of `origin` (a secondary zone's transfer), journaled and saved.
    pub fn record(&self, origin: &Name, difference: Difference) {
        let mut zones = self.lock();
        let journal = zones.entry(LowerName::new(origin)).or_default();
        journal.push(difference);
        if let Some(path) = self.path(origin) {
            if let Err(error) = journal.save(&path) {
                tracing::warn!(path = %path.display(), %error, "cannot save the journal");
            }
        }
    }

    /// After a reload: the zones whose serial changed, each difference journaled (and saved).
    pub fn record_reload(&self, old: &Catalog, new: &Catalog) -> Vec<std::sync::Arc<Zone>> {
        let mut changed = Vec::new();
        for zone in new.zones() {
            let Some(previous) = old.zone(&zone.origin) else {
                continue;
            };
            if std::sync::Arc::ptr_eq(previous, zone) || zone_serial(previous) == zone_serial(zone)
            {
                continue;
            }
            changed.push(zone.clone());
            let Some(difference) = Difference::between(previous, zone) else {
                continue;
            };
            tracing::info!(
                zone = %zone.origin, from = difference.from_serial(), to = difference.to_serial(),
                removed = difference.removed.len(), added = difference.added.len(), "zone changed"
            );
            let mut zones = self.lock();
            let journal = zones.entry(LowerName::new(&zone.origin)).or_default();
            journal.push(difference);
            if let Some(path) = self.path(&zone.origin) {
                if let Err(error) = journal.save(&path) {
                    tracing::warn!(path = %path.display(), %error, "cannot save the journal");
                }
            }
        }
        changed
    }
}
