//! A zone file's top-level entries read straight from the YAML parser's events (granit-parser,
//! serde-saphyr's own scanner) into `Node`s with their lines, without serde or location maps.
//! It reads plain YAML only and gives up on anything else (anchors, tags, errors, odd shapes): the
//! caller then reads the file with `yaml_tree`, which knows all of YAML and words every error.

use std::borrow::Cow;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, StructureStyle};

use crate::limits::MAX_YAML_EVENT_DEPTH;
use crate::zone::yaml_tree::{parse_document, Node, NodeValue};

/// The reader found something it leaves to `yaml_tree` (anchors, aliases, tags, several
/// documents, a top level that is not a mapping, a YAML error): entries handed over so far must
/// be thrown away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotPlain;

/// Reads a document whose top level is a mapping, handing each entry (key, value) to `each` as
/// soon as it is read, as `yaml_tree::parse_entries::<WithLines>` does and with the same nodes.
pub fn parse_plain_entries(text: &str, each: &mut dyn FnMut(Node, Node)) -> Result<(), NotPlain> {
    parse_entries_from(text, 0, false, each)
}

/// `parse_plain_entries` for a stretch of a file that starts on line `first_line` (1-based)
/// between one-line entries read by `yaml_flow_lines`: its lines are the file's, and it must be a
/// block mapping whose keys are at column 0, so that read alone it gives what it gives inside
/// the whole file (a flow mapping or an indented one would not parse there as it does alone).
pub fn parse_plain_stretch(
    text: &str,
    first_line: u64,
    each: &mut dyn FnMut(Node, Node),
) -> Result<(), NotPlain> {
    parse_entries_from(text, first_line.saturating_sub(1), true, each)
}

fn parse_entries_from(
    text: &str,
    line_offset: u64,
    stretch: bool,
    each: &mut dyn FnMut(Node, Node),
) -> Result<(), NotPlain> {
    let mut events = Parser::new_from_str(text);
    let mut next = move || -> Result<(Event<'_>, u64, usize), NotPlain> {
        match events.next() {
            Some(Ok((event, span))) => Ok((
                event,
                line_of(span.start.line()).saturating_add(line_offset),
                span.start.col(),
            )),
            _ => Err(NotPlain),
        }
    };
    if !matches!(next()?.0, Event::StreamStart) || !matches!(next()?.0, Event::DocumentStart(..)) {
        return Err(NotPlain);
    }
    match next()?.0 {
        Event::MappingStart(StructureStyle::Block, 0, None) => {}
        Event::MappingStart(_, 0, None) if !stretch => {}
        _ => return Err(NotPlain),
    }
    loop {
        let (event, line, column) = next()?;
        let key = match event {
            Event::MappingEnd => break,
            Event::Scalar(_, _, 0, None) if stretch && column != 0 => return Err(NotPlain),
            Event::Scalar(text, style, 0, None) => key_node(text, style, line)?,
            _ => return Err(NotPlain),
        };
        let (event, line, _) = next()?;
        let value = read_node(event, line, &mut || {
            next().map(|(event, line, _)| (event, line))
        })?;
        each(key, value);
    }
    if !matches!(next()?.0, Event::DocumentEnd) || !matches!(next()?.0, Event::StreamEnd) {
        return Err(NotPlain);
    }
    Ok(())
}

/// A parser line as the nodes carry it.
fn line_of(line: usize) -> u64 {
    u64::try_from(line).unwrap_or(u64::MAX)
}

/// A mapping key: its text as written (`yaml_tree` reads keys as strings, so `1.10` stays `1.10`).
/// A plain key that YAML reads as null is left to `yaml_tree`.
pub(crate) fn key_node(
    text: Cow<'_, str>,
    style: ScalarStyle,
    line: u64,
) -> Result<Node, NotPlain> {
    key_node_with(text, style, line, Cow::into_owned)
}

