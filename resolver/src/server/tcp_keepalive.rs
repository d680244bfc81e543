//! EDNS TCP keepalive (RFC 7828) on client TCP connections: a query carrying the option gets it
//! back with the connection's idle timeout; read and written on the message bytes, nothing decoded.
//!
//! RFC 7828 §3.2.1: a client sends the option empty; Unbound answers a query whose option carries
//! data with FORMERR, and so do we. Over UDP the option is ignored (§3.2.1: not meaningful there).
//! The listener's idle timeout (`ListenOptions::tcp_idle_timeout`) is what the option announces:
//! it is never raised by a client, so the idle bound stays the listener's.
//!
//! Once a query on a connection has asked, every later answer on it carries the option too, asked
//! or not (Unbound's `c->tcp_keepalive`, `util/edns.c`; RFC 7828 §3.3.2 lets a server send it in
//! any TCP response with an OPT record). A new connection starts without it.

use std::time::Duration;

use authority::listen::TcpConnection;

use crate::server::limits::{HEADER_BYTES, MAX_TCP_PAYLOAD};

/// The option's code (RFC 7828 §3.1, IANA "DNS EDNS0 Option Codes").
const OPTION_KEEPALIVE: u16 = 11;
/// The OPT pseudo-record's type (RFC 6891 §6.1.2).
const TYPE_OPT: u16 = 41;
/// Type, class, TTL and RDLENGTH after a record's owner name.
const RECORD_FIXED_BYTES: usize = 10;
/// TIMEOUT is in units of 100 milliseconds (RFC 7828 §3.1).
const TIMEOUT_UNIT_MILLISECONDS: u128 = 100;

/// What a query says about keepalive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepaliveRequest {
    /// No option (or no OPT record): answer as usual.
    None,
    /// The empty option: answer with our timeout.
    Asked,
    /// The option with data, which a client must not send (answered FORMERR, as Unbound).
    Malformed,
}

/// What the answer to one TCP query does about keepalive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeepaliveAnswer {
    /// Answer as usual, no option.
    Plain,
    /// Add the option with the idle timeout (`with_keepalive`).
    WithOption,
    /// FORMERR: the query's option carried data.
    FormatError,
}

/// The rule per connection: a query asking for keepalive gets the option and marks `connection`;
/// a later query on a marked connection gets it without asking. `None`: a query seen without its
/// connection (the option answered per query). A malformed option is FORMERR and marks nothing
/// (Unbound returns FORMERR before it looks at the connection).
pub fn answer_for(
    request: KeepaliveRequest,
    connection: Option<&TcpConnection>,
) -> KeepaliveAnswer {
    match request {
        KeepaliveRequest::Malformed => KeepaliveAnswer::FormatError,
        KeepaliveRequest::Asked => {
            if let Some(connection) = connection {
                connection.remember_keepalive();
            }
            KeepaliveAnswer::WithOption
        }
        KeepaliveRequest::None if connection.is_some_and(TcpConnection::keepalive_remembered) => {
            KeepaliveAnswer::WithOption
        }
        KeepaliveRequest::None => KeepaliveAnswer::Plain,
    }
}

/// Skips a name at `at` (labels, or a compression pointer that ends it); the offset after it.
/// At most `MAX_TCP_PAYLOAD` bytes are ever walked (each step moves forward).
fn skip_name(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let length = *bytes.get(at)?;
        match length {
            0 => return Some(at + 1),
            0xc0..=0xff => return Some(at + 2),
            1..=63 => at += 1 + usize::from(length),
            _ => return None,
        }
    }
}

