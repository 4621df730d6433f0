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
        "stop counting files after this many (the count is then reported as partial)",
    )
    .default(DefaultValue::UInt(100_000)),
];

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Map, Value};

use crate::probe::{required, ProbeContext, ProbeError, TestRun};
use crate::stats::{Files, Measurement, Storage};

const DEFAULT_MAX_FILES: u64 = 100_000;

/// Capacity of the filesystem that holds `path`.
fn capacity(path: &Path) -> Result<(Storage, Map<String, Value>), ProbeError> {
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
    Ok((
        Storage::new(
            Some(total),
            Some(total.saturating_sub(free)),
            Some(available),
        ),
        vital,
    ))
}

fn io_error(path: &Path, detail: impl std::fmt::Display) -> ProbeError {
    ProbeError::Io {
        path: crate::probe::clean(&path.to_string_lossy()),
        detail: crate::probe::clean(&detail.to_string()),
    }
}

/// Counts regular files under `root` (not following links, not leaving its filesystem), up to
/// `max_files` or `deadline`; past either, or when a directory cannot be read, the figures are
/// lower bounds and marked partial.
fn walk(root: &Path, max_files: u64, deadline: Instant) -> Files {
    let mut files = Files {
        count: Some(0),
        bytes: Some(0),
        largest: None,
        partial: false,
    };
    let (mut count, mut bytes, mut largest) = (0u64, 0u64, None::<u64>);
    for entry in walkdir::WalkDir::new(root).same_file_system(true) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(_) => {
                files.partial = true;
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let size = match entry.metadata() {
            Ok(meta) => meta.len(),
            Err(_) => {
                files.partial = true;
                continue;
            }
        };
        count += 1;
        bytes += size;
        largest = Some(largest.map_or(size, |l| l.max(size)));
        // The clock is read every 256 files: cheap enough, and fine-grained enough.
        if count >= max_files || (count.is_multiple_of(256) && Instant::now() >= deadline) {
            files.partial = true;
            break;
        }
    }
    files.count = Some(count);
    files.bytes = Some(bytes);
    files.largest = largest;
    files
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

pub async fn measure(
    ctx: &ProbeContext,
    config: &Map<String, Value>,
) -> Result<Measurement, ProbeError> {
    let (path, max_files) = settings(config)?;
    let timeout = ctx.timeout;
    // Walking is blocking filesystem work: keep it off the async threads.
    tokio::task::spawn_blocking(move || {
        check_dir(&path)?;
        let (storage, mut vital) = capacity(&path)?;
        let started = Instant::now();
        let files = walk(&path, max_files, started + timeout);
        vital.insert(
            "walk_ms".into(),
            json!(started.elapsed().as_millis() as u64),
        );
        Ok(Measurement {
            degraded: None,
            storage,
            files,
            quota: Default::default(),
            vital,
        })
    })
    .await
    .map_err(|e| ProbeError::Other(format!("the walk stopped: {e}")))?
}

pub async fn test(
    _ctx: &ProbeContext,
    config: &Map<String, Value>,
    run: &mut TestRun,
) -> Result<(), ProbeError> {
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
        async { capacity(&path) },
        |(storage, _)| {
            format!(
                "{} free of {}",
                storage
                    .available
                    .map(crate::text::bytes)
                    .unwrap_or_default(),
                storage.total.map(crate::text::bytes).unwrap_or_default()
            )
        },
    )
    .await?;
    Ok(())
}
