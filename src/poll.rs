//! The one poll implementation that every face goes through — the monitor, `status`,
//! `backend inventory` and `backend test` — so that one backend gets one answer:
//!
//! - the *pulse*, with the one rule for when a backend is down: its liveness call failed three
//!   times in a row within the poll's time (or once, for a reason retrying cannot mend:
//!   rejected credentials, a bad config, a missing bucket, an answer over its cap); any other failed call only makes it
//!   degraded and costs the figures that call feeds;
//! - the *inventory*, with its clock (`inventory_secs`), its budget, its lock (one run per
//!   backend at a time, across processes) and its record in the store;
//! - the *test*: the kind's own steps, then the pulse the monitor runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::backends::{BackendKind, Kind};
use crate::probe::{clean, millis, Budget, ProbeContext, ProbeError, TestReport, TestRun};
use crate::stats::{
    BackendStats, Counted, FailedCall, Health, HealthStatus, InventoryRecord, InventoryRun,
    InventoryState, Measurement, Performance, Progress, RunInfo, Source, StatsReport,
};
use crate::store::{timestamp, BackendDoc, InventoryLock, Settings, Store};

/// Attempts of the liveness call within one poll before a backend is down.
pub const LIVENESS_ATTEMPTS: usize = 3;
/// Pauses between those attempts.
const RETRY_PAUSES: [Duration; LIVENESS_ATTEMPTS - 1] =
    [Duration::from_millis(500), Duration::from_millis(1000)];

/// What one inventory run may spend.
pub const INVENTORY_TIME: Duration = Duration::from_secs(60);
pub const INVENTORY_REQUESTS: u64 = 500;
/// A count carried over several runs goes on this long after the last run stopped.
pub const INVENTORY_RESUME_AFTER: Duration = Duration::from_secs(60);
/// A failed inventory is tried again after this long (or `inventory_secs`, if shorter).
pub const INVENTORY_RETRY_AFTER: Duration = Duration::from_secs(600);
/// Inventories running at once, over all backends.
pub const INVENTORIES_AT_ONCE: usize = 2;

// A backend's metadata keys are the home's layout: the store names them.
pub use crate::store::names::{inventory_key, stats_key, test_key};

/// A failure that retrying at once cannot mend, or that already took the poll's time. An
/// answer over its cap would be as large again: reading it twice more only costs.
fn retry_soon(err: &ProbeError) -> bool {
    !err.is_permanent()
        && !matches!(
            err,
            ProbeError::RateLimited { .. }
                | ProbeError::Timeout { .. }
                | ProbeError::TooLarge { .. }
        )
}

/// A call other than the liveness call whose credentials were rejected (a monitoring-only
/// credential such as Garage's admin token, or a Kubo token scoped to fewer commands): the
/// backend answers and its data path works, so it is degraded with a credentials alert, not
/// down. Its failure class, for `health.failure`.
fn rejected_call(pulse: &Measurement) -> Option<&'static str> {
    pulse
        .failed
        .iter()
        .find(|failed| matches!(failed.error, ProbeError::Unauthorized { .. }))
        .map(|failed| failed.error.class())
}

/// One pulse of one backend, under the one rule for "down".
pub async fn pulse(
    ctx: &ProbeContext,
    kind: &dyn BackendKind,
    config: &serde_json::Map<String, Value>,
) -> Result<Measurement, ProbeError> {
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        let err = match kind.pulse(ctx, config).await {
            Ok(pulse) => return Ok(pulse),
            Err(err) => err,
        };
        let Some(pause) = RETRY_PAUSES.get(attempt).copied() else {
            return Err(err);
        };
        if !retry_soon(&err) || started.elapsed() + pause >= ctx.timeout {
            return Err(err);
        }
        tokio::time::sleep(pause).await;
        attempt += 1;
    }
}

/// How often a backend's inventory runs: its own `inventory_secs`, else `default_secs` (the
/// setting).
pub fn inventory_every(default_secs: u64, backend: &BackendDoc) -> Duration {
    let own = backend
        .config()
        .get("inventory_secs")
        .and_then(Value::as_u64);
    Duration::from_secs(own.unwrap_or(default_secs).max(1))
}

