//! dig's text report of one message: header and flags lines, OPT pseudosection, the four sections,
//! and the stats lines. Pure string building; the caller decides where it goes.

use std::fmt::Write as _;

use hickory_proto::op::{Edns, Message, OpCode};
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
use hickory_proto::rr::Record;

use crate::dig::exchange::{address_text, reply_cookie, Reply};
use crate::dig::options::ShownParts;
use crate::dig::presentation::{
    duration_text, question_line_styled, rcode_text, rdata_text_styled, record_line_styled,
    tsig_line, NameStyle, RecordStyle,
};
use crate::dig::when::format_when;
use crate::upstream::transport::Protocol;

/// The header flags that are set, in dig's order.
pub fn flag_names(message: &Message) -> Vec<&'static str> {
    let metadata = &message.metadata;
    let flags = [
        (
            metadata.message_type == hickory_proto::op::MessageType::Response,
            "qr",
        ),
        (metadata.authoritative, "aa"),
        (metadata.truncation, "tc"),
        (metadata.recursion_desired, "rd"),
        (metadata.recursion_available, "ra"),
        (metadata.authentic_data, "ad"),
        (metadata.checking_disabled, "cd"),
    ];
    flags
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, name)| *name)
        .collect()
}

/// Section counts as on the wire: the OPT record counts in ADDITIONAL (RFC 6891 §6.1.1).
pub fn section_counts(message: &Message) -> [usize; 4] {
    [
        message.queries.len(),
        message.answers.len(),
        message.authorities.len(),
        message.additionals.len()
            + usize::from(message.edns.is_some())
            + usize::from(message.signature.is_some()),
    ]
}

/// The NSID option's bytes, if the server sent one (RFC 5001 §2.3).
pub fn nsid_bytes(edns: &Edns) -> Option<Vec<u8>> {
    match edns.option(EdnsCode::NSID) {
        Some(EdnsOption::NSID(payload)) => Some(payload.as_ref().to_vec()),
        Some(EdnsOption::Unknown(_, bytes)) => Some(bytes.clone()),
        _ => None,
    }
}

/// dig's NSID line: hex bytes then the printable form, e.g. `6e 73 31 ("ns1")`.
fn nsid_text(bytes: &[u8]) -> String {
    let hex: Vec<String> = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let printable: String = bytes
        .iter()
        .map(|&byte| {
            if (0x20..0x7f).contains(&byte) {
                char::from(byte)
            } else {
                '.'
            }
        })
        .collect();
    format!("{} (\"{printable}\")", hex.join(" "))
}

/// BIND's Extended DNS Error names (RFC 8914 §4, `message.c` edetext), by INFO-CODE.
const EDE_NAMES: [&str; 25] = [
    "Other",
    "Unsupported DNSKEY Algorithm",
    "Unsupported DS Digest Type",
    "Stale Answer",
    "Forged Answer",
    "DNSSEC Indeterminate",
    "DNSSEC Bogus",
    "Signature Expired",
    "Signature Not Yet Valid",
    "DNSKEY Missing",
    "RRSIGs Missing",
    "No Zone Key Bit Set",
    "NSEC Missing",
    "Cached Error",
    "Not Ready",
    "Blocked",
    "Censored",
    "Filtered",
    "Prohibited",
    "Stale NXDOMAIN Answer",
    "Not Authoritative",
    "Not Supported",
    "No Reachable Authority",
    "Network Error",
    "Invalid Data",
];

/// EDNS option codes dig names (RFC 6891 §6.1.2 registry).
const NSID: u16 = 3;
const CLIENT_SUBNET: u16 = 8;
const EXPIRE: u16 = 9;
const COOKIE: u16 = 10;
const KEEPALIVE: u16 = 11;
const PADDING: u16 = 12;
const EXTENDED_ERROR: u16 = 15;

