//! Per-backend time series for the detail's charts: response time, used bytes, objects and
//! throughput (where the kind reports them), at poll resolution for `history_hours`, then averaged into 10-minute
//! buckets up to 30 days. Appending is O(1) (amortised): points leave the front of the fine tier
//! into the coarse one as they age.

use std::collections::VecDeque;

/// Older than this, points are dropped.
pub const MAX_AGE_SECS: u64 = 30 * 86_400;
/// Width of a coarse bucket.
pub const COARSE_BUCKET_SECS: u64 = 600;

/// One sample; `None` figures were unknown at that poll. A failed poll has no figures.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Point {
    /// Unix seconds.
    pub at: u64,
    /// Milliseconds; `None` when the poll failed.
    pub response_ms: Option<f32>,
    pub used_bytes: Option<u64>,
    /// Objects, files or pins, where the backend counts them.
    pub objects: Option<u64>,
    /// Bytes per second received and sent, where the backend reports its rates (IPFS `stats/bw`).
    pub rate_in: Option<f32>,
    pub rate_out: Option<f32>,
    /// The polls this point stands for, where they differ from what `response_ms` implies (one
    /// poll, answered when it has a response time): a bucket's sums, or a poll that counts as
    /// none ([`Point::uncounted`]). `None` keeps a fine line as short as it was.
    pub counts: Option<PollCounts>,
}

/// How many polls a point stands for, by whether their liveness call answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollCounts {
    pub answered: u32,
    pub failed: u32,
}

impl PollCounts {
    pub fn total(self) -> u32 {
        self.answered.saturating_add(self.failed)
    }

    fn add(&mut self, other: PollCounts) {
        self.answered = self.answered.saturating_add(other.answered);
        self.failed = self.failed.saturating_add(other.failed);
    }
}

impl Point {
    /// Whether the poll of this point failed (it has no response time).
    pub fn failed(&self) -> bool {
        self.response_ms.is_none()
    }

    /// The polls this point stands for: its own counts, else one poll, answered when it has a
    /// response time.
    pub fn polls(&self) -> PollCounts {
        self.counts.unwrap_or_else(|| self.implied_counts())
    }

    /// The same point counted as no poll at all (0 answered, 0 failed): a poll made during
    /// maintenance, which availability leaves out. Its figures still chart.
    pub fn uncounted(self) -> Point {
        Point {
            counts: Some(PollCounts::default()),
            ..self
        }
    }

    fn implied_counts(&self) -> PollCounts {
        if self.failed() {
            PollCounts {
                answered: 0,
                failed: 1,
            }
        } else {
            PollCounts {
                answered: 1,
                failed: 0,
            }
        }
    }

    /// The point with `counts`, kept only where they differ from what it implies (so that equal
    /// points compare equal however they were made).
    fn with_counts(self, counts: PollCounts) -> Point {
        let counts = (counts != self.implied_counts()).then_some(counts);
        Point { counts, ..self }
    }
}

/// A running mean of the values of one figure.
#[derive(Clone, Copy, Debug, Default)]
struct Mean {
    sum: f64,
    count: u32,
}

impl Mean {
    fn add(&mut self, value: Option<f32>) {
        if let Some(value) = value {
            self.sum += f64::from(value);
            self.count += 1;
        }
    }

    fn value(self) -> Option<f32> {
        (self.count > 0).then(|| (self.sum / f64::from(self.count)) as f32)
    }
}

/// The points that fall into one coarse bucket: times and rates averaged, sizes and counts as
/// last read.
#[derive(Clone, Copy, Debug, Default)]
struct Bucket {
    start: u64,
    polls: PollCounts,
    response_ms: Mean,
    used_last: Option<u64>,
    objects_last: Option<u64>,
    rate_in: Mean,
    rate_out: Mean,
}

impl Bucket {
    fn add(&mut self, point: &Point) {
        self.polls.add(point.polls());
        self.response_ms.add(point.response_ms);
        self.rate_in.add(point.rate_in);
        self.rate_out.add(point.rate_out);
        if point.used_bytes.is_some() {
            self.used_last = point.used_bytes;
        }
        if point.objects.is_some() {
            self.objects_last = point.objects;
        }
    }

