//! The monitor engine: one single-flight poller task per enabled backend, a supervisor that
//! notices config changes made by anyone (this process, the CLI, the Python library), rolling
//! performance figures, history, alerts, and one coalescing writer. Everything it learns is
//! announced on a broadcast channel and kept in memory for instant reads.
//!
//! This file is the engine's handle (`Monitor`) and what its parts share (`Shared`); the parts
//! are one file each: `prober` (how a backend is probed), `state` (what is known of each
//! backend, and the pure steps over it), `supervisor` (the scan of the backends' files),
//! `poller` (a backend's poll loop and what an answer does), `inventory`, `writer` (the one
//! coalescing writer), `hooks` (the alert hooks).

pub mod alerts;
pub mod history;
pub mod hooks;
mod inventory;
mod maintenance;
mod poller;
mod prober;
pub mod schedule;
mod state;
mod supervisor;
pub mod tally;
pub mod timeline;
mod trail;
pub mod window;
pub mod writer;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot, Semaphore};
use tokio::task::JoinHandle;

use self::alerts::{Alert, Alerts, Rule};
use self::history::Point;
pub use self::maintenance::{MaintenanceChange, MaintenanceEvent};
pub use self::prober::{BoxFuture, LiveProber, Prober};
pub use self::state::{availability_of, stored_history, unix_now};
use self::state::{read_history_file, State};
use self::writer::WriteOp;
use crate::backends::Kind;
use crate::poll::{self, InventoryError};
use crate::probe::TestReport;
use crate::stats::BackendStats;
use crate::store::{timestamp, Store};

/// What the engine announces.
#[derive(Clone, Debug)]
pub enum Event {
    BackendCreated(String),
    BackendUpdated(String),
    BackendRemoved(String),
    /// A backend's new figures, with the point of history the poll that made them added (none
    /// for figures that came from elsewhere: an inventory folded in).
    StatsUpdated {
        stats: Box<BackendStats>,
        point: Option<Point>,
    },
    TestFinished(Box<TestReport>),
    Alert(Alert),
    AlertCleared(Alert),
    /// An alert hook (`alert_command`, `alert_webhook`) could not deliver an alert.
    HookFailed(hooks::HookFailure),
    /// The home cannot be written (full, read-only, permission): what could not be written is
    /// held in memory and tried again. Said once per reason.
    HomeTrouble(writer::HomeTrouble),
    /// The home can be written again; everything held was written.
    HomeWritable,
    /// A backend's maintenance window started, changed or ended (by an operator, or when its
    /// time was up): the one place its start and end are observed.
    Maintenance(MaintenanceEvent),
    /// An event of a backend's timeline, as it is recorded.
    Timeline {
        id: String,
        event: Box<timeline::TimelineEvent>,
    },
}

/// A backend's forecast without a running engine (one-shot `status`): its history file and
/// the figures of `stats`, as the engine would project them.
pub fn forecast_from_history(
    store: &Store,
    stats: &BackendStats,
) -> Option<crate::stats::forecast::ForecastReport> {
    let points = read_history_file(store, &stats.id);
    trail::Trails::seeded(&points, stats).observe(stats, unix_now())
}

/// The longest a change made in place to a backend file (not through a rename) goes unseen.
pub const FULL_SCAN_EVERY: Duration = Duration::from_secs(10);

/// How long a poll may hold one of the shared slots before it steps aside.
pub const STEP_ASIDE: Duration = Duration::from_secs(2);

#[derive(Clone, Debug)]
pub struct MonitorConfig {
    /// Overrides `refresh_secs` for backends without their own `poll_interval` (`--refresh`).
    pub refresh_override: Option<Duration>,
    /// Polls in flight at once, over all backends.
    pub max_in_flight: usize,
    /// How often the supervisor looks for config changes.
    pub scan_every: Duration,
    /// How often the writer flushes (one filesystem sync each).
    pub flush_every: Duration,
    /// Seed for the jitter (tests); random when `None`.
    pub seed: Option<u64>,
    /// The alert hooks' limits (time, retries, queue).
    pub hooks: hooks::HookConfig,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            refresh_override: None,
            max_in_flight: 32,
            scan_every: Duration::from_secs(1),
            flush_every: Duration::from_secs(1),
            seed: None,
            hooks: hooks::HookConfig::default(),
        }
    }
}

