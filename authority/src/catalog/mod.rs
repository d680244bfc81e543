//! The zones we serve, as one immutable `Catalog`: loaded from `[ORIGIN=]FILE` sources through
//! `zone`, searched for the closest enclosing zone, and swapped whole on reload. It never answers.
//!
//! ```text
//! [ORIGIN=]FILE → zones.rs (ZoneSource::load via zone/ → Catalog, closest zone) → reload.rs
//!                 (SharedCatalog: one Arc<Catalog>, swapped per SIGHUP) → answer/ reads the current one
//! fingerprint.rs: what each zone was built from (stat, text hash, keys), so reload rebuilds only
//! the zones whose files changed.
//! check.rs: the same load, every problem printed as `file:line: problem`, nothing served.
//! secondary.rs: zones pulled by transfer (`xfr::secondary`) put in or taken out of the current catalog.
//! ```

pub mod check;
pub mod fingerprint;
pub mod reload;
pub mod retire;
pub mod secondary;
pub mod zones;
