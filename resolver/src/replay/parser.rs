//! Reads `.rpl` text (testbound/Deckard format) into a `Scenario`: header, RANGEs, ENTRYs, STEPs.
//! Purely syntactic: it never interprets header options (that is `header`) and never panics on input.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use hickory_proto::op::{OpCode, ResponseCode};

use crate::replay::error::{ParseError, ParseErrorKind};
use crate::replay::limits::{MAX_ELAPSE_SECONDS, MAX_SCENARIO_BYTES};
use crate::replay::record_text::{parse_question, parse_record};
use crate::replay::scenario::{Entry, HeaderOption, Range, Scenario, Step, StepKind};

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
            ranges: Vec::new(),
            steps: Vec::new(),
        },
        block: Block::Top,
        entry: None,
    };
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
                let line = strip_comment(raw_line, true).trim();
                if line == "CONFIG_END" {
                    phase = Phase::BeforeScenario;
                } else if let Some((key, value)) = line.split_once(':') {
                    parser.scenario.options.push(HeaderOption {
                        key: key.trim().to_owned(),
                        value: value.trim().trim_matches('"').to_owned(),
                        line: line_number,
                    });
                }
            }
            Phase::BeforeScenario => {
                let line = strip_comment(raw_line, false).trim();
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
                let line = strip_comment(raw_line, false).trim();
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
        kind: PendingStep,
        entries: Vec<Entry>,
    },
}

enum PendingStep {
    Query,
    CheckAnswer,
    TimePasses(Duration),
    Reply,
    CheckOutQuery,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Question,
    Answer,
    Authority,
    Additional,
    Raw,
}

struct EntryInProgress {
    entry: Entry,
    section: Option<Section>,
    raw_hex: String,
}

struct Parser {
    scenario: Scenario,
    block: Block,
    entry: Option<EntryInProgress>,
}

impl Parser {
    /// Handles one non-empty, comment-free body line. Returns true at `SCENARIO_END`.
    fn line(&mut self, line: &str, line_number: usize) -> Result<bool, ParseErrorKind> {
        let mut words = line.split_whitespace();
        let keyword = words.next().unwrap_or_default();
        if let Some(entry) = self.entry.as_mut() {
            if keyword != "ENTRY_END" {
                return entry_line(entry, keyword, words, line);
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
            "RANGE_END" => {
                if !matches!(self.block, Block::Range(_)) {
                    return Err(ParseErrorKind::Unexpected(keyword.to_owned()));
                }
                self.close_block()?;
            }
            "ENTRY_BEGIN" => {
                if matches!(self.block, Block::Top) {
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
                });
            }
            "STEP" => {
                self.close_block()?;
                let id = parse_number(words.next())?;
                let kind = parse_step_kind(&mut words)?;
                self.block = Block::Step {
                    id,
                    line: line_number,
                    kind,
                    entries: Vec::new(),
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
        match std::mem::replace(&mut self.block, Block::Top) {
            Block::Top => {}
            Block::Range(range) => self.scenario.ranges.push(range),
            Block::Step {
                id,
                line,
                kind,
                mut entries,
            } => {
                let needs_entry = !matches!(kind, PendingStep::TimePasses(_));
                let expected = usize::from(needs_entry);
                if entries.len() != expected {
                    return Err(ParseErrorKind::StepEntryCount {
                        step: id,
                        count: entries.len(),
                    });
                }
                let entry = entries.pop().unwrap_or_default();
                let kind = match kind {
                    PendingStep::Query => StepKind::Query(entry),
                    PendingStep::CheckAnswer => StepKind::CheckAnswer(entry),
                    PendingStep::TimePasses(elapse) => StepKind::TimePasses(elapse),
                    PendingStep::Reply => StepKind::Reply(entry),
                    PendingStep::CheckOutQuery => StepKind::CheckOutQuery(entry),
                };
                self.scenario.steps.push(Step { id, line, kind });
            }
        }
        Ok(())
    }
}

fn parse_step_kind<'a>(
    words: &mut impl Iterator<Item = &'a str>,
) -> Result<PendingStep, ParseErrorKind> {
    let kind = words.next().unwrap_or_default();
    Ok(match kind {
        "QUERY" => PendingStep::Query,
        "CHECK_ANSWER" => PendingStep::CheckAnswer,
        "REPLY" => PendingStep::Reply,
        "CHECK_OUT_QUERY" => PendingStep::CheckOutQuery,
        "TIME_PASSES" => {
            if words.next() != Some("ELAPSE") {
                return Err(ParseErrorKind::UnknownStepKind(format!(
                    "{kind} without ELAPSE"
                )));
            }
            let text = words.next().unwrap_or_default();
            let seconds: f64 = text
                .parse()
                .map_err(|_| ParseErrorKind::BadNumber(text.to_owned()))?;
            if !(0.0..=MAX_ELAPSE_SECONDS).contains(&seconds) {
                return Err(ParseErrorKind::BadNumber(text.to_owned()));
            }
            PendingStep::TimePasses(Duration::from_secs_f64(seconds))
        }
        other => return Err(ParseErrorKind::UnknownStepKind(other.to_owned())),
    })
}

fn entry_line<'a>(
    progress: &mut EntryInProgress,
    keyword: &str,
    mut words: impl Iterator<Item = &'a str>,
    line: &str,
) -> Result<bool, ParseErrorKind> {
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
        "ENTRY_BEGIN" | "RANGE_BEGIN" | "RANGE_END" | "STEP" | "SCENARIO_END" => {
            return Err(ParseErrorKind::Unexpected(keyword.to_owned()));
        }
        _ => match progress.section {
            None => return Err(ParseErrorKind::UnknownKeyword(keyword.to_owned())),
            Some(Section::Question) => entry.question.push(parse_question(line)?),
            Some(Section::Answer) => entry.answer.push(parse_record(line)?),
            Some(Section::Authority) => entry.authority.push(parse_record(line)?),
            Some(Section::Additional) => entry.additional.push(parse_record(line)?),
            Some(Section::Raw) => progress
                .raw_hex
                .extend(line.chars().filter(|c| !c.is_whitespace())),
        },
    }
    Ok(false)
}

