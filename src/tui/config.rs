//! The console's config file (`config.toml`): keys, theme and colours, the list's columns and
//! sort, the charts' range, the mouse. Read once at start, before the terminal is taken:
//! `--config FILE`, else the user's config directory (`$XDG_CONFIG_HOME/ipfs-kit-tui/`,
//! `~/.config/ipfs-kit-tui/` on Linux). Every key is optional. A file that is wrong in any way
//! is a `ConfigError` naming the file, the line and the key; the console then starts on its
//! defaults and says why in the message log.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::keymap::{Action, Key, Keymap, KEYMAP};
use super::model::{ChartRange, ListColumn, SortColumn};
use super::state::App;
use super::theme::{Palette, Role, Shade, ThemeName};

/// The directory under the user's config directory, and the file in it.
const APP_DIR: &str = "ipfs-kit-tui";
pub const FILE_NAME: &str = "config.toml";

/// The keys of the file's top level, in the order the default file has them.
const TOP_KEYS: &[&str] = &[
    "theme",
    "mouse",
    "sort",
    "columns",
    "chart_range",
    "colors",
    "keys",
];
const SORT_KEYS: &[&str] = &["column", "reverse"];

/// The console's settings from the file (or the defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct ConsoleConfig {
    pub theme: ThemeName,
    /// The file's `[colors]`, over the theme's, in the file's order.
    pub colors: Vec<(Role, Shade)>,
    pub sort: SortColumn,
    pub sort_reverse: bool,
    /// The list's columns, in order (the width still drops some).
    pub columns: Vec<ListColumn>,
    pub chart_range: ChartRange,
    pub mouse: bool,
    pub keymap: Keymap,
}

impl Default for ConsoleConfig {
    fn default() -> ConsoleConfig {
        ConsoleConfig {
            theme: ThemeName::Default,
            colors: Vec::new(),
            sort: SortColumn::Id,
            sort_reverse: false,
            columns: ListColumn::ALL.to_vec(),
            chart_range: ChartRange::default(),
            mouse: true,
            keymap: Keymap::default(),
        }
    }
}

impl ConsoleConfig {
    /// The theme's palette with the file's colours over it.
    pub fn palette(&self) -> Palette {
        let mut palette = self.theme.palette();
        for (role, shade) in &self.colors {
            palette.set(*role, *shade);
        }
        palette
    }

    /// Puts the settings the console's state holds in place: keys, sort, columns, range.
    pub fn apply_to(&self, app: &mut App) {
        app.keymap = self.keymap.clone();
        // Before any row is in: nothing to show of the change yet.
        let _ = app.backends.set_sort(self.sort, self.sort_reverse);
        app.list_columns = self.columns.clone();
        app.chart_range = self.chart_range;
        app.dirty = true;
    }
}

/// What is wrong with a value of the file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigProblem {
    #[error("{0}")]
    Syntax(String),
    #[error("unknown key \"{key}\" (known: {known})")]
    UnknownKey { key: String, known: String },
    #[error("{key}: expected {expected}, found {found}")]
    WrongType {
        key: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("{key}: \"{value}\" is not {what} (known: {known})")]
    NotOneOf {
        key: String,
        value: String,
        what: &'static str,
        known: String,
    },
    #[error("theme: unknown theme \"{name}\" (shipped: {shipped})")]
    UnknownTheme { name: String, shipped: String },
    #[error(
        "{key}: \"{value}\" is not a colour (a name like \"green\", \"#1e90ff\", or 0 to 255)"
    )]
    BadColor { key: String, value: String },
    #[error(
        "{key}: \"{value}\" is not a key (like \"k\", \"K\", \"Ctrl-r\", \"PageDown\", \"F1\")"
    )]
    BadKey { key: String, value: String },
    #[error("keys.{action}: \"{key}\" is bound to both {action} and {other}")]
    KeyClash {
        action: String,
        other: String,
        key: String,
    },
    #[error("keys.quit: the console needs a key to quit")]
    NoQuitKey,
    #[error("{key}: \"{value}\" is listed twice")]
    Duplicate { key: String, value: String },
    #[error("columns: name at least one column")]
    NoColumns,
}

/// Why the config file could not be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file `--config` names is not there.
    #[error("config file {}: not found", path.display())]
    Missing { path: PathBuf },
    #[error("config file {}: cannot be read: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error("{file} line {line}: {problem}")]
    Invalid {
        file: String,
        line: usize,
        problem: ConfigProblem,
    },
}

