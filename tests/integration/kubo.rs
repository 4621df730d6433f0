//! The Kubo (`ipfs`) probe against an in-repo fixture that answers as a Kubo node's RPC API does
//! (as its RPC documentation and a real node answer): POST only, args in the query string, 403 text on bad
//! auth, `{"Message","Code","Type":"error"}` errors, NDJSON pin streams with an
//! `X-Stream-Error` trailer. Plus the faults every probe must survive in bounded time.
//!
//! The probe is in two parts (issue 8): the *pulse* (every poll: `version`, `repo/stat` with
//! `size-only`, `stats/bw`, `swarm/peers`; only `version` failing makes the node down) and the
//! *inventory* (slow clock: `id`, `pin/ls`, the full `repo/stat`; its failures never change
//! health). `support::measure_all` is one pulse plus one inventory.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipfs_kit_tui::backends::Kind;
use ipfs_kit_tui::poll;
use ipfs_kit_tui::probe::{Budget, Cap, Http, ProbeContext, ProbeError};
use ipfs_kit_tui::stats::{Files, Measurement, Quota, QuotaSource, Storage};
use serde_json::{json, Map, Value};

use crate::support;
use crate::support::backends::kubo::{KuboNode, PinType, PEER_ID};
use crate::support::failed_call;
use crate::support::probe_ctx as ctx;
use crate::support::{
    assert_only_fed_figures_kept, backend, free_port, home_with_backend, run_cli, Fixture, Reply,
    Request,
};

const AUTH: &str = "Bearer kubo-test-token-4f9a2c";
const REPO_SIZE: u64 = 734_003_200;
const STORAGE_MAX: u64 = 10_000_000_000;
const NUM_OBJECTS: u64 = 1520;
const RECURSIVE_PINS: usize = 5;

/// How big the fixture node is: its recursive pins and its blocks (NumObjects).
#[derive(Clone, Copy)]
struct Size {
    pins: usize,
    objects: u64,
}

const HEALTHY: Size = Size {
    pins: RECURSIVE_PINS,
    objects: NUM_OBJECTS,
};

/// The fixture node of `size`: `size.pins` recursive pins, 2 direct, 3 indirect; 3 peers;
/// `auth` the Authorization value it requires (API.Authorizations).
fn node_of(size: Size, auth: Option<&str>) -> KuboNode {
    let mut pins = Vec::with_capacity(size.pins + 5);
    for i in 0..size.pins {
        pins.push((format!("bafyrecursive{i}"), PinType::Recursive));
    }
    for i in 0..2 {
        pins.push((format!("bafydirect{i}"), PinType::Direct));
    }
    for i in 0..3 {
        pins.push((format!("bafyindirect{i}"), PinType::Indirect));
    }
    let peers = [
        ("/ip4/10.0.0.2/tcp/4001", "12D3KooWA"),
        ("/ip4/10.0.0.3/udp/4001/quic-v1", "12D3KooWB"),
        ("/ip4/10.0.0.4/tcp/4001", "12D3KooWC"),
    ];
    KuboNode {
        pins,
        repo_size: REPO_SIZE,
        storage_max: STORAGE_MAX,
        objects: size.objects,
        peers: peers
            .iter()
            .map(|(addr, peer)| (addr.to_string(), peer.to_string()))
            .collect(),
        auth: auth.map(str::to_string),
        diag_healthy: false,
    }
}

/// Replies that replace the healthy answer of a command; shared with the fixture, so a test can
/// break a command between two polls.
type Overrides = Arc<Mutex<Vec<(String, Reply)>>>;

fn overrides(list: Vec<(&str, Reply)>) -> Overrides {
    Arc::new(Mutex::new(
        list.into_iter()
            .map(|(cmd, reply)| (cmd.to_string(), reply))
            .collect(),
    ))
}

/// A Kubo node of `size` on a free loopback port. `auth`: the Authorization value it requires
/// (API.Authorizations); `overrides`: replies that replace the healthy answer of a command.
fn kubo_node_with(auth: Option<&str>, size: Size, overrides: Overrides) -> Fixture {
    let node = node_of(size, auth);
    Fixture::start(move |request| {
        let replaced = |cmd: &str| {
            overrides
                .lock()
                .unwrap()
                .iter()
                .find(|(c, _)| c == cmd)
                .map(|(_, reply)| reply.clone())
        };
        node.answer(request, replaced).reply
    })
}

fn kubo_node(auth: Option<&str>, list: Vec<(&str, Reply)>) -> Fixture {
    kubo_node_with(auth, HEALTHY, overrides(list))
}

/// What a node's repo figures are of: the node, by its address.
fn repo_identity(url: &str) -> String {
    format!(
        "ipfs:{}/repo",
        url.trim_start_matches("http://").trim_end_matches('/')
    )
}

fn config(url: &str, auth: Option<&str>) -> Value {
    let mut config = json!({"type": "ipfs", "enabled": true, "api_url": url});
    if let Some(auth) = auth {
        config["auth"] = json!(auth);
    }
    config
}

/// One pulse, under the one rule for "down" (what every poll runs).
async fn pulse(ctx: &ProbeContext, config: &Value) -> Result<Measurement, ProbeError> {
    poll::pulse(ctx, Kind::Ipfs.spec(), config.as_object().unwrap()).await
}

/// One pulse and one inventory: every figure the node reports.
async fn measure_all(ctx: &ProbeContext, config: &Value) -> Result<Measurement, ProbeError> {
    support::measure_all(ctx, Kind::Ipfs, config.as_object().unwrap()).await
}

fn home(config: Value, timeout_secs: u64) -> tempfile::TempDir {
    support::home_with_timeout("kubo", config, timeout_secs)
}

fn status(home: &Path) -> (Value, String, String, Duration) {
    support::status_of(home, "kubo")
}

/// What the pulse reads.
fn pulse_vital() -> Value {
    json!({
        "version": "0.32.1", "commit": "904a5a5",
        "total_in": 13869129, "total_out": 8120401, "rate_in": 191.88, "rate_out": 13.78,
        "peers": 3,
    })
}

/// What the pulse and the inventory read together.
fn healthy_vital() -> Value {
    let mut vital = pulse_vital();
    vital["peer_id"] = json!(PEER_ID);
    vital["agent_version"] = json!("kubo/0.32.1/904a5a5");
    vital["pins"] = json!(RECURSIVE_PINS);
    // provide/stat, as the recorded real node answers it.
    vital["provide_connectivity"] = json!("offline");
    vital["provide_queue"] = json!(0);
    vital["provide_overdue_regions"] = json!(0);
    vital["provide_failed"] = json!(0);
    vital
}

