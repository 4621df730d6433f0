//! The stats model shared by `status --json`, `backend test --json`, the console and the exporter
//! (ARCHITECTURE.md, "Contracts"). A figure nobody could obtain is `None` (JSON `null`), never 0.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::probe::ProbeError;

mod apply;
pub mod availability;
pub mod forecast;
mod inventory;
pub mod nodes;

pub use inventory::{
    Counted, InventoryRecord, InventoryRun, InventoryState, InventorySummary, Progress, RunInfo,
};
pub use nodes::NodeView;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Healthy,
    /// The backend answers, but has an active alert (its quota or filesystem filling, its
    /// error rate).
    Warning,
    /// A filesystem or quota with no room left (at 100%, or with less free than a write check
    /// needs): writes fail.
    Full,
    Degraded,
    Down,
    #[default]
    Unknown,
    Disabled,
    /// A kind this console cannot probe (the library knows more kinds, and a config may name
    /// none): listed and editable, never polled.
    Unsupported,
}

impl HealthStatus {
    /// Every state, best first (the summary line counts them, the exporter writes them, in
    /// this order).
    pub const ALL: [HealthStatus; 8] = [
        HealthStatus::Healthy,
        HealthStatus::Warning,
        HealthStatus::Full,
        HealthStatus::Degraded,
        HealthStatus::Down,
        HealthStatus::Unknown,
        HealthStatus::Disabled,
        HealthStatus::Unsupported,
    ];

    /// The state named `name` as `as_str` writes it.
    pub fn parse(name: &str) -> Option<HealthStatus> {
        HealthStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Healthy => "healthy",
            HealthStatus::Warning => "warning",
            HealthStatus::Full => "full",
            HealthStatus::Degraded => "degraded",
            HealthStatus::Down => "down",
            HealthStatus::Unknown => "unknown",
            HealthStatus::Disabled => "disabled",
            HealthStatus::Unsupported => "unsupported",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: HealthStatus,
    pub message: Option<String>,
    pub checked_at: Option<String>,
    /// What kind of failure the last poll met (`refused`, `credentials`, `timeout`, ...), for
    /// rules and scripts that must not read the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// When the monitor polls this backend next (only while a monitor runs it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_check_at: Option<String>,
}

impl Health {
    /// A backend of a kind this console cannot probe; `reason` says why (which kind, or none).
    pub fn unsupported(reason: String) -> Health {
        Health {
            status: HealthStatus::Unsupported,
            message: Some(reason),
            ..Health::default()
        }
    }

