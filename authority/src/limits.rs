//! Every bound of the authority crate, as a named constant with the reason for its value.
//! Nothing here is computed; code elsewhere must use these names, never repeat the numbers.

// ---- listener (authority/src/listen/) ----

use std::time::Duration;

/// Largest DNS message over UDP or TCP: the 16-bit length (RFC 1035 §4.2.2, RFC 6891 §6.2.5).
/// The receive buffer has this size so no datagram is ever silently cut.
pub const MAX_MESSAGE_SIZE: usize = 65_535;

/// UDP requests being answered at once per socket; datagrams beyond it are dropped (the client retries).
/// Unbound's `num-queries-per-thread` is 1024 (with libevent) for the same reason: bounded memory.
pub const UDP_MAX_IN_FLIGHT: usize = 1024;

/// Open TCP connections per listening address; new ones beyond it are closed at once.
/// NSD's `tcp-count` defaults to 100; Unbound's `incoming-num-tcp` is 10 per thread.
pub const TCP_MAX_CONNECTIONS: usize = 100;

/// A TCP connection with no new message is closed after this. RFC 7766 §6.2.3 asks for idle timeouts
/// of seconds, shortened under load; Unbound's `tcp-idle-timeout` is 30 s, NSD's `tcp-timeout` 120 s,
/// both cut when connections run short. 10 s keeps slots free for a hostile network.
pub const TCP_IDLE_TIMEOUT: Duration = Duration::from_secs(10);

/// Once a message has begun (its length prefix started), the rest must arrive within this time, or the
/// connection is closed: a slow client (slowloris) cannot hold a slot forever. Also bounds each write.
/// Our choice: long enough for a lossy mobile link to deliver 64 KiB, short next to the idle timeout.
pub const TCP_READ_TIMEOUT: Duration = Duration::from_secs(3);

/// Queries of one TCP connection being answered at once (RFC 7766 §6.2.1.1 pipelining); beyond it the
/// listener stops reading that connection until one completes. NSD answers one at a time; Unbound
/// bounds waiting replies by memory (`stream-wait-size`); 32 lets a pipelining client go fast while
/// bounding one connection's share of memory (32 x 64 KiB).
pub const TCP_MAX_IN_FLIGHT_PER_CONNECTION: usize = 32;

/// How many times to retry binding the UDP socket to the port that TCP got for port 0 (another process
/// may own that UDP port already). Tests use port 0; a handful of tries makes a clash vanishingly rare.
pub const BIND_PORT_ZERO_ATTEMPTS: usize = 16;

/// Connections the kernel queues before `accept`; the cap on open connections applies after accept.
/// 128 is Linux's historical SOMAXCONN (the kernel clamps larger values to its setting anyway).
pub const TCP_BACKLOG: i32 = 128;

/// Pause after a failed `accept` (EMFILE, ENFILE, ENOBUFS): retrying at once would spin a core while
/// the process is out of descriptors. hyper's accept loop pauses likewise (1 s); 100 ms recovers sooner.
pub const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(100);

/// Datagrams read by one `recvmmsg` and answers written by one `sendmmsg` (Linux). NSD reads up to
/// 100 per call (`NUM_RECV_PER_SELECT`), Knot 10 (`RECVMMSG_BATCHLEN`). 32 spreads the cost of a
/// system call over enough datagrams that it stops showing under load, while a batch's answers wait
/// for at most 31 others; its receive buffers (32 x MAX_MESSAGE_SIZE per socket) are touched only
/// as far as datagrams fill them.
pub const UDP_BATCH_SIZE: usize = 32;

/// Longest wait for room in a full socket send buffer, for a batch's answers or one late answer;
/// past it they are dropped (the client retries), as the kernel drops what does not fit. NSD does
/// not wait at all; 100 ms rides out a burst while staying well below a resolver's first retry
/// (Unbound waits 376 ms for a server it has no RTT for), so a full buffer never stalls the loop long.
pub const UDP_SEND_WAIT: Duration = Duration::from_millis(100);

