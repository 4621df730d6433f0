//! The `filecoin` probe against an in-repo fixture of the Lotus JSON-RPC API, answering with the
//! shapes recorded in ../shared/reference/backend-apis.md: `Filecoin.Version`,
//! `Filecoin.ChainHead`, `Filecoin.WalletBalance` (attoFIL as a decimal string), JSON-RPC error
//! objects, `/health/livez`; a wrong token gets HTTP 401, no token reads anonymously.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ipfs_kit_tui::backends::Kind;
use ipfs_kit_tui::probe::{self, ProbeContext, ProbeError};
use serde_json::{json, Value};
use support::{home_with_backend, run_cli, Fixture, Reply, Request};

const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.fixture-lotus-token.never-printed";
const WALLET: &str = "f1abjxfbp274xpdqcpuaykwkfb43omjotacm2p3za";
const HEIGHT: i64 = 4_123_456;
/// More attoFIL than a u64 holds (u64::MAX is about 1.8e19).
const BIG_BALANCE: &str = "123456789012345678901234567890";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// What the fixture node answers.
#[derive(Clone)]
struct Lotus {
    version: Value,
    /// Seconds the head block is behind the wall clock.
    head_age_secs: u64,
    /// The WalletBalance result (or error object, when `balance_error` is set).
    balance: Value,
    balance_error: Option<Value>,
    /// Status of GET /health/livez (404: an older node).
    livez: u16,
}

fn lotus() -> Lotus {
    Lotus {
        version: json!({"Version": "1.28.1+mainnet+git.2d5a7c9", "APIVersion": 131840,
                        "BlockDelay": 30, "Agent": "lotus"}),
        head_age_secs: 45,
        balance: json!(BIG_BALANCE),
        balance_error: None,
        livez: 200,
    }
}

fn rpc_result(id: &Value, result: Value) -> Reply {
    Reply::json(200, json!({"jsonrpc": "2.0", "result": result, "id": id}))
}

fn rpc_error(id: &Value, code: i64, message: &str) -> Reply {
    Reply::json(
        200,
        json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}),
    )
}

impl Lotus {
    fn answer(&self, request: &Request) -> Reply {
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/health/livez") => match self.livez {
                404 => Reply::text(404, "404 page not found\n"),
                status => Reply::text(status, ""),
            },
            ("POST", "/rpc/v1") => self.rpc(request),
            _ => Reply::text(404, "404 page not found\n"),
        }
    }

    fn rpc(&self, request: &Request) -> Reply {
        // Lotus verifies a token when one is sent (401, empty body, when it fails); without
        // one, read methods are allowed.
        if let Some(auth) = request.header("authorization") {
            if auth != format!("Bearer {TOKEN}") {
                return Reply::empty(401);
            }
        }
        let body = request.json_body();
        let id = body["id"].clone();
        if body["jsonrpc"] != "2.0" {
            return rpc_error(&id, -32600, "invalid request");
        }
        let params = body["params"].as_array().cloned().unwrap_or_default();
        match body["method"].as_str().unwrap_or("") {
            "Filecoin.Version" => rpc_result(&id, self.version.clone()),
            "Filecoin.ChainHead" => {
                let stamp = now() - self.head_age_secs;
                let block = |miner: &str| {
                    json!({"Miner": miner, "Ticket": {"VRFProof": "kQ=="}, "Parents": [{"/": "bafy2bzaceparent"}],
                           "ParentWeight": "98765432109", "Height": HEIGHT, "Timestamp": stamp,
                           "ParentBaseFee": "100", "ForkSignaling": 0})
                };
                rpc_result(
                    &id,
                    json!({"Cids": [{"/": "bafy2bzacea"}, {"/": "bafy2bzaceb"}],
                           "Blocks": [block("f01234"), block("f05678")], "Height": HEIGHT}),
                )
            }
            "Filecoin.WalletBalance" => {
                if let Some(error) = &self.balance_error {
                    return Reply::json(200, json!({"jsonrpc": "2.0", "id": id, "error": error}));
                }
                if params.len() != 1 || !params[0].is_string() {
                    return rpc_error(
                        &id,
                        -32602,
                        "wrong param count (method 'Filecoin.WalletBalance'): 0 != 1",
                    );
                }
                rpc_result(&id, self.balance.clone())
            }
            other => rpc_error(&id, -32601, &format!("method '{other}' not found")),
        }
    }
}

fn start(node: Lotus) -> Fixture {
    let node = Arc::new(node);
    Fixture::start(move |request| node.answer(request))
}

