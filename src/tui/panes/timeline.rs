//! The detail's timeline section: the selected backend's newest events (`backend events`'
//! phrases), one a line, newest last, scrolled back with ↑/↓ (or the wheel) while the detail
//! has the focus. Shown once read; a backend without events says so.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::facts::{fact, flow, LABEL_WIDTH};
use crate::monitor::timeline::{describe, local_clock, TimelineEvent, What};
use crate::stats::HealthStatus;
use crate::tui::state::App;
use crate::tui::theme::Theme;

/// Lines the section takes at most (its heading included): a few in the split view, more in
/// the full-screen detail.
pub fn rows_wanted(full: bool) -> usize {
    if full {
        12
    } else {
        4
    }
}

/// The section for backend `id`, at most `rows` lines; none before its timeline is read.
pub fn timeline_lines<'a>(
    app: &'a App,
    id: &str,
    theme: &Theme,
    width: u16,
    rows: usize,
) -> Vec<Line<'a>> {
    let Some(events) = app.timeline.for_backend(id) else {
        return Vec::new();
    };
    if rows == 0 {
        return Vec::new();
    }
    if events.is_empty() {
        return flow(
            "Events",
            theme.dim(),
            vec![fact("no events yet", theme.dim())],
            "",
            width,
        );
    }
    let back = app.timeline.back().min(events.len().saturating_sub(1));
    let end = events.len() - back;
    let shown = (rows - 1).min(end);
    let mut heading = vec![fact(
        crate::text::plural(events.len() as u64, "event", "events"),
        Style::default(),
    )];
    if back > 0 {
        heading.push(fact(format!("{back} newer below"), theme.dim()));
    }
    let scroll = if theme.ascii { "up/down" } else { "↑↓" };
    heading.push(fact(format!("{scroll} when focused"), theme.dim()));
    let mut lines = flow("Events", theme.dim(), heading, " · ", width);
    lines.truncate(1);
    let today = chrono::DateTime::from_timestamp(app.now, 0)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    for event in &events[end - shown..end] {
        let clock = local_clock(&event.at, Some(&today));
        let mut text = describe(event);
        if theme.ascii {
            text = text.replace('→', "->");
        }
        lines.push(Line::from(vec![
            Span::raw(" ".repeat(LABEL_WIDTH)),
            Span::styled(format!("{clock} "), theme.dim()),
            Span::styled(text, style_of(event, theme)),
        ]));
    }
    lines
}

/// An event into trouble in the error or warning colour, a recovery in the healthy one.
fn style_of(event: &TimelineEvent, theme: &Theme) -> Style {
    match &event.what {
        What::Health { to, .. } => match to {
            HealthStatus::Healthy
            | HealthStatus::Down
            | HealthStatus::Degraded
            | HealthStatus::Full
            | HealthStatus::Warning => theme.health(*to),
            _ => Style::default(),
        },
        What::AlertRaised { .. } => theme.warning(),
        What::Test { ok: false, .. } => theme.error(),
        What::Unknown => theme.dim(),
        _ => Style::default(),
    }
}
