//! Per-backend time series for sparklines: response time and used bytes (and throughput when the
//! backend reports it), at poll resolution for `history_hours`, then averaged into 10-minute
//! buckets up to 30 days. Appending is O(1) (amortised): points leave the front of the fine tier
//! into the coarse one as they age.

use std::collections::VecDeque;

/// Older than this, points are dropped.
pub const MAX_AGE_SECS: u64 = 30 * 86_400;
/// Width of a coarse bucket.
pub const COARSE_BUCKET_SECS: u64 = 600;

/// One sample. 24 bytes; `None` figures were unknown at that poll.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Unix seconds.
    pub at: u64,
    /// Milliseconds; `None` when the poll failed.
    pub response_ms: Option<f32>,
    pub used_bytes: Option<u64>,
}

/// A running average of the points that fall into one coarse bucket.
#[derive(Clone, Copy, Debug, Default)]
struct Bucket {
    start: u64,
    ms_sum: f64,
    ms_count: u32,
    used_last: Option<u64>,
}

impl Bucket {
    fn add(&mut self, point: &Point) {
        if let Some(ms) = point.response_ms {
            self.ms_sum += f64::from(ms);
            self.ms_count += 1;
        }
        if point.used_bytes.is_some() {
            self.used_last = point.used_bytes;
        }
    }

    fn to_point(self) -> Point {
        Point {
            at: self.start,
            response_ms: (self.ms_count > 0)
                .then(|| (self.ms_sum / f64::from(self.ms_count)) as f32),
            used_bytes: self.used_last,
        }
    }
}

/// Points kept in memory per backend: more than any sparkline is wide. The full series (poll
/// resolution for `history_hours`, then 10-minute buckets to 30 days) lives in the history file
/// and is read from there when asked for, so memory does not grow with the retention.
pub const RECENT_POINTS: usize = 720;

/// The recent end of a backend's history, in memory. Appending is O(1).
#[derive(Clone, Debug, Default)]
pub struct Series {
    recent: VecDeque<Point>,
}

impl Series {
    /// Adds a point (a point older than the last one is taken as happening now).
    pub fn push(&mut self, mut point: Point) {
        if let Some(last) = self.recent.back() {
            point.at = point.at.max(last.at);
        }
        self.recent.push_back(point);
        if self.recent.len() > RECENT_POINTS {
            self.recent.pop_front();
        }
    }

    /// The last `n` points at poll resolution, oldest first.
    pub fn recent(&self, n: usize) -> impl Iterator<Item = &Point> + '_ {
        self.recent.iter().skip(self.recent.len().saturating_sub(n))
    }

    pub fn len(&self) -> usize {
        self.recent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recent.is_empty()
    }

    pub fn last(&self) -> Option<&Point> {
        self.recent.back()
    }
}

/// What is kept of a series at `now`: points younger than `history_hours` as they are, older
/// ones averaged into 10-minute buckets, nothing older than 30 days. Points must be in time
/// order. Used to compact the history file and to read it back.
pub fn retain(points: impl IntoIterator<Item = Point>, now: u64, history_hours: u64) -> Vec<Point> {
    let fine_from = now.saturating_sub(history_hours.clamp(1, 720) * 3600);
    let keep_from = now.saturating_sub(MAX_AGE_SECS);
    let mut out = Vec::new();
    let mut bucket: Option<Bucket> = None;
    for point in points {
        if point.at < keep_from {
            continue;
        }
        if point.at >= fine_from {
            if let Some(done) = bucket.take() {
                out.push(done.to_point());
            }
            out.push(point);
            continue;
        }
        let start = point.at - point.at % COARSE_BUCKET_SECS;
        match &mut bucket {
            Some(open) if open.start == start => open.add(&point),
            open => {
                if let Some(done) = open.take() {
                    out.push(done.to_point());
                }
                let mut fresh = Bucket {
                    start,
                    ..Bucket::default()
                };
                fresh.add(&point);
                *open = Some(fresh);
            }
        }
    }
    if let Some(done) = bucket {
        out.push(done.to_point());
    }
    out
}

/// How many points a compacted file holds at most, for a poll interval.
pub fn retained_len(interval_secs: u64, history_hours: u64) -> usize {
    let fine = history_hours.clamp(1, 720) * 3600 / interval_secs.max(1);
    let coarse = MAX_AGE_SECS / COARSE_BUCKET_SECS;
    (fine + coarse) as usize
}

