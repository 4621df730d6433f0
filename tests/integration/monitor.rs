//! The monitor engine: scheduling on tokio's paused clock with a scripted prober, stale
//! fallback, pick-up of other processes' changes, history across restarts, write coalescing,
//! alerts, and the inventory's slow clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ipfs_kit_tui::monitor::alerts::Rule;
use ipfs_kit_tui::monitor::{BoxFuture, Event, Monitor, MonitorConfig, Prober};
use ipfs_kit_tui::poll::{self, InventoryError};
use ipfs_kit_tui::probe::ProbeError;
use ipfs_kit_tui::stats::{
    Figures, HealthStatus, InventoryRecord, InventoryRun, InventoryState, Measurement, Quota,
    QuotaSource, Storage,
};
use ipfs_kit_tui::store::{timestamp, BackendDoc, Store};
use serde_json::{json, Map, Value};
use tokio::time::Instant;

use crate::support;

/// What the scripted prober does on the n-th call (0-based) for a backend.
type Behaviour = dyn Fn(&str, usize) -> (Duration, Result<Measurement, ProbeError>) + Send + Sync;

/// How the n-th inventory (0-based) of a backend goes: how long it takes and what it counts.
type InventoryScript = dyn Fn(&str, usize) -> (Duration, InventoryRun) + Send + Sync;

/// The scripted inventory: its script, the age its records claim, and what it saw.
struct Inventories {
    script: Box<InventoryScript>,
    /// When set, each record says its run was this long ago: the monitor's inventory clock
    /// reads the wall-clock time in the record (`last_run.at`), which the paused tokio clock
    /// does not move.
    backdate: Option<chrono::Duration>,
    /// Per backend: when each run started (tokio time).
    runs: Mutex<HashMap<String, Vec<Instant>>>,
    records: Mutex<HashMap<String, InventoryRecord>>,
    in_flight: Mutex<HashMap<String, usize>>,
    max_per_backend: AtomicUsize,
    at_once: AtomicUsize,
    max_at_once: AtomicUsize,
}

struct Scripted {
    behaviour: Box<Behaviour>,
    calls: Mutex<HashMap<String, Vec<Instant>>>,
    in_flight: Mutex<HashMap<String, usize>>,
    max_in_flight_per_backend: AtomicUsize,
    /// Pulses as they ended: when, and whether they answered.
    outcomes: Mutex<HashMap<String, Vec<(Instant, bool)>>>,
    inventories: Option<Inventories>,
}

impl Scripted {
    fn new(
        behaviour: impl Fn(&str, usize) -> (Duration, Result<Measurement, ProbeError>)
            + Send
            + Sync
            + 'static,
    ) -> Arc<Scripted> {
        Arc::new(Scripted::build(behaviour, None))
    }

    fn build(
        behaviour: impl Fn(&str, usize) -> (Duration, Result<Measurement, ProbeError>)
            + Send
            + Sync
            + 'static,
        inventories: Option<Inventories>,
    ) -> Scripted {
        Scripted {
            behaviour: Box::new(behaviour),
            calls: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            max_in_flight_per_backend: AtomicUsize::new(0),
            outcomes: Mutex::new(HashMap::new()),
            inventories,
        }
    }

    /// A prober whose backends have an inventory, run as `script` says.
    fn with_inventory(
        behaviour: impl Fn(&str, usize) -> (Duration, Result<Measurement, ProbeError>)
            + Send
            + Sync
            + 'static,
        script: impl Fn(&str, usize) -> (Duration, InventoryRun) + Send + Sync + 'static,
        backdate: Option<chrono::Duration>,
    ) -> Arc<Scripted> {
        Arc::new(Scripted::build(
            behaviour,
            Some(Inventories {
                script: Box::new(script),
                backdate,
                runs: Mutex::new(HashMap::new()),
                records: Mutex::new(HashMap::new()),
                in_flight: Mutex::new(HashMap::new()),
                max_per_backend: AtomicUsize::new(0),
                at_once: AtomicUsize::new(0),
                max_at_once: AtomicUsize::new(0),
            }),
        ))
    }

    fn inventories(&self) -> &Inventories {
        self.inventories
            .as_ref()
            .expect("a prober with inventories")
    }

    /// When each inventory of `id` started.
    fn inventory_starts(&self, id: &str) -> Vec<Instant> {
        self.inventories()
            .runs
            .lock()
            .unwrap()
            .get(id)
            .cloned()
            .unwrap_or_default()
    }

    /// Whether the last pulse of `id` that ended at or before `at` answered.
    fn up_at(&self, id: &str, at: Instant) -> Option<bool> {
        self.outcomes
            .lock()
            .unwrap()
            .get(id)?
            .iter()
            .rev()
            .find(|(ended, _)| *ended <= at)
            .map(|(_, ok)| *ok)
    }

    fn calls(&self, id: &str) -> Vec<Instant> {
        self.calls
            .lock()
            .unwrap()
            .get(id)
            .cloned()
            .unwrap_or_default()
    }
}

/// Decrements the in-flight count even when the poll is cancelled mid-way.
struct InFlight(Arc<Scripted>, String);

impl Drop for InFlight {
    fn drop(&mut self) {
        *self.0.in_flight.lock().unwrap().get_mut(&self.1).unwrap() -= 1;
    }
}

/// The prober the monitor holds: a handle on the script.
struct Probe(Arc<Scripted>);

impl Prober for Probe {
    fn pulse(&self, backend: BackendDoc) -> BoxFuture<Result<Measurement, ProbeError>> {
        let me = self.0.clone();
        Box::pin(async move {
            let id = backend.id.clone();
            let n = {
                let mut calls = me.calls.lock().unwrap();
                let list = calls.entry(id.clone()).or_default();
                list.push(Instant::now());
                list.len() - 1
            };
            {
                let mut in_flight = me.in_flight.lock().unwrap();
                let count = in_flight.entry(id.clone()).or_default();
                *count += 1;
                me.max_in_flight_per_backend
                    .fetch_max(*count, Ordering::SeqCst);
            }
            let _guard = InFlight(me.clone(), id.clone());
            let (delay, result) = (me.behaviour)(&id, n);
            tokio::time::sleep(delay).await;
            me.outcomes
                .lock()
                .unwrap()
                .entry(id)
                .or_default()
                .push((Instant::now(), result.is_ok()));
            result
        })
    }

    fn has_inventory(&self, _backend: &BackendDoc) -> bool {
        self.0.inventories.is_some()
    }

