//! The real servers, started on free loopback ports in temporary directories and killed on
//! drop: Kubo v0.43.1, IPFS Cluster v1.1.6 and the Versity S3 gateway v1.6.0, as
//! scripts/test.sh builds them into target/tools/ (from scripts/servers/). Every listen address
//! is on 127.0.0.1; nothing bootstraps, announces or dials out (see `sockets`).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::free_port;

/// A binary scripts/test.sh builds into target/tools/, or a panic saying so.
pub fn tool(relative: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/tools")
        .join(relative);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/test.sh, which builds it from scripts/servers/",
        path.display()
    );
    path
}

/// A file that stdout and stderr both append to.
fn log_file(path: &Path) -> File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open a log file")
}

pub fn read_log(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    // The end is what explains a failure.
    let start = text.len().saturating_sub(6000);
    let start = (start..text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    text[start..].to_string()
}

/// Runs `cmd` to completion within `limit`, or panics with its output.
fn run(mut cmd: Command, what: &str, limit: Duration) -> String {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let deadline = Instant::now() + limit;
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "{what} took over {limit:?}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{what} failed: {text}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls `ready` every 100 ms until it holds or `limit` passes; then panics with `why()`.
pub fn wait_until(limit: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ready() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A server process that can be stopped (as `kill -9` would) and started again.
struct Daemon {
    what: &'static str,
    log: PathBuf,
    child: Option<Child>,
}

impl Daemon {
    fn new(what: &'static str, log: PathBuf) -> Daemon {
        Daemon {
            what,
            log,
            child: None,
        }
    }

    /// Starts `cmd`, its output appended to the log, and waits (90 s at most) until `ready`.
    fn start(&mut self, mut cmd: Command, mut ready: impl FnMut() -> bool) {
        assert!(self.child.is_none(), "{} is already running", self.what);
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log_file(&self.log))
            .stderr(log_file(&self.log))
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", self.what));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(90);
        while !ready() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("{} exited ({status}):\n{}", self.what, read_log(&self.log));
            }
            assert!(
                Instant::now() < deadline,
                "{} did not answer within 90 s:\n{}",
                self.what,
                read_log(&self.log)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One blocking HTTP client for the tests' own calls to the servers.
pub struct Client {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
}

impl Client {
    pub fn new() -> Client {
        Client {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .no_proxy()
                .build()
                .expect("client"),
        }
    }

    /// Status and body of `request`; `None` when the server could not be reached.
    pub fn send(&self, request: reqwest::RequestBuilder) -> Option<(u16, Vec<u8>)> {
        self.runtime.block_on(async {
            let response = request.send().await.ok()?;
            let status = response.status().as_u16();
            let body = response.bytes().await.ok()?;
            Some((status, body.to_vec()))
        })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }
}

// ---------------------------------------------------------------------------------------------
// Kubo

/// How a Kubo node runs.
#[derive(Clone, Default)]
pub struct KuboOptions {
    pub offline: bool,
    /// `API.Authorizations` with one bearer token.
    pub bearer: Option<String>,
}

/// A Kubo node on a fresh repo (`ipfs init --profile=test --empty-repo`), killed on drop.
pub struct Kubo {
    /// The RPC API, e.g. `http://127.0.0.1:40123` (what a backend's `api_url` holds).
    pub url: String,
    pub repo: PathBuf,
    options: KuboOptions,
    daemon: Daemon,
    client: Client,
    _dir: tempfile::TempDir,
}

fn kubo_command(repo: &Path) -> Command {
    let mut cmd = Command::new(tool("kubo/ipfs"));
    cmd.env("IPFS_PATH", repo)
        // Nothing is reported anywhere.
        .env("IPFS_TELEMETRY", "off")
        .env_remove("IPFS_LOGGING")
        .env("GOLOG_LOG_LEVEL", "error");
    cmd
}

impl Kubo {
    pub fn start(options: KuboOptions) -> Kubo {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = dir.path().join("repo");
        let mut init = kubo_command(&repo);
        // test: API, gateway and swarm on 127.0.0.1, no bootstrap peers, no mDNS, no AutoConf,
        // no delegated routers.
        init.args(["init", "--profile=test", "--empty-repo"]);
        run(init, "ipfs init", Duration::from_secs(60));

        let api = free_port();
        let config_path = repo.join("config");
        let mut config: Value =
            serde_json::from_str(&std::fs::read_to_string(&config_path).expect("read config"))
                .expect("config is JSON");
        // A fixed API port, so that a node stopped and started again keeps its address.
        config["Addresses"]["API"] = json!(format!("/ip4/127.0.0.1/tcp/{api}"));
        config["Addresses"]["Gateway"] = json!("/ip4/127.0.0.1/tcp/0");
        config["Addresses"]["Swarm"] = json!([format!("/ip4/127.0.0.1/tcp/{}", free_port())]);
        config["Bootstrap"] = json!([]);
        config["Discovery"]["MDNS"]["Enabled"] = json!(false);
        config["Routing"]["DelegatedRouters"] = json!([]);
        config["AutoConf"]["Enabled"] = json!(false);
        if let Some(token) = &options.bearer {
            config["API"]["Authorizations"] = json!({
                "tests": {"AuthSecret": format!("bearer:{token}"), "AllowedPaths": ["/api/v0"]}
            });
        }
        std::fs::write(
            &config_path,
            serde_json::to_vec_pretty(&config).expect("config"),
        )
        .expect("write config");
        let mut kubo = Kubo {
            url: format!("http://127.0.0.1:{api}"),
            daemon: Daemon::new("ipfs daemon", dir.path().join("daemon.log")),
            repo,
            options,
            client: Client::new(),
            _dir: dir,
        };
        kubo.resume();
        kubo
    }

    /// Starts the daemon (again) and waits until its API answers.
    pub fn resume(&mut self) {
        let mut cmd = kubo_command(&self.repo);
        cmd.arg("daemon");
        if self.options.offline {
            cmd.arg("--offline");
        }
        let (client, version) = (&self.client, self.post("version", &[]));
        self.daemon.start(cmd, || {
            version
                .try_clone()
                .and_then(|request| client.send(request))
                .is_some_and(|(status, _)| status == 200)
        });
    }

    /// Kills the daemon (as a crash or `kill -9` would).
    pub fn stop(&mut self) {
        self.daemon.stop();
    }

    pub fn pid(&self) -> Option<u32> {
        self.daemon.pid()
    }

    fn post(&self, cmd: &str, args: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let mut request = self
            .client
            .http()
            .post(format!("{}/api/v0/{cmd}", self.url))
            .query(args);
        if let Some(token) = &self.options.bearer {
            request = request.bearer_auth(token);
        }
        request
    }

    /// `cmd`'s raw answer (status, body).
    pub fn raw(&self, cmd: &str, args: &[(&str, &str)]) -> (u16, Vec<u8>) {
        self.client
            .send(self.post(cmd, args))
            .unwrap_or_else(|| panic!("Kubo {cmd}: no answer"))
    }

    /// `cmd`'s JSON answer; panics unless it is 200.
    pub fn rpc(&self, cmd: &str, args: &[(&str, &str)]) -> Value {
        let (status, body) = self.raw(cmd, args);
        assert_eq!(
            status,
            200,
            "Kubo {cmd}: {}",
            String::from_utf8_lossy(&body)
        );
        serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!(
                "Kubo {cmd} is not JSON ({e}): {}",
                String::from_utf8_lossy(&body)
            )
        })
    }

    /// `cmd` with `content` as its one multipart file (`add`, `block/put`): status and body.
    pub fn multipart(&self, cmd: &str, args: &[(&str, &str)], content: &[u8]) -> (u16, Vec<u8>) {
        // multipart/form-data by hand: reqwest's multipart feature is not built.
        const BOUNDARY: &str = "ipfs-kit-tui-test-boundary-7f3a";
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let request = self
            .post(cmd, args)
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body);
        self.client
            .send(request)
            .unwrap_or_else(|| panic!("Kubo {cmd}: no answer"))
    }

    /// Adds `content` as a file (pinned) and returns its CID.
    pub fn add(&self, _name: &str, content: &[u8]) -> String {
        let (status, body) = self.multipart("add", &[("pin", "true")], content);
        assert_eq!(status, 200, "Kubo add: {}", String::from_utf8_lossy(&body));
        let answer: Value = serde_json::from_slice(&body).expect("add answers JSON");
        answer["Hash"].as_str().expect("Hash").to_string()
    }

    /// The node's swarm address with its peer ID, for `swarm/connect`.
    pub fn swarm_address(&self) -> String {
        let id = self.rpc("id", &[]);
        id["Addresses"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .find(|a| a.contains("/tcp/"))
            })
            .expect("a TCP swarm address")
            .to_string()
    }

    pub fn connect(&self, other: &Kubo) {
        let address = other.swarm_address();
        self.rpc("swarm/connect", &[("arg", &address)]);
        wait_until(Duration::from_secs(30), "two Kubo nodes connected", || {
            self.rpc("swarm/peers", &[])["Peers"]
                .as_array()
                .is_some_and(|p| !p.is_empty())
        });
    }

    /// The recursive pins, as `ipfs pin ls --type=recursive` lists them.
    pub fn recursive_pins(&self) -> usize {
        let (status, body) = self.raw("pin/ls", &[("type", "recursive")]);
        assert_eq!(status, 200, "pin/ls: {}", String::from_utf8_lossy(&body));
        let answer: Value = serde_json::from_slice(&body).expect("pin/ls JSON");
        answer["Keys"].as_object().map_or(0, |k| k.len())
    }
}

