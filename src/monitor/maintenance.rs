//! Maintenance windows and alert reminders, as the engine follows them at every scan.
//!
//! Maintenance: the windows are kept by the store (`metadata/maintenance.json`, written by this
//! console, the command line, or another process); the engine reads the file again when its
//! stamp changes, and notices a window whose time is up by the clock, even when no poll is due.
//! While a backend is in one, it is polled as usual but no alert of it is raised (so no hook
//! hears of one); an alert already active when the window starts stays active, follows its
//! figure and clears when it recovers — its clear goes to the hooks, which heard of its raise —
//! and sends no reminder. When the window ends, the backend is judged again at once: a
//! condition still true is raised then, once. Each start, change and end is announced as one
//! `Event::Maintenance`.
//!
//! Reminders (`alert_repeat_secs`): an alert still active, not acknowledged, not silenced and
//! whose backend is not in maintenance is sent to the hooks again once that long has passed
//! since it was last sent, marked as a reminder.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::alerts::Rule;
use super::state::judge;
use super::writer::WriteOp;
use super::{hooks, lock, Event, Shared};
use crate::stats::MaintenanceBrief;
use crate::store::{timestamp, Maintenance};

/// What happened to a backend's maintenance window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaintenanceChange {
    Started,
    /// Its end (or reason) was changed while it ran.
    Changed,
    /// Ended by an operator before its time.
    Ended,
    /// Its time was up.
    Expired,
}

/// One change of one backend's maintenance window.
#[derive(Clone, Debug, PartialEq)]
pub struct MaintenanceEvent {
    pub backend: String,
    pub change: MaintenanceChange,
    /// The window as it is now (started, changed), or as it was (ended, expired).
    pub window: Maintenance,
}

impl MaintenanceEvent {
    /// The event for people: `maintenance of 'kubo' ended (its time was up)`.
    pub fn describe(&self) -> String {
        let id = crate::text::sanitize(&self.backend, 80);
        let until = timestamp::local_minute(&self.window.until);
        let reason = self
            .window
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        match self.change {
            MaintenanceChange::Started => {
                format!("'{id}' in maintenance until {until}{reason} (alerts held)")
            }
            MaintenanceChange::Changed => {
                format!("'{id}' in maintenance, now until {until}{reason}")
            }
            MaintenanceChange::Ended => format!("maintenance of '{id}' ended"),
            MaintenanceChange::Expired => {
                format!("maintenance of '{id}' ended: its time was up")
            }
        }
    }
}

/// How the windows changed from `before` to `after` (windows over at `now` already left out of
/// `after`).
pub(super) fn changes(
    before: &BTreeMap<String, Maintenance>,
    after: &BTreeMap<String, Maintenance>,
    now: DateTime<Utc>,
) -> Vec<MaintenanceEvent> {
    let mut events = Vec::new();
    for (id, window) in before {
        if after.contains_key(id) {
            continue;
        }
        let change = if window.is_over(now) {
            MaintenanceChange::Expired
        } else {
            MaintenanceChange::Ended
        };
        events.push(MaintenanceEvent {
            backend: id.clone(),
            change,
            window: window.clone(),
        });
    }
    for (id, window) in after {
        let change = match before.get(id) {
            None => MaintenanceChange::Started,
            Some(old) if old != window => MaintenanceChange::Changed,
            Some(_) => continue,
        };
        events.push(MaintenanceEvent {
            backend: id.clone(),
            change,
            window: window.clone(),
        });
    }
    events
}

