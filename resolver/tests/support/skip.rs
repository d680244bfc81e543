//! Recording a skipped test where `.ci/run` counts it: the same line and file as the e2e
//! harness's `record_skip` (tests/src/tools.rs), which this crate cannot depend on.

use std::io::Write;

/// `skipped: TEST: WHY` on stderr and, when `DNS_TESTS_SKIP_LOG` names a file, appended to it
/// (cargo test hides a passing test's output; the file is what `.ci/run` counts).
pub fn record_skip(why: &str) {
    let thread = std::thread::current();
    let line = format!(
        "skipped: {}: {why}\n",
        thread.name().unwrap_or("unnamed test")
    );
    eprint!("{line}");
    if let Some(path) = std::env::var_os("DNS_TESTS_SKIP_LOG") {
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(error) = appended {
            panic!("cannot record a skip in {path:?}: {error}");
        }
    }
}
