//! The exporter from the command line, with no outside service: `status --openmetrics`,
//! `metrics --listen` answering over real HTTP, `metrics --textfile`, the errors of both, and
//! the shipped dashboard and rules naming only series we export.

// Test code may panic: a panic there is a failure with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_ipfs-kit-tui");

/// A child process killed (SIGTERM, then SIGKILL) when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.0.try_wait() {
            return;
        }
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    /// Sends SIGTERM and waits (up to 10 s) for the exit status.
    fn stop(&mut self) -> std::process::ExitStatus {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.0.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn exporter(home: &Path, args: &[&str]) -> Command {
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

/// Starts `metrics --listen 127.0.0.1:0` and returns it with the URL it printed.
fn start_exporter(home: &Path) -> (Running, String) {
    let mut child = exporter(home, &["--listen", "127.0.0.1:0", "--refresh", "1"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let running = Running(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the exporter printed no line");
    let url = line
        .strip_prefix("serving ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_string();
    (running, url)
}

/// One HTTP/1.1 request over a plain socket: (status, headers in lower case, body).
fn request(url: &str, method: &str, accept: Option<&str>) -> (u16, String, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let accept = accept
        .map(|a| format!("Accept: {a}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "{method} /{path} HTTP/1.1\r\nHost: {host}\r\n{accept}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_string())
}

fn local_home(files: usize) -> (tempfile::TempDir, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    for i in 0..files {
        std::fs::write(data.path().join(format!("f{i}")), vec![b'x'; 10 * (i + 1)]).unwrap();
    }
    let home = support::home_with_backend(
        "data",
        json!({"type": "local", "enabled": true, "path": data.path()}),
    );
    (home, data)
}

#[test]
fn status_openmetrics_prints_one_round_as_openmetrics() {
    let (home, _data) = local_home(3);
    let (code, out, err) = support::run_cli(home.path(), &["status", "--openmetrics"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.ends_with("# EOF\n"), "{out}");
    assert!(
        out.contains(
            "# TYPE ipfs_kit_backend_used_bytes gauge\n# UNIT ipfs_kit_backend_used_bytes bytes\n"
        ),
        "{out}"
    );
    let used = out
        .lines()
        .find(|l| l.starts_with("ipfs_kit_backend_used_bytes{backend=\"data\",kind=\"local\"} "))
        .unwrap_or_else(|| panic!("no used bytes for data:\n{out}"));
    assert!(used.rsplit(' ').next().unwrap().parse::<u64>().unwrap() > 0);
    for expected in [
        "ipfs_kit_backend_objects{backend=\"data\",kind=\"local\"} 3\n",
        "ipfs_kit_backend_up{backend=\"data\",kind=\"local\"} 1\n",
        "ipfs_kit_backend_polls_total{backend=\"data\",kind=\"local\",result=\"ok\"} 1\n",
        "ipfs_kit_backend_poll_duration_seconds_count{backend=\"data\",kind=\"local\"} 1\n",
    ] {
        assert!(out.contains(expected), "no {expected:?} in:\n{out}");
    }
    // Every sample belongs to the family whose TYPE line came last.
    let mut family = String::new();
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            family = rest.split(' ').next().unwrap().to_string();
        } else if !line.starts_with('#') {
            assert!(line.starts_with(&family), "{line} outside {family}");
        }
    }
}

#[test]
fn status_openmetrics_check_fails_on_a_backend_that_is_down() {
    let home = support::home_with_backend(
        "gone",
        json!({"type": "local", "enabled": true, "path": "/nonexistent/ipfs-kit-metrics"}),
    );
    let (code, out, err) = support::run_cli(home.path(), &["status", "--openmetrics", "--check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("down: gone"), "{err}");
    assert!(out.contains("ipfs_kit_backend_up{backend=\"gone\",kind=\"local\"} 0\n"));
    assert!(
        out.contains("ipfs_kit_backend_health{backend=\"gone\",kind=\"local\",state=\"down\"} 1\n")
    );
    assert!(
        !out.contains("ipfs_kit_backend_used_bytes{backend=\"gone\""),
        "{out}"
    );
    assert!(out.ends_with("# EOF\n"));
    // Without --check the same round exits 0.
    let (code, _, err) = support::run_cli(home.path(), &["status", "--openmetrics"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn the_exporter_answers_scrapes_by_format_path_and_method() {
    let (home, _data) = local_home(2);
    let (mut exporter, url) = start_exporter(home.path());
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/metrics"),
        "{url}"
    );
    // The first poll lands within one refresh interval.
    let deadline = Instant::now() + Duration::from_secs(20);
    let classic = loop {
        let (status, head, body) = request(&url, "GET", None);
        assert_eq!(status, 200);
        assert!(head.contains("content-type: text/plain; version=0.0.4; charset=utf-8"));
        if body.contains("ipfs_kit_backend_up{backend=\"data\",kind=\"local\"} 1\n") {
            break body;
        }
        assert!(Instant::now() < deadline, "never polled:\n{body}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(!classic.contains("# EOF") && !classic.contains("# UNIT"));
    assert!(classic.contains("# TYPE ipfs_kit_backend_polls_total counter\n"));

    let prometheus_accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let (status, head, body) = request(&url, "GET", Some(prometheus_accept));
    assert_eq!(status, 200);
    assert!(
        head.contains("content-type: application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    assert!(body.ends_with("# EOF\n"));
    assert!(body.contains("# TYPE ipfs_kit_backend_polls counter\n"));

    let (status, head, body) = request(&url, "HEAD", None);
    assert_eq!((status, body.as_str()), (200, ""));
    assert!(head.contains("content-length: "));
    let root = url.strip_suffix("metrics").unwrap();
    let (status, _, body) = request(root, "GET", None);
    assert_eq!(status, 200);
    assert!(body.contains("/metrics"));
    assert_eq!(request(&format!("{root}nothing"), "GET", None).0, 404);
    let (status, head, _) = request(&url, "POST", None);
    assert_eq!(status, 405);
    assert!(head.contains("allow: get, head"));

    assert!(exporter.stop().success());
}

#[test]
fn an_address_in_use_is_one_line_naming_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (home, _data) = local_home(1);
    let output = exporter(home.path(), &["--listen", &addr])
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert_eq!(
        err.trim(),
        format!("error: cannot listen on {addr}: the address is already in use")
    );
}

#[test]
fn the_textfile_is_replaced_whole_after_each_round_and_no_temporary_file_stays() {
    let (home, _data) = local_home(4);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ipfs_kit.prom");
    let mut exporter = Running(
        exporter(
            home.path(),
            &["--textfile", dir.path().to_str().unwrap(), "--refresh", "1"],
        )
        .stderr(Stdio::null())
        .spawn()
        .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut versions = BTreeSet::new();
    // Read it while it is rewritten every second: always whole, never a temporary name.
    while versions.len() < 3 {
        assert!(
            Instant::now() < deadline,
            "rewritten {} times",
            versions.len()
        );
        if let Ok(text) = std::fs::read_to_string(&file) {
            assert!(text.ends_with('\n'), "a torn file:\n{text}");
            assert!(text.contains("# TYPE ipfs_kit_backend_polls_total counter\n"));
            let polls = text
                .lines()
                .find(|l| {
                    l.starts_with("ipfs_kit_backend_poll_duration_seconds_count{backend=\"data\"")
                })
                .unwrap()
                .to_string();
            versions.insert(polls);
        }
        for entry in std::fs::read_dir(dir.path()).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                name == "ipfs_kit.prom"
                    || (name.starts_with(".ipfs_kit.prom.") && name.ends_with(".tmp")),
                "{name}"
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(exporter.stop().success());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["ipfs_kit.prom"]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("# EOF"),
        "the textfile is the classic format"
    );
    assert!(
        text.contains("ipfs_kit_backend_objects{backend=\"data\",kind=\"local\"} 4\n"),
        "{text}"
    );
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
}

#[test]
fn a_textfile_directory_that_is_not_there_is_refused() {
    let (home, _data) = local_home(1);
    let output = exporter(
        home.path(),
        &["--textfile", "/nonexistent/ipfs-kit-textfile"],
    )
    .stderr(Stdio::piped())
    .output()
    .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert_eq!(
        err.trim(),
        "error: --textfile: /nonexistent/ipfs-kit-textfile is not a directory (it must exist)"
    );
}

/// Every `ipfs_kit_*` name in a text.
fn names_in(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("ipfs_kit_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(tail.len());
        names.insert(tail[..end].to_string());
        rest = &tail[end..];
    }
    names
}

#[test]
fn the_grafana_dashboard_and_the_rules_use_only_series_we_export() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib");
    let exported: BTreeSet<String> = ipfs_kit_tui::metrics::series_names().into_iter().collect();
    let dashboard = std::fs::read_to_string(root.join("grafana/ipfs-kit-dashboard.json")).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    let variables: Vec<&str> = parsed["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(variables, ["datasource", "instance", "backend"]);
    assert!(dashboard.contains("histogram_quantile(0.95"));
    for panel in parsed["panels"].as_array().unwrap() {
        assert_eq!(
            panel["datasource"]["uid"], "${datasource}",
            "{}",
            panel["title"]
        );
    }
    let rules = std::fs::read_to_string(root.join("prometheus/ipfs-kit-alerts.yml")).unwrap();
    for (file, text) in [("dashboard", &dashboard), ("rules", &rules)] {
        let used = names_in(text);
        assert!(used.len() >= 5, "{file}: {used:?}");
        let unknown: Vec<&String> = used.difference(&exported).collect();
        assert!(
            unknown.is_empty(),
            "{file} names series we do not export: {unknown:?}"
        );
    }
}
