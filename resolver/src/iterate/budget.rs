//! The work budget of one client query, shared by its whole tree of sub-resolutions.
//! When it runs out the answer is SERVFAIL: never a hang, never unbounded work.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::dnssec::CheckAllowance;
use crate::limits::{MAX_RESOLUTION_TIME, MAX_UPSTREAM_QUERIES};

pub struct Budget {
    sends_left: AtomicU32,
    started: Duration,
    deadline: Duration,
    /// Signature verifications left (KeyTrap, `MAX_SIGNATURE_CHECKS_PER_QUERY`).
    pub signature_checks: CheckAllowance,
    /// The client set CD (RFC 4035 §3.2.2): it checks for itself, so nothing is synthesized
    /// for it from cached NSEC/NSEC3 records (RFC 8198, `dnssec/aggressive.rs`).
    pub checking_disabled: bool,
}

impl Budget {
    /// The default budget: `MAX_UPSTREAM_QUERIES` sends.
    pub fn new(now: Duration) -> Self {
        Self::with_sends(now, MAX_UPSTREAM_QUERIES)
    }

    /// A budget of `sends` upstream queries (the operator's `max-global-quota`).
    pub fn with_sends(now: Duration, sends: u32) -> Self {
        Budget {
            sends_left: AtomicU32::new(sends),
            started: now,
            deadline: now + MAX_RESOLUTION_TIME,
            signature_checks: CheckAllowance::default(),
            checking_disabled: false,
        }
    }

    /// Takes one upstream query from the budget; `false` when spent or past the deadline.
    pub fn take_send(&self, now: Duration) -> bool {
        if now >= self.deadline {
            return false;
        }
        self.sends_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }

    /// When the client query began (the resolver's clock).
    pub fn started(&self) -> Duration {
        self.started
    }

    pub fn sends_left(&self) -> u32 {
        self.sends_left.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_refuses_sends_past_the_limit() {
        let budget = Budget::new(Duration::ZERO);
        let granted = (0..MAX_UPSTREAM_QUERIES + 10)
            .filter(|_| budget.take_send(Duration::ZERO))
            .count();
        assert_eq!(granted, MAX_UPSTREAM_QUERIES as usize);
    }

    #[test]
    fn budget_refuses_sends_past_the_deadline() {
        let budget = Budget::new(Duration::from_secs(5));
        assert!(budget.take_send(Duration::from_secs(6)));
        assert!(!budget.take_send(Duration::from_secs(5) + MAX_RESOLUTION_TIME));
    }
}
