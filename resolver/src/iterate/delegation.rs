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

#[derive(Clone, Debug)]
pub struct Delegation {
    /// The zone the servers are authoritative for (the scrubber's bailiwick).
    pub zone: Name,
    pub servers: Vec<NameServer>,
    /// Forwarders: queried with RD=1 and expected to recurse.
    pub forward: bool,
    /// Addresses that timed out, failed or were lame during this walk.
    pub given_up: Vec<SocketAddr>,
    /// Glueless name lookups spent on this delegation (NXNSAttack bound).
    pub name_lookups: usize,
    /// The parent-side NS names and glue were added already (Unbound's last resort).
    pub parent_side_added: bool,
    /// Built from the cache (not from a referral just received): may be stale.
    pub from_cache: bool,
}

impl Delegation {
    pub fn new(zone: Name, servers: Vec<NameServer>, forward: bool) -> Self {
        Delegation {
            zone,
            servers,
            forward,
            given_up: Vec::new(),
            name_lookups: 0,
            parent_side_added: false,
            from_cache: false,
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

    pub fn give_up(&mut self, address: SocketAddr) {
        if !self.given_up.contains(&address) {
            self.given_up.push(address);
        }
    }
}
