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

pub(super) fn check_combination(config: &Map<String, Value>) -> Result<(), FieldError> {
    super::requires(config, "password", "user")
}

use std::collections::HashMap;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::json;

use crate::probe::{clean, field, join_url, required, secret, ProbeContext, ProbeError, TestRun};
use crate::stats::{Files, Measurement, Storage};

/// Down peers named in the degraded message; the rest are counted.
const NAMED_PEERS: usize = 3;

/// `GET /id`, and each line of `GET /peers`. Go writes `null` for empty lists, so every field
/// is optional.
#[derive(Deserialize)]
struct PeerId {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    peername: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    commit: Option<String>,
    #[serde(default)]
    cluster_peers: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    ipfs: Option<IpfsId>,
}

impl PeerId {
    /// The name a person knows the peer by: its peername, else its ID.
    fn name(&self) -> String {
        let name = clean(self.peername.as_deref().unwrap_or(""));
        if name.is_empty() {
            clean(self.id.as_deref().unwrap_or("(unnamed peer)"))
        } else {
            name
        }
    }
}

#[derive(Deserialize)]
struct IpfsId {
    #[serde(default)]
    error: Option<String>,
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
struct PinCounts {
    pinned: u64,
    pinning: u64,
    queued: u64,
    error: u64,
    other: u64,
}

impl PinCounts {
    fn total(&self) -> u64 {
        self.pinned + self.pinning + self.queued + self.error + self.other
    }
}

#[derive(Default)]
struct PeerCounts {
    up: u64,
    down: u64,
    /// The first few down peers, as "name (error)".
    named_down: Vec<String>,
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
struct Api<'a> {
    ctx: &'a ProbeContext,
    base: &'a str,
    user: Option<&'a str>,
    password: Option<String>,
}

impl<'a> Api<'a> {
    fn new(ctx: &'a ProbeContext, config: &'a Map<String, Value>) -> Result<Api<'a>, ProbeError> {
        Ok(Api {
            ctx,
            base: required(config, "api_url")?,
            user: field(config, "user"),
            password: secret(config, "password")?,
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
    async fn health(&self) -> Result<u16, ProbeError> {
        let request = self.ctx.http.client().get(join_url(self.base, "health"));
        let reply = self.ctx.http.send(request).await?;
        Ok(reply.success_or("Cluster /health")?.status)
    }

    async fn id(&self) -> Result<PeerId, ProbeError> {
        self.ctx
            .http
            .send(self.get("id"))
            .await?
            .success_or("Cluster /id")?
            .json("Cluster /id")
    }

    /// `GET /peers`, an NDJSON stream (204 when empty), counted as it arrives.
    async fn peers(&self) -> Result<PeerCounts, ProbeError> {
        let mut counts = PeerCounts::default();
        self.ctx
            .http
            .send_lines(self.get("peers"), |line| {
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
    async fn pins(&self) -> Result<PinCounts, ProbeError> {
        let mut counts = PinCounts::default();
        self.ctx
            .http
            .send_lines(self.get("pins"), |line| {
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
                Ok(())
            })
            .await?;
        Ok(counts)
    }

    /// Free space of each peer that has a valid metric.
    async fn freespace(&self) -> Result<Vec<u64>, ProbeError> {
        const WHAT: &str = "Cluster /monitor/metrics/freespace";
        let reply = self
            .ctx
            .http
            .send(self.get("monitor/metrics/freespace"))
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
            let value = match &metric.value {
                Some(Value::String(text)) => text.trim().parse::<u64>().ok(),
                Some(Value::Number(number)) => number.as_u64(),
                _ => None,
            };
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

pub async fn measure(
    ctx: &ProbeContext,
    config: &Map<String, Value>,
) -> Result<Measurement, ProbeError> {
    let api = Api::new(ctx, config)?;
    // Concurrently: one round costs one timeout at most, not one per request.
    let (_, id, peers, pins, freespace) = tokio::try_join!(
        api.health(),
        api.id(),
        api.peers(),
        api.pins(),
        api.freespace()
    )?;

    let mut problems = Vec::new();
    let mut vital = Map::new();
    crate::probe::put_text(&mut vital, "version", id.version.as_deref());
    crate::probe::put_text(&mut vital, "commit", id.commit.as_deref());
    crate::probe::put_text(&mut vital, "peername", id.peername.as_deref());
    crate::probe::put_text(&mut vital, "peer_id", id.id.as_deref());
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
        problems.push(format!("peer cannot reach its IPFS node: {ipfs_error}"));
    }

    vital.insert("peers_up".into(), json!(peers.up));
    vital.insert("peers_down".into(), json!(peers.down));
    if peers.down > 0 {
        let more = peers.down - peers.named_down.len() as u64;
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

    vital.insert("pins_pinned".into(), json!(pins.pinned));
    vital.insert("pins_pinning".into(), json!(pins.pinning));
    vital.insert("pins_queued".into(), json!(pins.queued));
    vital.insert("pins_error".into(), json!(pins.error));
    vital.insert("pins_other".into(), json!(pins.other));
    if pins.error > 0 {
        problems.push(format!("{} of {} pins in error", pins.error, pins.total()));
    }

    let available = (!freespace.is_empty()).then(|| freespace.iter().sum::<u64>());
    if let Some(min) = freespace.iter().min() {
        vital.insert("freespace_min".into(), json!(min));
    }

    Ok(Measurement {
        degraded: (!problems.is_empty()).then(|| problems.join("; ")),
        storage: Storage::new(None, None, available),
        files: Files {
            count: Some(pins.total()),
            ..Files::default()
        },
        quota: Default::default(),
        vital,
    })
}

pub async fn test(
    ctx: &ProbeContext,
    config: &Map<String, Value>,
    run: &mut TestRun,
) -> Result<(), ProbeError> {
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
