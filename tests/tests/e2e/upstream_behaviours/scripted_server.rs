//! A UDP name server for the upstream-behaviour tests: each query is answered (or dropped) by the
//! test's own script, and recorded. Owned by `upstream_behaviours`; one std thread, bounded in queries.
//!
//! No TCP listener: a TCP query to its address is refused at once, which is what the truncation
//! test needs ("an authoritative server whose TCP fails"). The other tests never ask over TCP.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, NS};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// Queries served before the server stops: far above what a test sends, a bound on the loop.
const MAX_QUERIES: usize = 500;
/// How often the serving loop looks at its stop flag.
const STOP_POLL: Duration = Duration::from_millis(100);
/// UDP receive buffer: one datagram of any size.
const RECEIVE_BUFFER: usize = 65_535;
const TTL: u32 = 3600;

/// The test's answer to one query; `None` drops it (no reply at all).
pub type Script = Box<dyn Fn(&Message) -> Option<Message> + Send>;

/// One query as received: its question ("NAME TYPE", name lower-cased) and whether it had EDNS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub question: String,
    pub edns: bool,
}

#[derive(Default)]
struct Observed {
    queries: Mutex<Vec<Seen>>,
    stop: AtomicBool,
}

pub struct ScriptedServer {
    pub address: SocketAddr,
    observed: Arc<Observed>,
    thread: Option<JoinHandle<()>>,
}

impl ScriptedServer {
    /// Binds `address` (port 0 allowed; ready once this returns) and serves until dropped.
    pub fn start(address: SocketAddr, script: Script) -> std::io::Result<ScriptedServer> {
        let socket = UdpSocket::bind(address)?;
        socket.set_read_timeout(Some(STOP_POLL))?;
        let address = socket.local_addr()?;
        let observed = Arc::new(Observed::default());
        let shared = observed.clone();
        let thread = thread::spawn(move || serve(&socket, &script, &shared));
        Ok(ScriptedServer {
            address,
            observed,
            thread: Some(thread),
        })
    }

    /// Every query received so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.observed
            .queries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The questions received, as "NAME TYPE".
    pub fn questions(&self) -> Vec<String> {
        self.seen().into_iter().map(|seen| seen.question).collect()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.observed.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(socket: &UdpSocket, script: &Script, observed: &Observed) {
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
        observed
            .queries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(Seen {
                question: format!(
                    "{} {}",
                    question.name().to_lowercase(),
                    question.query_type()
                ),
                edns: query.edns.is_some(),
            });
        if let Some(reply) = script(&query) {
            if let Ok(bytes) = reply.to_vec() {
                let _ = socket.send_to(&bytes, client);
            }
        }
    }
}

/// `text` as a name; the root when it is not one (the tests only pass literals).
pub fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap_or_else(|_| Name::root())
}

/// The question's name, lower-cased, and type; the root and type A for a query without one.
pub fn question_of(query: &Message) -> (Name, RecordType) {
    query
        .queries
        .first()
        .map(|question| (question.name().to_lowercase(), question.query_type()))
        .unwrap_or((Name::root(), RecordType::A))
}

/// An empty reply to `query`: same ID and question, no EDNS, with `rcode`.
pub fn reply_to(query: &Message, rcode: ResponseCode) -> Message {
    let mut reply = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.response_code = rcode;
    reply.queries = query.queries.clone();
    reply
}

pub fn address_record(owner: Name, address: IpAddr) -> Record {
    let data = match address {
        IpAddr::V4(v4) => RData::A(A(v4)),
        IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
    };
    Record::from_rdata(owner, TTL, data)
}

/// An authoritative answer: the question's name has `address` when the type matches its family,
/// else NODATA.
pub fn authoritative_address(query: &Message, address: IpAddr) -> Message {
    let (qname, qtype) = question_of(query);
    let mut reply = reply_to(query, ResponseCode::NoError);
    reply.metadata.authoritative = true;
    let family = match address {
        IpAddr::V4(_) => RecordType::A,
        IpAddr::V6(_) => RecordType::AAAA,
    };
    if qtype == family {
        reply.answers.push(address_record(qname, address));
    }
    reply
}

/// The priming answer of a root server named `server` at `address`: `. NS server` and its glue.
pub fn priming(query: &Message, server: &str, address: IpAddr) -> Message {
    let mut reply = reply_to(query, ResponseCode::NoError);
    reply.metadata.authoritative = true;
    reply.answers.push(Record::from_rdata(
        Name::root(),
        TTL,
        RData::NS(NS(name(server))),
    ));
    reply
        .additionals
        .push(address_record(name(server), address));
    reply
}

/// A referral for `zone` to `servers`, each a name and its glue addresses.
pub fn referral(query: &Message, zone: &str, servers: &[(&str, &[IpAddr])]) -> Message {
    let mut reply = reply_to(query, ResponseCode::NoError);
    for (server, addresses) in servers {
        reply.authorities.push(Record::from_rdata(
            name(zone),
            TTL,
            RData::NS(NS(name(server))),
        ));
        for address in *addresses {
            reply
                .additionals
                .push(address_record(name(server), *address));
        }
    }
    reply
}
