//! The `resolver` daemon's tests: the handler with fake resolvers (bytes in, bytes out), and the
//! real binary end to end on its own 127.60.x.y addresses against a fake upstream.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::A;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::sync::Semaphore;

use authority::listen::{Protocol, RequestContext};
use resolver::server::access::{AccessList, Cidr};
use resolver::server::handler::{Policy, ResolverHandler};
use resolver::server::resolve::Resolve;
use resolver::server::stats::Statistics;

/// Bound on cooperative yields while waiting for spawned tasks to reach a state.
const MAX_YIELDS: usize = 10_000;

/// Yields to the spawned tasks until `condition` holds, at most `MAX_YIELDS` times: whether it held.
async fn yield_until(mut condition: impl FnMut() -> bool) -> bool {
    for _ in 0..MAX_YIELDS {
        if condition() {
            return true;
        }
        tokio::task::yield_now().await;
    }
    condition()
}

fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap_or_else(|_| Name::root())
}

fn query_message(id: u16, qname: &str, record_type: RecordType, edns: Option<u16>) -> Message {
    let mut message = Message::new(id, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = true;
    message.queries.push(Query::query(name(qname), record_type));
    if let Some(payload) = edns {
        let mut options = Edns::new();
        options.set_max_payload(payload);
        message.edns = Some(options);
    }
    message
}

fn query_bytes(id: u16, qname: &str, edns: Option<u16>) -> Vec<u8> {
    query_message(id, qname, RecordType::A, edns)
        .to_vec()
        .unwrap_or_default()
}

fn context(client: &str, protocol: Protocol) -> RequestContext {
    let client = SocketAddr::new(
        client.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        40000,
    );
    RequestContext {
        client,
        local: SocketAddr::new(IpAddr::V4(Ipv4Addr::new(127, 60, 0, 1)), 53),
        protocol,
    }
}

fn parse(bytes: Option<Vec<u8>>) -> Message {
    let bytes = bytes.unwrap_or_else(|| panic!("expected a response, got none"));
    Message::from_vec(&bytes).unwrap_or_else(|error| panic!("unparsable response: {error}"))
}

/// Answers every question with `count` A records, after the gate lets it through.
struct FakeResolver {
    calls: AtomicUsize,
    count: usize,
    gate: Semaphore,
}

impl FakeResolver {
    fn open(count: usize) -> Arc<FakeResolver> {
        Arc::new(FakeResolver {
            calls: AtomicUsize::new(0),
            count,
            gate: Semaphore::new(Semaphore::MAX_PERMITS),
        })
    }

    fn gated(count: usize) -> Arc<FakeResolver> {
        Arc::new(FakeResolver {
            calls: AtomicUsize::new(0),
            count,
            gate: Semaphore::new(0),
        })
    }
}

fn answer_for(request: &Message, count: usize) -> Message {
    let mut response = Message::new(request.metadata.id, MessageType::Response, OpCode::Query);
    response.queries = request.queries.clone();
    if let Some(query) = request.queries.first() {
        for index in 0..count {
            let address = Ipv4Addr::new(192, 0, 2, u8::try_from(index % 250).unwrap_or(0));
            response.answers.push(Record::from_rdata(
                query.name().clone(),
                300,
                RData::A(A(address)),
            ));
        }
    }
    response
}

impl Resolve for FakeResolver {
    async fn resolve(&self, request: &Message) -> Message {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Ok(permit) = self.gate.acquire().await {
            permit.forget();
        }
        answer_for(request, self.count)
    }
}

fn handler_for(resolver: Arc<FakeResolver>) -> ResolverHandler<FakeResolver> {
    ResolverHandler::new(resolver, Policy::default(), Statistics::new())
}

mod access_control {
    use super::*;

    #[tokio::test]
    async fn client_outside_the_allowed_ranges_gets_refused_without_resolution() {
        let resolver = FakeResolver::open(1);
        let handler = handler_for(resolver.clone());
        let response = parse(
            handler
                .answer(
                    &query_bytes(7, "example.test.", None),
                    context("192.0.2.9", Protocol::Udp),
                )
                .await,
        );
        assert_eq!(response.metadata.response_code, ResponseCode::Refused);
        assert_eq!(response.metadata.id, 7);
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn loopback_clients_are_answered_by_default() {
        let handler = handler_for(FakeResolver::open(1));
        for client in ["127.0.0.1", "127.60.3.3", "::1"] {
            let response = parse(
                handler
                    .answer(
                        &query_bytes(8, "example.test.", None),
                        context(client, Protocol::Udp),
                    )
                    .await,
            );
            assert_eq!(
                response.metadata.response_code,
                ResponseCode::NoError,
                "{client}"
            );
            assert_eq!(response.answers.len(), 1, "{client}");
        }
    }

    #[tokio::test]
    async fn reload_swaps_in_a_wider_access_list() {
        let handler = handler_for(FakeResolver::open(1));
        let bytes = query_bytes(9, "example.test.", None);
        let before = parse(
            handler
                .answer(&bytes, context("192.0.2.9", Protocol::Udp))
                .await,
        );
        assert_eq!(before.metadata.response_code, ResponseCode::Refused);
        let allowed: Vec<Cidr> = ["192.0.2.0/24".parse()].into_iter().flatten().collect();
        handler.replace_policy(Policy {
            access: AccessList::with_allowed(allowed),
            ..Policy::default()
        });
        let after = parse(
            handler
                .answer(&bytes, context("192.0.2.9", Protocol::Udp))
                .await,
        );
        assert_eq!(after.metadata.response_code, ResponseCode::NoError);
    }
}

mod malformed_requests {
    use super::*;

    #[tokio::test]
    async fn garbage_after_the_header_gets_formerr_with_the_id() {
        let handler = handler_for(FakeResolver::open(1));
        let mut bytes = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        bytes.extend_from_slice(&[0xff; 20]);
        let response = parse(
            handler
                .answer(&bytes, context("127.0.0.1", Protocol::Udp))
                .await,
        );
        assert_eq!(response.metadata.response_code, ResponseCode::FormErr);
        assert_eq!(response.metadata.id, 0x1234);
    }

    /// Regression (found by the hostile corpus, SECURITY.md): a question followed by bytes no count accounts
    /// for was resolved normally; BIND and Knot answer FORMERR, and so must we.
    #[tokio::test]
    async fn trailing_bytes_after_the_question_get_formerr_without_resolution() {
        let resolver = FakeResolver::open(1);
        let handler = handler_for(resolver.clone());
        let mut bytes = query_bytes(21, "www.example.test.", None);
        bytes.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        for protocol in [Protocol::Udp, Protocol::Tcp] {
            let response = parse(handler.answer(&bytes, context("127.0.0.1", protocol)).await);
            assert_eq!(response.metadata.response_code, ResponseCode::FormErr);
            assert_eq!(response.metadata.id, 21);
        }
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 0);
    }

    /// Regression (found by the hostile corpus, SECURITY.md): a question name that is a compression pointer into
    /// the header decoded as a made-up name (the flag and count bytes read as labels), which we
    /// resolved and answered SERVFAIL. Nothing precedes the question: any pointer there is FORMERR.
    #[tokio::test]
    async fn compression_pointer_in_the_question_gets_formerr_without_resolution() {
        let resolver = FakeResolver::open(1);
        let handler = handler_for(resolver.clone());
        let header = [0x12, 0x35, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        let into_header = [0xc0, 2, 0, 1, 0, 1];
        let after_a_label = [1, b'a', 0xc0, 2, 0, 1, 0, 1];
        for body in [&into_header[..], &after_a_label[..]] {
            let mut bytes = header.to_vec();
            bytes.extend_from_slice(body);
            let response = parse(
                handler
                    .answer(&bytes, context("127.0.0.1", Protocol::Udp))
                    .await,
            );
            assert_eq!(
                response.metadata.response_code,
                ResponseCode::FormErr,
                "{body:?}"
            );
            assert_eq!(response.metadata.id, 0x1235);
        }
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 0);
        // A normal query (no pointer in its question) is still resolved.
        let response = parse(
            handler
                .answer(
                    &query_bytes(22, "a.b.test.", None),
                    context("127.0.0.1", Protocol::Udp),
                )
                .await,
        );
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
    }

    #[tokio::test]
    async fn question_count_other_than_one_gets_formerr() {
        let handler = handler_for(FakeResolver::open(1));
        let mut two = query_message(5, "a.test.", RecordType::A, None);
        two.queries
            .push(Query::query(name("b.test."), RecordType::A));
        let none = Message::new(6, MessageType::Query, OpCode::Query);
        for message in [two, none] {
            let bytes = message.to_vec().unwrap_or_default();
            let response = parse(
                handler
                    .answer(&bytes, context("127.0.0.1", Protocol::Udp))
                    .await,
            );
            assert_eq!(response.metadata.response_code, ResponseCode::FormErr);
        }
    }

    #[tokio::test]
    async fn opcode_other_than_query_gets_notimp() {
        let handler = handler_for(FakeResolver::open(1));
        let mut message = query_message(11, "a.test.", RecordType::A, None);
        message.metadata.op_code = OpCode::Status;
        let bytes = message.to_vec().unwrap_or_default();
        let response = parse(
            handler
                .answer(&bytes, context("127.0.0.1", Protocol::Udp))
                .await,
        );
        assert_eq!(response.metadata.response_code, ResponseCode::NotImp);
        assert_eq!(response.metadata.id, 11);
    }

    #[tokio::test]
    async fn zone_transfers_are_refused_and_meta_types_get_formerr() {
        let resolver = FakeResolver::open(1);
        let handler = handler_for(resolver.clone());
        for (record_type, expected) in [
            (RecordType::AXFR, ResponseCode::Refused),
            (RecordType::IXFR, ResponseCode::Refused),
            (RecordType::OPT, ResponseCode::FormErr),
        ] {
            let bytes = query_message(13, "a.test.", record_type, None)
                .to_vec()
                .unwrap_or_default();
            let response = parse(
                handler
                    .answer(&bytes, context("127.0.0.1", Protocol::Tcp))
                    .await,
            );
            assert_eq!(response.metadata.response_code, expected, "{record_type}");
            assert_eq!(response.queries.len(), 1, "{record_type}");
            // Unbound's worker answers on the request's own header: no RA.
            assert!(!response.metadata.recursion_available, "{record_type}");
        }
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_query_carrying_authority_records_is_formerr_on_its_own_header() {
        // An IXFR query carries the client's SOA; Unbound's worker_check_request answers any
        // query with answer or authority records FORMERR, header only, flags as sent.
        let resolver = FakeResolver::open(1);
        let handler = handler_for(resolver.clone());
        let mut request = query_message(14, "a.test.", RecordType::IXFR, None);
        request.metadata.recursion_desired = true;
        request
            .authorities
            .push(hickory_proto::rr::Record::from_rdata(
                hickory_proto::rr::Name::from_ascii("a.test.").unwrap_or_default(),
                0,
                hickory_proto::rr::RData::A(hickory_proto::rr::rdata::A::new(192, 0, 2, 1)),
            ));
        let bytes = request.to_vec().unwrap_or_default();
        let response = parse(
            handler
                .answer(&bytes, context("127.0.0.1", Protocol::Udp))
                .await,
        );
        assert_eq!(response.metadata.response_code, ResponseCode::FormErr);
        assert!(response.queries.is_empty());
        assert!(response.metadata.recursion_desired);
        assert!(!response.metadata.recursion_available);
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn short_packets_and_responses_are_dropped() {
        let resolver = FakeResolver::open(1);
        let handler = handler_for(resolver.clone());
        assert!(handler
            .answer(&[0x12, 0x34, 0x01], context("127.0.0.1", Protocol::Udp))
            .await
            .is_none());
        let mut response = query_message(12, "a.test.", RecordType::A, None);
        response.metadata.message_type = MessageType::Response;
        let bytes = response.to_vec().unwrap_or_default();
        assert!(handler
            .answer(&bytes, context("127.0.0.1", Protocol::Udp))
            .await
            .is_none());
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 0);
    }
}

mod edns_and_truncation {
    use super::*;

    #[tokio::test]
    async fn opt_is_echoed_with_our_payload_and_the_do_bit() {
        let handler = handler_for(FakeResolver::open(1));
        let mut message = query_message(20, "a.test.", RecordType::A, Some(4096));
        if let Some(edns) = message.edns.as_mut() {
            edns.set_dnssec_ok(true);
        }
        let bytes = message.to_vec().unwrap_or_default();
        let response = parse(
            handler
                .answer(&bytes, context("127.0.0.1", Protocol::Udp))
                .await,
        );
        let edns = response
            .edns
            .unwrap_or_else(|| panic!("no OPT in the response"));
        assert_eq!(edns.max_payload(), 1232);
        assert!(edns.flags().dnssec_ok);
    }

    #[tokio::test]
    async fn no_opt_in_the_response_when_the_client_sent_none() {
        let handler = handler_for(FakeResolver::open(1));
        let response = parse(
            handler
                .answer(
                    &query_bytes(21, "a.test.", None),
                    context("127.0.0.1", Protocol::Udp),
                )
                .await,
        );
        assert!(response.edns.is_none());
    }

    #[tokio::test]
    async fn large_udp_answer_without_edns_is_truncated_to_512_with_tc() {
        let handler = handler_for(FakeResolver::open(60));
        let bytes = handler
            .answer(
                &query_bytes(22, "a.test.", None),
                context("127.0.0.1", Protocol::Udp),
            )
            .await
            .unwrap_or_default();
        assert!(bytes.len() <= 512, "{} bytes", bytes.len());
        let response = parse(Some(bytes));
        assert!(response.metadata.truncation);
        assert_eq!(response.queries.len(), 1);
    }

    #[tokio::test]
    async fn udp_answer_is_limited_to_1232_even_if_the_client_offers_more() {
        let handler = handler_for(FakeResolver::open(100));
        let bytes = handler
            .answer(
                &query_bytes(23, "a.test.", Some(4096)),
                context("127.0.0.1", Protocol::Udp),
            )
            .await
            .unwrap_or_default();
        assert!(bytes.len() <= 1232, "{} bytes", bytes.len());
        assert!(parse(Some(bytes)).metadata.truncation);
    }

    #[tokio::test]
    async fn the_same_answer_over_tcp_is_complete() {
        let handler = handler_for(FakeResolver::open(100));
        let response = parse(
            handler
                .answer(
                    &query_bytes(24, "a.test.", None),
                    context("127.0.0.1", Protocol::Tcp),
                )
                .await,
        );
        assert!(!response.metadata.truncation);
        assert_eq!(response.answers.len(), 100);
    }

    #[tokio::test]
    async fn response_keeps_the_clients_id_and_question_case() {
        let handler = handler_for(FakeResolver::open(1));
        let response = parse(
            handler
                .answer(
                    &query_bytes(25, "ExAmPle.TeSt.", None),
                    context("127.0.0.1", Protocol::Udp),
                )
                .await,
        );
        assert_eq!(response.metadata.id, 25);
        assert!(response.metadata.recursion_available);
        assert_eq!(
            response
                .queries
                .first()
                .map(|query| query.name().to_string()),
            Some("ExAmPle.TeSt.".to_string())
        );
    }
}

mod concurrency {
    use super::*;

    /// A scripted upstream: answers every query with one A record once the gate opens, and
    /// counts the exchanges.
    struct CountingUpstream {
        exchanges: AtomicUsize,
        gate: Semaphore,
    }

    impl resolver::upstream::transport::Transport for CountingUpstream {
        fn exchange<'a>(
            &'a self,
            _server: SocketAddr,
            _protocol: Protocol,
            query: &'a [u8],
            _timeout: std::time::Duration,
        ) -> resolver::upstream::transport::ExchangeFuture<'a> {
            self.exchanges.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                if let Ok(permit) = self.gate.acquire().await {
                    permit.forget();
                }
                let request = Message::from_vec(query)
                    .map_err(|_| resolver::upstream::transport::TransportError::Timeout)?;
                let mut response = answer_for(&request, 1);
                response.metadata.recursion_available = true;
                response.metadata.recursion_desired = request.metadata.recursion_desired;
                response.edns = request.edns.clone();
                response
                    .to_vec()
                    .map_err(|_| resolver::upstream::transport::TransportError::Timeout)
            })
        }
    }

    #[tokio::test]
    async fn identical_concurrent_queries_share_one_upstream_query() {
        const CLIENTS: usize = 20;
        let upstream = Arc::new(CountingUpstream {
            exchanges: AtomicUsize::new(0),
            gate: Semaphore::new(0),
        });
        let config = resolver::config::ResolverConfig {
            forward_zones: vec![resolver::config::ForwardZone {
                suffix: Name::root(),
                upstreams: vec!["127.60.2.1:53"
                    .parse()
                    .unwrap_or(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 53))],
                ..Default::default()
            }],
            allow_loopback_upstream: true,
            ..resolver::config::ResolverConfig::default()
        };
        let real = Arc::new(resolver::Resolver::new(
            config,
            upstream.clone(),
            Arc::new(resolver::clock::ManualClock::new()),
        ));
        let handler = Arc::new(ResolverHandler::new(
            real,
            Policy::default(),
            Statistics::new(),
        ));
        let mut clients = tokio::task::JoinSet::new();
        for index in 0..CLIENTS {
            let handler = handler.clone();
            let id = u16::try_from(index).unwrap_or(0);
            clients.spawn(async move {
                handler
                    .answer(
                        &query_bytes(id, "shared.test.", Some(1232)),
                        context("127.0.0.1", Protocol::Udp),
                    )
                    .await
            });
        }
        let all_waiting = yield_until(|| {
            upstream.exchanges.load(Ordering::SeqCst) == 1
                && handler.in_flight().waiting() == CLIENTS - 1
        })
        .await;
        assert!(
            all_waiting,
            "exchanges {}, waiting {}",
            upstream.exchanges.load(Ordering::SeqCst),
            handler.in_flight().waiting()
        );
        upstream.gate.add_permits(CLIENTS);
        let mut answered = 0;
        while let Some(result) = clients.join_next().await {
            let response = parse(result.unwrap_or(None));
            assert_eq!(response.metadata.response_code, ResponseCode::NoError);
            assert_eq!(response.answers.len(), 1);
            answered += 1;
        }
        assert_eq!(answered, CLIENTS);
        assert_eq!(upstream.exchanges.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn distinct_questions_are_not_merged() {
        let resolver = FakeResolver::open(1);
        let handler = handler_for(resolver.clone());
        let _ = handler
            .answer(
                &query_bytes(1, "one.test.", None),
                context("127.0.0.1", Protocol::Udp),
            )
            .await;
        let _ = handler
            .answer(
                &query_bytes(2, "two.test.", None),
                context("127.0.0.1", Protocol::Udp),
            )
            .await;
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn queries_beyond_the_resolution_bound_are_dropped() {
        let resolver = FakeResolver::gated(1);
        let handler = Arc::new(ResolverHandler::with_concurrency(
            resolver.clone(),
            Policy::default(),
            Statistics::new(),
            2,
        ));
        let mut clients = tokio::task::JoinSet::new();
        for (id, qname) in [(1u16, "one.test."), (2, "two.test.")] {
            let handler = handler.clone();
            clients.spawn(async move {
                handler
                    .answer(
                        &query_bytes(id, qname, None),
                        context("127.0.0.1", Protocol::Udp),
                    )
                    .await
            });
        }
        assert!(yield_until(|| resolver.calls.load(Ordering::SeqCst) == 2).await);
        let third = handler
            .answer(
                &query_bytes(3, "three.test.", None),
                context("127.0.0.1", Protocol::Udp),
            )
            .await;
        assert!(third.is_none(), "the third resolution should be dropped");
        assert!(handler
            .render_statistics()
            .contains("queries.dropped_overloaded 1\n"));
        resolver.gate.add_permits(2);
        while let Some(result) = clients.join_next().await {
            assert_eq!(
                parse(result.unwrap_or(None)).metadata.response_code,
                ResponseCode::NoError
            );
        }
        let fourth = query_bytes(4, "four.test.", None);
        let after = handler.answer(&fourth, context("127.0.0.1", Protocol::Udp));
        resolver.gate.add_permits(1);
        assert!(
            after.await.is_some(),
            "slots are freed when resolutions end"
        );
    }

    #[tokio::test]
    async fn a_new_query_jostles_out_the_oldest_resolution_of_the_jostle_half() {
        let resolver = FakeResolver::gated(1);
        // Two places: the first runs to its end, the second may be taken over at once.
        let limits = resolver::request_list::RequestLimits {
            max_resolutions: 2,
            jostle_timeout: std::time::Duration::ZERO,
            discard_timeout: None,
        };
        let handler = Arc::new(ResolverHandler::with_request_limits(
            resolver.clone(),
            Policy::default(),
            Statistics::new(),
            limits,
        ));
        let mut clients = Vec::new();
        for (id, qname) in [(1u16, "forever.test."), (2, "jostled.test.")] {
            let handler = handler.clone();
            clients.push(tokio::spawn(async move {
                handler
                    .answer(
                        &query_bytes(id, qname, None),
                        context("127.0.0.1", Protocol::Udp),
                    )
                    .await
            }));
            assert!(yield_until(|| resolver.calls.load(Ordering::SeqCst) == usize::from(id)).await);
        }
        let third = {
            let handler = handler.clone();
            tokio::spawn(async move {
                handler
                    .answer(
                        &query_bytes(3, "new.test.", None),
                        context("127.0.0.1", Protocol::Udp),
                    )
                    .await
            })
        };
        assert!(yield_until(|| resolver.calls.load(Ordering::SeqCst) == 3).await);
        resolver.gate.add_permits(2);
        let answered = |result: Result<Option<Vec<u8>>, tokio::task::JoinError>| {
            parse(result.unwrap_or(None)).metadata.response_code
        };
        assert_eq!(answered(third.await), ResponseCode::NoError);
        let mut clients = clients.into_iter();
        let forever = clients.next().unwrap_or_else(|| panic!("two clients"));
        let jostled = clients.next().unwrap_or_else(|| panic!("two clients"));
        assert_eq!(answered(forever.await), ResponseCode::NoError);
        assert!(
            jostled.await.unwrap_or(Some(Vec::new())).is_none(),
            "the jostled query gets no answer"
        );
        assert!(handler
            .render_statistics()
            .contains("queries.dropped_jostled 1\n"));
    }

    /// Records the task each resolution runs in; answers (or panics, when `panics`) once the
    /// gate lets it through.
    struct ProbeResolver {
        gate: Semaphore,
        panics: bool,
        tasks: std::sync::Mutex<Vec<Option<tokio::task::Id>>>,
    }

    impl ProbeResolver {
        fn new(open: bool, panics: bool) -> Arc<ProbeResolver> {
            let permits = if open { Semaphore::MAX_PERMITS } else { 0 };
            Arc::new(ProbeResolver {
                gate: Semaphore::new(permits),
                panics,
                tasks: std::sync::Mutex::new(Vec::new()),
            })
        }

        fn tasks(&self) -> Vec<Option<tokio::task::Id>> {
            self.tasks
                .lock()
                .map(|tasks| tasks.clone())
                .unwrap_or_default()
        }
    }

    impl Resolve for ProbeResolver {
        async fn resolve(&self, request: &Message) -> Message {
            if let Ok(mut tasks) = self.tasks.lock() {
                tasks.push(tokio::task::try_id());
            }
            if let Ok(permit) = self.gate.acquire().await {
                permit.forget();
            }
            if self.panics {
                panic!("resolution exploded (on purpose, in a test)");
            }
            answer_for(request, 1)
        }
    }

    fn probe_handler(resolver: Arc<ProbeResolver>) -> Arc<ResolverHandler<ProbeResolver>> {
        Arc::new(ResolverHandler::with_concurrency(
            resolver,
            Policy::default(),
            Statistics::new(),
            1,
        ))
    }

    fn spawn_client(
        handler: &Arc<ResolverHandler<ProbeResolver>>,
        id: u16,
    ) -> tokio::task::JoinHandle<(tokio::task::Id, Option<Vec<u8>>)> {
        let handler = handler.clone();
        tokio::spawn(async move {
            let answer = handler
                .answer(
                    &query_bytes(id, "shared.test.", None),
                    context("127.0.0.1", Protocol::Udp),
                )
                .await;
            (tokio::task::id(), answer)
        })
    }

    #[tokio::test]
    async fn resolution_runs_in_the_first_clients_task_not_a_task_of_its_own() {
        let resolver = ProbeResolver::new(true, false);
        let handler = probe_handler(resolver.clone());
        let (client_task, answer) = spawn_client(&handler, 1)
            .await
            .unwrap_or_else(|error| panic!("client task failed: {error}"));
        assert_eq!(parse(answer).metadata.response_code, ResponseCode::NoError);
        assert_eq!(resolver.tasks(), vec![Some(client_task)]);
    }

    #[tokio::test]
    async fn first_client_going_away_leaves_the_answer_to_the_waiting_client() {
        let resolver = ProbeResolver::new(false, false);
        let handler = probe_handler(resolver.clone());
        let first = spawn_client(&handler, 1);
        assert!(yield_until(|| resolver.tasks().len() == 1).await);
        let second = spawn_client(&handler, 2);
        assert!(yield_until(|| handler.in_flight().waiting() == 1).await);
        first.abort();
        assert!(first.await.is_err_and(|error| error.is_cancelled()));
        resolver.gate.add_permits(1);
        let (_, answer) = second
            .await
            .unwrap_or_else(|error| panic!("second client failed: {error}"));
        let response = parse(answer);
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert_eq!(response.metadata.id, 2);
        assert_eq!(response.answers.len(), 1);
        assert_eq!(resolver.tasks().len(), 1, "one resolution for both clients");
        assert!(yield_until(|| handler.in_flight().running() == 0).await);
    }

    #[tokio::test]
    async fn panicking_resolution_answers_servfail_to_every_client_and_frees_its_slot() {
        let resolver = ProbeResolver::new(false, true);
        let handler = probe_handler(resolver.clone());
        let first = spawn_client(&handler, 1);
        assert!(yield_until(|| resolver.tasks().len() == 1).await);
        let second = spawn_client(&handler, 2);
        assert!(yield_until(|| handler.in_flight().waiting() == 1).await);
        resolver.gate.add_permits(Semaphore::MAX_PERMITS);
        for client in [first, second] {
            let (_, answer) = client
                .await
                .unwrap_or_else(|error| panic!("a client task failed: {error}"));
            assert_eq!(parse(answer).metadata.response_code, ResponseCode::ServFail);
        }
        // The only slot is free again: the next question is resolved (and fails), not dropped.
        let (_, third) = spawn_client(&handler, 3)
            .await
            .unwrap_or_else(|error| panic!("third client failed: {error}"));
        assert_eq!(parse(third).metadata.response_code, ResponseCode::ServFail);
    }
}

mod client_deadline {
    use super::*;
    use resolver::server::limits::CLIENT_ANSWER_DEADLINE;

    /// Generous slack over the deadline, in paused (virtual) time.
    const SLACK: std::time::Duration = std::time::Duration::from_secs(1);

    #[tokio::test(start_paused = true)]
    async fn client_gets_servfail_at_the_deadline_while_the_resolution_goes_on() {
        let resolver = FakeResolver::gated(1);
        let handler = Arc::new(handler_for(resolver.clone()));
        let started = tokio::time::Instant::now();
        let response = parse(
            handler
                .answer(
                    &query_bytes(9, "slow.test.", None),
                    context("127.0.0.1", Protocol::Udp),
                )
                .await,
        );
        assert_eq!(response.metadata.response_code, ResponseCode::ServFail);
        assert_eq!(response.metadata.id, 9);
        let waited = started.elapsed();
        assert!(
            waited >= CLIENT_ANSWER_DEADLINE && waited <= CLIENT_ANSWER_DEADLINE + SLACK,
            "answered after {waited:?}"
        );
        // The resolution was not cancelled: the client's retry joins it and gets its answer.
        let retry = {
            let handler = handler.clone();
            tokio::spawn(async move {
                handler
                    .answer(
                        &query_bytes(10, "slow.test.", None),
                        context("127.0.0.1", Protocol::Udp),
                    )
                    .await
            })
        };
        let joined = yield_until(|| handler.in_flight().waiting() == 1).await;
        assert!(joined, "the retry did not join the running resolution");
        resolver.gate.add_permits(1);
        let answer = retry
            .await
            .unwrap_or_else(|error| panic!("retry failed: {error}"));
        assert_eq!(parse(answer).metadata.response_code, ResponseCode::NoError);
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 1);
    }
}

