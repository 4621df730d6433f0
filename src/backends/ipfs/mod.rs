//! `ipfs`: a Kubo node's RPC API.

use super::schema::{DefaultValue, FieldSpec, FieldType};

pub const DESCRIPTION: &str = "an IPFS (Kubo) node's RPC API";

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::new(
        "api_url",
        FieldType::Url,
        "Kubo RPC API, e.g. http://127.0.0.1:5001",
    )
    .required()
    .default(DefaultValue::Str("http://127.0.0.1:5001")),
    FieldSpec::new(
        "auth",
        FieldType::Text,
        "Authorization header for API.Authorizations: 'Bearer TOKEN' or 'Basic BASE64'",
    )
    .secret()
    .check(check_auth),
];

fn check_auth(value: &str) -> Result<(), String> {
    let scheme = value.split_whitespace().next().unwrap_or_default();
    if (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("basic"))
        && value.split_whitespace().nth(1).is_some()
    {
        Ok(())
    } else {
        Err(
            "must be 'Bearer TOKEN' or 'Basic BASE64' (as Kubo's API.Authorizations expects)"
                .into(),
        )
    }
}

mod rpc;

use serde_json::{json, Map, Value};

use self::rpc::{BandwidthReading, Peers, ProvideStat, Rpc};
use super::kind::Config;
use crate::probe::{clean, put_text, Budget, ProbeContext, ProbeError, TestRun};
use crate::stats::{FailedCall, Figures, InventoryRun, Measurement, Quota, QuotaSource, Storage};

/// The `ipfs` kind: Kubo, or any server of Kubo's RPC API (js-ipfs).
pub struct Ipfs;

// Pulse: version, repo/stat?size-only=true, stats/bw, swarm/peers.
// Inventory: id, pin/ls, repo/stat (walking blocks), provide/stat.
super::kind::backend_kind!(
    Ipfs,
    "ipfs",
    pulse_requests: 4,
    inventory: inventory,
    write_check: write_check,
);

/// Where the backend lives, for lists.
fn target(config: &Config) -> String {
    crate::probe::field(config, "api_url")
        .unwrap_or("?")
        .to_string()
}

const BANDWIDTH: &[&str] = &[
    "vital.total_in",
    "vital.total_out",
    "vital.rate_in",
    "vital.rate_out",
];

