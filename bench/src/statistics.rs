//! Order statistics over a handful of repetitions or thousands of per-query timings.
//! Never panics on an empty sample: every function returns `None` then.

/// Summary of one sample: median and range (min, max) as the report prints them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub minimum: f64,
    pub maximum: f64,
    pub count: usize,
}

/// Sorts a copy, ignoring NaN (a metric dnsperf could not compute).
fn sorted(values: &[f64]) -> Vec<f64> {
    let mut values: Vec<f64> = values
        .iter()
        .copied()
        .filter(|value| !value.is_nan())
        .collect();
    values.sort_by(f64::total_cmp);
    values
}

/// Median: the mean of the two middle values for an even count.
pub fn median(values: &[f64]) -> Option<f64> {
    let values = sorted(values);
    let middle = values.len() / 2;
    match values.len() {
        0 => None,
        length if length % 2 == 1 => values.get(middle).copied(),
        _ => Some((values.get(middle - 1)? + values.get(middle)?) / 2.0),
    }
}

/// Nearest-rank percentile (`fraction` in 0..=1): the smallest value with at least that fraction of
/// the sample at or below it, so p99 of 1,000 timings is the 990th.
pub fn percentile(values: &[f64], fraction: f64) -> Option<f64> {
    let values = sorted(values);
    if values.is_empty() {
        return None;
    }
    let rank = (fraction.clamp(0.0, 1.0) * values.len() as f64).ceil() as usize;
    values.get(rank.saturating_sub(1)).copied()
}

pub fn summarize(values: &[f64]) -> Option<Summary> {
    let values = sorted(values);
    Some(Summary {
        median: median(&values)?,
        minimum: *values.first()?,
        maximum: *values.last()?,
        count: values.len(),
    })
}

/// A paired comparison: values taken side by side (the same slice of time), position by position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paired {
    /// Pairs in which the first sample's value was below the second's.
    pub below: usize,
    pub ties: usize,
    pub pairs: usize,
}

/// Compares `first[i]` with `second[i]` for every position both have (NaN pairs are skipped): a
/// sign test's counts, which one disturbed pair cannot swing the way it swings a pooled percentile.
pub fn paired_below(first: &[f64], second: &[f64]) -> Option<Paired> {
    let mut paired = Paired {
        below: 0,
        ties: 0,
        pairs: 0,
    };
    for (a, b) in first.iter().zip(second) {
        if a.is_nan() || b.is_nan() {
            continue;
        }
        paired.pairs += 1;
        if a < b {
            paired.below += 1;
        } else if a == b {
            paired.ties += 1;
        }
    }
    (paired.pairs > 0).then_some(paired)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_even_count_is_mean_of_middle_pair() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn p99_of_thousand_is_the_990th_value() {
        let values: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.99), Some(990.0));
        assert_eq!(percentile(&values, 0.5), Some(500.0));
    }

    #[test]
    fn summary_ignores_missing_values() {
        let summary = summarize(&[f64::NAN, 2.0, 5.0, 1.0]);
        assert_eq!(
            summary,
            Some(Summary {
                median: 2.0,
                minimum: 1.0,
                maximum: 5.0,
                count: 3
            })
        );
    }

    #[test]
    fn pairs_are_compared_by_position_and_ties_counted_apart() {
        let paired = paired_below(&[1.0, 5.0, 3.0, f64::NAN, 7.0], &[2.0, 4.0, 3.0, 1.0]);
        assert_eq!(
            paired,
            Some(Paired {
                below: 1,
                ties: 1,
                pairs: 3
            })
        );
        assert_eq!(paired_below(&[], &[1.0]), None);
    }
}
