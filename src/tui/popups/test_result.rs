//! The result of a test (`t`, or the form's Test over the form): PASS or FAIL, each step with
//! PASS or FAIL, its time and what it found (or why it failed).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::shared::{closes, Shown};
use crate::probe::TestReport;
use crate::text::sanitize;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use crate::tui::widgets::centered;
use crate::tui::widgets::Hint;

pub const HINTS: &[Hint] = &[("Esc", "close")];

#[derive(Clone, Debug)]
pub struct TestResult {
    report: Box<TestReport>,
}

impl TestResult {
    pub fn new(report: Box<TestReport>) -> TestResult {
        TestResult { report }
    }

    /// Esc, Enter, q, ? or Ctrl-C close it; every other key is ignored while it is open.
    pub fn handle_key(&self, key: crossterm::event::KeyEvent) -> Shown {
        if closes(&key) {
            Shown::Close
        } else {
            Shown::Open
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let report = &self.report;
        let rect = centered(area, 90, (report.steps.len() as u16 + 6).max(7));
        // A kept result (never from `t`, which always tests now) says how old it is.
        let kept = if report.cached {
            let at = crate::store::timestamp::parse(&report.checked_at);
            match at {
                Some(at) => format!(
                    " (kept result, {})",
                    crate::text::age(crate::store::timestamp::age_secs(&at))
                ),
                None => " (kept result)".to_string(),
            }
        } else {
            String::new()
        };
        let verdict = if report.ok {
            Span::styled(
                format!("PASS {}{kept}", sanitize(&report.id, 60)),
                theme.health(crate::stats::HealthStatus::Healthy),
            )
        } else {
            Span::styled(
                format!("FAIL {}{kept}", sanitize(&report.id, 60)),
                theme.health(crate::stats::HealthStatus::Down),
            )
        };
        let mut lines = vec![Line::from(vec![
            verdict,
            Span::raw(format!("  in {}", crate::text::millis(report.elapsed_ms))),
        ])];
        for step in &report.steps {
            let (mark, style) = if step.ok {
                (
                    theme.health_label(crate::stats::HealthStatus::Healthy),
                    theme.health(crate::stats::HealthStatus::Healthy),
                )
            } else {
                (
                    theme.health_label(crate::stats::HealthStatus::Down),
                    theme.health(crate::stats::HealthStatus::Down),
                )
            };
            let mark = mark.split(' ').next().unwrap_or("");
            let verdict = if step.ok { "PASS" } else { "FAIL" };
            lines.push(Line::from(vec![
                Span::styled(format!("{mark} {verdict} "), style),
                Span::raw(format!("{}  ", sanitize(&step.name, 60))),
                Span::styled(
                    format!("{}  ", crate::text::millis(step.elapsed_ms)),
                    theme.dim(),
                ),
                Span::raw(sanitize(&step.detail, 200)),
            ]));
        }
        if let Some(message) = report.error.as_ref().map(|e| e.message.as_str()) {
            if report.steps.iter().all(|s| s.ok) {
                lines.push(Line::from(Span::styled(
                    sanitize(message, 200),
                    theme.error(),
                )));
            }
        }
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: true }).block(block(
                " Test result (Esc closes) ",
                true,
                theme,
            )),
            rect,
        );
    }
}
