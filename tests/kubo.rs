//! The Kubo (`ipfs`) probe against an in-repo fixture that answers as a Kubo node's RPC API does
//! (shared/reference/backend-apis.md): POST only, args in the query string, 403 text on bad
//! auth, `{"Message","Code","Type":"error"}` errors, NDJSON pin streams with an
//! `X-Stream-Error` trailer. Plus the faults every probe must survive in bounded time.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use ipfs_kit_tui::backends::Kind;
use ipfs_kit_tui::probe::{self, Http, ProbeContext, ProbeError};
use ipfs_kit_tui::stats::{Files, Quota, Storage};
use serde_json::{json, Map, Value};
use support::{home_with_backend, run_cli, Fixture, Reply, Request};

const AUTH: &str = "Bearer kubo-test-token-4f9a2c";
const PEER_ID: &str = "12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf";
const REPO_SIZE: u64 = 734_003_200;
const STORAGE_MAX: u64 = 10_000_000_000;
const NUM_OBJECTS: u64 = 1520;
const RECURSIVE_PINS: usize = 5;

/// The pins the fixture node holds: 5 recursive, 2 direct, 3 indirect.
fn pin_set() -> Vec<(String, &'static str)> {
    let mut pins = Vec::new();
    for i in 0..RECURSIVE_PINS {
        pins.push((format!("bafyrecursive{i}"), "recursive"));
    }
    for i in 0..2 {
        pins.push((format!("bafydirect{i}"), "direct"));
    }
    for i in 0..3 {
        pins.push((format!("bafyindirect{i}"), "indirect"));
    }
    pins
}

/// A healthy node's answer to `cmd`, honouring the arguments the way Kubo does.
fn kubo_answer(cmd: &str, request: &Request) -> Reply {
    match cmd {
        "version" => Reply::json(
            200,
            json!({"Version": "0.32.1", "Commit": "904a5a5", "Repo": "16",
                   "System": "amd64/linux", "Golang": "go1.23.3"}),
        ),
        "id" => Reply::json(
            200,
            json!({"ID": PEER_ID, "PublicKey": "CAESIHb1Qm0tZXN0LWtleQ==",
                   "Addresses": [format!("/ip4/127.0.0.1/tcp/4001/p2p/{PEER_ID}")],
                   "AgentVersion": "kubo/0.32.1/904a5a5",
                   "Protocols": ["/ipfs/bitswap/1.2.0", "/ipfs/id/1.0.0", "/ipfs/kad/1.0.0"]}),
        ),
        "repo/stat" => {
            // size-only skips the walk over every block: NumObjects is 0 then.
            let size_only = request.query_param("size-only").as_deref() == Some("true");
            Reply::json(
                200,
                json!({"RepoSize": REPO_SIZE, "StorageMax": STORAGE_MAX,
                       "NumObjects": if size_only { 0 } else { NUM_OBJECTS },
                       "RepoPath": "/data/ipfs", "Version": "fs-repo@16"}),
            )
        }
        "stats/bw" => Reply::raw_json(
            200,
            r#"{"TotalIn":13869129,"TotalOut":8120401,"RateIn":191.88,"RateOut":13.78}"#,
        ),
        "swarm/peers" => Reply::json(
            200,
            json!({"Peers": [
                {"Addr": "/ip4/10.0.0.2/tcp/4001", "Peer": "12D3KooWA", "Latency": "", "Muxer": "", "Direction": 0, "Streams": null},
                {"Addr": "/ip4/10.0.0.3/udp/4001/quic-v1", "Peer": "12D3KooWB", "Latency": "", "Muxer": "", "Direction": 0, "Streams": null},
                {"Addr": "/ip4/10.0.0.4/tcp/4001", "Peer": "12D3KooWC", "Latency": "", "Muxer": "", "Direction": 0, "Streams": null}
            ]}),
        ),
        "pin/ls" => {
            let wanted = request.query_param("type").unwrap_or_else(|| "all".into());
            let pins: Vec<(String, &str)> = pin_set()
                .into_iter()
                .filter(|(_, kind)| wanted == "all" || *kind == wanted)
                .collect();
            if request.query_param("stream").as_deref() == Some("true") {
                let lines: Vec<Value> = pins
                    .iter()
                    .map(|(cid, kind)| json!({"Cid": cid, "Type": kind}))
                    .collect();
                Reply::ndjson(&lines, vec![]).with_header("X-Chunked-Output", "1")
            } else {
                // Without stream=true Kubo answers one object holding the whole pin set.
                let keys: Map<String, Value> = pins
                    .iter()
                    .map(|(cid, kind)| (cid.clone(), json!({"Type": kind})))
                    .collect();
                Reply::json(200, json!({"Keys": keys}))
            }
        }
        _ => Reply::text(404, "404 page not found"),
    }
}

