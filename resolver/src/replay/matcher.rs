//! Deckard's entry matching: does a message satisfy an entry's MATCH rules? If not, the first difference.
//! Used both to pick the canned answer for an upstream query and to judge a CHECK_ANSWER.

use std::fmt;

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinEncodable};

use crate::replay::limits::MAX_RECORDS_IN_MISMATCH;
use crate::replay::scenario::{EdeMatch, Entry, HeaderFlags};
use crate::upstream::transport::Protocol;

/// The first rule a message broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    Opcode {
        expected: OpCode,
        received: OpCode,
    },
    /// The entry has a question to compare with but the message has none.
    NoQuestion,
    Qtype {
        expected: RecordType,
        received: RecordType,
    },
    Qname {
        expected: String,
        received: String,
    },
    NotSubdomain {
        expected: String,
        received: String,
    },
    Flags {
        expected: HeaderFlags,
        received: HeaderFlags,
    },
    Rcode {
        expected: ResponseCode,
        received: ResponseCode,
    },
    Section {
        section: &'static str,
        missing: Vec<String>,
        unexpected: Vec<String>,
    },
    Protocol {
        expected: &'static str,
    },
    /// An EDNS requirement (`DO`, `noedns`, `ednsdata`, `ede=`, cookies) not met.
    Edns(String),
    /// `serial=N`: the IXFR query's SOA serial differs (or there is none).
    Serial {
        expected: u32,
        received: Option<u32>,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Opcode { expected, received } => {
                write!(f, "opcode {received}, expected {expected}")
            }
            Mismatch::NoQuestion => write!(f, "no question section"),
            Mismatch::Qtype { expected, received } => {
                write!(f, "qtype {received}, expected {expected}")
            }
            Mismatch::Qname { expected, received } => {
                write!(f, "qname {received}, expected {expected}")
            }
            Mismatch::NotSubdomain { expected, received } => {
                write!(f, "qname {received} is not at or below {expected}")
            }
            Mismatch::Flags { expected, received } => {
                write!(f, "flags {received}, expected {expected}")
            }
            Mismatch::Rcode { expected, received } => {
                write!(f, "rcode {received}, expected {expected}")
            }
            Mismatch::Section {
                section,
                missing,
                unexpected,
            } => {
                write!(f, "{section} section differs:")?;
                if !missing.is_empty() {
                    write!(f, " missing [{}]", missing.join("; "))?;
                }
                if !unexpected.is_empty() {
                    write!(f, " unexpected [{}]", unexpected.join("; "))?;
                }
                Ok(())
            }
            Mismatch::Protocol { expected } => write!(f, "not sent over {expected}"),
            Mismatch::Edns(what) => write!(f, "EDNS: {what}"),
            Mismatch::Serial { expected, received } => {
                write!(f, "SOA serial {received:?}, expected {expected}")
            }
        }
    }
}

/// The header flags of a received message, in the form `REPLY` lines give them.
pub fn flags_of(message: &Message) -> HeaderFlags {
    let metadata = &message.metadata;
    HeaderFlags {
        qr: metadata.message_type == MessageType::Response,
        aa: metadata.authoritative,
        tc: metadata.truncation,
        rd: metadata.recursion_desired,
        ra: metadata.recursion_available,
        ad: metadata.authentic_data,
        cd: metadata.checking_disabled,
    }
}

