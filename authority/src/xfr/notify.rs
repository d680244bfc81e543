//! NOTIFY (RFC 1996) to a zone's secondaries when its serial changes: one UDP exchange per
//! secondary, retried with a doubling wait until answered, at most NOTIFY_ATTEMPTS times.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use hickory_proto::op::{Message, MessageType, OpCode, Query};
use hickory_proto::rr::{DNSClass, Name, Record, RecordType};
use tokio::net::UdpSocket;
use tokio::sync::Semaphore;

use crate::limits::{
    MAX_CONCURRENT_NOTIFIES, MAX_UDP_PAYLOAD, NOTIFY_ATTEMPTS, NOTIFY_FIRST_TIMEOUT,
};
use crate::xfr::tsig::{now_seconds, ResponseSigner, TsigKey};

/// A secondary to notify, and the key to sign with (if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifyTarget {
    pub address: SocketAddr,
    pub key: Option<Arc<TsigKey>>,
}

/// How one NOTIFY round ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotifyOutcome {
    Acknowledged {
        attempts: u32,
    },
    /// Answered, but not NOERROR (a secondary that does not serve the zone answers NOTAUTH or REFUSED).
    Refused {
        rcode: String,
    },
    Unanswered,
    Failed(String),
}

/// Sends NOTIFYs, never more than MAX_CONCURRENT_NOTIFIES rounds at once.
#[derive(Clone, Debug)]
pub struct Notifier {
    slots: Arc<Semaphore>,
    /// Addresses we serve on: a NOTIFY leaves from one of them, so a secondary's `allow-notify`
    /// (NSD), `acl` (Knot) or `allow-notify` (BIND) can name the primary's address.
    sources: Vec<IpAddr>,
}

impl Default for Notifier {
    fn default() -> Notifier {
        Notifier::new(Vec::new())
    }
}

impl Notifier {
    pub fn new(sources: Vec<IpAddr>) -> Notifier {
        Notifier {
            slots: Arc::new(Semaphore::new(MAX_CONCURRENT_NOTIFIES)),
            sources: sources
                .into_iter()
                .filter(|ip| !ip.is_unspecified())
                .collect(),
        }
    }

    /// Notifies every target of `zone` at `soa` in the background; each outcome is logged.
    pub fn announce(&self, zone: Name, soa: Record, targets: &[NotifyTarget]) {
        for target in targets.iter().cloned() {
            let slots = self.slots.clone();
            let zone = zone.clone();
            let soa = soa.clone();
            let source = self
                .sources
                .iter()
                .copied()
                .find(|ip| ip.is_ipv4() == target.address.is_ipv4());
            tokio::spawn(async move {
                let Ok(_permit) = slots.acquire_owned().await else {
                    return;
                };
                let serial = crate::xfr::journal::soa_serial(Some(&soa)).unwrap_or(0);
                let outcome = notify(&zone, &soa, &target, source).await;
                match &outcome {
                    NotifyOutcome::Acknowledged { attempts } => {
                        tracing::info!(%zone, serial, secondary = %target.address, attempts, "NOTIFY acknowledged")
                    }
                    other => {
                        tracing::warn!(%zone, serial, secondary = %target.address, outcome = ?other, "NOTIFY not acknowledged")
                    }
                }
            });
        }
    }
}

/// One NOTIFY round to `target` (RFC 1996 §3.6: retransmitted until answered or given up).
pub async fn notify(
    zone: &Name,
    soa: &Record,
    target: &NotifyTarget,
    source: Option<IpAddr>,
) -> NotifyOutcome {
    let local = match (source, target.address.ip()) {
        (Some(source), _) => SocketAddr::new(source, 0),
        (None, IpAddr::V4(_)) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        (None, IpAddr::V6(_)) => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
    };
    let socket = match UdpSocket::bind(local).await {
        Ok(socket) => socket,
        Err(error) => return NotifyOutcome::Failed(error.to_string()),
    };
    if let Err(error) = socket.connect(target.address).await {
        return NotifyOutcome::Failed(error.to_string());
    }
    let mut wait = NOTIFY_FIRST_TIMEOUT;
    for attempt in 1..=NOTIFY_ATTEMPTS {
        let id: u16 = rand_id();
        let mut message = Message::new(id, MessageType::Query, OpCode::Notify);
        message.metadata.authoritative = true;
        let mut question = Query::query(zone.clone(), RecordType::SOA);
        question.set_query_class(DNSClass::IN);
        message.add_query(question);
        // RFC 1996 §3.7: the new SOA may ride along, saving the secondary a query.
        message.add_answer(soa.clone());
        let Ok(mut bytes) = message.to_vec() else {
            return NotifyOutcome::Failed("cannot encode NOTIFY".to_string());
        };
        let mut signer = match target.key.clone().map(ResponseSigner::for_request) {
            Some(mut signer) => {
                if signer.sign(&mut bytes).is_err() {
                    return NotifyOutcome::Failed("cannot sign NOTIFY".to_string());
                }
                Some(signer.for_answers())
            }
            None => None,
        };
        if let Err(error) = socket.send(&bytes).await {
            return NotifyOutcome::Failed(error.to_string());
        }
        let deadline = tokio::time::Instant::now() + wait;
        let mut buffer = vec![0u8; usize::from(MAX_UDP_PAYLOAD).max(4096)];
        loop {
            let received = tokio::time::timeout_at(deadline, socket.recv(&mut buffer)).await;
            let Ok(Ok(length)) = received else {
                break;
            };
            let answer = &buffer[..length];
            let Ok(reply) = Message::from_vec(answer) else {
                continue;
            };
            if reply.metadata.id != id
                || reply.metadata.message_type != MessageType::Response
                || reply.metadata.op_code != OpCode::Notify
            {
                continue;
            }
            if let Some(signer) = signer.as_mut() {
                if let Err(error) = signer.verify_answer(answer, now_seconds()) {
                    return NotifyOutcome::Failed(error.to_string());
                }
            }
            return match reply.metadata.response_code {
                hickory_proto::op::ResponseCode::NoError => {
                    NotifyOutcome::Acknowledged { attempts: attempt }
                }
                other => NotifyOutcome::Refused {
                    rcode: other.to_string(),
                },
            };
        }
        wait = wait.saturating_mul(2);
    }
    NotifyOutcome::Unanswered
}

pub(crate) fn rand_id() -> u16 {
    let mut bytes = [0u8; 2];
    // ring's system randomness; a fixed ID would only make spoofing a NOTIFY answer easier.
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).is_err() {
        return 0x4e4f;
    }
    u16::from_be_bytes(bytes)
}
