//! The response policy at work, as Unbound's rpz and respip modules: before resolution the
//! client-IP and QNAME triggers of each policy zone in order (the first match wins); after it,
//! the addresses of the answer against `response-ip`, then each zone's `rpz-ip` triggers.
//!
//! Flow: request → `before` (answer | drop | alias | resolve) → resolution (cache, or stale:
//! filtered alike) → `after` (rewrite the answer | drop | send) → the daemon's other rules.

use std::net::IpAddr;

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::opt::EdnsOption;
use hickory_proto::rr::rdata::CNAME;
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::limits::MAX_RESPONSE_IP_RULES;
use crate::policy::action::{response_ip_action, ActionOverride, PolicyAction};
use crate::policy::prefix_table::PrefixTable;
use crate::policy::rpz_zone::{RpzZone, RpzZoneError};
use crate::policy::settings::{PolicySettings, ZoneText};
use crate::replay::record_text::parse_record;
use crate::response::response_skeleton;
use crate::server::access::Cidr;
use crate::server::local_zone_table::{null_record, unquote};

/// RFC 8914 §2 and §4.16: the EDE option, and code 15 "Blocked" for answers a policy made.
const EDNS_OPTION_EXTENDED_ERROR: u16 = 15;
const EXTENDED_ERROR_BLOCKED: u16 = 15;

/// TTL of a CNAME made by `rpz-cname-override` (Unbound `new_cname_override`).
const CNAME_OVERRIDE_TTL: u32 = 3_600;

/// The loaded policy: `response-ip` rules and policy zones, in order.
#[derive(Clone, Debug, Default)]
pub struct ResponsePolicy {
    response_ips: PrefixTable<PolicyAction>,
    zones: Vec<RpzZone>,
}

/// What to do with a request before it is resolved.
#[derive(Debug)]
pub enum BeforeResolution {
    /// Resolve it; `rpz_passthru` (a passthru trigger matched) skips the zones' `rpz-ip`
    /// triggers afterwards.
    Resolve { rpz_passthru: bool },
    /// This response (answered by the policy). Its TC flag (`rpz-tcp-only` over UDP) is to be
    /// set on the encoded message: the encoder sets TC only for what it cuts.
    Answer(Message),
    /// Send nothing.
    Drop,
    /// Resolve the CNAME's target and answer with the CNAME in front, as Unbound's local alias
    /// (the daemon and the runner chase it as a `LocalAlias`).
    Alias(Record),
}

/// What to do with a resolved response.
#[derive(Debug, PartialEq, Eq)]
pub enum AfterResolution {
    Send,
    /// Send with TC=1 (`rpz-tcp-only` over UDP): the encoder sets TC only for what it cuts, so
    /// the caller sets the bit on the encoded message.
    SendTruncated,
    Drop,
}

/// Where a matched rule came from, for the log line and the EDE text.
struct Source<'a> {
    /// The zone, or `None` for a `response-ip` rule.
    zone: Option<&'a RpzZone>,
    /// The trigger kind word Unbound logs before the rule (`clientip`, `respip`), or none for
    /// QNAME triggers.
    kind: &'static str,
    rule: String,
}

impl Source<'_> {
    fn name(&self) -> String {
        self.zone
            .map_or_else(|| "response-ip".to_owned(), RpzZone::log_name)
    }

    /// Unbound `log_rpz_apply`: `rpz: applied [NAME] [KIND ]RULE ACTION CLIENT QNAME QTYPE
    /// QCLASS`, when the zone logs; `inform` rules always log.
    fn log(&self, action: &PolicyAction, request: &Message, client: Option<IpAddr>) {
        let logs = match self.zone {
            Some(zone) => zone.options.log,
            None => matches!(action, PolicyAction::Inform | PolicyAction::InformDeny),
        };
        if !logs {
            tracing::debug!(policy = %self.name(), rule = %self.rule, action = action.word(), "policy rule applied");
            return;
        }
        let client = client.map_or_else(|| "-".to_owned(), |address| address.to_string());
        let (qname, qtype, qclass) = request.queries.first().map_or_else(
            || ("-".to_owned(), "-".to_owned(), "-".to_owned()),
            |query| {
                (
                    query.name().to_string(),
                    query.query_type().to_string(),
                    query.query_class().to_string(),
                )
            },
        );
        let kind = if self.kind.is_empty() {
            String::new()
        } else {
            format!("{} ", self.kind)
        };
        tracing::info!(
            "rpz: applied [{}] {kind}{} {} {client} {qname} {qtype} {qclass}",
            self.name(),
            self.rule,
            action.word()
        );
    }
}

