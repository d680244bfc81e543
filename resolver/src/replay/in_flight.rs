//! The work a replay has in flight: client queries still being resolved and background refreshes,
//! polled after every step until nothing more can happen before the next one (testbound's rounds).
//! Never waits on real time: what stays pending waits for a later step (a REPLY, a TIME_PASSES).
//! Client queries hold places in the request list as in the daemon (`request_list.rs`): one
//! jostled out stops and is never answered, an answer later than the discard timeout is dropped.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use hickory_proto::op::Message;

use crate::replay::limits::MAX_SETTLE_ROUNDS;
use crate::replay::outcome::Failure;
use crate::request_list::{RequestLimits, RequestList, Ticket};
use crate::server::inflight::QuestionKey;
use crate::Resolver;

/// A future the runner polls itself, borrowing the replay's resolver.
pub type Work<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// A client query being answered: its ID and step, and the response as the client receives it.
pub struct ClientQuery<'a> {
    pub id: u16,
    pub step: u64,
    /// The answer, or `None` when the daemon sends nothing (a policy's drop).
    pub response: Work<'a, Result<Option<Message>, Failure>>,
}

/// A client query in flight, with its place in the request list.
struct Running<'a> {
    query: ClientQuery<'a>,
    /// The question as the daemon's in-flight table keys it: identical ones share a place.
    key: Option<QuestionKey>,
    /// When the query arrived, on the replay's clock (for the discard timeout).
    asked: Duration,
    /// Its own place; `None` when it joined an identical query's.
    ticket: Option<Ticket>,
    serial: u64,
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
    clients: Vec<Running<'a>>,
    limits: RequestLimits,
    /// Places of the running client queries, each known by its serial.
    list: RequestList<u64>,
    next_serial: u64,
    refreshes: Vec<Work<'a, ()>>,
    /// Responses received, oldest first (testbound's answer list).
    pub answers: Vec<Answer>,
    woken: Arc<WakeFlag>,
}

impl<'a> InFlight<'a> {
    pub fn new(resolver: &'a Resolver, limits: RequestLimits) -> Self {
        InFlight {
            resolver,
            clients: Vec::new(),
            limits,
            list: RequestList::new(&limits),
            next_serial: 0,
            refreshes: Vec::new(),
            answers: Vec::new(),
            woken: Arc::default(),
        }
    }

    /// Whether every place of the request list is taken (a new query needs the cache, a
    /// jostle, or is dropped).
    pub fn full(&self) -> bool {
        self.list.len() >= self.limits.max_resolutions.max(1)
    }

    /// A QUERY step asked at `now`: the query is in flight until `settle` sees it answered.
    /// One identical to a query in flight joins its place; otherwise it takes a place, which
    /// may jostle an old query out (stopped, never answered) or, the list being full, fail:
    /// the query is dropped, as the daemon drops it. `false` when dropped.
    pub fn start(&mut self, query: ClientQuery<'a>, request: &Message, now: Duration) -> bool {
        let key = QuestionKey::of(request);
        let serial = self.next_serial;
        self.next_serial += 1;
        let joined = self.clients.iter().find_map(|running| {
            running
                .ticket
                .filter(|_| key.is_some() && running.key == key)
        });
        let ticket = match joined {
            Some(ticket) => {
                self.list.joined(ticket, now);
                None
            }
            None => match self.list.admit(serial, now) {
                Err(_full) => return false,
                Ok((ticket, jostled)) => {
                    if let Some(jostled) = jostled {
                        self.jostle_out(jostled);
                    }
                    Some(ticket)
                }
            },
        };
        self.clients.push(Running {
            query,
            key,
            asked: now,
            ticket,
            serial,
        });
        true
    }

    /// Drops the query holding place `serial` and those that joined it: their work stops
    /// (Unbound `mesh_state_delete`), and no answer is ever given.
    fn jostle_out(&mut self, serial: u64) {
        let key = self
            .clients
            .iter()
            .find(|running| running.serial == serial)
            .and_then(|running| running.key.clone());
        self.clients.retain(|running| {
            let joined_it = running.ticket.is_none() && key.is_some() && running.key == key;
            running.serial != serial && !joined_it
        });
    }

    /// Polls everything in flight, and the background refreshes the resolver queues meanwhile
    /// (started after the client has its answer, as testbound's mesh does), until a round
    /// finishes nothing and wakes nothing: what is left waits for a later step.
    pub async fn settle(&mut self, step: u64, now: Duration) -> Result<(), Failure> {
        let waker = Waker::from(Arc::clone(&self.woken));
        let mut context = Context::from_waker(&waker);
        for _ in 0..MAX_SETTLE_ROUNDS {
            self.woken.0.store(false, Ordering::SeqCst);
            let mut progressed = false;
            let mut index = 0;
            while index < self.clients.len() {
                let Some(running) = self.clients.get_mut(index) else {
                    break;
                };
                match running.query.response.as_mut().poll(&mut context) {
                    Poll::Pending => index += 1,
                    Poll::Ready(response) => {
                        let running = self.clients.remove(index);
                        if let Some(ticket) = running.ticket {
                            self.list.finish(ticket);
                        }
                        progressed = true;
                        let Some(message) = response? else {
                            continue;
                        };
                        // Unbound `mesh_query_done`: too late, the client has moved on.
                        if self.limits.still_wanted(now.saturating_sub(running.asked)) {
                            self.answers.push(Answer {
                                id: running.query.id,
                                step: running.query.step,
                                message,
                                checked: false,
                            });
                        }
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
