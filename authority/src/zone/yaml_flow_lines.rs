//! Zone files written one record per line (`'host1': {type: A, value: 10.0.0.1}`) read by a small
//! scanner for that one shape, the stretches between such lines by granit (`yaml_events`).
//! It must give exactly the nodes granit gives for the whole file, or send the file to granit.
//!
//! ```text
//! text ─┬─ a column-0 line of the strict one-line grammar ──→ nodes (key_node / scalar_value)
//!       └─ any other run of lines (a "stretch") ─────────────→ yaml_events::parse_plain_stretch
//! a stretch not plain ──→ LinesNotPlain::Stretch: the caller reads the whole file with granit
//! ```

use std::borrow::Cow;

use serde_saphyr::granit_parser::ScalarStyle;

use crate::zone::yaml_events::{
    key_node_with, parse_plain_entries, parse_plain_stretch, scalar_value_with, NotPlain,
};
use crate::zone::yaml_tree::{Node, NodeValue};

/// The longest line read as a one-line entry: granit forgets a simple-key candidate after 1024
/// characters (`simple_key_max_lookahead`), so a longer line is left to granit.
const MAX_FAST_LINE_BYTES: usize = 1000;

/// Spare strings and lists kept for the next one-line entries (an entry needs about six).
const MAX_SPARES: usize = 64;

/// Collections open at once in a one-line entry: the record object (1), `values: [...]` (2),
/// a value object in it (3), a list in that (4). Deeper lines are left to granit.
const MAX_FAST_LINE_DEPTH: usize = 4;

/// A top-level entry: its key and its value.
type Entry = (Node, Node);

/// Why the line reader stopped; entries handed over so far must be thrown away either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinesNotPlain {
    /// The whole file was read by `yaml_events` and is not plain (go to `yaml_tree`).
    WholeFile,
    /// A stretch between one-line entries was not plain read alone: read the whole file with
    /// `yaml_events::parse_plain_entries`, which decides.
    Stretch,
}

/// Reads a zone file's top-level entries, one-line entries by the scanner below and the rest by
/// granit, handing each (key, value) to `each` in file order with the nodes and lines
/// `yaml_events::parse_plain_entries` gives for the whole text.
///
/// Why a column-0 line of the grammar is an entry of its own in the whole file too: a stretch
/// that leaves a construct open (a quoted scalar, a flow collection) fails when read alone, a
/// block scalar or a plain scalar ends at a line that is not indented, and a stretch must be a
/// block mapping with its keys at column 0 (`parse_plain_stretch`). A stretch is read together
/// with the one-line entry that ends it, so that granit sees its end as in the whole file.
/// Document markers (`---` after the first line, `...`, `%`) and the characters granit reads
/// differently or refuses even in a comment (`is_unusual`) send the whole file to granit.
pub fn parse_entries_by_lines(
    text: &str,
    each: &mut dyn FnMut(&Node, &Node),
) -> Result<(), LinesNotPlain> {
    let whole_file = |each: &mut dyn FnMut(&Node, &Node)| {
        parse_plain_entries(text, &mut |key, value| each(&key, &value))
            .map_err(|NotPlain| LinesNotPlain::WholeFile)
    };
    let mut spares = Spares::default();
    let bytes = text.as_bytes();
    if bytes.iter().copied().any(may_start_unusual) && text.chars().any(is_unusual) {
        return whole_file(each);
    }
    let mut stretch = Stretch {
        start: 0,
        first_line: 1,
        has_content: false,
    };
    let mut any_fast_line = false;
    let mut document_started = false;
    let mut line_start = 0;
    let mut line: u64 = 1;
    while line_start < bytes.len() {
        let rest = text.get(line_start..).unwrap_or_default();
        let fast_line = read_fast_line(rest, line, &mut spares);
        let line_end = match &fast_line {
            Some((_, length)) => line_start + length,
            None => rest
                .bytes()
                .position(|byte| byte == b'\n')
                .map_or(bytes.len(), |at| line_start + at),
        };
        let next_line_start = line_end.saturating_add(1).min(bytes.len());
        match fast_line.map(|(entry, _)| entry) {
            Some(Ok((key, value))) => {
                if stretch.has_content {
                    // granit reads this line too, so the stretch ends as in the whole file (an
                    // empty block scalar, for one, takes its line from the line after it).
                    stretch.hand_over(text, next_line_start, each)?;
                } else {
                    each(&key, &value);
                }
                spares.give_back(key);
                spares.give_back(value);
                any_fast_line = true;
                stretch = Stretch {
                    start: next_line_start,
                    first_line: line.saturating_add(1),
                    has_content: false,
                };
            }
            // A scalar the grammar reads but `yaml_events` would not take: so is the file.
            Some(Err(NotPlain)) => return Err(LinesNotPlain::Stretch),
            None => match line_kind(text.get(line_start..line_end).unwrap_or_default()) {
                LineKind::Blank => {}
                LineKind::Content => stretch.has_content = true,
                // `---` opening the file (before any entry) starts the one document; any other
                // marker may start or end a document, which only the whole-file reader judges.
                LineKind::DocumentStart
                    if !any_fast_line && !stretch.has_content && !document_started =>
                {
                    document_started = true;
                }
                LineKind::DocumentStart | LineKind::OtherMarker => {
                    return if any_fast_line {
                        Err(LinesNotPlain::Stretch)
                    } else {
                        whole_file(each)
                    };
                }
            },
        }
        line_start = next_line_start;
        line = line.saturating_add(1);
        if line_end == bytes.len() {
            break;
        }
    }
    if !any_fast_line {
        return whole_file(each);
    }
    stretch.hand_over(text, bytes.len(), each)
}

