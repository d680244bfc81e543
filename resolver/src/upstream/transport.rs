//! The resolver's only door to the network: send one query to one server, get bytes back or an error.
//! Production uses tokio sockets; scenario replays and unit tests use a scripted implementation.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

pub use authority::listen::Protocol;

/// Why an exchange with an upstream server produced no usable bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// No reply within the timeout.
    Timeout,
    /// The socket failed (connection refused, unreachable, reset...).
    Io(std::io::ErrorKind),
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportError::Timeout => write!(f, "timed out"),
            TransportError::Io(kind) => write!(f, "i/o error: {kind}"),
        }
    }
}

impl std::error::Error for TransportError {}

pub type ExchangeFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<u8>, TransportError>> + Send + 'a>>;

/// Sends one wire-format query to `server` and returns the first reply's bytes.
/// Implementations must not judge the reply: matching ID, question and source is the resolver's
/// job. A UDP implementation may skip datagrams whose ID differs from the query's and wait on.
pub trait Transport: Send + Sync {
    fn exchange<'a>(
        &'a self,
        server: SocketAddr,
        protocol: Protocol,
        query: &'a [u8],
        timeout: Duration,
    ) -> ExchangeFuture<'a>;

    /// Upkeep put off until a client has its answer (the server calls it then, through
    /// `Resolve::after_answer`): closing finished exchanges' sockets, making the next query's.
    /// Never called outside the server: an implementation must stay bounded without it. The
    /// default has none.
    fn after_answer(&self) {}
}
