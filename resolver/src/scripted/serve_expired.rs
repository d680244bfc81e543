//! Serve-expired (RFC 8767) and prefetch over the scripted network in virtual time: stale
//! answers with EDE 3 and their background refresh, prefetch in the last 10 % of a TTL.

use std::time::Duration;

use hickory_proto::op::{Edns, ResponseCode};
use hickory_proto::rr::rdata::opt::EdnsOption;
use hickory_proto::rr::RecordType;

use crate::config::{ResolverConfig, ServeExpired};
use crate::scripted::network::{addresses, client_query, config, internet, setup, EXAMPLE_COM};

fn with_edns(qname: &str) -> hickory_proto::op::Message {
    let mut query = client_query(qname, RecordType::A);
    query.edns = Some(Edns::new());
    query
}

fn is_stale(response: &hickory_proto::op::Message) -> bool {
    response.edns.as_ref().is_some_and(|edns| {
        edns.options()
            .as_ref()
            .iter()
            .any(|(_, option)| matches!(option, EdnsOption::Unknown(15, data) if data == &[0, 3]))
    })
}

fn serving_expired(client_timeout_milliseconds: u32) -> ResolverConfig {
    ResolverConfig {
        serve_expired: ServeExpired {
            enabled: true,
            client_timeout_milliseconds,
            ..ServeExpired::default()
        },
        ..config()
    }
}

#[tokio::test]
async fn expired_answer_is_served_stale_with_ede_3_then_refreshed_in_the_background() {
    let setup = setup(internet(), serving_expired(0));
    let first = setup.resolver.resolve(&with_edns("www.example.com.")).await;
    assert!(!is_stale(&first));
    setup.clock.advance(Duration::from_secs(3_601));
    let sent_before = setup.network.sent_to(EXAMPLE_COM);
    let stale = setup.resolver.resolve(&with_edns("www.example.com.")).await;
    assert_eq!(stale.metadata.response_code, ResponseCode::NoError);
    assert_eq!(addresses(&stale), addresses(&first));
    assert_eq!(stale.answers[0].ttl, 30, "serve-expired-reply-ttl");
    assert!(is_stale(&stale), "EDE 3 Stale Answer: {stale:?}");
    assert_eq!(
        setup.network.sent_to(EXAMPLE_COM),
        sent_before,
        "answered at once"
    );
    let refreshes = setup.resolver.take_refreshes();
    assert_eq!(refreshes.len(), 1);
    for refresh in refreshes {
        setup.resolver.refresh(refresh).await;
    }
    let fresh = setup.resolver.resolve(&with_edns("www.example.com.")).await;
    assert!(!is_stale(&fresh));
    assert_eq!(fresh.answers[0].ttl, 3_600, "renewed by the refresh");
}

#[tokio::test]
async fn without_serve_expired_an_expired_entry_is_resolved_again() {
    let setup = setup(internet(), config());
    setup.resolver.resolve(&with_edns("www.example.com.")).await;
    setup.clock.advance(Duration::from_secs(3_601));
    let sent_before = setup.network.sent_to(EXAMPLE_COM);
    let again = setup.resolver.resolve(&with_edns("www.example.com.")).await;
    assert!(!is_stale(&again));
    assert_eq!(setup.network.sent_to(EXAMPLE_COM), sent_before + 1);
    assert!(setup.resolver.take_refreshes().is_empty());
}

#[tokio::test]
async fn past_serve_expired_ttl_nothing_stale_is_served() {
    let mut settings = serving_expired(0);
    settings.serve_expired.max_stale_seconds = 10;
    let setup = setup(internet(), settings);
    setup.resolver.resolve(&with_edns("www.example.com.")).await;
    setup.clock.advance(Duration::from_secs(3_600 + 11));
    let again = setup.resolver.resolve(&with_edns("www.example.com.")).await;
    assert!(!is_stale(&again));
    assert_eq!(again.answers[0].ttl, 3_600);
}

#[tokio::test]
async fn prefetch_refreshes_an_answer_asked_for_in_its_last_tenth() {
    let setup = setup(
        internet(),
        ResolverConfig {
            prefetch: true,
            ..config()
        },
    );
    setup.resolver.resolve(&with_edns("www.example.com.")).await;
    setup.clock.advance(Duration::from_secs(3_000));
    setup.resolver.resolve(&with_edns("www.example.com.")).await;
    assert!(setup.resolver.take_refreshes().is_empty(), "not yet due");
    setup.clock.advance(Duration::from_secs(300));
    let cached = setup.resolver.resolve(&with_edns("www.example.com.")).await;
    assert_eq!(
        cached.answers[0].ttl, 300,
        "the client gets the cached answer"
    );
    // One refresh per question, however often it is asked meanwhile.
    setup.resolver.resolve(&with_edns("www.example.com.")).await;
    let refreshes = setup.resolver.take_refreshes();
    assert_eq!(refreshes.len(), 1);
    for refresh in refreshes {
        setup.resolver.refresh(refresh).await;
    }
    let renewed = setup.resolver.resolve(&with_edns("www.example.com.")).await;
    assert_eq!(renewed.answers[0].ttl, 3_600);
}