/// `key_node`, the text made into a `String` by `own` (`yaml_flow_lines` refills spare ones).
pub(crate) fn key_node_with<'text>(
    text: Cow<'text, str>,
    style: ScalarStyle,
    line: u64,
    own: impl FnOnce(Cow<'text, str>) -> String,
) -> Result<Node, NotPlain> {
    if style == ScalarStyle::Plain && is_null(&text) {
        return Err(NotPlain);
    }
    Ok(Node {
        line,
        value: NodeValue::Scalar(own(text)),
    })
}

/// A collection being read: its line and what has been read of it so far.
enum Open {
    Sequence(u64, Vec<Node>),
    Mapping(u64, Vec<(Node, Node)>, Option<Node>),
}

/// The whole node that starts with `first`, read with a stack of open collections (no recursion:
/// the depth is bounded by `MAX_YAML_EVENT_DEPTH`, beyond which `yaml_tree` reports the file).
fn read_node<'input>(
    first: Event<'input>,
    first_line: u64,
    next: &mut dyn FnMut() -> Result<(Event<'input>, u64), NotPlain>,
) -> Result<Node, NotPlain> {
    let mut open: Vec<Open> = Vec::new();
    let mut event = first;
    let mut line = first_line;
    loop {
        let done = match event {
            Event::Scalar(text, style, 0, None) => {
                let at_key = matches!(open.last(), Some(Open::Mapping(_, _, None)));
                if at_key {
                    key_node(text, style, line)?
                } else {
                    Node {
                        line,
                        value: scalar_value(text, style)?,
                    }
                }
            }
            Event::SequenceStart(_, 0, None) | Event::MappingStart(_, 0, None)
                if open.len() >= MAX_YAML_EVENT_DEPTH =>
            {
                return Err(NotPlain);
            }
            Event::SequenceStart(_, 0, None) => {
                open.push(Open::Sequence(line, Vec::new()));
                (event, line) = next()?;
                continue;
            }
            Event::MappingStart(_, 0, None) => {
                open.push(Open::Mapping(line, Vec::new(), None));
                (event, line) = next()?;
                continue;
            }
            Event::SequenceEnd => match open.pop() {
                Some(Open::Sequence(start, items)) => Node {
                    line: start,
                    value: NodeValue::Sequence(items),
                },
                _ => return Err(NotPlain),
            },
            Event::MappingEnd => match open.pop() {
                Some(Open::Mapping(start, entries, None)) => Node {
                    line: start,
                    value: NodeValue::Mapping(entries),
                },
                _ => return Err(NotPlain),
            },
            _ => return Err(NotPlain),
        };
        // Hand the finished node to the collection around it, or return it.
        match open.last_mut() {
            None => return Ok(done),
            Some(Open::Sequence(_, items)) => items.push(done),
            Some(Open::Mapping(_, entries, key)) => match key.take() {
                Some(key) => entries.push((key, done)),
                // A collection as a key: `yaml_tree` reads keys as strings and says why not.
                None if !matches!(done.value, NodeValue::Scalar(_)) => return Err(NotPlain),
                None => *key = Some(done),
            },
        }
        (event, line) = next()?;
    }
}

/// YAML's null spellings for a plain scalar (YAML 1.2 core schema, as serde-saphyr reads them).
fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// A value scalar as `yaml_tree` sees it after YAML typing: quoted and block scalars are text; a
/// plain one may be null, a boolean or a number, written back as serde-saphyr's value prints.
/// The common plain scalars (names, addresses, decimal numbers) are recognised here; any other is
/// typed by serde-saphyr itself, so the result is the same as `yaml_tree`'s.
pub(crate) fn scalar_value(text: Cow<'_, str>, style: ScalarStyle) -> Result<NodeValue, NotPlain> {
    scalar_value_with(text, style, Cow::into_owned)
}

