//! A backend's timeline (`backend events`, `cache/ID/events.ndjson`) through a real outage, an
//! edit from the command line and one by another writer, a failing and a passing test, a
//! restart of the engine and the backend's removal.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support;

/// The engine in a plain process (`status --watch 1`), stopped by SIGINT (its writes flushed)
/// or killed when dropped.
struct Engine(std::process::Child);

impl Engine {
    fn start(home: &std::path::Path) -> Engine {
        Engine(
            Command::new(env!("CARGO_BIN_EXE_ipfs-kit-tui"))
                .arg("--home")
                .arg(home)
                .args(["status", "--watch", "1"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    }

    fn stop(mut self) {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.0.id() as i32),
            nix::sys::signal::Signal::SIGINT,
        )
        .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.0.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the engine did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn events(home: &std::path::Path) -> Vec<Value> {
    let (code, out, err) = support::run_cli(home, &["backend", "events", "objs", "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Waits (at most 30 s) until the timeline holds what `wanted` looks for; returns it.
fn wait_for(home: &std::path::Path, what: &str, wanted: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let events = events(home);
        if wanted(&events) {
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "never saw {what}: {}",
            serde_json::to_string_pretty(&events).unwrap()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn of_kind<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["kind"] == kind).collect()
}

/// The backend file rewritten as another program would (renamed into place): `change` applied
/// to its config, a new `updated`.
fn written_by_another(
    home: &std::path::Path,
    change: impl Fn(&mut serde_json::Map<String, Value>),
) {
    let path = home.join("backends").join("objs.json");
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    change(doc["config"].as_object_mut().unwrap());
    doc["updated"] = json!("2026-12-07T12:00:00.000001");
    let temp = home.join("backends").join(".objs.json.other");
    std::fs::write(&temp, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    std::fs::rename(&temp, &path).unwrap();
}

#[test]
fn a_backends_timeline_tells_its_outage_edits_and_tests_across_a_restart_and_goes_with_it() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("objects");
    std::fs::create_dir(&dir).unwrap();
    let home = support::home_with_backend(
        "objs",
        json!({"type": "local", "enabled": true, "path": dir, "poll_interval": 1}),
    );
    let home = home.path();
    let engine = Engine::start(home);
    wait_for(home, "the first check", |e| {
        of_kind(e, "health").iter().any(|h| h["to"] == "healthy")
    });

    // The outage: the directory goes, a test fails at its first step, the directory comes back.
    let away = data.path().join("away");
    std::fs::rename(&dir, &away).unwrap();
    wait_for(home, "the backend going down", |e| {
        of_kind(e, "health").iter().any(|h| h["to"] == "down")
    });
    let (code, _, _) = support::run_cli(home, &["backend", "test", "objs"]);
    assert_eq!(code, 1, "the test fails while the directory is gone");
    std::fs::rename(&away, &dir).unwrap();
    let timeline = wait_for(home, "the backend coming back", |e| {
        of_kind(e, "health")
            .iter()
            .any(|h| h["from"] == "down" && h["to"] == "healthy")
    });
    let back = of_kind(&timeline, "health")
        .into_iter()
        .find(|h| h["from"] == "down")
        .unwrap()
        .clone();
    let went_down = of_kind(&timeline, "health")
        .into_iter()
        .find(|h| h["to"] == "down")
        .unwrap()
        .clone();
    assert_eq!(
        back["from_since"], went_down["at"],
        "down since it went down"
    );
    assert!(back["duration_secs"].as_u64().is_some(), "{back}");
    assert!(
        back["reason"]
            .as_str()
            .is_some_and(|r| r.contains("No such file")),
        "why it was down: {back}"
    );
    let failed = of_kind(&timeline, "test")[0].clone();
    assert_eq!(failed["ok"], false);
    assert_eq!(failed["origin"], "cli");
    assert!(
        failed["step"].as_str().is_some_and(|s| !s.is_empty()),
        "{failed}"
    );
    assert!(failed["class"].is_string(), "{failed}");

    // An edit from the command line (which switches it off: the engine's health event says
    // it saw the change), then one by another writer (which switches it back on).
    let (code, _, err) = support::run_cli(
        home,
        &["backend", "set", "objs", "max_files=50", "enabled=false"],
    );
    assert_eq!(code, 0, "{err}");
    wait_for(home, "the engine seeing the command's change", |e| {
        of_kind(e, "health").iter().any(|h| h["to"] == "disabled")
    });
    written_by_another(home, |config| {
        config.insert("enabled".into(), json!(true));
        config.insert("inventory_secs".into(), json!(7200));
    });
    let timeline = wait_for(home, "another writer's change", |e| {
        of_kind(e, "enabled")
            .iter()
            .any(|x| x["origin"] == "other_writer")
    });
    let edits: Vec<(Value, Value)> = of_kind(&timeline, "edited")
        .iter()
        .map(|e| (e["origin"].clone(), e["fields"].clone()))
        .collect();
    assert_eq!(
        edits,
        [
            (json!("cli"), json!(["max_files"])),
            (json!("other_writer"), json!(["inventory_secs"]))
        ],
        "the command's edit is its own, never also another writer's"
    );
    let disabled: Vec<&Value> = of_kind(&timeline, "disabled")
        .into_iter()
        .map(|e| &e["origin"])
        .collect();
    assert_eq!(disabled, [&json!("cli")]);

    // A passing test, then the engine restarts: the timeline is the file's.
    let (code, _, _) = support::run_cli(home, &["backend", "test", "objs"]);
    assert_eq!(code, 0);
    engine.stop();
    let before_restart = events(home);
    let engine = Engine::start(home);
    let timeline = wait_for(home, "the timeline after a restart", |e| {
        e.len() >= before_restart.len()
    });
    assert_eq!(&timeline[..before_restart.len()], &before_restart[..]);
    let tests: Vec<&Value> = of_kind(&timeline, "test")
        .into_iter()
        .map(|t| &t["ok"])
        .collect();
    assert_eq!(tests, [&json!(false), &json!(true)]);
    engine.stop();

    // Text: one line an event, the transition said with its times, duration and reason.
    let (code, text, _) = support::run_cli(home, &["backend", "events", "objs", "--limit", "50"]);
    assert_eq!(code, 0);
    assert!(
        text.lines()
            .any(|l| l.contains("health") && l.contains("down ") && l.contains("; now healthy")),
        "{text}"
    );
    assert!(
        text.contains("edited from the command line: max_files"),
        "{text}"
    );
    assert!(
        text.contains("edited by another writer: inventory_secs"),
        "{text}"
    );

    let file = home.join("cache").join("objs").join("events.ndjson");
    assert!(file.is_file());
    let (code, _, err) = support::run_cli(home, &["backend", "remove", "objs", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(!file.exists(), "the timeline goes with its backend");
}
