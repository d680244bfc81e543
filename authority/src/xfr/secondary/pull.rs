//! One refresh from one primary over one connection (RFC 5936 §4.1, RFC 7766): the SOA query, then
//! IXFR from our serial (RFC 1995) or AXFR, every message TSIG-checked in chain when a key is set.

use std::net::IpAddr;

use crate::limits::MAX_MESSAGES_PER_TRANSFER;
use crate::xfr::journal::{serial_after, soa_serial};
use crate::xfr::notify::{rand_id, NotifyTarget};
use crate::xfr::secondary::error::PullError;
use crate::xfr::secondary::stream::{Received, TransferStream};
use crate::xfr::secondary::transport::{Connection, Transport};
use crate::xfr::tsig::{now_seconds, AnswerChain, ResponseSigner};
use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

/// One request of ours: its ID, its wire form (signed if a key is set) and the check of its answers.
struct Request {
    id: u16,
    bytes: Vec<u8>,
    chain: Option<AnswerChain>,
}

fn request(
    origin: &Name,
    record_type: RecordType,
    our_soa: Option<&Record>,
    primary: &NotifyTarget,
) -> Result<Request, PullError> {
    let id = rand_id();
    let mut message = Message::new(id, MessageType::Query, OpCode::Query);
    let mut query = Query::query(origin.clone(), record_type);
    query.set_query_class(DNSClass::IN);
    message.add_query(query);
    // RFC 1995 §3: the IXFR request carries our SOA in the authority section.
    if let Some(soa) = our_soa {
        message.add_authority(soa.clone());
    }
    let mut bytes = message
        .to_vec()
        .map_err(|error| PullError::Malformed(error.to_string()))?;
    let chain = match &primary.key {
        Some(key) => {
            let mut signer = ResponseSigner::for_request(key.clone());
            signer
                .sign(&mut bytes)
                .map_err(|error| PullError::Malformed(error.to_string()))?;
            Some(AnswerChain::new(signer.for_answers()))
        }
        None => None,
    };
    Ok(Request { id, bytes, chain })
}

/// Decodes one answer message and checks it belongs to `request` (ID, QR, opcode, TSIG).
fn check_answer(bytes: &[u8], request: &mut Request) -> Result<Message, PullError> {
    let message =
        Message::from_vec(bytes).map_err(|error| PullError::Malformed(error.to_string()))?;
    if message.metadata.id != request.id
        || message.metadata.message_type != MessageType::Response
        || message.metadata.op_code != OpCode::Query
    {
        return Err(PullError::Malformed(
            "not an answer to our request (ID, QR or opcode)".to_string(),
        ));
    }
    if let Some(chain) = request.chain.as_mut() {
        chain
            .check(bytes, message.signature.is_some(), now_seconds())
            .map_err(PullError::Tsig)?;
    }
    if message.metadata.response_code != ResponseCode::NoError {
        return Err(PullError::Rcode(message.metadata.response_code));
    }
    Ok(message)
}

/// Asks `primary` for the zone's SOA (RFC 1996 §3.11, RFC 1035 §4.3.5: the refresh check).
async fn query_soa(
    connection: &mut dyn Connection,
    origin: &Name,
    primary: &NotifyTarget,
) -> Result<Record, PullError> {
    let mut request = request(origin, RecordType::SOA, None, primary)?;
    connection.send(&request.bytes).await?;
    let bytes = connection.receive("the SOA answer").await?;
    let message = check_answer(&bytes, &mut request)?;
    if let Some(chain) = &request.chain {
        chain.finish().map_err(PullError::Tsig)?;
    }
    message
        .answers
        .into_iter()
        .find(|record| record.record_type() == RecordType::SOA && record.name == *origin)
        .ok_or(PullError::NoSoaFirst)
}

