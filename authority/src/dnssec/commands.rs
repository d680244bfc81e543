//! The signing subcommands behind the thin binary: `authority keygen`, `authority ds` and
//! `authority --print-signed`. Each returns the text to print or the error to show.

use std::path::{Path, PathBuf};

use hickory_proto::dnssec::Algorithm;
use hickory_proto::rr::Name;

use crate::catalog::zones::{LoadOptions, ZoneSource};
use crate::dnssec::keys::{generate_key, load_zone_keys, KeyRole};
use crate::dnssec::master::{ds_lines, signed_master_file};
use crate::zone::yaml_zone::parse_origin;

fn zone_name(text: &str) -> Result<Name, String> {
    parse_origin(text).map_err(|problem| format!("{text}: {problem}"))
}

/// `authority keygen ZONE --algorithm ALG --role ROLE --dir DIR`: writes a key pair and returns
/// the `.key` file's name.
pub fn keygen(
    zone: &str,
    algorithm: Algorithm,
    role: KeyRole,
    directory: &Path,
) -> Result<String, String> {
    let zone = zone_name(zone)?;
    let public =
        generate_key(&zone, algorithm, role, directory).map_err(|error| error.to_string())?;
    Ok(format!("{}\n", public.display()))
}

/// `authority ds ZONE --dir DIR [--output FILE]`: the DS lines of the zone's SEP keys (SHA-256),
/// also written to FILE (default `DIR/dsset-<zone>.`, the name dnssec-signzone uses).
pub fn ds(zone: &str, directory: &Path, output: Option<&Path>) -> Result<String, String> {
    let zone = zone_name(zone)?;
    let keys = load_zone_keys(directory, &zone).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let entry_points: Vec<_> = keys
        .iter()
        .filter(|key| key.is_secure_entry_point())
        .collect();
    let chosen = if entry_points.is_empty() {
        keys.iter().collect()
    } else {
        entry_points
    };
    let records: Vec<_> = chosen.iter().filter_map(|key| key.ds(&zone)).collect();
    let text = ds_lines(&zone, &records, None);
    let path: PathBuf = output.map_or_else(
        || directory.join(format!("dsset-{}", zone.to_lowercase().to_ascii())),
        Path::to_path_buf,
    );
    std::fs::write(&path, &text).map_err(|error| format!("{}: {error}", path.display()))?;
    Ok(text)
}

/// `authority --print-signed [ORIGIN=]FILE`: the zone loaded and signed as the server would, as a
/// master file.
pub fn print_signed(argument: &str, options: &LoadOptions) -> Result<String, String> {
    let source = ZoneSource::parse(argument).map_err(|error| error.to_string())?;
    let (zone, _) = source.load_with(options).map_err(|errors| {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    if zone
        .dnssec
        .as_ref()
        .and_then(|dnssec| dnssec.chain.as_ref())
        .is_none()
    {
        return Err(format!(
            "{}: zone {} is not signed (give it `octodns: {{dnssec: {{keys: DIR}}}}` on an apex record)",
            source.path.display(),
            zone.origin
        ));
    }
    Ok(signed_master_file(&zone))
}