/// The file read at start: the settings, and why they are the defaults when the file was bad.
#[derive(Clone, Debug, Default)]
pub struct LoadedConfig {
    pub config: ConsoleConfig,
    pub problem: Option<ConfigError>,
}

impl LoadedConfig {
    /// The file (`--config`, else the default place) as the console starts with it: a bad file
    /// gives the defaults and the reason; only a missing `--config` file is an error.
    pub fn load(explicit: Option<&Path>) -> Result<LoadedConfig, ConfigError> {
        match read(explicit) {
            Ok(config) => Ok(LoadedConfig {
                config: config.unwrap_or_default(),
                problem: None,
            }),
            Err(error @ ConfigError::Missing { .. }) => Err(error),
            Err(error) => Ok(LoadedConfig {
                config: ConsoleConfig::default(),
                problem: Some(error),
            }),
        }
    }

    /// What the message log says at start about a bad file: the mistake (first, so that a
    /// narrow pane cuts the advice, not the line and key), then what the console does.
    pub fn problem_messages(&self) -> Vec<String> {
        match &self.problem {
            None => Vec::new(),
            Some(error) => vec![
                error.to_string(),
                "config file not used: the console runs on its defaults \
                 (`ipfs-kit-tui config check` checks the file)"
                    .to_string(),
            ],
        }
    }
}

/// Where the file is read from: `--config`, else `config.toml` in the user's config directory
/// (`None` when there is no home to find it in).
pub fn path(explicit: Option<&Path>) -> Option<PathBuf> {
    match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => default_path(),
    }
}

/// `ipfs-kit-tui/config.toml` in the user's config directory (`$XDG_CONFIG_HOME`, else
/// `~/.config` on Linux).
pub fn default_path() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.config_dir().join(APP_DIR).join(FILE_NAME))
}

/// Reads and checks the file: `Ok(None)` when none was named and the default place has none.
pub fn read(explicit: Option<&Path>) -> Result<Option<ConsoleConfig>, ConfigError> {
    let Some(path) = path(explicit) else {
        return Ok(None);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return match explicit {
                Some(_) => Err(ConfigError::Missing { path }),
                None => Ok(None),
            };
        }
        Err(error) => {
            return Err(ConfigError::Unreadable {
                path,
                reason: error.to_string(),
            })
        }
    };
    parse(&text, &path.display().to_string()).map(Some)
}

