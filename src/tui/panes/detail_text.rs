//! The detail's text, one function a section: health and why, when it was checked and when it
//! is looked at again; gauges (storage, quota or GC threshold, objects) or, where they do not
//! fit, percentages; figures kept from an earlier poll and their age; files; speed; vital
//! figures and a clustered backend's nodes; where the figures come from. Each phrase is a fact
//! laid out whole (`facts.rs`). `detail.rs` puts the charts below it.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::ages::{checked_label, last_known_label, list_age, next_check_label};
use super::facts::{fact, flow, Fact};
use super::layout::Fit;
use super::list::{availability_style, availability_text};
use super::nodes::node_lines;
use super::percent_text;
use crate::stats::HealthStatus;
use crate::text::{bytes, sanitize};
use crate::tui::model::{FigureGroup, Row};
use crate::tui::state::App;
use crate::tui::theme::Theme;

/// A gauge as facts: `██████░░░░ 68.4%`, `700 MiB of 1 GiB`. Unknown stays unknown. `shown`
/// is the percentage when the figures have their own (a filesystem's, as df rounds it up).
fn gauge_facts<'a>(
    used: Option<u64>,
    limit: Option<u64>,
    shown: Option<f64>,
    width: u16,
    theme: &Theme,
    unit_bytes: bool,
    old: bool,
) -> Vec<Fact<'a>> {
    let show = |n: u64| {
        if unit_bytes {
            bytes(n)
        } else {
            crate::text::count(n)
        }
    };
    let text = if old { theme.dim() } else { Style::default() };
    let percent = shown.or_else(|| crate::stats::percent(used, limit));
    let bar_width = (width.saturating_sub(12) / 3).clamp(4, 30) as usize;
    match (percent, used, limit) {
        (Some(p), Some(used), Some(limit)) => {
            let filled = ((p / 100.0) * bar_width as f64)
                .round()
                .clamp(0.0, bar_width as f64) as usize;
            let (full, empty) = theme.gauge_cells();
            // Old figures are dimmed: a green bar would say "fine, now".
            let fill = if old { theme.dim() } else { theme.gauge(p) };
            vec![
                vec![
                    Span::styled(full.repeat(filled), fill),
                    Span::styled(empty.repeat(bar_width - filled), theme.dim()),
                    Span::styled(format!(" {p:.1}%"), text),
                ],
                fact(format!("{} of {}", show(used), show(limit)), text),
            ]
        }
        (_, Some(used), None) => vec![
            fact(format!("{} used", show(used)), text),
            fact("no limit known", text),
        ],
        (_, None, Some(limit)) => vec![fact(format!("? of {}", show(limit)), text)],
        _ => vec![fact("unknown", theme.dim())],
    }
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
    // Storage and quota say their age on their own lines (`age_fact`).
    stats
        .vital_as_of
        .iter()
        .filter(|(_, at)| kept_since(at))
        .map(|(key, at)| format!("{} {}", sanitize(key, 24), age(at)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How old a gauge's figures are: `counted 1h ago` when an inventory counted them, `last
/// known, 4m ago` when kept from a poll whose call failed.
fn age_fact<'a>(
    stats: &crate::stats::BackendStats,
    as_of: Option<&str>,
    age: i64,
    theme: &Theme,
) -> Fact<'a> {
    let counted = stats
        .inventory
        .as_ref()
        .is_some_and(|i| i.as_of.as_deref() == as_of || Some(i.last_run.as_str()) == as_of);
    let age = list_age(age);
    let text = if counted {
        format!("counted {age}")
    } else {
        format!("last known, {age}")
    };
    fact(text, theme.warning())
}

/// A vital figure as people read it: sizes in bytes units, rates (`rate_*`) in bytes per
/// second, counts with separators, durations (`*_ms`) in ms or s; anything else as it came,
/// sanitised.
fn vital_value(key: &str, value: &serde_json::Value) -> String {
    let is_size = key.contains("bytes") || key.ends_with("_size") || key == "size";
    match value {
        serde_json::Value::String(s) => sanitize(s, 60),
        serde_json::Value::Number(n) => match (n.as_u64(), n.as_f64()) {
            (Some(n), _) if is_size => bytes(n),
            (_, Some(f)) if key.starts_with("rate_") => format!("{}/s", bytes(f.max(0.0) as u64)),
            (Some(n), _) if key.ends_with("_ms") => crate::text::millis(n as f64),
            (Some(n), _) => crate::text::count(n),
            (None, Some(f)) if key.ends_with("_ms") => crate::text::millis(f),
            (None, Some(f)) => format!("{f:.2}"),
            _ => sanitize(&n.to_string(), 60),
        },
        other => sanitize(&other.to_string(), 60),
    }
}

