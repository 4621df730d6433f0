//! What an IPFS Cluster's REST API answers: GET only, basic auth on every endpoint but
//! `/health`, `/id`, `/peers` and `/pins` streamed as NDJSON (204 when empty), the monitor's
//! metrics. The tests' cluster (`tests/integration/ipfs_cluster.rs`) and the bench's (three
//! peers, every pin allocated to two) are this API with different contents.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::super::fixture::{Answer, Reply, Request};
use super::{cid, ndjson};

/// The bench cluster's peers: (peer ID, peer name).
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

/// What a cluster peer's API holds and answers.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// `/id`: the peer answering.
    pub id: Value,
    /// `/peers`, one line each.
    pub peers: Vec<Value>,
    /// The pin set's size, and its `n`th pin as a `/pins` line (made as it is streamed: a
    /// large pin set is not held).
    pub pins: usize,
    pub pin: fn(usize) -> Value,
    /// `/monitor/metrics/freespace`.
    pub freespace: fn() -> Value,
    /// The Authorization value every endpoint but `/health` wants (basic auth).
    pub auth: Option<String>,
}

impl Cluster {
    /// The bench's cluster: three peers, `pins` pins each allocated to two of them.
    pub fn bench(pins: usize) -> Cluster {
        let [(id, name), ..] = peers();
        Cluster {
            id: bench_peer(&id, name),
            peers: peers()
                .iter()
                .map(|(id, name)| bench_peer(id, name))
                .collect(),
            pins,
            pin: bench_pin,
            freespace: bench_freespace,
            auth: None,
        }
    }

    /// The answer to any request; `replace` may replace a path's healthy answer (a test
    /// breaking one call).
    pub fn answer(&self, request: &Request, replace: impl Fn(&str) -> Option<Reply>) -> Answer {
        let p = request.path.as_str();
        if request.method != "GET" {
            let reply = Reply::json(405, json!({"code": 405, "message": "method not allowed"}));
            return Answer::new(format!("405 {} {p}", request.method), reply);
        }
        if let Some(expected) = &self.auth {
            if p != "/health" && request.header("authorization") != Some(expected.as_str()) {
                let reply = Reply::json(401, json!({"code": 401, "message": "Unauthorized"}))
                    .with_header(
                        "WWW-Authenticate",
                        "Basic realm=\"Restricted IPFS Cluster API\"",
                    );
                return Answer::new(format!("401 {p}"), reply);
            }
        }
        match replace(p) {
            Some(reply) => Answer::new(p, reply),
            None => self.healthy(request),
        }
    }

    /// A healthy peer's answer to a GET of `request.path`.
    pub fn healthy(&self, request: &Request) -> Answer {
        let p = request.path.as_str();
        let reply = match p {
            "/health" => Reply::empty(204),
            "/version" => Reply::json(200, json!({"version": "1.1.6"})),
            "/id" => Reply::json(200, self.id.clone()),
            "/peers" => ndjson(self.peers.iter().cloned()),
            "/pins" => {
                // Cluster walks its whole pin set to answer, filtered or not.
                let wanted = request.query_param("filter");
                let streamed = wanted
                    .as_deref()
                    .is_none_or(|w| w.split(',').any(|f| f == "pinned" || f == "remote"));
                let reply = if streamed {
                    ndjson((0..self.pins).map(self.pin))
                } else {
                    Reply::empty(204)
                };
                let endpoint = match &wanted {
                    Some(w) => format!("/pins?filter={w}"),
                    None => "/pins".into(),
                };
                return Answer::new(endpoint, reply).items(self.pins as u64);
            }
            "/monitor/metrics/freespace" => Reply::json(200, (self.freespace)()),
            // No peer has gone quiet.
            "/health/alerts" => Reply::json(200, json!([])),
            "/monitor/metrics" => Reply::json(200, json!(["freespace", "ping", "tag:group"])),
            _ => {
                let reply = Reply::text(404, "404 page not found");
                return Answer::new(format!("404 {} {p}", request.method), reply);
            }
        };
        Answer::new(p, reply)
    }
}

/// A bench peer as `/id` and `/peers` show it.
fn bench_peer(id: &str, name: &str) -> Value {
    let ids: Vec<String> = peers().into_iter().map(|(id, _)| id).collect();
    json!({
        "id": id, "addresses": [format!("/ip4/127.0.0.1/tcp/9096/p2p/{id}")], "cluster_peers": ids,
        "cluster_peers_addresses": null, "version": "1.1.6", "commit": "3c5c4f1",
        "rpc_protocol_version": "/ipfscluster/1.0/rpc", "error": "",
        "ipfs": {"id": "12D3KooWBenchKuboNode", "addresses": ["/ip4/127.0.0.1/tcp/4001"], "error": ""},
        "peername": name,
    })
}

/// The bench's `i`th pin: pinned on two peers, remote on the third.
fn bench_pin(i: usize) -> Value {
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

/// Every bench peer's free space, valid for 30 s from now.
fn bench_freespace() -> Value {
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
    Value::Array(metrics)
}
