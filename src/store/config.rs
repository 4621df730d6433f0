//! Backend configs (`backends/ID.json`) and the index of them in `config/main.json`.
//! Files are kept as JSON maps so that every key the Python library wrote survives a rewrite.

use std::fs;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use serde_json::{json, Map, Value};

use super::error::{Result, StoreError};
use super::{fsio, names, settings, timestamp, Store};

/// One backend file as it is on disk.
#[derive(Clone, Debug, PartialEq)]
pub struct BackendDoc {
    pub id: String,
    pub path: PathBuf,
    /// The whole file: `{"id", "updated", "config": {...}, ...anything else}`.
    pub doc: Map<String, Value>,
}

/// A file's identity at one moment: when an atomic rename or an in-place write changes it, one
/// of these changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    pub modified_ns: i128,
    pub size: u64,
    pub inode: u64,
}

impl Stamp {
    pub fn of(meta: &fs::Metadata) -> Stamp {
        use std::os::unix::fs::MetadataExt;
        Stamp {
            modified_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            size: meta.len(),
            inode: meta.ino(),
        }
    }

    pub fn of_path(path: &std::path::Path) -> Option<Stamp> {
        fs::metadata(path).ok().map(|m| Stamp::of(&m))
    }
}

/// The kind of a backend whose config names none.
pub const UNKNOWN_KIND: &str = "unknown";

/// A change to one config field: `Some` sets it, `None` removes it.
pub type Edit = (String, Option<Value>);

/// The backends that read well, and the files that did not.
#[derive(Debug, Default)]
pub struct Listing {
    pub backends: Vec<BackendDoc>,
    pub errors: Vec<StoreError>,
}

impl BackendDoc {
    fn parse(id: &str, path: PathBuf, doc: Map<String, Value>) -> Result<BackendDoc> {
        check_shape(&path, &doc)?;
        Ok(BackendDoc {
            id: id.to_string(),
            path,
            doc,
        })
    }

    pub fn config(&self) -> &Map<String, Value> {
        // `parse` guarantees the object; an empty map is never reached in practice.
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        match self.doc.get("config") {
            Some(Value::Object(config)) => config,
            _ => EMPTY.get_or_init(Map::new),
        }
    }

    /// The config's `type`; `unknown` when it has none, as the Python library indexes it.
    pub fn kind(&self) -> &str {
        self.config()
            .get("type")
            .and_then(Value::as_str)
            .filter(|kind| !kind.is_empty())
            .unwrap_or(UNKNOWN_KIND)
    }

    /// `enabled` defaults to true, as in the Python library.
    pub fn enabled(&self) -> bool {
        self.config()
            .get("enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    pub fn updated(&self) -> Option<DateTime<FixedOffset>> {
        self.doc
            .get("updated")
            .and_then(Value::as_str)
            .and_then(timestamp::parse)
    }

    /// The `main.json` index entry for this backend, merged into what the entry held before.
    fn index_entry(&self, previous: Option<&Value>) -> Value {
        let mut entry = match previous {
            Some(Value::Object(map)) => map.clone(),
            _ => Map::new(),
        };
        entry.insert("enabled".into(), Value::Bool(self.enabled()));
        entry.insert("type".into(), Value::String(self.kind().to_string()));
        let updated = self.doc.get("updated").cloned().unwrap_or(Value::Null);
        entry.insert("updated".into(), updated);
        Value::Object(entry)
    }
}

impl Store {
    /// Creates `config/main.json` if it is missing (true when it did). An existing file is
    /// never rewritten here.
    pub(super) fn ensure_main_json(&self) -> Result<bool> {
        let path = self.main_json();
        if path.exists() {
            return Ok(false);
        }
        let _lock = self.lock_config()?;
        if path.exists() {
            return Ok(false);
        }
        let doc = json!({
            "version": "1.0",
            "created": timestamp::now(),
            "backends": {},
            "global_settings": settings::python_defaults(),
        });
        fsio::write_json(&path, &doc)?;
        Ok(true)
    }

    /// Reads `config/main.json` (which `open` created). A corrupt file is an error: we never
    /// write over it.
    pub(super) fn read_main(&self) -> Result<Map<String, Value>> {
        let path = self.main_json();
        fsio::read_json_object(&path)?.ok_or_else(|| StoreError::Corrupt {
            path,
            reason: "missing (it was removed while we ran)".into(),
        })
    }

