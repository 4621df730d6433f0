//! The console's state: the models (`model/`: the backends, the alerts, the message log, the
//! command history, the charts' history) and the GUI's own state (focus, the open popup, the
//! filter being typed, flags). Views read it (`view.rs`, `panes/`); only the update code
//! (`update.rs`, `input.rs`, `actions.rs`) writes it.

use ratatui::layout::Rect;
use tui_input::Input;

use super::keymap::Keymap;
use super::model::{
    AlertBoard, BackendTable, ChartRange, ChartSeries, CommandHistory, DashboardBackends,
    FleetStatus, HomeStatus, IncidentList, Level, ListColumn, MessageLog, Row, TimelineView,
};
use super::popups::Popup;

/// The panes that take the focus, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    List,
    Detail,
    Messages,
}

impl Pane {
    const ORDER: [Pane; 3] = [Pane::List, Pane::Detail, Pane::Messages];

    /// The next pane in Tab order (or the previous one), round.
    pub fn next(self, forward: bool) -> Pane {
        let order = Self::ORDER;
        let i = order.iter().position(|p| *p == self).unwrap_or(0);
        let step = if forward { 1 } else { order.len() - 1 };
        order[(i + step) % order.len()]
    }
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
    pub chart_range: ChartRange,
    /// The selected backend's history over `chart_range`, as read for the detail's charts.
    pub charts: ChartSeries,
    /// The selected backend's incidents, as read for the detail's availability section.
    pub incidents: IncidentList,
    /// The selected backend's timeline, as read for the detail (scrolled with the detail
    /// focused).
    pub timeline: TimelineView,
    /// The fleet view (`--fleet`): every host's backends read from Prometheus, read-only.
    pub fleet: Option<FleetStatus>,
    /// Whether the engine can write the home (said on the summary line while it cannot).
    pub home: HomeStatus,
    /// A backend this console just added (or cloned): selected as soon as its row arrives,
    /// which may be after the save's answer. Dropped when the operator moves the selection.
    pub(super) select_when_listed: Option<String>,
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
            chart_range: ChartRange::default(),
            charts: ChartSeries::default(),
            incidents: IncidentList::default(),
            timeline: TimelineView::default(),
            fleet: None,
            home: HomeStatus::default(),
            select_when_listed: None,
        }
    }

    /// The console as a fleet view over the Prometheus at `url`: read-only.
    pub fn for_fleet(now: i64, url: &str, lite: bool) -> App {
        let mut app = App::new(now, true, lite);
        app.fleet = Some(FleetStatus::new(url));
        app
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.backends.selected_row()
    }

    pub fn selected_id(&self) -> Option<String> {
        self.backends.selected_id()
    }
}
