//! `+json`: each message as an RFC 8427 object (member names and order as `kdig +json` prints them:
//! header fields, the first question, the sections with RDATA as text and hex). Builds text; never prints.

use std::fmt::Write as _;
use std::time::SystemTime;

use hickory_proto::op::{Edns, Message, MessageType};
use hickory_proto::rr::rdata::TSIG;
use hickory_proto::rr::{Record, RecordType};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder, NameEncoding};

use crate::dig::exchange::Reply;
use crate::dig::presentation::{
    class_text, name_text, rdata_text, tsig_line, type_text, RecordStyle,
};
use crate::dig::report::{option_wire, section_counts};
use crate::dig::when::format_iso;

/// An object member's name: RFC 8427's fixed names, or `rdata` + a type mnemonic.
pub type Key = std::borrow::Cow<'static, str>;

/// A JSON value whose object members keep their order (RFC 8427 §2 lists them as on the wire).
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Number(u64),
    Text(String),
    Array(Vec<Json>),
    Object(Vec<(Key, Json)>),
}

impl Json {
    fn text(value: impl Into<String>) -> Json {
        Json::Text(value.into())
    }

    /// Two-space indented, as kdig (and serde_json's pretty printer) lay it out.
    pub fn pretty(&self) -> String {
        let mut text = String::new();
        self.write(&mut text, 0);
        text
    }

    fn write(&self, text: &mut String, depth: usize) {
        let pad = |depth: usize| "  ".repeat(depth);
        match self {
            Json::Number(number) => {
                let _ = write!(text, "{number}");
            }
            // serde_json escapes as RFC 8259 §7 requires.
            Json::Text(value) => {
                text.push_str(&serde_json::to_string(value).unwrap_or_else(|_| "\"\"".to_string()))
            }
            Json::Array(items) if items.is_empty() => text.push_str("[]"),
            Json::Array(items) => {
                text.push_str("[\n");
                for (index, item) in items.iter().enumerate() {
                    text.push_str(&pad(depth + 1));
                    item.write(text, depth + 1);
                    text.push_str(if index + 1 < items.len() { ",\n" } else { "\n" });
                }
                text.push_str(&pad(depth));
                text.push(']');
            }
            Json::Object(members) if members.is_empty() => text.push_str("{\n}"),
            Json::Object(members) => {
                text.push_str("{\n");
                for (index, (key, value)) in members.iter().enumerate() {
                    let _ = write!(text, "{}\"{key}\": ", pad(depth + 1));
                    value.write(text, depth + 1);
                    text.push_str(if index + 1 < members.len() {
                        ",\n"
                    } else {
                        "\n"
                    });
                }
                text.push_str(&pad(depth));
                text.push('}');
            }
        }
    }
}

/// RDATA in wire form, names uncompressed (RFC 8427 §2.3 `RDATAHEX`).
fn rdata_wire(record: &Record) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = BinEncoder::new(&mut bytes);
    encoder.set_name_encoding(NameEncoding::Uncompressed);
    if record.data.emit(&mut encoder).is_err() {
        bytes.clear();
    }
    bytes
}

fn hex_upper(bytes: &[u8]) -> String {
    data_encoding::HEXUPPER.encode(bytes)
}

/// The RR members shared by every record: owner, type, class, TTL (RFC 8427 §2.3).
fn record_head(
    name: String,
    record_type: RecordType,
    class: Option<(u16, String)>,
    ttl: u32,
) -> Vec<(Key, Json)> {
    let mut members = vec![
        ("NAME".into(), Json::Text(name)),
        (
            "TYPE".into(),
            Json::Number(u64::from(u16::from(record_type))),
        ),
        ("TYPEname".into(), Json::text(type_text(record_type))),
    ];
    if let Some((number, name)) = class {
        members.push(("CLASS".into(), Json::Number(u64::from(number))));
        members.push(("CLASSname".into(), Json::Text(name)));
    }
    members.push(("TTL".into(), Json::Number(u64::from(ttl))));
    members
}

