//! A backend's timeline: what happened to it (health transitions with how long the state left
//! lasted and why, alerts, tests, configuration changes and who made them, inventories,
//! maintenance), one event a line in `cache/ID/events.ndjson`. The file is the store's
//! (`store/timeline.rs`: appends, bounds, compaction); what a line holds is defined here.
//!
//! Read liberally: a line of a kind this version does not know (a newer version's), or of a
//! known kind with fields it cannot read, is kept whole as [`What::Unknown`] and shown
//! generically; a torn last line (a crash) is skipped.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::alerts::Rule;
use crate::probe::{ErrorClass, TestReport};
use crate::stats::{HealthStatus, InventoryRecord, InventoryState};

/// Events kept per backend, at most (the store also drops those older than `MAX_AGE_SECS`).
pub const MAX_EVENTS: usize = 1_000;
/// Events older than this are dropped at the next compaction.
pub const MAX_AGE_SECS: u64 = 30 * 86_400;

/// Who made a configuration change (or ran a test).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The console of this home (through `Api`, with the engine running in its process).
    Console,
    /// A command of this program (`backend add|set|test|inventory`), which writes its own line.
    Cli,
    /// A change the engine found in the files that no process of ours said it made: the Python
    /// library, an editor, a copy.
    OtherWriter,
    /// A newer version's word for a writer.
    #[serde(other)]
    Unknown,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Console => "console",
            Origin::Cli => "command line",
            Origin::OtherWriter => "another writer",
            Origin::Unknown => "unknown",
        }
    }
}

/// How an alert was closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertClosing {
    Recovered,
    /// Its backend was removed.
    Removed,
    /// Its backend was switched off.
    Disabled,
    #[serde(other)]
    Unknown,
}

impl From<super::alerts::Closed> for AlertClosing {
    fn from(closed: super::alerts::Closed) -> AlertClosing {
        match closed {
            super::alerts::Closed::Recovered => AlertClosing::Recovered,
            super::alerts::Closed::Removed => AlertClosing::Removed,
            super::alerts::Closed::Disabled => AlertClosing::Disabled,
        }
    }
}

/// How a maintenance window ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceEnd {
    /// Its time ran out.
    Expired,
    /// An operator ended it before its time.
    EndedEarly,
    #[serde(other)]
    Unknown,
}

/// What happened. Serialized with `kind` naming the variant, its fields beside `at`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum What {
    /// The health changed from `from` (in which the backend was since `from_since`, when known:
    /// the engine saw it begin, or read it from this file at start) to `to`.
    Health {
        from: HealthStatus,
        to: HealthStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_since: Option<String>,
        /// How long the state left lasted, in seconds, when its start is known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_secs: Option<u64>,
        /// Why the backend was in the state it left (its message when that state began).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The new state's message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    AlertRaised {
        rule: Rule,
        message: String,
    },
    AlertCleared {
        rule: Rule,
        how: AlertClosing,
        raised_at: String,
    },
    AlertAcknowledged {
        rule: Rule,
    },
    AlertSilenced {
        rule: Rule,
        until: String,
    },
    /// A test of the saved backend (`backend test`, the console's `t`/`W`).
    Test {
        ok: bool,
        origin: Origin,
        #[serde(default)]
        write: bool,
        elapsed_ms: f64,
        /// The step that failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        class: Option<ErrorClass>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// The backend was created (field names only: values may be secrets).
    Created {
        origin: Origin,
        #[serde(default)]
        fields: Vec<String>,
        /// The backend file's `updated` this change wrote (how the engine tells a change
        /// that a command recorded itself from another writer's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        updated: Option<String>,
    },
    /// Fields of the config changed (names only, never values).
    Edited {
        origin: Origin,
        fields: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        updated: Option<String>,
    },
    Enabled {
        origin: Origin,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        updated: Option<String>,
    },
    Disabled {
        origin: Origin,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        updated: Option<String>,
    },
    /// An inventory ended: its counts, how long it took, or its error.
    Inventory {
        state: InventoryState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        objects: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        bytes: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        elapsed_ms: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
    },
    /// Maintenance began: alerts and hooks held until `until` (emitted by the maintenance part).
    MaintenanceStarted {
        until: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    MaintenanceEnded {
        how: MaintenanceEnd,
    },
    /// A kind this version does not know, or a line it cannot read as its kind: kept whole in
    /// [`TimelineEvent::raw`].
    #[serde(other)]
    Unknown,
}

/// One event of a backend's timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineEvent {
    /// RFC 3339.
    pub at: String,
    pub what: What,
    /// The line as read, for an event of [`What::Unknown`]: written back and shown as it is.
    pub raw: Option<Map<String, Value>>,
}

