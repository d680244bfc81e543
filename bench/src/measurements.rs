//! The harness's raw results: one line per figure, `workload<TAB>server<TAB>metric<TAB>value`,
//! appended by every run so a repetition is simply another line. Bad lines are reported, not dropped.

use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    /// e.g. `authoritative-udp`, `cold-walk`.
    pub workload: String,
    /// `ours` or a peer's name (`nsd`, `knot`, `unbound`).
    pub server: String,
    pub metric: String,
    pub value: f64,
}

impl fmt::Display for Measurement {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "{}\t{}\t{}\t{}",
            self.workload, self.server, self.metric, self.value
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    pub line: usize,
    pub text: String,
}

impl fmt::Display for BadLine {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "line {}: not workload<TAB>server<TAB>metric<TAB>number: {}",
            self.line, self.text
        )
    }
}

/// Reads every line; blank lines and `#` comments are skipped.
pub fn parse(text: &str) -> (Vec<Measurement>, Vec<BadLine>) {
    let mut measurements = Vec::new();
    let mut bad = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            [workload, server, metric, value] => match value.trim().parse::<f64>() {
                Ok(value) => measurements.push(Measurement {
                    workload: workload.to_string(),
                    server: server.to_string(),
                    metric: metric.to_string(),
                    value,
                }),
                Err(_) => bad.push(BadLine {
                    line: index + 1,
                    text: line.to_string(),
                }),
            },
            _ => bad.push(BadLine {
                line: index + 1,
                text: line.to_string(),
            }),
        }
    }
    (measurements, bad)
}
