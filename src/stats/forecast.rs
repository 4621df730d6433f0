//! When a backend will be full: a straight line fitted by least squares to its used bytes over
//! the recent window of its current growth segment, projected to the limit it fills against.
//!
//! The segment starts after the last deletion (or garbage collection): a fall of the used bytes
//! bigger than noise, so that space freed an hour ago does not make a filling disk look flat.
//! The window is the last 7 days when the segment spans that much, else the last 6 hours, as
//! node_exporter's `NodeFilesystemSpaceFillingUp` looks at 6 h and 24 h. Pure: the history and
//! the limit come in, the outlook goes out.

use serde::{Deserialize, Serialize};

/// The short window, and the long one used when the segment spans it.
pub const SHORT_WINDOW_SECS: u64 = 6 * 3_600;
pub const LONG_WINDOW_SECS: u64 = 7 * 24 * 3_600;
/// Fewer points than this, or a window shorter than `MIN_SPAN_SECS`, is too little history.
pub const MIN_POINTS: usize = 5;
pub const MIN_SPAN_SECS: u64 = 10 * 60;
/// A store filling within minutes must not wait ten minutes for its forecast: over a shorter
/// span (at least this long), a line is trusted when it reaches the limit within
/// `TRUSTED_REACH` times the span it was fitted over.
pub const FAST_MIN_SPAN_SECS: u64 = 60;
pub const TRUSTED_REACH: u64 = 10;
/// At most this many points are fitted: a longer history is thinned to one point a slot, so
/// that a stretch polled densely does not outweigh one kept in 10-minute buckets.
pub const MAX_FITTED_POINTS: usize = 360;
/// A fall of the used bytes bigger than this share of the value before it (and than
/// `DROP_MIN_BYTES`) is a deletion: a new growth segment starts after it.
const DROP_SHARE: f64 = 0.05;
const DROP_MIN_BYTES: f64 = 4_096.0;
/// A growth slower than this (bytes a second: about 86 KB a day) is flat.
const FLAT_BYTES_PER_SEC: f64 = 1.0;

/// What a forecast fills against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitSource {
    /// A filesystem's capacity (used + available).
    Capacity,
    /// A quota: enforced by the backend, or the soft one of its config.
    Quota,
    /// Kubo's `StorageMax`, where garbage collection starts.
    GcThreshold,
}

/// A projection that reaches its limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Forecast {
    /// When the fitted line reaches the limit (unix seconds); `now` when it is there already.
    pub full_at: u64,
    pub rate_bytes_per_sec: f64,
    /// The span of history the line was fitted over.
    pub window_secs: u64,
    pub limit_source: LimitSource,
}

/// What the history says about filling up.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outlook {
    Filling(Forecast),
    /// Flat or shrinking over the window (the rate, bytes a second; zero or below when it
    /// shrinks).
    NotFilling {
        rate_bytes_per_sec: f64,
    },
    /// Too few points, or too short a span, in the current segment to fit a line.
    TooLittleHistory,
}

/// The outlook for used bytes `history` (unix seconds, bytes; in time order) against `limit`
/// bytes, at `now`.
pub fn project(history: &[(u64, u64)], now: u64, limit: u64, source: LimitSource) -> Outlook {
    let segment = current_segment(history);
    let Some(&(last_at, _)) = segment.last() else {
        return Outlook::TooLittleHistory;
    };
    let segment_start = segment.first().map_or(last_at, |&(at, _)| at);
    let window = if last_at.saturating_sub(segment_start) >= LONG_WINDOW_SECS {
        LONG_WINDOW_SECS
    } else {
        SHORT_WINDOW_SECS
    };
    let from = last_at.saturating_sub(window);
    let points: Vec<(u64, u64)> = segment
        .iter()
        .copied()
        .filter(|&(at, _)| at >= from)
        .collect();
    let span = points
        .last()
        .zip(points.first())
        .map_or(0, |(&(last, _), &(first, _))| last - first);
    if points.len() < MIN_POINTS || span < FAST_MIN_SPAN_SECS {
        return Outlook::TooLittleHistory;
    }
    let points = thin(&points, MAX_FITTED_POINTS);
    let Some((slope, intercept)) = least_squares(&points) else {
        return Outlook::TooLittleHistory;
    };
    if slope < FLAT_BYTES_PER_SEC {
        if span < MIN_SPAN_SECS {
            return Outlook::TooLittleHistory;
        }
        return Outlook::NotFilling {
            rate_bytes_per_sec: slope,
        };
    }
    // The line's own time origin is the window's first point (precision of f64 over unix
    // seconds); it reaches the limit at origin + (limit - intercept) / slope.
    let origin = points[0].0;
    let reach = (limit as f64 - intercept) / slope;
    let full_at = if reach.is_finite() && reach > 0.0 {
        origin.saturating_add(reach.ceil() as u64)
    } else {
        origin
    };
    let reaches_within = full_at.saturating_sub(last_at);
    if span < MIN_SPAN_SECS && reaches_within > span.saturating_mul(TRUSTED_REACH) {
        return Outlook::TooLittleHistory;
    }
    Outlook::Filling(Forecast {
        full_at: full_at.max(now),
        rate_bytes_per_sec: slope,
        window_secs: span,
        limit_source: source,
    })
}