impl TimelineEvent {
    /// An event that happens now.
    pub fn now(what: What) -> TimelineEvent {
        TimelineEvent {
            at: crate::store::timestamp::now(),
            what,
            raw: None,
        }
    }

    /// The event's kind as written (`health`, `alert_raised`, ... or an unknown one's own).
    pub fn kind(&self) -> String {
        self.to_json()
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string()
    }

    /// The event as one JSON object: `at`, `kind` and the kind's fields.
    pub fn to_json(&self) -> Map<String, Value> {
        if let (What::Unknown, Some(raw)) = (&self.what, &self.raw) {
            return raw.clone();
        }
        let mut object = Map::new();
        object.insert("at".into(), Value::String(self.at.clone()));
        if let Ok(Value::Object(fields)) = serde_json::to_value(&self.what) {
            object.extend(fields);
        }
        object
    }

    /// One line of the file, newline included.
    pub fn encode_line(&self) -> String {
        let mut line = Value::Object(self.to_json()).to_string();
        line.push('\n');
        line
    }

    /// Reads one line: `None` for what is not a JSON object with a readable `at` (a torn line).
    pub fn decode_line(line: &str) -> Option<TimelineEvent> {
        let Ok(Value::Object(object)) = serde_json::from_str::<Value>(line.trim()) else {
            return None;
        };
        let at = object.get("at").and_then(Value::as_str)?;
        crate::store::timestamp::parse(at)?;
        let at = at.to_string();
        match serde_json::from_value::<What>(Value::Object(object.clone())) {
            Ok(What::Unknown) | Err(_) => Some(TimelineEvent {
                at,
                what: What::Unknown,
                raw: Some(object),
            }),
            Ok(what) => Some(TimelineEvent {
                at,
                what,
                raw: None,
            }),
        }
    }

    /// The event's time as a moment, when it reads.
    pub fn moment(&self) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        crate::store::timestamp::parse(&self.at)
    }
}

/// Every event of a file's text, oldest first as written; lines that do not read are skipped.
pub fn decode_text(text: &str) -> Vec<TimelineEvent> {
    text.lines()
        .filter_map(TimelineEvent::decode_line)
        .collect()
}

/// The event of a finished test.
pub fn test_event(report: &TestReport, origin: Origin, write: bool) -> What {
    let failed_step = report.steps.iter().find(|s| !s.ok).map(|s| s.name.clone());
    What::Test {
        ok: report.ok,
        origin,
        write,
        elapsed_ms: report.elapsed_ms,
        step: if report.ok { None } else { failed_step },
        class: report.error.as_ref().map(|e| e.class),
        error: report.error.as_ref().map(|e| e.message.clone()),
    }
}

/// The event of a finished inventory, from the record it kept (none without a last run).
pub fn inventory_event(record: &InventoryRecord) -> Option<What> {
    let run = record.last_run.as_ref()?;
    // Counts of this run: the finished count, else the totals so far of one in progress.
    let figures = match (&record.counted, &record.progress) {
        (Some(counted), _) if counted.as_of == run.at => Some(&counted.figures),
        (_, Some(progress)) => Some(&progress.figures),
        _ => None,
    }
    .filter(|_| run.outcome != InventoryState::Failed);
    Some(What::Inventory {
        state: run.outcome,
        objects: figures.and_then(|f| f.files.count),
        bytes: figures.and_then(|f| f.files.bytes),
        elapsed_ms: Some(run.elapsed_ms),
        error: run.error.clone(),
    })
}

/// What a filter of `backend events` (and the console) asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// The newest this many, at most.
    pub limit: Option<usize>,
    /// Only events at or after this moment (unix seconds).
    pub since: Option<i64>,
}

