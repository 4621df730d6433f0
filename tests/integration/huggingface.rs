//! The `huggingface` probe against an in-repo fixture of the Hub API, answering with the shapes
//! recorded for the Hub: whoami-v2, repo info with `expand`, the tree
//! listing paginated by `Link: <...>; rel="next"`, errors named by `X-Error-Code`, 429 with
//! `RateLimit: "api";r=0;t=<secs>`.
//!
//! The pulse (every poll) is the repository info alone; whoami and the tree are the inventory
//! (slow clock, within a budget, resumable at the tree's `Link` URL).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ipfs_kit_tui::backends::Kind;
use ipfs_kit_tui::poll;
use ipfs_kit_tui::probe::{Budget, ProbeContext, ProbeError};
use serde_json::{json, Value};

use crate::support;
use crate::support::backends::huggingface::{dir, file, hub_error, lfs_file, Hub};
use crate::support::probe_ctx as ctx;
use crate::support::{home_with_backend, run_cli, Fixture, Reply, Request};

const TOKEN: &str = "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";
const REPO: &str = "acme/widget";

const USED_STORAGE: u64 = 6_600_123_456;
const SHA: &str = "3f2a9c1be4d5a6f7081920a1b2c3d4e5f6a7b8c9";
const LAST_MODIFIED: &str = "2025-07-28T10:11:12.000Z";
/// The happy tree: 4 pages, 6 files, directories in between, the largest file on page 2.
const FILE_COUNT: u64 = 6;
const FILE_BYTES: u64 = 1_234 + 567 + 4_500_000_000 + 2_000_000_000 + 1_519 + 2_100_000;
const LARGEST: u64 = 4_500_000_000;

fn happy_hub() -> Hub {
    Hub {
        kind: "models",
        repo: REPO,
        revision_in_path: "main",
        token: TOKEN,
        whoami_name: "alice".into(),
        info: json!({
            "_id": "66a1b2c3d4e5f60718293a4b", "id": REPO, "sha": SHA, "private": true,
            "gated": "manual", "lastModified": LAST_MODIFIED, "usedStorage": USED_STORAGE,
            "siblings": [{"rfilename": "README.md"}, {"rfilename": "model.safetensors"}],
        }),
        pages: vec![
            vec![
                dir("configs"),
                file("README.md", 1_234),
                file("configs/a.json", 567),
            ],
            vec![
                lfs_file("model.safetensors", 4_500_000_000, 4_500_000_000),
                dir("shards"),
            ],
            // An answer where `size` is the LFS pointer's: the content size is `lfs.size`.
            vec![
                lfs_file("shards/1.bin", 134, 2_000_000_000),
                file(".gitattributes", 1_519),
            ],
            vec![file("tokenizer.json", 2_100_000)],
        ],
        endless: false,
    }
}

/// A fixture Hub; `special` answers first when it has something to say.
fn start(hub: Hub, special: impl Fn(&Request) -> Option<Reply> + Send + Sync + 'static) -> Fixture {
    let hub = Arc::new(hub);
    Fixture::start(move |request| special(request).unwrap_or_else(|| hub.answer(request).reply))
}

/// `host:port` of a fixture's URL, as a backend's storage identity names it.
fn address(url: &str) -> &str {
    url.trim_start_matches("http://").trim_end_matches('/')
}

fn config(fixture: &Fixture, extra: Value) -> Value {
    let mut config = json!({"type": "huggingface", "enabled": true, "repo_id": REPO,
                            "repo_type": "model", "endpoint": fixture.url});
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
    support::measure_all(&ctx, Kind::HuggingFace, config.as_object().unwrap()).await
}

use crate::support::backend;

fn tree_requests(fixture: &Fixture) -> Vec<Request> {
    fixture
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/tree/"))
        .collect()
}