struct Shared {
    store: Store,
    prober: Arc<dyn Prober>,
    config: MonitorConfig,
    state: Mutex<State>,
    events: broadcast::Sender<Event>,
    writes: mpsc::UnboundedSender<WriteOp>,
    gate: Arc<Semaphore>,
    /// Failing backends (often hanging until their timeout) poll through their own, smaller
    /// gate, so that they cannot hold every slot and starve the healthy ones.
    suspect_gate: Arc<Semaphore>,
    flushes: Arc<AtomicU64>,
    polls: AtomicU64,
    rng: Mutex<fastrand::Rng>,
    /// Inventories running at once, over all backends.
    inventory_gate: Arc<Semaphore>,
    /// Where alert changes go for the alert hooks.
    hook_feed: hooks::HookFeed,
    /// When this engine started: reminders of alerts raised before count from here.
    started_at: chrono::DateTime<chrono::Utc>,
    /// The timeline events this process recorded lately, per backend (the newest
    /// `RECENT_EVENTS`): a read adds those the writer has not written yet. A lock of its own,
    /// taken last and alone, so that an event can be recorded with the state locked or not.
    timeline: Mutex<HashMap<String, VecDeque<timeline::TimelineEvent>>>,
    /// Config changes this process made itself (backend, the file's `updated`), and those
    /// the supervisor saw whose author is not known yet (see `supervisor.rs`).
    claims: Mutex<Claims>,
}

/// This process's own config changes remembered, at most (each is looked for once, seconds
/// after it was made).
const CLAIMS_KEPT: usize = 256;

/// Timeline events of this process held in memory per backend, for reads before they are
/// written (within a minute): a few cover that, and 1,000 backends cost little.
const RECENT_EVENTS: usize = 16;

/// A running engine. Dropping it aborts the tasks; call [`Monitor::shutdown`] to flush first.
pub struct Monitor {
    shared: Arc<Shared>,
    supervisor: JoinHandle<()>,
    writer: Option<JoinHandle<()>>,
    hooks: hooks::HookRunner,
}

/// Who made the config changes the supervisor sees.
#[derive(Default)]
struct Claims {
    /// Changes this process made and recorded: (backend, the file's `updated`).
    ours: VecDeque<(String, String)>,
    /// Changes seen in the files, not yet put down to anyone (see `supervisor.rs`).
    unclaimed: Vec<supervisor::Unclaimed>,
}

impl Shared {
    /// Records an event in a backend's timeline (see [`Monitor::record_event`]). Any part of
    /// the engine may call it, with the state locked or not.
    pub(super) fn record_event(&self, id: &str, what: timeline::What, urgent: bool) {
        self.record_event_at(id, timeline::TimelineEvent::now(what), urgent);
    }

