//! The monitor engine: one single-flight poller task per enabled backend, a supervisor that
//! notices config changes made by anyone (this process, the CLI, the Python library), rolling
//! performance figures, history, alerts, and one coalescing writer. Everything it learns is
//! announced on a broadcast channel and kept in memory for instant reads.

pub mod alerts;
pub mod history;
pub mod hooks;
pub mod schedule;
pub mod tally;
pub mod window;
pub mod writer;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot, Notify, Semaphore};
use tokio::task::{AbortHandle, JoinHandle};

use self::alerts::{Alert, Alerts, Change, Closed, Facts, Rule};
use self::history::{Point, Series};
use self::window::Window;
use self::writer::WriteOp;
use crate::backends::Kind;
use crate::poll::{self, InventoryError};
use crate::probe::{self, ProbeContext, ProbeError, TestReport};
use crate::stats::{BackendStats, HealthStatus, InventoryRecord, Measurement, Source};
use crate::store::{timestamp, BackendDoc, Settings, Stamp, Store};

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
}

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The longest a change made in place to a backend file (not through a rename) goes unseen.
pub const FULL_SCAN_EVERY: Duration = Duration::from_secs(10);

/// How long a poll may hold one of the shared slots before it steps aside.
pub const STEP_ASIDE: Duration = Duration::from_secs(2);

/// Probes a backend. The live one goes over HTTP and the filesystem; tests script their own.
pub trait Prober: Send + Sync + 'static {
    /// One pulse, under the one rule for "down" (`poll::pulse`).
    fn pulse(&self, backend: BackendDoc) -> BoxFuture<Result<Measurement, ProbeError>>;

    /// Whether the backend's kind has an inventory.
    fn has_inventory(&self, _backend: &BackendDoc) -> bool {
        false
    }

    /// One inventory run now, kept in the store (`poll::run_inventory`).
    fn inventory(
        &self,
        _store: Store,
        backend: BackendDoc,
    ) -> BoxFuture<Result<InventoryRecord, InventoryError>> {
        Box::pin(async move {
            match Kind::parse(backend.kind()) {
                Ok(kind) => Err(InventoryError::NothingToCount(kind)),
                Err(err) => Err(err.into()),
            }
        })
    }
}

/// The real prober: `poll::pulse` and `poll::run_inventory` with the shared client.
pub struct LiveProber {
    pub ctx: ProbeContext,
}

impl Prober for LiveProber {
    fn pulse(&self, backend: BackendDoc) -> BoxFuture<Result<Measurement, ProbeError>> {
        let ctx = self.ctx.clone();
        Box::pin(async move {
            let kind =
                Kind::parse(backend.kind()).map_err(|e| ProbeError::Config(e.to_string()))?;
            poll::pulse(&ctx, kind.spec(), backend.config()).await
        })
    }

    fn has_inventory(&self, backend: &BackendDoc) -> bool {
        Kind::parse(backend.kind()).is_ok_and(|kind| kind.spec().has_inventory())
    }

    fn inventory(
        &self,
        store: Store,
        backend: BackendDoc,
    ) -> BoxFuture<Result<InventoryRecord, InventoryError>> {
        let ctx = self.ctx.clone();
        Box::pin(async move { poll::run_inventory(&store, &ctx, &backend).await })
    }
}

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

/// Everything known about one backend.
struct Entry {
    doc: BackendDoc,
    stamp: Stamp,
    stats: BackendStats,
    window: Window,
    history: Series,
    /// Lines in the history file since it was last rewritten (to know when to compact).
    history_lines: usize,
    /// This engine's polls of the backend: by result, and how long they took.
    tally: tally::PollTally,
    failures: u32,
    task: Option<AbortHandle>,
    wake: Arc<Notify>,
    /// The kept inventory: the slow figures and when they were counted.
    inventory: Option<InventoryRecord>,
    /// The inventory run under way, if any (single-flight).
    inventory_task: Option<AbortHandle>,
    /// An inventory was asked for (a key, a command): run it at once, whatever its clock says.
    inventory_asked: bool,
    /// The last pulse that answered, to fold a new inventory in without polling again.
    last_pulse: Option<(Measurement, String)>,
    /// When this process's last inventory of the backend ended (the engine's clock), and how.
    /// Until there is one, the kept record's wall-clock time decides.
    inventory_ended: Option<(tokio::time::Instant, crate::stats::InventoryState)>,
}

struct State {
    entries: BTreeMap<String, Entry>,
    alerts: Alerts,
    settings: Settings,
    main_stamp: Option<Stamp>,
    /// The backends directory's own stamp at the last full look, and when that was.
    backends_dir_stamp: Option<Stamp>,
    last_full_scan: Option<tokio::time::Instant>,
    /// Files in backends/ that could not be read, by path, with the reason.
    problems: BTreeMap<String, String>,
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
}

