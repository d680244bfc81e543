//! The daemon's command line (clap) and the settings it runs with: flags merged over the config
//! file (a flag given replaces the file's value; lists replace, they do not append). Pure: no I/O
//! except reading the config and root hints files.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Parser, ValueEnum};
use hickory_proto::rr::Name;

use crate::auth_zone::{AuthZoneSource, AuthZoneUse, AuthZones, DownstreamAuthZones};
use crate::config::{DnssecConfig, ForwardZone, ResolverConfig, ServeExpired, StubZone};
use crate::dnssec::{AnchorError, Anchors};
use crate::iterate::root_hints::{read_root_hints_file, RootHintsError};
use crate::limits::DEFAULT_RPZ_MAX_RECORDS;
use crate::policy::{PolicySettings, RpzSource};
use crate::request_list::RequestLimits;
use crate::server::access::{AccessList, Cidr, CidrError};
use crate::server::access_settings::{apply as apply_access, AccessSettings, AccessSettingsError};
use crate::server::client_tags::TagNames;
use crate::server::config_file::{ConfigError, ConfigFile, ConfiguredZoneEntry, Entry};
use crate::server::cookies::CookieSecret;
use crate::server::default_zones::DefaultZonePolicy;
use crate::server::local_answers::{LocalAnswers, LocalSettings, LocalSettingsError};
use crate::server::local_zone_table::ConfigLine;
use crate::server::upstream_settings::{upstream_options, UpstreamOptionError};

pub use crate::server::control_command::ControlCommand;

/// DNS port (RFC 1035 §4.2).
const DNS_PORT: u16 = 53;

