//! Unbound's `auth-zone` with `for-downstream: yes` (`services/authzone.c`, `auth_zones_answer`):
//! a client asking a name whose closest auth zone is one of these gets the zone's own answer
//! (RFC 1034 §4.3.2, from the authority crate), AA=1 and never AD. It never resolves.

use std::fmt;
use std::sync::Arc;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use authority::answer::handler::answer_packet;
use authority::catalog::zones::Catalog;
use authority::listen::Protocol as AuthorityProtocol;

/// The loaded for-downstream auth zones, and which name is which kind of auth zone.
#[derive(Clone)]
pub struct DownstreamAuthZones {
    catalog: Arc<Catalog>,
    /// Every loaded auth zone and whether it is for downstream: the closest one decides, so a
    /// for-upstream zone below a downstream one takes its names back (Unbound
    /// `auth_zones_find_zone`).
    zones: Vec<(Name, bool)>,
    /// The same zones' names in lowercase wire form, for `answers_wire`.
    zone_wires: Vec<(Vec<u8>, bool)>,
    /// The SOA of each zone whose file had no apex NS: the NS made up for the authority crate
    /// (`NS <origin>`) is taken out of every answer, as Unbound never had one.
    without_ns: Vec<Record>,
}

impl fmt::Debug for DownstreamAuthZones {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("DownstreamAuthZones")
            .field("zones", &self.zones)
            .finish()
    }
}

impl DownstreamAuthZones {
    /// `catalog` holds the downstream zones; `zones` names every loaded auth zone with whether
    /// it is for downstream.
    pub fn new(
        catalog: Catalog,
        zones: Vec<(Name, bool)>,
        without_ns: Vec<Record>,
    ) -> DownstreamAuthZones {
        let zone_wires = zones
            .iter()
            .filter_map(|(name, downstream)| {
                let mut wire = Vec::new();
                crate::wire_name::write_name(&mut wire, name)?;
                wire.make_ascii_lowercase();
                Some((wire, *downstream))
            })
            .collect();
        DownstreamAuthZones {
            catalog: Arc::new(catalog),
            zones,
            zone_wires,
            without_ns,
        }
    }

