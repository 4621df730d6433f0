//! The IPFS Cluster (`ipfs_cluster`) probe against an in-repo fixture that answers as a Cluster
//! peer's REST API does (as its documentation and a real peer answer): `/health` 204 without auth, NDJSON
//! streams for `/peers` and `/pins` (204 when empty, errors in the `X-Stream-Error` trailer),
//! freespace metrics whose `value` is a decimal string, 401 `{"code","message"}` on bad auth.
//!
//! The probe is in two parts (issue 8): the *pulse* (every poll: `/health`, `/id`, `/peers`;
//! only `/health` failing makes the cluster down) and the *inventory* (slow clock: `/pins` and
//! the freespace metrics; its failures never change health). `support::measure_all` is one
//! pulse plus one inventory.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipfs_kit_tui::backends::Kind;
use ipfs_kit_tui::poll;
use ipfs_kit_tui::probe::{Budget, ProbeContext, ProbeError};
use ipfs_kit_tui::stats::{Files, Measurement, Quota, Storage};
use serde_json::{json, Map, Value};

use crate::support;
use crate::support::backends::cluster::Cluster;
use crate::support::failed_call;
use crate::support::probe_ctx as ctx;
use crate::support::{
    assert_only_fed_figures_kept, home_with_backend, run_cli, Fixture, Reply, Request,
};

const USER: &str = "operator";
const PASSWORD: &str = "cluster-pass-7d1e";
const PEER_A: &str = "12D3KooWClusterPeerAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const PEER_B: &str = "12D3KooWClusterPeerBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
const PEER_C: &str = "12D3KooWClusterPeerCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
const FREE_A: u64 = 53_687_091_200;
const FREE_B: u64 = 21_474_836_480;

/// A peer as `/id` and each line of `/peers` show it; `error` non-empty = down.
fn peer(id: &str, name: &str, error: &str) -> Value {
    let up = error.is_empty();
    json!({
        "id": id,
        "addresses": if up { json!([format!("/ip4/10.0.0.1/tcp/9096/p2p/{id}")]) } else { Value::Null },
        "cluster_peers": if up { json!([PEER_A, PEER_B, PEER_C]) } else { Value::Null },
        "cluster_peers_addresses": null,
        "version": if up { "1.1.6" } else { "" },
        "commit": if up { "3c5c4f1" } else { "" },
        "rpc_protocol_version": if up { "/ipfscluster/1.0/rpc" } else { "" },
        "error": error,
        "ipfs": {"id": if up { "12D3KooWKuboNode" } else { "" }, "addresses": null, "error": ""},
        "peername": name,
    })
}

/// A ping alert as `/health/alerts` lists it for a peer last heard from `secs` ago: with CRDT
/// consensus, a stopped peer leaves `/peers` at once and only this names it.
fn silent_peer_alert(id: &str, name: &str, secs: i64) -> Value {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    let received = now - secs * 1_000_000_000;
    json!({"name": "ping", "peer": id,
           "value": json!({"peer_name": name, "ipfs_id": "12D3KooWKuboNode"}).to_string(),
           "expire": received + 4_000_000_000i64, "valid": true, "weight": 0,
           "partitionable": false, "received_at": received,
           "triggered_at": "2026-12-07T18:48:46.213710246Z"})
}

/// A `GlobalPinInfo` with the given per-peer statuses.
fn pin(cid: &str, statuses: &[(&str, &str)]) -> Value {
    let peer_map: serde_json::Map<String, Value> = statuses
        .iter()
        .map(|(peer, status)| {
            (
                peer.to_string(),
                json!({"peername": "", "ipfs_peer_id": "12D3KooWKuboNode",
                       "status": status, "timestamp": "2025-07-28T10:11:12Z",
                       "error": if status.contains("error") { "context deadline exceeded" } else { "" },
                       "attempt_count": 0, "priority_pin": false}),
            )
        })
        .collect();
    json!({"cid": cid, "name": "", "allocations": [PEER_A, PEER_B], "origins": [],
           "created": "2025-07-28T10:00:00Z", "metadata": null, "peer_map": peer_map})
}

/// The pin set of the healthy cluster: 3 pinned, 1 pinning, 1 queued, 1 other.
fn healthy_pins() -> Vec<Value> {
    vec![
        pin(
            "bafy-pinned-1",
            &[(PEER_A, "pinned"), (PEER_B, "pinned"), (PEER_C, "remote")],
        ),
        pin(
            "bafy-pinned-2",
            &[(PEER_A, "pinned"), (PEER_B, "remote"), (PEER_C, "remote")],
        ),
        pin(
            "bafy-pinned-3",
            &[(PEER_A, "remote"), (PEER_B, "pinned"), (PEER_C, "pinned")],
        ),
        // Worst over its peers: pinning beats pinned.
        pin("bafy-pinning", &[(PEER_A, "pinning"), (PEER_B, "pinned")]),
        // Queued (not started) is further from pinned than pinning.
        pin(
            "bafy-queued",
            &[(PEER_A, "pin_queued"), (PEER_B, "pinning")],
        ),
        pin("bafy-other", &[(PEER_A, "unpinning"), (PEER_B, "remote")]),
    ]
}