impl EventQuery {
    /// Applies the filter to events oldest first; keeps them oldest first.
    pub fn apply(&self, mut events: Vec<TimelineEvent>) -> Vec<TimelineEvent> {
        if let Some(since) = self.since {
            events.retain(|e| e.moment().is_some_and(|m| m.timestamp() >= since));
        }
        if let Some(limit) = self.limit {
            let skip = events.len().saturating_sub(limit);
            events.drain(..skip);
        }
        events
    }
}

/// A moment as a timeline line says it: the local time to the minute (`10:03`), with the
/// date when it is not the day of `on` (`Dec 06 10:03`).
pub fn local_clock(at: &str, on: Option<&str>) -> String {
    use chrono::Local;
    let Some(moment) = crate::store::timestamp::parse(at) else {
        return "?".into();
    };
    let local = moment.with_timezone(&Local);
    let same_day = on
        .and_then(crate::store::timestamp::parse)
        .is_some_and(|on| on.with_timezone(&Local).date_naive() == local.date_naive());
    if same_day {
        local.format("%H:%M").to_string()
    } else {
        local.format("%b %d %H:%M").to_string()
    }
}

/// What an event says, in words, without its time: `down 10:03 → 10:07, 4m, connection
/// refused; now healthy`, `alert raised: down: …`, `edited from the command line: path`.
pub fn describe(event: &TimelineEvent) -> String {
    let clean = |text: &str| crate::text::sanitize(text, 300);
    match &event.what {
        What::Health {
            from,
            to,
            from_since,
            duration_secs,
            reason,
            message,
        } => {
            let mut phrase = match from_since {
                Some(since) => format!(
                    "{} {} → {}",
                    from.as_str(),
                    local_clock(since, Some(&event.at)),
                    local_clock(&event.at, Some(&event.at))
                ),
                None => format!("was {}", from.as_str()),
            };
            if let Some(secs) = duration_secs {
                phrase.push_str(&format!(", {}", span(*secs)));
            }
            if let Some(reason) = reason.as_deref().filter(|r| !r.is_empty()) {
                phrase.push_str(&format!(", {}", clean(reason)));
            }
            phrase.push_str(&format!("; now {}", to.as_str()));
            if let Some(message) = message.as_deref().filter(|m| !m.is_empty()) {
                phrase.push_str(&format!(": {}", clean(message)));
            }
            phrase
        }
        What::AlertRaised { rule, message } => {
            // Most messages begin with their rule (`down: …`, `capacity 90.5% used…`,
            // `credentials rejected…`): the rule is not said twice.
            let message = clean(message);
            let rule = rule.as_str();
            let named = message
                .strip_prefix(rule)
                .is_some_and(|rest| rest.starts_with(':') || rest.starts_with(' '));
            if named {
                format!("alert raised: {message}")
            } else {
                format!("alert raised: {rule}: {message}")
            }
        }
        What::AlertCleared { rule, how, .. } => {
            let how = match how {
                AlertClosing::Recovered => "cleared (recovered)",
                AlertClosing::Removed => "closed (backend removed)",
                AlertClosing::Disabled => "closed (backend disabled)",
                AlertClosing::Unknown => "closed",
            };
            format!("alert {}: {how}", rule.as_str())
        }
        What::AlertAcknowledged { rule } => format!("alert {} acknowledged", rule.as_str()),
        What::AlertSilenced { rule, until } => format!(
            "alert {} silenced until {}",
            rule.as_str(),
            local_clock(until, Some(&event.at))
        ),
        What::Test {
            ok,
            origin,
            write,
            elapsed_ms,
            step,
            class,
            error,
        } => {
            let what = if *write {
                "test with write check"
            } else {
                "test"
            };
            let from = origin_phrase(*origin);
            if *ok {
                format!(
                    "{what} passed{from} in {}",
                    crate::text::millis(*elapsed_ms)
                )
            } else {
                let step = step.as_deref().map(clean).unwrap_or_else(|| "?".into());
                let class = class.map(ErrorClass::as_str).unwrap_or("?");
                let error = error.as_deref().map(clean).unwrap_or_default();
                format!("{what} failed{from} at {step} ({class}): {error}")
            }
        }
        What::Created { origin, fields, .. } => {
            format!("created{}: {}", origin_phrase(*origin), fields.join(", "))
        }
        What::Edited { origin, fields, .. } => {
            format!("edited{}: {}", origin_phrase(*origin), fields.join(", "))
        }
        What::Enabled { origin, .. } => format!("enabled{}", origin_phrase(*origin)),
        What::Disabled { origin, .. } => format!("disabled{}", origin_phrase(*origin)),
        What::Inventory {
            state,
            objects,
            bytes,
            elapsed_ms,
            error,
        } => {
            let state = match state {
                InventoryState::Complete => "complete",
                InventoryState::Partial => "partial",
                InventoryState::Counting => "counting, goes on",
                InventoryState::Failed => "failed",
            };
            let mut phrase = format!("inventory {state}");
            let mut figures = Vec::new();
            if let Some(objects) = objects {
                figures.push(format!("{} objects", crate::text::count(*objects)));
            }
            if let Some(bytes) = bytes {
                figures.push(crate::text::bytes(*bytes));
            }
            if let Some(ms) = elapsed_ms {
                figures.push(format!("in {}", crate::text::millis(*ms)));
            }
            if !figures.is_empty() {
                phrase.push_str(&format!(": {}", figures.join(", ")));
            }
            if let Some(error) = error {
                phrase.push_str(&format!(": {}", clean(error)));
            }
            phrase
        }
        What::MaintenanceStarted { until, reason } => {
            let mut phrase = format!("maintenance until {}", local_clock(until, Some(&event.at)));
            if let Some(reason) = reason {
                phrase.push_str(&format!(": {}", clean(reason)));
            }
            phrase
        }
        What::MaintenanceEnded { how } => match how {
            MaintenanceEnd::Expired => "maintenance ended (its time ran out)".into(),
            MaintenanceEnd::EndedEarly => "maintenance ended early".into(),
            MaintenanceEnd::Unknown => "maintenance ended".into(),
        },
        What::Unknown => {
            // Shown generically: its kind and its fields as written.
            let mut fields = event.to_json();
            fields.remove("at");
            let kind = fields
                .remove("kind")
                .and_then(|k| k.as_str().map(str::to_string))
                .unwrap_or_else(|| "unknown".into());
            clean(&format!("{kind} {}", Value::Object(fields)))
        }
    }
}

