//! What a Kubo node's RPC API answers (as its RPC documentation and a real node answer): POST
//! only, arguments in the query string, 403 text for a browser's `Origin` or bad auth, NDJSON
//! pin streams. The tests' Kubo (`tests/integration/kubo.rs`) and the bench's are this node with
//! different contents.

use serde_json::{json, Map, Value};

use super::super::fixture::{Answer, Reply, Request};
use super::{cid, ndjson};

pub const PEER_ID: &str = "12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf";
/// The bench node's blocks per pin (its NumObjects) and bytes per block (its RepoSize).
const BENCH_BLOCKS_PER_PIN: u64 = 10;
const BENCH_BLOCK_BYTES: u64 = 262_144;

/// A pin's type, as `pin/ls` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinType {
    Recursive,
    Direct,
    Indirect,
}

impl PinType {
    pub fn as_str(self) -> &'static str {
        match self {
            PinType::Recursive => "recursive",
            PinType::Direct => "direct",
            PinType::Indirect => "indirect",
        }
    }
}

/// What a node holds and how it is set up.
#[derive(Clone, Debug)]
pub struct KuboNode {
    pub pins: Vec<(String, PinType)>,
    pub repo_size: u64,
    pub storage_max: u64,
    /// Blocks in the repository: what a full `repo/stat` walks (NumObjects).
    pub objects: u64,
    /// Connected peers: (address, peer ID).
    pub peers: Vec<(String, String)>,
    /// The Authorization value every command but `version` requires (API.Authorizations).
    pub auth: Option<String>,
    /// Whether it answers `diag/healthy` (Kubo 0.42+); older nodes answer 404.
    pub diag_healthy: bool,
}

impl KuboNode {
    /// The bench's node: `pins` recursive pins of 10 blocks each, 8 peers, no auth.
    pub fn bench(pins: usize, diag_healthy: bool) -> KuboNode {
        let objects = pins as u64 * BENCH_BLOCKS_PER_PIN;
        KuboNode {
            pins: (0..pins)
                .map(|i| (cid("pin", i), PinType::Recursive))
                .collect(),
            repo_size: objects * BENCH_BLOCK_BYTES,
            storage_max: 10_000_000_000_000,
            objects,
            peers: (2..10)
                .map(|i| {
                    (
                        format!("/ip4/10.0.0.{i}/tcp/4001"),
                        format!("12D3KooWPeer{i:040}"),
                    )
                })
                .collect(),
            auth: None,
            diag_healthy,
        }
    }

    /// The answer to any request, as Kubo's router gives it; `replace` may replace a command's
    /// healthy answer (a test breaking one command).
    pub fn answer(&self, request: &Request, replace: impl Fn(&str) -> Option<Reply>) -> Answer {
        let method = request.method.as_str();
        let Some(cmd) = request.path.strip_prefix("/api/v0/") else {
            if request.path == "/debug/metrics/prometheus" && method == "GET" {
                let metrics =
                    Reply::text(200, "# HELP ipfs_info\nipfs_info{version=\"0.32.1\"} 1\n")
                        .with_content_type("text/plain; version=0.0.4");
                return Answer::new("GET /debug/metrics/prometheus", metrics);
            }
            let endpoint = format!("404 {method} {}", request.path);
            return Answer::new(endpoint, Reply::text(404, "404 page not found"));
        };
        if request.header("origin").is_some() {
            let endpoint = format!("403 {cmd} (Origin)");
            return Answer::new(endpoint, Reply::text(403, "403 - Forbidden"));
        }
        if method != "POST" {
            let endpoint = format!("405 {method} {cmd}");
            return Answer::new(endpoint, Reply::text(405, "405 - Method Not Allowed"));
        }
        // `version` is answered even without credentials.
        if let Some(auth) = &self.auth {
            if cmd != "version" && request.header("authorization") != Some(auth.as_str()) {
                let endpoint = format!("403 {cmd} (auth)");
                return Answer::new(endpoint, Reply::text(403, "403 - Forbidden"));
            }
        }
        match replace(cmd) {
            Some(reply) => Answer::new(cmd, reply),
            None => self.command(cmd, request),
        }
    }

