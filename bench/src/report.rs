//! Turns measurements into the markdown report: per workload, each metric's median and range for
//! ours and each peer, and the ratio ours/peer of the medians. Never prints a figure without its peer.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::measurements::Measurement;
use crate::statistics::{paired_below, summarize, Paired, Summary};

/// Metrics recorded once per slice of time, in the same order for every server (the harness records
/// a slice round only when every server has its figure), so position i of each is the same round.
const SLICE_PREFIX: &str = "slice_";

/// Our server's name in the measurements; every other server is a peer.
pub const OURS: &str = "ours";

/// Which way is better, and a readable name, for the metrics the harness records.
fn describe(metric: &str) -> (&str, &'static str) {
    match metric {
        "qps" => ("queries per second", "higher"),
        "mean_latency_us" => ("mean latency (µs)", "lower"),
        "median_latency_us" => ("median latency (µs, per-query, dnsperf -v)", "lower"),
        "p99_latency_us" => ("p99 latency (µs, per-query, dnsperf -v)", "lower"),
        "slice_p99_latency_us" => (
            "p99 latency of each slice (µs; median and range over slices)",
            "lower",
        ),
        "lost_queries" => ("lost queries", "lower"),
        "server_core_busy_percent" => ("server core busy (%, /proc/stat)", "lower"),
        "client_core_busy_percent" => (
            "client core busy (%; near 100: dnsperf is the limit)",
            "info",
        ),
        "stolen_percent" => ("time the hypervisor took from both cores (%)", "info"),
        "stolen_ms" => (
            "time the hypervisor took from both cores during the server's runs (ms)",
            "info",
        ),
        // Results before 2026-12-03 night, when a disturbed latency run was repeated.
        "latency_attempts" => ("latency runs made, the least disturbed kept", "info"),
        "qps_per_server_core" => (
            "queries per second of server-core time (capacity)",
            "higher",
        ),
        "completed_queries" => ("completed queries", "higher"),
        "replies_per_second" => (
            "replies per second (kxdpgun; the saturated server core's QPS)",
            "higher",
        ),
        "queries_sent_per_second" => (
            "queries sent per second (kxdpgun; above the replies: the client is not the limit)",
            "info",
        ),
        "answered_percent" => (
            "queries answered (% of sent; the rest were dropped before the server read them)",
            "info",
        ),
        "server_cpu_percent" => (
            "server CPU (% of one core; all its threads and processes)",
            "info",
        ),
        "machine_busy_percent" => ("both cores busy (%, /proc/stat)", "info"),
        "qps_per_server_cpu" => ("queries per second of server CPU time (capacity)", "higher"),
        "udp_sockets" => ("UDP sockets on the address (ss)", "info"),
        "qps_scaling" => ("QPS at 2 workers / QPS at 1 worker", "higher"),
        "capacity_scaling" => ("capacity at 2 workers / capacity at 1 worker", "higher"),
        "total_seconds" => ("total time (s)", "lower"),
        "median_ms_per_name" => ("median time per name (ms)", "lower"),
        "p99_ms_per_name" => ("p99 time per name (ms)", "lower"),
        "failures" => ("names not resolved (timeout or SERVFAIL)", "lower"),
        "upstream_queries_per_name" => ("upstream queries per name", "lower"),
        "cpu_us_per_name" => ("resolver CPU time per name (µs, all threads)", "lower"),
        "cpu_us_per_query" => (
            "resolver CPU time per answered query (µs, all threads)",
            "lower",
        ),
        "bytes_per_cached_name" => ("bytes per cached name (RSS growth)", "lower"),
        "peak_rss_mib" => ("peak RSS (MiB, VmHWM)", "lower"),
        "peak_pss_mib" => (
            "peak memory while loading (MiB, the process tree's summed PSS, sampled every 100 ms)",
            "lower",
        ),
        "load_seconds" => ("load time to first answer (s)", "lower"),
        "transfer_seconds" => (
            "time for a fresh NSD secondary to serve the zone (s; start to first answer)",
            "lower",
        ),
        "axfr_seconds" => (
            "AXFR: nsd-control transfer to the new serial served (s)",
            "lower",
        ),
        "ixfr_seconds" => (
            "IXFR: nsd-control transfer to the new serial served (s)",
            "lower",
        ),
        "ixfr_over_axfr" => ("IXFR time / AXFR time, per repetition", "lower"),
        "reload_one_change_seconds" => (
            "one record changed: reload to the changed answer (s)",
            "lower",
        ),
        "peak_rss_after_reload_mib" => ("peak RSS after that reload (MiB, VmHWM)", "lower"),
        "peak_pss_during_reload_mib" => (
            "peak memory during that reload (MiB, summed PSS, sampled to 1 s after the answer)",
            "lower",
        ),
        "sign_cpu_seconds" => (
            "signing CPU time, zone file in to signed file out (s, user + system)",
            "lower",
        ),
        "sign_seconds" => (
            "signing wall time (s; holds waits for a busy core)",
            "lower",
        ),
        "cpu_seconds" => ("server CPU time for it (s, all threads)", "lower"),
        "rrsig_records" => ("RRSIG records written (the same work)", "same"),
        "seconds" => (
            "wall time to answer the changed zone (s; a start: to its first answer)",
            "lower",
        ),
        "answers_noerror_percent" => ("NOERROR answers (% of completed)", "same"),
        "answers_nxdomain_percent" => ("NXDOMAIN answers (% of completed)", "same"),
        "answers_servfail_percent" => ("SERVFAIL answers (% of completed)", "lower"),
        "answers_refused_percent" => ("REFUSED answers (% of completed)", "lower"),
        "answers_formerr_percent" => ("FORMERR answers (% of completed)", "lower"),
        "name1_ms" => ("first new name: answer or SERVFAIL (ms)", "lower"),
        "name2_ms" => ("second new name, asked right after (ms)", "lower"),
        "name3_ms" => ("third new name, asked right after (ms)", "lower"),
        "names_answered" => ("names answered within the wait (of 3)", "higher"),
        other => (other, "?"),
    }
}