/// Everything wrong with the settings, each with its origin.
#[derive(Debug, Default)]
pub struct PolicyError {
    pub errors: Vec<String>,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}", self.errors.join("\n"))
    }
}

impl std::error::Error for PolicyError {}

impl ResponsePolicy {
    /// Reads the zones and rules; every problem is reported.
    pub fn build(settings: &PolicySettings) -> Result<ResponsePolicy, PolicyError> {
        let mut errors = Vec::new();
        let mut policy = ResponsePolicy::default();
        for source in &settings.zones {
            let loaded = match &source.zone {
                ZoneText::File(file) => RpzZone::read(
                    &source.name,
                    file,
                    source.options.clone(),
                    settings.max_records,
                ),
                ZoneText::Inline { text, file } => RpzZone::load(
                    &source.name,
                    text,
                    file,
                    source.options.clone(),
                    settings.max_records,
                ),
            };
            match loaded {
                Ok(zone) => {
                    tracing::debug!(
                        zone = %zone.name,
                        triggers = zone.trigger_count(),
                        skipped_nsdname_nsip = zone.skipped_triggers,
                        "rpz: policy zone loaded"
                    );
                    policy.zones.push(zone);
                }
                Err(RpzZoneError { file, reason }) => {
                    errors.push(format!("{}: rpz {}: {reason}", file.display(), source.name))
                }
            }
        }
        if settings.response_ip.len() + settings.response_ip_data.len() > MAX_RESPONSE_IP_RULES {
            errors.push(format!(
                "response-ip: more than {MAX_RESPONSE_IP_RULES} lines"
            ));
            return Err(PolicyError { errors });
        }
        for line in &settings.response_ip {
            let text = unquote(&line.text);
            let parsed = split_rule(text).and_then(|(cidr, action)| {
                let cidr = cidr.parse::<Cidr>().map_err(|error| error.to_string())?;
                let action =
                    response_ip_action(unquote(action)).map_err(|error| error.to_string())?;
                Ok((cidr, action))
            });
            match parsed {
                Ok((cidr, action)) => {
                    if !policy
                        .response_ips
                        .insert(cidr.network(), cidr.prefix_length(), action)
                    {
                        errors.push(format!("{}: response-ip: {cidr} given twice", line.origin));
                    }
                }
                Err(reason) => {
                    errors.push(format!("{}: response-ip {text:?}: {reason}", line.origin))
                }
            }
        }
        for line in &settings.response_ip_data {
            let text = unquote(&line.text);
            let parsed = split_rule(text).and_then(|(cidr, record)| {
                let cidr = cidr.parse::<Cidr>().map_err(|error| error.to_string())?;
                // Unbound `respip_enter_rr`: the owner is left out and "." put in front.
                let record = parse_record(&format!(". {}", unquote(record)))
                    .map_err(|error| error.to_string())?;
                Ok((cidr, record))
            });
            let (cidr, record) = match parsed {
                Ok(found) => found,
                Err(reason) => {
                    errors.push(format!(
                        "{}: response-ip-data {text:?}: {reason}",
                        line.origin
                    ));
                    continue;
                }
            };
            let (network, length) = (cidr.network(), cidr.prefix_length());
            // Data without a response-ip line is a redirect (Unbound does the same).
            if policy.response_ips.get_mut(network, length).is_none() {
                policy
                    .response_ips
                    .insert(network, length, PolicyAction::LocalData(Box::new([])));
            }
            match policy.response_ips.get_mut(network, length) {
                Some(PolicyAction::LocalData(data)) => {
                    let mut records = std::mem::take(data).into_vec();
                    records.push(record);
                    *data = records.into();
                }
                _ => errors.push(format!(
                    "{}: response-ip-data for {cidr}, whose response-ip action is not redirect",
                    line.origin
                )),
            }
        }
        if errors.is_empty() {
            Ok(policy)
        } else {
            Err(PolicyError { errors })
        }
    }

