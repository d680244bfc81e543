//! One line of a SECTION in presentation format → a hickory `Query` or `Record`.
//! Names are relative to the root (scenarios omit trailing dots); RDATA is parsed by hickory-proto.

use std::str::FromStr;

use hickory_proto::op::Query;
use hickory_proto::rr::rdata::NULL;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use hickory_proto::serialize::binary::BinEncodable;

use crate::replay::error::ParseErrorKind;

/// TTL of a record written without one: ldns' `LDNS_DEFAULT_TTL`, which testbound uses (3600 s).
pub const DEFAULT_TTL: u32 = 3600;

/// `<owner> [class] <type>` as in `SECTION QUESTION`.
pub fn parse_question(line: &str) -> Result<Query, ParseErrorKind> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let Some((owner, rest)) = tokens.split_first() else {
        return Err(ParseErrorKind::BadRecord {
            text: line.to_owned(),
            reason: "empty".to_owned(),
        });
    };
    let name = parse_name(owner)?;
    let mut query_class = DNSClass::IN;
    let mut query_type = None;
    for token in rest {
        if let Some(class) = class_of(token) {
            query_class = class;
        } else if query_type.is_none() {
            query_type = Some(parse_type(token)?);
        } else {
            return Err(ParseErrorKind::BadRecord {
                text: line.to_owned(),
                reason: format!("unexpected `{token}`"),
            });
        }
    }
    let Some(query_type) = query_type else {
        return Err(ParseErrorKind::BadRecord {
            text: line.to_owned(),
            reason: "no type".to_owned(),
        });
    };
    let mut query = Query::query(name, query_type);
    query.set_query_class(query_class);
    Ok(query)
}

/// `<owner> [ttl] [class] <type> <rdata>` as in the other sections (TTL and class in either order).
pub fn parse_record(line: &str) -> Result<Record, ParseErrorKind> {
    let bad = |reason: String| ParseErrorKind::BadRecord {
        text: line.to_owned(),
        reason,
    };
    let mut rest = line.trim_start();
    let owner = next_token(&mut rest).ok_or_else(|| bad("empty".to_owned()))?;
    let name = parse_name(owner)?;
    let mut ttl = None;
    let mut class = None;
    let record_type = loop {
        let token = next_token(&mut rest).ok_or_else(|| bad("no type".to_owned()))?;
        if ttl.is_none() && token.bytes().all(|byte| byte.is_ascii_digit()) {
            ttl = Some(
                token
                    .parse::<u32>()
                    .map_err(|_| ParseErrorKind::BadNumber(token.to_owned()))?,
            );
        } else if let (None, Some(parsed)) = (class, class_of(token)) {
            class = Some(parsed);
        } else {
            break parse_type(token)?;
        }
    };
    let data = parse_rdata(record_type, rest.trim()).map_err(bad)?;
    let mut record = Record::from_rdata(name, ttl.unwrap_or(DEFAULT_TTL), data);
    record.dns_class = class.unwrap_or(DNSClass::IN);
    Ok(record)
}

/// A name relative to the root unless written with its trailing dot. Letter case is kept (0x20 and
/// `MATCH qcase` depend on it), which is why this is `from_ascii` and not the IDNA-folding `parse`.
pub fn parse_name(text: &str) -> Result<Name, ParseErrorKind> {
    let bad = |error: hickory_proto::ProtoError| ParseErrorKind::BadName {
        text: text.to_owned(),
        reason: error.to_string(),
    };
    let name = Name::from_ascii(text).map_err(bad)?;
    if name.is_fqdn() {
        Ok(name)
    } else {
        name.append_domain(&Name::root()).map_err(bad)
    }
}

fn parse_type(token: &str) -> Result<RecordType, ParseErrorKind> {
    RecordType::from_str(&token.to_ascii_uppercase())
        .map_err(|_| ParseErrorKind::BadRecordType(token.to_owned()))
}

fn class_of(token: &str) -> Option<DNSClass> {
    match token.to_ascii_uppercase().as_str() {
        "IN" => Some(DNSClass::IN),
        "CH" => Some(DNSClass::CH),
        "HS" => Some(DNSClass::HS),
        _ => None,
    }
}

