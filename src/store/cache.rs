//! Each backend's cache directory (`cache/ID/`): the inventory lock that keeps one run per
//! backend at a time across processes, and forgetting what is kept of a removed backend (its
//! stats, inventory and test result, its history). The history file in it is `history.rs`'s.

use std::fs::{self, File};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use super::error::{Result, StoreError};
use super::{fsio, names, Store};

/// A backend's inventory lock (an `flock` on `cache/ID/inventory.lock`), held until dropped.
#[derive(Debug)]
pub struct InventoryLock {
    _file: File,
}

impl Store {
    /// A backend's cache directory (the id must be a single safe file name).
    pub(super) fn backend_cache_dir(&self, id: &str) -> Result<PathBuf> {
        names::check_backend_id(id)?;
        Ok(self.cache_dir().join(id))
    }

    /// Takes a backend's inventory lock without waiting: `None` while another run (in this
    /// process or another) holds it.
    pub fn try_lock_inventory(&self, id: &str) -> Result<Option<InventoryLock>> {
        let dir = self.backend_cache_dir(id)?;
        fsio::ensure_dir(&dir)?;
        let path = dir.join("inventory.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(fsio::FILE_MODE)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(InventoryLock { _file: file })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(StoreError::io(&path, e)),
        }
    }

    /// Removes a backend's cache directory (its history, its inventory lock), if it has one.
    pub(super) fn remove_backend_cache(&self, id: &str) -> Result<()> {
        let cache = self.backend_cache_dir(id)?;
        match fs::remove_dir_all(&cache) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(StoreError::io(&cache, err)),
        }
    }

    /// Deletes what is kept of a backend besides its config: its stats, inventory and test
    /// result, its maintenance window, and its cache directory (history, inventory lock), so that nothing of it comes
    /// back and a new backend with the same id starts clean. What cannot be deleted is said in
    /// the log: a leftover of a removed backend is harmless.
    pub fn forget_backend(&self, id: &str) {
        for key in [
            names::stats_key(id),
            names::inventory_key(id),
            names::test_key(id),
        ] {
            if let Err(err) = self.remove_metadata(&key) {
                self.log("WARNING", &format!("cannot remove {key}: {err}"));
            }
        }
        if let Err(err) = self.end_maintenance(id) {
            self.log(
                "WARNING",
                &format!("cannot end the maintenance window of '{id}': {err}"),
            );
        }
        // The error names the directory: "cannot remove PATH: REASON".
        if let Err(err) = self.remove_backend_cache(id) {
            self.log("WARNING", &format!("cannot remove {err}"));
        }
    }
}