/// Vital figures as facts: `version 0.32.1`, `peers 12`.
fn vital_facts<'a>(row: &Row, style: Style) -> Vec<Fact<'a>> {
    row.stats
        .vital
        .iter()
        .map(|(k, v)| fact(format!("{} {}", sanitize(k, 30), vital_value(k, v)), style))
        .collect()
}

/// The detail's text for `row`, laid out for `width` without a phrase split across lines.
pub(super) fn text_lines<'a>(
    app: &App,
    row: &Row,
    theme: &Theme,
    fit: Fit,
    full: bool,
    width: u16,
) -> Vec<Line<'a>> {
    let mut lines = status_lines(app, row, theme, width);
    if fit.gauges {
        lines.extend(storage_lines(app, row, theme, width));
    } else {
        lines.extend(percent_lines(row, theme, width));
    }
    lines.extend(super::forecast_text::forecast_lines(
        row, app.now, theme, width,
    ));
    lines.extend(thresholds_lines(row, theme, width));
    lines.extend(kept_lines(row, theme, width));
    lines.extend(files_lines(app, row, theme, width));
    lines.extend(speed_lines(row, theme, width));
    lines.extend(availability_lines(app, row, theme, width));
    lines.extend(vital_lines(app, row, theme, width));
    if full {
        lines.extend(figures_lines(row, theme, width));
    }
    lines
}

/// Health, when checked, how old the figures are and, in trouble, when it is looked at
/// again; then the health's message, wrapped between words.
fn status_lines<'a>(app: &App, row: &Row, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    let stats = &row.stats;
    let mut lines = Vec::new();
    let mut status = vec![
        fact(
            theme.health_label(stats.health.status),
            theme.health(stats.health.status),
        ),
        fact(
            checked_label(app.now, row, app.absolute_times),
            Style::default(),
        ),
    ];
    let last_known = last_known_label(app.now, row, app.absolute_times);
    if !last_known.is_empty() {
        status.push(fact(format!("* {last_known}"), theme.warning()));
    }
    // While a backend is in trouble, when it is looked at again is what the operator waits
    // for; a healthy one's routine polls are not counted down (a label changing every second
    // is bytes over SSH every second).
    let in_trouble = !matches!(
        stats.health.status,
        HealthStatus::Healthy | HealthStatus::Warning
    );
    let next = next_check_label(app.now, row);
    if in_trouble && !next.is_empty() {
        status.push(fact(next, theme.dim()));
    }
    lines.extend(flow("", Style::default(), status, "  ", width));
    if let Some(brief) = &stats.maintenance {
        let mut facts = vec![
            fact(theme.maintenance_label(), theme.maintenance()),
            fact(
                format!("ends in {}", super::ages::maintenance_left(app.now, brief)),
                Style::default(),
            ),
        ];
        if let Some(reason) = &brief.reason {
            facts.push(fact(sanitize(reason, 120), Style::default()));
        }
        facts.push(fact("alerts held", theme.dim()));
        lines.extend(flow("", Style::default(), facts, "  ", width));
    }
    if let Some(message) = &stats.health.message {
        // Prose: wrapped between words.
        let style = theme.health(stats.health.status);
        let words = sanitize(message, 300)
            .split_whitespace()
            .map(|w| fact(w.to_string(), style))
            .collect();
        lines.extend(flow("", Style::default(), words, " ", width));
    }
    lines
}

/// Storage, quota (or Kubo's GC threshold) and objects as gauges, each with its age when
/// it is older than the poll.
fn storage_lines<'a>(app: &App, row: &Row, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    let stats = &row.stats;
    let old = row.figures_are_old();
    let plain = if old { theme.dim() } else { Style::default() };
    let mut lines = Vec::new();
    // Fullness as `df` computes it: against what can be written (used + available), not
    // the total (which counts blocks kept for root); the free space said after it.
    let storage = &stats.storage;
    let usable = match (storage.used, storage.available) {
        (Some(used), Some(available)) => used.checked_add(available),
        _ => storage.total,
    };
    let storage_age = row.figures_age(FigureGroup::Storage, app.now);
    let storage_old = old || storage_age.is_some();
    let storage_plain = if storage_old { theme.dim() } else { plain };
    // A filesystem's fullness as the list and `status` give it (df's, rounded up).
    let shown = storage
        .usage_percent
        .filter(|_| storage.available.is_some());
    let mut facts = gauge_facts(storage.used, usable, shown, width, theme, true, storage_old);
    match (storage.used, storage.available) {
        // A filesystem: used and free of what is usable, the disk's size apart ("of
        // 90.87 GiB" alone reads as the size of a 251.97 GiB disk).
        (Some(used), Some(available)) => {
            facts.truncate(1);
            facts.extend(
                crate::text::filesystem_phrases(used, available, storage.total)
                    .into_iter()
                    .map(|phrase| fact(phrase, storage_plain)),
            );
        }
        (None, Some(available)) => {
            facts.push(fact(format!("{} free", bytes(available)), storage_plain));
        }
        _ => {}
    }
    if let Some(age) = storage_age {
        facts.push(age_fact(stats, stats.storage.as_of.as_deref(), age, theme));
    }
    lines.extend(flow("Storage", theme.dim(), facts, "  ", width));
    // Kubo's StorageMax is where garbage collection starts, not a limit on writes.
    let quota_label = match stats.quota.source {
        Some(crate::stats::QuotaSource::GcThreshold) => "GC at",
        _ => "Quota",
    };
    let quota_age = row.figures_age(FigureGroup::Quota, app.now);
    let quota_old = old || quota_age.is_some();
    let mut quota = gauge_facts(
        stats.quota.used,
        stats.quota.limit,
        None,
        width,
        theme,
        true,
        quota_old,
    );
    if let Some(age) = quota_age {
        quota.push(age_fact(stats, stats.quota.as_of.as_deref(), age, theme));
    }
    lines.extend(flow(quota_label, theme.dim(), quota, "  ", width));
    if stats.quota.objects_limit.is_some() || stats.quota.objects_used.is_some() {
        let objects = gauge_facts(
            stats.quota.objects_used,
            stats.quota.objects_limit,
            None,
            width,
            theme,
            false,
            quota_old,
        );
        lines.extend(flow("Objects", theme.dim(), objects, "  ", width));
    }
    lines
}

