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
        FieldType::UInt {
            min: 1,
            max: u64::MAX,
        },
        "soft quota in bytes when the store has none of its own",
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

pub(super) fn check_combination(config: &Map<String, Value>) -> Result<(), FieldError> {
    super::requires(config, "admin_token", "admin_url")?;
    super::requires(config, "admin_url", "admin_token")
}

use std::time::Duration;

use rusty_s3::actions::{HeadBucket, ListObjectsV2, S3Action};
use rusty_s3::{Bucket, Credentials, UrlStyle};
use serde::Deserialize;
use serde_json::json;

use crate::probe::{
    clean, field, join_url, required, secret, ProbeContext, ProbeError, Reply, TestRun,
};
use crate::stats::{Files, Measurement, Quota, Storage};

/// Presigned URLs live this long: one probe, with room for a slow answer.
const SIGNED_FOR: Duration = Duration::from_secs(300);
/// Keys per ListObjectsV2 page (the S3 maximum).
const PAGE_KEYS: usize = 1000;
/// Pages listed before the count is reported as partial (10 million objects).
const MAX_PAGES: usize = 10_000;

struct Target {
    bucket: Bucket,
    credentials: Credentials,
    name: String,
}

fn target(config: &Map<String, Value>) -> Result<Target, ProbeError> {
    let endpoint = required(config, "endpoint")?;
    let name = required(config, "bucket")?.to_string();
    let region = field(config, "region").unwrap_or("us-east-1").to_string();
    let style = match config.get("path_style").and_then(Value::as_bool) {
        Some(false) => UrlStyle::VirtualHost,
        _ => UrlStyle::Path,
    };
    let url = url::Url::parse(endpoint)
        .map_err(|e| ProbeError::Config(format!("field 'endpoint': {e}")))?;
    let bucket = Bucket::new(url, style, name.clone(), region)
        .map_err(|e| ProbeError::Config(format!("bucket '{name}': {e}")))?;
    let key = secret(config, "access_key")?
        .ok_or_else(|| ProbeError::Config("field 'access_key' is not set".into()))?;
    let secret_key = secret(config, "secret_key")?
        .ok_or_else(|| ProbeError::Config("field 'secret_key' is not set".into()))?;
    Ok(Target {
        bucket,
        credentials: Credentials::new(key, secret_key),
        name,
    })
}

impl Target {
    fn what(&self) -> String {
        format!("bucket '{}'", clean(&self.name))
    }

    /// Maps a reply to an error with S3's own words; `SlowDown` is said plainly.
    fn check(&self, reply: Reply) -> Result<Reply, ProbeError> {
        if reply.status == 503 {
            return Err(ProbeError::Http {
                status: 503,
                detail: format!("the store asks to slow down: {}", reply.detail()),
            });
        }
        reply.success_or(&self.what())
    }

    async fn head(&self, ctx: &ProbeContext) -> Result<Option<String>, ProbeError> {
        let url = HeadBucket::new(&self.bucket, Some(&self.credentials)).sign(SIGNED_FOR);
        let reply = self.check(ctx.http.send(ctx.http.client().head(url.as_str())).await?)?;
        Ok(reply
            .headers
            .get("x-amz-bucket-region")
            .and_then(|v| v.to_str().ok())
            .map(clean))
    }

    async fn page(
        &self,
        ctx: &ProbeContext,
        token: Option<&str>,
        keys: usize,
    ) -> Result<rusty_s3::actions::list_objects_v2::ListObjectsV2Response, ProbeError> {
        let mut action = ListObjectsV2::new(&self.bucket, Some(&self.credentials));
        action.with_max_keys(keys);
        if let Some(token) = token {
            action.with_continuation_token(token.to_string());
        }
        let url = action.sign(SIGNED_FOR);
        let reply = self.check(ctx.http.send(ctx.http.client().get(url.as_str())).await?)?;
        let text = std::str::from_utf8(&reply.body)
            .map_err(|e| ProbeError::unparsable("ListObjectsV2", e))?;
        ListObjectsV2::parse_response(text).map_err(|e| ProbeError::unparsable("ListObjectsV2", e))
    }

    /// Counts, sums and finds the largest over every page, holding one page at a time.
    async fn walk(&self, ctx: &ProbeContext) -> Result<Files, ProbeError> {
        let (mut count, mut bytes, mut largest) = (0u64, 0u64, None::<u64>);
        let mut token: Option<String> = None;
        let mut partial = false;
        for page_number in 0.. {
            if page_number == MAX_PAGES {
                partial = true;
                break;
            }
            let page = self.page(ctx, token.as_deref(), PAGE_KEYS).await?;
            for object in &page.contents {
                let size = object.size.unwrap_or(0);
                count += 1;
                bytes += size;
                largest = Some(largest.map_or(size, |l| l.max(size)));
            }
            match page.next_continuation_token {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => break,
            }
        }
        Ok(Files {
            count: Some(count),
            bytes: Some(bytes),
            largest,
            partial,
        })
    }
}

/// Garage's admin API v2 (`admin_url` + `admin_token`).
struct Admin {
    url: String,
    token: String,
}

