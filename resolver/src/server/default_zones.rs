//! The zones a resolver answers itself unless told otherwise (RFC 6761, 6303, 7686, 8375, 9462;
//! Unbound's "default zones"): their names, types and data. It decides nothing about overrides.
//!
//! Which groups are on, and which configured names remove a default, is the settings' choice
//! (`DefaultZonePolicy`); the table builder then skips any default that a `local-zone` names.

use hickory_proto::rr::rdata::{A, AAAA, NS, PTR, SOA};
use hickory_proto::rr::{Name, RData, Record};

use crate::server::local_zone_table::LocalZoneType;

/// TTL of the default zones' records: Unbound's 10800 s (3 h), also the SOA's MINIMUM.
const DEFAULT_ZONE_TTL: u32 = 10_800;

/// `localhost.` and the loopback reverse zones (RFC 6761 §6.3, RFC 6303 §4.2-4.3).
const LOOPBACK_REVERSE_V4: &str = "127.in-addr.arpa.";
const LOOPBACK_REVERSE_V6: &str =
    "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.";

/// Special-use names no public server can answer: RFC 8375 home.arpa, RFC 7686 onion, RFC 6761
/// test and invalid, RFC 9462 resolver.arpa, RFC 9665 service.arpa.
pub const SPECIAL_USE_ZONES: &[&str] = &[
    "home.arpa.",
    "onion.",
    "test.",
    "invalid.",
    "resolver.arpa.",
    "service.arpa.",
];

/// RFC 6303 §4 reverse zones of private and reserved space (AS112), Unbound's `as112_zones`.
pub fn private_reverse_zones() -> Vec<String> {
    let mut zones = vec!["10.in-addr.arpa.".to_owned()];
    zones.extend((16..=31).map(|octet| format!("{octet}.172.in-addr.arpa.")));
    zones.push("168.192.in-addr.arpa.".to_owned());
    zones.push("0.in-addr.arpa.".to_owned());
    // RFC 6598 shared address space, 100.64.0.0/10.
    zones.extend((64..=127).map(|octet| format!("{octet}.100.in-addr.arpa.")));
    for zone in [
        "254.169.in-addr.arpa.",
        "2.0.192.in-addr.arpa.",
        "100.51.198.in-addr.arpa.",
        "113.0.203.in-addr.arpa.",
        "255.255.255.255.in-addr.arpa.",
        "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
        "d.f.ip6.arpa.",
        "8.e.f.ip6.arpa.",
        "9.e.f.ip6.arpa.",
        "a.e.f.ip6.arpa.",
        "b.e.f.ip6.arpa.",
        "8.b.d.0.1.0.0.2.ip6.arpa.",
    ] {
        zones.push(zone.to_owned());
    }
    zones
}

/// Which default zones are served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultZonePolicy {
    /// 127.in-addr.arpa and the ::1 reverse zone (`localhost.` is always served).
    pub loopback_reverse: bool,
    /// home.arpa, onion, test, invalid, resolver.arpa, service.arpa.
    pub special_use: bool,
    /// The AS112 reverse zones (Unbound's `unblock-lan-zones: yes` turns them off).
    pub private_reverse: bool,
    /// A default zone at or below one of these names is not served: the operator sent that
    /// namespace somewhere (a forward zone, a YAML zone). Never the root.
    pub removed_below: Vec<Name>,
}

impl Default for DefaultZonePolicy {
    fn default() -> Self {
        DefaultZonePolicy {
            loopback_reverse: true,
            special_use: true,
            private_reverse: true,
            removed_below: Vec::new(),
        }
    }
}

/// One default zone: its name, type and records.
pub type DefaultZone = (Name, LocalZoneType, Vec<Record>);

