//! Turns one octoDNS value node into hickory `RData` for a given record type.
//! Objects are mapped field by field; presentation-format strings go through hickory's own parser.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, NULL, PTR, SOA, SRV, TXT};
use hickory_proto::rr::{Name, RData, RecordType};
use hickory_proto::serialize::binary::BinEncodable;

use crate::limits::{MAX_TXT_VALUE_BYTES, TXT_CHUNK_BYTES};

/// LOC (type 29, RFC 1876) has no hickory type; octoDNS writes it as an object.
pub const LOC: RecordType = RecordType::Unknown(29);

/// SPF (type 99, RFC 4408; RFC 7208 §3.1 deprecates it) has no hickory type of its own.
pub const SPF: RecordType = RecordType::Unknown(99);
use crate::yaml_tree::{Node, NodeValue};
use crate::zone_error::ZoneErrorKind;

/// Builds the RDATA of `record_type` from one octoDNS value. Names are relative to `origin`
/// unless they end in a dot.
pub fn rdata_from_node(
    record_type: RecordType,
    node: &Node,
    origin: &Name,
) -> Result<RData, ZoneErrorKind> {
    match record_type {
        RecordType::A => {
            let text = scalar(record_type, node)?;
            Ipv4Addr::from_str(text.trim())
                .map(|address| RData::A(A(address)))
                .map_err(|_| ZoneErrorKind::BadAddress(text.to_owned()))
        }
        RecordType::AAAA => {
            let text = scalar(record_type, node)?;
            Ipv6Addr::from_str(text.trim())
                .map(|address| RData::AAAA(AAAA(address)))
                .map_err(|_| ZoneErrorKind::BadAddress(text.to_owned()))
        }
        RecordType::CNAME => Ok(RData::CNAME(CNAME(name(record_type, node, origin)?))),
        RecordType::NS => Ok(RData::NS(NS(name(record_type, node, origin)?))),
        RecordType::PTR => Ok(RData::PTR(PTR(name(record_type, node, origin)?))),
        RecordType::DNAME => {
            // hickory 0.26 has no DNAME type: serve it as opaque RDATA (RFC 3597), the target
            // in uncompressed wire form (RFC 6672 §2.5 forbids compressing it anyway).
            let target = name(record_type, node, origin)?;
            let wire = target
                .to_lowercase()
                .to_bytes()
                .map_err(|error| bad(record_type, error.to_string()))?;
            Ok(RData::Unknown {
                code: record_type,
                rdata: NULL::with(wire),
            })
        }
        RecordType::MX => {
            // octoDNS writes {preference, exchange}; older files use {priority, value}.
            let preference = integer_field(record_type, node, &["preference", "priority"])?;
            let exchange = name_field(record_type, node, &["exchange", "value"], origin)?;
            Ok(RData::MX(MX::new(preference, exchange)))
        }
        RecordType::SRV => Ok(RData::SRV(SRV::new(
            integer_field(record_type, node, &["priority"])?,
            integer_field(record_type, node, &["weight"])?,
            integer_field(record_type, node, &["port"])?,
            name_field(record_type, node, &["target"], origin)?,
        ))),
        RecordType::TXT => Ok(RData::TXT(TXT::new(txt_strings(record_type, node)?))),
        SPF => {
            // SPF (type 99, RFC 7208 §3.1 deprecates it) has TXT's wire form but no hickory type.
            let strings = txt_strings(record_type, node)?;
            let mut wire = Vec::new();
            for string in strings {
                // Each chunk is at most TXT_CHUNK_BYTES (255), so it fits the length octet.
                wire.push(u8::try_from(string.len()).unwrap_or(u8::MAX));
                wire.extend_from_slice(string.as_bytes());
            }
            Ok(RData::Unknown {
                code: record_type,
                rdata: NULL::with(wire),
            })
        }
        RecordType::CAA => {
            let flags: u8 = integer_field(record_type, node, &["flags"]).or_else(|error| {
                if field(node, &["flags"]).is_none() {
                    Ok(0)
                } else {
                    Err(error)
                }
            })?;
            let tag = text_field(record_type, node, &["tag"])?;
            let value = text_field(record_type, node, &["value"])?;
            presentation(record_type, &format!("{flags} {tag} {}", quoted(&value)))
        }
        RecordType::SSHFP => {
            let algorithm: u8 = integer_field(record_type, node, &["algorithm"])?;
            let fingerprint_type: u8 = integer_field(record_type, node, &["fingerprint_type"])?;
            let fingerprint = text_field(record_type, node, &["fingerprint"])?;
            presentation(
                record_type,
                &format!("{algorithm} {fingerprint_type} {fingerprint}"),
            )
        }
        RecordType::TLSA => {
            let usage: u8 = integer_field(record_type, node, &["certificate_usage"])?;
            let selector: u8 = integer_field(record_type, node, &["selector"])?;
            let matching: u8 = integer_field(record_type, node, &["matching_type"])?;
            let data = text_field(record_type, node, &["certificate_association_data"])?;
            presentation(
                record_type,
                &format!("{usage} {selector} {matching} {data}"),
            )
        }
        RecordType::NAPTR => {
            let order: u16 = integer_field(record_type, node, &["order"])?;
            let preference: u16 = integer_field(record_type, node, &["preference"])?;
            let flags = text_field(record_type, node, &["flags"])?;
            let service = text_field(record_type, node, &["service"])?;
            let regexp = text_field(record_type, node, &["regexp"])?;
            let replacement = name_field(record_type, node, &["replacement"], origin)?;
            presentation(
                record_type,
                &format!(
                    "{order} {preference} {} {} {} {replacement}",
                    quoted(&flags),
                    quoted(&service),
                    quoted(&regexp)
                ),
            )
        }
        RecordType::DS => {
            // Without hickory's DNSSEC features DS is opaque RDATA (RFC 3597), built from
            // octoDNS's {key_tag, algorithm, digest_type, digest} or a presentation string.
            let (key_tag, algorithm, digest_type, digest): (u16, u8, u8, String) = match &node.value
            {
                NodeValue::Scalar(text) => {
                    let mut parts = text.split_whitespace();
                    let mut number = |what: &str| -> Result<String, ZoneErrorKind> {
                        parts
                            .next()
                            .map(str::to_owned)
                            .ok_or_else(|| bad(record_type, format!("missing {what}")))
                    };
                    let key_tag = number("key tag")?;
                    let algorithm = number("algorithm")?;
                    let digest_type = number("digest type")?;
                    let digest: String = parts.collect();
                    (
                        key_tag
                            .parse()
                            .map_err(|_| bad(record_type, "bad key tag"))?,
                        algorithm
                            .parse()
                            .map_err(|_| bad(record_type, "bad algorithm"))?,
                        digest_type
                            .parse()
                            .map_err(|_| bad(record_type, "bad digest type"))?,
                        digest,
                    )
                }
                _ => (
                    integer_field(record_type, node, &["key_tag"])?,
                    integer_field(record_type, node, &["algorithm"])?,
                    integer_field(record_type, node, &["digest_type"])?,
                    text_field(record_type, node, &["digest"])?,
                ),
            };
            let mut wire = Vec::with_capacity(4 + digest.len() / 2);
            wire.extend_from_slice(&key_tag.to_be_bytes());
            wire.push(algorithm);
            wire.push(digest_type);
            wire.extend(
                hex_bytes(&digest)
                    .ok_or_else(|| bad(record_type, format!("digest is not hex: {digest:?}")))?,
            );
            Ok(RData::Unknown {
                code: record_type,
                rdata: NULL::with(wire),
            })
        }
        RecordType::SOA => Ok(RData::SOA(SOA::new(
            name_field(record_type, node, &["mname"], origin)?,
            name_field(record_type, node, &["rname"], origin)?,
            integer_field(record_type, node, &["serial"])?,
            integer_field(record_type, node, &["refresh"])?,
            integer_field(record_type, node, &["retry"])?,
            integer_field(record_type, node, &["expire"])?,
            integer_field(record_type, node, &["minimum"])?,
        ))),
        // Every further type hickory can parse (HINFO, HTTPS, SVCB, CERT, OPENPGPKEY, ...) takes
        // its presentation form as one string.
        LOC => loc_rdata(record_type, node),
        RecordType::SVCB | RecordType::HTTPS if matches!(node.value, NodeValue::Mapping(_)) => {
            svcb_rdata(record_type, node, origin)
        }
        _ => presentation(record_type, scalar(record_type, node)?),
    }
}

