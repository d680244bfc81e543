//! dig's text layout for records and questions: tab stops at columns 24/32/40/48 (BIND
//! `masterdump.c`), dig's mnemonics, quoted TXT strings, RFC 3597 `\#` for unknown data. Pure.

use hickory_proto::op::{Query, ResponseCode};
use hickory_proto::rr::{DNSClass, RData, Record, RecordType};

/// BIND's default style columns (`dns_master_style_default` as dig uses it).
const TTL_COLUMN: usize = 24;
const CLASS_COLUMN: usize = 32;
const TYPE_COLUMN: usize = 40;
const RDATA_COLUMN: usize = 48;
const TAB_WIDTH: usize = 8;

/// BIND `indent()`: tabs to reach `to`, at least one character of separation, spaces when a tab
/// would overshoot. Returns the new column.
fn indent(line: &mut String, current: usize, to: usize) -> usize {
    let to = to.max(current + 1);
    let tabs = to / TAB_WIDTH - current / TAB_WIDTH;
    let mut from = current;
    if tabs > 0 {
        line.extend(std::iter::repeat_n('\t', tabs));
        from = (to / TAB_WIDTH) * TAB_WIDTH;
    }
    line.extend(std::iter::repeat_n(' ', to.saturating_sub(from)));
    to
}

/// Appends `text` at `column` and returns the column after it.
fn push_at(line: &mut String, column: usize, text: &str) -> usize {
    line.push_str(text);
    column + text.chars().count()
}

/// dig's type mnemonic; unknown types as RFC 3597 `TYPEnnn`.
pub fn type_text(record_type: RecordType) -> String {
    match record_type {
        RecordType::Unknown(code) => format!("TYPE{code}"),
        known => known.to_string(),
    }
}

/// dig's class mnemonic; unknown classes as RFC 3597 `CLASSnnn`.
pub fn class_text(class: DNSClass) -> String {
    match class {
        DNSClass::IN | DNSClass::CH | DNSClass::HS | DNSClass::NONE | DNSClass::ANY => {
            class.to_string()
        }
        other => format!("CLASS{}", u16::from(other)),
    }
}

/// dig's rcode names (RFC 6895 §2.3 registry mnemonics).
pub fn rcode_text(code: ResponseCode) -> String {
    let value = u16::from(code);
    let name = match value {
        0 => "NOERROR",
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        6 => "YXDOMAIN",
        7 => "YXRRSET",
        8 => "NXRRSET",
        9 => "NOTAUTH",
        10 => "NOTZONE",
        16 => "BADVERS",
        23 => "BADCOOKIE",
        _ => return format!("RESERVED{value}"),
    };
    name.to_string()
}

/// A character-string in presentation format (RFC 1035 §5.1): quoted, `"` and `\` escaped,
/// non-printable bytes as `\DDD`.
pub fn quoted_string(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() + 2);
    text.push('"');
    for &byte in bytes {
        match byte {
            b'"' | b'\\' => {
                text.push('\\');
                text.push(char::from(byte));
            }
            0x20..=0x7e => text.push(char::from(byte)),
            _ => text.push_str(&format!("\\{byte:03}")),
        }
    }
    text.push('"');
    text
}

/// RDATA in dig's presentation format.
pub fn rdata_text(data: &RData) -> String {
    match data {
        RData::TXT(txt) => txt
            .txt_data
            .iter()
            .map(|string| quoted_string(string))
            .collect::<Vec<_>>()
            .join(" "),
        RData::Unknown { rdata, .. } => unknown_rdata_text(&rdata.anything),
        RData::NULL(null) => unknown_rdata_text(&null.anything),
        other => other.to_string(),
    }
}

/// RFC 3597 §5: `\# length hex`.
fn unknown_rdata_text(bytes: &[u8]) -> String {
    let mut text = format!("\\# {}", bytes.len());
    if !bytes.is_empty() {
        text.push(' ');
        for byte in bytes {
            text.push_str(&format!("{byte:02X}"));
        }
    }
    text
}

/// One record as dig prints it: `name.<tabs>TTL<tab>CLASS<tab>TYPE<tab>RDATA`.
pub fn record_line(record: &Record) -> String {
    let mut line = String::new();
    let mut column = push_at(&mut line, 0, &record.name.to_string());
    column = indent(&mut line, column, TTL_COLUMN);
    column = push_at(&mut line, column, &record.ttl.to_string());
    column = indent(&mut line, column, CLASS_COLUMN);
    column = push_at(&mut line, column, &class_text(record.dns_class));
    column = indent(&mut line, column, TYPE_COLUMN);
    column = push_at(&mut line, column, &type_text(record.record_type()));
    indent(&mut line, column, RDATA_COLUMN);
    line.push_str(&rdata_text(&record.data));
    line
}

/// One question as dig prints it: `;name.<tabs>CLASS<tab>TYPE` (no TTL column).
pub fn question_line(query: &Query) -> String {
    let mut line = String::new();
    let mut column = push_at(&mut line, 0, &format!(";{}", query.name()));
    column = indent(&mut line, column, CLASS_COLUMN);
    column = push_at(&mut line, column, &class_text(query.query_class()));
    indent(&mut line, column, TYPE_COLUMN);
    line.push_str(&type_text(query.query_type()));
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, TXT};
    use hickory_proto::rr::Name;
    use std::str::FromStr;

    #[test]
    fn record_columns_match_dig() {
        let name = Name::from_str("www.example.test.").unwrap();
        let record = Record::from_rdata(name, 3600, RData::A(A::new(192, 0, 2, 1)));
        assert_eq!(
            record_line(&record),
            "www.example.test.\t3600\tIN\tA\t192.0.2.1"
        );
        let short = Name::from_str("example.test.").unwrap();
        let record = Record::from_rdata(short, 3600, RData::A(A::new(192, 0, 2, 1)));
        assert_eq!(
            record_line(&record),
            "example.test.\t\t3600\tIN\tA\t192.0.2.1"
        );
    }

    #[test]
    fn long_question_names_use_single_spaces_like_dig() {
        let name = Name::from_str(
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
        )
        .unwrap();
        let query = Query::query(name, RecordType::PTR);
        assert!(question_line(&query).ends_with(".ip6.arpa. IN PTR"));
    }

    #[test]
    fn txt_strings_are_quoted_and_escaped() {
        let txt = TXT::new(vec!["hello world".into(), "say \"hi\"".into()]);
        assert_eq!(
            rdata_text(&RData::TXT(txt)),
            "\"hello world\" \"say \\\"hi\\\"\""
        );
    }
}
