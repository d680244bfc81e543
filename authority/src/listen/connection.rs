//! What one TCP connection remembers between its requests, for the handler to read and set.
//! One per accepted connection, gone with it; UDP has none, so the datagram path never touches it.

use std::sync::atomic::{AtomicBool, Ordering};

/// Per-connection state shared by the requests of one TCP connection (answered concurrently,
/// RFC 7766 §6.2.1.1). Today one flag: the client signalled RFC 7828 keepalive on it.
#[derive(Debug, Default)]
pub struct TcpConnection {
    /// Set once a query on this connection carried the edns-tcp-keepalive option; never cleared
    /// (Unbound's `comm_point.tcp_keepalive`, reset only with a new connection).
    keepalive: AtomicBool,
}

impl TcpConnection {
    pub fn new() -> TcpConnection {
        TcpConnection::default()
    }

    /// The client asked for keepalive on this connection: its later answers carry the option too.
    pub fn remember_keepalive(&self) {
        // A lone flag that orders no other memory: relaxed is enough.
        self.keepalive.store(true, Ordering::Relaxed);
    }

    /// Whether a query on this connection has asked for keepalive.
    pub fn keepalive_remembered(&self) -> bool {
        self.keepalive.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_connection_remembers_nothing_and_a_remembered_keepalive_stays() {
        let connection = TcpConnection::new();
        assert!(!connection.keepalive_remembered());
        connection.remember_keepalive();
        assert!(connection.keepalive_remembered());
        connection.remember_keepalive();
        assert!(connection.keepalive_remembered());
        assert!(!TcpConnection::new().keepalive_remembered());
    }
}