/// An option's code and bytes as on the wire.
pub fn option_wire(option: &EdnsOption) -> (u16, Vec<u8>) {
    match option {
        EdnsOption::NSID(payload) => (NSID, payload.as_ref().to_vec()),
        EdnsOption::Unknown(code, bytes) => (*code, bytes.clone()),
        EdnsOption::Subnet(subnet) => {
            let address = match subnet.addr() {
                std::net::IpAddr::V4(v4) => (1u16, v4.octets().to_vec()),
                std::net::IpAddr::V6(v6) => (2u16, v6.octets().to_vec()),
            };
            let kept = usize::from(subnet.source_prefix()).div_ceil(8);
            let mut bytes = address.0.to_be_bytes().to_vec();
            bytes.push(subnet.source_prefix());
            bytes.push(subnet.scope_prefix());
            bytes.extend(address.1.iter().take(kept));
            (CLIENT_SUBNET, bytes)
        }
        other => {
            let code: EdnsCode = other.into();
            let bytes = Vec::new();
            (u16::from(code), bytes)
        }
    }
}

/// The printable form of option bytes, `.` for the rest (BIND `message.c`).
fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&byte| {
            if (0x20..0x7f).contains(&byte) {
                char::from(byte)
            } else {
                '.'
            }
        })
        .collect()
}

/// `; CLIENT-SUBNET: 192.0.2.0/24/0` (RFC 7871 §6).
fn client_subnet_text(bytes: &[u8]) -> Option<String> {
    let family = u16::from_be_bytes([*bytes.first()?, *bytes.get(1)?]);
    let source = *bytes.get(2)?;
    let scope = *bytes.get(3)?;
    let address = bytes.get(4..)?;
    let text = match family {
        1 if address.len() <= 4 => {
            let mut octets = [0u8; 4];
            octets[..address.len()].copy_from_slice(address);
            std::net::Ipv4Addr::from(octets).to_string()
        }
        2 if address.len() <= 16 => {
            let mut octets = [0u8; 16];
            octets[..address.len()].copy_from_slice(address);
            std::net::Ipv6Addr::from(octets).to_string()
        }
        _ => return None,
    };
    Some(format!("{text}/{source}/{scope}"))
}

/// Whether a reply's cookie starts with the client cookie that was sent (RFC 7873 §5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CookieCheck {
    NotChecked,
    Good,
    Bad,
}

/// One OPT option as dig 9.18 prints it in the pseudosection (BIND `message.c`,
/// `dns_message_pseudosectiontotext`).
pub fn option_line(code: u16, bytes: &[u8], cookie: CookieCheck) -> String {
    let hex_spaced = |bytes: &[u8]| {
        bytes
            .iter()
            .map(|byte| format!("{byte:02x} "))
            .collect::<String>()
    };
    match code {
        NSID if bytes.is_empty() => "; NSID:".to_string(),
        NSID => format!("; NSID: {}", nsid_text(bytes)),
        COOKIE => {
            let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
            let verdict = match cookie {
                CookieCheck::Good => " (good)",
                CookieCheck::Bad => " (bad)",
                CookieCheck::NotChecked => "",
            };
            format!("; COOKIE: {hex}{verdict}")
        }
        EXPIRE if bytes.len() == 4 => {
            let seconds = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            format!("; EXPIRE: {seconds} ({})", duration_text(seconds, true))
        }
        EXPIRE if bytes.is_empty() => "; EXPIRE:".to_string(),
        CLIENT_SUBNET => match client_subnet_text(bytes) {
            Some(text) => format!("; CLIENT-SUBNET: {text}"),
            None => format!(
                "; CLIENT-SUBNET: {}(\"{}\")",
                hex_spaced(bytes),
                printable(bytes)
            ),
        },
        PADDING => "; PAD:".to_string(),
        KEEPALIVE if bytes.len() == 2 => {
            let tenths = u16::from_be_bytes([bytes[0], bytes[1]]);
            format!("; TCP KEEPALIVE: {}.{} secs", tenths / 10, tenths % 10)
        }
        EXTENDED_ERROR if bytes.len() >= 2 => {
            let info = u16::from_be_bytes([bytes[0], bytes[1]]);
            let mut line = format!("; EDE: {info}");
            if let Some(name) = EDE_NAMES.get(usize::from(info)) {
                line.push_str(&format!(" ({name})"));
            }
            let text = &bytes[2..];
            if !text.is_empty() {
                // RFC 8914 §2: EXTRA-TEXT is UTF-8; BIND prints it as is when valid.
                match std::str::from_utf8(text) {
                    Ok(extra) => line.push_str(&format!(": ({extra})")),
                    Err(_) => {
                        line.push_str(&format!(": {}(\"{}\")", hex_spaced(text), printable(text)))
                    }
                }
            }
            line
        }
        _ => {
            let name = match code {
                EXTENDED_ERROR => "EDE".to_string(),
                EXPIRE => "EXPIRE".to_string(),
                KEEPALIVE => "TCP KEEPALIVE".to_string(),
                other => format!("OPT={other}"),
            };
            if bytes.is_empty() {
                format!("; {name}:")
            } else {
                format!("; {name}: {}(\"{}\")", hex_spaced(bytes), printable(bytes))
            }
        }
    }
}

