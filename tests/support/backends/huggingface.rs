//! What the Hugging Face Hub answers for one repository: whoami, the repository's info (with
//! `expand`, or whole), its tree (top level, or recursive in pages linked by `Link: rel="next"`),
//! the Hub's errors (`X-Error-Code`). A bad token is refused on every endpoint; no token is
//! anonymous access. The tests' Hub (`tests/integration/huggingface.rs`) and the bench's (a
//! directory every 100 files, every 10th file in LFS) are this Hub with different contents.

use serde_json::{json, Map, Value};

use super::super::fixture::{Answer, Reply, Request};

pub const BENCH_TOKEN: &str = "hf_benchFixtureToken";
pub const BENCH_REPO: &str = "acme/widget";
/// Tree entries per page, as the Hub pages them.
const PAGE_ENTRIES: usize = 1000;

/// What the fixture Hub holds.
#[derive(Clone, Debug)]
pub struct Hub {
    /// `models`, `datasets` or `spaces`.
    pub kind: &'static str,
    pub repo: &'static str,
    /// The revision as it appears (percent-encoded) in request paths.
    pub revision_in_path: &'static str,
    /// The token it accepts.
    pub token: &'static str,
    pub whoami_name: String,
    /// The repository's full info record.
    pub info: Value,
    /// The tree, page by page.
    pub pages: Vec<Vec<Value>>,
    /// When set, every tree page links to a next one.
    pub endless: bool,
}

pub fn file(path: &str, size: u64) -> Value {
    json!({"type": "file", "oid": format!("oid-{path}"), "size": size, "path": path})
}

/// An LFS file as the tree lists it; `size` may be the pointer's (older answers) or the content's.
pub fn lfs_file(path: &str, size: u64, lfs_size: u64) -> Value {
    json!({"type": "file", "oid": format!("oid-{path}"), "size": size, "path": path,
           "lfs": {"oid": format!("sha256-{path}"), "size": lfs_size, "pointerSize": 134}})
}

pub fn dir(path: &str) -> Value {
    json!({"type": "directory", "oid": format!("oid-{path}"), "size": 0, "path": path})
}

pub fn hub_error(status: u16, code: &str, message: &str) -> Reply {
    Reply::json(status, json!({ "error": message })).with_header("X-Error-Code", code)
}

fn expand_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "spaces" => &["usedStorage", "private", "sha", "lastModified", "sdk"],
        _ => &["usedStorage", "private", "sha", "lastModified", "gated"],
    }
}

