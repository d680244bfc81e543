//! The `authority` binary end to end: start it on its own loopback address, wait for the ready
//! line, query it with the real `dig` over UDP and TCP, reload it with SIGHUP, and `--check`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use crate::interop_nsd::tool_available;

/// Longest wait for a line we expect on the server's stderr (ready, reload done).
const LINE_WAIT: Duration = Duration::from_secs(20);

/// A running `authority`, killed by PID when dropped.
pub struct Server {
    child: Child,
    lines: Receiver<String>,
    /// The ready line, which names the addresses.
    ready: String,
    /// Every stderr line before the ready line.
    before_ready: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub fn start(address: &str, zones: &[&Path]) -> Server {
        Server::start_many(&[address], zones)
    }

    fn start_many(addresses: &[&str], zones: &[&Path]) -> Server {
        let mut arguments: Vec<String> = Vec::new();
        for address in addresses {
            arguments.push("--listen".into());
            arguments.push(address.to_string());
        }
        arguments.extend(zones.iter().map(|zone| zone.display().to_string()));
        Server::start_with(&arguments)
    }

    fn start_with(arguments: &[String]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_authority"));
        command.args(arguments);
        let mut child = command
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start authority");
        let stderr: ChildStderr = child.stderr.take().expect("stderr");
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            lines,
            ready: String::new(),
            before_ready: Vec::new(),
        };
        loop {
            match server.lines.recv_timeout(LINE_WAIT) {
                Ok(line) if line.contains("ready") => {
                    server.ready = line;
                    return server;
                }
                Ok(line) => server.before_ready.push(line),
                Err(_) => panic!(
                    "authority never got ready; saw:\n{}",
                    server.before_ready.join("\n")
                ),
            }
        }
    }

    /// Waits for a stderr line containing `needle`; panics with what was seen otherwise.
    fn wait_for(&self, needle: &str) -> String {
        let mut seen = Vec::new();
        loop {
            match self.lines.recv_timeout(LINE_WAIT) {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => seen.push(line),
                Err(_) => panic!(
                    "no line with {needle:?} from authority; saw:\n{}",
                    seen.join("\n")
                ),
            }
        }
    }
}

fn dig(address: &str, arguments: &[&str]) -> String {
    let (host, port) = address.split_once(':').unwrap();
    let output = Command::new("dig")
        .arg(format!("@{host}"))
        .arg("-p")
        .arg(port)
        .args(["+time=2", "+tries=2", "+norecurse"])
        .args(arguments)
        .output()
        .expect("run dig");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn example_zone() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../zones/examples/example.test.yaml")
}

#[test]
fn dig_gets_authoritative_answers_over_udp_and_tcp() {
    if !tool_available("dig") {
        return;
    }
    let address = "127.20.1.1:5300";
    let zone = example_zone();
    let server = Server::start(address, &[zone.as_path()]);
    assert!(
        server.ready.contains(address),
        "ready line names the address: {}",
        server.ready
    );

    let output = dig(address, &["web.example.test", "A"]);
    assert!(output.contains("status: NOERROR"), "{output}");
    assert!(output.contains(" aa"), "{output}");
    assert!(output.contains("192.0.2.80"), "{output}");

    let output = dig(address, &["+tcp", "www.example.test", "A"]);
    assert!(output.contains("status: NOERROR"), "{output}");
    assert!(output.contains("web.example.test."), "{output}");

    let output = dig(address, &["nothing.example.test", "A"]);
    assert!(output.contains("status: NXDOMAIN"), "{output}");

    let output = dig(address, &["host.sub.example.test", "A"]);
    assert!(output.contains("status: NOERROR"), "{output}");
    assert!(
        !output.contains(" aa"),
        "referral is not authoritative: {output}"
    );
    assert!(output.contains("AUTHORITY: 2"), "{output}");

    let output = dig(address, &["www.example.org", "A"]);
    assert!(output.contains("status: REFUSED"), "{output}");
}

