//! `metrics` (the headless exporter: the engine, and /metrics or a textfile) and
//! `status --openmetrics` (one round, printed as the exporter serves it).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{CliError, CliResult};
use crate::api::Api;
use crate::metrics::{self, textfile, Format, Snapshot};
use crate::monitor::tally::{PollResult, PollTally};
use crate::monitor::{LiveProber, Monitor, MonitorConfig};
use crate::probe::ProbeContext;
use crate::stats::{BackendStats, HealthStatus, StatsReport};
use crate::store::{timestamp, Store};

/// Probes in flight at once during one `status --openmetrics` round (as `status`).
const PARALLEL_PROBES: usize = 16;

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))
}

fn context(store: &Store) -> Result<ProbeContext, CliError> {
    let settings = store.settings()?;
    ProbeContext::new(Duration::from_secs(settings.timeout_secs()))
        .map_err(|e| CliError::failure(e.to_string()))
}

fn rendered(snapshot: &Snapshot, format: Format) -> Result<String, CliError> {
    metrics::render(snapshot, format).map_err(|e| CliError::failure(e.to_string()))
}

/// `status --openmetrics [--check]`: one round (as `status`), printed in OpenMetrics text; the
/// poll counters and durations are the round's own (one poll per polled backend).
pub fn status_openmetrics(store: &Store, check: bool) -> CliResult {
    let ctx = context(store)?;
    let (mut report, tallies) = runtime()?.block_on(timed_round(store, &ctx));
    let quota_alert_percent = store.settings()?.quota_alert_percent();
    for backend in &mut report.backends {
        if !backend.enabled || backend.source != crate::stats::Source::Live {
            continue;
        }
        let credentials = backend.health.failure.as_deref() == Some("credentials");
        let alerts = crate::monitor::alerts::of_one_poll(backend, quota_alert_percent, credentials);
        backend.set_alerts(alerts);
    }
    let down: Vec<String> = report
        .backends
        .iter()
        .filter(|b| b.enabled && b.health.status == HealthStatus::Down)
        .map(|b| b.id.clone())
        .collect();
    let snapshot = Snapshot::of_stats(report.backends, tallies);
    print!("{}", rendered(&snapshot, Format::OpenMetrics)?);
    if check && !down.is_empty() {
        return Err(CliError::failure(format!("down: {}", down.join(", "))));
    }
    Ok(())
}

