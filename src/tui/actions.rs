//! Carrying out what the operator asked for: `App::perform(Intent)`, the same for a key and a
//! `:` command line. Its gate is the console's one check of what may be done: an intent that
//! changes backends is refused in `--read-only` (and in the fleet view, which is read-only),
//! and one that only the console on the backend's own host can do is refused in the fleet view.

use tui_input::Input;

use super::intent::{AlertTargets, Intent, Target};
use super::message::Cmd;
use super::model::{ChartRange, Level};
use super::panes::layout;
use super::popups::alerts::AlertsView;
use super::popups::chooser::KindChooser;
use super::popups::command::CommandLine;
use super::popups::confirm::Confirm;
use super::popups::form::Form;
use super::popups::help::Help;
use super::popups::log::LogView;
use super::popups::maintenance::MaintenancePopup;
use super::popups::Popup;
use super::state::{App, Pane};
use crate::backends::Kind;

impl App {
    /// Carries out an intent, after the gate; returns what the runtime must do.
    pub(super) fn perform(&mut self, intent: Intent) -> Vec<Cmd> {
        self.dirty = true;
        if self.read_only {
            if let Some(what) = intent.changes() {
                self.refuse_read_only(what);
                return Vec::new();
            }
        }
        if self.fleet.is_some() {
            if let Some(what) = intent.host_only() {
                self.fleet_cannot(what);
                return Vec::new();
            }
        }
        match intent {
            Intent::Nothing => {}
            Intent::Move(delta) => self.move_by(delta),
            Intent::Page { down } => {
                let page = self.page().max(1) as isize;
                self.move_by(if down { page } else { -page });
            }
            Intent::Top => self.move_to(0),
            Intent::Bottom => self.move_to(usize::MAX),
            Intent::NextPane => self.focus = self.focus.next(true),
            Intent::PrevPane => self.focus = self.focus.next(false),
            Intent::Open => {
                if self.selected_row().is_some() {
                    self.full_detail = true;
                }
            }
            Intent::Back => self.back(),
            Intent::TypeFilter => {
                self.filter_input = Some(Input::new(self.backends.filter().to_string()));
            }
            Intent::Filter(text) => {
                let change = self.backends.set_filter(&text);
                self.backends_changed(change);
            }
            Intent::NextSort => {
                let change = self.backends.next_sort();
                self.backends_changed(change);
            }
            Intent::ReverseSort => {
                let change = self.backends.toggle_reverse();
                self.backends_changed(change);
            }
            Intent::Sort { column, reverse } => {
                let change = self.backends.set_sort(column, reverse);
                self.backends_changed(change);
            }
            Intent::ChooseKind => self.popup = Some(Popup::Chooser(KindChooser::new())),
            Intent::Add(kind) => self.popup = Some(Popup::Form(Box::new(Form::add(kind)))),
            Intent::Edit(target) => return self.on_target(target, Cmd::LoadForEdit),
            Intent::Clone(target) => return self.on_target(target, Cmd::LoadForClone),
            Intent::Test(target) => {
                if let Some(id) = self.target(target) {
                    return self.start_test(id, false);
                }
            }
            Intent::TestWrite(target) => {
                if let Some(id) = self.target(target) {
                    return self.test_writing(id);
                }
            }
            Intent::Toggle(target) => {
                if let Some(row) = self.target(target).and_then(|id| self.backends.get(&id)) {
                    return vec![Cmd::SetEnabled {
                        id: row.stats.id.clone(),
                        enabled: !row.stats.enabled,
                    }];
                }
            }
            Intent::Remove(target) => {
                if let Some(id) = self.target(target) {
                    let kind = self
                        .backends
                        .get(&id)
                        .map(|r| r.stats.kind.clone())
                        .unwrap_or_default();
                    self.popup = Some(Popup::Confirm(Confirm::remove(&id, &kind)));
                }
            }
            Intent::Poll(target) => {
                if let Some(id) = self.target(target) {
                    self.flash = Some((Level::Info, format!("polling {id} now")));
                    return vec![Cmd::PollNow(Some(id))];
                }
            }
            Intent::PollAll => return vec![Cmd::PollNow(None)],
            Intent::Inventory(target) => {
                if let Some(id) = self.target(target) {
                    self.flash = Some((Level::Info, format!("counting {id} now")));
                    return vec![Cmd::Inventory(id)];
                }
            }
            Intent::Maintenance(target) => {
                if let Some(id) = self.target(target) {
                    let current = self
                        .backends
                        .get(&id)
                        .and_then(|r| r.stats.maintenance.clone());
                    self.popup = Some(Popup::Maintenance(MaintenancePopup::new(
                        &id,
                        current.as_ref(),
                    )));
                }
            }
            Intent::StartMaintenance {
                target,
                for_secs,
                reason,
            } => {
                if let Some(id) = self.target(target) {
                    // The engine says when it has started (`Msg::Maintenance`).
                    return vec![Cmd::StartMaintenance {
                        id,
                        for_secs,
                        reason,
                    }];
                }
            }
            Intent::EndMaintenance(target) => {
                if let Some(id) = self.target(target) {
                    let in_maintenance = self
                        .backends
                        .get(&id)
                        .is_some_and(|r| r.stats.maintenance.is_some());
                    if !in_maintenance {
                        self.flash = Some((Level::Info, format!("{id} is not in maintenance")));
                        return Vec::new();
                    }
                    return vec![Cmd::EndMaintenance(id)];
                }
            }
            Intent::CopyId(target) => {
                if let Some(id) = self.target(target) {
                    return self.copy(format!("id '{id}'"), id);
                }
            }
            Intent::CopyEndpoint(target) => {
                if let Some(id) = self.target(target) {
                    return self.copy_endpoint(&id);
                }
            }
            Intent::Range(range) => self.set_chart_range(range),
            Intent::RangeStep { longer } => self.set_chart_range(self.chart_range.step(longer)),
            Intent::AbsoluteTimes => self.absolute_times = !self.absolute_times,
            Intent::Pause => return self.toggle_pause(),
            Intent::Help => self.popup = Some(Popup::Help(Help::default())),
            Intent::Dashboard => {
                self.popup = Some(Popup::Dashboard);
                return vec![Cmd::LoadDashboard];
            }
            Intent::Alerts => return self.open_alerts(),
            Intent::Acknowledge(targets) => {
                return self.act_on_alerts("acknowledged".to_string(), targets, None)
            }
            Intent::Silence { targets, for_secs } => {
                let verb = format!("silenced for {}h", for_secs / 3_600);
                return self.act_on_alerts(verb, targets, Some(for_secs));
            }
            Intent::Log => {
                self.popup = Some(Popup::Log(LogView::default()));
                return vec![Cmd::LoadLog];
            }
            Intent::CommandLine => self.popup = Some(Popup::Command(CommandLine::default())),
            Intent::Quit => {
                self.quit = true;
                return vec![Cmd::Quit];
            }
        }
        Vec::new()
    }