/// A character that makes the whole file granit's: granit reads `\r` as a line break (the scanner
/// counts `\n`), NUL as the end of the input, refuses other controls and non-characters even in
/// a comment (which the scanner skips unread), and reads a byte-order mark.
fn is_unusual(character: char) -> bool {
    (character.is_ascii_control() && !matches!(character, '\n' | '\t'))
        || matches!(
            character,
            '\u{80}'..='\u{9f}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// A byte that is, or starts the UTF-8 of, an `is_unusual` character (a first pass over the
/// bytes; the characters are decoded only if one is there).
fn may_start_unusual(byte: u8) -> bool {
    (byte < 0x20 && !matches!(byte, b'\n' | b'\t')) || matches!(byte, 0x7f | 0xc2 | 0xef)
}

/// Lines not read as one-line entries, from `start` to the next one-line entry.
struct Stretch {
    start: usize,
    first_line: u64,
    /// Anything but blank lines, comments and an opening `---`.
    has_content: bool,
}

impl Stretch {
    /// Reads the stretch ending at `end` with granit (nothing to read: skipped); `end` takes in
    /// the one-line entry after the stretch, if any.
    fn hand_over(
        &self,
        text: &str,
        end: usize,
        each: &mut dyn FnMut(&Node, &Node),
    ) -> Result<(), LinesNotPlain> {
        if !self.has_content {
            return Ok(());
        }
        let stretch = text.get(self.start..end).ok_or(LinesNotPlain::Stretch)?;
        parse_plain_stretch(stretch, self.first_line, &mut |key, value| {
            each(&key, &value)
        })
        .map_err(|NotPlain| LinesNotPlain::Stretch)
    }
}

/// What a line that is not a one-line entry holds, as far as cutting the file goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineKind {
    /// Spaces only, or spaces and a comment.
    Blank,
    /// `---`, alone or with spaces and a comment after it.
    DocumentStart,
    /// `---` or `...` followed by anything else, or a directive (`%`).
    OtherMarker,
    Content,
}

fn line_kind(line: &str) -> LineKind {
    let trimmed = line.trim_start_matches(' ');
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return LineKind::Blank;
    }
    if line.starts_with('%') || line.starts_with("...") {
        return LineKind::OtherMarker;
    }
    if let Some(after) = line.strip_prefix("---") {
        let after_spaces = after.trim_start_matches(' ');
        let spaced = after_spaces.len() < after.len();
        return if after_spaces.is_empty() || (spaced && after_spaces.starts_with('#')) {
            LineKind::DocumentStart
        } else {
            LineKind::OtherMarker
        };
    }
    LineKind::Content
}

