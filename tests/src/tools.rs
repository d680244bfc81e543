//! Finding the Debian tools a test needs (dig, nsd, unbound, knotd...), or skipping the test.
//! A missing tool skips with a printed message, unless `DNS_TESTS_REQUIRE_TOOLS=1` makes it a failure.

use std::env;
use std::path::{Path, PathBuf};

/// Set to `1` (CI does) to turn a missing tool into a test failure instead of a skip.
pub const REQUIRE_TOOLS_VARIABLE: &str = "DNS_TESTS_REQUIRE_TOOLS";

/// Daemons live in sbin, which a non-root PATH often lacks.
const EXTRA_DIRECTORIES: [&str; 4] = ["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin"];

/// The tool's path, or `None` after printing "skipping: TOOL not installed".
/// Panics when the tool is missing and `DNS_TESTS_REQUIRE_TOOLS=1` is set.
///
/// ```no_run
/// let Some(dig) = e2e::require_tool("dig") else { return };
/// ```
pub fn require_tool(name: &str) -> Option<PathBuf> {
    if let Some(path) = find_tool(name) {
        return Some(path);
    }
    if env::var(REQUIRE_TOOLS_VARIABLE).is_ok_and(|value| value == "1") {
        panic!("{name} is not installed but {REQUIRE_TOOLS_VARIABLE}=1 requires it (apt-get install it, see .ci/run)");
    }
    println!("skipping: {name} not installed");
    eprintln!("skipping: {name} not installed");
    None
}

/// Looks in PATH, then in the sbin directories.
pub fn find_tool(name: &str) -> Option<PathBuf> {
    let path_directories = env::var_os("PATH")
        .map(|path| env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    path_directories
        .into_iter()
        .chain(EXTRA_DIRECTORIES.iter().map(PathBuf::from))
        .map(|directory| directory.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}
