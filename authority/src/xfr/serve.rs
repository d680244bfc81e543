//! The primary's side of a transfer request: TSIG check, zone, ACL, then AXFR (whole zone), IXFR
//! (journal, or the whole zone when the serial is too old) or the SOA alone; also signed queries.

use std::net::IpAddr;
use std::sync::Arc;

use hickory_proto::op::{Message, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Record, RecordType};
use tokio::sync::{mpsc, Semaphore};

use crate::catalog::zones::Catalog;
use crate::limits::{MAX_CONCURRENT_TRANSFERS_OUT, MAX_MESSAGES_PER_TRANSFER};
use crate::listen::Protocol;
use crate::xfr::journal::{serial_after, zone_serial, Difference};
use crate::xfr::messages::{single_answer, TransferPacker};
use crate::xfr::order::{canonical_nodes, whole_zone};
use crate::xfr::packed::{PackedZone, PackedZones};
use crate::xfr::secondary::SecondaryZones;
use crate::xfr::tsig::{
    append_tsig, check_request, now_seconds, unsigned_error_record, RequestSignature,
    ResponseSigner,
};
use crate::xfr::{Journals, TransferSettings};
use crate::zone::prepared::Zone;

/// Which requests this module answers instead of the plain query path.
pub fn is_transfer_request(packet: &[u8], keys_configured: bool) -> bool {
    let Some(header) = packet.get(..12) else {
        return false;
    };
    let op_code = (header[2] >> 3) & 0x0f;
    if op_code != 0 || header[2] & 0x80 != 0 {
        return false;
    }
    // A signed query (a secondary's SOA check) must be answered signed.
    if keys_configured && (header[10] != 0 || header[11] != 0) {
        return true;
    }
    matches!(question_type(packet), Some(252 | 251))
}

/// A NOTIFY request (opcode 4, QR clear), read without decoding the message.
fn is_notify_request(packet: &[u8]) -> bool {
    packet
        .get(2)
        .is_some_and(|flags| flags & 0x80 == 0 && (flags >> 3) & 0x0f == 4)
}

/// QTYPE of the first question, read without decoding the message.
fn question_type(packet: &[u8]) -> Option<u16> {
    if packet.get(4..6)? == [0, 0] {
        return None;
    }
    let mut offset = 12;
    loop {
        let length = usize::from(*packet.get(offset)?);
        if length == 0 {
            offset += 1;
            break;
        }
        if length & 0xc0 != 0 {
            return None;
        }
        offset += length + 1;
    }
    Some(u16::from_be_bytes([
        *packet.get(offset)?,
        *packet.get(offset + 1)?,
    ]))
}

/// What to send back.
pub enum Reply {
    /// One message (or nothing).
    Single(Option<Vec<u8>>),
    /// A transfer: messages produced by `Transfer::run`.
    Transfer(Box<Transfer>),
    /// Not for this module after all (an unsigned plain query): the normal path answers.
    NotMine,
}

/// The answering side's state: settings, journals and the transfer slots.
#[derive(Debug)]
pub struct TransferService {
    pub settings: Arc<TransferSettings>,
    pub journals: Arc<Journals>,
    slots: Arc<Semaphore>,
    /// Each zone version's whole-zone transfer, packed once.
    packed: Arc<PackedZones>,
    /// Our secondary zones: NOTIFYs for them are answered here.
    secondaries: Option<Arc<SecondaryZones>>,
}

impl TransferService {
    pub fn new(settings: Arc<TransferSettings>, journals: Arc<Journals>) -> TransferService {
        TransferService {
            settings,
            journals,
            slots: Arc::new(Semaphore::new(MAX_CONCURRENT_TRANSFERS_OUT)),
            packed: Arc::new(PackedZones::default()),
            secondaries: None,
        }
    }

    /// Answers NOTIFYs for `secondaries` too (without them, NOTIFY stays NOTIMP).
    pub fn with_secondaries(mut self, secondaries: Arc<SecondaryZones>) -> TransferService {
        if !secondaries.is_empty() {
            self.secondaries = Some(secondaries);
        }
        self
    }

