//! The maintenance popup (`m`): for a backend not in maintenance, how long (`30m`, `2h`, `1d`)
//! and, optionally, why; for one in maintenance, whether to end it now (No is the default, as
//! for every question here). While a backend is in maintenance it is polled as usual and its
//! alerts are held.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;
use tui_input::backend::crossterm::EventHandler;
use tui_input::Input;

use super::shared::is_ctrl_c;
use crate::stats::MaintenanceBrief;
use crate::store::maintenance::{parse_span, span_left, REASON_CHARS};
use crate::text::sanitize;
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, centered, Hint};

pub const HINTS: &[Hint] = &[("Enter", "start"), ("Tab", "next field"), ("Esc", "cancel")];
/// While it asks whether to end a window under way.
pub const END_HINTS: &[Hint] = &[("y", "end it"), ("n/Esc/Enter", "keep")];

/// The field being typed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Duration,
    Reason,
}

#[derive(Clone, Debug)]
enum Mode {
    /// How long, and why.
    Start {
        duration: Input,
        reason: Input,
        field: Field,
        /// Why the duration typed was refused, until it is typed again.
        mistake: Option<String>,
    },
    /// The backend is in maintenance: end it?
    End(MaintenanceBrief),
}

#[derive(Clone, Debug)]
pub struct MaintenancePopup {
    id: String,
    mode: Mode,
}

/// What the operator asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MaintenanceOutcome {
    Open,
    Start {
        id: String,
        for_secs: u64,
        reason: Option<String>,
    },
    End(String),
    /// No: the window goes on (the footer says so).
    Keep(String),
    Cancel,
}

impl MaintenancePopup {
    /// For `id`, in the window `current` if it is in one.
    pub fn new(id: &str, current: Option<&MaintenanceBrief>) -> MaintenancePopup {
        let mode = match current {
            Some(brief) => Mode::End(brief.clone()),
            None => Mode::Start {
                duration: Input::default(),
                reason: Input::default(),
                field: Field::Duration,
                mistake: None,
            },
        };
        MaintenancePopup {
            id: id.to_string(),
            mode,
        }
    }

