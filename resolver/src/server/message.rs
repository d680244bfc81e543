//! Client-side wire handling: parse a client's query (or say how to refuse it) and encode a
//! response within the client's size limit (RFC 1035 §4.1, RFC 6891). It never resolves anything.

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Record, RecordType};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

use crate::server::limits::{
    HEADER_BYTES, MAX_NAME_BYTES, MAX_TCP_PAYLOAD, MAX_UDP_PAYLOAD, MIN_QUESTION_BYTES,
    MIN_RECORD_BYTES, MIN_UDP_PAYLOAD,
};
use authority::listen::Protocol;

/// A query we will answer: the decoded message and its one question.
#[derive(Clone, Debug)]
pub struct ClientRequest {
    pub message: Message,
    pub query: Query,
}

/// The header fields an error response echoes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestHeader {
    pub id: u16,
    pub op_code: u8,
    pub recursion_desired: bool,
    pub checking_disabled: bool,
}

impl RequestHeader {
    /// The header of a parsed query (opcode QUERY).
    pub fn of(message: &Message) -> RequestHeader {
        RequestHeader {
            id: message.metadata.id,
            op_code: 0,
            recursion_desired: message.metadata.recursion_desired,
            checking_disabled: message.metadata.checking_disabled,
        }
    }
}

/// Why a packet is not a query we answer, and what to send back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// No readable header, or a response: send nothing (answering responses invites loops).
    Drop,
    /// Malformed, or QDCOUNT ≠ 1 (RFC 9619): FORMERR.
    FormatError(RequestHeader),
    /// Opcode other than QUERY: NOTIMP (RFC 1035 §4.1.1).
    NotImplemented(RequestHeader),
    /// EDNS version above 0: BADVERS (RFC 6891 §6.1.3).
    BadVersion(RequestHeader),
}

/// Reads the header bytes without decoding the rest, so refusals cost nothing.
pub fn read_header(bytes: &[u8]) -> Option<(RequestHeader, bool)> {
    let header = bytes.get(..HEADER_BYTES)?;
    let word = |index: usize| match (header.get(index), header.get(index + 1)) {
        (Some(high), Some(low)) => u16::from_be_bytes([*high, *low]),
        _ => 0,
    };
    let flags = word(2);
    let is_response = flags & 0x8000 != 0;
    Some((
        RequestHeader {
            id: word(0),
            op_code: ((flags >> 11) & 0x0f) as u8,
            recursion_desired: flags & 0x0100 != 0,
            checking_disabled: flags & 0x0010 != 0,
        },
        is_response,
    ))
}

/// The first question's type, read from the bytes (for the per-type statistics): the name's
/// labels are skipped, at most `MAX_NAME_BYTES` of them; `None` for a packet without a readable
/// question (it is dropped or refused later).
pub fn question_type(bytes: &[u8]) -> Option<u16> {
    let mut at = HEADER_BYTES;
    let end = HEADER_BYTES + MAX_NAME_BYTES;
    loop {
        let length = usize::from(*bytes.get(at)?);
        if length == 0 {
            break;
        }
        // A pointer in a question name (none in a real query) ends the walk: no type is read.
        if length >= 64 || at >= end {
            return None;
        }
        at += 1 + length;
    }
    Some(u16::from_be_bytes([
        *bytes.get(at + 1)?,
        *bytes.get(at + 2)?,
    ]))
}

/// Parses one client query.
pub fn parse_request(bytes: &[u8]) -> Result<ClientRequest, Rejection> {
    let Some((header, is_response)) = read_header(bytes) else {
        return Err(Rejection::Drop);
    };
    if is_response {
        return Err(Rejection::Drop);
    }
    if header.op_code != u8::from(OpCode::Query) {
        return Err(Rejection::NotImplemented(header));
    }
    let count = |index: usize| match bytes.get(index..index + 2) {
        Some(&[high, low]) => usize::from(u16::from_be_bytes([high, low])),
        _ => 0,
    };
    let question_count = count(4);
    let record_count = count(6) + count(8) + count(10);
    // Exactly one question (RFC 9619); and no more records than the packet could hold, so the
    // decoder never reserves memory for phantom records. A query carries no answer or authority
    // records and at most one additional (its OPT): Unbound's `worker_check_request` answers
    // anything else FORMERR (an IXFR query's SOA included: transfers are refused anyway).
    let body = bytes.len().saturating_sub(HEADER_BYTES);
    if question_count != 1
        || count(6) != 0
        || count(8) != 0
        || count(10) > 1
        || MIN_QUESTION_BYTES + record_count.saturating_mul(MIN_RECORD_BYTES) > body
    {
        return Err(Rejection::FormatError(header));
    }
    if question_name_has_pointer(bytes) {
        return Err(Rejection::FormatError(header));
    }
    // Bytes left after the last counted record are FORMERR, as in BIND ("trailing garbage") and
    // Knot (KNOT_ETRAIL): the counts lie, and the rest could hide a record we would ignore.
    // Found by the hostile-query corpus (tests/src/hostile.rs): the resolver resolved such a query normally.
    let mut decoder = BinDecoder::new(bytes);
    let message = Message::read(&mut decoder).map_err(|_| Rejection::FormatError(header))?;
    if !decoder.is_empty() {
        return Err(Rejection::FormatError(header));
    }
    if message.metadata.message_type != MessageType::Query {
        return Err(Rejection::Drop);
    }
    let Some(query) = message.queries.first().cloned() else {
        return Err(Rejection::FormatError(header));
    };
    if message.edns.as_ref().is_some_and(|edns| edns.version() > 0) {
        return Err(Rejection::BadVersion(header));
    }
    Ok(ClientRequest { message, query })
}

