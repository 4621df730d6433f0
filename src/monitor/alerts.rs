//! Alerts: a quota or a filesystem at or above `quota_alert_percent`, either of them full (no
//! room left: an error state of its own), a backend down for 3 polls, credentials rejected (at
//! once), an error rate above 20% over the window (held while the backend is down: one outage
//! is one alert, and the outage's failed polls do not count towards it afterwards). Each is
//! raised once per episode and closed on recovery, or when its backend is removed or disabled
//! (said as such, not as a recovery); while active, its message follows the figure it
//! describes. An operator may acknowledge an active alert, or silence it for a while.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::stats::BackendStats;

/// Alerts kept (active and cleared) in `metadata/alerts.json`.
pub const LOG_LIMIT: usize = 500;
/// The error rate means nothing over fewer polls than this.
pub const ERROR_RATE_MIN_POLLS: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A quota (enforced, soft, or Kubo's GC threshold) at or above `quota_alert_percent`.
    Quota,
    /// A filesystem (or a remote's space) at or above `quota_alert_percent`.
    Capacity,
    /// The forecast reaches a limit within `forecast_alert_hours`.
    Filling,
    /// A filesystem or an enforced or soft quota with no room left.
    Full,
    Down,
    ErrorRate,
    Credentials,
}

impl Rule {
    pub const ALL: [Rule; 7] = [
        Rule::Quota,
        Rule::Capacity,
        Rule::Filling,
        Rule::Full,
        Rule::Down,
        Rule::ErrorRate,
        Rule::Credentials,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Quota => "quota",
            Rule::Capacity => "capacity",
            Rule::Filling => "filling",
            Rule::Full => "full",
            Rule::Down => "down",
            Rule::ErrorRate => "error_rate",
            Rule::Credentials => "credentials",
        }
    }

    /// The rule named `name` as `as_str` writes it.
    pub fn parse(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|rule| rule.as_str() == name)
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
    /// An active alert's message now says its figure as it is (kept, not announced).
    Updated(Alert),
}