/// At most about `max` of `points` (in time order), one a slot of equal time, the last of
/// each slot kept (as the history's buckets keep the last used figure).
pub fn thin(points: &[(u64, u64)], max: usize) -> Vec<(u64, u64)> {
    let (Some(&(first, _)), Some(&(last, _))) = (points.first(), points.last()) else {
        return Vec::new();
    };
    if points.len() <= max || max == 0 {
        return points.to_vec();
    }
    let slot = ((last - first) / max as u64).max(1);
    let mut out: Vec<(u64, u64)> = Vec::with_capacity(max + 1);
    for &(at, used) in points {
        match out.last_mut() {
            Some(kept) if (kept.0 - first) / slot == (at - first) / slot => *kept = (at, used),
            _ => out.push((at, used)),
        }
    }
    out
}

/// The points after the last deletion: a fall bigger than noise starts a new segment.
fn current_segment(history: &[(u64, u64)]) -> &[(u64, u64)] {
    let start = history
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| {
            let (before, after) = (pair[0].1 as f64, pair[1].1 as f64);
            let fall = before - after;
            fall > DROP_MIN_BYTES && fall > before * DROP_SHARE
        })
        .map(|(i, _)| i + 1)
        .next_back()
        .unwrap_or(0);
    &history[start..]
}

/// The slope (bytes a second) and intercept (bytes at the first point's time) of the line that
/// fits `points` best; none when every point has the same time.
fn least_squares(points: &[(u64, u64)]) -> Option<(f64, f64)> {
    let origin = points.first()?.0;
    let n = points.len() as f64;
    let xs = || points.iter().map(|&(at, _)| (at - origin) as f64);
    let mean_x = xs().sum::<f64>() / n;
    let mean_y = points.iter().map(|&(_, used)| used as f64).sum::<f64>() / n;
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for (x, &(_, used)) in xs().zip(points) {
        sxx += (x - mean_x) * (x - mean_x);
        sxy += (x - mean_x) * (used as f64 - mean_y);
    }
    if sxx == 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    Some((slope, mean_y - slope * mean_x))
}

/// Which of the three outlooks a report says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutlookKind {
    Filling,
    NotFilling,
    TooLittleHistory,
}

/// The forecast as the stats carry it (`status --json`, the console): the outlook against the
/// limit that fills first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForecastReport {
    pub outlook: OutlookKind,
    /// When the projection reaches the limit (RFC 3339); null unless filling.
    pub full_at: Option<String>,
    /// The fitted growth, bytes a second (negative when shrinking); null with too little
    /// history.
    pub rate_bytes_per_sec: Option<f64>,
    /// The span of history the line was fitted over; null with too little history.
    pub window_secs: Option<u64>,
    pub limit_source: LimitSource,
    pub limit_bytes: u64,
}

impl ForecastReport {
    pub fn new(outlook: Outlook, limit_bytes: u64, limit_source: LimitSource) -> ForecastReport {
        let (kind, full_at, rate, window) = match outlook {
            Outlook::Filling(f) => (
                OutlookKind::Filling,
                i64::try_from(f.full_at)
                    .ok()
                    .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0))
                    .map(crate::store::timestamp::format),
                Some(f.rate_bytes_per_sec),
                Some(f.window_secs),
            ),
            Outlook::NotFilling { rate_bytes_per_sec } => (
                OutlookKind::NotFilling,
                None,
                Some(rate_bytes_per_sec),
                None,
            ),
            Outlook::TooLittleHistory => (OutlookKind::TooLittleHistory, None, None, None),
        };
        ForecastReport {
            outlook: kind,
            full_at,
            rate_bytes_per_sec: rate,
            window_secs: window,
            limit_source,
            limit_bytes,
        }
    }

    /// When it will be full (unix seconds), if filling.
    pub fn full_at_unix(&self) -> Option<u64> {
        self.full_at
            .as_deref()
            .and_then(crate::store::timestamp::parse)
            .and_then(|at| u64::try_from(at.timestamp()).ok())
    }

    /// The list's `FULL IN` cell: `3h`, `9d`, `>1y`; `—` when flat or shrinking; `?` with too
    /// little history.
    pub fn label(&self, now: u64) -> String {
        match (self.outlook, self.full_at_unix()) {
            (OutlookKind::Filling, Some(at)) => time_to_full_label(at, now),
            (OutlookKind::NotFilling, _) => "—".to_string(),
            _ => "?".to_string(),
        }
    }
}

