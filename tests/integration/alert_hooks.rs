//! Alert hooks end to end: the engine (and the real binary's `status --watch`) hands each raise
//! and clear to `alert_command` (JSON on stdin) and `alert_webhook` (JSON POSTed), in order,
//! with the settings of the moment; a webhook is retried on 5xx with backoff; failures are
//! logged and announced as `Event::HookFailed`; a command that hangs is killed at its limit.
//! The webhook is a local fixture server: no external service.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipfs_kit_tui::monitor::alerts::{Alert, Change, Closed, Rule};
use ipfs_kit_tui::monitor::hooks::{HookConfig, HookFailure, HookRunner, Targets};
use ipfs_kit_tui::monitor::{BoxFuture, Event, Monitor, MonitorConfig, Prober};
use ipfs_kit_tui::probe::ProbeError;
use ipfs_kit_tui::stats::{Measurement, Storage};
use ipfs_kit_tui::store::{BackendDoc, Store};
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::support;
use crate::support::{Fixture, Reply};

/// Secrets in the backend's config and the webhook's URL: none may reach a payload or a log.
const SECRET_KEY: &str = "s3cr3t-HOOKS";
const ACCESS_KEY: &str = "AKIA-HOOKS";
const URL_TOKEN: &str = "tok-HOOKS";

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
                        Some(1 << 36),
                        Some((1 << 40) - (1 << 36)),
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

/// A home with one S3 backend whose config holds secrets.
fn home() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap().0;
    let config = json!({
        "type": "s3",
        "enabled": true,
        "bucket": "photos",
        "endpoint": format!("https://user:pw@s3.example.com/?token={URL_TOKEN}"),
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
    });
    store
        .create_backend("s3-main", config.as_object().unwrap().clone())
        .unwrap();
    (dir, store)
}

/// Polls only when told (`poll_now`): the interval is an hour, so the first poll of a fresh
/// start (somewhere in the first interval) does not come by itself.
fn engine_config(hooks: HookConfig) -> MonitorConfig {
    MonitorConfig {
        refresh_override: Some(Duration::from_secs(3600)),
        seed: Some(1),
        hooks,
        ..MonitorConfig::default()
    }
}

fn quick_hooks() -> HookConfig {
    HookConfig {
        command_limit: Duration::from_secs(5),
        webhook_timeout: Duration::from_secs(5),
        retries: 3,
        retry_base: Duration::from_millis(20),
        queue_limit: 256,
        shutdown_grace: Duration::from_secs(2),
    }
}

