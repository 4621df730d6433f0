//! The list of backends: one row each (health word and colour, id, kind, response, used, quota),
//! columns dropped as the width shrinks; its title says the count, the sort, the filter, PAUSED
//! and the dashboard's read-only backends. The filter line is typed here (`/`).

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table, TableState};
use ratatui::Frame;
use tui_input::backend::crossterm::EventHandler;
use tui_input::Input;

use super::footer::Hint;
use super::{block, percent_text, Pane};
use crate::text::sanitize;
use crate::tui::app::App;
use crate::tui::theme::Theme;

/// The footer while the filter is typed.
pub const FILTER_HINTS: &[Hint] = &[("Enter", "keep filter"), ("Esc", "clear")];

/// What a key did to the filter being typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterOutcome {
    /// Still typing: the filter is now this.
    Typing(String),
    /// Enter: the filter stays as it is, the line closes.
    Kept,
    /// Esc: no filter, the line closes.
    Cleared,
}

/// A key while the filter is typed.
pub fn filter_key(input: &mut Input, key: KeyEvent) -> FilterOutcome {
    match key.code {
        KeyCode::Enter => FilterOutcome::Kept,
        KeyCode::Esc => FilterOutcome::Cleared,
        _ => {
            input.handle_event(&crossterm::event::Event::Key(key));
            FilterOutcome::Typing(input.value().to_string())
        }
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let width = area.width;
    // Columns go as the width shrinks: quota, then response, then kind.
    let show_kind = width >= 46;
    let show_resp = width >= 54;
    let show_quota = width >= 62;
    let mut header = vec!["HEALTH", "ID"];
    let backends = &app.backends;
    // "· unsupported" is the one label longer than ten cells: widen only when it is shown.
    let unsupported = backends
        .rows()
        .iter()
        .any(|r| r.stats.health.status == crate::stats::HealthStatus::Unsupported);
    let health_width = if unsupported { 13 } else { 10 };
    let mut widths = vec![Constraint::Length(health_width), Constraint::Min(8)];
    if show_kind {
        header.push("KIND");
        widths.push(Constraint::Length(12));
    }
    if show_resp {
        header.push("RESP");
        widths.push(Constraint::Length(6));
    }
    header.push("USED");
    widths.push(Constraint::Length(6));
    if show_quota {
        header.push("QUOTA");
        widths.push(Constraint::Length(6));
    }
    let rows: Vec<TableRow> = backends
        .visible()
        .map(|row| {
            let stats = &row.stats;
            let testing = app.testing.contains(&stats.id);
            let mut id = String::new();
            if testing {
                id.push_str(theme.spinner(app.spinner));
                id.push(' ');
            }
            id.push_str(&sanitize(&stats.id, 64));
            if stats.stale {
                id.push_str(theme.stale_mark());
            }
            let mut cells = vec![
                Cell::from(theme.health_label(stats.health.status))
                    .style(theme.health(stats.health.status)),
                Cell::from(id),
            ];
            if show_kind {
                cells.push(Cell::from(sanitize(&stats.kind, 12)));
            }
            if show_resp {
                let resp = match (stats.stale, stats.performance.avg_response_time) {
                    (false, Some(ms)) => format!("{ms:.0}ms"),
                    _ => "?".into(),
                };
                cells.push(Cell::from(resp));
            }
            cells.push(Cell::from(percent_text(row.used_percent())));
            if show_quota {
                cells.push(Cell::from(percent_text(row.quota_percent())));
            }
            TableRow::new(cells)
        })
        .collect();
    let mut title = vec![Span::styled(
        format!(" Backends {} ", backends.visible_len()),
        theme.title(),
    )];
    if backends.visible_len() != backends.rows().len() {
        title.push(Span::raw(format!("of {} ", backends.rows().len())));
    }
    title.push(Span::styled(
        format!(
            "sort:{}{} ",
            backends.sort().name(),
            theme.sort_arrow(backends.reverse())
        ),
        theme.dim(),
    ));
    if app.filter_input.is_some() || !backends.filter().is_empty() {
        let cursor = if app.filter_input.is_some() { "_" } else { "" };
        title.push(Span::styled(
            format!("/{}{cursor} ", sanitize(backends.filter(), 30)),
            theme.accent(),
        ));
    }
    if backends.is_paused() {
        title.push(Span::styled(
            "PAUSED ",
            theme.warning().add_modifier(Modifier::BOLD),
        ));
    }
    if !app.dashboard.backends.is_empty() {
        title.push(Span::styled(
            format!("+{} read-only (D) ", app.dashboard.backends.len()),
            theme.dim(),
        ));
    }
    let header_row = TableRow::new(header.into_iter().map(Cell::from).collect::<Vec<_>>())
        .style(Style::default().add_modifier(Modifier::BOLD));
    let empty = backends.rows().is_empty();
    let nothing_visible = backends.visible_len() == 0;
    let selected = backends.selected_position();
    let table = Table::new(rows, widths)
        .header(header_row)
        .block(block(Line::from(title), app.focus == Pane::List, theme))
        .row_highlight_style(theme.selected())
        .column_spacing(1);
    let mut state = TableState::default().with_selected(if nothing_visible {
        None
    } else {
        Some(selected)
    });
    frame.render_stateful_widget(table, area, &mut state);
    if empty || nothing_visible {
        let text = if empty {
            "No backends yet. Press a to add one."
        } else {
            "Nothing matches the filter (Esc clears it)."
        };
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 3,
            width: area.width.saturating_sub(4),
            height: 1,
        };
        if inner.y < area.bottom().saturating_sub(1) {
            frame.render_widget(Paragraph::new(text).style(theme.dim()), inner);
        }
    }
}
