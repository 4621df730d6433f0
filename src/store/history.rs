//! Each backend's history file (`cache/ID/history.ndjson`): read whole here, appended to and
//! replaced through [`Store::write_batch`] (`BatchWrite::AppendHistory`, `ReplaceHistory`).
//! The store deals in the file's bytes; what a line holds is the engine's
//! (`monitor::history`).

use std::path::PathBuf;

use super::error::Result;
use super::Store;

impl Store {
    /// A backend's history file.
    pub(super) fn history_path(&self, id: &str) -> Result<PathBuf> {
        Ok(self.backend_cache_dir(id)?.join("history.ndjson"))
    }

    /// The text of a backend's history file: empty when it has none yet (or it cannot be
    /// read: a chart without its past is better than none).
    pub fn read_history(&self, id: &str) -> String {
        self.history_path(id)
            .ok()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default()
    }

    /// The last whole lines of a backend's history file within its last `max_bytes`: the
    /// recent points, without reading 30 days of them.
    pub fn read_history_tail(&self, id: &str, max_bytes: u64) -> String {
        self.history_path(id)
            .map(|path| super::fsio::read_tail(&path, max_bytes))
            .unwrap_or_default()
    }
}
