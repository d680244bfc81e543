//! The `benchtool` subcommands: each reads its inputs, calls the generators or the client, and
//! writes files or measurement lines. No server is started or stopped here (that is run.sh's job).

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use crate::auth_zone::{self, QueryMix, ZoneShape};
use crate::dns_client::{Client, ClientError};
use crate::limits::{MAX_WALK_NAMES, READY_POLL_INTERVAL, READY_PROBE_TIMEOUT, WALK_QUERY_TIMEOUT};
use crate::measurements::{self, Measurement};
use crate::statistics::{median, percentile};
use crate::{dnsperf_output, kxdpgun_output, lab, report};

#[derive(Debug)]
pub enum CommandError {
    File {
        path: PathBuf,
        error: io::Error,
    },
    Client(ClientError),
    BadRecordType(String),
    NotReady {
        server: SocketAddr,
        waited: Duration,
    },
    /// The server's process ended before it answered (e.g. it refused the zone).
    Exited {
        pid: u32,
    },
    BadMeasurements {
        path: PathBuf,
        lines: Vec<measurements::BadLine>,
    },
    /// kxdpgun printed no summary: its XDP socket was not set up (it still exits 0 then).
    NoKxdpgunSummary {
        path: PathBuf,
        /// Its error lines (the first three), when it printed any.
        error: Option<String>,
    },
}

impl fmt::Display for CommandError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::File { path, error } => write!(formatter, "{}: {error}", path.display()),
            CommandError::Client(error) => write!(formatter, "{error}"),
            CommandError::BadRecordType(text) => write!(formatter, "not a record type: {text}"),
            CommandError::NotReady { server, waited } => {
                write!(
                    formatter,
                    "{server} gave no NOERROR answer within {waited:?}"
                )
            }
            CommandError::Exited { pid } => {
                write!(formatter, "process {pid} exited before answering")
            }
            CommandError::BadMeasurements { path, lines } => {
                write!(formatter, "{}: {} bad line(s)", path.display(), lines.len())?;
                for line in lines {
                    write!(formatter, "\n  {line}")?;
                }
                Ok(())
            }
            CommandError::NoKxdpgunSummary { path, error } => {
                write!(formatter, "{}: no kxdpgun summary", path.display())?;
                match error {
                    Some(error) => write!(formatter, " ({error})"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for CommandError {}

fn file_error(path: &Path) -> impl FnOnce(io::Error) -> CommandError + '_ {
    move |error| CommandError::File {
        path: path.to_path_buf(),
        error,
    }
}

fn create(path: &Path) -> Result<BufWriter<File>, CommandError> {
    File::create(path)
        .map(BufWriter::new)
        .map_err(file_error(path))
}

fn shape(records: u32) -> ZoneShape {
    match records {
        0 => ZoneShape::ISSUE_6,
        records => ZoneShape::with_records(records),
    }
}

/// Writes the zone as YAML (ours) and as a master file (NSD, Knot).
pub fn generate_zone(
    origin: &str,
    records: u32,
    yaml: &Path,
    master: &Path,
) -> Result<(), CommandError> {
    let all = auth_zone::records(origin, shape(records));
    let mut output = create(yaml)?;
    auth_zone::write_yaml(origin, &all, &mut output)
        .and_then(|()| output.flush())
        .map_err(file_error(yaml))?;
    let mut output = create(master)?;
    auth_zone::write_master_file(origin, &all, &mut output)
        .and_then(|()| output.flush())
        .map_err(file_error(master))
}

pub fn generate_queries(
    origin: &str,
    records: u32,
    mix: QueryMix,
    count: u32,
    seed: u64,
    path: &Path,
) -> Result<(), CommandError> {
    let mut output = create(path)?;
    auth_zone::write_queries(origin, shape(records), mix, count, seed, &mut output)
        .and_then(|()| output.flush())
        .map_err(file_error(path))
}

/// Writes the lab into `directory`: one master file per zone, `zones.list` (`origin file address`
/// lines: the address that serves the zone),
/// `addresses.list`, `root.hints`, `names.txt`.
pub fn generate_lab(
    directory: &Path,
    domains: u32,
    second_octet: u8,
    seed: u64,
) -> Result<(), CommandError> {
    let lab = lab::generate(domains, second_octet, seed);
    fs::create_dir_all(directory).map_err(file_error(directory))?;
    let write = |name: &str, text: &str| {
        let path = directory.join(name);
        fs::write(&path, text).map_err(|error| CommandError::File { path, error })
    };
    let mut list = String::new();
    for zone in &lab.zones {
        write(&zone.file_name, &zone.text)?;
        list.push_str(&format!(
            "{} {} {}\n",
            zone.origin, zone.file_name, zone.server
        ));
    }
    write("zones.list", &list)?;
    let addresses: String = lab
        .addresses
        .iter()
        .map(|address| format!("{address}\n"))
        .collect();
    write("addresses.list", &addresses)?;
    write("root.hints", &lab.root_hints)?;
    write("names.txt", &(lab.names.join("\n") + "\n"))
}

fn record_type(text: &str) -> Result<RecordType, CommandError> {
    RecordType::from_str(&text.to_ascii_uppercase())
        .map_err(|_| CommandError::BadRecordType(text.to_string()))
}

fn print_measurements(lines: &[Measurement]) {
    for line in lines {
        println!("{line}");
    }
}

/// Resolves each name once, in order, one at a time, and prints the walk's figures.
pub fn walk(
    server: SocketAddr,
    names_path: &Path,
    type_text: &str,
    workload: &str,
    server_name: &str,
) -> Result<(), CommandError> {
    let record_type = record_type(type_text)?;
    let text = fs::read_to_string(names_path).map_err(file_error(names_path))?;
    let names: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .take(MAX_WALK_NAMES)
        .collect();
    let mut client = Client::new(server).map_err(CommandError::Client)?;
    let mut milliseconds = Vec::with_capacity(names.len());
    let mut failures = 0u32;
    let started = Instant::now();
    for name in &names {
        match client.query(name, record_type, WALK_QUERY_TIMEOUT) {
            Ok(exchange) => {
                milliseconds.push(exchange.elapsed.as_secs_f64() * 1000.0);
                let resolved =
                    exchange.response_code == ResponseCode::NoError && exchange.answer_count > 0;
                if !resolved {
                    failures += 1;
                    eprintln!(
                        "walk: {name}: {:?}, {} answers",
                        exchange.response_code, exchange.answer_count
                    );
                }
            }
            Err(ClientError::Timeout) => {
                failures += 1;
                milliseconds.push(WALK_QUERY_TIMEOUT.as_secs_f64() * 1000.0);
                eprintln!("walk: {name}: timeout");
            }
            Err(error) => return Err(CommandError::Client(error)),
        }
    }
    let total = started.elapsed().as_secs_f64();
    let line = |metric: &str, value: f64| Measurement {
        workload: workload.to_string(),
        server: server_name.to_string(),
        metric: metric.to_string(),
        value,
    };
    let mut lines = vec![line("total_seconds", total)];
    lines.extend(median(&milliseconds).map(|value| line("median_ms_per_name", value)));
    lines.extend(percentile(&milliseconds, 0.99).map(|value| line("p99_ms_per_name", value)));
    lines.push(line("failures", f64::from(failures)));
    print_measurements(&lines);
    Ok(())
}

/// Polls `server` until it answers `name`/`type` with NOERROR; prints the seconds since
/// `started_at` (Unix time, as `date +%s.%N` prints it) or since the call.
pub fn wait_ready(
    server: SocketAddr,
    name: &str,
    type_text: &str,
    timeout: Duration,
    started_at: Option<f64>,
    pid: Option<u32>,
    serial: Option<u32>,
) -> Result<(), CommandError> {
    let record_type = record_type(type_text)?;
    let since = match started_at {
        Some(seconds) => UNIX_EPOCH + Duration::from_secs_f64(seconds.max(0.0)),
        None => SystemTime::now(),
    };
    let mut client = Client::new(server).map_err(CommandError::Client)?;
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(pid) = pid {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                return Err(CommandError::Exited { pid });
            }
        }
        match client.query(name, record_type, READY_PROBE_TIMEOUT) {
            Ok(exchange)
                if exchange.response_code == ResponseCode::NoError
                    && serial.is_none_or(|serial| exchange.soa_serial == Some(serial)) =>
            {
                let elapsed = SystemTime::now().duration_since(since).unwrap_or_default();
                println!("{:.3}", elapsed.as_secs_f64());
                return Ok(());
            }
            Ok(_) => std::thread::sleep(READY_POLL_INTERVAL),
            // Nothing listening yet: ICMP port unreachable shows as connection refused.
            Err(ClientError::Timeout | ClientError::Io(_)) => {
                std::thread::sleep(READY_POLL_INTERVAL)
            }
            Err(error) => return Err(CommandError::Client(error)),
        }
    }
    Err(CommandError::NotReady {
        server,
        waited: timeout,
    })
}