/// A Kubo node on a free loopback port. `auth`: the Authorization value it requires
/// (API.Authorizations); `overrides`: replies that replace the healthy answer of a command.
fn kubo_node(auth: Option<&str>, overrides: Vec<(&str, Reply)>) -> Fixture {
    let auth = auth.map(str::to_string);
    let overrides: Vec<(String, Reply)> = overrides
        .into_iter()
        .map(|(cmd, reply)| (cmd.to_string(), reply))
        .collect();
    Fixture::start(move |request| {
        let Some(cmd) = request.path.strip_prefix("/api/v0/") else {
            return Reply::text(404, "404 page not found");
        };
        if request.header("origin").is_some() {
            return Reply::text(403, "403 - Forbidden");
        }
        if request.method != "POST" {
            return Reply::text(405, "405 - Method Not Allowed");
        }
        // `version` is answered even without credentials.
        if let Some(auth) = &auth {
            if cmd != "version" && request.header("authorization") != Some(auth.as_str()) {
                return Reply::text(403, "403 - Forbidden");
            }
        }
        if let Some((_, reply)) = overrides.iter().find(|(c, _)| c == cmd) {
            return reply.clone();
        }
        kubo_answer(cmd, request)
    })
}

fn config(url: &str, auth: Option<&str>) -> Value {
    let mut config = json!({"type": "ipfs", "enabled": true, "api_url": url});
    if let Some(auth) = auth {
        config["auth"] = json!(auth);
    }
    config
}

fn ctx(timeout_secs: u64) -> ProbeContext {
    ProbeContext::new(Duration::from_secs(timeout_secs)).unwrap()
}

async fn measure(
    ctx: &ProbeContext,
    config: &Value,
) -> Result<ipfs_kit_tui::stats::Measurement, ProbeError> {
    probe::measure(ctx, Kind::Ipfs, config.as_object().unwrap()).await
}

/// A home whose only backend is `kubo`, with `timeout_secs` set.
fn home(config: Value, timeout_secs: u64) -> tempfile::TempDir {
    let home = home_with_backend("kubo", config);
    let (code, out, err) = run_cli(
        home.path(),
        &["settings", "set", "timeout_secs", &timeout_secs.to_string()],
    );
    assert_eq!(code, 0, "{out}{err}");
    home
}