fn word(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

/// Where the OPT record's RDATA is: (offset of its RDLENGTH, of the RDATA, of its end), and
/// whether it is the message's last record.
fn find_opt(bytes: &[u8]) -> Option<(usize, usize, usize, bool)> {
    let questions = word(bytes, 4)?;
    let records =
        u32::from(word(bytes, 6)?) + u32::from(word(bytes, 8)?) + u32::from(word(bytes, 10)?);
    let mut at = HEADER_BYTES;
    for _ in 0..questions {
        at = skip_name(bytes, at)? + 4;
    }
    let mut found = None;
    for _ in 0..records {
        let fixed = skip_name(bytes, at)?;
        let record_type = word(bytes, fixed)?;
        let length = usize::from(word(bytes, fixed + 8)?);
        let data = fixed + RECORD_FIXED_BYTES;
        let end = data + length;
        if end > bytes.len() {
            return None;
        }
        if record_type == TYPE_OPT {
            found = Some((fixed + 8, data, end));
        }
        at = end;
    }
    found.map(|(length_at, data, end)| (length_at, data, end, end == bytes.len()))
}

/// Reads the keepalive option from a query's OPT record, if any.
pub fn requested(query: &[u8]) -> KeepaliveRequest {
    // No additional records, no OPT: the common case costs two byte reads.
    if word(query, 10).is_none_or(|count| count == 0) {
        return KeepaliveRequest::None;
    }
    let Some((_, data, end, _)) = find_opt(query) else {
        return KeepaliveRequest::None;
    };
    let mut at = data;
    while at + 4 <= end {
        let (Some(code), Some(length)) = (word(query, at), word(query, at + 2)) else {
            break;
        };
        if code == OPTION_KEEPALIVE {
            return if length == 0 {
                KeepaliveRequest::Asked
            } else {
                KeepaliveRequest::Malformed
            };
        }
        at += 4 + usize::from(length);
    }
    KeepaliveRequest::None
}

/// The response with the keepalive option (TIMEOUT `idle_timeout`) added to its OPT record, when
/// that record is the last one (every response we write puts it there); otherwise, or past the
/// TCP size limit, the response unchanged.
pub fn with_keepalive(mut response: Vec<u8>, idle_timeout: Duration) -> Vec<u8> {
    let units =
        u16::try_from(idle_timeout.as_millis() / TIMEOUT_UNIT_MILLISECONDS).unwrap_or(u16::MAX);
    let Some((length_at, data, end, true)) = find_opt(&response) else {
        return response;
    };
    let Some(new_length) = u16::try_from(end - data + 6).ok() else {
        return response;
    };
    if response.len() + 6 > MAX_TCP_PAYLOAD {
        return response;
    }
    if let Some(slot) = response.get_mut(length_at..length_at + 2) {
        slot.copy_from_slice(&new_length.to_be_bytes());
    }
    response.extend_from_slice(&OPTION_KEEPALIVE.to_be_bytes());
    response.extend_from_slice(&2u16.to_be_bytes());
    response.extend_from_slice(&units.to_be_bytes());
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
    use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
    use hickory_proto::rr::{Name, RecordType};

    fn query(option: Option<Vec<u8>>) -> Vec<u8> {
        let mut message = Message::new(7, MessageType::Query, OpCode::Query);
        message.queries.push(Query::query(
            Name::from_ascii("www.example.").unwrap_or_default(),
            RecordType::A,
        ));
        let mut edns = Edns::new();
        if let Some(data) = option {
            edns.options_mut()
                .insert(EdnsOption::Unknown(u16::from(EdnsCode::Keepalive), data));
        }
        message.edns = Some(edns);
        message.to_vec().unwrap_or_default()
    }

    #[test]
    fn the_empty_option_is_asked_for_and_one_with_data_is_malformed() {
        assert_eq!(requested(&query(None)), KeepaliveRequest::None);
        assert_eq!(requested(&query(Some(Vec::new()))), KeepaliveRequest::Asked);
        assert_eq!(
            requested(&query(Some(vec![0, 50]))),
            KeepaliveRequest::Malformed
        );
        assert_eq!(requested(&[0u8; 5]), KeepaliveRequest::None);
    }

    #[test]
    fn a_connection_that_asked_once_gets_the_option_on_every_later_answer() {
        let connection = TcpConnection::new();
        // Not asked yet: nothing remembered, no option.
        assert_eq!(
            answer_for(KeepaliveRequest::None, Some(&connection)),
            KeepaliveAnswer::Plain
        );
        // A malformed option is FORMERR and does not count as asking.
        assert_eq!(
            answer_for(KeepaliveRequest::Malformed, Some(&connection)),
            KeepaliveAnswer::FormatError
        );
        assert_eq!(
            answer_for(KeepaliveRequest::None, Some(&connection)),
            KeepaliveAnswer::Plain
        );
        assert_eq!(
            answer_for(KeepaliveRequest::Asked, Some(&connection)),
            KeepaliveAnswer::WithOption
        );
        // From now on the connection gets it without asking (edns_keepalive.rpl step 50) ...
        assert_eq!(
            answer_for(KeepaliveRequest::None, Some(&connection)),
            KeepaliveAnswer::WithOption
        );
        // ... a malformed option is still FORMERR ...
        assert_eq!(
            answer_for(KeepaliveRequest::Malformed, Some(&connection)),
            KeepaliveAnswer::FormatError
        );
        // ... and another connection, or a query seen without one, starts afresh.
        assert_eq!(
            answer_for(KeepaliveRequest::None, Some(&TcpConnection::new())),
            KeepaliveAnswer::Plain
        );
        assert_eq!(
            answer_for(KeepaliveRequest::None, None),
            KeepaliveAnswer::Plain
        );
        assert_eq!(
            answer_for(KeepaliveRequest::Asked, None),
            KeepaliveAnswer::WithOption
        );
    }

    #[test]
    fn the_answer_gets_the_option_with_the_timeout_in_tenths_of_seconds() {
        let answer = with_keepalive(query(None), Duration::from_secs(10));
        let message = Message::from_vec(&answer).unwrap_or_else(|error| panic!("{error}"));
        let keepalive = message
            .edns
            .as_ref()
            .and_then(|edns| edns.options().get(EdnsCode::Keepalive).cloned());
        let data = match keepalive {
            Some(EdnsOption::Unknown(_, data)) => data,
            other => panic!("no keepalive option: {other:?}"),
        };
        assert_eq!(data, vec![0, 100]);
        // Without an OPT record nothing is added.
        let mut bare = Message::new(7, MessageType::Response, OpCode::Query);
        bare.queries
            .push(Query::query(Name::root(), RecordType::NS));
        let bytes = bare.to_vec().unwrap_or_default();
        assert_eq!(
            with_keepalive(bytes.clone(), Duration::from_secs(10)),
            bytes
        );
    }
}
