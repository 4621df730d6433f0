//! The popups, one file each holding its state, its keys (a `handle_key` that changes only the
//! popup and says what the operator asked for; `App::update` carries it out), its footer hints
//! (`HINTS`, read by the footer) and its drawing.

pub mod alerts;
pub mod chooser;
pub mod command;
pub mod confirm;
pub mod dashboard;
pub mod form;
pub mod help;
pub mod log;
pub mod test_result;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::Frame;

use self::alerts::AlertsView;
use self::chooser::KindChooser;
use self::command::CommandLine;
use self::confirm::Confirm;
use self::form::Form;
use self::help::Help;
use self::log::LogView;
use self::test_result::TestResult;
use super::app::App;
use super::panes::footer::Hint;
use super::theme::Theme;

pub enum Popup {
    /// The help, scrollable.
    Help(Help),
    Confirm(Confirm),
    Chooser(KindChooser),
    Form(Box<Form>),
    TestResult(TestResult),
    /// The `:` command line.
    Command(CommandLine),
    /// The dashboard's read-only backends (`App::dashboard`).
    Dashboard,
    /// The alerts (`App::alerts`): acknowledge, silence.
    Alerts(AlertsView),
    /// The console's own log: hook failures, files that could not be saved or read.
    Log(LogView),
}

impl Popup {
    /// The footer's hints while this popup is open.
    pub fn hints(&self) -> &'static [Hint] {
        match self {
            Popup::Help(_) => help::HINTS,
            Popup::Confirm(_) => confirm::HINTS,
            Popup::Chooser(_) => chooser::HINTS,
            Popup::Form(form) => form.hints(),
            Popup::TestResult(_) => test_result::HINTS,
            Popup::Command(_) => command::HINTS,
            Popup::Dashboard => dashboard::HINTS,
            Popup::Alerts(_) => alerts::HINTS,
            Popup::Log(_) => log::HINTS,
        }
    }

    /// Draws the popup over `area`, the whole screen; each places itself.
    pub fn draw(&self, frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        match self {
            Popup::Help(help) => help.draw(frame, area, app, theme),
            Popup::Confirm(confirm) => confirm.draw(frame, area, theme),
            Popup::Chooser(chooser) => chooser.draw(frame, area, theme),
            Popup::Form(form) => form.draw(frame, area, theme),
            Popup::TestResult(result) => result.draw(frame, area, theme),
            Popup::Command(line) => line.draw(frame, area, theme),
            Popup::Dashboard => dashboard::draw(frame, area, &app.dashboard, theme),
            Popup::Alerts(view) => view.draw(frame, area, app, theme),
            Popup::Log(view) => view.draw(frame, area, theme),
        }
    }
}

/// What a key did to a popup that only shows something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Open,
    Close,
}

pub fn is_ctrl_c(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

/// The keys that close a popup that only shows something: Esc, Enter, q, ?, Ctrl-C.
pub fn closes(key: &KeyEvent) -> bool {
    is_ctrl_c(key)
        || matches!(
            key.code,
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q' | '?')
        )
}

/// Snapshots of popups made before they moved here keep their names and their folder
/// (`src/tui/snapshots/ipfs_kit_tui__tui__<old module>__tests__<name>.snap`): a test asserts
/// under these settings with the old name, so moving code changes no snapshot file.
#[cfg(test)]
pub fn kept_snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings
}
