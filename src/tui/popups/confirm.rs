//! The question before a backend is removed. No is the default: Enter, n and Esc keep it.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::is_ctrl_c;
use crate::text::sanitize;
use crate::tui::panes::block;
use crate::tui::panes::footer::Hint;
use crate::tui::panes::layout::centered;
use crate::tui::theme::Theme;

pub const HINTS: &[Hint] = &[("y", "remove"), ("n/Esc/Enter", "keep")];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirm {
    id: String,
    /// `'ID' (KIND)`, as the question names it.
    description: String,
}

/// What the answer was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// Not answered yet.
    Open,
    /// Yes: remove the backend of this id.
    Remove(String),
    /// No: the backend described so is kept (the footer says so).
    Keep(String),
    /// Ctrl-C: closed without a word.
    Cancel,
}

impl Confirm {
    /// Asks whether to remove the backend `id` of kind `kind`.
    pub fn remove(id: &str, kind: &str) -> Confirm {
        Confirm {
            id: id.to_string(),
            description: format!("'{id}' ({kind})"),
        }
    }

    /// The backend asked about.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn handle_key(&self, key: KeyEvent) -> ConfirmOutcome {
        match key.code {
            KeyCode::Char('y' | 'Y') => ConfirmOutcome::Remove(self.id.clone()),
            // Default No: Enter, n, Esc all cancel.
            KeyCode::Char('n' | 'N') | KeyCode::Esc | KeyCode::Enter => {
                ConfirmOutcome::Keep(self.description.clone())
            }
            _ if is_ctrl_c(&key) => ConfirmOutcome::Cancel,
            _ => ConfirmOutcome::Open,
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let rect = centered(area, 60, 7);
        let lines = vec![
            Line::from(format!(
                "Remove backend {}?",
                sanitize(&self.description, 80)
            )),
            Line::from(Span::styled(
                "Its file in backends/ and its kept stats are deleted.",
                theme.dim(),
            )),
            Line::from(""),
            Line::from(vec![
                Span::styled("y", theme.key()),
                Span::raw(" remove    "),
                Span::styled("N", theme.key()),
                Span::raw(" keep (default)"),
            ]),
        ];
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: true })
                .block(block(" Confirm ", true, theme)),
            rect,
        );
    }
}
