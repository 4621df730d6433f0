//! How one poll's answer becomes a backend's stats: the pulse's live figures, what a failed call
//! keeps from before (with its age), what only the inventory counts (with its time), and the
//! health and message that follow.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::store::timestamp;

use super::{
    nodes, BackendStats, Figures, Health, HealthStatus, InventoryRecord, Measurement, Source,
};

/// Figures flattened to `group.name` paths (non-null values only) with when each was read
/// (`None`: by this pulse).
type Layered = BTreeMap<String, (Value, Option<String>)>;

const GROUPS: [&str; 3] = ["storage", "files", "quota"];

fn flatten_into(
    out: &mut Layered,
    figures: &Figures,
    time: Option<&str>,
    keep: impl Fn(&str) -> bool,
) {
    let groups = [
        ("storage", serde_json::to_value(&figures.storage).ok()),
        ("files", serde_json::to_value(&figures.files).ok()),
        ("quota", serde_json::to_value(&figures.quota).ok()),
    ];
    let vital = figures.vital.iter().map(|(k, v)| (format!("vital.{k}"), v));
    let mut paths: Vec<(String, &Value)> = vital.collect();
    let group_values: Vec<(&str, Map<String, Value>)> = groups
        .into_iter()
        .filter_map(|(group, value)| match value {
            Some(Value::Object(map)) => Some((group, map)),
            _ => None,
        })
        .collect();
    for (group, map) in &group_values {
        for (name, value) in map {
            if name != "as_of" {
                paths.push((format!("{group}.{name}"), value));
            }
        }
    }
    for (path, value) in paths {
        if value.is_null() || out.contains_key(&path) || !keep(&path) {
            continue;
        }
        out.insert(path, (value.clone(), time.map(str::to_string)));
    }
}

impl BackendStats {
    fn figures(&self) -> Figures {
        Figures {
            storage: self.storage.clone(),
            files: self.files.clone(),
            quota: self.quota.clone(),
            vital: self.vital.clone(),
            concern: None,
            nodes: Vec::new(),
        }
    }

    /// When the figure at `path` was read, as these stats say.
    fn time_of(&self, path: &str) -> Option<String> {
        let group_time = match path.split_once('.') {
            Some(("storage", _)) => self.storage.as_of.clone(),
            Some(("files", _)) => self.files.as_of.clone(),
            Some(("quota", _)) => self.quota.as_of.clone(),
            Some(("vital", key)) => self.vital_as_of.get(key).cloned(),
            _ => None,
        };
        group_time.or_else(|| self.updated_at.clone())
    }

    /// Takes a pulse. The backend answered: what the pulse read is live; the figures of a call
    /// that failed keep their last-known values with their age (and the backend is degraded,
    /// the message naming the call); what only the inventory counts comes from the kept
    /// inventory, with its age.
    pub fn apply_pulse(
        &mut self,
        pulse: Measurement,
        inventory: Option<&InventoryRecord>,
        now: &str,
    ) {
        let shown = inventory.and_then(InventoryRecord::shown);
        let concern = shown.as_ref().and_then(|(figures, as_of)| {
            let concern = figures.concern.as_deref()?;
            // The count's time, not its age: a message that changed every poll would be
            // announced every poll.
            let at = crate::store::timestamp::parse(as_of)
                .map_or_else(|| as_of.clone(), |at| timestamp::local_minute(&at));
            Some(format!("{concern} (counted {at})"))
        });
        let problems = match (pulse.problems(), concern) {
            (Some(problems), Some(concern)) => Some(format!("{problems}; {concern}")),
            (problems, concern) => problems.or(concern),
        };
        let nodes_failed = pulse.failed.iter().any(|f| f.feeds_path("nodes"));
        let kept_nodes = std::mem::take(&mut self.nodes);
        let kept_from = self.updated_at.clone();
        let live_nodes = pulse.nodes;
        let live = Figures {
            storage: pulse.storage,
            files: pulse.files,
            quota: pulse.quota,
            vital: pulse.vital,
            concern: None,
            nodes: Vec::new(),
        };
        self.nodes = nodes::compose(
            live_nodes,
            nodes_failed.then_some((kept_nodes.as_slice(), kept_from.as_deref())),
            shown
                .as_ref()
                .map(|(figures, as_of)| (figures.nodes.as_slice(), as_of.as_str())),
        );
        // Resync errors are counted by the inventory: the pulse cannot say them itself.
        let problems = match (problems, nodes::problems(&self.nodes)) {
            (Some(pulse), Some(nodes)) => Some(format!("{pulse}; {nodes}")),
            (pulse, nodes) => pulse.or(nodes),
        };
        if pulse.failed.is_empty() {
            // The common case, every poll: no figure to keep from before, so the layers are
            // typed overlays (no JSON round trip).
            self.overlay(live, shown);
        } else {
            let mut layered = Layered::new();
            flatten_into(&mut layered, &live, None, |_| true);
            let kept = self.figures();
            let mut from_kept = Layered::new();
            flatten_into(&mut from_kept, &kept, None, |path| {
                pulse.failed.iter().any(|f| f.feeds_path(path))
            });
            for (path, (value, _)) in from_kept {
                let time = self.time_of(&path);
                layered.entry(path).or_insert((value, time));
            }
            if let Some((figures, as_of)) = &shown {
                flatten_into(&mut layered, figures, Some(as_of), |_| true);
            }
            self.set_figures(layered);
        }
        self.inventory = inventory.and_then(InventoryRecord::summary);

        self.health = Health {
            status: if problems.is_none() {
                HealthStatus::Healthy
            } else {
                HealthStatus::Degraded
            },
            message: problems,
            checked_at: Some(now.to_string()),
            failure: None,
            next_check_at: None,
        };
        self.stale = false;
        self.source = Source::Live;
        self.updated_at = Some(now.to_string());
    }

