//! Timestamps as the Python library writes them (ISO-8601, often naive local time) and as we write
//! them (RFC 3339 with a numeric offset).

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// Parses `2025-07-28T10:11:12.123456` (naive, taken as local time, as Python's
/// `datetime.now().isoformat()` means it), `2025-07-28 10:11:12`, and any form with an offset
/// (`Z`, `+02:00`, `+0200`).
pub fn parse(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    if let Ok(ts) = DateTime::parse_from_rfc3339(text) {
        return Some(ts);
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(ts) = DateTime::parse_from_str(text, format) {
            return Some(ts);
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            // An ambiguous or skipped local time (DST change) falls back to the earliest match,
            // then to UTC: an hour off is better than refusing a file over it.
            return Some(match Local.from_local_datetime(&naive).earliest() {
                Some(local) => local.fixed_offset(),
                None => Utc.from_utc_datetime(&naive).fixed_offset(),
            });
        }
    }
    None
}

/// A moment as messages say it, to the minute in local time (`2026-12-07 14:02`): a message
/// that carried an age would change every poll and be announced every poll.
pub fn local_minute<Tz: TimeZone>(at: &DateTime<Tz>) -> String {
    at.with_timezone(&Local)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Formats for writing. `+00:00` rather than `Z` because Python before 3.11 cannot read `Z`
/// with `datetime.fromisoformat`.
pub fn format(ts: DateTime<Utc>) -> String {
    ts.to_rfc3339_opts(SecondsFormat::Micros, false)
}

pub fn now() -> String {
    format(Utc::now())
}

/// How long ago a stored timestamp was, for people (`12m ago`); `None` if it does not parse.
pub fn ago(text: &str) -> Option<String> {
    parse(text).map(|ts| crate::text::age(age_secs(&ts)))
}

/// Seconds since `ts`, never negative (a clock step backwards reads as "just now").
pub fn age_secs(ts: &DateTime<FixedOffset>) -> f64 {
    let age = Utc::now().signed_duration_since(ts.with_timezone(&Utc));
    (age.num_milliseconds().max(0) as f64) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_python_naive_and_offset_forms() {
        let naive = parse("2025-07-28T10:11:12.123456").expect("naive");
        let expected = Local
            .from_local_datetime(
                &NaiveDateTime::parse_from_str(
                    "2025-07-28 10:11:12.123456",
                    "%Y-%m-%d %H:%M:%S%.f",
                )
                .unwrap(),
            )
            .earliest()
            .unwrap();
        assert_eq!(naive, expected.fixed_offset());
        assert!(parse("2025-07-28 10:11:12").is_some());
        let zulu = parse("2025-07-28T10:11:12Z").unwrap();
        let offset = parse("2025-07-28T12:11:12+02:00").unwrap();
        let compact = parse("2025-07-28T12:11:12.5+0200").unwrap();
        assert_eq!(zulu, offset);
        assert_eq!(compact.timestamp_millis(), zulu.timestamp_millis() + 500);
        assert!(parse("yesterday").is_none());
        assert!(parse("").is_none());
    }

    #[test]
    fn writes_rfc3339_that_round_trips() {
        let text = now();
        assert!(text.ends_with("+00:00"), "{text}");
        let back = parse(&text).unwrap();
        assert!(age_secs(&back) < 5.0);
    }
}
