//! A small blocking DNS client for tests: one query over UDP or TCP, with a bounded timeout.
//! It checks the reply's ID and that it came from the server asked; it judges nothing else.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, Query};
use hickory_proto::rr::{Name, RecordType};

/// Per-query budget; a test's server on loopback answers in microseconds, so this only bounds a
/// broken one.
pub const QUERY_TIMEOUT: Duration = Duration::from_secs(3);

/// The EDNS buffer size we advertise, as dig does by default (RFC 6891; DNS flag day 2020 value).
const EDNS_BUFFER_SIZE: u16 = 1232;

#[derive(Debug)]
pub enum QueryError {
    BadName(String),
    Encode(String),
    Io(io::ErrorKind),
    Timeout,
    /// The reply could not be parsed as a DNS message.
    Decode(String),
}

impl fmt::Display for QueryError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::BadName(name) => write!(formatter, "not a domain name: {name}"),
            QueryError::Encode(error) => write!(formatter, "cannot encode the query: {error}"),
            QueryError::Io(kind) => write!(formatter, "network error: {kind}"),
            QueryError::Timeout => write!(formatter, "no answer within {QUERY_TIMEOUT:?}"),
            QueryError::Decode(error) => write!(formatter, "reply is not a DNS message: {error}"),
        }
    }
}

impl std::error::Error for QueryError {}

impl From<io::Error> for QueryError {
    fn from(error: io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => QueryError::Timeout,
            kind => QueryError::Io(kind),
        }
    }
}

/// A query message as dig sends it: RD set, EDNS with a 1232-byte buffer.
pub fn build_query(name: &str, record_type: RecordType) -> Result<Message, QueryError> {
    let name = Name::from_ascii(name).map_err(|_| QueryError::BadName(name.to_string()))?;
    let mut message = Message::query();
    message.metadata.recursion_desired = true;
    message.add_query(Query::query(name, record_type));
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_BUFFER_SIZE);
    message.set_edns(edns);
    Ok(message)
}

/// Sends `name`/`record_type` over UDP and returns the reply (truncated or not: check TC yourself).
///
/// ```no_run
/// use hickory_proto::rr::RecordType;
/// let reply = e2e::query_udp("127.32.0.1:5300".parse().unwrap(), "www.example.test.", RecordType::A)
///     .expect("an answer");
/// assert_eq!(reply.metadata.response_code, hickory_proto::op::ResponseCode::NoError);
/// ```
pub fn query_udp(
    server: SocketAddr,
    name: &str,
    record_type: RecordType,
) -> Result<Message, QueryError> {
    exchange_udp(server, &build_query(name, record_type)?, QUERY_TIMEOUT)
}

/// Sends `name`/`record_type` over TCP (2-byte length framing, RFC 7766) and returns the reply.
pub fn query_tcp(
    server: SocketAddr,
    name: &str,
    record_type: RecordType,
) -> Result<Message, QueryError> {
    exchange_tcp(server, &build_query(name, record_type)?, QUERY_TIMEOUT)
}

/// `query_udp` sent from `source` (a loopback address of the test's own), for access-control
/// tests: the kernel would otherwise pick 127.0.0.1 for every loopback destination.
pub fn query_udp_from(
    source: IpAddr,
    server: SocketAddr,
    name: &str,
    record_type: RecordType,
) -> Result<Message, QueryError> {
    exchange_udp_from(
        source,
        server,
        &build_query(name, record_type)?,
        QUERY_TIMEOUT,
    )
}

/// Sends any message over UDP; ignores datagrams from other sources or with another ID.
pub fn exchange_udp(
    server: SocketAddr,
    query: &Message,
    timeout: Duration,
) -> Result<Message, QueryError> {
    let local = match server.ip() {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    exchange_udp_from(local, server, query, timeout)
}

/// `exchange_udp` from a chosen local address.
pub fn exchange_udp_from(
    local: IpAddr,
    server: SocketAddr,
    query: &Message,
    timeout: Duration,
) -> Result<Message, QueryError> {
    let bytes = query
        .to_vec()
        .map_err(|error| QueryError::Encode(error.to_string()))?;
    let socket = UdpSocket::bind(SocketAddr::new(local, 0))?;
    socket.send_to(&bytes, server)?;
    let deadline = Instant::now() + timeout;
    let mut buffer = vec![0u8; 65_535];
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(QueryError::Timeout);
        }
        socket.set_read_timeout(Some(remaining))?;
        let (length, source) = socket.recv_from(&mut buffer)?;
        if source != server {
            continue;
        }
        let reply = Message::from_vec(&buffer[..length])
            .map_err(|error| QueryError::Decode(error.to_string()))?;
        if reply.metadata.id == query.metadata.id {
            return Ok(reply);
        }
    }
}

/// Sends any message over TCP on a new connection and reads one framed reply.
pub fn exchange_tcp(
    server: SocketAddr,
    query: &Message,
    timeout: Duration,
) -> Result<Message, QueryError> {
    let bytes = query
        .to_vec()
        .map_err(|error| QueryError::Encode(error.to_string()))?;
    let length = u16::try_from(bytes.len())
        .map_err(|_| QueryError::Encode("query over 65535 bytes".into()))?;
    let deadline = Instant::now() + timeout;
    let mut stream = TcpStream::connect_timeout(&server, timeout)?;
    stream.set_write_timeout(Some(timeout))?;
    let mut framed = length.to_be_bytes().to_vec();
    framed.extend_from_slice(&bytes);
    stream.write_all(&framed)?;
    let mut read_exact = |buffer: &mut [u8]| -> Result<(), QueryError> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(QueryError::Timeout);
        }
        stream.set_read_timeout(Some(remaining))?;
        stream.read_exact(buffer)?;
        Ok(())
    };
    let mut prefix = [0u8; 2];
    read_exact(&mut prefix)?;
    let mut reply = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
    read_exact(&mut reply)?;
    Message::from_vec(&reply).map_err(|error| QueryError::Decode(error.to_string()))
}
