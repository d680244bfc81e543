//! The daemon's lifetime: build the resolver and handler from settings, serve, and react to
//! SIGHUP (reload), SIGTERM/SIGINT (stop) and control commands. Also the control client mode.
//!
//! Flow: runtime (current-thread for one worker) → settings → resolver (cache lives for the process) → handler → listen::serve → ready line
//! → loop { SIGHUP | control reload → new policy swapped in; SIGTERM → shutdown }.

use std::fmt;
use std::sync::Arc;

use authority::listen::{serve, ListenError, ListenOptions};
use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::clock::SystemClock;
use crate::server::control::{self, CommandFuture, Commands, ControlError, Reply};
use crate::server::control_command::CommandError;
use crate::server::handler::{Policy, ResolverHandler};
use crate::server::limits::MAX_CACHE_LOAD_BYTES;
use crate::server::local_answers::LocalAnswers;
use crate::server::local_zones::{load_local_zones, LocalZonesError};
use crate::server::metrics;
use crate::server::runtime::{self, RuntimeFlavor};
use crate::server::settings::{Arguments, ControlCommand, Settings, SettingsError};
use crate::server::stats::{CountingTransport, Statistics};
use crate::upstream::udp_tcp_transport::UdpTcpTransport;
use crate::Resolver;

/// Why the daemon (or the control client) stopped with an error.
#[derive(Debug)]
pub enum RunError {
    Settings(SettingsError),
    LocalZones(LocalZonesError),
    Runtime(std::io::Error),
    Listen(ListenError),
    Control(ControlError),
    /// The control socket's directory does not exist.
    ControlDirectory(std::path::PathBuf),
    Signal(std::io::Error),
    /// The control client got a reply starting with `error:`.
    CommandFailed(String),
    /// The control client's command words do not make a command.
    Command(CommandError),
    /// `load_cache` could not read its standard input.
    Stdin(std::io::Error),
    /// The metrics endpoint could not listen.
    Metrics(std::io::Error, std::net::SocketAddr),
}

impl fmt::Display for RunError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Settings(error) => write!(formatter, "{error}"),
            RunError::LocalZones(error) => write!(formatter, "{error}"),
            RunError::Runtime(error) => {
                write!(formatter, "cannot start the async runtime: {error}")
            }
            RunError::Listen(error) => write!(formatter, "{error}"),
            RunError::Control(error) => write!(formatter, "{error}"),
            RunError::ControlDirectory(path) => {
                let directory = path.parent().unwrap_or(path).display();
                write!(
                    formatter,
                    "control socket {}: {directory}: no such directory (create it: mkdir -p \
                     {directory}; systemd's RuntimeDirectory= does for the service), or choose \
                     another path with --control",
                    path.display()
                )
            }
            RunError::Signal(error) => write!(formatter, "cannot install signal handlers: {error}"),
            RunError::CommandFailed(reply) => write!(formatter, "{}", reply.trim_end()),
            RunError::Command(error) => write!(formatter, "{error}"),
            RunError::Stdin(error) => write!(formatter, "load_cache: cannot read stdin: {error}"),
            RunError::Metrics(error, address) => {
                write!(formatter, "metrics endpoint {address}: {error}")
            }
        }
    }
}

impl std::error::Error for RunError {}

/// Logs to stderr; `RUST_LOG` overrides the default level, info.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A second init (tests calling run twice) is harmless; ignore it.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Runs the daemon until SIGTERM/SIGINT, or (with a command) the control client once.
pub fn run(arguments: Arguments) -> Result<(), RunError> {
    let flavor = runtime::flavor_for_this_process();
    let runtime = runtime::build(flavor).map_err(RunError::Runtime)?;
    if let (false, Some(path)) = (arguments.command.is_empty(), arguments.control.as_ref()) {
        let words: Vec<&str> = arguments.command.iter().map(String::as_str).collect();
        let command = ControlCommand::parse(&words).map_err(RunError::Command)?;
        // load_cache reads the dump from stdin, bounded as the daemon bounds it.
        let mut body = Vec::new();
        if command == ControlCommand::LoadCache {
            let limit = u64::try_from(MAX_CACHE_LOAD_BYTES).unwrap_or(u64::MAX) + 1;
            std::io::Read::read_to_end(
                &mut std::io::Read::take(std::io::stdin(), limit),
                &mut body,
            )
            .map_err(RunError::Stdin)?;
        }
        let reply = runtime
            .block_on(control::send(path, &command, &body))
            .map_err(RunError::Control)?;
        if reply.starts_with("error:") {
            return Err(RunError::CommandFailed(reply));
        }
        print!("{reply}");
        return Ok(());
    }
    let settings = Settings::load(&arguments).map_err(RunError::Settings)?;
    runtime.block_on(daemon(arguments, settings, flavor))
}

