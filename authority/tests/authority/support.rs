//! Helpers shared by the authority tests: zones from inline YAML, queries through the whole
//! bytes-in/bytes-out path, and readable views of the sections.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use authority::answer::handler::answer_packet;
use authority::catalog::zones::Catalog;
use authority::listen::Protocol;
use authority::zone::build::build_zone;
use authority::zone::error::ZoneError;
use authority::zone::prepared::Zone;
use authority::zone::yaml_zone::{parse_origin, read_zone_text};
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, Record, RecordType};

/// Loads `text` as zone `origin`, as if read from `<origin>.yaml`.
pub fn load(origin: &str, text: &str) -> Result<Zone, Vec<ZoneError>> {
    let origin_name = parse_origin(origin).expect("origin");
    let path = format!("{origin}.yaml");
    let read = read_zone_text(text, Path::new(&path), &origin_name)?;
    build_zone(read)
}

/// The zone as a master file for a peer to serve: a signed zone with its signatures and its
/// NSEC/NSEC3 chain (`--print-signed`), an unsigned one in presentation form.
pub fn peer_master_file(zone: &Zone) -> String {
    match zone
        .dnssec
        .as_ref()
        .and_then(|dnssec| dnssec.chain.as_ref())
    {
        Some(_) => authority::dnssec::master::signed_master_file(zone),
        None => authority::zone::master_file::to_master_file(zone),
    }
}

pub fn catalog(zones: &[(&str, &str)]) -> Catalog {
    Catalog::new(zones.iter().map(|(origin, text)| {
        Arc::new(
            load(origin, text).unwrap_or_else(|errors| panic!("zone {origin} failed: {errors:?}")),
        )
    }))
}

/// The errors of a zone that must fail, as `(line, message)`.
pub fn errors(origin: &str, text: &str) -> Vec<(u64, String)> {
    match load(origin, text) {
        Ok(_) => panic!("zone {origin} loaded but should have failed"),
        Err(errors) => errors
            .into_iter()
            .map(|error| (error.line, error.kind.to_string()))
            .collect(),
    }
}

pub fn query_bytes(name: &str, record_type: RecordType, edns_size: Option<u16>) -> Vec<u8> {
    let mut message = Message::new(0x4242, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = true;
    message.queries.push(Query::query(
        Name::from_ascii(name).expect("name"),
        record_type,
    ));
    if let Some(size) = edns_size {
        let mut edns = Edns::new();
        edns.set_max_payload(size);
        message.edns = Some(edns);
    }
    message.to_vec().expect("encode")
}

/// Asks `catalog` over UDP without EDNS.
pub fn ask(catalog: &Catalog, name: &str, record_type: RecordType) -> Message {
    ask_with(catalog, name, record_type, None, Protocol::Udp)
}

pub fn ask_with(
    catalog: &Catalog,
    name: &str,
    record_type: RecordType,
    edns_size: Option<u16>,
    protocol: Protocol,
) -> Message {
    let bytes = answer_packet(
        catalog,
        &query_bytes(name, record_type, edns_size),
        protocol,
    )
    .expect("a response");
    Message::from_vec(&bytes).expect("decodable response")
}

/// `owner TYPE` for each record, lowercased, for compact assertions.
pub fn section(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|record| format!("{} {}", record.name.to_lowercase(), record.record_type()))
        .collect()
}

/// `owner TTL TYPE RDATA` for each record.
pub fn full(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|record| {
            format!(
                "{} {} {} {}",
                record.name.to_lowercase(),
                record.ttl,
                record.record_type(),
                record.data
            )
        })
        .collect()
}

pub fn assert_header(message: &Message, response_code: ResponseCode, authoritative: bool) {
    assert_eq!(
        message.metadata.response_code, response_code,
        "rcode of {message:?}"
    );
    assert_eq!(
        message.metadata.authoritative, authoritative,
        "AA of {message:?}"
    );
    assert_eq!(message.metadata.message_type, MessageType::Response);
    assert_eq!(message.metadata.id, 0x4242);
    assert!(!message.metadata.truncation, "TC set in {message:?}");
}

/// A small zone with every answer case, used by most answer tests.
pub const EXAMPLE: &str = r#"
'':
  - type: NS
    values: [ns1.example.test., ns2.example.test.]
  - type: SOA
    ttl: 7200
    value: {mname: ns1.example.test., rname: hostmaster.example.test., serial: 7, refresh: 3600, retry: 600, expire: 86400, minimum: 120}
  - type: MX
    value: {preference: 10, exchange: mail.example.test.}
  - type: A
    value: 192.0.2.1
ns1: {type: A, value: 192.0.2.53}
ns2: {type: AAAA, value: '2001:db8::53'}
mail: {type: A, value: 192.0.2.25}
www: {type: CNAME, value: web}
web: {type: A, values: [192.0.2.80, 192.0.2.81]}
loop1: {type: CNAME, value: loop2}
loop2: {type: CNAME, value: loop1}
gone: {type: CNAME, value: missing.example.test.}
away: {type: CNAME, value: www.other.test.}
outside: {type: CNAME, value: www.example.org.}
_sip._udp: {type: SRV, value: {priority: 1, weight: 2, port: 5060, target: sip.example.test.}}
sip: {type: A, value: 192.0.2.60}
a.b.c: {type: TXT, value: deep}
'*.wild':
  - {type: A, value: 192.0.2.99}
  - {type: MX, value: {preference: 5, exchange: mail.example.test.}}
host.wild: {type: TXT, value: real}
'*.cname-wild': {type: CNAME, value: web.example.test.}
sub:
  - type: NS
    values: [ns.sub.example.test., ns.elsewhere.example.]
  - {type: DS, value: '12345 8 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF'}
ns.sub: {type: A, value: 192.0.2.200}
"#;

pub const OTHER: &str = r#"
'': {type: NS, value: ns1.example.test.}
www: {type: A, value: 198.51.100.1}
"#;

/// `skipped: TEST: WHY` on stderr and, when `DNS_TESTS_SKIP_LOG` names a file, appended to it:
/// the line `.ci/run` counts, as the e2e harness's `record_skip` (tests/src/tools.rs) writes it
/// (cargo test hides a passing test's output, so the file is what is counted).
pub fn record_skip(why: &str) {
    use std::io::Write;
    let thread = std::thread::current();
    let line = format!(
        "skipped: {}: {why}\n",
        thread.name().unwrap_or("unnamed test")
    );
    eprint!("{line}");
    if let Some(path) = std::env::var_os("DNS_TESTS_SKIP_LOG") {
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(error) = appended {
            panic!("cannot record a skip in {path:?}: {error}");
        }
    }
}
