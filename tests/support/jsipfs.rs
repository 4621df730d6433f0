//! A REAL js-ipfs node (npm `ipfs@0.66.1`, js-ipfs 0.18.1): an implementation of the Kubo RPC
//! API written independently of Kubo, so that the `ipfs` probe is checked against answers we did
//! not write ourselves. scripts/test.sh installs it into target/tools/jsipfs; the tests fail,
//! never skip, when it is missing.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Where scripts/test.sh installs js-ipfs (git-ignored, project-local: nothing global).
pub fn install_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/tools/jsipfs")
}

/// The `jsipfs` CLI, or a panic that says how to install it.
pub fn jsipfs_binary() -> PathBuf {
    let bin = install_dir().join("node_modules/.bin/jsipfs");
    assert!(
        bin.is_file(),
        "js-ipfs is not installed ({} is missing): run scripts/test.sh, which installs it \
         (npm install ipfs@0.66.1 into target/tools/jsipfs)",
        bin.display()
    );
    bin
}

/// `NODE_OPTIONS` for every js-ipfs process: a dependency calls `Promise.withResolvers`, which
/// Node 20 lacks. A file URL rather than a path, so that a checkout path with spaces survives
/// NODE_OPTIONS' space-separated parsing.
fn node_options() -> String {
    let polyfill = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/jsipfs/polyfill.mjs");
    assert!(polyfill.is_file(), "{} is missing", polyfill.display());
    let url = url::Url::from_file_path(&polyfill).expect("absolute polyfill path");
    format!("--import={url}")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind a loopback port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// `repo/stat`, with js-ipfs' numbers-as-strings already parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RepoStat {
    pub repo_size: u64,
    pub num_objects: u64,
    pub storage_max: u64,
}

/// A js-ipfs daemon on a fresh repo and free loopback ports, offline, killed on drop.
pub struct JsIpfs {
    /// The RPC API, e.g. `http://127.0.0.1:40123` (what a backend's `api_url` holds).
    pub url: String,
    child: Child,
    log: PathBuf,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    /// Repo and logs; dropped after the daemon is killed (fields drop after `Drop::drop`).
    _dir: tempfile::TempDir,
}

impl Drop for JsIpfs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `jsipfs` command on the repo `repo`.
fn jsipfs(repo: &Path) -> Command {
    let mut cmd = Command::new(jsipfs_binary());
    cmd.env("IPFS_PATH", repo)
        .env("NODE_OPTIONS", node_options())
        .stdin(Stdio::null());
    cmd
}

/// Waits for `child` at most `limit`; kills it then. Returns whether it exited successfully.
fn wait_bounded(child: &mut Child, limit: Duration) -> Option<bool> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait for jsipfs") {
            return Some(status.success());
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A handle that appends to `path`: stdout and stderr share the file without overwriting
/// each other.
fn log_file(path: &Path) -> File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open a log file")
}

fn read_log(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| format!("(no log at {}: {e})", path.display()))
}

impl JsIpfs {
    pub fn start() -> JsIpfs {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("repo");

        // init: a few seconds (key generation and the repo files).
        let init_log = dir.path().join("init.log");
        let mut init = jsipfs(&repo)
            .args(["init", "--empty-repo"])
            .stdout(log_file(&init_log))
            .stderr(log_file(&init_log))
            .spawn()
            .expect("run jsipfs init (is node on PATH?)");
        match wait_bounded(&mut init, Duration::from_secs(60)) {
            Some(true) => {}
            Some(false) => panic!("jsipfs init failed:\n{}", read_log(&init_log)),
            None => panic!("jsipfs init took over 60 s:\n{}", read_log(&init_log)),
        }

        // The config file directly, not `jsipfs config` (a Node start, ~2 s, per key).
        let (api, gateway, rpc) = (free_port(), free_port(), free_port());
        let config_path = repo.join("config");
        let mut config: Value =
            serde_json::from_str(&std::fs::read_to_string(&config_path).expect("read config"))
                .expect("config is JSON");
        config["Addresses"]["API"] = format!("/ip4/127.0.0.1/tcp/{api}").into();
        config["Addresses"]["Gateway"] = format!("/ip4/127.0.0.1/tcp/{gateway}").into();
        config["Addresses"]["RPC"] = format!("/ip4/127.0.0.1/tcp/{rpc}").into();
        // No listening, no dialling, no LAN announcements: the node talks to the test only.
        config["Addresses"]["Swarm"] = Value::Array(vec![]);
        config["Addresses"]["Delegates"] = Value::Array(vec![]);
        config["Bootstrap"] = Value::Array(vec![]);
        config["Discovery"]["MDNS"]["Enabled"] = false.into();
        std::fs::write(
            &config_path,
            serde_json::to_string_pretty(&config).expect("config JSON"),
        )
        .expect("write config");

        let log = dir.path().join("daemon.log");
        let child = jsipfs(&repo)
            .args(["daemon", "--offline"])
            .stdout(log_file(&log))
            .stderr(log_file(&log))
            .spawn()
            .expect("start jsipfs daemon (is node on PATH?)");
        let mut node = JsIpfs {
            url: format!("http://127.0.0.1:{api}"),
            child,
            log,
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("reqwest client"),
            _dir: dir,
        };
        node.wait_ready(Duration::from_secs(60));
        node
    }

