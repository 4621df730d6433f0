//! The one façade every screen and command goes through: backends (list, get, create, update,
//! remove, test), stats, settings, alerts and the event stream. It is also the one door to the
//! engine: `Api::start` starts the monitor with its probe context, and owns both. With a
//! running monitor, reads come from memory and changes are picked up at once; without one
//! (`Api::new`, most CLI commands), the same calls read and write the store directly.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::broadcast;

use crate::backends::{self, FieldError, Kind};
use crate::monitor::alerts::{Alert, Rule};

/// The alerts as a view shows them (see `Api::alert_overview`).
#[derive(Clone, Debug, Default)]
pub struct AlertOverview {
    pub groups: Vec<AlertGroup>,
    /// Active first, then closed, newest first.
    pub alerts: Vec<Alert>,
    /// Each backend's `host:port`, where it has one.
    pub endpoints: std::collections::HashMap<String, String>,
}

/// Active alerts of one rule on backends that share an endpoint, or one alert alone.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertGroup {
    pub rule: Rule,
    /// `host:port` the backends share, when known.
    pub endpoint: Option<String>,
    /// Newest first.
    pub alerts: Vec<Alert>,
}
use crate::monitor::history::Point;
use crate::monitor::tally::PollTally;
use crate::monitor::timeline::{self, EventQuery, Origin, TimelineEvent, What};
use crate::monitor::writer::Unsaved;
use crate::monitor::{Event, LiveProber, Monitor, MonitorConfig};
use crate::poll::{self, InventoryError};
use crate::probe::{ProbeContext, ProbeError, TestReport};
use crate::stats::availability;
use crate::stats::InventoryRecord;
use crate::stats::{BackendStats, StatsReport};
use crate::store::{
    names, settings, BackendDoc, Listing, Maintenance, Settings, Store, StoreError,
};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Setting(#[from] settings::SettingError),
    /// The probes' HTTP client could not be made.
    #[error(transparent)]
    Probe(#[from] ProbeError),
    /// Asked for what the backend cannot do (a write check of a kind without one): refused
    /// before anything ran.
    #[error("{0}")]
    Refused(String),
}

impl ApiError {
    /// The caller asked for something invalid (exit code 2), as opposed to the machine failing.
    pub fn is_bad_input(&self) -> bool {
        match self {
            ApiError::Store(err) => err.is_bad_input(),
            ApiError::Field(_) | ApiError::Setting(_) | ApiError::Refused(_) => true,
            ApiError::Probe(_) => false,
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The `updated` a backend file holds after a change (how the timeline names that change).
fn updated_of(doc: &BackendDoc) -> Option<String> {
    doc.doc
        .get("updated")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Why an inventory could not be run or asked for.
#[derive(Debug, thiserror::Error)]
pub enum ApiInventoryError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// The probes' HTTP client could not be made.
    #[error(transparent)]
    Probe(#[from] ProbeError),
    #[error("no monitor runs in this process")]
    NoMonitor,
}

/// How the engine runs (`Api::start`).
#[derive(Clone, Debug, Default)]
pub struct EngineOptions {
    /// Overrides `refresh_secs` for backends without their own `poll_interval` (`--refresh`).
    pub refresh: Option<Duration>,
    /// The shortest that refresh may be (`--lite`): the setting or `refresh`, whichever
    /// applies, is raised to it.
    pub min_refresh: Option<Duration>,
}

pub struct Api {
    store: Store,
    monitor: Option<Monitor>,
    /// Who this api's changes and tests are said to come from in the timeline: the console
    /// runs the engine (`Api::start`), a command does not (`Api::new`).
    origin: Origin,
    /// The probes' HTTP client and timeout: the engine's, or made when a command first probes.
    probe: OnceLock<ProbeContext>,
}

/// Now, in unix seconds.
fn unix_now() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

/// The probe context of the `timeout_secs` in `settings`.
fn probe_context(settings: &Settings) -> Result<ProbeContext, ProbeError> {
    ProbeContext::new(Duration::from_secs(settings.timeout_secs()))
}

impl Api {
    /// The api without the engine: reads and writes go to the store, nothing is polled.
    pub fn new(store: Store) -> Api {
        Api {
            store,
            monitor: None,
            origin: Origin::Cli,
            probe: OnceLock::new(),
        }
    }

    /// Starts the engine over `store` on the current tokio runtime (pollers, inventories,
    /// alerts and hooks, the one writer); last-known stats are readable at once. Its probe
    /// context (one HTTP client, `timeout_secs`) also serves the tests and inventories asked
    /// for through this api. Settings that do not read run it on their defaults, as the
    /// engine does.
    pub fn start(store: Store, options: EngineOptions) -> ApiResult<Api> {
        let settings = store.settings().unwrap_or_default();
        let ctx = probe_context(&settings)?;
        let refresh = match options.min_refresh {
            Some(min) => Some(
                options
                    .refresh
                    .unwrap_or(Duration::from_secs(settings.refresh_secs()))
                    .max(min),
            ),
            None => options.refresh,
        };
        let monitor = Monitor::start(
            store.clone(),
            Arc::new(LiveProber { ctx: ctx.clone() }),
            MonitorConfig {
                refresh_override: refresh,
                ..MonitorConfig::default()
            },
        );
        Ok(Api {
            store,
            monitor: Some(monitor),
            origin: Origin::Console,
            probe: OnceLock::from(ctx),
        })
    }

    /// The probe context: the engine's, else one made from the settings (which must read).
    fn probe<E: From<StoreError> + From<ProbeError>>(&self) -> Result<&ProbeContext, E> {
        if let Some(ctx) = self.probe.get() {
            return Ok(ctx);
        }
        let ctx = probe_context(&self.store.settings()?)?;
        Ok(self.probe.get_or_init(|| ctx))
    }

    /// One round of polls of every backend without the engine (`status`, `status
    /// --openmetrics`), `parallel` at a time: each backend's stats with the alerts one poll
    /// raises (quota, down, credentials), and how long each poll took (seconds, in the report's
    /// order; `None` for a backend not polled).
    pub async fn poll_round(&self, parallel: usize) -> ApiResult<(StatsReport, Vec<Option<f64>>)> {
        let ctx = self.probe::<ApiError>()?;
        let (mut report, took) = poll::poll_round_timed(&self.store, ctx, parallel).await;
        let settings = self.store.settings()?;
        let configs: std::collections::HashMap<String, serde_json::Map<String, serde_json::Value>> =
            self.store
                .list_backends()
                .backends
                .into_iter()
                .map(|doc| (doc.id.clone(), doc.config().clone()))
                .collect();
        let empty = serde_json::Map::new();
        self.with_maintenance(&mut report.backends);
        for backend in &mut report.backends {
            if !backend.enabled || backend.source != crate::stats::Source::Live {
                continue;
            }
            // The forecast from the kept history and this poll's figures.
            backend.forecast = crate::monitor::forecast_from_history(&self.store, backend);
            let thresholds = settings.thresholds(configs.get(&backend.id).unwrap_or(&empty));
            backend.thresholds = thresholds.differing_from(&settings.thresholds(&empty));
            let credentials =
                backend.health.failure.as_deref() == Some(crate::probe::CREDENTIALS_CLASS);
            // A backend in maintenance has its alerts held: one poll raises none for it either.
            let alerts = if backend.maintenance.is_some() {
                Vec::new()
            } else {
                crate::monitor::alerts::of_one_poll(backend, &thresholds, credentials)
            };
            backend.set_alerts(alerts);
        }
        // Without the engine, availability comes from each history file as kept.
        let now = unix_now();
        for backend in &mut report.backends {
            let kept = crate::monitor::stored_history(&self.store, &backend.id, 0);
            let computed = availability::compute(&kept.points, kept.fine_from, now);
            let mut summary = availability::AvailabilitySummary::of(&computed, now);
            // This round's poll is not in the file: a backend that answered it is not down.
            let answered = backend.source == crate::stats::Source::Live
                && !matches!(
                    backend.health.status,
                    crate::stats::HealthStatus::Down | crate::stats::HealthStatus::Unknown
                );
            if answered {
                summary.down_since = None;
            }
            backend.availability = Some(summary).filter(|summary| summary.up_30d.is_some());
        }
        Ok((report, took))
    }

    /// Stops the monitor (if any), flushing what it holds; returns what could not be written.
    pub async fn shutdown(self) -> Unsaved {
        self.shutdown_within(None).await
    }

    /// [`Api::shutdown`] within `limit` (a command stopped by Ctrl-C ends within a second).
    pub async fn shutdown_within(self, limit: Option<Duration>) -> Unsaved {
        match self.monitor {
            Some(monitor) => monitor.shutdown_within(limit).await,
            None => None,
        }
    }

    /// Writes everything the engine holds now, waiting at most `limit`; returns what could
    /// not be written. The engine goes on (for a caller that cannot stop it: a task still
    /// holds the api).
    pub async fn flush_within(&self, limit: Option<Duration>) -> Unsaved {
        match &self.monitor {
            Some(monitor) => monitor.flush_within(limit).await,
            None => None,
        }
    }

    /// Whether a write is waiting for another writer (another console, the CLI) to finish.
    pub fn waiting_for_writer(&self) -> bool {
        self.store.waiting_for_writer()
    }

    /// The home directory this api reads and writes.
    pub fn home(&self) -> &std::path::Path {
        self.store.home()
    }

    /// Files in backends/ the engine could not read, with the reason (none without one).
    pub fn problems(&self) -> Vec<(String, String)> {
        self.monitor
            .as_ref()
            .map(Monitor::problems)
            .unwrap_or_default()
    }

    /// The last `n` points of a backend's history at poll resolution, from the engine's
    /// memory (none without an engine).
    pub fn recent_history(&self, id: &str, n: usize) -> Vec<Point> {
        self.monitor
            .as_ref()
            .map(|monitor| monitor.history(id, n))
            .unwrap_or_default()
    }

    /// Polls a backend (or every one) now; nothing without an engine.
    pub fn poll_now(&self, id: Option<&str>) {
        if let Some(monitor) = &self.monitor {
            monitor.poll_now(id);
        }
    }

    /// Every backend's polls since the engine started (by result, and their durations);
    /// `None` without an engine.
    pub fn poll_tallies(&self) -> Option<Vec<(String, PollTally)>> {
        self.monitor.as_ref().map(Monitor::poll_tallies)
    }

    /// The active alerts: the engine's, else those kept in the store.
    pub fn active_alerts(&self) -> Vec<Alert> {
        match &self.monitor {
            Some(monitor) => monitor.active_alerts(),
            None => self
                .alerts()
                .into_iter()
                .filter(|a| a.cleared_at.is_none())
                .collect(),
        }
    }

    /// The last `limit` lines of the console's log file (earlier runs, other processes).
    pub fn log_tail(&self, limit: usize) -> std::io::Result<Vec<String>> {
        self.store.log_tail(limit)
    }

    /// This process's recent log lines, each saying whether it reached the log file.
    pub fn recent_log(&self) -> Vec<crate::store::log::LogLine> {
        self.store.recent_log()
    }

    pub fn subscribe(&self) -> Option<broadcast::Receiver<Event>> {
        self.monitor.as_ref().map(Monitor::subscribe)
    }

    pub fn list_backends(&self) -> Listing {
        self.store.list_backends()
    }

    /// Backends the Python library's dashboard keeps in its own formats (`backends.json`,
    /// `backends/*.yaml`): shown read-only, never changed.
    pub fn foreign_backends(&self) -> crate::store::ForeignListing {
        self.store.list_foreign_backends()
    }

    pub fn get_backend(&self, id: &str) -> ApiResult<BackendDoc> {
        Ok(self.store.get_backend(id)?)
    }

    /// Whether a backend file of ours has this id.
    pub fn backend_exists(&self, id: &str) -> bool {
        self.store.backend_exists(id)
    }

    /// Creates a backend from `FIELD=VALUE` pairs (defaults filled, everything checked first).
    pub fn create_backend(
        &self,
        id: &str,
        kind: Kind,
        sets: &[(String, String)],
    ) -> ApiResult<BackendDoc> {
        names::check_new_backend_id(id)?;
        let config = backends::new_config(kind, sets)?;
        let names: Vec<&str> = sets.iter().map(|(f, _)| f.as_str()).collect();
        self.create_checked(id, config, &names.join(","))
    }

    /// Creates a backend from a whole config (a form): it must be valid as it is.
    pub fn create_backend_config(
        &self,
        id: &str,
        config: Map<String, Value>,
    ) -> ApiResult<BackendDoc> {
        names::check_new_backend_id(id)?;
        if let Some(problem) = backends::problems(&config).into_iter().next() {
            return Err(problem.into());
        }
        let names: Vec<String> = config.keys().cloned().collect();
        self.create_checked(id, config, &names.join(","))
    }

    fn create_checked(
        &self,
        id: &str,
        config: Map<String, Value>,
        fields: &str,
    ) -> ApiResult<BackendDoc> {
        let doc = self.store.create_backend(id, config)?;
        // Field names only: values may be secrets.
        self.store.log(
            "INFO",
            &format!("backend added: id={id} type={} fields={fields}", doc.kind()),
        );
        let mut names: Vec<String> = doc
            .config()
            .keys()
            .map(|k| crate::probe::clean(k))
            .collect();
        names.sort();
        self.record_change(
            &doc,
            What::Created {
                origin: self.origin,
                fields: names,
                updated: updated_of(&doc),
            },
        );
        self.changed();
        Ok(doc)
    }

    /// Changes fields from `FIELD=VALUE` pairs (`FIELD=` removes an optional one).
    pub fn update_backend(&self, id: &str, sets: &[(String, String)]) -> ApiResult<BackendDoc> {
        names::check_backend_id(id)?;
        let current = self.store.get_backend(id)?;
        // A kind we do not know is still edited: its common fields and its own, as they are.
        let edits = match Kind::parse(current.kind()) {
            Ok(kind) => backends::edits(kind, current.config(), sets)?,
            Err(_) => backends::edits_unknown_kind(current.config(), sets)?,
        };
        let names: Vec<&str> = sets.iter().map(|(f, _)| f.as_str()).collect();
        self.update_checked(id, &edits, &names.join(","))
    }

    /// Replaces the fields a form knows with `config`'s; keys the form does not know (the
    /// Python library's, a newer version's) are kept as they are.
    pub fn update_backend_config(
        &self,
        id: &str,
        config: &Map<String, Value>,
    ) -> ApiResult<BackendDoc> {
        let current = self.store.get_backend(id)?;
        let kind = Kind::parse(current.kind()).ok();
        let fields: Vec<&backends::FieldSpec> = match kind {
            Some(kind) => kind.fields().collect(),
            // A form for a kind we do not know shows the fields every kind has.
            None => backends::schema::COMMON_FIELDS.iter().collect(),
        };
        let mut merged = current.config().clone();
        let mut edits = Vec::new();
        for spec in fields {
            let new = config.get(spec.name).filter(|v| !v.is_null()).cloned();
            if merged.get(spec.name) != new.as_ref() {
                match &new {
                    Some(value) => merged.insert(spec.name.to_string(), value.clone()),
                    None => merged.shift_remove(spec.name),
                };
                edits.push((spec.name.to_string(), new));
            }
        }
        let problem = match kind {
            Some(_) => backends::problems(&merged).into_iter().next(),
            None => backends::common_field_problems(&merged).into_iter().next(),
        };
        if let Some(problem) = problem {
            return Err(problem.into());
        }
        if edits.is_empty() {
            return Ok(current);
        }
        let names: Vec<&str> = edits.iter().map(|(f, _)| f.as_str()).collect();
        let names = names.join(",");
        self.update_checked(id, &edits, &names)
    }

    fn update_checked(
        &self,
        id: &str,
        edits: &[crate::store::Edit],
        fields: &str,
    ) -> ApiResult<BackendDoc> {
        let before = self.store.get_backend(id).ok();
        let doc = self.store.update_backend(id, edits)?;
        self.store
            .log("INFO", &format!("backend changed: id={id} fields={fields}"));
        let updated = updated_of(&doc);
        let mut names: Vec<String> = edits
            .iter()
            .map(|(field, _)| field)
            .filter(|field| *field != "enabled")
            .map(|field| crate::probe::clean(field))
            .collect();
        names.sort();
        names.dedup();
        if !names.is_empty() {
            self.record_change(
                &doc,
                What::Edited {
                    origin: self.origin,
                    fields: names,
                    updated: updated.clone(),
                },
            );
        }
        let was_enabled = before.as_ref().map(BackendDoc::enabled);
        if was_enabled.is_some_and(|was| was != doc.enabled()) {
            let origin = self.origin;
            self.record_change(
                &doc,
                if doc.enabled() {
                    What::Enabled { origin, updated }
                } else {
                    What::Disabled { origin, updated }
                },
            );
        }
        self.changed();
        Ok(doc)
    }

    /// Records a config change this api made in the backend's timeline, and claims it, so that
    /// the engine (of this process or another) does not put it down to another writer: the
    /// console's engine is told; a command, which runs none, appends its own line (carrying
    /// the file's `updated`), which a running engine finds before it decides.
    fn record_change(&self, doc: &BackendDoc, what: What) {
        if let (Some(monitor), Some(updated)) = (&self.monitor, updated_of(doc)) {
            monitor.claim_change(&doc.id, &updated);
        }
        self.record_event(&doc.id, what);
    }

    /// Records an event in a backend's timeline: through the engine's writer when it runs
    /// here (at its next flush), else appended now (a command).
    pub fn record_event(&self, id: &str, what: What) {
        match &self.monitor {
            Some(monitor) => monitor.record_event(id, what, true),
            None => {
                let line = TimelineEvent::now(what).encode_line();
                if let Err(err) = self.store.append_events(id, line.as_bytes()) {
                    self.store
                        .log("WARNING", &format!("cannot record in the timeline: {err}"));
                }
            }
        }
    }

    /// A backend's timeline, oldest first, filtered by `query`: its file, with what the
    /// engine has not written yet. An event of a kind this version does not know is kept
    /// (`What::Unknown`, with its line). It reads a file: not for a UI loop.
    pub fn events(&self, id: &str, query: EventQuery) -> ApiResult<Vec<TimelineEvent>> {
        names::check_backend_id(id)?;
        let events = match &self.monitor {
            Some(monitor) => monitor.events(id),
            None => timeline::decode_text(&self.store.read_events(id)),
        };
        Ok(query.apply(events))
    }

    /// Removes a backend, its index entry, its cache and the stats and test results kept for it.
    pub fn remove_backend(&self, id: &str) -> ApiResult<()> {
        names::check_backend_id(id)?;
        self.store.remove_backend(id)?;
        // Stale metadata about a removed backend is harmless; failing to drop it is not fatal.
        self.store.forget_backend(id);
        self.store.log("INFO", &format!("backend removed: id={id}"));
        self.changed();
        Ok(())
    }

    /// Puts a backend in maintenance for `span` from now (a window it is in is replaced): it
    /// is still polled, its alerts are held. Kept in the store, seen by every engine.
    pub fn start_maintenance(
        &self,
        id: &str,
        span: Duration,
        reason: Option<&str>,
    ) -> ApiResult<Maintenance> {
        names::check_backend_id(id)?;
        // A backend that does not exist is refused (NotFound), before anything is written.
        self.store.get_backend(id)?;
        let window = Maintenance::starting(chrono::Utc::now(), span, reason);
        self.store.set_maintenance(id, &window)?;
        self.store.log(
            "INFO",
            &format!(
                "maintenance set: id={id} until={}",
                crate::store::timestamp::format(window.until)
            ),
        );
        self.changed();
        Ok(window)
    }

    /// Ends a backend's maintenance window now; the window it was in, or `None` when it was in
    /// none.
    pub fn end_maintenance(&self, id: &str) -> ApiResult<Option<Maintenance>> {
        names::check_backend_id(id)?;
        let ended = self.store.end_maintenance(id)?;
        if ended.is_some() {
            self.store
                .log("INFO", &format!("maintenance ended: id={id}"));
            self.changed();
        }
        Ok(ended)
    }

    /// The maintenance window a backend is in now, if any: the engine's when one runs, else
    /// the store's.
    pub fn maintenance(&self, id: &str) -> ApiResult<Option<Maintenance>> {
        names::check_backend_id(id)?;
        Ok(self.maintenance_windows()?.remove(id))
    }

    /// Every backend's maintenance window not yet over.
    pub fn maintenance_windows(
        &self,
    ) -> ApiResult<std::collections::BTreeMap<String, Maintenance>> {
        if let Some(monitor) = &self.monitor {
            return Ok(monitor.maintenance());
        }
        let now = chrono::Utc::now();
        let mut windows = self.store.maintenance_windows()?;
        windows.retain(|_, window| !window.is_over(now));
        Ok(windows)
    }

    /// Sets each backend's `maintenance` from the store's windows (stats read without the
    /// engine: kept ones may say an old window, a round's say none).
    fn with_maintenance(&self, backends: &mut [BackendStats]) {
        let windows = match self.maintenance_windows() {
            Ok(windows) => windows,
            Err(err) => {
                self.store.log(
                    "WARNING",
                    &format!("cannot read the maintenance windows: {err}"),
                );
                return;
            }
        };
        for stats in backends {
            stats.maintenance = windows
                .get(&stats.id)
                .map(crate::stats::MaintenanceBrief::of);
        }
    }

    fn changed(&self) {
        if let Some(monitor) = &self.monitor {
            monitor.rescan();
        }
    }

    /// Tests a saved backend. A result younger than `reuse_within`, and newer than the
    /// backend's last change, is reused instead of testing again.
    pub async fn test_backend(&self, id: &str, reuse_within: Duration) -> ApiResult<TestReport> {
        let ctx = self.probe::<ApiError>()?;
        let backend = self.store.get_backend(id)?;
        let key = poll::test_key(id);
        if !reuse_within.is_zero() {
            if let Some(cached) = self.cached_test(&key, &backend, reuse_within) {
                return Ok(cached);
            }
        }
        let report = poll::test(ctx, id, backend.config()).await;
        self.keep_test(id, &report, false);
        Ok(report)
    }

    /// Tests a saved backend now, with the kind's write check after the reads (never reused:
    /// it is asked for on purpose). Kept as the backend's last test result. A kind without a
    /// write check is refused before anything runs: a FAIL kept for it would make a healthy
    /// backend's `backend test --cached` fail.
    pub async fn test_backend_writing(&self, id: &str) -> ApiResult<TestReport> {
        let ctx = self.probe::<ApiError>()?;
        let backend = self.store.get_backend(id)?;
        if let Some(reason) = crate::backends::Kind::write_check_refusal(backend.kind()) {
            return Err(ApiError::Refused(format!(
                "backend '{}': {reason}; test it without the write check",
                crate::text::sanitize(id, 80)
            )));
        }
        let report = poll::test_with(ctx, id, backend.config(), true).await;
        self.keep_test(id, &report, true);
        Ok(report)
    }

    fn keep_test(&self, id: &str, report: &TestReport, write: bool) {
        self.record_event(id, timeline::test_event(report, self.origin, write));
        match serde_json::to_value(report) {
            Ok(value) => {
                if let Err(err) = self.store.write_metadata(&poll::test_key(id), value) {
                    self.store
                        .log("WARNING", &format!("cannot keep the test result: {err}"));
                }
            }
            Err(err) => self
                .store
                .log("WARNING", &format!("cannot encode the test result: {err}")),
        }
        if let Some(monitor) = &self.monitor {
            monitor.announce(Event::TestFinished(Box::new(report.clone())));
        }
    }

    fn cached_test(
        &self,
        key: &str,
        backend: &BackendDoc,
        reuse_within: Duration,
    ) -> Option<TestReport> {
        let entry = self.store.read_metadata(key).ok().flatten()?;
        if !entry.is_fresh(reuse_within) {
            return None;
        }
        let newer_than_config = match (entry.updated, backend.updated()) {
            (Some(tested), Some(changed)) => tested > changed,
            _ => false,
        };
        if !newer_than_config {
            return None;
        }
        let mut report: TestReport = serde_json::from_value(entry.value).ok()?;
        report.cached = true;
        Some(report)
    }

    /// Runs an inventory of a backend now, in this process, and keeps it. (With a running
    /// monitor, prefer `inventory_now`, which announces the new figures.)
    pub async fn run_inventory(&self, id: &str) -> Result<InventoryRecord, ApiInventoryError> {
        let ctx = self.probe::<ApiInventoryError>()?;
        let backend = self.store.get_backend(id)?;
        let outcome = poll::run_inventory(&self.store, ctx, &backend).await;
        match &outcome {
            Ok(record) => {
                if let Some(what) = timeline::inventory_event(record) {
                    self.record_event(id, what);
                }
            }
            // Another run holds the backend: that run is the one to record.
            Err(InventoryError::Busy(_)) => {}
            Err(err) => self.record_event(
                id,
                What::Inventory {
                    state: crate::stats::InventoryState::Failed,
                    objects: None,
                    bytes: None,
                    elapsed_ms: None,
                    error: Some(err.to_string()),
                },
            ),
        }
        Ok(outcome?)
    }

    /// Asks the running monitor for an inventory of a backend now.
    pub fn inventory_now(&self, id: &str) -> Result<(), ApiInventoryError> {
        match &self.monitor {
            Some(monitor) => Ok(monitor.inventory_now(id)?),
            None => Err(ApiInventoryError::NoMonitor),
        }
    }

    /// The inventory kept for a backend.
    pub fn inventory(&self, id: &str) -> Option<InventoryRecord> {
        poll::load_inventory(&self.store, id)
    }

    /// Tests a config that is not saved (a form's Test button).
    pub async fn test_config(
        &self,
        id: &str,
        config: &Map<String, Value>,
    ) -> ApiResult<TestReport> {
        Ok(poll::test(self.probe::<ApiError>()?, id, config).await)
    }

    /// A backend's stats: live from the monitor, else the last kept in the store (stale).
    pub fn stats(&self, id: &str) -> Option<BackendStats> {
        match &self.monitor {
            Some(monitor) => monitor.stats(id),
            None => self.stored_stats(id),
        }
    }

    pub fn all_stats(&self) -> Vec<BackendStats> {
        match &self.monitor {
            Some(monitor) => monitor.all_stats(),
            None => {
                let mut all: Vec<BackendStats> = self
                    .store
                    .list_backends()
                    .backends
                    .iter()
                    .filter_map(|b| self.kept_stats(&b.id))
                    .collect();
                // One read of the windows for them all.
                self.with_maintenance(&mut all);
                all
            }
        }
    }

    fn stored_stats(&self, id: &str) -> Option<BackendStats> {
        let mut stats = self.kept_stats(id)?;
        self.with_maintenance(std::slice::from_mut(&mut stats));
        Some(stats)
    }

    /// The stats kept in the store, as kept (their maintenance as it was then).
    fn kept_stats(&self, id: &str) -> Option<BackendStats> {
        let entry = self
            .store
            .read_metadata(&poll::stats_key(id))
            .ok()
            .flatten()?;
        let mut stats: BackendStats = serde_json::from_value(entry.value).ok()?;
        stats.stale = true;
        stats.source = crate::stats::Source::Metadata;
        Some(stats)
    }

    /// A backend's availability over its whole kept history: the windows' shares, every
    /// incident with its reason (from the alerts log, else the current health message of an
    /// ongoing one) and MTTR. It reads the history file: not for a UI loop.
    pub fn availability(&self, id: &str) -> ApiResult<availability::AvailabilityReport> {
        self.get_backend(id)?;
        let now = unix_now();
        let kept = self.history_range(id, u64::MAX);
        let health = self
            .stats(id)
            .filter(|s| s.health.status == crate::stats::HealthStatus::Down)
            .and_then(|s| s.health.message);
        let computed =
            crate::monitor::availability_of(&kept, &self.alerts(), id, health.as_deref(), now);
        Ok(availability::AvailabilityReport::new(id, &computed, now))
    }

    /// A backend's kept history over the last `span_secs` (the charts' range), oldest first:
    /// its history file with the points the monitor has not written yet. Poll resolution for
    /// `history_hours`, 10-minute buckets before. It reads a file: not for a UI loop.
    pub fn history_range(&self, id: &str, span_secs: u64) -> crate::monitor::history::KeptHistory {
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
        let since = now.saturating_sub(span_secs);
        match &self.monitor {
            Some(monitor) => monitor.history_since(id, since),
            None => crate::monitor::stored_history(&self.store, id, since),
        }
    }

    /// Active alerts first, then the cleared ones, newest first.
    pub fn alerts(&self) -> Vec<Alert> {
        let mut alerts: Vec<Alert> = match &self.monitor {
            // The monitor holds the newest (its writer may not have flushed them yet).
            Some(monitor) => monitor.alert_records(),
            None => self
                .store
                .read_metadata("alerts")
                .ok()
                .flatten()
                .and_then(|entry| serde_json::from_value(entry.value).ok())
                .unwrap_or_default(),
        };
        alerts.reverse();
        alerts.sort_by_key(|a| a.cleared_at.is_some());
        alerts
    }

    /// The active alerts in groups: alerts of one rule whose backends share an endpoint (one
    /// server down takes every backend on it down) are one group naming its backends; any
    /// other alert is a group of its own. Newest first.
    pub fn alert_groups(&self) -> Vec<AlertGroup> {
        self.alert_overview().groups
    }

    /// Everything an alerts view needs, from one listing of the backends and one read of the
    /// alerts: the groups, every alert kept, and each backend's endpoint.
    pub fn alert_overview(&self) -> AlertOverview {
        let endpoints: std::collections::HashMap<String, String> = self
            .store
            .list_backends()
            .backends
            .iter()
            .filter_map(|b| backends::endpoint(b.config()).map(|e| (b.id.clone(), e)))
            .collect();
        let alerts = self.alerts();
        let mut groups: Vec<AlertGroup> = Vec::new();
        for alert in alerts.iter().filter(|a| a.cleared_at.is_none()) {
            let endpoint = endpoints.get(&alert.backend).cloned();
            let same = groups
                .iter_mut()
                .find(|g| g.rule == alert.rule && endpoint.is_some() && g.endpoint == endpoint);
            match same {
                Some(group) => group.alerts.push(alert.clone()),
                None => groups.push(AlertGroup {
                    rule: alert.rule,
                    endpoint,
                    alerts: vec![alert.clone()],
                }),
            }
        }
        AlertOverview {
            groups,
            alerts,
            endpoints,
        }
    }

    /// Acknowledges a backend's active alert in the running monitor.
    pub fn acknowledge_alert(&self, id: &str, rule: Rule) -> Result<bool, ApiInventoryError> {
        match &self.monitor {
            Some(monitor) => Ok(monitor.acknowledge_alert(id, rule)),
            None => Err(ApiInventoryError::NoMonitor),
        }
    }

    /// Silences a backend's active alert for `for_secs` in the running monitor.
    pub fn silence_alert(
        &self,
        id: &str,
        rule: Rule,
        for_secs: u64,
    ) -> Result<bool, ApiInventoryError> {
        match &self.monitor {
            Some(monitor) => Ok(monitor.silence_alert(id, rule, for_secs)),
            None => Err(ApiInventoryError::NoMonitor),
        }
    }

    /// Removes metadata older than `days`, except what is still in use: the alerts file while
    /// an alert is active, the maintenance windows while one is under way, and the stats,
    /// inventory and test result of a backend that exists.
    pub fn cleanup(&self, days: u64) -> ApiResult<crate::store::CleanupReport> {
        let existing: std::collections::HashSet<String> = self
            .store
            .list_backends()
            .backends
            .iter()
            .flat_map(|b| {
                [
                    poll::stats_key(&b.id),
                    poll::inventory_key(&b.id),
                    poll::test_key(&b.id),
                ]
            })
            .collect();
        let keep = |key: &str, doc: &Map<String, Value>| -> Option<&'static str> {
            if existing.contains(key) {
                return Some("a backend that exists");
            }
            let active_alert = key == "alerts"
                && doc
                    .get("value")
                    .and_then(Value::as_array)
                    .is_some_and(|alerts| {
                        alerts
                            .iter()
                            .any(|a| a.get("cleared_at").is_none_or(Value::is_null))
                    });
            if active_alert {
                return Some("an alert is active");
            }
            let now = chrono::Utc::now();
            let window_open = key == crate::store::maintenance::MAINTENANCE_KEY
                && doc.get("value").is_some_and(|value| {
                    crate::store::maintenance::windows_of(value)
                        .values()
                        .any(|window| !window.is_over(now))
                });
            window_open.then_some("a maintenance window is under way")
        };
        let report = self.store.cleanup_metadata(days, &keep)?;
        self.store.log(
            "INFO",
            &format!(
                "cleanup: removed {} metadata entries older than {days} days",
                report.removed.len()
            ),
        );
        Ok(report)
    }

    /// Removes the temp files that writers killed mid-write left behind, older than
    /// `min_age` (a write in progress is never touched). Returns how many went.
    pub fn sweep_temp_files(&self, min_age: Duration) -> usize {
        self.store.sweep_temp_files(min_age)
    }

    pub fn settings(&self) -> ApiResult<Settings> {
        Ok(self.store.settings()?)
    }

    /// Parses, checks and writes one setting; returns the value written.
    pub fn set_setting(&self, key: &str, raw: &str) -> ApiResult<Value> {
        let value = settings::parse(key, raw)?;
        self.store.set_setting(key, value.clone())?;
        self.store
            .log("INFO", &format!("setting changed: {key}={value}"));
        self.changed();
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_chart_range_reads_its_points_from_the_history_file() {
        use crate::monitor::history::{encode_line, Point};
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path().join("home")).unwrap();
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
        let point = |ago: u64, objects: u64| Point {
            at: now - ago,
            response_ms: Some(10.0),
            used_bytes: Some(1_000 + objects),
            objects: Some(objects),
            ..Point::default()
        };
        let written = [point(2 * 3600, 1), point(30 * 60, 2), point(5 * 60, 3)];
        let file = store.cache_dir().join("kubo").join("history.ndjson");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let text: String = written.iter().map(encode_line).collect();
        // An old three-element line and a torn last line, as a crash leaves them.
        let old = format!("[{},8.0,500]\n", now - 20 * 3600);
        std::fs::write(&file, format!("{old}{text}[{},1.0,", now - 60)).unwrap();
        let api = Api::new(store);
        let objects = |span: u64| -> Vec<Option<u64>> {
            api.history_range("kubo", span)
                .points
                .iter()
                .map(|p| p.objects)
                .collect()
        };
        assert_eq!(objects(15 * 60), [Some(3)]);
        assert_eq!(objects(3600), [Some(2), Some(3)]);
        assert_eq!(objects(24 * 3600), [None, Some(1), Some(2), Some(3)]);
        let kept = api.history_range("kubo", 24 * 3600);
        assert_eq!(kept.points[0].used_bytes, Some(500));
        // history_hours defaults to 24 (the clock may have moved on by a second).
        assert!((now - 24 * 3600..=now - 24 * 3600 + 2).contains(&kept.fine_from));
        assert!(api.history_range("nothing-here", 3600).points.is_empty());
    }

    #[test]
    fn alerts_of_one_rule_on_one_endpoint_are_one_group() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path().join("home")).unwrap();
        let s3 = |bucket: &str| {
            json!({"type": "s3", "endpoint": "http://10.0.0.5:3900", "bucket": bucket,
                   "access_key": "k", "secret_key": "s"})
            .as_object()
            .unwrap()
            .clone()
        };
        for bucket in ["a", "b", "c"] {
            store.create_backend(bucket, s3(bucket)).unwrap();
        }
        let kubo = json!({"type": "ipfs", "api_url": "http://10.0.0.9:5001"});
        store
            .create_backend("kubo", kubo.as_object().unwrap().clone())
            .unwrap();
        let alert = |backend: &str, rule: &str, cleared: Option<&str>| {
            json!({"backend": backend, "rule": rule, "message": "down for 3 polls",
                   "raised_at": "2026-11-24T10:00:00+00:00", "cleared_at": cleared})
        };
        store
            .write_metadata(
                "alerts",
                json!([
                    alert("a", "down", None),
                    alert("b", "down", None),
                    alert("c", "down", None),
                    alert("c", "quota", None),
                    alert("kubo", "down", None),
                    alert("a", "error_rate", Some("2026-11-24T10:05:00+00:00")),
                ]),
            )
            .unwrap();
        let groups = Api::new(store).alert_groups();
        let shape: Vec<(Rule, Option<&str>, Vec<&str>)> = groups
            .iter()
            .map(|g| {
                (
                    g.rule,
                    g.endpoint.as_deref(),
                    g.alerts.iter().map(|a| a.backend.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                (Rule::Down, Some("10.0.0.9:5001"), vec!["kubo"]),
                (Rule::Quota, Some("10.0.0.5:3900"), vec!["c"]),
                (Rule::Down, Some("10.0.0.5:3900"), vec!["c", "b", "a"]),
            ]
        );
    }
}
