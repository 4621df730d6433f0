//! IPFS Cluster's REST API: `/health` (never needs credentials), `/id`, and the NDJSON
//! streams `/peers` and `/pins` (204 when empty, errors in the `X-Stream-Error` trailer).

use std::collections::HashMap;

use serde::de::IgnoredAny;
use serde::Deserialize;

use serde_json::{Map, Value};

use crate::backends::secret;
use crate::probe::{clean, field, join_url, required, Budget, ProbeContext, ProbeError};
use crate::stats::nodes::{make_names_unique, NodeView, MAX_NODES};

/// Down peers named in the degraded message; the rest are counted.
pub const NAMED_PEERS: usize = 3;

/// What each call may answer. A peer's identity lists every peer of the cluster
/// (`cluster_peers`, ~55 bytes each, and `cluster_peers_addresses`, ~300 more), so `/id` and
/// each `/peers` line grow with the cluster: about 1 KiB plus 350 bytes a peer.
mod cap {
    use crate::probe::Cap;

    /// 204, no body.
    pub const HEALTH: Cap = Cap::kib("Cluster /health", 64);
    /// Room for a cluster of ~370 peers; a watched cluster has a handful to a few dozen.
    pub const ID: Cap = Cap::kib("Cluster /id", 128);
    /// One peer's identity per line, the same shape as `/id`.
    pub const PEERS_LINE: Cap = Cap::kib("Cluster /peers", 128);
    /// One pin per line: its CID, name, allocations and one `peer_map` entry (~700 bytes with
    /// the peer's IPFS addresses) per peer that holds it: every peer with replication -1, so
    /// ~370 peers take about half of this.
    pub const PINS_LINE: Cap = Cap::kib("Cluster /pins", 512);
    /// Cluster keeps its last 1,000 alerts (cluster.go `maxAlerts`, then starts again), about
    /// 450 bytes each.
    pub const ALERTS: Cap = Cap::kib("Cluster /health/alerts", 640);
    /// One metric per peer, about 250 bytes each.
    pub const FREESPACE: Cap = Cap::kib("Cluster /monitor/metrics/freespace", 512);
}

/// `GET /id`, and each line of `GET /peers`. Go writes `null` for empty lists, so every field
/// is optional.
#[derive(Deserialize)]
pub struct PeerId {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub peername: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub commit: Option<String>,
    #[serde(default)]
    pub cluster_peers: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub ipfs: Option<IpfsId>,
}

impl PeerId {
    /// The peer as one node of the cluster: up unless it reports an error (a peer that cannot
    /// be reached is listed by `/peers` with only its id and the error).
    pub fn node(&self) -> NodeView {
        let error = Some(clean(self.error.as_deref().unwrap_or(""))).filter(|e| !e.is_empty());
        let ipfs_error = self
            .ipfs
            .as_ref()
            .and_then(|i| i.error.as_deref())
            .map(clean)
            .filter(|e| !e.is_empty());
        NodeView {
            up: error.is_none(),
            error,
            ipfs_error,
            ..NodeView::named(self.peername.as_deref(), self.id.as_deref())
        }
    }

    /// The name a person knows the peer by: its peername, else its ID.
    pub fn name(&self) -> String {
        let name = clean(self.peername.as_deref().unwrap_or(""));
        if name.is_empty() {
            clean(self.id.as_deref().unwrap_or("(unnamed peer)"))
        } else {
            name
        }
    }
}

#[derive(Deserialize)]
pub struct IpfsId {
    #[serde(default)]
    pub error: Option<String>,
}

/// One line of `GET /pins`: a `GlobalPinInfo`; only the per-peer statuses matter here (the
/// `peer_map` is keyed by peer id).
#[derive(Deserialize)]
struct GlobalPin {
    #[serde(default)]
    peer_map: Option<HashMap<String, PeerPin>>,
}

#[derive(Deserialize)]
struct PeerPin {
    #[serde(default)]
    status: Option<String>,
}

