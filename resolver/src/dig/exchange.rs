//! One lookup's conversation with its servers: tries per server, the reply checked against the
//! query (ID), and dig's truncation rule (RFC 7766 §5: a TC=1 UDP reply is retried over TCP).
//! Prints dig's progress lines (`;; communications error ...`) to the writer it is given.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use hickory_proto::op::{Message, OpCode};
use hickory_proto::serialize::binary::DecodeError;

use crate::dig::error::DigError;
use crate::dig::malformed::{failure_text as malformed_failure_text, hex_dump, read_partial};
use crate::dig::options::{Encryption, QueryOptions};
use crate::dig::presentation::expand_compressed_names;
use crate::dig::query::{client_cookie, COOKIE_OPTION};
use crate::dig::secure_transport::{exchange_secure, SecureError};
use crate::dig::tsig::{now_seconds, DigKey, TsigChain, TsigFailure};
use crate::upstream::transport::{Protocol, Transport, TransportError};
use hickory_proto::rr::rdata::opt::EdnsOption;

/// A reply as received, with what the stats lines report about it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub message: Message,
    /// Bytes on the wire (`;; MSG SIZE  rcvd:`).
    pub size: usize,
    pub server: SocketAddr,
    pub protocol: Protocol,
    pub elapsed: Duration,
    pub received_at: SystemTime,
    /// The client cookie the query carried, to check the reply's against (RFC 7873 §5.3).
    pub client_cookie: Option<Vec<u8>>,
    /// What dig's SERVER line names: UDP, TCP, TLS or HTTPS.
    pub transport_name: &'static str,
    /// The query carried OPT, with DO set (for dig's EDNS warning).
    pub edns_sent: bool,
    pub dnssec_sent: bool,
    /// With `-y`/`-k`: why the reply's TSIG did not verify (dig prints the reply all the same,
    /// with a warning); `None` when it did or no key was used.
    pub tsig_failure: Option<TsigFailure>,
    /// The reply did not parse whole; what dig says about it.
    pub malformed: Option<Malformed>,
}

/// A reply read in part (`+besteffort`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed {
    /// The header's section counts.
    pub counts: [usize; 4],
    pub extra_bytes: usize,
}

/// `addr#port` as dig writes server addresses.
pub fn address_text(server: SocketAddr) -> String {
    format!("{}#{}", server.ip(), server.port())
}

/// dig's wording for socket failures.
pub fn failure_text(error: &TransportError) -> String {
    match error {
        TransportError::Timeout => "timed out".to_string(),
        TransportError::Io(std::io::ErrorKind::ConnectionRefused) => {
            "connection refused".to_string()
        }
        TransportError::Io(std::io::ErrorKind::ConnectionReset) => "connection reset".to_string(),
        TransportError::Io(kind) => kind.to_string().to_lowercase(),
    }
}

/// RFC 1035 §4.1.1: the OPCODE is bits 3-6 of the header's third byte.
const OPCODE_BYTE: usize = 2;
const OPCODE_SHIFT: u8 = 3;
const OPCODE_MASK: u8 = 0x0f << OPCODE_SHIFT;

/// Decodes a reply. hickory refuses a record with empty RDATA outside UPDATE messages (it takes
/// RDLENGTH 0 for an RFC 2136 prerequisite), yet an empty APL or NULL, or an unknown type with
/// no data, is a valid answer that dig prints; such a reply is decoded as if its opcode were
/// UPDATE (same wire layout) and given its own opcode back.
pub fn decode_reply(bytes: &[u8]) -> Result<Message, DecodeError> {
    match Message::from_vec(bytes) {
        Err(DecodeError::InvalidEmptyRecord) => {
            let original = bytes.get(OPCODE_BYTE).copied().unwrap_or(0);
            let mut patched = bytes.to_vec();
            if let Some(byte) = patched.get_mut(OPCODE_BYTE) {
                *byte = (original & !OPCODE_MASK) | (u8::from(OpCode::Update) << OPCODE_SHIFT);
            }
            let mut message = Message::from_vec(&patched)?;
            message.metadata.op_code = OpCode::from_u8((original & OPCODE_MASK) >> OPCODE_SHIFT);
            Ok(message)
        }
        other => other,
    }
}

/// RFC 6891 §9: extended RCODE 16, BADVERS.
const BADVERS: u16 = 16;

/// The EDNS version to retry with when `reply` is BADVERS and names a version lower than the
/// query's (RFC 6891 §6.1.3); None otherwise.
pub fn lower_edns_version(query: &Message, reply: &Message) -> Option<u8> {
    // 16 is BADVERS for a reply with OPT (hickory decodes it as BADSIG, the TSIG meaning).
    if u16::from(reply.metadata.response_code) != BADVERS {
        return None;
    }
    let sent = query.edns.as_ref()?.version();
    let offered = reply.edns.as_ref().map_or(0, |edns| edns.version());
    (offered < sent).then_some(offered)
}

