//! The authority as a secondary: zones pulled from their primaries by IXFR or AXFR (RFC 1995,
//! RFC 5936) at start, on NOTIFY (RFC 1996) and on the SOA timers; served until they expire.
//!
//! ```text
//! start: copy.rs (state dir) → catalog (served at once unless expired) → refresh.rs, one task a zone
//! refresh.rs: wait (REFRESH / RETRY, timers.rs, on clock.rs) or NOTIFY (notify_in.rs) → pull.rs:
//!   transport.rs (TCP), SOA query,
//!   IXFR/AXFR, TSIG chain → stream.rs (records → whole / differences) → apply.rs (zone::build;
//!   presigned.rs puts a signed zone's RRSIG/NSEC/NSEC3 back)
//!   → catalog swap, copy.rs save, journal + NOTIFY downstream; any failure keeps the last good copy
//! EXPIRE without a successful refresh → withdrawn (SERVFAIL) until one succeeds
//! ```

pub mod apply;
pub mod clock;
pub mod copy;
pub mod error;
pub mod notify_in;
pub mod presigned;
pub mod pull;
pub mod refresh;
#[cfg(test)]
mod refresh_tests;
pub mod stream;
pub mod timers;
pub mod transport;

use std::collections::HashMap;
use std::sync::Arc;

use hickory_proto::rr::{LowerName, Name};
use tokio::sync::Notify;

use crate::xfr::notify::NotifyTarget;
use crate::xfr::tsig::Keyring;

/// A zone to pull, and the primaries to pull it from (tried in order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecondaryZone {
    pub origin: Name,
    pub primaries: Vec<NotifyTarget>,
}

/// One configured zone and the wake-up its refresh task waits on.
#[derive(Debug)]
pub(crate) struct ZoneEntry {
    pub(crate) config: SecondaryZone,
    pub(crate) wake: Arc<Notify>,
}

/// Every secondary zone of the server, and the keys NOTIFYs may be signed with.
#[derive(Debug, Default)]
pub struct SecondaryZones {
    pub(crate) zones: HashMap<LowerName, ZoneEntry>,
    pub(crate) keyring: Keyring,
}

impl SecondaryZones {
    pub fn new(zones: Vec<SecondaryZone>, keyring: Keyring) -> SecondaryZones {
        let zones = zones
            .into_iter()
            .map(|config| {
                (
                    LowerName::new(&config.origin),
                    ZoneEntry {
                        config,
                        wake: Arc::new(Notify::new()),
                    },
                )
            })
            .collect();
        SecondaryZones { zones, keyring }
    }

    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// Loads each zone's copy from the state directory into the catalog (or marks the zone
    /// SERVFAIL until its first transfer), then starts one refresh task per zone.
    pub fn start(&self, context: Arc<refresh::SecondaryContext>) {
        for entry in self.zones.values() {
            let task = refresh::ZoneRefresher::start(
                entry.config.clone(),
                entry.wake.clone(),
                context.clone(),
            );
            tokio::spawn(task.run());
        }
    }
}