/// A pin's overall state, ordered from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum PinState {
    /// Neither pinned nor on its way: remote, unpinned, sharded, unpinning, undefined, ...
    Other,
    Pinned,
    Pinning,
    /// Waiting to start: further from pinned than pinning.
    Queued,
    Error,
}

impl PinState {
    /// Cluster's per-peer tracker statuses. `error` and `queued` are its filter names;
    /// accepted too in case a peer reports them. `unpin_error` and `unexpectedly_unpinned`
    /// are errors by Cluster's own error mask and recover operation.
    fn of(status: &str) -> PinState {
        match status {
            "pin_error" | "cluster_error" | "error" | "unpin_error" | "unexpectedly_unpinned" => {
                PinState::Error
            }
            "pin_queued" | "unpin_queued" | "queued" => PinState::Queued,
            "pinning" => PinState::Pinning,
            "pinned" => PinState::Pinned,
            _ => PinState::Other,
        }
    }
}

#[derive(Default)]
pub struct PinCounts {
    pub pinned: u64,
    pub pinning: u64,
    pub queued: u64,
    pub error: u64,
    pub other: u64,
    /// Per peer id (every peer a pin's peer map names): pins in error and pins queued on it.
    pub per_peer: HashMap<String, PeerPins>,
    /// The stream was cut at the inventory budget: the counts are lower bounds.
    pub cut: bool,
}

/// One peer's pins that need attention.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeerPins {
    pub error: u64,
    pub queued: u64,
}

impl PinCounts {
    pub fn total(&self) -> u64 {
        self.pinned + self.pinning + self.queued + self.error + self.other
    }

    /// Counts one line of `/pins`: the pin once, under the worst status any peer reports for
    /// it, and on each peer its own status.
    fn count(&mut self, line: &[u8]) -> Result<(), ProbeError> {
        let pin: GlobalPin =
            serde_json::from_slice(line).map_err(|e| ProbeError::unparsable("Cluster /pins", e))?;
        let mut worst = PinState::Other;
        for (peer, status) in pin.peer_map.iter().flatten() {
            let state = PinState::of(status.status.as_deref().unwrap_or(""));
            worst = worst.max(state);
            // Bounded as the node list is: a peer map naming more peers than that is no
            // cluster anyone watches.
            if !self.per_peer.contains_key(peer) && self.per_peer.len() >= MAX_NODES {
                continue;
            }
            let counts = self.per_peer.entry(peer.clone()).or_default();
            match state {
                PinState::Error => counts.error += 1,
                PinState::Queued => counts.queued += 1,
                _ => {}
            }
        }
        match worst {
            PinState::Pinned => self.pinned += 1,
            PinState::Pinning => self.pinning += 1,
            PinState::Queued => self.queued += 1,
            PinState::Error => self.error += 1,
            PinState::Other => self.other += 1,
        }
        Ok(())
    }
}

#[derive(Default)]
pub struct PeerCounts {
    pub up: u64,
    pub down: u64,
    /// The first few down peers, as "name (error)".
    pub named_down: Vec<String>,
    /// Every peer (up to `MAX_NODES`), named uniquely.
    pub nodes: Vec<NodeView>,
}

impl PeerCounts {
    /// Counts as down each peer the cluster stopped hearing from that is not back in `/peers`.
    pub fn add_silent(&mut self, silent: &[SilentPeer]) {
        for peer in silent {
            if self
                .nodes
                .iter()
                .any(|n| n.id.as_deref() == Some(peer.id.as_str()))
            {
                continue;
            }
            // The time of its last ping, not its age: a message that changed every poll would
            // be announced every poll.
            let seen = peer
                .last_ping_nanos
                .map(chrono::DateTime::from_timestamp_nanos)
                .map_or_else(
                    || "no ping received".to_string(),
                    |at| {
                        format!(
                            "no ping since {}",
                            at.with_timezone(&chrono::Local).format("%H:%M:%S")
                        )
                    },
                );
            let node = NodeView {
                up: false,
                error: Some(seen.clone()),
                last_seen_secs: peer.seen_secs_ago,
                ..NodeView::named(peer.name.as_deref(), Some(&peer.id))
            };
            self.down += 1;
            if self.named_down.len() < NAMED_PEERS {
                self.named_down.push(format!("{} ({seen})", node.name));
            }
            if self.nodes.len() < MAX_NODES {
                self.nodes.push(node);
            }
        }
    }

