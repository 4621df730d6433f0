//! Garage's admin API v2 (`admin_url` + `admin_token`): the bucket's own object and byte
//! counters and quotas in one request, and the cluster's health. No listing needed.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::backends::secret;
use crate::probe::num::opt_u64;
use crate::probe::{clean, field, join_url, Cap, ProbeContext, ProbeError};

/// What each admin call may answer.
mod cap {
    use crate::probe::Cap;

    /// The bucket's counters and quotas, its aliases and one entry (~200 bytes) per access key
    /// that may use it: room for some 600 keys.
    pub const BUCKET_INFO: Cap = Cap::kib("GetBucketInfo", 128);
    pub const CLUSTER_HEALTH: Cap = Cap::kib("GetClusterHealth", 64);
    /// One entry per node (~500 bytes with its role and partitions): some 250 nodes.
    pub const CLUSTER_STATUS: Cap = Cap::kib("GetClusterStatus", 128);
}

/// The admin API of the Garage cluster that holds the bucket.
pub struct Admin {
    url: String,
    token: String,
}

#[derive(Deserialize)]
pub struct BucketInfo {
    #[serde(default, deserialize_with = "opt_u64")]
    pub objects: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub bytes: Option<u64>,
    #[serde(rename = "unfinishedUploads", default, deserialize_with = "opt_u64")]
    pub unfinished_uploads: Option<u64>,
    #[serde(default)]
    pub quotas: Option<Quotas>,
}

#[derive(Deserialize)]
pub struct Quotas {
    #[serde(rename = "maxSize", default, deserialize_with = "opt_u64")]
    pub max_size: Option<u64>,
    #[serde(rename = "maxObjects", default, deserialize_with = "opt_u64")]
    pub max_objects: Option<u64>,
}

#[derive(Deserialize)]
pub struct ClusterHealth {
    pub status: String,
    #[serde(rename = "connectedNodes", default, deserialize_with = "opt_u64")]
    pub connected_nodes: Option<u64>,
    #[serde(rename = "knownNodes", default, deserialize_with = "opt_u64")]
    pub known_nodes: Option<u64>,
}

#[derive(Deserialize)]
pub struct ClusterStatus {
    #[serde(default)]
    pub nodes: Vec<NodeStatus>,
}

#[derive(Deserialize)]
pub struct NodeStatus {
    #[serde(rename = "garageVersion", default)]
    pub garage_version: Option<String>,
}

/// The admin API when both its fields are set.
pub fn admin(config: &Map<String, Value>) -> Result<Option<Admin>, ProbeError> {
    match (
        field(config, "admin_url"),
        secret::field(config, "admin_token")?,
    ) {
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
        cap: Cap,
    ) -> Result<T, ProbeError> {
        let request = ctx
            .http
            .client()
            .get(join_url(&self.url, path))
            .bearer_auth(&self.token);
        let reply = ctx.http.send(request, cap).await?;
        match reply.status {
            // Name the admin API: it is not the S3 key that was refused.
            401 | 403 => Err(ProbeError::Unauthorized {
                status: reply.status,
                detail: format!("Garage admin API token: {}", reply.detail()),
            }),
            _ => reply.success_or(what)?.json(what),
        }
    }

    pub async fn bucket(&self, ctx: &ProbeContext, name: &str) -> Result<BucketInfo, ProbeError> {
        let path = format!(
            "v2/GetBucketInfo?globalAlias={}",
            url::form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>()
        );
        self.get(
            ctx,
            &path,
            &format!("bucket '{}' (Garage admin API)", clean(name)),
            cap::BUCKET_INFO,
        )
        .await
    }

    pub async fn status(&self, ctx: &ProbeContext) -> Result<ClusterStatus, ProbeError> {
        self.get(
            ctx,
            "v2/GetClusterStatus",
            "GetClusterStatus",
            cap::CLUSTER_STATUS,
        )
        .await
    }

    pub async fn health(&self, ctx: &ProbeContext) -> Result<ClusterHealth, ProbeError> {
        self.get(
            ctx,
            "v2/GetClusterHealth",
            "GetClusterHealth",
            cap::CLUSTER_HEALTH,
        )
        .await
    }
}
