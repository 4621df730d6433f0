//! The log view (`L`): the console's own log — the last lines of the log file (earlier runs and
//! other processes too), then this process's lines that could not be written there (a full or
//! read-only home) — so that a hook that failed, a file that could not be saved or a backend
//! file that did not parse can be read without leaving the console. Read off the UI loop
//! (`Cmd::LoadLog`) when it opens and each time `r` is pressed; newest at the bottom.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::shared::{closes, is_ctrl_c};
use crate::text::sanitize;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use crate::tui::widgets::Hint;

pub const HINTS: &[Hint] = &[
    ("↑↓", "scroll"),
    ("e", "errors only"),
    ("r", "read again"),
    ("Esc", "close"),
];

/// Lines of the log file the view reads.
pub const TAIL_LINES: usize = 300;

/// One line of the log as the view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// The line as written (`TIME LEVEL message`).
    pub text: String,
    /// `ERROR`, `WARNING`, `INFO`, ... as the line says.
    pub level: String,
    /// Why this line is not in the file (it is this process's, held in memory).
    pub unwritten: Option<String>,
}

impl LogEntry {
    /// A line of the log file: `TIMESTAMP LEVEL message`.
    pub fn of_file_line(line: &str) -> LogEntry {
        let level = line.split_whitespace().nth(1).unwrap_or("").to_string();
        LogEntry {
            text: sanitize(line, 2000),
            level,
            unwritten: None,
        }
    }

    fn is_problem(&self) -> bool {
        matches!(self.level.as_str(), "ERROR" | "WARNING")
    }
}

/// What a key did to the log view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogOutcome {
    Open,
    Close,
    /// Read the log again.
    Reload,
}

#[derive(Clone, Debug, Default)]
pub struct LogView {
    /// `None` until the first read answers.
    entries: Option<Vec<LogEntry>>,
    /// Why the log file could not be read, if it could not.
    problem: Option<String>,
    /// Lines scrolled up from the bottom.
    from_bottom: usize,
    errors_only: bool,
}

impl LogView {
    /// Takes a read of the log: the file's last lines and this process's unwritten ones.
    pub fn loaded(&mut self, entries: Vec<LogEntry>, problem: Option<String>) {
        self.entries = Some(entries);
        self.problem = problem;
        self.from_bottom = 0;
    }

