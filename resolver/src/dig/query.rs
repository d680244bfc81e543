//! Builds the query message for one lookup: random ID, RD per `+[no]recurse`, EDNS per `+edns`,
//! `+bufsize` and `+nsid`. Pure; the wire bytes go to the transport unchanged.

use hickory_proto::op::{Edns, Message, OpCode, Query};
use hickory_proto::rr::rdata::opt::{ClientSubnet, EdnsOption, NSIDPayload};
use hickory_proto::rr::{DNSClass, Name, RecordType};

use crate::dig::error::DigError;
use crate::dig::options::QueryOptions;

/// RFC 1035 §2.3.4: 63 octets per label, 255 per name (wire form, length bytes included).
const MAX_LABEL_OCTETS: usize = 63;
const MAX_NAME_OCTETS: usize = 255;

/// Why a typed name is not a legal domain name, in BIND's words (`isc_result_totext`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameSyntax {
    EmptyLabel,
    LabelTooLong,
    BadEscape,
    UnexpectedEnd,
    TooLong,
    /// `+idnin` could not map the name to A-labels.
    NotIdna,
}

impl std::fmt::Display for NameSyntax {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NameSyntax::EmptyLabel => "empty label",
            NameSyntax::LabelTooLong => "label too long",
            NameSyntax::BadEscape => "bad escape",
            NameSyntax::UnexpectedEnd => "unexpected end of input",
            NameSyntax::TooLong => "ran out of space",
            NameSyntax::NotIdna => "not a valid IDNA name",
        })
    }
}

/// The labels of a name in master-file syntax (RFC 1035 §5.1), as BIND's `dns_name_fromtext`
/// reads it: `\DDD` is a decimal byte, `\X` is X itself (so `\.` is a dot inside a label), bytes
/// are kept as typed (no case folding: dig sends the name as typed, RFC 4343 §3).
pub fn parse_name_labels(text: &str) -> Result<Vec<Vec<u8>>, NameSyntax> {
    if text == "." {
        return Ok(Vec::new());
    }
    let mut labels: Vec<Vec<u8>> = Vec::new();
    let mut label: Vec<u8> = Vec::new();
    let mut wire_octets = 1;
    let mut bytes = text.bytes();
    let mut ended_with_dot = false;
    while let Some(byte) = bytes.next() {
        ended_with_dot = false;
        let value = match byte {
            b'.' => {
                if label.is_empty() {
                    return Err(NameSyntax::EmptyLabel);
                }
                wire_octets += label.len() + 1;
                labels.push(std::mem::take(&mut label));
                ended_with_dot = true;
                continue;
            }
            b'\\' => {
                let first = bytes.next().ok_or(NameSyntax::UnexpectedEnd)?;
                if first.is_ascii_digit() {
                    let second = bytes.next().ok_or(NameSyntax::UnexpectedEnd)?;
                    let third = bytes.next().ok_or(NameSyntax::UnexpectedEnd)?;
                    if !second.is_ascii_digit() || !third.is_ascii_digit() {
                        return Err(NameSyntax::BadEscape);
                    }
                    let number = u32::from(first - b'0') * 100
                        + u32::from(second - b'0') * 10
                        + u32::from(third - b'0');
                    u8::try_from(number).map_err(|_| NameSyntax::BadEscape)?
                } else {
                    first
                }
            }
            other => other,
        };
        if label.len() >= MAX_LABEL_OCTETS {
            return Err(NameSyntax::LabelTooLong);
        }
        label.push(value);
    }
    if !label.is_empty() {
        wire_octets += label.len() + 1;
        labels.push(label);
    } else if !ended_with_dot {
        return Err(NameSyntax::EmptyLabel);
    }
    if wire_octets > MAX_NAME_OCTETS {
        return Err(NameSyntax::TooLong);
    }
    Ok(labels)
}

/// Parses a query name; dig treats every name as absolute (it does not apply a search list).
pub fn query_name(text: &str) -> Result<Name, DigError> {
    let illegal = |reason| DigError::IllegalName {
        name: text.to_string(),
        reason,
    };
    let labels = parse_name_labels(text).map_err(illegal)?;
    let mut name = Name::from_labels(labels.iter().map(Vec::as_slice))
        .map_err(|_| illegal(NameSyntax::TooLong))?;
    name.set_fqdn(true);
    Ok(name)
}

