//! Starts reference servers (NSD, Unbound, Knot) as peers: a minimal config in a private directory,
//! foreground, no chroot, no user switch, no remote control; ready once the UDP port answers.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use crate::client::{build_query, exchange_udp};
use crate::process::{Process, ProcessError, READY_TIMEOUT};
use crate::temp_dir::TempDir;
use crate::tools::find_tool;

/// Each readiness probe waits this long for an answer; READY_TIMEOUT / PROBE_TIMEOUT probes at most.
const PROBE_TIMEOUT: Duration = Duration::from_millis(200);

/// One zone in RFC 1035 master-file syntax.
#[derive(Clone, Debug)]
pub struct Zone {
    /// Absolute or relative origin, e.g. `example.test.`
    pub origin: String,
    pub text: String,
}

impl Zone {
    pub fn new(origin: &str, text: &str) -> Zone {
        Zone {
            origin: origin.trim_end_matches('.').to_string() + ".",
            text: text.to_string(),
        }
    }

    fn file_name(&self) -> String {
        let stem = self.origin.trim_end_matches('.');
        if stem.is_empty() {
            "root.zone".to_string()
        } else {
            format!("{stem}.zone")
        }
    }
}

#[derive(Debug)]
pub enum PeerError {
    NotInstalled(&'static str),
    Files {
        program: &'static str,
        error: std::io::Error,
    },
    Process(ProcessError),
    /// Running, but no answer to the readiness probe in time.
    NotAnswering {
        program: &'static str,
        address: SocketAddr,
        output: String,
    },
}

impl fmt::Display for PeerError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerError::NotInstalled(program) => write!(formatter, "{program} is not installed"),
            PeerError::Files { program, error } => write!(formatter, "cannot write {program}'s files: {error}"),
            PeerError::Process(error) => write!(formatter, "{error}"),
            PeerError::NotAnswering { program, address, output } => write!(
                formatter,
                "{program} did not answer on {address} within {READY_TIMEOUT:?}; its output:\n{output}"
            ),
        }
    }
}

impl std::error::Error for PeerError {}

/// A running peer; dropping it kills the process and removes its directory.
pub struct Peer {
    pub address: SocketAddr,
    // Field order: the process dies before its directory is removed.
    process: Process,
    directory: TempDir,
}

impl Peer {
    /// The peer's config and zone files (kept after the test with E2E_KEEP_TEMP=1).
    pub fn directory(&self) -> PathBuf {
        self.directory.path().to_path_buf()
    }

    /// Everything the peer logged so far.
    pub fn output(&self) -> String {
        self.process.output()
    }

    /// The peer's process ID (to send it a signal, e.g. SIGHUP to NSD to reread changed zone files).
    pub fn id(&self) -> u32 {
        self.process.id()
    }
}

/// NSD serving `zones` on `address` (UDP and TCP).
///
/// ```no_run
/// let zone = e2e::Zone::new("example.test.", "@ 3600 IN SOA ns hostmaster 1 3600 900 604800 300\n@ NS ns\nns A 192.0.2.1\n");
/// let nsd = e2e::start_nsd(e2e::loopback_for("my_test", 0), &[zone]).expect("nsd starts");
/// ```
pub fn start_nsd(address: SocketAddr, zones: &[Zone]) -> Result<Peer, PeerError> {
    const PROGRAM: &str = "nsd";
    let nsd = find_tool(PROGRAM).ok_or(PeerError::NotInstalled(PROGRAM))?;
    let directory = new_directory(PROGRAM)?;
    let path = directory.path().display().to_string();
    let mut config = format!(
        "server:\n  ip-address: {ip}@{port}\n  port: {port}\n  server-count: 1\n  username: \"\"\n  chroot: \"\"\n  \
         zonesdir: \"{path}\"\n  database: \"\"\n  pidfile: \"{path}/nsd.pid\"\n  xfrdfile: \"{path}/xfrd.state\"\n  \
         zonelistfile: \"{path}/zone.list\"\n  xfrdir: \"{path}\"\n  verbosity: 1\n  hide-version: yes\n\
         remote-control:\n  control-enable: no\n",
        ip = address.ip(),
        port = address.port(),
    );
    for zone in zones {
        write_file(&directory, PROGRAM, &zone.file_name(), &zone.text)?;
        config.push_str(&format!(
            "zone:\n  name: \"{}\"\n  zonefile: \"{}\"\n",
            zone.origin,
            zone.file_name()
        ));
    }
    let config_path = write_file(&directory, PROGRAM, "nsd.conf", &config)?;
    let mut command = Command::new(nsd);
    command.arg("-d").arg("-c").arg(config_path);
    let probe = zones.first().map(|zone| zone.origin.clone());
    start(PROGRAM, command, address, directory, probe)
}