/// `rdataX`, `RDLENGTH`, `RDATAHEX`: the text member only for a type with a mnemonic.
fn push_rdata(members: &mut Vec<(Key, Json)>, record_type: RecordType, text: String, wire: &[u8]) {
    let mnemonic = type_text(record_type);
    if !mnemonic.starts_with("TYPE") {
        members.push((format!("rdata{mnemonic}").into(), Json::Text(text)));
    }
    members.push(("RDLENGTH".into(), Json::Number(wire.len() as u64)));
    if !wire.is_empty() {
        members.push(("RDATAHEX".into(), Json::Text(hex_upper(wire))));
    }
}

fn record_value(record: &Record) -> Json {
    let class = u16::from(record.dns_class);
    let mut members = record_head(
        name_text(&record.name),
        record.record_type(),
        Some((class, class_text(record.dns_class))),
        record.ttl,
    );
    push_rdata(
        &mut members,
        record.record_type(),
        rdata_text(&record.data),
        &rdata_wire(record),
    );
    Json::Object(members)
}

/// The OPT pseudo-RR as on the wire (RFC 6891 §6.1.2: CLASS is the UDP size, TTL the extended
/// RCODE, version and flags); kdig gives it no CLASSname.
fn opt_value(edns: &Edns) -> Json {
    let flags = if edns.flags().dnssec_ok { 0x8000u32 } else { 0 };
    let ttl = (u32::from(edns.rcode_high()) << 24) | (u32::from(edns.version()) << 16) | flags;
    let mut members = record_head(".".to_string(), RecordType::OPT, None, ttl);
    members.insert(
        3,
        ("CLASS".into(), Json::Number(u64::from(edns.max_payload()))),
    );
    let mut wire = Vec::new();
    for (_, option) in &edns.options().options {
        let (code, bytes) = option_wire(option);
        wire.extend_from_slice(&code.to_be_bytes());
        wire.extend_from_slice(&u16::try_from(bytes.len()).unwrap_or(u16::MAX).to_be_bytes());
        wire.extend_from_slice(&bytes);
    }
    members.push(("RDLENGTH".into(), Json::Number(wire.len() as u64)));
    if !wire.is_empty() {
        members.push(("RDATAHEX".into(), Json::Text(hex_upper(&wire))));
    }
    Json::Object(members)
}

fn tsig_value(record: &hickory_proto::rr::Record<TSIG>) -> Json {
    let mut members = record_head(
        name_text(&record.name),
        RecordType::TSIG,
        Some((255, "ANY".to_string())),
        record.ttl,
    );
    // The presentation line's RDATA part, as dig prints it.
    let line = tsig_line(record, &RecordStyle::default());
    let text = line
        .split("TSIG\t")
        .nth(1)
        .unwrap_or("")
        .trim_end()
        .to_string();
    let mut wire = Vec::new();
    if record.data.emit(&mut BinEncoder::new(&mut wire)).is_err() {
        wire.clear();
    }
    push_rdata(&mut members, RecordType::TSIG, text, &wire);
    Json::Object(members)
}

fn bit(set: bool) -> Json {
    Json::Number(u64::from(set))
}

