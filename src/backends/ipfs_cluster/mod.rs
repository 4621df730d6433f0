//! `ipfs_cluster`: an IPFS Cluster peer's REST API.

use serde_json::{Map, Value};

use super::schema::{DefaultValue, FieldSpec, FieldType};
use super::FieldError;

pub const DESCRIPTION: &str = "an IPFS Cluster peer's REST API";

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::new(
        "api_url",
        FieldType::Url,
        "Cluster REST API, e.g. http://127.0.0.1:9094",
    )
    .required()
    .default(DefaultValue::Str("http://127.0.0.1:9094")),
    FieldSpec::new(
        "user",
        FieldType::Text,
        "basic-auth user (restapi.basic_auth_credentials)",
    ),
    FieldSpec::new("password", FieldType::Text, "basic-auth password").secret(),
];

fn check_combination(config: &Map<String, Value>) -> Result<(), FieldError> {
    super::requires(config, "password", "user")
}

mod api;

use serde_json::json;

use self::api::{Api, PeerFree, PinCounts, NAMED_PEERS};
use super::kind::Config;
use crate::probe::{clean, put_text, Budget, ProbeContext, ProbeError, TestRun};
use crate::stats::nodes::{least_free, NodeView, MAX_NODES};
use crate::stats::{FailedCall, Figures, InventoryRun, Measurement, Storage};

/// The `ipfs_cluster` kind.
pub struct IpfsCluster;

// Pulse: health, /id, /peers, /health/alerts.
super::kind::backend_kind!(
    IpfsCluster,
    "ipfs_cluster",
    pulse_requests: 4,
    check: check_combination,
    inventory: inventory,
);

/// Where the backend lives, for lists.
fn target(config: &Config) -> String {
    crate::probe::field(config, "api_url")
        .unwrap_or("?")
        .to_string()
}

const ID_FEEDS: &[&str] = &[
    "vital.version",
    "vital.commit",
    "vital.peername",
    "vital.peer_id",
    "vital.cluster_peers",
];

/// `/health` is the liveness call; the peer's identity, the cluster's peers and its alerts
/// stand alone. A peer that stopped is no longer in `/peers` (CRDT drops it at once): its ping
/// alert names it.
async fn pulse(ctx: &ProbeContext, config: &Config) -> Result<Measurement, ProbeError> {
    let api = Api::new(ctx, config)?;
    // Concurrently: one pulse costs one timeout at most, not one per request.
    let (health, id, peers, silent) =
        tokio::join!(api.health(), api.id(), api.peers(), api.silent_peers());
    health?;
    let mut pulse = Measurement::default();
    let mut problems = Vec::new();
    let mut own_ipfs_error = None;
    match id {
        Ok(id) => {
            let vital = &mut pulse.vital;
            put_text(vital, "version", id.version.as_deref());
            put_text(vital, "commit", id.commit.as_deref());
            put_text(vital, "peername", id.peername.as_deref());
            put_text(vital, "peer_id", id.id.as_deref());
            vital.insert(
                "cluster_peers".into(),
                json!(id.cluster_peers.as_ref().map_or(0, Vec::len)),
            );
            let own_error = clean(id.error.as_deref().unwrap_or(""));
            if !own_error.is_empty() {
                problems.push(format!("peer reports an error: {own_error}"));
            }
            let ipfs_error = clean(
                id.ipfs
                    .as_ref()
                    .and_then(|i| i.error.as_deref())
                    .unwrap_or(""),
            );
            if !ipfs_error.is_empty() {
                own_ipfs_error = Some(ipfs_error);
            }
        }
        Err(err) => pulse.failed.push(FailedCall::new("/id", err, ID_FEEDS)),
    }
    match peers {
        Ok(mut peers) => {
            if let Ok(silent) = &silent {
                peers.add_silent(silent);
            }
            pulse.vital.insert("peers_up".into(), json!(peers.up));
            pulse.vital.insert("peers_down".into(), json!(peers.down));
            if peers.down > 0 {
                let more = peers.down - peers.named_down.len().min(NAMED_PEERS) as u64;
                let mut text = format!(
                    "{} of {} cluster peers down: {}",
                    peers.down,
                    peers.up + peers.down,
                    peers.named_down.join(", ")
                );
                if more > 0 {
                    text.push_str(&format!(" and {more} more"));
                }
                problems.push(text);
            }
            // Each peer whose own IPFS daemon fails it, by name: the weakest node.
            let mut ipfs_down: Vec<String> = peers
                .nodes
                .iter()
                .filter(|n| n.up)
                .filter_map(|n| {
                    n.ipfs_error
                        .as_ref()
                        .map(|e| format!("{} cannot reach its IPFS node: {e}", n.name))
                })
                .collect();
            if ipfs_down.len() > NAMED_PEERS {
                let more = ipfs_down.len() - NAMED_PEERS;
                ipfs_down.truncate(NAMED_PEERS);
                ipfs_down.push(format!("and {more} more peers cannot reach theirs"));
            }
            problems.extend(ipfs_down);
            pulse.nodes = peers.nodes;
        }
        Err(err) => {
            pulse.failed.push(FailedCall::new(
                "/peers",
                err,
                &["vital.peers_up", "vital.peers_down", "nodes"],
            ));
            // Without the peer list, the peer we ask still says its own.
            if let Some(error) = own_ipfs_error {
                problems.push(format!("peer cannot reach its IPFS node: {error}"));
            }
        }
    }
    if let Err(err) = silent {
        pulse.failed.push(FailedCall::new(
            "/health/alerts",
            err,
            &["vital.peers_down"],
        ));
    }
    pulse.degraded = (!problems.is_empty()).then(|| problems.join("; "));
    // `/health` needs no credentials: when the other three all refuse ours, the cluster is
    // not readable at all.
    if let Some(refused) = pulse.all_refused(3) {
        return Err(refused);
    }
    Ok(pulse)
}

