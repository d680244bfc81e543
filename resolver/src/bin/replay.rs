//! `replay FILES...`: replays `.rpl` scenarios against the resolver, one `PASS`/`FAIL` line each,
//! then `N passed, M failed`. Exit 0 only when every scenario not expected to fail passed.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use resolver::replay::ExpectedFailures;

/// The expected-failures file committed next to the resolver crate's manifest.
const DEFAULT_EXPECTED_FAILURES: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/replay-expected-failures.txt");

/// Replay testbound/Deckard scenario files against the resolver.
///
/// Prints one PASS/FAIL line per scenario, then `N passed, M failed` on a line of its own, then
/// (when any) how many of the failed were `unsupported` (header keys or steps the resolver has no
/// equivalent for, with counts per key) and how many are expected failures. Exits 0 only when
/// every scenario not on the expected-failures list passed and no listed one passed; 1 otherwise;
/// 2 on a usage error or an unreadable expected-failures file.
#[derive(Parser)]
#[command(name = "replay")]
struct Arguments {
    /// Scenario files (`.rpl`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Expected-failures file (`name  reason` per line, `#` comments): scenarios that fail by a
    /// deliberate design difference. Default: resolver/replay-expected-failures.txt of the source
    /// tree this binary was built from, when it exists.
    #[arg(long, value_name = "FILE", conflicts_with = "no_expected_failures")]
    expected_failures: Option<PathBuf>,
    /// Use no expected-failures file: every failure counts.
    #[arg(long)]
    no_expected_failures: bool,
    /// Also list, per scenario, the header options ignored on purpose and, for a failed scenario,
    /// every upstream exchange (query, address, which entry answered).
    #[arg(long)]
    verbose: bool,
}

/// `println!` that ends the program quietly when standard output is gone (`replay ... | head`),
/// as ripgrep does, instead of panicking on the broken pipe; other write errors exit 2.
macro_rules! say {
    ($($argument:tt)*) => {{
        use std::io::Write as _;
        if let Err(error) = writeln!(std::io::stdout().lock(), $($argument)*) {
            if error.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            eprintln!("replay: writing the report: {error}");
            std::process::exit(2);
        }
    }};
}

fn main() -> ExitCode {
    let arguments = Arguments::parse();
    // RUST_LOG=debug shows the resolver's state transitions while a scenario replays.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    // A missing file is named the way the daemons name one, not as a parse error at line 0.
    let missing: Vec<_> = arguments
        .files
        .iter()
        .filter(|file| !file.exists())
        .collect();
    if !missing.is_empty() {
        for file in missing {
            eprintln!("replay: {}: no such file", file.display());
        }
        return ExitCode::FAILURE;
    }
    let expected = match expected_failures(&arguments) {
        Ok(expected) => expected,
        Err(error) => {
            eprintln!("replay: {error}");
            return ExitCode::from(2);
        }
    };
    let summary = resolver::replay::run_files(&arguments.files, &expected, |report| {
        match expected.reason(&report.name) {
            Some(reason) if !report.passed() => say!("{report} (expected: {reason})"),
            Some(_) => say!("{report} (passes but is listed as expected to fail)"),
            None => say!("{report}"),
        }
        if arguments.verbose {
            for option in &report.ignored_options {
                say!(
                    "  ignored header option `{}: {}` (line {})",
                    option.key,
                    option.value,
                    option.line
                );
            }
            if !report.passed() {
                for exchange in &report.exchanges {
                    say!("  {exchange}");
                }
            }
        }
    });
    say!("{} passed, {} failed", summary.passed, summary.failed);
    if summary.unsupported > 0 || summary.expected > 0 {
        let keys: Vec<String> = summary
            .unsupported_keys
            .iter()
            .map(|(key, count)| format!("{key} ×{count}"))
            .collect();
        say!(
            "of the failed: {} unsupported ({}), {} expected to fail",
            summary.unsupported,
            keys.join(", "),
            summary.expected
        );
    }
    for name in &summary.unexpected_passes {
        say!("error: {name} passes but is listed as expected to fail");
    }
    if summary.clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn expected_failures(
    arguments: &Arguments,
) -> Result<ExpectedFailures, resolver::replay::expected_failures::ExpectedFailuresError> {
    if arguments.no_expected_failures {
        return Ok(ExpectedFailures::default());
    }
    match &arguments.expected_failures {
        Some(path) => ExpectedFailures::read(path),
        None => {
            let default = std::path::Path::new(DEFAULT_EXPECTED_FAILURES);
            if default.exists() {
                ExpectedFailures::read(default)
            } else {
                Ok(ExpectedFailures::default())
            }
        }
    }
}
