//! Test support: a scripted network (a table (server, qname, qtype) → canned reply) and a manual
//! clock it moves by the timeout when nobody answers. No sockets, no sleeping; test builds only.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, CNAME, NS, SOA};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::clock::{Clock, ManualClock};
use crate::config::{ResolverConfig, RootHint};
use crate::upstream::transport::{ExchangeFuture, Protocol, Transport, TransportError};
use crate::Resolver;

pub(crate) fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap()
}

pub(crate) fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

pub(crate) fn a(owner: &str, address: &str) -> Record {
    let IpAddr::V4(v4) = ip(address) else {
        panic!("not v4")
    };
    Record::from_rdata(name(owner), 3600, RData::A(A(v4)))
}

pub(crate) fn ns(owner: &str, target: &str) -> Record {
    Record::from_rdata(name(owner), 3600, RData::NS(NS(name(target))))
}

pub(crate) fn cname(owner: &str, target: &str) -> Record {
    Record::from_rdata(name(owner), 3600, RData::CNAME(CNAME(name(target))))
}

pub(crate) fn soa(owner: &str, minimum: u32) -> Record {
    Record::from_rdata(
        name(owner),
        3600,
        RData::SOA(SOA::new(name(owner), name(owner), 1, 1, 1, 1, minimum)),
    )
}

/// A canned reply: sections and flags; ID and question are copied from the query unless
/// `wrong_id` or `wrong_question` say otherwise.
#[derive(Clone, Default)]
pub(crate) struct Canned {
    pub authoritative: bool,
    pub rcode: ResponseCode,
    pub answers: Vec<Record>,
    pub authorities: Vec<Record>,
    pub additionals: Vec<Record>,
    pub truncated_over_udp: bool,
    /// With `truncated_over_udp`: the TC=1 reply still carries the records that fitted (a
    /// partial answer), not an empty message.
    pub partial_when_truncated: bool,
    /// Over TCP the server does not answer at all (with `truncated_over_udp`: TC and no TCP).
    pub silent_over_tcp: bool,
    /// Over UDP the server does not answer at all (a firewall dropping UDP, TCP open).
    pub silent_over_udp: bool,
    pub wrong_id: bool,
    /// The reply carries this question instead of the one asked.
    pub wrong_question: Option<Name>,
}

impl Canned {
    fn silent_over(&self, protocol: Protocol) -> bool {
        match protocol {
            Protocol::Udp => self.silent_over_udp,
            Protocol::Tcp => self.silent_over_tcp,
        }
    }
}

pub(crate) fn answer(records: Vec<Record>) -> Canned {
    Canned {
        authoritative: true,
        answers: records,
        ..Canned::default()
    }
}

pub(crate) fn referral(ns_records: Vec<Record>, glue: Vec<Record>) -> Canned {
    Canned {
        authorities: ns_records,
        additionals: glue,
        ..Canned::default()
    }
}

/// An error reply (REFUSED, SERVFAIL...) with nothing in it.
pub(crate) fn error_reply(rcode: ResponseCode) -> Canned {
    Canned {
        rcode,
        ..Canned::default()
    }
}

/// One query as the network saw it.
pub(crate) type Sent = (IpAddr, Name, RecordType, Protocol);

#[derive(Default)]
pub(crate) struct ScriptedNetwork {
    replies: HashMap<(IpAddr, Name, RecordType), Canned>,
    /// What a server answers to any question without its own entry.
    fallbacks: HashMap<IpAddr, Canned>,
    /// Replies that take over from `replies` once the clock reaches their time (a zone that
    /// changes, or turns hostile, while answers sit in the cache).
    later: HashMap<(IpAddr, Name, RecordType), (Duration, Canned)>,
    sent: Mutex<Vec<Sent>>,
    /// The RD bit of each query in `sent`, in the same order.
    recursion_desired: Mutex<Vec<bool>>,
    /// The resolver's clock: moved by the timeout whenever a query gets no reply, so the
    /// simulated time a resolution takes can be asserted.
    pub clock: Arc<ManualClock>,
}

impl ScriptedNetwork {
    pub(crate) fn on(
        &mut self,
        server: &str,
        qname: &str,
        qtype: RecordType,
        canned: Canned,
    ) -> &mut Self {
        self.replies
            .insert((ip(server), name(qname), qtype), canned);
        self
    }

