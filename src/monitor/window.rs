//! The rolling window behind the `performance` figures: the last 100 polls within 15 minutes.
//! Polls that failed during an outage (the backend was down) are marked: they count in the
//! performance figures, but not in the error rate, whose alert is about a backend that answers
//! unreliably, not about one that was down (that outage has its own alert).

use std::collections::VecDeque;

use crate::stats::Performance;

pub const MAX_SAMPLES: usize = 100;
pub const MAX_AGE_SECS: u64 = 15 * 60;

#[derive(Clone, Debug, Default)]
pub struct Window {
    samples: VecDeque<Sample>,
}

#[derive(Clone, Copy, Debug)]
struct Sample {
    /// Unix seconds.
    at: u64,
    response_ms: f64,
    ok: bool,
    /// A failed poll of an outage (see the module's comment).
    outage: bool,
}

impl Window {
    pub fn push(&mut self, at: u64, response_ms: f64, ok: bool) {
        self.samples.push_back(Sample {
            at,
            response_ms,
            ok,
            outage: false,
        });
        while self.samples.len() > MAX_SAMPLES {
            self.samples.pop_front();
        }
        while self
            .samples
            .front()
            .is_some_and(|s| s.at + MAX_AGE_SECS < at)
        {
            self.samples.pop_front();
        }
    }

    /// Marks the last `failures` polls (the failures in a row that made the backend down) as
    /// the outage's.
    pub fn mark_outage(&mut self, failures: usize) {
        for sample in self.samples.iter_mut().rev().take(failures) {
            if !sample.ok {
                sample.outage = true;
            }
        }
    }

    pub fn performance(&self) -> Performance {
        let samples: Vec<(f64, bool)> =
            self.samples.iter().map(|s| (s.response_ms, s.ok)).collect();
        Performance::from_samples(&samples)
    }

    /// Share of failed polls outside outages, with the number of polls it is over.
    pub fn error_rate(&self) -> (f64, usize) {
        let counted = self.samples.iter().filter(|s| !s.outage);
        let (count, errors) = counted.fold((0, 0), |(n, e), s| (n + 1, e + usize::from(!s.ok)));
        if count == 0 {
            return (0.0, 0);
        }
        (errors as f64 / count as f64, count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_by_count_and_age() {
        let mut window = Window::default();
        for i in 0..150 {
            window.push(1000 + i, i as f64, i % 2 == 0);
        }
        assert_eq!(window.performance().request_count, Some(100));
        window.push(1000 + 150 + MAX_AGE_SECS + 10, 1.0, true);
        assert_eq!(window.performance().request_count, Some(1));
        assert_eq!(window.error_rate(), (0.0, 1));
    }

    #[test]
    fn an_outage_counts_in_the_performance_but_not_in_the_error_rate() {
        let mut window = Window::default();
        for i in 0..10 {
            window.push(1000 + i, 5.0, true);
        }
        for i in 10..16 {
            window.push(1000 + i, 0.1, false);
            window.mark_outage(3);
        }
        window.push(1020, 5.0, true);
        assert_eq!(window.performance().error_count, Some(6));
        assert_eq!(
            window.error_rate(),
            (0.0, 11),
            "the outage's polls left out"
        );
        // A failure that did not make an outage counts.
        window.push(1021, 0.1, false);
        assert_eq!(window.error_rate(), (1.0 / 12.0, 12));
    }
}
