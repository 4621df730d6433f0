//! Backends the Python library's web dashboard keeps in formats of its own, in the same home:
//! `backends.json`, and `backends/NAME.yaml` with `policies/NAME_policy.json`. They are shown,
//! never changed: nothing here writes, creates a file or directory, or takes a lock, so the
//! dashboard finds its files exactly as it left them.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use super::error::{Result, StoreError};
use super::{fsio, Stamp, Store, UNKNOWN_KIND};

/// A backend is a few hundred bytes and a YAML file is parsed whole in memory: anything much
/// larger is not a backend, and is not read.
const YAML_MAX_BYTES: u64 = 1024 * 1024;

/// Pauses before reading again a YAML file that looked half-written: about a second in all.
/// The dashboard writes in place (`open(path, "w")`, then `yaml.safe_dump`).
const REREAD_PAUSES_MS: [u64; 6] = [25, 50, 100, 200, 300, 325];

/// A file modified this recently that is empty or does not parse may be in the middle of a
/// write; an older one is what it is, and is not waited for.
const FRESH: Duration = Duration::from_secs(2);

/// Where a read-only backend was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ForeignSource {
    /// `HOME/backends.json`.
    BackendsJson,
    /// `HOME/backends/NAME.yaml` (or `.yml`).
    Yaml,
}

impl fmt::Display for ForeignSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ForeignSource::BackendsJson => "backends.json",
            ForeignSource::Yaml => "YAML",
        })
    }
}

/// One backend of the dashboard, as its file describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct ForeignBackend {
    pub name: String,
    /// "unknown" when the file names none.
    pub kind: String,
    /// `None` when the file does not say.
    pub enabled: Option<bool>,
    pub description: Option<String>,
    pub source: ForeignSource,
    /// The file it came from.
    pub path: PathBuf,
    /// `policies/NAME_policy.json` when it exists (YAML backends only).
    pub policy_path: Option<PathBuf>,
    /// The policy's content when it parses as a JSON object.
    pub policy: Option<Map<String, Value>>,
    /// Everything the file says about this backend, in the file's order.
    pub fields: Map<String, Value>,
}

/// The dashboard's backends that read well, and the files (or entries) that did not.
#[derive(Debug, Default)]
pub struct ForeignListing {
    pub backends: Vec<ForeignBackend>,
    pub errors: Vec<StoreError>,
}

impl Store {
    /// The dashboard's backends, sorted by (source, name). Missing files and directories are
    /// simply empty; a file that does not parse is one error and does not stop the others.
    /// Blocking: a file being written while we read it is read again (about a second at most).
    pub fn list_foreign_backends(&self) -> ForeignListing {
        let mut listing = ForeignListing::default();
        read_backends_json(&self.home.join("backends.json"), &mut listing);
        let policies = self.home.join("policies");
        for path in yaml_files(&self.backends_dir(), &mut listing.errors) {
            read_yaml_backend(&path, &policies, &mut listing);
        }
        listing
            .backends
            .sort_by(|a, b| (a.source, &a.name, &a.path).cmp(&(b.source, &b.name, &b.path)));
        listing
    }
}

/// Builds the backend from what its file says: the dashboard's own keys first, then the
/// spellings other versions of it used.
fn describe(
    name: String,
    fields: Map<String, Value>,
    source: ForeignSource,
    path: PathBuf,
) -> ForeignBackend {
    let kind = ["type", "backend_type", "kind"]
        .iter()
        .find_map(|key| non_empty_str(fields.get(*key)))
        .or_else(|| match fields.get("config") {
            Some(Value::Object(config)) => non_empty_str(config.get("type")),
            _ => None,
        })
        .unwrap_or(UNKNOWN_KIND)
        .to_string();
    let enabled = match fields.get("enabled") {
        Some(Value::Bool(enabled)) => Some(*enabled),
        // The dashboard's sample backends say `status: enabled` / `status: disabled` instead.
        _ => match fields.get("status").and_then(Value::as_str) {
            Some("enabled") => Some(true),
            Some("disabled") => Some(false),
            _ => None,
        },
    };
    let description = fields
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_string);
    ForeignBackend {
        name,
        kind,
        enabled,
        description,
        source,
        path,
        policy_path: None,
        policy: None,
        fields,
    }
}