#[tokio::test]
async fn measure_reports_every_figure() {
    let fixture = start(happy_hub(), |_| None);
    let config = config(&fixture, json!({ "token": TOKEN }));
    let measured = measure(&config, 10).await.unwrap();

    assert_eq!(measured.degraded, None);
    assert_eq!(measured.storage.used, Some(USED_STORAGE));
    assert_eq!(
        measured.storage.total, None,
        "the Hub has no capacity figure"
    );
    assert_eq!(measured.storage.available, None);
    assert_eq!(measured.storage.usage_percent, None);
    assert_eq!(measured.files.count, Some(FILE_COUNT));
    assert_eq!(measured.files.bytes, Some(FILE_BYTES));
    assert_eq!(measured.files.largest, Some(LARGEST));
    assert!(!measured.files.partial);
    assert_eq!(measured.quota, Default::default(), "no quota API");
    let expected = json!({"account": "alice", "private": true, "gated": "manual", "sha": SHA,
                          "last_modified": LAST_MODIFIED});
    assert_eq!(Value::Object(measured.vital), expected);

    let requests = fixture.requests();
    assert!(requests
        .iter()
        .all(|r| r.header("authorization") == Some(&format!("Bearer {TOKEN}"))));
    let whoami = requests
        .iter()
        .filter(|r| r.path == "/api/whoami-v2")
        .count();
    assert_eq!(whoami, 1, "whoami-v2 is rate limited: once per inventory");
    let info: Vec<&Request> = requests
        .iter()
        .filter(|r| r.path == "/api/models/acme/widget")
        .collect();
    assert_eq!(info.len(), 1);
    let mut expand: Vec<String> = url::form_urlencoded::parse(info[0].query.as_bytes())
        .filter(|(k, _)| k == "expand")
        .map(|(_, v)| v.into_owned())
        .collect();
    expand.sort();
    assert_eq!(
        expand,
        ["gated", "lastModified", "private", "sha", "usedStorage"]
    );
}

#[tokio::test]
async fn link_pagination_sums_every_page_once() {
    let fixture = start(happy_hub(), |_| None);
    let measured = measure(&config(&fixture, json!({})), 10).await.unwrap();
    assert_eq!(measured.files.count, Some(FILE_COUNT));
    assert_eq!(measured.files.bytes, Some(FILE_BYTES));
    // The largest file is on the second of four pages: it must survive the later pages.
    assert_eq!(measured.files.largest, Some(LARGEST));
    let pages = tree_requests(&fixture);
    assert_eq!(pages.len(), 4, "one request per page, no page twice");
    let cursors: Vec<Option<String>> = pages.iter().map(|r| r.query_param("cursor")).collect();
    assert_eq!(
        cursors,
        [
            None,
            Some("eyJwYWdlIjo1".into()),
            Some("eyJwYWdlIjo2".into()),
            Some("eyJwYWdlIjo3".into())
        ]
    );
    assert!(pages
        .iter()
        .all(|r| r.path == "/api/models/acme/widget/tree/main"));
    assert!(pages
        .iter()
        .all(|r| r.query_param("recursive").as_deref() == Some("true")));
}

fn cursors(pages: &[Request]) -> Vec<Option<String>> {
    pages.iter().map(|r| r.query_param("cursor")).collect()
}

#[tokio::test]
async fn the_tree_is_counted_within_a_budget_and_resumes_at_the_link() {
    let fixture = start(happy_hub(), |_| None);
    let config = config(&fixture, json!({ "token": TOKEN }));
    let map = config.as_object().unwrap();
    let spec = Kind::HuggingFace.spec();
    // 3 requests: whoami and the first two of the four pages.
    let budget = Budget::new(Duration::from_secs(60), 3);
    let first = spec.inventory(&ctx(10), map, None, &budget).await.unwrap();
    assert_eq!(first.requests, 3);
    assert!(!first.complete);
    assert!(first.failed.is_empty(), "{:?}", first.failed);
    let files = &first.figures.files;
    assert_eq!(
        (files.count, files.bytes, files.largest, files.partial),
        (
            Some(3),
            Some(1_234 + 567 + 4_500_000_000),
            Some(LARGEST),
            true
        )
    );
    assert_eq!(first.figures.vital["account"], "alice");
    let resume = first.resume.clone().expect("a place to go on from");
    let next = resume["next"].as_str().unwrap();
    assert!(
        next.starts_with(&fixture.url) && next.ends_with("cursor=eyJwYWdlIjo2"),
        "the Link URL of page 3: {resume}"
    );
    assert_eq!(
        cursors(&tree_requests(&fixture)),
        [None, Some("eyJwYWdlIjo1".into())]
    );

    let budget = Budget::new(Duration::from_secs(60), 100);
    let second = spec
        .inventory(&ctx(10), map, Some(resume), &budget)
        .await
        .unwrap();
    assert!(second.complete, "{second:?}");
    assert_eq!(second.resume, None);
    assert_eq!(second.requests, 3, "whoami and the last two pages");
    let files = &second.figures.files;
    assert_eq!(
        (files.count, files.bytes, files.largest, files.partial),
        (Some(FILE_COUNT), Some(FILE_BYTES), Some(LARGEST), false)
    );
    // The first pages were not listed again.
    assert_eq!(
        cursors(&tree_requests(&fixture)),
        [
            None,
            Some("eyJwYWdlIjo1".into()),
            Some("eyJwYWdlIjo2".into()),
            Some("eyJwYWdlIjo3".into())
        ]
    );
}

