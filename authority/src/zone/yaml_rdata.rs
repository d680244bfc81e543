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
use crate::zone::error::ZoneErrorKind;
use crate::zone::yaml_rdata_objects::{ds_rdata, loc_rdata, svcb_rdata};
use crate::zone::yaml_tree::{Node, NodeValue};
use crate::zone::yaml_value::{
    bad, field, integer_field, name, name_field, presentation, quoted, scalar, text_field, trimmed,
};

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
            Ipv4Addr::from_str(trimmed(text))
                .map(|address| RData::A(A(address)))
                .map_err(|_| ZoneErrorKind::BadAddress(text.to_owned()))
        }
        RecordType::AAAA => {
            let text = scalar(record_type, node)?;
            Ipv6Addr::from_str(trimmed(text))
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
        RecordType::DS => ds_rdata(record_type, node),
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
