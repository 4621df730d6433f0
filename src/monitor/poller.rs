//! One backend's poller (single-flight, its own interval, backoff while failing, the suspect
//! gate) and what a poll's answer does: the entry's figures, window, tally and history, its
//! alerts judged and announced, the writes queued.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::alerts::Change;
use super::history::{self, Point};
use super::state::{availability_summary, history_point, judge, unix_now, Entry, State};
use super::timeline::{self, What};
use super::writer::WriteOp;
use super::{hooks, lock, schedule, tally, Event, Shared, STEP_ASIDE};
use crate::backends::Kind;
use crate::poll;
use crate::probe::ProbeError;
use crate::stats::{HealthStatus, Measurement};
use crate::store::{timestamp, Settings};

/// Polls kept for the replay at most while a backend's history file is read (hours of 1 s
/// polls: the read takes seconds).
const UNSEEDED_MAX: usize = 10_000;

impl Shared {
    pub(super) fn spawn_poller(
        self: &Arc<Self>,
        settings: &Settings,
        entry: &mut Entry,
        first_delay: Duration,
    ) {
        if !entry.doc.enabled() || Kind::parse(entry.doc.kind()).is_err() {
            return;
        }
        let interval = self.interval(&entry.doc, settings);
        // The pulse may try its liveness call again within its timeout; this bound holds even
        // for a probe that forgets its own.
        let timeout = Duration::from_secs(settings.timeout_secs()) * 2 + Duration::from_secs(1);
        let shared = self.clone();
        let doc = entry.doc.clone();
        let wake = entry.wake.clone();
        let mut failing = entry.failures > 0;
        let task = tokio::spawn(async move {
            let mut delay = first_delay;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = wake.notified() => {}
                }
                let gate = if failing {
                    &shared.suspect_gate
                } else {
                    &shared.gate
                };
                let Ok(permit) = gate.clone().acquire_owned().await else {
                    return;
                };
                let started = tokio::time::Instant::now();
                // The probe has its own timeouts; this bound holds even for one that forgets.
                let work = tokio::time::timeout(timeout, shared.prober.pulse(doc.clone()));
                tokio::pin!(work);
                let mut permit = Some(permit);
                let outcome = if failing {
                    (&mut work).await
                } else {
                    // A poll of a healthy-looking backend that is still running after
                    // STEP_ASIDE gives its slot back and goes on (bounded by its timeout), so
                    // that backends which start hanging cannot hold every slot.
                    tokio::select! {
                        outcome = &mut work => outcome,
                        _ = tokio::time::sleep(STEP_ASIDE) => {
                            permit.take();
                            (&mut work).await
                        }
                    }
                };
                let result = outcome.unwrap_or(Err(ProbeError::Timeout {
                    secs: timeout.as_secs().saturating_sub(1).max(1),
                }));
                let elapsed = started.elapsed();
                drop(permit);
                failing = result.is_err();
                delay = shared.record(&doc.id, result, elapsed, interval);
                shared.inventory_if_due(&doc.id);
            }
        });
        entry.task = Some(task.abort_handle());
    }

    /// Takes one poll's outcome into the state; returns the delay before the next poll.
    pub(super) fn record(
        &self,
        id: &str,
        result: Result<Measurement, ProbeError>,
        elapsed: Duration,
        interval: Duration,
    ) -> Duration {
        self.polls.fetch_add(1, Ordering::Relaxed);
        let now = timestamp::now();
        let at = unix_now();
        let ms = (elapsed.as_secs_f64() * 100_000.0).round() / 100.0;
        let jitter = self.jitter_unit() * 2.0 - 1.0;
        let mut state = lock(&self.state);
        // A poll made in a maintenance window is kept for the charts but counts as no poll:
        // planned work is neither uptime nor downtime.
        let in_maintenance = state
            .maintenance
            .get(id)
            .is_some_and(|window| !window.is_over(chrono::Utc::now()));
        let Some(entry) = state.entries.get_mut(id) else {
            return interval;
        };
        let error = result.as_ref().err().cloned();
        let health_before = entry.stats.health.status;
        entry
            .tally
            .observe(elapsed.as_secs_f64(), tally::PollResult::of(&result));
        match &result {
            Ok(pulse) => {
                entry.failures = 0;
                entry.window.push(at, ms, true);
                // Kept only where an inventory will need folding in.
                if self.prober.has_inventory(&entry.doc) {
                    entry.last_pulse = Some((pulse.clone(), now.clone()));
                }
            }
            Err(_) => {
                entry.failures += 1;
                entry.window.push(at, ms, false);
            }
        }
        // The same rule as `status`: the pulse already tried its liveness call again.
        poll::apply(&mut entry.stats, result, entry.inventory.as_ref(), &now);
        entry.stats.performance = entry.window.performance();
        // A failed poll measured nothing: its point has no figures (the ones it keeps are
        // last-known, and a chart would draw them as if read now).
        let point = if error.is_none() {
            history_point(at, ms as f32, &entry.stats)
        } else {
            Point {
                at,
                ..Point::default()
            }
        };
        let point = if in_maintenance {
            point.uncounted()
        } else {
            point
        };
        entry.history.push(point);
        // While the history file is still being read, its polls wait to be replayed onto it.
        if let Some(meanwhile) = &mut entry.unseeded {
            if meanwhile.len() < UNSEEDED_MAX {
                meanwhile.push(point);
            }
        }
        entry.availability.observe(&point, false);
        entry.stats.availability = availability_summary(&entry.availability, at);
        // As the series keeps it (a point older than the last one is taken as happening now).
        let kept_point = entry.history.last().copied();
        entry.history_lines += 1;
        let _ = self.writes.send(WriteOp::History {
            id: id.to_string(),
            point,
        });
        // Compact the history file once it holds twice what is kept (plus slack).
        let hours = state.settings.history_hours();
        let Some(entry) = state.entries.get_mut(id) else {
            return interval;
        };
        let bound = history::retained_len(interval.as_secs(), hours);
        if entry.history_lines > 2 * bound + 1000 {
            entry.history_lines = bound;
            let _ = self.writes.send(WriteOp::HistoryCompact {
                id: id.to_string(),
                hours,
            });
        }
        let failures = entry.failures;
        if failures >= schedule::RETRY_BUDGET {
            // Down: these failures are the outage's, not a sign of an unreliable backend.
            entry.window.mark_outage(failures as usize);
        }
        let delay = schedule::next_delay(interval, failures, error.as_ref(), jitter);
        entry.stats.health.next_check_at = Some(timestamp::format(
            chrono::Utc::now()
                + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::zero()),
        ));
        let changes = judge(&mut state, id, &now);
        let Some(entry) = state.entries.get_mut(id) else {
            return interval;
        };
        self.note_health(id, entry, health_before, &now);
        let stats = entry.stats.clone();
        let _ = self.writes.send(WriteOp::Stats(Box::new(stats.clone())));
        self.announce_alerts(&state, changes);
        let _ = self.events.send(Event::StatsUpdated {
            stats: Box::new(stats),
            point: kept_point,
        });
        delay
    }

    /// Records the backend's health transition in its timeline, if its health is no longer
    /// `before`: from what to what, how long the state left lasted and why it was in it.
    pub(super) fn note_health(&self, id: &str, entry: &mut Entry, before: HealthStatus, now: &str) {
        let after = entry.stats.health.status;
        if after == before {
            return;
        }
        let (from_since, reason) = entry
            .health_since
            .take()
            .map_or((None, None), |(at, why)| (Some(at), why));
        let duration_secs = from_since
            .as_deref()
            .and_then(|since| timeline::secs_between(since, now));
        let message = entry.stats.health.message.clone();
        entry.health_since = Some((now.to_string(), message.clone()));
        // At the moment the health was judged: the next transition's `from_since` is this.
        self.record_event_at(
            id,
            timeline::TimelineEvent {
                at: now.to_string(),
                what: What::Health {
                    from: before,
                    to: after,
                    from_since,
                    duration_secs,
                    reason,
                    message,
                },
                raw: None,
            },
            true,
        );
    }

    /// Starts an inventory of the backend if its clock says so (or one was asked for) and the
    /// backend answers. Never two for one backend; at most `INVENTORIES_AT_ONCE` over all.
    pub(super) fn announce_alerts(&self, state: &State, changes: Vec<Change>) {
        if changes.is_empty() {
            return;
        }
        let urgent = changes.iter().any(|c| !matches!(c, Change::Updated(_)));
        let _ = self.writes.send(WriteOp::Alerts {
            records: state.alerts.to_records(),
            urgent,
        });
        // The hooks set now (the settings are read again when main.json changes).
        let targets = hooks::Targets::of(&state.settings);
        for change in changes {
            let event = match &change {
                Change::Raised(alert) => Event::Alert(alert.clone()),
                Change::Cleared(alert) => Event::AlertCleared(alert.clone()),
                // A message that follows its figure is kept (above), not announced: the
                // backend's stats carry it to the screen.
                Change::Updated(_) => continue,
            };
            let (Change::Raised(alert) | Change::Cleared(alert) | Change::Updated(alert)) = &change;
            let what = match &change {
                Change::Raised(alert) => What::AlertRaised {
                    rule: alert.rule,
                    message: alert.message.clone(),
                },
                _ => What::AlertCleared {
                    rule: alert.rule,
                    how: alert
                        .closed
                        .map_or(timeline::AlertClosing::Recovered, Into::into),
                    raised_at: alert.raised_at.clone(),
                },
            };
            self.record_event(&alert.backend, what, true);
            // A removed backend's entry is already gone: its kind is then unknown.
            let kind = state.entries.get(&alert.backend).map(|e| e.doc.kind());
            self.hook_feed.offer(&targets, &change, kind);
            let _ = self.events.send(event);
        }
    }
}
