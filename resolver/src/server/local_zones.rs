//! Local zones: names the daemon answers itself, authoritatively and without recursion (Unbound's
//! `local-zone`/`auth-zone`). This is the seam to the authority crate; it never resolves upstream.

use hickory_proto::op::Query;

use authority::listen::Protocol;

/// Zones the daemon serves itself.
pub trait LocalZones: Send + Sync {
    /// The complete response bytes when `query`'s name is in a local zone, else `None` (resolve it).
    fn answer(&self, packet: &[u8], query: &Query, protocol: Protocol) -> Option<Vec<u8>>;

    /// How many zones are loaded (for the ready and reload log lines).
    fn zone_count(&self) -> usize;
}

/// No local zones: every question is resolved.
pub struct NoLocalZones;

impl LocalZones for NoLocalZones {
    fn answer(&self, _packet: &[u8], _query: &Query, _protocol: Protocol) -> Option<Vec<u8>> {
        None
    }

    fn zone_count(&self) -> usize {
        0
    }
}

/// RFC 1035 §4.1.1: RA says whether we offer recursion; the authority's encoder leaves it clear.
pub fn set_recursion_available(mut response: Vec<u8>) -> Vec<u8> {
    if let Some(flags) = response.get_mut(3) {
        *flags |= 0x80;
    }
    response
}

/// Why local zones could not be loaded.
#[derive(Debug)]
pub enum LocalZonesError {
    /// TODO(authority merge): local zones are served through the authority crate's catalog.
    NotAvailable { zone: String },
}

impl std::fmt::Display for LocalZonesError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocalZonesError::NotAvailable { zone } => write!(
                formatter,
                "{zone}: local zones are not available in this build"
            ),
        }
    }
}

impl std::error::Error for LocalZonesError {}

/// Loads the `--zone` files.
pub fn load_local_zones(
    zones: &[String],
) -> Result<std::sync::Arc<dyn LocalZones>, LocalZonesError> {
    match zones.first() {
        Some(zone) => Err(LocalZonesError::NotAvailable { zone: zone.clone() }),
        None => Ok(std::sync::Arc::new(NoLocalZones)),
    }
}
