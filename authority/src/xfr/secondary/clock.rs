//! The secondary's time: seconds since the epoch (the refresh time kept in the state directory is
//! one) and waiting for one of them. Tests use a clock that moves only when told to.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::xfr::tsig::now_seconds;

pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// What the refresh timers (REFRESH, RETRY, EXPIRE, the first copy's backoff) read and wait on.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Seconds since the epoch.
    fn now(&self) -> u64;
    /// Resolves once `now()` has reached `at`.
    fn sleep_until(&self, at: u64) -> Sleep<'_>;
}

/// The system's clock, waited on with tokio's timer.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        now_seconds()
    }

    fn sleep_until(&self, at: u64) -> Sleep<'_> {
        let wait = Duration::from_secs(at.saturating_sub(now_seconds()));
        Box::pin(tokio::time::sleep(wait))
    }
}

#[cfg(test)]
pub mod manual {
    //! Virtual time: `advance` moves it and wakes the sleepers whose time came; `asleep` tells a
    //! test when the task it drives has done its work and waits again.

    use std::sync::atomic::{AtomicU64, Ordering};

    use tokio::sync::watch;

    use super::*;

    #[derive(Debug)]
    pub struct ManualClock {
        now: watch::Sender<u64>,
        /// How many times a sleep began: a test waits for it to grow.
        sleeps: watch::Sender<u64>,
        started: AtomicU64,
    }

    impl ManualClock {
        pub fn new(now: u64) -> ManualClock {
            ManualClock {
                now: watch::Sender::new(now),
                sleeps: watch::Sender::new(0),
                started: AtomicU64::new(0),
            }
        }

        pub fn advance(&self, seconds: u64) {
            self.now.send_modify(|now| *now += seconds);
        }

        /// How many sleeps have begun so far.
        pub fn sleeps(&self) -> u64 {
            self.started.load(Ordering::SeqCst)
        }

        /// Waits until more than `seen` sleeps have begun: the driven task is idle again.
        pub async fn asleep_after(&self, seen: u64) {
            let mut sleeps = self.sleeps.subscribe();
            let _ = sleeps.wait_for(|count| *count > seen).await;
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> u64 {
            *self.now.borrow()
        }

        fn sleep_until(&self, at: u64) -> Sleep<'_> {
            let mut now = self.now.subscribe();
            let count = self.started.fetch_add(1, Ordering::SeqCst) + 1;
            self.sleeps.send_replace(count);
            Box::pin(async move {
                let _ = now.wait_for(|now| *now >= at).await;
            })
        }
    }
}