async fn daemon(
    arguments: Arguments,
    settings: Settings,
    flavor: RuntimeFlavor,
) -> Result<(), RunError> {
    let signals = Signals::install()?;
    let statistics = Statistics::new();
    let transport = Arc::new(CountingTransport::new(
        Arc::new(UdpTcpTransport::new()),
        statistics.clone(),
    ));
    let resolver = Arc::new(Resolver::new(
        settings.resolver.clone(),
        transport,
        Arc::new(SystemClock::new()),
    ));
    let local_zones = load_local_zones(&settings.zones).map_err(RunError::LocalZones)?;
    let local_answers = LocalAnswers::build(&settings.local)
        .map_err(|error| RunError::Settings(SettingsError::Local(error)))?;
    let zone_count = local_zones.zone_count() + local_answers.zone_count();
    let response_policy = local_answers.policy();
    if !response_policy.is_empty() {
        tracing::info!(
            rpz_zones = response_policy.zone_count(),
            rules = response_policy.rule_count(),
            "response policy loaded"
        );
    }
    let mut listen_options = ListenOptions::default();
    if let Some(idle) = settings.tcp_idle_timeout {
        listen_options.tcp_idle_timeout = idle;
    }
    let handler = ResolverHandler::with_request_limits(
        resolver,
        Policy {
            access: settings.access.clone(),
            local_zones,
            local_answers: Arc::new(local_answers),
            auth_zones: settings.downstream_auth_zones.clone().map(Arc::new),
        },
        statistics,
        settings.resolver.requests,
    );
    // RFC 7828: the option announces the listener's idle timeout, the one really applied.
    let handler = Arc::new(if settings.tcp_keepalive {
        handler.with_tcp_keepalive(listen_options.tcp_idle_timeout)
    } else {
        handler
    });
    // The control socket is bound before the listener, whose ready line tells supervisors and
    // lab.sh that the daemon is up: nothing may fail after it.
    let control_path = settings.control.clone();
    let control_listener = match &control_path {
        Some(path) => Some(bind_control(path)?),
        None => None,
    };
    let metrics_listener = match settings.metrics {
        Some(address) => match metrics::bind(address).await {
            Ok(listener) => Some(listener),
            Err(error) => {
                if let Some(path) = &control_path {
                    let _ = std::fs::remove_file(path);
                }
                return Err(RunError::Metrics(error, address));
            }
        },
        None => None,
    };
    let metrics_address = metrics_listener
        .as_ref()
        .and_then(|listener| listener.local_addr().ok());
    let server = match serve(handler.clone(), &settings.listen, listen_options) {
        Ok(server) => server,
        Err(error) => {
            if let Some(path) = &control_path {
                let _ = std::fs::remove_file(path);
            }
            return Err(RunError::Listen(error));
        }
    };

    let reloader = Reloader {
        arguments: Arc::new(arguments),
        handler: handler.clone(),
    };
    let control_task = control_listener
        .map(|listener| tokio::spawn(control::serve(listener, reloader.commands())));
    let metrics_task =
        metrics_listener.map(|listener| tokio::spawn(metrics::serve(listener, handler.clone())));

    let addresses = server
        .local_addresses()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    let mode = if settings
        .resolver
        .forward_zones
        .iter()
        .any(|zone| zone.suffix.is_root())
    {
        "forwarding"
    } else {
        "iterative"
    };
    let allowed = settings
        .access
        .entries()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    tracing::info!(
        control = %control_path.as_ref().map_or_else(|| "none".to_string(), |path| path.display().to_string()),
        metrics = %metrics_address.map_or_else(|| "off".to_string(), |address| format!("http://{address}/metrics")),
        "resolver ready: listening on {addresses} (udp, tcp); {mode}; {zone_count} local zones; allowing {allowed}; {flavor}; {}",
        settings.dnssec_mode
    );

    signals.serve(&reloader).await;
    tracing::info!("resolver stopping");
    if let Some(task) = control_task {
        task.abort();
    }
    if let Some(task) = metrics_task {
        task.abort();
    }
    if let Some(path) = control_path {
        let _ = std::fs::remove_file(path);
    }
    server.shutdown().await;
    Ok(())
}

/// Binds the control socket; a missing directory is named with the command that creates it.
fn bind_control(path: &std::path::Path) -> Result<tokio::net::UnixListener, RunError> {
    if let Some(directory) = path.parent() {
        if !directory.as_os_str().is_empty() && !directory.is_dir() {
            return Err(RunError::ControlDirectory(path.to_path_buf()));
        }
    }
    control::bind(path).map_err(RunError::Control)
}

