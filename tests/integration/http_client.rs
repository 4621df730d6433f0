//! The shared HTTP client against the fixture server: caps, timeouts, trailers, streams.

use std::time::{Duration, Instant};

use ipfs_kit_tui::probe::http::ERROR_BODY_CAP;
use ipfs_kit_tui::probe::{Cap, Http, ProbeError};
use serde_json::json;

use crate::support;
use crate::support::{Fixture, Reply};

/// Caps as the kinds give them (the kinds' own are private to them).
const VERSION_CAP: Cap = Cap::kib("Kubo version", 64);
const PIN_LINE_CAP: Cap = Cap::kib("Kubo pin/ls", 4);

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
            VERSION_CAP,
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
        .send_lines(
            http.client().post(fixture.url.clone()),
            PIN_LINE_CAP,
            |_| {
                lines += 1;
                Ok(())
            },
        )
        .await
        .unwrap_err();
    assert_eq!(lines, 2);
    assert_eq!(err.class(), "stream");
    assert!(err.to_string().contains("context canceled"), "{err}");
    let reply = http
        .send(http.client().post(fixture.url.clone()), VERSION_CAP)
        .await
        .unwrap();
    assert!(
        reply.success_or("pins").is_err(),
        "a whole-body read sees the trailer too"
    );
}

fn too_large(cap: Cap, per_line: bool) -> ProbeError {
    ProbeError::TooLarge {
        call: cap.call.to_string(),
        limit_bytes: cap.bytes,
        per_line,
    }
}

#[tokio::test]
async fn an_answer_over_its_cap_with_a_length_is_refused_before_its_body() {
    // 8 MiB announced, then a byte every 50 ms: reading any of it would take the whole timeout.
    let fixture = Fixture::start(|_| Reply::Drip {
        status: 200,
        body: vec![b' '; 8 * 1024 * 1024],
        every: Duration::from_millis(50),
    });
    let http = http(5);
    let started = Instant::now();
    let err = http
        .send(http.client().get(fixture.url.clone()), VERSION_CAP)
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err, too_large(VERSION_CAP, false));
    assert_eq!(
        err.to_string(),
        "answer too large: Kubo version sent more than 64 KiB (its cap)"
    );
    // A whole answer over the cap, sent at once.
    let whole = Fixture::start(|_| Reply::text(200, &"x".repeat(2 * 1024 * 1024)));
    let err = http
        .send(http.client().get(whole.url.clone()), VERSION_CAP)
        .await
        .unwrap_err();
    assert_eq!(err, too_large(VERSION_CAP, false));
}

#[tokio::test]
async fn an_endless_answer_without_a_length_stops_at_its_cap() {
    // Chunked and never ending: only stopping at the cap ends the call before the timeout.
    let fixture = Fixture::start(|_| Reply::endless(200, &[b'x'; 16 * 1024]));
    let http = http(5);
    let started = Instant::now();
    let err = http
        .send(http.client().get(fixture.url.clone()), VERSION_CAP)
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err, too_large(VERSION_CAP, false));
    // Within its cap, the same chunked framing is read whole.
    let chunked = Fixture::start(|_| Reply::Chunked {
        status: 200,
        headers: vec![],
        chunks: vec![vec![b'x'; 40 * 1024], vec![b'x'; 24 * 1024]],
        trailers: vec![],
    });
    let reply = http
        .send(http.client().get(chunked.url.clone()), VERSION_CAP)
        .await
        .unwrap();
    assert_eq!(reply.body.len(), 64 * 1024);
}

#[tokio::test]
async fn an_endless_line_fails_at_the_line_cap() {
    let line_cap = Cap::kib("Cluster /peers", 128);
    let fixture = Fixture::start(|_| {
        Reply::endless(
            200,
            b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        )
        .with_header("Trailer", "X-Stream-Error")
    });
    let http = http(5);
    let started = Instant::now();
    let mut lines = 0;
    let err = http
        .send_lines(http.client().get(fixture.url.clone()), line_cap, |_| {
            lines += 1;
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(lines, 0);
    assert_eq!(err, too_large(line_cap, true));
    assert_eq!(
        err.to_string(),
        "answer too large: a line of Cluster /peers is longer than 128 KiB (its cap)"
    );
}

#[tokio::test]
async fn an_error_body_is_cut_small() {
    // A 500 whose body never ends: only its start is read, and the status is the answer.
    let fixture = Fixture::start(|request| match request.path.as_str() {
        "/lines" => Reply::endless(500, b"{\"Message\":\"boom\"} and on and on "),
        _ => Reply::endless(500, &[b'e'; 4096]),
    });
    let http = http(5);
    let started = Instant::now();
    let reply = http
        .send(http.client().get(fixture.url.clone()), VERSION_CAP)
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(reply.status, 500);
    assert_eq!(reply.body.len(), ERROR_BODY_CAP);
    let err = http
        .send_lines(
            http.client().get(format!("{}/lines", fixture.url)),
            VERSION_CAP,
            |_| Ok(()),
        )
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(err.class(), "http", "{err}");
    assert!(
        err.to_string()
            .starts_with("HTTP 500: {\"Message\":\"boom\"}"),
        "{err}"
    );
    // An error answer is never refused for its size: its status says what happened.
    let long = Fixture::start(|_| Reply::json(404, json!({"message": "x".repeat(1 << 20)})));
    let reply = http
        .send(http.client().get(long.url.clone()), VERSION_CAP)
        .await
        .unwrap();
    assert_eq!(reply.status, 404);
    assert!(reply.body.len() <= ERROR_BODY_CAP);
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
            .send(http.client().get(fixture.url.clone()), VERSION_CAP)
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
    let port = support::free_port();
    let http = http(2);
    let err = http
        .send(
            http.client().get(format!("http://127.0.0.1:{port}/")),
            VERSION_CAP,
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ProbeError::Refused {
            addr: format!("127.0.0.1:{port}")
        }
    );
    let err = http
        .send(
            http.client().get("http://no-such-host.invalid/"),
            VERSION_CAP,
        )
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
    let get = |path: &str| {
        http.send(
            http.client().get(format!("{}{path}", fixture.url)),
            VERSION_CAP,
        )
    };
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
