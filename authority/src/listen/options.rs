//! The listener's tunable bounds; defaults come from `crate::limits`.
//! Tests shrink the timeouts and caps here instead of waiting for the real values.

use std::time::Duration;

use crate::limits;

#[derive(Clone, Debug)]
pub struct ListenOptions {
    /// UDP sockets per address, bound together with SO_REUSEPORT, each read by its own thread and
    /// event loop (`workers.rs`); the kernel spreads clients over them by address and port. 1 (the
    /// default) is one plain socket read on the caller's runtime.
    pub udp_workers: usize,
    /// UDP requests answered at once per socket; beyond it datagrams are dropped.
    pub udp_max_in_flight: usize,
    /// Open TCP connections per address; beyond it new connections are closed at once.
    pub tcp_max_connections: usize,
    /// Close a TCP connection when no new message starts within this time (RFC 7766 §6.2.3).
    pub tcp_idle_timeout: Duration,
    /// A started TCP message must be complete within this time; also bounds each write.
    pub tcp_read_timeout: Duration,
    /// Queries of one TCP connection answered at once (pipelining, RFC 7766 §6.2.1.1).
    pub tcp_max_in_flight_per_connection: usize,
}

impl Default for ListenOptions {
    fn default() -> Self {
        ListenOptions {
            udp_workers: 1,
            udp_max_in_flight: limits::UDP_MAX_IN_FLIGHT,
            tcp_max_connections: limits::TCP_MAX_CONNECTIONS,
            tcp_idle_timeout: limits::TCP_IDLE_TIMEOUT,
            tcp_read_timeout: limits::TCP_READ_TIMEOUT,
            tcp_max_in_flight_per_connection: limits::TCP_MAX_IN_FLIGHT_PER_CONNECTION,
        }
    }
}
