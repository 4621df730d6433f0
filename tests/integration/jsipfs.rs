//! The `ipfs` backend against a REAL, independent implementation of the Kubo RPC API: js-ipfs
//! 0.18.1 (npm `ipfs@0.66.1`), started offline on a fresh repo (tests/support/jsipfs.rs). Where
//! the `kubo` tests check the probe against answers we wrote, this checks it against answers we
//! did not: js-ipfs writes counts as strings, has no StorageMax limit (2^53-1), no peers.
//! Needs js-ipfs (scripts/test.sh installs it); fails, never skips, without it.

use std::path::Path;

use serde_json::{json, Value};

use crate::support::jsipfs::JsIpfs;
use crate::support::{backend, home_with_backend, run_cli};

const ID: &str = "jsipfs";

/// Three files of different shapes: a tiny one, one block, and one over the 256 KiB chunk size
/// (several blocks, so the object count is not just the pin count).
const FILES: [(&str, usize); 3] = [("tiny.txt", 11), ("page.bin", 20_000), ("big.bin", 300_000)];

/// A home whose only backend is the node.
fn home(node: &JsIpfs) -> tempfile::TempDir {
    home_with_backend(
        ID,
        json!({"type": "ipfs", "enabled": true, "api_url": node.url}),
    )
}

/// Adds `FILES` (distinct contents, so three distinct pins) and checks the node pinned them.
fn add_files(node: &JsIpfs) -> Vec<String> {
    let cids: Vec<String> = FILES
        .iter()
        .enumerate()
        .map(|(i, (name, size))| {
            let content: Vec<u8> = (0..*size).map(|j| (j * 31 + i * 7) as u8).collect();
            node.add(name, &content)
        })
        .collect();
    let mut pinned = node.recursive_pins();
    pinned.sort();
    let mut expected = cids.clone();
    expected.sort();
    assert_eq!(pinned, expected, "js-ipfs did not pin what was added");
    cids
}

/// `status --json`: the backend's entry.
fn status(home: &Path) -> Value {
    let (code, out, err) = run_cli(home, &["status", "--json"]);
    assert_eq!(code, 0, "status --json failed:\n{out}{err}");
    let report: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("status --json is not JSON ({e}):\n{out}{err}"));
    backend(&report, ID).clone()
}

#[test]
#[ignore = "needs js-ipfs (npm ipfs@0.66.1): run scripts/test.sh"]
fn status_reports_the_repo_of_a_js_ipfs_node() {
    let node = JsIpfs::start();
    add_files(&node);
    let home = home(&node);

    let before = node.repo_stat(true);
    let entry = status(home.path());
    // Right after the probe: the offline node has nothing else writing to its repo.
    let after = node.repo_stat(true);
    println!("repo/stat?size-only=true before {before:?}, after {after:?}");

    assert_eq!(
        entry["health"]["status"],
        "healthy",
        "{entry}\ndaemon log:\n{}",
        node.log()
    );
    assert_eq!(
        entry["storage"]["used"], after.repo_size,
        "storage.used is RepoSize (before the probe: {}): {entry}",
        before.repo_size
    );
    // StorageMax is the GC threshold, not a capacity; js-ipfs' 2^53-1 means "no limit".
    assert_eq!(after.storage_max, (1u64 << 53) - 1, "js-ipfs' default");
    assert_eq!(entry["storage"]["total"], Value::Null, "{entry}");
    assert_eq!(entry["quota"]["limit"], Value::Null, "{entry}");
    assert_eq!(entry["vital"]["version"], "0.18.1", "{entry}");
}

#[test]
#[ignore = "needs js-ipfs (npm ipfs@0.66.1): run scripts/test.sh"]
fn backend_test_passes_against_js_ipfs() {
    let node = JsIpfs::start();
    let home = home(&node);
    let (code, out, err) = run_cli(home.path(), &["backend", "test", ID, "--json"]);
    assert_eq!(code, 0, "backend test failed:\n{out}{err}");
    let report: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("backend test --json is not JSON ({e}):\n{out}{err}"));
    assert_eq!(report["ok"], true, "{report}");
}

#[test]
#[ignore = "needs js-ipfs (npm ipfs@0.66.1): run scripts/test.sh"]
fn inventory_counts_pins_and_objects_of_js_ipfs() {
    let node = JsIpfs::start();
    add_files(&node);
    let home = home(&node);

    let (code, out, err) = run_cli(home.path(), &["backend", "inventory", ID]);
    assert_eq!(code, 0, "backend inventory failed:\n{out}{err}");

    let entry = status(home.path());
    let stat = node.repo_stat(false);
    println!("repo/stat {stat:?}");
    assert_eq!(entry["vital"]["pins"], FILES.len(), "{entry}");
    // The repo's object count (NumObjects: every block), not the pin count.
    assert!(stat.num_objects > FILES.len() as u64, "{stat:?}");
    assert_eq!(entry["files"]["count"], stat.num_objects, "{entry}");
    assert!(!entry["files"]["as_of"].is_null(), "{entry}");
}