fn next_token<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let trimmed = rest.trim_start();
    if trimmed.is_empty() {
        return None;
    }
    let end = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
    let (token, remainder) = trimmed.split_at(end);
    *rest = remainder;
    Some(token)
}

/// hickory parses RDATA names without an origin; scenarios write them relative to the root, so the
/// name fields get their trailing dot first. DNAME has no text parser in hickory: it is built as the
/// opaque RDATA hickory's wire decoder produces for it (the target name in uncompressed wire form).
fn parse_rdata(record_type: RecordType, text: &str) -> Result<RData, String> {
    if record_type == RecordType::DNAME {
        let target = parse_name(text).map_err(|error| error.to_string())?;
        let wire = target.to_bytes().map_err(|error| error.to_string())?;
        return Ok(RData::Unknown {
            code: RecordType::DNAME,
            rdata: NULL::with(wire),
        });
    }
    let name_positions: &[usize] = match record_type {
        RecordType::NS | RecordType::CNAME | RecordType::PTR | RecordType::ANAME => &[0],
        RecordType::SOA => &[0, 1],
        RecordType::MX => &[1],
        RecordType::SRV => &[3],
        _ => &[],
    };
    let absolute;
    let text = if name_positions.is_empty() {
        text
    } else {
        let tokens: Vec<String> = text
            .split_whitespace()
            .enumerate()
            .map(|(index, token)| {
                if name_positions.contains(&index) && !token.ends_with('.') {
                    format!("{token}.")
                } else {
                    token.to_owned()
                }
            })
            .collect();
        absolute = tokens.join(" ");
        absolute.as_str()
    };
    RData::try_from_str(record_type, text).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_without_class_or_dot_is_absolute_in() {
        let query = parse_question("fail.com\tNS").unwrap();
        assert_eq!(query.name().to_string(), "fail.com.");
        assert_eq!(query.query_type(), RecordType::NS);
        assert_eq!(query.query_class(), DNSClass::IN);
    }

    #[test]
    fn record_ttl_and_class_are_optional_and_default_to_3600_in() {
        let record = parse_record("k.root-servers.net\tA\t193.0.14.129").unwrap();
        assert_eq!(record.name.to_string(), "k.root-servers.net.");
        assert_eq!(record.ttl, DEFAULT_TTL);
        assert_eq!(record.dns_class, DNSClass::IN);
        let record = parse_record("ns.fail.com 10 A 1.1.2.1").unwrap();
        assert_eq!(record.ttl, 10);
    }

    #[test]
    fn relative_rdata_names_become_absolute() {
        let record = parse_record(". SOA bla bla 1 2 3 4 5").unwrap();
        let RData::SOA(soa) = &record.data else {
            panic!("not SOA: {record:?}")
        };
        assert!(soa.mname.is_fqdn());
        assert_eq!(soa.rname.to_string(), "bla.");
        let record = parse_record("net NS m.gtld-servers.net").unwrap();
        assert_eq!(
            record.data,
            RData::NS(hickory_proto::rr::rdata::NS(
                Name::from_ascii("m.gtld-servers.net.").unwrap()
            ))
        );
    }

    #[test]
    fn names_keep_their_letter_case() {
        let query = parse_question("CaTALYSt.MoReCoWBEll. IN A").unwrap();
        assert_eq!(query.name().to_ascii(), "CaTALYSt.MoReCoWBEll.");
    }

    #[test]
    fn dname_is_parsed_as_opaque_wire_rdata() {
        let record = parse_record("example.com. 3600 IN DNAME example.net.").unwrap();
        assert_eq!(record.record_type(), RecordType::DNAME);
        let RData::Unknown { rdata, .. } = &record.data else {
            panic!("not opaque: {record:?}")
        };
        assert_eq!(rdata.anything.as_slice(), &b"\x07example\x03net\x00"[..]);
    }

    #[test]
    fn txt_keeps_quoted_spaces() {
        let record = parse_record("example.com. TXT \"hello world\"").unwrap();
        assert_eq!(record.data.to_string(), "hello world");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse_record("example.com. IN A not-an-address").is_err());
        assert!(parse_record("example.com. IN").is_err());
        assert!(parse_question("").is_err());
        assert!(parse_question("a. IN A extra").is_err());
    }
}
