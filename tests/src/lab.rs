//! The lab for end-to-end tests: `authority --lab` on a copy of zones/lab moved from the default
//! lab's 127.53.x.y to 127.153.x.y (so a lab a user runs with `./lab.sh` never meets the tests'),
//! shared by every test of the process on a port of its own, and our `resolver` started per test
//! on the test's own address, walking the lab from the copy's hints.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::binaries::{workspace_binary, workspace_root};
use crate::our_servers::start_workspace_server;
use crate::process::{Process, ProcessError, READY_TIMEOUT};
use crate::temp_dir::TempDir;

/// The lab's zone directory and root hints, as `lab.sh` uses them (on 127.53.x.y: tests use
/// `TestLabZones`, a copy on `TEST_LAB_BLOCK`, instead).
pub fn lab_directory() -> PathBuf {
    workspace_root().join("zones").join("lab")
}

/// The address block of the default lab plan (zones/lab, `./lab.sh`): tests never bind it.
pub const DEFAULT_LAB_BLOCK: &str = "127.53.";
/// The block of the tests' copies of the lab: outside the default plan and outside the hashed
/// per-test addresses (127.64.0.0/10, `addresses.rs`).
pub const TEST_LAB_BLOCK: &str = "127.153.";

/// A copy of zones/lab (zone files and root hints) with every `DEFAULT_LAB_BLOCK` address moved to
/// `TEST_LAB_BLOCK`, removed on drop. The reverse zone keeps its names (`53.127.in-addr.arpa.`):
/// they are data the tests ask for, not addresses anything binds.
pub struct TestLabZones {
    directory: TempDir,
}

impl TestLabZones {
    pub fn new() -> std::io::Result<TestLabZones> {
        let directory = TempDir::new("lab-zones")?;
        for entry in std::fs::read_dir(lab_directory())? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !(name.ends_with(".yaml") || name == "root.hints") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path())?;
            directory.write(&name, &text.replace(DEFAULT_LAB_BLOCK, TEST_LAB_BLOCK))?;
        }
        Ok(TestLabZones { directory })
    }

    pub fn path(&self) -> &Path {
        self.directory.path()
    }

    pub fn root_hints(&self) -> PathBuf {
        self.path().join("root.hints")
    }
}

/// The text of the lab's plan lines (`authority::lab::run` logs one per address).
pub const LAB_PLAN_PATTERN: &str = "lab plan: ";
/// The line the lab logs after its whole plan (`authority::lab::LAB_READY_PATTERN`).
pub const LAB_READY_PATTERN: &str = "lab ready:";

/// Ports tried for a shared lab before giving up: another process may hold one.
const LAB_PORT_ATTEMPTS: u16 = 16;

/// The first lab port of this process: 20000-59999, spread by process ID so two test processes
/// (two checkouts, a developer and CI) rarely meet; a clash is retried on the next port.
fn first_lab_port() -> u16 {
    20_000 + u16::try_from(std::process::id() % 4_000).unwrap_or(0) * 10
}

/// Ports handed out so far, so a lab restarted while the previous one is still being killed
/// never needs the old port.
static NEXT_PORT_OFFSET: AtomicU16 = AtomicU16::new(0);

/// A running lab. Killed when the last test holding it drops its `Arc`.
pub struct Lab {
    pub port: u16,
    /// Zone origin (`example.test.`, `.` for the root) → the addresses serving it, with the port.
    pub servers: BTreeMap<String, Vec<SocketAddr>>,
    /// The root hints naming this lab's root servers.
    pub root_hints: PathBuf,
    // Field order: the process dies before the zone copy it serves is removed.
    process: Process,
    _zones: Option<TestLabZones>,
}

impl Lab {
    /// Starts `authority --lab COPY --port PORT` on a fresh `TestLabZones` and reads its plan.
    pub fn start(port: u16) -> Result<Lab, ProcessError> {
        let zones = TestLabZones::new().map_err(|error| ProcessError::Spawn {
            program: "authority".to_string(),
            error,
        })?;
        let mut lab = Lab::start_from(zones.path(), port)?;
        lab._zones = Some(zones);
        Ok(lab)
    }

