//! Time as the resolver sees it: a monotonic reading, real or manual, and timers on it.
//! Cache expiry, budgets, RTT smoothing and client timeouts use this clock, never `Instant` or tokio's timers directly.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// A timer on a `Clock`: completes once its duration has passed on that clock.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A monotonic clock. `now()` is the time since the clock's own start.
pub trait Clock: Send + Sync {
    fn now(&self) -> Duration;

    /// Completes once `duration` has passed on this clock (RFC 8767 client timeout).
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The system's monotonic clock.
pub struct SystemClock {
    start: Instant,
}

impl SystemClock {
    pub fn new() -> Self {
        SystemClock {
            start: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that moves only when told to: scenario replays and unit tests. Its timers fire
/// when `advance` moves the clock to or past their deadline, never on their own.
#[derive(Default)]
pub struct ManualClock {
    state: Arc<ManualState>,
}

#[derive(Default)]
struct ManualState {
    micros: AtomicU64,
    /// Tasks waiting on a timer of this clock; all are woken on `advance` and re-register if
    /// still early. One per waiting task (`will_wake` deduplicates).
    sleepers: Mutex<Vec<Waker>>,
}

impl ManualState {
    fn now(&self) -> Duration {
        Duration::from_micros(self.micros.load(Ordering::SeqCst))
    }
}

impl ManualClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn advance(&self, by: Duration) {
        let micros = u64::try_from(by.as_micros()).unwrap_or(u64::MAX);
        let _ = self
            .state
            .micros
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(micros))
            });
        let sleepers = std::mem::take(
            &mut *self
                .state
                .sleepers
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        sleepers.into_iter().for_each(Waker::wake);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        self.state.now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(ManualSleep {
            state: Arc::clone(&self.state),
            deadline: self.state.now().saturating_add(duration),
        })
    }
}

/// A `ManualClock` timer.
struct ManualSleep {
    state: Arc<ManualState>,
    deadline: Duration,
}

impl Future for ManualSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        let mut sleepers = self
            .state
            .sleepers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Read under the lock so an `advance` in between cannot be missed.
        if self.state.now() >= self.deadline {
            return Poll::Ready(());
        }
        if !sleepers
            .iter()
            .any(|known| known.will_wake(context.waker()))
        {
            sleepers.push(context.waker().clone());
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::task::Wake;

    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_manual_timer_fires_only_when_the_clock_is_moved_past_its_deadline() {
        let clock = ManualClock::new();
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&counter));
        let mut context = Context::from_waker(&waker);
        let mut timer = clock.sleep(Duration::from_millis(10));
        assert!(timer.as_mut().poll(&mut context).is_pending());
        assert!(timer.as_mut().poll(&mut context).is_pending());
        clock.advance(Duration::from_millis(9));
        assert_eq!(
            counter.0.load(Ordering::SeqCst),
            1,
            "woken once, to look again"
        );
        assert!(timer.as_mut().poll(&mut context).is_pending());
        clock.advance(Duration::from_millis(1));
        assert!(timer.as_mut().poll(&mut context).is_ready());
        assert!(clock
            .sleep(Duration::ZERO)
            .as_mut()
            .poll(&mut context)
            .is_ready());
    }
}