    fn inventory(
        &self,
        _store: Store,
        backend: BackendDoc,
    ) -> BoxFuture<Result<InventoryRecord, InventoryError>> {
        let me = self.0.clone();
        Box::pin(async move {
            let id = backend.id.clone();
            let inv = me.inventories();
            let n = {
                let mut runs = inv.runs.lock().unwrap();
                let list = runs.entry(id.clone()).or_default();
                list.push(Instant::now());
                list.len() - 1
            };
            {
                let mut in_flight = inv.in_flight.lock().unwrap();
                let count = in_flight.entry(id.clone()).or_default();
                *count += 1;
                inv.max_per_backend.fetch_max(*count, Ordering::SeqCst);
                let now = inv.at_once.fetch_add(1, Ordering::SeqCst) + 1;
                inv.max_at_once.fetch_max(now, Ordering::SeqCst);
            }
            let _guard = InventoryInFlight(me.clone(), id.clone());
            let started_at = timestamp::now();
            let (delay, run) = (inv.script)(&id, n);
            tokio::time::sleep(delay).await;
            let previous = inv.records.lock().unwrap().get(&id).cloned();
            let mut record = poll::record_run(previous, Ok(run), &started_at, delay);
            if let (Some(age), Some(last)) = (inv.backdate, record.last_run.as_mut()) {
                last.at = timestamp::format(chrono::Utc::now() - age);
            }
            inv.records
                .lock()
                .unwrap()
                .insert(id.clone(), record.clone());
            Ok(record)
        })
    }
}

/// Counts an inventory out when it ends (or is cancelled).
struct InventoryInFlight(Arc<Scripted>, String);

