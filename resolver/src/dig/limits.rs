//! rdig's bounds: every loop, retry count and input size it accepts from the user, a file or the network.
//! Each is a named constant with the reason for its value; nothing here is tuned per query.

/// Command-line words accepted in one invocation; far above any real use, keeps parsing linear and small.
pub const MAX_ARGUMENTS: usize = 4_096;

/// Lookups in one invocation (command line plus batch file); dig has no bound, we cap memory and run time.
pub const MAX_LOOKUPS: usize = 100_000;

/// Bytes read from a batch file (`-f`); 16 MiB holds ~100k query lines.
pub const MAX_BATCH_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Bytes read from a root hints file (`+roots=`); IANA's named.root is ~3.3 kB.
pub const MAX_ROOT_HINTS_FILE_BYTES: u64 = 1024 * 1024;

/// UDP tries per server: dig accepts any count; 100 keeps a typo from retrying forever.
pub const MAX_TRIES: u32 = 100;

/// Per-try timeout ceiling, seconds (dig's default is 5; 300 covers a slow satellite link).
pub const MAX_TIMEOUT_SECONDS: u64 = 300;

/// dig's defaults: +timeout=5 and +tries=3 (BIND `dighost.c`).
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 5;
pub const DEFAULT_TRIES: u32 = 3;

/// EDNS UDP payload size advertised by default: 1232, the DNS Flag Day 2020 value dig 9.18 uses.
pub const DEFAULT_BUFSIZE: u16 = 1232;

/// Largest DNS message over UDP or TCP (the TCP length prefix is 16 bits, RFC 1035 §4.2.2).
pub const MAX_MESSAGE_BYTES: usize = 65_535;

/// Datagrams read per UDP try while waiting for the reply; stray packets beyond this end the try.
pub const MAX_DATAGRAMS_PER_TRY: usize = 64;

/// Server addresses tried per lookup (a hostname may resolve to many); dig tries all, we cap the list.
pub const MAX_SERVER_ADDRESSES: usize = 16;

/// Upstream exchanges one +trace printout keeps: four times Unbound's `max-sent-count` of 32 per
/// client query; the resolver enforces its own (smaller) send budget, this only bounds the record.
pub const MAX_TRACE_STEPS: usize = 128;

/// BADCOOKIE replies resent with the server's cookie per lookup: dig resends once (BIND
/// `dighost.c`, `l->badcookie`); a second BADCOOKIE is shown.
pub const MAX_BAD_COOKIE_RETRIES: u32 = 1;

/// Bytes read from `~/.digrc`: dig reads one line of options; 64 KiB is far more than any.
pub const MAX_DIGRC_BYTES: u64 = 64 * 1024;

/// Bytes read from a `-k` key file: a `tsig-keygen` clause is ~100 bytes; 64 KiB is ample.
pub const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

/// Messages one zone transfer may take before rdig gives up (a zone of millions of records at
/// ~16 KiB per message stays under it); the transfer also ends at the timeout.
pub const MAX_TRANSFER_MESSAGES: usize = 1_000_000;

/// Name servers `+nssearch` asks for the zone's SOA: far above any real NS set (the root has 13).
pub const MAX_NSSEARCH_SERVERS: usize = 64;
