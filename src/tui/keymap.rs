//! Every key of the main screen in one table (`KEYMAP`: the default keys, the footer's and the
//! help's words). A `Keymap` is that table's keys with the config file's `[keys]` over them:
//! the dispatcher, the footer and the help read the keys from it, so what is shown is what works.

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
    Clone,
    Test,
    TestWrite,
    Toggle,
    Remove,
    PollNow,
    Inventory,
    Maintenance,
    YankId,
    YankEndpoint,
    Dashboard,
    Alerts,
    Log,
    Pause,
    RangeShorter,
    RangeLonger,
    AbsoluteTimes,
    Help,
    Command,
    Quit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    /// A word or two for the footer.
    pub label: &'static str,
    /// A sentence for the help screen.
    pub help: &'static str,
    /// Shown in the footer (the rest only in help).
    pub in_footer: bool,
}

const fn bind(
    action: Action,
    keys: &'static [Key],
    label: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        action,
        keys,
        label,
        help,
        in_footer: false,
    }
}

const fn footer(mut b: Binding) -> Binding {
    b.in_footer = true;
    b
}

pub const KEYMAP: &[Binding] = &[
    footer(bind(
        Action::Up,
        &[key(KeyCode::Up), ch('k')],
        "up",
        "select the previous backend (or scroll up)",
    )),
    footer(bind(
        Action::Down,
        &[key(KeyCode::Down), ch('j')],
        "down",
        "select the next backend (or scroll down)",
    )),
    bind(
        Action::Top,
        &[ch('g'), key(KeyCode::Home)],
        "top",
        "go to the first backend",
    ),
    bind(
        Action::Bottom,
        &[ch('G'), key(KeyCode::End)],
        "bottom",
        "go to the last backend",
    ),
    bind(
        Action::PageUp,
        &[key(KeyCode::PageUp)],
        "page up",
        "one page up",
    ),
    bind(
        Action::PageDown,
        &[key(KeyCode::PageDown)],
        "page down",
        "one page down",
    ),
    bind(
        Action::NextPane,
        &[key(KeyCode::Tab), ch('l'), key(KeyCode::Right)],
        "next pane",
        "focus the next pane (list, detail, messages)",
    ),
    bind(
        Action::PrevPane,
        &[key(KeyCode::BackTab), ch('h'), key(KeyCode::Left)],
        "prev pane",
        "focus the previous pane",
    ),
    footer(bind(
        Action::Open,
        &[key(KeyCode::Enter)],
        "detail",
        "full-screen detail of the selected backend",
    )),
    bind(
        Action::Back,
        &[key(KeyCode::Esc)],
        "back",
        "back to the list; clears the filter",
    ),
    footer(bind(
        Action::Filter,
        &[ch('/')],
        "filter",
        "filter by id, kind or health as you type (Enter keeps, Esc clears)",
    )),
    footer(bind(
        Action::Sort,
        &[ch('s')],
        "sort",
        "sort by the next column",
    )),
    bind(
        Action::SortReverse,
        &[ch('S')],
        "reverse",
        "reverse the sort order",
    ),
    footer(bind(Action::Add, &[ch('a')], "add", "add a backend")),
    footer(bind(
        Action::Edit,
        &[ch('e')],
        "edit",
        "edit the selected backend",
    )),
    bind(
        Action::Clone,
        &[ch('c')],
        "clone",
        "add a backend with the selected one's values, under a new id",
    ),
    footer(bind(
        Action::Test,
        &[ch('t')],
        "test",
        "test the selected backend in the background",
    )),
    bind(
        Action::Toggle,
        &[ch('x')],
        "on/off",
        "switch the selected backend off, or on again (its enabled field)",
    ),
    bind(
        Action::TestWrite,
        &[ch('W')],
        "write test",
        "test, then put, read back and delete a small object (local, ipfs, s3)",
    ),
    footer(bind(
        Action::Remove,
        &[ch('d'), key(KeyCode::Delete)],
        "remove",
        "remove the selected backend (asks first)",
    )),
    footer(bind(
        Action::PollNow,
        &[ch('r')],
        "poll",
        "poll the selected backend now",
    )),
    bind(
        Action::Inventory,
        &[ch('I')],
        "count",
        "count the selected backend now (listing, walk, pins)",
    ),
    bind(
        Action::Maintenance,
        &[ch('m')],
        "maintenance",
        "maintenance for a while: polled, alerts held (or end it)",
    ),
    bind(
        Action::YankId,
        &[ch('y')],
        "copy id",
        "copy the selected backend's id (to the clipboard, by OSC 52)",
    ),
    bind(
        Action::YankEndpoint,
        &[ch('Y')],
        "copy endpoint",
        "copy the selected backend's endpoint, host:port (OSC 52)",
    ),
    bind(
        Action::Dashboard,
        &[ch('D')],
        "dashboard",
        "the Python dashboard's own backends, read-only",
    ),
    bind(
        Action::Alerts,
        &[ch('A')],
        "alerts",
        "the alerts, grouped by endpoint: acknowledge (a), silence (s, S)",
    ),
    bind(
        Action::Log,
        &[ch('L')],
        "log",
        "the console's own log: hook failures, files it could not save or read",
    ),
    bind(
        Action::RangeShorter,
        &[ch('[')],
        "shorter",
        "charts: a shorter time range (15m, 1h, 24h, 7d, 30d; also :range 24h)",
    ),
    bind(
        Action::RangeLonger,
        &[ch(']')],
        "longer",
        "charts: a longer time range, read from the kept history",
    ),
    bind(
        Action::AbsoluteTimes,
        &[ch('T')],
        "times",
        "ages (checked 12s ago) or the clock times they stand for",
    ),
    footer(bind(
        Action::Pause,
        &[ch('p')],
        "pause",
        "pause or resume live updates",
    )),
    footer(bind(Action::Help, &[ch('?')], "help", "this help")),
    bind(
        Action::Command,
        &[ch(':')],
        "command",
        "command line (Tab completes): add, edit, clone, test, remove, q",
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
        "quit",
        "quit (Ctrl-C too)",
    )),
];

