//! The `ipfs` kind against real Kubo v0.43.1 nodes.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use super::proxy::CountingProxy;
use super::servers::{wait_until, Kubo, KuboOptions};
use super::{
    assert_credentials_rejected, assert_steps_passed, backend_test, health, message, status_of,
};
use crate::support::home_with_backend;

const ID: &str = "node";

fn config(url: &str) -> Value {
    json!({"type": "ipfs", "enabled": true, "api_url": url})
}

/// Distinct contents of `size` bytes.
fn content(seed: usize, size: usize) -> Vec<u8> {
    (0..size)
        .map(|i| (i.wrapping_mul(31).wrapping_add(seed * 7919) % 251) as u8)
        .collect()
}

fn u64_of(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("not a count: {value}"))
}

/// Two nodes joined with `swarm connect`, online (an offline node refuses `swarm/peers` and
/// `stats/bw`): every figure the console shows equals what the node itself answers.
#[test]
#[ignore = "needs Kubo (target/tools/kubo); run by scripts/test.sh"]
fn two_online_nodes_read_exactly_as_kubo_answers() {
    let a = Kubo::start(KuboOptions::default());
    let b = Kubo::start(KuboOptions::default());
    a.connect(&b);
    let files = [("tiny.txt", 11), ("page.bin", 20_000), ("big.bin", 300_000)];
    for (i, (name, size)) in files.iter().enumerate() {
        a.add(name, &content(i, *size));
    }
    let home = home_with_backend(ID, config(&a.url));

    // The repo grows by itself now and then (the datastore's own writes): read it on both
    // sides of the poll and compare only when it held still.
    let mut compared = false;
    for _ in 0..20 {
        let before = a.rpc("repo/stat", &[("size-only", "true")]);
        let entry = status_of(home.path(), ID);
        let after = a.rpc("repo/stat", &[("size-only", "true")]);
        if before["RepoSize"] != after["RepoSize"] {
            continue;
        }
        assert_eq!(health(&entry), "healthy", "{entry:#}");
        assert_eq!(entry["storage"]["used"], before["RepoSize"], "{entry:#}");
        assert_eq!(entry["quota"]["limit"], before["StorageMax"], "{entry:#}");
        assert_eq!(entry["quota"]["source"], "gc_threshold", "{entry:#}");
        assert_eq!(
            entry["storage"]["total"],
            Value::Null,
            "StorageMax is no capacity"
        );
        assert_eq!(entry["vital"]["peers"], json!(1), "{entry:#}");
        assert_eq!(entry["vital"]["version"], json!("0.43.1"));
        assert_eq!(entry["vital"]["agent_version"], json!("kubo/0.43.1"));
        compared = true;
        break;
    }
    assert!(compared, "the repo never held still for one poll");

    // The inventory: pins and blocks, equal to `pin ls --type=recursive` and `repo stat`.
    let entry = status_of(home.path(), ID);
    let full = a.rpc("repo/stat", &[]);
    assert_eq!(
        u64_of(&entry["vital"]["pins"]),
        a.recursive_pins() as u64,
        "{entry:#}"
    );
    assert!(
        a.recursive_pins() >= files.len(),
        "the added files are pinned"
    );
    assert_eq!(entry["files"]["count"], full["NumObjects"], "{entry:#}");
    // provide/stat, read by the inventory: a node with no DHT peers beyond loopback is
    // offline to the sweep provider, and nothing is overdue.
    assert_eq!(
        entry["vital"]["provide_connectivity"],
        json!("offline"),
        "{entry:#}"
    );
    assert_eq!(
        entry["vital"]["provide_overdue_regions"],
        json!(0),
        "{entry:#}"
    );

    // Bandwidth moves after a transfer between the two nodes.
    let sent_before = u64_of(&entry["vital"]["total_out"]);
    let big = content(99, 2_000_000);
    let cid = a.add("transfer.bin", &big);
    let (status, body) = b.raw("cat", &[("arg", &cid)]);
    assert_eq!(status, 200);
    assert_eq!(body.len(), big.len(), "B read the file from A");
    wait_until(
        Duration::from_secs(30),
        "A's TotalOut counts the transfer",
        || {
            let entry = status_of(home.path(), ID);
            u64_of(&entry["vital"]["total_out"]) >= sent_before + big.len() as u64
        },
    );
}

