//! The cold-walk lab: a root, a few TLDs and a few hundred domains on several loopback addresses,
//! some delegated without glue, some with CNAMEs into other TLDs; master files for NSD, root hints,
//! and the list of names to resolve. Pure text generation: it starts nothing.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// The lab's top-level domains (not real TLDs; Unbound has no local zone for them).
pub const TOP_LEVEL_DOMAINS: [&str; 5] = ["alpha", "bravo", "charlie", "delta", "echo"];

/// Domain servers: the domains are spread over this many addresses, as many hosting providers.
const DOMAIN_SERVER_COUNT: u8 = 8;

/// Every fifth domain is delegated glueless to a name under `nshost.<next TLD>`.
const GLUELESS_EVERY: u32 = 5;

/// Every tenth domain holds a CNAME into a domain of another TLD.
const CROSS_CNAME_EVERY: u32 = 10;

/// Names asked in each domain: www, then `alias` where there is one, then h1, h2, ...: 5 × 200
/// domains = the 1,000 names of the benchmark's resolver list.
const HOST_NAMES_PER_DOMAIN: u32 = 5;

/// TTL of the lab's records: far longer than a walk, so nothing expires during a measurement.
const TTL: u32 = 86_400;

#[derive(Clone, Debug)]
pub struct LabZone {
    /// Absolute, e.g. `d7.bravo.`; `.` for the root.
    pub origin: String,
    pub file_name: String,
    pub text: String,
    /// The one address that serves this zone. Every address gets its own server holding only
    /// its zones: a server that held every zone would answer any name authoritatively at the
    /// root's address, and no resolver would ever see a referral.
    pub server: Ipv4Addr,
}

#[derive(Clone, Debug)]
pub struct Lab {
    pub zones: Vec<LabZone>,
    /// Every address NSD must listen on.
    pub addresses: Vec<Ipv4Addr>,
    /// named.root format.
    pub root_hints: String,
    /// Distinct names to resolve, shuffled.
    pub names: Vec<String>,
}

/// Addresses under `127.<second>.0.0/16`.
struct Plan {
    second: u8,
}

impl Plan {
    fn root(&self) -> Ipv4Addr {
        Ipv4Addr::new(127, self.second, 1, 1)
    }
    fn top_level(&self, index: usize) -> Ipv4Addr {
        Ipv4Addr::new(127, self.second, 1, 2 + index as u8)
    }
    fn domain_server(&self, domain: u32) -> Ipv4Addr {
        Ipv4Addr::new(
            127,
            self.second,
            2,
            1 + (domain % u32::from(DOMAIN_SERVER_COUNT)) as u8,
        )
    }
    fn name_host_server(&self, index: usize) -> Ipv4Addr {
        Ipv4Addr::new(127, self.second, 3, 1 + index as u8)
    }
}

fn top_level_of(domain: u32) -> usize {
    domain as usize % TOP_LEVEL_DOMAINS.len()
}

fn domain_name(domain: u32) -> String {
    format!("d{domain}.{}.", TOP_LEVEL_DOMAINS[top_level_of(domain)])
}

fn soa(origin: &str) -> String {
    let (server, mailbox) = match origin {
        "." => ("a.root.".to_string(), "hostmaster.root.".to_string()),
        _ => (format!("ns.{origin}"), format!("hostmaster.{origin}")),
    };
    format!("$ORIGIN {origin}\n$TTL {TTL}\n@ IN SOA {server} {mailbox} 1 3600 900 604800 {TTL}\n")
}

/// The glueless domain's name server: under `nshost.` of the next TLD, served by that zone.
fn glueless_server_name(domain: u32) -> (String, usize) {
    let host_top_level = (top_level_of(domain) + 1) % TOP_LEVEL_DOMAINS.len();
    (
        format!("ns{domain}.nshost.{}.", TOP_LEVEL_DOMAINS[host_top_level]),
        host_top_level,
    )
}

fn is_glueless(domain: u32) -> bool {
    domain.is_multiple_of(GLUELESS_EVERY)
}

fn cross_cname_target(domain: u32, domains: u32) -> Option<String> {
    // Seven on: always a different TLD since 7 is not a multiple of the TLD count.
    (domain % CROSS_CNAME_EVERY == 3)
        .then(|| format!("www.{}", domain_name((domain + 7) % domains)))
}

