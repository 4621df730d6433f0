//! The console's event loop: keys (from a reader thread), engine events, finished tasks, a 1 s
//! clock and signals become messages for `App::update`; a frame is drawn only when the state
//! says something visible changed, and at most one per 16 ms.

use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre::WrapErr;
use crossterm::event::Event as TermEvent;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use super::message::{Cmd, Msg};
use super::model::backends::HISTORY_POINTS;
use super::model::{DashboardBackends, Row};
use super::popups::form::{PathState, SaveError};
use super::state::App;
use super::terminal::TerminalGuard;
use super::theme::{ColorDepth, Theme};
use super::{view, Options};
use crate::api::{Api, ApiError, ApiInventoryError, EngineOptions};
use crate::monitor::alerts::Rule;
use crate::monitor::Event;
use crate::signals::StopSignals;
use crate::store::Store;
/// The shortest time between two frames.
const FRAME_INTERVAL: Duration = Duration::from_millis(16);
/// How long a write from the console waits for another writer before it gives up with a
/// message (the screen stays live meanwhile: store work runs off the UI loop).
const CONSOLE_LOCK_WAIT: Duration = Duration::from_secs(10);
/// How long quitting may take to write what the engine holds: a console ends within a second
/// of `q` or a signal, whatever the disk is doing.
const SHUTDOWN_LIMIT: Duration = Duration::from_millis(900);
/// `--lite` polls no faster than this.
const LITE_MIN_REFRESH: Duration = Duration::from_secs(30);

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Every backend with its recent history, read once; from then on each poll's point comes with
/// its stats (`Msg::Stats`).
fn snapshot(api: &Api) -> Msg {
    let rows = api
        .all_stats()
        .into_iter()
        .map(|stats| Row {
            history: api.recent_history(&stats.id, HISTORY_POINTS),
            stats,
            host: None,
        })
        .collect();
    Msg::Snapshot {
        rows,
        problems: api.problems(),
    }
}

/// Reads terminal events on a thread of its own (crossterm's read blocks).
pub(super) fn spawn_input(tx: mpsc::UnboundedSender<Msg>) {
    std::thread::spawn(move || loop {
        let msg = match crossterm::event::read() {
            Ok(TermEvent::Key(key)) => Msg::Key(key),
            Ok(TermEvent::Paste(text)) => Msg::Paste(text),
            Ok(TermEvent::Resize(width, height)) => Msg::Resize { width, height },
            // Motion is not asked for; a stray move (another program's mode) is dropped here.
            Ok(TermEvent::Mouse(mouse))
                if mouse.kind == crossterm::event::MouseEventKind::Moved =>
            {
                continue
            }
            Ok(TermEvent::Mouse(mouse)) => Msg::Mouse(mouse),
            Ok(_) => continue,
            // The terminal is gone (the SSH link dropped): quit cleanly.
            Err(_) => Msg::TerminalLost,
        };
        let lost = matches!(msg, Msg::TerminalLost);
        if tx.send(msg).is_err() || lost {
            return;
        }
    });
}

