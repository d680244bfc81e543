//! `+yaml`: each message sent (`+qr`) or received as dig 9.18 prints it (BIND `dig.c`, the YAML
//! branch of `printmessage`): a `- type: MESSAGE` item with times, addresses and the message data.
//! Builds text; never prints.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::SystemTime;

use hickory_proto::op::{Message, MessageType};
use hickory_proto::rr::Record;

use crate::dig::options::ShownParts;
use crate::dig::presentation::{class_text, name_text_in, rdata_text_in, tsig_line, type_text};
use crate::dig::presentation::{rcode_text, RecordStyle};
use crate::dig::report::{
    flag_names, name_style, opcode_text, option_line, option_wire, section_counts, CookieCheck,
};
use crate::dig::when::format_yaml_time;

/// Where and when one message went: what dig's YAML header lines say.
#[derive(Clone, Copy, Debug)]
pub struct Exchange {
    pub server: SocketAddr,
    /// `UDP` or `TCP` (dig writes TCP for TLS and HTTPS too: `tcp_mode`).
    pub tcp: bool,
    pub sent_at: SystemTime,
    /// `None` for the query itself.
    pub received_at: Option<SystemTime>,
    pub size: usize,
    /// A reply read in part (`+besteffort`): the header's section counts.
    pub header_counts: Option<[usize; 4]>,
}

/// BIND `dig.c` `message_type[]`, indexed by query (1) and recursive (2) bits.
fn message_kind(message: &Message) -> &'static str {
    let metadata = &message.metadata;
    let query = metadata.message_type == MessageType::Query;
    let recursive = if query {
        metadata.recursion_desired
    } else {
        metadata.recursion_desired && metadata.recursion_available
    };
    match (query, recursive) {
        (false, false) => "AUTH_RESPONSE",
        (true, false) => "AUTH_QUERY",
        (false, true) => "RECURSIVE_RESPONSE",
        (true, true) => "RECURSIVE_QUERY",
    }
}

/// A record as one YAML list item: fields single-spaced, in single quotes (BIND's YAML style
/// ignores `+multiline`, `+nottlid` and `+noclass`).
fn record_item(record: &Record, display: &ShownParts) -> String {
    let names = name_style(display);
    format!(
        "'{} {} {} {} {}'",
        name_text_in(&record.name, names),
        record.ttl,
        class_text(record.dns_class),
        type_text(record.record_type()),
        rdata_text_in(&record.data, names)
    )
}

fn push_section(text: &mut String, title: &str, records: &[Record], display: &ShownParts) {
    if records.is_empty() {
        return;
    }
    let _ = writeln!(text, "      {title}_SECTION:");
    for record in records {
        let _ = writeln!(text, "        - {}", record_item(record, display));
    }
}

/// The OPT pseudosection's options as YAML members: dig's text line without its `; `, except
/// EDE, which BIND splits into INFO-CODE and EXTRA-TEXT.
fn option_lines(text: &mut String, code: u16, bytes: &[u8], cookie: CookieCheck) {
    const EXTENDED_ERROR: u16 = 15;
    let line = option_line(code, bytes, cookie);
    let line = line.strip_prefix("; ").unwrap_or(&line);
    if code == EXTENDED_ERROR && bytes.len() >= 2 {
        let info = line
            .strip_prefix("EDE: ")
            .map(|rest| rest.split(": ").next().unwrap_or(rest))
            .unwrap_or("");
        let _ = writeln!(text, "          EDE:\n            INFO-CODE: {info}");
        match bytes.get(2..).filter(|extra| !extra.is_empty()) {
            Some(extra) => {
                let extra = String::from_utf8_lossy(extra);
                let quoted = serde_json::to_string(&extra).unwrap_or_default();
                let _ = writeln!(text, "            EXTRA-TEXT: {quoted}");
            }
            // BIND ends an EDE without text with an empty line.
            None => text.push('\n'),
        }
        return;
    }
    let _ = writeln!(text, "          {line}");
}

