//! Hot path of the authority without sockets: request parse → lookup → response write
//! (`authority::answer::handler::answer_packet`) over the benchmark zone and query mix (`benchtool generate-zone`, `generate-queries`), then the same through
//! the answer memo (`answer_packet_memoised`, warmed by the first round). Prints ns per query
//! (median and range over rounds); std-only timing, so read it as a trend, not to the nanosecond.

use std::hint::black_box;
use std::time::Instant;

use authority::answer::handler::{answer_packet, answer_packet_memoised};
use authority::answer::memo::AnswerMemo;
use authority::catalog::zones::{Catalog, ZoneSource};
use authority::listen::Protocol;
use bench::auth_zone::{self, QueryMix, ZoneShape};
use bench::statistics::summarize;
use hickory_proto::op::{Message, Query};
use hickory_proto::rr::{Name, RecordType};
use std::str::FromStr;

/// Queries per round: enough that a round takes tens of milliseconds.
const QUERIES: u32 = 100_000;
/// Rounds: the median of 15 is stable against one preempted round.
const ROUNDS: usize = 15;

fn main() {
    let origin = "bench.test.";
    let directory =
        std::env::temp_dir().join(format!("authority-answer-bench-{}", std::process::id()));
    if let Err(error) = std::fs::create_dir_all(&directory) {
        eprintln!("cannot create {}: {error}", directory.display());
        std::process::exit(1);
    }
    let yaml = directory.join("bench.test.yaml");
    let records = auth_zone::records(origin, ZoneShape::ISSUE_6);
    let mut text = Vec::new();
    let mut queries = Vec::new();
    let written = auth_zone::write_yaml(origin, &records, &mut text)
        .and_then(|()| std::fs::write(&yaml, &text))
        .and_then(|()| {
            auth_zone::write_queries(
                origin,
                ZoneShape::ISSUE_6,
                QueryMix::Authoritative,
                QUERIES,
                6,
                &mut queries,
            )
        });
    if let Err(error) = written {
        eprintln!("cannot write the zone or queries: {error}");
        std::process::exit(1);
    }
    let source = match ZoneSource::parse(&format!("{origin}={}", yaml.display())) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(1);
        }
    };
    let load = Catalog::load(&[source]);
    let _ = std::fs::remove_dir_all(&directory);
    if !load.errors.is_empty() {
        for error in &load.errors {
            eprintln!("{error}");
        }
        std::process::exit(1);
    }
    let packets: Vec<Vec<u8>> = String::from_utf8_lossy(&queries)
        .lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let (name, record_type) = line.split_once(' ')?;
            let mut message = Message::query();
            message.metadata.id = index as u16;
            message.add_query(Query::query(
                Name::from_ascii(name).ok()?,
                RecordType::from_str(record_type).ok()?,
            ));
            message.to_vec().ok()
        })
        .collect();
    let memo = AnswerMemo::default();
    for protocol in [Protocol::Udp, Protocol::Tcp] {
        let fresh = |packet: &[u8]| answer_packet(&load.catalog, packet, protocol);
        report("answer_packet", protocol, &packets, fresh);
        let memoised =
            |packet: &[u8]| answer_packet_memoised(&memo, &load.catalog, packet, protocol);
        report("answer_packet_memoised", protocol, &packets, memoised);
    }
}

/// Times `answer` over every packet, ROUNDS times, and prints the summary.
fn report(
    label: &str,
    protocol: Protocol,
    packets: &[Vec<u8>],
    answer: impl Fn(&[u8]) -> Option<Vec<u8>>,
) {
    let mut nanoseconds = Vec::with_capacity(ROUNDS);
    let mut answered = 0usize;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for packet in packets {
            if black_box(answer(black_box(packet))).is_some() {
                answered += 1;
            }
        }
        nanoseconds.push(started.elapsed().as_nanos() as f64 / packets.len().max(1) as f64);
    }
    if let Some(summary) = summarize(&nanoseconds) {
        println!(
            "{label} {protocol:?}: {:.0} ns/query (range {:.0}–{:.0}, {} rounds of {} queries, {} answered)",
            summary.median, summary.minimum, summary.maximum, ROUNDS, packets.len(), answered
        );
    }
}