    /// From virtual time `since` on, `server` answers (qname, qtype) with `canned`.
    pub(crate) fn on_from(
        &mut self,
        since: Duration,
        server: &str,
        qname: &str,
        qtype: RecordType,
        canned: Canned,
    ) -> &mut Self {
        self.later
            .insert((ip(server), name(qname), qtype), (since, canned));
        self
    }

    /// `server` answers `canned` to every question it has no entry for.
    pub(crate) fn on_anything(&mut self, server: &str, canned: Canned) -> &mut Self {
        self.fallbacks.insert(ip(server), canned);
        self
    }

    /// Changes every canned reply, fallbacks included (e.g. TC on every UDP reply).
    pub(crate) fn modify_every_reply(&mut self, change: impl Fn(&mut Canned)) {
        self.replies.values_mut().for_each(&change);
        self.fallbacks.values_mut().for_each(&change);
    }

    /// A copy of this network (replies and fallbacks, not what was sent, a clock of its own)
    /// where `server` never answers.
    pub(crate) fn without_server(&self, server: &str) -> ScriptedNetwork {
        let gone = ip(server);
        ScriptedNetwork {
            replies: self
                .replies
                .iter()
                .filter(|((address, ..), _)| *address != gone)
                .map(|(key, canned)| (key.clone(), canned.clone()))
                .collect(),
            fallbacks: self
                .fallbacks
                .iter()
                .filter(|(address, _)| **address != gone)
                .map(|(address, canned)| (*address, canned.clone()))
                .collect(),
            ..ScriptedNetwork::default()
        }
    }

    pub(crate) fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }

    /// Whether each query sent to `server` asked for recursion (RD=1), in order.
    pub(crate) fn recursion_desired_to(&self, server: &str) -> Vec<bool> {
        let flags = self.recursion_desired.lock().unwrap().clone();
        self.sent()
            .iter()
            .zip(flags)
            .filter(|((address, ..), _)| *address == ip(server))
            .map(|(_, flag)| flag)
            .collect()
    }

    pub(crate) fn sent_to(&self, server: &str) -> usize {
        self.sent()
            .iter()
            .filter(|(address, ..)| *address == ip(server))
            .count()
    }

    fn reply_for(&self, server: IpAddr, question: &Query) -> Option<&Canned> {
        let key = (server, question.name().clone(), question.query_type());
        if let Some((since, canned)) = self.later.get(&key) {
            if self.clock.now() >= *since {
                return Some(canned);
            }
        }
        self.replies
            .get(&key)
            .or_else(|| self.fallbacks.get(&server))
    }
}

impl Transport for ScriptedNetwork {
    fn exchange<'a>(
        &'a self,
        server: SocketAddr,
        protocol: Protocol,
        query: &'a [u8],
        timeout: Duration,
    ) -> ExchangeFuture<'a> {
        Box::pin(async move {
            let query = Message::from_vec(query)
                .map_err(|_| TransportError::Io(std::io::ErrorKind::InvalidData))?;
            let question = query
                .queries
                .first()
                .cloned()
                .ok_or(TransportError::Timeout)?;
            self.sent.lock().unwrap().push((
                server.ip(),
                question.name().clone(),
                question.query_type(),
                protocol,
            ));
            self.recursion_desired
                .lock()
                .unwrap()
                .push(query.metadata.recursion_desired);
            let canned = match self.reply_for(server.ip(), &question) {
                Some(canned) if !canned.silent_over(protocol) => canned,
                _ => {
                    self.clock.advance(timeout);
                    return Err(TransportError::Timeout);
                }
            };
            let id = if canned.wrong_id {
                query.metadata.id.wrapping_add(1)
            } else {
                query.metadata.id
            };
            let mut reply = Message::new(id, MessageType::Response, OpCode::Query);
            match &canned.wrong_question {
                Some(other) => reply
                    .queries
                    .push(Query::query(other.clone(), question.query_type())),
                None => reply.queries.push(question),
            }
            reply.metadata.authoritative = canned.authoritative;
            // RFC 1035 §4.1.1: RD is copied into the response.
            reply.metadata.recursion_desired = query.metadata.recursion_desired;
            reply.metadata.response_code = canned.rcode;
            let truncated = canned.truncated_over_udp && protocol == Protocol::Udp;
            reply.metadata.truncation = truncated;
            if !truncated || canned.partial_when_truncated {
                reply.answers = canned.answers.clone();
                reply.authorities = canned.authorities.clone();
                reply.additionals = canned.additionals.clone();
            }
            Ok(reply.to_vec().unwrap())
        })
    }
}

