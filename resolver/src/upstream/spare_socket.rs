//! One fresh UDP socket per address family and thread, made after a client has its answer, so
//! that the next query's path to the wire is `connect` and `send` only.
//!
//! A spare socket is unbound and unconnected: it has no port and can receive nothing. `connect`
//! binds it to a random ephemeral port chosen by the kernel, as `bind` to port 0 would (RFC
//! 5452 §9.2), and each socket serves one query. Unbound makes its sockets on the query's path.

use std::cell::RefCell;
use std::net::SocketAddr;

thread_local! {
    /// [IPv4, IPv6]: at most two descriptors per runtime thread, and an address of each family
    /// used since the last refill.
    static SPARE: RefCell<[Spare; 2]> = const { RefCell::new([Spare::EMPTY, Spare::EMPTY]) };
}

struct Spare {
    socket: Option<socket2::Socket>,
    /// A server of this family asked since the last refill: one to make the next socket for.
    taken_for: Option<SocketAddr>,
}

impl Spare {
    const EMPTY: Spare = Spare {
        socket: None,
        taken_for: None,
    };
}

/// A fresh non-blocking UDP socket for `server`'s family: the spare one if made, else a new one.
pub(crate) fn take(server: SocketAddr) -> std::io::Result<socket2::Socket> {
    let spare = SPARE.with_borrow_mut(|spares| {
        let spare = spares.get_mut(family(server))?;
        spare.taken_for = Some(server);
        spare.socket.take()
    });
    match spare {
        Some(socket) => Ok(socket),
        None => new_socket(server),
    }
}

/// Makes the spare socket of each family taken from since the last call. A failure (out of
/// descriptors) leaves none: the next query makes its own and reports the error then.
pub(crate) fn refill_taken() {
    SPARE.with_borrow_mut(|spares| {
        for spare in spares.iter_mut() {
            if let (None, Some(server)) = (&spare.socket, spare.taken_for.take()) {
                spare.socket = new_socket(server).ok();
            }
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
        let mut ports = std::collections::HashSet::new();
        for round in 0..20 {
            let socket = take(server).unwrap();
            if round > 0 {
                let unbound = socket.local_addr().unwrap().as_socket().unwrap();
                assert_eq!(unbound.port(), 0, "a spare socket can receive nothing");
            }
            socket.connect(&server.into()).unwrap();
            let bound = socket.local_addr().unwrap().as_socket().unwrap();
            assert_ne!(bound.port(), 0);
            ports.insert(bound.port());
            refill_taken();
            assert!(SPARE.with_borrow(|spares| spares[0].socket.is_some()));
        }
        // Random ephemeral ports: twenty in a row are not one port reused.
        assert!(ports.len() > 10, "ports: {ports:?}");
    }

    #[test]
    fn only_the_families_taken_from_are_refilled() {
        let v4: SocketAddr = "127.0.0.65:53".parse().unwrap();
        drop(take(v4).unwrap());
        refill_taken();
        SPARE.with_borrow(|spares| {
            assert!(spares[0].socket.is_some());
            assert!(spares[1].socket.is_none(), "no IPv6 server was asked");
        });
        // Nothing taken since: a second refill makes nothing more.
        refill_taken();
        let spare = take(v4).unwrap();
        assert!(spare.local_addr().unwrap().as_socket().unwrap().is_ipv4());
        SPARE.with_borrow(|spares| assert!(spares[0].socket.is_none()));
    }
}
