//! The `local` probe on a real directory tree with known sizes. The pulse is one stat and one
//! statvfs (no walk); the walk is the inventory, `max_files` files per run, each run going on
//! after the last path the previous one counted.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ipfs_kit_tui::backends::Kind;
use ipfs_kit_tui::poll;
use ipfs_kit_tui::probe::{Budget, ProbeContext};
use ipfs_kit_tui::stats::{Files, InventoryRecord, InventoryState};
use ipfs_kit_tui::store::Store;
use serde_json::{json, Map, Value};

use crate::support;

fn config(path: &Path, max_files: u64) -> Map<String, Value> {
    json!({"type": "local", "enabled": true, "path": path, "max_files": max_files})
        .as_object()
        .unwrap()
        .clone()
}

fn ctx() -> ProbeContext {
    ProbeContext::new(Duration::from_secs(5)).unwrap()
}

/// A fresh directory, in /dev/shm when there is one: a filesystem the compiler and other tests
/// leave alone.
fn scratch_dir() -> tempfile::TempDir {
    if Path::new("/dev/shm").is_dir() {
        tempfile::Builder::new()
            .prefix("ipfs-kit-local")
            .tempdir_in("/dev/shm")
            .unwrap()
    } else {
        tempfile::tempdir().unwrap()
    }
}

