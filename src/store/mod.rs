//! The metadata-first store: the only code that touches `~/.ipfs_kit`. Files are laid out exactly
//! as the Python `ipfs_kit_py` library lays them out, so both share one setup.

mod cache;
mod config;
pub mod dashboard;
pub mod error;
pub mod fsio;
mod history;
mod home;
pub mod log;
pub mod maintenance;
mod metadata;
pub mod names;
mod restore;
pub mod settings;
mod timeline;
pub mod timestamp;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use cache::InventoryLock;
pub use config::{BackendDoc, Edit, Listing, Stamp, UNKNOWN_KIND};
pub use dashboard::{ForeignBackend, ForeignListing, ForeignSource};
pub use error::{Result, StoreError};
pub use home::resolve_home;
pub use maintenance::Maintenance;
pub use metadata::{BatchFailure, BatchWrite, CleanupReport, MetadataEntry};
pub use restore::RestoreSession;
pub use settings::{SettingSpec, Settings, Thresholds, SETTINGS};

/// How long a writer waits for another one to let go of the store's lock, unless told.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(30);

/// A handle on one home directory. Cheap to clone; holds no open files.
#[derive(Clone, Debug)]
pub struct Store {
    home: PathBuf,
    lock_wait: Duration,
    /// Set while a write of this handle (or a clone) waits for another writer's lock.
    waiting: Arc<AtomicBool>,
    /// This process's recent log lines (for the console's log view), shared by clones.
    recent_log: Arc<log::Recent>,
}

/// What `Store::open` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenReport {
    /// `config/main.json` did not exist and was created now: a first run (the home may have
    /// existed, empty, e.g. made by `mkdir` for `--home`).
    pub created: bool,
}

impl Store {
    /// Opens the home. A home that holds `config/main.json` is left exactly as it is (a
    /// read-only command must not even create a directory in a home the Python library made);
    /// the directories a write needs are made when it happens. A new home gets
    /// `config/ backends/ metadata/ cache/ logs/` (0700) and `config/main.json`.
    pub fn open(home: impl Into<PathBuf>) -> Result<(Store, OpenReport)> {
        let store = Store {
            home: home.into(),
            lock_wait: DEFAULT_LOCK_WAIT,
            waiting: Arc::new(AtomicBool::new(false)),
            recent_log: Arc::new(log::Recent::default()),
        };
        if store.main_json().is_file() {
            return Ok((store, OpenReport { created: false }));
        }
        fsio::ensure_dir(&store.home)?;
        for dir in [
            store.config_dir(),
            store.backends_dir(),
            store.metadata_dir(),
            store.cache_dir(),
            store.logs_dir(),
        ] {
            fsio::ensure_dir(&dir)?;
        }
        let created = store.ensure_main_json()?;
        Ok((store, OpenReport { created }))
    }

    /// The same store, whose writes give up after waiting `wait` for another writer's lock.
    pub fn with_lock_wait(mut self, wait: Duration) -> Store {
        self.lock_wait = wait;
        self
    }

    /// Whether a write is waiting for another writer (another console, the CLI) to finish.
    pub fn waiting_for_writer(&self) -> bool {
        self.waiting.load(Ordering::Relaxed)
    }

    pub fn home(&self) -> &Path {
        &self.home
    }
    pub fn config_dir(&self) -> PathBuf {
        self.home.join("config")
    }
    pub fn main_json(&self) -> PathBuf {
        self.config_dir().join("main.json")
    }
    pub fn backends_dir(&self) -> PathBuf {
        self.home.join("backends")
    }
    pub fn backend_path(&self, id: &str) -> PathBuf {
        self.backends_dir().join(format!("{id}.json"))
    }
    pub fn metadata_dir(&self) -> PathBuf {
        self.home.join("metadata")
    }
    pub fn cache_dir(&self) -> PathBuf {
        self.home.join("cache")
    }
    pub fn logs_dir(&self) -> PathBuf {
        self.home.join("logs")
    }

    /// Serialises read-modify-write of `config/main.json` and `backends/*.json`.
    fn lock_config(&self) -> Result<fsio::LockGuard> {
        fsio::ensure_dir(&self.config_dir())?;
        fsio::LockGuard::acquire(
            &self.config_dir().join(".lock"),
            self.lock_wait,
            &self.waiting,
        )
    }

    /// Serialises metadata writes against cleanup.
    fn lock_metadata(&self) -> Result<fsio::LockGuard> {
        fsio::ensure_dir(&self.metadata_dir())?;
        fsio::LockGuard::acquire(
            &self.metadata_dir().join(".lock"),
            self.lock_wait,
            &self.waiting,
        )
    }

    /// Appends a line to the log file. Never pass secret values.
    pub fn log(&self, level: &str, message: &str) {
        let appended = fsio::ensure_dir(&self.logs_dir())
            .map_err(std::io::Error::other)
            .and_then(|_| log::append(&self.logs_dir(), level, message));
        let unwritten = appended.err().map(|err| {
            format!(
                "cannot write the log in {}: {err}",
                self.logs_dir().display()
            )
        });
        if let Some(reason) = &unwritten {
            if !self.recent_log.is_quiet() {
                eprintln!("warning: {reason}");
            }
        }
        self.recent_log.push(log::LogLine {
            at: timestamp::now(),
            level: level.to_string(),
            message: crate::text::sanitize(message, 2000),
            unwritten,
        });
    }

    /// This process's recent log lines, oldest first, each saying whether it reached the file.
    pub fn recent_log(&self) -> Vec<log::LogLine> {
        self.recent_log.lines()
    }

    /// The last `limit` lines of the log file (earlier runs and other processes too).
    pub fn log_tail(&self, limit: usize) -> std::io::Result<Vec<String>> {
        log::tail(&self.logs_dir(), limit)
    }

    /// The console owns the terminal: a log that cannot be written is kept for its log view,
    /// not printed on standard error (over the screen).
    pub fn log_quietly(&self) {
        self.recent_log.set_quiet(true);
    }
}