/// BIND's opcode names (`dns_opcode_totext`).
pub fn opcode_text(opcode: OpCode) -> String {
    match u8::from(opcode) {
        0 => "QUERY".to_string(),
        1 => "IQUERY".to_string(),
        2 => "STATUS".to_string(),
        4 => "NOTIFY".to_string(),
        5 => "UPDATE".to_string(),
        other => format!("RESERVED{other}"),
    }
}

/// The record layout `display` asks for.
pub fn record_style(display: &ShownParts) -> RecordStyle {
    RecordStyle {
        names: name_style(display),
        multiline: display.multiline,
        show_ttl: display.ttl,
        show_class: display.class,
        ttl_units: display.ttl_units,
        rr_comments: display.rr_comments.unwrap_or(display.multiline),
        split: match display.split {
            None => Some(crate::dig::presentation::SPLIT_WORD_CHARACTERS),
            Some(0) => None,
            Some(width) => Some(width),
        },
    }
}

/// How `display` wants names shown (`+idnout`).
pub fn name_style(display: &ShownParts) -> NameStyle {
    if display.idn_out == Some(true) {
        NameStyle::Unicode
    } else {
        NameStyle::Ascii
    }
}

fn push_section(text: &mut String, title: &str, records: &[Record], display: &ShownParts) {
    if records.is_empty() {
        return;
    }
    if display.comments {
        let _ = writeln!(text, ";; {title} SECTION:");
    }
    for record in records {
        let _ = writeln!(
            text,
            "{}",
            record_line_styled(record, &record_style(display))
        );
    }
    if display.comments {
        text.push('\n');
    }
}

/// Header, OPT pseudosection and sections of `message`, as dig prints a received (or sent) message.
pub fn message_text(message: &Message, display: &ShownParts) -> String {
    message_text_checked(message, display, &ReplyContext::default())
}

/// What a reply is printed against: the query that asked for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyContext {
    pub cookie: CookieCheck,
    /// The query carried an OPT record, and its DO bit.
    pub edns_sent: bool,
    pub dnssec_sent: bool,
    /// A reply read in part: the header's counts and dig's extra-bytes warning.
    pub malformed: Option<crate::dig::exchange::Malformed>,
}

impl Default for ReplyContext {
    fn default() -> Self {
        ReplyContext {
            cookie: CookieCheck::NotChecked,
            edns_sent: false,
            dnssec_sent: false,
            malformed: None,
        }
    }
}

