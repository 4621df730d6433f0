//! The backends as the console shows them: every row the engine sent, which of them are visible
//! (filtered, sorted) and which one is selected. The selection is a backend id, never a row
//! number: it survives the engine replacing the rows (in any order), sorts and filters. While
//! paused, new figures are held and applied on resume.

use std::collections::HashMap;

use crate::monitor::history::Point;
use crate::stats::{BackendStats, HealthStatus};

/// Points of recent history kept per row: the charts add them to the history read from the
/// file, and draw a range they cover (15 minutes at 5 s polls) from them alone.
pub const HISTORY_POINTS: usize = 300;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortColumn {
    Id,
    Kind,
    Health,
    Response,
    Used,
    Quota,
    /// The fuller of used and quota.
    Fullest,
    /// The soonest full first.
    FullIn,
    UsedBytes,
    Available,
    Objects,
    Checked,
    /// The fleet view's host (then the id).
    Host,
    /// Availability over 24 hours, 30 days (the least available first).
    Up24h,
    Up30d,
}

impl SortColumn {
    const ORDER: [SortColumn; 15] = [
        SortColumn::Id,
        SortColumn::Kind,
        SortColumn::Health,
        SortColumn::Response,
        SortColumn::Used,
        SortColumn::Quota,
        SortColumn::Fullest,
        SortColumn::FullIn,
        SortColumn::UsedBytes,
        SortColumn::Available,
        SortColumn::Objects,
        SortColumn::Checked,
        SortColumn::Host,
        SortColumn::Up24h,
        SortColumn::Up30d,
    ];

    fn next(self) -> SortColumn {
        let i = Self::ORDER.iter().position(|c| *c == self).unwrap_or(0);
        Self::ORDER[(i + 1) % Self::ORDER.len()]
    }

    /// The column named `name` (as the title shows it), for `:sort`.
    pub fn parse(name: &str) -> Option<SortColumn> {
        let name = name.trim().to_ascii_lowercase();
        Self::ORDER.into_iter().find(|c| c.name() == name)
    }

    /// Every column's name, for a message that lists them.
    pub fn names() -> Vec<&'static str> {
        Self::ORDER.into_iter().map(SortColumn::name).collect()
    }

    pub fn name(self) -> &'static str {
        match self {
            SortColumn::Id => "id",
            SortColumn::Kind => "kind",
            SortColumn::Health => "health",
            SortColumn::Response => "response",
            SortColumn::Used => "used",
            SortColumn::Quota => "quota",
            SortColumn::Fullest => "full",
            SortColumn::FullIn => "full_in",
            SortColumn::UsedBytes => "used_bytes",
            SortColumn::Available => "available",
            SortColumn::Objects => "objects",
            SortColumn::Checked => "checked",
            SortColumn::Host => "host",
            SortColumn::Up24h => "up_24h",
            SortColumn::Up30d => "up_30d",
        }
    }
}

/// A group of figures that carries its own time (`as_of`) when it is older than the poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FigureGroup {
    Storage,
    Quota,
    Files,
}

/// A list column that draws a figure of one of the groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FigureColumn {
    Used,
    Quota,
    Fullest,
    UsedBytes,
    Available,
    Objects,
}

/// One backend as the console shows it.
#[derive(Clone, Debug, Default)]
pub struct Row {
    pub stats: BackendStats,
    /// Recent points at poll resolution, oldest first (for sparklines).
    pub history: Vec<Point>,
    /// The host (Prometheus' instance) in the fleet view, where `stats.id` is `HOST/BACKEND`.
    pub host: Option<String>,
}

impl Row {
    /// Adds a poll's point to the recent history, keeping the last `HISTORY_POINTS`. A point
    /// the history already holds (read with a snapshot taken after the poll that announced
    /// it) is not added twice.
    fn add_point(&mut self, point: Point) {
        let known = self.history.last().is_some_and(|last| point.at < last.at)
            || self
                .history
                .iter()
                .rev()
                .take_while(|p| p.at >= point.at)
                .any(|p| *p == point);
        if known {
            return;
        }
        self.history.push(point);
        let over = self.history.len().saturating_sub(HISTORY_POINTS);
        self.history.drain(..over);
    }

