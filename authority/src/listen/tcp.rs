//! TCP per RFC 7766: accept under a connection cap, read 2-byte-length-framed messages, answer them
//! concurrently (pipelining, replies possibly out of order), close idle, slow or lying connections.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio::time::timeout;

use super::{Handler, ListenOptions, Protocol, RequestContext, TcpConnection};
use crate::limits;

pub(crate) async fn accept_loop<H: Handler>(
    handler: Arc<H>,
    listener: TcpListener,
    local: SocketAddr,
    options: ListenOptions,
) {
    let connection_slots = Arc::new(Semaphore::new(options.tcp_max_connections.max(1)));
    // Owned by this loop: aborting the loop at shutdown closes every connection it accepted.
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let (stream, client) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Per-connection failures (ECONNABORTED, EMFILE) must not stop the listener.
                tracing::debug!(%local, %error, "TCP accept error");
                tokio::time::sleep(limits::ACCEPT_ERROR_BACKOFF).await;
                continue;
            }
        };
        let Ok(permit) = connection_slots.clone().try_acquire_owned() else {
            tracing::debug!(%local, %client, "TCP connection closed: connection cap reached");
            drop(stream);
            continue;
        };
        let handler = handler.clone();
        let options = options.clone();
        connections.spawn(async move {
            // With a wildcard listen address, the connection knows which local address was asked.
            let local = stream.local_addr().unwrap_or(local);
            let context = RequestContext {
                client,
                local,
                protocol: Protocol::Tcp,
            };
            serve_connection(handler, stream, context, &options).await;
            drop(permit);
        });
    }
}

async fn serve_connection<H: Handler>(
    handler: Arc<H>,
    stream: TcpStream,
    context: RequestContext,
    options: &ListenOptions,
) {
    let _ = stream.set_nodelay(true);
    let (reader, writer) = stream.into_split();
    let in_flight_limit = options.tcp_max_in_flight_per_connection.max(1);
    let (responses, pending) = mpsc::channel(in_flight_limit);
    let mut writing = std::pin::pin!(write_responses(writer, pending, options));
    let mut reading = std::pin::pin!(read_requests(
        handler,
        reader,
        responses,
        context,
        options,
        in_flight_limit
    ));
    tokio::select! {
        // Reading ended (EOF, timeout, bad framing): the requests already read are still answered,
        // because `read_requests` hands back their tasks, alive until the writer has sent every reply.
        in_flight = &mut reading => {
            writing.await;
            drop(in_flight);
        }
        // The writer gave up (client not reading): nothing more can be sent, drop everything.
        () = &mut writing => {}
    }
}

/// Reads framed requests until the connection should close; returns the tasks still answering.
async fn read_requests<H: Handler>(
    handler: Arc<H>,
    mut reader: OwnedReadHalf,
    responses: mpsc::Sender<Vec<u8>>,
    context: RequestContext,
    options: &ListenOptions,
    in_flight_limit: usize,
) -> JoinSet<()> {
    let slots = Arc::new(Semaphore::new(in_flight_limit));
    // Shared by this connection's requests, answered concurrently; dropped with the connection.
    let connection = Arc::new(TcpConnection::new());
    let mut in_flight = JoinSet::new();
    loop {
        while in_flight.try_join_next().is_some() {}
        // Stop reading while the connection has its full share of queries in flight.
        let Ok(permit) = slots.clone().acquire_owned().await else {
            break;
        };
        let request = match read_message(&mut reader, options).await {
            Ok(request) => request,
            Err(reason) => {
                tracing::debug!(client = %context.client, reason, "TCP connection closing");
                break;
            }
        };
        let handler = handler.clone();
        let responses = responses.clone();
        let connection = connection.clone();
        in_flight.spawn(async move {
            handler
                .handle_tcp(&request, context, &connection, &responses)
                .await;
            handler.after_send();
            drop(permit);
        });
    }
    in_flight
}

/// One message: the 2-byte length (RFC 1035 §4.2.2, RFC 7766 §8) then exactly that many bytes.
async fn read_message(
    reader: &mut OwnedReadHalf,
    options: &ListenOptions,
) -> Result<Vec<u8>, &'static str> {
    let mut prefix = [0u8; 2];
    // RFC 7766 §6.2.3: between messages the connection is idle; close it after the idle timeout.
    match timeout(options.tcp_idle_timeout, reader.read(&mut prefix[..1])).await {
        Err(_) => return Err("idle timeout"),
        Ok(Err(_)) => return Err("read error"),
        Ok(Ok(0)) => return Err("closed by client"),
        Ok(Ok(_)) => {}
    }
    // Once a message has begun, the rest must come quickly: a dribbling client loses its slot.
    let rest = async {
        reader.read_exact(&mut prefix[1..]).await?;
        let length = usize::from(u16::from_be_bytes(prefix));
        let mut message = vec![0u8; length];
        reader.read_exact(&mut message).await?;
        Ok::<_, std::io::Error>(message)
    };
    match timeout(options.tcp_read_timeout, rest).await {
        Err(_) => Err("message not completed in time"),
        Ok(Err(_)) => Err("connection ended inside a message"),
        // A zero-length message is not DNS; no client sends one except to probe or attack.
        Ok(Ok(message)) if message.is_empty() => Err("zero-length message"),
        Ok(Ok(message)) => Ok(message),
    }
}

async fn write_responses(
    mut writer: OwnedWriteHalf,
    mut pending: mpsc::Receiver<Vec<u8>>,
    options: &ListenOptions,
) {
    while let Some(response) = pending.recv().await {
        let Ok(length) = u16::try_from(response.len()) else {
            tracing::warn!(
                size = response.len(),
                "TCP response over 65535 bytes, dropped"
            );
            continue;
        };
        let mut framed = Vec::with_capacity(response.len() + 2);
        framed.extend_from_slice(&length.to_be_bytes());
        framed.extend_from_slice(&response);
        // One write per message: a reply is never interleaved with another one.
        match timeout(options.tcp_read_timeout, writer.write_all(&framed)).await {
            Ok(Ok(())) => {}
            _ => return,
        }
    }
    let _ = timeout(options.tcp_read_timeout, writer.shutdown()).await;
}
