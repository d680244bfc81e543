//! Creates the UDP and TCP sockets for one address on the same port (port 0 picks one for both).
//! IPv6 sockets are IPV6_V6ONLY so `[::]` and `0.0.0.0` can both be bound; nothing here reads packets.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Socket, Type};
use tokio::net::TcpListener;

use super::udp_socket::ListenSocket;
use super::{ListenError, Protocol};
use crate::limits;

pub(crate) struct BoundSockets {
    pub(crate) address: SocketAddr,
    pub(crate) udp: ListenSocket,
    pub(crate) tcp: TcpListener,
}

pub(crate) fn bind_address(address: SocketAddr) -> Result<BoundSockets, ListenError> {
    let attempts = if address.port() == 0 {
        limits::BIND_PORT_ZERO_ATTEMPTS
    } else {
        1
    };
    let mut last_error = None;
    for _ in 0..attempts {
        let tcp = bind_tcp(address).map_err(|e| ListenError::bind(address, Protocol::Tcp, &e))?;
        let tcp_address = tcp
            .local_addr()
            .map_err(|e| ListenError::bind(address, Protocol::Tcp, &e))?;
        match bind_udp(tcp_address) {
            Ok(udp) => {
                let tcp = TcpListener::from_std(tcp)
                    .map_err(|e| ListenError::bind(address, Protocol::Tcp, &e))?;
                let udp = ListenSocket::new(udp)
                    .map_err(|e| ListenError::bind(address, Protocol::Udp, &e))?;
                return Ok(BoundSockets {
                    address: tcp_address,
                    udp,
                    tcp,
                });
            }
            // With port 0 the TCP port may be taken for UDP by someone else: pick another port.
            Err(error) if error.kind() == io::ErrorKind::AddrInUse && address.port() == 0 => {
                last_error = Some(error);
            }
            Err(error) => return Err(ListenError::bind(tcp_address, Protocol::Udp, &error)),
        }
    }
    let error = last_error.unwrap_or_else(|| io::Error::from(io::ErrorKind::AddrInUse));
    Err(ListenError::bind(address, Protocol::Udp, &error))
}

fn new_socket(address: SocketAddr, kind: Type) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(address), kind, None)?;
    if address.is_ipv6() {
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    Ok(socket)
}

fn bind_tcp(address: SocketAddr) -> io::Result<std::net::TcpListener> {
    let socket = new_socket(address, Type::STREAM)?;
    // A restarted server must rebind while old connections sit in TIME_WAIT.
    socket.set_reuse_address(true)?;
    socket.bind(&address.into())?;
    socket.listen(limits::TCP_BACKLOG)?;
    Ok(socket.into())
}

fn bind_udp(address: SocketAddr) -> io::Result<std::net::UdpSocket> {
    let socket = new_socket(address, Type::DGRAM)?;
    socket.bind(&address.into())?;
    Ok(socket.into())
}
