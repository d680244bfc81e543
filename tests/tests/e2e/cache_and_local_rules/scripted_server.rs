//! An upstream server for the cache and local-rule tests: answers each question with what the
//! test's script returns (any TTL, any SOA, any authority section) and records every question.
//!
//! One std thread per server, bounded in queries; `script` decides everything, so a test can
//! send what a real authority would not (an SOA whose TTL and MINIMUM differ, a promiscuous NS set).

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, NS, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};

/// Queries served before the server stops: far above what a test sends, a bound on the loop.
const MAX_QUERIES: usize = 2_000;
/// How often the serving loop looks at its stop flag.
const STOP_POLL: Duration = Duration::from_millis(100);
/// UDP receive buffer: one datagram of any size.
const RECEIVE_BUFFER: usize = 65_535;
/// TTL of the records the helpers make when the test does not care.
pub const LONG_TTL: u32 = 3600;

/// What the server sends back for one question.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    pub rcode: ResponseCode,
    pub authoritative: bool,
    pub answers: Vec<Record>,
    pub authorities: Vec<Record>,
    pub additionals: Vec<Record>,
}

impl Reply {
    /// An authoritative NOERROR reply carrying `answers`.
    pub fn answer(answers: Vec<Record>) -> Reply {
        Reply {
            authoritative: true,
            answers,
            ..Reply::default()
        }
    }

    /// An authoritative negative reply (NXDOMAIN or NODATA) with `soa` in the authority section.
    pub fn negative(rcode: ResponseCode, soa: Record) -> Reply {
        Reply {
            rcode,
            authoritative: true,
            authorities: vec![soa],
            ..Reply::default()
        }
    }
}

/// The answer for a question (lowercased name, type).
pub type Script = Box<dyn Fn(&Name, RecordType) -> Reply + Send + Sync>;

pub struct ScriptedServer {
    pub address: SocketAddr,
    questions: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ScriptedServer {
    /// Binds `address` (ready once this returns) and answers with `script` until dropped.
    pub fn start(address: SocketAddr, script: Script) -> std::io::Result<ScriptedServer> {
        let socket = UdpSocket::bind(address)?;
        socket.set_read_timeout(Some(STOP_POLL))?;
        let address = socket.local_addr()?;
        let questions = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen, stopped) = (questions.clone(), stop.clone());
        let thread = thread::spawn(move || serve(&socket, &script, &seen, &stopped));
        Ok(ScriptedServer {
            address,
            questions,
            stop,
            thread: Some(thread),
        })
    }

    /// The questions received so far, as "name. TYPE" (lowercase name).
    pub fn questions(&self) -> Vec<String> {
        self.questions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// How many times "name. TYPE" was asked.
    pub fn times_asked(&self, question: &str) -> usize {
        self.questions()
            .iter()
            .filter(|asked| asked.as_str() == question)
            .count()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(socket: &UdpSocket, script: &Script, questions: &Mutex<Vec<String>>, stop: &AtomicBool) {
    let mut buffer = vec![0u8; RECEIVE_BUFFER];
    let mut served = 0;
    while served < MAX_QUERIES && !stop.load(Ordering::SeqCst) {
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
        let qname = question.name().to_lowercase();
        let qtype = question.query_type();
        questions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(format!("{qname} {qtype}"));
        let scripted = script(&qname, qtype);
        let mut reply = Message::new(query.metadata.id, MessageType::Response, OpCode::Query);
        reply.metadata.recursion_desired = query.metadata.recursion_desired;
        reply.metadata.response_code = scripted.rcode;
        reply.metadata.authoritative = scripted.authoritative;
        reply.queries = query.queries.clone();
        reply.answers = scripted.answers;
        reply.authorities = scripted.authorities;
        reply.additionals = scripted.additionals;
        if let Ok(bytes) = reply.to_vec() {
            let _ = socket.send_to(&bytes, client);
        }
    }
}

/// `text` as a name; the tests only write valid ones.
pub fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap_or_else(|error| panic!("{text}: {error}"))
}

/// An A or AAAA record.
pub fn address(owner: &Name, ttl: u32, address: IpAddr) -> Record {
    let data = match address {
        IpAddr::V4(v4) => RData::A(A(v4)),
        IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
    };
    Record::from_rdata(owner.clone(), ttl, data)
}

pub fn name_server(zone: &Name, ttl: u32, server: &Name) -> Record {
    Record::from_rdata(zone.clone(), ttl, RData::NS(NS(server.clone())))
}

/// `zone`'s SOA with the record TTL `ttl` and the MINIMUM field `minimum`.
pub fn start_of_authority(zone: &Name, ttl: u32, minimum: u32) -> Record {
    let soa = SOA::new(
        name_server_name(zone),
        Name::from_ascii("hostmaster.invalid.").unwrap_or_else(|_| Name::root()),
        1,
        7200,
        900,
        1_209_600,
        minimum,
    );
    Record::from_rdata(zone.clone(), ttl, RData::SOA(soa))
}

/// `ns.ZONE.`, the name server name the scripts give a zone.
pub fn name_server_name(zone: &Name) -> Name {
    name("ns")
        .append_domain(zone)
        .unwrap_or_else(|_| zone.clone())
}

/// A root server's own answers: `. NS` with its address as glue and its name's A; `None` for
/// any other question. `server_address` is where the server listens.
pub fn root_priming(qname: &Name, qtype: RecordType, server_address: IpAddr) -> Option<Reply> {
    let root = Name::root();
    let server = name_server_name(&root);
    if qname.is_root() && qtype == RecordType::NS {
        let mut reply = Reply::answer(vec![name_server(&root, LONG_TTL, &server)]);
        reply.additionals = vec![address(&server, LONG_TTL, server_address)];
        return Some(reply);
    }
    if *qname == server {
        return Some(if qtype == RecordType::A {
            Reply::answer(vec![address(&server, LONG_TTL, server_address)])
        } else {
            Reply::negative(
                ResponseCode::NoError,
                start_of_authority(&root, LONG_TTL, LONG_TTL),
            )
        });
    }
    None
}
