//! The `resolver` daemon: parse the command line, run, map the outcome to an exit code.
//! All the work is in `resolver::server`; this file must stay this thin.

use std::process::ExitCode;

use clap::Parser;
use resolver::server::run::{init_logging, run};
use resolver::server::settings::Arguments;

fn main() -> ExitCode {
    let arguments = Arguments::parse();
    init_logging();
    match run(arguments) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("resolver: {error}");
            ExitCode::FAILURE
        }
    }
}
