//! `metrics` (the headless exporter: the engine, and /metrics or a textfile) and
//! `status --openmetrics` (one round, printed as the exporter serves it).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::status::{runtime, PARALLEL_PROBES};
use super::{CliError, CliResult};
use crate::api::{Api, EngineOptions};
use crate::metrics::{self, textfile, Format, Snapshot};
use crate::monitor::tally::{PollResult, PollTally};
use crate::signals::StopSignals;
use crate::stats::{BackendStats, HealthStatus};
use crate::store::Store;

fn rendered(snapshot: &Snapshot, format: Format) -> Result<String, CliError> {
    metrics::render(snapshot, format).map_err(|e| CliError::failure(e.to_string()))
}

/// `status --openmetrics [--check]`: one round (as `status`), printed in OpenMetrics text; the
/// poll counters and durations are the round's own (one poll per polled backend).
pub fn status_openmetrics(store: &Store, check: bool) -> CliResult {
    let api = Api::new(store.clone());
    let (report, times) = runtime()?.block_on(api.poll_round(PARALLEL_PROBES))?;
    let mut tallies: BTreeMap<String, PollTally> = BTreeMap::new();
    for (stats, elapsed) in report.backends.iter().zip(times) {
        if let Some(elapsed) = elapsed {
            let (secs, result) = observed_poll(stats, elapsed);
            tallies
                .entry(stats.id.clone())
                .or_default()
                .observe(secs, result);
        }
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

/// How one poll of the round ended and how long its pulse took. A poll that answered may have
/// run an inventory after its pulse: its pulse time is the one the stats measured. One that
/// failed ran nothing else, so the time around it is the pulse's.
fn observed_poll(stats: &BackendStats, elapsed_secs: f64) -> (f64, PollResult) {
    let result = match stats.health.failure.as_deref() {
        None if stats.health.status != HealthStatus::Down => PollResult::Ok,
        class => PollResult::of_failure(class.unwrap_or_default()),
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
    // Settings that do not read stop here, before anything is bound or polled.
    let settings = Api::new(store.clone()).settings()?;
    let every = Duration::from_secs(refresh.unwrap_or(settings.refresh_secs()).max(1));
    runtime()?.block_on(async move {
        // Bound before the engine starts: an address in use stops here, having polled nothing.
        let listener = match textfile {
            Some(_) => None,
            None => Some(bind(listen).await?),
        };
        let engine = EngineOptions {
            refresh: refresh.map(Duration::from_secs),
            ..EngineOptions::default()
        };
        // Listening before anything else: a signal from here on is never lost.
        let mut stops = StopSignals::new()
            .map_err(|e| CliError::failure(format!("cannot listen for signals: {e}")))?;
        let api = Arc::new(Api::start(store, engine)?);
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
                metrics::http::serve(listener, source, stops.recv()).await;
                Ok(())
            }
            (None, Some(dir)) => write_textfiles(&api, dir, every, &mut stops).await,
            (None, None) => Ok(()),
        };
        match Arc::try_unwrap(api) {
            Ok(api) => super::status::report_unsaved(
                api.shutdown_within(Some(super::status::SHUTDOWN_LIMIT))
                    .await,
            ),
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
async fn write_textfiles(
    api: &Api,
    dir: &Path,
    every: Duration,
    stops: &mut StopSignals,
) -> CliResult {
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
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(err) = write() {
                    eprintln!("warning: {}", err.message);
                }
            }
            () = stops.recv() => break,
        }
    }
    write()
}
