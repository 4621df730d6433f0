//! Pure drawing: `draw(frame, app, theme)` reads the state and writes cells, nothing else.
//! Small terminals lose sparklines first, then gauges, then columns (down to 40x12).

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, Paragraph, Row as TableRow, Sparkline, SparklineBar, Table,
    TableState, Wrap,
};
use ratatui::Frame;

use super::app::{App, Level, Pane, Popup, Row};
use super::form;
use super::keymap::{Action, KEYMAP};
use super::theme::Theme;
use crate::text::{bytes, sanitize};

/// What fits, decided once per frame from the size.
#[derive(Clone, Copy, Debug)]
struct Fit {
    side_by_side: bool,
    detail: bool,
    gauges: bool,
    sparklines: bool,
    messages: u16,
}

fn fit(area: Rect, lite: bool) -> Fit {
    let side_by_side = area.width >= 100 && area.height >= 16;
    let detail = side_by_side || area.height >= 22;
    Fit {
        side_by_side,
        detail,
        gauges: area.height >= 16,
        sparklines: !lite && area.height >= 30,
        messages: if area.height >= 34 {
            7
        } else if area.height >= 22 {
            4
        } else {
            0
        },
    }
}

fn block<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.border_set())
        .title(title);
    if focused {
        block = block.border_style(theme.accent());
    }
    block
}

pub fn draw(frame: &mut Frame, app: &mut App, theme: &Theme) {
    let area = frame.area();
    let [body, footer] = Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    let fit = fit(area, app.lite);
    if app.full_detail {
        if let Some(row) = app.selected_row() {
            let detail_fit = Fit {
                gauges: true,
                sparklines: !app.lite && body.height >= 16,
                ..fit
            };
            draw_detail(frame, body, app, row, theme, detail_fit, true);
        }
    } else {
        let [main, messages] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(fit.messages)]).areas(body);
        if fit.detail && app.selected_row().is_some() {
            let (list_area, detail_area) = if fit.side_by_side {
                let [l, d] =
                    Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                        .areas(main);
                (l, d)
            } else {
                let detail_height = if fit.sparklines {
                    16
                } else {
                    10.min(main.height / 2)
                };
                let [l, d] =
                    Layout::vertical([Constraint::Min(5), Constraint::Length(detail_height)])
                        .areas(main);
                (l, d)
            };
            draw_list(frame, list_area, app, theme);
            if let Some(row) = app.selected_row() {
                draw_detail(frame, detail_area, app, row, theme, fit, false);
            }
        } else {
            draw_list(frame, main, app, theme);
        }
        if fit.messages > 0 {
            draw_messages(frame, messages, app, theme);
        }
    }
    draw_footer(frame, footer, app, theme);
    draw_popup(frame, area, app, theme);
}

fn percent_text(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "?".into())
}

