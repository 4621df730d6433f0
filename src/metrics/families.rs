//! The metric families the exporter writes (their names, help, types and units: one table) and
//! how a [`Snapshot`] becomes their samples.
//!
//! Rules kept here: a figure nobody could obtain is an absent series, never 0; label values are
//! backend ids, kinds and words of our own (states, results, rules, quota sources), never a URL,
//! a host name or a secret (Prometheus adds `instance` itself).

use std::collections::BTreeMap;

use serde_json::Value;

use super::Snapshot;
use crate::monitor::alerts::Rule;
use crate::monitor::tally::{PollResult, PollTally};
use crate::probe::num;
use crate::stats::{BackendStats, HealthStatus};

/// A family's type, as OpenMetrics names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    Gauge,
    /// Its samples are `<name>_total`.
    Counter,
    /// Its samples are `<name>_bucket`, `<name>_sum` and `<name>_count`.
    Histogram,
}

/// The base unit a family's name ends with (OpenMetrics writes it as `# UNIT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricUnit {
    Bytes,
    Seconds,
}

impl MetricUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            MetricUnit::Bytes => "bytes",
            MetricUnit::Seconds => "seconds",
        }
    }
}

/// Every family, in the order they are written. The names are a contract: the fleet view, the
/// shipped alert rules and the Grafana dashboard read them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    BuildInfo,
    BackendInfo,
    BackendUp,
    BackendHealth,
    BackendStale,
    BackendUsedBytes,
    BackendAvailableBytes,
    BackendCapacityBytes,
    BackendQuotaBytes,
    BackendQuotaObjects,
    BackendObjects,
    BackendLargestObjectBytes,
    BackendPollDuration,
    BackendPolls,
    BackendLastSuccess,
    BackendInventoryTimestamp,
    BackendAlertActive,
    BackendMaintenance,
    IpfsPeers,
    IpfsPins,
    ClusterPeers,
    ClusterPins,
    FilecoinChainHeight,
    FilecoinSyncLag,
    NodeUp,
    NodeFreeBytes,
    NodeTotalBytes,
    NodePins,
    NodeResyncQueue,
    NodeResyncErrors,
    NodeLastSeen,
}

impl Family {
    pub const ALL: [Family; 31] = [
        Family::BuildInfo,
        Family::BackendInfo,
        Family::BackendUp,
        Family::BackendHealth,
        Family::BackendStale,
        Family::BackendUsedBytes,
        Family::BackendAvailableBytes,
        Family::BackendCapacityBytes,
        Family::BackendQuotaBytes,
        Family::BackendQuotaObjects,
        Family::BackendObjects,
        Family::BackendLargestObjectBytes,
        Family::BackendPollDuration,
        Family::BackendPolls,
        Family::BackendLastSuccess,
        Family::BackendInventoryTimestamp,
        Family::BackendAlertActive,
        Family::BackendMaintenance,
        Family::IpfsPeers,
        Family::IpfsPins,
        Family::ClusterPeers,
        Family::ClusterPins,
        Family::FilecoinChainHeight,
        Family::FilecoinSyncLag,
        Family::NodeUp,
        Family::NodeFreeBytes,
        Family::NodeTotalBytes,
        Family::NodePins,
        Family::NodeResyncQueue,
        Family::NodeResyncErrors,
        Family::NodeLastSeen,
    ];

