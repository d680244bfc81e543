//! The `+[no]option[=value]` query options, matched like dig: exact name, or a unique prefix.
//! Pure parsing into `QueryOptions`; never touches the network or prints.

use crate::dig::error::{DigError, NumberSetting};
use crate::dig::limits::{
    DEFAULT_BUFSIZE, DEFAULT_TIMEOUT_SECONDS, DEFAULT_TRIES, MAX_TIMEOUT_SECONDS, MAX_TRIES,
};

/// Which parts of each message are printed (dig's `+[no]cmd`, `+[no]comments`...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShownParts {
    pub cmd: bool,
    pub comments: bool,
    pub question: bool,
    pub answer: bool,
    pub authority: bool,
    pub additional: bool,
    pub stats: bool,
    /// Print the query sent, as dig's `+qr`.
    pub query: bool,
    pub short: bool,
    pub json: bool,
    /// `+[no]idnout`: show A-labels as Unicode; `None` until set, then dig's default (only when
    /// standard output is a terminal) is filled in by the caller.
    pub idn_out: Option<bool>,
}

impl Default for ShownParts {
    fn default() -> Self {
        ShownParts {
            cmd: true,
            comments: true,
            question: true,
            answer: true,
            authority: true,
            additional: true,
            stats: true,
            query: false,
            short: false,
            json: false,
            idn_out: None,
        }
    }
}

/// Everything `+options` control for one lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryOptions {
    pub tcp: bool,
    pub recurse: bool,
    /// EDNS version to send, or `None` for `+noedns`.
    pub edns: Option<u8>,
    pub bufsize: u16,
    pub timeout_seconds: u64,
    pub tries: u32,
    pub nsid: bool,
    pub trace: bool,
    /// `+ignore`: keep a truncated UDP answer instead of retrying over TCP.
    pub ignore_truncation: bool,
    /// `+roots=FILE`: root hints for `+trace` in named.root format.
    pub roots_file: Option<String>,
    /// `+[no]idnin`: map a Unicode name to A-labels (RFC 5891 §5) before asking; `None` means
    /// dig's default, only when standard output is a terminal.
    pub idn_in: Option<bool>,
    pub display: ShownParts,
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            tcp: false,
            recurse: true,
            edns: Some(0),
            bufsize: DEFAULT_BUFSIZE,
            timeout_seconds: DEFAULT_TIMEOUT_SECONDS,
            tries: DEFAULT_TRIES,
            nsid: false,
            trace: false,
            ignore_truncation: false,
            roots_file: None,
            idn_in: None,
            display: ShownParts::default(),
        }
    }
}

/// The options rdig knows, in the spelling matched against prefixes. `vc` is dig's old name for `tcp`,
/// `root-hints` the resolver daemon's name for `roots`.
const OPTION_NAMES: &[&str] = &[
    "additional",
    "all",
    "answer",
    "authority",
    "bufsize",
    "cmd",
    "comments",
    "edns",
    "idnin",
    "idnout",
    "ignore",
    "json",
    "nsid",
    "qr",
    "question",
    "recurse",
    "retry",
    "root-hints",
    "roots",
    "short",
    "stats",
    "tcp",
    "timeout",
    "trace",
    "tries",
    "vc",
];

/// Resolves a possibly abbreviated option name: an exact name wins, else exactly one name must start
/// with it.
fn resolve_name(word: &str, given: &str) -> Result<&'static str, DigError> {
    if let Some(exact) = OPTION_NAMES.iter().find(|name| **name == word) {
        return Ok(exact);
    }
    let candidates: Vec<&'static str> = OPTION_NAMES
        .iter()
        .copied()
        .filter(|name| !word.is_empty() && name.starts_with(word))
        .collect();
    match candidates.as_slice() {
        [only] => Ok(only),
        [] => Err(DigError::InvalidOption(given.to_string())),
        _ => Err(DigError::AmbiguousOption {
            given: given.to_string(),
            candidates,
        }),
    }
}

/// A `+option=N` value, checked as dig checks it; a missing value is a usage error.
fn parse_number(
    option: &str,
    setting: NumberSetting,
    value: Option<&str>,
) -> Result<u64, DigError> {
    let text = value.ok_or_else(|| DigError::MissingArgument(format!("+{option}")))?;
    setting.parse(text)
}

