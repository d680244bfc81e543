//! What the daemon answers or changes itself, around resolution: local zones (configured and
//! default), CH TXT identity and version, and on the way out NSID (RFC 5001), private-address
//! filtering and RRset round-robin. Built once per start or reload; it never resolves.
//!
//! Flow: request → `answer` (identity, local zones: answer | drop | resolve) → resolution →
//! `finish` (private addresses stripped, RRsets rotated, NSID added) → encoding.

use std::fmt;

use hickory_proto::op::{Edns, Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption, NSIDPayload};
use hickory_proto::rr::rdata::svcb::SvcParamValue;
use hickory_proto::rr::rdata::{CNAME, TXT};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::policy::{PolicySettings, ResponsePolicy};
use crate::server::access::Cidr;
use crate::server::client_tags::TagNames;
use crate::server::default_zones::{default_zones, DefaultZonePolicy};
use crate::server::limits::{MAX_NSID_BYTES, MAX_TXT_STRING_BYTES, MAX_UDP_PAYLOAD};
use crate::server::local_alias::LocalAlias;
use crate::server::local_zone_client::ClientView;
use crate::server::local_zone_table::{
    negative_soa, null_record, ConfigLine, LocalLookup, LocalZoneError, LocalZoneTable,
};
use crate::server::plain_query::PlainQuery;
use crate::wire_name::write_name;

/// TTL of an always_null answer: ldns' default TTL for a record written without one (3600 s),
/// what Unbound's local data gets.
const NULL_ANSWER_TTL: u32 = 3_600;

/// RFC 8914: the Extended DNS Error option, and its code 0 "Other Error".
const EDNS_OPTION_EXTENDED_ERROR: u16 = 15;
const EXTENDED_ERROR_OTHER: u16 = 0;

/// The names RFC 4892 §2 and BIND/Unbound answer with the server's identity, and its version.
const IDENTITY_NAMES: [&str; 2] = ["id.server.", "hostname.bind."];
const VERSION_NAMES: [&str; 2] = ["version.bind.", "version.server."];

/// The settings this module acts on, as read from flags, the YAML file or a scenario header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LocalSettings {
    /// `local-zone: NAME TYPE` lines.
    pub zones: Vec<ConfigLine>,
    /// `local-data: "RR"` lines.
    pub data: Vec<ConfigLine>,
    /// `local-data-ptr: "ADDRESS [TTL] NAME"` lines.
    pub pointers: Vec<ConfigLine>,
    pub default_zones: DefaultZonePolicy,
    /// Text for CH TXT id.server/hostname.bind; `None` with `hide_identity` unset: REFUSED.
    pub identity: Option<String>,
    /// Text for CH TXT version.bind/version.server.
    pub version: Option<String>,
    /// Unbound's hide-identity/hide-version; unset means "hidden unless a text is configured".
    pub hide_identity: Option<bool>,
    pub hide_version: Option<bool>,
    /// The NSID as Unbound writes it: hex digits, or `ascii_` and text.
    pub nsid: Option<String>,
    /// `private-address` prefixes and `private-domain` names (DNS rebinding protection).
    pub private_addresses: Vec<ConfigLine>,
    pub private_domains: Vec<ConfigLine>,
    /// Rotate the records of each RRset by the query ID (Unbound's rrset-roundrobin).
    pub rrset_roundrobin: bool,
    /// `define-tag: "NAME [NAME...]"` lines: the tags zones and clients may carry.
    pub define_tags: Vec<ConfigLine>,
    /// `local-zone-tag: ZONE "TAGS"`: the zone is seen only by clients with one of the tags.
    pub zone_tags: Vec<ConfigLine>,
    /// `local-zone-override: ZONE CIDR TYPE`: another type for clients in a netblock.
    pub zone_overrides: Vec<ConfigLine>,
    /// RPZ policy zones and `response-ip` rules (`policy/`).
    pub policy: PolicySettings,
}

/// Why the local settings could not be used; every problem found, each with its origin.
#[derive(Debug, Default)]
pub struct LocalSettingsError {
    pub errors: Vec<String>,
}

impl fmt::Display for LocalSettingsError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.errors.join("\n"))
    }
}

impl std::error::Error for LocalSettingsError {}

