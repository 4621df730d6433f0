//! Maintenance windows and alert reminders end to end, through the engine: a backend in
//! maintenance that goes down raises no alert and calls no hook while its row says maintenance;
//! when the window's time is up the engine notices by itself (no poll due) and raises the alert
//! still true, once; a window set or ended by the command line in another process is followed
//! by a running engine, and goes with its backend. Reminders (`alert_repeat_secs`) reach a local
//! webhook receiver, marked, and stop on acknowledge, silence, clear and maintenance.
//! Every wait is for a condition, with a deadline.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipfs_kit_tui::monitor::alerts::Rule;
use ipfs_kit_tui::monitor::hooks::HookConfig;
use ipfs_kit_tui::monitor::{BoxFuture, Event, MaintenanceChange, Monitor, MonitorConfig, Prober};
use ipfs_kit_tui::probe::ProbeError;
use ipfs_kit_tui::stats::{Measurement, Storage};
use ipfs_kit_tui::store::{BackendDoc, Maintenance, Store};
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::support;
use crate::support::{Fixture, Reply};

/// A backend that answers while `up` holds, and is refused otherwise.
struct Switch {
    up: Arc<AtomicBool>,
}

impl Prober for Switch {
    fn pulse(&self, _backend: BackendDoc) -> BoxFuture<Result<Measurement, ProbeError>> {
        let up = self.up.load(Ordering::SeqCst);
        Box::pin(async move {
            if up {
                Ok(Measurement {
                    storage: Storage::new(
                        Some(1 << 40),
                        Some(1 << 30),
                        Some((1 << 40) - (1 << 30)),
                    ),
                    ..Measurement::default()
                })
            } else {
                Err(ProbeError::Refused {
                    addr: "127.0.0.1:9".into(),
                })
            }
        })
    }
}

const ID: &str = "kubo";

fn home() -> (tempfile::TempDir, Store) {
    let dir = support::home_with_backend(
        ID,
        json!({"type": "ipfs", "enabled": true, "api_url": "http://127.0.0.1:9"}),
    );
    let store = Store::open(dir.path()).unwrap().0;
    (dir, store)
}

/// Polls only when told (an interval of an hour); the supervisor scans often, so that a window's
/// end is seen soon after its time.
fn engine_config() -> MonitorConfig {
    MonitorConfig {
        refresh_override: Some(Duration::from_secs(3600)),
        scan_every: Duration::from_millis(50),
        seed: Some(1),
        hooks: HookConfig {
            retry_base: Duration::from_millis(20),
            ..HookConfig::default()
        },
        ..MonitorConfig::default()
    }
}

async fn until(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let end = Instant::now() + deadline;
    while !done() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn poll_once(monitor: &Monitor) {
    let before = monitor.polls();
    monitor.poll_now(None);
    until("a poll", Duration::from_secs(10), || {
        monitor.polls() > before
    })
    .await;
}

/// The next event that `pick` takes, within `deadline`.
async fn next<T>(
    events: &mut broadcast::Receiver<Event>,
    deadline: Duration,
    mut pick: impl FnMut(Event) -> Option<T>,
) -> T {
    let end = tokio::time::Instant::now() + deadline;
    loop {
        match tokio::time::timeout_at(end, events.recv()).await {
            Ok(Ok(event)) => {
                if let Some(found) = pick(event) {
                    return found;
                }
            }
            Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
            other => panic!("the event waited for did not come: {other:?}"),
        }
    }
}

fn maintenance_change(event: Event) -> Option<MaintenanceChange> {
    match event {
        Event::Maintenance(m) if m.backend == ID => Some(m.change),
        _ => None,
    }
}

/// The events seen so far that are alerts raised.
fn raised(events: &mut broadcast::Receiver<Event>) -> Vec<Rule> {
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let Event::Alert(alert) = event {
            seen.push(alert.rule);
        }
    }
    seen
}