fn non_empty_str(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn corrupt(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

// ---- backends.json ----

/// Reads `backends.json` in whichever shape it has: `{NAME: {...}}`, `{"backends": {NAME:
/// {...}}}`, `{"backends": [{...}]}` or `[{"name" or "id": ..., ...}]`.
fn read_backends_json(path: &Path, listing: &mut ForeignListing) {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => {}
        Ok(_) => {
            // A FIFO would block the read forever; a directory is not ours to explain.
            listing
                .errors
                .push(corrupt(path, "not a regular file: not read"));
            return;
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return,
        Err(err) => {
            listing.errors.push(StoreError::io(path, err));
            return;
        }
    }
    let doc = match fsio::read_json_object(path) {
        Ok(Some(object)) => Value::Object(object),
        Ok(None) => return, // removed since we looked
        // `read_json_object` takes objects only: JSON of another shape (a list) is parsed
        // here; JSON that does not parse is reported as it said (with its line).
        Err(err @ StoreError::Corrupt { .. }) => match fsio::read_optional(path) {
            Ok(Some(bytes)) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(value) => value,
                Err(_) => {
                    listing.errors.push(err);
                    return;
                }
            },
            Ok(None) => return,
            Err(err) => {
                listing.errors.push(err);
                return;
            }
        },
        Err(err) => {
            listing.errors.push(err);
            return;
        }
    };
    match doc {
        Value::Object(mut top) => match top.shift_remove("backends") {
            Some(Value::Object(map)) => json_map(path, map, true, listing),
            Some(Value::Array(list)) => json_list(path, list, listing),
            Some(other) => listing.errors.push(corrupt(
                path,
                format!(
                    "\"backends\" is {}, expected an object or a list",
                    fsio::json_kind(&other)
                ),
            )),
            // No "backends" key: the top level is the map, and its non-object values are the
            // file's own metadata (a version, a date), not backends.
            None => json_map(path, top, false, listing),
        },
        Value::Array(list) => json_list(path, list, listing),
        other => listing.errors.push(corrupt(
            path,
            format!(
                "expected a JSON object or list, found {}",
                fsio::json_kind(&other)
            ),
        )),
    }
}

/// `{NAME: {...}}`: the key is the name. With `strict`, a value that is not an object is
/// reported; without, it is taken for metadata and skipped.
fn json_map(path: &Path, map: Map<String, Value>, strict: bool, listing: &mut ForeignListing) {
    for (name, value) in map {
        match value {
            Value::Object(fields) => listing.backends.push(describe(
                name,
                fields,
                ForeignSource::BackendsJson,
                path.to_path_buf(),
            )),
            other if strict => listing.errors.push(corrupt(
                path,
                format!(
                    "backend \"{name}\" is {}, not an object: ignored",
                    fsio::json_kind(&other)
                ),
            )),
            _ => {}
        }
    }
}

/// `[{...}]`: each entry names itself with `name`, else `id`.
fn json_list(path: &Path, list: Vec<Value>, listing: &mut ForeignListing) {
    for (index, value) in list.into_iter().enumerate() {
        let number = index + 1;
        let Value::Object(fields) = value else {
            listing.errors.push(corrupt(
                path,
                format!(
                    "entry {number} of the list is {}, not an object: ignored",
                    fsio::json_kind(&value)
                ),
            ));
            continue;
        };
        let name = non_empty_str(fields.get("name"))
            .or_else(|| non_empty_str(fields.get("id")))
            .map(str::to_string)
            .or_else(|| match fields.get("id") {
                Some(Value::Number(id)) => Some(id.to_string()),
                _ => None,
            });
        match name {
            Some(name) => listing.backends.push(describe(
                name,
                fields,
                ForeignSource::BackendsJson,
                path.to_path_buf(),
            )),
            None => listing.errors.push(corrupt(
                path,
                format!("entry {number} of the list has no \"name\" or \"id\": ignored"),
            )),
        }
    }
}

// ---- backends/NAME.yaml ----

/// The `.yaml` and `.yml` files of `dir`, sorted; hidden names (temp files of a write in
/// progress) are skipped.
fn yaml_files(dir: &Path, errors: &mut Vec<StoreError>) -> Vec<PathBuf> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(err) => {
            errors.push(StoreError::io(dir, err));
            return Vec::new();
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                errors.push(StoreError::io(dir, err));
                continue;
            }
        };
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn read_yaml_backend(path: &Path, policies: &Path, listing: &mut ForeignListing) {
    let fields = match read_yaml_mapping(path) {
        Ok(Some(fields)) => fields,
        Ok(None) => return, // removed since read_dir
        Err(err) => {
            listing.errors.push(err);
            return;
        }
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = non_empty_str(fields.get("name"))
        .map(str::to_string)
        .unwrap_or_else(|| stem.clone());
    let mut backend = describe(name, fields, ForeignSource::Yaml, path.to_path_buf());
    // The dashboard names the policy after the YAML's `name`, and looks it up by the file's
    // stem when asked for one backend: both are tried.
    for candidate in [backend.name.as_str(), stem.as_str()] {
        if !plain_file_name(candidate) {
            continue;
        }
        let policy_path = policies.join(format!("{candidate}_policy.json"));
        if !policy_path.is_file() {
            continue;
        }
        match fsio::read_json_object(&policy_path) {
            Ok(Some(policy)) => backend.policy = Some(policy),
            Ok(None) => continue, // removed since we looked
            Err(err) => listing.errors.push(err),
        }
        backend.policy_path = Some(policy_path);
        break;
    }
    listing.backends.push(backend);
}

/// A name that stays inside `policies/` when it becomes a file name there.
fn plain_file_name(name: &str) -> bool {
    !name.is_empty() && !name.starts_with('.') && !name.contains(['/', '\0'])
}

/// Reads and parses a YAML file that should hold one mapping. A file that changed while we
/// read it, or that was modified just now and is empty or does not parse, is read again with
/// short pauses before it is called corrupt.
fn read_yaml_mapping(path: &Path) -> Result<Option<Map<String, Value>>> {
    let mut pauses = REREAD_PAUSES_MS.iter();
    loop {
        let before = Stamp::of_path(path);
        let Some(bytes) = read_capped(path, YAML_MAX_BYTES)? else {
            return Ok(None);
        };
        let (parsed, maybe_cut_short) = parse_yaml(path, &bytes);
        let moved = Stamp::of_path(path) != before;
        let unsettled = moved || (maybe_cut_short && modified_just_now(path));
        match pauses.next() {
            Some(ms) if unsettled => std::thread::sleep(Duration::from_millis(*ms)),
            _ => return parsed.map(Some),
        }
    }
}

/// The mapping, and whether a failure may be a write cut short (empty, or not YAML at all)
/// rather than a file of the wrong shape.
fn parse_yaml(path: &Path, bytes: &[u8]) -> (Result<Map<String, Value>>, bool) {
    let empty = || corrupt(path, "empty: no backend in it");
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return (Err(empty()), true);
    }
    let parsed = match yaml_serde::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Err(empty()),
        Ok(other) => Err(corrupt(
            path,
            format!("expected a YAML mapping, found {}", fsio::json_kind(&other)),
        )),
        Err(err) => {
            let text = err.to_string();
            // libyaml's messages already say "at line L column C"; others get the location.
            let reason = match err.location() {
                Some(at) if !text.contains(" line ") => format!(
                    "does not parse: {text} (line {} column {})",
                    at.line(),
                    at.column()
                ),
                _ => format!("does not parse: {text}"),
            };
            return (Err(corrupt(path, reason)), true);
        }
    };
    (parsed, false)
}

