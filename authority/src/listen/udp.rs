//! The UDP receive loop: one datagram in, one handler call, at most one datagram back to its source.
//! A request answered at its first poll is sent at once; slower ones become tasks, bounded in
//! number; datagrams beyond the bound are dropped, never queued.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Waker};

use tokio::net::UdpSocket;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{Handler, Protocol, RequestContext};
use crate::limits::MAX_MESSAGE_SIZE;

pub(crate) async fn receive_loop<H: Handler>(
    handler: Arc<H>,
    socket: UdpSocket,
    local: SocketAddr,
    max_in_flight: usize,
) {
    let socket = Arc::new(socket);
    let slots = Arc::new(Semaphore::new(max_in_flight.max(1)));
    // Owned by this loop: aborting the loop at shutdown aborts the requests it started.
    let mut in_flight = JoinSet::new();
    let mut buffer = vec![0u8; MAX_MESSAGE_SIZE];
    loop {
        while in_flight.try_join_next().is_some() {}
        let (length, client) = match socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            Err(error) => {
                // Linux reports ICMP errors of earlier sends here; they concern one peer, not the socket.
                tracing::debug!(%local, %error, "UDP receive error");
                tokio::task::yield_now().await;
                continue;
            }
        };
        let request = buffer.get(..length).unwrap_or_default().to_vec();
        let handler = handler.clone();
        let socket = socket.clone();
        let mut answering: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move {
            let context = RequestContext {
                client,
                local,
                protocol: Protocol::Udp,
            };
            if let Some(response) = handler.handle(&request, context).await {
                if response.len() > MAX_MESSAGE_SIZE {
                    tracing::warn!(%client, size = response.len(), "UDP response too large, dropped");
                } else if let Err(error) = socket.send_to(&response, client).await {
                    tracing::debug!(%client, %error, "UDP send failed");
                }
            }
        });
        // Most requests (every authoritative answer, a resolver's cache hits) complete at the
        // first poll: finishing them here, without a task, saves a spawn, a JoinSet entry, a
        // permit and a wake-up per datagram. The no-op waker is safe: a request that is not
        // finished is spawned below, and the runtime polls it again at once with its own waker.
        // Over the bound, an unfinished request is dropped here (its client gets nothing); work
        // it started in its first poll is bounded by the handler's own limits.
        let mut first_poll = Context::from_waker(Waker::noop());
        if answering.as_mut().poll(&mut first_poll).is_ready() {
            continue;
        }
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tracing::debug!(%local, %client, "UDP request dropped: too many in flight");
            continue;
        };
        in_flight.spawn(async move {
            answering.await;
            drop(permit);
        });
    }
}
