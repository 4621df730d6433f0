//! The command line's basics: where the home is, what a first run creates, completions, the
//! confirmation `remove` asks for, `cleanup` and `settings`.

use std::fs;
use std::path::Path;

use serde_json::json;

use crate::support;
use crate::support::home::{command, diff, read_json, run, run_command, snapshot, Run};

/// `backend list --json` without `--home`, with `HOME` and (maybe) `IPFS_KIT_HOME` set.
fn list_with_env(home_var: &Path, ipfs_kit_home: Option<&str>, flag: Option<&Path>) -> Run {
    let mut cmd = command();
    cmd.env("HOME", home_var);
    if let Some(value) = ipfs_kit_home {
        cmd.env("IPFS_KIT_HOME", value);
    }
    if let Some(flag) = flag {
        cmd.arg("--home").arg(flag);
    }
    cmd.args(["backend", "list", "--json"]);
    run_command(cmd).ok()
}

/// The `path` of the only backend listed: the first-run `local` backend names its home.
fn local_path(run: &Run) -> String {
    let listed = run.json();
    let backends = listed["backends"].as_array().expect("backends");
    assert_eq!(backends.len(), 1, "{listed:#}");
    assert_eq!(backends[0]["id"], json!("local"));
    backends[0]["config"]["path"]
        .as_str()
        .expect("path")
        .to_string()
}

fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[test]
fn home_is_the_flag_then_ipfs_kit_home_then_dot_ipfs_kit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    for sub in ["user1", "user2", "user3", "user4"] {
        fs::create_dir(root.join(sub)).expect("mkdir");
    }

    // Neither: ~/.ipfs_kit.
    let listed = list_with_env(&root.join("user1"), None, None);
    assert_eq!(local_path(&listed), text(&root.join("user1/.ipfs_kit")));
    assert!(root.join("user1/.ipfs_kit/config/main.json").is_file());

    // An empty IPFS_KIT_HOME counts as unset.
    let listed = list_with_env(&root.join("user4"), Some(""), None);
    assert_eq!(local_path(&listed), text(&root.join("user4/.ipfs_kit")));

    // IPFS_KIT_HOME beats ~/.ipfs_kit.
    let env_home = root.join("from-env");
    let listed = list_with_env(&root.join("user2"), Some(&text(&env_home)), None);
    assert_eq!(local_path(&listed), text(&env_home));
    assert!(env_home.join("config/main.json").is_file());
    assert!(!root.join("user2/.ipfs_kit").exists());

    // --home beats IPFS_KIT_HOME.
    let flag_home = root.join("from-flag");
    let other_env = root.join("other-env");
    let listed = list_with_env(
        &root.join("user3"),
        Some(&text(&other_env)),
        Some(&flag_home),
    );
    assert_eq!(local_path(&listed), text(&flag_home));
    assert!(flag_home.join("config/main.json").is_file());
    assert!(!other_env.exists(), "IPFS_KIT_HOME was used despite --home");
    assert!(!root.join("user3/.ipfs_kit").exists());
}

#[test]
fn first_run_creates_the_layout_and_one_local_backend_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = &dir.path().join("home");

    let first = run(home, &["backend", "list"]).ok();
    assert!(
        first.stderr.contains("created"),
        "the first run says what it created: {first:#?}"
    );
    for sub in ["config", "backends", "metadata", "cache", "logs"] {
        assert!(home.join(sub).is_dir(), "{sub}/ was created");
    }
    let main = read_json(&home.join("config/main.json"));
    assert_eq!(main["version"], json!("1.0"));
    assert!(main["created"].is_string(), "{main:#}");
    assert_eq!(main["global_settings"]["default_cache_size"], json!("1GB"));
    assert_eq!(main["global_settings"]["log_level"], json!("INFO"));
    assert_eq!(main["global_settings"]["auto_cleanup"], json!(true));
    let files: Vec<String> = fs::read_dir(home.join("backends"))
        .expect("backends/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(files, ["local.json"]);
    let local = read_json(&home.join("backends/local.json"));
    assert_eq!(local["id"], json!("local"));
    assert_eq!(local["config"]["type"], json!("local"));
    assert_eq!(local["config"]["path"], json!(text(home)));
    assert_eq!(main["backends"]["local"]["type"], json!("local"));
    assert_eq!(main["backends"]["local"]["enabled"], json!(true));
    let listed_row = first
        .stdout
        .lines()
        .find(|l| l.starts_with("local"))
        .unwrap_or_else(|| panic!("the local backend is listed: {first:#?}"));
    assert!(listed_row.contains(&text(home)), "{listed_row}");

    // A second run adds nothing and rewrites nothing.
    let before = snapshot(home);
    let second = run(home, &["backend", "list"]).ok();
    assert!(!second.stderr.contains("created"), "{second:#?}");
    let changes = diff(&before, &snapshot(home));
    assert!(changes.is_empty(), "{changes:?}");
    let listed = run(home, &["backend", "list", "--json"]).ok().json();
    assert_eq!(listed["backends"].as_array().map(Vec::len), Some(1));
}