fn freespace() -> Value {
    json!([
        {"name": "freespace", "peer": PEER_A, "value": FREE_A.to_string(), "expire": 1753697472000000000u64,
         "valid": true, "weight": 0, "partitionable": false, "received_at": 1753697442000000000u64},
        {"name": "freespace", "peer": PEER_B, "value": FREE_B.to_string(), "expire": 1753697472000000000u64,
         "valid": true, "weight": 0, "partitionable": false, "received_at": 1753697442000000000u64},
        // Expired: not counted.
        {"name": "freespace", "peer": PEER_C, "value": "999", "expire": 1753690000000000000u64,
         "valid": false, "weight": 0, "partitionable": false, "received_at": 1753689970000000000u64},
    ])
}

/// A cluster bigger than the healthy one: `pins` pins (all pinned) and `peers` peers (all up).
#[derive(Clone, Copy)]
struct Scale {
    pins: usize,
    peers: usize,
}

fn many_peers(count: usize) -> Vec<Value> {
    let mut peers = vec![peer(PEER_A, "cluster-a", "")];
    peers
        .extend((1..count).map(|i| peer(&format!("12D3KooWPeer{i:06}"), &format!("peer-{i}"), "")));
    peers
}

fn many_pin(i: usize) -> Value {
    json!({"cid": format!("bafy-many-{i}"), "peer_map": {PEER_A: {"status": "pinned"}}})
}

/// The cluster answering: peer A of three with the healthy pin set, or at `scale` when given;
/// with `auth`, every endpoint but `/health` wants those basic-auth credentials.
fn cluster_of(scale: Option<Scale>, auth: Option<(&str, &str)>) -> Cluster {
    let (peers, pins, pin): (Vec<Value>, usize, fn(usize) -> Value) = match scale {
        Some(scale) => (many_peers(scale.peers), scale.pins, many_pin),
        None => (
            vec![
                peer(PEER_A, "cluster-a", ""),
                peer(PEER_B, "cluster-b", ""),
                peer(PEER_C, "cluster-c", ""),
            ],
            healthy_pins().len(),
            |i| healthy_pins().swap_remove(i),
        ),
    };
    Cluster {
        id: peer(PEER_A, "cluster-a", ""),
        peers,
        pins,
        pin,
        freespace,
        auth: auth.map(|(user, password)| basic(user, password)),
    }
}

fn basic(user: &str, password: &str) -> String {
    // Base64 by hand keeps the test free of extra crates.
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let input = format!("{user}:{password}").into_bytes();
    let mut out = Vec::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
    format!("Basic {}", String::from_utf8(out).unwrap())
}

/// Replies that replace the healthy answer of a path; shared with the fixture, so a test can
/// break a path between two polls.
type Overrides = Arc<Mutex<Vec<(String, Reply)>>>;

fn overrides(list: Vec<(&str, Reply)>) -> Overrides {
    Arc::new(Mutex::new(
        list.into_iter()
            .map(|(path, reply)| (path.to_string(), reply))
            .collect(),
    ))
}

/// A Cluster peer's REST API on a free loopback port; with `auth`, every endpoint but
/// `/health` wants those basic-auth credentials. `overrides` replace the healthy answers.
fn cluster_with(auth: Option<(&str, &str)>, scale: Option<Scale>, overrides: Overrides) -> Fixture {
    let cluster = cluster_of(scale, auth);
    Fixture::start(move |request: &Request| {
        let replaced = |path: &str| {
            overrides
                .lock()
                .unwrap()
                .iter()
                .find(|(p, _)| p == path)
                .map(|(_, reply)| reply.clone())
        };
        cluster.answer(request, replaced).reply
    })
}

fn cluster(auth: Option<(&str, &str)>, list: Vec<(&str, Reply)>) -> Fixture {
    cluster_with(auth, None, overrides(list))
}

fn config(url: &str, auth: Option<(&str, &str)>) -> Value {
    let mut config = json!({"type": "ipfs_cluster", "enabled": true, "api_url": url});
    if let Some((user, password)) = auth {
        config["user"] = json!(user);
        config["password"] = json!(password);
    }
    config
}

/// One pulse, under the one rule for "down" (what every poll runs).
async fn pulse(ctx: &ProbeContext, config: &Value) -> Result<Measurement, ProbeError> {
    poll::pulse(ctx, Kind::IpfsCluster.spec(), config.as_object().unwrap()).await
}

/// One pulse and one inventory: every figure the cluster reports.
async fn measure_all(ctx: &ProbeContext, config: &Value) -> Result<Measurement, ProbeError> {
    support::measure_all(ctx, Kind::IpfsCluster, config.as_object().unwrap()).await
}

fn home(config: Value, timeout_secs: u64) -> tempfile::TempDir {
    support::home_with_timeout("cluster", config, timeout_secs)
}