/// Parses a query name, first mapping it to A-labels with UTS #46 when `idn` is on and the name
/// is not plain ASCII (as dig's `+idnin`, which then also lowercases it; ASCII names stay as typed).
pub fn query_name_idn(text: &str, idn: bool) -> Result<Name, DigError> {
    if !idn || text.is_ascii() {
        return query_name(text);
    }
    let mut name = Name::from_utf8(text).map_err(|_| DigError::IllegalName {
        name: text.to_string(),
        reason: NameSyntax::NotIdna,
    })?;
    name.set_fqdn(true);
    Ok(name)
}

/// RFC 7830 §3: the EDNS option that pads a message.
const PADDING_OPTION: u16 = 12;
/// RFC 7873 §4: the COOKIE option; RFC 7314 §2: EXPIRE.
pub const COOKIE_OPTION: u16 = 10;
const EXPIRE_OPTION: u16 = 9;
/// Bytes of an option's code and length fields (RFC 6891 §6.1.2).
const OPTION_HEADER_OCTETS: usize = 4;
/// RFC 7873 §4.1: the client cookie is 8 octets.
const CLIENT_COOKIE_OCTETS: usize = 8;

/// The query message for `name`/`record_type`/`class` with the lookup's options. EDNS options go
/// in dig's order (BIND `dighost.c` setup_lookup: NSID, client subnet, cookie, expire), padding last.
pub fn build_query(
    name: Name,
    record_type: RecordType,
    class: DNSClass,
    options: &QueryOptions,
) -> Result<Message, DigError> {
    let mut message = Message::query();
    // RFC 5452 §4.3: an unpredictable ID is the first defence against spoofed replies.
    message.metadata.id = options.query_id.unwrap_or_else(rand::random::<u16>);
    message.metadata.op_code = OpCode::from_u8(options.opcode);
    message.metadata.recursion_desired = options.recurse;
    // RFC 6840 §5.7: AD in a query asks whether the answer was validated; dig sets it by default.
    message.metadata.authentic_data = options.authentic_data;
    message.metadata.checking_disabled = options.checking_disabled;
    message.metadata.authoritative = options.authoritative;
    message.metadata.recursion_available = options.recursion_available;
    message.metadata.truncation = options.truncated;
    if !options.header_only {
        let mut query = Query::query(name, record_type);
        query.set_query_class(class);
        message.add_query(query);
    }
    // `+nsid` needs an OPT record to ride in, so it turns EDNS on even after `+noedns` (as dig does).
    if let Some(version) = options.edns.or(options.nsid.then_some(0)) {
        // RFC 6891 §6.1.2: the OPT record carries the payload size and version.
        let mut edns = Edns::new();
        edns.set_max_payload(options.bufsize);
        edns.set_version(version);
        // RFC 3225 §3: DO asks for DNSSEC records.
        edns.set_dnssec_ok(options.dnssec);
        if options.nsid {
            // RFC 5001 §2.1: the request carries an empty NSID option.
            let payload = NSIDPayload::new(Vec::new())
                .map_err(|_| DigError::Internal("building the NSID option"))?;
            edns.options_mut().insert(EdnsOption::NSID(payload));
        }
        if let Some(subnet) = &options.subnet {
            edns.options_mut()
                .insert(EdnsOption::Subnet(ClientSubnet::new(
                    subnet.address,
                    subnet.source_prefix,
                    0,
                )));
        }
        if options.cookie {
            let cookie = options.cookie_value.clone().unwrap_or_else(|| {
                (0..CLIENT_COOKIE_OCTETS)
                    .map(|_| rand::random::<u8>())
                    .collect()
            });
            edns.options_mut()
                .insert(EdnsOption::Unknown(COOKIE_OPTION, cookie));
        }
        if options.expire {
            edns.options_mut()
                .insert(EdnsOption::Unknown(EXPIRE_OPTION, Vec::new()));
        }
        message.set_edns(edns);
        if options.padding > 0 {
            pad_query(&mut message, usize::from(options.padding))?;
        }
    }
    Ok(message)
}

