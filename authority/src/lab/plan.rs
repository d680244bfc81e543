//! The lab's address plan: which loopback addresses serve which zones, from each zone's apex NS
//! names resolved through the A/AAAA data (authoritative or glue) of every lab zone. Pure: no I/O.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv6Addr};

use hickory_proto::rr::{LowerName, Name, RData, RecordType};

use super::LabError;
use crate::catalog::zones::Catalog;
use crate::limits::MAX_LAB_ADDRESSES;

/// Address → the origins of the zones served there, both sorted (names in DNS canonical order,
/// RFC 4034 §6.1) so the plan logs the same way
/// every time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressPlan {
    pub zones_by_address: BTreeMap<IpAddr, BTreeSet<Name>>,
}

impl AddressPlan {
    pub fn addresses(&self) -> impl Iterator<Item = &IpAddr> {
        self.zones_by_address.keys()
    }
}

/// Plans every zone of `catalog`; reports every problem found, not just the first (STYLE rule 7).
///
/// A zone is served on the addresses of all its apex NS names, as the real Internet's parent
/// delegations and the child's own NS set would send resolvers there (RFC 1034 §4.2.2). An NS
/// name is looked up in every lab zone, so a glueless delegation (NS in another TLD, as
/// `glueless.test.` → `ns1.hosting.lab.`) resolves through the zone that holds the name.
pub fn plan_addresses(catalog: &Catalog) -> Result<AddressPlan, Vec<LabError>> {
    let addresses_by_name = index_addresses(catalog);
    let mut plan = AddressPlan::default();
    let mut errors = Vec::new();
    let mut zones: Vec<_> = catalog.zones().collect();
    zones.sort_by(|left, right| left.origin.cmp(&right.origin));
    for zone in zones {
        let name_servers: Vec<Name> = zone
            .node(&zone.origin)
            .and_then(|apex| apex.find(RecordType::NS))
            .map(|served| {
                served
                    .set
                    .rdatas()
                    .filter_map(|data| match data {
                        RData::NS(name_server) => Some(name_server.0),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        if name_servers.is_empty() {
            errors.push(LabError::NoNameServers {
                zone: zone.origin.clone(),
            });
            continue;
        }
        for name_server in name_servers {
            let Some(addresses) = addresses_by_name.get(&LowerName::new(&name_server)) else {
                errors.push(LabError::NoAddress {
                    zone: zone.origin.clone(),
                    name_server,
                });
                continue;
            };
            for address in addresses {
                if !is_bindable_loopback(*address) {
                    errors.push(LabError::NotLoopback {
                        zone: zone.origin.clone(),
                        name_server: name_server.clone(),
                        address: *address,
                    });
                    continue;
                }
                plan.zones_by_address
                    .entry(*address)
                    .or_default()
                    .insert(zone.origin.clone());
            }
        }
    }
    let count = plan.zones_by_address.len();
    if count > MAX_LAB_ADDRESSES {
        errors.push(LabError::TooManyAddresses { count });
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        Err(errors)
    }
}

/// Every A and AAAA address of every owner name in every zone, glue included.
fn index_addresses(catalog: &Catalog) -> HashMap<LowerName, BTreeSet<IpAddr>> {
    let mut index: HashMap<LowerName, BTreeSet<IpAddr>> = HashMap::new();
    for zone in catalog.zones() {
        for (name, node) in zone.nodes.iter() {
            for record_type in [RecordType::A, RecordType::AAAA] {
                let Some(served) = node.find(record_type) else {
                    continue;
                };
                for data in served.set.rdatas() {
                    let address = match &data {
                        RData::A(address) => IpAddr::V4(address.0),
                        RData::AAAA(address) => IpAddr::V6(address.0),
                        _ => continue,
                    };
                    index.entry(name.clone()).or_default().insert(address);
                }
            }
        }
    }
    index
}

/// Only 127.0.0.0/8 and ::1 exist on every Linux `lo` without configuration; binding anything
/// else would take over a real address of the machine.
fn is_bindable_loopback(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(address) => address.is_loopback(),
        IpAddr::V6(address) => address == Ipv6Addr::LOCALHOST,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::*;
    use crate::zone::build::build_zone;
    use crate::zone::yaml_zone::read_zone_text;

    fn catalog(zones: &[(&str, &str)]) -> Catalog {
        let zones = zones.iter().map(|(origin, text)| {
            let origin = Name::from_ascii(origin).expect("test origin");
            let read =
                read_zone_text(text, Path::new("test.yaml"), &origin).expect("test zone reads");
            Arc::new(build_zone(read).expect("test zone builds"))
        });
        Catalog::new(zones)
    }

    fn origins(plan: &AddressPlan, address: &str) -> Vec<String> {
        let address: IpAddr = address.parse().expect("test address");
        plan.zones_by_address
            .get(&address)
            .map(|zones| zones.iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    }

    const ROOT: &str = "
'':
  - type: NS
    value: a.root.lab.
a.root.lab:
  type: A
  value: 127.60.0.1
lab:
  type: NS
  value: ns.nic.lab.
ns.nic.lab:
  type: A
  value: 127.60.1.1
test:
  type: NS
  value: ns.nic.test.
ns.nic.test:
  type: A
  value: 127.60.2.1
";

    const LAB: &str = "
'':
  - type: NS
    value: ns.nic.lab.
ns.nic:
  type: A
  value: 127.60.1.1
hosting:
  type: NS
  value: ns.hosting.lab.
ns.hosting:
  type: A
  value: 127.60.3.1
";

    const TEST: &str = "
'':
  - type: NS
    value: ns.nic.test.
ns.nic:
  type: A
  value: 127.60.2.1
glueless:
  type: NS
  value: ns.hosting.lab.
";

    const HOSTING: &str = "
'':
  - type: NS
    value: ns.hosting.lab.
ns:
  - type: A
    value: 127.60.3.1
  - type: AAAA
    value: ::1
";

    const GLUELESS: &str = "
'':
  - type: NS
    value: ns.hosting.lab.
www:
  type: A
  value: 192.0.2.1
";

    #[test]
    fn each_zone_is_served_only_on_its_name_servers_addresses() {
        let plan =
            plan_addresses(&catalog(&[(".", ROOT), ("lab.", LAB), ("test.", TEST)])).expect("plan");
        assert_eq!(origins(&plan, "127.60.0.1"), ["."]);
        assert_eq!(origins(&plan, "127.60.1.1"), ["lab."]);
        assert_eq!(origins(&plan, "127.60.2.1"), ["test."]);
        assert_eq!(plan.zones_by_address.len(), 3);
    }

    #[test]
    fn glueless_name_server_is_resolved_through_another_zone() {
        let plan = plan_addresses(&catalog(&[
            (".", ROOT),
            ("lab.", LAB),
            ("test.", TEST),
            ("hosting.lab.", HOSTING),
            ("glueless.test.", GLUELESS),
        ]))
        .expect("plan");
        // test. holds no address for ns.hosting.lab.: it comes from hosting.lab. (and lab.'s glue).
        assert_eq!(
            origins(&plan, "127.60.3.1"),
            ["hosting.lab.", "glueless.test."]
        );
        // The AAAA of the name server counts too: ::1 serves both zones.
        assert_eq!(origins(&plan, "::1"), ["hosting.lab.", "glueless.test."]);
    }

    #[test]
    fn name_server_without_any_address_is_an_error_naming_it() {
        let errors = plan_addresses(&catalog(&[(".", ROOT), ("glueless.test.", GLUELESS)]))
            .expect_err("ns.hosting.lab. has no address anywhere");
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 1, "{messages:?}");
        assert!(messages[0].contains("glueless.test."), "{}", messages[0]);
        assert!(messages[0].contains("ns.hosting.lab."), "{}", messages[0]);
    }

    #[test]
    fn address_outside_loopback_is_refused_naming_zone_and_address() {
        let zone = "
'':
  - type: NS
    value: ns.public.test.
ns:
  type: A
  value: 192.0.2.53
";
        let errors = plan_addresses(&catalog(&[("public.test.", zone)]))
            .expect_err("192.0.2.53 is not loopback");
        let message = errors.first().map(ToString::to_string).unwrap_or_default();
        assert!(message.contains("public.test."), "{message}");
        assert!(message.contains("192.0.2.53"), "{message}");
    }

    #[test]
    fn every_problem_is_reported_not_just_the_first() {
        let unresolvable = "
'':
  - type: NS
    value: ns.nowhere.test.
";
        let errors = plan_addresses(&catalog(&[
            ("one.test.", unresolvable),
            ("two.test.", unresolvable),
        ]))
        .expect_err("no address anywhere");
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn shipped_lab_plans_root_and_glueless_zones() {
        let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("../zones/lab");
        let (_, plan) = crate::lab::load_lab(&directory).expect("zones/lab loads and plans");
        assert_eq!(origins(&plan, "127.53.0.1"), ["."]);
        assert_eq!(origins(&plan, "127.53.0.2"), ["."]);
        assert_eq!(
            origins(&plan, "127.53.20.1"),
            ["hosting.lab.", "glueless.test."]
        );
        assert!(plan
            .addresses()
            .all(|address| address.to_string().starts_with("127.53.")));
    }
}
