//! The supervisor: every `scan_every` it compares the backends' files with what the engine
//! knows (one stat of the directory says whether to look at every file) and starts, restarts
//! or stops pollers; a backend's poll interval and the jitter that spreads them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::alerts::Closed;
use super::state::{availability_summary, load_history, stored_stats, target_of, unix_now, Entry};
use super::window::Window;
use super::writer::WriteOp;
use super::{lock, schedule, tally, Event, Shared, FULL_SCAN_EVERY};
use crate::poll;
use crate::probe;
use crate::stats::HealthStatus;
use crate::store::{timestamp, BackendDoc, Settings};

impl Shared {
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
                    let mut stats = stored_stats(&self.store, &doc);
                    let loaded = load_history(&self.store, &id, settings.history_hours(), &stats);
                    stats.availability = availability_summary(&loaded.availability, unix_now());
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
                        history: loaded.series,
                        history_lines: loaded.lines,
                        trails: loaded.trails,
                        tally: tally::PollTally::default(),
                        availability: loaded.availability,
                        failures,
                        task: None,
                        wake: Arc::new(Notify::new()),
                        inventory,
                        inventory_task: None,
                        inventory_asked: false,
                        last_pulse: None,
                        inventory_ended: None,
                    };
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
        if first {
            self.follow_maintenance();
        }
    }
}