#[derive(Deserialize)]
struct BucketInfo {
    objects: Option<u64>,
    bytes: Option<u64>,
    #[serde(rename = "unfinishedUploads")]
    unfinished_uploads: Option<u64>,
    quotas: Option<Quotas>,
}

#[derive(Deserialize)]
struct Quotas {
    #[serde(rename = "maxSize")]
    max_size: Option<u64>,
    #[serde(rename = "maxObjects")]
    max_objects: Option<u64>,
}

#[derive(Deserialize)]
struct ClusterHealth {
    status: String,
    #[serde(rename = "connectedNodes")]
    connected_nodes: Option<u64>,
    #[serde(rename = "knownNodes")]
    known_nodes: Option<u64>,
}

#[derive(Deserialize)]
struct ClusterStatus {
    #[serde(default)]
    nodes: Vec<NodeStatus>,
}

#[derive(Deserialize)]
struct NodeStatus {
    #[serde(rename = "garageVersion")]
    garage_version: Option<String>,
}

fn admin(config: &Map<String, Value>) -> Result<Option<Admin>, ProbeError> {
    match (field(config, "admin_url"), secret(config, "admin_token")?) {
        (Some(url), Some(token)) => Ok(Some(Admin {
            url: url.to_string(),
            token,
        })),
        _ => Ok(None),
    }
}

impl Admin {
    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        ctx: &ProbeContext,
        path: &str,
        what: &str,
    ) -> Result<T, ProbeError> {
        let request = ctx
            .http
            .client()
            .get(join_url(&self.url, path))
            .bearer_auth(&self.token);
        let reply = ctx.http.send(request).await?;
        match reply.status {
            // Name the admin API: it is not the S3 key that was refused.
            401 | 403 => Err(ProbeError::Unauthorized {
                status: reply.status,
                detail: format!("Garage admin API token: {}", reply.detail()),
            }),
            _ => reply.success_or(what)?.json(what),
        }
    }

    async fn bucket(&self, ctx: &ProbeContext, name: &str) -> Result<BucketInfo, ProbeError> {
        let path = format!(
            "v2/GetBucketInfo?globalAlias={}",
            url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
        );
        self.get(
            ctx,
            &path,
            &format!("bucket '{}' (Garage admin API)", clean(name)),
        )
        .await
    }

    async fn health(&self, ctx: &ProbeContext) -> Result<ClusterHealth, ProbeError> {
        self.get(ctx, "v2/GetClusterHealth", "GetClusterHealth")
            .await
    }
}

pub async fn measure(
    ctx: &ProbeContext,
    config: &Map<String, Value>,
) -> Result<Measurement, ProbeError> {
    let target = target(config)?;
    let files = target.walk(ctx).await?;
    let mut vital = Map::new();
    let mut degraded = None;
    let soft_limit = config.get("quota_bytes").and_then(Value::as_u64);
    let mut quota = if soft_limit.is_some() {
        Quota::bytes(soft_limit, files.bytes)
    } else {
        Quota::default()
    };
    if let Some(admin) = admin(config)? {
        let info = admin.bucket(ctx, &target.name).await?;
        let limits = info.quotas.unwrap_or(Quotas {
            max_size: None,
            max_objects: None,
        });
        // Garage's own counters and quotas; the configured soft quota only fills a gap.
        quota = Quota {
            objects_limit: limits.max_objects,
            objects_used: info.objects,
            ..Quota::bytes(limits.max_size.or(soft_limit), info.bytes)
        };
        for (key, value) in [
            ("garage_objects", info.objects),
            ("garage_bytes", info.bytes),
            ("unfinished_uploads", info.unfinished_uploads),
        ] {
            if let Some(value) = value {
                vital.insert(key.into(), json!(value));
            }
        }
        let health = admin.health(ctx).await?;
        let status = clean(&health.status);
        if status != "healthy" {
            degraded = Some(format!(
                "Garage cluster is {status} ({} of {} nodes connected)",
                health
                    .connected_nodes
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "?".into()),
                health
                    .known_nodes
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "?".into())
            ));
        }
        vital.insert("cluster_status".into(), json!(status));
        // The version is a nicety: a node list we cannot read does not fail the poll.
        if let Ok(cluster) = admin
            .get::<ClusterStatus>(ctx, "v2/GetClusterStatus", "GetClusterStatus")
            .await
        {
            crate::probe::put_text(
                &mut vital,
                "version",
                cluster
                    .nodes
                    .first()
                    .and_then(|n| n.garage_version.as_deref()),
            );
        }
    }
    Ok(Measurement {
        degraded,
        storage: Storage::new(None, files.bytes, None),
        files,
        quota,
        vital,
    })
}

pub async fn test(
    ctx: &ProbeContext,
    config: &Map<String, Value>,
    run: &mut TestRun,
) -> Result<(), ProbeError> {
    let target = target(config)?;
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
    if let Some(admin) = admin(config)? {
        run.step("admin: GetClusterHealth", admin.health(ctx), |h| {
            format!("cluster {}", clean(&h.status))
        })
        .await?;
    }
    Ok(())
}
