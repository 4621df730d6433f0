//! The toolkit every backend kind's probe is built from: the shared HTTP client, errors in
//! words a person can act on, numbers as backends really send them, the inventory budget and
//! the test recorder. It never names a kind: kinds live in `backends::<kind>`, and the one poll
//! implementation in `poll`.

pub mod error;
pub mod http;
pub mod list_count;
pub mod num;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use error::{clean, ErrorClass, ProbeError, CREDENTIALS_CLASS};
pub use http::{Cap, Http, Reply};
pub use list_count::ListCounter;

/// A probe's work: borrowed config and context, sent across the runtime's threads.
pub type ProbeFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProbeError>> + Send + 'a>>;

/// What a probe needs besides the config: the shared HTTP client and the time budget.
#[derive(Clone, Debug)]
pub struct ProbeContext {
    pub http: Http,
    pub timeout: Duration,
}

impl ProbeContext {
    pub fn new(timeout: Duration) -> Result<ProbeContext, ProbeError> {
        Ok(ProbeContext {
            http: Http::new(timeout)?,
            timeout,
        })
    }
}

/// What one inventory run may spend: a deadline and a number of requests. A run that reaches
/// either stops where it is, keeps what it counted, and (where the API allows it) says where
/// the next run goes on.
#[derive(Debug)]
pub struct Budget {
    deadline: Instant,
    max_requests: u64,
    spent: AtomicU64,
}

impl Budget {
    pub fn new(time: Duration, max_requests: u64) -> Budget {
        Budget {
            deadline: Instant::now() + time,
            max_requests,
            spent: AtomicU64::new(0),
        }
    }

    /// Takes one request from the budget; `false` when none is left or the time is up.
    pub fn take_request(&self) -> bool {
        if self.expired() {
            return false;
        }
        self.spent
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < self.max_requests).then_some(n + 1)
            })
            .is_ok()
    }

    pub fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Time left before the deadline.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// Requests taken so far.
    pub fn requests(&self) -> u64 {
        self.spent.load(Ordering::Relaxed)
    }
}

/// A call answered 404 or 405: an optional endpoint this server does not have (js-ipfs has
/// no `diag/healthy`, an older Kubo no `stats/bw`). The figure is "not reported", not a
/// failure.
pub fn not_offered(status: u16) -> bool {
    matches!(status, 404 | 405 | 501)
}

/// A text field of a config, if set and non-empty.
pub fn field<'a>(config: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    config
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A text field the probe cannot do without (the schema requires it; a hand-edited file may
/// still lack it).
pub fn required<'a>(config: &'a Map<String, Value>, name: &str) -> Result<&'a str, ProbeError> {
    field(config, name).ok_or_else(|| ProbeError::Config(format!("field '{name}' is not set")))
}

/// Puts a text figure from a backend into `vital`, cleaned; empty or absent stays out.
pub fn put_text(vital: &mut Map<String, Value>, key: &str, value: Option<&str>) {
    if let Some(value) = value.map(clean).filter(|v| !v.is_empty()) {
        vital.insert(key.into(), Value::String(value));
    }
}

/// Joins a base URL and a path without doubling or losing slashes.
pub fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

/// One step of a test, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestStep {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    /// Milliseconds.
    pub elapsed_ms: f64,
}

/// Records the steps of a test as they run; a kind's `test` stops at the first failure.
#[derive(Debug, Default)]
pub struct TestRun {
    pub steps: Vec<TestStep>,
}

impl TestRun {
    /// Runs one step; `describe` says what a success found (a version, a count, ...).
    pub async fn step<T>(
        &mut self,
        name: &str,
        work: impl Future<Output = Result<T, ProbeError>>,
        describe: impl FnOnce(&T) -> String,
    ) -> Result<T, ProbeError> {
        let started = Instant::now();
        let result = work.await;
        let elapsed_ms = millis(started.elapsed());
        let (ok, detail) = match &result {
            Ok(value) => (true, clean(&describe(value))),
            Err(err) => (false, err.to_string()),
        };
        self.steps.push(TestStep {
            name: name.to_string(),
            ok,
            detail,
            elapsed_ms,
        });
        result
    }
}

