//! One secondary zone's life: its copy loaded at start, then refreshed on REFRESH, RETRY after a
//! failure, or a NOTIFY; withdrawn at EXPIRE. One task a zone, so one transfer a zone at a time.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::rr::Record;
use tokio::sync::{Notify, Semaphore};

use crate::catalog::reload::SharedCatalog;
use crate::limits::SECONDARY_TRANSFER_TIME_MAX;
use crate::xfr::journal::{zone_serial, Difference};
use crate::xfr::notify::{Notifier, NotifyTarget};
use crate::xfr::secondary::apply::{apply_differences, build_secondary_zone};
use crate::xfr::secondary::clock::Clock;
use crate::xfr::secondary::copy::CopyFiles;
use crate::xfr::secondary::error::PullError;
use crate::xfr::secondary::pull::{axfr_may_help, pull};
use crate::xfr::secondary::stream::Received;
use crate::xfr::secondary::timers::{bootstrap_retry, Timers};
use crate::xfr::secondary::transport::Transport;
use crate::xfr::secondary::SecondaryZone;
use crate::xfr::{Journals, TransferSettings};
use crate::zone::prepared::Zone;

/// What every zone's task shares.
#[derive(Debug)]
pub struct SecondaryContext {
    pub catalog: Arc<SharedCatalog>,
    /// Where copies are kept (`--state-dir`); without it they live in memory only.
    pub directory: Option<PathBuf>,
    /// Addresses we serve on: transfers leave from one of them (the primary's ACL names it).
    pub sources: Vec<IpAddr>,
    /// MAX_CONCURRENT_TRANSFERS_IN slots over all zones.
    pub slots: Arc<Semaphore>,
    /// For our own secondaries: each change journaled (IXFR) and announced (NOTIFY).
    pub journals: Arc<Journals>,
    pub settings: Arc<TransferSettings>,
    pub notifier: Notifier,
    /// What the timers read and wait on (the system's; a manual one in tests).
    pub clock: Arc<dyn Clock>,
    /// How primaries are reached (TCP; a scripted primary in tests).
    pub transport: Arc<dyn Transport>,
}

/// The state of one zone's copy.
pub struct ZoneRefresher {
    config: SecondaryZone,
    wake: Arc<Notify>,
    context: Arc<SecondaryContext>,
    files: Option<CopyFiles>,
    /// The last good copy, served or (expired) not.
    copy: Option<Arc<Zone>>,
    /// Seconds since the epoch of the last successful refresh.
    refreshed: Option<u64>,
    serving: bool,
}

/// How one refresh ended, for the log and the next wait.
enum Refreshed {
    UpToDate,
    Transferred,
}

impl ZoneRefresher {
    /// Loads the copy from the state directory and serves it unless expired; else the zone is
    /// answered SERVFAIL until its first transfer.
    pub fn start(
        config: SecondaryZone,
        wake: Arc<Notify>,
        context: Arc<SecondaryContext>,
    ) -> ZoneRefresher {
        let files = context
            .directory
            .as_ref()
            .map(|directory| CopyFiles::new(directory, &config.origin));
        let mut refresher = ZoneRefresher {
            config,
            wake,
            context,
            files,
            copy: None,
            refreshed: None,
            serving: false,
        };
        refresher.load_copy();
        let served = refresher.copy.clone().filter(|_| !refresher.expired());
        refresher.serving = served.is_some();
        if refresher.copy.is_some() && !refresher.serving {
            tracing::warn!(zone = %refresher.config.origin, "secondary zone copy expired (no successful refresh within EXPIRE): answering SERVFAIL until a refresh succeeds");
        }
        refresher
            .context
            .catalog
            .install_secondary(&refresher.config.origin, served);
        refresher
    }

    fn load_copy(&mut self) {
        let Some(files) = &self.files else {
            return;
        };
        if !files.records.exists() {
            return;
        }
        let origin = &self.config.origin;
        let loaded = files.load().and_then(|mut records| {
            let soa = records.remove(0);
            build_secondary_zone(origin, soa, records, files.records.clone())
                .map_err(|error| error.to_string())
        });
        match loaded {
            Ok(zone) => {
                self.refreshed = files.load_refreshed();
                let age = self
                    .refreshed
                    .map(|refreshed| self.context.clock.now().saturating_sub(refreshed));
                tracing::info!(zone = %origin, serial = zone_serial(&zone), age_seconds = ?age, path = %files.records.display(), "secondary zone copy loaded");
                self.copy = Some(Arc::new(zone));
            }
            Err(problem) => {
                tracing::warn!(zone = %origin, path = %files.records.display(), %problem, "secondary zone copy not usable; waiting for a transfer")
            }
        }
    }