/// The vital figures only the inventory reads.
const INVENTORY_VITAL: [&str; 7] = [
    "peer_id",
    "agent_version",
    "pins",
    "provide_connectivity",
    "provide_queue",
    "provide_overdue_regions",
    "provide_failed",
];

/// The requests a fixture received, by command (`repo/stat` with `size-only=true` apart).
fn by_command(requests: &[Request]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for request in requests {
        let mut name = request.path.clone();
        if request.query_param("size-only").as_deref() == Some("true") {
            name.push_str("?size-only=true");
        }
        *counts.entry(name).or_insert(0) += 1;
    }
    counts
}

#[tokio::test]
async fn measure_reports_every_figure() {
    let node = kubo_node(Some(AUTH), vec![]);
    let m = measure_all(&ctx(5), &config(&node.url, Some(AUTH)))
        .await
        .unwrap();
    assert_eq!(m.degraded, None);
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    // StorageMax is a GC threshold, not a capacity: no storage total, a quota of its kind.
    assert_eq!(
        m.storage,
        Storage {
            total: None,
            used: Some(REPO_SIZE),
            available: None,
            usage_percent: None,
            // The node's repo, as its address names it: counted once in totals.
            identity: Some(repo_identity(&node.url)),
            as_of: None,
        }
    );
    assert_eq!(
        m.files,
        Files {
            count: Some(NUM_OBJECTS),
            ..Files::default()
        }
    );
    assert_eq!(
        m.quota,
        Quota {
            limit: Some(STORAGE_MAX),
            used: Some(REPO_SIZE),
            remaining: Some(STORAGE_MAX - REPO_SIZE),
            objects_limit: None,
            objects_used: None,
            source: Some(QuotaSource::GcThreshold),
            as_of: None,
        }
    );
    assert_eq!(Value::Object(m.vital), healthy_vital());
}

#[tokio::test]
async fn the_pulse_reads_no_inventory_figure() {
    let node = kubo_node(Some(AUTH), vec![]);
    let m = pulse(&ctx(5), &config(&node.url, Some(AUTH)))
        .await
        .unwrap();
    assert_eq!(m.degraded, None);
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    assert_eq!(
        m.files,
        Files::default(),
        "files are counted by the inventory"
    );
    assert_eq!(m.storage.used, Some(REPO_SIZE));
    assert_eq!(m.quota.limit, Some(STORAGE_MAX));
    assert_eq!(Value::Object(m.vital), pulse_vital());
}

#[tokio::test]
async fn every_call_is_a_post_with_the_auth_header_and_no_origin() {
    let node = kubo_node(Some(AUTH), vec![]);
    measure_all(&ctx(5), &config(&node.url, Some(AUTH)))
        .await
        .unwrap();
    let requests = node.requests();
    let mut paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    paths.sort_unstable();
    // The pulse: version, repo/stat (size-only), stats/bw, swarm/peers; the inventory: id,
    // pin/ls, repo/stat (full).
    assert_eq!(
        paths,
        [
            "/api/v0/id",
            "/api/v0/pin/ls",
            "/api/v0/provide/stat",
            "/api/v0/repo/stat",
            "/api/v0/repo/stat",
            "/api/v0/stats/bw",
            "/api/v0/swarm/peers",
            "/api/v0/version"
        ]
    );
    for request in &requests {
        assert_eq!(request.method, "POST", "{}", request.path);
        assert_eq!(
            request.header("authorization"),
            Some(AUTH),
            "{}",
            request.path
        );
        assert!(request.header("origin").is_none(), "{}", request.path);
    }
    let pin_ls = requests
        .iter()
        .find(|r| r.path == "/api/v0/pin/ls")
        .unwrap();
    assert_eq!(pin_ls.query_param("stream").as_deref(), Some("true"));
    assert_eq!(pin_ls.query_param("type").as_deref(), Some("recursive"));
    let mut size_only: Vec<Option<String>> = requests
        .iter()
        .filter(|r| r.path == "/api/v0/repo/stat")
        .map(|r| r.query_param("size-only"))
        .collect();
    size_only.sort();
    assert_eq!(
        size_only,
        [None, Some("true".to_string())],
        "the pulse's repo/stat is size-only; the inventory's is the full one (NumObjects)"
    );

    // The fixture refuses a GET as Kubo does, so a probe using GET could not pass the test above.
    let http = Http::new(Duration::from_secs(5)).unwrap();
    let reply = http
        .send(
            http.client().get(format!("{}/api/v0/version", node.url)),
            Cap::kib("Kubo version", 64),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 405);
}