#[test]
fn an_existing_home_without_backends_gets_no_local_backend() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = &dir.path().join("home");
    fs::create_dir_all(home.join("config")).expect("mkdir");
    fs::write(
        home.join("config/main.json"),
        r#"{"version": "1.0", "created": "2025-07-28T10:11:12.123456", "backends": {}, "global_settings": {"default_cache_size": "1GB", "log_level": "INFO", "auto_cleanup": true}}"#,
    )
    .expect("write main.json");

    let listed = run(home, &["backend", "list", "--json"]).ok();
    assert_eq!(listed.json()["backends"], json!([]), "{listed:#?}");
    assert!(!listed.stderr.contains("created"), "{listed:#?}");
    let count = fs::read_dir(home.join("backends"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(count, 0, "no backend file was written");
    let text = run(home, &["backend", "list"]).ok();
    assert!(text.stdout.starts_with("no backends"), "{text:#?}");
}

#[test]
fn completions_print_a_script_and_touch_no_home() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = &dir.path().join("home");
    let bash = run(home, &["completions", "bash"]).ok();
    assert!(bash.stdout.contains("ipfs-kit-tui"), "{bash:#?}");
    assert!(bash.stdout.contains("complete"), "a bash completion script");
    assert!(
        bash.stdout.contains("backend"),
        "it completes the subcommands"
    );
    for shell in ["zsh", "fish"] {
        let script = run(home, &["completions", shell]).ok();
        assert!(
            script.stdout.contains("ipfs-kit-tui"),
            "{shell}: {script:#?}"
        );
    }
    assert!(!home.exists(), "completions created the home");
}

#[test]
fn remove_without_yes_and_without_a_terminal_refuses() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = &dir.path().join("home");
    run(
        home,
        &[
            "backend",
            "add",
            "doomed",
            "--type",
            "local",
            "--set",
            "path=/srv",
        ],
    )
    .ok();
    let before = snapshot(home);
    // `run` gives the binary /dev/null as stdin: not a terminal.
    let refused = run(home, &["backend", "remove", "doomed"]);
    assert_eq!(refused.code, Some(2), "{refused:#?}");
    assert_eq!(refused.stderr.lines().count(), 1, "{refused:#?}");
    assert!(refused.stderr.contains("--yes"), "{refused:#?}");
    assert!(refused.stderr.contains("doomed"), "{refused:#?}");
    let changes = diff(&before, &snapshot(home));
    assert!(changes.is_empty(), "{changes:?}");
    assert!(home.join("backends/doomed.json").is_file());

    run(home, &["backend", "remove", "doomed", "--yes"]).ok();
    assert!(!home.join("backends/doomed.json").exists());
    let main = read_json(&home.join("config/main.json"));
    assert!(main["backends"].get("doomed").is_none(), "{main:#}");
}

/// A metadata file as the Python library writes it: naive local timestamp.
fn python_metadata(home: &Path, key: &str, age: chrono::Duration) {
    let updated = (chrono::Local::now() - age)
        .naive_local()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string();
    let doc = json!({"key": key, "value": {"n": 1}, "updated": updated});
    fs::write(
        home.join(format!("metadata/{key}.json")),
        serde_json::to_string_pretty(&doc).expect("json"),
    )
    .expect("write metadata");
}

