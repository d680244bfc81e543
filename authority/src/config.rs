//! The authority's `--config FILE` (YAML): zones and their roles, transfer ACLs, NOTIFY targets,
//! TSIG keys, listen addresses, RRL, workers. Unknown keys and bad values are errors naming the line.

use std::collections::HashMap;
use std::fmt;
use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hickory_proto::rr::{LowerName, Name};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::limits::{MAX_CONFIG_FILE_BYTES, MAX_CONFIG_LIST_ENTRIES, MAX_PRIMARIES_PER_ZONE};
use crate::xfr::acl::{Acl, AclEntry, Prefix};
use crate::xfr::notify::NotifyTarget;
use crate::xfr::serial::SerialPolicy;
use crate::xfr::tsig::{Keyring, TsigKey};
use crate::xfr::TransferSettings;

type Entry = Spanned<String>;

/// `{name, algorithm, secret}`: a TSIG key written in the YAML itself.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    pub name: Entry,
    pub algorithm: Option<Entry>,
    pub secret: Entry,
}

/// One ACL rule: `{address: [PREFIX...], key: NAME}`, either part optional.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AclRule {
    #[serde(default)]
    pub address: Vec<Entry>,
    pub key: Option<Entry>,
}

/// A remote server: `{address: ADDR[:PORT], key: NAME}` (port 53 when left out).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteEntry {
    pub address: Entry,
    pub key: Option<Entry>,
}

/// One zone: a file we serve (primary), or a zone pulled from primaries (secondary).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ZoneEntry {
    pub file: Option<PathBuf>,
    pub origin: Option<Entry>,
    /// `primary` (the default) or `secondary`.
    pub role: Option<Entry>,
    pub allow_transfer: Option<Vec<AclRule>>,
    pub notify: Option<Vec<RemoteEntry>>,
    pub primaries: Option<Vec<RemoteEntry>>,
}

/// `rrl: {rate: N, slip: N}`.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RrlEntry {
    pub rate: u32,
    pub slip: Option<u32>,
}

/// The file as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    #[serde(default)]
    pub listen: Vec<Entry>,
    pub workers: Option<u16>,
    pub state_dir: Option<PathBuf>,
    pub serial_policy: Option<Entry>,
    pub rrl: Option<RrlEntry>,
    /// The memory one zone may take while loading (`8G`, `512M`); `--zone-max-memory` wins.
    pub zone_max_memory: Option<Entry>,
    #[serde(default)]
    pub keys: Vec<KeyEntry>,
    /// Files of BIND `key` clauses (`tsig-keygen` output).
    #[serde(default)]
    pub key_files: Vec<PathBuf>,
    /// The ACL of zones without their own.
    #[serde(default)]
    pub allow_transfer: Vec<AclRule>,
    /// The secondaries of zones without their own list.
    #[serde(default)]
    pub notify: Vec<RemoteEntry>,
    #[serde(default)]
    pub zones: Vec<ZoneEntry>,
}

/// Why a config file could not be used: the file, the line when known, and the problem.
#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<u64>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(formatter, ":{line}")?;
        }
        write!(formatter, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// A zone to pull from primaries (`xfr::secondary`).
pub use crate::xfr::secondary::SecondaryZone;

/// What the file (and the flags merged into it) asks the server to do.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub listen: Vec<SocketAddr>,
    pub workers: Option<u16>,
    pub state_directory: Option<PathBuf>,
    pub serial_policy: SerialPolicy,
    pub rrl: Option<(u32, u32)>,
    pub zone_memory_limit: Option<crate::zone::memory_limit::ZoneMemoryLimit>,
    /// `[ORIGIN=]FILE` arguments of primary zones, as the command line writes them.
    pub zones: Vec<String>,
    pub secondaries: Vec<SecondaryZone>,
    pub transfers: TransferSettings,
}

/// `ADDR[:PORT]`, port 53 when left out; IPv6 with a port as `[ADDR]:PORT`.
pub fn parse_remote_address(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    text.parse::<std::net::IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| format!("{text:?} is not ADDR or ADDR:PORT"))
}

