//! What a Lotus node's JSON-RPC API answers (`/rpc/v1`, POST): the version, a chain head that
//! keeps up with the clock, a wallet balance and an idle sync; its health endpoints.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::super::fixture::{Answer, Reply, Request};

pub fn answer(request: &Request) -> Answer {
    let p = request.path.as_str();
    if request.method == "GET" && (p == "/health/livez" || p == "/health/readyz") {
        return Answer::new(
            p,
            Reply::text(200, "").with_content_type("text/plain; charset=utf-8"),
        );
    }
    if !(request.method == "POST" && p == "/rpc/v1") {
        let reply =
            Reply::text(404, "404 page not found\n").with_content_type("text/plain; charset=utf-8");
        return Answer::new(format!("404 {} {p}", request.method), reply);
    }
    let call: Value = if request.body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&request.body) {
            Ok(call) => call,
            Err(_) => {
                let error = json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32700, "message": "parse error"}});
                return Answer::new("rpc parse error", Reply::json(500, error));
            }
        }
    };
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let method = call.get("method").and_then(Value::as_str).unwrap_or("");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let result = match method {
        "Filecoin.Version" => {
            json!({"Version": "1.28.1+mainnet+git.2d5a7c9", "APIVersion": 131840, "BlockDelay": 30, "Agent": "lotus"})
        }
        "Filecoin.ChainHead" => {
            let height = 4_200_000 + now / 30;
            let block = json!({"Miner": "f01234", "Ticket": {"VRFProof": "kQ=="}, "Parents": [{"/": "bafy2bzaceparent"}],
                               "ParentWeight": "98765432109", "Height": height, "Timestamp": now - 45,
                               "ParentBaseFee": "100", "ForkSignaling": 0});
            json!({"Cids": [{"/": "bafy2bzacea"}], "Blocks": [block], "Height": height})
        }
        "Filecoin.WalletBalance" => json!("1500000000000000000"),
        "Filecoin.SyncState" => json!({"ActiveSyncs": [], "VMApplied": 0}),
        "Filecoin.ChainHeadHeight" | "Filecoin.NetPeers" => json!([]),
        _ => {
            let error = json!({"jsonrpc": "2.0", "id": id,
                               "error": {"code": -32601, "message": format!("method '{method}' not found")}});
            return Answer::new(format!("rpc {method} (not found)"), Reply::json(200, error));
        }
    };
    let reply = Reply::json(200, json!({"jsonrpc": "2.0", "result": result, "id": id}));
    Answer::new(format!("rpc {method}"), reply)
}
