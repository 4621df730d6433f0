//! What the popups share: the narrow context they draw from, and the keys that close one.
//! Apart from `mod.rs` (which names every popup) so that a popup imports nothing that imports
//! it back.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::tui::keymap::Keymap;
use crate::tui::model::{AlertBoard, DashboardBackends};

/// What the popups draw from besides their own state: a narrow view of the console's, so that
/// a popup never reads (or depends on) the whole `App`.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// The main screen's keys, for the help.
    pub keymap: &'a Keymap,
    pub read_only: bool,
    pub alerts: &'a AlertBoard,
    /// The dashboard's read-only backends, for their popup.
    pub dashboard: &'a DashboardBackends,
    /// Wall clock, unix seconds.
    pub now: i64,
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