// ---- end listener ----

// ---- response rate limiting (rrl.rs) ----

/// Buckets kept by the response rate limiter; when full, the oldest-created bucket is evicted.
/// BIND's `max-table-size` defaults to 20,000; each bucket here is ~48 bytes, so about 1 MiB.
pub const RATE_LIMIT_MAX_BUCKETS: usize = 20_000;

/// IPv4 clients sharing one budget: a /24, BIND's `ipv4-prefix-length` and Knot's default.
/// A spoofing attacker can vary the last octet freely; the victim's whole /24 shares one budget.
pub const RATE_LIMIT_IPV4_PREFIX: u8 = 24;

/// IPv6 clients sharing one budget: a /56, BIND's `ipv6-prefix-length` (a typical end-site assignment).
pub const RATE_LIMIT_IPV6_PREFIX: u8 = 56;

/// A bucket holds at most this many seconds of credit, so a quiet client may burst this long at
/// the full rate and no more. BIND's `window` defaults to 15 s; 1 s keeps bursts (and the
/// amplification they allow) small, as NSD and Knot effectively do.
pub const RATE_LIMIT_BURST_SECONDS: u32 = 1;

// ---- end response rate limiting ----

// ---- answer memo (answer/memo.rs) ----

/// Answers the memo can hold. PowerDNS's packet cache, the model, holds up to 1,000,000
/// (`max-packet-cache-entries`); 65,536 covers every distinct question of the benchmark zone
/// (about 13,000 names) several times over, and its table (no answers in it) is ~3.3 MiB.
pub const ANSWER_MEMO_SLOTS: usize = 65_536;

/// Slots per set: a question may sit in either of two slots, so two hot questions whose hashes
/// meet do not evict each other on every query (2-way set-associative, as CPU caches do).
pub const ANSWER_MEMO_WAYS: usize = 2;

/// Questions each set remembers having turned away: a question that would evict a live answer
/// is stored only when it comes back while still listed here (TinyLFU's doorkeeper, per set). A
/// name asked once (a random-name flood, or the NXDOMAIN and wildcard names of a query mix) then
/// never pushes out an answer that is asked again. Four per set outlast a flood of 100,000 new
/// names a second spread over 32,768 sets by about a second; at 4 octets each they add 512 KiB to
/// the table.
pub const ANSWER_MEMO_DOORKEEPER: usize = 4;

/// Bytes of requests and answers held by the memo at most; a new answer that would go past it is
/// not remembered. 32 MiB is ~200,000 typical answers, far more than the slots, so it only binds
/// when someone fills the slots with large answers (a flood of random names under a big wildcard).
pub const ANSWER_MEMO_MAX_BYTES: usize = 32 * 1024 * 1024;

/// Longer requests are answered without the memo. A query with a 255-octet name, OPT and a full
/// cookie (RFC 7873: 40 octets) is under 350 octets; 512 is the classic UDP message size.
pub const ANSWER_MEMO_MAX_REQUEST_BYTES: usize = 512;

/// Longer answers are not remembered: every UDP answer fits (MAX_UDP_PAYLOAD), and a TCP answer
/// beyond 4 KiB is rare and costs more to send than to build.
pub const ANSWER_MEMO_MAX_RESPONSE_BYTES: usize = 4096;

// ---- end answer memo ----

// ---- zones, answers and messages (everything else in this crate) ----

/// The share of physical memory one zone may take while loading, by default (`ZoneMemoryLimit`):
/// a half leaves room for the previous copy of the zone, which is served until a reload's new copy
/// is ready. NSD and Knot have no bound; BIND's `max-records` is unlimited by default.
pub const ZONE_MEMORY_SHARE_OF_RAM: u64 = 2;

/// The default zone memory bound where /proc/meminfo cannot be read: 4 GiB holds several
/// million records.
pub const FALLBACK_ZONE_MEMORY_LIMIT: u64 = 4 << 30;

