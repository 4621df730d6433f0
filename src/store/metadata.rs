//! Timestamped metadata: `metadata/KEY.json` = `{"key", "value", "updated"}`. Reads give the
//! value with its age so callers can apply a TTL and tell fresh from stale.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
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

/// Says why a metadata file old enough to go must stay (its key and document), or `None`.
pub type KeepRule<'a> = dyn Fn(&str, &Map<String, Value>) -> Option<&'static str> + 'a;

#[derive(Debug, Default)]
pub struct CleanupReport {
    pub removed: Vec<String>,
    /// Old enough, but kept because the caller still needs them (active alerts, the stats of
    /// a backend that exists): key and why.
    pub kept: Vec<(String, &'static str)>,
    /// Files that could not be judged (unparsable, no timestamp): left in place.
    pub skipped: Vec<StoreError>,
}

/// How far back from its end a line file is read to find its last whole line.
const TORN_TAIL_SCAN: u64 = 64 * 1024;

/// One write of a coalesced batch (see [`Store::write_batch`]).
#[derive(Clone, Debug)]
pub enum BatchWrite {
    /// `metadata/KEY.json` replaced with this value.
    Metadata { key: String, value: Value },
    /// A backend's history file replaced with these lines (a compaction).
    ReplaceHistory { id: String, bytes: Vec<u8> },
    /// Lines appended to a backend's history file (created 0600 if missing).
    AppendHistory { id: String, bytes: Vec<u8> },
    /// Events appended to a backend's timeline (`cache/ID/events.ndjson`, created 0600).
    AppendEvents { id: String, bytes: Vec<u8> },
    /// A backend's timeline cut to its newest `keep` events younger than `max_age_secs`: done
    /// after the batch's appends, reading the file under the lock (see `timeline.rs`).
    CompactEvents {
        id: String,
        keep: usize,
        max_age_secs: u64,
    },
}

fn metadata_doc(key: &str, value: Value) -> Value {
    let mut doc = Map::new();
    doc.insert("key".into(), Value::String(key.to_string()));
    doc.insert("value".into(), value);
    doc.insert("updated".into(), Value::String(timestamp::now()));
    Value::Object(doc)
}

/// A batch that did not all land: why, and the writes that did not happen (to be tried again;
/// nothing of them is on disk, not even part of one).
#[derive(Debug)]
pub struct BatchFailure {
    pub error: StoreError,
    pub unwritten: Vec<BatchWrite>,
}

impl Store {
    /// Writes many files with one filesystem sync in total, whatever their number: new contents
    /// go to temp files, appends are made, one `syncfs` makes all of it durable, then the temp
    /// files are renamed over their targets. A crash leaves each file old or new, never torn.
    /// What cannot be written (a full disk, a read-only one) is handed back whole in
    /// `BatchFailure::unwritten`: a replacement that failed left the old file, an append that
    /// failed was cut back to where it started (a line is appended whole or not at all), so
    /// the caller may try them again without writing anything twice. The renames become
    /// durable with the next batch's sync; `sync_now` makes them durable at once (on shutdown).
    pub fn write_batch(&self, writes: Vec<BatchWrite>) -> Result<(), BatchFailure> {
        if writes.is_empty() {
            return Ok(());
        }
        let _lock = match self.lock_metadata() {
            Ok(lock) => lock,
            Err(error) => {
                return Err(BatchFailure {
                    error,
                    unwritten: writes,
                })
            }
        };
        // Every replacement to a temp file first: if one cannot be written (the disk is
        // full), nothing has changed yet, and everything is handed back.
        let mut replacements = Vec::new();
        let mut appends = Vec::new();
        let mut compactions = Vec::new();
        let mut first_error = None;
        for write in writes {
            match write {
                BatchWrite::AppendHistory { .. } | BatchWrite::AppendEvents { .. } => {
                    appends.push(write)
                }
                BatchWrite::CompactEvents { .. } => compactions.push(write),
                other => match self.temp_for(&other) {
                    Ok((temp, path)) => replacements.push((temp, path, other)),
                    Err(error) => {
                        first_error.get_or_insert(error);
                        replacements.push((None, PathBuf::new(), other));
                    }
                },
            }
        }
        if let Some(error) = first_error {
            let mut unwritten: Vec<BatchWrite> =
                replacements.into_iter().map(|(_, _, w)| w).collect();
            unwritten.extend(appends);
            unwritten.extend(compactions);
            return Err(BatchFailure { error, unwritten });
        }
        let mut unwritten = Vec::new();
        let mut first_error: Option<StoreError> = None;
        for write in appends {
            let appended = match &write {
                BatchWrite::AppendHistory { id, bytes } => self
                    .history_path(id)
                    .and_then(|path| self.append_whole(&path, bytes)),
                BatchWrite::AppendEvents { id, bytes } => self
                    .events_path(id)
                    .and_then(|path| self.append_whole(&path, bytes)),
                _ => Ok(()),
            };
            if let Err(error) = appended {
                first_error.get_or_insert(error);
                unwritten.push(write);
            }
        }
        if let Err(error) = self.sync_now() {
            // Not durable: the replacements are not made (their old files stand); the appends
            // are in the files already and are not written twice.
            unwritten.extend(replacements.into_iter().map(|(_, _, w)| w));
            unwritten.extend(compactions);
            return Err(BatchFailure {
                error: first_error.unwrap_or(error),
                unwritten,
            });
        }
        for (temp, path, write) in replacements {
            let Some(temp) = temp else { continue };
            if let Err(err) = temp.persist(&path) {
                first_error.get_or_insert(StoreError::io(&path, err.error));
                unwritten.push(write);
            }
        }
        // After the appends (a compaction reads what they wrote), under the same lock.
        for write in compactions {
            if let BatchWrite::CompactEvents {
                id,
                keep,
                max_age_secs,
            } = &write
            {
                if let Err(error) = self.compact_events_locked(id, *keep, *max_age_secs) {
                    first_error.get_or_insert(error);
                    unwritten.push(write);
                }
            }
        }
        match first_error {
            None => Ok(()),
            Some(error) => Err(BatchFailure { error, unwritten }),
        }
    }