    /// Starts `authority --lab DIRECTORY --port PORT` (a copy of the lab a test may edit, such as
    /// a `TestLabZones`); the root hints are DIRECTORY/root.hints.
    pub fn start_from(directory: &Path, port: u16) -> Result<Lab, ProcessError> {
        let port_text = port.to_string();
        let arguments = [
            "--lab".as_ref(),
            directory.as_os_str(),
            "--port".as_ref(),
            port_text.as_ref(),
        ];
        let mut process = start_workspace_server("authority", "authority", arguments)?;
        // The plan is logged after the listener's ready line, and whole once this one is seen.
        process.wait_for_line(LAB_READY_PATTERN, READY_TIMEOUT)?;
        let servers = parse_plan(&process.output());
        Ok(Lab {
            port,
            servers,
            root_hints: directory.join("root.hints"),
            process,
            _zones: None,
        })
    }

    /// The first address serving `zone` (e.g. `example.test.`). Panics for a zone not in the lab.
    pub fn server_of(&self, zone: &str) -> SocketAddr {
        match self.servers.get(zone).and_then(|servers| servers.first()) {
            Some(server) => *server,
            None => panic!("the lab serves no zone {zone}; plan: {:?}", self.servers),
        }
    }

    /// Everything the lab logged so far, for failure messages.
    pub fn output(&self) -> String {
        self.process.output()
    }

    /// The lab's trust anchor file, as the lab logs it ("lab trust anchor: PATH"). Panics when
    /// the lab logged none.
    pub fn trust_anchor(&self) -> String {
        let output = self.output();
        match output
            .lines()
            .find_map(|line| line.split_once("lab trust anchor: "))
        {
            Some((_, path)) => path.trim().to_string(),
            None => panic!("the lab logged no trust anchor:\n{output}"),
        }
    }

    /// The lab server's process ID (to send it SIGHUP).
    pub fn process_id(&self) -> u32 {
        self.process.id()
    }
}

/// A port for a lab of the test's own (e.g. one it edits and reloads), distinct from the
/// shared lab's recent ports.
pub fn unused_lab_port() -> u16 {
    let offset = NEXT_PORT_OFFSET.fetch_add(1, Ordering::Relaxed);
    first_lab_port().saturating_add(offset % 10)
}

/// Reads "lab plan: 127.153.0.1:5353 serves . lab." lines into zone → addresses.
pub fn parse_plan(output: &str) -> BTreeMap<String, Vec<SocketAddr>> {
    let mut servers: BTreeMap<String, Vec<SocketAddr>> = BTreeMap::new();
    for line in output.lines() {
        let Some((_, rest)) = line.split_once(LAB_PLAN_PATTERN) else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let Some(Ok(address)) = words.next().map(str::parse::<SocketAddr>) else {
            continue;
        };
        if words.next() != Some("serves") {
            continue;
        }
        for zone in words {
            servers.entry(zone.to_string()).or_default().push(address);
        }
    }
    servers
}

static SHARED_LAB: Mutex<Weak<Lab>> = Mutex::new(Weak::new());

/// The lab shared by the tests running now: started by the first, killed after the last drops
/// it (a static would never be dropped, leaving the server behind when the test process ends).
pub fn shared_lab() -> Arc<Lab> {
    let mut shared = SHARED_LAB
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(lab) = shared.upgrade() {
        return lab;
    }
    let mut failures = Vec::new();
    for _ in 0..LAB_PORT_ATTEMPTS {
        let port = unused_lab_port();
        match Lab::start(port) {
            Ok(lab) => {
                let lab = Arc::new(lab);
                *shared = Arc::downgrade(&lab);
                return lab;
            }
            Err(error) => failures.push(format!("port {port}: {error}")),
        }
    }
    panic!("the lab did not start:\n{}", failures.join("\n"));
}

/// The directory a resolver keeps its control socket (and any files a test writes for it) in.
fn resolver_directory() -> Result<TempDir, ProcessError> {
    TempDir::new("resolver").map_err(|error| ProcessError::Spawn {
        program: "resolver".to_string(),
        error,
    })
}

