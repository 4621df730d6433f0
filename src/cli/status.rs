//! `status` (one polling round) and `backend test`.

use std::time::Duration;

use super::{CliError, CliResult};
use crate::api::{Api, ApiInventoryError, EngineOptions};
use crate::monitor::Event;
use crate::poll::InventoryError;
use crate::probe::TestReport;
use crate::signals::StopSignals;
use crate::stats::{BackendStats, HealthStatus, StatsReport};
use crate::stats::{InventoryRecord, InventoryState};
use crate::store::{timestamp, Store};
use crate::text::{bytes, sanitize, table};

/// Probes in flight at once during one `status` round.
pub(super) const PARALLEL_PROBES: usize = 16;

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the async runtime: {e}")))
}

pub fn status(store: &Store, as_json: bool, check: bool) -> CliResult {
    let api = Api::new(store.clone());
    let (report, _) = runtime()?.block_on(api.poll_round(PARALLEL_PROBES))?;
    if as_json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", status_table(&report));
    }
    let down: Vec<&str> = report
        .backends
        .iter()
        .filter(|b| b.enabled && b.health.status == HealthStatus::Down)
        .map(|b| b.id.as_str())
        .collect();
    if check && !down.is_empty() {
        return Err(CliError::failure(format!("down: {}", down.join(", "))));
    }
    Ok(())
}

/// The health as a symbol and a word: never colour alone.
pub fn health_label(status: HealthStatus) -> &'static str {
    match status {
        HealthStatus::Healthy => "✓ healthy",
        HealthStatus::Degraded => "! degraded",
        HealthStatus::Warning => "▲ warning",
        HealthStatus::Full => "■ full",
        HealthStatus::Down => "✗ down",
        HealthStatus::Unknown => "? unknown",
        HealthStatus::Disabled => "- disabled",
        HealthStatus::Unsupported => "· unsupported",
    }
}

fn or_unknown(value: Option<String>) -> String {
    value.unwrap_or_else(|| "?".into())
}

/// ` (12m old)` after a figure kept from an earlier read.
fn kept_suffix(as_of: Option<&str>) -> String {
    as_of
        .and_then(crate::store::timestamp::ago)
        .map(|age| format!(" (as of {age})"))
        .unwrap_or_default()
}

fn used_cell(stats: &BackendStats) -> String {
    let cell = used_cell_now(stats);
    if cell == "?" {
        cell
    } else {
        format!("{cell}{}", kept_suffix(stats.storage.as_of.as_deref()))
    }
}

fn used_cell_now(stats: &BackendStats) -> String {
    let storage = &stats.storage;
    if let (Some(used), Some(available)) = (storage.used, storage.available) {
        // A filesystem: used (its fullness as df counts it) and free of what is usable, the
        // disk's size apart: used + available is not the size of the disk.
        let mut phrases =
            crate::text::filesystem_phrases(used, available, storage.total).into_iter();
        let used = phrases.next().unwrap_or_default();
        let percent = or_unknown(storage.usage_percent.map(|p| format!("{p:.1}%")));
        let rest: Vec<String> = phrases.collect();
        return format!("{used} ({percent}) · {}", rest.join(" "));
    }
    match (stats.storage.used, stats.storage.total) {
        (Some(used), Some(total)) => format!(
            "{} / {} ({}%)",
            bytes(used),
            bytes(total),
            or_unknown(stats.storage.usage_percent.map(|p| format!("{p:.1}")))
        ),
        (Some(used), None) => bytes(used),
        _ => "?".into(),
    }
}

fn quota_cell(stats: &BackendStats) -> String {
    let cell = quota_cell_now(stats);
    let kind = match stats.quota.source {
        Some(crate::stats::QuotaSource::GcThreshold) => " GC threshold",
        Some(crate::stats::QuotaSource::Soft) => " soft",
        _ => "",
    };
    if cell == "?" {
        cell
    } else {
        format!("{cell}{kind}{}", kept_suffix(stats.quota.as_of.as_deref()))
    }
}

fn quota_cell_now(stats: &BackendStats) -> String {
    match (stats.quota.used, stats.quota.limit) {
        (Some(used), Some(limit)) => format!(
            "{} / {} ({}%)",
            bytes(used),
            bytes(limit),
            or_unknown(crate::stats::percent(Some(used), Some(limit)).map(|p| format!("{p:.1}")))
        ),
        (_, None) => "?".into(),
        (None, Some(limit)) => format!("? / {}", bytes(limit)),
    }
}

