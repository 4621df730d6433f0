//! The shared HTTP client against the fixture server: caps, timeouts, trailers, streams.

// Test and bench code may panic: a panic there is a failure with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use ipfs_kit_tui::probe::{Http, ProbeError};
use serde_json::json;
use support::{Fixture, Reply};

fn http(timeout_secs: u64) -> Http {
    Http::new(Duration::from_secs(timeout_secs)).unwrap()
}

#[tokio::test]
async fn sends_user_agent_and_no_origin() {
    let fixture = Fixture::start(|_| Reply::json(200, json!({"Version": "0.32.1"})));
    let http = http(5);
    let reply = http
        .send(
            http.client()
                .post(format!("{}/api/v0/version", fixture.url)),
        )
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    let request = &fixture.requests()[0];
    assert!(request
        .header("user-agent")
        .unwrap()
        .starts_with("ipfs-kit-tui/"));
    assert!(request.header("origin").is_none());
}

#[tokio::test]
async fn trailer_error_after_200_is_reported() {
    let fixture = Fixture::start(|_| {
        Reply::ndjson(
            &[
                json!({"Cid": "a", "Type": "recursive"}),
                json!({"Cid": "b", "Type": "recursive"}),
            ],
            vec![("X-Stream-Error".into(), "context canceled".into())],
        )
    });
    let http = http(5);
    let mut lines = 0;
    let err = http
        .send_lines(http.client().post(fixture.url.clone()), |_| {
            lines += 1;
            Ok(())
        })
        .await
        .unwrap_err();
    assert_eq!(lines, 2);
    assert_eq!(err.class(), "stream");
    assert!(err.to_string().contains("context canceled"), "{err}");
    let reply = http
        .send(http.client().post(fixture.url.clone()))
        .await
        .unwrap();
    assert!(
        reply.success_or("pins").is_err(),
        "a whole-body read sees the trailer too"
    );
}

#[tokio::test]
async fn body_over_the_cap_fails_without_reading_it_all() {
    let fixture = Fixture::start(|_| Reply::text(200, &"x".repeat(2 * 1024 * 1024)));
    let http = Http::with_limit(Duration::from_secs(5), 1024 * 1024).unwrap();
    let err = http
        .send(http.client().get(fixture.url.clone()))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ProbeError::TooLarge {
            limit_bytes: 1024 * 1024
        }
    );
    // Chunked, so no Content-Length gives it away early.
    let chunked = Fixture::start(|_| Reply::Chunked {
        status: 200,
        headers: vec![],
        chunks: vec![vec![b'x'; 600 * 1024], vec![b'x'; 600 * 1024]],
        trailers: vec![],
    });
    let err = http
        .send(http.client().get(chunked.url.clone()))
        .await
        .unwrap_err();
    assert_eq!(err.class(), "too_large");
}

#[tokio::test]
async fn hang_and_drip_time_out_in_bounded_time() {
    for reply in [
        Reply::Hang,
        Reply::Drip {
            status: 200,
            body: vec![b' '; 10_000],
            every: Duration::from_millis(100),
        },
    ] {
        let fixture = Fixture::start(move |_| reply.clone());
        let http = http(1);
        let started = Instant::now();
        let err = http
            .send(http.client().get(fixture.url.clone()))
            .await
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(err, ProbeError::Timeout { secs: 1 }, "{err}");
    }
}

#[tokio::test]
async fn refused_and_unresolvable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let http = http(2);
    let err = http
        .send(http.client().get(format!("http://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ProbeError::Refused {
            addr: format!("127.0.0.1:{port}")
        }
    );
    let err = http
        .send(http.client().get("http://no-such-host.invalid/"))
        .await
        .unwrap_err();
    assert_eq!(err.class(), "dns", "{err}");
}

#[tokio::test]
async fn status_codes_map_to_reasons() {
    let fixture = Fixture::start(|request| {
        match request.path.as_str() {
        "/401" => Reply::json(401, json!({"code": 401, "message": "invalid token"})),
        "/403" => Reply::text(403, "403 - Forbidden"),
        "/404" => Reply::xml(404, "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>"),
        "/429" => Reply::json(429, json!({"error": "slow down"})).with_header("RateLimit", "\"api\";r=0;t=42"),
        _ => Reply::json(500, json!({"Message": "boom", "Code": 0, "Type": "error"})),
    }
    });
    let http = http(2);
    let get = |path: &str| http.send(http.client().get(format!("{}{path}", fixture.url)));
    let err = get("/401").await.unwrap().success_or("x").unwrap_err();
    assert_eq!(
        err.to_string(),
        "credentials rejected (HTTP 401): invalid token"
    );
    let err = get("/403").await.unwrap().success_or("x").unwrap_err();
    assert_eq!(err.class(), "credentials");
    let err = get("/404")
        .await
        .unwrap()
        .success_or("bucket 'media'")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "bucket 'media' not found (HTTP 404): The specified bucket does not exist"
    );
    let err = get("/429").await.unwrap().success_or("x").unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(42)));
    let err = get("/500").await.unwrap().success_or("x").unwrap_err();
    assert_eq!(err.to_string(), "HTTP 500: boom");
}
