//! Inventories on their own clock: when one is due, started (one at a time per backend, a few
//! at once overall), and folded into the backend's figures when it ends, without polling again.

use std::sync::Arc;

use super::state::{judge, Entry};
use super::timeline;
use super::writer::WriteOp;
use super::{lock, Event, Shared};
use crate::poll::{self, InventoryError};
use crate::stats::InventoryRecord;
use crate::store::timestamp;

impl Shared {
    pub(super) fn inventory_if_due(self: &Arc<Self>, id: &str) {
        let mut state = lock(&self.state);
        let default_secs = state.settings.inventory_secs();
        let Some(entry) = state.entries.get_mut(id) else {
            return;
        };
        if entry.inventory_task.is_some()
            || entry.failures > 0
            || !entry.doc.enabled()
            || !self.prober.has_inventory(&entry.doc)
        {
            return;
        }
        let every = poll::inventory_every(default_secs, &entry.doc);
        let due = match entry.inventory_ended {
            Some((at, outcome)) => at.elapsed() >= poll::inventory_wait(outcome, every),
            None => poll::inventory_due(entry.inventory.as_ref(), every),
        };
        if entry.inventory_asked || due {
            self.start_inventory(entry);
        }
    }

    pub(super) fn start_inventory(self: &Arc<Self>, entry: &mut Entry) {
        let shared = self.clone();
        let doc = entry.doc.clone();
        let asked = entry.inventory_asked;
        entry.inventory_asked = false;
        let task = tokio::spawn(async move {
            let Ok(_slot) = shared.inventory_gate.clone().acquire_owned().await else {
                return;
            };
            // Waiting for a slot takes time: a backend that went down meanwhile is not counted
            // (unless someone asked for it).
            if !asked && !shared.still_up(&doc.id) {
                shared.inventory_skipped(&doc.id);
                return;
            }
            let outcome = shared
                .prober
                .inventory(shared.store.clone(), doc.clone())
                .await;
            shared.inventory_done(&doc.id, outcome);
        });
        entry.inventory_task = Some(task.abort_handle());
    }

    pub(super) fn still_up(&self, id: &str) -> bool {
        lock(&self.state)
            .entries
            .get(id)
            .is_some_and(|e| e.failures == 0)
    }

    pub(super) fn inventory_skipped(&self, id: &str) {
        if let Some(entry) = lock(&self.state).entries.get_mut(id) {
            entry.inventory_task = None;
        }
    }

    /// Takes a finished inventory: its figures are folded into the stats with the last pulse
    /// (no new request) and announced.
    pub(super) fn inventory_done(
        &self,
        id: &str,
        outcome: Result<InventoryRecord, InventoryError>,
    ) {
        let mut state = lock(&self.state);
        let Some(entry) = state.entries.get_mut(id) else {
            return;
        };
        entry.inventory_task = None;
        let health_before = entry.stats.health.status;
        match outcome {
            Ok(record) => {
                // A count carried over runs (one a minute) is recorded when it ends: its runs
                // would otherwise push the rest of the timeline out.
                let ended = record
                    .last_run
                    .as_ref()
                    .is_some_and(|run| run.outcome != crate::stats::InventoryState::Counting);
                if let Some(what) = timeline::inventory_event(&record).filter(|_| ended) {
                    self.record_event(id, what, false);
                }
                if let Some(run) = &record.last_run {
                    entry.inventory_ended = Some((tokio::time::Instant::now(), run.outcome));
                }
                entry.inventory = Some(record);
            }
            // Another process is counting: show what it kept, and look again as after a run
            // that goes on, not at every pulse.
            Err(InventoryError::Busy(_)) => {
                entry.inventory_ended = Some((
                    tokio::time::Instant::now(),
                    crate::stats::InventoryState::Counting,
                ));
                entry.inventory = poll::load_inventory(&self.store, id).or(entry.inventory.take());
            }
            Err(err) => {
                // Not again after every pulse: wait as after a failed run.
                entry.inventory_ended = Some((
                    tokio::time::Instant::now(),
                    crate::stats::InventoryState::Failed,
                ));
                self.store.log("WARNING", &err.to_string());
                self.record_event(
                    id,
                    timeline::What::Inventory {
                        state: crate::stats::InventoryState::Failed,
                        objects: None,
                        bytes: None,
                        elapsed_ms: None,
                        error: Some(err.to_string()),
                    },
                    false,
                );
                return;
            }
        }
        if let Some((pulse, at)) = entry.last_pulse.clone() {
            let failure = entry.stats.health.failure.take();
            let next_check_at = entry.stats.health.next_check_at.take();
            entry
                .stats
                .apply_pulse(pulse, entry.inventory.as_ref(), &at);
            entry.stats.health.failure = failure;
            entry.stats.health.next_check_at = next_check_at;
        } else {
            entry.stats.inventory = entry.inventory.as_ref().and_then(InventoryRecord::summary);
        }
        // The counted figures may cross a limit (a soft quota is watched on them): judged now,
        // not at the next poll.
        let now = timestamp::now();
        let changes = judge(&mut state, id, &now);
        let Some(entry) = state.entries.get_mut(id) else {
            return;
        };
        self.note_health(id, entry, health_before, &now);
        let stats = entry.stats.clone();
        let _ = self.writes.send(WriteOp::Stats(Box::new(stats.clone())));
        self.announce_alerts(&state, changes);
        let _ = self.events.send(Event::StatsUpdated {
            stats: Box::new(stats),
            point: None,
        });
    }
}
