//! dig's text report of one message: header and flags lines, OPT pseudosection, the four sections,
//! and the stats lines. Pure string building; the caller decides where it goes.

use std::fmt::Write as _;

use hickory_proto::op::{Edns, Message};
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
use hickory_proto::rr::Record;

use crate::dig::exchange::{address_text, Reply};
use crate::dig::options::ShownParts;
use crate::dig::presentation::{
    question_line_in, rcode_text, rdata_text_in, record_line_in, NameStyle,
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
        message.additionals.len() + usize::from(message.edns.is_some()),
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
        let _ = writeln!(text, "{}", record_line_in(record, name_style(display)));
    }
    if display.comments {
        text.push('\n');
    }
}

/// Header, OPT pseudosection and sections of `message`, as dig prints a received (or sent) message.
pub fn message_text(message: &Message, display: &ShownParts) -> String {
    let mut text = String::new();
    let metadata = &message.metadata;
    if display.comments {
        let [queries, answers, authorities, additionals] = section_counts(message);
        let _ = writeln!(
            text,
            ";; ->>HEADER<<- opcode: {}, status: {}, id: {}",
            metadata.op_code,
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
        text.push('\n');
        if let Some(edns) = &message.edns {
            let do_flag = if edns.flags().dnssec_ok { " do" } else { "" };
            let _ = writeln!(text, ";; OPT PSEUDOSECTION:");
            let _ = writeln!(
                text,
                "; EDNS: version: {}, flags:{do_flag}; udp: {}",
                edns.version(),
                edns.max_payload()
            );
            if let Some(nsid) = nsid_bytes(edns) {
                // A request's NSID option is empty (RFC 5001 §2.1); dig prints the bare label.
                if nsid.is_empty() {
                    let _ = writeln!(text, "; NSID:");
                } else {
                    let _ = writeln!(text, "; NSID: {}", nsid_text(&nsid));
                }
            }
        }
    }
    if display.question && !message.queries.is_empty() {
        if display.comments {
            let _ = writeln!(text, ";; QUESTION SECTION:");
        }
        for query in &message.queries {
            let _ = writeln!(text, "{}", question_line_in(query, name_style(display)));
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

/// The stats block: query time, server, when, size.
pub fn stats_text(reply: &Reply, server_label: &str) -> String {
    format!(
        ";; Query time: {} msec\n;; SERVER: {}({server_label}) ({})\n;; WHEN: {}\n;; MSG SIZE  rcvd: {}\n\n",
        reply.elapsed.as_millis(),
        address_text(reply.server),
        protocol_text(reply.protocol),
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
    text.push_str(&message_text(&reply.message, display));
    if display.stats {
        text.push_str(&stats_text(reply, server_label));
    }
    text
}

/// `+short`: the answer's RDATA, one per line.
pub fn short_text(message: &Message, display: &ShownParts) -> String {
    let mut text = String::new();
    for record in &message.answers {
        let _ = writeln!(text, "{}", rdata_text_in(&record.data, name_style(display)));
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
