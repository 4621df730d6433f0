//! The console's state and the only function that changes it: `update(msg) -> commands`.
//! `App` holds the models (`model/`: the backends, the alerts, the message log, the command
//! history), the GUI's own state (focus, the open popup, the filter being typed, flags) and
//! dispatches keys to the component that owns them: a popup's own keys (`popups/`), the filter
//! line (`panes/list.rs`), else the main screen's keymap (`keymap.rs`). Components only say
//! what was asked for; the state changes here. Drawing reads `&App` (`view.rs`).

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;
use serde_json::{Map, Value};
use tui_input::Input;

use super::keymap::{self, Action, Keymap};
use super::model::alerts::millis;
use super::model::{
    AlertBoard, BackendTable, Change, CommandHistory, DashboardBackends, Level, ListColumn,
    MessageLog, Row,
};
use super::model::{ChartRange, ChartSeries};
use super::panes::ages::ages_label;
use super::panes::layout;
use super::panes::list::{self, FilterOutcome};
use super::panes::Pane;
use super::popups::alerts::{AlertsOutcome, AlertsView};
use super::popups::chooser::{ChooserOutcome, KindChooser};
use super::popups::command::{self, Command, CommandLine, CommandOutcome, Refusal};
use super::popups::confirm::{Confirm, ConfirmOutcome};
use super::popups::dashboard;
use super::popups::form::{self, Form, FormOutcome, PathState, SaveError};
use super::popups::help::Help;
use super::popups::test_result::TestResult;
use super::popups::{Popup, Shown};
use crate::api::AlertGroup;
use crate::backends::Kind;
use crate::monitor::alerts::{Alert, Closed, Rule};
use crate::monitor::history::KeptHistory;
use crate::probe::TestReport;
use crate::store::BackendDoc;

/// What the runtime does on the console's behalf.
#[derive(Clone, Debug, PartialEq)]
pub enum Cmd {
    PollNow(Option<String>),
    /// Read the dashboard's own files again (off the UI loop).
    LoadDashboard,
    /// Read the alerts again (groups, closed ones, each backend's endpoint), off the UI loop.
    LoadAlerts,
    /// Read the console's log (the file's last lines and this process's unwritten ones), off
    /// the UI loop.
    LoadLog,
    /// Read a backend's kept history over a range for the charts, off the UI loop.
    LoadHistory {
        id: String,
        range: ChartRange,
    },
    /// Acknowledge these alerts (backend, rule) in the monitor.
    AcknowledgeAlerts(Vec<(String, Rule)>),
    /// Silence these alerts (backend, rule) for so many seconds.
    SilenceAlerts {
        alerts: Vec<(String, Rule)>,
        for_secs: u64,
    },
    Inventory(String),
    Test(String),
    /// A test with the write check (a small object put, read back and deleted).
    TestWrite(String),
    /// Switches a backend on or off (its `enabled` field).
    SetEnabled {
        id: String,
        enabled: bool,
    },
    TestConfig {
        id: String,
        config: Map<String, Value>,
    },
    Save {
        id: String,
        config: Map<String, Value>,
        editing: bool,
    },
    LoadForEdit(String),
    /// Read a backend's config (off the UI loop, as for an edit) for a clone's form.
    LoadForClone(String),
    /// Look at a form's path on disk (off the UI loop: a hung network mount blocks a stat).
    CheckPath(String),
    /// Put this text on the clipboard: OSC 52, written by the runtime to the terminal.
    Copy(String),
    Remove(String),
    SetPaused(bool),
    Quit,
}

pub enum Msg {
    Key(KeyEvent),
    /// A click or the wheel (motion is not asked for).
    Mouse(MouseEvent),
    Paste(String),
    /// The terminal's size, at the start and whenever it changes.
    Resize {
        width: u16,
        height: u16,
    },
    /// Wall clock, unix seconds, once a second.
    Tick(i64),
    /// Every backend at once (start, after a change of the list).
    Snapshot {
        rows: Vec<Row>,
        problems: Vec<(String, String)>,
    },
    /// One backend's new figures, with the point of history the poll added (if any).
    Stats {
        stats: Box<crate::stats::BackendStats>,
        point: Option<crate::monitor::history::Point>,
    },
    Alert(Alert),
    AlertCleared(Alert),
    /// The alerts, as last read (`Cmd::LoadAlerts`).
    Alerts {
        groups: Vec<AlertGroup>,
        /// Every alert kept, active first (`Api::alerts`).
        alerts: Vec<Alert>,
        /// Each backend's endpoint (`host:port`), where it has one.
        endpoints: HashMap<String, String>,
    },
    /// An acknowledge or silence could not be done (the reason).
    AlertActionRefused(String),
    /// An alert hook could not deliver an alert (what failed, and why).
    HookFailed(String),
    /// The engine cannot write the home (full, read-only, permission): why, and what it holds.
    HomeTrouble(crate::monitor::writer::HomeTrouble),
    /// The engine can write the home again.
    HomeWritable,
    /// The console's log as read (`Cmd::LoadLog`), and why the file could not be read, if not.
    LogLoaded {
        entries: Vec<super::popups::log::LogEntry>,
        problem: Option<String>,
    },
    TestFinished(Box<TestReport>),
    FormTestFinished(Box<TestReport>),
    /// A form's save: the id, or why it was refused.
    Saved(Result<String, SaveError>),
    /// An inventory asked for with a key could not start (the reason).
    InventoryRefused(String),
    Removed(Result<String, String>),
    /// A backend switched on or off (its id and new state), or why not.
    Toggled(Result<(String, bool), String>),
    EditLoaded(Result<Box<BackendDoc>, String>),
    /// The config to clone (`Cmd::LoadForClone`), or why it could not be read.
    CloneLoaded(Result<Box<BackendDoc>, String>),
    /// What a look at a form's path found (`Cmd::CheckPath`).
    PathChecked {
        path: String,
        state: PathState,
    },
    Spinner,
    /// The dashboard's read-only backends, as last read.
    Dashboard(DashboardBackends),
    /// Whether a write of ours waits for another writer's lock (another console, the CLI).
    WriterWaiting(bool),
    /// The terminal went away or a signal asked us to stop: quit cleanly.
    TerminalLost,
    /// The fleet view's round: every host's backends as Prometheus has them, and each host's
    /// last scrape.
    FleetRound {
        rows: Vec<Row>,
        hosts: Vec<crate::fleet::HostState>,
        at: i64,
    },
    /// Prometheus did not answer the fleet view's round (or refused it): the reason.
    FleetUnreachable {
        reason: String,
        at: i64,
    },
    /// The fleet view cannot do what was asked (it reads Prometheus, not the backends).
    FleetRefused(String),
    /// A backend's kept history over a range, as read (`Cmd::LoadHistory`).
    History {
        id: String,
        range: ChartRange,
        history: KeptHistory,
    },
}

pub struct App {
    pub now: i64,
    /// The backends: rows, filter, sort, the selection (a backend id), what is held while paused.
    pub backends: BackendTable,
    pub problems: Vec<(String, String)>,
    pub focus: Pane,
    pub full_detail: bool,
    /// Some while the filter is being typed.
    pub filter_input: Option<Input>,
    pub popup: Option<Popup>,
    pub messages: MessageLog,
    /// The alerts: active ones in groups, recent closed ones (the list's marks and count, the
    /// alerts view, the floods in the message log).
    pub alerts: AlertBoard,
    /// A write of ours waits for another writer's lock: said on screen, never frozen.
    pub writer_waiting: bool,
    /// The Python dashboard's own backends (read-only), read when the list changes.
    pub dashboard: DashboardBackends,
    /// Backends with a test running, for the spinner.
    pub testing: Vec<String>,
    pub spinner: usize,
    pub read_only: bool,
    pub lite: bool,
    /// A one-line notice in the footer until the next key.
    pub flash: Option<(Level, String)>,
    pub command_history: CommandHistory,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    pub quit: bool,
    /// The terminal's size, as last told (the list's page for PgUp/PgDn depends on it).
    pub size: Option<Rect>,
    /// The columns the list may show (the width decides which fit), in the config's set.
    pub list_columns: Vec<ListColumn>,
    /// The first visible row of the list: it moves only when the selection would leave the
    /// page, so the list does not jump while the selection moves inside it.
    pub list_offset: usize,
    /// Times as the clock read them (`checked at 14:03:22`) instead of ages (`T`).
    pub absolute_times: bool,
    /// The main screen's keys: the table's, with the config file's over them.
    pub keymap: Keymap,
    /// The time range of the detail's charts.
    pub chart_range: super::model::ChartRange,
    /// The selected backend's history over `chart_range`, as read for the detail's charts.
    pub charts: ChartSeries,
    /// The fleet view (`--fleet`): every host's backends read from Prometheus, read-only.
    pub fleet: Option<super::model::FleetStatus>,
    /// Whether the engine can write the home (said on the summary line while it cannot).
    pub home: super::model::HomeStatus,
    /// A backend this console just added (or cloned): selected as soon as its row arrives,
    /// which may be after the save's answer. Dropped when the operator moves the selection.
    select_when_listed: Option<String>,
}

/// What a key does that only the console on the backend's own host can do (the fleet view
/// reads Prometheus, not the backends); what it is, for the refusal.
pub fn host_only(action: Action) -> Option<&'static str> {
    match action {
        Action::Test => Some("a test"),
        Action::Inventory => Some("an inventory"),
        Action::Alerts => Some("acknowledging and silencing alerts"),
        Action::Dashboard => Some("the dashboard's own files"),
        Action::Log => Some("the console's log"),
        _ => None,
    }
}

