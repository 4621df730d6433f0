//! The console's own log file, `logs/ipfs-kit-tui.log`: one line per change, rotated at 1 MiB
//! with one old file kept, so it stays under 2 MiB. Callers never pass secret values here.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::fsio::FILE_MODE;
use super::timestamp;

pub const LOG_FILE: &str = "ipfs-kit-tui.log";
const ROTATE_AT_BYTES: u64 = 1024 * 1024;

pub fn log_path(logs_dir: &Path) -> PathBuf {
    logs_dir.join(LOG_FILE)
}

/// Appends one line. A log that cannot be written must not fail the operation it records, so
/// the error is returned for the caller to mention, not to act on.
pub fn append(logs_dir: &Path, level: &str, message: &str) -> std::io::Result<()> {
    let path = log_path(logs_dir);
    if fs::metadata(&path)
        .map(|m| m.len() >= ROTATE_AT_BYTES)
        .unwrap_or(false)
    {
        fs::rename(&path, logs_dir.join(format!("{LOG_FILE}.1")))?;
    }
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(FILE_MODE)
        .open(&path)?;
    // One write call per line: O_APPEND keeps lines from two processes whole.
    let line = format!(
        "{} {level} {}\n",
        timestamp::now(),
        crate::text::sanitize(message, 2000)
    );
    file.write_all(line.as_bytes())
}