async fn until(what: &str, deadline: Duration, mut done: impl FnMut() -> bool) {
    let end = Instant::now() + deadline;
    while !done() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One poll of every backend, now, and its outcome taken in.
async fn poll_once(monitor: &Monitor) {
    let before = monitor.polls();
    monitor.poll_now(None);
    until("a poll", Duration::from_secs(10), || {
        monitor.polls() > before
    })
    .await;
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn log_text(store: &Store) -> String {
    std::fs::read_to_string(store.logs_dir().join("ipfs-kit-tui.log")).unwrap_or_default()
}

fn this_host() -> Value {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|name| json!(name.trim()))
        .unwrap_or(Value::Null)
}

/// What a delivery must say about the alert, whichever hook got it.
fn assert_payload(body: &Value, event: &str, alert: &Alert) {
    let text = body.to_string();
    for secret in [
        SECRET_KEY,
        ACCESS_KEY,
        URL_TOKEN,
        "s3.example.com",
        "photos",
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    let sent_at = body["sent_at"].as_str().expect("sent_at");
    assert!(
        chrono::DateTime::parse_from_rfc3339(sent_at).is_ok(),
        "{sent_at}"
    );
    let mut rest = body.clone();
    rest.as_object_mut().unwrap().remove("sent_at");
    let cleared = event == "cleared";
    assert_eq!(
        rest,
        json!({
            "version": 1,
            "event": event,
            "backend": "s3-main",
            "kind": "s3",
            "alert": "down",
            "message": alert.message,
            "since": alert.raised_at,
            "cleared_at": if cleared { json!(alert.cleared_at) } else { Value::Null },
            "closed": if cleared { json!("recovered") } else { Value::Null },
            "host": this_host(),
            "reminder": false,
        })
    );
    assert!(
        alert.message.starts_with("down: connection refused"),
        "{}",
        alert.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raise_and_clear_reach_the_webhook_and_the_command_in_order() {
    let receiver = Fixture::start(|_| Reply::empty(204));
    let (dir, store) = home();
    let file = dir.path().join("delivered.ndjson");
    let up = Arc::new(AtomicBool::new(true));
    let monitor = Monitor::start(
        store.clone(),
        Arc::new(Switch { up: up.clone() }),
        engine_config(quick_hooks()),
    );
    let mut events = monitor.subscribe();
    // Set while the engine runs: the hooks follow the settings without a restart.
    let webhook = format!("{}/hook?token={URL_TOKEN}", receiver.url);
    store.set_setting("alert_webhook", json!(webhook)).unwrap();
    store
        .set_setting(
            "alert_command",
            json!(format!("cat >> '{}'", file.display())),
        )
        .unwrap();
    monitor.rescan();

    up.store(false, Ordering::SeqCst);
    for _ in 0..3 {
        poll_once(&monitor).await;
    }
    up.store(true, Ordering::SeqCst);
    poll_once(&monitor).await;

    // The poll count moves as a poll's outcome is taken in: its alerts follow at once.
    let mut changes = Vec::new();
    while changes.len() < 2 {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .unwrap_or_else(|_| panic!("a raise and a clear expected, got {changes:?}"))
            .unwrap();
        match event {
            Event::Alert(alert) => changes.push(("raised", alert)),
            Event::AlertCleared(alert) => changes.push(("cleared", alert)),
            Event::HookFailed(failure) => panic!("{failure}"),
            _ => {}
        }
    }
    let rules: Vec<(&str, Rule)> = changes.iter().map(|(e, a)| (*e, a.rule)).collect();
    assert_eq!(
        rules,
        [("raised", Rule::Down), ("cleared", Rule::Down)],
        "one episode, the error rate not yet judged (fewer than 5 polls)"
    );
    until("both deliveries", Duration::from_secs(10), || {
        receiver.requests().len() >= 2 && lines(&file).len() >= 2
    })
    .await;
    monitor.shutdown().await;

    let requests = receiver.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(request.path, "/hook");
        assert_eq!(request.query_param("token").as_deref(), Some(URL_TOKEN));
        assert_eq!(request.header("content-type"), Some("application/json"));
    }
    let delivered = lines(&file);
    assert_eq!(delivered.len(), 2, "{delivered:?}");
    for (n, (event, alert)) in changes.iter().enumerate() {
        assert_payload(&requests[n].json_body(), event, alert);
        assert_payload(&delivered[n], event, alert);
    }
    assert!(
        !log_text(&store).contains("alert hook"),
        "successes are not logged: {}",
        log_text(&store)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_hooks_are_announced_and_logged_without_the_webhook_token() {
    let receiver = Fixture::start(|_| Reply::text(500, "database on fire"));
    let (_dir, store) = home();
    let webhook = format!("{}/hook/{URL_TOKEN}?token={URL_TOKEN}", receiver.url);
    store.set_setting("alert_webhook", json!(webhook)).unwrap();
    store
        .set_setting(
            "alert_command",
            json!("echo 'cannot page anyone' >&2; exit 3"),
        )
        .unwrap();
    let up = Arc::new(AtomicBool::new(false));
    let monitor = Monitor::start(
        store.clone(),
        Arc::new(Switch { up }),
        engine_config(HookConfig {
            retries: 2,
            ..quick_hooks()
        }),
    );
    let mut events = monitor.subscribe();
    for _ in 0..3 {
        poll_once(&monitor).await;
    }
    let mut failures: Vec<HookFailure> = Vec::new();
    let end = Instant::now() + Duration::from_secs(10);
    while failures.len() < 2 {
        let left = end.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, events.recv()).await {
            Ok(Ok(Event::HookFailed(failure))) => failures.push(failure),
            Ok(Ok(_)) => {}
            other => panic!("two failures expected, got {failures:?} then {other:?}"),
        }
    }
    failures.sort_by(|a, b| a.hook.cmp(&b.hook));
    let alert = Some("the down alert on 's3-main' (raised)".to_string());
    assert_eq!(
        failures,
        [
            HookFailure {
                hook: "command 'echo'".into(),
                alert: alert.clone(),
                reason: "exit status 3: cannot page anyone".into(),
            },
            HookFailure {
                hook: format!("webhook http://{}/…", receiver.addr),
                alert,
                reason: "HTTP 500 Internal Server Error: database on fire (3 attempts)".into(),
            },
        ]
    );
    assert_eq!(receiver.requests().len(), 3, "the first try and 2 retries");
    monitor.shutdown().await;
    let log = log_text(&store);
    for failure in &failures {
        assert!(
            log.lines()
                .any(|line| line.contains(" WARNING ") && line.ends_with(&failure.to_string())),
            "{failure} not in the log: {log}"
        );
    }
    assert!(!log.contains(URL_TOKEN), "{log}");
}

fn raised_alert() -> Change {
    Change::Raised(Alert {
        backend: "kubo".into(),
        rule: Rule::Down,
        message: "down for 3 polls: connection refused by 127.0.0.1:5001".into(),
        raised_at: "2026-01-02T03:04:05.000000+00:00".into(),
        cleared_at: None,
        closed: None,
        acknowledged_at: None,
        silenced_until: None,
    })
}

fn cleared_alert() -> Change {
    let Change::Raised(mut alert) = raised_alert() else {
        unreachable!()
    };
    alert.cleared_at = Some("2026-01-02T03:09:05.000000+00:00".into());
    alert.closed = Some(Closed::Recovered);
    Change::Cleared(alert)
}

fn failures(events: &mut broadcast::Receiver<Event>) -> Vec<HookFailure> {
    let mut seen = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let Event::HookFailed(failure) = event {
            seen.push(failure);
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_answering_500_twice_is_delivered_once_after_backing_off() {
    let answered = Arc::new(AtomicUsize::new(0));
    let times = Arc::new(Mutex::new(Vec::new()));
    let receiver = {
        let (answered, times) = (answered.clone(), times.clone());
        Fixture::start(move |_| {
            times.lock().unwrap().push(Instant::now());
            match answered.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Reply::empty(500),
                _ => Reply::empty(200),
            }
        })
    };
    let (_dir, store) = home();
    let (events, mut seen) = broadcast::channel(16);
    let hooks = HookConfig {
        retry_base: Duration::from_millis(100),
        ..quick_hooks()
    };
    let (mut runner, feed) = HookRunner::start(store.clone(), events, hooks);
    let targets = Targets {
        command: None,
        webhook: Some(format!("{}/alerts", receiver.url)),
    };
    feed.offer(&targets, &raised_alert(), Some("ipfs"));
    feed.offer(&targets, &cleared_alert(), Some("ipfs"));
    // Shutting down lets the queued deliveries finish within the grace.
    runner.shutdown().await;

    let requests = receiver.requests();
    let events: Vec<Value> = requests
        .iter()
        .map(|r| r.json_body()["event"].clone())
        .collect();
    assert_eq!(
        events,
        ["raised", "raised", "raised", "cleared"],
        "retried until accepted, then the clear: in order, each once"
    );
    let times = times.lock().unwrap().clone();
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps[0] >= Duration::from_millis(100) && gaps[1] >= Duration::from_millis(200),
        "backoff 100 ms, then 200 ms: {gaps:?}"
    );
    assert_eq!(failures(&mut seen), []);
    assert!(!log_text(&store).contains("alert hook"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_webhook_is_not_retried() {
    let receiver = Fixture::start(|_| Reply::text(404, "no such hook"));
    let (_dir, store) = home();
    let (events, mut seen) = broadcast::channel(16);
    let (mut runner, feed) = HookRunner::start(store.clone(), events, quick_hooks());
    let targets = Targets {
        command: None,
        webhook: Some(format!("{}/gone", receiver.url)),
    };
    feed.offer(&targets, &raised_alert(), None);
    runner.shutdown().await;
    assert_eq!(receiver.requests().len(), 1);
    let reasons: Vec<String> = failures(&mut seen).into_iter().map(|f| f.reason).collect();
    assert_eq!(reasons, ["HTTP 404 Not Found: no such hook"]);
}

/// Whether a process is gone (or only a zombie nobody reaped yet: it runs no more).
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

fn wait_for_file(path: &Path) -> String {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            if text.ends_with('\n') {
                return text.trim().to_string();
            }
        }
        assert!(Instant::now() < end, "{} never written", path.display());
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_command_is_killed_at_its_limit_with_what_it_started() {
    let (dir, store) = home();
    let pid_file = dir.path().join("sleeper.pid");
    let (events, mut seen) = broadcast::channel(16);
    let hooks = HookConfig {
        command_limit: Duration::from_millis(300),
        ..quick_hooks()
    };
    let (mut runner, feed) = HookRunner::start(store.clone(), events, hooks);
    let targets = Targets {
        command: Some(format!(
            "sleep 60 & echo $! > '{}'; wait",
            pid_file.display()
        )),
        webhook: None,
    };
    let started = Instant::now();
    feed.offer(&targets, &raised_alert(), None);
    let failure = loop {
        let event = tokio::time::timeout(Duration::from_secs(10), seen.recv())
            .await
            .expect("a failure within 10 s")
            .unwrap();
        if let Event::HookFailed(failure) = event {
            break failure;
        }
    };
    let took = started.elapsed();
    assert_eq!(failure.hook, "command 'sleep'");
    assert_eq!(failure.reason, "still running after 0.3s: killed");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(5),
        "{took:?}"
    );
    let sleeper = wait_for_file(&pid_file);
    until(
        "the background sleep killed",
        Duration::from_secs(5),
        || gone(&sleeper),
    )
    .await;
    runner.shutdown().await;
    assert!(log_text(&store).contains(&failure.to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_gives_a_delivery_under_way_a_grace_then_stops_it() {
    let (dir, store) = home();
    let pid_file = dir.path().join("slow.pid");
    let (events, _seen) = broadcast::channel(16);
    let hooks = HookConfig {
        command_limit: Duration::from_secs(60),
        shutdown_grace: Duration::from_millis(300),
        ..quick_hooks()
    };
    let (mut runner, feed) = HookRunner::start(store.clone(), events, hooks);
    let targets = Targets {
        command: Some(format!("echo $$ > '{}'; sleep 60", pid_file.display())),
        webhook: None,
    };
    feed.offer(&targets, &raised_alert(), None);
    feed.offer(&targets, &cleared_alert(), None);
    let shell = wait_for_file(&pid_file);
    let started = Instant::now();
    runner.shutdown().await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    until("the command killed", Duration::from_secs(5), || {
        gone(&shell)
    })
    .await;
    let log = log_text(&store);
    assert!(
        log.contains("alert hooks stopped 0.3s after the monitor: 2 alert(s) not delivered"),
        "{log}"
    );
}

/// Runs the binary's `status --watch 1` until `done`, then stops it with SIGINT.
fn watch_until(home: &Path, what: &str, mut done: impl FnMut() -> bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ipfs-kit-tui"))
        .arg("--home")
        .arg(home)
        .args(["status", "--watch", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(40);
    while !done() {
        if Instant::now() >= end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

fn down_events(bodies: &[Value]) -> Vec<String> {
    bodies
        .iter()
        .filter(|b| b["alert"] == "down")
        .map(|b| b["event"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn status_watch_delivers_a_local_backend_going_down_and_back() {
    let receiver = Fixture::start(|_| Reply::empty(200));
    let data = tempfile::tempdir().unwrap();
    let path: PathBuf = data.path().join("store");
    // Missing from the start: three failed polls (1 s, then backing off 1 s, 2 s) raise it.
    let home = support::home_with_backend(
        "disk",
        json!({"type": "local", "enabled": true, "path": path, "poll_interval": 1}),
    );
    let file = home.path().join("delivered.ndjson");
    for (key, value) in [
        ("alert_webhook", format!("{}/alerts", receiver.url)),
        ("alert_command", format!("cat >> '{}'", file.display())),
    ] {
        let (code, _, err) = support::run_cli(home.path(), &["settings", "set", key, &value]);
        assert_eq!(code, 0, "{err}");
    }
    let bodies = || -> Vec<Value> { receiver.requests().iter().map(|r| r.json_body()).collect() };
    let mut created = false;
    watch_until(home.path(), "a raise, then a clear", || {
        let seen = down_events(&bodies());
        if seen == ["raised"] && !created {
            std::fs::create_dir_all(&path).unwrap();
            created = true;
        }
        seen.len() >= 2 && down_events(&lines(&file)).len() >= 2
    });
    assert_eq!(down_events(&bodies()), ["raised", "cleared"]);
    assert_eq!(down_events(&lines(&file)), ["raised", "cleared"]);
    for body in bodies().iter().chain(lines(&file).iter()) {
        assert_eq!(body["version"], 1);
        assert_eq!(body["backend"], "disk");
        assert_eq!(body["kind"], "local");
        assert_eq!(body["host"], this_host());
        let mut keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "alert",
                "backend",
                "cleared_at",
                "closed",
                "event",
                "host",
                "kind",
                "message",
                "reminder",
                "sent_at",
                "since",
                "version"
            ],
            "the documented fields, nothing of the config: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_that_falls_behind_drops_the_oldest_and_says_how_many() {
    let (dir, store) = home();
    let started = dir.path().join("started");
    let delivered = dir.path().join("delivered.ndjson");
    let (events, mut seen) = broadcast::channel(16);
    let hooks = HookConfig {
        queue_limit: 1,
        ..quick_hooks()
    };
    let (mut runner, feed) = HookRunner::start(store.clone(), events, hooks);
    // The first delivery waits until the test has queued the others behind it.
    let release = dir.path().join("release");
    let targets = Targets {
        command: Some(format!(
            "touch '{}'; while [ ! -e '{}' ]; do sleep 0.02; done; cat >> '{}'",
            started.display(),
            release.display(),
            delivered.display()
        )),
        webhook: None,
    };
    feed.offer(&targets, &raised_alert(), None);
    until("the first delivery", Duration::from_secs(10), || {
        started.exists()
    })
    .await;
    for _ in 0..3 {
        feed.offer(&targets, &cleared_alert(), None);
    }
    std::fs::write(&release, "").unwrap();
    runner.shutdown().await;
    let events: Vec<Value> = lines(&delivered)
        .iter()
        .map(|body| body["event"].clone())
        .collect();
    assert_eq!(
        events,
        ["raised", "cleared"],
        "one waiting place: the newest"
    );
    let reasons: Vec<String> = failures(&mut seen).into_iter().map(|f| f.reason).collect();
    assert_eq!(
        reasons,
        ["fell behind: 2 older alert(s) dropped unsent (more than 1 waiting)"]
    );
    assert!(log_text(&store).contains("fell behind: 2 older alert(s) dropped"));
}
