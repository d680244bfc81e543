//! The listener's tunable bounds; defaults come from `crate::limits`.
//! Tests shrink the timeouts and caps here instead of waiting for the real values.

use std::time::Duration;

use crate::limits;

#[derive(Clone, Debug)]
pub struct ListenOptions {
    /// UDP sockets per address, bound together with SO_REUSEPORT, each read by its own thread
    /// (`workers.rs`, `udp_thread.rs`); the kernel spreads clients over them by address and port.
    /// 1 (the default) is one plain socket, read on the caller's runtime with `UdpLoop::Runtime`.
    pub udp_workers: usize,
    /// What reads the UDP sockets: event loops (the default) or plain threads.
    pub udp_loop: UdpLoop,
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
            udp_loop: UdpLoop::Runtime,
            udp_max_in_flight: limits::UDP_MAX_IN_FLIGHT,
            tcp_max_connections: limits::TCP_MAX_CONNECTIONS,
            tcp_idle_timeout: limits::TCP_IDLE_TIMEOUT,
            tcp_read_timeout: limits::TCP_READ_TIMEOUT,
            tcp_max_in_flight_per_connection: limits::TCP_MAX_IN_FLIGHT_PER_CONNECTION,
        }
    }
}

/// What reads a listener's UDP sockets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UdpLoop {
    /// A tokio event loop: the caller's runtime with one worker, a runtime per worker thread with
    /// more. Requests unfinished at their first poll stay on that runtime.
    Runtime,
    /// Linux: a plain thread per worker that reads its sockets until they are empty and only then
    /// sleeps in poll(2), so no event loop is registered on a socket while it is busy: every
    /// datagram sent to or from a registered socket walks its wait queue (about a tenth of a
    /// saturated core, bench/results/LOG.md 36). Requests unfinished at their first poll go to the
    /// caller's runtime. For handlers that answer at once (an authoritative server); elsewhere
    /// it is `Runtime`.
    Threads,
}
