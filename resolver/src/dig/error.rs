//! Why an rdig invocation failed, and dig's exit code for each reason.
//! Messages name the offending word; nothing here prints.

use std::fmt;

/// A numeric setting, named and bounded as dig's `parse_uint` calls do (BIND `dig.c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberSetting {
    BufferSize,
    Timeout,
    Tries,
    Retries,
    Edns,
    Port,
    Split,
    Padding,
    Opcode,
    QueryId,
    Ndots,
}

impl NumberSetting {
    pub fn name(self) -> &'static str {
        match self {
            NumberSetting::BufferSize => "buffer size",
            NumberSetting::Timeout => "timeout",
            NumberSetting::Tries => "tries",
            NumberSetting::Retries => "retries",
            NumberSetting::Edns => "edns",
            NumberSetting::Port => "port number",
            NumberSetting::Split => "split",
            NumberSetting::Padding => "padding",
            NumberSetting::Opcode => "opcode",
            NumberSetting::QueryId => "qid",
            NumberSetting::Ndots => "ndots",
        }
    }

    /// dig's bounds: COMMSIZE, MAXTIMEOUT and MAXPORT are 0xffff, EDNS versions 8 bits, tries 32.
    pub fn maximum(self) -> u64 {
        match self {
            NumberSetting::BufferSize | NumberSetting::Timeout | NumberSetting::Port => 0xffff,
            NumberSetting::Edns => 255,
            NumberSetting::Split => 1023,
            NumberSetting::Padding => 512,
            NumberSetting::Opcode => 15,
            NumberSetting::QueryId => 0xffff,
            NumberSetting::Ndots => 0xff,
            NumberSetting::Tries | NumberSetting::Retries => u64::from(u32::MAX),
        }
    }

    /// Reads `text` as dig does: decimal digits only, within `maximum()`.
    pub fn parse(self, text: &str) -> Result<u64, DigError> {
        let invalid = |problem| DigError::InvalidNumber {
            setting: self,
            value: text.to_string(),
            problem,
        };
        if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(invalid(NumberProblem::NotANumber));
        }
        match text.parse::<u64>() {
            Ok(number) if number <= self.maximum() => Ok(number),
            _ => Err(invalid(NumberProblem::OutOfRange)),
        }
    }
}

/// Why a number was refused, in BIND's words (`isc_result_totext`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberProblem {
    NotANumber,
    OutOfRange,
}

impl fmt::Display for NumberProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NumberProblem::NotANumber => "not a valid number",
            NumberProblem::OutOfRange => "out of range",
        })
    }
}

/// One failure of an rdig invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigError {
    /// `+foo` is not an option (or a prefix of exactly one).
    InvalidOption(String),
    /// A dig option rdig does not implement (README: "not supported").
    Unsupported(String),
    /// A `-k` file that does not give a usable TSIG key, in dig's words.
    TsigKey(String),
    /// `-y` that is not `[alg:]name:secret`: dig prints only its usage.
    KeySyntax,
    /// A zone transfer that did not complete (dig prints `; Transfer failed.`).
    Transfer(String),
    /// `+cookie=` with bad hex, in BIND's words.
    BadHex,
    /// `-b` with something that is not an IP address.
    InvalidSourceAddress(String),
    /// `+subnet=` that is not an address with an optional prefix length.
    InvalidSubnet(String),
    /// `+t` is a prefix of several options.
    AmbiguousOption {
        given: String,
        candidates: Vec<&'static str>,
    },
    /// `+timeout=abc`, `-p 99999`...: a number dig could not parse, and why.
    InvalidNumber {
        setting: NumberSetting,
        value: String,
        problem: NumberProblem,
    },
    /// `-t FOO`, `TYPE70000`.
    InvalidType(String),
    /// `-c FOO`, `CLASS70000`.
    InvalidClass(String),
    /// A query name that is not a legal domain name, and why (dig exits 10 for it).
    IllegalName {
        name: String,
        reason: crate::dig::query::NameSyntax,
    },
    /// `-p` with nothing after it.
    MissingArgument(String),
    /// `-z` and other flags dig has and rdig does not.
    UnknownFlag(String),
    /// More arguments or lookups than the limits allow.
    TooManyArguments,
    /// `-f FILE` could not be read.
    BatchFile { path: String, reason: String },
    /// `@name` did not resolve to a usable address.
    ServerLookup { server: String, reason: String },
    /// `+roots=FILE` could not be read or named no root server address.
    RootHints { path: String, reason: String },
    /// No server answered.
    NoReply,
    /// `+nobesteffort` and a reply that does not parse: dig dumps it and exits 0.
    BadPacket,
    /// Every TCP connection was refused; dig's lines for it are printed already (no banner).
    TcpRefused,
    /// `-4`/`-6` left no server address to ask (dig notes it and still exits 0).
    NoAcceptableServers,
    /// `+tls-ca` refused the server's certificate; dig prints one line and exits 0.
    TlsVerification {
        server: String,
        reason: &'static str,
    },
    /// Something rdig itself failed at (building a message, starting the runtime).
    Internal(&'static str),
}

impl DigError {
    /// Whether dig stops the whole invocation here (its `fatal()`) rather than going on to the
    /// next lookup.
    pub fn ends_invocation(&self) -> bool {
        matches!(
            self,
            DigError::IllegalName { .. } | DigError::ServerLookup { .. } | DigError::Internal(_)
        )
    }

