//! Local zones: names the daemon answers itself, authoritatively and without recursion (Unbound's
//! `local-zone: static` with data). The seam to the authority crate; it never resolves upstream.

use std::sync::Arc;

use hickory_proto::op::Query;

use authority::answer::handler::answer_packet;
use authority::catalog::zones::{Catalog, ZoneSource};
use authority::listen::Protocol;
use authority::zone::error::ZoneError;

/// Zones the daemon serves itself.
pub trait LocalZones: Send + Sync {
    /// The complete response bytes when `query`'s name is in a local zone, else `None` (resolve it).
    fn answer(&self, packet: &[u8], query: &Query, protocol: Protocol) -> Option<Vec<u8>>;

    /// How many zones are loaded (for the ready and reload log lines).
    fn zone_count(&self) -> usize;

    /// The zones' names (for `list_local_zones`); none by default.
    fn zone_names(&self) -> Vec<hickory_proto::rr::Name> {
        Vec::new()
    }
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

/// RA clear: a downstream auth zone's answer to a client that did not ask for recursion or may
/// not have it (Unbound's worker sets RA only for RD=1 from clients that may recurse).
pub fn clear_recursion_available(mut response: Vec<u8>) -> Vec<u8> {
    if let Some(flags) = response.get_mut(3) {
        *flags &= !0x80;
    }
    response
}

/// Local zones served by the authority crate: its catalog and its pure answer path, so the
/// resolver's local answers are exactly what `authority` would serve for the same files.
pub struct CatalogZones {
    catalog: Catalog,
}

impl LocalZones for CatalogZones {
    fn answer(&self, packet: &[u8], query: &Query, protocol: Protocol) -> Option<Vec<u8>> {
        // Any name at or below one of our origins is ours, NXDOMAIN included: that is what
        // "authoritative without recursion" means (Unbound's `local-zone: static`).
        self.catalog.closest_zone(query.name())?;
        answer_packet(&self.catalog, packet, protocol)
    }

    fn zone_count(&self) -> usize {
        self.catalog.zones().count()
    }

    fn zone_names(&self) -> Vec<hickory_proto::rr::Name> {
        self.catalog
            .zones()
            .map(|zone| zone.origin.clone())
            .collect()
    }
}

/// Why local zones could not be loaded: every error found, each naming its file and line.
#[derive(Debug)]
pub struct LocalZonesError {
    pub errors: Vec<ZoneError>,
}

impl std::fmt::Display for LocalZonesError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for error in &self.errors {
            if !first {
                writeln!(formatter)?;
            }
            write!(formatter, "{error}")?;
            first = false;
        }
        Ok(())
    }
}

impl std::error::Error for LocalZonesError {}

/// Loads the `--zone` files (`FILE` or `ORIGIN=FILE`); any error fails the whole set, so a
/// reload with a broken file keeps serving the previous zones.
pub fn load_local_zones(zones: &[String]) -> Result<Arc<dyn LocalZones>, LocalZonesError> {
    if zones.is_empty() {
        return Ok(Arc::new(NoLocalZones));
    }
    let mut errors = Vec::new();
    let mut sources = Vec::with_capacity(zones.len());
    for argument in zones {
        match ZoneSource::parse(argument) {
            Ok(source) => sources.push(source),
            Err(error) => errors.push(error),
        }
    }
    let load = Catalog::load(&sources);
    errors.extend(load.errors);
    if !errors.is_empty() {
        return Err(LocalZonesError { errors });
    }
    for warning in &load.warnings {
        tracing::warn!("{warning}");
    }
    Ok(Arc::new(CatalogZones {
        catalog: load.catalog,
    }))
}
