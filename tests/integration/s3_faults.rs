//! The S3 probe against a fixture playing S3 (and Garage's admin API): paging, signing,
//! addressing, and faults.
//!
//! The pulse (every poll) is HeadBucket, plus GetBucketInfo and GetClusterHealth with the admin
//! API: never a listing. The listing (ListObjectsV2 pages) is the inventory: within a budget,
//! resumable at its continuation token.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipfs_kit_tui::backends::Kind;
use ipfs_kit_tui::poll;
use ipfs_kit_tui::probe::{Budget, ProbeError};
use ipfs_kit_tui::stats::InventoryState;
use serde_json::{json, Map, Value};

use crate::support;
use crate::support::probe_ctx as ctx;
use crate::support::{Fixture, Reply, Request};

const ADMIN_TOKEN: &str = "fixture-admin-token";

fn config(url: &str) -> Map<String, Value> {
    json!({"type": "s3", "enabled": true, "endpoint": url, "region": "garage", "bucket": "media",
           "access_key": "GKtestkey", "secret_key": "testsecret", "path_style": true})
    .as_object()
    .unwrap()
    .clone()
}

/// The same, with the Garage admin API on the same fixture.
fn admin_config(url: &str) -> Map<String, Value> {
    let mut config = config(url);
    config.insert("admin_url".into(), json!(url));
    config.insert("admin_token".into(), json!(ADMIN_TOKEN));
    config
}

/// A ListObjectsV2 page with `sizes`, continuing with `next` when given.
/// A ListObjectsV2 page, element for element as a real server writes one (the Versity
/// gateway's, tests/golden/versity/list_objects_v2.json).
/// A listing page of the tests' bucket, `media`.
fn page(sizes: &[(String, u64)], next: Option<&str>) -> String {
    support::backends::s3::list_page("media", sizes, next)
}

const NO_SUCH_BUCKET: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist.</Message><BucketName>other</BucketName><RequestId>4F1C2A</RequestId><HostId>aG9zdA==</HostId></Error>"#;

fn is_listing(request: &Request) -> bool {
    request.method == "GET" && request.query_param("list-type").is_some()
}

fn listings(fixture: &Fixture) -> Vec<Request> {
    fixture.requests().into_iter().filter(is_listing).collect()
}

fn tokens(requests: &[Request]) -> Vec<Option<String>> {
    requests
        .iter()
        .map(|r| r.query_param("continuation-token"))
        .collect()
}

#[tokio::test]
async fn pages_are_summed_and_requests_signed_path_style() {
    let fixture = Fixture::start(|request| {
        let sizes = |base: u64| {
            (0..3)
                .map(|i| (format!("k{base}-{i}"), base + i))
                .collect::<Vec<_>>()
        };
        if request.method == "HEAD" {
            return Reply::empty(200);
        }
        match request.query_param("continuation-token").as_deref() {
            None => Reply::xml(200, &page(&sizes(10), Some("t1"))),
            Some("t1") => Reply::xml(200, &page(&sizes(5_000), Some("t2"))),
            Some("t2") => Reply::xml(200, &page(&sizes(20), None)),
            Some(_) => Reply::xml(400, "<Error><Code>InvalidToken</Code></Error>"),
        }
    });
    let measured = support::measure_all(&ctx(5), Kind::S3, &config(&fixture.url))
        .await
        .unwrap();
    assert_eq!(measured.files.count, Some(9));
    assert_eq!(
        measured.files.bytes,
        Some(10 + 11 + 12 + 5_000 + 5_001 + 5_002 + 20 + 21 + 22)
    );
    assert_eq!(measured.files.largest, Some(5_002));
    assert!(!measured.files.partial);
    assert_eq!(measured.storage.used, measured.files.bytes);
    assert_eq!(measured.storage.total, None, "S3 has no capacity: unknown");
    assert_eq!(measured.quota.limit, None, "no quota configured: unknown");
    let requests = fixture.requests();
    let shape: Vec<(&str, bool)> = requests
        .iter()
        .map(|r| (r.method.as_str(), is_listing(r)))
        .collect();
    assert_eq!(
        shape,
        [("HEAD", false), ("GET", true), ("GET", true), ("GET", true)],
        "the pulse's HeadBucket, then the inventory's three pages"
    );
    for request in &requests {
        assert_eq!(request.path, "/media/", "path-style addressing");
        assert!(
            request.query_param("X-Amz-Signature").is_some(),
            "SigV4: {}",
            request.query
        );
        let credential = request.query_param("X-Amz-Credential").unwrap();
        assert!(
            credential.starts_with("GKtestkey/") && credential.contains("/garage/s3/aws4_request"),
            "{credential}"
        );
    }
    for request in &requests[1..] {
        assert_eq!(request.query_param("list-type").as_deref(), Some("2"));
    }
}

