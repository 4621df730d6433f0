//! Probes: "does it work?" (`test`) and "how is it doing?" (`measure`) for every backend kind.
//! The kind-specific code lives in each `backends::<kind>` module; this module holds what they
//! share (the HTTP client, errors, the test recorder) and runs one polling round.

pub mod error;
pub mod http;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use error::{clean, ProbeError};
pub use http::{Http, Reply};

use crate::backends::{self, Kind};
use crate::stats::{
    BackendStats, Health, HealthStatus, Measurement, Performance, Source, StatsReport,
};
use crate::store::{timestamp, BackendDoc, Store};

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

/// A secret field's value at use time (`env:NAME` read now).
pub fn secret(config: &Map<String, Value>, name: &str) -> Result<Option<String>, ProbeError> {
    match field(config, name) {
        Some(value) => backends::secret::resolve(name, value)
            .map(Some)
            .map_err(|e| ProbeError::Config(e.to_string())),
        None => Ok(None),
    }
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

/// The outcome of `backend test`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TestReport {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub ok: bool,
    pub steps: Vec<TestStep>,
    /// The failure, when there was one: `class` (dns, refused, timeout, credentials, ...) and
    /// `message`.
    pub error: Option<Value>,
    pub checked_at: String,
    pub elapsed_ms: f64,
    /// True when this is a kept result reused within the test TTL, not a new test.
    #[serde(default)]
    pub cached: bool,
}

fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 100_000.0).round() / 100.0
}

/// Measures one backend of `kind`.
pub async fn measure(
    ctx: &ProbeContext,
    kind: Kind,
    config: &Map<String, Value>,
) -> Result<Measurement, ProbeError> {
    match kind {
        Kind::Local => backends::local::measure(ctx, config).await,
        Kind::Ipfs => backends::ipfs::measure(ctx, config).await,
        Kind::IpfsCluster => backends::ipfs_cluster::measure(ctx, config).await,
        Kind::S3 => backends::s3::measure(ctx, config).await,
        Kind::HuggingFace => backends::huggingface::measure(ctx, config).await,
        Kind::Filecoin => backends::filecoin::measure(ctx, config).await,
        Kind::Rclone => backends::rclone::measure(ctx, config).await,
    }
}

/// Tests a config (saved or not): reachability, authentication, one real read.
pub async fn test(ctx: &ProbeContext, id: &str, config: &Map<String, Value>) -> TestReport {
    let started = Instant::now();
    let kind_name = config.get("type").and_then(Value::as_str).unwrap_or("");
    let mut run = TestRun::default();
    let result = match Kind::parse(kind_name) {
        Ok(kind) => {
            let work = async {
                match kind {
                    Kind::Local => backends::local::test(ctx, config, &mut run).await,
                    Kind::Ipfs => backends::ipfs::test(ctx, config, &mut run).await,
                    Kind::IpfsCluster => backends::ipfs_cluster::test(ctx, config, &mut run).await,
                    Kind::S3 => backends::s3::test(ctx, config, &mut run).await,
                    Kind::HuggingFace => backends::huggingface::test(ctx, config, &mut run).await,
                    Kind::Filecoin => backends::filecoin::test(ctx, config, &mut run).await,
                    Kind::Rclone => backends::rclone::test(ctx, config, &mut run).await,
                }
            };
            work.await
        }
        Err(err) => Err(ProbeError::Config(err.to_string())),
    };
    let error = result
        .as_ref()
        .err()
        .map(|err| serde_json::json!({"class": err.class(), "message": err.to_string()}));
    TestReport {
        id: id.to_string(),
        kind: clean(kind_name),
        ok: result.is_ok() && run.steps.iter().all(|s| s.ok),
        steps: run.steps,
        error,
        checked_at: timestamp::now(),
        elapsed_ms: millis(started.elapsed()),
        cached: false,
    }
}

/// The metadata key under which a backend's last stats are kept.
pub fn stats_key(id: &str) -> String {
    format!("stats.{id}")
}

/// Polls one backend once. On failure the last-known figures (`previous`) are kept, marked
/// stale, with the failure as the health message.
pub async fn poll(
    ctx: &ProbeContext,
    backend: &BackendDoc,
    previous: Option<BackendStats>,
) -> BackendStats {
    let now = timestamp::now();
    let mut stats = BackendStats {
        id: backend.id.clone(),
        kind: clean(backend.kind()),
        enabled: backend.enabled(),
        ..BackendStats::default()
    };
    if !backend.enabled() {
        stats.health = Health {
            status: HealthStatus::Disabled,
            message: Some("disabled in its config".into()),
            checked_at: None,
        };
        stats.source = Source::Live;
        return stats;
    }
    let kind = match Kind::parse(backend.kind()) {
        Ok(kind) => kind,
        Err(err) => {
            stats.health.message = Some(err.to_string());
            return stats;
        }
    };
    let started = Instant::now();
    let result = measure(ctx, kind, backend.config()).await;
    let elapsed = millis(started.elapsed());
    match result {
        Ok(measurement) => {
            stats.apply_live(measurement, &now);
            stats.performance = Performance::from_samples(&[(elapsed, true)]);
        }
        Err(err) => {
            if let Some(previous) = previous {
                stats.storage = previous.storage;
                stats.files = previous.files;
                stats.quota = previous.quota;
                stats.vital = previous.vital;
                stats.updated_at = previous.updated_at;
            }
            stats.apply_failure(HealthStatus::Down, err.to_string(), &now);
            stats.performance = Performance::from_samples(&[(elapsed, false)]);
        }
    }
    stats
}

/// One polling round over every backend, at most `parallel` at once; each result is written
/// to the store as `metadata/stats.ID.json` so the next start shows it at once.
pub async fn poll_round(store: &Store, ctx: &ProbeContext, parallel: usize) -> StatsReport {
    let listing = store.list_backends();
    let gate = Arc::new(tokio::sync::Semaphore::new(parallel.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, backend) in listing.backends.into_iter().enumerate() {
        let previous = store
            .read_metadata(&stats_key(&backend.id))
            .ok()
            .flatten()
            .and_then(|entry| serde_json::from_value::<BackendStats>(entry.value).ok());
        let ctx = ctx.clone();
        let gate = gate.clone();
        tasks.spawn(async move {
            // A closed semaphore cannot happen here (we never close it); poll anyway if it did.
            let _permit = gate.acquire_owned().await.ok();
            (index, poll(&ctx, &backend, previous).await)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(result) => results.push(result),
            Err(err) => eprintln!("warning: a probe task failed: {err}"),
        }
    }
    results.sort_by_key(|(index, _)| *index);
    let backends: Vec<BackendStats> = results.into_iter().map(|(_, stats)| stats).collect();
    for stats in &backends {
        match serde_json::to_value(stats) {
            Ok(value) => {
                if let Err(err) = store.write_metadata(&stats_key(&stats.id), value) {
                    eprintln!("warning: cannot keep the stats of '{}': {err}", stats.id);
                }
            }
            Err(err) => eprintln!("warning: cannot encode the stats of '{}': {err}", stats.id),
        }
    }
    StatsReport {
        generated_at: timestamp::now(),
        backends,
    }
}
