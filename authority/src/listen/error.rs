//! Why the listener could not start: each variant names the address that failed.
//! Errors while serving (a bad packet, a dead connection) are never returned, only logged.

use std::fmt;
use std::io;
use std::net::SocketAddr;

use super::Protocol;

#[derive(Debug)]
pub enum ListenError {
    /// `serve` was called outside a tokio runtime.
    NoRuntime,
    /// Creating, configuring or binding a socket failed.
    Bind {
        address: SocketAddr,
        protocol: Protocol,
        kind: io::ErrorKind,
        message: String,
    },
}

impl ListenError {
    pub(crate) fn bind(address: SocketAddr, protocol: Protocol, error: &io::Error) -> Self {
        ListenError::Bind {
            address,
            protocol,
            kind: error.kind(),
            message: error.to_string(),
        }
    }
}

impl fmt::Display for ListenError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenError::NoRuntime => {
                write!(formatter, "the listener needs a running tokio runtime")
            }
            ListenError::Bind {
                address,
                protocol,
                kind,
                message,
            } => {
                let name = match protocol {
                    Protocol::Udp => "UDP",
                    Protocol::Tcp => "TCP",
                };
                write!(formatter, "cannot listen on {address} ({name}): ")?;
                match kind {
                    io::ErrorKind::PermissionDenied if address.port() < PRIVILEGED_PORTS_END => {
                        write!(
                            formatter,
                            "permission denied: ports below {PRIVILEGED_PORTS_END} need root or the \
                             CAP_NET_BIND_SERVICE capability (`sudo setcap \
                             'cap_net_bind_service=+ep' {}`), or listen on another port",
                            this_program()
                        )
                    }
                    io::ErrorKind::AddrInUse => write!(
                        formatter,
                        "the address is already in use (`ss -lntup 'sport = :{}'` names the \
                         process); stop it or choose another address or port (--listen ADDR:PORT, or --port \
                         with --lab)",
                        address.port()
                    ),
                    _ => write!(formatter, "{message}"),
                }
            }
        }
    }
}

impl std::error::Error for ListenError {}

/// Linux lets only root or CAP_NET_BIND_SERVICE bind ports below this one
/// (`net.ipv4.ip_unprivileged_port_start`, 1024 by default).
const PRIVILEGED_PORTS_END: u16 = 1024;

/// The running binary's path, for the `setcap` command to paste.
fn this_program() -> String {
    std::env::current_exe()
        .map(|path| path.display().to_string())
        .unwrap_or_else(|_| "BINARY".to_string())
}