#[tokio::test]
async fn a_hundred_thousand_objects_are_counted_exactly() {
    let fixture = Fixture::start(|request| {
        let page_number: u64 = request
            .query_param("continuation-token")
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let sizes: Vec<(String, u64)> = (0..1000)
            .map(|i| {
                (
                    format!("o{page_number}-{i}"),
                    (page_number * 1000 + i) % 977,
                )
            })
            .collect();
        let next = (page_number < 99).then(|| (page_number + 1).to_string());
        Reply::xml(200, &page(&sizes, next.as_deref()))
    });
    let measured = support::measure_all(&ctx(30), Kind::S3, &config(&fixture.url))
        .await
        .unwrap();
    assert_eq!(measured.files.count, Some(100_000));
    let expected: u64 = (0..100_000u64).map(|n| n % 977).sum();
    assert_eq!(measured.files.bytes, Some(expected));
    assert_eq!(measured.files.largest, Some(976));
    assert_eq!(listings(&fixture).len(), 100);
    assert_eq!(fixture.requests().len(), 101, "and one HeadBucket");
}

#[tokio::test]
async fn soft_quota_from_the_config() {
    let fixture = Fixture::start(|_| Reply::xml(200, &page(&[("a".into(), 600)], None)));
    let mut config = config(&fixture.url);
    config.insert("quota_bytes".into(), json!(1000));
    let measured = support::measure_all(&ctx(5), Kind::S3, &config)
        .await
        .unwrap();
    assert_eq!(
        (
            measured.quota.limit,
            measured.quota.used,
            measured.quota.remaining
        ),
        (Some(1000), Some(600), Some(400))
    );
}

/// A pulse against a bucket whose HeadBucket answers `reply`: the liveness call.
async fn pulse_failure(reply: Reply, secs: u64) -> (ProbeError, Duration, usize) {
    let fixture = Fixture::start(move |_| reply.clone());
    let started = Instant::now();
    let err = poll::pulse(&ctx(secs), Kind::S3.spec(), &config(&fixture.url))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    let heads = fixture
        .requests()
        .iter()
        .filter(|r| r.method == "HEAD")
        .count();
    assert_eq!(heads, fixture.requests().len(), "only HeadBucket");
    (err, elapsed, heads)
}

#[tokio::test]
async fn liveness_faults_are_down_in_bounded_time_with_the_reason() {
    // A hang or a rejected key is not tried again within the poll.
    let (err, took, heads) = pulse_failure(Reply::Hang, 1).await;
    assert_eq!(err.to_string(), "timed out after 1 s");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(heads, 1);
    for status in [401, 403] {
        // HEAD answers have no body: the status says it all.
        let (err, _, heads) = pulse_failure(Reply::empty(status), 5).await;
        assert_eq!(
            err.to_string(),
            format!("credentials rejected (HTTP {status})")
        );
        assert_eq!(heads, 1, "HTTP {status} is not retried");
    }
    let (err, _, heads) = pulse_failure(Reply::empty(404), 5).await;
    assert_eq!(err.to_string(), "bucket 'media' not found (HTTP 404)");
    assert_eq!(heads, 1);
    // Transient failures are tried three times within the poll, 0.5 s then 1 s apart.
    let (err, took, heads) = pulse_failure(Reply::empty(500), 5).await;
    assert_eq!(err.to_string(), "HTTP 500");
    assert_eq!(heads, 3, "a 500 is retried");
    assert!(
        took >= Duration::from_millis(1_500) && took < Duration::from_secs(4),
        "{took:?}"
    );
    let (err, _, heads) = pulse_failure(Reply::empty(503), 5).await;
    assert!(err.to_string().contains("slow down"), "{err}");
    assert_eq!(heads, 3);
    let (err, took, heads) = pulse_failure(Reply::Close, 5).await;
    assert_eq!(heads, 3, "a closed connection is retried: {err}");
    assert!(took < Duration::from_secs(4), "{took:?}");
    // ... unless the poll's time is up: with 1 s, no pause of 1 s fits after the second try.
    let (_, took, heads) = pulse_failure(Reply::empty(500), 1).await;
    assert_eq!(heads, 2);
    assert!(took < Duration::from_secs(2), "{took:?}");
}

/// Everything a bucket reports, with HeadBucket fine and the listing answering `reply`.
async fn listing_failure(reply: Reply, secs: u64) -> (ProbeError, Duration) {
    let fixture = Fixture::start(move |request| match request.method.as_str() {
        "HEAD" => Reply::empty(200),
        _ => reply.clone(),
    });
    let started = Instant::now();
    let err = support::measure_all(&ctx(secs), Kind::S3, &config(&fixture.url))
        .await
        .unwrap_err();
    (err, started.elapsed())
}

