//! Private loopback addresses per test, so tests run in parallel without port clashes.
//! Linux routes all of 127.0.0.0/8 to `lo`: any 127.x.y.z can be bound with no setup.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;

/// The port peers and our servers listen on in end-to-end tests. Each test has its own address, so
/// one fixed port is enough; not 53 so the tests also run without root.
pub const PEER_PORT: u16 = 5300;

/// Hashed addresses fall in 127.64.0.0/10, away from 127.0.0.1 and from the hand-picked addresses
/// used by unit tests (127.31.x.y for the listener, 127.32.x.y for the harness demo).
const FIRST_SECOND_OCTET: u8 = 64;
const SECOND_OCTET_SPAN: u32 = 64;

/// Names already given an address in this process, to resolve the (rare) hash collisions.
static TAKEN: Mutex<Option<HashMap<Ipv4Addr, String>>> = Mutex::new(None);

/// The same address every time for the same `(test name, index)`; distinct names never share one
/// within a test binary. `index` gives one test several hosts (a server and its peers).
///
/// ```
/// let server = e2e::loopback_v4_for("referral_has_glue", 0);
/// let peer = e2e::loopback_v4_for("referral_has_glue", 1);
/// assert_ne!(server, peer);
/// assert_eq!(server, e2e::loopback_v4_for("referral_has_glue", 0));
/// ```
pub fn loopback_v4_for(test_name: &str, index: u8) -> Ipv4Addr {
    let key = format!("{test_name}#{index}");
    let mut taken = TAKEN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let taken = taken.get_or_insert_with(HashMap::new);
    let mut hash = fnv1a(key.as_bytes());
    // Bounded probe: 2^22 addresses, so a free one is found in a few steps.
    for _ in 0..1024 {
        let address = address_from_hash(hash);
        match taken.get(&address) {
            Some(owner) if owner != &key => hash = hash.wrapping_add(1),
            _ => {
                taken.insert(address, key);
                return address;
            }
        }
    }
    panic!("no free loopback address for {test_name}: more than 1024 collisions");
}

/// `loopback_v4_for` with the peer port, ready to bind or query.
pub fn loopback_for(test_name: &str, index: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(loopback_v4_for(test_name, index)), PEER_PORT)
}

fn address_from_hash(hash: u32) -> Ipv4Addr {
    // 64 second octets x 256 third octets x 254 fourth octets (not .0, not .255).
    let second = FIRST_SECOND_OCTET + (hash % SECOND_OCTET_SPAN) as u8;
    let third = ((hash / SECOND_OCTET_SPAN) % 256) as u8;
    let fourth = 1 + ((hash / SECOND_OCTET_SPAN / 256) % 254) as u8;
    Ipv4Addr::new(127, second, third, fourth)
}

/// FNV-1a: stable across Rust versions and runs, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |hash, byte| {
        (hash ^ u32::from(*byte)).wrapping_mul(0x0100_0193)
    })
}
