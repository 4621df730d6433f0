//! The exporter scraped by a real Prometheus: two hosts (two homes, each with its own
//! `metrics --listen` process), the same backend id on both, one backend that never answers.
//! What PromQL returns must be what `status --json` says on each host; an unknown figure has no
//! series; promtool accepts the classic exposition and the shipped alert rules, which the
//! Prometheus here loads and evaluates.
//!
//! Needs `prometheus` and `promtool` (scripts/test.sh installs them): the test fails without.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::support;
use crate::support::free_port;
use crate::support::prometheus::{data_dir, get, start_exporter, start_prometheus, tool, Exporter};

/// A host: a home with its backends and its exporter.
struct Host {
    home: tempfile::TempDir,
    _data: tempfile::TempDir,
    exporter: Exporter,
}

fn start_host(files: usize, with_dead_ipfs: bool) -> Host {
    let data = data_dir(files, 100);
    let home = support::home_with_backend(
        "data",
        json!({"type": "local", "enabled": true, "path": data.path()}),
    );
    if with_dead_ipfs {
        // A port nothing listens on: the node never answers, nothing about it is known.
        let api_url = format!("api_url=http://127.0.0.1:{}", free_port());
        let add = [
            "backend", "add", "kubo", "--type", "ipfs", "--set", &api_url,
        ];
        let (code, _, err) = support::run_cli(home.path(), &add);
        assert_eq!(code, 0, "{err}");
    }
    let exporter = start_exporter(home.path());
    Host {
        home,
        _data: data,
        exporter,
    }
}

fn rules_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/prometheus/ipfs-kit-alerts.yml")
}

// The queries only this test reads, on the shared Prometheus handle.
impl support::prometheus::Prometheus {
    /// The result vector of an instant query (empty when Prometheus has no series).
    fn query(&self, query: &str) -> Vec<Value> {
        let answer = self
            .api("/api/v1/query", query)
            .unwrap_or_else(|| panic!("no answer to {query}"));
        assert_eq!(answer["status"], "success", "{query}: {answer}");
        answer["data"]["result"].as_array().unwrap().clone()
    }

    /// The one value of an instant query that must return one series.
    fn value(&self, query: &str) -> f64 {
        let result = self.query(query);
        assert_eq!(result.len(), 1, "{query}: {result:?}");
        result[0]["value"][1].as_str().unwrap().parse().unwrap()
    }
}

