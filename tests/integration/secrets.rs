//! Secrets: a unique marker stored as every kind's secret (and under an unknown secret-looking
//! key written by hand) is kept in the backend file, and nowhere else: not in what `list`,
//! `show`, `--json`, `add`, `set`, `status` or `backend test` print, not in the logs, not in the
//! metadata. Files the binary creates are 0600, directories 0700. `env:NAME` references are not
//! secret and are shown as they are.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::{json, Value};

use crate::support::home::{random_hex, read_json, run, Run};

/// An address where nothing listens: probes fail at once.
const NOWHERE: &str = "http://127.0.0.1:9";

struct Marker {
    whole: String,
    /// The random part: no 8 characters of it in a row may show anywhere (the mask may show 3).
    random: String,
}

impl Marker {
    fn new() -> Marker {
        let random = random_hex(24);
        Marker {
            whole: format!("MARKER-{random}"),
            random,
        }
    }

    /// Where in `text` the marker, or a piece of it longer than a mask shows, appears.
    fn leak_in(&self, text: &str) -> Option<String> {
        if text.contains(&self.whole) {
            return Some(self.whole.clone());
        }
        let chars: Vec<char> = self.random.chars().collect();
        chars
            .windows(8)
            .map(|w| w.iter().collect::<String>())
            .find(|piece| text.contains(piece.as_str()))
    }

    fn assert_absent(&self, what: &str, text: &str) {
        if let Some(piece) = self.leak_in(text) {
            panic!("a secret leaked into {what}: {piece:?} in\n{text}");
        }
    }

    fn assert_not_printed(&self, what: &str, run: &Run) {
        self.assert_absent(&format!("the output of {what}"), &run.all());
    }
}

fn add(home: &Path, marker: &Marker, id: &str, kind: &str, sets: &[String]) {
    let mut args = vec!["backend", "add", id, "--type", kind];
    for set in sets {
        args.push("--set");
        args.push(set);
    }
    let result = run(home, &args).ok();
    marker.assert_not_printed(&format!("backend add {id}"), &result);
}

/// A home holding the marker in every kind's secret fields and in a hand-written `api_token`.
fn home_with_secrets(home: &Path, marker: &Marker) {
    let m = &marker.whole;
    add(
        home,
        marker,
        "s3m",
        "s3",
        &[
            format!("endpoint={NOWHERE}"),
            "bucket=media".into(),
            format!("access_key=AK{m}"),
            format!("secret_key={m}"),
            format!("admin_url={NOWHERE}"),
            format!("admin_token=T{m}"),
        ],
    );
    add(
        home,
        marker,
        "kubo",
        "ipfs",
        &[format!("api_url={NOWHERE}"), format!("auth=Bearer {m}")],
    );
    add(
        home,
        marker,
        "cluster",
        "ipfs_cluster",
        &[
            format!("api_url={NOWHERE}"),
            "user=admin".into(),
            format!("password={m}"),
        ],
    );
    add(
        home,
        marker,
        "hf",
        "huggingface",
        &[
            "repo_id=org/repo".into(),
            format!("endpoint={NOWHERE}"),
            format!("token=hf_{m}"),
        ],
    );
    add(
        home,
        marker,
        "lotus",
        "filecoin",
        &[format!("api_url={NOWHERE}"), format!("token={m}")],
    );
    add(
        home,
        marker,
        "rc",
        "rclone",
        &[
            format!("rc_url={NOWHERE}"),
            "remote=r:".into(),
            "user=u".into(),
            format!("password={m}"),
        ],
    );
    // An unknown key that looks like a secret, as another tool might write it.
    let path = home.join("backends/local.json");
    let mut doc = read_json(&path);
    doc["config"]["api_token"] = json!(format!("{m}-by-hand"));
    fs::write(&path, serde_json::to_string_pretty(&doc).expect("json")).expect("write");
}

