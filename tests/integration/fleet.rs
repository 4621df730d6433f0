//! The fleet view's source against a real Prometheus scraping a real exporter: a round gives
//! the backends as the exporter's host sees them (id, kind, health, figures), unknown figures
//! stay unknown, and a range query gives the charts' points.

use std::time::{Duration, Instant};

use ipfs_kit_tui::fleet::{history, Fleet, Prometheus};
use ipfs_kit_tui::stats::HealthStatus;

use crate::support;
use crate::support::free_port;
use crate::support::prometheus::{start_exporter, start_prometheus};

/// Runs the CLI on `home`; fails the test unless it succeeds. Its stdout.
fn cli(home: &std::path::Path, args: &[&str]) -> String {
    let (code, out, err) = support::run_cli(home, args);
    assert_eq!(code, 0, "{args:?}: {out}{err}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs prometheus (scripts/test.sh installs it)"]
async fn a_round_and_a_range_read_back_what_the_exporter_serves() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("host");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let add = |id: &str, kind: &str, set: &str| {
        cli(&home, &["backend", "add", id, "--type", kind, "--set", set]);
    };
    add("disk", "local", &format!("path={}", data.display()));
    // Nothing listens there: down, and its storage unknown.
    add("gone", "ipfs", "api_url=http://127.0.0.1:9");
    let exporter = start_exporter(&home);
    let prometheus = start_prometheus(&[&exporter.address], None);
    prometheus.wait_targets_up(1, Duration::from_secs(60));
    let prom = Prometheus::new(&prometheus.url(), Duration::from_secs(10)).unwrap();
    let mut fleet = Fleet::new(prom.clone());
    // Wait for a round that has both backends, `gone` reported down.
    let deadline = Instant::now() + Duration::from_secs(60);
    let round = loop {
        let round = fleet.round().await.expect("Prometheus answers");
        let down = round
            .rows
            .iter()
            .any(|r| r.backend == "gone" && r.stats.health.status == HealthStatus::Down);
        let disk = round
            .rows
            .iter()
            .any(|r| r.backend == "disk" && r.stats.storage.used.is_some());
        if down && disk {
            break round;
        }
        assert!(Instant::now() < deadline, "no complete round: {round:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(round.hosts.len(), 1);
    assert!(round.hosts[0].up);
    let disk = round.rows.iter().find(|r| r.backend == "disk").unwrap();
    assert_eq!(disk.stats.id, format!("{}/disk", exporter.address));
    assert_eq!(disk.stats.kind, "local");
    assert_eq!(disk.stats.health.status, HealthStatus::Healthy);
    // The same filesystem as `status --json` sees (its total does not move between polls).
    let status: serde_json::Value =
        serde_json::from_str(&cli(&home, &["status", "--json"])).unwrap();
    let total = status["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == "disk")
        .unwrap()["storage"]["total"]
        .as_u64();
    assert_eq!(disk.stats.storage.total, total);
    let gone = round.rows.iter().find(|r| r.backend == "gone").unwrap();
    assert_eq!(gone.stats.storage.used, None, "unknown is not 0");
    assert_eq!(gone.stats.quota.limit, None);
    // A few scrapes later, the range query has points with the used bytes.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let now = chrono::Utc::now().timestamp() as u64;
    let kept = history::read(&prom, &exporter.address, "disk", 900, now)
        .await
        .expect("range query");
    assert!(
        !kept.points.is_empty(),
        "no points over the last 15 minutes"
    );
    assert!(kept.points.iter().any(|p| p.used_bytes.is_some()));
    let failed = history::read(&prom, &exporter.address, "gone", 900, now)
        .await
        .expect("range query");
    assert!(
        !failed.points.is_empty() && failed.points.iter().all(|p| p.failed()),
        "a backend that never answered charts failed polls only: {:?}",
        failed.points
    );
}

#[tokio::test]
async fn prometheus_not_answering_is_a_clear_error() {
    let port = free_port();
    let prom =
        Prometheus::new(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2)).unwrap();
    let err = Fleet::new(prom).round().await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "Prometheus at http://127.0.0.1:{port} did not answer"
        )),
        "{text}"
    );
}