fn bad(record_type: RecordType, problem: impl Into<String>) -> ZoneErrorKind {
    ZoneErrorKind::BadValue {
        record_type: record_type.to_string(),
        problem: problem.into(),
    }
}

fn presentation(record_type: RecordType, text: &str) -> Result<RData, ZoneErrorKind> {
    RData::try_from_str(record_type, text)
        .map_err(|error| bad(record_type, format!("{text:?}: {error}")))
}

fn scalar(record_type: RecordType, node: &Node) -> Result<&str, ZoneErrorKind> {
    node.as_scalar().ok_or_else(|| {
        bad(
            record_type,
            format!("expected a single value, found {}", shape(node)),
        )
    })
}

fn shape(node: &Node) -> &'static str {
    match node.value {
        NodeValue::Null => "nothing",
        NodeValue::Scalar(_) => "a scalar",
        NodeValue::Sequence(_) => "a list",
        NodeValue::Mapping(_) => "a mapping",
    }
}

fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for character in text.chars() {
        if character == '"' || character == '\\' {
            out.push('\\');
        }
        out.push(character);
    }
    out.push('"');
    out
}

fn parse_name(record_type: RecordType, text: &str, origin: &Name) -> Result<Name, ZoneErrorKind> {
    let text = text.trim();
    if text.is_empty() {
        return Err(bad(record_type, "empty name"));
    }
    if text == "@" {
        return Ok(origin.clone());
    }
    Name::parse(text, Some(origin)).map_err(|_| ZoneErrorKind::BadName(text.to_owned()))
}

