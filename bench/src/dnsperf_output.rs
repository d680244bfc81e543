//! Reads dnsperf 2.x's summary (and, with `-v`, its per-query lines) into named metrics; the output
//! of several runs in one file (interleaved slices) reads as their total. Never guesses: a line it
//! does not recognise is ignored, a metric it cannot find is absent.

use crate::statistics::percentile;

/// The figures of one dnsperf run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DnsperfRun {
    pub queries_sent: Option<f64>,
    pub queries_completed: Option<f64>,
    pub queries_lost: Option<f64>,
    pub queries_per_second: Option<f64>,
    pub mean_latency_seconds: Option<f64>,
    /// From the `-v` per-query lines, when present.
    pub p99_latency_seconds: Option<f64>,
    pub median_latency_seconds: Option<f64>,
    /// `Response codes:` counts, e.g. ("NXDOMAIN", 4005); reported as shares of the completed queries,
    /// where equal shares show the servers answered alike.
    pub response_codes: Vec<(String, f64)>,
}

fn first_number(text: &str) -> Option<f64> {
    text.split_whitespace()
        .next()?
        .trim_end_matches(',')
        .parse()
        .ok()
}

/// Sums over the runs of one file: counts add up, QPS is the completed queries over the summed
/// run time, the mean latency is weighted by completed queries, percentiles pool every query.
#[derive(Default)]
struct Totals {
    sent: Option<f64>,
    completed: Option<f64>,
    lost: Option<f64>,
    /// Completed queries and seconds of the runs that reported a QPS.
    timed_queries: f64,
    seconds: f64,
    /// Completed queries and latency-seconds of the runs that reported a mean latency.
    latency_queries: f64,
    latency_sum: f64,
    /// Completed queries of the run being read (its summary gives them before QPS and latency).
    current_completed: f64,
}

fn add(total: &mut Option<f64>, value: Option<f64>) {
    if let Some(value) = value {
        *total = Some(total.unwrap_or(0.0) + value);
    }
}

pub fn parse(output: &str) -> DnsperfRun {
    let mut run = DnsperfRun::default();
    let mut totals = Totals::default();
    let mut latencies = Vec::new();
    for line in output.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Queries sent:") {
            add(&mut totals.sent, first_number(rest));
        } else if let Some(rest) = line.strip_prefix("Queries completed:") {
            let completed = first_number(rest);
            totals.current_completed = completed.unwrap_or(0.0);
            add(&mut totals.completed, completed);
        } else if let Some(rest) = line.strip_prefix("Queries lost:") {
            add(&mut totals.lost, first_number(rest));
        } else if let Some(rest) = line.strip_prefix("Queries per second:") {
            if let Some(qps) = first_number(rest).filter(|qps| *qps > 0.0) {
                totals.timed_queries += totals.current_completed;
                totals.seconds += totals.current_completed / qps;
            }
        } else if let Some(rest) = line.strip_prefix("Average Latency (s):") {
            if let Some(mean) = first_number(rest) {
                totals.latency_queries += totals.current_completed;
                totals.latency_sum += mean * totals.current_completed;
            }
        } else if let Some(rest) = line.strip_prefix("Response codes:") {
            // `NOERROR 95995 (96.00%), NXDOMAIN 4005 (4.00%)`
            for part in rest.split(',') {
                let mut fields = part.split_whitespace();
                let (Some(code), Some(Ok(count))) = (fields.next(), fields.next().map(str::parse))
                else {
                    continue;
                };
                match run
                    .response_codes
                    .iter_mut()
                    .find(|(known, _)| known == code)
                {
                    Some((_, total)) => *total += count,
                    None => run.response_codes.push((code.to_string(), count)),
                }
            }
        } else if line.starts_with("> ") {
            // `> NOERROR host1.bench.test A 0.000123`: the latency is the last field.
            if let Some(latency) = line
                .split_whitespace()
                .last()
                .and_then(|field| field.parse().ok())
            {
                latencies.push(latency);
            }
        }
    }
    run.queries_sent = totals.sent;
    run.queries_completed = totals.completed;
    run.queries_lost = totals.lost;
    run.queries_per_second = (totals.seconds > 0.0).then(|| totals.timed_queries / totals.seconds);
    run.mean_latency_seconds =
        (totals.latency_queries > 0.0).then(|| totals.latency_sum / totals.latency_queries);
    run.p99_latency_seconds = percentile(&latencies, 0.99);
    run.median_latency_seconds = percentile(&latencies, 0.5);
    run
}

