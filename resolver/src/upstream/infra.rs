//! Infrastructure data: what the resolver has learned about each server address for each zone
//! (smoothed RTT, timeouts in a row, whether it rests, whether it needs TCP), keyed like Unbound's
//! infra cache (`services/cache/infra.c`) by address and zone: a server that never answers for
//! one zone it serves may still serve another. Kept apart from the RRset cache; no DNS data.
//!
//! A server that times out over UDP is asked over TCP next (`first_protocol`); one that fails
//! `SERVER_DOWN_AFTER_TIMEOUTS` times in a row for a type class (A, AAAA, other) rests for that
//! class, `TYPE_DOWN_AFTER_TIMEOUTS` times if it answered another class meanwhile (it is alive:
//! a lost datagram, or a server that drops only some types): it is not chosen until its probe time,
//! when one query of that class probes it. The first rest is `PROBE_DELAY_FIRST`; after a
//! failed probe the server rests for the backed-off timeout plus `PROBE_DELAY_MARGIN` (Unbound's
//! `probedelay`), up to `PROBE_DELAY_MAX`, so probes thin out as the silence goes on.
//! A delegation whose servers all rest is unreachable until the first probe time, and its
//! queries end in SERVFAIL without waiting. A reply lets the server back in at once for its
//! class, and for the classes that failed while it seemed dead (an outage may be over); a class
//! that failed while the server answered others stays down until its own probe is answered, so
//! a server that drops AAAA while answering A is not asked AAAA (each such query waiting for a
//! timeout) whenever an A reply comes (Unbound forgets its backoff on any reply).
//!
//! What one walk learns is shared with every other at once, outstanding queries included (as
//! Unbound's infra cache): a server that timed out and has a query still on its way (its TCP
//! retry, a probe) counts as failing for other walks, and a delegation whose every server timed
//! out since its last reply, one of them still being asked, is unreachable for them too. So a
//! second client asking for another name in a dead zone gets SERVFAIL at once while the first
//! walk is still waiting for its timeouts; the walk that holds the query decides for everyone.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use hickory_proto::rr::{Name, RecordType};

use crate::limits::{
    INFRA_MAX_ENTRIES, MAX_SMOOTHED_RTT_MILLIS, PROBE_DELAY_FIRST, PROBE_DELAY_MARGIN,
    PROBE_DELAY_MAX, SERVER_DOWN_AFTER_TIMEOUTS, TCP_ONLY_DURATION, TYPE_DOWN_AFTER_TIMEOUTS,
    UPSTREAM_QUERY_TIMEOUT,
};
use crate::upstream::transport::Protocol;

#[derive(Clone, Copy, Debug, Default)]
struct ServerRecord {
    smoothed_rtt_millis: u32,
    /// Timeouts (UDP or TCP) and refusals since the last reply, per `TypeClass` (Unbound's
    /// `timeout_A`, `timeout_AAAA`, `timeout_other`: a server that never answers AAAA queries
    /// rests for them only).
    failures_in_a_row: [u32; 3],
    /// Per type class: the server answered a query of another class since that class's failure
    /// streak began, so the streak needs `TYPE_DOWN_AFTER_TIMEOUTS` failures to rest it.
    alive_during_streak: [bool; 3],
    /// UDP timed out and TCP was not tried since: the next query goes over TCP.
    tcp_fallback_due: bool,
    /// TCP answered after UDP timed out: queries go over TCP until then.
    tcp_only_until: Option<Duration>,
    /// Per type class that went down (failed enough times in a row) and has not been answered
    /// since: not chosen for it before then (Unbound `probedelay`); then one query of that class
    /// may probe it.
    resting_until: [Option<Duration>; 3],
    /// Queries sent to the server and not yet answered or timed out (`OutstandingQuery`).
    outstanding: u32,
    /// An outcome (reply, timeout, refusal) was recorded: the fields above mean something.
    measured: bool,
}

