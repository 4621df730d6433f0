//! The `filecoin` probe against an in-repo fixture of the Lotus JSON-RPC API, answering with the
//! shapes a real Lotus node gives: `Filecoin.Version`,
//! `Filecoin.ChainHead`, `Filecoin.WalletBalance` (attoFIL as a decimal string), JSON-RPC error
//! objects, `/health/livez`; a wrong token gets HTTP 401, no token reads anonymously.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ipfs_kit_tui::backends::Kind;
use ipfs_kit_tui::poll;
use ipfs_kit_tui::probe::{ProbeContext, ProbeError};
use serde_json::{json, Value};

use crate::support;
use crate::support::{home_with_backend, run_cli, Fixture, Reply, Request};

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
    support::measure_all(&ctx, Kind::Filecoin, config.as_object().unwrap()).await
}

use crate::support::backend;

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
    // The three calls go out side by side: they arrive in any order.
    let requests = rpc_requests(&fixture);
    let mut methods: Vec<String> = requests
        .iter()
        .map(|r| r.json_body()["method"].as_str().unwrap().to_string())
        .collect();
    methods.sort();
    assert_eq!(
        methods,
        [
            "Filecoin.ChainHead",
            "Filecoin.Version",
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
    let balance = requests
        .iter()
        .find(|r| r.json_body()["method"] == "Filecoin.WalletBalance")
        .unwrap();
    assert_eq!(balance.json_body()["params"], json!([WALLET]));
    let mut ids: Vec<u64> = requests
        .iter()
        .map(|r| r.json_body()["id"].as_u64().unwrap())
        .collect();
    ids.sort_unstable();
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
        // An odd balance costs the balance only: the node answered, so it is degraded with
        // the call named, and the version and the chain head stay live.
        let measured = measure(&config(&fixture, json!({ "wallet": WALLET })), 10)
            .await
            .unwrap();
        let [failed] = &measured.failed[..] else {
            panic!("{bad}: one failed call expected: {:?}", measured.failed);
        };
        assert_eq!(failed.call, "Filecoin.WalletBalance", "{bad}");
        assert_eq!(
            failed.error.class(),
            "unparsable",
            "{bad}: {}",
            failed.error
        );
        assert!(
            failed.error.to_string().contains("Filecoin.WalletBalance"),
            "{}",
            failed.error
        );
        for key in ["wallet", "wallet_balance_atto", "wallet_balance_fil"] {
            assert!(measured.vital.get(key).is_none(), "{bad}: {key} kept");
        }
        assert_eq!(measured.vital["chain_height"], HEIGHT, "{bad}");
        assert_eq!(measured.vital["version"], "1.28.1+mainnet+git.2d5a7c9");
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
    let measured = measure(&config, 10).await.unwrap();
    let [failed] = &measured.failed[..] else {
        panic!("one failed call expected: {:?}", measured.failed);
    };
    assert_eq!(failed.call, "Filecoin.WalletBalance");
    assert_eq!(
        failed.error.to_string(),
        "Filecoin.WalletBalance: JSON-RPC error -32601 (method not found): method \
         'Filecoin.WalletBalance' not found"
    );
    assert_eq!(
        measured.vital["chain_height"], HEIGHT,
        "the rest stays live"
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

    // The monitor's view of the same node: degraded (the balance call failed), not down.
    let (code, out, err) = run_cli(home.path(), &["status", "--json", "--check"]);
    assert_eq!(code, 0, "a failed balance is not down: {out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let lotus = backend(&report, "lotus");
    assert_eq!(lotus["health"]["status"], "degraded", "{lotus}");
    assert_eq!(
        lotus["health"]["message"],
        "Filecoin.WalletBalance failed: JSON-RPC error -32601 (method \
         not found): method 'Filecoin.WalletBalance' not found"
    );
    assert_eq!(lotus["vital"]["chain_height"], HEIGHT);
    assert!(
        lotus["vital"].get("wallet_balance_atto").is_none(),
        "{lotus}"
    );
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
            "read: wallet balance",
            "pulse: what the monitor polls"
        ]
    );
    assert!(steps.iter().all(|s| s["ok"] == true));
    assert_eq!(steps[0]["detail"], "live");
    assert_eq!(
        steps[3]["detail"],
        format!("123456789012.34567890123456789 FIL in {WALLET}")
    );
    assert_eq!(steps[4]["detail"], "healthy: every call answered");
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
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "reachable: livez",
            "reachable: Filecoin.Version",
            "read: Filecoin.ChainHead",
            "pulse: what the monitor polls"
        ],
        "no wallet, no balance step"
    );
    assert!(steps.iter().all(|s| s["ok"] == true), "{report}");
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
    let lotus = backend(&report, "lotus");
    assert_eq!(lotus["health"]["status"], "degraded");
    assert_eq!(
        lotus["health"]["message"],
        "Filecoin.WalletBalance failed: JSON-RPC error 1: bad address"
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
    let (code, out, err) = run_cli(home.path(), &["status", "--json", "--check"]);
    let elapsed = started.elapsed();
    // Filecoin.Version is the liveness call: a hanging chain head makes the node degraded,
    // not down, and costs one timeout (the calls run side by side), not one per call.
    assert_eq!(code, 0, "degraded is not down: {out}{err}");
    assert!(elapsed < Duration::from_secs(3), "status took {elapsed:?}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let lotus = backend(&report, "lotus");
    assert_eq!(lotus["health"]["status"], "degraded", "{lotus}");
    assert_eq!(
        lotus["health"]["message"],
        "Filecoin.ChainHead failed: timed out after 1 s"
    );
    assert_eq!(lotus["vital"]["version"], "1.28.1+mainnet+git.2d5a7c9");
    assert!(
        lotus["vital"].get("chain_height").is_none(),
        "never known, so not shown: {lotus}"
    );

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

#[tokio::test]
async fn a_pulse_costs_the_same_few_requests_every_time() {
    let spec = Kind::Filecoin.spec();
    assert_eq!(spec.pulse_requests(), 3);
    let ctx = ProbeContext::new(Duration::from_secs(10)).unwrap();
    // With a wallet: Version, ChainHead, WalletBalance; without: one fewer.
    for (extra, methods) in [
        (
            json!({ "wallet": WALLET }),
            &[
                "Filecoin.ChainHead",
                "Filecoin.Version",
                "Filecoin.WalletBalance",
            ][..],
        ),
        (json!({}), &["Filecoin.ChainHead", "Filecoin.Version"][..]),
    ] {
        let fixture = start(lotus());
        let config = config(&fixture, extra);
        for _ in 0..3 {
            let pulse = poll::pulse(&ctx, spec, config.as_object().unwrap())
                .await
                .unwrap();
            assert!(pulse.failed.is_empty(), "{:?}", pulse.failed);
        }
        let requests = fixture.requests();
        assert_eq!(
            requests.len(),
            3 * methods.len(),
            "3 pulses with {config}: {requests:?}"
        );
        assert!(requests.len() <= 3 * spec.pulse_requests() as usize);
        // Each pulse asks each of its calls once; nothing else (livez is for the test).
        let mut asked: Vec<String> = requests
            .iter()
            .map(|r| {
                assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/rpc/v1"));
                r.json_body()["method"].as_str().unwrap().to_string()
            })
            .collect();
        asked.sort();
        let mut expected: Vec<String> = methods
            .iter()
            .flat_map(|m| std::iter::repeat_n(m.to_string(), 3))
            .collect();
        expected.sort();
        assert_eq!(asked, expected);
    }
}

/// A node whose `method` answers with `fault` while `failing` is set.
fn start_with_fault(method: &'static str, fault: Reply, failing: Arc<AtomicBool>) -> Fixture {
    let node = Arc::new(lotus());
    Fixture::start(move |request| {
        if failing.load(Ordering::SeqCst) && request.json_body()["method"] == method {
            return fault.clone();
        }
        node.answer(request)
    })
}

fn status_of(home: &std::path::Path) -> Value {
    let (code, out, err) = run_cli(home, &["status", "--json", "--check"]);
    assert_eq!(code, 0, "never down here: {out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    backend(&report, "lotus").clone()
}

/// An auxiliary call (not Filecoin.Version) that fails makes the node degraded, naming the
/// call; its figures keep their last-known values with the time they were read, the others
/// stay live; once it answers again, everything is live.
async fn auxiliary_fault_keeps_its_figures(
    method: &'static str,
    fault: Reply,
    message: &str,
    fed: &[&str],
) {
    let failing = Arc::new(AtomicBool::new(false));
    let fixture = start_with_fault(method, fault, failing.clone());
    let home = home_with_backend(
        "lotus",
        config(&fixture, json!({"token": TOKEN, "wallet": WALLET})),
    );
    let first = status_of(home.path());
    assert_eq!(first["health"]["status"], "healthy", "{first}");
    assert!(first.get("vital_as_of").is_none(), "{first}");
    let first_time = first["updated_at"].as_str().unwrap().to_string();
    for key in fed {
        assert!(!first["vital"][key].is_null(), "{key} read in {first}");
    }

    failing.store(true, Ordering::SeqCst);
    for run in ["second", "third"] {
        let now = status_of(home.path());
        assert_eq!(now["health"]["status"], "degraded", "{run}: {now}");
        assert_eq!(now["health"]["message"], message, "{run}");
        assert_eq!(now["source"], "live");
        assert_eq!(now["stale"], false);
        assert_ne!(now["updated_at"], first["updated_at"], "{run}: a new poll");
        // The failed call's figures: last-known, with the time of the run that read them
        // (the first, not the previous one).
        let expected_as_of: serde_json::Map<String, Value> = fed
            .iter()
            .map(|key| (key.to_string(), json!(first_time)))
            .collect();
        assert_eq!(
            now["vital_as_of"],
            Value::Object(expected_as_of),
            "{run}: {now}"
        );
        for key in fed {
            assert_eq!(now["vital"][key], first["vital"][key], "{run}: {key}");
        }
        // Every other figure is live.
        assert_eq!(now["vital"]["version"], "1.28.1+mainnet+git.2d5a7c9");
        for key in ["chain_height", "wallet_balance_atto"] {
            assert!(!now["vital"][key].is_null(), "{run}: {key} in {now}");
        }
    }

    failing.store(false, Ordering::SeqCst);
    let healed = status_of(home.path());
    assert_eq!(healed["health"]["status"], "healthy", "{healed}");
    assert!(
        healed.get("vital_as_of").is_none(),
        "all live again: {healed}"
    );
}

#[tokio::test]
async fn a_failed_chain_head_costs_only_the_height_and_lag() {
    auxiliary_fault_keeps_its_figures(
        "Filecoin.ChainHead",
        Reply::text(500, "chain store busy"),
        "Filecoin.ChainHead failed: HTTP 500: chain store busy",
        &["chain_height", "sync_lag_secs"],
    )
    .await;
}

#[tokio::test]
async fn a_failed_wallet_balance_costs_only_the_balance() {
    auxiliary_fault_keeps_its_figures(
        "Filecoin.WalletBalance",
        rpc_error(&json!(null), 1, "actor not found"),
        "Filecoin.WalletBalance failed: JSON-RPC error 1: actor not found",
        &["wallet", "wallet_balance_atto", "wallet_balance_fil"],
    )
    .await;
}
