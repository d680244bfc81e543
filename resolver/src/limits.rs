//! Every bound the resolver enforces, as a named constant with the reason for its value.
//! Nothing here is tunable per query: a hostile server must never be able to raise these.

use std::time::Duration;

/// Upstream queries sent for one client query, its whole tree of sub-resolutions (glueless NS
/// names, CNAME targets) included. Unbound: `MAX_GLOBAL_QUOTA` 200 for a query tree.
pub const MAX_UPSTREAM_QUERIES: u32 = 200;

/// Upstream queries for a single resolution step (one delegation walk) before giving up.
/// Unbound: `MAX_SENT_COUNT` 32.
pub const MAX_QUERIES_PER_WALK: u32 = 32;

/// Glueless NS names looked up over the network per delegation. NXNSAttack (Afek et al., 2020)
/// abuses referrals with many glueless names; Unbound caps target fetches per delegation point
/// at `MAX_DP_TARGET_COUNT` 16, and those that fail at `MAX_TARGET_NX` 5
/// (`MAX_FAILED_NS_NAME_LOOKUPS` below). We follow both. Lookups the cache answers are free.
pub const MAX_NS_NAME_LOOKUPS_PER_DELEGATION: usize = 16;

/// Nesting of glueless sub-resolutions (resolving the NS name of an NS name of ...).
/// Unbound: `MAX_TARGET_REFETCH`/dependency depth ~ 3-4 levels in practice; we allow 4.
pub const MAX_GLUELESS_DEPTH: u8 = 4;

/// CNAME (and DNAME) links followed for one client query. Unbound `MAX_RESTART_COUNT` 11;
/// BIND follows 16. We follow Unbound.
pub const MAX_CNAME_CHAIN: usize = 11;

/// Referrals followed in one walk: the DNS tree is at most 127 labels deep, but no sane
/// delegation chain is longer than this. Unbound `MAX_REFERRAL_COUNT` 130; real chains are < 20.
pub const MAX_REFERRAL_DEPTH: usize = 30;

/// Wall time (per the resolver's `Clock`) one client query may take. Unbound gives up after
/// its server-selection and retry budget, typically well below this; dig/stub timeouts are ~5-10 s.
pub const MAX_RESOLUTION_TIME: Duration = Duration::from_secs(10);

/// Time to wait for one upstream reply. Unbound starts at `UNKNOWN_SERVER_NICENESS` 376 ms with
/// back-off up to 120 s; a fixed 1.5 s is a fair first answer for a sequential resolver.
pub const UPSTREAM_QUERY_TIMEOUT: Duration = Duration::from_millis(1500);

/// Attempts per server address within one delegation walk. Unbound `OUTBOUND_MSG_RETRY` 5 across
/// all servers; one per address, plus the TCP and no-EDNS retries below, keeps walks short.
pub const ATTEMPTS_PER_ADDRESS: u32 = 1;

/// Entirely empty NOERROR replies (no record in any section) a walk takes before it believes
/// one: a real NODATA carries the zone's SOA (RFC 2308 §2.2), so the first empty reply sends
/// the walk to another server. Unbound `EMPTY_NODATA_RETRY_COUNT` 2 (iter_ignore_empty).
pub const EMPTY_NODATA_RETRY_COUNT: usize = 2;

/// Glueless NS names of one delegation whose lookups went out to the network and found no
/// address: past this many the walk fails (NXNSAttack, Afek et al. 2020). Lookups answered
/// from the cache cost nothing and do not count. Unbound `MAX_TARGET_NX` 5 (iter_nxns_cached).
pub const MAX_FAILED_NS_NAME_LOOKUPS: usize = 5;

/// RFC 9156 §2.3 / Unbound `MAX_MINIMISE_COUNT`: most queries spent on minimisation per name.
pub const MAX_MINIMISE_COUNT: usize = 10;

/// Unbound `MINIMISE_ONE_LAB`: the first queries add one label each, later ones several.
pub const MINIMISE_ONE_LAB: usize = 4;

/// EDNS0 buffer size on upstream queries: DNS Flag Day 2020 value, avoids IP fragmentation.
pub const EDNS_BUFFER_SIZE: u16 = 1232;

/// Longest `edns-client-string` value, in bytes: a DNS character-string's bound (RFC 1035
/// §3.3), so the option never crowds a query out of its 512-byte minimum (Unbound sets none).
pub const MAX_CLIENT_STRING_BYTES: usize = 255;

/// Server addresses remembered for RTT. Unbound `infra-cache-numhosts` default 10000.
pub const INFRA_MAX_ENTRIES: usize = 10_000;

