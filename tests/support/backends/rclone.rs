//! What `rclone rcd`'s remote-control API answers (POST only): its version, the remote's usage
//! (`operations/about`), transfer stats, `rc/noop`.

use serde_json::json;

use super::super::fixture::{Answer, Reply, Request};

pub fn answer(request: &Request) -> Answer {
    let p = request.path.as_str();
    if request.method != "POST" {
        let reply = Reply::json(405, json!({"error": "method not allowed", "status": 405}));
        return Answer::new(format!("405 {} {p}", request.method), reply);
    }
    let reply = match p {
        "/core/version" => Reply::json(
            200,
            json!({"version": "v1.60.1-bench", "decomposed": [1, 60, 1], "isGit": false, "isBeta": false,
                   "os": "linux", "arch": "amd64", "goVersion": "go1.19.4", "linking": "static",
                   "goTags": "none"}),
        ),
        "/operations/about" => Reply::json(
            200,
            json!({"total": 1_000_000_000_000u64, "used": 250_000_000_000u64, "free": 750_000_000_000u64,
                   "trashed": 0, "other": 0, "objects": 123_456}),
        ),
        "/core/stats" => Reply::json(
            200,
            json!({"bytes": 0, "checks": 0, "deletes": 0, "elapsedTime": 12.5, "errors": 0,
                   "fatalError": false, "renames": 0, "retryError": false, "speed": 0,
                   "totalBytes": 0, "totalChecks": 0, "totalTransfers": 0, "transferTime": 0,
                   "transfers": 0}),
        ),
        "/rc/noop" => Reply::json(200, request.json_body()),
        _ => {
            let reply = Reply::json(
                404,
                json!({"error": "couldn't find method", "input": {}, "path": p.trim_start_matches('/'), "status": 404}),
            );
            return Answer::new(format!("404 {p}"), reply);
        }
    };
    Answer::new(p, reply)
}