fn draw_list(frame: &mut Frame, area: Rect, app: &mut App, theme: &Theme) {
    let width = area.width;
    // Columns go as the width shrinks: quota, then response, then kind.
    let show_kind = width >= 46;
    let show_resp = width >= 54;
    let show_quota = width >= 62;
    let mut header = vec!["HEALTH", "ID"];
    // "· unsupported" is the one label longer than ten cells: widen only when it is shown.
    let unsupported = app
        .backends
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
    let rows: Vec<TableRow> = app
        .backends
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
        format!(" Backends {} ", app.backends.visible_len()),
        theme.title(),
    )];
    if app.backends.visible_len() != app.backends.rows().len() {
        title.push(Span::raw(format!("of {} ", app.backends.rows().len())));
    }
    title.push(Span::styled(
        format!(
            "sort:{}{} ",
            app.backends.sort().name(),
            theme.sort_arrow(app.backends.reverse())
        ),
        theme.dim(),
    ));
    if app.filter_input.is_some() || !app.backends.filter().is_empty() {
        let cursor = if app.filter_input.is_some() { "_" } else { "" };
        title.push(Span::styled(
            format!("/{}{cursor} ", sanitize(app.backends.filter(), 30)),
            theme.accent(),
        ));
    }
    if app.backends.is_paused() {
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
    let empty = app.backends.rows().is_empty();
    let table = Table::new(rows, widths)
        .header(header_row)
        .block(block(Line::from(title), app.focus == Pane::List, theme))
        .row_highlight_style(theme.selected())
        .column_spacing(1);
    // Rows per page for PgUp/PgDn: the inner height less the header.
    app.page = area.height.saturating_sub(3).max(1) as usize;
    let mut state = TableState::default().with_selected(if app.backends.visible_len() == 0 {
        None
    } else {
        Some(app.backends.selected_position())
    });
    frame.render_stateful_widget(table, area, &mut state);
    if empty || app.backends.visible_len() == 0 {
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

/// A one-line gauge as text: `[██████░░░░] 68.4%  700 MiB of 1 GiB`. Unknown stays unknown.
fn gauge_line<'a>(
    label: &'a str,
    used: Option<u64>,
    limit: Option<u64>,
    width: u16,
    theme: &Theme,
    unit_bytes: bool,
) -> Line<'a> {
    let show = |n: u64| {
        if unit_bytes {
            bytes(n)
        } else {
            crate::text::count(n)
        }
    };
    let percent = crate::stats::percent(used, limit);
    let bar_width = (width.saturating_sub(12) / 3).clamp(4, 30) as usize;
    let mut spans = vec![Span::styled(format!("{label:<8}"), theme.dim())];
    match (percent, used, limit) {
        (Some(p), Some(used), Some(limit)) => {
            let filled = ((p / 100.0) * bar_width as f64)
                .round()
                .clamp(0.0, bar_width as f64) as usize;
            let (full, empty) = theme.gauge_cells();
            spans.push(Span::styled(full.repeat(filled), theme.gauge(p)));
            spans.push(Span::styled(empty.repeat(bar_width - filled), theme.dim()));
            spans.push(Span::raw(format!(
                " {p:.1}%  {} of {}",
                show(used),
                show(limit)
            )));
        }
        (_, Some(used), None) => {
            spans.push(Span::raw(format!("{} used, no limit known", show(used))))
        }
        (_, None, Some(limit)) => spans.push(Span::raw(format!("? of {}", show(limit)))),
        _ => spans.push(Span::styled("unknown", theme.dim())),
    }
    Line::from(spans)
}

/// Figures shown with their last-known value because the call that feeds them failed (or the
/// inventory that counted them is older than the poll): which, and how old.
fn kept_figures(stats: &crate::stats::BackendStats) -> String {
    let age = |at: &str| crate::store::timestamp::ago(at).unwrap_or_else(|| "?".into());
    // Figures the inventory counted carry its time: they are old by design, and their age is
    // shown with the files. "Kept" is for figures whose call failed.
    let counted: Vec<&str> = stats
        .inventory
        .iter()
        .flat_map(|i| [i.as_of.as_deref(), Some(i.last_run.as_str())])
        .flatten()
        .collect();
    let kept_since = |at: &str| !counted.contains(&at);
    let mut kept: Vec<String> = [
        ("storage", stats.storage.as_of.as_deref()),
        ("quota", stats.quota.as_of.as_deref()),
    ]
    .into_iter()
    .filter_map(|(name, at)| {
        at.filter(|at| kept_since(at))
            .map(|at| format!("{name} {}", age(at)))
    })
    .collect();
    kept.extend(
        stats
            .vital_as_of
            .iter()
            .filter(|(_, at)| kept_since(at))
            .map(|(key, at)| format!("{} {}", sanitize(key, 24), age(at))),
    );
    kept.join(", ")
}

