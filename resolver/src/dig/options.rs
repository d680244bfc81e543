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
    pub multiline: bool,
    /// `+[no]ttlid`, `+[no]class`: the TTL and class columns of records.
    pub ttl: bool,
    pub class: bool,
    pub ttl_units: bool,
    /// `+[no]rrcomments`; `None` follows `+multiline` (dig's default).
    pub rr_comments: Option<bool>,
    /// `+split=W` rounded up to a multiple of 4; `None` is dig's default, `Some(0)` no split.
    pub split: Option<usize>,
    /// `+identify`: with `+short`, name the server after each answer.
    pub identify: bool,
    /// `+onesoa`: an AXFR prints only its first SOA.
    pub one_soa: bool,
    pub yaml: bool,
    /// `-u`: times in microseconds.
    pub microseconds: bool,
    /// `-y` gave a key dig could not make: the stats end with `TSIG key was not used`.
    pub tsig_key_unused: bool,
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
            multiline: false,
            ttl: true,
            class: true,
            ttl_units: false,
            rr_comments: None,
            split: None,
            identify: false,
            one_soa: false,
            yaml: false,
            microseconds: false,
            tsig_key_unused: false,
        }
    }
}

/// Everything `+options` control for one lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryOptions {
    pub tcp: bool,
    /// `+[no]tcp` was given: dig otherwise asks ANY and IXFR over TCP (dig(1), `+[no]tcp`).
    pub tcp_set: bool,
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
    /// `+dnssec`: the DO bit (RFC 3225 §3).
    pub dnssec: bool,
    /// `+[no]cdflag`, `+[no]adflag` (AD on by default, RFC 6840 §5.7), `+[no]aaflag`,
    /// `+[no]raflag`, `+[no]tcflag`, `+[no]zflag`: header bits of the query.
    pub checking_disabled: bool,
    pub authentic_data: bool,
    pub authoritative: bool,
    pub recursion_available: bool,
    pub truncated: bool,
    /// `+[no]cookie[=hex]`: send a client cookie (RFC 7873 §5.1), the given one if any.
    pub cookie: bool,
    pub cookie_value: Option<Vec<u8>>,
    /// `+[no]badcookie`: resend once with the server cookie after BADCOOKIE (RFC 7873 §5.3).
    pub retry_bad_cookie: bool,
    /// `+expire`: ask for the zone's expire timer (RFC 7314).
    pub expire: bool,
    /// `+subnet=addr[/prefix]`: EDNS Client Subnet (RFC 7871 §6).
    pub subnet: Option<ClientSubnetSetting>,
    /// `+padding=N`: pad the query to a multiple of N octets (RFC 7830, RFC 8467 §4.1).
    pub padding: u16,
    /// `+opcode=N`.
    pub opcode: u8,
    /// `+header-only`: no question section.
    pub header_only: bool,
    /// `+[no]fail`: on SERVFAIL stop (the default) or try the next server.
    pub stop_on_servfail: bool,
    /// `+besteffort`: print what parses of a malformed reply.
    pub best_effort: bool,
    /// `+[no]search`, `+ndots=N`, `+domain=NAME`, `+showsearch`: resolv.conf's search list.
    pub search: bool,
    pub ndots: Option<u32>,
    pub domain: Option<String>,
    pub show_search: bool,
    /// `+nssearch`: ask every authoritative server of the zone for its SOA.
    pub ns_search: bool,
    /// `+qid=N`: the query ID.
    pub query_id: Option<u16>,
    /// `+tls` / `+https[=path]`: DNS over TLS (RFC 7858) or HTTPS (RFC 8484).
    pub encryption: Encryption,
    /// `+tls-ca[=file]`: check the server's certificate (against `file`, or the system roots).
    pub tls_ca: Option<Option<String>>,
    /// `+tls-hostname=NAME`: the name checked in the server's certificate.
    pub tls_hostname: Option<String>,
    /// `+https-get`: GET instead of POST (RFC 8484 §4.1).
    pub https_get: bool,
    /// `-b address[#port]`: the local address (and port, 0 for any) queries are sent from.
    pub source: Option<std::net::SocketAddr>,
    pub display: ShownParts,
}