/// The default never goes below this (a container may report a tiny MemTotal): 256 MiB still holds
/// several hundred thousand records.
pub const MIN_ZONE_MEMORY_LIMIT: u64 = 256 << 20;

/// What one record costs at the peak of a load, beyond the file's text: the source record, its
/// RRset and node, and the names' table. Measured on bench/'s 1,000,000-record zone (48 MB of
/// YAML, names like `host12345.bench.test.`): peak RSS 199 MB, about 150 bytes a record beyond
/// the text (was 840 when this bound was set). Most of it grows with the owner's length (the
/// record, its RRset and its key each hold the name): 800 covers owners of about 100 octets
/// written relative to a long origin (`memory_limit`'s test: about 720); names near the
/// 255-octet maximum so written cost up to half as much again.
pub const ZONE_BYTES_PER_RECORD: u64 = 800;

/// Zone files from this size up have the heap's free pages given back after their build
/// (`zone::heap_trim`): a 1 MiB file is some 20,000 records, whose build leaves a few MB freed;
/// below that, the walk of the heap costs more than it returns.
pub const HEAP_TRIM_MIN_FILE_BYTES: usize = 1 << 20;

/// Entries of a key directory looked at to tell whether its keys changed since the last load
/// (`catalog::fingerprint`); a key directory holds a few files per zone.
pub const MAX_KEY_DIRECTORY_ENTRIES: usize = 4096;

/// Values in one octoDNS record object (`values:` list). Also bounds an RRset; 65535 is what the
/// 16-bit ANCOUNT could ever carry, but nothing useful has more than a few thousand.
pub const MAX_VALUES_PER_RECORD: usize = 4096;

/// Total length of one TXT value after joining; RFC 1035 §3.3.14 character-strings are 255 octets,
/// and a TXT RDATA cannot exceed 65535 octets (RDLENGTH), so we stop well below that.
pub const MAX_TXT_VALUE_BYTES: usize = 16 * 1024;

/// One TXT character-string (RFC 1035 §3.3): a one-octet length, so 255 octets. Longer values are
/// split into several strings, as octoDNS and BIND do.
pub const TXT_CHUNK_BYTES: usize = 255;

/// Errors reported per file before we stop reading it; NSD stops a zone after many errors too.
pub const MAX_ERRORS_PER_FILE: usize = 1000;

/// CNAME links followed inside our zones for one answer. BIND follows 16; NSD stops at a loop or
/// leaves the name. 8 is enough for every real chain and bounds work per query.
pub const MAX_CNAME_CHAIN: usize = 8;

/// Largest UDP response we send with EDNS, whatever the client offers (DNS Flag Day 2020: 1232
/// avoids IP fragmentation on IPv6 minimum-MTU paths; NSD, Knot and Unbound use it).
pub const MAX_UDP_PAYLOAD: u16 = 1232;

/// Without EDNS, or with an EDNS size below it, RFC 1035 §4.2.1 / RFC 6891 §6.2.5 give 512.
pub const MIN_UDP_PAYLOAD: u16 = 512;

/// TCP messages carry a two-octet length (RFC 1035 §4.2.2), so 65535 is the hard ceiling.
pub const MAX_TCP_PAYLOAD: usize = 65535;

/// DNS header length (RFC 1035 §4.1.1); a shorter packet has no ID to echo and is dropped.
pub const HEADER_BYTES: usize = 12;

/// Smallest possible resource record on the wire: root name (1) + type, class, TTL, RDLENGTH (10).
/// Record counts larger than the packet could hold are FORMERR before any decoding allocates.
pub const MIN_RECORD_BYTES: usize = 11;

/// Smallest possible question on the wire: root name (1) + type, class (4). Question counts larger
/// than the packet could hold are FORMERR before any decoding allocates, like record counts.
pub const MIN_QUESTION_BYTES: usize = 5;

