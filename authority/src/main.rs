//! The `authority` binary: parse arguments, call the library, map the result to an exit code.
//! `authority [--listen ADDR:PORT]... [ORIGIN=]FILE...` serves; `--check FILES...` checks;
//! `--lab DIR [--port PORT]` serves a directory of zones on the addresses their NS records give.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;

/// Authoritative DNS server for octoDNS YAML zones.
#[derive(Parser, Debug)]
#[command(name = "authority", version)]
struct Arguments {
    /// Address and port to serve UDP and TCP on; repeatable.
    /// (Default 127.0.0.1:53, or the config file's `listen`.)
    #[arg(long = "listen", value_name = "ADDR:PORT")]
    listen: Vec<SocketAddr>,
    /// YAML config: zones (primary or secondary), transfer ACLs, NOTIFY targets, TSIG keys,
    /// listen addresses, RRL, workers. Flags add to it (and win for single values).
    #[arg(long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// Allow zone transfers (AXFR/IXFR) of every zone to clients in CIDR, without TSIG;
    /// repeatable. Without it (or an ACL in --config) no one may transfer.
    #[arg(long = "allow-transfer", value_name = "CIDR")]
    allow_transfer: Vec<String>,
    /// Send NOTIFY for every zone to this secondary when its serial changes; repeatable.
    #[arg(long, value_name = "ADDR[:PORT]")]
    notify: Vec<String>,
    /// Pull ZONE from the primary at ADDR (IXFR, AXFR fallback) at start, on its NOTIFY and on the
    /// SOA timers; served until SOA expire passes without a refresh. Repeatable (several zones, or
    /// several primaries of one zone, tried in order). The copy is kept under --state-dir.
    #[arg(long, value_name = "ZONE=ADDR[:PORT]")]
    secondary: Vec<String>,
    /// Keep journals, serials and secondary copies here (created if missing).
    #[arg(long = "state-dir", value_name = "DIR")]
    state_dir: Option<std::path::PathBuf>,
    /// Serial of zones without an SOA of their own: `increment` (default) or `unixtime`.
    #[arg(long = "serial-policy", value_name = "POLICY")]
    serial_policy: Option<String>,
    /// Response rate limiting: UDP responses per second per client prefix (/24, /56) and response
    /// class. 0 (the default, as in NSD, Knot and BIND) turns it off. TCP is never limited.
    #[arg(long = "rrl-rate", value_name = "N", default_value_t = 0)]
    rrl_rate: u32,
    /// With --rrl-rate: every Nth limited response is sent empty with TC=1 (retry over TCP), the
    /// others are dropped. 0 drops all; BIND and NSD default to 2.
    #[arg(long = "rrl-slip", value_name = "N", default_value_t = 2)]
    rrl_slip: u32,
    /// Answer CH TXT `id.server` and `hostname.bind` with TEXT (off by default, as NSD's
    /// `hide-identity`: those questions are REFUSED).
    #[arg(long, value_name = "TEXT")]
    identity: Option<String>,
    /// Answer CH TXT `version.bind` and `version.server` with TEXT (off by default, as NSD's
    /// `hide-version`).
    #[arg(long = "version-string", value_name = "TEXT")]
    version_string: Option<String>,
    /// Send TEXT (or the octets of `0x` followed by hex digits) as NSID (RFC 5001) to queries
    /// that ask for it. Off by default.
    #[arg(long, value_name = "TEXT")]
    nsid: Option<String>,
    /// UDP workers: one socket per address for each (SO_REUSEPORT), read by its own thread, as NSD's
    /// `server-count` and Knot's `udp-workers`. They share the zones, the answer memo and the rate
    /// limiter. Default: the cores this process may run on (1 under `taskset -c 0`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    workers: Option<u16>,
    /// Apex NS for zones whose file has none (octoDNS providers add their own); repeatable.
    /// Without it such a zone is refused.
    #[arg(long = "default-ns", value_name = "NAME")]
    default_ns: Vec<String>,
    /// The memory one zone may take while loading (its file's text plus an estimate per record),
    /// as bytes or with K, M, G, T: `512M`, `16G`. A zone over it is refused with an error naming
    /// this option. Default: half the machine's memory (or the config file's `zone-max-memory`).
    #[arg(long = "zone-max-memory", value_name = "SIZE", value_parser = parse_zone_memory_limit)]
    zone_max_memory: Option<authority::zone::memory_limit::ZoneMemoryLimit>,
    /// Check the zone files, print each problem as `file:line: problem`, and exit (0 ok, 1 errors).
    #[arg(long)]
    check: bool,
    /// Load the zone file (signing it with the keys its `dnssec` settings name) and print the
    /// signed zone as a master file.
    #[arg(long = "print-signed", conflicts_with = "check")]
    print_signed: bool,
    /// Zone files; the origin is the file name (`root.yaml` is `.`) unless given as ORIGIN=FILE.
    #[arg(value_name = "[ORIGIN=]FILE", required_unless_present_any = ["lab", "config", "secondary"])]
    zones: Vec<String>,
    /// Serve every zone in DIR only on the loopback addresses its NS records give (the lab).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["check", "zones"])]
    lab: Option<std::path::PathBuf>,
    /// The port every lab address serves on.
    #[arg(long, value_name = "PORT", default_value_t = 53, requires = "lab")]
    port: u16,
    /// Where the lab keeps its signing keys and writes the root's trust anchor (default: a new
    /// directory under $TMPDIR named after the process).
    #[arg(long = "run-dir", value_name = "DIR", requires = "lab")]
    run_dir: Option<std::path::PathBuf>,
}

