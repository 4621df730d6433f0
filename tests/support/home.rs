//! Helpers for the tests that run the real binary against a home directory: running it with a
//! clean environment, and snapshotting a home to prove that nothing on disk changed.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_ipfs-kit-tui");

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from_output(output: Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics (with everything the binary printed) unless it exited 0.
    pub fn ok(self) -> Run {
        assert_eq!(self.code, Some(0), "expected success: {self:#?}");
        self
    }

    /// stdout and stderr together, for "never printed" checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }
}

/// A command for the binary with an environment that cannot leak in from the machine running
/// the tests: no `IPFS_KIT_HOME`, no colours, stdin from /dev/null (not a terminal).
pub fn command() -> Command {
    let mut cmd = Command::new(BIN);
    // A developer's own console config file must not change what the tests see.
    cmd.env_remove("IPFS_KIT_HOME")
        .env("XDG_CONFIG_HOME", "/nonexistent/ipfs-kit-tui-tests")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

/// Runs the binary with `--home home` and `args`.
pub fn run(home: &Path, args: &[&str]) -> Run {
    let output = command()
        .arg("--home")
        .arg(home)
        .args(args)
        .output()
        .expect("run ipfs-kit-tui");
    Run::from_output(output)
}

/// Runs a prepared command.
pub fn run_command(mut cmd: Command) -> Run {
    Run::from_output(cmd.output().expect("run ipfs-kit-tui"))
}

/// One entry of a home snapshot: a directory (mode only) or a file (mode and bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    Dir { mode: u32 },
    File { mode: u32, bytes: Vec<u8> },
}

/// Every path under `root` (relative), with its mode and, for files, its content.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    if !root.exists() {
        return out;
    }
    for entry in walkdir::WalkDir::new(root) {
        let entry = entry.expect("walk the home");
        let meta = entry.metadata().expect("metadata");
        let mode = meta.permissions().mode() & 0o7777;
        let rel = entry
            .path()
            .strip_prefix(root)
            .expect("under root")
            .to_path_buf();
        let value = if meta.is_dir() {
            Entry::Dir { mode }
        } else {
            Entry::File {
                mode,
                bytes: std::fs::read(entry.path()).expect("read file"),
            }
        };
        out.insert(rel, value);
    }
    out
}

/// Describes how two snapshots differ (empty when they are equal).
pub fn diff(before: &BTreeMap<PathBuf, Entry>, after: &BTreeMap<PathBuf, Entry>) -> Vec<String> {
    let mut changes = Vec::new();
    for (path, old) in before {
        match after.get(path) {
            None => changes.push(format!("removed {}", path.display())),
            Some(new) if new != old => changes.push(format!("changed {}", path.display())),
            Some(_) => {}
        }
    }
    for path in after.keys() {
        if !before.contains_key(path) {
            changes.push(format!("added {}", path.display()));
        }
    }
    changes
}

/// Every regular file under `root` whose name ends in `.json`.
pub fn json_files(root: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file() && e.file_name().to_string_lossy().ends_with(".json"))
        .map(|e| e.into_path())
        .collect()
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()))
}

/// A random lower-case hex string of `len` characters.
pub fn random_hex(len: usize) -> String {
    (0..len)
        .map(|_| char::from_digit(fastrand::u32(0..16), 16).expect("hex digit"))
        .collect()
}