/// YAML events replayed through aliases (`*name`) in one zone file. octoDNS files rarely use
/// aliases at all; serde-saphyr's default is 1,000,000, which lets an alias bomb cost seconds
/// of CPU per load. 100,000 still allows thousands of records built from anchors.
pub const MAX_ALIAS_REPLAYED_EVENTS: usize = 100_000;

/// YAML nodes (scalars, sequences, mappings) allowed per byte of zone file. serde-saphyr's default
/// budget is a fixed 250,000 nodes (about 40,000 octoDNS records at six nodes each); ours grows with
/// the file instead: outside aliases every node is at least one byte of text (a character of a
/// scalar, a bracket, a `-`), so one node per byte never refuses a real zone, and the zone
/// memory bound (`zone::memory_limit`) caps the file. Nodes replayed through aliases are bounded by
/// MAX_ALIAS_REPLAYED_EVENTS instead.
pub const YAML_NODES_PER_FILE_BYTE: usize = 1;

/// Scalar bytes allowed per byte of zone file (serde-saphyr's fixed default is 64 MiB, which
/// stopped a 10,000,000-record zone two million records in). Each scalar outside aliases is text
/// of the file; twice leaves room for the text that aliases replay.
pub const YAML_SCALAR_BYTES_PER_FILE_BYTE: usize = 2;

/// The node budget of a small file: serde-saphyr's default, so a tiny file is parsed as before.
pub const MIN_YAML_NODES: usize = 250_000;

/// Parser events per node: a scalar is one event, a sequence or mapping two (start, end). The
/// event budget is this times the node budget (alias references also count one event each).
pub const YAML_EVENTS_PER_NODE: usize = 2;

/// Collections open at once inside one top-level entry when a zone file is read from parser
/// events (`zone::yaml_events`). An octoDNS entry nests four deep at most (list of objects, a
/// value object, SVCB's `svcparams`, a list in it); deeper files are read by serde-saphyr, whose
/// own depth budget (64) then reports them.
pub const MAX_YAML_EVENT_DEPTH: usize = 32;

/// Zone files read by `--lab DIR`. A lab is a hand-written miniature Internet (ours has 16);
/// the bound stops a mistaken `--lab /` from reading a whole tree of YAML.
pub const MAX_LAB_ZONES: usize = 1024;

/// Addresses bound by `--lab`. Each costs a UDP and a TCP socket; 256 keeps the lab under the
/// usual soft limit of 1024 open files with room for TCP clients.
pub const MAX_LAB_ADDRESSES: usize = 256;

// ---- zone signing (src/dnssec/) ----

/// Largest key file read (`.key` or `.private`). A 4096-bit RSA `.private` is about 3.3 KB; 64 KiB
/// refuses a file that is plainly not a key before it is read whole.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Key pairs one zone may sign with. A KSK+ZSK rollover needs four at once (old and new of each,
/// RFC 6781 §4.1); validators bound the DNSKEYs they try (KeyTrap, CVE-2023-50387: Unbound tries
/// 8 per RRset), so more keys than that only slow every validation of the zone.
pub const MAX_KEYS_PER_ZONE: usize = 8;

/// How long a new signature is valid (RRSIG expiration − signing time). Knot's `rrsig-lifetime`
/// is 14 days, BIND's `signatures-validity` 14 days since 9.16 (30 before).
pub const SIGNATURE_VALIDITY_SECONDS: u32 = 14 * 24 * 3600;

/// A signature with less than this left is made anew at the next load or refresh. Knot's
/// `rrsig-refresh` defaults to 7 days for a 14-day lifetime; BIND's `signatures-refresh` to 5.
pub const SIGNATURE_REFRESH_SECONDS: u32 = 7 * 24 * 3600;

/// Signature inception is set this far before the signing time, so validators whose clock is
/// behind ours still accept it (BIND backdates an hour; Knot 90 minutes).
pub const SIGNATURE_INCEPTION_BACKDATE_SECONDS: u32 = 3600;

