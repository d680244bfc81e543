//! Resolver settings: where resolution starts (root hints or forwarders) and the knobs operators set.
//! Built by the daemon from flags or YAML, and by the replay runner from a scenario's header.

use std::net::{IpAddr, SocketAddr};

use hickory_proto::rr::Name;

use crate::dnssec::{Anchors, TestSwitches};
use crate::request_list::RequestLimits;
use crate::scrub::scrubber::ScrubRules;
use crate::server::access::Cidr;
use crate::upstream::client_string::ClientStrings;
use crate::upstream::nat64::Nat64Prefix;

/// One root server from the hints: its name and one of its addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootHint {
    pub name: Name,
    pub address: IpAddr,
}

/// Queries for names at or below `suffix` go to `upstreams` (RD=1) instead of being iterated
/// (Unbound's `forward-zone`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForwardZone {
    pub suffix: Name,
    pub upstreams: Vec<SocketAddr>,
    /// `forward-host`: forwarders given by name, their addresses resolved when needed.
    pub hosts: Vec<Name>,
    /// `forward-first`: when every forwarder fails, iterate as if the zone were not configured.
    pub first: bool,
    /// `forward-tcp-upstream`: ask the forwarders over TCP only.
    pub tcp_upstream: bool,
    /// `forward-no-cache`: names in the zone are neither answered from nor stored in the cache.
    pub no_cache: bool,
}

/// Names at or below `suffix` are resolved from these authoritative servers (RD=0), not from
/// the delegation the parent publishes (Unbound's `stub-zone`; a root stub is the root hints).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StubZone {
    pub suffix: Name,
    /// `stub-addr`.
    pub addresses: Vec<SocketAddr>,
    /// `stub-host`: servers given by name, their addresses resolved when needed.
    pub hosts: Vec<Name>,
    /// `stub-prime`: ask the servers for the zone's NS set first and use the servers it names.
    pub prime: bool,
    /// `stub-first`: when every stub server fails, iterate as if the zone were not configured.
    pub first: bool,
    /// `stub-tcp-upstream`: ask the stub servers over TCP only.
    pub tcp_upstream: bool,
    /// `stub-no-cache`: names in the zone are neither answered from nor stored in the cache.
    pub no_cache: bool,
}

/// The QTYPE of a minimised query (RFC 9156 §3), and with it the iterator's dialect. `A` is the RFC's and Unbound's: it looks like
/// any other query, and servers that mishandle NS below a zone apex answer it; Unbound then asks
/// the full name with A before the real type. `Ns` is Knot Resolver's (the Deckard scenarios,
/// written for it, expect it): the minimised name with NS, then the full name with the real type.
/// Knot Resolver also believes the in-zone rest of a CNAME chain in an answer, which Unbound asks
/// for link by link (`ScrubRules::whole_chain`): `Ns` brings that along.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MinimisedQueryType {
    #[default]
    A,
    Ns,
}

