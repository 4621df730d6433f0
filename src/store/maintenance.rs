//! Maintenance windows: while a backend is in one, it is still polled but its alerts are held
//! (see `monitor/alerts.rs`). Kept in our own metadata, `metadata/maintenance.json` =
//! `{"key":"maintenance","value":{ID:{"since","until","reason"}},"updated"}`, never in the
//! backend's config file (the Python library's). One file for every backend, so that a running
//! engine notices a window set or ended by another process with one stat a scan.
//!
//! Read liberally: an entry that does not parse is left out (and kept as it is when the file is
//! rewritten); a window whose `until` has passed is over, whether or not it was removed yet.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::error::{Result, StoreError};
use super::{fsio, names, timestamp, Stamp, Store};

/// The metadata key of the maintenance windows.
pub const MAINTENANCE_KEY: &str = "maintenance";

/// The longest window one may set: past that it is an outage to disable, not maintenance.
pub const MAX_WINDOW: Duration = Duration::from_secs(30 * 86_400);

/// Characters of a reason kept.
pub const REASON_CHARS: usize = 200;

/// One backend's maintenance window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Maintenance {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// What the operator said it is for.
    pub reason: Option<String>,
}

impl Maintenance {
    /// A window from `now` for `span`, with its reason cleaned.
    pub fn starting(now: DateTime<Utc>, span: Duration, reason: Option<&str>) -> Maintenance {
        let span =
            chrono::Duration::from_std(span.min(MAX_WINDOW)).unwrap_or(chrono::Duration::zero());
        Maintenance {
            since: now,
            until: now + span,
            reason: reason
                .map(|r| crate::text::sanitize(r.trim(), REASON_CHARS))
                .filter(|r| !r.is_empty()),
        }
    }

    /// Whether the window is over at `now`.
    pub fn is_over(&self, now: DateTime<Utc>) -> bool {
        self.until <= now
    }

    /// The time left at `now` (zero once over).
    pub fn left(&self, now: DateTime<Utc>) -> Duration {
        (self.until - now).to_std().unwrap_or(Duration::ZERO)
    }

    fn to_json(&self) -> Value {
        json!({
            "since": timestamp::format(self.since),
            "until": timestamp::format(self.until),
            "reason": self.reason,
        })
    }

    /// An entry as written by [`Maintenance::to_json`]; `None` when it has no readable `until`.
    fn from_json(value: &Value) -> Option<Maintenance> {
        let time = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .and_then(timestamp::parse)
                .map(|at| at.with_timezone(&Utc))
        };
        let until = time("until")?;
        Some(Maintenance {
            // A window without a start is taken as started when it ends at the latest.
            since: time("since").unwrap_or(until),
            until,
            reason: value
                .get("reason")
                .and_then(Value::as_str)
                .map(|r| crate::text::sanitize(r, REASON_CHARS))
                .filter(|r| !r.is_empty()),
        })
    }
}

/// Every backend's window as read from the file's value; entries that do not parse left out.
pub fn windows_of(value: &Value) -> BTreeMap<String, Maintenance> {
    value
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(id, _)| names::check_backend_id(id).is_ok())
        .filter_map(|(id, entry)| Maintenance::from_json(entry).map(|w| (id.clone(), w)))
        .collect()
}

/// A duration as an operator types it: `90s`, `30m`, `2h`, `1d`, or several (`1h30m`); a bare
/// number is minutes. At most [`MAX_WINDOW`], at least one second.
pub fn parse_span(raw: &str) -> std::result::Result<Duration, String> {
    let text = raw.trim().to_ascii_lowercase();
    if text.is_empty() {
        return Err("no duration given (e.g. 30m, 2h, 1d)".into());
    }
    if let Ok(minutes) = text.parse::<u64>() {
        return checked_span(raw, minutes.saturating_mul(60));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => {
                return Err(format!(
                    "'{raw}' is not a duration (e.g. 30m, 2h, 1d, 1h30m)"
                ))
            }
        };
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("'{raw}' is not a duration (e.g. 30m, 2h, 1d, 1h30m)"))?;
        digits.clear();
        total = total.saturating_add(n.saturating_mul(unit));
    }
    if !digits.is_empty() {
        return Err(format!(
            "'{raw}': a number without a unit at its end (s, m, h, d)"
        ));
    }
    checked_span(raw, total)
}

fn checked_span(raw: &str, secs: u64) -> std::result::Result<Duration, String> {
    if secs == 0 {
        return Err(format!("'{raw}' is no time at all"));
    }
    if secs > MAX_WINDOW.as_secs() {
        return Err(format!("'{raw}' is longer than 30 days"));
    }
    Ok(Duration::from_secs(secs))
}

/// A time left as the list says it: `45s`, `12m`, `1h05m`, `3d04h`.
pub fn span_left(left: Duration) -> String {
    let secs = left.as_secs();
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m", secs / 60),
        3600..=86_399 => format!("{}h{:02}m", secs / 3600, (secs % 3600) / 60),
        _ => format!("{}d{:02}h", secs / 86_400, (secs % 86_400) / 3600),
    }
}

impl Store {
    fn maintenance_path(&self) -> std::path::PathBuf {
        self.metadata_dir().join(format!("{MAINTENANCE_KEY}.json"))
    }

    /// The maintenance file's stamp (none when there is no file): a change says to read it.
    pub fn maintenance_stamp(&self) -> Option<Stamp> {
        Stamp::of_path(&self.maintenance_path())
    }