fn bodies(receiver: &Fixture) -> Vec<Value> {
    receiver.requests().iter().map(|r| r.json_body()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_holds_a_down_alert_and_its_hook_then_raises_it_once_when_time_is_up() {
    let receiver = Fixture::start(|_| Reply::empty(204));
    let (_dir, store) = home();
    store
        .set_setting("alert_webhook", json!(format!("{}/hook", receiver.url)))
        .unwrap();
    let up = Arc::new(AtomicBool::new(true));
    let monitor = Monitor::start(
        store.clone(),
        Arc::new(Switch { up: up.clone() }),
        engine_config(),
    );
    let mut events = monitor.subscribe();
    poll_once(&monitor).await;

    // Set in the store, as another process would: the engine follows the file.
    let now = chrono::Utc::now();
    let hour = Maintenance::starting(now, Duration::from_secs(3600), Some("disk swap"));
    store.set_maintenance(ID, &hour).unwrap();
    let change = next(&mut events, Duration::from_secs(10), maintenance_change).await;
    assert_eq!(change, MaintenanceChange::Started);
    let stats = monitor.stats(ID).unwrap();
    let brief = stats.maintenance.expect("the row says maintenance");
    assert_eq!(brief.reason.as_deref(), Some("disk swap"));

    // Stopped during the window: down for many polls, still polled, no alert, no hook.
    up.store(false, Ordering::SeqCst);
    for _ in 0..5 {
        poll_once(&monitor).await;
    }
    let stats = monitor.stats(ID).unwrap();
    assert_eq!(stats.health.status.as_str(), "down", "polling goes on");
    assert!(stats.alerts.is_empty(), "{:?}", stats.alerts);
    assert!(stats.maintenance.is_some());
    assert!(monitor.active_alerts().is_empty());
    assert_eq!(raised(&mut events), []);

    // The window is cut to end a moment from now; no poll is due (an hour's interval).
    let soon = Maintenance {
        until: chrono::Utc::now() + chrono::Duration::milliseconds(300),
        ..hour.clone()
    };
    store.set_maintenance(ID, &soon).unwrap();
    let polls = monitor.polls();
    let mut changes = Vec::new();
    let mut raised_rules = Vec::new();
    while !changes.contains(&MaintenanceChange::Expired) {
        let event = next(&mut events, Duration::from_secs(10), Some).await;
        match event {
            Event::Maintenance(m) => changes.push(m.change),
            Event::Alert(alert) => raised_rules.push(alert.rule),
            _ => {}
        }
    }
    assert_eq!(
        changes,
        [MaintenanceChange::Changed, MaintenanceChange::Expired]
    );
    until(
        "the down alert raised at the end",
        Duration::from_secs(10),
        || monitor.active_alerts().iter().any(|a| a.rule == Rule::Down),
    )
    .await;
    assert_eq!(
        monitor.polls(),
        polls,
        "noticed by the clock, not by a poll"
    );
    raised_rules.extend(raised(&mut events));
    assert_eq!(
        raised_rules,
        [Rule::Down],
        "raised once, when the window ended"
    );
    let stats = monitor.stats(ID).unwrap();
    assert!(stats.maintenance.is_none());
    assert_eq!(stats.alerts.len(), 1);
    until("the raise delivered", Duration::from_secs(10), || {
        !receiver.requests().is_empty()
    })
    .await;

    // The next poll, still down: nothing raised again.
    poll_once(&monitor).await;
    assert_eq!(raised(&mut events), []);
    // The window's polls count as none: one answered before it, one failed after it (not the
    // five failed within it, which would make 1 of 7).
    // (The poll counter moves as a poll is taken in; its point lands a moment later.)
    until("the last poll's point", Duration::from_secs(10), || {
        monitor.history(ID, 20).len() == 7
    })
    .await;
    let up = monitor
        .stats(ID)
        .unwrap()
        .availability
        .unwrap()
        .up_24h
        .unwrap();
    assert!((up - 50.0).abs() < 0.01, "{up}");
    // The timeline says the window: started, changed (a new end), ended by its time.
    use ipfs_kit_tui::monitor::timeline::{MaintenanceEnd, What};
    let said: Vec<String> = monitor
        .events(ID)
        .into_iter()
        .filter_map(|e| match e.what {
            What::MaintenanceStarted { reason, .. } => Some(format!("started {reason:?}")),
            What::MaintenanceEnded { how } => Some(format!("ended {how:?}")),
            _ => None,
        })
        .collect();
    assert_eq!(
        said,
        [
            "started Some(\"disk swap\")",
            "started Some(\"disk swap\")",
            &format!("ended {:?}", MaintenanceEnd::Expired)
        ],
        "{said:?}"
    );
    monitor.shutdown().await;
    let delivered = bodies(&receiver);
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert_eq!(delivered[0]["event"], "raised");
    assert_eq!(delivered[0]["alert"], "down");
    assert_eq!(delivered[0]["reminder"], false);
    // Over: what the file may still hold of it is read as over.
    let now = chrono::Utc::now();
    assert!(store
        .maintenance_windows()
        .unwrap()
        .values()
        .all(|w| w.is_over(now)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_active_when_the_window_starts_stays_and_its_clear_is_sent() {
    let receiver = Fixture::start(|_| Reply::empty(204));
    let (_dir, store) = home();
    store
        .set_setting("alert_webhook", json!(format!("{}/hook", receiver.url)))
        .unwrap();
    let up = Arc::new(AtomicBool::new(false));
    let monitor = Monitor::start(
        store.clone(),
        Arc::new(Switch { up: up.clone() }),
        engine_config(),
    );
    let mut events = monitor.subscribe();
    for _ in 0..3 {
        poll_once(&monitor).await;
    }
    // The poll count moves as a poll's outcome is taken in; its alerts a moment later.
    until("the down alert", Duration::from_secs(10), || {
        monitor.active_alerts().len() == 1
    })
    .await;
    store
        .set_maintenance(
            ID,
            &Maintenance::starting(chrono::Utc::now(), Duration::from_secs(3600), None),
        )
        .unwrap();
    next(&mut events, Duration::from_secs(10), maintenance_change).await;
    // Still active, still on the row.
    poll_once(&monitor).await;
    assert_eq!(monitor.stats(ID).unwrap().alerts.len(), 1);
    // Back during the window: the clear goes to the hook, which heard of the raise.
    up.store(true, Ordering::SeqCst);
    poll_once(&monitor).await;
    until("the alert cleared", Duration::from_secs(10), || {
        monitor.active_alerts().is_empty()
    })
    .await;
    until("raise and clear delivered", Duration::from_secs(10), || {
        receiver.requests().len() >= 2
    })
    .await;
    monitor.shutdown().await;
    let events: Vec<Value> = bodies(&receiver)
        .iter()
        .map(|b| b["event"].clone())
        .collect();
    assert_eq!(events, ["raised", "cleared"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_in_another_process_sets_and_ends_a_window_a_running_engine_follows() {
    let (dir, store) = home();
    let up = Arc::new(AtomicBool::new(true));
    let monitor = Monitor::start(store.clone(), Arc::new(Switch { up }), engine_config());
    let mut events = monitor.subscribe();
    poll_once(&monitor).await;

    let (code, out, err) = support::run_cli(
        dir.path(),
        &[
            "backend",
            "maintenance",
            ID,
            "--for",
            "2h",
            "--reason",
            "kernel upgrade",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("in maintenance until"), "{out}");
    let change = next(&mut events, Duration::from_secs(10), maintenance_change).await;
    assert_eq!(change, MaintenanceChange::Started);
    let brief = monitor.stats(ID).unwrap().maintenance.unwrap();
    assert_eq!(brief.reason.as_deref(), Some("kernel upgrade"));
    let left = brief.left(chrono::Utc::now()).unwrap();
    assert!(
        left > Duration::from_secs(7100) && left <= Duration::from_secs(7200),
        "{left:?}"
    );

    // Shown by another process, as JSON.
    let (code, out, err) = support::run_cli(dir.path(), &["backend", "maintenance", ID, "--json"]);
    assert_eq!(code, 0, "{err}");
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["maintenance"]["reason"], "kernel upgrade");
    assert!(shown["maintenance"]["left_secs"].as_u64().unwrap() > 7000);

    // `status` (one round without the engine) says it, in JSON and in its table; the poll that
    // finds the backend down raises no alert for it.
    let (_, out, err) = support::run_cli(dir.path(), &["status", "--json"]);
    let report: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"));
    let backend = support::backend(&report, ID);
    assert_eq!(
        backend["maintenance"]["reason"], "kernel upgrade",
        "{backend}"
    );
    assert_eq!(backend["health"]["status"], "down");
    assert_eq!(backend["alerts"], json!([]), "held");
    let (_, out, _) = support::run_cli(dir.path(), &["status"]);
    assert!(out.contains("· maintenance 1h59m"), "{out}");

    let (code, out, err) = support::run_cli(dir.path(), &["backend", "maintenance", ID, "--end"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ended"), "{out}");
    let change = next(&mut events, Duration::from_secs(10), maintenance_change).await;
    assert_eq!(change, MaintenanceChange::Ended);
    assert!(monitor.stats(ID).unwrap().maintenance.is_none());

    // A window goes with its backend.
    let (code, _, err) =
        support::run_cli(dir.path(), &["backend", "maintenance", ID, "--for", "1h"]);
    assert_eq!(code, 0, "{err}");
    assert!(store.maintenance_windows().unwrap().contains_key(ID));
    monitor.shutdown().await;
    let (code, _, err) = support::run_cli(dir.path(), &["backend", "remove", ID, "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(store.maintenance_windows().unwrap().is_empty());
    assert!(!dir.path().join("metadata/maintenance.json").exists());
    // Bad input changes nothing and says why.
    let (code, _, err) = support::run_cli(
        dir.path(),
        &["backend", "maintenance", "nope", "--for", "2h"],
    );
    assert_eq!(code, 2, "{err}");
}

/// Waits for the receiver to hold `n` reminders; returns them all.
async fn reminders(receiver: &Fixture, n: usize) -> Vec<Value> {
    let reminders = || -> Vec<Value> {
        bodies(receiver)
            .into_iter()
            .filter(|b| b["reminder"] == true)
            .collect()
    };
    until(&format!("{n} reminders"), Duration::from_secs(15), || {
        reminders().len() >= n
    })
    .await;
    reminders()
}

/// Long enough for several reminders at an interval of one second: none may come.
const QUIET: Duration = Duration::from_millis(2600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_repeat_until_acknowledged_silenced_cleared_or_in_maintenance() {
    let receiver = Fixture::start(|_| Reply::empty(204));
    let (_dir, store) = home();
    store
        .set_setting("alert_webhook", json!(format!("{}/hook", receiver.url)))
        .unwrap();
    store.set_setting("alert_repeat_secs", json!(1)).unwrap();
    let up = Arc::new(AtomicBool::new(false));
    let monitor = Monitor::start(
        store.clone(),
        Arc::new(Switch { up: up.clone() }),
        engine_config(),
    );
    let count = || bodies(&receiver).len();

    // Episode 1: raised, then reminded every second; acknowledged: no more.
    for _ in 0..3 {
        poll_once(&monitor).await;
    }
    let got = reminders(&receiver, 2).await;
    for reminder in &got {
        assert_eq!(reminder["event"], "raised");
        assert_eq!(reminder["alert"], "down");
        assert_eq!(reminder["backend"], ID);
    }
    let first = bodies(&receiver);
    assert_eq!(
        first[0]["reminder"], false,
        "the raise itself is no reminder"
    );
    assert_eq!(got[0]["since"], first[0]["since"], "the same alert");
    assert!(monitor.acknowledge_alert(ID, Rule::Down));
    let after_ack = count();
    tokio::time::sleep(QUIET).await;
    assert_eq!(count(), after_ack, "acknowledged: no reminder");

    // Cleared: no reminder.
    up.store(true, Ordering::SeqCst);
    poll_once(&monitor).await;
    until("the clear delivered", Duration::from_secs(10), || {
        bodies(&receiver).iter().any(|b| b["event"] == "cleared")
    })
    .await;
    let after_clear = count();
    tokio::time::sleep(QUIET).await;
    assert_eq!(count(), after_clear, "cleared: no reminder");

    // Episode 2: reminded; silenced: no more.
    up.store(false, Ordering::SeqCst);
    for _ in 0..3 {
        poll_once(&monitor).await;
    }
    let before = reminders(&receiver, 0).await.len();
    reminders(&receiver, before + 1).await;
    assert!(monitor.silence_alert(ID, Rule::Down, 3600));
    let after_silence = count();
    tokio::time::sleep(QUIET).await;
    assert_eq!(count(), after_silence, "silenced: no reminder");

    // Episode 3: reminded; in maintenance: no more.
    up.store(true, Ordering::SeqCst);
    poll_once(&monitor).await;
    up.store(false, Ordering::SeqCst);
    for _ in 0..3 {
        poll_once(&monitor).await;
    }
    let before = reminders(&receiver, 0).await.len();
    reminders(&receiver, before + 1).await;
    let mut events = monitor.subscribe();
    store
        .set_maintenance(
            ID,
            &Maintenance::starting(chrono::Utc::now(), Duration::from_secs(3600), None),
        )
        .unwrap();
    next(&mut events, Duration::from_secs(10), maintenance_change).await;
    let in_maintenance = count();
    tokio::time::sleep(QUIET).await;
    assert_eq!(count(), in_maintenance, "in maintenance: no reminder");
    monitor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_reminder_unless_asked_for() {
    let receiver = Fixture::start(|_| Reply::empty(204));
    let (_dir, store) = home();
    store
        .set_setting("alert_webhook", json!(format!("{}/hook", receiver.url)))
        .unwrap();
    let monitor = Monitor::start(
        store.clone(),
        Arc::new(Switch {
            up: Arc::new(AtomicBool::new(false)),
        }),
        engine_config(),
    );
    for _ in 0..3 {
        poll_once(&monitor).await;
    }
    until("the raise delivered", Duration::from_secs(10), || {
        !receiver.requests().is_empty()
    })
    .await;
    tokio::time::sleep(QUIET).await;
    monitor.shutdown().await;
    assert_eq!(
        bodies(&receiver).len(),
        1,
        "alert_repeat_secs is off by default"
    );
}

/// The real engine (`Api::start`, the live probes) on a Kubo fixture node: the node is stopped
/// during a window (its port then refuses), polling goes on, no alert and no hook; the window,
/// cut short, ends by the clock and the down alert is raised then, once, and delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixture_node_stopped_in_maintenance_raises_nothing_until_the_window_ends() {
    use crate::support::backends::kubo::KuboNode;
    use ipfs_kit_tui::api::{Api, EngineOptions};

    let receiver = Fixture::start(|_| Reply::empty(204));
    let node = KuboNode::bench(3, true);
    let kubo = Fixture::start(move |request| node.answer(request, |_| None).reply);
    let dir = support::home_with_backend(
        ID,
        json!({"type": "ipfs", "enabled": true, "api_url": kubo.url}),
    );
    let store = Store::open(dir.path()).unwrap().0;
    store
        .set_setting("alert_webhook", json!(format!("{}/hook", receiver.url)))
        .unwrap();
    let api = Api::start(
        store.clone(),
        EngineOptions {
            refresh: Some(Duration::from_secs(1)),
            ..EngineOptions::default()
        },
    )
    .unwrap();
    let health = |api: &Api| api.stats(ID).map(|s| s.health.status.as_str().to_string());
    until("the node healthy", Duration::from_secs(20), || {
        health(&api).as_deref() == Some("healthy")
    })
    .await;
    api.start_maintenance(ID, Duration::from_secs(3600), Some("node upgrade"))
        .unwrap();
    until("the row in maintenance", Duration::from_secs(10), || {
        api.stats(ID).is_some_and(|s| s.maintenance.is_some())
    })
    .await;

    // Stopped: its port refuses from now on.
    drop(kubo);
    let failed = |api: &Api| -> u64 {
        api.poll_tallies()
            .unwrap_or_default()
            .iter()
            .filter(|(id, _)| id == ID)
            .map(|(_, tally)| {
                tally
                    .by_result
                    .iter()
                    .filter(|(result, _)| result.as_str() != "ok")
                    .map(|(_, n)| *n)
                    .sum::<u64>()
            })
            .sum()
    };
    until("five failed polls", Duration::from_secs(30), || {
        failed(&api) >= 5
    })
    .await;
    assert_eq!(health(&api).as_deref(), Some("down"));
    assert!(api.active_alerts().is_empty(), "{:?}", api.active_alerts());
    assert!(api.stats(ID).unwrap().maintenance.is_some());
    assert!(
        receiver.requests().is_empty(),
        "no hook while in maintenance"
    );

    // Cut to a second: it ends by itself, and the alert still true is raised, once.
    api.start_maintenance(ID, Duration::from_secs(1), None)
        .unwrap();
    until(
        "the down alert after the window",
        Duration::from_secs(15),
        || api.active_alerts().iter().any(|a| a.rule == Rule::Down),
    )
    .await;
    assert!(api.stats(ID).unwrap().maintenance.is_none());
    until("the raise delivered", Duration::from_secs(10), || {
        !receiver.requests().is_empty()
    })
    .await;
    // Three more polls, still down: no second raise.
    let seen = failed(&api);
    until("three more polls", Duration::from_secs(30), || {
        failed(&api) >= seen + 3
    })
    .await;
    api.shutdown().await;
    let events: Vec<(Value, Value)> = bodies(&receiver)
        .iter()
        .map(|b| (b["event"].clone(), b["alert"].clone()))
        .collect();
    assert_eq!(events, [(json!("raised"), json!("down"))]);
}
