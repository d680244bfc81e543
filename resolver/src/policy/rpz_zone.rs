//! One RPZ policy zone (draft-vixie-dnsop-dns-rpz §4), read from an RFC 1035 zone file by
//! hickory's parser into lookup tables: QNAME triggers (exact and `*.` wildcards) in hash maps,
//! `rpz-ip` and `rpz-client-ip` triggers in prefix tables. Built at load; never scanned per query.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use hickory_proto::rr::{Name, Record, RecordType};
use hickory_proto::serialize::txt::Parser;

use crate::limits::MAX_RPZ_FILE_BYTES;
use crate::policy::action::{ActionOverride, PolicyAction};
use crate::policy::prefix_table::PrefixTable;

/// The TTL of a record written without one before any `$TTL` (Unbound's zone reader default).
const DEFAULT_TTL: u32 = 3_600;

/// How one zone's matches are handled beyond their own action.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RpzOptions {
    /// `rpz-action-override`.
    pub action_override: Option<ActionOverride>,
    /// `rpz-log`: one info line per applied rule.
    pub log: bool,
    /// `rpz-log-name`: the name in that line (default: the zone's name).
    pub log_name: Option<String>,
    /// `rpz-signal-nxdomain-ra`: RA cleared on the NXDOMAIN answers this zone makes, so a
    /// forwarder can tell a policy NXDOMAIN from a real one.
    pub signal_nxdomain_ra: bool,
}

/// Why a policy zone could not be loaded; names the file.
#[derive(Debug)]
pub struct RpzZoneError {
    pub file: PathBuf,
    pub reason: String,
}

impl fmt::Display for RpzZoneError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: rpz: {}", self.file.display(), self.reason)
    }
}

impl std::error::Error for RpzZoneError {}

/// The triggers of one policy zone.
#[derive(Clone, Debug)]
pub struct RpzZone {
    pub name: Name,
    pub options: RpzOptions,
    /// The zone's SOA, if it has one.
    pub soa: Option<Record>,
    /// Exact QNAME triggers, by lowercase absolute name.
    qnames: HashMap<Name, PolicyAction>,
    /// `*.NAME` triggers, by lowercase NAME: they hold the names below NAME, not NAME itself.
    wildcards: HashMap<Name, PolicyAction>,
    response_ips: PrefixTable<PolicyAction>,
    client_ips: PrefixTable<PolicyAction>,
    /// NSDNAME and NSIP triggers read and not applied (the log line at load says so).
    pub skipped_triggers: usize,
}

/// A QNAME match: the trigger as written (for the log), and its action.
pub struct QnameMatch<'a> {
    pub trigger: Name,
    pub action: &'a PolicyAction,
}

enum TriggerName {
    Qname(Name),
    Wildcard(Name),
    ResponseIp(IpAddr, u8),
    ClientIp(IpAddr, u8),
    Skipped,
}

impl RpzZone {
    /// Reads the file (at most `MAX_RPZ_FILE_BYTES`), then `load`.
    pub fn read(
        name: &Name,
        file: &Path,
        options: RpzOptions,
        max_records: usize,
    ) -> Result<RpzZone, RpzZoneError> {
        let text = crate::bounded_file::read_text(file, MAX_RPZ_FILE_BYTES).map_err(|reason| {
            RpzZoneError {
                file: file.to_path_buf(),
                reason,
            }
        })?;
        RpzZone::load(name, &text, file, options, max_records)
    }

