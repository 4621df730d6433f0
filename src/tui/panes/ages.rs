//! Ages and times as the panes say them: how long ago a backend was checked, how old a kept
//! figure is, when the next check of a backend in trouble comes.

use crate::stats::HealthStatus;
use crate::store::timestamp;
use crate::tui::model::{FigureGroup, Row};

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

/// When `at` was, seen from `now`: an age (`12s ago`), or with `absolute` the local clock time
/// (`at 14:03:22`, with the date when it was not today).
pub fn when(now: i64, at: i64, absolute: bool) -> String {
    if !absolute {
        return coarse_age(now - at);
    }
    let local =
        |t: i64| chrono::DateTime::from_timestamp(t, 0).map(|t| t.with_timezone(&chrono::Local));
    match (local(at), local(now)) {
        (Some(then), Some(today)) if then.date_naive() == today.date_naive() => {
            format!("at {}", then.format("%H:%M:%S"))
        }
        (Some(then), _) => format!("at {}", then.format("%Y-%m-%d %H:%M")),
        _ => coarse_age(now - at),
    }
}

/// Every age the detail shows for `row` at `now`: the clock compares it to know whether a
/// frame is needed.
pub fn ages_label(now: i64, row: &Row, absolute: bool) -> String {
    format!(
        "{} {} {} {:?} {:?} {:?} {:?} {:?}",
        checked_label(now, row, absolute),
        last_known_label(now, row, absolute),
        if matches!(
            row.stats.health.status,
            HealthStatus::Healthy | HealthStatus::Warning
        ) {
            String::new()
        } else {
            next_check_label(now, row)
        },
        row.figures_age(FigureGroup::Storage, now).map(list_age),
        row.figures_age(FigureGroup::Quota, now).map(list_age),
        row.figures_age(FigureGroup::Files, now).map(list_age),
        // The nodes' `as of` ages.
        row.stats
            .nodes
            .iter()
            .filter_map(|n| n.as_of.as_deref().and_then(unix))
            .map(|at| list_age(now - at))
            .collect::<Vec<_>>(),
        row.stats
            .maintenance
            .as_ref()
            .map(|brief| maintenance_left(now, brief)),
    )
}

/// The time a backend's maintenance window has left at `now` (unix seconds), as the list and
/// the detail say it (`1h59m`); `?` when its end cannot be read.
pub fn maintenance_left(now: i64, brief: &crate::stats::MaintenanceBrief) -> String {
    chrono::DateTime::from_timestamp(now, 0)
        .and_then(|now| brief.left(now))
        .map(crate::store::maintenance::span_left)
        .unwrap_or_else(|| "?".into())
}

/// An age as it changes on screen: once a minute past the first one (`3m`, `2h`).
pub(super) fn list_age(secs: i64) -> String {
    coarse_age(if secs < 60 { secs } else { secs - secs % 60 })
}

/// "next check in 4s" while the monitor has one planned; "checking now" once it is due (a
/// poll under way, or waiting for a slot); empty when nothing is planned (not polled here).
pub fn next_check_label(now: i64, row: &Row) -> String {
    let Some(next) = row.stats.health.next_check_at.as_deref().and_then(unix) else {
        return String::new();
    };
    match next - now {
        secs if secs > 0 => format!(
            "next check in {}",
            coarse_age(secs).trim_end_matches(" ago")
        ),
        _ => "checking now".into(),
    }
}

/// "last known, 4m ago" for figures that are not from the latest successful poll; empty when
/// they are live (or there are none).
pub fn last_known_label(now: i64, row: &Row, absolute: bool) -> String {
    if !row.stats.stale {
        return String::new();
    }
    match row.stats.updated_at.as_deref().and_then(unix) {
        Some(at) => format!("last known, {}", when(now, at, absolute)),
        None => "last known".into(),
    }
}

pub(super) fn unix(ts: &str) -> Option<i64> {
    timestamp::parse(ts).map(|t| t.timestamp())
}

/// "checked 15s ago" for a backend at `now` (unix seconds), as the detail shows it; one that is
/// not polled (switched off) says when it was last checked, if ever.
pub fn checked_label(now: i64, row: &Row, absolute: bool) -> String {
    let polled = !matches!(
        row.stats.health.status,
        HealthStatus::Unsupported | HealthStatus::Disabled
    );
    match (
        row.stats.health.checked_at.as_deref().and_then(unix),
        polled,
    ) {
        (Some(at), true) => format!("checked {}", when(now, at, absolute)),
        (Some(at), false) => format!("not polled; last checked {}", when(now, at, absolute)),
        (None, false) => "not polled".into(),
        (None, true) => "not checked yet".into(),
    }
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

    #[test]
    fn times_are_ages_or_on_demand_the_clock_time() {
        let now = chrono::Local::now().timestamp();
        assert_eq!(when(now, now - 12, false), "12s ago");
        let today = when(now, now - 1, true);
        assert!(
            today.starts_with("at ") && today.len() == "at 14:03:22".len(),
            "{today}"
        );
        let long_ago = when(now, now - 3 * 86_400, true);
        assert!(long_ago.len() == "at 2026-11-22 14:03".len(), "{long_ago}");
    }
}
