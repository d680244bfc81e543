//! `AXFR` and `IXFR=N` (RFC 5936, RFC 1995) over TCP: one request, answer messages read until the
//! closing SOA, each record printed as dig does, then dig's XFR footer. With `-y`/`-k` the request
//! is signed and every answer's TSIG checked in chain (RFC 8945 §5.3.1, `dig/tsig.rs`), and the
//! TSIG records printed after each message's records, as dig prints them.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::SOA;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::dig::args::Lookup;
use crate::dig::error::DigError;
use crate::dig::exchange::address_text;
use crate::dig::limits::MAX_TRANSFER_MESSAGES;
use crate::dig::presentation::{record_line_styled, tsig_line};
use crate::dig::query::build_query;
use crate::dig::report::record_style;
use crate::dig::socket_transport::connect_tcp;
use crate::dig::tsig::{now_seconds, TsigChain, TsigFailure};
use crate::dig::when::format_when;

/// The IXFR request's authority SOA (RFC 1995 §3): the zone's name, the serial the client holds.
fn ixfr_soa(zone: &Name, serial: u32) -> Record {
    Record::from_rdata(
        zone.clone(),
        0,
        RData::SOA(SOA::new(Name::root(), Name::root(), serial, 0, 0, 0, 0)),
    )
}

fn soa_serial(record: &Record) -> Option<u32> {
    match &record.data {
        RData::SOA(soa) => Some(soa.serial),
        _ => None,
    }
}

/// What one transfer received.
struct Received {
    text: String,
    records: usize,
    messages: usize,
    bytes: usize,
    /// The server answered with an error rcode: dig prints what came and `; Transfer failed.`,
    /// and still exits 0.
    refused: bool,
    /// The error answer's TSIG did not verify (dig says so before its banner).
    tsig_failure: Option<TsigFailure>,
}

/// Reads one length-prefixed message.
async fn read_message(stream: &mut TcpStream) -> Result<Vec<u8>, DigError> {
    let mut length = [0u8; 2];
    stream
        .read_exact(&mut length)
        .await
        .map_err(|error| DigError::Transfer(error.to_string()))?;
    let mut bytes = vec![0u8; usize::from(u16::from_be_bytes(length))];
    stream
        .read_exact(&mut bytes)
        .await
        .map_err(|error| DigError::Transfer(error.to_string()))?;
    Ok(bytes)
}

