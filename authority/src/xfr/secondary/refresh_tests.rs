//! One secondary zone's refresh task driven in virtual time against a scripted primary: REFRESH
//! after a success, RETRY after a failure, SERVFAIL at EXPIRE, backoff before the first copy, and
//! a NOTIFY arriving during a transfer.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode};
use hickory_proto::rr::rdata::{A, NS, SOA};
use hickory_proto::rr::{LowerName, Name, RData, Record, RecordType};
use tokio::sync::{mpsc, Notify, Semaphore};

use crate::catalog::reload::SharedCatalog;
use crate::catalog::zones::{LoadOptions, ZoneFor};
use crate::xfr::journal::soa_serial;
use crate::xfr::notify::{Notifier, NotifyTarget};
use crate::xfr::secondary::clock::manual::ManualClock;
use crate::xfr::secondary::refresh::{SecondaryContext, ZoneRefresher};
use crate::xfr::secondary::transport::scripted::ScriptedPrimary;
use crate::xfr::secondary::SecondaryZone;
use crate::xfr::{Journals, TransferSettings};

/// Start of virtual time (any epoch second; nothing reads the real clock).
const START: u64 = 1_800_000_000;
/// The primary's SOA timers: REFRESH, RETRY, EXPIRE (seconds).
const REFRESH: u64 = 100;
const RETRY: u64 = 10;
const EXPIRE: u64 = 300;

/// Bound on each wait for the task to react; it reacts at once, so reaching it is a failure.
const REACTION_BOUND: Duration = Duration::from_secs(10);

fn origin() -> Name {
    Name::from_ascii("example.test.").unwrap()
}

fn soa(serial: u32) -> Record {
    Record::from_rdata(
        origin(),
        3600,
        RData::SOA(SOA::new(
            origin(),
            origin(),
            serial,
            REFRESH as i32,
            RETRY as i32,
            EXPIRE as i32,
            300,
        )),
    )
}

/// What the scripted primary does now: serve `serial`, or close every connection unanswered.
struct PrimaryState {
    up: bool,
    serial: u32,
}

fn answers(state: &Mutex<PrimaryState>, request: &[u8]) -> Vec<Vec<u8>> {
    let state = state.lock().unwrap();
    if !state.up {
        return Vec::new();
    }
    let request = Message::from_vec(request).unwrap();
    let mut records = vec![soa(state.serial)];
    if request.queries[0].query_type() != RecordType::SOA {
        let ns = Name::from_ascii("ns.example.test.").unwrap();
        records.push(Record::from_rdata(
            origin(),
            3600,
            RData::NS(NS(ns.clone())),
        ));
        records.push(Record::from_rdata(ns, 300, RData::A(A::new(192, 0, 2, 1))));
        records.push(soa(state.serial));
    }
    let mut message = Message::new(request.metadata.id, MessageType::Response, OpCode::Query);
    for record in records {
        message.add_answer(record);
    }
    vec![message.to_vec().unwrap()]
}

/// One zone's task running against the scripted primary, and the handles a test drives it with.
struct Harness {
    clock: Arc<ManualClock>,
    primary: Arc<Mutex<PrimaryState>>,
    connections: mpsc::UnboundedReceiver<()>,
    gate: Arc<Semaphore>,
    wake: Arc<Notify>,
    catalog: Arc<SharedCatalog>,
}

impl Harness {
    /// Starts the task; connections pass the gate only when `open`.
    fn start(up: bool, open: bool) -> Harness {
        let clock = Arc::new(ManualClock::new(START));
        let primary = Arc::new(Mutex::new(PrimaryState { up, serial: 1 }));
        let state = primary.clone();
        let gate = Arc::new(Semaphore::new(if open {
            Semaphore::MAX_PERMITS
        } else {
            0
        }));
        let (transport, connections) =
            ScriptedPrimary::new(move |request| answers(&state, request)).watched(gate.clone());
        let catalog = Arc::new(SharedCatalog::load_with(Vec::new(), LoadOptions::default()).0);
        let context = Arc::new(SecondaryContext {
            catalog: catalog.clone(),
            directory: None,
            sources: Vec::new(),
            slots: Arc::new(Semaphore::new(1)),
            journals: Arc::new(Journals::new(None)),
            settings: Arc::new(TransferSettings::default()),
            notifier: Notifier::new(Vec::new()),
            clock: clock.clone(),
            transport: Arc::new(transport),
        });
        let wake = Arc::new(Notify::new());
        let config = SecondaryZone {
            origin: origin(),
            primaries: vec![NotifyTarget {
                address: "192.0.2.1:53".parse().unwrap(),
                key: None,
            }],
        };
        let task = ZoneRefresher::start(config, wake.clone(), context);
        tokio::spawn(task.run());
        Harness {
            clock,
            primary,
            connections,
            gate,
            wake,
            catalog,
        }
    }