    /// The family's name as OpenMetrics writes it in `# TYPE` (a counter's samples add
    /// `_total`); it ends with the unit when there is one.
    pub fn name(self) -> &'static str {
        match self {
            Family::BuildInfo => "ipfs_kit_build_info",
            Family::BackendInfo => "ipfs_kit_backend_info",
            Family::BackendUp => "ipfs_kit_backend_up",
            Family::BackendHealth => "ipfs_kit_backend_health",
            Family::BackendStale => "ipfs_kit_backend_stale",
            Family::BackendUsedBytes => "ipfs_kit_backend_used_bytes",
            Family::BackendAvailableBytes => "ipfs_kit_backend_available_bytes",
            Family::BackendCapacityBytes => "ipfs_kit_backend_capacity_bytes",
            Family::BackendQuotaBytes => "ipfs_kit_backend_quota_bytes",
            Family::BackendQuotaObjects => "ipfs_kit_backend_quota_objects",
            Family::BackendObjects => "ipfs_kit_backend_objects",
            Family::BackendLargestObjectBytes => "ipfs_kit_backend_largest_object_bytes",
            Family::BackendPollDuration => "ipfs_kit_backend_poll_duration_seconds",
            Family::BackendPolls => "ipfs_kit_backend_polls",
            Family::BackendLastSuccess => "ipfs_kit_backend_last_success_timestamp_seconds",
            Family::BackendInventoryTimestamp => "ipfs_kit_backend_inventory_timestamp_seconds",
            Family::BackendAlertActive => "ipfs_kit_backend_alert_active",
            Family::BackendMaintenance => "ipfs_kit_backend_maintenance",
            Family::IpfsPeers => "ipfs_kit_ipfs_peers",
            Family::IpfsPins => "ipfs_kit_ipfs_pins",
            Family::ClusterPeers => "ipfs_kit_cluster_peers",
            Family::ClusterPins => "ipfs_kit_cluster_pins",
            Family::FilecoinChainHeight => "ipfs_kit_filecoin_chain_height",
            Family::FilecoinSyncLag => "ipfs_kit_filecoin_sync_lag_seconds",
            Family::NodeUp => "ipfs_kit_node_up",
            Family::NodeFreeBytes => "ipfs_kit_node_free_bytes",
            Family::NodeTotalBytes => "ipfs_kit_node_total_bytes",
            Family::NodePins => "ipfs_kit_node_pins",
            Family::NodeResyncQueue => "ipfs_kit_node_resync_queue",
            Family::NodeResyncErrors => "ipfs_kit_node_resync_errors",
            Family::NodeLastSeen => "ipfs_kit_node_last_seen_seconds",
        }
    }

    pub fn help(self) -> &'static str {
        match self {
            Family::BuildInfo => "The exporter's version (ipfs-kit-tui); always 1",
            Family::BackendInfo => {
                "One per configured backend, always 1: its kind, the version the backend \
                 reports (empty when unknown) and, where known, storage: a hash naming what its \
                 storage figures measure (backends of one host with the same one share one \
                 filesystem, bucket or remote)"
            }
            Family::BackendUp => {
                "1 when the backend answered its last poll, 0 when it did not; absent when it is \
                 not polled (disabled, unsupported kind) or not polled yet"
            }
            Family::BackendHealth => {
                "The backend's health: one series per state, 1 for the current one, 0 for the others"
            }
            Family::BackendStale => {
                "1 when the backend's figures are last-known ones (kept from an earlier answer), \
                 0 when they are from this process's polls"
            }
            Family::BackendUsedBytes => "Bytes used on the backend (storage.used)",
            Family::BackendAvailableBytes => "Bytes still available on the backend (storage.available)",
            Family::BackendCapacityBytes => "The backend's total capacity in bytes (storage.total)",
            Family::BackendQuotaBytes => {
                "The backend's quota in bytes; source says what sets it: garage (enforced), \
                 gc_threshold (where garbage collection starts), soft (the config's, only watched)"
            }
            Family::BackendQuotaObjects => "The backend's quota in objects; source as for the byte quota",
            Family::BackendObjects => {
                "Objects on the backend: the inventory's count when it finished, else the count \
                 the backend reports with its quota (quota.objects_used); a count that stopped at \
                 a limit is not exported"
            }
            Family::BackendLargestObjectBytes => {
                "Size of the largest object, from an inventory that finished"
            }
            Family::BackendPollDuration => {
                "How long this process's polls of the backend took (the pulse, retries included)"
            }
            Family::BackendPolls => "This process's polls of the backend, by how they ended",
            Family::BackendLastSuccess => {
                "When the backend last answered a poll (unix time), this process's or an earlier one's"
            }
            Family::BackendInventoryTimestamp => {
                "When the inventory behind the counted figures (objects, largest) finished (unix time)"
            }
            Family::BackendAlertActive => {
                "1 while the backend has an active alert of the rule, else 0 (enabled backends)"
            }
            Family::BackendMaintenance => {
                "1 while the backend is in a maintenance window (still polled, its alerts held: \
                 rules may leave it out with `unless on(instance, backend)`), else 0"
            }
            Family::IpfsPeers => "Peers an IPFS node is connected to (swarm/peers)",
            Family::IpfsPins => "Pins on an IPFS node (pin/ls, counted by the inventory)",
            Family::ClusterPeers => "IPFS Cluster peers by state (up, down)",
            Family::ClusterPins => "IPFS Cluster pins by state, as the inventory counted them",
            Family::FilecoinChainHeight => "The Filecoin node's chain head height",
            Family::FilecoinSyncLag => "How far the Filecoin node's chain head is behind the clock",
            Family::NodeUp => {
                "1 when a node of a clustered backend (an IPFS Cluster peer, a Garage node) is up, \
                 0 when its cluster says it is not"
            }
            Family::NodeFreeBytes => {
                "Free bytes on a node's data storage (a Cluster peer's freespace metric, a Garage \
                 node's data partition)"
            }
            Family::NodeTotalBytes => "Size in bytes of a node's data storage (a Garage node's data partition)",
            Family::NodePins => "Pins of an IPFS Cluster peer by state (error, queued), as the inventory counted them",
            Family::NodeResyncQueue => "Blocks in a Garage node's resync queue",
            Family::NodeResyncErrors => {
                "Blocks a Garage node failed to resync (counted by the inventory)"
            }
            Family::NodeLastSeen => {
                "How long before the figures were read the node's cluster last heard from it"
            }
        }
    }

    pub fn kind(self) -> MetricKind {
        match self {
            Family::BackendPollDuration => MetricKind::Histogram,
            Family::BackendPolls => MetricKind::Counter,
            _ => MetricKind::Gauge,
        }
    }

    pub fn unit(self) -> Option<MetricUnit> {
        match self {
            Family::BackendUsedBytes
            | Family::BackendAvailableBytes
            | Family::BackendCapacityBytes
            | Family::BackendQuotaBytes
            | Family::BackendLargestObjectBytes
            | Family::NodeFreeBytes
            | Family::NodeTotalBytes => Some(MetricUnit::Bytes),
            Family::BackendPollDuration
            | Family::BackendLastSuccess
            | Family::BackendInventoryTimestamp
            | Family::FilecoinSyncLag
            | Family::NodeLastSeen => Some(MetricUnit::Seconds),
            _ => None,
        }
    }

    /// The names of the series this family writes, as Prometheus stores them.
    pub fn series_names(self) -> Vec<String> {
        let name = self.name();
        match self.kind() {
            MetricKind::Gauge => vec![name.to_string()],
            MetricKind::Counter => vec![format!("{name}_total")],
            MetricKind::Histogram => ["_bucket", "_sum", "_count"]
                .iter()
                .map(|suffix| format!("{name}{suffix}"))
                .collect(),
        }
    }
}

