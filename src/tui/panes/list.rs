//! The list of backends: one row each (health word and colour, id, kind, response, used, quota),
//! columns dropped as the width shrinks; a backend in alert (not silenced) is marked before its
//! id, and a quota in alert is in the warning colour (the error colour when full). Its title says
//! the count, the sort, the filter, PAUSED, the active alerts and the dashboard's read-only
//! backends. The filter line is typed here (`/`).

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
use crate::monitor::alerts::Rule;
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

/// The mark before the id of a backend with an active alert that is not silenced.
pub fn alert_mark(theme: &Theme) -> &'static str {
    if theme.ascii {
        "!"
    } else {
        "▲"
    }
}

/// The QUOTA cell's style: a quota in alert is in the warning colour, the error colour when full.
fn quota_style(row: &crate::tui::model::Row, theme: &Theme) -> Style {
    if !row
        .stats
        .alerts
        .iter()
        .any(|a| a.rule == Rule::Quota.as_str())
    {
        return Style::default();
    }
    if row.quota_percent().is_some_and(|p| p >= 100.0) {
        theme.error()
    } else {
        theme.warning()
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
    let any_marked = backends
        .visible()
        .any(|row| app.alerts.in_alert(&row.stats, app.now));
    let rows: Vec<TableRow> = backends
        .visible()
        .map(|row| {
            let stats = &row.stats;
            let testing = app.testing.contains(&stats.id);
            let mut id = Vec::new();
            if testing {
                id.push(Span::raw(format!("{} ", theme.spinner(app.spinner))));
            }
            if app.alerts.in_alert(stats, app.now) {
                id.push(Span::styled(
                    format!("{} ", alert_mark(theme)),
                    theme.warning().add_modifier(Modifier::BOLD),
                ));
            } else if any_marked {
                // The ids stay in one column.
                id.push(Span::raw("  "));
            }
            id.push(Span::raw(sanitize(&stats.id, 64)));
            if stats.stale {
                id.push(Span::raw(theme.stale_mark()));
            }
            let mut cells = vec![
                Cell::from(theme.health_label(stats.health.status))
                    .style(theme.health(stats.health.status)),
                Cell::from(Line::from(id)),
            ];
            if show_kind {
                cells.push(Cell::from(sanitize(&stats.kind, 12)));
            }
            if show_resp {
                let resp = match (stats.stale, stats.performance.avg_response_time) {
                    (false, Some(ms)) => crate::text::millis_compact(ms),
                    _ => "?".into(),
                };
                cells.push(Cell::from(resp));
            }
            cells.push(Cell::from(percent_text(row.used_percent())));
            if show_quota {
                cells.push(
                    Cell::from(percent_text(row.quota_percent())).style(quota_style(row, theme)),
                );
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
    let alerts = app.alerts.active_count(app.now);
    if alerts > 0 {
        let s = if alerts == 1 { "" } else { "s" };
        title.push(Span::styled(
            format!("{alerts} alert{s} (A) "),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::alerts::Alert;
    use crate::stats::{AlertBrief, BackendStats, HealthStatus, Quota, QuotaSource};
    use crate::tui::app::Msg;
    use crate::tui::model::alerts::tests::{alert, at, group, NOW};
    use crate::tui::model::Row;
    use crate::tui::theme::ColorDepth;
    use ratatui::backend::TestBackend;
    use ratatui::style::Color;
    use ratatui::Terminal;

    /// A backend with its quota `used` of 100 bytes and these active alerts.
    fn row(id: &str, used: u64, alerts: &[Rule]) -> Row {
        Row {
            stats: BackendStats {
                id: id.into(),
                kind: "s3".into(),
                enabled: true,
                health: crate::stats::Health {
                    status: HealthStatus::Healthy,
                    ..Default::default()
                },
                quota: Quota::bytes(Some(100), Some(used), QuotaSource::Garage),
                alerts: alerts
                    .iter()
                    .map(|rule| AlertBrief {
                        rule: rule.as_str().into(),
                        message: String::new(),
                        since: at(-60),
                    })
                    .collect(),
                ..BackendStats::default()
            },
            history: Vec::new(),
        }
    }

    /// Five backends: two quotas in alert (one full), one near full without an alert, one down
    /// and one down but silenced.
    fn app() -> App {
        let mut app = App::new(NOW, false, false);
        app.update(Msg::Snapshot {
            rows: vec![
                row("calm", 92, &[]),
                row("full", 100, &[Rule::Quota]),
                row("kubo", 10, &[Rule::Down]),
                row("quiet", 10, &[Rule::Down]),
                row("warm", 92, &[Rule::Quota]),
            ],
            problems: Vec::new(),
        });
        let quiet = Alert {
            silenced_until: Some(at(3_600)),
            ..alert("quiet", Rule::Down, -60)
        };
        app.update(Msg::Alerts {
            groups: vec![
                group(Rule::Quota, None, vec![alert("warm", Rule::Quota, -60)]),
                group(Rule::Quota, None, vec![alert("full", Rule::Quota, -60)]),
                group(
                    Rule::Down,
                    Some("h:1"),
                    vec![alert("kubo", Rule::Down, -60), quiet],
                ),
            ],
            alerts: Vec::new(),
            endpoints: Default::default(),
        });
        app
    }

    fn render(app: &App, theme: Theme) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(90, 9)).unwrap();
        terminal
            .draw(|frame| draw(frame, frame.area(), app, &theme))
            .unwrap();
        terminal
    }

    fn lines(terminal: &Terminal<TestBackend>) -> Vec<String> {
        let buffer = terminal.backend().buffer();
        (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol().to_string())
                    .collect()
            })
            .collect()
    }

    /// The foreground of the QUOTA cell in the row of `id`.
    fn quota_fg(terminal: &Terminal<TestBackend>, id: &str) -> Color {
        let lines = lines(terminal);
        let column = |line: &str, text: &str| {
            line.find(text)
                .map(|pos| u16::try_from(line[..pos].chars().count()).unwrap())
        };
        let x = lines.iter().find_map(|l| column(l, "QUOTA")).unwrap();
        let y = lines
            .iter()
            .position(|l| l.contains(&format!(" {id} ")))
            .unwrap();
        terminal.backend().buffer()[(x, u16::try_from(y).unwrap())].fg
    }

    #[test]
    fn a_backend_in_alert_is_marked_and_the_title_counts_them() {
        let app = app();
        let lines = lines(&render(&app, Theme::new(ColorDepth::None, false)));
        let line_of = |id: &str| {
            lines
                .iter()
                .find(|l| l.contains(&format!(" {id} ")))
                .unwrap()
                .clone()
        };
        assert!(line_of("kubo").contains("▲ kubo"), "{lines:#?}");
        assert!(line_of("full").contains("▲ full"));
        assert!(!line_of("quiet").contains('▲'), "silenced: no mark");
        let column = |id: &str| {
            let line = line_of(id);
            line[..line.find(&format!("{id} ")).unwrap()]
                .chars()
                .count()
        };
        assert_eq!(column("quiet"), column("kubo"), "the ids stay in a column");
        assert!(!line_of("calm").contains('▲'));
        assert!(lines[0].contains("3 alerts (A)"), "{}", lines[0]);
        let ascii = lines_of_ascii(&app);
        assert!(ascii.iter().any(|l| l.contains("! kubo")), "{ascii:#?}");
        assert!(!ascii.iter().any(|l| l.contains('▲')));
        // No alert, no count.
        let mut calm = App::new(NOW, false, false);
        calm.update(Msg::Snapshot {
            rows: vec![row("calm", 92, &[])],
            problems: Vec::new(),
        });
        let title = &super::tests::lines(&render(&calm, Theme::new(ColorDepth::None, false)))[0];
        assert!(!title.contains("alert"), "{title}");
    }

    fn lines_of_ascii(app: &App) -> Vec<String> {
        lines(&render(app, Theme::new(ColorDepth::None, true)))
    }

    #[test]
    fn a_quota_in_alert_is_in_the_warning_colour_and_full_in_the_error_colour() {
        let app = app();
        let terminal = render(&app, Theme::new(ColorDepth::Basic16, false));
        assert_eq!(quota_fg(&terminal, "warm"), Color::Yellow);
        assert_eq!(quota_fg(&terminal, "full"), Color::Red);
        assert_eq!(
            quota_fg(&terminal, "calm"),
            Color::Reset,
            "as full as warm, but no alert"
        );
        assert_eq!(
            quota_fg(&terminal, "kubo"),
            Color::Reset,
            "its alert is not the quota"
        );
        let plain = render(&app, Theme::new(ColorDepth::None, false));
        assert_eq!(quota_fg(&plain, "full"), Color::Reset, "no colour: none");
    }
}
