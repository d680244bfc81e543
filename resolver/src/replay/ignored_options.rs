//! The one list of header keys the runner ignores: each only tunes Unbound internals, or acts only
//! through a feature whose own key already makes the scenario `unsupported`. One reason per key.

/// Keys ignored whatever their value.
pub const IGNORED_OPTIONS: &[(&str, &str)] = &[
    // Unbound's target-fetch prefetching of NS addresses: changes which upstream queries go out
    // early, not the answers; the scripted network answers whatever the resolver asks.
    (
        "target-fetch-policy",
        "NS-address prefetching schedule, not answers",
    ),
    ("verbosity", "log level"),
    // The resolver never asks one server the same question again after a throwaway reply or a
    // network error in one walk (beyond the TCP and no-EDNS retries): Unbound's count of such
    // re-asks (default 5) bounds persistence, and every scenario already runs with the default
    // against our none; the scripted ERROR/TIMEOUT steps left over are no-ops.
    (
        "outbound-msg-retry",
        "re-asks of one server after a throwaway reply; the resolver moves on to the next",
    ),
    ("log-servfail", "logging"),
    ("log-queries", "logging"),
    ("log-replies", "logging"),
    ("log-local-actions", "logging"),
    ("val-log-level", "logging"),
    ("use-syslog", "logging"),
    (
        "directory",
        "working directory for file names; the runner reads no file by name",
    ),
    (
        "msg-cache-slabs",
        "lock partitioning of the message cache, not its content",
    ),
    (
        "rrset-cache-slabs",
        "lock partitioning of the RRset cache, not its content",
    ),
    (
        "infra-cache-slabs",
        "lock partitioning of the infrastructure cache",
    ),
    ("key-cache-slabs", "lock partitioning of the key cache"),
    ("num-threads", "threads; a replay is one client at a time"),
];

/// Why `key` is ignored, if it is.
pub fn ignored_reason(key: &str) -> Option<&'static str> {
    IGNORED_OPTIONS
        .iter()
        .find(|(ignored, _)| *ignored == key)
        .map(|(_, reason)| *reason)
}
