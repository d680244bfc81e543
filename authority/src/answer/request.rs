//! Parses a query's bytes into what the lookup needs, or says how to refuse it (RFC 1035 §4.1,
//! RFC 6891). Counts are checked against the packet length before hickory allocates for them.

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder};

use crate::limits::{HEADER_BYTES, MIN_QUESTION_BYTES, MIN_RECORD_BYTES};

/// A query we will answer.
#[derive(Clone, Debug)]
pub struct Request {
    pub id: u16,
    pub recursion_desired: bool,
    pub checking_disabled: bool,
    pub query: Query,
    pub edns: Option<Edns>,
}

/// Why a packet is not a query we answer, and what to send back. The echo is boxed: rejections
/// are rare, and the `Result` of every query should stay small.
#[derive(Clone, Debug, PartialEq)]
pub enum Rejection {
    /// No header, or a response: send nothing (RFC 1035 §4.1.1; answering responses invites loops).
    Drop,
    /// Malformed: FORMERR with the ID echoed.
    FormatError(Box<Echo>),
    /// Opcode other than QUERY: NOTIMP (RFC 1035 §4.1.1).
    NotImplemented(Box<Echo>),
    /// EDNS version above 0: BADVERS with our OPT (RFC 6891 §6.1.3).
    BadVersion(Box<Echo>),
}

/// What an error response echoes: the header fields, and the question and OPT when the message
/// could be decoded (RFC 6891 §6.1.1: a query with OPT gets a response with OPT, errors included).
#[derive(Clone, Debug, PartialEq)]
pub struct Echo {
    pub header: Header,
    /// The question, when the message held exactly one.
    pub query: Option<Query>,
    pub edns: Option<Edns>,
}

impl Echo {
    fn header_only(header: Header) -> Echo {
        Echo {
            header,
            query: None,
            edns: None,
        }
    }
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
    // An opcode other than QUERY is NOTIMP whatever else is wrong (RFC 1035 §4.1.1); the rest
    // of the message is still read, to echo its question and OPT as Knot does.
    let not_query = header.op_code != u8::from(OpCode::Query);
    let reject = |echo: Echo| {
        if not_query {
            Rejection::NotImplemented(Box::new(echo))
        } else {
            Rejection::FormatError(Box::new(echo))
        }
    };
    let question_count = usize::from(word(4));
    let record_count = usize::from(word(6)) + usize::from(word(8)) + usize::from(word(10));
    // No more entries than the packet could hold, so decoding never reserves memory for phantom
    // questions or records.
    let least_bytes = question_count.saturating_mul(MIN_QUESTION_BYTES)
        + record_count.saturating_mul(MIN_RECORD_BYTES);
    if least_bytes > bytes.len() - HEADER_BYTES {
        return Err(reject(Echo::header_only(header)));
    }
    let mut decoder = BinDecoder::new(bytes);
    let Ok(message) = Message::read(&mut decoder) else {
        // RFC 6891 §6.1.1: more than one OPT is FORMERR; hickory's decoder rejects that too.
        return Err(reject(Echo::header_only(header)));
    };
    let echo = Echo {
        header,
        query: match message.queries.as_slice() {
            [query] => Some(query.clone()),
            _ => None,
        },
        edns: message.edns.clone(),
    };
    // Bytes left after the last counted record are FORMERR, as in BIND ("trailing garbage") and
    // Knot (KNOT_ETRAIL): the counts lie, and the rest could hide a record we would ignore.
    if !decoder.is_empty() {
        return Err(reject(echo));
    }
    if message.metadata.message_type != MessageType::Query {
        return Err(Rejection::Drop);
    }
    if not_query {
        return Err(Rejection::NotImplemented(Box::new(echo)));
    }
    // Exactly one question (RFC 9619 makes QDCOUNT > 1 a FORMERR).
    let Some(query) = echo.query.clone() else {
        return Err(Rejection::FormatError(Box::new(echo)));
    };
    if message.edns.as_ref().is_some_and(|edns| edns.version() > 0) {
        return Err(Rejection::BadVersion(Box::new(echo)));
    }
    Ok(Request {
        id: header.id,
        recursion_desired: header.recursion_desired,
        checking_disabled: message.metadata.checking_disabled,
        query,
        edns: message.edns,
    })
}