/// One message as dig's `+yaml` item; `short` replaces the sections with `+short`'s lines, which
/// the caller appends.
pub fn message_yaml(
    message: &Message,
    exchange: &Exchange,
    display: &ShownParts,
    cookie: CookieCheck,
) -> String {
    let mut text = String::from("- type: MESSAGE\n  message:\n");
    let query = message.metadata.message_type == MessageType::Query;
    let _ = writeln!(text, "    type: {}", message_kind(message));
    let _ = writeln!(
        text,
        "    query_time: !!timestamp {}",
        format_yaml_time(exchange.sent_at)
    );
    if let Some(received_at) = exchange.received_at {
        let _ = writeln!(
            text,
            "    response_time: !!timestamp {}",
            format_yaml_time(received_at)
        );
    }
    let _ = writeln!(text, "    message_size: {}b", exchange.size);
    let (family, any) = if exchange.server.is_ipv4() {
        ("INET", "0.0.0.0")
    } else {
        ("INET6", "::0")
    };
    let _ = writeln!(text, "    socket_family: {family}");
    let protocol = if exchange.tcp { "TCP" } else { "UDP" };
    let _ = writeln!(text, "    socket_protocol: {protocol}");
    let _ = writeln!(text, "    response_address: \"{}\"", exchange.server.ip());
    let _ = writeln!(text, "    response_port: {}", exchange.server.port());
    // dig reports the unbound local socket: any address, port 0.
    let _ = writeln!(text, "    query_address: \"{any}\"\n    query_port: 0");
    let data = if query {
        "query_message_data"
    } else {
        "response_message_data"
    };
    let _ = writeln!(text, "    {data}:");
    let metadata = &message.metadata;
    let [questions, answers, authorities, additionals] = exchange
        .header_counts
        .unwrap_or_else(|| section_counts(message));
    let flags: String = flag_names(message)
        .iter()
        .map(|flag| format!(" {flag}"))
        .collect();
    let _ = write!(
        text,
        "      opcode: {}\n      status: {}\n      id: {}\n      flags:{flags}\n      QUESTION: {questions}\n      ANSWER: {answers}\n      AUTHORITY: {authorities}\n      ADDITIONAL: {additionals}\n",
        opcode_text(metadata.op_code),
        rcode_text(metadata.response_code),
        metadata.id
    );
    if display.short {
        return text;
    }
    if display.comments {
        if let Some(edns) = &message.edns {
            let do_flag = if edns.flags().dnssec_ok { " do" } else { "" };
            let _ = write!(
                text,
                "      OPT_PSEUDOSECTION:\n        EDNS:\n          version: {}\n          flags:{do_flag}\n          udp: {}\n",
                edns.version(),
                edns.max_payload()
            );
            for (_, option) in &edns.options().options {
                let (code, bytes) = option_wire(option);
                option_lines(&mut text, code, &bytes, cookie);
            }
        }
    }
    if display.question && !message.queries.is_empty() {
        text.push_str("      QUESTION_SECTION:\n");
        for question in &message.queries {
            let _ = writeln!(
                text,
                "        - '{} {} {}'",
                name_text_in(question.name(), name_style(display)),
                class_text(question.query_class()),
                type_text(question.query_type())
            );
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
        if let Some(signature) = &message.signature {
            let line = tsig_line(signature, &RecordStyle::default()).replace('\t', " ");
            let mut joined = line
                .split(' ')
                .filter(|word| !word.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            // The TSIG line ends in the empty Other Data field, after a space.
            if line.ends_with(' ') {
                joined.push(' ');
            }
            let _ = writeln!(text, "      TSIG_PSEUDOSECTION:\n      - '{joined}'\n");
        }
    }
    text
}

/// dig's YAML item for a lookup that got no reply.
pub fn error_yaml(message: &str) -> String {
    format!("- type: DIG_ERROR\n  message: |\n    {message}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Query;
    use hickory_proto::rr::rdata::A;
    use hickory_proto::rr::{Name, RData, RecordType};

    #[test]
    fn a_reply_prints_as_dig_yaml() {
        let name = Name::from_ascii("www.example.test.").unwrap();
        let mut message = Message::query();
        message.metadata.message_type = MessageType::Response;
        message.metadata.authoritative = true;
        message.metadata.id = 9;
        message.add_query(Query::query(name.clone(), RecordType::A));
        message.add_answer(Record::from_rdata(name, 60, RData::A(A::new(192, 0, 2, 1))));
        let exchange = Exchange {
            server: "192.0.2.53:53".parse().unwrap(),
            tcp: false,
            sent_at: std::time::UNIX_EPOCH,
            received_at: Some(std::time::UNIX_EPOCH),
            size: 50,
            header_counts: None,
        };
        let text = message_yaml(
            &message,
            &exchange,
            &ShownParts::default(),
            CookieCheck::NotChecked,
        );
        assert!(text.starts_with("- type: MESSAGE\n  message:\n    type: AUTH_RESPONSE\n    query_time: !!timestamp 1970-01-01T00:00:00.000Z\n"), "{text}");
        assert!(text.contains("      flags: qr aa\n"), "{text}");
        assert!(
            text.ends_with(
                "      ANSWER_SECTION:\n        - 'www.example.test. 60 IN A 192.0.2.1'\n"
            ),
            "{text}"
        );
        assert_eq!(
            error_yaml("no servers could be reached"),
            "- type: DIG_ERROR\n  message: |\n    no servers could be reached\n"
        );
    }
}