#[tokio::test]
async fn endless_pagination_stops_at_the_budget_and_goes_on_next_time() {
    let hub = Hub {
        endless: true,
        ..happy_hub()
    };
    let fixture = start(hub, |_| None);
    let config = config(&fixture, json!({}));
    let map = config.as_object().unwrap();
    let spec = Kind::HuggingFace.spec();
    let budget = Budget::new(Duration::from_secs(60), 50);
    let first = spec.inventory(&ctx(10), map, None, &budget).await.unwrap();
    assert_eq!(tree_requests(&fixture).len(), 50, "no token: no whoami");
    assert!(!first.complete);
    let files = &first.figures.files;
    assert_eq!(
        (files.count, files.bytes, files.largest, files.partial),
        (Some(100), Some(1_500), Some(20), true)
    );
    let budget = Budget::new(Duration::from_secs(60), 10);
    let second = spec
        .inventory(&ctx(10), map, first.resume.clone(), &budget)
        .await
        .unwrap();
    assert_eq!(second.figures.files.count, Some(120), "totals carried over");
    assert_eq!(second.figures.files.bytes, Some(1_800));
    assert!(second.resume.is_some());
    let pages = tree_requests(&fixture);
    assert_eq!(pages.len(), 60);
    assert_eq!(
        pages[50].query_param("cursor").as_deref(),
        Some("eyJwYWdlIjo50"),
        "the second run starts at page 51"
    );

    // What `status` does: one inventory of at most INVENTORY_REQUESTS requests, shown as a
    // lower bound while the count goes on.
    let home = home_with_backend("hub", config.clone());
    let (code, out, err) = run_cli(home.path(), &["status", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let hub = backend(&report, "hub");
    assert_eq!(hub["health"]["status"], "healthy", "{hub}");
    let pages = poll::INVENTORY_REQUESTS;
    assert_eq!(hub["files"]["count"], 2 * pages, "{hub}");
    assert_eq!(hub["files"]["partial"], true);
    assert_eq!(hub["inventory"]["state"], "counting");
    assert_eq!(hub["inventory"]["requests"], pages);
    assert_eq!(tree_requests(&fixture).len() as u64, 60 + pages);
}

#[tokio::test]
async fn anonymous_space_sends_no_token_and_asks_no_gated_field() {
    let mut hub = happy_hub();
    hub.kind = "spaces";
    hub.info = json!({"_id": "66a1", "id": REPO, "sha": SHA, "private": false,
                      "lastModified": LAST_MODIFIED, "usedStorage": 4096, "sdk": "gradio"});
    hub.pages = vec![vec![file("app.py", 4096)]];
    let fixture = start(hub, |_| None);
    let config = config(&fixture, json!({"repo_type": "space"}));
    let measured = measure(&config, 10).await.unwrap();
    assert_eq!(measured.storage.used, Some(4096));
    assert_eq!(measured.files.count, Some(1));
    assert_eq!(
        Value::Object(measured.vital),
        json!({"private": false, "sha": SHA, "last_modified": LAST_MODIFIED})
    );
    let requests = fixture.requests();
    assert!(requests.iter().all(|r| r.header("authorization").is_none()));
    assert!(requests.iter().all(|r| r.path != "/api/whoami-v2"));
    assert!(requests
        .iter()
        .all(|r| r.path.starts_with("/api/spaces/acme/widget")));

    let home = home_with_backend("space", config);
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "space", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "anonymous: no token set",
            "reachable: repository info",
            "read: first tree page",
            "pulse: what the monitor polls"
        ]
    );
    assert_eq!(report["steps"][3]["detail"], "healthy: every call answered");
}

