//! IPFS Cluster's REST API: `/health` (never needs credentials), `/id`, and the NDJSON
//! streams `/peers` and `/pins` (204 when empty, errors in the `X-Stream-Error` trailer).

use std::collections::HashMap;

use serde::de::IgnoredAny;
use serde::Deserialize;

use serde_json::{Map, Value};

use crate::backends::secret;
use crate::probe::{clean, field, join_url, required, Budget, ProbeContext, ProbeError};

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

/// One line of `GET /pins`: a `GlobalPinInfo`; only the per-peer statuses matter here.
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
    /// The stream was cut at the inventory budget: the counts are lower bounds.
    pub cut: bool,
}

impl PinCounts {
    pub fn total(&self) -> u64 {
        self.pinned + self.pinning + self.queued + self.error + self.other
    }
}

#[derive(Default)]
pub struct PeerCounts {
    pub up: u64,
    pub down: u64,
    /// The first few down peers, as "name (error)".
    pub named_down: Vec<String>,
}

/// `GET /monitor/metrics/freespace`: `value` is a decimal string.
#[derive(Deserialize)]
struct Metric {
    #[serde(default)]
    peer: Option<String>,
    #[serde(default)]
    value: Option<Value>,
    #[serde(default)]
    valid: Option<bool>,
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

    /// `GET /peers`, an NDJSON stream (204 when empty), counted as it arrives.
    pub async fn peers(&self) -> Result<PeerCounts, ProbeError> {
        let mut counts = PeerCounts::default();
        self.ctx
            .http
            .send_lines(self.get("peers"), cap::PEERS_LINE, |line| {
                let peer: PeerId = serde_json::from_slice(line)
                    .map_err(|e| ProbeError::unparsable("Cluster /peers", e))?;
                let error = clean(peer.error.as_deref().unwrap_or(""));
                if error.is_empty() {
                    counts.up += 1;
                } else {
                    counts.down += 1;
                    if counts.named_down.len() < NAMED_PEERS {
                        counts.named_down.push(format!("{} ({error})", peer.name()));
                    }
                }
                Ok(())
            })
            .await?;
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
                let pin: GlobalPin = serde_json::from_slice(line)
                    .map_err(|e| ProbeError::unparsable("Cluster /pins", e))?;
                let state = pin
                    .peer_map
                    .iter()
                    .flat_map(|map| map.values())
                    .map(|p| PinState::of(p.status.as_deref().unwrap_or("")))
                    .max()
                    .unwrap_or(PinState::Other);
                match state {
                    PinState::Pinned => counts.pinned += 1,
                    PinState::Pinning => counts.pinning += 1,
                    PinState::Queued => counts.queued += 1,
                    PinState::Error => counts.error += 1,
                    PinState::Other => counts.other += 1,
                }
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

    /// Free space of each peer that has a valid metric.
    pub async fn freespace(&self) -> Result<Vec<u64>, ProbeError> {
        const WHAT: &str = "Cluster /monitor/metrics/freespace";
        let reply = self
            .ctx
            .http
            .send(self.get("monitor/metrics/freespace"), cap::FREESPACE)
            .await?
            .success_or(WHAT)?;
        if reply.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        // Go writes `null` for an empty list.
        let metrics: Option<Vec<Metric>> = reply.json(WHAT)?;
        let mut values = Vec::new();
        for metric in metrics.unwrap_or_default() {
            if metric.valid == Some(false) {
                continue;
            }
            let value = metric.value.as_ref().and_then(crate::probe::num::to_u64);
            match value {
                Some(value) => values.push(value),
                None => {
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
                }
            }
        }
        Ok(values)
    }
}
