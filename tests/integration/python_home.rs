//! A home written by Python exactly as the `ipfs_kit_py` library and its dashboard write it
//! (`tests/python_library/make_home.py`): ids outside our creation rule, a config without
//! `type`, kinds we do not probe, an incomplete demo config, `backends.json`, YAML backends
//! with a policy file.
//!
//! - Read-only commands leave every byte, inode, mode and mtime as they were, and create
//!   nothing.
//! - `status` keeps its figures in `metadata/` (that is what it is for) and touches nothing else.
//! - Every library backend is listed, can be switched off and on, and removed; kinds we do not
//!   probe are `unsupported` with the reason; the dashboard's files are shown read-only and are
//!   byte-identical at the end.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::home::{read_json, run};

const LIBRARY_IDS: [&str; 7] = [
    "_staging",
    "my backend",
    "café",
    "untyped",
    "filesystem_demo",
    "hf_demo",
    "lassie_demo",
];

/// Everything about one path that a write could change.
#[derive(Debug, PartialEq, Eq)]
struct Exact {
    inode: u64,
    mode: u32,
    modified_ns: i128,
    bytes: Option<Vec<u8>>,
}

fn exact_snapshot(root: &Path) -> BTreeMap<PathBuf, Exact> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|entry| entry.expect("walk the home"))
        .map(|entry| {
            let meta = entry.metadata().expect("metadata");
            let bytes = meta
                .is_file()
                .then(|| std::fs::read(entry.path()).expect("read"));
            (
                entry
                    .path()
                    .strip_prefix(root)
                    .expect("under root")
                    .to_path_buf(),
                Exact {
                    inode: meta.ino(),
                    mode: meta.mode(),
                    modified_ns: i128::from(meta.mtime()) * 1_000_000_000
                        + i128::from(meta.mtime_nsec()),
                    bytes,
                },
            )
        })
        .collect()
}

fn differences(
    before: &BTreeMap<PathBuf, Exact>,
    after: &BTreeMap<PathBuf, Exact>,
    only_under: Option<&[&str]>,
) -> Vec<String> {
    let watched = |path: &Path| {
        only_under.is_none_or(|dirs| {
            dirs.iter()
                .any(|d| path.starts_with(d) || path == Path::new(d))
        })
    };
    let mut changes = Vec::new();
    for (path, old) in before.iter().filter(|(p, _)| watched(p)) {
        match after.get(path) {
            None => changes.push(format!("removed {}", path.display())),
            Some(new) if new != old => changes.push(
                format!("changed {}: {old:?} -> {new:?}", path.display())
                    .chars()
                    .take(300)
                    .collect(),
            ),
            Some(_) => {}
        }
    }
    for path in after.keys().filter(|p| watched(p)) {
        if !before.contains_key(path) {
            changes.push(format!("added {}", path.display()));
        }
    }
    changes
}

/// A home written by the Python script. Fails (never skips) without python3.
fn python_home() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("ipfs_kit");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python_library/make_home.py");
    let status = Command::new("python3")
        .arg(&script)
        .arg(&home)
        .status()
        .expect("python3 is needed for this test (scripts/test.sh has it)");
    assert!(status.success(), "make_home.py failed");
    (dir, home)
}

