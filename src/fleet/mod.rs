//! The fleet: every backend of every host whose exporter (`ipfs-kit-tui metrics`) Prometheus
//! scrapes, read back from Prometheus as the console's own stats model, so that the console
//! shows them with the same list, detail and charts. Read-only: changes are made on each host.
//!
//! A round is four instant queries and one look at the targets, whatever the number of hosts:
//! the current series (`ipfs_kit_*` without histogram buckets), the average and p95 poll time
//! and the share of polls that answered over five minutes. A host whose scrape fails keeps its
//! last figures (marked stale, with Prometheus' reason); one never seen since the console
//! started is listed from its last `ipfs_kit_backend_info` series of the past day.

pub mod history;
pub mod prometheus;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Map, Value};

use crate::stats::nodes::NodeView;
use crate::stats::{
    AlertBrief, BackendStats, Files, Health, HealthStatus, Performance, Quota, QuotaSource, Source,
    Storage,
};
use crate::store::timestamp;
pub use prometheus::{FleetError, Prometheus, Sample, Target};

/// Everything the exporter writes, but the histogram's buckets (read only for the p95).
const CURRENT: &str = r#"{__name__=~"ipfs_kit_.+",__name__!~".+_bucket|.+_created"}"#;
const AVG_SECONDS: &str = "rate(ipfs_kit_backend_poll_duration_seconds_sum[5m]) \
     / rate(ipfs_kit_backend_poll_duration_seconds_count[5m])";
const P95_SECONDS: &str = "histogram_quantile(0.95, sum by (instance, job, backend, le) \
     (rate(ipfs_kit_backend_poll_duration_seconds_bucket[5m])))";
const ANSWERED: &str = r#"sum by (instance, job, backend) (rate(ipfs_kit_backend_polls_total{result="ok"}[5m])) / sum by (instance, job, backend) (rate(ipfs_kit_backend_polls_total[5m]))"#;
/// The hosts seen in the past day, and their jobs: one series per host.
const HOSTS_SEEN: &str = "last_over_time(ipfs_kit_build_info[1d])";

/// The kind shown for a host whose exporter never answered since the console started and that
/// lists no backend.
pub const EXPORTER_KIND: &str = "exporter";

/// One backend of one host. Its `stats.id` is `HOST/BACKEND` (unique over the fleet).
#[derive(Clone, Debug, PartialEq)]
pub struct FleetRow {
    pub host: String,
    pub backend: String,
    pub stats: BackendStats,
}

/// A host (a scrape target) and how its last scrape went.
#[derive(Clone, Debug, PartialEq)]
pub struct HostState {
    pub instance: String,
    pub job: String,
    pub up: bool,
    /// Prometheus' reason for a failed scrape.
    pub reason: Option<String>,
    pub last_scrape: Option<String>,
}

/// One look at the fleet.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FleetRound {
    pub rows: Vec<FleetRow>,
    pub hosts: Vec<HostState>,
}

/// The fleet view's source: Prometheus, and what the earlier rounds saw (a host that stops
/// answering keeps its last figures).
#[derive(Debug)]
pub struct Fleet {
    prometheus: Prometheus,
    last_known: BTreeMap<(String, String), BackendStats>,
    /// Hosts and their jobs seen with our metrics; a down target in one of these jobs is ours.
    hosts_seen: BTreeMap<String, String>,
    looked_back: bool,
}

pub fn row_id(host: &str, backend: &str) -> String {
    format!("{host}/{backend}")
}

fn rfc3339(unix: f64) -> Option<String> {
    let secs = unix.floor() as i64;
    chrono::DateTime::from_timestamp(secs, 0).map(timestamp::format)
}

fn bytes(value: f64) -> Option<u64> {
    (value.is_finite() && value >= 0.0).then(|| value.round() as u64)
}

fn quota_source(name: &str) -> Option<QuotaSource> {
    Some(match name {
        "garage" => QuotaSource::Garage,
        "gc_threshold" => QuotaSource::GcThreshold,
        "soft" => QuotaSource::Soft,
        _ => return None,
    })
}