    fn timers(&self) -> Option<Timers> {
        self.copy
            .as_ref()
            .and_then(|zone| zone.soa.first())
            .and_then(|soa| Timers::of(&soa))
    }

    /// Seconds until the copy expires (0: expired); `None` without a copy.
    fn until_expiry(&self) -> Option<u64> {
        let expire = self.timers()?.expire.as_secs();
        let age = self
            .context
            .clock
            .now()
            .saturating_sub(self.refreshed.unwrap_or(0));
        Some(expire.saturating_sub(age))
    }

    fn expired(&self) -> bool {
        self.until_expiry().is_none_or(|left| left == 0)
    }

    /// Refreshes now, then on the timers or NOTIFY; never returns.
    pub async fn run(mut self) {
        let mut failures = 0u32;
        let clock = self.context.clock.clone();
        let mut next_refresh = clock.now();
        loop {
            if self.serving && self.expired() {
                self.serving = false;
                self.context
                    .catalog
                    .install_secondary(&self.config.origin, None);
                tracing::warn!(zone = %self.config.origin, expire_seconds = ?self.timers().map(|timers| timers.expire.as_secs()), "secondary zone expired (no successful refresh within EXPIRE): answering SERVFAIL");
            }
            if clock.now() >= next_refresh {
                let wait = match self.refresh().await {
                    Ok(outcome) => {
                        failures = 0;
                        if matches!(outcome, Refreshed::UpToDate) {
                            tracing::debug!(zone = %self.config.origin, serial = ?self.copy.as_deref().map(zone_serial), "secondary zone up to date");
                        }
                        self.timers()
                            .map_or(Duration::ZERO, |timers| timers.refresh)
                    }
                    Err(error) => {
                        failures = failures.saturating_add(1);
                        let wait = match self.timers() {
                            Some(timers) => timers.retry,
                            None => bootstrap_retry(failures - 1),
                        };
                        tracing::warn!(zone = %self.config.origin, %error, serial = ?self.copy.as_deref().map(zone_serial), retry_seconds = wait.as_secs(), "secondary zone refresh failed; keeping the last good copy");
                        wait
                    }
                };
                next_refresh = clock.now().saturating_add(wait.as_secs());
                continue;
            }
            let mut wake_at = next_refresh;
            if let (true, Some(left)) = (self.serving, self.until_expiry()) {
                wake_at = wake_at.min(clock.now().saturating_add(left));
            }
            tokio::select! {
                _ = self.wake.notified() => next_refresh = clock.now(),
                _ = clock.sleep_until(wake_at) => {}
            }
        }
    }

    /// One refresh: each primary in turn until one answers well.
    async fn refresh(&mut self) -> Result<Refreshed, PullError> {
        let slots = self.context.slots.clone();
        let _permit = slots.acquire_owned().await;
        let mut last_error = None;
        for primary in self.config.primaries.clone() {
            let attempt =
                tokio::time::timeout(SECONDARY_TRANSFER_TIME_MAX, self.refresh_from(&primary))
                    .await
                    .unwrap_or(Err(PullError::Timeout("the whole refresh")));
            match attempt {
                Ok(outcome) => return Ok(outcome),
                Err(error) => {
                    if self.config.primaries.len() > 1 {
                        tracing::info!(zone = %self.config.origin, primary = %primary.address, %error, "primary failed; trying the next");
                    }
                    last_error = Some(error);
                }
            }
        }
        Err(last_error.unwrap_or(PullError::Timeout("a primary")))
    }

    /// IXFR (AXFR without a copy), then AXFR if the IXFR cannot be used.
    async fn refresh_from(&mut self, primary: &NotifyTarget) -> Result<Refreshed, PullError> {
        let our_soa: Option<Record> = self.copy.as_ref().and_then(|zone| zone.soa.first());
        let mut whole = our_soa.is_none();
        loop {
            let outcome = self.attempt(primary, our_soa.as_ref(), whole).await;
            match outcome {
                Err(error) if !whole && axfr_may_help(&error) => {
                    tracing::info!(zone = %self.config.origin, primary = %primary.address, %error, "IXFR not usable; falling back to AXFR");
                    whole = true;
                }
                other => return other,
            }
        }
    }

