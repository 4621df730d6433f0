//! The supervisor: every `scan_every` it compares the backends' files with what the engine
//! knows (one stat of the directory says whether to look at every file) and starts, restarts
//! or stops pollers; a backend's poll interval and the jitter that spreads them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::alerts::Closed;
use super::state::{
    availability_summary, load_history, recent_history, stored_health_since, stored_stats,
    target_of, unix_now, Entry,
};
use super::window::Window;
use super::writer::WriteOp;
use super::{lock, schedule, tally, Event, Shared, FULL_SCAN_EVERY};
use crate::poll;
use crate::probe;
use crate::stats::HealthStatus;
use crate::store::{timestamp, BackendDoc, Settings};

use super::timeline::{decode_text, Origin, TimelineEvent, What};

/// Whether a timeline line (`line`) is its author's own record of the change seen (`seen`,
/// which wrote `updated`): the same kind of change, the same `updated`, by one of ours, and for
/// an edit, the fields seen changing among those it names (a writer that leaves `updated` as
/// it was, editing other fields, is not taken for the command that wrote it last).
fn claimed_by_line(line: &What, seen: &What, updated: &str) -> bool {
    let ours = |origin: &Origin, u: &Option<String>| {
        *origin != Origin::OtherWriter && u.as_deref() == Some(updated)
    };
    match (line, seen) {
        (
            What::Created {
                origin, updated: u, ..
            },
            What::Created { .. },
        )
        | (What::Enabled { origin, updated: u }, What::Enabled { .. })
        | (What::Disabled { origin, updated: u }, What::Disabled { .. }) => ours(origin, u),
        (
            What::Edited {
                origin,
                updated: u,
                fields: named,
            },
            What::Edited { fields: seen, .. },
        ) => ours(origin, u) && seen.iter().all(|f| named.contains(f)),
        _ => false,
    }
}

/// How long after it sees a config change the supervisor waits for its author to say it made
/// it (a command appends its own line just after writing the file), before putting it down to
/// another writer.
pub const CLAIM_GRACE: Duration = Duration::from_secs(3);

/// A config change seen in the files whose author is not known yet.
pub(super) struct Unclaimed {
    id: String,
    /// The backend file's `updated` after the change: how its author's own line names it.
    updated: Option<String>,
    /// The event to record if nobody claims it (`at` is when it was seen).
    event: TimelineEvent,
    seen: tokio::time::Instant,
}

/// The `updated` a backend file holds.
fn updated_of(doc: &BackendDoc) -> Option<String> {
    doc.doc
        .get("updated")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
}

/// The config fields whose values differ between two configs, by name (never a value: it may
/// be a secret), `enabled` left out (it is an event of its own).
fn changed_fields(
    before: &serde_json::Map<String, serde_json::Value>,
    after: &serde_json::Map<String, serde_json::Value>,
) -> Vec<String> {
    let mut fields: Vec<String> = before
        .keys()
        .chain(after.keys().filter(|k| !before.contains_key(*k)))
        .filter(|k| before.get(*k) != after.get(*k) && *k != "enabled")
        .map(|k| probe::clean(k))
        .collect();
    fields.sort();
    fields
}

impl Shared {
    /// Queues the timeline events of a change seen in the files, to be put down to another
    /// writer unless this process or a command claims it within `CLAIM_GRACE`.
    ///
    /// Why claims: the engine sees every change through the files, whoever made it. A change
    /// made through `Api` knows its origin: the console's api records it in the engine and
    /// tells it so (`Monitor::claim_change`); a command, which runs no engine, appends its own
    /// line carrying the file's new `updated`. What nobody claimed is "another writer" (the
    /// Python library, an editor). The grace covers the moment between a command's write of
    /// the file and of its line.
    fn change_seen(&self, id: &str, before: Option<&BackendDoc>, after: &BackendDoc) {
        let updated = updated_of(after);
        let origin = Origin::OtherWriter;
        let mut whats = Vec::new();
        match before {
            None => {
                let mut fields: Vec<String> =
                    after.config().keys().map(|k| probe::clean(k)).collect();
                fields.sort();
                whats.push(What::Created {
                    origin,
                    fields,
                    updated: updated.clone(),
                });
            }
            Some(before) => {
                let fields = changed_fields(before.config(), after.config());
                if !fields.is_empty() {
                    whats.push(What::Edited {
                        origin,
                        fields,
                        updated: updated.clone(),
                    });
                }
                if before.enabled() != after.enabled() {
                    let updated = updated.clone();
                    whats.push(if after.enabled() {
                        What::Enabled { origin, updated }
                    } else {
                        What::Disabled { origin, updated }
                    });
                }
            }
        }
        let seen = tokio::time::Instant::now();
        let mut claims = lock(&self.claims);
        for what in whats {
            claims.unclaimed.push(Unclaimed {
                id: id.to_string(),
                updated: updated.clone(),
                event: TimelineEvent::now(what),
                seen,
            });
        }
    }

