//! A bounded soak: dnsperf floods a real `resolver` with far more distinct names than
//! its cache may hold. Checks: it lives, its peak RSS stays under the cache bound plus a fixed
//! margin, dnsperf sees no error other than timeouts, and it still answers afterwards.
//!
//! Flow: authority (wildcard zone soak.test) ← resolver --forward --cache-size ← dnsperf.

use std::fmt::Write as _;
use std::process::Command;

use e2e::{loopback_for, query_udp, require_tool, TempDir};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};

use crate::resolver_hostile::start_forwarding_resolver;

/// The resolver's cache bound for the soak, in RRsets: far below the working set.
const CACHE_SIZE: u64 = 1_000;

/// Distinct names in dnsperf's input, each answered from the wildcard: 100 times the cache
/// bound, and more than dnsperf sends in `DNSPERF_SECONDS` on 2 shared cores (about 1,000
/// queries/s against a debug build), so every query misses and the cache must evict.
const WORKING_SET: usize = 100_000;

/// dnsperf's time limit; with start-up and the checks the test stays within a minute.
const DNSPERF_SECONDS: u32 = 40;

/// dnsperf's per-query timeout, in seconds (rate-related drops show as timeouts).
const DNSPERF_TIMEOUT_SECONDS: u32 = 2;

/// Queries dnsperf keeps outstanding: enough to keep the resolver's 1024 resolution slots busy
/// at times, so the overload path (drop) runs too.
const DNSPERF_OUTSTANDING: u32 = 1_000;

/// Generous memory allowed per cached RRset (an A RRset with its owner name, the cache's
/// bookkeeping and expiry data is a few hundred bytes).
const BYTES_PER_CACHE_ENTRY: u64 = 4 * 1024;

/// The daemon's other memory bound: requests in flight (`UDP_MAX_IN_FLIGHT` in
/// authority/src/limits.rs, as `MAX_CONCURRENT_RESOLUTIONS` in resolver/src/server/limits.rs)
/// times the 64 KiB listener buffer each pending request keeps (`MAX_MESSAGE_SIZE`). The e2e
/// crate does not link the daemons, so the values are repeated here.
const IN_FLIGHT_BYTES: u64 = 1024 * 65_535;

/// Fixed margin for the rest: code, the tokio runtime, socket buffers, a debug build. The idle
/// daemon's peak is about 12 MiB.
const RSS_MARGIN_BYTES: u64 = 32 * 1024 * 1024;

const SOAK_ZONE: &str = "\
'':
  - type: SOA
    value:
      mname: ns1.soak.test.
      rname: hostmaster.soak.test.
      serial: 1
      refresh: 7200
      retry: 900
      expire: 1209600
      minimum: 300
  - type: NS
    value: ns1.soak.test.
ns1:
  type: A
  value: 192.0.2.53
'*':
  type: A
  value: 192.0.2.80
";

/// Peak resident set size of a process, from /proc/PID/status (VmHWM, in kB).
fn peak_rss_bytes(process_id: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{process_id}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kilobytes = line.split_whitespace().nth(1)?.parse::<u64>().ok()?;
    Some(kilobytes * 1024)
}

/// dnsperf's "Response codes:" line as (code, count) pairs.
fn response_codes(report: &str) -> Vec<(String, u64)> {
    let Some(line) = report
        .lines()
        .find_map(|line| line.trim().strip_prefix("Response codes:"))
    else {
        return Vec::new();
    };
    line.split(',')
        .filter_map(|part| {
            let mut words = part.split_whitespace();
            let code = words.next()?.to_string();
            let count = words.next()?.parse().ok()?;
            Some((code, count))
        })
        .collect()
}