    /// The line dig prints on standard output before the error itself, if any (for a bad number:
    /// `invalid timeout 'x': not a valid number`).
    pub fn stdout_detail(&self) -> Option<String> {
        match self {
            DigError::InvalidNumber {
                setting,
                value,
                problem,
            } => Some(format!("invalid {} '{value}': {problem}", setting.name())),
            _ => None,
        }
    }

    /// dig's exit codes (BIND `dig.1`): 1 usage (and an unresolvable `@server`, as dig 9.18 exits),
    /// 8 batch file, 9 no reply, 10 internal error (and an illegal name or bad number option).
    pub fn exit_code(&self) -> u8 {
        match self {
            DigError::InvalidOption(_)
            | DigError::Unsupported(_)
            | DigError::TsigKey(_)
            | DigError::KeySyntax
            | DigError::BadHex
            | DigError::InvalidSubnet(_)
            | DigError::InvalidSourceAddress(_)
            | DigError::AmbiguousOption { .. }
            | DigError::InvalidType(_)
            | DigError::InvalidClass(_)
            | DigError::MissingArgument(_)
            | DigError::UnknownFlag(_)
            | DigError::TooManyArguments
            | DigError::ServerLookup { .. } => 1,
            // dig checks -p while reading the line (usage error), +options when it applies them.
            DigError::InvalidNumber { setting, .. } if *setting == NumberSetting::Port => 1,
            DigError::InvalidNumber { .. } => 10,
            DigError::NoAcceptableServers
            | DigError::TlsVerification { .. }
            | DigError::BadPacket => 0,
            DigError::BatchFile { .. } => 8,
            DigError::NoReply | DigError::TcpRefused | DigError::Transfer(_) => 9,
            DigError::IllegalName { .. } | DigError::RootHints { .. } | DigError::Internal(_) => 10,
        }
    }
}

impl fmt::Display for DigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DigError::InvalidOption(option) => write!(f, "Invalid option: {option}"),
            DigError::Unsupported(option) => write!(f, "{option} is not supported by rdig"),
            DigError::TsigKey(problem) => write!(f, "{problem}"),
            DigError::KeySyntax => write!(f, "-y takes [hmac:]name:secret"),
            DigError::Transfer(problem) => write!(f, "transfer failed: {problem}"),
            DigError::BadHex => write!(f, "isc_hex_decodestring: bad hex encoding"),
            DigError::InvalidSubnet(text) => write!(f, "invalid prefix '{text}'"),
            DigError::InvalidSourceAddress(text) => write!(f, "invalid address {text}"),
            // dig's own words: a prefix of several options is just not an option to it.
            DigError::AmbiguousOption { given, .. } => write!(f, "Invalid option: {given}"),
            DigError::InvalidNumber { setting, .. } => {
                write!(f, "Couldn't parse {}", setting.name())
            }
            DigError::InvalidType(word) => write!(f, "Invalid type: {word}"),
            DigError::InvalidClass(word) => write!(f, "Invalid class: {word}"),
            DigError::IllegalName { name, reason } => {
                write!(f, "'{name}' is not a legal name ({reason})")
            }
            DigError::MissingArgument(flag) => write!(f, "Option {flag} needs an argument"),
            DigError::UnknownFlag(flag) => write!(f, "Invalid option: {flag}"),
            DigError::TooManyArguments => write!(f, "Too many arguments or lookups"),
            DigError::BatchFile { path, reason } => {
                write!(f, "couldn't open batch file '{path}': {reason}")
            }
            DigError::ServerLookup { server, reason } => {
                write!(f, "couldn't get address for '{server}': {reason}")
            }
            DigError::RootHints { path, reason } => {
                write!(f, "couldn't use root hints '{path}': {reason}")
            }
            DigError::NoReply | DigError::TcpRefused => write!(f, "no servers could be reached"),
            DigError::BadPacket => write!(f, "got a bad packet"),
            DigError::NoAcceptableServers => write!(f, "No acceptable nameservers"),
            DigError::TlsVerification { server, reason } => write!(
                f,
                "TLS peer certificate verification for {server} failed: {reason}"
            ),
            DigError::Internal(what) => write!(f, "internal error: {what}"),
        }
    }
}

impl std::error::Error for DigError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dig::query::NameSyntax;

    /// Each checked by hand against dig 9.18 (`dig ...; echo $?`).
    #[test]
    fn exit_codes_are_digs() {
        let unknown_server = DigError::ServerLookup {
            server: "no-such-host.invalid".into(),
            reason: "not found".into(),
        };
        assert_eq!(unknown_server.exit_code(), 1);
        assert_eq!(
            unknown_server.to_string(),
            "couldn't get address for 'no-such-host.invalid': not found"
        );
        let illegal = DigError::IllegalName {
            name: "a..b".into(),
            reason: NameSyntax::EmptyLabel,
        };
        assert_eq!(illegal.exit_code(), 10);
        assert!(illegal.ends_invocation());
        let port = NumberSetting::Port.parse("70000").unwrap_err();
        assert_eq!(port.exit_code(), 1);
        let timeout = NumberSetting::Timeout.parse("x").unwrap_err();
        assert_eq!(timeout.exit_code(), 10);
        assert_eq!(DigError::NoAcceptableServers.exit_code(), 0);
        assert_eq!(DigError::NoReply.exit_code(), 9);
    }
}