/// Runs `status --json`; returns the backend's entry, stdout, stderr and the time it took.
fn status(home: &Path) -> (Value, String, String, Duration) {
    let started = Instant::now();
    let (code, out, err) = run_cli(home, &["status", "--json"]);
    let elapsed = started.elapsed();
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let entry = report["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == "kubo")
        .unwrap()
        .clone();
    (entry, out, err, elapsed)
}

fn healthy_vital() -> Value {
    json!({
        "version": "0.32.1", "commit": "904a5a5",
        "peer_id": PEER_ID, "agent_version": "kubo/0.32.1/904a5a5",
        "total_in": 13869129, "total_out": 8120401, "rate_in": 191.88, "rate_out": 13.78,
        "peers": 3, "pins": RECURSIVE_PINS,
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn measure_reports_every_figure() {
    let node = kubo_node(Some(AUTH), vec![]);
    let m = measure(&ctx(5), &config(&node.url, Some(AUTH)))
        .await
        .unwrap();
    assert_eq!(m.degraded, None);
    assert_eq!(
        m.storage,
        Storage {
            total: Some(STORAGE_MAX),
            used: Some(REPO_SIZE),
            available: Some(STORAGE_MAX - REPO_SIZE),
            usage_percent: Some(7.3),
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
        }
    );
    assert_eq!(Value::Object(m.vital), healthy_vital());
}

#[tokio::test]
async fn every_call_is_a_post_with_the_auth_header_and_no_origin() {
    let node = kubo_node(Some(AUTH), vec![]);
    measure(&ctx(5), &config(&node.url, Some(AUTH)))
        .await
        .unwrap();
    let requests = node.requests();
    let mut paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/api/v0/id",
            "/api/v0/pin/ls",
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
    let repo_stat = requests
        .iter()
        .find(|r| r.path == "/api/v0/repo/stat")
        .unwrap();
    assert_eq!(
        repo_stat.query_param("size-only"),
        None,
        "measure needs NumObjects: the full stat"
    );

    // The fixture refuses a GET as Kubo does, so a probe using GET could not pass the test above.
    let http = Http::new(Duration::from_secs(5)).unwrap();
    let reply = http
        .send(http.client().get(format!("{}/api/v0/version", node.url)))
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
        json!({"total": STORAGE_MAX, "used": REPO_SIZE, "available": STORAGE_MAX - REPO_SIZE, "usage_percent": 7.3})
    );
    assert_eq!(
        entry["files"],
        json!({"count": NUM_OBJECTS, "bytes": null, "largest": null})
    );
    assert_eq!(
        entry["quota"],
        json!({"limit": STORAGE_MAX, "used": REPO_SIZE, "remaining": STORAGE_MAX - REPO_SIZE,
               "objects_limit": null, "objects_used": null})
    );
    assert_eq!(entry["vital"], healthy_vital());
    assert_eq!(entry["performance"]["request_count"], 1);

    let kept: Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join("metadata/stats.kubo.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(kept["key"], "stats.kubo");
    assert_eq!(kept["value"]["storage"], entry["storage"]);
    assert_eq!(kept["value"]["vital"], entry["vital"]);
    assert_eq!(kept["value"]["health"]["status"], "healthy");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn backend_test_passes_with_three_steps() {
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
        ["reachable: version", "authenticated: id", "read: repo/stat"]
    );
    assert!(steps.iter().all(|s| s["ok"] == true), "{report}");
    assert_eq!(steps[0]["detail"], "Kubo 0.32.1");
    assert_eq!(steps[1]["detail"], format!("peer {PEER_ID}"));
    assert!(
        steps[2]["detail"]
            .as_str()
            .unwrap()
            .contains("(StorageMax)"),
        "{report}"
    );
    // The read step is the cheap one: no walk over every block.
    let repo_stat = node
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/v0/repo/stat")
        .unwrap();
    assert_eq!(repo_stat.query_param("size-only").as_deref(), Some("true"));
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
    assert_eq!(steps.len(), 2, "{report}");
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
        json!({"total": null, "used": REPO_SIZE, "available": null, "usage_percent": null})
    );
    assert_eq!(
        entry["quota"],
        json!({"limit": null, "used": null, "remaining": null, "objects_limit": null, "objects_used": null})
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
async fn peers_null_is_a_real_zero() {
    let node = kubo_node(
        None,
        vec![("swarm/peers", Reply::raw_json(200, r#"{"Peers":null}"#))],
    );
    let m = measure(&ctx(5), &config(&node.url, None)).await.unwrap();
    assert_eq!(m.degraded, None);
    assert_eq!(m.vital["peers"], json!(0));
}

#[tokio::test]
async fn bandwidth_unavailable_is_left_out() {
    for reply in [
        // Offline: the client's fault in Kubo's terms (Code 1 → 400).
        Reply::json(
            400,
            json!({"Message": "this command must be run in online mode. Try running 'ipfs daemon' first", "Code": 1, "Type": "error"}),
        ),
        // Metrics disabled (Swarm.DisableBandwidthMetrics).
        Reply::json(
            500,
            json!({"Message": "bandwidth reporter disabled in config", "Code": 0, "Type": "error"}),
        ),
    ] {
        let node = kubo_node(None, vec![("stats/bw", reply)]);
        let m = measure(&ctx(5), &config(&node.url, None)).await.unwrap();
        assert_eq!(m.degraded, None);
        for key in ["total_in", "total_out", "rate_in", "rate_out"] {
            assert!(!m.vital.contains_key(key), "{key}: {:?}", m.vital);
        }
        assert_eq!(m.vital["peers"], json!(3));
        assert_eq!(m.vital["pins"], json!(RECURSIVE_PINS));
    }
}

#[tokio::test]
async fn an_offline_node_is_degraded_not_down() {
    let offline = json!({"Message": "this command must be run in online mode. Try running 'ipfs daemon' first", "Code": 0, "Type": "error"});
    let node = kubo_node(
        None,
        vec![
            ("swarm/peers", Reply::json(500, offline.clone())),
            ("stats/bw", Reply::json(500, offline)),
        ],
    );
    let m = measure(&ctx(5), &config(&node.url, None)).await.unwrap();
    assert_eq!(
        m.degraded.as_deref(),
        Some("the node runs offline: this command must be run in online mode. Try running 'ipfs daemon' first")
    );
    assert!(!m.vital.contains_key("peers"), "unknown, not 0");
    assert_eq!(m.storage.used, Some(REPO_SIZE));
}

#[tokio::test]
async fn stream_error_trailer_on_pin_ls_fails() {
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
    let err = measure(&ctx(5), &config(&node.url, None))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        err,
        ProbeError::Stream {
            detail: "failed to list pins: context canceled".into()
        }
    );
    // Through the binary: down, with the trailer's words, and no partial pin count.
    let home = home(config(&node.url, None), 10);
    let (entry, _, _, _) = status(home.path());
    assert_eq!(entry["health"]["status"], "down");
    assert_eq!(
        entry["health"]["message"],
        "the stream failed: failed to list pins: context canceled"
    );
    assert_eq!(entry["vital"], json!({}));
}

// ---- Faults: each fails with the right reason within timeout + 2 s. ----

#[test]
fn hang_past_the_timeout() {
    let node = kubo_node(None, vec![("version", Reply::Hang), ("id", Reply::Hang)]);
    let home = home(config(&node.url, None), 1);
    let (entry, _, _, elapsed) = status(home.path());
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(entry["health"]["status"], "down");
    assert_eq!(entry["health"]["message"], "timed out after 1 s");

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
    let body =
        json!({"ID": PEER_ID, "AgentVersion": "kubo/0.32.1", "Addresses": [], "Protocols": []})
            .to_string()
            .into_bytes();
    let node = kubo_node(
        None,
        vec![(
            "id",
            Reply::Drip {
                status: 200,
                body,
                every: Duration::from_millis(100),
            },
        )],
    );
    let started = Instant::now();
    let err = measure(&ctx(1), &config(&node.url, None))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(err, ProbeError::Timeout { secs: 1 });
    assert_eq!(err.to_string(), "timed out after 1 s");
}

#[tokio::test]
async fn body_over_the_cap_is_too_large() {
    let addresses: Vec<String> = (0..20_000)
        .map(|i| format!("/ip4/10.0.{}.{}/tcp/4001", i / 256, i % 256))
        .collect();
    let big = json!({"ID": PEER_ID, "AgentVersion": "kubo/0.32.1", "Addresses": addresses, "Protocols": []});
    let huge_line = json!({"Cid": "x".repeat(200_000), "Type": "recursive"});
    let limit = 64 * 1024;
    let ctx = ProbeContext {
        http: Http::with_limit(Duration::from_secs(5), limit).unwrap(),
        timeout: Duration::from_secs(5),
    };
    // A whole answer over the cap, and one streamed line over it.
    for (cmd, reply) in [
        ("id", Reply::json(200, big)),
        ("pin/ls", Reply::ndjson(&[huge_line], vec![])),
    ] {
        let node = kubo_node(None, vec![(cmd, reply)]);
        let started = Instant::now();
        let err = measure(&ctx, &config(&node.url, None)).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3));
        assert_eq!(err, ProbeError::TooLarge { limit_bytes: limit }, "{cmd}");
        assert_eq!(
            err.to_string(),
            format!("answer too large: more than {limit} bytes")
        );
    }
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
        let err = measure(&ctx(5), &config(&node.url, None))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3));
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
    // 403: Kubo's own answer to a wrong token.
    let node = kubo_node(Some(AUTH), vec![]);
    let started = Instant::now();
    let err = measure(&ctx(5), &config(&node.url, Some("Basic d3Jvbmc6cGFzcw==")))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        err.to_string(),
        "credentials rejected (HTTP 403): 403 - Forbidden"
    );
    assert_eq!(err.class(), "credentials");
    // 401: what a reverse proxy in front of the node answers.
    let node = kubo_node(
        None,
        vec![(
            "version",
            Reply::text(401, "401 Authorization Required")
                .with_header("WWW-Authenticate", "Basic realm=\"ipfs\""),
        )],
    );
    let err = measure(&ctx(5), &config(&node.url, None))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "credentials rejected (HTTP 401): 401 Authorization Required"
    );
}

#[test]
fn server_error_shows_kubos_message() {
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
    assert_eq!(entry["health"]["status"], "down");
    assert_eq!(
        entry["health"]["message"],
        "HTTP 500: failed to open repo: lock /data/ipfs/repo.lock: someone else has the lock"
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
    assert!(out.contains("HTTP 500: disk gone"), "{out}");

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
