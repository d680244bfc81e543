//! rdig's own socket `Transport`: one UDP datagram or one TCP exchange per call, with a deadline.
//! Returns the first reply bytes from the server's address; checking them is the caller's job.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

use crate::dig::limits::{MAX_DATAGRAMS_PER_TRY, MAX_MESSAGE_BYTES};
use crate::upstream::transport::{ExchangeFuture, Protocol, Transport, TransportError};

/// Plain sockets, no state between exchanges; `source` is `-b`'s local address, if any.
#[derive(Clone, Copy, Debug, Default)]
pub struct SocketTransport {
    pub source: Option<SocketAddr>,
}

/// The local address to send to `server` from: `-b`'s when of the same family, else any.
fn local_address(server: SocketAddr, source: Option<SocketAddr>) -> SocketAddr {
    match source {
        Some(source) if source.is_ipv4() == server.is_ipv4() => source,
        _ => {
            let any: IpAddr = match server {
                SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            };
            SocketAddr::new(any, 0)
        }
    }
}

/// A TCP connection to `server` from `-b`'s address when given (zone transfers, TLS and HTTPS
/// connect through this too).
pub async fn connect_tcp(
    server: SocketAddr,
    source: Option<SocketAddr>,
) -> std::io::Result<TcpStream> {
    if source.is_none() {
        return TcpStream::connect(server).await;
    }
    let socket = if server.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.bind(local_address(server, source))?;
    socket.connect(server).await
}

fn io_error(error: std::io::Error) -> TransportError {
    TransportError::Io(error.kind())
}

async fn exchange_udp(
    server: SocketAddr,
    source: Option<SocketAddr>,
    query: &[u8],
) -> Result<Vec<u8>, TransportError> {
    let socket = UdpSocket::bind(local_address(server, source))
        .await
        .map_err(io_error)?;
    // A connected socket only receives datagrams from `server` and reports ICMP port unreachable.
    socket.connect(server).await.map_err(io_error)?;
    socket.send(query).await.map_err(io_error)?;
    let mut buffer = vec![0u8; MAX_MESSAGE_BYTES];
    for _ in 0..MAX_DATAGRAMS_PER_TRY {
        let length = socket.recv(&mut buffer).await.map_err(io_error)?;
        // RFC 1035 §4.1.1: anything shorter than a header cannot be a reply; wait for another.
        if length >= 12 {
            buffer.truncate(length);
            return Ok(buffer);
        }
    }
    Err(TransportError::Timeout)
}

async fn exchange_tcp(
    server: SocketAddr,
    source: Option<SocketAddr>,
    query: &[u8],
) -> Result<Vec<u8>, TransportError> {
    let mut stream = connect_tcp(server, source).await.map_err(io_error)?;
    // RFC 1035 §4.2.2: two-byte length prefix.
    let length = u16::try_from(query.len())
        .map_err(|_| TransportError::Io(std::io::ErrorKind::InvalidInput))?;
    let mut framed = Vec::with_capacity(query.len() + 2);
    framed.extend_from_slice(&length.to_be_bytes());
    framed.extend_from_slice(query);
    stream.write_all(&framed).await.map_err(io_error)?;
    let mut prefix = [0u8; 2];
    stream.read_exact(&mut prefix).await.map_err(io_error)?;
    let reply_length = usize::from(u16::from_be_bytes(prefix));
    let mut reply = vec![0u8; reply_length];
    stream.read_exact(&mut reply).await.map_err(io_error)?;
    Ok(reply)
}

impl Transport for SocketTransport {
    fn exchange<'a>(
        &'a self,
        server: SocketAddr,
        protocol: Protocol,
        query: &'a [u8],
        timeout: Duration,
    ) -> ExchangeFuture<'a> {
        Box::pin(async move {
            let exchange = async {
                match protocol {
                    Protocol::Udp => exchange_udp(server, self.source, query).await,
                    Protocol::Tcp => exchange_tcp(server, self.source, query).await,
                }
            };
            match tokio::time::timeout(timeout, exchange).await {
                Ok(result) => result,
                Err(_) => Err(TransportError::Timeout),
            }
        })
    }
}