/// A column-0 line of the one-line grammar, read into its key and value nodes (`None`: not
/// such a line, left to granit; `Some(Err)`: `key_node`/`scalar_value` refuse a scalar in it).
///
/// ```text
/// line    = key ":" SP+ (mapping | sequence) SP* [SP "#" printable*]   (nothing else)
/// mapping = "{" SP* [key ":" SP+ value (SP* "," SP* key ":" SP+ value)*] SP* "}"
/// sequence= "[" SP* [value (SP* "," SP* value)*] SP* "]"
/// value   = plain | single-quoted | mapping | sequence          (4 collections deep at most)
/// key     = plain-key | single-quoted
/// ```
/// Plain scalars are letters, digits and `_ . / + = -` (a value may also hold single spaces
/// between words and `:` runs followed by a letter or digit, as in `2001:db8::1`); single-quoted
/// ones printable ASCII without `\` or `"`, `''` for a quote.
fn read_fast_line(
    rest: &str,
    line_number: u64,
    spares: &mut Spares,
) -> Option<(Result<Entry, NotPlain>, usize)> {
    // The scanner sees no further than one byte past the longest line it reads.
    let window = rest
        .as_bytes()
        .get(..MAX_FAST_LINE_BYTES + 1)
        .unwrap_or(rest.as_bytes());
    let mut scanner = LineScanner {
        bytes: window,
        text: rest,
        at: 0,
        line: line_number,
        refused: false,
        spares,
    };
    let key = scanner.key()?;
    if !scanner.eat(b':') || scanner.skip_spaces() == 0 {
        return None;
    }
    if !matches!(scanner.peek(), Some(b'{' | b'[')) {
        return None;
    }
    let value = scanner.value(1)?;
    let spaces = scanner.skip_spaces();
    match scanner.peek() {
        None => {}
        Some(b'#') if spaces > 0 => {
            while let Some(byte) = scanner.peek() {
                if !(b' '..=b'~').contains(&byte) {
                    return None;
                }
                scanner.at += 1;
            }
        }
        Some(_) => return None,
    }
    // The line ends at `\n` or at the end of the text, not where the window was cut.
    let length = scanner.at;
    let at_end = scanner.bytes.get(length) == Some(&b'\n') || length == rest.len();
    if !at_end || length > MAX_FAST_LINE_BYTES {
        return None;
    }
    if scanner.refused {
        scanner.spares.give_back(value);
        return Some((Err(NotPlain), length));
    }
    let spares = scanner.spares;
    let key = match key_node_with(key.0, key.1, line_number, |text| spares.text(&text)) {
        Ok(key) => key,
        Err(NotPlain) => return Some((Err(NotPlain), length)),
    };
    Some((Ok((key, value)), length))
}

/// A cursor over one line. `refused` records that `key_node`/`scalar_value` refused a scalar,
/// once the line is known to be of the grammar (whole-file granit would refuse it too).
struct LineScanner<'t, 's> {
    bytes: &'t [u8],
    text: &'t str,
    at: usize,
    line: u64,
    refused: bool,
    spares: &'s mut Spares,
}

/// Strings and lists of nodes already handed over, refilled for the next one-line entries, so
/// that an entry costs no allocation once the reader is going.
#[derive(Default)]
struct Spares {
    texts: Vec<String>,
    entries: Vec<Vec<(Node, Node)>>,
    items: Vec<Vec<Node>>,
}