/// A duration for people: `45s`, `4m`, `2h 05m`, `3d 4h`.
pub fn span(secs: u64) -> String {
    match secs {
        0..=59 => format!("{secs}s"),
        60..=3_599 => format!("{}m", secs / 60),
        3_600..=86_399 => format!("{}h {:02}m", secs / 3_600, secs % 3_600 / 60),
        _ => format!("{}d {}h", secs / 86_400, secs % 86_400 / 3_600),
    }
}

/// ` from the command line`, ` by another writer`, ... (empty for an unknown origin).
fn origin_phrase(origin: Origin) -> String {
    match origin {
        Origin::Console => " in the console".into(),
        Origin::Cli => " from the command line".into(),
        Origin::OtherWriter => " by another writer".into(),
        Origin::Unknown => String::new(),
    }
}

/// Seconds between two RFC 3339 moments, never negative; `None` when either does not read.
pub fn secs_between(from: &str, to: &str) -> Option<u64> {
    let from = crate::store::timestamp::parse(from)?;
    let to = crate::store::timestamp::parse(to)?;
    u64::try_from((to - from).num_seconds()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_alert_whose_message_begins_with_its_rule_says_the_rule_once() {
        let raised = |message: &str| {
            describe(&TimelineEvent::now(What::AlertRaised {
                rule: Rule::Filling,
                message: message.into(),
            }))
        };
        assert_eq!(
            raised("filling: full in ~2m at +59.8 MiB/min"),
            "alert raised: filling: full in ~2m at +59.8 MiB/min"
        );
        assert_eq!(
            raised("the projection is near"),
            "alert raised: filling: the projection is near"
        );
        let capacity = describe(&TimelineEvent::now(What::AlertRaised {
            rule: Rule::Capacity,
            message: "capacity 90.5% used: 12 MiB free".into(),
        }));
        assert_eq!(capacity, "alert raised: capacity 90.5% used: 12 MiB free");
    }

    #[test]
    fn a_health_transition_is_one_line_with_its_duration_and_reason_and_reads_back() {
        let event = TimelineEvent {
            at: "2026-12-07T10:07:00.000000+00:00".into(),
            what: What::Health {
                from: HealthStatus::Down,
                to: HealthStatus::Healthy,
                from_since: Some("2026-12-07T10:03:00.000000+00:00".into()),
                duration_secs: Some(240),
                reason: Some("connection refused".into()),
                message: None,
            },
            raw: None,
        };
        let line = event.encode_line();
        assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["kind"], "health");
        assert_eq!(value["from"], "down");
        assert_eq!(value["duration_secs"], 240);
        assert!(value.get("message").is_none(), "unknowns are left out");
        assert_eq!(TimelineEvent::decode_line(&line), Some(event));
    }

    #[test]
    fn an_unknown_kind_or_an_unreadable_known_one_is_kept_whole_and_written_back_as_it_was() {
        let newer = json!({"at": "2026-12-07T10:00:00+00:00", "kind": "teleported", "to": "mars"});
        let event = TimelineEvent::decode_line(&newer.to_string()).unwrap();
        assert_eq!(event.what, What::Unknown);
        assert_eq!(event.kind(), "teleported");
        assert_eq!(Value::Object(event.to_json()), newer);
        // A known kind with a rule this version does not know.
        let odd = json!({"at": "2026-12-07T10:00:00+00:00", "kind": "alert_raised",
                         "rule": "cosmic_rays", "message": "m"});
        let event = TimelineEvent::decode_line(&odd.to_string()).unwrap();
        assert_eq!(event.what, What::Unknown);
        assert_eq!(event.kind(), "alert_raised");
        // An origin a newer version writes reads as unknown, the event itself still reads.
        let edit = json!({"at": "2026-12-07T10:00:00+00:00", "kind": "edited",
                          "origin": "web_ui", "fields": ["path"]});
        let event = TimelineEvent::decode_line(&edit.to_string()).unwrap();
        assert!(matches!(
            event.what,
            What::Edited {
                origin: Origin::Unknown,
                ..
            }
        ));
    }

    #[test]
    fn a_torn_line_or_one_without_a_time_is_skipped() {
        let good = TimelineEvent::now(What::AlertAcknowledged { rule: Rule::Down }).encode_line();
        let text = format!(
            "{good}{{\"kind\":\"health\"}}\n[1,2]\n{}",
            &good[..good.len() / 2]
        );
        let events = decode_text(&text);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].what, What::AlertAcknowledged { rule: Rule::Down });
    }

    #[test]
    fn maintenance_kinds_read_and_write_as_the_maintenance_part_emits_them() {
        let started = json!({"at": "2026-12-07T10:00:00+00:00", "kind": "maintenance_started",
                             "until": "2026-12-07T12:00:00+00:00", "reason": "disk swap"});
        let event = TimelineEvent::decode_line(&started.to_string()).unwrap();
        assert_eq!(Value::Object(event.to_json()), started);
        let ended = json!({"at": "2026-12-07T11:00:00+00:00", "kind": "maintenance_ended",
                           "how": "ended_early"});
        let event = TimelineEvent::decode_line(&ended.to_string()).unwrap();
        assert_eq!(
            event.what,
            What::MaintenanceEnded {
                how: MaintenanceEnd::EndedEarly
            }
        );
    }

    #[test]
    fn a_query_keeps_the_newest_within_its_window_oldest_first() {
        let at = |minute: u32| TimelineEvent {
            at: format!("2026-12-07T10:{minute:02}:00+00:00"),
            what: What::AlertAcknowledged { rule: Rule::Down },
            raw: None,
        };
        let events: Vec<_> = (0..10).map(at).collect();
        let since = crate::store::timestamp::parse("2026-12-07T10:05:00+00:00")
            .unwrap()
            .timestamp();
        let picked = EventQuery {
            limit: Some(3),
            since: Some(since),
        }
        .apply(events.clone());
        assert_eq!(picked, vec![at(7), at(8), at(9)]);
        let picked = EventQuery {
            limit: None,
            since: Some(since),
        }
        .apply(events);
        assert_eq!(picked.len(), 5);
        assert_eq!(picked[0], at(5));
    }
}