    /// Reads the zone text: every record below `name` is a trigger, at most `max_records` of
    /// them. A trigger whose records name no valid action is skipped with a warning, as Unbound.
    pub fn load(
        name: &Name,
        text: &str,
        file: &Path,
        options: RpzOptions,
        max_records: usize,
    ) -> Result<RpzZone, RpzZoneError> {
        let error = |reason: String| RpzZoneError {
            file: file.to_path_buf(),
            reason,
        };
        if text.len() > MAX_RPZ_FILE_BYTES {
            return Err(error(format!(
                "{} bytes, more than {MAX_RPZ_FILE_BYTES}",
                text.len()
            )));
        }
        let mut origin = name.to_lowercase();
        origin.set_fqdn(true);
        let parse =
            |text: &str| Parser::new(text, Some(file.to_path_buf()), Some(origin.clone())).parse();
        // A record before any $TTL or SOA gets Unbound's default TTL (its zone reader's 3600)
        // instead of an error; that retry reads a line more, so its errors are reported as is.
        let (_, rrsets) = match parse(text) {
            Ok(parsed) => parsed,
            Err(first) if first.to_string().contains("ttl not specified") => {
                parse(&format!("$TTL {DEFAULT_TTL}\n{text}"))
                    .map_err(|parse| error(parse.to_string()))?
            }
            Err(first) => return Err(error(first.to_string())),
        };
        let mut soa = None;
        let mut count = 0usize;
        let mut zone = RpzZone {
            name: origin.clone(),
            options,
            soa: None,
            qnames: HashMap::new(),
            wildcards: HashMap::new(),
            response_ips: PrefixTable::default(),
            client_ips: PrefixTable::default(),
            skipped_triggers: 0,
        };
        // The parser's map is ordered by owner, then type: one owner's records are adjacent and
        // become one trigger as soon as the next owner starts (no second copy of the zone).
        let mut owner_records: Option<(Name, Vec<Record>)> = None;
        for record in rrsets.into_values().flat_map(|rrset| rrset.into_iter()) {
            count += 1;
            if count > max_records {
                return Err(error(format!(
                    "more than {max_records} records (rpz-max-records)"
                )));
            }
            let owner = record.name.to_lowercase();
            if !origin.zone_of(&owner) {
                continue;
            }
            match record.record_type() {
                RecordType::SOA if owner == origin => soa = Some(record),
                // Unbound `rpz_type_ignored`: zone apparatus, not policy.
                RecordType::SOA
                | RecordType::NS
                | RecordType::DNAME
                | RecordType::RRSIG
                | RecordType::NSEC
                | RecordType::NSEC3
                | RecordType::NSEC3PARAM
                | RecordType::DNSKEY
                | RecordType::DS => {}
                _ if owner == origin => {}
                _ => match owner_records.as_mut() {
                    Some((current, records)) if *current == owner => records.push(record),
                    _ => {
                        if let Some((previous, records)) = owner_records.take() {
                            zone.add_trigger(&previous, records);
                        }
                        owner_records = Some((owner, vec![record]));
                    }
                },
            }
        }
        if let Some((previous, records)) = owner_records.take() {
            zone.add_trigger(&previous, records);
        }
        zone.soa = soa;
        Ok(zone)
    }

    /// The trigger of one owner name, from all its records.
    fn add_trigger(&mut self, owner: &Name, records: Vec<Record>) {
        let origin = &self.name;
        let Some(action) = PolicyAction::of_records(records) else {
            tracing::warn!(zone = %origin, trigger = %owner, "rpz: no valid action, trigger skipped");
            return;
        };
        let added = match trigger_name(owner, origin) {
            Some(TriggerName::Qname(name)) => self.qnames.insert(name, action).is_none(),
            Some(TriggerName::Wildcard(name)) => self.wildcards.insert(name, action).is_none(),
            Some(TriggerName::ResponseIp(address, length)) => {
                self.response_ips.insert(address, length, action)
            }
            Some(TriggerName::ClientIp(address, length)) => {
                self.client_ips.insert(address, length, action)
            }
            Some(TriggerName::Skipped) => {
                self.skipped_triggers += 1;
                true
            }
            None => {
                tracing::warn!(zone = %origin, trigger = %owner, "rpz: unreadable trigger name, skipped");
                true
            }
        };
        if !added {
            tracing::warn!(zone = %origin, trigger = %owner, "rpz: the same trigger twice, first kept");
        }
    }

    /// How many triggers the zone holds.
    pub fn trigger_count(&self) -> usize {
        self.qnames.len() + self.wildcards.len() + self.response_ips.len() + self.client_ips.len()
    }