/// The facts about one backend that the rules look at.
pub struct Facts<'a> {
    pub stats: &'a BackendStats,
    pub consecutive_failures: u32,
    pub error_rate: (f64, usize),
    pub quota_alert_percent: u64,
    /// Above this share of failed polls (0–1) the error-rate alert is raised.
    pub error_rate_limit: f64,
    /// A forecast that reaches its limit within this many seconds raises `filling`.
    pub forecast_alert_secs: u64,
    /// Unix seconds now (the forecast's time to full is counted from it).
    pub now_unix: u64,
    /// The last poll's answer was "credentials rejected" (by the liveness call: down; by
    /// another call, for a monitoring-only credential: degraded).
    pub credentials_rejected: bool,
    /// The backend is in a maintenance window: no alert is raised (held: a condition still
    /// true when the window ends is raised then); active ones still follow their figure and
    /// clear when it recovers.
    pub in_maintenance: bool,
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
        let stats = facts.stats;
        let mut changes = Vec::new();
        let threshold = facts.quota_alert_percent as f64;
        let full = full_alert(stats);
        let held = facts.in_maintenance;
        // Full says more than "filling": a store that goes straight to full (a copy that filled
        // it within one poll) is one alert, `full`. A filling alert raised before stays, its
        // message following its figure; none is raised while full.
        let raise = full.is_none() && !held;
        let quota = quota_alert(stats, threshold);
        let capacity = capacity_alert(stats, threshold);
        self.set_maybe_raising(id, Rule::Quota, quota, raise, now, &mut changes);
        self.set_maybe_raising(id, Rule::Capacity, capacity, raise, now, &mut changes);
        // With too little history (just after a deletion, or a start) the forecast says
        // nothing: a filling alert is neither raised nor cleared on it.
        if let Some(filling) = filling_alert(
            facts,
            self.active.contains_key(&(id.clone(), Rule::Filling)),
        ) {
            self.set_maybe_raising(id, Rule::Filling, filling, raise, now, &mut changes);
        }
        self.set_maybe_raising(id, Rule::Full, full, !held, now, &mut changes);
        let down = facts.consecutive_failures >= super::schedule::RETRY_BUDGET;
        self.set_maybe_raising(
            id,
            Rule::Down,
            down.then(|| {
                format!(
                    "down: {}",
                    stats.health.message.as_deref().unwrap_or("no answer")
                )
            }),
            !held,
            now,
            &mut changes,
        );
        self.set_maybe_raising(
            id,
            Rule::Credentials,
            facts.credentials_rejected.then(|| {
                format!(
                    "credentials rejected: {}",
                    stats.health.message.as_deref().unwrap_or("by the backend")
                )
            }),
            !held,
            now,
            &mut changes,
        );
        let (rate, polls) = facts.error_rate;
        // While the backend is down, that is the one alert of its outage: the error rate is
        // held (neither raised nor cleared), and the outage's polls do not count towards it.
        // Over too few polls (just after a start) the rate says nothing: left as it is.
        if !down && polls >= ERROR_RATE_MIN_POLLS {
            self.set_maybe_raising(
                id,
                Rule::ErrorRate,
                (rate > facts.error_rate_limit)
                    .then(|| format!("{:.0}% of the last {polls} polls failed", rate * 100.0)),
                !held,
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

    /// `set`, except that an alert not active is not raised when `raise` is false (held).
    fn set_maybe_raising(
        &mut self,
        id: &str,
        rule: Rule,
        condition: Option<String>,
        raise: bool,
        now: &str,
        changes: &mut Vec<Change>,
    ) {
        if raise || self.active.contains_key(&(id.to_string(), rule)) {
            self.set(id, rule, condition, now, changes);
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
            (Some(message), true) => {
                let unchanged = self
                    .active
                    .get(&key)
                    .is_some_and(|alert| alert.message == message);
                if !unchanged
                    && self.update_active(id, rule, |alert| alert.message = message.clone())
                {
                    if let Some(alert) = self.active.get(&key) {
                        changes.push(Change::Updated(alert.clone()));
                    }
                }
            }
            (None, false) => {}
        }
    }
}

/// The alerts one poll alone shows (what `status` reports without a running monitor): quota
/// over the threshold, credentials rejected, down (the poll already tried its liveness call
/// three times), filling (from the forecast the stats carry). The error rate needs a window of
/// polls and is left out.
pub fn of_one_poll(
    stats: &BackendStats,
    thresholds: &crate::store::Thresholds,
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
            quota_alert_percent: thresholds.quota_alert_percent,
            error_rate_limit: thresholds.error_rate_alert_percent as f64 / 100.0,
            forecast_alert_secs: thresholds.forecast_alert_hours.saturating_mul(3_600),
            now_unix: super::state::unix_now(),
            credentials_rejected,
            in_maintenance: false,
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

/// The filling alert's condition: `Some(Some(message))` to raise (or keep), `Some(None)` to
/// clear, `None` to leave it as it is (too little history to say). Once raised it clears only
/// when the projection moves past one and a half times the threshold (or stops filling), so
/// that a forecast wavering around the threshold is one alert, not one an hour.
fn filling_alert(facts: &Facts<'_>, active: bool) -> Option<Option<String>> {
    use crate::stats::forecast::OutlookKind;
    let forecast = facts.stats.forecast.as_ref()?;
    let threshold = facts.forecast_alert_secs;
    match forecast.outlook {
        OutlookKind::TooLittleHistory => None,
        OutlookKind::NotFilling => Some(None),
        OutlookKind::Filling => {
            let full_at = forecast.full_at_unix()?;
            let left = full_at.saturating_sub(facts.now_unix);
            let bound = if active {
                threshold.saturating_add(threshold / 2)
            } else {
                threshold
            };
            if threshold == 0 || left > bound {
                return Some(None);
            }
            let rate = forecast.rate_bytes_per_sec.unwrap_or(0.0);
            Some(Some(format!(
                "filling: full in ~{} at {} against {} {} (alert under {}h)",
                crate::stats::forecast::time_to_full_label(full_at, facts.now_unix),
                crate::stats::forecast::rate_words(rate, Some(left)),
                forecast.limit_source.as_str(),
                crate::text::bytes(forecast.limit_bytes),
                threshold / 3_600
            )))
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

/// ` (as of 2026-12-07 14:02)` after a figure kept from an earlier read: an alert's message
/// must not pass an hour-old count off as the present.
fn as_of_suffix(as_of: Option<&str>) -> String {
    as_of
        .and_then(crate::store::timestamp::parse)
        .map(|at| format!(" (as of {})", crate::store::timestamp::local_minute(&at)))
        .unwrap_or_default()
}

/// A quota at or above the threshold, said with its figures.
fn quota_alert(stats: &BackendStats, threshold: f64) -> Option<String> {
    let percent = quota_percent(stats).filter(|p| *p >= threshold)?;
    let quota = &stats.quota;
    let what = match quota.source {
        Some(crate::stats::QuotaSource::GcThreshold) => "GC threshold",
        Some(crate::stats::QuotaSource::Soft) => "soft quota",
        _ => "quota",
    };
    let figures = match (quota.used, quota.limit) {
        (Some(used), Some(limit)) => format!(
            ": {} of {}",
            crate::text::bytes(used),
            crate::text::bytes(limit)
        ),
        _ => match (quota.objects_used, quota.objects_limit) {
            (Some(used), Some(limit)) => format!(": {used} of {limit} objects"),
            _ => String::new(),
        },
    };
    Some(format!(
        "{what} {percent:.1}% used{figures} (alert at {threshold:.0}%){}",
        as_of_suffix(quota.as_of.as_deref())
    ))
}

/// A filesystem (or a remote's space) at or above the threshold, said with what is free.
fn capacity_alert(stats: &BackendStats, threshold: f64) -> Option<String> {
    let storage = &stats.storage;
    let percent = storage.usage_percent.filter(|p| *p >= threshold)?;
    let free = storage
        .available
        .map(|free| format!(": {} free", crate::text::bytes(free)))
        .unwrap_or_default();
    Some(format!(
        "capacity {percent:.1}% used{free} (alert at {threshold:.0}%){}",
        as_of_suffix(storage.as_of.as_deref())
    ))
}

/// No room left: a filesystem at 100% or with less free than a write check needs, or a quota
/// (enforced, or soft: the operator's own limit) reached. Kubo's GC threshold is not a limit
/// writes meet (the repo grows past it), so it never makes a backend full.
fn full_alert(stats: &BackendStats) -> Option<String> {
    let storage = &stats.storage;
    // What is free decides when it is known (a percentage rounded up as `df` does reads 100%
    // with a few kilobytes left); else a percentage of 100.
    let no_room = match storage.available {
        Some(free) => free < crate::stats::FILESYSTEM_ROOM_BYTES,
        None => storage.usage_percent.is_some_and(|p| p >= 100.0),
    };
    if no_room {
        let free = storage.available.map(crate::text::bytes);
        let of = storage
            .used
            .zip(storage.available)
            .and_then(|(used, free)| used.checked_add(free))
            .map(|usable| format!(" of {} usable", crate::text::bytes(usable)));
        return Some(format!(
            "full: {} free{}{}",
            free.unwrap_or_else(|| "nothing".into()),
            of.unwrap_or_default(),
            as_of_suffix(storage.as_of.as_deref())
        ));
    }
    let quota = &stats.quota;
    if quota.source == Some(crate::stats::QuotaSource::GcThreshold) {
        return None;
    }
    let what = match quota.source {
        Some(crate::stats::QuotaSource::Soft) => "soft quota",
        _ => "quota",
    };
    let suffix = as_of_suffix(quota.as_of.as_deref());
    if let (Some(used), Some(limit)) = (quota.used, quota.limit) {
        // A quota counts an object's bytes: full when the write check's object would not fit.
        if limit.saturating_sub(used) < crate::stats::WRITE_CHECK_BYTES {
            let percent = crate::stats::percent(Some(used), Some(limit))
                .map(|p| format!(" ({p:.1}%)"))
                .unwrap_or_default();
            return Some(format!(
                "{what} full: {} of {}{percent}{suffix}",
                crate::text::bytes(used),
                crate::text::bytes(limit)
            ));
        }
    }
    if let (Some(used), Some(limit)) = (quota.objects_used, quota.objects_limit) {
        if used >= limit {
            return Some(format!("{what} full: {used} of {limit} objects{suffix}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{Quota, QuotaSource};

    const MIB: u64 = 1024 * 1024;
    const THRESHOLDS: crate::store::Thresholds = crate::store::Thresholds {
        quota_alert_percent: 90,
        error_rate_alert_percent: 20,
        forecast_alert_hours: 24,
    };

    /// A healthy backend whose forecast says full at `full_at` (or not filling).
    fn forecasting(outlook: crate::stats::forecast::Outlook) -> BackendStats {
        let mut stats = stats(0);
        stats.forecast = Some(crate::stats::forecast::ForecastReport::new(
            outlook,
            64 * MIB,
            crate::stats::forecast::LimitSource::Capacity,
        ));
        stats
    }

    fn judge_forecast(alerts: &mut Alerts, stats: &BackendStats, now_unix: u64) -> Vec<Change> {
        alerts.evaluate(
            &Facts {
                stats,
                consecutive_failures: 0,
                error_rate: (0.0, 0),
                quota_alert_percent: 90,
                error_rate_limit: 0.2,
                forecast_alert_secs: 24 * 3_600,
                now_unix,
                credentials_rejected: false,
                in_maintenance: false,
            },
            "now",
        )
    }

    #[test]
    fn filling_is_raised_under_the_threshold_once_and_cleared_well_past_it() {
        use crate::stats::forecast::{Forecast, LimitSource, Outlook};
        let now = 1_800_000_000;
        let at = |hours: u64| {
            forecasting(Outlook::Filling(Forecast {
                full_at: now + hours * 3_600,
                rate_bytes_per_sec: 1_000.0,
                window_secs: 3_600,
                limit_source: LimitSource::Capacity,
            }))
        };
        let mut alerts = Alerts::default();
        assert!(
            judge_forecast(&mut alerts, &at(30), now).is_empty(),
            "30 h away: quiet"
        );
        let raised = judge_forecast(&mut alerts, &at(20), now);
        assert!(
            matches!(&raised[..], [Change::Raised(a)] if a.rule == Rule::Filling
                && a.message.contains("full in ~20h") && a.message.contains("capacity 64 MiB")),
            "{raised:?}"
        );
        // Wavering just past the threshold keeps the one alert; well past it clears it.
        assert!(!judge_forecast(&mut alerts, &at(30), now)
            .iter()
            .any(|c| matches!(c, Change::Cleared(_) | Change::Raised(_))));
        let cleared = judge_forecast(&mut alerts, &at(40), now);
        assert!(matches!(&cleared[..], [Change::Cleared(a)] if a.rule == Rule::Filling));
        // Too little history says nothing: an active alert stays, none is raised.
        judge_forecast(&mut alerts, &at(2), now);
        let little = forecasting(Outlook::TooLittleHistory);
        assert!(judge_forecast(&mut alerts, &little, now).is_empty());
        assert_eq!(alerts.active().count(), 1);
        let flat = forecasting(Outlook::NotFilling {
            rate_bytes_per_sec: 0.0,
        });
        let cleared = judge_forecast(&mut alerts, &flat, now);
        assert!(matches!(&cleared[..], [Change::Cleared(a)] if a.rule == Rule::Filling));
    }

    #[test]
    fn a_filling_backend_is_a_warning_and_a_full_one_is_not_also_filling() {
        use crate::stats::forecast::{Forecast, LimitSource, Outlook};
        let now = 1_800_000_000;
        let mut stats = forecasting(Outlook::Filling(Forecast {
            full_at: now,
            rate_bytes_per_sec: 1_000.0,
            window_secs: 600,
            limit_source: LimitSource::Capacity,
        }));
        stats.health.status = crate::stats::HealthStatus::Healthy;
        let mut alerts = Alerts::default();
        judge_forecast(&mut alerts, &stats, now);
        let briefs: Vec<_> = alerts
            .active()
            .map(|a| crate::stats::AlertBrief {
                rule: a.rule.as_str().into(),
                message: a.message.clone(),
                since: a.raised_at.clone(),
            })
            .collect();
        stats.set_alerts(briefs);
        assert_eq!(stats.health.status, crate::stats::HealthStatus::Warning);
        // Full at once: the one alert is `full`.
        let mut full = forecasting(Outlook::Filling(Forecast {
            full_at: now,
            rate_bytes_per_sec: 1_000.0,
            window_secs: 600,
            limit_source: LimitSource::Capacity,
        }));
        full.storage = crate::stats::Storage::filesystem(Some(64 * MIB), Some(64 * MIB), Some(0));
        let mut alerts = Alerts::default();
        let changes = judge_forecast(&mut alerts, &full, now);
        assert!(
            matches!(&changes[..], [Change::Raised(a)] if a.rule == Rule::Full),
            "{changes:?}"
        );
    }

    /// A backend with a soft quota of 100 MiB, `used` MiB of it used.
    fn stats(used: u64) -> BackendStats {
        BackendStats {
            id: "b".into(),
            quota: Quota::bytes(Some(100 * MIB), Some(used * MIB), QuotaSource::Soft),
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
                error_rate_limit: 0.2,
                forecast_alert_secs: 24 * 3_600,
                now_unix: 0,
                credentials_rejected: false,
                in_maintenance: false,
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
        assert_eq!(
            rules(&evaluate(&mut alerts, &stats(97), 0, (0.0, 10))),
            [("updated", Rule::Quota)],
            "still over: no second raise, the message says 97% now"
        );
        assert!(
            evaluate(&mut alerts, &stats(97), 0, (0.0, 10)).is_empty(),
            "nothing changed: nothing to keep"
        );
        let cleared = evaluate(&mut alerts, &stats(10), 0, (0.0, 10));
        assert!(matches!(&cleared[..], [Change::Cleared(a)] if a.cleared_at.is_some()));
        assert!(evaluate(&mut alerts, &stats(10), 0, (0.0, 10)).is_empty());
        assert_eq!(alerts.to_records().len(), 1);
        assert!(alerts.to_records()[0].cleared_at.is_some());
    }

    fn rules(changes: &[Change]) -> Vec<(&'static str, Rule)> {
        changes
            .iter()
            .map(|c| match c {
                Change::Raised(a) => ("raised", a.rule),
                Change::Cleared(a) => ("cleared", a.rule),
                Change::Updated(a) => ("updated", a.rule),
            })
            .collect()
    }

    #[test]
    fn down_after_the_retry_budget_and_error_rate_held_while_down() {
        let mut alerts = Alerts::default();
        let s = stats(0);
        assert!(evaluate(&mut alerts, &s, 2, (0.1, 10)).is_empty());
        // Down: one alert for the outage; the error rate (30% here) is held, not raised.
        let changes = evaluate(&mut alerts, &s, 3, (0.3, 10));
        assert_eq!(rules(&changes), [("raised", Rule::Down)]);
        assert!(
            evaluate(&mut alerts, &s, 40, (0.9, 10)).is_empty(),
            "a long outage raises nothing more"
        );
        // Back: down clears; the window without the outage's polls decides the error rate.
        assert_eq!(
            rules(&evaluate(&mut alerts, &s, 0, (0.25, 10))),
            [("cleared", Rule::Down), ("raised", Rule::ErrorRate)]
        );
        assert!(
            evaluate(&mut alerts, &s, 0, (0.0, 3)).is_empty(),
            "too few polls: left as it is"
        );
        assert_eq!(
            rules(&evaluate(&mut alerts, &s, 0, (0.1, 10))),
            [("cleared", Rule::ErrorRate)],
            "enough polls, low rate: cleared"
        );
    }

    #[test]
    fn an_error_rate_raised_before_an_outage_is_held_through_it() {
        let mut alerts = Alerts::default();
        let s = stats(0);
        evaluate(&mut alerts, &s, 0, (0.3, 10));
        assert_eq!(alerts.of_backend("b").count(), 1);
        // Down with a rate of 0% (its polls are the outage's): nothing is cleared meanwhile.
        assert_eq!(
            rules(&evaluate(&mut alerts, &s, 3, (0.0, 10))),
            [("raised", Rule::Down)]
        );
        assert_eq!(
            rules(&evaluate(&mut alerts, &s, 0, (0.0, 10))),
            [("cleared", Rule::Down), ("cleared", Rule::ErrorRate)]
        );
    }

    fn filesystem(used: u64, available: u64) -> BackendStats {
        BackendStats {
            id: "dir".into(),
            storage: crate::stats::Storage::filesystem(
                Some(used + available),
                Some(used),
                Some(available),
            ),
            ..BackendStats::default()
        }
    }

    #[test]
    fn a_filesystem_filling_warns_then_is_full_and_each_alert_says_its_figure_now() {
        let mut alerts = Alerts::default();
        let mib = MIB;
        assert!(evaluate(&mut alerts, &filesystem(50 * mib, 14 * mib), 0, (0.0, 0)).is_empty());
        let changes = evaluate(&mut alerts, &filesystem(58 * mib, 6 * mib), 0, (0.0, 0));
        assert_eq!(rules(&changes), [("raised", Rule::Capacity)]);
        let Change::Raised(alert) = &changes[0] else {
            panic!("{changes:?}")
        };
        assert_eq!(
            alert.message,
            "capacity 90.7% used: 6 MiB free (alert at 90%)"
        );
        // Fuller: the same alert, its message following the figure (kept, not raised again).
        let changes = evaluate(&mut alerts, &filesystem(62 * mib, 2 * mib), 0, (0.0, 0));
        assert_eq!(rules(&changes), [("updated", Rule::Capacity)]);
        assert!(alerts
            .of_backend("dir")
            .any(|a| a.message.contains("96.9% used")));
        assert!(alerts
            .to_records()
            .iter()
            .any(|a| a.message.contains("96.9% used")));
        // No room left: full, an alert of its own.
        let changes = evaluate(&mut alerts, &filesystem(64 * mib, 0), 0, (0.0, 0));
        assert_eq!(
            rules(&changes),
            [("updated", Rule::Capacity), ("raised", Rule::Full)]
        );
        let full = alerts
            .of_backend("dir")
            .find(|a| a.rule == Rule::Full)
            .unwrap();
        assert_eq!(full.message, "full: 0 B free of 64 MiB usable");
        // Less free than a write needs (a block) is full too; a few blocks are not, even where
        // the percentage, rounded up as df does it, reads 100%.
        assert!(full_alert(&filesystem(64 * mib, 1000)).is_some());
        assert_eq!(
            filesystem(64 * mib, 5000).storage.usage_percent,
            Some(100.0)
        );
        assert!(full_alert(&filesystem(64 * mib, 5000)).is_none());
        // Room again.
        let changes = evaluate(&mut alerts, &filesystem(10 * mib, 54 * mib), 0, (0.0, 0));
        assert_eq!(
            rules(&changes),
            [("cleared", Rule::Capacity), ("cleared", Rule::Full)]
        );
        // Straight to full (a copy filled it within one poll): one alert, full; on the way
        // back down through the threshold, the filling one.
        let changes = evaluate(&mut alerts, &filesystem(64 * mib, 0), 0, (0.0, 0));
        assert_eq!(rules(&changes), [("raised", Rule::Full)]);
        let changes = evaluate(&mut alerts, &filesystem(60 * mib, 4 * mib), 0, (0.0, 0));
        assert_eq!(
            rules(&changes),
            [("raised", Rule::Capacity), ("cleared", Rule::Full)]
        );
    }

    #[test]
    fn a_quota_is_full_when_reached_except_a_gc_threshold() {
        let mut over = stats(120);
        assert!(full_alert(&over)
            .unwrap()
            .starts_with("soft quota full: 120 MiB of 100 MiB (120.0%)"));
        // A quota with room for less than the write check's object is full.
        let mut brim = stats(0);
        brim.quota = Quota::bytes(Some(100 * MIB), Some(100 * MIB - 10), QuotaSource::Soft);
        assert!(full_alert(&brim).is_some());
        assert!(full_alert(&stats(99)).is_none());
        over.quota.source = Some(QuotaSource::Garage);
        assert!(full_alert(&over).unwrap().starts_with("quota full"));
        // Kubo's StorageMax is where GC starts; the repo grows past it: never "full".
        over.quota.source = Some(QuotaSource::GcThreshold);
        assert!(full_alert(&over).is_none());
        assert!(quota_alert(&over, 90.0)
            .unwrap()
            .starts_with("GC threshold 120.0% used"));
        // Objects at their limit.
        let mut objects = stats(0);
        objects.quota.objects_limit = Some(100);
        objects.quota.objects_used = Some(100);
        objects.quota.source = Some(QuotaSource::Garage);
        assert_eq!(
            full_alert(&objects).as_deref(),
            Some("quota full: 100 of 100 objects")
        );
    }

    #[test]
    fn a_figure_from_an_older_count_says_so_in_the_alert() {
        let mut counted = stats(95);
        counted.quota.as_of = Some("2026-12-07T13:02:00+00:00".into());
        let message = quota_alert(&counted, 90.0).unwrap();
        assert!(
            message.contains("soft quota 95.0% used: 95 MiB of 100 MiB"),
            "{message}"
        );
        assert!(message.contains("(as of 2026-12-07 "), "{message}");
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
                error_rate_limit: 0.2,
                forecast_alert_secs: 24 * 3_600,
                now_unix: 0,
                credentials_rejected: true,
                in_maintenance: false,
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
    fn maintenance_holds_raises_but_lets_active_alerts_follow_and_clear() {
        let mut alerts = Alerts::default();
        let held = |alerts: &mut Alerts, stats: &BackendStats, failures: u32| {
            alerts.evaluate(
                &Facts {
                    stats,
                    consecutive_failures: failures,
                    error_rate: (0.5, 10),
                    quota_alert_percent: 90,
                    error_rate_limit: 0.2,
                    forecast_alert_secs: 24 * 3_600,
                    now_unix: 0,
                    credentials_rejected: true,
                    in_maintenance: true,
                },
                "now",
            )
        };
        // Quota over, down, credentials, error rate: nothing raised while held.
        assert!(held(&mut alerts, &stats(99), 0).is_empty());
        assert!(held(&mut alerts, &stats(99), 5).is_empty());
        assert_eq!(alerts.active().count(), 0);
        // Out of maintenance with the conditions still true: raised then, once.
        let raised = evaluate(&mut alerts, &stats(99), 5, (0.0, 10));
        assert_eq!(
            rules(&raised),
            [("raised", Rule::Quota), ("raised", Rule::Down)]
        );
        assert!(evaluate(&mut alerts, &stats(99), 6, (0.0, 10)).is_empty());
        // An alert active when a window starts follows its figure and clears when it recovers.
        assert_eq!(
            rules(&held(&mut alerts, &stats(98), 6)),
            [("updated", Rule::Quota)]
        );
        assert_eq!(
            rules(&held(&mut alerts, &stats(10), 0)),
            [("cleared", Rule::Quota), ("cleared", Rule::Down)]
        );
    }

    #[test]
    fn one_poll_shows_full_down_and_credentials() {
        let mut full = stats(100);
        full.enabled = true;
        full.health.status = crate::stats::HealthStatus::Down;
        let alerts = of_one_poll(&full, &THRESHOLDS, true);
        let rules: Vec<&str> = alerts.iter().map(|a| a.rule.as_str()).collect();
        assert_eq!(
            rules,
            ["full", "down", "credentials"],
            "full says more than quota"
        );
    }
}