/// Unbound's three timeout counts: A, AAAA, and every other type.
fn type_class(qtype: RecordType) -> usize {
    match qtype {
        RecordType::A => 0,
        RecordType::AAAA => 1,
        _ => 2,
    }
}

impl ServerRecord {
    fn rests_for(&self, qtype: RecordType, now: Duration) -> bool {
        self.resting_until[type_class(qtype)].is_some_and(|until| now < until)
    }

    /// Records a failure of `class` (its count already raised): the server goes down for it
    /// after `SERVER_DOWN_AFTER_TIMEOUTS` in a row if silent meanwhile, after
    /// `TYPE_DOWN_AFTER_TIMEOUTS` if it answered other types, and rests `PROBE_DELAY_FIRST`;
    /// a failure while down (a failed probe) rests it for `backed_off_probe_delay`.
    fn rest_after_failure(&mut self, class: usize, now: Duration) {
        let needed = if self.alive_during_streak[class] {
            TYPE_DOWN_AFTER_TIMEOUTS
        } else {
            SERVER_DOWN_AFTER_TIMEOUTS
        };
        if self.resting_until[class].is_some() {
            self.resting_until[class] = Some(now + self.backed_off_probe_delay(class));
        } else if self.failures_in_a_row[class] >= needed {
            self.resting_until[class] = Some(now + PROBE_DELAY_FIRST);
        }
    }

    /// Unbound's `probedelay` (`infra_host`): the backed-off timeout (`UPSTREAM_QUERY_TIMEOUT`
    /// doubled per failure of the class in a row, as Unbound's `rtt_lost` doubles its RTO) plus
    /// `PROBE_DELAY_MARGIN`, so a probe has certainly timed out before the next may go and each
    /// failed probe puts the next one off twice as long; within
    /// `PROBE_DELAY_FIRST..=PROBE_DELAY_MAX`. Counted per class, so replies to other types (which
    /// restart the smoothed RTT) do not shorten the rest of a class the server keeps dropping.
    fn backed_off_probe_delay(&self, class: usize) -> Duration {
        let doublings = self.failures_in_a_row[class].min(16);
        UPSTREAM_QUERY_TIMEOUT
            .saturating_mul(1u32 << doublings)
            .saturating_add(PROBE_DELAY_MARGIN)
            .clamp(PROBE_DELAY_FIRST, PROBE_DELAY_MAX)
    }

    /// Timed out for that class since its last reply, with no sign of life meanwhile.
    fn has_failed_for(&self, class: usize) -> bool {
        self.failures_in_a_row[class] >= 1 && !self.alive_during_streak[class]
    }

    /// For a walk choosing a server: resting, or failed and being asked again by another walk
    /// (its outcome is that walk's to learn; a second query would wait for the same timeout).
    fn counts_as_failing(&self, qtype: RecordType, now: Duration) -> bool {
        self.rests_for(qtype, now)
            || (self.outstanding > 0 && self.has_failed_for(type_class(qtype)))
    }

    fn most_failures(&self) -> u32 {
        self.failures_in_a_row.iter().copied().max().unwrap_or(0)
    }
}

/// A server address and the zone it was asked about (lower-cased).
type ServerKey = (IpAddr, Name);

/// Per server address and zone, bounded in size.
#[derive(Default)]
pub struct InfraCache {
    servers: Mutex<HashMap<ServerKey, ServerRecord>>,
}

fn key(address: IpAddr, zone: &Name) -> ServerKey {
    (address, zone.to_lowercase())
}

impl InfraCache {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<ServerKey, ServerRecord>> {
        // A poisoned map is still a consistent map of plain values: keep using it.
        self.servers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// unbound-control `flush_infra ADDR`: forgets what is known of `address` (for every zone),
    /// so it is tried afresh; `None` forgets every server (`flush_infra all`). Returns how many
    /// (server, zone) records went. One pass, bounded by `INFRA_MAX_ENTRIES`.
    pub fn forget(&self, address: Option<IpAddr>) -> usize {
        let mut servers = self.lock();
        let before = servers.len();
        match address {
            Some(address) => servers.retain(|(server, _), _| *server != address),
            None => servers.clear(),
        }
        before - servers.len()
    }