impl App {
    pub fn new(now: i64, read_only: bool, lite: bool) -> App {
        App {
            now,
            backends: BackendTable::default(),
            problems: Vec::new(),
            focus: Pane::List,
            full_detail: false,
            filter_input: None,
            popup: None,
            messages: MessageLog::default(),
            alerts: AlertBoard::default(),
            testing: Vec::new(),
            spinner: 0,
            read_only,
            lite,
            writer_waiting: false,
            dashboard: DashboardBackends::default(),
            flash: None,
            command_history: CommandHistory::default(),
            dirty: true,
            quit: false,
            size: None,
            list_columns: ListColumn::ALL.to_vec(),
            list_offset: 0,
            absolute_times: false,
            keymap: Keymap::default(),
            chart_range: super::model::ChartRange::default(),
            charts: ChartSeries::default(),
            fleet: None,
            home: super::model::HomeStatus::default(),
            select_when_listed: None,
        }
    }

    /// The console as a fleet view over the Prometheus at `url`: read-only.
    pub fn for_fleet(now: i64, url: &str, lite: bool) -> App {
        let mut app = App::new(now, true, lite);
        app.fleet = Some(super::model::FleetStatus::new(url));
        app
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.backends.selected_row()
    }

    pub fn selected_id(&self) -> Option<String> {
        self.backends.selected_id()
    }

    /// Rows per page of the list (PgUp/PgDn), as the list is laid out at the terminal's size.
    fn page(&self) -> usize {
        // Before the size is known: a guess, corrected by the runtime's first message.
        self.size.map_or(10, |area| layout::list_page(area, self))
    }

    pub fn push_message(&mut self, level: Level, text: impl Into<String>) {
        self.messages.push(self.now, level, text);
        self.dirty = true;
    }

    /// Asks for the alerts to be read again: at most one read at a time, and one more after it
    /// when asked meanwhile.
    fn load_alerts(&mut self) -> Vec<Cmd> {
        if self.alerts.request_load() {
            vec![Cmd::LoadAlerts]
        } else {
            Vec::new()
        }
    }

    /// Says an alert raised (`closed` is `None`) or closed in the message log: alerts of one rule
    /// on backends of one endpoint that come within seconds of each other (one server down) are
    /// one line, rewritten as they come.
    fn say_alert(&mut self, alert: &Alert, closed: Option<Closed>) {
        let time = match closed {
            None => Some(&alert.raised_at),
            Some(_) => alert.cleared_at.as_ref(),
        };
        let at_ms = time
            .map(String::as_str)
            .and_then(millis)
            .unwrap_or(self.now * 1000);
        self.dirty = true;
        if let Some((line, text)) = self.alerts.join_flood(alert, closed, at_ms) {
            if self.messages.rewrite(line, text) {
                return;
            }
        }
        let (level, text) = match closed {
            None => (
                Level::Warning,
                format!("alert: {}: {}", alert.backend, alert.message),
            ),
            Some(how) => (
                Level::Info,
                format!("{}: {}: {}", how.as_str(), alert.backend, alert.message),
            ),
        };
        let line = self.messages.push(self.now, level, text);
        self.alerts.flood_started(alert, closed, at_ms, line);
    }

    /// Time passing changes what the alerts show when a silence ends: its alert is back in the
    /// list's marks and count, and in the alerts view.
    fn alerts_time_passed(&mut self, now: i64) {
        if self.alerts.active_count(self.now) != self.alerts.active_count(now) {
            self.dirty = true;
        }
    }

    /// Shows what a change to the backends did: when the selected one went, the footer says so.
    fn backends_changed(&mut self, change: Change) {
        if let Change::Shown { gone } = change {
            if let Some(text) = gone {
                self.flash = Some((Level::Info, text));
            }
            self.dirty = true;
        }
    }

