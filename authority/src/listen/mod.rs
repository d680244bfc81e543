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

    /// The answer, when the handler has it at once (`Some`, holding what `handle` would give);
    /// `None` leaves the request to `handle`. The UDP loops ask this first: an answer given here
    /// needs no future on the heap. The default never answers at once.
    fn answer_now(&self, _request: &[u8], _context: RequestContext) -> Option<Option<Vec<u8>>> {
        None
    }

    /// Called once a response that was not ready at the first poll has been sent (UDP) or
    /// handed to its connection's writer (TCP): work put off until the client has its answer
    /// (a resolver caches its walk's final reply here). The default has none.
    fn after_send(&self) {}

    /// Answers one TCP request with as many messages as it takes (a zone transfer, RFC 5936 §2.2),
    /// each sent through `responses` in order, with the `TcpConnection` it came on (what that
    /// connection remembers between its requests). The default sends `handle`'s one answer.
    fn handle_tcp(
        &self,
        request: &[u8],
        context: RequestContext,
        _connection: &TcpConnection,
        responses: &tokio::sync::mpsc::Sender<Vec<u8>>,
    ) -> impl Future<Output = ()> + Send {
        async move {
            if let Some(response) = self.handle(request, context).await {
                // An error only means the writer is gone; the connection is closing anyway.
                let _ = responses.send(response).await;
            }
        }
    }
}

#[cfg(target_os = "linux")]
mod batch;
mod bind;
mod connection;
mod error;
mod options;
mod server;
mod tcp;
mod udp;
mod udp_socket;
#[cfg(target_os = "linux")]
mod udp_thread;
mod workers;

pub use connection::TcpConnection;
pub use error::ListenError;
pub use options::{ListenOptions, UdpLoop};
pub use server::{serve, Server};
