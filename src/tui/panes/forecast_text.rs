//! The detail's forecast line: when the backend will be full, at what growth, over how much
//! history, against which limit ("full in ~9 days (around Dec 16 14:00) at +2.1 GiB/day over
//! 7 d, against quota 500 GiB"); or that it is not filling, or that there is too little
//! history to say. Nothing for a backend without a limit.

use ratatui::style::Style;
use ratatui::text::Line;

use super::facts::{fact, flow};
use crate::stats::forecast::{rate_words, ForecastReport, OutlookKind};
use crate::text::bytes;
use crate::tui::model::Row;
use crate::tui::theme::Theme;

/// A span of time in one rounded unit, in words: "~45 minutes", "~3 hours", "~9 days".
pub fn duration_words(secs: u64) -> String {
    let unit = |n: u64, one: &str, many: &str| crate::text::plural(n.max(1), one, many);
    match secs {
        s if s < 3_600 => unit(s.div_ceil(60), "minute", "minutes"),
        s if s < 2 * 86_400 => unit((s + 1_800) / 3_600, "hour", "hours"),
        s if s < 365 * 86_400 => unit((s + 43_200) / 86_400, "day", "days"),
        _ => "more than a year".to_string(),
    }
}

/// A window's span, short: "7 d", "6 h", "12 min".
fn span_short(secs: u64) -> String {
    match secs {
        s if s >= 86_400 => format!("{} d", (s + 43_200) / 86_400),
        s if s >= 3_600 => format!("{} h", (s + 1_800) / 3_600),
        s => format!("{} min", s.div_ceil(60).max(1)),
    }
}

/// The local clock time of `at` as the detail says it: "Dec 16 14:00".
fn around(at: u64) -> String {
    i64::try_from(at)
        .ok()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%b %d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "?".into())
}

/// The forecast's words, fact by fact.
fn phrases(forecast: &ForecastReport, now: u64) -> Vec<String> {
    let against = format!(
        "against {} {}",
        forecast.limit_source.as_str(),
        bytes(forecast.limit_bytes)
    );
    match (forecast.outlook, forecast.full_at_unix()) {
        (OutlookKind::Filling, Some(full_at)) => {
            let left = full_at.saturating_sub(now);
            let when = if left == 0 {
                "full now".to_string()
            } else {
                format!(
                    "full in ~{} (around {})",
                    duration_words(left),
                    around(full_at)
                )
            };
            let mut out = vec![when];
            if let Some(rate) = forecast.rate_bytes_per_sec {
                let over = forecast
                    .window_secs
                    .map(|w| format!(" over {}", span_short(w)))
                    .unwrap_or_default();
                out.push(format!("at {}{over},", rate_words(rate, Some(left))));
            }
            out.push(against);
            out
        }
        (OutlookKind::NotFilling, _) => {
            // Under a byte a second (86 KB a day) is flat, as the forecast counts it.
            let rate = match forecast.rate_bytes_per_sec {
                Some(r) if r.abs() < 1.0 => " (flat)".to_string(),
                Some(r) => format!(" ({})", rate_words(r, None)),
                None => String::new(),
            };
            vec![format!("not filling{rate},"), against]
        }
        _ => vec![
            "too little history to say yet (10 minutes of growth),".to_string(),
            against,
        ],
    }
}

/// The forecast as a labelled line, wrapped between phrases; the warning colour while a
/// filling alert is active.
pub fn forecast_lines<'a>(row: &Row, now: i64, theme: &Theme, width: u16) -> Vec<Line<'a>> {
    let Some(forecast) = row.stats.forecast.as_ref() else {
        return Vec::new();
    };
    let filling = row.stats.alerts.iter().any(|a| a.rule == "filling");
    let style = if filling {
        theme.warning()
    } else if row.figures_are_old() {
        theme.dim()
    } else {
        Style::default()
    };
    let facts = phrases(forecast, u64::try_from(now).unwrap_or(0))
        .into_iter()
        .map(|p| fact(p, style))
        .collect();
    flow("Outlook", theme.dim(), facts, " ", width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::forecast::{Forecast, LimitSource, Outlook};

    const GIB: u64 = 1 << 30;

    #[test]
    fn a_filling_forecast_says_when_at_what_rate_and_against_what() {
        std::env::set_var("TZ", "UTC");
        let now = 1_796_000_000; // 2026-11-29
        let report = ForecastReport::new(
            Outlook::Filling(Forecast {
                full_at: now + 9 * 86_400,
                rate_bytes_per_sec: 2.1 * GIB as f64 / 86_400.0,
                window_secs: 7 * 86_400,
                limit_source: LimitSource::Quota,
            }),
            500 * GIB,
            LimitSource::Quota,
        );
        let text = phrases(&report, now).join(" ");
        assert!(text.starts_with("full in ~9 days (around "), "{text}");
        assert!(
            text.ends_with("at +2.1 GiB/day over 7 d, against quota 500 GiB"),
            "{text}"
        );
    }

    #[test]
    fn not_filling_and_too_little_history_say_so() {
        let flat = ForecastReport::new(
            Outlook::NotFilling {
                rate_bytes_per_sec: -1_000.0,
            },
            GIB,
            LimitSource::Capacity,
        );
        assert_eq!(
            phrases(&flat, 0).join(" "),
            "not filling (−82.4 MiB/day), against capacity 1 GiB"
        );
        let little = ForecastReport::new(Outlook::TooLittleHistory, GIB, LimitSource::GcThreshold);
        assert!(phrases(&little, 0)
            .join(" ")
            .contains("against GC threshold 1 GiB"));
    }

    #[test]
    fn durations_and_rates_read_in_one_unit() {
        assert_eq!(duration_words(45 * 60), "45 minutes");
        assert_eq!(duration_words(3 * 3_600 + 100), "3 hours");
        assert_eq!(duration_words(9 * 86_400), "9 days");
        assert_eq!(duration_words(60), "1 minute");
        assert_eq!(rate_words(4_000_000.0 / 15.0, Some(1_800)), "+15.3 MiB/min");
    }
}
