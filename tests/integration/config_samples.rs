//! config-samples/ holds one valid backend file per kind, in the on-disk format.

use std::collections::BTreeSet;

use ipfs_kit_tui::backends::{self, Kind};

#[test]
fn one_valid_sample_per_kind() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/config-samples");
    let mut kinds = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let config = doc["config"]
            .as_object()
            .unwrap_or_else(|| panic!("{}: no config", path.display()));
        let problems = backends::problems(config);
        assert!(problems.is_empty(), "{}: {problems:?}", path.display());
        assert!(
            doc["id"].is_string() && doc["updated"].is_string(),
            "{}",
            path.display()
        );
        let kind = Kind::parse(config["type"].as_str().unwrap()).unwrap();
        assert_eq!(
            path.file_stem().unwrap(),
            kind.as_str(),
            "sample named after its kind"
        );
        kinds.insert(kind);
    }
    assert_eq!(
        kinds.len(),
        Kind::ALL.len(),
        "every kind has a sample: {kinds:?}"
    );
}

#[test]
fn samples_load_through_the_store() {
    let home = tempfile::tempdir().unwrap();
    let store = ipfs_kit_tui::store::Store::open(home.path()).unwrap().0;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/config-samples");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let id = doc["id"].as_str().unwrap();
        std::fs::copy(&path, store.backend_path(id)).unwrap();
    }
    let listing = store.list_backends();
    assert!(listing.errors.is_empty(), "{:?}", listing.errors);
    assert_eq!(listing.backends.len(), Kind::ALL.len());
}
