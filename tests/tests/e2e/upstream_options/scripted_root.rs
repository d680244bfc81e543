//! A root server for the upstream-option tests: answers from a fixed table and records the EDNS
//! options of every query it gets. Owned by `upstream_options`; one std thread, bounded in queries.
//!
//! The table: `. NS` is answered with one root server (`SERVER_NAME`, at the glue address the
//! test gives), a name inside a delegated zone with a referral to `DELEGATED_SERVER` and its glue,
//! `DELEGATED_SERVER A` with its real address, any other A question with `ANSWER_ADDRESS`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode};
use hickory_proto::rr::rdata::{A, AAAA, NS};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// The root server's name, as the hints and the priming answer give it.
pub const SERVER_NAME: &str = "a.root-servers.upstream.";
/// Every A question outside a delegated zone is answered with this address.
pub const ANSWER_ADDRESS: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 64);
/// The name server of the delegated zone, a sibling of it (its glue is sibling glue).
pub const DELEGATED_SERVER: &str = "ns.sibling.test.";
/// Queries served before the server stops: far above what a test sends, a bound on the loop.
const MAX_QUERIES: usize = 500;
/// How often the serving loop looks at its stop flag.
const STOP_POLL: Duration = Duration::from_millis(100);
/// UDP receive buffer: one datagram of any size.
const RECEIVE_BUFFER: usize = 65_535;
const TTL: u32 = 3600;

/// How the root answers.
#[derive(Clone, Debug)]
pub struct Table {
    /// The address the priming answer gives for `SERVER_NAME`.
    pub glue: IpAddr,
    /// A zone delegated to `DELEGATED_SERVER`, with the glue address given in the referral and
    /// the address its own A question is answered with.
    pub delegation: Option<(Name, IpAddr, IpAddr)>,
}

/// EDNS options as received: (code, data) each.
pub type Options = Vec<(u16, Vec<u8>)>;

/// What the server saw: per query, its question ("NAME TYPE") and its EDNS options.
#[derive(Default)]
pub struct Observed {
    pub queries: Mutex<Vec<(String, Options)>>,
    stop: AtomicBool,
}

pub struct ScriptedRoot {
    pub address: SocketAddr,
    pub observed: Arc<Observed>,
    thread: Option<JoinHandle<()>>,
}

impl ScriptedRoot {
    /// Binds `address` (port 0 allowed; ready once this returns) and serves until dropped.
    pub fn start(address: SocketAddr, table: Table) -> std::io::Result<ScriptedRoot> {
        let socket = UdpSocket::bind(address)?;
        socket.set_read_timeout(Some(STOP_POLL))?;
        let address = socket.local_addr()?;
        let observed = Arc::new(Observed::default());
        let shared = observed.clone();
        let thread = thread::spawn(move || serve(&socket, &table, &shared));
        Ok(ScriptedRoot {
            address,
            observed,
            thread: Some(thread),
        })
    }

    /// The questions received, as "NAME TYPE".
    pub fn questions(&self) -> Vec<String> {
        self.lock()
            .iter()
            .map(|(question, _)| question.clone())
            .collect()
    }

    /// The EDNS options of every query received.
    pub fn options(&self) -> Vec<Options> {
        self.lock()
            .iter()
            .map(|(_, options)| options.clone())
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, Options)>> {
        self.observed
            .queries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for ScriptedRoot {
    fn drop(&mut self) {
        self.observed.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(socket: &UdpSocket, table: &Table, observed: &Observed) {
    let mut buffer = vec![0u8; RECEIVE_BUFFER];
    let mut served = 0;
    while served < MAX_QUERIES && !observed.stop.load(Ordering::SeqCst) {
        let Ok((length, client)) = socket.recv_from(&mut buffer) else {
            continue;
        };
        served += 1;
        let Some(query) = buffer
            .get(..length)
            .and_then(|bytes| Message::from_vec(bytes).ok())
        else {
            continue;
        };
        let Some(question) = query.queries.first() else {
            continue;
        };
        let options = query
            .edns
            .as_ref()
            .map(|edns| {
                edns.options()
                    .as_ref()
                    .iter()
                    .map(|(code, option)| {
                        let data = match option {
                            hickory_proto::rr::rdata::opt::EdnsOption::Unknown(_, data) => {
                                data.clone()
                            }
                            _ => Vec::new(),
                        };
                        (u16::from(*code), data)
                    })
                    .collect()
            })
            .unwrap_or_default();
        observed
            .queries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((
                format!("{} {}", question.name(), question.query_type()),
                options,
            ));
        let reply = answer(&query, table);
        if let Ok(bytes) = reply.to_vec() {
            let _ = socket.send_to(&bytes, client);
        }
    }
}

fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap_or_else(|_| Name::root())
}

fn address_record(owner: Name, address: IpAddr) -> Record {
    let data = match address {
        IpAddr::V4(v4) => RData::A(A(v4)),
        IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
    };
    Record::from_rdata(owner, TTL, data)
}

fn answer(query: &Message, table: &Table) -> Message {
    let mut reply = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.queries = query.queries.clone();
    let Some(question) = query.queries.first() else {
        return reply;
    };
    let qname = question.name().to_lowercase();
    let server = name(SERVER_NAME);
    if let Some((zone, glue, real)) = &table.delegation {
        if qname == name(DELEGATED_SERVER) {
            reply.metadata.authoritative = true;
            if question.query_type() == RecordType::A {
                reply.answers.push(address_record(qname, *real));
            }
            return reply;
        }
        if zone.zone_of(&qname) {
            // A referral with sibling glue: the server's name is outside the delegated zone.
            let target = name(DELEGATED_SERVER);
            reply.authorities.push(Record::from_rdata(
                zone.clone(),
                TTL,
                RData::NS(NS(target.clone())),
            ));
            reply.additionals.push(address_record(target, *glue));
            return reply;
        }
    }
    reply.metadata.authoritative = true;
    match question.query_type() {
        RecordType::NS if qname.is_root() => {
            reply.answers.push(Record::from_rdata(
                Name::root(),
                TTL,
                RData::NS(NS(server.clone())),
            ));
            reply.additionals.push(address_record(server, table.glue));
        }
        RecordType::A if qname == server => {
            reply.answers.push(address_record(server, table.glue));
        }
        RecordType::A => reply
            .answers
            .push(address_record(qname, IpAddr::V4(ANSWER_ADDRESS))),
        _ => {}
    }
    reply
}