fn finish_entry(progress: EntryInProgress) -> Result<Entry, ParseErrorKind> {
    let mut entry = progress.entry;
    if progress.section == Some(Section::Raw) || !progress.raw_hex.is_empty() {
        entry.raw = Some(decode_hex(&progress.raw_hex)?);
    }
    Ok(entry)
}

fn match_element(entry: &mut Entry, word: &str) -> Result<(), ParseErrorKind> {
    let rules = &mut entry.rules;
    match word {
        "opcode" => rules.opcode = true,
        "qtype" => rules.qtype = true,
        "qname" => rules.qname = true,
        "qcase" => rules.qcase = true,
        "subdomain" => rules.subdomain = true,
        "flags" => rules.flags = true,
        "rcode" => rules.rcode = true,
        "question" => {
            rules.qtype = true;
            rules.qname = true;
        }
        "answer" => rules.answer = true,
        "authority" => rules.authority = true,
        "additional" => rules.additional = true,
        "ttl" => rules.ttl = true,
        "TCP" | "tcp" => rules.tcp = true,
        "UDP" | "udp" => rules.udp = true,
        "all" => {
            rules.opcode = true;
            rules.qtype = true;
            rules.qname = true;
            rules.flags = true;
            rules.rcode = true;
            rules.answer = true;
            rules.authority = true;
            rules.additional = true;
        }
        other => return Err(ParseErrorKind::UnknownMatchElement(other.to_owned())),
    }
    Ok(())
}

fn adjust_element(entry: &mut Entry, word: &str) -> Result<(), ParseErrorKind> {
    let adjust = &mut entry.adjust;
    match word {
        "copy_id" => adjust.copy_id = true,
        "copy_query" => adjust.copy_query = true,
        "raw_id" => adjust.raw_id = true,
        "do_not_answer" => adjust.do_not_answer = true,
        other => return Err(ParseErrorKind::UnknownAdjustElement(other.to_owned())),
    }
    Ok(())
}

fn reply_element(entry: &mut Entry, word: &str) -> Result<(), ParseErrorKind> {
    let header = &mut entry.header;
    let flags = &mut header.flags;
    match word {
        "QR" => flags.qr = true,
        "AA" => flags.aa = true,
        "TC" => flags.tc = true,
        "RD" => flags.rd = true,
        "RA" => flags.ra = true,
        "AD" => flags.ad = true,
        "CD" => flags.cd = true,
        "DO" => header.dnssec_ok = true,
        "QUERY" => header.opcode = OpCode::Query,
        "NOTIFY" => header.opcode = OpCode::Notify,
        "UPDATE" => header.opcode = OpCode::Update,
        "STATUS" => header.opcode = OpCode::Status,
        other => {
            header.rcode = rcode_named(other)
                .ok_or_else(|| ParseErrorKind::UnknownReplyElement(other.to_owned()))?
        }
    }
    Ok(())
}

/// The rcode mnemonics of the scenario guide ("Entry flags").
fn rcode_named(word: &str) -> Option<ResponseCode> {
    Some(match word {
        "NOERROR" => ResponseCode::NoError,
        "FORMERR" => ResponseCode::FormErr,
        "SERVFAIL" => ResponseCode::ServFail,
        "NXDOMAIN" => ResponseCode::NXDomain,
        "NOTIMP" | "NOTIMPL" => ResponseCode::NotImp,
        "REFUSED" => ResponseCode::Refused,
        "YXDOMAIN" => ResponseCode::YXDomain,
        "YXRRSET" => ResponseCode::YXRRSet,
        "NXRRSET" => ResponseCode::NXRRSet,
        "NOTAUTH" => ResponseCode::NotAuth,
        "NOTZONE" => ResponseCode::NotZone,
        "BADVERS" => ResponseCode::BADVERS,
        _ => return None,
    })
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
    let bad = || ParseErrorKind::BadHex(text.chars().take(32).collect());
    if !text.len().is_multiple_of(2) {
        return Err(bad());
    }
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let digits = std::str::from_utf8(pair).map_err(|_| bad())?;
            u8::from_str_radix(digits, 16).map_err(|_| bad())
        })
        .collect()
}

/// Cuts a `;` comment (and in the header a `#` comment), except inside a quoted string.
fn strip_comment(line: &str, header: bool) -> &str {
    let mut quoted = false;
    for (index, character) in line.char_indices() {
        match character {
            '"' => quoted = !quoted,
            ';' if !quoted => return &line[..index],
            '#' if header && !quoted => return &line[..index],
            _ => {}
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn odd_or_non_hex_raw_data_is_an_error() {
        assert!(parse(&SMALL.replace("b5c9ca3d 5010", "b5c")).is_err());
        assert!(parse(&SMALL.replace("b5c9ca3d 5010", "zz")).is_err());
    }
}