    /// Counts one line of `/peers`.
    fn count(&mut self, line: &[u8]) -> Result<(), ProbeError> {
        let peer: PeerId = serde_json::from_slice(line)
            .map_err(|e| ProbeError::unparsable("Cluster /peers", e))?;
        let node = peer.node();
        match &node.error {
            None => self.up += 1,
            Some(error) => {
                self.down += 1;
                if self.named_down.len() < NAMED_PEERS {
                    self.named_down.push(format!("{} ({error})", peer.name()));
                }
            }
        }
        if self.nodes.len() < MAX_NODES {
            self.nodes.push(node);
        }
        Ok(())
    }
}

/// One entry of `GET /health/alerts`: a metric of a peer that expired. A `ping` alert is a peer
/// the cluster stopped hearing from; its `value` is a JSON text with the peer's name.
#[derive(Deserialize)]
struct Alert {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    peer: Option<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    received_at: Option<i64>,
}

#[derive(Deserialize)]
struct PingValue {
    #[serde(default)]
    peer_name: Option<String>,
}

/// A peer the cluster stopped hearing from, by its latest ping alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SilentPeer {
    pub id: String,
    pub name: Option<String>,
    /// How long before `now` its last ping arrived.
    pub seen_secs_ago: Option<u64>,
    /// When its last ping arrived (unix nanoseconds).
    pub last_ping_nanos: Option<i64>,
}

/// The peers named by `ping` alerts, each once with its latest alert, `now` being the unix time
/// in nanoseconds. Cluster never forgets an alert (until 1,000 more), so a peer that came back
/// is among these: the caller keeps only those not in `/peers`.
fn parse_alerts(body: &[u8], now_nanos: i64) -> Result<Vec<SilentPeer>, ProbeError> {
    const WHAT: &str = "Cluster /health/alerts";
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let alerts: Option<Vec<Alert>> =
        serde_json::from_slice(body).map_err(|e| ProbeError::unparsable(WHAT, e))?;
    let mut latest: HashMap<String, (i64, SilentPeer)> = HashMap::new();
    for alert in alerts.unwrap_or_default() {
        if alert.name.as_deref() != Some("ping") {
            continue;
        }
        let Some(id) = alert.peer.as_deref().map(clean).filter(|p| !p.is_empty()) else {
            continue;
        };
        let received = alert.received_at.unwrap_or(0);
        let name = alert
            .value
            .as_deref()
            .and_then(|v| serde_json::from_str::<PingValue>(v).ok())
            .and_then(|v| v.peer_name);
        let seen_secs_ago = alert
            .received_at
            .filter(|at| *at > 0)
            .map(|at| u64::try_from(now_nanos.saturating_sub(at) / 1_000_000_000).unwrap_or(0));
        let peer = SilentPeer {
            id: id.clone(),
            name,
            seen_secs_ago,
            last_ping_nanos: alert.received_at.filter(|at| *at > 0),
        };
        match latest.get(&id) {
            Some((at, _)) if *at >= received => {}
            _ => {
                latest.insert(id, (received, peer));
            }
        }
    }
    let mut peers: Vec<SilentPeer> = latest.into_values().map(|(_, p)| p).collect();
    peers.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(peers)
}

/// `GET /monitor/metrics/freespace`: `value` is a decimal string, `received_at` when the peer
/// we ask received it (unix nanoseconds).
#[derive(Deserialize)]
struct Metric {
    #[serde(default)]
    peer: Option<String>,
    #[serde(default)]
    value: Option<Value>,
    #[serde(default)]
    valid: Option<bool>,
    #[serde(default)]
    received_at: Option<i64>,
}