fn config(fixture: &Fixture, extra: Value) -> Value {
    let mut config = json!({"type": "filecoin", "enabled": true,
                            "api_url": format!("{}/rpc/v1", fixture.url)});
    if let (Some(map), Value::Object(extra)) = (config.as_object_mut(), extra) {
        map.extend(extra);
    }
    config
}

async fn measure(
    config: &Value,
    timeout_secs: u64,
) -> Result<ipfs_kit_tui::stats::Measurement, ProbeError> {
    let ctx = ProbeContext::new(Duration::from_secs(timeout_secs)).unwrap();
    probe::measure(&ctx, Kind::Filecoin, config.as_object().unwrap()).await
}

use support::backend;

fn rpc_requests(fixture: &Fixture) -> Vec<Request> {
    fixture
        .requests()
        .into_iter()
        .filter(|r| r.path == "/rpc/v1")
        .collect()
}

/// The head is `age` seconds old when served; the probe reads the clock a moment later.
fn assert_lag(vital: &Value, age: u64) {
    let lag = vital["sync_lag_secs"].as_u64().unwrap();
    assert!(
        (age..=age + 3).contains(&lag),
        "sync lag {lag} for a head {age} s old"
    );
}

#[tokio::test]
async fn measure_reports_version_height_lag_and_an_exact_big_balance() {
    let fixture = start(lotus());
    let config = config(&fixture, json!({"token": TOKEN, "wallet": WALLET}));
    let measured = measure(&config, 10).await.unwrap();
    assert_eq!(measured.degraded, None, "45 s behind is in sync");
    assert_eq!(
        measured.storage,
        Default::default(),
        "Lotus has no storage figures"
    );
    assert_eq!(measured.files, Default::default());
    assert_eq!(measured.quota, Default::default());
    let mut vital = Value::Object(measured.vital);
    assert_lag(&vital, 45);
    vital.as_object_mut().unwrap().remove("sync_lag_secs");
    assert_eq!(
        vital,
        json!({"version": "1.28.1+mainnet+git.2d5a7c9", "api_version": "2.3.0", "block_delay": 30,
               "agent": "lotus", "chain_height": HEIGHT, "wallet": WALLET,
               "wallet_balance_atto": BIG_BALANCE,
               "wallet_balance_fil": "123456789012.34567890123456789"})
    );

    // JSON-RPC 2.0 over POST, the token as Bearer on every call, the wallet as the one param.
    let requests = rpc_requests(&fixture);
    let methods: Vec<String> = requests
        .iter()
        .map(|r| r.json_body()["method"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        methods,
        [
            "Filecoin.Version",
            "Filecoin.ChainHead",
            "Filecoin.WalletBalance"
        ]
    );
    for request in &requests {
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert!(request
            .header("content-type")
            .unwrap()
            .starts_with("application/json"));
        let body = request.json_body();
        assert_eq!(body["jsonrpc"], "2.0");
        assert!(body["id"].is_u64());
    }
    assert_eq!(requests[2].json_body()["params"], json!([WALLET]));
    let mut ids: Vec<u64> = requests
        .iter()
        .map(|r| r.json_body()["id"].as_u64().unwrap())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 3, "each call has its own id");
}

#[tokio::test]
async fn balances_are_exact_strings_never_floats() {
    for (atto, fil) in [
        ("0", "0"),
        ("1", "0.000000000000000001"),
        ("1500000000000000000", "1.5"),
        ("18446744073709551616", "18.446744073709551616"),
        ("250000000000000000000000", "250000"),
    ] {
        let fixture = start(Lotus {
            balance: json!(atto),
            ..lotus()
        });
        let measured = measure(&config(&fixture, json!({ "wallet": WALLET })), 10)
            .await
            .unwrap();
        assert_eq!(measured.vital["wallet_balance_atto"], atto);
        assert_eq!(measured.vital["wallet_balance_fil"], fil, "{atto}");
    }
    for bad in [
        json!("12.5"),
        json!("-3"),
        json!("1e30"),
        json!("0x10"),
        json!(null),
        json!({"Int": "5"}),
    ] {
        let fixture = start(Lotus {
            balance: bad.clone(),
            ..lotus()
        });
        let err = measure(&config(&fixture, json!({ "wallet": WALLET })), 10)
            .await
            .unwrap_err();
        assert_eq!(err.class(), "unparsable", "{bad}: {err}");
        assert!(err.to_string().contains("Filecoin.WalletBalance"), "{err}");
    }
}