/// What one refresh from one primary brought: the answer to the transfer, or the primary's SOA
/// when it has nothing newer.
pub async fn pull(
    transport: &dyn Transport,
    origin: &Name,
    primary: &NotifyTarget,
    source: Option<IpAddr>,
    our_soa: Option<&Record>,
    whole: bool,
) -> Result<Received, PullError> {
    let mut connection = transport.connect(primary.address, source).await?;
    let soa = query_soa(connection.as_mut(), origin, primary).await?;
    let theirs = soa_serial(Some(&soa)).unwrap_or(0);
    let ours = soa_serial(our_soa);
    if let Some(ours) = ours {
        if theirs == ours && !whole {
            return Ok(Received::UpToDate(soa));
        }
        if !serial_after(theirs, ours) && theirs != ours {
            return Err(PullError::SerialBackwards { ours, theirs });
        }
    }
    let incremental = our_soa.filter(|_| !whole);
    let record_type = if incremental.is_some() {
        RecordType::IXFR
    } else {
        RecordType::AXFR
    };
    let mut request = request(origin, record_type, incremental, primary)?;
    connection.send(&request.bytes).await?;
    let mut stream = TransferStream::new(origin.clone(), incremental.is_some());
    let mut messages = 0usize;
    while !stream.is_done() {
        messages += 1;
        if messages > MAX_MESSAGES_PER_TRANSFER {
            return Err(PullError::TooLarge("messages"));
        }
        let bytes = connection.receive("the next transfer message").await?;
        let message = check_answer(&bytes, &mut request)?;
        for record in message.answers {
            stream.push(record)?;
        }
        // RFC 1995 §2: the SOA alone, at a serial not newer than ours, says we are up to date.
        if stream.only_opened() && incremental.is_some() {
            if let (Some(serial), Some(ours)) = (stream.serial(), ours) {
                if !serial_after(serial, ours) {
                    break;
                }
            }
        }
    }
    if let Some(chain) = &request.chain {
        chain.finish().map_err(PullError::Tsig)?;
    }
    let received = stream.finish()?;
    if let (Received::Whole { soa, .. } | Received::Incremental { soa, .. }, Some(ours)) =
        (&received, ours)
    {
        let serial = soa_serial(Some(soa)).unwrap_or(0);
        let accepted = serial_after(serial, ours) || (whole && serial == ours);
        if !accepted {
            return Err(PullError::SerialBackwards {
                ours,
                theirs: serial,
            });
        }
    }
    Ok(received)
}

/// Whether a failed IXFR is worth an AXFR: the primary does not do IXFR, or its differences do not
/// apply to our copy. Not for TSIG, access, timeouts or bad data: the AXFR would fail alike.
pub fn axfr_may_help(error: &PullError) -> bool {
    matches!(
        error,
        PullError::IxfrMismatch(_) | PullError::Rcode(ResponseCode::NotImp | ResponseCode::FormErr)
    )
}

/// The SOA record's serial and timers as one short text for log lines.
pub fn describe(soa: &Record) -> String {
    match &soa.data {
        RData::SOA(soa) => format!(
            "serial {} refresh {} retry {} expire {}",
            soa.serial, soa.refresh, soa.retry, soa.expire
        ),
        _ => "no SOA".to_string(),
    }
}

#[cfg(test)]
mod tests {
    //! A scripted primary (in memory; one test over TCP): each broken answer must be an error,
    //! never a zone.

    use std::sync::Arc;

    use hickory_proto::rr::rdata::{A, NS, SOA};
    use tokio::net::TcpListener;

