//! The lab process: read DIR, plan, bind every planned address on one port, log the plan, serve
//! until SIGINT/SIGTERM, and on SIGHUP re-read DIR and swap the views if the addresses are unchanged.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{plan_addresses, AddressPlan, LabError, LabHandler, LabViews};
use crate::catalog::zones::{Catalog, ZoneSource};
use crate::limits::MAX_LAB_ZONES;
use crate::zone::error::ZoneError;
use crate::zone::yaml_zone::origin_from_path;

/// The start of the line logged after the whole plan, once every lab address is bound.
pub const LAB_READY_PATTERN: &str = "lab ready:";

/// What `run_lab` needs.
#[derive(Clone, Debug)]
pub struct LabOptions {
    pub directory: PathBuf,
    /// One port for every lab address: 53 as root, another (e.g. 5353) with `resolver --upstream-port`.
    pub port: u16,
    /// Where the lab keeps its signing keys and writes the root's trust anchor (made at the first
    /// start, reused after: a reload keeps the keys resolvers trust).
    pub run_directory: PathBuf,
}

/// The lab loaded, signed (`dnssec::lab`) and planned; with the trust anchor file, if there is a
/// root zone.
pub fn load_signed_lab(
    directory: &Path,
    run_directory: &Path,
) -> Result<(Catalog, AddressPlan, Option<PathBuf>), Vec<LabError>> {
    let (catalog, plan) = load_lab(directory)?;
    let signed = crate::dnssec::lab::sign_lab(&catalog, run_directory).map_err(|errors| {
        errors
            .into_iter()
            .map(LabError::Signing)
            .collect::<Vec<_>>()
    })?;
    Ok((signed.catalog, plan, signed.trust_anchor))
}

/// Reads every `*.yaml` zone of `directory` and plans the addresses. Any zone error fails the
/// whole lab: a lab with a missing zone would give confusing referrals to nowhere.
pub fn load_lab(directory: &Path) -> Result<(Catalog, AddressPlan), Vec<LabError>> {
    let sources = zone_sources(directory).map_err(|error| vec![error])?;
    let load = Catalog::load(&sources);
    for warning in &load.warnings {
        tracing::warn!("{warning}");
    }
    if !load.errors.is_empty() {
        return Err(load.errors.into_iter().map(LabError::Zone).collect());
    }
    let plan = plan_addresses(&load.catalog)?;
    Ok((load.catalog, plan))
}

/// The `*.yaml` files of `directory`, sorted by name; the origin is the file name.
// Called once per load, never per query: the size of the error (two names) costs nothing here.
#[allow(clippy::result_large_err)]
fn zone_sources(directory: &Path) -> Result<Vec<ZoneSource>, LabError> {
    let entries = std::fs::read_dir(directory).map_err(|error| LabError::ReadDirectory {
        directory: directory.to_path_buf(),
        message: match error.kind() {
            std::io::ErrorKind::NotFound => "no such directory".to_string(),
            _ => error.to_string(),
        },
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|error| LabError::ReadDirectory {
            directory: directory.to_path_buf(),
            message: error.to_string(),
        })?;
        let path = entry.path();
        if path
            .extension()
            .is_some_and(|extension| extension == "yaml")
            && path.is_file()
        {
            paths.push(path);
            if paths.len() > MAX_LAB_ZONES {
                return Err(LabError::TooManyZones {
                    directory: directory.to_path_buf(),
                    count: paths.len(),
                });
            }
        }
    }
    if paths.is_empty() {
        return Err(LabError::NoZones {
            directory: directory.to_path_buf(),
        });
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let origin = origin_from_path(&path).map_err(|kind| {
                LabError::Zone(ZoneError {
                    file: path.clone(),
                    line: 0,
                    kind,
                })
            })?;
            Ok(ZoneSource { origin, path })
        })
        .collect()
}

fn log_plan(plan: &AddressPlan, port: u16) {
    for (address, zones) in &plan.zones_by_address {
        let listing = zones
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        tracing::info!(
            "lab plan: {} serves {listing}",
            SocketAddr::new(*address, port)
        );
    }
}

fn log_errors(errors: &[LabError]) {
    for error in errors {
        tracing::error!("{error}");
    }
}

/// Serves the lab until SIGINT or SIGTERM. Every error of the first load is logged; the first
/// is returned.
pub async fn run_lab(options: LabOptions) -> Result<(), LabError> {
    use tokio::signal::unix::{signal, SignalKind};

    if options.port == 0 {
        // Port 0 would give each address its own random port; resolvers need one port for all.
        return Err(LabError::PortZero);
    }
    let (catalog, plan, trust_anchor) = load_signed_lab(&options.directory, &options.run_directory)
        .map_err(|errors| {
            let mut errors = errors.into_iter();
            let first = errors.next();
            log_errors(&errors.collect::<Vec<_>>());
            first.unwrap_or_else(|| LabError::NoZones {
                directory: options.directory.clone(),
            })
        })?;
    let addresses: Vec<SocketAddr> = plan
        .addresses()
        .map(|address| SocketAddr::new(*address, options.port))
        .collect();
    let handler = Arc::new(LabHandler::new(LabViews::new(&catalog, &plan)));
    let mut hangup = signal(SignalKind::hangup()).map_err(LabError::Signal)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(LabError::Signal)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(LabError::Signal)?;
    let server = crate::listen::serve(
        handler.clone(),
        &addresses,
        crate::listen::ListenOptions::default(),
    )
    .map_err(|error| LabError::Listen(error.to_string()))?;
    // The plan is logged once every address is bound, so a failed start ends with its error
    // alone; the line after it tells readers of the plan (lab.sh, the tests) that it is whole.
    log_plan(&plan, options.port);
    if let Some(path) = &trust_anchor {
        tracing::info!("lab trust anchor: {}", path.display());
    }
    tracing::info!(
        "{LAB_READY_PATTERN} {} addresses on port {}",
        addresses.len(),
        options.port
    );
    let mut current_plan = plan;
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                let directory = options.directory.clone();
                let run_directory = options.run_directory.clone();
                match tokio::task::spawn_blocking(move || load_signed_lab(&directory, &run_directory)).await {
                    Ok(Ok((catalog, plan, _))) if plan.zones_by_address.keys().eq(current_plan.zones_by_address.keys()) => {
                        handler.replace(LabViews::new(&catalog, &plan));
                        log_plan(&plan, options.port);
                        tracing::info!(zones = catalog.zones().count(), "lab reload done");
                        current_plan = plan;
                    }
                    Ok(Ok(_)) => tracing::error!("lab reload refused, old zones kept: {}", LabError::AddressesChanged),
                    Ok(Err(errors)) => {
                        log_errors(&errors);
                        tracing::error!("lab reload failed, old zones kept");
                    }
                    Err(error) => tracing::error!("lab reload task failed: {error}"),
                }
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}
