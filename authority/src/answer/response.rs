//! Writes an `Answer` to wire bytes within a size limit, truncating by whole RRsets
//! (RFC 2181 §9) and setting TC when required data did not fit. Also the error responses.

use std::sync::Arc;

use hickory_proto::op::{
    emit_message_parts, Edns, Message, MessageType, OpCode, Query, ResponseCode,
};
use hickory_proto::serialize::binary::BinEncoder;

use crate::answer::lookup::Answer;
use crate::answer::request::{Header, Request};
use crate::limits::{MAX_TCP_PAYLOAD, MAX_UDP_PAYLOAD, MIN_UDP_PAYLOAD};
use crate::listen::Protocol;
use crate::zone::prepared::RecordSet;

/// The largest response we may send for this request (RFC 6891 §6.2.3–6.2.5, RFC 1035 §4.2.1).
pub fn size_limit(protocol: Protocol, edns: Option<&Edns>) -> usize {
    match (protocol, edns) {
        (Protocol::Tcp, _) => MAX_TCP_PAYLOAD,
        (Protocol::Udp, None) => usize::from(MIN_UDP_PAYLOAD),
        (Protocol::Udp, Some(edns)) => {
            usize::from(edns.max_payload().clamp(MIN_UDP_PAYLOAD, MAX_UDP_PAYLOAD))
        }
    }
}

/// Our OPT record: version 0, our own payload size. The DO bit is copied from the query
/// (RFC 3225 §3), although we hold no signatures to add.
pub fn server_edns(dnssec_ok: bool) -> Edns {
    let mut edns = Edns::new();
    edns.set_max_payload(MAX_UDP_PAYLOAD);
    edns.set_version(0);
    edns.set_dnssec_ok(dnssec_ok);
    edns
}

fn response_message(
    id: u16,
    op_code: OpCode,
    recursion_desired: bool,
    response_code: ResponseCode,
) -> Message {
    let mut message = Message::new(id, MessageType::Response, op_code);
    message.metadata.recursion_desired = recursion_desired;
    message.metadata.response_code = response_code;
    message
}

/// Encodes the answer to `request`, dropping whole RRsets from the end until it fits `limit`.
/// Additional data may go silently (RFC 2181 §9) except a referral's glue (RFC 9471 §3);
/// losing answer or authority data sets TC.
pub fn encode_answer(request: &Request, answer: &Answer, limit: usize) -> Option<Vec<u8>> {
    let mut message = response_message(
        request.id,
        OpCode::Query,
        request.recursion_desired,
        answer.response_code,
    );
    message.metadata.authoritative = answer.authoritative;
    message.metadata.checking_disabled = request.checking_disabled;
    message.queries.push(request.query.clone());
    if let Some(edns) = &request.edns {
        message.edns = Some(server_edns(edns.flags().dnssec_ok));
    }
    let full = encode_sets(
        &message,
        &answer.answers,
        &answer.authorities,
        &answer.additionals,
    )?;
    if full.len() <= limit {
        return Some(full);
    }
    // Drop RRsets: additional first, then authority, then answer (RFC 2181 §9).
    let mut answers = answer.answers.len();
    let mut authorities = answer.authorities.len();
    let mut additionals = answer.additionals.len();
    loop {
        if additionals > 0 {
            additionals -= 1;
            if answer.is_referral {
                message.metadata.truncation = true;
            }
        } else if authorities > 0 {
            authorities -= 1;
            if !answer.authority_is_optional {
                message.metadata.truncation = true;
            }
        } else if answers > 0 {
            answers -= 1;
            message.metadata.truncation = true;
        } else {
            // Only the question and OPT are left; a question longer than the limit cannot exist
            // (a name is at most 255 octets), so this encodes the bare truncated header.
            message.metadata.truncation = true;
            return encode_sets(&message, &[], &[], &[]);
        }
        let bytes = encode_sets(
            &message,
            answer.answers.get(..answers).unwrap_or_default(),
            answer.authorities.get(..authorities).unwrap_or_default(),
            answer.additionals.get(..additionals).unwrap_or_default(),
        )?;
        if bytes.len() <= limit {
            return Some(bytes);
        }
    }
}

/// `message`'s header, question and OPT with these sections, written straight from the zone's
/// shared RRsets: no record is copied into a `Message` first (copying them was a tenth of the
/// time per query).
fn encode_sets(
    message: &Message,
    answers: &[Arc<RecordSet>],
    authorities: &[Arc<RecordSet>],
    additionals: &[Arc<RecordSet>],
) -> Option<Vec<u8>> {
    let mut buffer = Vec::with_capacity(512);
    let mut encoder = BinEncoder::new(&mut buffer);
    emit_message_parts(
        &message.metadata,
        &mut message.queries.iter(),
        &mut answers.iter().flat_map(|set| set.records.iter()),
        &mut authorities.iter().flat_map(|set| set.records.iter()),
        &mut additionals.iter().flat_map(|set| set.records.iter()),
        message.edns.as_ref(),
        None,
        &mut encoder,
    )
    .ok()?;
    Some(buffer)
}

/// FORMERR, NOTIMP or BADVERS: header (and our OPT for BADVERS), no sections.
pub fn encode_error(
    header: Header,
    response_code: ResponseCode,
    query: Option<Query>,
) -> Option<Vec<u8>> {
    let mut message = response_message(
        header.id,
        OpCode::from_u8(header.op_code),
        header.recursion_desired,
        response_code,
    );
    if let Some(query) = query {
        message.queries.push(query);
    }
    if response_code == ResponseCode::BADVERS {
        message.edns = Some(server_edns(false));
    }
    message.to_vec().ok()
}
