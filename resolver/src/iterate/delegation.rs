//! A delegation point: the zone a set of servers is asked about, their names and addresses,
//! and which addresses this walk has already given up on.

use std::net::SocketAddr;

use hickory_proto::rr::Name;

/// One name server of a delegation, with the addresses known for it so far.
#[derive(Clone, Debug)]
pub struct NameServer {
    pub name: Name,
    pub addresses: Vec<SocketAddr>,
    /// Its addresses were looked up (glueless) already in this walk, successfully or not.
    pub looked_up: bool,
}

/// The stub or forward zone of the configuration a delegation comes from or lies below.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfiguredZone {
    pub name: Name,
    /// `stub-first`/`forward-first`: when its servers fail, iterate without the zone.
    pub first: bool,
    /// `stub-tcp-upstream`/`forward-tcp-upstream`.
    pub tcp_upstream: bool,
}

#[derive(Clone, Debug)]
pub struct Delegation {
    /// The zone the servers are authoritative for (the scrubber's bailiwick).
    pub zone: Name,
    pub servers: Vec<NameServer>,
    /// Forwarders: queried with RD=1 and expected to recurse.
    pub forward: bool,
    /// Addresses that timed out, failed or were lame during this walk.
    pub given_up: Vec<SocketAddr>,
    /// Glueless name lookups that went to the network for this delegation (NXNSAttack bound).
    pub name_lookups: usize,
    /// Of those, the ones that found no address (Unbound's NX target count).
    pub failed_name_lookups: usize,
    /// The parent-side NS names and glue were added already (Unbound's last resort).
    pub parent_side_added: bool,
    /// Built from the cache (not from a referral just received): may be stale.
    pub from_cache: bool,
    /// Set at or below a configured stub or forward zone: unless it is a `first` zone, the walk
    /// never looks above it for other servers (Unbound's `can_have_last_resort`).
    pub configured: Option<ConfiguredZone>,
}

impl Delegation {
    pub fn new(zone: Name, servers: Vec<NameServer>, forward: bool) -> Self {
        Delegation {
            zone,
            servers,
            forward,
            given_up: Vec::new(),
            name_lookups: 0,
            failed_name_lookups: 0,
            parent_side_added: false,
            from_cache: false,
            configured: None,
        }
    }

    /// Every known address not yet given up on, in server order.
    pub fn candidate_addresses(&self) -> Vec<SocketAddr> {
        let mut candidates = Vec::new();
        for server in &self.servers {
            for address in &server.addresses {
                if !self.given_up.contains(address) && !candidates.contains(address) {
                    candidates.push(*address);
                }
            }
        }
        candidates
    }

    /// Whether the walk may look above this delegation (parent-side addresses, a fresh referral
    /// from the parent) when its servers fail: not when that would leave a stub or forward zone
    /// configured without `first` (Unbound: no last resort above configured servers).
    pub fn may_look_above(&self) -> bool {
        self.configured
            .as_ref()
            .is_none_or(|zone| zone.first || zone.name != self.zone)
    }

    /// Whether its servers are asked over TCP only.
    pub fn tcp_only(&self) -> bool {
        self.configured
            .as_ref()
            .is_some_and(|zone| zone.tcp_upstream)
    }

    pub fn give_up(&mut self, address: SocketAddr) {
        if !self.given_up.contains(&address) {
            self.given_up.push(address);
        }
    }
}
