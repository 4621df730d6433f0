//! Garage's admin API v2 (`admin_url` + `admin_token`): the bucket's own object and byte
//! counters and quotas in one request, and the cluster's health. No listing needed.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::backends::secret;
use crate::probe::num::opt_u64;
use crate::probe::{clean, field, join_url, Cap, ProbeContext, ProbeError};
use crate::stats::nodes::{make_names_unique, NodeView, MAX_NODES};

/// What each admin call may answer.
mod cap {
    use crate::probe::Cap;

    /// The bucket's counters and quotas, its aliases and one entry (~200 bytes) per access key
    /// that may use it: room for some 600 keys.
    pub const BUCKET_INFO: Cap = Cap::kib("GetBucketInfo", 128);
    pub const CLUSTER_HEALTH: Cap = Cap::kib("GetClusterHealth", 64);
    /// One entry per node (~500 bytes with its role and partitions): some 250 nodes.
    pub const CLUSTER_STATUS: Cap = Cap::kib("GetClusterStatus", 128);
    /// Per node, a free-form text of ~2 KiB and a dozen table figures (~4 KiB in all with
    /// 2.5.0): room for some 250 nodes.
    pub const NODE_STATISTICS: Cap = Cap::kib("GetNodeStatistics", 1024);
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

/// `GET /v2/GetClusterStatus` (Garage 2.5.0): `layoutVersion` and one entry per node it knows.
#[derive(Deserialize)]
pub struct ClusterStatus {
    #[serde(default)]
    pub nodes: Vec<NodeStatus>,
}

/// One node of `GetClusterStatus`. A node that has not yet told the one we ask about itself
/// has no `hostname`, `garageVersion` or partitions; the one we ask has no `lastSeenSecsAgo`.
/// `addr` (where it lives) is never read.
#[derive(Deserialize)]
pub struct NodeStatus {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub hostname: Option<String>,
    #[serde(rename = "garageVersion", default)]
    pub garage_version: Option<String>,
    #[serde(rename = "isUp", default)]
    pub is_up: Option<bool>,
    #[serde(rename = "lastSeenSecsAgo", default, deserialize_with = "opt_u64")]
    pub last_seen_secs_ago: Option<u64>,
    /// Its place in the layout; `null` for a node that stores nothing (not in the layout).
    #[serde(default)]
    pub role: Option<serde::de::IgnoredAny>,
    #[serde(rename = "dataPartition", default)]
    pub data_partition: Option<Partition>,
    #[serde(rename = "metadataPartition", default)]
    pub metadata_partition: Option<Partition>,
    #[serde(rename = "resyncQueueLen", default, deserialize_with = "opt_u64")]
    pub resync_queue_len: Option<u64>,
}

#[derive(Deserialize)]
pub struct Partition {
    #[serde(default, deserialize_with = "opt_u64")]
    pub available: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    pub total: Option<u64>,
}

impl ClusterStatus {
    /// The nodes of the cluster: every node that is up, and the nodes of the layout that are
    /// down. A node that left the layout is still remembered while down; it is no longer part
    /// of the cluster (`garage status` no longer lists it as failed).
    pub fn nodes(&self) -> Vec<NodeView> {
        let mut nodes: Vec<NodeView> = self
            .nodes
            .iter()
            .filter(|n| n.is_up == Some(true) || n.role.is_some())
            .take(MAX_NODES)
            .map(NodeStatus::view)
            .collect();
        make_names_unique(&mut nodes);
        nodes
    }
}

impl NodeStatus {
    fn view(&self) -> NodeView {
        let up = self.is_up == Some(true);
        let data = self.data_partition.as_ref();
        let metadata = self.metadata_partition.as_ref();
        NodeView {
            up,
            // Garage says no more than that: it is not connected.
            error: (!up).then(|| "not connected".to_string()),
            last_seen_secs: self.last_seen_secs_ago,
            free_bytes: data.and_then(|p| p.available),
            total_bytes: data.and_then(|p| p.total),
            metadata_free_bytes: metadata.and_then(|p| p.available),
            metadata_total_bytes: metadata.and_then(|p| p.total),
            resync_queue: self.resync_queue_len,
            ..NodeView::named(self.hostname.as_deref(), self.id.as_deref())
        }
    }
}

/// `GET /v2/GetNodeStatistics?node=*`: per node id that answered, its block manager's figures;
/// the nodes that did not answer are in `error`.
#[derive(Deserialize)]
pub struct NodeStatistics {
    #[serde(default)]
    pub success: std::collections::BTreeMap<String, NodeStatisticsOne>,
}

#[derive(Deserialize)]
pub struct NodeStatisticsOne {
    #[serde(rename = "blockManagerStats", default)]
    pub block_manager: Option<BlockManagerStats>,
}

#[derive(Deserialize)]
pub struct BlockManagerStats {
    #[serde(rename = "resyncQueueLen", default, deserialize_with = "opt_u64")]
    pub resync_queue_len: Option<u64>,
    #[serde(rename = "resyncErrors", default, deserialize_with = "opt_u64")]
    pub resync_errors: Option<u64>,
}

impl NodeStatistics {
    /// Each node that answered, by id, with its resync queue and the blocks it failed to
    /// resync; merged into the pulse's nodes by id.
    pub fn nodes(&self) -> Vec<NodeView> {
        self.success
            .iter()
            .take(MAX_NODES)
            .map(|(id, stats)| {
                let block = stats.block_manager.as_ref();
                NodeView {
                    resync_queue: block.and_then(|b| b.resync_queue_len),
                    resync_errors: block.and_then(|b| b.resync_errors),
                    ..NodeView::named(None, Some(id))
                }
            })
            .collect()
    }
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