/// The whole transfer from `server`: request sent, answers read (and checked) until it ends.
async fn transfer(
    server: SocketAddr,
    request: &[u8],
    query_id: u16,
    mut verifier: Option<TsigChain>,
    lookup: &Lookup,
) -> Result<Received, DigError> {
    let style = record_style(&lookup.options.display);
    let mut stream =
        connect_tcp(server, lookup.options.source)
            .await
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::ConnectionRefused => DigError::TcpRefused,
                _ => DigError::Transfer(error.to_string()),
            })?;
    let length = u16::try_from(request.len()).map_err(|_| DigError::Internal("request size"))?;
    let mut framed = length.to_be_bytes().to_vec();
    framed.extend_from_slice(request);
    stream
        .write_all(&framed)
        .await
        .map_err(|error| DigError::Transfer(error.to_string()))?;
    let mut received = Received {
        text: String::new(),
        records: 0,
        messages: 0,
        bytes: 0,
        refused: false,
        tsig_failure: None,
    };
    // AXFR ends at the second SOA; IXFR at the SOA of the new serial seen a second time (or a
    // single SOA: up to date), or an AXFR-style answer's closing SOA.
    let mut first_serial: Option<u32> = None;
    let mut soas_of_first = 0;
    let mut is_ixfr_answer = lookup.effective_type() == RecordType::IXFR;
    let mut answer_count = 0usize;
    while received.messages < MAX_TRANSFER_MESSAGES {
        let bytes = read_message(&mut stream).await?;
        let now = now_seconds();
        let message =
            Message::from_vec(&bytes).map_err(|error| DigError::Transfer(error.to_string()))?;
        if message.metadata.id != query_id {
            return Err(DigError::Transfer("reply with another ID".into()));
        }
        if let Some(verifier) = verifier.as_mut() {
            if let Err(failure) = verifier.verify_answer(&bytes, now) {
                // An error answer (BADSIG, BADKEY...) is shown as dig shows it; a bad MAC on
                // zone data ends the transfer.
                if message.metadata.response_code == ResponseCode::NoError {
                    return Err(DigError::Transfer(failure.to_string()));
                }
                received.tsig_failure = Some(failure);
            }
        }
        if message.metadata.response_code != ResponseCode::NoError {
            if let Some(signature) = &message.signature {
                received.text.push_str(&tsig_line(signature, &style));
                received.text.push('\n');
            }
            received.refused = true;
            return Ok(received);
        }
        received.messages += 1;
        received.bytes += bytes.len();
        let mut done = false;
        for record in &message.answers {
            // `+onesoa`: dig leaves out an AXFR's closing SOA (it still counts in the footer).
            let closing_soa = soa_serial(record).is_some() && first_serial.is_some();
            let hidden = closing_soa
                && lookup.options.display.one_soa
                && lookup.effective_type() == RecordType::AXFR;
            if !hidden {
                received.text.push_str(&record_line_styled(record, &style));
                received.text.push('\n');
            }
            received.records += 1;
            answer_count += 1;
            if let Some(serial) = soa_serial(record) {
                match first_serial {
                    None => {
                        first_serial = Some(serial);
                        soas_of_first = 1;
                        if is_ixfr_answer && Some(serial) <= lookup.ixfr_serial {
                            // Up to date: the single SOA is the whole answer.
                            done = true;
                        }
                    }
                    Some(first) if first == serial => {
                        soas_of_first += 1;
                        // AXFR: the closing SOA; IXFR: the new SOA again at the end (the
                        // second sighting is inside the last difference sequence, the third
                        // closes it, unless the answer is AXFR-style).
                        if !is_ixfr_answer || soas_of_first == 3 {
                            done = true;
                        }
                    }
                    Some(_) => {}
                }
            } else if answer_count == 2 && is_ixfr_answer {
                // An IXFR answered AXFR-style (RFC 1995 §4): the second record is not an SOA.
                is_ixfr_answer = false;
            }
        }
        if let Some(signature) = &message.signature {
            received.text.push_str(&tsig_line(signature, &style));
            received.text.push('\n');
        }
        if done {
            return Ok(received);
        }
    }
    Err(DigError::Transfer("too many messages".into()))
}