    /// Read-modify-write of `config/main.json` that keeps what another program writes in
    /// between (see `fsio::update_json_object`). Caller holds the config lock (which keeps
    /// out our own writers; the Python library takes none).
    pub(super) fn update_main(
        &self,
        change: impl FnMut(&mut Map<String, Value>) -> Result<()>,
    ) -> Result<()> {
        let path = self.main_json();
        fsio::update_json_object(
            &path,
            || StoreError::Corrupt {
                path: path.clone(),
                reason: "missing (it was removed while we ran)".into(),
            },
            change,
        )
        .map(drop)
    }

    #[cfg(test)]
    pub(super) fn write_main(&self, main: Map<String, Value>) -> Result<()> {
        fsio::write_json(&self.main_json(), &Value::Object(main))
    }

    /// Every backend file, sorted by id, with the files that did not parse reported apart.
    pub fn list_backends(&self) -> Listing {
        let dir = self.backends_dir();
        let mut listing = Listing::default();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            // A home the library made may have no backend yet, nor the directory.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return listing,
            Err(err) => {
                listing.errors.push(StoreError::io(&dir, err));
                return listing;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    listing.errors.push(StoreError::io(&dir, err));
                    continue;
                }
            };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Temp files of an atomic write in progress end in `.tmp`, never `.json`.
            let Some(id) = name.strip_suffix(".json") else {
                continue;
            };
            if let Err(err) = names::check_backend_id(id) {
                listing.errors.push(StoreError::Corrupt {
                    path: entry.path(),
                    reason: format!("ignored: the file name is not a valid id ({err})"),
                });
                continue;
            }
            match self.read_backend_file(id) {
                Ok(Some(doc)) => listing.backends.push(doc),
                Ok(None) => {} // removed since read_dir
                Err(err) => listing.errors.push(err),
            }
        }
        listing.backends.sort_by(|a, b| a.id.cmp(&b.id));
        listing
    }

    fn read_backend_file(&self, id: &str) -> Result<Option<BackendDoc>> {
        let path = self.backend_path(id);
        match fsio::read_json_object(&path)? {
            Some(doc) => BackendDoc::parse(id, path, doc).map(Some),
            None => Ok(None),
        }
    }

    pub fn get_backend(&self, id: &str) -> Result<BackendDoc> {
        names::check_backend_id(id)?;
        self.read_backend_file(id)?
            .ok_or_else(|| StoreError::NotFound(id.to_string()))
    }

    /// `config/main.json`'s stamp (a change of settings or of the index), `None` without one.
    pub fn main_stamp(&self) -> Option<Stamp> {
        Stamp::of_path(&self.main_json())
    }

    /// The `backends/` directory's own stamp: every rename in it (an atomic write, an add, a
    /// removal) changes it, so one look says whether to look at every file.
    pub fn backends_dir_stamp(&self) -> Option<Stamp> {
        Stamp::of_path(&self.backends_dir())
    }

    /// What identifies each backend file's current version (for cheap change detection): its
    /// modification time, size and inode. Files with invalid ids are left out.
    pub fn backend_stamps(&self) -> Result<Vec<(String, Stamp)>> {
        let dir = self.backends_dir();
        let mut stamps = Vec::new();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(stamps),
            Err(err) => return Err(StoreError::io(&dir, err)),
        };
        for entry in entries {
            let Ok(entry) = entry else { continue };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let Some(id) = name.strip_suffix(".json") else {
                continue;
            };
            if names::check_backend_id(id).is_err() {
                continue;
            }
            if let Ok(meta) = entry.metadata() {
                stamps.push((id.to_string(), Stamp::of(&meta)));
            }
        }
        stamps.sort();
        Ok(stamps)
    }

    pub fn backend_exists(&self, id: &str) -> bool {
        names::check_backend_id(id).is_ok() && self.backend_path(id).exists()
    }

    /// Writes a new `backends/ID.json` with `config` (which must hold `type`) and indexes it.
    pub fn create_backend(&self, id: &str, config: Map<String, Value>) -> Result<BackendDoc> {
        names::check_new_backend_id(id)?;
        let _lock = self.lock_config()?;
        let path = self.backend_path(id);
        if path.exists() {
            return Err(StoreError::AlreadyExists(id.to_string()));
        }
        // Read the index first: if it is corrupt we stop before writing anything.
        self.read_main()?;
        let mut doc = Map::new();
        doc.insert("id".into(), Value::String(id.to_string()));
        doc.insert("updated".into(), Value::String(timestamp::now()));
        doc.insert("config".into(), Value::Object(config));
        let backend = BackendDoc::parse(id, path.clone(), doc)?;
        fsio::ensure_dir(&self.backends_dir())?;
        fsio::write_json(&path, &Value::Object(backend.doc.clone()))?;
        self.index_backend(id, Some(&backend))?;
        Ok(backend)
    }

    /// Merges `edits` into the backend's config, keeping every other key, and re-indexes it.
    /// Like `main.json`, the file is re-read and the edits applied again if another program
    /// rewrites it while we do.
    pub fn update_backend(&self, id: &str, edits: &[Edit]) -> Result<BackendDoc> {
        names::check_backend_id(id)?;
        let _lock = self.lock_config()?;
        let path = self.backend_path(id);
        // Read the index first: if it is corrupt we stop before writing anything.
        self.read_main()?;
        let doc = fsio::update_json_object(
            &path,
            || StoreError::NotFound(id.to_string()),
            |doc| {
                // Checked before anything is written: a file that lost its config is reported.
                check_shape(&path, doc)?;
                if let Some(Value::Object(config)) = doc.get_mut("config") {
                    for (field, value) in edits {
                        match value {
                            Some(value) => config.insert(field.clone(), value.clone()),
                            None => config.shift_remove(field),
                        };
                    }
                }
                doc.insert("updated".into(), Value::String(timestamp::now()));
                Ok(())
            },
        )?;
        let backend = BackendDoc::parse(id, path, doc)?;
        self.index_backend(id, Some(&backend))?;
        Ok(backend)
    }

    /// Removes `backends/ID.json` (even one that does not parse: the operator asked for it by
    /// name), its index entry and its cache directory.
    pub fn remove_backend(&self, id: &str) -> Result<()> {
        names::check_backend_id(id)?;
        let _lock = self.lock_config()?;
        let path = self.backend_path(id);
        if !path.exists() {
            return Err(StoreError::NotFound(id.to_string()));
        }
        self.read_main()?;
        fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
        fsio::sync_dir(&self.backends_dir())?;
        self.index_backend(id, None)?;
        self.remove_backend_cache(id)
    }

    /// Brings the whole `main.json` index in step with `backends/*.json`: entries added for files
    /// the index lacks (a crash between the two writes, or another tool), updated where their
    /// `type` or `enabled` differ, dropped where the file is gone. Files that do not parse keep
    /// their entry. Writes only when something is out of step.
    pub fn reindex(&self) -> Result<Listing> {
        // Look without the lock first: in the usual case nothing is out of step and the home
        // is left exactly as it was found.
        if self.index_in_step()? {
            return Ok(self.list_backends());
        }
        let _lock = self.lock_config()?;
        self.update_main(|main| {
            self.reconcile_index(main);
            Ok(())
        })?;
        Ok(self.list_backends())
    }

    /// Whether the index agrees with the backend files (timestamps aside).
    fn index_in_step(&self) -> Result<bool> {
        let main = self.read_main()?;
        let mut index = main.clone();
        self.reconcile_index(&mut index);
        Ok(index.get("backends") == main.get("backends"))
    }

    /// Reconciles `main`'s index with the backend files as they are now.
    pub(super) fn reconcile_index(&self, main: &mut Map<String, Value>) {
        let listing = self.list_backends();
        let unreadable = unreadable_paths(&listing);
        if let Some(index) = fsio::object_entry(main, "backends") {
            reconcile(index, &listing, &unreadable, |id| self.backend_path(id));
        }
    }

    /// Sets or removes one entry of the index, and brings the others in step while writing
    /// anyway (a file another tool added or removed). Caller holds the config lock.
    pub(super) fn index_backend(&self, id: &str, backend: Option<&BackendDoc>) -> Result<()> {
        self.update_main(|main| {
            if let Some(index) = fsio::object_entry(main, "backends") {
                match backend {
                    Some(backend) => {
                        let entry = backend.index_entry(index.get(id));
                        index.insert(id.to_string(), entry);
                    }
                    None => {
                        index.shift_remove(id);
                    }
                }
            }
            self.reconcile_index(main);
            Ok(())
        })
    }
}

