//! Bad input on the command line: exit code 2, one line on stderr naming the field (or the id,
//! the type, the setting) and the reason, and not one byte changed on disk. A backend file that
//! does not parse is reported with its path and line, never rewritten, and does not hide the
//! other backends.

use std::fs;
use std::path::Path;

use serde_json::json;

use crate::support::home::{diff, run, snapshot, Run};

/// A home (`home/` in the returned tempdir) with the first-run `local` backend, an `s3b`
/// backend and an `ipfs` one.
fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = &dir.path().join("home");
    // The first run creates the home; it must not be mistaken for a change later.
    run(home, &["backend", "list"]).ok();
    run(
        home,
        &[
            "backend",
            "add",
            "s3b",
            "--type",
            "s3",
            "--set",
            "endpoint=http://127.0.0.1:3900",
            "--set",
            "bucket=media",
            "--set",
            "access_key=GK0123456789",
            "--set",
            "secret_key=s3cr3t-s3cr3t",
        ],
    )
    .ok();
    run(home, &["backend", "add", "kubo", "--type", "ipfs"]).ok();
    // And a log file, so that a stray log line would show up as a change.
    run(home, &["settings", "set", "refresh_secs", "7"]).ok();
    dir
}

/// What is wrong with `run` as the answer to bad input: it must exit 2, print nothing on
/// stdout and exactly one line on stderr containing every one of `needles`.
fn one_line_error_problem(run: &Run, needles: &[&str]) -> Option<String> {
    if run.code != Some(2) {
        return Some(format!("exit code {:?}, not 2", run.code));
    }
    if !run.stdout.is_empty() {
        return Some(format!("printed on stdout: {:?}", run.stdout));
    }
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    if lines.len() != 1 {
        return Some(format!("{} lines on stderr: {:?}", lines.len(), run.stderr));
    }
    let missing: Vec<&&str> = needles.iter().filter(|n| !lines[0].contains(**n)).collect();
    if !missing.is_empty() {
        return Some(format!("{:?} does not mention {missing:?}", lines[0]));
    }
    None
}

struct Case {
    args: Vec<String>,
    /// What the one line must contain: the field (id, type, setting) and the reason.
    needles: &'static [&'static str],
}

fn case(args: &[&str], needles: &'static [&'static str]) -> Case {
    Case {
        args: args.iter().map(|s| s.to_string()).collect(),
        needles,
    }
}