/// The transport security of a lookup.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Encryption {
    #[default]
    None,
    Tls,
    /// The URI path of the DoH endpoint (dig's default `/dns-query`).
    Https {
        path: String,
    },
}

/// `+subnet=address/prefix` as typed (RFC 7871 §6: SOURCE PREFIX-LENGTH, the address cut to it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSubnetSetting {
    pub address: std::net::IpAddr,
    pub source_prefix: u8,
}

impl Default for QueryOptions {
    fn default() -> Self {
        QueryOptions {
            tcp: false,
            tcp_set: false,
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
            dnssec: false,
            checking_disabled: false,
            authentic_data: true,
            authoritative: false,
            recursion_available: false,
            truncated: false,
            cookie: true,
            cookie_value: None,
            retry_bad_cookie: true,
            expire: false,
            subnet: None,
            padding: 0,
            opcode: 0,
            header_only: false,
            stop_on_servfail: true,
            // dig 9.18 reads what it can of a malformed reply unless told `+nobesteffort`.
            best_effort: true,
            search: false,
            ndots: None,
            domain: None,
            show_search: false,
            ns_search: false,
            query_id: None,
            encryption: Encryption::None,
            tls_ca: None,
            tls_hostname: None,
            https_get: false,
            source: None,
            display: ShownParts::default(),
        }
    }
}

/// The options rdig knows, in the spelling matched against prefixes. `vc` is dig's old name for `tcp`,
/// `root-hints` the resolver daemon's name for `roots`.
const OPTION_NAMES: &[&str] = &[
    "aaflag",
    "aaonly",
    "additional",
    "adflag",
    "all",
    "answer",
    "authority",
    "badcookie",
    "besteffort",
    "bufsize",
    "cdflag",
    "class",
    "cmd",
    "coflag",
    "comments",
    "cookie",
    "crypto",
    "defname",
    "dns64prefix",
    "dnssec",
    "domain",
    "edns",
    "ednsflags",
    "ednsnegotiation",
    "ednsopt",
    "expandaaaa",
    "expire",
    "fail",
    "header-only",
    "http-plain",
    "http-plain-get",
    "https",
    "https-get",
    "identify",
    "idnin",
    "idnout",
    "ignore",
    "json",
    "keepalive",
    "keepopen",
    "multiline",
    "ndots",
    "nsid",
    "nssearch",
    "onesoa",
    "opcode",
    "padding",
    "qid",
    "qr",
    "question",
    "raflag",
    "rdflag",
    "recurse",
    "retry",
    "root-hints",
    "roots",
    "rrcomments",
    "search",
    "short",
    "showbadcookie",
    "showsearch",
    "split",
    "stats",
    "subnet",
    "tcflag",
    "tcp",
    "timeout",
    "tls",
    "tls-ca",
    "tls-certfile",
    "tls-hostname",
    "tls-keyfile",
    "trace",
    "tries",
    "ttlid",
    "ttlunits",
    "unknownformat",
    "vc",
    "yaml",
    "zflag",
];

/// Options dig 9.18 has that rdig does not implement; each is refused with a one-line error
/// naming it (README, "rdig: not supported").
const UNSUPPORTED_OPTIONS: &[&str] = &[
    "coflag",
    "crypto",
    "dns64prefix",
    "ednsflags",
    "ednsnegotiation",
    "ednsopt",
    "expandaaaa",
    "http-plain",
    "http-plain-get",
    "keepalive",
    "keepopen",
    "showbadcookie",
    "tls-certfile",
    "tls-keyfile",
    "unknownformat",
    "zflag",
];