fn status(home: &Path) -> (Value, String, String, Duration) {
    support::status_of(home, "cluster")
}

/// What the pulse reads.
fn pulse_vital() -> Value {
    json!({
        "version": "1.1.6", "commit": "3c5c4f1", "peername": "cluster-a", "peer_id": PEER_A,
        "cluster_peers": 3, "peers_up": 3, "peers_down": 0,
    })
}

/// The vital figures only the inventory reads.
const INVENTORY_VITAL: [&str; 6] = [
    "pins_pinned",
    "pins_pinning",
    "pins_queued",
    "pins_error",
    "pins_other",
    "freespace_min",
];

/// What the pulse and the inventory read together.
fn healthy_vital() -> Value {
    json!({
        "version": "1.1.6", "commit": "3c5c4f1", "peername": "cluster-a", "peer_id": PEER_A,
        "cluster_peers": 3, "peers_up": 3, "peers_down": 0,
        "pins_pinned": 3, "pins_pinning": 1, "pins_queued": 1, "pins_error": 0, "pins_other": 1,
        "freespace_min": FREE_B,
    })
}

/// The requests a fixture received, by path.
fn by_path(requests: &[Request]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for request in requests {
        *counts.entry(request.path.clone()).or_insert(0) += 1;
    }
    counts
}

#[tokio::test]
async fn measure_reports_every_figure() {
    let api = cluster(Some((USER, PASSWORD)), vec![]);
    let m = measure_all(&ctx(5), &config(&api.url, Some((USER, PASSWORD))))
        .await
        .unwrap();
    assert_eq!(m.degraded, None);
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    assert_eq!(
        m.storage,
        Storage {
            total: None,
            used: None,
            available: Some(FREE_A.min(FREE_B)),
            usage_percent: None,
            // The cluster's peers, as its address names them: counted once in totals.
            identity: Some(format!(
                "ipfs_cluster:{}/peers",
                api.url.trim_start_matches("http://").trim_end_matches('/')
            )),
            as_of: None,
        }
    );
    assert_eq!(
        m.files,
        Files {
            count: Some(6),
            ..Files::default()
        }
    );
    assert_eq!(m.quota, Quota::default());
    assert_eq!(Value::Object(m.vital), healthy_vital());
}

#[tokio::test]
async fn the_pulse_reads_no_inventory_figure() {
    let api = cluster(Some((USER, PASSWORD)), vec![]);
    let m = pulse(&ctx(5), &config(&api.url, Some((USER, PASSWORD))))
        .await
        .unwrap();
    assert_eq!(m.degraded, None);
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    assert_eq!(
        m.files,
        Files::default(),
        "pins are counted by the inventory"
    );
    assert_eq!(m.storage, Storage::default(), "free space is inventory");
    assert_eq!(Value::Object(m.vital), pulse_vital());
}

#[tokio::test]
async fn basic_auth_is_sent_everywhere_but_health() {
    let api = cluster(Some((USER, PASSWORD)), vec![]);
    measure_all(&ctx(5), &config(&api.url, Some((USER, PASSWORD))))
        .await
        .unwrap();
    let requests = api.requests();
    let mut paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    paths.sort_unstable();
    // The pulse: /health, /id, /peers, /health/alerts; the inventory: /pins, freespace.
    assert_eq!(
        paths,
        [
            "/health",
            "/health/alerts",
            "/id",
            "/monitor/metrics/freespace",
            "/peers",
            "/pins"
        ]
    );
    let expected = basic(USER, PASSWORD);
    for request in &requests {
        assert_eq!(request.method, "GET");
        if request.path == "/health" {
            assert_eq!(request.header("authorization"), None, "health needs none");
        } else {
            assert_eq!(
                request.header("authorization"),
                Some(expected.as_str()),
                "{}",
                request.path
            );
        }
    }
}