/// Everything a `Resolver` needs to know. Fields may be added (with defaults), never removed.
#[derive(Clone, Debug)]
pub struct ResolverConfig {
    /// Where iteration starts. Empty means the built-in IANA hints.
    pub root_hints: Vec<RootHint>,
    /// Forwarding zones; a zone with suffix `.` forwards everything (forwarding mode).
    pub forward_zones: Vec<ForwardZone>,
    /// Stub zones other than the root (a root stub is `root_hints`). The deepest configured
    /// zone (stub or forward) enclosing a name decides; a cached delegation below a stub wins.
    pub stub_zones: Vec<StubZone>,
    /// Unbound's `auth-zone` with `for-upstream: yes`: zones the iterator answers from these
    /// files instead of asking their servers (a stub zone each, served from memory).
    pub auth_zones: Option<crate::auth_zone::UpstreamAuthZones>,
    /// Unbound `tcp-upstream`: every upstream query goes over TCP.
    pub tcp_upstream: bool,
    /// RFC 9156 QNAME minimisation (relaxed mode).
    pub qname_minimisation: bool,
    /// RFC 8020 (Unbound `harden-below-nxdomain`, on by default there too): names below a
    /// cached DNSSEC-secure NXDOMAIN are answered NXDOMAIN without asking.
    pub harden_below_nxdomain: bool,
    /// The type of the minimised queries (RFC 9156 §3 names A; Knot Resolver sends NS).
    pub minimised_query_type: MinimisedQueryType,
    /// Whether IPv6 server addresses may be used.
    pub do_ip6: bool,
    /// Whether IPv4 server addresses may be used.
    pub do_ip4: bool,
    /// Unbound's do-not-query-localhost turned off: allow loopback upstream addresses.
    pub allow_loopback_upstream: bool,
    /// Unbound `do-not-query-address`: servers in these netblocks are never asked (an address
    /// inside the NAT64 prefix is the gateway's and stays allowed, as in Unbound).
    pub do_not_query: Vec<Cidr>,
    /// Unbound `do-nat64` with its `nat64-prefix`: IPv4 servers are asked at the IPv6 address
    /// the prefix embeds them in (RFC 6052, `upstream/nat64.rs`), even with `do_ip4` off.
    /// `None`: off, as Unbound's default.
    pub nat64: Option<Nat64Prefix>,
    /// Unbound `edns-client-string` and `-opcode`: an EDNS option with a string for servers in
    /// given netblocks (`upstream/client_string.rs`). Empty by default.
    pub client_strings: ClientStrings,
    /// Unbound `harden-unverified-glue` (default off, as Unbound's): referral glue for a name
    /// outside the delegated zone (sibling glue) is not used until the name is looked up; the
    /// glue serves only when that lookup fails (kept with the parent's data, the last resort).
    pub harden_unverified_glue: bool,
    /// Lab use without root: send every upstream query to this port instead of 53.
    pub upstream_port: Option<u16>,
    /// Cache size bound, in RRsets (and negative entries).
    pub cache_max_entries: u64,
    /// TTL clamps applied when storing into the cache, in seconds.
    pub min_ttl: u32,
    pub max_ttl: u32,
    /// Upper bound for negative-cache TTLs (RFC 2308 §5), in seconds.
    pub max_negative_ttl: u32,
    /// Lower bound for negative-cache TTLs, in seconds; 0: `min_ttl` is the bound (Unbound
    /// `cache-min-negative-ttl`).
    pub min_negative_ttl: u32,
    /// Unbound `iter-scrub-promiscuous` (default on): the scrubber removes NS sets from the
    /// authority section of positive answers, and their addresses, so they never replace the
    /// delegation learned from the parent. Off: they are kept, cached and passed on.
    pub scrub_promiscuous: bool,
    /// Unbound `harden-glue` (default on): out-of-bailiwick glue is dropped by the scrubber.
    /// Off: addresses a server gives for name servers outside its zone are used too.
    pub harden_glue: bool,
    /// Unbound `harden-unknown-additional` (Unbound's default off; ours on, the stricter): the
    /// additional section keeps only the addresses of NS/MX/SRV targets. Off: other RRsets
    /// there (an SRV, a TXT) are kept too, cached and repeated beside the answer.
    pub harden_unknown_additional: bool,
    /// Unbound `minimal-responses` (default on, as Unbound): a positive answer carries no
    /// authority or additional records. Off: those of the reply that gave the answer, kept
    /// with it and re-read from the RRset cache (BIND's default shape, Unbound's `no`).
    pub minimal_responses: bool,
    /// DNSSEC validation (`dnssec/`).
    pub dnssec: DnssecConfig,
    /// RFC 8767 serve-stale (Unbound `serve-expired*`); off by default, as Unbound's.
    pub serve_expired: ServeExpired,
    /// Unbound `prefetch`: an entry asked for in the last 10 % of its TTL is refreshed in the
    /// background while the client gets the cached answer. Off by default, as Unbound's.
    pub prefetch: bool,
    /// RFC 8198 aggressive use of the DNSSEC-validated cache (Unbound `aggressive-nsec`, on by
    /// default since Unbound 1.15): NXDOMAIN and NODATA synthesized from cached secure NSEC and
    /// NSEC3 records (`dnssec/aggressive.rs`); only while validating, never for a CD client.
    pub aggressive_nsec: bool,
    /// Upstream queries one client query may cost, its whole tree of sub-resolutions included
    /// (Unbound `max-global-quota`, default `MAX_UPSTREAM_QUERIES`); past it, SERVFAIL.
    pub max_upstream_queries: u32,
    /// Unbound `serve-original-ttl`: records are sent with the TTL the server gave, not the
    /// one counting down in the cache (stale ones too); the TTL clamps (`min_ttl`, `max_ttl`)
    /// are then not applied. Expiry in the cache is unchanged.
    pub serve_original_ttl: bool,
    /// The request list: resolutions at once, jostling, late answers (`request_list.rs`).
    /// The host (daemon handler, replay runner) applies it; the `Resolver` does not read it.
    pub requests: RequestLimits,
}

