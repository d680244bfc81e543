//! Starts our own binaries (authority, resolver) for a test: build once, spawn with arguments, and
//! wait for the listener's ready line, which names every address it bound.

use std::ffi::OsStr;
use std::net::SocketAddr;
use std::process::Command;

use crate::binaries::workspace_binary;
use crate::process::{Process, ProcessError, READY_TIMEOUT};

/// The text of the ready line logged by `authority::listen::serve` (tracing, on stderr).
pub const LISTENER_READY_PATTERN: &str = "ready: listening on";

/// Runs `binary` of `package` with `arguments` and returns once it logged its ready line.
/// `RUST_LOG=info` is set (unless the test's environment sets it) so the ready line is printed.
///
/// ```no_run
/// let address = e2e::loopback_for("my_test", 0).to_string();
/// let server = e2e::start_workspace_server("authority", "authority",
///     ["--listen", address.as_str(), "zones/example.test.yaml"]).expect("authority starts");
/// ```
pub fn start_workspace_server<I, S>(
    package: &str,
    binary: &str,
    arguments: I,
) -> Result<Process, ProcessError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(workspace_binary(package, binary));
    command.args(arguments).env("NO_COLOR", "1");
    if std::env::var_os("RUST_LOG").is_none() {
        command.env("RUST_LOG", "info");
    }
    Process::spawn_ready(command, LISTENER_READY_PATTERN)
}

/// The addresses named by the listener's ready line (real ports, also when started with port 0).
/// Waits for the line like `Process::wait_for_line`.
///
/// ```no_run
/// # let mut server: e2e::Process = todo!();
/// let addresses = e2e::listener_ready_addresses(&mut server).expect("ready line");
/// ```
pub fn listener_ready_addresses(process: &mut Process) -> Result<Vec<SocketAddr>, ProcessError> {
    let line = process.wait_for_line(LISTENER_READY_PATTERN, READY_TIMEOUT)?;
    Ok(parse_ready_addresses(&line))
}

/// Parses "... ready: listening on 127.0.0.1:53 [::1]:53 (udp, tcp)" into its addresses.
pub fn parse_ready_addresses(line: &str) -> Vec<SocketAddr> {
    line.split_once(LISTENER_READY_PATTERN)
        .map(|(_, rest)| rest)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|token| token.parse().ok())
        .collect()
}