/// What one pulse asks of a real node: the four requests the README names, whatever it holds.
#[test]
#[ignore = "needs Kubo (target/tools/kubo); run by scripts/test.sh"]
fn a_pulse_is_four_requests_and_the_inventory_four_more() {
    let node = Kubo::start(KuboOptions::default());
    let proxy = CountingProxy::start(node.url.trim_start_matches("http://"));
    let home = home_with_backend(ID, config(&proxy.url));
    node.add("one.txt", b"one");
    // The first status runs the pulse and the inventory; the next ones the pulse only (the
    // inventory is not due again for minutes).
    status_of(home.path(), ID);
    let mut first = proxy.take();
    first.sort();
    let mut counted: BTreeMap<String, usize> = BTreeMap::new();
    for line in &first {
        let path = line.split('?').next().unwrap_or(line).to_string();
        *counted.entry(path).or_default() += 1;
    }
    assert_eq!(
        counted,
        BTreeMap::from([
            ("POST /api/v0/id".to_string(), 1),
            ("POST /api/v0/pin/ls".to_string(), 1),
            ("POST /api/v0/provide/stat".to_string(), 1),
            ("POST /api/v0/repo/stat".to_string(), 2),
            ("POST /api/v0/stats/bw".to_string(), 1),
            ("POST /api/v0/swarm/peers".to_string(), 1),
            ("POST /api/v0/version".to_string(), 1),
        ]),
        "{first:#?}"
    );
    for _ in 0..3 {
        status_of(home.path(), ID);
        let mut pulse = proxy.take();
        pulse.sort();
        assert_eq!(
            pulse,
            [
                "POST /api/v0/repo/stat?size-only=true",
                "POST /api/v0/stats/bw",
                "POST /api/v0/swarm/peers",
                "POST /api/v0/version",
            ],
        );
    }
}

/// `--offline`: the node answers, so it is not down; it is degraded, naming the calls it
/// refused in its own words.
#[test]
#[ignore = "needs Kubo (target/tools/kubo); run by scripts/test.sh"]
fn an_offline_node_is_degraded_naming_what_it_refused() {
    let node = Kubo::start(KuboOptions {
        offline: true,
        ..KuboOptions::default()
    });
    let home = home_with_backend(ID, config(&node.url));
    let entry = status_of(home.path(), ID);
    assert_eq!(health(&entry), "degraded", "{entry:#}");
    let text = message(&entry);
    assert!(text.contains("the node runs offline"), "{text}");
    assert!(
        text.contains("stats/bw") && text.contains("swarm/peers"),
        "{text}"
    );
    assert!(text.contains("online mode"), "Kubo's own words: {text}");
    // Its repo is still read.
    assert!(
        entry["storage"]["used"].as_u64().is_some_and(|u| u > 0),
        "{entry:#}"
    );
}

/// A stopped daemon is down with the reason; started again, it is healthy at the next poll.
#[test]
#[ignore = "needs Kubo (target/tools/kubo); run by scripts/test.sh"]
fn a_stopped_node_is_down_with_the_reason_and_back_when_started() {
    let mut node = Kubo::start(KuboOptions::default());
    let home = home_with_backend(ID, config(&node.url));
    assert_eq!(health(&status_of(home.path(), ID)), "healthy");
    node.stop();
    let entry = status_of(home.path(), ID);
    assert_eq!(health(&entry), "down", "{entry:#}");
    assert!(
        message(&entry).contains("refused"),
        "the reason: {}",
        message(&entry)
    );
    node.resume();
    assert_eq!(health(&status_of(home.path(), ID)), "healthy");
}

/// `API.Authorizations`: a wrong token is "credentials rejected" (down, since `version` alone
/// answered); the right one reads everything.
#[test]
#[ignore = "needs Kubo (target/tools/kubo); run by scripts/test.sh"]
fn api_authorizations_a_wrong_token_is_rejected_the_right_one_reads() {
    let token = "kubo-real-token-58e1";
    let node = Kubo::start(KuboOptions {
        bearer: Some(token.into()),
        ..KuboOptions::default()
    });
    let mut wrong = config(&node.url);
    wrong["auth"] = json!("Bearer not-the-token");
    let home = home_with_backend(ID, wrong);
    let entry = status_of(home.path(), ID);
    assert_credentials_rejected(&entry);
    let (code, report) = backend_test(home.path(), ID, false);
    assert_eq!(code, 1, "{report:#}");

    let mut right = config(&node.url);
    right["auth"] = json!(format!("Bearer {token}"));
    let home = home_with_backend(ID, right);
    let entry = status_of(home.path(), ID);
    assert_eq!(health(&entry), "healthy", "{entry:#}");
    assert!(entry["vital"]["peer_id"].is_string(), "{entry:#}");
}

/// `backend test --write`: every step passes, and the write check's block is gone after.
#[test]
#[ignore = "needs Kubo (target/tools/kubo); run by scripts/test.sh"]
fn backend_test_and_the_write_check_pass_and_leave_nothing() {
    let node = Kubo::start(KuboOptions::default());
    let home = home_with_backend(ID, config(&node.url));
    let blocks_before = node.rpc("repo/stat", &[])["NumObjects"].clone();
    let (code, report) = backend_test(home.path(), ID, true);
    assert_eq!(code, 0, "{report:#}");
    assert_steps_passed(
        &report,
        &[
            "reachable: version",
            "authenticated: id",
            "read: repo/stat",
            "write: block/put of 64 bytes",
            "read back: block/get, the same 64 bytes",
            "delete: block/rm",
        ],
    );
    let written = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "write: block/put of 64 bytes")
        .and_then(|s| s["detail"].as_str())
        .unwrap()
        .to_string();
    let (status, body) = node.raw("block/stat", &[("arg", &written), ("offline", "true")]);
    assert_ne!(
        status,
        200,
        "the block {written} is still there: {}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(node.rpc("repo/stat", &[])["NumObjects"], blocks_before);
}
