//! The one function that changes the console's state from the outside: `App::update(msg)`
//! applies a message (the engine's events, finished tasks, time, the terminal's size) and
//! returns what the runtime must do. Keys and the mouse go on to `input.rs`, and what they ask
//! for to `actions.rs`; views only read what is left here.

use ratatui::layout::Rect;

use super::message::{Cmd, Msg};
use super::model::alerts::millis;
use super::model::{Change, Level, Row};
use super::panes::ages::ages_label;
use super::panes::layout;
use super::popups::form::{self, Form, SaveError};
use super::popups::test_result::TestResult;
use super::popups::Popup;
use super::state::App;
use crate::api::AlertGroup;
use crate::monitor::alerts::{Alert, Closed};
use crate::probe::TestReport;

impl App {
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

    pub fn push_message(&mut self, level: Level, text: impl Into<String>) {
        self.messages.push(self.now, level, text);
        self.dirty = true;
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
            Msg::Paste(text) => self.on_paste(&text),
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
            Msg::Tick(now) => self.time_passed(now),
            Msg::Snapshot { rows, problems } => return self.snapshot(rows, problems),
            Msg::Stats { stats, point } => {
                let change = self.backends.apply_stats(*stats, point);
                self.backends_changed(change);
            }
            Msg::FleetRound { rows, hosts, at } => {
                if let Some(fleet) = &mut self.fleet {
                    for (level, text) in fleet.round(hosts, at) {
                        self.messages.push(at, level, text);
                    }
                }
                let change = self.backends.replace(rows);
                self.backends_changed(change);
                self.dirty = true;
            }
            Msg::FleetUnreachable { reason, at } => self.fleet_unreachable(reason, at),
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
            } => return self.alerts_loaded(groups, alerts, endpoints),
            Msg::AlertActionRefused(error) => self.push_message(Level::Error, error.to_string()),
            Msg::HookFailed(failure) => self.push_message(Level::Error, failure.to_string()),
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
            Msg::Maintenance(event) => self.push_message(Level::Info, event.describe()),
            Msg::MaintenanceSaved(Ok(())) => {}
            Msg::MaintenanceSaved(Err(error)) => {
                self.push_message(Level::Error, error.to_string());
            }
            Msg::LogLoaded { entries, problem } => {
                if let Some(Popup::Log(view)) = &mut self.popup {
                    view.loaded(entries, problem);
                    self.dirty = true;
                }
            }
            Msg::TestFinished(report) => self.test_finished(report),
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
            Msg::CloneLoaded(result) => return self.clone_loaded(result),
            Msg::Saved(result) => self.saved(result),
            Msg::InventoryRefused(error) => self.push_message(Level::Warning, error.to_string()),
            Msg::Toggled(result) => match result {
                Ok((id, enabled)) => self.push_message(
                    Level::Info,
                    format!(
                        "backend {id} switched {}",
                        if enabled { "on" } else { "off" }
                    ),
                ),
                Err(error) => self.push_message(Level::Error, error.to_string()),
            },
            Msg::Removed(result) => match result {
                Ok(id) => self.push_message(Level::Info, format!("removed backend {id}")),
                Err(error) => self.push_message(Level::Error, error.to_string()),
            },
            Msg::EditLoaded(result) => match result {
                Ok(doc) => return self.open_form(Form::edit(&doc)),
                Err(error) => self.push_message(Level::Error, error.to_string()),
            },
            Msg::TerminalLost => {
                self.quit = true;
                return vec![Cmd::Quit];
            }
            Msg::Availability { id, report } => {
                if self.incidents.loaded(&id, report.map(|r| *r)) {
                    self.dirty = true;
                }
            }
            Msg::Events { id, events } => {
                if self.timeline.loaded(id, events) {
                    self.dirty = true;
                }
            }
            Msg::TimelineEvent { id, event } => {
                if self.timeline.push(&id, *event) {
                    self.dirty = true;
                }
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

    /// The wall clock moved on (once a second).
    fn time_passed(&mut self, now: i64) {
        self.alerts_time_passed(now);
        // Ages are real time: they go on while paused (the figures hold still).
        let before = self
            .selected_row()
            .map(|r| ages_label(self.now, r, self.absolute_times));
        let countdowns_before = self.maintenance_countdowns();
        self.now = now;
        let after = self
            .selected_row()
            .map(|r| ages_label(self.now, r, self.absolute_times));
        if before != after || countdowns_before != self.maintenance_countdowns() {
            self.dirty = true;
        }
    }

    /// The time left of every listed backend in maintenance, as the list says it: a frame is
    /// drawn when one changes (once a minute, every second in the last one).
    fn maintenance_countdowns(&self) -> Vec<String> {
        self.backends
            .visible()
            .filter_map(|r| r.stats.maintenance.as_ref())
            .map(|brief| super::panes::ages::maintenance_left(self.now, brief))
            .collect()
    }

    /// Every backend at once (the start, or the list changed).
    fn snapshot(&mut self, rows: Vec<Row>, problems: Vec<(String, String)>) -> Vec<Cmd> {
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
        // The list changed (or this is the start): the dashboard's files may have too, and the
        // alerts (closed with a backend, endpoints changed).
        let mut cmds = vec![Cmd::LoadDashboard];
        cmds.extend(self.load_alerts());
        cmds
    }

    /// Prometheus did not answer the fleet view's round: said once, and what is on screen is
    /// now only the last round's, shown as last-known figures.
    fn fleet_unreachable(&mut self, reason: String, at: i64) {
        if let Some(text) = self.fleet.as_mut().and_then(|fleet| fleet.failed(reason)) {
            self.messages.push(at, Level::Error, text);
        }
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

    fn alerts_loaded(
        &mut self,
        groups: Vec<AlertGroup>,
        alerts: Vec<Alert>,
        endpoints: std::collections::HashMap<String, String>,
    ) -> Vec<Cmd> {
        let loaded = self.alerts.loaded(groups, alerts, endpoints);
        if loaded.changed {
            self.dirty = true;
        }
        if loaded.again {
            vec![Cmd::LoadAlerts]
        } else {
            Vec::new()
        }
    }

    fn test_finished(&mut self, report: Box<TestReport>) {
        self.testing.retain(|id| *id != report.id);
        let verdict = if report.ok { "passed" } else { "FAILED" };
        let detail = report
            .error
            .as_ref()
            .map(|e| format!(": {}", e.message))
            .unwrap_or_default();
        let level = if report.ok { Level::Info } else { Level::Error };
        self.push_message(level, format!("test of {} {verdict}{detail}", report.id));
        // A form or confirmation the operator opened meanwhile is not covered up.
        if self.popup.is_none() {
            self.popup = Some(Popup::TestResult(TestResult::new(report)));
        }
        self.dirty = true;
    }

    /// The config to clone was read: a form for it under a free id.
    fn clone_loaded(
        &mut self,
        result: Result<Box<crate::store::BackendDoc>, crate::api::ApiError>,
    ) -> Vec<Cmd> {
        let form = match result {
            Ok(doc) => {
                let id = form::free_clone_id(&doc.id, |id| self.backends.get(id).is_some());
                Form::clone_of(&doc, &id)
            }
            Err(error) => Err(error.to_string()),
        };
        match form {
            Ok(form) => self.open_form(form),
            Err(message) => {
                self.push_message(Level::Error, message);
                Vec::new()
            }
        }
    }

    fn saved(&mut self, result: Result<String, SaveError>) {
        match result {
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
        }
    }

    /// Asks for the alerts to be read again: at most one read at a time, and one more after it
    /// when asked meanwhile.
    pub(super) fn load_alerts(&mut self) -> Vec<Cmd> {
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
    pub(super) fn backends_changed(&mut self, change: Change) {
        if let Change::Shown { gone } = change {
            if let Some(text) = gone {
                self.flash = Some((Level::Info, text));
            }
            self.dirty = true;
        }
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
        // The fleet view has no history files: its rows carry no availability to read.
        let incidents = (self.fleet.is_none())
            .then(|| {
                self.incidents
                    .wanted(id, row.stats.availability.as_ref(), self.now)
            })
            .flatten()
            .map(Cmd::LoadAvailability);
        // The fleet view has no timelines: they are kept on each backend's own host.
        let events = if self.fleet.is_none() {
            self.timeline.wanted(id).map(Cmd::LoadEvents)
        } else {
            None
        };
        self.charts
            .wanted(id, range, self.now, &row.history, paused)
            .map(|(id, range)| Cmd::LoadHistory { id, range })
            .into_iter()
            .chain(incidents)
            .chain(events)
            .collect()
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::AlertGroup;
    use crate::monitor::alerts::Rule;
    use crate::stats::{BackendStats, Health, HealthStatus, Storage};
    use crate::store::BackendDoc;
    use crate::tui::model::{SortColumn, MESSAGE_LIMIT};
    use crate::tui::popups::form::Form;
    use crossterm::event::KeyEvent;
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
    fn m_puts_the_selected_backend_in_maintenance_or_ends_it() {
        let mut app = app();
        assert_eq!(app.selected_id().as_deref(), Some("alpha"));
        assert!(app.update(key(KeyCode::Char('m'))).is_empty());
        assert!(matches!(app.popup, Some(Popup::Maintenance(_))));
        for c in "90m".chars() {
            app.update(key(KeyCode::Char(c)));
        }
        app.update(key(KeyCode::Tab));
        for c in "kernel".chars() {
            app.update(key(KeyCode::Char(c)));
        }
        assert_eq!(
            app.update(key(KeyCode::Enter)),
            [Cmd::StartMaintenance {
                id: "alpha".into(),
                for_secs: 5400,
                reason: Some("kernel".into()),
            }]
        );
        assert!(app.popup.is_none());
        // The engine says it started, with the row's new stats.
        let mut stats = app.backends.get("alpha").unwrap().stats.clone();
        stats.maintenance = Some(crate::stats::MaintenanceBrief {
            since: "1970-01-01T00:16:40+00:00".into(),
            until: "1970-01-01T01:46:40+00:00".into(),
            reason: Some("kernel".into()),
        });
        app.update(Msg::Stats {
            stats: Box::new(stats),
            point: None,
        });
        // On a backend in maintenance, m asks whether to end it: No by default, y ends it.
        app.update(key(KeyCode::Char('m')));
        assert!(app.update(key(KeyCode::Enter)).is_empty());
        assert!(app
            .flash
            .as_ref()
            .is_some_and(|(_, text)| text == "alpha stays in maintenance"));
        app.update(key(KeyCode::Char('m')));
        assert_eq!(
            app.update(key(KeyCode::Char('y'))),
            [Cmd::EndMaintenance("alpha".into())]
        );
        // The command line: a window, and an end refused for a backend not in one.
        assert_eq!(
            type_line(&mut app, "maintenance gamma 2h disk swap"),
            [Cmd::StartMaintenance {
                id: "gamma".into(),
                for_secs: 7200,
                reason: Some("disk swap".into()),
            }]
        );
        assert!(type_line(&mut app, "maintenance gamma end").is_empty());
        assert!(app
            .flash
            .as_ref()
            .is_some_and(|(_, text)| text == "gamma is not in maintenance"));
        // Read-only: refused in the footer's words.
        let mut read_only = App::new(1_000, true, false);
        read_only.update(snapshot(&["a"]));
        assert!(read_only.update(key(KeyCode::Char('m'))).is_empty());
        assert!(read_only.popup.is_none());
        assert!(read_only
            .flash
            .as_ref()
            .is_some_and(|(_, text)| text.starts_with("read-only: maintenance is disabled")));
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
        let gone = crate::store::StoreError::NotFound("alpha-2".into());
        app.update(Msg::CloneLoaded(Err(gone.into())));
        assert!(app.popup.is_none());
        assert!(app.messages.last().unwrap().text.contains("alpha-2"));
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
            state: crate::tui::popups::form::PathState::Missing,
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