    /// Nothing configured: every request passes untouched.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty() && self.response_ips.is_empty()
    }

    pub fn zone_count(&self) -> usize {
        self.zones.len()
    }

    /// The triggers of all zones and the response-ip rules (the start and reload log lines).
    pub fn rule_count(&self) -> usize {
        self.response_ips.len() + self.zones.iter().map(RpzZone::trigger_count).sum::<usize>()
    }

    /// The client-IP and QNAME triggers (Unbound `rpz_callback_from_worker_request`): per zone
    /// in order, the client's address first, then the name.
    pub fn before(
        &self,
        request: &Message,
        client: Option<IpAddr>,
        over_udp: bool,
    ) -> BeforeResolution {
        let Some(query) = request.queries.first() else {
            return BeforeResolution::Resolve {
                rpz_passthru: false,
            };
        };
        if self.zones.is_empty() {
            return BeforeResolution::Resolve {
                rpz_passthru: false,
            };
        }
        let qname = query.name().to_lowercase();
        for zone in &self.zones {
            let client_match = client.and_then(|address| {
                zone.client_ip_match(address)
                    .map(|(action, length)| (action, prefix_text(address, length)))
            });
            let (own, source) = match client_match {
                Some((action, rule)) => (
                    action,
                    Source {
                        zone: Some(zone),
                        kind: "clientip",
                        rule,
                    },
                ),
                None => match zone.qname_match(&qname) {
                    Some(found) => (
                        found.action,
                        Source {
                            zone: Some(zone),
                            kind: "",
                            rule: found.trigger.to_string(),
                        },
                    ),
                    None => continue,
                },
            };
            let action = match &zone.options.action_override {
                None => own.clone(),
                Some(ActionOverride::Action(action)) => action.clone(),
                Some(ActionOverride::Disabled) => {
                    source.log(own, request, client);
                    continue;
                }
                Some(ActionOverride::Cname(target)) => {
                    let cname = Record::from_rdata(
                        query.name().clone(),
                        CNAME_OVERRIDE_TTL,
                        RData::CNAME(CNAME(target.clone())),
                    );
                    source.log(&PolicyAction::LocalData(Box::new([])), request, client);
                    return BeforeResolution::Alias(cname);
                }
            };
            source.log(&action, request, client);
            return answer_before(request, &action, &source, over_udp);
        }
        BeforeResolution::Resolve {
            rpz_passthru: false,
        }
    }

    /// The response-IP triggers (Unbound `respip_rewrite_reply`): for A, AAAA and ANY
    /// questions, the answer's addresses against `response-ip` first, then against each zone's
    /// `rpz-ip` triggers (skipped after a passthru QNAME trigger). A stale answer is judged the
    /// same as a fresh one: the cache keeps what the servers said, the policy acts per answer.
    pub fn after(
        &self,
        request: &Message,
        response: &mut Message,
        client: Option<IpAddr>,
        over_udp: bool,
        rpz_passthru: bool,
    ) -> AfterResolution {
        if self.is_empty() {
            return AfterResolution::Send;
        }
        let mut rpz_passthru = rpz_passthru;
        if !rpz_passthru {
            match self.cname_targets(request, response, client, over_udp) {
                ChainVerdict::Untouched => {}
                ChainVerdict::Passthru => rpz_passthru = true,
                ChainVerdict::Done(after) => return after,
            }
        }
        let asks_addresses = request.queries.first().is_some_and(|query| {
            matches!(
                query.query_type(),
                RecordType::A | RecordType::AAAA | RecordType::ANY
            )
        });
        if !asks_addresses {
            return AfterResolution::Send;
        }
        if let Some((index, action, rule)) = first_hit(&response.answers, &self.response_ips) {
            let source = Source {
                zone: None,
                kind: "respip",
                rule,
            };
            source.log(action, request, client);
            return rewrite(response, index, action, &source, over_udp);
        }
        if rpz_passthru {
            return AfterResolution::Send;
        }
        for zone in self
            .zones
            .iter()
            .filter(|zone| zone.has_response_ip_triggers())
        {
            let Some((index, own, rule)) = first_hit_in_zone(&response.answers, zone) else {
                continue;
            };
            let source = Source {
                zone: Some(zone),
                kind: "respip",
                rule,
            };
            let action = match &zone.options.action_override {
                None => own.clone(),
                Some(ActionOverride::Action(action)) => action.clone(),
                Some(ActionOverride::Disabled) => {
                    source.log(own, request, client);
                    continue;
                }
                Some(ActionOverride::Cname(target)) => {
                    let owner = response
                        .answers
                        .get(index)
                        .map_or_else(Name::root, |record| record.name.clone());
                    PolicyAction::LocalData(Box::new([Record::from_rdata(
                        owner,
                        CNAME_OVERRIDE_TTL,
                        RData::CNAME(CNAME(target.clone())),
                    )]))
                }
            };
            source.log(&action, request, client);
            return rewrite(response, index, &action, &source, over_udp);
        }
        AfterResolution::Send
    }
}