#[test]
fn status_json_reports_every_figure_and_keeps_it() {
    let node = kubo_node(Some(AUTH), vec![]);
    let home = home(config(&node.url, Some(AUTH)), 10);
    let (entry, out, err, elapsed) = status(home.path());
    println!("kubo status round: {elapsed:?}");
    assert!(
        !out.contains(AUTH) && !err.contains(AUTH),
        "the secret leaked"
    );
    assert_eq!(entry["type"], "ipfs");
    assert_eq!(entry["health"]["status"], "healthy", "{entry}");
    assert_eq!(entry["health"]["message"], Value::Null);
    assert_eq!(entry["source"], "live");
    assert_eq!(entry["stale"], false);
    assert_eq!(
        entry["storage"],
        json!({"total": null, "used": REPO_SIZE, "available": null, "usage_percent": null,
               "identity": repo_identity(&node.url)})
    );
    // The first status on a fresh home runs an inventory: the files figures come from it,
    // with its time.
    let inventory_at = entry["inventory"]["as_of"].clone();
    assert!(inventory_at.is_string(), "{entry}");
    assert_eq!(entry["inventory"]["state"], "complete", "{entry}");
    assert_eq!(
        entry["inventory"]["requests"], 4,
        "id, pin/ls, repo/stat, provide/stat"
    );
    assert_eq!(
        entry["files"],
        json!({"count": NUM_OBJECTS, "bytes": null, "largest": null, "as_of": inventory_at})
    );
    assert_eq!(
        entry["quota"],
        json!({"limit": STORAGE_MAX, "used": REPO_SIZE, "remaining": STORAGE_MAX - REPO_SIZE,
               "objects_limit": null, "objects_used": null, "source": "gc_threshold"})
    );
    assert_eq!(entry["vital"], healthy_vital());
    let inventory_times: Map<String, Value> = INVENTORY_VITAL
        .iter()
        .map(|key| (key.to_string(), inventory_at.clone()))
        .collect();
    assert_eq!(entry["vital_as_of"], Value::Object(inventory_times));
    assert_eq!(entry["performance"]["request_count"], 1);

    let kept: Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join("metadata/stats.kubo.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(kept["key"], "stats.kubo");
    assert_eq!(kept["value"]["storage"], entry["storage"]);
    assert_eq!(kept["value"]["vital"], entry["vital"]);
    assert_eq!(kept["value"]["health"]["status"], "healthy");
    assert!(
        home.path().join("metadata/inventory.kubo.json").is_file(),
        "the inventory is kept"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn backend_test_passes_with_its_steps_and_the_pulse() {
    let node = kubo_node(Some(AUTH), vec![]);
    let home = home(config(&node.url, Some(AUTH)), 10);
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "kubo", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    let steps = report["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "reachable: version",
            "authenticated: id",
            "read: repo/stat",
            "pulse: what the monitor polls"
        ]
    );
    assert!(steps.iter().all(|s| s["ok"] == true), "{report}");
    assert_eq!(steps[0]["detail"], "Kubo RPC 0.32.1");
    assert_eq!(steps[1]["detail"], format!("peer {PEER_ID}"));
    assert!(
        steps[2]["detail"]
            .as_str()
            .unwrap()
            .contains("(StorageMax)"),
        "{report}"
    );
    assert_eq!(steps[3]["detail"], "healthy: every call answered");
    // The read step and the pulse are the cheap ones: no walk over every block, no pin list.
    let requests = node.requests();
    let repo_stats: Vec<&Request> = requests
        .iter()
        .filter(|r| r.path == "/api/v0/repo/stat")
        .collect();
    assert_eq!(repo_stats.len(), 2, "the read step and the pulse");
    for repo_stat in repo_stats {
        assert_eq!(repo_stat.query_param("size-only").as_deref(), Some("true"));
    }
    assert!(
        requests.iter().all(|r| r.path != "/api/v0/pin/ls"),
        "a test lists no pins"
    );
}

#[test]
fn backend_test_fails_at_the_auth_step_with_a_wrong_token() {
    let node = kubo_node(Some(AUTH), vec![]);
    let home = home(config(&node.url, Some("Bearer not-the-token")), 10);
    let started = Instant::now();
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "kubo", "--json"]);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(code, 1, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["ok"], false);
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(
        steps.len(),
        2,
        "the test stops at the failed step: {report}"
    );
    assert_eq!(steps[0]["name"], "reachable: version");
    assert_eq!(steps[0]["ok"], true, "version needs no credentials");
    assert_eq!(steps[1]["name"], "authenticated: id");
    assert_eq!(steps[1]["ok"], false);
    assert_eq!(
        steps[1]["detail"],
        "credentials rejected (HTTP 403): 403 - Forbidden"
    );
    assert_eq!(report["error"]["class"], "credentials");
    assert!(!out.contains("not-the-token") && !err.contains("not-the-token"));
}

#[test]
fn storage_max_u64_max_is_no_limit() {
    let node = kubo_node(
        None,
        vec![(
            "repo/stat",
            Reply::raw_json(
                200,
                r#"{"RepoSize":734003200,"StorageMax":18446744073709551615,"NumObjects":1520,"RepoPath":"/data/ipfs","Version":"fs-repo@16"}"#,
            ),
        )],
    );
    let home = home(config(&node.url, None), 10);
    let (entry, _, _, _) = status(home.path());
    assert_eq!(entry["health"]["status"], "healthy", "{entry}");
    assert_eq!(
        entry["storage"],
        json!({"total": null, "used": REPO_SIZE, "available": null, "usage_percent": null,
               "identity": repo_identity(&node.url)})
    );
    // No GC threshold: no limit (and no source), but the repo size is still what it uses.
    assert_eq!(
        entry["quota"],
        json!({"limit": null, "used": REPO_SIZE, "remaining": null, "objects_limit": null, "objects_used": null})
    );
    assert_eq!(entry["vital"]["storage_max"], "no limit");
    assert_eq!(entry["files"]["count"], NUM_OBJECTS);
    // The table shows the limit as unknown (not 0, not a number): vital says "no limit".
    let (code, out, err) = run_cli(home.path(), &["status"]);
    assert_eq!(code, 0, "{out}{err}");
    let row = out.lines().find(|l| l.starts_with("kubo")).unwrap();
    let cells: Vec<&str> = row
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(cells.get(5), Some(&"?"), "quota cell of {row}");
}

#[tokio::test]
async fn every_no_limit_sentinel_is_no_limit() {
    // Go's uint64 and int64 maxima, and JavaScript's Number.MAX_SAFE_INTEGER (js-ipfs).
    for sentinel in [
        "18446744073709551615",
        "9223372036854775807",
        "9007199254740991",
    ] {
        let node = kubo_node(
            None,
            vec![(
                "repo/stat",
                Reply::raw_json(
                    200,
                    &format!(
                        r#"{{"RepoSize":{REPO_SIZE},"StorageMax":{sentinel},"NumObjects":0}}"#
                    ),
                ),
            )],
        );
        let m = pulse(&ctx(5), &config(&node.url, None)).await.unwrap();
        assert!(m.failed.is_empty(), "{sentinel}: {:?}", m.failed);
        assert_eq!(m.quota.limit, None, "{sentinel}");
        assert_eq!(m.quota.source, None, "{sentinel}");
        assert_eq!(m.quota.used, Some(REPO_SIZE), "{sentinel}");
        assert_eq!(m.storage.total, None, "{sentinel}");
        assert_eq!(m.vital["storage_max"], json!("no limit"), "{sentinel}");
    }
}