/// RFC 8767 serve-stale: expired data is kept and answered when a refresh is slow or fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServeExpired {
    pub enabled: bool,
    /// Seconds past expiry that data may still be served; 0 means no limit (Unbound
    /// `serve-expired-ttl`). Default one day: RFC 8767 §5 suggests 1 to 3 days and Unbound
    /// 1.21 on defaults to 86400 (1.17, installed here, to 0: no limit).
    pub max_stale_seconds: u32,
    /// The TTL stale records are sent with (Unbound `serve-expired-reply-ttl`, RFC 8767 §4: 30).
    pub reply_ttl: u32,
    /// Milliseconds a client waits for the refresh before it gets stale data; 0 answers stale
    /// data at once and refreshes in the background (Unbound `serve-expired-client-timeout`).
    /// Default 1800: RFC 8767 §5's recommendation and Unbound's default since 1.21 (0 before).
    pub client_timeout_milliseconds: u32,
    /// Unbound `serve-expired-ttl-reset`: after a failed refresh the stale window starts again.
    pub reset_after_failure: bool,
}

impl Default for ServeExpired {
    fn default() -> Self {
        ServeExpired {
            enabled: false,
            max_stale_seconds: 86_400,
            reply_ttl: 30,
            client_timeout_milliseconds: 1_800,
            reset_after_failure: false,
        }
    }
}

/// DNSSEC validation settings. The library default is off (labs and tests build their own
/// anchors); the daemon turns it on with the root KSKs (`server/settings.rs`).
#[derive(Clone, Debug, Default)]
pub struct DnssecConfig {
    pub enabled: bool,
    /// Trust anchors and negative trust anchors.
    pub anchors: Anchors,
    /// Unbound `val-override-date`: the validation clock's fixed reading, in UNIX seconds
    /// (scenario replays); `None` reads the system time.
    pub date_override: Option<u32>,
    /// Unbound's `fake-dsa`/`fake-sha1` test switches (replay only).
    pub test_switches: TestSwitches,
    /// Unbound `harden-dnssec-stripped: no`: a zone below an anchor whose DNSKEY set cannot be
    /// had or does not validate is insecure (as if unanchored) instead of bogus. Off by
    /// default: stripping DNSSEC is what an on-path attacker does.
    pub stripped_is_insecure: bool,
    /// Unbound `prefetch-key`: a referral carrying a zone's DS starts the fetch of its DNSKEY
    /// set in the background (`refresh.rs`), so the keys are there when its answer comes.
    pub prefetch_keys: bool,
    /// Unbound `harden-algo-downgrade` (off by default there too): every algorithm the DS set
    /// (or the anchor's DS records) lists must sign the zone's DNSKEY RRset, not just one, so
    /// a zone rolling to a stronger algorithm cannot be held to the weaker one by stripping.
    /// Off, one algorithm suffices (RFC 6840 §5.11), which keeps algorithm rollovers working.
    pub harden_algorithm_downgrade: bool,
}

impl DnssecConfig {
    /// Validation on, from the IANA root KSKs.
    pub fn with_root_anchor() -> Self {
        DnssecConfig {
            enabled: true,
            anchors: Anchors::builtin_root(),
            date_override: None,
            test_switches: TestSwitches::default(),
            stripped_is_insecure: false,
            prefetch_keys: false,
            harden_algorithm_downgrade: false,
        }
    }
}

impl ResolverConfig {
    /// The scrubber's operator-settable rules.
    pub fn scrub_rules(&self) -> ScrubRules {
        ScrubRules {
            promiscuous_ns: self.scrub_promiscuous,
            harden_glue: self.harden_glue,
            harden_unknown_additional: self.harden_unknown_additional,
            whole_chain: self.minimised_query_type == MinimisedQueryType::Ns,
        }
    }
}

impl Default for ResolverConfig {
    fn default() -> Self {
        ResolverConfig {
            root_hints: Vec::new(),
            forward_zones: Vec::new(),
            stub_zones: Vec::new(),
            auth_zones: None,
            tcp_upstream: false,
            qname_minimisation: true,
            minimised_query_type: MinimisedQueryType::A,
            harden_below_nxdomain: true,
            do_ip6: true,
            do_ip4: true,
            allow_loopback_upstream: false,
            do_not_query: Vec::new(),
            nat64: None,
            client_strings: ClientStrings::default(),
            harden_unverified_glue: false,
            upstream_port: None,
            cache_max_entries: 100_000,
            min_ttl: 0,
            max_ttl: 86_400,
            max_negative_ttl: 3_600,
            min_negative_ttl: 0,
            scrub_promiscuous: true,
            harden_glue: true,
            harden_unknown_additional: true,
            minimal_responses: true,
            dnssec: DnssecConfig::default(),
            serve_expired: ServeExpired::default(),
            prefetch: false,
            aggressive_nsec: true,
            max_upstream_queries: crate::limits::MAX_UPSTREAM_QUERIES,
            serve_original_ttl: false,
            requests: RequestLimits::default(),
        }
    }
}
