//! The `:` command line: typed with its history (↑↓) and Tab completion (commands, backend ids,
//! kinds, sort columns: from the state `App` passes in, no I/O), and what a line means —
//! `add [KIND]`, `edit ID`, `clone ID`, `test ID`, `remove ID`, `poll [ID]`, `alerts`, `pause`,
//! `help`, `q` — checked against the backends it names (`parse`, into an `Intent`, the same
//! vocabulary as the keys'); the update code carries it out.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;
use tui_input::backend::crossterm::EventHandler;
use tui_input::Input;

use super::shared::is_ctrl_c;
use crate::backends::Kind;
use crate::tui::intent::{Intent, Target};
use crate::tui::model::{CommandHistory, SortColumn};
use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use crate::tui::widgets::Hint;

pub const HINTS: &[Hint] = &[
    ("Enter", "run"),
    ("Tab", "complete"),
    ("↑↓", "history"),
    ("Esc", "cancel"),
];

/// The commands Tab completes (their short forms work when typed).
const VERBS: &[&str] = &[
    "add",
    "alerts",
    "clone",
    "edit",
    "filter",
    "help",
    "maintenance",
    "pause",
    "poll",
    "q",
    "range",
    "remove",
    "sort",
    "test",
];

/// The verbs whose argument is a backend id.
const ID_VERBS: &[&str] = &[
    "edit", "e", "clone", "test", "t", "remove", "rm", "d", "poll", "r",
];

/// The verbs of a maintenance window (`:maintenance ID 2h [reason]`, `:maintenance ID end`).
const MAINTENANCE_VERBS: &[&str] = &["maintenance", "maint"];

#[derive(Clone, Debug, Default)]
pub struct CommandLine {
    input: Input,
    /// The history entry shown, while ↑↓ walk it.
    history_pos: Option<usize>,
    /// What the last Tab offered, while Tab goes on cycling through it.
    completion: Option<Completion>,
}

/// The candidates for the word being completed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Completion {
    /// The line before that word.
    head: String,
    candidates: Vec<String>,
    /// The candidate in the line: none after the first Tab (their common start is).
    shown: Option<usize>,
}

/// What the word at `position` (0: the verb) of a line starting with `verb` can be.
fn candidates_for(verb: &str, position: usize, ids: &[&str]) -> Vec<String> {
    let words: Vec<&str> = match (verb, position) {
        (_, 0) => VERBS.to_vec(),
        ("add" | "a", 1) => Kind::ALL.iter().map(|k| k.as_str()).collect(),
        (verb, 1) if ID_VERBS.contains(&verb) || MAINTENANCE_VERBS.contains(&verb) => ids.to_vec(),
        (verb, 2) if MAINTENANCE_VERBS.contains(&verb) => vec!["30m", "1h", "2h", "1d", "end"],
        ("sort", 1) => SortColumn::names(),
        ("sort", 2) => vec!["asc", "desc"],
        ("range", 1) => crate::tui::model::ChartRange::names(),
        _ => Vec::new(),
    };
    words.into_iter().map(str::to_string).collect()
}

