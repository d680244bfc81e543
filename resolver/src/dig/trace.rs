//! `+trace`: runs the resolver library's own iterative walk and shows every upstream reply as dig
//! +trace does (records, then `;; Received N bytes from addr#port(name) in T ms`). The resolver's
//! production transport is wrapped in a recorder; the walk itself is the resolver's, never re-implemented here.

use std::collections::HashMap;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RData};

use crate::clock::SystemClock;
use crate::config::{ResolverConfig, RootHint};
use crate::dig::args::{AddressFamily, Lookup};
use crate::dig::error::DigError;
use crate::dig::exchange::{address_text, failure_text, Reply};
use crate::dig::json::reply_value;
use crate::dig::limits::{MAX_ROOT_HINTS_FILE_BYTES, MAX_TRACE_STEPS};
use crate::dig::presentation::{name_text, rcode_text, record_line};
use crate::dig::report::command_text;
use crate::iterate::root_hints::{builtin_root_hints, read_root_hints_file};
use crate::upstream::transport::{ExchangeFuture, Protocol, Transport, TransportError};
use crate::upstream::udp_tcp_transport::UdpTcpTransport;
use crate::Resolver;

/// One upstream exchange the resolver made during the walk.
#[derive(Debug, Clone)]
pub enum TraceStep {
    Received(Box<Reply>),
    Failed {
        server: SocketAddr,
        error: TransportError,
    },
}

/// A `Transport` that forwards to the real one and keeps a copy of every exchange, in order.
pub struct RecordingTransport {
    inner: Arc<dyn Transport>,
    steps: Mutex<Vec<TraceStep>>,
}

impl RecordingTransport {
    pub fn new(inner: Arc<dyn Transport>) -> Self {
        RecordingTransport {
            inner,
            steps: Mutex::new(Vec::new()),
        }
    }

    /// The exchanges so far.
    pub fn steps(&self) -> Vec<TraceStep> {
        self.steps
            .lock()
            .map(|steps| steps.clone())
            .unwrap_or_default()
    }

    fn record(&self, step: TraceStep) {
        if let Ok(mut steps) = self.steps.lock() {
            // The resolver bounds its own sends; this bound only keeps the printout finite.
            if steps.len() < MAX_TRACE_STEPS {
                steps.push(step);
            }
        }
    }
}

impl Transport for RecordingTransport {
    fn exchange<'a>(
        &'a self,
        server: SocketAddr,
        protocol: Protocol,
        query: &'a [u8],
        timeout: Duration,
    ) -> ExchangeFuture<'a> {
        Box::pin(async move {
            let started = Instant::now();
            let result = self.inner.exchange(server, protocol, query, timeout).await;
            match &result {
                Ok(bytes) => {
                    if let Ok(message) = Message::from_vec(bytes) {
                        self.record(TraceStep::Received(Box::new(Reply {
                            message,
                            size: bytes.len(),
                            server,
                            protocol,
                            elapsed: started.elapsed(),
                            received_at: SystemTime::now(),
                            client_cookie: None,
                            transport_name: crate::dig::report::protocol_text(protocol),
                            edns_sent: false,
                            dnssec_sent: false,
                            tsig_failure: None,
                            malformed: None,
                        })));
                    }
                }
                Err(error) => self.record(TraceStep::Failed {
                    server,
                    error: error.clone(),
                }),
            }
            result
        })
    }
}

/// The hints the walk starts from: `+roots=FILE` (named.root format) or the built-in IANA list.
fn root_hints(lookup: &Lookup) -> Result<Vec<RootHint>, DigError> {
    let Some(path) = &lookup.options.roots_file else {
        return Ok(builtin_root_hints());
    };
    let error = |reason: String| DigError::RootHints {
        path: path.clone(),
        reason,
    };
    let size = std::fs::metadata(path)
        .map_err(|failure| error(failure.to_string()))?
        .len();
    if size > MAX_ROOT_HINTS_FILE_BYTES {
        return Err(error(format!(
            "larger than {MAX_ROOT_HINTS_FILE_BYTES} bytes"
        )));
    }
    read_root_hints_file(Path::new(path)).map_err(|failure| error(failure.to_string()))
}