#[test]
fn sighup_reloads_and_keeps_last_good_zone() {
    if !tool_available("dig") {
        return;
    }
    let directory = std::env::temp_dir().join(format!("authority-sighup-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let zone = directory.join("hup.test.yaml");
    std::fs::write(
        &zone,
        "'': {type: NS, value: ns.example.org.}\nwww: {type: A, value: 192.0.2.1}\n",
    )
    .unwrap();
    let address = "127.20.1.2:5300";
    let server = Server::start(address, &[zone.as_path()]);
    assert!(dig(address, &["+short", "www.hup.test", "A"]).contains("192.0.2.1"));

    std::fs::write(
        &zone,
        "'': {type: NS, value: ns.example.org.}\nwww: {type: A, value: 192.0.2.2}\n",
    )
    .unwrap();
    let status = Command::new("kill")
        .arg("-HUP")
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    server.wait_for("reload done");
    assert!(dig(address, &["+short", "www.hup.test", "A"]).contains("192.0.2.2"));

    std::fs::write(
        &zone,
        "'': {type: NS, value: ns.example.org.}\nwww: {type: A, value: broken}\n",
    )
    .unwrap();
    Command::new("kill")
        .arg("-HUP")
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    let error = server.wait_for("hup.test.yaml:2");
    assert!(error.contains("bad address"), "{error}");
    server.wait_for("reload done");
    assert!(
        dig(address, &["+short", "www.hup.test", "A"]).contains("192.0.2.2"),
        "last good data kept"
    );
    drop(server);
    std::fs::remove_dir_all(&directory).ok();
}

#[test]
fn check_flag_exits_zero_for_good_files_and_one_with_file_line_errors() {
    let good = Command::new(env!("CARGO_BIN_EXE_authority"))
        .arg("--check")
        .arg(example_zone())
        .output()
        .unwrap();
    assert_eq!(
        good.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&good.stdout)
    );

    let directory = std::env::temp_dir().join(format!("authority-check-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let bad = directory.join("bad.test.yaml");
    std::fs::write(&bad, "'': {type: NS, value: ns.example.org.}\nwww:\n  type: A\n  value: 1.2.3\nx: {type: NOPE, value: 1}\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_authority"))
        .arg("--check")
        .arg(&bad)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&directory).ok();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!("{}:4: bad address \"1.2.3\"", bad.display()),
            format!("{}:5: unknown record type \"NOPE\"", bad.display())
        ]
    );
}

#[test]
fn serves_ipv4_and_ipv6_addresses_together() {
    if !tool_available("dig") {
        return;
    }
    // ::1 has no per-test addresses, so this test owns a port nothing else in the suite uses.
    let addresses = ["127.20.1.3:5300", "[::1]:5391"];
    let zone = example_zone();
    let server = Server::start_many(&addresses, &[zone.as_path()]);
    for address in addresses {
        assert!(
            server.ready.contains(address),
            "ready line names {address}: {}",
            server.ready
        );
    }
    let output = Command::new("dig")
        .args([
            "@::1",
            "-p",
            "5391",
            "+time=2",
            "+tries=2",
            "+short",
            "web.example.test",
            "A",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stdout).contains("192.0.2.80"));
    assert!(dig("127.20.1.3:5300", &["+short", "web.example.test", "A"]).contains("192.0.2.80"));
}

#[test]
fn server_without_any_loadable_zone_exits_with_failure() {
    let output = Command::new(env!("CARGO_BIN_EXE_authority"))
        .args([
            "--listen",
            "127.20.1.4:5300",
            "/nonexistent/authority/missing.test.yaml",
        ])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("missing.test.yaml: no such file"),
        "{stderr}"
    );
    assert!(stderr.contains("no zone loaded"), "{stderr}");
}

/// A temporary directory of zone files, removed when dropped.
struct ZoneDirectory(PathBuf);

