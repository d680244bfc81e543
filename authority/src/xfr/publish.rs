//! A reload as transfers see it: each new zone version's journal entry and packed AXFR are made
//! before the version is served, so the new serial is never seen without its way there (IXFR).

use std::sync::Arc;

use crate::catalog::reload::{ReloadReport, SharedCatalog};
use crate::xfr::serve::TransferService;
use crate::zone::prepared::Zone;

/// Reloads `catalog` (SIGHUP, signature refresh). Before the swap, with the old catalog still
/// answering: each zone whose serial changed has its difference journaled (and saved), and each
/// new version that may be transferred is packed. Returns the report and the zones whose serial
/// changed (to notify).
pub fn reload_for_transfers(
    catalog: &SharedCatalog,
    service: &TransferService,
) -> (ReloadReport, Vec<Arc<Zone>>) {
    let mut changed = Vec::new();
    let report = catalog.reload_with(|served, next| {
        changed = service.journals.record_reload(served, next);
        service.prepare(next.zones().filter(|zone| {
            served
                .zone(&zone.origin)
                .is_none_or(|old| !Arc::ptr_eq(old, zone))
        }));
    });
    (report, changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::zones::ZoneSource;
    use crate::xfr::acl::{Acl, AclEntry};
    use crate::xfr::journal::zone_serial;
    use crate::xfr::{Journals, TransferSettings};
    use hickory_proto::rr::Name;
    use std::sync::atomic::{AtomicBool, Ordering};

    fn zone_text(serial: u32, hosts: usize) -> String {
        let mut text = format!(
            "'':\n  - type: SOA\n    value: {{mname: ns.example.test., rname: admin.example.test., serial: {serial}, refresh: 7200, retry: 900, expire: 1209600, minimum: 300}}\n  - type: NS\n    value: ns.example.test.\n"
        );
        for index in 0..hosts {
            text.push_str(&format!(
                "h{index}: {{type: A, value: 10.0.{}.{}}}\n",
                index / 250,
                index % 250 + serial as usize % 3
            ));
        }
        text
    }

    #[test]
    fn a_reloaded_serial_is_never_served_before_its_journal_entry() {
        let directory = std::env::temp_dir().join(format!(
            "authority-publish-{}-journal-first",
            std::process::id()
        ));
        std::fs::create_dir_all(&directory).unwrap();
        let path = directory.join("example.test.yaml");
        std::fs::write(&path, zone_text(1, 3000)).unwrap();
        let source = ZoneSource::parse(&format!("example.test.={}", path.display())).unwrap();
        let (catalog, report) = SharedCatalog::load(vec![source]);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let settings = TransferSettings {
            default_acl: Acl {
                entries: vec![AclEntry::default()],
            },
            ..TransferSettings::default()
        };
        let service = TransferService::new(Arc::new(settings), Arc::new(Journals::new(None)));
        let origin = Name::from_ascii("example.test.").unwrap();
        std::fs::write(&path, zone_text(2, 3000)).unwrap();

        // A reader watching the served catalog the whole time, as an IXFR request would: the
        // first time it sees serial 2, the way from 1 is in the journal and the AXFR is packed.
        let done = AtomicBool::new(false);
        let seen = std::thread::scope(|scope| {
            let watcher = scope.spawn(|| loop {
                // Read before the catalog: once the reload is done, this look is the last.
                let finished = done.load(Ordering::Acquire);
                let served = catalog.current();
                let zone = served.zone(&origin)?;
                if zone_serial(zone) == 2 {
                    let journaled = service.journals.since(&origin, 1, 2).is_some();
                    let packed = service.packed_ready(zone);
                    return Some((journaled, packed));
                }
                if finished {
                    return None;
                }
            });
            let (report, changed) = reload_for_transfers(&catalog, &service);
            done.store(true, Ordering::Release);
            assert!(report.errors.is_empty(), "{:?}", report.errors);
            assert_eq!(changed.len(), 1);
            watcher.join().unwrap()
        });
        std::fs::remove_dir_all(&directory).ok();
        assert_eq!(seen, Some((true, true)));
    }
}
