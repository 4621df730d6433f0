//! `export` and `import`, through the real binary:
//!
//! - exported with `--include-secrets` (a 0600 file) and imported into an empty home, every
//!   backend file comes back byte for byte and `global_settings` as it was, unknown keys too;
//! - without it, no secret is anywhere in the file nor in the restored home, the restore says
//!   which secrets to set, and the same backup imported back where it came from is identical;
//! - `--dry-run` writes nothing and prints add/change/keep; `--replace` decides what differs;
//! - a backup that is cut short, newer, or holds a bad field or setting is refused (exit 2)
//!   with the problem named, and the home is left exactly as it was (not even created);
//! - a home written as the Python library writes it round-trips.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::support;
use crate::support::home::{diff, random_hex, read_json, snapshot};
use crate::support::run_cli;

/// Runs the binary and insists on success; returns (stdout, stderr).
fn ok(home: &Path, args: &[&str]) -> (String, String) {
    let (code, stdout, stderr) = run_cli(home, args);
    assert_eq!(
        code, 0,
        "{args:?} failed:\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    (stdout, stderr)
}

/// Writes a JSON file as the store writes it (indented, ASCII escapes).
fn write_store_json(path: &Path, value: &Value) {
    let bytes = ipfs_kit_tui::store::fsio::to_json_bytes(value).unwrap();
    fs::write(path, bytes).unwrap();
}

/// JSON with its keys in their order, for comparisons that care about order.
fn ordered(value: &Value) -> String {
    serde_json::to_string(value).unwrap()
}

/// The secrets stored in the source home: each one a unique marker.
struct Secrets {
    access_key: String,
    secret_key: String,
    auth_token: String,
    hf_token: String,
    legacy: String,
}

impl Secrets {
    fn new() -> Secrets {
        let marker = || format!("MARKER{}", random_hex(24));
        Secrets {
            access_key: marker(),
            secret_key: marker(),
            auth_token: marker(),
            hf_token: marker(),
            legacy: marker(),
        }
    }

    fn all(&self) -> [&str; 5] {
        [
            &self.access_key,
            &self.secret_key,
            &self.auth_token,
            &self.hf_token,
            &self.legacy,
        ]
    }

    fn assert_none_in(&self, what: &str, text: &str) {
        for secret in self.all() {
            assert!(!text.contains(secret), "a secret is in {what}:\n{text}");
        }
    }
}

/// A home made with the binary: the first-run `local`, a local, an s3 with its four secrets
/// (one of them an `env:` reference), an ipfs with an auth header, a disabled Hugging Face repo
/// with a token; settings changed; unknown keys added by hand (a top-level key and nested
/// config in a backend file, a secret-looking unknown config key, an unknown setting).
fn source_home(root: &Path, secrets: &Secrets) -> PathBuf {
    let home = root.join("source");
    ok(
        &home,
        &[
            "backend",
            "add",
            "files",
            "--type",
            "local",
            "--set",
            "path=/tmp",
        ],
    );
    ok(
        &home,
        &[
            "backend",
            "add",
            "s3main",
            "--type",
            "s3",
            "--set",
            "endpoint=http://127.0.0.1:3900",
            "--set",
            "bucket=media",
            "--set",
            &format!("access_key={}", secrets.access_key),
            "--set",
            &format!("secret_key={}", secrets.secret_key),
            "--set",
            "admin_url=http://127.0.0.1:3903",
            "--set",
            "admin_token=env:GARAGE_ADMIN_TOKEN",
        ],
    );
    ok(
        &home,
        &[
            "backend",
            "add",
            "kubo",
            "--type",
            "ipfs",
            "--set",
            &format!("auth=Bearer {}", secrets.auth_token),
        ],
    );
    ok(
        &home,
        &[
            "backend",
            "add",
            "hub",
            "--type",
            "huggingface",
            "--set",
            "repo_id=owner/name",
            "--set",
            &format!("token={}", secrets.hf_token),
            "--disabled",
        ],
    );
    ok(&home, &["settings", "set", "refresh_secs", "7"]);
    ok(&home, &["settings", "set", "log_level", "debug"]);
    let kubo = home.join("backends/kubo.json");
    let mut doc = read_json(&kubo);
    doc["note"] = json!("caf\u{e9} \u{2603}");
    doc["config"]["python_extra"] = json!({"nested": [1, {"x": null}], "flag": true});
    doc["config"]["legacy_api_token"] = json!(secrets.legacy);
    write_store_json(&kubo, &doc);
    let main = home.join("config/main.json");
    let mut doc = read_json(&main);
    doc["global_settings"]["python_only"] = json!({"nested": ["caf\u{e9}", 1]});
    write_store_json(&main, &doc);
    home
}

/// `backends/*.json` of a home: file name → bytes.
fn backend_files(home: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = fs::read_dir(home.join("backends"))
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".json"))
        .map(|entry| {
            (
                entry.file_name().to_string_lossy().into_owned(),
                fs::read(entry.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn global_settings(home: &Path) -> Value {
    read_json(&home.join("config/main.json"))["global_settings"].clone()
}

/// Every file under `home`, as text, for "never anywhere" checks.
fn all_text(home: &Path) -> String {
    snapshot(home)
        .into_values()
        .filter_map(|entry| match entry {
            support::home::Entry::File { bytes, .. } => {
                Some(String::from_utf8_lossy(&bytes).into_owned())
            }
            support::home::Entry::Dir { .. } => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn with_secrets_an_import_into_an_empty_home_gives_back_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets::new();
    let source = source_home(dir.path(), &secrets);
    let file = dir.path().join("backup.json");
    let (_, stderr) = ok(&source, &["export", path_str(&file), "--include-secrets"]);
    assert!(
        stderr.contains("exported 5 backends and 5 settings to"),
        "{stderr}"
    );
    let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a backup with secrets is its owner's only");
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let target = dir.path().join("restored");
    let (stdout, stderr) = ok(&target, &["import", path_str(&file)]);
    for id in ["files", "hub", "kubo", "local", "s3main"] {
        assert!(
            stdout.contains(&format!("add    backend {id}\n")),
            "{id}:\n{stdout}"
        );
    }
    assert!(!stderr.contains("warning"), "{stderr}");
    secrets.assert_none_in("the import's output", &format!("{stdout}{stderr}"));

    assert_eq!(
        backend_files(&target),
        backend_files(&source),
        "every backend file comes back byte for byte (no first-run backend, no new stamp)"
    );
    assert_eq!(
        ordered(&global_settings(&target)),
        ordered(&global_settings(&source))
    );
    assert_eq!(
        global_settings(&target)["python_only"],
        json!({"nested": ["caf\u{e9}", 1]})
    );
    let kubo = read_json(&target.join("backends/kubo.json"));
    assert_eq!(kubo["note"], json!("caf\u{e9} \u{2603}"));
    assert_eq!(
        kubo["config"]["python_extra"]["nested"][1],
        json!({"x": null})
    );
    // The index is in step: same kinds, same switches.
    let index = |home: &Path| {
        let main = read_json(&home.join("config/main.json"));
        main["backends"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(id, entry)| (id.clone(), entry["type"].clone(), entry["enabled"].clone()))
            .collect::<Vec<_>>()
    };
    let mut restored_index = index(&target);
    let mut source_index = index(&source);
    restored_index.sort_by(|a, b| a.0.cmp(&b.0));
    source_index.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(restored_index, source_index);
    // And the store reads it as the source: `backend list --json` says the same.
    let (list, _) = ok(&target, &["backend", "list", "--json"]);
    let (source_list, _) = ok(&source, &["backend", "list", "--json"]);
    assert_eq!(list, source_list);
}

#[test]
fn without_secrets_none_is_in_the_file_nor_in_the_restored_home() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets::new();
    let source = source_home(dir.path(), &secrets);
    let file = dir.path().join("backup.json");
    let (_, stderr) = ok(&source, &["export", path_str(&file)]);
    assert!(stderr.contains("(secrets left out: 5 fields)"), "{stderr}");
    let text = fs::read_to_string(&file).unwrap();
    secrets.assert_none_in("the backup", &text);
    let backup: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(backup["format"], json!("ipfs-kit-tui-backup"));
    assert_eq!(backup["version"], json!(1));
    assert_eq!(backup["include_secrets"], json!(false));
    assert_eq!(
        backup["secrets_left_out"]["s3main"],
        json!(["/config/access_key", "/config/secret_key"])
    );
    assert_eq!(
        backup["secrets_left_out"]["kubo"],
        json!(["/config/auth", "/config/legacy_api_token"])
    );
    assert_eq!(
        backup["backends"]["s3main"]["config"]["admin_token"],
        json!("env:GARAGE_ADMIN_TOKEN"),
        "a reference to an environment variable holds no secret and is kept"
    );

    let target = dir.path().join("restored");
    let (stdout, stderr) = ok(&target, &["import", path_str(&file)]);
    secrets.assert_none_in("the restored home", &all_text(&target));
    secrets.assert_none_in("the import's output", &format!("{stdout}{stderr}"));
    // Each missing secret with the masked form the screen shows, kept in the backup.
    let hint = |secret: &str| format!("••••{}", &secret[secret.len() - 3..]);
    assert_eq!(
        backup["secret_hints"]["s3main"],
        json!({"/config/access_key": hint(&secrets.access_key),
               "/config/secret_key": hint(&secrets.secret_key)})
    );
    assert!(
        stderr.contains(&format!(
            "warning: backend s3main has no value for access_key (was {}), secret_key (was {}) (left out of the backup): set them with: ipfs-kit-tui backend set s3main access_key=... secret_key=...",
            hint(&secrets.access_key),
            hint(&secrets.secret_key)
        )),
        "{stderr}"
    );
    // A dry run says the same.
    let (_, dry) = ok(
        &dir.path().join("elsewhere"),
        &["import", path_str(&file), "--dry-run"],
    );
    assert!(
        dry.contains(&format!("access_key (was {})", hint(&secrets.access_key))),
        "{dry}"
    );
    assert!(stderr.contains("backend set hub token=..."), "{stderr}");
    assert!(
        stderr.contains("backend set kubo auth=... legacy_api_token=..."),
        "{stderr}"
    );
    // Each restored backend is the source's, less its secrets, in the same order.
    for (id, left_out) in [
        ("s3main", vec!["access_key", "secret_key"]),
        ("kubo", vec!["auth", "legacy_api_token"]),
        ("hub", vec!["token"]),
        ("files", vec![]),
    ] {
        let mut expected = read_json(&source.join(format!("backends/{id}.json")));
        let config = expected["config"].as_object_mut().unwrap();
        for field in left_out {
            assert!(config.shift_remove(field).is_some(), "{id}.{field}");
        }
        let restored = read_json(&target.join(format!("backends/{id}.json")));
        assert_eq!(ordered(&restored), ordered(&expected), "{id}");
    }

    // Imported back where it came from, the backup is what is there: the secrets left out
    // are the ones this home has. Nothing is written, with or without --replace.
    let before = snapshot(&source);
    for args in [
        vec!["import", path_str(&file)],
        vec!["import", path_str(&file), "--replace"],
    ] {
        let (stdout, stderr) = ok(&source, &args);
        assert!(
            stdout.contains("keep   backend s3main (identical)"),
            "{stdout}"
        );
        assert!(!stdout.contains("change"), "{stdout}");
        assert!(stderr.contains("nothing to import"), "{stderr}");
        assert_eq!(diff(&before, &snapshot(&source)), Vec::<String>::new());
    }
}

/// The source home (`source_home`) and its export with secrets, as `backup.json` in `root`.
fn exported_with_secrets(root: &Path, secrets: &Secrets) -> (PathBuf, PathBuf) {
    let source = source_home(root, secrets);
    let file = root.join("backup.json");
    ok(&source, &["export", path_str(&file), "--include-secrets"]);
    (source, file)
}

/// A home the backup was restored into, then changed: `files` points elsewhere, `hub` is gone,
/// `refresh_secs` is 9.
fn changed_copy(dir: &Path, file: &Path) -> PathBuf {
    let target = dir.join("changed");
    ok(&target, &["import", path_str(file)]);
    ok(&target, &["backend", "set", "files", "path=/srv/other"]);
    ok(&target, &["backend", "remove", "hub", "--yes"]);
    ok(&target, &["settings", "set", "refresh_secs", "9"]);
    target
}

#[test]
fn a_dry_run_prints_the_plan_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets::new();
    let (_, file) = exported_with_secrets(dir.path(), &secrets);
    let target = changed_copy(dir.path(), &file);

    let before = snapshot(&target);
    let (stdout, stderr) = ok(&target, &["import", path_str(&file), "--dry-run"]);
    for line in [
        "keep   backend files (exists here; --replace to overwrite)",
        "add    backend hub",
        "keep   backend s3main (identical)",
        "keep   setting refresh_secs (exists here; --replace to overwrite)",
        "keep   setting log_level (identical)",
    ] {
        assert!(stdout.contains(line), "{line}:\n{stdout}");
    }
    assert!(
        stderr.contains("dry run: nothing was written (backends: 1 to add, 0 to change, 4 to keep; settings: 0 to add, 0 to change, 5 to keep)"),
        "{stderr}"
    );
    assert_eq!(diff(&before, &snapshot(&target)), Vec::<String>::new());

    let (stdout, _) = ok(
        &target,
        &["import", path_str(&file), "--dry-run", "--replace"],
    );
    assert!(
        stdout.contains("change backend files (fields: path)"),
        "{stdout}"
    );
    assert!(stdout.contains("change setting refresh_secs"), "{stdout}");
    assert_eq!(diff(&before, &snapshot(&target)), Vec::<String>::new());

    // A home that does not exist is not created by a dry run.
    let nowhere = dir.path().join("nowhere");
    let (stdout, _) = ok(&nowhere, &["import", path_str(&file), "--dry-run"]);
    assert!(stdout.contains("add    backend s3main"), "{stdout}");
    assert!(stdout.contains("add    setting python_only"), "{stdout}");
    assert!(!nowhere.exists());
}

#[test]
fn replace_decides_whether_what_differs_is_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets::new();
    let (source, file) = exported_with_secrets(dir.path(), &secrets);
    let target = changed_copy(dir.path(), &file);
    let files_before = fs::read(target.join("backends/files.json")).unwrap();

    let (stdout, stderr) = ok(&target, &["import", path_str(&file)]);
    assert!(stdout.contains("add    backend hub"), "{stdout}");
    assert!(
        stderr
            .contains("backends: 1 added, 0 changed, 4 kept; settings: 0 added, 0 changed, 5 kept"),
        "{stderr}"
    );
    assert_eq!(
        fs::read(target.join("backends/files.json")).unwrap(),
        files_before,
        "without --replace a backend that exists is kept as it is"
    );
    assert_eq!(
        fs::read(target.join("backends/hub.json")).unwrap(),
        fs::read(source.join("backends/hub.json")).unwrap()
    );
    assert_eq!(global_settings(&target)["refresh_secs"], json!(9));

    let (stdout, _) = ok(&target, &["import", path_str(&file), "--replace"]);
    assert!(
        stdout.contains("change backend files (fields: path)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("keep   backend hub (identical)"),
        "{stdout}"
    );
    assert_eq!(backend_files(&target), backend_files(&source));
    assert_eq!(global_settings(&target)["refresh_secs"], json!(7));
    let index = read_json(&target.join("config/main.json"));
    assert_eq!(index["backends"]["hub"]["enabled"], json!(false));
}

#[test]
fn a_bad_backup_is_refused_whole_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets::new();
    let (_, file) = exported_with_secrets(dir.path(), &secrets);
    let text = fs::read_to_string(&file).unwrap();
    let good: Value = serde_json::from_str(&text).unwrap();
    let target = changed_copy(dir.path(), &file);

    let edited = |change: &dyn Fn(&mut Value)| {
        let mut doc = good.clone();
        change(&mut doc);
        serde_json::to_string_pretty(&doc).unwrap()
    };
    let cases: Vec<(&str, String, Vec<String>)> = vec![
        (
            "cut.json",
            text[..text.len() / 2].to_string(),
            vec!["cut.json is not valid JSON".into(), "line".into()],
        ),
        (
            "newer.json",
            edited(&|doc| {
                doc["version"] = json!(2);
                doc["backends"] = json!("shaped differently");
            }),
            vec!["newer.json was written by a newer ipfs-kit-tui (format version 2; this one reads up to 1)".into()],
        ),
        (
            "field.json",
            edited(&|doc| doc["backends"]["s3main"]["config"]["endpoint"] = json!("ftp://x")),
            vec![
                "field.json: 1 problem; nothing was written".into(),
                "backend 's3main': field 'endpoint'".into(),
            ],
        ),
        (
            "setting.json",
            edited(&|doc| doc["global_settings"]["refresh_secs"] = json!(0)),
            vec!["setting 'refresh_secs': 0 is out of range 1..=86400".into()],
        ),
        (
            "both.json",
            edited(&|doc| {
                doc["global_settings"]["log_level"] = json!("LOUD");
                doc["backends"]["hub"]["config"]["repo_type"] = json!("album");
                doc["backends"]["new/one"] = json!({"config": {"type": "local", "path": "/x"}});
            }),
            vec![
                "3 problems".into(),
                "setting 'log_level'".into(),
                "backend 'hub': field 'repo_type'".into(),
                "must not contain '/'".into(),
            ],
        ),
        (
            "other.json",
            r#"{"hello": "world"}"#.to_string(),
            vec!["other.json is not an ipfs-kit-tui backup".into()],
        ),
    ];
    let before = snapshot(&target);
    for (name, content, expected) in &cases {
        let path = dir.path().join(name);
        fs::write(&path, content).unwrap();
        for args in [
            vec!["import", path_str(&path)],
            vec!["import", path_str(&path), "--replace"],
            vec!["import", path_str(&path), "--dry-run"],
        ] {
            let (code, stdout, stderr) = run_cli(&target, &args);
            assert_eq!(code, 2, "{args:?}: {stdout}{stderr}");
            assert!(stdout.is_empty(), "no plan for a bad backup: {stdout}");
            for part in expected {
                assert!(stderr.contains(part.as_str()), "{name}: {part}:\n{stderr}");
            }
            assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
            assert_eq!(
                diff(&before, &snapshot(&target)),
                Vec::<String>::new(),
                "{name}"
            );
        }
        let nowhere = dir.path().join("nowhere");
        let (code, _, _) = run_cli(&nowhere, &["import", path_str(&path)]);
        assert_eq!(code, 2);
        assert!(
            !nowhere.exists(),
            "{name}: a refused import creates no home"
        );
    }
    let (code, _, stderr) = run_cli(&target, &["import", "/nonexistent/backup.json"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("cannot read /nonexistent/backup.json"),
        "{stderr}"
    );
    assert_eq!(diff(&before, &snapshot(&target)), Vec::<String>::new());
}

/// Writes `value` as the Python library does: `json.dump(obj, f, indent=2)` (ASCII escapes,
/// no newline at the end).
fn write_python_json(path: &Path, value: &Value) {
    let mut bytes = ipfs_kit_tui::store::fsio::to_json_bytes(value).unwrap();
    bytes.pop();
    fs::write(path, bytes).unwrap();
}

#[test]
fn a_home_written_by_the_python_library_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("python");
    fs::create_dir_all(home.join("config")).unwrap();
    fs::create_dir_all(home.join("backends")).unwrap();
    let secret = format!("MARKER{}", random_hex(24));
    let configs: Vec<(&str, Value)> = vec![
        ("my backend", json!({"type": "local", "path": "/tmp"})),
        (
            "caf\u{e9}",
            json!({"type": "local", "path": "/tmp", "note": "\u{2603} snow"}),
        ),
        ("untyped", json!({"path": "/srv/data"})),
        ("hf_demo", json!({"type": "huggingface", "enabled": true})),
        (
            "lassie_demo",
            json!({"type": "lassie", "enabled": false, "endpoint": "http://127.0.0.1:1", "api_key": secret}),
        ),
    ];
    let mut index = Map::new();
    for (id, config) in &configs {
        write_python_json(
            &home.join(format!("backends/{id}.json")),
            &json!({"id": id, "updated": "2025-07-28T10:11:12.123456", "config": config}),
        );
        index.insert(
            id.to_string(),
            json!({"enabled": config.get("enabled").cloned().unwrap_or(json!(true)),
                   "type": config.get("type").cloned().unwrap_or(json!("unknown")),
                   "updated": "2025-07-28T10:11:12.123999"}),
        );
    }
    write_python_json(
        &home.join("config/main.json"),
        &json!({
            "version": "1.0",
            "created": "2025-07-28T10:11:11.000001",
            "backends": index,
            "global_settings": {
                "default_cache_size": "1GB",
                "log_level": "INFO",
                "auto_cleanup": true,
                "python_only": {"nested": ["caf\u{e9}", 1]},
            },
        }),
    );
    let before = snapshot(&home);
    let file = dir.path().join("backup.json");
    let (_, stderr) = ok(&home, &["export", path_str(&file)]);
    assert!(
        stderr.contains("exported 5 backends and 4 settings"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("warning"),
        "an incomplete demo config is no problem for a backup: {stderr}"
    );
    assert_eq!(
        diff(&before, &snapshot(&home)),
        Vec::<String>::new(),
        "an export changes nothing in the home"
    );
    assert!(!fs::read_to_string(&file).unwrap().contains(&secret));

    let target = dir.path().join("restored");
    let (stdout, stderr) = ok(&target, &["import", path_str(&file)]);
    assert!(stdout.contains("add    backend 'my backend'"), "{stdout}");
    assert!(
        stderr.contains("backend hf_demo is incomplete in the backup (field 'repo_id'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("backend set lassie_demo api_key=..."),
        "{stderr}"
    );
    for (id, config) in &configs {
        let mut config = config.clone();
        config.as_object_mut().unwrap().shift_remove("api_key");
        let expected = json!({"id": id, "updated": "2025-07-28T10:11:12.123456", "config": config});
        let restored = read_json(&target.join(format!("backends/{id}.json")));
        assert_eq!(ordered(&restored), ordered(&expected), "{id}");
    }
    assert_eq!(
        ordered(&global_settings(&target)),
        ordered(&global_settings(&home))
    );
    let main = read_json(&target.join("config/main.json"));
    assert_eq!(main["backends"]["untyped"]["type"], json!("unknown"));
    assert_eq!(main["backends"]["lassie_demo"]["enabled"], json!(false));
    assert_eq!(
        main["backends"]["my backend"]["updated"],
        json!("2025-07-28T10:11:12.123456")
    );
    let restored_text = all_text(&target);
    assert!(!restored_text.contains(&secret));
    for path in support::home::json_files(&target) {
        assert!(
            fs::read(&path).unwrap().is_ascii(),
            "{}: written with ASCII escapes, as the library reads in any locale",
            path.display()
        );
    }
}

#[test]
fn export_to_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets::new();
    let source = source_home(dir.path(), &secrets);
    let (stdout, stderr) = ok(&source, &["export", "-"]);
    let backup: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(backup["format"], json!("ipfs-kit-tui-backup"));
    assert!(stderr.contains("to standard output"), "{stderr}");
    secrets.assert_none_in("the backup on standard output", &stdout);
    // Through a pipe (not a terminal), secrets may go to standard output when asked for.
    let (stdout, _) = ok(&source, &["export", "-", "--include-secrets"]);
    assert!(stdout.contains(&secrets.access_key));
}
