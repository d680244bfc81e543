//! The resolver's network during a replay: answers each upstream query from the RANGE entries active
//! at the current step, or at a later REPLY/TIMEOUT/ERROR step (held in flight until the runner
//! reaches it, as testbound does); unmatched queries time out. Never touches a socket.

use std::future::Future;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use hickory_proto::op::Message;

use crate::replay::limits::{
    MAX_CHECKABLE_QUERIES, MAX_LOGGED_EXCHANGES, MAX_RECORDS_IN_MISMATCH,
    MAX_UPSTREAM_QUERIES_PER_SCENARIO,
};
use crate::replay::matcher::compare;
use crate::replay::mock_answer::mock_answer;
use crate::replay::scenario::{Entry, Scenario, StepKind};
use crate::upstream::transport::{ExchangeFuture, Protocol, Transport, TransportError};

/// Something the resolver did on the network that fails the scenario by itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetworkFailure {
    /// No RANGE lists this address (and the scenario has no REPLY steps that could answer it).
    UnservedAddress {
        step: u64,
        address: IpAddr,
        question: String,
    },
    /// A 127/8 or ::1 address other than the stub address, with do-not-query-localhost on.
    LoopbackQueried {
        step: u64,
        address: IpAddr,
        question: String,
    },
    UndecodableQuery {
        step: u64,
        address: IpAddr,
        reason: String,
    },
    /// A scenario entry that hickory cannot encode (a runner or scenario bug, reported as such).
    UnencodableAnswer {
        step: u64,
        entry_line: usize,
        reason: String,
    },
    TooManyQueries {
        step: u64,
    },
    /// A `MANDATORY` entry answered no query.
    MandatoryUnused {
        entry_line: usize,
    },
}

impl std::fmt::Display for NetworkFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetworkFailure::UnservedAddress {
                step,
                address,
                question,
            } => {
                write!(
                    f,
                    "step {step}: query {question} sent to {address}, which no RANGE serves"
                )
            }
            NetworkFailure::LoopbackQueried {
                step,
                address,
                question,
            } => {
                write!(f, "step {step}: query {question} sent to loopback {address} (do-not-query-localhost)")
            }
            NetworkFailure::UndecodableQuery {
                step,
                address,
                reason,
            } => {
                write!(
                    f,
                    "step {step}: undecodable query sent to {address}: {reason}"
                )
            }
            NetworkFailure::UnencodableAnswer {
                step,
                entry_line,
                reason,
            } => {
                write!(
                    f,
                    "step {step}: entry at line {entry_line} cannot be encoded: {reason}"
                )
            }
            NetworkFailure::MandatoryUnused { entry_line } => {
                write!(f, "MANDATORY entry at line {entry_line} answered no query")
            }
            NetworkFailure::TooManyQueries { step } => {
                write!(
                    f,
                    "step {step}: more than {MAX_UPSTREAM_QUERIES_PER_SCENARIO} upstream queries"
                )
            }
        }
    }
}

/// One upstream query and what the scripted network did with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExchangeRecord {
    pub step: u64,
    pub address: IpAddr,
    pub protocol: Protocol,
    /// `name TYPE` of the first question.
    pub question: String,
    pub outcome: ExchangeOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExchangeOutcome {
    /// Answered from the entry starting at this line.
    Answered { entry_line: usize },
    /// The matching entry says `do_not_answer`.
    Silent { entry_line: usize },
    /// No entry matched: the query is lost and times out, as in Deckard.
    Lost,
    /// The query itself failed the scenario (see `NetworkFailure`).
    Failed,
}

impl std::fmt::Display for ExchangeRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let protocol = match self.protocol {
            Protocol::Udp => "UDP",
            Protocol::Tcp => "TCP",
        };
        write!(
            f,
            "step {}: {} to {} over {protocol}: ",
            self.step, self.question, self.address
        )?;
        match self.outcome {
            ExchangeOutcome::Answered { entry_line } => {
                write!(f, "answered by entry at line {entry_line}")
            }
            ExchangeOutcome::Silent { entry_line } => {
                write!(f, "not answered (do_not_answer, line {entry_line})")
            }
            ExchangeOutcome::Lost => write!(f, "no entry matched, timed out"),
            ExchangeOutcome::Failed => write!(f, "failed the scenario"),
        }
    }
}