fn name(record_type: RecordType, node: &Node, origin: &Name) -> Result<Name, ZoneErrorKind> {
    parse_name(record_type, scalar(record_type, node)?, origin)
}

fn field<'n>(node: &'n Node, names: &[&str]) -> Option<&'n Node> {
    names.iter().find_map(|field_name| node.get(field_name))
}

fn text_field(
    record_type: RecordType,
    node: &Node,
    names: &[&str],
) -> Result<String, ZoneErrorKind> {
    if !matches!(node.value, NodeValue::Mapping(_)) {
        return Err(bad(
            record_type,
            format!(
                "expected a mapping with {}, found {}",
                names.join("/"),
                shape(node)
            ),
        ));
    }
    match field(node, names) {
        Some(value) => match &value.value {
            NodeValue::Scalar(text) => Ok(text.clone()),
            NodeValue::Null => Ok(String::new()),
            _ => Err(bad(
                record_type,
                format!("field {} must be a scalar", names.join("/")),
            )),
        },
        None => Err(bad(
            record_type,
            format!("missing field {}", names.join("/")),
        )),
    }
}

fn name_field(
    record_type: RecordType,
    node: &Node,
    names: &[&str],
    origin: &Name,
) -> Result<Name, ZoneErrorKind> {
    parse_name(record_type, &text_field(record_type, node, names)?, origin)
}

fn integer_field<T: FromStr>(
    record_type: RecordType,
    node: &Node,
    names: &[&str],
) -> Result<T, ZoneErrorKind> {
    let text = text_field(record_type, node, names)?;
    text.trim().parse().map_err(|_| {
        bad(
            record_type,
            format!(
                "field {} is not a number in range: {text:?}",
                names.join("/")
            ),
        )
    })
}

/// octoDNS TXT values escape `;` as `\;` (and `\` as `\\`); long values are split into
/// 255-octet character-strings (RFC 1035 §3.3.14), as octoDNS's own chunking does.
fn txt_strings(record_type: RecordType, node: &Node) -> Result<Vec<String>, ZoneErrorKind> {
    let raw = scalar(record_type, node)?;
    if raw.len() > MAX_TXT_VALUE_BYTES {
        return Err(bad(
            record_type,
            format!("value is {} bytes, limit {MAX_TXT_VALUE_BYTES}", raw.len()),
        ));
    }
    let mut text = String::with_capacity(raw.len());
    let mut characters = raw.chars();
    while let Some(character) = characters.next() {
        if character == '\\' {
            match characters.next() {
                Some(escaped @ (';' | '\\')) => text.push(escaped),
                Some(other) => {
                    text.push('\\');
                    text.push(other);
                }
                None => text.push('\\'),
            }
        } else {
            text.push(character);
        }
    }
    let mut strings = Vec::new();
    let mut current = String::new();
    for character in text.chars() {
        if current.len() + character.len_utf8() > TXT_CHUNK_BYTES {
            strings.push(std::mem::take(&mut current));
        }
        current.push(character);
    }
    strings.push(current);
    Ok(strings)
}

/// Decodes hexadecimal text (whitespace allowed, as in presentation format).
fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|byte| !byte.is_ascii_whitespace())
        .collect();
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).ok()?;
            u8::from_str_radix(text, 16).ok()
        })
        .collect()
}