/// The number after `label` in dnsperf's statistics ("Queries completed:    18107 (96.04%)").
fn statistic(report: &str, label: &str) -> Option<u64> {
    report
        .lines()
        .find_map(|line| line.trim().strip_prefix(label))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[test]
fn resolver_soak_under_dnsperf_stays_within_its_cache_bound_and_answers() {
    let Some(dnsperf) = require_tool("dnsperf") else {
        return;
    };
    let test = "resolver_soak_under_dnsperf_stays_within_its_cache_bound_and_answers";
    let directory = TempDir::new("soak").unwrap_or_else(|error| panic!("temp dir: {error}"));
    let zone = directory
        .write("soak.test.yaml", SOAK_ZONE)
        .unwrap_or_else(|error| panic!("zone file: {error}"));
    let mut names = String::with_capacity(WORKING_SET * 24);
    for index in 0..WORKING_SET {
        let _ = writeln!(names, "n{index}.soak.test A");
    }
    let input = directory
        .write("names.txt", &names)
        .unwrap_or_else(|error| panic!("dnsperf input: {error}"));

    let upstream = loopback_for(test, 0);
    let listen = upstream.to_string();
    let zone_path = zone.display().to_string();
    let _authority = e2e::start_workspace_server(
        "authority",
        "authority",
        ["--listen", listen.as_str(), zone_path.as_str()],
    )
    .unwrap_or_else(|error| panic!("authority did not start: {error}"));
    let cache_size = CACHE_SIZE.to_string();
    let (mut resolver, address) =
        start_forwarding_resolver(test, 1, upstream, &["--cache-size", cache_size.as_str()]);

    let output = Command::new(dnsperf)
        .arg("-s")
        .arg(address.ip().to_string())
        .arg("-p")
        .arg(address.port().to_string())
        .arg("-d")
        .arg(&input)
        .args(["-n", "1"])
        .args(["-l", &DNSPERF_SECONDS.to_string()])
        .args(["-t", &DNSPERF_TIMEOUT_SECONDS.to_string()])
        .args(["-q", &DNSPERF_OUTSTANDING.to_string()])
        .output()
        .unwrap_or_else(|error| panic!("cannot run dnsperf: {error}"));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: String = report
        .lines()
        .filter(|line| !line.starts_with("[Timeout]"))
        .collect::<Vec<_>>()
        .join("\n");
    println!("{summary}");
    assert!(output.status.success(), "dnsperf failed:\n{summary}");

    resolver
        .check_running()
        .unwrap_or_else(|error| panic!("resolver died under load: {error}\n{}", resolver.output()));
    let peak = peak_rss_bytes(resolver.id())
        .unwrap_or_else(|| panic!("no VmHWM for the resolver process"));
    let bound = CACHE_SIZE * BYTES_PER_CACHE_ENTRY + IN_FLIGHT_BYTES + RSS_MARGIN_BYTES;
    println!(
        "resolver peak RSS {} KiB, bound {} KiB",
        peak / 1024,
        bound / 1024
    );
    assert!(
        peak <= bound,
        "peak RSS {peak} bytes over the bound {bound} (cache {CACHE_SIZE} RRsets)"
    );

    // No error other than timeouts: every response is NOERROR, or SERVFAIL when the resolver's
    // own upstream query timed out under the flood (also a rate effect). Any other code, or a
    // dnsperf warning that is not about a late or lost reply, is a failure.
    let completed = statistic(&report, "Queries completed:").unwrap_or(0);
    println!("{completed} queries completed");
    let codes = response_codes(&report);
    let noerror = codes
        .iter()
        .find(|(code, _)| code == "NOERROR")
        .map_or(0, |(_, count)| *count);
    assert!(noerror > 0, "no query was answered NOERROR:\n{summary}");
    assert!(
        codes
            .iter()
            .all(|(code, _)| code == "NOERROR" || code == "SERVFAIL"),
        "unexpected response codes {codes:?}"
    );
    let complaints: Vec<&str> = summary
        .lines()
        .filter(|line| line.starts_with("Warning") || line.starts_with("Error"))
        .filter(|line| !(line.contains("timed out") || line.contains("unexpected id")))
        .collect();
    assert!(complaints.is_empty(), "dnsperf complained: {complaints:#?}");

    // Still answering, a name the flood never asked (a miss) and the first one (long evicted
    // or still cached, either way answered).
    for name in ["after-the-soak.soak.test.", "n0.soak.test."] {
        let reply = query_udp(address, name, RecordType::A).unwrap_or_else(|error| {
            panic!("{name} after the soak: {error}\n{}", resolver.output())
        });
        assert_eq!(
            reply.metadata.response_code,
            ResponseCode::NoError,
            "{name}"
        );
        assert!(
            reply
                .answers
                .iter()
                .any(|record| matches!(record.data, RData::A(_))),
            "{name} has an address: {reply:?}"
        );
    }
}