#[test]
fn a_secret_never_leaves_its_backend_file() {
    let marker = Marker::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let home = &dir.path().join("home");
    home_with_secrets(home, &marker);
    let m = &marker.whole;

    // Changing a secret, and changing another field of a backend holding a hand-written one.
    for (id, set) in [
        ("s3m", format!("secret_key={m}-2")),
        ("kubo", format!("auth=Basic {m}")),
        ("local", "max_files=5".to_string()),
        ("cluster", "user=root".to_string()),
    ] {
        let result = run(home, &["backend", "set", id, &set]).ok();
        marker.assert_not_printed(&format!("backend set {id}"), &result);
    }

    let ids = ["s3m", "kubo", "cluster", "hf", "lotus", "rc", "local"];
    let mut outputs = vec![
        ("backend list", run(home, &["backend", "list"]).ok()),
        (
            "backend list --json",
            run(home, &["backend", "list", "--json"]).ok(),
        ),
    ];
    for id in ids {
        outputs.push(("backend show", run(home, &["backend", "show", id]).ok()));
        let shown = run(home, &["backend", "show", id, "--json"]).ok();
        let secrets = shown.json()["secrets_set"].clone();
        assert!(
            secrets.as_array().is_some_and(|s| !s.is_empty()),
            "{id}: show --json names the secrets it leaves out: {shown:#?}"
        );
        outputs.push(("backend show --json", shown));
        // Probes fail (nothing listens); whatever they report must not carry the secret.
        outputs.push((
            "backend test --json",
            run(home, &["backend", "test", id, "--json"]),
        ));
    }
    outputs.push(("status --json", run(home, &["status", "--json"])));
    outputs.push(("status", run(home, &["status"])));
    for (what, output) in &outputs {
        marker.assert_not_printed(what, output);
    }

    // Masked, not dropped: the text view says the secret is set.
    let shown = run(home, &["backend", "show", "s3m"]).ok();
    let secret_line = shown
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("secret_key"))
        .unwrap_or_else(|| panic!("secret_key is listed: {shown:#?}"));
    assert!(secret_line.contains("••••"), "{secret_line}");
    let shown = run(home, &["backend", "show", "local"]).ok();
    assert!(
        shown
            .stdout
            .lines()
            .any(|l| l.contains("api_token") && l.contains("••••")),
        "an unknown secret-looking key is masked: {shown:#?}"
    );
    let listed = run(home, &["backend", "list", "--json"]).ok().json();
    let local = listed["backends"]
        .as_array()
        .expect("backends")
        .iter()
        .find(|b| b["id"] == "local")
        .expect("local listed");
    assert_eq!(local["secrets_set"], json!(["api_token"]));
    assert!(local["config"].get("api_token").is_none());

    // The logs and the metadata never hold it; the backend files do (that is where it lives).
    let mut scanned = 0;
    for sub in ["logs", "metadata", "cache", "config"] {
        for entry in walkdir::WalkDir::new(home.join(sub)) {
            let entry = entry.expect("walk");
            if entry.file_type().is_file() {
                let bytes = fs::read(entry.path()).expect("read");
                marker.assert_absent(
                    &entry.path().display().to_string(),
                    &String::from_utf8_lossy(&bytes),
                );
                scanned += 1;
            }
        }
    }
    assert!(
        home.join("logs/ipfs-kit-tui.log").exists(),
        "the log was written (and scanned)"
    );
    assert!(scanned >= 3, "scanned {scanned} files");
    for (id, stored) in [
        ("s3m", format!("{m}-2")),
        ("kubo", format!("Basic {m}")),
        ("cluster", m.clone()),
        ("hf", format!("hf_{m}")),
        ("lotus", m.clone()),
        ("rc", m.clone()),
        ("local", format!("{m}-by-hand")),
    ] {
        let text = fs::read_to_string(home.join(format!("backends/{id}.json"))).expect("read");
        assert!(text.contains(&stored), "{id} keeps its secret: {text}");
    }
}

#[test]
fn files_are_0600_and_directories_0700() {
    let marker = Marker::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let home = &dir.path().join("home");
    home_with_secrets(home, &marker);
    // Rewrite the hand-edited file through the binary, write metadata, a log and a cleanup.
    run(home, &["backend", "set", "local", "max_files=5"]).ok();
    run(home, &["status", "--json"]);
    run(home, &["settings", "set", "refresh_secs", "3"]).ok();
    run(home, &["cleanup", "--days", "30"]).ok();
    run(home, &["backend", "remove", "lotus", "--yes"]).ok();

    let mut seen = (0, 0);
    let mut wrong = Vec::new();
    for entry in walkdir::WalkDir::new(home) {
        let entry = entry.expect("walk");
        let mode = entry.metadata().expect("metadata").permissions().mode() & 0o7777;
        let want = if entry.file_type().is_dir() {
            seen.0 += 1;
            0o700
        } else {
            seen.1 += 1;
            0o600
        };
        if mode != want {
            wrong.push(format!("{} is {mode:o}", entry.path().display()));
        }
    }
    assert!(wrong.is_empty(), "wrong modes: {wrong:#?}");
    assert!(seen.0 >= 6, "home and its five directories: {seen:?}");
    for file in [
        "config/main.json",
        "backends/s3m.json",
        "backends/local.json",
        "logs/ipfs-kit-tui.log",
    ] {
        assert!(home.join(file).is_file(), "{file} exists (and was checked)");
    }
    let metadata = fs::read_dir(home.join("metadata"))
        .expect("metadata dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".json"))
        })
        .count();
    assert!(metadata > 0, "status wrote metadata (and it was checked)");
}

#[test]
fn env_references_are_shown_as_they_are() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = &dir.path().join("home");
    run(
        home,
        &[
            "backend",
            "add",
            "s3env",
            "--type",
            "s3",
            "--set",
            &format!("endpoint={NOWHERE}"),
            "--set",
            "bucket=media",
            "--set",
            "access_key=env:IKT_TEST_ACCESS_KEY",
            "--set",
            "secret_key=env:IKT_TEST_SECRET_KEY",
        ],
    )
    .ok();
    run(
        home,
        &[
            "backend",
            "add",
            "kubo",
            "--type",
            "ipfs",
            "--set",
            "auth=env:IKT_TEST_AUTH",
        ],
    )
    .ok();

    let shown = run(home, &["backend", "show", "s3env"]).ok();
    for (field, reference) in [
        ("access_key", "env:IKT_TEST_ACCESS_KEY"),
        ("secret_key", "env:IKT_TEST_SECRET_KEY"),
    ] {
        let line = shown
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(field))
            .unwrap_or_else(|| panic!("{field} is listed: {shown:#?}"));
        assert!(line.contains(reference), "{line}");
    }
    let shown = run(home, &["backend", "show", "kubo"]).ok();
    assert!(shown.stdout.contains("env:IKT_TEST_AUTH"), "{shown:#?}");

    let stored = read_json(&home.join("backends/s3env.json"));
    assert_eq!(
        stored["config"]["secret_key"],
        json!("env:IKT_TEST_SECRET_KEY"),
        "the reference is stored, not resolved"
    );
    let shown: Value = run(home, &["backend", "show", "s3env", "--json"])
        .ok()
        .json();
    let secrets = shown["secrets_set"].as_array().expect("secrets_set");
    assert!(secrets.contains(&json!("access_key")) && secrets.contains(&json!("secret_key")));
}
