//! Errors of the on-disk store. Each names the file (or id) concerned so a person can act on it.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A backend id or metadata key that cannot become a file name.
    #[error("invalid {what} '{value}': {reason}")]
    InvalidName {
        what: &'static str,
        value: String,
        reason: String,
    },
    /// A file exists but is not the JSON we expect. It is reported and left untouched.
    #[error("{}: {}", path.display(), reason)]
    Corrupt { path: PathBuf, reason: String },
    #[error("backend '{0}' does not exist")]
    NotFound(String),
    #[error("backend '{0}' already exists")]
    AlreadyExists(String),
    #[error("{}: {}", path.display(), source)]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Another program rewrote the file every time we were about to replace it.
    #[error("{}: kept changing while we tried to write it (another program rewrites it continuously); nothing was changed, try again", path.display())]
    KeptChanging { path: PathBuf },
    /// Another writer held the store's lock for longer than we wait.
    #[error("another writer holds {} (waited {waited_secs} s); nothing was changed, try again", path.display())]
    LockTimeout { path: PathBuf, waited_secs: u64 },
    #[error("cannot find the home directory: set IPFS_KIT_HOME or pass --home")]
    NoHomeDir,
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }

    /// Builds the report for a JSON file that does not parse: path, line, column and reason.
    pub(crate) fn from_json(path: impl Into<PathBuf>, err: &serde_json::Error) -> Self {
        let reason = if err.line() > 0 {
            // serde_json's Display already ends in "at line L column C".
            format!("does not parse: {err}")
        } else {
            format!(
                "does not parse: {err} (line {} column {})",
                err.line(),
                err.column()
            )
        };
        StoreError::Corrupt {
            path: path.into(),
            reason,
        }
    }

    /// True when the error is about what the caller asked for (exit code 2), not the machine.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            StoreError::InvalidName { .. } | StoreError::NotFound(_) | StoreError::AlreadyExists(_)
        )
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