/// A write check's comparison: what was read back is what was written, or the error says how
/// it differs.
pub fn same_bytes(read: &[u8], written: &[u8]) -> Result<(), ProbeError> {
    if read == written {
        Ok(())
    } else {
        Err(ProbeError::Other(format!(
            "read {} bytes that differ from the {} written",
            read.len(),
            written.len()
        )))
    }
}

/// The outcome of `backend test`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TestReport {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub ok: bool,
    pub steps: Vec<TestStep>,
    /// The failure, when there was one.
    pub error: Option<TestFailure>,
    pub checked_at: String,
    pub elapsed_ms: f64,
    /// True when this is a kept result reused within the test TTL, not a new test.
    #[serde(default)]
    pub cached: bool,
}

/// Why a test failed, as `backend test --json` prints it and `test.ID` keeps it:
/// `{"class": "refused", "message": "connection refused by ..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestFailure {
    pub class: ErrorClass,
    pub message: String,
}

impl TestFailure {
    pub fn of(err: &ProbeError) -> TestFailure {
        TestFailure {
            class: err.error_class(),
            message: err.to_string(),
        }
    }
}

pub fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 100_000.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_failure_of_a_class_this_version_does_not_know_still_reads() {
        let kept = serde_json::json!({"class": "quantum", "message": "entangled"});
        let failure: TestFailure = serde_json::from_value(kept).unwrap();
        assert_eq!(failure.class, ErrorClass::Other);
        assert_eq!(failure.message, "entangled");
    }

    #[test]
    fn a_test_failure_is_the_json_it_was_as_a_value() {
        let errors = [
            ProbeError::Dns { host: "h".into() },
            ProbeError::Refused { addr: "a".into() },
            ProbeError::Timeout { secs: 5 },
            ProbeError::Tls { detail: "d".into() },
            ProbeError::Connect {
                addr: "a".into(),
                detail: "d".into(),
            },
            ProbeError::Unauthorized {
                status: 403,
                detail: String::new(),
            },
            ProbeError::NotFound {
                what: "w".into(),
                detail: String::new(),
            },
            ProbeError::RateLimited {
                retry_after_secs: Some(3),
            },
            ProbeError::Http {
                status: 500,
                detail: "d".into(),
            },
            ProbeError::unparsable("w", "d"),
            ProbeError::TooLarge {
                call: "c".into(),
                limit_bytes: 10,
                per_line: false,
            },
            ProbeError::Stream { detail: "d".into() },
            ProbeError::Config("c".into()),
            ProbeError::Io {
                path: "p".into(),
                detail: "d".into(),
            },
            ProbeError::Other("o".into()),
            ProbeError::Budget,
        ];
        for err in errors {
            // What `TestReport.error` held before it was typed, key order included.
            let before = serde_json::json!({"class": err.class(), "message": err.to_string()});
            let failure = TestFailure::of(&err);
            assert_eq!(
                serde_json::to_string(&failure).unwrap(),
                serde_json::to_string(&before).unwrap()
            );
            let kept: TestFailure = serde_json::from_value(before).unwrap();
            assert_eq!(kept, failure, "a kept result reads back");
        }
    }

    #[test]
    fn a_kept_report_reads_back_and_writes_the_same_json() {
        let kept = r#"{"id":"kubo","type":"ipfs","ok":false,"steps":[{"name":"reachable","ok":false,"detail":"connection refused by 127.0.0.1:5001","elapsed_ms":1.5}],"error":{"class":"refused","message":"connection refused by 127.0.0.1:5001"},"checked_at":"2026-01-02T03:04:05.000000+00:00","elapsed_ms":2.25,"cached":false}"#;
        let report: TestReport = serde_json::from_str(kept).unwrap();
        assert_eq!(
            report.error.as_ref().map(|e| e.class),
            Some(ErrorClass::Refused)
        );
        assert_eq!(serde_json::to_string(&report).unwrap(), kept);
        let passed = kept.replace(
            r#""error":{"class":"refused","message":"connection refused by 127.0.0.1:5001"}"#,
            r#""error":null"#,
        );
        let report: TestReport = serde_json::from_str(&passed).unwrap();
        assert_eq!(report.error, None);
        assert_eq!(serde_json::to_string(&report).unwrap(), passed);
    }
}
