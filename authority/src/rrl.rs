//! Response rate limiting (RRL, as in BIND, NSD and Knot): token buckets per (client prefix,
//! response class) decide whether a UDP response is sent, slipped (TC=1, empty) or dropped.
//! It never sees TCP (a TCP client proved its address) and never reads the clock itself: the
//! caller passes the time, so tests drive it without sleeping.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use crate::limits::{
    HEADER_BYTES, RATE_LIMIT_BURST_SECONDS, RATE_LIMIT_IPV4_PREFIX, RATE_LIMIT_IPV6_PREFIX,
    RATE_LIMIT_MAX_BUCKETS,
};

/// How the limiter is configured: off unless `responses_per_second` is given (NSD, Knot and
/// BIND all ship RRL off by default, since the right rate depends on the zone's real traffic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Responses per second per (client prefix, response class). BIND's usual advice is 5–15.
    pub responses_per_second: u32,
    /// Every `slip`-th limited response is sent as an empty TC=1 reply so a real client behind a
    /// spoofed prefix can retry over TCP; the others are dropped. 0 drops all, 1 slips all.
    /// BIND and NSD default to 2.
    pub slip: u32,
}

/// What to do with one response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Send,
    /// Send a truncated empty reply instead (RFC 1035 §4.1.1 TC: retry over TCP).
    Slip,
    Drop,
}

/// Which responses share a budget. Positive answers are limited per name and type (the
/// amplifier's favourite is one big answer repeated); NXDOMAIN and errors share one bucket per
/// prefix and rcode, so random names cannot each get a fresh budget (BIND keys NXDOMAIN on the
/// zone; per-prefix is stricter and needs no zone lookup).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct BucketKey {
    prefix: [u8; 16],
    response_class: u64,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    /// Credit in thousandths of a response, so refill needs no floating point.
    credit_millis: u64,
    last_refill: Duration,
    limited_count: u32,
}

struct Table {
    buckets: HashMap<BucketKey, Bucket>,
    /// Keys in creation order; the front is evicted when the table is full.
    order: VecDeque<BucketKey>,
}

/// The limiter: a bounded table of token buckets behind one lock (held for a hash lookup only).
pub struct RateLimiter {
    config: RateLimitConfig,
    /// Seeded per process so an attacker cannot aim many classes at one hash.
    hasher: RandomState,
    table: Mutex<Table>,
}

/// The part of `address` that shares one budget (a /24 or a /56), as 16 bytes.
pub fn client_prefix(address: IpAddr) -> [u8; 16] {
    let mut prefix = [0u8; 16];
    match address {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4) & (u32::MAX << (32 - u32::from(RATE_LIMIT_IPV4_PREFIX)));
            if let Some(slot) = prefix.get_mut(..4) {
                slot.copy_from_slice(&bits.to_be_bytes());
            }
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & (u128::MAX << (128 - u32::from(RATE_LIMIT_IPV6_PREFIX)));
            prefix = bits.to_be_bytes();
            // Mark the family so ::/56 and 0.0.0.0/24 stay apart.
            if let Some(last) = prefix.last_mut() {
                *last = 6;
            }
        }
    }
    prefix
}

impl RateLimiter {
    pub fn new(config: RateLimitConfig) -> RateLimiter {
        RateLimiter {
            config,
            hasher: RandomState::new(),
            table: Mutex::new(Table {
                buckets: HashMap::new(),
                order: VecDeque::new(),
            }),
        }
    }

    /// Buckets currently held (never more than `RATE_LIMIT_MAX_BUCKETS`).
    pub fn bucket_count(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .buckets
            .len()
    }

    /// Decides the fate of `response` (wire bytes we are about to send) to `client` at `now`
    /// (any monotonic time, e.g. since the server started).
    pub fn decide(&self, client: IpAddr, response: &[u8], now: Duration) -> Decision {
        if self.config.responses_per_second == 0 {
            return Decision::Send;
        }
        let key = BucketKey {
            prefix: client_prefix(client),
            response_class: self.response_class(response),
        };
        let rate_millis = u64::from(self.config.responses_per_second) * 1000;
        let capacity = rate_millis * u64::from(RATE_LIMIT_BURST_SECONDS);
        let mut table = self
            .table
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !table.buckets.contains_key(&key) {
            while table.buckets.len() >= RATE_LIMIT_MAX_BUCKETS {
                let Some(oldest) = table.order.pop_front() else {
                    break;
                };
                table.buckets.remove(&oldest);
            }
            table.order.push_back(key);
            table.buckets.insert(
                key,
                Bucket {
                    credit_millis: capacity,
                    last_refill: now,
                    limited_count: 0,
                },
            );
        }
        let Some(bucket) = table.buckets.get_mut(&key) else {
            return Decision::Send;
        };
        let elapsed = now.saturating_sub(bucket.last_refill);
        let earned =
            u64::try_from(elapsed.as_micros().saturating_mul(u128::from(rate_millis)) / 1_000_000)
                .unwrap_or(u64::MAX);
        if earned > 0 {
            bucket.credit_millis = bucket.credit_millis.saturating_add(earned).min(capacity);
            bucket.last_refill = now;
        }
        if bucket.credit_millis >= 1000 {
            bucket.credit_millis -= 1000;
            bucket.limited_count = 0;
            return Decision::Send;
        }
        bucket.limited_count = bucket.limited_count.wrapping_add(1);
        if self.config.slip != 0 && bucket.limited_count % self.config.slip == 0 {
            Decision::Slip
        } else {
            Decision::Drop
        }
    }

