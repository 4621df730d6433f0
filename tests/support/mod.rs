//! What the tests share. Here: running the binary on a home; the golden files' shapes. Beside
//! it: `fixture` (the in-repo fixture HTTP server for backends that cannot run here — Kubo, IPFS
//! Cluster, Hugging Face, Lotus — and for fault injection), `backends` (what each kind of
//! fixture backend answers, shared with the bench fixtures of `examples/fixture_backends.rs`),
//! `home` (a home snapshotted byte for byte), `prometheus` (real exporters and a real
//! Prometheus), `jsipfs` (a real js-ipfs node).
//!
//! The integration binary (`tests/integration`) uses all of it, and is where unused support
//! code is found; a test binary of its own that uses a part declares it (or the one file it
//! uses) `pub mod`.

pub mod backends;
pub mod fixture;
pub mod home;
pub mod jsipfs;
pub mod prometheus;

pub use fixture::{Fixture, Reply, Request};

use std::net::TcpListener;
use std::time::Duration;

/// A fresh home with `config` as its only backend (`id`), for tests that run the binary.
pub fn home_with_backend(id: &str, config: serde_json::Value) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = ipfs_kit_tui::store::Store::open(dir.path())
        .expect("open store")
        .0;
    let map = config.as_object().expect("config object").clone();
    store.create_backend(id, map).expect("create backend");
    dir
}

/// A free loopback port (bound, read, released: a race with another process is possible but
/// harmless in practice on a test machine).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Runs the real binary with `--home`; returns (exit code, stdout, stderr).
pub fn run_cli(home: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(home::BIN)
        .arg("--home")
        .arg(home)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run ipfs-kit-tui");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// One backend's entry in a `status --json` report.
pub fn backend<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["backends"]
        .as_array()
        .expect("backends array")
        .iter()
        .find(|b| b["id"] == id)
        .unwrap_or_else(|| panic!("no backend '{id}' in {report}"))
}

/// A probe context whose calls time out after `secs`.
pub fn probe_ctx(secs: u64) -> ipfs_kit_tui::probe::ProbeContext {
    ipfs_kit_tui::probe::ProbeContext::new(Duration::from_secs(secs)).expect("a probe context")
}

/// A home whose only backend is `id`, with the global `timeout_secs` set.
pub fn home_with_timeout(
    id: &str,
    config: serde_json::Value,
    timeout_secs: u64,
) -> tempfile::TempDir {
    let home = home_with_backend(id, config);
    let (code, out, err) = run_cli(
        home.path(),
        &["settings", "set", "timeout_secs", &timeout_secs.to_string()],
    );
    assert_eq!(code, 0, "{out}{err}");
    home
}

/// Runs `status --json`; returns backend `id`'s entry, stdout, stderr and the time it took.
pub fn status_of(
    home: &std::path::Path,
    id: &str,
) -> (serde_json::Value, String, String, Duration) {
    let started = std::time::Instant::now();
    let (code, out, err) = run_cli(home, &["status", "--json"]);
    let elapsed = started.elapsed();
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("status --json is JSON");
    (backend(&report, id).clone(), out, err, elapsed)
}

/// The error of the failed call `call` in a measurement that otherwise succeeded.
pub fn failed_call(
    m: &ipfs_kit_tui::stats::Measurement,
    call: &str,
) -> ipfs_kit_tui::probe::ProbeError {
    m.failed
        .iter()
        .find(|f| f.call == call)
        .unwrap_or_else(|| panic!("no failed call '{call}' in {:?}", m.failed))
        .error
        .clone()
}

/// Everything a backend reports, as the console shows it after an inventory: one pulse (under
/// the one rule for "down"), then one inventory run with a generous budget, its figures filling
/// what the pulse does not report. The inventory's failed calls join the pulse's.
pub async fn measure_all(
    ctx: &ipfs_kit_tui::probe::ProbeContext,
    kind: ipfs_kit_tui::backends::Kind,
    config: &serde_json::Map<String, serde_json::Value>,
) -> Result<ipfs_kit_tui::stats::Measurement, ipfs_kit_tui::probe::ProbeError> {
    let spec = kind.spec();
    let mut pulse = ipfs_kit_tui::poll::pulse(ctx, spec, config).await?;
    if spec.has_inventory() {
        let budget = ipfs_kit_tui::probe::Budget::new(Duration::from_secs(60), 100_000);
        let run = spec.inventory(ctx, config, None, &budget).await?;
        fill_missing(&mut pulse, run.figures);
        pulse.failed.extend(run.failed);
    }
    Ok(pulse)
}

/// Fills each figure the pulse left unknown with the inventory's.
fn fill_missing(pulse: &mut ipfs_kit_tui::stats::Measurement, inv: ipfs_kit_tui::stats::Figures) {
    fn fill<T: serde::Serialize + serde::de::DeserializeOwned>(live: &mut T, counted: &T) {
        let (Ok(serde_json::Value::Object(mut a)), Ok(serde_json::Value::Object(b))) =
            (serde_json::to_value(&*live), serde_json::to_value(counted))
        else {
            return;
        };
        for (key, value) in b {
            let known = a.get(&key).is_some_and(|v| !v.is_null() && *v != false);
            if !known {
                a.insert(key, value);
            }
        }
        if let Ok(merged) = serde_json::from_value(serde_json::Value::Object(a)) {
            *live = merged;
        }
    }
    fill(&mut pulse.storage, &inv.storage);
    fill(&mut pulse.files, &inv.files);
    fill(&mut pulse.quota, &inv.quota);
    for (key, value) in inv.vital {
        pulse.vital.entry(key).or_insert(value);
    }
}

