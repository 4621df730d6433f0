//! `backend events ID [--json] [--limit N] [--since DURATION]`: a backend's timeline.

use serde_json::Value;

use super::{CliError, CliResult};
use crate::api::Api;
use crate::monitor::timeline::{describe, EventQuery};

/// Reads `90s`, `30m`, `2h`, `7d` (or plain seconds) as seconds.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration (like 90s, 30m, 2h, 7d)"))?;
    let unit = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "'{text}' is not a duration (like 90s, 30m, 2h, 7d)"
            ))
        }
    };
    Ok(n.saturating_mul(unit))
}

pub fn events(
    api: &Api,
    id: &str,
    as_json: bool,
    limit: Option<usize>,
    since: Option<&str>,
) -> CliResult {
    let since = since
        .map(parse_duration)
        .transpose()
        .map_err(|reason| CliError::usage(format!("--since: {reason}")))?
        .map(|secs| chrono::Utc::now().timestamp() - i64::try_from(secs).unwrap_or(i64::MAX / 2));
    if !api.backend_exists(id) {
        return Err(CliError::usage(format!(
            "backend '{}' does not exist",
            crate::text::sanitize(id, 80)
        )));
    }
    let events = api.events(id, EventQuery { limit, since })?;
    if as_json {
        let array: Vec<Value> = events.iter().map(|e| Value::Object(e.to_json())).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&Value::Array(array))
                .map_err(|e| CliError::failure(e.to_string()))?
        );
        return Ok(());
    }
    if events.is_empty() {
        println!("no events for '{}'", crate::text::sanitize(id, 80));
        return Ok(());
    }
    for event in &events {
        let at = event
            .moment()
            .map(|m| {
                m.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_else(|| "?".into());
        println!("{at}  {:<18} {}", event.kind(), describe(event));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_their_unit_and_plain_seconds() {
        assert_eq!(parse_duration("90"), Ok(90));
        assert_eq!(parse_duration("30m"), Ok(1_800));
        assert_eq!(parse_duration("2h"), Ok(7_200));
        assert_eq!(parse_duration("7d"), Ok(604_800));
        assert!(parse_duration("2w").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("-1h").is_err());
    }
}