/// How long after a run the next one is due, by how that run ended.
pub fn inventory_wait(outcome: InventoryState, every: Duration) -> Duration {
    match outcome {
        InventoryState::Counting => INVENTORY_RESUME_AFTER,
        InventoryState::Failed => INVENTORY_RETRY_AFTER.min(every),
        InventoryState::Complete | InventoryState::Partial => every,
    }
}

/// Whether the kept inventory is old enough for a new run (by the wall clock: the record may
/// come from another process or an earlier run).
pub fn inventory_due(record: Option<&InventoryRecord>, every: Duration) -> bool {
    let Some(run) = record.and_then(|r| r.last_run.as_ref()) else {
        return true;
    };
    let Some(at) = timestamp::parse(&run.at) else {
        return true;
    };
    let age = chrono::Utc::now().signed_duration_since(at);
    let wait = inventory_wait(run.outcome, every);
    // A clock set back makes the age negative: count again rather than wait longer.
    age < chrono::TimeDelta::zero() || age.to_std().is_ok_and(|age| age >= wait)
}

/// The inventory kept in the store for a backend.
pub fn load_inventory(store: &Store, id: &str) -> Option<InventoryRecord> {
    let entry = store.read_metadata(&inventory_key(id)).ok().flatten()?;
    serde_json::from_value(entry.value).ok()
}

/// Why an inventory did not run.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("backend '{0}' is disabled")]
    Disabled(String),
    #[error("kind '{0}' has nothing to count on the slow clock: its pulse already reports everything, at a cost that does not grow")]
    NothingToCount(Kind),
    #[error(transparent)]
    UnknownKind(#[from] crate::backends::FieldError),
    #[error("an inventory of '{0}' is already running (in this or another process)")]
    Busy(String),
    #[error("cannot keep the inventory of '{id}': {detail}")]
    Store { id: String, detail: String },
}

/// The lock that keeps one inventory run per backend at a time, across processes.
fn lock_inventory(store: &Store, id: &str) -> Result<InventoryLock, InventoryError> {
    match store.try_lock_inventory(id) {
        Ok(Some(lock)) => Ok(lock),
        Ok(None) => Err(InventoryError::Busy(id.to_string())),
        Err(err) => Err(InventoryError::Store {
            id: id.to_string(),
            detail: err.to_string(),
        }),
    }
}

/// Folds one run into the kept record.
pub fn record_run(
    previous: Option<InventoryRecord>,
    result: Result<InventoryRun, ProbeError>,
    started_at: &str,
    elapsed: Duration,
) -> InventoryRecord {
    let mut record = previous.unwrap_or_default();
    let now = timestamp::now();
    let (outcome, requests, error) = match result {
        Ok(run) => {
            let error = FailedCall::describe_all(&run.failed);
            match run.resume {
                Some(resume) => {
                    let (started, before) = record
                        .progress
                        .as_ref()
                        .map(|p| (p.started_at.clone(), p.requests))
                        .unwrap_or_else(|| (started_at.to_string(), 0));
                    record.progress = Some(Progress {
                        started_at: started,
                        resume,
                        figures: run.figures,
                        requests: before + run.requests,
                    });
                    (InventoryState::Counting, run.requests, error)
                }
                None => {
                    record.progress = None;
                    record.counted = Some(Counted {
                        as_of: now.clone(),
                        figures: run.figures,
                        complete: run.complete,
                    });
                    let outcome = if run.complete {
                        InventoryState::Complete
                    } else {
                        InventoryState::Partial
                    };
                    (outcome, run.requests, error)
                }
            }
        }
        Err(err) => (InventoryState::Failed, 0, Some(err.to_string())),
    };
    record.last_run = Some(RunInfo {
        at: now,
        elapsed_ms: millis(elapsed),
        requests,
        outcome,
        error,
    });
    record
}

/// A context for an inventory run: its answers may stream for as long as its budget lasts,
/// but a server silent for the poll's timeout is given up; each call keeps its own cap.
fn inventory_context(ctx: &ProbeContext) -> ProbeContext {
    let time = INVENTORY_TIME.max(ctx.timeout);
    match crate::probe::Http::for_streams(time, ctx.timeout) {
        Ok(http) => ProbeContext {
            http,
            timeout: time,
        },
        Err(_) => ctx.clone(),
    }
}

