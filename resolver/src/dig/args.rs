//! dig's command line, hand-parsed: words in any order, `@server`, `-p/-t/-c/-x/-f/-4/-6`, bare types and
//! classes, `+options`. Produces a list of lookups; never touches the network or the file system.

use std::net::IpAddr;

use hickory_proto::rr::{DNSClass, RecordType};

use crate::dig::error::{DigError, NumberSetting};
use crate::dig::limits::{MAX_ARGUMENTS, MAX_LOOKUPS};
use crate::dig::options::{apply_plus_option, QueryOptions};
use crate::dig::presentation::type_from_mnemonic;
use crate::dig::tsig::{DigKey, KeyProblem};

/// Which address family `-4`/`-6` restrict the server addresses to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AddressFamily {
    #[default]
    Any,
    V4,
    V6,
}

/// One query to make: what to ask, whom, and how to show the reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// The name as typed (or built by `-x`); `None` means dig's default `.`.
    pub name: Option<String>,
    /// On the first lookup of a batch line, that line: dig prints a banner echoing it.
    pub source_line: Option<String>,
    /// `None` until a type is given: A for a name, NS for the root default.
    pub record_type: Option<RecordType>,
    pub class: DNSClass,
    /// A class word was given for this lookup (a second one draws dig's warning).
    pub class_set: bool,
    /// Each `@server` as typed (address or host name), tried in order; empty means resolv.conf.
    pub servers: Vec<String>,
    pub port: u16,
    pub family: AddressFamily,
    pub options: QueryOptions,
    /// `IXFR=N`: the serial the client claims to hold (RFC 1995 §3).
    pub ixfr_serial: Option<u32>,
    /// `-y` / `-k`: the key that signs the request and checks the replies (RFC 8945).
    pub tsig_key: Option<DigKey>,
}

impl Default for Lookup {
    fn default() -> Self {
        Lookup {
            name: None,
            source_line: None,
            record_type: None,
            class: DNSClass::IN,
            class_set: false,
            servers: Vec::new(),
            port: 53,
            family: AddressFamily::Any,
            options: QueryOptions::default(),
            ixfr_serial: None,
            tsig_key: None,
        }
    }
}

impl Lookup {
    /// dig's defaults: no name asks `. NS`; a name without a type asks A.
    pub fn effective_name(&self) -> &str {
        self.name.as_deref().unwrap_or(".")
    }

    pub fn effective_type(&self) -> RecordType {
        match (self.record_type, self.name.is_some()) {
            (Some(record_type), _) => record_type,
            (None, true) => RecordType::A,
            (None, false) => RecordType::NS,
        }
    }
}

/// The whole command line, parsed.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Invocation {
    pub lookups: Vec<Lookup>,
    /// Settings given before the first name; batch-file lines start from these.
    pub defaults: Lookup,
    pub batch_file: Option<String>,
    pub help: bool,
    pub version: bool,
    /// dig's `;; Warning, ...` lines for words it ignores or overrides; the caller prints them.
    pub warnings: Vec<String>,
    /// Lines dig prints on standard output before any lookup (`;; Couldn't create key ...`).
    pub notes: Vec<String>,
    /// The global settings this line gave (already applied to its lookups).
    pub globals: GlobalSettings,
}

/// Parses a record type the way dig does: one of BIND 9.18's mnemonics in any case (LOC, URI,
/// SPF... not only hickory's), or RFC 3597 `TYPEnnn` within 16 bits.
pub fn parse_record_type(word: &str) -> Option<RecordType> {
    let upper = word.to_ascii_uppercase();
    if let Some(number) = upper.strip_prefix("TYPE") {
        if !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit()) {
            return number.parse::<u16>().ok().map(RecordType::from);
        }
    }
    // OPT is a pseudo-type (RFC 6891 §6.1.1), never a question type.
    type_from_mnemonic(word)
        .filter(|code| *code != u16::from(RecordType::OPT))
        .map(RecordType::from)
}

