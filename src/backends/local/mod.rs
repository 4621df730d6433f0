//! `local`: a directory on this machine. Capacity from statvfs; files from a bounded walk.

use super::schema::{DefaultValue, FieldSpec, FieldType};

pub const DESCRIPTION: &str = "a directory on this machine";

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("path", FieldType::AbsPath, "the directory to watch").required(),
    FieldSpec::new(
        "max_files",
        FieldType::UInt {
            min: 1,
            max: 100_000_000,
        },
        "files counted per inventory run; a bigger tree is counted over several runs",
    )
    .default(DefaultValue::UInt(100_000)),
];

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::kind::Config;
use crate::probe::{required, Budget, ProbeContext, ProbeError, TestRun};
use crate::stats::{Figures, Files, InventoryRun, Measurement, Storage};

const DEFAULT_MAX_FILES: u64 = 100_000;

/// The `local` kind.
pub struct Local;

// Pulse: One statvfs; no walk.
super::kind::backend_kind!(
    Local,
    "local",
    pulse_requests: 1,
    inventory: inventory,
    write_check: write_check,
);

/// Where the backend lives, for lists.
fn target(config: &Config) -> String {
    crate::probe::field(config, "path")
        .unwrap_or("?")
        .to_string()
}

/// Capacity of the filesystem that holds `path`, with its identity (`fs:DEVICE:FSID`, from
/// stat and statvfs): directories of one filesystem are one filesystem in every total,
/// whatever their figures (a live disk's figures change between two polls).
fn capacity(path: &Path) -> Result<(Storage, Map<String, Value>), ProbeError> {
    use std::os::unix::fs::MetadataExt;
    let device = std::fs::metadata(path)
        .map_err(|e| io_error(path, e))?
        .dev();
    let fs = nix::sys::statvfs::statvfs(path).map_err(|e| io_error(path, e.desc()))?;
    let unit = fs.fragment_size() as u64;
    let total = fs.blocks() as u64 * unit;
    let free = fs.blocks_free() as u64 * unit;
    let available = fs.blocks_available() as u64 * unit;
    let mut vital = Map::new();
    vital.insert("inodes".into(), json!(fs.files() as u64));
    vital.insert("inodes_free".into(), json!(fs.files_free() as u64));
    vital.insert(
        "read_only".into(),
        json!(fs.flags().contains(nix::sys::statvfs::FsFlags::ST_RDONLY)),
    );
    let storage = Storage::filesystem(
        Some(total),
        Some(total.saturating_sub(free)),
        Some(available),
    )
    .with_identity(format!("fs:{device:x}:{:x}", fs.filesystem_id()));
    Ok((storage, vital))
}

fn io_error(path: &Path, detail: impl std::fmt::Display) -> ProbeError {
    ProbeError::Io {
        path: crate::probe::clean(&path.to_string_lossy()),
        detail: crate::probe::clean(&detail.to_string()),
    }
}

/// Where a walk stopped, to go on from there in the next run: the first file not yet counted
/// (paths are kept as hex bytes, so any file name survives) and the totals so far.
#[derive(Debug, Default, Serialize, Deserialize)]
struct WalkResume {
    from_hex: String,
    count: u64,
    bytes: u64,
    largest: Option<u64>,
}

fn to_hex(path: &Path) -> String {
    path.as_os_str()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn from_hex(hex: &str) -> Option<PathBuf> {
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    Some(PathBuf::from(OsStr::from_bytes(&bytes?)))
}

/// How a walk ended.
struct Walked {
    files: Files,
    /// Where to go on, when the budget ran out first.
    resume: Option<WalkResume>,
}

/// Counts regular files under `root` (not following links, not leaving its filesystem) in a
/// fixed order (sorted by name), going on after `resume` when given, until `max_files` files
/// were counted in this run or `deadline` passes. A directory that cannot be read makes the
/// figures lower bounds (partial).
fn walk(root: &Path, resume: Option<WalkResume>, max_files: u64, deadline: Instant) -> Walked {
    let resume = resume.unwrap_or_default();
    let from = from_hex(&resume.from_hex).filter(|p| !p.as_os_str().is_empty());
    let (mut count, mut bytes, mut largest) = (resume.count, resume.bytes, resume.largest);
    let mut unreadable = false;
    let mut this_run = 0u64;
    let mut stopped_at: Option<PathBuf> = None;
    let mut entries = walkdir::WalkDir::new(root)
        .same_file_system(true)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = entries.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(_) => {
                unreadable = true;
                continue;
            }
        };
        if let Some(from) = &from {
            // Sorted pre-order: everything before `from` in path order was counted by an
            // earlier run. Skip it, whole directories at once unless they lead to `from`.
            let path = entry.path();
            if path < from.as_path() {
                if entry.file_type().is_dir() && !from.starts_with(path) {
                    entries.skip_current_dir();
                }
                continue;
            }
        }
        if !entry.file_type().is_file() {
            continue;
        }
        // The budget is checked before a file is counted, so that a tree of exactly
        // `max_files` files is complete, not cut. The clock is read every 256 files.
        if this_run >= max_files || (this_run.is_multiple_of(256) && Instant::now() >= deadline) {
            stopped_at = Some(entry.path().to_path_buf());
            break;
        }
        let size = match entry.metadata() {
            Ok(meta) => meta.len(),
            Err(_) => {
                unreadable = true;
                continue;
            }
        };
        count += 1;
        bytes += size;
        largest = Some(largest.map_or(size, |l| l.max(size)));
        this_run += 1;
    }
    let resume = stopped_at.map(|path| WalkResume {
        from_hex: to_hex(&path),
        count,
        bytes,
        largest,
    });
    Walked {
        files: Files {
            count: Some(count),
            bytes: Some(bytes),
            largest,
            partial: unreadable || resume.is_some(),
            as_of: None,
        },
        resume,
    }
}