impl Hub {
    /// The bench's model repository of `files` files: a directory every 100 files, every 10th
    /// file in LFS; its info lists every file as a sibling.
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
        let siblings: Vec<Value> = (0..files)
            .map(|i| json!({"rfilename": format!("shard-{:04}/part-{i:06}.bin", i / 100)}))
            .collect();
        Hub {
            kind: "models",
            repo: BENCH_REPO,
            revision_in_path: "main",
            token: BENCH_TOKEN,
            whoami_name: "alice".into(),
            info: json!({"_id": "66a1b2c3d4e5f60718293a4b", "id": BENCH_REPO,
                         "sha": "3f2a9c1be4d5a6f7081920a1b2c3d4e5f6a7b8c9",
                         "private": true, "gated": false, "lastModified": "2025-07-28T10:11:12.000Z",
                         "usedStorage": used, "siblings": siblings}),
            pages: entries
                .chunks(PAGE_ENTRIES)
                .map(<[Value]>::to_vec)
                .collect(),
            endless: false,
        }
    }

    pub fn answer(&self, request: &Request) -> Answer {
        let path = request.path.as_str();
        // The Hub refuses a bad token on every endpoint; no token at all is anonymous access.
        let auth = request.header("authorization");
        if auth.is_some_and(|a| a != format!("Bearer {}", self.token)) {
            let reply = Reply::json(
                401,
                json!({"error": "Invalid credentials in Authorization header"}),
            );
            return Answer::new("401 bad token", reply);
        }
        if request.method != "GET" {
            let reply = Reply::json(405, json!({"error": "method not allowed"}));
            return Answer::new(format!("405 {} {path}", request.method), reply);
        }
        if path == "/api/whoami-v2" {
            let reply = match auth {
                Some(_) => Reply::json(
                    200,
                    json!({"type": "user", "name": self.whoami_name, "fullname": "Alice A.",
                           "orgs": [{"name": "acme"}],
                           "auth": {"type": "access_token",
                                    "accessToken": {"displayName": "console", "role": "read"}}}),
                ),
                None => Reply::json(401, json!({"error": "Invalid username or password."})),
            };
            return Answer::new("whoami-v2 (rate limited)", reply);
        }
        let base = format!("/api/{}/{}", self.kind, self.repo);
        let Some(rest) = path.strip_prefix(&base) else {
            let reply = hub_error(
                404,
                "RepoNotFound",
                "Repository Not Found for url: this repository does not exist.",
            );
            return Answer::new(format!("404 {path}"), reply);
        };
        if rest.is_empty() || rest.strip_prefix("/revision/") == Some(self.revision_in_path) {
            return self.info(request);
        }
        if rest.strip_prefix("/tree/") == Some(self.revision_in_path) {
            return self.tree_page(request);
        }
        if rest.starts_with("/tree/") || rest.starts_with("/revision/") {
            let reply = hub_error(404, "RevisionNotFound", "Invalid rev id");
            return Answer::new(format!("404 {rest}"), reply);
        }
        let reply = Reply::json(
            404,
            json!({"error": "Sorry, we can't find the page you are looking for."}),
        );
        Answer::new(format!("404 {path}"), reply)
    }

    /// `?expand=a&expand=b` limits the answer to those fields; an expand key the kind does not
    /// have is refused. Without it the whole record, every file a sibling: it grows with the
    /// repository.
    fn info(&self, request: &Request) -> Answer {
        let expand: Vec<String> = url::form_urlencoded::parse(request.query.as_bytes())
            .filter(|(k, _)| k == "expand")
            .map(|(_, v)| v.into_owned())
            .collect();
        if expand.is_empty() {
            let siblings = self.info["siblings"].as_array().map_or(0, Vec::len);
            let reply = Reply::json(200, self.info.clone());
            return Answer::new("repo info (with siblings)", reply).items(siblings as u64);
        }
        let mut out = Map::new();
        out.insert("_id".into(), self.info["_id"].clone());
        out.insert("id".into(), self.info["id"].clone());
        for key in &expand {
            if !expand_keys(self.kind).contains(&key.as_str()) {
                let reply = Reply::json(
                    400,
                    json!({"error": format!("\"expand\" contains an invalid value: {key}")}),
                );
                return Answer::new("400 repo info ?expand", reply);
            }
            if let Some(value) = self.info.get(key) {
                out.insert(key.clone(), value.clone());
            }
        }
        Answer::new("repo info ?expand", Reply::json(200, Value::Object(out)))
    }

    fn tree_page(&self, request: &Request) -> Answer {
        if request.query_param("recursive").as_deref() != Some("true") {
            let top: Vec<&Value> = self
                .pages
                .iter()
                .flatten()
                .filter(|e| !e["path"].as_str().unwrap_or("").contains('/'))
                .collect();
            let count = top.len() as u64;
            return Answer::new("tree (top level)", Reply::json(200, json!(top))).items(count);
        }
        let index = match request.query_param("cursor") {
            None => 0,
            Some(cursor) => match cursor
                .strip_prefix("eyJwYWdlIjo")
                .and_then(|n| n.parse().ok())
            {
                Some(n) => n,
                None => {
                    let reply = Reply::json(400, json!({"error": "Invalid cursor"}));
                    return Answer::new("400 tree (bad cursor)", reply);
                }
            },
        };
        let entries = if self.endless {
            vec![
                file(&format!("f{index}"), 10),
                file(&format!("g{index}"), 20),
            ]
        } else {
            self.pages.get(index).cloned().unwrap_or_default()
        };
        let count = entries.len() as u64;
        let mut reply = Reply::json(200, Value::Array(entries));
        if self.endless || index + 1 < self.pages.len() {
            let host = request.header("host").unwrap_or("127.0.0.1");
            let next = format!(
                "<http://{host}{}?recursive=true&cursor=eyJwYWdlIjo{}>; rel=\"next\"",
                request.path,
                index + 1
            );
            reply = reply.with_header("Link", &next);
        }
        Answer::new("tree?recursive=true (page)", reply).items(count)
    }
}
