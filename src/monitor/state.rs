//! What the engine knows of each backend (`Entry`) and of them all (`State`), and the pure
//! steps over it: judging a backend's alerts, the last stats kept in the store, the point of
//! history a poll adds, and reading a backend's history file (through the store).

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::Notify;
use tokio::task::AbortHandle;

use super::alerts::{Alerts, Change, Facts};
use super::history::{self, Point, Series};
use super::tally;
use super::window::Window;
use crate::backends::Kind;
use crate::poll;
use crate::probe;
use crate::stats::availability::{self, AvailabilitySummary, AvailabilityTally};
use crate::stats::{BackendStats, InventoryRecord, Measurement, Source};
use crate::store::{BackendDoc, Settings, Stamp, Store};

/// Everything known about one backend.
pub(super) struct Entry {
    pub(super) doc: BackendDoc,
    pub(super) stamp: Stamp,
    pub(super) stats: BackendStats,
    pub(super) window: Window,
    pub(super) history: Series,
    /// The used bytes kept to forecast when each limit is reached.
    pub(super) trails: super::trail::Trails,
    /// Until the whole history file has been read in the background (`Shared::seed`), the
    /// points of the polls made meanwhile, to replay onto what it says.
    pub(super) unseeded: Option<Vec<Point>>,
    /// Lines in the history file since it was last rewritten (to know when to compact).
    pub(super) history_lines: usize,
    /// This engine's polls of the backend: by result, and how long they took.
    pub(super) tally: tally::PollTally,
    /// Its availability over 30 days, seeded from the history file, fed each poll.
    pub(super) availability: AvailabilityTally,
    pub(super) failures: u32,
    pub(super) task: Option<AbortHandle>,
    pub(super) wake: Arc<Notify>,
    /// The kept inventory: the slow figures and when they were counted.
    pub(super) inventory: Option<InventoryRecord>,
    /// The inventory run under way, if any (single-flight).
    pub(super) inventory_task: Option<AbortHandle>,
    /// An inventory was asked for (a key, a command): run it at once, whatever its clock says.
    pub(super) inventory_asked: bool,
    /// The last pulse that answered, to fold a new inventory in without polling again.
    pub(super) last_pulse: Option<(Measurement, String)>,
    /// When this process's last inventory of the backend ended (the engine's clock), and how.
    /// Until there is one, the kept record's wall-clock time decides.
    pub(super) inventory_ended: Option<(tokio::time::Instant, crate::stats::InventoryState)>,
    /// When the backend's health entered its current state, and why (its message then), for
    /// the timeline's transition when it leaves it: seen by this engine, or read at start
    /// from the timeline's last transition.
    pub(super) health_since: Option<(String, Option<String>)>,
}

pub(super) struct State {
    pub(super) entries: BTreeMap<String, Entry>,
    pub(super) alerts: Alerts,
    pub(super) settings: Settings,
    pub(super) main_stamp: Option<Stamp>,
    /// The backends directory's own stamp at the last full look, and when that was.
    pub(super) backends_dir_stamp: Option<Stamp>,
    pub(super) last_full_scan: Option<tokio::time::Instant>,
    /// Files in backends/ that could not be read, by path, with the reason.
    pub(super) problems: BTreeMap<String, String>,
    /// The maintenance windows not yet over, by backend (their alerts are held).
    pub(super) maintenance: BTreeMap<String, crate::store::Maintenance>,
    /// The maintenance file's stamp when it was last read.
    pub(super) maintenance_stamp: Option<Stamp>,
    /// When each active alert was last sent to the hooks (raised, or reminded), for
    /// `alert_repeat_secs`; an alert not here yet counts from its raise or this engine's start.
    pub(super) reminded: BTreeMap<(String, super::alerts::Rule), chrono::DateTime<chrono::Utc>>,
}