#[tokio::test]
async fn peers_null_is_a_real_zero() {
    let node = kubo_node(
        None,
        vec![("swarm/peers", Reply::raw_json(200, r#"{"Peers":null}"#))],
    );
    let m = pulse(&ctx(5), &config(&node.url, None)).await.unwrap();
    assert_eq!(m.degraded, None);
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    assert_eq!(m.vital["peers"], json!(0));
}

#[tokio::test]
async fn bandwidth_unavailable_is_left_out() {
    // (Offline, Kubo refuses it too: an_offline_node_is_degraded_not_down.)
    for reply in [
        // Metrics disabled (Swarm.DisableBandwidthMetrics).
        Reply::json(
            500,
            json!({"Message": "bandwidth reporter disabled in config", "Code": 0, "Type": "error"}),
        ),
    ] {
        let node = kubo_node(None, vec![("stats/bw", reply)]);
        let m = measure_all(&ctx(5), &config(&node.url, None))
            .await
            .unwrap();
        assert_eq!(m.degraded, None);
        assert!(
            m.failed.is_empty(),
            "not reported is not a failure: {:?}",
            m.failed
        );
        for key in ["total_in", "total_out", "rate_in", "rate_out"] {
            assert!(!m.vital.contains_key(key), "{key}: {:?}", m.vital);
        }
        assert_eq!(m.vital["peers"], json!(3));
        assert_eq!(m.vital["pins"], json!(RECURSIVE_PINS));
    }
}

#[tokio::test]
async fn an_offline_node_is_degraded_not_down() {
    // As a real Kubo 0.43.1 started with --offline answers (tests/golden/kubo/offline_*.json):
    // stats/bw 400 and swarm/peers 500, each in its own words.
    let answer = |name: &str| {
        let golden = support::golden(name);
        let status = golden["status"].as_u64().unwrap() as u16;
        Reply::json(status, golden["answer"].clone())
    };
    let node = kubo_node(
        None,
        vec![
            ("swarm/peers", answer("kubo/offline_swarm_peers")),
            ("stats/bw", answer("kubo/offline_stats_bw")),
        ],
    );
    let m = pulse(&ctx(5), &config(&node.url, None)).await.unwrap();
    assert_eq!(
        m.degraded.as_deref(),
        Some(
            "the node runs offline (stats/bw and swarm/peers refused: unable to run offline: \
             this command must be run in online mode. Try running 'ipfs daemon' first)"
        )
    );
    assert!(
        m.failed.is_empty(),
        "offline is not a failed call: {:?}",
        m.failed
    );
    assert!(!m.vital.contains_key("peers"), "unknown, not 0");
    assert_eq!(m.storage.used, Some(REPO_SIZE));
}

#[tokio::test]
async fn stream_error_trailer_on_pin_ls_fails_the_inventory_only() {
    let lines = [
        json!({"Cid": "bafyrecursive0", "Type": "recursive"}),
        json!({"Cid": "bafyrecursive1", "Type": "recursive"}),
    ];
    let node = kubo_node(
        None,
        vec![(
            "pin/ls",
            Reply::ndjson(
                &lines,
                vec![(
                    "X-Stream-Error".into(),
                    "failed to list pins: context canceled".into(),
                )],
            )
            .with_header("X-Chunked-Output", "1"),
        )],
    );
    let started = Instant::now();
    // pin/ls is inventory (it grows with the node): its failure is the inventory's, and the
    // pulse stays healthy.
    let m = measure_all(&ctx(5), &config(&node.url, None))
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(m.degraded, None);
    assert_eq!(m.failed.len(), 1, "{:?}", m.failed);
    assert_eq!(m.failed[0].call, "pin/ls");
    assert_eq!(
        m.failed[0].error,
        ProbeError::Stream {
            detail: "failed to list pins: context canceled".into()
        }
    );
    assert!(
        !m.vital.contains_key("pins"),
        "no partial pin count: {:?}",
        m.vital
    );
    assert_eq!(m.files.count, Some(NUM_OBJECTS), "repo/stat still counted");

    // Through the binary: healthy, with the trailer's words in the inventory's record, and no
    // partial pin count.
    let home = home(config(&node.url, None), 10);
    let (entry, _, _, _) = status(home.path());
    assert_eq!(entry["health"]["status"], "healthy", "{entry}");
    assert_eq!(entry["health"]["message"], Value::Null);
    assert_eq!(
        entry["inventory"]["message"],
        "pin/ls failed: the stream failed: failed to list pins: context canceled"
    );
    assert_eq!(entry["vital"].get("pins"), None, "{entry}");
    assert_eq!(entry["vital"]["peers"], 3);
    assert_eq!(entry["storage"]["used"], REPO_SIZE);
}

// ---- Faults: each fails with the right reason within timeout + 2 s. ----

#[test]
fn hang_past_the_timeout() {
    let node = kubo_node(None, vec![("version", Reply::Hang), ("id", Reply::Hang)]);
    let home = home(config(&node.url, None), 1);
    let (entry, _, _, elapsed) = status(home.path());
    assert_eq!(entry["health"]["status"], "down", "{entry}");
    assert_eq!(entry["health"]["message"], "timed out after 1 s");
    // The first status on a fresh home runs an inventory too (and `id` hangs there as well):
    // still bounded by the timeout, not by the inventory's budget.
    assert!(
        elapsed < Duration::from_secs(3),
        "status on a hung node must answer within timeout_secs (1 s) + 2 s, even the first \
         one on a fresh home (which also runs an inventory): it took {elapsed:?}"
    );

    let started = Instant::now();
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "kubo", "--json"]);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(code, 1, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["steps"][0]["name"], "reachable: version");
    assert_eq!(report["steps"][0]["detail"], "timed out after 1 s");
    assert_eq!(report["error"]["class"], "timeout");
}

#[tokio::test]
async fn drip_feed_past_the_timeout() {
    let body = json!({"Version": "0.32.1", "Commit": "904a5a5", "Repo": "16",
                      "System": "amd64/linux", "Golang": "go1.23.3"})
    .to_string()
    .into_bytes();
    let node = kubo_node(
        None,
        vec![(
            "version",
            Reply::Drip {
                status: 200,
                body,
                every: Duration::from_millis(100),
            },
        )],
    );
    let started = Instant::now();
    let err = pulse(&ctx(1), &config(&node.url, None)).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(err, ProbeError::Timeout { secs: 1 });
    assert_eq!(err.to_string(), "timed out after 1 s");
    // A timeout already took the poll's time: not retried.
    let versions = node
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v0/version")
        .count();
    assert_eq!(versions, 1);
}

fn too_large(call: &str, limit_bytes: u64, per_line: bool) -> ProbeError {
    ProbeError::TooLarge {
        call: call.into(),
        limit_bytes,
        per_line,
    }
}

#[tokio::test]
async fn an_answer_over_its_call_cap_is_too_large() {
    const KIB: u64 = 1024;
    let addresses: Vec<String> = (0..20_000)
        .map(|i| format!("/ip4/10.0.{}.{}/tcp/4001", i / 256, i % 256))
        .collect();
    let big_id = json!({"ID": PEER_ID, "AgentVersion": "kubo/0.32.1", "Addresses": addresses, "Protocols": []});
    let big_version = json!({"Version": "0.32.1", "Commit": "x".repeat(100_000)});
    // ~150 bytes a peer, as Kubo lists them: 40,000 are over the 4 MiB of swarm/peers.
    let peers = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| {
                json!({"Addr": format!("/ip4/10.1.{}.{}/udp/4001/quic-v1", i / 256 % 256, i % 256),
                            "Peer": format!("12D3KooW{i:044}"), "Latency": "", "Muxer": "",
                            "Direction": 0, "Streams": null})
            })
            .collect()
    };
    let huge_line = json!({"Cid": "x".repeat(5_000), "Type": "recursive"});
    let ctx = ctx(5);
    // The liveness call over its cap: down at once, not read twice more.
    let node = kubo_node(None, vec![("version", Reply::json(200, big_version))]);
    let started = Instant::now();
    let err = measure_all(&ctx, &config(&node.url, None))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(err, too_large("Kubo version", 64 * KIB, false), "version");
    assert_eq!(
        err.to_string(),
        "answer too large: Kubo version sent more than 64 KiB (its cap)"
    );
    let versions = node
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v0/version")
        .count();
    assert_eq!(versions, 1);
    // Any other whole answer over its cap, and one streamed line over it: that call failed.
    for (cmd, reply, error) in [
        (
            "swarm/peers",
            Reply::json(200, json!({"Peers": peers(40_000)})),
            too_large("Kubo swarm/peers", 4096 * KIB, false),
        ),
        (
            "id",
            Reply::json(200, big_id),
            too_large("Kubo id", 64 * KIB, false),
        ),
        (
            "pin/ls",
            Reply::ndjson(&[huge_line], vec![]),
            too_large("Kubo pin/ls", 4 * KIB, true),
        ),
    ] {
        let node = kubo_node(None, vec![(cmd, reply)]);
        let started = Instant::now();
        let m = measure_all(&ctx, &config(&node.url, None)).await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(m.failed.len(), 1, "{cmd}: {:?}", m.failed);
        assert_eq!(failed_call(&m, cmd), error, "{cmd}");
        assert_eq!(m.storage.used, Some(REPO_SIZE), "{cmd}: the rest is read");
    }
    // The peer list is counted as it streams, not held: without a Content-Length, reading
    // stops at its cap; an answer that is not the list stops at its first byte.
    let mut chunks = vec![b"{\"Peers\":[".to_vec()];
    chunks.extend(peers(40_000).iter().map(|p| format!("{p},").into_bytes()));
    for (reply, error) in [
        (
            Reply::Chunked {
                status: 200,
                headers: vec![],
                chunks,
                trailers: vec![],
            },
            too_large("Kubo swarm/peers", 4096 * KIB, false),
        ),
        (
            Reply::endless(200, b"<html>"),
            ProbeError::unparsable("Kubo swarm/peers", "not a JSON object"),
        ),
    ] {
        let node = kubo_node(None, vec![("swarm/peers", reply)]);
        let m = measure_all(&ctx, &config(&node.url, None)).await.unwrap();
        assert_eq!(failed_call(&m, "swarm/peers"), error);
    }
    // Under its cap, a node with many peers is counted.
    let node = kubo_node(
        None,
        vec![(
            "swarm/peers",
            Reply::json(200, json!({"Peers": peers(20_000)})),
        )],
    );
    let m = measure_all(&ctx, &config(&node.url, None)).await.unwrap();
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    assert_eq!(m.vital["peers"], json!(20_000));
}