/// A caching, recursive DNS resolver for a host or a small network.
#[derive(Parser, Debug, Clone, Default)]
#[command(
    name = "resolver",
    version,
    about,
    after_long_help = "Always on, without a flag (resolver/README.md, \"Upstream exchanges\"): a truncated UDP reply (TC=1) is asked again over TCP and never used or cached as a complete answer when TCP fails; a server answering FORMERR or NOTIMP to EDNS is asked once more without it; servers reached only over IPv6 are asked over IPv6 (see --no-ip6), and a delegation with no usable address fails at once; DS questions go to the parent side of the zone cut."
)]
pub struct Arguments {
    /// Address and port to serve on, UDP and TCP (repeatable) [default: 127.0.0.1:53, [::1]:53]
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Vec<SocketAddr>,
    /// Root hints in named.root format (default: the built-in IANA hints)
    #[arg(long, value_name = "FILE")]
    pub root_hints: Option<PathBuf>,
    /// Forward every query to this server with RD=1 instead of iterating (repeatable)
    #[arg(long, value_name = "ADDR[:PORT]")]
    pub forward: Vec<String>,
    /// Forward queries at or below NAME to these servers (repeatable; Unbound's forward-zone).
    /// A SERVER is ADDR[:PORT] or a host name (forward-host, looked up when needed); the words
    /// `first` (iterate when every forwarder fails, forward-first), `tcp` (TCP only,
    /// forward-tcp-upstream) and `no-cache` (its answers never cached, every query asked again,
    /// forward-no-cache) may follow
    #[arg(long, value_name = "NAME=SERVER[,SERVER][,first][,tcp][,no-cache]")]
    pub forward_zone: Vec<String>,
    /// Resolve names at or below NAME from these authoritative servers, asked with RD=0, instead
    /// of the delegation the parent publishes (repeatable; Unbound's stub-zone). A SERVER is
    /// ADDR[:PORT] or a host name (stub-host); the words `prime` (ask them for the zone's NS set
    /// first and use the servers it names, stub-prime), `first` (iterate when they all fail,
    /// stub-first), `tcp` (TCP only, stub-tcp-upstream) and `no-cache` (its answers never
    /// cached, stub-no-cache) may follow
    #[arg(
        long,
        value_name = "NAME=SERVER[,SERVER][,prime][,first][,tcp][,no-cache]"
    )]
    pub stub_zone: Vec<String>,
    /// Answer names at or below NAME from this RFC 1035 zone file instead of asking the zone's
    /// servers (repeatable; Unbound's auth-zone with for-upstream: yes, for-downstream: no): the
    /// answers are resolved and cached as any others (RA, not AA). The file needs an SOA
    /// at NAME. `downstream`: clients asking names in the zone get its answer directly, AA=1, as
    /// from an authoritative server (for-downstream: yes); `no-upstream`: the iterator does not
    /// use it (for-upstream: no); `fallback`: a zone file that fails to load is logged and its
    /// names resolved normally (fallback-enabled: yes), else the start fails
    #[arg(long, value_name = "NAME=FILE[,downstream][,no-upstream][,fallback]")]
    pub auth_zone: Vec<String>,
    /// Send every upstream query over TCP (Unbound's tcp-upstream), e.g. behind a firewall that
    /// drops UDP
    #[arg(long)]
    pub tcp_upstream: bool,
    /// Serve this YAML zone authoritatively, without recursion (repeatable; ORIGIN=FILE allowed)
    #[arg(long, value_name = "FILE")]
    pub zone: Vec<String>,
    /// Answer clients in this prefix (repeatable). Default: all loopback (127.0.0.0/8, ::1); once
    /// any --allow is given, loopback means only the host itself (127.0.0.1, ::1)
    #[arg(long, value_name = "CIDR")]
    pub allow: Vec<String>,
    /// Let clients in this prefix send RD=0 queries, answered from the cache only (repeatable;
    /// Unbound's allow_snoop): the cached answer, else a referral to the closest cached
    /// delegation, validated when handed out (AD when secure). They may also query as --allow
    /// gives. Others get REFUSED for RD=0
    #[arg(long, value_name = "CIDR")]
    pub allow_snoop: Vec<String>,
    /// Unbound's access-control (repeatable): "CIDR ACTION", ACTION one of allow, allow_snoop
    /// (RD=0 reads the cache), allow_setrd (RD=0 taken as RD=1), deny (no answer), refuse
    /// (REFUSED with EDE 18 Prohibited), deny_non_local / refuse_non_local (local zones only).
    /// The most specific prefix decides; applied over --allow and --allow-snoop
    #[arg(long, value_name = "CIDR ACTION")]
    pub access_control: Vec<String>,
    /// Name tags for clients and local zones (repeatable; Unbound's define-tag): "TAG [TAG...]"
    #[arg(long, value_name = "TAGS")]
    pub define_tag: Vec<String>,
    /// Give clients in a prefix tags (repeatable; Unbound's access-control-tag): "CIDR TAGS".
    /// A prefix named only here is allowed
    #[arg(long, value_name = "CIDR TAGS")]
    pub access_control_tag: Vec<String>,
    /// For clients in a prefix, a tagged local zone acts as this local-zone type instead
    /// (repeatable; Unbound's access-control-tag-action): "CIDR TAG TYPE"
    #[arg(long, value_name = "CIDR TAG TYPE")]
    pub access_control_tag_action: Vec<String>,
    /// For clients in a prefix, a tagged redirect zone answers with this data (repeatable;
    /// Unbound's access-control-tag-data): "CIDR TAG TYPE RDATA", e.g. "10.0.0.0/8 kids A 192.0.2.1"
    #[arg(long, value_name = "CIDR TAG RR")]
    pub access_control_tag_data: Vec<String>,
    /// Serve a local zone only to clients with one of these tags (repeatable; Unbound's
    /// local-zone-tag): "ZONE TAGS"
    #[arg(long, value_name = "ZONE TAGS")]
    pub local_zone_tag: Vec<String>,
    /// A local zone acts as another type for clients in a prefix (repeatable; Unbound's
    /// local-zone-override): "ZONE CIDR TYPE"
    #[arg(long, value_name = "ZONE CIDR TYPE")]
    pub local_zone_override: Vec<String>,
    /// Answer DNS cookies (RFC 7873, RFC 9018 format; Unbound's answer-cookie): a client that
    /// sends a cookie gets a server cookie back, and an allow_cookie client must show a valid
    /// one over UDP (else BADCOOKIE, or REFUSED with TC without any)
    #[arg(long)]
    pub answer_cookie: bool,
    /// The 128-bit server-cookie secret as 32 hex digits (Unbound's cookie-secret); servers of one
    /// anycast address share it. Default: random at each start and reload
    #[arg(long, value_name = "HEX")]
    pub cookie_secret: Option<String>,
    /// YAML file with the same settings; flags override it
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Send every upstream query to this port (a lab of servers off port 53, no root needed)
    #[arg(long, value_name = "PORT")]
    pub upstream_port: Option<u16>,
    /// Allow loopback upstream addresses (Unbound's do-not-query-localhost: no)
    #[arg(long)]
    pub allow_loopback_upstream: bool,
    /// Never send a query to servers in this prefix (repeatable; Unbound's
    /// do-not-query-address), e.g. a broken server or a network without a route. An address
    /// inside the --nat64-prefix is the gateway's and stays allowed
    #[arg(long, value_name = "CIDR")]
    pub do_not_query_address: Vec<String>,
    /// Reach IPv4-only name servers through a NAT64 gateway: their queries go to the IPv6
    /// address --nat64-prefix embeds them in (RFC 6052; Unbound's do-nat64), for a host with
    /// IPv6 only. IPv4 addresses are used even with no IPv4 of our own
    #[arg(long)]
    pub nat64: bool,
    /// The NAT64 prefix for --nat64: an IPv6 prefix of length 32, 40, 48, 56, 64 or 96
    /// (Unbound's nat64-prefix) [default: 64:ff9b::/96, the RFC 6052 well-known prefix]
    #[arg(long, value_name = "PREFIX")]
    pub nat64_prefix: Option<String>,
    /// Send this string in an EDNS option to upstream servers in NETBLOCK (repeatable; the
    /// longest matching netblock wins; Unbound's edns-client-string), e.g. to tell a CDN's
    /// servers which site asks
    #[arg(long, value_name = "NETBLOCK STRING")]
    pub edns_client_string: Vec<String>,
    /// The EDNS option code --edns-client-string is sent with (Unbound's
    /// edns-client-string-opcode) [default: 65001]
    #[arg(long, value_name = "CODE")]
    pub edns_client_string_opcode: Option<u16>,
    /// Do not use referral glue for a name server outside the delegated zone (sibling glue)
    /// before looking the name up; the glue is used only when that lookup fails (Unbound's
    /// harden-unverified-glue)
    #[arg(long)]
    pub harden_unverified_glue: bool,
    /// Cache size bound, in RRsets
    #[arg(long, value_name = "N")]
    pub cache_size: Option<u64>,
    /// Lowest TTL stored in the cache, in seconds
    #[arg(long, value_name = "SECONDS")]
    pub min_ttl: Option<u32>,
    /// Highest TTL stored in the cache, in seconds
    #[arg(long, value_name = "SECONDS")]
    pub max_ttl: Option<u32>,
    /// Highest TTL of a cached negative answer (NXDOMAIN, NODATA), in seconds; the SOA shown
    /// carries it too (RFC 2308 §5; Unbound's cache-max-negative-ttl) [default: 3600]
    #[arg(long, value_name = "SECONDS")]
    pub max_negative_ttl: Option<u32>,
    /// Lowest TTL of a cached negative answer, in seconds, in place of --min-ttl for them
    /// (Unbound's cache-min-negative-ttl; 1 keeps the servers' TTLs despite --min-ttl)
    /// [default: 0: --min-ttl applies]
    #[arg(long, value_name = "SECONDS")]
    pub min_negative_ttl: Option<u32>,
    /// Send the full query name to every server (turn off RFC 9156 QNAME minimisation). By
    /// default minimisation is relaxed, as Unbound's: a minimised question answered NXDOMAIN
    /// (unless signed), REFUSED, SERVFAIL, or never answered is asked with the full name, and a
    /// CNAME met on one ends minimising, within the query budgets
    #[arg(long)]
    pub no_qname_minimisation: bool,
    /// Keep NS sets (and their addresses) that servers add beside positive answers; by default
    /// they are scrubbed so they cannot replace the parent's delegation (Unbound's
    /// iter-scrub-promiscuous: no)
    #[arg(long)]
    pub no_scrub_promiscuous: bool,
    /// Resolve names below a cached DNSSEC-secure NXDOMAIN instead of answering them NXDOMAIN
    /// from the cache (RFC 8020; Unbound's harden-below-nxdomain: no)
    #[arg(long)]
    pub no_harden_below_nxdomain: bool,
    /// Give positive answers the authority and additional sections of the reply that gave
    /// them (the zone's NS set, its servers' addresses), as the cache holds them now: BIND's
    /// default shape (Unbound's minimal-responses: no); by default they carry the answer only
    #[arg(long)]
    pub no_minimal_responses: bool,
    /// Serve expired cached data when a refresh fails or is slow, marked with EDE 3 "Stale
    /// Answer" (RFC 8767, RFC 8914; Unbound's serve-expired)
    #[arg(long)]
    pub serve_expired: bool,
    /// How long past its expiry data may be served stale, 0 for no limit (Unbound's
    /// serve-expired-ttl) [default: 86400]
    #[arg(long, value_name = "SECONDS")]
    pub serve_expired_ttl: Option<u32>,
    /// The TTL stale records are sent with (Unbound's serve-expired-reply-ttl) [default: 30]
    #[arg(long, value_name = "SECONDS")]
    pub serve_expired_reply_ttl: Option<u32>,
    /// How long a client waits for the refresh before it gets stale data; 0 answers stale data
    /// at once and refreshes in the background (Unbound's serve-expired-client-timeout)
    /// [default: 1800]
    #[arg(long, value_name = "MILLISECONDS")]
    pub serve_expired_client_timeout: Option<u32>,
    /// Refresh a cached answer in the background when it is asked for in the last 10 % of its
    /// TTL; the client gets the cached answer at once (Unbound's prefetch). A delegation that
    /// would lapse first is passed over for its parent's, so a moved zone is followed
    #[arg(long)]
    pub prefetch: bool,
    /// Send records with the TTL the server gave them, not the one counting down in the cache
    /// (stale ones too); --min-ttl and --max-ttl are then not applied (Unbound's
    /// serve-original-ttl), e.g. in front of a hidden primary. Cache expiry is unchanged
    #[arg(long)]
    pub serve_original_ttl: bool,
    /// Resolutions running at once (Unbound's num-queries-per-thread, for the whole daemon).
    /// The first half always run to their end; past the bound a new query takes the place of
    /// the oldest of the other half if it has run longer than --jostle-timeout (its clients get
    /// no answer), or is dropped [default: 1024]
    #[arg(long, value_name = "N")]
    pub max_resolutions: Option<usize>,
    /// How long a resolution is safe from being replaced by a new query when the resolutions
    /// are at --max-resolutions (Unbound's jostle-timeout) [default: 200]
    #[arg(long, value_name = "MILLISECONDS")]
    pub jostle_timeout: Option<u64>,
    /// Drop an answer that is ready later than this after its query came: the client has given
    /// up or asked again (Unbound's discard-timeout; Unbound's default is 1900). 0 sends every
    /// answer [default: 0: clients get SERVFAIL at 4 s instead]
    #[arg(long, value_name = "MILLISECONDS")]
    pub discard_timeout: Option<u64>,
    /// Upstream queries one client query may cost, CNAME targets and name server lookups
    /// included; past it the answer is SERVFAIL (Unbound's max-global-quota) [default: 200]
    #[arg(long, value_name = "N")]
    pub max_upstream_queries: Option<u32>,
    /// Never query IPv6 upstream addresses, nor ask AAAA for name servers (Unbound's
    /// do-ip6: no; YAML `ip6: false`), for hosts without IPv6 connectivity
    #[arg(long)]
    pub no_ip6: bool,
    /// Trust anchor file: DS or DNSKEY records in zone-file syntax (repeatable; Unbound's
    /// trust-anchor-file). Replaces the built-in IANA root KSKs, which apply only when
    /// iterating from the built-in root hints
    #[arg(long, value_name = "FILE")]
    pub trust_anchor: Vec<PathBuf>,
    /// Do not validate at or below NAME (a negative trust anchor, RFC 7646; Unbound's
    /// domain-insecure; repeatable)
    #[arg(long, value_name = "NAME")]
    pub insecure_domain: Vec<String>,
    /// Turn DNSSEC validation off (no AD, bogus data passed on)
    #[arg(long)]
    pub no_dnssec: bool,
    /// A signed zone whose DNSKEY set cannot be fetched or does not validate is insecure
    /// instead of bogus (Unbound's harden-dnssec-stripped: no); weakens validation against an
    /// attacker who strips DNSSEC
    #[arg(long)]
    pub no_harden_dnssec_stripped: bool,
    /// Fetch a signed zone's DNSKEY set as soon as a referral shows its DS, while its servers
    /// are asked (Unbound's prefetch-key)
    #[arg(long)]
    pub prefetch_key: bool,
    /// Require every algorithm a signed zone's DS set lists to sign its DNSKEY set, not just
    /// one (Unbound's harden-algo-downgrade); off by default, as one suffices per RFC 6840
    #[arg(long)]
    pub harden_algo_downgrade: bool,
    /// Answer NXDOMAIN, NODATA and wildcard answers from cached, validated NSEC/NSEC3 records
    /// without asking upstream (RFC 8198; Unbound's aggressive-nsec); on by default while
    /// validating, this overrides `aggressive-nsec: false` in the file
    #[arg(long, overrides_with = "no_aggressive_nsec")]
    pub aggressive_nsec: bool,
    /// Turn RFC 8198 off: a name the cache does not hold is always asked upstream, even when a
    /// cached NSEC/NSEC3 record already proves it does not exist
    #[arg(long, overrides_with = "aggressive_nsec")]
    pub no_aggressive_nsec: bool,
    /// Serve a local zone, Unbound's `local-zone` (repeatable): "NAME TYPE", TYPE one of static,
    /// transparent, typetransparent, redirect, refuse, deny, inform, inform_deny,
    /// always_transparent, always_refuse, always_nxdomain, always_nodata, always_deny,
    /// always_null, nodefault (turns a default zone off), block_a, block_aaaa (NODATA for that
    /// type, other types resolved), block_a_wdata, block_aaaa_wdata (local data first)
    #[arg(long, value_name = "NAME TYPE")]
    pub local_zone: Vec<String>,
    /// A record served from the local zones, Unbound's `local-data` (repeatable): "NAME [TTL]
    /// [CLASS] TYPE RDATA"; outside every local zone it makes a transparent one
    #[arg(long, value_name = "RR")]
    pub local_data: Vec<String>,
    /// A PTR record for an address, Unbound's `local-data-ptr` (repeatable): "ADDRESS [TTL] NAME"
    #[arg(long, value_name = "ADDRESS NAME")]
    pub local_data_ptr: Vec<String>,
    /// Which RFC 6761/6303 zones are answered locally: all (localhost, loopback reverse,
    /// home.arpa, onion, test, invalid, resolver.arpa, service.arpa, AS112 reverse zones),
    /// localhost only, or auto: all with the IANA root, localhost only with --root-hints (a
    /// private root serves its own namespace) [default: auto]
    #[arg(long, value_enum, value_name = "WHICH")]
    pub default_zones: Option<DefaultZones>,
    /// Answer CH TXT id.server and hostname.bind with this text ("" for the host name)
    #[arg(long, value_name = "TEXT")]
    pub identity: Option<String>,
    /// Answer CH TXT version.bind and version.server with this text ("" for "resolver VERSION")
    #[arg(long, value_name = "TEXT")]
    pub version_string: Option<String>,
    /// Refuse id.server/hostname.bind even with --identity (the default without it)
    #[arg(long)]
    pub hide_identity: bool,
    /// Refuse version.bind/version.server even with --version-string (the default without it)
    #[arg(long)]
    pub hide_version: bool,
    /// Send this NSID (RFC 5001) to clients that ask: hex digits, or ascii_TEXT (Unbound syntax)
    #[arg(long, value_name = "HEX|ascii_TEXT")]
    pub nsid: Option<String>,
    /// Strip A/AAAA answers in this prefix for names outside --private-domain (repeatable; DNS
    /// rebinding protection, Unbound's private-address)
    #[arg(long, value_name = "CIDR")]
    pub private_address: Vec<String>,
    /// Apply this RPZ policy zone (repeatable; consulted in order, the first match wins): an RFC
    /// 1035 zone file of triggers (NAME, *.NAME, LEN.REVERSED-IP.rpz-ip, ...rpz-client-ip) and
    /// actions (CNAME . NXDOMAIN, CNAME *. NODATA, CNAME rpz-passthru., rpz-drop., rpz-tcp-only.,
    /// or local data), as Unbound's rpz: clause. Options after the file: action-override=ACTION
    /// (nxdomain, nodata, passthru, drop, tcp_only, cname, disabled), cname-override=NAME,
    /// log=yes (one info line per applied rule), log-name=TEXT, signal-nxdomain-ra=yes (RA
    /// cleared on its NXDOMAIN answers)
    #[arg(long, value_name = "NAME=FILE[,KEY=VALUE...]")]
    pub rpz: Vec<String>,
    /// Act on answers holding an address in CIDR (repeatable; Unbound's response-ip): deny
    /// (drop), redirect (answer --response-ip-data), inform, inform_deny, always_transparent,
    /// always_refuse, always_nxdomain, always_nodata, always_null
    #[arg(long, value_name = "CIDR=ACTION")]
    pub response_ip: Vec<String>,
    /// The record a redirect --response-ip answers with, written without its owner, e.g.
    /// 192.0.2.0/24="A 198.51.100.80" (repeatable; Unbound's response-ip-data)
    #[arg(long, value_name = "CIDR=RR")]
    pub response_ip_data: Vec<String>,
    /// The most records one --rpz zone may hold; a larger zone is refused at start and reload
    /// [default: 1000000]
    #[arg(long, value_name = "N")]
    pub rpz_max_records: Option<usize>,
    /// Names (and all below) allowed to resolve to --private-address prefixes (repeatable)
    #[arg(long, value_name = "NAME")]
    pub private_domain: Vec<String>,
    /// Keep each RRset's records in cache order instead of rotating them per query (Unbound's
    /// rrset-roundrobin: no)
    #[arg(long)]
    pub no_rrset_roundrobin: bool,
    /// Control socket (Unix domain, mode 0600): the daemon listens on it; with COMMAND, the
    /// client sends COMMAND to it and prints the reply
    #[arg(long, value_name = "PATH")]
    pub control: Option<PathBuf>,
    /// Client mode: send this command to the daemon at --control PATH, print the reply and exit.
    /// stats | stats_noreset | flush [NAME] | flush_type NAME TYPE | flush_zone NAME |
    /// flush_bogus | flush_negative | flush_infra ADDR|all | dump_cache (to stdout) | load_cache
    /// (from stdin) | lookup NAME | list_forwards | list_local_zones | reload
    #[arg(requires = "control", num_args = 0.., value_name = "COMMAND")]
    pub command: Vec<String>,
    /// Ignore the RFC 7828 edns-tcp-keepalive option of TCP clients: no option in the answer,
    /// no FORMERR for a malformed one (Unbound's edns-tcp-keepalive: no). By default a TCP
    /// query carrying it gets it back with the connection's idle timeout, and so does every later
    /// answer on that connection (as Unbound)
    #[arg(long)]
    pub no_edns_tcp_keepalive: bool,
    /// How long a client TCP connection may stay idle, announced to clients that send the
    /// edns-tcp-keepalive option (Unbound's edns-tcp-keepalive-timeout), at most 6553500 (the
    /// option's largest value) [default: 10000]
    #[arg(long, value_name = "MILLISECONDS")]
    pub edns_tcp_keepalive_timeout: Option<u32>,
    /// Serve Prometheus metrics over HTTP at ADDR:PORT (or PORT: 127.0.0.1:PORT), path /metrics.
    /// Off by default; a non-loopback address needs --metrics-public
    #[arg(long, value_name = "ADDR:PORT")]
    pub metrics: Option<String>,
    /// Let --metrics listen on a non-loopback address (anyone who reaches it reads the counters)
    #[arg(long)]
    pub metrics_public: bool,
}