const PIN_FEEDS: &[&str] = &[
    "files",
    "vital.pins_pinned",
    "vital.pins_pinning",
    "vital.pins_queued",
    "vital.pins_error",
    "vital.pins_other",
];

/// What grows with the cluster: every pin's state (a stream of all pins) and each peer's free
/// space; per peer, its pins in error and queued and its free space.
async fn inventory(
    ctx: &ProbeContext,
    config: &Config,
    _resume: Option<Value>,
    budget: &Budget,
) -> Result<InventoryRun, ProbeError> {
    let api = Api::new(ctx, config)?;
    let mut run = InventoryRun::default();
    let mut figures = Figures::default();
    let mut cut = false;
    let mut pins = None;
    if budget.take_request() {
        match api.pins(budget).await {
            Ok(counted) => {
                let vital = &mut figures.vital;
                vital.insert("pins_pinned".into(), json!(counted.pinned));
                vital.insert("pins_pinning".into(), json!(counted.pinning));
                vital.insert("pins_queued".into(), json!(counted.queued));
                vital.insert("pins_error".into(), json!(counted.error));
                vital.insert("pins_other".into(), json!(counted.other));
                figures.files.count = Some(counted.total());
                cut |= counted.cut;
                pins = Some(counted);
            }
            Err(err) => run.failed.push(FailedCall::new("/pins", err, PIN_FEEDS)),
        }
    } else {
        cut = true;
    }
    let mut freespace = None;
    if budget.take_request() {
        match api.freespace().await {
            Ok(free) => freespace = Some(free),
            Err(err) => run.failed.push(FailedCall::new(
                "/monitor/metrics/freespace",
                err,
                &["storage", "vital.freespace_min"],
            )),
        }
    } else {
        cut = true;
    }
    figures.nodes = peer_figures(pins.as_ref(), freespace.as_deref().unwrap_or_default());
    if freespace.is_some() {
        // The fullest peer is what the cluster can still take: a pin replicated to every peer
        // (replication -1, the default) fails once one of them is full. A sum over the peers
        // would say there is room when there is none.
        let available = least_free(&figures.nodes);
        figures.storage = Storage::new(None, None, available);
        if let Some(min) = available {
            figures.storage.identity =
                super::storage_identity("ipfs_cluster", config, "api_url", "peers");
            figures.vital.insert("freespace_min".into(), json!(min));
        }
    }
    figures.files.partial = cut;
    // A failed call costs its own figures (named in the record), not the others' exactness.
    run.complete = !cut;
    run.requests = budget.requests();
    run.figures = figures;
    Ok(run)
}