impl ConfigFile {
    /// Reads `path`; relative paths inside are taken from the file's directory.
    pub fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
        let error = |line, message: String| ConfigError {
            file: path.to_path_buf(),
            line,
            message,
        };
        let file =
            std::fs::File::open(path).map_err(|io| error(None, format!("cannot read: {io}")))?;
        let mut text = String::new();
        let read = file
            .take(MAX_CONFIG_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|io| error(None, format!("cannot read: {io}")))?;
        if read as u64 > MAX_CONFIG_FILE_BYTES {
            return Err(error(
                None,
                format!("larger than {MAX_CONFIG_FILE_BYTES} bytes"),
            ));
        }
        let mut config =
            ConfigFile::parse(&text).map_err(|(line, message)| error(line, message))?;
        if let Some(directory) = path.parent() {
            let join = |file: &mut PathBuf| {
                if file.is_relative() {
                    *file = directory.join(&*file);
                }
            };
            config
                .zones
                .iter_mut()
                .filter_map(|zone| zone.file.as_mut())
                .for_each(join);
            config.key_files.iter_mut().for_each(join);
            if let Some(state) = config.state_dir.as_mut() {
                join(state);
            }
        }
        Ok(config)
    }

    /// Parses YAML text; the error carries the line when the parser knows it.
    pub fn parse(text: &str) -> Result<ConfigFile, (Option<u64>, String)> {
        if text
            .lines()
            .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
        {
            return Ok(ConfigFile::default());
        }
        let config: ConfigFile = serde_saphyr::from_str(text).map_err(|error| {
            let line = error
                .location()
                .map(|location| location.line())
                .filter(|line| *line > 0);
            (line, error.without_snippet().to_string())
        })?;
        for (key, length) in [
            ("listen", config.listen.len()),
            ("keys", config.keys.len()),
            ("key-files", config.key_files.len()),
            ("allow-transfer", config.allow_transfer.len()),
            ("notify", config.notify.len()),
            ("zones", config.zones.len()),
        ] {
            if length > MAX_CONFIG_LIST_ENTRIES {
                return Err((
                    None,
                    format!("`{key}` has more than {MAX_CONFIG_LIST_ENTRIES} entries"),
                ));
            }
        }
        Ok(config)
    }

    /// Checks every value and builds the settings; the first bad value is the error, with its line.
    pub fn settings(&self, path: &Path) -> Result<Settings, ConfigError> {
        let at = |entry: &Entry, message: String| ConfigError {
            file: path.to_path_buf(),
            line: Some(entry.referenced.line()).filter(|line| *line > 0),
            message,
        };
        let whole = |message: String| ConfigError {
            file: path.to_path_buf(),
            line: None,
            message,
        };
        let mut settings = Settings {
            workers: self.workers,
            state_directory: self.state_dir.clone(),
            rrl: self.rrl.map(|rrl| (rrl.rate, rrl.slip.unwrap_or(2))),
            ..Settings::default()
        };
        if self.workers == Some(0) {
            return Err(whole("`workers` must be at least 1".to_string()));
        }
        if let Some(entry) = &self.zone_max_memory {
            let limit = crate::zone::memory_limit::ZoneMemoryLimit::parse(&entry.value)
                .map_err(|problem| at(entry, format!("zone-max-memory: {problem}")))?;
            settings.zone_memory_limit = Some(limit);
        }
        for entry in &self.listen {
            let address = entry
                .value
                .parse::<SocketAddr>()
                .map_err(|_| at(entry, format!("listen: {:?} is not ADDR:PORT", entry.value)))?;
            settings.listen.push(address);
        }
        if let Some(entry) = &self.serial_policy {
            settings.serial_policy = SerialPolicy::parse(&entry.value).ok_or_else(|| {
                at(
                    entry,
                    format!(
                        "serial-policy: {:?}: use increment or unixtime",
                        entry.value
                    ),
                )
            })?;
        }
        // Keys first: ACLs and remotes name them.
        let mut keys = Vec::new();
        for entry in &self.keys {
            let algorithm = entry
                .algorithm
                .as_ref()
                .map_or("hmac-sha256", |algorithm| algorithm.value.as_str());
            let key = TsigKey::new(&entry.name.value, algorithm, &entry.secret.value)
                .map_err(|problem| at(&entry.name, problem.to_string()))?;
            keys.push(key);
        }
        for file in &self.key_files {
            let text = std::fs::read_to_string(file).map_err(|io| ConfigError {
                file: file.clone(),
                line: None,
                message: format!("cannot read key file: {io}"),
            })?;
            let parsed = TsigKey::parse_bind(&text).map_err(|problem| ConfigError {
                file: file.clone(),
                line: None,
                message: problem.to_string(),
            })?;
            keys.extend(parsed);
        }
        let keyring = Keyring::new(keys).map_err(|problem| whole(problem.to_string()))?;
        let key_named = |entry: &Entry| -> Result<Arc<TsigKey>, ConfigError> {
            let mut name = Name::from_ascii(&entry.value)
                .map_err(|_| at(entry, format!("{:?} is not a key name", entry.value)))?;
            name.set_fqdn(true);
            keyring.get(&name).cloned().ok_or_else(|| {
                at(
                    entry,
                    format!(
                        "no TSIG key named {:?} (define it under `keys` or in `key-files`)",
                        entry.value
                    ),
                )
            })
        };
        let acl =
            |rules: &[AclRule]| -> Result<Acl, ConfigError> {
                let mut acl = Acl::default();
                for rule in rules {
                    let mut entry = AclEntry::default();
                    for address in &rule.address {
                        entry.prefixes.push(address.value.parse::<Prefix>().map_err(
                            |problem| at(address, format!("allow-transfer: {problem}")),
                        )?);
                    }
                    if let Some(key) = &rule.key {
                        entry.key = Some(key_named(key)?.name.clone());
                    }
                    if entry.prefixes.is_empty() && entry.key.is_none() {
                        return Err(whole(
                            "an allow-transfer rule needs `address`, `key` or both".to_string(),
                        ));
                    }
                    acl.entries.push(entry);
                }
                Ok(acl)
            };
        let remotes = |entries: &[RemoteEntry]| -> Result<Vec<NotifyTarget>, ConfigError> {
            entries
                .iter()
                .map(|entry| {
                    Ok(NotifyTarget {
                        address: parse_remote_address(&entry.address.value)
                            .map_err(|problem| at(&entry.address, problem))?,
                        key: entry.key.as_ref().map(&key_named).transpose()?,
                    })
                })
                .collect()
        };
        settings.transfers.default_acl = acl(&self.allow_transfer)?;
        settings.transfers.default_notify = remotes(&self.notify)?;
        let mut seen: HashMap<LowerName, ()> = HashMap::new();
        for zone in &self.zones {
            let role = zone
                .role
                .as_ref()
                .map_or("primary", |role| role.value.as_str());
            let origin = match &zone.origin {
                Some(entry) => Some(
                    crate::zone::yaml_zone::parse_origin(&entry.value)
                        .map_err(|_| at(entry, format!("{:?} is not a zone name", entry.value)))?,
                ),
                None => None,
            };
            let origin = match (role, &zone.file, origin) {
                ("primary", _, _) if zone.primaries.is_some() => {
                    return Err(whole(
                        "`primaries` is for a secondary zone (add `role: secondary`)".to_string(),
                    ))
                }
                ("primary", Some(file), origin) => {
                    let argument = match &origin {
                        Some(origin) => format!("{origin}={}", file.display()),
                        None => file.display().to_string(),
                    };
                    let source = crate::catalog::zones::ZoneSource::parse(&argument)
                        .map_err(|problem| whole(problem.to_string()))?;
                    settings.zones.push(argument);
                    source.origin
                }
                ("primary", None, _) => {
                    return Err(whole("a primary zone needs `file`".to_string()))
                }
                ("secondary", Some(_), _) => {
                    return Err(whole(
                        "a secondary zone has no `file`: its copy is kept under `state-dir`"
                            .to_string(),
                    ))
                }
                ("secondary", None, Some(origin)) => {
                    let primaries = remotes(zone.primaries.as_deref().unwrap_or_default())?;
                    if primaries.is_empty() {
                        return Err(whole(format!("secondary zone {origin} needs `primaries`")));
                    }
                    if primaries.len() > MAX_PRIMARIES_PER_ZONE {
                        return Err(whole(format!(
                            "secondary zone {origin} lists more than {MAX_PRIMARIES_PER_ZONE} primaries"
                        )));
                    }
                    settings.secondaries.push(SecondaryZone {
                        origin: origin.clone(),
                        primaries,
                    });
                    origin
                }
                ("secondary", None, None) => {
                    return Err(whole("a secondary zone needs `origin`".to_string()))
                }
                (other, _, _) => {
                    let entry = zone
                        .role
                        .as_ref()
                        .ok_or_else(|| whole("bad role".to_string()))?;
                    return Err(at(
                        entry,
                        format!("role: {other:?}: use primary or secondary"),
                    ));
                }
            };
            if seen.insert(LowerName::new(&origin), ()).is_some() {
                return Err(whole(format!("zone {origin} listed twice")));
            }
            if let Some(rules) = &zone.allow_transfer {
                settings
                    .transfers
                    .zone_acls
                    .insert(LowerName::new(&origin), acl(rules)?);
            }
            if let Some(targets) = &zone.notify {
                settings
                    .transfers
                    .zone_notify
                    .insert(LowerName::new(&origin), remotes(targets)?);
            }
        }
        settings.transfers.keyring = keyring;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Result<Settings, ConfigError> {
        let config = ConfigFile::parse(text).map_err(|(line, message)| ConfigError {
            file: PathBuf::from("test.yaml"),
            line,
            message,
        })?;
        config.settings(Path::new("test.yaml"))
    }

    #[test]
    fn a_full_config_is_read() {
        let settings = settings(
            "listen: [\"127.0.0.1:5353\"]\nworkers: 2\nserial-policy: unixtime\nkeys:\n  - name: xfr-key\n    secret: c2VjcmV0\nallow-transfer:\n  - address: [192.0.2.0/24]\n  - key: xfr-key\nnotify:\n  - address: 192.0.2.1\n    key: xfr-key\nzones:\n  - file: example.test.yaml\n  - origin: other.test.\n    role: secondary\n    primaries:\n      - address: \"192.0.2.9:5300\"\n",
        )
        .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(settings.listen, vec!["127.0.0.1:5353".parse().unwrap()]);
        assert_eq!(settings.serial_policy, SerialPolicy::UnixTime);
        assert_eq!(settings.transfers.default_acl.entries.len(), 2);
        assert_eq!(
            settings.transfers.default_notify[0].address,
            "192.0.2.1:53".parse().unwrap()
        );
        assert!(settings.transfers.default_notify[0].key.is_some());
        assert_eq!(settings.zones, vec!["example.test.yaml".to_string()]);
        assert_eq!(
            settings.secondaries[0].primaries[0].address,
            "192.0.2.9:5300".parse().unwrap()
        );
    }

    #[test]
    fn secondary_zone_with_keyed_primaries_is_read_and_a_file_is_refused() {
        let settings = settings(
            "keys:\n  - name: k\n    secret: c2VjcmV0\nzones:\n  - origin: example.test.\n    role: secondary\n    primaries:\n      - address: 192.0.2.1\n        key: k\n      - address: \"[2001:db8::1]:5300\"\n",
        )
        .unwrap_or_else(|error| panic!("{error}"));
        let zone = &settings.secondaries[0];
        assert_eq!(zone.primaries.len(), 2);
        assert!(zone.primaries[0].key.is_some());
        assert_eq!(
            zone.primaries[1].address,
            "[2001:db8::1]:5300".parse().unwrap()
        );
        let error = settings_error(
            "zones:\n  - origin: example.test.\n    role: secondary\n    file: x.yaml\n    primaries: [{address: 192.0.2.1}]\n",
        );
        assert!(error.contains("no `file`"), "{error}");
        let error = settings_error("zones:\n  - origin: example.test.\n    role: secondary\n");
        assert!(error.contains("needs `primaries`"), "{error}");
    }

    fn settings_error(text: &str) -> String {
        match settings(text) {
            Ok(_) => panic!("accepted: {text}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn unknown_key_is_an_error_naming_its_line() {
        let error = settings("listen: []\nallow-transfers: []\n").unwrap_err();
        assert_eq!(error.line, Some(2), "{error}");
        assert!(error.message.contains("allow-transfers"), "{error}");
    }

    #[test]
    fn bad_prefix_and_unknown_key_name_are_errors_naming_the_line() {
        let error = settings("allow-transfer:\n  - address: [192.0.2.0/40]\n").unwrap_err();
        assert_eq!(error.line, Some(2), "{error}");
        let error = settings("notify:\n  - address: 192.0.2.1\n    key: nope\n").unwrap_err();
        assert_eq!(error.line, Some(3), "{error}");
        assert!(error.to_string().contains("no TSIG key named"), "{error}");
    }
}
