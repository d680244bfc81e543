//! A YAML document as a small tree whose every node carries its source line (serde-saphyr spans).
//! Keys keep their order and duplicates, so the zone loader can report each duplicate with its line.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde_saphyr::Spanned;

use crate::limits::{
    MAX_ALIAS_REPLAYED_EVENTS, MIN_YAML_NODES, YAML_EVENTS_PER_NODE, YAML_NODES_PER_FILE_BYTE,
    YAML_SCALAR_BYTES_PER_FILE_BYTE,
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

/// Whether parsed nodes carry their source lines. Lines are what errors and warnings report;
/// reading spans costs about a third of the parse (serde-saphyr builds a location map per node),
/// so a loader may parse a file without them first and again with them only if it must report.
pub trait LineMode {
    const KEEPS_LINES: bool;
}

/// Nodes carry their lines.
pub struct WithLines;

/// Every node's line is 0.
pub struct WithoutLines;

impl LineMode for WithLines {
    const KEEPS_LINES: bool = true;
}

impl LineMode for WithoutLines {
    const KEEPS_LINES: bool = false;
}

/// The value of a node before its span is attached.
struct Plain<L>(NodeValue, PhantomData<L>);

impl<'de, L: LineMode> Deserialize<'de> for Plain<L> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(PlainVisitor::<L>(PhantomData))
            .map(|value| Plain(value, PhantomData))
    }
}

/// A node read in line mode `L`.
struct NodeIn<L>(Node, PhantomData<L>);

impl<'de, L: LineMode> Deserialize<'de> for NodeIn<L> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let node = if L::KEEPS_LINES {
            let spanned: Spanned<Plain<L>> = Spanned::deserialize(deserializer)?;
            Node {
                line: spanned.referenced.line(),
                value: spanned.value.0,
            }
        } else {
            Node {
                line: 0,
                value: Plain::<L>::deserialize(deserializer)?.0,
            }
        };
        Ok(NodeIn(node, PhantomData))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        NodeIn::<WithLines>::deserialize(deserializer).map(|node| node.0)
    }
}

/// A mapping key as written: keys are read as strings, so `1.10` stays `1.10` (a reverse-zone
/// owner) instead of becoming the float 1.1.
struct KeyText<L>(NodeValue, PhantomData<L>);

impl<'de, L: LineMode> Deserialize<'de> for KeyText<L> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_string(PlainVisitor::<L>(PhantomData))
            .map(|value| KeyText(value, PhantomData))
    }
}

/// A key with its line (in line mode `L`).
struct Key<L>(Node, PhantomData<L>);

impl<'de, L: LineMode> Deserialize<'de> for Key<L> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let node = if L::KEEPS_LINES {
            let spanned: Spanned<KeyText<L>> = Spanned::deserialize(deserializer)?;
            Node {
                line: spanned.referenced.line(),
                value: spanned.value.0,
            }
        } else {
            Node {
                line: 0,
                value: KeyText::<L>::deserialize(deserializer)?.0,
            }
        };
        Ok(Key(node, PhantomData))
    }
}

struct PlainVisitor<L>(PhantomData<L>);

impl<'de, L: LineMode> Visitor<'de> for PlainVisitor<L> {
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
        Plain::<L>::deserialize(deserializer).map(|plain| plain.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<NodeValue, A::Error> {
        let mut items = Vec::new();
        while let Some(NodeIn(item, _)) = access.next_element::<NodeIn<L>>()? {
            items.push(item);
        }
        Ok(NodeValue::Sequence(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<NodeValue, A::Error> {
        let mut entries = Vec::new();
        while let Some((Key(key, _), NodeIn(value, _))) =
            access.next_entry::<Key<L>, NodeIn<L>>()?
        {
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
/// Nodes carry their lines in `WithLines` mode only (see `LineMode`).
pub fn parse_entries<L: LineMode>(
    text: &str,
    each: &mut dyn FnMut(Node, Node),
) -> Result<TopLevel, (u64, String)> {
    serde_saphyr::with_deserializer_from_str_with_options(text, options_for(text.len()), |de| {
        EntriesSeed::<L> {
            each,
            mode: PhantomData,
        }
        .deserialize(de)
    })
    .map_err(error_line)
}

struct EntriesSeed<'each, L> {
    each: &'each mut dyn FnMut(Node, Node),
    mode: PhantomData<L>,
}

impl<'de, L: LineMode> DeserializeSeed<'de> for EntriesSeed<'_, L> {
    type Value = TopLevel;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<TopLevel, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, L: LineMode> Visitor<'de> for EntriesSeed<'_, L> {
    type Value = TopLevel;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a mapping")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<TopLevel, A::Error> {
        while let Some(Key(key, _)) = access.next_key::<Key<L>>()? {
            let NodeIn(value, _) = access.next_value::<NodeIn<L>>()?;
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

/// serde-saphyr's budget scaled to a text of `bytes` bytes: proportional to text the caller already
/// holds (a file's size is bounded by the zone memory limit before it is read).
fn budget_for(bytes: usize) -> serde_saphyr::Budget {
    let nodes = bytes
        .saturating_mul(YAML_NODES_PER_FILE_BYTE)
        .max(MIN_YAML_NODES);
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = nodes;
    budget.max_events = budget
        .max_events
        .max(nodes.saturating_mul(YAML_EVENTS_PER_NODE));
    // serde-saphyr stops at 64 MiB of scalar text (and 256 MB of reader input) by default: a
    // 10,000,000-record zone has about 300 MB of scalars. Outside aliases a scalar is text of the
    // file, so the budget follows the file; aliases may replay some text again.
    let scalar_bytes = bytes.saturating_mul(YAML_SCALAR_BYTES_PER_FILE_BYTE);
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(scalar_bytes);
    budget.max_reader_input_bytes = budget.max_reader_input_bytes.map(|limit| limit.max(bytes));
    budget
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries<L: LineMode>(text: &str) -> Vec<(Node, Node)> {
        let mut found = Vec::new();
        let top = parse_entries::<L>(text, &mut |key, value| found.push((key, value)));
        assert_eq!(top, Ok(TopLevel::Mapping));
        found
    }

    fn without_lines(node: &Node) -> Node {
        let value = match &node.value {
            NodeValue::Sequence(items) => {
                NodeValue::Sequence(items.iter().map(without_lines).collect())
            }
            NodeValue::Mapping(entries) => NodeValue::Mapping(
                entries
                    .iter()
                    .map(|(key, value)| (without_lines(key), without_lines(value)))
                    .collect(),
            ),
            other => other.clone(),
        };
        Node { line: 0, value }
    }

    #[test]
    fn entries_without_lines_hold_the_same_values_with_line_zero() {
        let text = "'':\n  type: A\n  value: 1.2.3.4\nwww:\n  - {type: TXT, values: [a, 'b']}\n";
        let with = entries::<WithLines>(text);
        let without = entries::<WithoutLines>(text);
        assert_eq!(with.len(), 2);
        assert_eq!(with[1].0.line, 4);
        assert_eq!(with[1].1.line, 5);
        let stripped: Vec<(Node, Node)> = with
            .iter()
            .map(|(key, value)| (without_lines(key), without_lines(value)))
            .collect();
        assert_eq!(without, stripped);
    }

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
