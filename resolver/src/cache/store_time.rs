//! When a reply's RRsets are stored, and the moment the cache's copies are judged at: an NS set
//! as of its query's start (ghost domains), a prefetch's answer with its leeway added.

use std::time::Duration;

use hickory_proto::rr::RecordType;

/// The times one store is decided by (Unbound `dns_cache_store`'s `now`, `qstarttime` and
/// `leeway`). A cached RRset that expires before `judged_at` counts as expired: the new data
/// replaces it whatever its rank, with the new TTL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreTime {
    /// When the reply arrived: the stored TTLs count down from here.
    pub received: Duration,
    /// When the client query that led to the reply began (`Budget::started`).
    pub query_started: Duration,
    /// Zero, or a prefetch's leeway (`PREFETCH_EXPIRY_ADD` over the refreshed answer's
    /// remaining TTL): what expires within it is renewed by the prefetch's answer.
    pub leeway: Duration,
}

impl StoreTime {
    /// A store decided by the time it happens: no leeway, nothing judged earlier.
    pub fn at(now: Duration) -> Self {
        StoreTime {
            received: now,
            query_started: now,
            leeway: Duration::ZERO,
        }
    }

    /// The moment the cached copy of a `record_type` RRset is judged at. An NS set from a reply
    /// is judged as of its query's start: a reply to a question sent while the delegation was
    /// alive must not bring it back once it lapsed, or the child's servers would keep a zone
    /// its parent removed alive by answering just after expiry (CVE-2022-30698/30699, Unbound
    /// 1.16.2: `qstarttime` for NS in `store_rrsets`).
    pub fn judged_at(&self, record_type: RecordType) -> Duration {
        let base = if record_type == RecordType::NS {
            self.query_started.min(self.received)
        } else {
            self.received
        };
        base + self.leeway
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ns_set_is_judged_as_of_its_query_start_others_as_of_arrival() {
        let time = StoreTime {
            received: Duration::from_secs(3_605),
            query_started: Duration::from_secs(3_595),
            leeway: Duration::ZERO,
        };
        assert_eq!(time.judged_at(RecordType::NS), Duration::from_secs(3_595));
        assert_eq!(time.judged_at(RecordType::A), Duration::from_secs(3_605));
        assert_eq!(
            StoreTime::at(Duration::from_secs(7)).judged_at(RecordType::NS),
            Duration::from_secs(7)
        );
    }

    #[test]
    fn a_prefetch_judges_everything_its_leeway_later() {
        let time = StoreTime {
            received: Duration::from_secs(270),
            query_started: Duration::from_secs(270),
            leeway: Duration::from_secs(90),
        };
        assert_eq!(time.judged_at(RecordType::NS), Duration::from_secs(360));
        assert_eq!(time.judged_at(RecordType::A), Duration::from_secs(360));
    }
}