/// Parses a class: a mnemonic (IN, CH, HS, NONE, ANY) or RFC 3597 `CLASSnnn`.
pub fn parse_class(word: &str) -> Option<DNSClass> {
    let upper = word.to_ascii_uppercase();
    if let Some(number) = upper.strip_prefix("CLASS") {
        if !number.is_empty() && number.bytes().all(|byte| byte.is_ascii_digit()) {
            return number.parse::<u16>().ok().map(DNSClass::from);
        }
    }
    match upper.as_str() {
        "IN" | "CH" | "HS" | "NONE" | "ANY" => upper.parse::<DNSClass>().ok(),
        _ => None,
    }
}

/// RFC 1035 §3.5 (in-addr.arpa) and RFC 3596 §2.5 (ip6.arpa, one label per nibble). Anything
/// that is not an address is reversed label by label under in-addr.arpa, as dig does for a
/// partial address (`-x 192.0.2` asks `2.0.192.in-addr.arpa.`).
pub fn reverse_name(address: &str) -> String {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa.")
        }
        Ok(IpAddr::V6(v6)) => {
            let mut name = String::with_capacity(74);
            for byte in v6.octets().iter().rev() {
                name.push_str(&format!("{:x}.{:x}.", byte & 0x0f, byte >> 4));
            }
            name.push_str("ip6.arpa.");
            name
        }
        Err(_) => {
            let labels: Vec<&str> = address.trim_end_matches('.').split('.').rev().collect();
            format!("{}.in-addr.arpa.", labels.join("."))
        }
    }
}

/// dig's `IXFR=N` type word (any case): the serial, `None` for any other word.
pub fn ixfr_serial(word: &str) -> Option<u32> {
    let (head, serial) = word.split_once('=')?;
    if !head.eq_ignore_ascii_case("ixfr") {
        return None;
    }
    serial.parse::<u32>().ok()
}

/// A `-k` key file, at most `MAX_KEY_FILE_BYTES` of it.
fn read_key_file(path: &str) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut text = String::new();
    file.take(crate::dig::limits::MAX_KEY_FILE_BYTES)
        .read_to_string(&mut text)?;
    Ok(text)
}

/// `-b address[#port]` as dig reads it (port 0, any, when none is given).
pub fn source_address(text: &str) -> Result<std::net::SocketAddr, DigError> {
    let (address_text, port_text) = match text.split_once('#') {
        Some((address, port)) => (address, Some(port)),
        None => (text, None),
    };
    let address: IpAddr = address_text
        .parse()
        .map_err(|_| DigError::InvalidSourceAddress(address_text.to_string()))?;
    let port = match port_text {
        Some(port) => u16::try_from(NumberSetting::Port.parse(port)?).unwrap_or(u16::MAX),
        None => 0,
    };
    Ok(std::net::SocketAddr::new(address, port))
}

/// dig's global settings (BIND `dig.c`: `port`, the `-4`/`-6` family, `short_form`): wherever
/// they appear on the line, they hold for every lookup.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct GlobalSettings {
    port: Option<u16>,
    family: Option<AddressFamily>,
    short: Option<bool>,
    json: Option<bool>,
    /// `+yaml`: dig's global `yaml`.
    yaml: Option<bool>,
    /// `-u`: times in microseconds.
    microseconds: Option<bool>,
    /// `-y` / `-k`: one key for the whole line, as dig's `keyname` is global.
    tsig_key: Option<DigKey>,
    /// `-b`: dig's `localaddr`, global too.
    source: Option<std::net::SocketAddr>,
    /// `-y` named a key dig could not make: the stats say it was not used.
    key_unused: Option<bool>,
}