    /// The temp file holding a replacement's new content, and the file it replaces.
    fn temp_for(&self, write: &BatchWrite) -> Result<(Option<tempfile::NamedTempFile>, PathBuf)> {
        let (path, bytes) = match write {
            BatchWrite::Metadata { key, value } => {
                names::check_metadata_key(key)?;
                let bytes = fsio::to_json_bytes(&metadata_doc(key, value.clone()))
                    .map_err(|e| StoreError::io(self.metadata_path(key), e))?;
                (self.metadata_path(key), bytes)
            }
            BatchWrite::ReplaceHistory { id, bytes } => (self.history_path(id)?, bytes.clone()),
            BatchWrite::AppendHistory { id, .. } => {
                return Err(StoreError::io(
                    self.history_path(id)?,
                    std::io::Error::other("an append has no temp file"),
                ))
            }
            BatchWrite::AppendEvents { id, .. } | BatchWrite::CompactEvents { id, .. } => {
                return Err(StoreError::io(
                    self.events_path(id)?,
                    std::io::Error::other("a timeline write has no temp file"),
                ))
            }
        };
        let dir = self.dir_in_home(&path)?;
        fsio::ensure_dir(&dir)?;
        let temp = fsio::write_temp(&dir, &path, &bytes)?;
        Ok((Some(temp), path))
    }

    /// The directory of `path`, which must be inside the home.
    fn dir_in_home(&self, path: &std::path::Path) -> Result<PathBuf> {
        if !path.starts_with(&self.home) {
            return Err(StoreError::io(
                path,
                std::io::Error::other("outside the home directory"),
            ));
        }
        path.parent()
            .map(std::path::Path::to_path_buf)
            .ok_or_else(|| StoreError::io(path, std::io::Error::other("no parent directory")))
    }

