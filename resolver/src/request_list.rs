//! The request list (Unbound's mesh limits): how many client resolutions run at once, which gives
//! way when it is full. Bookkeeping on the caller's clock only: it never runs, stops or answers.
//!
//! ```text
//! admit ─ room ─────────────▶ forever list (first half, rounded up: runs to its end)
//!   │                      └▶ jostle list  (the rest, oldest first)
//!   └ full ─ oldest jostle entry older than jostle-timeout ─▶ it is jostled out, the new one in
//!          └ otherwise ─▶ Full: the caller drops the query (the client retries)
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The request list's settings (Unbound `num-queries-per-thread`, `jostle-timeout`,
/// `discard-timeout`); the daemon's flags and a scenario's header set them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestLimits {
    /// Client resolutions running at once; a new one past it jostles an old one out or is
    /// dropped. At least 1.
    pub max_resolutions: usize,
    /// How long a resolution in the jostle half is safe from being replaced by a new one.
    pub jostle_timeout: Duration,
    /// An answer ready later than this after its query arrived is not sent (the client has
    /// given up or retried); `None` sends every answer.
    pub discard_timeout: Option<Duration>,
}

impl RequestLimits {
    /// Unbound's `jostle-timeout` default: "how long a query is kept against being replaced".
    pub const DEFAULT_JOSTLE_TIMEOUT: Duration = Duration::from_millis(200);

    /// Whether an answer ready `elapsed` after its query arrived is still sent
    /// (Unbound `mesh_query_done`: dropped when strictly older than `discard-timeout`).
    pub fn still_wanted(&self, elapsed: Duration) -> bool {
        self.discard_timeout
            .is_none_or(|timeout| elapsed <= timeout)
    }
}

impl Default for RequestLimits {
    /// Unbound's defaults for the list (1024 per thread; 200 ms). Discarding late answers is
    /// off: the daemon answers SERVFAIL at the client's deadline instead (`server/limits.rs`).
    fn default() -> Self {
        RequestLimits {
            max_resolutions: crate::server::limits::MAX_CONCURRENT_RESOLUTIONS,
            jostle_timeout: Self::DEFAULT_JOSTLE_TIMEOUT,
            discard_timeout: None,
        }
    }
}

/// Which half of the list an admitted resolution holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Half {
    Forever,
    Jostle,
}

/// An admitted resolution's place, given back to `joined` and `finish`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket {
    id: u64,
    half: Half,
}

/// The list is full and no resolution may be replaced: the new query is dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

/// The resolutions running, each known by the caller's `T` (what to cancel when jostled out).
#[derive(Debug)]
pub struct RequestList<T> {
    capacity: usize,
    forever_capacity: usize,
    jostle_timeout: Duration,
    forever: BTreeSet<u64>,
    /// By admission order (ids only grow): the first is the oldest. The time is when its
    /// latest client asked (Unbound measures from the newest reply of the state).
    jostle: BTreeMap<u64, (Duration, T)>,
    next_id: u64,
}

impl<T> RequestList<T> {
    pub fn new(limits: &RequestLimits) -> Self {
        let capacity = limits.max_resolutions.max(1);
        RequestList {
            capacity,
            // Unbound `mesh_create`: max_forever_states = (max_reply_states + 1) / 2.
            forever_capacity: capacity.div_ceil(2),
            jostle_timeout: limits.jostle_timeout,
            forever: BTreeSet::new(),
            jostle: BTreeMap::new(),
            next_id: 0,
        }
    }