impl GlobalSettings {
    /// Settings of `later` replace these where given (a batch line's `+short` holds from then on).
    pub fn merge(&mut self, later: &GlobalSettings) {
        self.port = later.port.or(self.port);
        self.family = later.family.or(self.family);
        self.short = later.short.or(self.short);
        self.json = later.json.or(self.json);
        self.yaml = later.yaml.or(self.yaml);
        self.microseconds = later.microseconds.or(self.microseconds);
        if later.tsig_key.is_some() {
            self.tsig_key = later.tsig_key.clone();
        }
        self.source = later.source.or(self.source);
        self.key_unused = later.key_unused.or(self.key_unused);
    }

    pub fn apply(&self, lookup: &mut Lookup) {
        if let Some(port) = self.port {
            lookup.port = port;
        }
        if let Some(family) = self.family {
            lookup.family = family;
        }
        if let Some(short) = self.short {
            lookup.options.display.short = short;
        }
        if let Some(json) = self.json {
            lookup.options.display.json = json;
        }
        if let Some(yaml) = self.yaml {
            lookup.options.display.yaml = yaml;
        }
        if let Some(microseconds) = self.microseconds {
            lookup.options.display.microseconds = microseconds;
        }
        if let Some(key) = &self.tsig_key {
            lookup.tsig_key = Some(key.clone());
        }
        if let Some(source) = self.source {
            lookup.options.source = Some(source);
        }
        if let Some(unused) = self.key_unused {
            lookup.options.display.tsig_key_unused = unused;
        }
    }
}

/// Parser state: settings before the first name go to `defaults`, later ones to the latest lookup;
/// global settings are collected apart and applied to all lookups at the end.
struct Parser {
    invocation: Invocation,
    globals: GlobalSettings,
    /// dig's `open_type_class`: bare words may be types or classes until `-t` or `-c` is used;
    /// after that every bare word is a name (`dig -c CH version.bind TXT` asks for `TXT.` too).
    type_class_words: bool,
}

impl Parser {
    fn target(&mut self) -> &mut Lookup {
        match self.invocation.lookups.last_mut() {
            Some(lookup) => lookup,
            None => &mut self.invocation.defaults,
        }
    }

    fn start_lookup(&mut self, name: String) -> Result<&mut Lookup, DigError> {
        if self.invocation.lookups.len() >= MAX_LOOKUPS {
            return Err(DigError::TooManyArguments);
        }
        let mut lookup = self.invocation.defaults.clone();
        lookup.name = Some(name);
        self.invocation.lookups.push(lookup);
        self.invocation
            .lookups
            .last_mut()
            .ok_or(DigError::Internal("lookup list empty"))
    }

    fn set_reverse(&mut self, address: &str) -> Result<(), DigError> {
        let name = reverse_name(address);
        let lookup = self.start_lookup(name)?;
        lookup.record_type = Some(RecordType::PTR);
        lookup.class = DNSClass::IN;
        Ok(())
    }

