//! A UDP worker as a plain thread (Linux, `UdpLoop::Threads`): it reads its sockets with `recvmmsg`
//! until every one is empty and only then sleeps in poll(2), so no event loop is registered on them.
//!
//! Why not the event loop: epoll keeps a waiter on a registered socket's wait queue for good, and
//! the kernel walks that queue (locks, `ep_poll_callback`) for every datagram the socket sends, as
//! each frees send-buffer space, and for every one it receives. On a saturated core that was about
//! a tenth of the time (bench/results/LOG.md 36). poll(2) puts its waiter there only while it sleeps,
//! i.e. only when the socket is empty. Requests unfinished at their first poll are spawned on the
//! runtime that started the worker, which drives them and sends their answers (`udp.rs`).

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::batch::{wait_ready, ReceiveBatch, SendBatch};
use super::udp::{answer_batch, Requests};
use super::workers::{first_address, Worker};
use super::Handler;

/// Tells a worker thread to stop when dropped: the flag, seen between batches by a busy thread,
/// then the closed end of a socket pair, which wakes a sleeping one (its end reads end-of-file).
struct Stop {
    asked: Arc<AtomicBool>,
    _wake: UnixStream,
}

impl Drop for Stop {
    fn drop(&mut self) {
        self.asked.store(true, Ordering::Release);
        // `_wake` closes after this.
    }
}

/// One socket of a worker thread, with what its batches need.
struct SocketLoop<H> {
    requests: Requests<H, UdpSocket>,
    received: ReceiveBatch,
    answers: SendBatch,
}

impl<H: Handler> SocketLoop<H> {
    /// Reads and answers one batch; false when the socket had nothing waiting.
    fn serve_batch(&mut self) -> bool {
        let descriptor = self.requests.socket.as_raw_fd();
        match self.received.receive_now(descriptor) {
            Ok(count) => {
                answer_batch(
                    &mut self.requests,
                    &mut self.received,
                    count,
                    &mut self.answers,
                );
                self.answers.send_blocking(descriptor);
                true
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => false,
            Err(error) => {
                // An error queued on the socket is cleared by the read that reports it.
                tracing::debug!(local = %self.requests.local, %error, "UDP receive error");
                true
            }
        }
    }
}

/// Starts worker thread `index` reading `sockets` (non-blocking, one per address, with the
/// address each is bound to). Must be called within a runtime: requests unfinished at their
/// first poll run there.
pub(crate) fn start_thread_worker<H: Handler>(
    index: usize,
    handler: Arc<H>,
    sockets: Vec<(UdpSocket, SocketAddr)>,
    max_in_flight: usize,
) -> Result<Worker, (SocketAddr, io::Error)> {
    let first_address = first_address(&sockets);
    let runtime =
        Handle::try_current().map_err(|error| (first_address, io::Error::other(error)))?;
    let (wake, woken) = UnixStream::pair().map_err(|error| (first_address, error))?;
    let asked = Arc::new(AtomicBool::new(false));
    let stop = Stop {
        asked: asked.clone(),
        _wake: wake,
    };
    let (stopped_sender, stopped) = oneshot::channel::<()>();
    let body = move || {
        let entered = runtime.enter();
        let mut loops: Vec<SocketLoop<H>> = sockets
            .into_iter()
            .map(|(socket, local)| SocketLoop {
                requests: Requests::new(handler.clone(), socket, local, max_in_flight),
                received: ReceiveBatch::new(),
                answers: SendBatch::new(),
            })
            .collect();
        // Every socket and the stop's end, each woken by a datagram (or end-of-file) to read.
        let mut waiting: Vec<libc::pollfd> = loops
            .iter()
            .map(|socket| socket.requests.socket.as_raw_fd())
            .chain([woken.as_raw_fd()])
            .map(|fd| libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        while !asked.load(Ordering::Acquire) {
            // One batch per socket per turn, so a busy address does not starve the others.
            let mut busy = false;
            for socket in &mut loops {
                busy |= socket.serve_batch();
            }
            if !busy {
                if let Err(error) = wait_ready(&mut waiting, None) {
                    // Only EFAULT, EINVAL or ENOMEM: nothing to wait on, so stop rather than spin.
                    tracing::error!(%error, "UDP worker cannot wait for datagrams; it stops");
                    break;
                }
            }
        }
        drop(entered);
        // Requests still running are aborted, and waited for: they hold clones of the sockets.
        for socket in &mut loops {
            runtime.block_on(socket.requests.in_flight.shutdown());
        }
        drop(loops);
        let _ = stopped_sender.send(());
    };
    thread::Builder::new()
        .name(format!("udp-worker-{index}"))
        .spawn(body)
        .map_err(|error| (first_address, error))?;
    Ok(Worker::new(Box::new(stop), stopped))
}
