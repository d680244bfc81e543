//! Zone-file presentation format that hickory's text parser refuses: DNSSEC RDATA and RFC 3597
//! generic RDATA. Crate-level (not under `replay/`) because a trust-anchor file reader reuses it.
//!
//! ```text
//! "DNSKEY 257 3 8 AwEA…" ─ dnssec_rdata ─▶ hickory DNSKEY::with_flags(…)  ─▶ RData
//! "TYPE65534 \# 3 000A00" ─ generic_rdata ─▶ hickory RData::read(wire)     ─▶ RData
//! ```
//!
//! Both only split fields and call hickory's own constructors, decoders and mnemonics; neither
//! writes wire format by hand nor does any cryptography.

pub mod dnssec_rdata;
pub mod error;
pub mod generic_rdata;
pub mod name;

pub use dnssec_rdata::{is_text_refused_by_hickory, parse_dnssec_rdata};
pub use error::PresentationError;
pub use generic_rdata::{
    is_generic_rdata, parse_dname_rdata, parse_generic_rdata, parse_record_type,
};
pub use name::parse_name;
