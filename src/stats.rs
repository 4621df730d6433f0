//! The stats model shared by `status --json`, `backend test --json`, the console and the exporter
//! (DESIGN.md, "The stats model"). A figure nobody could obtain is `None` (JSON `null`), never 0.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Healthy,
    Degraded,
    Down,
    #[default]
    Unknown,
    Disabled,
}

impl HealthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Healthy => "healthy",
            HealthStatus::Degraded => "degraded",
            HealthStatus::Down => "down",
            HealthStatus::Unknown => "unknown",
            HealthStatus::Disabled => "disabled",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: HealthStatus,
    pub message: Option<String>,
    pub checked_at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Storage {
    pub total: Option<u64>,
    pub used: Option<u64>,
    pub available: Option<u64>,
    pub usage_percent: Option<f64>,
}

impl Storage {
    /// Fills `usage_percent` from used/total when both are known.
    pub fn new(total: Option<u64>, used: Option<u64>, available: Option<u64>) -> Storage {
        Storage {
            total,
            used,
            available,
            usage_percent: percent(used, total),
        }
    }
}

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
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Quota {
    pub limit: Option<u64>,
    pub used: Option<u64>,
    pub remaining: Option<u64>,
    pub objects_limit: Option<u64>,
    pub objects_used: Option<u64>,
}

impl Quota {
    /// A byte quota with `remaining` derived; objects filled in by the caller when known.
    pub fn bytes(limit: Option<u64>, used: Option<u64>) -> Quota {
        Quota {
            limit,
            used,
            remaining: match (limit, used) {
                (Some(limit), Some(used)) => Some(limit.saturating_sub(used)),
                _ => None,
            },
            objects_limit: None,
            objects_used: None,
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
        let mut times: Vec<f64> = samples.iter().map(|(ms, _)| *ms).collect();
        times.sort_by(f64::total_cmp);
        let count = samples.len();
        let errors = samples.iter().filter(|(_, ok)| !ok).count();
        let p95_index = ((count as f64 * 0.95).ceil() as usize).clamp(1, count) - 1;
        Performance {
            avg_response_time: Some(round2(times.iter().sum::<f64>() / count as f64)),
            p95_response_time: Some(round2(times[p95_index])),
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

/// What a probe measured, before the monitor adds identity, timing and performance.
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
    pub stale: bool,
    pub source: Source,
    pub updated_at: Option<String>,
}

impl BackendStats {
    /// Takes a successful poll's figures: healthy (or degraded, as the backend said), live.
    pub fn apply_live(&mut self, measurement: Measurement, now: &str) {
        self.health = Health {
            status: if measurement.degraded.is_some() {
                HealthStatus::Degraded
            } else {
                HealthStatus::Healthy
            },
            message: measurement.degraded,
            checked_at: Some(now.to_string()),
        };
        self.storage = measurement.storage;
        self.files = measurement.files;
        self.quota = measurement.quota;
        self.vital = measurement.vital;
        self.stale = false;
        self.source = Source::Live;
        self.updated_at = Some(now.to_string());
    }

    /// Takes a failed poll: the figures already held stay, marked stale, with the failure as
    /// the health message.
    pub fn apply_failure(&mut self, status: HealthStatus, message: String, now: &str) {
        self.health = Health {
            status,
            message: Some(message),
            checked_at: Some(now.to_string()),
        };
        self.stale = true;
        self.source = Source::Metadata;
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
    fn performance_over_a_window() {
        let samples: Vec<(f64, bool)> = (1..=100).map(|i| (i as f64, i % 10 != 0)).collect();
        let perf = Performance::from_samples(&samples);
        assert_eq!(perf.avg_response_time, Some(50.5));
        assert_eq!(perf.p95_response_time, Some(95.0));
        assert_eq!(perf.success_rate, Some(0.9));
        assert_eq!(perf.error_count, Some(10));
        assert_eq!(Performance::from_samples(&[]), Performance::default());
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