impl Spares {
    /// A string holding `text`.
    fn text(&mut self, text: &str) -> String {
        let mut spare = self.texts.pop().unwrap_or_default();
        spare.clear();
        spare.push_str(text);
        spare
    }

    fn entries(&mut self) -> Vec<(Node, Node)> {
        self.entries.pop().unwrap_or_default()
    }

    fn items(&mut self) -> Vec<Node> {
        self.items.pop().unwrap_or_default()
    }

    /// Keeps what `node` holds for later (a node of a one-line entry: at most 4 deep).
    fn give_back(&mut self, node: Node) {
        match node.value {
            NodeValue::Null => {}
            NodeValue::Scalar(text) => {
                if self.texts.len() < MAX_SPARES {
                    self.texts.push(text);
                }
            }
            NodeValue::Mapping(mut entries) => {
                for (key, value) in entries.drain(..) {
                    self.give_back(key);
                    self.give_back(value);
                }
                if self.entries.len() < MAX_SPARES {
                    self.entries.push(entries);
                }
            }
            NodeValue::Sequence(mut items) => {
                for item in items.drain(..) {
                    self.give_back(item);
                }
                if self.items.len() < MAX_SPARES {
                    self.items.push(items);
                }
            }
        }
    }
}

/// A byte that may be part of a plain scalar here (`:` and spaces are handled apart).
fn is_plain_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'/' | b'+' | b'=' | b'-')
}

/// A byte allowed inside a single-quoted scalar (besides a doubled quote).
fn is_quoted_byte(byte: u8) -> bool {
    (b' '..=b'~').contains(&byte) && !matches!(byte, b'\'' | b'\\' | b'"')
}