/// What an Unbound peer should know beyond its defaults.
#[derive(Clone, Debug, Default)]
pub struct UnboundConfig {
    /// `stub-zone`s: (zone, authoritative servers), e.g. our authority on a loopback address.
    pub stub_zones: Vec<(String, Vec<SocketAddr>)>,
    /// `forward-zone`s: (zone, recursive servers).
    pub forward_zones: Vec<(String, Vec<SocketAddr>)>,
    /// Extra lines for the `server:` clause, e.g. `"qname-minimisation: no"`.
    pub server_lines: Vec<String>,
    /// `root-hints:` naming the test's own root servers instead of the built-in ones.
    pub root_hints: Option<PathBuf>,
    /// `trust-anchor-file:` (DS or DNSKEY records): turns on the validator module, with
    /// Extended DNS Errors in replies (`ede: yes`).
    pub trust_anchor_file: Option<PathBuf>,
    /// Whole clauses appended after the zones, e.g. an `rpz:` clause.
    pub clauses: Vec<String>,
}

/// Unbound on `address`: iterator only, unless `config.trust_anchor_file` adds the validator.
///
/// ```no_run
/// let authority = e2e::loopback_for("my_test", 0);
/// let config = e2e::UnboundConfig { stub_zones: vec![("example.test.".into(), vec![authority])], ..Default::default() };
/// let unbound = e2e::start_unbound(e2e::loopback_for("my_test", 1), &config).expect("unbound starts");
/// ```
pub fn start_unbound(address: SocketAddr, config: &UnboundConfig) -> Result<Peer, PeerError> {
    const PROGRAM: &str = "unbound";
    let unbound = find_tool(PROGRAM).ok_or(PeerError::NotInstalled(PROGRAM))?;
    let directory = new_directory(PROGRAM)?;
    let path = directory.path().display().to_string();
    // do-not-query-localhost: no, because the servers it asks are on 127/8 in tests.
    let mut text = format!(
        "server:\n  interface: {ip}@{port}\n  port: {port}\n  do-daemonize: no\n  chroot: \"\"\n  username: \"\"\n  \
         directory: \"{path}\"\n  pidfile: \"{path}/unbound.pid\"\n  use-syslog: no\n  logfile: \"\"\n  \
         verbosity: 1\n  num-threads: 1\n  do-not-query-localhost: no\n  \
         access-control: 127.0.0.0/8 allow\n  access-control: ::1 allow\n  do-ip6: {ip6}\n",
        ip = address.ip(),
        port = address.port(),
        ip6 = if address.is_ipv6() { "yes" } else { "no" },
    );
    // Unbound answers RFC 6761 names (test., invalid., ...) itself; let stub and forward zones
    // under them through by removing the default local zone of their top-level label.
    let zones = config.stub_zones.iter().chain(&config.forward_zones);
    let mut top_labels: Vec<&str> = zones
        .filter_map(|(zone, _)| zone.trim_end_matches('.').rsplit('.').next())
        .filter(|label| !label.is_empty())
        .collect();
    top_labels.sort_unstable();
    top_labels.dedup();
    for label in top_labels {
        text.push_str(&format!("  local-zone: \"{label}.\" nodefault\n"));
    }
    match &config.trust_anchor_file {
        Some(anchor) => text.push_str(&format!(
            "  module-config: \"validator iterator\"\n  trust-anchor-file: \"{}\"\n  ede: yes\n",
            anchor.display()
        )),
        None => text.push_str("  module-config: \"iterator\"\n"),
    }
    if let Some(hints) = &config.root_hints {
        text.push_str(&format!("  root-hints: \"{}\"\n", hints.display()));
    }
    for line in &config.server_lines {
        text.push_str(&format!("  {line}\n"));
    }
    text.push_str("remote-control:\n  control-enable: no\n");
    for (zone, servers) in &config.stub_zones {
        text.push_str(&format!("stub-zone:\n  name: \"{zone}\"\n"));
        for server in servers {
            text.push_str(&format!("  stub-addr: {}@{}\n", server.ip(), server.port()));
        }
    }
    for (zone, servers) in &config.forward_zones {
        text.push_str(&format!("forward-zone:\n  name: \"{zone}\"\n"));
        for server in servers {
            text.push_str(&format!(
                "  forward-addr: {}@{}\n",
                server.ip(),
                server.port()
            ));
        }
    }
    for clause in &config.clauses {
        text.push_str(clause);
        if !clause.ends_with('\n') {
            text.push('\n');
        }
    }
    let config_path = write_file(&directory, PROGRAM, "unbound.conf", &text)?;
    let mut command = Command::new(unbound);
    command.arg("-d").arg("-c").arg(config_path);
    // Unbound answers `localhost.` from its built-in local zone: an answer proves it is serving.
    start(
        PROGRAM,
        command,
        address,
        directory,
        Some("localhost.".to_string()),
    )
}

