//! The two primitives every write goes through: an atomic replace and an advisory lock.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::error::{Result, StoreError};

pub const FILE_MODE: u32 = 0o600;
pub const DIR_MODE: u32 = 0o700;

/// Replaces `path` with `bytes` so that a reader (or a crash) sees the old file or the new one,
/// never a mix: temp file in the same directory, fsync, rename over, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| StoreError::io(path, std::io::Error::other("no parent directory")))?;
    // Hidden name: the Python library and our own listings skip it.
    let temp = write_temp(dir, path, bytes)?;
    temp.as_file()
        .sync_all()
        .map_err(|e| StoreError::io(temp.path(), e))?;
    temp.persist(path)
        .map_err(|e| StoreError::io(path, e.error))?;
    sync_dir(dir)
}

/// Writes `bytes` to a new hidden temp file next to `target`, without syncing it: the caller
/// syncs (one `syncfs` for a whole batch) and then renames it over `target`.
pub fn write_temp(dir: &Path, target: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile> {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(FILE_MODE))
        .tempfile_in(dir)
        .map_err(|e| StoreError::io(dir, e))?;
    temp.write_all(bytes)
        .map_err(|e| StoreError::io(temp.path(), e))?;
    Ok(temp)
}

/// Makes a rename or unlink in `dir` durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io(dir, e))
}

/// Creates `dir` (and parents) with mode 0700 if it does not exist. Existing directories keep
/// their mode: they may be the Python library's, and changing them is not ours to do.
pub fn ensure_dir(dir: &Path) -> Result<bool> {
    if dir.is_dir() {
        return Ok(false);
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
        .map_err(|e| StoreError::io(dir, e))?;
    Ok(true)
}

/// An exclusive advisory lock (`flock`) held until dropped. Every read-modify-write of a shared
/// file happens under one, so two consoles and the CLI never lose each other's updates.
/// std's `File::lock` is `flock(2)` on Linux, the same lock Python's `fcntl.flock` takes.
#[derive(Debug)]
pub struct LockGuard {
    file: File,
    path: PathBuf,
}

impl LockGuard {
    pub fn acquire(path: &Path) -> Result<LockGuard> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(FILE_MODE)
            .open(path)
            .map_err(|e| StoreError::io(path, e))?;
        file.lock().map_err(|e| StoreError::io(path, e))?;
        Ok(LockGuard {
            file,
            path: path.to_path_buf(),
        })
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Closing the file releases the lock anyway; unlocking first just makes it prompt.
        if let Err(err) = self.file.unlock() {
            eprintln!("warning: {}: unlock failed: {err}", self.path.display());
        }
    }
}

/// Reads a file, `None` when it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io(path, e)),
    }
}

/// Pauses before reading a file again that looked half-written: about a second in all.
const REREAD_PAUSES_MS: [u64; 6] = [25, 50, 100, 200, 300, 325];

/// Reads and parses a JSON object file. The Python library writes in place (truncate, then
/// write in chunks), so a file that is empty, ends early, or changed while we read it is a
/// passing state: it is read again, with short pauses (about a second in all), before it is
/// called corrupt. A file that does not parse, or is not an object, is then reported as
/// corrupt and never touched.
pub fn read_json_object(path: &Path) -> Result<Option<serde_json::Map<String, serde_json::Value>>> {
    let mut pauses = REREAD_PAUSES_MS.iter();
    loop {
        let before = super::Stamp::of_path(path);
        let Some(bytes) = read_optional(path)? else {
            return Ok(None);
        };
        let parsed = serde_json::from_slice::<serde_json::Value>(&bytes);
        let moved = super::Stamp::of_path(path) != before;
        let unfinished = match &parsed {
            Err(err) => err.is_eof() || moved,
            Ok(_) => moved,
        };
        match pauses.next() {
            Some(ms) if unfinished => std::thread::sleep(std::time::Duration::from_millis(*ms)),
            _ => return json_object(path, parsed),
        }
    }
}

