//! The popups, one file each holding its state, its keys (a `handle_key` that changes only the
//! popup and says what the operator asked for; the update code carries it out), its footer hints
//! (`HINTS`, read by the footer) and its drawing.

pub mod alerts;
pub mod chooser;
pub mod command;
pub mod confirm;
pub mod dashboard;
pub mod form;
pub mod help;
pub mod log;
pub mod maintenance;
pub mod shared;
pub mod test_result;

use ratatui::layout::Rect;
use ratatui::Frame;

use self::alerts::AlertsView;
use self::chooser::KindChooser;
use self::command::CommandLine;
use self::confirm::Confirm;
use self::form::Form;
use self::help::Help;
use self::log::LogView;
use self::maintenance::MaintenancePopup;
pub use self::shared::{Context, Shown};
use self::test_result::TestResult;
use super::theme::Theme;
use super::widgets::Hint;

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
    /// A backend's maintenance: how long and why, or whether to end it.
    Maintenance(MaintenancePopup),
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
            Popup::Maintenance(popup) => popup.hints(),
        }
    }

    /// Draws the popup over `area`, the whole screen; each places itself.
    pub fn draw(&self, frame: &mut Frame, area: Rect, context: &Context, theme: &Theme) {
        match self {
            Popup::Help(help) => help.draw(frame, area, context, theme),
            Popup::Confirm(confirm) => confirm.draw(frame, area, theme),
            Popup::Chooser(chooser) => chooser.draw(frame, area, theme),
            Popup::Form(form) => form.draw(frame, area, theme),
            Popup::TestResult(result) => result.draw(frame, area, theme),
            Popup::Command(line) => line.draw(frame, area, theme),
            Popup::Dashboard => dashboard::draw(frame, area, context.dashboard, theme),
            Popup::Alerts(view) => view.draw(frame, area, context, theme),
            Popup::Log(view) => view.draw(frame, area, theme),
            Popup::Maintenance(popup) => popup.draw(frame, area, context.now, theme),
        }
    }
}