/// RFC 7873 §8: extended RCODE 23, BADCOOKIE.
const BADCOOKIE: u16 = 23;

/// The cookie to resend with when `reply` is BADCOOKIE to a query that carried a client cookie
/// and the reply carries the server's cookie after it (RFC 7873 §5.3); None otherwise.
pub fn bad_cookie_retry(query: &Message, reply: &Message) -> Option<Vec<u8>> {
    if u16::from(reply.metadata.response_code) != BADCOOKIE {
        return None;
    }
    let sent = client_cookie(query)?;
    let returned = reply_cookie(reply)?;
    (returned.len() > sent.len() && returned.starts_with(&sent)).then_some(returned)
}

/// The COOKIE option of a message, whole.
pub fn reply_cookie(message: &Message) -> Option<Vec<u8>> {
    let edns = message.edns.as_ref()?;
    edns.options()
        .options
        .iter()
        .find_map(|(_, option)| match option {
            EdnsOption::Unknown(COOKIE_OPTION, bytes) => Some(bytes.clone()),
            _ => None,
        })
}

/// Replaces the query's COOKIE option with `cookie`, keeping its place among the options.
pub fn set_cookie(query: &mut Message, cookie: Vec<u8>) {
    if let Some(edns) = query.edns.as_mut() {
        for (_, option) in edns.options_mut().options.iter_mut() {
            if let EdnsOption::Unknown(COOKIE_OPTION, bytes) = option {
                *bytes = cookie;
                return;
            }
        }
    }
}

/// The query's wire form, signed with `key` when one is given (RFC 8945 §5.1), and the chain
/// that checks the reply.
pub fn query_wire(
    query: &Message,
    key: Option<&DigKey>,
) -> Result<(Vec<u8>, Option<TsigChain>), DigError> {
    let mut wire = query
        .to_vec()
        .map_err(|_| DigError::Internal("encoding the query"))?;
    let chain = match key {
        Some(key) => Some(TsigChain::sign_request(key, &mut wire, now_seconds())?),
        None => None,
    };
    Ok((wire, chain))
}

/// `+qr`'s block for a query: printed each time the query goes out, the first time with the
/// command block before it.
#[derive(Debug, Clone)]
pub struct SendingNote {
    first: String,
    again: String,
    printed: bool,
}

impl SendingNote {
    pub fn new(first: String, again: String) -> SendingNote {
        SendingNote {
            first,
            again,
            printed: false,
        }
    }

    fn print(&mut self, out: &mut dyn Write) {
        let text = if self.printed {
            &self.again
        } else {
            &self.first
        };
        let _ = write!(out, "{text}");
        self.printed = true;
    }
}