    /// Packs the whole-zone transfer of each of `zones` that may be transferred, so no
    /// transfer waits for it: called on a blocking thread before the catalog is served.
    pub fn prepare<'zone>(&self, zones: impl IntoIterator<Item = &'zone Arc<Zone>>) {
        for zone in zones {
            if !self.settings.acl_for(&zone.origin).is_empty() {
                self.packed.prepare(zone);
            }
        }
    }

    /// Whether `zone`'s whole-zone transfer is packed already.
    pub fn packed_ready(&self, zone: &Arc<Zone>) -> bool {
        self.packed.is_packed(zone)
    }

    /// Whether there is anything for this module to answer.
    pub fn is_active(&self) -> bool {
        self.settings.is_active() || self.secondaries.is_some()
    }

    pub fn wants(&self, packet: &[u8]) -> bool {
        is_transfer_request(packet, !self.settings.keyring.is_empty())
            || (self.secondaries.is_some() && is_notify_request(packet))
    }

    /// Answers a request `wants` accepted. `plain` answers a signed ordinary query (the normal path).
    pub fn answer(
        &self,
        packet: &[u8],
        client: IpAddr,
        protocol: Protocol,
        catalog: Arc<Catalog>,
        plain: impl FnOnce(&[u8]) -> Option<Vec<u8>>,
    ) -> Reply {
        let Ok(message) = Message::from_vec(packet) else {
            // Not decodable: the plain path answers FORMERR as for any query.
            return Reply::NotMine;
        };
        if message.metadata.op_code == OpCode::Notify {
            return match &self.secondaries {
                Some(secondaries) => {
                    Reply::Single(Some(secondaries.answer_notify(packet, &message, client)))
                }
                None => Reply::NotMine,
            };
        }
        let Some(question) = message.queries.first().cloned() else {
            return Reply::NotMine;
        };
        let id = message.metadata.id;
        let signature = check_request(packet, &message, &self.settings.keyring, now_seconds());
        let transfer = matches!(question.query_type(), RecordType::AXFR | RecordType::IXFR);
        if let RequestSignature::Failed {
            error,
            key_name,
            algorithm,
            ..
        } = &signature
        {
            // RFC 8945 §5.2: NOTAUTH with the TSIG error; BADTIME signed, the others not.
            tracing::info!(%client, key = %key_name, error = ?error, zone = %question.name(), "TSIG check failed");
            let mut bytes = single_answer(
                id,
                Some(&question),
                ResponseCode::NotAuth,
                &[],
                OpCode::Query,
            );
            match ResponseSigner::answering(&signature) {
                Some(mut signer) => {
                    let _ = signer.sign(&mut bytes);
                }
                None => {
                    let _ = append_tsig(
                        &mut bytes,
                        &unsigned_error_record(key_name, algorithm, id, *error),
                    );
                }
            }
            return Reply::Single(Some(bytes));
        }
        let signer = ResponseSigner::answering(&signature);
        let finish = |mut bytes: Vec<u8>, signer: Option<ResponseSigner>| {
            if let Some(mut signer) = signer {
                let _ = signer.sign(&mut bytes);
            }
            Reply::Single(Some(bytes))
        };
        if !transfer {
            return match (&signature, plain(packet)) {
                (RequestSignature::Unsigned, _) => Reply::NotMine,
                (_, Some(bytes)) => finish(bytes, signer),
                (_, None) => Reply::Single(None),
            };
        }
        let refuse = |rcode| {
            finish(
                single_answer(id, Some(&question), rcode, &[], OpCode::Query),
                signer.clone(),
            )
        };
        let Some(zone) = catalog.zone(question.name()).cloned() else {
            // Not a zone we serve (or not its apex): NOTAUTH, as BIND and Knot answer.
            return refuse(ResponseCode::NotAuth);
        };
        if !self
            .settings
            .acl_for(&zone.origin)
            .allows(client, &signature)
        {
            tracing::info!(%client, zone = %zone.origin, "transfer refused: no ACL entry matches");
            return refuse(ResponseCode::Refused);
        }
        let current = zone.soa.first();
        let Some(current_soa) = current else {
            return refuse(ResponseCode::ServFail);
        };
        match (question.query_type(), protocol) {
            // RFC 5936 §4.2: AXFR is TCP only.
            (RecordType::AXFR, Protocol::Udp) => refuse(ResponseCode::Refused),
            (RecordType::AXFR, Protocol::Tcp) => {
                self.start(id, question, signer, Plan::Whole(zone), client)
            }
            (_, protocol) => {
                // RFC 1995 §3: the client's serial is the SOA in the authority section.
                let Some(asked) = message
                    .authorities
                    .iter()
                    .find(|record| record.record_type() == RecordType::SOA)
                    .and_then(|record| crate::xfr::journal::soa_serial(Some(record)))
                else {
                    return refuse(ResponseCode::FormErr);
                };
                let serial = zone_serial(&zone);
                // Up to date (or ahead of us): the SOA alone says so (RFC 1995 §2).
                if !serial_after(serial, asked) {
                    return finish(
                        single_answer(
                            id,
                            Some(&question),
                            ResponseCode::NoError,
                            &[current_soa],
                            OpCode::Query,
                        ),
                        signer,
                    );
                }
                // RFC 1995 §2: over UDP, the SOA alone tells the client to come back over TCP.
                if protocol == Protocol::Udp {
                    return finish(
                        single_answer(
                            id,
                            Some(&question),
                            ResponseCode::NoError,
                            &[current_soa],
                            OpCode::Query,
                        ),
                        signer,
                    );
                }
                match self.journals.since(&zone.origin, asked, serial) {
                    Some(differences) => self.start(
                        id,
                        question,
                        signer,
                        Plan::Differences(Box::new(current_soa), differences),
                        client,
                    ),
                    // RFC 1995 §4: the journal does not reach back that far: the whole zone.
                    None => self.start(id, question, signer, Plan::Whole(zone), client),
                }
            }
        }
    }

    fn start(
        &self,
        id: u16,
        question: Query,
        signer: Option<ResponseSigner>,
        plan: Plan,
        client: IpAddr,
    ) -> Reply {
        let Ok(permit) = self.slots.clone().try_acquire_owned() else {
            tracing::warn!(%client, "transfer refused: {MAX_CONCURRENT_TRANSFERS_OUT} transfers already running");
            return Reply::Single(Some(single_answer(
                id,
                Some(&question),
                ResponseCode::ServFail,
                &[],
                OpCode::Query,
            )));
        };
        Reply::Transfer(Box::new(Transfer {
            id,
            question,
            signer,
            plan,
            client,
            packed: self.packed.clone(),
            _permit: permit,
        }))
    }
}

