//! Secondary zones in the served catalog: a transfer installs its zone, an expiry withdraws it
//! (answered SERVFAIL), and a reload of the files keeps them. Never reads files or the network.

use std::collections::HashSet;
use std::sync::Arc;

use hickory_proto::rr::{LowerName, Name};

use crate::catalog::reload::SharedCatalog;
use crate::catalog::zones::{Catalog, ZoneSource};
use crate::zone::prepared::Zone;

impl SharedCatalog {
    /// Serves `zone` as `origin` from now on; `None` withdraws it (SERVFAIL until installed again).
    pub fn install_secondary(&self, origin: &Name, zone: Option<Arc<Zone>>) {
        let key = LowerName::new(origin);
        self.replace(|current| {
            let others = current
                .zones()
                .filter(|served| LowerName::new(&served.origin) != key)
                .cloned();
            let mut not_loaded: Vec<Name> = current
                .not_loaded()
                .filter(|missing| **missing != key)
                .map(|lower| Name::from(lower.clone()))
                .collect();
            match zone {
                Some(zone) => Catalog::with_not_loaded(others.chain([zone]), not_loaded),
                None => {
                    not_loaded.push(origin.clone());
                    Catalog::with_not_loaded(others, not_loaded)
                }
            }
        });
    }
}

/// `next` (just read from `sources`) plus the zones of `current` that no source gives: the
/// secondary zones, served or withdrawn, as they are at the moment of the swap.
pub fn keep_secondaries(next: Catalog, current: &Catalog, sources: &[ZoneSource]) -> Catalog {
    // Without secondary zones every origin of `current` is a source: nothing to keep.
    if current.zones().count() + current.not_loaded().count() <= sources.len() {
        return next;
    }
    let from_files: HashSet<LowerName> = sources
        .iter()
        .map(|source| LowerName::new(&source.origin))
        .collect();
    let kept_zones: Vec<Arc<Zone>> = current
        .zones()
        .filter(|zone| !from_files.contains(&LowerName::new(&zone.origin)))
        .cloned()
        .collect();
    let kept_missing: Vec<Name> = current
        .not_loaded()
        .filter(|origin| !from_files.contains(*origin))
        .map(|lower| Name::from(lower.clone()))
        .collect();
    if kept_zones.is_empty() && kept_missing.is_empty() {
        return next;
    }
    let missing: Vec<Name> = next
        .not_loaded()
        .map(|lower| Name::from(lower.clone()))
        .collect();
    Catalog::with_not_loaded(
        next.zones().cloned().chain(kept_zones),
        missing.into_iter().chain(kept_missing),
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use hickory_proto::rr::rdata::{A, NS, SOA};
    use hickory_proto::rr::{RData, Record, RecordType};

    use super::*;
    use crate::catalog::zones::{LoadOptions, ZoneFor};
    use crate::xfr::secondary::apply::build_secondary_zone;

    fn zone(origin: &Name) -> Arc<Zone> {
        let ns = Name::from_ascii("ns")
            .unwrap()
            .append_domain(origin)
            .unwrap();
        let soa = Record::from_rdata(
            origin.clone(),
            3600,
            RData::SOA(SOA::new(ns.clone(), ns.clone(), 1, 3600, 900, 604_800, 300)),
        );
        let records = vec![
            Record::from_rdata(origin.clone(), 3600, RData::NS(NS(ns.clone()))),
            Record::from_rdata(ns, 300, RData::A(A::new(192, 0, 2, 1))),
        ];
        Arc::new(build_secondary_zone(origin, soa, records, PathBuf::from("t")).unwrap())
    }

    #[test]
    fn an_installed_zone_survives_a_reload_and_a_withdrawn_one_is_servfail() {
        let origin = Name::from_ascii("example.test.").unwrap();
        let lower = LowerName::new(&origin);
        let (shared, _) = SharedCatalog::load_with(Vec::new(), LoadOptions::default());
        shared.install_secondary(&origin, None);
        assert!(matches!(
            shared.current().zone_for(&lower, RecordType::SOA),
            ZoneFor::NotLoaded
        ));
        shared.install_secondary(&origin, Some(zone(&origin)));
        shared.reload();
        assert!(matches!(
            shared.current().zone_for(&lower, RecordType::SOA),
            ZoneFor::Loaded(_)
        ));
        shared.install_secondary(&origin, None);
        shared.reload();
        assert!(matches!(
            shared.current().zone_for(&lower, RecordType::SOA),
            ZoneFor::NotLoaded
        ));
    }
}
