//! Alerts: a quota at or above `quota_alert_percent`, a backend down for 3 polls, an error rate
//! above 20% over the window. Each is raised once per episode and cleared on recovery.

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
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub backend: String,
    pub rule: Rule,
    pub message: String,
    pub raised_at: String,
    pub cleared_at: Option<String>,
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

    /// Clears every alert of a backend that was removed or disabled.
    pub fn clear_backend(&mut self, id: &str, now: &str) -> Vec<Change> {
        let mut changes = Vec::new();
        for rule in [Rule::Quota, Rule::Down, Rule::ErrorRate] {
            self.set(id, rule, None, now, &mut changes);
        }
        changes
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
                };
                self.active.insert(key, alert.clone());
                self.log.push_back(alert.clone());
                if self.log.len() > LOG_LIMIT {
                    self.log.pop_front();
                }
                changes.push(Change::Raised(alert));
            }
            (None, true) => {
                if let Some(mut alert) = self.active.remove(&key) {
                    alert.cleared_at = Some(now.to_string());
                    // The log holds the raised copy: mark it cleared in place.
                    if let Some(logged) = self.log.iter_mut().rev().find(|a| {
                        a.backend == alert.backend && a.rule == rule && a.cleared_at.is_none()
                    }) {
                        logged.cleared_at = alert.cleared_at.clone();
                    }
                    changes.push(Change::Cleared(alert));
                }
            }
            _ => {}
        }
    }
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
}