#[test]
#[ignore = "needs python3 (run by scripts/test.sh)"]
fn read_only_commands_leave_a_python_home_exactly_as_it_was() {
    let (_dir, home) = python_home();
    let before = exact_snapshot(&home);
    let mut commands: Vec<Vec<&str>> = vec![
        vec!["backend", "list"],
        vec!["backend", "list", "--json"],
        vec!["settings", "get", "log_level"],
        vec!["backend", "kinds"],
        vec!["backend", "show", "local_fs"],
        vec!["backend", "show", "ipfs_dash", "--json"],
    ];
    for id in LIBRARY_IDS {
        commands.push(vec!["backend", "show", id]);
        commands.push(vec!["backend", "show", id, "--json"]);
    }
    for args in &commands {
        let out = run(&home, args);
        assert_eq!(out.code, Some(0), "{args:?}: {out:#?}");
    }
    let after = exact_snapshot(&home);
    let changes = differences(&before, &after, None);
    assert!(
        changes.is_empty(),
        "read-only commands changed the home: {changes:#?}"
    );

    // `status` keeps what it measured in metadata/ and cache/ (its job); the library's files,
    // the dashboard's and every existing metadata file stay exactly as they were.
    let status = run(&home, &["status", "--json"]);
    assert_eq!(status.code, Some(0), "{status:#?}");
    let after_status = exact_snapshot(&home);
    let changes = differences(
        &before,
        &after_status,
        Some(&[
            "config",
            "backends",
            "backends.json",
            "policies",
            "metadata/python_key.json",
        ]),
    );
    assert!(
        changes.is_empty(),
        "status changed the library's files: {changes:#?}"
    );

    let report = status.json();
    let health = |id: &str| -> (String, String) {
        let backend = report["backends"]
            .as_array()
            .expect("backends")
            .iter()
            .find(|b| b["id"] == id)
            .unwrap_or_else(|| panic!("{id} missing from status --json: {report:#}"));
        (
            backend["health"]["status"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            backend["health"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    let (status_of, reason) = health("filesystem_demo");
    assert_eq!(status_of, "unsupported");
    assert!(
        reason.contains("'filesystem'") && reason.contains("not polled"),
        "{reason}"
    );
    let (status_of, reason) = health("untyped");
    assert_eq!(status_of, "unsupported");
    assert!(reason.contains("no type"), "{reason}");
    let (status_of, reason) = health("lassie_demo");
    assert_eq!(status_of, "disabled");
    assert!(reason.contains("'lassie'"), "{reason}");
    for id in ["_staging", "my backend", "café"] {
        assert_eq!(health(id).0, "healthy", "{id}");
    }
}

#[test]
#[ignore = "needs python3 (run by scripts/test.sh)"]
fn library_backends_are_listed_switchable_and_removable_and_dashboard_files_untouched() {
    let (_dir, home) = python_home();
    let read_only_files = [
        "backends.json",
        "backends/local_fs.yaml",
        "backends/s3_demo.yaml",
        "policies/local_fs_policy.json",
    ];
    let original: Vec<Vec<u8>> = read_only_files
        .iter()
        .map(|f| std::fs::read(home.join(f)).expect("read"))
        .collect();

    let listing = run(&home, &["backend", "list", "--json"]).ok().json();
    let ids: Vec<&str> = listing["backends"]
        .as_array()
        .expect("backends")
        .iter()
        .filter_map(|b| b["id"].as_str())
        .collect();
    for id in LIBRARY_IDS {
        assert!(ids.contains(&id), "{id} not listed: {ids:?}");
    }
    assert!(
        listing["errors"].as_array().is_some_and(Vec::is_empty),
        "{listing:#}"
    );
    let read_only: Vec<(&str, &str)> = listing["read_only"]
        .as_array()
        .expect("read_only")
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap_or(""),
                b["source"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        read_only,
        [
            ("ipfs_dash", "backends.json"),
            ("local_fs", "YAML"),
            ("s3_demo", "YAML")
        ]
    );
    let listing_text = listing.to_string();
    assert!(
        !listing_text.contains("very-secret-demo"),
        "a nested secret leaked: {listing_text}"
    );
    let untyped = listing["backends"]
        .as_array()
        .and_then(|all| all.iter().find(|b| b["id"] == "untyped"))
        .expect("untyped");
    assert_eq!(untyped["type"], "unknown");
    assert_eq!(untyped["supported"], false);

    // Every one can be switched off and on again, under the id the library gave it.
    for id in LIBRARY_IDS {
        run(&home, &["backend", "set", id, "enabled=false"]).ok();
        let file = read_json(&home.join("backends").join(format!("{id}.json")));
        assert_eq!(file["config"]["enabled"], false, "{id}");
        let main = read_json(&home.join("config/main.json"));
        assert_eq!(main["backends"][id]["enabled"], false, "{id}: {main:#}");
        run(
            &home,
            &["backend", "set", id, "enabled=true", "poll_interval=120"],
        )
        .ok();
    }
    // A kind we do not probe keeps its own fields and their types.
    run(
        &home,
        &["backend", "set", "filesystem_demo", "path=/srv/other"],
    )
    .ok();
    let file = read_json(&home.join("backends/filesystem_demo.json"));
    assert_eq!(file["config"]["path"], "/srv/other");
    assert_eq!(file["config"]["type"], "filesystem");
    assert_eq!(file["config"]["poll_interval"], 120);
    let refused = run(
        &home,
        &["backend", "set", "filesystem_demo", "enabled=perhaps"],
    );
    assert_eq!(refused.code, Some(2), "{refused:#?}");
    assert!(refused.stderr.contains("enabled"), "{refused:#?}");
    // The untyped config stays untyped: nothing but the change asked for is written.
    let untyped = read_json(&home.join("backends/untyped.json"));
    assert!(untyped["config"].get("type").is_none(), "{untyped:#}");

    // The dashboard's backends are not ours to change, and say so.
    let refused = run(&home, &["backend", "set", "local_fs", "enabled=false"]);
    assert_eq!(refused.code, Some(2), "{refused:#?}");
    assert!(refused.stderr.contains("read-only"), "{refused:#?}");
    let refused = run(&home, &["backend", "remove", "s3_demo", "--yes"]);
    assert_eq!(refused.code, Some(2), "{refused:#?}");

    // And every library backend can be removed, index entry included.
    for id in LIBRARY_IDS {
        run(&home, &["backend", "remove", id, "--yes"]).ok();
        assert!(
            !home.join("backends").join(format!("{id}.json")).exists(),
            "{id}"
        );
    }
    let main = read_json(&home.join("config/main.json"));
    assert_eq!(
        main["backends"],
        Value::Object(Default::default()),
        "{main:#}"
    );
    assert_eq!(main["global_settings"]["python_only"]["nested"][0], "café");
    let text = std::fs::read_to_string(home.join("config/main.json")).expect("read");
    assert!(
        text.is_ascii(),
        "main.json must stay ASCII as json.dump writes it: {text}"
    );

    for (file, bytes) in read_only_files.iter().zip(&original) {
        assert_eq!(
            &std::fs::read(home.join(file)).expect("read"),
            bytes,
            "{file} changed"
        );
    }
}