#[test]
fn status_json_reports_every_figure_and_keeps_it() {
    let api = cluster(Some((USER, PASSWORD)), vec![]);
    let home = home(config(&api.url, Some((USER, PASSWORD))), 10);
    let (entry, out, err, elapsed) = status(home.path());
    println!("cluster status round: {elapsed:?}");
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));
    assert_eq!(entry["type"], "ipfs_cluster");
    assert_eq!(entry["health"]["status"], "healthy", "{entry}");
    assert_eq!(entry["health"]["message"], Value::Null);
    assert_eq!(entry["source"], "live");
    // The first status on a fresh home runs an inventory: pins and free space come from it,
    // with its time.
    let inventory_at = entry["inventory"]["as_of"].clone();
    assert!(inventory_at.is_string(), "{entry}");
    assert_eq!(entry["inventory"]["state"], "complete", "{entry}");
    assert_eq!(entry["inventory"]["requests"], 2, "/pins and freespace");
    assert_eq!(
        entry["storage"],
        json!({"total": null, "used": null, "available": FREE_A.min(FREE_B), "usage_percent": null,
               "identity": format!("ipfs_cluster:{}/peers",
                                   api.url.trim_start_matches("http://").trim_end_matches('/')),
               "as_of": inventory_at})
    );
    assert_eq!(
        entry["files"],
        json!({"count": 6, "bytes": null, "largest": null, "as_of": inventory_at})
    );
    assert_eq!(
        entry["quota"],
        json!({"limit": null, "used": null, "remaining": null, "objects_limit": null, "objects_used": null})
    );
    assert_eq!(entry["vital"], healthy_vital());
    let inventory_times: Map<String, Value> = INVENTORY_VITAL
        .iter()
        .map(|key| (key.to_string(), inventory_at.clone()))
        .collect();
    assert_eq!(entry["vital_as_of"], Value::Object(inventory_times));
    let kept: Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join("metadata/stats.cluster.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(kept["key"], "stats.cluster");
    assert_eq!(kept["value"]["vital"], entry["vital"]);
    assert_eq!(kept["value"]["storage"], entry["storage"]);
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn backend_test_passes_with_its_steps_and_the_pulse() {
    let api = cluster(Some((USER, PASSWORD)), vec![]);
    let home = home(config(&api.url, Some((USER, PASSWORD))), 10);
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "cluster", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    let steps = report["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "reachable: health",
            "authenticated: id",
            "read: peers",
            "pulse: what the monitor polls"
        ]
    );
    assert_eq!(steps[0]["detail"], "alive (HTTP 204)");
    assert_eq!(steps[1]["detail"], "peer cluster-a, IPFS Cluster 1.1.6");
    assert_eq!(steps[2]["detail"], "3 peers up, 0 down");
    assert_eq!(steps[3]["detail"], "healthy: every call answered");
    assert!(
        api.requests().iter().all(|r| r.path != "/pins"),
        "a test lists no pins"
    );
}

#[test]
fn backend_test_fails_at_the_auth_step_with_a_wrong_password() {
    let api = cluster(Some((USER, PASSWORD)), vec![]);
    let home = home(config(&api.url, Some((USER, "not-the-password"))), 10);
    let started = Instant::now();
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "cluster", "--json"]);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(code, 1, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{report}");
    assert_eq!(steps[0]["ok"], true, "health needs no credentials");
    assert_eq!(steps[1]["name"], "authenticated: id");
    assert_eq!(steps[1]["ok"], false);
    assert_eq!(
        steps[1]["detail"],
        "credentials rejected (HTTP 401): Unauthorized"
    );
    assert_eq!(report["error"]["class"], "credentials");
    assert!(!out.contains("not-the-password") && !err.contains("not-the-password"));
    // The poll: /health answers, but rejected credentials on any call make the cluster down.
    let (entry, out, err, elapsed) = status(home.path());
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(entry["health"]["status"], "down", "{entry}");
    assert_eq!(
        entry["health"]["message"],
        "credentials rejected (HTTP 401): /id: Unauthorized"
    );
    assert!(!out.contains("not-the-password") && !err.contains("not-the-password"));
    // And without any credentials at all.
    let home = home_with_backend("cluster", config(&api.url, None));
    let (code, out, _) = run_cli(home.path(), &["backend", "test", "cluster", "--json"]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["steps"][1]["name"], "authenticated: id");
    assert_eq!(report["error"]["class"], "credentials");
}

#[tokio::test]
async fn empty_streams_answer_204() {
    let api = cluster(
        None,
        vec![
            ("/peers", Reply::empty(204)),
            ("/pins", Reply::empty(204)),
            ("/monitor/metrics/freespace", Reply::raw_json(200, "null")),
        ],
    );
    let m = measure_all(&ctx(5), &config(&api.url, None)).await.unwrap();
    assert_eq!(m.degraded, None);
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    // Zero pins is a real zero; no freespace metric is unknown.
    assert_eq!(m.files.count, Some(0));
    assert_eq!(m.storage, Storage::default());
    for key in [
        "peers_up",
        "peers_down",
        "pins_pinned",
        "pins_pinning",
        "pins_queued",
        "pins_error",
        "pins_other",
    ] {
        assert_eq!(m.vital[key], json!(0), "{key}");
    }
    assert!(!m.vital.contains_key("freespace_min"));
}

#[test]
fn stream_error_trailer_on_peers_degrades() {
    let api = cluster(
        None,
        vec![(
            "/peers",
            Reply::ndjson(
                &[peer(PEER_A, "cluster-a", "")],
                vec![(
                    "X-Stream-Error".into(),
                    "rpc error: context deadline exceeded".into(),
                )],
            ),
        )],
    );
    let home = home(config(&api.url, None), 2);
    let (entry, _, _, elapsed) = status(home.path());
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    // /peers is not the liveness call: degraded, naming the call; the peer counts were never
    // known, so they are null (not a partial count of 1); the rest is live.
    assert_eq!(entry["health"]["status"], "degraded", "{entry}");
    assert_eq!(
        entry["health"]["message"],
        "/peers failed: the stream failed: rpc error: context deadline exceeded"
    );
    assert_eq!(entry["vital"].get("peers_up"), None, "{entry}");
    assert_eq!(entry["vital"].get("peers_down"), None, "{entry}");
    assert_eq!(entry["vital"]["version"], "1.1.6");
    assert_eq!(entry["vital"]["cluster_peers"], 3);
    assert_eq!(entry["files"]["count"], 6);
    // `backend test` names the read step.
    let (code, out, _) = run_cli(home.path(), &["backend", "test", "cluster", "--json"]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["steps"][2]["name"], "read: peers");
    assert_eq!(report["steps"][2]["ok"], false);
    assert_eq!(report["error"]["class"], "stream");
}