    /// Until `POST /api/v0/version` answers 200 (the daemon starts in about 4 s here).
    fn wait_ready(&mut self, limit: Duration) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for jsipfs daemon") {
                panic!(
                    "jsipfs daemon exited ({status}) before answering:\n{}",
                    self.log()
                );
            }
            let answered = self.runtime.block_on(async {
                self.client
                    .post(format!("{}/api/v0/version", self.url))
                    .timeout(Duration::from_secs(2))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            });
            if answered {
                println!("js-ipfs daemon ready in {:?}", started.elapsed());
                return;
            }
            assert!(
                started.elapsed() < limit,
                "jsipfs daemon did not answer /api/v0/version within {limit:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Everything the daemon printed so far (for failure messages).
    pub fn log(&self) -> String {
        read_log(&self.log)
    }

    /// A POST to the RPC API with `query`; panics unless it answers 2xx. Returns the body.
    pub fn post_raw(&self, cmd: &str, query: &[(&str, &str)]) -> String {
        self.send(
            cmd,
            self.client
                .post(format!("{}/api/v0/{cmd}", self.url))
                .query(query),
        )
    }

    /// A POST whose answer is one JSON value.
    pub fn post(&self, cmd: &str, query: &[(&str, &str)]) -> Value {
        let body = self.post_raw(cmd, query);
        serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("js-ipfs {cmd}: not JSON ({e}): {body}"))
    }

    fn send(&self, cmd: &str, request: reqwest::RequestBuilder) -> String {
        let (status, body) = self.runtime.block_on(async {
            let reply = request
                .send()
                .await
                .unwrap_or_else(|e| panic!("js-ipfs {cmd}: {e}"));
            let status = reply.status();
            let body = reply
                .text()
                .await
                .unwrap_or_else(|e| panic!("js-ipfs {cmd}: reading the answer: {e}"));
            (status, body)
        });
        assert!(
            status.is_success(),
            "js-ipfs {cmd}: HTTP {status}: {body}\ndaemon log:\n{}",
            self.log()
        );
        body
    }

    /// Adds one file through `POST /api/v0/add` (pinned recursively, as `add` does by default);
    /// returns its CID. The multipart body is built by hand: reqwest's `multipart` feature is
    /// not enabled in this crate.
    pub fn add(&self, name: &str, content: &[u8]) -> String {
        let boundary = format!("ipfs-kit-test-{:016x}", fastrand::u64(..));
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let answer = self.send(
            "add",
            self.client
                .post(format!("{}/api/v0/add", self.url))
                .header(
                    reqwest::header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body),
        );
        // One NDJSON line per added entry; a single file gives one line.
        let line: Value = serde_json::from_str(answer.trim())
            .unwrap_or_else(|e| panic!("js-ipfs add: not one JSON line ({e}): {answer}"));
        line["Hash"]
            .as_str()
            .unwrap_or_else(|| panic!("js-ipfs add: no Hash in {line}"))
            .to_string()
    }

    /// `repo/stat`; `size_only` as `?size-only=true`.
    pub fn repo_stat(&self, size_only: bool) -> RepoStat {
        let query: &[(&str, &str)] = if size_only {
            &[("size-only", "true")]
        } else {
            &[]
        };
        let stat = self.post("repo/stat", query);
        RepoStat {
            repo_size: uint(&stat["RepoSize"]),
            num_objects: uint(&stat["NumObjects"]),
            storage_max: uint(&stat["StorageMax"]),
        }
    }

    /// The CIDs of the recursive pins, from the NDJSON stream of `pin/ls?stream=true`.
    pub fn recursive_pins(&self) -> Vec<String> {
        let body = self.post_raw("pin/ls", &[("stream", "true"), ("type", "recursive")]);
        body.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let pin: Value = serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("js-ipfs pin/ls: bad line ({e}): {l}"));
                pin["Cid"]
                    .as_str()
                    .unwrap_or_else(|| panic!("js-ipfs pin/ls: no Cid in {pin}"))
                    .to_string()
            })
            .collect()
    }
}

/// A count as js-ipfs writes it (a decimal string, since JS numbers stop at 2^53) or as Kubo
/// does (a JSON number).
pub fn uint(value: &Value) -> u64 {
    match value {
        Value::String(s) => s
            .parse()
            .unwrap_or_else(|e| panic!("not a count ({e}): {value}")),
        Value::Number(n) => n.as_u64().unwrap_or_else(|| panic!("not a count: {value}")),
        _ => panic!("not a count: {value}"),
    }
}