fn format_number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude >= 1000.0 {
        format!("{value:.0}")
    } else if magnitude >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.3}")
    }
}

fn format_summary(summary: Option<Summary>) -> String {
    match summary {
        None => "–".to_string(),
        Some(summary) if summary.count == 1 => format!("{} (n=1)", format_number(summary.median)),
        Some(summary) => format!(
            "{} ({}–{}, n={})",
            format_number(summary.median),
            format_number(summary.minimum),
            format_number(summary.maximum),
            summary.count
        ),
    }
}

/// `12 of 25` (`, 1 tie`): in how many paired slices ours was lower than the peer.
fn format_paired(paired: Option<Paired>) -> String {
    match paired {
        None => "–".to_string(),
        Some(Paired { below, ties, pairs }) => match ties {
            0 => format!("{below} of {pairs}"),
            1 => format!("{below} of {pairs}, 1 tie"),
            _ => format!("{below} of {pairs}, {ties} ties"),
        },
    }
}

/// The row after a per-slice metric: the sign test's counts against each peer.
fn paired_row(
    measurements: &[Measurement],
    workload: &str,
    metric: &str,
    peers: &[&str],
) -> String {
    let ours = values(measurements, workload, OURS, metric);
    let mut row = format!(
        "| slices in which ours was lower (paired by round) | more | n={} |",
        ours.len()
    );
    for peer in peers {
        let theirs = values(measurements, workload, peer, metric);
        let _ = write!(
            row,
            " – | {} |",
            format_paired(paired_below(&ours, &theirs))
        );
    }
    row.push('\n');
    row
}