    /// Hash of what makes responses share a budget: the rcode, and for NOERROR also the
    /// question's name (case-folded) and type.
    fn response_class(&self, response: &[u8]) -> u64 {
        let response_code = response.get(3).map_or(0, |flags| flags & 0x0f);
        if response_code != 0 {
            return self.hasher.hash_one(("rcode", response_code));
        }
        match question_end(response) {
            Some(end) => {
                let question = response.get(HEADER_BYTES..end).unwrap_or_default();
                self.hasher
                    .hash_one(("question", question.to_ascii_lowercase()))
            }
            None => self.hasher.hash_one(("no question", 0u8)),
        }
    }
}

/// Where the first question of a message we encoded ends (name, type, class), if it is there.
/// Our encoder writes the question's name uncompressed (it is the first name in the message).
fn question_end(message: &[u8]) -> Option<usize> {
    if message.get(4..6)? == [0, 0] {
        return None;
    }
    let mut position = HEADER_BYTES;
    // A name is at most 255 octets (RFC 1035 §3.1), so at most 128 labels.
    for _ in 0..128 {
        let length = usize::from(*message.get(position)?);
        if length == 0 {
            let end = position + 1 + 4;
            return (end <= message.len()).then_some(end);
        }
        if length > 63 {
            return None;
        }
        position += 1 + length;
    }
    None
}

