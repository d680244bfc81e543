//! Maps a scenario's header (an unbound.conf fragment) onto `ResolverConfig`: stub-zone "." → root
//! hints, forward-zone → forward zones, qname-minimisation, do-ip4/6, TTL clamps... A key that would
//! change behaviour without an equivalent is `unsupported`; keys in `ignored_options` are skipped.

use std::net::{IpAddr, SocketAddr};

use hickory_proto::rr::{Name, RData, RecordType};

use crate::auth_zone::{AuthZoneSource, AuthZoneUse, AuthZones, DownstreamAuthZones};
use crate::config::{ForwardZone, MinimisedQueryType, ResolverConfig, RootHint, StubZone};
use crate::iterate::root_hints::{parse_root_hints, RootHintsError};
use crate::limits::MAX_VALIDATION_RESTARTS;
use crate::policy::action::ActionOverride;
use crate::policy::rpz_zone::RpzOptions;
use crate::policy::{RpzSource, ZoneText};
use crate::replay::error::ParseErrorKind;
use crate::replay::ignored_options::ignored_reason;
use crate::replay::limits::MESSAGE_CACHE_BYTES_PER_ENTRY;
use crate::replay::record_text::parse_name;
use crate::replay::scenario::{HeaderOption, Scenario};
use crate::server::access_settings::AccessSettings;
use crate::server::cookies::CookieSecret;
use crate::server::local_answers::{LocalAnswers, LocalSettings};
use crate::server::local_zone_table::{unquote as unquote_value, ConfigLine, LocalZoneType};
use crate::upstream::nat64::Nat64Prefix;

/// Unbound's default `edns-tcp-keepalive-timeout`, in milliseconds.
const UNBOUND_KEEPALIVE_MILLISECONDS: u32 = 120_000;

/// The root server name used when the scenario's priming answer does not name the stub address.
pub const DEFAULT_ROOT_NAME: &str = "K.ROOT-SERVERS.NET.";

/// Unbound's `discard-timeout` default (1.19 on): testbound runs every unbound.conf header with
/// it, so a header that does not set the key gets it here (a Deckard header, written for Knot
/// Resolver, has none: answers are never discarded there).
pub const UNBOUND_DISCARD_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1_900);

/// What the runner needs from a header.
#[derive(Clone, Debug)]
pub struct ReplayConfig {
    pub resolver: ResolverConfig,
    /// The first root `stub-addr`: a root hint, and the loopback address a lab may always query.
    pub stub_address: Option<IpAddr>,
    /// Unbound's `do-not-query-localhost` (default on): a query to another 127/8 or ::1 address fails.
    pub do_not_query_localhost: bool,
    /// Options skipped on purpose (`ignored_options`), for `--verbose`.
    pub ignored: Vec<HeaderOption>,
    /// Options the resolver has no equivalent for, as `key` or `key: value` (the value matters when
    /// only some values are unsupported); the scenario is not replayed when any is present.
    pub unsupported: Vec<String>,
    /// Local zones, identity, NSID and response rules, answered around the resolver as the
    /// daemon's handler does (`server::local_answers`).
    pub local: LocalSettings,
    /// Whether the replayed client may send RD=0 (the daemon's `--allow-snoop`, Unbound's
    /// `allow_snoop`): Unbound's default ACL (localhost `allow`) refuses it with EDE 20; Deckard's
    /// kresd answers it.
    pub may_snoop: bool,
    /// `access-control` and its tag lines, applied over Unbound's default (loopback `allow`).
    pub access: AccessSettings,
    /// `answer-cookie: yes`: the server-cookie secret (`cookie-secret`, else random).
    pub cookie_secret: Option<CookieSecret>,
    /// `edns-tcp-keepalive` (Unbound's default no): the daemon's RFC 7828 handling of TCP
    /// queries, with the idle timeout it announces (`edns-tcp-keepalive-timeout`).
    pub tcp_keepalive: Option<std::time::Duration>,
    /// `auth-zone:` clauses with `for-downstream: yes`: answered to clients as the daemon's
    /// handler does (`auth_zone_downstream`).
    pub downstream_auth_zones: Option<DownstreamAuthZones>,
}

/// One `stub-zone:` or `forward-zone:` clause, or Deckard's clause-less `stub-addr` lines.
#[derive(Default)]
struct Zone {
    name: Option<Name>,
    addresses: Vec<IpAddr>,
    server_name: Option<Name>,
    /// `stub-host`/`forward-host`.
    hosts: Vec<Name>,
    /// `stub-prime`.
    prime: bool,
    /// `stub-first`/`forward-first`.
    first: bool,
    /// `stub-tcp-upstream`/`forward-tcp-upstream`.
    tcp_upstream: bool,
    /// `stub-no-cache`/`forward-no-cache`.
    no_cache: bool,
}

/// One `auth-zone:` clause (Unbound's defaults: for both upstream and downstream).
struct AuthZoneClause {
    name: Option<Name>,
    file: Option<String>,
    for_upstream: bool,
    for_downstream: bool,
    fallback: bool,
}

impl Default for AuthZoneClause {
    fn default() -> Self {
        AuthZoneClause {
            name: None,
            file: None,
            for_upstream: true,
            for_downstream: true,
            fallback: false,
        }
    }
}

/// One `rpz:` clause: the daemon's `--rpz` (`policy`), the zone from a TEMPFILE.
#[derive(Default)]
struct RpzClause {
    name: Option<Name>,
    file: Option<String>,
    options: RpzOptions,
    action_override: Option<String>,
    cname_override: Option<Name>,
}