/// Resolver settings for a trace: the user's hints, family and port; loopback allowed because the
/// user chose the servers.
fn trace_config(lookup: &Lookup, hints: Vec<RootHint>) -> ResolverConfig {
    ResolverConfig {
        root_hints: hints,
        do_ip4: lookup.family != AddressFamily::V6,
        do_ip6: lookup.family != AddressFamily::V4,
        allow_loopback_upstream: true,
        upstream_port: (lookup.port != 53).then_some(lookup.port),
        ..ResolverConfig::default()
    }
}

/// Remembers which server name each address belongs to, for the `(name)` in `;; Received`.
fn learn_server_names(names: &mut HashMap<IpAddr, String>, message: &Message) {
    for record in message.answers.iter().chain(&message.additionals) {
        let address = match &record.data {
            RData::A(a) => IpAddr::V4(a.0),
            RData::AAAA(aaaa) => IpAddr::V6(aaaa.0),
            _ => continue,
        };
        names
            .entry(address)
            .or_insert_with(|| name_text(&record.name));
    }
}

/// dig +trace's text for one step.
fn step_text(step: &TraceStep, names: &HashMap<IpAddr, String>) -> String {
    match step {
        TraceStep::Received(reply) => {
            let mut text = String::new();
            for record in reply
                .message
                .answers
                .iter()
                .chain(&reply.message.authorities)
            {
                text.push_str(&record_line(record));
                text.push('\n');
            }
            let label = names
                .get(&reply.server.ip())
                .cloned()
                .unwrap_or_else(|| reply.server.ip().to_string());
            text.push_str(&format!(
                ";; Received {} bytes from {}({label}) in {} ms\n\n",
                reply.size,
                address_text(reply.server),
                reply.elapsed.as_millis()
            ));
            text
        }
        TraceStep::Failed { server, error } => {
            format!(
                ";; communications error to {}: {}\n",
                address_text(*server),
                failure_text(error)
            )
        }
    }
}

/// Runs the resolver's walk for the lookup's question and prints each upstream reply.
pub async fn run_trace(
    lookup: &Lookup,
    name: Name,
    command_line: &str,
    out: &mut dyn Write,
) -> Result<(), DigError> {
    let display = &lookup.options.display;
    let hints = root_hints(lookup)?;
    let recorder = Arc::new(RecordingTransport::new(Arc::new(UdpTcpTransport::new())));
    let resolver = Resolver::new(
        trace_config(lookup, hints.clone()),
        recorder.clone(),
        Arc::new(SystemClock::new()),
    );
    let mut request = Message::query();
    request.metadata.id = rand::random::<u16>();
    request.metadata.recursion_desired = true;
    let mut query = Query::query(name, lookup.effective_type());
    query.set_query_class(lookup.class);
    request.add_query(query);
    let response = resolver.resolve(&request).await;

    let mut names: HashMap<IpAddr, String> = hints
        .iter()
        .map(|hint| (hint.address, name_text(&hint.name)))
        .collect();
    let steps = recorder.steps();
    if !display.json && display.cmd {
        let _ = write!(out, "{}", command_text(command_line, None, true));
        let source = lookup
            .options
            .roots_file
            .as_deref()
            .unwrap_or("built-in IANA root hints");
        let _ = writeln!(out, ";; Root hints: {source}");
    }
    for step in &steps {
        if display.json {
            if let TraceStep::Received(reply) = step {
                let _ = writeln!(out, "{}", reply_value(reply).pretty());
            }
        } else {
            let _ = write!(out, "{}", step_text(step, &names));
        }
        if let TraceStep::Received(reply) = step {
            learn_server_names(&mut names, &reply.message);
        }
    }
    if !steps
        .iter()
        .any(|step| matches!(step, TraceStep::Received(_)))
    {
        let _ = writeln!(out, ";; {}", DigError::NoReply);
        return Err(DigError::NoReply);
    }
    if !display.json && display.comments {
        let _ = writeln!(
            out,
            ";; Resolution result: {}",
            rcode_text(response.metadata.response_code)
        );
    }
    Ok(())
}