#[tokio::test]
async fn no_wallet_no_balance_and_no_token_no_header() {
    let fixture = start(lotus());
    let measured = measure(&config(&fixture, json!({})), 10).await.unwrap();
    assert!(measured.vital.get("wallet_balance_atto").is_none());
    assert!(measured.vital.get("wallet_balance_fil").is_none());
    let requests = rpc_requests(&fixture);
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.header("authorization").is_none()));
}

#[tokio::test]
async fn json_rpc_error_names_the_method_and_the_message() {
    let fixture = start(Lotus {
        balance_error: Some(
            json!({"code": -32601, "message": "method 'Filecoin.WalletBalance' not found"}),
        ),
        ..lotus()
    });
    let config = config(&fixture, json!({ "wallet": WALLET }));
    let err = measure(&config, 10).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Filecoin.WalletBalance: JSON-RPC error -32601 (method not found): method \
         'Filecoin.WalletBalance' not found"
    );

    let home = home_with_backend("lotus", config);
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "lotus", "--json"]);
    assert_eq!(code, 1, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let steps = report["steps"].as_array().unwrap();
    let failed = steps.last().unwrap();
    assert_eq!(failed["name"], "read: wallet balance");
    assert_eq!(failed["ok"], false);
    assert!(
        failed["detail"]
            .as_str()
            .unwrap()
            .contains("method not found"),
        "{report}"
    );
    assert!(steps[..steps.len() - 1].iter().all(|s| s["ok"] == true));
}