/// Runs one AXFR or IXFR lookup and prints it as dig does.
pub async fn run_transfer(
    lookup: &Lookup,
    name: Name,
    servers: &[(SocketAddr, String)],
    banner: &str,
    out: &mut dyn Write,
) -> Result<(), DigError> {
    let mut query = build_query(
        name.clone(),
        lookup.effective_type(),
        lookup.class,
        &lookup.options,
    )?;
    if lookup.effective_type() == RecordType::IXFR {
        query.add_authority(ixfr_soa(&name, lookup.ixfr_serial.unwrap_or(0)));
    }
    let mut request = query
        .to_vec()
        .map_err(|_| DigError::Internal("encoding the transfer request"))?;
    let verifier = match &lookup.tsig_key {
        Some(key) => Some(TsigChain::sign_request(key, &mut request, now_seconds())?),
        None => None,
    };
    let timeout = Duration::from_secs(lookup.options.timeout_seconds.max(1));
    let mut last_error = DigError::NoReply;
    // A refused connection spends one of the lookup's tries and starts the list over, as for a
    // TCP query (BIND `dighost.c`, tcp_connected).
    let mut tcp_retries = lookup.options.tries;
    let question = name.to_string();
    let question = question
        .strip_suffix('.')
        .filter(|text| !text.is_empty())
        .unwrap_or(&question);
    let mut index = 0;
    while let Some((server, label)) = servers.get(index) {
        index += 1;
        let started = Instant::now();
        let outcome = tokio::time::timeout(
            timeout,
            transfer(
                *server,
                &request,
                query.metadata.id,
                verifier.clone(),
                lookup,
            ),
        )
        .await
        .unwrap_or_else(|_| Err(DigError::Transfer("timed out".into())));
        // dig prints its banner once the first answer is in (or the transfer failed).
        if let Ok(Received {
            tsig_failure: Some(failure),
            ..
        }) = &outcome
        {
            let _ = writeln!(out, ";; Couldn't verify signature: {failure}");
        }
        if let Err(DigError::TcpRefused) = outcome {
            let _ = writeln!(
                out,
                ";; Connection to {}({label}) for {question} failed: connection refused.",
                address_text(*server)
            );
            if tcp_retries > 1 {
                tcp_retries -= 1;
                let _ = writeln!(out, ";; {}", DigError::NoReply);
                index = 0;
                continue;
            }
            if index < servers.len() {
                continue;
            }
            let _ = writeln!(out, ";; {}", DigError::NoReply);
            return Err(DigError::TcpRefused);
        }
        if outcome.is_ok() {
            let _ = write!(out, "{banner}");
        }
        match outcome {
            Ok(received) if received.refused => {
                let _ = writeln!(out, "{}; Transfer failed.", received.text);
                return Ok(());
            }
            Ok(received) => {
                let elapsed = started.elapsed();
                let time = if lookup.options.display.microseconds {
                    format!("{} usec", elapsed.as_micros())
                } else {
                    format!("{} msec", elapsed.as_millis())
                };
                let _ = write!(out, "{}", received.text);
                if lookup.options.display.stats {
                    let _ = write!(
                        out,
                        ";; Query time: {time}\n;; SERVER: {}({label}) (TCP)\n;; WHEN: {}\n;; XFR size: {} records (messages {}, bytes {})\n\n",
                        address_text(*server),
                        format_when(SystemTime::now()),
                        received.records,
                        received.messages,
                        received.bytes,
                    );
                }
                return Ok(());
            }
            Err(error) => last_error = error,
        }
    }
    let _ = writeln!(out, "{banner}; Transfer failed.");
    Err(last_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dig::args::{ixfr_serial, parse_arguments};

    #[test]
    fn ixfr_words_carry_the_serial() {
        assert_eq!(ixfr_serial("IXFR=2024"), Some(2024));
        assert_eq!(ixfr_serial("ixfr=0"), Some(0));
        assert_eq!(ixfr_serial("IXFR"), None);
        assert_eq!(ixfr_serial("IXFR=x"), None);
        let words: Vec<String> = ["example.test", "IXFR=7"].map(String::from).to_vec();
        let invocation = parse_arguments(&words).unwrap();
        assert_eq!(invocation.lookups[0].effective_type(), RecordType::IXFR);
        assert_eq!(invocation.lookups[0].ixfr_serial, Some(7));
    }

    #[test]
    fn y_sets_the_key_of_every_lookup() {
        let words: Vec<String> = ["a.test", "AXFR", "-y", "hmac-sha256:k:c2VjcmV0", "b.test"]
            .map(String::from)
            .to_vec();
        let invocation = parse_arguments(&words).unwrap();
        for lookup in &invocation.lookups {
            let key = lookup.tsig_key.as_ref().unwrap();
            assert_eq!(key.name, Name::from_ascii("k.").unwrap());
            assert_eq!(key.secret, b"secret");
            assert_eq!(
                key.algorithm,
                hickory_proto::rr::rdata::tsig::TsigAlgorithm::HmacSha256
            );
        }
        let bad: Vec<String> = ["-y", "nocolon"].map(String::from).to_vec();
        assert!(matches!(parse_arguments(&bad), Err(DigError::KeySyntax)));
    }

    #[test]
    fn the_ixfr_request_carries_the_serial_in_an_authority_soa() {
        let zone = Name::from_ascii("example.test.").unwrap();
        assert_eq!(soa_serial(&ixfr_soa(&zone, 42)), Some(42));
    }
}