pub async fn run(
    store: Store,
    options: Options,
    config: super::config::LoadedConfig,
    first_run: Option<super::FirstRun>,
) -> color_eyre::Result<()> {
    let store = store.with_lock_wait(CONSOLE_LOCK_WAIT);
    // The terminal is the console's: a log line that cannot be written goes to the log view,
    // not over the screen.
    store.log_quietly();
    let engine = EngineOptions {
        refresh: options.refresh.map(Duration::from_secs),
        min_refresh: options.lite.then_some(LITE_MIN_REFRESH),
    };
    let api = Arc::new(Api::start(store, engine).map_err(|e| color_eyre::eyre::eyre!("{e}"))?);
    let mut events = api
        .subscribe()
        .ok_or_else(|| color_eyre::eyre::eyre!("the monitor is not running"))?;
    let theme = Theme::new(ColorDepth::detect(options.no_color), options.ascii)
        .with_palette(config.config.palette());
    let mut app = App::new(unix_now(), options.read_only, options.lite);
    config.config.apply_to(&mut app);
    // A bad config file: the console runs on its defaults, and says why from the start.
    for problem in config.problem_messages() {
        app.push_message(super::model::Level::Error, problem);
    }
    if let Some(first_run) = &first_run {
        let add_key = app.keymap.shown(super::keymap::Action::Add).to_string();
        app.push_message(super::model::Level::Info, first_run.message(&add_key));
    }
    // Metadata first: the last-known figures are on screen before any backend answers.
    let mut first_cmds = app.update(snapshot(&api));

    let mut guard =
        TerminalGuard::enter(!options.no_mouse).wrap_err("cannot set up the terminal")?;
    // The list's page (PgUp/PgDn) is laid out from the size: known before the first key.
    let size = guard.terminal.size()?;
    first_cmds.extend(app.update(Msg::Resize {
        width: size.width,
        height: size.height,
    }));
    let (tx, mut rx) = mpsc::unbounded_channel();
    spawn_input(tx.clone());
    let mut stops = StopSignals::new()?;
    let mut clock = tokio::time::interval(Duration::from_secs(1));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut spinner = tokio::time::interval(Duration::from_millis(250));
    spinner.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // While store work runs (or waits), look at the store's lock more often than once a second.
    let mut writer_check = tokio::time::interval(Duration::from_millis(250));
    writer_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let store_jobs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for cmd in first_cmds {
        execute(cmd, &api, &tx, &store_jobs);
    }

    let mut last_frame: Option<Instant> = None;
    loop {
        let frame_due = paint(&mut guard, &mut app, &theme, &mut last_frame)?;
        let msg = tokio::select! {
            Some(msg) = rx.recv() => msg,
            event = events.recv() => match event {
                Ok(Event::StatsUpdated { stats, point }) => Msg::Stats { stats, point },
                Ok(Event::BackendCreated(_) | Event::BackendUpdated(_) | Event::BackendRemoved(_)) => snapshot(&api),
                Ok(Event::Alert(alert)) => Msg::Alert(alert),
                Ok(Event::AlertCleared(alert)) => Msg::AlertCleared(alert),
                Ok(Event::TestFinished(_)) => continue,
                Ok(Event::Timeline { id, event }) => Msg::TimelineEvent { id, event },
                Ok(Event::HookFailed(failure)) => Msg::HookFailed(failure),
                Ok(Event::HomeTrouble(trouble)) => Msg::HomeTrouble(trouble),
                Ok(Event::HomeWritable) => Msg::HomeWritable,
                Ok(Event::Maintenance(event)) => Msg::Maintenance(event),
                // Fell behind: take everything afresh.
                Err(broadcast::error::RecvError::Lagged(_)) => snapshot(&api),
                Err(broadcast::error::RecvError::Closed) => Msg::TerminalLost,
            },
            _ = clock.tick() => Msg::Tick(unix_now()),
            _ = spinner.tick(), if !app.testing.is_empty() => Msg::Spinner,
            _ = writer_check.tick(), if app.writer_waiting || store_jobs.load(std::sync::atomic::Ordering::Relaxed) > 0 => {
                Msg::WriterWaiting(api.waiting_for_writer())
            }
            () = stops.recv() => Msg::TerminalLost,
            _ = tokio::time::sleep_until(frame_due.unwrap_or_else(Instant::now)), if frame_due.is_some() => continue,
        };
        for cmd in app.update(msg) {
            match cmd {
                // Written here, where the terminal is, between two frames.
                Cmd::Copy(text) => copy_to_clipboard(guard.terminal.backend_mut(), &text),
                cmd => execute(cmd, &api, &tx, &store_jobs),
            }
        }
        if app.quit {
            break;
        }
    }
    drop(guard);
    // Everything the engine acknowledged goes to disk before we exit, within a second.
    let unsaved = match Arc::try_unwrap(api) {
        Ok(api) => api.shutdown_within(Some(SHUTDOWN_LIMIT)).await,
        // A test task still holds it: the engine's writer is asked to write all it holds.
        Err(api) => api.flush_within(Some(SHUTDOWN_LIMIT)).await,
    };
    // The terminal is ours again: what could not be saved is said where it stays readable.
    if let Some(trouble) = unsaved {
        eprintln!(
            "warning: {} writes could not be saved: {}",
            trouble.held, trouble.reason
        );
    }
    Ok(())
}

