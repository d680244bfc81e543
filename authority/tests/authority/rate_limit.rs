//! Response rate limiting through the real handler (`AuthorityHandler::with_rate_limit`): UDP is
//! limited per client prefix, TCP never is, and without configuration nothing is limited.

use std::net::SocketAddr;
use std::sync::Arc;

use authority::answer::handler::AuthorityHandler;
use authority::catalog::reload::SharedCatalog;
use authority::catalog::zones::ZoneSource;
use authority::listen::{Handler, Protocol, RequestContext};
use authority::rrl::RateLimitConfig;
use hickory_proto::rr::RecordType;

use crate::support::query_bytes;

const BURST: usize = 50;

fn handler(rate: Option<RateLimitConfig>) -> AuthorityHandler {
    let zone = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../zones/examples/example.test.yaml"
    );
    let source = ZoneSource::parse(zone).expect("zone argument");
    let (catalog, report) = SharedCatalog::load(vec![source]);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let handler = AuthorityHandler::new(Arc::new(catalog));
    match rate {
        Some(config) => handler.with_rate_limit(config),
        None => handler,
    }
}

fn context(client: &str, protocol: Protocol) -> RequestContext {
    RequestContext {
        client: client.parse::<SocketAddr>().expect("client address"),
        local: "127.0.0.1:53".parse().expect("local address"),
        protocol,
    }
}

/// (full answers, TC replies) for BURST identical queries from `client`.
async fn burst(handler: &AuthorityHandler, client: &str, protocol: Protocol) -> (usize, usize) {
    let query = query_bytes("www.example.test.", RecordType::A, Some(1232));
    let (mut full, mut truncated) = (0, 0);
    for _ in 0..BURST {
        if let Some(reply) = handler.handle(&query, context(client, protocol)).await {
            if reply[2] & 0x02 != 0 {
                truncated += 1;
            } else {
                full += 1;
            }
        }
    }
    (full, truncated)
}

const ONE_PER_SECOND_SLIP_TWO: RateLimitConfig = RateLimitConfig {
    responses_per_second: 1,
    slip: 2,
};

#[tokio::test]
async fn udp_burst_from_one_prefix_is_limited_and_slips() {
    let handler = handler(Some(ONE_PER_SECOND_SLIP_TWO));
    let (full, truncated) = burst(&handler, "192.0.2.1:4000", Protocol::Udp).await;
    // At one per second, half the burst would need 25 s to earn: no timing decides this.
    assert!((1..BURST / 2).contains(&full), "full answers: {full}");
    assert!(truncated >= 1, "TC replies: {truncated}");
    assert!(full + truncated < BURST, "some replies are dropped");
    let (other_full, _) = burst(&handler, "198.51.100.1:4000", Protocol::Udp).await;
    assert!(other_full >= 1, "another /24 has its own budget");
}

#[tokio::test]
async fn tcp_is_never_rate_limited() {
    let handler = handler(Some(ONE_PER_SECOND_SLIP_TWO));
    assert_eq!(
        burst(&handler, "192.0.2.1:4000", Protocol::Tcp).await,
        (BURST, 0)
    );
}

#[tokio::test]
async fn without_configuration_nothing_is_limited() {
    let handler = handler(None);
    assert_eq!(
        burst(&handler, "192.0.2.1:4000", Protocol::Udp).await,
        (BURST, 0)
    );
}
