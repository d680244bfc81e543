//! The UDP and TCP listener shared by both servers: sockets in, bytes to a `Handler`, bytes out.
//! It knows nothing of zones or caches (STYLE rule 9); framing, connection caps and timeouts live here.

use std::future::Future;
use std::net::SocketAddr;

/// Which transport a request arrived on; the handler needs it to pick the response size limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Udp,
    Tcp,
}

/// What the listener knows about one request.
#[derive(Clone, Copy, Debug)]
pub struct RequestContext {
    pub client: SocketAddr,
    pub local: SocketAddr,
    pub protocol: Protocol,
}

/// Answers one DNS message. `None` means drop it (no header could be read, or policy says so).
pub trait Handler: Send + Sync + 'static {
    fn handle(
        &self,
        request: &[u8],
        context: RequestContext,
    ) -> impl Future<Output = Option<Vec<u8>>> + Send;

    /// Called once a response that was not ready at the first poll has been sent (UDP) or
    /// handed to its connection's writer (TCP): work put off until the client has its answer
    /// (a resolver caches its walk's final reply here). The default has none.
    fn after_send(&self) {}
}

#[cfg(target_os = "linux")]
mod batch;
mod bind;
mod error;
mod options;
mod server;
mod tcp;
mod udp;
mod udp_socket;
mod workers;

pub use error::ListenError;
pub use options::ListenOptions;
pub use server::{serve, Server};
