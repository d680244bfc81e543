//! Maps a scenario's header options onto `ResolverConfig` (stub-addr → root hint, qmin, do-ip4/6...).
//! Options the resolver has no setting for are kept in `ignored`, never silently dropped.

use std::net::IpAddr;

use hickory_proto::rr::{Name, RData, RecordType};

use crate::config::{ResolverConfig, RootHint};
use crate::replay::error::ParseErrorKind;
use crate::replay::scenario::{HeaderOption, Scenario};

/// The root server name used when the scenario's priming answer does not name the stub address.
pub const DEFAULT_ROOT_NAME: &str = "K.ROOT-SERVERS.NET.";

/// What the runner needs from a header.
#[derive(Clone, Debug)]
pub struct ReplayConfig {
    pub resolver: ResolverConfig,
    /// The `stub-addr`: the (only) root hint, and the one loopback address a lab may always query.
    pub stub_address: Option<IpAddr>,
    /// Unbound's `do-not-query-localhost` (default on): a query to another 127/8 or ::1 address fails.
    pub do_not_query_localhost: bool,
    /// Options recognised but without a resolver setting, and options not recognised at all.
    pub ignored: Vec<HeaderOption>,
}

/// Builds the resolver settings for `scenario`; a known option with an unusable value is an error.
pub fn replay_config(scenario: &Scenario) -> Result<ReplayConfig, (usize, ParseErrorKind)> {
    let mut config = ReplayConfig {
        resolver: ResolverConfig::default(),
        stub_address: None,
        do_not_query_localhost: true,
        ignored: Vec::new(),
    };
    // Deckard's defaults ("Configuration" table of the scenario guide): qmin on, both families.
    config.resolver.qname_minimisation = true;
    config.resolver.do_ip4 = true;
    config.resolver.do_ip6 = true;
    for option in &scenario.options {
        let bad = || {
            (
                option.line,
                ParseErrorKind::BadOptionValue {
                    key: option.key.clone(),
                    value: option.value.clone(),
                },
            )
        };
        match option.key.as_str() {
            "stub-addr" => {
                let address = option
                    .value
                    .parse::<IpAddr>()
                    .map_err(|_| bad())?
                    .to_canonical();
                config.stub_address = Some(address);
            }
            "query-minimization" => {
                config.resolver.qname_minimisation = switch(&option.value).ok_or_else(bad)?
            }
            "do-ip6" => config.resolver.do_ip6 = switch(&option.value).ok_or_else(bad)?,
            "do-ip4" => config.resolver.do_ip4 = switch(&option.value).ok_or_else(bad)?,
            "do-not-query-localhost" => {
                config.do_not_query_localhost = switch(&option.value).ok_or_else(bad)?;
                config.resolver.allow_loopback_upstream = !config.do_not_query_localhost;
            }
            // kresd's `features: min_ttl = 300` lines (Deckard's kresd template).
            "features" => {
                let Some((feature, value)) = option.value.split_once('=') else {
                    config.ignored.push(option.clone());
                    continue;
                };
                let seconds = || value.trim().parse::<u32>().map_err(|_| bad());
                match feature.trim() {
                    "min_ttl" => config.resolver.min_ttl = seconds()?,
                    "max_ttl" => config.resolver.max_ttl = seconds()?,
                    _ => config.ignored.push(option.clone()),
                }
            }
            _ => config.ignored.push(option.clone()),
        }
    }
    if let Some(address) = config.stub_address {
        let name = root_name_for(scenario, address).unwrap_or_else(|| {
            Name::from_ascii(DEFAULT_ROOT_NAME).unwrap_or_else(|_| Name::root())
        });
        config.resolver.root_hints = vec![RootHint { name, address }];
    }
    Ok(config)
}

/// `on`/`off`, `yes`/`no`, `true`/`false`, as Unbound's config parser accepts.
fn switch(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" | "1" => Some(true),
        "off" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// The root server name the scenario itself gives the stub address: the NS target of a `. NS` answer
/// whose address record (in the same entry) is the stub address.
fn root_name_for(scenario: &Scenario, address: IpAddr) -> Option<Name> {
    let entries = scenario
        .ranges
        .iter()
        .filter(|range| range.serves(address))
        .flat_map(|range| &range.entries);
    for entry in entries {
        let asks_root_ns = entry
            .question
            .first()
            .is_some_and(|query| query.name().is_root() && query.query_type() == RecordType::NS);
        if !asks_root_ns {
            continue;
        }
        for record in &entry.answer {
            let RData::NS(target) = &record.data else {
                continue;
            };
            let has_stub_address = entry.additional.iter().any(|glue| {
                glue.name == target.0
                    && match &glue.data {
                        RData::A(a) => IpAddr::V4(a.0) == address,
                        RData::AAAA(aaaa) => IpAddr::V6(aaaa.0) == address,
                        _ => false,
                    }
            });
            if has_stub_address {
                return Some(target.0.clone());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::parser::parse_str;
    use std::path::Path;

    fn config_of(header: &str) -> Result<ReplayConfig, (usize, ParseErrorKind)> {
        let text = format!(
            "{header}CONFIG_END\nSCENARIO_BEGIN t\nRANGE_BEGIN 0 100\nADDRESS 1.1.1.1\nENTRY_BEGIN\n\
             MATCH opcode qtype qname\nSECTION QUESTION\n. IN NS\nSECTION ANSWER\n. NS a.root.\n\
             SECTION ADDITIONAL\na.root. A 1.1.1.1\nENTRY_END\nRANGE_END\nSCENARIO_END\n"
        );
        let scenario = parse_str("t", Path::new("t.rpl"), &text).unwrap();
        replay_config(&scenario)
    }

    #[test]
    fn stub_address_becomes_the_root_hint_named_by_the_priming_answer() {
        let config = config_of("stub-addr: 1.1.1.1\n").unwrap();
        let hints = &config.resolver.root_hints;
        assert_eq!(hints.len(), 1);
        assert_eq!(hints[0].name.to_string(), "a.root.");
        assert_eq!(hints[0].address.to_string(), "1.1.1.1");
        let other = config_of("stub-addr: 9.9.9.9\n").unwrap();
        assert_eq!(
            other.resolver.root_hints[0].name.to_string(),
            DEFAULT_ROOT_NAME
        );
    }

    #[test]
    fn switches_and_ttl_features_map_onto_resolver_settings() {
        let config = config_of(
            "do-ip6: no\nquery-minimization: off\nfeatures: min_ttl = 300\nfeatures: max_ttl = 600\n",
        )
        .unwrap();
        assert!(!config.resolver.do_ip6 && config.resolver.do_ip4);
        assert!(!config.resolver.qname_minimisation);
        assert_eq!(
            (config.resolver.min_ttl, config.resolver.max_ttl),
            (300, 600)
        );
        assert!(config.do_not_query_localhost && !config.resolver.allow_loopback_upstream);
    }

    #[test]
    fn options_without_a_resolver_setting_are_recorded_as_ignored() {
        let config =
            config_of("harden-glue: \"no\"\nval-override-date: \"20120420235959\"\n").unwrap();
        let keys: Vec<&str> = config
            .ignored
            .iter()
            .map(|option| option.key.as_str())
            .collect();
        assert_eq!(keys, ["harden-glue", "val-override-date"]);
    }

    #[test]
    fn unusable_values_of_known_options_are_errors() {
        assert!(config_of("stub-addr: not-an-address\n").is_err());
        assert!(config_of("do-ip6: maybe\n").is_err());
        assert!(config_of("features: min_ttl = lots\n").is_err());
    }
}