/// Runs one inventory of `backend` now: locked against a second run, budgeted, going on from
/// the kept progress, and kept in the store. The kind's failures are part of the record (an
/// inventory that failed is still a result to show); only a lock or the store fails here.
pub async fn run_inventory(
    store: &Store,
    ctx: &ProbeContext,
    backend: &BackendDoc,
) -> Result<InventoryRecord, InventoryError> {
    if !backend.enabled() {
        return Err(InventoryError::Disabled(backend.id.clone()));
    }
    let kind = Kind::parse(backend.kind())?;
    if !kind.spec().has_inventory() {
        return Err(InventoryError::NothingToCount(kind));
    }
    let _lock = lock_inventory(store, &backend.id)?;
    // Read under the lock: another process may have just finished a run.
    let previous = load_inventory(store, &backend.id);
    let resume = previous
        .as_ref()
        .and_then(|r| r.progress.as_ref())
        .map(|p| p.resume.clone());
    let started_at = timestamp::now();
    let started = Instant::now();
    let budget = Budget::new(INVENTORY_TIME, INVENTORY_REQUESTS);
    let ctx = inventory_context(ctx);
    // The budget is checked between requests; this bounds a run whose last request stalls.
    let bound = INVENTORY_TIME + ctx.timeout.min(INVENTORY_TIME);
    let result = tokio::time::timeout(
        bound,
        kind.spec()
            .inventory(&ctx, backend.config(), resume, &budget),
    )
    .await
    .unwrap_or(Err(ProbeError::Timeout {
        secs: bound.as_secs(),
    }));
    let record = record_run(previous, result, &started_at, started.elapsed());
    let value = serde_json::to_value(&record).map_err(|e| InventoryError::Store {
        id: backend.id.clone(),
        detail: e.to_string(),
    })?;
    store
        .write_metadata(&inventory_key(&backend.id), value)
        .map_err(|e| InventoryError::Store {
            id: backend.id.clone(),
            detail: e.to_string(),
        })?;
    Ok(record)
}

/// The health of a backend that is not polled, or `None` for one that is: disabled in its
/// config, or of a kind this console cannot probe (the reason names the kind).
pub fn unpolled_health(backend: &BackendDoc) -> Option<Health> {
    let kind = Kind::parse(backend.kind());
    if !backend.enabled() {
        let mut health = Health::disabled();
        // The config's last change is when it was switched off, or after.
        let since = backend.updated().map(|at| timestamp::local_minute(&at));
        let mut message = match since {
            Some(since) => format!("disabled in its config since {since}"),
            None => "disabled in its config".to_string(),
        };
        if kind.is_err() {
            message.push_str("; ");
            message.push_str(&unsupported_reason(backend));
        }
        health.message = Some(message);
        return Some(health);
    }
    kind.is_err()
        .then(|| Health::unsupported(unsupported_reason(backend)))
}

/// Marks the stats of a backend that is not polled: its figures (if it ever had any) are old,
/// and say so; one that never had any is not "stale", there is nothing to be stale.
pub fn mark_unpolled(stats: &mut BackendStats, mut health: Health) {
    let had_figures = stats.updated_at.is_some();
    // Switched off is not "never checked": the last check's time stays, with its age.
    if health.checked_at.is_none() {
        health.checked_at = stats.health.checked_at.take();
    }
    stats.health = health;
    stats.alerts.clear();
    stats.stale = had_figures;
    stats.source = if had_figures {
        Source::Metadata
    } else {
        Source::Live
    };
}

/// Why a backend's kind is not probed, in words an operator can act on.
pub fn unsupported_reason(backend: &BackendDoc) -> String {
    let known = Kind::ALL.map(Kind::as_str).join(", ");
    if backend.kind() == crate::store::UNKNOWN_KIND {
        format!("its config names no type (kind unknown), so it is not polled; kinds this console polls: {known}")
    } else {
        format!(
            "kind '{}' is not one this console can probe, so it is not polled; kinds it polls: {known}",
            clean(backend.kind())
        )
    }
}