    /// A healthy node's answer to `cmd`, honouring the arguments the way Kubo does.
    pub fn command(&self, cmd: &str, request: &Request) -> Answer {
        let reply = match cmd {
            "version" => Reply::json(
                200,
                json!({"Version": "0.32.1", "Commit": "904a5a5", "Repo": "16",
                       "System": "amd64/linux", "Golang": "go1.23.3"}),
            ),
            "id" => Reply::json(
                200,
                json!({"ID": PEER_ID, "PublicKey": "CAESIHb1Qm0tZXN0LWtleQ==",
                       "Addresses": [format!("/ip4/127.0.0.1/tcp/4001/p2p/{PEER_ID}")],
                       "AgentVersion": "kubo/0.32.1/904a5a5",
                       "Protocols": ["/ipfs/bitswap/1.2.0", "/ipfs/id/1.0.0", "/ipfs/kad/1.0.0"]}),
            ),
            "repo/stat" => {
                // size-only skips the walk over every block: NumObjects is 0 then.
                let size_only = matches!(
                    request.query_param("size-only").as_deref(),
                    Some("true" | "1")
                );
                let reply = Reply::json(
                    200,
                    json!({"RepoSize": self.repo_size, "StorageMax": self.storage_max,
                           "NumObjects": if size_only { 0 } else { self.objects },
                           "RepoPath": "/data/ipfs", "Version": "fs-repo@16"}),
                );
                return if size_only {
                    Answer::new("repo/stat?size-only", reply)
                } else {
                    Answer::new("repo/stat (walks every block)", reply).items(self.objects)
                };
            }
            "stats/bw" => Reply::raw_json(
                200,
                r#"{"TotalIn":13869129,"TotalOut":8120401,"RateIn":191.88,"RateOut":13.78}"#,
            ),
            // Each peer as Kubo 0.43 lists it without flags: its address, ID and an empty
            // `Identify` (Latency, Muxer, Direction and Streams come only with their flags).
            "swarm/peers" => {
                let identify = json!({"ID": "", "PublicKey": "", "Addresses": null,
                                      "AgentVersion": "", "Protocols": null});
                let peers: Vec<Value> = self
                    .peers
                    .iter()
                    .map(|(addr, peer)| json!({"Addr": addr, "Peer": peer, "Identify": identify}))
                    .collect();
                Reply::json(200, json!({ "Peers": peers }))
            }
            "pin/ls" => return self.pin_ls(request),
            // As a real Kubo 0.43.1 answers it (the sweep provider, nothing overdue).
            "provide/stat" => Reply::json(200, golden_provide_stat()),
            "diag/healthy" if self.diag_healthy => Reply::json(200, json!("ok")),
            // Kubo answers an unknown command with its router's plain 404.
            _ => return Answer::new(format!("404 {cmd}"), Reply::text(404, "404 page not found")),
        };
        Answer::new(cmd, reply)
    }

    /// `pin/ls`: Kubo walks every pin whatever the type asked for.
    fn pin_ls(&self, request: &Request) -> Answer {
        let wanted = request.query_param("type").unwrap_or_else(|| "all".into());
        let pins = self
            .pins
            .iter()
            .filter(|(_, kind)| wanted == "all" || kind.as_str() == wanted);
        let walked = self.pins.len() as u64;
        if request.query_param("stream").as_deref() == Some("true") {
            let lines = pins.map(|(cid, kind)| json!({"Cid": cid, "Type": kind.as_str()}));
            let reply = ndjson(lines).with_header("X-Chunked-Output", "1");
            Answer::new(format!("pin/ls?stream=true&type={wanted}"), reply).items(walked)
        } else {
            // Without stream=true Kubo answers one object holding the whole pin set.
            let keys: Map<String, Value> = pins
                .map(|(cid, kind)| (cid.clone(), json!({"Type": kind.as_str()})))
                .collect();
            let reply = Reply::json(200, json!({ "Keys": keys }));
            Answer::new(format!("pin/ls?type={wanted} (one object)"), reply).items(walked)
        }
    }
}

/// `provide/stat` as a real Kubo 0.43.1 answers it (scripts/record-golden.sh keeps it).
pub fn golden_provide_stat() -> Value {
    let recorded: Value = serde_json::from_str(include_str!("../../golden/kubo/provide_stat.json"))
        .unwrap_or_default();
    recorded["answer"].clone()
}