/// `message_text` for a reply, with what dig says about it given the query (`context`).
pub fn message_text_checked(
    message: &Message,
    display: &ShownParts,
    context: &ReplyContext,
) -> String {
    let cookie = context.cookie;
    let mut text = String::new();
    let metadata = &message.metadata;
    if display.comments {
        let [queries, answers, authorities, additionals] = context
            .malformed
            .map_or_else(|| section_counts(message), |malformed| malformed.counts);
        let _ = writeln!(
            text,
            ";; ->>HEADER<<- opcode: {}, status: {}, id: {}",
            opcode_text(metadata.op_code),
            rcode_text(metadata.response_code),
            metadata.id
        );
        let _ = writeln!(
            text,
            ";; flags:{}; QUERY: {queries}, ANSWER: {answers}, AUTHORITY: {authorities}, ADDITIONAL: {additionals}",
            // BIND writes a space before each flag, so no flags is `flags:;`.
            flag_names(message)
                .iter()
                .map(|flag| format!(" {flag}"))
                .collect::<String>()
        );
        if metadata.message_type == hickory_proto::op::MessageType::Response
            && metadata.recursion_desired
            && !metadata.recursion_available
        {
            let _ = writeln!(text, ";; WARNING: recursion requested but not available");
        }
        if let Some(malformed) = context
            .malformed
            .filter(|malformed| malformed.extra_bytes > 0)
        {
            let _ = writeln!(
                text,
                ";; WARNING: Message has {} extra bytes at end",
                malformed.extra_bytes
            );
        }
        text.push('\n');
        // RFC 6891 §7: a server that does not know EDNS may answer FORMERR or NOTIMP without OPT.
        let code = u16::from(metadata.response_code);
        if context.edns_sent && message.edns.is_none() && (code == 1 || code == 4) {
            let dnssec = if context.dnssec_sent {
                "+nodnssec "
            } else {
                ""
            };
            let _ = writeln!(
                text,
                ";; WARNING: EDNS query returned status {} - retry with '{dnssec}+noedns'\n",
                rcode_text(metadata.response_code)
            );
        }
        if let Some(edns) = &message.edns {
            let do_flag = if edns.flags().dnssec_ok { " do" } else { "" };
            let _ = writeln!(text, ";; OPT PSEUDOSECTION:");
            let _ = writeln!(
                text,
                "; EDNS: version: {}, flags:{do_flag}; udp: {}",
                edns.version(),
                edns.max_payload()
            );
            for (_, option) in &edns.options().options {
                let (code, bytes) = option_wire(option);
                let _ = writeln!(text, "{}", option_line(code, &bytes, cookie));
            }
        }
    }
    // dig heads the question section of a message it sends even when `+header-only` left it empty.
    let sent = metadata.message_type == hickory_proto::op::MessageType::Query;
    if display.question && (!message.queries.is_empty() || sent) {
        if display.comments {
            let _ = writeln!(text, ";; QUESTION SECTION:");
        }
        for query in &message.queries {
            let _ = writeln!(
                text,
                "{}",
                question_line_styled(query, &record_style(display))
            );
        }
        if display.comments {
            text.push('\n');
        }
    }
    if display.answer {
        push_section(&mut text, "ANSWER", &message.answers, display);
    }
    if display.authority {
        push_section(&mut text, "AUTHORITY", &message.authorities, display);
    }
    if display.additional {
        push_section(&mut text, "ADDITIONAL", &message.additionals, display);
        // RFC 8945 §4.2: the TSIG closes the message; dig shows it as a pseudosection.
        if let Some(signature) = &message.signature {
            if display.comments {
                text.push_str(";; TSIG PSEUDOSECTION:\n");
            }
            let _ = writeln!(text, "{}", tsig_line(signature, &record_style(display)));
            if display.comments {
                text.push('\n');
            }
        }
    }
    text
}

/// `UDP` / `TCP` as dig's SERVER line writes them.
pub fn protocol_text(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Udp => "UDP",
        Protocol::Tcp => "TCP",
    }
}

/// `;; Query time:` as dig prints it: milliseconds, or microseconds with `-u`.
fn query_time_text(reply: &Reply, display: &ShownParts) -> String {
    if display.microseconds {
        format!("{} usec", reply.elapsed.as_micros())
    } else {
        format!("{} msec", reply.elapsed.as_millis())
    }
}