    /// Records the changes seen that nobody claimed within `CLAIM_GRACE`, as another writer's.
    /// Written at the next flush, like health and alerts: they are rare.
    fn settle_claims(&self) {
        let due: Vec<Unclaimed> = {
            let mut claims = lock(&self.claims);
            if claims.unclaimed.is_empty() {
                return;
            }
            let (due, waiting): (Vec<Unclaimed>, Vec<Unclaimed>) = claims
                .unclaimed
                .drain(..)
                .partition(|u| u.seen.elapsed() >= CLAIM_GRACE);
            claims.unclaimed = waiting;
            due.into_iter()
                .filter(|u| {
                    !u.updated.as_ref().is_some_and(|updated| {
                        claims
                            .ours
                            .iter()
                            .any(|(id, ours)| *id == u.id && ours == updated)
                    })
                })
                .collect()
        };
        for change in due {
            if let Some(updated) = &change.updated {
                let claimed = decode_text(&self.store.read_events_tail(&change.id, 64 * 1024))
                    .into_iter()
                    .find(|e| claimed_by_line(&e.what, &change.event.what, updated));
                if let Some(line) = claimed {
                    // A command's own line: announced (a console shows it live), not recorded
                    // again.
                    let _ = self.events.send(Event::Timeline {
                        id: change.id.clone(),
                        event: Box::new(line),
                    });
                    continue;
                }
            }
            self.record_event_at(&change.id, change.event, true);
        }
    }

    pub(super) fn interval(&self, doc: &BackendDoc, settings: &Settings) -> Duration {
        let own = doc
            .config()
            .get("poll_interval")
            .and_then(serde_json::Value::as_u64)
            .map(Duration::from_secs);
        let global = self
            .config
            .refresh_override
            .unwrap_or_else(|| Duration::from_secs(settings.refresh_secs()));
        own.unwrap_or(global).max(Duration::from_secs(1))
    }

    pub(super) fn jitter_unit(&self) -> f64 {
        lock(&self.rng).f64()
    }