#[tokio::test]
async fn stream_error_trailer_on_pins_fails_the_inventory_only() {
    let api = cluster(
        None,
        vec![(
            "/pins",
            Reply::ndjson(
                &healthy_pins()[..2],
                vec![("X-Stream-Error".into(), "state: datastore closed".into())],
            ),
        )],
    );
    // /pins is inventory (it grows with the cluster): the pulse stays healthy.
    let m = measure_all(&ctx(5), &config(&api.url, None)).await.unwrap();
    assert_eq!(m.degraded, None);
    assert_eq!(m.failed.len(), 1, "{:?}", m.failed);
    assert_eq!(
        failed_call(&m, "/pins"),
        ProbeError::Stream {
            detail: "state: datastore closed".into()
        }
    );
    assert!(
        !m.vital.contains_key("pins_pinned"),
        "no partial count: {:?}",
        m.vital
    );
    assert_eq!(m.files.count, None);
    assert_eq!(
        m.storage.available,
        Some(FREE_A.min(FREE_B)),
        "freespace still read"
    );

    let home = home(config(&api.url, None), 5);
    let (entry, _, _, _) = status(home.path());
    assert_eq!(entry["health"]["status"], "healthy", "{entry}");
    assert_eq!(entry["health"]["message"], Value::Null);
    assert_eq!(
        entry["inventory"]["message"],
        "/pins failed: the stream failed: state: datastore closed"
    );
    assert_eq!(entry["files"]["count"], Value::Null, "{entry}");
    assert_eq!(entry["vital"]["peers_up"], 3);
}

#[tokio::test]
async fn down_peers_degrade_and_errored_pins_are_counted() {
    let api = cluster(
        None,
        vec![
            (
                "/peers",
                Reply::ndjson(
                    &[
                        peer(PEER_A, "cluster-a", ""),
                        // Cluster leaves the peername empty for a peer it cannot reach.
                        peer(PEER_B, "", "dial backoff\u{1b}[2J"),
                        peer(PEER_C, "cluster-c", "context deadline exceeded"),
                    ],
                    vec![],
                ),
            ),
            (
                "/pins",
                Reply::ndjson(
                    &[
                        pin("bafy-ok", &[(PEER_A, "pinned")]),
                        pin("bafy-e1", &[(PEER_A, "pinned"), (PEER_B, "pin_error")]),
                        pin(
                            "bafy-e2",
                            &[(PEER_A, "pin_queued"), (PEER_C, "cluster_error")],
                        ),
                        pin("bafy-e3", &[(PEER_A, "unexpectedly_unpinned")]),
                    ],
                    vec![],
                ),
            ),
        ],
    );
    let m = measure_all(&ctx(5), &config(&api.url, None)).await.unwrap();
    // Down peers are the pulse's: degraded. Errored pins are counted by the inventory, which
    // never changes health: they are figures (pins_error), not part of the message.
    assert_eq!(
        m.degraded.as_deref(),
        Some(&*format!(
            "2 of 3 cluster peers down: {PEER_B} (dial backoff), cluster-c (context deadline exceeded)"
        ))
    );
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    assert_eq!(m.vital["peers_up"], json!(1));
    assert_eq!(m.vital["peers_down"], json!(2));
    assert_eq!(m.vital["pins_pinned"], json!(1));
    assert_eq!(m.vital["pins_error"], json!(3));
    assert_eq!(m.vital["pins_queued"], json!(0));
    assert_eq!(m.files.count, Some(4));
}

#[tokio::test]
async fn more_down_peers_than_named_are_counted() {
    let mut peers = vec![peer(PEER_A, "cluster-a", "")];
    for i in 0..5 {
        peers.push(peer(
            &format!("12D3KooWDown{i}"),
            &format!("down-{i}"),
            "dial backoff",
        ));
    }
    let api = cluster(None, vec![("/peers", Reply::ndjson(&peers, vec![]))]);
    let m = pulse(&ctx(5), &config(&api.url, None)).await.unwrap();
    assert_eq!(
        m.degraded.as_deref(),
        Some(
            "5 of 6 cluster peers down: down-0 (dial backoff), down-1 (dial backoff), down-2 (dial backoff) and 2 more"
        )
    );
}