#[test]
fn cleanup_removes_old_metadata_and_keeps_fresh() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = &dir.path().join("home");
    run(home, &["backend", "list"]).ok();
    python_metadata(home, "old", chrono::Duration::days(40));
    python_metadata(home, "recent", chrono::Duration::days(20));
    python_metadata(home, "fresh", chrono::Duration::minutes(1));

    let cleaned = run(home, &["cleanup", "--days", "30"]).ok();
    assert!(cleaned.stdout.contains("old"), "{cleaned:#?}");
    assert!(
        !home.join("metadata/old.json").exists(),
        "40 days old: removed"
    );
    assert!(
        home.join("metadata/recent.json").is_file(),
        "20 days old: kept"
    );
    assert!(home.join("metadata/fresh.json").is_file(), "fresh: kept");

    // The default is 30 days; a shorter limit removes more.
    run(home, &["cleanup"]).ok();
    assert!(home.join("metadata/recent.json").is_file());
    run(home, &["cleanup", "--days", "10"]).ok();
    assert!(!home.join("metadata/recent.json").exists());
    assert!(home.join("metadata/fresh.json").is_file());
}

#[test]
fn settings_get_shows_the_default_then_the_value_set() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = &dir.path().join("home");
    let got = run(home, &["settings", "get", "refresh_secs"]).ok();
    assert_eq!(got.stdout, "5\n", "{got:#?}");
    let set = run(home, &["settings", "set", "refresh_secs", "3"]).ok();
    assert!(set.stdout.contains('3'), "{set:#?}");
    let got = run(home, &["settings", "get", "refresh_secs"]).ok();
    assert_eq!(got.stdout, "3\n", "{got:#?}");
    let main = read_json(&home.join("config/main.json"));
    assert_eq!(main["global_settings"]["refresh_secs"], json!(3));
    assert_eq!(
        main["global_settings"]["default_cache_size"],
        json!("1GB"),
        "the other settings stay"
    );
}

#[test]
fn commands_about_a_backend_do_not_create_a_missing_home() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("never-made");
    for args in [
        vec!["backend", "show", "nope"],
        vec!["backend", "set", "nope", "region=x"],
        vec!["backend", "remove", "nope", "--yes"],
        vec!["backend", "test", "nope"],
    ] {
        let run = run(&home, &args);
        assert_eq!(run.code, Some(2), "{args:?}: {run:#?}");
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("backend 'nope' does not exist"),
            "{}",
            run.stderr
        );
        assert!(!home.exists(), "{args:?} created the home");
    }
}

#[test]
fn an_existing_empty_directory_is_a_first_run() {
    let dir = tempfile::tempdir().unwrap();
    let listed = run(dir.path(), &["backend", "list", "--json"]).ok().json();
    let ids: Vec<&str> = listed["backends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["local"]);
}

#[test]
fn usage_errors_from_the_parser_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["backend", "add", "x"],
        vec!["backend", "add", "-x", "--type", "s3"],
        vec!["status", "--watch", "0"],
    ] {
        let run = run(dir.path(), &args);
        assert_eq!(run.code, Some(2), "{args:?}");
        assert_eq!(
            run.stderr.trim().lines().count(),
            1,
            "{args:?}: {}",
            run.stderr
        );
    }
    let run = run(dir.path(), &["backend", "add", "x"]);
    assert!(
        run.stderr.contains("--type"),
        "names the missing argument: {}",
        run.stderr
    );
}

#[test]
fn cleanup_sweeps_temp_files_of_interrupted_writes() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["backend", "list"]).ok();
    let old = dir.path().join("backends/.x.json.AbCdEf.tmp");
    let fresh = dir.path().join("metadata/.y.json.GhIjKl.tmp");
    std::fs::write(&old, "{").unwrap();
    std::fs::write(&fresh, "{").unwrap();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    let out = run(dir.path(), &["cleanup"]).ok();
    assert!(
        out.stdout.contains("removed 1 temp files"),
        "{}",
        out.stdout
    );
    assert!(!old.exists());
    assert!(
        fresh.exists(),
        "a write that may be in progress is left alone"
    );
}

