//! What a user sees when a daemon cannot start: one line naming the problem and the fix, printed
//! last on stderr, and a non-zero exit. Each test provokes one such start.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::process::{Command, Output};

use e2e::{
    loopback_for, loopback_v4_for, record_skip, require_tool, workspace_binary, TestLabZones,
};

/// Runs a binary to its end (it must fail to start, so it ends by itself).
fn run(program: &Path, arguments: &[String], user: Option<&Path>) -> Output {
    let mut command = match user {
        // Run as nobody through setpriv: the test process is root.
        Some(setpriv) => {
            let mut command = Command::new(setpriv);
            command
                .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(program);
            command
        }
        None => Command::new(program),
    };
    command
        .args(arguments)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1");
    command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {}: {error}", program.display()))
}

/// The last stderr line, after checking the run failed.
fn failure_line(output: &Output) -> String {
    let errors = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "it started: {errors}");
    errors.lines().last().unwrap_or_default().to_string()
}

/// Holds UDP and TCP on `address`, as another server would.
fn hold(address: SocketAddr) -> (UdpSocket, TcpListener) {
    let udp = UdpSocket::bind(address).unwrap_or_else(|error| panic!("{address}: {error}"));
    let tcp = TcpListener::bind(address).unwrap_or_else(|error| panic!("{address}: {error}"));
    (udp, tcp)
}

#[test]
fn authority_on_a_taken_address_names_it_and_suggests_listen() {
    let address = loopback_for("authority_on_a_taken_address", 0);
    let _held = hold(address);
    let zone = e2e::binaries::workspace_root().join("zones/examples/example.test.yaml");
    let output = run(
        &workspace_binary("authority", "authority"),
        &[
            "--listen".to_string(),
            address.to_string(),
            zone.display().to_string(),
        ],
        None,
    );
    let last = failure_line(&output);
    assert!(
        last.starts_with(&format!("authority: cannot listen on {address}")),
        "{last}"
    );
    assert!(last.contains("already in use"), "{last}");
    assert!(last.contains("--listen"), "{last}");
}

#[test]
fn lab_that_cannot_bind_prints_its_error_last_and_alone() {
    let zones = TestLabZones::new().unwrap_or_else(|error| panic!("{error}"));
    let port = e2e::lab::unused_lab_port();
    let taken: SocketAddr = format!("{}0.1:{port}", e2e::lab::TEST_LAB_BLOCK)
        .parse()
        .unwrap_or_else(|error| panic!("{error}"));
    let _held = hold(taken);
    let output = run(
        &workspace_binary("authority", "authority"),
        &[
            "--lab".to_string(),
            zones.path().display().to_string(),
            "--port".to_string(),
            port.to_string(),
        ],
        None,
    );
    let last = failure_line(&output);
    assert!(
        last.starts_with(&format!("authority: cannot listen on {taken}")),
        "{last}"
    );
    let errors = String::from_utf8_lossy(&output.stderr);
    // The plan is logged only once bound: a failed start has none before its error.
    assert!(!errors.contains("lab plan:"), "{errors}");
    assert!(errors.lines().count() <= 2, "{errors}");
}

#[test]
fn resolver_on_a_taken_address_names_it_and_suggests_listen() {
    let address = loopback_for("resolver_on_a_taken_address", 0);
    let _held = hold(address);
    let output = run(
        &workspace_binary("resolver", "resolver"),
        &["--listen".to_string(), address.to_string()],
        None,
    );
    let last = failure_line(&output);
    assert!(
        last.starts_with(&format!("resolver: cannot listen on {address}")),
        "{last}"
    );
    assert!(last.contains("--listen"), "{last}");
}

