//! The store's side of `export` and `import`: the settings exactly as stored, and whole
//! backend documents written as given (their `updated` and key order kept), under one hold of
//! the config lock, each write atomic and indexed as every other write is. What a backup holds
//! and which fields are secret is not the store's business (see `crate::backup`).

use serde_json::{Map, Value};

use super::error::{Result, StoreError};
use super::{fsio, names, BackendDoc, Store};

impl Store {
    /// `global_settings` exactly as `config/main.json` holds it: every key, unknown ones too,
    /// invalid values as they are (no defaults filled in). Empty when the file has none.
    pub fn stored_global_settings(&self) -> Result<Map<String, Value>> {
        Ok(match self.read_main()?.shift_remove("global_settings") {
            Some(Value::Object(settings)) => settings,
            _ => Map::new(),
        })
    }

    /// Takes the config lock for a series of writes (an import): nobody of ours writes
    /// `main.json` or a backend file until the session is dropped. Read what the plan is
    /// made from through the session, so that it is what the writes apply to.
    pub fn restore_session(&self) -> Result<RestoreSession<'_>> {
        let lock = self.lock_config()?;
        // A corrupt index stops everything before anything is written.
        self.read_main()?;
        Ok(RestoreSession {
            store: self,
            _lock: lock,
        })
    }
}

/// The config lock, held while an import writes. See [`Store::restore_session`].
#[derive(Debug)]
pub struct RestoreSession<'a> {
    store: &'a Store,
    _lock: fsio::LockGuard,
}

impl RestoreSession<'_> {
    pub fn store(&self) -> &Store {
        self.store
    }

    /// Writes `backends/ID.json` with the document `build` returns, given what the file holds
    /// now (`None`: there is no file). The document is written as it is: no `updated` stamp
    /// of ours, key order kept. An existing file is replaced with the store's read-modify-write
    /// (`build` is called again on the new content if another program rewrites the file
    /// meanwhile); a file that does not parse is reported and left alone. The index entry in
    /// `main.json` is written apart ([`RestoreSession::index_backend`]), so that a caller can
    /// tell a file not written from a file written but not indexed.
    pub fn put_backend(
        &self,
        id: &str,
        mut build: impl FnMut(Option<&Map<String, Value>>) -> Result<Map<String, Value>>,
    ) -> Result<BackendDoc> {
        names::check_backend_id(id)?;
        let store = self.store;
        let path = store.backend_path(id);
        let mut replace = |current: &mut Map<String, Value>| {
            let doc = build(Some(current))?;
            check_config_object(&path, &doc)?;
            *current = doc;
            Ok(())
        };
        let replaced = if path.exists() {
            match fsio::update_json_object(
                &path,
                || StoreError::NotFound(id.to_string()),
                &mut replace,
            ) {
                Ok(doc) => Some(doc),
                // Removed since we looked: written anew below.
                Err(StoreError::NotFound(_)) => None,
                Err(err) => return Err(err),
            }
        } else {
            None
        };
        let doc = match replaced {
            Some(doc) => doc,
            None => {
                let doc = build(None)?;
                check_config_object(&path, &doc)?;
                fsio::ensure_dir(&store.backends_dir())?;
                fsio::write_json(&path, &Value::Object(doc.clone()))?;
                doc
            }
        };
        Ok(BackendDoc {
            id: id.to_string(),
            path,
            doc,
        })
    }

    /// Brings the backend's entry in `main.json` in step with its file (and the rest of the
    /// index with theirs, as every write of ours does).
    pub fn index_backend(&self, backend: &BackendDoc) -> Result<()> {
        self.store.index_backend(&backend.id, Some(backend))
    }

    /// Changes `global_settings` in `main.json` (one atomic write), keeping every other key of
    /// the file and what another program writes meanwhile, and brings the backend index in
    /// step in that write (an import of settings alone is a write like any other).
    pub fn update_global_settings(
        &self,
        mut change: impl FnMut(&mut Map<String, Value>),
    ) -> Result<()> {
        self.store.update_main(|main| {
            if let Some(settings) = fsio::object_entry(main, "global_settings") {
                change(settings);
            }
            self.store.reconcile_index(main);
            Ok(())
        })
    }
}

/// What every backend file must hold, as the store reads it: a `config` object.
fn check_config_object(path: &std::path::Path, doc: &Map<String, Value>) -> Result<()> {
    match doc.get("config") {
        Some(Value::Object(_)) => Ok(()),
        _ => Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: "refused to write a backend without a \"config\" object".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path().join("home")).unwrap();
        (dir, store)
    }

    fn doc(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_document_is_written_as_given_and_indexed() {
        let (_dir, store) = store();
        let given = doc(json!({
            "id": "my backend",
            "updated": "2025-07-28T10:11:12.123456",
            "config": {"type": "local", "path": "/tmp", "enabled": false, "zz": 1, "aa": 2},
            "extra": {"kept": true},
        }));
        let session = store.restore_session().unwrap();
        let written = session
            .put_backend("my backend", |current| {
                assert!(current.is_none());
                Ok(given.clone())
            })
            .unwrap();
        session.index_backend(&written).unwrap();
        drop(session);
        let bytes = std::fs::read(store.backend_path("my backend")).unwrap();
        assert_eq!(
            bytes,
            fsio::to_json_bytes(&Value::Object(given.clone())).unwrap()
        );
        let index = &store.read_main().unwrap()["backends"]["my backend"];
        assert_eq!(index["enabled"], json!(false));
        assert_eq!(index["type"], json!("local"));
        assert_eq!(index["updated"], json!("2025-07-28T10:11:12.123456"));
    }

    #[test]
    fn replacing_sees_the_current_file_and_a_corrupt_one_is_left_alone() {
        let (_dir, store) = store();
        store
            .create_backend("b1", doc(json!({"type": "local", "path": "/a"})))
            .unwrap();
        let session = store.restore_session().unwrap();
        session
            .put_backend("b1", |current| {
                let current = current.unwrap();
                assert_eq!(current["config"]["path"], json!("/a"));
                Ok(doc(
                    json!({"id": "b1", "updated": "x", "config": {"type": "ipfs"}}),
                ))
            })
            .unwrap();
        assert_eq!(store.get_backend("b1").unwrap().kind(), "ipfs");
        std::fs::write(store.backend_path("b1"), "{ broken").unwrap();
        let err = session
            .put_backend("b1", |_| Ok(doc(json!({"config": {}}))))
            .unwrap_err();
        assert!(err.to_string().contains("b1.json"), "{err}");
        assert_eq!(
            std::fs::read_to_string(store.backend_path("b1")).unwrap(),
            "{ broken"
        );
        let err = session
            .put_backend("b2", |_| Ok(doc(json!({"id": "b2"}))))
            .unwrap_err();
        assert!(err.to_string().contains("config"), "{err}");
        assert!(!store.backend_path("b2").exists());
    }

    #[test]
    fn settings_are_read_as_stored_and_changed_in_place() {
        let (_dir, store) = store();
        let mut main = store.read_main().unwrap();
        main["global_settings"] = json!({"refresh_secs": "five", "custom": [1]});
        store.write_main(main).unwrap();
        let stored = store.stored_global_settings().unwrap();
        assert_eq!(
            Value::Object(stored),
            json!({"refresh_secs": "five", "custom": [1]})
        );
        let session = store.restore_session().unwrap();
        session
            .update_global_settings(|settings| {
                settings.insert("refresh_secs".into(), json!(7));
            })
            .unwrap();
        assert_eq!(
            store.read_main().unwrap()["global_settings"],
            json!({"refresh_secs": 7, "custom": [1]})
        );
    }
}