/// Parses a history file's text (a torn last line after a crash is skipped).
pub fn decode_text(text: &str) -> Vec<Point> {
    text.lines().filter_map(decode_line).collect()
}

/// One line of the on-disk history: `[at, response_ms|null, used|null]`.
pub fn encode_line(point: &Point) -> String {
    let ms = point
        .response_ms
        .map(|ms| format!("{:.3}", ms))
        .unwrap_or_else(|| "null".into());
    let used = point
        .used_bytes
        .map(|u| u.to_string())
        .unwrap_or_else(|| "null".into());
    format!("[{},{ms},{used}]\n", point.at)
}

/// Parses a line written by [`encode_line`]; anything else (a torn last line after a crash) is
/// skipped by the caller.
pub fn decode_line(line: &str) -> Option<Point> {
    let values: Vec<serde_json::Value> = serde_json::from_str(line).ok()?;
    match values.as_slice() {
        [at, ms, used] => Some(Point {
            at: at.as_u64()?,
            response_ms: ms.as_f64().map(|v| v as f32),
            used_bytes: used.as_u64(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(at: u64) -> Point {
        Point {
            at,
            response_ms: Some((at % 100) as f32),
            used_bytes: Some(at),
        }
    }

    #[test]
    fn forty_eight_hours_are_bounded_and_downsampled() {
        let start = 1_700_000_000u64;
        let step = 10;
        let points: Vec<Point> = (0..(48 * 3600 / step))
            .map(|i| point(start + i * step))
            .collect();
        let end = points.last().unwrap().at;
        let kept = retain(points, end, 24);
        // Poll resolution for the last 24 h, 10-minute buckets for the 24 h before.
        let fine = kept.iter().filter(|p| p.at + 24 * 3600 > end).count() as u64;
        assert_eq!(fine, 24 * 3600 / step);
        let coarse = kept.len() as u64 - fine;
        assert!((24 * 6 - 1..=24 * 6 + 2).contains(&coarse), "{coarse}");
        assert!(kept.windows(2).all(|w| w[0].at <= w[1].at));
        // A bucket's response time is the mean of its points; its used bytes the last value.
        let first = kept[0];
        assert_eq!(first.at % COARSE_BUCKET_SECS, 0);
        assert_eq!(first.used_bytes, Some(first.at + COARSE_BUCKET_SECS - step));
        let mean: f32 = (0..60)
            .map(|i| ((first.at + i * step) % 100) as f32)
            .sum::<f32>()
            / 60.0;
        assert!((first.response_ms.unwrap() - mean).abs() < 0.01);
        assert!(kept.len() <= retained_len(step, 24));
        // Compacting what was compacted changes nothing.
        assert_eq!(retain(kept.clone(), end, 24), kept);
    }

    #[test]
    fn nothing_older_than_thirty_days() {
        let start = 1_700_000_000u64;
        let points: Vec<Point> = (0..(40 * 24)).map(|i| point(start + i * 3600)).collect();
        let last = points.last().unwrap().at;
        let kept = retain(points, last, 1);
        assert!(kept
            .iter()
            .all(|p| p.at + MAX_AGE_SECS + COARSE_BUCKET_SECS > last));
        assert!(kept.len() <= 30 * 24 + 3);
    }

    #[test]
    fn memory_holds_only_the_recent_points() {
        let mut series = Series::default();
        for i in 0..(RECENT_POINTS as u64 * 3) {
            series.push(point(1_700_000_000 + i));
        }
        assert_eq!(series.len(), RECENT_POINTS);
        assert_eq!(series.recent(5).count(), 5);
        assert_eq!(
            series.last().unwrap().at,
            1_700_000_000 + RECENT_POINTS as u64 * 3 - 1
        );
    }

    #[test]
    fn lines_round_trip_and_unknowns_stay_unknown() {
        let p = Point {
            at: 5,
            response_ms: None,
            used_bytes: Some(u64::MAX),
        };
        assert_eq!(decode_line(encode_line(&p).trim()), Some(p));
        assert_eq!(decode_line("[1,2.5,null]").unwrap().used_bytes, None);
        assert_eq!(decode_line("[1,2.5"), None);
    }
}