    /// The downstream zones' names (`list_local_zones`).
    pub fn names(&self) -> Vec<Name> {
        self.zones
            .iter()
            .filter(|(_, downstream)| *downstream)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Whether `name` (class IN, type `record_type`) is answered from a downstream zone: its
    /// closest auth zone is one (for DS, the closest above the name: the parent side's).
    pub fn answers(&self, name: &Name, record_type: RecordType) -> bool {
        let name = if record_type == RecordType::DS && !name.is_root() {
            name.base_name()
        } else {
            name.clone()
        };
        self.zones
            .iter()
            .filter(|(zone, _)| zone.zone_of(&name))
            .max_by_key(|(zone, _)| zone.num_labels())
            .is_some_and(|(_, downstream)| *downstream)
    }

    /// `answers` for a name in wire form (any case), without allocating: the daemon's wire
    /// fast path asks it before reading the cache.
    pub fn answers_wire(&self, wire: &[u8], record_type: RecordType) -> bool {
        let mut start = 0;
        if record_type == RecordType::DS {
            match wire.first() {
                Some(&length) if length != 0 => start = 1 + usize::from(length),
                _ => {}
            }
        }
        let Some(name) = wire.get(start..) else {
            return false;
        };
        let mut closest: Option<(usize, bool)> = None;
        for (zone, downstream) in &self.zone_wires {
            if ends_with_name(name, zone) && closest.is_none_or(|(length, _)| zone.len() > length) {
                closest = Some((zone.len(), *downstream));
            }
        }
        closest.is_some_and(|(_, downstream)| downstream)
    }

    /// The zone's answer to `request`, as the authority would send it (AA=1, RA clear: the
    /// caller sets RA for clients that may recurse), or `None` when no downstream zone answers.
    pub fn answer(&self, request: &Message) -> Option<Message> {
        let query = request.queries.first()?;
        if query.query_class() != DNSClass::IN || !self.answers(query.name(), query.query_type()) {
            return None;
        }
        let bytes = request.to_vec().ok()?;
        // TCP: no size limit here; the daemon's encoder fits the answer to the client.
        let answer = answer_packet(&self.catalog, &bytes, AuthorityProtocol::Tcp)?;
        let mut response = crate::opaque_rdata::decode_keeping_opaque(&answer).ok()?;
        response.metadata.authentic_data = false;
        without_zone_nameservers(&mut response);
        self.without_made_up_ns(&mut response);
        Some(response)
    }

    /// Takes the stand-in `NS <origin>` out; an NS question at such an apex becomes NODATA
    /// with the SOA (RFC 2308 §3: its TTL capped by the SOA minimum).
    fn without_made_up_ns(&self, response: &mut Message) {
        for soa in &self.without_ns {
            let made_up = |record: &Record| {
                record.name == soa.name
                    && (record.record_type() == RecordType::NS
                        || covered_type(record) == Some(RecordType::NS))
            };
            let had_answers = !response.answers.is_empty();
            response.answers.retain(|record| !made_up(record));
            response.authorities.retain(|record| !made_up(record));
            let soa_present = response
                .authorities
                .iter()
                .any(|record| record.record_type() == RecordType::SOA);
            if had_answers
                && response.answers.is_empty()
                && response.metadata.response_code == ResponseCode::NoError
                && !soa_present
            {
                let mut negative = soa.clone();
                if let RData::SOA(data) = &soa.data {
                    negative.ttl = negative.ttl.min(data.minimum);
                }
                response.authorities.push(negative);
            }
        }
    }
}

/// Unbound's auth zones answer minimally: a positive answer carries no NS RRset in authority
/// (the authority crate adds the zone's, NSD-style) nor the addresses of those servers.
fn without_zone_nameservers(response: &mut Message) {
    if response.metadata.response_code != ResponseCode::NoError || response.answers.is_empty() {
        return;
    }
    let is_ns = |record: &Record| {
        record.record_type() == RecordType::NS || covered_type(record) == Some(RecordType::NS)
    };
    let servers: Vec<Name> = response
        .authorities
        .iter()
        .filter_map(|record| match &record.data {
            RData::NS(ns) => Some(ns.0.clone()),
            _ => None,
        })
        .collect();
    if servers.is_empty() {
        return;
    }
    response.authorities.retain(|record| !is_ns(record));
    // Addresses an answer record still points at (MX, SRV, NS answers) stay.
    let wanted: Vec<Name> = response
        .answers
        .iter()
        .filter_map(|record| match &record.data {
            RData::NS(ns) => Some(ns.0.clone()),
            RData::MX(mx) => Some(mx.exchange.clone()),
            RData::SRV(srv) => Some(srv.target.clone()),
            _ => None,
        })
        .collect();
    response
        .additionals
        .retain(|record| !servers.contains(&record.name) || wanted.contains(&record.name));
}

/// Whether wire name `name` (any case) is at or below `zone` (lowercase wire): a suffix that
/// starts at a label boundary.
fn ends_with_name(name: &[u8], zone: &[u8]) -> bool {
    let mut position = 0;
    while let Some(&length) = name.get(position) {
        if name.len() - position == zone.len() {
            return name
                .get(position..)
                .is_some_and(|suffix| suffix.eq_ignore_ascii_case(zone));
        }
        if length == 0 || name.len() - position < zone.len() {
            return false;
        }
        position += 1 + usize::from(length);
    }
    false
}

/// The type an RRSIG covers; `None` for other records.
fn covered_type(record: &Record) -> Option<RecordType> {
    crate::dnssec::signature::rrsig_of(record).map(|rrsig| rrsig.input().type_covered)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use hickory_proto::op::{MessageType, OpCode, Query};

    use crate::auth_zone::{AuthZoneSource, AuthZoneUse, AuthZones};

    use super::*;

    const WITH_NS: &str = "$ORIGIN corp.example.\n$TTL 3600\n\
        @ SOA ns hostmaster 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.53\n\
        www A 192.0.2.80\n";
    const WITHOUT_NS: &str = "$ORIGIN bare.example.\n@ 3600 SOA a b 1 2 3 4 5\n@ TXT \"hello\"\n";
    const INNER: &str = "$ORIGIN inner.corp.example.\n@ 3600 SOA a b 1 2 3 4 5\n@ TXT \"up\"\n";

    fn source(name: &str, text: &str, usage: AuthZoneUse) -> AuthZoneSource {
        AuthZoneSource {
            name: Name::from_ascii(name).unwrap(),
            file: PathBuf::from(format!("{name}zone")),
            text: Some(text.to_owned()),
            usage,
        }
    }

    fn downstream() -> AuthZoneUse {
        AuthZoneUse {
            for_downstream: true,
            for_upstream: false,
            fallback: false,
        }
    }

    fn zones() -> DownstreamAuthZones {
        AuthZones::load(&[
            source("corp.example.", WITH_NS, downstream()),
            source("bare.example.", WITHOUT_NS, downstream()),
            source("inner.corp.example.", INNER, AuthZoneUse::default()),
        ])
        .unwrap()
        .downstream
        .unwrap()
    }

    fn ask(zones: &DownstreamAuthZones, name: &str, record_type: RecordType) -> Option<Message> {
        let mut request = Message::new(9, MessageType::Query, OpCode::Query);
        request.metadata.recursion_desired = true;
        request.add_query(Query::query(Name::from_ascii(name).unwrap(), record_type));
        zones.answer(&request)
    }

    #[test]
    fn a_name_in_the_zone_is_answered_authoritatively_without_the_zone_nameservers() {
        let answer = ask(&zones(), "www.corp.example.", RecordType::A).unwrap();
        assert!(answer.metadata.authoritative);
        assert_eq!(answer.answers.len(), 1);
        assert!(answer.authorities.is_empty(), "{answer:?}");
        assert!(answer.additionals.is_empty(), "{answer:?}");
    }

    #[test]
    fn a_missing_name_is_nxdomain_with_the_soa() {
        let answer = ask(&zones(), "nothere.corp.example.", RecordType::A).unwrap();
        assert_eq!(answer.metadata.response_code, ResponseCode::NXDomain);
        assert!(answer.metadata.authoritative);
        assert_eq!(answer.authorities[0].record_type(), RecordType::SOA);
    }

    #[test]
    fn an_upstream_zone_below_a_downstream_one_takes_its_names_back() {
        let zones = zones();
        assert!(ask(&zones, "inner.corp.example.", RecordType::TXT).is_none());
        assert!(ask(&zones, "elsewhere.example.", RecordType::A).is_none());
        // DS of the inner zone is the parent side's: the downstream zone answers it.
        assert!(ask(&zones, "inner.corp.example.", RecordType::DS).is_some());
    }

    #[test]
    fn the_wire_check_agrees_with_the_name_check() {
        let zones = zones();
        for (name, record_type) in [
            ("www.corp.example.", RecordType::A),
            ("WWW.Corp.Example.", RecordType::A),
            ("corp.example.", RecordType::DS),
            ("inner.corp.example.", RecordType::TXT),
            ("inner.corp.example.", RecordType::DS),
            ("xcorp.example.", RecordType::A),
            ("example.", RecordType::A),
            (".", RecordType::DS),
        ] {
            let name = Name::from_ascii(name).unwrap();
            let mut wire = Vec::new();
            crate::wire_name::write_name(&mut wire, &name).unwrap();
            assert_eq!(
                zones.answers_wire(&wire, record_type),
                zones.answers(&name, record_type),
                "{name} {record_type}"
            );
        }
    }

    #[test]
    fn a_zone_without_apex_ns_answers_nodata_for_ns_and_shows_no_made_up_record() {
        let zones = zones();
        let servers = ask(&zones, "bare.example.", RecordType::NS).unwrap();
        assert_eq!(servers.metadata.response_code, ResponseCode::NoError);
        assert!(servers.answers.is_empty(), "{servers:?}");
        assert_eq!(servers.authorities[0].record_type(), RecordType::SOA);
        assert_eq!(servers.authorities[0].ttl, 5, "capped by the SOA minimum");
        let text = ask(&zones, "bare.example.", RecordType::TXT).unwrap();
        assert_eq!(text.answers.len(), 1);
        assert!(text.authorities.is_empty(), "{text:?}");
    }

    #[test]
    fn a_zone_that_fails_to_load_is_left_out_with_fallback_and_an_error_without() {
        let broken = |fallback| {
            AuthZones::load(&[source(
                "broken.example.",
                "not a zone file",
                AuthZoneUse {
                    fallback,
                    ..downstream()
                },
            )])
        };
        let loaded = broken(true).unwrap();
        assert!(loaded.downstream.is_none() && loaded.upstream.is_none());
        let error = broken(false).unwrap_err();
        assert!(error.to_string().contains("broken.example.zone"), "{error}");
    }
}
