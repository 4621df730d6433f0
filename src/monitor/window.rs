//! The rolling window behind the `performance` figures: the last 100 polls within 15 minutes.

use std::collections::VecDeque;

use crate::stats::Performance;

pub const MAX_SAMPLES: usize = 100;
pub const MAX_AGE_SECS: u64 = 15 * 60;

#[derive(Clone, Debug, Default)]
pub struct Window {
    /// (unix seconds, response ms, succeeded)
    samples: VecDeque<(u64, f64, bool)>,
}

impl Window {
    pub fn push(&mut self, at: u64, response_ms: f64, ok: bool) {
        self.samples.push_back((at, response_ms, ok));
        while self.samples.len() > MAX_SAMPLES {
            self.samples.pop_front();
        }
        while self
            .samples
            .front()
            .is_some_and(|(t, _, _)| t + MAX_AGE_SECS < at)
        {
            self.samples.pop_front();
        }
    }

    pub fn performance(&self) -> Performance {
        let samples: Vec<(f64, bool)> = self.samples.iter().map(|(_, ms, ok)| (*ms, *ok)).collect();
        Performance::from_samples(&samples)
    }

    /// Share of failed polls, with the number of polls it is over.
    pub fn error_rate(&self) -> (f64, usize) {
        let count = self.samples.len();
        if count == 0 {
            return (0.0, 0);
        }
        let errors = self.samples.iter().filter(|(_, _, ok)| !ok).count();
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
}