    pub fn id(&self) -> &str {
        &self.stats.id
    }
    /// The id as the list shows it: without the host, which has its own column.
    pub fn shown_id(&self) -> &str {
        match &self.host {
            Some(host) => self
                .stats
                .id
                .strip_prefix(host.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .unwrap_or(&self.stats.id),
            None => &self.stats.id,
        }
    }
    pub fn used_percent(&self) -> Option<f64> {
        self.stats.storage.usage_percent
    }
    /// The share of polls answered over 24 hours, percent (unknown: none counted).
    pub fn up_24h(&self) -> Option<f64> {
        self.stats.availability.as_ref().and_then(|a| a.up_24h)
    }
    pub fn up_30d(&self) -> Option<f64> {
        self.stats.availability.as_ref().and_then(|a| a.up_30d)
    }
    pub fn quota_percent(&self) -> Option<f64> {
        crate::stats::percent(self.stats.quota.used, self.stats.quota.limit)
    }
    /// The fuller of used and quota, with which one it is (`true`: the quota).
    pub fn fullest_percent(&self) -> Option<(f64, bool)> {
        match (self.used_percent(), self.quota_percent()) {
            (Some(u), Some(q)) if q > u => Some((q, true)),
            (Some(u), _) => Some((u, false)),
            (None, Some(q)) => Some((q, true)),
            (None, None) => None,
        }
    }
    /// Bytes used: the storage's figure, else the quota's, else what the inventory counted.
    pub fn used_bytes(&self) -> Option<u64> {
        let stats = &self.stats;
        stats
            .storage
            .used
            .or(stats.quota.used)
            .or(stats.files.bytes)
    }
    /// Bytes still available: the filesystem's free space, else what the quota leaves.
    pub fn available_bytes(&self) -> Option<u64> {
        let stats = &self.stats;
        stats.storage.available.or(stats.quota.remaining)
    }
    /// Objects, files or pins: the quota's object count (live, where the backend keeps one),
    /// else the inventory's count, as the history charts it; and whether it is a lower bound
    /// (a count that stopped at a limit).
    pub fn objects(&self) -> Option<(u64, bool)> {
        let stats = &self.stats;
        match stats.quota.objects_used {
            Some(n) => Some((n, false)),
            None => stats.files.count.map(|n| (n, stats.files.partial)),
        }
    }
    /// Whether the figures shown are not live: stale, or of a backend down or switched off.
    /// Such figures are drawn dimmed, never in a healthy colour.
    pub fn figures_are_old(&self) -> bool {
        self.stats.stale
            || matches!(
                self.stats.health.status,
                HealthStatus::Down | HealthStatus::Disabled
            )
    }
    /// How old a group of figures is (`storage`, `quota`, `files`: its `as_of`), in seconds at
    /// `now`, when it is older than one poll: read by an inventory, or kept from a poll whose
    /// call failed. `None` for figures of the latest poll. One poll is the time between the
    /// last check and the next (the backend's interval); 60 s when that is not known.
    pub fn figures_age(&self, group: FigureGroup, now: i64) -> Option<i64> {
        let stats = &self.stats;
        let as_of = match group {
            FigureGroup::Storage => stats.storage.as_of.as_deref(),
            FigureGroup::Quota => stats.quota.as_of.as_deref(),
            FigureGroup::Files => stats.files.as_of.as_deref(),
        }?;
        let at = crate::store::timestamp::parse(as_of)?.timestamp();
        let checked = self.checked_at();
        let next = stats
            .health
            .next_check_at
            .as_deref()
            .and_then(crate::store::timestamp::parse)
            .map(|t| t.timestamp());
        let poll = match (checked, next) {
            (Some(checked), Some(next)) if next > checked => next - checked,
            _ => 60,
        };
        let age = (now - at).max(0);
        (age > poll).then_some(age)
    }
    /// How old the figure a column draws is, when older than one poll (`figures_age`): the
    /// group it comes from, as `used_bytes`, `available_bytes` and `objects` choose it.
    pub fn column_age(&self, column: FigureColumn, now: i64) -> Option<i64> {
        let stats = &self.stats;
        let group = match column {
            FigureColumn::Used => FigureGroup::Storage,
            FigureColumn::Quota => FigureGroup::Quota,
            FigureColumn::Fullest => match self.fullest_percent() {
                Some((_, true)) => FigureGroup::Quota,
                _ => FigureGroup::Storage,
            },
            FigureColumn::UsedBytes => {
                if stats.storage.used.is_some() {
                    FigureGroup::Storage
                } else if stats.quota.used.is_some() {
                    FigureGroup::Quota
                } else {
                    FigureGroup::Files
                }
            }
            FigureColumn::Available => {
                if stats.storage.available.is_some() {
                    FigureGroup::Storage
                } else {
                    FigureGroup::Quota
                }
            }
            FigureColumn::Objects => {
                if stats.quota.objects_used.is_some() {
                    FigureGroup::Quota
                } else {
                    FigureGroup::Files
                }
            }
        };
        self.figures_age(group, now)
    }
    /// For sorting by `FULL IN`: when the forecast says it will be full (unix seconds); a
    /// backend not filling after every filling one; unknown without a forecast that says.
    pub fn full_in_secs(&self) -> Option<f64> {
        use crate::stats::forecast::OutlookKind;
        let forecast = self.stats.forecast.as_ref()?;
        match forecast.outlook {
            OutlookKind::Filling => forecast.full_at_unix().map(|at| at as f64),
            OutlookKind::NotFilling => Some(f64::INFINITY),
            OutlookKind::TooLittleHistory => None,
        }
    }

    /// When it was last checked (unix seconds).
    pub fn checked_at(&self) -> Option<i64> {
        self.stats
            .health
            .checked_at
            .as_deref()
            .and_then(crate::store::timestamp::parse)
            .map(|t| t.timestamp())
    }
}

fn health_rank(status: HealthStatus) -> u8 {
    match status {
        HealthStatus::Down => 0,
        HealthStatus::Full => 1,
        HealthStatus::Degraded => 2,
        HealthStatus::Warning => 3,
        HealthStatus::Unknown => 4,
        HealthStatus::Healthy => 5,
        HealthStatus::Unsupported => 6,
        HealthStatus::Disabled => 7,
    }
}

/// What a change did to what the table shows.
#[must_use]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Held while paused: nothing on screen changed.
    Held,
    /// What is shown changed. `gone` is set when the selected backend went away: it says so,
    /// and which backend is selected now (for the footer).
    Shown { gone: Option<String> },
}