pub fn dnsperf_metrics(path: &Path, workload: &str, server_name: &str) -> Result<(), CommandError> {
    let text = fs::read_to_string(path).map_err(file_error(path))?;
    let run = dnsperf_output::parse(&text);
    print_run_metrics(run.metrics(), workload, server_name);
    Ok(())
}

/// Prints one run's metrics as measurement lines of `workload` and `server_name`.
fn print_run_metrics(metrics: Vec<(String, f64)>, workload: &str, server_name: &str) {
    let lines: Vec<Measurement> = metrics
        .into_iter()
        .map(|(metric, value)| Measurement {
            workload: workload.to_string(),
            server: server_name.to_string(),
            metric,
            value,
        })
        .collect();
    print_measurements(&lines);
}

/// kxdpgun's and libbpf's error lines (the first three), joined: what a skipped run reports.
fn complaint(output: &str) -> Option<String> {
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|line| {
            let line = line.to_ascii_lowercase();
            line.contains("error") || line.contains("fail")
        })
        .take(3)
        .collect();
    (!lines.is_empty()).then(|| lines.join("; "))
}

/// The measurement lines of one kxdpgun run; an error naming kxdpgun's own complaint when it
/// printed no summary.
pub fn kxdpgun_metrics(path: &Path, workload: &str, server_name: &str) -> Result<(), CommandError> {
    let text = fs::read_to_string(path).map_err(file_error(path))?;
    let run = kxdpgun_output::parse(&text);
    if !run.has_summary() {
        return Err(CommandError::NoKxdpgunSummary {
            path: path.to_path_buf(),
            error: complaint(&text),
        });
    }
    print_run_metrics(run.metrics(), workload, server_name);
    Ok(())
}

pub fn report(input: &Path, output: &Path, heading: &str) -> Result<(), CommandError> {
    let text = fs::read_to_string(input).map_err(file_error(input))?;
    let (measurements, bad) = measurements::parse(&text);
    if !bad.is_empty() {
        return Err(CommandError::BadMeasurements {
            path: input.to_path_buf(),
            lines: bad,
        });
    }
    let markdown = format!("{heading}\n{}", report::markdown(&measurements));
    fs::write(output, &markdown).map_err(file_error(output))?;
    print!("{markdown}");
    Ok(())
}