fn settings(config: &Map<String, Value>) -> Result<(PathBuf, u64), ProbeError> {
    let path = PathBuf::from(required(config, "path")?);
    let max_files = config
        .get("max_files")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_MAX_FILES);
    Ok((path, max_files))
}

fn check_dir(path: &Path) -> Result<(), ProbeError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    if meta.is_dir() {
        Ok(())
    } else {
        Err(io_error(path, "is not a directory"))
    }
}

/// The directory exists and its filesystem's capacity: one stat and one statvfs.
async fn pulse(_ctx: &ProbeContext, config: &Config) -> Result<Measurement, ProbeError> {
    let (path, _) = settings(config)?;
    // A hung network mount blocks these calls: keep them off the async threads.
    tokio::task::spawn_blocking(move || {
        check_dir(&path)?;
        let (storage, vital) = capacity(&path)?;
        Ok(Measurement {
            storage,
            vital,
            ..Measurement::default()
        })
    })
    .await
    .map_err(|e| ProbeError::Other(format!("statvfs stopped: {e}")))?
}

/// Walks the directory, `max_files` files a run at most, going on where the last run stopped.
async fn inventory(
    _ctx: &ProbeContext,
    config: &Config,
    resume: Option<Value>,
    budget: &Budget,
) -> Result<InventoryRun, ProbeError> {
    let (path, max_files) = settings(config)?;
    let resume = resume.and_then(|v| serde_json::from_value::<WalkResume>(v).ok());
    let deadline = Instant::now() + budget.remaining();
    tokio::task::spawn_blocking(move || {
        check_dir(&path)?;
        let started = Instant::now();
        let walked = walk(&path, resume, max_files, deadline);
        let mut vital = Map::new();
        vital.insert(
            "walk_ms".into(),
            json!(started.elapsed().as_millis() as u64),
        );
        let complete = walked.resume.is_none() && !walked.files.partial;
        Ok(InventoryRun {
            figures: Figures {
                files: walked.files,
                vital,
                ..Figures::default()
            },
            complete,
            resume: walked.resume.and_then(|r| serde_json::to_value(r).ok()),
            requests: 0,
            failed: Vec::new(),
        })
    })
    .await
    .map_err(|e| ProbeError::Other(format!("the walk stopped: {e}")))?
}

/// The opt-in write check: a 64-byte file with a name of its own in the directory, read back,
/// compared and removed (removed even when the comparison fails).
async fn write_check(
    _ctx: &ProbeContext,
    config: &Config,
    run: &mut TestRun,
) -> Result<(), ProbeError> {
    use std::io::Write;
    let (dir, _) = settings(config)?;
    let name = format!(
        ".ipfs-kit-tui-write-check-{}-{:016x}",
        std::process::id(),
        fastrand::u64(..)
    );
    let path = dir.join(&name);
    let bytes: Vec<u8> = (0..64).map(|_| fastrand::u8(..)).collect();
    run.step(
        "write: put a 64-byte file",
        async {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| io_error(&path, e))?;
            file.write_all(&bytes)
                .and_then(|()| file.sync_all())
                .map_err(|e| io_error(&path, e))
        },
        |()| name.clone(),
    )
    .await?;
    let compared = run
        .step(
            "read back: the same 64 bytes",
            async {
                let read = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
                crate::probe::same_bytes(&read, &bytes)
            },
            |()| "identical".into(),
        )
        .await;
    run.step(
        "delete: remove the file",
        async { std::fs::remove_file(&path).map_err(|e| io_error(&path, e)) },
        |()| "removed".into(),
    )
    .await?;
    compared
}

async fn test(_ctx: &ProbeContext, config: &Config, run: &mut TestRun) -> Result<(), ProbeError> {
    let (path, _) = settings(config)?;
    let shown = path.display().to_string();
    run.step(
        "reachable: directory exists",
        async { check_dir(&path) },
        |_| shown.clone(),
    )
    .await?;
    run.step(
        "read: list the directory",
        async {
            let mut entries = std::fs::read_dir(&path).map_err(|e| io_error(&path, e))?;
            Ok(entries.next().is_some())
        },
        |any| {
            if *any {
                "readable".into()
            } else {
                "readable (empty)".into()
            }
        },
    )
    .await?;
    run.step(
        "capacity: statvfs",
        async {
            let (storage, vital) = capacity(&path)?;
            match storage.available {
                // A full filesystem refuses every write: the test says so, it does not pass.
                Some(free) if free < crate::stats::FILESYSTEM_ROOM_BYTES => Err(io_error(
                    &path,
                    format!(
                        "no space left: {} free of {} (a write needs at least {})",
                        crate::text::bytes(free),
                        storage.total.map(crate::text::bytes).unwrap_or_default(),
                        crate::text::bytes(crate::stats::FILESYSTEM_ROOM_BYTES)
                    ),
                )),
                _ => Ok((storage, vital)),
            }
        },
        |(storage, _)| match (storage.used, storage.available) {
            // Used and free of what is usable, the disk apart, as the detail says it.
            (Some(used), Some(available)) => {
                crate::text::filesystem_space(used, available, storage.total)
            }
            _ => format!(
                "{} free of {}",
                storage
                    .available
                    .map(crate::text::bytes)
                    .unwrap_or_default(),
                storage.total.map(crate::text::bytes).unwrap_or_default()
            ),
        },
    )
    .await?;
    Ok(())
}