fn json_object(
    path: &Path,
    parsed: std::result::Result<serde_json::Value, serde_json::Error>,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>> {
    match parsed {
        Ok(serde_json::Value::Object(map)) => Ok(Some(map)),
        Ok(other) => Err(StoreError::Corrupt {
            path: path.to_path_buf(),
            reason: format!("expected a JSON object, found {}", json_kind(&other)),
        }),
        Err(err) => Err(StoreError::from_json(path, &err)),
    }
}

pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let bytes = to_json_bytes(value).map_err(|e| StoreError::io(path, e))?;
    write_atomic(path, &bytes)
}

/// JSON as the Python library writes it (`json.dump`, `ensure_ascii`): indented, and every
/// non-ASCII character escaped as `\uXXXX`, so that a reader in any locale can read it (a
/// Python process in an ASCII locale cannot read raw UTF-8, reads `{}`, and its next save
/// wipes the file).
pub fn to_json_bytes<T: serde::Serialize>(value: &T) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(256);
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut bytes, AsciiPretty(PrettyFormatter::new()));
    value
        .serialize(&mut serializer)
        .map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    Ok(bytes)
}

use serde_json::ser::{Formatter, PrettyFormatter};

/// serde_json's pretty layout, with non-ASCII characters in strings escaped.
struct AsciiPretty<'a>(PrettyFormatter<'a>);

impl Formatter for AsciiPretty<'_> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut units = [0u16; 2];
        for part in fragment.split_inclusive(|c: char| !c.is_ascii()) {
            let (ascii, last) = match part.chars().last() {
                Some(c) if !c.is_ascii() => (&part[..part.len() - c.len_utf8()], Some(c)),
                _ => (part, None),
            };
            writer.write_all(ascii.as_bytes())?;
            if let Some(c) = last {
                for unit in c.encode_utf16(&mut units) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
        }
        Ok(())
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

pub fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_sets_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }

    #[test]
    fn json_is_written_with_ascii_escapes_as_python_does() {
        let value = serde_json::json!({"name": "café ☃ 𝄞", "plain": "a\"b", "n": [1, 2]});
        let bytes = to_json_bytes(&value).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.is_ascii(), "{text}");
        // What Python's json.dumps("café ☃ 𝄞") writes, surrogate pair included.
        assert!(
            text.contains(r#""caf\u00e9 \u2603 \ud834\udd1e""#),
            "{text}"
        );
        assert!(text.contains(r#""a\"b""#), "{text}");
        let back: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn a_file_being_written_in_place_is_read_again_not_called_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("main.json");
        fs::write(&path, "").unwrap();
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || {
                // As the library does: the file is empty, then half there, then whole.
                std::thread::sleep(std::time::Duration::from_millis(60));
                fs::write(&path, "{\"backends\": {\"a\"").unwrap();
                std::thread::sleep(std::time::Duration::from_millis(120));
                fs::write(&path, "{\"backends\": {\"a\": 1}}").unwrap();
            })
        };
        let read = read_json_object(&path).unwrap().unwrap();
        writer.join().unwrap();
        assert_eq!(read["backends"]["a"], 1);
        // One that stays cut short is corrupt after about a second, never rewritten.
        fs::write(&path, "{\"backends\": ").unwrap();
        let err = read_json_object(&path).unwrap_err().to_string();
        assert!(err.contains("main.json"), "{err}");
        assert_eq!(fs::read(&path).unwrap(), b"{\"backends\": ");
    }

    #[test]
    fn corrupt_json_is_reported_with_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        fs::write(&path, "{\n  \"id\": \"x\",\n  oops\n}").unwrap();
        let err = read_json_object(&path).unwrap_err().to_string();
        assert!(err.contains("x.json"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        fs::write(&path, "[1]").unwrap();
        let err = read_json_object(&path).unwrap_err().to_string();
        assert!(
            err.contains("expected a JSON object, found an array"),
            "{err}"
        );
    }
}