/// A running engine. Dropping it aborts the tasks; call [`Monitor::shutdown`] to flush first.
pub struct Monitor {
    shared: Arc<Shared>,
    supervisor: JoinHandle<()>,
    writer: Option<JoinHandle<()>>,
    hooks: hooks::HookRunner,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock means a panic elsewhere; the data is still the best we have.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A backend's active alerts as its stats carry them.
fn alert_briefs(alerts: &Alerts, id: &str) -> Vec<crate::stats::AlertBrief> {
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
fn judge(state: &mut State, id: &str, quota_alert_percent: u64, now: &str) -> Vec<Change> {
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
fn target_of(doc: &BackendDoc) -> Option<String> {
    Kind::parse(doc.kind())
        .ok()
        .map(|kind| kind.target(doc.config()))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The last stats kept in the store, marked as coming from there.
fn stored_stats(store: &Store, doc: &BackendDoc) -> BackendStats {
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
fn history_point(at: u64, response_ms: f32, stats: &BackendStats) -> Point {
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
fn read_history_file(store: &Store, id: &str) -> Vec<Point> {
    history::decode_text(&store.read_history(id))
}

/// A backend's kept history from `since` on, read from its history file without a running
/// monitor (a command, or a console whose monitor has not started the backend).
pub fn stored_history(store: &Store, id: &str, since: u64) -> history::KeptHistory {
    let hours = store.settings().unwrap_or_default().history_hours();
    history::KeptHistory::new(read_history_file(store, id), unix_now(), hours, since)
}

/// The recent points of a backend's history file, and how many lines the file holds.
fn load_history(store: &Store, id: &str) -> (Series, usize) {
    let mut series = Series::default();
    let text = store.read_history(id);
    let points = history::decode_text(&text);
    let skip = points.len().saturating_sub(history::RECENT_POINTS);
    for point in points.into_iter().skip(skip) {
        series.push(point);
    }
    (series, text.lines().count())
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
            }),
            config,
            events,
            writes,
            flushes,
            polls: AtomicU64::new(0),
            rng: Mutex::new(rng),
            inventory_gate: Arc::new(Semaphore::new(poll::INVENTORIES_AT_ONCE)),
            hook_feed,
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
        self.change_alerts(|alerts| alerts.acknowledge(id, rule, &now))
    }

    /// Silences a backend's active alert for `for_secs`.
    pub fn silence_alert(&self, id: &str, rule: Rule, for_secs: u64) -> bool {
        let until = (chrono::Utc::now()
            + chrono::Duration::seconds(i64::try_from(for_secs).unwrap_or(i64::MAX / 2)))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
        self.change_alerts(|alerts| alerts.silence(id, rule, &until))
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

impl Shared {
    fn interval(&self, doc: &BackendDoc, settings: &Settings) -> Duration {
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

    fn jitter_unit(&self) -> f64 {
        lock(&self.rng).f64()
    }

    /// Compares the files with what is known and starts, restarts or stops pollers.
    fn scan(self: &Arc<Self>, first: bool) {
        let main_stamp = self.store.main_stamp();
        // Every write of ours (and any add or remove) renames a file in backends/, which
        // changes the directory's own stamp: one stat says whether to look at 1,000 files. A
        // writer that edits a file in place (the Python library) is caught by the full look
        // every FULL_SCAN_EVERY.
        let dir_stamp = self.store.backends_dir_stamp();
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
                    let (history, history_lines) = load_history(&self.store, &id);
                    let stats = stored_stats(&self.store, &doc);
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
                        history_lines,
                        tally: tally::PollTally::default(),
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
    }

    fn spawn_poller(
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
    fn record(
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
        let quota_alert_percent = state.settings.quota_alert_percent();
        let Some(entry) = state.entries.get_mut(id) else {
            return interval;
        };
        let error = result.as_ref().err().cloned();
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
        entry.history.push(point);
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
        let changes = judge(&mut state, id, quota_alert_percent, &now);
        let Some(entry) = state.entries.get(id) else {
            return interval;
        };
        let stats = entry.stats.clone();
        let _ = self.writes.send(WriteOp::Stats(Box::new(stats.clone())));
        self.announce_alerts(&state, changes);
        let _ = self.events.send(Event::StatsUpdated {
            stats: Box::new(stats),
            point: kept_point,
        });
        delay
    }

    /// Starts an inventory of the backend if its clock says so (or one was asked for) and the
    /// backend answers. Never two for one backend; at most `INVENTORIES_AT_ONCE` over all.
    fn inventory_if_due(self: &Arc<Self>, id: &str) {
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

    fn start_inventory(self: &Arc<Self>, entry: &mut Entry) {
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

    fn still_up(&self, id: &str) -> bool {
        lock(&self.state)
            .entries
            .get(id)
            .is_some_and(|e| e.failures == 0)
    }

    fn inventory_skipped(&self, id: &str) {
        if let Some(entry) = lock(&self.state).entries.get_mut(id) {
            entry.inventory_task = None;
        }
    }

    /// Takes a finished inventory: its figures are folded into the stats with the last pulse
    /// (no new request) and announced.
    fn inventory_done(&self, id: &str, outcome: Result<InventoryRecord, InventoryError>) {
        let mut state = lock(&self.state);
        let Some(entry) = state.entries.get_mut(id) else {
            return;
        };
        entry.inventory_task = None;
        match outcome {
            Ok(record) => {
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
        let quota_alert_percent = state.settings.quota_alert_percent();
        let changes = judge(&mut state, id, quota_alert_percent, &now);
        let Some(entry) = state.entries.get(id) else {
            return;
        };
        let stats = entry.stats.clone();
        let _ = self.writes.send(WriteOp::Stats(Box::new(stats.clone())));
        self.announce_alerts(&state, changes);
        let _ = self.events.send(Event::StatsUpdated {
            stats: Box::new(stats),
            point: None,
        });
    }

    fn announce_alerts(&self, state: &State, changes: Vec<Change>) {
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
            // A removed backend's entry is already gone: its kind is then unknown.
            let kind = state.entries.get(&alert.backend).map(|e| e.doc.kind());
            self.hook_feed.offer(&targets, &change, kind);
            let _ = self.events.send(event);
        }
    }
}
