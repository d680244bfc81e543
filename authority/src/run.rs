//! The server process: load zones, serve them on every address, reload on SIGHUP, stop on
//! SIGINT/SIGTERM. `main` only parses arguments and maps `run`'s result to an exit code.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::answer::handler::AuthorityHandler;
use crate::answer::identity::ServerIdentity;
use crate::catalog::reload::{ReloadReport, SharedCatalog};
use crate::catalog::zones::{LoadOptions, ZoneSource};
use crate::rrl::RateLimitConfig;
use crate::zone::error::ZoneError;

/// What `run` needs: addresses and zone sources.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub listen: Vec<SocketAddr>,
    pub zones: Vec<String>,
    /// Response rate limiting for UDP; `responses_per_second == 0` (the default) is off.
    pub rate_limit: RateLimitConfig,
    /// What CH TXT `id.server`/`version.bind` and NSID disclose (nothing by default).
    pub identity: ServerIdentity,
    /// How zones are loaded (`--default-ns`).
    pub load: LoadOptions,
    /// UDP workers (`--workers`): one SO_REUSEPORT socket per address and one thread each, all
    /// sharing the catalog, the answer memo and the rate limiter. 1 reads UDP on the runtime `run`
    /// is called on.
    pub workers: usize,
    /// Who may transfer, whom to notify, TSIG keys (`--allow-transfer`, `--notify`, `--config`).
    pub transfers: crate::xfr::TransferSettings,
    /// Journals and serials are kept here (`--state-dir`); without it they live in memory only.
    pub state_directory: Option<std::path::PathBuf>,
    /// How zones without an SOA of their own get their serial.
    pub serial_policy: crate::xfr::serial::SerialPolicy,
    /// Zones pulled from primaries (`--secondary`, `role: secondary`); copies under `state_directory`.
    pub secondaries: Vec<crate::xfr::secondary::SecondaryZone>,
}

/// Why the server could not start or keep running.
#[derive(Debug)]
pub enum RunError {
    BadZoneArgument(ZoneError),
    /// The same origin given twice (each repeat, naming the first file).
    DuplicateOrigins(Vec<ZoneError>),
    NoZoneLoaded,
    Listen(crate::listen::ListenError),
    Signal(std::io::Error),
    StateDirectory(std::path::PathBuf, std::io::Error),
}