    /// Compares the files with what is known and starts, restarts or stops pollers.
    pub(super) fn scan(self: &Arc<Self>, first: bool) {
        self.settle_claims();
        let main_stamp = self.store.main_stamp();
        // Every write of ours (and any add or remove) renames a file in backends/, which
        // changes the directory's own stamp: one stat says whether to look at 1,000 files. A
        // writer that edits a file in place (the Python library) is caught by the full look
        // every FULL_SCAN_EVERY.
        let dir_stamp = self.store.backends_dir_stamp();
        // Every scan, quiet or not: a window set by another process, or one whose time is up,
        // is seen within one scan even when no poll is due.
        if !first {
            self.follow_maintenance();
            self.remind();
        }
        {
            let state = lock(&self.state);
            let quiet = !first
                && dir_stamp.is_some()
                && dir_stamp == state.backends_dir_stamp
                && main_stamp == state.main_stamp
                && state
                    .last_full_scan
                    .is_some_and(|at| at.elapsed() < FULL_SCAN_EVERY);
            if quiet {
                return;
            }
        }
        let stamps = match self.store.backend_stamps() {
            Ok(stamps) => stamps,
            Err(err) => {
                self.store
                    .log("ERROR", &format!("cannot list backends: {err}"));
                return;
            }
        };
        let mut state = lock(&self.state);
        let mut to_seed = Vec::new();
        state.backends_dir_stamp = dir_stamp;
        state.last_full_scan = Some(tokio::time::Instant::now());
        let mut settings_changed = false;
        if main_stamp != state.main_stamp {
            state.main_stamp = main_stamp;
            if let Ok(settings) = self.store.settings() {
                settings_changed = settings.refresh_secs() != state.settings.refresh_secs();
                state.settings = settings;
            }
        }
        let now = timestamp::now();
        // Removed.
        let gone: Vec<String> = state
            .entries
            .keys()
            .filter(|id| stamps.binary_search_by(|(s, _)| s.cmp(id)).is_err())
            .cloned()
            .collect();
        for id in gone {
            if let Some(mut entry) = state.entries.remove(&id) {
                if let Some(task) = entry.task.take() {
                    task.abort();
                }
                if let Some(task) = entry.inventory_task.take() {
                    task.abort();
                }
            }
            let changes = state.alerts.close_backend(&id, &now, Closed::Removed);
            self.announce_alerts(&state, changes);
            lock(&self.timeline).remove(&id);
            lock(&self.claims).unclaimed.retain(|u| u.id != id);
            let _ = self.writes.send(WriteOp::Forget(id.clone()));
            let _ = self.events.send(Event::BackendRemoved(id));
        }
        // New or changed.
        for (id, stamp) in stamps {
            let known = state.entries.get(&id).map(|e| e.stamp);
            if known == Some(stamp) && !settings_changed {
                continue;
            }
            let doc = match self.store.get_backend(&id) {
                Ok(doc) => doc,
                Err(err) => {
                    state.problems.insert(id.clone(), err.to_string());
                    continue;
                }
            };
            state.problems.remove(&id);
            let settings = state.settings.clone();
            match state.entries.get_mut(&id) {
                Some(entry) => {
                    let config_changed = entry.doc.doc.get("config") != doc.doc.get("config");
                    if config_changed {
                        self.change_seen(&id, Some(&entry.doc), &doc);
                    }
                    let health_before = entry.stats.health.status;
                    entry.stamp = stamp;
                    if !config_changed && !settings_changed {
                        entry.doc = doc;
                        continue;
                    }
                    if let Some(task) = entry.task.take() {
                        task.abort();
                    }
                    if target_of(&entry.doc) != target_of(&doc) {
                        // Counted elsewhere: the kept inventory (and any place to resume
                        // from) is of another directory, bucket or node.
                        if let Some(task) = entry.inventory_task.take() {
                            task.abort();
                        }
                        entry.inventory = None;
                        entry.last_pulse = None;
                        if let Err(err) = self.store.remove_metadata(&poll::inventory_key(&id)) {
                            self.store.log(
                                "WARNING",
                                &format!("cannot drop the inventory of '{id}': {err}"),
                            );
                        }
                    }
                    entry.stats.enabled = doc.enabled();
                    entry.stats.kind = probe::clean(doc.kind());
                    if let Some(health) = poll::unpolled_health(&doc) {
                        poll::mark_unpolled(&mut entry.stats, health);
                    }
                    self.note_health(&id, entry, health_before, &now);
                    entry.failures = 0;
                    entry.doc = doc;
                    if config_changed {
                        let _ = self.events.send(Event::BackendUpdated(id.clone()));
                    }
                    // A changed config is polled at once.
                    self.spawn_poller(&settings, entry, Duration::ZERO);
                    if !entry.doc.enabled() {
                        entry.stats.alerts.clear();
                        let changes = state.alerts.close_backend(&id, &now, Closed::Disabled);
                        self.announce_alerts(&state, changes);
                    }
                }
                None => {
                    if !first {
                        self.change_seen(&id, None, &doc);
                    }
                    // The kept stats (with their last availability and forecast) and the
                    // recent points now; the whole history file in the background.
                    let stats = stored_stats(&self.store, &doc);
                    let history = recent_history(&self.store, &id);
                    to_seed.push(id.clone());
                    // A backend that was down when we stopped is still down until it answers:
                    // its down alert must not clear and rise again over a restart.
                    let failures = if stats.health.status == HealthStatus::Down {
                        schedule::RETRY_BUDGET
                    } else {
                        0
                    };
                    let inventory = poll::load_inventory(&self.store, &id);
                    let mut entry = Entry {
                        stats,
                        doc,
                        stamp,
                        window: Window::default(),
                        history,
                        history_lines: 0,
                        trails: Default::default(),
                        unseeded: Some(Vec::new()),
                        tally: tally::PollTally::default(),
                        availability: Default::default(),
                        failures,
                        task: None,
                        wake: Arc::new(Notify::new()),
                        inventory,
                        inventory_task: None,
                        inventory_asked: false,
                        last_pulse: None,
                        inventory_ended: None,
                        health_since: None,
                    };
                    entry.health_since =
                        stored_health_since(&self.store, &id, entry.stats.health.status);
                    let interval = self.interval(&entry.doc, &settings);
                    // The first polls of a fresh start spread over one interval; a backend added
                    // while running is polled at once.
                    let delay = if first {
                        schedule::first_delay(interval, self.jitter_unit())
                    } else {
                        Duration::ZERO
                    };
                    self.spawn_poller(&settings, &mut entry, delay);
                    state.entries.insert(id.clone(), entry);
                    if !first {
                        let _ = self.events.send(Event::BackendCreated(id));
                    }
                }
            }
        }
        drop(state);
        self.seed_later(to_seed);
        if first {
            self.follow_maintenance();
        }
    }