#[tokio::test]
async fn listing_faults_fail_the_inventory_in_bounded_time_with_the_reason() {
    let (err, took) = listing_failure(Reply::Hang, 1).await;
    assert_eq!(err.to_string(), "timed out after 1 s");
    assert!(took < Duration::from_secs(3), "{took:?}");
    let (err, took) = listing_failure(
        Reply::Drip {
            status: 200,
            body: page(&[], None).into_bytes(),
            every: Duration::from_millis(100),
        },
        1,
    )
    .await;
    assert_eq!(err.to_string(), "timed out after 1 s");
    assert!(took < Duration::from_secs(3), "{took:?}");
    let (err, _) = listing_failure(
        Reply::xml(200, "<ListBucketResult><Contents><Key>broken"),
        5,
    )
    .await;
    assert_eq!(err.class(), "unparsable", "{err}");
    assert!(
        err.to_string()
            .starts_with("unparsable answer from ListObjectsV2"),
        "{err}"
    );
    for status in [401, 403] {
        let (err, _) = listing_failure(Reply::xml(status, "<Error><Code>AccessDenied</Code><Message>Forbidden: bad signature</Message></Error>"), 5).await;
        assert_eq!(
            err.to_string(),
            format!("credentials rejected (HTTP {status}): Forbidden: bad signature")
        );
    }
    let (err, _) = listing_failure(
        Reply::xml(
            404,
            "<Error><Code>NoSuchBucket</Code><Message>Bucket not found: media</Message></Error>",
        ),
        5,
    )
    .await;
    assert_eq!(
        err.to_string(),
        "bucket 'media' not found (HTTP 404): Bucket not found: media"
    );
    let (err, _) = listing_failure(
        Reply::xml(
            500,
            "<Error><Code>InternalError</Code><Message>disk on fire</Message></Error>",
        ),
        5,
    )
    .await;
    assert_eq!(err.to_string(), "HTTP 500: disk on fire");
    let (err, _) = listing_failure(Reply::xml(503, "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"), 5).await;
    assert!(err.to_string().contains("slow down"), "{err}");
}

#[test]
fn a_failed_listing_never_touches_the_health() {
    let fixture = Fixture::start(|request| match request.method.as_str() {
        "HEAD" => Reply::empty(200),
        _ => Reply::xml(
            500,
            "<Error><Code>InternalError</Code><Message>disk on fire</Message></Error>",
        ),
    });
    let home = support::home_with_backend("media", Value::Object(config(&fixture.url)));
    let (code, out, err) = support::run_cli(home.path(), &["status", "--json", "--check"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let media = support::backend(&report, "media");
    assert_eq!(media["health"]["status"], "healthy", "{media}");
    assert_eq!(media["files"]["count"], Value::Null);
    assert_eq!(media["inventory"]["state"], "failed");
    assert_eq!(media["inventory"]["message"], "HTTP 500: disk on fire");
}

#[tokio::test]
async fn a_listing_page_over_its_cap_is_refused() {
    // A page of 1,000 keys of the longest length S3 allows is read (about 1.1 MB)...
    let longest = |i: usize| format!("{i:06}{}", "k".repeat(1018));
    let full: Vec<(String, u64)> = (0..1000).map(|i| (longest(i), 1)).collect();
    let fixture = Fixture::start(move |_| Reply::xml(200, &page(&full, None)));
    let m = support::measure_all(&ctx(5), Kind::S3, &config(&fixture.url))
        .await
        .unwrap();
    assert_eq!(m.files.count, Some(1000));
    // ...one of twice as many keys (more than a page can hold) is not.
    let over: Vec<(String, u64)> = (0..2000).map(|i| (longest(i), 1)).collect();
    let fixture = Fixture::start(move |_| Reply::xml(200, &page(&over, None)));
    let err = support::measure_all(&ctx(5), Kind::S3, &config(&fixture.url))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ProbeError::TooLarge {
            call: "ListObjectsV2".into(),
            limit_bytes: 2 * 1024 * 1024,
            per_line: false,
        }
    );
}

#[tokio::test]
async fn connection_refused_names_the_address() {
    let port = support::free_port();
    let started = Instant::now();
    let err = support::measure_all(
        &ctx(2),
        Kind::S3,
        &config(&format!("http://127.0.0.1:{port}")),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("connection refused by 127.0.0.1:{port}")
    );
    // Refused is transient: tried at 0, 0.5 and 1.5 s within the 2 s of the poll.
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(1_500) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[test]
fn escape_sequences_in_an_error_never_reach_the_output() {
    // HEAD answers (HEAD answers have no body to show); the listing's error body is hostile.
    let fixture = Fixture::start(|request| {
        match request.method.as_str() {
        "HEAD" => Reply::empty(200),
        _ => Reply::xml(403, "<Error><Code>AccessDenied</Code><Message>no\u{1b}]0;pwned\u{7}\u{1b}[2J way</Message></Error>"),
    }
    });
    let home = support::home_with_backend("evil", Value::Object(config(&fixture.url)));
    for args in [
        vec!["status", "--json"],
        vec!["status"],
        vec!["backend", "test", "evil", "--json"],
        vec!["backend", "test", "evil"],
    ] {
        let (_, out, err) = support::run_cli(home.path(), &args);
        if args == ["status", "--json"] {
            // The inventory's listing failed: recorded there, cleaned.
            let report: Value = serde_json::from_str(&out).unwrap();
            let evil = support::backend(&report, "evil");
            assert_eq!(evil["health"]["status"], "healthy", "{evil}");
            assert_eq!(
                evil["inventory"]["message"], "credentials rejected (HTTP 403): no way",
                "{evil}"
            );
        }
        if args == ["backend", "test", "evil", "--json"] {
            let report: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(
                report["error"]["message"],
                "credentials rejected (HTTP 403): no way"
            );
        }
        for text in [&out, &err] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{7}'),
                "{args:?}: {text:?}"
            );
            assert!(!text.contains("\\u001b"), "{args:?}: {text}");
        }
    }
    for name in ["stats.evil.json", "inventory.evil.json"] {
        let kept = std::fs::read_to_string(home.path().join("metadata").join(name)).unwrap();
        assert!(
            !kept.contains("\\u001b") && !kept.contains('\u{1b}'),
            "{name}: {kept}"
        );
        assert!(kept.contains("no way"), "{name}: {kept}");
    }
}