// ---------------------------------------------------------------------------------------------
// IPFS Cluster

/// One IPFS Cluster peer (CRDT consensus) in front of a Kubo node, killed on drop.
pub struct ClusterPeer {
    /// The REST API, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    pub name: String,
    pub id: String,
    bootstrap: Option<String>,
    daemon: Daemon,
    client: Client,
    dir: tempfile::TempDir,
}

/// The secret every peer of the tests' cluster shares (32 bytes, hex).
const CLUSTER_SECRET: &str = "5e3a0c7f1b9d2e4a6c8f0b1d3e5a7c9f1b3d5e7a9c1e3f5a7b9d1f3a5c7e9b1d";

fn cluster_command(dir: &Path) -> Command {
    let mut cmd = Command::new(tool("ipfs-cluster/ipfs-cluster-service"));
    cmd.env("IPFS_CLUSTER_PATH", dir)
        .env("CLUSTER_SECRET", CLUSTER_SECRET);
    cmd
}

impl ClusterPeer {
    /// A peer named `name` for `kubo`; joining `bootstrap` (another peer) when given.
    pub fn start(name: &str, kubo: &Kubo, bootstrap: Option<&ClusterPeer>) -> ClusterPeer {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut init = cluster_command(dir.path());
        init.args(["init", "--consensus", "crdt"]);
        run(init, "ipfs-cluster-service init", Duration::from_secs(60));

        let config_path = dir.path().join("service.json");
        let mut config: Value =
            serde_json::from_str(&std::fs::read_to_string(&config_path).expect("read"))
                .expect("service.json is JSON");
        let kubo_api = kubo.url.replace("http://127.0.0.1:", "/ip4/127.0.0.1/tcp/");
        let tcp = |port: u16| json!(format!("/ip4/127.0.0.1/tcp/{port}"));
        let rest = free_port();
        let cluster = &mut config["cluster"];
        cluster["peername"] = json!(name);
        // The default is 0.0.0.0:9096 over TCP and QUIC: loopback and TCP only here.
        cluster["listen_multiaddress"] = json!([tcp(free_port())]);
        cluster["mdns_interval"] = json!("0s");
        // Quick enough for a test to see a peer go and come back.
        cluster["monitor_ping_interval"] = json!("2s");
        cluster["peer_watch_interval"] = json!("2s");
        let api = &mut config["api"];
        api["restapi"]["http_listen_multiaddress"] = tcp(rest);
        api["ipfsproxy"]["listen_multiaddress"] = tcp(free_port());
        api["ipfsproxy"]["node_multiaddress"] = json!(kubo_api);
        api["pinsvcapi"]["http_listen_multiaddress"] = tcp(free_port());
        config["ipfs_connector"]["ipfshttp"]["node_multiaddress"] = json!(kubo_api);
        // Both are off by default; their addresses are loopback all the same.
        config["observations"]["metrics"]["prometheus_endpoint"] = tcp(free_port());
        config["observations"]["tracing"]["jaeger_agent_endpoint"] =
            json!(format!("/ip4/127.0.0.1/udp/{}", free_port()));
        // Freespace every 2 s rather than 30 s.
        if let Some(informer) = config["informer"]["disk"].as_object_mut() {
            informer.insert("metric_ttl".into(), json!("2s"));
        }
        std::fs::write(
            &config_path,
            serde_json::to_vec_pretty(&config).expect("json"),
        )
        .expect("write service.json");

        let mut peer = ClusterPeer {
            url: format!("http://127.0.0.1:{rest}"),
            name: name.to_string(),
            id: String::new(),
            daemon: Daemon::new("ipfs-cluster-service", dir.path().join("daemon.log")),
            dir,
            bootstrap: bootstrap.map(ClusterPeer::address),
            client: Client::new(),
        };
        peer.resume();
        peer.id = peer.get("id")["id"].as_str().expect("id").to_string();
        peer
    }