    /// Whether the server rests for every type at `now` (for `lookup`'s listing).
    pub fn rests(&self, address: IpAddr, zone: &Name, now: Duration) -> bool {
        self.lock().get(&key(address, zone)).is_some_and(|record| {
            [RecordType::A, RecordType::AAAA, RecordType::NS]
                .iter()
                .all(|qtype| record.rests_for(*qtype, now))
        })
    }

    /// The address's smoothed RTT in milliseconds; `None` for a server never tried.
    pub fn smoothed_rtt(&self, address: IpAddr, zone: &Name) -> Option<u32> {
        self.lock()
            .get(&key(address, zone))
            .filter(|record| record.measured)
            .map(|record| record.smoothed_rtt_millis)
    }

    /// Whether the server may be asked a `qtype` question now: it is not resting for that type
    /// (or its probe is due), and it is not a failed server another walk is asking again.
    pub fn is_available(
        &self,
        address: IpAddr,
        zone: &Name,
        qtype: RecordType,
        now: Duration,
    ) -> bool {
        self.lock()
            .get(&key(address, zone))
            .is_none_or(|record| !record.counts_as_failing(qtype, now))
    }

    /// Whether the delegation served by `addresses` is unreachable for a new walk: every address
    /// rests or timed out since its last reply, and a query to one of them is still outstanding
    /// (another walk is finding out; when none is, the caller may try the next server itself).
    pub fn every_server_failing(
        &self,
        addresses: impl IntoIterator<Item = IpAddr>,
        zone: &Name,
        qtype: RecordType,
        now: Duration,
    ) -> bool {
        let servers = self.lock();
        let class = type_class(qtype);
        let mut any = false;
        let mut asked = false;
        for address in addresses {
            let Some(record) = servers.get(&key(address, zone)) else {
                return false;
            };
            if !(record.rests_for(qtype, now) || record.has_failed_for(class)) {
                return false;
            }
            any = true;
            asked |= record.outstanding > 0;
        }
        any && asked
    }

