//! Bounds on the replay runner's own work: file sizes, step counts, upstream queries, wall-clock watchdogs.
//! Every value here guards the runner against a runaway scenario or resolver; none changes a verdict otherwise.

use std::time::Duration;

/// Largest scenario file read. The biggest file in `iter/` (iter_badraw.rpl) is ~420 KiB; Unbound's
/// largest testbound file is under 2 MiB, so 16 MiB is ample and still bounds memory.
pub const MAX_SCENARIO_BYTES: u64 = 16 * 1024 * 1024;

/// Upstream queries one scenario may send before it is failed as runaway. Unbound caps one client
/// query at 200 total sends (`MAX_SENT_COUNT` ~ 32 per target, `max-query-restarts`); badraw has
/// ~3,100 client queries, so the cap is per scenario and generous: 200 × 4,096.
pub const MAX_UPSTREAM_QUERIES_PER_SCENARIO: usize = 200 * 4096;

/// Rounds of polling the work in flight (client queries, refreshes) may take to settle after a
/// step. A round that completes or wakes nothing ends it; work that settles needs a few rounds per
/// upstream exchange, so 100,000 only catches a future that keeps waking itself (testbound: 5,000
/// event rounds per scenario).
pub const MAX_SETTLE_ROUNDS: usize = 100_000;

/// Real time a whole scenario may take before it is reported as hung (covers resolver loops that never
/// yield, which `MAX_SETTLE_ROUNDS` cannot interrupt). badraw's 3,100 steps take well under a second.
pub const SCENARIO_WALL_LIMIT: Duration = Duration::from_secs(60);

/// Longest single `TIME_PASSES ELAPSE`, in seconds: ten years, far beyond any TTL (RFC 2181 §8 caps
/// TTLs at 2^31-1 s but resolvers clamp to days), and small enough to stay a finite `Duration`.
pub const MAX_ELAPSE_SECONDS: f64 = 10.0 * 365.0 * 86_400.0;

/// Records listed in one mismatch report; more would bury the line the reader needs.
pub const MAX_RECORDS_IN_MISMATCH: usize = 4;

/// Upstream exchanges logged per scenario for diagnostics; a first failure shows within the first
/// few dozen, and badraw's thousands of client queries must not grow the log without bound.
pub const MAX_LOGGED_EXCHANGES: usize = 256;

/// Nesting of `${...}` macros evaluated (replay.h: brackets are written as nested macros). Unbound's
/// own tests nest two deep; 16 stops a hostile file's recursion long before the stack matters.
pub const MAX_MACRO_DEPTH: usize = 16;

/// Longest text a macro expansion may produce: far above any CHECK_TEMPFILE line, and a bound on
/// the memory a self-referencing `ASSIGN` chain can grow.
pub const MAX_EXPANDED_BYTES: usize = 64 * 1024;

/// Variables one scenario may `ASSIGN`; Unbound's tests use a handful.
pub const MAX_VARIABLES: usize = 1024;

/// Upstream queries kept for CHECK_OUT_QUERY between two client queries. A resolution sends at most
/// 200 (the resolver's `MAX_UPSTREAM_QUERIES`), so 4,096 keeps them all without growing unbounded.
pub const MAX_CHECKABLE_QUERIES: usize = 4096;

/// Unbound's `msg-cache-size` is in bytes, the resolver's cache bound in entries: one entry per
/// this many bytes, at least one (a small forwarded answer in Unbound's message cache, with its
/// reply info and RRset references, is a few hundred bytes).
pub const MESSAGE_CACHE_BYTES_PER_ENTRY: u64 = 512;