    /// Records an event that happened at its own time (a change seen earlier).
    pub(super) fn record_event_at(&self, id: &str, event: timeline::TimelineEvent, urgent: bool) {
        {
            let mut recent = lock(&self.timeline);
            let recent = recent.entry(id.to_string()).or_default();
            recent.push_back(event.clone());
            while recent.len() > RECENT_EVENTS {
                recent.pop_front();
            }
        }
        let _ = self.writes.send(WriteOp::Event {
            id: id.to_string(),
            event: event.clone(),
            urgent,
        });
        let _ = self.events.send(Event::Timeline {
            id: id.to_string(),
            event: Box::new(event),
        });
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock means a panic elsewhere; the data is still the best we have.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Monitor {
    /// Starts the engine on a tokio runtime. Last-known stats are available at once. The faces
    /// start it through `Api::start`, which owns it; this is the door for the engine's own
    /// tests and benchmarks, with a scripted `Prober`.
    pub fn start(store: Store, prober: Arc<dyn Prober>, config: MonitorConfig) -> Monitor {
        let settings = store.settings().unwrap_or_default();
        let alerts = store
            .read_metadata("alerts")
            .ok()
            .flatten()
            .and_then(|entry| serde_json::from_value::<Vec<Alert>>(entry.value).ok())
            .map(Alerts::from_records)
            .unwrap_or_default();
        let (events, _) = broadcast::channel(4096);
        let (hooks, hook_feed) =
            hooks::HookRunner::start(store.clone(), events.clone(), config.hooks.clone());
        let (writes, ops) = mpsc::unbounded_channel();
        let flushes = Arc::new(AtomicU64::new(0));
        let writer = tokio::spawn(writer::run(
            store.clone(),
            ops,
            flushes.clone(),
            config.flush_every,
            events.clone(),
        ));
        let rng = match config.seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        };
        let shared = Arc::new(Shared {
            gate: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            suspect_gate: Arc::new(Semaphore::new((config.max_in_flight / 2).max(1))),
            store: store.clone(),
            prober,
            state: Mutex::new(State {
                entries: BTreeMap::new(),
                alerts,
                settings,
                main_stamp: store.main_stamp(),
                backends_dir_stamp: None,
                last_full_scan: None,
                problems: BTreeMap::new(),
                maintenance: BTreeMap::new(),
                maintenance_stamp: None,
                reminded: BTreeMap::new(),
            }),
            config,
            events,
            writes,
            flushes,
            polls: AtomicU64::new(0),
            rng: Mutex::new(rng),
            inventory_gate: Arc::new(Semaphore::new(poll::INVENTORIES_AT_ONCE)),
            hook_feed,
            started_at: chrono::Utc::now(),
            timeline: Mutex::new(HashMap::new()),
            claims: Mutex::new(Claims::default()),
        });
        shared.scan(true);
        let supervisor = {
            let shared = shared.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(shared.config.scan_every);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    shared.scan(false);
                }
            })
        };
        Monitor {
            shared,
            supervisor,
            writer: Some(writer),
            hooks,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.shared.events.subscribe()
    }

    /// Announces an event that did not come from the engine (a test result, a CRUD change).
    pub fn announce(&self, event: Event) {
        let _ = self.shared.events.send(event);
    }

    pub fn all_stats(&self) -> Vec<BackendStats> {
        lock(&self.shared.state)
            .entries
            .values()
            .map(|e| e.stats.clone())
            .collect()
    }

    pub fn stats(&self, id: &str) -> Option<BackendStats> {
        lock(&self.shared.state)
            .entries
            .get(id)
            .map(|e| e.stats.clone())
    }

    /// The last `n` points of a backend's history at poll resolution.
    pub fn history(&self, id: &str, n: usize) -> Vec<Point> {
        lock(&self.shared.state)
            .entries
            .get(id)
            .map(|e| e.history.recent(n).copied().collect())
            .unwrap_or_default()
    }

    /// Every point of a backend's history, oldest first, as kept: poll resolution for
    /// `history_hours`, then 10-minute buckets up to 30 days. Read from the history file, with
    /// the points not yet written added from memory.
    pub fn full_history(&self, id: &str) -> Vec<Point> {
        self.history_since(id, 0).points
    }

    /// A backend's kept history from `since` (unix seconds) on, as [`Monitor::full_history`]
    /// reads it (the file, and the points not yet written), with where poll resolution starts.
    pub fn history_since(&self, id: &str, since: u64) -> history::KeptHistory {
        let held = {
            let state = lock(&self.shared.state);
            state.entries.get(id).map(|entry| {
                let unwritten: Vec<Point> = entry.history.recent(usize::MAX).copied().collect();
                (unwritten, state.settings.history_hours())
            })
        };
        // A backend the monitor does not hold (yet): its file alone.
        let Some((unwritten, hours)) = held else {
            return stored_history(&self.shared.store, id, since);
        };
        let mut points = read_history_file(&self.shared.store, id);
        let last_written = points.last().map(|p| p.at);
        points.extend(
            unwritten
                .into_iter()
                .filter(|p| last_written.is_none_or(|at| p.at > at)),
        );
        history::KeptHistory::new(points, unix_now(), hours, since)
    }

    /// Records an event in a backend's timeline: written by the one writer (at the next flush
    /// when `urgent`), announced as `Event::Timeline`, readable at once through
    /// [`Monitor::events`].
    pub fn record_event(&self, id: &str, what: timeline::What, urgent: bool) {
        self.shared.record_event(id, what, urgent);
    }

    /// A backend's timeline, oldest first: its file, with the events this process recorded
    /// that are not written yet. It reads a file: not for a UI loop.
    pub fn events(&self, id: &str) -> Vec<timeline::TimelineEvent> {
        let mut events = timeline::decode_text(&self.shared.store.read_events(id));
        let recent: Vec<timeline::TimelineEvent> = lock(&self.shared.timeline)
            .get(id)
            .map(|recent| recent.iter().cloned().collect())
            .unwrap_or_default();
        if let Some(first) = recent.first().and_then(timeline::TimelineEvent::moment) {
            let written: std::collections::HashSet<String> = events
                .iter()
                .filter(|e| e.moment().is_some_and(|at| at >= first))
                .map(timeline::TimelineEvent::encode_line)
                .collect();
            events.extend(
                recent
                    .into_iter()
                    .filter(|e| !written.contains(&e.encode_line())),
            );
            // Stable: events of one moment keep their order.
            events.sort_by_key(|e| e.moment().map(|m| m.timestamp_micros()));
        }
        events
    }

    /// Says that this process changed a backend's config itself (the file's `updated` after
    /// the change) and recorded it: the supervisor does not put it down to another writer.
    pub fn claim_change(&self, id: &str, updated: &str) {
        let mut claims = lock(&self.shared.claims);
        claims.ours.push_back((id.to_string(), updated.to_string()));
        while claims.ours.len() > CLAIMS_KEPT {
            claims.ours.pop_front();
        }
    }

    /// Every backend's polls since this engine started (by result, and their durations).
    pub fn poll_tallies(&self) -> Vec<(String, tally::PollTally)> {
        lock(&self.shared.state)
            .entries
            .iter()
            .map(|(id, entry)| (id.clone(), entry.tally.clone()))
            .collect()
    }

    pub fn active_alerts(&self) -> Vec<Alert> {
        lock(&self.shared.state).alerts.active().cloned().collect()
    }

    /// Every alert kept (active and closed), oldest first, as the monitor holds them now.
    pub fn alert_records(&self) -> Vec<Alert> {
        lock(&self.shared.state).alerts.to_records()
    }

    /// Acknowledges a backend's active alert (it stays active until its condition ends).
    pub fn acknowledge_alert(&self, id: &str, rule: Rule) -> bool {
        let now = timestamp::now();
        let done = self.change_alerts(|alerts| alerts.acknowledge(id, rule, &now));
        if done {
            self.record_event(id, timeline::What::AlertAcknowledged { rule }, true);
        }
        done
    }

    /// Silences a backend's active alert for `for_secs`.
    pub fn silence_alert(&self, id: &str, rule: Rule, for_secs: u64) -> bool {
        let until = (chrono::Utc::now()
            + chrono::Duration::seconds(i64::try_from(for_secs).unwrap_or(i64::MAX / 2)))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        let done = self.change_alerts(|alerts| alerts.silence(id, rule, &until));
        if done {
            self.record_event(id, timeline::What::AlertSilenced { rule, until }, true);
        }
        done
    }

    /// Applies an operator's change to the alerts and, if it changed anything, keeps them.
    fn change_alerts(&self, change: impl FnOnce(&mut Alerts) -> bool) -> bool {
        let mut state = lock(&self.shared.state);
        let done = change(&mut state.alerts);
        if done {
            let _ = self.shared.writes.send(WriteOp::Alerts {
                records: state.alerts.to_records(),
                urgent: true,
            });
        }
        done
    }

    /// The maintenance windows not yet over, by backend, as this engine holds them.
    pub fn maintenance(&self) -> BTreeMap<String, crate::store::Maintenance> {
        lock(&self.shared.state).maintenance.clone()
    }

    /// Files in backends/ that could not be read, with the reason.
    pub fn problems(&self) -> Vec<(String, String)> {
        lock(&self.shared.state)
            .problems
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Polls a backend (or all) now; a poll in flight is followed by exactly one more.
    pub fn poll_now(&self, id: Option<&str>) {
        let state = lock(&self.shared.state);
        for (key, entry) in &state.entries {
            if id.is_none_or(|id| id == key) {
                entry.wake.notify_one();
            }
        }
    }

    /// Runs an inventory of a backend now (unless one is under way); the new figures are
    /// announced with `StatsUpdated` when it ends.
    pub fn inventory_now(&self, id: &str) -> Result<(), InventoryError> {
        let mut state = lock(&self.shared.state);
        let Some(entry) = state.entries.get_mut(id) else {
            return Err(InventoryError::Store {
                id: id.to_string(),
                detail: "no such backend".into(),
            });
        };
        if !entry.doc.enabled() {
            return Err(InventoryError::Disabled(id.to_string()));
        }
        if !self.shared.prober.has_inventory(&entry.doc) {
            let kind = Kind::parse(entry.doc.kind())?;
            return Err(InventoryError::NothingToCount(kind));
        }
        if entry.inventory_task.is_some() {
            return Err(InventoryError::Busy(id.to_string()));
        }
        entry.inventory_asked = true;
        self.shared.start_inventory(entry);
        Ok(())
    }

    /// Whether an inventory of the backend is under way in this process.
    pub fn inventory_running(&self, id: &str) -> bool {
        lock(&self.shared.state)
            .entries
            .get(id)
            .is_some_and(|e| e.inventory_task.is_some())
    }

    /// Looks for config changes now instead of at the next scan.
    pub fn rescan(&self) {
        self.shared.scan(false);
    }

    /// Store flushes so far (each is one filesystem sync).
    pub fn flushes(&self) -> u64 {
        self.shared.flushes.load(Ordering::Relaxed)
    }

    /// Polls finished so far.
    pub fn polls(&self) -> u64 {
        self.shared.polls.load(Ordering::Relaxed)
    }

    /// Number of poller tasks running.
    pub fn pollers(&self) -> usize {
        lock(&self.shared.state)
            .entries
            .values()
            .filter(|e| e.task.is_some())
            .count()
    }

    /// Stops polling and writes everything acknowledged to disk; alert hooks under way get
    /// a short grace (`HookConfig::shutdown_grace`). Returns what could not be written (the
    /// home is full, read-only, ...), for the caller to say.
    pub async fn shutdown(self) -> writer::Unsaved {
        self.shutdown_within(None).await
    }

    /// [`Monitor::shutdown`] that takes at most `limit` (Ctrl-C must end a command within a
    /// second, whatever the disk is doing): what is not written by then is reported unsaved.
    pub async fn shutdown_within(mut self, limit: Option<Duration>) -> writer::Unsaved {
        let started = tokio::time::Instant::now();
        self.stop_tasks();
        let unsaved = self.flush_within(limit).await;
        let left = limit.map(|limit| limit.saturating_sub(started.elapsed()));
        self.hooks.shutdown_within(left).await;
        unsaved
    }

    /// Writes everything held now (and syncs), waiting at most `limit`; returns what could not
    /// be written. The engine goes on.
    pub async fn flush_within(&self, limit: Option<Duration>) -> writer::Unsaved {
        let (done, flushed) = oneshot::channel();
        if self.shared.writes.send(WriteOp::Flush(done)).is_ok() {
            let waited = match limit {
                Some(limit) => tokio::time::timeout(limit, flushed).await.ok(),
                None => Some(flushed.await),
            };
            match waited {
                Some(Ok(unsaved)) => unsaved,
                Some(Err(_)) => None,
                None => Some(writer::HomeTrouble {
                    reason: format!(
                        "writing to {} did not finish within {} ms",
                        self.shared.store.home().display(),
                        limit.map_or(0, |l| l.as_millis())
                    ),
                    held: 0,
                }),
            }
        } else {
            None
        }
    }

    fn stop_tasks(&mut self) {
        self.supervisor.abort();
        let mut state = lock(&self.shared.state);
        for entry in state.entries.values_mut() {
            if let Some(task) = entry.task.take() {
                task.abort();
            }
            if let Some(task) = entry.inventory_task.take() {
                task.abort();
            }
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.stop_tasks();
        if let Some(writer) = self.writer.take() {
            // The writer ends by itself once every sender is gone; pollers hold none.
            drop(writer);
        }
    }
}
