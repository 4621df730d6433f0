//! `metrics --textfile DIR`: the exposition written to `DIR/ipfs_kit.prom` for
//! node_exporter's textfile collector, atomically (a reader sees the old file or the new one,
//! never half of one).

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The file written in the directory (the collector reads `*.prom`).
pub const FILE_NAME: &str = "ipfs_kit.prom";

/// Why the file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TextfileError {
    #[error("--textfile: {} is not a directory (it must exist)", .0.display())]
    NotADirectory(PathBuf),
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Checks that `dir` is a directory this process can create files in.
pub fn check_dir(dir: &Path) -> Result<(), TextfileError> {
    if !dir.is_dir() {
        return Err(TextfileError::NotADirectory(dir.to_path_buf()));
    }
    temp_file(dir).map(drop)
}

/// A temporary file in `dir` whose name the collector ignores (it reads only `*.prom`).
fn temp_file(dir: &Path) -> Result<tempfile::NamedTempFile, TextfileError> {
    tempfile::Builder::new()
        .prefix(".ipfs_kit.prom.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|source| TextfileError::Write {
            path: dir.to_path_buf(),
            source,
        })
}

/// Writes `text` to `dir/ipfs_kit.prom`: a temporary file in the same directory, mode 0644,
/// synced, renamed over the old one, then the directory synced. Returns the file's path.
pub fn write(dir: &Path, text: &str) -> Result<PathBuf, TextfileError> {
    let path = dir.join(FILE_NAME);
    let failed = |source| TextfileError::Write {
        path: path.clone(),
        source,
    };
    let mut file = temp_file(dir)?;
    file.write_all(text.as_bytes()).map_err(failed)?;
    // The collector may run as another user: the file is readable by all (it holds no secret).
    file.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(failed)?;
    file.as_file().sync_all().map_err(failed)?;
    file.persist(&path).map_err(|e| failed(e.error))?;
    // The rename itself survives a crash once the directory is synced.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(failed)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_replaces_the_old_one_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a 1\n").unwrap();
        let path = write(dir.path(), "a 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a 2\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [FILE_NAME]);
    }

    #[test]
    fn a_missing_directory_is_named() {
        let err = check_dir(Path::new("/nonexistent/ipfs-kit-textfile")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--textfile: /nonexistent/ipfs-kit-textfile is not a directory (it must exist)"
        );
    }
}