/// `scalar_value`, the text made into a `String` by `own` (`yaml_flow_lines` refills spare ones).
pub(crate) fn scalar_value_with<'text>(
    text: Cow<'text, str>,
    style: ScalarStyle,
    own: impl FnOnce(Cow<'text, str>) -> String,
) -> Result<NodeValue, NotPlain> {
    if style != ScalarStyle::Plain {
        return Ok(NodeValue::Scalar(own(text)));
    }
    if is_null(&text) {
        return Ok(NodeValue::Null);
    }
    if is_plain_text(&text) {
        return Ok(NodeValue::Scalar(own(text)));
    }
    match parse_document(&text) {
        Ok(Node { value, .. }) => match value {
            NodeValue::Scalar(_) | NodeValue::Null => Ok(value),
            _ => Err(NotPlain),
        },
        Err(_) => Err(NotPlain),
    }
}

/// A plain scalar whose YAML type is surely a string that prints as written: it starts with a
/// letter and is no boolean, null or float word; or it is a decimal integer without a leading
/// zero (printed back the same); or digits with two or more dots (an IPv4 address).
fn is_plain_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    let Some(first) = bytes.first() else {
        return false;
    };
    if first.is_ascii_alphabetic() {
        let special = ["true", "false", "null", "inf", "infinity", "nan"];
        return !special.iter().any(|word| text.eq_ignore_ascii_case(word));
    }
    if bytes.iter().all(u8::is_ascii_digit) {
        // u64::MAX has 20 digits; a longer or larger number is printed differently.
        return (*first != b'0' || bytes.len() == 1) && bytes.len() < 20;
    }
    bytes
        .iter()
        .all(|byte| byte.is_ascii_digit() || *byte == b'.')
        && bytes.iter().filter(|byte| **byte == b'.').count() >= 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::repository_zones::repository_zone_texts;
    use crate::zone::yaml_tree::{parse_entries, TopLevel, WithLines};

    fn by_events(text: &str) -> Result<Vec<(Node, Node)>, NotPlain> {
        let mut found = Vec::new();
        parse_plain_entries(text, &mut |key, value| found.push((key, value)))?;
        Ok(found)
    }

    fn by_serde(text: &str) -> Vec<(Node, Node)> {
        let mut found = Vec::new();
        let top = parse_entries::<WithLines>(text, &mut |key, value| found.push((key, value)));
        assert_eq!(top, Ok(TopLevel::Mapping));
        found
    }

    #[test]
    fn events_give_the_nodes_and_lines_serde_gives() {
        let text = "\
# a zone
'':
  - type: SOA
    values:
      - {mname: ns1.example.test., rname: h.example.test., serial: 2026112501, refresh: 7200}
  - type: NS
    values: [ns1, 'ns2']
1.10: x
www: {type: A, value: 192.0.2.1, ttl: 300}
mx:
  type: MX
  value:
    preference: 010
    exchange: mail
txt:
  type: TXT
  values:
    - \"v=spf1 -all\"
    - >
      folded
      text
    - 1e3
    - true
    - ~
    - 0x1F
    - 2001:db8::1
    - 18446744073709551616
    - -5
    - ''
    - 
dup: {type: A, value: 1.2.3.4, type: A}
";
        assert_eq!(by_events(text), Ok(by_serde(text)));
    }

    #[test]
    fn every_zone_file_of_the_repository_reads_the_same_both_ways() {
        let mut compared = 0;
        for (file, text) in repository_zone_texts() {
            if let Ok(found) = by_events(&text) {
                assert_eq!(found, by_serde(&text), "{}", file.display());
                compared += 1;
            }
        }
        assert!(compared > 0);
    }

    #[test]
    fn anchors_tags_and_other_shapes_are_left_to_yaml_tree() {
        for text in [
            "a: &x {type: A, value: 1.2.3.4}\nb: *x\n",
            "a: !!str 10\n",
            "- a\n- b\n",
            "",
            "a: [unclosed\n",
            "? [x]\n: y\n",
            "a: 1\n---\nb: 2\n",
            "~: {type: A, value: 1.2.3.4}\n",
        ] {
            assert_eq!(by_events(text), Err(NotPlain), "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_left_to_yaml_tree() {
        let depth = MAX_YAML_EVENT_DEPTH + 1;
        let text = format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth));
        assert_eq!(by_events(&text), Err(NotPlain));
    }
}
