//! A walk's positive answer to a plain query, written straight to wire: header, the question as
//! asked, the answer records (A, AAAA, CNAME) with owner names as pointers, our OPT.
//!
//! It writes what `message::encode_response` would send, or nothing (`None`: the message path,
//! which stays the reference, answers): for authority or additional records, other types or
//! classes, an owner out of chain order, AD set, EDNS options (EDE 3 on a stale answer, NSID),
//! or a response over the client's limit.
//! hickory's encoder keeps every written label as a compression candidate (allocating each):
//! about 4,600 instructions for a one-record answer.

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};

use crate::server::limits::HEADER_BYTES;
use crate::server::plain_query::PlainQuery;
use crate::server::wire_answer::{
    write_header, write_opt, CLASS_IN, INITIAL_CAPACITY, MAX_POINTER_OFFSET, NO_ERROR,
};
use crate::wire_name::write_name;

/// The response bytes for `query` from the walk's `response`, within `limit`; `None` leaves it
/// to the message path.
pub(crate) fn write_walk_answer(
    query: &PlainQuery<'_>,
    response: &Message,
    limit: usize,
) -> Option<Vec<u8>> {
    if response.metadata.response_code != ResponseCode::NoError
        || response.metadata.authentic_data
        || !response.authorities.is_empty()
        || !response.additionals.is_empty()
        // `write_opt` writes our bare OPT: options the response carries must not be lost.
        || response
            .edns
            .as_ref()
            .is_some_and(|edns| !edns.options().options.is_empty())
    {
        return None;
    }
    let question = response.queries.first()?;
    let mut bytes = Vec::with_capacity(INITIAL_CAPACITY.min(limit));
    write_header(
        &mut bytes,
        query,
        NO_ERROR,
        false,
        response.answers.len(),
        0,
    )?;
    bytes.extend_from_slice(query.question());
    // The name the next record must be owned by, and where it was written.
    let mut owner: &Name = question.name();
    let mut owner_at = HEADER_BYTES;
    for record in &response.answers {
        if record.dns_class != DNSClass::IN || record.name != *owner {
            return None;
        }
        let pointer = u16::try_from(owner_at)
            .ok()
            .filter(|at| usize::from(*at) <= MAX_POINTER_OFFSET)?
            | 0xc000;
        bytes.extend_from_slice(&pointer.to_be_bytes());
        bytes.extend_from_slice(&u16::from(record.record_type()).to_be_bytes());
        bytes.extend_from_slice(&CLASS_IN);
        bytes.extend_from_slice(&record.ttl.to_be_bytes());
        let length_at = bytes.len();
        bytes.extend_from_slice(&[0, 0]);
        match &record.data {
            RData::A(address) => bytes.extend_from_slice(&address.0.octets()),
            RData::AAAA(address) => bytes.extend_from_slice(&address.0.octets()),
            RData::CNAME(target) if record.record_type() == RecordType::CNAME => {
                // The target owns the next RRset of the chain.
                owner = &target.0;
                owner_at = bytes.len();
                write_name(&mut bytes, owner)?;
            }
            _ => return None,
        }
        let length = u16::try_from(bytes.len() - length_at - 2).ok()?;
        bytes
            .get_mut(length_at..length_at + 2)?
            .copy_from_slice(&length.to_be_bytes());
        if bytes.len() > limit {
            return None;
        }
    }
    write_opt(&mut bytes, query);
    (bytes.len() <= limit).then_some(bytes)
}
