//! One exchange with one upstream server: build the query (random ID, EDNS0), send it, check
//! the reply is ours, retry over TCP on TC=1 and without EDNS on FORMERR/NOTIMP.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::op::{Message, Query, ResponseCode};

use crate::clock::Clock;
use crate::iterate::budget::Budget;
use crate::limits::UPSTREAM_QUERY_TIMEOUT;
use crate::scrub::scrubber::{check_reply_matches, ReplyMismatch};
use crate::upstream::query_bytes::{encode_query, ExtraOption};
use crate::upstream::transport::{Protocol, Transport, TransportError};

/// Why an exchange gave no usable reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExchangeFailure {
    /// No reply in time over this protocol.
    Timeout(Protocol),
    Network(std::io::ErrorKind),
    Malformed,
    Mismatch(ReplyMismatch),
    BudgetExhausted,
}

impl std::fmt::Display for ExchangeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExchangeFailure::Timeout(protocol) => write!(f, "timed out over {protocol:?}"),
            ExchangeFailure::Network(kind) => write!(f, "network error: {kind}"),
            ExchangeFailure::Malformed => write!(f, "malformed reply"),
            ExchangeFailure::Mismatch(mismatch) => write!(f, "reply not ours: {mismatch}"),
            ExchangeFailure::BudgetExhausted => write!(f, "query budget exhausted"),
        }
    }
}

/// A reply that passed the anti-spoofing checks, and how long it took.
pub struct UpstreamReply {
    pub message: Message,
    pub round_trip: Duration,
    /// The protocol that brought the reply.
    pub protocol: Protocol,
}

/// Sends `question` to `server` over `first_protocol` (UDP unless the infra cache says the
/// server needs TCP), then TCP when truncated; EDNS0 (with `extra` as an option) unless the
/// server rejects it. Every send counts against `budget`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn exchange(
    transport: &dyn Transport,
    clock: &dyn Clock,
    budget: &Budget,
    server: SocketAddr,
    question: &Query,
    recursion_desired: bool,
    first_protocol: Protocol,
    extra: Option<ExtraOption<'_>>,
) -> Result<UpstreamReply, ExchangeFailure> {
    let mut protocol = first_protocol;
    let mut use_edns = true;
    // At most: UDP, then TCP (TC=1) and/or plain DNS (FORMERR): three sends.
    for _ in 0..3 {
        if !budget.take_send(clock.now()) {
            return Err(ExchangeFailure::BudgetExhausted);
        }
        let id: u16 = rand::random();
        let Some(bytes) = encode_query(id, question, recursion_desired, use_edns, extra) else {
            return Err(ExchangeFailure::Malformed);
        };
        let started = clock.now();
        tracing::debug!(%server, ?protocol, name = %question.name(), qtype = %question.query_type(), "upstream query");
        let reply_bytes = match transport
            .exchange(server, protocol, &bytes, UPSTREAM_QUERY_TIMEOUT)
            .await
        {
            Ok(reply_bytes) => reply_bytes,
            Err(TransportError::Timeout) => return Err(ExchangeFailure::Timeout(protocol)),
            Err(TransportError::Io(kind)) => return Err(ExchangeFailure::Network(kind)),
        };
        let round_trip = clock.now().saturating_sub(started);
        // A record of a type we never read whose data hickory refuses is kept opaque, as
        // Unbound passes such RDATA through (iter_svcb_malformed); anything else malformed is.
        let Ok(reply) = crate::opaque_rdata::decode_keeping_opaque(&reply_bytes) else {
            return Err(ExchangeFailure::Malformed);
        };
        check_reply_matches(&reply, id, question).map_err(ExchangeFailure::Mismatch)?;
        if reply.metadata.truncation && protocol == Protocol::Udp {
            // RFC 7766 §5: a truncated UDP reply is retried over TCP.
            protocol = Protocol::Tcp;
            continue;
        }
        let rcode = reply.metadata.response_code;
        if use_edns && (rcode == ResponseCode::FormErr || rcode == ResponseCode::NotImp) {
            // RFC 6891 §7: a server that does not know EDNS answers FORMERR/NOTIMP; ask again without.
            use_edns = false;
            continue;
        }
        if reply.queries.is_empty() {
            // Only error replies may omit the question; without it nothing in them can be trusted.
            return Err(ExchangeFailure::Mismatch(ReplyMismatch::WrongQuestion));
        }
        return Ok(UpstreamReply {
            message: reply,
            round_trip,
            protocol,
        });
    }
    Err(ExchangeFailure::Malformed)
}