    /// The QNAME trigger for `qname` (lowercase): the exact name first, then the closest
    /// wildcard above it (draft §5.2: the most specific wins). Label-count hash probes.
    pub fn qname_match(&self, qname: &Name) -> Option<QnameMatch<'_>> {
        if let Some(action) = self.qnames.get(qname) {
            return Some(QnameMatch {
                trigger: qname.clone(),
                action,
            });
        }
        if self.wildcards.is_empty() {
            return None;
        }
        let mut above = qname.clone();
        while !above.is_root() {
            above = above.base_name();
            if let Some(action) = self.wildcards.get(&above) {
                let trigger = Name::from_ascii("*")
                    .and_then(|star| star.append_name(&above))
                    .unwrap_or_else(|_| above.clone());
                return Some(QnameMatch { trigger, action });
            }
        }
        None
    }

    pub fn response_ip_match(&self, address: IpAddr) -> Option<(&PolicyAction, u8)> {
        self.response_ips.lookup(address)
    }

    pub fn client_ip_match(&self, address: IpAddr) -> Option<(&PolicyAction, u8)> {
        self.client_ips.lookup(address)
    }

    pub fn has_response_ip_triggers(&self) -> bool {
        !self.response_ips.is_empty()
    }

    /// The name this zone's log lines carry.
    pub fn log_name(&self) -> String {
        self.options
            .log_name
            .clone()
            .unwrap_or_else(|| self.name.to_string())
    }
}

/// The trigger an owner name below `origin` stands for (draft §4): `NAME`, `*.NAME`,
/// `LEN.REVERSED-ADDRESS.rpz-ip`, `... .rpz-client-ip`; NSDNAME and NSIP are `Skipped`.
fn trigger_name(owner: &Name, origin: &Name) -> Option<TriggerName> {
    // `num_labels` leaves a leading `*` out: count the labels themselves.
    let relative_count = owner.iter().count().checked_sub(origin.iter().count())?;
    let labels: Vec<&[u8]> = owner.iter().take(relative_count).collect();
    let last = labels.last()?;
    let ip = |kind: fn(IpAddr, u8) -> TriggerName| {
        address_labels(&labels[..labels.len() - 1]).map(|(address, length)| kind(address, length))
    };
    match *last {
        b"rpz-ip" => return ip(TriggerName::ResponseIp),
        b"rpz-client-ip" => return ip(TriggerName::ClientIp),
        b"rpz-nsip" | b"rpz-nsdname" => return Some(TriggerName::Skipped),
        _ => {}
    }
    if labels.first().is_some_and(|first| *first == b"*") {
        let mut base = Name::from_labels(labels.iter().skip(1).copied()).ok()?;
        base.set_fqdn(true);
        return Some(TriggerName::Wildcard(base));
    }
    let mut name = Name::from_labels(labels.iter().copied()).ok()?;
    name.set_fqdn(true);
    Some(TriggerName::Qname(name))
}