/// One peer's free space, as its last valid metric says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerFree {
    pub peer: Option<String>,
    pub free: u64,
    /// How long before `now` the metric was received, when it says.
    pub seen_secs_ago: Option<u64>,
}

/// The answer of `/monitor/metrics/freespace`, each valid metric's free space, `now` being the
/// unix time in nanoseconds.
fn parse_freespace(body: &[u8], now_nanos: i64) -> Result<Vec<PeerFree>, ProbeError> {
    const WHAT: &str = "Cluster /monitor/metrics/freespace";
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    // Go writes `null` for an empty list.
    let metrics: Option<Vec<Metric>> =
        serde_json::from_slice(body).map_err(|e| ProbeError::unparsable(WHAT, e))?;
    let mut values = Vec::new();
    for metric in metrics.unwrap_or_default() {
        if metric.valid == Some(false) {
            continue;
        }
        let value = metric.value.as_ref().and_then(crate::probe::num::to_u64);
        let Some(free) = value else {
            let shown = match &metric.value {
                Some(Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
                None => "(none)".into(),
            };
            return Err(ProbeError::unparsable(
                WHAT,
                format!(
                    "freespace value '{}' of peer {} is not a number of bytes",
                    clean(&shown),
                    clean(metric.peer.as_deref().unwrap_or("(unnamed)"))
                ),
            ));
        };
        // 0 is Go's zero value: not given.
        let seen_secs_ago = metric
            .received_at
            .filter(|at| *at > 0)
            .map(|at| u64::try_from(now_nanos.saturating_sub(at) / 1_000_000_000).unwrap_or(0));
        values.push(PeerFree {
            peer: metric.peer.as_deref().map(clean).filter(|p| !p.is_empty()),
            free,
            seen_secs_ago,
        });
    }
    Ok(values)
}

/// An IPFS Cluster peer's REST API.
pub struct Api<'a> {
    ctx: &'a ProbeContext,
    base: &'a str,
    user: Option<&'a str>,
    password: Option<String>,
}