#[tokio::test]
async fn a_peers_line_over_its_cap_fails_that_call_only() {
    // A peer as a cluster of 300 peers lists it (their IDs and addresses, ~100 KB) is read...
    let mut big = peer(PEER_B, "cluster-b", "");
    let ids: Vec<String> = (0..300).map(|i| format!("12D3KooWPeer{i:040}")).collect();
    let addresses: Vec<String> = ids
        .iter()
        .flat_map(|id| {
            ["tcp/9096", "udp/9096/quic-v1", "tcp/9097"]
                .map(|t| format!("/ip4/10.0.0.1/{t}/p2p/{id}"))
        })
        .collect();
    big["cluster_peers"] = json!(ids);
    big["cluster_peers_addresses"] = json!(addresses);
    let peers = vec![peer(PEER_A, "cluster-a", ""), big];
    let api = cluster(None, vec![("/peers", Reply::ndjson(&peers, vec![]))]);
    let m = pulse(&ctx(5), &config(&api.url, None)).await.unwrap();
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    assert_eq!(m.vital["peers_up"], json!(2));
    // ...one line longer than the cap, and one that never ends, fail /peers and nothing else.
    let mut huge = peer(PEER_B, "cluster-b", "");
    huge["peername"] = json!("x".repeat(200 * 1024));
    let too_large = ProbeError::TooLarge {
        call: "Cluster /peers".into(),
        limit_bytes: 128 * 1024,
        per_line: true,
    };
    for reply in [
        Reply::ndjson(&[peer(PEER_A, "cluster-a", ""), huge], vec![]),
        Reply::endless(200, &[b'x'; 8192]),
    ] {
        let api = cluster(None, vec![("/peers", reply)]);
        let started = Instant::now();
        let m = pulse(&ctx(5), &config(&api.url, None)).await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(m.failed.len(), 1, "{:?}", m.failed);
        assert_eq!(failed_call(&m, "/peers"), too_large);
        assert_eq!(m.vital["version"], json!("1.1.6"), "/id is still read");
    }
}

#[test]
fn a_peer_that_cannot_reach_ipfs_is_degraded() {
    let mut id = peer(PEER_A, "cluster-a", "");
    id["ipfs"] = json!({"id": "", "addresses": null,
        "error": "Post \"http://127.0.0.1:5001/api/v0/id\": dial tcp 127.0.0.1:5001: connect: connection refused"});
    // As the real Cluster answers: the peer's own line in /peers carries the same error.
    let peers = Reply::ndjson(
        &[
            id.clone(),
            peer(PEER_B, "cluster-b", ""),
            peer(PEER_C, "cluster-c", ""),
        ],
        vec![],
    );
    let api = cluster(None, vec![("/id", Reply::json(200, id)), ("/peers", peers)]);
    let home = home(config(&api.url, None), 2);
    let (entry, _, _, _) = status(home.path());
    assert_eq!(entry["health"]["status"], "degraded");
    assert_eq!(
        entry["health"]["message"],
        "cluster-a cannot reach its IPFS node: Post \"http://127.0.0.1:5001/api/v0/id\": dial tcp 127.0.0.1:5001: connect: connection refused"
    );
    // The figures are still there.
    assert_eq!(entry["vital"]["peers_up"], 3);
    assert_eq!(entry["files"]["count"], 6);
}

#[tokio::test]
async fn freespace_values_are_decimal_strings() {
    // Happy path (strings parsed, the expired metric left out) is in measure_reports_every_figure;
    // here a value that is not a number is named. Free space is inventory: that call failed.
    let api = cluster(
        None,
        vec![(
            "/monitor/metrics/freespace",
            Reply::json(
                200,
                json!([
                    {"name": "freespace", "peer": PEER_A, "value": "1024", "expire": 1, "valid": true, "weight": 0},
                    {"name": "freespace", "peer": PEER_B, "value": "12GB", "expire": 1, "valid": true, "weight": 0},
                ]),
            ),
        )],
    );
    let m = measure_all(&ctx(5), &config(&api.url, None)).await.unwrap();
    assert_eq!(m.degraded, None);
    assert_eq!(m.failed.len(), 1, "{:?}", m.failed);
    let err = failed_call(&m, "/monitor/metrics/freespace");
    assert_eq!(err.class(), "unparsable");
    assert_eq!(
        err.to_string(),
        format!("unparsable answer from Cluster /monitor/metrics/freespace: freespace value '12GB' of peer {PEER_B} is not a number of bytes")
    );
    assert_eq!(m.storage, Storage::default(), "no partial sum");
    assert!(!m.vital.contains_key("freespace_min"));
    assert_eq!(m.files.count, Some(6), "the pins are still counted");
}

// ---- Faults: each fails with the right reason within timeout + 2 s. ----