/// Sends `query` (signed with `key`, if any) to each server in turn until one gives a usable reply.
pub async fn exchange_lookup(
    transport: &dyn Transport,
    servers: &[(SocketAddr, String)],
    query: &Message,
    key: Option<&DigKey>,
    options: &QueryOptions,
    mut sending: Option<&mut SendingNote>,
    out: &mut dyn Write,
) -> Result<Reply, DigError> {
    let (wire, chain) = query_wire(query, key)?;
    let timeout = Duration::from_secs(options.timeout_seconds);
    // BIND `dighost.c` (tcp_connected): a refused TCP connection spends one of the lookup's
    // tries and starts the server list over; with none left, the next server is asked.
    let mut tcp_retries = options.tries;
    let question = query
        .queries
        .first()
        .map(|question| question.name().to_string())
        .unwrap_or_default();
    let question = question
        .strip_suffix('.')
        .filter(|name| !name.is_empty())
        .unwrap_or(&question);
    let mut index = 0;
    'servers: while let Some((server, label)) = servers.get(index) {
        index += 1;
        let server = *server;
        let mut protocol = if options.tcp {
            Protocol::Tcp
        } else {
            Protocol::Udp
        };
        let mut tries_left = options.tries;
        while tries_left > 0 {
            tries_left -= 1;
            // Over TCP dig prints the query once connected, so after a refused connection not at all.
            let print_after = protocol == Protocol::Tcp && options.encryption == Encryption::None;
            if !print_after {
                if let Some(note) = sending.as_deref_mut() {
                    note.print(out);
                }
            }
            let started = Instant::now();
            let exchanged = if options.encryption == Encryption::None {
                transport
                    .exchange(server, protocol, &wire, timeout)
                    .await
                    .map_err(|error| failure_text(&error))
            } else {
                match exchange_secure(server, label, &wire, options, timeout).await {
                    // dig gives up on the lookup at once: a retry meets the same certificate.
                    Err(SecureError::Certificate(reason)) => {
                        return Err(DigError::TlsVerification {
                            server: address_text(server),
                            reason,
                        });
                    }
                    other => other.map_err(|error| error.to_string()),
                }
            };
            let refused_tcp = protocol == Protocol::Tcp
                && options.encryption == Encryption::None
                && exchanged
                    .as_ref()
                    .is_err_and(|reason| reason == "connection refused");
            if print_after && !refused_tcp {
                if let Some(note) = sending.as_deref_mut() {
                    note.print(out);
                }
            }
            if refused_tcp {
                let _ = writeln!(
                    out,
                    ";; Connection to {}({label}) for {question} failed: connection refused.",
                    address_text(server)
                );
                if tcp_retries > 1 {
                    tcp_retries -= 1;
                    let _ = writeln!(out, ";; {}", DigError::NoReply);
                    index = 0;
                    continue 'servers;
                }
                if index < servers.len() {
                    continue 'servers;
                }
                let _ = writeln!(out, ";; {}", DigError::NoReply);
                return Err(DigError::TcpRefused);
            }
            let bytes = match exchanged {
                Ok(bytes) => bytes,
                Err(reason) => {
                    let _ = writeln!(
                        out,
                        ";; communications error to {}: {reason}",
                        address_text(server)
                    );
                    // dig spends a try on a refused connection too (the server may be starting).
                    continue;
                }
            };
            let elapsed = started.elapsed();
            let mut malformed = None;
            let mut message = match decode_reply(&bytes) {
                Ok(message) => message,
                // dig 9.18 shows what parses of a malformed reply (`+besteffort`, in effect by
                // default), with a warning; `+nobesteffort` dumps it and ends the lookup.
                Err(error) => match read_partial(&bytes).filter(|_| options.best_effort) {
                    Some(partial) => {
                        let _ = writeln!(
                            out,
                            ";; Warning: Message parser reports malformed message packet."
                        );
                        malformed = Some(Malformed {
                            counts: partial.counts,
                            extra_bytes: partial.extra_bytes,
                        });
                        partial.message
                    }
                    None => {
                        let _ = write!(
                            out,
                            ";; Got bad packet: {}\n{}",
                            malformed_failure_text(&error),
                            hex_dump(&bytes)
                        );
                        return Err(DigError::BadPacket);
                    }
                },
            };
            expand_compressed_names(&mut message, &bytes);
            if message.metadata.id != query.metadata.id {
                let _ = writeln!(
                    out,
                    ";; Warning: ID mismatch: expected ID {}, got {}",
                    query.metadata.id, message.metadata.id
                );
                continue;
            }
            if message.metadata.truncation
                && protocol == Protocol::Udp
                && !options.ignore_truncation
            {
                let _ = writeln!(out, ";; Truncated, retrying in TCP mode.");
                protocol = Protocol::Tcp;
                // The TCP retry is a new exchange, not a lost try (dig restarts the query).
                tries_left = options.tries;
                continue;
            }
            // `+nofail`: a SERVFAIL sends dig on to the next server; the last one's is shown.
            if !options.stop_on_servfail
                && message.metadata.response_code == hickory_proto::op::ResponseCode::ServFail
            {
                let last = index == servers.len();
                if options.display.comments && !options.display.short {
                    let next = if last { "" } else { ", trying next server" };
                    let _ = writeln!(out, ";; Got SERVFAIL reply from {}{next}", server.ip());
                }
                if !last {
                    break;
                }
            }
            let tsig_failure = chain
                .clone()
                .and_then(|mut chain| chain.verify_answer(&bytes, now_seconds()).err());
            return Ok(Reply {
                malformed,
                tsig_failure,
                message,
                size: bytes.len(),
                server,
                protocol,
                elapsed,
                received_at: SystemTime::now(),
                client_cookie: client_cookie(query),
                transport_name: match (&options.encryption, protocol) {
                    (Encryption::Tls, _) => "TLS",
                    (Encryption::Https { .. }, _) if options.https_get => "HTTPS-GET",
                    (Encryption::Https { .. }, _) => "HTTPS",
                    (Encryption::None, Protocol::Udp) => "UDP",
                    (Encryption::None, Protocol::Tcp) => "TCP",
                },
                edns_sent: query.edns.is_some(),
                dnssec_sent: query
                    .edns
                    .as_ref()
                    .is_some_and(|edns| edns.flags().dnssec_ok),
            });
        }
    }
    Err(DigError::NoReply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_with_empty_rdata_decodes_and_keeps_its_opcode() {
        // Header (id 7, QR, opcode QUERY, 1 question, 1 answer), `x. APL`, answer `x. APL` with
        // RDLENGTH 0 (an APL with no items, RFC 3123 §4).
        let wire: Vec<u8> = [
            &[0, 7, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0][..],
            &[1, b'x', 0, 0, 42, 0, 1],
            &[0xc0, 12, 0, 42, 0, 1, 0, 0, 0, 60, 0, 0],
        ]
        .concat();
        assert!(Message::from_vec(&wire).is_err());
        let message = decode_reply(&wire).unwrap();
        assert_eq!(message.metadata.op_code, OpCode::Query);
        assert_eq!(message.answers.len(), 1);
    }
}