pub fn binding(action: Action) -> Option<&'static Binding> {
    KEYMAP.iter().find(|b| b.action == action)
}

impl Action {
    /// As the config file's `[keys]` names it: `page_down`, `sort_reverse` (from the variant's
    /// name, so an action added to the table is named without another list to keep).
    pub fn name(self) -> String {
        let mut name = String::new();
        for (i, c) in format!("{self:?}").chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    name.push('_');
                }
                name.push(c.to_ascii_lowercase());
            } else {
                name.push(c);
            }
        }
        name
    }

    /// The action of the table named `name` in the config file.
    pub fn parse(name: &str) -> Option<Action> {
        KEYMAP.iter().map(|b| b.action).find(|a| a.name() == name)
    }

    /// Every action's name, in the table's order, for a message that lists them.
    pub fn names() -> Vec<String> {
        KEYMAP.iter().map(|b| b.action.name()).collect()
    }
}

/// Keys with a name in the config file, the name it is written with first.
const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("Enter", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Tab", KeyCode::Tab),
    ("BackTab", KeyCode::BackTab),
    ("Space", KeyCode::Char(' ')),
    ("Backspace", KeyCode::Backspace),
    ("Delete", KeyCode::Delete),
    ("Insert", KeyCode::Insert),
    ("PgUp", KeyCode::PageUp),
    ("PgDn", KeyCode::PageDown),
    ("Return", KeyCode::Enter),
    ("Escape", KeyCode::Esc),
    ("Del", KeyCode::Delete),
    ("Ins", KeyCode::Insert),
];

/// Modifier prefixes of the config file's keys (`Ctrl-r`, `Alt+x`), in lower case.
const MODIFIER_PREFIXES: &[(&str, KeyModifiers)] = &[
    ("ctrl-", KeyModifiers::CONTROL),
    ("ctrl+", KeyModifiers::CONTROL),
    ("control-", KeyModifiers::CONTROL),
    ("alt-", KeyModifiers::ALT),
    ("alt+", KeyModifiers::ALT),
    ("shift-", KeyModifiers::SHIFT),
    ("shift+", KeyModifiers::SHIFT),
];

