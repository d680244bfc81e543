//! A scripted UDP name server for the e2e tests: each query is answered (or dropped) by the test's
//! script and recorded; plus the small reply and record makers the scripts are written with.
//!
//! One std thread per server, bounded in queries, stopped and joined on drop. No TCP listener: a
//! TCP query to its address is refused at once (the truncation tests rely on that).

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::opt::EdnsOption;
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

/// The test's answer to one query; `None` drops it (no reply at all).
pub type Script = Box<dyn Fn(&Message) -> Option<Message> + Send>;

/// EDNS options as received: (code, data) each; data is empty for options hickory decodes itself.
pub type EdnsOptions = Vec<(u16, Vec<u8>)>;

/// One query as received: its question ("name. TYPE", name lowercased), whether it had EDNS, and
/// its EDNS options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub question: String,
    pub edns: bool,
    pub edns_options: EdnsOptions,
}

/// The server could not bind or set up its socket at `address`.
#[derive(Debug)]
pub struct ScriptedServerError {
    pub address: SocketAddr,
    pub error: io::Error,
}

impl fmt::Display for ScriptedServerError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "scripted server at {}: {}",
            self.address, self.error
        )
    }
}

impl std::error::Error for ScriptedServerError {}

#[derive(Default)]
struct Observed {
    queries: Mutex<Vec<Seen>>,
    stop: AtomicBool,
}

/// A running scripted server; stops when dropped.
pub struct ScriptedServer {
    pub address: SocketAddr,
    observed: Arc<Observed>,
    thread: Option<JoinHandle<()>>,
}

impl ScriptedServer {
    /// Binds `address` (port 0 allowed; ready once this returns) and serves until dropped.
    pub fn start(
        address: SocketAddr,
        script: Script,
    ) -> Result<ScriptedServer, ScriptedServerError> {
        let failed = |error| ScriptedServerError { address, error };
        let socket = UdpSocket::bind(address).map_err(failed)?;
        socket.set_read_timeout(Some(STOP_POLL)).map_err(failed)?;
        let address = socket.local_addr().map_err(failed)?;
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

    /// The questions received so far, as "name. TYPE" (lowercase name).
    pub fn questions(&self) -> Vec<String> {
        self.seen().into_iter().map(|seen| seen.question).collect()
    }

    /// How many times "name. TYPE" was asked.
    pub fn times_asked(&self, question: &str) -> usize {
        self.seen()
            .iter()
            .filter(|seen| seen.question == question)
            .count()
    }

    /// The EDNS options of every query received (empty for a query without EDNS).
    pub fn edns_options(&self) -> Vec<EdnsOptions> {
        self.seen()
            .into_iter()
            .map(|seen| seen.edns_options)
            .collect()
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
        let Some(seen) = seen_of(&query) else {
            continue;
        };
        observed
            .queries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(seen);
        if let Some(reply) = script(&query) {
            if let Ok(bytes) = reply.to_vec() {
                let _ = socket.send_to(&bytes, client);
            }
        }
    }
}

/// What is recorded of `query`; `None` for a query without a question.
fn seen_of(query: &Message) -> Option<Seen> {
    let question = query.queries.first()?;
    let edns_options = query
        .edns
        .as_ref()
        .map(|edns| {
            edns.options()
                .as_ref()
                .iter()
                .map(|(code, option)| {
                    let data = match option {
                        EdnsOption::Unknown(_, data) => data.clone(),
                        _ => Vec::new(),
                    };
                    (u16::from(*code), data)
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Seen {
        question: format!(
            "{} {}",
            question.name().to_lowercase(),
            question.query_type()
        ),
        edns: query.edns.is_some(),
        edns_options,
    })
}

/// What a server sends back for one question, for scripts written per question (`by_question`).
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

    /// This reply as the answer to `query`: its ID and question, no EDNS.
    pub fn into_message(self, query: &Message) -> Message {
        let mut reply = reply_to(query, self.rcode);
        reply.metadata.authoritative = self.authoritative;
        reply.answers = self.answers;
        reply.authorities = self.authorities;
        reply.additionals = self.additionals;
        reply
    }
}

/// A script that answers every query from its question (lowercased name, type) alone.
pub fn by_question(script: impl Fn(&Name, RecordType) -> Reply + Send + 'static) -> Script {
    Box::new(move |query| {
        let (qname, qtype) = question_of(query);
        Some(script(&qname, qtype).into_message(query))
    })
}

/// `text` as a name; the tests only write valid ones.
pub fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap_or_else(|error| panic!("{text}: {error}"))
}

/// The question's name, lowercased, and type; the root and type A for a query without one.
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

/// An A or AAAA record (by `address`'s family).
pub fn address(owner: &Name, ttl: u32, address: IpAddr) -> Record {
    let data = match address {
        IpAddr::V4(v4) => RData::A(A(v4)),
        IpAddr::V6(v6) => RData::AAAA(AAAA(v6)),
    };
    Record::from_rdata(owner.clone(), ttl, data)
}

/// An A or AAAA record with `LONG_TTL`.
pub fn address_record(owner: Name, ip: IpAddr) -> Record {
    address(&owner, LONG_TTL, ip)
}

/// `zone NS server`.
pub fn name_server(zone: &Name, ttl: u32, server: &Name) -> Record {
    Record::from_rdata(zone.clone(), ttl, RData::NS(NS(server.clone())))
}

/// `ns.ZONE.`, the name server name the per-question scripts give a zone.
pub fn name_server_name(zone: &Name) -> Name {
    name("ns")
        .append_domain(zone)
        .unwrap_or_else(|_| zone.clone())
}

/// `zone`'s SOA with the record TTL `ttl` and the MINIMUM field `minimum`.
pub fn start_of_authority(zone: &Name, ttl: u32, minimum: u32) -> Record {
    let soa = SOA::new(
        name_server_name(zone),
        name("hostmaster.invalid."),
        1,
        7200,
        900,
        1_209_600,
        minimum,
    );
    Record::from_rdata(zone.clone(), ttl, RData::SOA(soa))
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
    reply
        .answers
        .push(name_server(&Name::root(), LONG_TTL, &name(server)));
    reply
        .additionals
        .push(address_record(name(server), address));
    reply
}

/// A referral for `zone` to `servers`, each a name and its glue addresses.
pub fn referral(query: &Message, zone: &str, servers: &[(&str, &[IpAddr])]) -> Message {
    let mut reply = reply_to(query, ResponseCode::NoError);
    for (server, addresses) in servers {
        reply
            .authorities
            .push(name_server(&name(zone), LONG_TTL, &name(server)));
        for address in *addresses {
            reply
                .additionals
                .push(address_record(name(server), *address));
        }
    }
    reply
}

/// A root server's own answers, per question: `. NS` naming `ns.` with `server_address` as glue,
/// and `ns.`'s A; `None` for any other question.
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