/// Stats for a backend that is not polled: disabled, or of a kind this console cannot probe.
fn not_polled(backend: &BackendDoc, stats: &mut BackendStats) -> bool {
    match unpolled_health(backend) {
        Some(health) => {
            mark_unpolled(stats, health);
            true
        }
        None => false,
    }
}

/// Applies a pulse's outcome to a backend's stats (the monitor does the same, plus its window
/// of performance figures and its backoff).
pub fn apply(
    stats: &mut BackendStats,
    result: Result<Measurement, ProbeError>,
    inventory: Option<&InventoryRecord>,
    now: &str,
) {
    match result {
        Ok(pulse) => {
            let rejected = rejected_call(&pulse);
            stats.apply_pulse(pulse, inventory, now);
            stats.health.failure = rejected.map(str::to_string);
        }
        Err(err) => {
            stats.inventory = inventory.and_then(InventoryRecord::summary);
            stats.apply_failure(HealthStatus::Down, err.to_string(), now);
            stats.health.failure = Some(err.class().to_string());
        }
    }
}

/// Polls one backend once, as `status` does: the pulse, then, when the backend answered and
/// the kept inventory is older than `inventory_secs`, an inventory (as `inventories` allows).
/// On failure the last-known figures (`previous`) are kept, marked stale.
pub async fn poll(
    store: &Store,
    ctx: &ProbeContext,
    settings: &Settings,
    backend: &BackendDoc,
    previous: Option<BackendStats>,
    inventories: &tokio::sync::Semaphore,
) -> BackendStats {
    let mut stats = previous.unwrap_or_default();
    stats.id = backend.id.clone();
    stats.kind = clean(backend.kind());
    stats.enabled = backend.enabled();
    stats.performance = Performance::default();
    if not_polled(backend, &mut stats) {
        return stats;
    }
    let Ok(kind) = Kind::parse(backend.kind()) else {
        return stats;
    };
    let started = Instant::now();
    let result = pulse(ctx, kind.spec(), backend.config()).await;
    let elapsed = millis(started.elapsed());
    let ok = result.is_ok();
    let mut inventory = load_inventory(store, &backend.id);
    // As in the monitor: no inventory of a backend that does not answer (it would only wait
    // out its longer budget).
    if ok
        && kind.spec().has_inventory()
        && inventory_due(
            inventory.as_ref(),
            inventory_every(settings.inventory_secs(), backend),
        )
    {
        let _slot = inventories.acquire().await.ok();
        match run_inventory(store, ctx, backend).await {
            Ok(record) => inventory = Some(record),
            // Another process is counting: its record is what we show.
            Err(InventoryError::Busy(_)) => {}
            Err(err) => store.log("WARNING", &err.to_string()),
        }
    }
    apply(&mut stats, result, inventory.as_ref(), &timestamp::now());
    stats.performance = Performance::from_samples(&[(elapsed, ok)]);
    stats
}

/// One polling round over every backend, at most `parallel` at once; each result is written
/// to the store as `metadata/stats.ID.json` so the next start shows it at once.
pub async fn poll_round(store: &Store, ctx: &ProbeContext, parallel: usize) -> StatsReport {
    poll_round_timed(store, ctx, parallel).await.0
}

