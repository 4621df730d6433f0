//! What the engine keeps of a backend's used bytes to project when it will be full: a trail
//! per limit (a filesystem's used bytes are not a quota's), bounded whatever the poll
//! interval. The newest points at poll resolution (so that a store filling within minutes is
//! seen within a minute), then one point per 10 minutes up to 6 hours, then one per hour up
//! to 7 days: the two windows `stats::forecast` fits over, at about 300 points a limit.

use std::collections::VecDeque;

use crate::stats::forecast::{self, LimitSource, Outlook};
use crate::stats::{BackendStats, QuotaSource};

/// Points kept at poll resolution.
const RAW_POINTS: usize = 90;
/// Slots of the older points: 10 minutes up to `SHORT_WINDOW_SECS`, an hour beyond.
const FINE_SLOT_SECS: u64 = 600;
const COARSE_SLOT_SECS: u64 = 3_600;

/// The used bytes of one figure over time (unix seconds, bytes), oldest first.
#[derive(Clone, Debug, Default)]
pub(super) struct Trail {
    points: VecDeque<(u64, u64)>,
}

impl Trail {
    /// Adds a reading. One not newer than the last is ignored (a kept figure read again).
    pub(super) fn push(&mut self, at: u64, used: u64) {
        if self.points.back().is_some_and(|&(last, _)| at <= last) {
            return;
        }
        self.points.push_back((at, used));
        // Thinning costs a pass over ~300 points: done once every RAW_POINTS readings.
        if self.points.len() > self.bound() + RAW_POINTS {
            self.thin(at);
        }
    }

    /// How many points a thinned trail holds at most.
    fn bound(&self) -> usize {
        RAW_POINTS
            + (forecast::SHORT_WINDOW_SECS / FINE_SLOT_SECS) as usize
            + (forecast::LONG_WINDOW_SECS / COARSE_SLOT_SECS) as usize
            + 2
    }

    /// Older points down to one a slot (the last of each), nothing older than the long window.
    fn thin(&mut self, now: u64) {
        let raw_from = self.points.len().saturating_sub(RAW_POINTS);
        let keep_from = now.saturating_sub(forecast::LONG_WINDOW_SECS + COARSE_SLOT_SECS);
        let fine_from = now.saturating_sub(forecast::SHORT_WINDOW_SECS);
        let mut kept: VecDeque<(u64, u64)> = VecDeque::with_capacity(self.bound());
        for (i, &(at, used)) in self.points.iter().enumerate() {
            if at < keep_from {
                continue;
            }
            if i >= raw_from {
                kept.push_back((at, used));
                continue;
            }
            let slot = |t: u64| {
                if t >= fine_from {
                    (1, t / FINE_SLOT_SECS)
                } else {
                    (0, t / COARSE_SLOT_SECS)
                }
            };
            match kept.back_mut() {
                Some(last) if slot(last.0) == slot(at) => *last = (at, used),
                _ => kept.push_back((at, used)),
            }
        }
        self.points = kept;
    }

    pub(super) fn len(&self) -> usize {
        self.points.len()
    }

    /// The points in time order, as one slice (rearranged in place at most once after the
    /// ring wraps).
    fn as_slice(&mut self) -> &[(u64, u64)] {
        self.points.make_contiguous()
    }
}

/// A limit the used bytes fill against, as the stats say it now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Limit {
    pub(super) source: LimitSource,
    pub(super) used: u64,
    pub(super) limit: u64,
    /// When the figures were read (unix seconds): an inventory's count is as old as it is.
    pub(super) read_at: u64,
}

/// The limits a backend's stats show: its quota (enforced, soft, or Kubo's GC threshold) and
/// its filesystem's (or remote's) capacity, each with the used bytes it is measured by.
pub(super) fn limits(stats: &BackendStats, now: u64) -> Vec<Limit> {
    let read_at = |as_of: Option<&str>| {
        as_of
            .and_then(crate::store::timestamp::parse)
            .and_then(|at| u64::try_from(at.timestamp()).ok())
            .unwrap_or(now)
    };
    let mut out = Vec::new();
    let quota = &stats.quota;
    if let (Some(used), Some(limit)) = (quota.used, quota.limit.filter(|l| *l > 0)) {
        let source = match quota.source {
            Some(QuotaSource::GcThreshold) => LimitSource::GcThreshold,
            _ => LimitSource::Quota,
        };
        out.push(Limit {
            source,
            used,
            limit,
            read_at: read_at(quota.as_of.as_deref()),
        });
    }
    let storage = &stats.storage;
    // What can be used is what is used and what is free (a filesystem keeps blocks for root).
    let usable = storage
        .used
        .zip(storage.available)
        .and_then(|(used, free)| used.checked_add(free))
        .or(storage.total);
    if let (Some(used), Some(limit)) = (storage.used, usable.filter(|l| *l > 0)) {
        out.push(Limit {
            source: LimitSource::Capacity,
            used,
            limit,
            read_at: read_at(storage.as_of.as_deref()),
        });
    }
    out
}

/// A backend's trails, one per limit source it has shown.
#[derive(Clone, Debug, Default)]
pub(super) struct Trails {
    by_source: Vec<(LimitSource, Trail)>,
}