/// The longest start every candidate shares.
fn common_start(candidates: &[String]) -> &str {
    let Some(first) = candidates.first() else {
        return "";
    };
    let mut len = first.len();
    for other in &candidates[1..] {
        let shared = first
            .char_indices()
            .zip(other.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8());
        len = len.min(shared);
    }
    &first[..len]
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

    /// A key on the line; `ids` are the backends' ids, for Tab to complete.
    pub fn handle_key(
        &mut self,
        key: KeyEvent,
        history: &CommandHistory,
        ids: &[&str],
    ) -> CommandOutcome {
        match key.code {
            KeyCode::Tab => {
                self.complete(ids, true);
                return CommandOutcome::Open;
            }
            KeyCode::BackTab => {
                self.complete(ids, false);
                return CommandOutcome::Open;
            }
            _ => self.completion = None,
        }
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

    /// Tab: completes the word before the end of the line. One candidate is put in whole
    /// (and a space after it); several put their common start in and are listed under the
    /// line, and each further Tab (Shift-Tab: backwards) puts the next one in.
    fn complete(&mut self, ids: &[&str], forward: bool) {
        if let Some(completion) = &mut self.completion {
            let count = completion.candidates.len();
            let next = match (completion.shown, forward) {
                (None, true) => 0,
                (None, false) => count - 1,
                (Some(i), true) => (i + 1) % count,
                (Some(i), false) => (i + count - 1) % count,
            };
            completion.shown = Some(next);
            let line = format!("{}{}", completion.head, completion.candidates[next]);
            self.input = Input::new(line);
            return;
        }
        let line = self.input.value();
        let split = line.rfind(char::is_whitespace).map_or(0, |i| {
            i + line[i..].chars().next().map_or(1, char::len_utf8)
        });
        let (head, word) = line.split_at(split);
        let mut head_words = head.split_whitespace();
        let verb = head_words.next().unwrap_or("");
        let position = usize::from(!verb.is_empty()) + head_words.count();
        let typed = word.to_lowercase();
        let mut candidates: Vec<String> = candidates_for(verb, position, ids)
            .into_iter()
            .filter(|c| c.to_lowercase().starts_with(&typed))
            .collect();
        candidates.sort();
        candidates.dedup();
        let head = head.to_string();
        match candidates.len() {
            0 => {}
            1 => self.input = Input::new(format!("{head}{} ", candidates[0])),
            _ => {
                let start = common_start(&candidates);
                if start.len() > word.len() {
                    self.input = Input::new(format!("{head}{start}"));
                }
                self.completion = Some(Completion {
                    head,
                    candidates,
                    shown: None,
                });
            }
        }
    }

    pub fn paste(&mut self, text: &str) {
        // A paste ends a Tab cycle: the next Tab completes the line as it now is.
        self.completion = None;
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
        let mut frame_block = block(
            " Command: add KIND · edit ID · clone ID · test ID · remove ID · poll [ID] · alerts · q ",
            true,
            theme,
        );
        // Several candidates for Tab: listed on the bottom border, the one in the line marked.
        if let Some(completion) = &self.completion {
            let mut spans = vec![Span::raw(" ")];
            for (i, candidate) in completion.candidates.iter().enumerate() {
                let style = if completion.shown == Some(i) {
                    theme.selected()
                } else {
                    theme.dim()
                };
                spans.push(Span::styled(crate::text::sanitize(candidate, 64), style));
                spans.push(Span::raw(" "));
            }
            frame_block = frame_block.title_bottom(Line::from(spans));
        }
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(format!(":{}", input.value()))
                .scroll((0, scroll as u16))
                .block(frame_block),
            rect,
        );
        let cursor_x = rect.x + 2 + (input.visual_cursor().saturating_sub(scroll)) as u16;
        frame.set_cursor_position((cursor_x.min(rect.right().saturating_sub(2)), rect.y + 1));
    }
}