/// `authority keygen ZONE`: a new key pair.
#[derive(Parser, Debug)]
#[command(name = "authority keygen")]
struct KeygenArguments {
    /// The zone the key signs.
    zone: String,
    /// ecdsap256sha256 (default, RFC 8624's recommendation), ed25519, rsasha256 or rsasha512
    /// (RSA: 2048 bits).
    #[arg(long, default_value = "ecdsap256sha256")]
    algorithm: String,
    /// csk (one key for everything, the default), ksk or zsk.
    #[arg(long, default_value = "csk")]
    role: String,
    /// The key directory (created if missing); the pair is K<zone>.+<alg>+<tag>.key/.private.
    #[arg(long, value_name = "DIR")]
    dir: std::path::PathBuf,
}

/// `authority ds ZONE`: the DS records for the parent.
#[derive(Parser, Debug)]
#[command(name = "authority ds")]
struct DsArguments {
    zone: String,
    /// The key directory.
    #[arg(long, value_name = "DIR")]
    dir: std::path::PathBuf,
    /// Also write the DS lines here (default DIR/dsset-<zone>.).
    #[arg(long, value_name = "FILE")]
    output: Option<std::path::PathBuf>,
}

fn parse_zone_memory_limit(
    text: &str,
) -> Result<authority::zone::memory_limit::ZoneMemoryLimit, String> {
    authority::zone::memory_limit::ZoneMemoryLimit::parse(text)
}

