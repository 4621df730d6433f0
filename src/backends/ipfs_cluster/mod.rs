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

use self::api::{Api, NAMED_PEERS};
use super::kind::Config;
use crate::probe::{clean, put_text, Budget, ProbeContext, ProbeError, TestRun};
use crate::stats::{FailedCall, Figures, InventoryRun, Measurement, Storage};

/// The `ipfs_cluster` kind.
pub struct IpfsCluster;

// Pulse: health, /id, /peers.
super::kind::backend_kind!(
    IpfsCluster,
    "ipfs_cluster",
    pulse_requests: 3,
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

/// `/health` is the liveness call; the peer's identity and the cluster's peers stand alone.
async fn pulse(ctx: &ProbeContext, config: &Config) -> Result<Measurement, ProbeError> {
    let api = Api::new(ctx, config)?;
    // Concurrently: one pulse costs one timeout at most, not one per request.
    let (health, id, peers) = tokio::join!(api.health(), api.id(), api.peers());
    health?;
    let mut pulse = Measurement::default();
    let mut problems = Vec::new();
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
                problems.push(format!("peer cannot reach its IPFS node: {ipfs_error}"));
            }
        }
        Err(err) => pulse.failed.push(FailedCall::new("/id", err, ID_FEEDS)),
    }
    match peers {
        Ok(peers) => {
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
        }
        Err(err) => pulse.failed.push(FailedCall::new(
            "/peers",
            err,
            &["vital.peers_up", "vital.peers_down"],
        )),
    }
    pulse.degraded = (!problems.is_empty()).then(|| problems.join("; "));
    // `/health` needs no credentials: when `/id` and `/peers` both refuse ours, the cluster
    // is not readable at all.
    if let Some(refused) = pulse.all_refused(2) {
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
/// space.
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
    if budget.take_request() {
        match api.pins(budget).await {
            Ok(pins) => {
                let vital = &mut figures.vital;
                vital.insert("pins_pinned".into(), json!(pins.pinned));
                vital.insert("pins_pinning".into(), json!(pins.pinning));
                vital.insert("pins_queued".into(), json!(pins.queued));
                vital.insert("pins_error".into(), json!(pins.error));
                vital.insert("pins_other".into(), json!(pins.other));
                figures.files.count = Some(pins.total());
                cut |= pins.cut;
            }
            Err(err) => run.failed.push(FailedCall::new("/pins", err, PIN_FEEDS)),
        }
    } else {
        cut = true;
    }
    if budget.take_request() {
        match api.freespace().await {
            Ok(freespace) => {
                let available = (!freespace.is_empty()).then(|| freespace.iter().sum::<u64>());
                figures.storage = Storage::new(None, None, available);
                if available.is_some() {
                    figures.storage.identity =
                        super::storage_identity("ipfs_cluster", config, "api_url", "peers");
                }
                if let Some(min) = freespace.iter().min() {
                    figures.vital.insert("freespace_min".into(), json!(min));
                }
            }
            Err(err) => run.failed.push(FailedCall::new(
                "/monitor/metrics/freespace",
                err,
                &["storage", "vital.freespace_min"],
            )),
        }
    } else {
        cut = true;
    }
    figures.files.partial = cut;
    // A failed call costs its own figures (named in the record), not the others' exactness.
    run.complete = !cut;
    run.requests = budget.requests();
    run.figures = figures;
    Ok(run)
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
