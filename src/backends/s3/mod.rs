//! `s3`: a bucket on any S3 endpoint; with Garage's admin API, its real counters and quotas.

use serde_json::{Map, Value};

use super::schema::{DefaultValue, FieldSpec, FieldType};
use super::FieldError;

pub const DESCRIPTION: &str = "an S3 bucket (Garage, MinIO, AWS, ...)";

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::new(
        "endpoint",
        FieldType::Url,
        "S3 endpoint, e.g. http://127.0.0.1:3900",
    )
    .required(),
    FieldSpec::new("region", FieldType::Text, "signing region (Garage: garage)")
        .default(DefaultValue::Str("us-east-1")),
    FieldSpec::new("bucket", FieldType::Text, "bucket name")
        .required()
        .check(check_bucket),
    FieldSpec::new("access_key", FieldType::Text, "access key id")
        .required()
        .secret(),
    FieldSpec::new("secret_key", FieldType::Text, "secret access key")
        .required()
        .secret(),
    FieldSpec::new(
        "path_style",
        FieldType::Bool,
        "address the bucket in the path (Garage, MinIO) rather than the host name",
    )
    .default(DefaultValue::Bool(true)),
    FieldSpec::new(
        "admin_url",
        FieldType::Url,
        "Garage admin API, e.g. http://127.0.0.1:3903",
    ),
    FieldSpec::new(
        "admin_token",
        FieldType::Text,
        "Garage admin API bearer token",
    )
    .secret(),
    FieldSpec::new(
        "quota_bytes",
        FieldType::Bytes {
            min: 1,
            max: u64::MAX,
        },
        "soft quota if the store has none (10GiB, 1.5 TB, or bytes)",
    ),
];

/// S3 bucket naming rules: 3-63 characters of lower-case letters, digits, dots and hyphens,
/// starting and ending with a letter or digit.
fn check_bucket(name: &str) -> Result<(), String> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !(3..=63).contains(&name.len()) {
        return Err(format!("'{name}' must be 3 to 63 characters long"));
    }
    if !ok_chars || !ends_ok(name.chars().next()) || !ends_ok(name.chars().last()) {
        return Err(format!(
            "'{name}' is not a valid bucket name (lower-case letters, digits, '.', '-'; starting and ending with a letter or digit)"
        ));
    }
    Ok(())
}

fn check_combination(config: &Map<String, Value>) -> Result<(), FieldError> {
    super::requires(config, "admin_token", "admin_url")?;
    super::requires(config, "admin_url", "admin_token")
}

mod bucket;
mod garage;

use serde::{Deserialize, Serialize};
use serde_json::json;

use self::bucket::PAGE_KEYS;
use self::garage::Quotas;
use super::kind::Config;
use crate::probe::{clean, put_text, Budget, ProbeContext, ProbeError, TestRun};
use crate::stats::{
    FailedCall, Figures, InventoryRun, Measurement, NodeView, Quota, QuotaSource, Storage,
};

/// Down nodes named in the degraded message; the rest are counted.
const NAMED_NODES: usize = 3;

/// The `s3` kind.
pub struct S3;

// Pulse: HeadBucket; with Garage's admin API also GetBucketInfo, GetClusterHealth and
// GetClusterStatus (the nodes): 4, the most a pulse may make.
super::kind::backend_kind!(
    S3,
    "s3",
    pulse_requests: 4,
    check: check_combination,
    inventory: inventory,
    write_check: write_check,
);

/// Where the backend lives, for lists.
fn target(config: &Config) -> String {
    let get = |name| crate::probe::field(config, name).unwrap_or("?");
    format!("{} {}", get("endpoint"), get("bucket"))
}

/// The bucket the figures are of: two backends of one bucket count it once.
fn bucket_identity(config: &Config) -> Option<String> {
    let bucket = crate::probe::field(config, "bucket")?;
    super::storage_identity("s3", config, "endpoint", bucket)
}

/// The quota set in the config: watched here, never enforced by the store.
fn soft_limit(config: &Config) -> Option<u64> {
    config.get("quota_bytes").and_then(Value::as_u64)
}

const BUCKET_INFO_FEEDS: &[&str] = &[
    "storage",
    "quota",
    "vital.garage_objects",
    "vital.garage_bytes",
    "vital.unfinished_uploads",
];