impl Trails {
    /// Seeded from the history file (see [`Trails::replay`]).
    pub(super) fn seeded(points: &[super::history::Point], stats: &BackendStats) -> Trails {
        let mut trails = Trails::default();
        trails.replay(points, stats);
        trails
    }

    /// Takes in points of history (the file's at start, then the polls made while it was
    /// read), for each limit measured by the used bytes the history charts (`history_point`:
    /// a filesystem's where there is one, else the quota's; a bucket's bytes are both).
    pub(super) fn replay(&mut self, points: &[super::history::Point], stats: &BackendStats) {
        let charted = stats.storage.used.or(stats.quota.used);
        for limit in limits(stats, 0) {
            if Some(limit.used) != charted {
                continue;
            }
            let trail = self.trail(limit.source);
            for point in points {
                if let Some(used) = point.used_bytes {
                    trail.push(point.at, used);
                }
            }
        }
        self.by_source.retain(|(_, trail)| trail.len() > 0);
    }

    fn trail(&mut self, source: LimitSource) -> &mut Trail {
        let index = match self.by_source.iter().position(|(s, _)| *s == source) {
            Some(index) => index,
            None => {
                self.by_source.push((source, Trail::default()));
                self.by_source.len() - 1
            }
        };
        &mut self.by_source[index].1
    }

    /// Takes the stats' figures in and projects each limit; the report is the limit that fills
    /// first, else the fullest one's outlook. `None` without any limit.
    pub(super) fn observe(
        &mut self,
        stats: &BackendStats,
        now: u64,
    ) -> Option<forecast::ForecastReport> {
        let mut best: Option<(Outlook, Limit)> = None;
        for limit in limits(stats, now) {
            let trail = self.trail(limit.source);
            trail.push(limit.read_at, limit.used);
            // Fitted in place: no copy of the trail per poll.
            let outlook = forecast::project(trail.as_slice(), now, limit.limit, limit.source);
            best = Some(match best {
                None => (outlook, limit),
                Some(current) => pick(current, (outlook, limit)),
            });
        }
        best.map(|(outlook, limit)| {
            forecast::ForecastReport::new(outlook, limit.limit, limit.source)
        })
    }
}

/// Of two outlooks, the one to show: a filling one over one that is not, the sooner full of
/// two filling ones, else the fuller limit.
fn pick(a: (Outlook, Limit), b: (Outlook, Limit)) -> (Outlook, Limit) {
    let share = |l: &Limit| l.used as f64 / l.limit as f64;
    match (&a.0, &b.0) {
        (Outlook::Filling(x), Outlook::Filling(y)) => {
            if y.full_at < x.full_at {
                b
            } else {
                a
            }
        }
        (Outlook::Filling(_), _) => a,
        (_, Outlook::Filling(_)) => b,
        _ => {
            if share(&b.1) > share(&a.1) {
                b
            } else {
                a
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_at_one_second_is_bounded_and_keeps_both_windows() {
        let mut trail = Trail::default();
        let start = 1_700_000_000u64;
        let week = forecast::LONG_WINDOW_SECS + 86_400;
        for t in (0..week).step_by(7) {
            trail.push(start + t, t);
        }
        assert!(trail.len() <= trail.bound() + RAW_POINTS, "{}", trail.len());
        let points = trail.as_slice().to_vec();
        assert!(points.windows(2).all(|w| w[0].0 < w[1].0));
        let last = points.last().unwrap().0;
        assert!(last + 7 > start + week, "the newest reading is kept");
        let oldest = points.first().unwrap().0;
        assert!(
            last - oldest >= forecast::LONG_WINDOW_SECS,
            "a week back: {}",
            last - oldest
        );
        // The newest points are at poll resolution.
        let raw = &points[points.len() - RAW_POINTS..];
        assert!(raw.windows(2).all(|w| w[1].0 - w[0].0 == 7));
    }

    #[test]
    fn a_kept_figure_read_again_is_one_reading() {
        let mut trail = Trail::default();
        trail.push(100, 5);
        trail.push(100, 5);
        trail.push(90, 4);
        assert_eq!(trail.len(), 1);
    }

    #[test]
    fn the_limit_that_fills_first_is_the_one_reported() {
        let mut stats = BackendStats::default();
        let mut trails = Trails::default();
        let mut report = None;
        // The filesystem (1 TB) grows slowly; the soft quota (10 GB) is nearly reached.
        for i in 0..40u64 {
            stats.storage = crate::stats::Storage::filesystem(
                Some(1_000_000_000_000),
                Some(100_000_000_000 + i * 1_000_000),
                Some(900_000_000_000 - i * 1_000_000),
            );
            stats.quota = crate::stats::Quota::bytes(
                Some(10_000_000_000),
                Some(9_000_000_000 + i * 1_000_000),
                QuotaSource::Soft,
            );
            report = trails.observe(&stats, 1_000_000 + i * 60);
        }
        let report = report.unwrap();
        assert_eq!(report.limit_source, LimitSource::Quota);
        assert_eq!(report.limit_bytes, 10_000_000_000);
        assert!(report.full_at.is_some());
    }

    #[test]
    fn no_limit_no_forecast() {
        let mut stats = BackendStats::default();
        stats.quota.used = Some(5);
        assert_eq!(Trails::default().observe(&stats, 10), None);
    }
}