    fn shown(&self) -> Vec<&LogEntry> {
        self.entries
            .iter()
            .flatten()
            .filter(|e| !self.errors_only || e.is_problem() || e.unwritten.is_some())
            .collect()
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> LogOutcome {
        if closes(&key) || is_ctrl_c(&key) || key.code == KeyCode::Char('L') {
            return LogOutcome::Close;
        }
        let len = self.shown().len();
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => {
                self.from_bottom = (self.from_bottom + 1).min(len.saturating_sub(1));
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.from_bottom = self.from_bottom.saturating_sub(1);
            }
            KeyCode::PageUp => {
                self.from_bottom = (self.from_bottom + 10).min(len.saturating_sub(1))
            }
            KeyCode::PageDown => self.from_bottom = self.from_bottom.saturating_sub(10),
            KeyCode::Home | KeyCode::Char('g') => self.from_bottom = len.saturating_sub(1),
            KeyCode::End | KeyCode::Char('G') => self.from_bottom = 0,
            KeyCode::Char('e') => {
                self.errors_only = !self.errors_only;
                self.from_bottom = 0;
            }
            KeyCode::Char('r') => return LogOutcome::Reload,
            _ => {}
        }
        LogOutcome::Open
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let rect = Rect {
            x: area.x + 1,
            y: area.y + 1,
            width: area.width.saturating_sub(2),
            height: area.height.saturating_sub(2),
        };
        let inner = usize::from(rect.height.saturating_sub(2));
        let mut lines: Vec<Line> = Vec::new();
        if let Some(problem) = &self.problem {
            lines.push(Line::from(Span::styled(
                sanitize(problem, 300),
                theme.error(),
            )));
        }
        let shown = self.shown();
        match &self.entries {
            None => lines.push(Line::from(Span::styled("reading the log…", theme.dim()))),
            Some(_) if shown.is_empty() => lines.push(Line::from(Span::styled(
                if self.errors_only {
                    "no errors or warnings logged"
                } else {
                    "nothing logged yet"
                },
                theme.dim(),
            ))),
            Some(_) => {}
        }
        // Whole lines, wrapped: an error is read to its end. From the newest (or the scrolled
        // one) upwards, as many as their wrapped heights hold.
        let room = inner.saturating_sub(lines.len());
        let width = usize::from(rect.width.saturating_sub(2)).max(1);
        let end = shown.len().saturating_sub(self.from_bottom);
        let mut picked: Vec<Line> = Vec::new();
        let mut used = 0;
        for entry in shown[..end].iter().rev() {
            let style = match entry.level.as_str() {
                "ERROR" => theme.error(),
                "WARNING" => theme.warning(),
                _ => Style::default(),
            };
            let mut spans = vec![Span::styled(entry.text.clone(), style)];
            if let Some(why) = &entry.unwritten {
                spans.push(Span::styled(
                    format!("  (not in the log file: {})", sanitize(why, 120)),
                    theme.dim(),
                ));
            }
            let line = Line::from(spans);
            // As the paragraph will wrap it (between words).
            let height = Paragraph::new(line.clone())
                .wrap(Wrap { trim: false })
                .line_count(u16::try_from(width).unwrap_or(u16::MAX))
                .max(1);
            if used + height > room && !picked.is_empty() {
                break;
            }
            used += height;
            picked.push(line);
        }
        lines.extend(picked.into_iter().rev());
        let title = format!(
            " Log{}{} ",
            if self.errors_only {
                ": errors and warnings"
            } else {
                ""
            },
            if self.from_bottom > 0 {
                format!(" ({} newer below)", self.from_bottom)
            } else {
                String::new()
            }
        );
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(block(title.as_str(), true, theme)),
            rect,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries() -> Vec<LogEntry> {
        vec![
            LogEntry::of_file_line("2026-12-07T10:00:00+00:00 INFO backend added: a"),
            LogEntry::of_file_line(
                "2026-12-07T10:01:00+00:00 ERROR alert webhook http://h:1 failed: HTTP 500",
            ),
            LogEntry {
                text: "2026-12-07T10:02:00+00:00 ERROR cannot write the home".into(),
                level: "ERROR".into(),
                unwritten: Some("No space left on device (os error 28)".into()),
            },
        ]
    }

    fn screen(view: &LogView, width: u16, height: u16) -> String {
        let theme = Theme::new(crate::tui::theme::ColorDepth::None, false);
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, height)).unwrap();
        terminal
            .draw(|frame| view.draw(frame, frame.area(), &theme))
            .unwrap();
        let buffer = terminal.backend().buffer().clone();
        (0..height)
            .map(|y| {
                (0..width)
                    .map(|x| buffer[(x, y)].symbol().to_string())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn shows_the_newest_at_the_bottom_and_what_could_not_be_written() {
        let mut view = LogView::default();
        assert!(screen(&view, 100, 8).contains("reading the log"));
        view.loaded(entries(), None);
        let text = screen(&view, 120, 8);
        assert!(text.contains("webhook http://h:1 failed"), "{text}");
        assert!(
            text.contains("(not in the log file: No space left on device"),
            "{text}"
        );
        // Errors only: the INFO line goes.
        assert_eq!(
            view.handle_key(KeyEvent::from(KeyCode::Char('e'))),
            LogOutcome::Open
        );
        assert!(!screen(&view, 120, 8).contains("backend added"));
        assert_eq!(
            view.handle_key(KeyEvent::from(KeyCode::Char('r'))),
            LogOutcome::Reload
        );
        assert_eq!(
            view.handle_key(KeyEvent::from(KeyCode::Esc)),
            LogOutcome::Close
        );
    }

    #[test]
    fn a_long_line_is_wrapped_to_be_read_whole() {
        let mut view = LogView::default();
        view.loaded(
            vec![LogEntry::of_file_line(&format!(
                "2026-12-07T10:00:00+00:00 ERROR cannot write the home: {} the end",
                "x".repeat(150)
            ))],
            None,
        );
        let text = screen(&view, 80, 10);
        assert!(text.contains("the end"), "{text}");
    }

    #[test]
    fn scrolls_up_from_the_newest() {
        let mut view = LogView::default();
        let many: Vec<LogEntry> = (0..50)
            .map(|i| {
                LogEntry::of_file_line(&format!("2026-12-07T10:00:{i:02}+00:00 INFO line {i}"))
            })
            .collect();
        view.loaded(many, None);
        let text = screen(&view, 80, 8);
        assert!(
            text.contains("line 49") && !text.contains("line 40"),
            "{text}"
        );
        for _ in 0..10 {
            view.handle_key(KeyEvent::from(KeyCode::Up));
        }
        let text = screen(&view, 80, 8);
        assert!(
            text.contains("line 39") && !text.contains("line 49"),
            "{text}"
        );
        assert!(text.contains("10 newer below"), "{text}");
    }
}