/// Every series name the exporter can write (for dashboards, rules and tests to check against).
pub fn series_names() -> Vec<String> {
    Family::ALL.iter().flat_map(|f| f.series_names()).collect()
}

/// One sample's value.
#[derive(Clone, Debug, PartialEq)]
pub enum SampleValue {
    Int(i64),
    Float(f64),
    Counter(u64),
    Histogram {
        sum: f64,
        count: u64,
        /// `(upper bound, observations in this bucket alone)`, not cumulative (the encoder sums
        /// them up); the last bound is `f64::MAX`, which the encoder writes as `+Inf`.
        buckets: Vec<(f64, u64)>,
    },
}

impl SampleValue {
    fn of_u64(value: u64) -> SampleValue {
        // Beyond i64 (never a real byte count) it is written as a float rather than refused.
        i64::try_from(value)
            .map(SampleValue::Int)
            .unwrap_or(SampleValue::Float(value as f64))
    }

    fn flag(on: bool) -> SampleValue {
        SampleValue::Int(i64::from(on))
    }
}

/// One series: its labels (in order) and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub labels: Vec<(&'static str, String)>,
    pub value: SampleValue,
}

/// The families that have samples, in [`Family::ALL`]'s order, each with its samples.
pub fn build(snapshot: &Snapshot) -> Vec<(Family, Vec<Sample>)> {
    let mut out: BTreeMap<Family, Vec<Sample>> = BTreeMap::new();
    let mut push = |family: Family, labels: Vec<(&'static str, String)>, value: SampleValue| {
        out.entry(family)
            .or_default()
            .push(Sample { labels, value });
    };
    push(
        Family::BuildInfo,
        vec![("version", env!("CARGO_PKG_VERSION").to_string())],
        SampleValue::Int(1),
    );
    let never_polled = PollTally::default();
    for stats in &snapshot.backends {
        let base = || vec![("backend", stats.id.clone()), ("kind", stats.kind.clone())];
        let with = |name: &'static str, value: &str| {
            let mut labels = base();
            labels.push((name, value.to_string()));
            labels
        };
        let only_backend = || vec![("backend", stats.id.clone())];
        let polled = is_polled(stats);
        let tally = snapshot.tallies.get(&stats.id).unwrap_or(&never_polled);

        let mut info = with("version", &version_label(stats));
        if let Some(storage) = storage_label(stats) {
            info.push(("storage", storage));
        }
        push(Family::BackendInfo, info, SampleValue::Int(1));
        if polled && tally.count > 0 {
            push(
                Family::BackendUp,
                base(),
                SampleValue::flag(stats.health.status != HealthStatus::Down),
            );
        }
        for state in HEALTH_STATES {
            push(
                Family::BackendHealth,
                with("state", state.as_str()),
                SampleValue::flag(stats.health.status == state),
            );
        }
        push(Family::BackendStale, base(), SampleValue::flag(stats.stale));

        let storage = &stats.storage;
        for (family, figure) in [
            (Family::BackendUsedBytes, storage.used),
            (Family::BackendAvailableBytes, storage.available),
            (Family::BackendCapacityBytes, storage.total),
        ] {
            if let Some(value) = figure {
                push(family, base(), SampleValue::of_u64(value));
            }
        }
        let source = stats.quota.source.map_or("unknown", |s| s.as_str());
        for (family, figure) in [
            (Family::BackendQuotaBytes, stats.quota.limit),
            (Family::BackendQuotaObjects, stats.quota.objects_limit),
        ] {
            if let Some(value) = figure {
                push(family, with("source", source), SampleValue::of_u64(value));
            }
        }
        if let Some(objects) = objects(stats) {
            push(Family::BackendObjects, base(), SampleValue::of_u64(objects));
        }
        if let Some(largest) = stats.files.largest.filter(|_| !stats.files.partial) {
            push(
                Family::BackendLargestObjectBytes,
                base(),
                SampleValue::of_u64(largest),
            );
        }

        if polled {
            push(Family::BackendPollDuration, base(), histogram(tally));
            for result in PollResult::ALL {
                let polls = tally.by_result.get(&result).copied().unwrap_or(0);
                push(
                    Family::BackendPolls,
                    with("result", result.as_str()),
                    SampleValue::Counter(polls),
                );
            }
        }
        if let Some(at) = stats.updated_at.as_deref().and_then(unix_seconds) {
            push(Family::BackendLastSuccess, base(), SampleValue::Float(at));
        }
        let counted_at = stats.inventory.as_ref().and_then(|i| i.as_of.as_deref());
        if let Some(at) = counted_at.and_then(unix_seconds) {
            push(
                Family::BackendInventoryTimestamp,
                base(),
                SampleValue::Float(at),
            );
        }
        if stats.enabled {
            for rule in Rule::ALL {
                let active = snapshot
                    .active_alerts
                    .contains(&(stats.id.clone(), rule.as_str().to_string()));
                let mut labels = only_backend();
                labels.push(("alert", rule.as_str().to_string()));
                push(
                    Family::BackendAlertActive,
                    labels,
                    SampleValue::flag(active),
                );
            }
        }

        push(
            Family::BackendMaintenance,
            only_backend(),
            SampleValue::flag(stats.maintenance.is_some()),
        );

        let vital = |key: &str| stats.vital.get(key).and_then(vital_number);
        match stats.kind.as_str() {
            "ipfs" => {
                for (family, key) in [(Family::IpfsPeers, "peers"), (Family::IpfsPins, "pins")] {
                    if let Some(value) = vital(key) {
                        push(family, only_backend(), value);
                    }
                }
            }
            "ipfs_cluster" => {
                for (state, key) in [("up", "peers_up"), ("down", "peers_down")] {
                    if let Some(value) = vital(key) {
                        let mut labels = only_backend();
                        labels.push(("state", state.to_string()));
                        push(Family::ClusterPeers, labels, value);
                    }
                }
                for state in ["pinned", "pinning", "queued", "error", "other"] {
                    if let Some(value) = vital(&format!("pins_{state}")) {
                        let mut labels = only_backend();
                        labels.push(("state", state.to_string()));
                        push(Family::ClusterPins, labels, value);
                    }
                }
            }
            "filecoin" => {
                if let Some(value) = vital("chain_height") {
                    push(Family::FilecoinChainHeight, only_backend(), value);
                }
                if let Some(value) = vital("sync_lag_secs") {
                    push(Family::FilecoinSyncLag, only_backend(), value);
                }
            }
            _ => {}
        }

        for node in &stats.nodes {
            let labels = || {
                let mut labels = base();
                labels.push(("node", node.name.clone()));
                labels
            };
            push(Family::NodeUp, labels(), SampleValue::flag(node.up));
            for (family, figure) in [
                (Family::NodeFreeBytes, node.free_bytes),
                (Family::NodeTotalBytes, node.total_bytes),
                (Family::NodeResyncQueue, node.resync_queue),
                (Family::NodeResyncErrors, node.resync_errors),
                (Family::NodeLastSeen, node.last_seen_secs),
            ] {
                if let Some(value) = figure {
                    push(family, labels(), SampleValue::of_u64(value));
                }
            }
            for (state, figure) in [("error", node.pins_error), ("queued", node.pins_queued)] {
                if let Some(value) = figure {
                    let mut labels = labels();
                    labels.push(("state", state.to_string()));
                    push(Family::NodePins, labels, SampleValue::of_u64(value));
                }
            }
        }
    }
    Family::ALL
        .iter()
        .filter_map(|family| out.remove(family).map(|samples| (*family, samples)))
        .collect()
}

