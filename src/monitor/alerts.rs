//! Alerts: a quota at or above `quota_alert_percent`, a backend down for 3 polls, credentials
//! rejected (at once: waiting for three polls at the backoff cap would take ten minutes), an
//! error rate above 20% over the window. Each is raised once per episode and closed on
//! recovery, or when its backend is removed or disabled (said as such, not as a recovery). An
//! operator may acknowledge an active alert, or silence it for a while.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::stats::BackendStats;

/// Alerts kept (active and cleared) in `metadata/alerts.json`.
pub const LOG_LIMIT: usize = 500;
/// Above this share of failed polls the error-rate alert is raised.
pub const ERROR_RATE_LIMIT: f64 = 0.2;
/// The error rate means nothing over fewer polls than this.
pub const ERROR_RATE_MIN_POLLS: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Quota,
    Down,
    ErrorRate,
    Credentials,
}

impl Rule {
    pub const ALL: [Rule; 4] = [Rule::Quota, Rule::Down, Rule::ErrorRate, Rule::Credentials];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Quota => "quota",
            Rule::Down => "down",
            Rule::ErrorRate => "error_rate",
            Rule::Credentials => "credentials",
        }
    }
}

/// Why an alert is no longer active.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Closed {
    /// Its condition no longer holds.
    Recovered,
    /// Its backend was removed.
    Removed,
    /// Its backend was switched off.
    Disabled,
}

impl Closed {
    pub fn as_str(self) -> &'static str {
        match self {
            Closed::Recovered => "cleared",
            Closed::Removed => "closed: backend removed",
            Closed::Disabled => "closed: backend disabled",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub backend: String,
    pub rule: Rule,
    pub message: String,
    pub raised_at: String,
    pub cleared_at: Option<String>,
    /// Why it was closed (absent in records written before this was kept: a recovery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<Closed>,
    /// When an operator acknowledged it (it stays active until its condition ends).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<String>,
    /// Until when an operator silenced it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silenced_until: Option<String>,
}

impl Alert {
    /// Whether it is silenced at `now` (RFC 3339 timestamps compare as instants).
    pub fn is_silenced(&self, now: &chrono::DateTime<chrono::FixedOffset>) -> bool {
        self.silenced_until
            .as_deref()
            .and_then(crate::store::timestamp::parse)
            .is_some_and(|until| until > *now)
    }
}

/// What one evaluation changed.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Raised(Alert),
    Cleared(Alert),
}

/// The facts about one backend that the rules look at.
pub struct Facts<'a> {
    pub stats: &'a BackendStats,
    pub consecutive_failures: u32,
    pub error_rate: (f64, usize),
    pub quota_alert_percent: u64,
    /// The last poll's answer was "credentials rejected".
    pub credentials_rejected: bool,
}

#[derive(Debug, Default)]
pub struct Alerts {
    active: BTreeMap<(String, Rule), Alert>,
    log: VecDeque<Alert>,
}

impl Alerts {
    /// Restores from what `to_records` wrote: active alerts stay active.
    pub fn from_records(records: Vec<Alert>) -> Alerts {
        let mut alerts = Alerts::default();
        for alert in records {
            if alert.cleared_at.is_none() {
                alerts
                    .active
                    .insert((alert.backend.clone(), alert.rule), alert.clone());
            }
            alerts.log.push_back(alert);
        }
        while alerts.log.len() > LOG_LIMIT {
            alerts.log.pop_front();
        }
        alerts
    }

    /// Every alert kept, oldest first, with the current state of active ones.
    pub fn to_records(&self) -> Vec<Alert> {
        self.log.iter().cloned().collect()
    }

    pub fn active(&self) -> impl Iterator<Item = &Alert> {
        self.active.values()
    }