impl fmt::Display for RunError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadZoneArgument(error) => write!(formatter, "{error}"),
            Self::DuplicateOrigins(errors) => {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                write!(formatter, "{}", lines.join("\n"))
            }
            Self::NoZoneLoaded => write!(formatter, "no zone loaded; nothing to serve"),
            Self::Listen(problem) => write!(formatter, "{problem}"),
            Self::Signal(error) => write!(formatter, "cannot install signal handler: {error}"),
            Self::StateDirectory(path, error) => {
                write!(formatter, "state directory {}: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for RunError {}

/// Logs what a load or reload did: each error and warning on its own line.
pub fn log_report(report: &ReloadReport) {
    for warning in &report.warnings {
        tracing::warn!("{warning}");
    }
    for error in &report.errors {
        tracing::error!("{error}");
    }
}

/// Loads the zones (all of them, even if some fail) into a shared, reloadable catalog.
pub fn load_catalog(arguments: &[String]) -> Result<Arc<SharedCatalog>, RunError> {
    load_catalog_with(arguments, &LoadOptions::default())
}

/// `load_catalog` with loading options (`--default-ns`). The same origin given twice is refused.
pub fn load_catalog_with(
    arguments: &[String],
    options: &LoadOptions,
) -> Result<Arc<SharedCatalog>, RunError> {
    let sources = arguments
        .iter()
        .map(|argument| ZoneSource::parse(argument))
        .collect::<Result<Vec<_>, _>>()
        .map_err(RunError::BadZoneArgument)?;
    let duplicates = ZoneSource::duplicate_origins(&sources);
    if !duplicates.is_empty() {
        return Err(RunError::DuplicateOrigins(duplicates));
    }
    let (shared, report) = SharedCatalog::load_with(sources, options.clone());
    log_report(&report);
    if report.reloaded == 0 {
        return Err(RunError::NoZoneLoaded);
    }
    // The server starts without them, so say so where the person starting it looks, in plain
    // words and not only as log lines (which a log filter may hide).
    if !report.not_loaded.is_empty() {
        for error in &report.errors {
            eprintln!("{error}");
        }
        for origin in &report.not_loaded {
            eprintln!("authority: zone {origin} not loaded; answering SERVFAIL for it until a reload (SIGHUP) succeeds");
        }
    }
    Ok(Arc::new(shared))
}

/// Serves until SIGINT or SIGTERM.
pub async fn run(options: RunOptions) -> Result<(), RunError> {
    use tokio::signal::unix::{signal, SignalKind};

    let transfers_active = options.transfers.is_active() || options.state_directory.is_some();
    let mut load = options.load.clone();
    if let Some(directory) = &options.state_directory {
        std::fs::create_dir_all(directory)
            .map_err(|error| RunError::StateDirectory(directory.clone(), error))?;
    }
    if transfers_active {
        // Serials matter once secondaries copy the zones: kept by policy, never backwards.
        load.serials = Some(crate::xfr::serial::SharedSerialKeeper(
            crate::xfr::serial::SerialKeeper::new(
                options.serial_policy,
                options.state_directory.clone(),
            ),
        ));
    }
    let catalog = if options.zones.is_empty() && !options.secondaries.is_empty() {
        // Only secondary zones: nothing to read from files.
        Arc::new(SharedCatalog::load_with(Vec::new(), load.clone()).0)
    } else {
        load_catalog_with(&options.zones, &load)?
    };
    let settings = Arc::new(options.transfers.clone());
    let journals = Arc::new(crate::xfr::Journals::new(options.state_directory.clone()));
    let notifier =
        crate::xfr::notify::Notifier::new(options.listen.iter().map(SocketAddr::ip).collect());
    let secondaries = Arc::new(crate::xfr::secondary::SecondaryZones::new(
        options.secondaries.clone(),
        settings.keyring.clone(),
    ));
    if !secondaries.is_empty() {
        if options.state_directory.is_none() {
            tracing::warn!("secondary zones without --state-dir: their copies are kept in memory only, and a restart transfers them again");
        }
        // Copies from the state directory are in the catalog before the first query.
        secondaries.start(Arc::new(crate::xfr::secondary::refresh::SecondaryContext {
            catalog: catalog.clone(),
            directory: options.state_directory.clone(),
            sources: options
                .listen
                .iter()
                .map(SocketAddr::ip)
                .filter(|ip| !ip.is_unspecified())
                .collect(),
            slots: Arc::new(tokio::sync::Semaphore::new(
                crate::limits::MAX_CONCURRENT_TRANSFERS_IN,
            )),
            journals: journals.clone(),
            settings: settings.clone(),
            notifier: notifier.clone(),
            clock: Arc::new(crate::xfr::secondary::clock::SystemClock),
            transport: Arc::new(crate::xfr::secondary::transport::TcpTransport),
        }));
    }
    journals.load(&catalog.current());
    let service = Arc::new(
        crate::xfr::serve::TransferService::new(settings.clone(), journals.clone())
            .with_secondaries(secondaries.clone()),
    );
    if settings.is_active() {
        // Each transferable zone's AXFR is packed once, before the first query is answered.
        let (service, served) = (service.clone(), catalog.current());
        if let Err(error) =
            tokio::task::spawn_blocking(move || service.prepare(served.zones())).await
        {
            tracing::error!("packing zones for transfers failed: {error}");
        }
    }
    // At start every secondary hears of the serial we serve (NSD and Knot notify at startup too).
    for zone in catalog.current().zones() {
        if let Some(soa) = zone.soa.first() {
            notifier.announce(zone.origin.clone(), soa, settings.notify_for(&zone.origin));
        }
    }
    let handler = Arc::new(
        AuthorityHandler::new(catalog.clone())
            .with_rate_limit(options.rate_limit)
            .with_identity(options.identity)
            .with_transfers(service.clone()),
    );
    // A new zone version is served together with its journal entry and its packed transfer.
    let reload = |catalog: Arc<SharedCatalog>, service: Arc<crate::xfr::serve::TransferService>| {
        move || crate::xfr::publish::reload_for_transfers(&catalog, &service)
    };
    let announce = |changed: Vec<Arc<crate::zone::prepared::Zone>>| {
        for zone in changed {
            if let Some(soa) = zone.soa.first() {
                notifier.announce(zone.origin.clone(), soa, settings.notify_for(&zone.origin));
            }
        }
    };
    let mut hangup = signal(SignalKind::hangup()).map_err(RunError::Signal)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(RunError::Signal)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(RunError::Signal)?;
    let listen_options = crate::listen::ListenOptions {
        udp_workers: options.workers,
        // Every authoritative answer is ready at its first poll: threads read UDP best.
        udp_loop: crate::listen::UdpLoop::Threads,
        ..crate::listen::ListenOptions::default()
    };
    let server =
        crate::listen::serve(handler, &options.listen, listen_options).map_err(RunError::Listen)?;
    // The listener logs the ready line naming every bound address; add what is served.
    tracing::info!(
        zones = catalog.current().zones().count(),
        secondary = options.secondaries.len(),
        "serving zones"
    );
    // Signatures are refreshed by a reload when the oldest nears expiry (Knot's `rrsig-refresh`).
    let mut refresh = tokio::time::interval(crate::limits::SIGNATURE_REFRESH_CHECK);
    refresh.tick().await;
    loop {
        tokio::select! {
            _ = refresh.tick() => {
                if crate::dnssec::needs_refresh(&catalog.current(), crate::dnssec::unix_now()) {
                    match tokio::task::spawn_blocking(reload(catalog.clone(), service.clone())).await {
                        Ok((report, changed)) => {
                            log_report(&report);
                            announce(changed);
                            tracing::info!(reloaded = report.reloaded, "signatures refreshed");
                        }
                        Err(error) => tracing::error!("signature refresh failed: {error}"),
                    }
                }
            }
            _ = hangup.recv() => {
                // Zone files are read on a blocking thread so queries keep flowing meanwhile.
                match tokio::task::spawn_blocking(reload(catalog.clone(), service.clone())).await {
                    Ok((report, changed)) => {
                        log_report(&report);
                        announce(changed);
                        tracing::info!(reloaded = report.reloaded, unchanged = report.unchanged, failed_errors = report.errors.len(), "reload done");
                    }
                    Err(error) => tracing::error!("reload task failed: {error}"),
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
