//! A zone's signing settings, read from `octodns: {dnssec: {...}}` on one of its apex records (the
//! place octoDNS keeps provider-specific settings, so octoDNS itself passes the file through).
//!
//! ```yaml
//! '':
//!   - type: NS
//!     values: [ns1.example.test.]
//!     octodns:
//!       dnssec:
//!         keys: keys/            # key directory, relative to the zone file (K<zone>+*.key/.private)
//!         denial: nsec3          # nsec (default) or nsec3 (RFC 9276: no salt, no extra iterations)
//!         opt-out: true          # nsec3 only: unsigned delegations get no NSEC3 (RFC 5155 §6)
//!         sign: false            # the lab: leave this zone unsigned (an insecure child)
//!         lab-fault: wrong-ds    # the lab: publish a DS that matches no key of this zone (bogus)
//! ```

use std::path::{Path, PathBuf};

use crate::zone::yaml_tree::{Node, NodeValue};

/// How non-existence is proved (RFC 4034 §4 NSEC, RFC 5155 NSEC3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DenialKind {
    #[default]
    Nsec,
    Nsec3 {
        opt_out: bool,
    },
}

/// A deliberate mistake the lab makes so resolvers show the "bogus" verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabFault {
    /// The parent publishes a DS for a key the zone does not have.
    WrongDs,
}

/// One zone's `dnssec:` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnssecConfig {
    /// The key directory (already joined to the zone file's directory), if the zone names one.
    pub keys: Option<PathBuf>,
    pub denial: DenialKind,
    /// `sign: false`: keep the zone unsigned (the lab's insecure child).
    pub sign: bool,
    pub lab_fault: Option<LabFault>,
    /// The line of the `dnssec:` key, for messages about the keys.
    pub line: u64,
}

const KEYS: [&str; 5] = ["keys", "denial", "opt-out", "sign", "lab-fault"];

/// Reads `dnssec:`'s mapping; `zone_file` anchors a relative key directory. Errors are
/// `(line, message)`, one per problem found.
pub fn read_config(node: &Node, zone_file: &Path) -> Result<DnssecConfig, Vec<(u64, String)>> {
    let mut errors = Vec::new();
    let mut config = DnssecConfig {
        keys: None,
        denial: DenialKind::Nsec,
        sign: true,
        lab_fault: None,
        line: node.line,
    };
    let NodeValue::Mapping(entries) = &node.value else {
        return Err(vec![(
            node.line,
            "`dnssec` must be a mapping (keys, denial, opt-out, sign)".to_string(),
        )]);
    };
    let mut opt_out = None;
    for (key, value) in entries {
        let name = key.as_scalar().unwrap_or_default();
        let text = value.as_scalar().map(str::trim);
        let boolean = text.and_then(|text| match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" => Some(true),
            "false" | "no" | "off" => Some(false),
            _ => None,
        });
        match name {
            "keys" => match text {
                Some(directory) if !directory.is_empty() => {
                    let base = zone_file.parent().unwrap_or(Path::new("."));
                    config.keys = Some(base.join(directory));
                }
                _ => errors.push((value.line, "`keys` must name a directory".to_string())),
            },
            "denial" => match text.map(str::to_ascii_lowercase).as_deref() {
                Some("nsec") => config.denial = DenialKind::Nsec,
                Some("nsec3") => config.denial = DenialKind::Nsec3 { opt_out: false },
                _ => errors.push((value.line, "`denial` must be nsec or nsec3".to_string())),
            },
            "opt-out" => match boolean {
                Some(flag) => opt_out = Some((flag, value.line)),
                None => errors.push((value.line, "`opt-out` must be true or false".to_string())),
            },
            "sign" => match boolean {
                Some(flag) => config.sign = flag,
                None => errors.push((value.line, "`sign` must be true or false".to_string())),
            },
            "lab-fault" => match text {
                Some("wrong-ds") => config.lab_fault = Some(LabFault::WrongDs),
                _ => errors.push((value.line, "`lab-fault` must be wrong-ds".to_string())),
            },
            other => {
                let suggestion = crate::zone::spelling::closest(other, &KEYS)
                    .map(|known| format!(" (did you mean `{known}`?)"))
                    .unwrap_or_default();
                errors.push((
                    key.line,
                    format!("unknown `dnssec` setting `{other}`{suggestion}"),
                ));
            }
        }
    }
    if let Some((flag, line)) = opt_out {
        match &mut config.denial {
            DenialKind::Nsec3 { opt_out } => *opt_out = flag,
            DenialKind::Nsec if flag => {
                errors.push((line, "`opt-out` needs `denial: nsec3`".to_string()))
            }
            DenialKind::Nsec => {}
        }
    }
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}