/// `version` is the liveness call (Kubo answers it even without credentials); the repo size
/// without walking blocks, bandwidth and peers each stand alone.
async fn pulse(ctx: &ProbeContext, config: &Map<String, Value>) -> Result<Measurement, ProbeError> {
    let rpc = Rpc::new(ctx, config)?;
    // Concurrently: one pulse costs one timeout at most, not one per command.
    let (version, repo, bandwidth, peers) = tokio::join!(
        rpc.version(),
        rpc.repo_stat(true),
        rpc.bandwidth(),
        rpc.swarm_peers(),
    );
    let version = version?;
    let mut pulse = Measurement::default();
    put_text(&mut pulse.vital, "version", version.version.as_deref());
    put_text(&mut pulse.vital, "commit", version.commit.as_deref());
    match repo {
        Ok(repo) => {
            let threshold = repo.gc_threshold();
            if threshold.is_none() {
                pulse.vital.insert("storage_max".into(), json!("no limit"));
            }
            // StorageMax is where garbage collection starts, not a capacity: the repo can grow
            // past it. So no storage total; it is a quota of source `gc_threshold`.
            pulse.storage = Storage::new(None, repo.repo_size, None);
            // One node's repo, however many backends watch it.
            pulse.storage.identity = super::storage_identity("ipfs", config, "api_url", "repo");
            pulse.quota = Quota::bytes(threshold, repo.repo_size, QuotaSource::GcThreshold);
        }
        Err(err) => pulse.failed.push(FailedCall::new(
            "repo/stat",
            err,
            &["storage", "quota", "vital.storage_max"],
        )),
    }
    // Calls that answered "this must run in online mode", named in the degraded message.
    let mut offline: Vec<(&str, String)> = Vec::new();
    match bandwidth {
        Ok(BandwidthReading::Figures(bw)) => {
            let figures = [
                ("total_in", bw.total_in.map(|v| json!(v))),
                ("total_out", bw.total_out.map(|v| json!(v))),
                ("rate_in", bw.rate_in.map(|v| json!(v))),
                ("rate_out", bw.rate_out.map(|v| json!(v))),
            ];
            for (key, value) in figures {
                if let Some(value) = value {
                    pulse.vital.insert(key.into(), value);
                }
            }
        }
        Ok(BandwidthReading::Offline(detail)) => offline.push(("stats/bw", detail)),
        Ok(BandwidthReading::NotReported) => {}
        Err(err) => pulse
            .failed
            .push(FailedCall::new("stats/bw", err, BANDWIDTH)),
    }
    match peers {
        Ok(Peers::Count(count)) => {
            pulse.vital.insert("peers".into(), json!(count));
        }
        Ok(Peers::Offline(detail)) => offline.push(("swarm/peers", detail)),
        Ok(Peers::NotOffered) => {}
        Err(err) => pulse
            .failed
            .push(FailedCall::new("swarm/peers", err, &["vital.peers"])),
    }
    if let Some((_, words)) = offline.first() {
        let calls: Vec<&str> = offline.iter().map(|(call, _)| *call).collect();
        pulse.degraded = Some(format!(
            "the node runs offline ({} refused: {words})",
            calls.join(" and ")
        ));
    }
    // `version` needs no credentials: when the other three calls all refuse ours, nothing
    // of the node can be read (a token scoped to fewer commands leaves it degraded).
    if let Some(refused) = pulse.all_refused(3) {
        return Err(refused);
    }
    Ok(pulse)
}

/// What grows with the node: its pins (streamed and counted) and its blocks (`repo/stat`
/// without `size-only` walks them all), plus its identity, which never changes between runs.
async fn inventory(
    ctx: &ProbeContext,
    config: &Map<String, Value>,
    _resume: Option<Value>,
    budget: &Budget,
) -> Result<InventoryRun, ProbeError> {
    let rpc = Rpc::new(ctx, config)?;
    let mut run = InventoryRun::default();
    let mut figures = Figures::default();
    let mut cut = false;
    if budget.take_request() {
        match rpc.id().await {
            Ok(id) => {
                put_text(&mut figures.vital, "peer_id", id.id.as_deref());
                put_text(
                    &mut figures.vital,
                    "agent_version",
                    id.agent_version.as_deref(),
                );
            }
            Err(err) => run.failed.push(FailedCall::new(
                "id",
                err,
                &["vital.peer_id", "vital.agent_version"],
            )),
        }
    }
    if budget.take_request() {
        match rpc.pins(budget).await {
            Ok(pins) => {
                figures.vital.insert("pins".into(), json!(pins.count));
                cut |= pins.cut;
            }
            Err(err) => run
                .failed
                .push(FailedCall::new("pin/ls", err, &["vital.pins"])),
        }
    } else {
        cut = true;
    }
    if budget.take_request() {
        match rpc.repo_stat(false).await {
            Ok(repo) => figures.files.count = repo.num_objects,
            Err(err) => run
                .failed
                .push(FailedCall::new("repo/stat", err, &["files"])),
        }
    } else {
        cut = true;
    }
    if budget.take_request() {
        match rpc.provide_stat().await {
            Ok(Some(stat)) => provide_figures(&stat, &mut figures),
            Ok(None) => {}
            Err(err) => run.failed.push(FailedCall::new(
                "provide/stat",
                err,
                &[
                    "vital.provide_connectivity",
                    "vital.provide_queue",
                    "vital.provide_overdue_regions",
                    "vital.provide_failed",
                ],
            )),
        }
    }
    // Pins streamed past the budget are a lower bound; the API cannot resume a listing.
    figures.files.partial = cut;
    // A failed call costs its own figures (named in the record), not the others' exactness.
    run.complete = !cut;
    run.requests = budget.requests();
    run.figures = figures;
    Ok(run)
}

