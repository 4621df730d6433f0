//! The `:` command line: typed with its history (↑↓), and what a line means — `add [KIND]`,
//! `edit ID`, `test ID`, `remove ID`, `poll [ID]`, `alerts`, `pause`, `help`, `q` — checked
//! against the backends it names (`parse`); `App` carries the command out.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use tui_input::backend::crossterm::EventHandler;
use tui_input::Input;

use super::is_ctrl_c;
use crate::backends::Kind;
use crate::tui::model::CommandHistory;
use crate::tui::panes::block;
use crate::tui::panes::footer::Hint;
use crate::tui::theme::Theme;

pub const HINTS: &[Hint] = &[("Enter", "run"), ("↑↓", "history"), ("Esc", "cancel")];

#[derive(Clone, Debug, Default)]
pub struct CommandLine {
    input: Input,
    /// The history entry shown, while ↑↓ walk it.
    history_pos: Option<usize>,
}

/// What a key did on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandOutcome {
    Open,
    Cancel,
    /// Enter: run this line (trimmed; it may be empty).
    Run(String),
}

impl CommandLine {
    pub fn value(&self) -> &str {
        self.input.value()
    }

    pub fn handle_key(&mut self, key: KeyEvent, history: &CommandHistory) -> CommandOutcome {
        match key.code {
            KeyCode::Esc => CommandOutcome::Cancel,
            _ if is_ctrl_c(&key) => CommandOutcome::Cancel,
            KeyCode::Enter => CommandOutcome::Run(self.input.value().trim().to_string()),
            KeyCode::Up | KeyCode::Down => {
                let len = history.len();
                if len > 0 {
                    let pos = match (self.history_pos, key.code) {
                        (None, KeyCode::Up) => Some(len - 1),
                        (Some(p), KeyCode::Up) => Some(p.saturating_sub(1)),
                        (Some(p), KeyCode::Down) if p + 1 < len => Some(p + 1),
                        _ => None,
                    };
                    self.history_pos = pos;
                    self.input = Input::new(
                        pos.and_then(|p| history.get(p))
                            .unwrap_or_default()
                            .to_string(),
                    );
                }
                CommandOutcome::Open
            }
            _ => {
                self.input.handle_event(&crossterm::event::Event::Key(key));
                CommandOutcome::Open
            }
        }
    }

    pub fn paste(&mut self, text: &str) {
        let clean = crate::text::sanitize(text, 500);
        self.input = self
            .input
            .clone()
            .with_value(format!("{}{clean}", self.input.value()));
    }

    /// Drawn over the bottom of the screen, just above the footer, with the cursor in it.
    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let input = &self.input;
        let rect = Rect {
            x: area.x,
            y: area.bottom().saturating_sub(4),
            width: area.width,
            height: 3.min(area.height),
        };
        let width = rect.width.saturating_sub(4) as usize;
        let scroll = input.visual_scroll(width);
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(format!(":{}", input.value()))
                .scroll((0, scroll as u16))
                .block(block(
                    " Command: add KIND · edit ID · test ID · remove ID · poll [ID] · alerts · q ",
                    true,
                    theme,
                )),
            rect,
        );
        let cursor_x = rect.x + 2 + (input.visual_cursor().saturating_sub(scroll)) as u16;
        frame.set_cursor_position((cursor_x.min(rect.right().saturating_sub(2)), rect.y + 1));
    }
}

/// What a command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// An empty line.
    Nothing,
    Quit,
    Help,
    Pause,
    /// The alerts view.
    Alerts,
    /// `add` without a kind: the kind chooser.
    ChooseKind,
    Add(Kind),
    /// `poll` without an id: every backend.
    PollAll,
    Poll(String),
    Edit(String),
    Test(String),
    Remove(String),
    /// `:sort COLUMN [desc]`.
    Sort {
        column: crate::tui::model::SortColumn,
        reverse: bool,
    },
    /// `:filter TEXT` (no text: the filter is cleared).
    Filter(String),
}

/// Why a command line is not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The verb changes backends and the console is read-only.
    ReadOnly(String),
    /// A mistake in the line: what to say.
    Invalid(String),
}

