//! Reads `.rpl` text (testbound/Deckard format) into a `Scenario`: header, RANGEs, ENTRYs, STEPs.
//! Purely syntactic: header lines go to `header_text`, entry words to `entry_text`; never panics on input.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use hickory_proto::rr::Name;

use crate::replay::entry_text::{adjust_element, match_element, reply_element};
use crate::replay::error::{ParseError, ParseErrorKind};
use crate::replay::header_text::HeaderReader;
use crate::replay::limits::{MAX_ELAPSE_SECONDS, MAX_SCENARIO_BYTES};
use crate::replay::record_text::{
    parse_name_in, parse_question, parse_question_in, parse_record_in, DEFAULT_TTL,
};
use crate::replay::scenario::{Entry, Range, Scenario, Step, StepKind};

/// Reads and parses one scenario file; the scenario is named after the file's stem.
pub fn parse_file(path: &Path) -> Result<Scenario, ParseError> {
    let whole_file = |kind| ParseError {
        file: path.to_path_buf(),
        line: 0,
        kind,
    };
    let metadata = std::fs::metadata(path)
        .map_err(|error| whole_file(ParseErrorKind::Unreadable(error.kind())))?;
    if metadata.len() > MAX_SCENARIO_BYTES {
        return Err(whole_file(ParseErrorKind::TooLarge {
            bytes: metadata.len(),
        }));
    }
    let bytes = std::fs::read(path)
        .map_err(|error| whole_file(ParseErrorKind::Unreadable(error.kind())))?;
    let text = String::from_utf8(bytes).map_err(|_| whole_file(ParseErrorKind::NotUtf8))?;
    let name = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    parse_str(&name, path, &text)
}