/// What the QNAME triggers made of a CNAME chain.
enum ChainVerdict {
    Untouched,
    /// A passthru trigger matched a target: later zones' triggers are not consulted.
    Passthru,
    Done(AfterResolution),
}

impl ResponsePolicy {
    /// QNAME triggers on the targets of the answer's CNAME chain (Unbound
    /// `rpz_callback_from_iterator_cname`): in chain order, each zone in order; the chain up to
    /// the matched target stays, the action answers for the target.
    fn cname_targets(
        &self,
        request: &Message,
        response: &mut Message,
        client: Option<IpAddr>,
        over_udp: bool,
    ) -> ChainVerdict {
        let Some(query) = request.queries.first() else {
            return ChainVerdict::Untouched;
        };
        let targets: Vec<(usize, Name)> = response
            .answers
            .iter()
            .enumerate()
            .filter_map(|(index, record)| match &record.data {
                RData::CNAME(target) => Some((index, target.0.to_lowercase())),
                _ => None,
            })
            .collect();
        for (index, target) in targets {
            for zone in &self.zones {
                let Some(found) = zone.qname_match(&target) else {
                    continue;
                };
                let source = Source {
                    zone: Some(zone),
                    kind: "",
                    rule: found.trigger.to_string(),
                };
                let action = match &zone.options.action_override {
                    None => found.action.clone(),
                    Some(ActionOverride::Action(action)) => action.clone(),
                    Some(ActionOverride::Disabled) => {
                        source.log(found.action, request, client);
                        continue;
                    }
                    Some(ActionOverride::Cname(name)) => {
                        PolicyAction::LocalData(Box::new([Record::from_rdata(
                            target.clone(),
                            CNAME_OVERRIDE_TTL,
                            RData::CNAME(CNAME(name.clone())),
                        )]))
                    }
                };
                source.log(&action, request, client);
                let keep = index + 1;
                let cut = |response: &mut Message, code: ResponseCode| {
                    response.answers.truncate(keep);
                    response.authorities.clear();
                    response.additionals.clear();
                    response.metadata.response_code = code;
                    response.metadata.authentic_data = false;
                };
                match &action {
                    PolicyAction::Passthru => return ChainVerdict::Passthru,
                    PolicyAction::Inform => return ChainVerdict::Untouched,
                    PolicyAction::TcpOnly if !over_udp => return ChainVerdict::Untouched,
                    PolicyAction::Drop | PolicyAction::InformDeny => {
                        return ChainVerdict::Done(AfterResolution::Drop)
                    }
                    PolicyAction::TcpOnly => {
                        cut(response, ResponseCode::NoError);
                        response.answers.clear();
                        response.metadata.truncation = true;
                        return ChainVerdict::Done(AfterResolution::SendTruncated);
                    }
                    PolicyAction::NxDomain => {
                        cut(response, ResponseCode::NXDomain);
                        mark_blocked(response, &source);
                    }
                    PolicyAction::NoData | PolicyAction::Null => {
                        cut(response, ResponseCode::NoError);
                        mark_blocked(response, &source);
                    }
                    PolicyAction::Refuse => {
                        cut(response, ResponseCode::Refused);
                        response.answers.clear();
                        mark_blocked(response, &source);
                    }
                    PolicyAction::LocalData(data) => {
                        cut(response, ResponseCode::NoError);
                        let qtype = query.query_type();
                        let of_type: Vec<&Record> = data
                            .iter()
                            .filter(|record| {
                                qtype == RecordType::ANY || record.record_type() == qtype
                            })
                            .collect();
                        let chosen: Vec<&Record> = if of_type.is_empty() {
                            data.iter()
                                .filter(|record| record.record_type() == RecordType::CNAME)
                                .take(1)
                                .collect()
                        } else {
                            of_type
                        };
                        for record in chosen {
                            let mut record = record.clone();
                            record.name = target.clone();
                            response.answers.push(record);
                        }
                    }
                }
                signal_nxdomain(response, &source);
                return ChainVerdict::Done(AfterResolution::Send);
            }
        }
        ChainVerdict::Untouched
    }
}

