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
    /// Takes the lock, waiting at most `wait` for another holder to let go. `waiting` is set
    /// while we wait (a screen shows "waiting for another writer"), and cleared after.
    pub fn acquire(
        path: &Path,
        wait: std::time::Duration,
        waiting: &std::sync::atomic::AtomicBool,
    ) -> Result<LockGuard> {
        use std::sync::atomic::Ordering;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(FILE_MODE)
            .open(path)
            .map_err(|e| StoreError::io(path, e))?;
        let started = std::time::Instant::now();
        let result = loop {
            match file.try_lock() {
                Ok(()) => break Ok(()),
                Err(fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                    waiting.store(true, Ordering::Relaxed);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(fs::TryLockError::WouldBlock) => {
                    break Err(StoreError::LockTimeout {
                        path: path.to_path_buf(),
                        waited_secs: wait.as_secs(),
                    })
                }
                Err(fs::TryLockError::Error(e)) => break Err(StoreError::io(path, e)),
            }
        };
        waiting.store(false, Ordering::Relaxed);
        result.map(|()| LockGuard {
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
    Ok(read_json_object_stamped(path)?.map(|read| read.doc))
}

/// A JSON object file as read, with the stamp it had while it was read and an open handle on
/// the file read (to notice a writer that still writes into it after we replaced it).
#[derive(Debug)]
pub struct StampedRead {
    pub doc: serde_json::Map<String, serde_json::Value>,
    pub stamp: super::Stamp,
    file: File,
}

/// `read_json_object`, keeping the stamp the file had while it was read (unchanged from
/// before the read to after it) for a later conditional replace.
pub fn read_json_object_stamped(path: &Path) -> Result<Option<StampedRead>> {
    let mut pauses = REREAD_PAUSES_MS.iter();
    loop {
        let mut file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io(path, e)),
        };
        let (parsed, stamp, moved) = read_open_file(path, &mut file)?;
        let unfinished = match &parsed {
            Err(err) => err.is_eof() || moved,
            Ok(_) => moved,
        };
        match pauses.next() {
            Some(ms) if unfinished => std::thread::sleep(std::time::Duration::from_millis(*ms)),
            _ => {
                return json_object(path, parsed)
                    .map(|doc| doc.map(|doc| StampedRead { doc, stamp, file }))
            }
        }
    }
}

/// Reads an open file from its start: what it parses to, its stamp before the read, and
/// whether it changed during the read or the path now names another file.
fn read_open_file(
    path: &Path,
    file: &mut File,
) -> Result<(
    std::result::Result<serde_json::Value, serde_json::Error>,
    super::Stamp,
    bool,
)> {
    use std::io::{Read, Seek};
    let stamp_of = |file: &File| {
        file.metadata()
            .map(|m| super::Stamp::of(&m))
            .map_err(|e| StoreError::io(path, e))
    };
    let before = stamp_of(file)?;
    let mut bytes = Vec::with_capacity(usize::try_from(before.size).unwrap_or(0) + 1);
    file.rewind()
        .and_then(|()| file.read_to_end(&mut bytes))
        .map_err(|e| StoreError::io(path, e))?;
    let after = stamp_of(file)?;
    let replaced = super::Stamp::of_path(path).map(|s| s.inode) != Some(before.inode);
    let parsed = serde_json::from_slice::<serde_json::Value>(&bytes);
    Ok((parsed, before, after != before || replaced))
}

/// How many times a read-modify-write starts over because another program changed the file
/// between our read and our rename, before it gives up (with pauses: about 3 s in all).
const REPLACE_ATTEMPTS: u32 = 24;

/// Read-modify-write of a JSON object file that other programs may write at any moment, in
/// place and without a lock (the Python library does). `change` is applied to what the file
/// holds; just before our rename the file's stamp (inode, size, mtime) is checked again, and
/// if it moved, the file is read again and `change` applied again to the new content, so that
/// nothing written in between is lost. A writer that opened the file in the instant between
/// that check and the rename writes into the file we replaced: that is noticed afterwards
/// through our handle on it, and its content is taken up the same way.
/// `None` from the read (the file is missing) is an error the caller names.
pub fn update_json_object<F>(
    path: &Path,
    missing: impl Fn() -> StoreError,
    mut change: F,
) -> Result<serde_json::Map<String, serde_json::Value>>
where
    F: FnMut(&mut serde_json::Map<String, serde_json::Value>) -> Result<()>,
{
    let dir = path
        .parent()
        .ok_or_else(|| StoreError::io(path, std::io::Error::other("no parent directory")))?;
    let mut taken_up: Option<StampedRead> = None;
    for attempt in 0..REPLACE_ATTEMPTS {
        let read = match taken_up.take() {
            Some(read) => read,
            None => read_json_object_stamped(path)?.ok_or_else(&missing)?,
        };
        let StampedRead {
            mut doc,
            stamp,
            file: mut old,
        } = read;
        change(&mut doc)?;
        let bytes = to_json_bytes(&serde_json::Value::Object(doc.clone()))
            .map_err(|e| StoreError::io(path, e))?;
        let temp = write_temp(dir, path, &bytes)?;
        temp.as_file()
            .sync_all()
            .map_err(|e| StoreError::io(temp.path(), e))?;
        if super::Stamp::of_path(path) != Some(stamp) {
            drop(temp);
            pause_before_retry(attempt);
            continue;
        }
        temp.persist(path)
            .map_err(|e| StoreError::io(path, e.error))?;
        sync_dir(dir)?;
        let late_write = old
            .metadata()
            .map(|m| super::Stamp::of(&m) != stamp)
            .unwrap_or(false);
        if !late_write {
            return Ok(doc);
        }
        // Someone wrote into the file we just replaced: wait for their write to end, then
        // apply our change to what they wrote and replace our own file with that.
        taken_up = take_up_late_write(path, &mut old)?;
        if taken_up.is_none() {
            return Ok(doc);
        }
    }
    Err(StoreError::KeptChanging {
        path: path.to_path_buf(),
    })
}

/// The content a late writer left in a file we replaced, as the base of our next attempt,
/// stamped with the stamp of the file now at `path` (ours). `None` if it never parsed: then
/// there is nothing whole to take up and our file stands.
fn take_up_late_write(path: &Path, old: &mut File) -> Result<Option<StampedRead>> {
    let mut pauses = REREAD_PAUSES_MS.iter();
    loop {
        // The path names our file now, so only the parse tells whether their write is whole.
        let (parsed, _, _) = read_open_file(path, old)?;
        match parsed {
            Ok(serde_json::Value::Object(doc)) => {
                let Some(current) = File::open(path).ok() else {
                    return Ok(None);
                };
                let stamp = current
                    .metadata()
                    .map(|m| super::Stamp::of(&m))
                    .map_err(|e| StoreError::io(path, e))?;
                return Ok(Some(StampedRead {
                    doc,
                    stamp,
                    file: current,
                }));
            }
            _ => match pauses.next() {
                Some(ms) => std::thread::sleep(std::time::Duration::from_millis(*ms)),
                None => return Ok(None),
            },
        }
    }
}

/// Short, growing, jittered pauses, so that two writers that collided do not collide again.
fn pause_before_retry(attempt: u32) {
    let base = 5u64 << attempt.min(5);
    let ms = base + fastrand::u64(0..=base);
    std::thread::sleep(std::time::Duration::from_millis(ms));
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

/// The object under `key` in `doc`, made an empty one if it is missing or not an object (we
/// write a well-formed file; what was there instead could not be kept as it was anyway).
pub(super) fn object_entry<'a>(
    doc: &'a mut serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<&'a mut serde_json::Map<String, serde_json::Value>> {
    use serde_json::{Map, Value};
    let entry = doc.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    entry.as_object_mut()
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

/// The last whole lines of a file within its last `max_bytes` (nothing when it cannot be read):
/// the end of a history or a timeline without reading the whole file.
pub(super) fn read_tail(path: &Path, max_bytes: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let from = length.saturating_sub(max_bytes);
    let mut bytes = Vec::new();
    if file.seek(SeekFrom::Start(from)).is_err() || file.read_to_end(&mut bytes).is_err() {
        return String::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    // A read from the middle starts with the end of a line: skip it.
    match (from > 0, text.find('\n')) {
        (true, Some(end)) => text[end + 1..].to_string(),
        (true, None) => String::new(),
        (false, _) => text.into_owned(),
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
    fn a_change_made_between_our_read_and_our_rename_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("main.json");
        fs::write(&path, r#"{"global_settings": {"python": 1}}"#).unwrap();
        let mut calls = 0;
        let written = update_json_object(
            &path,
            || StoreError::NotFound("main".into()),
            |doc| {
                calls += 1;
                if calls == 1 {
                    // Another program writes in place, as the library does, after our read.
                    fs::write(&path, r#"{"global_settings": {"python": 1, "python2": 2}}"#)
                        .unwrap();
                }
                doc["global_settings"]["ours"] = serde_json::json!(3);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(calls, 2, "our change is applied again to the new content");
        let on_disk: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            on_disk["global_settings"],
            serde_json::json!({"python": 1, "python2": 2, "ours": 3})
        );
        assert_eq!(on_disk, serde_json::Value::Object(written));
    }

    #[test]
    fn a_held_lock_is_waited_for_then_given_up_with_a_clear_error() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".lock");
        let waiting = AtomicBool::new(false);
        let held = LockGuard::acquire(&path, std::time::Duration::ZERO, &waiting).unwrap();
        let started = std::time::Instant::now();
        let err =
            LockGuard::acquire(&path, std::time::Duration::from_millis(300), &waiting).unwrap_err();
        assert!(started.elapsed() >= std::time::Duration::from_millis(300));
        assert!(err.to_string().contains("another writer holds"), "{err}");
        assert!(!waiting.load(Ordering::Relaxed), "cleared after giving up");
        drop(held);
        LockGuard::acquire(&path, std::time::Duration::ZERO, &waiting).unwrap();
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