#[tokio::test]
async fn missing_usage_is_unknown_not_zero() {
    let mut hub = happy_hub();
    hub.info = json!({"_id": "66a1", "id": REPO, "sha": SHA});
    hub.pages = vec![vec![]];
    let fixture = start(hub, |_| None);
    let measured = measure(&config(&fixture, json!({})), 10).await.unwrap();
    assert_eq!(measured.storage.used, None);
    assert_eq!(
        measured.files.count,
        Some(0),
        "an empty repository has 0 files, known"
    );
    assert_eq!(measured.files.bytes, Some(0));
    assert_eq!(measured.files.largest, None);
    assert_eq!(Value::Object(measured.vital), json!({"sha": SHA}));
}

#[tokio::test]
async fn revision_with_a_slash_is_one_path_segment() {
    let hub = Hub {
        revision_in_path: "refs%2Fpr%2F1",
        ..happy_hub()
    };
    let fixture = start(hub, |_| None);
    let measured = measure(&config(&fixture, json!({"revision": "refs/pr/1"})), 10)
        .await
        .unwrap();
    assert_eq!(measured.files.count, Some(FILE_COUNT));
    assert_eq!(measured.storage.used, Some(USED_STORAGE));
    let paths: Vec<String> = fixture.requests().into_iter().map(|r| r.path).collect();
    assert!(
        paths.contains(&"/api/models/acme/widget/revision/refs%2Fpr%2F1".to_string()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"/api/models/acme/widget/tree/refs%2Fpr%2F1".to_string()),
        "{paths:?}"
    );
}