/// Parses scenario text; `file` is only used in error messages.
pub fn parse_str(name: &str, file: &Path, text: &str) -> Result<Scenario, ParseError> {
    let mut parser = Parser {
        scenario: Scenario {
            name: name.to_owned(),
            title: String::new(),
            options: Vec::new(),
            tempfiles: Vec::new(),
            ranges: Vec::new(),
            steps: Vec::new(),
        },
        block: Block::Top,
        entry: None,
        origin: Name::root(),
        default_ttl: DEFAULT_TTL,
        file_block: None,
    };
    let mut header = HeaderReader::default();
    let mut phase = Phase::Header;
    for (index, raw_line) in text.lines().enumerate() {
        let line_number = index + 1;
        let at = |kind| ParseError {
            file: file.to_path_buf(),
            line: line_number,
            kind,
        };
        match phase {
            Phase::Header => {
                if !header.in_block() && strip_comment(raw_line).trim() == "CONFIG_END" {
                    parser.scenario.options = std::mem::take(&mut header.options);
                    parser.scenario.tempfiles = std::mem::take(&mut header.tempfiles);
                    phase = Phase::BeforeScenario;
                } else {
                    header.line(raw_line, line_number).map_err(at)?;
                }
            }
            Phase::BeforeScenario => {
                let line = strip_comment(raw_line).trim();
                if line.is_empty() {
                    continue;
                }
                let Some(title) = line.strip_prefix("SCENARIO_BEGIN") else {
                    return Err(at(ParseErrorKind::MissingScenarioBegin));
                };
                parser.scenario.title = title.trim().to_owned();
                phase = Phase::Body;
            }
            Phase::Body => {
                if parser.file_line(raw_line).map_err(at)? {
                    continue;
                }
                let line = strip_comment(raw_line).trim();
                if line.is_empty() {
                    continue;
                }
                if parser.line(line, line_number).map_err(at)? {
                    phase = Phase::Done;
                }
            }
            Phase::Done => break,
        }
    }
    let missing = |kind| ParseError {
        file: file.to_path_buf(),
        line: 0,
        kind,
    };
    match phase {
        Phase::Header => Err(missing(ParseErrorKind::MissingConfigEnd)),
        Phase::BeforeScenario => Err(missing(ParseErrorKind::MissingScenarioBegin)),
        Phase::Body => Err(missing(ParseErrorKind::MissingScenarioEnd)),
        Phase::Done => Ok(parser.scenario),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Header,
    BeforeScenario,
    Body,
    Done,
}

/// The block being filled between top-level keywords.
enum Block {
    Top,
    Range(Range),
    Step {
        id: u64,
        line: usize,
        address: Option<IpAddr>,
        kind: PendingStep,
        entries: Vec<Entry>,
        file: Option<Vec<String>>,
    },
}

enum PendingStep {
    /// A step kind that takes one ENTRY; the closure-free form of `StepKind`'s entry variants.
    WithEntry(EntryStep),
    /// A step kind that takes a `FILE_BEGIN`…`FILE_END` block.
    WithFile(FileStep),
    /// A complete step that takes nothing more (boxed: a StepKind is large, most blocks are not).
    Done(Box<StepKind>),
}

#[derive(Clone, Copy)]
enum EntryStep {
    Query,
    CheckAnswer,
    Reply,
    CheckOutQuery,
}

enum FileStep {
    Tempfile(String),
    Autotrust(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Question,
    Answer,
    Authority,
    Additional,
    /// Deckard's `RAW` or testpkts' `HEX_ANSWER_BEGIN` … `HEX_ANSWER_END`.
    Raw,
    /// testpkts' `HEX_EDNSDATA_BEGIN` … `HEX_EDNSDATA_END`.
    EdnsData,
}

struct EntryInProgress {
    entry: Entry,
    section: Option<Section>,
    raw_hex: String,
    edns_hex: Option<String>,
    /// The SECTION to return to after a hex block (testpkts keeps adding records to it).
    section_before_hex: Option<Section>,
}

struct Parser {
    scenario: Scenario,
    block: Block,
    entry: Option<EntryInProgress>,
    /// `$ORIGIN` and `$TTL` hold from where they appear to the end of the file (testpkts' pstate).
    origin: Name,
    default_ttl: u32,
    /// Lines of an open `FILE_BEGIN` block, taken verbatim.
    file_block: Option<Vec<String>>,
}

impl Parser {
    /// Takes a raw line into an open `FILE_BEGIN` block; true when the line was consumed.
    fn file_line(&mut self, raw: &str) -> Result<bool, ParseErrorKind> {
        let Some(lines) = self.file_block.as_mut() else {
            if raw.trim() == "FILE_BEGIN" {
                let Block::Step {
                    file: None,
                    kind: PendingStep::WithFile(_),
                    ..
                } = &self.block
                else {
                    return Err(ParseErrorKind::Unexpected("FILE_BEGIN".to_owned()));
                };
                self.file_block = Some(Vec::new());
                return Ok(true);
            }
            return Ok(false);
        };
        if raw.trim() == "FILE_END" {
            let lines = std::mem::take(lines);
            self.file_block = None;
            if let Block::Step { file, .. } = &mut self.block {
                *file = Some(lines);
            }
        } else {
            lines.push(raw.to_owned());
        }
        Ok(true)
    }

    /// Handles one non-empty, comment-free body line. Returns true at `SCENARIO_END`.
    fn line(&mut self, line: &str, line_number: usize) -> Result<bool, ParseErrorKind> {
        let mut words = line.split_whitespace();
        let keyword = words.next().unwrap_or_default();
        match keyword {
            "$ORIGIN" => {
                let text = words.next().unwrap_or_default();
                self.origin = parse_name_in(text, &Name::root())?;
                return Ok(false);
            }
            "$TTL" => {
                let text = words.next().unwrap_or_default();
                self.default_ttl = text
                    .parse()
                    .map_err(|_| ParseErrorKind::BadNumber(text.to_owned()))?;
                return Ok(false);
            }
            _ => {}
        }
        if let Some(entry) = self.entry.as_mut() {
            if keyword != "ENTRY_END" {
                return entry_line(entry, keyword, words, line, &self.origin, self.default_ttl);
            }
            let finished = self.entry.take().map(finish_entry).transpose()?;
            match (&mut self.block, finished) {
                (Block::Range(range), Some(entry)) => range.entries.push(entry),
                (Block::Step { entries, .. }, Some(entry)) => entries.push(entry),
                _ => return Err(ParseErrorKind::Unexpected(keyword.to_owned())),
            }
            return Ok(false);
        }
        match keyword {
            "RANGE_BEGIN" => {
                self.close_block()?;
                let first_step = parse_number(words.next())?;
                let last_step = parse_number(words.next())?;
                let addresses = words.map(parse_address).collect::<Result<Vec<_>, _>>()?;
                self.block = Block::Range(Range {
                    first_step,
                    last_step,
                    addresses,
                    entries: Vec::new(),
                    line: line_number,
                });
            }
            "ADDRESS" => {
                let Block::Range(range) = &mut self.block else {
                    return Err(ParseErrorKind::Unexpected(keyword.to_owned()));
                };
                for word in words {
                    range.addresses.push(parse_address(word)?);
                }
            }
            "RANGE_END" => match self.block {
                Block::Range(_) => self.close_block()?,
                // testbound reads a stray RANGE_END between blocks as nothing (iter_failreply
                // has two in a row); inside a STEP it is still an error.
                Block::Top => {}
                Block::Step { .. } => return Err(ParseErrorKind::Unexpected(keyword.to_owned())),
            },
            "ENTRY_BEGIN" => {
                let takes_entry = match &self.block {
                    Block::Range(_) => true,
                    Block::Step { kind, .. } => matches!(kind, PendingStep::WithEntry(_)),
                    Block::Top => false,
                };
                if !takes_entry {
                    return Err(ParseErrorKind::Unexpected(keyword.to_owned()));
                }
                let entry = Entry {
                    line: line_number,
                    ..Entry::default()
                };
                self.entry = Some(EntryInProgress {
                    entry,
                    section: None,
                    raw_hex: String::new(),
                    edns_hex: None,
                    section_before_hex: None,
                });
            }
            "STEP" => {
                self.close_block()?;
                let id = parse_number(words.next())?;
                let (kind, address) = parse_step_kind(&mut words)?;
                self.block = Block::Step {
                    id,
                    line: line_number,
                    address,
                    kind,
                    entries: Vec::new(),
                    file: None,
                };
            }
            "SCENARIO_END" => {
                self.close_block()?;
                return Ok(true);
            }
            _ => return Err(ParseErrorKind::UnknownKeyword(keyword.to_owned())),
        }
        Ok(false)
    }

    fn close_block(&mut self) -> Result<(), ParseErrorKind> {
        if self.file_block.is_some() {
            return Err(ParseErrorKind::Unexpected(
                "FILE_BEGIN without FILE_END".to_owned(),
            ));
        }
        match std::mem::replace(&mut self.block, Block::Top) {
            Block::Top => {}
            Block::Range(range) => self.scenario.ranges.push(range),
            Block::Step {
                id,
                line,
                address,
                kind,
                mut entries,
                file,
            } => {
                let expected = usize::from(matches!(kind, PendingStep::WithEntry(_)));
                if entries.len() != expected {
                    return Err(ParseErrorKind::StepEntryCount {
                        step: id,
                        count: entries.len(),
                    });
                }
                let entry = entries.pop().unwrap_or_default();
                let kind = match kind {
                    PendingStep::WithEntry(EntryStep::Query) => StepKind::Query(entry),
                    PendingStep::WithEntry(EntryStep::CheckAnswer) => StepKind::CheckAnswer(entry),
                    PendingStep::WithEntry(EntryStep::Reply) => StepKind::Reply(entry),
                    PendingStep::WithEntry(EntryStep::CheckOutQuery) => {
                        StepKind::CheckOutQuery(entry)
                    }
                    PendingStep::WithFile(file_step) => {
                        let Some(contents) = file else {
                            return Err(ParseErrorKind::Unexpected(format!(
                                "STEP {id} without FILE_BEGIN … FILE_END"
                            )));
                        };
                        match file_step {
                            FileStep::Tempfile(name) => StepKind::CheckTempfile { name, contents },
                            FileStep::Autotrust(id) => StepKind::CheckAutotrust { id, contents },
                        }
                    }
                    PendingStep::Done(kind) => *kind,
                };
                self.scenario.steps.push(Step {
                    id,
                    line,
                    address,
                    kind,
                });
            }
        }
        Ok(())
    }
}

/// The words after `STEP id`: the kind, its arguments, and an optional `ADDRESS ip`.
fn parse_step_kind<'a>(
    words: &mut impl Iterator<Item = &'a str>,
) -> Result<(PendingStep, Option<IpAddr>), ParseErrorKind> {
    let kind = words.next().unwrap_or_default();
    let rest: Vec<&str> = words.collect();
    let mut address = None;
    let mut arguments: &[&str] = &rest;
    if let [before @ .., "ADDRESS", ip] = rest.as_slice() {
        address = Some(parse_address(ip)?);
        arguments = before;
    }
    let no_arguments = |step: PendingStep| {
        if arguments.is_empty() {
            Ok(step)
        } else {
            Err(ParseErrorKind::Unexpected(arguments.join(" ")))
        }
    };
    let step = match kind {
        "QUERY" => no_arguments(PendingStep::WithEntry(EntryStep::Query))?,
        "CHECK_ANSWER" => no_arguments(PendingStep::WithEntry(EntryStep::CheckAnswer))?,
        "REPLY" => no_arguments(PendingStep::WithEntry(EntryStep::Reply))?,
        "CHECK_OUT_QUERY" => no_arguments(PendingStep::WithEntry(EntryStep::CheckOutQuery))?,
        "NOTHING" => no_arguments(PendingStep::Done(Box::new(StepKind::Nothing)))?,
        "TRAFFIC" => no_arguments(PendingStep::Done(Box::new(StepKind::Traffic)))?,
        "TIMEOUT" => no_arguments(PendingStep::Done(Box::new(StepKind::Timeout)))?,
        "ERROR" => no_arguments(PendingStep::Done(Box::new(StepKind::Error)))?,
        "TIME_PASSES" => PendingStep::Done(Box::new(time_passes(arguments)?)),
        "ASSIGN" => {
            let [variable, "=", expression @ ..] = arguments else {
                return Err(ParseErrorKind::UnknownStepKind(format!(
                    "ASSIGN {}",
                    arguments.join(" ")
                )));
            };
            if !is_variable_name(variable) || expression.is_empty() {
                return Err(ParseErrorKind::UnknownStepKind(format!(
                    "ASSIGN {}",
                    arguments.join(" ")
                )));
            }
            PendingStep::Done(Box::new(StepKind::Assign {
                variable: (*variable).to_owned(),
                expression: expression.join(" "),
            }))
        }
        "INFRA_RTT" => {
            let [ip, zone, rtt] = arguments else {
                return Err(ParseErrorKind::UnknownStepKind(format!(
                    "INFRA_RTT {}",
                    arguments.join(" ")
                )));
            };
            PendingStep::Done(Box::new(StepKind::InfraRtt {
                address: parse_address(ip)?,
                zone: (*zone).to_owned(),
                rtt_millis: rtt
                    .parse()
                    .map_err(|_| ParseErrorKind::BadNumber((*rtt).to_owned()))?,
            }))
        }
        "FLUSH_MESSAGE" | "EXPIRE_MESSAGE" => {
            let [name, record_type, _class] = arguments else {
                return Err(ParseErrorKind::UnknownStepKind(format!(
                    "{kind} {}",
                    arguments.join(" ")
                )));
            };
            let question = format!("{name} {record_type}");
            parse_question(&arguments.join(" "))?;
            PendingStep::Done(Box::new(if kind == "FLUSH_MESSAGE" {
                StepKind::FlushMessage(question)
            } else {
                StepKind::ExpireMessage(question)
            }))
        }
        "CHECK_TEMPFILE" | "CHECK_AUTOTRUST" => {
            let [name] = arguments else {
                return Err(ParseErrorKind::UnknownStepKind(format!(
                    "{kind} {}",
                    arguments.join(" ")
                )));
            };
            let name = (*name).to_owned();
            PendingStep::WithFile(if kind == "CHECK_TEMPFILE" {
                FileStep::Tempfile(name)
            } else {
                FileStep::Autotrust(name)
            })
        }
        other => return Err(ParseErrorKind::UnknownStepKind(other.to_owned())),
    };
    Ok((step, address))
}

/// `ELAPSE seconds` or `EVAL macro` (replay.h).
fn time_passes(arguments: &[&str]) -> Result<StepKind, ParseErrorKind> {
    match arguments {
        ["ELAPSE", text] => {
            let seconds: f64 = text
                .parse()
                .map_err(|_| ParseErrorKind::BadNumber((*text).to_owned()))?;
            if !(0.0..=MAX_ELAPSE_SECONDS).contains(&seconds) {
                return Err(ParseErrorKind::BadNumber((*text).to_owned()));
            }
            Ok(StepKind::TimePasses(Duration::from_secs_f64(seconds)))
        }
        ["EVAL", expression @ ..] if !expression.is_empty() => {
            Ok(StepKind::TimePassesEval(expression.join(" ")))
        }
        _ => Err(ParseErrorKind::UnknownStepKind(format!(
            "TIME_PASSES {} (needs ELAPSE or EVAL)",
            arguments.join(" ")
        ))),
    }
}

/// replay.h: a variable is `[a-zA-Z0-9_]+`.
fn is_variable_name(word: &str) -> bool {
    !word.is_empty()
        && word
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

fn entry_line<'a>(
    progress: &mut EntryInProgress,
    keyword: &str,
    mut words: impl Iterator<Item = &'a str>,
    line: &str,
    origin: &Name,
    default_ttl: u32,
) -> Result<bool, ParseErrorKind> {
    // Hex blocks take every line up to their end keyword as data.
    match (progress.section, keyword) {
        (Some(Section::Raw), "HEX_ANSWER_END") | (Some(Section::EdnsData), "HEX_EDNSDATA_END") => {
            progress.section = progress.section_before_hex.take();
            return Ok(false);
        }
        (Some(Section::Raw), _) if keyword != "SECTION" && keyword != "MATCH" => {
            progress
                .raw_hex
                .extend(line.chars().filter(|c| !c.is_whitespace()));
            return Ok(false);
        }
        (Some(Section::EdnsData), _) => {
            let hex = progress.edns_hex.get_or_insert_with(String::new);
            hex.extend(line.chars().filter(|c| !c.is_whitespace()));
            return Ok(false);
        }
        _ => {}
    }
    let entry = &mut progress.entry;
    match keyword {
        "MATCH" => words.try_for_each(|word| match_element(entry, word))?,
        "ADJUST" => words.try_for_each(|word| adjust_element(entry, word))?,
        // `FLAGS` is the older spelling of `REPLY` (iter_minim_nonempty.rpl uses it on a query).
        "REPLY" | "FLAGS" => words.try_for_each(|word| reply_element(entry, word))?,
        "SECTION" => {
            let name = words.next().unwrap_or_default();
            progress.section = Some(match name {
                "QUESTION" => Section::Question,
                "ANSWER" => Section::Answer,
                "AUTHORITY" => Section::Authority,
                "ADDITIONAL" => Section::Additional,
                other => return Err(ParseErrorKind::UnknownSection(other.to_owned())),
            });
        }
        "RAW" => progress.section = Some(Section::Raw),
        "HEX_ANSWER_BEGIN" => {
            progress.section_before_hex = progress.section;
            progress.section = Some(Section::Raw);
        }
        "MANDATORY" => entry.mandatory = true,
        "HEX_EDNSDATA_BEGIN" => {
            progress.edns_hex.get_or_insert_with(String::new);
            progress.section_before_hex = progress.section;
            progress.section = Some(Section::EdnsData);
        }
        // testpkts' further packets of a multi-packet TCP reply: the scripted transport returns
        // one message per exchange, so such an entry cannot be replayed as written.
        "EXTRA_PACKET" => {
            return Err(ParseErrorKind::Unexpected(
                "EXTRA_PACKET (multi-packet TCP replies are not modelled)".to_owned(),
            ))
        }
        "ENTRY_BEGIN" | "RANGE_BEGIN" | "RANGE_END" | "STEP" | "SCENARIO_END"
        | "HEX_ANSWER_END" | "HEX_EDNSDATA_END" => {
            return Err(ParseErrorKind::Unexpected(keyword.to_owned()));
        }
        _ => match progress.section {
            None => return Err(ParseErrorKind::UnknownKeyword(keyword.to_owned())),
            Some(Section::Question) => entry.question.push(parse_question_in(line, origin)?),
            Some(Section::Answer) => entry
                .answer
                .push(parse_record_in(line, origin, default_ttl)?),
            Some(Section::Authority) => {
                entry
                    .authority
                    .push(parse_record_in(line, origin, default_ttl)?)
            }
            Some(Section::Additional) => {
                entry
                    .additional
                    .push(parse_record_in(line, origin, default_ttl)?)
            }
            Some(Section::Raw) | Some(Section::EdnsData) => {}
        },
    }
    Ok(false)
}

fn finish_entry(progress: EntryInProgress) -> Result<Entry, ParseErrorKind> {
    let mut entry = progress.entry;
    if progress.section == Some(Section::Raw) || !progress.raw_hex.is_empty() {
        entry.raw = Some(decode_hex(&progress.raw_hex)?);
    }
    if let Some(hex) = progress.edns_hex {
        entry.edns_data = Some(decode_hex(&hex)?);
    }
    Ok(entry)
}

fn parse_number(word: Option<&str>) -> Result<u64, ParseErrorKind> {
    let text = word.unwrap_or_default();
    text.parse()
        .map_err(|_| ParseErrorKind::BadNumber(text.to_owned()))
}

fn parse_address(word: &str) -> Result<IpAddr, ParseErrorKind> {
    word.parse::<IpAddr>()
        .map(|address| address.to_canonical())
        .map_err(|_| ParseErrorKind::BadAddress(word.to_owned()))
}

fn decode_hex(text: &str) -> Result<Vec<u8>, ParseErrorKind> {
    data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.as_bytes())
        .map_err(|_| ParseErrorKind::BadHex(text.chars().take(32).collect()))
}

