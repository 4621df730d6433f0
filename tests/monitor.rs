//! The monitor engine: scheduling on tokio's paused clock with a scripted prober, stale
//! fallback, pick-up of other processes' changes, history across restarts, write coalescing,
//! and alerts.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ipfs_kit_tui::monitor::{BoxFuture, Event, Monitor, MonitorConfig, Prober};
use ipfs_kit_tui::probe::ProbeError;
use ipfs_kit_tui::stats::{HealthStatus, Measurement, Quota, Storage};
use ipfs_kit_tui::store::{BackendDoc, Store};
use serde_json::{json, Map, Value};
use tokio::time::Instant;

/// What the scripted prober does on the n-th call (0-based) for a backend.
type Behaviour = dyn Fn(&str, usize) -> (Duration, Result<Measurement, ProbeError>) + Send + Sync;

struct Scripted {
    behaviour: Box<Behaviour>,
    calls: Mutex<HashMap<String, Vec<Instant>>>,
    in_flight: Mutex<HashMap<String, usize>>,
    max_in_flight_per_backend: AtomicUsize,
}

impl Scripted {
    fn new(
        behaviour: impl Fn(&str, usize) -> (Duration, Result<Measurement, ProbeError>)
            + Send
            + Sync
            + 'static,
    ) -> Arc<Scripted> {
        Arc::new(Scripted {
            behaviour: Box::new(behaviour),
            calls: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            max_in_flight_per_backend: AtomicUsize::new(0),
        })
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
    fn measure(&self, backend: BackendDoc) -> BoxFuture<Result<Measurement, ProbeError>> {
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
            result
        })
    }
}

fn ok() -> Result<Measurement, ProbeError> {
    Ok(Measurement {
        storage: Storage::new(Some(1000), Some(100), Some(900)),
        ..Measurement::default()
    })
}

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
async fn backoff_grows_and_resets_on_success() {
    let (_dir, store) = home(&[("b", local(Some(10)))]);
    // Calls 0-4 fail, 5 succeeds, 6 fails, then success.
    let prober = Scripted::new(|_, n| {
        (
            Duration::ZERO,
            if n < 5 || n == 6 { timeout() } else { ok() },
        )
    });
    let monitor = Monitor::start(store, Arc::new(Probe(prober.clone())), config());
    tokio::time::sleep(Duration::from_secs(
        10 + 10 + 20 + 40 + 80 + 160 + 10 + 10 + 5,
    ))
    .await;
    let gaps = gaps(&prober.calls("b"));
    let expected = [10.0, 20.0, 40.0, 80.0, 160.0, 10.0, 10.0];
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

#[tokio::test(start_paused = true)]
async fn failures_keep_figures_stale_then_down() {
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
            HealthStatus::Degraded,
            HealthStatus::Degraded,
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
                quota: Quota::bytes(Some(100), Some(if n >= 10 { 10 } else { used })),
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
    let mut log = Vec::new();
    while let Ok(event) = events.try_recv() {
        match event {
            Event::Alert(a) => log.push(format!("raise {:?}", a.rule)),
            Event::AlertCleared(a) => log.push(format!("clear {:?}", a.rule)),
            _ => {}
        }
    }
    assert_eq!(
        log,
        vec![
            "raise Quota",
            "clear Quota",
            "raise Quota",     // two quota episodes
            "raise ErrorRate", // 2nd failure: 2 of 7 polls failed
            "raise Down",      // 3rd failure: down
            "clear Quota",     // fine again, at 10%
            "clear Down",
        ],
        "{log:?}"
    );
    monitor.shutdown().await;
    let kept: Vec<Value> =
        serde_json::from_value(store.read_metadata("alerts").unwrap().unwrap().value).unwrap();
    assert_eq!(kept.len(), 4, "{kept:?}");
    assert!(kept
        .iter()
        .any(|a| a["rule"] == "error_rate" && a["cleared_at"].is_null()));
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
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while monitor.stats("dir").unwrap().stale {
        assert!(std::time::Instant::now() < deadline, "never polled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(monitor.stats("dir").unwrap().files.bytes, Some(1234));
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

/// Real time: history written by one run is there, identical, in the next.
#[tokio::test]
async fn history_survives_a_restart() {
    let (_dir, store) = home(&[("b", local(Some(1)))]);
    let prober = Scripted::new(|_, n| {
        (
            Duration::from_millis(2),
            Ok(Measurement {
                storage: Storage::new(Some(1000), Some(100 + n as u64), None),
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
    while monitor.stats("b").unwrap().stale {
        assert!(std::time::Instant::now() < deadline, "never polled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = monitor.full_history("b");
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
    again.shutdown().await;
    // The same series, give or take a point that aged into a bucket between the two reads.
    assert!(
        before.len().abs_diff(after.len()) <= 2,
        "{} then {}",
        before.len(),
        after.len()
    );
    assert_eq!(before.last(), after.last());
}