/// One message as RFC 8427 §2.1 members, with the time it was sent or received and its size.
pub fn message_value(message: &Message, at: SystemTime, size: usize) -> Json {
    let metadata = &message.metadata;
    let [queries, answers, authorities, additionals] = section_counts(message);
    let seconds = at
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let mut members = vec![
        ("dateString".into(), Json::Text(format_iso(at))),
        ("dateSeconds".into(), Json::Number(seconds)),
        ("msgLength".into(), Json::Number(size as u64)),
        ("ID".into(), Json::Number(u64::from(metadata.id))),
        (
            "QR".into(),
            bit(metadata.message_type == MessageType::Response),
        ),
        (
            "Opcode".into(),
            Json::Number(u64::from(u8::from(metadata.op_code))),
        ),
        ("AA".into(), bit(metadata.authoritative)),
        ("TC".into(), bit(metadata.truncation)),
        ("RD".into(), bit(metadata.recursion_desired)),
        ("RA".into(), bit(metadata.recursion_available)),
        ("AD".into(), bit(metadata.authentic_data)),
        ("CD".into(), bit(metadata.checking_disabled)),
        // The header's four bits (RFC 1035 §4.1.1); the OPT record carries the rest.
        (
            "RCODE".into(),
            Json::Number(u64::from(u16::from(metadata.response_code) & 0x0f)),
        ),
        ("QDCOUNT".into(), Json::Number(queries as u64)),
        ("ANCOUNT".into(), Json::Number(answers as u64)),
        ("NSCOUNT".into(), Json::Number(authorities as u64)),
        ("ARCOUNT".into(), Json::Number(additionals as u64)),
    ];
    if let Some(query) = message.queries.first() {
        members.extend([
            ("QNAME".into(), Json::Text(name_text(query.name()))),
            (
                "QTYPE".into(),
                Json::Number(u64::from(u16::from(query.query_type()))),
            ),
            (
                "QTYPEname".into(),
                Json::text(type_text(query.query_type())),
            ),
            (
                "QCLASS".into(),
                Json::Number(u64::from(u16::from(query.query_class()))),
            ),
            (
                "QCLASSname".into(),
                Json::text(class_text(query.query_class())),
            ),
        ]);
    }
    let sections = [
        (
            "answerRRs",
            message.answers.iter().map(record_value).collect::<Vec<_>>(),
        ),
        (
            "authorityRRs",
            message.authorities.iter().map(record_value).collect(),
        ),
        ("additionalRRs", {
            let mut records: Vec<Json> = message.additionals.iter().map(record_value).collect();
            records.extend(message.edns.as_ref().map(opt_value));
            records.extend(message.signature.as_deref().map(tsig_value));
            records
        }),
    ];
    for (key, records) in sections {
        if !records.is_empty() {
            members.push((key.into(), Json::Array(records)));
        }
    }
    Json::Object(members)
}

/// A received reply, as kdig prints it (`responseMessage` alone).
pub fn reply_value(reply: &Reply) -> Json {
    message_value(&reply.message, reply.received_at, reply.size)
}

/// `+qr +json`: the query and its reply in one object (RFC 8427 §2.2 names, as kdig).
pub fn exchange_value(query: Json, reply: Json) -> Json {
    Json::Object(vec![
        ("queryMessage".into(), query),
        ("responseMessage".into(), reply),
    ])
}

/// A lookup that ended without a reply: dig's message as the one member (kdig prints `{}`).
pub fn error_value(message: &str) -> Json {
    Json::Object(vec![("error".into(), Json::text(message))])
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Query;
    use hickory_proto::rr::rdata::A;
    use hickory_proto::rr::{Name, RData};

    #[test]
    fn members_follow_rfc_8427_in_kdigs_order() {
        let mut message = Message::query();
        message.metadata.id = 7;
        let name = Name::from_ascii("www.example.test.").unwrap();
        message.add_query(Query::query(name.clone(), RecordType::A));
        message.add_answer(Record::from_rdata(name, 60, RData::A(A::new(192, 0, 2, 1))));
        let text = message_value(&message, std::time::UNIX_EPOCH, 50).pretty();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["dateString"], "1970-01-01T00:00:00+0000");
        assert_eq!(value["ID"], 7);
        assert_eq!(value["QTYPEname"], "A");
        assert_eq!(value["answerRRs"][0]["rdataA"], "192.0.2.1");
        assert_eq!(value["answerRRs"][0]["RDATAHEX"], "C0000201");
        assert!(value.get("authorityRRs").is_none());
        assert!(text.starts_with("{\n  \"dateString\": "), "{text}");
        assert!(text.find("\"QR\"") < text.find("\"Opcode\""));
        assert_eq!(
            error_value("x \"y\"").pretty(),
            "{\n  \"error\": \"x \\\"y\\\"\"\n}"
        );
    }
}