    /// Called when a `qtype` query is about to go to `address`: counts it outstanding until the
    /// returned guard drops (after its outcome is recorded), and if it is a resting server's
    /// probe for that type class, puts the next probe off, so concurrent queries do not all probe
    /// it (Unbound `infra_host`).
    pub fn start_query<'a>(
        &'a self,
        address: IpAddr,
        zone: &Name,
        qtype: RecordType,
        now: Duration,
    ) -> OutstandingQuery<'a> {
        let mut servers = self.lock();
        let record = record_mut(&mut servers, address, zone);
        let class = type_class(qtype);
        if record.resting_until[class].is_some_and(|until| now >= until) {
            record.resting_until[class] = Some(now + record.backed_off_probe_delay(class));
        }
        record.outstanding = record.outstanding.saturating_add(1);
        OutstandingQuery {
            infra: self,
            key: key(address, zone),
        }
    }

    /// How the next query to the server starts: TCP when UDP timed out last time (RFC 7766 §5
    /// lets any query go over TCP) or when only TCP has answered lately; UDP otherwise.
    pub fn first_protocol(&self, address: IpAddr, zone: &Name, now: Duration) -> Protocol {
        let servers = self.lock();
        let Some(record) = servers.get(&key(address, zone)) else {
            return Protocol::Udp;
        };
        let tcp_only = record.tcp_only_until.is_some_and(|until| now < until);
        if record.tcp_fallback_due || tcp_only {
            Protocol::Tcp
        } else {
            Protocol::Udp
        }
    }

    /// A reply lets the server back in at once for its type class, and for the classes that
    /// failed while it seemed dead (the reply may end an outage); a class that failed while the
    /// server answered others stays down until its own probe is answered. RFC 6298-style
    /// smoothing (7/8 old + 1/8 new), as Unbound's `rtt_update`; after a failure streak the
    /// estimate restarts from the sample (as Unbound's `rtt_init` for a server above
    /// `USEFUL_SERVER_TOP_TIMEOUT`).
    pub fn record_reply(
        &self,
        address: IpAddr,
        zone: &Name,
        qtype: RecordType,
        rtt: Duration,
        protocol: Protocol,
        now: Duration,
    ) {
        let sample = u32::try_from(rtt.as_millis())
            .unwrap_or(MAX_SMOOTHED_RTT_MILLIS)
            .min(MAX_SMOOTHED_RTT_MILLIS);
        self.update(address, zone, |record, known| {
            record.smoothed_rtt_millis = if known && record.most_failures() == 0 {
                (record.smoothed_rtt_millis.saturating_mul(7) / 8).saturating_add(sample / 8)
            } else {
                sample
            };
            match protocol {
                Protocol::Tcp if record.tcp_fallback_due => {
                    record.tcp_only_until = Some(now + TCP_ONLY_DURATION);
                }
                Protocol::Udp => record.tcp_only_until = None,
                Protocol::Tcp => {}
            }
            let class = type_class(qtype);
            for other in 0..record.failures_in_a_row.len() {
                if other == class {
                    record.failures_in_a_row[other] = 0;
                    record.alive_during_streak[other] = false;
                    record.resting_until[other] = None;
                } else if record.failures_in_a_row[other] > 0 && !record.alive_during_streak[other]
                {
                    // Its failures may all be an outage this reply ends: it is asked again at
                    // once, and goes down again after `TYPE_DOWN_AFTER_TIMEOUTS` in all.
                    record.alive_during_streak[other] = true;
                    record.resting_until[other] = None;
                }
            }
            record.tcp_fallback_due = false;
        });
    }

    /// A timeout doubles the RTT estimate (Unbound `rtt_lost`), so the server sinks in the
    /// preference order; the first UDP timeout makes the next query TCP; the
    /// `SERVER_DOWN_AFTER_TIMEOUTS`th in a row puts the server to rest, a failed probe puts it
    /// back to rest for longer (`ServerRecord::rest_after_failure`).
    pub fn record_timeout(
        &self,
        address: IpAddr,
        zone: &Name,
        qtype: RecordType,
        protocol: Protocol,
        timeout: Duration,
        now: Duration,
    ) {
        let floor = u32::try_from(timeout.as_millis()).unwrap_or(MAX_SMOOTHED_RTT_MILLIS);
        self.update(address, zone, |record, known| {
            let old = if known {
                record.smoothed_rtt_millis
            } else {
                floor
            };
            record.smoothed_rtt_millis = old
                .max(floor)
                .saturating_mul(2)
                .min(MAX_SMOOTHED_RTT_MILLIS);
            let class = type_class(qtype);
            let failures = &mut record.failures_in_a_row[class];
            *failures = failures.saturating_add(1);
            record.tcp_fallback_due = protocol == Protocol::Udp && *failures == 1;
            record.rest_after_failure(class, now);
        });
    }

    /// Connection refused (ICMP port unreachable over UDP, RST over TCP): nothing serves DNS
    /// there now, so the server rests at once; its probe comes as soon as after timeouts.
    pub fn record_refused(&self, address: IpAddr, zone: &Name, now: Duration) {
        self.update(address, zone, |record, known| {
            if !known {
                record.smoothed_rtt_millis = MAX_SMOOTHED_RTT_MILLIS;
            }
            // Nothing listens: every type fails alike.
            for failures in &mut record.failures_in_a_row {
                *failures = failures.saturating_add(1).max(SERVER_DOWN_AFTER_TIMEOUTS);
            }
            record.alive_during_streak = [false; 3];
            record.tcp_fallback_due = false;
            for class in 0..record.failures_in_a_row.len() {
                record.rest_after_failure(class, now);
            }
        });
    }

    /// Applies `change` to the address's record (`known` false for a fresh one).
    fn update(&self, address: IpAddr, zone: &Name, change: impl FnOnce(&mut ServerRecord, bool)) {
        let mut servers = self.lock();
        let record = record_mut(&mut servers, address, zone);
        let known = record.measured;
        change(record, known);
        record.measured = true;
    }
}