mod cache_lookups {
    use super::*;
    use resolver::server::plain_query::PlainQuery;
    use resolver::server::resolve::CachedBytes;

    /// Scripts what the wire fast path says and counts the message path's cache lookups.
    struct WireVerdict {
        verdict: CachedBytes,
        message_lookups: AtomicUsize,
        resolutions: AtomicUsize,
    }

    impl Resolve for WireVerdict {
        async fn resolve(&self, request: &Message) -> Message {
            self.resolutions.fetch_add(1, Ordering::SeqCst);
            answer_for(request, 1)
        }

        fn resolve_from_cache(&self, _request: &Message) -> Option<Message> {
            self.message_lookups.fetch_add(1, Ordering::SeqCst);
            None
        }

        fn answer_from_cache_bytes(
            &self,
            _query: &PlainQuery<'_>,
            _limit: usize,
            _roundrobin: bool,
        ) -> CachedBytes {
            self.verdict.clone()
        }
    }

    async fn lookups_after(verdict: CachedBytes) -> (usize, usize) {
        let resolver = Arc::new(WireVerdict {
            verdict,
            message_lookups: AtomicUsize::new(0),
            resolutions: AtomicUsize::new(0),
        });
        let handler = ResolverHandler::new(resolver.clone(), Policy::default(), Statistics::new());
        let response = parse(
            handler
                .answer(
                    &query_bytes(9, "miss.test.", None),
                    context("127.0.0.1", Protocol::Udp),
                )
                .await,
        );
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert_eq!(response.answers.len(), 1);
        (
            resolver.message_lookups.load(Ordering::SeqCst),
            resolver.resolutions.load(Ordering::SeqCst),
        )
    }

