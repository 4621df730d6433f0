//! The `ipfs`, `ipfs_cluster` and `s3` kinds against the real servers their operators run:
//! Kubo v0.43.1, IPFS Cluster v1.1.6 and the Versity S3 gateway v1.6.0, built by
//! scripts/test.sh from scripts/servers/ into target/tools/. Every test is #[ignore]d for plain
//! `cargo test` and fails, never skips, when its server is missing.
//!
//! `golden` records the servers' answers into tests/golden/ (RECORD_GOLDEN=1), and checks that
//! the fixtures of `kubo` and `ipfs_cluster` (beside this module) answer in the same shape.

mod cluster;
mod golden;
mod kubo;
mod proxy;
mod servers;
mod sockets;
mod versity;

use std::path::Path;

use serde_json::Value;

use crate::support;

/// `status --json`'s entry for `id`, with the whole report when it is not there.
pub fn status_of(home: &Path, id: &str) -> Value {
    let (code, out, err) = support::run_cli(home, &["status", "--json"]);
    // Exit 1 means some backend is not healthy: still a report.
    assert!(
        code == 0 || code == 1,
        "status --json failed ({code}):\n{out}{err}"
    );
    let report: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("status --json is not JSON ({e}):\n{out}{err}"));
    support::backend(&report, id).clone()
}

/// `backend test ID [--write] --json`: its exit code and report.
pub fn backend_test(home: &Path, id: &str, write: bool) -> (i32, Value) {
    let mut args = vec!["backend", "test", id, "--json"];
    if write {
        args.push("--write");
    }
    let (code, out, err) = support::run_cli(home, &args);
    let report: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("backend test --json is not JSON ({e}):\n{out}{err}"));
    (code, report)
}

/// `status`'s exit code convention: 0 when every backend is healthy.
pub fn health(entry: &Value) -> &str {
    entry["health"]["status"].as_str().unwrap_or("(none)")
}

pub fn message(entry: &Value) -> &str {
    entry["health"]["message"].as_str().unwrap_or("")
}

/// Every one of `steps` passed in a `backend test --json` report.
pub fn assert_steps_passed(report: &Value, steps: &[&str]) {
    let passed: Vec<&str> = report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["ok"] == Value::Bool(true))
        .filter_map(|s| s["name"].as_str())
        .collect();
    for step in steps {
        assert!(passed.contains(step), "{step}: {report:#}");
    }
}

/// Down, for credentials the server rejected, and said so.
pub fn assert_credentials_rejected(entry: &Value) {
    assert_eq!(health(entry), "down", "{entry:#}");
    assert_eq!(entry["health"]["failure"], "credentials", "{entry:#}");
    assert!(
        message(entry).contains("credentials rejected"),
        "{}",
        message(entry)
    );
}