/// Our resolver on its own address, with a control socket for its statistics.
pub struct Resolver {
    pub address: SocketAddr,
    pub control: PathBuf,
    // Field order: the process dies before its directory (holding the socket) is removed.
    process: Process,
    _directory: TempDir,
}

impl Resolver {
    /// `resolver --listen ADDRESS --control SOCKET` plus `arguments`.
    pub fn start(address: SocketAddr, arguments: &[String]) -> Result<Resolver, ProcessError> {
        Resolver::start_in(resolver_directory()?, address, arguments)
    }

    /// A resolver at `address` iterating from one root server, `root_name` at `root_address`
    /// (root hints written in the resolver's own directory), every upstream query sent to
    /// `port`, plus `extra` flags. A test's scripted root is usually on loopback, so the
    /// caller adds `--allow-loopback-upstream` when it wants it.
    pub fn from_root(
        address: SocketAddr,
        root_name: &str,
        root_address: std::net::IpAddr,
        port: u16,
        extra: &[&str],
    ) -> Result<Resolver, ProcessError> {
        let directory = resolver_directory()?;
        let hints = directory
            .write(
                "root.hints",
                &format!(".  3600000 NS {root_name}\n{root_name} 3600000 A {root_address}\n"),
            )
            .map_err(|error| ProcessError::Spawn {
                program: "resolver".to_string(),
                error,
            })?;
        let mut arguments = vec![
            "--root-hints".to_string(),
            hints.display().to_string(),
            "--upstream-port".to_string(),
            port.to_string(),
        ];
        arguments.extend(extra.iter().map(|flag| flag.to_string()));
        Resolver::start_in(directory, address, &arguments)
    }

    /// `from_root` with a test's scripted server as the one root, named `ns.`, asked at its own
    /// address and port.
    pub fn from_scripted_root(
        address: SocketAddr,
        root: &crate::scripted_server::ScriptedServer,
        extra: &[&str],
    ) -> Result<Resolver, ProcessError> {
        let root = root.address;
        Resolver::from_root(address, "ns.", root.ip(), root.port(), extra)
    }

    fn start_in(
        directory: TempDir,
        address: SocketAddr,
        arguments: &[String],
    ) -> Result<Resolver, ProcessError> {
        let control = directory.path().join("control.sock");
        let mut all = vec![
            "--listen".to_string(),
            address.to_string(),
            "--control".to_string(),
            control.display().to_string(),
        ];
        all.extend(arguments.iter().cloned());
        let process = start_workspace_server("resolver", "resolver", &all)?;
        Ok(Resolver {
            address,
            control,
            process,
            _directory: directory,
        })
    }

    /// A resolver walking `lab` from the lab's root hints, every upstream query sent to the lab's port.
    pub fn iterating(
        lab: &Lab,
        address: SocketAddr,
        extra: &[&str],
    ) -> Result<Resolver, ProcessError> {
        let mut arguments = vec![
            "--root-hints".to_string(),
            lab.root_hints.display().to_string(),
            "--allow-loopback-upstream".to_string(),
            "--upstream-port".to_string(),
            lab.port.to_string(),
        ];
        arguments.extend(extra.iter().map(|argument| argument.to_string()));
        Resolver::start(address, &arguments)
    }

    /// The daemon's counters (`resolver --control PATH stats`), by name: `upstream.queries`,
    /// `cache.hits`... Panics when the control command fails: no test can judge without them.
    pub fn statistics(&self) -> HashMap<String, u64> {
        let output = Command::new(workspace_binary("resolver", "resolver"))
            .arg("--control")
            .arg(&self.control)
            .arg("stats")
            .output();
        let output = match output {
            Ok(output) if output.status.success() => output,
            Ok(output) => panic!(
                "resolver --control stats failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(error) => panic!("cannot run resolver --control stats: {error}"),
        };
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| {
                let (name, value) = line.split_once(' ')?;
                Some((name.to_string(), value.trim().parse().ok()?))
            })
            .collect()
    }

    /// One counter; 0 when the daemon does not report it.
    pub fn statistic(&self, name: &str) -> u64 {
        self.statistics().get(name).copied().unwrap_or(0)
    }

    /// Everything the resolver logged so far, for failure messages.
    pub fn output(&self) -> String {
        self.process.output()
    }
}