/// Reads at most `cap` bytes of a regular file, `None` when it does not exist. Opened
/// non-blocking and checked on the open descriptor, so that a FIFO never hangs the listing.
fn read_capped(path: &Path, cap: u64) -> Result<Option<Vec<u8>>> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)
    {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(StoreError::io(path, err)),
    };
    let meta = file.metadata().map_err(|e| StoreError::io(path, e))?;
    if !meta.is_file() {
        return Err(corrupt(path, "not a regular file: not read"));
    }
    let too_large = || corrupt(path, "larger than 1 MiB: not read");
    if meta.len() > cap {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| StoreError::io(path, e))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > cap {
        return Err(too_large());
    }
    Ok(Some(bytes))
}

fn modified_just_now(path: &Path) -> bool {
    let Ok(modified) = fs::metadata(path).and_then(|m| m.modified()) else {
        return false;
    };
    match SystemTime::now().duration_since(modified) {
        Ok(age) => age < FRESH,
        Err(_) => true, // modified "in the future": a clock step, treat as new
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::os::unix::fs::MetadataExt;

    /// A store whose home does not exist: listing must not need what `open` prepares.
    fn home() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path().join("home")).unwrap();
        fs::remove_dir_all(store.home()).unwrap();
        (dir, store)
    }

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// Dates a file an hour back, so that a broken one is not waited for as a write in progress.
    fn age(path: &Path) {
        let file = fs::File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
    }

    /// One backend as the dashboard's `yaml.safe_dump` writes it: keys sorted.
    fn sample_yaml(name: &str, kind: &str, status: &str, tier: &str, config: &str) -> String {
        format!(
            "config:\n{config}description: Sample {name}\nname: {name}\nstatus: {status}\n\
             tier: {tier}\ntype: {kind}\n"
        )
    }

    fn write_samples(store: &Store) {
        let dir = store.backends_dir();
        let samples = [
            (
                "local_fs",
                "local",
                "enabled",
                "hot",
                "  auto_create: true\n  path: /h/local_storage\n",
            ),
            (
                "ipfs_local",
                "ipfs",
                "enabled",
                "hot",
                "  api_endpoint: http://127.0.0.1:5001\n",
            ),
            (
                "cluster",
                "ipfs_cluster",
                "enabled",
                "warm",
                "  api_endpoint: http://127.0.0.1:9094\n",
            ),
            (
                "s3_demo",
                "s3",
                "enabled",
                "cold",
                "  bucket: ipfs-kit-demo\n  endpoint: null\n  region: us-east-1\n",
            ),
            (
                "huggingface",
                "huggingface",
                "enabled",
                "archive",
                "  organization: ipfs-kit\n  private: true\n",
            ),
            (
                "github",
                "github",
                "enabled",
                "archive",
                "  owner: endomorphosis\n  repo: ipfs_kit_py_storage\n",
            ),
            (
                "gdrive",
                "gdrive",
                "disabled",
                "cold",
                "  folder_id: sample_folder_id\n",
            ),
            (
                "parquet_meta",
                "parquet",
                "enabled",
                "warm",
                "  compression: snappy\n  path: /h/parquet_storage\n",
            ),
        ];
        for (name, kind, status, tier, config) in samples {
            write(
                &dir.join(format!("{name}.yaml")),
                &sample_yaml(name, kind, status, tier, config),
            );
        }
        write(
            &store.home.join("policies/s3_demo_policy.json"),
            r#"{"backend_name": "s3_demo", "storage_quota": {"max_size": 2, "max_size_unit": "TB"}, "replication": {"min_redundancy": 1}}"#,
        );
    }

    #[test]
    fn the_dashboards_sample_backends_are_listed_with_their_policy() {
        let (_dir, store) = home();
        write_samples(&store);
        // Not the dashboard's: our own format, a temp file, and an unrelated file.
        write(
            &store.backend_path("mine"),
            r#"{"id":"mine","config":{"type":"local"}}"#,
        );
        write(
            &store.backends_dir().join(".s3_demo.yaml.tmp.yaml"),
            "name: x\n",
        );
        write(&store.backends_dir().join("notes.txt"), "hello\n");
        let listing = store.list_foreign_backends();
        assert!(listing.errors.is_empty(), "{:?}", listing.errors);
        let names: Vec<_> = listing.backends.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "cluster",
                "gdrive",
                "github",
                "huggingface",
                "ipfs_local",
                "local_fs",
                "parquet_meta",
                "s3_demo"
            ]
        );
        for backend in &listing.backends {
            assert_eq!(backend.source, ForeignSource::Yaml);
            assert_eq!(
                backend.path,
                store.backends_dir().join(format!("{}.yaml", backend.name))
            );
            assert_eq!(
                backend.description.as_deref(),
                Some(format!("Sample {}", backend.name).as_str())
            );
            assert_eq!(backend.enabled, Some(backend.name != "gdrive"));
        }
        let s3 = &listing.backends[7];
        assert_eq!(s3.kind, "s3");
        assert_eq!(
            s3.policy_path.as_deref(),
            Some(store.home.join("policies/s3_demo_policy.json").as_path())
        );
        let policy = s3.policy.as_ref().unwrap();
        assert_eq!(policy["storage_quota"]["max_size_unit"], "TB");
        assert_eq!(s3.fields["config"]["endpoint"], Value::Null);
        assert_eq!(s3.fields["tier"], "cold");
        // Keys in the file's order.
        let keys: Vec<_> = s3.fields.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["config", "description", "name", "status", "tier", "type"]
        );
        let cluster = &listing.backends[0];
        assert_eq!(cluster.kind, "ipfs_cluster");
        assert!(cluster.policy_path.is_none() && cluster.policy.is_none());
        assert_eq!(
            listing.backends[3].fields["config"]["private"],
            Value::Bool(true)
        );
        assert_eq!(ForeignSource::Yaml.to_string(), "YAML");
        assert_eq!(ForeignSource::BackendsJson.to_string(), "backends.json");
    }

    #[test]
    fn yaml_without_name_or_type_falls_back_to_the_file() {
        let (_dir, store) = home();
        let dir = store.backends_dir();
        write(&dir.join("mystery.yml"), "description: found in a drawer\n");
        write(
            &dir.join("numbered.yaml"),
            "name: 42\nbackend_type: lotus\nenabled: false\n",
        );
        write(
            &dir.join("kinded.yaml"),
            "kind: iroh\nenabled: true\nstatus: disabled\n",
        );
        write(
            &dir.join("nested.yaml"),
            "name: deep\nconfig:\n  type: sshfs\n  host: example.org\n",
        );
        write(
            &store.home.join("policies/deep_policy.json"),
            "[\"not an object\"]",
        );
        age(&store.home.join("policies/deep_policy.json"));
        let listing = store.list_foreign_backends();
        let got: Vec<_> = listing
            .backends
            .iter()
            .map(|b| {
                (
                    b.name.as_str(),
                    b.kind.as_str(),
                    b.enabled,
                    b.description.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("deep", "sshfs", None, None),
                ("kinded", "iroh", Some(true), None),
                ("mystery", "unknown", None, Some("found in a drawer")),
                ("numbered", "lotus", Some(false), None),
            ]
        );
        // A policy that is not an object: its path is shown, its content is not, and why.
        let deep = &listing.backends[0];
        assert_eq!(
            deep.policy_path.as_deref(),
            Some(store.home.join("policies/deep_policy.json").as_path())
        );
        assert!(deep.policy.is_none());
        assert_eq!(listing.errors.len(), 1, "{:?}", listing.errors);
        let err = listing.errors[0].to_string();
        assert!(err.contains("deep_policy.json"), "{err}");
    }

    #[test]
    fn a_broken_yaml_is_one_error_naming_file_and_line() {
        let (_dir, store) = home();
        let dir = store.backends_dir();
        write(&dir.join("good.yaml"), "name: good\ntype: s3\n");
        let broken = dir.join("broken.yaml");
        write(
            &broken,
            "name: broken\ntype: s3\nconfig:\n  bucket: [unclosed\n  region: x\n",
        );
        age(&broken);
        let list = dir.join("list.yaml");
        write(&list, "- name: a\n- name: b\n");
        let empty = dir.join("empty.yaml");
        write(&empty, "\n");
        age(&empty);
        let listing = store.list_foreign_backends();
        let names: Vec<_> = listing.backends.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["good"]);
        let errors: Vec<_> = listing.errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 3, "{errors:?}");
        let broken_err = errors.iter().find(|e| e.contains("broken.yaml")).unwrap();
        assert!(broken_err.contains("does not parse"), "{broken_err}");
        assert!(broken_err.contains("line "), "{broken_err}");
        assert!(
            errors.iter().any(|e| e.contains("list.yaml")
                && e.contains("expected a YAML mapping, found an array")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|e| e.contains("empty.yaml") && e.contains("empty")),
            "{errors:?}"
        );
        assert!(listing
            .errors
            .iter()
            .all(|e| matches!(e, StoreError::Corrupt { .. })));
    }

    #[test]
    fn a_yaml_larger_than_the_cap_is_not_read() {
        let (_dir, store) = home();
        let big = store.backends_dir().join("big.yaml");
        let mut text = String::from("name: big\nnotes: |\n");
        while text.len() <= 1024 * 1024 {
            text.push_str("  0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
        }
        write(&big, &text);
        let listing = store.list_foreign_backends();
        assert!(listing.backends.is_empty());
        assert_eq!(listing.errors.len(), 1);
        assert_eq!(
            listing.errors[0].to_string(),
            format!("{}: larger than 1 MiB: not read", big.display())
        );
    }

    #[test]
    fn a_yaml_being_written_in_place_is_read_again() {
        let (_dir, store) = home();
        let path = store.backends_dir().join("late.yaml");
        write(&path, "");
        let writer = {
            let path = path.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(60));
                fs::write(&path, "name: late\ntype: [s3").unwrap();
                std::thread::sleep(Duration::from_millis(120));
                fs::write(&path, "name: late\ntype: s3\n").unwrap();
            })
        };
        let listing = store.list_foreign_backends();
        writer.join().unwrap();
        assert!(listing.errors.is_empty(), "{:?}", listing.errors);
        assert_eq!(listing.backends[0].kind, "s3");
    }

    fn json_home(text: &str) -> (tempfile::TempDir, Store, ForeignListing) {
        let (dir, store) = home();
        let path = store.home.join("backends.json");
        write(&path, text);
        age(&path);
        let listing = store.list_foreign_backends();
        (dir, store, listing)
    }

    fn summary(listing: &ForeignListing) -> Vec<(String, String, Option<bool>)> {
        listing
            .backends
            .iter()
            .map(|b| (b.name.clone(), b.kind.clone(), b.enabled))
            .collect()
    }

    fn row(name: &str, kind: &str, enabled: Option<bool>) -> (String, String, Option<bool>) {
        (name.to_string(), kind.to_string(), enabled)
    }

    #[test]
    fn backends_json_as_a_map_of_names() {
        let (_dir, store, listing) = json_home(
            r#"{"version": "1.0",
                "s3_main": {"type": "s3", "enabled": true, "description": "Main bucket",
                            "created_at": "2025-01-01T00:00:00"},
                "arrow": {"backend_type": "apache_arrow", "enabled": false}}"#,
        );
        assert!(listing.errors.is_empty(), "{:?}", listing.errors);
        assert_eq!(
            summary(&listing),
            [
                row("arrow", "apache_arrow", Some(false)),
                row("s3_main", "s3", Some(true))
            ]
        );
        let s3 = &listing.backends[1];
        assert_eq!(s3.source, ForeignSource::BackendsJson);
        assert_eq!(s3.path, store.home.join("backends.json"));
        assert_eq!(s3.description.as_deref(), Some("Main bucket"));
        assert_eq!(s3.fields["created_at"], "2025-01-01T00:00:00");
        assert!(s3.policy_path.is_none() && s3.policy.is_none());
    }

    #[test]
    fn backends_json_with_a_backends_key_holding_a_map_or_a_list() {
        let (_dir, _store, listing) = json_home(
            r#"{"backends": {"fil": {"type": "filecoin_pin"}, "odd": 3}, "updated": "now"}"#,
        );
        assert_eq!(summary(&listing), [row("fil", "filecoin_pin", None)]);
        assert_eq!(listing.errors.len(), 1);
        let err = listing.errors[0].to_string();
        assert!(err.contains("backend \"odd\" is a number"), "{err}");

        let (_dir, _store, listing) = json_home(
            r#"{"backends": [{"name": "sat", "type": "saturn", "enabled": true},
                             {"id": "las", "config": {"type": "lassie"}},
                             {"id": 7, "kind": "ftp"},
                             {"type": "storacha"},
                             "junk"]}"#,
        );
        assert_eq!(
            summary(&listing),
            [
                row("7", "ftp", None),
                row("las", "lassie", None),
                row("sat", "saturn", Some(true))
            ]
        );
        let errors: Vec<_> = listing.errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].contains("entry 4 of the list has no \"name\" or \"id\""),
            "{errors:?}"
        );
        assert!(
            errors[1].contains("entry 5 of the list is a string"),
            "{errors:?}"
        );
    }

    #[test]
    fn backends_json_as_a_top_level_list() {
        let (_dir, _store, listing) = json_home(
            r#"[{"name": "synapse1", "type": "synapse"}, {"id": "st", "type": "storacha", "enabled": false}]"#,
        );
        assert!(listing.errors.is_empty(), "{:?}", listing.errors);
        assert_eq!(
            summary(&listing),
            [
                row("st", "storacha", Some(false)),
                row("synapse1", "synapse", None)
            ]
        );
    }

    #[test]
    fn a_broken_backends_json_is_one_error_and_the_yaml_still_lists() {
        let (_dir, store) = home();
        write(&store.backends_dir().join("ok.yaml"), "type: ipfs\n");
        let path = store.home.join("backends.json");
        write(&path, "{\n  \"a\": {\"type\": \"s3\"},\n  oops\n}\n");
        age(&path);
        let listing = store.list_foreign_backends();
        assert_eq!(summary(&listing), [row("ok", "ipfs", None)]);
        assert_eq!(listing.errors.len(), 1);
        let err = listing.errors[0].to_string();
        assert!(err.contains("backends.json"), "{err}");
        assert!(err.contains("line 3"), "{err}");

        write(&path, "\"just a string\"");
        age(&path);
        let listing = store.list_foreign_backends();
        let err = listing.errors[0].to_string();
        assert!(
            err.contains("expected a JSON object or list, found a string"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_home_is_empty_and_stays_missing() {
        let (_dir, store) = home();
        let listing = store.list_foreign_backends();
        assert!(listing.backends.is_empty());
        assert!(listing.errors.is_empty(), "{:?}", listing.errors);
        assert!(!store.home.exists());
    }

    /// Every path under `root` with its type, mode, inode, mtime and (for files) bytes.
    fn snapshot(root: &Path) -> BTreeMap<PathBuf, (u32, u64, i64, i64, Vec<u8>)> {
        walkdir::WalkDir::new(root)
            .into_iter()
            .map(|entry| {
                let entry = entry.unwrap();
                let meta = fs::symlink_metadata(entry.path()).unwrap();
                let bytes = if meta.is_file() {
                    fs::read(entry.path()).unwrap()
                } else {
                    Vec::new()
                };
                let state = (
                    meta.mode(),
                    meta.ino(),
                    meta.mtime(),
                    meta.mtime_nsec(),
                    bytes,
                );
                (entry.path().to_path_buf(), state)
            })
            .collect()
    }

    #[test]
    fn listing_changes_nothing_in_the_home() {
        let (_dir, store) = home();
        // A home as `open` makes it, plus everything the dashboard leaves, good and bad.
        let (store, _) = Store::open(store.home.clone()).unwrap();
        write_samples(&store);
        write(&store.backends_dir().join("broken.yaml"), "a: [\n");
        write(&store.backends_dir().join(".hidden.yaml"), "name: h\n");
        write(
            &store.home.join("policies/gdrive_policy.json"),
            "{ not json",
        );
        write(
            &store.home.join("backends.json"),
            r#"{"backends": [{"name": "x", "type": "iroh"}, {}]}"#,
        );
        for path in [
            store.backends_dir().join("broken.yaml"),
            store.home.join("policies/gdrive_policy.json"),
        ] {
            age(&path);
        }
        let before = snapshot(&store.home);
        let first = store.list_foreign_backends();
        let second = store.list_foreign_backends();
        assert_eq!(snapshot(&store.home), before);
        assert_eq!(first.backends, second.backends);
        assert_eq!(first.backends.len(), 9);
        assert_eq!(first.errors.len(), 3, "{:?}", first.errors);
        // backends.json first, then the YAML files.
        assert_eq!(first.backends[0].source, ForeignSource::BackendsJson);
    }
}