impl<'a> Api<'a> {
    pub fn new(
        ctx: &'a ProbeContext,
        config: &'a Map<String, Value>,
    ) -> Result<Api<'a>, ProbeError> {
        Ok(Api {
            ctx,
            base: required(config, "api_url")?,
            user: field(config, "user"),
            password: secret::field(config, "password")?,
        })
    }

    /// A GET, with basic auth when a user is set (the password may be empty, as Cluster
    /// allows).
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        let request = self.ctx.http.client().get(join_url(self.base, path));
        match self.user {
            Some(user) => request.basic_auth(user, self.password.as_deref()),
            None => request,
        }
    }

    /// `GET /health`: 204 when alive. Never needs credentials, so none are sent.
    pub async fn health(&self) -> Result<u16, ProbeError> {
        let request = self.ctx.http.client().get(join_url(self.base, "health"));
        let reply = self.ctx.http.send(request, cap::HEALTH).await?;
        Ok(reply.success_or("Cluster /health")?.status)
    }

    pub async fn id(&self) -> Result<PeerId, ProbeError> {
        self.ctx
            .http
            .send(self.get("id"), cap::ID)
            .await?
            .success_or("Cluster /id")?
            .json("Cluster /id")
    }

    /// `GET /peers`, an NDJSON stream (204 when empty), counted as it arrives; each peer kept
    /// as a node.
    pub async fn peers(&self) -> Result<PeerCounts, ProbeError> {
        let mut counts = PeerCounts::default();
        self.ctx
            .http
            .send_lines(self.get("peers"), cap::PEERS_LINE, |line| {
                counts.count(line)
            })
            .await?;
        make_names_unique(&mut counts.nodes);
        Ok(counts)
    }

    /// `GET /pins`, an NDJSON stream (204 when empty); each pin counted once, under the worst
    /// status any peer reports for it.
    pub async fn pins(&self, budget: &Budget) -> Result<PinCounts, ProbeError> {
        let mut counts = PinCounts::default();
        let streamed = self
            .ctx
            .http
            .send_lines(self.get("pins"), cap::PINS_LINE, |line| {
                counts.count(line)?;
                // The clock is read every 1024 pins: cheap, and fine-grained enough.
                if counts.total().is_multiple_of(1024) && budget.expired() {
                    return Err(ProbeError::Budget);
                }
                Ok(())
            })
            .await;
        match streamed {
            Ok(_) => Ok(counts),
            Err(ProbeError::Budget) => Ok(PinCounts {
                cut: true,
                ..counts
            }),
            Err(err) => Err(err),
        }
    }

    /// The peers the cluster stopped hearing from (`GET /health/alerts`). With CRDT consensus
    /// a peer that stops is dropped from `/peers` at once: only its ping alert still names it.
    pub async fn silent_peers(&self) -> Result<Vec<SilentPeer>, ProbeError> {
        let reply = self
            .ctx
            .http
            .send(self.get("health/alerts"), cap::ALERTS)
            .await?
            .success_or("Cluster /health/alerts")?;
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX);
        parse_alerts(&reply.body, now)
    }

    /// Free space of each peer that has a valid metric.
    pub async fn freespace(&self) -> Result<Vec<PeerFree>, ProbeError> {
        let reply = self
            .ctx
            .http
            .send(self.get("monitor/metrics/freespace"), cap::FREESPACE)
            .await?
            .success_or("Cluster /monitor/metrics/freespace")?;
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX);
        parse_freespace(&reply.body, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER_A: &str = "12D3KooWLeCtmPjvtUsCEmU8bqSwUPUHZMQyd3yQvRS5aHkAAAAA";
    const PEER_B: &str = "12D3KooWLeCtmPjvtUsCEmU8bqSwUPUHZMQyd3yQvRS5aHkBBBBB";

    #[test]
    fn each_peer_of_the_stream_is_a_node_with_its_errors() {
        let mut counts = PeerCounts::default();
        let lines = [
            serde_json::json!({"id": PEER_A, "peername": "cluster-a", "version": "1.1.2",
                "cluster_peers": [PEER_A, PEER_B],
                "addresses": ["/ip4/10.0.0.5/tcp/9096"],
                "ipfs": {"id": "12D3KooWIpfs", "error": ""}, "error": ""}),
            serde_json::json!({"id": PEER_B, "peername": "",
                "ipfs": {"error": "dial tcp 127.0.0.1:5001: connection refused"},
                "error": "context deadline exceeded"}),
        ];
        for line in lines {
            counts.count(line.to_string().as_bytes()).unwrap();
        }
        assert_eq!((counts.up, counts.down), (1, 1));
        let [a, b] = &counts.nodes[..] else {
            panic!("two nodes: {:?}", counts.nodes)
        };
        assert_eq!(a.name, "cluster-a");
        assert_eq!(a.id.as_deref(), Some(PEER_A));
        assert!(a.up && a.error.is_none() && a.ipfs_error.is_none());
        // A peer that cannot be reached has only its id: named by its end.
        assert_eq!(b.name, "kBBBBB");
        assert!(!b.up);
        assert_eq!(b.error.as_deref(), Some("context deadline exceeded"));
        assert_eq!(
            b.ipfs_error.as_deref(),
            Some("dial tcp 127.0.0.1:5001: connection refused")
        );
        assert_eq!(b.free_bytes, None, "never 0 for unknown");
    }

    #[test]
    fn freespace_per_peer_with_when_it_was_received() {
        let now: i64 = 1_795_003_200_000_000_000;
        let body = serde_json::json!([
            {"name": "freespace", "peer": PEER_A, "value": "1000000", "expire": now + 30,
             "valid": true, "weight": 0, "partitionable": false, "received_at": now - 12_000_000_000i64},
            {"name": "freespace", "peer": PEER_B, "value": "250", "valid": true},
            {"name": "freespace", "peer": "12D3KooWstale", "value": "1", "valid": false}
        ]);
        let free = parse_freespace(body.to_string().as_bytes(), now).unwrap();
        assert_eq!(
            free,
            [
                PeerFree {
                    peer: Some(PEER_A.into()),
                    free: 1_000_000,
                    seen_secs_ago: Some(12)
                },
                PeerFree {
                    peer: Some(PEER_B.into()),
                    free: 250,
                    seen_secs_ago: None
                },
            ]
        );
        assert_eq!(parse_freespace(b"null", now).unwrap(), []);
        assert_eq!(parse_freespace(b"  ", now).unwrap(), []);
        let bad = serde_json::json!([{"peer": PEER_A, "value": "lots", "valid": true}]);
        assert!(parse_freespace(bad.to_string().as_bytes(), now).is_err());
    }

    #[test]
    fn pins_are_counted_once_and_on_each_peer() {
        let pin = |a: &str, b: &str| {
            serde_json::json!({"cid": "bafy", "peer_map": {
                PEER_A: {"peername": "cluster-a", "status": a},
                PEER_B: {"peername": "cluster-b", "status": b}}})
            .to_string()
        };
        let mut counts = PinCounts::default();
        for (a, b) in [
            ("pinned", "pinned"),
            ("pinned", "pin_error"),
            ("pin_queued", "pin_error"),
            ("pinning", "pinned"),
        ] {
            counts.count(pin(a, b).as_bytes()).unwrap();
        }
        assert_eq!(
            (counts.pinned, counts.pinning, counts.queued, counts.error),
            (1, 1, 0, 2)
        );
        assert_eq!(
            counts.per_peer[PEER_A],
            PeerPins {
                error: 0,
                queued: 1
            }
        );
        assert_eq!(
            counts.per_peer[PEER_B],
            PeerPins {
                error: 2,
                queued: 0
            }
        );
    }

    #[test]
    fn ping_alerts_name_each_silent_peer_once_with_its_latest_ping() {
        let now: i64 = 1_796_669_400_000_000_000;
        let body = serde_json::json!([
            {"name": "ping", "peer": "12D3KooWPeerB", "value": "{\"peer_name\":\"peer-b\",\"ipfs_id\":\"x\"}",
             "expire": 0, "valid": true, "weight": 0, "partitionable": false,
             "received_at": now - 30_000_000_000i64, "triggered_at": "2026-12-07T18:48:46Z"},
            {"name": "ping", "peer": "12D3KooWPeerB", "value": "{\"peer_name\":\"peer-b\"}",
             "received_at": now - 90_000_000_000i64},
            {"name": "freespace", "peer": "12D3KooWPeerC", "value": "100", "received_at": now},
            {"name": "ping", "peer": "12D3KooWPeerD", "value": "not json", "received_at": now - 5_000_000_000i64}
        ]);
        let peers = parse_alerts(body.to_string().as_bytes(), now).unwrap();
        assert_eq!(
            peers,
            [
                SilentPeer {
                    id: "12D3KooWPeerB".into(),
                    name: Some("peer-b".into()),
                    seen_secs_ago: Some(30),
                    last_ping_nanos: Some(now - 30_000_000_000),
                },
                SilentPeer {
                    id: "12D3KooWPeerD".into(),
                    name: None,
                    seen_secs_ago: Some(5),
                    last_ping_nanos: Some(now - 5_000_000_000),
                },
            ]
        );
        assert_eq!(parse_alerts(b"null", now).unwrap(), []);
        assert_eq!(parse_alerts(b"", now).unwrap(), []);
        let err = parse_alerts(b"{\"oops\": 1}", now).unwrap_err();
        assert!(err.to_string().contains("/health/alerts"), "{err}");
    }
}
