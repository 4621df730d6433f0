//! Availability and incidents end to end: a real backend goes down and comes back under the
//! engine, the engine restarts and goes on from its history file, and `backend availability
//! --json` (another process) tells the incident with its reason; and a written 30-day history
//! whose outage lies across the switch from poll resolution to 10-minute buckets.

use std::path::Path;
use std::time::{Duration, Instant};

use ipfs_kit_tui::api::{Api, EngineOptions};
use ipfs_kit_tui::monitor::alerts::Rule;
use ipfs_kit_tui::stats::HealthStatus;
use ipfs_kit_tui::store::Store;
use serde_json::{json, Value};

use crate::support;

/// Waits (real time) until `done` holds, failing with `what` after `secs`.
async fn wait_for(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn availability_json(home: &Path, id: &str) -> Value {
    let (code, out, err) = support::run_cli(home, &["backend", "availability", id, "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Real time: a directory backend polled every second loses its directory (down, with an
/// alert), gets it back, and the engine restarts.
#[tokio::test]
async fn an_outage_is_an_incident_with_its_reason_across_a_restart() {
    let home = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let path = data.path().join("objects");
    std::fs::create_dir(&path).unwrap();
    let (store, _) = Store::open(home.path()).unwrap();
    store
        .create_backend(
            "dir",
            json!({"type": "local", "path": path, "poll_interval": 1})
                .as_object()
                .unwrap()
                .clone(),
        )
        .unwrap();
    store.set_setting("timeout_secs", json!(2)).unwrap();

    let api = Api::start(store.clone(), EngineOptions::default()).unwrap();
    let healthy = |api: &Api| {
        api.stats("dir")
            .is_some_and(|s| s.health.status == HealthStatus::Healthy)
    };
    wait_for(10, "the first answer", || healthy(&api)).await;
    let moved = data.path().join("moved");
    std::fs::rename(&path, &moved).unwrap();
    wait_for(15, "down and its alert", || {
        api.active_alerts()
            .iter()
            .any(|a| a.backend == "dir" && a.rule == Rule::Down)
    })
    .await;
    let down = api.stats("dir").unwrap();
    let summary = down.availability.clone().unwrap();
    assert!(summary.down_since.is_some(), "{summary:?}");
    assert_eq!(summary.incidents_30d, 1);
    assert!(summary.up_24h.unwrap() < 100.0);
    // While down, the full report says it is ongoing, with the alert's reason.
    let report = api.availability("dir").unwrap();
    let ongoing = report.incidents.last().unwrap();
    assert!(ongoing.ongoing && ongoing.end.is_none(), "{report:?}");
    assert!(
        ongoing
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("No such file")),
        "{report:?}"
    );
    std::fs::rename(&moved, &path).unwrap();
    wait_for(10, "the return", || healthy(&api)).await;
    let back = api.stats("dir").unwrap().availability.unwrap();
    assert_eq!(back.down_since, None);
    assert_eq!(back.incidents_30d, 1);
    assert!(back.mttr_secs.is_some_and(|s| s >= 2), "{back:?}");
    assert!(api.shutdown().await.is_none(), "everything written");

    // Restarted: the engine goes on from the history file.
    let again = Api::start(store.clone(), EngineOptions::default()).unwrap();
    let seeded = again.stats("dir").unwrap().availability.unwrap();
    assert_eq!(seeded.incidents_30d, 1, "{seeded:?}");
    assert_eq!(seeded.mttr_secs, back.mttr_secs);
    assert_eq!(seeded.down_since, None);
    assert!(again.shutdown().await.is_none());

    // Another process reads the same from the files: the incident, closed, with its reason.
    let report = availability_json(home.path(), "dir");
    let incidents = report["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{report:#}");
    let incident = &incidents[0];
    assert_eq!(incident["ongoing"], false);
    assert!(incident["end"].is_string());
    assert_eq!(incident["approximate"], false);
    assert!(incident["failed_polls"].as_u64().unwrap() >= 3);
    assert!(
        incident["reason"]
            .as_str()
            .is_some_and(|r| r.contains("No such file")),
        "{report:#}"
    );
    assert_eq!(report["mttr_secs"], json!(back.mttr_secs));
    for window in ["up_24h", "up_7d", "up_30d"] {
        let share = report[window].as_f64().unwrap();
        assert!(share > 0.0 && share < 100.0, "{window}: {report:#}");
    }
    assert_eq!(report["up_24h"], report["up_30d"], "all of it today");
}

/// A written history: a day and a half ago an outage that began in the 10-minute buckets and
/// ended at poll resolution (`history_hours` 48 puts the switch inside it), with its down
/// alert in the alerts log; an old short blip; polls before a stop of the engine.
#[test]
fn an_outage_across_the_switch_to_buckets() {
    let data = tempfile::tempdir().unwrap();
    let home = support::home_with_backend("b", json!({"type": "local", "path": data.path()}));
    let (store, _) = Store::open(home.path()).unwrap();
    store.set_setting("history_hours", json!(36)).unwrap();
    let now = unix_now();
    let switch = now - 36 * 3600;
    // The bucket that holds the switch is the last one written coarse.
    let first_bucket = switch - switch % 600 - 3 * 600;
    let mut text = String::new();
    // Five days ago, a bucket of 60 answered polls, one with two failed (a blip).
    let old = now - 5 * 86_400;
    let old = old - old % 600;
    text.push_str(&format!("[{old},3.000,null,null,null,null,60,0]\n"));
    text.push_str(&format!("[{},3.000,null,null,null,null,58,2]\n", old + 600));
    // Up, then down from the middle of the second bucket, down through the third.
    text.push_str(&format!(
        "[{first_bucket},3.000,null,null,null,null,60,0]\n"
    ));
    text.push_str(&format!(
        "[{},3.000,null,null,null,null,30,30]\n",
        first_bucket + 600
    ));
    text.push_str(&format!(
        "[{},null,null,null,null,null,0,60]\n",
        first_bucket + 1200
    ));
    // Then at poll resolution (every 10 s, from just after the switch): 30 more failed, then
    // back.
    let fine = switch + 120;
    for i in 0..120u64 {
        let at = fine + i * 10;
        if i < 30 {
            text.push_str(&format!("[{at},null,null]\n"));
        } else {
            text.push_str(&format!("[{at},2.000,100]\n"));
        }
    }
    let history = store.cache_dir().join("b/history.ndjson");
    std::fs::create_dir_all(history.parent().unwrap()).unwrap();
    std::fs::write(&history, text).unwrap();
    let stamp = |at: u64| ipfs_kit_tui::stats::availability::rfc3339(at);
    store
        .write_metadata(
            "alerts",
            json!([{
                "backend": "b",
                "rule": "down",
                "message": "down: connection refused",
                "raised_at": stamp(first_bucket + 1200),
                "cleared_at": stamp(fine + 300),
            }]),
        )
        .unwrap();

    let report = availability_json(home.path(), "b");
    let incidents = report["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "the blip is no incident: {report:#}");
    let incident = &incidents[0];
    assert_eq!(incident["approximate"], true, "its start is in a bucket");
    assert_eq!(incident["start"], json!(stamp(first_bucket + 600 + 300)));
    assert_eq!(incident["end"], json!(stamp(fine + 300)), "exact: a poll");
    assert_eq!(incident["failed_polls"], 30 + 60 + 30);
    assert_eq!(incident["reason"], "connection refused");
    assert_eq!(
        report["mttr_secs"],
        json!(fine + 300 - (first_bucket + 900))
    );
    // Every poll the buckets stand for counts: 298 answered of 420.
    let answered = f64::from(60 + 30 + 90 + 60 + 58);
    let total = f64::from(60 + 60 + 60 + 120 + 60 + 60);
    let expected = (100.0 * answered / total * 1000.0).round() / 1000.0;
    assert_eq!(report["up_7d"], json!(expected), "{report:#}");
    assert_eq!(report["up_30d"], report["up_7d"]);
    assert_eq!(report["up_24h"], Value::Null, "no poll in the last day");

    // The text says the same, and marks what a bucket only bounds.
    let (code, out, err) = support::run_cli(home.path(), &["backend", "availability", "b"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("24 h ?"), "{out}");
    assert!(
        out.contains("connection refused") && out.contains('~'),
        "{out}"
    );

    // An unknown backend is bad input.
    let (code, _, err) = support::run_cli(home.path(), &["backend", "availability", "nope"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("nope"), "{err}");

    // `status --json` (no engine) carries the summary from the same file.
    let (_, out, err) = support::run_cli(home.path(), &["status", "--json"]);
    let status: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{out}{err}"));
    let summary = &support::backend(&status, "b")["availability"];
    assert_eq!(summary["incidents_30d"], 1, "{summary:#}");
    assert_eq!(summary["up_7d"], json!(expected));
    assert_eq!(summary["down_since"], Value::Null);
}