#[tokio::test]
async fn sync_lag_beyond_ten_blocks_is_degraded() {
    let fixture = start(Lotus {
        head_age_secs: 3_600,
        ..lotus()
    });
    let measured = measure(&config(&fixture, json!({})), 10).await.unwrap();
    let message = measured.degraded.expect("an hour behind is degraded");
    assert!(
        message.starts_with("chain head is 60 min behind"),
        "{message}"
    );
    assert!(
        message.contains("more than 300 s"),
        "10 blocks of 30 s: {message}"
    );
    assert_lag(&Value::Object(measured.vital), 3_600);

    // Without a block delay the bound is 300 s.
    let version = json!({"Version": "1.20.0", "APIVersion": 131584});
    let fixture = start(Lotus {
        version: version.clone(),
        head_age_secs: 400,
        ..lotus()
    });
    let measured = measure(&config(&fixture, json!({})), 10).await.unwrap();
    assert!(measured.degraded.unwrap().contains("more than 300 s"));
    assert!(measured.vital.get("block_delay").is_none());
    let fixture = start(Lotus {
        version,
        head_age_secs: 200,
        ..lotus()
    });
    assert_eq!(
        measure(&config(&fixture, json!({})), 10)
            .await
            .unwrap()
            .degraded,
        None
    );

    // A 6 s block time (a devnet): 10 blocks = 60 s.
    let fast = json!({"Version": "1.28.1+2k", "APIVersion": 131840, "BlockDelay": 6});
    let fixture = start(Lotus {
        version: fast,
        head_age_secs: 90,
        ..lotus()
    });
    assert!(measure(&config(&fixture, json!({})), 10)
        .await
        .unwrap()
        .degraded
        .is_some());

    let fixture = start(Lotus {
        head_age_secs: 3_600,
        ..lotus()
    });
    let home = home_with_backend("lotus", config(&fixture, json!({})));
    let (code, out, err) = run_cli(home.path(), &["status", "--json", "--check"]);
    assert_eq!(code, 0, "degraded is not down: {out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let lotus = backend(&report, "lotus");
    assert_eq!(lotus["health"]["status"], "degraded");
    assert!(
        lotus["health"]["message"]
            .as_str()
            .unwrap()
            .contains("behind"),
        "{lotus}"
    );
}

#[tokio::test]
async fn status_json_reports_the_node_and_keeps_it() {
    let fixture = start(lotus());
    let home = home_with_backend(
        "lotus",
        config(&fixture, json!({"token": TOKEN, "wallet": WALLET})),
    );
    let (code, out, err) = run_cli(home.path(), &["status", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !out.contains(TOKEN) && !err.contains(TOKEN),
        "the token leaked"
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    let lotus = backend(&report, "lotus");
    assert_eq!(lotus["type"], "filecoin");
    assert_eq!(lotus["health"]["status"], "healthy", "{lotus}");
    assert_eq!(lotus["source"], "live");
    assert_eq!(lotus["stale"], false);
    assert_eq!(
        lotus["storage"],
        json!({"total": null, "used": null, "available": null, "usage_percent": null})
    );
    assert_eq!(
        lotus["files"],
        json!({"count": null, "bytes": null, "largest": null})
    );
    assert_eq!(
        lotus["quota"],
        json!({"limit": null, "used": null, "remaining": null, "objects_limit": null, "objects_used": null})
    );
    let vital = &lotus["vital"];
    assert_eq!(vital["version"], "1.28.1+mainnet+git.2d5a7c9");
    assert_eq!(vital["api_version"], "2.3.0");
    assert_eq!(vital["block_delay"], 30);
    assert_eq!(vital["chain_height"], HEIGHT);
    assert_lag(vital, 45);
    assert_eq!(
        vital["wallet_balance_atto"], BIG_BALANCE,
        "exact, as a string"
    );
    assert_eq!(
        vital["wallet_balance_fil"],
        "123456789012.34567890123456789"
    );
    // The figure survives the trip through the JSON output as text: no float rounding.
    assert!(
        out.contains("\"wallet_balance_atto\": \"123456789012345678901234567890\""),
        "{out}"
    );

    let kept = std::fs::read_to_string(home.path().join("metadata/stats.lotus.json")).unwrap();
    assert!(!kept.contains(TOKEN));
    let kept: Value = serde_json::from_str(&kept).unwrap();
    assert_eq!(kept["value"]["vital"], lotus["vital"]);
    assert_eq!(kept["value"]["health"]["status"], "healthy");
}

#[tokio::test]
async fn backend_test_passes_with_each_step_named() {
    let fixture = start(lotus());
    let home = home_with_backend(
        "lotus",
        config(&fixture, json!({"token": TOKEN, "wallet": WALLET})),
    );
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "lotus", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["ok"], true);
    let steps = report["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "reachable: livez",
            "reachable: Filecoin.Version",
            "read: Filecoin.ChainHead",
            "read: wallet balance"
        ]
    );
    assert!(steps.iter().all(|s| s["ok"] == true));
    assert_eq!(steps[0]["detail"], "live");
    assert_eq!(
        steps[3]["detail"],
        format!("123456789012.34567890123456789 FIL in {WALLET}")
    );
    // The health endpoint needs no token and gets none.
    let livez: Vec<Request> = fixture
        .requests()
        .into_iter()
        .filter(|r| r.path == "/health/livez")
        .collect();
    assert_eq!(livez.len(), 1);
    assert!(livez[0].header("authorization").is_none());
}

#[tokio::test]
async fn older_node_without_livez_still_passes() {
    let fixture = start(Lotus {
        livez: 404,
        ..lotus()
    });
    let home = home_with_backend("lotus", config(&fixture, json!({})));
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "lotus", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3, "no wallet, no balance step");
    assert!(
        steps[0]["detail"].as_str().unwrap().contains("older node"),
        "{report}"
    );

    // A node that says it is not live fails there.
    let fixture = start(Lotus {
        livez: 503,
        ..lotus()
    });
    let home = home_with_backend("lotus", config(&fixture, json!({})));
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "lotus", "--json"]);
    assert_eq!(code, 1, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["steps"][0]["name"], "reachable: livez");
    assert_eq!(report["steps"][0]["ok"], false);
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("HTTP 503"),
        "{report}"
    );
}

#[tokio::test]
async fn bad_token_fails_naming_credentials_and_the_step() {
    let fixture = start(lotus());
    let config = config(
        &fixture,
        json!({"token": "not-the-token", "wallet": WALLET}),
    );
    let err = measure(&config, 10).await.unwrap_err();
    assert_eq!(err.class(), "credentials");
    assert_eq!(err.to_string(), "credentials rejected (HTTP 401)");

    let home = home_with_backend("lotus", config);
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "lotus", "--json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("not-the-token") && !err.contains("not-the-token"));
    let report: Value = serde_json::from_str(&out).unwrap();
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{report}");
    assert_eq!(steps[0]["ok"], true, "livez needs no token");
    assert_eq!(steps[1]["name"], "reachable: Filecoin.Version");
    assert_eq!(steps[1]["ok"], false);
    assert_eq!(report["error"]["class"], "credentials");
}