/// Whether the question's name holds a compression pointer. It is the first name of the message
/// and a pointer may only refer to a prior occurrence of a name (RFC 1035 §4.1.4), so any pointer
/// there aims at the header or at itself. The decoder follows one into the header and reads its
/// flag and count bytes as labels: a made-up name we would otherwise resolve (found by the
/// hostile-query corpus). A name is at most 255 bytes, which bounds the walk.
fn question_name_has_pointer(bytes: &[u8]) -> bool {
    let mut position = HEADER_BYTES;
    while position < HEADER_BYTES + MAX_NAME_BYTES {
        match bytes.get(position) {
            Some(0) | None => return false,
            Some(&length) if length & 0xc0 == 0 => position += 1 + usize::from(length),
            // A pointer (0b11) or a reserved label type (0b01, 0b10; the decoder rejects those).
            Some(_) => return true,
        }
    }
    false
}

/// The largest response this client may get (RFC 6891 §6.2.3–6.2.5, RFC 1035 §4.2.1):
/// min(client payload, 1232) over UDP with EDNS, 512 without, 65535 over TCP.
pub fn size_limit(protocol: Protocol, edns: Option<&Edns>) -> usize {
    match (protocol, edns) {
        (Protocol::Tcp, _) => MAX_TCP_PAYLOAD,
        (Protocol::Udp, None) => usize::from(MIN_UDP_PAYLOAD),
        (Protocol::Udp, Some(edns)) => {
            usize::from(edns.max_payload().clamp(MIN_UDP_PAYLOAD, MAX_UDP_PAYLOAD))
        }
    }
}

/// Our OPT for a client that sent one (RFC 6891 §6.1.1: echo OPT; §7: only then). DO is echoed
/// (RFC 3225 §3); the payload is what we accept.
pub fn response_edns(client: &Edns) -> Edns {
    let mut edns = Edns::new();
    edns.set_max_payload(MAX_UDP_PAYLOAD);
    edns.set_version(0);
    edns.set_dnssec_ok(client.flags().dnssec_ok);
    edns
}

/// The response to a request rejected before it is parsed further (`None`: send nothing).
/// Unbound's worker answers these by setting QR and the rcode on the request's own header: the
/// client's flags (RD, CD), no RA, no records. BADVERS carries our OPT (RFC 6891 §6.1.3).
pub fn rejection_response(rejection: &Rejection) -> Option<Vec<u8>> {
    match rejection {
        Rejection::Drop => None,
        Rejection::FormatError(header) => echoed_error(*header, ResponseCode::FormErr, None),
        Rejection::NotImplemented(header) => echoed_error(*header, ResponseCode::NotImp, None),
        Rejection::BadVersion(header) => error_response(*header, ResponseCode::BADVERS, None, None),
    }
}

/// An error given on the request's own header (Unbound's worker: QR and the rcode set, the
/// client's RD and CD kept, no RA), with the question when there is one, without OPT.
pub fn echoed_error(
    header: RequestHeader,
    response_code: ResponseCode,
    query: Option<&Query>,
) -> Option<Vec<u8>> {
    let mut message = Message::new(
        header.id,
        MessageType::Response,
        OpCode::from_u8(header.op_code),
    );
    message.metadata.recursion_desired = header.recursion_desired;
    message.metadata.checking_disabled = header.checking_disabled;
    message.metadata.response_code = response_code;
    if let Some(query) = query {
        message.queries.push(query.clone());
    }
    encode_or_header_only(&message)
}

/// An error response: header, the question when we have it, our OPT if the client sent one.
pub fn error_response(
    header: RequestHeader,
    response_code: ResponseCode,
    query: Option<&Query>,
    client_edns: Option<&Edns>,
) -> Option<Vec<u8>> {
    let op_code = OpCode::from_u8(header.op_code);
    let mut message = Message::new(header.id, MessageType::Response, op_code);
    message.metadata.recursion_desired = header.recursion_desired;
    message.metadata.checking_disabled = header.checking_disabled;
    message.metadata.recursion_available = true;
    message.metadata.response_code = response_code;
    if let Some(query) = query {
        message.queries.push(query.clone());
    }
    if let Some(edns) = client_edns {
        message.edns = Some(response_edns(edns));
    }
    if response_code == ResponseCode::BADVERS {
        message.edns = Some(response_edns(&Edns::new()));
    }
    // BADVERS is an extended rcode; hickory splits it into header and OPT when encoding.
    encode_or_header_only(&message)
}

