//! What reaches the console's update code (`Msg`: keys, the engine's events, finished tasks)
//! and what it asks the runtime to do in return (`Cmd`). Neither holds behaviour: the state
//! changes in `update`, `input` and `actions`, and the runtime does the I/O.

use std::collections::HashMap;

use crossterm::event::{KeyEvent, MouseEvent};
use serde_json::{Map, Value};

use super::model::{ChartRange, DashboardBackends, Row};
use super::popups::form::{PathState, SaveError};
use super::popups::log::LogEntry;
use crate::api::{AlertGroup, ApiError, ApiInventoryError};
use crate::monitor::alerts::{Alert, Rule};
use crate::monitor::history::{KeptHistory, Point};
use crate::monitor::hooks::HookFailure;
use crate::monitor::timeline::TimelineEvent;
use crate::probe::TestReport;
use crate::stats::BackendStats;
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
    /// Read a backend's availability (its incidents, from the whole kept history and the
    /// alerts log) for the detail, off the UI loop.
    LoadAvailability(String),
    /// Read a backend's kept history over a range for the charts, off the UI loop.
    LoadHistory {
        id: String,
        range: ChartRange,
    },
    /// Read a backend's timeline (its newest events) for the detail, off the UI loop.
    LoadEvents(String),
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
    /// Puts a backend in maintenance for so many seconds from now, with a reason.
    StartMaintenance {
        id: String,
        for_secs: u64,
        reason: Option<String>,
    },
    EndMaintenance(String),
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
        stats: Box<BackendStats>,
        point: Option<Point>,
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
    AlertActionRefused(ApiInventoryError),
    /// An alert hook could not deliver an alert (what failed, and why).
    HookFailed(HookFailure),
    /// The engine cannot write the home (full, read-only, permission): why, and what it holds.
    HomeTrouble(crate::monitor::writer::HomeTrouble),
    /// The engine can write the home again.
    HomeWritable,
    /// A backend's maintenance window started, changed or ended (by itself, or an operator).
    Maintenance(crate::monitor::MaintenanceEvent),
    /// The console's log as read (`Cmd::LoadLog`), and why the file could not be read, if not.
    LogLoaded {
        entries: Vec<LogEntry>,
        problem: Option<String>,
    },
    TestFinished(Box<TestReport>),
    FormTestFinished(Box<TestReport>),
    /// A form's save: the id, or why it was refused.
    Saved(Result<String, SaveError>),
    /// An inventory asked for with a key could not start (the reason).
    InventoryRefused(ApiInventoryError),
    Removed(Result<String, ApiError>),
    /// A maintenance window set or ended, or why not (the engine announces those that were,
    /// `Msg::Maintenance`: nothing more is said of them).
    MaintenanceSaved(Result<(), ApiError>),
    /// A backend switched on or off (its id and new state), or why not.
    Toggled(Result<(String, bool), ApiError>),
    EditLoaded(Result<Box<BackendDoc>, ApiError>),
    /// The config to clone (`Cmd::LoadForClone`), or why it could not be read.
    CloneLoaded(Result<Box<BackendDoc>, ApiError>),
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
    /// A backend's availability report as read (`Cmd::LoadAvailability`); `None` when it could
    /// not be read.
    Availability {
        id: String,
        report: Option<Box<crate::stats::availability::AvailabilityReport>>,
    },
    /// A backend's timeline as read (`Cmd::LoadEvents`); none when it could not be read.
    Events {
        id: String,
        events: Vec<TimelineEvent>,
    },
    /// An event the engine recorded in a backend's timeline.
    TimelineEvent {
        id: String,
        event: Box<TimelineEvent>,
    },
    /// A backend's kept history over a range, as read (`Cmd::LoadHistory`).
    History {
        id: String,
        range: ChartRange,
        history: KeptHistory,
    },
}