    /// Every node's block manager figures (`node=*`: the node we ask gathers them from the
    /// others; one request whatever the data).
    pub async fn statistics(&self, ctx: &ProbeContext) -> Result<NodeStatistics, ProbeError> {
        self.get(
            ctx,
            "v2/GetNodeStatistics?node=*",
            "GetNodeStatistics",
            cap::NODE_STATISTICS,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What Garage 2.5.0 answered for a cluster of three nodes on one host (`vm`): the node
    /// asked, one that had just joined (not yet told its host name, version and partitions),
    /// and one killed 42 s before (its last figures kept), then a node that left the layout and
    /// is down.
    const CLUSTER_STATUS: &str = r#"{"layoutVersion": 2, "nodes": [
        {"id": "6aa10578467b2b218267b1e8ec63007f659bf3c8106ebf908b2c87ee1e9fd783",
         "garageVersion": "cargo:2.5.0", "addr": "127.0.0.1:39201", "hostname": "vm",
         "isUp": true, "lastSeenSecsAgo": null,
         "role": {"zone": "dc1", "tags": ["node-a"], "capacity": 1000000000},
         "draining": false,
         "dataPartition": {"available": 60173049856, "total": 270553174016},
         "metadataPartition": {"available": 60173049800, "total": 270553174000},
         "resyncQueueLen": 0},
        {"id": "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
         "garageVersion": null, "addr": "127.0.0.1:39221", "hostname": null,
         "isUp": true, "lastSeenSecsAgo": 1,
         "role": {"zone": "dc3", "tags": [], "capacity": 1000000000}, "draining": false},
        {"id": "d9537c83a25b632efeaee7b8ef2706b16e3bbb321402a357f9eea7fd8163619f",
         "garageVersion": "cargo:2.5.0", "addr": "127.0.0.1:39211", "hostname": "vm",
         "isUp": false, "lastSeenSecsAgo": 42,
         "role": {"zone": "dc2", "tags": ["node-b"], "capacity": 1000000000},
         "draining": false,
         "dataPartition": {"available": 60172439552, "total": 270553174016},
         "metadataPartition": {"available": 60172439552, "total": 270553174016},
         "resyncQueueLen": 7},
        {"id": "ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000",
         "garageVersion": "v2.1.0", "addr": "10.0.0.9:3901", "hostname": "retired",
         "isUp": false, "lastSeenSecsAgo": 86400, "role": null, "draining": false}
    ]}"#;