/// `--default-zones`: which locally served zones are on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DefaultZones {
    /// All with the IANA root hints; only localhost. with --root-hints.
    Auto,
    /// Every default zone, whatever the root.
    All,
    /// Only localhost.
    Localhost,
}

impl DefaultZones {
    fn parse(text: &str) -> Option<DefaultZones> {
        match text {
            "auto" => Some(DefaultZones::Auto),
            "all" => Some(DefaultZones::All),
            "localhost" => Some(DefaultZones::Localhost),
            _ => None,
        }
    }
}

/// Where a bad value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Flag(&'static str),
    /// The config file and the line of the value.
    File(PathBuf, u64),
}

impl fmt::Display for Origin {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => write!(formatter, "--{flag}"),
            Origin::File(file, line) => write!(formatter, "{}:{line}", file.display()),
        }
    }
}

/// Why the settings could not be built.
#[derive(Debug)]
pub enum SettingsError {
    Config(ConfigError),
    RootHints(RootHintsError),
    Allow {
        origin: Origin,
        error: CidrError,
    },
    /// min-ttl above max-ttl: every record would be stored for longer than the cap allows.
    TtlBounds {
        min_ttl: u32,
        max_ttl: u32,
    },
    Listen {
        origin: Origin,
        text: String,
    },
    Forward {
        origin: Origin,
        text: String,
    },
    ForwardZone {
        origin: Origin,
        text: String,
    },
    StubZone {
        origin: Origin,
        text: String,
    },
    DefaultZones {
        origin: Origin,
        text: String,
    },
    Local(LocalSettingsError),
    /// `access-control` and its tag lines.
    Access(AccessSettingsError),
    /// `--auth-zone NAME=FILE`: unreadable argument or zone.
    AuthZone {
        origin: Origin,
        reason: String,
    },
    /// `--rpz NAME=FILE[,KEY=VALUE...]`: an unreadable entry (the zone itself is checked with
    /// the local settings).
    Rpz {
        origin: Origin,
        reason: String,
    },
    TrustAnchor {
        file: PathBuf,
        error: TrustAnchorError,
    },
    InsecureDomain {
        origin: Origin,
        text: String,
    },
    Metrics {
        origin: Origin,
        text: String,
    },
    /// A limit of 0 (max-resolutions, max-upstream-queries): nothing could ever be answered.
    ZeroLimit {
        setting: &'static str,
    },
    /// A metrics address off loopback without metrics-public.
    MetricsNotLoopback {
        origin: Origin,
        address: SocketAddr,
    },
    /// NAT64, do-not-query-address, EDNS client strings (`upstream_settings`).
    Upstream(UpstreamOptionError),
    /// An idle timeout the keepalive option cannot announce (0, or over 6553.5 s).
    KeepaliveTimeout {
        origin: Origin,
        milliseconds: u32,
    },
}

/// Why a trust anchor file could not be used.
#[derive(Debug)]
pub enum TrustAnchorError {
    Read(std::io::ErrorKind),
    /// Too large to be an anchor file (`MAX_TRUST_ANCHOR_FILE_BYTES`).
    TooLarge,
    Record(AnchorError),
    /// No DS or DNSKEY record in it.
    Empty,
}

impl fmt::Display for TrustAnchorError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrustAnchorError::Read(std::io::ErrorKind::NotFound) => {
                write!(formatter, "no such file")
            }
            TrustAnchorError::Read(kind) => write!(formatter, "cannot read: {kind}"),
            TrustAnchorError::TooLarge => write!(
                formatter,
                "larger than {MAX_TRUST_ANCHOR_FILE_BYTES} bytes: not a trust anchor file"
            ),
            TrustAnchorError::Record(error) => write!(formatter, "{error}"),
            TrustAnchorError::Empty => write!(formatter, "no DS or DNSKEY record"),
        }
    }
}

/// Largest trust anchor file read: a root anchor file is under 1 KB; bounds the read.
const MAX_TRUST_ANCHOR_FILE_BYTES: u64 = 1024 * 1024;

/// Where validation starts, as the daemon runs it, for the ready line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnssecMode {
    /// The built-in IANA root KSKs (iterating from the built-in root hints).
    RootAnchor,
    /// The anchors of `--trust-anchor` files.
    Configured(usize),
    /// `--no-dnssec` or `dnssec: false`.
    Off,
    /// Root hints from a file or every query forwarded, and no trust anchor given: the IANA
    /// root key cannot be assumed to sign that root, so nothing is validated.
    NoAnchor,
}

impl fmt::Display for DnssecMode {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DnssecMode::RootAnchor => {
                write!(formatter, "DNSSEC validating from the IANA root KSKs")
            }
            DnssecMode::Configured(count) => {
                write!(
                    formatter,
                    "DNSSEC validating from {count} configured trust anchors"
                )
            }
            DnssecMode::Off => write!(formatter, "DNSSEC validation off"),
            DnssecMode::NoAnchor => write!(
                formatter,
                "DNSSEC not validating: root hints from a file (or forwarding everything) and \
                 no --trust-anchor given, so the built-in IANA root key does not apply"
            ),
        }
    }
}

/// Reads one trust anchor file into `anchors`; how many records it held.
fn read_trust_anchor_file(path: &Path, anchors: &mut Anchors) -> Result<usize, SettingsError> {
    use std::io::Read as _;
    let error = |error| SettingsError::TrustAnchor {
        file: path.to_path_buf(),
        error,
    };
    let file = std::fs::File::open(path).map_err(|e| error(TrustAnchorError::Read(e.kind())))?;
    let mut text = String::new();
    file.take(MAX_TRUST_ANCHOR_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| error(TrustAnchorError::Read(e.kind())))?;
    if text.len() as u64 > MAX_TRUST_ANCHOR_FILE_BYTES {
        return Err(error(TrustAnchorError::TooLarge));
    }
    match anchors.add_text(&text) {
        Ok(0) => Err(error(TrustAnchorError::Empty)),
        Ok(count) => Ok(count),
        Err(record) => Err(error(TrustAnchorError::Record(record))),
    }
}

impl fmt::Display for SettingsError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::Config(error) => write!(formatter, "{error}"),
            SettingsError::RootHints(error) => write!(formatter, "{error}"),
            SettingsError::Allow { origin, error } => write!(formatter, "{origin}: {error}"),
            SettingsError::TtlBounds { min_ttl, max_ttl } => write!(formatter, "min-ttl {min_ttl} is above max-ttl {max_ttl}: every TTL would be raised past the cap; lower min-ttl or raise max-ttl"),
            SettingsError::Listen { origin, text } => write!(formatter, "{origin}: invalid listen address {text:?}: expected ADDR:PORT (e.g. 127.0.0.1:53, [::1]:53)"),
            SettingsError::Forward { origin, text } => write!(formatter, "{origin}: invalid forwarder {text:?}: expected ADDR or ADDR:PORT ([ADDR]:PORT for IPv6)"),
            SettingsError::ForwardZone { origin, text } => write!(formatter, "{origin}: invalid forward zone {text:?}: expected NAME=SERVER[,SERVER][,first][,tcp][,no-cache], a SERVER being ADDR[:PORT] or a host name"),
            SettingsError::StubZone { origin, text } => write!(formatter, "{origin}: invalid stub zone {text:?}: expected NAME=SERVER[,SERVER][,prime][,first][,tcp][,no-cache], a SERVER being ADDR[:PORT] or a host name"),
            SettingsError::TrustAnchor { file, error } => write!(formatter, "{}: {error}", file.display()),
            SettingsError::InsecureDomain { origin, text } => write!(formatter, "{origin}: invalid insecure domain {text:?}: expected a domain name"),
            SettingsError::DefaultZones { origin, text } => write!(formatter, "{origin}: invalid default-zones {text:?}: expected auto, all or localhost"),
            SettingsError::Local(error) => write!(formatter, "{error}"),
            SettingsError::ZeroLimit { setting } => write!(formatter, "{setting} 0: no query could be answered; it must be at least 1"),
            SettingsError::Access(error) => write!(formatter, "{error}"),
            SettingsError::AuthZone { origin, reason } => {
                write!(formatter, "{origin}: auth-zone: {reason}")
            }
            SettingsError::Rpz { origin, reason } => write!(formatter, "{origin}: rpz: {reason}"),
            SettingsError::Metrics { origin, text } => write!(formatter, "{origin}: invalid metrics address {text:?}: expected ADDR:PORT or PORT (e.g. 127.0.0.1:9153)"),
            SettingsError::Upstream(error) => write!(formatter, "{error}"),
            SettingsError::KeepaliveTimeout { origin, milliseconds } => write!(formatter, "{origin}: edns-tcp-keepalive-timeout {milliseconds} ms is outside 1..={MAX_KEEPALIVE_TIMEOUT_MILLISECONDS}: the option announces it in units of 100 ms, 16 bits (RFC 7828 §3.1)"),
            SettingsError::MetricsNotLoopback { origin, address } => write!(formatter, "{origin}: metrics address {address} is not loopback: anyone who reaches it reads the resolver's counters; add --metrics-public (metrics-public: true) to allow it"),
        }
    }
}

