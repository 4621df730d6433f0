//! What an IPFS Cluster's REST API answers: GET only, `/id`, `/peers` and `/pins` streamed as
//! NDJSON, the monitor's metrics. The bench's cluster: three peers, every pin allocated to two.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::super::fixture::{Answer, Reply, Request};
use super::{cid, ndjson};

/// The cluster's peers: (peer ID, peer name).
fn peers() -> [(String, &'static str); 3] {
    [
        (
            format!("12D3KooWBenchClusterPeerA{}", "A".repeat(27)),
            "cluster-a",
        ),
        (
            format!("12D3KooWBenchClusterPeerB{}", "B".repeat(27)),
            "cluster-b",
        ),
        (
            format!("12D3KooWBenchClusterPeerC{}", "C".repeat(27)),
            "cluster-c",
        ),
    ]
}

/// A cluster holding `pins` pins.
#[derive(Clone, Debug)]
pub struct Cluster {
    pub pins: usize,
}

impl Cluster {
    pub fn bench(pins: usize) -> Cluster {
        Cluster { pins }
    }

    fn peer(id: &str, name: &str) -> Value {
        let ids: Vec<String> = peers().into_iter().map(|(id, _)| id).collect();
        json!({
            "id": id, "addresses": [format!("/ip4/127.0.0.1/tcp/9096/p2p/{id}")], "cluster_peers": ids,
            "cluster_peers_addresses": null, "version": "1.1.6", "commit": "3c5c4f1",
            "rpc_protocol_version": "/ipfscluster/1.0/rpc", "error": "",
            "ipfs": {"id": "12D3KooWBenchKuboNode", "addresses": ["/ip4/127.0.0.1/tcp/4001"], "error": ""},
            "peername": name,
        })
    }

    fn pin(i: usize) -> Value {
        let [(a, _), (b, _), (c, _)] = peers();
        let status = |st: &str| {
            json!({"peername": "", "ipfs_peer_id": "12D3KooWBenchKuboNode", "ipfs_peer_addresses": [],
                   "status": st, "timestamp": "2025-07-28T10:11:12Z", "error": "",
                   "attempt_count": 0, "priority_pin": false})
        };
        json!({"cid": cid("cl", i), "name": "", "allocations": [a, b], "origins": [],
               "created": "2025-07-28T10:00:00Z", "metadata": null,
               "peer_map": {a.as_str(): status("pinned"), b.as_str(): status("pinned"), c.as_str(): status("remote")}})
    }

    pub fn answer(&self, request: &Request) -> Answer {
        let p = request.path.as_str();
        if request.method != "GET" {
            let reply = Reply::json(405, json!({"code": 405, "message": "method not allowed"}));
            return Answer::new(format!("405 {} {p}", request.method), reply);
        }
        let reply = match p {
            "/health" => Reply::empty(204),
            "/version" => Reply::json(200, json!({"version": "1.1.6"})),
            "/id" => {
                let [(id, name), ..] = peers();
                Reply::json(200, Cluster::peer(&id, name))
            }
            "/peers" => ndjson(peers().iter().map(|(id, name)| Cluster::peer(id, name))),
            "/pins" => {
                // Cluster walks its whole pin set to answer, filtered or not.
                let wanted = request.query_param("filter");
                let streamed = wanted
                    .as_deref()
                    .is_none_or(|w| w.split(',').any(|f| f == "pinned" || f == "remote"));
                let reply = if streamed {
                    ndjson((0..self.pins).map(Cluster::pin))
                } else {
                    Reply::empty(204)
                };
                let endpoint = match &wanted {
                    Some(w) => format!("/pins?filter={w}"),
                    None => "/pins".into(),
                };
                return Answer::new(endpoint, reply).items(self.pins as u64);
            }
            "/monitor/metrics/freespace" => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(0);
                let metrics: Vec<Value> = peers()
                    .iter()
                    .enumerate()
                    .map(|(i, (id, _))| {
                        json!({"name": "freespace", "peer": id, "value": (50_000_000_000 - i as u64).to_string(),
                               "expire": now + 30_000_000_000, "valid": true, "weight": 0,
                               "partitionable": false, "received_at": now})
                    })
                    .collect();
                Reply::json(200, Value::Array(metrics))
            }
            // No peer has gone quiet.
            "/health/alerts" => Reply::json(200, json!([])),
            "/monitor/metrics" => Reply::json(200, json!(["freespace", "ping", "tag:group"])),
            _ => {
                let reply = Reply::text(404, "404 page not found")
                    .with_content_type("text/plain; charset=utf-8");
                return Answer::new(format!("404 {} {p}", request.method), reply);
            }
        };
        Answer::new(p, reply)
    }
}