/// The default zones `policy` keeps, each with Unbound's content.
pub fn default_zones(policy: &DefaultZonePolicy) -> Vec<DefaultZone> {
    let mut zones = Vec::new();
    let removed = |name: &Name| {
        policy
            .removed_below
            .iter()
            .any(|suffix| !suffix.is_root() && suffix.zone_of(name))
    };
    let mut add = |text: &str, zone_type: LocalZoneType, extra: Vec<(&str, RData)>| {
        let Ok(name) = Name::from_ascii(text) else {
            return;
        };
        if removed(&name) {
            return;
        }
        let mut records = apex_records(&name);
        for (owner, data) in extra {
            if let Ok(owner) = Name::from_ascii(owner) {
                records.push(Record::from_rdata(owner, DEFAULT_ZONE_TTL, data));
            }
        }
        zones.push((name, zone_type, records));
    };
    let localhost = Name::from_ascii("localhost.").unwrap_or_else(|_| Name::root());
    add(
        "localhost.",
        LocalZoneType::Redirect,
        vec![
            ("localhost.", RData::A(A::new(127, 0, 0, 1))),
            ("localhost.", RData::AAAA(AAAA::new(0, 0, 0, 0, 0, 0, 0, 1))),
        ],
    );
    if policy.loopback_reverse {
        add(
            LOOPBACK_REVERSE_V4,
            LocalZoneType::Static,
            vec![(
                "1.0.0.127.in-addr.arpa.",
                RData::PTR(PTR(localhost.clone())),
            )],
        );
        add(
            LOOPBACK_REVERSE_V6,
            LocalZoneType::Static,
            vec![(LOOPBACK_REVERSE_V6, RData::PTR(PTR(localhost)))],
        );
    }
    if policy.special_use {
        for zone in SPECIAL_USE_ZONES {
            add(zone, LocalZoneType::Static, Vec::new());
        }
    }
    if policy.private_reverse {
        for zone in private_reverse_zones() {
            add(&zone, LocalZoneType::Static, Vec::new());
        }
    }
    zones
}

/// Unbound's apex NS and SOA for every default zone: `localhost.` serves it, nobody answers mail.
fn apex_records(name: &Name) -> Vec<Record> {
    let localhost = Name::from_ascii("localhost.").unwrap_or_else(|_| Name::root());
    let mailbox = Name::from_ascii("nobody.invalid.").unwrap_or_else(|_| Name::root());
    let soa = SOA::new(
        localhost.clone(),
        mailbox,
        1,
        3_600,
        1_200,
        604_800,
        DEFAULT_ZONE_TTL,
    );
    vec![
        Record::from_rdata(name.clone(), DEFAULT_ZONE_TTL, RData::NS(NS(localhost))),
        Record::from_rdata(name.clone(), DEFAULT_ZONE_TTL, RData::SOA(soa)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(policy: &DefaultZonePolicy) -> Vec<String> {
        default_zones(policy)
            .into_iter()
            .map(|(name, _, _)| name.to_string())
            .collect()
    }

    #[test]
    fn all_groups_by_default_and_the_as112_list_has_unbounds_size() {
        let all = names(&DefaultZonePolicy::default());
        assert!(all.contains(&"localhost.".to_owned()));
        assert!(all.contains(&"test.".to_owned()));
        assert!(all.contains(&"16.172.in-addr.arpa.".to_owned()));
        // Unbound's util/as112.c lists 95 zones.
        assert_eq!(private_reverse_zones().len(), 95);
        assert_eq!(all.len(), 3 + SPECIAL_USE_ZONES.len() + 95);
    }

    #[test]
    fn a_forwarded_namespace_removes_the_defaults_below_it_but_the_root_removes_none() {
        let policy = DefaultZonePolicy {
            removed_below: vec![Name::from_ascii("in-addr.arpa.").unwrap(), Name::root()],
            ..DefaultZonePolicy::default()
        };
        let kept = names(&policy);
        assert!(!kept.iter().any(|name| name.ends_with(".in-addr.arpa.")));
        assert!(kept.contains(&"test.".to_owned()));
        assert!(kept.contains(&"d.f.ip6.arpa.".to_owned()));
    }

    #[test]
    fn loopback_zones_stay_when_the_other_groups_are_off() {
        let localhost_only = DefaultZonePolicy {
            loopback_reverse: false,
            special_use: false,
            private_reverse: false,
            removed_below: Vec::new(),
        };
        assert_eq!(names(&localhost_only), ["localhost."]);
        let policy = DefaultZonePolicy {
            loopback_reverse: true,
            special_use: false,
            private_reverse: false,
            removed_below: Vec::new(),
        };
        assert_eq!(
            names(&policy),
            ["localhost.", LOOPBACK_REVERSE_V4, LOOPBACK_REVERSE_V6]
        );
    }
}
