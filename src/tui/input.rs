//! Keys, the mouse and pastes, turned into what they ask for: a popup's own keys go to the
//! popup (`popups/`), which says what was asked; the filter line's to `panes/list.rs`; a key of
//! the main screen to its `Intent` through the keymap, and a `:` line to its `Intent` through
//! `popups/command.rs`. Intents are carried out by `actions.rs`.

use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::intent::{Intent, Target};
use super::message::Cmd;
use super::model::{Level, Row};
use super::panes::layout;
use super::panes::list::{self, FilterOutcome};
use super::popups::alerts::{AlertsOutcome, AlertsView};
use super::popups::chooser::ChooserOutcome;
use super::popups::command::{self, CommandOutcome};
use super::popups::confirm::ConfirmOutcome;
use super::popups::dashboard;
use super::popups::form::FormOutcome;
use super::popups::log::LogOutcome;
use super::popups::maintenance::MaintenanceOutcome;
use super::popups::{Popup, Shown};
use super::state::{App, Pane};

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Cmd> {
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
        match self.keymap.action_for(&key) {
            Some(action) => self.perform(Intent::of_key(action)),
            None => Vec::new(),
        }
    }

    pub(super) fn on_paste(&mut self, text: &str) {
        match &mut self.popup {
            Some(Popup::Form(form)) => form.handle_paste(text),
            Some(Popup::Command(line)) => line.paste(text),
            Some(Popup::Maintenance(popup)) => popup.paste(text),
            _ => {}
        }
        self.dirty = true;
    }

    /// A click selects and focuses what it is on (a click on a column's header sorts by it, a
    /// second one reverses); the wheel scrolls what it is over. With a popup open, the wheel
    /// scrolls the popup as the arrow keys would and clicks do nothing.
    pub(super) fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Cmd> {
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
                Pane::Detail => self.timeline.scroll_by(-delta),
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
                self.on_alerts_outcome(view, outcome)
            }
            Popup::Log(mut view) => match view.handle_key(key) {
                LogOutcome::Close => Vec::new(),
                LogOutcome::Open => {
                    self.popup = Some(Popup::Log(view));
                    Vec::new()
                }
                LogOutcome::Reload => {
                    self.popup = Some(Popup::Log(view));
                    vec![Cmd::LoadLog]
                }
            },
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
            Popup::Maintenance(mut popup) => match popup.handle_key(key) {
                MaintenanceOutcome::Open => {
                    self.popup = Some(Popup::Maintenance(popup));
                    Vec::new()
                }
                MaintenanceOutcome::Start {
                    id,
                    for_secs,
                    reason,
                } => self.perform(Intent::StartMaintenance {
                    target: Target::Named(id),
                    for_secs,
                    reason,
                }),
                MaintenanceOutcome::End(id) => {
                    self.perform(Intent::EndMaintenance(Target::Named(id)))
                }
                MaintenanceOutcome::Keep(id) => {
                    self.flash = Some((Level::Info, format!("{id} stays in maintenance")));
                    Vec::new()
                }
                MaintenanceOutcome::Cancel => Vec::new(),
            },
            Popup::Chooser(mut chooser) => match chooser.handle_key(key) {
                ChooserOutcome::None => {
                    self.popup = Some(Popup::Chooser(chooser));
                    Vec::new()
                }
                ChooserOutcome::Cancel => Vec::new(),
                ChooserOutcome::Chosen(kind) => self.perform(Intent::Add(kind)),
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

    /// What a key of the alerts view asked for: the view stays open over what is done.
    fn on_alerts_outcome(&mut self, view: AlertsView, outcome: AlertsOutcome) -> Vec<Cmd> {
        let intent = match outcome {
            AlertsOutcome::Close => return Vec::new(),
            AlertsOutcome::Open => None,
            AlertsOutcome::Acknowledge(targets) => Some(Intent::Acknowledge(targets)),
            AlertsOutcome::Silence(targets, for_secs) => {
                Some(Intent::Silence { targets, for_secs })
            }
        };
        self.popup = Some(Popup::Alerts(view));
        intent.map(|i| self.perform(i)).unwrap_or_default()
    }

    /// A command line, read into its intent (`popups/command.rs`) and carried out as a key's.
    fn run_command(&mut self, line: &str) -> Vec<Cmd> {
        match command::parse(line, |id| self.backends.get(id).is_some()) {
            Ok(intent) => self.perform(intent),
            Err(mistake) => {
                self.flash = Some((Level::Error, mistake));
                Vec::new()
            }
        }
    }
}
