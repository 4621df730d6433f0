//! The help: every main-screen key as bound now, generated from the keymap (those that change
//! backends marked off in `--read-only`), and the health legend. It scrolls: at 80x24 it does
//! not fit.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::shared::Context;
use super::shared::{is_ctrl_c, Shown};
use crate::stats::HealthStatus;
use crate::tui::intent::Intent;
use crate::tui::keymap::KEYMAP;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use crate::tui::widgets::centered;
use crate::tui::widgets::Hint;

pub const HINTS: &[Hint] = &[("↑↓ PgUp PgDn", "scroll"), ("Esc", "close")];

/// Further than the help can ever scroll (the drawing clamps to what there is to see).
const SCROLL_MAX: u16 = 64;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Help {
    /// Lines scrolled down.
    scroll: u16,
}

impl Help {
    pub fn handle_key(&mut self, key: KeyEvent) -> Shown {
        if is_ctrl_c(&key) {
            return Shown::Close;
        }
        self.scroll = match key.code {
            KeyCode::Down | KeyCode::Char('j') => self.scroll.saturating_add(1).min(SCROLL_MAX),
            KeyCode::Up | KeyCode::Char('k') => self.scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => {
                self.scroll.saturating_add(10).min(SCROLL_MAX)
            }
            KeyCode::PageUp => self.scroll.saturating_sub(10),
            KeyCode::Home | KeyCode::Char('g') => 0,
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q' | '?') => return Shown::Close,
            _ => self.scroll,
        };
        Shown::Open
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, context: &Context, theme: &Theme) {
        let rect = centered(area, 76, 33);
        let mut lines: Vec<Line> = KEYMAP
            .iter()
            .map(|b| {
                let shown = context.keymap.shown(b.action);
                let mut spans = vec![
                    if shown.is_empty() {
                        Span::styled(format!("{:<9}", "(none)"), theme.dim())
                    } else {
                        Span::styled(format!("{shown:<9}"), theme.key())
                    },
                    Span::raw(b.help.to_string()),
                ];
                if context.read_only && Intent::of_key(b.action).changes().is_some() {
                    spans.push(Span::styled("  (off: read-only)", theme.dim()));
                }
                Line::from(spans)
            })
            .collect();
        lines.push(Line::from(""));
        // The legend from the labels the list draws, so it says what the screen shows.
        let label = |status| theme.health_label(status);
        lines.push(Line::from(Span::styled(
            format!(
                "Health: {} {} (a quota, capacity or error-rate alert) {} (no room left: \
                 writes fail) {} {} {} {} {} (kind not polled here); {} stale (last known); {} \
                 before an id: an alert that is not silenced",
                label(HealthStatus::Healthy),
                label(HealthStatus::Warning),
                label(HealthStatus::Full),
                label(HealthStatus::Degraded),
                label(HealthStatus::Down),
                label(HealthStatus::Unknown),
                label(HealthStatus::Disabled),
                label(HealthStatus::Unsupported),
                theme.stale_mark(),
                theme.alert_mark(),
            ),
            theme.dim(),
        )));
        lines.push(Line::from(Span::styled(
            "Mouse: a click selects a backend or focuses a pane, a click on a column's header sorts by it (again: reversed), the wheel scrolls; --no-mouse or mouse = false leaves the mouse to the terminal",
            theme.dim(),
        )));
        frame.render_widget(Clear, rect);
        let paragraph = Paragraph::new(lines).wrap(Wrap { trim: true });
        let inner_height = rect.height.saturating_sub(2);
        let total = paragraph.line_count(rect.width.saturating_sub(2));
        let most = u16::try_from(total)
            .unwrap_or(u16::MAX)
            .saturating_sub(inner_height);
        let scroll = self.scroll.min(most);
        let title = if most == 0 {
            " Help (Esc closes) ".to_string()
        } else if scroll < most {
            format!(" Help ({}/{}, ↓ more; Esc closes) ", scroll + 1, most + 1)
        } else {
            format!(" Help ({}/{}; Esc closes) ", scroll + 1, most + 1)
        };
        frame.render_widget(
            paragraph
                .scroll((scroll, 0))
                .block(block(title, true, theme)),
            rect,
        );
    }
}