#[test]
fn an_index_left_out_of_step_is_repaired_by_the_next_command_that_writes() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["backend", "list"]).ok();
    // A writer killed between its two writes: the file exists, the index does not know it.
    std::fs::write(
        dir.path().join("backends/orphan.json"),
        r#"{"id":"orphan","updated":"2025-07-28T10:11:12","config":{"type":"local","enabled":true,"path":"/tmp"}}"#,
    )
    .unwrap();
    let main_json = dir.path().join("config/main.json");
    let before = fs::read(&main_json).unwrap();
    // Reading commands list it (the files are the list) but leave main.json alone.
    let listed = run(dir.path(), &["backend", "list"]).ok();
    assert!(listed.stdout.contains("orphan"), "{}", listed.stdout);
    run(dir.path(), &["settings", "get"]).ok();
    run(dir.path(), &["backend", "show", "orphan"]).ok();
    assert_eq!(
        fs::read(&main_json).unwrap(),
        before,
        "a read-only command wrote"
    );
    // The next command that writes anyway brings the whole index in step.
    run(
        dir.path(),
        &[
            "backend",
            "add",
            "other",
            "--type",
            "local",
            "--set",
            "path=/var",
        ],
    )
    .ok();
    let main: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&main_json).unwrap()).unwrap();
    assert_eq!(main["backends"]["orphan"]["type"], "local");
    assert_eq!(main["backends"]["other"]["type"], "local");
}

/// The Python library stamps a backend's index entry and its file with two clock reads, so
/// their `updated` differ by microseconds: that is in step, and nothing rewrites main.json
/// for it — not a reading command, not a write to another backend.
#[test]
fn index_timestamps_that_differ_by_microseconds_are_in_step() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &["backend", "list"]).ok();
    std::fs::write(
        dir.path().join("backends/py.json"),
        r#"{"id":"py","updated":"2025-07-28T10:11:12.000123","config":{"type":"local","enabled":true,"path":"/tmp"}}"#,
    )
    .unwrap();
    let main_json = dir.path().join("config/main.json");
    let mut main: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&main_json).unwrap()).unwrap();
    main["backends"]["py"] = serde_json::json!({"enabled": true, "type": "local", "updated": "2025-07-28T10:11:12.000119"});
    fs::write(&main_json, serde_json::to_string_pretty(&main).unwrap()).unwrap();
    let before = fs::read(&main_json).unwrap();
    for args in [
        &["backend", "list"][..],
        &["backend", "show", "py"],
        &["settings", "get"],
        &["status", "--json"],
    ] {
        run(dir.path(), args);
        assert_eq!(
            fs::read(&main_json).unwrap(),
            before,
            "{args:?} wrote main.json"
        );
    }
    run(dir.path(), &["backend", "set", "local", "enabled=false"]).ok();
    let after: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&main_json).unwrap()).unwrap();
    assert_eq!(
        after["backends"]["py"]["updated"], "2025-07-28T10:11:12.000119",
        "an entry in step keeps its own timestamp"
    );
}

#[test]
fn a_kept_test_result_says_pass_or_fail_and_how_old() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let missing = dir.path().join("not-there");
    run(
        &home,
        &[
            "backend",
            "add",
            "gone-dir",
            "--type",
            "local",
            "--set",
            &format!("path={}", missing.display()),
        ],
    )
    .ok();
    let fresh = run(&home, &["backend", "test", "gone-dir"]);
    assert_eq!(fresh.code, Some(1), "{fresh:#?}");
    assert!(!fresh.stdout.contains("kept result"), "{fresh:#?}");
    let kept = run(&home, &["backend", "test", "gone-dir", "--cached"]);
    assert_eq!(kept.code, Some(1), "{kept:#?}");
    assert!(
        kept.stdout.contains("(a kept result: FAIL 0s ago")
            || kept.stdout.contains("(a kept result: FAIL 1s ago"),
        "{kept:#?}"
    );
}