    fn to_point(self) -> Point {
        Point {
            at: self.start,
            response_ms: self.response_ms.value(),
            used_bytes: self.used_last,
            objects: self.objects_last,
            rate_in: self.rate_in.value(),
            rate_out: self.rate_out.value(),
            counts: None,
        }
        .with_counts(self.polls)
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
    let fine_from = fine_from(now, history_hours);
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

/// A stretch of a backend's kept history, oldest first: at poll resolution from `fine_from`
/// (unix seconds), in 10-minute buckets before it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeptHistory {
    pub points: Vec<Point>,
    pub fine_from: u64,
}

impl KeptHistory {
    /// What is kept of `points` at `now` (see [`retain`]), from `since` on.
    pub fn new(points: Vec<Point>, now: u64, history_hours: u64, since: u64) -> KeptHistory {
        let mut points = retain(points, now, history_hours);
        points.retain(|p| p.at >= since);
        KeptHistory {
            points,
            fine_from: fine_from(now, history_hours),
        }
    }
}

/// Where poll resolution starts at `now`.
pub fn fine_from(now: u64, history_hours: u64) -> u64 {
    now.saturating_sub(history_hours.clamp(1, 720) * 3600)
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

/// One line of the on-disk history:
/// `[at, response_ms|null, used|null, objects|null, rate_in|null, rate_out|null]`, then
/// `answered, failed` (the polls the point stands for) only where they differ from what
/// `response_ms` implies (a bucket; a poll that counts as none). Trailing nulls are left out,
/// so a kind without objects or rates writes the first format's `[at, ms, used]` (which
/// earlier versions read), and a fine line is as short as before the counts.
pub fn encode_line(point: &Point) -> String {
    let rate = |r: Option<f32>| r.map(|r| format!("{r:.3}"));
    let mut fields = vec![
        Some(point.at.to_string()),
        point.response_ms.map(|ms| format!("{ms:.3}")),
        point.used_bytes.map(|u| u.to_string()),
        point.objects.map(|n| n.to_string()),
        rate(point.rate_in),
        rate(point.rate_out),
    ];
    match point.counts.filter(|c| *c != point.implied_counts()) {
        Some(counts) => {
            fields.push(Some(counts.answered.to_string()));
            fields.push(Some(counts.failed.to_string()));
        }
        None => {
            while fields.len() > 3 && fields.last().is_some_and(Option::is_none) {
                fields.pop();
            }
        }
    }
    let fields: Vec<String> = fields
        .into_iter()
        .map(|f| f.unwrap_or_else(|| "null".into()))
        .collect();
    format!("[{}]\n", fields.join(","))
}

/// Parses a line written by [`encode_line`] (3 to 6 elements, or 8 with the counts; figures
/// it does not hold are unknown); anything else (a torn last line after a crash) is skipped
/// by the caller. A line without counts stands for one poll, answered when it has a response
/// time: a bucket written before the counts were kept counts as one poll too (how many polls
/// it held, and how many failed, was averaged away).
pub fn decode_line(line: &str) -> Option<Point> {
    let values: Vec<serde_json::Value> = serde_json::from_str(line).ok()?;
    if !(3..=6).contains(&values.len()) && values.len() != 8 {
        return None;
    }
    let get = |i: usize| values.get(i).filter(|v| !v.is_null());
    let float = |i: usize| get(i).and_then(serde_json::Value::as_f64).map(|v| v as f32);
    let point = Point {
        at: values[0].as_u64()?,
        response_ms: float(1),
        used_bytes: get(2).and_then(serde_json::Value::as_u64),
        objects: get(3).and_then(serde_json::Value::as_u64),
        rate_in: float(4),
        rate_out: float(5),
        counts: None,
    };
    if values.len() == 8 {
        let count = |i: usize| {
            values[i]
                .as_u64()
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
        };
        let counts = PollCounts {
            answered: count(6)?,
            failed: count(7)?,
        };
        return Some(point.with_counts(counts));
    }
    Some(point)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(at: u64) -> Point {
        Point {
            at,
            response_ms: Some((at % 100) as f32),
            used_bytes: Some(at),
            ..Point::default()
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
            ..Point::default()
        };
        assert_eq!(encode_line(&p), "[5,null,18446744073709551615]\n");
        assert_eq!(decode_line(encode_line(&p).trim()), Some(p));
        assert_eq!(decode_line("[1,2.5,null]").unwrap().used_bytes, None);
        assert_eq!(decode_line("[1,2.5"), None);
        let full = Point {
            at: 7,
            response_ms: Some(12.5),
            used_bytes: Some(1_000),
            objects: Some(42),
            rate_in: Some(1_024.5),
            rate_out: None,
            counts: None,
        };
        assert_eq!(encode_line(&full), "[7,12.500,1000,42,1024.500]\n");
        assert_eq!(decode_line(encode_line(&full).trim()), Some(full));
        let objects_only = Point {
            objects: Some(3),
            ..p
        };
        assert_eq!(
            decode_line(encode_line(&objects_only).trim()),
            Some(objects_only)
        );
    }

    #[test]
    fn old_three_element_lines_decode_and_torn_lines_are_skipped() {
        let text = "[1,2.5,100]\n[2,null,null]\n[3,4.0,200,9,10.0,20.0]\n[4,5.0,3";
        let points = decode_text(text);
        assert_eq!(points.len(), 3, "the torn last line is skipped");
        assert_eq!(
            points[0],
            Point {
                at: 1,
                response_ms: Some(2.5),
                used_bytes: Some(100),
                ..Point::default()
            }
        );
        assert!(points[1].failed() && points[1].objects.is_none());
        assert_eq!(points[2].objects, Some(9));
        assert_eq!(points[2].rate_out, Some(20.0));
        assert_eq!(decode_line("[1,2,3,4,5,6,7]"), None, "too many elements");
        assert_eq!(decode_line("[1,2]"), None, "too few");
    }

    #[test]
    fn buckets_keep_the_last_count_and_average_rates() {
        let start = 1_700_000_400u64;
        let points = (0..4u64).map(|i| Point {
            at: start + i * 10,
            response_ms: (i != 1).then_some(10.0),
            used_bytes: None,
            objects: (i < 3).then_some(100 + i),
            rate_in: Some(i as f32 * 100.0),
            rate_out: (i != 1).then_some(50.0),
            counts: None,
        });
        let kept = retain(points, start + 48 * 3600, 24);
        assert_eq!(kept.len(), 1);
        let bucket = kept[0];
        assert_eq!(bucket.objects, Some(102), "the last count read");
        assert_eq!(bucket.rate_in, Some(150.0), "the mean rate");
        assert_eq!(bucket.rate_out, Some(50.0), "over the polls that had one");
        assert_eq!(bucket.response_ms, Some(10.0));
        assert_eq!(bucket.used_bytes, None, "unknown stays unknown");
    }

    #[test]
    fn buckets_count_their_answered_and_failed_polls() {
        let start = 1_700_000_400u64;
        // Five polls in one bucket, two of them failed, one made during maintenance.
        let points = (0..6u64).map(|i| {
            let p = Point {
                at: start + i * 10,
                response_ms: (i != 1 && i != 3).then_some(10.0),
                ..Point::default()
            };
            if i == 5 {
                p.uncounted()
            } else {
                p
            }
        });
        let kept = retain(points, start + 48 * 3600, 24);
        assert_eq!(kept.len(), 1);
        let bucket = kept[0];
        assert_eq!(
            bucket.polls(),
            PollCounts {
                answered: 3,
                failed: 2
            }
        );
        let line = encode_line(&bucket);
        assert_eq!(line, "[1700000400,10.000,null,null,null,null,3,2]\n");
        assert_eq!(decode_line(line.trim()), Some(bucket));
        // Compacting again keeps the sums (a bucket adds what it stands for, not one poll).
        assert_eq!(retain(kept.clone(), start + 48 * 3600, 24), kept);
        // A bucket of failed polls only: no response time, and its count.
        let down = retain(
            (0..4u64).map(|i| Point {
                at: start + i * 10,
                ..Point::default()
            }),
            start + 48 * 3600,
            24,
        );
        assert_eq!(down[0].polls().failed, 4);
        assert_eq!(
            encode_line(&down[0]),
            "[1700000400,null,null,null,null,null,0,4]\n"
        );
    }

    #[test]
    fn fine_lines_stay_short_and_an_uncounted_poll_round_trips() {
        let answered = Point {
            at: 9,
            response_ms: Some(1.0),
            used_bytes: Some(5),
            ..Point::default()
        };
        assert_eq!(encode_line(&answered), "[9,1.000,5]\n");
        assert_eq!(answered.polls().answered, 1);
        let failed = Point {
            at: 9,
            ..Point::default()
        };
        assert_eq!(encode_line(&failed), "[9,null,null]\n");
        assert_eq!(failed.polls().failed, 1);
        // A count equal to the implied one is the same point, written the short way.
        assert_eq!(
            failed.with_counts(PollCounts {
                answered: 0,
                failed: 1
            }),
            failed
        );
        let quiet = answered.uncounted();
        assert_eq!(quiet.polls().total(), 0);
        assert_eq!(encode_line(&quiet), "[9,1.000,5,null,null,null,0,0]\n");
        assert_eq!(decode_line(encode_line(&quiet).trim()), Some(quiet));
        assert_eq!(
            decode_line(encode_line(&failed.uncounted()).trim())
                .unwrap()
                .polls()
                .total(),
            0
        );
    }

    #[test]
    fn old_coarse_lines_count_as_one_poll() {
        // Written before the counts: a bucket's line looked like a poll's.
        let points = decode_text("[1700000400,12.5,100]\n[1700001000,null,null,3]\n");
        assert_eq!(
            points[0].polls(),
            PollCounts {
                answered: 1,
                failed: 0
            }
        );
        assert_eq!(
            points[1].polls(),
            PollCounts {
                answered: 0,
                failed: 1
            }
        );
        assert_eq!(
            decode_line("[1,2,3,4,5,6,7,8,9]"),
            None,
            "too many elements"
        );
        assert_eq!(
            decode_line("[1,2,3,4,5,6,-1,2]"),
            None,
            "a count is a whole number"
        );
    }
}