/// A backend's active alerts as its stats carry them.
pub(super) fn alert_briefs(alerts: &Alerts, id: &str) -> Vec<crate::stats::AlertBrief> {
    alerts
        .of_backend(id)
        .map(|a| crate::stats::AlertBrief {
            rule: a.rule.as_str().to_string(),
            message: a.message.clone(),
            since: a.raised_at.clone(),
        })
        .collect()
}

/// Applies the alert rules to a backend's stats as they are now, and sets its alerts (and with
/// them its `warning` or `full` health); returns what changed.
pub(super) fn judge(state: &mut State, id: &str, now: &str) -> Vec<Change> {
    // The entry and the alerts are two fields of the state: borrowed apart, no copy.
    let State {
        entries,
        alerts,
        settings,
        maintenance,
        ..
    } = state;
    let Some(entry) = entries.get_mut(id) else {
        return Vec::new();
    };
    let now_unix = unix_now();
    // The forecast follows the figures the rules are about to judge.
    entry.stats.forecast = entry.trails.observe(&entry.stats, now_unix);
    let thresholds = settings.thresholds(entry.doc.config());
    let global = settings.thresholds(&serde_json::Map::new());
    entry.stats.thresholds = thresholds.differing_from(&global);
    let in_maintenance = maintenance.contains_key(id);
    let changes = alerts.evaluate(
        &Facts {
            stats: &entry.stats,
            consecutive_failures: entry.failures,
            error_rate: entry.window.error_rate(),
            quota_alert_percent: thresholds.quota_alert_percent,
            error_rate_limit: thresholds.error_rate_alert_percent as f64 / 100.0,
            forecast_alert_secs: thresholds.forecast_alert_hours.saturating_mul(3_600),
            now_unix,
            credentials_rejected: entry.stats.health.failure.as_deref()
                == Some(probe::CREDENTIALS_CLASS),
            in_maintenance,
        },
        now,
    );
    entry.stats.set_alerts(alert_briefs(alerts, id));
    changes
}

