//! `authority --check`: load every file as the server would and list each problem as
//! `file:line: problem` (like named-checkzone). It never serves.

use crate::catalog::zones::{LoadOptions, ZoneSource};
use crate::zone::error::{ZoneError, ZoneWarning};

/// The result of checking zone files.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub zones_ok: usize,
    pub errors: Vec<ZoneError>,
    pub warnings: Vec<ZoneWarning>,
}

/// Checks each `[ORIGIN=]PATH` argument; all errors of all files are collected.
pub fn check_files(arguments: &[String]) -> CheckReport {
    check_files_with(arguments, &LoadOptions::default())
}

/// `check_files` with the loading options the server would use (`--default-ns`). Warnings are
/// reported but are not errors: `--check` exits 0 on warnings alone.
pub fn check_files_with(arguments: &[String], options: &LoadOptions) -> CheckReport {
    let mut report = CheckReport::default();
    let mut sources = Vec::with_capacity(arguments.len());
    for argument in arguments {
        match ZoneSource::parse(argument) {
            Ok(source) => sources.push(source),
            Err(error) => report.errors.push(error),
        }
    }
    report
        .errors
        .extend(ZoneSource::duplicate_origins(&sources));
    for source in &sources {
        match source.load_with(options) {
            Ok((_, warnings)) => {
                report.zones_ok += 1;
                report.warnings.extend(warnings);
            }
            Err(errors) => report.errors.extend(errors),
        }
    }
    report
}