/// The figures of one backend as its series say them; `None` until its info series is seen.
#[derive(Clone, Default)]
struct Partial {
    kind: Option<String>,
    version: Option<String>,
    /// The exporter's short name for what the storage figures measure (`storage` label).
    storage: Option<String>,
    up: Option<bool>,
    health: Option<HealthStatus>,
    used: Option<u64>,
    available: Option<u64>,
    capacity: Option<u64>,
    quota_bytes: Option<(u64, Option<QuotaSource>)>,
    quota_objects: Option<u64>,
    objects: Option<u64>,
    largest: Option<u64>,
    last_success: Option<f64>,
    inventory_at: Option<f64>,
    stale: bool,
    alerts: Vec<String>,
    vital: Map<String, Value>,
    performance: Performance,
    /// The nodes of a clustered backend, by the exporter's `node` label.
    nodes: BTreeMap<String, NodeView>,
}

impl Partial {
    /// The node a `ipfs_kit_node_*` sample is about.
    fn node(&mut self, sample: &Sample) -> Option<&mut NodeView> {
        let name = sample.label("node").filter(|n| !n.is_empty())?.to_string();
        Some(self.nodes.entry(name.clone()).or_insert_with(|| NodeView {
            name,
            ..NodeView::default()
        }))
    }

    fn take(&mut self, sample: &Sample) {
        let name = sample.label("__name__").unwrap_or_default();
        let value = sample.value;
        let kind = || sample.label("kind").map(str::to_string);
        match name {
            "ipfs_kit_backend_info" => {
                self.kind = kind().or(self.kind.take());
                self.storage = sample
                    .label("storage")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .or(self.storage.take());
                self.version = sample
                    .label("version")
                    .filter(|v| !v.is_empty())
                    .map(str::to_string);
            }
            "ipfs_kit_backend_up" => self.up = Some(value >= 1.0),
            "ipfs_kit_backend_health" if value >= 1.0 => {
                self.health = sample.label("state").and_then(HealthStatus::parse);
            }
            "ipfs_kit_backend_used_bytes" => self.used = bytes(value),
            "ipfs_kit_backend_available_bytes" => self.available = bytes(value),
            "ipfs_kit_backend_capacity_bytes" => self.capacity = bytes(value),
            "ipfs_kit_backend_quota_bytes" => {
                let source = sample.label("source").and_then(quota_source);
                self.quota_bytes = bytes(value).map(|limit| (limit, source));
            }
            "ipfs_kit_backend_quota_objects" => self.quota_objects = bytes(value),
            "ipfs_kit_backend_objects" => self.objects = bytes(value),
            "ipfs_kit_backend_largest_object_bytes" => self.largest = bytes(value),
            "ipfs_kit_backend_last_success_timestamp_seconds" => self.last_success = Some(value),
            "ipfs_kit_backend_inventory_timestamp_seconds" => self.inventory_at = Some(value),
            "ipfs_kit_backend_stale" => self.stale = value >= 1.0,
            "ipfs_kit_backend_alert_active" if value >= 1.0 => {
                if let Some(rule) = sample.label("alert") {
                    self.alerts.push(rule.to_string());
                }
            }
            "ipfs_kit_ipfs_peers" => {
                self.vital.insert("peers".into(), json!(value as u64));
            }
            "ipfs_kit_ipfs_pins" => {
                self.vital.insert("pins".into(), json!(value as u64));
            }
            "ipfs_kit_cluster_peers" | "ipfs_kit_cluster_pins" => {
                if let Some(state) = sample.label("state") {
                    let prefix = if name.ends_with("peers") {
                        "peers"
                    } else {
                        "pins"
                    };
                    self.vital
                        .insert(format!("{prefix}_{state}"), json!(value as u64));
                }
            }
            "ipfs_kit_filecoin_chain_height" => {
                self.vital
                    .insert("chain_height".into(), json!(value as u64));
            }
            "ipfs_kit_filecoin_sync_lag_seconds" => {
                self.vital.insert("sync_lag_secs".into(), json!(value));
            }
            "ipfs_kit_node_up" => {
                if let Some(node) = self.node(sample) {
                    node.up = value >= 1.0;
                }
            }
            "ipfs_kit_node_free_bytes" => {
                if let Some(node) = self.node(sample) {
                    node.free_bytes = bytes(value);
                }
            }
            "ipfs_kit_node_total_bytes" => {
                if let Some(node) = self.node(sample) {
                    node.total_bytes = bytes(value);
                }
            }
            "ipfs_kit_node_resync_queue" => {
                if let Some(node) = self.node(sample) {
                    node.resync_queue = bytes(value);
                }
            }
            "ipfs_kit_node_resync_errors" => {
                if let Some(node) = self.node(sample) {
                    node.resync_errors = bytes(value);
                }
            }
            "ipfs_kit_node_last_seen_seconds" => {
                if let Some(node) = self.node(sample) {
                    node.last_seen_secs = bytes(value);
                }
            }
            "ipfs_kit_node_pins" => {
                let state = sample.label("state").map(str::to_string);
                if let Some(node) = self.node(sample) {
                    match state.as_deref() {
                        Some("error") => node.pins_error = bytes(value),
                        Some("queued") => node.pins_queued = bytes(value),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    fn into_stats(self, id: String, checked_at: Option<String>) -> BackendStats {
        let kind = self.kind.unwrap_or_else(|| "unknown".into());
        let mut storage = if kind == "local" {
            Storage::filesystem(self.capacity, self.used, self.available)
        } else {
            Storage::new(self.capacity, self.used, self.available)
        };
        // One storage per host: the host's name in front of the exporter's label.
        let instance = id.split('/').next().unwrap_or_default();
        storage.identity = self.storage.map(|label| format!("{instance}/{label}"));
        let mut quota = match self.quota_bytes {
            Some((limit, source)) => {
                let mut quota = Quota::bytes(Some(limit), self.used, QuotaSource::Soft);
                quota.source = source;
                quota
            }
            None => Quota::default(),
        };
        if let Some(limit) = self.quota_objects {
            quota.objects_limit = Some(limit);
            quota.objects_used = self.objects;
        }
        let status = match (self.health, self.up) {
            (Some(status), _) => status,
            (None, Some(false)) => HealthStatus::Down,
            (None, _) => HealthStatus::Unknown,
        };
        let message = match status {
            HealthStatus::Down => Some("down, as its host's engine reports it".to_string()),
            _ => None,
        };
        let mut vital = self.vital;
        if let Some(version) = self.version {
            vital.insert("version".into(), json!(version));
        }
        let alerts = self
            .alerts
            .into_iter()
            .map(|rule| AlertBrief {
                message: format!("{rule} alert active on its host"),
                rule,
                since: String::new(),
            })
            .collect();
        let reached = self.last_success.is_some();
        BackendStats {
            id,
            kind,
            enabled: status != HealthStatus::Disabled,
            health: Health {
                status,
                message,
                checked_at: checked_at.clone(),
                failure: None,
                next_check_at: None,
            },
            storage,
            files: Files {
                count: self.objects,
                largest: self.largest,
                as_of: self.inventory_at.and_then(rfc3339),
                ..Files::default()
            },
            quota,
            performance: self.performance,
            vital,
            alerts,
            stale: self.stale,
            source: if self.stale && reached {
                Source::Metadata
            } else {
                Source::Live
            },
            updated_at: self.last_success.and_then(rfc3339).or(checked_at),
            // Down nodes first, as the console lists a host's own.
            nodes: {
                let mut nodes: Vec<NodeView> = self.nodes.into_values().collect();
                nodes.sort_by_key(|n| n.up);
                nodes
            },
            ..BackendStats::default()
        }
    }
}

/// Assembles one round from what Prometheus answered. `last_known` is what earlier rounds saw
/// (for hosts that stopped answering); `listed` the backends named by the past day's info
/// series (for hosts never seen answering).
pub fn assemble(
    current: &[Sample],
    performance: &[(PerfFigure, Vec<Sample>)],
    targets: &[Target],
    hosts_seen: &BTreeMap<String, String>,
    last_known: &BTreeMap<(String, String), BackendStats>,
    listed: &[Sample],
) -> FleetRound {
    let mut partial: BTreeMap<(String, String), Partial> = BTreeMap::new();
    for sample in current {
        let (Some(host), Some(backend)) = (sample.label("instance"), sample.label("backend"))
        else {
            continue;
        };
        partial
            .entry((host.to_string(), backend.to_string()))
            .or_default()
            .take(sample);
    }
    for (figure, samples) in performance {
        for sample in samples {
            let (Some(host), Some(backend)) = (sample.label("instance"), sample.label("backend"))
            else {
                continue;
            };
            if let Some(entry) = partial.get_mut(&(host.to_string(), backend.to_string())) {
                let perf = &mut entry.performance;
                match figure {
                    PerfFigure::AvgSeconds => perf.avg_response_time = Some(sample.value * 1000.0),
                    PerfFigure::P95Seconds => perf.p95_response_time = Some(sample.value * 1000.0),
                    PerfFigure::Answered => perf.success_rate = Some(sample.value.clamp(0.0, 1.0)),
                }
            }
        }
    }
    // Our hosts: every instance with our series now, every one seen in the past day, and every
    // target of a job one of those belongs to.
    let mut jobs: BTreeSet<&str> = hosts_seen.values().map(String::as_str).collect();
    for sample in current {
        if let Some(job) = sample.label("job") {
            jobs.insert(job);
        }
    }
    let with_series: BTreeSet<&str> = partial.keys().map(|(host, _)| host.as_str()).collect();
    let mut hosts: BTreeMap<String, HostState> = BTreeMap::new();
    for target in targets {
        let ours = jobs.contains(target.job.as_str())
            || hosts_seen.contains_key(&target.instance)
            || with_series.contains(target.instance.as_str());
        if ours {
            hosts.insert(
                target.instance.clone(),
                HostState {
                    instance: target.instance.clone(),
                    job: target.job.clone(),
                    up: target.is_up(),
                    reason: (!target.is_up()).then(|| {
                        if target.last_error.is_empty() {
                            format!("not scraped yet ({})", target.health)
                        } else {
                            target.last_error.clone()
                        }
                    }),
                    last_scrape: target.last_scrape.clone(),
                },
            );
        }
    }
    // A host whose target was removed from Prometheus' config but whose series still answer.
    for (host, _) in partial.keys() {
        hosts.entry(host.clone()).or_insert_with(|| HostState {
            instance: host.clone(),
            job: String::new(),
            up: true,
            reason: None,
            last_scrape: None,
        });
    }
    let mut rows = Vec::new();
    for state in hosts.values() {
        if state.up {
            for ((host, backend), figures) in
                partial.range((state.instance.clone(), String::new())..)
            {
                if *host != state.instance {
                    break;
                }
                if figures.kind.is_none() {
                    continue;
                }
                let id = row_id(host, backend);
                let stats = figures.clone().into_stats(id, state.last_scrape.clone());
                rows.push(FleetRow {
                    host: host.clone(),
                    backend: backend.clone(),
                    stats,
                });
            }
            continue;
        }
        let reason = state.reason.clone().unwrap_or_default();
        let message = format!("host unreachable: {reason}");
        let mut any = false;
        for ((host, backend), stats) in last_known {
            if *host != state.instance {
                continue;
            }
            any = true;
            let mut stats = stats.clone();
            stats.health.status = HealthStatus::Unknown;
            stats.health.message = Some(message.clone());
            stats.stale = true;
            stats.source = Source::Metadata;
            rows.push(FleetRow {
                host: host.clone(),
                backend: backend.clone(),
                stats,
            });
        }
        if any {
            continue;
        }
        for sample in listed {
            if sample.label("instance") != Some(state.instance.as_str()) {
                continue;
            }
            let Some(backend) = sample.label("backend") else {
                continue;
            };
            any = true;
            let stats = BackendStats {
                id: row_id(&state.instance, backend),
                kind: sample.label("kind").unwrap_or("unknown").to_string(),
                enabled: true,
                health: Health {
                    status: HealthStatus::Unknown,
                    message: Some(format!("{message} (no figures since this console started)")),
                    ..Health::default()
                },
                ..BackendStats::default()
            };
            rows.push(FleetRow {
                host: state.instance.clone(),
                backend: backend.to_string(),
                stats,
            });
        }
        if !any {
            let backend = format!("({EXPORTER_KIND})");
            rows.push(FleetRow {
                host: state.instance.clone(),
                stats: BackendStats {
                    id: row_id(&state.instance, &backend),
                    kind: EXPORTER_KIND.into(),
                    enabled: true,
                    health: Health {
                        status: HealthStatus::Down,
                        message: Some(message),
                        checked_at: state.last_scrape.clone(),
                        failure: None,
                        next_check_at: None,
                    },
                    ..BackendStats::default()
                },
                backend,
            });
        }
    }
    FleetRound {
        rows,
        hosts: hosts.into_values().collect(),
    }
}

/// Which performance query a set of samples answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PerfFigure {
    AvgSeconds,
    P95Seconds,
    Answered,
}

impl Fleet {
    pub fn new(prometheus: Prometheus) -> Fleet {
        Fleet {
            prometheus,
            last_known: BTreeMap::new(),
            hosts_seen: BTreeMap::new(),
            looked_back: false,
        }
    }

    pub fn prometheus(&self) -> &Prometheus {
        &self.prometheus
    }

    /// One look at the fleet: five requests to Prometheus (six when a host is down).
    pub async fn round(&mut self) -> Result<FleetRound, FleetError> {
        let prom = &self.prometheus;
        let (targets, current, avg, p95, answered) = tokio::join!(
            prom.targets(),
            prom.query(CURRENT),
            prom.query(AVG_SECONDS),
            prom.query(P95_SECONDS),
            prom.query(ANSWERED),
        );
        let (targets, current) = (targets?, current?);
        // The performance figures are a nicety: a Prometheus that refuses one of them (an
        // old version without a function) still shows the fleet.
        let performance = vec![
            (PerfFigure::AvgSeconds, avg.unwrap_or_default()),
            (PerfFigure::P95Seconds, p95.unwrap_or_default()),
            (PerfFigure::Answered, answered.unwrap_or_default()),
        ];
        for sample in &current {
            if let (Some(host), Some(job)) = (sample.label("instance"), sample.label("job")) {
                self.hosts_seen.insert(host.to_string(), job.to_string());
            }
        }
        let any_down = targets.iter().any(|t| !t.is_up());
        let mut listed = Vec::new();
        if !self.looked_back || any_down {
            // The hosts of the past day (and their jobs): a host down since before this
            // console started is still ours.
            if let Ok(seen) = prom.query(HOSTS_SEEN).await {
                for sample in &seen {
                    if let (Some(host), Some(job)) = (sample.label("instance"), sample.label("job"))
                    {
                        self.hosts_seen
                            .entry(host.to_string())
                            .or_insert_with(|| job.to_string());
                    }
                }
            }
            self.looked_back = true;
        }
        if any_down {
            let down: Vec<String> = targets
                .iter()
                .filter(|t| !t.is_up())
                .map(|t| regex_escape(&t.instance))
                .collect();
            let expr = format!(
                "last_over_time(ipfs_kit_backend_info{{instance=~\"{}\"}}[1d])",
                down.join("|")
            );
            listed = prom.query(&expr).await.unwrap_or_default();
        }
        let round = assemble(
            &current,
            &performance,
            &targets,
            &self.hosts_seen,
            &self.last_known,
            &listed,
        );
        for row in &round.rows {
            if row.stats.source == Source::Live && row.stats.kind != EXPORTER_KIND {
                self.last_known
                    .insert((row.host.clone(), row.backend.clone()), row.stats.clone());
            }
        }
        // A backend removed on a host that answers is gone, not last-known.
        let live_hosts: BTreeSet<&str> = round
            .hosts
            .iter()
            .filter(|h| h.up)
            .map(|h| h.instance.as_str())
            .collect();
        let present: BTreeSet<(String, String)> = round
            .rows
            .iter()
            .map(|r| (r.host.clone(), r.backend.clone()))
            .collect();
        self.last_known
            .retain(|key, _| !live_hosts.contains(key.0.as_str()) || present.contains(key));
        Ok(round)
    }
}

/// A label value as a PromQL regular expression matching exactly it.
pub fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            // One backslash for the regex, doubled for the PromQL string.
            out.push_str("\\\\");
        }
        if c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str, labels: &[(&str, &str)], value: f64) -> Sample {
        let mut map: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.insert("__name__".into(), name.into());
        map.insert("job".into(), "ipfs_kit".into());
        Sample { labels: map, value }
    }

    fn host_a() -> Vec<Sample> {
        let b = |name: &str, value: f64| {
            sample(
                name,
                &[
                    ("instance", "a:9464"),
                    ("backend", "disk"),
                    ("kind", "local"),
                ],
                value,
            )
        };
        vec![
            sample(
                "ipfs_kit_backend_info",
                &[
                    ("instance", "a:9464"),
                    ("backend", "disk"),
                    ("kind", "local"),
                    ("version", ""),
                ],
                1.0,
            ),
            b("ipfs_kit_backend_up", 1.0),
            sample(
                "ipfs_kit_backend_health",
                &[
                    ("instance", "a:9464"),
                    ("backend", "disk"),
                    ("kind", "local"),
                    ("state", "healthy"),
                ],
                1.0,
            ),
            sample(
                "ipfs_kit_backend_health",
                &[
                    ("instance", "a:9464"),
                    ("backend", "disk"),
                    ("kind", "local"),
                    ("state", "down"),
                ],
                0.0,
            ),
            b("ipfs_kit_backend_used_bytes", 750.0),
            b("ipfs_kit_backend_available_bytes", 250.0),
            b("ipfs_kit_backend_capacity_bytes", 1100.0),
            b("ipfs_kit_backend_last_success_timestamp_seconds", 1.7e9),
            sample(
                "ipfs_kit_build_info",
                &[("instance", "a:9464"), ("version", "0.1.0")],
                1.0,
            ),
        ]
    }

    fn target(instance: &str, health: &str, error: &str) -> Target {
        Target {
            instance: instance.into(),
            job: "ipfs_kit".into(),
            health: health.into(),
            last_error: error.into(),
            last_scrape: Some("2026-11-25T10:00:00Z".into()),
        }
    }

    #[test]
    fn the_exporters_storage_label_makes_one_storage_per_host() {
        let info = |instance: &str, backend: &str, storage: &str| {
            sample(
                "ipfs_kit_backend_info",
                &[
                    ("instance", instance),
                    ("backend", backend),
                    ("kind", "local"),
                    ("version", ""),
                    ("storage", storage),
                ],
                1.0,
            )
        };
        let samples = vec![
            info("a:9464", "photos", "3f2a9c1e0b7d"),
            info("a:9464", "backups", "3f2a9c1e0b7d"),
            info("b:9464", "photos", "3f2a9c1e0b7d"),
        ];
        let targets = [target("a:9464", "up", ""), target("b:9464", "up", "")];
        let round = assemble(
            &samples,
            &[],
            &targets,
            &BTreeMap::new(),
            &BTreeMap::new(),
            &[],
        );
        let identity = |id: &str| {
            round
                .rows
                .iter()
                .find(|r| r.stats.id == id)
                .and_then(|r| r.stats.storage.identity.clone())
        };
        assert_eq!(identity("a:9464/photos"), identity("a:9464/backups"));
        assert_eq!(
            identity("a:9464/photos").as_deref(),
            Some("a:9464/3f2a9c1e0b7d")
        );
        // The same label on another host is another filesystem.
        assert_ne!(identity("a:9464/photos"), identity("b:9464/photos"));
    }

    #[test]
    fn node_series_become_the_backends_nodes_down_first() {
        let node = |name: &str, node: &str, extra: &[(&str, &str)], value: f64| {
            let mut labels = vec![
                ("instance", "a:9464"),
                ("backend", "cluster"),
                ("kind", "ipfs_cluster"),
                ("node", node),
            ];
            labels.extend_from_slice(extra);
            sample(name, &labels, value)
        };
        let samples = vec![
            sample(
                "ipfs_kit_backend_info",
                &[
                    ("instance", "a:9464"),
                    ("backend", "cluster"),
                    ("kind", "ipfs_cluster"),
                    ("version", "1.1.6"),
                ],
                1.0,
            ),
            node("ipfs_kit_node_up", "peer-a", &[], 1.0),
            node("ipfs_kit_node_up", "peer-b", &[], 0.0),
            node("ipfs_kit_node_free_bytes", "peer-a", &[], 9e9),
            node("ipfs_kit_node_pins", "peer-a", &[("state", "error")], 2.0),
            node("ipfs_kit_node_pins", "peer-a", &[("state", "queued")], 0.0),
            node("ipfs_kit_node_last_seen_seconds", "peer-b", &[], 42.0),
        ];
        let round = assemble(
            &samples,
            &[],
            &[target("a:9464", "up", "")],
            &BTreeMap::new(),
            &BTreeMap::new(),
            &[],
        );
        let row = round
            .rows
            .iter()
            .find(|r| r.stats.id == "a:9464/cluster")
            .unwrap();
        let nodes = &row.stats.nodes;
        assert_eq!(nodes.len(), 2, "{nodes:?}");
        assert_eq!(
            (nodes[0].name.as_str(), nodes[0].up, nodes[0].last_seen_secs),
            ("peer-b", false, Some(42))
        );
        assert_eq!(
            (
                nodes[1].name.as_str(),
                nodes[1].up,
                nodes[1].free_bytes,
                nodes[1].pins_error,
                nodes[1].pins_queued
            ),
            ("peer-a", true, Some(9_000_000_000), Some(2), Some(0))
        );
        // A figure the exporter did not send stays unknown.
        assert_eq!(nodes[1].total_bytes, None);
    }

    #[test]
    fn series_become_the_stats_model() {
        let round = assemble(
            &host_a(),
            &[(
                PerfFigure::AvgSeconds,
                vec![sample(
                    "",
                    &[("instance", "a:9464"), ("backend", "disk")],
                    0.0125,
                )],
            )],
            &[target("a:9464", "up", "")],
            &BTreeMap::new(),
            &BTreeMap::new(),
            &[],
        );
        assert_eq!(round.rows.len(), 1);
        let stats = &round.rows[0].stats;
        assert_eq!(stats.id, "a:9464/disk");
        assert_eq!(stats.kind, "local");
        assert_eq!(stats.health.status, HealthStatus::Healthy);
        assert_eq!(stats.storage.used, Some(750));
        // df's rule for a filesystem: used / (used + available).
        assert_eq!(stats.storage.usage_percent, Some(75.0));
        assert_eq!(stats.performance.avg_response_time, Some(12.5));
        // Absent series are unknown, not 0.
        assert_eq!(stats.files.count, None);
        assert_eq!(stats.quota.limit, None);
        assert!(round.hosts[0].up);
    }

    #[test]
    fn a_host_that_stops_answering_keeps_its_last_figures_with_the_reason() {
        let first = assemble(
            &host_a(),
            &[],
            &[target("a:9464", "up", "")],
            &BTreeMap::new(),
            &BTreeMap::new(),
            &[],
        );
        let known: BTreeMap<_, _> = first
            .rows
            .iter()
            .map(|r| ((r.host.clone(), r.backend.clone()), r.stats.clone()))
            .collect();
        let seen = BTreeMap::from([("a:9464".to_string(), "ipfs_kit".to_string())]);
        let reason = "Get \"http://a:9464/metrics\": dial tcp: connection refused";
        let round = assemble(
            &[],
            &[],
            &[target("a:9464", "down", reason)],
            &seen,
            &known,
            &[],
        );
        assert_eq!(round.rows.len(), 1);
        let stats = &round.rows[0].stats;
        assert!(stats.stale);
        assert_eq!(stats.storage.used, Some(750), "last-known figures kept");
        assert!(stats.health.message.as_deref().unwrap().contains(reason));
        assert!(!round.hosts[0].up);
        assert_eq!(round.hosts[0].reason.as_deref(), Some(reason));
    }

    #[test]
    fn a_host_never_seen_answering_is_one_row_that_says_why() {
        let seen = BTreeMap::from([("b:9464".to_string(), "ipfs_kit".to_string())]);
        let round = assemble(
            &host_a(),
            &[],
            &[
                target("a:9464", "up", ""),
                target("b:9464", "down", "connection refused"),
                // Another job's target (Prometheus itself) is not ours.
                Target {
                    job: "prometheus".into(),
                    ..target("localhost:9090", "up", "")
                },
            ],
            &seen,
            &BTreeMap::new(),
            &[],
        );
        let ids: Vec<&str> = round.rows.iter().map(|r| r.stats.id.as_str()).collect();
        assert_eq!(ids, ["a:9464/disk", "b:9464/(exporter)"]);
        assert_eq!(round.rows[1].stats.health.status, HealthStatus::Down);
        assert_eq!(round.hosts.len(), 2);
    }

    #[test]
    fn instance_names_are_escaped_for_a_regex() {
        assert_eq!(regex_escape("127.0.0.1:9464"), r"127\\.0\\.0\\.1:9464");
    }
}