/// What a transfer sends.
pub enum Plan {
    /// AXFR, or IXFR answered AXFR-style: SOA, every record (names in canonical order), SOA.
    Whole(Arc<Zone>),
    /// IXFR: the current SOA, each difference (old SOA, removed, new SOA, added), the current SOA.
    Differences(Box<Record>, Vec<Difference>),
}

/// One running transfer, holding its slot until done.
pub struct Transfer {
    id: u16,
    question: Query,
    signer: Option<ResponseSigner>,
    plan: Plan,
    client: IpAddr,
    packed: Arc<PackedZones>,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Transfer {
    /// Sends every message through `sender`, in order; stops when the connection goes away.
    /// Packing and signing run on a blocking thread, so a large zone never stalls the event loop;
    /// the channel's bound makes the packer wait for the connection.
    pub async fn run(self: Box<Self>, sender: &mpsc::Sender<Vec<u8>>) {
        let sender = sender.clone();
        let client = self.client;
        let work = tokio::task::spawn_blocking(move || (*self).run_blocking(&sender));
        if let Err(error) = work.await {
            tracing::error!(%client, %error, "transfer task failed");
        }
    }

    fn run_blocking(self, sender: &mpsc::Sender<Vec<u8>>) {
        let Transfer {
            id,
            question,
            mut signer,
            plan,
            client,
            packed,
            _permit,
        } = self;
        let started = std::time::Instant::now();
        let mut packing = Packing {
            id,
            question: &question,
            signer: &mut signer,
            client,
        };
        let (kind, messages, records) = match &plan {
            Plan::Whole(zone) => {
                let entry = packed.entry(zone);
                let (messages, records) = match entry.packed(zone) {
                    Ok(packed) if packing.fits(packed) => packing.send_packed(sender, packed),
                    // Not packable ahead (one record too large: the packer says so and the
                    // transfer fails as it would), or a question of another length: afresh.
                    _ => packing.send_all(sender, whole_zone(zone, canonical_nodes(zone))),
                };
                ("AXFR", messages, records)
            }
            Plan::Differences(current, differences) => {
                let body = differences.iter().flat_map(|difference| {
                    std::iter::once(&difference.old_soa)
                        .chain(difference.removed.iter())
                        .chain(std::iter::once(&difference.new_soa))
                        .chain(difference.added.iter())
                });
                let current: &Record = current;
                let records = std::iter::once(current)
                    .chain(body)
                    .chain(std::iter::once(current));
                let (messages, records) = packing.send_all(sender, records);
                ("IXFR", messages, records)
            }
        };
        tracing::info!(
            %client, zone = %question.name(), kind, messages, records,
            elapsed_ms = started.elapsed().as_millis() as u64, "transfer sent"
        );
    }
}

/// What packing one transfer needs besides its records.
struct Packing<'transfer> {
    id: u16,
    question: &'transfer Query,
    signer: &'transfer mut Option<ResponseSigner>,
    client: IpAddr,
}