#[tokio::test]
async fn prefetch_of_a_cname_refreshes_its_target_too() {
    // Unbound's prefetch asks the whole chain past the cache: the target's answer (or its
    // negative answer's SOA) is renewed with the link.
    // nx.example.com. (delegated in `internet`) is the link here.
    let mut network = internet();
    let mut link = crate::scripted::network::cname("nx.example.com.", "www.example.com.");
    link.ttl = 100;
    network.on(
        EXAMPLE_COM,
        "nx.example.com.",
        RecordType::A,
        crate::scripted::network::answer(vec![link]),
    );
    let mut target = crate::scripted::network::a("www.example.com.", "192.0.2.80");
    target.ttl = 100;
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        crate::scripted::network::answer(vec![target]),
    );
    let setup = setup(
        network,
        ResolverConfig {
            prefetch: true,
            ..config()
        },
    );
    setup.resolver.resolve(&with_edns("nx.example.com.")).await;
    setup.clock.advance(Duration::from_secs(95));
    let cached = setup.resolver.resolve(&with_edns("nx.example.com.")).await;
    let ttls: Vec<u32> = cached.answers.iter().map(|record| record.ttl).collect();
    assert_eq!(ttls, vec![5, 5]);
    for refresh in setup.resolver.take_refreshes() {
        setup.resolver.refresh(refresh).await;
    }
    let renewed = setup.resolver.resolve(&with_edns("nx.example.com.")).await;
    let ttls: Vec<u32> = renewed.answers.iter().map(|record| record.ttl).collect();
    assert_eq!(ttls, vec![100, 100], "link and target renewed");
}

#[tokio::test]
async fn an_answer_that_came_with_ttl_0_is_never_served_stale() {
    // RFC 1035 §3.2.1: TTL 0 data is for the transaction in progress only; it has no expiry
    // to be served past (Unbound gives such a message no serve-expired window either).
    let mut network = internet();
    let mut zero = crate::scripted::network::a("www.example.com.", "192.0.2.80");
    zero.ttl = 0;
    network.on(
        EXAMPLE_COM,
        "www.example.com.",
        RecordType::A,
        crate::scripted::network::answer(vec![zero]),
    );
    let setup = setup(network, serving_expired(0));
    let first = setup.resolver.resolve(&with_edns("www.example.com.")).await;
    assert_eq!(first.answers[0].ttl, 0, "the asking client gets it");
    setup.clock.advance(Duration::from_secs(1));
    let sent_before = setup.network.sent_to(EXAMPLE_COM);
    let again = setup.resolver.resolve(&with_edns("www.example.com.")).await;
    assert!(!is_stale(&again), "{again:?}");
    assert_eq!(again.answers[0].ttl, 0);
    assert_eq!(setup.network.sent_to(EXAMPLE_COM), sent_before + 1);
}

/// The scripted network until told to stall; then every query stays unanswered, neither
/// replied to nor timed out, as a slow authority looks while its answer is on the way.
struct Stalling {
    network: std::sync::Arc<crate::scripted::network::ScriptedNetwork>,
    stalled: std::sync::atomic::AtomicBool,
}

impl crate::upstream::transport::Transport for Stalling {
    fn exchange<'a>(
        &'a self,
        server: std::net::SocketAddr,
        protocol: crate::upstream::transport::Protocol,
        query: &'a [u8],
        timeout: Duration,
    ) -> crate::upstream::transport::ExchangeFuture<'a> {
        if self.stalled.load(std::sync::atomic::Ordering::SeqCst) {
            return Box::pin(std::future::pending());
        }
        self.network.exchange(server, protocol, query, timeout)
    }
}

#[tokio::test]
async fn a_slow_resolution_gives_way_to_stale_data_when_the_client_timeout_passes_in_virtual_time()
{
    use std::future::Future;
    use std::sync::atomic::Ordering;
    use std::task::{Context, Poll, Waker};

    let network = std::sync::Arc::new(internet());
    let clock = network.clock.clone();
    let stalling = std::sync::Arc::new(Stalling {
        network,
        stalled: false.into(),
    });
    let resolver = crate::Resolver::new(serving_expired(50), stalling.clone(), clock.clone());
    let first = resolver.resolve(&with_edns("www.example.com.")).await;
    clock.advance(Duration::from_secs(3_601));
    stalling.stalled.store(true, Ordering::SeqCst);
    let query = with_edns("www.example.com.");
    let mut resolving = std::pin::pin!(resolver.resolve(&query));
    let mut context = Context::from_waker(Waker::noop());
    assert!(
        resolving.as_mut().poll(&mut context).is_pending(),
        "the client waits for the resolution first"
    );
    clock.advance(Duration::from_millis(49));
    assert!(resolving.as_mut().poll(&mut context).is_pending());
    clock.advance(Duration::from_millis(1));
    let Poll::Ready(stale) = resolving.as_mut().poll(&mut context) else {
        panic!("the 50 ms client timeout has passed on the resolver's clock")
    };
    assert!(is_stale(&stale), "EDE 3 Stale Answer: {stale:?}");
    assert_eq!(addresses(&stale), addresses(&first));
    assert_eq!(stale.answers[0].ttl, 30, "serve-expired-reply-ttl");
    assert_eq!(
        resolver.take_refreshes().len(),
        1,
        "the resolution goes on in the background"
    );
}