    /// The pulse's figures, with what it leaves unknown filled from the inventory (`shown`),
    /// each group that took an inventory figure carrying the inventory's time.
    fn overlay(&mut self, live: Figures, shown: Option<(Figures, String)>) {
        let Some((counted, as_of)) = shown else {
            self.storage = live.storage;
            self.files = live.files;
            self.quota = live.quota;
            self.vital = live.vital;
            self.vital_as_of.clear();
            return;
        };
        /// Takes `counted` where `live` is unknown; says whether it took any.
        fn fill<T>(live: &mut Option<T>, counted: Option<T>) -> bool {
            if live.is_none() && counted.is_some() {
                *live = counted;
                true
            } else {
                false
            }
        }
        let (mut storage, c) = (live.storage, counted.storage);
        let took_storage = [
            fill(&mut storage.total, c.total),
            fill(&mut storage.used, c.used),
            fill(&mut storage.available, c.available),
            fill(&mut storage.usage_percent, c.usage_percent),
            fill(&mut storage.identity, c.identity),
        ]
        .contains(&true);
        storage.as_of = took_storage.then(|| as_of.clone());
        let (mut files, c) = (live.files, counted.files);
        let took_files = [
            fill(&mut files.count, c.count),
            fill(&mut files.bytes, c.bytes),
            fill(&mut files.largest, c.largest),
        ]
        .contains(&true);
        if took_files {
            files.partial |= c.partial;
        }
        files.as_of = took_files.then(|| as_of.clone());
        let (mut quota, c) = (live.quota, counted.quota);
        let took_quota = [
            fill(&mut quota.limit, c.limit),
            fill(&mut quota.used, c.used),
            fill(&mut quota.remaining, c.remaining),
            fill(&mut quota.objects_limit, c.objects_limit),
            fill(&mut quota.objects_used, c.objects_used),
            fill(&mut quota.source, c.source),
        ]
        .contains(&true);
        quota.as_of = took_quota.then(|| as_of.clone());
        let mut vital = live.vital;
        self.vital_as_of.clear();
        for (key, value) in counted.vital {
            if !vital.contains_key(&key) && !value.is_null() {
                self.vital_as_of.insert(key.clone(), as_of.clone());
                vital.insert(key, value);
            }
        }
        self.storage = storage;
        self.files = files;
        self.quota = quota;
        self.vital = vital;
    }

    /// Rebuilds the figure groups from layered paths; a group read before this pulse carries
    /// the oldest time among its figures.
    fn set_figures(&mut self, layered: Layered) {
        let mut groups: BTreeMap<&str, (Map<String, Value>, Option<String>)> =
            GROUPS.iter().map(|g| (*g, (Map::new(), None))).collect();
        self.vital = Map::new();
        self.vital_as_of = BTreeMap::new();
        for (path, (value, time)) in layered {
            let Some((group, name)) = path.split_once('.') else {
                continue;
            };
            if group == "vital" {
                if let Some(time) = time {
                    self.vital_as_of.insert(name.to_string(), time);
                }
                self.vital.insert(name.to_string(), value);
            } else if let Some((map, oldest)) = groups.get_mut(group) {
                map.insert(name.to_string(), value);
                if let Some(time) = time {
                    if oldest.as_ref().is_none_or(|o| time < *o) {
                        *oldest = Some(time);
                    }
                }
            }
        }
        let take = |groups: &mut BTreeMap<&str, (Map<String, Value>, Option<String>)>,
                    name: &str| {
            let (mut map, oldest) = groups.remove(name).unwrap_or_default();
            if let Some(oldest) = oldest {
                map.insert("as_of".into(), Value::String(oldest));
            }
            Value::Object(map)
        };
        self.storage = serde_json::from_value(take(&mut groups, "storage")).unwrap_or_default();
        self.files = serde_json::from_value(take(&mut groups, "files")).unwrap_or_default();
        self.quota = serde_json::from_value(take(&mut groups, "quota")).unwrap_or_default();
    }

    /// Takes a failed poll: the figures already held stay, marked stale (if there are any),
    /// with the failure as the health message.
    pub fn apply_failure(&mut self, status: HealthStatus, message: String, now: &str) {
        self.health = Health {
            status,
            message: Some(message),
            checked_at: Some(now.to_string()),
            failure: None,
            next_check_at: None,
        };
        // Figures from an earlier answer are last-known; a backend never reached has none,
        // and is not "stale".
        let reached = self.updated_at.is_some();
        self.stale = reached;
        self.source = if reached {
            Source::Metadata
        } else {
            Source::Live
        };
    }
}