impl LimitSource {
    /// How the detail names the limit: "against quota 500 GiB".
    pub fn as_str(self) -> &'static str {
        match self {
            LimitSource::Capacity => "capacity",
            LimitSource::Quota => "quota",
            LimitSource::GcThreshold => "GC threshold",
        }
    }
}

/// A growth rate in the unit that reads best for the time it takes to fill: per day when
/// that is days away, per hour when hours, per minute when minutes.
pub fn rate_words(rate: f64, secs_to_full: Option<u64>) -> String {
    let sign = if rate < 0.0 { "−" } else { "+" };
    let per_sec = rate.abs();
    let (factor, unit) = match secs_to_full {
        Some(s) if s < 3_600 => (60.0, "min"),
        Some(s) if s < 2 * 86_400 => (3_600.0, "h"),
        _ => (86_400.0, "day"),
    };
    let options = humansize::FormatSizeOptions::from(humansize::BINARY).decimal_places(1);
    let amount = humansize::format_size((per_sec * factor).round() as u64, options);
    format!("{sign}{amount}/{unit}")
}

/// The time to full as the list shows it: `45m`, `3h`, `9d`, `>1y`; at or past full, `now`.
pub fn time_to_full_label(full_at: u64, now: u64) -> String {
    let secs = full_at.saturating_sub(now);
    match secs {
        0 => "now".to_string(),
        s if s < 3_600 => format!("{}m", s.div_ceil(60)),
        s if s < 2 * 86_400 => format!("{}h", s / 3_600),
        s if s < 365 * 86_400 => format!("{}d", s / 86_400),
        _ => ">1y".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    /// A point every `step` seconds from `start` for `count` points, used bytes from `used(i)`.
    fn series(start: u64, step: u64, count: u64, used: impl Fn(u64) -> u64) -> Vec<(u64, u64)> {
        (0..count).map(|i| (start + i * step, used(i))).collect()
    }

    fn filling(outlook: Outlook) -> Forecast {
        match outlook {
            Outlook::Filling(forecast) => forecast,
            other => panic!("not filling: {other:?}"),
        }
    }

    #[test]
    fn a_linear_fill_is_projected_to_the_second() {
        // 4 MB every 15 s for an hour, from 10 GiB, against 20 GiB.
        let history = series(1_000_000, 15, 241, |i| 10 * GIB + i * 4_000_000);
        let now = history.last().unwrap().0;
        let forecast = filling(project(&history, now, 20 * GIB, LimitSource::Capacity));
        let rate = 4_000_000.0 / 15.0;
        assert!((forecast.rate_bytes_per_sec - rate).abs() < 1e-6);
        let expected = 1_000_000 + ((10 * GIB) as f64 / rate).ceil() as u64;
        assert!(forecast.full_at.abs_diff(expected) <= 1, "{forecast:?}");
        assert_eq!(forecast.window_secs, 3_600);
        assert_eq!(forecast.limit_source, LimitSource::Capacity);
    }

    #[test]
    fn a_deletion_starts_a_new_segment_and_only_the_growth_after_it_counts() {
        // Fast growth, a deletion of half, then slow growth: the slow rate is the one used.
        let mut history = series(0, 60, 60, |i| 50 * GIB + i * 100_000_000);
        let after = history.last().unwrap().0 + 60;
        history.extend(series(after, 60, 60, |i| 25 * GIB + i * 1_000_000));
        let now = history.last().unwrap().0;
        let forecast = filling(project(&history, now, 100 * GIB, LimitSource::Quota));
        assert!(
            (forecast.rate_bytes_per_sec - 1_000_000.0 / 60.0).abs() < 1.0,
            "{forecast:?}"
        );
        assert_eq!(forecast.window_secs, 59 * 60, "the segment only");
    }

    #[test]
    fn noise_smaller_than_a_deletion_does_not_break_the_segment() {
        // ±1% around a steady rise: small falls are noise, the fit sees the rise.
        let history = series(0, 60, 120, |i| {
            let base = 10 * GIB + i * 10_000_000;
            if i % 2 == 0 {
                base + base / 100
            } else {
                base - base / 100
            }
        });
        let now = history.last().unwrap().0;
        let forecast = filling(project(&history, now, 40 * GIB, LimitSource::Capacity));
        let rate = 10_000_000.0 / 60.0;
        assert!(
            (forecast.rate_bytes_per_sec - rate).abs() / rate < 0.1,
            "{forecast:?}"
        );
        assert_eq!(forecast.window_secs, 119 * 60);
    }

    #[test]
    fn flat_and_shrinking_are_not_filling() {
        let flat = series(0, 60, 60, |_| 5 * GIB);
        assert_eq!(
            project(&flat, 3_600, 10 * GIB, LimitSource::Capacity),
            Outlook::NotFilling {
                rate_bytes_per_sec: 0.0
            }
        );
        let shrinking = series(0, 60, 60, |i| 5 * GIB - i * 1_000);
        assert!(matches!(
            project(&shrinking, 3_600, 10 * GIB, LimitSource::Capacity),
            Outlook::NotFilling { rate_bytes_per_sec } if rate_bytes_per_sec < 0.0
        ));
    }

    #[test]
    fn too_few_points_or_too_short_a_span_is_too_little_history() {
        let few = series(0, 600, 4, |i| GIB + i * GIB / 10);
        assert_eq!(
            project(&few, 1_800, 2 * GIB, LimitSource::Quota),
            Outlook::TooLittleHistory
        );
        let short = series(0, 10, 30, |i| GIB + i * 1_000_000);
        assert_eq!(
            project(&short, 300, 2 * GIB, LimitSource::Quota),
            Outlook::TooLittleHistory,
            "290 s of history"
        );
        assert_eq!(
            project(&[], 0, GIB, LimitSource::Quota),
            Outlook::TooLittleHistory
        );
        // Right after a deletion the new segment is too short, whatever came before.
        let mut history = series(0, 60, 60, |i| 50 * GIB + i * 100_000_000);
        history.push((3_660, GIB));
        assert_eq!(
            project(&history, 3_660, 100 * GIB, LimitSource::Quota),
            Outlook::TooLittleHistory
        );
    }

    #[test]
    fn a_week_of_history_is_fitted_over_the_week_not_the_last_six_hours() {
        // A week of slow growth, with a burst in the last 6 hours: the week decides.
        let hour = 3_600;
        let mut history = series(0, hour, 24 * 7 - 6, |i| 100 * GIB + i * 100_000_000);
        let start = history.last().unwrap().0 + hour;
        let level = history.last().unwrap().1;
        history.extend(series(start, hour, 7, |i| level + (i + 1) * 2_000_000_000));
        let now = history.last().unwrap().0;
        let forecast = filling(project(&history, now, 500 * GIB, LimitSource::Quota));
        assert_eq!(forecast.window_secs, LONG_WINDOW_SECS);
        assert!(forecast.rate_bytes_per_sec < 2_000_000_000.0 / 3_600.0 / 2.0);
    }

    #[test]
    fn a_backend_past_its_limit_is_full_now() {
        let history = series(0, 60, 60, |i| 10 * GIB + i * 1_000_000);
        let now = 3_600;
        let forecast = filling(project(&history, now, 5 * GIB, LimitSource::GcThreshold));
        assert_eq!(forecast.full_at, now);
        assert_eq!(time_to_full_label(forecast.full_at, now), "now");
    }

    #[test]
    fn the_time_to_full_reads_in_one_unit() {
        let now = 1_000;
        assert_eq!(time_to_full_label(now + 59, now), "1m");
        assert_eq!(time_to_full_label(now + 45 * 60, now), "45m");
        assert_eq!(time_to_full_label(now + 3 * 3_600 + 59, now), "3h");
        assert_eq!(time_to_full_label(now + 47 * 3_600, now), "47h");
        assert_eq!(time_to_full_label(now + 9 * 86_400, now), "9d");
        assert_eq!(time_to_full_label(now + 400 * 86_400, now), ">1y");
    }
}