impl std::error::Error for SettingsError {}

/// Everything the daemon runs with, checked.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where validation starts (said once on the ready line).
    pub dnssec_mode: DnssecMode,
    pub listen: Vec<SocketAddr>,
    pub access: AccessList,
    pub zones: Vec<String>,
    pub resolver: ResolverConfig,
    pub control: Option<PathBuf>,
    /// Where the Prometheus endpoint listens; `None`: off.
    pub metrics: Option<SocketAddr>,
    /// Local zones, identity, NSID and response rules (`local_answers`).
    pub local: LocalSettings,
    /// RFC 7828 keepalive answered on client TCP (Unbound `edns-tcp-keepalive`, on here by default).
    pub tcp_keepalive: bool,
    /// The client TCP idle timeout, which keepalive announces; `None`: the listener's default.
    pub tcp_idle_timeout: Option<Duration>,
    /// `--auth-zone NAME=FILE,downstream`: zones answered to clients (the for-upstream ones are
    /// in `resolver.auth_zones`).
    pub downstream_auth_zones: Option<DownstreamAuthZones>,
}

impl Settings {
    /// Reads the config file (if any) and merges the flags over it.
    pub fn load(arguments: &Arguments) -> Result<Settings, SettingsError> {
        let file = match &arguments.config {
            Some(path) => ConfigFile::read(path).map_err(SettingsError::Config)?,
            None => ConfigFile::default(),
        };
        let path = arguments.config.clone().unwrap_or_default();
        let defaults = ResolverConfig::default();

        let listen_texts = pick(&arguments.listen_texts(), &file.listen, "listen", &path);
        let listen = if listen_texts.is_empty() {
            vec![
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), DNS_PORT),
                SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), DNS_PORT),
            ]
        } else {
            listen_texts
                .into_iter()
                .map(|(text, origin)| {
                    text.parse::<SocketAddr>()
                        .map_err(|_| SettingsError::Listen { origin, text })
                })
                .collect::<Result<_, _>>()?
        };

        let allowed = pick(&arguments.allow, &file.allow, "allow", &path)
            .into_iter()
            .map(|(text, origin)| {
                text.parse::<Cidr>()
                    .map_err(|error| SettingsError::Allow { origin, error })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let snoopers = pick(
            &arguments.allow_snoop,
            &file.allow_snoop,
            "allow-snoop",
            &path,
        )
        .into_iter()
        .map(|(text, origin)| {
            text.parse::<Cidr>()
                .map_err(|error| SettingsError::Allow { origin, error })
        })
        .collect::<Result<Vec<_>, _>>()?;

        let mut forward_zones = Vec::new();
        let forward = pick(&arguments.forward, &file.forward, "forward", &path);
        if !forward.is_empty() {
            let upstreams = forward
                .into_iter()
                .map(|(text, origin)| {
                    parse_server(&text).ok_or(SettingsError::Forward { origin, text })
                })
                .collect::<Result<Vec<_>, _>>()?;
            forward_zones.push(ForwardZone {
                suffix: Name::root(),
                upstreams,
                ..ForwardZone::default()
            });
        }
        if !arguments.forward_zone.is_empty() {
            for text in &arguments.forward_zone {
                let error = || SettingsError::ForwardZone {
                    origin: Origin::Flag("forward-zone"),
                    text: text.clone(),
                };
                let zone = configured_zone_flag(text).ok_or_else(error)?;
                if zone.prime {
                    return Err(error());
                }
                forward_zones.push(ForwardZone {
                    suffix: zone.suffix,
                    upstreams: zone.addresses,
                    hosts: zone.hosts,
                    first: zone.first,
                    tcp_upstream: zone.tcp_upstream,
                    no_cache: zone.no_cache,
                });
            }
        } else {
            for entry in &file.forward_zones {
                let zone = configured_zone_entry(entry, false).ok_or_else(|| {
                    SettingsError::ForwardZone {
                        origin: Origin::File(path.clone(), entry.name.referenced.line()),
                        text: entry.name.value.clone(),
                    }
                })?;
                forward_zones.push(ForwardZone {
                    suffix: zone.suffix,
                    upstreams: zone.addresses,
                    hosts: zone.hosts,
                    first: zone.first,
                    tcp_upstream: zone.tcp_upstream,
                    no_cache: zone.no_cache,
                });
            }
        }
        let mut stub_zones = Vec::new();
        if !arguments.stub_zone.is_empty() {
            for text in &arguments.stub_zone {
                let zone = configured_zone_flag(text).ok_or_else(|| SettingsError::StubZone {
                    origin: Origin::Flag("stub-zone"),
                    text: text.clone(),
                })?;
                stub_zones.push(zone);
            }
        } else {
            for entry in &file.stub_zones {
                let zone =
                    configured_zone_entry(entry, true).ok_or_else(|| SettingsError::StubZone {
                        origin: Origin::File(path.clone(), entry.name.referenced.line()),
                        text: entry.name.value.clone(),
                    })?;
                stub_zones.push(zone);
            }
        }

        let AuthZones {
            upstream: auth_zones,
            downstream: downstream_auth_zones,
        } = auth_zones(arguments, &file, &path)?;
        let root_hints_file = arguments.root_hints.clone().or(file.root_hints.clone());
        let root_hints = match &root_hints_file {
            Some(path) => read_root_hints_file(path).map_err(SettingsError::RootHints)?,
            None => Vec::new(),
        };
        let zones = if !arguments.zone.is_empty() {
            arguments.zone.clone()
        } else {
            file.zones
                .iter()
                .map(|path| path.display().to_string())
                .collect()
        };

        let (dnssec, dnssec_mode) = dnssec_settings(
            arguments,
            &file,
            &path,
            !root_hints.is_empty(),
            &forward_zones,
        )?;
        let upstream =
            upstream_options(arguments, &file, &path).map_err(SettingsError::Upstream)?;
        let resolver = ResolverConfig {
            nat64: upstream.nat64,
            do_not_query: upstream.do_not_query,
            client_strings: upstream.client_strings,
            harden_unverified_glue: upstream.harden_unverified_glue,
            dnssec,
            root_hints,
            forward_zones,
            stub_zones,
            auth_zones,
            tcp_upstream: arguments.tcp_upstream
                || file.tcp_upstream.unwrap_or(defaults.tcp_upstream),
            qname_minimisation: !arguments.no_qname_minimisation
                && file
                    .qname_minimisation
                    .unwrap_or(defaults.qname_minimisation),
            allow_loopback_upstream: arguments.allow_loopback_upstream
                || file
                    .allow_loopback_upstream
                    .unwrap_or(defaults.allow_loopback_upstream),
            upstream_port: arguments.upstream_port.or(file.upstream_port),
            cache_max_entries: arguments
                .cache_size
                .or(file.cache_size)
                .unwrap_or(defaults.cache_max_entries),
            min_ttl: arguments
                .min_ttl
                .or(file.min_ttl)
                .unwrap_or(defaults.min_ttl),
            max_ttl: arguments
                .max_ttl
                .or(file.max_ttl)
                .unwrap_or(defaults.max_ttl),
            max_negative_ttl: arguments
                .max_negative_ttl
                .or(file.max_negative_ttl)
                .unwrap_or(defaults.max_negative_ttl),
            min_negative_ttl: arguments
                .min_negative_ttl
                .or(file.min_negative_ttl)
                .unwrap_or(defaults.min_negative_ttl),
            do_ip6: !arguments.no_ip6 && file.ip6.unwrap_or(defaults.do_ip6),
            scrub_promiscuous: !arguments.no_scrub_promiscuous
                && file.scrub_promiscuous.unwrap_or(defaults.scrub_promiscuous),
            harden_glue: file.harden_glue.unwrap_or(defaults.harden_glue),
            harden_unknown_additional: file
                .harden_unknown_additional
                .unwrap_or(defaults.harden_unknown_additional),
            harden_below_nxdomain: !arguments.no_harden_below_nxdomain
                && file
                    .harden_below_nxdomain
                    .unwrap_or(defaults.harden_below_nxdomain),
            minimal_responses: !arguments.no_minimal_responses
                && file.minimal_responses.unwrap_or(defaults.minimal_responses),
            serve_expired: ServeExpired {
                enabled: arguments.serve_expired || file.serve_expired.unwrap_or(false),
                max_stale_seconds: arguments
                    .serve_expired_ttl
                    .or(file.serve_expired_ttl)
                    .unwrap_or(defaults.serve_expired.max_stale_seconds),
                reply_ttl: arguments
                    .serve_expired_reply_ttl
                    .or(file.serve_expired_reply_ttl)
                    .unwrap_or(defaults.serve_expired.reply_ttl),
                client_timeout_milliseconds: arguments
                    .serve_expired_client_timeout
                    .or(file.serve_expired_client_timeout)
                    .unwrap_or(defaults.serve_expired.client_timeout_milliseconds),
                ..defaults.serve_expired
            },
            prefetch: arguments.prefetch || file.prefetch.unwrap_or(defaults.prefetch),
            aggressive_nsec: arguments.aggressive_nsec
                || (!arguments.no_aggressive_nsec
                    && file.aggressive_nsec.unwrap_or(defaults.aggressive_nsec)),
            serve_original_ttl: arguments.serve_original_ttl
                || file
                    .serve_original_ttl
                    .unwrap_or(defaults.serve_original_ttl),
            max_upstream_queries: arguments
                .max_upstream_queries
                .or(file.max_upstream_queries)
                .unwrap_or(defaults.max_upstream_queries),
            requests: RequestLimits {
                max_resolutions: arguments
                    .max_resolutions
                    .or(file.max_resolutions)
                    .unwrap_or(defaults.requests.max_resolutions),
                jostle_timeout: arguments
                    .jostle_timeout
                    .or(file.jostle_timeout)
                    .map_or(defaults.requests.jostle_timeout, Duration::from_millis),
                discard_timeout: arguments
                    .discard_timeout
                    .or(file.discard_timeout)
                    .filter(|milliseconds| *milliseconds != 0)
                    .map(Duration::from_millis)
                    .or(defaults.requests.discard_timeout),
            },
            ..defaults
        };
        if resolver.requests.max_resolutions == 0 {
            return Err(SettingsError::ZeroLimit {
                setting: "max-resolutions",
            });
        }
        if resolver.max_upstream_queries == 0 {
            return Err(SettingsError::ZeroLimit {
                setting: "max-upstream-queries",
            });
        }
        // Unbound accepts cache-min-ttl above cache-max-ttl and lets one silently win; a
        // contradiction is refused here, at start and on reload (which keeps the old settings).
        if resolver.min_ttl > resolver.max_ttl {
            return Err(SettingsError::TtlBounds {
                min_ttl: resolver.min_ttl,
                max_ttl: resolver.max_ttl,
            });
        }
        let local = local_settings(arguments, &file, &path, &resolver)?;
        let tcp_idle_timeout = keepalive_timeout(arguments, &file, &path)?;
        let metrics = metrics_address(arguments, &file, &path)?;
        Ok(Settings {
            dnssec_mode,
            listen,
            access: access_list(arguments, &file, &path, &local, allowed, snoopers)?,
            zones,
            resolver,
            control: arguments.control.clone().or(file.control),
            metrics,
            local,
            tcp_keepalive: !arguments.no_edns_tcp_keepalive
                && file.edns_tcp_keepalive.unwrap_or(true),
            tcp_idle_timeout,
            downstream_auth_zones,
        })
    }
}