#[tokio::test]
async fn malformed_json_is_unparsable() {
    for (cmd, reply, what) in [
        (
            "repo/stat",
            Reply::raw_json(200, r#"{"RepoSize": 734003200, "StorageMax""#),
            "Kubo repo/stat",
        ),
        (
            "repo/stat",
            Reply::raw_json(200, r#"{"RepoSize": -1, "StorageMax": 10}"#),
            "Kubo repo/stat",
        ),
        (
            "repo/stat",
            Reply::raw_json(200, r#"{"RepoSize": "lots", "StorageMax": 10}"#),
            "Kubo repo/stat",
        ),
        (
            "version",
            Reply::text(200, "<html>proxy</html>"),
            "Kubo version",
        ),
        (
            "pin/ls",
            Reply::Chunked {
                status: 200,
                headers: vec![("Trailer".into(), "X-Stream-Error".into())],
                chunks: vec![b"{\"Cid\":\"bafy1\",\"Type\":\"recursive\"}\n{\"Cid\":".to_vec()],
                trailers: vec![],
            },
            "Kubo pin/ls",
        ),
    ] {
        let node = kubo_node(None, vec![(cmd, reply)]);
        let started = Instant::now();
        let result = measure_all(&ctx(5), &config(&node.url, None)).await;
        // An unparsable liveness answer is retried (0.5 s, then 1 s) before the node is down.
        assert!(started.elapsed() < Duration::from_secs(3));
        let err = if cmd == "version" {
            result.unwrap_err()
        } else {
            let m = result.unwrap();
            assert_eq!(m.degraded, None, "{cmd}");
            failed_call(&m, cmd)
        };
        assert_eq!(err.class(), "unparsable", "{cmd}: {err}");
        assert!(
            err.to_string()
                .starts_with(&format!("unparsable answer from {what}: ")),
            "{err}"
        );
    }
}

#[tokio::test]
async fn rejected_credentials_401_and_403() {
    // 403: Kubo's own answer to a wrong token. `version` needs none, so the node answers; every
    // other call is refused, and rejected credentials make it down whichever call it was.
    let node = kubo_node(Some(AUTH), vec![]);
    let started = Instant::now();
    let err = pulse(&ctx(5), &config(&node.url, Some("Basic d3Jvbmc6cGFzcw==")))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        err.to_string(),
        "credentials rejected (HTTP 403): repo/stat: 403 - Forbidden"
    );
    assert_eq!(err.class(), "credentials");
    // Not retried: retrying cannot mend credentials.
    let versions = node
        .requests()
        .iter()
        .filter(|r| r.path == "/api/v0/version")
        .count();
    assert_eq!(versions, 1);

    // 401 on one auxiliary call only (a proxy guarding that path, a token scoped to fewer
    // commands) while the reads answer: degraded, not down, the call named; the monitor raises
    // a credentials alert from its failure class.
    let node = kubo_node(
        None,
        vec![(
            "swarm/peers",
            Reply::text(401, "401 Authorization Required")
                .with_header("WWW-Authenticate", "Basic realm=\"ipfs\""),
        )],
    );
    let m = pulse(&ctx(5), &config(&node.url, None)).await.unwrap();
    let refused = failed_call(&m, "swarm/peers");
    assert_eq!(
        refused.to_string(),
        "credentials rejected (HTTP 401): 401 Authorization Required"
    );
    assert_eq!(refused.class(), "credentials");
    assert_eq!(m.storage.used, Some(REPO_SIZE), "the reads still answer");

    // 401: what a reverse proxy in front of the node answers.
    let node = kubo_node(
        None,
        vec![(
            "version",
            Reply::text(401, "401 Authorization Required")
                .with_header("WWW-Authenticate", "Basic realm=\"ipfs\""),
        )],
    );
    let err = pulse(&ctx(5), &config(&node.url, None)).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "credentials rejected (HTTP 401): 401 Authorization Required"
    );
}

#[test]
fn server_error_shows_kubos_message() {
    // repo/stat is not the liveness call: a 500 there makes the node degraded, naming the call;
    // the figures it feeds were never known, so they are null; the rest is live.
    let node = kubo_node(
        None,
        vec![(
            "repo/stat",
            Reply::json(
                500,
                json!({"Message": "failed to open repo: lock /data/ipfs/repo.lock: someone else has the lock", "Code": 0, "Type": "error"}),
            ),
        )],
    );
    let home = home(config(&node.url, None), 1);
    let (entry, _, _, elapsed) = status(home.path());
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(entry["health"]["status"], "degraded", "{entry}");
    assert_eq!(
        entry["health"]["message"],
        "repo/stat failed: HTTP 500: failed to open repo: lock /data/ipfs/repo.lock: someone else has the lock"
    );
    assert_eq!(
        entry["storage"],
        json!({"total": null, "used": null, "available": null, "usage_percent": null})
    );
    assert_eq!(entry["quota"]["limit"], Value::Null);
    assert_eq!(entry["vital"]["version"], "0.32.1");
    assert_eq!(entry["vital"]["peers"], 3);
    assert_eq!(entry["vital"]["total_in"], 13869129);
    // The inventory's full repo/stat failed too: its record says so.
    assert_eq!(
        entry["inventory"]["message"],
        "repo/stat failed: HTTP 500: failed to open repo: lock /data/ipfs/repo.lock: someone else has the lock"
    );
}

#[test]
fn connection_refused_names_the_address() {
    let port = free_port();
    let home = home(config(&format!("http://127.0.0.1:{port}"), None), 1);
    let (entry, _, _, elapsed) = status(home.path());
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(entry["health"]["status"], "down");
    assert_eq!(
        entry["health"]["message"],
        format!("connection refused by 127.0.0.1:{port}")
    );
    let started = Instant::now();
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "kubo", "--json"]);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(code, 1, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["steps"][0]["name"], "reachable: version");
    assert_eq!(report["error"]["class"], "refused");
}