#[tokio::test]
async fn wrong_path_is_named() {
    let fixture = start(lotus());
    let mut config = config(&fixture, json!({}));
    config["api_url"] = json!(format!("{}/rpc/v0nope", fixture.url));
    let err = measure(&config, 10).await.unwrap_err();
    assert_eq!(err.class(), "not_found");
    assert!(
        err.to_string()
            .starts_with("JSON-RPC endpoint '/rpc/v0nope' not found"),
        "{err}"
    );
}

fn assert_no_escapes(label: &str, text: &str) {
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{label}: raw escape byte: {text:?}"
    );
    assert!(
        !text.contains("\\u001b") && !text.contains("\\u0007"),
        "{label}: escaped escape sequence kept: {text}"
    );
}

fn assert_home_clean(home: &std::path::Path) {
    for entry in std::fs::read_dir(home.join("metadata")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_no_escapes(&path.display().to_string(), &text);
    }
}

#[tokio::test]
async fn escape_sequences_never_reach_the_output() {
    let hostile = json!({"Version": "1.28\u{1b}]0;pwned\u{7}.1", "APIVersion": "\u{1b}[2J2.3.0",
                         "BlockDelay": 30, "Agent": "lo\u{1b}[31mtus\u{7}"});
    let fixture = start(Lotus {
        version: hostile,
        ..lotus()
    });
    let home = home_with_backend("lotus", config(&fixture, json!({ "wallet": WALLET })));
    for args in [
        &["status", "--json"][..],
        &["status"],
        &["backend", "test", "lotus"],
        &["backend", "test", "lotus", "--json"],
    ] {
        let (code, out, err) = run_cli(home.path(), args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        assert_no_escapes(&format!("{args:?} stdout"), &out);
        assert_no_escapes(&format!("{args:?} stderr"), &err);
    }
    let (_, out, _) = run_cli(home.path(), &["status", "--json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    let vital = &backend(&report, "lotus")["vital"];
    assert_eq!(vital["version"], "1.28.1");
    assert_eq!(vital["api_version"], "2.3.0");
    assert_eq!(vital["agent"], "lotus");
    assert_home_clean(home.path());

    // And inside a JSON-RPC error message.
    let fixture = start(Lotus {
        balance_error: Some(
            json!({"code": 1, "message": "bad\u{1b}]0;pwned\u{7}\u{1b}[2J address"}),
        ),
        ..lotus()
    });
    let home = home_with_backend("lotus", config(&fixture, json!({ "wallet": WALLET })));
    for args in [
        &["status", "--json"][..],
        &["status"],
        &["backend", "test", "lotus"],
        &["backend", "test", "lotus", "--json"],
    ] {
        let (_, out, err) = run_cli(home.path(), args);
        assert_no_escapes(&format!("{args:?} stdout"), &out);
        assert_no_escapes(&format!("{args:?} stderr"), &err);
    }
    let (_, out, _) = run_cli(home.path(), &["status", "--json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        backend(&report, "lotus")["health"]["message"],
        "Filecoin.WalletBalance: JSON-RPC error 1: bad address"
    );
    assert_home_clean(home.path());
}

#[tokio::test]
async fn hanging_node_fails_in_bounded_time() {
    let fixture = Fixture::start(|_| Reply::Hang);
    let started = Instant::now();
    let err = measure(&config(&fixture, json!({})), 1).await.unwrap_err();
    assert_eq!(err, ProbeError::Timeout { secs: 1 });
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // Version answers, the chain head never does.
    let node = Arc::new(lotus());
    let stalls = Fixture::start(move |request| {
        if request.json_body()["method"] == "Filecoin.ChainHead" {
            Reply::Hang
        } else {
            node.answer(request)
        }
    });
    let home = home_with_backend("lotus", config(&stalls, json!({})));
    let (code, out, err) = run_cli(home.path(), &["settings", "set", "timeout_secs", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    let started = Instant::now();
    let (code, out, err) = run_cli(home.path(), &["status", "--json"]);
    let elapsed = started.elapsed();
    assert_eq!(code, 0, "{out}{err}");
    assert!(elapsed < Duration::from_secs(3), "status took {elapsed:?}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let lotus = backend(&report, "lotus");
    assert_eq!(lotus["health"]["status"], "down");
    assert_eq!(lotus["health"]["message"], "timed out after 1 s");

    let started = Instant::now();
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "lotus", "--json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(started.elapsed() < Duration::from_secs(3));
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report["steps"].as_array().unwrap().last().unwrap()["name"],
        "read: Filecoin.ChainHead"
    );
    assert_eq!(report["error"]["class"], "timeout");
}