#[tokio::test]
async fn hang_past_the_timeout() {
    // The liveness call hangs: down, not retried (the timeout already took the poll's time).
    let api = cluster(None, vec![("/health", Reply::Hang)]);
    let started = Instant::now();
    let err = pulse(&ctx(1), &config(&api.url, None)).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(err.to_string(), "timed out after 1 s");
    let healths = api
        .requests()
        .iter()
        .filter(|r| r.path == "/health")
        .count();
    assert_eq!(healths, 1);

    // Another pulse call hangs: degraded, naming it, in one timeout (the calls run together).
    let api = cluster(None, vec![("/id", Reply::Hang)]);
    let started = Instant::now();
    let m = pulse(&ctx(1), &config(&api.url, None)).await.unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(m.failed.len(), 1, "{:?}", m.failed);
    assert_eq!(failed_call(&m, "/id"), ProbeError::Timeout { secs: 1 });
    assert_eq!(m.vital["peers_up"], json!(3));

    // The pin stream hangs: the inventory's call failed; the pulse is healthy.
    let api = cluster(None, vec![("/pins", Reply::Hang)]);
    let started = Instant::now();
    let m = measure_all(&ctx(1), &config(&api.url, None)).await.unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(m.degraded, None);
    assert_eq!(failed_call(&m, "/pins").to_string(), "timed out after 1 s");
}

#[tokio::test]
async fn connection_refused_names_the_address() {
    let port = support::free_port();
    let started = Instant::now();
    let err = pulse(&ctx(1), &config(&format!("http://127.0.0.1:{port}"), None))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        err.to_string(),
        format!("connection refused by 127.0.0.1:{port}")
    );
}

#[test]
fn escape_sequences_in_names_never_reach_the_output() {
    let mut id = peer(PEER_A, "evil\u{1b}]0;pwned\u{7}\u{1b}[2J", "");
    id["version"] = json!("1.1.6\u{1b}[31m");
    let api = cluster(None, vec![("/id", Reply::json(200, id))]);
    let home = home(config(&api.url, None), 2);
    let (entry, out, err, _) = status(home.path());
    assert_eq!(entry["vital"]["peername"], "evil");
    assert_eq!(entry["vital"]["version"], "1.1.6");
    let (_, table, table_err) = run_cli(home.path(), &["status"]);
    let (_, test_out, test_err) = run_cli(home.path(), &["backend", "test", "cluster"]);
    let kept = std::fs::read_to_string(home.path().join("metadata/stats.cluster.json")).unwrap();
    for text in [&out, &err, &table, &table_err, &test_out, &test_err, &kept] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(!text.to_ascii_lowercase().contains("\\u001b"), "{text}");
    }
}

// ---- The pulse costs the same whatever the cluster's size. ----

#[tokio::test]
async fn requests_per_pulse_do_not_grow_with_the_cluster() {
    const PULSES: usize = 3;
    let per_pulse = Kind::IpfsCluster.spec().pulse_requests() as usize;
    assert_eq!(per_pulse, 4, "/health, /id, /peers, /health/alerts");
    let small = Scale {
        pins: 500,
        peers: 5,
    };
    let large = Scale {
        pins: 50_000,
        peers: 500,
    };
    let mut counts = Vec::new();
    for scale in [small, large] {
        let api = cluster_with(None, Some(scale), overrides(vec![]));
        let config = config(&api.url, None);
        for _ in 0..PULSES {
            let m = pulse(&ctx(10), &config).await.unwrap();
            assert!(m.failed.is_empty(), "{:?}", m.failed);
            assert_eq!(m.vital["peers_up"], json!(scale.peers));
            assert_eq!(m.files, Files::default());
        }
        let requests = api.requests();
        assert_eq!(
            requests.len(),
            PULSES * per_pulse,
            "{} pins: {:?}",
            scale.pins,
            by_path(&requests)
        );
        for request in &requests {
            assert_ne!(request.path, "/pins", "a pulse lists no pins");
            assert_ne!(
                request.path, "/monitor/metrics/freespace",
                "free space is inventory"
            );
        }
        counts.push(by_path(&requests));

        // The fixture really is that big: the inventory counts it all, in the same 2 requests.
        let budget = Budget::new(Duration::from_secs(60), 100);
        let run = Kind::IpfsCluster
            .spec()
            .inventory(&ctx(10), config.as_object().unwrap(), None, &budget)
            .await
            .unwrap();
        assert!(run.failed.is_empty(), "{:?}", run.failed);
        assert!(run.complete);
        assert_eq!(run.requests, 2);
        assert_eq!(run.figures.files.count, Some(scale.pins as u64));
        assert_eq!(run.figures.vital["pins_pinned"], json!(scale.pins));
    }
    assert_eq!(
        counts[0], counts[1],
        "requests by path at 500 and at 50,000 pins"
    );
    let expected: BTreeMap<String, usize> = ["/health", "/health/alerts", "/id", "/peers"]
        .into_iter()
        .map(|path| (path.to_string(), PULSES))
        .collect();
    assert_eq!(counts[0], expected);
}

// ---- A failed auxiliary call costs only its own figures. ----