    /// Every backend's maintenance window as kept, over or not.
    pub fn maintenance_windows(&self) -> Result<BTreeMap<String, Maintenance>> {
        Ok(self
            .read_metadata(MAINTENANCE_KEY)?
            .map(|entry| windows_of(&entry.value))
            .unwrap_or_default())
    }

    /// Sets (or replaces) a backend's window. Windows that are over are dropped meanwhile.
    pub fn set_maintenance(&self, id: &str, window: &Maintenance) -> Result<()> {
        names::check_backend_id(id)?;
        self.change_maintenance(|windows| {
            windows.insert(id.to_string(), window.to_json());
        })
        .map(|_| ())
    }

    /// Ends a backend's window; returns it, or `None` when it had none (or it was over).
    pub fn end_maintenance(&self, id: &str) -> Result<Option<Maintenance>> {
        names::check_backend_id(id)?;
        let now = Utc::now();
        let removed = self.change_maintenance(|windows| windows.remove(id))?;
        Ok(removed
            .as_ref()
            .and_then(Maintenance::from_json)
            .filter(|w| !w.is_over(now)))
    }

    /// One read-modify-write of the maintenance file under the metadata lock: the change, then
    /// the windows that are over dropped; entries that do not parse are kept as they are. The
    /// file goes when nothing is left in it.
    fn change_maintenance<T>(
        &self,
        change: impl FnOnce(&mut Map<String, Value>) -> T,
    ) -> Result<T> {
        let _lock = self.lock_metadata()?;
        let path = self.maintenance_path();
        let mut windows = match fsio::read_json_object(&path)? {
            Some(doc) => match doc.get("value") {
                Some(Value::Object(map)) => map.clone(),
                None | Some(Value::Null) => Map::new(),
                Some(other) => {
                    return Err(StoreError::Corrupt {
                        path,
                        reason: format!("value is {}, not an object", fsio::json_kind(other)),
                    })
                }
            },
            None => Map::new(),
        };
        let before = windows.clone();
        let result = change(&mut windows);
        let now = Utc::now();
        windows.retain(|_, entry| Maintenance::from_json(entry).is_none_or(|w| !w.is_over(now)));
        if windows == before {
            return Ok(result);
        }
        if windows.is_empty() {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StoreError::io(path, e)),
            }
            return Ok(result);
        }
        let doc = json!({
            "key": MAINTENANCE_KEY,
            "value": Value::Object(windows),
            "updated": timestamp::now(),
        });
        fsio::write_json(&path, &doc)?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn spans_as_typed() {
        assert_eq!(parse_span("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_span("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_span("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_span(" 1D "), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_span("45"), Ok(Duration::from_secs(45 * 60)));
        assert_eq!(parse_span("90s"), Ok(Duration::from_secs(90)));
        for bad in ["", "0m", "2x", "h", "1h30", "31d", "-1h"] {
            assert!(parse_span(bad).is_err(), "{bad:?} taken");
        }
    }

    #[test]
    fn time_left_compact() {
        assert_eq!(span_left(Duration::from_secs(5)), "5s");
        assert_eq!(span_left(Duration::from_secs(119)), "1m");
        assert_eq!(span_left(Duration::from_secs(3600 + 5 * 60)), "1h05m");
        assert_eq!(
            span_left(Duration::from_secs(3 * 86_400 + 4 * 3600)),
            "3d04h"
        );
    }

    #[test]
    fn set_read_end_and_over_windows_go() {
        let (_dir, store) = store();
        assert!(store.maintenance_windows().unwrap().is_empty());
        assert_eq!(store.maintenance_stamp(), None);
        let now = Utc::now();
        let window = Maintenance::starting(now, Duration::from_secs(7200), Some(" disk swap\n"));
        store.set_maintenance("kubo", &window).unwrap();
        let read = store.maintenance_windows().unwrap();
        let kept = read.get("kubo").unwrap();
        assert_eq!(kept.reason.as_deref(), Some("disk swap"));
        assert_eq!(kept.until.timestamp(), window.until.timestamp());
        assert!(store.maintenance_stamp().is_some());
        // One already over is dropped at the next write.
        let over = Maintenance {
            since: now - chrono::Duration::hours(3),
            until: now - chrono::Duration::hours(1),
            reason: None,
        };
        store.set_maintenance("old", &over).unwrap();
        assert!(!store.maintenance_windows().unwrap().contains_key("old"));
        assert!(store.end_maintenance("kubo").unwrap().is_some());
        assert_eq!(store.end_maintenance("kubo").unwrap(), None);
        assert_eq!(store.maintenance_stamp(), None, "an empty file goes");
    }

    #[test]
    fn entries_that_do_not_parse_are_left_out_and_kept() {
        let (_dir, store) = store();
        store
            .write_metadata(
                MAINTENANCE_KEY,
                json!({"weird": {"until": "not a time"}, "x": 3, "naive": {"until": "2999-01-01T00:00:00"}}),
            )
            .unwrap();
        let windows = store.maintenance_windows().unwrap();
        assert_eq!(windows.keys().collect::<Vec<_>>(), ["naive"]);
        store
            .set_maintenance(
                "b",
                &Maintenance::starting(Utc::now(), Duration::from_secs(60), None),
            )
            .unwrap();
        let raw = store.read_metadata(MAINTENANCE_KEY).unwrap().unwrap().value;
        assert_eq!(raw["x"], 3, "kept as it was");
        assert_eq!(raw["weird"]["until"], "not a time");
        assert!(raw["b"]["reason"].is_null());
    }
}
