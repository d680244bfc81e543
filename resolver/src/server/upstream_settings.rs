//! The upstream-query options of the flags and the config file, checked: NAT64, do-not-query
//! addresses, EDNS client strings, unverified-glue hardening. Pure: values in, settings or an error out.
//!
//! A flag given replaces the file's value; a list flag replaces the file's list (as in `settings`).

use std::fmt;
use std::path::Path;

use crate::server::access::{Cidr, CidrError};
use crate::server::config_file::ConfigFile;
use crate::server::settings::{pick, Arguments, Origin};
use crate::upstream::client_string::{ClientStringError, ClientStrings};
use crate::upstream::nat64::{Nat64Prefix, Nat64PrefixError};

/// The upstream-query settings, as `ResolverConfig` holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpstreamOptions {
    pub nat64: Option<Nat64Prefix>,
    pub do_not_query: Vec<Cidr>,
    pub client_strings: ClientStrings,
    pub harden_unverified_glue: bool,
}

/// Which upstream option had a bad value, and where it was written.
#[derive(Debug)]
pub enum UpstreamOptionError {
    Nat64Prefix {
        origin: Origin,
        error: Nat64PrefixError,
    },
    DoNotQuery {
        origin: Origin,
        error: CidrError,
    },
    ClientString {
        origin: Origin,
        error: ClientStringError,
    },
}

impl fmt::Display for UpstreamOptionError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpstreamOptionError::Nat64Prefix { origin, error } => {
                write!(formatter, "{origin}: {error}")
            }
            UpstreamOptionError::DoNotQuery { origin, error } => {
                write!(formatter, "{origin}: do-not-query-address: {error}")
            }
            UpstreamOptionError::ClientString { origin, error } => {
                write!(formatter, "{origin}: {error}")
            }
        }
    }
}

impl std::error::Error for UpstreamOptionError {}

/// Merges the flags over the file's values.
pub fn upstream_options(
    arguments: &Arguments,
    file: &ConfigFile,
    path: &Path,
) -> Result<UpstreamOptions, UpstreamOptionError> {
    let prefix = match (&arguments.nat64_prefix, &file.nat64_prefix) {
        (Some(text), _) => Some((text.clone(), Origin::Flag("nat64-prefix"))),
        (None, Some(entry)) => Some((
            entry.value.clone(),
            Origin::File(path.to_path_buf(), entry.referenced.line()),
        )),
        (None, None) => None,
    };
    let prefix = match prefix {
        Some((text, origin)) => text
            .parse::<Nat64Prefix>()
            .map_err(|error| UpstreamOptionError::Nat64Prefix { origin, error })?,
        None => Nat64Prefix::default(),
    };
    // Unbound: `nat64-prefix` alone changes nothing; `do-nat64` turns NAT64 on.
    let nat64_on = arguments.nat64 || file.nat64.unwrap_or(false);

    let do_not_query = pick(
        &arguments.do_not_query_address,
        &file.do_not_query_address,
        "do-not-query-address",
        path,
    )
    .into_iter()
    .map(|(text, origin)| {
        text.parse::<Cidr>()
            .map_err(|error| UpstreamOptionError::DoNotQuery { origin, error })
    })
    .collect::<Result<Vec<_>, _>>()?;

    let mut client_strings = ClientStrings::default();
    if let Some(code) = arguments
        .edns_client_string_opcode
        .or(file.edns_client_string_opcode)
    {
        client_strings.option_code = code;
    }
    for (text, origin) in pick(
        &arguments.edns_client_string,
        &file.edns_client_string,
        "edns-client-string",
        path,
    ) {
        client_strings
            .add(&text)
            .map_err(|error| UpstreamOptionError::ClientString { origin, error })?;
    }

    Ok(UpstreamOptions {
        nat64: nat64_on.then_some(prefix),
        do_not_query,
        client_strings,
        harden_unverified_glue: arguments.harden_unverified_glue
            || file.harden_unverified_glue.unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;
    use std::path::PathBuf;

    fn options(flags: &[&str], yaml: &str) -> Result<UpstreamOptions, String> {
        let arguments =
            Arguments::try_parse_from(std::iter::once("resolver").chain(flags.iter().copied()))
                .map_err(|error| error.to_string())?;
        let file = ConfigFile::parse(yaml).map_err(|(_, kind)| format!("{kind:?}"))?;
        upstream_options(&arguments, &file, &PathBuf::from("resolver.yaml"))
            .map_err(|error| error.to_string())
    }

    #[test]
    fn everything_is_off_by_default() {
        let defaults = options(&[], "").unwrap();
        assert_eq!(defaults, UpstreamOptions::default());
        assert_eq!(defaults.client_strings.option_code, 65001);
    }

    #[test]
    fn flags_turn_each_option_on() {
        let set = options(
            &[
                "--nat64",
                "--nat64-prefix",
                "2001:db8:64::/96",
                "--do-not-query-address",
                "192.0.2.0/24",
                "--edns-client-string",
                "10.0.0.0/8 site-a",
                "--edns-client-string-opcode",
                "65432",
                "--harden-unverified-glue",
            ],
            "",
        )
        .unwrap();
        assert_eq!(
            set.nat64.map(|prefix| prefix.to_string()).as_deref(),
            Some("2001:db8:64::/96")
        );
        assert_eq!(set.do_not_query.len(), 1);
        assert_eq!(set.client_strings.option_code, 65432);
        assert_eq!(
            set.client_strings.for_server("10.1.2.3".parse().unwrap()),
            Some(&b"site-a"[..])
        );
        assert!(set.harden_unverified_glue);
        // `--nat64` alone: the RFC 6052 well-known prefix.
        let well_known = options(&["--nat64"], "").unwrap();
        assert_eq!(
            well_known.nat64.map(|prefix| prefix.to_string()).as_deref(),
            Some("64:ff9b::/96")
        );
    }

    #[test]
    fn the_file_sets_them_and_flags_win() {
        let yaml = "nat64: true\nnat64-prefix: 2001:db8:1::/48\ndo-not-query-address: [\"::/0\"]\n\
                    edns-client-string: [\"10.0.0.0/24 abc\"]\nedns-client-string-opcode: 65100\n\
                    harden-unverified-glue: true\n";
        let from_file = options(&[], yaml).unwrap();
        assert_eq!(
            from_file.nat64.map(|prefix| prefix.to_string()).as_deref(),
            Some("2001:db8:1::/48")
        );
        assert_eq!(from_file.client_strings.option_code, 65100);
        assert!(from_file.harden_unverified_glue && from_file.do_not_query.len() == 1);
        let overridden = options(&["--nat64-prefix", "64:ff9b::/96"], yaml).unwrap();
        assert_eq!(
            overridden.nat64.map(|prefix| prefix.to_string()).as_deref(),
            Some("64:ff9b::/96")
        );
    }

    #[test]
    fn bad_values_name_their_flag_or_file_line() {
        let error = options(&["--nat64", "--nat64-prefix", "64:ff9b::/95"], "").unwrap_err();
        assert!(
            error.starts_with("--nat64-prefix: invalid NAT64 prefix"),
            "{error}"
        );
        let error = options(&[], "\ndo-not-query-address: [nonsense]\n").unwrap_err();
        assert!(
            error.starts_with("resolver.yaml:2: do-not-query-address"),
            "{error}"
        );
        let error = options(&["--edns-client-string", "10.0.0.0/8"], "").unwrap_err();
        assert!(
            error.starts_with("--edns-client-string: invalid EDNS client string"),
            "{error}"
        );
    }
}