/// Each peer's own figures, by peer id: its free space and when its metric was received, its
/// pins in error and queued. Pins per peer are known only from a stream read to its end (a cut
/// one gives lower bounds); a peer with a freespace metric that no pin names has none.
fn peer_figures(pins: Option<&PinCounts>, freespace: &[PeerFree]) -> Vec<NodeView> {
    let mut nodes: Vec<NodeView> = Vec::new();
    fn find<'n>(nodes: &'n mut Vec<NodeView>, peer: &str) -> Option<&'n mut NodeView> {
        if let Some(index) = nodes.iter().position(|n| n.id.as_deref() == Some(peer)) {
            return nodes.get_mut(index);
        }
        if nodes.len() >= MAX_NODES {
            return None;
        }
        nodes.push(NodeView::named(None, Some(peer)));
        nodes.last_mut()
    }
    for metric in freespace {
        let Some(peer) = metric.peer.as_deref() else {
            continue;
        };
        if let Some(node) = find(&mut nodes, peer) {
            // Several metrics of one peer: the least free is the one to worry about.
            node.free_bytes = Some(node.free_bytes.map_or(metric.free, |f| f.min(metric.free)));
            node.last_seen_secs = metric.seen_secs_ago.or(node.last_seen_secs);
        }
    }
    if let Some(pins) = pins.filter(|p| !p.cut) {
        for (peer, counts) in &pins.per_peer {
            if let Some(node) = find(&mut nodes, &clean(peer)) {
                node.pins_error = Some(counts.error);
                node.pins_queued = Some(counts.queued);
            }
        }
        for node in &mut nodes {
            node.pins_error.get_or_insert(0);
            node.pins_queued.get_or_insert(0);
        }
    }
    nodes
}

async fn test(ctx: &ProbeContext, config: &Config, run: &mut TestRun) -> Result<(), ProbeError> {
    let api = Api::new(ctx, config)?;
    run.step("reachable: health", api.health(), |status| {
        format!("alive (HTTP {status})")
    })
    .await?;
    // `/health` never asks for credentials; `/id` does when auth is on.
    run.step("authenticated: id", api.id(), |id| {
        format!(
            "peer {}, IPFS Cluster {}",
            id.name(),
            id.version.as_deref().unwrap_or("(version not given)")
        )
    })
    .await?;
    run.step("read: peers", api.peers(), |peers| {
        format!("{} peers up, {} down", peers.up, peers.down)
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::PeerPins;

    #[test]
    fn each_peer_has_its_free_space_and_pins_and_the_fullest_counts() {
        let free = |peer: &str, free: u64, seen: Option<u64>| PeerFree {
            peer: Some(peer.into()),
            free,
            seen_secs_ago: seen,
        };
        let freespace = [free("peer-a", 5_000, Some(3)), free("peer-b", 900, None)];
        let mut pins = PinCounts::default();
        pins.per_peer.insert(
            "peer-b".into(),
            PeerPins {
                error: 2,
                queued: 1,
            },
        );
        let nodes = peer_figures(Some(&pins), &freespace);
        let [a, b] = &nodes[..] else {
            panic!("{nodes:?}")
        };
        assert_eq!(a.id.as_deref(), Some("peer-a"));
        assert_eq!(
            (a.free_bytes, a.last_seen_secs, a.pins_error, a.pins_queued),
            (Some(5_000), Some(3), Some(0), Some(0))
        );
        assert_eq!(
            (b.free_bytes, b.last_seen_secs, b.pins_error, b.pins_queued),
            (Some(900), None, Some(2), Some(1))
        );
        assert_eq!(least_free(&nodes), Some(900));
        // A pin stream cut at the budget gives lower bounds: no per-peer pins.
        pins.cut = true;
        let nodes = peer_figures(Some(&pins), &freespace);
        assert!(nodes.iter().all(|n| n.pins_error.is_none()), "{nodes:?}");
    }
}
