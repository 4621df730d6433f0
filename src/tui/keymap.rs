//! Every key of the main screen in one table: the footer, the help screen and the dispatcher all
//! read it, so remapping later means changing one place.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    NextPane,
    PrevPane,
    Open,
    Back,
    Filter,
    Sort,
    SortReverse,
    Add,
    Edit,
    Test,
    TestWrite,
    Toggle,
    Remove,
    PollNow,
    Inventory,
    Dashboard,
    Alerts,
    Pause,
    Help,
    Command,
    Quit,
}

#[derive(Clone, Copy, Debug)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

const fn key(code: KeyCode) -> Key {
    Key {
        code,
        modifiers: KeyModifiers::NONE,
    }
}

const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub action: Action,
    pub keys: &'static [Key],
    /// How the keys are written in the footer and help.
    pub shown: &'static str,
    /// A word or two for the footer.
    pub label: &'static str,
    /// A sentence for the help screen.
    pub help: &'static str,
    /// Changes backends: refused in `--read-only`.
    pub changes: bool,
    /// Shown in the footer (the rest only in help).
    pub in_footer: bool,
}

const fn bind(
    action: Action,
    keys: &'static [Key],
    shown: &'static str,
    label: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        action,
        keys,
        shown,
        label,
        help,
        changes: false,
        in_footer: false,
    }
}

const fn footer(mut b: Binding) -> Binding {
    b.in_footer = true;
    b
}

const fn changing(mut b: Binding) -> Binding {
    b.changes = true;
    b
}

pub const KEYMAP: &[Binding] = &[
    footer(bind(
        Action::Up,
        &[key(KeyCode::Up), ch('k')],
        "↑/k",
        "up",
        "select the previous backend (or scroll up)",
    )),
    footer(bind(
        Action::Down,
        &[key(KeyCode::Down), ch('j')],
        "↓/j",
        "down",
        "select the next backend (or scroll down)",
    )),
    bind(
        Action::Top,
        &[ch('g'), key(KeyCode::Home)],
        "g",
        "top",
        "go to the first backend",
    ),
    bind(
        Action::Bottom,
        &[ch('G'), key(KeyCode::End)],
        "G",
        "bottom",
        "go to the last backend",
    ),
    bind(
        Action::PageUp,
        &[key(KeyCode::PageUp)],
        "PgUp",
        "page up",
        "one page up",
    ),
    bind(
        Action::PageDown,
        &[key(KeyCode::PageDown)],
        "PgDn",
        "page down",
        "one page down",
    ),
    bind(
        Action::NextPane,
        &[key(KeyCode::Tab), ch('l'), key(KeyCode::Right)],
        "Tab/l",
        "next pane",
        "focus the next pane (list, detail, messages)",
    ),
    bind(
        Action::PrevPane,
        &[key(KeyCode::BackTab), ch('h'), key(KeyCode::Left)],
        "S-Tab/h",
        "prev pane",
        "focus the previous pane",
    ),
    footer(bind(
        Action::Open,
        &[key(KeyCode::Enter)],
        "Enter",
        "detail",
        "full-screen detail of the selected backend",
    )),
    bind(
        Action::Back,
        &[key(KeyCode::Esc)],
        "Esc",
        "back",
        "back to the list; clears the filter",
    ),
    footer(bind(
        Action::Filter,
        &[ch('/')],
        "/",
        "filter",
        "filter by id, kind or health as you type (Enter keeps, Esc clears)",
    )),
    footer(bind(
        Action::Sort,
        &[ch('s')],
        "s",
        "sort",
        "sort by the next column",
    )),
    bind(
        Action::SortReverse,
        &[ch('S')],
        "S",
        "reverse",
        "reverse the sort order",
    ),
    footer(changing(bind(
        Action::Add,
        &[ch('a')],
        "a",
        "add",
        "add a backend",
    ))),
    footer(changing(bind(
        Action::Edit,
        &[ch('e')],
        "e",
        "edit",
        "edit the selected backend",
    ))),
    footer(bind(
        Action::Test,
        &[ch('t')],
        "t",
        "test",
        "test the selected backend in the background",
    )),
    changing(bind(
        Action::Toggle,
        &[ch('x')],
        "x",
        "on/off",
        "switch the selected backend off, or on again (its enabled field)",
    )),
    changing(bind(
        Action::TestWrite,
        &[ch('W')],
        "W",
        "write test",
        "test, then put, read back and delete a small object (local, s3)",
    )),
    footer(changing(bind(
        Action::Remove,
        &[ch('d'), key(KeyCode::Delete)],
        "d",
        "remove",
        "remove the selected backend (asks first)",
    ))),
    footer(bind(
        Action::PollNow,
        &[ch('r')],
        "r",
        "poll",
        "poll the selected backend now",
    )),
    bind(
        Action::Inventory,
        &[ch('I')],
        "I",
        "count",
        "count the selected backend now (listing, walk, pins)",
    ),
    bind(
        Action::Dashboard,
        &[ch('D')],
        "D",
        "dashboard",
        "the Python dashboard's own backends, read-only",
    ),
    bind(
        Action::Alerts,
        &[ch('A')],
        "A",
        "alerts",
        "the alerts, grouped by endpoint: acknowledge (a), silence (s, S)",
    ),
    footer(bind(
        Action::Pause,
        &[ch('p')],
        "p",
        "pause",
        "pause or resume live updates",
    )),
    footer(bind(Action::Help, &[ch('?')], "?", "help", "this help")),
    bind(
        Action::Command,
        &[ch(':')],
        ":",
        "command",
        "command line: add KIND, edit ID, test ID, remove ID, poll [ID], q",
    ),
    footer(bind(
        Action::Quit,
        &[
            ch('q'),
            Key {
                code: KeyCode::Char('c'),
                modifiers: KeyModifiers::CONTROL,
            },
        ],
        "q",
        "quit",
        "quit (Ctrl-C too)",
    )),
];

/// The action bound to a key on the main screen.
pub fn action_for(event: &KeyEvent) -> Option<Action> {
    // Shift is part of the character for letters ('G', 'S'); ignore it when matching chars.
    let modifiers = match event.code {
        KeyCode::Char(_) => event.modifiers - KeyModifiers::SHIFT,
        KeyCode::BackTab => event.modifiers - KeyModifiers::SHIFT,
        _ => event.modifiers,
    };
    KEYMAP
        .iter()
        .find(|b| {
            b.keys
                .iter()
                .any(|k| k.code == event.code && k.modifiers == modifiers)
        })
        .map(|b| b.action)
}

pub fn binding(action: Action) -> Option<&'static Binding> {
    KEYMAP.iter().find(|b| b.action == action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = Vec::new();
        for binding in KEYMAP {
            for k in binding.keys {
                let id = (format!("{:?}", k.code), k.modifiers);
                assert!(!seen.contains(&id), "{id:?} bound twice");
                seen.push(id);
            }
        }
    }

    #[test]
    fn shifted_letters_and_ctrl_c() {
        let shifted = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(action_for(&shifted), Some(Action::Bottom));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&ctrl_c), Some(Action::Quit));
        let plain_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(action_for(&plain_c), None);
    }
}