pub(crate) const ROOT: &str = "198.51.100.1";
pub(crate) const COM: &str = "198.51.100.2";
pub(crate) const NET: &str = "198.51.100.3";
pub(crate) const EXAMPLE_COM: &str = "198.51.100.4";
pub(crate) const EXAMPLE_NET: &str = "198.51.100.5";

/// Root (with priming), com. and net. servers delegating example.com and example.net.
pub(crate) fn internet() -> ScriptedNetwork {
    let mut network = ScriptedNetwork::default();
    network.on(
        ROOT,
        ".",
        RecordType::NS,
        Canned {
            authoritative: true,
            answers: vec![ns(".", "k.root-servers.net.")],
            additionals: vec![a("k.root-servers.net.", ROOT)],
            ..Canned::default()
        },
    );
    for qname in [
        "com.",
        "www.example.com.",
        "nx.example.com.",
        "example.com.",
        "ns.example.com.",
        "ns2.example.com.",
    ] {
        for qtype in [RecordType::A, RecordType::NS, RecordType::AAAA] {
            network.on(
                ROOT,
                qname,
                qtype,
                referral(vec![ns("com.", "a.gtld.com.")], vec![a("a.gtld.com.", COM)]),
            );
            network.on(
                COM,
                qname,
                qtype,
                referral(
                    vec![ns("example.com.", "ns.example.com.")],
                    vec![a("ns.example.com.", EXAMPLE_COM)],
                ),
            );
        }
    }
    for qname in [
        "net.",
        "www.example.net.",
        "ns.example.net.",
        "example.net.",
    ] {
        for qtype in [RecordType::A, RecordType::NS, RecordType::AAAA] {
            network.on(
                ROOT,
                qname,
                qtype,
                referral(vec![ns("net.", "a.gtld.net.")], vec![a("a.gtld.net.", NET)]),
            );
            network.on(
                NET,
                qname,
                qtype,
                referral(
                    vec![ns("example.net.", "ns.example.net.")],
                    vec![a("ns.example.net.", EXAMPLE_NET)],
                ),
            );
        }
    }
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        answer(vec![a("www.example.com.", "192.0.2.80")]),
    );
    network.on(
        EXAMPLE_NET,
        "www.example.net.",
        RecordType::A,
        answer(vec![a("www.example.net.", "192.0.2.81")]),
    );
    network.on(
        EXAMPLE_NET,
        "ns.example.net.",
        RecordType::A,
        answer(vec![a("ns.example.net.", EXAMPLE_NET)]),
    );
    network
}

pub(crate) fn config() -> ResolverConfig {
    ResolverConfig {
        root_hints: vec![RootHint {
            name: name("k.root-servers.net."),
            address: ip(ROOT),
        }],
        qname_minimisation: false,
        do_ip6: false,
        ..ResolverConfig::default()
    }
}

/// Both ways of asking: full query names, and RFC 9156 QNAME minimisation (the default).
pub(crate) fn modes() -> [ResolverConfig; 2] {
    [
        config(),
        ResolverConfig {
            qname_minimisation: true,
            ..config()
        },
    ]
}

pub(crate) struct Setup {
    pub network: Arc<ScriptedNetwork>,
    pub clock: Arc<ManualClock>,
    pub resolver: Resolver,
}

pub(crate) fn setup(network: ScriptedNetwork, config: ResolverConfig) -> Setup {
    let network = Arc::new(network);
    let clock = network.clock.clone();
    let resolver = Resolver::new(config, network.clone(), clock.clone() as Arc<dyn Clock>);
    Setup {
        network,
        clock,
        resolver,
    }
}

pub(crate) fn client_query(qname: &str, qtype: RecordType) -> Message {
    let mut query = Message::new(4242, MessageType::Query, OpCode::Query);
    query.metadata.recursion_desired = true;
    query.queries.push(Query::query(name(qname), qtype));
    query
}

pub(crate) fn addresses(response: &Message) -> Vec<Ipv4Addr> {
    response
        .answers
        .iter()
        .filter_map(|record| match &record.data {
            RData::A(address) => Some(address.0),
            _ => None,
        })
        .collect()
}