pub struct ScriptedTransport {
    scenario: Arc<Scenario>,
    stub_address: Option<IpAddr>,
    do_not_query_localhost: bool,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    step: u64,
    /// Indexed like `scenario.steps`: REPLY, TIMEOUT, ERROR and answering CHECK_OUT_QUERY steps
    /// already used (each handles one query).
    consumed: Vec<bool>,
    /// Lines of the entries that answered a query (for `MANDATORY`).
    used_entries: std::collections::HashSet<usize>,
    /// Upstream queries since the last client query, for CHECK_OUT_QUERY; `true` once checked.
    sent: Vec<(IpAddr, Protocol, Message, bool)>,
    queries_sent: usize,
    failures: Vec<NetworkFailure>,
    log: Vec<ExchangeRecord>,
    /// Exchanges held for a later step (`Delivery`), woken when the runner moves on.
    waiting: Vec<Waker>,
    /// Set by `choose_now` for the exchange being chosen: the step that delivers its outcome.
    deliver_at: Option<u64>,
    /// testbound, once a client query was sent at `step`: the next step, whose RANGEs answer
    /// (fake_event.c matches pending queries against the moment after the one that sent them).
    range_step: Option<u64>,
}

impl ScriptedTransport {
    pub fn new(
        scenario: Arc<Scenario>,
        stub_address: Option<IpAddr>,
        do_not_query_localhost: bool,
    ) -> Self {
        let consumed = vec![false; scenario.steps.len()];
        ScriptedTransport {
            scenario,
            stub_address,
            do_not_query_localhost,
            state: Mutex::new(State {
                consumed,
                ..State::default()
            }),
        }
    }

    /// Ranges are chosen by the step being executed (Deckard: the QUERY step's id); exchanges
    /// held for this step or an earlier one are now delivered.
    pub fn set_step(&self, step: u64) {
        let waiting = {
            let mut state = self.lock();
            state.step = step;
            state.range_step = None;
            std::mem::take(&mut state.waiting)
        };
        waiting.into_iter().for_each(Waker::wake);
    }

    /// A new client query starts: earlier upstream queries are no longer CHECK_OUT_QUERY's to check.
    /// In testbound the query's upstream queries wait for the next moment, whose RANGEs answer
    /// them (fake_event.c `run_scenario`: `pending_matches_range` after `do_moment_and_advance`);
    /// Deckard answers them from the RANGEs active at the QUERY step itself.
    pub fn start_client_query(&self) {
        let mut state = self.lock();
        state.sent.clear();
        if self.testbound() {
            let step = state.step;
            let next = self
                .scenario
                .steps
                .iter()
                .map(|s| s.id)
                .find(|id| *id > step);
            state.range_step = Some(next.unwrap_or(u64::MAX));
        }
    }

    /// An Unbound scenario (an unbound.conf `server:` header), replayed as testbound does.
    fn testbound(&self) -> bool {
        self.scenario
            .options
            .iter()
            .any(|option| option.clause == "server")
    }

    /// CHECK_OUT_QUERY: an upstream query since the last client query matches `entry` (and went to
    /// `address`, when given); it is marked checked. Otherwise, what was sent instead.
    pub fn check_sent(&self, entry: &Entry, address: Option<IpAddr>) -> Result<(), String> {
        let mut state = self.lock();
        let found = state
            .sent
            .iter_mut()
            .find(|(to, protocol, query, checked)| {
                !*checked
                    && address.is_none_or(|wanted| wanted == *to)
                    && compare(entry, query, Some(*protocol)).is_ok()
            });
        if let Some((_, _, _, checked)) = found {
            *checked = true;
            return Ok(());
        }
        let sent: Vec<String> = state
            .sent
            .iter()
            .take(MAX_RECORDS_IN_MISMATCH)
            .map(|(to, _, query, _)| format!("{} to {to}", describe_question(query)))
            .collect();
        Err(format!(
            "no upstream query matches the entry at line {} (sent: [{}])",
            entry.line,
            sent.join("; ")
        ))
    }