    async fn attempt(
        &mut self,
        primary: &NotifyTarget,
        our_soa: Option<&Record>,
        whole: bool,
    ) -> Result<Refreshed, PullError> {
        let source = self
            .context
            .sources
            .iter()
            .copied()
            .find(|ip| ip.is_ipv4() == primary.address.is_ipv4());
        let received = pull(
            self.context.transport.as_ref(),
            &self.config.origin,
            primary,
            source,
            our_soa,
            whole,
        )
        .await?;
        let now = self.context.clock.now();
        let kind = received.kind();
        let Received::UpToDate(_) = received else {
            return self.take(received, primary, kind, now).await;
        };
        self.refreshed = Some(now);
        if let Some(files) = &self.files {
            if let Err(error) = files.save_refreshed(now) {
                tracing::warn!(path = %files.refreshed.display(), %error, "cannot note the refresh time");
            }
        }
        if !self.serving {
            if let Some(copy) = &self.copy {
                self.context
                    .catalog
                    .install_secondary(&self.config.origin, Some(copy.clone()));
                self.serving = true;
                tracing::info!(zone = %self.config.origin, serial = zone_serial(copy), "secondary zone served again (primary confirmed our serial)");
            }
        }
        Ok(Refreshed::UpToDate)
    }

    /// Builds the new version (on a blocking thread: a large zone takes seconds), installs it,
    /// saves it, journals the change and tells our own secondaries.
    async fn take(
        &mut self,
        received: Received,
        primary: &NotifyTarget,
        kind: &'static str,
        now: u64,
    ) -> Result<Refreshed, PullError> {
        let origin = self.config.origin.clone();
        let previous = self.copy.clone();
        let context = self.context.clone();
        let files = self.files.clone();
        let source = PathBuf::from(format!("transfer from {}", primary.address));
        let built = tokio::task::spawn_blocking(move || {
            // Journaled only when someone may transfer from us: a difference costs a pass over both versions.
            let journaled = context.settings.is_active();
            let (zone, difference) = match received {
                Received::Whole { soa, records } => {
                    let zone = build_secondary_zone(&origin, soa, records, source)?;
                    let difference = previous
                        .as_deref()
                        .filter(|_| journaled)
                        .and_then(|previous| Difference::between(previous, &zone));
                    (zone, difference.map(|difference| vec![difference]))
                }
                Received::Incremental { differences, .. } => {
                    let current = previous
                        .as_deref()
                        .ok_or_else(|| PullError::IxfrMismatch("we hold no copy".to_string()))?;
                    let (soa, records) = apply_differences(current, &differences)?;
                    (
                        build_secondary_zone(&origin, soa, records, source)?,
                        Some(differences),
                    )
                }
                Received::UpToDate(_) => {
                    return Err(PullError::Malformed("nothing to build".to_string()))
                }
            };
            let zone = Arc::new(zone);
            context.catalog.install_secondary(&origin, Some(zone.clone()));
            if journaled {
                for difference in difference.into_iter().flatten() {
                    context.journals.record(&origin, difference);
                }
            }
            if let Some(files) = &files {
                if let Err(error) = files.save(&zone, now) {
                    tracing::warn!(path = %files.records.display(), %error, "cannot save the secondary zone copy; a restart will transfer it again");
                }
            }
            Ok::<_, PullError>(zone)
        })
        .await
        .map_err(|error| PullError::Storage(format!("transfer task failed: {error}")))??;
        tracing::info!(
            zone = %self.config.origin, primary = %primary.address, kind,
            serial = zone_serial(&built), records = built.record_count,
            "secondary zone transferred"
        );
        if let Some(soa) = built.soa.first() {
            self.context.notifier.announce(
                self.config.origin.clone(),
                soa,
                self.context.settings.notify_for(&self.config.origin),
            );
        }
        self.copy = Some(built);
        self.refreshed = Some(now);
        self.serving = true;
        Ok(Refreshed::Transferred)
    }
}
