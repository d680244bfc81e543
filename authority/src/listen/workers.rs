//! UDP workers: one thread each, with its own current-thread runtime, reading its own SO_REUSEPORT
//! socket of every address, as NSD's `server-count` processes and Knot's `udp-workers` threads do.
//!
//! A worker shares nothing with the others but the handler (an `Arc`: the catalog, the answer memo,
//! the rate limiter). No work stealing, no wake-ups across threads: the kernel picks the socket,
//! hence the worker, for each datagram (by a hash of its addresses and ports), and that worker
//! alone answers it. Requests still pending after their first poll stay on the worker's runtime.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{mpsc, Arc};
use std::thread;

use tokio::sync::oneshot;
use tokio::task::JoinSet;

use super::udp::receive_loop;
use super::udp_socket::ListenSocket;
use super::Handler;

/// A running worker thread. Dropping it (its `stop`) ends the thread's loops; `stopped` says when
/// its sockets and every request it held are gone.
pub(crate) struct Worker {
    /// Whatever tells the thread to stop when dropped: a channel's sender here, a socket pair's
    /// end for a thread without an event loop (`udp_thread.rs`).
    stop: Box<dyn Send>,
    stopped: oneshot::Receiver<()>,
}

impl Worker {
    pub(crate) fn new(stop: Box<dyn Send>, stopped: oneshot::Receiver<()>) -> Worker {
        Worker { stop, stopped }
    }

    /// Stops the worker and waits until its sockets are closed.
    pub(crate) async fn shutdown(self) {
        drop(self.stop);
        // An error means the thread ended without a word (a panic): it is stopped all the same.
        let _ = self.stopped.await;
    }
}

/// The address a worker's start-up error is reported against: its first socket's.
pub(crate) fn first_address(sockets: &[(UdpSocket, SocketAddr)]) -> SocketAddr {
    sockets
        .first()
        .map(|(_, address)| *address)
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
}

/// Starts worker `index` reading `sockets` (one per address, with the address it is bound to).
/// Returns once every socket is registered with the worker's event loop, or the first error
/// (with the address it concerns).
pub(crate) fn start_worker<H: Handler>(
    index: usize,
    handler: Arc<H>,
    sockets: Vec<(UdpSocket, SocketAddr)>,
    max_in_flight: usize,
) -> Result<Worker, (SocketAddr, io::Error)> {
    let first_address = first_address(&sockets);
    let (stop, stop_asked) = oneshot::channel::<()>();
    let (stopped_sender, stopped) = oneshot::channel::<()>();
    let (ready_sender, ready) = mpsc::sync_channel::<Result<(), (SocketAddr, io::Error)>>(1);
    let body = move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                let _ = ready_sender.send(Err((first_address, error)));
                return;
            }
        };
        runtime.block_on(async move {
            let mut loops = JoinSet::new();
            for (socket, local) in sockets {
                match ListenSocket::new(socket) {
                    Ok(socket) => {
                        loops.spawn(receive_loop(handler.clone(), socket, local, max_in_flight));
                    }
                    Err(error) => {
                        let _ = ready_sender.send(Err((local, error)));
                        return;
                    }
                }
            }
            let _ = ready_sender.send(Ok(()));
            // Either a stop or the server's handle dropped: both end the worker.
            let _ = stop_asked.await;
            loops.shutdown().await;
        });
        // Requests still running as tasks go with the runtime, before `stopped` is said.
        drop(runtime);
        let _ = stopped_sender.send(());
    };
    thread::Builder::new()
        .name(format!("udp-worker-{index}"))
        .spawn(body)
        .map_err(|error| (first_address, error))?;
    match ready.recv() {
        Ok(Ok(())) => Ok(Worker::new(Box::new(stop), stopped)),
        Ok(Err(failure)) => Err(failure),
        // The thread ended before a word: it panicked while starting.
        Err(_) => Err((
            first_address,
            io::Error::other("UDP worker thread failed to start"),
        )),
    }
}