#[derive(Clone, Debug)]
pub struct BackendTable {
    rows: Vec<Row>,
    /// Indices into `rows`: filtered and sorted.
    visible: Vec<usize>,
    /// Index into `visible`.
    selected: usize,
    sort: SortColumn,
    reverse: bool,
    filter: String,
    paused: bool,
    /// Figures that came while paused, by id.
    held: HashMap<String, Row>,
    /// Backends removed from this console: their going needs no word in the footer.
    removed_here: Vec<String>,
}

impl Default for BackendTable {
    fn default() -> Self {
        BackendTable {
            rows: Vec::new(),
            visible: Vec::new(),
            selected: 0,
            sort: SortColumn::Id,
            reverse: false,
            filter: String::new(),
            paused: false,
            held: HashMap::new(),
            removed_here: Vec::new(),
        }
    }
}

impl BackendTable {
    /// Every row, in the order the engine sent them.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The rows that pass the filter, sorted.
    pub fn visible(&self) -> impl Iterator<Item = &Row> {
        self.visible.iter().filter_map(|&i| self.rows.get(i))
    }

    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    /// The position of the selection among the visible rows.
    pub fn selected_position(&self) -> usize {
        self.selected
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.visible
            .get(self.selected)
            .and_then(|i| self.rows.get(*i))
    }

    pub fn selected_id(&self) -> Option<String> {
        self.selected_row().map(|r| r.id().to_string())
    }

