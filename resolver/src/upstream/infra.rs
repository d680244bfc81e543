//! Infrastructure data: what the resolver has learned about each server address (smoothed RTT).
//! Kept apart from the RRset cache (as Unbound's infra cache); it never holds DNS data.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use crate::limits::{INFRA_MAX_ENTRIES, MAX_SMOOTHED_RTT_MILLIS};

#[derive(Clone, Copy, Debug)]
struct ServerRecord {
    smoothed_rtt_millis: u32,
}

/// Smoothed RTT per server address, bounded in size.
#[derive(Default)]
pub struct InfraCache {
    servers: Mutex<HashMap<IpAddr, ServerRecord>>,
}

impl InfraCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// The address's smoothed RTT in milliseconds; `None` for a server never tried.
    pub fn smoothed_rtt(&self, address: IpAddr) -> Option<u32> {
        let servers = self.servers.lock().ok()?;
        servers
            .get(&address)
            .map(|record| record.smoothed_rtt_millis)
    }

    /// RFC 6298-style smoothing (7/8 old + 1/8 new), as Unbound's `rtt_update`.
    pub fn record_reply(&self, address: IpAddr, rtt: Duration) {
        let sample = u32::try_from(rtt.as_millis())
            .unwrap_or(MAX_SMOOTHED_RTT_MILLIS)
            .min(MAX_SMOOTHED_RTT_MILLIS);
        self.update(address, |old| match old {
            Some(old) => (old.saturating_mul(7) / 8).saturating_add(sample / 8),
            None => sample,
        });
    }

    /// A timeout doubles the estimate (Unbound backs off the same way), so the server sinks in
    /// the preference order but is tried again once others prove slower.
    pub fn record_timeout(&self, address: IpAddr, timeout: Duration) {
        let floor = u32::try_from(timeout.as_millis()).unwrap_or(MAX_SMOOTHED_RTT_MILLIS);
        self.update(address, |old| {
            old.unwrap_or(floor)
                .max(floor)
                .saturating_mul(2)
                .min(MAX_SMOOTHED_RTT_MILLIS)
        });
    }

    fn update(&self, address: IpAddr, next: impl FnOnce(Option<u32>) -> u32) {
        let Ok(mut servers) = self.servers.lock() else {
            return;
        };
        if servers.len() >= INFRA_MAX_ENTRIES && !servers.contains_key(&address) {
            // Forgetting everything is crude but bounded; RTTs are re-learned within a few queries.
            servers.clear();
        }
        let old = servers
            .get(&address)
            .map(|record| record.smoothed_rtt_millis);
        servers.insert(
            address,
            ServerRecord {
                smoothed_rtt_millis: next(old),
            },
        );
    }
}

/// Orders candidate addresses: never-tried servers first (they may be the fastest; Unbound gives
/// them a low "niceness" so they get probed), then by smoothed RTT. Stable for equal values.
pub fn order_by_rtt(infra: &InfraCache, addresses: &mut [IpAddr]) {
    addresses.sort_by_key(|address| {
        infra
            .smoothed_rtt(*address)
            .map_or(0, |rtt| rtt.saturating_add(1))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn faster_server_is_preferred_and_unknown_servers_come_first() {
        let infra = InfraCache::new();
        let slow = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let fast = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        let unknown = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 3));
        infra.record_reply(slow, Duration::from_millis(300));
        infra.record_reply(fast, Duration::from_millis(20));
        let mut addresses = vec![slow, fast, unknown];
        order_by_rtt(&infra, &mut addresses);
        assert_eq!(addresses, vec![unknown, fast, slow]);
    }

    #[test]
    fn timeouts_push_a_server_down_the_order() {
        let infra = InfraCache::new();
        let flaky = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let steady = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
        infra.record_reply(flaky, Duration::from_millis(10));
        infra.record_reply(steady, Duration::from_millis(200));
        infra.record_timeout(flaky, Duration::from_millis(1500));
        let mut addresses = vec![flaky, steady];
        order_by_rtt(&infra, &mut addresses);
        assert_eq!(addresses, vec![steady, flaky]);
        assert!(infra.smoothed_rtt(flaky).unwrap() <= MAX_SMOOTHED_RTT_MILLIS);
    }
}