impl Shared {
    /// Reads the maintenance windows again if their file changed, drops those whose time is
    /// up, and carries each change out: the backend's stats say it, its alerts are judged
    /// again when one ends (a held condition is raised then), and it is announced.
    pub(super) fn follow_maintenance(self: &Arc<Self>) {
        let stamp = self.store.maintenance_stamp();
        let now = Utc::now();
        let reread = {
            let state = lock(&self.state);
            stamp != state.maintenance_stamp
        };
        // Read outside the state's lock (it takes the file system's time).
        let read = if reread {
            match self.store.maintenance_windows() {
                Ok(windows) => Some(windows),
                Err(err) => {
                    self.store.log(
                        "WARNING",
                        &format!("cannot read the maintenance windows: {err}"),
                    );
                    None
                }
            }
        } else {
            None
        };
        let mut state = lock(&self.state);
        if read.is_some() {
            state.maintenance_stamp = stamp;
        }
        let mut after = read.unwrap_or_else(|| state.maintenance.clone());
        after.retain(|_, window| !window.is_over(now));
        let events = changes(&state.maintenance, &after, now);
        state.maintenance = after;
        let stamp_now = timestamp::now();
        let ids: Vec<String> = state.entries.keys().cloned().collect();
        for id in ids {
            let brief = state.maintenance.get(&id).map(MaintenanceBrief::of);
            let Some(entry) = state.entries.get_mut(&id) else {
                continue;
            };
            if entry.stats.maintenance == brief {
                continue;
            }
            entry.stats.maintenance = brief;
            let ended = entry.stats.maintenance.is_none();
            // Judged again only once polled: a backend never polled has no facts to judge.
            let judged = ended && entry.stats.health.checked_at.is_some();
            let alert_changes = if judged {
                judge(&mut state, &id, &stamp_now)
            } else {
                Vec::new()
            };
            let Some(entry) = state.entries.get(&id) else {
                continue;
            };
            let stats = entry.stats.clone();
            let _ = self.writes.send(WriteOp::Stats(Box::new(stats.clone())));
            self.announce_alerts(&state, alert_changes);
            let _ = self.events.send(Event::StatsUpdated {
                stats: Box::new(stats),
                point: None,
            });
        }
        for event in events {
            // A removed backend's window goes with it, unannounced.
            if !state.entries.contains_key(&event.backend) {
                continue;
            }
            self.store.log("INFO", &event.describe());
            // The backend's timeline says each start (a change of its end as a new start) and
            // each end, and how it ended.
            use super::timeline::{MaintenanceEnd, What};
            let what = match event.change {
                MaintenanceChange::Started | MaintenanceChange::Changed => {
                    What::MaintenanceStarted {
                        until: crate::store::timestamp::format(event.window.until),
                        reason: event.window.reason.clone(),
                    }
                }
                MaintenanceChange::Ended => What::MaintenanceEnded {
                    how: MaintenanceEnd::EndedEarly,
                },
                MaintenanceChange::Expired => What::MaintenanceEnded {
                    how: MaintenanceEnd::Expired,
                },
            };
            self.record_event(&event.backend, what, true);
            let _ = self.events.send(Event::Maintenance(event));
        }
    }

    /// Sends each alert due for a reminder to the hooks again (`alert_repeat_secs`).
    pub(super) fn remind(&self) {
        let mut state = lock(&self.state);
        let Some(every) = state.settings.alert_repeat() else {
            state.reminded.clear();
            return;
        };
        let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
        let now = Utc::now();
        let fixed_now = now.fixed_offset();
        let targets = hooks::Targets::of(&state.settings);
        let mut due = Vec::new();
        let mut still_active: Vec<(String, Rule)> = Vec::new();
        for alert in state.alerts.active() {
            let key = (alert.backend.clone(), alert.rule);
            still_active.push(key.clone());
            let quiet = alert.acknowledged_at.is_some()
                || alert.is_silenced(&fixed_now)
                || state.maintenance.contains_key(&alert.backend);
            if quiet {
                continue;
            }
            let last = state.reminded.get(&key).copied().unwrap_or_else(|| {
                // Raised before this engine started: counted from the start, so that a console
                // opened does not remind of every old alert at once.
                timestamp::parse(&alert.raised_at)
                    .map(|at| at.with_timezone(&Utc))
                    .map_or(self.started_at, |raised| raised.max(self.started_at))
            });
            if now - last >= every {
                due.push(alert.clone());
            }
        }
        state
            .reminded
            .retain(|key, _| still_active.binary_search(key).is_ok());
        for alert in due {
            state
                .reminded
                .insert((alert.backend.clone(), alert.rule), now);
            let kind = state.entries.get(&alert.backend).map(|e| e.doc.kind());
            self.hook_feed.remind(&targets, &alert, kind);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(from_now_secs: i64) -> Maintenance {
        let now = Utc::now();
        Maintenance {
            since: now,
            until: now + chrono::Duration::seconds(from_now_secs),
            reason: None,
        }
    }

    #[test]
    fn starts_changes_ends_and_expiries_told_apart() {
        let now = Utc::now();
        let mut before = BTreeMap::new();
        before.insert("ended".to_string(), window(3600));
        before.insert("expired".to_string(), window(-1));
        before.insert("kept".to_string(), window(3600));
        before.insert("moved".to_string(), window(3600));
        let mut after = BTreeMap::new();
        after.insert("kept".to_string(), before["kept"].clone());
        after.insert("moved".to_string(), window(7200));
        after.insert("new".to_string(), window(60));
        let got: Vec<(String, MaintenanceChange)> = changes(&before, &after, now)
            .into_iter()
            .map(|e| (e.backend, e.change))
            .collect();
        assert_eq!(
            got,
            [
                ("ended".to_string(), MaintenanceChange::Ended),
                ("expired".to_string(), MaintenanceChange::Expired),
                ("moved".to_string(), MaintenanceChange::Changed),
                ("new".to_string(), MaintenanceChange::Started),
            ]
        );
    }
}