fn add_local(id: &str) -> Vec<String> {
    [
        "backend",
        "add",
        "--type",
        "local",
        "--set",
        "path=/srv/x",
        "--",
        id,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn cases() -> Vec<Case> {
    let long_id = "a".repeat(65);
    let mut cases = vec![
        // Bad ids, on every command that takes one.
        Case {
            args: add_local("../x"),
            needles: &["id", "'../x'", "must start with a letter or digit"],
        },
        Case {
            args: add_local("a/b"),
            needles: &["id", "'a/b'", "'/' is not allowed"],
        },
        Case {
            args: add_local(""),
            needles: &["id", "must not be empty"],
        },
        Case {
            args: add_local(&long_id),
            needles: &["id", "65 characters, at most 64"],
        },
        Case {
            args: add_local("bäck"),
            needles: &["id", "bäck", "'ä' is not allowed"],
        },
        Case {
            args: add_local(".hidden"),
            needles: &["id", "'.hidden'", "must start with a letter or digit"],
        },
        Case {
            args: add_local("-x"),
            needles: &["id", "'-x'", "must start with a letter or digit"],
        },
        Case {
            args: add_local("a b"),
            needles: &["id", "' ' is not allowed"],
        },
        case(
            &["backend", "set", "../x", "path=/srv/y"],
            &["id", "'../x'", "must not contain"],
        ),
        case(
            &["backend", "show", "a/b"],
            &["id", "'a/b'", "must not contain"],
        ),
        case(
            &["backend", "show", "../../etc/passwd", "--json"],
            &["id", "must not contain"],
        ),
        case(
            &["backend", "remove", "../x", "--yes"],
            &["id", "'../x'", "must not contain"],
        ),
        // Unknown kind.
        case(
            &["backend", "add", "k", "--type", "ftp"],
            &["type", "unknown kind 'ftp'"],
        ),
        case(
            &["backend", "add", "k", "--type", "S3"],
            &["type", "unknown kind 'S3'"],
        ),
        // Missing required fields.
        case(
            &[
                "backend",
                "add",
                "k",
                "--type",
                "s3",
                "--set",
                "endpoint=http://127.0.0.1:3900",
                "--set",
                "access_key=a",
                "--set",
                "secret_key=b",
            ],
            &["'bucket'", "is required"],
        ),
        case(
            &["backend", "add", "k", "--type", "local"],
            &["'path'", "is required"],
        ),
        case(
            &["backend", "add", "k", "--type", "rclone"],
            &["'remote'", "is required"],
        ),
        case(
            &["backend", "set", "s3b", "bucket="],
            &["'bucket'", "required"],
        ),
        // Malformed URLs.
        case(
            &[
                "backend",
                "add",
                "k",
                "--type",
                "ipfs",
                "--set",
                "api_url=localhost:5001",
            ],
            &["'api_url'", "http"],
        ),
        case(
            &[
                "backend",
                "add",
                "k",
                "--type",
                "ipfs",
                "--set",
                "api_url=ftp://x",
            ],
            &["'api_url'", "must be http:// or https://"],
        ),
        case(
            &[
                "backend",
                "add",
                "k",
                "--type",
                "ipfs",
                "--set",
                "api_url=not a url",
            ],
            &["'api_url'", "is not a URL"],
        ),
        case(
            &["backend", "set", "s3b", "endpoint=ftp://x"],
            &["'endpoint'", "http"],
        ),
        case(
            &["backend", "set", "kubo", "api_url=http://"],
            &["'api_url'"],
        ),
        // Wrong types and ranges.
        case(
            &["backend", "set", "s3b", "enabled=maybe"],
            &["'enabled'", "not a boolean"],
        ),
        case(
            &["backend", "set", "s3b", "poll_interval=-1"],
            &["'poll_interval'", "not a whole number"],
        ),
        case(
            &["backend", "set", "s3b", "poll_interval=0"],
            &["'poll_interval'", "out of range"],
        ),
        case(
            &["backend", "set", "s3b", "path_style=2"],
            &["'path_style'", "not a boolean"],
        ),
        case(
            &[
                "backend",
                "add",
                "k",
                "--type",
                "local",
                "--set",
                "path=relative/dir",
            ],
            &["'path'", "absolute"],
        ),
        case(
            &[
                "backend",
                "add",
                "k",
                "--type",
                "local",
                "--set",
                "path=/x",
                "--set",
                "max_files=lots",
            ],
            &["'max_files'", "not a whole number"],
        ),
        case(
            &["backend", "set", "s3b", "bucket=AB"],
            &["'bucket'", "bucket"],
        ),
        case(
            &["backend", "set", "s3b", "secret_key=env:1BAD"],
            &["'secret_key'", "environment variable"],
        ),
        case(
            &["backend", "set", "kubo", "auth=token-without-scheme"],
            &["'auth'", "Bearer"],
        ),
        // Fields that need each other.
        case(
            &["backend", "set", "s3b", "admin_token=tok"],
            &["'admin_token'", "admin_url"],
        ),
        case(
            &[
                "backend",
                "add",
                "k",
                "--type",
                "ipfs_cluster",
                "--set",
                "password=pw",
            ],
            &["'password'", "'user'"],
        ),
        // FIELD=VALUE without '='.
        case(
            &["backend", "add", "k", "--type", "local", "--set", "path"],
            &["'path'", "expected FIELD=VALUE"],
        ),
        case(
            &["backend", "set", "s3b", "region"],
            &["'region'", "expected FIELD=VALUE"],
        ),
        case(&["backend", "set", "s3b", "=x"], &["expected FIELD=VALUE"]),
        // Unknown fields, and the type that cannot change.
        case(
            &[
                "backend", "add", "k", "--type", "local", "--set", "path=/x", "--set", "bogus=1",
            ],
            &["'bogus'", "unknown field"],
        ),
        case(
            &["backend", "set", "s3b", "bogus=1"],
            &["'bogus'", "unknown field"],
        ),
        case(
            &["backend", "set", "s3b", "type=ipfs"],
            &["'type'", "cannot be changed"],
        ),
        // A backend that does not exist, or already does.
        case(
            &["backend", "set", "nope", "region=x"],
            &["'nope'", "does not exist"],
        ),
        case(&["backend", "show", "nope"], &["'nope'", "does not exist"]),
        case(
            &["backend", "remove", "nope", "--yes"],
            &["'nope'", "does not exist"],
        ),
        case(
            &[
                "backend", "add", "s3b", "--type", "local", "--set", "path=/x",
            ],
            &["'s3b'", "already exists"],
        ),
        // Settings.
        case(
            &["settings", "set", "refresh_secs", "0"],
            &["'refresh_secs'", "out of range"],
        ),
        case(
            &["settings", "set", "refresh_secs", "abc"],
            &["'refresh_secs'", "not a whole number"],
        ),
        case(
            &["settings", "set", "timeout_secs", "601"],
            &["'timeout_secs'", "out of range"],
        ),
        case(
            &["settings", "set", "auto_cleanup", "maybe"],
            &["'auto_cleanup'", "not a boolean"],
        ),
        case(
            &["settings", "set", "log_level", "LOUD"],
            &["'log_level'", "not one of"],
        ),
        case(
            &["settings", "set", "default_cache_size", "2 parsecs"],
            &["'default_cache_size'", "unit"],
        ),
        case(
            &["settings", "set", "nope", "1"],
            &["'nope'", "unknown setting"],
        ),
        case(&["settings", "get", "nope"], &["'nope'", "unknown setting"]),
    ];
    cases.retain(|c| !c.args.is_empty());
    cases
}

#[test]
fn each_bad_input_exits_2_with_one_line_and_changes_nothing() {
    let dir = home();
    let home = &dir.path().join("home");
    let before = snapshot(home);
    assert!(
        before.contains_key(Path::new("logs/ipfs-kit-tui.log")),
        "the home has a log that a stray line would change"
    );
    let mut failures = Vec::new();
    for case in cases() {
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let label = format!("{args:?}");
        let result = run(home, &args);
        // Collect every failure instead of stopping at the first: the table is the report.
        if let Some(problem) = one_line_error_problem(&result, case.needles) {
            failures.push(format!("{label}: {problem}"));
        }
        let changes = diff(&before, &snapshot(home));
        assert!(
            changes.is_empty(),
            "{label} changed the home: {changes:?}\n{result:#?}"
        );
    }
    assert!(failures.is_empty(), "failed cases: {failures:#?}");
}

#[test]
fn bad_add_on_a_fresh_home_does_not_create_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("fresh");
    for args in [
        &[
            "backend", "add", "../x", "--type", "local", "--set", "path=/x",
        ][..],
        &["backend", "add", "k", "--type", "ftp"],
        &[
            "backend",
            "add",
            "k",
            "--type",
            "s3",
            "--set",
            "endpoint=http://h:1",
        ],
        &[
            "backend",
            "add",
            "k",
            "--type",
            "ipfs",
            "--set",
            "api_url=ftp://x",
        ],
        &[
            "backend", "add", "k", "--type", "local", "--set", "path=/x", "--set", "bogus=1",
        ],
        &["backend", "add", "k", "--type", "local", "--set", "path"],
        &["backend", "set", "../x", "path=/x"],
        &["settings", "set", "refresh_secs", "0"],
    ] {
        let result = run(&home, args);
        assert_eq!(result.code, Some(2), "{args:?}: {result:#?}");
        assert!(
            !home.exists(),
            "{args:?} created the home although its input was bad: {result:#?}"
        );
    }
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .expect("read tempdir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// `{`, `"id": "x",`, then an unquoted key on line 3.
const CORRUPT: &str = "{\n  \"id\": \"x\",\n  oops: 1,\n  \"config\": {\"type\": \"local\"}\n}\n";

#[test]
fn a_corrupt_backend_file_is_reported_and_never_rewritten() {
    let dir = home();
    let home = &dir.path().join("home");
    let corrupt = home.join("backends/x.json");
    fs::write(&corrupt, CORRUPT).expect("write corrupt file");
    let path_text = corrupt.to_string_lossy().into_owned();
    let before = snapshot(home);

    let listed = run(home, &["backend", "list"]).ok();
    let ids: Vec<&str> = listed
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(
        ids,
        ["kubo", "local", "s3b"],
        "the others still list: {listed:#?}"
    );
    let report = listed
        .stderr
        .lines()
        .find(|l| l.contains(&path_text))
        .unwrap_or_else(|| panic!("x.json is reported with its path: {listed:#?}"));
    assert!(report.contains("line 3"), "with its line: {report}");

    let listed = run(home, &["backend", "list", "--json"]).ok().json();
    let ids: Vec<&str> = listed["backends"]
        .as_array()
        .expect("backends")
        .iter()
        .map(|b| b["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["kubo", "local", "s3b"]);
    let errors = listed["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{listed:#}");
    assert_eq!(errors[0]["path"], json!(path_text));
    assert!(
        errors[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("line 3")),
        "{listed:#}"
    );

    for args in [
        &["backend", "set", "x", "path=/srv/y"][..],
        &["backend", "set", "x", "enabled=false"],
        &["backend", "show", "x"],
        &["backend", "show", "x", "--json"],
        &[
            "backend",
            "add",
            "x",
            "--type",
            "local",
            "--set",
            "path=/srv/y",
        ],
    ] {
        let result = run(home, args);
        assert_ne!(result.code, Some(0), "{args:?} must fail: {result:#?}");
        assert!(
            result.stderr.lines().count() == 1,
            "{args:?}: one line: {result:#?}"
        );
        assert!(
            result.stderr.contains("x.json") || result.stderr.contains("'x'"),
            "{args:?} names the file: {result:#?}"
        );
        assert_eq!(
            fs::read_to_string(&corrupt).expect("still there"),
            CORRUPT,
            "{args:?} rewrote the corrupt file"
        );
    }
    // Writes to other backends still work, and leave x.json (and its index state) alone.
    run(home, &["backend", "set", "kubo", "enabled=false"]).ok();
    assert_eq!(fs::read_to_string(&corrupt).expect("still there"), CORRUPT);

    let changes = diff(&before, &snapshot(home));
    let unexpected: Vec<&String> = changes
        .iter()
        .filter(|c| {
            !c.ends_with("backends/kubo.json")
                && !c.ends_with("config/main.json")
                && !c.ends_with("logs/ipfs-kit-tui.log")
                // kubo's timeline says it was switched off.
                && !c.ends_with("cache/kubo/events.ndjson")
        })
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
}
