//! Creates the UDP and TCP sockets for one address on the same port (port 0 picks one for both):
//! one TCP listener and one UDP socket per worker (SO_REUSEPORT when there are several).
//! IPv6 sockets are IPV6_V6ONLY so `[::]` and `0.0.0.0` can both be bound; nothing here reads packets.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Socket, Type};
use tokio::net::TcpListener;

use super::{ListenError, Protocol};
use crate::limits;

pub(crate) struct BoundSockets {
    pub(crate) address: SocketAddr,
    /// One per UDP worker, all on `address`; not yet registered with any event loop (each is
    /// registered by the runtime that reads it).
    pub(crate) udp: Vec<std::net::UdpSocket>,
    pub(crate) tcp: TcpListener,
}

/// Binds TCP and `udp_sockets` UDP sockets (at least one) on `address`.
pub(crate) fn bind_address(
    address: SocketAddr,
    udp_sockets: usize,
) -> Result<BoundSockets, ListenError> {
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
        match bind_udp_group(tcp_address, udp_sockets.max(1)) {
            Ok(udp) => {
                let tcp = TcpListener::from_std(tcp)
                    .map_err(|e| ListenError::bind(address, Protocol::Tcp, &e))?;
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

/// `count` UDP sockets on `address`. Several share the port through SO_REUSEPORT: the kernel
/// hands each datagram to one of them by a hash of its source and destination, so one client
/// flow stays on one socket (NSD's `reuseport: yes`, Knot's UDP workers). A single socket does
/// not set it: then no other process can bind the port alongside ours.
fn bind_udp_group(address: SocketAddr, count: usize) -> io::Result<Vec<std::net::UdpSocket>> {
    (0..count)
        .map(|_| {
            let socket = new_socket(address, Type::DGRAM)?;
            if count > 1 {
                socket.set_reuse_port(true)?;
            }
            socket.bind(&address.into())?;
            Ok(socket.into())
        })
        .collect()
}
