//! `benchtool`: the harness's generators, timing client and report, one subcommand each.
//! Thin: parses arguments, calls `bench::commands`, maps the result to an exit code.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use bench::auth_zone::QueryMix;
use bench::commands;
use clap::{Parser, Subcommand};

/// The benchmark harness's helper (bench/run.sh calls it): generates zones, query lists and the
/// cold-walk lab, times queries, and writes the report of a run. See bench/README.md.
#[derive(Parser, Debug)]
#[command(name = "benchtool", version)]
struct Arguments {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write the authoritative zone as YAML and as a master file
    GenerateZone {
        #[arg(long, default_value = "bench.test.")]
        origin: String,
        /// About this many records (0: the benchmark zone of 10,000 A, 1,000 MX/CNAME/AAAA)
        #[arg(long, default_value_t = 0)]
        records: u32,
        #[arg(long)]
        yaml: PathBuf,
        #[arg(long)]
        master: PathBuf,
    },
    /// Write a dnsperf query list for the zone of the same --origin/--records
    GenerateQueries {
        #[arg(long, default_value = "bench.test.")]
        origin: String,
        #[arg(long, default_value_t = 0)]
        records: u32,
        #[arg(long, value_enum)]
        mix: QueryMix,
        #[arg(long, default_value_t = 100_000)]
        count: u32,
        #[arg(long, default_value_t = 6)]
        seed: u64,
        #[arg(long)]
        output: PathBuf,
    },
    /// Write the cold-walk lab (master files, zones.list, addresses.list, root.hints, names.txt)
    GenerateLab {
        #[arg(long)]
        directory: PathBuf,
        #[arg(long, default_value_t = 200)]
        domains: u32,
        /// Second octet of the lab's 127.X.0.0/16 addresses
        #[arg(long, default_value_t = 81)]
        second_octet: u8,
        #[arg(long, default_value_t = 6)]
        seed: u64,
    },
    /// Resolve each name once, sequentially; print total, median and p99 time per name
    Walk {
        #[arg(long)]
        server: SocketAddr,
        #[arg(long)]
        names: PathBuf,
        #[arg(long, default_value = "A")]
        r#type: String,
        #[arg(long)]
        workload: String,
        #[arg(long)]
        server_name: String,
    },
    /// Wait until the server answers NOERROR (with --serial: an SOA of that serial); print seconds
    /// since --started-at (Unix time)
    WaitReady {
        #[arg(long)]
        server: SocketAddr,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "SOA")]
        r#type: String,
        #[arg(long, default_value_t = 300)]
        timeout_seconds: u64,
        #[arg(long)]
        started_at: Option<f64>,
        /// Give up as soon as this process has exited
        #[arg(long)]
        pid: Option<u32>,
        /// Wait for an answer holding an SOA with this serial (a secondary's transfer done)
        #[arg(long)]
        serial: Option<u32>,
    },
    /// Turn one dnsperf output file into measurement lines
    DnsperfMetrics {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        workload: String,
        #[arg(long)]
        server_name: String,
    },
    /// Turn one kxdpgun output file into measurement lines (fails when it has no summary)
    KxdpgunMetrics {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        workload: String,
        #[arg(long)]
        server_name: String,
    },
    /// Write the markdown report of a measurements file and print it
    Report {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        output: PathBuf,
        #[arg(long, default_value = "# Benchmark results")]
        heading: String,
    },
}

fn main() -> ExitCode {
    let result = match Arguments::parse().command {
        Command::GenerateZone {
            origin,
            records,
            yaml,
            master,
        } => commands::generate_zone(&origin, records, &yaml, &master),
        Command::GenerateQueries {
            origin,
            records,
            mix,
            count,
            seed,
            output,
        } => commands::generate_queries(&origin, records, mix, count, seed, &output),
        Command::GenerateLab {
            directory,
            domains,
            second_octet,
            seed,
        } => commands::generate_lab(&directory, domains, second_octet, seed),
        Command::Walk {
            server,
            names,
            r#type,
            workload,
            server_name,
        } => commands::walk(server, &names, &r#type, &workload, &server_name),
        Command::WaitReady {
            server,
            name,
            r#type,
            timeout_seconds,
            started_at,
            pid,
            serial,
        } => commands::wait_ready(
            server,
            &name,
            &r#type,
            Duration::from_secs(timeout_seconds),
            started_at,
            pid,
            serial,
        ),
        Command::DnsperfMetrics {
            file,
            workload,
            server_name,
        } => commands::dnsperf_metrics(&file, &workload, &server_name),
        Command::KxdpgunMetrics {
            file,
            workload,
            server_name,
        } => commands::kxdpgun_metrics(&file, &workload, &server_name),
        Command::Report {
            input,
            output,
            heading,
        } => commands::report(&input, &output, &heading),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("benchtool: {error}");
            ExitCode::FAILURE
        }
    }
}
