//! Bounds of the harness's own tools, each with the reason for its value.
//! The harness measures servers; these only keep a broken server from hanging a run.

use std::time::Duration;

/// A query the walk client sends waits at most this long: Unbound's and our resolver's own
/// upstream budget is a few seconds per resolution, so a lost answer shows as a failure, not a hang.
pub const WALK_QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Readiness polling interval: short against a zone load time (seconds for a 1,000,000-record
/// zone), so the load time measured is off by at most this much.
pub const READY_POLL_INTERVAL: Duration = Duration::from_millis(10);

/// Each readiness probe waits this long for an answer before sending the next.
pub const READY_PROBE_TIMEOUT: Duration = Duration::from_millis(200);

/// Largest DNS message the clients read: the UDP maximum (RFC 1035 §2.3.4 over EDNS, RFC 6891).
pub const MAX_MESSAGE_SIZE: usize = 65_535;

/// The walk client reads at most this many names: the cold-walk workload uses 1,000; the bound
/// keeps a wrong file from turning into an hour-long run.
pub const MAX_WALK_NAMES: usize = 1_000_000;
