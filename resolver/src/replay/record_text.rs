//! One line of a SECTION in presentation format → a hickory `Query` or `Record`.
//! Names are relative to the entry's `$ORIGIN` (the root by default); RDATA is parsed by hickory-proto.

use hickory_proto::op::Query;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

use crate::presentation::{
    is_generic_rdata, is_text_refused_by_hickory, parse_dname_rdata, parse_dnssec_rdata,
    parse_generic_rdata, parse_record_type, PresentationError,
};
use crate::replay::error::ParseErrorKind;

/// TTL of a record written without one: ldns' `LDNS_DEFAULT_TTL`, which testbound uses (3600 s).
pub const DEFAULT_TTL: u32 = 3600;

/// `<owner> [class] <type>` as in `SECTION QUESTION`, relative to the root.
pub fn parse_question(line: &str) -> Result<Query, ParseErrorKind> {
    parse_question_in(line, &Name::root())
}

/// `<owner> [ttl] [class] <type>` relative to `origin`; a TTL (iter_ghost_timewindow) is ignored.
pub fn parse_question_in(line: &str, origin: &Name) -> Result<Query, ParseErrorKind> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let Some((owner, rest)) = tokens.split_first() else {
        return Err(ParseErrorKind::BadRecord {
            text: line.to_owned(),
            reason: "empty".to_owned(),
        });
    };
    let name = parse_name_in(owner, origin)?;
    let mut query_class = DNSClass::IN;
    let mut class_seen = false;
    let mut query_type = None;
    for token in rest {
        if query_type.is_none() && token.bytes().all(|byte| byte.is_ascii_digit()) {
            continue;
        }
        let class = (!class_seen && query_type.is_none())
            .then(|| class_of(token))
            .flatten();
        if let Some(class) = class {
            query_class = class;
            class_seen = true;
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

/// `<owner> [ttl] [class] <type> <rdata>` relative to the root, default TTL 3600.
pub fn parse_record(line: &str) -> Result<Record, ParseErrorKind> {
    parse_record_in(line, &Name::root(), DEFAULT_TTL)
}

/// `<owner> [ttl] [class] <type> <rdata>` as in the other sections (TTL and class in either order),
/// names relative to `origin` (`$ORIGIN`), `default_ttl` (`$TTL`) when the line has none.
pub fn parse_record_in(
    line: &str,
    origin: &Name,
    default_ttl: u32,
) -> Result<Record, ParseErrorKind> {
    let bad = |reason: String| ParseErrorKind::BadRecord {
        text: line.to_owned(),
        reason,
    };
    let mut rest = line.trim_start();
    let owner = next_token(&mut rest).ok_or_else(|| bad("empty".to_owned()))?;
    let name = parse_name_in(owner, origin)?;
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
    let data = parse_rdata(record_type, rest.trim(), origin).map_err(bad)?;
    let mut record = Record::from_rdata(name, ttl.unwrap_or(default_ttl), data);
    record.dns_class = class.unwrap_or(DNSClass::IN);
    Ok(record)
}

/// A name relative to the root unless written with its trailing dot. Letter case is kept (0x20 and
/// `MATCH qcase` depend on it), which is why this is `from_ascii` and not the IDNA-folding `parse`.
pub fn parse_name(text: &str) -> Result<Name, ParseErrorKind> {
    parse_name_in(text, &Name::root())
}

/// A name relative to `origin` (`@` is the origin itself).
pub fn parse_name_in(text: &str, origin: &Name) -> Result<Name, ParseErrorKind> {
    crate::presentation::parse_name(text, origin).map_err(|error| match error {
        PresentationError::BadName { text, reason } => ParseErrorKind::BadName { text, reason },
        other => ParseErrorKind::BadName {
            text: text.to_owned(),
            reason: other.to_string(),
        },
    })
}

fn parse_type(token: &str) -> Result<RecordType, ParseErrorKind> {
    parse_record_type(token).map_err(|_| ParseErrorKind::BadRecordType(token.to_owned()))
}

/// A class mnemonic as hickory reads it (IN, CH, HS, NONE, ANY, CLASSnnn).
fn class_of(token: &str) -> Option<DNSClass> {
    token.to_ascii_uppercase().parse::<DNSClass>().ok()
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

/// RFC 3597 generic data, DNAME and the DNSSEC types hickory's text parser refuses go through
/// `presentation`; the rest through hickory's text parser, which takes no origin, so relative name
/// fields get the origin appended first.
fn parse_rdata(record_type: RecordType, text: &str, origin: &Name) -> Result<RData, String> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let presented = if is_generic_rdata(&fields) {
        Some(parse_generic_rdata(record_type, &fields))
    } else if record_type == RecordType::DNAME {
        Some(parse_dname_rdata(&fields, origin))
    } else if is_text_refused_by_hickory(record_type) {
        Some(parse_dnssec_rdata(record_type, &fields, origin))
    } else {
        None
    };
    if let Some(parsed) = presented {
        return parsed.map_err(|error| error.to_string());
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
                if name_positions.contains(&index) && token == "@" {
                    origin.to_ascii()
                } else if name_positions.contains(&index) && !token.ends_with('.') {
                    format!("{token}.{}", origin.to_ascii().trim_start_matches('.'))
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
    fn any_after_a_class_is_the_type_and_any_alone_the_class() {
        let query = parse_question("www.example.com. IN ANY").unwrap();
        assert_eq!(query.query_type(), RecordType::ANY);
        let query = parse_question("www.example.com. ANY A").unwrap();
        assert_eq!(
            (query.query_class(), query.query_type()),
            (DNSClass::ANY, RecordType::A)
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
    fn origin_and_default_ttl_apply_to_owner_and_rdata_names() {
        let origin = Name::from_ascii("example.tld.").unwrap();
        let record = parse_record_in("www IN NS ns", &origin, 60).unwrap();
        assert_eq!(record.name.to_string(), "www.example.tld.");
        assert_eq!(record.ttl, 60);
        assert_eq!(record.data.to_string(), "ns.example.tld.");
        let query = parse_question_in("@ 86400 IN NS", &origin).unwrap();
        assert_eq!(query.name(), &origin);
    }

    #[test]
    fn dnssec_and_generic_rdata_are_parsed() {
        let record = parse_record(
            "example.com. 3600 IN RRSIG NS 3 2 3600 20070926134150 20070829134150 2854 example.com. MQ==",
        )
        .unwrap();
        assert_eq!(record.record_type(), RecordType::RRSIG);
        let record = parse_record("px.example.test. 3600 IN TYPE26 \\# 3 000A00").unwrap();
        assert_eq!(record.record_type(), RecordType::from(26));
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