    /// The backend a verb is about: the selected one, or the one named.
    fn target(&self, target: Target) -> Option<String> {
        match target {
            Target::Selected => self.selected_id(),
            Target::Named(id) => Some(id),
        }
    }

    /// `cmd` for the target, when there is one.
    fn on_target(&self, target: Target, cmd: fn(String) -> Cmd) -> Vec<Cmd> {
        self.target(target).map(cmd).into_iter().collect()
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
    }

    /// What the fleet view cannot do (it reads Prometheus, not the backends), said.
    fn fleet_cannot(&mut self, what: &str) {
        self.flash = Some((
            Level::Warning,
            format!("fleet view: {what} runs on each host (ipfs-kit-tui there), not from here"),
        ));
    }

    /// Esc: out of the full detail; else clears the filter; else the focus back to the list.
    fn back(&mut self) {
        if self.full_detail {
            self.full_detail = false;
        } else if !self.backends.filter().is_empty() {
            let change = self.backends.set_filter("");
            self.backends_changed(change);
        } else {
            self.focus = Pane::List;
        }
    }

    /// Rows per page of the list (PgUp/PgDn), as the list is laid out at the terminal's size.
    pub(super) fn page(&self) -> usize {
        // Before the size is known: a guess, corrected by the runtime's first message.
        self.size.map_or(10, |area| layout::list_page(area, self))
    }

    pub(super) fn move_by(&mut self, delta: isize) {
        match self.focus {
            Pane::Messages => self.messages.scroll_by(delta),
            // Up goes back in the timeline.
            Pane::Detail => self.timeline.scroll_by(-delta),
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
            Pane::Detail => self.timeline.scroll_to(index == 0),
            _ => {
                self.select_when_listed = None;
                self.backends.select(index);
            }
        }
    }

    /// Shows a form (add, edit, clone) and asks for its paths to be looked at on disk.
    pub(super) fn open_form(&mut self, mut form: Form) -> Vec<Cmd> {
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
        vec![Cmd::Copy(text)]
    }

    fn copy_endpoint(&mut self, id: &str) -> Vec<Cmd> {
        match self.alerts.endpoint(id) {
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
        }
    }

    /// Opens the alerts view, and reads them afresh for it.
    fn open_alerts(&mut self) -> Vec<Cmd> {
        self.popup = Some(Popup::Alerts(AlertsView::default()));
        self.load_alerts()
    }

    /// Acknowledges (no `silence`) or silences for so many seconds the alerts picked in the
    /// alerts view; the message log says what was done (`verb`).
    fn act_on_alerts(
        &mut self,
        verb: String,
        targets: AlertTargets,
        silence: Option<u64>,
    ) -> Vec<Cmd> {
        self.push_message(Level::Info, format!("{verb}: {}", targets.what));
        let cmd = match silence {
            None => Cmd::AcknowledgeAlerts(targets.alerts),
            Some(for_secs) => Cmd::SilenceAlerts {
                alerts: targets.alerts,
                for_secs,
            },
        };
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
        if write {
            vec![Cmd::TestWrite(id)]
        } else {
            vec![Cmd::Test(id)]
        }
    }

    /// A test with the write check, refused up front for a kind without one, as the CLI's
    /// `--write` is: no read steps run for a check that cannot happen, and no FAIL is kept as
    /// the last test.
    fn test_writing(&mut self, id: String) -> Vec<Cmd> {
        let kind = self.backends.get(&id).map(|r| r.stats.kind.clone());
        if let Some(reason) = kind.as_deref().and_then(Kind::write_check_refusal) {
            self.flash = Some((
                Level::Warning,
                format!("no write test of {id}: {reason}; t tests it without one"),
            ));
            return Vec::new();
        }
        self.start_test(id, true)
    }

    fn toggle_pause(&mut self) -> Vec<Cmd> {
        let change = self.backends.toggle_pause();
        self.backends_changed(change);
        vec![Cmd::SetPaused(self.backends.is_paused())]
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
    }
}
