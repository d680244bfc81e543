//! The UDP receive loop: datagrams in, one handler call each, at most one datagram back to its source.
//! A request answered at its first poll is sent at once (on Linux with the rest of its batch, see
//! `batch.rs`); slower ones become tasks, bounded in number; datagrams beyond the bound are dropped,
//! never queued. This loop runs on an event loop; `udp_thread.rs` runs the same steps on a thread.

use std::future::Future;
use std::net::SocketAddr;
#[cfg(target_os = "linux")]
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::timeout;

use super::udp_socket::{ListenSocket, ReplySocket};
use super::{Handler, Protocol, RequestContext};
use crate::limits::{MAX_MESSAGE_SIZE, UDP_SEND_WAIT};

/// A request being answered; it gives its receive buffer back along with the response.
type Answering = Pin<Box<dyn Future<Output = (Vec<u8>, Option<Vec<u8>>)> + Send>>;

/// What became of a request after its first poll.
enum Started {
    /// Answered (or deliberately not): the buffer is free again, the response is for the caller
    /// to send.
    Finished {
        buffer: Vec<u8>,
        response: Option<Vec<u8>>,
    },
    /// Still working: it became a task that sends its own answer (or was dropped over the bound);
    /// the buffer went with it.
    Continuing,
}

/// Starts requests of one socket and owns the ones that outlive their first poll, which answer
/// from `socket`.
pub(super) struct Requests<H, S> {
    handler: Arc<H>,
    pub(super) socket: Arc<S>,
    pub(super) local: SocketAddr,
    slots: Arc<Semaphore>,
    /// Owned by the loop: aborting the loop at shutdown aborts the requests it started.
    pub(super) in_flight: JoinSet<()>,
}

impl<H: Handler, S: ReplySocket> Requests<H, S> {
    /// Must be called within a runtime (or with one entered): late requests are spawned on it.
    pub(super) fn new(handler: Arc<H>, socket: S, local: SocketAddr, max_in_flight: usize) -> Self {
        Requests {
            handler,
            socket: Arc::new(socket),
            local,
            slots: Arc::new(Semaphore::new(max_in_flight.max(1))),
            in_flight: JoinSet::new(),
        }
    }

    /// Answers the first `length` bytes of `buffer`, from `client`.
    fn start(&mut self, buffer: Vec<u8>, length: usize, client: SocketAddr) -> Started {
        while self.in_flight.try_join_next().is_some() {}
        let context = RequestContext {
            client,
            local: self.local,
            protocol: Protocol::Udp,
        };
        let request = buffer.get(..length).unwrap_or_default();
        if let Some(response) = self.handler.answer_now(request, context) {
            return Started::Finished { buffer, response };
        }
        let handler = self.handler.clone();
        let mut answering: Answering = Box::pin(async move {
            let response = handler
                .handle(buffer.get(..length).unwrap_or_default(), context)
                .await;
            (buffer, response)
        });
        // Most requests (every authoritative answer, a resolver's cache hits) complete at the
        // first poll: finishing them here, without a task, saves a spawn, a JoinSet entry, a
        // permit and a wake-up per datagram. The no-op waker is safe: a request that is not
        // finished is spawned below, and the runtime polls it again at once with its own waker.
        // Over the bound, an unfinished request is dropped here (its client gets nothing); work
        // it started in its first poll is bounded by the handler's own limits.
        let mut first_poll = Context::from_waker(Waker::noop());
        if let Poll::Ready((buffer, response)) = answering.as_mut().poll(&mut first_poll) {
            return Started::Finished { buffer, response };
        }
        let Ok(permit) = self.slots.clone().try_acquire_owned() else {
            tracing::debug!(local = %self.local, %client, "UDP request dropped: too many in flight");
            return Started::Continuing;
        };
        let socket = self.socket.clone();
        let handler = self.handler.clone();
        self.in_flight.spawn(async move {
            if let (_, Some(response)) = answering.await {
                send_one(socket.udp(), response, client).await;
            }
            handler.after_send();
            drop(permit);
        });
        Started::Continuing
    }
}

/// A response too large for any datagram is dropped with a warning; the handler is at fault.
fn fits_a_datagram(response: &[u8], client: SocketAddr) -> bool {
    let fits = response.len() <= MAX_MESSAGE_SIZE;
    if !fits {
        tracing::warn!(%client, size = response.len(), "UDP response too large, dropped");
    }
    fits
}