/// The line (from 1) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Reads the settings from the text of a config file named `file` (for the errors).
pub fn parse(text: &str, file: &str) -> Result<ConsoleConfig, ConfigError> {
    let at = |span: Range<usize>, problem: ConfigProblem| ConfigError::Invalid {
        file: file.to_string(),
        line: line_of(text, span.start),
        problem,
    };
    let root = DeTable::parse(text).map_err(|error| {
        let span = error.span().unwrap_or(0..0);
        at(
            span,
            ConfigProblem::Syntax(error.message().trim().to_string()),
        )
    })?;
    let mut config = ConsoleConfig::default();
    // The lines of the actions `[keys]` rebinds, to say where a clash comes from.
    let mut rebound: Vec<(Action, Range<usize>)> = Vec::new();
    for (key, value) in root.get_ref().iter() {
        let name = key.get_ref().as_ref();
        let problem = |p| at(value.span(), p);
        match name {
            "theme" => {
                let name = string("theme", value).map_err(problem)?;
                config.theme = ThemeName::parse(name).ok_or_else(|| {
                    problem(ConfigProblem::UnknownTheme {
                        name: name.to_string(),
                        shipped: ThemeName::names().join(", "),
                    })
                })?;
            }
            "mouse" => config.mouse = boolean("mouse", value).map_err(problem)?,
            "chart_range" => {
                let name = string("chart_range", value).map_err(problem)?;
                config.chart_range = ChartRange::parse(name).ok_or_else(|| {
                    problem(not_one_of(
                        "chart_range",
                        name,
                        "a range",
                        ChartRange::names(),
                    ))
                })?;
            }
            "columns" => config.columns = columns(value).map_err(|(span, p)| at(span, p))?,
            "sort" => {
                let table = table("sort", value).map_err(problem)?;
                for (key, value) in table.iter() {
                    let problem = |p| at(value.span(), p);
                    match key.get_ref().as_ref() {
                        "column" => {
                            let name = string("sort.column", value).map_err(problem)?;
                            config.sort = SortColumn::parse(name).ok_or_else(|| {
                                problem(not_one_of(
                                    "sort.column",
                                    name,
                                    "a column the list sorts by",
                                    SortColumn::names(),
                                ))
                            })?;
                        }
                        "reverse" => {
                            config.sort_reverse = boolean("sort.reverse", value).map_err(problem)?
                        }
                        other => {
                            return Err(at(
                                key.span(),
                                unknown(&format!("sort.{other}"), SORT_KEYS),
                            ))
                        }
                    }
                }
            }
            "colors" => {
                let table = table("colors", value).map_err(problem)?;
                for (key, value) in table.iter() {
                    let name = key.get_ref().as_ref();
                    let Some(role) = Role::parse(name) else {
                        return Err(at(
                            key.span(),
                            unknown(&format!("colors.{name}"), &Role::names()),
                        ));
                    };
                    let problem = |p| at(value.span(), p);
                    let field = format!("colors.{name}");
                    let text = string(&field, value).map_err(problem)?;
                    let shade = Shade::parse(text).ok_or_else(|| {
                        problem(ConfigProblem::BadColor {
                            key: field.clone(),
                            value: text.to_string(),
                        })
                    })?;
                    config.colors.push((role, shade));
                }
            }
            "keys" => {
                let table = table("keys", value).map_err(problem)?;
                for (key, value) in table.iter() {
                    let name = key.get_ref().as_ref();
                    let Some(action) = Action::parse(name) else {
                        let names = Action::names();
                        let known: Vec<&str> = names.iter().map(String::as_str).collect();
                        return Err(at(key.span(), unknown(&format!("keys.{name}"), &known)));
                    };
                    let keys = keys(&format!("keys.{name}"), value).map_err(|(s, p)| at(s, p))?;
                    if action == Action::Quit && keys.is_empty() {
                        return Err(at(value.span(), ConfigProblem::NoQuitKey));
                    }
                    config.keymap.rebind(action, &keys);
                    rebound.push((action, value.span()));
                }
            }
            other => return Err(at(key.span(), unknown(other, TOP_KEYS))),
        }
    }
    // One key, one action: checked once every rebinding is in (a later line may free a key).
    for (action, span) in rebound {
        if let Some((key, other)) = config.keymap.clash_of(action) {
            return Err(at(
                span,
                ConfigProblem::KeyClash {
                    action: action.name(),
                    other: other.name(),
                    key: key.config_name(),
                },
            ));
        }
    }
    Ok(config)
}

fn unknown(key: &str, known: &[&str]) -> ConfigProblem {
    ConfigProblem::UnknownKey {
        key: key.to_string(),
        known: known.join(", "),
    }
}

fn not_one_of(key: &str, value: &str, what: &'static str, known: Vec<&str>) -> ConfigProblem {
    ConfigProblem::NotOneOf {
        key: key.to_string(),
        value: value.to_string(),
        what,
        known: known.join(", "),
    }
}

fn wrong_type(key: &str, expected: &'static str, value: &DeValue) -> ConfigProblem {
    ConfigProblem::WrongType {
        key: key.to_string(),
        expected,
        found: value.type_str(),
    }
}

fn string<'a>(key: &str, value: &'a Spanned<DeValue>) -> Result<&'a str, ConfigProblem> {
    value
        .get_ref()
        .as_str()
        .ok_or_else(|| wrong_type(key, "a string", value.get_ref()))
}

fn boolean(key: &str, value: &Spanned<DeValue>) -> Result<bool, ConfigProblem> {
    value
        .get_ref()
        .as_bool()
        .ok_or_else(|| wrong_type(key, "true or false", value.get_ref()))
}

fn table<'a, 'i>(
    key: &str,
    value: &'a Spanned<DeValue<'i>>,
) -> Result<&'a DeTable<'i>, ConfigProblem> {
    value
        .get_ref()
        .as_table()
        .ok_or_else(|| wrong_type(key, "a table", value.get_ref()))
}

/// A problem with the span it is at (an item of a list has its own).
type Located = (Range<usize>, ConfigProblem);