    /// Starts the daemon (again) and waits until its API answers.
    pub fn resume(&mut self) {
        let mut cmd = cluster_command(self.dir.path());
        cmd.arg("daemon");
        if let Some(bootstrap) = &self.bootstrap {
            cmd.args(["--bootstrap", bootstrap]);
        }
        let (client, url) = (&self.client, &self.url);
        self.daemon.start(cmd, || {
            let answers = |path: &str, wanted: u16| {
                client
                    .send(client.http().get(format!("{url}/{path}")))
                    .is_some_and(|(status, _)| status == wanted)
            };
            answers("health", 204) && answers("id", 200)
        });
    }

    pub fn stop(&mut self) {
        self.daemon.stop();
    }

    pub fn pid(&self) -> Option<u32> {
        self.daemon.pid()
    }

    /// Its cluster address with its peer ID, for another peer's `--bootstrap`.
    pub fn address(&self) -> String {
        self.get("id")["addresses"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_str)
            .expect("a cluster address")
            .to_string()
    }

    /// GET `path`: a JSON document, or an NDJSON stream as an array.
    pub fn get(&self, path: &str) -> Value {
        let (status, body) = self
            .client
            .send(self.client.http().get(format!("{}/{path}", self.url)))
            .unwrap_or_else(|| panic!("Cluster /{path}: no answer"));
        match status {
            200 => {}
            204 => return json!([]),
            _ => panic!(
                "Cluster /{path}: {status} {}",
                String::from_utf8_lossy(&body)
            ),
        }
        let lines: Vec<Value> = body
            .split(|b| *b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .filter_map(|l| serde_json::from_slice(l).ok())
            .collect();
        // `/peers` and `/pins` stream NDJSON: one line is still a list of one.
        if matches!(path, "peers" | "pins") {
            return Value::Array(lines);
        }
        serde_json::from_slice(&body).unwrap_or(Value::Array(lines))
    }

    /// The raw answer of GET `path`.
    pub fn raw(&self, path: &str) -> (u16, Vec<u8>) {
        self.client
            .send(self.client.http().get(format!("{}/{path}", self.url)))
            .unwrap_or_else(|| panic!("Cluster /{path}: no answer"))
    }

    /// `ipfs-cluster-ctl` against this peer.
    pub fn ctl(&self, args: &[&str]) -> String {
        let mut cmd = Command::new(tool("ipfs-cluster/ipfs-cluster-ctl"));
        let host = self.url.replace("http://127.0.0.1:", "/ip4/127.0.0.1/tcp/");
        cmd.args(["--host", &host]).args(args);
        run(cmd, "ipfs-cluster-ctl", Duration::from_secs(60))
    }
}

// ---------------------------------------------------------------------------------------------
// Versity S3 gateway

pub const VERSITY_ACCESS: &str = "versity-test-access";
pub const VERSITY_SECRET: &str = "versity-test-secret-9d2f";

/// The Versity S3 gateway over a directory (its `posix` backend), killed on drop.
pub struct Versity {
    pub url: String,
    pub root: PathBuf,
    child: Child,
    log: PathBuf,
    client: Client,
    _dir: tempfile::TempDir,
}

impl Drop for Versity {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Versity {
    pub fn start() -> Versity {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).expect("root");
        let port = free_port();
        let log = dir.path().join("gateway.log");
        let child = Command::new(tool("versitygw/versitygw"))
            .args([
                "--access",
                VERSITY_ACCESS,
                "--secret",
                VERSITY_SECRET,
                "--port",
                &format!("127.0.0.1:{port}"),
                "--quiet",
                "posix",
            ])
            .arg(&root)
            .stdin(Stdio::null())
            .stdout(log_file(&log))
            .stderr(log_file(&log))
            .spawn()
            .expect("start versitygw");
        let mut versity = Versity {
            url: format!("http://127.0.0.1:{port}"),
            root,
            child,
            log,
            client: Client::new(),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        // Any HTTP answer (403 to an unsigned request) means it listens.
        while versity
            .client
            .send(versity.client.http().get(&versity.url))
            .is_none()
        {
            if let Ok(Some(status)) = versity.child.try_wait() {
                panic!("versitygw exited ({status}):\n{}", read_log(&versity.log));
            }
            assert!(
                Instant::now() < deadline,
                "versitygw did not listen within 60 s:\n{}",
                read_log(&versity.log)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        versity
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn bucket(&self, name: &str) -> rusty_s3::Bucket {
        rusty_s3::Bucket::new(
            self.url.parse().expect("url"),
            rusty_s3::UrlStyle::Path,
            name.to_string(),
            "us-east-1",
        )
        .expect("bucket")
    }

    fn credentials() -> rusty_s3::Credentials {
        rusty_s3::Credentials::new(VERSITY_ACCESS, VERSITY_SECRET)
    }

    /// One ListObjectsV2 page of `max_keys` (signed with `secret`): status and body.
    pub fn list(&self, name: &str, max_keys: usize, secret: &str) -> (u16, String) {
        use rusty_s3::S3Action;
        let bucket = self.bucket(name);
        let credentials = rusty_s3::Credentials::new(VERSITY_ACCESS, secret);
        let mut action = rusty_s3::actions::ListObjectsV2::new(&bucket, Some(&credentials));
        action.with_max_keys(max_keys);
        let url = action.sign(Duration::from_secs(300));
        let (status, body) = self
            .client
            .send(self.client.http().get(url.as_str()))
            .expect("ListObjectsV2: no answer");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    pub fn create_bucket(&self, name: &str) {
        use rusty_s3::S3Action;
        let bucket = self.bucket(name);
        let credentials = Self::credentials();
        let url = rusty_s3::actions::CreateBucket::new(&bucket, &credentials)
            .sign(Duration::from_secs(300));
        let (status, body) = self
            .client
            .send(self.client.http().put(url.as_str()))
            .expect("CreateBucket: no answer");
        assert_eq!(
            status,
            200,
            "CreateBucket {name}: {}",
            String::from_utf8_lossy(&body)
        );
    }

    /// Puts `count` objects of `size` bytes, `parallel` at a time.
    pub fn put_objects(&self, name: &str, prefix: &str, count: usize, size: usize) {
        use rusty_s3::S3Action;
        let bucket = self.bucket(name);
        let credentials = Self::credentials();
        let http = self.client.http().clone();
        let failures = Arc::new(AtomicU64::new(0));
        self.client.runtime.block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for i in 0..count {
                let key = format!("{prefix}{i:06}.bin");
                let url = rusty_s3::actions::PutObject::new(&bucket, Some(&credentials), &key)
                    .sign(Duration::from_secs(600));
                let http = http.clone();
                let failures = failures.clone();
                tasks.spawn(async move {
                    let ok = http
                        .put(url.as_str())
                        .body(vec![b'v'; size])
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    if !ok {
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                });
                // At most 16 in flight.
                while tasks.len() >= 16 {
                    tasks.join_next().await;
                }
            }
            while tasks.join_next().await.is_some() {}
        });
        assert_eq!(failures.load(Ordering::Relaxed), 0, "some PUTs failed");
    }
}
