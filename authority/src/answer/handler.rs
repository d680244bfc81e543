//! The request handler the listener calls: bytes in, bytes out, answered from the current
//! catalog. `answer_packet` is the whole pure path; `AuthorityHandler` adapts it to `listen`.
//! Flow: answer memo (hit) or answer_packet (miss, then remembered) → rate limiter (UDP).

use std::sync::Arc;
use std::time::Instant;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{DNSClass, RecordType};

use crate::answer::identity::ServerIdentity;
use crate::answer::lookup::{lookup_with_dnssec, Answer};
use crate::answer::memo::AnswerMemo;
use crate::answer::request::{parse_request, Echo, Header, Rejection};
use crate::answer::response::{encode_answer, encode_error, size_limit, EDE_NOT_SUPPORTED};
use crate::catalog::reload::SharedCatalog;
use crate::catalog::zones::Catalog;
use crate::listen::{Handler, Protocol, RequestContext, TcpConnection};
use crate::rrl::{truncated_reply, Decision, RateLimitConfig, RateLimiter};
use crate::xfr::serve::{Reply, TransferService};

/// Answers one packet from `catalog`; `None` means send nothing. The server discloses nothing
/// about itself (see `answer_packet_with`).
pub fn answer_packet(catalog: &Catalog, packet: &[u8], protocol: Protocol) -> Option<Vec<u8>> {
    answer_packet_with(&ServerIdentity::hidden(), catalog, packet, protocol)
}

/// Answers one packet from `catalog`, with `identity` for CH TXT `id.server` and the like and
/// for NSID; `None` means send nothing.
pub fn answer_packet_with(
    identity: &ServerIdentity,
    catalog: &Catalog,
    packet: &[u8],
    protocol: Protocol,
) -> Option<Vec<u8>> {
    let request = match parse_request(packet) {
        Ok(request) => request,
        Err(Rejection::Drop) => return None,
        Err(Rejection::FormatError(echo)) => {
            return encode_error(&echo, ResponseCode::FormErr, identity, None)
        }
        // RFC 8914 §4.22: "Not Supported", for an opcode we do not implement.
        Err(Rejection::NotImplemented(echo)) => {
            return encode_error(
                &echo,
                ResponseCode::NotImp,
                identity,
                Some(EDE_NOT_SUPPORTED),
            )
        }
        Err(Rejection::BadVersion(echo)) => {
            return encode_error(&echo, ResponseCode::BADVERS, identity, None)
        }
    };
    let query = &request.query;
    let answer = match (query.query_class(), query.query_type()) {
        // Zone transfers are not offered (NSD and Knot refuse them unless configured).
        (_, RecordType::AXFR | RecordType::IXFR) => Answer {
            response_code: ResponseCode::Refused,
            ..Answer::default()
        },
        // Meta types cannot be asked for (RFC 6895 §3.1; BIND answers FORMERR, NSD and Knot
        // NODATA). The OPT is still echoed (RFC 6891 §6.1.1).
        (_, RecordType::OPT) => {
            let echo = Echo {
                header: Header {
                    id: request.id,
                    op_code: 0,
                    recursion_desired: request.recursion_desired,
                },
                query: Some(query.clone()),
                edns: request.edns.clone(),
            };
            return encode_error(&echo, ResponseCode::FormErr, identity, None);
        }
        (DNSClass::IN, record_type) => lookup_with_dnssec(
            catalog,
            query.name(),
            record_type,
            request
                .edns
                .as_ref()
                .is_some_and(|edns| edns.flags().dnssec_ok),
        ),
        // CH TXT id.server and the like, when configured (RFC 4892 §2): not authoritative,
        // as NSD and Knot answer them.
        (DNSClass::CH, RecordType::TXT) => match identity.chaos_answer(query.name()) {
            Some(set) => Answer {
                answers: vec![set.clone()],
                ..Answer::default()
            },
            None => refused(),
        },
        // Our zones are class IN only; CHAOS and others are refused, as NSD does without config.
        _ => refused(),
    };
    encode_answer(
        &request,
        &answer,
        identity,
        size_limit(protocol, request.edns.as_ref()),
    )
}

/// REFUSED for another class: no EDE (Knot adds "Not Authoritative" only for names in class IN).
fn refused() -> Answer {
    Answer {
        response_code: ResponseCode::Refused,
        ..Answer::default()
    }
}

/// `answer_packet`, from `memo` when it holds this request (same bytes after the ID, same
/// transport) answered from this same catalog. Sound because `answer_packet`'s result depends on
/// the catalog, the transport and the request bytes only, and echoes the ID nowhere but the
/// header: not on the client, the clock or chance. Whatever depends on the client (rate
/// limiting) must run on the result, never before it.
pub fn answer_packet_memoised(
    memo: &AnswerMemo,
    catalog: &Catalog,
    packet: &[u8],
    protocol: Protocol,
) -> Option<Vec<u8>> {
    answer_packet_memoised_with(memo, &ServerIdentity::hidden(), catalog, packet, protocol)
}