/// serve_expired_val_bogus: the refresh of a secure answer served stale comes back bogus (the
/// zone's server now sends it unsigned). The bogus data never replaces the stale answer, which
/// keeps its EDE 3 and its AD; and the failed refresh is not tried again for the failure cache's
/// few seconds (RFC 9520 §3.2, Unbound's NORR_TTL), however often the client asks.
#[tokio::test]
async fn a_refresh_that_validates_bogus_leaves_the_secure_stale_answer_in_place() {
    use crate::scripted::signed_network::SignedInternet;
    let mut internet = SignedInternet::new(1);
    let server = internet.child_servers[0].clone();
    let unsigned = crate::scripted::network::answer(vec![crate::scripted::network::a(
        "www.example.",
        "192.0.2.66",
    )]);
    internet.network.on_from(
        Duration::from_secs(3_601),
        &server,
        "www.example.",
        RecordType::A,
        unsigned,
    );
    let config = ResolverConfig {
        serve_expired: ServeExpired {
            enabled: true,
            client_timeout_milliseconds: 0,
            ..ServeExpired::default()
        },
        ..internet.config()
    };
    let setup = setup(internet.network, config);
    let mut query = with_edns("www.example.");
    query.metadata.authentic_data = true;
    let first = setup.resolver.resolve(&query).await;
    assert!(first.metadata.authentic_data && !is_stale(&first));
    setup.clock.advance(Duration::from_secs(3_601));
    for round in 0..3 {
        let stale = setup.resolver.resolve(&query).await;
        assert_eq!(
            stale.metadata.response_code,
            ResponseCode::NoError,
            "{round}"
        );
        assert_eq!(addresses(&stale), addresses(&first), "{round}");
        assert!(is_stale(&stale), "{round}: EDE 3 Stale Answer: {stale:?}");
        assert!(
            stale.metadata.authentic_data,
            "{round}: the stale data is secure"
        );
        let sent_before = setup.network.sent_to(&server);
        for refresh in setup.resolver.take_refreshes() {
            setup.resolver.refresh(refresh).await;
        }
        let refreshed = setup.network.sent_to(&server) - sent_before;
        if round == 0 {
            assert!(refreshed > 0, "the first refresh asks the server");
        } else {
            assert_eq!(
                refreshed, 0,
                "{round}: the failed refresh is not repeated at once"
            );
        }
    }
}

/// serve_expired_client_timeout_val_bogus: with a client timeout, the client's own resolution
/// comes back bogus; the stale secure answer is given (EDE 3, AD), and the next query within
/// the failure cache's seconds gets it at once, without asking the server again.
#[tokio::test]
async fn a_bogus_resolution_under_a_client_timeout_gives_the_stale_answer_and_is_not_retried_at_once(
) {
    use crate::scripted::signed_network::SignedInternet;
    let mut internet = SignedInternet::new(1);
    let server = internet.child_servers[0].clone();
    let unsigned = crate::scripted::network::answer(vec![crate::scripted::network::a(
        "www.example.",
        "192.0.2.66",
    )]);
    internet.network.on_from(
        Duration::from_secs(3_601),
        &server,
        "www.example.",
        RecordType::A,
        unsigned,
    );
    let config = ResolverConfig {
        serve_expired: ServeExpired {
            enabled: true,
            client_timeout_milliseconds: 1_000,
            ..ServeExpired::default()
        },
        ..internet.config()
    };
    let setup = setup(internet.network, config);
    let mut query = with_edns("www.example.");
    query.metadata.authentic_data = true;
    let first = setup.resolver.resolve(&query).await;
    setup.clock.advance(Duration::from_secs(3_601));
    let stale = setup.resolver.resolve(&query).await;
    assert_eq!(addresses(&stale), addresses(&first));
    assert!(
        is_stale(&stale) && stale.metadata.authentic_data,
        "{stale:?}"
    );
    let sent_before = setup.network.sent_to(&server);
    let again = setup.resolver.resolve(&query).await;
    assert_eq!(addresses(&again), addresses(&first));
    assert!(
        is_stale(&again) && again.metadata.authentic_data,
        "{again:?}"
    );
    assert_eq!(setup.network.sent_to(&server), sent_before);
}