/// Resolves a possibly abbreviated option name: an exact name wins, else exactly one name must start
/// with it.
fn resolve_name(word: &str, given: &str) -> Result<&'static str, DigError> {
    // dig's parser reads a few short forms by its own character switch (BIND `dig.c`) where a
    // plain prefix rule would find several options.
    const DIG_SHORT_FORMS: [(&str, &str); 4] = [
        ("ad", "adflag"),
        ("ttl", "ttlid"),
        ("se", "search"),
        ("sp", "split"),
    ];
    if let Some((_, name)) = DIG_SHORT_FORMS.iter().find(|(short, _)| *short == word) {
        return Ok(name);
    }
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

/// dig turns EDNS on (version 0) for an option that needs an OPT record, unless already set.
fn enable_edns(options: &mut QueryOptions, wanted: bool) {
    if wanted && options.edns.is_none() {
        options.edns = Some(0);
    }
}

/// RFC 7873 §4: a client cookie of 8 octets, optionally followed by a server cookie of 8 to 32.
const MAX_COOKIE_OCTETS: usize = 40;

/// `+cookie=hex` as dig reads it (BIND `isc_hex_decodestring`).
fn cookie_bytes(text: &str) -> Result<Vec<u8>, DigError> {
    let bad = || DigError::BadHex;
    if !text.len().is_multiple_of(2) || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let bytes: Vec<u8> = (0..text.len())
        .step_by(2)
        .filter_map(|index| u8::from_str_radix(text.get(index..index + 2)?, 16).ok())
        .collect();
    // dig sends what it was given, even a cookie shorter than RFC 7873 §4 allows.
    if bytes.len() > MAX_COOKIE_OCTETS {
        return Err(bad());
    }
    Ok(bytes)
}

/// `+subnet=address[/prefix]`: the prefix defaults to the whole address (RFC 7871 §6).
fn parse_subnet(text: &str) -> Result<ClientSubnetSetting, DigError> {
    let invalid = || DigError::InvalidSubnet(text.to_string());
    let (address_text, prefix_text) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let address: std::net::IpAddr = address_text.parse().map_err(|_| invalid())?;
    let maximum: u8 = if address.is_ipv4() { 32 } else { 128 };
    let source_prefix = match prefix_text {
        Some(prefix) => prefix
            .parse::<u8>()
            .ok()
            .filter(|bits| *bits <= maximum)
            .ok_or_else(invalid)?,
        None => maximum,
    };
    Ok(ClientSubnetSetting {
        address,
        source_prefix,
    })
}