    /// Handles `-x` style flags; `value` is the next word when the flag takes one.
    fn dash_flag(&mut self, flag: &str, value: Option<&str>) -> Result<(), DigError> {
        let needs = |value: Option<&str>| {
            value
                .map(str::to_string)
                .ok_or_else(|| DigError::MissingArgument(flag.to_string()))
        };
        match flag {
            "-4" => self.globals.family = Some(AddressFamily::V4),
            "-6" => self.globals.family = Some(AddressFamily::V6),
            "-h" => self.invocation.help = true,
            // dig's -m (memory debugging) and -i (the old ip6.int) change nothing it prints.
            "-m" | "-i" => {}
            // ~/.digrc is skipped by the caller, which saw -r before parsing.
            "-r" => {}
            "-u" => self.globals.microseconds = Some(true),
            "-b" => {
                let source = source_address(&needs(value)?)?;
                // dig then asks only servers of the source's family.
                self.globals.family = Some(if source.is_ipv4() {
                    AddressFamily::V4
                } else {
                    AddressFamily::V6
                });
                self.globals.source = Some(source);
            }
            "-y" => {
                let text = needs(value)?;
                match DigKey::from_argument(&text) {
                    Ok(key) => self.globals.tsig_key = Some(key),
                    Err(KeyProblem::Syntax | KeyProblem::Incomplete) => {
                        return Err(DigError::KeySyntax)
                    }
                    Err(problem) => self.unusable_key(problem),
                }
            }
            "-k" => {
                let path = needs(value)?;
                match read_key_file(&path) {
                    // dig notes it and goes on unsigned.
                    Err(_) => self
                        .invocation
                        .warnings
                        .push(format!("Couldn't read key from {path}: file not found")),
                    Ok(text) => match DigKey::from_key_file(&text) {
                        Ok(key) => self.globals.tsig_key = Some(key),
                        Err(KeyProblem::Syntax | KeyProblem::Incomplete) => {
                            return Err(DigError::TsigKey(
                                "key must have algorithm and secret".into(),
                            ))
                        }
                        Err(problem) => self.unusable_key(problem),
                    },
                }
            }
            "-v" => self.invocation.version = true,
            "-p" => {
                let text = needs(value)?;
                let port = NumberSetting::Port.parse(&text)?;
                self.globals.port = Some(u16::try_from(port).unwrap_or(u16::MAX));
            }
            "-t" => {
                let text = needs(value)?;
                self.type_class_words = false;
                if let Some(serial) = ixfr_serial(&text) {
                    self.target().record_type = Some(RecordType::IXFR);
                    self.target().ixfr_serial = Some(serial);
                } else {
                    match parse_record_type(&text) {
                        Some(record_type) => self.target().record_type = Some(record_type),
                        None => self.warn(format!("ignoring invalid type {text}")),
                    }
                }
            }
            "-c" => {
                let text = needs(value)?;
                self.type_class_words = false;
                match parse_class(&text) {
                    Some(class) => self.target().class = class,
                    None => self.warn(format!("ignoring invalid class {text}")),
                }
            }
            "-q" => {
                let text = needs(value)?;
                self.start_lookup(text)?;
            }
            "-x" => {
                let text = needs(value)?;
                self.set_reverse(&text)?;
            }
            "-f" => self.invocation.batch_file = Some(needs(value)?),
            _ => return Err(DigError::UnknownFlag(flag.to_string())),
        }
        Ok(())
    }

    /// dig's handling of a key it cannot make: a note on standard output, a warning for an unknown
    /// algorithm, and the lookups go unsigned (with `TSIG key was not used` in the stats).
    fn unusable_key(&mut self, problem: KeyProblem) {
        if let KeyProblem::Unusable {
            name,
            reason,
            unknown_algorithm,
        } = problem
        {
            if let Some(algorithm) = unknown_algorithm {
                self.warn(format!("ignoring invalid TSIG algorithm {algorithm}"));
            }
            self.invocation
                .notes
                .push(format!(";; Couldn't create key {name}: {reason}"));
            self.globals.key_unused = Some(true);
        }
    }

    fn warn(&mut self, text: String) {
        self.invocation.warnings.push(format!(";; Warning, {text}"));
    }

    /// dig's rule (BIND `dig.c`): a word that is a type or class mnemonic sets it (a second one
    /// overrides the first, with a warning); any other word is the name of a new lookup.
    fn bare_word(&mut self, word: &str) -> Result<(), DigError> {
        if !self.type_class_words {
            self.start_lookup(word.to_string())?;
            return Ok(());
        }
        if let Some(serial) = ixfr_serial(word) {
            if self.target().record_type.is_some() {
                self.warn("extra type option".to_string());
            }
            self.target().record_type = Some(RecordType::IXFR);
            self.target().ixfr_serial = Some(serial);
            return Ok(());
        }
        if let Some(record_type) = parse_record_type(word) {
            if self.target().record_type.is_some() {
                self.warn("extra type option".to_string());
            }
            self.target().record_type = Some(record_type);
            return Ok(());
        }
        if let Some(class) = parse_class(word) {
            if self.target().class_set {
                self.warn("extra class option".to_string());
            }
            self.target().class = class;
            self.target().class_set = true;
            return Ok(());
        }
        self.start_lookup(word.to_string())?;
        Ok(())
    }
}