#[test]
fn cleanup_never_deletes_active_alerts_or_the_stats_of_existing_backends() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = &dir.path().join("home");
    run(home, &["backend", "list"]).ok(); // a first run: a `local` backend
    let old = (chrono::Local::now() - chrono::Duration::days(40))
        .naive_local()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string();
    let write = |key: &str, value: serde_json::Value| {
        let doc = json!({"key": key, "value": value, "updated": old});
        fs::write(home.join(format!("metadata/{key}.json")), doc.to_string()).expect("write");
    };
    write(
        "alerts",
        json!([{"backend": "local", "rule": "quota", "message": "quota 95% full",
                "raised_at": old, "cleared_at": null}]),
    );
    write("stats.local", json!({"id": "local"}));
    write("stats.removed-long-ago", json!({"id": "removed-long-ago"}));
    let cleaned = run(home, &["cleanup", "--days", "0"]).ok();
    assert!(home.join("metadata/alerts.json").is_file(), "{cleaned:#?}");
    assert!(home.join("metadata/stats.local.json").is_file());
    assert!(!home.join("metadata/stats.removed-long-ago.json").exists());
    assert!(cleaned.stdout.contains("still in use"), "{cleaned:#?}");
    // Once no alert is active, the alerts file ages out like the rest.
    write(
        "alerts",
        json!([{"backend": "local", "rule": "quota", "message": "quota 95% full",
                "raised_at": old, "cleared_at": old}]),
    );
    run(home, &["cleanup", "--days", "0"]).ok();
    assert!(!home.join("metadata/alerts.json").exists());
    // A maintenance window under way stays however old its file; one over goes.
    let until = |days: i64| (chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339();
    write(
        "maintenance",
        json!({"local": {"since": old, "until": until(1), "reason": "long job"}}),
    );
    run(home, &["cleanup", "--days", "0"]).ok();
    assert!(home.join("metadata/maintenance.json").is_file());
    write(
        "maintenance",
        json!({"local": {"since": old, "until": until(-1), "reason": null}}),
    );
    run(home, &["cleanup", "--days", "0"]).ok();
    assert!(!home.join("metadata/maintenance.json").exists());
}

#[test]
fn the_write_check_is_opt_in_leaves_nothing_and_is_refused_where_there_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let data = dir.path().join("data");
    fs::create_dir(&data).unwrap();
    let path = format!("path={}", data.display());
    run(
        &home,
        &["backend", "add", "d", "--type", "local", "--set", &path],
    )
    .ok();
    let plain = run(&home, &["backend", "test", "d"]).ok();
    assert!(
        !plain.stdout.contains("write:"),
        "never on by default: {plain:#?}"
    );
    let written = run(&home, &["backend", "test", "d", "--write", "--json"]).ok();
    let report = written.json();
    let steps: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(steps.ends_with(&[
        "write: put a 64-byte file",
        "read back: the same 64 bytes",
        "delete: remove the file"
    ]));
    assert_eq!(
        fs::read_dir(&data).unwrap().count(),
        0,
        "nothing left behind"
    );
    run(
        &home,
        &[
            "backend",
            "add",
            "k",
            "--type",
            "ipfs_cluster",
            "--set",
            "api_url=http://127.0.0.1:9",
        ],
    )
    .ok();
    let refused = run(&home, &["backend", "test", "k", "--write"]);
    assert_eq!(refused.code, Some(2), "{refused:#?}");
    assert!(refused.stderr.contains("no write check"), "{refused:#?}");
}

#[test]
fn alerts_names_each_rule_as_the_json_and_the_hooks_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = &dir.path().join("home");
    run(home, &["backend", "list"]).ok();
    let at = "2026-11-24T12:00:00+00:00";
    let alerts = json!({"key": "alerts", "updated": at, "value": [
        {"backend": "local", "rule": "error_rate", "message": "40% of the last 10 polls failed",
         "raised_at": at, "cleared_at": null},
        {"backend": "local", "rule": "credentials", "message": "credentials rejected",
         "raised_at": at, "cleared_at": null}]});
    fs::write(home.join("metadata/alerts.json"), alerts.to_string()).expect("write");
    let listed = run(home, &["alerts"]).ok();
    assert!(listed.stdout.contains(" error_rate "), "{listed:#?}");
    assert!(!listed.stdout.contains("errorrate"), "{listed:#?}");
    let json = run(home, &["alerts", "--json"]).ok().json();
    let rules: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"error_rate"), "{rules:?}");
}