    #[test]
    fn cluster_status_gives_each_node_of_the_cluster() {
        let status: ClusterStatus = serde_json::from_str(CLUSTER_STATUS).unwrap();
        let nodes = status.nodes();
        let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
        // Two nodes on one host are told apart by their ids; the new one is named by its id
        // until it says its host name; the one that left the layout is not listed.
        assert_eq!(
            names,
            [
                "vm#6aa10578467b2b21",
                "a1b2c3d4e5f60718",
                "vm#d9537c83a25b632e"
            ]
        );
        let [a, new, b] = &nodes[..] else {
            unreachable!()
        };
        assert!(a.up && a.error.is_none());
        assert_eq!(a.free_bytes, Some(60_173_049_856));
        assert_eq!(a.total_bytes, Some(270_553_174_016));
        assert_eq!(a.metadata_free_bytes, Some(60_173_049_800));
        assert_eq!(a.metadata_total_bytes, Some(270_553_174_000));
        assert_eq!(a.resync_queue, Some(0));
        assert_eq!(a.last_seen_secs, None);
        // Figures not given are unknown, never 0.
        assert!(new.up);
        assert_eq!(
            (new.free_bytes, new.total_bytes, new.resync_queue),
            (None, None, None)
        );
        assert_eq!(new.last_seen_secs, Some(1));
        assert!(!b.up);
        assert_eq!(b.error.as_deref(), Some("not connected"));
        assert_eq!(b.last_seen_secs, Some(42));
        assert_eq!(b.resync_queue, Some(7));
        assert_eq!(b.resync_errors, None, "read by the inventory");
        // Never an address.
        let json = serde_json::to_string(&nodes).unwrap();
        assert!(!json.contains("127.0.0.1"), "{json}");
    }

    #[test]
    fn a_status_without_nodes_or_fields_reads() {
        let status: ClusterStatus = serde_json::from_str(r#"{"layoutVersion": 0}"#).unwrap();
        assert!(status.nodes().is_empty());
        let status: ClusterStatus = serde_json::from_str(r#"{"nodes": [{}]}"#).unwrap();
        // A node that says nothing is not known to be up, and not in the layout.
        assert!(status.nodes().is_empty());
    }

    #[test]
    fn node_statistics_give_each_answering_node_its_resync_errors() {
        let answer = r#"{"success": {
            "6aa10578467b2b218267b1e8ec63007f659bf3c8106ebf908b2c87ee1e9fd783": {
                "freeform": "Node ID: 6aa10578467b2b21\n...",
                "tableStats": [{"tableName": "object", "items": 0, "merkleItems": 0,
                                "merkleQueueLen": 0, "insertQueueLen": 0, "gcQueueLen": 0}],
                "blockManagerStats": {"rcEntries": 12, "resyncQueueLen": 3, "resyncErrors": 2}}},
            "error": {"d9537c83a25b632efeaee7b8ef2706b16e3bbb321402a357f9eea7fd8163619f":
                      "Network error: Not connected: d9537c83a25b632e"}}"#;
        let statistics: NodeStatistics = serde_json::from_str(answer).unwrap();
        let nodes = statistics.nodes();
        let [a] = &nodes[..] else {
            panic!("the node that answered: {nodes:?}")
        };
        assert_eq!(
            a.id.as_deref(),
            Some("6aa10578467b2b218267b1e8ec63007f659bf3c8106ebf908b2c87ee1e9fd783")
        );
        assert_eq!((a.resync_queue, a.resync_errors), (Some(3), Some(2)));
    }
}
