//! A name server that answers over TCP only, as behind a firewall dropping UDP: its UDP socket
//! reads and counts queries but never replies. Owned by `stub_forward_zones`; bounded threads.
//!
//! Answers (AA set, RD copied, so it serves as root, stub server or forwarder alike): `. NS` with
//! one root server (`SERVER_NAME` at the server's own address), `SERVER_NAME A` with that address,
//! any other A question with `ANSWER_ADDRESS`, anything else with an empty NOERROR.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode};
use hickory_proto::rr::rdata::{A, NS};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// The root server's name, as the hints and the priming answer give it.
pub const SERVER_NAME: &str = "a.root-servers.tcp-only.";
/// Every A question but the server's own name is answered with this address.
pub const ANSWER_ADDRESS: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 64);
/// Queries served (UDP and TCP together) before the server stops: far above what a test sends.
const MAX_QUERIES: usize = 500;
/// TCP connections accepted in all; each gets a thread.
const MAX_CONNECTIONS: usize = 64;
/// Messages read on one TCP connection before it is closed (RFC 7766 §6.2.1 allows pipelining).
const MAX_MESSAGES_PER_CONNECTION: usize = 50;
/// How often the loops look at their stop flag; also the idle limit of a TCP read.
const STOP_POLL: Duration = Duration::from_millis(100);
/// An idle TCP connection is closed after this many polls (5 s).
const IDLE_POLLS: u32 = 50;
const RECEIVE_BUFFER: usize = 65_535;
const TTL: u32 = 3600;

/// Questions received, as "NAME TYPE", by transport.
#[derive(Default)]
pub struct Observed {
    udp: Mutex<Vec<String>>,
    tcp: Mutex<Vec<String>>,
    served: AtomicUsize,
    stop: AtomicBool,
}

pub struct TcpOnlyServer {
    pub address: SocketAddr,
    observed: Arc<Observed>,
    threads: Vec<JoinHandle<()>>,
}

impl TcpOnlyServer {
    /// Binds UDP and TCP on `address`; ready once this returns; serves until dropped.
    pub fn start(address: SocketAddr) -> std::io::Result<TcpOnlyServer> {
        let udp = UdpSocket::bind(address)?;
        udp.set_read_timeout(Some(STOP_POLL))?;
        let tcp = TcpListener::bind(address)?;
        tcp.set_nonblocking(true)?;
        let observed = Arc::new(Observed::default());
        let for_udp = observed.clone();
        let for_tcp = observed.clone();
        let threads = vec![
            thread::spawn(move || count_udp(&udp, &for_udp)),
            thread::spawn(move || accept_tcp(&tcp, address.ip(), &for_tcp)),
        ];
        Ok(TcpOnlyServer {
            address,
            observed,
            threads,
        })
    }

    /// The questions that came over UDP (never answered).
    pub fn udp_questions(&self) -> Vec<String> {
        lock(&self.observed.udp).clone()
    }

    /// The questions that came over TCP (answered).
    pub fn tcp_questions(&self) -> Vec<String> {
        lock(&self.observed.tcp).clone()
    }
}

