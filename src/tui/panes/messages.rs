//! The message log: the newest messages that fit, each with its local time, warnings and errors
//! in their colours; scrolled with the list keys when it has the focus.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::tui::model::Level;
use crate::tui::state::App;
use crate::tui::state::Pane;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let visible = area.height.saturating_sub(2) as usize;
    let end = app.messages.len().saturating_sub(app.messages.scroll());
    let start = end.saturating_sub(visible);
    let lines: Vec<Line> = app
        .messages
        .range(start..end)
        .map(|m| {
            let time = chrono::DateTime::from_timestamp(m.at, 0)
                .map(|t| {
                    t.with_timezone(&chrono::Local)
                        .format("%H:%M:%S")
                        .to_string()
                })
                .unwrap_or_default();
            let style = match m.level {
                Level::Info => Style::default(),
                Level::Warning => theme.warning(),
                Level::Error => theme.error(),
            };
            // Cut at the pane's edge with an ellipsis: a backend's name never reads cut short.
            crate::tui::widgets::fit_line(
                Line::from(vec![
                    Span::styled(format!("{time} "), theme.dim()),
                    Span::styled(m.text.clone(), style),
                ]),
                usize::from(area.width.saturating_sub(2)),
                theme,
            )
        })
        .collect();
    let title = if app.messages.scroll() > 0 {
        format!(" Messages (scrolled {}) ", app.messages.scroll())
    } else {
        " Messages ".to_string()
    };
    frame.render_widget(
        Paragraph::new(lines).block(block(title, app.focus == Pane::Messages, theme)),
        area,
    );
}