/// The tree, and the file outside it that its symlink points to (kept alive with it).
fn tree() -> (tempfile::TempDir, tempfile::NamedTempFile) {
    let dir = scratch_dir();
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

/// A tree of `dirs` × `subdirs` × `files` files in nested directories (names sort in the order
/// they are made, as the walk goes). Returns the tree and each file's size, in walk order.
fn big_tree(dirs: usize, subdirs: usize, files: usize) -> (tempfile::TempDir, Vec<u64>) {
    let dir = scratch_dir();
    let mut sizes = Vec::with_capacity(dirs * subdirs * files);
    for d in 0..dirs {
        for s in 0..subdirs {
            let sub: PathBuf = dir.path().join(format!("d{d:02}/s{s:02}"));
            std::fs::create_dir_all(&sub).unwrap();
            for f in 0..files {
                let n = sizes.len();
                // One file far bigger than the rest, early in the walk: the largest must be
                // carried from the first run to the last.
                let size = if n == 7 { 65_536 } else { (n % 13) as u64 + 1 };
                std::fs::write(sub.join(format!("f{f:04}")), vec![0u8; size as usize]).unwrap();
                sizes.push(size);
            }
        }
    }
    (dir, sizes)
}

/// The files figures of the first `n` files of a walk.
fn first(sizes: &[u64], n: usize) -> (u64, u64, u64) {
    let counted = &sizes[..n];
    (
        n as u64,
        counted.iter().sum(),
        counted.iter().copied().max().unwrap(),
    )
}

fn figures_of(files: &Files) -> (u64, u64, u64) {
    (
        files.count.expect("count"),
        files.bytes.expect("bytes"),
        files.largest.expect("largest"),
    )
}

/// A home whose only backend is `tree` (a local directory with `max_files`), and its store.
fn home(path: &Path, max_files: u64) -> (tempfile::TempDir, Store) {
    let home = support::home_with_backend("tree", Value::Object(config(path, max_files)));
    let store = Store::open(home.path()).unwrap().0;
    (home, store)
}

/// One inventory run of `tree`, as `backend inventory tree` runs it.
async fn run_inventory(store: &Store) -> InventoryRecord {
    let backend = store.get_backend("tree").unwrap();
    poll::run_inventory(store, &ctx(), &backend).await.unwrap()
}

fn outcome(record: &InventoryRecord) -> InventoryState {
    record.last_run.as_ref().expect("a run").outcome
}

#[tokio::test]
async fn exact_counts_and_statvfs() {
    let (dir, _outside) = tree();
    let ctx = ctx();
    let measured = support::measure_all(&ctx, Kind::Local, &config(dir.path(), 1000))
        .await
        .unwrap();
    assert!(measured.failed.is_empty(), "{:?}", measured.failed);
    assert_eq!(measured.files.count, Some(3));
    assert_eq!(measured.files.bytes, Some(72_010));
    assert_eq!(measured.files.largest, Some(70_000));
    assert!(!measured.files.partial);

    // Other processes write to the same filesystem: compare only a round in which the
    // filesystem held still (same statvfs before and after the pulse).
    let capacity = |path: &Path| {
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
        let again = poll::pulse(&ctx, Kind::Local.spec(), &config(dir.path(), 1000))
            .await
            .unwrap();
        if before == capacity(dir.path()) {
            assert_eq!(again.storage.total, Some(before.0));
            assert_eq!(again.storage.used, Some(before.1));
            assert_eq!(again.storage.available, Some(before.2));
            // Fullness as `df` prints it: a whole percent, rounded up, of used + available.
            let df = std::process::Command::new("df")
                .args(["--output=pcent", "-B1"])
                .arg(dir.path())
                .output()
                .expect("df (coreutils)");
            let text = String::from_utf8_lossy(&df.stdout);
            let df_percent: f64 = text
                .lines()
                .nth(1)
                .and_then(|l| l.trim().trim_end_matches('%').parse().ok())
                .unwrap_or_else(|| panic!("df said: {text}"));
            let ours = again.storage.usage_percent.expect("a percent");
            if before == capacity(dir.path()) {
                assert!(
                    ours <= df_percent && df_percent - ours < 1.0,
                    "ours {ours}% against df's {df_percent}% ({before:?})"
                );
                compared = true;
                break;
            }
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
    let measured = support::measure_all(&ctx(), Kind::Local, &config(dir.path(), 2))
        .await
        .unwrap();
    assert_eq!(measured.files.count, Some(2));
    assert!(measured.files.partial);
    let json = serde_json::to_value(&measured.files).unwrap();
    assert_eq!(json["partial"], true);
}

#[tokio::test]
async fn a_tree_of_exactly_max_files_is_complete() {
    // The old off-by-one: the walk stopped at the limit on the last file and called the count
    // partial although nothing was left to count.
    let (dir, _outside) = tree();
    let budget = Budget::new(Duration::from_secs(60), 100);
    let run = Kind::Local
        .spec()
        .inventory(&ctx(), &config(dir.path(), 3), None, &budget)
        .await
        .unwrap();
    assert_eq!(run.figures.files.count, Some(3));
    assert_eq!(run.figures.files.bytes, Some(72_010));
    assert!(
        run.resume.is_none(),
        "the walk finished: nothing to resume ({:?})",
        run.resume
    );
    assert!(run.complete, "3 files, max_files 3: the count is complete");
    assert!(!run.figures.files.partial);
}

#[tokio::test]
async fn the_pulse_does_not_walk() {
    let (dir, sizes) = big_tree(20, 1, 1000);
    assert_eq!(sizes.len(), 20_000);
    let m = poll::pulse(&ctx(), Kind::Local.spec(), &config(dir.path(), 100_000))
        .await
        .unwrap();
    assert!(m.failed.is_empty(), "{:?}", m.failed);
    assert_eq!(m.files, Files::default(), "files are the inventory's");
    let mut keys: Vec<&str> = m.vital.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["inodes", "inodes_free", "read_only"],
        "no walk figure"
    );
    assert!(m.storage.total.is_some() && m.storage.available.is_some());
    // The inventory is what counts them.
    let budget = Budget::new(Duration::from_secs(60), 100);
    let run = Kind::Local
        .spec()
        .inventory(&ctx(), &config(dir.path(), 100_000), None, &budget)
        .await
        .unwrap();
    assert_eq!(run.figures.files.count, Some(20_000));
}

#[tokio::test]
async fn a_big_tree_is_counted_over_several_runs() {
    // 2,500 files in 50 directories, 1,000 a run: 1,000, then 2,000 (lower bounds), then all.
    let (dir, sizes) = big_tree(10, 5, 50);
    assert_eq!(sizes.len(), 2_500);
    let (home, store) = home(dir.path(), 1_000);

    let one = run_inventory(&store).await;
    assert_eq!(outcome(&one), InventoryState::Counting);
    assert!(one.counted.is_none());
    let (shown, _) = one.shown().unwrap();
    assert_eq!(figures_of(&shown.files), first(&sizes, 1_000));
    assert!(shown.files.partial, "a lower bound");
    let started = one.progress.as_ref().unwrap().started_at.clone();

    // What `status` shows meanwhile: the count so far, as a lower bound (no new run: a count
    // in progress goes on a minute after its last run).
    let (code, out, err) = support::run_cli(home.path(), &["status", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let entry = support::backend(&report, "tree");
    assert_eq!(entry["health"]["status"], "healthy", "{entry}");
    assert_eq!(entry["files"]["count"], 1_000, "{entry}");
    assert_eq!(entry["files"]["partial"], true, "{entry}");
    assert_eq!(entry["inventory"]["state"], "counting", "{entry}");
    assert_eq!(
        entry["inventory"]["as_of"],
        Value::Null,
        "nothing finished yet"
    );

    let two = run_inventory(&store).await;
    assert_eq!(outcome(&two), InventoryState::Counting);
    let (shown, _) = two.shown().unwrap();
    assert_eq!(figures_of(&shown.files), first(&sizes, 2_000));
    assert!(shown.files.partial, "a lower bound");
    assert_eq!(
        two.progress.as_ref().unwrap().started_at,
        started,
        "the same count, going on"
    );

    let three = run_inventory(&store).await;
    assert_eq!(outcome(&three), InventoryState::Complete);
    assert!(three.progress.is_none());
    let counted = three.counted.as_ref().unwrap();
    assert!(counted.complete);
    let (shown, _) = three.shown().unwrap();
    assert_eq!(figures_of(&shown.files), first(&sizes, 2_500));
    assert!(!shown.files.partial, "exact: {:?}", shown.files);
}

#[tokio::test]
async fn a_walk_that_ends_on_its_file_budget_is_complete() {
    // 3,000 files, 1,000 a run: the third run counts the last 1,000 and the walk is over. It
    // must end complete, not "counting" (nor partial) with nothing left to count.
    let (dir, sizes) = big_tree(10, 6, 50);
    assert_eq!(sizes.len(), 3_000);
    let (_home, store) = home(dir.path(), 1_000);
    for (run, expected) in [(1, 1_000), (2, 2_000)] {
        let record = run_inventory(&store).await;
        assert_eq!(outcome(&record), InventoryState::Counting, "run {run}");
        let (shown, _) = record.shown().unwrap();
        assert_eq!(
            figures_of(&shown.files),
            first(&sizes, expected),
            "run {run}"
        );
        assert!(shown.files.partial, "run {run}: a lower bound");
    }
    let three = run_inventory(&store).await;
    let (shown, _) = three.shown().unwrap();
    assert_eq!(figures_of(&shown.files), first(&sizes, 3_000));
    assert_eq!(
        outcome(&three),
        InventoryState::Complete,
        "the walk finished on run 3: {three:?}"
    );
    assert!(!shown.files.partial, "exact: {:?}", shown.files);
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
    assert_eq!(gone["files"]["count"], Value::Null);
    // No inventory runs against a backend that does not answer (it would only wait out its
    // budget): none is kept or shown.
    assert!(gone.get("inventory").is_none(), "{gone}");
    assert!(!home.path().join("metadata/inventory.gone.json").exists());
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
    let tree = &report["backends"][0];
    assert_eq!(tree["source"], "live");
    assert_eq!(tree["stale"], false);
    // The first status runs the inventory: the files figures carry its time.
    assert_eq!(tree["files"]["count"], 3);
    assert!(tree["files"]["as_of"].is_string(), "{tree}");
    assert_eq!(tree["files"]["as_of"], tree["inventory"]["as_of"]);
    assert_eq!(tree["inventory"]["state"], "complete");
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