/// What to do with a request before resolution.
#[derive(Debug)]
pub enum LocalOutcome {
    /// Not ours: resolve it.
    Resolve,
    /// Send nothing.
    Drop,
    /// This response.
    Answer(Message),
    /// A redirect zone's CNAME for a question of another type: answer the target (its auth
    /// zone, the cache or a resolution) and put the CNAME in front (`local_alias`).
    Alias(Box<LocalAlias>),
}

/// The prepared local answers and response rules.
#[derive(Clone, Debug, Default)]
pub struct LocalAnswers {
    table: LocalZoneTable,
    /// (owner, CH TXT record) for each name that is answered.
    chaos: Vec<(Name, Record)>,
    nsid: Option<Vec<u8>>,
    private_addresses: Vec<Cidr>,
    private_domains: Vec<Name>,
    roundrobin: bool,
    policy: ResponsePolicy,
}

impl LocalAnswers {
    pub fn build(settings: &LocalSettings) -> Result<LocalAnswers, LocalSettingsError> {
        let mut errors = Vec::new();
        let defaults = default_zones(&settings.default_zones);
        let table = match LocalZoneTable::build(
            &settings.zones,
            &settings.data,
            &settings.pointers,
            &defaults,
        ) {
            Ok(table) => table,
            Err(found) => {
                errors.extend(found.iter().map(LocalZoneError::to_string));
                LocalZoneTable::default()
            }
        };
        let mut table = table;
        match TagNames::define(settings.define_tags.iter().map(|line| line.text.as_str())) {
            Ok(names) => errors.extend(
                table
                    .apply_client_rules(&settings.zone_tags, &settings.zone_overrides, &names)
                    .iter()
                    .map(LocalZoneError::to_string),
            ),
            Err(error) => errors.push(format!("define-tag: {error}")),
        }
        let mut chaos = Vec::new();
        let shown = |hide: Option<bool>, text: &Option<String>| match (hide, text) {
            (Some(true), _) | (None, None) => None,
            (_, Some(text)) => Some(text.clone()),
            (Some(false), None) => Some(String::new()),
        };
        let identity = shown(settings.hide_identity, &settings.identity).map(|text| {
            if text.is_empty() {
                // Unbound: an empty identity is the host's name.
                host_name()
            } else {
                text
            }
        });
        let version = shown(settings.hide_version, &settings.version).map(|text| {
            if text.is_empty() {
                format!("resolver {}", env!("CARGO_PKG_VERSION"))
            } else {
                text
            }
        });
        for (text, names) in [(identity, IDENTITY_NAMES), (version, VERSION_NAMES)] {
            let Some(text) = text else { continue };
            for owner in names {
                if let Ok(owner) = Name::from_ascii(owner) {
                    chaos.push((owner.clone(), chaos_txt(owner, &text)));
                }
            }
        }
        let nsid = match &settings.nsid {
            None => None,
            Some(text) => match nsid_octets(text) {
                Some(octets) => Some(octets),
                None => {
                    errors.push(format!(
                        "nsid {text:?}: expected hex digits, or ascii_ and text, at most {MAX_NSID_BYTES} octets"
                    ));
                    None
                }
            },
        };
        let mut private_addresses = Vec::new();
        for line in &settings.private_addresses {
            match line.text.trim().parse::<Cidr>() {
                Ok(cidr) => private_addresses.push(cidr),
                Err(error) => errors.push(format!("{}: private-address: {error}", line.origin)),
            }
        }
        let mut private_domains = Vec::new();
        for line in &settings.private_domains {
            let text = crate::server::local_zone_table::unquote(&line.text);
            match Name::from_ascii(text) {
                Ok(mut name) => {
                    name.set_fqdn(true);
                    private_domains.push(name.to_lowercase());
                }
                Err(_) => errors.push(format!(
                    "{}: private-domain: invalid name {text:?}",
                    line.origin
                )),
            }
        }
        let policy = match ResponsePolicy::build(&settings.policy) {
            Ok(policy) => policy,
            Err(found) => {
                errors.extend(found.errors);
                ResponsePolicy::default()
            }
        };
        if !errors.is_empty() {
            return Err(LocalSettingsError { errors });
        }
        Ok(LocalAnswers {
            policy,
            table,
            chaos,
            nsid,
            private_addresses,
            private_domains,
            roundrobin: settings.rrset_roundrobin,
        })
    }

    /// How many local zones are served (the ready and reload log lines).
    pub fn zone_count(&self) -> usize {
        self.table.zone_count()
    }