/// One polling round as `poll::poll_round` does it (each backend's `poll::poll`, at most
/// `PARALLEL_PROBES` at once, the results kept in the store), timing each poll for the
/// exposition's counters and histogram.
async fn timed_round(
    store: &Store,
    ctx: &ProbeContext,
) -> (StatsReport, BTreeMap<String, PollTally>) {
    let listing = store.list_backends();
    let settings = store.settings().unwrap_or_default();
    let gate = Arc::new(tokio::sync::Semaphore::new(PARALLEL_PROBES));
    let inventories = Arc::new(tokio::sync::Semaphore::new(
        crate::poll::INVENTORIES_AT_ONCE,
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, backend) in listing.backends.into_iter().enumerate() {
        let previous = store
            .read_metadata(&crate::poll::stats_key(&backend.id))
            .ok()
            .flatten()
            .and_then(|entry| serde_json::from_value::<BackendStats>(entry.value).ok());
        let (ctx, gate, inventories) = (ctx.clone(), gate.clone(), inventories.clone());
        let (store, settings) = (store.clone(), settings.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await.ok();
            let polled = crate::poll::unpolled_health(&backend).is_none()
                && crate::backends::Kind::parse(backend.kind()).is_ok();
            let started = Instant::now();
            let stats =
                crate::poll::poll(&store, &ctx, &settings, &backend, previous, &inventories).await;
            let elapsed = started.elapsed().as_secs_f64();
            let observed = polled.then(|| observed_poll(&stats, elapsed));
            (index, stats, observed)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(result) => results.push(result),
            Err(err) => eprintln!("warning: a probe task failed: {err}"),
        }
    }
    results.sort_by_key(|(index, _, _)| *index);
    let mut tallies = BTreeMap::new();
    let mut backends = Vec::new();
    for (_, stats, observed) in results {
        if let Some((secs, result)) = observed {
            let tally: &mut PollTally = tallies.entry(stats.id.clone()).or_default();
            tally.observe(secs, result);
        }
        match serde_json::to_value(&stats) {
            Ok(value) => {
                if let Err(err) = store.write_metadata(&crate::poll::stats_key(&stats.id), value) {
                    eprintln!("warning: cannot keep the stats of '{}': {err}", stats.id);
                }
            }
            Err(err) => eprintln!("warning: cannot encode the stats of '{}': {err}", stats.id),
        }
        backends.push(stats);
    }
    let report = StatsReport {
        generated_at: timestamp::now(),
        backends,
    };
    (report, tallies)
}

/// How one poll of the round ended and how long its pulse took. A poll that answered may have
/// run an inventory after its pulse: its pulse time is the one the stats measured. One that
/// failed ran nothing else, so the time around it is the pulse's.
fn observed_poll(stats: &BackendStats, elapsed_secs: f64) -> (f64, PollResult) {
    let result = match stats.health.failure.as_deref() {
        None if stats.health.status != HealthStatus::Down => PollResult::Ok,
        Some("timeout") => PollResult::Timeout,
        Some("dns" | "refused" | "tls" | "connect") => PollResult::Unreachable,
        Some("credentials") => PollResult::Unauthorized,
        _ => PollResult::Error,
    };
    let secs = match result {
        PollResult::Ok => stats
            .performance
            .avg_response_time
            .map_or(elapsed_secs, |ms| (ms * 1000.0).round() / 1_000_000.0),
        _ => elapsed_secs,
    };
    (secs, result)
}

/// `metrics`: the engine runs headless (as in the console) and its figures are served at
/// `listen`'s /metrics, or written to `textfile/ipfs_kit.prom` after each round.
pub fn run(
    store: Store,
    listen: SocketAddr,
    textfile: Option<PathBuf>,
    refresh: Option<u64>,
) -> CliResult {
    if let Some(dir) = &textfile {
        textfile::check_dir(dir).map_err(|err| match err {
            textfile::TextfileError::NotADirectory(_) => CliError::usage(err.to_string()),
            textfile::TextfileError::Write { .. } => CliError::failure(err.to_string()),
        })?;
    }
    let ctx = context(&store)?;
    let every = Duration::from_secs(refresh.unwrap_or(store.settings()?.refresh_secs()).max(1));
    runtime()?.block_on(async move {
        // Bound before the engine starts: an address in use stops here, having polled nothing.
        let listener = match textfile {
            Some(_) => None,
            None => Some(bind(listen).await?),
        };
        let config = MonitorConfig {
            refresh_override: refresh.map(Duration::from_secs),
            ..MonitorConfig::default()
        };
        let monitor = Monitor::start(store.clone(), Arc::new(LiveProber { ctx }), config);
        let api = Arc::new(Api::with_monitor(store, monitor));
        let outcome = match (listener, &textfile) {
            (Some(listener), _) => {
                let url = listener
                    .local_addr()
                    .map_or_else(|_| listen.to_string(), |addr| addr.to_string());
                eprintln!("serving http://{url}/metrics");
                let source = {
                    let api = api.clone();
                    move || Snapshot::of_api(&api)
                };
                metrics::http::serve(listener, source, stop_signal()).await;
                Ok(())
            }
            (None, Some(dir)) => write_textfiles(&api, dir, every).await,
            (None, None) => Ok(()),
        };
        match Arc::try_unwrap(api) {
            Ok(api) => api.shutdown().await,
            // Every connection is closed by now; were one left, the monitor still stops when
            // dropped (without its last flush).
            Err(_) => eprintln!("warning: the engine stopped without its last flush"),
        }
        outcome
    })
}

async fn bind(listen: SocketAddr) -> Result<tokio::net::TcpListener, CliError> {
    tokio::net::TcpListener::bind(listen).await.map_err(|err| {
        let reason = match err.kind() {
            std::io::ErrorKind::AddrInUse => "the address is already in use".to_string(),
            std::io::ErrorKind::AddrNotAvailable => {
                "no interface of this machine has that address".to_string()
            }
            std::io::ErrorKind::PermissionDenied => {
                "permission denied (ports below 1024 need privileges)".to_string()
            }
            _ => err.to_string(),
        };
        CliError::failure(format!("cannot listen on {listen}: {reason}"))
    })
}

/// Writes the classic exposition to `dir/ipfs_kit.prom` every `every` (the polls' interval)
/// and once more when stopped. A write that fails is said and tried again next time.
async fn write_textfiles(api: &Api, dir: &Path, every: Duration) -> CliResult {
    eprintln!(
        "writing {} every {} s",
        dir.join(textfile::FILE_NAME).display(),
        every.as_secs()
    );
    let write = || -> CliResult {
        let text = rendered(&Snapshot::of_api(api), Format::Classic)?;
        textfile::write(dir, &text).map_err(|e| CliError::failure(e.to_string()))?;
        Ok(())
    };
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is at once: the first polls spread over one interval, so wait for them.
    tick.tick().await;
    let stop = stop_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(err) = write() {
                    eprintln!("warning: {}", err.message);
                }
            }
            () = &mut stop => break,
        }
    }
    write()
}

/// Completes on SIGINT or SIGTERM.
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