impl<'t> LineScanner<'t, '_> {
    /// The byte at the cursor; none at the end of the line.
    fn peek(&self) -> Option<u8> {
        self.peek_at(0)
    }

    fn peek_at(&self, offset: usize) -> Option<u8> {
        let byte = self.bytes.get(self.at.saturating_add(offset)).copied();
        byte.filter(|byte| *byte != b'\n')
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn skip_spaces(&mut self) -> usize {
        let start = self.at;
        while self.peek() == Some(b' ') {
            self.at += 1;
        }
        self.at - start
    }

    fn slice(&self, start: usize, end: usize) -> &'t str {
        self.text.get(start..end).unwrap_or_default()
    }

    /// A mapping key: a plain word without spaces or `:` starting with a letter, digit or `_`,
    /// or a single-quoted scalar.
    fn key(&mut self) -> Option<(Cow<'t, str>, ScalarStyle)> {
        match self.peek()? {
            b'\'' => self.single_quoted(),
            first if first.is_ascii_alphanumeric() || first == b'_' => {
                let start = self.at;
                while self.peek().is_some_and(is_plain_byte) {
                    self.at += 1;
                }
                Some((
                    Cow::Borrowed(self.slice(start, self.at)),
                    ScalarStyle::Plain,
                ))
            }
            _ => None,
        }
    }

    /// `'...'` with `''` for a quote.
    fn single_quoted(&mut self) -> Option<(Cow<'t, str>, ScalarStyle)> {
        if !self.eat(b'\'') {
            return None;
        }
        let start = self.at;
        let mut doubled = false;
        loop {
            match self.peek()? {
                b'\'' if self.peek_at(1) == Some(b'\'') => {
                    doubled = true;
                    self.at += 2;
                }
                b'\'' => break,
                byte if is_quoted_byte(byte) => self.at += 1,
                _ => return None,
            }
        }
        let inner = self.slice(start, self.at);
        self.at += 1;
        let text = if doubled {
            Cow::Owned(inner.replace("''", "'"))
        } else {
            Cow::Borrowed(inner)
        };
        Some((text, ScalarStyle::SingleQuoted))
    }

    /// A plain value scalar in a flow collection: it starts with a letter, digit or one of
    /// `_ . / + =` (or `-` before a letter, digit, `.` or `_`), and runs on over plain bytes,
    /// single spaces before more of them, and `:` runs followed by a letter or digit.
    fn plain_value(&mut self) -> Option<(Cow<'t, str>, ScalarStyle)> {
        let start = self.at;
        let first = self.peek()?;
        let starts = first.is_ascii_alphanumeric()
            || matches!(first, b'_' | b'.' | b'/' | b'+' | b'=')
            || (first == b'-'
                && self.peek_at(1).is_some_and(|next| {
                    next.is_ascii_alphanumeric() || matches!(next, b'.' | b'_')
                }));
        if !starts {
            return None;
        }
        self.at += 1;
        let mut end = self.at;
        loop {
            match self.peek() {
                Some(byte) if is_plain_byte(byte) => {
                    self.at += 1;
                    end = self.at;
                }
                Some(b':') => {
                    let mut run = 0;
                    while self.peek_at(run) == Some(b':') {
                        run += 1;
                    }
                    if !self
                        .peek_at(run)
                        .is_some_and(|byte| byte.is_ascii_alphanumeric())
                    {
                        break;
                    }
                    self.at += run;
                }
                Some(b' ') => {
                    let mut run = 0;
                    while self.peek_at(run) == Some(b' ') {
                        run += 1;
                    }
                    if run > 1 || !self.peek_at(run).is_some_and(is_plain_byte) {
                        break;
                    }
                    self.at += run;
                }
                _ => break,
            }
        }
        // Trailing spaces are not part of the scalar; the caller skips them.
        self.at = end;
        Some((Cow::Borrowed(self.slice(start, end)), ScalarStyle::Plain))
    }

    /// A value in a flow collection, `depth` collections deep counting itself.
    fn value(&mut self, depth: usize) -> Option<Node> {
        match self.peek()? {
            b'{' | b'[' if depth > MAX_FAST_LINE_DEPTH => None,
            b'{' => self.mapping(depth),
            b'[' => self.sequence(depth),
            b'\'' => {
                let (text, style) = self.single_quoted()?;
                Some(self.scalar_node(text, style))
            }
            _ => {
                let (text, style) = self.plain_value()?;
                Some(self.scalar_node(text, style))
            }
        }
    }

    fn scalar_node(&mut self, text: Cow<'t, str>, style: ScalarStyle) -> Node {
        let spares = &mut *self.spares;
        let value = scalar_value_with(text, style, |text| spares.text(&text));
        let value = value.unwrap_or_else(|NotPlain| {
            self.refused = true;
            NodeValue::Null
        });
        Node {
            line: self.line,
            value,
        }
    }

    /// `{key: value, ...}`; no trailing comma, no key without a value.
    fn mapping(&mut self, depth: usize) -> Option<Node> {
        if !self.eat(b'{') {
            return None;
        }
        let mut entries = self.spares.entries();
        self.skip_spaces();
        if !self.eat(b'}') {
            loop {
                let (text, style) = self.key()?;
                if !self.eat(b':') || self.skip_spaces() == 0 {
                    return None;
                }
                let spares = &mut *self.spares;
                let key = key_node_with(text, style, self.line, |text| spares.text(&text));
                let key = match key {
                    Ok(key) => key,
                    Err(NotPlain) => {
                        self.refused = true;
                        Node {
                            line: self.line,
                            value: NodeValue::Null,
                        }
                    }
                };
                let value = self.value(depth + 1)?;
                entries.push((key, value));
                self.skip_spaces();
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return None;
                }
                self.skip_spaces();
            }
        }
        Some(Node {
            line: self.line,
            value: NodeValue::Mapping(entries),
        })
    }

    /// `[value, ...]`; no trailing comma.
    fn sequence(&mut self, depth: usize) -> Option<Node> {
        if !self.eat(b'[') {
            return None;
        }
        let mut items = self.spares.items();
        self.skip_spaces();
        if !self.eat(b']') {
            loop {
                items.push(self.value(depth + 1)?);
                self.skip_spaces();
                if self.eat(b']') {
                    break;
                }
                if !self.eat(b',') {
                    return None;
                }
                self.skip_spaces();
            }
        }
        Some(Node {
            line: self.line,
            value: NodeValue::Sequence(items),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::repository_zones::repository_zone_texts;

    fn by_lines(text: &str) -> Result<Vec<(Node, Node)>, LinesNotPlain> {
        let mut found = Vec::new();
        parse_entries_by_lines(text, &mut |key, value| {
            found.push((key.clone(), value.clone()))
        })?;
        Ok(found)
    }

    fn by_granit(text: &str) -> Result<Vec<(Node, Node)>, NotPlain> {
        let mut found = Vec::new();
        parse_plain_entries(text, &mut |key, value| found.push((key, value)))?;
        Ok(found)
    }

    /// What the loader ends with: the line reader, or the whole file by granit when a stretch
    /// could not decide. It must be what granit alone gives for the whole file.
    fn assert_agrees(text: &str) {
        let granit = by_granit(text);
        match by_lines(text) {
            Ok(found) => assert_eq!(Ok(found), granit, "{text:?}"),
            Err(LinesNotPlain::WholeFile) => assert_eq!(granit, Err(NotPlain), "{text:?}"),
            Err(LinesNotPlain::Stretch) => {}
        }
    }

    /// As `assert_agrees`, and the lines were read without falling back.
    fn assert_read_by_lines(text: &str) {
        assert_agrees(text);
        assert!(by_lines(text).is_ok(), "{text:?}");
    }

    fn is_fast(line: &str) -> bool {
        matches!(
            read_fast_line(line, 1, &mut Spares::default()),
            Some((Ok(_), length)) if length == line.len()
        )
    }

    #[test]
    fn the_bench_zone_lines_are_one_line_entries() {
        for line in [
            "'host1': {type: A, value: 10.0.0.1}",
            "'v6host1': {type: AAAA, value: '2001:db8::1'}",
            "'alias2': {type: CNAME, value: host2.bench.test.}",
            "'mail0': {type: MX, value: {preference: 10, exchange: host0.bench.test.}}",
            "www: {type: A, values: [192.0.2.1, 192.0.2.2], ttl: 300}",
            "www: {type: AAAA, value: 2001:db8::1}  # a comment",
            "_sip._tcp: {type: SRV, value: {priority: 10, weight: 5, port: 5060, target: sip}}",
            "txt: {type: TXT, value: 'v=spf1 -all'}",
            "txt: {type: TXT, value: v=spf1 -all}",
            "x: [{type: A, value: 192.0.2.1}, {type: AAAA, value: '::1'}]",
            "'': {type: A, value: 192.0.2.1}",
            "e: {}",
        ] {
            assert!(is_fast(line), "{line}");
            assert_read_by_lines(&format!("{line}\n"));
        }
    }

    #[test]
    fn lines_outside_the_grammar_are_left_to_granit() {
        for line in [
            "www: {type: A, value: \"192.0.2.1\"}",
            "www: {type: A, value: 192.0.2.1}# no space",
            "www: {type: A, value: 192.0.2.1,}",
            "www: {type: A, value}",
            "www: {type: A, value: 192.0.2.1",
            "www:\t{type: A, value: 192.0.2.1}",
            " www: {type: A, value: 192.0.2.1}",
            "www: &x {type: A, value: 192.0.2.1}",
            "www: {type: A, value: *x}",
            "www: !!map {type: A, value: 1}",
            "www: {type: A, value: a\\b}",
            "www: {type: A, value: 'a\\b'}",
            "www: {type: A, value: 2001:db8::}",
            "www: {type: A, value: a: b}",
            "www: {type: A, value: a  b}",
            "www: {type: A, value: ~}",
            "www: {type: A, value: @x}",
            "www: {type: A, value: `x`}",
            "www: {type: A, value: |}",
            "? www: {type: A}",
            "www: x",
            "www:",
            "'www' : {type: A}",
            "www: {type:A}",
            "www: {'type':A}",
            "www: {type: A, value: é}",
            "www: {type: A} # é",
        ] {
            assert!(!is_fast(line), "{line}");
            assert_agrees(&format!("{line}\n"));
        }
        let long = format!(
            "www: {{type: TXT, value: '{}'}}",
            "x".repeat(MAX_FAST_LINE_BYTES)
        );
        assert!(!is_fast(&long));
        let deep = "www: {a: [[[[x]]]]}";
        assert!(!is_fast(deep));
    }

    #[test]
    fn odd_spellings_read_as_granit_reads_them() {
        let text = "\
# a zone
'':
  - type: SOA
    values:
      - {mname: ns1.example.test., rname: h.example.test., serial: 2026112501, refresh: 7200}
  - type: NS
    values: [ns1, 'ns2']
1.10: {type: PTR, value: x}
oct: {type: TXT, values: [010, 1e3, 0x1F, true, false, null, Null, 1.5, -5, -.5, +1, =]}
quotes: {type: TXT, values: ['it''s', '', ' spaced ', 'a # b', 'a, b', '{x}', '[y]', 'a: b']}
big: {type: TXT, values: [18446744073709551616, 18446744073709551615, 0, 00, 1_000]}
words: {type: TXT, value: v=spf1 include:_spf.example.test -all}
trailing: {type: A, value: 192.0.2.1}   # trailing comment, with: colons {and braces}
empty: {}
emptyseq: {type: A, values: []}
dup: {type: A, value: 1.2.3.4, type: A}
dup: {type: A, value: 1.2.3.5}
'null': {type: A, value: 192.0.2.1}
true: {type: A, value: 192.0.2.1}
'*.wild': {type: A, value: 192.0.2.99}
mx: {type: MX, values: [{preference: 10, exchange: a}, {preference: 20, exchange: b}]}
sp : {type: A, value: 192.0.2.1}
block:
  type: A
  value: 192.0.2.1

   # indented comment
after: {type: A, value: 192.0.2.2}
";
        assert_read_by_lines(text);
        let found = by_lines(text).expect("read");
        assert!(found.len() > 15);
    }

    #[test]
    fn every_zone_file_of_the_repository_reads_as_granit_reads_it() {
        let mut compared = 0;
        for (_, text) in repository_zone_texts() {
            assert_agrees(&text);
            // Again with a one-line entry before every column-0 line and at the end, so the
            // zone's own entries become stretches cut at every place a key starts.
            let mut mixed = String::new();
            for (index, line) in text.lines().enumerate() {
                if line.starts_with(|first: char| first.is_ascii_alphanumeric() || first == '\'') {
                    mixed.push_str(&format!("'fast{index}': {{type: A, value: 192.0.2.1}}\n"));
                }
                mixed.push_str(line);
                mixed.push('\n');
            }
            mixed.push_str("'last': {type: A, value: 192.0.2.2}\n");
            assert_agrees(&mixed);
            if by_granit(&text).is_ok() {
                assert_read_by_lines(&mixed);
            }
            compared += 1;
        }
        assert!(compared > 0);
    }

    #[test]
    fn stretches_that_do_not_stand_alone_send_the_file_to_granit() {
        for text in [
            // Open constructs before a one-line entry: the stretch fails alone.
            "a: 'open\nb: {type: A, value: x}\nc'\n",
            "a: \"open\nb: {type: A, value: x}\nc\"\n",
            "a: [x,\nb: {type: A, value: x}\n]\n",
            "a: {x: y,\nb: {type: A, value: x}\n}\n",
            // Block scalars end at a line that is not indented.
            "a: |\nb: {type: A, value: x}\n",
            "a: |+\n\n\nb: {type: A, value: x}\n",
            "a: >-\n  text\n\nb: {type: A, value: x}\n",
            "a: plain\nb: {type: A, value: x}\n  continued\n",
            // Stretches that are not a block mapping at column 0.
            "b: {type: A, value: x}\n  c: d\n",
            "b: {type: A, value: x}\n- c\n",
            "b: {type: A, value: x}\n{c: d}\n",
            "{c: d}\nb: {type: A, value: x}\n",
            "b: {type: A, value: x}\n[c]: d\n",
            "b: {type: A, value: x}\n? c\n: d\n",
            "---\n  c: d\nb: {type: A, value: x}\n",
            "a:\nb: {type: A, value: x}\n",
            "a:\n- x\nb: {type: A, value: x}\n",
            "b: {type: A, value: x}\nc\n",
            "b: {type: A, value: x}\n]\n",
            // Document markers and directives.
            "---\nb: {type: A, value: x}\n",
            "--- # start\nb: {type: A, value: x}\n",
            "# c\n---\nb: {type: A, value: x}\n",
            "---\n---\nb: {type: A, value: x}\n",
            "b: {type: A, value: x}\n---\nc: {type: A, value: y}\n",
            "b: {type: A, value: x}\n...\n",
            "b: {type: A, value: x}\n...\nc: {type: A, value: y}\n",
            "%YAML 1.2\n---\nb: {type: A, value: x}\n",
            "---x: 1\nb: {type: A, value: x}\n",
            "a: 1\n---\nb: {type: A, value: x}\n",
            // Anchors across stretches.
            "a: &x 1\nb: {type: A, value: x}\nc: *x\n",
            // A value YAML types as infinity, which `yaml_events` leaves to serde-saphyr.
            "a: {type: TXT, value: .inf}\n",
            "a:\n  type: A\nb: {type: TXT, value: .inf}\n",
            // Keys YAML reads as null.
            "null: {type: A, value: x}\n",
            "~: {type: A, value: x}\n",
            // Line breaks granit counts that the scanner does not.
            "a: {type: A, value: x}\r\nb: {type: A, value: y}\r\n",
            "a: {type: A, value: x}\rb: {type: A, value: y}\n",
            "\u{feff}a: {type: A, value: x}\n",
            "a: {type: A, value: x}\n\u{feff}b: 1\n",
            "a: {type: A, value: x}\n\0b: 1\n",
            // Characters granit refuses, in a comment the scanner would skip (found by fuzzing).
            "# a \u{1} comment\nempty: {}\n",
            "# a \u{7f} comment\nempty: {}\n",
            "# a \u{85} comment\nempty: {}\n",
            "# a \u{9f} comment\nempty: {}\n",
            "# a \u{ffff} comment\nempty: {}\n",
            "empty: {}\n  # \u{1b}\n",
            "# a \t comment, é ©\nempty: {}\n",
            // Tabs.
            "a: {type: A, value: x}\n\tb: 1\n",
            "a: {type: A, value: x}\nb:\t1\n",
            "a: {type: A, value: x}\n\t# c\n",
            // No final line break, and nothing but comments.
            "a: {type: A, value: x}",
            "# only\n",
            "",
            "a: {type: A, value: x}\n# end",
        ] {
            assert_agrees(text);
        }
    }

    #[test]
    fn lines_of_entries_after_a_stretch_are_the_files_lines() {
        let text = "\
# header

'':
  - type: NS
    values: [ns1, ns2]
ns1: {type: A, value: 192.0.2.1}
# between

ns2:
  type: A
  value: 192.0.2.2
www: {type: A, value: 192.0.2.3}
";
        let found = by_lines(text).expect("read");
        let lines: Vec<u64> = found.iter().map(|(key, _)| key.line).collect();
        assert_eq!(lines, [3, 6, 9, 12]);
        assert_eq!(Ok(found), by_granit(text));
    }
}
