//! Response policy: RPZ policy zones (draft-vixie-dnsop-dns-rpz) and `response-ip` rules, as
//! Unbound's rpz and respip modules. Zones are read into lookup tables at start and on reload.
//!
//! ```text
//! settings (flags, YAML, rpz: clause) ─▶ ResponsePolicy::build   (rpz_zone, prefix_table)
//! request ─▶ before (client IP, QNAME) ─▶ resolution ─▶ after (answer addresses)   (apply)
//! ```

pub mod action;
pub mod apply;
pub mod prefix_table;
pub mod rpz_zone;
pub mod settings;

pub use apply::{AfterResolution, BeforeResolution, ResponsePolicy};
pub use settings::{PolicySettings, RpzSource, ZoneText};