    /// Applies the rules to one backend's latest facts.
    pub fn evaluate(&mut self, facts: &Facts<'_>, now: &str) -> Vec<Change> {
        let id = &facts.stats.id;
        let mut changes = Vec::new();
        let quota = quota_percent(facts.stats);
        let threshold = facts.quota_alert_percent as f64;
        self.set(
            id,
            Rule::Quota,
            quota
                .filter(|p| *p >= threshold)
                .map(|p| format!("quota {p:.1}% full (alert at {threshold:.0}%)")),
            now,
            &mut changes,
        );
        self.set(
            id,
            Rule::Down,
            (facts.consecutive_failures >= super::schedule::RETRY_BUDGET).then(|| {
                format!(
                    "down for {} polls: {}",
                    facts.consecutive_failures,
                    facts.stats.health.message.as_deref().unwrap_or("no answer")
                )
            }),
            now,
            &mut changes,
        );
        self.set(
            id,
            Rule::Credentials,
            facts.credentials_rejected.then(|| {
                format!(
                    "credentials rejected: {}",
                    facts
                        .stats
                        .health
                        .message
                        .as_deref()
                        .unwrap_or("by the backend")
                )
            }),
            now,
            &mut changes,
        );
        let (rate, polls) = facts.error_rate;
        // Over too few polls (just after a start) the rate says nothing: leave the alert as is.
        if polls >= ERROR_RATE_MIN_POLLS {
            self.set(
                id,
                Rule::ErrorRate,
                (rate > ERROR_RATE_LIMIT)
                    .then(|| format!("{:.0}% of the last {polls} polls failed", rate * 100.0)),
                now,
                &mut changes,
            );
        }
        changes
    }

    /// Closes every alert of a backend that was removed or disabled, saying which.
    pub fn close_backend(&mut self, id: &str, now: &str, why: Closed) -> Vec<Change> {
        let mut changes = Vec::new();
        for rule in Rule::ALL {
            self.close(id, rule, now, why, &mut changes);
        }
        changes
    }

    /// The active alerts of one backend.
    pub fn of_backend<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Alert> + 'a {
        self.active.values().filter(move |a| a.backend == id)
    }

    /// Marks an active alert acknowledged; false if there is no such active alert.
    pub fn acknowledge(&mut self, id: &str, rule: Rule, now: &str) -> bool {
        self.update_active(id, rule, |alert| {
            alert.acknowledged_at = Some(now.to_string());
        })
    }

    /// Silences an active alert until `until`; false if there is no such active alert.
    pub fn silence(&mut self, id: &str, rule: Rule, until: &str) -> bool {
        self.update_active(id, rule, |alert| {
            alert.silenced_until = Some(until.to_string());
        })
    }

    fn update_active(&mut self, id: &str, rule: Rule, change: impl Fn(&mut Alert)) -> bool {
        let Some(alert) = self.active.get_mut(&(id.to_string(), rule)) else {
            return false;
        };
        change(alert);
        if let Some(logged) = self
            .log
            .iter_mut()
            .rev()
            .find(|a| a.backend == id && a.rule == rule && a.cleared_at.is_none())
        {
            change(logged);
        }
        true
    }

    fn close(&mut self, id: &str, rule: Rule, now: &str, why: Closed, changes: &mut Vec<Change>) {
        if let Some(mut alert) = self.active.remove(&(id.to_string(), rule)) {
            alert.cleared_at = Some(now.to_string());
            alert.closed = Some(why);
            // The log holds the raised copy: mark it closed in place.
            if let Some(logged) =
                self.log.iter_mut().rev().find(|a| {
                    a.backend == alert.backend && a.rule == rule && a.cleared_at.is_none()
                })
            {
                logged.cleared_at = alert.cleared_at.clone();
                logged.closed = Some(why);
            }
            changes.push(Change::Cleared(alert));
        }
    }

    /// Raises the alert if `condition` holds and it is not active; clears it if it is active and
    /// the condition no longer holds. Otherwise nothing: one raise, one clear per episode.
    fn set(
        &mut self,
        id: &str,
        rule: Rule,
        condition: Option<String>,
        now: &str,
        changes: &mut Vec<Change>,
    ) {
        let key = (id.to_string(), rule);
        match (condition, self.active.contains_key(&key)) {
            (Some(message), false) => {
                let alert = Alert {
                    backend: id.to_string(),
                    rule,
                    message,
                    raised_at: now.to_string(),
                    cleared_at: None,
                    closed: None,
                    acknowledged_at: None,
                    silenced_until: None,
                };
                self.active.insert(key, alert.clone());
                self.log.push_back(alert.clone());
                if self.log.len() > LOG_LIMIT {
                    self.log.pop_front();
                }
                changes.push(Change::Raised(alert));
            }
            (None, true) => self.close(id, rule, now, Closed::Recovered, changes),
            _ => {}
        }
    }
}