/// The slip reply: the response's header and question only, TC set, no records (and no OPT).
pub fn truncated_reply(response: &[u8]) -> Option<Vec<u8>> {
    let end = question_end(response).unwrap_or(HEADER_BYTES);
    let mut reply = response.get(..end)?.to_vec();
    // Header flags: set TC (RFC 1035 §4.1.1); counts: QDCOUNT kept, AN/NS/AR zeroed.
    if let Some(flags) = reply.get_mut(2) {
        *flags |= 0x02;
    }
    if end == HEADER_BYTES {
        if let Some(counts) = reply.get_mut(4..6) {
            counts.copy_from_slice(&[0, 0]);
        }
    }
    if let Some(counts) = reply.get_mut(6..12) {
        counts.copy_from_slice(&[0; 6]);
    }
    Some(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A NOERROR response to `name` A with one dummy answer byte pattern after the question.
    fn response(name: &str, response_code: u8) -> Vec<u8> {
        let mut bytes = vec![0x12, 0x34, 0x84, response_code, 0, 1, 0, 1, 0, 0, 0, 0];
        for label in name.split('.').filter(|label| !label.is_empty()) {
            bytes.push(label.len() as u8);
            bytes.extend_from_slice(label.as_bytes());
        }
        bytes.extend_from_slice(&[0, 0, 1, 0, 1]);
        bytes.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
        bytes
    }

    fn limiter(rate: u32, slip: u32) -> RateLimiter {
        RateLimiter::new(RateLimitConfig {
            responses_per_second: rate,
            slip,
        })
    }

    fn client(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn count(decisions: &[Decision], wanted: Decision) -> usize {
        decisions
            .iter()
            .filter(|decision| **decision == wanted)
            .count()
    }

    #[test]
    fn rate_is_enforced_within_one_second() {
        let limiter = limiter(5, 0);
        let answer = response("www.example.test", 0);
        let decisions: Vec<_> = (0..100)
            .map(|_| limiter.decide(client("192.0.2.7"), &answer, Duration::from_millis(500)))
            .collect();
        assert_eq!(count(&decisions, Decision::Send), 5);
        assert_eq!(count(&decisions, Decision::Drop), 95);
    }

    #[test]
    fn every_second_limited_response_slips_with_slip_two() {
        let limiter = limiter(1, 2);
        let answer = response("www.example.test", 0);
        let decisions: Vec<_> = (0..11)
            .map(|_| limiter.decide(client("192.0.2.7"), &answer, Duration::ZERO))
            .collect();
        assert_eq!(decisions[0], Decision::Send);
        assert_eq!(count(&decisions, Decision::Slip), 5);
        assert_eq!(count(&decisions, Decision::Drop), 5);
    }

    #[test]
    fn bucket_refills_with_time() {
        let limiter = limiter(2, 0);
        let answer = response("www.example.test", 0);
        let at = |millis| Duration::from_millis(millis);
        assert_eq!(
            limiter.decide(client("192.0.2.7"), &answer, at(0)),
            Decision::Send
        );
        assert_eq!(
            limiter.decide(client("192.0.2.7"), &answer, at(0)),
            Decision::Send
        );
        assert_eq!(
            limiter.decide(client("192.0.2.7"), &answer, at(0)),
            Decision::Drop
        );
        // Half a second at 2/s earns one response, and only one.
        assert_eq!(
            limiter.decide(client("192.0.2.7"), &answer, at(500)),
            Decision::Send
        );
        assert_eq!(
            limiter.decide(client("192.0.2.7"), &answer, at(500)),
            Decision::Drop
        );
        // A long pause refills to the burst cap, not beyond.
        let after_pause: Vec<_> = (0..10)
            .map(|_| limiter.decide(client("192.0.2.7"), &answer, at(60_000)))
            .collect();
        assert_eq!(
            count(&after_pause, Decision::Send),
            2 * RATE_LIMIT_BURST_SECONDS as usize
        );
    }

    #[test]
    fn different_prefixes_have_independent_budgets() {
        let limiter = limiter(1, 0);
        let answer = response("www.example.test", 0);
        assert_eq!(
            limiter.decide(client("192.0.2.7"), &answer, Duration::ZERO),
            Decision::Send
        );
        // Same /24: shares the exhausted budget.
        assert_eq!(
            limiter.decide(client("192.0.2.200"), &answer, Duration::ZERO),
            Decision::Drop
        );
        assert_eq!(
            limiter.decide(client("192.0.3.7"), &answer, Duration::ZERO),
            Decision::Send
        );
        assert_eq!(
            limiter.decide(client("2001:db8::1"), &answer, Duration::ZERO),
            Decision::Send
        );
        // Same /56.
        assert_eq!(
            limiter.decide(client("2001:db8:0:ff::1"), &answer, Duration::ZERO),
            Decision::Drop
        );
        assert_eq!(
            limiter.decide(client("2001:db8:0:100::1"), &answer, Duration::ZERO),
            Decision::Send
        );
    }

    #[test]
    fn names_have_separate_budgets_but_errors_share_one() {
        let limiter = limiter(1, 0);
        let host = client("192.0.2.7");
        assert_eq!(
            limiter.decide(host, &response("a.example.test", 0), Duration::ZERO),
            Decision::Send
        );
        assert_eq!(
            limiter.decide(host, &response("b.example.test", 0), Duration::ZERO),
            Decision::Send
        );
        // Case does not make a new class.
        assert_eq!(
            limiter.decide(host, &response("A.EXAMPLE.test", 0), Duration::ZERO),
            Decision::Drop
        );
        // NXDOMAIN for random names: one bucket.
        assert_eq!(
            limiter.decide(host, &response("x1.example.test", 3), Duration::ZERO),
            Decision::Send
        );
        assert_eq!(
            limiter.decide(host, &response("x2.example.test", 3), Duration::ZERO),
            Decision::Drop
        );
    }

    #[test]
    fn table_stays_bounded_under_many_prefixes() {
        let limiter = limiter(1, 0);
        let answer = response("www.example.test", 0);
        for index in 0..(RATE_LIMIT_MAX_BUCKETS as u32 + 500) {
            let address = IpAddr::V4(std::net::Ipv4Addr::from(index << 8));
            limiter.decide(address, &answer, Duration::ZERO);
        }
        assert_eq!(limiter.bucket_count(), RATE_LIMIT_MAX_BUCKETS);
    }

    #[test]
    fn rate_zero_means_off() {
        let limiter = limiter(0, 2);
        let answer = response("www.example.test", 0);
        for _ in 0..100 {
            assert_eq!(
                limiter.decide(client("192.0.2.7"), &answer, Duration::ZERO),
                Decision::Send
            );
        }
        assert_eq!(limiter.bucket_count(), 0);
    }

    #[test]
    fn slip_reply_is_header_and_question_with_tc() {
        let answer = response("www.example.test", 0);
        let reply = truncated_reply(&answer).unwrap();
        let message = hickory_proto::op::Message::from_vec(&reply).unwrap();
        assert!(message.metadata.truncation);
        assert_eq!(message.metadata.id, 0x1234);
        assert_eq!(message.queries.len(), 1);
        assert!(message.answers.is_empty());
        assert!(truncated_reply(&[1, 2, 3]).is_none());
    }
}
