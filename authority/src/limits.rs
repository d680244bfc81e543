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

// ---- end listener ----