/// The alerts one poll alone shows (what `status` reports without a running monitor): quota
/// over the threshold, credentials rejected, down (the poll already tried its liveness call
/// three times). The error rate needs a window of polls and is left out.
pub fn of_one_poll(
    stats: &BackendStats,
    quota_alert_percent: u64,
    credentials_rejected: bool,
) -> Vec<crate::stats::AlertBrief> {
    let mut alerts = Alerts::default();
    let now = stats.health.checked_at.clone().unwrap_or_default();
    let down = stats.enabled && stats.health.status == crate::stats::HealthStatus::Down;
    alerts.evaluate(
        &Facts {
            stats,
            consecutive_failures: if down {
                super::schedule::RETRY_BUDGET
            } else {
                0
            },
            error_rate: (0.0, 0),
            quota_alert_percent,
            credentials_rejected,
        },
        &now,
    );
    alerts
        .active()
        .map(|a| crate::stats::AlertBrief {
            rule: a.rule.as_str().to_string(),
            message: a.message.clone(),
            since: a.raised_at.clone(),
        })
        .collect()
}

/// The fuller of bytes and objects against their limits, in percent; unknown without a limit.
fn quota_percent(stats: &BackendStats) -> Option<f64> {
    let bytes = crate::stats::percent(stats.quota.used, stats.quota.limit);
    let objects = crate::stats::percent(stats.quota.objects_used, stats.quota.objects_limit);
    match (bytes, objects) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Quota, QuotaSource};

    fn stats(used: u64) -> BackendStats {
        BackendStats {
            id: "b".into(),
            quota: Quota::bytes(Some(100), Some(used), QuotaSource::Soft),
            ..BackendStats::default()
        }
    }

    fn evaluate(
        alerts: &mut Alerts,
        stats: &BackendStats,
        failures: u32,
        rate: (f64, usize),
    ) -> Vec<Change> {
        alerts.evaluate(
            &Facts {
                stats,
                consecutive_failures: failures,
                error_rate: rate,
                quota_alert_percent: 90,
                credentials_rejected: false,
            },
            "now",
        )
    }

    #[test]
    fn raised_once_and_cleared_once_per_episode() {
        let mut alerts = Alerts::default();
        assert!(evaluate(&mut alerts, &stats(50), 0, (0.0, 10)).is_empty());
        let raised = evaluate(&mut alerts, &stats(95), 0, (0.0, 10));
        assert!(matches!(&raised[..], [Change::Raised(a)] if a.rule == Rule::Quota));
        assert!(
            evaluate(&mut alerts, &stats(97), 0, (0.0, 10)).is_empty(),
            "still full: no second raise"
        );
        let cleared = evaluate(&mut alerts, &stats(10), 0, (0.0, 10));
        assert!(matches!(&cleared[..], [Change::Cleared(a)] if a.cleared_at.is_some()));
        assert!(evaluate(&mut alerts, &stats(10), 0, (0.0, 10)).is_empty());
        assert_eq!(alerts.to_records().len(), 1);
        assert!(alerts.to_records()[0].cleared_at.is_some());
    }

    #[test]
    fn down_after_the_retry_budget_and_error_rate() {
        let mut alerts = Alerts::default();
        let s = stats(0);
        assert!(evaluate(&mut alerts, &s, 2, (0.1, 10)).is_empty());
        let changes = evaluate(&mut alerts, &s, 3, (0.3, 10));
        let rules: Vec<Rule> = changes
            .iter()
            .map(|c| match c {
                Change::Raised(a) => a.rule,
                Change::Cleared(a) => a.rule,
            })
            .collect();
        assert_eq!(rules, vec![Rule::Down, Rule::ErrorRate]);
        assert!(evaluate(&mut alerts, &s, 4, (0.4, 10)).is_empty());
        assert_eq!(
            evaluate(&mut alerts, &s, 0, (0.25, 10)).len(),
            1,
            "down clears, error rate stays"
        );
        assert!(
            evaluate(&mut alerts, &s, 0, (0.0, 3)).is_empty(),
            "too few polls: left as it is"
        );
        assert_eq!(
            evaluate(&mut alerts, &s, 0, (0.1, 10)).len(),
            1,
            "enough polls, low rate: cleared"
        );
    }

    #[test]
    fn records_round_trip_keeps_active_alerts() {
        let mut alerts = Alerts::default();
        evaluate(&mut alerts, &stats(99), 0, (0.0, 0));
        let restored = Alerts::from_records(alerts.to_records());
        assert_eq!(restored.active().count(), 1);
        let mut restored = restored;
        assert!(
            evaluate(&mut restored, &stats(99), 0, (0.0, 0)).is_empty(),
            "no second raise after a restart"
        );
    }

    #[test]
    fn credentials_rejected_raise_at_once() {
        let mut alerts = Alerts::default();
        let mut rejected = stats(0);
        rejected.health.message = Some("credentials rejected (HTTP 403)".into());
        let changes = alerts.evaluate(
            &Facts {
                stats: &rejected,
                consecutive_failures: 1,
                error_rate: (1.0, 1),
                quota_alert_percent: 90,
                credentials_rejected: true,
            },
            "now",
        );
        assert!(
            matches!(&changes[..], [Change::Raised(a)] if a.rule == Rule::Credentials && a.message.contains("HTTP 403")),
            "{changes:?}"
        );
    }

    #[test]
    fn removal_and_disable_close_alerts_as_such_not_as_recoveries() {
        let mut alerts = Alerts::default();
        evaluate(&mut alerts, &stats(99), 3, (0.0, 0));
        assert_eq!(alerts.of_backend("b").count(), 2);
        let closed = alerts.close_backend("b", "later", Closed::Removed);
        assert_eq!(closed.len(), 2);
        for change in &closed {
            let Change::Cleared(alert) = change else {
                panic!("{change:?}")
            };
            assert_eq!(alert.closed, Some(Closed::Removed));
        }
        assert!(alerts
            .to_records()
            .iter()
            .all(|a| a.closed == Some(Closed::Removed)));
        // A recovery says so.
        evaluate(&mut alerts, &stats(99), 0, (0.0, 0));
        let recovered = evaluate(&mut alerts, &stats(1), 0, (0.0, 0));
        assert!(
            matches!(&recovered[..], [Change::Cleared(a)] if a.closed == Some(Closed::Recovered))
        );
    }

    #[test]
    fn acknowledge_and_silence_are_kept_across_a_restart() {
        let mut alerts = Alerts::default();
        evaluate(&mut alerts, &stats(99), 0, (0.0, 0));
        assert!(alerts.acknowledge("b", Rule::Quota, "2026-11-24T10:00:00+00:00"));
        assert!(alerts.silence("b", Rule::Quota, "2999-01-01T00:00:00+00:00"));
        assert!(
            !alerts.acknowledge("b", Rule::Down, "x"),
            "no such active alert"
        );
        let restored = Alerts::from_records(alerts.to_records());
        let alert = restored.active().next().expect("still active");
        assert_eq!(
            alert.acknowledged_at.as_deref(),
            Some("2026-11-24T10:00:00+00:00")
        );
        let now = crate::store::timestamp::parse("2026-11-24T10:00:00+00:00").expect("ts");
        assert!(alert.is_silenced(&now));
    }

    #[test]
    fn one_poll_shows_quota_down_and_credentials() {
        let mut full = stats(95);
        full.enabled = true;
        full.health.status = crate::stats::HealthStatus::Down;
        let alerts = of_one_poll(&full, 90, true);
        let rules: Vec<&str> = alerts.iter().map(|a| a.rule.as_str()).collect();
        assert_eq!(rules, ["quota", "down", "credentials"]);
    }
}