fn status_table(report: &StatsReport) -> String {
    let rows: Vec<Vec<String>> = report
        .backends
        .iter()
        .map(|b| {
            let files = b.files.describe();
            let stale = if b.stale { " (stale)" } else { "" };
            // Alerts held: said beside the health, with the time left.
            let maintenance = b
                .maintenance
                .as_ref()
                .map(|window| {
                    let left = window
                        .left(chrono::Utc::now())
                        .map_or_else(|| "?".into(), crate::store::maintenance::span_left);
                    format!(" · maintenance {left}")
                })
                .unwrap_or_default();
            vec![
                b.id.clone(),
                b.kind.clone(),
                format!("{}{stale}{maintenance}", health_label(b.health.status)),
                or_unknown(
                    b.performance
                        .avg_response_time
                        .map(|ms| format!("{ms:.0} ms")),
                ),
                used_cell(b),
                quota_cell(b),
                b.forecast
                    .as_ref()
                    .map(|f| f.label(crate::monitor::unix_now()))
                    .unwrap_or_default(),
                files,
                sanitize(b.health.message.as_deref().unwrap_or(""), 80),
            ]
        })
        .collect();
    if rows.is_empty() {
        return "no backends configured\n".into();
    }
    table(
        &[
            "ID", "TYPE", "HEALTH", "RESPONSE", "USED", "QUOTA", "FULL IN", "FILES", "MESSAGE",
        ],
        &rows,
    )
}

pub fn test(api: &Api, id: &str, as_json: bool, cached: bool, write: bool) -> CliResult {
    let reuse_within = if cached {
        Duration::from_secs(api.settings()?.test_ttl_secs())
    } else {
        Duration::ZERO
    };
    let report = if write {
        runtime()?.block_on(api.test_backend_writing(id))?
    } else {
        runtime()?.block_on(api.test_backend(id, reuse_within))?
    };
    if as_json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", test_text(&report));
    }
    if report.ok {
        Ok(())
    } else {
        // The steps above already say why; the exit code says "failed".
        Err(CliError::failure(format!(
            "test of '{id}' failed: {}",
            report
                .error
                .as_ref()
                .map_or("a step failed", |e| e.message.as_str())
        )))
    }
}

/// `backend inventory ID`: one inventory run now, kept in the store.
pub fn inventory(api: &Api, id: &str, as_json: bool) -> CliResult {
    let record = runtime()?.block_on(api.run_inventory(id)).map_err(|err| {
        let bad_input = match &err {
            ApiInventoryError::Store(err) => err.is_bad_input(),
            ApiInventoryError::Inventory(err) => matches!(
                err,
                InventoryError::Disabled(_)
                    | InventoryError::NothingToCount(_)
                    | InventoryError::UnknownKind(_)
            ),
            ApiInventoryError::Probe(_) | ApiInventoryError::NoMonitor => false,
        };
        let message = sanitize(&err.to_string(), 1000);
        if bad_input {
            CliError::usage(message)
        } else {
            CliError::failure(message)
        }
    })?;
    if as_json {
        let text = serde_json::to_string_pretty(&record)
            .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", inventory_text(id, &record));
    }
    match record
        .last_run
        .as_ref()
        .map(|r| (r.outcome, r.error.clone()))
    {
        Some((InventoryState::Failed, error)) => Err(CliError::failure(format!(
            "inventory of '{id}' failed: {}",
            error.unwrap_or_default()
        ))),
        _ => Ok(()),
    }
}

fn inventory_text(id: &str, record: &InventoryRecord) -> String {
    let mut out = String::new();
    if let Some(run) = &record.last_run {
        let outcome = match run.outcome {
            InventoryState::Complete => "complete",
            InventoryState::Partial => "partial (the budget ran out; this API cannot resume)",
            InventoryState::Counting => "counting (the budget ran out; the next run goes on)",
            InventoryState::Failed => "failed",
        };
        out.push_str(&format!(
            "inventory of '{id}': {outcome}, {} request{}, {:.1} s\n",
            run.requests,
            if run.requests == 1 { "" } else { "s" },
            run.elapsed_ms / 1000.0
        ));
        if let Some(error) = &run.error {
            out.push_str(&format!("  problem: {}\n", sanitize(error, 300)));
        }
    }
    if let Some((figures, _)) = record.shown() {
        let files = figures.files;
        let mut rows = vec![vec!["files".to_string(), files.describe()]];
        if let Some(bytes_total) = files.bytes {
            rows.push(vec!["bytes".into(), bytes(bytes_total)]);
        }
        if let Some(largest) = files.largest {
            rows.push(vec!["largest".into(), bytes(largest)]);
        }
        for (key, value) in &figures.vital {
            let shown = match value {
                serde_json::Value::String(text) => sanitize(text, 80),
                other => sanitize(&other.to_string(), 80),
            };
            rows.push(vec![sanitize(key, 40), shown]);
        }
        out.push_str(&table(&["FIGURE", "VALUE"], &rows));
    }
    if let Some(progress) = &record.progress {
        out.push_str(&format!(
            "a count started {} is under way: {} so far, {} requests\n",
            sanitize(&progress.started_at, 40),
            progress.figures.files.describe(),
            progress.requests
        ));
    }
    out
}

