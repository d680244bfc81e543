//! `authority --check`: load every file as the server would and list each problem as
//! `file:line: problem` (like named-checkzone). It never serves.

use crate::catalog::zones::ZoneSource;
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
    let mut report = CheckReport::default();
    for argument in arguments {
        let source = match ZoneSource::parse(argument) {
            Ok(source) => source,
            Err(error) => {
                report.errors.push(error);
                continue;
            }
        };
        match source.load() {
            Ok((_, warnings)) => {
                report.zones_ok += 1;
                report.warnings.extend(warnings);
            }
            Err(errors) => report.errors.extend(errors),
        }
    }
    report
}
