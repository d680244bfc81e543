//! The response-policy settings as given (flags, YAML, a scenario's `rpz:` clause): policy zones
//! with their options, `response-ip` and `response-ip-data` lines. Text only; `apply` builds them.

use std::fmt;
use std::path::{Path, PathBuf};

use hickory_proto::rr::Name;

use crate::limits::DEFAULT_RPZ_MAX_RECORDS;
use crate::policy::action::ActionOverride;
use crate::policy::rpz_zone::RpzOptions;
use crate::server::local_zone_table::ConfigLine;

/// Where a policy zone's text comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneText {
    /// Read at start and on reload.
    File(PathBuf),
    /// Given whole (a scenario's TEMPFILE), named `file` in errors.
    Inline { text: String, file: PathBuf },
}

/// One `rpz:` clause / `--rpz` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpzSource {
    pub name: Name,
    pub zone: ZoneText,
    pub options: RpzOptions,
}

/// Every policy setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicySettings {
    /// Policy zones, in the order they are consulted (the first match wins).
    pub zones: Vec<RpzSource>,
    /// `response-ip: CIDR ACTION` (or `CIDR=ACTION`).
    pub response_ip: Vec<ConfigLine>,
    /// `response-ip-data: CIDR "RR"` (or `CIDR=RR`), the owner left out as in Unbound.
    pub response_ip_data: Vec<ConfigLine>,
    /// The most records one policy zone may hold.
    pub max_records: usize,
}

impl Default for PolicySettings {
    fn default() -> Self {
        PolicySettings {
            zones: Vec::new(),
            response_ip: Vec::new(),
            response_ip_data: Vec::new(),
            max_records: DEFAULT_RPZ_MAX_RECORDS,
        }
    }
}

/// An `--rpz` entry that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpzEntryError {
    pub text: String,
    pub reason: String,
}

impl fmt::Display for RpzEntryError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:?}: {}", self.text, self.reason)
    }
}

impl std::error::Error for RpzEntryError {}

/// A zone name as given, absolute.
pub fn zone_name(text: &str) -> Option<Name> {
    let mut name = Name::from_ascii(text.trim().trim_matches('"')).ok()?;
    name.set_fqdn(true);
    Some(name)
}

/// unbound.conf's yes/no words.
pub fn switch(value: &str) -> Option<bool> {
    match value.trim().trim_matches('"').to_ascii_lowercase().as_str() {
        "yes" | "on" | "true" | "1" => Some(true),
        "no" | "off" | "false" | "0" => Some(false),
        _ => None,
    }
}

impl RpzSource {
    /// `NAME=FILE[,KEY=VALUE...]` with keys `action-override`, `cname-override`, `log`,
    /// `log-name`, `signal-nxdomain-ra` (Unbound's `rpz-` keys without the prefix). A relative
    /// FILE is taken from `directory`.
    pub fn parse(text: &str, directory: Option<&Path>) -> Result<RpzSource, RpzEntryError> {
        let error = |reason: &str| RpzEntryError {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        let mut parts = text.split(',');
        let head = parts.next().unwrap_or_default();
        let (name, file) = head
            .split_once('=')
            .ok_or_else(|| error("expected NAME=FILE[,KEY=VALUE...]"))?;
        let name = zone_name(name).ok_or_else(|| error("invalid zone name"))?;
        let mut file = PathBuf::from(file.trim());
        if let (true, Some(directory)) = (file.is_relative(), directory) {
            file = directory.join(file);
        }
        let mut options = RpzOptions::default();
        let (mut action, mut cname) = (None, None);
        for part in parts {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| error("expected KEY=VALUE after the file"))?;
            let value = value.trim();
            let flag = || switch(value).ok_or_else(|| error("expected yes or no"));
            match key.trim().trim_start_matches("rpz-") {
                "action-override" => action = Some(value.to_owned()),
                "cname-override" => {
                    cname = Some(zone_name(value).ok_or_else(|| error("invalid cname-override"))?)
                }
                "log" => options.log = flag()?,
                "log-name" => options.log_name = Some(value.to_owned()),
                "signal-nxdomain-ra" => options.signal_nxdomain_ra = flag()?,
                _ => return Err(error("unknown key (action-override, cname-override, log, log-name, signal-nxdomain-ra)")),
            }
        }
        if let Some(word) = action {
            options.action_override = Some(
                ActionOverride::parse(&word, cname.as_ref())
                    .map_err(|unknown| error(&unknown.to_string()))?,
            );
        }
        Ok(RpzSource {
            name,
            zone: ZoneText::File(file),
            options,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::action::PolicyAction;

    #[test]
    fn entries_read_name_file_and_options() {
        let source = RpzSource::parse(
            "rpz.example=block.rpz,action-override=nxdomain,log=yes,log-name=feed,signal-nxdomain-ra=yes",
            Some(Path::new("/etc/resolver")),
        )
        .unwrap();
        assert_eq!(source.name.to_string(), "rpz.example.");
        assert_eq!(
            source.zone,
            ZoneText::File(PathBuf::from("/etc/resolver/block.rpz"))
        );
        assert_eq!(
            source.options.action_override,
            Some(ActionOverride::Action(PolicyAction::NxDomain))
        );
        assert!(source.options.log && source.options.signal_nxdomain_ra);
        assert_eq!(source.options.log_name.as_deref(), Some("feed"));
        assert!(RpzSource::parse("rpz.example", None).is_err());
        assert!(RpzSource::parse("rpz.example=f,action-override=cname", None).is_err());
        assert!(RpzSource::parse("rpz.example=f,colour=blue", None).is_err());
    }
}
