//! Reads dnsperf 2.x's summary (and, with `-v`, its per-query lines) into named metrics.
//! Never guesses: a line it does not recognise is ignored, a metric it cannot find is absent.

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

pub fn parse(output: &str) -> DnsperfRun {
    let mut run = DnsperfRun::default();
    let mut latencies = Vec::new();
    for line in output.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("Queries sent:") {
            run.queries_sent = first_number(rest);
        } else if let Some(rest) = line.strip_prefix("Queries completed:") {
            run.queries_completed = first_number(rest);
        } else if let Some(rest) = line.strip_prefix("Queries lost:") {
            run.queries_lost = first_number(rest);
        } else if let Some(rest) = line.strip_prefix("Queries per second:") {
            run.queries_per_second = first_number(rest);
        } else if let Some(rest) = line.strip_prefix("Average Latency (s):") {
            run.mean_latency_seconds = first_number(rest);
        } else if let Some(rest) = line.strip_prefix("Response codes:") {
            // `NOERROR 95995 (96.00%), NXDOMAIN 4005 (4.00%)`
            run.response_codes = rest
                .split(',')
                .filter_map(|part| {
                    let mut fields = part.split_whitespace();
                    let code = fields.next()?.to_string();
                    let count = fields.next()?.parse().ok()?;
                    Some((code, count))
                })
                .collect();
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
    run.p99_latency_seconds = percentile(&latencies, 0.99);
    run.median_latency_seconds = percentile(&latencies, 0.5);
    run
}

impl DnsperfRun {
    /// (metric, value) pairs in the report's units: latencies in microseconds.
    pub fn metrics(&self) -> Vec<(String, f64)> {
        let microseconds = |seconds: Option<f64>| seconds.map(|value| value * 1e6);
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
        assert_eq!(run.queries_per_second, Some(9.498903));
        assert_eq!(run.mean_latency_seconds, Some(0.000123));
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
}