/// `CIDR ACTION`, `CIDR "RR"`, or the flags' `CIDR=...`.
fn split_rule(text: &str) -> Result<(&str, &str), String> {
    let text = text.trim();
    let (cidr, rest) = match text.split_once('=') {
        Some((cidr, rest)) if !cidr.contains(char::is_whitespace) => (cidr, rest),
        _ => text
            .split_once(char::is_whitespace)
            .ok_or_else(|| "expected CIDR and a value".to_owned())?,
    };
    Ok((cidr.trim(), rest.trim()))
}

fn prefix_text(address: IpAddr, length: u8) -> String {
    format!("{address}/{length}")
}

/// The address of an A or AAAA record.
fn address_of(record: &Record) -> Option<IpAddr> {
    match &record.data {
        RData::A(a) => Some(IpAddr::V4(a.0)),
        RData::AAAA(aaaa) => Some(IpAddr::V6(aaaa.0)),
        _ => None,
    }
}

/// The first address record a table holds: (index of its RRset's first record, action, rule).
fn first_hit<'a>(
    answers: &[Record],
    table: &'a PrefixTable<PolicyAction>,
) -> Option<(usize, &'a PolicyAction, String)> {
    if table.is_empty() {
        return None;
    }
    answers.iter().enumerate().find_map(|(index, record)| {
        let address = address_of(record)?;
        let (action, length) = table.lookup(address)?;
        Some((
            rrset_start(answers, index),
            action,
            prefix_text(address, length),
        ))
    })
}

fn first_hit_in_zone<'a>(
    answers: &[Record],
    zone: &'a RpzZone,
) -> Option<(usize, &'a PolicyAction, String)> {
    answers.iter().enumerate().find_map(|(index, record)| {
        let address = address_of(record)?;
        let (action, length) = zone.response_ip_match(address)?;
        Some((
            rrset_start(answers, index),
            action,
            prefix_text(address, length),
        ))
    })
}

/// The index of the first record of the RRset `answers[index]` belongs to.
fn rrset_start(answers: &[Record], index: usize) -> usize {
    let Some(record) = answers.get(index) else {
        return index;
    };
    answers
        .iter()
        .position(|other| other.name == record.name && other.record_type() == record.record_type())
        .unwrap_or(index)
}

/// RFC 8914 §4.16 EDE 15 "Blocked", naming the policy, for a client that speaks EDNS.
fn mark_blocked(response: &mut Message, source: &Source<'_>) {
    if let Some(edns) = response.edns.as_mut() {
        let mut data = EXTENDED_ERROR_BLOCKED.to_be_bytes().to_vec();
        data.extend_from_slice(format!("blocked by {}", source.name()).as_bytes());
        edns.options_mut()
            .insert(EdnsOption::Unknown(EDNS_OPTION_EXTENDED_ERROR, data));
    }
}

/// rpz-signal-nxdomain-ra: RA cleared on the NXDOMAIN answers of that zone.
fn signal_nxdomain(response: &mut Message, source: &Source<'_>) {
    let signals = source
        .zone
        .is_some_and(|zone| zone.options.signal_nxdomain_ra);
    if signals && response.metadata.response_code == ResponseCode::NXDomain {
        response.metadata.recursion_available = false;
    }
}

