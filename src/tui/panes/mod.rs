//! The regions of the main screen, one file each with its drawing and, where it has them, its
//! keys and footer hints: the backend `list` (and its filter line), the `detail` of the selected
//! backend, the `messages`, the `footer`. `layout` splits the screen between them.

pub mod chart;
pub mod detail;
pub mod footer;
pub mod layout;
pub mod list;
pub mod messages;
pub mod summary;

use ratatui::text::Line;
use ratatui::widgets::{Block, Borders};

use super::theme::Theme;

/// The panes that take the focus, in Tab order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    List,
    Detail,
    Messages,
}

impl Pane {
    const ORDER: [Pane; 3] = [Pane::List, Pane::Detail, Pane::Messages];

    /// The next pane in Tab order (or the previous one), round.
    pub fn next(self, forward: bool) -> Pane {
        let order = Self::ORDER;
        let i = order.iter().position(|p| *p == self).unwrap_or(0);
        let step = if forward { 1 } else { order.len() - 1 };
        order[(i + step) % order.len()]
    }
}

/// A bordered block, its border in the accent colour when it has the focus (popups always do).
pub fn block<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.border_set())
        .title(title);
    if focused {
        block = block.border_style(theme.accent());
    }
    block
}

/// A percentage as the list and the detail show it; unknown stays unknown.
pub fn percent_text(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "?".into())
}
