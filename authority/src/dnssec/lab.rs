//! The signed lab: every lab zone signed with a key pair kept in the lab's run directory (made at
//! the first start, never in the zone directory), each child's DS published in its parent, and the
//! root's DS written as the trust anchor. Zones may opt out (`sign: false`) or be made bogus.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hickory_proto::dnssec::rdata::DS;
use hickory_proto::dnssec::Algorithm;
use hickory_proto::rr::{Name, RecordType};

use crate::catalog::zones::Catalog;
use crate::dnssec::config::{DenialKind, DnssecConfig, LabFault};
use crate::dnssec::keys::{generate_key, load_zone_keys, KeyErrorKind, KeyRole, ZoneKey};
use crate::dnssec::master::ds_lines;
use crate::dnssec::sign::{sign_zone, SignatureWindow};
use crate::dnssec::unix_now;
use crate::zone::prepared::Zone;

/// The trust anchor files the lab writes into its run directory.
pub const TRUST_ANCHOR_FILE: &str = "trust-anchor.ds";
/// The same anchor in BIND's `trust-anchors` syntax, for `delv -a`.
pub const TRUST_ANCHOR_BIND_FILE: &str = "trust-anchor.conf";

/// The signed catalog and where its root's trust anchor was written.
pub struct SignedLab {
    pub catalog: Catalog,
    pub trust_anchor: Option<PathBuf>,
}

fn directory_for(run_directory: &Path, kind: &str, zone: &Name) -> PathBuf {
    let name = zone.to_lowercase().to_ascii();
    let name = if zone.is_root() {
        "root".to_string()
    } else {
        name.trim_end_matches('.').to_string()
    };
    run_directory.join(kind).join(name)
}

/// The zone's keys in `directory`, made there (one ECDSAP256SHA256 CSK) when there are none.
fn keys_in(directory: &Path, zone: &Name) -> Result<Vec<ZoneKey>, String> {
    match load_zone_keys(directory, zone) {
        Ok(keys) => Ok(keys),
        Err(errors)
            if errors.iter().all(|error| {
                matches!(
                    error.kind,
                    KeyErrorKind::NoKeys { .. } | KeyErrorKind::Read(_)
                )
            }) =>
        {
            generate_key(
                zone,
                Algorithm::ECDSAP256SHA256,
                KeyRole::Combined,
                directory,
            )
            .map_err(|error| error.to_string())?;
            load_zone_keys(directory, zone).map_err(|errors| {
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
        }
        Err(errors) => Err(errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")),
    }
}

/// Signs every zone of `catalog` (children before parents, so each parent publishes its children's
/// DS), keeping keys under `run_directory`.
pub fn sign_lab(catalog: &Catalog, run_directory: &Path) -> Result<SignedLab, Vec<String>> {
    let mut zones: Vec<Zone> = catalog.zones().map(|zone| (**zone).clone()).collect();
    // Deepest first: a child is signed (and its DS known) before its parent.
    zones.sort_by_key(|zone| std::cmp::Reverse(zone.origin.num_labels()));
    let origins: Vec<Name> = zones.iter().map(|zone| zone.origin.clone()).collect();
    let mut published: Vec<(Name, Vec<DS>)> = Vec::new();
    let mut errors = Vec::new();
    let window = SignatureWindow::starting(unix_now());
    for zone in &mut zones {
        // This zone's children in the lab: publish their DS at our cuts.
        for (child, ds) in &published {
            let parent = origins
                .iter()
                .filter(|origin| origin.zone_of(child) && *origin != child)
                .max_by_key(|origin| origin.num_labels());
            if parent == Some(&zone.origin) {
                let ttl = zone
                    .node(child)
                    .and_then(|node| node.find(RecordType::NS))
                    .filter(|ns| !ns.set.is_empty())
                    .map_or(3600, |ns| ns.set.ttl());
                crate::dnssec::publish_child_ds(zone, child, ds, ttl);
            }
        }
        let config = zone
            .dnssec
            .as_ref()
            .map(|dnssec| dnssec.config.clone())
            .unwrap_or(DnssecConfig {
                keys: None,
                denial: DenialKind::Nsec,
                sign: true,
                lab_fault: None,
                line: 0,
            });
        if !config.sign {
            continue;
        }
        let keys = match keys_in(
            &directory_for(run_directory, "keys", &zone.origin),
            &zone.origin,
        ) {
            Ok(keys) => keys,
            Err(error) => {
                errors.push(format!("zone {}: {error}", zone.origin));
                continue;
            }
        };
        if let Err(error) = sign_zone(zone, &keys, &config, window, None) {
            errors.push(format!("zone {}: {error}", zone.origin));
            continue;
        }
        let ds = match config.lab_fault {
            // A DS for a key the zone never publishes: validators find no DNSKEY matching it.
            Some(LabFault::WrongDs) => {
                match keys_in(
                    &directory_for(run_directory, "unused-keys", &zone.origin),
                    &zone.origin,
                ) {
                    Ok(unused) => unused
                        .iter()
                        .filter_map(|key| key.ds(&zone.origin))
                        .collect(),
                    Err(error) => {
                        errors.push(format!("zone {}: {error}", zone.origin));
                        continue;
                    }
                }
            }
            None => zone
                .dnssec
                .as_ref()
                .map(|dnssec| dnssec.ds.clone())
                .unwrap_or_default(),
        };
        published.push((zone.origin.clone(), ds));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut trust_anchor = None;
    if let Some((root, ds)) = published.iter().find(|(origin, _)| origin.is_root()) {
        let path = run_directory.join(TRUST_ANCHOR_FILE);
        let bind: String = ds
            .iter()
            .map(|ds| {
                let digest: String = ds
                    .digest()
                    .iter()
                    .map(|byte| format!("{byte:02X}"))
                    .collect();
                format!(
                    "trust-anchors {{ \"{root}\" static-ds {} {} {} \"{digest}\"; }};\n",
                    ds.key_tag(),
                    u8::from(ds.algorithm()),
                    u8::from(ds.digest_type())
                )
            })
            .collect();
        let written = std::fs::write(&path, ds_lines(root, ds, None))
            .and_then(|()| std::fs::write(run_directory.join(TRUST_ANCHOR_BIND_FILE), bind));
        if let Err(error) = written {
            return Err(vec![format!("{}: {error}", path.display())]);
        }
        trust_anchor = Some(path);
    }
    Ok(SignedLab {
        catalog: Catalog::new(zones.into_iter().map(Arc::new)),
        trust_anchor,
    })
}
