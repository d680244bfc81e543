//! A blocking one-query-at-a-time UDP client, so each timing is one query's round trip and nothing
//! else. It checks the reply's ID and question; it never retries (a loss shows as a timeout).

use std::fmt;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use hickory_proto::op::{Message, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use hickory_proto::serialize::binary::BinDecodable;

use crate::limits::MAX_MESSAGE_SIZE;

#[derive(Debug)]
pub enum ClientError {
    BadName(String),
    Encode(String),
    Io(io::ErrorKind),
    Timeout,
}

impl fmt::Display for ClientError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::BadName(name) => write!(formatter, "not a domain name: {name}"),
            ClientError::Encode(error) => write!(formatter, "cannot encode the query: {error}"),
            ClientError::Io(kind) => write!(formatter, "network error: {kind}"),
            ClientError::Timeout => write!(formatter, "no answer in time"),
        }
    }
}

impl std::error::Error for ClientError {}

/// One answered query.
#[derive(Clone, Copy, Debug)]
pub struct Exchange {
    pub elapsed: Duration,
    pub response_code: ResponseCode,
    pub answer_count: usize,
    /// The serial of the first SOA in the answer section (an SOA query's answer).
    pub soa_serial: Option<u32>,
}

pub struct Client {
    socket: UdpSocket,
    server: SocketAddr,
    next_id: u16,
}

impl Client {
    pub fn new(server: SocketAddr) -> Result<Client, ClientError> {
        let local: SocketAddr = if server.is_ipv4() {
            SocketAddr::from(([127, 0, 0, 1], 0))
        } else {
            SocketAddr::from(([0u16, 0, 0, 0, 0, 0, 0, 1], 0))
        };
        let socket = UdpSocket::bind(local).map_err(|error| ClientError::Io(error.kind()))?;
        Ok(Client {
            socket,
            server,
            next_id: 1,
        })
    }

    /// Sends `name`/`record_type` with RD set and waits up to `timeout` for the matching reply;
    /// stray or mismatched datagrams (a late answer to an earlier query) are skipped.
    pub fn query(
        &mut self,
        name: &str,
        record_type: RecordType,
        timeout: Duration,
    ) -> Result<Exchange, ClientError> {
        let parsed = Name::from_ascii(name).map_err(|_| ClientError::BadName(name.to_string()))?;
        let question = Query::query(parsed, record_type);
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        let mut message = Message::query();
        message.metadata.id = id;
        message.metadata.recursion_desired = true;
        message.add_query(question.clone());
        let bytes = message
            .to_vec()
            .map_err(|error| ClientError::Encode(error.to_string()))?;
        let started = Instant::now();
        let deadline = started + timeout;
        self.socket
            .send_to(&bytes, self.server)
            .map_err(|error| ClientError::Io(error.kind()))?;
        let mut buffer = vec![0u8; MAX_MESSAGE_SIZE];
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(ClientError::Timeout);
            }
            self.socket
                .set_read_timeout(Some(remaining))
                .map_err(|error| ClientError::Io(error.kind()))?;
            let (length, from) = match self.socket.recv_from(&mut buffer) {
                Ok(received) => received,
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(ClientError::Timeout)
                }
                Err(error) => return Err(ClientError::Io(error.kind())),
            };
            let elapsed = started.elapsed();
            let Some(datagram) = buffer.get(..length) else {
                continue;
            };
            let Ok(reply) = Message::from_bytes(datagram) else {
                continue;
            };
            if from != self.server
                || reply.metadata.id != id
                || reply.queries.first() != Some(&question)
            {
                continue;
            }
            return Ok(Exchange {
                elapsed,
                response_code: reply.metadata.response_code,
                answer_count: reply.answers.len(),
                soa_serial: reply.answers.iter().find_map(|record| match &record.data {
                    RData::SOA(soa) => Some(soa.serial),
                    _ => None,
                }),
            });
        }
    }
}
