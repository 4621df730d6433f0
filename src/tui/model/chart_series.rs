//! The points the detail's charts draw: the selected backend's kept history over the chosen
//! range. Read from the history file off the UI loop when the selection or the range changes,
//! then kept current from the points each poll brings (the row's recent history), and read again
//! at most once a minute while the range reaches past what memory holds.

use super::ChartRange;
use crate::monitor::history::{KeptHistory, Point};

/// A range longer than the points in memory is read again from the file after this long.
pub const REREAD_SECS: i64 = 60;

/// What was read for one backend and range.
#[derive(Clone, Debug)]
struct Loaded {
    id: String,
    range: ChartRange,
    history: KeptHistory,
    read_at: i64,
}

/// The points read for the charts (the range is the app's, chosen with `[` `]`).
#[derive(Clone, Debug, Default)]
pub struct ChartSeries {
    loaded: Option<Loaded>,
    /// The read under way (backend, range): one at a time.
    reading: Option<(String, ChartRange)>,
}

impl ChartSeries {
    /// The history read for `id` over `range`, when it is the one held.
    pub fn for_backend(&self, id: &str, range: ChartRange) -> Option<&KeptHistory> {
        self.loaded
            .as_ref()
            .filter(|l| l.id == id && l.range == range)
            .map(|l| &l.history)
    }

    /// A read of the file is under way.
    pub fn is_reading(&self) -> bool {
        self.reading.is_some()
    }

    /// What to read now for backend `id` over `range` at `now`, given its `recent` points in
    /// memory: when what is held is for another backend or range, or when it is a minute old
    /// and the range reaches past `recent` (not while `paused`: the screen holds still).
    /// Nothing while a read is under way (it is asked again when it answers), nor when `recent`
    /// covers the range (the chart draws from it).
    pub fn wanted(
        &mut self,
        id: &str,
        range: ChartRange,
        now: i64,
        recent: &[Point],
        paused: bool,
    ) -> Option<(String, ChartRange)> {
        if self.reading.is_some() {
            return None;
        }
        let since = now.saturating_sub(i64::try_from(range.secs()).unwrap_or(i64::MAX));
        let memory_covers = recent
            .first()
            .is_some_and(|p| i64::try_from(p.at).unwrap_or(i64::MAX) <= since);
        let due = match &self.loaded {
            Some(l) if l.id == id && l.range == range => {
                !paused && !memory_covers && now - l.read_at >= REREAD_SECS
            }
            _ => !memory_covers,
        };
        if !due {
            return None;
        }
        let read = (id.to_string(), range);
        self.reading = Some(read.clone());
        Some(read)
    }

    /// A read for `range` answered while `chosen` is the range shown; whether what is shown
    /// changed. An answer for a range no longer chosen is dropped.
    pub fn loaded(
        &mut self,
        id: String,
        range: ChartRange,
        history: KeptHistory,
        now: i64,
        chosen: ChartRange,
    ) -> bool {
        if self
            .reading
            .as_ref()
            .is_some_and(|(i, r)| *i == id && *r == range)
        {
            self.reading = None;
        }
        if range != chosen {
            return false;
        }
        // Only a different picture is worth a frame: before the first read the charts draw
        // the points in memory, which an empty file read does not change.
        let changed = match &self.loaded {
            Some(held) if held.id == id && held.range == range => held.history != history,
            _ => !history.points.is_empty(),
        };
        self.loaded = Some(Loaded {
            id,
            range,
            history,
            read_at: now,
        });
        changed
    }

