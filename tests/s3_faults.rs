//! The S3 probe against a fixture playing S3: paging, signing, addressing, and faults.

mod support;

use std::time::{Duration, Instant};

use ipfs_kit_tui::backends::Kind;
use ipfs_kit_tui::probe::{self, Http, ProbeContext, ProbeError};
use serde_json::{json, Map, Value};
use support::{Fixture, Reply};

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

fn config(url: &str) -> Map<String, Value> {
    json!({"type": "s3", "enabled": true, "endpoint": url, "region": "garage", "bucket": "media",
           "access_key": "GKtestkey", "secret_key": "testsecret", "path_style": true})
    .as_object()
    .unwrap()
    .clone()
}

/// A ListObjectsV2 page with `sizes`, continuing with `next` when given.
fn page(sizes: &[(String, u64)], next: Option<&str>) -> String {
    let mut xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="{NS}"><Name>media</Name><KeyCount>{}</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>{}</IsTruncated>"#,
        sizes.len(),
        next.is_some()
    );
    for (key, size) in sizes {
        xml.push_str(&format!(
            "<Contents><Key>{key}</Key><Size>{size}</Size><ETag>\"x\"</ETag></Contents>"
        ));
    }
    if let Some(next) = next {
        xml.push_str(&format!(
            "<NextContinuationToken>{next}</NextContinuationToken>"
        ));
    }
    xml.push_str("</ListBucketResult>");
    xml
}

fn ctx(secs: u64) -> ProbeContext {
    ProbeContext::new(Duration::from_secs(secs)).unwrap()
}

#[tokio::test]
async fn pages_are_summed_and_requests_signed_path_style() {
    let fixture = Fixture::start(|request| {
        let sizes = |base: u64| {
            (0..3)
                .map(|i| (format!("k{base}-{i}"), base + i))
                .collect::<Vec<_>>()
        };
        match request.query_param("continuation-token").as_deref() {
            None => Reply::xml(200, &page(&sizes(10), Some("t1"))),
            Some("t1") => Reply::xml(200, &page(&sizes(5_000), Some("t2"))),
            Some("t2") => Reply::xml(200, &page(&sizes(20), None)),
            Some(_) => Reply::xml(400, "<Error><Code>InvalidToken</Code></Error>"),
        }
    });
    let measured = probe::measure(&ctx(5), Kind::S3, &config(&fixture.url))
        .await
        .unwrap();
    assert_eq!(measured.files.count, Some(9));
    assert_eq!(
        measured.files.bytes,
        Some(10 + 11 + 12 + 5_000 + 5_001 + 5_002 + 20 + 21 + 22)
    );
    assert_eq!(measured.files.largest, Some(5_002));
    assert_eq!(measured.storage.used, measured.files.bytes);
    assert_eq!(measured.storage.total, None, "S3 has no capacity: unknown");
    assert_eq!(measured.quota.limit, None, "no quota configured: unknown");
    let requests = fixture.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/media/", "path-style addressing");
        assert_eq!(request.query_param("list-type").as_deref(), Some("2"));
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
    let measured = probe::measure(&ctx(30), Kind::S3, &config(&fixture.url))
        .await
        .unwrap();
    assert_eq!(measured.files.count, Some(100_000));
    let expected: u64 = (0..100_000u64).map(|n| n % 977).sum();
    assert_eq!(measured.files.bytes, Some(expected));
    assert_eq!(measured.files.largest, Some(976));
    assert_eq!(fixture.requests().len(), 100);
}

#[tokio::test]
async fn soft_quota_from_the_config() {
    let fixture = Fixture::start(|_| Reply::xml(200, &page(&[("a".into(), 600)], None)));
    let mut config = config(&fixture.url);
    config.insert("quota_bytes".into(), json!(1000));
    let measured = probe::measure(&ctx(5), Kind::S3, &config).await.unwrap();
    assert_eq!(
        (
            measured.quota.limit,
            measured.quota.used,
            measured.quota.remaining
        ),
        (Some(1000), Some(600), Some(400))
    );
}

async fn failure(reply: Reply, secs: u64) -> (ProbeError, Duration) {
    let fixture = Fixture::start(move |_| reply.clone());
    let started = Instant::now();
    let err = probe::measure(&ctx(secs), Kind::S3, &config(&fixture.url))
        .await
        .unwrap_err();
    (err, started.elapsed())
}

#[tokio::test]
async fn faults_fail_in_bounded_time_with_the_reason() {
    let (err, took) = failure(Reply::Hang, 1).await;
    assert_eq!(err.to_string(), "timed out after 1 s");
    assert!(took < Duration::from_secs(3), "{took:?}");
    let (err, took) = failure(
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
    let (err, _) = failure(
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
        let (err, _) = failure(Reply::xml(status, "<Error><Code>AccessDenied</Code><Message>Forbidden: bad signature</Message></Error>"), 5).await;
        assert_eq!(
            err.to_string(),
            format!("credentials rejected (HTTP {status}): Forbidden: bad signature")
        );
    }
    let (err, _) = failure(
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
    let (err, _) = failure(
        Reply::xml(
            500,
            "<Error><Code>InternalError</Code><Message>disk on fire</Message></Error>",
        ),
        5,
    )
    .await;
    assert_eq!(err.to_string(), "HTTP 500: disk on fire");
    let (err, _) = failure(Reply::xml(503, "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"), 5).await;
    assert!(err.to_string().contains("slow down"), "{err}");
}

#[tokio::test]
async fn body_over_the_cap_is_refused() {
    let fixture = Fixture::start(|_| {
        let sizes: Vec<(String, u64)> = (0..1000)
            .map(|i| (format!("a-long-key-name-{i:06}"), 1))
            .collect();
        Reply::xml(200, &page(&sizes, None))
    });
    let ctx = ProbeContext {
        http: Http::with_limit(Duration::from_secs(5), 8 * 1024).unwrap(),
        timeout: Duration::from_secs(5),
    };
    let err = probe::measure(&ctx, Kind::S3, &config(&fixture.url))
        .await
        .unwrap_err();
    assert_eq!(err.class(), "too_large", "{err}");
}

#[tokio::test]
async fn connection_refused_names_the_address() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = probe::measure(
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
}

#[test]
fn escape_sequences_in_an_error_never_reach_the_output() {
    let fixture = Fixture::start(|_| {
        Reply::xml(403, "<Error><Code>AccessDenied</Code><Message>no\u{1b}]0;pwned\u{7}\u{1b}[2J way</Message></Error>")
    });
    let home = support::home_with_backend("evil", Value::Object(config(&fixture.url)));
    for args in [
        vec!["status"],
        vec!["status", "--json"],
        vec!["backend", "test", "evil", "--json"],
    ] {
        let (_, out, err) = support::run_cli(home.path(), &args);
        if args[0] == "status" {
            // The listing's error body, cleaned; (HEAD, in the test, has no body to show).
            assert!(out.contains("no way"), "{out}");
        }
        for text in [&out, &err] {
            assert!(
                !text.contains('\u{1b}') && !text.contains('\u{7}'),
                "{args:?}: {text:?}"
            );
        }
    }
    let kept = std::fs::read_to_string(home.path().join("metadata/stats.evil.json")).unwrap();
    assert!(
        !kept.contains("\\u001b") && !kept.contains('\u{1b}'),
        "{kept}"
    );
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
    assert_eq!(report["error"]["class"], "credentials");
}