/// Reads a command line. `exists` says whether a backend id is known.
pub fn parse(
    line: &str,
    read_only: bool,
    exists: impl Fn(&str) -> bool,
) -> Result<Command, Refusal> {
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or("");
    let arg = words.next().map(str::to_string);
    let changes = matches!(verb, "add" | "a" | "edit" | "e" | "remove" | "rm" | "d");
    if changes && read_only {
        return Err(Refusal::ReadOnly(verb.to_string()));
    }
    match (verb, arg) {
        ("", _) => Ok(Command::Nothing),
        ("q" | "quit" | "q!", _) => Ok(Command::Quit),
        ("help" | "h", _) => Ok(Command::Help),
        ("pause", _) => Ok(Command::Pause),
        ("alerts" | "alert", _) => Ok(Command::Alerts),
        ("sort", None) => Err(Refusal::Invalid(format!(
            ":sort needs a column: {}",
            crate::tui::model::SortColumn::names().join(", ")
        ))),
        ("sort", Some(name)) => {
            let reverse = match words.next() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(other) => {
                    return Err(Refusal::Invalid(format!(
                        ":sort {} takes asc or desc, not '{}'",
                        crate::text::sanitize(&name, 20),
                        crate::text::sanitize(other, 20)
                    )))
                }
            };
            crate::tui::model::SortColumn::parse(&name)
                .map(|column| Command::Sort { column, reverse })
                .ok_or_else(|| {
                    Refusal::Invalid(format!(
                        "no column '{}' to sort by: {}",
                        crate::text::sanitize(&name, 20),
                        crate::tui::model::SortColumn::names().join(", ")
                    ))
                })
        }
        ("filter" | "f", _) => {
            // The rest of the line as typed, spaces included.
            let text = line
                .trim_start()
                .split_once(char::is_whitespace)
                .map(|(_, rest)| rest.trim().to_string())
                .unwrap_or_default();
            Ok(Command::Filter(text))
        }
        ("add" | "a", None) => Ok(Command::ChooseKind),
        ("add" | "a", Some(kind)) => Kind::parse(&kind)
            .map(Command::Add)
            .map_err(|err| Refusal::Invalid(err.reason)),
        ("poll" | "r", None) => Ok(Command::PollAll),
        ("edit" | "e" | "test" | "t" | "remove" | "rm" | "d", None) => {
            Err(Refusal::Invalid(format!(":{verb} needs a backend id")))
        }
        (verb, Some(id)) if matches!(verb, "edit" | "e" | "test" | "t" | "remove" | "rm" | "d" | "poll" | "r") => {
            if !exists(&id) {
                return Err(Refusal::Invalid(format!(
                    "no backend '{}'",
                    crate::text::sanitize(&id, 64)
                )));
            }
            Ok(match verb {
                "edit" | "e" => Command::Edit(id),
                "test" | "t" => Command::Test(id),
                "poll" | "r" => Command::Poll(id),
                _ => Command::Remove(id),
            })
        }
        (verb, _) => Err(Refusal::Invalid(format!(
            "unknown command ':{}' (add KIND, edit ID, test ID, remove ID, poll [ID], sort COLUMN [desc], filter TEXT, alerts, pause, help, q)",
            crate::text::sanitize(verb, 30)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_commands_checked_against_the_backends() {
        let exists = |id: &str| id == "kubo";
        let parse = |line: &str| parse(line, false, exists);
        assert_eq!(parse("  "), Ok(Command::Nothing));
        assert_eq!(parse("q!"), Ok(Command::Quit));
        assert_eq!(parse("add"), Ok(Command::ChooseKind));
        assert_eq!(parse("a s3"), Ok(Command::Add(Kind::S3)));
        assert_eq!(parse("poll"), Ok(Command::PollAll));
        assert_eq!(parse("alerts"), Ok(Command::Alerts));
        assert_eq!(parse("r kubo"), Ok(Command::Poll("kubo".into())));
        assert_eq!(parse("rm kubo"), Ok(Command::Remove("kubo".into())));
        assert_eq!(
            parse("test"),
            Err(Refusal::Invalid(":test needs a backend id".into()))
        );
        assert_eq!(
            parse("edit nope"),
            Err(Refusal::Invalid("no backend 'nope'".into()))
        );
        assert_eq!(parse("d kubo").ok(), Some(Command::Remove("kubo".into())));
        assert_eq!(
            super::parse("d nope", true, exists),
            Err(Refusal::ReadOnly("d".into())),
            "read-only is said before anything else"
        );
        assert_eq!(
            super::parse("test kubo", true, exists),
            Ok(Command::Test("kubo".into()))
        );
    }
}