/// [`poll_round`], with how long each backend's poll took (seconds, in the report's order;
/// `None` for a backend that is not polled: disabled, or of a kind we do not probe).
pub async fn poll_round_timed(
    store: &Store,
    ctx: &ProbeContext,
    parallel: usize,
) -> (StatsReport, Vec<Option<f64>>) {
    let listing = store.list_backends();
    let settings = store.settings().unwrap_or_default();
    let gate = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let inventories = Arc::new(tokio::sync::Semaphore::new(INVENTORIES_AT_ONCE));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, backend) in listing.backends.into_iter().enumerate() {
        let previous = store
            .read_metadata(&stats_key(&backend.id))
            .ok()
            .flatten()
            .and_then(|entry| serde_json::from_value::<BackendStats>(entry.value).ok());
        let (ctx, gate, inventories) = (ctx.clone(), gate.clone(), inventories.clone());
        let (store, settings) = (store.clone(), settings.clone());
        tasks.spawn(async move {
            // A closed semaphore cannot happen here (we never close it); poll anyway if it did.
            let _permit = gate.acquire_owned().await.ok();
            let polled = unpolled_health(&backend).is_none() && Kind::parse(backend.kind()).is_ok();
            let started = Instant::now();
            let stats = poll(&store, &ctx, &settings, &backend, previous, &inventories).await;
            let elapsed = polled.then(|| started.elapsed().as_secs_f64());
            (index, stats, elapsed)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(result) => results.push(result),
            Err(err) => eprintln!("warning: a probe task failed: {err}"),
        }
    }
    results.sort_by_key(|(index, _, _)| *index);
    let (backends, times): (Vec<BackendStats>, Vec<Option<f64>>) = results
        .into_iter()
        .map(|(_, stats, elapsed)| (stats, elapsed))
        .unzip();
    for stats in &backends {
        match serde_json::to_value(stats) {
            Ok(value) => {
                if let Err(err) = store.write_metadata(&stats_key(&stats.id), value) {
                    eprintln!("warning: cannot keep the stats of '{}': {err}", stats.id);
                }
            }
            Err(err) => eprintln!("warning: cannot encode the stats of '{}': {err}", stats.id),
        }
    }
    let report = StatsReport {
        generated_at: timestamp::now(),
        backends,
    };
    (report, times)
}

/// Describes a pulse for a test step: what the monitor would show.
fn describe_pulse(pulse: &Measurement) -> String {
    match pulse.problems() {
        None => "healthy: every call answered".to_string(),
        Some(problems) => format!("degraded: {problems}"),
    }
}

/// Tests a config (saved or not): the kind's own steps (reachable, authenticated, one real
/// read), then the pulse exactly as the monitor runs it, so that a test and the monitor
/// cannot disagree on "down".
pub async fn test(
    ctx: &ProbeContext,
    id: &str,
    config: &serde_json::Map<String, Value>,
) -> TestReport {
    test_with(ctx, id, config, false).await
}