/// The keepalive option's TIMEOUT is 16 bits of 100 ms (RFC 7828 §3.1): the largest timeout it
/// can announce.
const MAX_KEEPALIVE_TIMEOUT_MILLISECONDS: u32 = 6_553_500;

/// `--edns-tcp-keepalive-timeout` / `edns-tcp-keepalive-timeout:`, checked.
fn keepalive_timeout(
    arguments: &Arguments,
    file: &ConfigFile,
    path: &Path,
) -> Result<Option<Duration>, SettingsError> {
    let (milliseconds, origin) = match (
        arguments.edns_tcp_keepalive_timeout,
        &file.edns_tcp_keepalive_timeout,
    ) {
        (Some(value), _) => (value, Origin::Flag("edns-tcp-keepalive-timeout")),
        (None, Some(entry)) => (
            entry.value,
            Origin::File(path.to_path_buf(), entry.referenced.line()),
        ),
        (None, None) => return Ok(None),
    };
    if milliseconds == 0 || milliseconds > MAX_KEEPALIVE_TIMEOUT_MILLISECONDS {
        return Err(SettingsError::KeepaliveTimeout {
            origin,
            milliseconds,
        });
    }
    Ok(Some(Duration::from_millis(u64::from(milliseconds))))
}

/// `--metrics` / `metrics:`: ADDR:PORT, or PORT alone on 127.0.0.1; loopback unless
/// `metrics-public` says otherwise (the counters tell who queries what, in aggregate).
fn metrics_address(
    arguments: &Arguments,
    file: &ConfigFile,
    path: &Path,
) -> Result<Option<SocketAddr>, SettingsError> {
    let (text, origin) = match (&arguments.metrics, &file.metrics) {
        (Some(text), _) => (text.clone(), Origin::Flag("metrics")),
        (None, Some(entry)) => (
            entry.value.clone(),
            Origin::File(path.to_path_buf(), entry.referenced.line()),
        ),
        (None, None) => return Ok(None),
    };
    let address = text
        .trim()
        .parse::<SocketAddr>()
        .ok()
        .or_else(|| {
            text.trim()
                .parse::<u16>()
                .ok()
                .map(|port| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
        })
        .ok_or_else(|| SettingsError::Metrics {
            origin: origin.clone(),
            text: text.clone(),
        })?;
    let public = arguments.metrics_public || file.metrics_public.unwrap_or(false);
    if !address.ip().is_loopback() && !public {
        return Err(SettingsError::MetricsNotLoopback { origin, address });
    }
    Ok(Some(address))
}

/// `--auth-zone NAME=FILE[,downstream][,no-upstream][,fallback]` (YAML `auth-zones`, paths
/// relative to the config file), loaded.
fn auth_zones(
    arguments: &Arguments,
    file: &ConfigFile,
    path: &Path,
) -> Result<AuthZones, SettingsError> {
    let entries = pick(&arguments.auth_zone, &file.auth_zones, "auth-zone", path);
    if entries.is_empty() {
        return Ok(AuthZones::default());
    }
    let directory = path.parent().unwrap_or(Path::new("."));
    let mut sources = Vec::with_capacity(entries.len());
    let mut origins = Vec::with_capacity(entries.len());
    for (text, origin) in entries {
        let bad = |reason: String| SettingsError::AuthZone {
            origin: origin.clone(),
            reason,
        };
        let (name, rest) = text.split_once('=').ok_or_else(|| {
            bad(format!(
                "{text:?}: expected NAME=FILE[,downstream][,no-upstream][,fallback]"
            ))
        })?;
        let mut name = Name::from_ascii(name.trim())
            .map_err(|_| bad(format!("invalid zone name {name:?}")))?;
        name.set_fqdn(true);
        let mut words = rest.split(',');
        let zone_file = words.next().unwrap_or_default().trim();
        if zone_file.is_empty() {
            return Err(bad(format!("{text:?}: no zone file")));
        }
        let mut usage = AuthZoneUse::default();
        for word in words {
            match word.trim() {
                "downstream" => usage.for_downstream = true,
                "no-upstream" => usage.for_upstream = false,
                "fallback" => usage.fallback = true,
                other => {
                    return Err(bad(format!(
                        "{text:?}: unknown option {other:?}: expected downstream, no-upstream or fallback"
                    )))
                }
            }
        }
        if !usage.for_downstream && !usage.for_upstream {
            return Err(bad(format!(
                "{text:?}: no-upstream without downstream: the zone would never be used"
            )));
        }
        let mut zone_file = PathBuf::from(zone_file);
        if zone_file.is_relative() && matches!(origin, Origin::File(..)) {
            zone_file = directory.join(zone_file);
        }
        sources.push(AuthZoneSource {
            name,
            file: zone_file,
            text: None,
            usage,
        });
        origins.push(origin);
    }
    AuthZones::load(&sources).map_err(|error| {
        let origin = sources
            .iter()
            .position(|source| source.file == error.file)
            .and_then(|index| origins.get(index).cloned())
            .unwrap_or(Origin::Flag("auth-zone"));
        SettingsError::AuthZone {
            origin,
            reason: error.to_string(),
        }
    })
}

/// --allow and --allow-snoop, then the `access-control` lines and their tags over them.
fn access_list(
    arguments: &Arguments,
    file: &ConfigFile,
    path: &Path,
    local: &LocalSettings,
    allowed: Vec<Cidr>,
    snoopers: Vec<Cidr>,
) -> Result<AccessList, SettingsError> {
    let lines = |flag: &[String], entries: &[Entry], name: &'static str| {
        pick(flag, entries, name, path)
            .into_iter()
            .map(|(text, origin)| ConfigLine::new(text, origin.to_string()))
            .collect::<Vec<_>>()
    };
    let access = AccessSettings {
        rules: lines(
            &arguments.access_control,
            &file.access_control,
            "access-control",
        ),
        tags: lines(
            &arguments.access_control_tag,
            &file.access_control_tag,
            "access-control-tag",
        ),
        tag_actions: lines(
            &arguments.access_control_tag_action,
            &file.access_control_tag_action,
            "access-control-tag-action",
        ),
        tag_data: lines(
            &arguments.access_control_tag_data,
            &file.access_control_tag_data,
            "access-control-tag-data",
        ),
    };
    // Tag names were checked with the local settings.
    let names = TagNames::define(local.define_tags.iter().map(|line| line.text.as_str()))
        .unwrap_or_default();
    let mut list = apply_access(
        AccessList::with_allowed(allowed).with_snoopers(snoopers),
        &access,
        &names,
    )
    .map_err(SettingsError::Access)?;
    if arguments.answer_cookie || file.answer_cookie.unwrap_or(false) {
        let (text, origin) = match (&arguments.cookie_secret, &file.cookie_secret) {
            (Some(text), _) => (Some(text.clone()), Origin::Flag("cookie-secret")),
            (None, Some(entry)) => (
                Some(entry.value.clone()),
                Origin::File(path.to_path_buf(), entry.referenced.line()),
            ),
            (None, None) => (None, Origin::Flag("cookie-secret")),
        };
        let secret = match text {
            Some(text) => CookieSecret::parse(&text).map_err(|error| {
                SettingsError::Access(AccessSettingsError {
                    errors: vec![format!("{origin}: cookie-secret: {error}")],
                })
            })?,
            None => CookieSecret::random(),
        };
        list = list.with_cookies(secret);
    }
    Ok(list)
}

/// The local-zone, identity and response-rule settings, checked by building them once (so a
/// bad line fails at start or reload, naming its file:line).
fn local_settings(
    arguments: &Arguments,
    file: &ConfigFile,
    path: &Path,
    resolver: &ResolverConfig,
) -> Result<LocalSettings, SettingsError> {
    let lines = |flag: &[String], entries: &[Entry], name: &'static str| {
        pick(flag, entries, name, path)
            .into_iter()
            .map(|(text, origin)| ConfigLine::new(text, origin.to_string()))
            .collect::<Vec<_>>()
    };
    let default_zones = match (&arguments.default_zones, &file.default_zones) {
        (Some(which), _) => *which,
        (None, Some(text)) => {
            DefaultZones::parse(text).ok_or_else(|| SettingsError::DefaultZones {
                origin: Origin::File(path.to_path_buf(), 0),
                text: text.clone(),
            })?
        }
        (None, None) => DefaultZones::Auto,
    };
    let all = match default_zones {
        DefaultZones::All => true,
        DefaultZones::Localhost => false,
        // A private root (a lab, an air-gapped network) is authoritative for its namespace and
        // nothing leaks to the public Internet: only localhost. stays (RFC 6761 §6.3).
        DefaultZones::Auto => resolver.root_hints.is_empty(),
    };
    let default_zones = DefaultZonePolicy {
        loopback_reverse: all,
        special_use: all,
        private_reverse: all,
        // A forward or stub zone sends its namespace somewhere on purpose (Unbound: a forward
        // or stub zone for a default zone's name replaces it); the root removes nothing.
        removed_below: resolver
            .forward_zones
            .iter()
            .map(|zone| zone.suffix.clone())
            .chain(resolver.stub_zones.iter().map(|zone| zone.suffix.clone()))
            .filter(|suffix| !suffix.is_root())
            .collect(),
    };
    let local = LocalSettings {
        zones: lines(&arguments.local_zone, &file.local_zones, "local-zone"),
        data: lines(&arguments.local_data, &file.local_data, "local-data"),
        pointers: lines(
            &arguments.local_data_ptr,
            &file.local_data_ptr,
            "local-data-ptr",
        ),
        default_zones,
        identity: arguments.identity.clone().or(file.identity.clone()),
        version: arguments.version_string.clone().or(file.version.clone()),
        hide_identity: arguments
            .hide_identity
            .then_some(true)
            .or(file.hide_identity),
        hide_version: arguments.hide_version.then_some(true).or(file.hide_version),
        nsid: arguments.nsid.clone().or(file.nsid.clone()),
        private_addresses: lines(
            &arguments.private_address,
            &file.private_address,
            "private-address",
        ),
        private_domains: lines(
            &arguments.private_domain,
            &file.private_domain,
            "private-domain",
        ),
        // Unbound's default is yes: answers spread load over the servers of an RRset.
        rrset_roundrobin: !arguments.no_rrset_roundrobin && file.rrset_roundrobin.unwrap_or(true),
        define_tags: lines(&arguments.define_tag, &file.define_tag, "define-tag"),
        zone_tags: lines(
            &arguments.local_zone_tag,
            &file.local_zone_tag,
            "local-zone-tag",
        ),
        zone_overrides: lines(
            &arguments.local_zone_override,
            &file.local_zone_override,
            "local-zone-override",
        ),
        policy: policy_settings(arguments, file, path)?,
    };
    // RPZ zones are read once, where the daemon builds its answers (start and reload, which
    // report the same errors): a blocklist of a million records is not parsed twice.
    let mut local = local;
    let policy = std::mem::take(&mut local.policy);
    LocalAnswers::build(&local).map_err(SettingsError::Local)?;
    local.policy = policy;
    Ok(local)
}