/// Reads a command line: what it asks for, or the mistake in it (to say). `exists` says whether
/// a backend id is known. Whether the console may do it is not asked here: `App::perform` has
/// the one gate for keys and lines.
pub fn parse(line: &str, exists: impl Fn(&str) -> bool) -> Result<Intent, String> {
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or("");
    let arg = words.next().map(str::to_string);
    match (verb, arg) {
        ("", _) => Ok(Intent::Nothing),
        ("q" | "quit" | "q!", _) => Ok(Intent::Quit),
        ("help" | "h", _) => Ok(Intent::Help),
        ("pause", _) => Ok(Intent::Pause),
        ("alerts" | "alert", _) => Ok(Intent::Alerts),
        ("range", name) => {
            let names = crate::tui::model::ChartRange::names().join(", ");
            match name {
                None => Err(format!(":range needs a range: {names}")),
                Some(name) => crate::tui::model::ChartRange::parse(&name)
                    .map(Intent::Range)
                    .ok_or_else(|| {
                        format!(
                            "no range '{}': {names}",
                            crate::text::sanitize(&name, 20)
                        )
                    }),
            }
        }
        ("sort", None) => Err(format!(
            ":sort needs a column: {}",
            crate::tui::model::SortColumn::names().join(", ")
        )),
        ("sort", Some(name)) => {
            let reverse = match words.next() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(other) => {
                    return Err(format!(
                        ":sort {} takes asc or desc, not '{}'",
                        crate::text::sanitize(&name, 20),
                        crate::text::sanitize(other, 20)
                    ))
                }
            };
            crate::tui::model::SortColumn::parse(&name)
                .map(|column| Intent::Sort { column, reverse })
                .ok_or_else(|| {
                    format!(
                        "no column '{}' to sort by: {}",
                        crate::text::sanitize(&name, 20),
                        crate::tui::model::SortColumn::names().join(", ")
                    )
                })
        }
        ("filter" | "f", _) => {
            // The rest of the line as typed, spaces included.
            let text = line
                .trim_start()
                .split_once(char::is_whitespace)
                .map(|(_, rest)| rest.trim().to_string())
                .unwrap_or_default();
            Ok(Intent::Filter(text))
        }
        (verb, arg) if MAINTENANCE_VERBS.contains(&verb) => {
            let Some(id) = arg else {
                return Err(format!(":{verb} needs a backend id, then a duration (2h) or end"));
            };
            if !exists(&id) {
                return Err(format!("no backend '{}'", crate::text::sanitize(&id, 64)));
            }
            let target = Target::Named(id);
            let Some(span) = words.next() else {
                // As the key does: the popup asks how long, or whether to end it.
                return Ok(Intent::Maintenance(target));
            };
            if span.eq_ignore_ascii_case("end") {
                return Ok(Intent::EndMaintenance(target));
            }
            let for_secs = crate::store::maintenance::parse_span(span)?.as_secs();
            // The rest of the line, spaces kept, is the reason.
            let reason: Vec<&str> = words.collect();
            let reason = Some(reason.join(" ")).filter(|r| !r.is_empty());
            Ok(Intent::StartMaintenance {
                target,
                for_secs,
                reason,
            })
        }
        ("add" | "a", None) => Ok(Intent::ChooseKind),
        ("add" | "a", Some(kind)) => Kind::parse(&kind)
            .map(Intent::Add)
            .map_err(|err| err.reason),
        ("poll" | "r", None) => Ok(Intent::PollAll),
        ("edit" | "e" | "clone" | "test" | "t" | "remove" | "rm" | "d", None) => {
            Err(format!(":{verb} needs a backend id"))
        }
        (verb, Some(id)) if ID_VERBS.contains(&verb) => {
            if !exists(&id) {
                return Err(format!(
                    "no backend '{}'",
                    crate::text::sanitize(&id, 64)
                ));
            }
            let target = Target::Named(id);
            Ok(match verb {
                "edit" | "e" => Intent::Edit(target),
                "clone" => Intent::Clone(target),
                "test" | "t" => Intent::Test(target),
                "poll" | "r" => Intent::Poll(target),
                _ => Intent::Remove(target),
            })
        }
        (verb, _) => Err(format!(
            "unknown command ':{}' (add KIND, edit ID, clone ID, test ID, remove ID, poll [ID], maintenance ID 2h|end, sort COLUMN [desc], filter TEXT, range 1h, alerts, pause, help, q)",
            crate::text::sanitize(verb, 30)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_intents_checked_against_the_backends() {
        let exists = |id: &str| id == "kubo";
        let parse = |line: &str| parse(line, exists);
        let kubo = || Target::Named("kubo".into());
        assert_eq!(parse("  "), Ok(Intent::Nothing));
        assert_eq!(parse("q!"), Ok(Intent::Quit));
        assert_eq!(parse("add"), Ok(Intent::ChooseKind));
        assert_eq!(parse("a s3"), Ok(Intent::Add(Kind::S3)));
        assert_eq!(parse("poll"), Ok(Intent::PollAll));
        assert_eq!(parse("alerts"), Ok(Intent::Alerts));
        assert_eq!(
            parse("range 24h"),
            Ok(Intent::Range(crate::tui::model::ChartRange::Hours24))
        );
        assert_eq!(
            parse("range 2h"),
            Err("no range '2h': 15m, 1h, 24h, 7d, 30d".into())
        );
        assert!(parse("range").is_err());
        assert_eq!(parse("r kubo"), Ok(Intent::Poll(kubo())));
        assert_eq!(parse("rm kubo"), Ok(Intent::Remove(kubo())));
        assert_eq!(parse("test"), Err(":test needs a backend id".into()));
        assert_eq!(parse("edit nope"), Err("no backend 'nope'".into()));
        assert_eq!(parse("d kubo").ok(), Some(Intent::Remove(kubo())));
        assert_eq!(parse("test kubo"), Ok(Intent::Test(kubo())));
        assert_eq!(parse("clone kubo"), Ok(Intent::Clone(kubo())));
        // What may be done is the gate's to say (`App::perform`), for lines as for keys.
        assert_eq!(
            parse("d kubo").ok().and_then(|i| i.changes()),
            Some("remove")
        );
        assert_eq!(
            parse("clone kubo").ok().and_then(|i| i.changes()),
            Some("clone")
        );
        assert_eq!(parse("test kubo").ok().and_then(|i| i.changes()), None);
    }

    #[test]
    fn maintenance_lines_start_end_or_ask() {
        let exists = |id: &str| id == "kubo";
        let parse = |line: &str| parse(line, exists);
        let kubo = || Target::Named("kubo".into());
        assert_eq!(
            parse("maintenance kubo 2h disk  swap in rack 4"),
            Ok(Intent::StartMaintenance {
                target: kubo(),
                for_secs: 7200,
                reason: Some("disk swap in rack 4".into()),
            })
        );
        assert_eq!(
            parse("maint kubo 1h30m"),
            Ok(Intent::StartMaintenance {
                target: kubo(),
                for_secs: 5400,
                reason: None,
            })
        );
        assert_eq!(
            parse("maintenance kubo END"),
            Ok(Intent::EndMaintenance(kubo()))
        );
        assert_eq!(parse("maintenance kubo"), Ok(Intent::Maintenance(kubo())));
        assert_eq!(
            parse("maintenance kubo 2x"),
            Err("'2x' is not a duration (e.g. 30m, 2h, 1d, 1h30m)".into())
        );
        assert_eq!(
            parse("maintenance nope 2h"),
            Err("no backend 'nope'".into())
        );
        assert!(parse("maintenance")
            .unwrap_err()
            .contains("needs a backend id"));
        assert_eq!(
            parse("maintenance kubo 2h").ok().and_then(|i| i.changes()),
            Some("maintenance"),
            "refused in --read-only"
        );
        assert_eq!(
            parse("maintenance kubo end")
                .ok()
                .and_then(|i| i.host_only()),
            Some("maintenance"),
            "refused in the fleet view"
        );
        assert_eq!(typed("maint", &[KeyCode::Tab]).value(), "maintenance ");
        assert_eq!(
            typed("maintenance k", &[KeyCode::Tab]).value(),
            "maintenance kubo "
        );
        assert_eq!(
            typed("maintenance kubo e", &[KeyCode::Tab]).value(),
            "maintenance kubo end "
        );
    }

    const IDS: &[&str] = &["garage-media", "garage-logs", "kubo"];

    /// Types `text` then presses each of `keys`; the line as it is then.
    fn typed(text: &str, keys: &[KeyCode]) -> CommandLine {
        let mut line = CommandLine::default();
        line.paste(text);
        for code in keys {
            let key = KeyEvent::new(*code, crossterm::event::KeyModifiers::NONE);
            line.handle_key(key, &CommandHistory::default(), IDS);
        }
        line
    }

    #[test]
    fn tab_completes_commands_ids_kinds_and_sort_columns() {
        let tab = [KeyCode::Tab];
        assert_eq!(typed("cl", &tab).value(), "clone ");
        assert_eq!(typed("edit k", &tab).value(), "edit kubo ");
        assert_eq!(
            typed("t KU", &tab).value(),
            "t kubo ",
            "any case, as the id is"
        );
        assert_eq!(typed("add ipfs_c", &tab).value(), "add ipfs_cluster ");
        assert_eq!(
            typed("sort fu", &tab).value(),
            "sort full",
            "full or full_in"
        );
        assert_eq!(typed("sort full_", &tab).value(), "sort full_in ");
        assert_eq!(typed("sort used d", &tab).value(), "sort used desc ");
        assert_eq!(typed("filter k", &tab).value(), "filter k", "free text");
        assert_eq!(typed("add x", &tab).value(), "add x", "nothing matches");
    }

    #[test]
    fn several_candidates_complete_their_common_start_then_cycle() {
        let line = typed("edit g", &[KeyCode::Tab]);
        assert_eq!(line.value(), "edit garage-");
        let offered = line.completion.as_ref().map(|c| c.candidates.clone());
        assert_eq!(
            offered,
            Some(vec!["garage-logs".to_string(), "garage-media".to_string()])
        );
        let tabs = |n| vec![KeyCode::Tab; n];
        assert_eq!(typed("edit g", &tabs(2)).value(), "edit garage-logs");
        assert_eq!(typed("edit g", &tabs(3)).value(), "edit garage-media");
        assert_eq!(
            typed("edit g", &tabs(4)).value(),
            "edit garage-logs",
            "round"
        );
        let back = [KeyCode::Tab, KeyCode::BackTab];
        assert_eq!(typed("edit g", &back).value(), "edit garage-media");
        // Several kinds start with "ipfs"; another key ends the cycle.
        assert_eq!(typed("add ip", &tabs(1)).value(), "add ipfs");
        let line = typed("add ip", &[KeyCode::Tab, KeyCode::Char('_'), KeyCode::Tab]);
        assert_eq!(line.value(), "add ipfs_cluster ");
        assert_eq!(line.completion, None);
        assert_eq!(typed("", &tabs(1)).value(), "", "every command offered");
        assert_eq!(typed("", &tabs(2)).value(), "add");
        assert_eq!(typed("p", &tabs(1)).value(), "p");
        assert_eq!(typed("p", &tabs(3)).value(), "poll");
    }
}
