//! What the engine counts about its own polls since it started: polls by result and a histogram
//! of their durations, per backend. The exporter reads them as a counter and a histogram; they
//! are never written to disk (a restart is a counter reset, which Prometheus expects).

use std::collections::BTreeMap;

use crate::probe::ProbeError;

/// Upper bounds (seconds) of the poll duration histogram's buckets: from a local directory's
/// sub-millisecond statvfs to a probe that runs into the longest timeout.
pub const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How a poll ended, as the `result` label says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PollResult {
    Ok,
    Timeout,
    /// No connection: the name did not resolve, the port refused, TLS failed.
    Unreachable,
    /// The backend refused the credentials.
    Unauthorized,
    /// It answered, but not as it should (an HTTP error, an answer we could not read, ...).
    Error,
}

impl PollResult {
    pub const ALL: [PollResult; 5] = [
        PollResult::Ok,
        PollResult::Timeout,
        PollResult::Unreachable,
        PollResult::Unauthorized,
        PollResult::Error,
    ];

    pub fn of<T>(result: &Result<T, ProbeError>) -> PollResult {
        match result {
            Ok(_) => PollResult::Ok,
            Err(err) => PollResult::of_failure(err.class()),
        }
    }

    /// A failed poll's result from its failure class (`ProbeError::class`, as the stats keep
    /// it in `health.failure`).
    pub fn of_failure(class: &str) -> PollResult {
        match class {
            "timeout" => PollResult::Timeout,
            "dns" | "refused" | "tls" | "connect" => PollResult::Unreachable,
            "credentials" => PollResult::Unauthorized,
            _ => PollResult::Error,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PollResult::Ok => "ok",
            PollResult::Timeout => "timeout",
            PollResult::Unreachable => "unreachable",
            PollResult::Unauthorized => "unauthorized",
            PollResult::Error => "error",
        }
    }
}

/// One backend's polls since the engine started.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PollTally {
    /// Polls by how they ended; a result never seen is absent (its counter reads 0).
    pub by_result: BTreeMap<PollResult, u64>,
    /// Polls that took at most `DURATION_BUCKETS[i]` seconds (not cumulative).
    pub in_bucket: [u64; DURATION_BUCKETS.len()],
    /// Polls longer than the last bucket.
    pub over: u64,
    pub sum_secs: f64,
    pub count: u64,
}

impl PollTally {
    pub fn observe(&mut self, secs: f64, result: PollResult) {
        *self.by_result.entry(result).or_default() += 1;
        match DURATION_BUCKETS.iter().position(|bound| secs <= *bound) {
            Some(i) => self.in_bucket[i] += 1,
            None => self.over += 1,
        }
        self.sum_secs += secs;
        self.count += 1;
    }

    /// The histogram's buckets as exposition wants them: cumulative, `+Inf` last.
    pub fn cumulative_buckets(&self) -> Vec<(f64, u64)> {
        let mut total = 0;
        let mut out: Vec<(f64, u64)> = DURATION_BUCKETS
            .iter()
            .zip(self.in_bucket)
            .map(|(bound, n)| {
                total += n;
                (*bound, total)
            })
            .collect();
        out.push((f64::INFINITY, total + self.over));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_end_with_every_poll() {
        let mut tally = PollTally::default();
        tally.observe(0.0004, PollResult::Ok);
        tally.observe(0.03, PollResult::Ok);
        tally.observe(10.0, PollResult::Timeout);
        tally.observe(12.5, PollResult::Timeout);
        let buckets = tally.cumulative_buckets();
        assert_eq!(buckets[0], (0.001, 1));
        assert_eq!(buckets[4], (0.05, 2));
        assert_eq!(buckets[11], (10.0, 3));
        assert_eq!(buckets[12], (f64::INFINITY, 4));
        assert_eq!(tally.count, 4);
        assert!((tally.sum_secs - 22.5304).abs() < 1e-9);
        assert_eq!(tally.by_result[&PollResult::Timeout], 2);
        assert_eq!(tally.by_result.get(&PollResult::Error), None);
    }

    #[test]
    fn results_name_what_happened() {
        let refused: Result<(), _> = Err(ProbeError::Refused {
            addr: "127.0.0.1:1".into(),
        });
        assert_eq!(PollResult::of(&refused), PollResult::Unreachable);
        let slow: Result<(), _> = Err(ProbeError::Timeout { secs: 10 });
        assert_eq!(PollResult::of(&slow).as_str(), "timeout");
        assert_eq!(PollResult::of(&Ok::<(), ProbeError>(())), PollResult::Ok);
    }
}