    pub fn get(&self, id: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.stats.id == id)
    }

    pub fn sort(&self) -> SortColumn {
        self.sort
    }

    pub fn reverse(&self) -> bool {
        self.reverse
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Every backend at once, from the engine (in any order). Held while paused.
    pub fn replace(&mut self, rows: Vec<Row>) -> Change {
        if self.paused {
            for row in rows {
                self.held.insert(row.stats.id.clone(), row);
            }
            return Change::Held;
        }
        // The selection is read before the rows change: their order may not hold.
        let keep = self.selected_id();
        self.rows = rows;
        self.refresh_keeping(keep)
    }

    /// One backend's new figures. Held while paused.
    pub fn apply(&mut self, row: Row) -> Change {
        if self.paused {
            self.held.insert(row.stats.id.clone(), row);
            return Change::Held;
        }
        self.upsert(row);
        self.refresh()
    }

    /// One backend's new figures from a poll, with the point of history that poll added (if
    /// any): the point joins the row's recent history (at most `HISTORY_POINTS`), which is not
    /// read again. Held while paused, points and all.
    pub fn apply_stats(&mut self, stats: BackendStats, point: Option<Point>) -> Change {
        let id = stats.id.clone();
        // The history so far: taken from the row it goes back into (held while paused, else
        // shown), copied from the shown row while that one stays on screen (paused).
        let (history, host) = match self.held.get_mut(&id) {
            Some(held) => (std::mem::take(&mut held.history), held.host.clone()),
            None => match self.rows.iter_mut().find(|r| r.stats.id == id) {
                Some(shown) if self.paused => (shown.history.clone(), shown.host.clone()),
                Some(shown) => (std::mem::take(&mut shown.history), shown.host.clone()),
                None => (Vec::new(), None),
            },
        };
        let mut row = Row {
            stats,
            history,
            host,
        };
        if let Some(point) = point {
            row.add_point(point);
        }
        self.apply(row)
    }

    /// Pauses, or resumes and applies what was held meanwhile.
    pub fn toggle_pause(&mut self) -> Change {
        self.paused = !self.paused;
        if self.paused {
            return Change::Shown { gone: None };
        }
        let held: Vec<Row> = self.held.drain().map(|(_, row)| row).collect();
        for row in held {
            self.upsert(row);
        }
        self.refresh()
    }

    /// A backend this console is removing: when it goes, nobody needs telling.
    pub fn removed_here(&mut self, id: String) {
        self.removed_here.push(id);
    }

    pub fn set_filter(&mut self, filter: &str) -> Change {
        self.filter = filter.to_string();
        self.refresh()
    }

    pub fn next_sort(&mut self) -> Change {
        self.sort = self.sort.next();
        self.refresh()
    }

    /// Sorts by `column`, in reverse when `reverse`.
    pub fn set_sort(&mut self, column: SortColumn, reverse: bool) -> Change {
        self.sort = column;
        self.reverse = reverse;
        self.refresh()
    }

    pub fn toggle_reverse(&mut self) -> Change {
        self.reverse = !self.reverse;
        self.refresh()
    }

    /// Selects the backend `id` if it is visible; says whether it is.
    pub fn select_id(&mut self, id: &str) -> bool {
        let position = self
            .visible
            .iter()
            .position(|&i| self.rows.get(i).is_some_and(|row| row.stats.id == id));
        if let Some(position) = position {
            self.selected = position;
        }
        position.is_some()
    }

    /// Selects the visible row at `position` (clamped to the last).
    pub fn select(&mut self, position: usize) {
        self.selected = position.min(self.visible.len().saturating_sub(1));
    }

    /// Moves the selection `delta` rows (clamped to the first and the last).
    pub fn move_by(&mut self, delta: isize) {
        self.select((self.selected as isize + delta).max(0) as usize);
    }

    fn upsert(&mut self, row: Row) {
        match self.rows.iter_mut().find(|r| r.stats.id == row.stats.id) {
            Some(existing) => *existing = row,
            None => self.rows.push(row),
        }
    }

    /// Recomputes `visible` from rows, filter and sort, keeping the selection on the same id.
    fn refresh(&mut self) -> Change {
        let keep = self.selected_id();
        self.refresh_keeping(keep)
    }

    /// Recomputes `visible`, keeping the selection on the backend `keep` names (taken before
    /// `rows` changed: the selection is a backend, never a row number). If that backend is
    /// gone, its neighbour (the row now at its place) is selected and the change says so.
    fn refresh_keeping(&mut self, keep: Option<String>) -> Change {
        let old_position = self.selected;
        let needle = self.filter.to_lowercase();
        let mut visible: Vec<usize> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, row)| {
                needle.is_empty()
                    || row.stats.id.to_lowercase().contains(&needle)
                    || row.stats.kind.to_lowercase().contains(&needle)
                    || row.stats.health.status.as_str().contains(&needle)
            })
            .map(|(i, _)| i)
            .collect();
        let rows = &self.rows;
        let reverse = self.reverse;
        // Unknown sorts after every known figure, in both directions: `?` is never "first".
        let by_float = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if reverse => b.total_cmp(&a),
            (Some(a), Some(b)) => a.total_cmp(&b),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        let directed = |ordering: std::cmp::Ordering| {
            if reverse {
                ordering.reverse()
            } else {
                ordering
            }
        };
        visible.sort_by(|&a, &b| {
            let (ra, rb) = (&rows[a], &rows[b]);
            let primary = match self.sort {
                SortColumn::Id => std::cmp::Ordering::Equal,
                SortColumn::Kind => directed(ra.stats.kind.cmp(&rb.stats.kind)),
                SortColumn::Health => directed(
                    health_rank(ra.stats.health.status).cmp(&health_rank(rb.stats.health.status)),
                ),
                SortColumn::Response => by_float(
                    ra.stats.performance.avg_response_time,
                    rb.stats.performance.avg_response_time,
                ),
                SortColumn::Used => by_float(ra.used_percent(), rb.used_percent()),
                SortColumn::Quota => by_float(ra.quota_percent(), rb.quota_percent()),
                SortColumn::Fullest => by_float(
                    ra.fullest_percent().map(|f| f.0),
                    rb.fullest_percent().map(|f| f.0),
                ),
                SortColumn::FullIn => by_float(ra.full_in_secs(), rb.full_in_secs()),
                SortColumn::UsedBytes => by_float(
                    ra.used_bytes().map(|b| b as f64),
                    rb.used_bytes().map(|b| b as f64),
                ),
                SortColumn::Available => by_float(
                    ra.available_bytes().map(|b| b as f64),
                    rb.available_bytes().map(|b| b as f64),
                ),
                SortColumn::Objects => by_float(
                    ra.objects().map(|(n, _)| n as f64),
                    rb.objects().map(|(n, _)| n as f64),
                ),
                // The most recently checked first.
                SortColumn::Checked => by_float(
                    ra.checked_at().map(|t| -(t as f64)),
                    rb.checked_at().map(|t| -(t as f64)),
                ),
                // The id holds the host first: the ids' order is the hosts'.
                SortColumn::Host => directed(ra.host.cmp(&rb.host)),
                SortColumn::Up24h => by_float(ra.up_24h(), rb.up_24h()),
                SortColumn::Up30d => by_float(ra.up_30d(), rb.up_30d()),
            };
            primary.then_with(|| directed(ra.stats.id.cmp(&rb.stats.id)))
        });
        self.visible = visible;
        let last = self.visible.len().saturating_sub(1);
        let position = |id: &str| {
            self.visible
                .iter()
                .position(|&i| self.rows[i].stats.id == id)
        };
        let mut gone = None;
        self.selected = match &keep {
            Some(id) => match position(id) {
                Some(position) => position,
                None if self.rows.iter().any(|r| &r.stats.id == id) => 0, // filtered out
                None if self.removed_here.contains(id) => {
                    self.removed_here.retain(|gone| gone != id);
                    old_position
                }
                None => {
                    let neighbour = old_position.min(last);
                    gone = Some(
                        match self.visible.get(neighbour).map(|&i| &self.rows[i].stats.id) {
                            Some(next) => format!(
                                "backend '{}' is gone; selected '{}'",
                                crate::text::sanitize(id, 40),
                                crate::text::sanitize(next, 40)
                            ),
                            None => format!("backend '{}' is gone", crate::text::sanitize(id, 40)),
                        },
                    );
                    neighbour
                }
            },
            None => 0,
        }
        .min(last);
        Change::Shown { gone }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(id: &str) -> BackendStats {
        BackendStats {
            id: id.into(),
            ..BackendStats::default()
        }
    }

    fn point(at: u64) -> Point {
        Point {
            at,
            response_ms: Some(1.0),
            ..Point::default()
        }
    }

    fn history(table: &BackendTable) -> Vec<u64> {
        table.rows()[0].history.iter().map(|p| p.at).collect()
    }

    #[test]
    fn a_polls_point_joins_the_kept_history_once_and_bounded() {
        let mut table = BackendTable::default();
        let _ = table.replace(vec![Row {
            stats: stats("a"),
            history: vec![point(1), point(2)],
            host: None,
        }]);
        let _ = table.apply_stats(stats("a"), Some(point(3)));
        assert_eq!(history(&table), [1, 2, 3]);
        // Already in the snapshot read after its poll: not added again.
        let _ = table.apply_stats(stats("a"), Some(point(2)));
        let _ = table.apply_stats(stats("a"), Some(point(3)));
        let _ = table.apply_stats(stats("a"), None);
        assert_eq!(history(&table), [1, 2, 3]);
        for at in 4..(HISTORY_POINTS as u64 + 10) {
            let _ = table.apply_stats(stats("a"), Some(point(at)));
        }
        let kept = history(&table);
        assert_eq!(kept.len(), HISTORY_POINTS);
        assert_eq!(kept.last(), Some(&(HISTORY_POINTS as u64 + 9)));
    }

    #[test]
    fn points_of_a_paused_table_are_held_and_shown_on_resume() {
        let mut table = BackendTable::default();
        let _ = table.replace(vec![Row {
            stats: stats("a"),
            history: vec![point(1)],
            host: None,
        }]);
        let _ = table.toggle_pause();
        let _ = table.apply_stats(stats("a"), Some(point(2)));
        let _ = table.apply_stats(stats("a"), Some(point(3)));
        assert_eq!(history(&table), [1], "the screen holds still");
        let _ = table.toggle_pause();
        assert_eq!(history(&table), [1, 2, 3]);
    }
}