impl DnsperfRun {
    /// (metric, value) pairs in the report's units: latencies in microseconds.
    pub fn metrics(&self) -> Vec<(String, f64)> {
        // Rounded to the nanosecond: dnsperf prints whole microseconds, which `× 1e6` would turn
        // into 1021.9999999999999 in the raw figures.
        let microseconds = |seconds: Option<f64>| seconds.map(|value| (value * 1e9).round() / 1e3);
        [
            ("qps", self.queries_per_second),
            ("mean_latency_us", microseconds(self.mean_latency_seconds)),
            (
                "median_latency_us",
                microseconds(self.median_latency_seconds),
            ),
            ("p99_latency_us", microseconds(self.p99_latency_seconds)),
            ("lost_queries", self.queries_lost),
            ("completed_queries", self.queries_completed),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_string(), value?)))
        .chain(self.response_codes.iter().filter_map(|(code, count)| {
            let completed = self
                .queries_completed
                .filter(|completed| *completed > 0.0)?;
            Some((
                format!("answers_{}_percent", code.to_ascii_lowercase()),
                count * 100.0 / completed,
            ))
        }))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY: &str = "Statistics:

  Queries sent:         20
  Queries completed:    19 (95.00%)
  Queries lost:         1 (5.00%)

  Response codes:       NOERROR 19 (100.00%)
  Average packet size:  request 33, response 49
  Run time (s):         2.000231
  Queries per second:   9.498903

  Average Latency (s):  0.000123 (min 0.000069, max 0.000300)
  Latency StdDev (s):   0.000048
";

    #[test]
    fn summary_figures_are_read() {
        let run = parse(SUMMARY);
        assert_eq!(run.queries_sent, Some(20.0));
        assert_eq!(run.queries_completed, Some(19.0));
        assert_eq!(run.queries_lost, Some(1.0));
        let close = |value: Option<f64>, expected: f64| {
            value.is_some_and(|value| (value - expected).abs() < 1e-9 * expected.max(1.0))
        };
        assert!(close(run.queries_per_second, 9.498903), "{run:?}");
        assert!(close(run.mean_latency_seconds, 0.000123), "{run:?}");
        assert_eq!(run.p99_latency_seconds, None);
        assert_eq!(run.response_codes, vec![("NOERROR".to_string(), 19.0)]);
    }

    #[test]
    fn verbose_lines_give_percentiles() {
        let lines: String = (1..=100)
            .map(|index| format!("> NOERROR h.test A 0.{index:06}\n"))
            .collect();
        let run = parse(&lines);
        assert_eq!(run.p99_latency_seconds, Some(0.000099));
    }

    #[test]
    fn several_runs_in_one_file_read_as_their_total() {
        // Two slices: 19 queries in 2 s (mean 123 µs) and 30 in 3 s (mean 223 µs).
        let second = SUMMARY
            .replace("sent:         20", "sent:         31")
            .replace("completed:    19 (95.00%)", "completed:    30 (96.77%)")
            .replace(
                "NOERROR 19 (100.00%)",
                "NOERROR 28 (93.33%), NXDOMAIN 2 (6.67%)",
            )
            .replace("second:   9.498903", "second:   10.0")
            .replace("(s):  0.000123", "(s):  0.000223");
        let slow: String = (1..=100)
            .map(|index| format!("> NOERROR h.test A 0.{index:06}\n"))
            .collect();
        let run = parse(&format!("{SUMMARY}{slow}{second}"));
        assert_eq!(run.queries_sent, Some(51.0));
        assert_eq!(run.queries_completed, Some(49.0));
        assert_eq!(run.queries_lost, Some(2.0));
        let seconds = 19.0 / 9.498903 + 3.0;
        let qps = run.queries_per_second.unwrap();
        assert!((qps - 49.0 / seconds).abs() < 1e-9, "{qps}");
        let mean = run.mean_latency_seconds.unwrap();
        assert!(
            (mean - (19.0 * 0.000123 + 30.0 * 0.000223) / 49.0).abs() < 1e-12,
            "{mean}"
        );
        assert_eq!(
            run.response_codes,
            vec![("NOERROR".to_string(), 47.0), ("NXDOMAIN".to_string(), 2.0)]
        );
        assert_eq!(run.p99_latency_seconds, Some(0.000099));
    }
}