/// A node whose `version` answers `failures` times with 503 before answering, counting them.
fn flaky_node(failures: usize) -> (Fixture, Arc<AtomicUsize>) {
    let versions = Arc::new(AtomicUsize::new(0));
    let seen = versions.clone();
    let healthy = node_of(HEALTHY, None);
    let node = Fixture::start(move |request| {
        let cmd = request.path.trim_start_matches("/api/v0/");
        if cmd == "version" && seen.fetch_add(1, Ordering::SeqCst) < failures {
            return Reply::json(
                503,
                json!({"Message": "node is starting", "Code": 0, "Type": "error"}),
            );
        }
        healthy.command(cmd, request).reply
    });
    (node, versions)
}

#[tokio::test]
async fn a_transient_liveness_failure_is_retried_within_the_poll() {
    // Once: the second attempt (after 0.5 s) answers, and the node is healthy.
    let (node, versions) = flaky_node(1);
    let started = Instant::now();
    let m = pulse(&ctx(5), &config(&node.url, None)).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert_eq!(versions.load(Ordering::SeqCst), 2);
    assert_eq!(m.degraded, None);
    assert!(m.failed.is_empty(), "{:?}", m.failed);

    // Always: three attempts (0.5 s and 1 s apart), then down at once with the reason.
    let (node, versions) = flaky_node(usize::MAX);
    let started = Instant::now();
    let err = pulse(&ctx(5), &config(&node.url, None)).await.unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(versions.load(Ordering::SeqCst), 3);
    assert!(
        elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_secs(4),
        "{elapsed:?}"
    );
    assert_eq!(err.to_string(), "HTTP 503: node is starting");

    // No time left for a retry within timeout_secs: one attempt only.
    let (node, versions) = flaky_node(usize::MAX);
    pulse(&ctx(1), &config(&node.url, None)).await.unwrap_err();
    assert_eq!(
        versions.load(Ordering::SeqCst),
        2,
        "a 0.5 s pause fits in 1 s; the 1 s pause after it does not"
    );
}

/// No ESC or BEL byte, raw or JSON-escaped.
fn assert_no_escapes(label: &str, text: &str) {
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{label} carries a control byte: {text:?}"
    );
    let lower = text.to_ascii_lowercase();
    assert!(
        !lower.contains("\\u001b") && !lower.contains("\\u0007"),
        "{label} carries an escaped control byte: {text}"
    );
}

