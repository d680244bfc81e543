//! The work a replay has in flight: client queries still being resolved and background refreshes,
//! polled after every step until nothing more can happen before the next one (testbound's rounds).
//! Never waits on real time: what stays pending waits for a later step (a REPLY, a TIME_PASSES).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use hickory_proto::op::Message;

use crate::replay::limits::MAX_SETTLE_ROUNDS;
use crate::replay::outcome::Failure;
use crate::Resolver;

/// A future the runner polls itself, borrowing the replay's resolver.
pub type Work<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A client query being answered: its ID and step, and the response as the client receives it.
pub struct ClientQuery<'a> {
    pub id: u16,
    pub step: u64,
    pub response: Work<'a, Result<Message, Failure>>,
}

/// A response the client has received, for CHECK_ANSWER.
pub struct Answer {
    pub id: u16,
    /// The QUERY step that asked.
    pub step: u64,
    pub message: Message,
    /// A CHECK_ANSWER has matched it.
    pub checked: bool,
}

/// Records that some work in flight was woken: polling again may get further.
#[derive(Default)]
struct WakeFlag(AtomicBool);

impl Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

pub struct InFlight<'a> {
    resolver: &'a Resolver,
    clients: Vec<ClientQuery<'a>>,
    refreshes: Vec<Work<'a, ()>>,
    /// Responses received, oldest first (testbound's answer list).
    pub answers: Vec<Answer>,
    woken: Arc<WakeFlag>,
}

impl<'a> InFlight<'a> {
    pub fn new(resolver: &'a Resolver) -> Self {
        InFlight {
            resolver,
            clients: Vec::new(),
            refreshes: Vec::new(),
            answers: Vec::new(),
            woken: Arc::default(),
        }
    }

    /// A QUERY step: the query is in flight until `settle` sees it answered.
    pub fn start(&mut self, query: ClientQuery<'a>) {
        self.clients.push(query);
    }

    /// Client queries not answered yet.
    pub fn unanswered(&self) -> usize {
        self.clients.len()
    }

    /// Polls everything in flight, and the background refreshes the resolver queues meanwhile
    /// (started after the client has its answer, as testbound's mesh does), until a round
    /// finishes nothing and wakes nothing: what is left waits for a later step.
    pub async fn settle(&mut self, step: u64) -> Result<(), Failure> {
        let waker = Waker::from(Arc::clone(&self.woken));
        let mut context = Context::from_waker(&waker);
        for _ in 0..MAX_SETTLE_ROUNDS {
            self.woken.0.store(false, Ordering::SeqCst);
            let mut progressed = false;
            let mut index = 0;
            while index < self.clients.len() {
                let Some(query) = self.clients.get_mut(index) else {
                    break;
                };
                match query.response.as_mut().poll(&mut context) {
                    Poll::Pending => index += 1,
                    Poll::Ready(response) => {
                        let query = self.clients.remove(index);
                        self.answers.push(Answer {
                            id: query.id,
                            step: query.step,
                            message: response?,
                            checked: false,
                        });
                        progressed = true;
                    }
                }
            }
            let resolver = self.resolver;
            for refresh in resolver.take_refreshes() {
                self.refreshes.push(Box::pin(resolver.refresh(refresh)));
                progressed = true;
            }
            let before = self.refreshes.len();
            self.refreshes
                .retain_mut(|refresh| refresh.as_mut().poll(&mut context).is_pending());
            progressed |= self.refreshes.len() != before;
            if !progressed && !self.woken.0.load(Ordering::SeqCst) {
                return Ok(());
            }
            // A fresh cooperative budget, should the work use tokio's own resources.
            tokio::task::yield_now().await;
        }
        Err(Failure::ResolveStuck { step })
    }
}