    /// Adds the points of `recent` (the backend's in-memory history, oldest first) newer than
    /// those held for `id` over `range`, and lets go of those older than the range; whether any came.
    pub fn follow(&mut self, id: &str, range: ChartRange, recent: &[Point], now: i64) -> bool {
        let Some(loaded) = self
            .loaded
            .as_mut()
            .filter(|l| l.id == id && l.range == range)
        else {
            return false;
        };
        let points = &mut loaded.history.points;
        let last = points.last().map(|p| p.at);
        let newer = recent.partition_point(|p| last.is_some_and(|at| p.at <= at));
        if newer == recent.len() {
            return false;
        }
        points.extend_from_slice(&recent[newer..]);
        let since = u64::try_from(now).unwrap_or(0).saturating_sub(range.secs());
        let old = points.partition_point(|p| p.at < since);
        if old > 0 {
            points.drain(..old);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_003_200;

    fn point(ago: i64) -> Point {
        Point {
            at: (NOW - ago) as u64,
            response_ms: Some(10.0),
            ..Point::default()
        }
    }

    fn recent(minutes: i64) -> Vec<Point> {
        (0..minutes * 12).rev().map(|i| point(i * 5)).collect()
    }

    #[test]
    fn reads_once_per_selection_and_range_then_follows_the_polls() {
        use ChartRange::{Days7, Hour1, Hours24};
        let mut charts = ChartSeries::default();
        let memory = recent(25);
        let read = charts.wanted("kubo", Hour1, NOW, &memory, false);
        assert_eq!(read, Some(("kubo".into(), Hour1)));
        assert_eq!(
            charts.wanted("kubo", Hour1, NOW, &memory, false),
            None,
            "one at a time"
        );
        let file = KeptHistory {
            points: (0..720).rev().map(|i| point(i * 5 + 10)).collect(),
            fine_from: 0,
        };
        assert!(charts.loaded("kubo".into(), Hour1, file, NOW, Hour1));
        assert_eq!(charts.wanted("kubo", Hour1, NOW + 30, &memory, false), None);
        // A poll: its point is added, nothing is read.
        let mut memory = memory;
        memory.push(point(-5));
        assert!(charts.follow("kubo", Hour1, &memory, NOW + 5));
        assert!(!charts.follow("kubo", Hour1, &memory, NOW + 5), "only once");
        let held = charts.for_backend("kubo", Hour1).unwrap();
        assert_eq!(held.points.last().unwrap().at, (NOW + 5) as u64);
        assert!(held.points.first().unwrap().at >= (NOW + 5 - 3600) as u64);
        // A minute on, the file is read again (memory does not reach back an hour) ...
        assert!(charts
            .wanted("kubo", Hour1, NOW + 60, &memory, false)
            .is_some());
        charts.loaded(
            "kubo".into(),
            Hour1,
            KeptHistory::default(),
            NOW + 60,
            Hour1,
        );
        // ... but not while paused.
        assert_eq!(charts.wanted("kubo", Hour1, NOW + 200, &memory, true), None);
        // Another backend, another range: read.
        assert!(charts.for_backend("other", Hour1).is_none());
        assert!(charts
            .wanted("other", Hour1, NOW + 61, &memory, false)
            .is_some());
        charts.loaded(
            "other".into(),
            Hour1,
            KeptHistory::default(),
            NOW + 61,
            Hour1,
        );
        assert!(
            charts.for_backend("other", Hours24).is_none(),
            "held for 1h"
        );
        assert_eq!(
            charts.wanted("other", Hours24, NOW + 62, &memory, false),
            Some(("other".into(), Hours24))
        );
        // An answer for a range no longer chosen is dropped.
        let dropped = KeptHistory::default();
        assert!(!charts.loaded("other".into(), Hours24, dropped, NOW, Days7));
        assert!(!charts.is_reading());
    }

    #[test]
    fn a_range_memory_covers_is_not_read() {
        let mut charts = ChartSeries::default();
        let fifteen = ChartRange::Minutes15;
        assert_eq!(
            charts.wanted("kubo", fifteen, NOW, &recent(25), false),
            None
        );
        assert!(charts
            .wanted("kubo", fifteen, NOW, &recent(10), false)
            .is_some());
    }
}
