//! The listening UDP socket, registered with the event loop for reading only: a server that writes
//! without waiting is not woken by its own sends. Room to write is waited for only when a send would block.
//!
//! tokio's `UdpSocket` registers for reading and writing, edge-triggered. Every datagram sent
//! frees send-buffer space, which is a new writable edge, so each batch of answers cost one more
//! `epoll_wait` to collect an event nobody waited for (`strace`: `sendmmsg`, then `epoll_wait`
//! returning only EPOLLOUT, then the `epoll_wait` that sleeps). Here the socket's own registration
//! asks for EPOLLIN alone; a send that finds the buffer full registers a duplicate descriptor
//! for EPOLLOUT until there is room (epoll keys on the descriptor, so the two registrations are
//! independent), which happens only when the kernel cannot keep up.

use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, RawFd};

use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// What one read found, and whether the socket may hold more.
pub(crate) enum Read<R> {
    /// More datagrams may be waiting.
    More(R),
    /// The read emptied the queue (it got fewer than it asked for).
    Drained(R),
}

pub(crate) struct ListenSocket {
    io: AsyncFd<UdpSocket>,
}

impl ListenSocket {
    /// Takes a bound, non-blocking socket; must be called within the runtime.
    pub(crate) fn new(socket: UdpSocket) -> io::Result<ListenSocket> {
        socket.set_nonblocking(true)?;
        Ok(ListenSocket {
            io: register(socket, Interest::READABLE)?,
        })
    }

    /// Waits until the socket is readable and runs `read` on it, until it finds something. A
    /// `read` failing with WouldBlock, or telling it emptied the queue (`Read::Drained`), clears
    /// the readiness: the next call waits for a new datagram. A datagram that arrived meanwhile is
    /// not lost: the readiness is cleared only if no event came since it was observed.
    pub(crate) async fn read<R>(
        &self,
        mut read: impl FnMut(&UdpSocket) -> io::Result<Read<R>>,
    ) -> io::Result<R> {
        loop {
            let mut guard = self.io.readable().await?;
            match read(guard.get_inner()) {
                Ok(Read::More(found)) => return Ok(found),
                Ok(Read::Drained(found)) => {
                    guard.clear_ready();
                    return Ok(found);
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => guard.clear_ready(),
                Err(error) => return Err(error),
            }
        }
    }

    /// Waits until the send buffer has room. Only called after a send returned WouldBlock.
    pub(crate) async fn writable(&self) -> io::Result<()> {
        wait_writable(self.io.get_ref()).await
    }

    /// Receives one datagram.
    #[cfg_attr(target_os = "linux", allow(dead_code))]
    pub(crate) async fn recv_from(&self, buffer: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.read(|socket| socket.recv_from(buffer).map(Read::More))
            .await
    }
}

/// The socket a late answer leaves from: the listener's own (event-loop workers) or a clone of a
/// worker thread's socket (`udp_thread.rs`), which no event loop reads.
pub(crate) trait ReplySocket: Send + Sync + 'static {
    fn udp(&self) -> &UdpSocket;
}

impl ReplySocket for ListenSocket {
    fn udp(&self) -> &UdpSocket {
        self.io.get_ref()
    }
}

impl ReplySocket for UdpSocket {
    fn udp(&self) -> &UdpSocket {
        self
    }
}

/// Sends one datagram from a non-blocking `socket`, waiting for room in its send buffer when it
/// is full. Must be called within the runtime.
pub(crate) async fn send_to(
    socket: &UdpSocket,
    bytes: &[u8],
    client: SocketAddr,
) -> io::Result<usize> {
    loop {
        match socket.send_to(bytes, client) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                wait_writable(socket).await?
            }
            result => return result,
        }
    }
}