impl Key {
    /// A key as the config file writes it: a character (`k`, `K`, `?`), a name (`Up`,
    /// `PageDown`, `Enter`, `Esc`, `Tab`, `BackTab`, `Space`, `F1`…`F12`, …), with `Ctrl-`,
    /// `Alt-` or `Shift-` before it. `None` when it is not a key.
    pub fn parse(text: &str) -> Option<Key> {
        let mut rest = text;
        let mut modifiers = KeyModifiers::NONE;
        loop {
            let lower = rest.to_ascii_lowercase();
            // "-" and "Ctrl--" are keys too: a prefix counts only with something after it.
            let Some((prefix, modifier)) = MODIFIER_PREFIXES
                .iter()
                .find(|(prefix, _)| lower.starts_with(prefix) && rest.len() > prefix.len())
            else {
                break;
            };
            modifiers |= *modifier;
            rest = &rest[prefix.len()..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => {
                let lower = rest.to_ascii_lowercase();
                let named = NAMED_KEYS
                    .iter()
                    .find(|(name, _)| name.to_ascii_lowercase() == lower)
                    .map(|(_, code)| *code);
                let function = lower
                    .strip_prefix('f')
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=12).contains(n))
                    .map(KeyCode::F);
                named.or(function)?
            }
        };
        Some(Key::normalized(code, modifiers))
    }

    /// One spelling per key, as terminals report it: Shift is in the character (`K`, not
    /// `Shift-k`) and Shift-Tab is `BackTab`; Ctrl with a letter is the lower-case letter.
    fn normalized(code: KeyCode, modifiers: KeyModifiers) -> Key {
        let shift = modifiers.contains(KeyModifiers::SHIFT);
        let (code, modifiers) = match code {
            KeyCode::Char(c) => {
                let modifiers = modifiers - KeyModifiers::SHIFT;
                let c = if modifiers.contains(KeyModifiers::CONTROL) {
                    c.to_ascii_lowercase()
                } else if shift {
                    c.to_uppercase().next().unwrap_or(c)
                } else {
                    c
                };
                (KeyCode::Char(c), modifiers)
            }
            KeyCode::Tab if shift => (KeyCode::BackTab, modifiers - KeyModifiers::SHIFT),
            KeyCode::BackTab => (KeyCode::BackTab, modifiers - KeyModifiers::SHIFT),
            code => (code, modifiers),
        };
        Key { code, modifiers }
    }

    /// The key of a key event, spelled as the keymap spells keys.
    pub fn pressed(event: &KeyEvent) -> Key {
        match event.code {
            // The character already says Shift ('G'); a terminal may report it or not.
            KeyCode::Char(_) => Key::normalized(event.code, event.modifiers - KeyModifiers::SHIFT),
            _ => Key::normalized(event.code, event.modifiers),
        }
    }

    fn modifier_prefix(&self, ctrl: &str, alt: &str, shift: &str) -> String {
        let mut prefix = String::new();
        for (modifier, word) in [
            (KeyModifiers::CONTROL, ctrl),
            (KeyModifiers::ALT, alt),
            (KeyModifiers::SHIFT, shift),
        ] {
            if self.modifiers.contains(modifier) {
                prefix.push_str(word);
            }
        }
        prefix
    }

    /// The key's own name in the config file, without its modifiers.
    fn code_name(&self) -> String {
        match self.code {
            KeyCode::Char(c) if c != ' ' => c.to_string(),
            KeyCode::F(n) => format!("F{n}"),
            code => NAMED_KEYS
                .iter()
                .find(|(_, named)| *named == code)
                .map(|(name, _)| (*name).to_string())
                .unwrap_or_else(|| format!("{code:?}")),
        }
    }

    /// As the config file writes it (`parse` reads it back): `k`, `PageDown`, `Ctrl-c`.
    pub fn config_name(&self) -> String {
        format!(
            "{}{}",
            self.modifier_prefix("Ctrl-", "Alt-", "Shift-"),
            self.code_name()
        )
    }

    /// As the footer and the help show it: `k`, `↑`, `PgDn`, `S-Tab`, `Ctrl-r`.
    pub fn label(&self) -> String {
        let name = match self.code {
            KeyCode::Char(' ') => "Space",
            KeyCode::Up => "↑",
            KeyCode::Down => "↓",
            KeyCode::Left => "←",
            KeyCode::Right => "→",
            KeyCode::PageUp => "PgUp",
            KeyCode::PageDown => "PgDn",
            KeyCode::BackTab => "S-Tab",
            KeyCode::Delete => "Del",
            KeyCode::Insert => "Ins",
            KeyCode::Backspace => "Bksp",
            _ => "",
        };
        let name = if name.is_empty() {
            self.code_name()
        } else {
            name.to_string()
        };
        format!("{}{name}", self.modifier_prefix("Ctrl-", "Alt-", "S-"))
    }
}