/// Encodes `response` for a client whose request is `request`, within `limit` bytes.
/// RFC 2181 §9: truncation drops whole RRsets, from the end. Additional data may go silently;
/// once an answer or authority RRset is dropped the client must retry over TCP, so TC is set.
pub fn encode_response(mut response: Message, request: &Message, limit: usize) -> Option<Vec<u8>> {
    response.metadata.id = request.metadata.id;
    response.metadata.message_type = MessageType::Response;
    response.metadata.recursion_desired = request.metadata.recursion_desired;
    response.metadata.checking_disabled = request.metadata.checking_disabled;
    response.metadata.recursion_available = true;
    // TC describes this encoding only; an upstream's TC never leaks to our client.
    response.metadata.truncation = false;
    // The question is the client's own, with its letter case (RFC 1035 §7.1; 0x20 clients check it).
    response.queries = request.queries.clone();
    // Options the answer carries (NSID, Extended DNS Errors) go out with our OPT.
    let options = response.edns.take().map(|edns| edns.options().clone());
    response.edns = request.edns.as_ref().map(|client| {
        let mut edns = response_edns(client);
        if let Some(options) = options {
            *edns.options_mut() = options;
        }
        edns
    });
    // RFC 3225 §3: without DO (no EDNS means no DO) DNSSEC records the client did not ask for
    // by type are left out; the resolver's cache may hold them for DO clients.
    let dnssec_ok = request
        .edns
        .as_ref()
        .is_some_and(|edns| edns.flags().dnssec_ok);
    response = response.maybe_strip_dnssec_records(dnssec_ok);
    let bytes = encode_or_header_only(&response)?;
    if bytes.len() <= limit {
        return Some(bytes);
    }
    // Each pass drops one RRset, so the loop is bounded by the record count.
    while !response.additionals.is_empty() {
        drop_last_rrset(&mut response.additionals);
        let bytes = encode_or_header_only(&response)?;
        if bytes.len() <= limit {
            return Some(bytes);
        }
    }
    response.metadata.truncation = true;
    loop {
        if !response.authorities.is_empty() {
            drop_last_rrset(&mut response.authorities);
        } else if !response.answers.is_empty() {
            drop_last_rrset(&mut response.answers);
        } else {
            return encode_or_header_only(&response);
        }
        let bytes = encode_or_header_only(&response)?;
        if bytes.len() <= limit {
            return Some(bytes);
        }
    }
}

/// Removes the last RRset with its RRSIGs, wherever in the section they stand: a signed RRset
/// goes or stays whole (Unbound `insert_section` writes each with its signatures and trims the
/// one that does not fit; RFC 4035 §3.1.1 wants its RRSIGs beside it). The last record names
/// the RRset: itself, or the RRset its RRSIG covers.
fn drop_last_rrset(records: &mut Vec<Record>) {
    let Some(last) = records.last() else { return };
    let (name, set_type, class) = (last.name.clone(), covered_type(last), last.dns_class);
    records.retain(|record| {
        !(record.name == name && record.dns_class == class && covered_type(record) == set_type)
    });
}

/// The type of the RRset a record belongs to: the covered type for an RRSIG.
fn covered_type(record: &Record) -> RecordType {
    crate::dnssec::signature::rrsig_of(record)
        .map_or(record.record_type(), |rrsig| rrsig.input().type_covered)
}

/// Encodes `message`; if a record cannot be encoded, falls back to a SERVFAIL with the header
/// and question only, so the client is never left waiting on our encoding problem.
fn encode_or_header_only(message: &Message) -> Option<Vec<u8>> {
    match message.to_vec() {
        Ok(bytes) => Some(bytes),
        Err(error) => {
            tracing::warn!(id = message.metadata.id, %error, "response could not be encoded; sending SERVFAIL");
            let mut fallback = Message::new(
                message.metadata.id,
                MessageType::Response,
                message.metadata.op_code,
            );
            fallback.metadata.recursion_desired = message.metadata.recursion_desired;
            fallback.metadata.recursion_available = true;
            fallback.metadata.response_code = ResponseCode::ServFail;
            fallback.queries = message.queries.clone();
            fallback.to_vec().ok()
        }
    }
}

/// Question types a resolver does not resolve. Zone transfers are between servers: REFUSED, as
/// Unbound's worker does. Meta types (OPT, TSIG) cannot be asked for: FORMERR
/// (RFC 6895 §3.1, RFC 6891 §6.1.1).
pub fn refused_question_type(record_type: RecordType) -> Option<ResponseCode> {
    match record_type {
        RecordType::AXFR | RecordType::IXFR => Some(ResponseCode::Refused),
        RecordType::OPT | RecordType::TSIG => Some(ResponseCode::FormErr),
        _ => None,
    }
}