/// Waits until `socket`'s send buffer has room, through a duplicate descriptor registered for
/// writing alone while it waits (see the module comment).
async fn wait_writable(socket: &UdpSocket) -> io::Result<()> {
    let duplicate = socket.try_clone()?;
    let waiting = register(duplicate, Interest::WRITABLE)?;
    let _ready = waiting.writable().await?;
    Ok(())
}

/// Registers `socket` with the runtime's event loop for `interest` alone.
fn register(socket: UdpSocket, interest: Interest) -> io::Result<AsyncFd<UdpSocket>> {
    // SAFETY: the AsyncFd owns the socket and hands out only shared references to it (never
    // `into_inner`), so its descriptor stays open and unchanged until the AsyncFd is dropped,
    // which deregisters it before the socket closes.
    unsafe { AsyncFd::register_with_interest(socket, interest) }
        .map_err(|error| error.into_parts().1)
}

impl AsRawFd for ListenSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Duration;

    use tokio::time::timeout;

    use super::*;

    const WAIT: Duration = Duration::from_secs(5);

    /// 127.31.9.x: the listener's unit-test range (authority/tests/listen.rs uses 127.31.1-4.x).
    fn bound(host: u8) -> UdpSocket {
        let address = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 31, 9, host)), 0);
        UdpSocket::bind(address).unwrap()
    }

    /// Reads every datagram queued, as a short batch does, and says the queue is empty.
    async fn read_all(socket: &ListenSocket) -> Vec<Vec<u8>> {
        let read = socket.read(|inner| {
            let mut datagrams = Vec::new();
            let mut buffer = [0u8; 512];
            loop {
                match inner.recv_from(&mut buffer) {
                    Ok((length, _)) => datagrams.push(buffer[..length].to_vec()),
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                    Err(error) => return Err(error),
                }
            }
            if datagrams.is_empty() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            Ok(Read::Drained(datagrams))
        });
        timeout(WAIT, read).await.unwrap().unwrap()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_datagram_arriving_after_a_drained_read_wakes_the_next_read() {
        let server = ListenSocket::new(bound(1)).unwrap();
        let server_address = server.io.get_ref().local_addr().unwrap();
        let client = bound(2);
        client.send_to(b"first", server_address).unwrap();
        assert_eq!(read_all(&server).await, [b"first".to_vec()]);
        // The readiness was cleared; the next datagram's event must set it again.
        client.send_to(b"second", server_address).unwrap();
        client.send_to(b"third", server_address).unwrap();
        let mut later = read_all(&server).await;
        if later.len() == 1 {
            later.extend(read_all(&server).await);
        }
        assert_eq!(later, [b"second".to_vec(), b"third".to_vec()]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn send_to_reaches_the_client_and_recv_from_names_the_source() {
        let server = ListenSocket::new(bound(3)).unwrap();
        let server_address = server.io.get_ref().local_addr().unwrap();
        let client = bound(4);
        let client_address = client.local_addr().unwrap();
        client.send_to(b"query", server_address).unwrap();
        let mut buffer = [0u8; 512];
        let (length, source) = timeout(WAIT, server.recv_from(&mut buffer))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((&buffer[..length], source), (&b"query"[..], client_address));
        let sent = timeout(WAIT, send_to(server.udp(), b"answer", client_address))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sent, 6);
        client.set_read_timeout(Some(WAIT)).unwrap();
        let mut reply = [0u8; 512];
        let (length, from) = client.recv_from(&mut reply).unwrap();
        assert_eq!((&reply[..length], from), (&b"answer"[..], server_address));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn writable_returns_at_once_while_the_send_buffer_has_room() {
        let server = ListenSocket::new(bound(5)).unwrap();
        timeout(WAIT, server.writable()).await.unwrap().unwrap();
        // The duplicate registration is gone: the socket still reads.
        let client = bound(6);
        client
            .send_to(b"after", server.io.get_ref().local_addr().unwrap())
            .unwrap();
        assert_eq!(read_all(&server).await, [b"after".to_vec()]);
    }
}
