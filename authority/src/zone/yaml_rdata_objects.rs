//! octoDNS object forms for types hickory 0.26 has no struct for (DS, LOC: served as RFC 3597
//! opaque RDATA) or parses only from text (SVCB/HTTPS). Field-by-field, each error names the field.

use hickory_proto::rr::rdata::NULL;
use hickory_proto::rr::{Name, RData, RecordType};

use crate::zone::error::ZoneErrorKind;
use crate::zone::yaml_tree::{Node, NodeValue};
use crate::zone::yaml_value::{
    bad, field, integer_field, name_field, presentation, quoted, text_field,
};

/// RFC 4034 §5.1: DS from octoDNS's {key_tag, algorithm, digest_type, digest} or a presentation
/// string, as opaque RDATA (hickory has DS only with its DNSSEC features).
pub(crate) fn ds_rdata(record_type: RecordType, node: &Node) -> Result<RData, ZoneErrorKind> {
    let (key_tag, algorithm, digest_type, digest): (u16, u8, u8, String) = match &node.value {
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
pub(crate) fn loc_rdata(record_type: RecordType, node: &Node) -> Result<RData, ZoneErrorKind> {
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
pub(crate) fn svcb_rdata(
    record_type: RecordType,
    node: &Node,
    origin: &Name,
) -> Result<RData, ZoneErrorKind> {
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
