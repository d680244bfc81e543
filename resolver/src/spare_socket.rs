//! One fresh UDP socket per address family and thread, made while a query is out, so that
//! the next query's path to the wire is `connect` and `send` only.
//!
//! A spare socket is unbound and unconnected: it has no port and can receive nothing. `connect`
//! binds it to a random ephemeral port chosen by the kernel, as `bind` to port 0 would (RFC
//! 5452 §9.2), and each socket serves one query. Unbound makes its sockets on the query's path.

use std::cell::RefCell;
use std::net::SocketAddr;

thread_local! {
    /// [IPv4, IPv6]: at most two descriptors per runtime thread.
    static SPARE: RefCell<[Option<socket2::Socket>; 2]> = const { RefCell::new([None, None]) };
}

/// A fresh non-blocking UDP socket for `server`'s family: the spare one if made, else a new one.
pub(crate) fn take(server: SocketAddr) -> std::io::Result<socket2::Socket> {
    let spare = SPARE.with_borrow_mut(|spare| spare.get_mut(family(server))?.take());
    match spare {
        Some(socket) => Ok(socket),
        None => new_socket(server),
    }
}

/// Makes the spare socket for `server`'s family if there is none. A failure (out of
/// descriptors) leaves none: the next query makes its own and reports the error then.
pub(crate) fn refill(server: SocketAddr) {
    SPARE.with_borrow_mut(|spare| {
        if let Some(slot @ None) = spare.get_mut(family(server)) {
            *slot = new_socket(server).ok();
        }
    });
}

fn family(server: SocketAddr) -> usize {
    match server {
        SocketAddr::V4(_) => 0,
        SocketAddr::V6(_) => 1,
    }
}

/// A UDP socket for `server`'s family, non-blocking from the start (on Linux in the same
/// system call).
fn new_socket(server: SocketAddr) -> std::io::Result<socket2::Socket> {
    let domain = socket2::Domain::for_address(server);
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    {
        let kind = socket2::Type::DGRAM.nonblocking();
        socket2::Socket::new(domain, kind, Some(socket2::Protocol::UDP))
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    {
        let socket =
            socket2::Socket::new(domain, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))?;
        socket.set_nonblocking(true)?;
        Ok(socket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spare_socket_has_no_port_until_connect_gives_it_a_random_one() {
        let server: SocketAddr = "127.0.0.65:53".parse().unwrap();
        refill(server);
        let mut ports = std::collections::HashSet::new();
        for _ in 0..20 {
            let socket = take(server).unwrap();
            let unbound = socket.local_addr().unwrap().as_socket().unwrap();
            assert_eq!(unbound.port(), 0, "a spare socket can receive nothing");
            socket.connect(&server.into()).unwrap();
            let bound = socket.local_addr().unwrap().as_socket().unwrap();
            assert_ne!(bound.port(), 0);
            ports.insert(bound.port());
            refill(server);
        }
        // Random ephemeral ports: twenty in a row are not one port reused.
        assert!(ports.len() > 10, "ports: {ports:?}");
    }

    #[test]
    fn each_family_has_its_own_spare() {
        let v4: SocketAddr = "127.0.0.65:53".parse().unwrap();
        let v6: SocketAddr = "[::1]:53".parse().unwrap();
        refill(v4);
        let socket = take(v6);
        // A machine without IPv6 cannot make the socket; with it, the family is IPv6.
        if let Ok(socket) = socket {
            assert!(socket.local_addr().unwrap().as_socket().unwrap().is_ipv6());
        }
        assert!(take(v4)
            .unwrap()
            .local_addr()
            .unwrap()
            .as_socket()
            .unwrap()
            .is_ipv4());
    }
}
