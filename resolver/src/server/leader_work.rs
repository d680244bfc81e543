//! A shared resolution driven inside the first client's own future (no task spawned per query);
//! if that client's future is dropped first, the rest of the work moves to a task of its own.
//!
//! A panic while polling the work is caught and ends it with `None` (the caller answers
//! SERVFAIL), as a panicking spawned task would have ended with a `JoinError`.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

type Work<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Runs `work` to completion when awaited; dropped before that, hands it to the runtime so
/// whoever else waits on its result (the in-flight waiters) still gets it.
pub struct LeaderWork<T: Send + 'static> {
    work: Option<Work<T>>,
}

impl<T: Send + 'static> LeaderWork<T> {
    pub fn new(work: impl Future<Output = T> + Send + 'static) -> LeaderWork<T> {
        LeaderWork {
            work: Some(Box::pin(work)),
        }
    }
}

impl<T: Send + 'static> Future for LeaderWork<T> {
    /// `None` when the work panicked (or was already finished).
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Option<T>> {
        let Some(work) = self.work.as_mut() else {
            return Poll::Ready(None);
        };
        match catch_unwind(AssertUnwindSafe(|| work.as_mut().poll(context))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => {
                self.work = None;
                Poll::Ready(Some(output))
            }
            Err(_) => {
                // A future that panicked must not be polled again; dropping it runs its guards
                // (the in-flight entry goes, so its waiters see a closed channel).
                tracing::error!("a resolution panicked; answering SERVFAIL");
                self.work = None;
                Poll::Ready(None)
            }
        }
    }
}

impl<T: Send + 'static> Drop for LeaderWork<T> {
    fn drop(&mut self) {
        let Some(work) = self.work.take() else {
            return;
        };
        // Outside a runtime (it is shutting down) there is no one left to answer: drop the work.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                // The detached work's panic is contained the same way; its output has no reader.
                let _ = LeaderWork::new(work).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use tokio::sync::oneshot;

    #[tokio::test]
    async fn finished_work_returns_its_output() {
        assert_eq!(LeaderWork::new(async { 5 }).await, Some(5));
    }

    #[tokio::test]
    async fn panicking_work_returns_none() {
        let work = LeaderWork::<u32>::new(async { panic!("resolution exploded") });
        assert_eq!(work.await, None);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn dropped_before_the_end_the_work_finishes_in_its_own_task() {
        let (release, released) = oneshot::channel::<()>();
        let (finished_sender, finished) = oneshot::channel();
        let ran_to_the_end = Arc::new(AtomicBool::new(false));
        let flag = ran_to_the_end.clone();
        let mut work = Box::pin(LeaderWork::new(async move {
            let _ = released.await;
            flag.store(true, Ordering::SeqCst);
            let _ = finished_sender.send(());
        }));
        // One poll starts the work; it then waits on the channel.
        assert!(futures_poll_once(work.as_mut()).is_pending());
        drop(work);
        let _ = release.send(());
        assert!(finished.await.is_ok());
        assert!(ran_to_the_end.load(Ordering::SeqCst));
    }

    fn futures_poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
        let mut context = Context::from_waker(std::task::Waker::noop());
        future.poll(&mut context)
    }
}