/// Knot DNS (`knotd`) serving `zones` on `address`.
pub fn start_knot(address: SocketAddr, zones: &[Zone]) -> Result<Peer, PeerError> {
    start_knot_with(address, zones, &[])
}

/// `start_knot` with extra lines for knot.conf's `server:` section, e.g. `"identity: ns1"`.
pub fn start_knot_with(
    address: SocketAddr,
    zones: &[Zone],
    server_lines: &[&str],
) -> Result<Peer, PeerError> {
    const PROGRAM: &str = "knotd";
    let knotd = find_tool(PROGRAM).ok_or(PeerError::NotInstalled(PROGRAM))?;
    let directory = new_directory(PROGRAM)?;
    let path = directory.path().display().to_string();
    let extra: String = server_lines
        .iter()
        .map(|line| format!("    {line}\n"))
        .collect();
    let mut config = format!(
        "server:\n    rundir: \"{path}\"\n    listen: {ip}@{port}\n{extra}\
         log:\n  - target: stderr\n    any: info\n\
         database:\n    storage: \"{path}\"\n\
         control:\n    listen: \"{path}/knot.sock\"\n\
         zone:\n",
        ip = address.ip(),
        port = address.port(),
    );
    for zone in zones {
        let file = write_file(&directory, PROGRAM, &zone.file_name(), &zone.text)?;
        config.push_str(&format!(
            "  - domain: \"{}\"\n    file: \"{}\"\n    zonefile-sync: -1\n    journal-content: none\n",
            zone.origin,
            file.display()
        ));
    }
    let config_path = write_file(&directory, PROGRAM, "knot.conf", &config)?;
    let mut command = Command::new(knotd);
    // knotd stays in the foreground unless given -d.
    command.arg("-c").arg(config_path);
    let probe = zones.first().map(|zone| zone.origin.clone());
    start(PROGRAM, command, address, directory, probe)
}

fn new_directory(program: &'static str) -> Result<TempDir, PeerError> {
    TempDir::new(program).map_err(|error| PeerError::Files { program, error })
}

fn write_file(
    directory: &TempDir,
    program: &'static str,
    name: &str,
    text: &str,
) -> Result<PathBuf, PeerError> {
    directory
        .write(name, text)
        .map_err(|error| PeerError::Files { program, error })
}