#[test]
fn escape_sequences_never_reach_the_output() {
    let evil = kubo_node(
        None,
        vec![
            (
                "version",
                Reply::json(
                    200,
                    json!({"Version": "0.32.1\u{1b}[31m", "Commit": "\u{1b}c904a5a5", "Repo": "16", "System": "x", "Golang": "go"}),
                ),
            ),
            (
                "id",
                Reply::json(
                    200,
                    json!({"ID": format!("{PEER_ID}\u{7}"), "AgentVersion": "kubo\u{1b}]0;pwned\u{7}\u{1b}[2J",
                           "Addresses": [], "Protocols": []}),
                ),
            ),
        ],
    );
    // A second node whose error message carries the sequences (raw bytes in a text body).
    let failing = kubo_node(
        None,
        vec![(
            "repo/stat",
            Reply::text(500, "disk gone\u{1b}[2J\u{1b}]0;pwned\u{7}\u{1b}[H"),
        )],
    );
    let home = home(config(&evil.url, None), 2);
    let store = ipfs_kit_tui::store::Store::open(home.path()).unwrap().0;
    store
        .create_backend(
            "kubo-failing",
            config(&failing.url, None).as_object().unwrap().clone(),
        )
        .unwrap();

    let started = Instant::now();
    let (entry, out, err, _) = status(home.path());
    assert_eq!(entry["health"]["status"], "healthy", "{entry}");
    assert_eq!(entry["vital"]["agent_version"], "kubo");
    assert_eq!(entry["vital"]["version"], "0.32.1");
    assert_eq!(entry["vital"]["commit"], "904a5a5");
    assert_eq!(entry["vital"]["peer_id"], PEER_ID);
    assert_no_escapes("status --json stdout", &out);
    assert_no_escapes("status --json stderr", &err);
    assert!(
        out.contains("repo/stat failed: HTTP 500: disk gone"),
        "{out}"
    );

    let (code, out, err) = run_cli(home.path(), &["status"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_no_escapes("status stdout", &out);
    assert_no_escapes("status stderr", &err);

    for id in ["kubo", "kubo-failing"] {
        let (_, out, err) = run_cli(home.path(), &["backend", "test", id]);
        assert_no_escapes("backend test stdout", &out);
        assert_no_escapes("backend test stderr", &err);
    }
    for entry in std::fs::read_dir(home.path().join("metadata")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_no_escapes(&path.display().to_string(), &text);
    }
    assert!(started.elapsed() < Duration::from_secs(10));
}

// ---- The pulse costs the same whatever the node's size. ----

#[tokio::test]
async fn requests_per_pulse_do_not_grow_with_the_node() {
    const PULSES: usize = 3;
    let per_pulse = Kind::Ipfs.spec().pulse_requests() as usize;
    assert_eq!(
        per_pulse, 4,
        "version, repo/stat?size-only, stats/bw, swarm/peers"
    );
    let small = Size {
        pins: 1_000,
        objects: 3_100,
    };
    let large = Size {
        pins: 100_000,
        objects: 310_000,
    };
    let mut counts = Vec::new();
    for size in [small, large] {
        let node = kubo_node_with(None, size, overrides(vec![]));
        let config = config(&node.url, None);
        for _ in 0..PULSES {
            let m = pulse(&ctx(10), &config).await.unwrap();
            assert!(m.failed.is_empty(), "{:?}", m.failed);
            assert_eq!(m.files, Files::default());
            assert!(!m.vital.contains_key("pins"), "{:?}", m.vital);
        }
        let requests = node.requests();
        assert_eq!(
            requests.len(),
            PULSES * per_pulse,
            "{} pins: {:?}",
            size.pins,
            by_command(&requests)
        );
        for request in &requests {
            assert_ne!(request.path, "/api/v0/pin/ls", "a pulse lists no pins");
            assert_ne!(request.path, "/api/v0/id", "the peer ID is inventory");
            if request.path == "/api/v0/repo/stat" {
                assert_eq!(
                    request.query_param("size-only").as_deref(),
                    Some("true"),
                    "a pulse never walks the blocks"
                );
            }
        }
        counts.push(by_command(&requests));

        // The fixture really is that big: the inventory counts it all, in the same 4 requests.
        let budget = Budget::new(Duration::from_secs(60), 100);
        let run = Kind::Ipfs
            .spec()
            .inventory(&ctx(10), config.as_object().unwrap(), None, &budget)
            .await
            .unwrap();
        assert!(run.failed.is_empty(), "{:?}", run.failed);
        assert!(run.complete);
        assert_eq!(run.requests, 4);
        assert_eq!(run.figures.vital["pins"], json!(size.pins));
        assert_eq!(run.figures.files.count, Some(size.objects));
    }
    assert_eq!(
        counts[0], counts[1],
        "requests by command at 1,000 and at 100,000 pins"
    );
    let expected: BTreeMap<String, usize> = [
        "/api/v0/version",
        "/api/v0/repo/stat?size-only=true",
        "/api/v0/stats/bw",
        "/api/v0/swarm/peers",
    ]
    .into_iter()
    .map(|cmd| (cmd.to_string(), PULSES))
    .collect();
    assert_eq!(counts[0], expected);
}

// ---- A failed auxiliary call costs only its own figures. ----

/// Two `status --json` runs on one home: all healthy, then with `fault` as the answer of `cmd`.
fn healthy_then_fault(cmd: &str, fault: Reply, timeout_secs: u64) -> (Value, Value) {
    let faults = overrides(vec![]);
    let node = kubo_node_with(None, HEALTHY, faults.clone());
    let home = home(config(&node.url, None), timeout_secs);
    let (first, _, _, _) = status(home.path());
    assert_eq!(first["health"]["status"], "healthy", "{first}");
    assert_eq!(first["vital"], healthy_vital(), "{first}");
    faults.lock().unwrap().push((cmd.to_string(), fault));
    let (second, _, _, elapsed) = status(home.path());
    assert!(
        elapsed < Duration::from_secs(timeout_secs + 2),
        "{elapsed:?}"
    );
    (first, second)
}

#[test]
fn a_failed_repo_stat_keeps_storage_and_quota_with_their_age() {
    let (first, second) = healthy_then_fault(
        "repo/stat",
        Reply::json(
            500,
            json!({"Message": "failed to open repo: lock /data/ipfs/repo.lock: someone else has the lock", "Code": 0, "Type": "error"}),
        ),
        2,
    );
    assert_eq!(first["storage"]["used"], REPO_SIZE);
    assert_eq!(first["quota"]["limit"], STORAGE_MAX);
    assert_only_fed_figures_kept(
        &first,
        &second,
        "repo/stat failed: HTTP 500: failed to open repo: lock /data/ipfs/repo.lock: someone else has the lock",
        &["storage", "quota"],
        &[],
    );
}

#[test]
fn a_failed_stats_bw_keeps_the_bandwidth_with_its_age() {
    // 400/500 mean "not reported"; a bad gateway is a failure.
    let (first, second) = healthy_then_fault("stats/bw", Reply::text(502, "502 Bad Gateway"), 2);
    assert_only_fed_figures_kept(
        &first,
        &second,
        "stats/bw failed: HTTP 502: 502 Bad Gateway",
        &[],
        &["total_in", "total_out", "rate_in", "rate_out"],
    );
}

#[test]
fn a_hung_swarm_peers_keeps_the_peer_count_with_its_age() {
    let (first, second) = healthy_then_fault("swarm/peers", Reply::Hang, 2);
    assert_only_fed_figures_kept(
        &first,
        &second,
        "swarm/peers failed: timed out after 2 s",
        &[],
        &["peers"],
    );
}

// ---- What other servers of the Kubo RPC API send. ----

#[tokio::test]
async fn an_older_node_answering_pin_ls_in_one_object_is_counted() {
    // No streaming: the whole pin set in one `{"Keys":{...}}` object.
    let node = kubo_node(
        None,
        vec![(
            "pin/ls",
            Reply::json(
                200,
                json!({"Keys": {"Qm1": {"Type": "recursive"}, "Qm2": {"Type": "recursive"},
                                "Qm3": {"Type": "recursive"}}}),
            ),
        )],
    );
    let m = measure_all(&ctx(5), &config(&node.url, None))
        .await
        .unwrap();
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    assert_eq!(m.vital["pins"], json!(3));
}

#[tokio::test]
async fn numbers_sent_as_strings_are_read() {
    // As js-ipfs answers: every count a decimal string, StorageMax 2^53-1 (no limit).
    let node = kubo_node(
        None,
        vec![
            (
                "repo/stat",
                Reply::raw_json(
                    200,
                    r#"{"RepoSize":"1636","StorageMax":"9007199254740991","NumObjects":"12","RepoPath":"/root/.jsipfs","Version":"12"}"#,
                ),
            ),
            (
                "stats/bw",
                Reply::raw_json(
                    200,
                    r#"{"TotalIn":"0","TotalOut":"2048","RateIn":"1.5","RateOut":"0"}"#,
                ),
            ),
        ],
    );
    let m = measure_all(&ctx(5), &config(&node.url, None))
        .await
        .unwrap();
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    assert_eq!(m.degraded, None);
    assert_eq!(
        m.storage,
        Storage::new(None, Some(1636), None).with_identity(repo_identity(&node.url))
    );
    assert_eq!(
        m.quota,
        Quota::bytes(None, Some(1636), QuotaSource::GcThreshold)
    );
    assert_eq!(m.quota.source, None, "no limit, no source");
    assert_eq!(m.vital["storage_max"], json!("no limit"));
    assert_eq!(m.files.count, Some(12));
    assert_eq!(m.vital["total_in"], json!(0));
    assert_eq!(m.vital["total_out"], json!(2048));
    assert_eq!(m.vital["rate_in"], json!(1.5));
    assert_eq!(m.vital["rate_out"], json!(0.0));
}

#[tokio::test]
async fn commands_a_server_does_not_offer_are_not_reported() {
    // js-ipfs has no diag/healthy; an older or stripped-down server no stats/bw or swarm/peers.
    for (cmd, status) in [
        ("stats/bw", 404),
        ("stats/bw", 405),
        ("stats/bw", 501),
        ("swarm/peers", 404),
        ("swarm/peers", 405),
    ] {
        let node = kubo_node(
            None,
            vec![
                ("diag/healthy", Reply::text(404, "404 page not found")),
                (cmd, Reply::text(status, "no such command")),
            ],
        );
        let m = pulse(&ctx(5), &config(&node.url, None)).await.unwrap();
        assert_eq!(m.degraded, None, "{cmd} {status}");
        assert!(m.failed.is_empty(), "{cmd} {status}: {:?}", m.failed);
        let absent: &[&str] = if cmd == "stats/bw" {
            &["total_in", "total_out", "rate_in", "rate_out"]
        } else {
            &["peers"]
        };
        for key in absent {
            assert!(!m.vital.contains_key(*key), "{cmd} {status}: {:?}", m.vital);
        }
        assert_eq!(m.vital["version"], json!("0.32.1"));
        assert_eq!(m.storage.used, Some(REPO_SIZE));
    }
    // Through the binary: healthy, the figures absent (null), not 0.
    let node = kubo_node(
        None,
        vec![
            ("diag/healthy", Reply::text(404, "404 page not found")),
            ("stats/bw", Reply::text(404, "404 page not found")),
        ],
    );
    let home = home(config(&node.url, None), 5);
    let (entry, _, _, _) = status(home.path());
    assert_eq!(entry["health"]["status"], "healthy", "{entry}");
    assert_eq!(entry["health"]["message"], Value::Null);
    assert_eq!(entry["vital"].get("total_in"), None, "{entry}");
    assert_eq!(entry["vital"]["peers"], 3);
}

/// The fixture answers as the real Kubo 0.43.1 does, by shape: the same keys, the same JSON
/// types, as recorded in tests/golden/kubo/ (tests/integration/real_servers/golden.rs).
#[test]
fn fixture_answers_have_the_shape_of_real_kubos() {
    let request = |query: &str| Request {
        method: "POST".into(),
        path: String::new(),
        query: query.into(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let healthy = node_of(HEALTHY, None);
    let mut differences = Vec::new();
    for (golden, cmd, query) in [
        ("kubo/version", "version", ""),
        ("kubo/id", "id", ""),
        ("kubo/repo_stat_size_only", "repo/stat", "size-only=true"),
        ("kubo/repo_stat", "repo/stat", ""),
        ("kubo/stats_bw", "stats/bw", ""),
        ("kubo/swarm_peers", "swarm/peers", ""),
        ("kubo/pin_ls_stream", "pin/ls", "stream=true&type=recursive"),
        ("kubo/provide_stat", "provide/stat", ""),
    ] {
        let real = &support::golden(golden)["answer"];
        let real = real.as_array().and_then(|a| a.first()).unwrap_or(real);
        let ours = healthy.command(cmd, &request(query)).reply.json_documents();
        let ours = ours
            .first()
            .unwrap_or_else(|| panic!("the fixture has no JSON answer to {cmd}"));
        for d in support::shape_differences(real, ours) {
            differences.push(format!("{cmd}: {d}"));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// Kubo's sweep provider with regions overdue for reprovide (its own sign of falling behind,
/// docs/provide-stats.md): the node is degraded in those words, with the count's time; the
/// recorded real answer, with the queue changed.
#[test]
fn a_node_whose_providing_falls_behind_is_degraded() {
    let mut stat = support::golden("kubo/provide_stat")["answer"].clone();
    stat["Sweep"]["queues"]["pending_region_reprovides"] = json!(7);
    stat["Sweep"]["schedule"]["keys"] = json!(120_000);
    let node = kubo_node(None, vec![("provide/stat", Reply::json(200, stat))]);
    let home = home_with_backend("kubo", config(&node.url, None));
    let (code, out, err) = run_cli(home.path(), &["status", "--json"]);
    assert_eq!(code, 0, "degraded is not down: {out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let entry = backend(&report, "kubo");
    assert_eq!(entry["health"]["status"], "degraded", "{entry:#}");
    let message = entry["health"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "providing is falling behind: 7 keyspace regions missed their scheduled reprovide \
             time (120000 CIDs scheduled) (counted "
        ),
        "{message}"
    );
    assert_eq!(entry["vital"]["provide_overdue_regions"], json!(7));
}