    /// Resolutions holding a place.
    pub fn len(&self) -> usize {
        self.forever.len() + self.jostle.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A place for a new resolution known as `item`, asked for at `now`. When the list is full
    /// the oldest jostle entry gives way if it is older than the jostle timeout: it is taken off
    /// the list and handed back, for the caller to stop (its clients get no answer).
    pub fn admit(&mut self, item: T, now: Duration) -> Result<(Ticket, Option<T>), Full> {
        let mut jostled = None;
        if self.len() >= self.capacity {
            // Unbound `mesh_make_new_space`: only the first of the jostle list is looked at.
            let Some(oldest) = self.jostle.first_entry() else {
                return Err(Full);
            };
            let (asked, _) = oldest.get();
            if now.saturating_sub(*asked) <= self.jostle_timeout {
                return Err(Full);
            }
            let (_, (_, item)) = oldest.remove_entry();
            jostled = Some(item);
        }
        let id = self.next_id;
        self.next_id += 1;
        let half = if self.forever.len() < self.forever_capacity {
            self.forever.insert(id);
            Half::Forever
        } else {
            self.jostle.insert(id, (now, item));
            Half::Jostle
        };
        Ok((Ticket { id, half }, jostled))
    }

    /// Another client joined the resolution at `now`: a jostle entry is safe for a while again.
    pub fn joined(&mut self, ticket: Ticket, now: Duration) {
        if let Some((asked, _)) = self.jostle.get_mut(&ticket.id) {
            *asked = now;
        }
    }

    /// The resolution ended; its place is free. Ending one already jostled out does nothing.
    pub fn finish(&mut self, ticket: Ticket) {
        match ticket.half {
            Half::Forever => {
                self.forever.remove(&ticket.id);
            }
            Half::Jostle => {
                self.jostle.remove(&ticket.id);
            }
        }
    }

    /// Whether the resolution still holds its place (not jostled out, not finished).
    pub fn holds(&self, ticket: Ticket) -> bool {
        match ticket.half {
            Half::Forever => self.forever.contains(&ticket.id),
            Half::Jostle => self.jostle.contains_key(&ticket.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(max_resolutions: usize) -> RequestList<&'static str> {
        RequestList::new(&RequestLimits {
            max_resolutions,
            ..RequestLimits::default()
        })
    }

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn a_full_list_without_a_jostle_half_drops_the_new_query() {
        // Unbound fwd_droptoomany: one place, the forever one.
        let mut list = list(1);
        assert!(list.admit("first", MS(0)).is_ok());
        assert_eq!(list.admit("second", MS(5_000)), Err(Full));
    }

    #[test]
    fn a_recent_jostle_entry_keeps_its_place() {
        // Unbound fwd_jostle: one forever place, one jostle place, the third query at once.
        let mut list = list(2);
        list.admit("forever", MS(0)).unwrap();
        list.admit("jostle", MS(0)).unwrap();
        assert_eq!(list.admit("third", MS(200)), Err(Full));
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn an_old_jostle_entry_gives_way_to_a_new_query() {
        // Unbound fwd_jostle_out: 300 ms later the jostle entry is a goner.
        let mut list = list(2);
        let (forever, _) = list.admit("forever", MS(0)).unwrap();
        let (old, _) = list.admit("jostle", MS(0)).unwrap();
        let (new, jostled) = list.admit("third", MS(300)).unwrap();
        assert_eq!(jostled, Some("jostle"));
        assert!(!list.holds(old) && list.holds(new) && list.holds(forever));
        // Finishing the jostled one later (its work noticing) changes nothing.
        list.finish(old);
        assert_eq!(list.len(), 2);
    }

    #[test]
    fn the_forever_half_is_never_jostled() {
        let mut list = list(3);
        list.admit("forever 1", MS(0)).unwrap();
        list.admit("forever 2", MS(0)).unwrap();
        list.admit("jostle", MS(0)).unwrap();
        let (_, jostled) = list.admit("new", MS(10_000)).unwrap();
        assert_eq!(jostled, Some("jostle"));
        // The forever places are still taken, the jostle place by "new" (too recent now).
        assert_eq!(list.admit("newer", MS(10_100)), Err(Full));
    }

    #[test]
    fn a_client_joining_keeps_a_jostle_entry_safe() {
        let mut list = list(2);
        list.admit("forever", MS(0)).unwrap();
        let (ticket, _) = list.admit("jostle", MS(0)).unwrap();
        list.joined(ticket, MS(250));
        assert_eq!(list.admit("new", MS(300)), Err(Full));
        assert!(list.admit("new", MS(451)).is_ok());
    }

    #[test]
    fn a_finished_resolution_frees_its_place() {
        let mut list = list(2);
        let (forever, _) = list.admit("forever", MS(0)).unwrap();
        list.admit("jostle", MS(0)).unwrap();
        list.finish(forever);
        let (ticket, jostled) = list.admit("new", MS(0)).unwrap();
        assert_eq!(jostled, None);
        assert_eq!(ticket.half, Half::Forever);
    }

    #[test]
    fn late_answers_are_discarded_only_past_the_discard_timeout() {
        let limits = RequestLimits {
            discard_timeout: Some(MS(1_900)),
            ..RequestLimits::default()
        };
        assert!(limits.still_wanted(MS(1_900)));
        assert!(!limits.still_wanted(MS(1_901)));
        assert!(RequestLimits::default().still_wanted(Duration::from_secs(3_600)));
    }
}