/// Builds the resolver settings for `scenario`; a known option with an unusable value is an error.
pub fn replay_config(scenario: &Scenario) -> Result<ReplayConfig, (usize, ParseErrorKind)> {
    let mut config = ReplayConfig {
        resolver: ResolverConfig::default(),
        stub_address: None,
        do_not_query_localhost: true,
        ignored: Vec::new(),
        unsupported: Vec::new(),
        // Unbound's rrset-roundrobin default is yes.
        local: LocalSettings {
            rrset_roundrobin: true,
            ..LocalSettings::default()
        },
        may_snoop: false,
        access: AccessSettings::default(),
        cookie_secret: None,
        tcp_keepalive: None,
        downstream_auth_zones: None,
    };
    // Deckard's defaults ("Configuration" table of the scenario guide): qmin on, both families.
    config.resolver.qname_minimisation = true;
    config.resolver.do_ip4 = true;
    config.resolver.do_ip6 = true;
    let mut stub_zones: Vec<(usize, Zone)> = Vec::new();
    let mut auth_zones: Vec<AuthZoneClause> = Vec::new();
    let mut rpz_clauses: Vec<RpzClause> = Vec::new();
    let mut forward_zones: Vec<(usize, Zone)> = Vec::new();
    let mut deckard_root = Zone {
        name: Some(Name::root()),
        ..Zone::default()
    };
    let mut deckard_forward = Zone {
        name: Some(Name::root()),
        ..Zone::default()
    };
    let (mut anchored, mut validator_module) = (false, true);
    let mut discard_timeout_given = false;
    let (mut answer_cookie, mut cookie_secret) = (false, None);
    let (mut nat64_on, mut nat64_prefix) = (false, Nat64Prefix::default());
    let (mut keepalive_on, mut keepalive_milliseconds) = (false, UNBOUND_KEEPALIVE_MILLISECONDS);
    let mut file_hints: Vec<RootHint> = Vec::new();
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
        let on = || switch(&option.value).ok_or_else(bad);
        let mut unsupported = |with_value: bool| {
            // `local-zone: name type` and `access-control: netblock action` count by type/action.
            let value = match option.key.as_str() {
                "local-zone" | "access-control" => {
                    option.value.split_whitespace().last().unwrap_or_default()
                }
                _ => option.value.as_str(),
            };
            let text = if with_value {
                format!("{}: {value}", option.key)
            } else {
                option.key.clone()
            };
            if !config.unsupported.contains(&text) {
                config.unsupported.push(text);
            }
        };
        // Accepted only when the switch has the value that is the resolver's fixed behaviour.
        let mut only = |wanted: bool| -> Result<(), (usize, ParseErrorKind)> {
            if on()? != wanted {
                unsupported(true);
            }
            Ok(())
        };
        let key = option.key.as_str();
        let clause = option.clause.as_str();
        if key == clause && option.value.is_empty() {
            match key {
                "server" => {}
                "stub-zone" => stub_zones.push((option.clause_line, Zone::default())),
                "forward-zone" => forward_zones.push((option.clause_line, Zone::default())),
                "auth-zone" => auth_zones.push(AuthZoneClause::default()),
                "rpz" => rpz_clauses.push(RpzClause::default()),
                _ => unsupported(false),
            }
            continue;
        }
        match clause {
            "stub-zone" | "forward-zone" => {
                let zones = if clause == "stub-zone" {
                    &mut stub_zones
                } else {
                    &mut forward_zones
                };
                let Some((_, zone)) = zones.last_mut() else {
                    continue;
                };
                match key {
                    "name" => zone.name = Some(parse_name(&option.value).map_err(|_| bad())?),
                    "stub-addr" | "forward-addr" => {
                        zone.addresses.push(address(&option.value).ok_or_else(bad)?)
                    }
                    "stub-host" | "forward-host" => zone
                        .hosts
                        .push(parse_name(unquoted(&option.value)).map_err(|_| bad())?),
                    // The root hints are primed either way.
                    "stub-prime" => zone.prime = on()?,
                    "stub-first" | "forward-first" => zone.first = on()?,
                    "stub-tcp-upstream" | "forward-tcp-upstream" => zone.tcp_upstream = on()?,
                    "stub-no-cache" | "forward-no-cache" => zone.no_cache = on()?,
                    "forward-tls-upstream" | "stub-tls-upstream" => only(false)?,
                    _ => unsupported(false),
                }
                continue;
            }
            // The daemon's --auth-zone (`auth_zone`): zones from a TEMPFILE.
            "auth-zone" => {
                let Some(zone) = auth_zones.last_mut() else {
                    continue;
                };
                match key {
                    "name" => {
                        zone.name = Some(parse_name(unquoted(&option.value)).map_err(|_| bad())?)
                    }
                    "zonefile" => zone.file = Some(unquoted(&option.value).to_owned()),
                    "for-upstream" => zone.for_upstream = on()?,
                    "for-downstream" => zone.for_downstream = on()?,
                    "fallback-enabled" => zone.fallback = on()?,
                    _ => unsupported(false),
                }
                continue;
            }
            // The daemon's --rpz (`policy`): a policy zone from a TEMPFILE.
            "rpz" => {
                let Some(zone) = rpz_clauses.last_mut() else {
                    continue;
                };
                match key {
                    "name" => {
                        zone.name = Some(parse_name(unquoted(&option.value)).map_err(|_| bad())?)
                    }
                    "zonefile" => zone.file = Some(unquoted(&option.value).to_owned()),
                    "rpz-action-override" => {
                        zone.action_override = Some(unquoted(&option.value).to_owned())
                    }
                    "rpz-cname-override" => {
                        zone.cname_override =
                            Some(parse_name(unquoted(&option.value)).map_err(|_| bad())?)
                    }
                    "rpz-log" => zone.options.log = on()?,
                    "rpz-log-name" => {
                        zone.options.log_name = Some(unquoted(&option.value).to_owned())
                    }
                    "rpz-signal-nxdomain-ra" => zone.options.signal_nxdomain_ra = on()?,
                    // Serving the policy zone itself to clients is an authoritative job.
                    "for-downstream" => only(false)?,
                    // Transfers (primary, url) and per-client tags are not supported.
                    _ => unsupported(false),
                }
                continue;
            }
            "" | "server" => {}
            // Inside an unsupported clause (auth-zone, rpz, view...): its opener is reported.
            _ => continue,
        }
        if let Some(_reason) = ignored_reason(key) {
            config.ignored.push(option.clone());
            continue;
        }
        match key {
            // Deckard headers: the root's address and name without a clause.
            "stub-addr" => deckard_root
                .addresses
                .push(address(&option.value).ok_or_else(bad)?),
            "stub-name" => {
                deckard_root.server_name = Some(parse_name(&option.value).map_err(|_| bad())?)
            }
            // Deckard's forwarding form: every name to this upstream (kresd `policy.FORWARD`
            // on `policy.all`), which is Unbound's `forward-zone: "."`.
            "forward-addr" => deckard_forward
                .addresses
                .push(address(&option.value).ok_or_else(bad)?),
            "qname-minimisation" | "query-minimization" => {
                config.resolver.qname_minimisation = on()?
            }
            "iter-scrub-promiscuous" => config.resolver.scrub_promiscuous = on()?,
            "do-ip6" => config.resolver.do_ip6 = on()?,
            "do-ip4" => config.resolver.do_ip4 = on()?,
            "tcp-upstream" => config.resolver.tcp_upstream = on()?,
            "do-not-query-localhost" => {
                config.do_not_query_localhost = on()?;
                config.resolver.allow_loopback_upstream = !config.do_not_query_localhost;
            }
            "cache-min-ttl" => config.resolver.min_ttl = seconds(&option.value).ok_or_else(bad)?,
            "cache-max-ttl" => config.resolver.max_ttl = seconds(&option.value).ok_or_else(bad)?,
            "cache-max-negative-ttl" => {
                config.resolver.max_negative_ttl = seconds(&option.value).ok_or_else(bad)?
            }
            // The daemon's `cache-size`: the one cache bounds answers as Unbound's message cache.
            "msg-cache-size" => {
                let bytes: u64 = unquoted(&option.value).parse().map_err(|_| bad())?;
                config.resolver.cache_max_entries = (bytes / MESSAGE_CACHE_BYTES_PER_ENTRY).max(1);
            }
            "cache-min-negative-ttl" => {
                config.resolver.min_negative_ttl = seconds(&option.value).ok_or_else(bad)?
            }
            // kresd's `features: min_ttl = 300` lines (Deckard's kresd template).
            "features" => {
                let Some((feature, value)) = option.value.split_once('=') else {
                    unsupported(true);
                    continue;
                };
                let value = seconds(value.trim()).ok_or_else(bad);
                match feature.trim() {
                    "min_ttl" => config.resolver.min_ttl = value?,
                    "max_ttl" => config.resolver.max_ttl = value?,
                    _ => unsupported(true),
                }
            }
            "max-global-quota" => {
                config.resolver.max_upstream_queries =
                    unquoted(&option.value).parse().map_err(|_| bad())?
            }
            // The request list (`request_list.rs`), applied by the runner as by the daemon.
            "num-queries-per-thread" => {
                config.resolver.requests.max_resolutions =
                    unquoted(&option.value).parse().map_err(|_| bad())?
            }
            "jostle-timeout" => {
                config.resolver.requests.jostle_timeout =
                    milliseconds(&option.value).ok_or_else(bad)?
            }
            // 0 turns it off, as in Unbound.
            "discard-timeout" => {
                discard_timeout_given = true;
                config.resolver.requests.discard_timeout =
                    Some(milliseconds(&option.value).ok_or_else(bad)?)
                        .filter(|timeout| !timeout.is_zero())
            }
            "serve-original-ttl" => config.resolver.serve_original_ttl = on()?,
            // Without a trust anchor the validator module changes nothing; other modules do.
            "module-config" => match unquoted(&option.value) {
                "iterator" | "respip iterator" => validator_module = false,
                "validator iterator" | "respip validator iterator" => {}
                _ => unsupported(true),
            },
            // The daemon's --access-control and its tag lines (`server::access_settings`).
            "access-control" => config.access.rules.push(config_line(option)),
            "access-control-tag" => config.access.tags.push(config_line(option)),
            "access-control-tag-action" => config.access.tag_actions.push(config_line(option)),
            "access-control-tag-data" => config.access.tag_data.push(config_line(option)),
            "define-tag" => config.local.define_tags.push(config_line(option)),
            "local-zone-tag" => config.local.zone_tags.push(config_line(option)),
            "local-zone-override" => config.local.zone_overrides.push(config_line(option)),
            // Deckard's kresd template: `policy=` rules with an Unbound local-zone equivalent.
            "feature-list" => match crate::replay::knot_policy::deny_zones(&option.value) {
                Some(zones) => config.local.zones.extend(
                    zones
                        .into_iter()
                        .map(|zone| ConfigLine::new(zone, format!("line {}", option.line))),
                ),
                None => unsupported(false),
            },
            "local-zone" => {
                let line = ConfigLine::new(option.value.clone(), format!("line {}", option.line));
                let zone_type = unquote_value(&option.value)
                    .split_whitespace()
                    .last()
                    .map(unquote_value)
                    .and_then(LocalZoneType::parse);
                match zone_type {
                    Some(_) => config.local.zones.push(line),
                    None => unsupported(true),
                }
            }
            "local-data" => config.local.data.push(ConfigLine::new(
                option.value.clone(),
                format!("line {}", option.line),
            )),
            "local-data-ptr" => config.local.pointers.push(ConfigLine::new(
                option.value.clone(),
                format!("line {}", option.line),
            )),
            "unblock-lan-zones" => config.local.default_zones.private_reverse = !on()?,
            "private-address" => config.local.private_addresses.push(ConfigLine::new(
                unquoted(&option.value),
                format!("line {}", option.line),
            )),
            "private-domain" => config.local.private_domains.push(ConfigLine::new(
                option.value.clone(),
                format!("line {}", option.line),
            )),
            "rrset-roundrobin" => config.local.rrset_roundrobin = on()?,
            // The daemon's --response-ip and --response-ip-data (`policy`).
            "response-ip" => config.local.policy.response_ip.push(config_line(option)),
            "response-ip-data" => config
                .local
                .policy
                .response_ip_data
                .push(config_line(option)),
            // RFC 8767 serve-stale and prefetch (`refresh.rs`); EDE 3 is always sent.
            "serve-expired" => config.resolver.serve_expired.enabled = on()?,
            "serve-expired-ttl" => {
                config.resolver.serve_expired.max_stale_seconds =
                    unquoted(&option.value).parse().map_err(|_| bad())?
            }
            "serve-expired-reply-ttl" => {
                config.resolver.serve_expired.reply_ttl =
                    unquoted(&option.value).parse().map_err(|_| bad())?
            }
            "serve-expired-client-timeout" => {
                config.resolver.serve_expired.client_timeout_milliseconds =
                    unquoted(&option.value).parse().map_err(|_| bad())?
            }
            "serve-expired-ttl-reset" => config.resolver.serve_expired.reset_after_failure = on()?,
            "ede-serve-expired" => only(true)?,
            "prefetch" => config.resolver.prefetch = on()?,
            "nsid" => config.local.nsid = Some(unquoted(&option.value).to_owned()),
            // The resolver's fixed behaviour is the value given.
            "harden-glue" => config.resolver.harden_glue = on()?,
            // Beside a secure answer only secure NS and glue are shown (Unbound's default).
            "val-clean-additional" => only(true)?,
            // The validator never sends RFC 8145 key-tag queries, never answers bogus data
            // without CD (permissive mode), and restarts a failed validation
            // MAX_VALIDATION_RESTARTS times (Unbound's default val-max-restart); another value
            // would change the answers.
            "trust-anchor-signaling" => only(false)?,
            "val-permissive-mode" => only(false)?,
            "val-max-restart" => {
                let restarts: usize = unquoted(&option.value).parse().map_err(|_| bad())?;
                if restarts != MAX_VALIDATION_RESTARTS {
                    unsupported(true);
                }
            }
            "minimal-responses" => config.resolver.minimal_responses = on()?,
            "hide-identity" => config.local.hide_identity = Some(on()?),
            "hide-version" => config.local.hide_version = Some(on()?),
            "identity" => config.local.identity = Some(unquoted(&option.value).to_owned()),
            "version" => config.local.version = Some(unquoted(&option.value).to_owned()),
            // The validator: anchors inline or from a TEMPFILE, negative anchors, its clock.
            "trust-anchor" => {
                config
                    .resolver
                    .dnssec
                    .anchors
                    .add_text(unquoted(&option.value))
                    .map_err(|_| bad())?;
                anchored = true;
            }
            "trust-anchor-file" | "auto-trust-anchor-file" => {
                let name = unquoted(&option.value);
                let file = scenario
                    .tempfiles
                    .iter()
                    .find(|file| file.name == name)
                    .ok_or_else(bad)?;
                config
                    .resolver
                    .dnssec
                    .anchors
                    .add_text(&file.contents)
                    .map_err(|_| bad())?;
                anchored = true;
            }
            // The daemon's `--root-hints FILE`: a TEMPFILE of the scenario. A file of another
            // class's hints (CH) gives no IN hint and is passed over, as the resolver is IN only.
            "root-hints" => {
                let name = unquoted(&option.value);
                let file = scenario
                    .tempfiles
                    .iter()
                    .find(|file| file.name == name)
                    .ok_or_else(bad)?;
                match parse_root_hints(&file.contents, std::path::Path::new(name)) {
                    Ok(hints) => file_hints.extend(hints),
                    Err(RootHintsError::NoAddresses { .. }) => {}
                    Err(_) => return Err(bad()),
                }
            }
            "domain-insecure" => config
                .resolver
                .dnssec
                .anchors
                .add_negative(parse_name(unquoted(&option.value)).map_err(|_| bad())?),
            "val-override-date" | "val-override-timestamp" if unquoted(&option.value) == "-1" => {
                config.resolver.dnssec.test_switches.ignore_dates = true
            }
            "val-override-date" | "val-override-timestamp" => {
                config.resolver.dnssec.date_override =
                    Some(override_date(unquoted(&option.value)).ok_or_else(bad)?)
            }
            "aggressive-nsec" => config.resolver.aggressive_nsec = on()?,
            "fake-dsa" => config.resolver.dnssec.test_switches.fake_dsa = on()?,
            "fake-sha1" => config.resolver.dnssec.test_switches.fake_sha1 = on()?,
            "harden-dnssec-stripped" => config.resolver.dnssec.stripped_is_insecure = !on()?,
            "prefetch-key" => config.resolver.dnssec.prefetch_keys = on()?,
            // Any algorithm of the DS set may carry the chain (Unbound's default); EDE always
            // sent.
            "ede" => only(true)?,
            "harden-algo-downgrade" => config.resolver.dnssec.harden_algorithm_downgrade = on()?,
            "harden-below-nxdomain" => config.resolver.harden_below_nxdomain = on()?,
            "harden-unverified-glue" => config.resolver.harden_unverified_glue = on()?,
            // NAT64 for upstream queries: the prefix applies once `do-nat64` is on, in any order.
            "do-nat64" => nat64_on = on()?,
            "nat64-prefix" => nat64_prefix = unquoted(&option.value).parse().map_err(|_| bad())?,
            "do-not-query-address" => config
                .resolver
                .do_not_query
                .push(unquoted(&option.value).parse().map_err(|_| bad())?),
            "edns-client-string" => config
                .resolver
                .client_strings
                .add(&option.value)
                .map_err(|_| bad())?,
            "edns-client-string-opcode" => {
                config.resolver.client_strings.option_code =
                    unquoted(&option.value).parse().map_err(|_| bad())?
            }
            "edns-tcp-keepalive" => keepalive_on = on()?,
            "edns-tcp-keepalive-timeout" => {
                keepalive_milliseconds = unquoted(&option.value).parse().map_err(|_| bad())?
            }
            "harden-unknown-additional" => config.resolver.harden_unknown_additional = on()?,
            "harden-referral-path" | "qname-minimisation-strict" => only(false)?,
            // The daemon's --answer-cookie and --cookie-secret (`server::cookies`).
            "answer-cookie" => answer_cookie = on()?,
            "cookie-secret" => {
                cookie_secret =
                    Some(CookieSecret::parse(unquoted(&option.value)).map_err(|_| bad())?)
            }
            _ => unsupported(false),
        }
    }
    config.resolver.dnssec.enabled = anchored && validator_module;
    let mut sources = Vec::new();
    for zone in auth_zones {
        let (Some(name), Some(file)) = (zone.name, zone.file) else {
            continue;
        };
        if !zone.for_upstream && !zone.for_downstream {
            continue;
        }
        let Some(text) = scenario.tempfiles.iter().find(|temp| temp.name == file) else {
            config
                .unsupported
                .push("auth-zone: zonefile without TEMPFILE".to_owned());
            continue;
        };
        sources.push(AuthZoneSource {
            name,
            file: std::path::PathBuf::from(file),
            text: Some(text.contents.clone()),
            usage: AuthZoneUse {
                for_downstream: zone.for_downstream,
                for_upstream: zone.for_upstream,
                fallback: zone.fallback,
            },
        });
    }
    // A scenario that cannot run anyway is reported as unsupported, not as a zone error.
    if !sources.is_empty() && config.unsupported.is_empty() {
        let zones = AuthZones::load(&sources).map_err(|error| {
            (
                0,
                ParseErrorKind::BadOptionValue {
                    key: "auth-zone".to_owned(),
                    value: error.to_string(),
                },
            )
        })?;
        config.resolver.auth_zones = zones.upstream;
        config.downstream_auth_zones = zones.downstream;
    }
    for clause in rpz_clauses {
        let Some(name) = clause.name else { continue };
        let Some(file) = clause.file else {
            config.unsupported.push("rpz: without zonefile".to_owned());
            continue;
        };
        let Some(text) = scenario.tempfiles.iter().find(|temp| temp.name == file) else {
            config
                .unsupported
                .push("rpz: zonefile without TEMPFILE".to_owned());
            continue;
        };
        let mut options = clause.options;
        if let Some(word) = clause.action_override {
            options.action_override = Some(
                ActionOverride::parse(&word, clause.cname_override.as_ref()).map_err(|_| {
                    (
                        0,
                        ParseErrorKind::BadOptionValue {
                            key: "rpz-action-override".to_owned(),
                            value: word.clone(),
                        },
                    )
                })?,
            );
        }
        config.local.policy.zones.push(RpzSource {
            name,
            zone: ZoneText::Inline {
                text: text.contents.clone(),
                file: std::path::PathBuf::from(file),
            },
            options,
        });
    }
    if answer_cookie {
        config.cookie_secret = Some(cookie_secret.unwrap_or_else(CookieSecret::random));
    }
    config.resolver.nat64 = nat64_on.then_some(nat64_prefix);
    config.tcp_keepalive =
        keepalive_on.then(|| std::time::Duration::from_millis(u64::from(keepalive_milliseconds)));
    // Unbound: a root stub-zone wins over root-hints; without one the hints files are the root.
    let root_stub = stub_zones
        .iter()
        .any(|(_, zone)| zone.name.as_ref().is_some_and(|name| name.is_root()))
        || !deckard_root.addresses.is_empty();
    if !root_stub {
        config.resolver.root_hints.extend(file_hints);
    }
    if !deckard_root.addresses.is_empty() {
        // Deckard gives the resolver root hints (kresd's `hints.root`), which is the daemon's
        // `--root-hints`: a private root serves its namespace, so only localhost. stays local
        // (`--default-zones auto`). Unbound's own `stub-zone: "."` keeps every default, as
        // Unbound does.
        config.local.default_zones.loopback_reverse = false;
        config.local.default_zones.special_use = false;
        config.local.default_zones.private_reverse = false;
        config.may_snoop = true;
        stub_zones.push((0, deckard_root));
    }
    for (_, zone) in stub_zones {
        let Some(name) = zone.name else { continue };
        if !name.is_root() {
            config.resolver.stub_zones.push(StubZone {
                suffix: name,
                addresses: zone
                    .addresses
                    .into_iter()
                    .map(|address| SocketAddr::new(address, 53))
                    .collect(),
                hosts: zone.hosts,
                prime: zone.prime,
                first: zone.first,
                tcp_upstream: zone.tcp_upstream,
                no_cache: zone.no_cache,
            });
            continue;
        }
        for address in zone.addresses {
            config.stub_address.get_or_insert(address);
            let name = zone
                .server_name
                .clone()
                .or_else(|| root_name_for(scenario, address))
                .unwrap_or_else(|| {
                    Name::from_ascii(DEFAULT_ROOT_NAME).unwrap_or_else(|_| Name::root())
                });
            config.resolver.root_hints.push(RootHint { name, address });
        }
    }
    if !deckard_forward.addresses.is_empty() {
        forward_zones.push((0, deckard_forward));
    }
    for (_, zone) in forward_zones {
        let Some(suffix) = zone.name else { continue };
        let upstreams = zone
            .addresses
            .into_iter()
            .map(|address| SocketAddr::new(address, 53))
            .collect();
        config.resolver.forward_zones.push(ForwardZone {
            suffix,
            upstreams,
            hosts: zone.hosts,
            first: zone.first,
            tcp_upstream: zone.tcp_upstream,
            no_cache: zone.no_cache,
        });
    }
    // As in the daemon: a forward or stub zone replaces the default zones at and below its name.
    config.local.default_zones.removed_below = config
        .resolver
        .forward_zones
        .iter()
        .map(|zone| zone.suffix.clone())
        .chain(
            config
                .resolver
                .stub_zones
                .iter()
                .map(|zone| zone.suffix.clone()),
        )
        .filter(|suffix| !suffix.is_root())
        .collect();
    if let Err(error) = LocalAnswers::build(&config.local) {
        return Err((
            0,
            ParseErrorKind::BadOptionValue {
                key: "local-zone/local-data/nsid/private-address/rpz/response-ip".to_owned(),
                value: error.to_string(),
            },
        ));
    }
    // A Deckard header (no unbound.conf clauses) was written for Knot Resolver, whose minimised
    // queries ask NS; an unbound.conf fragment is Unbound's, which asks A (RFC 9156 §3).
    if scenario
        .options
        .iter()
        .all(|option| option.clause.is_empty())
    {
        config.resolver.minimised_query_type = MinimisedQueryType::Ns;
    } else if !discard_timeout_given {
        config.resolver.requests.discard_timeout = Some(UNBOUND_DISCARD_TIMEOUT);
    }
    Ok(config)
}