/// How the footer and the help write a list of keys: the first, and the second when it is a
/// plain character (`↑/k`, `Tab/l`; `g` for g and Home).
pub fn shown_keys(keys: &[Key]) -> String {
    let mut shown: Vec<String> = keys.first().map(Key::label).into_iter().collect();
    if let Some(second) = keys
        .get(1)
        .filter(|k| matches!(k.code, KeyCode::Char(_)) && k.modifiers.is_empty())
    {
        shown.push(second.label());
    }
    shown.join("/")
}

/// The main screen's keys as they are now: the table's, with the config file's `[keys]` over
/// them. The dispatcher, the footer and the help all read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keymap {
    /// Every action of the table, in its order, with the keys bound to it and how the footer
    /// and help write them (worked out when they are bound, not every frame).
    bound: Vec<(Action, Vec<Key>, String)>,
}

impl Default for Keymap {
    fn default() -> Keymap {
        Keymap {
            bound: KEYMAP
                .iter()
                .map(|b| (b.action, b.keys.to_vec(), shown_keys(b.keys)))
                .collect(),
        }
    }
}

impl Keymap {
    /// The action bound to a key event.
    pub fn action_for(&self, event: &KeyEvent) -> Option<Action> {
        let pressed = Key::pressed(event);
        self.bound
            .iter()
            .find(|(_, keys, _)| keys.contains(&pressed))
            .map(|(action, _, _)| *action)
    }

    /// The keys bound to `action` (none when the config file unbound it).
    pub fn keys(&self, action: Action) -> &[Key] {
        self.bound
            .iter()
            .find(|(a, _, _)| *a == action)
            .map_or(&[], |(_, keys, _)| keys.as_slice())
    }

    /// Binds `keys` to `action` in place of its keys (each key once).
    pub fn rebind(&mut self, action: Action, keys: &[Key]) {
        let mut unique: Vec<Key> = Vec::new();
        for key in keys {
            if !unique.contains(key) {
                unique.push(*key);
            }
        }
        if let Some((_, bound, shown)) = self.bound.iter_mut().find(|(a, _, _)| *a == action) {
            *shown = shown_keys(&unique);
            *bound = unique;
        }
    }

    /// A key of `action` that another action has too: the key and that action.
    pub fn clash_of(&self, action: Action) -> Option<(Key, Action)> {
        self.keys(action).iter().find_map(|key| {
            self.bound
                .iter()
                .find(|(other, keys, _)| *other != action && keys.contains(key))
                .map(|(other, _, _)| (*key, *other))
        })
    }

