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

#[derive(Clone, Debug)]
pub struct Series {
    fine_secs: u64,
    fine: VecDeque<Point>,
    coarse: VecDeque<Point>,
    open_bucket: Option<Bucket>,
}

impl Series {
    /// `history_hours` of points kept at poll resolution.
    pub fn new(history_hours: u64) -> Series {
        Series {
            fine_secs: history_hours.clamp(1, 720) * 3600,
            fine: VecDeque::new(),
            coarse: VecDeque::new(),
            open_bucket: None,
        }
    }

    /// Adds a point (points must come in time order; an older one is folded in as if new).
    pub fn push(&mut self, mut point: Point) {
        if let Some(last) = self.fine.back() {
            point.at = point.at.max(last.at);
        }
        let now = point.at;
        self.fine.push_back(point);
        // Age the front of the fine tier into the coarse tier.
        while let Some(front) = self.fine.front() {
            if front.at + self.fine_secs > now {
                break;
            }
            let front = *front;
            self.fine.pop_front();
            self.fold_into_coarse(&front);
        }
        while let Some(front) = self.coarse.front() {
            if front.at + MAX_AGE_SECS > now {
                break;
            }
            self.coarse.pop_front();
        }
    }

    fn fold_into_coarse(&mut self, point: &Point) {
        let start = point.at - point.at % COARSE_BUCKET_SECS;
        match &mut self.open_bucket {
            Some(bucket) if bucket.start == start => bucket.add(point),
            open => {
                if let Some(done) = open.take() {
                    self.coarse.push_back(done.to_point());
                }
                let mut bucket = Bucket {
                    start,
                    ..Bucket::default()
                };
                bucket.add(point);
                *open = Some(bucket);
            }
        }
    }

    /// Every point, oldest first: coarse buckets, the bucket being filled, then the fine tier.
    pub fn points(&self) -> impl Iterator<Item = Point> + '_ {
        self.coarse
            .iter()
            .copied()
            .chain(self.open_bucket.map(Bucket::to_point))
            .chain(self.fine.iter().copied())
    }

    /// The last `n` points at poll resolution (what a sparkline of `n` columns shows).
    pub fn recent(&self, n: usize) -> impl Iterator<Item = &Point> + '_ {
        self.fine.iter().skip(self.fine.len().saturating_sub(n))
    }

    pub fn len(&self) -> usize {
        self.fine.len() + self.coarse.len() + usize::from(self.open_bucket.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn fine_len(&self) -> usize {
        self.fine.len()
    }

    pub fn coarse_len(&self) -> usize {
        self.coarse.len()
    }
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
        let mut series = Series::new(24);
        let start = 1_700_000_000u64;
        let step = 10;
        for i in 0..(48 * 3600 / step) {
            series.push(point(start + i * step));
        }
        let end = start + (48 * 3600 / step - 1) * step;
        // Fine tier: exactly the last 24 h at 10 s.
        assert_eq!(series.fine_len() as u64, 24 * 3600 / step);
        assert!(series.recent(usize::MAX).all(|p| p.at + 24 * 3600 > end));
        // Coarse tier: 10-minute buckets for the 24 h before that.
        let coarse = series.coarse_len() as u64;
        assert!((24 * 6 - 1..=24 * 6 + 1).contains(&coarse), "{coarse}");
        let points: Vec<Point> = series.points().collect();
        assert!(points.windows(2).all(|w| w[0].at <= w[1].at));
        // A bucket's response time is the mean of its points; its used bytes the last value.
        let first = points[0];
        assert_eq!(first.at % COARSE_BUCKET_SECS, 0);
        assert_eq!(first.used_bytes, Some(first.at + COARSE_BUCKET_SECS - step));
    }

    #[test]
    fn nothing_older_than_thirty_days() {
        let mut series = Series::new(1);
        let start = 1_700_000_000u64;
        for i in 0..(40 * 24) {
            series.push(point(start + i * 3600));
        }
        let last = start + (40 * 24 - 1) * 3600;
        assert!(series
            .points()
            .all(|p| p.at + MAX_AGE_SECS + COARSE_BUCKET_SECS > last));
        assert!(series.len() <= 30 * 24 + 3);
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