/// Draws a frame when something visible changed and the last one is at least `FRAME_INTERVAL`
/// old; returns when the next one is due if a change is still waiting (to wake for it).
pub(super) fn paint(
    guard: &mut TerminalGuard,
    app: &mut App,
    theme: &Theme,
    last_frame: &mut Option<Instant>,
) -> std::io::Result<Option<Instant>> {
    if app.dirty {
        let due = last_frame.map(|t| t + FRAME_INTERVAL);
        if due.is_none_or(|due| Instant::now() >= due) {
            guard.draw(|frame| view::draw(frame, app, theme))?;
            app.dirty = false;
            *last_frame = Some(Instant::now());
        }
    }
    Ok(if app.dirty {
        last_frame.map(|t| t + FRAME_INTERVAL)
    } else {
        None
    })
}

/// Runs store work (it may wait for another writer's lock) on tokio's blocking pool, so that
/// the screen never waits on it; its result comes back as a message.
fn store_job(
    jobs: &Arc<std::sync::atomic::AtomicUsize>,
    tx: &mpsc::UnboundedSender<Msg>,
    work: impl FnOnce() -> Msg + Send + 'static,
) {
    use std::sync::atomic::Ordering;
    jobs.fetch_add(1, Ordering::Relaxed);
    let (jobs, tx) = (jobs.clone(), tx.clone());
    tokio::task::spawn_blocking(move || {
        let msg = work();
        jobs.fetch_sub(1, Ordering::Relaxed);
        let _ = tx.send(msg);
    });
}

/// The alerts as the console shows them: the groups, every alert kept (the closed ones are
/// shown) and each backend's endpoint (a flood of alerts on one endpoint is one message line).
/// It reads the backends' files: run it as store work.
fn load_alerts(api: &Api) -> Msg {
    let overview = api.alert_overview();
    Msg::Alerts {
        groups: overview.groups,
        alerts: overview.alerts,
        endpoints: overview.endpoints,
    }
}

/// The log view's lines: the log file's last lines, then this process's lines that could not be
/// written there (the disk is full), which the file does not hold.
fn load_log(api: &Api) -> Msg {
    use super::popups::log::{LogEntry, TAIL_LINES};
    let (file, problem) = match api.log_tail(TAIL_LINES) {
        Ok(lines) => (lines, None),
        Err(err) => (Vec::new(), Some(format!("cannot read the log file: {err}"))),
    };
    let mut entries: Vec<LogEntry> = file
        .iter()
        .map(|line| LogEntry::of_file_line(line))
        .collect();
    entries.extend(api.recent_log().into_iter().filter_map(|line| {
        line.unwritten.map(|why| LogEntry {
            text: format!("{} {} {}", line.at, line.level, line.message),
            level: line.level,
            unwritten: Some(why),
        })
    }));
    Msg::LogLoaded { entries, problem }
}

/// Acknowledges or silences alerts on the running monitor: in memory (its writer saves them),
/// so done here, before the load that follows starts. An alert no longer active is left alone.
fn act_on_alerts(
    tx: &mpsc::UnboundedSender<Msg>,
    alerts: &[(String, Rule)],
    act: impl Fn(&str, Rule) -> Result<bool, ApiInventoryError>,
) {
    for (id, rule) in alerts {
        if let Err(err) = act(id, *rule) {
            let _ = tx.send(Msg::AlertActionRefused(err));
            return;
        }
    }
}

/// OSC 52: asks the terminal to put `text` on the system clipboard (`c`). It travels with the
/// screen's bytes, so it works over SSH, where a clipboard library would reach the server's.
fn osc52(text: &str) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{encoded}\x07")
}

/// Writes the OSC 52 sequence for `text` to the terminal. A failed write means the terminal is
/// gone, which the next frame's draw reports: nothing to say here.
pub(super) fn copy_to_clipboard(out: &mut impl std::io::Write, text: &str) {
    let _ = out
        .write_all(osc52(text).as_bytes())
        .and_then(|()| out.flush());
}

/// What a form's path is on disk. Run off the UI loop: on a hung network mount it blocks.
fn path_state(path: &str) -> PathState {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => PathState::Directory,
        Ok(_) => PathState::NotADirectory,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => PathState::Missing,
        Err(err) => PathState::Unreadable(err.to_string()),
    }
}