/// Spawns and waits until a SOA query for `probe` (or any query) gets an answer of the right kind:
/// NOERROR for a zone we asked the peer to serve, so a peer still loading is not taken as ready.
fn start(
    program: &'static str,
    command: Command,
    address: SocketAddr,
    directory: TempDir,
    probe: Option<String>,
) -> Result<Peer, PeerError> {
    let mut process = Process::spawn(command).map_err(PeerError::Process)?;
    let (name, record_type) = match &probe {
        Some(origin) if origin.as_str() == "localhost." => (origin.clone(), RecordType::A),
        Some(origin) => (origin.clone(), RecordType::SOA),
        None => (".".to_string(), RecordType::SOA),
    };
    let query = build_query(&name, record_type).map_err(|error| PeerError::NotAnswering {
        program,
        address,
        output: error.to_string(),
    })?;
    let deadline = Instant::now() + READY_TIMEOUT;
    while Instant::now() < deadline {
        process.check_running().map_err(PeerError::Process)?;
        if let Ok(reply) = exchange_udp(address, &query, PROBE_TIMEOUT) {
            if probe.is_none() || reply.metadata.response_code == ResponseCode::NoError {
                return Ok(Peer {
                    address,
                    process,
                    directory,
                });
            }
        }
    }
    Err(PeerError::NotAnswering {
        program,
        address,
        output: process.output(),
    })
}

/// A zone a peer copies from a primary (ours, in the transfer tests), optionally with a TSIG key
/// (hmac-sha256, `name`, base64 `secret`) for its transfers and NOTIFYs.
#[derive(Clone, Debug)]
pub struct SecondaryZone {
    pub origin: String,
    pub primary: SocketAddr,
    pub key: Option<(String, String)>,
}

/// NSD as a secondary of `zone.primary` on `address`: requests transfers from, and accepts
/// NOTIFY from, the primary only; its transfers leave from `address` (`outgoing-interface`).
/// Ready once it serves the zone (after its first transfer).
pub fn start_nsd_secondary(address: SocketAddr, zone: &SecondaryZone) -> Result<Peer, PeerError> {
    const PROGRAM: &str = "nsd";
    let nsd = find_tool(PROGRAM).ok_or(PeerError::NotInstalled(PROGRAM))?;
    let directory = new_directory(PROGRAM)?;
    let path = directory.path().display().to_string();
    let primary = zone.primary;
    let (key_clause, key_name) = match &zone.key {
        Some((name, secret)) => (
            format!("key:\n  name: \"{name}\"\n  algorithm: hmac-sha256\n  secret: \"{secret}\"\n"),
            name.clone(),
        ),
        None => (String::new(), "NOKEY".to_string()),
    };
    let config = format!(
        "server:\n  ip-address: {ip}@{port}\n  port: {port}\n  server-count: 1\n  username: \"\"\n  chroot: \"\"\n  \
         zonesdir: \"{path}\"\n  database: \"\"\n  pidfile: \"{path}/nsd.pid\"\n  xfrdfile: \"{path}/xfrd.state\"\n  \
         zonelistfile: \"{path}/zone.list\"\n  xfrdir: \"{path}\"\n  verbosity: 2\n  hide-version: yes\n\
         remote-control:\n  control-enable: no\n{key_clause}\
         zone:\n  name: \"{origin}\"\n  zonefile: \"{origin}zone\"\n  outgoing-interface: {ip}\n  \
         request-xfr: {primary_ip}@{primary_port} {key_name}\n  allow-notify: {primary_ip} {key_name}\n",
        ip = address.ip(),
        port = address.port(),
        origin = zone.origin,
        primary_ip = primary.ip(),
        primary_port = primary.port(),
    );
    let config_path = write_file(&directory, PROGRAM, "nsd.conf", &config)?;
    let mut command = Command::new(nsd);
    command.arg("-d").arg("-c").arg(config_path);
    start(
        PROGRAM,
        command,
        address,
        directory,
        Some(zone.origin.clone()),
    )
}