    pub fn hints(&self) -> &'static [Hint] {
        match self.mode {
            Mode::Start { .. } => HINTS,
            Mode::End(_) => END_HINTS,
        }
    }

    pub fn paste(&mut self, text: &str) {
        if let Mode::Start {
            duration,
            reason,
            field,
            ..
        } = &mut self.mode
        {
            let input = match field {
                Field::Duration => duration,
                Field::Reason => reason,
            };
            let clean = sanitize(text, REASON_CHARS);
            *input = input
                .clone()
                .with_value(format!("{}{clean}", input.value()));
        }
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> MaintenanceOutcome {
        if is_ctrl_c(&key) {
            return MaintenanceOutcome::Cancel;
        }
        let id = self.id.clone();
        match &mut self.mode {
            Mode::End(_) => match key.code {
                KeyCode::Char('y' | 'Y') => MaintenanceOutcome::End(id),
                KeyCode::Char('n' | 'N') | KeyCode::Esc | KeyCode::Enter => {
                    MaintenanceOutcome::Keep(id)
                }
                _ => MaintenanceOutcome::Open,
            },
            Mode::Start {
                duration,
                reason,
                field,
                mistake,
            } => match key.code {
                KeyCode::Esc => MaintenanceOutcome::Cancel,
                KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
                    *field = match field {
                        Field::Duration => Field::Reason,
                        Field::Reason => Field::Duration,
                    };
                    MaintenanceOutcome::Open
                }
                KeyCode::Enter => match parse_span(duration.value()) {
                    Ok(span) => MaintenanceOutcome::Start {
                        id,
                        for_secs: span.as_secs(),
                        reason: Some(reason.value().trim().to_string()).filter(|r| !r.is_empty()),
                    },
                    Err(why) => {
                        *mistake = Some(why);
                        *field = Field::Duration;
                        MaintenanceOutcome::Open
                    }
                },
                _ => {
                    let input = match field {
                        Field::Duration => {
                            *mistake = None;
                            duration
                        }
                        Field::Reason => reason,
                    };
                    input.handle_event(&crossterm::event::Event::Key(key));
                    MaintenanceOutcome::Open
                }
            },
        }
    }

    /// Drawn centred; `now` (unix seconds) says the time a window under way has left.
    pub fn draw(&self, frame: &mut Frame, area: Rect, now: i64, theme: &Theme) {
        let id = sanitize(&self.id, 60);
        let (title, lines, cursor) = match &self.mode {
            Mode::End(brief) => {
                let left = chrono::DateTime::from_timestamp(now, 0)
                    .and_then(|now| brief.left(now))
                    .map_or_else(|| "?".to_string(), span_left);
                let reason = brief
                    .reason
                    .as_deref()
                    .map(|r| format!(": {}", sanitize(r, REASON_CHARS)))
                    .unwrap_or_default();
                let lines = vec![
                    Line::from(format!("'{id}' is in maintenance, {left} left{reason}.")),
                    Line::from(Span::styled(
                        "End it now? Its alerts are judged again at once.",
                        theme.dim(),
                    )),
                    Line::from(""),
                    Line::from(vec![
                        Span::styled("y", theme.key()),
                        Span::raw(" end it    "),
                        Span::styled("N", theme.key()),
                        Span::raw(" keep (default)"),
                    ]),
                ];
                (" Maintenance ", lines, None)
            }
            Mode::Start {
                duration,
                reason,
                field,
                mistake,
            } => {
                let label = |name: &'static str, here: bool| {
                    Span::styled(name, if here { theme.key() } else { theme.dim() })
                };
                let mut lines = vec![
                    Line::from(Span::styled("Polled as usual; alerts held.", theme.dim())),
                    Line::from(""),
                    Line::from(vec![
                        label("For:    ", *field == Field::Duration),
                        Span::raw(duration.value().to_string()),
                        Span::styled("   30m, 2h, 1d, 1h30m", theme.dim()),
                    ]),
                    Line::from(vec![
                        label("Reason: ", *field == Field::Reason),
                        Span::raw(reason.value().to_string()),
                    ]),
                ];
                if let Some(mistake) = mistake {
                    lines.push(Line::from(""));
                    lines.push(Line::from(Span::styled(
                        sanitize(mistake, 120),
                        theme.error(),
                    )));
                }
                // The cursor where typing goes: after the label (8 cells) and what is typed.
                let (row, typed) = match field {
                    Field::Duration => (2, duration.visual_cursor()),
                    Field::Reason => (3, reason.visual_cursor()),
                };
                (" Maintenance of '{id}' ", lines, Some((row, typed)))
            }
        };
        let title = title.replace("{id}", &id);
        // Room for the lines, and for the question's to wrap on a narrow screen.
        let height = match self.mode {
            Mode::End(_) => 8,
            Mode::Start { .. } => u16::try_from(lines.len()).unwrap_or(6) + 2,
        };
        let rect = centered(area, 64, height);
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(block(title.as_str(), true, theme)),
            rect,
        );
        if let Some((row, typed)) = cursor {
            let x = rect.x + 1 + 8 + u16::try_from(typed).unwrap_or(u16::MAX);
            frame.set_cursor_position((x.min(rect.right().saturating_sub(2)), rect.y + 1 + row));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::theme::ColorDepth;
    use crossterm::event::KeyModifiers;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    const NOW: i64 = 1_767_323_045;

    fn press(popup: &mut MaintenancePopup, code: KeyCode) -> MaintenanceOutcome {
        popup.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn typed(popup: &mut MaintenancePopup, text: &str) {
        for c in text.chars() {
            press(popup, KeyCode::Char(c));
        }
    }

    fn brief() -> MaintenanceBrief {
        MaintenanceBrief {
            since: "2026-01-02T02:04:05+00:00".into(),
            until: "2026-01-02T05:04:05+00:00".into(),
            reason: Some("disk swap in rack 4".into()),
        }
    }

    fn render(popup: &MaintenancePopup, width: u16, height: u16, ascii: bool) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        let theme = Theme::new(ColorDepth::None, ascii);
        terminal
            .draw(|frame| popup.draw(frame, frame.area(), NOW, &theme))
            .unwrap();
        format!("{}", terminal.backend())
    }

    #[test]
    fn a_duration_and_a_reason_start_it() {
        let mut popup = MaintenancePopup::new("kubo", None);
        typed(&mut popup, "2h");
        press(&mut popup, KeyCode::Tab);
        typed(&mut popup, " disk swap ");
        assert_eq!(
            press(&mut popup, KeyCode::Enter),
            MaintenanceOutcome::Start {
                id: "kubo".into(),
                for_secs: 7200,
                reason: Some("disk swap".into()),
            }
        );
        let mut bare = MaintenancePopup::new("kubo", None);
        typed(&mut bare, "30m");
        assert_eq!(
            press(&mut bare, KeyCode::Enter),
            MaintenanceOutcome::Start {
                id: "kubo".into(),
                for_secs: 1800,
                reason: None,
            }
        );
    }

    #[test]
    fn a_bad_duration_is_said_and_the_popup_stays() {
        let mut popup = MaintenancePopup::new("kubo", None);
        press(&mut popup, KeyCode::Tab);
        typed(&mut popup, "why");
        assert_eq!(press(&mut popup, KeyCode::Enter), MaintenanceOutcome::Open);
        assert!(render(&popup, 80, 24, false).contains("no duration given"));
        typed(&mut popup, "2x");
        assert_eq!(press(&mut popup, KeyCode::Enter), MaintenanceOutcome::Open);
        assert!(render(&popup, 80, 24, false).contains("'2x' is not a duration"));
        assert_eq!(press(&mut popup, KeyCode::Esc), MaintenanceOutcome::Cancel);
    }

    #[test]
    fn a_backend_in_maintenance_is_asked_whether_to_end_it_no_by_default() {
        let mut popup = MaintenancePopup::new("kubo", Some(&brief()));
        assert_eq!(popup.hints(), END_HINTS);
        assert_eq!(
            press(&mut popup, KeyCode::Enter),
            MaintenanceOutcome::Keep("kubo".into())
        );
        assert_eq!(
            press(&mut popup, KeyCode::Char('x')),
            MaintenanceOutcome::Open
        );
        assert_eq!(
            press(&mut popup, KeyCode::Char('y')),
            MaintenanceOutcome::End("kubo".into())
        );
    }

    const SIZES: [(u16, u16); 4] = [(200, 50), (120, 40), (80, 24), (40, 12)];

    #[test]
    fn the_popup_at_four_sizes() {
        let mut start = MaintenancePopup::new("garage-media", None);
        typed(&mut start, "2h");
        press(&mut start, KeyCode::Tab);
        typed(&mut start, "disk swap");
        let end = MaintenancePopup::new("garage-media", Some(&brief()));
        for (w, h) in SIZES {
            insta::assert_snapshot!(
                format!("maintenance_start_{w}x{h}"),
                render(&start, w, h, false)
            );
            insta::assert_snapshot!(
                format!("maintenance_end_{w}x{h}"),
                render(&end, w, h, false)
            );
        }
        // Under --ascii: nothing but ASCII.
        assert!(render(&end, 80, 24, true).is_ascii());
    }
}