/// Used and quota as percentages, where the pane is too small for gauges.
fn percent_lines<'a>(row: &Row, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    let plain = if row.figures_are_old() {
        theme.dim()
    } else {
        Style::default()
    };
    let mut lines = Vec::new();
    let facts = vec![
        fact(format!("used {}", percent_text(row.used_percent())), plain),
        fact(
            format!("quota {}", percent_text(row.quota_percent())),
            plain,
        ),
    ];
    lines.extend(flow("", Style::default(), facts, "  ", width));
    lines
}

/// The alert thresholds the backend sets for itself, where they differ from the global ones:
/// an operator reading "no alert at 95%" must see that this one alerts at 99%.
fn thresholds_lines<'a>(row: &Row, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    let facts: Vec<_> = row
        .stats
        .thresholds
        .iter()
        .map(|(key, value)| {
            let text = match key.as_str() {
                "quota_alert_percent" => format!("full at {value}%"),
                "error_rate_alert_percent" => format!("errors above {value}%"),
                "forecast_alert_hours" if *value == 0 => "filling never".to_string(),
                "forecast_alert_hours" => format!("filling under {value} h"),
                other => format!("{} {value}", sanitize(other, 40)),
            };
            fact(text, Style::default())
        })
        .collect();
    if facts.is_empty() {
        return Vec::new();
    }
    let mut facts = facts;
    facts.push(fact("(its own; others global)", theme.dim()));
    flow("Alerts", theme.dim(), facts, "  ", width)
}

/// The figures kept from an earlier answer, said as such.
fn kept_lines<'a>(row: &Row, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    let stats = &row.stats;
    let mut lines = Vec::new();
    let kept = kept_figures(stats);
    if !kept.is_empty() {
        let facts = kept
            .split(", ")
            .map(|k| fact(k.to_string(), theme.warning()))
            .collect();
        lines.extend(flow("Kept", theme.dim(), facts, ", ", width));
    }
    lines
}

/// What the last inventory counted, and when.
fn files_lines<'a>(app: &App, row: &Row, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    let stats = &row.stats;
    let old = row.figures_are_old();
    let mut lines = Vec::new();
    let files = &stats.files;
    // Counted by an inventory older than the poll: dimmed, with the count's age after it.
    let files_style = if old || row.figures_age(FigureGroup::Files, app.now).is_some() {
        theme.dim()
    } else {
        Style::default()
    };
    let mut facts = vec![
        fact(files.count_text(), files_style),
        fact(
            format!(
                "largest {}",
                files.largest.map(bytes).unwrap_or_else(|| "?".into())
            ),
            files_style,
        ),
        fact(
            format!(
                "total {}",
                files.bytes.map(bytes).unwrap_or_else(|| "?".into())
            ),
            files_style,
        ),
    ];
    // The age goes last: in a narrow pane the figures stay and the age is what moves down.
    if let Some(age) = files.counted_ago() {
        facts.push(fact(format!("counted {age}"), theme.dim()));
    }
    lines.extend(flow("Files", theme.dim(), facts, "  ", width));
    lines
}