/// How long a command stopped by a signal may take to write what it holds: it ends within a
/// second, whatever the disk is doing.
pub(super) const SHUTDOWN_LIMIT: Duration = Duration::from_millis(900);

/// Says on standard error what a shutdown could not write.
pub(super) fn report_unsaved(unsaved: crate::monitor::writer::Unsaved) {
    if let Some(trouble) = unsaved {
        eprintln!(
            "warning: {} writes could not be saved: {}",
            trouble.held, trouble.reason
        );
    }
}

/// The engine's next event; `None` once it has stopped announcing (then never again).
async fn next_event(events: &mut Option<tokio::sync::broadcast::Receiver<Event>>) -> Option<Event> {
    let Some(receiver) = events else {
        return std::future::pending().await;
    };
    loop {
        match receiver.recv().await {
            Ok(event) => return Some(event),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        }
    }
}

/// `status --watch SECS`: the monitor runs in this process; a compact table every SECS.
pub fn watch(store: Store, secs: u64, refresh: Option<u64>) -> CliResult {
    // Settings that do not read stop here, before anything is polled.
    Api::new(store.clone()).settings()?;
    runtime()?.block_on(async move {
        let engine = EngineOptions {
            refresh: refresh.map(Duration::from_secs),
            ..EngineOptions::default()
        };
        // Listening before anything else: a Ctrl-C from here on is never lost.
        let mut stops = StopSignals::new()
            .map_err(|e| CliError::failure(format!("cannot listen for signals: {e}")))?;
        let api = Api::start(store, engine)?;
        let mut events = api.subscribe();
        let mut tick = tokio::time::interval(Duration::from_secs(secs));
        // The first table would show only last-known figures: give the first polls a moment.
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    let report = StatsReport { generated_at: timestamp::now(), backends: api.all_stats() };
                    println!("-- {} --", chrono::Local::now().format("%H:%M:%S"));
                    print!("{}", status_table(&report));
                }
                event = next_event(&mut events) => match event {
                    Some(Event::HomeTrouble(trouble)) => eprintln!(
                        "warning: cannot write the home ({} writes held in memory, tried again every {} s): {}",
                        trouble.held,
                        crate::monitor::writer::RETRY_EVERY.as_secs(),
                        trouble.reason
                    ),
                    Some(Event::HomeWritable) => eprintln!("the home can be written again; everything held was written"),
                    Some(Event::Maintenance(event)) => eprintln!("{}", event.describe()),
                    Some(_) => {}
                    None => events = None,
                },
                () = stops.recv() => break,
            }
        }
        report_unsaved(api.shutdown_within(Some(SHUTDOWN_LIMIT)).await);
        Ok(())
    })
}

pub fn alerts(store: &Store, as_json: bool) -> CliResult {
    let alerts = Api::new(store.clone()).alerts();
    if as_json {
        let text = serde_json::to_string_pretty(&alerts)
            .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
        println!("{text}");
        return Ok(());
    }
    if alerts.is_empty() {
        println!("no alerts");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = alerts
        .iter()
        .map(|a| {
            vec![
                if a.cleared_at.is_some() {
                    "cleared"
                } else {
                    "ACTIVE"
                }
                .to_string(),
                sanitize(&a.backend, 64),
                // The rule as every other output writes it (`error_rate`, as in --json and hooks).
                a.rule.as_str().to_string(),
                sanitize(&a.raised_at, 40),
                sanitize(a.cleared_at.as_deref().unwrap_or(""), 40),
                sanitize(&a.message, 120),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["STATE", "BACKEND", "RULE", "RAISED", "CLEARED", "MESSAGE"],
            &rows
        )
    );
    Ok(())
}

fn test_text(report: &TestReport) -> String {
    let rows: Vec<Vec<String>> = report
        .steps
        .iter()
        .map(|step| {
            vec![
                if step.ok { "✓ pass" } else { "✗ fail" }.to_string(),
                step.name.clone(),
                format!("{:.0} ms", step.elapsed_ms),
                step.detail.clone(),
            ]
        })
        .collect();
    let mut out = table(&["RESULT", "STEP", "TIME", "DETAIL"], &rows);
    if report.ok {
        out.push_str(&format!(
            "PASS {} ({}) in {:.0} ms\n",
            report.id, report.kind, report.elapsed_ms
        ));
    }
    if report.cached {
        let age = crate::store::timestamp::parse(&report.checked_at)
            .map(|at| crate::text::age(crate::store::timestamp::age_secs(&at)))
            .unwrap_or_else(|| "at an unknown time".into());
        out.push_str(&format!(
            "(a kept result: {} {age}; run without --cached to test again)\n",
            if report.ok { "PASS" } else { "FAIL" }
        ));
    }
    if !report.ok && report.steps.is_empty() {
        if let Some(message) = report.error.as_ref().map(|e| e.message.as_str()) {
            out.push_str(&format!("✗ {message}\n"));
        }
    }
    out
}