/// `answer_packet_with` through `memo`. One memo must only ever see one `identity` (the
/// handler's, fixed at start): the memo's key holds the catalog and the request, not the identity.
pub fn answer_packet_memoised_with(
    memo: &AnswerMemo,
    identity: &ServerIdentity,
    catalog: &Catalog,
    packet: &[u8],
    protocol: Protocol,
) -> Option<Vec<u8>> {
    let generation = catalog.generation();
    if let Some(response) = memo.recall(generation, packet, protocol) {
        return Some(response);
    }
    let response = answer_packet_with(identity, catalog, packet, protocol)?;
    memo.remember(generation, packet, protocol, &response);
    Some(response)
}

/// The authority's `listen::Handler`, reading the catalog current at each request, and passing
/// UDP responses through the rate limiter when one is configured. Clones share one answer memo.
#[derive(Clone)]
pub struct AuthorityHandler {
    catalog: Arc<SharedCatalog>,
    memo: Arc<AnswerMemo>,
    identity: Arc<ServerIdentity>,
    rate_limiter: Option<Arc<RateLimiter>>,
    /// Zone transfers and signed queries (`xfr::serve`), when configured.
    transfers: Option<Arc<TransferService>>,
    started: Instant,
}

impl AuthorityHandler {
    pub fn new(catalog: Arc<SharedCatalog>) -> AuthorityHandler {
        AuthorityHandler {
            catalog,
            memo: Arc::new(AnswerMemo::default()),
            identity: Arc::new(ServerIdentity::hidden()),
            rate_limiter: None,
            transfers: None,
            started: Instant::now(),
        }
    }

    /// Limits UDP responses with `config` (TCP is never limited: its client address is proven).
    pub fn with_rate_limit(mut self, config: RateLimitConfig) -> AuthorityHandler {
        if config.responses_per_second > 0 {
            self.rate_limiter = Some(Arc::new(RateLimiter::new(config)));
        }
        self
    }

    /// Answers CH TXT `id.server` and the like, and NSID, from `identity`. Starts a new memo,
    /// so no answer given without the identity is ever replayed with it.
    pub fn with_identity(mut self, identity: ServerIdentity) -> AuthorityHandler {
        self.identity = Arc::new(identity);
        self.memo = Arc::new(AnswerMemo::default());
        self
    }

    /// Answers AXFR/IXFR and TSIG-signed queries through `service` (without it they are REFUSED
    /// or answered unsigned, as before).
    pub fn with_transfers(mut self, service: Arc<TransferService>) -> AuthorityHandler {
        if service.is_active() {
            self.transfers = Some(service);
        }
        self
    }

    /// A transfer request's reply, or `None` when the plain path should answer.
    fn transfer_reply(&self, request: &[u8], context: RequestContext) -> Option<Reply> {
        let service = self.transfers.as_ref()?;
        if !service.wants(request) {
            return None;
        }
        let catalog = self.catalog.current();
        let plain_catalog = catalog.clone();
        let reply = service.answer(
            request,
            context.client.ip(),
            context.protocol,
            catalog,
            |packet| answer_packet_with(&self.identity, &plain_catalog, packet, context.protocol),
        );
        match reply {
            Reply::NotMine => None,
            reply => Some(reply),
        }
    }

    /// The answers remembered so far (for statistics and tests).
    pub fn memo(&self) -> &AnswerMemo {
        &self.memo
    }
}

impl AuthorityHandler {
    /// Every answer is ready at once: the zones are in memory.
    fn answer(&self, request: &[u8], context: RequestContext) -> Option<Vec<u8>> {
        match self.transfer_reply(request, context) {
            Some(Reply::Single(response)) => return response,
            // A transfer over UDP never starts (serve.rs answers those with one message).
            Some(Reply::Transfer(_)) | Some(Reply::NotMine) => return None,
            None => {}
        }
        let catalog = self.catalog.current();
        let mut response = answer_packet_memoised_with(
            &self.memo,
            &self.identity,
            &catalog,
            request,
            context.protocol,
        );
        if let (Some(limiter), Protocol::Udp, Some(bytes)) =
            (&self.rate_limiter, context.protocol, &response)
        {
            response = match limiter.decide(context.client.ip(), bytes, self.started.elapsed()) {
                Decision::Send => response,
                Decision::Slip => truncated_reply(bytes),
                Decision::Drop => None,
            };
        }
        response
    }
}

impl Handler for AuthorityHandler {
    fn handle(
        &self,
        request: &[u8],
        context: RequestContext,
    ) -> impl std::future::Future<Output = Option<Vec<u8>>> + Send {
        std::future::ready(self.answer(request, context))
    }

    fn answer_now(&self, request: &[u8], context: RequestContext) -> Option<Option<Vec<u8>>> {
        Some(self.answer(request, context))
    }

    async fn handle_tcp(
        &self,
        request: &[u8],
        context: RequestContext,
        _connection: &TcpConnection,
        responses: &tokio::sync::mpsc::Sender<Vec<u8>>,
    ) {
        let response = match self.transfer_reply(request, context) {
            Some(Reply::Transfer(transfer)) => return transfer.run(responses).await,
            Some(Reply::Single(response)) => response,
            Some(Reply::NotMine) | None => self.handle(request, context).await,
        };
        if let Some(response) = response {
            let _ = responses.send(response).await;
        }
    }
}