/// RFC 7830 §3 / RFC 8467 §4.1: a PADDING option sized so the message is a multiple of `block`.
fn pad_query(message: &mut Message, block: usize) -> Result<(), DigError> {
    let unpadded = encode(message)?.len() + OPTION_HEADER_OCTETS;
    let fill = (block - unpadded % block) % block;
    if let Some(edns) = message.edns.as_mut() {
        edns.options_mut()
            .insert(EdnsOption::Unknown(PADDING_OPTION, vec![0; fill]));
    }
    Ok(())
}

/// The client cookie a query carries (its first 8 octets), if any.
pub fn client_cookie(message: &Message) -> Option<Vec<u8>> {
    let edns = message.edns.as_ref()?;
    edns.options()
        .options
        .iter()
        .find_map(|(_, option)| match option {
            EdnsOption::Unknown(COOKIE_OPTION, bytes) => {
                Some(bytes.iter().take(CLIENT_COOKIE_OCTETS).copied().collect())
            }
            _ => None,
        })
}

/// The query in wire format.
pub fn encode(message: &Message) -> Result<Vec<u8>, DigError> {
    message
        .to_vec()
        .map_err(|_| DigError::Internal("encoding the query"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_names_keep_case_and_read_decimal_escapes() {
        let labels = parse_name_labels("MiXeD.a\\032b.a\\.b.a\\(\\@x").unwrap();
        assert_eq!(
            labels,
            vec![
                b"MiXeD".to_vec(),
                b"a b".to_vec(),
                b"a.b".to_vec(),
                b"a(@x".to_vec()
            ]
        );
        assert_eq!(parse_name_labels(".").unwrap(), Vec::<Vec<u8>>::new());
        assert_eq!(parse_name_labels("x.").unwrap(), vec![b"x".to_vec()]);
    }

    #[test]
    fn idn_input_maps_unicode_names_and_leaves_ascii_as_typed() {
        let mapped = query_name_idn("München.TEST", true).unwrap();
        assert_eq!(mapped.to_ascii(), "xn--mnchen-3ya.test.");
        let kept = query_name_idn("MiXeD.test", true).unwrap();
        assert_eq!(kept.to_ascii(), "MiXeD.test.");
        let raw = query_name_idn("münchen.test", false).unwrap();
        assert_eq!(raw.iter().next(), Some("münchen".as_bytes()));
    }

    #[test]
    fn illegal_names_say_why_like_dig() {
        assert_eq!(parse_name_labels("a..b"), Err(NameSyntax::EmptyLabel));
        assert_eq!(parse_name_labels(".."), Err(NameSyntax::EmptyLabel));
        assert_eq!(parse_name_labels("a\\256b"), Err(NameSyntax::BadEscape));
        assert_eq!(parse_name_labels("a\\12"), Err(NameSyntax::UnexpectedEnd));
        assert_eq!(parse_name_labels("a\\"), Err(NameSyntax::UnexpectedEnd));
        assert_eq!(
            parse_name_labels(&"a".repeat(64)),
            Err(NameSyntax::LabelTooLong)
        );
        let long = vec!["a".repeat(60); 5].join(".");
        assert_eq!(parse_name_labels(&long), Err(NameSyntax::TooLong));
    }
    use hickory_proto::rr::rdata::opt::EdnsCode;

    #[test]
    fn options_shape_the_query_header_and_opt_record() {
        let name = query_name("www.example.test").unwrap();
        let options = QueryOptions {
            recurse: false,
            bufsize: 4096,
            ..QueryOptions::default()
        };
        let query = build_query(name.clone(), RecordType::MX, DNSClass::IN, &options).unwrap();
        assert!(!query.metadata.recursion_desired);
        assert_eq!(
            query.edns.as_ref().map(|edns| edns.max_payload()),
            Some(4096)
        );
        assert_eq!(query.queries[0].name().to_string(), "www.example.test.");

        let plain = QueryOptions {
            edns: None,
            ..QueryOptions::default()
        };
        assert!(
            build_query(name.clone(), RecordType::A, DNSClass::IN, &plain)
                .unwrap()
                .edns
                .is_none()
        );

        let nsid = QueryOptions {
            edns: None,
            nsid: true,
            ..QueryOptions::default()
        };
        let query = build_query(name, RecordType::A, DNSClass::IN, &nsid).unwrap();
        assert!(query
            .edns
            .as_ref()
            .and_then(|edns| edns.option(EdnsCode::NSID))
            .is_some());
    }
}
