//! The alerts as the console knows them: the active ones in groups (alerts of one rule on
//! backends that share an endpoint are one group: one server down is one group, not twelve),
//! the recent closed ones, and each backend's endpoint. Loaded off the UI loop
//! (`Cmd::LoadAlerts`), one load at a time; a load asked for meanwhile follows it. It also keeps
//! the floods under way, so that the message log says a flood in one line that grows.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};

use crate::api::AlertGroup;
use crate::monitor::alerts::{Alert, Closed, Rule};
use crate::stats::BackendStats;

/// Closed alerts kept for the alerts view.
pub const CLOSED_LIMIT: usize = 50;
/// Alerts of one rule on one endpoint raised (or closed) within this of the flood's last one
/// join it: the message log says them in one line.
pub const FLOOD_WINDOW_MS: i64 = 3_000;
/// Backends a flood's line names before `…`.
const FLOOD_NAMES: usize = 3;

/// A group, as a selection keeps it across loads: its rule and its endpoint, or the backend of
/// a group that has no endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupKey {
    rule: Rule,
    endpoint: Option<String>,
    backend: Option<String>,
}

impl GroupKey {
    pub fn of(group: &AlertGroup) -> GroupKey {
        GroupKey {
            rule: group.rule,
            endpoint: group.endpoint.clone(),
            backend: match group.endpoint {
                Some(_) => None,
                None => group.alerts.first().map(|a| a.backend.clone()),
            },
        }
    }
}

/// What a load's answer did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// Something the screen shows changed.
    pub changed: bool,
    /// A load was asked for while this one ran: start another now.
    pub again: bool,
}

/// A flood under way: alerts of one rule on one endpoint, close together in time, said in one
/// line of the message log.
#[derive(Clone, Debug, PartialEq)]
struct Flood {
    rule: Rule,
    endpoint: String,
    /// `None` for raised alerts; how they closed for closing ones.
    closed: Option<Closed>,
    /// Sorted.
    backends: Vec<String>,
    /// The newest alert's time, unix milliseconds.
    last_ms: i64,
    /// Its line in the message log.
    line: u64,
}