/// `+opcode=N` or a mnemonic (RFC 6895 §2.2: QUERY, IQUERY, STATUS, NOTIFY, UPDATE).
fn opcode_number(text: &str) -> Result<u8, DigError> {
    const NAMES: [&str; 6] = ["QUERY", "IQUERY", "STATUS", "RESERVED3", "NOTIFY", "UPDATE"];
    if let Some(index) = NAMES
        .iter()
        .position(|name| name.eq_ignore_ascii_case(text))
    {
        return Ok(index as u8);
    }
    let number = NumberSetting::Opcode.parse(text)?;
    Ok(u8::try_from(number).unwrap_or(15))
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
        "tcp" | "vc" => {
            options.tcp = flag;
            options.tcp_set = true;
        }
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
        name if UNSUPPORTED_OPTIONS.contains(&name) => {
            return Err(DigError::Unsupported(format!("+{name}")));
        }
        "multiline" => display.multiline = flag,
        "ttlid" => display.ttl = flag,
        "class" => display.class = flag,
        "ttlunits" => display.ttl_units = flag,
        "rrcomments" => display.rr_comments = Some(flag),
        "identify" => display.identify = flag,
        "onesoa" => display.one_soa = flag,
        "yaml" => display.yaml = flag,
        "split" => {
            display.split = Some(if negated {
                0
            } else {
                let width = parse_number("split", NumberSetting::Split, value)?;
                // dig rounds the width up to base64's 4-character quantum.
                usize::try_from(width.div_ceil(4) * 4).unwrap_or(usize::MAX)
            });
        }
        "dnssec" => {
            options.dnssec = flag;
            enable_edns(options, flag);
        }
        "cdflag" => options.checking_disabled = flag,
        "adflag" => options.authentic_data = flag,
        "aaflag" | "aaonly" => options.authoritative = flag,
        "raflag" => options.recursion_available = flag,
        "tcflag" => options.truncated = flag,
        "rdflag" => options.recurse = flag,
        "cookie" => {
            options.cookie = flag;
            options.cookie_value = None;
            if let Some(text) = value.filter(|_| flag) {
                options.cookie_value = Some(cookie_bytes(text)?);
            }
            enable_edns(options, flag);
        }
        "badcookie" => options.retry_bad_cookie = flag,
        "expire" => {
            options.expire = flag;
            enable_edns(options, flag);
        }
        "subnet" => {
            options.subnet = if negated {
                None
            } else {
                let text = value.ok_or_else(|| DigError::MissingArgument("+subnet".into()))?;
                Some(parse_subnet(text)?)
            };
            enable_edns(options, !negated);
        }
        "padding" => {
            options.padding = if negated {
                0
            } else {
                let size = parse_number("padding", NumberSetting::Padding, value)?;
                u16::try_from(size).unwrap_or(u16::MAX)
            };
            enable_edns(options, !negated);
        }
        "opcode" => {
            options.opcode = if negated {
                0
            } else {
                let text = value.ok_or_else(|| DigError::MissingArgument("+opcode".into()))?;
                opcode_number(text)?
            };
        }
        "qid" => {
            let id = parse_number("qid", NumberSetting::QueryId, value)?;
            options.query_id = Some(u16::try_from(id).unwrap_or(u16::MAX));
        }
        "header-only" => options.header_only = flag,
        "fail" => options.stop_on_servfail = flag,
        "besteffort" => options.best_effort = flag,
        "search" | "defname" => options.search = flag,
        "showsearch" => {
            options.show_search = flag;
            options.search = flag;
        }
        "ndots" => {
            let dots = parse_number("ndots", NumberSetting::Ndots, value)?;
            options.ndots = Some(u32::try_from(dots).unwrap_or(u32::MAX));
        }
        "domain" => {
            let text = value.ok_or_else(|| DigError::MissingArgument("+domain".into()))?;
            options.domain = Some(text.to_string());
        }
        "nssearch" => {
            options.ns_search = flag;
            if flag {
                display.question = false;
                display.answer = true;
                display.authority = false;
                display.additional = false;
                display.comments = false;
                display.stats = false;
            }
        }
        "tls" => {
            options.encryption = if flag {
                Encryption::Tls
            } else {
                Encryption::None
            };
            options.tcp = flag;
        }
        "https" => {
            options.encryption = if flag {
                let path = value
                    .filter(|path| !path.is_empty())
                    .unwrap_or("/dns-query");
                Encryption::Https {
                    path: path.to_string(),
                }
            } else {
                Encryption::None
            };
            options.tcp = flag;
        }
        "https-get" => {
            options.https_get = flag;
            if flag && !matches!(options.encryption, Encryption::Https { .. }) {
                options.encryption = Encryption::Https {
                    path: "/dns-query".into(),
                };
                options.tcp = true;
            }
        }
        "tls-ca" => {
            options.tls_ca = flag.then(|| value.filter(|file| !file.is_empty()).map(String::from));
        }
        "tls-hostname" => {
            options.tls_hostname = if flag {
                let name = value.filter(|name| !name.is_empty());
                Some(
                    name.ok_or_else(|| DigError::MissingArgument("+tls-hostname".into()))?
                        .to_string(),
                )
            } else {
                None
            };
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
        let options = applied(&["+norec", "+time=1", "+tri=2", "+shor"]).unwrap();
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
