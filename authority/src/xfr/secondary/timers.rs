//! A secondary zone's SOA timers (RFC 1035 §3.3.13: REFRESH, RETRY, EXPIRE), each held within the
//! bounds of `limits` as Knot does, and the wait before the first copy exists.

use std::time::Duration;

use hickory_proto::rr::{RData, Record};

use crate::limits::{
    SECONDARY_BOOTSTRAP_RETRY_MAX, SECONDARY_EXPIRE_MAX, SECONDARY_EXPIRE_MIN,
    SECONDARY_REFRESH_MAX, SECONDARY_REFRESH_MIN, SECONDARY_RETRY_MAX, SECONDARY_RETRY_MIN,
};

/// The three timers of the copy being served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timers {
    pub refresh: Duration,
    pub retry: Duration,
    pub expire: Duration,
}

fn seconds(value: i32) -> Duration {
    Duration::from_secs(u64::try_from(value).unwrap_or(0))
}

impl Timers {
    /// The timers of `soa`, bounded; `None` if it is not an SOA.
    pub fn of(soa: &Record) -> Option<Timers> {
        let RData::SOA(soa) = &soa.data else {
            return None;
        };
        Some(Timers {
            refresh: seconds(soa.refresh).clamp(SECONDARY_REFRESH_MIN, SECONDARY_REFRESH_MAX),
            retry: seconds(soa.retry).clamp(SECONDARY_RETRY_MIN, SECONDARY_RETRY_MAX),
            expire: seconds(soa.expire).clamp(SECONDARY_EXPIRE_MIN, SECONDARY_EXPIRE_MAX),
        })
    }
}

/// The wait after `failures` failed attempts in a row without a copy (no SOA to take RETRY
/// from): SECONDARY_RETRY_MIN, doubling up to SECONDARY_BOOTSTRAP_RETRY_MAX.
pub fn bootstrap_retry(failures: u32) -> Duration {
    SECONDARY_RETRY_MIN
        .saturating_mul(1u32 << failures.min(16))
        .min(SECONDARY_BOOTSTRAP_RETRY_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::SOA;
    use hickory_proto::rr::Name;

    #[test]
    fn timers_are_held_within_their_bounds() {
        let origin = Name::from_ascii("example.test.").unwrap();
        let soa = |refresh, retry, expire| {
            Record::from_rdata(
                origin.clone(),
                3600,
                RData::SOA(SOA::new(
                    origin.clone(),
                    origin.clone(),
                    1,
                    refresh,
                    retry,
                    expire,
                    300,
                )),
            )
        };
        let timers = Timers::of(&soa(0, -5, 1)).unwrap();
        assert_eq!(timers.refresh, SECONDARY_REFRESH_MIN);
        assert_eq!(timers.retry, SECONDARY_RETRY_MIN);
        assert_eq!(timers.expire, SECONDARY_EXPIRE_MIN);
        let timers = Timers::of(&soa(3600, 900, i32::MAX)).unwrap();
        assert_eq!(timers.refresh, Duration::from_secs(3600));
        assert_eq!(timers.retry, Duration::from_secs(900));
        assert_eq!(timers.expire, SECONDARY_EXPIRE_MAX);
    }

    #[test]
    fn bootstrap_retries_double_up_to_their_bound() {
        assert_eq!(bootstrap_retry(0), SECONDARY_RETRY_MIN);
        assert_eq!(bootstrap_retry(1), SECONDARY_RETRY_MIN * 2);
        assert_eq!(bootstrap_retry(40), SECONDARY_BOOTSTRAP_RETRY_MAX);
    }
}
