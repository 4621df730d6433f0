//! What the Hugging Face Hub answers for one private model repository: whoami, the repository's
//! info (with `expand`, or with every file as a sibling), its tree (top level, or recursive in
//! pages of 1,000 linked by `Link: rel="next"`). The bench's repository: a directory every 100
//! files, every 10th file in LFS.

use base64::Engine;
use serde_json::{json, Value};

use super::super::fixture::{Answer, Reply, Request};

pub const BENCH_TOKEN: &str = "hf_benchFixtureToken";
pub const BENCH_REPO: &str = "acme/widget";
const PAGE_ENTRIES: usize = 1000;

/// A repository of `files` files.
#[derive(Clone, Debug)]
pub struct Hub {
    pub files: usize,
    /// The recursive tree's entries, directories and files.
    entries: Vec<Value>,
    used: u64,
}

impl Hub {
    pub fn bench(files: usize) -> Hub {
        let mut entries = Vec::new();
        let mut used = 0;
        for i in 0..files {
            if i % 100 == 0 {
                entries.push(
                    json!({"type": "directory", "oid": format!("{i:040x}"), "size": 0,
                                    "path": format!("shard-{:04}", i / 100)}),
                );
            }
            let path = format!("shard-{:04}/part-{i:06}.bin", i / 100);
            let oid = format!("{:040x}", i + 1);
            let entry = if i % 10 == 0 {
                let lfs_size = 50_000_000 + i as u64;
                used += lfs_size;
                json!({"type": "file", "oid": oid, "size": 134, "path": path,
                       "lfs": {"oid": format!("{i:064x}"), "size": lfs_size, "pointerSize": 134}})
            } else {
                used += 1_000 + i as u64;
                json!({"type": "file", "oid": oid, "size": 1_000 + i, "path": path})
            };
            entries.push(entry);
        }
        Hub {
            files,
            entries,
            used,
        }
    }

    pub fn answer(&self, request: &Request) -> Answer {
        let auth = request.header("authorization");
        let p = request.path.as_str();
        if auth.is_some() && auth != Some(format!("Bearer {BENCH_TOKEN}").as_str()) {
            let reply = Reply::json(
                401,
                json!({"error": "Invalid credentials in Authorization header"}),
            );
            return Answer::new("401 bad token", reply);
        }
        if request.method != "GET" {
            let reply = Reply::json(405, json!({"error": "method not allowed"}));
            return Answer::new(format!("405 {} {p}", request.method), reply);
        }
        if p == "/api/whoami-v2" {
            let reply = match auth {
                None => Reply::json(401, json!({"error": "Invalid username or password."})),
                Some(_) => Reply::json(
                    200,
                    json!({"type": "user", "name": "alice", "fullname": "Alice A.",
                                                   "orgs": [{"name": "acme"}],
                                                   "auth": {"type": "access_token",
                                                            "accessToken": {"displayName": "bench", "role": "read"}}}),
                ),
            };
            return Answer::new("whoami-v2 (rate limited)", reply);
        }
        let base = format!("/api/models/{BENCH_REPO}");
        let Some(rest) = p.strip_prefix(base.as_str()) else {
            let reply = Reply::json(404, json!({"error": "Repository Not Found"}))
                .with_header("X-Error-Code", "RepoNotFound");
            return Answer::new(format!("404 {p}"), reply);
        };
        match rest {
            "" | "/revision/main" => self.info(request),
            "/tree/main" => self.tree(request, p),
            _ if rest.starts_with("/tree/") || rest.starts_with("/revision/") => {
                let reply = Reply::json(404, json!({"error": "Invalid rev id"}))
                    .with_header("X-Error-Code", "RevisionNotFound");
                Answer::new(format!("404 {rest}"), reply)
            }
            _ => {
                let reply = Reply::json(
                    404,
                    json!({"error": "Sorry, we can't find the page you are looking for."}),
                );
                Answer::new(format!("404 {p}"), reply)
            }
        }
    }

    fn info(&self, request: &Request) -> Answer {
        let mut info = json!({"_id": "66a1b2c3d4e5f60718293a4b", "id": BENCH_REPO,
                              "sha": "3f2a9c1be4d5a6f7081920a1b2c3d4e5f6a7b8c9",
                              "private": true, "gated": false, "lastModified": "2025-07-28T10:11:12.000Z",
                              "usedStorage": self.used});
        let expand: Vec<String> = url::form_urlencoded::parse(request.query.as_bytes())
            .filter(|(k, _)| k == "expand")
            .map(|(_, v)| v.into_owned())
            .collect();
        if !expand.is_empty() {
            let mut out = json!({"_id": info["_id"], "id": info["id"]});
            for key in &expand {
                if let Some(value) = info.get(key) {
                    out[key.as_str()] = value.clone();
                }
            }
            return Answer::new("repo info ?expand", Reply::json(200, out));
        }
        // Without expand the Hub lists every file as siblings: it grows with the repository.
        let siblings: Vec<Value> = (0..self.files)
            .map(|i| json!({"rfilename": format!("shard-{:04}/part-{i:06}.bin", i / 100)}))
            .collect();
        info["siblings"] = Value::Array(siblings);
        Answer::new("repo info (with siblings)", Reply::json(200, info)).items(self.files as u64)
    }

    fn tree(&self, request: &Request, path: &str) -> Answer {
        if !matches!(
            request.query_param("recursive").as_deref(),
            Some("true" | "1" | "True")
        ) {
            let top: Vec<&Value> = self
                .entries
                .iter()
                .filter(|e| !e["path"].as_str().unwrap_or("").contains('/'))
                .collect();
            let count = top.len() as u64;
            return Answer::new("tree (top level)", Reply::json(200, json!(top))).items(count);
        }
        let start = match request.query_param("cursor") {
            None => 0,
            Some(cursor) => {
                let decoded = base64::engine::general_purpose::URL_SAFE
                    .decode(cursor)
                    .ok()
                    .and_then(|t| String::from_utf8(t).ok());
                match decoded
                    .as_deref()
                    .and_then(|t| t.split_once(':'))
                    .and_then(|(_, n)| n.parse::<usize>().ok())
                {
                    Some(start) => start,
                    None => {
                        let reply = Reply::json(400, json!({"error": "Invalid cursor"}));
                        return Answer::new("400 tree (bad cursor)", reply);
                    }
                }
            }
        };
        let end = self.entries.len().min(start + PAGE_ENTRIES);
        let page = self.entries.get(start..end).unwrap_or(&[]);
        let mut reply = Reply::json(200, json!(page));
        if end < self.entries.len() {
            let host = request.header("host").unwrap_or("127.0.0.1");
            let cursor = base64::engine::general_purpose::URL_SAFE.encode(format!("offset:{end}"));
            let link =
                format!("<http://{host}{path}?recursive=true&cursor={cursor}>; rel=\"next\"");
            reply = reply.with_header("Link", &link);
        }
        Answer::new("tree?recursive=true (page)", reply).items(end.saturating_sub(start) as u64)
    }
}
