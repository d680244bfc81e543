//! dnsdist (PowerDNS's load balancer) for the fleet tests: started in the foreground from a config
//! file the test writes, on the test's own loopback address, killed by PID; backends read from its console.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::process::{Process, ProcessError};
use crate::temp_dir::TempDir;
use crate::tools::find_tool;

/// The line dnsdist prints once its console listens: after its listeners are bound and after the
/// first round of health checks, so the backends' states are known from then on.
pub const DNSDIST_READY_PATTERN: &str = "Accepting control connections on";

/// A console command that does not answer within this is a failure (the console is local).
const CONSOLE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub enum DnsdistError {
    NotInstalled,
    Files(std::io::Error),
    Process(ProcessError),
    /// `dnsdist -e COMMAND` could not run, or failed.
    Console {
        command: String,
        output: String,
    },
}

impl fmt::Display for DnsdistError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DnsdistError::NotInstalled => write!(formatter, "dnsdist is not installed"),
            DnsdistError::Files(error) => {
                write!(formatter, "cannot write dnsdist's config: {error}")
            }
            DnsdistError::Process(error) => write!(formatter, "{error}"),
            DnsdistError::Console { command, output } => {
                write!(
                    formatter,
                    "dnsdist console command {command:?} failed: {output}"
                )
            }
        }
    }
}

impl std::error::Error for DnsdistError {}

/// A running dnsdist; dropping it kills the process and removes its directory.
pub struct Dnsdist {
    pub config: PathBuf,
    // Field order: the process dies before its directory is removed.
    process: Process,
    _directory: TempDir,
}

impl Dnsdist {
    /// `dnsdist --supervised --disable-syslog -C CONFIG` (foreground, logs on stdout) with
    /// `config_text` as CONFIG; ready once its console listens.
    pub fn start(config_text: &str) -> Result<Dnsdist, DnsdistError> {
        let dnsdist = find_tool("dnsdist").ok_or(DnsdistError::NotInstalled)?;
        let directory = TempDir::new("dnsdist").map_err(DnsdistError::Files)?;
        let config = directory
            .write("dnsdist.conf", config_text)
            .map_err(DnsdistError::Files)?;
        let mut command = Command::new(dnsdist);
        command
            .arg("--supervised")
            .arg("--disable-syslog")
            .arg("-C")
            .arg(&config);
        let process =
            Process::spawn_ready(command, DNSDIST_READY_PATTERN).map_err(DnsdistError::Process)?;
        Ok(Dnsdist {
            config,
            process,
            _directory: directory,
        })
    }

    /// Runs `command` in dnsdist's console (`dnsdist -C CONFIG -e COMMAND`, which reads the
    /// console's address and key from the config) and returns what it printed.
    pub fn console(&self, command: &str) -> Result<String, DnsdistError> {
        console(&self.config, command)
    }

    /// Each backend's name → its state and client queries, as `showServers()` prints them.
    pub fn backends(&self) -> Result<BTreeMap<String, Backend>, DnsdistError> {
        Ok(parse_show_servers(&self.console("showServers()")?))
    }

    /// Everything dnsdist logged so far (health-check verdicts: "Marking downstream NAME ... as 'down'").
    pub fn output(&self) -> String {
        self.process.output()
    }
}

/// One backend as dnsdist's console shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backend {
    /// `up` or `down` (dnsdist's verdict from its health checks), `UP`/`DOWN` when forced.
    pub state: String,
    /// Client queries dnsdist sent it (health checks are not counted).
    pub queries: u64,
}

/// `dnsdist -C config -e command`, bounded by CONSOLE_TIMEOUT.
pub fn console(config: &Path, command: &str) -> Result<String, DnsdistError> {
    let failed = |output: String| DnsdistError::Console {
        command: command.to_string(),
        output,
    };
    let dnsdist = find_tool("dnsdist").ok_or(DnsdistError::NotInstalled)?;
    let mut client = Command::new("timeout");
    client
        .arg(CONSOLE_TIMEOUT.as_secs().to_string())
        .arg(dnsdist)
        .arg("-C")
        .arg(config)
        .arg("-e")
        .arg(command);
    let output = client
        .output()
        .map_err(|error| failed(format!("cannot run: {error}")))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(failed(format!(
            "{}: {text}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(text)
}

/// Reads `showServers()`'s table (`#  Name  Address  State  Qps  Qlim  Ord  Wt  Queries ...`, one
/// line per backend, then `All`) into name → backend.
pub fn parse_show_servers(table: &str) -> BTreeMap<String, Backend> {
    table
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            words.first()?.parse::<u32>().ok()?;
            let name = words.get(1)?;
            let state = words.get(3)?.to_string();
            let queries = words.get(8)?.parse().ok()?;
            Some((name.to_string(), Backend { state, queries }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_servers_table_gives_each_backend_state_and_queries() {
        let table = "#   Name                 Address                       State     Qps    Qlim Ord Wt    Queries   Drops Drate   Lat Outstanding Pools\n\
                     0   resolver-a           127.99.1.2:5300                down     0.0       0   1  1          0       0   0.0   0.0           0 \n\
                     1   resolver-b           127.99.1.3:5300                  up     0.0       0   1  1         17       0   0.0   0.0           0 \n\
                     All                                                              0.0                         0       0                         \n";
        let states = parse_show_servers(table);
        assert_eq!(states.len(), 2);
        assert_eq!(states["resolver-a"].state, "down");
        assert_eq!(states["resolver-b"].state, "up");
        assert_eq!(states["resolver-b"].queries, 17);
    }
}