pub fn generate(domains: u32, second_octet: u8, seed: u64) -> Lab {
    let plan = Plan {
        second: second_octet,
    };
    let mut zones = Vec::new();

    let mut root = soa(".");
    root.push_str(&format!(". IN NS a.root.\na.root. IN A {}\n", plan.root()));
    for (index, top_level) in TOP_LEVEL_DOMAINS.iter().enumerate() {
        root.push_str(&format!(
            "{top_level}. IN NS ns.{top_level}.\nns.{top_level}. IN A {}\n",
            plan.top_level(index)
        ));
    }
    zones.push(LabZone {
        origin: ".".into(),
        file_name: "root.zone".into(),
        text: root,
        server: plan.root(),
    });

    for (index, top_level) in TOP_LEVEL_DOMAINS.iter().enumerate() {
        let origin = format!("{top_level}.");
        let mut text = soa(&origin);
        text.push_str(&format!(
            "@ IN NS ns.{origin}\nns IN A {}\n",
            plan.top_level(index)
        ));
        text.push_str(&format!(
            "nshost IN NS ns.nshost.{origin}\nns.nshost IN A {}\n",
            plan.name_host_server(index)
        ));
        for domain in (0..domains).filter(|domain| top_level_of(*domain) == index) {
            let label = format!("d{domain}");
            if is_glueless(domain) {
                text.push_str(&format!(
                    "{label} IN NS {}\n",
                    glueless_server_name(domain).0
                ));
            } else {
                text.push_str(&format!(
                    "{label} IN NS ns1.{label}.{origin}\nns1.{label} IN A {}\n",
                    plan.domain_server(domain)
                ));
            }
        }
        zones.push(LabZone {
            origin: origin.clone(),
            file_name: format!("{top_level}.zone"),
            text,
            server: plan.top_level(index),
        });

        let host_origin = format!("nshost.{origin}");
        let mut host_zone = soa(&host_origin);
        host_zone.push_str(&format!(
            "@ IN NS ns.{host_origin}\nns IN A {}\n",
            plan.name_host_server(index)
        ));
        for domain in (0..domains).filter(|domain| is_glueless(*domain)) {
            let (server, host_top_level) = glueless_server_name(domain);
            if host_top_level == index {
                host_zone.push_str(&format!("{server} IN A {}\n", plan.domain_server(domain)));
            }
        }
        zones.push(LabZone {
            origin: host_origin,
            file_name: format!("nshost.{top_level}.zone"),
            text: host_zone,
            server: plan.name_host_server(index),
        });
    }

    let mut names = Vec::new();
    for domain in 0..domains {
        let origin = domain_name(domain);
        let mut text = soa(&origin);
        if is_glueless(domain) {
            text.push_str(&format!("@ IN NS {}\n", glueless_server_name(domain).0));
        } else {
            text.push_str(&format!(
                "@ IN NS ns1.{origin}\nns1 IN A {}\n",
                plan.domain_server(domain)
            ));
        }
        let _ = writeln!(text, "www IN A 192.0.2.{}", domain % 250 + 1);
        names.push(format!("www.{origin}"));
        let mut hosts = HOST_NAMES_PER_DOMAIN - 1;
        if let Some(target) = cross_cname_target(domain, domains) {
            let _ = writeln!(text, "alias IN CNAME {target}");
            names.push(format!("alias.{origin}"));
            hosts -= 1;
        }
        for host in 1..=hosts {
            let _ = writeln!(text, "h{host} IN A 198.51.100.{}", host);
            names.push(format!("h{host}.{origin}"));
        }
        zones.push(LabZone {
            origin: origin.clone(),
            file_name: format!("{}zone", origin),
            text,
            server: plan.domain_server(domain),
        });
    }
    names.shuffle(&mut StdRng::seed_from_u64(seed));

    let mut addresses = vec![plan.root()];
    addresses.extend((0..TOP_LEVEL_DOMAINS.len()).map(|index| plan.top_level(index)));
    addresses.extend((0..TOP_LEVEL_DOMAINS.len()).map(|index| plan.name_host_server(index)));
    addresses.extend((0..u32::from(DOMAIN_SERVER_COUNT)).map(|domain| plan.domain_server(domain)));

    let root_hints = format!(
        "; Root hints of the bench lab.\n.  3600000  NS  a.root.\na.root.  3600000  A  {}\n",
        plan.root()
    );
    Lab {
        zones,
        addresses,
        root_hints,
        names,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_hundred_domains_give_a_thousand_distinct_names() {
        let lab = generate(200, 80, 1);
        let mut names = lab.names.clone();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 1000);
        assert_eq!(lab.zones.len(), 1 + 2 * TOP_LEVEL_DOMAINS.len() + 200);
    }

    #[test]
    fn every_zone_is_served_by_one_lab_address_and_the_root_by_the_hint() {
        let lab = generate(200, 80, 1);
        assert!(lab
            .zones
            .iter()
            .all(|zone| lab.addresses.contains(&zone.server)));
        let root = lab.zones.iter().find(|zone| zone.origin == ".");
        let root_server = root.map(|zone| zone.server.to_string()).unwrap_or_default();
        assert!(lab.root_hints.contains(&root_server), "{}", lab.root_hints);
        let alpha = lab.zones.iter().find(|zone| zone.origin == "alpha.");
        assert!(alpha.is_some_and(|zone| zone.server != root.map_or(zone.server, |r| r.server)));
    }

    #[test]
    fn glueless_domain_has_no_glue_in_its_parent() {
        let lab = generate(10, 80, 1);
        let alpha = lab
            .zones
            .iter()
            .find(|zone| zone.origin == "alpha.")
            .map(|zone| zone.text.clone());
        let alpha = alpha.unwrap_or_default();
        assert!(alpha.contains("d0 IN NS ns0.nshost.bravo."));
        assert!(!alpha.contains("ns1.d0"));
    }
}