fn unreadable_paths(listing: &Listing) -> Vec<PathBuf> {
    listing
        .errors
        .iter()
        .filter_map(|e| match e {
            StoreError::Corrupt { path, .. } => Some(path.clone()),
            _ => None,
        })
        .collect()
}

/// What every backend file must hold: a `config` object. (A config without `type` is valid:
/// the library indexes it as kind "unknown".)
fn check_shape(path: &std::path::Path, doc: &Map<String, Value>) -> Result<()> {
    match doc.get("config") {
        Some(Value::Object(_)) => Ok(()),
        _ => Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: "no \"config\" object".into(),
        }),
    }
}

/// Brings index entries in step with the backend files: entries for files that are gone are
/// dropped (unless the file is only unreadable), files the index lacks are added, and entries
/// whose `type` or `enabled` differ from their file are corrected. An entry whose only
/// difference is `updated` is left alone: the Python library stamps the index and the file
/// with two separate clock reads, so they always differ by a few microseconds, and rewriting
/// `main.json` for that races the library's own writes.
fn reconcile(
    index: &mut Map<String, Value>,
    listing: &Listing,
    unreadable: &[PathBuf],
    path_of: impl Fn(&str) -> PathBuf,
) {
    index.retain(|id, _| {
        listing.backends.iter().any(|b| &b.id == id) || unreadable.contains(&path_of(id))
    });
    for backend in &listing.backends {
        let current = index.get(&backend.id);
        let in_step = current.is_some_and(|entry| {
            entry.get("type").and_then(Value::as_str) == Some(backend.kind())
                && entry.get("enabled").and_then(Value::as_bool) == Some(backend.enabled())
        });
        if !in_step {
            let entry = backend.index_entry(current);
            index.insert(backend.id.clone(), entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let (store, report) = Store::open(dir.path().join("home")).unwrap();
        assert!(report.created);
        (dir, store)
    }

    fn config(kind: &str) -> Map<String, Value> {
        let mut config = Map::new();
        config.insert("type".into(), json!(kind));
        config.insert("enabled".into(), json!(true));
        config
    }

    #[test]
    fn create_update_remove_keep_index_in_step() {
        let (_dir, store) = store();
        store.create_backend("b1", config("local")).unwrap();
        assert!(matches!(
            store.create_backend("b1", config("local")),
            Err(StoreError::AlreadyExists(_))
        ));
        let updated = store
            .update_backend(
                "b1",
                &[
                    ("enabled".into(), Some(json!(false))),
                    ("path".into(), Some(json!("/x"))),
                ],
            )
            .unwrap();
        assert!(!updated.enabled());
        let main = store.read_main().unwrap();
        assert_eq!(main["backends"]["b1"]["enabled"], json!(false));
        assert_eq!(main["backends"]["b1"]["type"], json!("local"));
        store
            .update_backend("b1", &[("path".into(), None)])
            .unwrap();
        assert!(!store
            .get_backend("b1")
            .unwrap()
            .config()
            .contains_key("path"));
        store.remove_backend("b1").unwrap();
        assert!(matches!(
            store.get_backend("b1"),
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(store.read_main().unwrap()["backends"], json!({}));
    }

    #[test]
    fn reindex_repairs_missing_and_stale_entries() {
        let (_dir, store) = store();
        store.create_backend("keep", config("local")).unwrap();
        let mut main = store.read_main().unwrap();
        main["backends"] = json!({"ghost": {"type": "s3", "enabled": true}, "keep": {"type": "local", "enabled": true, "extra": 1}});
        store.write_main(main).unwrap();
        fs::write(
            store.backend_path("orphan"),
            r#"{"id":"orphan","updated":"2025-07-28T10:11:12","config":{"type":"ipfs","enabled":false}}"#,
        )
        .unwrap();
        store.reindex().unwrap();
        let index = &store.read_main().unwrap()["backends"];
        assert!(index.get("ghost").is_none());
        assert_eq!(index["orphan"]["enabled"], json!(false));
        assert_eq!(
            index["keep"]["extra"],
            json!(1),
            "unknown keys of an entry survive"
        );
    }

    #[test]
    fn corrupt_main_json_blocks_writes_and_is_not_touched() {
        let (_dir, store) = store();
        fs::write(store.main_json(), "{ broken").unwrap();
        let err = store.create_backend("b1", config("local")).unwrap_err();
        assert!(err.to_string().contains("main.json"), "{err}");
        assert!(!store.backend_path("b1").exists());
        assert_eq!(fs::read_to_string(store.main_json()).unwrap(), "{ broken");
    }
}
