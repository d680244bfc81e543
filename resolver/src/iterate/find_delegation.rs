//! Where a walk starts: delegations built from the root hints, the cache, or a referral's
//! NS names and glue, and the parent-side fallback. Reads the cache; never writes it.

use std::net::SocketAddr;

use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::cache::Trust;
use crate::iterate::delegation::{Delegation, NameServer};
use crate::resolver::Resolver;

impl Resolver {
    pub(crate) fn hints_delegation(&self) -> Delegation {
        let port = self.upstream_port();
        let mut servers: Vec<NameServer> = Vec::new();
        for hint in &self.root_hints {
            let address = SocketAddr::new(hint.address, port);
            match servers.iter_mut().find(|server| server.name == hint.name) {
                Some(server) => server.addresses.push(address),
                None => servers.push(NameServer {
                    name: hint.name.clone(),
                    addresses: vec![address],
                    looked_up: true,
                }),
            }
        }
        Delegation::new(Name::root(), servers, false)
    }

    /// A delegation from the cached NS set of `zone`, with every cached address of its servers.
    pub(crate) fn cached_delegation(&self, zone: &Name) -> Option<Delegation> {
        let now = self.clock.now();
        let ns_records =
            self.cache
                .get_rrset(zone, RecordType::NS, DNSClass::IN, Trust::Glue, now)?;
        let names: Vec<Name> = ns_records
            .iter()
            .filter_map(|record| match &record.data {
                RData::NS(target) => Some(target.0.clone()),
                _ => None,
            })
            .collect();
        let mut delegation = Delegation::new(
            zone.clone(),
            self.servers_with_cached_addresses(names, &[]),
            false,
        );
        delegation.from_cache = true;
        if zone.is_root() {
            // The root's addresses may be missing from a priming reply: the hints know them.
            for server in &mut delegation.servers {
                for hint in self
                    .root_hints
                    .iter()
                    .filter(|hint| hint.name == server.name)
                {
                    let address = SocketAddr::new(hint.address, self.upstream_port());
                    if !server.addresses.contains(&address) {
                        server.addresses.push(address);
                    }
                }
            }
            if delegation
                .servers
                .iter()
                .all(|server| server.addresses.is_empty())
            {
                return Some(self.hints_delegation());
            }
        }
        Some(delegation)
    }

    /// Name servers with the addresses from `glue` (already scrubbed) and from the cache.
    pub(crate) fn servers_with_cached_addresses(
        &self,
        names: Vec<Name>,
        glue: &[Record],
    ) -> Vec<NameServer> {
        let now = self.clock.now();
        let port = self.upstream_port();
        let mut servers: Vec<NameServer> = Vec::new();
        for name in names {
            if servers.iter().any(|server| server.name == name) {
                continue;
            }
            let mut addresses: Vec<SocketAddr> = Vec::new();
            let glue_ips = glue
                .iter()
                .filter(|record| record.name == name)
                .filter_map(|record| record.data.ip_addr());
            for ip in glue_ips.chain(self.cache.cached_addresses(&name, now)) {
                let address = SocketAddr::new(ip, port);
                if !addresses.contains(&address) {
                    addresses.push(address);
                }
            }
            servers.push(NameServer {
                name,
                addresses,
                looked_up: false,
            });
        }
        servers
    }

    /// Adds the NS names and glue the parent gave in its referral (kept apart from the child's
    /// data). Returns whether any new address was added.
    pub(crate) fn add_parent_side_addresses(&self, delegation: &mut Delegation) -> bool {
        let now = self.clock.now();
        let port = self.upstream_port();
        let mut names: Vec<Name> = delegation
            .servers
            .iter()
            .map(|server| server.name.clone())
            .collect();
        for record in
            self.cache
                .get_parent_side(&delegation.zone, RecordType::NS, DNSClass::IN, now)
        {
            if let RData::NS(target) = &record.data {
                if !names.contains(&target.0) {
                    names.push(target.0.clone());
                }
            }
        }
        let mut added = false;
        for name in names {
            let mut addresses: Vec<SocketAddr> = Vec::new();
            for family in [RecordType::A, RecordType::AAAA] {
                for record in self.cache.get_parent_side(&name, family, DNSClass::IN, now) {
                    if let Some(ip) = record.data.ip_addr() {
                        addresses.push(SocketAddr::new(ip, port));
                    }
                }
            }
            let index = match delegation
                .servers
                .iter()
                .position(|server| server.name == name)
            {
                Some(index) => index,
                None => {
                    delegation.servers.push(NameServer {
                        name,
                        addresses: Vec::new(),
                        looked_up: false,
                    });
                    delegation.servers.len() - 1
                }
            };
            let Some(server) = delegation.servers.get_mut(index) else {
                continue;
            };
            for address in addresses {
                if !server.addresses.contains(&address) {
                    server.addresses.push(address);
                    added = added || !delegation.given_up.contains(&address);
                }
            }
        }
        added
            || delegation
                .servers
                .iter()
                .any(|server| !server.looked_up && server.addresses.is_empty())
    }
}

/// Unbound `iter_dp_is_useless`: no address known and every server name inside the zone,
/// so its addresses can only come from glue the parent did not give.
pub(crate) fn is_useless(delegation: &Delegation) -> bool {
    delegation
        .servers
        .iter()
        .all(|server| server.addresses.is_empty() && delegation.zone.zone_of(&server.name))
}