/// Knot as a secondary of `zone.primary` on `address` (transfers leave from `address`: `via`).
pub fn start_knot_secondary(address: SocketAddr, zone: &SecondaryZone) -> Result<Peer, PeerError> {
    const PROGRAM: &str = "knotd";
    let knotd = find_tool(PROGRAM).ok_or(PeerError::NotInstalled(PROGRAM))?;
    let directory = new_directory(PROGRAM)?;
    let path = directory.path().display().to_string();
    let (key_clause, key_line) = match &zone.key {
        Some((name, secret)) => (
            format!("key:\n  - id: {name}\n    algorithm: hmac-sha256\n    secret: {secret}\n"),
            format!("    key: {name}\n"),
        ),
        None => (String::new(), String::new()),
    };
    let config = format!(
        "server:\n    rundir: \"{path}\"\n    listen: {ip}@{port}\n\
         log:\n  - target: stderr\n    any: info\n\
         database:\n    storage: \"{path}\"\n\
         control:\n    listen: \"{path}/knot.sock\"\n{key_clause}\
         remote:\n  - id: primary\n    address: {primary_ip}@{primary_port}\n    via: {ip}\n{key_line}\
         acl:\n  - id: notify_from_primary\n    address: {primary_ip}\n    action: notify\n{key_line}\
         zone:\n  - domain: \"{origin}\"\n    file: \"{path}/{origin}zone\"\n    master: primary\n    \
         acl: notify_from_primary\n    zonefile-sync: -1\n",
        ip = address.ip(),
        port = address.port(),
        origin = zone.origin,
        primary_ip = zone.primary.ip(),
        primary_port = zone.primary.port(),
    );
    let config_path = write_file(&directory, PROGRAM, "knot.conf", &config)?;
    let mut command = Command::new(knotd);
    command.arg("-c").arg(config_path);
    start(
        PROGRAM,
        command,
        address,
        directory,
        Some(zone.origin.clone()),
    )
}

/// BIND (`named -g`) as a secondary of `zone.primary` on `address` (transfers, SOA queries and
/// NOTIFY answers from `address`).
pub fn start_bind_secondary(address: SocketAddr, zone: &SecondaryZone) -> Result<Peer, PeerError> {
    const PROGRAM: &str = "named";
    let named = find_tool(PROGRAM).ok_or(PeerError::NotInstalled(PROGRAM))?;
    let directory = new_directory(PROGRAM)?;
    let path = directory.path().display().to_string();
    let origin = zone.origin.trim_end_matches('.');
    let (key_clause, key_use) = match &zone.key {
        Some((name, secret)) => (
            format!("key \"{name}\" {{ algorithm hmac-sha256; secret \"{secret}\"; }};\n"),
            format!(" key \"{name}\""),
        ),
        None => (String::new(), String::new()),
    };
    let config = format!(
        "options {{\n  directory \"{path}\";\n  pid-file \"{path}/named.pid\";\n  \
         listen-on port {port} {{ {ip}; }};\n  listen-on-v6 {{ none; }};\n  recursion no;\n  notify no;\n  \
         dnssec-validation no;\n  transfer-source {ip};\n  query-source address {ip};\n  \
         session-keyfile \"{path}/session.key\";\n}};\ncontrols {{ }};\n{key_clause}\
         zone \"{origin}\" {{\n  type secondary;\n  file \"{path}/{origin}.db\";\n  \
         primaries port {primary_port} {{ {primary_ip}{key_use}; }};\n  allow-notify {{ {primary_ip}; }};\n}};\n",
        ip = address.ip(),
        port = address.port(),
        primary_ip = zone.primary.ip(),
        primary_port = zone.primary.port(),
    );
    let config_path = write_file(&directory, PROGRAM, "named.conf", &config)?;
    let mut command = Command::new(named);
    command.arg("-g").arg("-c").arg(config_path);
    start(
        PROGRAM,
        command,
        address,
        directory,
        Some(zone.origin.clone()),
    )
}

/// A zone a peer serves as the primary of one secondary (ours, in the secondary tests): it
/// NOTIFYs `secondary` and lets it transfer, with a TSIG key (hmac-sha256, `name`, base64 `secret`)
/// when given. NOTIFYs leave from the peer's own address, so the secondary can check the source.
#[derive(Clone, Debug)]
pub struct PrimaryZone {
    pub zone: Zone,
    pub secondary: SocketAddr,
    pub key: Option<(String, String)>,
}