/// Of two `status --json` entries for one backend, healthy then with one auxiliary call failing:
/// the second is degraded with exactly `message`; the figures `call` feeds (`groups`,
/// `vital` keys) keep the first run's values with the first run's time; every other figure is
/// live (or, for inventory figures, as of the same inventory as before).
pub fn assert_only_fed_figures_kept(
    first: &serde_json::Value,
    second: &serde_json::Value,
    message: &str,
    groups: &[&str],
    vital: &[&str],
) {
    assert_eq!(second["health"]["status"], "degraded", "{second}");
    assert_eq!(second["health"]["message"], message);
    assert_eq!(second["stale"], false);
    assert_eq!(second["source"], "live");
    let first_at = first["updated_at"].as_str().unwrap();
    assert_ne!(
        second["updated_at"].as_str().unwrap(),
        first_at,
        "a new poll"
    );
    // The same figures as before: the live ones because the backend answers the same, the
    // kept ones because they were kept.
    assert_eq!(second["vital"], first["vital"], "{second}");
    for group in ["storage", "files", "quota"] {
        let mut without_time = second[group].clone();
        let time = without_time
            .as_object_mut()
            .unwrap()
            .remove("as_of")
            .unwrap_or(serde_json::Value::Null);
        let mut before = first[group].clone();
        let before_time = before
            .as_object_mut()
            .unwrap()
            .remove("as_of")
            .unwrap_or(serde_json::Value::Null);
        assert_eq!(without_time, before, "{group}");
        let expected = if groups.contains(&group) {
            serde_json::json!(first_at)
        } else {
            before_time
        };
        assert_eq!(time, expected, "{group}.as_of: {second}");
    }
    let mut expected_times = first["vital_as_of"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for key in vital {
        assert!(!first["vital"][*key].is_null(), "{key} was known: {first}");
        expected_times.insert(key.to_string(), serde_json::json!(first_at));
    }
    assert_eq!(
        second["vital_as_of"],
        serde_json::Value::Object(expected_times),
        "{second}"
    );
}

/// A recorded answer of a real server, `tests/golden/NAME.json` (scripts/record-golden.sh).
pub fn golden(name: &str) -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (scripts/record-golden.sh writes it)",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Where two JSON answers differ in shape: keys present on one side only, and values of
/// different JSON types. A `null` matches anything (Go writes `null` for an empty list), an
/// empty array any array, and an array's shape is its first element's.
pub fn shape_differences(real: &serde_json::Value, ours: &serde_json::Value) -> Vec<String> {
    fn kind(value: &serde_json::Value) -> &'static str {
        match value {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "boolean",
            serde_json::Value::Number(_) => "number",
            serde_json::Value::String(_) => "string",
            serde_json::Value::Array(_) => "array",
            serde_json::Value::Object(_) => "object",
        }
    }
    fn walk(real: &serde_json::Value, ours: &serde_json::Value, path: &str, out: &mut Vec<String>) {
        use serde_json::Value;
        match (real, ours) {
            (Value::Null, _) | (_, Value::Null) => {}
            // A map keyed by peer IDs or CIDs (Cluster's peer_map): its values' shape.
            (Value::Object(a), Value::Object(b))
                if a.keys().chain(b.keys()).all(|k| looks_like_an_id(k)) =>
            {
                if let (Some(x), Some(y)) = (a.values().next(), b.values().next()) {
                    walk(x, y, &format!("{path}.<id>"), out);
                }
            }
            (Value::Object(a), Value::Object(b)) => {
                for (key, value) in a {
                    match b.get(key) {
                        Some(other) => walk(value, other, &format!("{path}.{key}"), out),
                        None => out.push(format!("{path}.{key}: only in the real answer")),
                    }
                }
                for key in b.keys().filter(|k| !a.contains_key(*k)) {
                    out.push(format!("{path}.{key}: only in ours"));
                }
            }
            (Value::Array(a), Value::Array(b)) => {
                if let (Some(x), Some(y)) = (a.first(), b.first()) {
                    walk(x, y, &format!("{path}[]"), out);
                }
            }
            (a, b) if kind(a) != kind(b) => out.push(format!(
                "{path}: {} in the real answer, {} in ours",
                kind(a),
                kind(b)
            )),
            _ => {}
        }
    }
    fn looks_like_an_id(key: &str) -> bool {
        key.len() >= 32 && key.chars().all(|c| c.is_ascii_alphanumeric())
    }
    let mut out = Vec::new();
    walk(real, ours, "", &mut out);
    out
}

/// The element paths of an XML document (`ListBucketResult/Contents/Key`, ...), each once: the
/// shape of an S3 answer. Declarations, comments and attributes are left out.
pub fn xml_paths(xml: &str) -> std::collections::BTreeSet<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut paths = std::collections::BTreeSet::new();
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        let Some(end) = rest[start..].find('>') else {
            break;
        };
        let tag = &rest[start + 1..start + end];
        rest = &rest[start + end + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            if stack.last().map(String::as_str) == Some(name.trim()) {
                stack.pop();
            }
            continue;
        }
        let name = tag
            .trim_end_matches('/')
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string();
        stack.push(name);
        paths.insert(stack.join("/"));
        if tag.ends_with('/') {
            stack.pop();
        }
    }
    paths
}

/// Where two XML answers differ in shape: element paths present on one side only.
pub fn xml_differences(real: &str, ours: &str) -> Vec<String> {
    let (real, ours) = (xml_paths(real), xml_paths(ours));
    real.difference(&ours)
        .map(|p| format!("{p}: only in the real answer"))
        .chain(ours.difference(&real).map(|p| format!("{p}: only in ours")))
        .collect()
}