/// RFC 1876 §2: LOC from octoDNS's {lat_degrees, lat_minutes, lat_seconds, lat_direction,
/// long_*, altitude, size, precision_horz, precision_vert}, encoded as opaque RDATA.
fn loc_rdata(record_type: RecordType, node: &Node) -> Result<RData, ZoneErrorKind> {
    let number = |name: &str| -> Result<f64, ZoneErrorKind> {
        let value: f64 = integer_field_or_float(record_type, node, name)?;
        if value.is_finite() {
            Ok(value)
        } else {
            Err(bad(record_type, format!("field {name} is not finite")))
        }
    };
    let optional = |name: &str, default: f64| -> Result<f64, ZoneErrorKind> {
        if field(node, &[name]).is_some() {
            number(name)
        } else {
            Ok(default)
        }
    };
    // Thousandths of an arc second from the equator or prime meridian, offset by 2^31.
    let angle =
        |prefix: &str, positive: &str, negative: &str, limit: f64| -> Result<u32, ZoneErrorKind> {
            let degrees = number(&format!("{prefix}_degrees"))?;
            let minutes = optional(&format!("{prefix}_minutes"), 0.0)?;
            let seconds = optional(&format!("{prefix}_seconds"), 0.0)?;
            let direction = text_field(record_type, node, &[&format!("{prefix}_direction")])?;
            let sign = match direction.trim().to_ascii_uppercase() {
                text if text == positive => 1.0,
                text if text == negative => -1.0,
                _ => {
                    return Err(bad(
                        record_type,
                        format!("{prefix}_direction must be {positive} or {negative}"),
                    ))
                }
            };
            let total = degrees * 3600.0 + minutes * 60.0 + seconds;
            if !(0.0..=limit * 3600.0).contains(&total)
                || !(0.0..60.0).contains(&minutes)
                || !(0.0..60.0).contains(&seconds)
            {
                return Err(bad(record_type, format!("{prefix} out of range")));
            }
            let offset = (sign * total * 1000.0).round() as i64 + (1_i64 << 31);
            u32::try_from(offset).map_err(|_| bad(record_type, format!("{prefix} out of range")))
        };
    // Sizes and precisions: centimetres as mantissa × 10^exponent, both 0..=9.
    let size = |name: &str, default: f64| -> Result<u8, ZoneErrorKind> {
        let metres = optional(name, default)?;
        if !(0.0..=90_000_000.0).contains(&metres) {
            return Err(bad(record_type, format!("{name} out of range")));
        }
        let mut centimetres = (metres * 100.0).round() as u64;
        let mut exponent = 0u8;
        while centimetres >= 10 && exponent < 9 {
            centimetres /= 10;
            exponent += 1;
        }
        Ok(((centimetres.min(9) as u8) << 4) | exponent)
    };
    let latitude = angle("lat", "N", "S", 90.0)?;
    let longitude = angle("long", "E", "W", 180.0)?;
    let altitude_metres = optional("altitude", 0.0)?;
    let altitude = ((altitude_metres + 100_000.0) * 100.0).round();
    if !(0.0..=f64::from(u32::MAX)).contains(&altitude) {
        return Err(bad(record_type, "altitude out of range"));
    }
    let mut wire = vec![
        0u8,
        size("size", 1.0)?,
        size("precision_horz", 10_000.0)?,
        size("precision_vert", 10.0)?,
    ];
    wire.extend_from_slice(&latitude.to_be_bytes());
    wire.extend_from_slice(&longitude.to_be_bytes());
    wire.extend_from_slice(&(altitude as u32).to_be_bytes());
    Ok(RData::Unknown {
        code: record_type,
        rdata: NULL::with(wire),
    })
}

fn integer_field_or_float(
    record_type: RecordType,
    node: &Node,
    name: &str,
) -> Result<f64, ZoneErrorKind> {
    let text = text_field(record_type, node, &[name])?;
    text.trim().parse().map_err(|_| {
        bad(
            record_type,
            format!("field {name} is not a number: {text:?}"),
        )
    })
}

/// octoDNS SVCB/HTTPS objects {svcpriority, targetname, svcparams: {key: value or list}} turned
/// into presentation format (RFC 9460 §2.1) for hickory's parser.
fn svcb_rdata(record_type: RecordType, node: &Node, origin: &Name) -> Result<RData, ZoneErrorKind> {
    let priority: u16 = integer_field(record_type, node, &["svcpriority"])?;
    let target = name_field(record_type, node, &["targetname"], origin)?;
    let mut text = format!("{priority} {target}");
    if let Some(Node {
        value: NodeValue::Mapping(parameters),
        ..
    }) = field(node, &["svcparams"])
    {
        for (key, value) in parameters {
            let key = key
                .as_scalar()
                .ok_or_else(|| bad(record_type, "svcparams keys must be strings"))?;
            let value = match &value.value {
                NodeValue::Null => String::new(),
                NodeValue::Scalar(text) => text.clone(),
                NodeValue::Sequence(items) => items
                    .iter()
                    .filter_map(Node::as_scalar)
                    .collect::<Vec<_>>()
                    .join(","),
                NodeValue::Mapping(_) => {
                    return Err(bad(
                        record_type,
                        format!("svcparams {key} must be a value or list"),
                    ))
                }
            };
            if value.is_empty() {
                text.push_str(&format!(" {key}"));
            } else {
                text.push_str(&format!(" {key}={}", quoted(&value)));
            }
        }
    }
    presentation(record_type, &text)
}