/// `--rpz`, `--response-ip`, `--response-ip-data` and `--rpz-max-records` (YAML `rpz`,
/// `response-ip`, `response-ip-data`, `rpz-max-records`; zone files relative to the config file).
fn policy_settings(
    arguments: &Arguments,
    file: &ConfigFile,
    path: &Path,
) -> Result<PolicySettings, SettingsError> {
    let lines = |flag: &[String], entries: &[Entry], name: &'static str| {
        pick(flag, entries, name, path)
            .into_iter()
            .map(|(text, origin)| ConfigLine::new(text, origin.to_string()))
            .collect::<Vec<_>>()
    };
    let directory = path.parent().unwrap_or(Path::new("."));
    let mut zones = Vec::new();
    for (text, origin) in pick(&arguments.rpz, &file.rpz, "rpz", path) {
        let base = matches!(origin, Origin::File(..)).then_some(directory);
        let source = RpzSource::parse(&text, base).map_err(|error| SettingsError::Rpz {
            origin: origin.clone(),
            reason: error.to_string(),
        })?;
        zones.push(source);
    }
    Ok(PolicySettings {
        zones,
        response_ip: lines(&arguments.response_ip, &file.response_ip, "response-ip"),
        response_ip_data: lines(
            &arguments.response_ip_data,
            &file.response_ip_data,
            "response-ip-data",
        ),
        max_records: arguments
            .rpz_max_records
            .or(file.rpz_max_records)
            .unwrap_or(DEFAULT_RPZ_MAX_RECORDS),
    })
}

/// Validation settings (RFC 4033 §5): on by default. The built-in IANA root KSKs apply only when
/// iterating from the built-in IANA root hints: a hints file (a lab's root) or forwarding
/// everything needs `--trust-anchor`, else nothing is validated (`DnssecMode::NoAnchor`).
fn dnssec_settings(
    arguments: &Arguments,
    file: &ConfigFile,
    path: &Path,
    own_root_hints: bool,
    forward_zones: &[ForwardZone],
) -> Result<(DnssecConfig, DnssecMode), SettingsError> {
    let enabled = !arguments.no_dnssec && file.dnssec.unwrap_or(true);
    if !enabled {
        return Ok((DnssecConfig::default(), DnssecMode::Off));
    }
    let anchor_files = if arguments.trust_anchor.is_empty() {
        &file.trust_anchors
    } else {
        &arguments.trust_anchor
    };
    let forwarding_everything = forward_zones.iter().any(|zone| zone.suffix.is_root());
    let (mut anchors, mode) = if !anchor_files.is_empty() {
        let mut anchors = Anchors::empty();
        let mut count = 0;
        for anchor_file in anchor_files {
            count += read_trust_anchor_file(anchor_file, &mut anchors)?;
        }
        (anchors, DnssecMode::Configured(count))
    } else if own_root_hints || forwarding_everything {
        (Anchors::empty(), DnssecMode::NoAnchor)
    } else {
        (Anchors::builtin_root(), DnssecMode::RootAnchor)
    };
    let insecure = pick(
        &arguments.insecure_domain,
        &file.insecure_domains,
        "insecure-domain",
        path,
    );
    for (text, origin) in insecure {
        let name = Name::from_ascii(&text)
            .ok()
            .filter(|_| !text.is_empty())
            .ok_or_else(|| SettingsError::InsecureDomain {
                origin,
                text: text.clone(),
            })?;
        anchors.add_negative(name);
    }
    Ok((
        DnssecConfig {
            enabled: mode != DnssecMode::NoAnchor,
            anchors,
            stripped_is_insecure: arguments.no_harden_dnssec_stripped
                || !file.harden_dnssec_stripped.unwrap_or(true),
            prefetch_keys: arguments.prefetch_key || file.prefetch_key.unwrap_or(false),
            harden_algorithm_downgrade: arguments.harden_algo_downgrade
                || file.harden_algo_downgrade.unwrap_or(false),
            ..DnssecConfig::default()
        },
        mode,
    ))
}

impl Arguments {
    fn listen_texts(&self) -> Vec<String> {
        self.listen.iter().map(ToString::to_string).collect()
    }
}

/// The flag's list when given (a flag replaces the file's list), else the file's entries, each
/// with where it came from.
pub(crate) fn pick(
    flag: &[String],
    file: &[Entry],
    flag_name: &'static str,
    path: &Path,
) -> Vec<(String, Origin)> {
    if flag.is_empty() {
        file.iter()
            .map(|entry| {
                (
                    entry.value.clone(),
                    Origin::File(path.to_path_buf(), entry.referenced.line()),
                )
            })
            .collect()
    } else {
        flag.iter()
            .map(|text| (text.clone(), Origin::Flag(flag_name)))
            .collect()
    }
}

/// `ADDR`, `ADDR:PORT` or `[ADDR]:PORT`; the port defaults to 53.
pub fn parse_server(text: &str) -> Option<SocketAddr> {
    let text = text.trim();
    text.parse::<SocketAddr>().ok().or_else(|| {
        text.parse::<IpAddr>()
            .ok()
            .map(|address| SocketAddr::new(address, DNS_PORT))
    })
}

/// A zone name as configured: lowercase, fully qualified.
fn zone_name(text: &str) -> Option<Name> {
    let mut suffix = Name::from_ascii(text.trim()).ok()?.to_lowercase();
    suffix.set_fqdn(true);
    Some(suffix)
}

/// `--stub-zone`/`--forward-zone` text: `NAME=SERVER[,SERVER][,prime][,first][,tcp][,no-cache]`, a SERVER
/// being ADDR[:PORT] or a host name with a dot in it. At least one server.
fn configured_zone_flag(text: &str) -> Option<StubZone> {
    let (name, items) = text.split_once('=')?;
    let mut zone = StubZone {
        suffix: zone_name(name)?,
        ..StubZone::default()
    };
    for item in items.split(',').map(str::trim) {
        match item {
            "prime" => zone.prime = true,
            "first" => zone.first = true,
            "tcp" => zone.tcp_upstream = true,
            "no-cache" => zone.no_cache = true,
            _ => match parse_server(item) {
                Some(address) => zone.addresses.push(address),
                None if item.contains('.') => zone.hosts.push(zone_name(item)?),
                None => return None,
            },
        }
    }
    (!zone.addresses.is_empty() || !zone.hosts.is_empty()).then_some(zone)
}

