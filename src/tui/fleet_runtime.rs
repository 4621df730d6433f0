//! The fleet view's event loop (`--fleet`): the same screen, fed by rounds read from Prometheus
//! instead of the local engine. A task asks Prometheus every refresh (or at once for `r`) and
//! sends each round as one message; charts come from range queries, run off the UI loop. It
//! writes nothing anywhere: changes are made on each host.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::WrapErr;
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;

use super::message::{Cmd, Msg};
use super::model::Row;
use super::runtime::{copy_to_clipboard, paint, spawn_input};
use super::state::App;
use super::terminal::TerminalGuard;
use super::theme::{ColorDepth, Theme};
use super::Options;
use crate::fleet::{Fleet, FleetRound, Prometheus};
use crate::monitor::history::Point;
use crate::signals::StopSignals;
use crate::stats::{HealthStatus, Source};

/// Points of recent history kept per backend for the list's trend and the charts' live end.
const HISTORY_POINTS: usize = 300;
/// `--lite` asks Prometheus no more often than this.
const LITE_MIN_REFRESH: u64 = 30;

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// What the fleet view needs to start.
pub struct FleetOptions {
    pub url: String,
    pub refresh_secs: u64,
    pub timeout: Duration,
}

/// The recent points of every backend, grown by one per round from the round's own figures:
/// the list's trend and the charts' live end, as the local engine's history gives them.
#[derive(Default)]
struct Recent {
    points: HashMap<String, Vec<Point>>,
}

impl Recent {
    fn rows(&mut self, round: FleetRound, at: u64) -> Vec<Row> {
        let mut rows = Vec::with_capacity(round.rows.len());
        let mut seen = std::collections::HashSet::new();
        for fleet_row in round.rows {
            let stats = fleet_row.stats;
            seen.insert(stats.id.clone());
            let points = self.points.entry(stats.id.clone()).or_default();
            let live = stats.source == Source::Live && !stats.stale;
            if live {
                let point = match stats.health.status {
                    // A down backend's round is a failed poll on the chart.
                    HealthStatus::Down => Some(Point {
                        at,
                        ..Point::default()
                    }),
                    HealthStatus::Disabled | HealthStatus::Unsupported => None,
                    _ => stats.performance.avg_response_time.map(|ms| Point {
                        at,
                        response_ms: Some(ms as f32),
                        used_bytes: stats.storage.used.or(stats.quota.used),
                        objects: stats.files.count,
                        rate_in: None,
                        rate_out: None,
                        counts: None,
                    }),
                };
                if let Some(point) = point {
                    points.push(point);
                    let excess = points.len().saturating_sub(HISTORY_POINTS);
                    points.drain(..excess);
                }
            }
            rows.push(Row {
                history: points.clone(),
                stats,
                host: Some(fleet_row.host),
            });
        }
        self.points.retain(|id, _| seen.contains(id));
        rows
    }
}

/// Asks Prometheus for a round every `every`, or at once when woken; sends each as a message.
async fn rounds(
    mut fleet: Fleet,
    every: Duration,
    wake: Arc<Notify>,
    tx: mpsc::UnboundedSender<Msg>,
) {
    let mut recent = Recent::default();
    loop {
        let at = unix_now();
        let msg = match fleet.round().await {
            Ok(round) => Msg::FleetRound {
                rows: recent.rows(round.clone(), at.max(0) as u64),
                hosts: round.hosts,
                at,
            },
            Err(err) => Msg::FleetUnreachable {
                reason: err.to_string(),
                at,
            },
        };
        if tx.send(msg).is_err() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = wake.notified() => {}
        }
    }
}

/// Carries out a command in the fleet view: a round now, a chart's range query; everything
/// that would change or probe a backend is refused (the keys say so before it gets here).
fn execute(cmd: Cmd, prometheus: &Prometheus, wake: &Arc<Notify>, tx: &mpsc::UnboundedSender<Msg>) {
    match cmd {
        Cmd::PollNow(_) => wake.notify_one(),
        // Never asked in the fleet view (Prometheus holds no incidents): nothing to read.
        Cmd::LoadAvailability(_) => {}
        Cmd::LoadHistory { id, range } => {
            let (prometheus, tx) = (prometheus.clone(), tx.clone());
            tokio::spawn(async move {
                let Some((host, backend)) = id.split_once('/') else {
                    return;
                };
                let now = unix_now().max(0) as u64;
                let history = match crate::fleet::history::read(
                    &prometheus,
                    host,
                    backend,
                    range.secs(),
                    now,
                )
                .await
                {
                    Ok(history) => history,
                    Err(err) => {
                        let _ = tx.send(Msg::FleetRefused(format!("charts: {err}")));
                        crate::monitor::history::KeptHistory {
                            points: Vec::new(),
                            fine_from: now.saturating_sub(range.secs()),
                        }
                    }
                };
                let _ = tx.send(Msg::History { id, range, history });
            });
        }
        // Nothing to read here: the fleet has no dashboard files or alert records of its own.
        // Nor timelines: each is kept on its backend's own host (never asked for here).
        Cmd::LoadDashboard
        | Cmd::LoadAlerts
        | Cmd::LoadEvents(_)
        | Cmd::SetPaused(_)
        | Cmd::Quit
        | Cmd::Copy(_) => {}
        Cmd::AcknowledgeAlerts(_)
        | Cmd::SilenceAlerts { .. }
        | Cmd::Inventory(_)
        | Cmd::Test(_)
        | Cmd::TestWrite(_)
        | Cmd::SetEnabled { .. }
        | Cmd::TestConfig { .. }
        | Cmd::Save { .. }
        | Cmd::LoadForEdit(_)
        | Cmd::LoadForClone(_)
        | Cmd::CheckPath(_)
        | Cmd::LoadLog
        | Cmd::StartMaintenance { .. }
        | Cmd::EndMaintenance(_)
        | Cmd::Remove(_) => {
            let _ = tx.send(Msg::FleetRefused(
                "fleet view: read-only; changes, tests and inventories are made on each host"
                    .into(),
            ));
        }
    }
}