/// The signals the daemon handles. Installed before the ready line: until then SIGHUP's
/// default action (terminate) would kill a daemon that a supervisor already thinks is up.
struct Signals {
    hangup: Signal,
    terminate: Signal,
    interrupt: Signal,
}

impl Signals {
    fn install() -> Result<Signals, RunError> {
        Ok(Signals {
            hangup: signal(SignalKind::hangup()).map_err(RunError::Signal)?,
            terminate: signal(SignalKind::terminate()).map_err(RunError::Signal)?,
            interrupt: signal(SignalKind::interrupt()).map_err(RunError::Signal)?,
        })
    }

    /// SIGHUP reloads; SIGTERM and SIGINT return (stop).
    async fn serve(mut self, reloader: &Reloader) {
        loop {
            tokio::select! {
                _ = self.hangup.recv() => {
                    let outcome = reloader.reload_off_runtime().await;
                    tracing::info!("SIGHUP: {}", outcome.trim_end());
                }
                _ = self.terminate.recv() => return,
                _ = self.interrupt.recv() => return,
            }
        }
    }
}

/// Re-reads the config file and local zones, and swaps the new ACL and zones in. The resolver
/// (and so its cache) is kept; resolver settings (forwarders, hints, cache size) need a restart.
#[derive(Clone)]
struct Reloader {
    arguments: Arc<Arguments>,
    handler: Arc<ResolverHandler<Resolver>>,
}

impl Reloader {
    fn reload(&self) -> String {
        let settings = match Settings::load(&self.arguments) {
            Ok(settings) => settings,
            Err(error) => {
                return format!("error: reload failed, keeping the old settings: {error}\n")
            }
        };
        let local_zones = match load_local_zones(&settings.zones) {
            Ok(zones) => zones,
            Err(error) => return format!("error: reload failed, keeping the old zones: {error}\n"),
        };
        let local_answers = match LocalAnswers::build(&settings.local) {
            Ok(answers) => answers,
            Err(error) => return format!("error: reload failed, keeping the old zones: {error}\n"),
        };
        let zone_count = local_zones.zone_count() + local_answers.zone_count();
        let access_count = settings.access.entries().len();
        self.handler.replace_policy(Policy {
            access: settings.access,
            local_zones,
            local_answers: Arc::new(local_answers),
            auth_zones: settings.downstream_auth_zones.map(Arc::new),
        });
        format!("reloaded: {zone_count} local zones, {access_count} allowed prefixes (listen addresses and resolver settings change on restart)\n")
    }

    /// Zone files can be large: read them on the blocking pool, not on a thread serving queries.
    async fn reload_off_runtime(&self) -> String {
        let reloader = self.clone();
        tokio::task::spawn_blocking(move || reloader.reload())
            .await
            .unwrap_or_else(|_| {
                "error: reload failed unexpectedly; old settings kept\n".to_string()
            })
    }

    fn commands(&self) -> Commands {
        let reloader = self.clone();
        Arc::new(
            move |command: ControlCommand, body: String| -> CommandFuture {
                let reloader = reloader.clone();
                Box::pin(async move {
                    match command {
                        ControlCommand::Stats | ControlCommand::StatsNoreset => {
                            // The cache size is a pass over the cache: off the query threads.
                            let handler = reloader.handler.clone();
                            tokio::task::spawn_blocking(move || handler.render_statistics())
                                .await
                                .unwrap_or_else(|_| {
                                    "error: stats failed unexpectedly\n".to_string()
                                })
                                .into()
                        }
                        ControlCommand::ListLocalZones => {
                            reloader.handler.local_zone_listing().into()
                        }
                        ControlCommand::Reload => {
                            let outcome = reloader.reload_off_runtime().await;
                            tracing::info!("control reload: {}", outcome.trim_end());
                            outcome.into()
                        }
                        command => {
                            // Flushes and loads walk the cache: on the blocking pool, not a query thread.
                            let resolver = reloader.handler.in_flight().resolver().clone();
                            let word = command.word();
                            let reply = tokio::task::spawn_blocking(move || {
                                resolver.cache_command(&command, &body)
                            })
                            .await
                            .ok()
                            .flatten();
                            tracing::info!("control {word}");
                            reply.unwrap_or_else(|| {
                                Reply::Text(format!(
                                    "error: {word} is not available in this resolver\n"
                                ))
                            })
                        }
                    }
                })
            },
        )
    }
}
