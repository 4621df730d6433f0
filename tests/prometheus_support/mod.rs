//! A real Prometheus (the Debian package's `prometheus`, installed by scripts/test.sh) and real
//! exporters (`ipfs-kit-tui metrics`) on free loopback ports, for the tests that read figures
//! back through Prometheus. Each is killed when dropped.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_ipfs-kit-tui");

/// A free loopback port (bound, read, released: a race with another process is possible but
/// harmless in practice on a test machine).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Fails (never skips) when a program the test needs is missing.
pub fn require(program: &str) {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{program} is not installed: scripts/test.sh installs it (apt-get install prometheus)"
    );
}

/// A child process killed (and reaped) when dropped.
pub struct Running {
    pub child: Option<Child>,
    pub port: u16,
    pub log: PathBuf,
}

impl Running {
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until `127.0.0.1:port` accepts connections.
pub fn wait_listening(port: u16, within: Duration, what: &str, log: &Path) {
    let deadline = Instant::now() + within;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {port} within {within:?}; its log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `ipfs-kit-tui --home HOME metrics --listen 127.0.0.1:PORT --refresh SECS`.
pub fn start_exporter(home: &Path, port: u16, refresh_secs: u64) -> Running {
    let log = home.with_extension(format!("exporter-{port}.log"));
    let out = std::fs::File::create(&log).expect("exporter log");
    let child = Command::new(BIN)
        .arg("--home")
        .arg(home)
        .args([
            "metrics",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--refresh",
            &refresh_secs.to_string(),
        ])
        .env_remove("IPFS_KIT_HOME")
        .stdout(Stdio::null())
        .stderr(out)
        .spawn()
        .expect("start the exporter");
    wait_listening(port, Duration::from_secs(30), "the exporter", &log);
    Running {
        child: Some(child),
        port,
        log,
    }
}

/// A Prometheus scraping `targets` (job `ipfs_kit`) every `interval_secs`, its data in `dir`.
pub fn start_prometheus(dir: &Path, targets: &[String], interval_secs: u64) -> Running {
    require("prometheus");
    let port = free_port();
    let config = dir.join("prometheus.yml");
    let list: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: {interval_secs}s\n  scrape_timeout: {interval_secs}s\n  \
             evaluation_interval: {interval_secs}s\n\
             scrape_configs:\n  - job_name: ipfs_kit\n    static_configs:\n      - targets: [{}]\n",
            list.join(", ")
        ),
    )
    .expect("prometheus.yml");
    let log = dir.join("prometheus.log");
    let out = std::fs::File::create(&log).expect("prometheus log");
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(out)
        .spawn()
        .expect("start prometheus");
    wait_listening(port, Duration::from_secs(60), "prometheus", &log);
    Running {
        child: Some(child),
        port,
        log,
    }
}

/// GETs `http://127.0.0.1:PORT/PATH_AND_QUERY` and parses the JSON answer.
pub fn get_json(port: u16, path_and_query: &str) -> serde_json::Value {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path_and_query} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
    )
    .expect("request");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("answer");
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
}

/// Waits until every target Prometheus has is `up` (or fails with Prometheus' view).
pub fn wait_targets_up(prometheus: &Running, count: usize, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let targets = get_json(prometheus.port, "/api/v1/targets?state=active");
        let up = targets["data"]["activeTargets"]
            .as_array()
            .map(|a| a.iter().filter(|t| t["health"] == "up").count())
            .unwrap_or(0);
        if up >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{count} targets not up within {within:?}: {targets}\nprometheus log:\n{}",
            prometheus.log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
