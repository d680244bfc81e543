//! A YAML document as a small tree whose every node carries its source line (serde-saphyr spans).
//! Keys keep their order and duplicates, so the zone loader can report each duplicate with its line.

use std::fmt;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_saphyr::Spanned;

use crate::limits::{
    MAX_ALIAS_REPLAYED_EVENTS, MAX_ZONE_FILE_BYTES, MIN_YAML_NODES, YAML_EVENTS_PER_NODE,
    YAML_NODES_PER_FILE_BYTE,
};

/// One YAML node with the line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub line: u64,
    pub value: NodeValue,
}

/// Scalars are kept as text (as octoDNS sees them after YAML typing); `Null` is `~` or empty.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeValue {
    Null,
    Scalar(String),
    Sequence(Vec<Node>),
    Mapping(Vec<(Node, Node)>),
}

impl Node {
    /// The scalar text, if this node is a scalar.
    pub fn as_scalar(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Scalar(text) => Some(text),
            _ => None,
        }
    }

    /// The first value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Mapping(entries) => entries
                .iter()
                .find(|(entry_key, _)| entry_key.as_scalar() == Some(key))
                .map(|(_, value)| value),
            _ => None,
        }
    }
}

/// The value of a node before its span is attached.
struct Plain(NodeValue);

impl<'de> Deserialize<'de> for Plain {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PlainVisitor).map(Plain)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned: Spanned<Plain> = Spanned::deserialize(deserializer)?;
        Ok(Node {
            line: spanned.referenced.line(),
            value: spanned.value.0,
        })
    }
}

/// A mapping key as written: keys are read as strings, so `1.10` stays `1.10` (a reverse-zone
/// owner) instead of becoming the float 1.1.
struct KeyText(NodeValue);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_string(PlainVisitor).map(KeyText)
    }
}

/// A key with its line.
struct Key(Node);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned: Spanned<KeyText> = Spanned::deserialize(deserializer)?;
        Ok(Key(Node {
            line: spanned.referenced.line(),
            value: spanned.value.0,
        }))
    }
}

struct PlainVisitor;