    /// `NAME TYPE` for each local zone (unbound-control `list_local_zones`), unsorted.
    pub fn zone_lines(&self) -> Vec<String> {
        self.table
            .zones()
            .map(|zone| {
                format!(
                    "{} {}",
                    crate::dig::presentation::name_text(&zone.name),
                    zone.zone_type.word()
                )
            })
            .collect()
    }

    /// Whether answers are rotated (rrset-roundrobin): the wire fast path applies that rule of
    /// `finish` itself.
    pub fn rotates_rrsets(&self) -> bool {
        self.roundrobin
    }

    /// Whether the wire fast path may answer `query` from the cache: the local zones pass it on,
    /// and no rule of `finish` but the rotation (which it applies) would change the answer.
    /// Allocation-free.
    pub fn leaves_to_cache(&self, query: &PlainQuery<'_>) -> bool {
        self.private_addresses.is_empty()
            && self.policy.is_empty()
            && !self.table.is_client_dependent()
            && self
                .table
                .lookup(query.name(), DNSClass::IN, query.record_type())
                == LocalLookup::Resolve
    }

    /// The response policy (RPZ zones, response-ip rules), applied around resolution.
    pub fn policy(&self) -> &ResponsePolicy {
        &self.policy
    }

    /// The answer the daemon gives itself, if any (Unbound's worker: chaos names, then local
    /// zones).
    pub fn answer(&self, request: &Message) -> LocalOutcome {
        self.answer_for(request, &ClientView::ANYONE)
    }

    /// `answer` for one client: its tags and address may change which zone answers and how.
    pub fn answer_for(&self, request: &Message, client: &ClientView<'_>) -> LocalOutcome {
        let Some(query) = request.queries.first() else {
            return LocalOutcome::Resolve;
        };
        if query.query_class() == DNSClass::CH
            && matches!(query.query_type(), RecordType::TXT | RecordType::ANY)
        {
            if let Some((_, record)) = self.chaos.iter().find(|(owner, _)| owner == query.name()) {
                // Unbound answers these without AA, TTL 0.
                let mut response = local_skeleton(request, ResponseCode::NoError, false);
                response.answers.push(record.clone());
                return LocalOutcome::Answer(response);
            }
        }
        let mut wire = Vec::new();
        if write_name(&mut wire, query.name()).is_none() {
            return LocalOutcome::Resolve;
        }
        match self
            .table
            .lookup_for(&wire, query.query_class(), query.query_type(), client)
        {
            LocalLookup::Resolve => LocalOutcome::Resolve,
            LocalLookup::Drop => LocalOutcome::Drop,
            LocalLookup::Refused => {
                LocalOutcome::Answer(local_skeleton(request, ResponseCode::Refused, true))
            }
            LocalLookup::Data { records, rename } => {
                // Unbound `local_data_answer`: a redirect's CNAME for another type is chased.
                if let ([record], true, false) =
                    (records, rename, query.query_type() == RecordType::CNAME)
                {
                    if record.record_type() == RecordType::CNAME {
                        let mut record = record.clone();
                        match redirect_wildcard_target(&record, query.name()) {
                            Some(Ok(target)) => record.data = RData::CNAME(CNAME(target)),
                            Some(Err(())) => {
                                return LocalOutcome::Answer(too_long_expansion(request));
                            }
                            None => {}
                        }
                        record.name = query.name().clone();
                        if let Some(alias) = LocalAlias::new(record) {
                            return LocalOutcome::Alias(Box::new(alias));
                        }
                    }
                }
                let mut response = local_skeleton(request, ResponseCode::NoError, true);
                let mut answers = Vec::with_capacity(records.len());
                for record in records {
                    let mut record = record.clone();
                    if rename {
                        match redirect_wildcard_target(&record, query.name()) {
                            Some(Ok(target)) => record.data = RData::CNAME(CNAME(target)),
                            Some(Err(())) => {
                                return LocalOutcome::Answer(too_long_expansion(request));
                            }
                            None => {}
                        }
                        record.name = query.name().clone();
                    }
                    answers.push(record);
                }
                response.answers = answers;
                LocalOutcome::Answer(response)
            }
            LocalLookup::Negative { zone, nxdomain } => {
                let code = if nxdomain {
                    ResponseCode::NXDomain
                } else {
                    ResponseCode::NoError
                };
                let mut response = local_skeleton(request, code, true);
                if let Some(soa) = zone.soa() {
                    response.authorities.push(negative_soa(soa));
                }
                LocalOutcome::Answer(response)
            }
            LocalLookup::Null(record_type) => {
                let mut response = local_skeleton(request, ResponseCode::NoError, true);
                response.answers.extend(null_record(
                    query.name().clone(),
                    record_type,
                    NULL_ANSWER_TTL,
                ));
                LocalOutcome::Answer(response)
            }
        }
    }