/// Checks `message` (received over `protocol`, when known) against every MATCH rule of `entry`.
pub fn compare(
    entry: &Entry,
    message: &Message,
    protocol: Option<Protocol>,
) -> Result<(), Mismatch> {
    let rules = &entry.rules;
    if rules.tcp && protocol == Some(Protocol::Udp) {
        return Err(Mismatch::Protocol { expected: "TCP" });
    }
    if rules.udp && protocol == Some(Protocol::Tcp) {
        return Err(Mismatch::Protocol { expected: "UDP" });
    }
    compare_edns(entry, message)?;
    if let Some(expected) = rules.serial {
        let received = message
            .authorities
            .iter()
            .find_map(|record| match &record.data {
                RData::SOA(soa) => Some(soa.serial),
                _ => None,
            });
        if received != Some(expected) {
            return Err(Mismatch::Serial { expected, received });
        }
    }
    if rules.opcode && message.metadata.op_code != entry.header.opcode {
        return Err(Mismatch::Opcode {
            expected: entry.header.opcode,
            received: message.metadata.op_code,
        });
    }
    // Question rules compare only the first question, and only when the entry has one (Deckard [qmatch]).
    if let Some(expected) = entry.question.first() {
        if rules.qtype || rules.qname || rules.qcase || rules.subdomain {
            let Some(received) = message.queries.first() else {
                return Err(Mismatch::NoQuestion);
            };
            if rules.qtype && received.query_type() != expected.query_type() {
                return Err(Mismatch::Qtype {
                    expected: expected.query_type(),
                    received: received.query_type(),
                });
            }
            let same_name = if rules.qcase {
                received.name().eq_case(expected.name())
            } else {
                received.name() == expected.name()
            };
            if (rules.qname || rules.qcase) && !same_name {
                return Err(Mismatch::Qname {
                    expected: expected.name().to_string(),
                    received: received.name().to_string(),
                });
            }
            if rules.subdomain && !expected.name().zone_of(received.name()) {
                return Err(Mismatch::NotSubdomain {
                    expected: expected.name().to_string(),
                    received: received.name().to_string(),
                });
            }
        }
    }
    if rules.flags {
        let received = flags_of(message);
        if received != entry.header.flags {
            return Err(Mismatch::Flags {
                expected: entry.header.flags,
                received,
            });
        }
    }
    // testpkts compares the header's four RCODE bits: an extended rcode (BADCOOKIE, 23) is
    // written as its low bits (YXRRSET, 7), the rest living in the OPT record.
    let header_bits = |code: ResponseCode| u16::from(code) & 0x000f;
    if rules.rcode && header_bits(message.metadata.response_code) != header_bits(entry.header.rcode)
    {
        return Err(Mismatch::Rcode {
            expected: entry.header.rcode,
            received: message.metadata.response_code,
        });
    }
    if rules.answer {
        compare_section("answer", &entry.answer, &message.answers, rules.ttl)?;
    }
    if rules.authority {
        compare_section(
            "authority",
            &entry.authority,
            &message.authorities,
            rules.ttl,
        )?;
    }
    if rules.additional {
        compare_section(
            "additional",
            &entry.additional,
            &message.additionals,
            rules.ttl,
        )?;
    }
    Ok(())
}

