//! A slow root server that also forges: for each query it first sends forged replies (wrong IDs
//! from its own address, the right ID from the attacker's), then the genuine one after a delay.
//! Owned by the spoofing test; std threads, bounded in queries served and in time.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode};
use hickory_proto::rr::rdata::{A, NS, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// The zone whose names the test resolves; every A query below it is answered `GENUINE`.
pub const ZONE: &str = "spoof.test.";
/// The only address the genuine data ever holds.
pub const GENUINE: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// The name of this root server, as written in the hints.
pub const SERVER_NAME: &str = "a.root-servers.spoof.";

/// How long a genuine reply is held back: the window in which forgeries race it. Real servers
/// answer in tens of ms; 150 ms makes the window wide without slowing the test much.
const GENUINE_DELAY: Duration = Duration::from_millis(150);
/// Forged replies with wrong IDs sent to the querying port, from this server's own address,
/// before each genuine reply.
const WRONG_ID_FORGERIES: u16 = 20;
/// Queries served before the server stops: far above what the test sends, a bound on threads.
const MAX_QUERIES: usize = 2_000;
/// How often the serving loop looks at its stop flag.
const STOP_POLL: Duration = Duration::from_millis(100);
/// UDP receive buffer: one datagram of any size.
const RECEIVE_BUFFER: usize = 65_535;

/// What the server and the test share.
#[derive(Default)]
pub struct Observed {
    /// Queries received.
    pub queries: AtomicUsize,
    /// The address the resolver's upstream queries come from: the flood's target.
    pub resolver_source: Mutex<Option<IpAddr>>,
    stop: AtomicBool,
}

pub struct ForgingAuthority {
    pub address: SocketAddr,
    pub observed: Arc<Observed>,
    thread: Option<JoinHandle<()>>,
}

impl ForgingAuthority {
    /// Binds `address` (ready once this returns) and serves until dropped.
    pub fn start(address: SocketAddr, attacker: IpAddr) -> std::io::Result<ForgingAuthority> {
        let socket = UdpSocket::bind(address)?;
        socket.set_read_timeout(Some(STOP_POLL))?;
        let attacker_socket = UdpSocket::bind(SocketAddr::new(attacker, 0))?;
        let observed = Arc::new(Observed::default());
        let shared = observed.clone();
        let thread = thread::spawn(move || serve(socket, attacker_socket, attacker, &shared));
        Ok(ForgingAuthority {
            address,
            observed,
            thread: Some(thread),
        })
    }
}

impl Drop for ForgingAuthority {
    fn drop(&mut self) {
        self.observed.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(socket: UdpSocket, attacker_socket: UdpSocket, attacker: IpAddr, observed: &Observed) {
    let own_address = match socket.local_addr() {
        Ok(address) => address.ip(),
        Err(_) => return,
    };
    let mut buffer = vec![0u8; RECEIVE_BUFFER];
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    while !observed.stop.load(Ordering::SeqCst) && workers.len() < MAX_QUERIES {
        let (length, peer) = match socket.recv_from(&mut buffer) {
            Ok(received) => received,
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => break,
        };
        let Some(query) = buffer
            .get(..length)
            .and_then(|bytes| Message::from_vec(bytes).ok())
        else {
            continue;
        };
        observed.queries.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut source) = observed.resolver_source.lock() {
            source.get_or_insert(peer.ip());
        }
        let (Ok(socket), Ok(attacker_socket)) = (socket.try_clone(), attacker_socket.try_clone())
        else {
            break;
        };
        workers.push(thread::spawn(move || {
            answer_after_forgeries(
                &socket,
                &attacker_socket,
                &query,
                peer,
                own_address,
                attacker,
            )
        }));
    }
    for worker in workers {
        let _ = worker.join();
    }
}

fn answer_after_forgeries(
    socket: &UdpSocket,
    attacker_socket: &UdpSocket,
    query: &Message,
    peer: SocketAddr,
    own_address: IpAddr,
    attacker: IpAddr,
) {
    let id = query.metadata.id;
    for offset in 1..=WRONG_ID_FORGERIES {
        if let Some(bytes) = forged_reply(query, id.wrapping_add(offset), attacker) {
            let _ = socket.send_to(&bytes, peer);
        }
    }
    // The right ID, from an address the resolver did not ask.
    if let Some(bytes) = forged_reply(query, id, attacker) {
        let _ = attacker_socket.send_to(&bytes, peer);
    }
    // The race window: waiting inside the fake server is its behaviour, not synchronisation.
    thread::sleep(GENUINE_DELAY);
    if let Some(bytes) = genuine_reply(query, own_address) {
        let _ = socket.send_to(&bytes, peer);
    }
}

fn name(text: &str) -> Option<Name> {
    Name::from_ascii(text).ok()
}

fn response_to(query: &Message, id: u16) -> Message {
    let mut reply = Message::new(id, MessageType::Response, OpCode::Query);
    reply.metadata.authoritative = true;
    reply.queries = query.queries.clone();
    reply
}

/// The root's answer: its NS set (priming), `GENUINE` for A queries under `ZONE`, its own
/// address for its name, NODATA with the root SOA for anything else.
fn genuine_reply(query: &Message, own_address: IpAddr) -> Option<Vec<u8>> {
    let question = query.queries.first()?;
    let server = name(SERVER_NAME)?;
    let zone = name(ZONE)?;
    let mut reply = response_to(query, query.metadata.id);
    let qname = question.name();
    let IpAddr::V4(own_v4) = own_address else {
        return None;
    };
    match question.query_type() {
        RecordType::NS if qname.is_root() => {
            reply.answers.push(Record::from_rdata(
                Name::root(),
                3600,
                RData::NS(NS(server.clone())),
            ));
            reply
                .additionals
                .push(Record::from_rdata(server, 3600, RData::A(A(own_v4))));
        }
        RecordType::A if zone.zone_of(qname) => {
            reply.answers.push(Record::from_rdata(
                qname.clone(),
                3600,
                RData::A(A(GENUINE)),
            ));
        }
        RecordType::A if *qname == server => {
            reply
                .answers
                .push(Record::from_rdata(server, 3600, RData::A(A(own_v4))));
        }
        _ => {
            let soa = SOA::new(server.clone(), server, 1, 3600, 600, 86_400, 60);
            reply
                .authorities
                .push(Record::from_rdata(Name::root(), 60, RData::SOA(soa)));
        }
    }
    reply.to_vec().ok()
}

/// A reply as an attacker would forge it: the asked name at `attacker`, and the zone and the
/// root handed to a server at `attacker`.
pub fn forged_reply(query: &Message, id: u16, attacker: IpAddr) -> Option<Vec<u8>> {
    let question = query.queries.first()?;
    let IpAddr::V4(attacker_v4) = attacker else {
        return None;
    };
    let evil_server = name("ns.attacker.spoof.test.")?;
    let mut reply = response_to(query, id);
    reply.answers.push(Record::from_rdata(
        question.name().clone(),
        86_400,
        RData::A(A(attacker_v4)),
    ));
    for owner in [name(ZONE)?, Name::root()] {
        reply.authorities.push(Record::from_rdata(
            owner,
            86_400,
            RData::NS(NS(evil_server.clone())),
        ));
    }
    reply.additionals.push(Record::from_rdata(
        evil_server,
        86_400,
        RData::A(A(attacker_v4)),
    ));
    reply.to_vec().ok()
}

/// A forged query message for `qname` A, to build flood packets from.
pub fn query_for(qname: &str) -> Option<Message> {
    let mut query = Message::new(0, MessageType::Query, OpCode::Query);
    query
        .queries
        .push(hickory_proto::op::Query::query(name(qname)?, RecordType::A));
    Some(query)
}
