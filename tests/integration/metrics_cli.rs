//! The exporter from the command line, with no outside service: `status --openmetrics`,
//! `metrics --listen` answering over real HTTP, `metrics --textfile`, the errors of both, and
//! the shipped dashboard and rules naming only series we export.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support;
use crate::support::prometheus::{data_dir, exporter_command, request, start_exporter, Running};

fn local_home(files: usize) -> (tempfile::TempDir, tempfile::TempDir) {
    let data = data_dir(files, 10);
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
    let mut exporter = start_exporter(home.path());
    let url = exporter.url.clone();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/metrics"),
        "{url}"
    );
    // The first poll lands within one refresh interval.
    let deadline = Instant::now() + Duration::from_secs(20);
    let classic = loop {
        let answer = request(&url, "GET", None).unwrap();
        assert_eq!(answer.status, 200);
        assert!(answer
            .head
            .contains("content-type: text/plain; version=0.0.4; charset=utf-8"));
        if answer
            .body
            .contains("ipfs_kit_backend_up{backend=\"data\",kind=\"local\"} 1\n")
        {
            break answer.body;
        }
        assert!(Instant::now() < deadline, "never polled:\n{}", answer.body);
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(!classic.contains("# EOF") && !classic.contains("# UNIT"));
    assert!(classic.contains("# TYPE ipfs_kit_backend_polls_total counter\n"));

    let prometheus_accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let openmetrics = request(&url, "GET", Some(prometheus_accept)).unwrap();
    assert_eq!(openmetrics.status, 200);
    assert!(openmetrics
        .head
        .contains("content-type: application/openmetrics-text; version=1.0.0; charset=utf-8"));
    assert!(openmetrics.body.ends_with("# EOF\n"));
    assert!(openmetrics
        .body
        .contains("# TYPE ipfs_kit_backend_polls counter\n"));

    let head = request(&url, "HEAD", None).unwrap();
    assert_eq!((head.status, head.body.as_str()), (200, ""));
    assert!(head.head.contains("content-length: "));
    let root = url.strip_suffix("metrics").unwrap();
    let index = request(root, "GET", None).unwrap();
    assert_eq!(index.status, 200);
    assert!(index.body.contains("/metrics"));
    let unknown = request(&format!("{root}nothing"), "GET", None).unwrap();
    assert_eq!(unknown.status, 404);
    let post = request(&url, "POST", None).unwrap();
    assert_eq!(post.status, 405);
    assert!(post.head.contains("allow: get, head"));

    assert!(exporter.process.stop().success());
}

/// Runs `metrics ARGS` on a home with one local backend, to its end: (exit code, stderr).
fn run_exporter(args: &[&str]) -> (Option<i32>, String) {
    let (home, _data) = local_home(1);
    let output = exporter_command(home.path(), args)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), err)
}

#[test]
fn an_address_in_use_is_one_line_naming_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, err) = run_exporter(&["--listen", &addr]);
    assert_eq!(code, Some(1), "{err}");
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
        exporter_command(
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
    let (code, err) = run_exporter(&["--textfile", "/nonexistent/ipfs-kit-textfile"]);
    assert_eq!(code, Some(2), "{err}");
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
    // The availability panels: the share of polls whose liveness call answered.
    let exprs: Vec<&str> = parsed["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().unwrap().iter())
        .filter_map(|t| t["expr"].as_str())
        .collect();
    let answered = "ipfs_kit_backend_polls_total{instance=~\"$instance\",backend=~\"$backend\",result=\"ok\"}[30d]";
    assert!(exprs.iter().any(|e| e.contains(answered)), "{exprs:?}");
    let rules = std::fs::read_to_string(root.join("prometheus/ipfs-kit-alerts.yml")).unwrap();
    let sloth = std::fs::read_to_string(root.join("slo/sloth-ipfs-kit.yml")).unwrap();
    let pyrra = std::fs::read_to_string(root.join("slo/pyrra-ipfs-kit.yml")).unwrap();
    for (file, text) in [
        ("dashboard", &dashboard),
        ("rules", &rules),
        ("sloth", &sloth),
        ("pyrra", &pyrra),
    ] {
        let used = names_in(text);
        let expected = if file == "sloth" || file == "pyrra" {
            1
        } else {
            5
        };
        assert!(used.len() >= expected, "{file}: {used:?}");
        let unknown: Vec<&String> = used.difference(&exported).collect();
        assert!(
            unknown.is_empty(),
            "{file} names series we do not export: {unknown:?}"
        );
    }
}
