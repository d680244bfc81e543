//! Reads kxdpgun's summary (Knot DNS 3.x, UDP mode) into named metrics: replies per second, the
//! share of queries answered, response codes. Never guesses: without a `total replies:` line there is no run.

/// The figures of one kxdpgun run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KxdpgunRun {
    pub queries_sent: Option<f64>,
    /// kxdpgun's own rate: queries over its sending time (`-t`).
    pub queries_per_second: Option<f64>,
    pub replies: Option<f64>,
    /// Replies over the same sending time: with the offered rate above what the server can answer,
    /// this is the server's limit.
    pub replies_per_second: Option<f64>,
    /// `responded NXDOMAIN: 35100` counts, in kxdpgun's order.
    pub response_codes: Vec<(String, f64)>,
}

/// `2281710 (1140855 pps) (38%)` → (2281710, 1140855).
fn count_and_rate(text: &str) -> (Option<f64>, Option<f64>) {
    let mut fields = text.split_whitespace();
    let count = fields.next().and_then(|field| field.parse().ok());
    let rate = fields
        .next()
        .and_then(|field| field.strip_prefix('('))
        .and_then(|field| field.parse().ok())
        .filter(|_| fields.next() == Some("pps)"));
    (count, rate)
}

pub fn parse(output: &str) -> KxdpgunRun {
    let mut run = KxdpgunRun::default();
    for line in output.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("total queries:") {
            (run.queries_sent, run.queries_per_second) = count_and_rate(rest);
        } else if let Some(rest) = line.strip_prefix("total replies:") {
            (run.replies, run.replies_per_second) = count_and_rate(rest);
        } else if let Some(rest) = line.strip_prefix("responded ") {
            // `responded NOERROR:   833360`
            let Some((code, count)) = rest.split_once(':') else {
                continue;
            };
            if let Ok(count) = count.trim().parse() {
                run.response_codes.push((code.trim().to_string(), count));
            }
        }
    }
    run
}

impl KxdpgunRun {
    /// Whether kxdpgun got as far as sending and counting: it prints no summary (and still exits 0)
    /// when its XDP socket could not be set up.
    pub fn has_summary(&self) -> bool {
        self.replies_per_second.is_some()
    }

    /// (metric, value) pairs; response codes as shares of the replies, as dnsperf's of its completed.
    pub fn metrics(&self) -> Vec<(String, f64)> {
        let answered = match (self.replies, self.queries_sent) {
            (Some(replies), Some(sent)) if sent > 0.0 => Some(replies * 100.0 / sent),
            _ => None,
        };
        [
            ("replies_per_second", self.replies_per_second),
            ("queries_sent_per_second", self.queries_per_second),
            ("answered_percent", answered),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_string(), value?)))
        .chain(self.response_codes.iter().filter_map(|(code, count)| {
            let replies = self.replies.filter(|replies| *replies > 0.0)?;
            Some((
                format!("answers_{}_percent", code.to_ascii_lowercase()),
                count * 100.0 / replies,
            ))
        }))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// kxdpgun 3.2.6 against ours on lo, one core each (2026-12-06).
    const SUMMARY: &str = "using interface lo, XDP threads 1, UDP, emulated mode
thread#00: sent 2281710, received 868460
total queries:     2281710 (1140855 pps)
total replies:     868460 (434230 pps) (38%)
average DNS reply size: 123 B
average Ethernet reply rate: 575023760 bps (575.02 Mbps)
responded NOERROR:   833360
responded NXDOMAIN:  35100
duration: 2 s
";

    #[test]
    fn summary_gives_rates_answered_share_and_codes() {
        let run = parse(SUMMARY);
        assert!(run.has_summary());
        assert_eq!(run.queries_sent, Some(2_281_710.0));
        assert_eq!(run.queries_per_second, Some(1_140_855.0));
        assert_eq!(run.replies, Some(868_460.0));
        assert_eq!(run.replies_per_second, Some(434_230.0));
        let metrics = run.metrics();
        let metric = |name: &str| {
            metrics
                .iter()
                .find(|(known, _)| known == name)
                .map(|(_, value)| *value)
        };
        assert_eq!(metric("replies_per_second"), Some(434_230.0));
        let answered = metric("answered_percent").unwrap();
        assert!((answered - 868_460.0 * 100.0 / 2_281_710.0).abs() < 1e-9);
        let nxdomain = metric("answers_nxdomain_percent").unwrap();
        assert!((nxdomain - 35_100.0 * 100.0 / 868_460.0).abs() < 1e-9);
    }

    #[test]
    fn newer_summary_with_a_share_after_the_queries_reads_alike() {
        // Knot 3.3 on adds the share of the asked rate to the queries line.
        let newer = SUMMARY.replace("(1140855 pps)", "(1140855 pps) (57.04%)");
        assert_eq!(parse(&newer), parse(SUMMARY));
    }

    #[test]
    fn failed_xdp_setup_prints_no_summary() {
        let output = "libbpf: Error in bpf_object__probe_loading():Operation not permitted(1).
error: failed to initialize XDP socket#0 (program not loaded)
";
        let run = parse(output);
        assert!(!run.has_summary());
        assert!(run.metrics().is_empty());
    }
}