/// Sends one late answer, waiting at most `UDP_SEND_WAIT` for room in the socket's buffer.
async fn send_one(socket: &std::net::UdpSocket, response: Vec<u8>, client: SocketAddr) {
    if !fits_a_datagram(&response, client) {
        return;
    }
    match timeout(
        UDP_SEND_WAIT,
        super::udp_socket::send_to(socket, &response, client),
    )
    .await
    {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::debug!(%client, %error, "UDP send failed"),
        Err(_) => tracing::debug!(%client, "UDP send buffer full, answer dropped"),
    }
}

/// Linux: a batch of datagrams per `recvmmsg`, the answers finished at first poll sent together
/// with one `sendmmsg` (the kernel was 45 % of our CPU with one system call per datagram).
#[cfg(target_os = "linux")]
pub(crate) async fn receive_loop<H: Handler>(
    handler: Arc<H>,
    socket: ListenSocket,
    local: SocketAddr,
    max_in_flight: usize,
) {
    use super::batch::{ReceiveBatch, SendBatch};

    let mut requests = Requests::new(handler, socket, local, max_in_flight);
    let mut received = ReceiveBatch::new();
    let mut answers = SendBatch::new();
    loop {
        let count = match received.receive(&requests.socket).await {
            Ok(count) => count,
            Err(error) => {
                // Linux reports ICMP errors of earlier sends here; they concern one peer, not the socket.
                tracing::debug!(%local, %error, "UDP receive error");
                tokio::task::yield_now().await;
                continue;
            }
        };
        answer_batch(&mut requests, &mut received, count, &mut answers);
        answers.send(&requests.socket).await;
    }
}

/// Starts a request for each of the `count` datagrams of `received`; the answers ready at once go
/// into `answers`, and the buffers of those requests back into `received` for the next batch.
#[cfg(target_os = "linux")]
pub(super) fn answer_batch<H: Handler, S: ReplySocket>(
    requests: &mut Requests<H, S>,
    received: &mut super::batch::ReceiveBatch,
    count: usize,
    answers: &mut super::batch::SendBatch,
) {
    for index in 0..count {
        let Some(datagram) = received.take(index) else {
            tracing::debug!(local = %requests.local, "UDP datagram cut or from an unknown family, dropped");
            continue;
        };
        let client = datagram.client;
        // A handler must not panic; if one does, that request is lost, not the loop (which would
        // leave the socket unread for good). The batch's other requests go on.
        let started = panic::catch_unwind(AssertUnwindSafe(|| {
            requests.start(datagram.buffer, datagram.length, client)
        }));
        let Ok(started) = started else {
            tracing::error!(local = %requests.local, %client, "the handler panicked; request dropped");
            continue;
        };
        if let Started::Finished { buffer, response } = started {
            received.give_back(index, buffer);
            if let Some(response) = response.filter(|bytes| fits_a_datagram(bytes, client)) {
                answers.push(client, response);
            }
        }
    }
}

/// Elsewhere: one `recv_from` and one `send_to` per datagram.
#[cfg(not(target_os = "linux"))]
pub(crate) async fn receive_loop<H: Handler>(
    handler: Arc<H>,
    socket: ListenSocket,
    local: SocketAddr,
    max_in_flight: usize,
) {
    let mut requests = Requests::new(handler, socket, local, max_in_flight);
    let mut buffer = vec![0u8; MAX_MESSAGE_SIZE];
    loop {
        if buffer.len() != MAX_MESSAGE_SIZE {
            buffer = vec![0u8; MAX_MESSAGE_SIZE];
        }
        let (length, client) = match requests.socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            Err(error) => {
                // ICMP errors of earlier sends may be reported here; they concern one peer.
                tracing::debug!(%local, %error, "UDP receive error");
                tokio::task::yield_now().await;
                continue;
            }
        };
        if let Started::Finished {
            buffer: returned,
            response,
        } = requests.start(std::mem::take(&mut buffer), length, client)
        {
            buffer = returned;
            if let Some(response) = response {
                send_one(requests.socket.udp(), response, client).await;
            }
        }
    }
}
