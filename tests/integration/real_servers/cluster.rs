//! The `ipfs_cluster` kind against a real IPFS Cluster v1.1.6 (CRDT consensus): two peers,
//! each in front of its own real Kubo node.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::servers::{wait_until, ClusterPeer, Kubo, KuboOptions};
use super::{health, message, status_of};
use crate::support::{home_with_backend, run_cli};

const ID: &str = "cluster";

fn config(url: &str) -> Value {
    json!({"type": "ipfs_cluster", "enabled": true, "api_url": url})
}

/// Two Kubo nodes, connected, and a cluster peer on each.
struct TwoPeers {
    a: ClusterPeer,
    b: ClusterPeer,
    kubo_a: Kubo,
    kubo_b: Kubo,
}

impl TwoPeers {
    fn start() -> TwoPeers {
        let kubo_a = Kubo::start(KuboOptions::default());
        let kubo_b = Kubo::start(KuboOptions::default());
        kubo_a.connect(&kubo_b);
        let a = ClusterPeer::start("peer-a", &kubo_a, None);
        let b = ClusterPeer::start("peer-b", &kubo_b, Some(&a));
        wait_until(Duration::from_secs(60), "peer-a sees both peers", || {
            a.get("peers").as_array().is_some_and(|p| p.len() == 2)
        });
        TwoPeers {
            a,
            b,
            kubo_a,
            kubo_b,
        }
    }
}

/// A fresh home watching `peer` (a fresh home also runs a fresh inventory).
fn watch(peer: &ClusterPeer) -> tempfile::TempDir {
    home_with_backend(ID, config(&peer.url))
}

fn node<'a>(entry: &'a Value, name: &str) -> &'a Value {
    entry["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["name"] == name))
        .unwrap_or_else(|| panic!("no node {name}: {entry:#}"))
}

/// Polls `status --json` on `home` until `check` accepts the entry (60 s at most).
fn status_until(home: &tempfile::TempDir, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let entry = status_of(home.path(), ID);
        if check(&entry) {
            return entry;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not within 60 s: {entry:#}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
#[ignore = "needs Kubo and IPFS Cluster (target/tools); run by scripts/test.sh"]
fn two_peers_their_pins_and_free_space_and_each_failure_named() {
    let mut cluster = TwoPeers::start();

    // Both up, each with its IPFS node and free space.
    let home = watch(&cluster.a);
    let entry = status_until(&home, "both peers up with their free space", |e| {
        e["nodes"]
            .as_array()
            .is_some_and(|n| n.len() == 2 && n.iter().all(|n| n["free_bytes"].is_u64()))
    });
    assert_eq!(health(&entry), "healthy", "{entry:#}");
    assert_eq!(entry["vital"]["peers_up"], json!(2), "{entry:#}");
    assert_eq!(entry["vital"]["peers_down"], json!(0), "{entry:#}");
    assert_eq!(entry["vital"]["version"], json!("1.1.6"), "{entry:#}");
    let metrics = cluster.a.get("monitor/metrics/freespace");
    for (peer, kubo) in [(&cluster.a, &cluster.kubo_a), (&cluster.b, &cluster.kubo_b)] {
        let shown = node(&entry, &peer.name);
        assert_eq!(shown["id"], json!(peer.id), "{shown:#}");
        assert_eq!(shown["up"], json!(true), "{shown:#}");
        // Cluster's freespace is StorageMax minus the repo, as its informer read it.
        let free = shown["free_bytes"].as_u64().unwrap();
        let storage_max = kubo.rpc("repo/stat", &[("size-only", "true")])["StorageMax"]
            .as_u64()
            .unwrap();
        assert!(
            free <= storage_max && free > storage_max - 50_000_000,
            "{shown:#}"
        );
        assert!(
            metrics
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["peer"] == json!(peer.id)),
            "{metrics:#}"
        );
    }
    // The fullest peer is the cluster's room.
    let least = entry["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["free_bytes"].as_u64())
        .min();
    assert_eq!(entry["storage"]["available"].as_u64(), least, "{entry:#}");

    // A pin, replicated on both peers, counted by state.
    let cid = cluster
        .kubo_a
        .add("cluster.txt", b"pinned through the cluster");
    cluster.a.ctl(&["pin", "add", "--wait", &cid]);
    wait_until(
        Duration::from_secs(60),
        "the pin is pinned on both peers",
        || {
            let pins = cluster.a.get("pins");
            pins.as_array().is_some_and(|p| {
                p.iter().any(|pin| {
                    pin["cid"] == json!(cid)
                        && pin["peer_map"].as_object().is_some_and(|m| {
                            m.len() == 2 && m.values().all(|s| s["status"] == "pinned")
                        })
                })
            })
        },
    );
    let home = watch(&cluster.a);
    let entry = status_of(home.path(), ID);
    assert_eq!(entry["vital"]["pins_pinned"], json!(1), "{entry:#}");
    assert_eq!(entry["vital"]["pins_error"], json!(0), "{entry:#}");
    assert_eq!(entry["files"]["count"], json!(1), "{entry:#}");

    // The Kubo node under peer-b stops: peer-b's IPFS error, in Cluster's words.
    cluster.kubo_b.stop();
    let entry = status_until(&home, "peer-b's IPFS error shown", |e| {
        health(e) == "degraded" && message(e).contains("peer-b")
    });
    assert!(
        message(&entry).contains("IPFS") && message(&entry).contains("connection refused"),
        "{}",
        message(&entry)
    );
    assert!(
        node(&entry, "peer-b")["ipfs_error"]
            .as_str()
            .is_some_and(|e| e.contains("connection refused")),
        "{entry:#}"
    );
    cluster.kubo_b.resume();
    status_until(&home, "healthy again once peer-b's IPFS is back", |e| {
        health(e) == "healthy"
    });

    // peer-b stops: Cluster drops it from /peers at once (CRDT), so it is its ping alert that
    // names it. The cluster is degraded naming peer-b, and healthy again when it is back.
    cluster.b.stop();
    let entry = status_until(&home, "degraded naming the stopped peer", |e| {
        health(e) == "degraded" && message(e).contains("peer-b")
    });
    assert!(message(&entry).contains("down"), "{}", message(&entry));
    assert_eq!(node(&entry, "peer-b")["up"], json!(false), "{entry:#}");
    assert_eq!(entry["vital"]["peers_down"], json!(1), "{entry:#}");
    // The exporter says the same, one series per node, labelled by its name.
    let (_, metrics, err) = run_cli(home.path(), &["status", "--openmetrics"]);
    let up = |name: &str| {
        metrics
            .lines()
            .find(|l| {
                l.starts_with("ipfs_kit_node_up{")
                    && l.contains(&format!("node=\"{name}\""))
                    && l.contains("backend=\"cluster\"")
            })
            .unwrap_or_else(|| panic!("no ipfs_kit_node_up for {name}:\n{metrics}{err}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(up("peer-a"), "1");
    assert_eq!(up("peer-b"), "0");
    assert!(
        metrics.contains("ipfs_kit_node_free_bytes{") && !metrics.contains("127.0.0.1"),
        "free space per node, and no address in any label:\n{metrics}"
    );
    cluster.b.resume();
    status_until(&home, "healthy again once peer-b is back", |e| {
        health(e) == "healthy" && e["vital"]["peers_up"] == json!(2)
    });
}
