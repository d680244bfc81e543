//! `serve`: binds UDP and TCP on every address, starts their loops, logs one ready line, and returns
//! a `Server` handle that knows the bound addresses and stops everything on `shutdown` or drop.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::bind::bind_address;
use super::{tcp, udp, Handler, ListenError, ListenOptions};

/// A running listener. Dropping it stops the loops and closes every socket and connection.
pub struct Server {
    addresses: Vec<SocketAddr>,
    loops: JoinSet<()>,
}

impl Server {
    /// The addresses actually bound, in the order given to `serve`, with real ports for port 0.
    /// UDP and TCP share each address and port.
    pub fn local_addresses(&self) -> &[SocketAddr] {
        &self.addresses
    }

    /// Stops accepting and answering, closes all sockets, and waits until they are closed.
    pub async fn shutdown(mut self) {
        self.loops.shutdown().await;
    }
}

/// Binds UDP and TCP on each address and serves them with `handler` until the `Server` is dropped.
/// Either every address is bound or none is: on error the sockets bound so far are closed.
/// Must be called inside a tokio runtime. Bind specific addresses rather than a wildcard: UDP replies
/// leave from the socket's address, and a wildcard socket does not pick the address the query was
/// sent to (that needs IP_PKTINFO, not done yet).
///
/// ```no_run
/// use std::sync::Arc;
/// use authority::listen::{serve, Handler, ListenOptions, RequestContext};
///
/// struct Refuse;
/// impl Handler for Refuse {
///     async fn handle(&self, request: &[u8], _context: RequestContext) -> Option<Vec<u8>> {
///         let mut reply = request.get(..12)?.to_vec();
///         reply[2] |= 0x80; // QR
///         reply[3] = (reply[3] & 0xF0) | 5; // REFUSED
///         reply[4..12].fill(0);
///         Some(reply)
///     }
/// }
///
/// # async fn run() -> Result<(), authority::listen::ListenError> {
/// let addresses = ["127.0.0.1:5300".parse().unwrap(), "[::1]:5300".parse().unwrap()];
/// let server = serve(Arc::new(Refuse), &addresses, ListenOptions::default())?;
/// println!("serving on {:?}", server.local_addresses());
/// tokio::signal::ctrl_c().await.ok();
/// server.shutdown().await;
/// # Ok(()) }
/// ```
pub fn serve<H: Handler>(
    handler: Arc<H>,
    addresses: &[SocketAddr],
    options: ListenOptions,
) -> Result<Server, ListenError> {
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(ListenError::NoRuntime);
    }
    let bound = addresses
        .iter()
        .map(|address| bind_address(*address))
        .collect::<Result<Vec<_>, _>>()?;
    let mut loops = JoinSet::new();
    let mut local_addresses = Vec::with_capacity(bound.len());
    for sockets in bound {
        let local = sockets.address;
        local_addresses.push(local);
        loops.spawn(udp::receive_loop(
            handler.clone(),
            sockets.udp,
            local,
            options.udp_max_in_flight,
        ));
        loops.spawn(tcp::accept_loop(
            handler.clone(),
            sockets.tcp,
            local,
            options.clone(),
        ));
    }
    let listing = local_addresses
        .iter()
        .map(SocketAddr::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    tracing::info!("ready: listening on {listing} (udp, tcp)");
    Ok(Server {
        addresses: local_addresses,
        loops,
    })
}