impl<'de> Visitor<'de> for PlainVisitor {
    type Value = NodeValue;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, value: bool) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(value.to_string()))
    }
    fn visit_i64<E: de::Error>(self, value: i64) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(value.to_string()))
    }
    fn visit_u64<E: de::Error>(self, value: u64) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(value.to_string()))
    }
    fn visit_i128<E: de::Error>(self, value: i128) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(value.to_string()))
    }
    fn visit_u128<E: de::Error>(self, value: u128) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(value.to_string()))
    }
    fn visit_f64<E: de::Error>(self, value: f64) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(value.to_string()))
    }
    fn visit_str<E: de::Error>(self, value: &str) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(value.to_owned()))
    }
    fn visit_string<E: de::Error>(self, value: String) -> Result<NodeValue, E> {
        Ok(NodeValue::Scalar(value))
    }
    fn visit_unit<E: de::Error>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<NodeValue, D::Error> {
        Plain::deserialize(deserializer).map(|plain| plain.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<NodeValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = access.next_element::<Node>()? {
            items.push(item);
        }
        Ok(NodeValue::Sequence(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<NodeValue, A::Error> {
        let mut entries = Vec::new();
        while let Some((Key(key), value)) = access.next_entry::<Key, Node>()? {
            entries.push((key, value));
        }
        Ok(NodeValue::Mapping(entries))
    }
}

/// Our parser options for a text of `bytes` bytes.
fn options_for(bytes: usize) -> serde_saphyr::Options {
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = MAX_ALIAS_REPLAYED_EVENTS;
    serde_saphyr::options! {
        budget: Some(budget_for(bytes)),
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        strict_booleans: true,
        alias_limits: alias_limits,
        // One line per error: `file:line: problem`, like named-checkzone, not a source snippet.
        with_snippet: false,
    }
}

fn error_line(error: serde_saphyr::Error) -> (u64, String) {
    let line = error
        .location()
        .map(|location| location.line())
        .unwrap_or(0);
    (line, error.to_string())
}

/// Parses a whole document. Duplicate keys are passed through so the caller reports each one.
pub fn parse_document(text: &str) -> Result<Node, (u64, String)> {
    serde_saphyr::from_str_with_options::<Node>(text, options_for(text.len())).map_err(error_line)
}

/// What the top level of a document turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TopLevel {
    /// A mapping: every entry was handed over.
    Mapping,
    /// An empty document (or `~`).
    Empty,
    /// Anything else; nothing was handed over.
    Other,
}

/// Parses a document whose top level is a mapping, handing each entry (key, value) to `each` as
/// soon as it is read, so only one entry's tree is in memory at a time (a whole million-record
/// zone as a tree costs ~700 MB). Duplicate keys are passed through, as in `parse_document`.
/// On a YAML error, entries before it have already been handed over.
pub fn parse_entries(
    text: &str,
    each: &mut dyn FnMut(Node, Node),
) -> Result<TopLevel, (u64, String)> {
    serde_saphyr::with_deserializer_from_str_with_options(text, options_for(text.len()), |de| {
        EntriesSeed { each }.deserialize(de)
    })
    .map_err(error_line)
}

struct EntriesSeed<'each> {
    each: &'each mut dyn FnMut(Node, Node),
}

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_> {
    type Value = TopLevel;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<TopLevel, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_> {
    type Value = TopLevel;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a mapping")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<TopLevel, A::Error> {
        while let Some(Key(key)) = access.next_key::<Key>()? {
            let value = access.next_value::<Node>()?;
            (self.each)(key, value);
        }
        Ok(TopLevel::Mapping)
    }
    fn visit_unit<E: de::Error>(self) -> Result<TopLevel, E> {
        Ok(TopLevel::Empty)
    }
    fn visit_none<E: de::Error>(self) -> Result<TopLevel, E> {
        Ok(TopLevel::Empty)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<TopLevel, D::Error> {
        deserializer.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<TopLevel, A::Error> {
        while access.next_element::<IgnoredAny>()?.is_some() {}
        Ok(TopLevel::Other)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<TopLevel, E> {
        Ok(TopLevel::Other)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<TopLevel, E> {
        Ok(TopLevel::Other)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<TopLevel, E> {
        Ok(TopLevel::Other)
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<TopLevel, E> {
        Ok(TopLevel::Other)
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<TopLevel, E> {
        Ok(TopLevel::Other)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<TopLevel, E> {
        Ok(TopLevel::Other)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<TopLevel, E> {
        Ok(TopLevel::Other)
    }
}

/// serde-saphyr's budget scaled to a text of `bytes` bytes; the text is never counted as more than
/// MAX_ZONE_FILE_BYTES, so the budget is bounded whoever calls.
fn budget_for(bytes: usize) -> serde_saphyr::Budget {
    let counted = bytes.min(usize::try_from(MAX_ZONE_FILE_BYTES).unwrap_or(usize::MAX));
    let nodes = counted
        .saturating_mul(YAML_NODES_PER_FILE_BYTE)
        .max(MIN_YAML_NODES);
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = nodes;
    budget.max_events = budget
        .max_events
        .max(nodes.saturating_mul(YAML_EVENTS_PER_NODE));
    budget
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_carry_lines_and_duplicates() {
        let text = "1.10: x\n1.1: y\n'':\n  type: A\n  value: 1.2.3.4\nwww:\n  - type: TXT\n    values: [a, 'b']\nwww: x\n";
        let document = parse_document(text).unwrap();
        let NodeValue::Mapping(entries) = &document.value else {
            panic!("{document:?}")
        };
        assert_eq!(entries.len(), 5);
        assert_eq!(entries[0].0.as_scalar(), Some("1.10"));
        assert_eq!(entries[1].0.as_scalar(), Some("1.1"));
        let entries = &entries[2..];
        assert_eq!(entries[0].0.line, 3);
        assert_eq!(entries[0].1.get("value").unwrap().line, 5);
        assert_eq!(entries[1].0.as_scalar(), Some("www"));
        assert_eq!(entries[1].0.line, 6);
        assert_eq!(entries[2].0.line, 9);
        let NodeValue::Sequence(items) = &entries[1].1.value else {
            panic!()
        };
        assert_eq!(items[0].line, 7);
    }
}
