//! S3 against a REAL Garage: a single node started in a temp dir on free loopback ports, with a
//! bucket, a key, quotas and objects uploaded through S3. Needs the `garage` binary
//! (scripts/test.sh installs it); fails, never skips, without it.

mod support;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rusty_s3::actions::{PutObject, S3Action};
use rusty_s3::{Bucket, Credentials, UrlStyle};
use serde_json::{json, Value};
use support::{home_with_backend, run_cli};

const ADMIN_TOKEN: &str = "ipfs-kit-test-admin-token";
const SIZES: [usize; 4] = [7, 1_000, 25_000, 300_000];

fn garage_binary() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("garage"))
            .find(|c| c.is_file())
    });
    let in_cargo = std::env::var_os("HOME")
        .map(|h| Path::new(&h).join(".cargo/bin/garage"))
        .filter(|p| p.is_file());
    on_path.or(in_cargo).expect(
        "garage is not installed: run scripts/test.sh, which installs it (cargo install garage --locked --version 2.5.0)",
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running single-node Garage, killed on drop.
struct Garage {
    child: Child,
    config: PathBuf,
    s3_url: String,
    admin_url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Garage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Garage {
    fn cli(&self, args: &[&str]) -> String {
        let output = Command::new(garage_binary())
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "garage {args:?} failed: {text}");
        text
    }

    fn start() -> Garage {
        let dir = tempfile::tempdir().unwrap();
        let (rpc, s3, admin) = (free_port(), free_port(), free_port());
        let config = dir.path().join("garage.toml");
        let secret: String = (0..32)
            .map(|_| format!("{:02x}", fastrand::u8(..)))
            .collect();
        std::fs::write(
            &config,
            format!(
                r#"metadata_dir = "{meta}"
data_dir = "{data}"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{secret}"
[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"
[admin]
api_bind_addr = "127.0.0.1:{admin}"
admin_token = "{ADMIN_TOKEN}"
metrics_token = "ipfs-kit-test-metrics"
"#,
                meta = dir.path().join("meta").display(),
                data = dir.path().join("data").display(),
            ),
        )
        .unwrap();
        let child = Command::new(garage_binary())
            .arg("-c")
            .arg(&config)
            .arg("server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start garage");
        let garage = Garage {
            child,
            config,
            s3_url: format!("http://127.0.0.1:{s3}"),
            admin_url: format!("http://127.0.0.1:{admin}"),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", admin)).is_err()
            || TcpStream::connect(("127.0.0.1", s3)).is_err()
        {
            assert!(
                Instant::now() < deadline,
                "garage did not listen within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // The node id: the first 16 hex characters of the node's row.
        let status = garage.cli(&["status"]);
        let node = status
            .lines()
            .find(|l| l.contains(&format!("127.0.0.1:{rpc}")))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or_else(|| panic!("no node row in: {status}"))
            .to_string();
        garage.cli(&["layout", "assign", "-z", "dc1", "-c", "1G", &node]);
        garage.cli(&["layout", "apply", "--version", "1"]);
        garage
    }

    /// Creates a bucket with quotas and a key allowed on it: (key id, secret).
    fn bucket(&self, name: &str) -> (String, String) {
        self.cli(&["bucket", "create", name]);
        let key = self.cli(&["key", "create", &format!("{name}-key")]);
        let field = |label: &str| {
            key.lines()
                .find(|l| l.trim_start().starts_with(label))
                .and_then(|l| l.split_whitespace().last())
                .unwrap_or_else(|| panic!("no {label} in: {key}"))
                .to_string()
        };
        let (id, secret) = (field("Key ID:"), field("Secret key:"));
        self.cli(&[
            "bucket", "allow", "--read", "--write", "--owner", name, "--key", &id,
        ]);
        self.cli(&[
            "bucket",
            "set-quotas",
            name,
            "--max-size",
            "10MiB",
            "--max-objects",
            "100",
        ]);
        (id, secret)
    }

    fn bucket_info(&self, name: &str) -> Value {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            reqwest::Client::new()
                .get(format!(
                    "{}/v2/GetBucketInfo?globalAlias={name}",
                    self.admin_url
                ))
                .bearer_auth(ADMIN_TOKEN)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        })
    }

    fn put_objects(&self, name: &str, key: &str, secret: &str) {
        let bucket = Bucket::new(
            self.s3_url.parse().unwrap(),
            UrlStyle::Path,
            name.to_string(),
            "garage",
        )
        .unwrap();
        let credentials = Credentials::new(key, secret);
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let client = reqwest::Client::new();
            for (i, size) in SIZES.iter().enumerate() {
                let object = format!("dir/object-{i}.bin");
                let url = PutObject::new(&bucket, Some(&credentials), &object)
                    .sign(Duration::from_secs(300));
                let response = client
                    .put(url.as_str())
                    .body(vec![b'x'; *size])
                    .send()
                    .await
                    .unwrap();
                assert!(
                    response.status().is_success(),
                    "PUT {object}: {}",
                    response.status()
                );
            }
        });
        // Garage's bucket counters follow the writes shortly after.
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.bucket_info(name)["objects"] != json!(SIZES.len()) {
            assert!(
                Instant::now() < deadline,
                "Garage's counters never showed the objects: {}",
                self.bucket_info(name)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

fn s3_config(garage: &Garage, bucket: &str, key: &str, secret: &str) -> Value {
    json!({"type": "s3", "enabled": true, "endpoint": garage.s3_url, "region": "garage", "bucket": bucket,
           "access_key": key, "secret_key": secret, "path_style": true,
           "admin_url": garage.admin_url, "admin_token": ADMIN_TOKEN})
}

#[test]
#[ignore = "needs the garage binary; run by scripts/test.sh"]
fn status_reports_exactly_what_garage_holds() {
    let garage = Garage::start();
    let (key, secret) = garage.bucket("media");
    garage.put_objects("media", &key, &secret);
    let home = home_with_backend("garage-media", s3_config(&garage, "media", &key, &secret));

    let started = Instant::now();
    let (code, out, err) = run_cli(home.path(), &["status", "--json"]);
    println!("one status round against Garage: {:?}", started.elapsed());
    println!("{out}");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        !out.contains(&secret) && !err.contains(&secret),
        "the secret never leaves its file"
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    let media = &report["backends"][0];
    let info = garage.bucket_info("media");
    let total: usize = SIZES.iter().sum();
    assert_eq!(media["health"]["status"], "healthy", "{media}");
    assert_eq!(media["files"]["count"], json!(SIZES.len()));
    assert_eq!(media["files"]["bytes"], json!(total));
    assert_eq!(media["files"]["largest"], json!(300_000));
    assert_eq!(media["storage"]["used"], json!(total));
    // Garage's own counters and quotas, exactly.
    assert_eq!(media["quota"]["used"], info["bytes"]);
    assert_eq!(media["quota"]["objects_used"], info["objects"]);
    assert_eq!(media["quota"]["limit"], json!(10 * 1024 * 1024));
    assert_eq!(media["quota"]["limit"], info["quotas"]["maxSize"]);
    assert_eq!(media["quota"]["objects_limit"], json!(100));
    assert_eq!(
        media["quota"]["objects_limit"],
        info["quotas"]["maxObjects"]
    );
    assert_eq!(media["quota"]["remaining"], json!(10 * 1024 * 1024 - total));
    assert_eq!(media["vital"]["cluster_status"], "healthy");
    assert_eq!(media["vital"]["version"], "cargo:2.5.0");

    let (code, out, err) = run_cli(home.path(), &["backend", "test", "garage-media"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("PASS garage-media"), "{out}");
}

#[test]
#[ignore = "needs the garage binary; run by scripts/test.sh"]
fn wrong_secret_and_missing_bucket_are_named() {
    let garage = Garage::start();
    let (key, _secret) = garage.bucket("media");
    let home = home_with_backend(
        "wrong",
        s3_config(
            &garage,
            "media",
            &key,
            "0000000000000000000000000000000000000000000000000000000000000000",
        ),
    );
    let (code, out, _) = run_cli(home.path(), &["backend", "test", "wrong", "--json"]);
    assert_eq!(code, 1, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["error"]["class"], "credentials", "{report}");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("credentials rejected (HTTP 403)"),
        "{report}"
    );

    let (key, secret) = garage.bucket("present");
    let home = home_with_backend(
        "missing",
        s3_config(&garage, "nope-not-here", &key, &secret),
    );
    let (code, out, _) = run_cli(home.path(), &["backend", "test", "missing", "--json"]);
    assert_eq!(code, 1, "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let message = report["error"]["message"].as_str().unwrap();
    assert!(message.contains("bucket 'nope-not-here'"), "{report}");
}
