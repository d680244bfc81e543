//! Runs the real `dig` (bind9-dnsutils) against a server and parses its status and sections.
//! Used to check our servers against a client we did not write.

use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

/// One record line of dig's output, fields as dig prints them (rdata joined by single spaces).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DigRecord {
    pub name: String,
    pub ttl: u32,
    pub class: String,
    pub record_type: String,
    pub data: String,
}

/// dig's view of one reply.
#[derive(Clone, Debug, Default)]
pub struct DigAnswer {
    /// The header's status mnemonic: NOERROR, NXDOMAIN, REFUSED...
    pub status: String,
    /// The header flags: "qr", "aa", "rd", "tc"...
    pub flags: Vec<String>,
    pub answers: Vec<DigRecord>,
    pub authorities: Vec<DigRecord>,
    pub additionals: Vec<DigRecord>,
    /// Extended DNS Error codes (RFC 8914) from the OPT pseudosection, `; EDE: 7 (...)` lines.
    pub extended_errors: Vec<u16>,
    /// The whole output, for failure messages.
    pub output: String,
}

#[derive(Debug)]
pub struct DigError {
    pub arguments: Vec<String>,
    pub reason: String,
}

impl fmt::Display for DigError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "dig {}: {}",
            self.arguments.join(" "),
            self.reason
        )
    }
}

impl std::error::Error for DigError {}

/// `dig @SERVER -p PORT NAME TYPE` plus `extra` arguments (e.g. `+tcp`, `+norec`), with one try and
/// a 2-second timeout so a dead server fails fast.
///
/// ```no_run
/// let Some(dig) = e2e::require_tool("dig") else { return };
/// let answer = e2e::dig(&dig, "127.32.0.1:5300".parse().unwrap(), "www.example.test.", "A", &[]).unwrap();
/// assert_eq!(answer.status, "NOERROR");
/// ```
pub fn dig(
    dig: &Path,
    server: SocketAddr,
    name: &str,
    record_type: &str,
    extra: &[&str],
) -> Result<DigAnswer, DigError> {
    let mut arguments = vec![
        format!("@{}", server.ip()),
        "-p".to_string(),
        server.port().to_string(),
        name.to_string(),
        record_type.to_string(),
        "+tries=1".to_string(),
        "+time=2".to_string(),
        "+nocookie".to_string(),
    ];
    arguments.extend(extra.iter().map(|argument| argument.to_string()));
    let failure = |reason: String| DigError {
        arguments: arguments.clone(),
        reason,
    };
    let output = Command::new(dig)
        .args(&arguments)
        .output()
        .map_err(|error| failure(error.to_string()))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(failure(format!("exit status {}: {text}", output.status)));
    }
    parse_dig_output(&text).ok_or_else(|| failure(format!("unexpected output:\n{text}")))
}

/// Parses dig's default output; `None` when it has no header line (no reply).
pub fn parse_dig_output(text: &str) -> Option<DigAnswer> {
    let mut answer = DigAnswer {
        output: text.to_string(),
        ..DigAnswer::default()
    };
    let mut section = "";
    let mut saw_header = false;
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix(";; ->>HEADER<<-") {
            answer.status = rest
                .split(',')
                .find_map(|part| part.trim().strip_prefix("status: "))?
                .trim()
                .to_string();
            saw_header = true;
        } else if let Some(rest) = line.strip_prefix(";; flags:") {
            let flags = rest.split(';').next().unwrap_or_default();
            answer.flags = flags.split_whitespace().map(str::to_string).collect();
        } else if let Some(rest) = line.strip_prefix("; EDE:") {
            let code = rest
                .split_whitespace()
                .next()
                .and_then(|code| code.parse::<u16>().ok());
            answer.extended_errors.extend(code);
        } else if line.starts_with(";; ANSWER SECTION") {
            section = "answer";
        } else if line.starts_with(";; AUTHORITY SECTION") {
            section = "authority";
        } else if line.starts_with(";; ADDITIONAL SECTION") {
            section = "additional";
        } else if line.is_empty() || line.starts_with(';') {
            if line.is_empty() {
                section = "";
            }
        } else if let Some(record) = parse_record(line) {
            match section {
                "answer" => answer.answers.push(record),
                "authority" => answer.authorities.push(record),
                "additional" => answer.additionals.push(record),
                _ => {}
            }
        }
    }
    saw_header.then_some(answer)
}

fn parse_record(line: &str) -> Option<DigRecord> {
    let mut fields = line.split_whitespace();
    let name = fields.next()?.to_string();
    let ttl = fields.next()?.parse().ok()?;
    let class = fields.next()?.to_string();
    let record_type = fields.next()?.to_string();
    let data = fields.collect::<Vec<_>>().join(" ");
    Some(DigRecord {
        name,
        ttl,
        class,
        record_type,
        data,
    })
}
