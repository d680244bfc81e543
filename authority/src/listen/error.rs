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
                message,
                ..
            } => {
                let name = match protocol {
                    Protocol::Udp => "UDP",
                    Protocol::Tcp => "TCP",
                };
                write!(formatter, "cannot listen on {address} ({name}): {message}")
            }
        }
    }
}

impl std::error::Error for ListenError {}
