//! The console's own log file, `logs/ipfs-kit-tui.log`: one line per change, rotated at 1 MiB
//! with one old file kept, so it stays under 2 MiB. Callers never pass secret values here.
//!
//! This process's recent lines are also kept in memory (`Recent`), whether or not they could be
//! written: the console's log view shows them, so that a home whose disk is full (where the log
//! cannot be written either) still says what went wrong.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::fsio::FILE_MODE;
use super::timestamp;

pub const LOG_FILE: &str = "ipfs-kit-tui.log";
/// Lines of this process kept in memory for the log view.
pub const RECENT_LINES: usize = 200;

/// One line as logged by this process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// RFC 3339.
    pub at: String,
    pub level: String,
    pub message: String,
    /// Why it could not be written to the log file, if it could not.
    pub unwritten: Option<String>,
}

/// This process's recent log lines, newest last, at most `RECENT_LINES`.
#[derive(Debug, Default)]
pub struct Recent {
    lines: std::sync::Mutex<std::collections::VecDeque<LogLine>>,
    /// The terminal belongs to the console: a log that cannot be written is not said on
    /// standard error (it would be drawn over the screen), only kept here.
    quiet: std::sync::atomic::AtomicBool,
}

impl Recent {
    pub fn push(&self, line: LogLine) {
        let mut lines = self
            .lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        lines.push_back(line);
        while lines.len() > RECENT_LINES {
            lines.pop_front();
        }
    }

    pub fn lines(&self) -> Vec<LogLine> {
        self.lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    pub fn set_quiet(&self, quiet: bool) {
        self.quiet
            .store(quiet, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn is_quiet(&self) -> bool {
        self.quiet.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The last lines of the log file (and its rotated one, if the current is short), oldest
/// first, at most `limit`: what earlier runs and other processes logged.
pub fn tail(logs_dir: &Path, limit: usize) -> std::io::Result<Vec<String>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut lines = Vec::new();
    for name in [LOG_FILE.to_string(), format!("{LOG_FILE}.1")] {
        if lines.len() >= limit {
            break;
        }
        let mut file = match fs::File::open(logs_dir.join(&name)) {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err),
        };
        let length = file.metadata()?.len();
        // A line is at most a few hundred bytes: this holds `limit` of them.
        let window = (limit as u64 * 512).min(length);
        file.seek(SeekFrom::Start(length - window))?;
        let mut bytes = Vec::new();
        file.take(window).read_to_end(&mut bytes)?;
        let text = String::from_utf8_lossy(&bytes);
        let mut these: Vec<String> = text.lines().map(str::to_string).collect();
        if window < length && !these.is_empty() {
            // The first line may be cut where the window starts.
            these.remove(0);
        }
        let room = limit - lines.len();
        let keep = these.len().saturating_sub(room);
        these.drain(..keep);
        these.append(&mut lines);
        lines = these;
    }
    Ok(lines)
}
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