/// Cuts a `;` comment, except inside a quoted string.
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    for (index, character) in line.char_indices() {
        match character {
            '"' => quoted = !quoted,
            ';' if !quoted => return &line[..index],
            _ => {}
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::ResponseCode;
    use hickory_proto::rr::RecordType;

    const SMALL: &str = "\
; config options
\tstub-addr: 193.0.14.129 \t# K.ROOT-SERVERS.NET.
\tharden-glue: \"no\"
CONFIG_END

SCENARIO_BEGIN A small test
RANGE_BEGIN 0 100 1.2.3.1 ; comment
\tADDRESS 193.0.14.129
\tADDRESS 2002:b44d::44
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST copy_id copy_query
REPLY QR AA NOERROR
SECTION QUESTION
. IN NS
SECTION ANSWER
. IN NS\tK.ROOT-SERVERS.NET.
SECTION ADDITIONAL
K.ROOT-SERVERS.NET.\tIN\tA\t193.0.14.129
 ENTRY_END
RANGE_END

STEP 1 QUERY
ENTRY_BEGIN
REPLY RD DO
SECTION QUESTION
www.example.com. IN A
ENTRY_END
STEP 5 TIME_PASSES ELAPSE 1.5
STEP 10 CHECK_ANSWER
ENTRY_BEGIN
MATCH all ttl
REPLY QR RD RA SERVFAIL
SECTION QUESTION
www.example.com. IN A
ENTRY_END
STEP 20 QUERY
ENTRY_BEGIN
RAW
b5c9ca3d 5010
ENTRY_END
SCENARIO_END
";

    fn parse(text: &str) -> Result<Scenario, ParseError> {
        parse_str("small", Path::new("small.rpl"), text)
    }

    #[test]
    fn header_options_keep_key_and_unquoted_value_without_comment() {
        let scenario = parse(SMALL).unwrap();
        assert_eq!(scenario.title, "A small test");
        let options: Vec<(&str, &str)> = scenario
            .options
            .iter()
            .map(|option| (option.key.as_str(), option.value.as_str()))
            .collect();
        assert_eq!(
            options,
            [("stub-addr", "193.0.14.129"), ("harden-glue", "no")]
        );
    }

    #[test]
    fn range_collects_addresses_from_its_first_line_and_address_lines() {
        let scenario = parse(SMALL).unwrap();
        let range = &scenario.ranges[0];
        assert_eq!((range.first_step, range.last_step), (0, 100));
        let addresses: Vec<String> = range.addresses.iter().map(ToString::to_string).collect();
        assert_eq!(addresses, ["1.2.3.1", "193.0.14.129", "2002:b44d::44"]);
        let entry = &range.entries[0];
        assert!(entry.rules.opcode && entry.rules.qtype && entry.rules.qname && !entry.rules.flags);
        assert!(entry.adjust.copy_id && entry.adjust.copy_query);
        assert!(entry.header.flags.qr && entry.header.flags.aa && !entry.header.flags.rd);
        assert_eq!(entry.question[0].query_type(), RecordType::NS);
        assert_eq!(entry.answer.len(), 1);
        assert_eq!(entry.additional.len(), 1);
    }

    #[test]
    fn steps_keep_order_kind_and_entry() {
        let scenario = parse(SMALL).unwrap();
        let ids: Vec<u64> = scenario.steps.iter().map(|step| step.id).collect();
        assert_eq!(ids, [1, 5, 10, 20]);
        let StepKind::Query(query) = &scenario.steps[0].kind else {
            panic!("not a query")
        };
        assert!(query.header.flags.rd && query.header.dnssec_ok);
        let StepKind::TimePasses(elapse) = &scenario.steps[1].kind else {
            panic!("not time")
        };
        assert_eq!(*elapse, Duration::from_millis(1500));
        let StepKind::CheckAnswer(check) = &scenario.steps[2].kind else {
            panic!("not a check")
        };
        assert!(check.rules.answer && check.rules.flags && check.rules.ttl);
        assert_eq!(check.header.rcode, ResponseCode::ServFail);
        let StepKind::Query(raw) = &scenario.steps[3].kind else {
            panic!("not a query")
        };
        assert_eq!(
            raw.raw.as_deref(),
            Some(&[0xb5, 0xc9, 0xca, 0x3d, 0x50, 0x10][..])
        );
    }

    #[test]
    fn errors_name_the_line_and_the_offending_word() {
        let broken = SMALL.replace("MATCH opcode qtype qname", "MATCH opcode frobnicate");
        let error = parse(&broken).unwrap_err();
        assert_eq!(error.line, 11);
        assert_eq!(
            error.kind,
            ParseErrorKind::UnknownMatchElement("frobnicate".to_owned())
        );
        assert_eq!(
            error.to_string(),
            "small.rpl:11: unknown MATCH element `frobnicate`"
        );
    }

    #[test]
    fn truncated_files_are_errors() {
        assert_eq!(
            parse("stub-addr: 1.2.3.4\n").unwrap_err().kind,
            ParseErrorKind::MissingConfigEnd
        );
        assert_eq!(
            parse("CONFIG_END\n").unwrap_err().kind,
            ParseErrorKind::MissingScenarioBegin
        );
        let unterminated = SMALL.replace("SCENARIO_END", "");
        assert_eq!(
            parse(&unterminated).unwrap_err().kind,
            ParseErrorKind::MissingScenarioEnd
        );
        let two_entries = SMALL.replace("STEP 5 TIME_PASSES ELAPSE 1.5\n", "");
        let two_entries = two_entries.replace("STEP 10 CHECK_ANSWER\n", "");
        assert_eq!(
            parse(&two_entries).unwrap_err().kind,
            ParseErrorKind::StepEntryCount { step: 1, count: 2 }
        );
    }

    #[test]
    fn testbound_steps_origin_and_hex_blocks_are_parsed() {
        let text = "server:\nCONFIG_END\nSCENARIO_BEGIN t\nRANGE_BEGIN 0 10\n$ORIGIN example.com.\n\
            ENTRY_BEGIN\nMATCH opcode ednsdata\nSECTION ADDITIONAL\nHEX_EDNSDATA_BEGIN\n00 0b 00 00\n\
            HEX_EDNSDATA_END\nns IN A 1.2.3.4\nENTRY_END\nRANGE_END\nSTEP 1 QUERY ADDRESS 10.0.0.1\n\
            ENTRY_BEGIN\nSECTION QUESTION\nwww IN A\nENTRY_END\nSTEP 2 TRAFFIC\nSTEP 3 TIMEOUT\n\
            STEP 4 ERROR\nSTEP 5 NOTHING\nSTEP 6 ASSIGN t = ${time}\nSTEP 7 TIME_PASSES EVAL ${$t + 1}\n\
            STEP 8 FLUSH_MESSAGE www.example.com. IN A\nSTEP 9 CHECK_TEMPFILE f\nFILE_BEGIN\n; kept\n\
            FILE_END\nSCENARIO_END\n";
        let scenario = parse(text).unwrap();
        let entry = &scenario.ranges[0].entries[0];
        assert_eq!(entry.edns_data.as_deref(), Some(&[0, 11, 0, 0][..]));
        assert_eq!(entry.additional[0].name.to_string(), "ns.example.com.");
        let StepKind::Query(query) = &scenario.steps[0].kind else {
            panic!("not a query")
        };
        assert_eq!(query.question[0].name().to_string(), "www.example.com.");
        assert_eq!(
            scenario.steps[0].address.map(|a| a.to_string()).as_deref(),
            Some("10.0.0.1")
        );
        assert!(matches!(scenario.steps[5].kind, StepKind::Assign { .. }));
        let StepKind::CheckTempfile { contents, .. } = &scenario.steps[8].kind else {
            panic!("not CHECK_TEMPFILE")
        };
        assert_eq!(contents, &["; kept".to_owned()]);
        let unknown = text.replace("STEP 5 NOTHING", "STEP 5 DANCE");
        let error = parse(&unknown).unwrap_err();
        assert_eq!(
            (error.line, error.kind),
            (23, ParseErrorKind::UnknownStepKind("DANCE".to_owned()))
        );
    }

    #[test]
    fn odd_or_non_hex_raw_data_is_an_error() {
        assert!(parse(&SMALL.replace("b5c9ca3d 5010", "b5c")).is_err());
        assert!(parse(&SMALL.replace("b5c9ca3d 5010", "zz")).is_err());
    }
}