/// Flags that take a value, either attached (`-p53`) or as the next word (`-p 53`).
const FLAGS_WITH_VALUE: &[&str] = &["-p", "-t", "-c", "-q", "-x", "-f", "-b", "-k", "-y"];

/// Parses dig's command line (without the program name).
pub fn parse_arguments<S: AsRef<str>>(words: &[S]) -> Result<Invocation, DigError> {
    parse_arguments_with_defaults(words, Lookup::default())
}

/// Parses a command line or batch-file line, starting from `defaults` (batch lines inherit the
/// command line's settings, as in dig).
pub fn parse_arguments_with_defaults<S: AsRef<str>>(
    words: &[S],
    defaults: Lookup,
) -> Result<Invocation, DigError> {
    if words.len() > MAX_ARGUMENTS {
        return Err(DigError::TooManyArguments);
    }
    let mut parser = Parser {
        invocation: Invocation {
            defaults,
            ..Invocation::default()
        },
        globals: GlobalSettings::default(),
        type_class_words: true,
    };
    let mut index = 0;
    while let Some(word) = words.get(index).map(AsRef::as_ref) {
        index += 1;
        if let Some(server) = word.strip_prefix('@') {
            if server.is_empty() {
                return Err(DigError::MissingArgument("@".to_string()));
            }
            // dig adds each @server to the lookup's list: the next one is tried when one fails.
            parser.target().servers.push(server.to_string());
        } else if word.starts_with('+') {
            let name = apply_plus_option(&mut parser.target().options, word)?;
            if name == "split" {
                let typed = word.split_once('=').map(|(_, value)| value).unwrap_or("");
                let width = parser.target().options.display.split.unwrap_or(0);
                if typed.parse::<usize>().is_ok_and(|typed| typed != width) {
                    parser.warn(format!(
                        "split must be a multiple of 4; adjusting to {width}"
                    ));
                }
            }
            let display = &parser.target().options.display;
            let (short, json, yaml) = (display.short, display.json, display.yaml);
            match name {
                "short" => parser.globals.short = Some(short),
                "json" => parser.globals.json = Some(json),
                "yaml" => parser.globals.yaml = Some(yaml),
                _ => {}
            }
        } else if word.starts_with('-') && word.len() > 1 {
            let flag = word.get(..2).unwrap_or(word);
            if FLAGS_WITH_VALUE.contains(&flag) {
                let attached = word.get(2..).filter(|rest| !rest.is_empty());
                let value = match attached {
                    Some(value) => Some(value),
                    None => {
                        let next = words.get(index).map(AsRef::as_ref);
                        if next.is_some() {
                            index += 1;
                        }
                        next
                    }
                };
                parser.dash_flag(flag, value)?;
            } else if word.len() == 2 {
                parser.dash_flag(word, None)?;
            } else {
                return Err(DigError::UnknownFlag(word.to_string()));
            }
        } else {
            parser.bare_word(word)?;
        }
    }
    let Parser {
        mut invocation,
        globals,
        ..
    } = parser;
    globals.apply(&mut invocation.defaults);
    for lookup in &mut invocation.lookups {
        globals.apply(lookup);
    }
    invocation.globals = globals;
    Ok(invocation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_in_any_order_make_one_lookup() {
        let invocation =
            parse_arguments(&["MX", "@127.0.0.1", "example.com", "-p", "5353", "+norec"]).unwrap();
        assert_eq!(invocation.lookups.len(), 1);
        let lookup = &invocation.lookups[0];
        assert_eq!(lookup.name.as_deref(), Some("example.com"));
        assert_eq!(lookup.effective_type(), RecordType::MX);
        assert_eq!(lookup.servers, ["127.0.0.1"]);
        assert_eq!(lookup.port, 5353);
        assert!(!lookup.options.recurse);
    }

    #[test]
    fn numeric_types_and_classes_are_accepted() {
        let invocation = parse_arguments(&["x.test", "TYPE65", "CLASS3"]).unwrap();
        assert_eq!(invocation.lookups[0].effective_type(), RecordType::HTTPS);
        assert_eq!(invocation.lookups[0].class, DNSClass::CH);
    }

    #[test]
    fn port_family_and_short_hold_for_every_lookup_and_servers_accumulate() {
        let invocation = parse_arguments(&[
            "@192.0.2.1",
            "a.test",
            "-p",
            "5300",
            "b.test",
            "@192.0.2.2",
            "+short",
            "-6",
        ])
        .unwrap();
        for lookup in &invocation.lookups {
            assert_eq!(lookup.port, 5300);
            assert_eq!(lookup.family, AddressFamily::V6);
            assert!(lookup.options.display.short);
        }
        assert_eq!(invocation.lookups[0].servers, ["192.0.2.1"]);
        assert_eq!(invocation.lookups[1].servers, ["192.0.2.1", "192.0.2.2"]);
    }

    #[test]
    fn after_dash_t_or_dash_c_bare_words_are_names_like_dig() {
        let invocation = parse_arguments(&["-c", "CH", "version.bind", "TXT"]).unwrap();
        assert_eq!(invocation.lookups.len(), 2);
        assert_eq!(invocation.lookups[1].name.as_deref(), Some("TXT"));
        assert_eq!(invocation.lookups[1].class, DNSClass::CH);
        let invocation = parse_arguments(&["-x", "192.0.2.1", "TXT"]).unwrap();
        assert_eq!(invocation.lookups.len(), 1);
        assert_eq!(invocation.lookups[0].effective_type(), RecordType::TXT);
    }

    #[test]
    fn bind_mnemonics_hickory_lacks_are_types_not_names() {
        let invocation = parse_arguments(&["x.test", "LOC"]).unwrap();
        assert_eq!(invocation.lookups.len(), 1);
        assert_eq!(u16::from(invocation.lookups[0].effective_type()), 29);
        for (word, code) in [("uri", 256), ("SPF", 99), ("afsdb", 18), ("IPSECKEY", 45)] {
            let invocation = parse_arguments(&["x.test", word]).unwrap();
            assert_eq!(u16::from(invocation.lookups[0].effective_type()), code);
        }
    }

    #[test]
    fn unknown_words_are_names_and_bad_dash_t_is_ignored_like_dig() {
        let invocation = parse_arguments(&["x.test", "FOO", "TYPE70000"]).unwrap();
        assert_eq!(invocation.lookups.len(), 3);
        let invocation = parse_arguments(&["-t", "FOO", "x"]).unwrap();
        assert_eq!(invocation.lookups[0].effective_type(), RecordType::A);
        assert_eq!(
            invocation.warnings,
            [";; Warning, ignoring invalid type FOO"]
        );
        let invocation = parse_arguments(&["x", "A", "MX"]).unwrap();
        assert_eq!(invocation.lookups[0].effective_type(), RecordType::MX);
        assert_eq!(invocation.warnings, [";; Warning, extra type option"]);
    }

    #[test]
    fn reverse_names_for_both_families() {
        assert_eq!(reverse_name("192.0.2.1"), "1.2.0.192.in-addr.arpa.");
        assert_eq!(
            reverse_name("2001:db8::1"),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
        );
        assert_eq!(reverse_name("192.0.2"), "2.0.192.in-addr.arpa.");
        assert_eq!(reverse_name("2001:db8"), "2001:db8.in-addr.arpa.");
    }

    #[test]
    fn no_name_defaults_to_root_ns() {
        let invocation = parse_arguments::<&str>(&[]).unwrap();
        assert!(invocation.lookups.is_empty());
        assert_eq!(invocation.defaults.effective_type(), RecordType::NS);
        assert_eq!(invocation.defaults.effective_name(), ".");
    }
}
