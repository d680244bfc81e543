//! The `--config FILE` YAML: the same settings as the flags, every key optional, unknown keys an
//! error. It only reads and checks syntax; `settings` merges it with the flags (flags win).

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::server::limits::{MAX_CONFIG_FILE_BYTES, MAX_CONFIG_LIST_ENTRIES};

/// A text value with the line it was written on, so a bad address can be reported there.
pub type Entry = Spanned<String>;

/// One `forward-zones` or `stub-zones` entry: `{name: corp.example., addresses: [10.0.0.1,
/// "10.0.0.2:5353"], hosts: [ns.corp.example.], first: true}` (`prime` for stub zones only).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfiguredZoneEntry {
    pub name: Entry,
    #[serde(default)]
    pub addresses: Vec<Entry>,
    /// Servers by name (Unbound's `forward-host`/`stub-host`).
    #[serde(default)]
    pub hosts: Vec<Entry>,
    /// `stub-prime`.
    pub prime: Option<bool>,
    /// `forward-first`/`stub-first`.
    pub first: Option<bool>,
    /// `forward-tcp-upstream`/`stub-tcp-upstream`.
    pub tcp_upstream: Option<bool>,
    /// `forward-no-cache`/`stub-no-cache`.
    pub no_cache: Option<bool>,
}