    /// Applies one message; returns what the runtime must do.
    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        let mut cmds = self.apply(msg);
        self.select_added();
        self.keep_selection_in_view();
        if !self.quit {
            cmds.extend(self.chart_reads());
        }
        cmds
    }

    /// Keeps the charts' history current for the selected backend while the detail is on
    /// screen: the points each poll brings are added, and the file is read (off the UI loop)
    /// when the selection or the range changes, or now and then for a long range.
    fn chart_reads(&mut self) -> Vec<Cmd> {
        let shown = self
            .size
            .is_some_and(|area| layout::regions(area, self).detail.is_some());
        if !shown {
            return Vec::new();
        }
        let Some(row) = self.backends.selected_row() else {
            return Vec::new();
        };
        let (id, range) = (&row.stats.id, self.chart_range);
        if self.charts.follow(id, range, &row.history, self.now) {
            self.dirty = true;
        }
        let paused = self.backends.is_paused();
        self.charts
            .wanted(id, range, self.now, &row.history, paused)
            .map(|(id, range)| Cmd::LoadHistory { id, range })
            .into_iter()
            .collect()
    }

    /// Shows the charts over `range` (their history is read by `chart_reads`).
    fn set_chart_range(&mut self, range: ChartRange) {
        let text = if self.chart_range != range {
            format!("charts: the last {}", range.name())
        } else {
            format!("charts: {} is the end of the ranges", range.name())
        };
        self.chart_range = range;
        self.flash = Some((Level::Info, text));
        self.dirty = true;
    }

    /// Selects the backend just added once its row is listed (a filter that hides it is
    /// cleared, and the footer says so); while paused, when the held rows are shown.
    fn select_added(&mut self) {
        let Some(id) = self.select_when_listed.clone() else {
            return;
        };
        if self.backends.get(&id).is_none() || self.backends.is_paused() {
            return;
        }
        if !self.backends.select_id(&id) {
            let change = self.backends.set_filter("");
            self.backends_changed(change);
            self.flash = Some((
                Level::Info,
                format!("filter cleared to show the new backend {id}"),
            ));
            self.backends.select_id(&id);
        }
        self.select_when_listed = None;
        self.dirty = true;
    }

    /// Moves the list's first visible row just enough that the selection is on the page.
    fn keep_selection_in_view(&mut self) {
        let page = self.page();
        let offset = layout::scroll_offset(
            self.list_offset,
            self.backends.selected_position(),
            page,
            self.backends.visible_len(),
        );
        if offset != self.list_offset {
            self.list_offset = offset;
            self.dirty = true;
        }
    }

    fn apply(&mut self, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::Key(key) => {
                if self.flash.take().is_some() {
                    self.dirty = true;
                }
                return self.on_key(key);
            }
            Msg::Mouse(mouse) => return self.on_mouse(mouse),
            Msg::Paste(text) => {
                match &mut self.popup {
                    Some(Popup::Form(form)) => form.handle_paste(&text),
                    Some(Popup::Command(line)) => line.paste(&text),
                    _ => {}
                }
                self.dirty = true;
            }
            Msg::Resize { width, height } => {
                self.size = Some(Rect::new(0, 0, width, height));
                self.dirty = true;
            }
            Msg::Dashboard(listing) => {
                if self.dashboard != listing {
                    self.dashboard = listing;
                    self.dirty = true;
                }
            }
            Msg::WriterWaiting(waiting) => {
                if self.writer_waiting != waiting {
                    self.writer_waiting = waiting;
                    self.dirty = true;
                }
            }
            Msg::Tick(now) => {
                self.alerts_time_passed(now);
                // Ages are real time: they go on while paused (the figures hold still).
                let before = self
                    .selected_row()
                    .map(|r| ages_label(self.now, r, self.absolute_times));
                self.now = now;
                let after = self
                    .selected_row()
                    .map(|r| ages_label(self.now, r, self.absolute_times));
                if before != after {
                    self.dirty = true;
                }
            }
            Msg::Snapshot { rows, problems } => {
                let change = self.backends.replace(rows);
                self.backends_changed(change);
                if problems != self.problems {
                    for (path, reason) in &problems {
                        if !self.problems.iter().any(|(p, _)| p == path) {
                            self.push_message(Level::Error, format!("{path}: {reason}"));
                        }
                    }
                    self.problems = problems;
                }
                // The list changed (or this is the start): the dashboard's files may have too,
                // and the alerts (closed with a backend, endpoints changed).
                let mut cmds = vec![Cmd::LoadDashboard];
                cmds.extend(self.load_alerts());
                return cmds;
            }
            Msg::Stats { stats, point } => {
                let change = self.backends.apply_stats(*stats, point);
                self.backends_changed(change);
            }
            Msg::FleetRound { rows, hosts, at } => {
                if let Some(fleet) = &mut self.fleet {
                    // A host that stops (or starts) answering is said once, in the log.
                    let said: Vec<(Level, String)> = hosts
                        .iter()
                        .filter_map(|host| {
                            let before = fleet.hosts.iter().find(|h| h.instance == host.instance);
                            match (before.map(|h| h.up), host.up) {
                                (Some(true) | None, false) => Some((
                                    Level::Error,
                                    format!(
                                        "host {} unreachable: {}",
                                        host.instance,
                                        host.reason.as_deref().unwrap_or("no reason given")
                                    ),
                                )),
                                (Some(false), true) => Some((
                                    Level::Info,
                                    format!("host {} answers again", host.instance),
                                )),
                                _ => None,
                            }
                        })
                        .collect();
                    if fleet.error.take().is_some() {
                        self.messages.push(
                            at,
                            Level::Info,
                            format!("Prometheus at {} answers", fleet.url),
                        );
                    }
                    fleet.hosts = hosts;
                    fleet.last_round = Some(at);
                    for (level, text) in said {
                        self.messages.push(at, level, text);
                    }
                }
                let change = self.backends.replace(rows);
                self.backends_changed(change);
                self.dirty = true;
            }
            Msg::FleetUnreachable { reason, at } => {
                if let Some(fleet) = &mut self.fleet {
                    if fleet.error.as_deref() != Some(reason.as_str()) {
                        self.messages.push(at, Level::Error, reason.clone());
                        fleet.error = Some(reason);
                    }
                }
                // What is on screen is now only the last round's: said as last-known figures.
                if self.backends.rows().iter().any(|r| !r.stats.stale) {
                    let rows = self
                        .backends
                        .rows()
                        .iter()
                        .cloned()
                        .map(|mut row| {
                            row.stats.stale = true;
                            row.stats.source = crate::stats::Source::Metadata;
                            row
                        })
                        .collect();
                    let change = self.backends.replace(rows);
                    self.backends_changed(change);
                }
                self.dirty = true;
            }
            Msg::FleetRefused(text) => {
                self.flash = Some((Level::Warning, text));
                self.dirty = true;
            }
            Msg::Alert(alert) => {
                self.say_alert(&alert, None);
                return self.load_alerts();
            }
            Msg::AlertCleared(alert) => {
                // A record from before the reason was kept is a recovery.
                self.say_alert(&alert, Some(alert.closed.unwrap_or(Closed::Recovered)));
                return self.load_alerts();
            }
            Msg::Alerts {
                groups,
                alerts,
                endpoints,
            } => {
                let loaded = self.alerts.loaded(groups, alerts, endpoints);
                if loaded.changed {
                    self.dirty = true;
                }
                if loaded.again {
                    return vec![Cmd::LoadAlerts];
                }
            }
            Msg::AlertActionRefused(reason) => self.push_message(Level::Error, reason),
            Msg::HookFailed(text) => self.push_message(Level::Error, text),
            Msg::HomeTrouble(trouble) => {
                if let Some(text) = self.home.trouble(trouble, self.now) {
                    self.push_message(Level::Error, text);
                }
                self.dirty = true;
            }
            Msg::HomeWritable => {
                if let Some(text) = self.home.writable(self.now) {
                    self.push_message(Level::Info, text);
                }
                self.dirty = true;
            }
            Msg::LogLoaded { entries, problem } => {
                if let Some(Popup::Log(view)) = &mut self.popup {
                    view.loaded(entries, problem);
                    self.dirty = true;
                }
            }
            Msg::TestFinished(report) => {
                self.testing.retain(|id| *id != report.id);
                let verdict = if report.ok { "passed" } else { "FAILED" };
                let detail = report
                    .error
                    .as_ref()
                    .and_then(|e| e.get("message"))
                    .and_then(Value::as_str)
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                let level = if report.ok { Level::Info } else { Level::Error };
                self.push_message(level, format!("test of {} {verdict}{detail}", report.id));
                // A form or confirmation the operator opened meanwhile is not covered up.
                if self.popup.is_none() {
                    self.popup = Some(Popup::TestResult(TestResult::new(report)));
                }
                self.dirty = true;
            }
            Msg::FormTestFinished(report) => {
                if let Some(Popup::Form(form)) = &mut self.popup {
                    form.set_test_result(report);
                    self.dirty = true;
                }
            }
            Msg::PathChecked { path, state } => {
                if let Some(Popup::Form(form)) = &mut self.popup {
                    form.path_checked(&path, &state);
                    self.dirty = true;
                }
            }
            Msg::CloneLoaded(result) => {
                let form = result.and_then(|doc| {
                    let id = form::free_clone_id(&doc.id, |id| self.backends.get(id).is_some());
                    Form::clone_of(&doc, &id)
                });
                return match form {
                    Ok(form) => self.open_form(form),
                    Err(message) => {
                        self.push_message(Level::Error, message);
                        Vec::new()
                    }
                };
            }
            Msg::Saved(result) => match result {
                Ok(id) => {
                    let verb = match &self.popup {
                        Some(Popup::Form(form)) if form.is_editing() => "saved",
                        Some(Popup::Form(_)) => {
                            self.select_when_listed = Some(id.clone());
                            "added"
                        }
                        _ => "added",
                    };
                    self.popup = None;
                    self.push_message(Level::Info, format!("{verb} backend {id}"));
                }
                Err(error) => {
                    if let Some(Popup::Form(form)) = &mut self.popup {
                        form.set_save_error(error);
                    } else {
                        self.push_message(Level::Error, error.to_string());
                    }
                    self.dirty = true;
                }
            },
            Msg::InventoryRefused(reason) => self.push_message(Level::Warning, reason),
            Msg::Toggled(result) => match result {
                Ok((id, enabled)) => self.push_message(
                    Level::Info,
                    format!(
                        "backend {id} switched {}",
                        if enabled { "on" } else { "off" }
                    ),
                ),
                Err(message) => self.push_message(Level::Error, message),
            },
            Msg::Removed(result) => match result {
                Ok(id) => self.push_message(Level::Info, format!("removed backend {id}")),
                Err(message) => self.push_message(Level::Error, message),
            },
            Msg::EditLoaded(result) => match result.map(|doc| Form::edit(&doc)) {
                Ok(form) => return self.open_form(form),
                Err(message) => self.push_message(Level::Error, message),
            },
            Msg::TerminalLost => {
                self.quit = true;
                return vec![Cmd::Quit];
            }
            Msg::History { id, range, history } => {
                if self
                    .charts
                    .loaded(id, range, history, self.now, self.chart_range)
                {
                    self.dirty = true;
                }
            }
            Msg::Spinner => {
                if !self.testing.is_empty() && !self.backends.is_paused() {
                    self.spinner = self.spinner.wrapping_add(1);
                    self.dirty = true;
                }
            }
        }
        Vec::new()
    }

    fn refuse_read_only(&mut self, what: &str) {
        let why = if self.fleet.is_some() {
            "the fleet view: changes are made on each host"
        } else {
            "started with --read-only"
        };
        self.flash = Some((
            Level::Warning,
            format!("read-only: {what} is disabled ({why})"),
        ));
        self.dirty = true;
    }

    /// What the fleet view cannot do (it reads Prometheus, not the backends), said.
    fn fleet_cannot(&mut self, what: &str) {
        self.flash = Some((
            Level::Warning,
            format!("fleet view: {what} runs on each host (ipfs-kit-tui there), not from here"),
        ));
        self.dirty = true;
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Cmd> {
        if key.kind == crossterm::event::KeyEventKind::Release {
            return Vec::new();
        }
        if self.popup.is_some() {
            return self.on_popup_key(key);
        }
        if let Some(input) = &mut self.filter_input {
            let filter = match list::filter_key(input, key) {
                FilterOutcome::Typing(filter) => filter,
                FilterOutcome::Kept => {
                    self.filter_input = None;
                    self.backends.filter().to_string()
                }
                FilterOutcome::Cleared => {
                    self.filter_input = None;
                    String::new()
                }
            };
            let change = self.backends.set_filter(&filter);
            self.backends_changed(change);
            return Vec::new();
        }
        let Some(action) = self.keymap.action_for(&key) else {
            return Vec::new();
        };
        self.dirty = true;
        if self.read_only && keymap::binding(action).is_some_and(|b| b.changes) {
            let what = keymap::binding(action).map(|b| b.label).unwrap_or("that");
            self.refuse_read_only(what);
            return Vec::new();
        }
        if self.fleet.is_some() {
            if let Some(what) = host_only(action) {
                self.fleet_cannot(what);
                return Vec::new();
            }
        }
        match action {
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-(self.page().max(1) as isize)),
            Action::PageDown => self.move_by(self.page().max(1) as isize),
            Action::Top => self.move_to(0),
            Action::Bottom => self.move_to(usize::MAX),
            Action::NextPane => self.focus = self.focus.next(true),
            Action::PrevPane => self.focus = self.focus.next(false),
            Action::Open => {
                if self.selected_row().is_some() {
                    self.full_detail = true;
                }
            }
            Action::Back => {
                if self.full_detail {
                    self.full_detail = false;
                } else if !self.backends.filter().is_empty() {
                    let change = self.backends.set_filter("");
                    self.backends_changed(change);
                } else {
                    self.focus = Pane::List;
                }
            }
            Action::Filter => {
                self.filter_input = Some(Input::new(self.backends.filter().to_string()))
            }
            Action::Sort => {
                let change = self.backends.next_sort();
                self.backends_changed(change);
            }
            Action::SortReverse => {
                let change = self.backends.toggle_reverse();
                self.backends_changed(change);
            }
            Action::Add => self.popup = Some(Popup::Chooser(KindChooser::new())),
            Action::Edit => {
                if let Some(id) = self.selected_id() {
                    return vec![Cmd::LoadForEdit(id)];
                }
            }
            Action::Clone => {
                if let Some(id) = self.selected_id() {
                    return vec![Cmd::LoadForClone(id)];
                }
            }
            Action::YankId => {
                if let Some(id) = self.selected_id() {
                    return self.copy(format!("id '{id}'"), id);
                }
            }
            Action::YankEndpoint => {
                if let Some(id) = self.selected_id() {
                    return match self.alerts.endpoint(&id) {
                        Some(endpoint) => {
                            let endpoint = endpoint.to_string();
                            self.copy(format!("{id}'s endpoint {endpoint}"), endpoint)
                        }
                        None => {
                            self.flash = Some((
                                Level::Info,
                                format!("no network endpoint known for {id}: nothing copied"),
                            ));
                            Vec::new()
                        }
                    };
                }
            }
            Action::Test => {
                if let Some(id) = self.selected_id() {
                    return self.start_test(id, false);
                }
            }
            Action::Toggle => {
                if self.read_only {
                    self.refuse_read_only("switching a backend on or off");
                    return Vec::new();
                }
                if let Some(row) = self.selected_row() {
                    return vec![Cmd::SetEnabled {
                        id: row.stats.id.clone(),
                        enabled: !row.stats.enabled,
                    }];
                }
            }
            Action::TestWrite => {
                if self.read_only {
                    self.refuse_read_only("a write test");
                    return Vec::new();
                }
                if let Some(row) = self.selected_row() {
                    let id = row.stats.id.clone();
                    // Refused up front, as the CLI's --write is: no read steps run for a
                    // check that cannot happen, and no FAIL is kept as the last test.
                    if let Some(reason) = Kind::write_check_refusal(&row.stats.kind) {
                        self.flash = Some((
                            Level::Warning,
                            format!("no write test of {id}: {reason}; t tests it without one"),
                        ));
                        return Vec::new();
                    }
                    return self.start_test(id, true);
                }
            }
            Action::Remove => {
                if let Some(row) = self.selected_row() {
                    let confirm = Confirm::remove(&row.stats.id, &row.stats.kind);
                    self.popup = Some(Popup::Confirm(confirm));
                }
            }
            Action::PollNow => {
                if let Some(id) = self.selected_id() {
                    self.flash = Some((Level::Info, format!("polling {id} now")));
                    return vec![Cmd::PollNow(Some(id))];
                }
            }
            Action::Inventory => {
                if let Some(id) = self.selected_id() {
                    self.flash = Some((Level::Info, format!("counting {id} now")));
                    return vec![Cmd::Inventory(id)];
                }
            }
            Action::RangeShorter => self.set_chart_range(self.chart_range.step(false)),
            Action::RangeLonger => self.set_chart_range(self.chart_range.step(true)),
            Action::AbsoluteTimes => {
                self.absolute_times = !self.absolute_times;
                self.dirty = true;
            }
            Action::Pause => return self.toggle_pause(),
            Action::Help => self.popup = Some(Popup::Help(Help::default())),
            Action::Dashboard => {
                self.popup = Some(Popup::Dashboard);
                return vec![Cmd::LoadDashboard];
            }
            Action::Alerts => return self.open_alerts(),
            Action::Log => {
                self.popup = Some(Popup::Log(super::popups::log::LogView::default()));
                return vec![Cmd::LoadLog];
            }
            Action::Command => self.popup = Some(Popup::Command(CommandLine::default())),
            Action::Quit => {
                self.quit = true;
                return vec![Cmd::Quit];
            }
        }
        Vec::new()
    }

    /// Shows a form (add, edit, clone) and asks for its paths to be looked at on disk.
    fn open_form(&mut self, mut form: Form) -> Vec<Cmd> {
        let cmds = form
            .paths_to_check()
            .into_iter()
            .map(Cmd::CheckPath)
            .collect();
        self.popup = Some(Popup::Form(Box::new(form)));
        self.dirty = true;
        cmds
    }

    /// Copies `text` to the clipboard through the terminal; the footer says what (`what`).
    fn copy(&mut self, what: String, text: String) -> Vec<Cmd> {
        self.flash = Some((
            Level::Info,
            format!("copied {what} (OSC 52: the terminal must allow clipboard writes)"),
        ));
        self.dirty = true;
        vec![Cmd::Copy(text)]
    }

    /// Opens the alerts view, and reads them afresh for it.
    fn open_alerts(&mut self) -> Vec<Cmd> {
        self.popup = Some(Popup::Alerts(AlertsView::default()));
        self.dirty = true;
        self.load_alerts()
    }

    /// Carries out what a key of the alerts view asked for.
    fn on_alerts_key(&mut self, view: AlertsView, outcome: AlertsOutcome) -> Vec<Cmd> {
        let (verb, targets, cmd) = match outcome {
            AlertsOutcome::Open => {
                self.popup = Some(Popup::Alerts(view));
                return Vec::new();
            }
            AlertsOutcome::Close => return Vec::new(),
            AlertsOutcome::Acknowledge(targets) => (
                "acknowledged".to_string(),
                targets.what,
                Cmd::AcknowledgeAlerts(targets.alerts),
            ),
            AlertsOutcome::Silence(targets, for_secs) => (
                format!("silenced for {}h", for_secs / 3_600),
                targets.what,
                Cmd::SilenceAlerts {
                    alerts: targets.alerts,
                    for_secs,
                },
            ),
        };
        self.popup = Some(Popup::Alerts(view));
        if self.read_only {
            self.refuse_read_only("acknowledging and silencing alerts");
            return Vec::new();
        }
        self.push_message(Level::Info, format!("{verb}: {targets}"));
        let mut cmds = vec![cmd];
        cmds.extend(self.load_alerts());
        cmds
    }

    /// Starts a test of `id` (with the write check when `write`), one at a time per backend.
    fn start_test(&mut self, id: String, write: bool) -> Vec<Cmd> {
        if self.testing.contains(&id) {
            self.flash = Some((Level::Info, format!("a test of {id} is already running")));
            return Vec::new();
        }
        self.testing.push(id.clone());
        self.dirty = true;
        if write {
            vec![Cmd::TestWrite(id)]
        } else {
            vec![Cmd::Test(id)]
        }
    }

    fn toggle_pause(&mut self) -> Vec<Cmd> {
        let change = self.backends.toggle_pause();
        self.backends_changed(change);
        self.dirty = true;
        vec![Cmd::SetPaused(self.backends.is_paused())]
    }

    /// A click selects and focuses what it is on (a click on a column's header sorts by it, a
    /// second one reverses); the wheel scrolls what it is over. With a popup open, the wheel
    /// scrolls the popup as the arrow keys would and clicks do nothing.
    fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Cmd> {
        let wheel = match mouse.kind {
            MouseEventKind::ScrollDown => Some(KeyCode::Down),
            MouseEventKind::ScrollUp => Some(KeyCode::Up),
            _ => None,
        };
        if self.popup.is_some() {
            return match wheel {
                Some(code) => self.on_popup_key(KeyEvent::from(code)),
                None => Vec::new(),
            };
        }
        let Some(screen) = self.size else {
            return Vec::new();
        };
        let regions = layout::regions(screen, self);
        let inside =
            |area: Rect| area.contains(ratatui::layout::Position::new(mouse.column, mouse.row));
        let pane = if regions.list.is_some_and(inside) {
            Pane::List
        } else if regions.detail.is_some_and(|d| inside(d.area)) {
            Pane::Detail
        } else if regions.messages.is_some_and(inside) {
            Pane::Messages
        } else {
            return Vec::new();
        };
        if let Some(code) = wheel {
            let delta = if code == KeyCode::Down { 1 } else { -1 };
            match pane {
                Pane::Messages => self.messages.scroll_by(delta),
                Pane::List => {
                    self.select_when_listed = None;
                    self.backends.move_by(delta);
                }
                Pane::Detail => return Vec::new(),
            }
            self.dirty = true;
            return Vec::new();
        }
        if mouse.kind != MouseEventKind::Down(MouseButton::Left) {
            return Vec::new();
        }
        if self.focus != pane {
            self.focus = pane;
            self.dirty = true;
        }
        if let (Pane::List, Some(area)) = (pane, regions.list) {
            match list::spot(self, area, mouse.column, mouse.row) {
                list::ListSpot::Header(shown) => {
                    if let Some(column) = shown.sort() {
                        let reverse = self.backends.sort() == column && !self.backends.reverse();
                        let change = self.backends.set_sort(column, reverse);
                        self.backends_changed(change);
                    }
                }
                list::ListSpot::Row(position) => {
                    self.select_when_listed = None;
                    self.backends.select(position);
                }
                list::ListSpot::Elsewhere => {}
            }
            self.dirty = true;
        }
        Vec::new()
    }

    fn move_by(&mut self, delta: isize) {
        match self.focus {
            Pane::Messages => self.messages.scroll_by(delta),
            _ => {
                // The operator chose: a new backend listed later does not take the selection.
                self.select_when_listed = None;
                self.backends.move_by(delta);
            }
        }
    }

    fn move_to(&mut self, index: usize) {
        match self.focus {
            Pane::Messages => self.messages.scroll_to(index == 0),
            _ => {
                self.select_when_listed = None;
                self.backends.select(index);
            }
        }
    }

    /// A key while a popup is open: the popup says what it means, the state changes here.
    fn on_popup_key(&mut self, key: KeyEvent) -> Vec<Cmd> {
        self.dirty = true;
        let Some(popup) = self.popup.take() else {
            return Vec::new();
        };
        match popup {
            Popup::Help(mut help) => {
                if help.handle_key(key) == Shown::Open {
                    self.popup = Some(Popup::Help(help));
                }
                Vec::new()
            }
            Popup::TestResult(result) => {
                if result.handle_key(key) == Shown::Open {
                    self.popup = Some(Popup::TestResult(result));
                }
                Vec::new()
            }
            Popup::Dashboard => {
                if dashboard::handle_key(key) == Shown::Open {
                    self.popup = Some(Popup::Dashboard);
                }
                Vec::new()
            }
            Popup::Alerts(mut view) => {
                let outcome = view.handle_key(key, &self.alerts);
                self.on_alerts_key(view, outcome)
            }
            Popup::Log(mut view) => {
                use super::popups::log::LogOutcome;
                match view.handle_key(key) {
                    LogOutcome::Close => Vec::new(),
                    LogOutcome::Open => {
                        self.popup = Some(Popup::Log(view));
                        Vec::new()
                    }
                    LogOutcome::Reload => {
                        self.popup = Some(Popup::Log(view));
                        vec![Cmd::LoadLog]
                    }
                }
            }
            Popup::Confirm(confirm) => match confirm.handle_key(key) {
                ConfirmOutcome::Open => {
                    self.popup = Some(Popup::Confirm(confirm));
                    Vec::new()
                }
                ConfirmOutcome::Remove(id) => {
                    self.backends.removed_here(id.clone());
                    vec![Cmd::Remove(id)]
                }
                ConfirmOutcome::Keep(description) => {
                    self.flash = Some((Level::Info, format!("kept {description}")));
                    Vec::new()
                }
                // Only a form asks to discard its edits, over itself (`Form::handle_key`).
                ConfirmOutcome::Cancel | ConfirmOutcome::Discard => Vec::new(),
            },
            Popup::Chooser(mut chooser) => match chooser.handle_key(key) {
                ChooserOutcome::None => {
                    self.popup = Some(Popup::Chooser(chooser));
                    Vec::new()
                }
                ChooserOutcome::Cancel => Vec::new(),
                ChooserOutcome::Chosen(kind) => {
                    self.popup = Some(Popup::Form(Box::new(Form::add(kind))));
                    Vec::new()
                }
            },
            Popup::Form(mut form) => {
                let mut cmds = match form.handle_key(key) {
                    FormOutcome::None => Vec::new(),
                    FormOutcome::Cancel => return Vec::new(),
                    FormOutcome::Save {
                        id,
                        config,
                        editing,
                    } => vec![Cmd::Save {
                        id,
                        config,
                        editing,
                    }],
                    FormOutcome::Test { id, config } => {
                        form.set_testing();
                        vec![Cmd::TestConfig { id, config }]
                    }
                };
                cmds.extend(form.paths_to_check().into_iter().map(Cmd::CheckPath));
                self.popup = Some(Popup::Form(form));
                cmds
            }
            Popup::Command(mut line) => {
                let ids: Vec<&str> = self.backends.rows().iter().map(Row::id).collect();
                match line.handle_key(key, &self.command_history, &ids) {
                    CommandOutcome::Open => {
                        self.popup = Some(Popup::Command(line));
                        Vec::new()
                    }
                    CommandOutcome::Cancel => Vec::new(),
                    CommandOutcome::Run(text) => {
                        self.command_history.record(&text);
                        self.run_command(&text)
                    }
                }
            }
        }
    }

    /// Carries out a command line (`popups/command.rs` says what it means).
    fn run_command(&mut self, line: &str) -> Vec<Cmd> {
        let parsed = command::parse(line, self.read_only, |id| self.backends.get(id).is_some());
        let command = match parsed {
            Ok(command) => command,
            Err(Refusal::ReadOnly(verb)) => {
                self.refuse_read_only(&verb);
                return Vec::new();
            }
            Err(Refusal::Invalid(text)) => {
                self.flash = Some((Level::Error, text));
                return Vec::new();
            }
        };
        match command {
            Command::Nothing => Vec::new(),
            Command::Quit => {
                self.quit = true;
                vec![Cmd::Quit]
            }
            Command::Help => {
                self.popup = Some(Popup::Help(Help::default()));
                Vec::new()
            }
            Command::Pause => self.toggle_pause(),
            Command::Alerts => self.open_alerts(),
            Command::Range(range) => {
                self.set_chart_range(range);
                Vec::new()
            }
            Command::Sort { column, reverse } => {
                let change = self.backends.set_sort(column, reverse);
                self.backends_changed(change);
                self.dirty = true;
                Vec::new()
            }
            Command::Filter(text) => {
                let change = self.backends.set_filter(&text);
                self.backends_changed(change);
                self.dirty = true;
                Vec::new()
            }
            Command::ChooseKind => {
                self.popup = Some(Popup::Chooser(KindChooser::new()));
                Vec::new()
            }
            Command::Add(kind) => {
                self.popup = Some(Popup::Form(Box::new(Form::add(kind))));
                Vec::new()
            }
            Command::PollAll => vec![Cmd::PollNow(None)],
            Command::Poll(id) => vec![Cmd::PollNow(Some(id))],
            Command::Edit(id) => vec![Cmd::LoadForEdit(id)],
            Command::Clone(id) => vec![Cmd::LoadForClone(id)],
            Command::Test(id) => self.start_test(id, false),
            Command::Remove(id) => {
                let kind = self
                    .backends
                    .get(&id)
                    .map(|r| r.stats.kind.clone())
                    .unwrap_or_default();
                self.popup = Some(Popup::Confirm(Confirm::remove(&id, &kind)));
                Vec::new()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{BackendStats, Health, HealthStatus, Storage};
    use crate::tui::model::{SortColumn, MESSAGE_LIMIT};
    use crossterm::event::{KeyCode, KeyModifiers};

    fn row(id: &str, kind: &str, status: HealthStatus, used: Option<f64>) -> Row {
        Row {
            host: None,
            stats: BackendStats {
                id: id.into(),
                kind: kind.into(),
                enabled: true,
                health: Health {
                    status,
                    ..Health::default()
                },
                storage: Storage {
                    usage_percent: used,
                    ..Storage::default()
                },
                ..BackendStats::default()
            },
            history: Vec::new(),
        }
    }

    fn app() -> App {
        let mut app = App::new(1_000, false, false);
        app.update(Msg::Snapshot {
            rows: vec![
                row("alpha", "s3", HealthStatus::Healthy, Some(50.0)),
                row("beta", "ipfs_cluster", HealthStatus::Down, None),
                row("gamma", "local", HealthStatus::Degraded, Some(90.0)),
            ],
            problems: Vec::new(),
        });
        app
    }

    fn key(code: KeyCode) -> Msg {
        Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn snapshot(ids: &[&str]) -> Msg {
        Msg::Snapshot {
            rows: ids
                .iter()
                .map(|id| row(id, "local", HealthStatus::Healthy, Some(10.0)))
                .collect(),
            problems: Vec::new(),
        }
    }

    #[test]
    fn the_selection_is_a_backend_through_outside_changes_sorts_and_filters() {
        let mut app = App::new(1_000, false, false);
        app.update(snapshot(&["media-garage", "objs-dir", "zeta"]));
        app.update(key(KeyCode::Down));
        assert_eq!(app.selected_id().as_deref(), Some("objs-dir"));
        // Another process adds one that sorts first; the engine's list comes in any order.
        app.update(snapshot(&["aaa-tmp", "zeta", "objs-dir", "media-garage"]));
        assert_eq!(app.selected_id().as_deref(), Some("objs-dir"));
        assert_eq!(ids(&app), ["aaa-tmp", "media-garage", "objs-dir", "zeta"]);
        // Forty-five more, in a scrambled order.
        let mut many: Vec<String> = (0..45).map(|i| format!("b{:02}", (i * 17) % 45)).collect();
        many.extend(["zeta", "objs-dir", "aaa-tmp", "media-garage"].map(String::from));
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        app.update(snapshot(&refs));
        assert_eq!(app.selected_id().as_deref(), Some("objs-dir"));
        // Sorting and reversing keep it.
        app.update(key(KeyCode::Char('s')));
        app.update(key(KeyCode::Char('S')));
        assert_eq!(app.selected_id().as_deref(), Some("objs-dir"));
        // A filter that keeps it keeps it.
        app.update(key(KeyCode::Char('/')));
        for c in "obj".chars() {
            app.update(key(KeyCode::Char(c)));
        }
        app.update(key(KeyCode::Enter));
        assert_eq!(app.selected_id().as_deref(), Some("objs-dir"));
    }

    /// Types `:TEXT` and Enter.
    fn type_line(app: &mut App, text: &str) -> Vec<Cmd> {
        app.update(key(KeyCode::Char(':')));
        for c in text.chars() {
            app.update(key(KeyCode::Char(c)));
        }
        app.update(key(KeyCode::Enter))
    }

    #[test]
    fn sort_and_filter_from_the_command_line() {
        let mut app = app();
        type_line(&mut app, "sort used desc");
        assert_eq!(ids(&app), ["gamma", "alpha", "beta"], "beta's ? stays last");
        type_line(&mut app, "sort health");
        assert_eq!(ids(&app)[0], "beta", "down first");
        type_line(&mut app, "filter gam");
        assert_eq!(ids(&app), ["gamma"]);
        type_line(&mut app, "filter");
        assert_eq!(ids(&app).len(), 3, "no text clears the filter");
        type_line(&mut app, "sort size");
        assert!(app
            .flash
            .as_ref()
            .is_some_and(|(_, text)| text.contains("no column 'size'") && text.contains("quota")));
        type_line(&mut app, "sort used sideways");
        assert!(app
            .flash
            .as_ref()
            .is_some_and(|(_, text)| text.contains("asc or desc")));
    }

    #[test]
    fn x_switches_the_selected_backend_off_and_on() {
        let mut app = app();
        assert_eq!(
            app.update(key(KeyCode::Char('x'))),
            vec![Cmd::SetEnabled {
                id: "alpha".into(),
                enabled: false
            }]
        );
        app.update(Msg::Toggled(Ok(("alpha".into(), false))));
        let mut read_only = App::new(1_000, true, false);
        read_only.update(snapshot(&["a"]));
        assert!(read_only.update(key(KeyCode::Char('x'))).is_empty());
    }

    #[test]
    fn capital_t_shows_clock_times_instead_of_ages_and_back() {
        let mut app = app();
        assert!(!app.absolute_times);
        assert!(app.update(key(KeyCode::Char('T'))).is_empty());
        assert!(app.absolute_times && app.dirty);
        app.update(key(KeyCode::Char('T')));
        assert!(!app.absolute_times);
    }

    #[test]
    fn the_list_scrolls_only_when_the_selection_would_leave_the_page() {
        let mut app = app();
        let ids: Vec<String> = (0..59).map(|i| format!("b{i:02}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        app.update(snapshot(&refs));
        app.update(Msg::Resize {
            width: 120,
            height: 40,
        });
        let page = layout::list_page(app.size.unwrap(), &app);
        for _ in 0..page {
            app.update(key(KeyCode::Char('j')));
        }
        assert_eq!(app.list_offset, 1, "one past the page: moved by one");
        app.update(key(KeyCode::Char('k')));
        assert_eq!(app.list_offset, 1, "inside the page: still");
        app.update(key(KeyCode::Char('G')));
        assert_eq!(app.list_offset, 59 - page);
        app.update(key(KeyCode::Char('g')));
        assert_eq!(app.list_offset, 0);
    }

    #[test]
    fn capital_w_on_a_kind_without_a_write_check_is_refused_up_front() {
        let mut app = app();
        app.update(key(KeyCode::Char('j')));
        assert_eq!(
            app.selected_id().as_deref(),
            Some("beta"),
            "an IPFS cluster"
        );
        let cmds = app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('W'),
            KeyModifiers::SHIFT,
        )));
        assert!(cmds.is_empty(), "no test runs: {cmds:?}");
        assert!(app.testing.is_empty(), "no spinner");
        let (level, text) = app.flash.clone().expect("the footer says why");
        assert_eq!(level, Level::Warning);
        assert!(
            text.contains("beta") && text.contains("kind ipfs_cluster has no write check"),
            "{text}"
        );
        assert!(
            text.contains("local, ipfs, s3"),
            "the kinds with one: {text}"
        );
        // A kind this console does not know has none either.
        let mut odd = App::new(1_000, false, false);
        odd.update(Msg::Snapshot {
            rows: vec![row("lassie", "lassie", HealthStatus::Unsupported, None)],
            problems: Vec::new(),
        });
        assert!(odd.update(key(KeyCode::Char('W'))).is_empty());
        assert!(odd.flash.as_ref().unwrap().1.contains("kind lassie"));
    }

    #[test]
    fn capital_w_tests_with_the_write_check_and_is_refused_read_only() {
        let mut app = app();
        assert_eq!(
            app.update(key(KeyCode::Char('W'))),
            vec![Cmd::TestWrite("alpha".into())]
        );
        let mut read_only = App::new(1_000, true, false);
        read_only.update(snapshot(&["a"]));
        assert!(read_only.update(key(KeyCode::Char('W'))).is_empty());
        assert!(read_only
            .flash
            .as_ref()
            .is_some_and(|(_, text)| text.contains("read-only")));
    }

    #[test]
    fn unknown_figures_sort_last_in_both_directions() {
        let mut app = app();
        for _ in 0..4 {
            app.update(key(KeyCode::Char('s')));
        }
        assert_eq!(app.backends.sort(), SortColumn::Used);
        assert_eq!(ids(&app), ["alpha", "gamma", "beta"]);
        app.update(key(KeyCode::Char('S')));
        assert_eq!(ids(&app), ["gamma", "alpha", "beta"], "beta's ? stays last");
    }

    #[test]
    fn when_the_selected_backend_goes_its_neighbour_is_selected_and_the_footer_says_so() {
        let mut app = App::new(1_000, false, false);
        app.update(snapshot(&["a", "b", "c"]));
        app.update(key(KeyCode::Down));
        assert_eq!(app.selected_id().as_deref(), Some("b"));
        app.update(snapshot(&["c", "a"]));
        assert_eq!(app.selected_id().as_deref(), Some("c"));
        let (level, text) = app.flash.clone().expect("the footer says it");
        assert_eq!(level, Level::Info);
        assert_eq!(text, "backend 'b' is gone; selected 'c'");
        // The last one going selects the one before it.
        app.update(snapshot(&["a"]));
        assert_eq!(app.selected_id().as_deref(), Some("a"));
        app.update(snapshot(&[]));
        assert_eq!(app.selected_id(), None);
    }

    fn ids(app: &App) -> Vec<&str> {
        app.backends.visible().map(Row::id).collect()
    }

    #[test]
    fn filter_sort_and_selection() {
        let mut app = app();
        assert_eq!(ids(&app), vec!["alpha", "beta", "gamma"]);
        app.update(key(KeyCode::Char('j')));
        assert_eq!(app.selected_id().as_deref(), Some("beta"));
        // Sort by kind keeps beta selected.
        app.update(key(KeyCode::Char('s')));
        assert_eq!(ids(&app), vec!["beta", "gamma", "alpha"]);
        assert_eq!(app.selected_id().as_deref(), Some("beta"));
        // Health: down first; reversed: disabled/healthy first.
        app.update(key(KeyCode::Char('s')));
        assert_eq!(ids(&app), vec!["beta", "gamma", "alpha"]);
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('S'),
            KeyModifiers::SHIFT,
        )));
        assert_eq!(ids(&app), vec!["alpha", "gamma", "beta"]);
        // Live filter by kind, then health word; Esc clears.
        app.update(key(KeyCode::Char('/')));
        for c in "loc".chars() {
            app.update(key(KeyCode::Char(c)));
        }
        assert_eq!(ids(&app), vec!["gamma"]);
        app.update(key(KeyCode::Esc));
        assert_eq!(ids(&app).len(), 3);
        app.update(key(KeyCode::Char('/')));
        for c in "down".chars() {
            app.update(key(KeyCode::Char(c)));
        }
        app.update(key(KeyCode::Enter));
        assert_eq!(ids(&app), vec!["beta"]);
        assert!(app.filter_input.is_none());
        app.update(key(KeyCode::Esc));
        assert_eq!(ids(&app).len(), 3, "Esc on the list clears a kept filter");
    }

    #[test]
    fn unknown_used_sorts_last_either_way_of_ids() {
        let mut app = app();
        for _ in 0..4 {
            app.update(key(KeyCode::Char('s')));
        }
        assert_eq!(app.backends.sort(), SortColumn::Used);
        assert_eq!(ids(&app), vec!["alpha", "gamma", "beta"]);
    }

    #[test]
    fn remove_asks_and_defaults_to_no() {
        let mut app = app();
        app.update(key(KeyCode::Char('d')));
        assert!(matches!(app.popup, Some(Popup::Confirm(ref confirm)) if confirm.id() == "alpha"));
        assert!(app.update(key(KeyCode::Enter)).is_empty(), "Enter is No");
        assert!(app.popup.is_none());
        app.update(key(KeyCode::Char('d')));
        assert!(app.update(key(KeyCode::Esc)).is_empty());
        app.update(key(KeyCode::Char('d')));
        assert!(app.update(key(KeyCode::Char('x'))).is_empty());
        assert!(app.popup.is_some(), "other keys leave the question open");
        assert_eq!(
            app.update(key(KeyCode::Char('y'))),
            vec![Cmd::Remove("alpha".into())]
        );
    }

    #[test]
    fn read_only_refuses_changes_and_says_so() {
        let mut app = App::new(0, true, false);
        app.update(Msg::Snapshot {
            rows: vec![row("a", "s3", HealthStatus::Healthy, None)],
            problems: Vec::new(),
        });
        for c in ['a', 'e', 'd'] {
            assert!(app.update(key(KeyCode::Char(c))).is_empty());
            assert!(app.popup.is_none());
            let (_, text) = app.flash.clone().unwrap();
            assert!(text.starts_with("read-only"), "{text}");
        }
        assert_eq!(
            app.update(key(KeyCode::Char('t'))),
            vec![Cmd::Test("a".into())],
            "testing changes nothing"
        );
    }

    #[test]
    fn add_opens_the_kind_chooser_and_esc_cancels() {
        let mut app = app();
        app.update(key(KeyCode::Char('a')));
        assert!(matches!(app.popup, Some(Popup::Chooser(_))));
        app.update(key(KeyCode::Esc));
        assert!(app.popup.is_none());
    }

    #[test]
    fn command_line_with_history() {
        let mut app = app();
        assert_eq!(
            type_line(&mut app, "test beta"),
            vec![Cmd::Test("beta".into())]
        );
        assert!(type_line(&mut app, "test nope").is_empty());
        assert!(app.flash.as_ref().unwrap().1.contains("no backend 'nope'"));
        assert!(type_line(&mut app, "frobnicate").is_empty());
        assert!(app.flash.as_ref().unwrap().1.contains("unknown command"));
        // Up recalls the last line.
        app.update(key(KeyCode::Char(':')));
        app.update(key(KeyCode::Up));
        match &app.popup {
            Some(Popup::Command(line)) => assert_eq!(line.value(), "frobnicate"),
            _ => panic!("command line closed"),
        }
        app.update(key(KeyCode::Esc));
        assert_eq!(type_line(&mut app, "q"), vec![Cmd::Quit]);
        assert!(app.quit);
    }

    #[test]
    fn paused_holds_updates_and_stays_quiet() {
        let mut app = app();
        app.update(key(KeyCode::Char('p')));
        app.dirty = false;
        app.update(Msg::Stats {
            stats: Box::new(row("alpha", "s3", HealthStatus::Down, Some(99.0)).stats),
            point: None,
        });
        app.update(Msg::Tick(5_000));
        assert!(!app.dirty, "nothing redrawn while paused");
        assert_eq!(
            app.backends.rows()[0].stats.health.status,
            HealthStatus::Healthy
        );
        app.update(key(KeyCode::Char('p')));
        assert_eq!(
            app.backends.rows()[0].stats.health.status,
            HealthStatus::Down
        );
    }

    #[test]
    fn page_keys_move_a_page_of_the_list_as_laid_out_at_the_terminal_size() {
        let ids: Vec<String> = (0..45).map(|i| format!("b{i:02}")).collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let mut app = App::new(1_000, false, false);
        app.update(snapshot(&refs));
        app.update(key(KeyCode::PageDown));
        assert_eq!(app.selected_id().as_deref(), Some("b10"), "no size yet: 10");
        // 80x24: 22 rows between the summary line and the footer, 4 of messages, 9 of detail:
        // a list of 9 rows, 6 of them backends (borders and the header take 3).
        app.update(Msg::Resize {
            width: 80,
            height: 24,
        });
        app.update(key(KeyCode::PageDown));
        assert_eq!(app.selected_id().as_deref(), Some("b16"));
        app.update(Msg::Resize {
            width: 120,
            height: 40,
        });
        app.update(key(KeyCode::PageUp));
        assert_eq!(
            app.selected_id().as_deref(),
            Some("b00"),
            "28 a page at 120x40"
        );
        // Under the full-screen detail, the page is the list's it covers.
        app.update(key(KeyCode::Enter));
        app.update(key(KeyCode::PageDown));
        assert_eq!(app.selected_id().as_deref(), Some("b28"));
    }

    /// 2026-11-18T12:00:00Z, as the alerts' fixtures have it.
    const NOW: i64 = crate::tui::model::alerts::tests::NOW;

    fn alerting_app() -> App {
        let mut app = App::new(NOW, false, false);
        let cmds = app.update(snapshot(&["a", "b", "kubo"]));
        assert_eq!(
            cmds,
            vec![Cmd::LoadDashboard, Cmd::LoadAlerts],
            "read at start"
        );
        app
    }

    /// The answer to `Cmd::LoadAlerts`: these groups, every backend `s3-NN` on one endpoint.
    fn alerts_read(groups: Vec<AlertGroup>) -> Msg {
        let endpoints = (0..20)
            .map(|i| (format!("s3-{i:02}"), "10.0.0.5:3900".to_string()))
            .chain([("kubo".to_string(), "127.0.0.1:5001".to_string())])
            .collect();
        Msg::Alerts {
            groups,
            alerts: Vec::new(),
            endpoints,
        }
    }

    #[test]
    fn a_flood_of_alerts_on_one_endpoint_is_one_line() {
        use crate::tui::model::alerts::tests::alert;
        let mut app = alerting_app();
        app.update(alerts_read(Vec::new()));
        app.messages.clear();
        for i in 0..12 {
            // A second apart at most: all within the flood's window of each other.
            let raised = alert(&format!("s3-{i:02}"), Rule::Down, i / 2);
            app.update(Msg::Alert(raised));
        }
        app.update(Msg::Alert(alert("kubo", Rule::Down, 6)));
        let lines: Vec<&str> = app
            .messages
            .range(0..app.messages.len())
            .map(|m| m.text.as_str())
            .collect();
        assert_eq!(
            lines,
            [
                "down: 12 backends at 10.0.0.5:3900 (s3-00, s3-01, s3-02, …)",
                "alert: kubo: down on kubo"
            ]
        );
        // One more, much later: a line of its own.
        app.update(Msg::Alert(alert("s3-12", Rule::Down, 60)));
        assert_eq!(
            app.messages.last().unwrap().text,
            "alert: s3-12: down on s3-12"
        );
        assert_eq!(app.messages.len(), 3);
    }

    #[test]
    fn closing_messages_say_why() {
        use crate::tui::model::alerts::tests::{alert, at};
        let mut app = alerting_app();
        app.update(alerts_read(Vec::new()));
        app.messages.clear();
        let closed = |backend: &str, how: Option<Closed>| Alert {
            cleared_at: Some(at(0)),
            closed: how,
            ..alert(backend, Rule::Quota, -60)
        };
        app.update(Msg::AlertCleared(closed("a", Some(Closed::Removed))));
        app.update(Msg::AlertCleared(closed("b", Some(Closed::Disabled))));
        app.update(Msg::AlertCleared(closed("kubo", None)));
        let lines: Vec<&str> = app
            .messages
            .range(0..app.messages.len())
            .map(|m| m.text.as_str())
            .collect();
        assert_eq!(
            lines,
            [
                "closed: backend removed: a: quota on a",
                "closed: backend disabled: b: quota on b",
                "cleared: kubo: quota on kubo"
            ]
        );
        // Twelve backends of one endpoint coming back: one line too.
        app.messages.clear();
        for i in 0..12 {
            app.update(Msg::AlertCleared(Alert {
                closed: Some(Closed::Recovered),
                ..closed(&format!("s3-{i:02}"), None)
            }));
        }
        assert_eq!(app.messages.len(), 1);
        assert_eq!(
            app.messages.last().unwrap().text,
            "cleared: quota: 12 backends at 10.0.0.5:3900 (s3-00, s3-01, s3-02, …)"
        );
    }

    #[test]
    fn alerts_are_read_once_at_a_time_after_each_event() {
        use crate::tui::model::alerts::tests::alert;
        let mut app = alerting_app();
        // The read at start is under way: events meanwhile ask for one more, once.
        assert!(app.update(Msg::Alert(alert("a", Rule::Down, 0))).is_empty());
        assert!(app.update(Msg::Alert(alert("b", Rule::Down, 0))).is_empty());
        assert_eq!(app.update(alerts_read(Vec::new())), vec![Cmd::LoadAlerts]);
        assert!(app.update(alerts_read(Vec::new())).is_empty());
        assert_eq!(
            app.update(Msg::AlertCleared(alert("a", Rule::Down, 0))),
            vec![Cmd::LoadAlerts]
        );
    }

    #[test]
    fn the_count_follows_the_model_and_a_silence_that_ends_is_redrawn() {
        use crate::tui::model::alerts::tests::{alert, at, group};
        let mut app = alerting_app();
        let mut quiet = alert("kubo", Rule::Down, -60);
        quiet.silenced_until = Some(at(90));
        app.update(alerts_read(vec![
            group(Rule::Quota, None, vec![alert("a", Rule::Quota, -60)]),
            group(Rule::Down, Some("127.0.0.1:5001"), vec![quiet]),
        ]));
        assert_eq!(app.alerts.active_count(app.now), 1, "kubo is silenced");
        app.update(Msg::Tick(NOW + 30));
        app.dirty = false;
        app.update(Msg::Tick(NOW + 91));
        assert!(app.dirty, "kubo's silence ended: the count changed");
        assert_eq!(app.alerts.active_count(app.now), 2);
    }

    #[test]
    fn the_alerts_view_acknowledges_and_silences_its_selected_group() {
        use crate::tui::model::alerts::tests::{alert, group};
        let mut app = alerting_app();
        app.update(alerts_read(Vec::new()));
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('A'),
            KeyModifiers::SHIFT,
        )));
        assert!(matches!(app.popup, Some(Popup::Alerts(_))));
        let groups = || {
            let down: Vec<Alert> = (0..3)
                .map(|i| alert(&format!("s3-{i:02}"), Rule::Down, 0))
                .collect();
            vec![
                group(Rule::Down, Some("10.0.0.5:3900"), down),
                group(Rule::Quota, None, vec![alert("a", Rule::Quota, -60)]),
            ]
        };
        app.update(alerts_read(groups()));
        let targets: Vec<(String, Rule)> =
            (0..3).map(|i| (format!("s3-{i:02}"), Rule::Down)).collect();
        assert_eq!(
            app.update(key(KeyCode::Char('a'))),
            vec![Cmd::AcknowledgeAlerts(targets), Cmd::LoadAlerts]
        );
        assert!(matches!(app.popup, Some(Popup::Alerts(_))), "it stays open");
        assert_eq!(
            app.messages.last().unwrap().text,
            "acknowledged: down at 10.0.0.5:3900 (3 backends)"
        );
        app.update(alerts_read(groups()));
        app.update(key(KeyCode::Down));
        assert_eq!(
            app.update(key(KeyCode::Char('s'))),
            vec![
                Cmd::SilenceAlerts {
                    alerts: vec![("a".into(), Rule::Quota)],
                    for_secs: 3_600
                },
                Cmd::LoadAlerts
            ]
        );
        // Answered while that read is under way: one more read follows it.
        assert!(matches!(
            &app.update(Msg::Key(KeyEvent::new(
                KeyCode::Char('S'),
                KeyModifiers::SHIFT
            )))[..],
            [Cmd::SilenceAlerts {
                for_secs: 86_400,
                ..
            }]
        ));
        assert!(app.update(key(KeyCode::Esc)).is_empty());
        assert!(app.popup.is_none(), "Esc closes it");
        // The command line opens it too.
        app.update(key(KeyCode::Char(':')));
        for c in "alerts".chars() {
            app.update(key(KeyCode::Char(c)));
        }
        app.update(key(KeyCode::Enter));
        assert!(matches!(app.popup, Some(Popup::Alerts(_))));
        app.update(key(KeyCode::Char('q')));
        assert!(app.popup.is_none(), "q closes it");
    }

    #[test]
    fn read_only_shows_alerts_but_refuses_to_acknowledge() {
        use crate::tui::model::alerts::tests::{alert, group};
        let mut app = App::new(NOW, true, false);
        app.update(snapshot(&["a"]));
        app.update(alerts_read(vec![group(
            Rule::Quota,
            None,
            vec![alert("a", Rule::Quota, -60)],
        )]));
        app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('A'),
            KeyModifiers::SHIFT,
        )));
        let cmds = app.update(key(KeyCode::Char('a')));
        assert!(
            !cmds
                .iter()
                .any(|c| matches!(c, Cmd::AcknowledgeAlerts(_) | Cmd::SilenceAlerts { .. })),
            "{cmds:?}"
        );
        assert!(app.flash.as_ref().unwrap().1.starts_with("read-only"));
        assert!(matches!(app.popup, Some(Popup::Alerts(_))));
    }

    fn ctrl(c: char) -> Msg {
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
    }

    fn typed(app: &mut App, text: &str) -> Vec<Cmd> {
        text.chars()
            .flat_map(|c| app.update(key(KeyCode::Char(c))))
            .collect()
    }

    fn form_of(app: &App) -> &Form {
        match &app.popup {
            Some(Popup::Form(form)) => form,
            _ => panic!("no form open"),
        }
    }

    fn s3_doc(id: &str) -> Box<BackendDoc> {
        let config = serde_json::json!({"type": "s3", "endpoint": "http://10.0.0.5:3900",
            "bucket": "media", "access_key": "GK1", "secret_key": "env:S3_SECRET"});
        Box::new(BackendDoc {
            id: id.into(),
            path: format!("/x/{id}.json").into(),
            doc: serde_json::json!({"id": id, "config": config})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        })
    }

    #[test]
    fn c_clones_the_selected_backend_into_a_new_form_saved_under_a_free_id() {
        let mut app = App::new(1_000, false, false);
        app.update(snapshot(&["alpha", "alpha-2"]));
        assert_eq!(
            app.update(key(KeyCode::Char('c'))),
            vec![Cmd::LoadForClone("alpha".into())],
            "read off the UI loop, as for an edit"
        );
        app.update(Msg::CloneLoaded(Ok(s3_doc("alpha"))));
        assert_eq!(form_of(&app).title(), "Clone alpha as a new s3 backend");
        let cmds = app.update(ctrl('s'));
        let [Cmd::Save {
            id,
            config,
            editing,
        }] = &cmds[..]
        else {
            panic!("{cmds:?}")
        };
        assert_eq!((id.as_str(), *editing), ("alpha-3", false), "a new backend");
        assert_eq!(config["bucket"], "media");
        assert_eq!(config["secret_key"], "env:S3_SECRET");
        app.update(Msg::Saved(Ok("alpha-3".into())));
        assert!(app.popup.is_none());
        assert_eq!(app.messages.last().unwrap().text, "added backend alpha-3");
        // The command line too; a read that failed is said.
        assert_eq!(
            type_line(&mut app, "clone alpha-2"),
            vec![Cmd::LoadForClone("alpha-2".into())]
        );
        app.update(Msg::CloneLoaded(Err("backend 'alpha-2' is gone".into())));
        assert!(app.popup.is_none());
        let mut read_only = App::new(1_000, true, false);
        read_only.update(snapshot(&["a"]));
        assert!(read_only.update(key(KeyCode::Char('c'))).is_empty());
        assert!(read_only.flash.as_ref().unwrap().1.starts_with("read-only"));
        assert!(type_line(&mut read_only, "clone a").is_empty());
    }

    /// Adds a `local` backend `id` through the form (`:add local`) and saves it.
    fn add_from_the_form(app: &mut App, id: &str) {
        type_line(app, "add local");
        typed(app, id);
        app.update(key(KeyCode::Tab));
        typed(app, "/srv/new");
        let cmds = app.update(ctrl('s'));
        assert!(
            matches!(&cmds[..], [Cmd::Save { id: saved, editing: false, .. }] if saved == id),
            "{cmds:?}"
        );
    }

    #[test]
    fn a_backend_added_from_the_form_is_selected_when_its_row_arrives() {
        // The save answers first; the row comes with the engine's next snapshot.
        let mut app = App::new(1_000, false, false);
        app.update(snapshot(&["alpha", "beta", "zeta"]));
        add_from_the_form(&mut app, "media");
        app.update(Msg::Saved(Ok("media".into())));
        assert_eq!(
            app.selected_id().as_deref(),
            Some("alpha"),
            "not listed yet"
        );
        app.update(snapshot(&["alpha", "beta", "media", "zeta"]));
        assert_eq!(app.selected_id().as_deref(), Some("media"));
        // Later snapshots do not take the selection back to it.
        app.update(key(KeyCode::Char('g')));
        app.update(snapshot(&["alpha", "beta", "media", "zeta"]));
        assert_eq!(app.selected_id().as_deref(), Some("alpha"));

        // The row first, then the save's answer.
        let mut app = App::new(1_000, false, false);
        app.update(snapshot(&["alpha", "zeta"]));
        add_from_the_form(&mut app, "media");
        app.update(snapshot(&["alpha", "media", "zeta"]));
        app.update(Msg::Saved(Ok("media".into())));
        assert_eq!(app.selected_id().as_deref(), Some("media"));

        // A filter that hides it is cleared, and the footer says so.
        let mut app = App::new(1_000, false, false);
        app.update(snapshot(&["alpha", "zeta"]));
        type_line(&mut app, "filter zet");
        add_from_the_form(&mut app, "media");
        app.update(Msg::Saved(Ok("media".into())));
        app.update(snapshot(&["alpha", "media", "zeta"]));
        assert_eq!(app.selected_id().as_deref(), Some("media"));
        assert_eq!(app.backends.filter(), "");
        assert!(app.flash.as_ref().unwrap().1.contains("new backend media"));

        // Moved meanwhile: the operator's choice stands.
        let mut app = App::new(1_000, false, false);
        app.update(snapshot(&["alpha", "beta", "zeta"]));
        add_from_the_form(&mut app, "media");
        app.update(Msg::Saved(Ok("media".into())));
        app.update(key(KeyCode::Char('j')));
        app.update(snapshot(&["alpha", "beta", "media", "zeta"]));
        assert_eq!(app.selected_id().as_deref(), Some("beta"));
    }

    #[test]
    fn a_clone_is_selected_when_its_row_arrives_and_an_edit_keeps_the_selection() {
        let mut app = App::new(1_000, false, false);
        app.update(snapshot(&["alpha", "beta"]));
        app.update(key(KeyCode::Char('c')));
        app.update(Msg::CloneLoaded(Ok(s3_doc("alpha"))));
        app.update(ctrl('s'));
        app.update(Msg::Saved(Ok("alpha-2".into())));
        app.update(snapshot(&["alpha", "alpha-2", "beta"]));
        assert_eq!(app.selected_id().as_deref(), Some("alpha-2"));
        // An edit saved: the edited backend is already the selection, nothing moves.
        app.update(key(KeyCode::Char('j')));
        assert_eq!(app.selected_id().as_deref(), Some("beta"));
        app.update(Msg::EditLoaded(Ok(s3_doc("beta"))));
        app.update(ctrl('s'));
        app.update(Msg::Saved(Ok("beta".into())));
        app.update(snapshot(&["alpha", "alpha-2", "beta"]));
        assert_eq!(app.selected_id().as_deref(), Some("beta"));
        assert_eq!(app.messages.last().unwrap().text, "saved backend beta");
    }

    #[test]
    fn y_copies_the_id_and_capital_y_the_endpoint_through_the_terminal() {
        let mut app = alerting_app();
        assert_eq!(
            app.update(key(KeyCode::Char('y'))),
            vec![Cmd::Copy("a".into())]
        );
        let (_, said) = app.flash.clone().unwrap();
        assert!(
            said.starts_with("copied id 'a'") && said.contains("OSC 52"),
            "{said}"
        );
        let shift_y = Msg::Key(KeyEvent::new(KeyCode::Char('Y'), KeyModifiers::SHIFT));
        assert!(app.update(shift_y).is_empty());
        assert_eq!(
            app.flash.clone().unwrap().1,
            "no network endpoint known for a: nothing copied"
        );
        app.update(alerts_read(Vec::new()));
        app.update(key(KeyCode::Down));
        app.update(key(KeyCode::Down));
        assert_eq!(app.selected_id().as_deref(), Some("kubo"));
        let shift_y = Msg::Key(KeyEvent::new(KeyCode::Char('Y'), KeyModifiers::SHIFT));
        assert_eq!(
            app.update(shift_y),
            vec![Cmd::Copy("127.0.0.1:5001".into())]
        );
        assert!(app
            .flash
            .clone()
            .unwrap()
            .1
            .starts_with("copied kubo's endpoint 127.0.0.1:5001"));
        let mut read_only = App::new(NOW, true, false);
        read_only.update(snapshot(&["a"]));
        assert_eq!(
            read_only.update(key(KeyCode::Char('y'))),
            vec![Cmd::Copy("a".into())],
            "copying changes nothing"
        );
    }

    #[test]
    fn the_form_asks_before_discarding_shows_its_tests_steps_and_looks_at_paths() {
        let mut app = app();
        type_line(&mut app, "add local");
        typed(&mut app, "scratch");
        let cmds: Vec<Cmd> = [key(KeyCode::Tab)]
            .into_iter()
            .chain("/srv/new".chars().map(|c| key(KeyCode::Char(c))))
            .chain([key(KeyCode::Tab)])
            .flat_map(|msg| app.update(msg))
            .collect();
        assert_eq!(cmds, vec![Cmd::CheckPath("/srv/new".into())]);
        app.update(Msg::PathChecked {
            path: "/srv/new".into(),
            state: PathState::Missing,
        });
        // Esc on a changed form: a question, No keeps the form and its values.
        assert!(app.update(key(KeyCode::Esc)).is_empty());
        assert_eq!(
            app.popup.as_ref().map(Popup::hints),
            Some(super::super::popups::confirm::DISCARD_HINTS)
        );
        app.update(key(KeyCode::Char('n')));
        assert!(matches!(app.popup, Some(Popup::Form(_))));
        // Test: the steps over the form; closing them returns to it.
        let cmds = app.update(ctrl('t'));
        assert!(matches!(&cmds[..], [Cmd::TestConfig { id, .. }] if id == "scratch"));
        let report = crate::probe::TestReport {
            id: "scratch".into(),
            kind: "local".into(),
            ok: false,
            steps: Vec::new(),
            error: None,
            checked_at: String::new(),
            elapsed_ms: 1.0,
            cached: false,
        };
        app.update(Msg::FormTestFinished(Box::new(report)));
        assert_eq!(
            app.popup.as_ref().map(Popup::hints),
            Some(super::super::popups::test_result::HINTS)
        );
        app.update(key(KeyCode::Esc));
        assert_eq!(
            app.popup.as_ref().map(Popup::hints),
            Some(super::super::popups::form::HINTS)
        );
        // A missing directory does not refuse the save.
        let cmds = app.update(ctrl('s'));
        assert!(
            matches!(&cmds[..], [Cmd::Save { id, .. }] if id == "scratch"),
            "{cmds:?}"
        );
        // And y discards.
        app.update(key(KeyCode::Esc));
        app.update(key(KeyCode::Char('y')));
        assert!(app.popup.is_none());
    }

    #[test]
    fn tab_completes_the_command_line_from_the_backends() {
        let mut app = app();
        app.update(key(KeyCode::Char(':')));
        typed(&mut app, "ed");
        app.update(key(KeyCode::Tab));
        typed(&mut app, "g");
        app.update(key(KeyCode::Tab));
        match &app.popup {
            Some(Popup::Command(line)) => assert_eq!(line.value(), "edit gamma "),
            _ => panic!("the command line closed"),
        }
        assert_eq!(
            app.update(key(KeyCode::Enter)),
            vec![Cmd::LoadForEdit("gamma".into())]
        );
    }

    #[test]
    fn messages_are_bounded() {
        let mut app = app();
        for i in 0..(MESSAGE_LIMIT + 50) {
            app.push_message(Level::Info, format!("m{i}"));
        }
        assert_eq!(app.messages.len(), MESSAGE_LIMIT);
        assert_eq!(
            app.messages.last().unwrap().text,
            format!("m{}", MESSAGE_LIMIT + 49)
        );
    }
}