    /// `MANDATORY` entries of the RANGEs that answered nothing; called at the scenario's end.
    pub fn unused_mandatory_entries(&self) -> Vec<NetworkFailure> {
        let state = self.lock();
        self.scenario
            .ranges
            .iter()
            .flat_map(|range| &range.entries)
            .filter(|entry| entry.mandatory && !state.used_entries.contains(&entry.line))
            .map(|entry| NetworkFailure::MandatoryUnused {
                entry_line: entry.line,
            })
            .collect()
    }

    /// Failures recorded so far, oldest first; the runner fails the scenario on the first.
    pub fn failures(&self) -> Vec<NetworkFailure> {
        self.lock().failures.clone()
    }

    /// The first `MAX_LOGGED_EXCHANGES` upstream exchanges, in order.
    pub fn log(&self) -> Vec<ExchangeRecord> {
        self.lock().log.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn answer(
        &self,
        server: SocketAddr,
        protocol: Protocol,
        query_bytes: &[u8],
        timeout: Duration,
    ) -> (Result<Vec<u8>, TransportError>, Option<u64>) {
        let address = server.ip().to_canonical();
        let mut state = self.lock();
        let step = state.step;
        state.queries_sent = state.queries_sent.saturating_add(1);
        if state.queries_sent > MAX_UPSTREAM_QUERIES_PER_SCENARIO {
            if state.queries_sent == MAX_UPSTREAM_QUERIES_PER_SCENARIO + 1 {
                state.failures.push(NetworkFailure::TooManyQueries { step });
            }
            return (Err(TransportError::Timeout), None);
        }
        let query = match Message::from_vec(query_bytes) {
            Ok(query) => query,
            Err(error) => {
                let reason = error.to_string();
                state.failures.push(NetworkFailure::UndecodableQuery {
                    step,
                    address,
                    reason,
                });
                return (Err(TransportError::Timeout), None);
            }
        };
        let question = describe_question(&query);
        if state.sent.len() < MAX_CHECKABLE_QUERIES {
            state.sent.push((address, protocol, query.clone(), false));
        }
        let outgoing = Outgoing {
            step,
            address,
            protocol,
            timeout,
        };
        let (result, outcome, deliver_at) = self.choose(&mut state, &outgoing, &query, &question);
        if state.log.len() < MAX_LOGGED_EXCHANGES {
            state.log.push(ExchangeRecord {
                step,
                address,
                protocol,
                question,
                outcome,
            });
        }
        (result, deliver_at)
    }

    fn choose(
        &self,
        state: &mut State,
        outgoing: &Outgoing,
        query: &Message,
        question: &str,
    ) -> (
        Result<Vec<u8>, TransportError>,
        ExchangeOutcome,
        Option<u64>,
    ) {
        let (result, outcome) = self.choose_now(state, outgoing, query, question);
        let deliver_at = state.deliver_at.take();
        (result, outcome, deliver_at)
    }

    /// What answers `query`; a scripted step later than the current one notes itself in
    /// `state.deliver_at`.
    fn choose_now(
        &self,
        state: &mut State,
        outgoing: &Outgoing,
        query: &Message,
        question: &str,
    ) -> (Result<Vec<u8>, TransportError>, ExchangeOutcome) {
        let &Outgoing {
            step,
            address,
            protocol,
            timeout,
        } = outgoing;
        let lost = || (Err(TransportError::Timeout), ExchangeOutcome::Lost);
        let failed = || (Err(TransportError::Timeout), ExchangeOutcome::Failed);
        if self.do_not_query_localhost
            && address.is_loopback()
            && Some(address) != self.stub_address
        {
            let question = question.to_owned();
            state.failures.push(NetworkFailure::LoopbackQueried {
                step,
                address,
                question,
            });
            return failed();
        }
        let scenario = &self.scenario;
        let matches = |entry: &Entry| compare(entry, query, Some(protocol)).is_ok();
        let range_step = state.range_step.unwrap_or(step);
        let from_range = scenario
            .ranges
            .iter()
            .filter(|range| range.is_active_at(range_step) && range.serves(address))
            .flat_map(|range| &range.entries)
            .find(|entry| matches(entry));
        if from_range.is_some() && range_step > step {
            state.deliver_at = Some(range_step);
        }
        // What no RANGE answers goes to the first scripted event at or after the current step
        // (replay.h: a pending query is handled by the next REPLY, CHECK_OUT_QUERY with copy_id,
        // TIMEOUT or ERROR); a REPLY or CHECK_OUT_QUERY that does not match is passed over.
        let mut chosen = from_range;
        // replay.h: a REPLY step is the answer to the pending query, delivered to it by
        // testbound's fake network whatever ID its entry carries (no `ADJUST copy_id` needed).
        let mut answers_pending = false;
        if chosen.is_none() {
            for (index, scripted) in scenario.steps.iter().enumerate() {
                if scripted.id < step || state.consumed.get(index).copied().unwrap_or(true) {
                    continue;
                }
                let to_this_address = scripted.address.is_none_or(|wanted| wanted == address);
                let event = match &scripted.kind {
                    StepKind::Reply(entry) if to_this_address && matches(entry) => Some(Ok(entry)),
                    StepKind::CheckOutQuery(entry)
                        if entry.adjust.copy_id && to_this_address && matches(entry) =>
                    {
                        Some(Ok(entry))
                    }
                    StepKind::Timeout => Some(Err(TransportError::Timeout)),
                    StepKind::Error => Some(Err(TransportError::Io(ErrorKind::ConnectionRefused))),
                    _ => None,
                };
                let Some(event) = event else { continue };
                if let Some(used) = state.consumed.get_mut(index) {
                    *used = true;
                }
                // replay.h: the event happens at its own step; until then the query is in flight.
                if scripted.id > step {
                    state.deliver_at = Some(scripted.id);
                }
                match event {
                    Ok(entry) => {
                        answers_pending = matches!(scripted.kind, StepKind::Reply(_));
                        chosen = Some(entry)
                    }
                    Err(error) => return (Err(error), ExchangeOutcome::Lost),
                }
                break;
            }
        }
        if chosen.is_none() {
            // testbound keeps a query nothing answers pending, and answers it from the ranges of
            // each later moment (fake_event.c): a range that starts later answers it then.
            let later = scenario
                .steps
                .iter()
                .map(|scripted| scripted.id)
                .filter(|id| *id > step)
                .find_map(|id| {
                    scenario
                        .ranges
                        .iter()
                        .filter(|range| range.is_active_at(id) && range.serves(address))
                        .flat_map(|range| &range.entries)
                        .find(|entry| matches(entry))
                        .map(|entry| (id, entry))
                });
            if let Some((id, entry)) = later {
                state.deliver_at = Some(id);
                chosen = Some(entry);
            }
        }
        let Some(entry) = chosen else {
            let has_scripted_events = scenario.steps.iter().any(|scripted| {
                matches!(
                    scripted.kind,
                    StepKind::Reply(_)
                        | StepKind::CheckOutQuery(_)
                        | StepKind::Timeout
                        | StepKind::Error
                )
            });
            if has_scripted_events || scenario.ranges.iter().any(|range| range.serves(address)) {
                return lost();
            }
            let question = question.to_owned();
            state.failures.push(NetworkFailure::UnservedAddress {
                step,
                address,
                question,
            });
            return failed();
        };
        // testpkts `sleep=`: a reply later than the query's timeout is, to the resolver, none.
        let delay = entry
            .adjust
            .sleep_seconds
            .saturating_add(entry.adjust.packet_sleep_seconds);
        if delay > 0 && Duration::from_secs(u64::from(delay)) >= timeout {
            return (
                Err(TransportError::Timeout),
                ExchangeOutcome::Silent {
                    entry_line: entry.line,
                },
            );
        }
        let entry_line = entry.line;
        state.used_entries.insert(entry_line);
        match mock_answer(entry, query) {
            None => (
                Err(TransportError::Timeout),
                ExchangeOutcome::Silent { entry_line },
            ),
            Some(Ok(mut bytes)) => {
                // testbound hands a RANGE's answer to the query's callback too, never checking
                // the ID (fake_event.c), so an Unbound scenario (an unbound.conf `server:`
                // header) may leave out `ADJUST copy_id`, its HEX_ANSWER bytes included
                // (iter_svcb_malformed); Deckard sends real packets, checked.
                if self.testbound() || (answers_pending && entry.raw.is_none()) {
                    if let Some(id) = bytes.get_mut(..2) {
                        id.copy_from_slice(&query.metadata.id.to_be_bytes());
                    }
                }
                (Ok(bytes), ExchangeOutcome::Answered { entry_line })
            }
            Some(Err(error)) => {
                let reason = error.to_string();
                state.failures.push(NetworkFailure::UnencodableAnswer {
                    step,
                    entry_line,
                    reason,
                });
                failed()
            }
        }
    }
}

/// One upstream query as the transport received it: when, where to, how, and its timeout.
struct Outgoing {
    step: u64,
    address: IpAddr,
    protocol: Protocol,
    timeout: Duration,
}

fn describe_question(query: &Message) -> String {
    query
        .queries
        .first()
        .map(|asked| format!("{} {}", asked.name(), asked.query_type()))
        .unwrap_or_else(|| "(no question)".to_owned())
}

impl Transport for ScriptedTransport {
    fn exchange<'a>(
        &'a self,
        server: SocketAddr,
        protocol: Protocol,
        query: &'a [u8],
        timeout: Duration,
    ) -> ExchangeFuture<'a> {
        match self.answer(server, protocol, query, timeout) {
            (result, None) => Box::pin(std::future::ready(result)),
            (result, Some(step)) => Box::pin(Delivery {
                transport: self,
                step,
                result: Some(result),
            }),
        }
    }
}