/// The file's contents, as written (addresses and CIDRs are checked by `settings`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    #[serde(default)]
    pub listen: Vec<Entry>,
    #[serde(default)]
    pub allow: Vec<Entry>,
    #[serde(default)]
    pub allow_snoop: Vec<Entry>,
    /// Unbound's `access-control: CIDR ACTION`, one string each.
    #[serde(default)]
    pub access_control: Vec<Entry>,
    /// Unbound's `define-tag: "NAME [NAME...]"`.
    #[serde(default)]
    pub define_tag: Vec<Entry>,
    /// Unbound's `access-control-tag: CIDR "TAGS"`.
    #[serde(default)]
    pub access_control_tag: Vec<Entry>,
    /// Unbound's `access-control-tag-action: CIDR TAG TYPE`.
    #[serde(default)]
    pub access_control_tag_action: Vec<Entry>,
    /// Unbound's `access-control-tag-data: CIDR TAG "RR"`.
    #[serde(default)]
    pub access_control_tag_data: Vec<Entry>,
    /// Unbound's `local-zone-tag: ZONE "TAGS"`.
    #[serde(default)]
    pub local_zone_tag: Vec<Entry>,
    /// Unbound's `local-zone-override: ZONE CIDR TYPE`.
    #[serde(default)]
    pub local_zone_override: Vec<Entry>,
    /// Unbound's `answer-cookie` (default false).
    pub answer_cookie: Option<bool>,
    /// Unbound's `cookie-secret`: 32 hex digits.
    pub cookie_secret: Option<Entry>,
    pub root_hints: Option<PathBuf>,
    #[serde(default)]
    pub forward: Vec<Entry>,
    #[serde(default)]
    pub forward_zones: Vec<ConfiguredZoneEntry>,
    #[serde(default)]
    pub stub_zones: Vec<ConfiguredZoneEntry>,
    /// Unbound's `tcp-upstream`.
    pub tcp_upstream: Option<bool>,
    /// Unbound's `auth-zone`: `NAME=FILE[,downstream][,no-upstream][,fallback]` (RFC 1035 zone
    /// file), as `--auth-zone`.
    #[serde(default)]
    pub auth_zones: Vec<Entry>,
    #[serde(default)]
    pub zones: Vec<PathBuf>,
    pub cache_size: Option<u64>,
    pub min_ttl: Option<u32>,
    pub max_ttl: Option<u32>,
    pub max_negative_ttl: Option<u32>,
    pub min_negative_ttl: Option<u32>,
    pub qname_minimisation: Option<bool>,
    pub scrub_promiscuous: Option<bool>,
    pub harden_glue: Option<bool>,
    pub harden_unknown_additional: Option<bool>,
    pub harden_below_nxdomain: Option<bool>,
    pub minimal_responses: Option<bool>,
    pub serve_expired: Option<bool>,
    pub serve_expired_ttl: Option<u32>,
    pub serve_expired_reply_ttl: Option<u32>,
    pub serve_expired_client_timeout: Option<u32>,
    pub prefetch: Option<bool>,
    /// Unbound's serve-original-ttl, as `--serve-original-ttl`.
    pub serve_original_ttl: Option<bool>,
    /// Unbound's num-queries-per-thread (for the whole daemon), as `--max-resolutions`.
    pub max_resolutions: Option<usize>,
    /// Unbound's jostle-timeout, in milliseconds.
    pub jostle_timeout: Option<u64>,
    /// Unbound's discard-timeout, in milliseconds; 0 sends every answer.
    pub discard_timeout: Option<u64>,
    /// Unbound's max-global-quota, as `--max-upstream-queries`.
    pub max_upstream_queries: Option<u32>,
    pub upstream_port: Option<u16>,
    pub allow_loopback_upstream: Option<bool>,
    /// Unbound's `do-ip6` (default true): false never queries IPv6 upstream addresses, as `--no-ip6`.
    pub ip6: Option<bool>,
    /// Unbound's `do-nat64`: IPv4 servers asked through the NAT64 prefix.
    pub nat64: Option<bool>,
    /// Unbound's `nat64-prefix` (default 64:ff9b::/96).
    pub nat64_prefix: Option<Entry>,
    /// Unbound's `do-not-query-address`: CIDRs never asked.
    #[serde(default)]
    pub do_not_query_address: Vec<Entry>,
    /// Unbound's `edns-client-string`: "NETBLOCK STRING" each.
    #[serde(default)]
    pub edns_client_string: Vec<Entry>,
    /// Unbound's `edns-client-string-opcode` (default 65001).
    pub edns_client_string_opcode: Option<u16>,
    /// Unbound's `harden-unverified-glue` (default false).
    pub harden_unverified_glue: Option<bool>,
    /// Unbound's `edns-tcp-keepalive` (default true here).
    pub edns_tcp_keepalive: Option<bool>,
    /// Unbound's `edns-tcp-keepalive-timeout`, in milliseconds: the client TCP idle timeout.
    pub edns_tcp_keepalive_timeout: Option<Spanned<u32>>,
    pub control: Option<PathBuf>,
    /// `--metrics`: ADDR:PORT or PORT of the Prometheus endpoint.
    pub metrics: Option<Entry>,
    pub metrics_public: Option<bool>,
    /// Unbound's `local-zone: NAME TYPE`, one string each.
    #[serde(default)]
    pub local_zones: Vec<Entry>,
    /// Unbound's `local-data: "RR"`.
    #[serde(default)]
    pub local_data: Vec<Entry>,
    /// Unbound's `local-data-ptr: "ADDRESS [TTL] NAME"`.
    #[serde(default)]
    pub local_data_ptr: Vec<Entry>,
    /// `auto`, `all` or `localhost` (see `--default-zones`).
    pub default_zones: Option<String>,
    pub identity: Option<String>,
    pub version: Option<String>,
    pub hide_identity: Option<bool>,
    pub hide_version: Option<bool>,
    pub nsid: Option<String>,
    /// RPZ policy zones: `NAME=FILE[,KEY=VALUE...]` each, as `--rpz`, consulted in order.
    #[serde(default)]
    pub rpz: Vec<Entry>,
    /// Unbound's `response-ip`: `CIDR=ACTION` (or `CIDR ACTION`).
    #[serde(default)]
    pub response_ip: Vec<Entry>,
    /// Unbound's `response-ip-data`: `CIDR=RR` (or `CIDR "RR"`), the RR without its owner.
    #[serde(default)]
    pub response_ip_data: Vec<Entry>,
    /// The most records one RPZ policy zone may hold, as `--rpz-max-records`.
    pub rpz_max_records: Option<usize>,
    #[serde(default)]
    pub private_address: Vec<Entry>,
    #[serde(default)]
    pub private_domain: Vec<Entry>,
    pub rrset_roundrobin: Option<bool>,
    /// DNSSEC validation (default on); `false` is `--no-dnssec`.
    pub dnssec: Option<bool>,
    /// RFC 8198 synthesized denials (default on); `false` is `--no-aggressive-nsec`.
    pub aggressive_nsec: Option<bool>,
    /// Trust anchor files (DS or DNSKEY records in zone-file syntax), as `--trust-anchor`.
    #[serde(default)]
    pub trust_anchors: Vec<PathBuf>,
    /// Negative trust anchors (RFC 7646), as `--insecure-domain`.
    #[serde(default)]
    pub insecure_domains: Vec<Entry>,
    /// Unbound's harden-dnssec-stripped (default true); `false` is
    /// `--no-harden-dnssec-stripped`.
    pub harden_dnssec_stripped: Option<bool>,
    /// Unbound's prefetch-key (default false), as `--prefetch-key`.
    pub prefetch_key: Option<bool>,
    /// Unbound's harden-algo-downgrade (default false), as `--harden-algo-downgrade`.
    pub harden_algo_downgrade: Option<bool>,
}