    /// How the footer and the help write `action`'s keys (`↑/k`; empty when unbound).
    pub fn shown(&self, action: Action) -> &str {
        self.bound
            .iter()
            .find(|(a, _, _)| *a == action)
            .map_or("", |(_, _, shown)| shown.as_str())
    }
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
        let keymap = Keymap::default();
        let action_for = |event: &KeyEvent| keymap.action_for(event);
        assert_eq!(action_for(&shifted), Some(Action::Bottom));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(action_for(&ctrl_c), Some(Action::Quit));
        let plain_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::NONE);
        assert_eq!(action_for(&plain_c), Some(Action::Clone));
    }

    fn parsed(text: &str) -> Key {
        Key::parse(text).unwrap_or_else(|| panic!("{text:?} is not a key"))
    }

    #[test]
    fn the_config_files_key_syntax() {
        let ctrl = |c| Key {
            code: KeyCode::Char(c),
            modifiers: KeyModifiers::CONTROL,
        };
        assert_eq!(parsed("k"), ch('k'));
        assert_eq!(parsed("K"), ch('K'));
        assert_eq!(parsed("Shift-k"), ch('K'));
        assert_eq!(parsed("?"), ch('?'));
        assert_eq!(parsed("-"), ch('-'));
        assert_eq!(parsed("Space"), ch(' '));
        assert_eq!(parsed("Ctrl-r"), ctrl('r'));
        assert_eq!(parsed("ctrl+R"), ctrl('r'), "Ctrl takes no case");
        assert_eq!(parsed("Ctrl--"), ctrl('-'));
        assert_eq!(parsed("Up"), key(KeyCode::Up));
        assert_eq!(parsed("pagedown"), key(KeyCode::PageDown));
        assert_eq!(parsed("PgUp"), key(KeyCode::PageUp));
        assert_eq!(parsed("Shift-Tab"), key(KeyCode::BackTab));
        assert_eq!(parsed("F1"), key(KeyCode::F(1)));
        assert_eq!(
            parsed("Alt-x"),
            Key {
                code: KeyCode::Char('x'),
                modifiers: KeyModifiers::ALT,
            }
        );
        for bad in ["", "Ctrl-", "Hyper-x", "F13", "F0", "Uup", "ab"] {
            assert_eq!(Key::parse(bad), None, "{bad:?}");
        }
        // Every key of the table is written so that it reads back the same.
        for binding in KEYMAP {
            for k in binding.keys {
                assert_eq!(Key::parse(&k.config_name()), Some(*k), "{k:?}");
            }
        }
    }

    #[test]
    fn actions_are_named_in_snake_case() {
        assert_eq!(Action::PageDown.name(), "page_down");
        assert_eq!(Action::SortReverse.name(), "sort_reverse");
        assert_eq!(Action::Quit.name(), "quit");
        for binding in KEYMAP {
            assert_eq!(Action::parse(&binding.action.name()), Some(binding.action));
        }
        assert_eq!(Action::parse("PageDown"), None);
    }

    #[test]
    fn a_keymap_dispatches_and_shows_the_keys_bound_now() {
        let defaults = Keymap::default();
        // The footer's words for the table's keys, as they have always read.
        assert_eq!(defaults.shown(Action::Up), "↑/k");
        assert_eq!(defaults.shown(Action::NextPane), "Tab/l");
        assert_eq!(defaults.shown(Action::PrevPane), "S-Tab/h");
        assert_eq!(defaults.shown(Action::Top), "g");
        assert_eq!(defaults.shown(Action::Quit), "q");
        assert_eq!(shown_keys(&[key(KeyCode::Up), ch('k')]), "↑/k");
        assert_eq!(shown_keys(&[ch('g'), key(KeyCode::Home)]), "g");

        let mut keymap = Keymap::default();
        keymap.rebind(Action::Quit, &[parsed("Q"), parsed("Ctrl-q")]);
        keymap.rebind(Action::Up, &[parsed("PageUp"), parsed("i")]);
        let pressed = |code, modifiers| keymap.action_for(&KeyEvent::new(code, modifiers));
        assert_eq!(pressed(KeyCode::Char('q'), KeyModifiers::NONE), None);
        assert_eq!(
            pressed(KeyCode::Char('c'), KeyModifiers::CONTROL),
            None,
            "Ctrl-c went with the old keys"
        );
        assert_eq!(
            pressed(KeyCode::Char('Q'), KeyModifiers::SHIFT),
            Some(Action::Quit)
        );
        assert_eq!(
            pressed(KeyCode::Char('q'), KeyModifiers::CONTROL),
            Some(Action::Quit)
        );
        assert_eq!(keymap.shown(Action::Quit), "Q");
        assert_eq!(keymap.shown(Action::Up), "PgUp/i");
        assert_eq!(
            keymap.shown(Action::Down),
            "↓/j",
            "untouched: the table's words"
        );
        // PgUp is Up's now, and still PageUp's: the clash is found, with both actions.
        assert_eq!(
            keymap.clash_of(Action::Up),
            Some((key(KeyCode::PageUp), Action::PageUp))
        );
        assert_eq!(keymap.clash_of(Action::Quit), None);
    }
}