impl Flood {
    fn text(&self) -> String {
        let mut names = self
            .backends
            .iter()
            .take(FLOOD_NAMES)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        if self.backends.len() > FLOOD_NAMES {
            names.push_str(", …");
        }
        let said = format!(
            "{}: {} backends at {} ({names})",
            self.rule.as_str(),
            self.backends.len(),
            self.endpoint
        );
        match self.closed {
            None => said,
            Some(closed) => format!("{}: {said}", closed.as_str()),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct AlertBoard {
    /// Active alerts in groups, newest first (`Api::alert_groups`).
    groups: Vec<AlertGroup>,
    /// Closed alerts, the most recently closed first, at most `CLOSED_LIMIT`.
    closed: Vec<Alert>,
    /// Each backend's endpoint (`host:port`), where it has one.
    endpoints: HashMap<String, String>,
    /// A load is under way.
    loading: bool,
    /// Another load was asked for while one was under way.
    again: bool,
    floods: Vec<Flood>,
}

/// A unix time as the instant alerts' times compare with.
fn instant(now: i64) -> Option<DateTime<FixedOffset>> {
    DateTime::from_timestamp(now, 0).map(|t| t.fixed_offset())
}

/// An alert's time in unix milliseconds.
pub fn millis(text: &str) -> Option<i64> {
    crate::store::timestamp::parse(text).map(|t| t.timestamp_millis())
}

fn silenced(alert: &Alert, now: Option<&DateTime<FixedOffset>>) -> bool {
    now.is_some_and(|now| alert.is_silenced(now))
}

impl AlertBoard {
    /// Asks for a load: true when one is to start now; while one is under way, another is
    /// started when it answers (what it read may be older than what was asked for).
    pub fn request_load(&mut self) -> bool {
        if self.loading {
            self.again = true;
            false
        } else {
            self.loading = true;
            true
        }
    }

    /// Takes a load's answer: the groups (`Api::alert_groups`), every alert kept (`Api::alerts`,
    /// of which the closed ones are kept here) and each backend's endpoint.
    pub fn loaded(
        &mut self,
        groups: Vec<AlertGroup>,
        alerts: Vec<Alert>,
        endpoints: HashMap<String, String>,
    ) -> Loaded {
        let mut closed: Vec<Alert> = alerts
            .into_iter()
            .filter(|a| a.cleared_at.is_some())
            .collect();
        // The most recently closed first (the log is in the order they were raised).
        closed.sort_by_key(|a| {
            std::cmp::Reverse(a.cleared_at.as_deref().and_then(millis).unwrap_or(0))
        });
        closed.truncate(CLOSED_LIMIT);
        let changed = groups != self.groups || closed != self.closed;
        self.groups = groups;
        self.closed = closed;
        self.endpoints = endpoints;
        let again = std::mem::take(&mut self.again);
        self.loading = again;
        Loaded { changed, again }
    }

    pub fn groups(&self) -> &[AlertGroup] {
        &self.groups
    }

    pub fn closed(&self) -> &[Alert] {
        &self.closed
    }

    /// Where a group is in `groups`.
    pub fn position(&self, key: &GroupKey) -> Option<usize> {
        self.groups.iter().position(|g| GroupKey::of(g) == *key)
    }

    /// The endpoint a backend talks to, as last loaded.
    pub fn endpoint(&self, backend: &str) -> Option<&str> {
        self.endpoints.get(backend).map(String::as_str)
    }

    /// Active alerts that are not silenced at `now` (unix seconds): the list's title counts them.
    pub fn active_count(&self, now: i64) -> usize {
        let now = instant(now);
        self.groups
            .iter()
            .flat_map(|g| &g.alerts)
            .filter(|a| !silenced(a, now.as_ref()))
            .count()
    }

    /// Whether the active alert of this backend and rule (`Rule::as_str`) is silenced at `now`.
    pub fn is_silenced(&self, backend: &str, rule: &str, now: i64) -> bool {
        let now = instant(now);
        self.groups
            .iter()
            .flat_map(|g| &g.alerts)
            .find(|a| a.backend == backend && a.rule.as_str() == rule)
            .is_some_and(|a| silenced(a, now.as_ref()))
    }

    /// Whether a backend has an active alert that is not silenced: its stats carry its active
    /// alerts (they arrive with its figures); this model says which are silenced.
    pub fn in_alert(&self, stats: &BackendStats, now: i64) -> bool {
        stats
            .alerts
            .iter()
            .any(|a| !self.is_silenced(&stats.id, &a.rule, now))
    }

    /// An alert raised (`closed` is `None`) or closed at `at_ms` that joins a flood under way:
    /// the flood's line in the message log and its new text. `None`: it starts its own line
    /// (then `flood_started`).
    pub fn join_flood(
        &mut self,
        alert: &Alert,
        closed: Option<Closed>,
        at_ms: i64,
    ) -> Option<(u64, String)> {
        let endpoint = self.endpoints.get(&alert.backend)?;
        let flood = self.floods.iter_mut().find(|f| {
            f.rule == alert.rule
                && f.endpoint == *endpoint
                && f.closed == closed
                && (at_ms - f.last_ms).abs() <= FLOOD_WINDOW_MS
        })?;
        // Named in order, whichever came first.
        if let Err(at) = flood.backends.binary_search(&alert.backend) {
            flood.backends.insert(at, alert.backend.clone());
        }
        flood.last_ms = flood.last_ms.max(at_ms);
        Some((flood.line, flood.text()))
    }

    /// An alert that did not join a flood was said on `line`: it may start one.
    pub fn flood_started(&mut self, alert: &Alert, closed: Option<Closed>, at_ms: i64, line: u64) {
        // Floods that ended long ago are forgotten.
        self.floods
            .retain(|f| at_ms - f.last_ms <= FLOOD_WINDOW_MS && f.line != line);
        let Some(endpoint) = self.endpoints.get(&alert.backend) else {
            return;
        };
        self.floods
            .retain(|f| !(f.rule == alert.rule && f.endpoint == *endpoint && f.closed == closed));
        self.floods.push(Flood {
            rule: alert.rule,
            endpoint: endpoint.clone(),
            closed,
            backends: vec![alert.backend.clone()],
            last_ms: at_ms,
            line,
        });
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::stats::AlertBrief;

    /// 2026-11-18T12:00:00Z
    pub const NOW: i64 = 1_795_003_200;

    pub fn at(offset: i64) -> String {
        DateTime::from_timestamp(NOW + offset, 0)
            .unwrap()
            .to_rfc3339()
    }

    pub fn alert(backend: &str, rule: Rule, raised: i64) -> Alert {
        Alert {
            backend: backend.into(),
            rule,
            message: format!("{} on {backend}", rule.as_str()),
            raised_at: at(raised),
            cleared_at: None,
            closed: None,
            acknowledged_at: None,
            silenced_until: None,
        }
    }

    pub fn group(rule: Rule, endpoint: Option<&str>, alerts: Vec<Alert>) -> AlertGroup {
        AlertGroup {
            rule,
            endpoint: endpoint.map(String::from),
            alerts,
        }
    }

    fn board(groups: Vec<AlertGroup>) -> AlertBoard {
        let mut board = AlertBoard::default();
        let endpoints = groups
            .iter()
            .flat_map(|g| {
                g.alerts
                    .iter()
                    .filter_map(|a| Some((a.backend.clone(), g.endpoint.clone()?)))
            })
            .collect();
        board.loaded(groups, Vec::new(), endpoints);
        board
    }

    #[test]
    fn silenced_alerts_are_not_counted_nor_marked() {
        let mut quiet = alert("b", Rule::Down, -60);
        quiet.silenced_until = Some(at(3_600));
        let mut over = alert("c", Rule::Down, -60);
        over.silenced_until = Some(at(-1));
        let board = board(vec![
            group(
                Rule::Down,
                Some("h:1"),
                vec![alert("a", Rule::Down, -60), quiet],
            ),
            group(Rule::Down, None, vec![over]),
        ]);
        assert_eq!(board.active_count(NOW), 2, "b is silenced for an hour");
        assert_eq!(board.active_count(NOW + 3_601), 3, "and then it counts");
        let stats = |id: &str| BackendStats {
            id: id.into(),
            alerts: vec![AlertBrief {
                rule: "down".into(),
                message: String::new(),
                since: at(-60),
            }],
            ..BackendStats::default()
        };
        assert!(board.in_alert(&stats("a"), NOW));
        assert!(!board.in_alert(&stats("b"), NOW));
        assert!(board.in_alert(&stats("c"), NOW), "its silence is over");
        assert!(
            board.in_alert(&stats("new"), NOW),
            "an alert not loaded yet is not silenced"
        );
        assert!(!board.in_alert(&BackendStats::default(), NOW));
    }

    #[test]
    fn one_load_at_a_time_and_one_more_when_asked_meanwhile() {
        let mut board = AlertBoard::default();
        assert!(board.request_load());
        assert!(!board.request_load());
        assert!(!board.request_load());
        let answer = board.loaded(Vec::new(), Vec::new(), HashMap::new());
        assert_eq!(
            answer,
            Loaded {
                changed: false,
                again: true
            }
        );
        let answer = board.loaded(Vec::new(), Vec::new(), HashMap::new());
        assert!(!answer.again);
        assert!(board.request_load());
    }

    #[test]
    fn closed_alerts_most_recent_first_and_bounded() {
        let mut board = AlertBoard::default();
        let alerts: Vec<Alert> = (0..(CLOSED_LIMIT as i64 + 10))
            .map(|i| Alert {
                cleared_at: Some(at(-i * 7 % 100)),
                closed: Some(Closed::Recovered),
                ..alert(&format!("b{i}"), Rule::Quota, -1_000)
            })
            .chain([alert("active", Rule::Down, -5)])
            .collect();
        let answer = board.loaded(Vec::new(), alerts, HashMap::new());
        assert!(answer.changed);
        assert_eq!(board.closed().len(), CLOSED_LIMIT);
        let times: Vec<i64> = board
            .closed()
            .iter()
            .map(|a| millis(a.cleared_at.as_deref().unwrap()).unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
        assert!(board.closed().iter().all(|a| a.backend != "active"));
    }

    #[test]
    fn a_flood_is_one_line_within_its_window() {
        let mut board = board(vec![group(
            Rule::Down,
            Some("10.0.0.5:3900"),
            vec![alert("x", Rule::Down, -600)],
        )]);
        for id in ["a", "b", "c", "d"] {
            board.endpoints.insert(id.into(), "10.0.0.5:3900".into());
        }
        let ms = |s: i64| (NOW + s) * 1000;
        assert_eq!(
            board.join_flood(&alert("a", Rule::Down, 0), None, ms(0)),
            None
        );
        board.flood_started(&alert("a", Rule::Down, 0), None, ms(0), 7);
        let (line, text) = board
            .join_flood(&alert("b", Rule::Down, 1), None, ms(1))
            .unwrap();
        assert_eq!(
            (line, text.as_str()),
            (7, "down: 2 backends at 10.0.0.5:3900 (a, b)")
        );
        board.join_flood(&alert("d", Rule::Down, 3), None, ms(3));
        let (_, text) = board
            .join_flood(&alert("c", Rule::Down, 5), None, ms(5))
            .unwrap();
        assert_eq!(
            text, "down: 4 backends at 10.0.0.5:3900 (a, b, c, …)",
            "named in order, whichever came first"
        );
        // Another rule, a closing, or too late: not this flood.
        assert_eq!(
            board.join_flood(&alert("a", Rule::Quota, 5), None, ms(5)),
            None
        );
        assert_eq!(
            board.join_flood(&alert("a", Rule::Down, 5), Some(Closed::Recovered), ms(5)),
            None
        );
        assert_eq!(
            board.join_flood(&alert("x", Rule::Down, 9), None, ms(9)),
            None
        );
        // A backend with no known endpoint never joins one.
        assert_eq!(
            board.join_flood(&alert("zz", Rule::Down, 5), None, ms(5)),
            None
        );
    }

    #[test]
    fn closing_floods_say_how_they_closed() {
        let mut board = AlertBoard::default();
        board.endpoints.insert("a".into(), "h:1".into());
        board.endpoints.insert("b".into(), "h:1".into());
        board.flood_started(&alert("a", Rule::Down, 0), Some(Closed::Removed), 0, 1);
        let (_, text) = board
            .join_flood(&alert("b", Rule::Down, 0), Some(Closed::Removed), 500)
            .unwrap();
        assert_eq!(
            text,
            "closed: backend removed: down: 2 backends at h:1 (a, b)"
        );
    }
}
