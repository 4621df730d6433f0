//! The first step of adding a backend: which kind? One line per kind this console knows, with
//! what it is; arrows and Enter, or its number.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use crate::backends::Kind;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use crate::tui::widgets::centered;
use crate::tui::widgets::Hint;

pub const HINTS: &[Hint] = &[("↑↓", "choose"), ("Enter", "select"), ("Esc", "cancel")];

/// Picks the kind of a new backend.
#[derive(Debug, Default)]
pub struct KindChooser {
    selected: usize,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ChooserOutcome {
    None,
    Cancel,
    Chosen(Kind),
}

impl KindChooser {
    pub fn new() -> Self {
        KindChooser::default()
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> ChooserOutcome {
        let last = Kind::ALL.len() - 1;
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => return ChooserOutcome::Cancel,
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                return ChooserOutcome::Cancel
            }
            KeyCode::Up | KeyCode::Char('k') | KeyCode::BackTab => {
                self.selected = self.selected.saturating_sub(1)
            }
            KeyCode::Down | KeyCode::Char('j') | KeyCode::Tab => {
                self.selected = (self.selected + 1).min(last)
            }
            KeyCode::Home | KeyCode::Char('g') => self.selected = 0,
            KeyCode::End | KeyCode::Char('G') => self.selected = last,
            KeyCode::Enter => return ChooserOutcome::Chosen(Kind::ALL[self.selected]),
            KeyCode::Char(c @ '1'..='7') => {
                let index = c as usize - '1' as usize;
                return ChooserOutcome::Chosen(Kind::ALL[index.min(last)]);
            }
            _ => {}
        }
        ChooserOutcome::None
    }

    /// Draws the chooser centred over `area`, the whole screen.
    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        draw_chooser(frame, centered(area, 64, 13), self, theme);
    }
}

/// Draws the chooser filling `area`.
fn draw_chooser(frame: &mut Frame, area: Rect, chooser: &KindChooser, theme: &Theme) {
    let lines: Vec<Line> = Kind::ALL
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let style = if i == chooser.selected {
                theme.selected()
            } else {
                Style::default()
            };
            Line::from(vec![
                Span::styled(
                    format!("{} {:<13}", i + 1, kind.as_str()),
                    style.add_modifier(Modifier::BOLD),
                ),
                Span::styled(kind.description().to_string(), style),
            ])
        })
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(block(
            " Add a backend: which kind? (Enter, Esc) ",
            true,
            theme,
        )),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ColorDepth;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    #[test]
    fn chooser_picks_with_arrows_and_enter() {
        let mut chooser = KindChooser::new();
        chooser.handle_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
        chooser.handle_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
        chooser.handle_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
        assert_eq!(
            chooser.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            ChooserOutcome::Chosen(Kind::S3)
        );
        assert_eq!(
            KindChooser::new().handle_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
            ChooserOutcome::Cancel
        );
    }

    #[test]
    fn snapshots() {
        let theme = Theme::new(ColorDepth::None, false);
        for (w, h) in [(80, 24), (40, 12)] {
            let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
            terminal
                .draw(|f| draw_chooser(f, f.area(), &KindChooser::new(), &theme))
                .unwrap();
            // Named as when the chooser was in `tui/form.rs`.
            super::super::shared::kept_snapshot_settings().bind(|| {
                insta::assert_snapshot!(
                    format!("ipfs_kit_tui__tui__form__tests__chooser_{w}x{h}"),
                    terminal.backend()
                );
            });
        }
    }
}
