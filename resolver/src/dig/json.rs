//! `+json`: one JSON object per message (header, flags, EDNS, all four sections, stats), one per line,
//! for scripts. Built with serde_json; never prints.

use serde_json::{json, Value};

use hickory_proto::op::Message;
use hickory_proto::rr::Record;

use crate::dig::exchange::{address_text, Reply};
use crate::dig::presentation::{class_text, name_text, rcode_text, rdata_text, type_text};
use crate::dig::report::{flag_names, nsid_bytes, section_counts};
use crate::dig::when::format_when;

fn record_value(record: &Record) -> Value {
    json!({
        "name": name_text(&record.name),
        "ttl": record.ttl,
        "class": class_text(record.dns_class),
        "type": type_text(record.record_type()),
        "rdata": rdata_text(&record.data),
    })
}

/// The message alone: header, flags, counts, EDNS and sections.
pub fn message_value(message: &Message) -> Value {
    let [queries, answers, authorities, additionals] = section_counts(message);
    let edns = message.edns.as_ref().map(|edns| {
        json!({
            "version": edns.version(),
            "udp": edns.max_payload(),
            "flags": if edns.flags().dnssec_ok { vec!["do"] } else { Vec::new() },
            "nsid": nsid_bytes(edns).map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
        })
    });
    json!({
        "id": message.metadata.id,
        "opcode": message.metadata.op_code.to_string(),
        "status": rcode_text(message.metadata.response_code),
        "flags": flag_names(message),
        "counts": {
            "query": queries,
            "answer": answers,
            "authority": authorities,
            "additional": additionals,
        },
        "edns": edns,
        "question": message.queries.iter().map(|query| json!({
            "name": name_text(query.name()),
            "class": class_text(query.query_class()),
            "type": type_text(query.query_type()),
        })).collect::<Vec<_>>(),
        "answer": message.answers.iter().map(record_value).collect::<Vec<_>>(),
        "authority": message.authorities.iter().map(record_value).collect::<Vec<_>>(),
        "additional": message.additionals.iter().map(record_value).collect::<Vec<_>>(),
    })
}

/// A received reply: the message plus server, protocol, timing and size.
pub fn reply_value(reply: &Reply) -> Value {
    let mut value = message_value(&reply.message);
    if let Value::Object(map) = &mut value {
        map.insert("server".into(), json!(address_text(reply.server)));
        map.insert("protocol".into(), json!(reply.transport_name));
        map.insert(
            "query_time_msec".into(),
            json!(reply.elapsed.as_millis() as u64),
        );
        map.insert("when".into(), json!(format_when(reply.received_at)));
        map.insert("size".into(), json!(reply.size));
    }
    value
}