impl Packing<'_> {
    /// Whether `packed`'s messages can answer this question (they always can for a question
    /// naming the apex, whatever its case).
    fn fits(&self, packed: &PackedZone) -> bool {
        packed.message(0, self.id, self.question).is_some()
    }

    /// Sends a packed transfer, each message signed if asked; returns (messages, records) sent.
    fn send_packed(
        &mut self,
        sender: &mpsc::Sender<Vec<u8>>,
        packed: &PackedZone,
    ) -> (usize, usize) {
        let mut messages = 0;
        for index in 0..packed.len() {
            let Some(bytes) = packed.message(index, self.id, self.question) else {
                break;
            };
            if !self.deliver(sender, bytes, &mut messages) {
                break;
            }
        }
        let records = if messages == packed.len() {
            packed.records()
        } else {
            0
        };
        (messages, records)
    }

    /// Signs (if asked) and sends one message; false once the transfer must stop.
    fn deliver(
        &mut self,
        sender: &mpsc::Sender<Vec<u8>>,
        mut bytes: Vec<u8>,
        messages: &mut usize,
    ) -> bool {
        if let Some(signer) = self.signer.as_mut() {
            if signer.sign(&mut bytes).is_err() {
                return false;
            }
        }
        *messages += 1;
        *messages <= MAX_MESSAGES_PER_TRANSFER && sender.blocking_send(bytes).is_ok()
    }

    /// Packs, signs and sends; returns (messages, records) sent.
    fn send_all<R: std::borrow::Borrow<Record>>(
        &mut self,
        sender: &mpsc::Sender<Vec<u8>>,
        records: impl Iterator<Item = R>,
    ) -> (usize, usize) {
        let mut counted = 0usize;
        let counting = records.inspect(|_| counted += 1);
        let mut packer = TransferPacker::new(self.id, self.question.clone(), counting);
        let mut messages = 0;
        while let Some(message) = packer.next_message() {
            let bytes = match message {
                Ok(bytes) => bytes,
                Err(error) => {
                    tracing::error!(client = %self.client, %error, "transfer aborted");
                    let failure = single_answer(
                        self.id,
                        Some(self.question),
                        ResponseCode::ServFail,
                        &[],
                        OpCode::Query,
                    );
                    let _ = sender.blocking_send(failure);
                    break;
                }
            };
            if !self.deliver(sender, bytes, &mut messages) {
                break;
            }
        }
        drop(packer);
        (messages, counted)
    }
}
