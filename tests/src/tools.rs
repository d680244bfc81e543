//! Finding the Debian tools a test needs (dig, nsd, unbound, knotd...), or skipping the test.
//! A missing tool skips with a recorded message, unless `DNS_TESTS_REQUIRE_TOOLS=1` makes it a failure.

use std::env;
use std::io::Write;
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
    record_skip(&format!("{name} not installed"));
    None
}

/// Names a file (`.ci/run` sets it) to which every skipped test appends one line. A file, not
/// stdout: cargo test shows a passing test's output only with `--nocapture`, and then the lines of
/// parallel tests mix with everything else; an append of one short line is whole even when
/// several test binaries write at once.
pub const SKIP_LOG_VARIABLE: &str = "DNS_TESTS_SKIP_LOG";

/// Records that the running test skips: `skipped: TEST: WHY` on stderr (seen with
/// `--nocapture` or when the test fails) and in the `DNS_TESTS_SKIP_LOG` file, if set.
/// The test name is its thread's, as libtest names each test's thread.
pub fn record_skip(why: &str) {
    let thread = std::thread::current();
    let line = format!(
        "skipped: {}: {why}\n",
        thread.name().unwrap_or("unnamed test")
    );
    eprint!("{line}");
    if let Some(path) = env::var_os(SKIP_LOG_VARIABLE) {
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(error) = appended {
            panic!(
                "cannot record a skip in {}: {error}",
                Path::new(&path).display()
            );
        }
    }
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
