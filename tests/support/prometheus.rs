//! Real exporters (`ipfs-kit-tui metrics --listen`) and a real Prometheus (the Debian package's
//! `prometheus`, installed by scripts/test.sh) on loopback ports, for the tests that scrape the
//! exporter or read figures back through Prometheus. Every process is stopped when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::free_port;
use super::home::BIN;

/// A directory of `files` files (`f0` of `step` bytes, `f1` of twice that, ...): the objects a
/// `local` backend on it counts.
pub fn data_dir(files: usize, step: usize) -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    for i in 0..files {
        std::fs::write(
            data.path().join(format!("f{i}")),
            vec![b'x'; step * (i + 1)],
        )
        .unwrap();
    }
    data
}

/// The path of a tool on PATH; fails (never skips) when it is missing.
pub fn tool(name: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    });
    found.unwrap_or_else(|| {
        panic!("`{name}` is not installed: scripts/test.sh installs it (apt package prometheus)")
    })
}

/// A child process stopped (SIGTERM, then SIGKILL) when the test ends, however it ends.
pub struct Running(pub Child);

impl Running {
    fn signal(&self, signal: nix::sys::signal::Signal) -> nix::Result<()> {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        nix::sys::signal::kill(pid, signal)
    }

    /// Sends SIGTERM and waits (up to 10 s) for the exit status.
    pub fn stop(&mut self) -> ExitStatus {
        self.signal(nix::sys::signal::Signal::SIGTERM).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills it at once (SIGKILL) and reaps it: gone without a word, as a crashed host.
    pub fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.0.try_wait() {
            return;
        }
        let _ = self.signal(nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
    }
}

/// An HTTP answer.
pub struct Answer {
    pub status: u16,
    /// The status line and headers, in lower case.
    pub head: String,
    pub body: String,
}

/// A GET over HTTP/1.0 (an answer to 1.0 is never chunked: the body is the text as sent), with
/// `accept` as its Accept header; None when nothing answers or the answer is not HTTP.
pub fn get(url: &str, accept: Option<&str>) -> Option<Answer> {
    exchange(url, "GET", "HTTP/1.0", accept)
}

/// A request over HTTP/1.1 as a scraper sends it (`Connection: close`).
pub fn request(url: &str, method: &str, accept: Option<&str>) -> Option<Answer> {
    exchange(url, method, "HTTP/1.1", accept)
}

/// One request to `http://HOST:PORT/PATH` over a plain socket, so that the test sees every
/// byte of the answer.
fn exchange(url: &str, method: &str, protocol: &str, accept: Option<&str>) -> Option<Answer> {
    let (host, path) = url.strip_prefix("http://")?.split_once('/')?;
    let mut stream = TcpStream::connect(host).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let accept = accept
        .map(|a| format!("Accept: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} /{path} {protocol}\r\nHost: {host}\r\n{accept}Connection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some(Answer {
        status,
        head: head.to_ascii_lowercase(),
        body: body.to_string(),
    })
}

/// `ipfs-kit-tui --home HOME metrics ARGS`, its output discarded (stderr left to the caller).
pub fn exporter_command(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_remove("IPFS_KIT_HOME")
        .arg("--home")
        .arg(home)
        .arg("metrics")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    cmd
}

/// A running `metrics --listen` process.
pub struct Exporter {
    pub process: Running,
    /// What it printed it serves: `http://127.0.0.1:PORT/metrics`.
    pub url: String,
    /// `127.0.0.1:PORT`: Prometheus' `instance` label.
    pub address: String,
}

/// Starts `metrics --listen 127.0.0.1:0 --refresh 1` on `home` and reads the address it
/// printed (the port is the system's choice: no race for it).
pub fn start_exporter(home: &Path) -> Exporter {
    let mut child = exporter_command(home, &["--listen", "127.0.0.1:0", "--refresh", "1"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let process = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    // Reads stderr to its end: a pipe closed early would fail the exporter's later warnings.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the exporter printed no line");
    let url = line
        .strip_prefix("serving ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    let address = url
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    Exporter {
        process,
        url,
        address,
    }
}

/// A running Prometheus with its own data directory.
pub struct Prometheus {
    /// Held so that dropping the `Prometheus` stops it.
    _process: Running,
    /// `127.0.0.1:PORT`.
    pub address: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// A Prometheus scraping `targets` (job `ipfs_kit`) and evaluating `rules` (a rules file) every
/// second, once it listens.
pub fn start_prometheus(targets: &[impl AsRef<str>], rules: Option<&Path>) -> Prometheus {
    let binary = tool("prometheus");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("prometheus.yml");
    let targets: Vec<String> = targets
        .iter()
        .map(|t| format!("\"{}\"", t.as_ref()))
        .collect();
    let rule_files = rules
        .map(|file| format!("rule_files:\n  - \"{}\"\n", file.display()))
        .unwrap_or_default();
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             {rule_files}\
             scrape_configs:\n  - job_name: ipfs_kit\n    static_configs:\n      - targets: [{}]\n",
            targets.join(", ")
        ),
    )
    .unwrap();
    let port = free_port();
    let log = dir.path().join("prometheus.log");
    let process = Running(
        Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let prometheus = Prometheus {
        _process: process,
        address: format!("127.0.0.1:{port}"),
        log,
        _dir: dir,
    };
    prometheus.wait_for("prometheus to listen", Duration::from_secs(60), |p| {
        TcpStream::connect(&p.address).is_ok()
    });
    prometheus
}

impl Prometheus {
    /// `http://127.0.0.1:PORT`, its API's base.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The JSON answer to `PATH?query=QUERY` (just `PATH` when `query` is empty); None unless
    /// Prometheus answers 200 with JSON.
    pub fn api(&self, path: &str, query: &str) -> Option<Value> {
        let target = if query.is_empty() {
            path.to_string()
        } else {
            let encoded: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("query", query)
                .finish();
            format!("{path}?{encoded}")
        };
        let answer = get(&format!("{}{target}", self.url()), None)?;
        (answer.status == 200).then(|| serde_json::from_str(&answer.body).ok())?
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `ready` holds, failing after `within` with Prometheus' targets and log.
    pub fn wait_for(&self, what: &str, within: Duration, ready: impl Fn(&Prometheus) -> bool) {
        let deadline = Instant::now() + within;
        while !ready(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; targets: {}\nprometheus log:\n{}",
                self.api("/api/v1/targets?state=active", "")
                    .unwrap_or(Value::Null),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until `count` of its targets are up.
    pub fn wait_targets_up(&self, count: usize, within: Duration) {
        self.wait_for(&format!("{count} targets up"), within, |p| {
            p.api("/api/v1/targets?state=active", "")
                .and_then(|targets| {
                    let active = targets["data"]["activeTargets"].as_array()?.iter();
                    Some(active.filter(|t| t["health"] == "up").count())
                })
                .is_some_and(|up| up >= count)
        });
    }
}