    /// A backend switched off in its config: not polled.
    pub fn disabled() -> Health {
        Health {
            status: HealthStatus::Disabled,
            message: Some("disabled in its config".into()),
            ..Health::default()
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Storage {
    pub total: Option<u64>,
    pub used: Option<u64>,
    pub available: Option<u64>,
    pub usage_percent: Option<f64>,
    /// What these figures measure, when other backends may measure the same: a filesystem
    /// (`fs:DEVICE:FSID`), a remote's root, a bucket. Backends with one identity share one
    /// storage and are counted once in every total; never figured out from equal figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// When these figures were read, if that was before the latest poll (a sub-call that
    /// failed, an inventory): they are last-known, not live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

impl Storage {
    /// Fills `usage_percent` from used/total when both are known.
    pub fn new(total: Option<u64>, used: Option<u64>, available: Option<u64>) -> Storage {
        Storage {
            total,
            used,
            available,
            usage_percent: percent(used, total),
            identity: None,
            as_of: None,
        }
    }
}

impl Storage {
    /// The same figures, saying what they measure (see `identity`).
    pub fn with_identity(mut self, identity: impl Into<String>) -> Storage {
        self.identity = Some(identity.into());
        self
    }

    /// A filesystem's figures, its fullness as `df` computes it: `used / (used + available)`,
    /// rounded up (blocks kept for root are neither: at "80%" of the total a disk may already
    /// be full for everyone else). `used` is `total - free`.
    pub fn filesystem(total: Option<u64>, used: Option<u64>, available: Option<u64>) -> Storage {
        let usable = match (used, available) {
            (Some(used), Some(available)) => used.checked_add(available),
            _ => None,
        };
        Storage {
            total,
            used,
            available,
            usage_percent: match (used, usable) {
                (Some(used), Some(usable)) if usable > 0 => {
                    Some((used as f64 * 1000.0 / usable as f64).ceil() / 10.0)
                }
                _ => percent(used, total),
            },
            identity: None,
            as_of: None,
        }
    }
}

/// The write check's object (`backend test --write`): a quota with less room than this is full.
pub const WRITE_CHECK_BYTES: u64 = 64;
/// What the smallest write takes on a filesystem: one 4 KiB block on most. A filesystem with
/// less free than this is full.
pub const FILESYSTEM_ROOM_BYTES: u64 = 4096;

/// `part / whole` in percent, one decimal; unknown when either is unknown or `whole` is 0.
pub fn percent(part: Option<u64>, whole: Option<u64>) -> Option<f64> {
    match (part, whole) {
        (Some(part), Some(whole)) if whole > 0 => {
            Some((part as f64 * 1000.0 / whole as f64).round() / 10.0)
        }
        _ => None,
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Files {
    pub count: Option<u64>,
    /// Sum of the sizes of the files counted.
    pub bytes: Option<u64>,
    pub largest: Option<u64>,
    /// True when counting stopped at a limit: the figures are lower bounds.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// When the inventory that counted them ran (files are counted by the inventory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

impl Files {
    /// The count for people, with how old it is: `5,000 · counted 12m ago`; a lower bound
    /// reads `≥4,000`; unknown reads `?`.
    pub fn describe(&self) -> String {
        match self.counted_ago() {
            Some(age) if self.count.is_some() => format!("{} · counted {age}", self.count_text()),
            _ => self.count_text(),
        }
    }

    /// The count alone: `5,000`, `≥4,000` for a lower bound, `?` when unknown.
    pub fn count_text(&self) -> String {
        match self.count {
            Some(count) if self.partial => format!("≥{}", crate::text::count(count)),
            Some(count) => crate::text::count(count),
            None => "?".into(),
        }
    }

    /// How long ago the inventory counted these files.
    pub fn counted_ago(&self) -> Option<String> {
        self.as_of.as_deref().and_then(crate::store::timestamp::ago)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Quota {
    pub limit: Option<u64>,
    pub used: Option<u64>,
    pub remaining: Option<u64>,
    pub objects_limit: Option<u64>,
    pub objects_used: Option<u64>,
    /// Where the limit comes from; `None` when there is no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<QuotaSource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

/// What kind of limit a quota is: they mean different things to an operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaSource {
    /// Enforced by Garage: writes past it fail.
    Garage,
    /// Kubo's StorageMax: the repo size at which garbage collection starts, not a capacity
    /// (the repo can grow past it).
    GcThreshold,
    /// Set in this backend's config (`quota_bytes`): only watched, never enforced.
    Soft,
}

impl QuotaSource {
    pub fn as_str(self) -> &'static str {
        match self {
            QuotaSource::Garage => "garage",
            QuotaSource::GcThreshold => "gc_threshold",
            QuotaSource::Soft => "soft",
        }
    }
}

impl Quota {
    /// A byte quota with `remaining` derived; objects filled in by the caller when known.
    pub fn bytes(limit: Option<u64>, used: Option<u64>, source: QuotaSource) -> Quota {
        Quota {
            limit,
            used,
            remaining: match (limit, used) {
                (Some(limit), Some(used)) => Some(limit.saturating_sub(used)),
                _ => None,
            },
            objects_limit: None,
            objects_used: None,
            source: limit.map(|_| source),
            as_of: None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Performance {
    /// Milliseconds.
    pub avg_response_time: Option<f64>,
    pub p95_response_time: Option<f64>,
    /// 0..1.
    pub success_rate: Option<f64>,
    pub error_count: Option<u64>,
    pub request_count: Option<u64>,
}

impl Performance {
    /// Figures over a window of polls: `(response time in ms, succeeded)`.
    pub fn from_samples(samples: &[(f64, bool)]) -> Performance {
        if samples.is_empty() {
            return Performance::default();
        }
        // Response times are those of the polls that answered: a refused connection returns in
        // no time, and an outage must not make a backend look faster. Failures count apart.
        let mut times: Vec<f64> = samples
            .iter()
            .filter(|(_, ok)| *ok)
            .map(|(ms, _)| *ms)
            .collect();
        times.sort_by(f64::total_cmp);
        let count = samples.len();
        let errors = count - times.len();
        let answered = times.len();
        let p95 = (answered > 0).then(|| {
            let index = ((answered as f64 * 0.95).ceil() as usize).clamp(1, answered) - 1;
            round2(times[index])
        });
        Performance {
            avg_response_time: (answered > 0)
                .then(|| round2(times.iter().sum::<f64>() / answered as f64)),
            p95_response_time: p95,
            success_rate: Some(round3((count - errors) as f64 / count as f64)),
            error_count: Some(errors as u64),
            request_count: Some(count as u64),
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Live,
    #[default]
    Metadata,
}

/// One call of a pulse that failed while the backend itself answered: the figures it feeds
/// keep their last-known values (marked with their age) and the backend is degraded.
#[derive(Clone, Debug, PartialEq)]
pub struct FailedCall {
    /// The call as the backend names it (`stats/bw`, `GetBucketInfo`, ...).
    pub call: String,
    pub error: ProbeError,
    /// The figures the call feeds, as paths: a group (`quota`) or one figure (`vital.peers`).
    pub feeds: Vec<&'static str>,
}

impl FailedCall {
    pub fn new(call: &str, error: ProbeError, feeds: &[&'static str]) -> FailedCall {
        FailedCall {
            call: call.to_string(),
            error,
            feeds: feeds.to_vec(),
        }
    }

    /// `CALL failed: REASON`, without saying the call twice when the reason already names it.
    pub fn describe(&self) -> String {
        let reason = self.error.to_string();
        let reason = reason
            .strip_prefix(&format!("{}: ", self.call))
            .unwrap_or(&reason);
        format!("{} failed: {reason}", self.call)
    }

    /// Every failed call described, joined by `; `; `None` when none failed.
    pub fn describe_all(failed: &[FailedCall]) -> Option<String> {
        (!failed.is_empty()).then(|| {
            failed
                .iter()
                .map(FailedCall::describe)
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn feeds_path(&self, path: &str) -> bool {
        self.feeds.iter().any(|feed| {
            path == *feed
                || path
                    .strip_prefix(feed)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    }
}

/// What one pulse read: liveness answered, so these figures are live, except those fed by a
/// call in `failed`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measurement {
    /// Healthy unless the backend itself says it is impaired (a cluster peer down, a Garage
    /// cluster without full quorum, ...): then Degraded with `message` saying why.
    pub degraded: Option<String>,
    pub storage: Storage,
    pub files: Files,
    pub quota: Quota,
    /// Backend-specific vital figures: version, peers, bandwidth, chain height, ...
    pub vital: Map<String, Value>,
    /// A clustered backend's nodes, as the pulse lists them (empty for a backend of one). A
    /// failed call that lists them feeds `nodes`.
    pub nodes: Vec<NodeView>,
    /// Calls that failed while the liveness call answered.
    pub failed: Vec<FailedCall>,
}

impl Measurement {
    /// When every one of the `calls` calls that need credentials was refused them (the
    /// liveness call needing none, as Kubo's `version` and Cluster's `/health`), nothing the
    /// backend keeps can be read: the error that makes it down, naming the first call. A
    /// credential refused by some calls while others answered (Garage's admin token while S3
    /// serves, a Kubo token scoped to fewer commands) only makes it degraded.
    pub fn all_refused(&self, calls: usize) -> Option<ProbeError> {
        let refused: Vec<&FailedCall> = self
            .failed
            .iter()
            .filter(|f| matches!(f.error, ProbeError::Unauthorized { .. }))
            .collect();
        if calls == 0 || refused.len() < calls {
            return None;
        }
        refused.first().and_then(|first| match &first.error {
            ProbeError::Unauthorized { status, detail } => Some(ProbeError::Unauthorized {
                status: *status,
                detail: crate::probe::clean(&format!("{}: {detail}", first.call)),
            }),
            _ => None,
        })
    }

    /// What is wrong, as the health message says it: the backend's own word, then each call
    /// that failed; `None` when nothing is.
    pub fn problems(&self) -> Option<String> {
        let parts: Vec<String> = self
            .degraded
            .iter()
            .cloned()
            .chain(FailedCall::describe_all(&self.failed))
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// The figures a count over the whole backend found.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    #[serde(default)]
    pub storage: Storage,
    #[serde(default)]
    pub files: Files,
    #[serde(default)]
    pub quota: Quota,
    #[serde(default)]
    pub vital: Map<String, Value>,
    /// A problem the count found in the backend's own figures (Kubo's providing falling
    /// behind): the backend is degraded for it, with its age, until a later count no longer
    /// finds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concern: Option<String>,
    /// Per-node figures only an inventory reads (free space and pins per Cluster peer, Garage
    /// nodes' resync errors), merged by node id into the pulse's node list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeView>,
}

/// One backend's entry in the stats model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BackendStats {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub enabled: bool,
    pub health: Health,
    pub storage: Storage,
    pub files: Files,
    pub quota: Quota,
    pub performance: Performance,
    pub vital: Map<String, Value>,
    /// Vital figures older than the latest poll, with when they were read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vital_as_of: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<InventorySummary>,
    /// A clustered backend's nodes (IPFS Cluster peers, Garage nodes); absent for a backend
    /// of one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeView>,
    /// The backend's active alerts (what the monitor or `status` found).
    #[serde(default)]
    pub alerts: Vec<AlertBrief>,
    /// The alert thresholds this backend sets for itself that differ from the global ones
    /// (`quota_alert_percent`, `error_rate_alert_percent`, `forecast_alert_hours`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub thresholds: BTreeMap<String, u64>,
    /// When it will be full, against the limit that fills first; absent without a limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<forecast::ForecastReport>,
    /// How available it was over 24 h, 7 d, 30 d, from the kept history; absent when no poll
    /// of the last 30 days counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability: Option<availability::AvailabilitySummary>,
    /// The maintenance window the backend is in (its alerts held), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<MaintenanceBrief>,
    pub stale: bool,
    pub source: Source,
    pub updated_at: Option<String>,
}

/// One active alert of a backend, as its stats carry it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AlertBrief {
    /// `quota`, `capacity`, `filling`, `full`, `down`, `error_rate`, `credentials`.
    pub rule: String,
    pub message: String,
    /// When it was raised.
    pub since: String,
}

/// A backend's maintenance window, as its stats carry it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceBrief {
    /// When it started and when it ends (RFC 3339).
    pub since: String,
    pub until: String,
    /// What the operator said it is for.
    pub reason: Option<String>,
}

impl MaintenanceBrief {
    pub fn of(window: &crate::store::Maintenance) -> MaintenanceBrief {
        MaintenanceBrief {
            since: crate::store::timestamp::format(window.since),
            until: crate::store::timestamp::format(window.until),
            reason: window.reason.clone(),
        }
    }

    /// When it ends; `None` when `until` does not parse (a hand-edited stats file).
    pub fn until(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        crate::store::timestamp::parse(&self.until).map(|at| at.with_timezone(&chrono::Utc))
    }

    /// The time left at `now`; zero once over, `None` when unknown.
    pub fn left(&self, now: chrono::DateTime<chrono::Utc>) -> Option<std::time::Duration> {
        self.until()
            .map(|until| (until - now).to_std().unwrap_or(std::time::Duration::ZERO))
    }
}

/// Rules whose alert makes a backend that answers `warning`.
pub const WARNING_RULES: [&str; 4] = ["quota", "capacity", "filling", "error_rate"];
/// The rule whose alert makes a backend that answers `full`.
pub const FULL_RULE: &str = "full";

impl BackendStats {
    /// Sets the active alerts, and with them the health of a backend that answers: `full`
    /// with a `full` alert (a full store refuses writes: that outranks a figure that could not
    /// be read, whose reason stays in the message), `warning` with a quota, capacity or
    /// error-rate alert. Call it after each `apply_pulse`/`apply_failure`: it starts from the
    /// poll's own verdict.
    pub fn set_alerts(&mut self, alerts: Vec<AlertBrief>) {
        let full = alerts.iter().find(|a| a.rule == FULL_RULE);
        let warning = alerts
            .iter()
            .find(|a| WARNING_RULES.contains(&a.rule.as_str()));
        match (self.health.status, full, warning) {
            (HealthStatus::Healthy | HealthStatus::Degraded, Some(full), _) => {
                let degraded = (self.health.status == HealthStatus::Degraded)
                    .then(|| self.health.message.take())
                    .flatten();
                self.health.status = HealthStatus::Full;
                self.health.message = Some(match degraded {
                    Some(problem) => format!("{}; {problem}", full.message),
                    None => full.message.clone(),
                });
            }
            (HealthStatus::Healthy, None, Some(alert)) => {
                self.health.status = HealthStatus::Warning;
                self.health.message = Some(alert.message.clone());
            }
            _ => {}
        }
        self.alerts = alerts;
    }
}

/// The document `status --json` prints.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StatsReport {
    pub generated_at: String,
    pub backends: Vec<BackendStats>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_is_unknown_without_both_figures() {
        assert_eq!(percent(Some(1), Some(3)), Some(33.3));
        assert_eq!(percent(None, Some(3)), None);
        assert_eq!(percent(Some(1), Some(0)), None);
        assert_eq!(
            Storage::new(Some(200), Some(50), None).usage_percent,
            Some(25.0)
        );
    }

    #[test]
    fn filesystem_fullness_is_used_over_used_plus_available_as_df_says() {
        // 100 blocks, 20 free of which 5 are kept for root: 80 / (80 + 15) = 84.2%, which df
        // shows as 85% (a whole percent, rounded up) and we as 84.3% (one decimal, rounded up),
        // where used / total would say 80%.
        let fs = Storage::filesystem(Some(100), Some(80), Some(15));
        assert_eq!(fs.usage_percent, Some(84.3));
        assert_eq!(
            Storage::new(Some(100), Some(80), Some(15)).usage_percent,
            Some(80.0)
        );
        // Without the available figure, used / total is all there is.
        assert_eq!(
            Storage::filesystem(Some(100), Some(80), None).usage_percent,
            Some(80.0)
        );
        assert_eq!(
            Storage::filesystem(Some(0), Some(0), Some(0)).usage_percent,
            None
        );
    }

    #[test]
    fn performance_over_a_window() {
        let samples: Vec<(f64, bool)> = (1..=100).map(|i| (i as f64, i % 10 != 0)).collect();
        let perf = Performance::from_samples(&samples);
        // Over the 90 polls that answered: the failed ones are counted apart.
        assert_eq!(perf.avg_response_time, Some(50.0));
        assert_eq!(perf.p95_response_time, Some(95.0));
        assert_eq!(perf.success_rate, Some(0.9));
        assert_eq!(perf.error_count, Some(10));
        assert_eq!(Performance::from_samples(&[]), Performance::default());
        // An outage (refused at once) does not make a backend look fast: no time at all.
        let outage = Performance::from_samples(&[(120.0, true), (0.1, false), (0.1, false)]);
        assert_eq!(outage.avg_response_time, Some(120.0));
        let down = Performance::from_samples(&[(0.1, false), (0.2, false)]);
        assert_eq!(down.avg_response_time, None);
        assert_eq!(down.p95_response_time, None);
        assert_eq!(down.success_rate, Some(0.0));
        assert_eq!(down.error_count, Some(2));
    }

    fn pulse_with(used: u64, peers: u64, rate: f64) -> Measurement {
        let mut vital = Map::new();
        vital.insert("peers".into(), serde_json::json!(peers));
        vital.insert("rate_in".into(), serde_json::json!(rate));
        Measurement {
            storage: Storage::new(None, Some(used), None),
            quota: Quota::bytes(Some(1000), Some(used), QuotaSource::GcThreshold),
            vital,
            ..Measurement::default()
        }
    }

    #[test]
    fn a_failed_call_keeps_only_its_own_figures_with_their_age() {
        let mut stats = BackendStats::default();
        stats.apply_pulse(pulse_with(100, 3, 1.5), None, "2026-01-01T00:00:00+00:00");
        assert_eq!(stats.health.status, HealthStatus::Healthy);
        assert_eq!(stats.storage.as_of, None);

        // repo/stat fails: storage and quota keep 100 from the first poll, with its time;
        // the peers are live (7), bandwidth is no longer reported (gone, not kept).
        let mut second = pulse_with(0, 7, 0.0);
        second.storage = Storage::default();
        second.quota = Quota::default();
        second.vital.remove("rate_in");
        second.failed.push(FailedCall::new(
            "repo/stat",
            ProbeError::Http {
                status: 500,
                detail: "boom".into(),
            },
            &["storage", "quota"],
        ));
        stats.apply_pulse(second, None, "2026-01-01T00:00:05+00:00");
        assert_eq!(stats.health.status, HealthStatus::Degraded);
        assert_eq!(
            stats.health.message.as_deref(),
            Some("repo/stat failed: HTTP 500: boom")
        );
        assert_eq!(stats.storage.used, Some(100));
        assert_eq!(
            stats.storage.as_of.as_deref(),
            Some("2026-01-01T00:00:00+00:00")
        );
        assert_eq!(stats.quota.limit, Some(1000));
        assert_eq!(stats.quota.source, Some(QuotaSource::GcThreshold));
        assert_eq!(
            stats.quota.as_of.as_deref(),
            Some("2026-01-01T00:00:00+00:00")
        );
        assert_eq!(stats.vital["peers"], serde_json::json!(7));
        assert!(stats.vital_as_of.is_empty());
        assert!(stats.vital.get("rate_in").is_none());
        assert!(!stats.stale);

        // A vital figure kept from an earlier poll says when it was read.
        let mut third = pulse_with(120, 0, 2.0);
        third.vital.remove("peers");
        third.failed.push(FailedCall::new(
            "swarm/peers",
            ProbeError::Timeout { secs: 10 },
            &["vital.peers"],
        ));
        stats.apply_pulse(third, None, "2026-01-01T00:00:10+00:00");
        assert_eq!(stats.storage.used, Some(120));
        assert_eq!(stats.storage.as_of, None);
        assert_eq!(stats.vital["peers"], serde_json::json!(7));
        assert_eq!(
            stats.vital_as_of.get("peers").map(String::as_str),
            Some("2026-01-01T00:00:05+00:00")
        );
    }

    #[test]
    fn inventory_figures_fill_what_the_pulse_does_not_report_with_their_age() {
        let mut figures = Figures {
            files: Files {
                count: Some(5000),
                bytes: Some(9000),
                largest: Some(300),
                partial: false,
                as_of: None,
            },
            ..Figures::default()
        };
        figures.storage.used = Some(9000);
        figures.vital.insert("pins".into(), serde_json::json!(42));
        let record = InventoryRecord {
            counted: Some(Counted {
                as_of: "2026-01-01T00:00:00+00:00".into(),
                figures,
                complete: true,
            }),
            progress: None,
            last_run: Some(RunInfo {
                at: "2026-01-01T00:00:00+00:00".into(),
                elapsed_ms: 1.0,
                requests: 5,
                outcome: InventoryState::Complete,
                error: None,
            }),
        };
        let mut stats = BackendStats::default();
        // The pulse reports storage.used itself (Garage's counter): it wins over the listing.
        stats.apply_pulse(
            pulse_with(8000, 1, 0.0),
            Some(&record),
            "2026-01-01T01:00:00+00:00",
        );
        assert_eq!(stats.storage.used, Some(8000));
        assert_eq!(stats.storage.as_of, None);
        assert_eq!(stats.files.count, Some(5000));
        assert_eq!(
            stats.files.as_of.as_deref(),
            Some("2026-01-01T00:00:00+00:00")
        );
        assert_eq!(stats.vital["pins"], serde_json::json!(42));
        assert_eq!(
            stats.vital_as_of.get("pins").map(String::as_str),
            Some("2026-01-01T00:00:00+00:00")
        );
        let summary = stats.inventory.as_ref().unwrap();
        assert_eq!(summary.state, InventoryState::Complete);
        assert_eq!(summary.requests, 5);
        let json = serde_json::to_value(&stats).unwrap();
        assert_eq!(json["files"]["as_of"], "2026-01-01T00:00:00+00:00");
        assert!(json["storage"].get("as_of").is_none());
    }

    fn node(name: &str, up: bool) -> NodeView {
        NodeView {
            up,
            ..NodeView::named(Some(name), Some(&format!("id-{name}")))
        }
    }

    #[test]
    fn nodes_come_from_the_pulse_with_the_inventory_figures_and_their_age() {
        let counted = Figures {
            nodes: vec![NodeView {
                resync_errors: Some(3),
                ..NodeView::named(None, Some("id-garage-b"))
            }],
            ..Figures::default()
        };
        let record = InventoryRecord {
            counted: Some(Counted {
                as_of: "2026-01-01T00:00:00+00:00".into(),
                figures: counted,
                complete: true,
            }),
            ..InventoryRecord::default()
        };
        let pulse = Measurement {
            nodes: vec![node("garage-a", true), node("garage-b", true)],
            ..Measurement::default()
        };
        let mut stats = BackendStats::default();
        stats.apply_pulse(pulse, Some(&record), "2026-01-01T01:00:00+00:00");
        assert_eq!(stats.nodes.len(), 2);
        assert_eq!(stats.nodes[1].name, "garage-b");
        assert_eq!(stats.nodes[1].resync_errors, Some(3));
        assert_eq!(
            stats.nodes[1].as_of.as_deref(),
            Some("2026-01-01T00:00:00+00:00")
        );
        assert_eq!(stats.nodes[0].as_of, None);
        // Blocks failing to resync make the backend degraded, naming the node.
        assert_eq!(stats.health.status, HealthStatus::Degraded);
        assert_eq!(
            stats.health.message.as_deref(),
            Some("node garage-b has 3 blocks failing to resync")
        );

        // The call that lists the nodes fails: the nodes are kept, with their time.
        let failed = Measurement {
            failed: vec![FailedCall::new(
                "GetClusterStatus",
                ProbeError::Timeout { secs: 10 },
                &["nodes", "vital.version"],
            )],
            ..Measurement::default()
        };
        stats.apply_pulse(failed, None, "2026-01-01T01:00:05+00:00");
        assert_eq!(stats.nodes.len(), 2);
        assert_eq!(
            stats.nodes[0].as_of.as_deref(),
            Some("2026-01-01T01:00:00+00:00")
        );
        // A pulse that lists none and failed nothing: a backend of one, no nodes.
        stats.apply_pulse(Measurement::default(), None, "2026-01-01T01:00:10+00:00");
        assert!(stats.nodes.is_empty());
        assert_eq!(stats.health.status, HealthStatus::Healthy);
    }

    #[test]
    fn nodes_round_trip_and_old_json_without_them_reads() {
        let mut stats = BackendStats {
            id: "garage".into(),
            kind: "s3".into(),
            ..BackendStats::default()
        };
        let json = serde_json::to_value(&stats).unwrap();
        assert!(json.get("nodes").is_none(), "skipped when empty: {json}");
        stats.nodes = vec![NodeView {
            free_bytes: Some(5),
            ..node("garage-a", false)
        }];
        let json = serde_json::to_value(&stats).unwrap();
        assert_eq!(json["nodes"][0]["name"], "garage-a");
        assert_eq!(json["nodes"][0]["up"], false);
        assert_eq!(json["nodes"][0]["free_bytes"], 5);
        assert_eq!(
            json["nodes"][0]["total_bytes"],
            Value::Null,
            "unknown is null"
        );
        assert!(json["nodes"][0].get("as_of").is_none());
        let back: BackendStats = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, stats);
        // A file written before nodes were kept.
        let mut old = json;
        old.as_object_mut().unwrap().remove("nodes");
        let read: BackendStats = serde_json::from_value(old).unwrap();
        assert!(read.nodes.is_empty());
        // An inventory kept before nodes were counted.
        let figures: Figures = serde_json::from_str(r#"{"vital": {"pins": 3}}"#).unwrap();
        assert!(figures.nodes.is_empty());
    }

    #[test]
    fn unknown_figures_serialise_as_null() {
        let stats = BackendStats::default();
        let json = serde_json::to_value(&stats).unwrap();
        assert_eq!(json["storage"]["total"], Value::Null);
        assert_eq!(json["health"]["status"], "unknown");
        assert!(json["files"].get("partial").is_none());
    }
}