/// Applies one `+option` word (without checking that it starts with `+`; the caller did) and
/// returns the option's full name.
pub fn apply_plus_option(options: &mut QueryOptions, word: &str) -> Result<&'static str, DigError> {
    let body = word.strip_prefix('+').unwrap_or(word);
    let (name_part, value) = match body.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (body, None),
    };
    let lowered = name_part.to_ascii_lowercase();
    // `+no` followed by an option negates it; `+nsid` itself starts with "n", not "no".
    let (negated, name) = match lowered.strip_prefix("no") {
        Some(rest) if resolve_name(rest, word).is_ok() => (true, resolve_name(rest, word)?),
        _ => (false, resolve_name(&lowered, word)?),
    };
    let flag = !negated;
    let display = &mut options.display;
    match name {
        "additional" => display.additional = flag,
        "answer" => display.answer = flag,
        "authority" => display.authority = flag,
        "question" => display.question = flag,
        "cmd" => display.cmd = flag,
        "comments" => display.comments = flag,
        "stats" => display.stats = flag,
        "qr" => display.query = flag,
        "short" => display.short = flag,
        "json" => display.json = flag,
        "idnout" => display.idn_out = Some(flag),
        "all" => {
            display.cmd = flag;
            display.comments = flag;
            display.question = flag;
            display.answer = flag;
            display.authority = flag;
            display.additional = flag;
            display.stats = flag;
        }
        "tcp" | "vc" => options.tcp = flag,
        "recurse" => options.recurse = flag,
        "ignore" => options.ignore_truncation = flag,
        "idnin" => options.idn_in = Some(flag),
        "nsid" => options.nsid = flag,
        "trace" => options.trace = flag,
        "edns" => {
            options.edns = if negated {
                None
            } else if value.is_some() {
                let version = parse_number("edns", NumberSetting::Edns, value)?;
                Some(u8::try_from(version).unwrap_or(u8::MAX))
            } else {
                Some(0)
            };
        }
        "bufsize" => {
            options.bufsize = if negated {
                DEFAULT_BUFSIZE
            } else {
                match value.filter(|text| !text.is_empty()) {
                    // dig takes a bare `+bufsize` (or `+bufsize=`) as its default size.
                    None => DEFAULT_BUFSIZE,
                    Some(text) => {
                        let size = NumberSetting::BufferSize.parse(text)?;
                        u16::try_from(size).unwrap_or(u16::MAX)
                    }
                }
            };
        }
        "timeout" if !negated => {
            let seconds = parse_number("timeout", NumberSetting::Timeout, value)?;
            // dig treats 0 as 1 second.
            options.timeout_seconds = seconds.clamp(1, MAX_TIMEOUT_SECONDS);
        }
        "tries" if !negated => {
            let tries = parse_number("tries", NumberSetting::Tries, value)?;
            let tries = u32::try_from(tries).unwrap_or(u32::MAX);
            options.tries = tries.clamp(1, MAX_TRIES);
        }
        "retry" if !negated => {
            let retries = parse_number("retry", NumberSetting::Retries, value)?;
            let retries = u32::try_from(retries).unwrap_or(u32::MAX);
            options.tries = retries.saturating_add(1).clamp(1, MAX_TRIES);
        }
        "roots" | "root-hints" if !negated => {
            let path = value.filter(|path| !path.is_empty());
            options.roots_file = Some(
                path.ok_or_else(|| DigError::MissingArgument(format!("+{name}")))?
                    .to_string(),
            );
        }
        _ => return Err(DigError::InvalidOption(word.to_string())),
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(words: &[&str]) -> Result<QueryOptions, DigError> {
        let mut options = QueryOptions::default();
        for word in words {
            apply_plus_option(&mut options, word)?;
        }
        Ok(options)
    }

    #[test]
    fn unique_prefixes_select_options_like_dig() {
        let options = applied(&["+norec", "+time=1", "+tri=2", "+sh"]).unwrap();
        assert!(!options.recurse);
        assert_eq!(options.timeout_seconds, 1);
        assert_eq!(options.tries, 2);
        assert!(options.display.short);
    }

    #[test]
    fn ambiguous_prefix_is_an_error_naming_candidates() {
        let error = applied(&["+t"]).unwrap_err();
        assert!(matches!(error, DigError::AmbiguousOption { .. }));
        assert!(error.to_string().contains("+t"));
    }

    #[test]
    fn unknown_option_is_named() {
        assert_eq!(
            applied(&["+bogus"]).unwrap_err(),
            DigError::InvalidOption("+bogus".into())
        );
    }

    #[test]
    fn noedns_and_edns_version() {
        assert_eq!(applied(&["+noedns"]).unwrap().edns, None);
        assert_eq!(applied(&["+edns=1"]).unwrap().edns, Some(1));
    }

    #[test]
    fn bad_numbers_are_named_like_dig_with_exit_10() {
        let error = applied(&["+bufsize=70000"]).unwrap_err();
        assert_eq!(error.to_string(), "Couldn't parse buffer size");
        assert_eq!(
            error.stdout_detail().as_deref(),
            Some("invalid buffer size '70000': out of range")
        );
        assert_eq!(error.exit_code(), 10);
        let error = applied(&["+timeout=abc"]).unwrap_err();
        assert_eq!(
            error.stdout_detail().as_deref(),
            Some("invalid timeout 'abc': not a valid number")
        );
        assert_eq!(error.exit_code(), 10);
        assert_eq!(applied(&["+edns=256"]).unwrap_err().exit_code(), 10);
        assert_eq!(applied(&["+bufsize"]).unwrap().bufsize, DEFAULT_BUFSIZE);
    }

    #[test]
    fn noall_then_answer_shows_only_answers() {
        let options = applied(&["+noall", "+answer"]).unwrap();
        assert!(options.display.answer);
        assert!(!options.display.question && !options.display.stats && !options.display.cmd);
    }
}