/// How the node's providing goes, from the sweep provider's own figures. Kubo's documentation
/// (docs/provide-stats.md) says it: the reprovide queue holds "regions with overdue
/// reprovides", which "missed their scheduled reprovide time"; when it grows "the system is
/// falling behind". So any overdue region is the count's concern, in those words.
fn provide_figures(stat: &ProvideStat, figures: &mut Figures) {
    let Some(sweep) = &stat.sweep else {
        return;
    };
    let vital = &mut figures.vital;
    if let Some(status) = sweep
        .connectivity
        .as_ref()
        .and_then(|c| c.status.as_deref())
    {
        vital.insert("provide_connectivity".into(), json!(clean(status)));
    }
    let queues = sweep.queues.as_ref();
    if let Some(pending) = queues.and_then(|q| q.pending_key_provides) {
        vital.insert("provide_queue".into(), json!(pending));
    }
    let overdue = queues.and_then(|q| q.pending_region_reprovides);
    if let Some(overdue) = overdue {
        vital.insert("provide_overdue_regions".into(), json!(overdue));
    }
    let failed = sweep
        .operations
        .as_ref()
        .and_then(|o| o.past.as_ref())
        .and_then(|p| p.keys_failed);
    if let Some(failed) = failed {
        vital.insert("provide_failed".into(), json!(failed));
    }
    if let Some(overdue) = overdue.filter(|n| *n > 0) {
        let scheduled = sweep
            .schedule
            .as_ref()
            .and_then(|s| s.keys)
            .map_or_else(String::new, |keys| format!(" ({keys} CIDs scheduled)"));
        figures.concern = Some(format!(
            "providing is falling behind: {overdue} keyspace regions missed their scheduled \
             reprovide time{scheduled}"
        ));
    }
}

/// The opt-in write check: `block/put` of 64 random bytes as a raw block (not pinned),
/// `block/get` it back and compare, `block/rm` it (removed even when the comparison fails).
async fn write_check(
    ctx: &ProbeContext,
    config: &Config,
    run: &mut TestRun,
) -> Result<(), ProbeError> {
    let rpc = Rpc::new(ctx, config)?;
    let bytes: Vec<u8> = (0..64).map(|_| fastrand::u8(..)).collect();
    let cid = run
        .step(
            "write: block/put of 64 bytes",
            rpc.block_put(bytes.clone()),
            Clone::clone,
        )
        .await?;
    let compared = run
        .step(
            "read back: block/get, the same 64 bytes",
            async { crate::probe::same_bytes(&rpc.block_get(&cid).await?, &bytes) },
            |()| "identical".into(),
        )
        .await;
    run.step("delete: block/rm", rpc.block_rm(&cid), |()| {
        "removed".into()
    })
    .await?;
    compared
}

async fn test(
    ctx: &ProbeContext,
    config: &Map<String, Value>,
    run: &mut TestRun,
) -> Result<(), ProbeError> {
    let rpc = Rpc::new(ctx, config)?;
    run.step("reachable: version", rpc.version(), |v| {
        format!(
            "Kubo RPC {}",
            v.version.as_deref().unwrap_or("(version not given)")
        )
    })
    .await?;
    // `version` is answered even without credentials; `id` is not.
    run.step("authenticated: id", rpc.id(), |id| {
        format!("peer {}", id.id.as_deref().unwrap_or("(no ID given)"))
    })
    .await?;
    run.step(
        "read: repo/stat",
        rpc.repo_stat(true),
        rpc::RepoStat::describe,
    )
    .await?;
    Ok(())
}