    /// Reads the whole history files of backends just started, one after the other on a
    /// blocking thread (at once where there is no runtime: a test's engine).
    fn seed_later(self: &Arc<Self>, ids: Vec<String>) {
        if ids.is_empty() {
            return;
        }
        let shared = self.clone();
        let work = move || {
            for id in ids {
                shared.seed(&id);
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(work)),
            Err(_) => work(),
        }
    }

    /// Seeds a backend's availability, forecast trail and line count from its whole history
    /// file, replays the polls made while it was read, and announces the figures.
    fn seed(&self, id: &str) {
        let (hours, interval, stats) = {
            let state = lock(&self.state);
            match state.entries.get(id) {
                Some(entry) if entry.unseeded.is_some() => (
                    state.settings.history_hours(),
                    self.interval(&entry.doc, &state.settings),
                    entry.stats.clone(),
                ),
                _ => return,
            }
        };
        // The file is read and parsed without the lock.
        let loaded = load_history(&self.store, id, hours, &stats);
        let mut state = lock(&self.state);
        let Some(entry) = state.entries.get_mut(id) else {
            return;
        };
        let Some(meanwhile) = entry.unseeded.take() else {
            return;
        };
        let mut availability = loaded.availability;
        for point in &meanwhile {
            availability.observe(point, false);
        }
        let mut trails = loaded.trails;
        trails.replay(&meanwhile, &entry.stats);
        let now = unix_now();
        entry.availability = availability;
        entry.trails = trails;
        entry.history_lines += loaded.lines;
        // A file that grew past its bound (the engine was off, or kept more hours before) is
        // compacted now, as a poll would have asked once it knew the file's length.
        let bound = super::history::retained_len(interval.as_secs(), hours);
        if entry.history_lines > 2 * bound + 1000 {
            entry.history_lines = bound;
            let _ = self.writes.send(WriteOp::HistoryCompact {
                id: id.to_string(),
                hours,
            });
        }
        entry.stats.availability = availability_summary(&entry.availability, now);
        entry.stats.forecast = entry.trails.observe(&entry.stats, now);
        let _ = self.events.send(Event::StatsUpdated {
            stats: Box::new(entry.stats.clone()),
            point: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn edited(origin: Origin, fields: &[&str], updated: &str) -> What {
        What::Edited {
            origin,
            fields: fields.iter().map(|f| f.to_string()).collect(),
            updated: Some(updated.into()),
        }
    }

    #[test]
    fn a_change_is_claimed_only_by_our_own_line_for_it() {
        let seen = edited(Origin::OtherWriter, &["path"], "U1");
        assert!(claimed_by_line(
            &edited(Origin::Cli, &["path", "max_files"], "U1"),
            &seen,
            "U1"
        ));
        assert!(
            !claimed_by_line(&edited(Origin::Cli, &["path"], "U0"), &seen, "U1"),
            "another change's line"
        );
        assert!(
            !claimed_by_line(&edited(Origin::Cli, &["max_files"], "U1"), &seen, "U1"),
            "a writer that kept `updated` and changed other fields"
        );
        assert!(
            !claimed_by_line(&edited(Origin::OtherWriter, &["path"], "U1"), &seen, "U1"),
            "our own record of another writer"
        );
        let disabled = What::Disabled {
            origin: Origin::Cli,
            updated: Some("U1".into()),
        };
        assert!(claimed_by_line(&disabled, &disabled, "U1"));
        assert!(!claimed_by_line(&disabled, &seen, "U1"), "another kind");
    }

    #[test]
    fn changed_fields_are_names_of_values_that_differ_enabled_apart() {
        let before = json!({"type": "s3", "secret_key": "a", "bucket": "x", "enabled": true});
        let after = json!({"type": "s3", "secret_key": "b", "region": "r", "enabled": false});
        assert_eq!(
            changed_fields(before.as_object().unwrap(), after.as_object().unwrap()),
            ["bucket", "region", "secret_key"]
        );
    }
}