#[test]
fn settings_set_brings_the_index_in_step_in_the_same_write() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    run(home, &["backend", "list"]).ok();
    // A Python process saved its copy of main.json without the entry of a backend we added.
    std::fs::write(
        home.join("backends/orphan.json"),
        r#"{"id":"orphan","updated":"2025-07-28T10:11:12","config":{"type":"local","enabled":false,"path":"/tmp"}}"#,
    )
    .unwrap();
    let main_json = home.join("config/main.json");
    let main = || -> serde_json::Value {
        serde_json::from_str(&fs::read_to_string(&main_json).unwrap()).unwrap()
    };
    assert!(main()["backends"].get("orphan").is_none());
    run(home, &["settings", "set", "refresh_secs", "7"]).ok();
    let main = main();
    assert_eq!(main["global_settings"]["refresh_secs"], 7);
    assert_eq!(main["backends"]["orphan"]["type"], "local");
    assert_eq!(main["backends"]["orphan"]["enabled"], false);
    assert_eq!(
        main["backends"]["local"]["type"], "local",
        "the others stay"
    );
}

/// An rclone remote control that answers (a fixture): the kind has no write check.
fn answering_rcd() -> support::Fixture {
    support::Fixture::start(|request| match request.path.as_str() {
        "/core/version" => support::Reply::json(200, json!({"version": "v1.60.1"})),
        "/operations/about" => {
            support::Reply::json(200, json!({"total": 1000, "used": 400, "free": 600}))
        }
        _ => support::Reply::empty(404),
    })
}

#[test]
fn a_refused_write_test_keeps_nothing_and_cached_still_passes() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let rcd = answering_rcd();
    let url = format!("rc_url={}", rcd.url);
    run(
        home,
        &[
            "backend",
            "add",
            "remote",
            "--type",
            "rclone",
            "--set",
            &url,
            "--set",
            "remote=gdrive:",
        ],
    )
    .ok();
    let tested = run(home, &["backend", "test", "remote"]).ok();
    assert!(tested.stdout.contains("PASS remote"), "{tested:#?}");
    let refused = run(home, &["backend", "test", "remote", "--write"]);
    assert_eq!(refused.code, Some(2), "{refused:#?}");
    assert!(
        refused.stderr.contains("kind rclone has no write check"),
        "{refused:#?}"
    );
    // The console's `W` goes through the API: refused there too, before anything runs.
    let store = ipfs_kit_tui::store::Store::open(home).unwrap().0;
    let api = ipfs_kit_tui::api::Api::new(store);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let asked = runtime.block_on(api.test_backend_writing("remote"));
    let err = asked.expect_err("a kind without a write check is refused");
    assert!(err.is_bad_input(), "{err}");
    assert!(err.to_string().contains("no write check"), "{err}");
    // No FAIL was kept: the kept result is the passing one.
    let cached = run(home, &["backend", "test", "remote", "--cached"]);
    assert_eq!(cached.code, Some(0), "{cached:#?}");
    assert!(cached.stdout.contains("a kept result: PASS"), "{cached:#?}");
    assert!(!cached.stdout.contains("FAIL"), "{cached:#?}");
}

#[test]
fn status_says_a_filesystems_used_and_free_of_what_is_usable_not_of_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let home = &dir.path().join("home");
    let status = run(home, &["status"]).ok();
    let row = status
        .stdout
        .lines()
        .find(|l| l.starts_with("local "))
        .unwrap_or_default()
        .to_string();
    // `20.02 GiB used (22.1%) · 69.91 GiB free of 89.93 GiB usable (disk 251.97 GiB)`.
    assert!(row.contains(" used ("), "{status:#?}");
    assert!(
        row.contains(" free of ") && row.contains(" usable"),
        "{row}"
    );
    assert!(
        !row.contains(" / "),
        "used against an unnamed figure: {row}"
    );
}