fn values<'a>(
    measurements: &'a [Measurement],
    workload: &'a str,
    server: &'a str,
    metric: &'a str,
) -> Vec<f64> {
    measurements
        .iter()
        .filter(|m| m.workload == workload && m.server == server && m.metric == metric)
        .map(|m| m.value)
        .collect()
}

/// Keeps first-seen order so the report follows the run's order.
fn ordered_unique<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = BTreeSet::new();
    items.filter(|item| seen.insert(*item)).collect()
}

pub fn markdown(measurements: &[Measurement]) -> String {
    let mut text = String::new();
    for workload in ordered_unique(measurements.iter().map(|m| m.workload.as_str())) {
        let in_workload = || measurements.iter().filter(move |m| m.workload == workload);
        let peers: Vec<&str> = ordered_unique(in_workload().map(|m| m.server.as_str()))
            .into_iter()
            .filter(|server| *server != OURS)
            .collect();
        let _ = writeln!(text, "\n### {workload}\n");
        let mut header = String::from("| metric | better | ours |");
        let mut rule = String::from("|---|---|---|");
        for peer in &peers {
            let _ = write!(header, " {peer} | ours/{peer} |");
            rule.push_str("---|---|");
        }
        let _ = writeln!(text, "{header}\n{rule}");
        for metric in ordered_unique(in_workload().map(|m| m.metric.as_str())) {
            let (label, better) = describe(metric);
            let ours = summarize(&values(measurements, workload, OURS, metric));
            let _ = write!(text, "| {label} | {better} | {} |", format_summary(ours));
            for peer in &peers {
                let theirs = summarize(&values(measurements, workload, peer, metric));
                let ratio = match (ours, theirs) {
                    (Some(ours), Some(theirs)) if theirs.median != 0.0 => {
                        format!("{:.2}", ours.median / theirs.median)
                    }
                    _ => "–".to_string(),
                };
                let _ = write!(text, " {} | {ratio} |", format_summary(theirs));
            }
            text.push('\n');
            if metric.starts_with(SLICE_PREFIX) {
                text.push_str(&paired_row(measurements, workload, metric, &peers));
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measurement(server: &str, value: f64) -> Measurement {
        of_metric("qps", server, value)
    }

    fn of_metric(metric: &str, server: &str, value: f64) -> Measurement {
        Measurement {
            workload: "w".into(),
            server: server.into(),
            metric: metric.into(),
            value,
        }
    }

    #[test]
    fn slice_metrics_get_a_paired_row_counting_rounds_won() {
        let slices = [(60.0, 80.0), (300.0, 90.0), (70.0, 70.0), (65.0, 900.0)];
        let data: Vec<Measurement> = slices
            .iter()
            .flat_map(|(ours, nsd)| {
                [
                    of_metric("slice_p99_latency_us", "ours", *ours),
                    of_metric("slice_p99_latency_us", "nsd", *nsd),
                ]
            })
            .collect();
        let text = markdown(&data);
        assert!(
            text.contains("| slices in which ours was lower (paired by round) | more | n=4 | – | 2 of 4, 1 tie |"),
            "{text}"
        );
    }

    #[test]
    fn every_kxdpgun_metric_has_a_label_and_a_direction() {
        let run = crate::kxdpgun_output::parse(
            "total queries:     10 (5 pps)\ntotal replies:     4 (2 pps) (40%)\nresponded NOERROR:   4\n",
        );
        for (metric, _) in run.metrics() {
            assert_ne!(describe(&metric).1, "?", "{metric}");
        }
    }

    #[test]
    fn ratio_is_of_medians_and_ranges_are_shown() {
        let data = [
            measurement("ours", 100.0),
            measurement("nsd", 50.0),
            measurement("ours", 300.0),
            measurement("nsd", 40.0),
            measurement("ours", 200.0),
            measurement("nsd", 60.0),
        ];
        let text = markdown(&data);
        assert!(text.contains("| queries per second | higher | 200.0 (100.0–300.0, n=3) | 50.0 (40.0–60.0, n=3) | 4.00 |"), "{text}");
    }
}