    #[tokio::test]
    async fn a_miss_on_the_wire_path_is_not_looked_up_again_on_the_message_path() {
        assert_eq!(lookups_after(CachedBytes::Miss).await, (0, 1));
    }

    #[tokio::test]
    async fn an_answer_the_wire_path_cannot_write_is_looked_up_on_the_message_path() {
        assert_eq!(lookups_after(CachedBytes::Unknown).await, (1, 1));
    }
}

mod local_zones {
    use super::*;

    use resolver::server::local_zones::load_local_zones;

    fn example_zone() -> String {
        format!(
            "{}/../zones/examples/example.test.yaml",
            env!("CARGO_MANIFEST_DIR")
        )
    }

    fn handler_with_zone(resolver: Arc<FakeResolver>) -> ResolverHandler<FakeResolver> {
        let local_zones = load_local_zones(&[example_zone()])
            .unwrap_or_else(|error| panic!("example zone failed to load: {error}"));
        let policy = Policy {
            local_zones,
            ..Policy::default()
        };
        ResolverHandler::new(resolver, policy, Statistics::new())
    }

    #[tokio::test]
    async fn names_in_a_local_zone_are_answered_authoritatively_without_resolution() {
        let resolver = FakeResolver::open(1);
        let handler = handler_with_zone(resolver.clone());
        let response = parse(
            handler
                .answer(
                    &query_bytes(40, "example.test.", None),
                    context("127.0.0.1", Protocol::Udp),
                )
                .await,
        );
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert!(response.metadata.authoritative);
        assert!(response.metadata.recursion_available);
        let addresses: Vec<_> = response
            .answers
            .iter()
            .filter_map(|record| match &record.data {
                RData::A(address) => Some(address.0),
                _ => None,
            })
            .collect();
        assert_eq!(addresses, vec![Ipv4Addr::new(192, 0, 2, 1)]);

        let missing = parse(
            handler
                .answer(
                    &query_bytes(41, "no-such-name.example.test.", None),
                    context("127.0.0.1", Protocol::Udp),
                )
                .await,
        );
        assert_eq!(missing.metadata.response_code, ResponseCode::NXDomain);
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn names_outside_local_zones_are_resolved() {
        let resolver = FakeResolver::open(1);
        let handler = handler_with_zone(resolver.clone());
        let response = parse(
            handler
                .answer(
                    &query_bytes(42, "elsewhere.test.", None),
                    context("127.0.0.1", Protocol::Udp),
                )
                .await,
        );
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert!(!response.metadata.authoritative);
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_broken_zone_file_is_reported_with_its_name() {
        let missing = format!("{}/no-such-zone.yaml", env!("CARGO_MANIFEST_DIR"));
        match load_local_zones(std::slice::from_ref(&missing)) {
            Ok(_) => panic!("a missing zone file loaded"),
            Err(error) => assert!(error.to_string().contains("no-such-zone.yaml"), "{error}"),
        }
    }
}

mod end_to_end {
    use super::*;

    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpSocket, TcpStream, UdpSocket};

    /// How long the daemon may take to print its ready line (a cold debug binary on a busy box).
    const READY_TIMEOUT: Duration = Duration::from_secs(30);
    /// Per-attempt wait for one DNS reply; it only bounds the test, it never decides pass/fail.
    const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
    /// Stderr lines read while waiting for the ready line.
    const MAX_STDERR_LINES: usize = 1000;
    /// Queries the fake upstream answers before it stops.
    const UPSTREAM_MAX_QUERIES: usize = 100;

    /// The running daemon; killed by PID when the test ends, pass or fail.
    struct Daemon {
        child: Child,
        address: SocketAddr,
        lines: mpsc::Receiver<String>,
        ready_line: String,
    }

    impl Daemon {
        /// SIGTERM, then wait for stderr to close (the process exiting), bounded in time.
        fn terminate(&mut self) -> Option<std::process::ExitStatus> {
            let pid = self.child.id().to_string();
            let sent = Command::new("kill").args(["-TERM", &pid]).status();
            assert!(
                sent.is_ok_and(|status| status.success()),
                "kill -TERM failed"
            );
            for _ in 0..MAX_STDERR_LINES {
                match self.lines.recv_timeout(READY_TIMEOUT) {
                    Ok(_) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => return self.child.wait().ok(),
                    Err(mpsc::RecvTimeoutError::Timeout) => return None,
                }
            }
            None
        }

        /// Reads stderr until a line containing `text`; bounded in lines and time.
        fn wait_for_line(&self, text: &str) -> String {
            for _ in 0..MAX_STDERR_LINES {
                match self.lines.recv_timeout(READY_TIMEOUT) {
                    Ok(line) if line.contains(text) => return line,
                    Ok(_) => {}
                    Err(_) => panic!("resolver printed no line containing {text:?}"),
                }
            }
            panic!("no line containing {text:?} in {MAX_STDERR_LINES} lines");
        }
    }

    impl Drop for Daemon {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn start_daemon(arguments: &[String]) -> Daemon {
        start_daemon_with_environment(arguments, &[])
    }

    fn start_daemon_with_environment(arguments: &[String], environment: &[(&str, &str)]) -> Daemon {
        let mut child = Command::new(env!("CARGO_BIN_EXE_resolver"))
            .args(arguments)
            .envs(environment.iter().copied())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start resolver: {error}"));
        let stderr = child
            .stderr
            .take()
            .unwrap_or_else(|| panic!("no stderr pipe"));
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            // Keeps draining after the ready line so the daemon never blocks on a full pipe.
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let mut daemon = Daemon {
            child,
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            lines: receiver,
            ready_line: String::new(),
        };
        let line = daemon.wait_for_line("resolver ready: listening on ");
        let rest = line
            .split("resolver ready: listening on ")
            .nth(1)
            .unwrap_or_default();
        let first = rest.split_whitespace().next().unwrap_or_default();
        daemon.address = first
            .parse()
            .unwrap_or_else(|_| panic!("unreadable ready line: {line}"));
        daemon.ready_line = line;
        daemon
    }

    /// A forwarder target answering every query with A 192.0.2.53, over UDP and TCP.
    /// As `fake_upstream`, also counting the queries it receives.
    async fn fake_counting_upstream(address: &str) -> (SocketAddr, Arc<AtomicUsize>) {
        let received = Arc::new(AtomicUsize::new(0));
        let udp_received = received.clone();
        let tcp_received = received.clone();
        let udp = UdpSocket::bind(address)
            .await
            .unwrap_or_else(|error| panic!("bind {address}: {error}"));
        let local = udp.local_addr().unwrap_or_else(|error| panic!("{error}"));
        let tcp = tokio::net::TcpListener::bind(local)
            .await
            .unwrap_or_else(|error| panic!("bind tcp {local}: {error}"));
        tokio::spawn(async move {
            let mut buffer = vec![0u8; 4096];
            for _ in 0..UPSTREAM_MAX_QUERIES {
                let Ok((length, peer)) = udp.recv_from(&mut buffer).await else {
                    return;
                };
                udp_received.fetch_add(1, Ordering::SeqCst);
                if let Some(reply) = upstream_reply(buffer.get(..length).unwrap_or_default()) {
                    let _ = udp.send_to(&reply, peer).await;
                }
            }
        });
        tokio::spawn(async move {
            for _ in 0..UPSTREAM_MAX_QUERIES {
                let Ok((mut stream, _)) = tcp.accept().await else {
                    return;
                };
                tcp_received.fetch_add(1, Ordering::SeqCst);
                let mut length = [0u8; 2];
                if stream.read_exact(&mut length).await.is_err() {
                    continue;
                }
                let mut query = vec![0u8; usize::from(u16::from_be_bytes(length))];
                if stream.read_exact(&mut query).await.is_err() {
                    continue;
                }
                if let Some(reply) = upstream_reply(&query) {
                    let mut framed = u16::try_from(reply.len())
                        .unwrap_or(0)
                        .to_be_bytes()
                        .to_vec();
                    framed.extend_from_slice(&reply);
                    let _ = stream.write_all(&framed).await;
                }
            }
        });
        (local, received)
    }

    fn upstream_reply(query: &[u8]) -> Option<Vec<u8>> {
        let request = Message::from_vec(query).ok()?;
        let mut response = Message::new(request.metadata.id, MessageType::Response, OpCode::Query);
        response.metadata.recursion_desired = request.metadata.recursion_desired;
        response.metadata.recursion_available = true;
        response.queries = request.queries.clone();
        response.edns = request.edns.clone();
        if let Some(query) = request.queries.first() {
            if query.query_type() == RecordType::A {
                response.answers.push(Record::from_rdata(
                    query.name().clone(),
                    300,
                    RData::A(A(Ipv4Addr::new(192, 0, 2, 53))),
                ));
            }
        }
        response.to_vec().ok()
    }

    async fn ask_udp(from: &str, to: SocketAddr, id: u16, qname: &str) -> Message {
        let socket = UdpSocket::bind(from)
            .await
            .unwrap_or_else(|error| panic!("bind {from}: {error}"));
        let query = query_bytes(id, qname, Some(1232));
        let mut buffer = vec![0u8; 4096];
        for _ in 0..3 {
            let _ = socket.send_to(&query, to).await;
            if let Ok(Ok((length, _))) =
                tokio::time::timeout(REPLY_TIMEOUT, socket.recv_from(&mut buffer)).await
            {
                return parse(buffer.get(..length).map(<[u8]>::to_vec));
            }
        }
        panic!("no UDP reply from {to} to {from}");
    }

    async fn ask_tcp(from: &str, to: SocketAddr, id: u16, qname: &str) -> Message {
        let exchange = async {
            let socket = TcpSocket::new_v4().ok()?;
            socket.bind(from.parse().ok()?).ok()?;
            let mut stream: TcpStream = socket.connect(to).await.ok()?;
            let query = query_bytes(id, qname, None);
            let mut framed = u16::try_from(query.len()).ok()?.to_be_bytes().to_vec();
            framed.extend_from_slice(&query);
            stream.write_all(&framed).await.ok()?;
            let mut length = [0u8; 2];
            stream.read_exact(&mut length).await.ok()?;
            let mut reply = vec![0u8; usize::from(u16::from_be_bytes(length))];
            stream.read_exact(&mut reply).await.ok()?;
            Some(reply)
        };
        parse(
            tokio::time::timeout(REPLY_TIMEOUT, exchange)
                .await
                .ok()
                .flatten(),
        )
    }

    fn first_address(message: &Message) -> Option<Ipv4Addr> {
        message
            .answers
            .iter()
            .find_map(|record| match &record.data {
                RData::A(address) => Some(address.0),
                _ => None,
            })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_worker_thread_runs_the_current_thread_runtime_and_says_so() {
        let (upstream, _) = fake_counting_upstream("127.60.6.2:0").await;
        let arguments = [
            "--listen".to_string(),
            "127.60.6.1:0".to_string(),
            "--forward".to_string(),
            upstream.to_string(),
            "--allow".to_string(),
            "127.60.6.0/24".to_string(),
            // The fake upstream serves names under test., a default zone otherwise.
            "--default-zones".to_string(),
            "localhost".to_string(),
        ];
        let daemon = start_daemon_with_environment(&arguments, &[("TOKIO_WORKER_THREADS", "1")]);
        assert!(
            daemon.ready_line.contains("; current-thread runtime"),
            "{}",
            daemon.ready_line
        );
        let over_udp = ask_udp("127.60.6.3:0", daemon.address, 601, "one.worker.test.").await;
        assert_eq!(first_address(&over_udp), Some(Ipv4Addr::new(192, 0, 2, 53)));
        let over_tcp = ask_tcp("127.60.6.3:0", daemon.address, 602, "tcp.worker.test.").await;
        assert_eq!(first_address(&over_tcp), Some(Ipv4Addr::new(192, 0, 2, 53)));

        let several = [
            "--listen".to_string(),
            "127.60.6.4:0".to_string(),
            "--forward".to_string(),
            upstream.to_string(),
        ];
        let daemon = start_daemon_with_environment(&several, &[("TOKIO_WORKER_THREADS", "2")]);
        assert!(
            daemon.ready_line.contains("; multi-thread runtime"),
            "{}",
            daemon.ready_line
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn forwarding_daemon_answers_over_udp_and_tcp_refuses_outsiders_and_flushes_on_command() {
        let (upstream, received) = fake_counting_upstream("127.60.1.2:0").await;
        let control =
            std::env::temp_dir().join(format!("resolver-daemon-test-{}.sock", std::process::id()));
        let arguments = [
            "--listen".to_string(),
            "127.60.1.1:0".to_string(),
            "--forward".to_string(),
            upstream.to_string(),
            "--allow".to_string(),
            "127.60.1.0/24".to_string(),
            // The fake upstream serves names under test., a default zone otherwise.
            "--default-zones".to_string(),
            "localhost".to_string(),
            "--control".to_string(),
            control.display().to_string(),
        ];
        let daemon = start_daemon(&arguments);

        let over_udp = ask_udp("127.60.1.3:0", daemon.address, 101, "www.forwarded.test.").await;
        assert_eq!(over_udp.metadata.response_code, ResponseCode::NoError);
        assert_eq!(over_udp.metadata.id, 101);
        assert_eq!(first_address(&over_udp), Some(Ipv4Addr::new(192, 0, 2, 53)));

        let over_tcp = ask_tcp("127.60.1.4:0", daemon.address, 102, "tcp.forwarded.test.").await;
        assert_eq!(over_tcp.metadata.response_code, ResponseCode::NoError);
        assert_eq!(first_address(&over_tcp), Some(Ipv4Addr::new(192, 0, 2, 53)));

        let outsider = ask_udp("127.60.9.9:0", daemon.address, 103, "www.forwarded.test.").await;
        assert_eq!(outsider.metadata.response_code, ResponseCode::Refused);
        assert!(outsider.answers.is_empty());

        let stats = Command::new(env!("CARGO_BIN_EXE_resolver"))
            .args([
                "--control".to_string(),
                control.display().to_string(),
                "stats".to_string(),
            ])
            .output()
            .unwrap_or_else(|error| panic!("cannot run the control client: {error}"));
        let text = String::from_utf8_lossy(&stats.stdout);
        assert!(
            stats.status.success(),
            "control client failed: {}",
            String::from_utf8_lossy(&stats.stderr)
        );
        assert!(
            text.contains("queries.refused_by_access_control 1\n"),
            "{text}"
        );
        assert!(text.contains("queries 3\n"), "{text}");

        let before = received.load(Ordering::SeqCst);
        let cached = ask_udp("127.60.1.3:0", daemon.address, 104, "www.forwarded.test.").await;
        assert_eq!(first_address(&cached), Some(Ipv4Addr::new(192, 0, 2, 53)));
        assert_eq!(
            received.load(Ordering::SeqCst),
            before,
            "a repeated question is answered from the cache"
        );
        let flush = Command::new(env!("CARGO_BIN_EXE_resolver"))
            .args([
                "--control".to_string(),
                control.display().to_string(),
                "flush".to_string(),
            ])
            .output()
            .unwrap_or_else(|error| panic!("cannot run the control client: {error}"));
        assert_eq!(String::from_utf8_lossy(&flush.stdout), "flushed\n");
        let refetched = ask_udp("127.60.1.3:0", daemon.address, 105, "www.forwarded.test.").await;
        assert_eq!(
            first_address(&refetched),
            Some(Ipv4Addr::new(192, 0, 2, 53))
        );
        assert!(
            received.load(Ordering::SeqCst) > before,
            "after a flush the answer is fetched again"
        );
        let stats = Command::new(env!("CARGO_BIN_EXE_resolver"))
            .args([
                "--control".to_string(),
                control.display().to_string(),
                "stats".to_string(),
            ])
            .output()
            .unwrap_or_else(|error| panic!("cannot run the control client: {error}"));
        let text = String::from_utf8_lossy(&stats.stdout);
        assert!(text.contains("cache.hits 1\n"), "{text}");
        assert!(text.contains("cache.misses 3\n"), "{text}");
        let mut daemon = daemon;
        let status = daemon.terminate();
        assert!(
            status.is_some_and(|status| status.success()),
            "exit on SIGTERM: {status:?}"
        );
        assert!(!control.exists(), "the control socket is removed on exit");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sighup_reloads_the_access_list_and_keeps_the_cache() {
        let (upstream, received) = fake_counting_upstream("127.60.3.2:0").await;
        let directory =
            std::env::temp_dir().join(format!("resolver-daemon-sighup-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap_or_else(|error| panic!("{error}"));
        let config = directory.join("resolver.yaml");
        let write_config = |prefix: &str| {
            let text = format!(
                "listen: [\"127.60.3.1:0\"]\nforward: [\"{upstream}\"]\nallow: [{prefix}]\ndefault-zones: localhost\n"
            );
            std::fs::write(&config, text).unwrap_or_else(|error| panic!("{error}"));
        };
        write_config("127.60.3.0/24");
        let daemon = start_daemon(&["--config".to_string(), config.display().to_string()]);

        let first = ask_udp(
            "127.60.3.3:0",
            daemon.address,
            301,
            "cached.forwarded.test.",
        )
        .await;
        assert_eq!(first_address(&first), Some(Ipv4Addr::new(192, 0, 2, 53)));
        let upstream_queries = received.load(Ordering::SeqCst);
        assert!(upstream_queries >= 1);

        write_config("127.60.4.0/24");
        let status = Command::new("kill")
            .args(["-HUP", &daemon.child.id().to_string()])
            .status()
            .unwrap_or_else(|error| panic!("cannot run kill: {error}"));
        assert!(status.success());
        daemon.wait_for_line("SIGHUP: reloaded");

        let old_client = ask_udp(
            "127.60.3.3:0",
            daemon.address,
            302,
            "cached.forwarded.test.",
        )
        .await;
        assert_eq!(old_client.metadata.response_code, ResponseCode::Refused);
        let new_client = ask_udp(
            "127.60.4.4:0",
            daemon.address,
            303,
            "cached.forwarded.test.",
        )
        .await;
        assert_eq!(
            first_address(&new_client),
            Some(Ipv4Addr::new(192, 0, 2, 53))
        );
        assert_eq!(
            received.load(Ordering::SeqCst),
            upstream_queries,
            "answered from the kept cache"
        );
        drop(daemon);
        let _ = std::fs::remove_dir_all(&directory);
    }

    /// Runs `resolver --control PATH WORDS...` with `input` on stdin: (success, stdout, stderr).
    fn control(path: &std::path::Path, words: &[&str], input: &str) -> (bool, String, String) {
        use std::io::Write as _;
        let mut child = Command::new(env!("CARGO_BIN_EXE_resolver"))
            .arg("--control")
            .arg(path)
            .args(words)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run the control client: {error}"));
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(input.as_bytes());
        }
        let output = child
            .wait_with_output()
            .unwrap_or_else(|error| panic!("control client: {error}"));
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// `control` that must succeed; returns stdout.
    fn control_ok(path: &std::path::Path, words: &[&str], input: &str) -> String {
        let (success, stdout, stderr) = control(path, words, input);
        assert!(success, "{words:?} failed: {stderr}");
        stdout
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cache_control_commands_work_through_the_real_socket() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let (upstream, received) = fake_counting_upstream("127.60.21.2:0").await;
        let socket = std::env::temp_dir().join(format!(
            "resolver-daemon-cache-control-{}.sock",
            std::process::id()
        ));
        let arguments = [
            "--listen".to_string(),
            "127.60.21.1:0".to_string(),
            "--forward".to_string(),
            upstream.to_string(),
            "--allow".to_string(),
            "127.60.21.0/24".to_string(),
            "--default-zones".to_string(),
            "localhost".to_string(),
            "--local-zone".to_string(),
            "blocked.test. always_nxdomain".to_string(),
            "--control".to_string(),
            socket.display().to_string(),
        ];
        let daemon = start_daemon(&arguments);
        let metadata = std::fs::metadata(&socket).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
        let uid = std::fs::metadata("/proc/self")
            .map(|own| own.uid())
            .unwrap_or(u32::MAX);
        assert_eq!(
            metadata.uid(),
            uid,
            "the socket belongs to the daemon's user"
        );

        let client = "127.60.21.3:0";
        let upstream_queries = || received.load(Ordering::SeqCst);
        for (id, name) in [(1, "a.one.test."), (2, "b.one.test."), (3, "c.two.test.")] {
            let answer = ask_udp(client, daemon.address, id, name).await;
            assert_eq!(first_address(&answer), Some(Ipv4Addr::new(192, 0, 2, 53)));
        }
        let asked = upstream_queries();
        let ask_again = |id: u16, name: &'static str| {
            let address = daemon.address;
            async move { ask_udp(client, address, id, name).await }
        };

        // flush NAME: that name only.
        assert_eq!(
            control_ok(&socket, &["flush", "a.one.test"], ""),
            "ok: removed 1 entries\n"
        );
        ask_again(4, "b.one.test.").await;
        assert_eq!(upstream_queries(), asked, "b.one.test. is still cached");
        ask_again(5, "a.one.test.").await;
        assert_eq!(upstream_queries(), asked + 1, "a.one.test. was flushed");

        // flush_zone NAME: the name and everything below.
        assert_eq!(
            control_ok(&socket, &["flush_zone", "one.test."], ""),
            "ok: removed 2 entries\n"
        );
        ask_again(6, "b.one.test.").await;
        assert_eq!(upstream_queries(), asked + 2);
        ask_again(7, "c.two.test.").await;
        assert_eq!(upstream_queries(), asked + 2, "another zone stays");

        // flush_type NAME TYPE.
        assert_eq!(
            control_ok(&socket, &["flush_type", "c.two.test.", "AAAA"], ""),
            "ok: removed 0 entries\n"
        );
        assert_eq!(
            control_ok(&socket, &["flush_type", "c.two.test.", "A"], ""),
            "ok: removed 1 entries\n"
        );
        assert_eq!(
            control_ok(&socket, &["flush_negative"], ""),
            "ok: removed 0 negative entries\n"
        );
        assert!(control_ok(&socket, &["flush_bogus"], "").starts_with("ok: removed 0 bogus"));
        assert!(control_ok(&socket, &["flush_infra", "127.60.21.2"], "").starts_with("ok: forgot"));
        assert!(control_ok(&socket, &["flush_infra", "all"], "").starts_with("ok: forgot"));

        // dump_cache, flush, load_cache: the restart is warm.
        ask_again(8, "d.three.test.").await;
        let dump = control_ok(&socket, &["dump_cache"], "");
        assert!(dump.contains("\nd.three.test. "), "{dump}");
        assert!(dump.contains(" IN A 192.0.2.53\n"), "{dump}");
        assert_eq!(control_ok(&socket, &["flush"], ""), "flushed\n");
        let loaded = control_ok(&socket, &["load_cache"], &dump);
        assert!(loaded.starts_with("ok: loaded 2 RRsets"), "{loaded}");
        let before = upstream_queries();
        let warm = ask_again(9, "d.three.test.").await;
        assert_eq!(first_address(&warm), Some(Ipv4Addr::new(192, 0, 2, 53)));
        assert_eq!(upstream_queries(), before, "answered from the loaded cache");
        let (success, _, stderr) = control(&socket, &["load_cache"], "junk line\n");
        assert!(!success && stderr.contains("nothing loaded"), "{stderr}");

        // lookup, list_forwards, list_local_zones, stats_noreset.
        let lookup = control_ok(&socket, &["lookup", "www.example.test."], "");
        assert_eq!(
            lookup,
            format!("www.example.test. is forwarded: zone . to {upstream}\n")
        );
        assert_eq!(
            control_ok(&socket, &["list_forwards"], ""),
            format!(". IN forward {upstream}\n")
        );
        let zones = control_ok(&socket, &["list_local_zones"], "");
        assert!(zones.contains("blocked.test. always_nxdomain\n"), "{zones}");
        assert!(zones.contains("localhost. "), "{zones}");
        let stats = control_ok(&socket, &["stats_noreset"], "");
        assert!(stats.contains("queries 9\n"), "{stats}");
        assert!(stats.contains("cache.rrsets "), "{stats}");

        let (success, _, stderr) = control(&socket, &["flush_zone"], "");
        assert!(
            !success && stderr.contains("wrong number of arguments"),
            "{stderr}"
        );
        let (success, _, stderr) = control(&socket, &["shutdown"], "");
        assert!(!success && stderr.contains("unknown command"), "{stderr}");
        drop(daemon);
        let _ = std::fs::remove_file(&socket);
    }

    /// `curl -sS URL`: (HTTP status, body).
    fn curl(url: &str) -> (String, String) {
        let output = Command::new("curl")
            .args(["-sS", "--max-time", "10", "-w", "\n%{http_code}", url])
            .output()
            .unwrap_or_else(|error| panic!("cannot run curl: {error}"));
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap_or((&text, ""));
        (status.to_string(), body.to_string())
    }

    /// The value of the sample line starting with `series ` in a Prometheus text body.
    fn sample(body: &str, series: &str) -> Option<f64> {
        body.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .and_then(|value| value.trim().parse().ok())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn metrics_endpoint_serves_prometheus_text_that_moves_with_queries_and_matches_stats() {
        let (upstream, _) = fake_counting_upstream("127.60.22.2:0").await;
        let socket = std::env::temp_dir().join(format!(
            "resolver-daemon-metrics-{}.sock",
            std::process::id()
        ));
        let arguments = [
            "--listen".to_string(),
            "127.60.22.1:0".to_string(),
            "--forward".to_string(),
            upstream.to_string(),
            "--allow".to_string(),
            "127.60.22.0/24".to_string(),
            "--default-zones".to_string(),
            "localhost".to_string(),
            "--metrics".to_string(),
            "127.60.22.1:0".to_string(),
            "--control".to_string(),
            socket.display().to_string(),
        ];
        let daemon = start_daemon(&arguments);
        let url = daemon
            .ready_line
            .split("metrics=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no metrics address in {}", daemon.ready_line))
            .to_string();

        let (status, before) = curl(&url);
        assert_eq!(status, "200", "{before}");
        let udp = "resolver_queries_total{protocol=\"udp\"}";
        assert_eq!(sample(&before, udp), Some(0.0), "{before}");
        for (id, name) in [
            (1, "m1.metrics.test."),
            (2, "m2.metrics.test."),
            (3, "m1.metrics.test."),
        ] {
            ask_udp("127.60.22.3:0", daemon.address, id, name).await;
        }
        let (_, after) = curl(&url);
        assert_eq!(sample(&after, udp), Some(3.0), "{after}");
        assert_eq!(
            sample(&after, "resolver_queries_by_type_total{type=\"A\"}"),
            Some(3.0)
        );
        assert_eq!(
            sample(&after, "resolver_answers_total{rcode=\"NOERROR\"}"),
            Some(3.0)
        );
        assert_eq!(
            sample(&after, "resolver_cache_hits_total"),
            Some(1.0),
            "{after}"
        );
        assert_eq!(
            sample(&after, "resolver_cache_misses_total"),
            Some(2.0),
            "{after}"
        );
        assert!(sample(&after, "resolver_cache_rrsets").is_some_and(|rrsets| rrsets >= 2.0));
        assert!(sample(&after, "resolver_cache_bytes").is_some_and(|bytes| bytes > 0.0));
        let server = format!("{{server=\"{}\"}}", upstream.ip());
        assert_eq!(
            sample(&after, &format!("resolver_upstream_queries_total{server}")),
            Some(2.0)
        );
        assert_eq!(
            sample(
                &after,
                &format!("resolver_upstream_rtt_seconds_count{server}")
            ),
            Some(2.0),
            "{after}"
        );
        assert_eq!(
            sample(&after, "resolver_answer_latency_seconds_count"),
            Some(3.0)
        );

        // The control socket's stats print the same numbers (nothing was asked in between).
        let stats = control_ok(&socket, &["stats"], "");
        assert!(stats.contains("queries.udp 3\n"), "{stats}");
        assert!(
            stats.contains("cache.hits 1\n") && stats.contains("cache.misses 2\n"),
            "{stats}"
        );
        assert!(
            stats.contains(&format!("upstream.server.{}.queries 2\n", upstream.ip())),
            "{stats}"
        );

        // Prometheus's own checker, where Debian's prometheus package is installed.
        match Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(mut child) => {
                use std::io::Write as _;
                if let Some(mut stdin) = child.stdin.take() {
                    let _ = stdin.write_all(after.as_bytes());
                }
                let output = child
                    .wait_with_output()
                    .unwrap_or_else(|error| panic!("{error}"));
                assert!(
                    output.status.success(),
                    "promtool: {}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            Err(_) if std::env::var_os("DNS_TESTS_REQUIRE_TOOLS").is_none() => {
                eprintln!("promtool not installed (apt-get install prometheus): check skipped");
            }
            Err(error) => panic!("promtool is required here: {error}"),
        }

        let (status, _) = curl(&url.replace("/metrics", "/other"));
        assert_eq!(status, "404");
        drop(daemon);
        let _ = std::fs::remove_file(&socket);
    }

    #[test]
    fn a_metrics_address_off_loopback_needs_metrics_public() {
        let output = Command::new(env!("CARGO_BIN_EXE_resolver"))
            .args(["--listen", "127.60.22.9:0", "--metrics", "192.0.2.1:9153"])
            .output()
            .unwrap_or_else(|error| panic!("cannot run resolver: {error}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(stderr.contains("--metrics-public"), "{stderr}");
    }

    /// A query for `qname` whose OPT carries the keepalive option (RFC 7828) with `data`.
    fn keepalive_query(id: u16, qname: &str, data: Vec<u8>) -> Vec<u8> {
        use hickory_proto::rr::rdata::opt::EdnsOption;
        let mut message = query_message(id, qname, RecordType::A, Some(1232));
        if let Some(edns) = message.edns.as_mut() {
            edns.options_mut().insert(EdnsOption::Unknown(11, data));
        }
        message.to_vec().unwrap_or_default()
    }

    fn keepalive_data(message: &Message) -> Option<Vec<u8>> {
        use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
        match message.edns.as_ref()?.options().get(EdnsCode::Keepalive)? {
            EdnsOption::Unknown(_, data) => Some(data.clone()),
            _ => None,
        }
    }

    /// Sends framed queries on one TCP connection, one after the other, and reads each reply.
    async fn ask_tcp_connection(from: &str, to: SocketAddr, queries: &[Vec<u8>]) -> Vec<Message> {
        let exchange = async {
            let socket = TcpSocket::new_v4().ok()?;
            socket.bind(from.parse().ok()?).ok()?;
            let mut stream: TcpStream = socket.connect(to).await.ok()?;
            let mut replies = Vec::new();
            for query in queries {
                let mut framed = u16::try_from(query.len()).ok()?.to_be_bytes().to_vec();
                framed.extend_from_slice(query);
                stream.write_all(&framed).await.ok()?;
                let mut length = [0u8; 2];
                stream.read_exact(&mut length).await.ok()?;
                let mut reply = vec![0u8; usize::from(u16::from_be_bytes(length))];
                stream.read_exact(&mut reply).await.ok()?;
                replies.push(Message::from_vec(&reply).ok()?);
            }
            Some(replies)
        };
        tokio::time::timeout(REPLY_TIMEOUT, exchange)
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("TCP exchange with {to} failed"))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tcp_keepalive_option_is_answered_with_the_idle_timeout_and_the_connection_kept() {
        let (upstream, _) = fake_counting_upstream("127.60.23.2:0").await;
        let arguments = [
            "--listen".to_string(),
            "127.60.23.1:0".to_string(),
            "--forward".to_string(),
            upstream.to_string(),
            "--allow".to_string(),
            "127.60.23.0/24".to_string(),
            "--default-zones".to_string(),
            "localhost".to_string(),
        ];
        let daemon = start_daemon(&arguments);
        let replies = ask_tcp_connection(
            "127.60.23.3:0",
            daemon.address,
            &[
                keepalive_query(1, "k1.keepalive.test.", Vec::new()),
                keepalive_query(2, "k2.keepalive.test.", Vec::new()),
                query_bytes(3, "k3.keepalive.test.", Some(1232)),
            ],
        )
        .await;
        // TIMEOUT in units of 100 ms: the listener's 10 s idle timeout. The third query did not
        // ask, but its connection did: remembered per connection, as Unbound.
        for reply in &replies {
            assert_eq!(first_address(reply), Some(Ipv4Addr::new(192, 0, 2, 53)));
            assert_eq!(keepalive_data(reply), Some(vec![0, 100]), "{reply:?}");
        }
        // A new connection that does not ask gets none.
        let fresh = ask_tcp_connection(
            "127.60.23.3:0",
            daemon.address,
            &[query_bytes(6, "k3.keepalive.test.", Some(1232))],
        )
        .await;
        assert_eq!(
            keepalive_data(&fresh[0]),
            None,
            "only when asked on the connection"
        );

        // With data in a query the option is malformed: FORMERR, as Unbound.
        let malformed = ask_tcp_connection(
            "127.60.23.3:0",
            daemon.address,
            &[keepalive_query(4, "k4.keepalive.test.", vec![0, 50])],
        )
        .await;
        assert_eq!(malformed[0].metadata.response_code, ResponseCode::FormErr);

        // Over UDP the option means nothing and is not sent back (RFC 7828 §3.2.1).
        let socket = UdpSocket::bind("127.60.23.4:0")
            .await
            .unwrap_or_else(|error| panic!("{error}"));
        let _ = socket
            .send_to(
                &keepalive_query(5, "k1.keepalive.test.", Vec::new()),
                daemon.address,
            )
            .await;
        let mut buffer = vec![0u8; 4096];
        let (length, _) = tokio::time::timeout(REPLY_TIMEOUT, socket.recv_from(&mut buffer))
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("no UDP reply"));
        let over_udp = parse(buffer.get(..length).map(<[u8]>::to_vec));
        assert_eq!(first_address(&over_udp), Some(Ipv4Addr::new(192, 0, 2, 53)));
        assert_eq!(keepalive_data(&over_udp), None);
    }

    #[test]
    fn config_file_errors_name_the_file_and_line() {
        let directory =
            std::env::temp_dir().join(format!("resolver-daemon-badconfig-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap_or_else(|error| panic!("{error}"));
        let config = directory.join("bad.yaml");
        std::fs::write(&config, "listen: [\"127.60.5.1:0\"]\ncache-sise: 10\n")
            .unwrap_or_else(|error| panic!("{error}"));
        let output = Command::new(env!("CARGO_BIN_EXE_resolver"))
            .args(["--config".to_string(), config.display().to_string()])
            .output()
            .unwrap_or_else(|error| panic!("cannot run resolver: {error}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(
            stderr.contains(&format!("{}:2", config.display())),
            "{stderr}"
        );
        assert!(stderr.contains("cache-sise"), "{stderr}");
        let _ = std::fs::remove_dir_all(&directory);
    }
}

/// RD=0 from a client that may snoop: the engine's `answer_without_recursion`, never `resolve`,
/// through the request list like any resolution (it may fetch the keys that validate a cached
/// referral, so it is bounded the same way).
mod without_recursion {
    use super::*;

    /// Refers every RD=0 question to `example.test.` once the gate lets it through; counts the
    /// calls of each kind.
    struct Referrer {
        resolutions: AtomicUsize,
        referrals: AtomicUsize,
        gate: Semaphore,
    }

    impl Resolve for Referrer {
        async fn resolve(&self, request: &Message) -> Message {
            self.resolutions.fetch_add(1, Ordering::SeqCst);
            answer_for(request, 1)
        }

        async fn answer_without_recursion(&self, request: &Message) -> Message {
            self.referrals.fetch_add(1, Ordering::SeqCst);
            if let Ok(permit) = self.gate.acquire().await {
                permit.forget();
            }
            let mut response = answer_for(request, 0);
            response.authorities.push(Record::from_rdata(
                name("example.test."),
                300,
                RData::NS(hickory_proto::rr::rdata::NS(name("ns.example.test."))),
            ));
            response
        }
    }

    fn referrer(open: bool) -> Arc<Referrer> {
        Arc::new(Referrer {
            resolutions: AtomicUsize::new(0),
            referrals: AtomicUsize::new(0),
            gate: Semaphore::new(if open { Semaphore::MAX_PERMITS } else { 0 }),
        })
    }

    fn snooping_policy() -> Policy {
        let snooper = Cidr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 0)), 24);
        Policy {
            access: AccessList::loopback_only().with_snoopers(snooper),
            ..Policy::default()
        }
    }

    fn without_recursion_bytes(id: u16, qname: &str) -> Vec<u8> {
        let mut message = query_message(id, qname, RecordType::A, Some(1232));
        message.metadata.recursion_desired = false;
        message.to_vec().unwrap_or_default()
    }

    #[tokio::test]
    async fn a_snooper_gets_the_engines_referral_and_nothing_is_resolved() {
        let resolver = referrer(true);
        let handler = ResolverHandler::new(resolver.clone(), snooping_policy(), Statistics::new());
        let response = parse(
            handler
                .answer(
                    &without_recursion_bytes(5, "other.example.test."),
                    context("192.0.2.9", Protocol::Udp),
                )
                .await,
        );
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert!(!response.metadata.recursion_desired);
        assert!(response.answers.is_empty());
        assert_eq!(response.authorities.len(), 1, "{response:?}");
        assert_eq!(resolver.referrals.load(Ordering::SeqCst), 1);
        assert_eq!(resolver.resolutions.load(Ordering::SeqCst), 0);
        // Loopback may query, not snoop: refused, the engine never asked.
        let refused = parse(
            handler
                .answer(
                    &without_recursion_bytes(6, "other.example.test."),
                    context("127.0.0.1", Protocol::Udp),
                )
                .await,
        );
        assert_eq!(refused.metadata.response_code, ResponseCode::Refused);
        assert_eq!(resolver.referrals.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn queries_without_recursion_take_places_in_the_request_list() {
        let resolver = referrer(false);
        let handler = Arc::new(ResolverHandler::with_concurrency(
            resolver.clone(),
            snooping_policy(),
            Statistics::new(),
            1,
        ));
        let first = {
            let handler = handler.clone();
            tokio::spawn(async move {
                handler
                    .answer(
                        &without_recursion_bytes(1, "one.example.test."),
                        context("192.0.2.9", Protocol::Udp),
                    )
                    .await
            })
        };
        assert!(yield_until(|| resolver.referrals.load(Ordering::SeqCst) == 1).await);
        let second = handler
            .answer(
                &without_recursion_bytes(2, "two.example.test."),
                context("192.0.2.9", Protocol::Udp),
            )
            .await;
        assert!(second.is_none(), "no place left: dropped");
        resolver.gate.add_permits(1);
        let first = first
            .await
            .unwrap_or_else(|error| panic!("client task: {error}"));
        assert_eq!(parse(first).metadata.response_code, ResponseCode::NoError);
        assert_eq!(resolver.resolutions.load(Ordering::SeqCst), 0);
    }
}

mod local_alias {
    use super::*;
    use resolver::server::local_answers::{LocalAnswers, LocalSettings};
    use resolver::server::local_zone_table::ConfigLine;

    fn handler_with_redirect(resolver: Arc<FakeResolver>) -> ResolverHandler<FakeResolver> {
        let local = LocalAnswers::build(&LocalSettings {
            zones: vec![ConfigLine::new("portal.example. redirect", "test:1")],
            data: vec![ConfigLine::new(
                "portal.example. 300 CNAME target.example.",
                "test:2",
            )],
            ..LocalSettings::default()
        })
        .unwrap_or_else(|error| panic!("local settings: {error}"));
        let policy = Policy {
            local_answers: Arc::new(local),
            ..Policy::default()
        };
        ResolverHandler::new(resolver, policy, Statistics::new())
    }

    #[tokio::test]
    async fn a_redirect_cname_is_answered_with_its_target_resolved_behind_it() {
        let resolver = FakeResolver::open(1);
        let handler = handler_with_redirect(resolver.clone());
        let bytes = query_bytes(21, "www.portal.example.", None);
        let response = parse(
            handler
                .answer(&bytes, context("127.0.0.1", Protocol::Udp))
                .await,
        );
        assert_eq!(response.metadata.response_code, ResponseCode::NoError);
        assert!(response.metadata.authoritative, "{response:?}");
        assert_eq!(response.queries[0].name(), &name("www.portal.example."));
        let chain: Vec<(RecordType, Name)> = response
            .answers
            .iter()
            .map(|record| (record.record_type(), record.name.clone()))
            .collect();
        assert_eq!(
            chain,
            [
                (RecordType::CNAME, name("www.portal.example.")),
                (RecordType::A, name("target.example.")),
            ]
        );
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_cname_itself_answers_a_cname_question_without_resolution() {
        let resolver = FakeResolver::open(1);
        let handler = handler_with_redirect(resolver.clone());
        let bytes = query_message(22, "portal.example.", RecordType::CNAME, None)
            .to_vec()
            .unwrap_or_default();
        let response = parse(
            handler
                .answer(&bytes, context("127.0.0.1", Protocol::Udp))
                .await,
        );
        assert_eq!(response.answers.len(), 1);
        assert_eq!(response.answers[0].record_type(), RecordType::CNAME);
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 0);
    }
}

mod response_policy {
    use super::*;
    use resolver::policy::{PolicySettings, RpzSource, ZoneText};
    use resolver::server::local_answers::{LocalAnswers, LocalSettings};
    use resolver::server::local_zone_table::ConfigLine;

    const ZONE: &str = "$ORIGIN rpz.test.\n\
        @ 3600 IN SOA ns.rpz.test. host.rpz.test. 1 3600 600 86400 60\n\
        blocked.example CNAME .\n\
        tcp.example CNAME rpz-tcp-only.\n\
        alias.example CNAME www.elsewhere.example.\n";

    fn policy_handler(
        resolver: Arc<FakeResolver>,
        response_ip: &[&str],
    ) -> ResolverHandler<FakeResolver> {
        let policy = PolicySettings {
            zones: vec![RpzSource::parse("rpz.test.=unused", None)
                .map(|mut source| {
                    source.zone = ZoneText::Inline {
                        text: ZONE.to_owned(),
                        file: "rpz.test.zone".into(),
                    };
                    source
                })
                .unwrap_or_else(|error| panic!("{error}"))],
            response_ip: response_ip
                .iter()
                .map(|line| ConfigLine::new(*line, "test"))
                .collect(),
            ..PolicySettings::default()
        };
        let local = LocalAnswers::build(&LocalSettings {
            policy,
            ..LocalSettings::default()
        })
        .unwrap_or_else(|error| panic!("{error}"));
        let policy = Policy {
            local_answers: Arc::new(local),
            ..Policy::default()
        };
        ResolverHandler::new(resolver, policy, Statistics::new())
    }

    fn ask(name: &str) -> Vec<u8> {
        query_message(21, name, RecordType::A, Some(1232))
            .to_vec()
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn a_qname_trigger_answers_nxdomain_without_resolving() {
        let resolver = FakeResolver::open(1);
        let handler = policy_handler(resolver.clone(), &[]);
        let response = parse(
            handler
                .answer(
                    &ask("Blocked.Example."),
                    context("127.0.0.1", Protocol::Udp),
                )
                .await,
        );
        assert_eq!(response.metadata.response_code, ResponseCode::NXDomain);
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn tcp_only_truncates_over_udp_and_resolves_over_tcp() {
        let resolver = FakeResolver::open(1);
        let handler = policy_handler(resolver.clone(), &[]);
        let udp = parse(
            handler
                .answer(&ask("tcp.example."), context("127.0.0.1", Protocol::Udp))
                .await,
        );
        assert!(udp.metadata.truncation && udp.answers.is_empty());
        let tcp = parse(
            handler
                .answer(&ask("tcp.example."), context("127.0.0.1", Protocol::Tcp))
                .await,
        );
        assert_eq!(tcp.answers.len(), 1);
        assert_eq!(resolver.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_local_data_cname_is_resolved_and_put_in_front() {
        let resolver = FakeResolver::open(1);
        let handler = policy_handler(resolver.clone(), &[]);
        let response = parse(
            handler
                .answer(&ask("alias.example."), context("127.0.0.1", Protocol::Udp))
                .await,
        );
        assert_eq!(response.queries[0].name().to_string(), "alias.example.");
        let names: Vec<String> = response
            .answers
            .iter()
            .map(|record| format!("{} {}", record.name, record.record_type()))
            .collect();
        assert_eq!(names, ["alias.example. CNAME", "www.elsewhere.example. A"]);
    }

    #[tokio::test]
    async fn a_response_ip_deny_sends_nothing_and_others_pass() {
        let resolver = FakeResolver::open(1);
        let handler = policy_handler(resolver.clone(), &["192.0.2.0/24 deny"]);
        let dropped = handler
            .answer(&ask("www.example."), context("127.0.0.1", Protocol::Udp))
            .await;
        assert!(dropped.is_none());
        let passing = policy_handler(FakeResolver::open(1), &["198.51.100.0/24 deny"]);
        let response = parse(
            passing
                .answer(&ask("www.example."), context("127.0.0.1", Protocol::Udp))
                .await,
        );
        assert_eq!(response.answers.len(), 1);
    }
}
