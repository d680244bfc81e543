//! Parses a query's bytes into what the lookup needs, or says how to refuse it (RFC 1035 §4.1,
//! RFC 6891). Counts are checked against the packet length before hickory allocates for them.

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

use crate::limits::{HEADER_BYTES, MIN_RECORD_BYTES};

/// A query we will answer.
#[derive(Clone, Debug)]
pub struct Request {
    pub id: u16,
    pub recursion_desired: bool,
    pub checking_disabled: bool,
    pub query: Query,
    pub edns: Option<Edns>,
}

/// Why a packet is not a query we answer, and what to send back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// No header, or a response: send nothing (RFC 1035 §4.1.1; answering responses invites loops).
    Drop,
    /// Malformed: FORMERR with the ID echoed.
    FormatError(Header),
    /// Opcode other than QUERY: NOTIMP (RFC 1035 §4.1.1).
    NotImplemented(Header),
    /// EDNS version above 0: BADVERS with our OPT (RFC 6891 §6.1.3).
    BadVersion(Header),
}

/// The header fields an error response echoes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub id: u16,
    pub op_code: u8,
    pub recursion_desired: bool,
}

/// Parses one request.
pub fn parse_request(bytes: &[u8]) -> Result<Request, Rejection> {
    let Some(header_bytes) = bytes.get(..HEADER_BYTES) else {
        return Err(Rejection::Drop);
    };
    let word = |index: usize| {
        let pair = header_bytes.get(index..index + 2).unwrap_or(&[0, 0]);
        u16::from_be_bytes([
            pair.first().copied().unwrap_or(0),
            pair.get(1).copied().unwrap_or(0),
        ])
    };
    let flags = word(2);
    let header = Header {
        id: word(0),
        op_code: ((flags >> 11) & 0x0f) as u8,
        recursion_desired: flags & 0x0100 != 0,
    };
    if flags & 0x8000 != 0 {
        return Err(Rejection::Drop);
    }
    if header.op_code != u8::from(OpCode::Query) {
        return Err(Rejection::NotImplemented(header));
    }
    let question_count = word(4);
    let record_count = usize::from(word(6)) + usize::from(word(8)) + usize::from(word(10));
    // Exactly one question (RFC 9619 makes QDCOUNT > 1 a FORMERR); no more records than the
    // packet could hold, so decoding never reserves memory for phantom records.
    if question_count != 1
        || record_count.saturating_mul(MIN_RECORD_BYTES) > bytes.len() - HEADER_BYTES
    {
        return Err(Rejection::FormatError(header));
    }
    // Bytes left after the last counted record are FORMERR, as in BIND ("trailing garbage") and
    // Knot (KNOT_ETRAIL): the counts lie, and the rest could hide a record we would ignore.
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
    // RFC 6891 §6.1.1: more than one OPT is FORMERR; hickory's decoder already rejects that.
    if let Some(edns) = &message.edns {
        if edns.version() > 0 {
            return Err(Rejection::BadVersion(header));
        }
    }
    Ok(Request {
        id: header.id,
        recursion_desired: header.recursion_desired,
        checking_disabled: message.metadata.checking_disabled,
        query,
        edns: message.edns,
    })
}
