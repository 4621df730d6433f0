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
use crate::stats::{BackendStats, InventoryRecord, Measurement, Source};
use crate::store::{BackendDoc, Settings, Stamp, Store};

/// Everything known about one backend.
pub(super) struct Entry {
    pub(super) doc: BackendDoc,
    pub(super) stamp: Stamp,
    pub(super) stats: BackendStats,
    pub(super) window: Window,
    pub(super) history: Series,
    /// Lines in the history file since it was last rewritten (to know when to compact).
    pub(super) history_lines: usize,
    /// This engine's polls of the backend: by result, and how long they took.
    pub(super) tally: tally::PollTally,
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
pub(super) fn judge(
    state: &mut State,
    id: &str,
    quota_alert_percent: u64,
    now: &str,
) -> Vec<Change> {
    // The entry and the alerts are two fields of the state: borrowed apart, no copy.
    let State {
        entries, alerts, ..
    } = state;
    let Some(entry) = entries.get_mut(id) else {
        return Vec::new();
    };
    let changes = alerts.evaluate(
        &Facts {
            stats: &entry.stats,
            consecutive_failures: entry.failures,
            error_rate: entry.window.error_rate(),
            quota_alert_percent,
            credentials_rejected: entry.stats.health.failure.as_deref()
                == Some(probe::CREDENTIALS_CLASS),
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

pub(super) fn unix_now() -> u64 {
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

/// The recent points of a backend's history file, and how many lines the file holds.
pub(super) fn load_history(store: &Store, id: &str) -> (Series, usize) {
    let mut series = Series::default();
    let text = store.read_history(id);
    let points = history::decode_text(&text);
    let skip = points.len().saturating_sub(history::RECENT_POINTS);
    for point in points.into_iter().skip(skip) {
        series.push(point);
    }
    (series, text.lines().count())
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
        let (series, lines) = load_history(&store, "objs");
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
        let (series, lines) = load_history(&store, "objs");
        assert_eq!(lines, total, "every line counted, to know when to compact");
        assert_eq!(
            series.len(),
            history::RECENT_POINTS,
            "only the recent points held"
        );
        assert_eq!(read_history_file(&store, "objs").len(), total);
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