/// The address's record, made if new; within `INFRA_MAX_ENTRIES`.
fn record_mut<'m>(
    servers: &'m mut HashMap<ServerKey, ServerRecord>,
    address: IpAddr,
    zone: &Name,
) -> &'m mut ServerRecord {
    let key = key(address, zone);
    if servers.len() >= INFRA_MAX_ENTRIES && !servers.contains_key(&key) {
        // Forgetting everything is crude but bounded; RTTs are re-learned within a few queries.
        servers.clear();
    }
    servers.entry(key).or_default()
}

/// A query on its way to a server (`InfraCache::start_query`); dropping it, once the outcome is
/// recorded or when the walk is cancelled, ends it.
pub struct OutstandingQuery<'a> {
    infra: &'a InfraCache,
    key: ServerKey,
}

impl Drop for OutstandingQuery<'_> {
    fn drop(&mut self) {
        // The record may have gone (`forget`, or the size bound): then there is nothing to end.
        if let Some(record) = self.infra.lock().get_mut(&self.key) {
            record.outstanding = record.outstanding.saturating_sub(1);
        }
    }
}

/// Orders candidate addresses: never-tried servers first (they may be the fastest; Unbound gives
/// them a low "niceness" so they get probed), then by smoothed RTT. Stable for equal values.
pub fn order_by_rtt(infra: &InfraCache, zone: &Name, addresses: &mut [IpAddr]) {
    addresses.sort_by_key(|address| {
        infra
            .smoothed_rtt(*address, zone)
            .map_or(0, |rtt| rtt.saturating_add(1))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const TIMEOUT: Duration = Duration::from_millis(1500);

    fn address(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    fn zone() -> Name {
        Name::from_ascii("example.com.").unwrap()
    }

    fn at(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
    }

    #[test]
    fn faster_server_is_preferred_and_unknown_servers_come_first() {
        let infra = InfraCache::new();
        let (slow, fast, unknown) = (address(1), address(2), address(3));
        infra.record_reply(
            slow,
            &zone(),
            RecordType::A,
            Duration::from_millis(300),
            Protocol::Udp,
            at(0),
        );
        infra.record_reply(
            fast,
            &zone(),
            RecordType::A,
            Duration::from_millis(20),
            Protocol::Udp,
            at(0),
        );
        let mut addresses = vec![slow, fast, unknown];
        order_by_rtt(&infra, &zone(), &mut addresses);
        assert_eq!(addresses, vec![unknown, fast, slow]);
    }

    #[test]
    fn timeouts_push_a_server_down_the_order() {
        let infra = InfraCache::new();
        let (flaky, steady) = (address(1), address(2));
        infra.record_reply(
            flaky,
            &zone(),
            RecordType::A,
            Duration::from_millis(10),
            Protocol::Udp,
            at(0),
        );
        infra.record_reply(
            steady,
            &zone(),
            RecordType::A,
            Duration::from_millis(200),
            Protocol::Udp,
            at(0),
        );
        infra.record_timeout(flaky, &zone(), RecordType::A, Protocol::Udp, TIMEOUT, at(0));
        let mut addresses = vec![flaky, steady];
        order_by_rtt(&infra, &zone(), &mut addresses);
        assert_eq!(addresses, vec![steady, flaky]);
        assert!(infra.smoothed_rtt(flaky, &zone()).unwrap() <= MAX_SMOOTHED_RTT_MILLIS);
    }

    #[test]
    fn udp_timeout_sends_the_next_query_over_tcp_and_a_tcp_answer_keeps_it_there() {
        let infra = InfraCache::new();
        let server = address(1);
        assert_eq!(infra.first_protocol(server, &zone(), at(0)), Protocol::Udp);
        infra.record_timeout(
            server,
            &zone(),
            RecordType::A,
            Protocol::Udp,
            TIMEOUT,
            at(0),
        );
        assert!(
            infra.is_available(server, &zone(), RecordType::A, at(0)),
            "one timeout does not rest it"
        );
        assert_eq!(infra.first_protocol(server, &zone(), at(0)), Protocol::Tcp);
        infra.record_reply(
            server,
            &zone(),
            RecordType::A,
            Duration::from_millis(5),
            Protocol::Tcp,
            at(2),
        );
        assert_eq!(infra.first_protocol(server, &zone(), at(3)), Protocol::Tcp);
        let later = at(2) + TCP_ONLY_DURATION;
        assert_eq!(infra.first_protocol(server, &zone(), later), Protocol::Udp);
    }

    #[test]
    fn server_failing_in_a_row_rests_until_its_probe_and_a_reply_lets_it_back() {
        let infra = InfraCache::new();
        let server = address(1);
        infra.record_timeout(
            server,
            &zone(),
            RecordType::A,
            Protocol::Udp,
            TIMEOUT,
            at(10),
        );
        infra.record_timeout(
            server,
            &zone(),
            RecordType::A,
            Protocol::Tcp,
            TIMEOUT,
            at(10),
        );
        assert!(!infra.is_available(server, &zone(), RecordType::A, at(10)));
        let probe_time = at(10) + PROBE_DELAY_FIRST;
        assert!(infra.is_available(server, &zone(), RecordType::A, probe_time));
        // The probe is claimed: a second query at the same time does not probe too.
        let probe = infra.start_query(server, &zone(), RecordType::A, probe_time);
        assert!(!infra.is_available(server, &zone(), RecordType::A, probe_time));
        // The probe fails: the timeout backed off (1.5 s doubled per failure, three) is 12 s, and
        // the server rests that plus the margin (Unbound's `probedelay`), longer than at first.
        infra.record_timeout(
            server,
            &zone(),
            RecordType::A,
            Protocol::Udp,
            TIMEOUT,
            probe_time,
        );
        drop(probe);
        let rest = Duration::from_secs(12) + PROBE_DELAY_MARGIN;
        assert!(rest > PROBE_DELAY_FIRST * 2);
        let before = probe_time + rest - Duration::from_millis(1);
        assert!(!infra.is_available(server, &zone(), RecordType::A, before));
        let second_probe_time = probe_time + rest;
        assert!(infra.is_available(server, &zone(), RecordType::A, second_probe_time));
        // The second probe fails too: 24 s plus the margin, cut to the ceiling.
        let probe = infra.start_query(server, &zone(), RecordType::A, second_probe_time);
        infra.record_timeout(
            server,
            &zone(),
            RecordType::A,
            Protocol::Udp,
            TIMEOUT,
            second_probe_time,
        );
        drop(probe);
        let before = second_probe_time + PROBE_DELAY_MAX - Duration::from_millis(1);
        assert!(!infra.is_available(server, &zone(), RecordType::A, before));
        let third_probe_time = second_probe_time + PROBE_DELAY_MAX;
        assert!(infra.is_available(server, &zone(), RecordType::A, third_probe_time));
        infra.record_reply(
            server,
            &zone(),
            RecordType::A,
            Duration::from_millis(5),
            Protocol::Udp,
            third_probe_time,
        );
        assert!(infra.is_available(server, &zone(), RecordType::A, third_probe_time));
        assert_eq!(
            infra.smoothed_rtt(server, &zone()),
            Some(5),
            "the estimate restarts"
        );
    }

    #[test]
    fn probe_delay_is_bounded() {
        let infra = InfraCache::new();
        let server = address(1);
        for _ in 0..100 {
            infra.record_timeout(
                server,
                &zone(),
                RecordType::A,
                Protocol::Udp,
                TIMEOUT,
                at(0),
            );
        }
        assert!(infra.is_available(server, &zone(), RecordType::A, PROBE_DELAY_MAX));
    }

    #[test]
    fn server_resting_for_one_zone_still_serves_another() {
        let infra = InfraCache::new();
        let server = address(1);
        infra.record_refused(server, &zone(), at(0));
        assert!(!infra.is_available(server, &zone(), RecordType::A, at(0)));
        let other = Name::from_ascii("example.net.").unwrap();
        assert!(infra.is_available(server, &other, RecordType::A, at(0)));
    }

    #[test]
    fn server_timing_out_for_one_type_still_answers_others() {
        let infra = InfraCache::new();
        let server = address(1);
        for _ in 0..SERVER_DOWN_AFTER_TIMEOUTS {
            infra.record_timeout(
                server,
                &zone(),
                RecordType::AAAA,
                Protocol::Udp,
                TIMEOUT,
                at(0),
            );
        }
        assert!(!infra.is_available(server, &zone(), RecordType::AAAA, at(0)));
        assert!(infra.is_available(server, &zone(), RecordType::A, at(0)));
    }

    /// Unbound's iter_timeout_ra_aaaa: a server that answers A but drops AAAA. The AAAA probe
    /// 6 s after it went down fails; 12 s later its next AAAA probe is not due yet (Unbound
    /// waits 14 s), while A questions go to it throughout.
    #[test]
    fn server_dropping_aaaa_is_probed_for_aaaa_ever_more_rarely_and_still_asked_a() {
        let infra = InfraCache::new();
        let server = address(1);
        let time_out = |protocol, now| {
            infra.record_timeout(server, &zone(), RecordType::AAAA, protocol, TIMEOUT, now)
        };
        infra.record_reply(
            server,
            &zone(),
            RecordType::A,
            Duration::ZERO,
            Protocol::Udp,
            at(0),
        );
        time_out(Protocol::Udp, at(0));
        time_out(Protocol::Tcp, at(0));
        assert!(!infra.is_available(server, &zone(), RecordType::AAAA, at(0)));
        assert!(infra.is_available(server, &zone(), RecordType::A, at(0)));
        assert!(infra.is_available(server, &zone(), RecordType::AAAA, at(6)));
        let probe = infra.start_query(server, &zone(), RecordType::AAAA, at(6));
        time_out(Protocol::Udp, at(6));
        drop(probe);
        for resting in [at(6), at(18), at(19)] {
            assert!(!infra.is_available(server, &zone(), RecordType::AAAA, resting));
            assert!(infra.is_available(server, &zone(), RecordType::A, resting));
        }
        assert!(infra.is_available(server, &zone(), RecordType::AAAA, at(20)));
        assert!(!infra.every_server_failing([server], &zone(), RecordType::A, at(18)));
    }

    #[test]
    fn class_failing_while_the_server_answers_others_stays_down_through_their_replies() {
        let infra = InfraCache::new();
        let server = address(1);
        let time_out = |protocol, now| {
            infra.record_timeout(server, &zone(), RecordType::AAAA, protocol, TIMEOUT, now)
        };
        let answer_a = |now| {
            let rtt = Duration::from_millis(5);
            infra.record_reply(server, &zone(), RecordType::A, rtt, Protocol::Udp, now)
        };
        time_out(Protocol::Udp, at(0));
        time_out(Protocol::Tcp, at(0));
        assert!(!infra.is_available(server, &zone(), RecordType::AAAA, at(0)));
        // An A reply: the server may have been down and be back, so AAAA gets another try.
        answer_a(at(1));
        assert!(infra.is_available(server, &zone(), RecordType::AAAA, at(1)));
        // AAAA fails while A is answered: down, and further A replies leave it down.
        time_out(Protocol::Udp, at(1));
        answer_a(at(2));
        let probe_time = at(1) + PROBE_DELAY_FIRST;
        assert!(!infra.is_available(
            server,
            &zone(),
            RecordType::AAAA,
            probe_time - Duration::from_millis(1)
        ));
        assert!(infra.is_available(server, &zone(), RecordType::A, at(2)));
        assert!(infra.is_available(server, &zone(), RecordType::AAAA, probe_time));
        // Its own reply lets it back.
        let rtt = Duration::from_millis(5);
        infra.record_reply(
            server,
            &zone(),
            RecordType::AAAA,
            rtt,
            Protocol::Udp,
            probe_time,
        );
        time_out(Protocol::Udp, probe_time);
        assert!(infra.is_available(server, &zone(), RecordType::AAAA, probe_time));
    }

    #[test]
    fn refused_server_rests_at_once() {
        let infra = InfraCache::new();
        let server = address(1);
        infra.record_refused(server, &zone(), at(0));
        assert!(!infra.is_available(server, &zone(), RecordType::A, at(0)));
        assert!(infra.is_available(server, &zone(), RecordType::A, PROBE_DELAY_FIRST));
        assert_eq!(infra.first_protocol(server, &zone(), at(0)), Protocol::Udp);
    }

    #[test]
    fn failed_server_asked_again_by_another_walk_counts_as_failing_until_the_outcome() {
        let infra = InfraCache::new();
        let server = address(1);
        infra.record_timeout(
            server,
            &zone(),
            RecordType::A,
            Protocol::Udp,
            TIMEOUT,
            at(0),
        );
        assert!(infra.is_available(server, &zone(), RecordType::A, at(1)));
        let retry = infra.start_query(server, &zone(), RecordType::A, at(1));
        assert!(
            !infra.is_available(server, &zone(), RecordType::A, at(1)),
            "its TCP retry is on its way"
        );
        // It answers: back at once, for everyone.
        infra.record_reply(
            server,
            &zone(),
            RecordType::A,
            Duration::from_millis(5),
            Protocol::Tcp,
            at(2),
        );
        assert!(infra.is_available(server, &zone(), RecordType::A, at(2)));
        drop(retry);
        // A server never failed is not held back by a query on its way.
        let healthy = address(2);
        let _query = infra.start_query(healthy, &zone(), RecordType::A, at(2));
        assert!(infra.is_available(healthy, &zone(), RecordType::A, at(2)));
    }

    #[test]
    fn delegation_whose_every_server_failed_is_unreachable_while_one_is_being_asked() {
        let infra = InfraCache::new();
        let servers = [address(1), address(2)];
        for server in servers {
            infra.record_timeout(
                server,
                &zone(),
                RecordType::A,
                Protocol::Udp,
                TIMEOUT,
                at(0),
            );
        }
        // Nobody asks: the walk that has them may try each over TCP.
        assert!(!infra.every_server_failing(servers, &zone(), RecordType::A, at(3)));
        let retry = infra.start_query(servers[0], &zone(), RecordType::A, at(3));
        assert!(infra.every_server_failing(servers, &zone(), RecordType::A, at(3)));
        // Another zone, another type class with no failure, or a server never tried: not failing.
        let other = Name::from_ascii("example.net.").unwrap();
        assert!(!infra.every_server_failing(servers, &other, RecordType::A, at(3)));
        assert!(!infra.every_server_failing(servers, &zone(), RecordType::MX, at(3)));
        assert!(!infra.every_server_failing(
            [servers[0], servers[1], address(3)],
            &zone(),
            RecordType::A,
            at(3)
        ));
        drop(retry);
        assert!(!infra.every_server_failing(servers, &zone(), RecordType::A, at(3)));
        // A reply from one lets the delegation back in at once.
        let retry = infra.start_query(servers[0], &zone(), RecordType::A, at(4));
        infra.record_reply(
            servers[1],
            &zone(),
            RecordType::A,
            Duration::from_millis(5),
            Protocol::Tcp,
            at(4),
        );
        assert!(!infra.every_server_failing(servers, &zone(), RecordType::A, at(4)));
        drop(retry);
    }
}