    /// Appends `bytes` (whole lines) to a line file, or nothing: a write that fails half-way
    /// (the disk filled) is cut back to where it started. A torn last line left by an earlier
    /// crash is cut off first, so that the new lines never glue onto it.
    pub(super) fn append_whole(&self, path: &std::path::Path, bytes: &[u8]) -> Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let dir = self.dir_in_home(path)?;
        fsio::ensure_dir(&dir)?;
        let mut file = fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .mode(fsio::FILE_MODE)
            .open(path)
            .map_err(|e| StoreError::io(path, e))?;
        let mut length = file.metadata().map_err(|e| StoreError::io(path, e))?.len();
        let mut separate = false;
        if length > 0 {
            // Where the last whole line ends: a line is short, so a small tail tells.
            let tail_len = length.min(TORN_TAIL_SCAN);
            let mut tail = vec![0u8; usize::try_from(tail_len).unwrap_or(0)];
            file.seek(SeekFrom::Start(length - tail_len))
                .and_then(|_| file.read_exact(&mut tail))
                .map_err(|e| StoreError::io(path, e))?;
            if tail.last() != Some(&b'\n') {
                let kept = match tail.iter().rposition(|b| *b == b'\n') {
                    Some(end) => length - tail_len + end as u64 + 1,
                    // A file of one torn line.
                    None if tail_len == length => 0,
                    // A torn line longer than any we write: ended here, so that it stays a
                    // line of its own (which readers skip) instead of swallowing ours.
                    None => {
                        separate = true;
                        length
                    }
                };
                if kept < length {
                    file.set_len(kept).map_err(|e| StoreError::io(path, e))?;
                    length = kept;
                }
            }
        }
        let written = if separate {
            file.write_all(b"\n").and_then(|()| file.write_all(bytes))
        } else {
            file.write_all(bytes)
        };
        if let Err(err) = written {
            // Nothing half-written stays: the line would be torn, or glued to the next one.
            let _ = file.set_len(length);
            return Err(StoreError::io(path, err));
        }
        Ok(())
    }

    /// One `syncfs` of the filesystem that holds the home.
    pub fn sync_now(&self) -> Result<()> {
        let dir = fs::File::open(&self.home).map_err(|e| StoreError::io(&self.home, e))?;
        nix::unistd::syncfs(&dir).map_err(|e| StoreError::io(&self.home, std::io::Error::from(e)))
    }