fn status_json(home: &Path) -> Value {
    let (code, out, err) = support::run_cli(home, &["status", "--json"]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
#[ignore = "needs prometheus (scripts/test.sh installs it)"]
fn prometheus_scrapes_two_hosts_and_reads_what_status_says() {
    let promtool = tool("promtool");
    let hosts = [start_host(3, false), start_host(5, true)];
    let prometheus = start_prometheus(
        &[&hosts[0].exporter.address, &hosts[1].exporter.address],
        Some(&rules_file()),
    );
    let on = |host: &Host, backend: &str| {
        format!(
            "instance=\"{}\",backend=\"{backend}\"",
            host.exporter.address
        )
    };

    // Each host's local backend counted (its inventory done) and the dead node polled.
    prometheus.wait_for("both hosts' figures", Duration::from_secs(90), |p| {
        p.api("/api/v1/query", "up").is_some()
            && p.query("ipfs_kit_backend_objects{backend=\"data\"}").len() == 2
            && p.query("ipfs_kit_backend_up").len() == 3
    });
    assert_eq!(prometheus.query("up{job=\"ipfs_kit\"} == 1").len(), 2);

    for (host, files) in hosts.iter().zip([3, 5]) {
        let report = status_json(host.home.path());
        let data = support::backend(&report, "data");
        let figure = |path: &str| -> f64 { data.pointer(path).unwrap().as_f64().unwrap() };
        let at = on(host, "data");
        let capacity = figure("/storage/total");
        assert_eq!(
            prometheus.value(&format!("ipfs_kit_backend_capacity_bytes{{{at}}}")),
            capacity
        );
        // Used and available bytes are a live filesystem's, shared with everything else this
        // machine writes between the scrape and `status`: equal within 1% of the capacity.
        for (series, path) in [
            ("ipfs_kit_backend_used_bytes", "/storage/used"),
            ("ipfs_kit_backend_available_bytes", "/storage/available"),
        ] {
            let scraped = prometheus.value(&format!("{series}{{{at}}}"));
            let said = figure(path);
            assert!(
                (scraped - said).abs() <= capacity * 0.01,
                "{series} on {}: {scraped} vs status {said}",
                host.exporter.address
            );
        }
        assert_eq!(figure("/files/count"), f64::from(files));
        assert_eq!(
            prometheus.value(&format!("ipfs_kit_backend_objects{{{at}}}")),
            figure("/files/count")
        );
        assert_eq!(
            prometheus.value(&format!("ipfs_kit_backend_largest_object_bytes{{{at}}}")),
            figure("/files/largest")
        );
        assert_eq!(data["health"]["status"], "healthy");
        assert_eq!(
            prometheus.value(&format!("ipfs_kit_backend_up{{{at}}}")),
            1.0
        );
        assert_eq!(
            prometheus.value(&format!(
                "ipfs_kit_backend_health{{{at},state=\"healthy\"}}"
            )),
            1.0
        );
        // No quota on a local directory: no series, not 0.
        assert!(data["quota"]["limit"].is_null());
        assert!(prometheus
            .query(&format!("ipfs_kit_backend_quota_bytes{{{at}}}"))
            .is_empty());
    }

    // The node that never answered: up 0, down, and none of the figures it never gave.
    let report = status_json(hosts[1].home.path());
    let kubo = support::backend(&report, "kubo");
    assert_eq!(kubo["health"]["status"], "down");
    let at = on(&hosts[1], "kubo");
    assert_eq!(
        prometheus.value(&format!("ipfs_kit_backend_up{{{at}}}")),
        0.0
    );
    assert_eq!(
        prometheus.value(&format!("ipfs_kit_backend_health{{{at},state=\"down\"}}")),
        1.0
    );
    assert!(kubo.pointer("/storage/used").unwrap().is_null());
    assert!(kubo.pointer("/files/count").unwrap().is_null());
    for series in [
        "ipfs_kit_backend_used_bytes",
        "ipfs_kit_backend_available_bytes",
        "ipfs_kit_backend_capacity_bytes",
        "ipfs_kit_backend_objects",
        "ipfs_kit_backend_last_success_timestamp_seconds",
        "ipfs_kit_ipfs_peers",
        "ipfs_kit_ipfs_pins",
    ] {
        assert!(
            prometheus.query(&format!("{series}{{{at}}}")).is_empty(),
            "{series} for a node that never answered"
        );
    }
    assert_eq!(
        prometheus
            .query(&format!(
                "ipfs_kit_backend_polls_total{{{at},result=\"unreachable\"}} > 0"
            ))
            .len(),
        1
    );
    // Prometheus asked for OpenMetrics and got it: units reach its metadata only from there.
    let metadata = prometheus
        .api("/api/v1/metadata", "")
        .expect("no metadata answer");
    let used = &metadata["data"]["ipfs_kit_backend_used_bytes"][0];
    assert_eq!(used["type"], "gauge", "{metadata}");
    assert_eq!(used["unit"], "bytes", "{metadata}");
    assert_eq!(
        metadata["data"]["ipfs_kit_backend_polls"][0]["type"], "counter",
        "{metadata}"
    );
    // The histogram reads as one: a p95 exists for the local backends.
    assert_eq!(
        prometheus
            .query("histogram_quantile(0.95, sum by (instance, backend, le) (rate(ipfs_kit_backend_poll_duration_seconds_bucket{backend=\"data\"}[1m])))")
            .len(),
        2
    );

    // The shipped rules load and evaluate; the dead node's down alert is pending (its `for`
    // has not passed yet).
    prometheus.wait_for("the down alert", Duration::from_secs(60), |p| {
        p.api("/api/v1/alerts", "").is_some_and(|answer| {
            answer["data"]["alerts"].as_array().is_some_and(|alerts| {
                alerts.iter().any(|a| {
                    a["labels"]["alertname"] == "IpfsKitBackendDown"
                        && a["labels"]["backend"] == "kubo"
                        && a["labels"]["instance"] == hosts[1].exporter.address.as_str()
                })
            })
        })
    });
    let rules = prometheus.api("/api/v1/rules", "").unwrap();
    let loaded: Vec<&Value> = rules["data"]["groups"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    // Every rule of the shipped file (`- alert:` entries), none with an error.
    let shipped = std::fs::read_to_string(rules_file())
        .unwrap()
        .lines()
        .filter(|l| l.trim_start().starts_with("- alert:"))
        .count();
    assert!(shipped >= 7, "{shipped}");
    assert_eq!(loaded.len(), shipped);
    for rule in loaded {
        assert_ne!(rule["health"], "err", "{rule}");
    }

    // promtool accepts the classic text a scraper gets without asking for OpenMetrics...
    let answer = get(&hosts[1].exporter.url, None).unwrap();
    assert_eq!(answer.status, 200);
    let classic = answer.body;
    let mut check = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(classic.as_bytes())
        .unwrap();
    let checked = check.wait_with_output().unwrap();
    assert!(
        checked.status.success() && checked.stdout.is_empty() && checked.stderr.is_empty(),
        "promtool check metrics: {}{}\n{classic}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    // ...and the shipped rules.
    let checked = Command::new(&promtool)
        .args(["check", "rules"])
        .arg(rules_file())
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "promtool check rules: {}",
        String::from_utf8_lossy(&checked.stdout)
    );
    // What Prometheus itself asks for is OpenMetrics, ending with # EOF.
    let openmetrics = get(
        &hosts[0].exporter.url,
        Some("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"),
    )
    .unwrap()
    .body;
    assert!(openmetrics.ends_with("# EOF\n"));
    assert!(!classic.contains("# EOF"));

    for host in hosts {
        let Host { mut exporter, .. } = host;
        let status = exporter.process.stop();
        assert!(
            status.success(),
            "the exporter did not stop cleanly: {status}"
        );
    }
}

/// The shipped rules' unit tests (`contrib/prometheus/tests/`): every rule about a backend
/// leaves one in maintenance out, keeps the same id on another host, and fires once the window
/// has ended.
#[test]
#[ignore = "needs promtool (scripts/test.sh installs it)"]
fn the_shipped_rules_pass_their_unit_tests_and_leave_maintenance_out() {
    let promtool = tool("promtool");
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("contrib/prometheus/tests");
    let files: Vec<PathBuf> = std::fs::read_dir(&tests)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yml"))
        .collect();
    assert!(!files.is_empty(), "no rule tests in {}", tests.display());
    let ran = Command::new(&promtool)
        .args(["test", "rules"])
        .args(&files)
        .current_dir(&tests)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&ran.stdout),
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(ran.status.success(), "promtool test rules:\n{said}");
    assert!(said.contains("SUCCESS"), "{said}");
    // Every rule about a backend says so in the rules file itself.
    let rules = std::fs::read_to_string(rules_file()).unwrap();
    let backend_rules = rules
        .split("- alert:")
        .skip(1)
        .filter(|rule| !rule.trim_start().starts_with("IpfsKitExporter"))
        .collect::<Vec<_>>();
    assert!(backend_rules.len() >= 7);
    for rule in backend_rules {
        assert!(
            rule.contains(
                "unless on (instance, job, backend)\n          ipfs_kit_backend_maintenance == 1"
            ),
            "a rule that does not leave maintenance out:{rule}"
        );
    }
}