impl ZoneDirectory {
    fn new(name: &str) -> ZoneDirectory {
        let path =
            std::env::temp_dir().join(format!("authority-serve-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        ZoneDirectory(path)
    }

    fn write(&self, file: &str, text: &str) -> PathBuf {
        let path = self.0.join(file);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for ZoneDirectory {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

#[test]
fn broken_zone_among_several_is_servfail_and_named_on_stderr() {
    if !tool_available("dig") {
        return;
    }
    let directory = ZoneDirectory::new("broken");
    let broken = directory.write(
        "broken.test.yaml",
        "'': {type: NS, value: ns.example.org.}\nwww: {type: A, value: not-an-address}\n",
    );
    let address = "127.20.1.5:5300";
    let server = Server::start_with(&[
        "--listen".into(),
        address.into(),
        example_zone().display().to_string(),
        broken.display().to_string(),
    ]);
    let startup = server.before_ready.join("\n");
    assert!(
        startup.contains(&format!("{}:2: bad address", broken.display())),
        "{startup}"
    );
    assert!(
        startup.contains("zone broken.test. not loaded; answering SERVFAIL"),
        "{startup}"
    );
    let reply = dig(address, &["www.broken.test", "A"]);
    assert!(reply.contains("status: SERVFAIL"), "{reply}");
    assert!(dig(address, &["+short", "web.example.test", "A"]).contains("192.0.2.80"));
}

#[test]
fn same_origin_twice_on_the_command_line_is_refused() {
    let directory = ZoneDirectory::new("twice");
    let first = directory.write("a.yaml", "'': {type: NS, value: ns.example.org.}\n");
    let second = directory.write("b.yaml", "'': {type: NS, value: ns.example.org.}\n");
    let output = Command::new(env!("CARGO_BIN_EXE_authority"))
        .arg("--listen")
        .arg("127.20.1.6:5300")
        .arg(format!("twice.test={}", first.display()))
        .arg(format!("twice.test.={}", second.display()))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{}: zone twice.test. is given twice (first from {})",
            second.display(),
            first.display()
        )),
        "{stderr}"
    );
    let check = Command::new(env!("CARGO_BIN_EXE_authority"))
        .arg("--check")
        .arg(format!("twice.test={}", first.display()))
        .arg(format!("twice.test={}", second.display()))
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
}

#[test]
fn check_prints_warnings_with_file_and_line_and_exits_zero() {
    let directory = ZoneDirectory::new("warnings");
    let zone = directory.write(
        "warn.test.yaml",
        "'':\n  - {type: NS, value: ns1.warn.test.}\n  - {type: txt, value: a;b}\n",
    );
    let output = Command::new(env!("CARGO_BIN_EXE_authority"))
        .arg("--check")
        .arg(&zone)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let file = zone.display();
    for expected in [
        format!("warning: {file}:2: NS at warn.test. names ns1.warn.test., which is in this zone but has no A or AAAA record"),
        format!("warning: {file}:3: record type \"txt\" is not upper case"),
        format!("warning: {file}:3: TXT at \"\" has an unescaped `;`"),
    ] {
        assert!(stderr.contains(&expected), "{expected}\nnot in:\n{stderr}");
    }
}

#[test]
fn zone_without_apex_ns_needs_default_ns() {
    let directory = ZoneDirectory::new("default-ns");
    let zone = directory.write("bare.test.yaml", "www: {type: A, value: 192.0.2.1}\n");
    let refused = Command::new(env!("CARGO_BIN_EXE_authority"))
        .arg("--check")
        .arg(&zone)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert!(stdout.contains("--default-ns NAME"), "{stdout}");
    let accepted = Command::new(env!("CARGO_BIN_EXE_authority"))
        .args([
            "--check",
            "--default-ns",
            "ns1.example.org",
            "--default-ns",
            "ns2.example.org.",
        ])
        .arg(&zone)
        .output()
        .unwrap();
    assert_eq!(
        accepted.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&accepted.stdout)
    );
}
