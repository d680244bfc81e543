//! `replay FILES...`: replays `.rpl` scenarios against the resolver, one `PASS`/`FAIL` line each,
//! then `N passed, M failed`. Exit 0 only when none failed; 2 on a usage error (clap's code).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Replay testbound/Deckard scenario files against the resolver.
#[derive(Parser)]
#[command(name = "replay")]
struct Arguments {
    /// Scenario files (`.rpl`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Also list, per scenario, the header options the resolver has no setting for and, for a failed
    /// scenario, every upstream exchange (query, address, which entry answered).
    #[arg(long)]
    verbose: bool,
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
    let summary = resolver::replay::run_files(&arguments.files, |report| {
        println!("{report}");
        if arguments.verbose {
            for option in &report.ignored_options {
                println!(
                    "  ignored header option `{}: {}` (line {})",
                    option.key, option.value, option.line
                );
            }
            if !report.passed() {
                for exchange in &report.exchanges {
                    println!("  {exchange}");
                }
            }
        }
    });
    println!("{} passed, {} failed", summary.passed, summary.failed);
    if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