/// `test`, then, when `write` is set and the reads passed, the kind's write check (a small
/// object put, read back, compared and deleted). A kind without one fails with that reason.
pub async fn test_with(
    ctx: &ProbeContext,
    id: &str,
    config: &serde_json::Map<String, Value>,
    write: bool,
) -> TestReport {
    let started = Instant::now();
    let kind_name = config.get("type").and_then(Value::as_str).unwrap_or("");
    let mut run = TestRun::default();
    let result = match Kind::parse(kind_name) {
        Ok(kind) => {
            let spec = kind.spec();
            let read = match spec.test(ctx, config, &mut run).await {
                Ok(()) => run
                    .step(
                        "pulse: what the monitor polls",
                        pulse(ctx, spec, config),
                        describe_pulse,
                    )
                    .await
                    .map(|_| ()),
                Err(err) => Err(err),
            };
            match read {
                Ok(()) if write && spec.has_write_check() => {
                    spec.write_check(ctx, config, &mut run).await
                }
                Ok(()) if write => Err(ProbeError::Config(format!(
                    "kind {kind} has no write check (nothing it can safely write and remove)"
                ))),
                other => other,
            }
        }
        Err(err) => Err(ProbeError::Config(err.to_string())),
    };
    let error = result.as_ref().err().map(crate::probe::TestFailure::of);
    TestReport {
        id: id.to_string(),
        kind: clean(kind_name),
        ok: result.is_ok() && run.steps.iter().all(|s| s.ok),
        steps: run.steps,
        error,
        checked_at: timestamp::now(),
        elapsed_ms: millis(started.elapsed()),
        cached: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Figures;

    #[test]
    fn a_backend_switched_off_keeps_the_time_of_its_last_check() {
        let at = "2026-11-24T12:00:00+00:00";
        let mut stats = BackendStats {
            health: Health {
                status: HealthStatus::Healthy,
                checked_at: Some(at.into()),
                ..Health::default()
            },
            updated_at: Some(at.into()),
            ..BackendStats::default()
        };
        mark_unpolled(&mut stats, Health::disabled());
        assert_eq!(stats.health.status, HealthStatus::Disabled);
        assert_eq!(stats.health.checked_at.as_deref(), Some(at));
        assert!(stats.stale);
        // Never checked stays never checked.
        let mut never = BackendStats::default();
        mark_unpolled(&mut never, Health::disabled());
        assert_eq!(never.health.checked_at, None);
    }

    fn run(complete: bool, resume: Option<Value>, count: u64) -> InventoryRun {
        let mut figures = Figures::default();
        figures.files.count = Some(count);
        InventoryRun {
            figures,
            complete,
            resume,
            requests: 3,
            failed: Vec::new(),
        }
    }

    #[test]
    fn a_count_over_several_runs_keeps_the_last_finished_one_shown() {
        let first = record_run(None, Ok(run(true, None, 10)), "t0", Duration::ZERO);
        assert_eq!(
            first.last_run.as_ref().unwrap().outcome,
            InventoryState::Complete
        );
        let (shown, _) = first.shown().unwrap();
        assert_eq!(shown.files.count, Some(10));
        assert!(!shown.files.partial);

        let going = record_run(
            Some(first),
            Ok(run(false, Some(serde_json::json!({"token": "x"})), 4)),
            "t1",
            Duration::ZERO,
        );
        assert_eq!(
            going.last_run.as_ref().unwrap().outcome,
            InventoryState::Counting
        );
        // The recount is under way: the finished count is still what is shown.
        assert_eq!(going.shown().unwrap().0.files.count, Some(10));
        assert_eq!(going.progress.as_ref().unwrap().started_at, "t1");

        let on = record_run(
            Some(going),
            Ok(run(false, Some(serde_json::json!({"token": "y"})), 8)),
            "t2",
            Duration::ZERO,
        );
        let progress = on.progress.as_ref().unwrap();
        assert_eq!((progress.started_at.as_str(), progress.requests), ("t1", 6));

        let done = record_run(Some(on), Ok(run(true, None, 12)), "t3", Duration::ZERO);
        assert!(done.progress.is_none());
        assert_eq!(done.shown().unwrap().0.files.count, Some(12));
    }

    #[test]
    fn a_first_count_in_progress_is_shown_as_a_lower_bound() {
        let going = record_run(
            None,
            Ok(run(false, Some(serde_json::json!({})), 4)),
            "t0",
            Duration::ZERO,
        );
        let (shown, _) = going.shown().unwrap();
        assert_eq!(shown.files.count, Some(4));
        assert!(shown.files.partial);
    }

    #[test]
    fn a_failed_run_keeps_what_was_counted() {
        let first = record_run(None, Ok(run(true, None, 10)), "t0", Duration::ZERO);
        let failed = record_run(
            Some(first),
            Err(ProbeError::Timeout { secs: 60 }),
            "t1",
            Duration::ZERO,
        );
        let last = failed.last_run.as_ref().unwrap();
        assert_eq!(last.outcome, InventoryState::Failed);
        assert!(last.error.as_deref().unwrap().contains("timed out"));
        assert_eq!(failed.shown().unwrap().0.files.count, Some(10));
    }

    #[test]
    fn due_follows_the_outcome_of_the_last_run() {
        let hour = Duration::from_secs(3600);
        assert!(inventory_due(None, hour));
        let mut record = record_run(None, Ok(run(true, None, 1)), "t0", Duration::ZERO);
        assert!(!inventory_due(Some(&record), hour));
        assert!(inventory_due(Some(&record), Duration::ZERO));
        let old = timestamp::format(chrono::Utc::now() - chrono::Duration::seconds(120));
        if let Some(last) = record.last_run.as_mut() {
            last.at = old;
            last.outcome = InventoryState::Counting;
        }
        // A count in progress goes on a minute after its last run, not an hour.
        assert!(inventory_due(Some(&record), hour));
        if let Some(last) = record.last_run.as_mut() {
            last.outcome = InventoryState::Failed;
        }
        assert!(!inventory_due(Some(&record), hour));
    }
}