/// The strings of a string or a list of strings, each with its span.
fn strings<'a>(
    key: &str,
    value: &'a Spanned<DeValue>,
) -> Result<Vec<(&'a str, Range<usize>)>, Located> {
    let expected = "a string or a list of strings";
    match value.get_ref() {
        DeValue::String(text) => Ok(vec![(text.as_ref(), value.span())]),
        DeValue::Array(items) => items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::String(text) => Ok((text.as_ref(), item.span())),
                other => Err((item.span(), wrong_type(key, expected, other))),
            })
            .collect(),
        other => Err((value.span(), wrong_type(key, expected, other))),
    }
}

fn columns(value: &Spanned<DeValue>) -> Result<Vec<ListColumn>, Located> {
    let mut columns = Vec::new();
    for (name, span) in strings("columns", value)? {
        let Some(column) = ListColumn::parse(name) else {
            let problem = not_one_of("columns", name, "a column", ListColumn::names());
            return Err((span, problem));
        };
        if columns.contains(&column) {
            let problem = ConfigProblem::Duplicate {
                key: "columns".into(),
                value: name.to_string(),
            };
            return Err((span, problem));
        }
        columns.push(column);
    }
    if columns.is_empty() {
        return Err((value.span(), ConfigProblem::NoColumns));
    }
    Ok(columns)
}

fn keys(field: &str, value: &Spanned<DeValue>) -> Result<Vec<Key>, Located> {
    strings(field, value)?
        .into_iter()
        .map(|(text, span)| {
            Key::parse(text).ok_or_else(|| {
                let problem = ConfigProblem::BadKey {
                    key: field.to_string(),
                    value: text.to_string(),
                };
                (span, problem)
            })
        })
        .collect()
}

/// A TOML string: quoted, with what must be escaped escaped.
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn quoted_list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(quoted).collect();
    format!("[{}]", items.join(", "))
}