/// How often the server checks whether signatures need refreshing. An hour is far below the
/// 7-day refresh margin, and a check that finds nothing to do costs one comparison per zone.
pub const SIGNATURE_REFRESH_CHECK: Duration = Duration::from_secs(3600);

// ---- zone transfers, NOTIFY and TSIG (src/xfr/, src/config.rs) ----

/// Soft size of one transfer message: a message is closed once its records pass this. Fewer,
/// larger messages mean fewer TSIG MACs and fewer writes; BIND and Knot fill messages up to
/// about 64 KiB, NSD up to 16 KiB. 16 KiB leaves room under the 65,535-octet TCP ceiling for
/// one more record of any size plus the TSIG record.
pub const TRANSFER_MESSAGE_TARGET_BYTES: usize = 16 * 1024;

/// Room kept free in every transfer message for its TSIG record: key name (at most 255), algorithm
/// name (at most 255), a 64-octet MAC (hmac-sha512) and the fixed fields.
pub const TSIG_RECORD_RESERVE_BYTES: usize = 640;

/// Messages one outgoing transfer may take. A 1,000,000-record zone at ~40 octets a record fits
/// in about 2,500 messages of 16 KiB; a zone that needs more is sent whole (AXFR).
pub const MAX_MESSAGES_PER_TRANSFER: usize = 65_536;

/// Outgoing transfers served at once; the next request is answered SERVFAIL (try again later).
/// BIND's `transfers-out` defaults to 10; Knot bounds them by its `tcp-workers`.
pub const MAX_CONCURRENT_TRANSFERS_OUT: usize = 10;

/// Differences kept per zone in the IXFR journal. Knot's `journal-max-depth` is 20; NSD's
/// `ixfr-number` is 5. Older versions are answered with the whole zone (RFC 1995 §4).
pub const JOURNAL_MAX_DIFFERENCES: usize = 20;

/// Records (removed plus added, over all kept differences) the journal keeps per zone; the oldest
/// differences go first. NSD's `ixfr-size` is 1 MiB of IXFR data (about 25,000 records of ~40
/// octets); Knot's `journal-max-usage` is 20 MiB per zone. 100,000 records is a few MiB.
pub const JOURNAL_MAX_RECORDS: usize = 100_000;

/// Largest journal or serial state file read back at start; anything larger is discarded as not ours.
pub const MAX_STATE_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// NOTIFY messages sent to one secondary for one serial before giving up. NSD's `notify-retry`
/// is 5, Knot's `notify-retries` 5, BIND 5 (RFC 1996 §3.6 leaves it to the implementation).
pub const NOTIFY_ATTEMPTS: u32 = 5;

/// Wait for a NOTIFY answer before the first retry; each retry doubles it. Knot's
/// `notify-timeout` is 60 s between retries; NSD waits 15 s (XFRD_NOTIFY_RETRY_TIMOUT). 1 s, doubling,
/// reaches 31 s over five attempts: fast when a packet is lost, patient with a busy secondary.
pub const NOTIFY_FIRST_TIMEOUT: Duration = Duration::from_secs(1);

/// Outstanding NOTIFY rounds (one per zone change and secondary); further changes wait, so a burst
/// of reloads cannot open unbounded sockets. Knot runs them on its background workers.
pub const MAX_CONCURRENT_NOTIFIES: usize = 64;

/// TSIG fudge we sign with and accept at most (RFC 8945 §10: 300 s recommended; BIND, NSD and Knot use 300).
pub const TSIG_FUDGE_SECONDS: u16 = 300;

/// TSIG keys one configuration may hold. A key per secondary is the usual setup; NSD and Knot have no
/// cap, but a config with more keys than this is a mistake.
pub const MAX_TSIG_KEYS: usize = 1024;

/// Largest `--config` file read. A config for hundreds of zones is tens of KiB.
pub const MAX_CONFIG_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Entries in one list of the config (zones, keys, addresses). Bounds the work of checking a file.
pub const MAX_CONFIG_LIST_ENTRIES: usize = 65_536;