    /// The rules applied to every resolved response: private addresses stripped (not to local
    /// answers: local data may hold private addresses, as in Unbound), RRsets rotated, NSID.
    pub fn finish(&self, request: &Message, response: &mut Message, resolved: bool) {
        if resolved && !self.private_addresses.is_empty() {
            self.strip_private_addresses(response);
        }
        if self.roundrobin {
            let turn = usize::from(request.metadata.id);
            for section in [
                &mut response.answers,
                &mut response.authorities,
                &mut response.additionals,
            ] {
                rotate_rrsets(section, turn);
            }
        }
        self.add_nsid(request, response);
    }

    /// RFC 5001 §2.1: the NSID goes only to a client that asked for it with an empty option.
    pub fn add_nsid(&self, request: &Message, response: &mut Message) {
        let Some(nsid) = &self.nsid else { return };
        let asked = request
            .edns
            .as_ref()
            .is_some_and(|edns| edns.option(EdnsCode::NSID).is_some());
        if !asked {
            return;
        }
        let Ok(payload) = NSIDPayload::new(nsid.clone()) else {
            return;
        };
        let edns = response.edns.get_or_insert_with(Edns::new);
        edns.options_mut().insert(EdnsOption::NSID(payload));
    }

    /// Unbound `private-address` (`iter_priv.c`): each A or AAAA record of the answer section
    /// pointing at a private prefix is removed, the rest of its RRset kept, unless its owner is
    /// at or below a `private-domain`. What is left (public addresses, a CNAME chain, or
    /// nothing: NOERROR without records) is the answer.
    fn strip_private_addresses(&self, response: &mut Message) {
        let private = |record: &Record| {
            let address = match &record.data {
                RData::A(a) => std::net::IpAddr::V4(a.0),
                RData::AAAA(aaaa) => std::net::IpAddr::V6(aaaa.0),
                _ => return false,
            };
            self.private_addresses
                .iter()
                .any(|cidr| cidr.contains(address))
        };
        let allowed = |name: &Name| {
            self.private_domains
                .iter()
                .any(|domain| domain.zone_of(name))
        };
        // Unbound (RFC 9460 hints): an SVCB or HTTPS record hinting at a private address goes
        // on its own; the rest of its RRset stays.
        let private_hint = |record: &Record| {
            let svcb = match &record.data {
                RData::SVCB(svcb) => svcb,
                RData::HTTPS(https) => &https.0,
                _ => return false,
            };
            svcb.svc_params.iter().any(|(_, value)| {
                let hints: Vec<std::net::IpAddr> = match value {
                    SvcParamValue::Ipv4Hint(hint) => {
                        hint.0.iter().map(|a| std::net::IpAddr::V4(a.0)).collect()
                    }
                    SvcParamValue::Ipv6Hint(hint) => hint
                        .0
                        .iter()
                        .map(|aaaa| std::net::IpAddr::V6(aaaa.0))
                        .collect(),
                    _ => Vec::new(),
                };
                hints.into_iter().any(|address| {
                    self.private_addresses
                        .iter()
                        .any(|cidr| cidr.contains(address))
                })
            })
        };
        response
            .answers
            .retain(|record| !private_hint(record) || allowed(&record.name));
        let before = response.answers.len();
        response
            .answers
            .retain(|record| !private(record) || allowed(&record.name));
        let removed = before - response.answers.len();
        if removed > 0 {
            tracing::debug!(removed, "private-address: answer records removed");
        }
    }
}

/// Unbound's synthesized CNAME (`local_data_answer`): a redirect zone's apex CNAME to
/// `*.target` points each name at the whole question name under `target` (`www.zone` →
/// `www.zone.target`). `None` for any other record; `Err` when the name is too long.
fn redirect_wildcard_target(record: &Record, qname: &Name) -> Option<Result<Name, ()>> {
    let RData::CNAME(target) = &record.data else {
        return None;
    };
    if !target.0.is_wildcard() {
        return None;
    }
    let prefix = Name::from_labels(qname.iter());
    Some(
        prefix
            .and_then(|prefix| prefix.append_name(&target.0.base_name()))
            .map_err(|_| ()),
    )
}