/// A response made by the policy before resolution (AA set, as Unbound's local zone answers).
fn answer_before(
    request: &Message,
    action: &PolicyAction,
    source: &Source<'_>,
    over_udp: bool,
) -> BeforeResolution {
    let made = |code: ResponseCode| {
        let mut response = response_skeleton(request, code);
        response.metadata.authoritative = true;
        response
    };
    let blocked = |code: ResponseCode| {
        let mut response = made(code);
        mark_blocked(&mut response, source);
        signal_nxdomain(&mut response, source);
        BeforeResolution::Answer(response)
    };
    match action {
        PolicyAction::Passthru => BeforeResolution::Resolve { rpz_passthru: true },
        PolicyAction::Inform => BeforeResolution::Resolve {
            rpz_passthru: false,
        },
        PolicyAction::NxDomain => blocked(ResponseCode::NXDomain),
        PolicyAction::NoData => blocked(ResponseCode::NoError),
        PolicyAction::Refuse => blocked(ResponseCode::Refused),
        PolicyAction::Drop | PolicyAction::InformDeny => BeforeResolution::Drop,
        PolicyAction::TcpOnly if over_udp => {
            let mut response = made(ResponseCode::NoError);
            response.metadata.truncation = true;
            BeforeResolution::Answer(response)
        }
        PolicyAction::TcpOnly => BeforeResolution::Resolve {
            rpz_passthru: false,
        },
        PolicyAction::Null => {
            let mut response = made(ResponseCode::NoError);
            if let Some(query) = request.queries.first() {
                response.answers.extend(null_record(
                    query.name().clone(),
                    query.query_type(),
                    3_600,
                ));
            }
            BeforeResolution::Answer(response)
        }
        PolicyAction::LocalData(records) => {
            let Some(query) = request.queries.first() else {
                return BeforeResolution::Drop;
            };
            let qtype = query.query_type();
            let renamed = |record: &Record| {
                let mut record = record.clone();
                record.name = query.name().clone();
                record
            };
            if qtype != RecordType::CNAME {
                if let Some(cname) = records
                    .iter()
                    .find(|record| record.record_type() == RecordType::CNAME)
                {
                    return BeforeResolution::Alias(renamed(cname));
                }
            }
            let mut response = made(ResponseCode::NoError);
            response.answers = records
                .iter()
                .filter(|record| qtype == RecordType::ANY || record.record_type() == qtype)
                .map(renamed)
                .collect();
            if response.answers.is_empty() {
                mark_blocked(&mut response, source);
            }
            BeforeResolution::Answer(response)
        }
    }
}

/// Rewrites a resolved response whose answer RRset at `index` matched (Unbound
/// `respip_nodata_answer`, `respip_data_answer`): the records before it (a CNAME chain) stay,
/// the rest of the answer and the other sections go.
fn rewrite(
    response: &mut Message,
    index: usize,
    action: &PolicyAction,
    source: &Source<'_>,
    over_udp: bool,
) -> AfterResolution {
    let (owner, matched_type) = match response.answers.get(index) {
        Some(record) => (record.name.clone(), record.record_type()),
        None => return AfterResolution::Send,
    };
    let cut = |response: &mut Message, code: ResponseCode| {
        response.answers.truncate(index);
        response.authorities.clear();
        response.additionals.clear();
        response.metadata.response_code = code;
        response.metadata.authentic_data = false;
    };
    match action {
        PolicyAction::Passthru | PolicyAction::Inform => return AfterResolution::Send,
        PolicyAction::Drop | PolicyAction::InformDeny => return AfterResolution::Drop,
        PolicyAction::TcpOnly if !over_udp => return AfterResolution::Send,
        PolicyAction::TcpOnly => {
            cut(response, ResponseCode::NoError);
            response.answers.clear();
            response.metadata.truncation = true;
            return AfterResolution::SendTruncated;
        }
        PolicyAction::NxDomain => {
            cut(response, ResponseCode::NXDomain);
            mark_blocked(response, source);
        }
        PolicyAction::NoData => {
            cut(response, ResponseCode::NoError);
            mark_blocked(response, source);
        }
        PolicyAction::Refuse => {
            cut(response, ResponseCode::Refused);
            response.answers.clear();
            mark_blocked(response, source);
        }
        PolicyAction::Null => {
            for record in response.answers.iter_mut().skip(index) {
                if record.name == owner && record.record_type() == matched_type {
                    if let Some(null) = null_record(owner.clone(), matched_type, record.ttl) {
                        *record = null;
                    }
                }
            }
            response.metadata.authentic_data = false;
        }
        PolicyAction::LocalData(data) => {
            cut(response, ResponseCode::NoError);
            let of_type: Vec<&Record> = data
                .iter()
                .filter(|record| record.record_type() == matched_type)
                .collect();
            let chosen: Vec<&Record> = if of_type.is_empty() {
                data.iter()
                    .filter(|record| record.record_type() == RecordType::CNAME)
                    .take(1)
                    .collect()
            } else {
                of_type
            };
            let added = !chosen.is_empty();
            for record in chosen {
                let mut record = record.clone();
                record.name = owner.clone();
                response.answers.push(record);
            }
            if !added {
                mark_blocked(response, source);
            }
        }
    }
    signal_nxdomain(response, source);
    AfterResolution::Send
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
