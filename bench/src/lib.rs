//! Benchmark harness support: zone and lab generators, a sequential timing client, dnsperf and
//! kxdpgun output parsing and the report. `bench/run.sh` drives the servers; nothing here starts
//! a server.
//!
//! ```text
//! generate_zone / generate_lab  →  files for ours, NSD, Knot, Unbound, dnsperf
//! run.sh  →  dnsperf / walk / wait_ready  →  measurements.tsv  →  report  →  results/<date>.md
//! ```

pub mod auth_zone;
pub mod commands;
pub mod dns_client;
pub mod dnsperf_output;
pub mod kxdpgun_output;
pub mod lab;
pub mod limits;
pub mod measurements;
pub mod report;
pub mod statistics;
