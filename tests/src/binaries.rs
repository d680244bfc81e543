//! Paths to the workspace's own binaries (authority, resolver), built once per test run.
//! `env!("CARGO_BIN_EXE_...")` only sees the current package's binaries, hence this.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// Packages already built by this process; the mutex also serialises the builds.
static BUILT: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// The workspace root: this crate lives in `<root>/tests`.
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// `target/debug` of the workspace (or `$CARGO_TARGET_DIR/debug`).
pub fn target_debug_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let target = if target.is_relative() {
        workspace_root().join(target)
    } else {
        target
    };
    target.join("debug")
}

/// Builds `package`'s binaries (`cargo build -p PACKAGE --bins`, once per test process) and returns
/// the path of `binary`. Panics with cargo's output when the build fails: no test can go on.
///
/// ```no_run
/// let authority = e2e::workspace_binary("authority", "authority");
/// ```
pub fn workspace_binary(package: &str, binary: &str) -> PathBuf {
    let mut built = BUILT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let built = built.get_or_insert_with(HashSet::new);
    if !built.contains(package) {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .args(["build", "--quiet", "-p", package, "--bins"])
            .current_dir(workspace_root())
            .output();
        match output {
            Ok(output) if output.status.success() => {}
            Ok(output) => panic!(
                "cargo build -p {package} --bins failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            ),
            Err(error) => panic!("cannot run cargo to build {package}: {error}"),
        }
        built.insert(package.to_string());
    }
    let path = target_debug_dir().join(binary);
    assert!(
        path.is_file(),
        "{} was not built by package {package}",
        path.display()
    );
    path
}