/// RFC 6672 §2.2: the synthesized name would pass 255 octets: YXDOMAIN, with EDE 0 and
/// Unbound's text.
fn too_long_expansion(request: &Message) -> Message {
    let mut response = local_skeleton(request, ResponseCode::YXDomain, true);
    if let Some(edns) = response.edns.as_mut() {
        let mut data = EXTENDED_ERROR_OTHER.to_be_bytes().to_vec();
        data.extend_from_slice(b"DNAME expansion became too large");
        edns.options_mut()
            .insert(EdnsOption::Unknown(EDNS_OPTION_EXTENDED_ERROR, data));
    }
    response
}

/// A response to `request` made here: ID, question, RD and CD copied, QR and RA set, AA as
/// given (local zones are authoritative, Unbound `local_encode`), EDNS answered with DO copied.
fn local_skeleton(request: &Message, code: ResponseCode, authoritative: bool) -> Message {
    let mut response = Message::new(
        request.metadata.id,
        MessageType::Response,
        request.metadata.op_code,
    );
    response.metadata.recursion_desired = request.metadata.recursion_desired;
    response.metadata.checking_disabled = request.metadata.checking_disabled;
    response.metadata.recursion_available = true;
    response.metadata.authoritative = authoritative;
    response.metadata.response_code = code;
    response.queries = request.queries.clone();
    if let Some(client) = &request.edns {
        let mut edns = Edns::new();
        edns.set_max_payload(MAX_UDP_PAYLOAD);
        edns.set_dnssec_ok(client.flags().dnssec_ok);
        response.edns = Some(edns);
    }
    response
}

/// Rotates each run of records with the same owner, type and class by `turn` (the query ID,
/// as Unbound's rrset-roundrobin). In place: no allocation.
pub fn rotate_rrsets(records: &mut [Record], turn: usize) {
    let mut start = 0;
    while start < records.len() {
        let mut end = start + 1;
        while let (Some(first), Some(next)) = (records.get(start), records.get(end)) {
            if next.record_type() != first.record_type()
                || next.dns_class != first.dns_class
                || next.name != first.name
            {
                break;
            }
            end += 1;
        }
        let length = end - start;
        // Signatures are not rotated (Unbound leaves RRSIGs in place).
        let is_signature = records
            .get(start)
            .is_some_and(|record| record.record_type() == RecordType::RRSIG);
        if length > 1 && !is_signature {
            if let Some(run) = records.get_mut(start..end) {
                run.rotate_left(turn % length);
            }
        }
        start = end;
    }
}

/// A TXT record in class CH with TTL 0 (never cached), the text split into 255-octet strings.
fn chaos_txt(owner: Name, text: &str) -> Record {
    let mut strings = Vec::new();
    let mut current = String::new();
    for character in text.chars() {
        if current.len() + character.len_utf8() > MAX_TXT_STRING_BYTES {
            strings.push(std::mem::take(&mut current));
        }
        current.push(character);
    }
    strings.push(current);
    let mut record = Record::from_rdata(owner, 0, RData::TXT(TXT::new(strings)));
    record.dns_class = DNSClass::CH;
    record
}

/// Unbound's `nsid:` syntax: `ascii_` then text, else hex digits.
fn nsid_octets(text: &str) -> Option<Vec<u8>> {
    let text = crate::server::local_zone_table::unquote(text);
    let octets = match text.strip_prefix("ascii_") {
        Some(ascii) => ascii.as_bytes().to_vec(),
        None => {
            if !text.len().is_multiple_of(2) || text.is_empty() {
                return None;
            }
            let mut octets = Vec::with_capacity(text.len() / 2);
            for index in (0..text.len()).step_by(2) {
                octets.push(u8::from_str_radix(text.get(index..index + 2)?, 16).ok()?);
            }
            octets
        }
    };
    (octets.len() <= MAX_NSID_BYTES).then_some(octets)
}

/// The host's name, for an identity left empty (Unbound uses gethostname).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

#[cfg(test)]
#[path = "local_answers_tests.rs"]
mod tests;
