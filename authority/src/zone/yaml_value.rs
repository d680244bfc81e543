//! Reads scalars, names and fields out of one octoDNS value node, each error naming the record type
//! and field. Shared by `yaml_rdata` and `yaml_rdata_objects`; it must import neither (no cycle).

use std::str::FromStr;

use hickory_proto::rr::{Name, RData, RecordType};

use crate::zone::error::ZoneErrorKind;
use crate::zone::spelling::closest;
use crate::zone::yaml_record_wire::plain_name;
use crate::zone::yaml_tree::{Node, NodeValue};

pub(crate) fn bad(record_type: RecordType, problem: impl Into<String>) -> ZoneErrorKind {
    ZoneErrorKind::BadValue {
        record_type: record_type.to_string(),
        problem: problem.into(),
    }
}

pub(crate) fn presentation(record_type: RecordType, text: &str) -> Result<RData, ZoneErrorKind> {
    RData::try_from_str(record_type, text)
        .map_err(|error| bad(record_type, format!("{text:?}: {error}")))
}

pub(crate) fn scalar(record_type: RecordType, node: &Node) -> Result<&str, ZoneErrorKind> {
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

pub(crate) fn quoted(text: &str) -> String {
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

/// `str::trim`, without decoding characters when both ends are visible ASCII (the usual case:
/// a UTF-8 sequence neither starts nor ends with an ASCII byte, so the ends are those characters).
pub(crate) fn trimmed(text: &str) -> &str {
    match (text.as_bytes().first(), text.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

fn parse_name(record_type: RecordType, text: &str, origin: &Name) -> Result<Name, ZoneErrorKind> {
    let text = trimmed(text);
    if text.is_empty() {
        return Err(bad(record_type, "empty name"));
    }
    if text == "@" {
        return Ok(origin.clone());
    }
    if let Some(name) = plain_name(text, origin) {
        return Ok(name);
    }
    Name::parse(text, Some(origin)).map_err(|_| ZoneErrorKind::BadName(text.to_owned()))
}

pub(crate) fn name(
    record_type: RecordType,
    node: &Node,
    origin: &Name,
) -> Result<Name, ZoneErrorKind> {
    parse_name(record_type, scalar(record_type, node)?, origin)
}

pub(crate) fn field<'n>(node: &'n Node, names: &[&str]) -> Option<&'n Node> {
    names.iter().find_map(|field_name| node.get(field_name))
}

pub(crate) fn text_field(
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
        None => Err(bad(record_type, missing_field(node, names))),
    }
}

/// "missing field X", naming a key of the value that looks like a misspelling of X.
fn missing_field(node: &Node, names: &[&str]) -> String {
    let mut message = format!("missing field {}", names.join("/"));
    if let NodeValue::Mapping(entries) = &node.value {
        let misspelt = entries
            .iter()
            .filter_map(|(key, _)| key.as_scalar())
            .find_map(|key| closest(key, names).map(|valid| (key, valid)));
        if let Some((key, valid)) = misspelt {
            message.push_str(&format!(" (found {key:?}: did you mean {valid:?}?)"));
        }
    }
    message
}

pub(crate) fn name_field(
    record_type: RecordType,
    node: &Node,
    names: &[&str],
    origin: &Name,
) -> Result<Name, ZoneErrorKind> {
    parse_name(record_type, &text_field(record_type, node, names)?, origin)
}

pub(crate) fn integer_field<T: FromStr>(
    record_type: RecordType,
    node: &Node,
    names: &[&str],
) -> Result<T, ZoneErrorKind> {
    let text = text_field(record_type, node, names)?;
    trimmed(&text).parse().map_err(|_| {
        bad(
            record_type,
            format!(
                "field {} is not a number in range: {text:?}",
                names.join("/")
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_is_str_trim() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\n",
            "\u{a0}a",
            "a\u{2003}",
            "é",
            "éa",
            "aé",
            "\u{85}x",
            "x\u{3000}",
            "a b",
            "192.0.2.1",
        ] {
            assert_eq!(trimmed(text), text.trim(), "{text:?}");
        }
    }
}
