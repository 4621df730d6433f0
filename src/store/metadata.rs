//! Timestamped metadata: `metadata/KEY.json` = `{"key", "value", "updated"}`. Reads give the
//! value with its age so callers can apply a TTL and tell fresh from stale.

use std::fs;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use super::error::{Result, StoreError};
use super::{fsio, names, timestamp, Store};

#[derive(Clone, Debug, PartialEq)]
pub struct MetadataEntry {
    pub key: String,
    pub value: Value,
    /// `None` when the file has no readable `updated`: its age is unknown.
    pub updated: Option<DateTime<FixedOffset>>,
}

impl MetadataEntry {
    pub fn age(&self) -> Option<Duration> {
        self.updated
            .as_ref()
            .map(|ts| Duration::from_secs_f64(timestamp::age_secs(ts)))
    }

    /// Fresh when younger than `ttl`. An entry of unknown age is never fresh.
    pub fn is_fresh(&self, ttl: Duration) -> bool {
        self.age().is_some_and(|age| age < ttl)
    }
}

#[derive(Debug, Default)]
pub struct CleanupReport {
    pub removed: Vec<String>,
    /// Files that could not be judged (unparsable, no timestamp): left in place.
    pub skipped: Vec<StoreError>,
}

impl Store {
    fn metadata_path(&self, key: &str) -> std::path::PathBuf {
        self.metadata_dir().join(format!("{key}.json"))
    }

    pub fn read_metadata(&self, key: &str) -> Result<Option<MetadataEntry>> {
        names::check_metadata_key(key)?;
        let path = self.metadata_path(key);
        let Some(doc) = fsio::read_json_object(&path)? else {
            return Ok(None);
        };
        Ok(Some(MetadataEntry {
            key: key.to_string(),
            value: doc.get("value").cloned().unwrap_or(Value::Null),
            updated: doc
                .get("updated")
                .and_then(Value::as_str)
                .and_then(timestamp::parse),
        }))
    }

    pub fn write_metadata(&self, key: &str, value: Value) -> Result<()> {
        names::check_metadata_key(key)?;
        let _lock = self.lock_metadata()?;
        let mut doc = Map::new();
        doc.insert("key".into(), Value::String(key.to_string()));
        doc.insert("value".into(), value);
        doc.insert("updated".into(), Value::String(timestamp::now()));
        fsio::write_json(&self.metadata_path(key), &Value::Object(doc))
    }

    pub fn remove_metadata(&self, key: &str) -> Result<bool> {
        names::check_metadata_key(key)?;
        let _lock = self.lock_metadata()?;
        let path = self.metadata_path(key);
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::io(path, e)),
        }
    }

    /// Removes metadata whose `updated` is older than `days`. Files that do not parse or carry
    /// no timestamp are reported and left alone: we cannot tell their age.
    pub fn cleanup_metadata(&self, days: u64) -> Result<CleanupReport> {
        let max_age = days as f64 * 86_400.0;
        let dir = self.metadata_dir();
        let _lock = self.lock_metadata()?;
        let mut report = CleanupReport::default();
        for entry in fs::read_dir(&dir).map_err(|e| StoreError::io(&dir, e))? {
            let entry = entry.map_err(|e| StoreError::io(&dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(key) = name
                .strip_suffix(".json")
                .filter(|_| !name.starts_with('.'))
            else {
                continue;
            };
            let path = entry.path();
            let updated = match fsio::read_json_object(&path) {
                Ok(Some(doc)) => doc
                    .get("updated")
                    .and_then(Value::as_str)
                    .and_then(timestamp::parse),
                Ok(None) => continue,
                Err(err) => {
                    report.skipped.push(err);
                    continue;
                }
            };
            match updated {
                Some(ts) if timestamp::age_secs(&ts) > max_age => {
                    fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
                    report.removed.push(key.to_string());
                }
                Some(_) => {}
                None => report.skipped.push(StoreError::Corrupt {
                    path,
                    reason: "no readable \"updated\" timestamp; left in place".into(),
                }),
            }
        }
        if !report.removed.is_empty() {
            fsio::sync_dir(&dir)?;
        }
        report.removed.sort();
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn write_read_age_and_cleanup() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        store
            .write_metadata("stats.b1", json!({"used": 5}))
            .unwrap();
        let entry = store.read_metadata("stats.b1").unwrap().unwrap();
        assert_eq!(entry.value, json!({"used": 5}));
        assert!(entry.is_fresh(Duration::from_secs(60)));
        assert!(!entry.is_fresh(Duration::ZERO));
        assert!(store.read_metadata("missing").unwrap().is_none());
        assert!(store.read_metadata("../etc/passwd").is_err());

        // As the Python library writes it: naive timestamp, 40 days old.
        let old = (chrono::Local::now() - chrono::Duration::days(40))
            .naive_local()
            .format("%Y-%m-%dT%H:%M:%S%.6f");
        fs::write(
            store.metadata_dir().join("old.json"),
            format!(r#"{{"key":"old","value":1,"updated":"{old}"}}"#),
        )
        .unwrap();
        fs::write(store.metadata_dir().join("broken.json"), "{").unwrap();
        let report = store.cleanup_metadata(30).unwrap();
        assert_eq!(report.removed, vec!["old".to_string()]);
        assert_eq!(report.skipped.len(), 1);
        assert!(store.metadata_dir().join("broken.json").exists());
        assert!(store.read_metadata("stats.b1").unwrap().is_some());
    }
}