/// The default config file, every key with its default and what it does (`config
/// print-default`); reading it back gives exactly the defaults.
pub fn default_file() -> String {
    let defaults = ConsoleConfig::default();
    let mut out = String::new();
    let mut line = |text: &str| {
        out.push_str(text);
        out.push('\n');
    };
    line("# ipfs-kit-tui: the console's config file.");
    line("# Read from --config FILE, else ~/.config/ipfs-kit-tui/config.toml ($XDG_CONFIG_HOME");
    line("# is honoured). Every key is optional: one left out keeps the default shown here. A");
    line("# mistake is reported with its line when the console starts (`ipfs-kit-tui config");
    line("# check` says it too), and the console then runs on its defaults.");
    line("");
    line(&format!(
        "# Colours: {}. \"mono\" has no colour at all (bold,",
        ThemeName::names().join(", ")
    ));
    line("# underline and reverse video only); NO_COLOR and --no-color always win.");
    line(&format!("theme = {}", quoted(defaults.theme.name())));
    line("");
    line("# Click to select and wheel to scroll (--no-mouse turns it off too).");
    line(&format!("mouse = {}", defaults.mouse));
    line("");
    line("# The list's columns, in order; a narrow terminal drops some. Known:");
    line(&format!("# {}.", ListColumn::names().join(", ")));
    line(&format!(
        "columns = {}",
        quoted_list(defaults.columns.iter().map(|c| c.name()))
    ));
    line("");
    line(&format!(
        "# The time range of the detail's charts at start: {}.",
        ChartRange::names().join(", ")
    ));
    line(&format!(
        "chart_range = {}",
        quoted(defaults.chart_range.name())
    ));
    line("");
    line("[sort]");
    line(&format!(
        "# The column the list is sorted by at start: {}.",
        SortColumn::names().join(", ")
    ));
    line(&format!("column = {}", quoted(defaults.sort.name())));
    line("# true: the other way round (as S does).");
    line(&format!("reverse = {}", defaults.sort_reverse));
    line("");
    line("# Colours over the theme's, per role: a name (\"green\", \"light-blue\"), \"#1e90ff\"");
    line("# (taken to the nearest colour a 256- or 16-colour terminal has) or 0 to 255.");
    line("[colors]");
    let width = Role::names().iter().map(|n| n.len()).max().unwrap_or(0) + 10;
    for role in Role::ALL {
        let entry = format!("# {} = \"...\"", role.name());
        line(&format!("{entry:<width$}  # {}", role.description()));
    }
    line("");
    line("# The main screen's keys: an action = a key, or a list of keys. A key is a character");
    line("# (\"k\", \"K\", \"?\") or Up, Down, Left, Right, PageUp, PageDown, Home, End, Enter,");
    line("# Esc, Tab, BackTab, Space, Backspace, Delete, Insert, F1 to F12, with Ctrl-, Alt- or");
    line("# Shift- before it (\"Ctrl-r\"). One key does one thing: a key bound to two actions is");
    line("# an error. The keys inside popups and the filter line are fixed.");
    line("[keys]");
    let entries: Vec<(String, &str)> = KEYMAP
        .iter()
        .map(|binding| {
            let names: Vec<String> = defaults
                .keymap
                .keys(binding.action)
                .iter()
                .map(Key::config_name)
                .collect();
            let keys = match names.as_slice() {
                [one] => quoted(one),
                _ => quoted_list(names.iter().map(String::as_str)),
            };
            (format!("{} = {keys}", binding.action.name()), binding.help)
        })
        .collect();
    let width = entries
        .iter()
        .map(|(e, _)| e.chars().count())
        .max()
        .unwrap_or(0);
    for (entry, help) in entries {
        line(&format!("{entry:<width$}  # {help}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::message::{Cmd, Msg};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn invalid(text: &str) -> (usize, ConfigProblem, String) {
        match parse(text, "config.toml") {
            Err(error @ ConfigError::Invalid { .. }) => {
                let message = error.to_string();
                let ConfigError::Invalid { line, problem, .. } = error else {
                    unreachable!()
                };
                (line, problem, message)
            }
            other => panic!("expected an invalid file, got {other:?}"),
        }
    }

    fn press(app: &mut App, c: char) -> Vec<Cmd> {
        let modifiers = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        app.update(Msg::Key(KeyEvent::new(KeyCode::Char(c), modifiers)))
    }

    const GOOD: &str = r##"
# a comment
theme = "high-contrast"
mouse = false
columns = ["health", "id", "used", "trend"]
chart_range = "24h"

[sort]
column = "used"
reverse = true

[colors]
accent = "#1e90ff"
selection = "236"

[keys]
quit = "Q"
sort = ["o", "Ctrl-s"]
"##;

    #[test]
    fn a_good_file_is_applied() {
        let config = parse(GOOD, "config.toml").unwrap();
        assert_eq!(config.theme, ThemeName::HighContrast);
        assert!(!config.mouse);
        assert_eq!(
            config.columns,
            [
                ListColumn::Health,
                ListColumn::Id,
                ListColumn::Used,
                ListColumn::Trend
            ]
        );
        assert_eq!(config.chart_range, ChartRange::Hours24);
        assert_eq!((config.sort, config.sort_reverse), (SortColumn::Used, true));
        let palette = config.palette();
        assert_eq!(palette.accent.fg, Some(Shade::Rgb(30, 144, 255)));
        assert_eq!(palette.selection.bg, Some(Shade::Indexed(236)));
        assert_eq!(
            palette.healthy,
            ThemeName::HighContrast.palette().healthy,
            "roles left out keep the theme's"
        );

        let mut app = App::new(0, false, false);
        config.apply_to(&mut app);
        assert_eq!(app.backends.sort(), SortColumn::Used);
        assert!(app.backends.reverse());
        assert_eq!(app.list_columns, config.columns);
        assert_eq!(app.chart_range, ChartRange::Hours24);
        // The remapped keys dispatch their actions; the old ones no longer do.
        assert!(press(&mut app, 'q').is_empty());
        assert!(!app.quit);
        press(&mut app, 's');
        assert_eq!(app.backends.sort(), SortColumn::Used, "s sorts no more");
        press(&mut app, 'o');
        assert_eq!(app.backends.sort(), SortColumn::Quota, "o sorts now");
        assert_eq!(press(&mut app, 'Q'), vec![Cmd::Quit]);
        assert!(app.quit);
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        assert_eq!(parse("", "c").unwrap(), ConsoleConfig::default());
        assert_eq!(
            parse("# nothing\n\n", "c").unwrap(),
            ConsoleConfig::default()
        );
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line() {
        let (line, problem, message) = invalid("mouse = true\n\nthme = \"light\"\n");
        assert_eq!(line, 3);
        assert_eq!(
            message,
            "config.toml line 3: unknown key \"thme\" (known: theme, mouse, sort, columns, \
             chart_range, colors, keys)"
        );
        assert!(matches!(problem, ConfigProblem::UnknownKey { .. }));
        let (line, _, message) = invalid("[sort]\ncolumn = \"id\"\ncolum = \"kind\"\n");
        assert_eq!(line, 3);
        assert!(message.contains("unknown key \"sort.colum\""), "{message}");
        let (line, _, message) = invalid("[keys]\nquit = \"q\"\nquitt = \"x\"\n");
        assert_eq!(line, 3);
        assert!(
            message.contains("unknown key \"keys.quitt\" (known: up, down,"),
            "{message}"
        );
    }

    #[test]
    fn a_bad_key_is_named_with_its_line() {
        let text = "theme = \"default\"\n[keys]\nup = \"k\"\nquit = [\"q\", \"Ctrl-\"]\n";
        let (line, problem, message) = invalid(text);
        assert_eq!(line, 4);
        assert_eq!(
            problem,
            ConfigProblem::BadKey {
                key: "keys.quit".into(),
                value: "Ctrl-".into()
            }
        );
        assert!(
            message.starts_with("config.toml line 4: keys.quit: \"Ctrl-\" is not a key"),
            "{message}"
        );
        let (_, problem, _) = invalid("[keys]\nquit = 3\n");
        assert!(matches!(problem, ConfigProblem::WrongType { .. }));
        let (_, problem, _) = invalid("[keys]\nquit = []\n");
        assert_eq!(problem, ConfigProblem::NoQuitKey);
    }

    #[test]
    fn clashing_keys_name_both_actions() {
        // j is down's by default.
        let (line, problem, message) = invalid("[keys]\n\nquit = [\"q\", \"j\"]\n");
        assert_eq!(line, 3);
        assert_eq!(
            problem,
            ConfigProblem::KeyClash {
                action: "quit".into(),
                other: "down".into(),
                key: "j".into()
            }
        );
        assert_eq!(
            message,
            "config.toml line 3: keys.quit: \"j\" is bound to both quit and down"
        );
        // Two rebound actions on one key.
        let (line, problem, _) = invalid("[keys]\npoll_now = \"F5\"\ntest = \"F5\"\n");
        assert_eq!(line, 2);
        assert!(
            matches!(&problem, ConfigProblem::KeyClash { action, other, key }
                if action == "poll_now" && other == "test" && key == "F5"),
            "{problem:?}"
        );
        // A key freed by a later line is no clash.
        let config = parse("[keys]\nquit = \"j\"\ndown = \"Down\"\n", "c").unwrap();
        assert_eq!(config.keymap.keys(Action::Quit), [Key::parse("j").unwrap()]);
    }

    #[test]
    fn an_unknown_theme_names_the_shipped_ones() {
        let (line, problem, message) = invalid("\ntheme = \"solarized\"\n");
        assert_eq!(line, 2);
        assert!(matches!(problem, ConfigProblem::UnknownTheme { .. }));
        assert_eq!(
            message,
            "config.toml line 2: theme: unknown theme \"solarized\" (shipped: default, light, \
             high-contrast, mono)"
        );
    }

    #[test]
    fn a_bad_colour_or_value_is_named_with_its_line() {
        let (line, problem, message) = invalid("[colors]\naccent = \"blue\"\nerror = \"#ff00\"\n");
        assert_eq!(line, 3);
        assert_eq!(
            problem,
            ConfigProblem::BadColor {
                key: "colors.error".into(),
                value: "#ff00".into()
            }
        );
        assert!(
            message.starts_with("config.toml line 3: colors.error: \"#ff00\" is not a colour"),
            "{message}"
        );
        let (_, _, message) = invalid("[colors]\nbackground = \"red\"\n");
        assert!(
            message.contains("unknown key \"colors.background\" (known: accent, healthy,"),
            "{message}"
        );
        let (line, _, message) = invalid("columns = [\n  \"id\",\n  \"sparkline\",\n]\n");
        assert_eq!(line, 3, "the item's own line");
        assert!(
            message.contains("columns: \"sparkline\" is not a column (known: health, id,"),
            "{message}"
        );
        let (_, problem, _) = invalid("columns = [\"id\", \"id\"]\n");
        assert!(matches!(problem, ConfigProblem::Duplicate { .. }));
        let (_, problem, _) = invalid("columns = []\n");
        assert_eq!(problem, ConfigProblem::NoColumns);
        let (_, _, message) = invalid("chart_range = \"2h\"\n");
        assert!(
            message.ends_with("chart_range: \"2h\" is not a range (known: 15m, 1h, 24h, 7d, 30d)"),
            "{message}"
        );
        let (_, _, message) = invalid("mouse = \"yes\"\n");
        assert!(
            message.ends_with("mouse: expected true or false, found string"),
            "{message}"
        );
        let (_, _, message) = invalid("[sort]\ncolumn = \"message\"\n");
        assert!(
            message.contains("is not a column the list sorts by"),
            "{message}"
        );
    }

    #[test]
    fn a_file_that_is_not_toml_says_where() {
        let (line, problem, _) = invalid("theme = \"light\"\nmouse = \n");
        assert_eq!(line, 2);
        assert!(matches!(problem, ConfigProblem::Syntax(_)));
    }

    #[test]
    fn files_missing_bad_and_absent() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        assert_eq!(
            LoadedConfig::load(Some(&missing)).unwrap_err(),
            ConfigError::Missing {
                path: missing.clone()
            },
            "a --config file that is not there is an error"
        );
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "theme = \"nope\"\n").unwrap();
        let loaded = LoadedConfig::load(Some(&bad)).unwrap();
        assert_eq!(loaded.config, ConsoleConfig::default(), "defaults");
        let said = loaded.problem_messages();
        assert!(
            said[0].contains("bad.toml line 1: theme: unknown theme"),
            "{said:?}"
        );
        assert!(said[1].contains("runs on its defaults"), "{said:?}");
        let good = dir.path().join("good.toml");
        std::fs::write(&good, GOOD).unwrap();
        let loaded = LoadedConfig::load(Some(&good)).unwrap();
        assert!(loaded.problem.is_none());
        assert_eq!(loaded.config.theme, ThemeName::HighContrast);
    }

    #[test]
    fn the_default_file_reads_back_as_the_defaults() {
        let text = default_file();
        assert_eq!(parse(&text, "default").unwrap(), ConsoleConfig::default());
        for key in TOP_KEYS.iter().filter(|k| **k != "colors" && **k != "keys") {
            assert!(
                text.contains(&format!("\n{key} = ")) || text.contains(&format!("[{key}]")),
                "{key}"
            );
        }
        for binding in KEYMAP {
            assert!(
                text.contains(&format!("\n{} = ", binding.action.name())),
                "{:?}",
                binding.action
            );
        }
        for role in Role::names() {
            assert!(text.contains(&format!("# {role} = ")), "{role}");
        }
        assert!(text.contains("quit = [\"q\", \"Ctrl-c\"]"), "{text}");
        assert!(text.contains("help = \"?\""), "{text}");
    }

    #[test]
    fn a_remapped_theme_draws_in_its_colours() {
        use crate::tui::test_support::fg_of;
        use crate::tui::theme::{ColorDepth, Theme};
        use ratatui::backend::TestBackend;
        use ratatui::style::Color;
        use ratatui::Terminal;

        let config = parse("theme = \"light\"\n[colors]\nerror = \"#ff8700\"\n", "c").unwrap();
        let app = App::new(0, true, false);
        let draw = |theme: Theme| {
            let mut terminal = Terminal::new(TestBackend::new(100, 24)).unwrap();
            terminal
                .draw(|frame| crate::tui::view::draw(frame, &app, &theme))
                .unwrap();
            terminal.backend().buffer().clone()
        };
        let light = draw(Theme::new(ColorDepth::Basic16, false).with_palette(config.palette()));
        let default = draw(Theme::new(ColorDepth::Basic16, false));
        // The footer's keys are in the accent colour: blue in the light theme, cyan by default.
        assert_eq!(fg_of(&light, "↑/k"), Some(Color::Blue));
        assert_eq!(fg_of(&default, "↑/k"), Some(Color::Cyan));
        // read-only is said in the warning colour.
        assert_eq!(fg_of(&light, "read-only"), Some(Color::Magenta));
        let true_colour =
            draw(Theme::new(ColorDepth::TrueColor, false).with_palette(config.palette()));
        assert_eq!(fg_of(&true_colour, "↑/k"), Some(Color::Rgb(0, 95, 175)));
        // The file's [colors] over the theme's: the error role is the file's orange.
        let themed = Theme::new(ColorDepth::TrueColor, false).with_palette(config.palette());
        assert_eq!(themed.error().fg, Some(Color::Rgb(255, 135, 0)));
    }
}