/// Why a config file could not be used; always names the file, and the line when known.
#[derive(Debug)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<u64>,
    pub kind: ConfigErrorKind,
}

#[derive(Debug)]
pub enum ConfigErrorKind {
    Read(std::io::ErrorKind),
    TooLarge,
    Syntax(String),
    TooManyEntries(&'static str),
    Invalid(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(formatter, ":{line}")?;
        }
        match &self.kind {
            ConfigErrorKind::Read(std::io::ErrorKind::NotFound) => {
                write!(formatter, ": no such file")
            }
            ConfigErrorKind::Read(kind) => write!(formatter, ": cannot read: {kind}"),
            ConfigErrorKind::TooLarge => {
                write!(formatter, ": larger than {MAX_CONFIG_FILE_BYTES} bytes")
            }
            ConfigErrorKind::Syntax(message) => write!(formatter, ": {message}"),
            ConfigErrorKind::TooManyEntries(key) => write!(
                formatter,
                ": `{key}` has more than {MAX_CONFIG_LIST_ENTRIES} entries"
            ),
            ConfigErrorKind::Invalid(message) => write!(formatter, ": {message}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl ConfigFile {
    /// Reads and parses `path`. Relative paths inside the file are taken relative to its directory.
    pub fn read(path: &Path) -> Result<ConfigFile, ConfigError> {
        let error = |line, kind| ConfigError {
            file: path.to_path_buf(),
            line,
            kind,
        };
        let file = std::fs::File::open(path)
            .map_err(|io| error(None, ConfigErrorKind::Read(io.kind())))?;
        let mut text = String::new();
        let read = file
            .take(MAX_CONFIG_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|io| error(None, ConfigErrorKind::Read(io.kind())))?;
        if u64::try_from(read).unwrap_or(u64::MAX) > MAX_CONFIG_FILE_BYTES {
            return Err(error(None, ConfigErrorKind::TooLarge));
        }
        let mut config = ConfigFile::parse(&text).map_err(|(line, kind)| error(line, kind))?;
        if let Some(directory) = path.parent() {
            config.resolve_paths(directory);
        }
        Ok(config)
    }

    /// Parses YAML text; the error carries the line when the parser knows it.
    pub fn parse(text: &str) -> Result<ConfigFile, (Option<u64>, ConfigErrorKind)> {
        // An empty file (or only comments) is an empty config, not an error.
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
            (
                line,
                ConfigErrorKind::Syntax(error.without_snippet().to_string()),
            )
        })?;
        for (key, length) in [
            ("listen", config.listen.len()),
            ("allow", config.allow.len()),
            ("allow-snoop", config.allow_snoop.len()),
            ("access-control", config.access_control.len()),
            ("define-tag", config.define_tag.len()),
            ("access-control-tag", config.access_control_tag.len()),
            (
                "access-control-tag-action",
                config.access_control_tag_action.len(),
            ),
            (
                "access-control-tag-data",
                config.access_control_tag_data.len(),
            ),
            ("local-zone-tag", config.local_zone_tag.len()),
            ("local-zone-override", config.local_zone_override.len()),
            ("forward", config.forward.len()),
            ("forward-zones", config.forward_zones.len()),
            ("stub-zones", config.stub_zones.len()),
            ("auth-zones", config.auth_zones.len()),
            ("zones", config.zones.len()),
            ("local-zones", config.local_zones.len()),
            ("local-data", config.local_data.len()),
            ("local-data-ptr", config.local_data_ptr.len()),
            ("private-address", config.private_address.len()),
            ("rpz", config.rpz.len()),
            ("response-ip", config.response_ip.len()),
            ("response-ip-data", config.response_ip_data.len()),
            ("private-domain", config.private_domain.len()),
            ("do-not-query-address", config.do_not_query_address.len()),
            ("edns-client-string", config.edns_client_string.len()),
            ("trust-anchors", config.trust_anchors.len()),
            ("insecure-domains", config.insecure_domains.len()),
        ] {
            if length > MAX_CONFIG_LIST_ENTRIES {
                return Err((None, ConfigErrorKind::TooManyEntries(key)));
            }
        }
        Ok(config)
    }

    fn resolve_paths(&mut self, directory: &Path) {
        let join = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = directory.join(&*path);
            }
        };
        self.zones.iter_mut().for_each(join);
        self.trust_anchors.iter_mut().for_each(join);
        if let Some(path) = self.root_hints.as_mut() {
            join(path);
        }
        if let Some(path) = self.control.as_mut() {
            join(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_parses() {
        let text = "listen: [\"127.0.0.1:5353\", \"[::1]:5353\"]\nallow: [10.0.0.0/8]\nroot-hints: hints.txt\nforward: [192.0.2.1]\nforward-zones:\n  - name: corp.example.\n    addresses: [10.0.0.1, \"10.0.0.2:5353\"]\nzones: [local.yaml]\ncache-size: 5000\nmin-ttl: 5\nmax-ttl: 3600\nqname-minimisation: false\nupstream-port: 5300\nallow-loopback-upstream: true\ncontrol: /run/resolver.sock\n";
        let config = ConfigFile::parse(text).map_err(|(_, kind)| format!("{kind:?}"));
        let config = match config {
            Ok(config) => config,
            Err(error) => panic!("{error}"),
        };
        assert_eq!(config.listen.len(), 2);
        assert_eq!(
            config
                .forward_zones
                .first()
                .map(|zone| zone.addresses.len()),
            Some(2)
        );
        assert_eq!(config.upstream_port, Some(5300));
        assert_eq!(config.qname_minimisation, Some(false));
    }

    #[test]
    fn stub_zones_and_forward_switches_parse() {
        let text = "stub-zones:\n  - name: lab.example.\n    addresses: [10.0.0.60]\n    hosts: [ns1.lab.example.]\n    prime: true\n    first: true\n    tcp-upstream: true\nforward-zones:\n  - name: corp.example.\n    hosts: [ns.corp.example.]\n    first: true\ntcp-upstream: true\n";
        let parsed = ConfigFile::parse(text).map_err(|(_, kind)| format!("{kind:?}"));
        let Ok(config) = parsed else {
            panic!("{parsed:?}")
        };
        let stub = &config.stub_zones[0];
        assert_eq!(stub.hosts.len(), 1);
        assert_eq!(
            (stub.prime, stub.first, stub.tcp_upstream),
            (Some(true), Some(true), Some(true))
        );
        let forward = &config.forward_zones[0];
        assert!(forward.addresses.is_empty() && forward.first == Some(true));
        assert_eq!(config.tcp_upstream, Some(true));
        assert!(
            ConfigFile::parse("stub-zones:\n  - name: a.\n    stub-addr: [1.2.3.4]\n").is_err()
        );
    }

    #[test]
    fn unknown_key_is_an_error_with_its_line() {
        let result = ConfigFile::parse("listen: [\"127.0.0.1:53\"]\ncache-sise: 10\n");
        match result {
            Err((line, ConfigErrorKind::Syntax(message))) => {
                assert_eq!(line, Some(2), "{message}");
                assert!(message.contains("cache-sise"), "{message}");
            }
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    #[test]
    fn the_shipped_example_parses() {
        let text = include_str!("../../resolver.example.yaml");
        let parsed =
            ConfigFile::parse(text).map_err(|(line, kind)| format!("line {line:?}: {kind:?}"));
        let Ok(config) = parsed else {
            panic!("{parsed:?}")
        };
        // Loopback only, as shipped: a LAN `allow` comes with a LAN `listen` address, both commented.
        assert_eq!(config.listen.len(), 2);
        assert!(config.allow.is_empty());
        assert_eq!(config.cache_size, Some(100_000));
    }
}