pub async fn run(
    fleet_options: FleetOptions,
    options: Options,
    config: super::config::LoadedConfig,
) -> color_eyre::Result<()> {
    let prometheus = Prometheus::new(&fleet_options.url, fleet_options.timeout)
        .map_err(|e| color_eyre::eyre::eyre!("{e}"))?;
    let mut refresh = fleet_options.refresh_secs.max(1);
    if options.lite {
        refresh = refresh.max(LITE_MIN_REFRESH);
    }
    let theme = Theme::new(ColorDepth::detect(options.no_color), options.ascii)
        .with_palette(config.config.palette());
    let mut app = App::for_fleet(unix_now(), prometheus.url(), options.lite);
    config.config.apply_to(&mut app);
    for problem in config.problem_messages() {
        app.push_message(super::model::Level::Error, problem);
    }
    let mut guard =
        TerminalGuard::enter(!options.no_mouse).wrap_err("cannot set up the terminal")?;
    let size = guard.terminal.size()?;
    let mut first_cmds = app.update(Msg::Resize {
        width: size.width,
        height: size.height,
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    spawn_input(tx.clone());
    let wake = Arc::new(Notify::new());
    let fleet_task = tokio::spawn(rounds(
        Fleet::new(prometheus.clone()),
        Duration::from_secs(refresh),
        wake.clone(),
        tx.clone(),
    ));
    let mut stops = StopSignals::new()?;
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    for cmd in first_cmds.drain(..) {
        execute(cmd, &prometheus, &wake, &tx);
    }
    let mut last_frame: Option<Instant> = None;
    loop {
        let frame_due = paint(&mut guard, &mut app, &theme, &mut last_frame)?;
        let msg = tokio::select! {
            Some(msg) = rx.recv() => msg,
            _ = clock.tick() => Msg::Tick(unix_now()),
            () = stops.recv() => Msg::TerminalLost,
            _ = tokio::time::sleep_until(frame_due.unwrap_or_else(Instant::now)), if frame_due.is_some() => continue,
        };
        for cmd in app.update(msg) {
            match cmd {
                Cmd::Copy(text) => copy_to_clipboard(guard.terminal.backend_mut(), &text),
                cmd => execute(cmd, &prometheus, &wake, &tx),
            }
        }
        if app.quit {
            break;
        }
    }
    fleet_task.abort();
    drop(guard);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::FleetRow;
    use crate::stats::{BackendStats, Health, Performance};

    fn round(status: HealthStatus, ms: Option<f64>, stale: bool) -> FleetRound {
        FleetRound {
            rows: vec![FleetRow {
                host: "a:9464".into(),
                backend: "disk".into(),
                stats: BackendStats {
                    id: "a:9464/disk".into(),
                    health: Health {
                        status,
                        ..Health::default()
                    },
                    performance: Performance {
                        avg_response_time: ms,
                        ..Performance::default()
                    },
                    stale,
                    source: Source::Live,
                    ..BackendStats::default()
                },
            }],
            hosts: Vec::new(),
        }
    }

    #[test]
    fn each_round_adds_a_point_a_down_one_a_failed_one_and_stale_none() {
        let mut recent = Recent::default();
        recent.rows(round(HealthStatus::Healthy, Some(12.0), false), 100);
        recent.rows(round(HealthStatus::Down, None, false), 105);
        let rows = recent.rows(round(HealthStatus::Unknown, Some(3.0), true), 110);
        let history = &rows[0].history;
        assert_eq!(history.len(), 2, "a stale round adds nothing: {history:?}");
        assert_eq!(history[0].response_ms, Some(12.0));
        assert!(history[1].failed());
        assert_eq!(rows[0].host.as_deref(), Some("a:9464"));
        assert_eq!(rows[0].shown_id(), "disk");
    }
}