#[tokio::test]
async fn rate_limit_reports_the_reset_time() {
    let limited = |request: &Request| {
        request.path.starts_with("/api/models/").then(|| {
            Reply::json(
                429,
                json!({"error": "You have exceeded our hourly quotas for action: api."}),
            )
            .with_header("RateLimit", "\"api\";r=0;t=42")
            .with_header("RateLimit-Policy", "\"fixed window\";\"api\";q=1000;w=300")
        })
    };
    let fixture = start(happy_hub(), limited);
    let err = measure(&config(&fixture, json!({})), 10).await.unwrap_err();
    assert_eq!(
        err,
        ProbeError::RateLimited {
            retry_after_secs: Some(42)
        }
    );
    assert!(err.to_string().contains("retry in 42 s"), "{err}");
    assert_eq!(
        fixture.requests().len(),
        1,
        "a rate limit is not retried within the poll"
    );

    let home = home_with_backend("hub", config(&fixture, json!({})));
    let (code, out, err) = run_cli(home.path(), &["status", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let hub = backend(&report, "hub");
    assert_eq!(hub["health"]["status"], "down");
    assert!(
        hub["health"]["message"]
            .as_str()
            .unwrap()
            .contains("retry in 42 s"),
        "{hub}"
    );
}

#[tokio::test]
async fn rate_limited_whoami_costs_only_the_account() {
    let fixture = start(happy_hub(), |request: &Request| {
        (request.path == "/api/whoami-v2").then(|| {
            Reply::json(429, json!({"error": "rate limited"}))
                .with_header("RateLimit", "\"api\";r=0;t=120")
        })
    });
    let config = config(&fixture, json!({ "token": TOKEN }));
    let measured = measure(&config, 10).await.unwrap();
    assert!(measured.vital.get("account").is_none());
    assert_eq!(measured.storage.used, Some(USED_STORAGE));
    assert_eq!(measured.files.count, Some(FILE_COUNT));
    let [failed] = &measured.failed[..] else {
        panic!("one failed call expected: {:?}", measured.failed);
    };
    assert_eq!(failed.call, "whoami");
    assert_eq!(
        failed.error,
        ProbeError::RateLimited {
            retry_after_secs: Some(120)
        }
    );

    // whoami is part of the inventory: its rate limit never touches the health, and costs the
    // account alone (the files were all counted).
    let home = home_with_backend("hub", config);
    let (code, out, err) = run_cli(home.path(), &["status", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let hub = backend(&report, "hub");
    assert_eq!(hub["health"]["status"], "healthy", "{hub}");
    assert_eq!(hub["health"]["message"], Value::Null);
    assert!(hub["vital"].get("account").is_none(), "{hub}");
    assert_eq!(hub["vital"]["sha"], SHA);
    assert_eq!(hub["files"]["count"], FILE_COUNT);
    assert_eq!(hub["files"]["bytes"], FILE_BYTES);
    let message = hub["inventory"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("whoami failed: rate limited (HTTP 429), retry in 120 s"),
        "{hub}"
    );
    assert!(
        hub["files"].get("partial").is_none(),
        "every page was counted: the files are not a lower bound: {hub}"
    );
}

#[tokio::test]
async fn missing_repository_is_named() {
    let fixture = start(happy_hub(), |_| None);
    let config = config(&fixture, json!({"repo_id": "acme/nope", "token": TOKEN}));
    let err = measure(&config, 10).await.unwrap_err();
    assert_eq!(err.class(), "not_found");
    assert!(
        err.to_string()
            .starts_with("repository 'acme/nope' not found"),
        "{err}"
    );

    let home = home_with_backend("hub", config);
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "hub", "--json"]);
    assert_eq!(code, 1, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let failed = report["steps"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(failed["name"], "reachable: repository info");
    assert_eq!(failed["ok"], false);
    assert_eq!(report["error"]["class"], "not_found");
    assert!(report["error"]["message"]
        .as_str()
        .unwrap()
        .contains("repository 'acme/nope'"));
}

#[tokio::test]
async fn missing_revision_is_named() {
    let fixture = start(happy_hub(), |_| None);
    let err = measure(&config(&fixture, json!({"revision": "v9"})), 10)
        .await
        .unwrap_err();
    assert_eq!(err.class(), "not_found");
    assert!(
        err.to_string()
            .starts_with("revision 'v9' of repository 'acme/widget' not found"),
        "{err}"
    );
}

#[tokio::test]
async fn gated_repository_names_credentials_with_the_hubs_words() {
    let fixture = start(happy_hub(), |request: &Request| {
        request.path.contains("/tree/").then(|| {
            hub_error(
                403,
                "GatedRepo",
                "Access to model acme/widget is restricted and you are not in the authorized list.",
            )
        })
    });
    let err = measure(&config(&fixture, json!({ "token": TOKEN })), 10)
        .await
        .unwrap_err();
    assert_eq!(err.class(), "credentials");
    assert_eq!(
        err.to_string(),
        "credentials rejected (HTTP 403): Access to model acme/widget is restricted and you are \
         not in the authorized list."
    );

    // The tree is the inventory's: a gated tree is recorded there, the pulse still answers.
    let home = home_with_backend("hub", config(&fixture, json!({ "token": TOKEN })));
    let (code, out, err) = run_cli(home.path(), &["status", "--json", "--check"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let hub = backend(&report, "hub");
    assert_eq!(hub["health"]["status"], "healthy", "{hub}");
    assert_eq!(hub["storage"]["used"], USED_STORAGE);
    assert_eq!(hub["files"]["count"], Value::Null, "never counted: {hub}");
    assert_eq!(hub["inventory"]["state"], "failed");
    assert_eq!(
        hub["inventory"]["message"],
        "credentials rejected (HTTP 403): Access to model acme/widget is restricted and you are \
         not in the authorized list."
    );

    // Gated at the repository info, the liveness call: down, with the Hub's words.
    let gated_info = start(happy_hub(), |request: &Request| {
        (request.path == "/api/models/acme/widget").then(|| {
            hub_error(
                403,
                "GatedRepo",
                "Access to model acme/widget is restricted.",
            )
        })
    });
    let home = home_with_backend("hub", config(&gated_info, json!({ "token": TOKEN })));
    let (code, out, err) = run_cli(home.path(), &["status", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let hub = backend(&report, "hub");
    assert_eq!(hub["health"]["status"], "down", "{hub}");
    assert_eq!(
        hub["health"]["message"],
        "credentials rejected (HTTP 403): Access to model acme/widget is restricted."
    );
    let info_requests = gated_info
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/models/acme/widget")
        .count();
    assert_eq!(info_requests, 1, "rejected credentials are not retried");
}

#[tokio::test]
async fn bad_token_is_named_as_credentials() {
    let fixture = start(happy_hub(), |_| None);
    let config = config(&fixture, json!({"token": "hf_revoked"}));
    let err = measure(&config, 10).await.unwrap_err();
    assert_eq!(err.class(), "credentials");
    assert!(
        err.to_string()
            .starts_with("credentials rejected (HTTP 401)"),
        "{err}"
    );

    let home = home_with_backend("hub", config);
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "hub", "--json"]);
    assert_eq!(code, 1, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["ok"], false);
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(
        steps.len(),
        1,
        "the test stops at the first failure: {report}"
    );
    assert_eq!(steps[0]["name"], "authenticated: whoami");
    assert_eq!(steps[0]["ok"], false);
    assert_eq!(report["error"]["class"], "credentials");
    assert!(!out.contains("hf_revoked") && !err.contains("hf_revoked"));
}

#[tokio::test]
async fn status_json_reports_the_repository_and_keeps_it() {
    let fixture = start(happy_hub(), |_| None);
    let home = home_with_backend("hub", config(&fixture, json!({ "token": TOKEN })));
    let (code, out, err) = run_cli(home.path(), &["status", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !out.contains(TOKEN) && !err.contains(TOKEN),
        "the token leaked"
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    let hub = backend(&report, "hub");
    assert_eq!(hub["type"], "huggingface");
    assert_eq!(hub["health"]["status"], "healthy", "{hub}");
    assert_eq!(hub["source"], "live");
    assert_eq!(hub["stale"], false);
    assert_eq!(
        hub["storage"],
        json!({"total": null, "used": USED_STORAGE, "available": null, "usage_percent": null,
               "identity": format!("huggingface:{}/model/acme/widget", address(&fixture.url))})
    );
    // The first status on a fresh home counts the tree (the inventory: none is kept yet); the
    // files and the account are the inventory's, with its time.
    let counted_at = hub["inventory"]["as_of"]
        .as_str()
        .expect("an inventory ran");
    assert_eq!(
        hub["files"],
        json!({"count": FILE_COUNT, "bytes": FILE_BYTES, "largest": LARGEST,
               "as_of": counted_at})
    );
    assert_eq!(hub["inventory"]["state"], "complete");
    assert_eq!(hub["inventory"]["requests"], 5, "whoami and 4 tree pages");
    assert_eq!(hub["vital_as_of"], json!({ "account": counted_at }));
    assert_eq!(
        hub["quota"],
        json!({"limit": null, "used": null, "remaining": null, "objects_limit": null, "objects_used": null})
    );
    assert_eq!(
        hub["vital"],
        json!({"account": "alice", "private": true, "gated": "manual", "sha": SHA,
               "last_modified": LAST_MODIFIED})
    );
    let requests = fixture.requests().len();

    // A second status: the inventory is an hour from due, so it is one request, the pulse,
    // and the counted figures are shown with their time.
    let (code, out, err) = run_cli(home.path(), &["status", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let again: Value = serde_json::from_str(&out).unwrap();
    let again = backend(&again, "hub");
    assert_eq!(fixture.requests().len(), requests + 1);
    assert_eq!(again["files"], hub["files"]);
    assert_eq!(again["vital"], hub["vital"]);
    assert_eq!(again["health"]["status"], "healthy");

    let kept = std::fs::read_to_string(home.path().join("metadata/stats.hub.json")).unwrap();
    assert!(!kept.contains(TOKEN));
    let kept: Value = serde_json::from_str(&kept).unwrap();
    assert_eq!(kept["value"]["files"], hub["files"]);
    assert_eq!(kept["value"]["vital"], hub["vital"]);
    assert_eq!(kept["value"]["storage"], hub["storage"]);
}

#[tokio::test]
async fn backend_test_passes_with_each_step_named() {
    let fixture = start(happy_hub(), |_| None);
    let home = home_with_backend("hub", config(&fixture, json!({ "token": TOKEN })));
    let (code, out, err) = run_cli(home.path(), &["backend", "test", "hub", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains(TOKEN) && !err.contains(TOKEN));
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["ok"], true);
    let steps = report["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "authenticated: whoami",
            "reachable: repository info",
            "read: first tree page",
            "pulse: what the monitor polls"
        ]
    );
    assert!(steps.iter().all(|s| s["ok"] == true));
    assert_eq!(steps[0]["detail"], "as alice");
    assert_eq!(steps[3]["detail"], "healthy: every call answered");
    assert!(
        steps[2]["detail"]
            .as_str()
            .unwrap()
            .contains("more pages follow"),
        "{report}"
    );
    // The test reads one page, not the whole tree.
    assert_eq!(tree_requests(&fixture).len(), 1);
}

/// Text that must never reach a terminal: an OSC retitle ending in BEL, a screen clear, colour.
const HOSTILE_NAME: &str = "ali\u{1b}]0;pwned\u{7}ce";

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
    let mut hub = happy_hub();
    hub.whoami_name = HOSTILE_NAME.into();
    hub.info["sha"] = json!("abc\u{1b}[2J\u{1b}[Hdef");
    hub.info["lastModified"] = json!("\u{1b}[31m2025-07-28\u{1b}[0m");
    hub.info["gated"] = json!("man\u{7}ual");
    let fixture = start(hub, |_| None);
    let home = home_with_backend("hub", config(&fixture, json!({ "token": TOKEN })));
    for args in [
        &["status", "--json"][..],
        &["status"],
        &["backend", "test", "hub"],
        &["backend", "test", "hub", "--json"],
    ] {
        let (code, out, err) = run_cli(home.path(), args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        assert_no_escapes(&format!("{args:?} stdout"), &out);
        assert_no_escapes(&format!("{args:?} stderr"), &err);
    }
    let (_, out, _) = run_cli(home.path(), &["status", "--json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    let vital = &backend(&report, "hub")["vital"];
    assert_eq!(vital["account"], "alice");
    assert_eq!(vital["sha"], "abcdef");
    assert_eq!(vital["last_modified"], "2025-07-28");
    assert_eq!(vital["gated"], "manual");
    assert_home_clean(home.path());

    // The same in the Hub's error messages.
    let hostile_error = Fixture::start(|_| {
        hub_error(
            404,
            "RepoNotFound",
            "gone\u{1b}]0;pwned\u{7}\u{1b}[2J for good",
        )
    });
    let home = home_with_backend("hub", config(&hostile_error, json!({})));
    for args in [
        &["status", "--json"][..],
        &["status"],
        &["backend", "test", "hub"],
        &["backend", "test", "hub", "--json"],
    ] {
        let (_, out, err) = run_cli(home.path(), args);
        assert_no_escapes(&format!("{args:?} stdout"), &out);
        assert_no_escapes(&format!("{args:?} stderr"), &err);
    }
    assert_home_clean(home.path());
}

#[tokio::test]
async fn hanging_hub_fails_in_bounded_time() {
    let fixture = Fixture::start(|_| Reply::Hang);
    let started = Instant::now();
    let err = measure(&config(&fixture, json!({})), 1).await.unwrap_err();
    assert_eq!(err, ProbeError::Timeout { secs: 1 });
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // A tree page that hangs after the first page answered: the run keeps what it counted,
    // names the page that failed, and says where the next run goes on.
    let stalls = start(happy_hub(), |request: &Request| {
        (request.query_param("cursor").is_some()).then_some(Reply::Hang)
    });
    let config = config(&stalls, json!({}));
    let budget = Budget::new(Duration::from_secs(60), 100);
    let started = Instant::now();
    let run = Kind::HuggingFace
        .spec()
        .inventory(&ctx(1), config.as_object().unwrap(), None, &budget)
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(!run.complete);
    assert!(run.figures.files.partial);
    assert!(run.figures.files.count.unwrap() > 0, "{run:?}");
    assert_eq!(run.failed.len(), 1, "{run:?}");
    assert_eq!(run.failed[0].call, "tree page");
    assert_eq!(run.failed[0].error, ProbeError::Timeout { secs: 1 });
    let next = run.resume.as_ref().unwrap()["next"].as_str().unwrap();
    assert!(next.contains("cursor="), "{next}");

    // In `status`, the pulse answers (healthy) and the inventory (due, on a fresh home) is
    // bounded by the inventory's time; its failure is recorded, not shown as the health.
    let home = home_with_backend("hub", config);
    let (code, out, err) = run_cli(home.path(), &["settings", "set", "timeout_secs", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    let started = Instant::now();
    let (code, out, err) = run_cli(home.path(), &["status", "--json"]);
    let elapsed = started.elapsed();
    assert_eq!(code, 0, "{out}{err}");
    // The stalled page is given up after timeout_secs (1 s), not the inventory's 60 s budget.
    let bound = Duration::from_secs(5);
    assert!(elapsed < bound, "status took {elapsed:?}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let hub = backend(&report, "hub");
    assert_eq!(hub["health"]["status"], "healthy", "{hub}");
    assert_eq!(hub["storage"]["used"], USED_STORAGE);
    // What the first page counted is shown as a lower bound; the count goes on later.
    assert_eq!(hub["files"]["partial"], true, "{hub}");
    assert_eq!(hub["inventory"]["state"], "counting", "{hub}");
    assert_eq!(
        hub["inventory"]["message"], "tree page failed: timed out after 1 s",
        "{hub}"
    );

    // A count carried over runs goes on a minute later, not at every status: the next one is
    // the pulse alone, bounded by timeout_secs.
    let started = Instant::now();
    let (code, out, err) = run_cli(home.path(), &["status", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

/// A repository of `files` files, 1,000 to a tree page; its usage grows with it.
fn hub_of(files: usize) -> Hub {
    let mut hub = happy_hub();
    let all: Vec<Value> = (0..files)
        .map(|i| file(&format!("data/{i:06}.bin"), 1_000 + i as u64))
        .collect();
    hub.pages = all.chunks(1000).map(<[Value]>::to_vec).collect();
    hub.info["usedStorage"] = json!(1_000 * files as u64);
    hub
}

#[tokio::test]
async fn a_pulse_costs_one_request_whatever_the_size() {
    let spec = Kind::HuggingFace.spec();
    assert_eq!(spec.pulse_requests(), 1);
    let mut counts = Vec::new();
    for files in [300, 30_000] {
        let fixture = start(hub_of(files), |_| None);
        // With a token, which could have asked whoami too.
        let config = config(&fixture, json!({ "token": TOKEN }));
        for _ in 0..3 {
            let pulse = poll::pulse(&ctx(10), spec, config.as_object().unwrap())
                .await
                .unwrap();
            assert_eq!(pulse.storage.used, Some(1_000 * files as u64));
            assert!(pulse.failed.is_empty());
        }
        let requests = fixture.requests();
        assert!(
            requests
                .iter()
                .all(|r| r.path == "/api/models/acme/widget" && r.method == "GET"),
            "the repository info only, never whoami or the tree: {:?}",
            requests.iter().map(|r| &r.path).collect::<Vec<_>>()
        );
        counts.push(requests.len());
    }
    assert_eq!(counts, [3, 3], "3 pulses at 300 and at 30,000 files");

    // The inventory is what grows: 30 pages for 30,000 files.
    let fixture = start(hub_of(30_000), |_| None);
    let config = config(&fixture, json!({}));
    let budget = Budget::new(Duration::from_secs(60), 1_000);
    let run = spec
        .inventory(&ctx(10), config.as_object().unwrap(), None, &budget)
        .await
        .unwrap();
    assert_eq!(run.figures.files.count, Some(30_000));
    assert_eq!(tree_requests(&fixture).len(), 30);
}
