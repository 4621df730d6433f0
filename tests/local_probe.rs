//! The `local` probe on a real directory tree with known sizes.

mod support;

use std::time::Duration;

use ipfs_kit_tui::backends::Kind;
use ipfs_kit_tui::probe::{self, ProbeContext};
use serde_json::{json, Map, Value};

fn config(path: &std::path::Path, max_files: u64) -> Map<String, Value> {
    json!({"type": "local", "enabled": true, "path": path, "max_files": max_files})
        .as_object()
        .unwrap()
        .clone()
}

/// The tree, and the file outside it that its symlink points to (kept alive with it).
fn tree() -> (tempfile::TempDir, tempfile::NamedTempFile) {
    // /dev/shm when there is one: a filesystem the compiler and other tests leave alone.
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        tempfile::Builder::new()
            .prefix("ipfs-kit-local")
            .tempdir_in("/dev/shm")
            .unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let root = dir.path();
    std::fs::create_dir_all(root.join("a/b/c")).unwrap();
    std::fs::create_dir_all(root.join("empty")).unwrap();
    std::fs::write(root.join("top.txt"), vec![1u8; 10]).unwrap();
    std::fs::write(root.join("a/mid.bin"), vec![2u8; 2000]).unwrap();
    std::fs::write(root.join("a/b/c/deep.bin"), vec![3u8; 70_000]).unwrap();
    // A link to a big file elsewhere must not be followed or counted.
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), vec![0u8; 500_000]).unwrap();
    std::os::unix::fs::symlink(outside.path(), root.join("link")).unwrap();
    (dir, outside)
}

#[tokio::test]
async fn exact_counts_and_statvfs() {
    let (dir, _outside) = tree();
    let ctx = ProbeContext::new(Duration::from_secs(5)).unwrap();
    let measured = probe::measure(&ctx, Kind::Local, &config(dir.path(), 1000))
        .await
        .unwrap();
    assert_eq!(measured.files.count, Some(3));
    assert_eq!(measured.files.bytes, Some(72_010));
    assert_eq!(measured.files.largest, Some(70_000));
    assert!(!measured.files.partial);

    // Other processes write to the same filesystem: compare only a round in which the
    // filesystem held still (same statvfs before and after the probe).
    let capacity = |path: &std::path::Path| {
        let fs = nix::sys::statvfs::statvfs(path).unwrap();
        let unit = fs.fragment_size() as u64;
        let total = fs.blocks() as u64 * unit;
        (
            total,
            total - fs.blocks_free() as u64 * unit,
            fs.blocks_available() as u64 * unit,
        )
    };
    let mut compared = false;
    for _ in 0..20 {
        let before = capacity(dir.path());
        let again = probe::measure(&ctx, Kind::Local, &config(dir.path(), 1000))
            .await
            .unwrap();
        if before == capacity(dir.path()) {
            assert_eq!(again.storage.total, Some(before.0));
            assert_eq!(again.storage.used, Some(before.1));
            assert_eq!(again.storage.available, Some(before.2));
            compared = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(compared, "the filesystem never held still for one probe");
    assert!(measured.storage.usage_percent.is_some());
    assert!(
        measured.quota.limit.is_none(),
        "a directory has no quota: unknown, not 0"
    );
}

#[tokio::test]
async fn file_limit_gives_a_partial_count() {
    let (dir, _outside) = tree();
    let ctx = ProbeContext::new(Duration::from_secs(5)).unwrap();
    let measured = probe::measure(&ctx, Kind::Local, &config(dir.path(), 2))
        .await
        .unwrap();
    assert_eq!(measured.files.count, Some(2));
    assert!(measured.files.partial);
    let json = serde_json::to_value(&measured.files).unwrap();
    assert_eq!(json["partial"], true);
}

#[test]
fn missing_directory_is_down_with_the_reason() {
    let home = support::home_with_backend(
        "gone",
        json!({"type": "local", "enabled": true, "path": "/nonexistent/ipfs-kit-test"}),
    );
    let (code, out, err) = support::run_cli(home.path(), &["status", "--json", "--check"]);
    assert_eq!(code, 1, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let gone = &report["backends"][0];
    assert_eq!(gone["health"]["status"], "down");
    assert!(
        gone["health"]["message"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/ipfs-kit-test"),
        "{gone}"
    );
    assert_eq!(gone["storage"]["total"], Value::Null);
    let (code, out, _) = support::run_cli(home.path(), &["backend", "test", "gone"]);
    assert_eq!(code, 1);
    assert!(out.contains("✗ fail"), "{out}");
}

#[test]
fn status_writes_metadata_and_keeps_last_known_figures() {
    let (dir, _outside) = tree();
    let home = support::home_with_backend(
        "tree",
        json!({"type": "local", "enabled": true, "path": dir.path()}),
    );
    let (code, out, err) = support::run_cli(home.path(), &["status", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["backends"][0]["source"], "live");
    assert_eq!(report["backends"][0]["stale"], false);
    assert_eq!(report["backends"][0]["files"]["count"], 3);
    let stored: Value = serde_json::from_str(
        &std::fs::read_to_string(home.path().join("metadata/stats.tree.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(stored["value"]["files"]["count"], 3);

    // The directory goes away: the figures stay, marked stale, with the reason.
    drop(dir);
    let (_, out, _) = support::run_cli(home.path(), &["status", "--json"]);
    let report: Value = serde_json::from_str(&out).unwrap();
    let tree = &report["backends"][0];
    assert_eq!(tree["health"]["status"], "down");
    assert_eq!(tree["stale"], true);
    assert_eq!(tree["source"], "metadata");
    assert_eq!(tree["files"]["count"], 3, "last-known figures kept: {tree}");
}

#[test]
fn disabled_backends_are_not_probed() {
    let home = support::home_with_backend(
        "off",
        json!({"type": "local", "enabled": false, "path": "/nonexistent"}),
    );
    let (code, out, _) = support::run_cli(home.path(), &["status", "--json", "--check"]);
    assert_eq!(code, 0, "a disabled backend is never 'down'");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["backends"][0]["health"]["status"], "disabled");
}