#[test]
fn test_steps_name_what_failed() {
    let fixture = Fixture::start(|request| match request.method.as_str() {
        "HEAD" => Reply::empty(200),
        _ => Reply::xml(
            403,
            "<Error><Code>AccessDenied</Code><Message>read denied</Message></Error>",
        ),
    });
    let home = support::home_with_backend("ro", Value::Object(config(&fixture.url)));
    let (code, out, _) = support::run_cli(home.path(), &["backend", "test", "ro", "--json"]);
    assert_eq!(code, 1);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["steps"][0]["ok"], true);
    assert_eq!(report["steps"][1]["name"], "read: list 1 key");
    assert_eq!(report["steps"][1]["ok"], false);
    assert_eq!(report["steps"].as_array().unwrap().len(), 2, "{report}");
    assert_eq!(report["error"]["class"], "credentials");
}

/// A bucket of `objects` objects served as ListObjectsV2 pages, with (when asked for) Garage's
/// admin API on the same address. Faults can be switched on per admin call.
struct Bucket {
    objects: u64,
    /// What GetBucketInfo says the bucket holds (it may differ from the listing).
    info_bytes: AtomicU64,
    /// Admin calls (`GetBucketInfo`, ...) that answer with a fault while their flag is set.
    faults: Mutex<Vec<(&'static str, Reply)>>,
    failing: AtomicBool,
}

fn object_size(i: u64) -> u64 {
    (i * 7_919) % 10_007
}

impl Bucket {
    fn new(objects: u64) -> Arc<Bucket> {
        Arc::new(Bucket {
            objects,
            info_bytes: AtomicU64::new((0..objects).map(object_size).sum()),
            faults: Mutex::new(Vec::new()),
            failing: AtomicBool::new(false),
        })
    }

    fn answer(&self, request: &Request) -> Reply {
        if let Some(call) = request.path.strip_prefix("/v2/") {
            return self.admin(call, request);
        }
        if request.path != "/media/" {
            return Reply::xml(404, NO_SUCH_BUCKET);
        }
        match request.method.as_str() {
            "HEAD" => Reply::empty(200).with_header("x-amz-bucket-region", "garage"),
            "GET" if is_listing(request) => self.page(request),
            _ => Reply::xml(405, "<Error><Code>MethodNotAllowed</Code></Error>"),
        }
    }

    /// Tokens are `after-N`: the page starts at object N.
    fn page(&self, request: &Request) -> Reply {
        let keys: u64 = request
            .query_param("max-keys")
            .and_then(|k| k.parse().ok())
            .unwrap_or(1000)
            .min(1000);
        let start = match request.query_param("continuation-token") {
            None => 0,
            Some(token) => match token.strip_prefix("after-").and_then(|n| n.parse().ok()) {
                Some(n) => n,
                None => return Reply::xml(400, "<Error><Code>InvalidArgument</Code></Error>"),
            },
        };
        let end = (start + keys).min(self.objects);
        let sizes: Vec<(String, u64)> = (start..end)
            .map(|i| (format!("obj-{i:07}"), object_size(i)))
            .collect();
        let next = (end < self.objects).then(|| format!("after-{end}"));
        Reply::xml(200, &page(&sizes, next.as_deref()))
    }