    use super::*;
    use crate::xfr::secondary::transport::scripted::ScriptedPrimary;
    use crate::xfr::secondary::transport::{TcpConnection, TcpTransport};
    use crate::xfr::tsig::TsigKey;

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
                3600,
                900,
                604_800,
                300,
            )),
        )
    }

    fn body() -> Vec<Record> {
        let ns = Name::from_ascii("ns.example.test.").unwrap();
        vec![
            Record::from_rdata(origin(), 3600, RData::NS(NS(ns.clone()))),
            Record::from_rdata(ns, 300, RData::A(A::new(192, 0, 2, 1))),
        ]
    }

    /// What the scripted primary serves: its SOA serial, the transfer's messages (the connection
    /// closes after the last) and the key it signs with.
    struct Script {
        serial: u32,
        transfer: Vec<Vec<Record>>,
        key: Option<Arc<TsigKey>>,
    }

    fn answer(id: u16, records: &[Record]) -> Vec<u8> {
        let mut message = Message::new(id, MessageType::Response, OpCode::Query);
        message.metadata.authoritative = true;
        for record in records {
            message.add_answer(record.clone());
        }
        message.to_vec().unwrap()
    }

    /// The scripted primary's answers to one request: the SOA to an SOA query, the transfer to
    /// anything else; signed in chain when the script has a key.
    fn answers_to(script: &Script, request: &[u8]) -> Vec<Vec<u8>> {
        let request = Message::from_vec(request).unwrap();
        let answers = match request.queries.first().map(|query| query.query_type()) {
            Some(RecordType::SOA) => vec![vec![soa(script.serial)]],
            _ => script.transfer.clone(),
        };
        let mut signer = script.key.clone().map(|key| {
            ResponseSigner::new(key, request.signature.as_ref().unwrap().data.mac.clone())
        });
        answers
            .iter()
            .map(|records| {
                let mut bytes = answer(request.metadata.id, records);
                if let Some(signer) = signer.as_mut() {
                    signer.sign(&mut bytes).unwrap();
                }
                bytes
            })
            .collect()
    }

    fn target(key: Option<Arc<TsigKey>>) -> NotifyTarget {
        NotifyTarget {
            address: "192.0.2.1:53".parse().unwrap(),
            key,
        }
    }

    async fn pull_from(
        script: Script,
        ours: Option<u32>,
        key: Option<Arc<TsigKey>>,
    ) -> Result<Received, PullError> {
        let primary = ScriptedPrimary::new(move |request| answers_to(&script, request));
        let our_soa = ours.map(soa);
        pull(
            &primary,
            &origin(),
            &target(key),
            None,
            our_soa.as_ref(),
            false,
        )
        .await
    }

    fn whole(serial: u32) -> Vec<Vec<Record>> {
        let mut first = vec![soa(serial)];
        first.extend(body());
        vec![first, vec![soa(serial)]]
    }

    fn key(secret: &str) -> Arc<TsigKey> {
        Arc::new(TsigKey::new("xfr-key", "hmac-sha256", secret).unwrap())
    }

    #[tokio::test]
    async fn an_axfr_in_two_messages_is_the_whole_zone() {
        let script = Script {
            serial: 3,
            transfer: whole(3),
            key: None,
        };
        let received = pull_from(script, None, None).await.unwrap();
        assert!(matches!(received, Received::Whole { ref records, .. } if records.len() == 2));
    }

    #[tokio::test]
    async fn the_same_serial_is_up_to_date_without_a_transfer() {
        let script = Script {
            serial: 3,
            transfer: Vec::new(),
            key: None,
        };
        let received = pull_from(script, Some(3), None).await.unwrap();
        assert_eq!(received.kind(), "SOA");
    }

    #[tokio::test]
    async fn a_serial_going_backwards_is_refused() {
        let script = Script {
            serial: 2,
            transfer: whole(2),
            key: None,
        };
        let error = pull_from(script, Some(5), None).await.unwrap_err();
        assert!(
            matches!(error, PullError::SerialBackwards { ours: 5, theirs: 2 }),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_stream_closed_before_the_closing_soa_is_truncated() {
        let mut transfer = whole(3);
        transfer.pop();
        let script = Script {
            serial: 3,
            transfer,
            key: None,
        };
        let error = pull_from(script, None, None).await.unwrap_err();
        assert!(matches!(error, PullError::Truncated), "{error}");
    }

    #[tokio::test]
    async fn an_out_of_zone_record_is_refused() {
        let mut transfer = whole(3);
        transfer[0].push(Record::from_rdata(
            Name::from_ascii("www.elsewhere.test.").unwrap(),
            300,
            RData::A(A::new(192, 0, 2, 9)),
        ));
        let script = Script {
            serial: 3,
            transfer,
            key: None,
        };
        let error = pull_from(script, None, None).await.unwrap_err();
        assert!(matches!(error, PullError::OutOfZone(_)), "{error}");
    }

    #[tokio::test]
    async fn signed_answers_verify_with_the_right_key_only() {
        let right = key("c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0");
        let script = Script {
            serial: 3,
            transfer: whole(3),
            key: Some(right.clone()),
        };
        assert!(pull_from(script, None, Some(right.clone())).await.is_ok());
        let wrong = key("d3Jvbmd3cm9uZ3dyb25nd3Jvbmd3cm9uZw==");
        let script = Script {
            serial: 3,
            transfer: whole(3),
            key: Some(wrong),
        };
        let error = pull_from(script, None, Some(right.clone()))
            .await
            .unwrap_err();
        assert!(matches!(error, PullError::Tsig(_)), "{error}");
        // An unsigned answer to a signed request is refused too.
        let script = Script {
            serial: 3,
            transfer: whole(3),
            key: None,
        };
        let error = pull_from(script, None, Some(right)).await.unwrap_err();
        assert!(matches!(error, PullError::Tsig(_)), "{error}");
    }

    #[tokio::test]
    async fn over_tcp_each_message_is_framed_by_its_length() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let script = Script {
            serial: 3,
            transfer: whole(3),
            key: None,
        };
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            // The client's framing serves the scripted server side too.
            let mut connection = TcpConnection {
                stream,
                received: 0,
            };
            while let Ok(request) = connection.receive("request").await {
                for bytes in answers_to(&script, &request) {
                    connection.send(&bytes).await.unwrap();
                }
            }
        });
        let target = NotifyTarget { address, key: None };
        let received = pull(&TcpTransport, &origin(), &target, None, None, false)
            .await
            .unwrap();
        assert!(matches!(received, Received::Whole { ref records, .. } if records.len() == 2));
    }
}