/// Ceiling for a smoothed RTT after repeated timeouts. Unbound `USEFUL_SERVER_TOP_TIMEOUT` 120 s.
pub const MAX_SMOOTHED_RTT_MILLIS: u32 = 120_000;

/// Timeouts (and refusals) in a row after which a server rests: it is not chosen until its probe
/// time (`upstream/infra.rs`). Two, because the first UDP timeout is followed by one try over TCP
/// (a server may drop UDP and answer TCP): a server silent on both has failed twice. Unbound
/// counts `TIMEOUT_COUNT_MAX` 3 per query type and blocks a server once its backed-off RTO
/// reaches `PROBE_MAXRTO` 12 s (about five timeouts from 376 ms: the 15 s its first query in a
/// dead zone costs); with our fixed 1.5 s timeout, two are already 3 s.
pub const SERVER_DOWN_AFTER_TIMEOUTS: u32 = 2;

/// Timeouts in a row for one type class (A, AAAA, other) that rest a server for that class when
/// it answered queries of another class meanwhile: it is alive, so a lost datagram or a server
/// that drops only some types gets one more try than a silent server. Unbound's
/// `TIMEOUT_COUNT_MAX`, 3, marks a server lame for one class the same way.
pub const TYPE_DOWN_AFTER_TIMEOUTS: u32 = 3;

/// How long a server rests before one query probes it, the first time. Unbound's `probedelay`
/// is the backed-off RTO plus 2 s (14 s to 122 s); our first rest is shorter so a server that
/// comes back is used again within seconds, at the cost of one query per interval waiting for
/// the probe's timeout. It must outlast the walk that put the zone's servers to rest (two
/// servers, UDP and TCP each: 6 s, the first resting after 4.5 s), or the next client's walk
/// would probe them all again at once; 5 s is also how long that walk's SERVFAIL is cached
/// (`FAILURE_CACHE_TTL`). Also the floor of every later rest.
pub const PROBE_DELAY_FIRST: Duration = Duration::from_secs(5);

/// Added to the backed-off timeout (`UPSTREAM_QUERY_TIMEOUT` doubled per failure in a row of
/// the type class) to make the rest after a failed probe, as Unbound's `infra_host`
/// (`probedelay = now + (rto + 1999) / 1000` s: rounded up to the second, plus a whole second
/// "so it is certain that this probe has timed out before the next is allowed"). After UDP, TCP
/// and a failed probe, 1.5 s doubled three times is 12 s: the server rests 14 s, as long as
/// Unbound's first probe delay (iter_timeout_ra_aaaa checks that it is not probed 12 s later).
pub const PROBE_DELAY_MARGIN: Duration = Duration::from_secs(2);

/// Ceiling of the probe delay, which follows the backed-off timeout (5, 14, then 20 s for a
/// silent server): a server dead for hours costs one probe per 20 s per type class, and is used
/// again at most 20 s after it answers again (Unbound: up to 122 s).
pub const PROBE_DELAY_MAX: Duration = Duration::from_secs(20);

/// How long a server that answered over TCP after UDP timed out is asked over TCP only.
/// Unbound keeps such knowledge (`infra_update_tcp_works`) for its `host-ttl`, 900 s.
pub const TCP_ONLY_DURATION: Duration = Duration::from_secs(900);

/// Records kept per section from one upstream reply; a larger reply is cut (and thus never cached
/// whole). Unbound bounds RRsets per message at `RR_COUNT_MAX` 65535; 512 is far above real data.
pub const MAX_RECORDS_PER_SECTION: usize = 512;

/// Largest TCP reply accepted: the 16-bit length prefix already bounds it (RFC 1035 §4.2.2).
pub const MAX_TCP_MESSAGE: usize = 65_535;

/// UDP receive buffer: a full datagram, so a server ignoring our EDNS size (1232) still arrives
/// whole and is judged by the resolver, not cut here. One per runtime thread, reused by every
/// exchange (`udp_tcp_transport`), so memory is threads x 64 KiB, not in-flight queries x 64 KiB.
pub const UDP_RECEIVE_BUFFER: usize = 65_535;

/// Upstream UDP sockets of finished exchanges waiting to be closed, per runtime thread
/// (`upstream/udp_tcp_transport.rs`): past this many they are closed at once.
pub const MAX_SOCKETS_CLOSING: usize = 64;

/// Final answers waiting to be cached until their clients have them (`scrub/deferred_stores.rs`):
/// past this many, one is stored at once.
pub const MAX_DEFERRED_STORES: usize = 64;

