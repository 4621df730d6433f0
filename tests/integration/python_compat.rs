//! Round trip with a home written exactly as the Python `ipfs_kit_py` library writes it: naive
//! timestamps, a nested `config`, and keys we do not know at every level. Reading must parse it
//! all and change nothing; list, show, set, add, remove and `settings set` must keep every key.

use std::fs;
use std::path::Path;

use chrono::{DateTime, NaiveDateTime};
use serde_json::{json, Value};

use crate::support;
use crate::support::home::{read_json, run, snapshot};

const NAIVE_TS: &str = "2025-07-28T10:11:12.123456";
/// How `backend list` and `show` print the naive timestamp (taken as local time, shown local).
const SHOWN_TS: &str = "2025-07-28 10:11:12";

/// `json.dump(..., indent=2)` output, byte for byte as Python writes it (no final newline).
const MAIN_JSON: &str = r#"{
  "version": "1.0",
  "created": "2025-07-28T10:11:12.123456",
  "backends": {
    "garage": {
      "enabled": true,
      "type": "s3",
      "updated": "2025-07-28T10:11:12.123456",
      "python_index_extra": "garage-extra"
    },
    "kubo": {
      "enabled": false,
      "type": "ipfs",
      "updated": "2025-07-28T10:11:12.123456",
      "python_index_extra": {
        "deep": [
          1,
          2
        ]
      }
    },
    "hf": {
      "enabled": true,
      "type": "huggingface",
      "updated": "2025-07-28T10:11:12.123456"
    },
    "old": {
      "enabled": true,
      "type": "local",
      "updated": "2025-07-28T10:11:12.123456"
    }
  },
  "global_settings": {
    "default_cache_size": "1GB",
    "log_level": "INFO",
    "auto_cleanup": true,
    "python_only": {
      "x": 1
    }
  },
  "extra_top": [
    1,
    2
  ]
}"#;

const GARAGE_JSON: &str = r#"{
  "id": "garage",
  "updated": "2025-07-28T10:11:12.123456",
  "config": {
    "type": "s3",
    "endpoint": "http://127.0.0.1:3900",
    "region": "us-east-1",
    "bucket": "media",
    "access_key": "GK31c2f218a2e44f485b94239e",
    "secret_key": "b892c0665f0ada8a4755dae98baa3b133590e11dae3bcc1f9d769d67f16c3835",
    "enabled": true,
    "python_key": "kept",
    "python_nested": {
      "a": [
        1,
        {
          "b": null
        }
      ]
    }
  },
  "python_meta": {
    "nested": true
  }
}"#;

const KUBO_JSON: &str = r#"{
  "id": "kubo",
  "updated": "2025-07-28T10:11:12.123456",
  "config": {
    "type": "ipfs",
    "api_url": "http://127.0.0.1:5001",
    "enabled": false,
    "python_key": "kept"
  },
  "python_meta": {
    "nested": true
  }
}"#;

const HF_JSON: &str = r#"{
  "id": "hf",
  "updated": "2025-07-28T10:11:12.123456",
  "config": {
    "type": "huggingface",
    "repo_id": "openai/whisper-tiny",
    "repo_type": "model",
    "python_key": "kept"
  },
  "python_meta": {
    "nested": true
  }
}"#;

const OLD_JSON: &str = r#"{
  "id": "old",
  "updated": "2025-07-28T10:11:12.123456",
  "config": {
    "type": "local",
    "path": "/srv/old",
    "python_key": "kept"
  },
  "python_meta": {
    "nested": true
  }
}"#;

/// A home as the Python library leaves it: all five directories, main.json and four backends.
fn python_home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path();
    for sub in ["config", "backends", "metadata", "cache", "logs"] {
        fs::create_dir(home.join(sub)).expect("mkdir");
    }
    fs::write(home.join("config/main.json"), MAIN_JSON).expect("write main.json");
    for (id, text) in [
        ("garage", GARAGE_JSON),
        ("kubo", KUBO_JSON),
        ("hf", HF_JSON),
        ("old", OLD_JSON),
    ] {
        fs::write(home.join(format!("backends/{id}.json")), text).expect("write backend");
    }
    dir
}