    fn metadata_path(&self, key: &str) -> PathBuf {
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
        fsio::write_json(&self.metadata_path(key), &metadata_doc(key, value))
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

    /// Removes the hidden temp files that writers killed mid-write left behind (older than
    /// `min_age`, so that a write in progress is never touched). Returns how many went.
    pub fn sweep_temp_files(&self, min_age: Duration) -> usize {
        let mut removed = 0;
        for dir in [self.config_dir(), self.backends_dir(), self.metadata_dir()] {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !(name.starts_with('.') && name.ends_with(".tmp")) {
                    continue;
                }
                let old_enough = entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age >= min_age);
                if old_enough && fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        removed
    }

    /// Removes metadata whose `updated` is older than `days`. Files that do not parse or carry
    /// no timestamp are reported and left alone: we cannot tell their age.
    pub fn cleanup_metadata(&self, days: u64, keep: &KeepRule<'_>) -> Result<CleanupReport> {
        let max_age = days as f64 * 86_400.0;
        let dir = self.metadata_dir();
        let _lock = self.lock_metadata()?;
        let mut report = CleanupReport::default();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(report),
            Err(e) => return Err(StoreError::io(&dir, e)),
        };
        for entry in entries {
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
                Ok(Some(doc)) => {
                    let updated = doc
                        .get("updated")
                        .and_then(Value::as_str)
                        .and_then(timestamp::parse);
                    let old = updated.is_some_and(|ts| timestamp::age_secs(&ts) > max_age);
                    if let Some(reason) = keep(key, &doc).filter(|_| old) {
                        report.kept.push((key.to_string(), reason));
                        continue;
                    }
                    updated
                }
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
    fn a_torn_last_line_is_cut_off_before_an_append_never_glued_onto() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let path = store.cache_dir().join("b/history.ndjson");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let append = |bytes: &[u8]| {
            store
                .write_batch(vec![BatchWrite::AppendHistory {
                    id: "b".into(),
                    bytes: bytes.to_vec(),
                }])
                .unwrap()
        };
        // A crash (or a full disk, before this) left half a line at the end.
        fs::write(&path, "[1,1.5]\n[2,1.5]\n[3,1.").unwrap();
        append(b"[4,2.5]\n");
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "[1,1.5]\n[2,1.5]\n[4,2.5]\n"
        );
        // A file of one torn line goes whole.
        fs::write(&path, "[1,1.").unwrap();
        append(b"[5,1.0]\n");
        assert_eq!(fs::read_to_string(&path).unwrap(), "[5,1.0]\n");
        // A torn line longer than the tail looked at is ended, not glued onto.
        let long = format!("[6,{}", "9".repeat(70_000));
        fs::write(&path, format!("[5,1.0]\n{long}")).unwrap();
        append(b"[7,1.0]\n");
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.ends_with(&format!("{long}\n[7,1.0]\n")));
    }

    #[test]
    fn a_batch_that_cannot_land_hands_back_everything_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        store.write_metadata("stats.a", json!(1)).unwrap();
        let history = store.cache_dir().join("a/history.ndjson");
        // A replacement whose directory cannot be made (a file stands where it would be).
        fs::write(store.cache_dir().join("blocked"), "").unwrap();
        let failure = store
            .write_batch(vec![
                BatchWrite::Metadata {
                    key: "stats.a".into(),
                    value: json!(2),
                },
                BatchWrite::ReplaceHistory {
                    id: "blocked".into(),
                    bytes: b"[1,1.0]\n".to_vec(),
                },
                BatchWrite::AppendHistory {
                    id: "a".into(),
                    bytes: b"[1,1.0]\n".to_vec(),
                },
            ])
            .unwrap_err();
        assert_eq!(failure.unwritten.len(), 3, "{failure:?}");
        assert_eq!(
            store.read_metadata("stats.a").unwrap().unwrap().value,
            json!(1)
        );
        assert!(!history.exists(), "no append made before the batch failed");
    }

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
        let report = store.cleanup_metadata(30, &|_, _| None).unwrap();
        assert_eq!(report.removed, vec!["old".to_string()]);
        assert_eq!(report.skipped.len(), 1);
        assert!(store.metadata_dir().join("broken.json").exists());
        assert!(store.read_metadata("stats.b1").unwrap().is_some());
    }

    #[test]
    fn batch_writes_replace_and_append_inside_the_home_only() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let history = store.cache_dir().join("b1").join("history.ndjson");
        store
            .write_batch(vec![
                BatchWrite::Metadata {
                    key: "stats.b1".into(),
                    value: json!(1),
                },
                BatchWrite::AppendHistory {
                    id: "b1".into(),
                    bytes: b"[1,2,3]\n".to_vec(),
                },
            ])
            .unwrap();
        store
            .write_batch(vec![
                BatchWrite::Metadata {
                    key: "stats.b1".into(),
                    value: json!(2),
                },
                BatchWrite::AppendHistory {
                    id: "b1".into(),
                    bytes: b"[2,2,3]\n".to_vec(),
                },
            ])
            .unwrap();
        assert_eq!(
            store.read_metadata("stats.b1").unwrap().unwrap().value,
            json!(2)
        );
        assert_eq!(fs::read_to_string(&history).unwrap(), "[1,2,3]\n[2,2,3]\n");
        let outside = BatchWrite::ReplaceHistory {
            id: "../../elsewhere".into(),
            bytes: vec![],
        };
        assert!(store.write_batch(vec![outside]).is_err());
        let hidden = fs::read_dir(store.metadata_dir())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        assert_eq!(hidden, 0, "no temp files left behind");
    }
}