fn print_result(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("authority: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Adds the command line's zones, addresses and transfer flags to the config file's settings.
fn merge_flags(
    arguments: &Arguments,
    settings: &mut authority::config::Settings,
) -> Result<(), String> {
    use authority::config::parse_remote_address;
    settings.zones.extend(arguments.zones.iter().cloned());
    if !arguments.listen.is_empty() {
        settings.listen = arguments.listen.clone();
    }
    if settings.listen.is_empty() {
        settings.listen.push(SocketAddr::from(([127, 0, 0, 1], 53)));
    }
    if arguments.workers.is_some() {
        settings.workers = arguments.workers;
    }
    if arguments.rrl_rate > 0 {
        settings.rrl = Some((arguments.rrl_rate, arguments.rrl_slip));
    }
    if let Some(directory) = &arguments.state_dir {
        settings.state_directory = Some(directory.clone());
    }
    if let Some(policy) = &arguments.serial_policy {
        settings.serial_policy = authority::xfr::serial::SerialPolicy::parse(policy)
            .ok_or_else(|| format!("--serial-policy {policy}: use increment or unixtime"))?;
    }
    for prefix in &arguments.allow_transfer {
        let prefix = prefix
            .parse::<authority::xfr::acl::Prefix>()
            .map_err(|problem| format!("--allow-transfer {problem}"))?;
        settings
            .transfers
            .default_acl
            .entries
            .push(authority::xfr::acl::AclEntry {
                prefixes: vec![prefix],
                key: None,
            });
    }
    for target in &arguments.notify {
        let address =
            parse_remote_address(target).map_err(|problem| format!("--notify {problem}"))?;
        settings
            .transfers
            .default_notify
            .push(authority::xfr::notify::NotifyTarget { address, key: None });
    }
    for secondary in &arguments.secondary {
        let Some((zone, address)) = secondary.split_once('=') else {
            return Err(format!("--secondary {secondary}: use ZONE=ADDR[:PORT]"));
        };
        let origin = authority::zone::yaml_zone::parse_origin(zone)
            .map_err(|_| format!("--secondary {secondary}: {zone:?} is not a zone name"))?;
        let address =
            parse_remote_address(address).map_err(|problem| format!("--secondary {problem}"))?;
        let primary = authority::xfr::notify::NotifyTarget { address, key: None };
        // The flag repeated for one zone lists its primaries in order.
        match settings
            .secondaries
            .iter_mut()
            .find(|zone| zone.origin == origin)
        {
            Some(zone) => zone.primaries.push(primary),
            None => settings.secondaries.push(authority::config::SecondaryZone {
                origin,
                primaries: vec![primary],
            }),
        }
    }
    for zone in &settings.secondaries {
        let served_from_file = settings.zones.iter().any(|argument| {
            authority::catalog::zones::ZoneSource::parse(argument)
                .is_ok_and(|source| source.origin == zone.origin)
        });
        if served_from_file {
            return Err(format!(
                "zone {} is both served from a file and pulled as a secondary",
                zone.origin
            ));
        }
    }
    if settings.zones.is_empty() && settings.secondaries.is_empty() {
        return Err("no zones: give zone files or a --config with `zones`".to_string());
    }
    Ok(())
}

fn main() -> ExitCode {
    authority::zone::heap_trim::map_large_blocks_apart();
    // Subcommands first: a zone file may not be called `keygen` or `ds` without a path.
    let mut raw = std::env::args_os();
    match raw.nth(1).as_ref().and_then(|first| first.to_str()) {
        Some("keygen") => {
            let arguments = KeygenArguments::parse_from(std::env::args_os().skip(1));
            let Some(algorithm) = authority::dnssec::keys::parse_algorithm(&arguments.algorithm)
            else {
                eprintln!(
                    "authority keygen: --algorithm {}: use ecdsap256sha256, ed25519, rsasha256 or rsasha512",
                    arguments.algorithm
                );
                return ExitCode::FAILURE;
            };
            let Some(role) = authority::dnssec::keys::KeyRole::parse(&arguments.role) else {
                eprintln!(
                    "authority keygen: --role {}: use csk, ksk or zsk",
                    arguments.role
                );
                return ExitCode::FAILURE;
            };
            return print_result(authority::dnssec::commands::keygen(
                &arguments.zone,
                algorithm,
                role,
                &arguments.dir,
            ));
        }
        Some("ds") => {
            let arguments = DsArguments::parse_from(std::env::args_os().skip(1));
            return print_result(authority::dnssec::commands::ds(
                &arguments.zone,
                &arguments.dir,
                arguments.output.as_deref(),
            ));
        }
        _ => {}
    }
    let arguments = Arguments::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let mut load = authority::catalog::zones::LoadOptions::default();
    if let Some(limit) = arguments.zone_max_memory {
        load.zone_memory_limit = limit;
    }
    for name in &arguments.default_ns {
        match authority::zone::yaml_zone::parse_origin(name) {
            Ok(name) if !name.is_root() => load.default_nameservers.push(name),
            _ => {
                eprintln!("authority: --default-ns {name}: not a host name");
                return ExitCode::FAILURE;
            }
        }
    }
    if arguments.print_signed {
        let [zone] = arguments.zones.as_slice() else {
            eprintln!("authority: --print-signed takes one zone file");
            return ExitCode::FAILURE;
        };
        return print_result(authority::dnssec::commands::print_signed(zone, &load));
    }
    if arguments.check {
        // Warnings are printed but do not fail the check: the server loads such zones.
        let report = authority::catalog::check::check_files_with(&arguments.zones, &load);
        for warning in &report.warnings {
            eprintln!("warning: {warning}");
        }
        for error in &report.errors {
            println!("{error}");
        }
        return if report.errors.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let mut settings = match arguments.config.as_deref() {
        Some(path) => match authority::config::ConfigFile::read(path)
            .and_then(|config| config.settings(path))
        {
            Ok(settings) => settings,
            Err(error) => {
                eprintln!("authority: {error}");
                return ExitCode::FAILURE;
            }
        },
        None => authority::config::Settings::default(),
    };
    if arguments.lab.is_some() {
        // The lab has its own zones and addresses.
    } else if let Err(error) = merge_flags(&arguments, &mut settings) {
        eprintln!("authority: {error}");
        return ExitCode::FAILURE;
    }
    let workers = settings
        .workers
        .map(usize::from)
        .unwrap_or_else(authority::runtime::available_cores);
    // One worker (--workers 1, TOKIO_WORKER_THREADS=1, or pinned to one core): one plain event
    // loop for UDP and TCP, as NSD with `server-count: 1`; else tokio's multi-threaded runtime,
    // which serves TCP while the UDP workers have threads of their own.
    let flavor = authority::runtime::flavor_for_workers(workers);
    let runtime = match authority::runtime::build(flavor) {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("authority: cannot start runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("authority: {flavor}, {workers} udp worker(s)");
    if let Some(directory) = arguments.lab {
        let options = authority::lab::LabOptions {
            directory,
            port: arguments.port,
            run_directory: arguments.run_dir.unwrap_or_else(|| {
                std::env::temp_dir().join(format!("authority-lab-{}", std::process::id()))
            }),
        };
        return match runtime.block_on(authority::lab::run_lab(options)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("authority: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let identity = match authority::answer::identity::ServerIdentity::new(
        arguments.identity.as_deref(),
        arguments.version_string.as_deref(),
        arguments.nsid.as_deref(),
    ) {
        Ok(identity) => identity,
        Err(error) => {
            eprintln!("authority: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let (None, Some(limit)) = (arguments.zone_max_memory, settings.zone_memory_limit) {
        load.zone_memory_limit = limit;
    }
    let (rrl_rate, rrl_slip) = settings
        .rrl
        .unwrap_or((arguments.rrl_rate, arguments.rrl_slip));
    let options = authority::run::RunOptions {
        listen: settings.listen,
        zones: settings.zones,
        rate_limit: authority::rrl::RateLimitConfig {
            responses_per_second: rrl_rate,
            slip: rrl_slip,
        },
        identity,
        load,
        workers,
        transfers: settings.transfers,
        state_directory: settings.state_directory,
        serial_policy: settings.serial_policy,
        secondaries: settings.secondaries,
    };
    match runtime.block_on(authority::run::run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("authority: {error}");
            ExitCode::FAILURE
        }
    }
}