fn parse_file(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture parses")
}

/// The naive timestamp as a local time, the way the binary must interpret it.
fn naive_as_local() -> NaiveDateTime {
    NaiveDateTime::parse_from_str(NAIVE_TS, "%Y-%m-%dT%H:%M:%S%.f").expect("naive ts")
}

fn keys(value: &Value) -> Vec<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

fn backend_file_ids(home: &Path) -> Vec<String> {
    let mut ids: Vec<String> = fs::read_dir(home.join("backends"))
        .expect("read backends/")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .filter_map(|name| name.strip_suffix(".json").map(str::to_string))
        .collect();
    ids.sort();
    ids
}

#[test]
fn reading_a_python_home_parses_naive_timestamps_and_writes_nothing() {
    let dir = python_home();
    let home = dir.path();
    let before = snapshot(home);

    let list = run(home, &["backend", "list"]).ok();
    for id in ["garage", "kubo", "hf", "old"] {
        let row = list
            .stdout
            .lines()
            .find(|line| line.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("no row for {id}: {list:#?}"));
        assert!(
            row.contains(SHOWN_TS),
            "the naive timestamp is parsed and shown as a date: {row}"
        );
    }
    assert!(
        !list.stderr.contains("error"),
        "no file is reported: {list:#?}"
    );
    let ids: Vec<&str> = list
        .stdout
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(
        ids,
        ["garage", "hf", "kubo", "old"],
        "an existing home gets no first-run backend: {list:#?}"
    );

    let listed = run(home, &["backend", "list", "--json"]).ok().json();
    assert_eq!(listed["errors"], json!([]), "{listed:#}");
    let ids: Vec<&str> = listed["backends"]
        .as_array()
        .expect("backends array")
        .iter()
        .map(|b| b["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["garage", "hf", "kubo", "old"]);
    for backend in listed["backends"].as_array().expect("array") {
        let updated = backend["updated"]
            .as_str()
            .unwrap_or_else(|| panic!("updated is null: {backend:#}"));
        let ts = DateTime::parse_from_rfc3339(updated).expect("updated is RFC 3339");
        assert_eq!(
            ts.naive_local(),
            naive_as_local(),
            "a naive timestamp is local time: {updated}"
        );
        assert_eq!(
            backend["config"]["python_key"],
            json!("kept"),
            "{backend:#}"
        );
    }
    let kubo = &listed["backends"][2];
    assert_eq!(kubo["enabled"], json!(false));
    assert_eq!(kubo["type"], json!("ipfs"));

    let shown = run(home, &["backend", "show", "garage"]).ok();
    assert!(shown.stdout.contains(SHOWN_TS), "{shown:#?}");
    let python_line = shown
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("python_key"))
        .unwrap_or_else(|| panic!("python_key is shown: {shown:#?}"));
    assert!(python_line.contains("kept"), "{python_line}");
    assert!(
        shown.stdout.contains("region") && shown.stdout.contains("us-east-1"),
        "{shown:#?}"
    );

    let shown = run(home, &["backend", "show", "garage", "--json"])
        .ok()
        .json();
    assert_eq!(shown["id"], json!("garage"));
    assert_eq!(shown["type"], json!("s3"));
    assert!(shown["updated"].is_string(), "{shown:#}");
    assert_eq!(shown["config"]["python_key"], json!("kept"));
    assert_eq!(
        shown["config"]["python_nested"],
        json!({"a": [1, {"b": null}]})
    );
    assert_eq!(shown["problems"], json!([]), "{shown:#}");

    let diff = support::home::diff(&before, &snapshot(home));
    assert!(
        diff.is_empty(),
        "read-only commands changed the home: {diff:?}"
    );
}

#[test]
fn set_add_remove_and_settings_keep_every_unknown_key() {
    let dir = python_home();
    let home = dir.path();

    run(home, &["backend", "set", "garage", "region=garage"]).ok();
    run(
        home,
        &[
            "backend",
            "add",
            "fresh",
            "--type",
            "local",
            "--set",
            "path=/srv/fresh",
        ],
    )
    .ok();
    run(home, &["backend", "remove", "old", "--yes"]).ok();
    run(home, &["settings", "set", "refresh_secs", "3"]).ok();

    // Untouched backends: byte for byte as Python wrote them, naive timestamp and all.
    for (id, text) in [("kubo", KUBO_JSON), ("hf", HF_JSON)] {
        let now = fs::read_to_string(home.join(format!("backends/{id}.json"))).expect("read");
        assert_eq!(now, text, "backends/{id}.json was rewritten");
    }

    // The changed backend: every key kept, in its order, with only `region` and `updated` new.
    let original = parse_file(GARAGE_JSON);
    let garage = read_json(&home.join("backends/garage.json"));
    assert_eq!(keys(&garage), keys(&original), "top-level keys and order");
    assert_eq!(garage["python_meta"], json!({"nested": true}));
    assert_eq!(garage["id"], json!("garage"));
    assert_eq!(
        keys(&garage["config"]),
        keys(&original["config"]),
        "config keys and order"
    );
    let mut expected_config = original["config"].clone();
    expected_config["region"] = json!("garage");
    assert_eq!(garage["config"], expected_config);
    let updated = garage["updated"].as_str().expect("updated string");
    assert_ne!(updated, NAIVE_TS);
    let parsed = DateTime::parse_from_rfc3339(updated)
        .unwrap_or_else(|e| panic!("'{updated}' is not RFC 3339 with an offset: {e}"));
    let age = chrono::Utc::now().signed_duration_since(parsed);
    assert!(
        age.num_seconds().abs() < 300,
        "the new timestamp is now: {updated}"
    );

    // The added backend is in the Python layout.
    let fresh = read_json(&home.join("backends/fresh.json"));
    assert_eq!(fresh["id"], json!("fresh"));
    assert_eq!(fresh["config"]["type"], json!("local"));
    assert_eq!(fresh["config"]["path"], json!("/srv/fresh"));
    assert!(DateTime::parse_from_rfc3339(fresh["updated"].as_str().expect("updated")).is_ok());
    assert!(!home.join("backends/old.json").exists());

    // main.json: every key kept; the index lists exactly the backend files.
    let original_main = parse_file(MAIN_JSON);
    let main = read_json(&home.join("config/main.json"));
    assert_eq!(
        keys(&main),
        keys(&original_main),
        "main.json keys and order"
    );
    assert_eq!(main["version"], json!("1.0"));
    assert_eq!(main["created"], json!(NAIVE_TS));
    assert_eq!(main["extra_top"], json!([1, 2]));
    assert_eq!(
        main["global_settings"],
        json!({
            "default_cache_size": "1GB",
            "log_level": "INFO",
            "auto_cleanup": true,
            "python_only": {"x": 1},
            "refresh_secs": 3
        })
    );
    let mut index_ids = keys(&main["backends"]);
    index_ids.sort();
    assert_eq!(index_ids, backend_file_ids(home), "{main:#}");
    assert_eq!(index_ids, ["fresh", "garage", "hf", "kubo"]);

    let index = &main["backends"];
    assert_eq!(
        index["kubo"], original_main["backends"]["kubo"],
        "an untouched entry keeps its naive timestamp and extras"
    );
    assert_eq!(index["hf"], original_main["backends"]["hf"]);
    assert_eq!(index["garage"]["python_index_extra"], json!("garage-extra"));
    assert_eq!(index["garage"]["type"], json!("s3"));
    assert_eq!(index["garage"]["enabled"], json!(true));
    assert_eq!(
        index["garage"]["updated"], garage["updated"],
        "the index entry is in step with the file"
    );
    assert_eq!(index["fresh"]["type"], json!("local"));
    assert_eq!(index["fresh"]["enabled"], json!(true));
    assert_eq!(index["fresh"]["updated"], fresh["updated"]);

    // And it all still reads back cleanly.
    let listed = run(home, &["backend", "list", "--json"]).ok().json();
    assert_eq!(listed["errors"], json!([]));
    assert_eq!(listed["backends"].as_array().map(Vec::len), Some(4));
    let settings = run(home, &["settings", "get", "refresh_secs"]).ok();
    assert_eq!(settings.stdout.trim(), "3");
}