/// State transitions in one walk. Each send already spends the budget; this only guards
/// against a logic loop that spends none. Unbound bounds its iterations by its counters alike.
pub const MAX_STATE_TRANSITIONS: usize = 512;

/// Largest root hints file read. IANA's named.root is ~3.3 KB; anything near this bound is not
/// a hints file, and reading it whole must stay bounded.
pub const MAX_ROOT_HINTS_BYTES: u64 = 1024 * 1024;

/// How long a failed resolution (SERVFAIL for a name and type) is remembered. RFC 9520 §3.2
/// (written after tsuNAME): at least 1 s, at most 5 min. BIND's `servfail-ttl` defaults to 1 s;
/// Unbound caches a SERVFAIL for `NORR_TTL` 5 s (`error_response_cache`). We follow Unbound:
/// a client retrying every second costs one resolution per five.
pub const FAILURE_CACHE_TTL: Duration = Duration::from_secs(5);

/// Failed (name, type) pairs remembered: each entry is a name and a time, so this bounds
/// memory at a few MB even when every query of a random-name flood fails.
pub const FAILURE_CACHE_MAX_ENTRIES: u64 = 10_000;

/// Longest owner name in a cache key, in wire format (RFC 1035 §3.1: 255 octets).
pub const MAX_NAME_WIRE_BYTES: usize = 255;

/// Largest cache entry (header and records, in wire form). No DNS message is larger than
/// 65,535 bytes (RFC 1035 §4.2.2), so an RRset above this could never be sent whole anyway.
pub const MAX_ENTRY_WIRE_BYTES: usize = 65_535;

// The DNSSEC bounds below are each shown holding against a hostile signed zone, counting
// verifications, NSEC3 hashes and upstream queries: `scripted/validation_bounds.rs` and
// `scripted/chain_bounds.rs`.

/// KeyTrap (CVE-2023-50387): signatures tried per RRset before giving up on it. Unbound 1.19.1
/// `MAX_VALIDATE_RRSIGS` is 8.
pub const MAX_SIGNATURES_TRIED_PER_RRSET: usize = 8;

/// KeyTrap: DNSKEYs with the same key tag and algorithm tried for one signature. Real zones
/// have at most two during a rollover; PowerDNS Recursor 4.8.6 `max-dnskeys` is 2.
pub const MAX_KEYS_TRIED_PER_SIGNATURE: usize = 2;

/// KeyTrap: signature verifications per client query, over its whole tree of sub-resolutions.
/// PowerDNS Recursor 4.8.6 `max-signature-validations-per-query` is 30; a long CNAME chain
/// through many signed zones needs about two per link and three per zone cut.
pub const MAX_SIGNATURE_CHECKS_PER_QUERY: u32 = 60;

/// Signatures remembered as verified (`dnssec/verified.rs`), 32-byte digests: about 1 MB. Unbound
/// keeps an RRset's security status in its RRset cache (`rrset_check_sec_status`) with no
/// separate bound; ours is the infrastructure cache's size.
pub const MAX_VERIFIED_SIGNATURES: usize = 10_000;

/// KeyTrap: DS records of one zone considered, the first of its set (of the preferred digest
/// type): a key that only a later DS names is never reached, so the zone is bogus
/// (`scripted/chain_bounds.rs`). PowerDNS Recursor 4.8.6 `max-ds-per-zone` is 8.
pub const MAX_DS_RECORDS_USED: usize = 8;

/// CVE-2023-50868: NSEC3 iterations above this make the proof insecure (RFC 9276 §3.2 lets a
/// validator do so; Unbound 1.19 `val-nsec3-keysize-iterations` caps at 150).
pub const MAX_NSEC3_ITERATIONS: u16 = 150;

/// CVE-2023-50868: NSEC3 hashes computed for one proof. A closest encloser proof needs one per
/// label of the name plus the wildcard: 128 labels at most; Unbound's `MAX_NSEC3_CALCULATIONS`
/// is 8 per suspend, which a deep name exceeds, so this bounds the worst case instead.
pub const MAX_NSEC3_HASHES_PER_PROOF: usize = 130;

/// Unbound `val-bogus-ttl`: how long data found bogus is cached, in seconds.
pub const BOGUS_TTL: u32 = 60;

/// ring (hickory's crypto) verifies RSA moduli of this many bits and more; shorter ones go to
/// `dnssec/short_rsa.rs` (RustCrypto's `rsa`), as Unbound and BIND validate them.
pub const RING_MIN_RSA_KEY_BITS: usize = 1024;