/// HeadBucket is the liveness call (and checks the S3 key). With Garage's admin API, the
/// bucket's own counters and quotas, the cluster's health and its nodes: never a listing.
async fn pulse(ctx: &ProbeContext, config: &Config) -> Result<Measurement, ProbeError> {
    let target = bucket::target(config)?;
    let soft = soft_limit(config);
    let mut pulse = Measurement::default();
    let Some(admin) = garage::admin(config)? else {
        target.head(ctx).await?;
        // Usage comes from the inventory's listing; the limit is the config's own.
        pulse.quota = Quota::bytes(soft, None, QuotaSource::Soft);
        return Ok(pulse);
    };
    let (head, info, health, status) = tokio::join!(
        target.head(ctx),
        admin.bucket(ctx, &target.name),
        admin.health(ctx),
        admin.status(ctx)
    );
    head?;
    match info {
        Ok(info) => {
            let limits = info.quotas.unwrap_or(Quotas {
                max_size: None,
                max_objects: None,
            });
            // Garage's own counters and quotas; the configured soft quota only fills a gap.
            let (limit, source) = match (limits.max_size, soft) {
                (Some(max), _) => (Some(max), QuotaSource::Garage),
                (None, soft) => (soft, QuotaSource::Soft),
            };
            let mut quota = Quota::bytes(limit, info.bytes, source);
            quota.objects_limit = limits.max_objects;
            quota.objects_used = info.objects;
            if limits.max_objects.is_some() && quota.source.is_none() {
                quota.source = Some(QuotaSource::Garage);
            }
            pulse.quota = quota;
            pulse.storage = Storage::new(None, info.bytes, None);
            pulse.storage.identity = bucket_identity(config);
            for (key, value) in [
                ("garage_objects", info.objects),
                ("garage_bytes", info.bytes),
                ("unfinished_uploads", info.unfinished_uploads),
            ] {
                if let Some(value) = value {
                    pulse.vital.insert(key.into(), json!(value));
                }
            }
        }
        Err(err) => pulse
            .failed
            .push(FailedCall::new("GetBucketInfo", err, BUCKET_INFO_FEEDS)),
    }
    match health {
        Ok(health) => {
            let status = clean(&health.status);
            if status != "healthy" {
                let count = |n: Option<u64>| n.map_or_else(|| "?".to_string(), |n| n.to_string());
                pulse.degraded = Some(format!(
                    "Garage cluster is {status} ({} of {} nodes connected)",
                    count(health.connected_nodes),
                    count(health.known_nodes)
                ));
            }
            pulse.vital.insert("cluster_status".into(), json!(status));
        }
        Err(err) => pulse.failed.push(FailedCall::new(
            "GetClusterHealth",
            err,
            &["vital.cluster_status"],
        )),
    }
    match status {
        Ok(cluster) => {
            put_text(
                &mut pulse.vital,
                "version",
                cluster
                    .nodes
                    .first()
                    .and_then(|n| n.garage_version.as_deref()),
            );
            pulse.nodes = cluster.nodes();
            if let Some(down) = nodes_down(&pulse.nodes) {
                // The node's own word first: which node, since when; the cluster's verdict
                // (quorum or not) follows.
                pulse.degraded = Some(match pulse.degraded.take() {
                    Some(cluster) => format!("{down}; {cluster}"),
                    None => down,
                });
            }
        }
        Err(err) => pulse.failed.push(FailedCall::new(
            "GetClusterStatus",
            err,
            &["nodes", "vital.version"],
        )),
    }
    Ok(pulse)
}