/// testpkts' EDNS rules: `DO`, `noedns`, `ednsdata` (options byte for byte), `ede=`, cookies.
fn compare_edns(entry: &Entry, message: &Message) -> Result<(), Mismatch> {
    let rules = &entry.rules;
    let edns = message.edns.as_ref();
    if rules.no_edns && edns.is_some() {
        return Err(Mismatch::Edns("present, expected none".to_owned()));
    }
    if rules.dnssec_ok && !edns.is_some_and(|edns| edns.flags().dnssec_ok) {
        return Err(Mismatch::Edns("DO bit not set".to_owned()));
    }
    let options: Vec<(u16, Vec<u8>)> = edns
        .map(|edns| {
            edns.options()
                .as_ref()
                .iter()
                .map(|(code, option)| {
                    (
                        u16::from(*code),
                        Vec::<u8>::try_from(option).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if rules.edns_data {
        let received = edns
            .map(|edns| edns.options().to_bytes().unwrap_or_default())
            .unwrap_or_default();
        let expected = entry.edns_data.clone().unwrap_or_default();
        if received != expected {
            return Err(Mismatch::Edns(format!(
                "options {}, expected {}",
                data_encoding::HEXLOWER.encode(&received),
                data_encoding::HEXLOWER.encode(&expected)
            )));
        }
    }
    if let Some(ede) = rules.ede {
        // RFC 8914 §2: option 15, the first two octets are the info code.
        let codes: Vec<u16> = options
            .iter()
            .filter(|(code, data)| *code == 15 && data.len() >= 2)
            .map(|(_, data)| u16::from_be_bytes([data[0], data[1]]))
            .collect();
        let found = match ede {
            EdeMatch::Any => !codes.is_empty(),
            EdeMatch::InfoCode(wanted) => codes.contains(&wanted),
        };
        if !found {
            return Err(Mismatch::Edns(format!("no EDE {ede:?}, have {codes:?}")));
        }
    }
    // RFC 7873 §4: option 10; a client cookie alone is 8 octets, with a server cookie 16-40.
    let cookie = |length: usize| {
        options
            .iter()
            .any(|(code, data)| *code == 10 && data.len() == length)
    };
    if rules.client_cookie && !cookie(8) {
        return Err(Mismatch::Edns("no 8-octet client cookie".to_owned()));
    }
    if rules.server_cookie && !cookie(24) {
        return Err(Mismatch::Edns("no 24-octet server cookie".to_owned()));
    }
    Ok(())
}

/// Sections are compared as multisets: same number of records, each expected record present once
/// (owner case-insensitive, TTL only when asked, RDATA by type: names inside it case-insensitive).
fn compare_section(
    section: &'static str,
    expected: &[Record],
    received: &[Record],
    compare_ttl: bool,
) -> Result<(), Mismatch> {
    let mut used = vec![false; received.len()];
    let mut missing = Vec::new();
    for want in expected {
        let found = received.iter().enumerate().find(|(index, have)| {
            !used.get(*index).copied().unwrap_or(true) && same_record(want, have, compare_ttl)
        });
        match found {
            Some((index, _)) => {
                if let Some(slot) = used.get_mut(index) {
                    *slot = true;
                }
            }
            None => missing.push(want),
        }
    }
    let unexpected: Vec<&Record> = received
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(record, _)| record)
        .collect();
    if missing.is_empty() && unexpected.is_empty() {
        return Ok(());
    }
    Err(Mismatch::Section {
        section,
        missing: describe(&missing),
        unexpected: describe(&unexpected),
    })
}

fn describe(records: &[&Record]) -> Vec<String> {
    let mut lines: Vec<String> = records
        .iter()
        .take(MAX_RECORDS_IN_MISMATCH)
        .map(|record| describe_record(record))
        .collect();
    if records.len() > MAX_RECORDS_IN_MISMATCH {
        lines.push(format!(
            "… {} more",
            records.len() - MAX_RECORDS_IN_MISMATCH
        ));
    }
    lines
}

/// One record on one line; opaque DNAME data is shown as the target name it encodes.
fn describe_record(record: &Record) -> String {
    if let RData::Unknown {
        code: RecordType::DNAME,
        rdata,
    } = &record.data
    {
        if let Ok(target) = Name::from_bytes(&rdata.anything) {
            let (name, ttl, class) = (&record.name, record.ttl, record.dns_class);
            return format!("{name} {ttl} {class} DNAME {target}");
        }
    }
    record
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn same_record(expected: &Record, received: &Record, compare_ttl: bool) -> bool {
    expected.name == received.name
        && expected.record_type() == received.record_type()
        && expected.dns_class == received.dns_class
        && (!compare_ttl || expected.ttl == received.ttl)
        && same_rdata(&expected.data, &received.data)
}

/// hickory's `RData` equality already compares embedded names case-insensitively; opaque DNAME data
/// (hickory has no DNAME type) is a wire name, compared case-insensitively here the same way.
fn same_rdata(expected: &RData, received: &RData) -> bool {
    match (expected, received) {
        (
            RData::Unknown {
                code: expected_code,
                rdata: expected_data,
            },
            RData::Unknown {
                code: received_code,
                rdata: received_data,
            },
        ) if *expected_code == RecordType::DNAME => {
            expected_code == received_code
                && expected_data
                    .anything
                    .eq_ignore_ascii_case(&received_data.anything)
        }
        _ => expected == received,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::record_text::{parse_question, parse_record};
    use crate::replay::scenario::MatchRules;

    fn message(question: &str, answers: &[&str]) -> Message {
        let mut message = Message::response(7, OpCode::Query);
        message.metadata.recursion_desired = true;
        message.metadata.recursion_available = true;
        message.add_query(parse_question(question).unwrap());
        for answer in answers {
            message.add_answer(parse_record(answer).unwrap());
        }
        message
    }

    fn entry(rules: MatchRules, question: &str, answers: &[&str]) -> Entry {
        let mut entry = Entry {
            rules,
            ..Entry::default()
        };
        entry.header.flags = HeaderFlags {
            qr: true,
            rd: true,
            ra: true,
            ..HeaderFlags::default()
        };
        entry.question.push(parse_question(question).unwrap());
        entry.answer = answers
            .iter()
            .map(|answer| parse_record(answer).unwrap())
            .collect();
        entry
    }

    fn all() -> MatchRules {
        MatchRules {
            opcode: true,
            qtype: true,
            qname: true,
            flags: true,
            rcode: true,
            answer: true,
            authority: true,
            additional: true,
            ..MatchRules::default()
        }
    }

    #[test]
    fn answer_matches_regardless_of_order_owner_case_and_ttl() {
        let expected = entry(
            all(),
            "www.example.com. IN A",
            &[
                "www.example.com. IN A 1.1.1.1",
                "www.example.com. IN A 2.2.2.2",
            ],
        );
        let received = message(
            "WWW.example.com. IN A",
            &[
                "www.EXAMPLE.com. 5 IN A 2.2.2.2",
                "www.example.com. 77 IN A 1.1.1.1",
            ],
        );
        assert_eq!(compare(&expected, &received, None), Ok(()));
    }

    #[test]
    fn ttl_is_compared_only_when_asked() {
        let rules = MatchRules { ttl: true, ..all() };
        let expected = entry(rules, "a. IN A", &["a. 300 IN A 1.1.1.1"]);
        assert!(compare(
            &expected,
            &message("a. IN A", &["a. 300 IN A 1.1.1.1"]),
            None
        )
        .is_ok());
        let error = compare(
            &expected,
            &message("a. IN A", &["a. 299 IN A 1.1.1.1"]),
            None,
        )
        .unwrap_err();
        assert!(
            matches!(
                error,
                Mismatch::Section {
                    section: "answer",
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn extra_or_missing_records_are_reported_by_name() {
        let expected = entry(all(), "a. IN A", &["a. IN A 1.1.1.1"]);
        let error = compare(
            &expected,
            &message("a. IN A", &["a. IN A 1.1.1.1", "a. IN A 1.1.1.1"]),
            None,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "answer section differs: unexpected [a. 3600 IN A 1.1.1.1]"
        );
        let error = compare(&expected, &message("a. IN A", &[]), None).unwrap_err();
        assert!(
            error.to_string().contains("missing [a. 3600 IN A 1.1.1.1]"),
            "{error}"
        );
    }

    #[test]
    fn flags_must_be_exact_when_matched() {
        let expected = entry(all(), "a. IN A", &[]);
        let mut received = message("a. IN A", &[]);
        received.metadata.authoritative = true;
        let error = compare(&expected, &received, None).unwrap_err();
        assert_eq!(error.to_string(), "flags QR AA RD RA, expected QR RD RA");
    }

    #[test]
    fn subdomain_accepts_the_name_itself_and_names_below_only() {
        let rules = MatchRules {
            subdomain: true,
            ..MatchRules::default()
        };
        let expected = entry(rules, "com. IN A", &[]);
        assert!(compare(&expected, &message("com. IN NS", &[]), None).is_ok());
        assert!(compare(&expected, &message("www.Example.COM. IN A", &[]), None).is_ok());
        assert!(compare(&expected, &message("net. IN A", &[]), None).is_err());
    }

    #[test]
    fn rcode_and_qtype_are_compared_when_asked() {
        let rules = MatchRules {
            qtype: true,
            rcode: true,
            ..MatchRules::default()
        };
        let mut expected = entry(rules, "a. IN A", &[]);
        expected.header.rcode = ResponseCode::NXDomain;
        let mut received = message("a. IN A", &[]);
        assert!(matches!(
            compare(&expected, &received, None),
            Err(Mismatch::Rcode { .. })
        ));
        received.metadata.response_code = ResponseCode::NXDomain;
        assert!(compare(&expected, &received, None).is_ok());
        assert!(matches!(
            compare(&expected, &message("a. IN AAAA", &[]), None),
            Err(Mismatch::Qtype { .. })
        ));
    }

    #[test]
    fn dname_rdata_compares_case_insensitively() {
        let expected = entry(all(), "a. IN DNAME", &["a. DNAME Example.NET."]);
        assert!(compare(
            &expected,
            &message("a. IN DNAME", &["a. DNAME example.net."]),
            None
        )
        .is_ok());
        let error = compare(
            &expected,
            &message("a. IN DNAME", &["a. DNAME example.org."]),
            None,
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "answer section differs: missing [a. 3600 IN DNAME Example.NET.] \
             unexpected [a. 3600 IN DNAME example.org.]"
        );
    }

    #[test]
    fn empty_expected_question_ignores_question_rules() {
        let mut expected = entry(
            MatchRules {
                qname: true,
                qtype: true,
                ..MatchRules::default()
            },
            "a. IN A",
            &[],
        );
        expected.question.clear();
        assert!(compare(&expected, &message("b. IN MX", &[]), None).is_ok());
    }
}