/// A `stub-zones`/`forward-zones` entry of the config file; `prime` only for stub zones.
fn configured_zone_entry(entry: &ConfiguredZoneEntry, stub: bool) -> Option<StubZone> {
    if entry.prime.is_some() && !stub {
        return None;
    }
    let zone = StubZone {
        suffix: zone_name(&entry.name.value)?,
        addresses: entry
            .addresses
            .iter()
            .map(|address| parse_server(&address.value))
            .collect::<Option<Vec<_>>>()?,
        hosts: entry
            .hosts
            .iter()
            .map(|host| zone_name(&host.value))
            .collect::<Option<Vec<_>>>()?,
        prime: entry.prime.unwrap_or(false),
        first: entry.first.unwrap_or(false),
        tcp_upstream: entry.tcp_upstream.unwrap_or(false),
        no_cache: entry.no_cache.unwrap_or(false),
    };
    (!zone.addresses.is_empty() || !zone.hosts.is_empty()).then_some(zone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::access::AccessAction;

    #[test]
    fn servers_parse_with_and_without_port() {
        assert_eq!(parse_server("192.0.2.1"), "192.0.2.1:53".parse().ok());
        assert_eq!(
            parse_server("192.0.2.1:5353"),
            "192.0.2.1:5353".parse().ok()
        );
        assert_eq!(parse_server("2001:db8::1"), "[2001:db8::1]:53".parse().ok());
        assert_eq!(
            parse_server("[2001:db8::1]:5353"),
            "[2001:db8::1]:5353".parse().ok()
        );
        assert_eq!(parse_server("host.example"), None);
    }

    #[test]
    fn defaults_are_loopback_only() {
        let settings = Settings::load(&Arguments::default());
        let Ok(settings) = settings else {
            panic!("default settings failed")
        };
        assert_eq!(settings.listen.len(), 2);
        assert!(settings
            .listen
            .iter()
            .all(|address| address.ip().is_loopback() && address.port() == 53));
        assert!(!settings.access.allows(
            "192.0.2.1"
                .parse()
                .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
        ));
        assert!(settings.resolver.forward_zones.is_empty());
    }

    #[test]
    fn forward_zone_flag_is_parsed() {
        let arguments = Arguments {
            forward_zone: vec!["Corp.Example=10.0.0.1,10.0.0.2:5353".to_string()],
            forward: vec!["192.0.2.1".to_string()],
            ..Arguments::default()
        };
        let Ok(settings) = Settings::load(&arguments) else {
            panic!("settings failed")
        };
        let zones = &settings.resolver.forward_zones;
        assert_eq!(zones.len(), 2);
        assert_eq!(
            zones.get(1).map(|zone| zone.suffix.to_string()),
            Some("corp.example.".to_string())
        );
        assert_eq!(zones.get(1).map(|zone| zone.upstreams.len()), Some(2));
        assert!(Settings::load(&Arguments {
            forward_zone: vec!["corp.example".to_string()],
            ..Arguments::default()
        })
        .is_err());
    }

    #[test]
    fn rpz_and_response_ip_flags_become_policy_settings_and_bad_ones_are_refused() {
        let arguments = Arguments {
            rpz: vec!["rpz.example=/nonexistent/block.rpz,log=yes".to_string()],
            response_ip: vec!["192.0.2.0/24=deny".to_string()],
            response_ip_data: vec!["198.51.100.1/32=A 192.0.2.1".to_string()],
            rpz_max_records: Some(10),
            ..Arguments::default()
        };
        let Ok(settings) = Settings::load(&arguments) else {
            panic!("settings failed")
        };
        let policy = &settings.local.policy;
        assert_eq!(policy.zones.len(), 1);
        assert!(policy.zones[0].options.log);
        assert_eq!((policy.response_ip.len(), policy.max_records), (1, 10));
        // The missing file is found where the daemon reads the zone, naming it.
        let error = LocalAnswers::build(&settings.local)
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(error.contains("/nonexistent/block.rpz"), "{error}");
        let bad = Settings::load(&Arguments {
            rpz: vec!["rpz.example".to_string()],
            ..Arguments::default()
        });
        assert!(
            matches!(&bad, Err(error) if error.to_string().contains("--rpz: rpz:")),
            "{:?}",
            bad.err().map(|error| error.to_string())
        );
    }

    #[test]
    fn stub_and_forward_zone_flags_take_host_names_and_switches() {
        let arguments = Arguments {
            forward_zone: vec!["corp.example=10.0.0.1,ns.corp.example,first,tcp".to_string()],
            stub_zone: vec!["Lab.Example=10.0.0.9:5353,ns.lab.example.,prime,first".to_string()],
            tcp_upstream: true,
            ..Arguments::default()
        };
        let Ok(settings) = Settings::load(&arguments) else {
            panic!("settings failed")
        };
        let forward = &settings.resolver.forward_zones[0];
        assert!(forward.first && forward.tcp_upstream);
        assert_eq!(forward.hosts[0].to_string(), "ns.corp.example.");
        let stub = &settings.resolver.stub_zones[0];
        assert_eq!(stub.suffix.to_string(), "lab.example.");
        assert_eq!(stub.addresses[0].to_string(), "10.0.0.9:5353");
        assert_eq!(stub.hosts[0].to_string(), "ns.lab.example.");
        assert!(stub.prime && stub.first && !stub.tcp_upstream);
        assert!(settings.resolver.tcp_upstream);
        for bad in [
            "lab.example",
            "lab.example=",
            "lab.example=notaserver",
            "lab.example=prime",
        ] {
            let result = Settings::load(&Arguments {
                stub_zone: vec![bad.to_string()],
                ..Arguments::default()
            });
            assert!(result.is_err(), "{bad}");
        }
        assert!(Settings::load(&Arguments {
            forward_zone: vec!["corp.example=10.0.0.1,prime".to_string()],
            ..Arguments::default()
        })
        .is_err());
    }

    #[test]
    fn no_ip6_turns_off_ipv6_upstreams_and_is_on_by_default() {
        let Ok(default) = Settings::load(&Arguments::default()) else {
            panic!("settings failed")
        };
        assert!(default.resolver.do_ip6);
        let Ok(settings) = Settings::load(&Arguments {
            no_ip6: true,
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        assert!(!settings.resolver.do_ip6 && settings.resolver.do_ip4);
    }

    #[test]
    fn ip6_false_in_the_file_turns_off_ipv6_upstreams_and_the_flag_wins_over_true() {
        let off = write_config("ip6-off", "ip6: false\n");
        let Ok(from_file) = Settings::load(&Arguments {
            config: Some(off.clone()),
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        assert!(!from_file.resolver.do_ip6 && from_file.resolver.do_ip4);
        let on = write_config("ip6-on", "ip6: true\n");
        let Ok(file_on) = Settings::load(&Arguments {
            config: Some(on.clone()),
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        assert!(file_on.resolver.do_ip6);
        let Ok(flag_wins) = Settings::load(&Arguments {
            config: Some(on.clone()),
            no_ip6: true,
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        assert!(!flag_wins.resolver.do_ip6);
        let _ = std::fs::remove_file(off);
        let _ = std::fs::remove_file(on);
    }

    fn write_config(name: &str, text: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!(
            "resolver-settings-{name}-{}.yaml",
            std::process::id()
        ));
        if let Err(error) = std::fs::write(&path, text) {
            panic!("cannot write {}: {error}", path.display());
        }
        path
    }

    #[test]
    fn bad_value_in_the_config_file_names_its_line() {
        let path = write_config("bad-cidr", "allow:\n  - 10.0.0.0/8\n  - 10.0.0.0/33\n");
        let arguments = Arguments {
            config: Some(path.clone()),
            ..Arguments::default()
        };
        match Settings::load(&arguments) {
            Ok(_) => panic!("a bad CIDR was accepted"),
            Err(error) => assert!(
                error
                    .to_string()
                    .starts_with(&format!("{}:3:", path.display())),
                "{error}"
            ),
        }
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn auth_zone_words_from_the_file_choose_downstream_and_upstream_and_bad_ones_name_the_line() {
        let zone = std::env::temp_dir().join(format!(
            "resolver-settings-auth-{}.zone",
            std::process::id()
        ));
        if let Err(error) =
            std::fs::write(&zone, "$ORIGIN corp.example.\n@ 3600 SOA a b 1 2 3 4 5\n")
        {
            panic!("cannot write {}: {error}", zone.display());
        }
        let path = write_config(
            "auth-zones",
            &format!(
                "auth-zones:\n  - \"corp.example.={},downstream,no-upstream\"\n",
                zone.display()
            ),
        );
        let arguments = Arguments {
            config: Some(path.clone()),
            ..Arguments::default()
        };
        let settings = Settings::load(&arguments).unwrap_or_else(|error| panic!("{error}"));
        assert!(settings.resolver.auth_zones.is_none(), "no-upstream");
        let downstream = settings.downstream_auth_zones.expect("downstream");
        assert_eq!(
            downstream.names(),
            [Name::from_ascii("corp.example.").unwrap()]
        );
        let bad = write_config(
            "auth-zones-bad",
            &format!(
                "auth-zones:\n  - \"corp.example.={},sideways\"\n",
                zone.display()
            ),
        );
        let error = Settings::load(&Arguments {
            config: Some(bad.clone()),
            ..Arguments::default()
        })
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
        assert!(
            error.starts_with(&format!("{}:2:", bad.display())),
            "{error}"
        );
        assert!(error.contains("sideways"), "{error}");
        for file in [path, bad, zone] {
            let _ = std::fs::remove_file(file);
        }
    }

    #[test]
    fn glue_hardening_is_on_unless_the_file_turns_it_off() {
        let Ok(default) = Settings::load(&Arguments::default()) else {
            panic!("settings failed")
        };
        assert!(default.resolver.harden_glue);
        let path = write_config("harden-glue", "harden-glue: false\n");
        let Ok(file) = Settings::load(&Arguments {
            config: Some(path.clone()),
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        assert!(!file.resolver.harden_glue);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn unknown_additional_hardening_is_on_unless_the_file_turns_it_off() {
        let Ok(default) = Settings::load(&Arguments::default()) else {
            panic!("settings failed")
        };
        assert!(default.resolver.harden_unknown_additional);
        let path = write_config(
            "harden-unknown-additional",
            "harden-unknown-additional: false\n",
        );
        let Ok(file) = Settings::load(&Arguments {
            config: Some(path.clone()),
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        assert!(!file.resolver.harden_unknown_additional);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn promiscuous_scrubbing_is_on_unless_a_flag_or_the_file_turns_it_off() {
        let Ok(default) = Settings::load(&Arguments::default()) else {
            panic!("settings failed")
        };
        assert!(default.resolver.scrub_promiscuous);
        let Ok(flag) = Settings::load(&Arguments {
            no_scrub_promiscuous: true,
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        assert!(!flag.resolver.scrub_promiscuous);
        let path = write_config("promiscuous", "scrub-promiscuous: false\n");
        let Ok(file) = Settings::load(&Arguments {
            config: Some(path.clone()),
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        assert!(!file.resolver.scrub_promiscuous);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn hardening_below_nxdomain_is_on_unless_a_flag_or_the_file_turns_it_off() {
        let Ok(default) = Settings::load(&Arguments::default()) else {
            panic!("settings failed")
        };
        assert!(default.resolver.harden_below_nxdomain);
        let Ok(flag) = Settings::load(&Arguments {
            no_harden_below_nxdomain: true,
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        assert!(!flag.resolver.harden_below_nxdomain);
        let path = write_config("below_nxdomain", "harden-below-nxdomain: false\n");
        let Ok(file) = Settings::load(&Arguments {
            config: Some(path.clone()),
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        assert!(!file.resolver.harden_below_nxdomain);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn minimal_responses_are_on_unless_a_flag_or_the_file_turns_them_off() {
        let Ok(default) = Settings::load(&Arguments::default()) else {
            panic!("settings failed")
        };
        assert!(default.resolver.minimal_responses);
        let Ok(flag) = Settings::load(&Arguments {
            no_minimal_responses: true,
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        assert!(!flag.resolver.minimal_responses);
        let path = write_config("minimal", "minimal-responses: false\n");
        let Ok(file) = Settings::load(&Arguments {
            config: Some(path.clone()),
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        assert!(!file.resolver.minimal_responses);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn request_list_budget_and_original_ttl_come_from_flags_over_the_file() {
        let Ok(default) = Settings::load(&Arguments::default()) else {
            panic!("settings failed")
        };
        assert_eq!(default.resolver.requests, RequestLimits::default());
        assert_eq!(default.resolver.requests.discard_timeout, None);
        assert!(!default.resolver.serve_original_ttl);
        let path = write_config(
            "request-list",
            "max-resolutions: 10\njostle-timeout: 50\ndiscard-timeout: 1900\n\
             max-upstream-queries: 20\nserve-original-ttl: true\n\
             forward-zones:\n  - name: corp.example.\n    addresses: [10.0.0.53]\n    no-cache: true\n",
        );
        let Ok(file) = Settings::load(&Arguments {
            config: Some(path.clone()),
            max_resolutions: Some(20),
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        let requests = file.resolver.requests;
        assert_eq!(requests.max_resolutions, 20, "the flag wins");
        assert_eq!(requests.jostle_timeout, Duration::from_millis(50));
        assert_eq!(requests.discard_timeout, Some(Duration::from_millis(1900)));
        assert_eq!(file.resolver.max_upstream_queries, 20);
        assert!(file.resolver.serve_original_ttl);
        assert!(file.resolver.forward_zones[0].no_cache);
        let _ = std::fs::remove_file(path);
        let flag = Settings::load(&Arguments {
            forward_zone: vec!["corp.example.=10.0.0.53,no-cache".to_string()],
            discard_timeout: Some(0),
            ..Arguments::default()
        });
        let Ok(flag) = flag else {
            panic!("settings failed")
        };
        assert!(flag.resolver.forward_zones[0].no_cache);
        assert_eq!(flag.resolver.requests.discard_timeout, None, "0 is off");
        let zero = Settings::load(&Arguments {
            max_resolutions: Some(0),
            ..Arguments::default()
        });
        assert!(matches!(zero, Err(SettingsError::ZeroLimit { .. })));
    }

    #[test]
    fn keepalive_is_on_with_the_listeners_timeout_unless_flags_or_the_file_say_otherwise() {
        let Ok(default) = Settings::load(&Arguments::default()) else {
            panic!("settings failed")
        };
        assert!(default.tcp_keepalive && default.tcp_idle_timeout.is_none());
        let Ok(flags) = Settings::load(&Arguments {
            no_edns_tcp_keepalive: true,
            edns_tcp_keepalive_timeout: Some(30_000),
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        assert!(!flags.tcp_keepalive);
        assert_eq!(flags.tcp_idle_timeout, Some(Duration::from_secs(30)));
        let path = write_config(
            "keepalive",
            "edns-tcp-keepalive: false\nedns-tcp-keepalive-timeout: 6553501\n",
        );
        let error = Settings::load(&Arguments {
            config: Some(path.clone()),
            ..Arguments::default()
        })
        .err()
        .map(|error| error.to_string())
        .unwrap_or_default();
        assert!(
            error.contains(":2: edns-tcp-keepalive-timeout 6553501 ms"),
            "{error}"
        );
        let zero = Settings::load(&Arguments {
            edns_tcp_keepalive_timeout: Some(0),
            ..Arguments::default()
        });
        assert!(zero.is_err());
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn min_ttl_above_max_ttl_is_refused_from_flags_and_from_the_file() {
        let flags = Arguments {
            min_ttl: Some(100),
            max_ttl: Some(10),
            ..Arguments::default()
        };
        let path = write_config("ttl-bounds", "min-ttl: 7200\nmax-ttl: 60\n");
        let file = Arguments {
            config: Some(path.clone()),
            ..Arguments::default()
        };
        for (arguments, expected) in [
            (flags, "min-ttl 100 is above max-ttl 10"),
            (file, "min-ttl 7200 is above max-ttl 60"),
        ] {
            match Settings::load(&arguments) {
                Ok(settings) => panic!("accepted: {:?}", settings.resolver),
                Err(error) => {
                    let message = error.to_string();
                    assert!(message.starts_with(expected), "{message}");
                    assert!(!message.contains('\n'), "one line: {message}");
                }
            }
        }
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn access_control_tags_and_cookies_come_from_the_file_and_errors_name_the_line() {
        let path = write_config(
            "access-control",
            "access-control: [\"192.0.2.0/24 allow_setrd\", \"192.0.2.66 refuse\"]\n\
             define-tag: [kids]\naccess-control-tag: [\"192.0.2.0/25 kids\"]\n\
             local-zones: [\"games.example. static\"]\nlocal-zone-tag: [\"games.example. kids\"]\n\
             answer-cookie: true\ncookie-secret: \"000102030405060708090a0b0c0d0e0f\"\n",
        );
        let arguments = Arguments {
            config: Some(path.clone()),
            ..Arguments::default()
        };
        let settings = match Settings::load(&arguments) {
            Ok(settings) => settings,
            Err(error) => panic!("{error}"),
        };
        let access = &settings.access;
        let ip = |last: u8| IpAddr::V4(Ipv4Addr::new(192, 0, 2, last));
        assert_eq!(access.action(ip(66)), AccessAction::Refuse);
        assert_eq!(access.action(ip(200)), AccessAction::AllowSetRd);
        assert!(access
            .rule_for(ip(5))
            .is_some_and(|rule| !rule.tags.is_empty()));
        assert!(access.cookie_secret().is_some());
        let _ = std::fs::remove_file(path);
        let bad = write_config(
            "access-control-bad",
            "access-control: [\"192.0.2.0/24 maybe\"]\n",
        );
        let arguments = Arguments {
            config: Some(bad.clone()),
            ..Arguments::default()
        };
        match Settings::load(&arguments) {
            Ok(_) => panic!("an unknown action was accepted"),
            Err(error) => assert!(error.to_string().contains(":1: access-control"), "{error}"),
        }
        let _ = std::fs::remove_file(bad);
    }

    #[test]
    fn allow_snoop_prefixes_come_from_flags_or_the_file() {
        let path = write_config("snoop", "allow-snoop: [192.0.2.0/24]\n");
        let arguments = Arguments {
            config: Some(path.clone()),
            ..Arguments::default()
        };
        let Ok(settings) = Settings::load(&arguments) else {
            panic!("settings failed")
        };
        let client: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 9));
        assert!(settings.access.may_snoop(client));
        assert!(settings.access.allows(client));
        assert!(!settings.access.may_snoop(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let flag = Arguments {
            allow_snoop: vec!["198.51.100.0/24".to_string()],
            ..arguments
        };
        let Ok(settings) = Settings::load(&flag) else {
            panic!("settings failed")
        };
        assert!(
            !settings.access.may_snoop(client),
            "the flag replaces the file's list"
        );
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn flags_override_the_config_file() {
        let path = write_config(
            "override",
            "listen: [\"127.60.7.1:53\"]\ncache-size: 10\nupstream-port: 5300\nmax-negative-ttl: 60\nmin-negative-ttl: 7\n",
        );
        let arguments = Arguments {
            config: Some(path.clone()),
            listen: vec![SocketAddr::new(
                IpAddr::V4(Ipv4Addr::new(127, 60, 7, 2)),
                5353,
            )],
            upstream_port: Some(5400),
            ..Arguments::default()
        };
        let Ok(settings) = Settings::load(&arguments) else {
            panic!("settings failed")
        };
        assert_eq!(settings.listen, arguments.listen);
        assert_eq!(settings.resolver.upstream_port, Some(5400));
        assert_eq!(settings.resolver.cache_max_entries, 10);
        assert_eq!(settings.resolver.max_negative_ttl, 60);
        assert_eq!(settings.resolver.min_negative_ttl, 7);
        let with_flag = Settings::load(&Arguments {
            min_negative_ttl: Some(1),
            ..arguments
        });
        assert!(with_flag.is_ok_and(|settings| settings.resolver.min_negative_ttl == 1));
        let _ = std::fs::remove_file(path);
    }

    const ROOT_DS: &str =
        ". 86400 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n";

    #[test]
    fn validation_is_on_from_the_root_key_with_the_built_in_hints_only() {
        let Ok(default) = Settings::load(&Arguments::default()) else {
            panic!("default settings failed")
        };
        assert_eq!(default.dnssec_mode, DnssecMode::RootAnchor);
        assert!(default.resolver.dnssec.enabled);
        assert!(default
            .resolver
            .dnssec
            .anchors
            .closest(&Name::root())
            .is_some());
        let hints = write_config(
            "hints",
            ". 3600000 NS a.root.lab.\na.root.lab. 3600000 A 127.61.0.1\n",
        );
        let lab = Arguments {
            root_hints: Some(hints.clone()),
            ..Arguments::default()
        };
        let Ok(lab) = Settings::load(&lab) else {
            panic!("lab settings failed")
        };
        assert_eq!(lab.dnssec_mode, DnssecMode::NoAnchor);
        assert!(!lab.resolver.dnssec.enabled);
        let forwarding = Arguments {
            forward: vec!["192.0.2.1".to_string()],
            ..Arguments::default()
        };
        let Ok(forwarding) = Settings::load(&forwarding) else {
            panic!("forwarding settings failed")
        };
        assert_eq!(forwarding.dnssec_mode, DnssecMode::NoAnchor);
        let anchor = write_config("anchor", ROOT_DS);
        let anchored = Arguments {
            root_hints: Some(hints.clone()),
            trust_anchor: vec![anchor.clone()],
            insecure_domain: vec!["corp.example.".to_string()],
            ..Arguments::default()
        };
        let Ok(anchored) = Settings::load(&anchored) else {
            panic!("anchored settings failed")
        };
        assert_eq!(anchored.dnssec_mode, DnssecMode::Configured(1));
        assert!(anchored.resolver.dnssec.enabled);
        let anchors = &anchored.resolver.dnssec.anchors;
        assert!(anchors.is_negative(&Name::from_ascii("www.corp.example.").unwrap()));
        let off = Arguments {
            no_dnssec: true,
            ..Arguments::default()
        };
        let Ok(off) = Settings::load(&off) else {
            panic!("off settings failed")
        };
        assert_eq!(off.dnssec_mode, DnssecMode::Off);
        assert!(!off.resolver.dnssec.enabled);
        for path in [hints, anchor] {
            let _ = std::fs::remove_file(path);
        }
    }

    /// RFC 8198 is on by default; the flag `--no-aggressive-nsec` or the file's `false` turns it
    /// off, and `--aggressive-nsec` overrides the file.
    #[test]
    fn aggressive_nsec_from_the_default_the_flags_and_the_file() {
        let load = |arguments: &Arguments| match Settings::load(arguments) {
            Ok(settings) => settings.resolver.aggressive_nsec,
            Err(error) => panic!("{error}"),
        };
        assert!(load(&Arguments::default()));
        assert!(!load(&Arguments {
            no_aggressive_nsec: true,
            ..Arguments::default()
        }));
        let path = write_config("aggressive-nsec", "aggressive-nsec: false\n");
        let from_file = Arguments {
            config: Some(path.clone()),
            ..Arguments::default()
        };
        assert!(!load(&from_file));
        assert!(load(&Arguments {
            aggressive_nsec: true,
            ..from_file
        }));
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn dnssec_keys_of_the_config_file_and_a_bad_anchor_file_named() {
        let anchor = write_config("file-anchor", ROOT_DS);
        let path = write_config(
            "dnssec",
            &format!(
                "trust-anchors: [\"{}\"]\ninsecure-domains: [lab.example.]\n",
                anchor.display()
            ),
        );
        let arguments = Arguments {
            config: Some(path.clone()),
            ..Arguments::default()
        };
        let Ok(settings) = Settings::load(&arguments) else {
            panic!("settings failed")
        };
        assert_eq!(settings.dnssec_mode, DnssecMode::Configured(1));
        assert!(settings
            .resolver
            .dnssec
            .anchors
            .is_negative(&Name::from_ascii("lab.example.").unwrap()));
        let off = write_config("dnssec-off", "dnssec: false\n");
        let Ok(settings) = Settings::load(&Arguments {
            config: Some(off.clone()),
            ..Arguments::default()
        }) else {
            panic!("settings failed")
        };
        assert_eq!(settings.dnssec_mode, DnssecMode::Off);
        assert!(
            !settings.resolver.dnssec.stripped_is_insecure,
            "hardened by default"
        );
        assert!(
            !settings.resolver.dnssec.prefetch_keys,
            "no key prefetch by default"
        );
        assert!(
            !settings.resolver.dnssec.harden_algorithm_downgrade,
            "one DS algorithm suffices by default"
        );
        let stripped = write_config(
            "dnssec-stripped",
            "harden-dnssec-stripped: false\nprefetch-key: true\nharden-algo-downgrade: true\n",
        );
        for arguments in [
            Arguments {
                config: Some(stripped.clone()),
                ..Arguments::default()
            },
            Arguments {
                no_harden_dnssec_stripped: true,
                prefetch_key: true,
                harden_algo_downgrade: true,
                ..Arguments::default()
            },
        ] {
            let Ok(settings) = Settings::load(&arguments) else {
                panic!("settings failed")
            };
            assert!(settings.resolver.dnssec.stripped_is_insecure);
            assert!(settings.resolver.dnssec.prefetch_keys);
            assert!(settings.resolver.dnssec.harden_algorithm_downgrade);
        }
        let _ = std::fs::remove_file(stripped);
        let bad = write_config("bad-anchor", "example. 3600 IN A 192.0.2.1\n");
        let Err(error) = Settings::load(&Arguments {
            trust_anchor: vec![bad.clone()],
            ..Arguments::default()
        }) else {
            panic!("a bad anchor file must be refused")
        };
        let text = error.to_string();
        assert!(text.starts_with(&bad.display().to_string()), "{text}");
        assert!(text.contains("line 1"), "{text}");
        for file in [anchor, path, off, bad] {
            let _ = std::fs::remove_file(file);
        }
    }
}