/// A header line as a config line that names its scenario line in errors.
fn config_line(option: &HeaderOption) -> ConfigLine {
    ConfigLine::new(option.value.clone(), format!("line {}", option.line))
}

/// `on`/`off`, `yes`/`no`, `true`/`false`, as Unbound's config parser accepts.
fn switch(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" | "1" => Some(true),
        "off" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

fn seconds(value: &str) -> Option<u32> {
    value.trim().parse().ok()
}

/// A number of milliseconds (unbound.conf's `msec` values).
fn milliseconds(value: &str) -> Option<std::time::Duration> {
    unquoted(value)
        .parse()
        .ok()
        .map(std::time::Duration::from_millis)
}

/// An address, without a port or with `@53` (unbound.conf's `addr@port`); another port is unusable.
fn address(value: &str) -> Option<IpAddr> {
    let (address, port) = value.split_once('@').unwrap_or((value, "53"));
    if port != "53" {
        return None;
    }
    address
        .parse::<IpAddr>()
        .ok()
        .map(|address| address.to_canonical())
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

/// A header value without its surrounding double quotes.
fn unquoted(value: &str) -> &str {
    let value = value.trim();
    value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(value)
}

/// Unbound `val-override-date`: `YYYYMMDDHHMMSS` (UTC) or seconds since the epoch.
fn override_date(text: &str) -> Option<u32> {
    if text.len() == 14 && text.bytes().all(|byte| byte.is_ascii_digit()) {
        let field = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
        let month = time::Month::try_from(u8::try_from(field(4..6)?).ok()?).ok()?;
        let date = time::Date::from_calendar_date(
            i32::try_from(field(0..4)?).ok()?,
            month,
            u8::try_from(field(6..8)?).ok()?,
        )
        .ok()?;
        let time = time::Time::from_hms(
            u8::try_from(field(8..10)?).ok()?,
            u8::try_from(field(10..12)?).ok()?,
            u8::try_from(field(12..14)?).ok()?,
        )
        .ok()?;
        return u32::try_from(date.with_time(time).assume_utc().unix_timestamp()).ok();
    }
    text.parse::<u32>().ok()
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
    fn keys_without_an_equivalent_are_unsupported_and_internal_ones_ignored() {
        let config = config_of(
            "harden-glue: \"no\"\nval-override-date: \"20120420235959\"\ntrust-anchor: \". DS 1 2 3 AB\"\n\
             target-fetch-policy: \"0 0 0 0 0\"\nminimal-responses: yes\nserve-expired: no\nqname-minimisation-strict: yes\n\
             trust-anchor-signaling: no\nval-max-restart: 5\nval-permissive-mode: yes\n",
        )
        .unwrap();
        let ignored: Vec<&str> = config
            .ignored
            .iter()
            .map(|option| option.key.as_str())
            .collect();
        assert_eq!(ignored, ["target-fetch-policy"]);
        assert_eq!(
            config.unsupported,
            ["qname-minimisation-strict: yes", "val-permissive-mode: yes"]
        );
        assert!(!config.resolver.harden_glue);
        let other_restarts = config_of("val-max-restart: 2\n").unwrap();
        assert_eq!(other_restarts.unsupported, ["val-max-restart: 2"]);
    }

    #[test]
    fn validator_keys_set_anchors_clock_and_negative_anchors() {
        let config = config_of(
            "val-override-date: \"20120420235959\"\n\
             trust-anchor: \"example.com. 3600 IN DS 34385 7 1 32E1CF5B4E0089080FF6DDC4A48CEE63E88101D6\"\n\
             domain-insecure: \"lab.example.com.\"\nfake-sha1: yes\n\
             harden-dnssec-stripped: no\nprefetch-key: yes\n",
        )
        .unwrap();
        let dnssec = &config.resolver.dnssec;
        assert!(dnssec.enabled && dnssec.test_switches.fake_sha1);
        assert!(dnssec.stripped_is_insecure && dnssec.prefetch_keys);
        assert_eq!(dnssec.date_override, Some(1_334_966_399));
        let name = |text: &str| Name::from_ascii(text).unwrap();
        assert!(dnssec.anchors.closest(&name("www.example.com.")).is_some());
        assert!(dnssec.anchors.is_negative(&name("a.lab.example.com.")));
        assert!(config.unsupported.is_empty(), "{:?}", config.unsupported);
    }

    #[test]
    fn unbound_stub_and_forward_clauses_map_onto_hints_and_forward_zones() {
        let config = config_of(
            "server:\n\tqname-minimisation: \"no\"\nstub-zone:\n\tname: \".\"\n\tstub-addr: 1.1.1.1\n\
             forward-zone: name: \"example.com\" forward-addr: 10.0.0.1\nstub-zone:\n\tname: \"sub.example.\"\n\tstub-addr: 10.0.0.2\n",
        )
        .unwrap();
        assert!(!config.resolver.qname_minimisation);
        assert_eq!(config.resolver.root_hints.len(), 1);
        assert_eq!(config.resolver.root_hints[0].name.to_string(), "a.root.");
        let forward = &config.resolver.forward_zones[0];
        assert_eq!(forward.suffix.to_string(), "example.com.");
        assert_eq!(forward.upstreams[0].to_string(), "10.0.0.1:53");
        let stub = &config.resolver.stub_zones[0];
        assert_eq!(stub.suffix.to_string(), "sub.example.");
        assert_eq!(stub.addresses[0].to_string(), "10.0.0.2:53");
        assert!(config.unsupported.is_empty(), "{:?}", config.unsupported);
    }

    #[test]
    fn deckard_forward_addr_forwards_every_name() {
        let config = config_of("forward-addr: 192.0.2.1\n").unwrap();
        let forward = &config.resolver.forward_zones[0];
        assert!(forward.suffix.is_root());
        assert_eq!(forward.upstreams[0].to_string(), "192.0.2.1:53");
        assert!(config.unsupported.is_empty(), "{:?}", config.unsupported);
    }

    #[test]
    fn deckard_deny_policies_become_always_nxdomain_zones() {
        let config =
            config_of("feature-list: policy=policy:add(policy.all(policy.DENY))\n").unwrap();
        assert_eq!(config.local.zones.len(), 1);
        assert!(config.unsupported.is_empty(), "{:?}", config.unsupported);
        let other =
            config_of("feature-list: policy=policy:add(policy.all(policy.QTRACE))\n").unwrap();
        assert_eq!(other.unsupported, ["feature-list"]);
    }

    #[test]
    fn scrubbing_and_response_shape_keys_map_onto_resolver_settings() {
        let config = config_of("iter-scrub-promiscuous: no\nminimal-responses: no\n").unwrap();
        assert!(!config.resolver.scrub_promiscuous && !config.resolver.minimal_responses);
        assert!(config.unsupported.is_empty());
        let defaults = config_of("").unwrap();
        assert!(defaults.resolver.scrub_promiscuous && defaults.resolver.minimal_responses);
    }

    #[test]
    fn cache_size_keys_map_onto_the_cache_bound_and_negative_floor() {
        let config =
            config_of("msg-cache-size: 1024\ncache-min-negative-ttl: 10\noutbound-msg-retry: 1\n")
                .unwrap();
        assert_eq!(config.resolver.cache_max_entries, 2);
        assert_eq!(config.resolver.min_negative_ttl, 10);
        assert!(config.unsupported.is_empty(), "{:?}", config.unsupported);
        let one_byte = config_of("msg-cache-size: 1\n").unwrap();
        assert_eq!(one_byte.resolver.cache_max_entries, 1);
    }

    #[test]
    fn request_list_budget_and_ttl_keys_map_onto_resolver_settings() {
        let config = config_of(
            "num-queries-per-thread: 2\njostle-timeout: 300\ndiscard-timeout: 86400\n\
             max-global-quota: 10\nserve-original-ttl: yes\naccess-control: 10.0.0.0/8 allow\n\
             forward-zone:\n\tname: \".\"\n\tforward-addr: 10.0.0.1\n\tforward-no-cache: yes\n",
        )
        .unwrap();
        let requests = config.resolver.requests;
        assert_eq!(requests.max_resolutions, 2);
        assert_eq!(
            requests.jostle_timeout,
            std::time::Duration::from_millis(300)
        );
        assert_eq!(
            requests.discard_timeout,
            Some(std::time::Duration::from_millis(86_400))
        );
        assert_eq!(config.resolver.max_upstream_queries, 10);
        assert!(config.resolver.serve_original_ttl);
        assert!(config.resolver.forward_zones[0].no_cache);
        assert!(config.unsupported.is_empty(), "{:?}", config.unsupported);
        // 0 turns the discard timeout off, as in Unbound.
        let off = config_of("discard-timeout: 0\n").unwrap();
        assert_eq!(off.resolver.requests.discard_timeout, None);
        // An unbound.conf header without the key runs with Unbound's default, as in testbound.
        let unbound = config_of("server:\n\tverbosity: 1\n").unwrap();
        assert_eq!(
            unbound.resolver.requests.discard_timeout,
            Some(UNBOUND_DISCARD_TIMEOUT)
        );
    }

    #[test]
    fn upstream_query_keys_map_onto_nat64_do_not_query_client_strings_and_glue_hardening() {
        let config = config_of(
            "do-nat64: yes\nnat64-prefix: 2001:db8:1234::/96\ndo-not-query-address: ::0/0\n\
             edns-client-string: 10.0.0.0/24 \"abc d\"\nedns-client-string-opcode: 65432\n\
             harden-unverified-glue: yes\n",
        )
        .unwrap();
        let resolver = &config.resolver;
        assert_eq!(
            resolver.nat64.map(|prefix| prefix.to_string()).as_deref(),
            Some("2001:db8:1234::/96")
        );
        assert_eq!(resolver.do_not_query.len(), 1);
        assert_eq!(resolver.client_strings.option_code, 65432);
        assert_eq!(
            resolver
                .client_strings
                .for_server("10.0.0.1".parse().unwrap()),
            Some(&b"abc d"[..])
        );
        assert!(resolver.harden_unverified_glue);
        assert!(config.unsupported.is_empty(), "{:?}", config.unsupported);
        // The prefix alone turns nothing on; do-nat64 alone takes the well-known prefix.
        let prefix_only = config_of("nat64-prefix: 2001:db8:1234::/96\n").unwrap();
        assert!(prefix_only.resolver.nat64.is_none());
        let switch_only = config_of("do-nat64: yes\n").unwrap();
        assert_eq!(
            switch_only
                .resolver
                .nat64
                .map(|prefix| prefix.to_string())
                .as_deref(),
            Some("64:ff9b::/96")
        );
        assert!(config_of("nat64-prefix: 2001:db8::/95\n").is_err());
    }

    #[test]
    fn root_hints_files_become_the_root_hints_and_other_classes_are_passed_over() {
        let config = config_of(
            "server:\n\troot-hints:\nTEMPFILE_NAME in.hints\nTEMPFILE_CONTENTS in.hints\n\
             . 3600 NS k.root-servers.net.\nk.root-servers.net. 3600 IN A 193.0.14.129\nTEMPFILE_END\n\
             \troot-hints:\nTEMPFILE_NAME ch.hints\nTEMPFILE_CONTENTS ch.hints\n\
             . 3600 CH NS ns.ch.test.\nns.ch.test. 3600 CH A 1.2.3.5\nTEMPFILE_END\n",
        )
        .unwrap();
        let hints = &config.resolver.root_hints;
        assert_eq!(hints.len(), 1, "{hints:?}");
        assert_eq!(hints[0].address.to_string(), "193.0.14.129");
        assert!(config.unsupported.is_empty(), "{:?}", config.unsupported);
    }

    #[test]
    fn rpz_clauses_and_response_ip_lines_map_onto_the_policy_settings() {
        let config = config_of(
            "server:\n\tmodule-config: \"respip iterator\"\n\tresponse-ip: 192.0.2.0/24 redirect\n\
             \tresponse-ip-data: 192.0.2.0/24 \"A 198.51.100.1\"\n\
             rpz:\n\tname: \"rpz.example.com.\"\n\trpz-action-override: nodata\n\trpz-log: yes\n\
             \trpz-log-name: \"feed\"\n\trpz-signal-nxdomain-ra: yes\n\tzonefile:\n\
             TEMPFILE_NAME rpz.example.com\nTEMPFILE_CONTENTS rpz.example.com\n\
             $ORIGIN rpz.example.com.\nwww.example.test CNAME .\nTEMPFILE_END\n",
        )
        .unwrap();
        assert!(config.unsupported.is_empty(), "{:?}", config.unsupported);
        assert!(!config.resolver.dnssec.enabled);
        let policy = &config.local.policy;
        assert_eq!(policy.response_ip.len(), 1);
        assert_eq!(policy.response_ip_data.len(), 1);
        let zone = &policy.zones[0];
        assert_eq!(zone.name.to_string(), "rpz.example.com.");
        assert!(zone.options.log && zone.options.signal_nxdomain_ra);
        assert_eq!(zone.options.log_name.as_deref(), Some("feed"));
        assert_eq!(
            zone.options.action_override,
            Some(ActionOverride::Action(
                crate::policy::action::PolicyAction::NoData
            ))
        );
        // Transfers of the policy zone have no equivalent.
        let transferred =
            config_of("rpz:\n\tname: \"rpz.example.com.\"\n\tprimary: 192.0.2.1\n").unwrap();
        assert_eq!(
            transferred.unsupported,
            ["primary", "rpz: without zonefile"]
        );
    }

    #[test]
    fn unusable_values_of_known_options_are_errors() {
        assert!(config_of("stub-addr: not-an-address\n").is_err());
        assert!(config_of("do-ip6: maybe\n").is_err());
        assert!(config_of("features: min_ttl = lots\n").is_err());
    }
}
