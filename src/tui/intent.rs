//! What the operator asked for, whichever way they asked: a key of the main screen (its
//! `Action`, through the keymap) or a `:` command line (`popups/command.rs`). One vocabulary
//! for both, so that `App::perform` (`actions.rs`) carries a verb out the same way and refuses
//! it at one gate: what changes backends is refused in `--read-only`, and what only the console
//! on the backend's own host can do is refused in the fleet view.

use super::keymap::Action;
use super::model::{ChartRange, SortColumn};
use crate::backends::Kind;
use crate::monitor::alerts::Rule;

/// Which backend a verb is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The one selected in the list (a key); nothing happens when none is.
    Selected,
    /// One named on the command line (known to exist when the line was read).
    Named(String),
}

/// The alerts a key of the alerts view acts on, and how the message log names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertTargets {
    /// Each alert as the api names it: its backend and its rule.
    pub alerts: Vec<(String, Rule)>,
    pub what: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intent {
    /// An empty command line.
    Nothing,
    /// The selection (or the messages, when focused) by so many rows.
    Move(isize),
    /// A page of the list, as laid out at the terminal's size: down, or up.
    Page {
        down: bool,
    },
    Top,
    Bottom,
    NextPane,
    PrevPane,
    /// The full-screen detail of the selected backend.
    Open,
    /// Out of the full detail; else clears the filter; else the focus back to the list.
    Back,
    /// Starts typing the filter (Enter keeps it, Esc clears it).
    TypeFilter,
    /// Filters by this text (none: the filter is cleared).
    Filter(String),
    NextSort,
    ReverseSort,
    Sort {
        column: SortColumn,
        reverse: bool,
    },
    /// The kind chooser, for a new backend.
    ChooseKind,
    /// A new backend's form, of this kind.
    Add(Kind),
    Edit(Target),
    /// A new backend's form holding the target's values, under a free id.
    Clone(Target),
    Test(Target),
    /// A test with the write check (a small object put, read back and deleted).
    TestWrite(Target),
    /// Switches the backend off, or on again (its `enabled` field).
    Toggle(Target),
    /// Asks, then removes.
    Remove(Target),
    Poll(Target),
    PollAll,
    Inventory(Target),
    /// The maintenance popup: how long and why, or, for a backend in maintenance, whether to
    /// end it.
    Maintenance(Target),
    /// Puts the backend in maintenance for `for_secs` from now (polled, alerts held).
    StartMaintenance {
        target: Target,
        for_secs: u64,
        reason: Option<String>,
    },
    EndMaintenance(Target),
    CopyId(Target),
    CopyEndpoint(Target),
    /// The charts' time range.
    Range(ChartRange),
    /// The next longer (or shorter) charts' range.
    RangeStep {
        longer: bool,
    },
    /// Clock times instead of ages, or back.
    AbsoluteTimes,
    Pause,
    Help,
    /// The Python dashboard's own backends.
    Dashboard,
    /// The alerts view.
    Alerts,
    Acknowledge(AlertTargets),
    Silence {
        targets: AlertTargets,
        for_secs: u64,
    },
    /// The console's own log.
    Log,
    /// The `:` command line.
    CommandLine,
    Quit,
}

impl Intent {
    /// What a key asks for: the selected backend is the target of a key's verb.
    pub fn of_key(action: Action) -> Intent {
        let selected = Target::Selected;
        match action {
            Action::Up => Intent::Move(-1),
            Action::Down => Intent::Move(1),
            Action::PageUp => Intent::Page { down: false },
            Action::PageDown => Intent::Page { down: true },
            Action::Top => Intent::Top,
            Action::Bottom => Intent::Bottom,
            Action::NextPane => Intent::NextPane,
            Action::PrevPane => Intent::PrevPane,
            Action::Open => Intent::Open,
            Action::Back => Intent::Back,
            Action::Filter => Intent::TypeFilter,
            Action::Sort => Intent::NextSort,
            Action::SortReverse => Intent::ReverseSort,
            Action::Add => Intent::ChooseKind,
            Action::Edit => Intent::Edit(selected),
            Action::Clone => Intent::Clone(selected),
            Action::Test => Intent::Test(selected),
            Action::TestWrite => Intent::TestWrite(selected),
            Action::Toggle => Intent::Toggle(selected),
            Action::Remove => Intent::Remove(selected),
            Action::PollNow => Intent::Poll(selected),
            Action::Inventory => Intent::Inventory(selected),
            Action::Maintenance => Intent::Maintenance(selected),
            Action::YankId => Intent::CopyId(selected),
            Action::YankEndpoint => Intent::CopyEndpoint(selected),
            Action::Dashboard => Intent::Dashboard,
            Action::Alerts => Intent::Alerts,
            Action::Log => Intent::Log,
            Action::Pause => Intent::Pause,
            Action::RangeShorter => Intent::RangeStep { longer: false },
            Action::RangeLonger => Intent::RangeStep { longer: true },
            Action::AbsoluteTimes => Intent::AbsoluteTimes,
            Action::Help => Intent::Help,
            Action::Command => Intent::CommandLine,
            Action::Quit => Intent::Quit,
        }
    }

    /// What this changes, as the refusal names it (`read-only: edit is disabled`); none for
    /// what only reads. The one read-only check of the console.
    pub fn changes(&self) -> Option<&'static str> {
        match self {
            Intent::ChooseKind | Intent::Add(_) => Some("add"),
            Intent::Edit(_) => Some("edit"),
            Intent::Clone(_) => Some("clone"),
            Intent::TestWrite(_) => Some("write test"),
            Intent::Toggle(_) => Some("on/off"),
            Intent::Remove(_) => Some("remove"),
            Intent::Acknowledge(_) | Intent::Silence { .. } => {
                Some("acknowledging and silencing alerts")
            }
            Intent::Maintenance(_)
            | Intent::StartMaintenance { .. }
            | Intent::EndMaintenance(_) => Some("maintenance"),
            _ => None,
        }
    }

    /// What only the console on the backend's own host can do (the fleet view reads
    /// Prometheus, not the backends), as the refusal names it.
    pub fn host_only(&self) -> Option<&'static str> {
        match self {
            Intent::Test(_) | Intent::TestWrite(_) => Some("a test"),
            Intent::Inventory(_) => Some("an inventory"),
            Intent::Alerts | Intent::Acknowledge(_) | Intent::Silence { .. } => {
                Some("acknowledging and silencing alerts")
            }
            Intent::Dashboard => Some("the dashboard's own files"),
            Intent::Maintenance(_)
            | Intent::StartMaintenance { .. }
            | Intent::EndMaintenance(_) => Some("maintenance"),
            Intent::Log => Some("the console's log"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::KEYMAP;

    #[test]
    fn a_key_that_changes_backends_is_refused_in_the_words_of_its_footer_label() {
        for binding in KEYMAP {
            let intent = Intent::of_key(binding.action);
            if let Some(what) = intent.changes() {
                assert_eq!(what, binding.label, "{:?}", binding.action);
            }
        }
        let changing: Vec<Action> = KEYMAP
            .iter()
            .map(|b| b.action)
            .filter(|a| Intent::of_key(*a).changes().is_some())
            .collect();
        assert_eq!(
            changing,
            [
                Action::Add,
                Action::Edit,
                Action::Clone,
                Action::Toggle,
                Action::TestWrite,
                Action::Remove,
                Action::Maintenance
            ]
        );
    }
}