// ---- the authority as a secondary (src/xfr/secondary/) ----

/// Shortest and longest wait between two refreshes of a secondary zone, whatever its SOA says
/// (RFC 1035 §3.3.13 REFRESH). Knot's `refresh-min-interval` is 2 s and `refresh-max-interval`
/// 1 day; NSD's `max-refresh-time` is 4 weeks. A tiny refresh would turn a zone into a poller.
pub const SECONDARY_REFRESH_MIN: Duration = Duration::from_secs(2);
pub const SECONDARY_REFRESH_MAX: Duration = Duration::from_secs(24 * 3600);

/// The same bounds for RETRY (after a failed refresh): Knot's `retry-min-interval` 2 s and
/// `retry-max-interval` 1 day.
pub const SECONDARY_RETRY_MIN: Duration = Duration::from_secs(2);
pub const SECONDARY_RETRY_MAX: Duration = Duration::from_secs(24 * 3600);

/// Bounds on EXPIRE, the time a copy is served without a successful refresh. Knot's
/// `expire-min-interval` is 3 s and `expire-max-interval` 14 days.
pub const SECONDARY_EXPIRE_MIN: Duration = Duration::from_secs(3);
pub const SECONDARY_EXPIRE_MAX: Duration = Duration::from_secs(14 * 24 * 3600);

/// Time to open a TCP connection to a primary. Knot's `tcp-remote-io-timeout` is 5 s.
pub const SECONDARY_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Longest silence inside a transfer (between two messages, or for the SOA answer) before it is
/// abandoned. BIND's `max-transfer-idle-in` is 60 min, NSD's transfer timeout 120 s: 60 s keeps a
/// stuck primary from holding the zone's one transfer slot for long.
pub const SECONDARY_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Longest whole transfer (BIND's `max-transfer-time-in` is 120 min). A million records arrive in
/// well under a minute on loopback; 30 min leaves room for a slow link.
pub const SECONDARY_TRANSFER_TIME_MAX: Duration = Duration::from_secs(30 * 60);

/// Records one incoming transfer may carry: an IXFR may delete and re-add every record of a
/// 10,000,000-record zone (the largest bench/ loads), plus its SOAs (BIND's `max-records` is
/// unlimited by default). SECONDARY_MAX_TRANSFER_BYTES bounds the memory of a transfer.
pub const SECONDARY_MAX_TRANSFER_RECORDS: usize = 2 * 10_000_000 + 1024;

/// Octets one incoming transfer may carry (message bodies, before decoding). A million-record zone
/// is 40–100 MB on the wire; Knot's `zone-max-size` defaults to unlimited.
pub const SECONDARY_MAX_TRANSFER_BYTES: usize = 512 * 1024 * 1024;

/// Unsigned messages allowed between two signed ones of a TSIG-signed transfer (RFC 8945 §5.3.1:
/// "at most 99"). Servers may sign only every Nth message of a long transfer; ours signs each.
pub const TSIG_MAX_UNSIGNED_MESSAGES: usize = 99;

/// Incoming transfers running at once over all secondary zones (one per zone at most); BIND's
/// `transfers-in` defaults to 10, NSD's `xfrd-tcp-max` to 128.
pub const MAX_CONCURRENT_TRANSFERS_IN: usize = 10;

/// Primaries one secondary zone may list (tried in order). NSD and Knot set no limit; more than
/// this is a mistake, and each costs a connection attempt per refresh.
pub const MAX_PRIMARIES_PER_ZONE: usize = 16;

/// Longest wait between attempts before a secondary zone has any copy: the first retry comes
/// after SECONDARY_RETRY_MIN and doubles up to this (Knot's bootstrap retries grow likewise).
pub const SECONDARY_BOOTSTRAP_RETRY_MAX: Duration = Duration::from_secs(300);