#[test]
fn port_53_without_root_says_which_capability_or_port_to_use() {
    let test = "port_53_without_root";
    let setpriv = if is_root() {
        // Root binds anything: the test drops to nobody, who must be able to run the binaries.
        let Some(setpriv) = require_tool("setpriv") else {
            return;
        };
        Some(setpriv)
    } else {
        None
    };
    let unprivileged_start =
        std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
            .ok()
            .and_then(|text| text.trim().parse::<u16>().ok())
            .unwrap_or(1024);
    if unprivileged_start <= 53 {
        record_skip("this system lets anyone bind port 53 (net.ipv4.ip_unprivileged_port_start)");
        return;
    }
    let address = SocketAddr::new(loopback_v4_for(test, 0).into(), 53);
    for (package, arguments) in [
        (
            "authority",
            vec![
                "--listen".to_string(),
                address.to_string(),
                e2e::binaries::workspace_root()
                    .join("zones/examples/example.test.yaml")
                    .display()
                    .to_string(),
            ],
        ),
        (
            "resolver",
            vec!["--listen".to_string(), address.to_string()],
        ),
    ] {
        let output = run(
            &workspace_binary(package, package),
            &arguments,
            setpriv.as_deref(),
        );
        let last = failure_line(&output);
        assert!(
            last.starts_with(&format!("{package}: cannot listen on {address}")),
            "{last}"
        );
        assert!(last.contains("CAP_NET_BIND_SERVICE"), "{last}");
        assert!(last.contains("setcap 'cap_net_bind_service=+ep'"), "{last}");
        assert!(last.contains("another port"), "{last}");
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

#[test]
fn resolver_with_a_missing_control_directory_names_it_and_does_not_say_ready() {
    let address = loopback_for("resolver_with_a_missing_control_directory", 0);
    let output = run(
        &workspace_binary("resolver", "resolver"),
        &[
            "--listen".to_string(),
            address.to_string(),
            "--control".to_string(),
            "/nonexistent-e2e/control.sock".to_string(),
        ],
        None,
    );
    let last = failure_line(&output);
    assert!(
        last.contains("/nonexistent-e2e: no such directory"),
        "{last}"
    );
    assert!(last.contains("mkdir -p /nonexistent-e2e"), "{last}");
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(!errors.contains("ready"), "{errors}");
}

#[test]
fn missing_files_are_named_with_no_such_file() {
    let missing = "/nonexistent-e2e/file";
    let resolver = workspace_binary("resolver", "resolver");
    let address = loopback_for("missing_files_are_named", 0).to_string();
    let config = run(
        &resolver,
        &[
            "--listen".to_string(),
            address,
            "--config".to_string(),
            missing.to_string(),
        ],
        None,
    );
    assert_eq!(
        failure_line(&config),
        format!("resolver: {missing}: no such file")
    );
    let replay = run(
        &workspace_binary("resolver", "replay"),
        &[missing.to_string()],
        None,
    );
    assert_eq!(
        failure_line(&replay),
        format!("replay: {missing}: no such file")
    );
    let lab = run(
        &workspace_binary("authority", "authority"),
        &["--lab".to_string(), missing.to_string()],
        None,
    );
    assert!(
        failure_line(&lab).starts_with(&format!("authority: {missing}: no such directory")),
        "{}",
        failure_line(&lab)
    );
}

#[test]
fn benchtool_has_a_version_and_a_description() {
    let benchtool = workspace_binary("bench", "benchtool");
    let version = run(&benchtool, &["-V".to_string()], None);
    assert!(version.status.success());
    assert!(
        String::from_utf8_lossy(&version.stdout).starts_with("benchtool "),
        "{}",
        String::from_utf8_lossy(&version.stdout)
    );
    let help = run(&benchtool, &["--help".to_string()], None);
    assert!(
        String::from_utf8_lossy(&help.stdout).contains("benchmark harness"),
        "{}",
        String::from_utf8_lossy(&help.stdout)
    );
}

#[test]
fn resolver_with_min_ttl_above_max_ttl_refuses_to_start_in_one_line() {
    let address = e2e::loopback_for("resolver_with_min_ttl_above_max_ttl", 0);
    let arguments: Vec<String> = [
        "--listen",
        &address.to_string(),
        "--min-ttl",
        "100",
        "--max-ttl",
        "10",
    ]
    .iter()
    .map(|argument| argument.to_string())
    .collect();
    let output = run(
        &e2e::workspace_binary("resolver", "resolver"),
        &arguments,
        None,
    );
    let last = failure_line(&output);
    assert!(last.contains("min-ttl 100 is above max-ttl 10"), "{last}");
}
