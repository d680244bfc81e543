//! Every bound the daemon enforces, in one place, each with the reason for its value.
//! Code under `server/` reads these constants; it never hard-codes a limit of its own.

use std::time::Duration;

/// Resolutions running at once, the default of `--max-resolutions`. Unbound's
/// `num-queries-per-thread` defaults to 1024 (4096 with libevent); past it Unbound jostles an old
/// query out or drops the new one, and so do we (`request_list.rs`): a client retries, while a
/// SERVFAIL would be cached by stub resolvers and poison the answer for a while.
pub const MAX_CONCURRENT_RESOLUTIONS: usize = 1024;

/// The EDNS payload we accept and advertise: the DNS Flag Day 2020 value, also Unbound's
/// `edns-buffer-size` default. Larger UDP answers risk IP fragmentation.
pub const MAX_UDP_PAYLOAD: u16 = 1232;

/// Without EDNS a UDP response may not exceed 512 bytes (RFC 1035 §4.2.1).
pub const MIN_UDP_PAYLOAD: u16 = 512;

/// A TCP message is prefixed by a 16-bit length (RFC 1035 §4.2.2).
pub const MAX_TCP_PAYLOAD: usize = 65_535;

/// The fixed DNS header (RFC 1035 §4.1.1).
pub const HEADER_BYTES: usize = 12;

/// The smallest resource record: root owner (1) + type, class, TTL, RDLENGTH (10). Used to reject
/// header counts the packet cannot hold before the decoder reserves memory for them.
pub const MIN_RECORD_BYTES: usize = 11;

/// A domain name on the wire is at most 255 bytes (RFC 1035 §3.1); bounds the question-name walk.
pub const MAX_NAME_BYTES: usize = 255;

/// The smallest question: root name (1) + type and class (4).
pub const MIN_QUESTION_BYTES: usize = 5;

/// Latency histogram bucket upper bounds, in milliseconds. Roughly the spread of Unbound's
/// `histogram.*` buckets, coarser: cache hits land in the first, a cold walk in the middle.
pub const LATENCY_BUCKETS_MILLISECONDS: [u64; 12] =
    [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];

/// Upstream servers given a label of their own in the statistics (per-server queries, timeouts,
/// RTT histogram); the rest are counted together as `other`. Each label costs every scrape about
/// 20 series: 32 covers the root, the TLDs and the busiest zones of a small network's resolver
/// while keeping a Prometheus server's series for one resolver in the hundreds (the
/// Prometheus guidance keeps a metric's cardinality under about 100 per label).
pub const MAX_UPSTREAM_SERVER_LABELS: usize = 32;

/// Upstream RTT histogram bucket upper bounds, in milliseconds: a LAN forwarder (1 ms) to a far
/// server over a slow link, up to the resolver's upstream timeouts (seconds).
pub const UPSTREAM_RTT_BUCKETS_MILLISECONDS: [u64; 11] =
    [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 3000];

/// A control command is one line: a word and at most two arguments, one a domain name, which
/// in presentation form is at most 1004 bytes (253 octets, each as `\DDD` at worst).
pub const MAX_CONTROL_LINE_BYTES: usize = 1100;

/// A `load_cache` dump read from the control socket: held whole while it is parsed. The default
/// cache (100 000 entries) dumps to about 15 MB; 64 MiB leaves room for a larger `--cache-size`
/// and bounds what one command may make the daemon hold.
pub const MAX_CACHE_LOAD_BYTES: usize = 64 * 1024 * 1024;

/// A dump is written a chunk at a time: big enough that the write calls are few, small enough
/// that the text held at once stays small.
pub const DUMP_CHUNK_BYTES: usize = 64 * 1024;

/// A whole `dump_cache` or `load_cache` transfer, either way: the control loop serves one
/// connection at a time, so one slow client may hold it no longer than this.
pub const CONTROL_STREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// A control client that does not send its command in this time is disconnected, so one stuck
/// client cannot hold the (sequential) control loop.
pub const CONTROL_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The control client waits at most this long for the daemon's reply.
pub const CONTROL_CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// A config file larger than this is not a config file; refuse before reading it all.
pub const MAX_CONFIG_FILE_BYTES: u64 = 1024 * 1024;

/// Entries in each list of the config file (listen, allow, forward, zones, forward-zones). Unbound
/// has no such cap, but a daemon that reads a 10⁶-line ACL on every reload is misconfigured.
pub const MAX_CONFIG_LIST_ENTRIES: usize = 10_000;

/// After a failed accept on the control socket (e.g. out of descriptors), wait this long before
/// the next, so the loop does not spin (NSD and Unbound likewise pause accepting on EMFILE).
pub const CONTROL_ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Longest a client waits for its answer: past it the client gets SERVFAIL while the resolution
/// goes on (bounded by `MAX_RESOLUTION_TIME`) and caches what it learns, the servers that rest
/// included. The stubs give up sooner than our walk can take against dead servers: glibc waits
/// RES_TIMEOUT 5 s per try (two tries), musl 5 s in all; a walk that hit the 10 s resolution
/// deadline (10.5 s with the whole lab down) reached them as a timeout, not an answer. 4 s is
/// inside the first try of either, with room for a loaded host. Unbound has no such deadline
/// (its first query into a dead zone takes about 15 s); BIND's `resolver-query-timeout` is 10 s.
pub const CLIENT_ANSWER_DEADLINE: Duration = Duration::from_secs(4);

/// Records kept in one local-data RRset: Unbound's `LOCALZONE_RRSET_COUNT_MAX` (4096, "with 16
/// bytes for an A record, a 64K packet has about 4000 max"); more could never be sent.
pub const MAX_LOCAL_RRSET_RECORDS: usize = 4096;

/// Octets of the NSID we send (RFC 5001 sets none beyond the 16-bit option length). It rides on
/// every answer to a client that asks, so it must leave room in a 1232-byte UDP answer; 256 is
/// ample for a host name or an anycast site code.
pub const MAX_NSID_BYTES: usize = 256;

/// One character-string of TXT RDATA holds at most 255 octets (RFC 1035 §3.3).
pub const MAX_TXT_STRING_BYTES: usize = 255;

/// Open connections to the metrics endpoint; past it new ones are closed at once. A Prometheus
/// server keeps one connection; a few more let an operator's curl in beside it.
pub const METRICS_MAX_CONNECTIONS: usize = 8;

/// A metrics client must send its request headers within this time (hyper's header read
/// timeout): a slow client cannot hold a connection slot.
pub const METRICS_HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// A metrics connection (one scraper's, kept alive between scrapes) lasts at most this long;
/// Prometheus reconnects at its next scrape.
pub const METRICS_CONNECTION_LIFETIME: Duration = Duration::from_secs(60);

/// Largest HTTP request head hyper buffers for the metrics endpoint: a GET needs a few hundred
/// bytes; hyper's minimum buffer is 8 KiB.
pub const METRICS_MAX_REQUEST_BYTES: usize = 8 * 1024;

/// Tags a configuration may define (`define-tag`). A client's and a zone's tags are one 128-bit
/// set, compared with one AND per query; Unbound allows more, but real deployments name a handful
/// (one per policy: adult, malware, kids...).
pub const MAX_TAGS: usize = 128;
