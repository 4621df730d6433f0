//! The questions before something is lost: a backend removed, a form's edits discarded. No is
//! the default: Enter, n and Esc keep it.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::shared::is_ctrl_c;
use crate::text::sanitize;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use crate::tui::widgets::centered;
use crate::tui::widgets::Hint;

pub const HINTS: &[Hint] = &[("y", "remove"), ("n/Esc/Enter", "keep")];
/// While a form asks whether to discard its edits.
pub const DISCARD_HINTS: &[Hint] = &[("y", "discard"), ("n/Esc/Enter", "keep editing")];

/// What would be lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Question {
    /// The backend (its file and kept stats).
    Remove,
    /// The edits made in a form since it opened.
    Discard,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirm {
    question: Question,
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
    /// Yes: close the form, its edits lost.
    Discard,
    /// No: the backend described so is kept (the footer says so).
    Keep(String),
    /// Ctrl-C: closed without a word.
    Cancel,
}

impl Confirm {
    /// Asks whether to remove the backend `id` of kind `kind`.
    pub fn remove(id: &str, kind: &str) -> Confirm {
        Confirm {
            question: Question::Remove,
            id: id.to_string(),
            description: format!("'{id}' ({kind})"),
        }
    }

    /// Asks whether to close a form whose values were changed; `id` is the backend's, empty
    /// while a new one has none yet.
    pub fn discard(id: &str) -> Confirm {
        let description = if id.is_empty() {
            "the new backend".to_string()
        } else {
            format!("'{id}'")
        };
        Confirm {
            question: Question::Discard,
            id: id.to_string(),
            description,
        }
    }

    /// The footer's hints while this question is open.
    pub fn hints(&self) -> &'static [Hint] {
        match self.question {
            Question::Remove => HINTS,
            Question::Discard => DISCARD_HINTS,
        }
    }

    /// The backend asked about.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn handle_key(&self, key: KeyEvent) -> ConfirmOutcome {
        match key.code {
            KeyCode::Char('y' | 'Y') => match self.question {
                Question::Remove => ConfirmOutcome::Remove(self.id.clone()),
                Question::Discard => ConfirmOutcome::Discard,
            },
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
        let description = sanitize(&self.description, 80);
        let (question, consequence, yes, no) = match self.question {
            Question::Remove => (
                format!("Remove backend {description}?"),
                "Its file in backends/ and its kept stats are deleted.",
                " remove    ",
                " keep (default)",
            ),
            Question::Discard => (
                format!("Discard changes to {description}?"),
                "The values typed since the form opened are lost.",
                " discard    ",
                " keep editing (default)",
            ),
        };
        let lines = vec![
            Line::from(question),
            Line::from(Span::styled(consequence, theme.dim())),
            Line::from(""),
            Line::from(vec![
                Span::styled("y", theme.key()),
                Span::raw(yes),
                Span::styled("N", theme.key()),
                Span::raw(no),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn press(confirm: &Confirm, code: KeyCode) -> ConfirmOutcome {
        confirm.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn discarding_asks_with_no_as_the_default() {
        let confirm = Confirm::discard("media");
        assert_eq!(press(&confirm, KeyCode::Char('y')), ConfirmOutcome::Discard);
        for no in [KeyCode::Enter, KeyCode::Esc, KeyCode::Char('n')] {
            assert_eq!(press(&confirm, no), ConfirmOutcome::Keep("'media'".into()));
        }
        assert_eq!(press(&confirm, KeyCode::Char('x')), ConfirmOutcome::Open);
        assert_eq!(confirm.hints(), DISCARD_HINTS);
        assert_eq!(
            press(&Confirm::remove("media", "s3"), KeyCode::Char('y')),
            ConfirmOutcome::Remove("media".into())
        );
    }
}