impl Drop for InventoryInFlight {
    fn drop(&mut self) {
        let inv = self.0.inventories();
        *inv.in_flight.lock().unwrap().get_mut(&self.1).unwrap() -= 1;
        inv.at_once.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A complete count of `files` files.
fn counted(files: u64) -> InventoryRun {
    let mut figures = Figures::default();
    figures.files.count = Some(files);
    figures.files.bytes = Some(files * 10);
    InventoryRun {
        figures,
        complete: true,
        resume: None,
        requests: 3,
        failed: Vec::new(),
    }
}

/// A disk of 1 GiB with 100 bytes used: plenty of room (a few free bytes would be full).
fn ok() -> Result<Measurement, ProbeError> {
    Ok(Measurement {
        storage: Storage::new(Some(GIB), Some(100), Some(GIB - 100)),
        ..Measurement::default()
    })
}

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

fn timeout() -> Result<Measurement, ProbeError> {
    Err(ProbeError::Timeout { secs: 10 })
}

fn local(interval: Option<u64>) -> Map<String, Value> {
    let mut config = json!({"type": "local", "enabled": true, "path": "/"});
    if let Some(secs) = interval {
        config["poll_interval"] = json!(secs);
    }
    config.as_object().unwrap().clone()
}

fn home(backends: &[(&str, Map<String, Value>)]) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap().0;
    for (id, config) in backends {
        store.create_backend(id, config.clone()).unwrap();
    }
    (dir, store)
}

fn config() -> MonitorConfig {
    MonitorConfig {
        seed: Some(7),
        ..MonitorConfig::default()
    }
}

/// The alerts raised and cleared announced so far, in order: `raise Down`, `clear Quota`.
fn alerts_said(events: &mut tokio::sync::broadcast::Receiver<Event>) -> Vec<String> {
    let mut said = Vec::new();
    while let Ok(event) = events.try_recv() {
        match event {
            Event::Alert(a) => said.push(format!("raise {:?}", a.rule)),
            Event::AlertCleared(a) => said.push(format!("clear {:?}", a.rule)),
            _ => {}
        }
    }
    said
}

fn gaps(calls: &[Instant]) -> Vec<f64> {
    calls
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn polls_at_the_interval_with_jitter() {
    let (_dir, store) = home(&[("b", local(Some(10)))]);
    let prober = Scripted::new(|_, _| (Duration::from_millis(5), ok()));
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), config());
    tokio::time::sleep(Duration::from_secs(125)).await;
    let calls = prober.calls("b");
    assert!(
        (11..=14).contains(&calls.len()),
        "{} polls in 125 s at 10 s",
        calls.len()
    );
    for gap in gaps(&calls) {
        assert!((8.9..=11.1).contains(&gap), "gap {gap} outside 10 s ± 10%");
    }
    let stats = monitor.stats("b").unwrap();
    assert_eq!(stats.health.status, HealthStatus::Healthy);
    assert_eq!(stats.performance.request_count, Some(calls.len() as u64));
    monitor.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn first_polls_spread_over_the_interval() {
    let backends: Vec<(String, Map<String, Value>)> = (0..100)
        .map(|i| (format!("b{i}"), local(Some(10))))
        .collect();
    let refs: Vec<(&str, Map<String, Value>)> = backends
        .iter()
        .map(|(id, c)| (id.as_str(), c.clone()))
        .collect();
    let (_dir, store) = home(&refs);
    let prober = Scripted::new(|_, _| (Duration::ZERO, ok()));
    let started = Instant::now();
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), config());
    tokio::time::sleep(Duration::from_secs(10)).await;
    let mut per_second = [0usize; 10];
    for (id, _) in &backends {
        let first = prober.calls(id)[0];
        let offset = (first - started).as_secs_f64();
        assert!(offset < 10.0, "{id} first polled after {offset} s");
        per_second[offset as usize] += 1;
    }
    assert!(
        per_second.iter().all(|n| *n <= 25),
        "first polls bunched: {per_second:?}"
    );
    assert!(
        per_second.iter().filter(|n| **n > 0).count() >= 8,
        "{per_second:?}"
    );
    monitor.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_failing_backend_is_polled_at_its_interval_and_its_return_seen_at_once() {
    let (_dir, store) = home(&[("b", local(Some(10)))]);
    // Calls 0-7 fail (down for minutes), 8 answers, then a failure, then answers.
    let prober = Scripted::new(|_, n| {
        (
            Duration::ZERO,
            if n < 8 || n == 9 { timeout() } else { ok() },
        )
    });
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), config());
    tokio::time::sleep(Duration::from_secs(125)).await;
    let gaps = gaps(&prober.calls("b"));
    // No backoff on the liveness check: down or not, one poll per interval.
    assert!(gaps.len() >= 10, "{gaps:?}");
    for gap in &gaps {
        assert!((8.9..=11.1).contains(gap), "gaps {gaps:?}: 10 s ± 10%");
    }
    // The first answer after the outage cleared down at once (and the failure after it is one
    // failure, not an outage).
    let stats = monitor.stats("b").unwrap();
    assert_eq!(stats.health.status, HealthStatus::Healthy);
    assert!(
        !monitor.active_alerts().iter().any(|a| a.rule == Rule::Down),
        "{:?}",
        monitor.active_alerts()
    );
    monitor.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn rejected_credentials_back_off() {
    let (_dir, store) = home(&[("b", local(Some(10)))]);
    let prober = Scripted::new(|_, _| {
        (
            Duration::ZERO,
            Err(ProbeError::Unauthorized {
                status: 403,
                detail: "bad key".into(),
            }),
        )
    });
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), config());
    tokio::time::sleep(Duration::from_secs(10 + 10 + 20 + 40 + 80 + 5)).await;
    let gaps = gaps(&prober.calls("b"));
    let expected = [10.0, 20.0, 40.0, 80.0];
    assert!(gaps.len() >= expected.len(), "{gaps:?}");
    for (gap, want) in gaps.iter().zip(expected) {
        assert!(
            (gap - want).abs() <= want * 0.1 + 0.01,
            "gaps {gaps:?} want {expected:?}"
        );
    }
    monitor.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_slow_backend_is_never_polled_twice_at_once() {
    let (_dir, store) = home(&[("slow", local(Some(2)))]);
    let prober = Scripted::new(|_, _| (Duration::from_secs(7), ok()));
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), config());
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        monitor.poll_now(Some("slow"));
    }
    assert_eq!(prober.max_in_flight_per_backend.load(Ordering::SeqCst), 1);
    assert!(prober.calls("slow").len() >= 2);
    monitor.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn removal_cancels_the_poller_at_once() {
    let (_dir, store) = home(&[("gone", local(Some(5))), ("stays", local(Some(5)))]);
    let prober = Scripted::new(|id, _| {
        (
            if id == "gone" {
                Duration::from_secs(3600)
            } else {
                Duration::ZERO
            },
            ok(),
        )
    });
    let monitor = Monitor::start(store.clone(), Arc::new(Probe(prober.clone())), config());
    let mut events = monitor.subscribe();
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(
        *prober.in_flight.lock().unwrap().get("gone").unwrap(),
        1,
        "a poll is hanging"
    );
    store.remove_backend("gone").unwrap();
    monitor.rescan();
    // The aborted task is dropped the next time the runtime turns.
    tokio::time::sleep(Duration::from_millis(1)).await;
    assert_eq!(
        *prober.in_flight.lock().unwrap().get("gone").unwrap(),
        0,
        "the hanging poll was cancelled"
    );
    assert_eq!(monitor.pollers(), 1);
    assert!(monitor.stats("gone").is_none());
    let calls = prober.calls("gone").len();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(prober.calls("gone").len(), calls);
    let mut removed = false;
    while let Ok(event) = events.try_recv() {
        removed |= matches!(event, Event::BackendRemoved(ref id) if id == "gone");
    }
    assert!(removed);
    monitor.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn removal_leaves_nothing_behind_and_a_new_backend_of_that_id_starts_clean() {
    let (dir, store) = home(&[("gone", local(Some(5))), ("stays", local(Some(5)))]);
    let prober = Scripted::new(|_, _| (Duration::ZERO, ok()));
    let monitor = Monitor::start(store.clone(), Arc::new(Probe(prober.clone())), config());
    // Polls leave stats and history pending in the writer (they go out every few minutes).
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(prober.calls("gone").len() >= 3);
    // Removed as the CLI removes it (another process), then seen by the monitor.
    ipfs_kit_tui::api::Api::new(store.clone())
        .remove_backend("gone")
        .unwrap();
    monitor.rescan();
    // A minute later, and after the final flush of everything pending, nothing of it is back.
    tokio::time::sleep(Duration::from_secs(60)).await;
    monitor.shutdown().await;
    let left: Vec<String> = walkdir::WalkDir::new(dir.path())
        .into_iter()
        .map(|e| {
            e.unwrap()
                .path()
                .strip_prefix(dir.path())
                .unwrap()
                .display()
                .to_string()
        })
        .filter(|p| p.contains("gone"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(store
        .read_metadata(&poll::stats_key("stays"))
        .unwrap()
        .is_some());
    // A new backend with the same id inherits no history.
    store.create_backend("gone", local(Some(5))).unwrap();
    let monitor = Monitor::start(store.clone(), Arc::new(Probe(prober.clone())), config());
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(monitor.full_history("gone").is_empty());
    monitor.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn disabling_stops_polling_and_enabling_resumes() {
    let (_dir, store) = home(&[("b", local(Some(5)))]);
    let prober = Scripted::new(|_, _| (Duration::ZERO, ok()));
    let monitor = Monitor::start(store.clone(), Arc::new(Probe(prober.clone())), config());
    tokio::time::sleep(Duration::from_secs(11)).await;
    store
        .update_backend("b", &[("enabled".into(), Some(json!(false)))])
        .unwrap();
    monitor.rescan();
    let calls = prober.calls("b").len();
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(prober.calls("b").len(), calls);
    assert_eq!(
        monitor.stats("b").unwrap().health.status,
        HealthStatus::Disabled
    );
    store
        .update_backend("b", &[("enabled".into(), Some(json!(true)))])
        .unwrap();
    monitor.rescan();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        prober.calls("b").len(),
        calls + 1,
        "a changed config is polled at once"
    );
    monitor.shutdown().await;
}

/// A failed pulse is down at once: the retries happen inside `poll::pulse` (which this scripted
/// prober stands in for), never across polls.
#[tokio::test(start_paused = true)]
async fn a_failed_poll_charts_no_bytes() {
    let (_dir, store) = home(&[("b", local(Some(5)))]);
    let prober = Scripted::new(|_, n| (Duration::ZERO, if n == 0 { ok() } else { timeout() }));
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), config());
    while monitor.full_history("b").len() < 2 {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let points = monitor.full_history("b");
    assert_eq!(points[0].used_bytes, Some(100));
    assert_eq!(
        points[1].used_bytes, None,
        "last-known bytes are not a measurement"
    );
    assert_eq!(points[1].response_ms, None);
    // The stats still carry the last-known figure, marked stale.
    assert_eq!(monitor.stats("b").unwrap().storage.used, Some(100));
    monitor.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn never_reached_is_not_stale_and_disabled_figures_are_marked_old() {
    let (_dir, store) = home(&[("never", local(Some(5))), ("was", local(Some(5)))]);
    let prober = Scripted::new(|id, n| {
        (
            Duration::ZERO,
            if id == "was" && n == 0 {
                ok()
            } else {
                timeout()
            },
        )
    });
    let monitor = Monitor::start(store.clone(), Arc::new(Probe(prober.clone())), config());
    let before = monitor.stats("never").unwrap();
    assert!(!before.stale, "nothing to be stale yet: {before:?}");
    while prober.calls("never").is_empty() || prober.calls("was").is_empty() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    let never = monitor.stats("never").unwrap();
    assert_eq!(never.health.status, HealthStatus::Down);
    assert!(
        !never.stale,
        "down, but it never had figures to be stale: {never:?}"
    );
    assert_eq!(never.storage.used, None);
    // Switched off after it answered once: its figures are kept, and marked old.
    store
        .update_backend("was", &[("enabled".into(), Some(json!(false)))])
        .unwrap();
    monitor.rescan();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let was = monitor.stats("was").unwrap();
    assert_eq!(was.health.status, HealthStatus::Disabled);
    assert!(was.stale, "{was:?}");
    assert_eq!(was.storage.used, Some(100));
    let message = was.health.message.clone().unwrap_or_default();
    assert!(
        message.starts_with("disabled in its config since "),
        "{message}"
    );
    monitor.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn failures_keep_figures_stale_and_are_down_at_once() {
    let (_dir, store) = home(&[("b", local(Some(5)))]);
    let prober = Scripted::new(|_, n| (Duration::ZERO, if n == 0 { ok() } else { timeout() }));
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), config());
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let before = prober.calls("b").len();
        while prober.calls("b").len() == before {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        let stats = monitor.stats("b").unwrap();
        statuses.push(stats.health.status);
        assert_eq!(stats.storage.used, Some(100), "last-known figures kept");
    }
    assert_eq!(
        statuses,
        vec![
            HealthStatus::Healthy,
            HealthStatus::Down,
            HealthStatus::Down,
            HealthStatus::Down
        ]
    );
    let stats = monitor.stats("b").unwrap();
    assert!(stats.stale);
    assert_eq!(
        stats.health.message.as_deref(),
        Some("timed out after 10 s")
    );
    monitor.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn alerts_raise_and_clear_once_per_episode() {
    let (_dir, store) = home(&[("q", local(Some(5)))]);
    // Quota: 95%, 96%, 50%, 50%, 97%, then failures 5 times, then fine.
    let prober = Scripted::new(|_, n| {
        let used = match n {
            0 | 1 => 95,
            2 | 3 => 50,
            _ => 97,
        };
        if (5..10).contains(&n) {
            return (Duration::ZERO, timeout());
        }
        (
            Duration::ZERO,
            Ok(Measurement {
                quota: Quota::bytes(
                    Some(100 * MIB),
                    Some(if n >= 10 { 10 } else { used } * MIB),
                    QuotaSource::Soft,
                ),
                ..Measurement::default()
            }),
        )
    });
    let monitor = Monitor::start(store.clone(), Arc::new(Probe(prober.clone())), config());
    let mut events = monitor.subscribe();
    while prober.calls("q").len() < 12 {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    let log = alerts_said(&mut events);
    assert_eq!(
        log,
        vec![
            "raise Quota",
            "clear Quota",
            "raise Quota",     // two quota episodes
            "raise ErrorRate", // 2nd failure: 2 of 7 polls failed, the backend not yet down
            "raise Down",      // 3rd failure: the alert waits for 3 polls down
            "clear Quota",     // fine again, at 10%
            "clear Down",
            // Without the outage's polls, 0 of 7 failed: the error rate ends with it.
            "clear ErrorRate",
        ],
        "{log:?}"
    );
    monitor.shutdown().await;
    let kept: Vec<Value> =
        serde_json::from_value(store.read_metadata("alerts").unwrap().unwrap().value).unwrap();
    assert_eq!(kept.len(), 4, "{kept:?}");
    assert!(kept.iter().all(|a| !a["cleared_at"].is_null()), "{kept:?}");
}

/// Real time: a backend answers, then its directory disappears.
#[tokio::test]
async fn live_backend_that_stops_answering_goes_stale_then_down() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("f"), vec![0u8; 1234]).unwrap();
    let mut config_json = local(Some(1));
    config_json.insert("path".into(), json!(data.path()));
    let (_dir, store) = home(&[("dir", config_json)]);
    store.set_setting("timeout_secs", json!(2)).unwrap();
    let ctx = ipfs_kit_tui::probe::ProbeContext::new(Duration::from_secs(2)).unwrap();
    let monitor = Monitor::start(
        store,
        Arc::new(ipfs_kit_tui::monitor::LiveProber { ctx }),
        MonitorConfig::default(),
    );
    // The pulse (stat, statvfs) answers first; the files are the inventory's (the walk), run
    // right after it.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while monitor.stats("dir").unwrap().files.bytes.is_none() {
        assert!(std::time::Instant::now() < deadline, "never counted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stats = monitor.stats("dir").unwrap();
    assert!(!stats.stale);
    assert_eq!(stats.files.bytes, Some(1234));
    assert_eq!(stats.files.count, Some(1));
    drop(data);
    let deadline = std::time::Instant::now() + Duration::from_secs(12);
    loop {
        let stats = monitor.stats("dir").unwrap();
        if stats.health.status == HealthStatus::Down {
            assert!(stats.stale);
            assert_eq!(stats.files.bytes, Some(1234), "last-known figures kept");
            assert!(stats.health.message.unwrap().contains("No such file"));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never went down: {stats:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    monitor.shutdown().await;
}

/// Real time: the CLI (another process) adds, changes and removes a backend.
#[tokio::test]
async fn picks_up_changes_made_by_another_process() {
    let (dir, store) = home(&[]);
    let prober = Scripted::new(|_, _| (Duration::ZERO, ok()));
    let monitor = Monitor::start(
        store,
        Arc::new(Probe(prober.clone())),
        MonitorConfig::default(),
    );
    let mut events = monitor.subscribe();
    let (code, out, err) = support::run_cli(
        dir.path(),
        &[
            "backend",
            "add",
            "ext",
            "--type",
            "local",
            "--set",
            "path=/tmp",
            "--set",
            "poll_interval=60",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while monitor.stats("ext").is_none() || prober.calls("ext").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "new backend not picked up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (code, _, _) = support::run_cli(dir.path(), &["backend", "set", "ext", "path=/var"]);
    assert_eq!(code, 0);
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while prober.calls("ext").len() < 2 {
        assert!(std::time::Instant::now() < deadline, "change not picked up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (code, _, _) = support::run_cli(dir.path(), &["backend", "remove", "ext", "--yes"]);
    assert_eq!(code, 0);
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while monitor.stats("ext").is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "removal not picked up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        match event {
            Event::BackendCreated(id) => seen.push(format!("created {id}")),
            Event::BackendUpdated(id) => seen.push(format!("updated {id}")),
            Event::BackendRemoved(id) => seen.push(format!("removed {id}")),
            _ => {}
        }
    }
    assert_eq!(seen, vec!["created ext", "updated ext", "removed ext"]);
    monitor.shutdown().await;
}

/// A file edited in place (truncated and rewritten, as the Python library writes) changes no
/// directory entry: the cheap once-a-second look misses it, the full look within
/// FULL_SCAN_EVERY does not.
#[tokio::test(start_paused = true)]
async fn an_edit_in_place_is_seen_within_the_full_scan_interval() {
    let (dir, store) = home(&[("b", local(Some(3600)))]);
    let prober = Scripted::new(|_, _| (Duration::ZERO, ok()));
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), config());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut events = monitor.subscribe();
    let path = dir.path().join("backends/b.json");
    let dir_before = std::fs::metadata(dir.path().join("backends"))
        .unwrap()
        .modified()
        .unwrap();
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    doc["config"]["path"] = json!("/var");
    // In place: the same inode, no rename, so the directory's stamp does not move.
    {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        file.write_all(doc.to_string().as_bytes()).unwrap();
    }
    let dir_after = std::fs::metadata(dir.path().join("backends"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(
        dir_before, dir_after,
        "the edit must not touch the directory"
    );
    let updated = |events: &mut tokio::sync::broadcast::Receiver<Event>| {
        let mut seen = false;
        while let Ok(event) = events.try_recv() {
            seen |= matches!(event, Event::BackendUpdated(ref id) if id == "b");
        }
        seen
    };
    let mut waited = Duration::ZERO;
    while !updated(&mut events) {
        assert!(
            waited <= ipfs_kit_tui::monitor::FULL_SCAN_EVERY + Duration::from_secs(1),
            "an edit in place was not seen after {waited:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        waited += Duration::from_millis(500);
    }
    monitor.shutdown().await;
}

/// Real time: history written by one run is there, identical, in the next.
#[tokio::test]
async fn history_survives_a_restart() {
    let (_dir, store) = home(&[("b", local(Some(1)))]);
    let prober = Scripted::new(|_, n| {
        (
            Duration::from_millis(2),
            Ok(Measurement {
                storage: Storage::new(Some(GIB), Some(100 + n as u64), None),
                ..Measurement::default()
            }),
        )
    });
    let monitor = Monitor::start(
        store.clone(),
        Arc::new(Probe(prober.clone())),
        MonitorConfig::default(),
    );
    tokio::time::sleep(Duration::from_millis(3500)).await;
    monitor.shutdown().await;
    let before = {
        let again = Monitor::start(
            store.clone(),
            Arc::new(Probe(Scripted::new(|_, _| {
                (Duration::from_secs(3600), ok())
            }))),
            MonitorConfig::default(),
        );
        let points = again.full_history("b");
        again.shutdown().await;
        points
    };
    assert!(before.len() >= 3, "{before:?}");
    assert_eq!(
        before
            .iter()
            .map(|p| p.used_bytes.unwrap())
            .collect::<Vec<_>>()[..3],
        [100, 101, 102]
    );
    let after = {
        let again = Monitor::start(
            store,
            Arc::new(Probe(Scripted::new(|_, _| {
                (Duration::from_secs(3600), ok())
            }))),
            MonitorConfig::default(),
        );
        let points = again.full_history("b");
        again.shutdown().await;
        points
    };
    assert_eq!(before, after);
}

/// A 48-hour history file loads bounded and downsampled.
#[tokio::test(start_paused = true)]
async fn forty_eight_hours_of_history_load_bounded() {
    let (_dir, store) = home(&[("b", local(Some(3600)))]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut text = String::new();
    for i in 0..(48 * 360) {
        let at = now - 48 * 3600 + i * 10;
        text.push_str(&format!("[{at},{}.5,{}]\n", i % 50, i));
    }
    let path = store.cache_dir().join("b/history.ndjson");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    let monitor = Monitor::start(
        store,
        Arc::new(Probe(Scripted::new(|_, _| {
            (Duration::from_secs(7200), ok())
        }))),
        config(),
    );
    let points = monitor.full_history("b");
    let fine = points
        .iter()
        .filter(|p| p.at % 600 != 0 || p.at + 24 * 3600 > now)
        .count();
    assert!(points.len() < 8640 + 150, "bounded: {}", points.len());
    assert!(fine >= 8630, "24 h at poll resolution: {fine}");
    assert!(points.windows(2).all(|w| w[0].at <= w[1].at));
    monitor.shutdown().await;
}

/// Real time: 1,000 backends polled every second; the store flushes at most once a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_backends_flush_at_most_once_a_second() {
    let backends: Vec<(String, Map<String, Value>)> = (0..1000)
        .map(|i| (format!("b{i:04}"), local(Some(1))))
        .collect();
    let refs: Vec<(&str, Map<String, Value>)> = backends
        .iter()
        .map(|(id, c)| (id.as_str(), c.clone()))
        .collect();
    let (_dir, store) = home(&refs);
    let prober = Scripted::new(|_, _| (Duration::from_millis(1), ok()));
    let monitor = Monitor::start(
        store.clone(),
        Arc::new(Probe(prober.clone())),
        MonitorConfig::default(),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (flushes, polls, started) = (
        monitor.flushes(),
        monitor.polls(),
        std::time::Instant::now(),
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    let seconds = started.elapsed().as_secs_f64();
    let flushed = monitor.flushes() - flushes;
    let polled = monitor.polls() - polls;
    println!("{polled} polls and {flushed} flushes in {seconds:.1} s");
    assert!(
        flushed as f64 <= seconds.ceil(),
        "{flushed} flushes in {seconds:.1} s"
    );
    assert!(
        polled >= 3000,
        "the engine kept up: {polled} polls in {seconds:.1} s"
    );
    monitor.shutdown().await;
    // Everything acknowledged is on disk after the shutdown flush.
    let stats = store.read_metadata("stats.b0999").unwrap().unwrap();
    assert_eq!(stats.value["storage"]["used"], 100);
}

#[tokio::test(start_paused = true)]
async fn hanging_backends_do_not_starve_healthy_ones() {
    let mut backends: Vec<(String, Map<String, Value>)> = (0..40)
        .map(|i| (format!("hang{i:02}"), local(Some(5))))
        .collect();
    backends.extend((0..10).map(|i| (format!("ok{i}"), local(Some(5)))));
    let refs: Vec<(&str, Map<String, Value>)> = backends
        .iter()
        .map(|(id, c)| (id.as_str(), c.clone()))
        .collect();
    let (_dir, store) = home(&refs);
    let prober = Scripted::new(|id, _| {
        if id.starts_with("hang") {
            (Duration::from_secs(3600), ok())
        } else {
            (Duration::from_millis(5), ok())
        }
    });
    let config = MonitorConfig {
        max_in_flight: 8,
        ..config()
    };
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), config);
    tokio::time::sleep(Duration::from_secs(60)).await;
    for i in 0..10 {
        let polls = prober.calls(&format!("ok{i}")).len();
        assert!(
            polls >= 10,
            "ok{i} polled {polls} times in 60 s at 5 s while 40 others hang"
        );
    }
    monitor.shutdown().await;
}

/// Real time: a history file that grew past its bound is compacted to what is kept.
#[tokio::test]
async fn an_overgrown_history_file_is_compacted() {
    let (_dir, store) = home(&[("b", local(Some(1)))]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // At a 1 s interval the file may hold 2 x (86,400 + 4,320) + 1,000 lines before it is
    // compacted: write more than that, three and a bit days at 1 s.
    let mut text = String::new();
    let lines = 3 * 86_400 + 10_000;
    for i in 0..lines {
        let at = now - lines as u64 + i as u64;
        text.push_str(&format!("[{at},1.5,{i}]\n"));
    }
    let path = store.cache_dir().join("b/history.ndjson");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    let prober = Scripted::new(|_, _| (Duration::from_millis(1), ok()));
    let monitor = Monitor::start(
        store.clone(),
        Arc::new(Probe(prober.clone())),
        MonitorConfig::default(),
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while monitor.stats("b").unwrap().health.checked_at.is_none() {
        assert!(std::time::Instant::now() < deadline, "never polled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The engine reads the whole file in the background after the backend starts, and asks
    // for the compaction once it knows the length; the writer does it at its next flush.
    let bound = 86_400 + (lines - 86_400) / 600 + 10;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::fs::read_to_string(&path).unwrap().lines().count() > bound {
        assert!(std::time::Instant::now() < deadline, "never compacted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = monitor.full_history("b");
    let read_before = std::time::Instant::now();
    monitor.shutdown().await;
    let kept = std::fs::read_to_string(&path).unwrap().lines().count();
    // 24 h at poll resolution plus 10-minute buckets for the time before (and the new points).
    assert!(
        kept <= 86_400 + (lines - 86_400) / 600 + 10,
        "compacted to {kept} lines"
    );
    assert!(kept >= 86_400, "24 h at poll resolution kept: {kept}");
    let again = Monitor::start(
        store,
        Arc::new(Probe(Scripted::new(|_, _| {
            (Duration::from_secs(3600), ok())
        }))),
        MonitorConfig::default(),
    );
    let after = again.full_history("b");
    // Each second between the two reads ages one 1 s point out of the 24 h at poll resolution
    // into a 10-minute bucket: on a loaded machine those seconds are several.
    let aged = read_before.elapsed().as_secs() as usize + 1;
    again.shutdown().await;
    // Polls made between the first read and the first monitor's shutdown (real time, 1 s
    // apart: more than one on a loaded machine) were kept too; compare up to the first read.
    let last = before.last().expect("points").at;
    let after: Vec<_> = after.into_iter().filter(|p| p.at <= last).collect();
    // The same series, give or take the points that aged into a bucket between the two reads.
    assert!(
        before.len().abs_diff(after.len()) <= aged + 1,
        "{} then {} ({aged} s apart)",
        before.len(),
        after.len()
    );
    assert_eq!(before.last(), after.last());
}

/// A config that keeps the writer quiet over simulated hours.
fn slow_flush() -> MonitorConfig {
    MonitorConfig {
        flush_every: Duration::from_secs(600),
        ..config()
    }
}

fn home_with_inventory_secs(backends: &[(&str, Map<String, Value>)]) -> (tempfile::TempDir, Store) {
    home_with_inventory_every(backends, 3600)
}

/// A home whose inventories are due `secs` after the last one ended (60 is the least allowed).
fn home_with_inventory_every(
    backends: &[(&str, Map<String, Value>)],
    secs: u64,
) -> (tempfile::TempDir, Store) {
    let (dir, store) = home(backends);
    store.set_setting("inventory_secs", json!(secs)).unwrap();
    (dir, store)
}

/// Two simulated hours of 5 s pulses with inventory_secs = 3600: the first inventory right
/// after the first pulse that answered, then one an hour, so 2 or 3 in all.
///
/// The records are what `poll::record_run` writes (`last_run.at` = the wall clock at the end of
/// the run), as the live prober's are.
#[tokio::test(start_paused = true)]
async fn inventories_run_after_the_first_pulse_then_hourly() {
    let (_dir, store) = home_with_inventory_secs(&[("b", local(Some(5)))]);
    let prober = Scripted::with_inventory(
        |_, _| (Duration::from_millis(5), ok()),
        |_, _| (Duration::from_secs(30), counted(42)),
        None,
    );
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), slow_flush());
    tokio::time::sleep(Duration::from_secs(2 * 3600)).await;
    let pulses = prober.calls("b");
    let runs = prober.inventory_starts("b");
    assert!(pulses.len() >= 1400, "{} pulses", pulses.len());
    let first = *runs.first().expect("an inventory ran");
    assert_eq!(
        first - pulses[0],
        Duration::from_millis(5),
        "the first inventory starts as the first pulse ends"
    );
    let offsets: Vec<u64> = runs.iter().map(|r| (*r - first).as_secs()).collect();
    assert!(
        (2..=3).contains(&runs.len()),
        "inventories at {offsets:?} s after the first, over 2 simulated hours at \
         inventory_secs = 3600 (the monitor decides when one is due from the wall-clock \
         time in the record, which tokio's paused clock does not move)"
    );
    for gap in runs.windows(2).map(|w| (w[1] - w[0]).as_secs_f64()) {
        assert!(
            (3600.0..=3600.0 + 30.0 + 6.0).contains(&gap),
            "an hour apart (after the run and the next pulse): {offsets:?}"
        );
    }
    assert_eq!(
        prober.inventories().max_per_backend.load(Ordering::SeqCst),
        1
    );
    monitor.shutdown().await;
}

/// Inventories always due (records claiming to be two hours old): each backend's is
/// single-flight whatever its pulses do, and at most two run at once over all backends.
#[tokio::test(start_paused = true)]
async fn inventories_are_single_flight_and_at_most_two_at_once() {
    let backends: Vec<(String, Map<String, Value>)> =
        (0..5).map(|i| (format!("b{i}"), local(Some(5)))).collect();
    let refs: Vec<(&str, Map<String, Value>)> = backends
        .iter()
        .map(|(id, c)| (id.as_str(), c.clone()))
        .collect();
    // Due 60 s after each run ends; 30 s runs: five backends want more than two slots.
    let (_dir, store) = home_with_inventory_every(&refs, 60);
    let prober = Scripted::with_inventory(
        |_, _| (Duration::from_millis(5), ok()),
        |_, _| (Duration::from_secs(30), counted(7)),
        Some(chrono::Duration::hours(2)),
    );
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), slow_flush());
    tokio::time::sleep(Duration::from_secs(600)).await;
    let inv = prober.inventories();
    assert_eq!(
        inv.max_per_backend.load(Ordering::SeqCst),
        1,
        "never two inventories of one backend at once"
    );
    assert_eq!(
        inv.max_at_once.load(Ordering::SeqCst),
        poll::INVENTORIES_AT_ONCE,
        "at most two at once, and both slots used"
    );
    assert_eq!(poll::INVENTORIES_AT_ONCE, 2);
    let per_backend: Vec<usize> = backends
        .iter()
        .map(|(id, _)| prober.inventory_starts(id).len())
        .collect();
    let total: usize = per_backend.iter().sum();
    // Each backend at most every 90 s (30 s run + 60 s wait) over 600 s, shared out in turn.
    assert!((25..=35).contains(&total), "{per_backend:?}");
    assert!(
        per_backend.iter().all(|n| (5..=7).contains(n)),
        "{per_backend:?}"
    );
    // Every backend's pulses went on every 5 s while inventories ran.
    for (id, _) in &backends {
        let pulses = prober.calls(id).len();
        assert!((115..=122).contains(&pulses), "{id}: {pulses} pulses");
    }
    monitor.shutdown().await;
}

/// No inventory starts while a backend is down: not before its first pulse answers (and the
/// first starts right then), not while its pulses fail later on.
#[tokio::test(start_paused = true)]
async fn no_inventory_while_the_backend_is_down() {
    let (_dir, store) = home_with_inventory_every(&[("b", local(Some(5)))], 60);
    // Pulses 0-2 fail; 3-9 answer; 10-19 fail; then they answer.
    let prober = Scripted::with_inventory(
        |_, n| {
            let down = n < 3 || (10..20).contains(&n);
            (
                Duration::from_millis(5),
                if down { timeout() } else { ok() },
            )
        },
        |_, _| (Duration::from_secs(1), counted(3)),
        Some(chrono::Duration::hours(2)),
    );
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), slow_flush());
    while prober.calls("b").len() < 30 {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let pulses = prober.calls("b");
    let runs = prober.inventory_starts("b");
    assert_eq!(
        runs[0] - pulses[3],
        Duration::from_millis(5),
        "the first inventory starts as the first answered pulse ends"
    );
    for run in &runs {
        assert_eq!(
            prober.up_at("b", *run),
            Some(true),
            "an inventory started {:?} after the start, while down",
            *run - pulses[0]
        );
    }
    // Due again 60 s after the first ended (pulse 9 is at 45 s: the backend was down by then,
    // pulses 10-19): the next runs right after pulse 20, the first answered one.
    assert!(runs.len() >= 2, "{runs:?}");
    assert_eq!(
        runs[1] - pulses[20],
        Duration::from_millis(5),
        "the next inventory waits for the backend to answer again"
    );
    monitor.shutdown().await;
}

/// A backend down while its inventory waits for a slot (other backends' inventories hold
/// both): the run must not start against a backend that is down.
#[tokio::test(start_paused = true)]
async fn a_queued_inventory_does_not_start_once_its_backend_is_down() {
    // b0-b3 poll every 5 s and count for 100 s: two of them hold both slots from the first
    // seconds. b4 polls every 60 s, so its first pulse (and its wish to count) comes after
    // theirs: it waits for a slot, and is down from its second pulse to its tenth.
    let backends: Vec<(String, Map<String, Value>)> = (0..5)
        .map(|i| (format!("b{i}"), local(Some(if i == 4 { 60 } else { 5 }))))
        .collect();
    let refs: Vec<(&str, Map<String, Value>)> = backends
        .iter()
        .map(|(id, c)| (id.as_str(), c.clone()))
        .collect();
    let (_dir, store) = home_with_inventory_every(&refs, 60);
    let prober = Scripted::with_inventory(
        |id, n| {
            let down = id == "b4" && (1..10).contains(&n);
            (
                Duration::from_millis(5),
                if down { timeout() } else { ok() },
            )
        },
        |id, _| {
            let secs = if id == "b4" { 30 } else { 100 };
            (Duration::from_secs(secs), counted(7))
        },
        Some(chrono::Duration::hours(2)),
    );
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), slow_flush());
    // Seen at least once: b4 down, its inventory asked for and waiting for a slot.
    let mut queued_while_down = 0;
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let down = prober.up_at("b4", Instant::now()) == Some(false);
        let running = prober
            .inventories()
            .in_flight
            .lock()
            .unwrap()
            .get("b4")
            .copied()
            .unwrap_or(0);
        if down && monitor.inventory_running("b4") && running == 0 {
            queued_while_down += 1;
        }
    }
    assert!(
        queued_while_down > 0,
        "the case did not arise: b4 was never waiting for a slot while down"
    );
    let pulses = prober.calls("b4");
    for run in prober.inventory_starts("b4") {
        assert_eq!(
            prober.up_at("b4", run),
            Some(true),
            "b4's inventory started {:?} after its first pulse, while it was down \
             (it was waiting for a slot when b4 went down)",
            run - pulses[0]
        );
    }
    monitor.shutdown().await;
}

/// `inventory_now` starts one at once, whatever the clock says; a second call while it runs
/// is refused as busy; its figures join the stats when it ends.
#[tokio::test(start_paused = true)]
async fn inventory_now_starts_one_at_once_and_a_second_call_is_busy() {
    let (_dir, store) = home_with_inventory_secs(&[
        ("b", local(Some(5))),
        ("off", {
            let mut config = local(Some(5));
            config.insert("enabled".into(), json!(false));
            config
        }),
    ]);
    let prober = Scripted::with_inventory(
        |_, _| (Duration::from_millis(5), ok()),
        |_, n| (Duration::from_secs(30), counted(10 + n as u64)),
        None,
    );
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), slow_flush());
    tokio::time::sleep(Duration::from_secs(120)).await;
    // The first ran after the first pulse; the next is an hour away.
    assert_eq!(prober.inventory_starts("b").len(), 1);
    assert!(!monitor.inventory_running("b"));
    let stats = monitor.stats("b").unwrap();
    assert_eq!(stats.files.count, Some(10));
    assert!(stats.files.as_of.is_some(), "counted, with its time");
    assert_eq!(
        stats.inventory.as_ref().map(|i| i.state),
        Some(InventoryState::Complete)
    );

    let asked = Instant::now();
    monitor.inventory_now("b").unwrap();
    assert!(monitor.inventory_running("b"));
    assert!(
        matches!(monitor.inventory_now("b"), Err(InventoryError::Busy(ref id)) if id == "b"),
        "a second call while one runs is busy"
    );
    tokio::time::sleep(Duration::from_millis(1)).await;
    let runs = prober.inventory_starts("b");
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1], asked, "started at once");
    let polls = monitor.polls();
    tokio::time::sleep(Duration::from_secs(29)).await;
    assert!(
        matches!(monitor.inventory_now("b"), Err(InventoryError::Busy(_))),
        "still running after 29 s"
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert!(!monitor.inventory_running("b"));
    let stats = monitor.stats("b").unwrap();
    assert_eq!(stats.files.count, Some(11), "the new count is shown");
    assert_eq!(stats.health.status, HealthStatus::Healthy);
    assert!(monitor.polls() - polls <= 7, "no extra pulses to show it");
    assert_eq!(
        prober.inventories().max_per_backend.load(Ordering::SeqCst),
        1
    );

    // What cannot be counted now says why.
    assert!(matches!(
        monitor.inventory_now("off"),
        Err(InventoryError::Disabled(_))
    ));
    assert!(monitor.inventory_now("nope").is_err());
    monitor.shutdown().await;

    // A prober without inventories: nothing to count.
    let (_dir, store) = home(&[("b", local(Some(5)))]);
    let plain = Monitor::start(
        store,
        Arc::new(Probe(Scripted::new(|_, _| (Duration::ZERO, ok())))),
        slow_flush(),
    );
    assert!(matches!(
        plain.inventory_now("b"),
        Err(InventoryError::NothingToCount(_))
    ));
    plain.shutdown().await;
}

/// `poll::inventory_due` (the monitor's inventory clock) says of a record stamped in the future
/// (the wall clock was set back): "A clock set back makes the age negative: count again rather
/// than never."
#[test]
fn an_inventory_stamped_in_the_future_is_due() {
    let hour = Duration::from_secs(3600);
    let mut record = poll::record_run(None, Ok(counted(1)), "t0", Duration::ZERO);
    assert!(!poll::inventory_due(Some(&record), hour), "just counted");
    let future = timestamp::format(chrono::Utc::now() + chrono::Duration::hours(2));
    record.last_run.as_mut().unwrap().at = future;
    assert!(
        poll::inventory_due(Some(&record), hour),
        "a record two hours in the future is not due: it waits three hours"
    );
}

/// Finding 6 of the edges trial: one outage, one alert. Ten minutes down (at a 5 s interval:
/// 120 failed polls) raise one `down` and nothing else — no error rate, no second `down` —
/// and the return clears it at the first answer, with no error rate left behind.
#[tokio::test(start_paused = true)]
async fn a_long_outage_is_one_alert_from_start_to_end() {
    let (_dir, store) = home(&[("b", local(Some(5)))]);
    let prober = Scripted::new(|_, n| {
        let refused = Err(ProbeError::Refused {
            addr: "127.0.0.1:5572".into(),
        });
        (
            Duration::ZERO,
            if (10..130).contains(&n) {
                refused
            } else {
                ok()
            },
        )
    });
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), config());
    let mut events = monitor.subscribe();
    while prober.calls("b").len() < 140 {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    let log = alerts_said(&mut events);
    assert_eq!(log, ["raise Down", "clear Down"], "{log:?}");
    let calls = prober.calls("b");
    // Polled at its interval all through the outage (no backoff of the liveness check).
    assert!(
        gaps(&calls).iter().all(|g| (4.4..=5.6).contains(g)),
        "{:?}",
        gaps(&calls)
    );
    monitor.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn an_outage_its_alert_and_an_operators_answers_are_in_the_timeline_after_a_restart() {
    use ipfs_kit_tui::monitor::timeline::{AlertClosing, What};
    let (_dir, store) = home(&[("b", local(Some(5)))]);
    // Up, then four polls timed out (down at once, its alert at the third), then up again.
    let prober = Scripted::new(|_, n| {
        (
            Duration::ZERO,
            if n == 0 || n >= 5 { ok() } else { timeout() },
        )
    });
    let monitor = Monitor::start(store.clone(), Arc::new(Probe(prober.clone())), config());
    let deadline = Instant::now() + Duration::from_secs(120);
    while !monitor.active_alerts().iter().any(|a| a.rule == Rule::Down) {
        assert!(Instant::now() < deadline, "never raised the down alert");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(monitor.acknowledge_alert("b", Rule::Down));
    assert!(monitor.silence_alert("b", Rule::Down, 3600));
    while monitor.stats("b").unwrap().health.status != HealthStatus::Healthy
        || !monitor.active_alerts().is_empty()
    {
        assert!(Instant::now() < deadline, "never came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let said: Vec<What> = monitor.events("b").into_iter().map(|e| e.what).collect();
    monitor.shutdown().await;

    let kinds: Vec<&str> = said
        .iter()
        .map(|what| match what {
            What::Health { to, .. } => match to {
                HealthStatus::Down => "down",
                HealthStatus::Healthy => "healthy",
                _ => "health",
            },
            What::AlertRaised { .. } => "raised",
            What::AlertAcknowledged { .. } => "acknowledged",
            What::AlertSilenced { .. } => "silenced",
            What::AlertCleared { .. } => "cleared",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "healthy",
            "down",
            "raised",
            "acknowledged",
            "silenced",
            "healthy",
            "cleared"
        ]
    );
    let What::Health {
        from,
        duration_secs,
        reason,
        ..
    } = &said[5]
    else {
        unreachable!()
    };
    assert_eq!(*from, HealthStatus::Down);
    assert!(duration_secs.is_some());
    assert_eq!(reason.as_deref(), Some("timed out after 10 s"));
    assert!(matches!(
        said[6],
        What::AlertCleared {
            rule: Rule::Down,
            how: AlertClosing::Recovered,
            ..
        }
    ));

    // Written: a new engine (and a command without one) reads the same timeline.
    let again = Monitor::start(store.clone(), Arc::new(Probe(prober)), config());
    let read: Vec<What> = again.events("b").into_iter().map(|e| e.what).collect();
    again.shutdown().await;
    assert_eq!(read, said);
    let api = ipfs_kit_tui::api::Api::new(store);
    let from_file: Vec<What> = api
        .events("b", Default::default())
        .unwrap()
        .into_iter()
        .map(|e| e.what)
        .collect();
    assert_eq!(from_file, said);
}
