//! Where a walk starts: delegations built from the root hints, the cache, or a referral's
//! NS names and glue, and the parent-side fallback. Reads the cache; never writes it.

use std::net::SocketAddr;

use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::cache::Trust;
use crate::config::{ForwardZone, StubZone};
use crate::iterate::delegation::{ConfiguredZone, Delegation, NameServer};
use crate::resolver::Resolver;

/// The configured zone that decides where a name's walk starts.
pub(crate) enum ConfiguredSource<'a> {
    Forward(&'a ForwardZone),
    Stub(&'a StubZone),
}

impl Resolver {
    /// The deepest forward or stub zone enclosing `name`, skipping the `first` zones this walk
    /// abandoned. A stub wins over a forward zone of the same name (Unbound makes a stub a hole
    /// in the forward tree).
    pub(crate) fn configured_zone<'a>(
        &'a self,
        name: &Name,
        abandoned: &[Name],
    ) -> Option<ConfiguredSource<'a>> {
        let forward = self
            .forward_zones
            .iter()
            .find(|zone| zone.suffix.zone_of(name) && !abandoned.contains(&zone.suffix));
        let stub = self
            .config
            .stub_zones
            .iter()
            .filter(|zone| zone.suffix.zone_of(name) && !abandoned.contains(&zone.suffix))
            .max_by_key(|zone| zone.suffix.num_labels());
        match (forward, stub) {
            (Some(forward), Some(stub))
                if forward.suffix.num_labels() > stub.suffix.num_labels() =>
            {
                Some(ConfiguredSource::Forward(forward))
            }
            (_, Some(stub)) => Some(ConfiguredSource::Stub(stub)),
            (Some(forward), None) => Some(ConfiguredSource::Forward(forward)),
            (None, None) => None,
        }
    }

    /// The forwarders of a forward zone (asked with RD=1), by address and by name.
    pub(crate) fn forward_delegation(&self, forward: &ForwardZone) -> Delegation {
        let mut servers = vec![NameServer {
            name: forward.suffix.clone(),
            addresses: forward.upstreams.clone(),
            looked_up: true,
        }];
        // Servers given by name (`forward-host`): cached addresses now, a lookup when needed.
        servers.extend(self.servers_with_cached_addresses(forward.hosts.clone(), &[]));
        let mut delegation = Delegation::new(forward.suffix.clone(), servers, true);
        delegation.configured = Some(ConfiguredZone {
            name: forward.suffix.clone(),
            first: forward.first,
            tcp_upstream: forward.tcp_upstream,
        });
        delegation
    }

    /// The configured servers of a stub zone (authoritative, asked with RD=0).
    pub(crate) fn stub_delegation(&self, stub: &StubZone) -> Delegation {
        let mut servers = Vec::new();
        if !stub.addresses.is_empty() {
            servers.push(NameServer {
                name: stub.suffix.clone(),
                addresses: stub.addresses.clone(),
                looked_up: true,
            });
        }
        servers.extend(self.servers_with_cached_addresses(stub.hosts.clone(), &[]));
        let mut delegation = Delegation::new(stub.suffix.clone(), servers, false);
        delegation.configured = Some(ConfiguredZone {
            name: stub.suffix.clone(),
            first: stub.first,
            tcp_upstream: stub.tcp_upstream,
        });
        delegation
    }

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