/// NSD as the primary of `primary.zone` on `address`. NSD rereads a changed zone file on SIGHUP
/// (`Peer::id`) and then NOTIFYs; it serves IXFR only from version 4.7 on (`create-ixfr`), so an
/// older one answers an IXFR with the whole zone.
pub fn start_nsd_primary(address: SocketAddr, primary: &PrimaryZone) -> Result<Peer, PeerError> {
    const PROGRAM: &str = "nsd";
    let nsd = find_tool(PROGRAM).ok_or(PeerError::NotInstalled(PROGRAM))?;
    let directory = new_directory(PROGRAM)?;
    let path = directory.path().display().to_string();
    let zone = &primary.zone;
    write_file(&directory, PROGRAM, &zone.file_name(), &zone.text)?;
    let (key_clause, key_name) = match &primary.key {
        Some((name, secret)) => (
            format!("key:\n  name: \"{name}\"\n  algorithm: hmac-sha256\n  secret: \"{secret}\"\n"),
            name.clone(),
        ),
        None => (String::new(), "NOKEY".to_string()),
    };
    let config = format!(
        "server:\n  ip-address: {ip}@{port}\n  port: {port}\n  server-count: 1\n  username: \"\"\n  chroot: \"\"\n  \
         zonesdir: \"{path}\"\n  database: \"\"\n  pidfile: \"{path}/nsd.pid\"\n  xfrdfile: \"{path}/xfrd.state\"\n  \
         zonelistfile: \"{path}/zone.list\"\n  xfrdir: \"{path}\"\n  verbosity: 2\n  hide-version: yes\n\
         remote-control:\n  control-enable: no\n{key_clause}\
         zone:\n  name: \"{origin}\"\n  zonefile: \"{file}\"\n  outgoing-interface: {ip}\n  \
         notify: {secondary_ip}@{secondary_port} {key_name}\n  provide-xfr: {secondary_ip} {key_name}\n",
        ip = address.ip(),
        port = address.port(),
        origin = zone.origin,
        file = zone.file_name(),
        secondary_ip = primary.secondary.ip(),
        secondary_port = primary.secondary.port(),
    );
    let config_path = write_file(&directory, PROGRAM, "nsd.conf", &config)?;
    let mut command = Command::new(nsd);
    command.arg("-d").arg("-c").arg(config_path);
    start(
        PROGRAM,
        command,
        address,
        directory,
        Some(zone.origin.clone()),
    )
}

/// Knot as the primary of `primary.zone` on `address`, with IXFR from the differences between
/// zone file versions (`zonefile-load: difference`); `knotc -s DIR/knot.sock zone-reload ZONE`
/// (`Peer::directory`) rereads the file and NOTIFYs.
pub fn start_knot_primary(address: SocketAddr, primary: &PrimaryZone) -> Result<Peer, PeerError> {
    const PROGRAM: &str = "knotd";
    let knotd = find_tool(PROGRAM).ok_or(PeerError::NotInstalled(PROGRAM))?;
    let directory = new_directory(PROGRAM)?;
    let path = directory.path().display().to_string();
    let zone = &primary.zone;
    let file = write_file(&directory, PROGRAM, &zone.file_name(), &zone.text)?;
    let (key_clause, key_line) = match &primary.key {
        Some((name, secret)) => (
            format!("key:\n  - id: {name}\n    algorithm: hmac-sha256\n    secret: {secret}\n"),
            format!("    key: {name}\n"),
        ),
        None => (String::new(), String::new()),
    };
    let config = format!(
        "server:\n    rundir: \"{path}\"\n    listen: {ip}@{port}\n\
         log:\n  - target: stderr\n    any: info\n\
         database:\n    storage: \"{path}\"\n\
         control:\n    listen: \"{path}/knot.sock\"\n{key_clause}\
         remote:\n  - id: secondary\n    address: {secondary_ip}@{secondary_port}\n    via: {ip}\n{key_line}\
         acl:\n  - id: transfer_to_secondary\n    address: {secondary_ip}\n    action: transfer\n{key_line}\
         zone:\n  - domain: \"{origin}\"\n    file: \"{file}\"\n    notify: secondary\n    \
         acl: transfer_to_secondary\n    zonefile-load: difference\n    zonefile-sync: -1\n",
        ip = address.ip(),
        port = address.port(),
        origin = zone.origin,
        file = file.display(),
        secondary_ip = primary.secondary.ip(),
        secondary_port = primary.secondary.port(),
    );
    let config_path = write_file(&directory, PROGRAM, "knot.conf", &config)?;
    let mut command = Command::new(knotd);
    command.arg("-c").arg(config_path);
    start(
        PROGRAM,
        command,
        address,
        directory,
        Some(zone.origin.clone()),
    )
}