/// A refused save, typed for the form: a field's reason goes under that field.
fn save_error(err: ApiError) -> SaveError {
    match err {
        ApiError::Field(err) => SaveError::Field {
            field: err.field,
            reason: err.reason,
        },
        other => SaveError::Other(other.to_string()),
    }
}

/// A test that could not run, as a failed report (the reason in its error).
fn refused_test(id: &str, err: &ApiError) -> crate::probe::TestReport {
    crate::probe::TestReport {
        id: id.to_string(),
        kind: String::new(),
        ok: false,
        steps: Vec::new(),
        error: Some(crate::probe::TestFailure {
            class: crate::probe::ErrorClass::Config,
            message: err.to_string(),
        }),
        checked_at: crate::store::timestamp::now(),
        elapsed_ms: 0.0,
        cached: false,
    }
}

/// Carries out a command. Network and store work is spawned; nothing here waits.
fn execute(
    cmd: Cmd,
    api: &Arc<Api>,
    tx: &mpsc::UnboundedSender<Msg>,
    store_jobs: &Arc<std::sync::atomic::AtomicUsize>,
) {
    let write_test = matches!(cmd, Cmd::TestWrite(_));
    match cmd {
        Cmd::LoadDashboard => {
            let api = api.clone();
            store_job(store_jobs, tx, move || {
                let listing = api.foreign_backends();
                Msg::Dashboard(DashboardBackends {
                    backends: listing.backends,
                    errors: listing.errors.iter().map(ToString::to_string).collect(),
                })
            });
        }
        Cmd::LoadAlerts => {
            let api = api.clone();
            store_job(store_jobs, tx, move || load_alerts(&api));
        }
        Cmd::LoadLog => {
            // A file read, no lock: on the blocking pool, not counted as waiting store work.
            let (api, tx) = (api.clone(), tx.clone());
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(load_log(&api));
            });
        }
        Cmd::LoadAvailability(id) => {
            // File reads, no lock: on the blocking pool, not counted as waiting store work.
            let (api, tx) = (api.clone(), tx.clone());
            tokio::task::spawn_blocking(move || {
                let report = api.availability(&id).ok().map(Box::new);
                let _ = tx.send(Msg::Availability { id, report });
            });
        }
        Cmd::LoadHistory { id, range } => {
            // A file read, no lock: on the blocking pool, not counted as waiting store work.
            let (api, tx) = (api.clone(), tx.clone());
            tokio::task::spawn_blocking(move || {
                let history = api.history_range(&id, range.secs());
                let _ = tx.send(Msg::History { id, range, history });
            });
        }
        Cmd::LoadEvents(id) => {
            // A file read, no lock: on the blocking pool, like the charts' history.
            let (api, tx) = (api.clone(), tx.clone());
            tokio::task::spawn_blocking(move || {
                let query = crate::monitor::timeline::EventQuery {
                    limit: Some(crate::tui::model::timeline::READ_LIMIT),
                    since: None,
                };
                let events = api.events(&id, query).unwrap_or_default();
                let _ = tx.send(Msg::Events { id, events });
            });
        }
        Cmd::AcknowledgeAlerts(alerts) => {
            act_on_alerts(tx, &alerts, |id, rule| api.acknowledge_alert(id, rule));
        }
        Cmd::SilenceAlerts { alerts, for_secs } => {
            act_on_alerts(tx, &alerts, |id, rule| {
                api.silence_alert(id, rule, for_secs)
            });
        }
        Cmd::PollNow(id) => api.poll_now(id.as_deref()),
        Cmd::Inventory(id) => {
            // Started in the monitor; its figures arrive as a stats update when it ends.
            if let Err(err) = api.inventory_now(&id) {
                let _ = tx.send(Msg::InventoryRefused(err));
            }
        }
        Cmd::Test(id) | Cmd::TestWrite(id) => {
            let write = write_test;
            let (api, tx) = (api.clone(), tx.clone());
            tokio::spawn(async move {
                // `t` always tests now: a kept result would show the past as the present.
                let result = if write {
                    api.test_backend_writing(&id).await
                } else {
                    api.test_backend(&id, Duration::ZERO).await
                };
                let report = result.unwrap_or_else(|err| refused_test(&id, &err));
                let _ = tx.send(Msg::TestFinished(Box::new(report)));
            });
        }
        Cmd::TestConfig { id, config } => {
            let (api, tx) = (api.clone(), tx.clone());
            tokio::spawn(async move {
                let report = api
                    .test_config(&id, &config)
                    .await
                    .unwrap_or_else(|err| refused_test(&id, &err));
                let _ = tx.send(Msg::FormTestFinished(Box::new(report)));
            });
        }
        Cmd::Save {
            id,
            config,
            editing,
        } => {
            let api = api.clone();
            store_job(store_jobs, tx, move || {
                let result = if editing {
                    api.update_backend_config(&id, &config)
                } else {
                    api.create_backend_config(&id, config)
                };
                Msg::Saved(result.map(|_| id).map_err(save_error))
            });
        }
        Cmd::LoadForEdit(id) => {
            let api = api.clone();
            store_job(store_jobs, tx, move || {
                Msg::EditLoaded(api.get_backend(&id).map(Box::new))
            });
        }
        Cmd::LoadForClone(id) => {
            let api = api.clone();
            store_job(store_jobs, tx, move || {
                Msg::CloneLoaded(api.get_backend(&id).map(Box::new))
            });
        }
        Cmd::CheckPath(path) => {
            // Not store work (no lock): a blocking thread of its own, so a hung mount holds
            // only that thread, and the form says nothing until the answer comes.
            let tx = tx.clone();
            tokio::task::spawn_blocking(move || {
                let state = path_state(&path);
                let _ = tx.send(Msg::PathChecked { path, state });
            });
        }
        // Written by the loop, which holds the terminal.
        Cmd::Copy(_) => {}
        Cmd::SetEnabled { id, enabled } => {
            let api = api.clone();
            store_job(store_jobs, tx, move || {
                let sets = [("enabled".to_string(), enabled.to_string())];
                Msg::Toggled(api.update_backend(&id, &sets).map(|_| (id, enabled)))
            });
        }
        Cmd::Remove(id) => {
            let api = api.clone();
            store_job(store_jobs, tx, move || {
                Msg::Removed(api.remove_backend(&id).map(|_| id))
            });
        }
        Cmd::StartMaintenance {
            id,
            for_secs,
            reason,
        } => {
            let api = api.clone();
            store_job(store_jobs, tx, move || {
                let span = Duration::from_secs(for_secs);
                Msg::MaintenanceSaved(
                    api.start_maintenance(&id, span, reason.as_deref())
                        .map(|_| ()),
                )
            });
        }
        Cmd::EndMaintenance(id) => {
            let api = api.clone();
            store_job(store_jobs, tx, move || {
                Msg::MaintenanceSaved(api.end_maintenance(&id).map(|_| ()))
            });
        }
        // Polling goes on while paused (figures keep being kept); only the screen holds still.
        Cmd::SetPaused(_) => {}
        Cmd::Quit => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::FieldError;
    use crate::store::StoreError;

    #[test]
    fn yank_writes_the_osc_52_bytes() {
        let mut out = Vec::new();
        copy_to_clipboard(&mut out, "garage-media");
        assert_eq!(out, b"\x1b]52;c;Z2FyYWdlLW1lZGlh\x07");
        let mut out = Vec::new();
        copy_to_clipboard(&mut out, "127.0.0.1:3900");
        assert_eq!(out, b"\x1b]52;c;MTI3LjAuMC4xOjM5MDA=\x07");
    }

    #[test]
    fn a_path_is_a_directory_missing_or_not_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let text = |p: &std::path::Path| p.to_string_lossy().into_owned();
        assert_eq!(path_state(&text(dir.path())), PathState::Directory);
        assert_eq!(path_state(&text(&file)), PathState::NotADirectory);
        assert_eq!(
            path_state(&text(&dir.path().join("not-yet"))),
            PathState::Missing
        );
    }

    #[test]
    fn a_refused_save_reads_as_the_api_said_it() {
        let field = || ApiError::Field(FieldError::new("path", "is not a directory"));
        let typed = save_error(field());
        assert_eq!(
            typed,
            SaveError::Field {
                field: "path".into(),
                reason: "is not a directory".into()
            }
        );
        assert_eq!(typed.to_string(), field().to_string());
        let exists = || ApiError::Store(StoreError::AlreadyExists("scratch".into()));
        assert_eq!(save_error(exists()), SaveError::Other(exists().to_string()));
    }
}