/// `LEN.B4.B3.B2.B1` (IPv4) or `LEN.W8...W1` with one `zz` for a run of zero words (IPv6),
/// least significant part first (draft §4.1.1).
fn address_labels(labels: &[&[u8]]) -> Option<(IpAddr, u8)> {
    let (length, parts) = labels.split_first()?;
    let length: u8 = std::str::from_utf8(length).ok()?.parse().ok()?;
    let texts: Vec<&str> = parts
        .iter()
        .map(|part| std::str::from_utf8(part).ok())
        .collect::<Option<_>>()?;
    let decimal = |text: &str| text.bytes().all(|byte| byte.is_ascii_digit()) && !text.is_empty();
    if texts.len() == 4 && texts.iter().all(|text| decimal(text)) && length <= 32 {
        let mut octets = [0u8; 4];
        for (slot, text) in octets.iter_mut().rev().zip(&texts) {
            *slot = text.parse().ok()?;
        }
        return (length >= 1).then_some((IpAddr::V4(Ipv4Addr::from(octets)), length));
    }
    if length > 128 || texts.len() > 8 {
        return None;
    }
    // Most significant word first, `zz` expanded to the missing zero words.
    let words_in_order: Vec<&str> = texts.iter().rev().copied().collect();
    let zeros = words_in_order
        .iter()
        .filter(|word| word.eq_ignore_ascii_case("zz"))
        .count();
    let mut words: Vec<u16> = Vec::with_capacity(8);
    for word in words_in_order {
        if word.eq_ignore_ascii_case("zz") {
            if zeros != 1 {
                return None;
            }
            let run = 8usize.checked_sub(texts.len() - 1)?;
            words.extend(std::iter::repeat_n(0, run));
        } else {
            if word.len() > 4 {
                return None;
            }
            words.push(u16::from_str_radix(word, 16).ok()?);
        }
    }
    let words: [u16; 8] = words.try_into().ok()?;
    Some((IpAddr::V6(Ipv6Addr::from(words)), length))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Name {
        Name::from_ascii(text).unwrap()
    }

    const ZONE: &str = "$ORIGIN rpz.example.\n\
        @ 3600 IN SOA ns.rpz.example. host.rpz.example. 1 3600 600 86400 60\n\
        @ 3600 IN NS ns.rpz.example.\n\
        blocked.test CNAME .\n\
        *.blocked.test CNAME .\n\
        empty.test CNAME *.\n\
        *.ads.test CNAME rpz-drop.\n\
        walled.test A 192.0.2.80\n\
        walled.test TXT \"blocked\"\n\
        alias.test CNAME walled.example.\n\
        24.0.2.0.192.rpz-ip CNAME .\n\
        48.zz.db8.2001.rpz-ip CNAME rpz-drop.\n\
        32.1.2.0.192.rpz-ip CNAME rpz-passthru.\n\
        32.1.0.0.127.rpz-client-ip CNAME rpz-tcp-only.\n\
        ns1.evil.test.rpz-nsdname CNAME .\n\
        bad.test CNAME rpz-bogus.\n";

    fn zone() -> RpzZone {
        RpzZone::load(
            &name("rpz.example."),
            ZONE,
            Path::new("t.rpz"),
            RpzOptions::default(),
            100,
        )
        .unwrap()
    }

    #[test]
    fn qname_triggers_exact_then_closest_wildcard() {
        let zone = zone();
        let action = |qname: &str| {
            zone.qname_match(&name(qname))
                .map(|found| found.action.clone())
        };
        assert_eq!(action("blocked.test."), Some(PolicyAction::NxDomain));
        assert_eq!(action("www.blocked.test."), Some(PolicyAction::NxDomain));
        assert_eq!(action("empty.test."), Some(PolicyAction::NoData));
        assert_eq!(action("a.b.ads.test."), Some(PolicyAction::Drop));
        assert_eq!(action("ads.test."), None);
        assert_eq!(action("bad.test."), None);
        assert_eq!(action("other.test."), None);
        assert!(
            matches!(action("walled.test."), Some(PolicyAction::LocalData(records)) if records.len() == 2)
        );
        let found = zone.qname_match(&name("x.ads.test.")).unwrap();
        assert_eq!(found.trigger.to_string(), "*.ads.test.");
        assert!(zone.soa.is_some());
        assert_eq!(zone.skipped_triggers, 1);
    }

    #[test]
    fn address_triggers_read_reversed_ipv4_and_ipv6_with_zz() {
        let zone = zone();
        let response = |text: &str| {
            zone.response_ip_match(text.parse().unwrap())
                .map(|(action, length)| (action.clone(), length))
        };
        assert_eq!(response("192.0.2.7"), Some((PolicyAction::NxDomain, 24)));
        assert_eq!(response("192.0.2.1"), Some((PolicyAction::Passthru, 32)));
        assert_eq!(response("2001:db8:0:0::5"), Some((PolicyAction::Drop, 48)));
        assert_eq!(response("2001:db9::5"), None);
        assert_eq!(
            zone.client_ip_match("127.0.0.1".parse().unwrap())
                .map(|(action, _)| action.clone()),
            Some(PolicyAction::TcpOnly)
        );
    }

    #[test]
    fn a_zone_past_the_record_bound_is_refused() {
        let error = RpzZone::load(
            &name("rpz.example."),
            ZONE,
            Path::new("t.rpz"),
            RpzOptions::default(),
            3,
        )
        .unwrap_err();
        assert!(error.to_string().contains("rpz-max-records"), "{error}");
    }

    #[test]
    fn address_labels_reject_what_is_no_address() {
        assert!(address_labels(&[b"33", b"1", b"2", b"0", b"192"]).is_none());
        assert!(address_labels(&[b"64", b"zz", b"1", b"zz"]).is_none());
        assert_eq!(
            address_labels(&[b"128", b"1", b"zz", b"2001"]),
            Some(("2001::1".parse().unwrap(), 128))
        );
    }
}