/// `Garage node garage-b is down (last seen 42s ago)`, for the first few nodes down;
/// `None` when every node is up.
fn nodes_down(nodes: &[NodeView]) -> Option<String> {
    let down: Vec<&NodeView> = nodes.iter().filter(|n| !n.up).collect();
    let mut parts: Vec<String> = down
        .iter()
        .take(NAMED_NODES)
        .map(|node| match node.last_seen_secs {
            Some(secs) => format!(
                "Garage node {} is down (last seen {})",
                node.name,
                crate::text::age(secs as f64)
            ),
            None => format!("Garage node {} is down", node.name),
        })
        .collect();
    if down.len() > NAMED_NODES {
        parts.push(format!("and {} more nodes down", down.len() - NAMED_NODES));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Where a listing stopped, to go on from there in the next run: the continuation token and
/// the totals so far.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ListResume {
    token: String,
    count: u64,
    bytes: u64,
    largest: Option<u64>,
}

/// Lists the bucket (1,000 keys a request) for its object count, bytes and largest object,
/// going on from the last run's continuation token; with the admin API, each node's resync
/// errors too.
async fn inventory(
    ctx: &ProbeContext,
    config: &Config,
    resume: Option<Value>,
    budget: &Budget,
) -> Result<InventoryRun, ProbeError> {
    let target = bucket::target(config)?;
    let mut run = InventoryRun::default();
    let mut figures = Figures::default();
    if let Some(admin) = garage::admin(config)? {
        if budget.take_request() {
            // Blocks each node failed to resync: one request for every node (a fifth call in
            // each pulse would pass its budget of 4). Nodes that cannot say are left unknown.
            match admin.statistics(ctx).await {
                Ok(statistics) => figures.nodes = statistics.nodes(),
                Err(err) => run
                    .failed
                    .push(FailedCall::new("GetNodeStatistics", err, &["nodes"])),
            }
        }
    }
    let mut state = resume
        .and_then(|v| serde_json::from_value::<ListResume>(v).ok())
        .unwrap_or_default();
    let mut more = true;
    let mut pages = 0u32;
    while more {
        if !budget.take_request() {
            break;
        }
        let token = (!state.token.is_empty()).then_some(state.token.as_str());
        let page = match target.page(ctx, token, PAGE_KEYS).await {
            Ok(page) => page,
            // Nothing counted in this run: the run failed (the kept progress stays).
            Err(err) if pages == 0 => return Err(err),
            // Pages counted are kept; the next run goes on from the page that failed.
            Err(err) => {
                run.failed
                    .push(FailedCall::new("ListObjectsV2", err, &["files"]));
                break;
            }
        };
        pages += 1;
        for object in &page.contents {
            let size = object.size.unwrap_or(0);
            state.count += 1;
            state.bytes += size;
            state.largest = Some(state.largest.map_or(size, |l| l.max(size)));
        }
        match page.next_continuation_token {
            Some(next) if !next.is_empty() => state.token = next,
            _ => more = false,
        }
    }
    figures.files.count = Some(state.count);
    figures.files.bytes = Some(state.bytes);
    figures.files.largest = state.largest;
    figures.files.partial = more;
    // Without the admin API the listing is the only measure of usage.
    figures.storage = Storage::new(None, Some(state.bytes), None);
    figures.storage.identity = bucket_identity(config);
    figures.quota = Quota::bytes(soft_limit(config), Some(state.bytes), QuotaSource::Soft);
    run.complete = !more;
    run.resume = if more {
        serde_json::to_value(&state).ok()
    } else {
        None
    };
    run.requests = budget.requests();
    run.figures = figures;
    Ok(run)
}

/// The opt-in write check: PUT a 64-byte object under a key of its own, GET it back, compare,
/// DELETE it (deleted even when the comparison fails).
async fn write_check(
    ctx: &ProbeContext,
    config: &Config,
    run: &mut TestRun,
) -> Result<(), ProbeError> {
    let target = bucket::target(config)?;
    let key = format!(
        ".ipfs-kit-tui-write-check/{}-{:016x}",
        std::process::id(),
        fastrand::u64(..)
    );
    let bytes: Vec<u8> = (0..64).map(|_| fastrand::u8(..)).collect();
    run.step(
        "write: PutObject of 64 bytes",
        target.put(ctx, &key, bytes.clone()),
        |()| clean(&key),
    )
    .await?;
    let compared = run
        .step(
            "read back: GetObject, the same 64 bytes",
            async { crate::probe::same_bytes(&target.get(ctx, &key).await?, &bytes) },
            |()| "identical".into(),
        )
        .await;
    run.step("delete: DeleteObject", target.delete(ctx, &key), |()| {
        "deleted".into()
    })
    .await?;
    compared
}

async fn test(ctx: &ProbeContext, config: &Config, run: &mut TestRun) -> Result<(), ProbeError> {
    let target = bucket::target(config)?;
    run.step(
        "reachable+authenticated: HeadBucket",
        target.head(ctx),
        |region| match region {
            Some(region) => format!("{} exists (region {region})", target.what()),
            None => format!("{} exists", target.what()),
        },
    )
    .await?;
    run.step(
        "read: list 1 key",
        target.page(ctx, None, 1),
        |page| match page.contents.first() {
            Some(object) => format!("first key {}", clean(&object.key)),
            None => "the bucket is empty".into(),
        },
    )
    .await?;
    if let Some(admin) = garage::admin(config)? {
        run.step("admin: GetClusterHealth", admin.health(ctx), |h| {
            format!("cluster {}", clean(&h.status))
        })
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, up: bool, last_seen_secs: Option<u64>) -> NodeView {
        NodeView {
            up,
            last_seen_secs,
            ..NodeView::named(Some(name), Some(name))
        }
    }

    #[test]
    fn a_node_down_is_named_with_when_it_was_last_seen() {
        assert_eq!(nodes_down(&[node("garage-a", true, None)]), None);
        assert_eq!(
            nodes_down(&[
                node("garage-a", true, None),
                node("garage-b", false, Some(42))
            ])
            .as_deref(),
            Some("Garage node garage-b is down (last seen 42s ago)")
        );
        let many: Vec<NodeView> = (0..5)
            .map(|i| node(&format!("g{i}"), false, None))
            .collect();
        assert_eq!(
            nodes_down(&many).as_deref(),
            Some(
                "Garage node g0 is down; Garage node g1 is down; Garage node g2 is down; \
                 and 2 more nodes down"
            )
        );
    }
}
