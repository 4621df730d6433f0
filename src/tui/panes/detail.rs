//! The detail of the selected backend: health and why, when it was checked, gauges (storage,
//! quota, objects), figures kept from an earlier poll and their age, files, speed, vital
//! figures and, where there is room, sparklines of the response time and the bytes used.

use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Sparkline, SparklineBar, Wrap};
use ratatui::Frame;

use super::layout::{DetailArea, Fit};
use super::{block, percent_text, Pane};
use crate::stats::HealthStatus;
use crate::store::timestamp;
use crate::text::{bytes, sanitize};
use crate::tui::app::App;
use crate::tui::model::Row;
use crate::tui::theme::Theme;

/// An age exact where it is near and coarse where it is far: "just now", "12s ago" (every
/// second under a minute), "3m ago", "2h ago". The screen redraws at most once a second for it,
/// and only while the age shown changes.
pub fn coarse_age(secs: i64) -> String {
    match secs.max(0) {
        0 => "just now".into(),
        s @ 1..=59 => format!("{s}s ago"),
        s => crate::text::age(s as f64),
    }
}

/// Every age the detail shows for `row` at `now`: the clock compares it to know whether a
/// frame is needed.
pub fn ages_label(now: i64, row: &Row) -> String {
    format!("{} {}", checked_label(now, row), last_known_label(now, row))
}

/// "last known, 4m ago" for figures that are not from the latest successful poll; empty when
/// they are live (or there are none).
pub fn last_known_label(now: i64, row: &Row) -> String {
    if !row.stats.stale {
        return String::new();
    }
    match row.stats.updated_at.as_deref().and_then(unix) {
        Some(at) => format!("last known, {}", coarse_age(now - at)),
        None => "last known".into(),
    }
}

/// Whether the figures shown are not live: stale, or of a backend down or switched off. Such
/// figures are drawn dimmed, never in a healthy colour.
fn figures_are_old(row: &Row) -> bool {
    row.stats.stale
        || matches!(
            row.stats.health.status,
            HealthStatus::Down | HealthStatus::Disabled
        )
}

fn unix(ts: &str) -> Option<i64> {
    timestamp::parse(ts).map(|t| t.timestamp())
}

/// "checked 15s ago" for a backend at `now` (unix seconds), as the detail shows it.
pub fn checked_label(now: i64, row: &Row) -> String {
    match row.stats.health.checked_at.as_deref().and_then(unix) {
        Some(at) => format!("checked {}", coarse_age(now - at)),
        None if matches!(
            row.stats.health.status,
            HealthStatus::Unsupported | HealthStatus::Disabled
        ) =>
        {
            "not polled".into()
        }
        None => "not checked yet".into(),
    }
}

/// Draws the detail of `row` where the layout put it.
pub fn draw(frame: &mut Frame, detail: DetailArea, app: &App, row: &Row, theme: &Theme) {
    draw_detail(frame, detail.area, app, row, theme, detail.fit, detail.full);
}

/// A one-line gauge as text: `[██████░░░░] 68.4%  700 MiB of 1 GiB`. Unknown stays unknown.
fn gauge_line<'a>(
    label: &'a str,
    used: Option<u64>,
    limit: Option<u64>,
    width: u16,
    theme: &Theme,
    unit_bytes: bool,
    old: bool,
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
            // Old figures are dimmed: a green bar would say "fine, now".
            let fill = if old { theme.dim() } else { theme.gauge(p) };
            let text = if old { theme.dim() } else { Style::default() };
            spans.push(Span::styled(full.repeat(filled), fill));
            spans.push(Span::styled(empty.repeat(bar_width - filled), theme.dim()));
            spans.push(Span::styled(
                format!(" {p:.1}%  {} of {}", show(used), show(limit)),
                text,
            ));
        }
        (_, Some(used), None) => spans.push(Span::styled(
            format!("{} used, no limit known", show(used)),
            if old { theme.dim() } else { Style::default() },
        )),
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

