//! Writes an `Answer` to wire bytes within a size limit, truncating by whole RRsets
//! (RFC 2181 §9) and setting TC when required data did not fit. Also the error responses.

use std::sync::Arc;

use hickory_proto::op::{
    emit_message_parts, Edns, EmitAndCount, Message, MessageType, OpCode, ResponseCode,
};
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
use hickory_proto::serialize::binary::BinEncoder;
use hickory_proto::ProtoError;

use crate::answer::identity::ServerIdentity;
use crate::answer::lookup::Answer;
use crate::answer::request::{Echo, Request};
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

/// EDNS option code of an Extended DNS Error (RFC 8914 §2).
pub const EDE_OPTION_CODE: u16 = 15;
/// RFC 8914 §4.21: "Not Authoritative": a question for a name outside our zones (Knot, NSD).
pub const EDE_NOT_AUTHORITATIVE: u16 = 20;
/// RFC 8914 §4.22: "Not Supported": an opcode we do not implement.
pub const EDE_NOT_SUPPORTED: u16 = 21;
/// RFC 8914 §4.25: "Invalid Data": a zone we serve whose file failed to load (Knot: "Not loaded").
pub const EDE_INVALID_DATA: u16 = 24;

/// Our OPT record, for a query that carried `request` (RFC 6891 §6.1.1: only then): version 0,
/// our own payload size; the DO bit copied (RFC 3225 §3);
/// NSID when asked for and configured (RFC 5001 §2.1); an Extended DNS Error if there is one
/// (RFC 8914 §3, without EXTRA-TEXT, as Knot sends it).
pub fn server_edns(request: &Edns, identity: &ServerIdentity, extended_error: Option<u16>) -> Edns {
    let mut edns = Edns::new();
    edns.set_max_payload(MAX_UDP_PAYLOAD);
    edns.set_version(0);
    edns.set_dnssec_ok(request.flags().dnssec_ok);
    if let Some(nsid) = identity.nsid() {
        if request.option(EdnsCode::NSID).is_some() {
            edns.options_mut().insert(nsid.clone());
        }
    }
    if let Some(code) = extended_error {
        edns.options_mut().insert(EdnsOption::Unknown(
            EDE_OPTION_CODE,
            code.to_be_bytes().to_vec(),
        ));
    }
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
pub fn encode_answer(
    request: &Request,
    answer: &Answer,
    identity: &ServerIdentity,
    limit: usize,
) -> Option<Vec<u8>> {
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
        message.edns = Some(server_edns(edns, identity, answer.extended_error));
    }
    let signed = answer.dnssec_ok;
    let full = encode_sets(
        &message,
        &answer.answers,
        &answer.authorities,
        &answer.additionals,
        signed,
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
            return encode_sets(&message, &[], &[], &[], signed);
        }
        let bytes = encode_sets(
            &message,
            answer.answers.get(..answers).unwrap_or_default(),
            answer.authorities.get(..authorities).unwrap_or_default(),
            answer.additionals.get(..additionals).unwrap_or_default(),
            signed,
        )?;
        if bytes.len() <= limit {
            return Some(bytes);
        }
    }
}

/// `message`'s header, question and OPT with these sections, written straight from the zone's
/// shared RRsets: no record is copied into a `Message` first (copying them was a tenth of the
/// time per query). With `signed` (DO=1) each RRset's RRSIGs follow it (RFC 4035 §3.1.1), so a
/// set and its signatures are kept or dropped together.
fn encode_sets(
    message: &Message,
    answers: &[Arc<RecordSet>],
    authorities: &[Arc<RecordSet>],
    additionals: &[Arc<RecordSet>],
    signed: bool,
) -> Option<Vec<u8>> {
    let mut buffer = Vec::with_capacity(512);
    let mut encoder = BinEncoder::new(&mut buffer);
    let section = |sets| Section {
        sets,
        signed,
        truncated: false,
    };
    let (mut answers, mut authorities, mut additionals) =
        (section(answers), section(authorities), section(additionals));
    emit_message_parts(
        &message.metadata,
        &mut message.queries.iter(),
        &mut answers,
        &mut authorities,
        &mut additionals,
        message.edns.as_ref(),
        None,
        &mut encoder,
    )
    .ok()?;
    if answers.truncated || authorities.truncated || additionals.truncated {
        if let Some(flags) = buffer.get_mut(2) {
            *flags |= TRUNCATION_BIT;
        }
    }
    Some(buffer)
}

/// One section's RRsets, written from their wire bytes (`RecordSet::emit`). `truncated` is set
/// when a record did not fit the encoder's limit (hickory's `NotAllRecordsWritten`, which only
/// hickory can make): the caller then sets TC, as `emit_message_parts` would.
struct Section<'sets> {
    sets: &'sets [Arc<RecordSet>],
    signed: bool,
    truncated: bool,
}

impl EmitAndCount for Section<'_> {
    fn emit(&mut self, encoder: &mut BinEncoder<'_>) -> Result<usize, ProtoError> {
        let mut count = 0;
        for set in self.sets {
            if !set.emit(encoder, self.signed, &mut count)? {
                self.truncated = true;
                break;
            }
        }
        Ok(count)
    }
}

/// The TC bit in the second flags octet of a header (RFC 1035 §4.1.1).
const TRUNCATION_BIT: u8 = 0x02;

/// FORMERR, NOTIMP or BADVERS: the header, the question when there was exactly one (as Knot;
/// RFC 6891 §7's BADVERS goes back to a client that must match it to its query), and our OPT when
/// the query had one (RFC 6891 §6.1.1), with `extended_error` in it. No other sections.
pub fn encode_error(
    echo: &Echo,
    response_code: ResponseCode,
    identity: &ServerIdentity,
    extended_error: Option<u16>,
) -> Option<Vec<u8>> {
    let header = echo.header;
    let mut message = response_message(
        header.id,
        OpCode::from_u8(header.op_code),
        header.recursion_desired,
        response_code,
    );
    if let Some(query) = &echo.query {
        message.queries.push(query.clone());
    }
    if let Some(edns) = &echo.edns {
        message.edns = Some(server_edns(edns, identity, extended_error));
    }
    encode_sets(&message, &[], &[], &[], false)
}
