//! The `resolver` daemon: parse the command line, run, map the outcome to an exit code.
//! All the work is in `resolver::server`; this file must stay this thin.

use std::process::ExitCode;

use clap::Parser;
use resolver::server::run::{init_logging, run};
use resolver::server::settings::Arguments;

/// mimalloc instead of glibc's malloc: a cold walk allocates ~70 times per name (hickory
/// messages, records, names), and glibc's malloc and free were 15 % of its instructions.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
