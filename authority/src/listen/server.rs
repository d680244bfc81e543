//! `serve`: binds UDP and TCP on every address, starts their loops (UDP on the caller's runtime, or
//! on worker threads when several are asked), logs one ready line, and returns a `Server` handle
//! that knows the bound addresses and stops everything on `shutdown` or drop.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::bind::bind_address;
use super::udp_socket::ListenSocket;
use super::workers::{start_worker, Worker};
use super::{tcp, udp, Handler, ListenError, ListenOptions, Protocol, UdpLoop};

/// True when plain threads read the UDP sockets (`UdpLoop::Threads`, on Linux only).
fn threads_read_udp(options: &ListenOptions) -> bool {
    cfg!(target_os = "linux") && options.udp_loop == UdpLoop::Threads
}

/// A running listener. Dropping it stops the loops and closes every socket and connection.
pub struct Server {
    addresses: Vec<SocketAddr>,
    /// TCP accept loops, and the UDP loops when there is one worker.
    loops: JoinSet<()>,
    /// UDP worker threads: when there are several, or always with `UdpLoop::Threads`.
    workers: Vec<Worker>,
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
        for worker in self.workers.drain(..) {
            worker.shutdown().await;
        }
    }
}

/// Binds UDP and TCP on each address and serves them with `handler` until the `Server` is dropped.
/// Either every address is bound or none is: on error the sockets bound so far are closed.
/// Must be called inside a tokio runtime, which runs the TCP loops (one listener per address, shared
/// by all workers) and, with `options.udp_workers` at 1, the UDP loops too; with more, each worker
/// is a thread of its own (see `workers.rs`). Bind specific addresses rather than a wildcard: UDP replies
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
    let worker_count = options.udp_workers.max(1);
    let bound = addresses
        .iter()
        .map(|address| bind_address(*address, worker_count))
        .collect::<Result<Vec<_>, _>>()?;
    let mut loops = JoinSet::new();
    let mut local_addresses = Vec::with_capacity(bound.len());
    // Worker k reads socket k of every address.
    let mut worker_sockets: Vec<Vec<_>> = (0..worker_count).map(|_| Vec::new()).collect();
    for sockets in bound {
        let local = sockets.address;
        local_addresses.push(local);
        for (udp, share) in sockets.udp.into_iter().zip(worker_sockets.iter_mut()) {
            share.push((udp, local));
        }
        loops.spawn(tcp::accept_loop(
            handler.clone(),
            sockets.tcp,
            local,
            options.clone(),
        ));
    }
    let mut workers = Vec::new();
    if threads_read_udp(&options) {
        for (index, sockets) in worker_sockets.into_iter().enumerate() {
            #[cfg(target_os = "linux")]
            {
                let worker = super::udp_thread::start_thread_worker(
                    index,
                    handler.clone(),
                    sockets,
                    options.udp_max_in_flight,
                )
                .map_err(|(local, error)| ListenError::bind(local, Protocol::Udp, &error))?;
                workers.push(worker);
            }
            #[cfg(not(target_os = "linux"))]
            let _ = (index, sockets);
        }
    } else if worker_count == 1 {
        for (udp, local) in worker_sockets.into_iter().flatten() {
            let socket =
                ListenSocket::new(udp).map_err(|e| ListenError::bind(local, Protocol::Udp, &e))?;
            loops.spawn(udp::receive_loop(
                handler.clone(),
                socket,
                local,
                options.udp_max_in_flight,
            ));
        }
    } else {
        for (index, sockets) in worker_sockets.into_iter().enumerate() {
            // On error the workers started so far stop when `workers` is dropped.
            let worker =
                start_worker(index, handler.clone(), sockets, options.udp_max_in_flight)
                    .map_err(|(local, error)| ListenError::bind(local, Protocol::Udp, &error))?;
            workers.push(worker);
        }
    }
    let listing = local_addresses
        .iter()
        .map(SocketAddr::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    if worker_count == 1 {
        tracing::info!("ready: listening on {listing} (udp, tcp)");
    } else {
        tracing::info!("ready: listening on {listing} (udp, tcp; {worker_count} udp workers)");
    }
    Ok(Server {
        addresses: local_addresses,
        loops,
        workers,
    })
}