/// Every health state, in the order the stateset writes them.
const HEALTH_STATES: [HealthStatus; 8] = HealthStatus::ALL;

/// Whether the engine polls the backend at all (enabled, of a kind it can probe).
fn is_polled(stats: &BackendStats) -> bool {
    stats.enabled
        && !matches!(
            stats.health.status,
            HealthStatus::Disabled | HealthStatus::Unsupported
        )
}

/// The objects on a backend: the inventory's count when it finished (a count that stopped at a
/// limit is a lower bound, not the count), else what the backend reports with its quota.
fn objects(stats: &BackendStats) -> Option<u64> {
    stats
        .files
        .count
        .filter(|_| !stats.files.partial)
        .or(stats.quota.objects_used)
}

/// What the backend's storage figures measure (`storage.identity`: a filesystem, a bucket, a
/// remote), as 12 hex digits of its SHA-256: backends of one host with the same label share one
/// storage, and the fleet view counts it once; the path or address itself stays on the host.
fn storage_label(stats: &BackendStats) -> Option<String> {
    use sha2::Digest;
    let identity = stats.storage.identity.as_deref()?;
    let digest = sha2::Sha256::digest(identity.as_bytes());
    Some(digest.iter().take(6).map(|b| format!("{b:02x}")).collect())
}