/// How fast and how reliably the backend answers.
fn speed_lines<'a>(row: &Row, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    let stats = &row.stats;
    let mut lines = Vec::new();
    let perf = &stats.performance;
    let ms = |v: Option<f64>| v.map(crate::text::millis).unwrap_or_else(|| "?".into());
    let counted = |n: Option<u64>, one: &str, many: &str| match n {
        Some(n) => crate::text::plural(n, one, many),
        None => format!("? {many}"),
    };
    let speed = vec![
        fact(
            format!("avg {}", ms(perf.avg_response_time)),
            Style::default(),
        ),
        fact(
            format!("p95 {}", ms(perf.p95_response_time)),
            Style::default(),
        ),
        fact(
            format!(
                "ok {}",
                perf.success_rate
                    .map(|r| format!("{:.1}%", r * 100.0))
                    .unwrap_or_else(|| "?".into())
            ),
            Style::default(),
        ),
        fact(
            format!(
                "{} in {}",
                counted(perf.error_count, "error", "errors"),
                counted(perf.request_count, "poll", "polls")
            ),
            Style::default(),
        ),
    ];
    lines.extend(flow("Speed", theme.dim(), speed, "  ", width));
    lines
}

/// How available it was (24 h, 7 d, 30 d, MTTR, the ongoing incident), then its latest
/// incidents as read for the detail (`App::incidents`), newest first.
fn availability_lines<'a>(app: &App, row: &Row, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    /// Incidents listed at most: the rest is `backend availability ID`'s.
    const SHOWN: usize = 3;
    let Some(summary) = row.stats.availability.as_ref() else {
        return Vec::new();
    };
    let share = |label: &str, p: Option<f64>| {
        let text = p.map_or_else(|| "?".to_string(), availability_text);
        fact(format!("{label} {text}"), availability_style(p, theme))
    };
    let mut facts = vec![
        share("24h", summary.up_24h),
        share("7d", summary.up_7d),
        share("30d", summary.up_30d),
        fact(
            crate::text::plural(u64::from(summary.incidents_30d), "incident", "incidents"),
            Style::default(),
        ),
    ];
    if let Some(mttr) = summary.mttr_secs {
        facts.push(fact(
            format!("MTTR {}", crate::text::duration(mttr)),
            Style::default(),
        ));
    }
    if let Some(since) = summary.down_since.as_deref() {
        let at = moment(since);
        facts.push(fact(format!("down since {at}"), theme.error()));
    }
    let mut lines = flow("Up", theme.dim(), facts, "  ", width);
    let Some(report) = app.incidents.of(&row.stats.id) else {
        return lines;
    };
    let arrow = if theme.ascii { "->" } else { "→" };
    for incident in report.incidents.iter().rev().take(SHOWN) {
        // Times read from a 10-minute bucket are known to within it.
        let mark = if incident.approximate { "~" } else { "" };
        let end = match incident.end.as_deref() {
            Some(end) => format!("{mark}{}", moment(end)),
            None => "ongoing".to_string(),
        };
        let style = if incident.ongoing {
            theme.error()
        } else {
            Style::default()
        };
        let facts = vec![
            fact(
                format!("{mark}{} {arrow} {end}", moment(&incident.start)),
                style,
            ),
            fact(crate::text::duration(incident.duration_secs), style),
            fact(
                incident
                    .reason
                    .as_deref()
                    .map_or_else(|| "reason unknown".to_string(), |r| sanitize(r, 120)),
                theme.dim(),
            ),
        ];
        lines.extend(flow(" ", theme.dim(), facts, "  ", width));
    }
    lines
}

/// A moment for the detail, to the minute in local time (`12-07 14:03`).
fn moment(text: &str) -> String {
    crate::store::timestamp::parse(text).map_or_else(
        || "?".to_string(),
        |at| {
            at.with_timezone(&chrono::Local)
                .format("%m-%d %H:%M")
                .to_string()
        },
    )
}

/// The kind's vital signs, then a clustered backend's nodes.
fn vital_lines<'a>(app: &App, row: &Row, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    let stats = &row.stats;
    let old = row.figures_are_old();
    let mut lines = Vec::new();
    // A down backend's last answer ("cluster_status healthy") is history, not news.
    let (label, style) = if old {
        ("Vital*", theme.dim())
    } else {
        ("Vital", Style::default())
    };
    let vital = vital_facts(row, style);
    if !vital.is_empty() {
        lines.extend(flow(label, theme.dim(), vital, " · ", width));
    }
    if !stats.nodes.is_empty() {
        lines.extend(node_lines(&stats.nodes, app.now, theme, old, width));
    }
    lines
}

/// Where the figures come from (live or kept) and when they were last updated.
fn figures_lines<'a>(row: &Row, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    let stats = &row.stats;
    let mut lines = Vec::new();
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
    let facts = vec![
        fact(format!("{source},"), Style::default()),
        fact(format!("from {updated}"), Style::default()),
    ];
    lines.extend(flow("Figures", theme.dim(), facts, " ", width));
    lines
}