impl Drop for TcpOnlyServer {
    fn drop(&mut self) {
        self.observed.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn lock(list: &Mutex<Vec<String>>) -> std::sync::MutexGuard<'_, Vec<String>> {
    list.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn running(observed: &Observed) -> bool {
    !observed.stop.load(Ordering::SeqCst) && observed.served.load(Ordering::SeqCst) < MAX_QUERIES
}

/// "NAME TYPE" of the query's first question.
fn describe(query: &Message) -> Option<String> {
    let question = query.queries.first()?;
    Some(format!("{} {}", question.name(), question.query_type()))
}

fn count_udp(socket: &UdpSocket, observed: &Observed) {
    let mut buffer = vec![0u8; RECEIVE_BUFFER];
    while running(observed) {
        let Ok((length, _)) = socket.recv_from(&mut buffer) else {
            continue;
        };
        observed.served.fetch_add(1, Ordering::SeqCst);
        if let Some(question) = buffer
            .get(..length)
            .and_then(|bytes| Message::from_vec(bytes).ok())
            .as_ref()
            .and_then(describe)
        {
            lock(&observed.udp).push(question);
        }
    }
}

fn accept_tcp(listener: &TcpListener, own: IpAddr, observed: &Arc<Observed>) {
    let mut connections = Vec::new();
    while running(observed) {
        match listener.accept() {
            Ok((stream, _)) if connections.len() < MAX_CONNECTIONS => {
                let shared = observed.clone();
                connections.push(thread::spawn(move || serve_tcp(stream, own, &shared)));
            }
            Ok(_) => {}
            Err(_) => thread::sleep(STOP_POLL),
        }
    }
    for connection in connections {
        let _ = connection.join();
    }
}

/// Reads exactly `buffer.len()` bytes, waiting out read timeouts while the server runs and the
/// connection is not idle too long. False on close, error or stop.
fn read_full(stream: &mut TcpStream, buffer: &mut [u8], observed: &Observed) -> bool {
    let mut filled = 0;
    let mut idle = 0;
    while filled < buffer.len() {
        if !running(observed) || idle >= IDLE_POLLS {
            return false;
        }
        match stream.read(&mut buffer[filled..]) {
            Ok(0) => return false,
            Ok(read) => {
                filled += read;
                idle = 0;
            }
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                idle += 1
            }
            Err(_) => return false,
        }
    }
    true
}

fn serve_tcp(mut stream: TcpStream, own: IpAddr, observed: &Observed) {
    if stream.set_nonblocking(false).is_err() || stream.set_read_timeout(Some(STOP_POLL)).is_err() {
        return;
    }
    for _ in 0..MAX_MESSAGES_PER_CONNECTION {
        let mut length = [0u8; 2];
        if !read_full(&mut stream, &mut length, observed) {
            return;
        }
        let mut bytes = vec![0u8; usize::from(u16::from_be_bytes(length))];
        if !read_full(&mut stream, &mut bytes, observed) {
            return;
        }
        observed.served.fetch_add(1, Ordering::SeqCst);
        let Ok(query) = Message::from_vec(&bytes) else {
            return;
        };
        let Some(question) = describe(&query) else {
            return;
        };
        lock(&observed.tcp).push(question);
        let Ok(reply) = answer(&query, own).to_vec() else {
            return;
        };
        let Ok(reply_length) = u16::try_from(reply.len()) else {
            return;
        };
        let mut framed = reply_length.to_be_bytes().to_vec();
        framed.extend_from_slice(&reply);
        if stream.write_all(&framed).is_err() {
            return;
        }
    }
}

fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap_or_else(|_| Name::root())
}

fn address_record(owner: Name, address: IpAddr) -> Record {
    let address = match address {
        IpAddr::V4(v4) => v4,
        IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
    };
    Record::from_rdata(owner, TTL, RData::A(A(address)))
}

fn answer(query: &Message, own: IpAddr) -> Message {
    let mut reply = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    reply.metadata.authoritative = true;
    reply.queries = query.queries.clone();
    let Some(question) = query.queries.first() else {
        return reply;
    };
    let qname = question.name().to_lowercase();
    let server = name(SERVER_NAME);
    match question.query_type() {
        RecordType::NS if qname.is_root() => {
            reply.answers.push(Record::from_rdata(
                Name::root(),
                TTL,
                RData::NS(NS(server.clone())),
            ));
            reply.additionals.push(address_record(server, own));
        }
        RecordType::A if qname == server => reply.answers.push(address_record(server, own)),
        RecordType::A => reply
            .answers
            .push(address_record(qname, IpAddr::V4(ANSWER_ADDRESS))),
        _ => {}
    }
    reply
}