    fn admin(&self, call: &str, request: &Request) -> Reply {
        if request.header("authorization") != Some(&format!("Bearer {ADMIN_TOKEN}")) {
            return Reply::json(
                403,
                json!({"code": "Forbidden", "message": "invalid admin token"}),
            );
        }
        if self.failing.load(Ordering::SeqCst) {
            let faults = self.faults.lock().unwrap();
            if let Some((_, reply)) = faults.iter().find(|(name, _)| *name == call) {
                return reply.clone();
            }
        }
        match call {
            "GetBucketInfo" => {
                if request.query_param("globalAlias").as_deref() != Some("media") {
                    return Reply::json(
                        404,
                        json!({"code": "NoSuchBucket", "message": "no such bucket"}),
                    );
                }
                Reply::json(
                    200,
                    json!({"id": "3a1d1a5c9e0b7f42d6c8a1e3b5d7f9a2c4e6f8b0d2a4c6e8f1a3b5c7d9e1f3a5",
                           "created": "2026-11-30T09:12:44.512Z",
                           "globalAliases": ["media"], "websiteAccess": false,
                           "keys": [{"accessKeyId": "GKtestkey", "name": "media-key",
                                     "permissions": {"read": true, "write": true, "owner": true},
                                     "bucketLocalAliases": []}],
                           "objects": self.objects,
                           "bytes": self.info_bytes.load(Ordering::SeqCst),
                           "unfinishedUploads": 2,
                           "unfinishedMultipartUploads": 0,
                           "unfinishedMultipartUploadParts": 0,
                           "unfinishedMultipartUploadBytes": 0,
                           "quotas": {"maxSize": 1_000_000_000_000u64, "maxObjects": 5_000_000}}),
                )
            }
            "GetClusterHealth" => Reply::json(
                200,
                json!({"status": "healthy", "knownNodes": 3, "connectedNodes": 3,
                       "storageNodes": 3, "storageNodesUp": 3, "partitions": 256,
                       "partitionsQuorum": 256, "partitionsAllOk": 256}),
            ),
            // As Garage 2.5.0 answers (tests/golden/garage/): `lastSeenSecsAgo` is null for
            // the node asked.
            "GetClusterStatus" => Reply::json(
                200,
                json!({"layoutVersion": 1,
                       "nodes": [{"id": NODE_ID, "garageVersion": "v2.1.0",
                                  "addr": "10.0.0.5:3901", "hostname": "storage-1",
                                  "isUp": true, "lastSeenSecsAgo": null,
                                  "role": {"zone": "dc1", "tags": [], "capacity": 1_000_000_000_000u64},
                                  "draining": false,
                                  "dataPartition": {"available": 600_000_000_000u64, "total": 1_000_000_000_000u64},
                                  "metadataPartition": {"available": 60_000_000_000u64, "total": 100_000_000_000u64},
                                  "resyncQueueLen": 1}]}),
            ),
            "GetNodeStatistics" => Reply::json(
                200,
                json!({"success": {NODE_ID: {"freeform": "",
                        "tableStats": [],
                        "blockManagerStats": {"rcEntries": 3, "resyncQueueLen": 1,
                                              "resyncErrors": 0}}},
                       "error": {}}),
            ),
            _ => Reply::json(404, json!({"code": "NotFound", "message": "no such call"})),
        }
    }
}

/// The fixture's one Garage node (a 32-byte hex id, as Garage's are).
const NODE_ID: &str = "6a8e0c2f4b6d8e0a2c4e6f8b0d2f4a6c8e0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f";

fn serve(bucket: &Arc<Bucket>) -> Fixture {
    let bucket = bucket.clone();
    Fixture::start(move |request| bucket.answer(request))
}

#[tokio::test]
async fn a_pulse_costs_the_same_requests_at_any_bucket_size() {
    let spec = Kind::S3.spec();
    assert_eq!(spec.pulse_requests(), 4);
    for admin in [false, true] {
        let mut counts = Vec::new();
        for objects in [2_000, 200_000] {
            let bucket = Bucket::new(objects);
            let fixture = serve(&bucket);
            let config = if admin {
                admin_config(&fixture.url)
            } else {
                config(&fixture.url)
            };
            for _ in 0..3 {
                let pulse = poll::pulse(&ctx(10), spec, &config).await.unwrap();
                assert!(pulse.failed.is_empty(), "{:?}", pulse.failed);
                // With the admin API the pulse knows the size without listing.
                let objects_used = admin.then_some(objects);
                assert_eq!(pulse.quota.objects_used, objects_used);
            }
            let requests = fixture.requests();
            assert!(
                !requests.iter().any(is_listing),
                "a pulse never lists: {:?}",
                requests.iter().map(|r| &r.query).collect::<Vec<_>>()
            );
            let mut calls: Vec<String> = requests
                .iter()
                .map(|r| format!("{} {}", r.method, r.path))
                .collect();
            calls.sort();
            calls.dedup();
            let expected: &[&str] = if admin {
                &[
                    "GET /v2/GetBucketInfo",
                    "GET /v2/GetClusterHealth",
                    "GET /v2/GetClusterStatus",
                    "HEAD /media/",
                ]
            } else {
                &["HEAD /media/"]
            };
            assert_eq!(calls, expected);
            counts.push(requests.len());
        }
        let per_pulse = if admin {
            spec.pulse_requests() as usize
        } else {
            1 // HeadBucket alone without the admin API
        };
        assert_eq!(
            counts,
            [3 * per_pulse, 3 * per_pulse],
            "3 pulses at 2,000 and 200,000 objects, admin API: {admin}"
        );
    }
}

/// Two `status --json` runs and more on one home: healthy, then `call` failing (twice), then
/// healthy again.
fn auxiliary_fault(call: &'static str, reply: Reply, message: &str) -> Vec<Value> {
    let bucket = Bucket::new(1_500);
    bucket.faults.lock().unwrap().push((call, reply));
    let fixture = serve(&bucket);
    let home = support::home_with_backend("media", Value::Object(admin_config(&fixture.url)));
    let status = || {
        let (code, out, err) = support::run_cli(home.path(), &["status", "--json", "--check"]);
        assert_eq!(code, 0, "an auxiliary call is never down: {out}{err}");
        let report: Value = serde_json::from_str(&out).unwrap();
        support::backend(&report, "media").clone()
    };
    let first = status();
    assert_eq!(first["health"]["status"], "healthy", "{first}");
    bucket.failing.store(true, Ordering::SeqCst);
    // What GetBucketInfo says changes: a live figure shows the change, a kept one does not.
    bucket.info_bytes.fetch_add(1_000, Ordering::SeqCst);
    let second = status();
    let third = status();
    for now in [&second, &third] {
        assert_eq!(now["health"]["status"], "degraded", "{now}");
        assert_eq!(now["health"]["message"], message);
        assert_eq!(now["stale"], false);
        assert_ne!(now["updated_at"], first["updated_at"]);
    }
    bucket.failing.store(false, Ordering::SeqCst);
    let healed = status();
    assert_eq!(healed["health"]["status"], "healthy", "{healed}");
    assert_eq!(healed["health"]["message"], Value::Null);
    vec![first, second, third, healed]
}

/// `value` without its `as_of`.
fn without_as_of(value: &Value) -> Value {
    let mut value = value.clone();
    value.as_object_mut().unwrap().remove("as_of");
    value
}

#[test]
fn a_failed_bucket_info_keeps_storage_and_quota_with_their_time() {
    let runs = auxiliary_fault(
        "GetBucketInfo",
        Reply::json(
            500,
            json!({"code": "InternalError", "message": "table sync in progress"}),
        ),
        "GetBucketInfo failed: HTTP 500: table sync in progress",
    );
    let [first, second, third, healed] = &runs[..] else {
        unreachable!()
    };
    let first_time = first["updated_at"].as_str().unwrap();
    let bytes: u64 = (0..1_500).map(object_size).sum();
    assert_eq!(first["quota"]["used"], bytes);
    assert_eq!(first["quota"]["source"], "garage");
    assert!(first["quota"].get("as_of").is_none(), "live: {first}");
    for now in [second, third] {
        // Last-known, as of the first run (not the previous one).
        assert_eq!(
            without_as_of(&now["storage"]),
            without_as_of(&first["storage"])
        );
        assert_eq!(now["storage"]["as_of"], first_time, "{now}");
        assert_eq!(without_as_of(&now["quota"]), without_as_of(&first["quota"]));
        assert_eq!(now["quota"]["as_of"], first_time, "{now}");
        assert_eq!(now["quota"]["used"], bytes, "kept, not re-read");
        for key in ["garage_objects", "garage_bytes", "unfinished_uploads"] {
            assert_eq!(now["vital"][key], first["vital"][key], "{key}");
        }
        assert_eq!(
            now["vital_as_of"],
            json!({"garage_bytes": first_time, "garage_objects": first_time,
                   "unfinished_uploads": first_time}),
            "{now}"
        );
        // GetClusterHealth answered: live.
        assert_eq!(now["vital"]["cluster_status"], "healthy");
    }
    // Answering again, GetBucketInfo's figures are live, with the new counter.
    assert!(healed["quota"].get("as_of").is_none(), "{healed}");
    assert_eq!(healed["quota"]["used"], bytes + 1_000);
    // The version is read by the pulse's GetClusterStatus: live.
    assert_eq!(healed["vital"]["version"], "v2.1.0");
    assert!(healed.get("vital_as_of").is_none(), "{healed}");
}

#[test]
fn a_failed_cluster_health_keeps_only_the_cluster_status() {
    let runs = auxiliary_fault(
        "GetClusterHealth",
        Reply::json(
            500,
            json!({"code": "InternalError", "message": "no quorum to answer"}),
        ),
        "GetClusterHealth failed: HTTP 500: no quorum to answer",
    );
    let [first, second, third, healed] = &runs[..] else {
        unreachable!()
    };
    let first_time = first["updated_at"].as_str().unwrap();
    let bytes: u64 = (0..1_500).map(object_size).sum();
    for now in [second, third] {
        assert_eq!(now["vital"]["cluster_status"], "healthy", "kept: {now}");
        assert_eq!(
            now["vital_as_of"],
            json!({ "cluster_status": first_time }),
            "{now}"
        );
        // GetBucketInfo answered: its figures are live and show the new counter.
        assert!(now["quota"].get("as_of").is_none(), "{now}");
        assert!(now["storage"].get("as_of").is_none(), "{now}");
        assert_eq!(now["quota"]["used"], bytes + 1_000);
        assert_eq!(now["vital"]["garage_bytes"], bytes + 1_000);
    }
    assert!(healed.get("vital_as_of").is_none(), "{healed}");
}

/// Finding 6 of the edges trial: a wrong Garage *admin* token made the bucket `down` while S3
/// served it. The admin token is for monitoring only: degraded, with a credentials alert.
#[test]
fn a_rejected_admin_token_while_s3_serves_is_degraded_with_a_credentials_alert() {
    let bucket = Bucket::new(10);
    let fixture = serve(&bucket);
    let mut config = admin_config(&fixture.url);
    config.insert("admin_token".into(), json!("not-the-admin-token"));
    let home = support::home_with_backend("media", Value::Object(config));
    let (code, out, err) = support::run_cli(home.path(), &["status", "--json", "--check"]);
    assert_eq!(code, 0, "not down: --check passes\n{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let media = support::backend(&report, "media");
    assert_eq!(media["health"]["status"], "degraded", "{media}");
    assert_eq!(media["health"]["failure"], "credentials", "{media}");
    let message = media["health"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("Get")
            && message.contains("credentials rejected (HTTP 403)")
            && message.contains("Garage admin API token: invalid admin token"),
        "{message}"
    );
    let alerts = media["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{media}");
    assert_eq!(alerts[0]["rule"], "credentials");
    assert!(!out.contains("not-the-admin-token") && !err.contains("not-the-admin-token"));
}

#[tokio::test]
async fn the_listing_goes_on_where_the_last_run_stopped() {
    let bucket = Bucket::new(2_500);
    let fixture = serve(&bucket);
    let config = config(&fixture.url);
    let spec = Kind::S3.spec();
    let budget = Budget::new(Duration::from_secs(60), 2);
    let started_at = ipfs_kit_tui::store::timestamp::now();
    let first = spec.inventory(&ctx(10), &config, None, &budget).await;
    let first_run = first.clone().unwrap();
    assert_eq!(first_run.requests, 2);
    assert!(!first_run.complete);
    let files = &first_run.figures.files;
    let bytes = |n: u64| (0..n).map(object_size).sum::<u64>();
    assert_eq!(
        (files.count, files.bytes, files.partial),
        (Some(2_000), Some(bytes(2_000)), true)
    );
    let resume = first_run.resume.clone().expect("a token to go on from");
    assert_eq!(resume["token"], "after-2000", "{resume}");
    assert_eq!(
        tokens(&listings(&fixture)),
        [None, Some("after-1000".to_string())]
    );
    // Kept in the store's record: counting, shown as a lower bound.
    let record = poll::record_run(None, first, &started_at, Duration::ZERO);
    assert_eq!(
        record.last_run.as_ref().unwrap().outcome,
        InventoryState::Counting
    );
    let (shown, _) = record.shown().unwrap();
    assert_eq!(
        (shown.files.count, shown.files.partial),
        (Some(2_000), true)
    );

    let budget = Budget::new(Duration::from_secs(60), 2);
    let second = spec
        .inventory(&ctx(10), &config, Some(resume), &budget)
        .await;
    let second_run = second.clone().unwrap();
    assert_eq!(second_run.requests, 1, "one page was left");
    assert!(second_run.complete);
    assert_eq!(second_run.resume, None);
    let files = &second_run.figures.files;
    let largest = (0..2_500).map(object_size).max();
    assert_eq!(
        (files.count, files.bytes, files.largest, files.partial),
        (Some(2_500), Some(bytes(2_500)), largest, false)
    );
    assert_eq!(second_run.figures.storage.used, Some(bytes(2_500)));
    // The first two pages were never listed again.
    assert_eq!(
        tokens(&listings(&fixture)),
        [
            None,
            Some("after-1000".to_string()),
            Some("after-2000".to_string())
        ]
    );
    let record = poll::record_run(Some(record), second, &started_at, Duration::ZERO);
    assert_eq!(
        record.last_run.as_ref().unwrap().outcome,
        InventoryState::Complete
    );
    assert!(record.progress.is_none());
    let (shown, _) = record.shown().unwrap();
    assert_eq!(
        (shown.files.count, shown.files.partial),
        (Some(2_500), false)
    );
}

#[tokio::test]
async fn a_failed_node_statistics_costs_only_the_resync_errors() {
    let bucket = Bucket::new(1_500);
    let fixture = serve(&bucket);
    let budget = Budget::new(Duration::from_secs(60), 100);
    let config = admin_config(&fixture.url);
    let run = Kind::S3
        .spec()
        .inventory(&ctx(10), &config, None, &budget)
        .await
        .unwrap();
    assert!(run.failed.is_empty(), "{:?}", run.failed);
    let [node] = &run.figures.nodes[..] else {
        panic!("one node: {:?}", run.figures.nodes)
    };
    assert_eq!(
        (node.id.as_deref(), node.resync_errors),
        (Some(NODE_ID), Some(0))
    );

    bucket.faults.lock().unwrap().push((
        "GetNodeStatistics",
        Reply::json(500, json!({"code": "InternalError", "message": "busy"})),
    ));
    bucket.failing.store(true, Ordering::SeqCst);
    let budget = Budget::new(Duration::from_secs(60), 100);
    let run = Kind::S3
        .spec()
        .inventory(&ctx(10), &config, None, &budget)
        .await
        .unwrap();
    let [failed] = &run.failed[..] else {
        panic!("one failed call expected: {:?}", run.failed);
    };
    assert_eq!(failed.call, "GetNodeStatistics");
    assert!(run.figures.nodes.is_empty());
    assert_eq!(run.figures.files.count, Some(1_500));
    assert_eq!(run.resume, None);
    // Every object was listed: the count is complete, not a lower bound (a run that is not
    // complete is kept as "partial" and its files shown as lower bounds).
    assert!(
        run.complete && !run.figures.files.partial,
        "a failed GetNodeStatistics made the listing's count incomplete: complete {}, partial {}",
        run.complete,
        run.figures.files.partial
    );
}

/// The fixture's Garage admin answers have the shape of real Garage 2.5.0's, as recorded in
/// tests/golden/garage/ (tests/integration/garage.rs).
#[test]
fn fixture_admin_answers_have_the_shape_of_real_garages() {
    let bucket = Bucket::new(10);
    let request = |query: &str| support::Request {
        method: "GET".into(),
        path: String::new(),
        query: query.into(),
        headers: vec![("authorization".into(), format!("Bearer {ADMIN_TOKEN}"))],
        body: Vec::new(),
    };
    let mut differences = Vec::new();
    for (golden, call, query) in [
        (
            "garage/get_bucket_info",
            "GetBucketInfo",
            "globalAlias=media",
        ),
        ("garage/get_cluster_health", "GetClusterHealth", ""),
        ("garage/get_cluster_status", "GetClusterStatus", ""),
        ("garage/get_node_statistics", "GetNodeStatistics", "node=*"),
    ] {
        let real = &support::golden(golden)["answer"];
        let ours = bucket.admin(call, &request(query)).json_documents();
        let ours = ours.first().expect("a JSON answer");
        for d in support::shape_differences(real, ours) {
            differences.push(format!("{call}: {d}"));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    // And the comparison sees a difference when there is one.
    let real = support::golden("versity/list_objects_v2")["answer_xml"]
        .as_str()
        .unwrap()
        .to_string();
    let thin =
        "<ListBucketResult><Name>media</Name><Contents><Key>a</Key></Contents></ListBucketResult>";
    assert!(support::xml_differences(&real, thin)
        .iter()
        .any(|d| d == "ListBucketResult/Contents/Size: only in the real answer"));
}

/// The fixture's S3 answers have the element structure of a real server's (the Versity
/// gateway's, tests/golden/versity/, recorded by tests/integration/real_servers/golden.rs).
#[test]
fn fixture_s3_answers_have_the_shape_of_a_real_servers() {
    let mut differences = Vec::new();
    let sizes = vec![("dir/a".to_string(), 1), ("dir/b".to_string(), 2)];
    for (golden, ours) in [
        ("versity/list_objects_v2", page(&sizes, Some("dir/b"))),
        ("versity/no_such_bucket", NO_SUCH_BUCKET.to_string()),
    ] {
        let real = support::golden(golden)["answer_xml"]
            .as_str()
            .unwrap()
            .to_string();
        for d in support::xml_differences(&real, &ours) {
            differences.push(format!("{golden}: {d}"));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    // And the comparison sees a difference when there is one.
    let real = support::golden("versity/list_objects_v2")["answer_xml"]
        .as_str()
        .unwrap()
        .to_string();
    let thin =
        "<ListBucketResult><Name>media</Name><Contents><Key>a</Key></Contents></ListBucketResult>";
    assert!(support::xml_differences(&real, thin)
        .iter()
        .any(|d| d == "ListBucketResult/Contents/Size: only in the real answer"));
}