/// Two `status --json` runs on one home: all healthy, then with `fault` as the answer of `path`.
fn healthy_then_fault(path: &str, fault: Reply, timeout_secs: u64) -> (Value, Value) {
    let faults = overrides(vec![]);
    let api = cluster_with(None, None, faults.clone());
    let home = home(config(&api.url, None), timeout_secs);
    let (first, _, _, _) = status(home.path());
    assert_eq!(first["health"]["status"], "healthy", "{first}");
    assert_eq!(first["vital"], healthy_vital(), "{first}");
    faults.lock().unwrap().push((path.to_string(), fault));
    let (second, _, _, elapsed) = status(home.path());
    assert!(
        elapsed < Duration::from_secs(timeout_secs + 2),
        "{elapsed:?}"
    );
    (first, second)
}

#[test]
fn a_failed_id_keeps_the_identity_with_its_age() {
    let (first, second) = healthy_then_fault(
        "/id",
        Reply::json(
            500,
            json!({"code": 500, "message": "rpc error: peer is shutting down"}),
        ),
        2,
    );
    assert_only_fed_figures_kept(
        &first,
        &second,
        "/id failed: HTTP 500: rpc error: peer is shutting down",
        &[],
        &["version", "commit", "peername", "peer_id", "cluster_peers"],
    );
}

#[test]
fn a_failed_peers_stream_keeps_the_peer_counts_with_their_age() {
    let (first, second) = healthy_then_fault(
        "/peers",
        Reply::ndjson(
            &[peer(PEER_A, "cluster-a", "")],
            vec![(
                "X-Stream-Error".into(),
                "rpc error: context deadline exceeded".into(),
            )],
        ),
        2,
    );
    assert_only_fed_figures_kept(
        &first,
        &second,
        "/peers failed: the stream failed: rpc error: context deadline exceeded",
        &[],
        &["peers_up", "peers_down"],
    );
}

/// The fixture answers as the real IPFS Cluster 1.1.6 does, by shape: the same keys, the same
/// JSON types, as recorded in tests/golden/cluster/ (tests/integration/real_servers/golden.rs).
#[test]
fn fixture_answers_have_the_shape_of_the_real_clusters() {
    let healthy = cluster_of(None, None);
    let get = |path: &str| Request {
        method: "GET".into(),
        path: path.into(),
        query: String::new(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let mut differences = Vec::new();
    for (golden, path) in [
        ("cluster/id", "/id"),
        ("cluster/version", "/version"),
        ("cluster/peers", "/peers"),
        ("cluster/pins", "/pins"),
        ("cluster/freespace", "/monitor/metrics/freespace"),
    ] {
        let real = &support::golden(golden)["answer"];
        let real_first = real.as_array().and_then(|a| a.first()).unwrap_or(real);
        let ours = healthy.healthy(&get(path)).reply.json_documents();
        let ours_first = ours.first().expect("a JSON answer");
        let ours_first = ours_first
            .as_array()
            .and_then(|a| a.first())
            .unwrap_or(ours_first);
        for d in support::shape_differences(real_first, ours_first) {
            differences.push(format!("{path}: {d}"));
        }
    }
    // An alert as Cluster writes it, against what the fixture of a quiet peer answers.
    let real = &support::golden("cluster/health_alerts")["answer"][0];
    for d in support::shape_differences(real, &silent_peer_alert(PEER_C, "cluster-c", 60)) {
        differences.push(format!("/health/alerts: {d}"));
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// A peer that stopped, as a real CRDT cluster reports it: gone from `/peers`, named by its
/// ping alert. One that came back (in `/peers` again) is not down, though its alert stays.
#[tokio::test]
async fn a_stopped_peer_is_named_by_its_ping_alert() {
    let api = cluster(
        None,
        vec![
            (
                "/peers",
                Reply::ndjson(
                    &[peer(PEER_A, "cluster-a", ""), peer(PEER_B, "cluster-b", "")],
                    vec![],
                ),
            ),
            (
                "/health/alerts",
                Reply::json(
                    200,
                    json!([
                        silent_peer_alert(PEER_C, "cluster-c", 95),
                        silent_peer_alert(PEER_B, "cluster-b", 3600),
                    ]),
                ),
            ),
        ],
    );
    let m = pulse(&ctx(5), &config(&api.url, None)).await.unwrap();
    // Its last ping's time (95 s before the alert was made; a minute may turn meanwhile).
    let degraded = m.degraded.as_deref().unwrap();
    let since = |secs| (chrono::Local::now() - chrono::Duration::seconds(secs)).format("%H:%M");
    assert!(
        [95, 100]
            .into_iter()
            .any(|secs| degraded.starts_with(&format!(
                "1 of 3 cluster peers down: cluster-c (no ping since {}",
                since(secs)
            ))),
        "{degraded}"
    );
    assert_eq!(m.vital["peers_up"], json!(2));
    assert_eq!(m.vital["peers_down"], json!(1));
    let silent = m.nodes.iter().find(|n| n.name == "cluster-c").unwrap();
    assert!(!silent.up);
    assert_eq!(silent.id.as_deref(), Some(PEER_C));
    assert!(
        silent
            .last_seen_secs
            .is_some_and(|s| (95..100).contains(&s)),
        "{silent:?}"
    );
    assert!(m.nodes.iter().filter(|n| n.up).count() == 2);
}