/// Where a backend lives (its directory, bucket, node): a change means a new inventory.
pub(super) fn target_of(doc: &BackendDoc) -> Option<String> {
    Kind::parse(doc.kind())
        .ok()
        .map(|kind| kind.target(doc.config()))
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The last stats kept in the store, marked as coming from there.
pub(super) fn stored_stats(store: &Store, doc: &BackendDoc) -> BackendStats {
    let kept = store
        .read_metadata(&poll::stats_key(&doc.id))
        .ok()
        .flatten()
        .and_then(|entry| serde_json::from_value::<BackendStats>(entry.value).ok());
    // Never reached: no figures, and nothing to call stale.
    let reached = kept.is_some();
    let mut stats = kept.unwrap_or_default();
    stats.id = doc.id.clone();
    stats.kind = probe::clean(doc.kind());
    stats.enabled = doc.enabled();
    stats.stale = reached;
    stats.source = if reached {
        Source::Metadata
    } else {
        Source::Live
    };
    if let Some(health) = poll::unpolled_health(doc) {
        poll::mark_unpolled(&mut stats, health);
    }
    stats
}

/// The point of history of a poll that answered: its response time and the figures charted
/// (used bytes, objects, rates) as the stats hold them now.
pub(super) fn history_point(at: u64, response_ms: f32, stats: &BackendStats) -> Point {
    // A count that stopped at a limit grows as the counting goes on, not as the backend does.
    let counted = Some(&stats.files)
        .filter(|files| !files.partial)
        .and_then(|files| files.count);
    // A rate is a moment's figure: one kept from an earlier answer is not this poll's.
    let rate = |key: &str| {
        if stats.vital_as_of.contains_key(key) {
            return None;
        }
        stats
            .vital
            .get(key)
            .and_then(serde_json::Value::as_f64)
            .filter(|r| r.is_finite() && *r >= 0.0)
            .map(|r| r as f32)
    };
    Point {
        at,
        response_ms: Some(response_ms),
        used_bytes: stats.storage.used.or(stats.quota.used),
        objects: stats.quota.objects_used.or(counted),
        rate_in: rate("rate_in"),
        rate_out: rate("rate_out"),
        counts: None,
    }
}

/// Every point of a backend's history file as written (nothing when there is none yet).
pub(super) fn read_history_file(store: &Store, id: &str) -> Vec<Point> {
    history::decode_text(&store.read_history(id))
}

/// A backend's kept history from `since` on, read from its history file without a running
/// monitor (a command, or a console whose monitor has not started the backend).
pub fn stored_history(store: &Store, id: &str, since: u64) -> history::KeptHistory {
    let hours = store.settings().unwrap_or_default().history_hours();
    history::KeptHistory::new(read_history_file(store, id), unix_now(), hours, since)
}

/// When a backend's kept health began and why, from the last transition in its timeline, if
/// that transition led to the health it has now (a restart goes on timing the same state).
pub(super) fn stored_health_since(
    store: &Store,
    id: &str,
    status: crate::stats::HealthStatus,
) -> Option<(String, Option<String>)> {
    use super::timeline::{decode_text, What};
    decode_text(&store.read_events_tail(id, HEALTH_TAIL_BYTES))
        .into_iter()
        .rev()
        .find_map(|event| match event.what {
            What::Health { to, message, .. } => Some((to, event.at, message)),
            _ => None,
        })
        .filter(|(to, _, _)| *to == status)
        .map(|(_, at, message)| (at, message))
}

/// How much of a timeline's end is read at start for the last health transition.
const HEALTH_TAIL_BYTES: u64 = 32 * 1024;

/// Bytes read from a history file's end for the recent points at start: 720 lines of the
/// common kind (time, response, used) fit; a file of wider lines is read further back, up to
/// `RECENT_TAIL_MAX_BYTES` (720 lines with every figure).
const RECENT_TAIL_BYTES: u64 = 32 * 1024;
const RECENT_TAIL_MAX_BYTES: u64 = 96 * 1024;

/// A backend's recent points, read from the end of its history file: a start with 30 days of
/// history per backend must not wait for every file to be read before its first frame. The
/// rest is read in the background (`load_history`, `Shared::seed`).
pub(super) fn recent_history(store: &Store, id: &str) -> Series {
    let mut text = store.read_history_tail(id, RECENT_TAIL_BYTES);
    if text.lines().count() < history::RECENT_POINTS && text.len() as u64 >= RECENT_TAIL_BYTES / 2 {
        text = store.read_history_tail(id, RECENT_TAIL_MAX_BYTES);
    }
    // Only the last lines are parsed.
    let mut lines: Vec<&str> = text.lines().rev().take(history::RECENT_POINTS).collect();
    lines.reverse();
    let mut series = Series::default();
    for point in lines.into_iter().filter_map(history::decode_line) {
        series.push(point);
    }
    series
}

/// What the engine takes from a backend's whole history file, read in the background after
/// the backend started.
pub(super) struct LoadedHistory {
    /// How many lines the file holds.
    pub(super) lines: usize,
    /// The used bytes the forecast starts from.
    pub(super) trails: super::trail::Trails,
    /// The availability the kept history says, to go on from.
    pub(super) availability: AvailabilityTally,
}

/// Reads a backend's whole history file once (`history_hours`: where the file's buckets end;
/// `stats`: the kept figures, which say which used bytes the file holds for the forecast).
pub(super) fn load_history(
    store: &Store,
    id: &str,
    history_hours: u64,
    stats: &BackendStats,
) -> LoadedHistory {
    let text = store.read_history(id);
    let points = history::decode_text(&text);
    let trails = super::trail::Trails::seeded(&points, stats);
    // As kept: lines appended since the last compaction that are now older than
    // `history_hours` are taken as the buckets they will become.
    let kept = history::KeptHistory::new(points, unix_now(), history_hours, 0);
    LoadedHistory {
        lines: text.lines().count(),
        trails,
        availability: AvailabilityTally::seeded(&kept.points, kept.fine_from),
    }
}

/// The availability summary a backend's stats carry: none while no poll of 30 days counts.
pub(super) fn availability_summary(
    tally: &AvailabilityTally,
    now: u64,
) -> Option<AvailabilitySummary> {
    Some(tally.summary(now)).filter(|s| s.up_30d.is_some())
}

/// A backend's availability from its kept history and the alerts log, at `now`, with each
/// incident's reason (`health_message`: the current one, for an ongoing incident).
pub fn availability_of(
    kept: &history::KeptHistory,
    alerts: &[super::alerts::Alert],
    id: &str,
    health_message: Option<&str>,
    now: u64,
) -> availability::Availability {
    let mut computed = availability::compute(&kept.points, kept.fine_from, now);
    let secs = |text: &str| {
        crate::store::timestamp::parse(text).and_then(|at| u64::try_from(at.timestamp()).ok())
    };
    let down: Vec<availability::DownAlert> = alerts
        .iter()
        .filter(|a| a.backend == id && a.rule == super::alerts::Rule::Down)
        .filter_map(|a| {
            Some(availability::DownAlert {
                raised: secs(&a.raised_at)?,
                cleared: a.cleared_at.as_deref().and_then(secs),
                message: a.message.clone(),
            })
        })
        .collect();
    availability::attach_reasons(&mut computed.incidents, &down, health_message, now);
    computed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::HealthStatus;
    use serde_json::json;

    fn local(store: &Store, id: &str) -> BackendDoc {
        let config = json!({"type": "local", "path": "/srv/objects"});
        let serde_json::Value::Object(config) = config else {
            unreachable!()
        };
        store.create_backend(id, config).unwrap()
    }

    #[test]
    fn a_point_charts_this_polls_figures_and_never_a_kept_rate_or_a_partial_count() {
        let mut stats = BackendStats::default();
        stats.quota.used = Some(700);
        stats.files.count = Some(40);
        stats.vital.insert("rate_in".into(), json!(12.5));
        stats.vital.insert("rate_out".into(), json!(-3.0));
        let point = history_point(1_000, 8.5, &stats);
        assert_eq!(point.at, 1_000);
        assert_eq!(point.response_ms, Some(8.5));
        assert_eq!(
            point.used_bytes,
            Some(700),
            "the quota's used when no filesystem's"
        );
        assert_eq!(point.objects, Some(40), "the count when no object quota");
        assert_eq!(point.rate_in, Some(12.5));
        assert_eq!(point.rate_out, None, "a negative rate is no rate");

        stats.storage.used = Some(900);
        stats.quota.objects_used = Some(41);
        stats
            .vital_as_of
            .insert("rate_in".into(), "2026-12-07T10:00:00Z".into());
        let point = history_point(1_005, 9.0, &stats);
        assert_eq!(point.used_bytes, Some(900), "the filesystem's first");
        assert_eq!(point.objects, Some(41), "the quota's objects first");
        assert_eq!(point.rate_in, None, "a rate kept from an earlier answer");

        stats.quota.objects_used = None;
        stats.files.partial = true;
        assert_eq!(
            history_point(1_010, 9.0, &stats).objects,
            None,
            "a count stopped at a limit grows with the counting, not the backend"
        );
    }

    #[test]
    fn stats_never_kept_are_live_and_unreached_and_kept_ones_are_stale_from_the_store() {
        let home = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(home.path()).unwrap();
        let doc = local(&store, "objs");
        let fresh = stored_stats(&store, &doc);
        assert_eq!((fresh.id.as_str(), fresh.kind.as_str()), ("objs", "local"));
        assert!(!fresh.stale, "nothing kept: nothing to call stale");
        assert_eq!(fresh.source, Source::Live);

        let mut kept = BackendStats::default();
        kept.health.status = HealthStatus::Healthy;
        kept.storage.used = Some(123);
        store
            .write_metadata(
                &poll::stats_key("objs"),
                serde_json::to_value(&kept).unwrap(),
            )
            .unwrap();
        let read = stored_stats(&store, &doc);
        assert!(read.stale);
        assert_eq!(read.source, Source::Metadata);
        assert_eq!(read.storage.used, Some(123));
        assert_eq!(read.id, "objs", "the id is the config's, whatever was kept");
    }

    #[test]
    fn the_history_read_at_start_is_the_recent_points_and_the_files_line_count() {
        let home = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(home.path()).unwrap();
        local(&store, "objs");
        let series = recent_history(&store, "objs");
        let LoadedHistory { lines, .. } =
            load_history(&store, "objs", 24, &BackendStats::default());
        assert_eq!((series.len(), lines), (0, 0), "no file yet");
        assert!(read_history_file(&store, "objs").is_empty());
        let total = history::RECENT_POINTS + 5;
        let text: String = (0..total as u64)
            .map(|i| {
                history::encode_line(&Point {
                    at: 1_000 + i,
                    response_ms: Some(1.0),
                    ..Point::default()
                })
            })
            .collect();
        store
            .write_batch(vec![crate::store::BatchWrite::AppendHistory {
                id: "objs".into(),
                bytes: text.into_bytes(),
            }])
            .unwrap();
        let series = recent_history(&store, "objs");
        let LoadedHistory { lines, .. } =
            load_history(&store, "objs", 24, &BackendStats::default());
        assert_eq!(lines, total, "every line counted, to know when to compact");
        assert_eq!(
            series.len(),
            history::RECENT_POINTS,
            "only the recent points held"
        );
        assert_eq!(read_history_file(&store, "objs").len(), total);
    }

    #[test]
    fn the_engine_starts_a_backend_with_the_availability_its_history_file_says() {
        let home = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(home.path()).unwrap();
        local(&store, "objs");
        let now = unix_now();
        // Two days ago a bucket of 60 polls, 30 failed (written compacted); in the last hour
        // 100 polls every 10 s, polls 20 to 49 failed: one incident of 300 s.
        let bucket = Point {
            at: now - 2 * 86_400 - (now % 600),
            response_ms: Some(3.0),
            counts: Some(history::PollCounts {
                answered: 30,
                failed: 30,
            }),
            ..Point::default()
        };
        let mut text = history::encode_line(&bucket);
        for i in 0..100u64 {
            text.push_str(&history::encode_line(&Point {
                at: now - 1_000 + i * 10,
                response_ms: (!(20..50).contains(&i)).then_some(1.0),
                ..Point::default()
            }));
        }
        store
            .write_batch(vec![crate::store::BatchWrite::AppendHistory {
                id: "objs".into(),
                bytes: text.into_bytes(),
            }])
            .unwrap();
        let loaded = load_history(&store, "objs", 24, &BackendStats::default());
        let summary = availability_summary(&loaded.availability, now).unwrap();
        assert_eq!(summary.up_24h, Some(70.0));
        assert_eq!(summary.up_7d, Some(100.0 * 100.0 / 160.0));
        assert_eq!(summary.incidents_30d, 1);
        assert_eq!(summary.mttr_secs, Some(300));
        assert_eq!(summary.down_since, None);
        // No history: nothing to say, not 0 %.
        local(&store, "fresh");
        let empty = load_history(&store, "fresh", 24, &BackendStats::default());
        assert_eq!(availability_summary(&empty.availability, now), None);
    }

    #[test]
    fn a_backends_target_is_where_it_lives_and_an_unknown_kind_has_none() {
        let home = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(home.path()).unwrap();
        let doc = local(&store, "objs");
        assert!(target_of(&doc).is_some_and(|t| t.contains("/srv/objects")));
        let serde_json::Value::Object(odd) = json!({"type": "lassie"}) else {
            unreachable!()
        };
        let odd = store.create_backend("odd", odd).unwrap();
        assert_eq!(target_of(&odd), None);
    }
}