/// The version a backend reports, fit for a label: bounded, printable, and never something
/// that looks like an address (a label is no place for where a backend lives).
fn version_label(stats: &BackendStats) -> String {
    let text = match stats.vital.get("version") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return String::new(),
    };
    let text = crate::text::sanitize(text.trim(), 64);
    if text.contains("://") {
        String::new()
    } else {
        text
    }
}

/// A vital figure as a number (backends send numbers, or numbers as decimal strings).
fn vital_number(value: &Value) -> Option<SampleValue> {
    if let Some(n) = num::to_i64(value) {
        return Some(SampleValue::Int(n));
    }
    num::to_u64(value)
        .map(SampleValue::of_u64)
        .or_else(|| num::to_f64(value).map(SampleValue::Float))
}

/// A kept timestamp as unix seconds (millisecond precision).
fn unix_seconds(text: &str) -> Option<f64> {
    crate::store::timestamp::parse(text).map(|at| at.timestamp_millis() as f64 / 1000.0)
}

/// The engine's tally as the histogram encoder wants it: per-bucket counts, `+Inf` last.
fn histogram(tally: &PollTally) -> SampleValue {
    let mut below = 0;
    let buckets = tally
        .cumulative_buckets()
        .into_iter()
        .map(|(bound, cumulative)| {
            let in_bucket = cumulative.saturating_sub(below);
            below = cumulative;
            let bound = if bound.is_finite() { bound } else { f64::MAX };
            (bound, in_bucket)
        })
        .collect();
    SampleValue::Histogram {
        sum: tally.sum_secs,
        count: tally.count,
        buckets,
    }
}