fn vital_text(row: &Row) -> String {
    row.stats
        .vital
        .iter()
        .map(|(k, v)| {
            let value = match v {
                serde_json::Value::String(s) => sanitize(s, 60),
                other => sanitize(&other.to_string(), 60),
            };
            format!("{} {value}", sanitize(k, 30))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn draw_detail(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    row: &Row,
    theme: &Theme,
    fit: Fit,
    full: bool,
) {
    let stats = &row.stats;
    let title = Line::from(vec![
        Span::styled(format!(" {} ", sanitize(&stats.id, 64)), theme.title()),
        Span::styled(format!("({}) ", sanitize(&stats.kind, 20)), theme.dim()),
        if full {
            Span::styled("Esc back ", theme.dim())
        } else {
            Span::raw("")
        },
    ]);
    let outer = block(title, app.focus == Pane::Detail, theme);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let mut lines = Vec::new();
    let mut status = vec![
        Span::styled(
            theme.health_label(stats.health.status),
            theme.health(stats.health.status),
        ),
        Span::raw("  "),
        Span::raw(app.checked_label(row)),
    ];
    if stats.stale {
        status.push(Span::styled("  * stale", theme.warning()));
    }
    lines.push(Line::from(status));
    if let Some(message) = &stats.health.message {
        lines.push(Line::from(Span::styled(
            sanitize(message, 300),
            theme.health(stats.health.status),
        )));
    }
    if fit.gauges {
        let w = inner.width;
        lines.push(gauge_line(
            "Storage",
            stats.storage.used,
            stats.storage.total,
            w,
            theme,
            true,
        ));
        // Kubo's StorageMax is where garbage collection starts, not a limit on writes.
        let quota_label = match stats.quota.source {
            Some(crate::stats::QuotaSource::GcThreshold) => "GC at",
            _ => "Quota",
        };
        lines.push(gauge_line(
            quota_label,
            stats.quota.used,
            stats.quota.limit,
            w,
            theme,
            true,
        ));
        if stats.quota.objects_limit.is_some() || stats.quota.objects_used.is_some() {
            lines.push(gauge_line(
                "Objects",
                stats.quota.objects_used,
                stats.quota.objects_limit,
                w,
                theme,
                false,
            ));
        }
    } else {
        lines.push(Line::from(format!(
            "used {}  quota {}",
            percent_text(row.used_percent()),
            percent_text(row.quota_percent())
        )));
    }
    let files = &stats.files;
    let count = files.count_text();
    // The age goes last: in a narrow pane the figures stay and the age is what is cut.
    let counted = files
        .counted_ago()
        .map(|age| format!("  · counted {age}"))
        .unwrap_or_default();
    let kept = kept_figures(stats);
    if !kept.is_empty() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<8}", "Kept"), theme.dim()),
            Span::styled(kept, theme.warning()),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled(format!("{:<8}", "Files"), theme.dim()),
        Span::raw(format!(
            "{count}  largest {}  total {}{counted}",
            files.largest.map(bytes).unwrap_or_else(|| "?".into()),
            files.bytes.map(bytes).unwrap_or_else(|| "?".into())
        )),
    ]));
    let perf = &stats.performance;
    let ms = |v: Option<f64>| {
        v.map(|v| format!("{v:.1} ms"))
            .unwrap_or_else(|| "?".into())
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{:<8}", "Speed"), theme.dim()),
        Span::raw(format!(
            "avg {}  p95 {}  ok {}  ({} errors / {} polls)",
            ms(perf.avg_response_time),
            ms(perf.p95_response_time),
            perf.success_rate
                .map(|r| format!("{:.1}%", r * 100.0))
                .unwrap_or_else(|| "?".into()),
            perf.error_count
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into()),
            perf.request_count
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into()),
        )),
    ]));
    let vital = vital_text(row);
    if !vital.is_empty() {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<8}", "Vital"), theme.dim()),
            Span::raw(vital),
        ]));
    }
    if full {
        let updated = stats
            .updated_at
            .as_deref()
            .and_then(crate::store::timestamp::parse)
            .map(|t| {
                t.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_else(|| "never".into());
        let source = match stats.source {
            crate::stats::Source::Live => "live",
            crate::stats::Source::Metadata => "kept (last known)",
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{:<8}", "Figures"), theme.dim()),
            Span::raw(format!("{source}, from {updated}")),
        ]));
    }
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: true });
    let text_height = (paragraph.line_count(inner.width) as u16).min(inner.height);
    let spark_height = if fit.sparklines { 5 } else { 0 };
    let [text_area, spark_area, _] = Layout::vertical([
        Constraint::Length(text_height),
        Constraint::Length(spark_height),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(paragraph, text_area);
    if fit.sparklines && spark_area.height >= 5 {
        let spark_area = Rect {
            y: spark_area.y + 1,
            height: 4,
            ..spark_area
        };
        draw_sparklines(frame, spark_area, row, theme);
    }
}

fn draw_sparklines(frame: &mut Frame, area: Rect, row: &Row, theme: &Theme) {
    let [resp_label, resp, used_label, used] = Layout::new(
        Direction::Vertical,
        [
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ],
    )
    .areas(area);
    let width = area.width as usize;
    let recent: Vec<_> = row
        .history
        .iter()
        .skip(row.history.len().saturating_sub(width))
        .collect();
    // A failed poll has no response time: drawn as absent, not as zero.
    let response: Vec<SparklineBar> = recent
        .iter()
        .map(|p| SparklineBar::from(p.response_ms.map(|ms| (ms.max(0.0) * 10.0) as u64)))
        .collect();
    // Used bytes move little against their size: draw them above the window's minimum so the
    // trend shows (the label gives the real figures).
    let floor = recent
        .iter()
        .filter_map(|p| p.used_bytes)
        .min()
        .unwrap_or(0);
    let ceiling = recent
        .iter()
        .filter_map(|p| p.used_bytes)
        .max()
        .unwrap_or(0);
    let used_values: Vec<SparklineBar> = recent
        .iter()
        .map(|p| SparklineBar::from(p.used_bytes.map(|u| u - floor + 1)))
        .collect();
    let last_ms = recent
        .last()
        .and_then(|p| p.response_ms)
        .map(|ms| format!("{ms:.1} ms"))
        .unwrap_or_else(|| "?".into());
    let last_used = recent
        .last()
        .and_then(|p| p.used_bytes)
        .map(bytes)
        .unwrap_or_else(|| "?".into());
    let label = if recent.is_empty() {
        "Response time: no history yet".to_string()
    } else {
        format!("Response time (last {}: {last_ms})", recent.len())
    };
    frame.render_widget(Paragraph::new(Span::styled(label, theme.dim())), resp_label);
    frame.render_widget(
        Sparkline::default()
            .data(response)
            .bar_set(theme.bar_set())
            .style(theme.accent())
            .absent_value_symbol("x"),
        resp,
    );
    let used_label_text = if ceiling > floor {
        format!(
            "Used bytes (now {last_used}; {} to {})",
            bytes(floor),
            bytes(ceiling)
        )
    } else {
        format!("Used bytes (now {last_used})")
    };
    frame.render_widget(
        Paragraph::new(Span::styled(used_label_text, theme.dim())),
        used_label,
    );
    frame.render_widget(
        Sparkline::default()
            .data(used_values)
            .bar_set(theme.bar_set())
            .style(theme.accent()),
        used,
    );
}

fn draw_messages(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
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
            Line::from(vec![
                Span::styled(format!("{time} "), theme.dim()),
                Span::styled(m.text.clone(), style),
            ])
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

fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = Vec::new();
    // Said where it stays visible whatever popup is open (a form's save may be the one waiting).
    if app.writer_waiting {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "waiting for another writer to let go of the store… (the screen stays live)",
                theme.warning(),
            )),
            area,
        );
        return;
    }
    if let Some((level, text)) = &app.flash {
        let style = match level {
            Level::Info => theme.accent(),
            Level::Warning => theme.warning(),
            Level::Error => theme.error(),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(sanitize(text, 200), style)),
            area,
        );
        return;
    }
    let context: Vec<(&str, &str)> = match &app.popup {
        Some(Popup::Confirm { .. }) => vec![("y", "remove"), ("n/Esc/Enter", "keep")],
        Some(Popup::Form(_)) => vec![
            ("Tab", "next"),
            ("C-s", "save"),
            ("C-t", "test"),
            ("C-r", "reveal"),
            ("Esc", "cancel"),
        ],
        Some(Popup::Chooser(_)) => vec![("↑↓", "choose"), ("Enter", "select"), ("Esc", "cancel")],
        Some(Popup::Command { .. }) => vec![("Enter", "run"), ("↑↓", "history"), ("Esc", "cancel")],
        Some(Popup::Help(_)) => vec![("↑↓ PgUp PgDn", "scroll"), ("Esc", "close")],
        Some(Popup::TestResult(_)) | Some(Popup::Dashboard) => vec![("Esc", "close")],
        None if app.filter_input.is_some() => vec![("Enter", "keep filter"), ("Esc", "clear")],
        None => KEYMAP
            .iter()
            .filter(|b| b.in_footer && !(app.read_only && b.changes))
            .filter(|b| {
                !(app.full_detail
                    && matches!(
                        b.action,
                        Action::Up | Action::Down | Action::Filter | Action::Sort | Action::Open
                    ))
            })
            .map(|b| {
                let label = if b.action == Action::Pause && app.backends.is_paused() {
                    "resume"
                } else {
                    b.label
                };
                (b.shown, label)
            })
            .chain(app.full_detail.then_some(("Esc", "back")))
            .collect(),
    };
    let mut used = 0usize;
    let right = if app.read_only { " read-only " } else { "" };
    let width = |(keys, label): &(&str, &str)| keys.chars().count() + label.chars().count() + 2;
    let total: usize = context.iter().map(width).sum();
    let mut budget = (area.width as usize).saturating_sub(right.len());
    // When not everything fits, "? help" comes last and always shows: it lists the rest.
    let mut context = context;
    let help =
        (!app.full_detail && total > budget && app.popup.is_none() && app.filter_input.is_none())
            .then(|| context.iter().position(|(k, _)| *k == "?"))
            .flatten()
            .map(|i| context.remove(i));
    if let Some(help) = &help {
        budget = budget.saturating_sub(width(help));
    }
    for (keys, label) in context.into_iter() {
        let piece = width(&(keys, label));
        if used + piece > budget {
            break;
        }
        spans.push(Span::styled(keys.to_string(), theme.key()));
        spans.push(Span::raw(format!(" {label} ")));
        used += piece;
    }
    if let Some((keys, label)) = help {
        spans.push(Span::styled(keys.to_string(), theme.key()));
        spans.push(Span::raw(format!(" {label} ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    if !right.is_empty() && area.width as usize > right.len() {
        let r = Rect {
            x: area.right() - right.len() as u16,
            width: right.len() as u16,
            ..area
        };
        frame.render_widget(
            Paragraph::new(Span::styled(
                right,
                theme.warning().add_modifier(Modifier::REVERSED),
            )),
            r,
        );
    }
}

/// A centred rectangle of at most `width` x `height`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

fn draw_popup(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(popup) = &app.popup else { return };
    match popup {
        Popup::Dashboard => super::dashboard::draw(frame, area, &app.dashboard, theme),
        Popup::Help(scroll) => {
            let rect = centered(area, 76, 31);
            let mut lines: Vec<Line> = KEYMAP
                .iter()
                .map(|b| {
                    let mut spans = vec![
                        Span::styled(format!("{:<9}", b.shown), theme.key()),
                        Span::raw(b.help.to_string()),
                    ];
                    if b.changes && app.read_only {
                        spans.push(Span::styled("  (off: read-only)", theme.dim()));
                    }
                    Line::from(spans)
                })
                .collect();
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                "Health: ✓ healthy ! degraded ✗ down ? unknown - disabled · unsupported (kind not polled here); * stale (last known)",
                theme.dim(),
            )));
            frame.render_widget(Clear, rect);
            let paragraph = Paragraph::new(lines).wrap(Wrap { trim: true });
            let inner_height = rect.height.saturating_sub(2);
            let total = paragraph.line_count(rect.width.saturating_sub(2));
            let most = u16::try_from(total)
                .unwrap_or(u16::MAX)
                .saturating_sub(inner_height);
            let scroll = (*scroll).min(most);
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
        Popup::Confirm { description, .. } => {
            let rect = centered(area, 60, 7);
            let lines = vec![
                Line::from(format!("Remove backend {}?", sanitize(description, 80))),
                Line::from(Span::styled(
                    "Its file in backends/ and its kept stats are deleted.",
                    theme.dim(),
                )),
                Line::from(""),
                Line::from(vec![
                    Span::styled("y", theme.key()),
                    Span::raw(" remove    "),
                    Span::styled("N", theme.key()),
                    Span::raw(" keep (default)"),
                ]),
            ];
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(lines).wrap(Wrap { trim: true }).block(block(
                    " Confirm ",
                    true,
                    theme,
                )),
                rect,
            );
        }
        Popup::TestResult(report) => {
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
                Span::raw(format!("  in {:.0} ms", report.elapsed_ms)),
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
                lines.push(Line::from(vec![
                    Span::styled(format!("{mark} "), style),
                    Span::raw(format!("{}  ", sanitize(&step.name, 60))),
                    Span::styled(format!("{:.0} ms  ", step.elapsed_ms), theme.dim()),
                    Span::raw(sanitize(&step.detail, 200)),
                ]));
            }
            if let Some(message) = report
                .error
                .as_ref()
                .and_then(|e| e.get("message"))
                .and_then(|m| m.as_str())
            {
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
        Popup::Command { input, .. } => {
            let rect = Rect {
                x: area.x,
                y: area.bottom().saturating_sub(4),
                width: area.width,
                height: 3.min(area.height),
            };
            let width = rect.width.saturating_sub(4) as usize;
            let scroll = input.visual_scroll(width);
            frame.render_widget(Clear, rect);
            frame.render_widget(
                Paragraph::new(format!(":{}", input.value()))
                    .scroll((0, scroll as u16))
                    .block(block(
                        " Command: add KIND · edit ID · test ID · remove ID · poll [ID] · q ",
                        true,
                        theme,
                    )),
                rect,
            );
            let cursor_x = rect.x + 2 + (input.visual_cursor().saturating_sub(scroll)) as u16;
            frame.set_cursor_position((cursor_x.min(rect.right().saturating_sub(2)), rect.y + 1));
        }
        Popup::Chooser(chooser) => {
            form::draw_chooser(frame, centered(area, 64, 13), chooser, theme)
        }
        Popup::Form(form) => form::draw_form(frame, centered(area, 84, 36), form, theme),
    }
}