/// The stats block: query time, server, when, size.
pub fn stats_text(reply: &Reply, server_label: &str, display: &ShownParts) -> String {
    // BIND `dig.c` (received): a TSIG that did not verify is noted after the size.
    let warning = if reply.tsig_failure.is_some() {
        ";; WARNING -- Some TSIG could not be validated\n"
    } else if display.tsig_key_unused {
        ";; WARNING -- TSIG key was not used.\n"
    } else {
        ""
    };
    format!(
        ";; Query time: {}\n;; SERVER: {}({server_label}) ({})\n;; WHEN: {}\n;; MSG SIZE  rcvd: {}\n{warning}\n",
        query_time_text(reply, display),
        address_text(reply.server),
        reply.transport_name,
        format_when(reply.received_at),
        reply.size
    )
}

/// The full report of one reply, as dig prints it after the command block.
pub fn reply_text(reply: &Reply, server_label: &str, display: &ShownParts) -> String {
    let mut text = String::new();
    if display.comments {
        text.push_str(";; Got answer:\n");
    }
    let context = ReplyContext {
        cookie: cookie_check(reply),
        edns_sent: reply.edns_sent,
        dnssec_sent: reply.dnssec_sent,
        malformed: reply.malformed,
    };
    text.push_str(&message_text_checked(&reply.message, display, &context));
    if display.stats {
        text.push_str(&stats_text(reply, server_label, display));
    }
    text
}

/// Whether the reply's cookie answers the one sent (RFC 7873 §5.3).
pub fn cookie_check(reply: &Reply) -> CookieCheck {
    let (Some(sent), Some(returned)) = (&reply.client_cookie, reply_cookie(&reply.message)) else {
        return CookieCheck::NotChecked;
    };
    if returned.starts_with(sent) {
        CookieCheck::Good
    } else {
        CookieCheck::Bad
    }
}

/// `+short`: the answer's RDATA, one per line; with `+identify`, each followed by the server and
/// the query time as dig writes them.
pub fn short_text(reply: &Reply, display: &ShownParts) -> String {
    let mut text = String::new();
    let suffix = if display.identify {
        let time = if display.microseconds {
            format!("{} us", reply.elapsed.as_micros())
        } else {
            format!("{} ms", reply.elapsed.as_millis())
        };
        format!(" from server {} in {time}.", reply.server.ip())
    } else {
        String::new()
    };
    for record in &reply.message.answers {
        let _ = writeln!(
            text,
            "{}{suffix}",
            rdata_text_styled(&record.data, &record_style(display))
        );
    }
    text
}

/// dig's opening block: the command echo, server count, and (first lookup only) global options.
/// Batch lines get a banner of their own (`first` false).
pub fn command_text(command_line: &str, servers_found: Option<usize>, first: bool) -> String {
    // Only the first banner opens with an empty line; later ones follow the stats' blank line.
    let opening = if first { "\n" } else { "" };
    let mut text = format!(
        "{opening}; <<>> rdig {} <<>> {command_line}\n",
        env!("CARGO_PKG_VERSION")
    );
    if let Some(count) = servers_found {
        let plural = if count == 1 { "" } else { "s" };
        let _ = writeln!(text, "; ({count} server{plural} found)");
    }
    if first {
        text.push_str(";; global options: +cmd\n");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dig::options::QueryOptions;
    use crate::dig::query::{build_query, query_name};
    use hickory_proto::rr::{DNSClass, RecordType};

    #[test]
    fn empty_nsid_of_a_sent_query_prints_the_bare_label_like_dig() {
        let options = QueryOptions {
            nsid: true,
            ..QueryOptions::default()
        };
        let name = query_name("www.example.test").unwrap();
        let query = build_query(name, RecordType::A, DNSClass::IN, &options).unwrap();
        let text = message_text(&query, &options.display);
        assert!(text.contains("\n; NSID:\n"), "{text}");
    }
}