    /// The serial served, or `None` while the zone is answered SERVFAIL.
    fn served(&self) -> Option<u32> {
        match self
            .catalog
            .current()
            .zone_for(&LowerName::new(&origin()), RecordType::SOA)
        {
            ZoneFor::Loaded(zone) => soa_serial(zone.soa.first().as_ref()),
            _ => None,
        }
    }

    /// Moves virtual time by `seconds` and waits until the task has reacted and sleeps again.
    async fn advance(&mut self, seconds: u64) {
        let seen = self.clock.sleeps();
        self.clock.advance(seconds);
        self.idle_after(seen).await;
    }

    async fn idle_after(&self, seen: u64) {
        tokio::time::timeout(REACTION_BOUND, self.clock.asleep_after(seen))
            .await
            .expect("the refresh task did not go back to sleep");
    }

    /// Connections opened since the last call.
    fn connections(&mut self) -> usize {
        let mut count = 0;
        while self.connections.try_recv().is_ok() {
            count += 1;
        }
        count
    }

    fn set_primary(&self, up: bool, serial: u32) {
        *self.primary.lock().unwrap() = PrimaryState { up, serial };
    }
}

#[tokio::test]
async fn refresh_after_success_retry_after_failure_and_servfail_at_expire() {
    let mut zone = Harness::start(true, true);
    zone.idle_after(0).await;
    assert_eq!(zone.served(), Some(1));
    assert_eq!(zone.connections(), 1);

    // REFRESH later: the primary is gone, the copy stays served.
    zone.set_primary(false, 1);
    zone.advance(REFRESH).await;
    assert_eq!(zone.connections(), 1);
    assert_eq!(zone.served(), Some(1));
    // RETRY after the failure, not REFRESH.
    zone.advance(RETRY).await;
    assert_eq!(zone.connections(), 1);
    // EXPIRE after the last success: withdrawn (answered SERVFAIL).
    let mut elapsed = REFRESH + RETRY;
    while elapsed < EXPIRE {
        assert_eq!(zone.served(), Some(1), "withdrawn early, at {elapsed} s");
        zone.advance(RETRY).await;
        elapsed += RETRY;
    }
    assert_eq!(zone.served(), None);

    // The primary back, with a newer serial: the next retry serves the zone again.
    zone.set_primary(true, 2);
    zone.advance(RETRY).await;
    assert_eq!(zone.served(), Some(2));
}

#[tokio::test]
async fn before_the_first_copy_retries_back_off_and_the_zone_is_servfail() {
    let mut zone = Harness::start(false, true);
    zone.idle_after(0).await;
    assert_eq!(zone.connections(), 1);
    assert_eq!(zone.served(), None);
    // SECONDARY_RETRY_MIN (2 s), then doubling: 4 s, 8 s.
    for wait in [2, 4] {
        zone.advance(wait).await;
        assert_eq!(zone.connections(), 1, "a retry after {wait} s");
        assert_eq!(zone.served(), None);
    }
    zone.set_primary(true, 5);
    zone.advance(8).await;
    assert_eq!(zone.served(), Some(5));
}

#[tokio::test]
async fn a_notify_during_a_transfer_is_checked_once_it_ends() {
    let mut zone = Harness::start(true, false);
    // The first transfer is held open at the gate while a NOTIFY (serial 2) arrives.
    tokio::time::timeout(REACTION_BOUND, zone.connections.recv())
        .await
        .expect("no first connection")
        .unwrap();
    zone.set_primary(true, 2);
    zone.wake.notify_one();
    zone.gate.add_permits(1);
    // Without any time passing, the kept NOTIFY brings one more check, which takes serial 2.
    tokio::time::timeout(REACTION_BOUND, zone.connections.recv())
        .await
        .expect("the NOTIFY during the transfer was lost")
        .unwrap();
    let seen = zone.clock.sleeps();
    zone.gate.add_permits(1);
    zone.idle_after(seen).await;
    assert_eq!(zone.served(), Some(2));
    // And only one: the task sleeps until REFRESH.
    assert_eq!(zone.connections(), 0);
}