/// A vital figure as people read it: sizes in bytes units, counts with separators, durations
/// (`*_ms`) in ms or s; anything else as it came, sanitised.
fn vital_value(key: &str, value: &serde_json::Value) -> String {
    let is_size = key.contains("bytes") || key.ends_with("_size") || key == "size";
    match value {
        serde_json::Value::String(s) => sanitize(s, 60),
        serde_json::Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(n), _) if is_size => bytes(n),
            (Some(n), _) if key.ends_with("_ms") => crate::text::millis(n as f64),
            (Some(n), _) => crate::text::count(n),
            (None, Some(f)) if key.ends_with("_ms") => crate::text::millis(f),
            (None, Some(f)) => format!("{f:.2}"),
            _ => sanitize(&n.to_string(), 60),
        },
        other => sanitize(&other.to_string(), 60),
    }
}

fn vital_text(row: &Row) -> String {
    row.stats
        .vital
        .iter()
        .map(|(k, v)| format!("{} {}", sanitize(k, 30), vital_value(k, v)))
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
    let old = figures_are_old(row);
    let mut status = vec![
        Span::styled(
            theme.health_label(stats.health.status),
            theme.health(stats.health.status),
        ),
        Span::raw("  "),
        Span::raw(checked_label(app.now, row)),
    ];
    let last_known = last_known_label(app.now, row);
    if !last_known.is_empty() {
        status.push(Span::styled(format!("  * {last_known}"), theme.warning()));
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
        // Fullness as `df` computes it: against what can be written (used + available), not
        // the total (which counts blocks kept for root); the free space said after it.
        let storage = &stats.storage;
        let usable = match (storage.used, storage.available) {
            (Some(used), Some(available)) => used.checked_add(available),
            _ => storage.total,
        };
        let mut storage_line = gauge_line("Storage", storage.used, usable, w, theme, true, old);
        if let Some(available) = storage.available {
            storage_line.spans.push(Span::styled(
                format!(" · {} free", bytes(available)),
                if old { theme.dim() } else { Style::default() },
            ));
        }
        lines.push(storage_line);
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
            old,
        ));
        if stats.quota.objects_limit.is_some() || stats.quota.objects_used.is_some() {
            lines.push(gauge_line(
                "Objects",
                stats.quota.objects_used,
                stats.quota.objects_limit,
                w,
                theme,
                false,
                old,
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
    let ms = |v: Option<f64>| v.map(crate::text::millis).unwrap_or_else(|| "?".into());
    let counted = |n: Option<u64>, one: &str, many: &str| match n {
        Some(n) => crate::text::plural(n, one, many),
        None => format!("? {many}"),
    };
    lines.push(Line::from(vec![
        Span::styled(format!("{:<8}", "Speed"), theme.dim()),
        Span::raw(format!(
            "avg {}  p95 {}  ok {}  ({} / {})",
            ms(perf.avg_response_time),
            ms(perf.p95_response_time),
            perf.success_rate
                .map(|r| format!("{:.1}%", r * 100.0))
                .unwrap_or_else(|| "?".into()),
            counted(perf.error_count, "error", "errors"),
            counted(perf.request_count, "poll", "polls"),
        )),
    ]));
    let vital = vital_text(row);
    if !vital.is_empty() {
        // A down backend's last answer ("cluster_status healthy") is history, not news.
        let (label, style) = if old {
            ("Vital*", theme.dim())
        } else {
            ("Vital", Style::default())
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{label:<8}"), theme.dim()),
            Span::styled(vital, style),
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
        draw_sparklines(frame, spark_area, row, theme, &last_known);
    }
}

fn draw_sparklines(frame: &mut Frame, area: Rect, row: &Row, theme: &Theme, last_known: &str) {
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
    // "now" only for live figures; old ones say how old.
    let when = if last_known.is_empty() {
        format!("now {last_used}")
    } else {
        format!("{last_used}, {last_known}")
    };
    let used_label_text = if ceiling > floor {
        format!(
            "Used bytes ({when}; {} to {})",
            bytes(floor),
            bytes(ceiling)
        )
    } else {
        format!("Used bytes ({when})")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_exact_near_and_coarse_far() {
        assert_eq!(coarse_age(0), "just now");
        assert_eq!(coarse_age(7), "7s ago");
        assert_eq!(coarse_age(59), "59s ago");
        assert_eq!(coarse_age(61), "1m ago");
        assert_eq!(coarse_age(119), "1m ago");
        assert_eq!(coarse_age(-5), "just now");
    }
}