/// RSA keys shorter than this are not validated: the zone is insecure (never bogus), as for an
/// unsupported algorithm. 512 bits is the RFC 3110 §2 minimum for RSA/SHA-1 keys and the shortest
/// in real test vectors; anything shorter is factored in seconds.
pub const MIN_RSA_KEY_BITS: usize = 512;

/// Unbound `val-max-restart` (default 5, `VAL_MAX_RESTART_COUNT`): after a bogus reply, the
/// query (answer, DS or DNSKEY) is asked again of another server of the zone, this many times at
/// most; each retry spends the client's query budget like any other walk.
pub const MAX_VALIDATION_RESTARTS: usize = 5;

/// Zone cuts walked from a trust anchor down to one answer's zone (one DS and one DNSKEY
/// fetch each); a name has at most 127 labels but a real chain has a handful. A signer deeper
/// than this below its trust anchor is never reached: its data is bogus (`scripted/chain_bounds.rs`).
pub const MAX_CHAIN_DEPTH: usize = 32;

/// Background refreshes (serve-expired and prefetch) queued or running at once; past it a due
/// refresh is skipped (the entry is simply answered, and refreshed by a later query). Unbound
/// has no separate bound: its prefetches are mesh states within `num-queries-per-thread`
/// (1024); a quarter of that keeps refreshes from crowding out clients' own resolutions.
pub const MAX_BACKGROUND_REFRESHES: usize = 256;

/// Added to a prefetch's leeway (the refreshed answer's remaining TTL): cached data that expires
/// within the leeway counts as expired for the prefetch, so it neither starts the walk from a
/// delegation about to lapse nor keeps the old copy of what the answer brings anew. The extra
/// seconds renew RRsets of the same answer a little longer-lived than the one that was due, so
/// the renewed answer does not expire in split-second pieces. Unbound `PREFETCH_EXPIRY_ADD` 60
/// (`daemon/worker.c`, for prefetches and serve-expired refreshes alike).
pub const PREFETCH_EXPIRY_ADD: Duration = Duration::from_secs(60);

/// RRSIGs kept per RRset by the scrubber, the first ones in the reply: a signer needs one per
/// key and algorithm, and more only cost validation work (KeyTrap, CVE-2023-50387). Unbound's
/// scrubber keeps 8 as well (`fwd_scrub_rrsig`), the validator tries as many.
pub const MAX_SIGNATURES_KEPT_PER_RRSET: usize = 8;

/// RFC 8198 (`dnssec/aggressive.rs`): secure NSEC and NSEC3 records kept for synthesized denials,
/// every zone together; past it the oldest go. Unbound's `neg-cache-size` is 1 MB, about 4,000
/// NSECs with their RRSIGs; 10,000 is a few MB at most, beside a cache of 100,000 RRsets.
pub const MAX_AGGRESSIVE_NSEC_SPANS: usize = 10_000;

/// RFC 8198 over NSEC3: labels below the zone a synthesized denial hashes, one hash each (plus
/// the wildcard's) at `MAX_NSEC3_ITERATIONS` at most, on a cache miss that sends nothing: a deeper
/// name is walked instead (CVE-2023-50868 keeps the per-query hashing small). Real names sit a
/// few labels below their zone.
pub const MAX_AGGRESSIVE_NSEC3_DEPTH: usize = 8;

/// The largest auth-zone file read (`auth_zone.rs`): the zone is held in memory whole, parsed
/// and prepared at start. 64 MiB holds a zone of about a million records, like the authority's
/// own bound per zone; anything larger belongs on an authoritative server.
pub const MAX_AUTH_ZONE_FILE_BYTES: usize = 64 * 1024 * 1024;

/// The largest RPZ policy zone file read (`policy/rpz_zone.rs`): read whole and parsed at start
/// and reload. 128 MiB holds the big public blocklists (a few hundred thousand triggers, about
/// 40 bytes a line) several times over.
pub const MAX_RPZ_FILE_BYTES: usize = 128 * 1024 * 1024;

/// The default bound on the records of one RPZ policy zone (`--rpz-max-records`): every trigger
/// is held in memory (a hash map entry, about 200 bytes). A million is twice the largest public
/// feeds; Unbound has no bound, BIND's `max-records` default is none either, so an operator
/// with a bigger feed raises it.
pub const DEFAULT_RPZ_MAX_RECORDS: usize = 1_000_000;

/// The most `response-ip` and `response-ip-data` lines (Unbound has no bound): each is a
/// prefix-table entry built at start.
pub const MAX_RESPONSE_IP_RULES: usize = 100_000;