/// An exchange whose outcome a later step scripts: pending until the runner reaches `step`.
struct Delivery<'a> {
    transport: &'a ScriptedTransport,
    step: u64,
    result: Option<Result<Vec<u8>, TransportError>>,
}

impl Future for Delivery<'_> {
    type Output = Result<Vec<u8>, TransportError>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        {
            let mut state = self.transport.lock();
            if state.step < self.step {
                if !state
                    .waiting
                    .iter()
                    .any(|known| known.will_wake(context.waker()))
                {
                    state.waiting.push(context.waker().clone());
                }
                return Poll::Pending;
            }
        }
        Poll::Ready(self.result.take().unwrap_or(Err(TransportError::Timeout)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::parser::parse_str;
    use crate::replay::record_text::parse_question;
    use hickory_proto::op::Message;
    use hickory_proto::rr::RecordType;
    use std::path::Path;

    const SCENARIO: &str = "\
stub-addr: 193.0.14.129
CONFIG_END
SCENARIO_BEGIN transport test
RANGE_BEGIN 0 10
\tADDRESS 193.0.14.129
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST copy_id
REPLY QR AA NOERROR
SECTION QUESTION
. IN NS
SECTION ANSWER
. IN NS K.ROOT-SERVERS.NET.
ENTRY_END
RANGE_END
RANGE_BEGIN 20 30
\tADDRESS 193.0.14.129
ENTRY_BEGIN
MATCH opcode qtype qname
ADJUST copy_id
REPLY QR AA SERVFAIL
SECTION QUESTION
. IN NS
ENTRY_END
RANGE_END
STEP 1 QUERY
ENTRY_BEGIN
SECTION QUESTION
. IN NS
ENTRY_END
STEP 5 REPLY
ENTRY_BEGIN
MATCH qname
REPLY QR NXDOMAIN
SECTION QUESTION
once.example. IN A
ENTRY_END
SCENARIO_END
";

    fn transport() -> ScriptedTransport {
        let scenario = parse_str("t", Path::new("t.rpl"), SCENARIO).unwrap();
        let stub = "193.0.14.129".parse().ok();
        ScriptedTransport::new(Arc::new(scenario), stub, true)
    }

    fn ask(
        transport: &ScriptedTransport,
        address: &str,
        question: &str,
    ) -> Result<Message, TransportError> {
        let mut query = Message::query();
        query.metadata.id = 99;
        query.add_query(parse_question(question).unwrap());
        let bytes = query.to_vec().unwrap();
        let server = SocketAddr::new(address.parse().unwrap(), 53);
        let future = transport.exchange(server, Protocol::Udp, &bytes, Duration::from_secs(1));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime
            .block_on(future)
            .map(|reply| Message::from_vec(&reply).unwrap())
    }

    /// A RANGE that begins at step 10, and nothing before it.
    const LATER_RANGE: &str = "server:
CONFIG_END
SCENARIO_BEGIN later range
RANGE_BEGIN 10 20
\tADDRESS 192.0.2.1
ENTRY_BEGIN
MATCH opcode qtype qname
REPLY QR AA NOERROR
SECTION QUESTION
a. IN A
SECTION ANSWER
a. IN A 192.0.2.7
ENTRY_END
RANGE_END
STEP 1 QUERY
ENTRY_BEGIN
SECTION QUESTION
a. IN A
ENTRY_END
STEP 15 CHECK_ANSWER
ENTRY_BEGIN
MATCH qname
SECTION QUESTION
a. IN A
ENTRY_END
SCENARIO_END
";

    #[test]
    fn a_query_to_an_address_whose_range_begins_later_waits_for_it() {
        let scenario = parse_str("t", Path::new("t.rpl"), LATER_RANGE).unwrap();
        let transport = ScriptedTransport::new(Arc::new(scenario), None, false);
        transport.set_step(1);
        let mut query = Message::query();
        query.metadata.id = 7;
        query.add_query(parse_question("a. IN A").unwrap());
        let bytes = query.to_vec().unwrap();
        let server = SocketAddr::new("192.0.2.1".parse().unwrap(), 53);
        let mut future = transport.exchange(server, Protocol::Udp, &bytes, Duration::from_secs(1));
        let mut context = Context::from_waker(Waker::noop());
        assert!(future.as_mut().poll(&mut context).is_pending());
        transport.set_step(15);
        let Poll::Ready(reply) = future.as_mut().poll(&mut context) else {
            panic!("still held at step 15")
        };
        let reply = Message::from_vec(&reply.unwrap()).unwrap();
        // testbound: the answer takes the query's ID whatever the entry says.
        assert_eq!((reply.metadata.id, reply.answers.len()), (7, 1));
    }

    /// An Unbound scenario whose RANGEs change at step 10 (iter_ghost_timewindow's shape).
    const WINDOW_CHANGE: &str = "server:
CONFIG_END
SCENARIO_BEGIN window change
RANGE_BEGIN 0 10
\tADDRESS 192.0.2.1
ENTRY_BEGIN
MATCH opcode qtype qname
REPLY QR AA NOERROR
SECTION QUESTION
a. IN A
SECTION ANSWER
a. IN A 192.0.2.7
ENTRY_END
RANGE_END
RANGE_BEGIN 10 20
\tADDRESS 192.0.2.1
ENTRY_BEGIN
MATCH opcode qtype qname
REPLY QR AA NXDOMAIN
SECTION QUESTION
a. IN A
ENTRY_END
RANGE_END
STEP 10 QUERY
ENTRY_BEGIN
SECTION QUESTION
a. IN A
ENTRY_END
STEP 15 CHECK_ANSWER
ENTRY_BEGIN
MATCH qname
SECTION QUESTION
a. IN A
ENTRY_END
SCENARIO_END
";

    #[test]
    fn testbound_answers_a_client_query_from_the_next_moments_ranges() {
        let scenario = parse_str("t", Path::new("t.rpl"), WINDOW_CHANGE).unwrap();
        let transport = ScriptedTransport::new(Arc::new(scenario), None, false);
        transport.set_step(10);
        transport.start_client_query();
        let mut query = Message::query();
        query.add_query(parse_question("a. IN A").unwrap());
        let bytes = query.to_vec().unwrap();
        let server = SocketAddr::new("192.0.2.1".parse().unwrap(), 53);
        let mut future = transport.exchange(server, Protocol::Udp, &bytes, Duration::from_secs(1));
        let mut context = Context::from_waker(Waker::noop());
        assert!(future.as_mut().poll(&mut context).is_pending());
        transport.set_step(15);
        let Poll::Ready(reply) = future.as_mut().poll(&mut context) else {
            panic!("still held at step 15")
        };
        let reply = Message::from_vec(&reply.unwrap()).unwrap();
        // Both RANGEs cover step 10; testbound answers from step 15's, the later one.
        assert_eq!(
            reply.metadata.response_code,
            hickory_proto::op::ResponseCode::NXDomain
        );
    }

    #[test]
    fn the_range_active_at_the_current_step_answers() {
        let transport = transport();
        transport.set_step(1);
        let reply = ask(&transport, "193.0.14.129", ". IN NS").unwrap();
        assert_eq!(reply.metadata.id, 99);
        assert_eq!(reply.answers[0].record_type(), RecordType::NS);
        transport.set_step(25);
        let reply = ask(&transport, "193.0.14.129", ". IN NS").unwrap();
        assert_eq!(
            reply.metadata.response_code,
            hickory_proto::op::ResponseCode::ServFail
        );
        assert!(transport.failures().is_empty());
    }

    #[test]
    fn an_unmatched_query_times_out_and_is_remembered() {
        let transport = transport();
        transport.set_step(1);
        assert_eq!(
            ask(&transport, "193.0.14.129", "example. IN A").unwrap_err(),
            TransportError::Timeout
        );
        transport.set_step(15);
        assert_eq!(
            ask(&transport, "193.0.14.129", ". IN NS").unwrap_err(),
            TransportError::Timeout
        );
        assert!(transport.failures().is_empty());
        let log = transport.log();
        assert_eq!(log.len(), 2);
        assert!(log
            .iter()
            .all(|exchange| exchange.outcome == ExchangeOutcome::Lost));
        assert_eq!(
            log[1].to_string(),
            "step 15: . NS to 193.0.14.129 over UDP: no entry matched, timed out"
        );
    }

    #[test]
    fn a_reply_step_answers_once_when_no_range_does() {
        let transport = transport();
        transport.set_step(5);
        let reply = ask(&transport, "192.0.2.1", "once.example. IN A").unwrap();
        assert_eq!(
            reply.metadata.response_code,
            hickory_proto::op::ResponseCode::NXDomain
        );
        // The pending query's answer, though its entry has no `ADJUST copy_id` (testbound).
        assert_eq!(reply.metadata.id, 99);
        assert!(ask(&transport, "192.0.2.1", "once.example. IN A").is_err());
        assert!(
            transport.failures().is_empty(),
            "REPLY steps make every address answerable"
        );
    }

    #[test]
    fn a_reply_scripted_for_a_later_step_is_held_until_the_runner_reaches_it() {
        use std::task::{Context, Poll, Waker};
        let transport = transport();
        transport.set_step(1);
        let mut query = Message::query();
        query.add_query(parse_question("once.example. IN A").unwrap());
        let bytes = query.to_vec().unwrap();
        let server = SocketAddr::new("192.0.2.1".parse().unwrap(), 53);
        let mut exchange =
            transport.exchange(server, Protocol::Udp, &bytes, Duration::from_secs(1));
        let mut context = Context::from_waker(Waker::noop());
        assert!(exchange.as_mut().poll(&mut context).is_pending());
        transport.set_step(4);
        assert!(exchange.as_mut().poll(&mut context).is_pending());
        transport.set_step(5);
        let Poll::Ready(Ok(reply)) = exchange.as_mut().poll(&mut context) else {
            panic!("delivered at step 5")
        };
        assert_eq!(
            Message::from_vec(&reply).unwrap().metadata.response_code,
            hickory_proto::op::ResponseCode::NXDomain
        );
    }

    #[test]
    fn queries_to_unserved_or_loopback_addresses_fail_the_scenario() {
        let scenario = parse_str(
            "t",
            Path::new("t.rpl"),
            &SCENARIO.replace("STEP 5 REPLY", "STEP 5 CHECK_ANSWER"),
        )
        .unwrap();
        let transport =
            ScriptedTransport::new(Arc::new(scenario), "193.0.14.129".parse().ok(), true);
        transport.set_step(1);
        assert!(ask(&transport, "192.0.2.1", "a. IN A").is_err());
        assert!(ask(&transport, "127.0.0.2", "a. IN A").is_err());
        let failures = transport.failures();
        assert!(
            matches!(failures[0], NetworkFailure::UnservedAddress { step: 1, .. }),
            "{failures:?}"
        );
        assert!(
            matches!(failures[1], NetworkFailure::LoopbackQueried { step: 1, .. }),
            "{failures:?}"
        );
        assert_eq!(
            failures[0].to_string(),
            "step 1: query a. A sent to 192.0.2.1, which no RANGE serves"
        );
    }
}
