//! Zone signing (DNSSEC, RFC 4033–4035, 5155), Knot's way: the server signs the zones that ask for
//! it at load and reload, and answers DO=1 queries with signatures and proofs of non-existence.
//!
//! ```text
//! zone file `octodns: {dnssec: ...}` → config.rs (DnssecConfig, in ReadZone)
//! keys dir K<zone>+*.key/.private   → keys.rs (ZoneKey: mode checks, BIND format, ring through hickory)
//! prepared Zone + keys              → sign.rs (DNSKEY, NSEC/NSEC3 chain, RRSIGs; reuse of fresh ones)
//!                                     → denial.rs (the chain, searchable) in Zone::dnssec
//! DO=1 query: answer/lookup.rs      → proofs.rs (NSEC/NSEC3 proofs, DS at referrals: look-ups only)
//!             answer/response.rs    → each RecordSet's `signatures` written after it (RFC 4035 §3.1.1)
//! master.rs: the signed zone as a master file (`--print-signed`); DS lines for the parent (`ds`)
//! ```

pub mod commands;
pub mod config;
pub mod denial;
pub mod keys;
pub mod lab;
pub mod master;
pub mod proofs;
pub mod sign;

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use hickory_proto::dnssec::rdata::{DNSSECRData, DS};
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordType};

use crate::zone::error::{ZoneError, ZoneErrorKind};
use crate::zone::prepared::{RecordSet, Zone};
use config::DnssecConfig;
use denial::Denial;
use keys::{load_zone_keys, KeyError};
use sign::{sign_zone, SignatureWindow};

/// A zone's DNSSEC state: its settings and, once signed, what the answers need.
#[derive(Clone, Debug)]
pub struct ZoneDnssec {
    pub config: DnssecConfig,
    /// The NSEC/NSEC3 chain; `None` while the zone is unsigned (settings read, no keys yet).
    pub chain: Option<Arc<Denial>>,
    /// The earliest signature expiration in the zone: the refresh timer's deadline.
    pub earliest_expiration: u32,
    /// The DS records of the zone's SEP keys, for the parent.
    pub ds: Vec<DS>,
    pub key_tags: Vec<u16>,
}

impl ZoneDnssec {
    pub fn unsigned(config: DnssecConfig) -> ZoneDnssec {
        ZoneDnssec {
            config,
            chain: None,
            earliest_expiration: u32::MAX,
            ds: Vec::new(),
            key_tags: Vec::new(),
        }
    }
}

/// Seconds since the epoch, the clock of RRSIG times (RFC 4034 §3.1.5, serial arithmetic).
pub fn unix_now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as u32)
}

fn key_error(error: KeyError, zone: &Name) -> ZoneError {
    ZoneError {
        file: error.file,
        line: error.line,
        kind: ZoneErrorKind::Dnssec(format!("key for zone {zone}: {}", error.kind)),
    }
}

/// After a zone is built: sign it when its settings name a key directory; remember the settings
/// otherwise (the lab signs with keys of its own). `zone_file` and the settings' line name the
/// place to fix when the keys fail.
pub fn sign_loaded_zone(
    zone: &mut Zone,
    config: Option<DnssecConfig>,
    zone_file: &Path,
    previous: Option<&Zone>,
) -> Result<(), Vec<ZoneError>> {
    let Some(config) = config else {
        return Ok(());
    };
    let Some(directory) = config.keys.clone().filter(|_| config.sign) else {
        zone.dnssec = Some(Box::new(ZoneDnssec::unsigned(config)));
        return Ok(());
    };
    let keys = load_zone_keys(&directory, &zone.origin).map_err(|errors| {
        errors
            .into_iter()
            .map(|error| key_error(error, &zone.origin))
            .collect::<Vec<_>>()
    })?;
    sign_zone(
        zone,
        &keys,
        &config,
        SignatureWindow::starting(unix_now()),
        previous,
    )
    .map_err(|error| {
        vec![ZoneError {
            file: zone_file.to_path_buf(),
            line: config.line,
            kind: ZoneErrorKind::Dnssec(error.to_string()),
        }]
    })
}

/// Publishes `ds` at the delegation `child` of `parent` (the lab's automatic DS), replacing any DS
/// there. Call before the parent is signed. False when `child` is not a cut of `parent`.
pub fn publish_child_ds(parent: &mut Zone, child: &Name, ds: &[DS], ttl: u32) -> bool {
    let Some(node) = parent.nodes.get_mut(&LowerName::new(child)) else {
        return false;
    };
    if !node.is_delegation || ds.is_empty() {
        return false;
    }
    let records: Vec<Record> = ds
        .iter()
        .map(|ds| {
            Record::from_rdata(
                child.clone(),
                ttl,
                RData::DNSSEC(DNSSECRData::DS(ds.clone())),
            )
        })
        .collect();
    let Ok(set) = RecordSet::from_records(child, RecordType::DS, &records) else {
        return false;
    };
    node.put_set(Arc::new(set));
    parent.record_count += ds.len();
    true
}

/// Whether some signed zone of `catalog` holds a signature with less than the refresh margin
/// left at `now`: then a reload re-signs those RRsets (and reuses every other signature).
pub fn needs_refresh(catalog: &crate::catalog::zones::Catalog, now: u32) -> bool {
    catalog.zones().any(|zone| {
        zone.dnssec.as_ref().is_some_and(|dnssec| {
            dnssec.chain.is_some()
                && dnssec.earliest_expiration.saturating_sub(now)
                    < crate::limits::SIGNATURE_REFRESH_SECONDS
        })
    })
}
