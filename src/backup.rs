//! Backup and restore of the backends and global settings: `export` writes one JSON document,
//! `import` reads it back, checks all of it before anything is written, plans what it would
//! add, change and keep, and writes through the store (see `store::RestoreSession`).
//!
//! The document (format version 1):
//!
//! ```json
//! {"format": "ipfs-kit-tui-backup", "version": 1, "exported_at": "...", "tool_version": "...",
//!  "include_secrets": false,
//!  "secrets_left_out": {"ID": ["/config/secret_key"]},
//!  "secret_hints": {"ID": {"/config/secret_key": "••••XYZ"}}, "settings_left_out": ["api_token"],
//!  "global_settings": {...as stored...}, "backends": {"ID": {...the backend file as stored...}}}
//! ```
//!
//! - Backends are their files' whole objects (`id`, `updated`, `config`, any other key), in the
//!   order of their keys: an import into an empty home writes the same bytes back. `updated`
//!   is kept, not stamped anew: a restore gives back the configuration as it was exported, and
//!   `updated` says when that configuration was last changed, which an import does not do.
//! - Without secrets, every value that may hold one is removed (not masked): a secret field
//!   of the backend's kind, and any other key that looks like one (`secret::looks_secret`), at
//!   any depth. `secrets_left_out` lists where each was, as JSON pointers (RFC 6901) into the
//!   backend's object. `env:NAME` references are kept: they name where a secret is and hold
//!   none. Setting keys that look secret (none of ours) are left out whole and listed in
//!   `settings_left_out`.
//! - `secret_hints` (optional: a reader of version 1 that predates it ignores it) gives, for
//!   each secret left out, the masked form the screen shows (`secret::mask`: `••••` and at most
//!   the last 3 characters of a long secret), so that whoever restores knows which key to
//!   supply; `import` prints it beside each missing field.
//! - On import, a backend that exists here and is replaced keeps the secrets it has here for
//!   the fields left out of the file (when it is of the same kind). A backend added without
//!   its secrets is added as it is, and the import says loudly which secrets to set: the
//!   backend then fails its polls with the missing field named, which points at the fix.
//! - An import never removes anything: backends and settings that the file does not hold are
//!   left as they are.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::backends::{self, secret, Kind};
use crate::store::{names, settings, timestamp, RestoreSession, Store, StoreError};

/// The value of `format` in every backup.
pub const FORMAT: &str = "ipfs-kit-tui-backup";
/// The newest format version this build reads and the one it writes.
pub const VERSION: u64 = 1;

/// What a backup says in place of a left-out secret while its config is checked, so that a
/// required secret that is missing only because it was left out is not called a problem.
const LEFT_OUT_PLACEHOLDER: &str = "env:IPFS_KIT_TUI_SECRET_LEFT_OUT";

// ---------------------------------------------------------------------------------------------
// Secrets

/// A JSON pointer (RFC 6901) one key below `parent`.
fn pointer_to(parent: &str, key: &str) -> String {
    format!("{parent}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// The keys and indexes a JSON pointer goes through; `None` when it is not one.
fn pointer_tokens(pointer: &str) -> Option<Vec<String>> {
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|token| token.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// A pointer as a person reads it in a message: a config field by its name, else the pointer.
pub fn pointer_label(pointer: &str) -> String {
    match pointer_tokens(pointer).as_deref() {
        Some([config, field]) if config == "config" => crate::text::sanitize(field, 64),
        _ => crate::text::sanitize(pointer, 120),
    }
}

/// The value at `pointer` inside `doc`.
fn value_at<'a>(doc: &'a Map<String, Value>, pointer: &str) -> Option<&'a Value> {
    let tokens = pointer_tokens(pointer)?;
    let (first, rest) = tokens.split_first()?;
    let mut value = doc.get(first)?;
    for token in rest {
        value = match value {
            Value::Object(map) => map.get(token)?,
            Value::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// The object that holds the last key of `pointer`, and that key.
fn parent_at_mut<'a>(
    doc: &'a mut Map<String, Value>,
    pointer: &str,
) -> Option<(&'a mut Map<String, Value>, String)> {
    let mut tokens = pointer_tokens(pointer)?;
    let last = tokens.pop()?;
    let Some((first, rest)) = tokens.split_first() else {
        return Some((doc, last));
    };
    let mut value = doc.get_mut(first)?;
    for token in rest {
        value = match value {
            Value::Object(map) => map.get_mut(token)?,
            Value::Array(items) => items.get_mut(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    value.as_object_mut().map(|map| (map, last))
}

/// Whether a value kept under a secret key is left out: anything that can hold a credential.
/// An `env:NAME` reference holds none (it names where the secret is), nor does a boolean.
fn holds_secret(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(_) => false,
        Value::String(text) => {
            !(text.starts_with(secret::ENV_PREFIX) && secret::validate(text).is_ok())
        }
        _ => true,
    }
}

/// Removes the secret-looking keys inside `value` (at any depth), noting their pointers.
fn strip_nested(value: &mut Value, at: &str, removed: &mut Vec<String>) {
    match value {
        Value::Object(map) => strip_map(map, at, removed, secret::looks_secret, |_| true),
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                strip_nested(item, &format!("{at}/{index}"), removed);
            }
        }
        _ => {}
    }
}

/// Removes the keys of `map` that `is_secret` names and that hold a secret, and the
/// secret-looking keys below the others (`descend` says which keys to look below). Pointers
/// are noted in the order of the file.
fn strip_map(
    map: &mut Map<String, Value>,
    at: &str,
    removed: &mut Vec<String>,
    is_secret: impl Fn(&str) -> bool,
    descend: impl Fn(&str) -> bool,
) {
    let mut secret_keys = Vec::new();
    for (key, value) in map.iter_mut() {
        if is_secret(key) && holds_secret(value) {
            secret_keys.push(key.clone());
            removed.push(pointer_to(at, key));
        } else if descend(key) {
            strip_nested(value, &pointer_to(at, key), removed);
        }
    }
    for key in secret_keys {
        map.shift_remove(&key);
    }
}

/// Removes every secret from a backend's document (the whole file's object): the secret fields
/// of its kind, and keys that look secret anywhere in it. Returns where each one was, as JSON
/// pointers into the document: the config's first, each in the order of the file.
pub fn strip_secrets(doc: &mut Map<String, Value>) -> Vec<String> {
    let kind = doc
        .get("config")
        .and_then(|config| config.get("type"))
        .and_then(Value::as_str)
        .and_then(|name| Kind::parse(name).ok());
    let mut removed = Vec::new();
    if let Some(Value::Object(config)) = doc.get_mut("config") {
        strip_map(
            config,
            "/config",
            &mut removed,
            |key| backends::is_secret_key(kind, key),
            |_| true,
        );
    }
    strip_map(
        doc,
        "",
        &mut removed,
        |key| key != "config" && secret::looks_secret(key),
        |key| key != "config",
    );
    removed
}

/// Puts back into `doc` the secrets left out at `pointers`, from `here` (the backend as this
/// home has it), each where it stood here among its neighbours. Returns the pointers that
/// `here` has no value for.
pub fn restore_secrets(
    doc: &mut Map<String, Value>,
    pointers: &[String],
    here: Option<&Map<String, Value>>,
) -> Vec<String> {
    let mut missing = Vec::new();
    for pointer in pointers {
        let value = here.and_then(|here| value_at(here, pointer));
        let Some(value) = value else {
            missing.push(pointer.clone());
            continue;
        };
        let neighbours = here.and_then(|here| {
            let parent = pointer.rsplit_once('/').map(|(parent, _)| parent)?;
            if parent.is_empty() {
                Some(here)
            } else {
                value_at(here, parent).and_then(Value::as_object)
            }
        });
        match parent_at_mut(doc, pointer) {
            Some((target, key)) if !target.contains_key(&key) => {
                insert_in_order(target, key, value.clone(), neighbours);
            }
            Some(_) => {} // the file has a value there after all: it wins
            None => missing.push(pointer.clone()),
        }
    }
    missing
}

/// Inserts `key` into `target` right after the key that precedes it in `order` (the object
/// it comes from), so that a backend restored with its secrets is written as it was.
fn insert_in_order(
    target: &mut Map<String, Value>,
    key: String,
    value: Value,
    order: Option<&Map<String, Value>>,
) {
    let index = order.and_then(|order| {
        let keys: Vec<&String> = order.keys().collect();
        let position = keys.iter().position(|k| **k == key)?;
        Some(
            keys[..position]
                .iter()
                .rev()
                .find_map(|before| target.keys().position(|k| k == *before))
                .map_or(0, |found| found + 1),
        )
    });
    match index {
        Some(index) if index <= target.len() => {
            target.shift_insert(index, key, value);
        }
        _ => {
            target.insert(key, value);
        }
    }
}

/// Whether a setting is left out of a backup without secrets: the alert webhook (Slack- and
/// Discord-style URLs carry their token in the path), an unknown key that looks like a secret,
/// or one whose value holds a secret-looking key.
fn setting_holds_secret(key: &str, value: &Value) -> bool {
    if key == "alert_webhook" {
        return value.as_str().is_some_and(|url| !url.trim().is_empty());
    }
    if settings::spec(key).is_some() {
        return false;
    }
    if secret::looks_secret(key) && holds_secret(value) {
        return true;
    }
    let mut inside = value.clone();
    let mut removed = Vec::new();
    strip_nested(&mut inside, "", &mut removed);
    !removed.is_empty()
}

/// The hint a backup keeps for a secret it leaves out: what the screen shows of it (`••••`
/// and at most its last 3 characters), never more.
fn mask_of(value: &Value) -> String {
    match value {
        Value::String(text) => secret::mask(text),
        _ => secret::mask(""),
    }
}

// ---------------------------------------------------------------------------------------------
// Export

/// A backup made from a home, ready to be written.
#[derive(Debug)]
pub struct Export {
    pub document: Value,
    pub backends: usize,
    pub settings: usize,
    /// How many secret values were left out, over all backends and settings.
    pub secrets_left_out: usize,
    /// Backend files that could not be read: they are not in the backup.
    pub unreadable: Vec<StoreError>,
    /// What `import` would refuse in this backup (a value stored invalid here): said at once,
    /// so that a backup that cannot be restored as it is does not go unnoticed.
    pub problems: Vec<String>,
}

/// Makes the backup document of `store`'s backends and settings, as they are stored.
pub fn export(store: &Store, include_secrets: bool) -> Result<Export, StoreError> {
    let mut global_settings = store.stored_global_settings()?;
    let listing = store.list_backends();
    let mut backends = Map::new();
    let mut secrets_left_out = Map::new();
    let mut secret_hints = Map::new();
    let mut count = 0;
    for backend in listing.backends {
        let mut doc = backend.doc;
        if !include_secrets {
            let original = doc.clone();
            let removed = strip_secrets(&mut doc);
            if !removed.is_empty() {
                count += removed.len();
                let hints: Map<String, Value> = removed
                    .iter()
                    .map(|pointer| {
                        let hint = value_at(&original, pointer)
                            .map_or_else(|| mask_of(&Value::Null), mask_of);
                        (pointer.clone(), Value::String(hint))
                    })
                    .collect();
                secret_hints.insert(backend.id.clone(), Value::Object(hints));
                secrets_left_out.insert(backend.id.clone(), json!(removed));
            }
        }
        backends.insert(backend.id, Value::Object(doc));
    }
    let mut settings_left_out = Vec::new();
    if !include_secrets {
        global_settings.retain(|key, value| {
            let secret = setting_holds_secret(key, value);
            if secret {
                settings_left_out.push(Value::String(key.clone()));
            }
            !secret
        });
        count += settings_left_out.len();
    }
    let settings_count = global_settings.len();
    let backends_count = backends.len();
    let document = json!({
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timestamp::now(),
        "tool_version": env!("CARGO_PKG_VERSION"),
        "include_secrets": include_secrets,
        "secrets_left_out": secrets_left_out,
        "secret_hints": secret_hints,
        "settings_left_out": settings_left_out,
        "global_settings": global_settings,
        "backends": backends,
    });
    let problems = match Backup::from_value(document.clone(), "the backup") {
        Err(BackupError::Invalid { problems, .. }) => problems,
        Err(other) => vec![other.to_string()],
        Ok(_) => Vec::new(),
    };
    Ok(Export {
        document,
        backends: backends_count,
        settings: settings_count,
        secrets_left_out: count,
        unreadable: listing.errors,
        problems,
    })
}

// ---------------------------------------------------------------------------------------------
// Reading a backup

/// Why a backup was refused. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{file} is not valid JSON: {reason}")]
    Syntax { file: String, reason: String },
    #[error("{file} is not an ipfs-kit-tui backup: {reason}")]
    NotABackup { file: String, reason: String },
    #[error("{file} was written by a newer ipfs-kit-tui (format version {found}; this one reads up to {VERSION})")]
    Newer { file: String, found: u64 },
    #[error("{file}: {}; nothing was written: {}", crate::text::plural(problems.len() as u64, "problem", "problems"), problems.join("; "))]
    Invalid { file: String, problems: Vec<String> },
}

/// One backend of a backup, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct BackupBackend {
    pub id: String,
    /// The backend file's object, as exported.
    pub doc: Map<String, Value>,
    /// Where its secrets were (JSON pointers into `doc`), when they were left out.
    pub secrets_left_out: Vec<String>,
    /// The masked form of each secret left out (`••••XYZ`), by pointer, when the file has it.
    pub secret_hints: BTreeMap<String, String>,
    /// What is missing from a config that is otherwise valid (the Python library's demo
    /// backends are incomplete): imported as it is, with a warning.
    pub incomplete: Option<String>,
}

impl BackupBackend {
    pub fn kind(&self) -> Option<&str> {
        kind_of(&self.doc)
    }
}

fn kind_of(doc: &Map<String, Value>) -> Option<&str> {
    doc.get("config")
        .and_then(|config| config.get("type"))
        .and_then(Value::as_str)
}

/// A backup, checked whole.
#[derive(Clone, Debug, PartialEq)]
pub struct Backup {
    pub version: u64,
    pub exported_at: Option<String>,
    pub tool_version: Option<String>,
    /// `global_settings` as exported, in its order.
    pub settings: Map<String, Value>,
    /// Settings left out because they looked secret.
    pub settings_left_out: Vec<String>,
    /// In the file's order.
    pub backends: Vec<BackupBackend>,
}

impl Backup {
    /// Parses and checks a backup; `file` names it in messages.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Backup, BackupError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|err| BackupError::Syntax {
            file: file.to_string(),
            // serde_json says where: "... at line L column C".
            reason: err.to_string(),
        })?;
        Backup::from_value(value, file)
    }

    /// Checks a backup document: its format and version first, then every setting and every
    /// backend, all problems collected.
    pub fn from_value(value: Value, file: &str) -> Result<Backup, BackupError> {
        let not_a_backup = |reason: &str| BackupError::NotABackup {
            file: file.to_string(),
            reason: reason.to_string(),
        };
        let Value::Object(mut top) = value else {
            return Err(not_a_backup("it is not a JSON object"));
        };
        if top.get("format").and_then(Value::as_str) != Some(FORMAT) {
            return Err(not_a_backup(&format!("it has no \"format\": \"{FORMAT}\"")));
        }
        let version = match top.get("version") {
            Some(Value::Number(n)) => n.as_u64().filter(|v| *v >= 1),
            _ => None,
        }
        .ok_or_else(|| not_a_backup("\"version\" is not a whole number of 1 or more"))?;
        if version > VERSION {
            return Err(BackupError::Newer {
                file: file.to_string(),
                found: version,
            });
        }
        let mut problems = Vec::new();
        let mut text_field = |name: &str| match top.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(other) => {
                problems.push(format!(
                    "\"{name}\" is {}, not a string",
                    crate::store::fsio::json_kind(other)
                ));
                None
            }
        };
        let exported_at = text_field("exported_at");
        let tool_version = text_field("tool_version");
        if let Some(other) = top.get("include_secrets").filter(|v| !v.is_boolean()) {
            problems.push(format!(
                "\"include_secrets\" is {}, not a boolean",
                crate::store::fsio::json_kind(other)
            ));
        }
        let settings = match top.shift_remove("global_settings") {
            Some(Value::Object(settings)) => settings,
            None => Map::new(),
            Some(other) => {
                problems.push(format!(
                    "\"global_settings\" is {}, not an object",
                    crate::store::fsio::json_kind(&other)
                ));
                Map::new()
            }
        };
        for (key, value) in &settings {
            if let Some(spec) = settings::spec(key) {
                if let Err(reason) = settings::check(spec, value) {
                    problems.push(format!(
                        "setting '{}': {}",
                        crate::text::sanitize(key, 64),
                        crate::text::sanitize(&reason, 200)
                    ));
                }
            }
        }
        let settings_left_out = match top.shift_remove("settings_left_out") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
                .into_iter()
                .filter_map(|item| item.as_str().map(str::to_string))
                .collect(),
            Some(_) => {
                problems.push("\"settings_left_out\" is not a list of setting names".into());
                Vec::new()
            }
        };
        let mut left_out = match top.shift_remove("secrets_left_out") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map,
            Some(other) => {
                problems.push(format!(
                    "\"secrets_left_out\" is {}, not an object",
                    crate::store::fsio::json_kind(&other)
                ));
                Map::new()
            }
        };
        let mut hints = match top.shift_remove("secret_hints") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map,
            Some(other) => {
                problems.push(format!(
                    "\"secret_hints\" is {}, not an object",
                    crate::store::fsio::json_kind(&other)
                ));
                Map::new()
            }
        };
        let documents = match top.shift_remove("backends") {
            Some(Value::Object(map)) => map,
            None => Map::new(),
            Some(other) => {
                problems.push(format!(
                    "\"backends\" is {}, not an object",
                    crate::store::fsio::json_kind(&other)
                ));
                Map::new()
            }
        };
        let mut backends = Vec::with_capacity(documents.len());
        for (id, doc) in documents {
            let pointers = left_out.shift_remove(&id);
            let backend_hints = hints.shift_remove(&id);
            match check_backend(&id, doc, pointers, backend_hints) {
                Ok(backend) => backends.push(backend),
                Err(mut found) => problems.append(&mut found),
            }
        }
        for id in left_out.keys() {
            problems.push(format!(
                "\"secrets_left_out\" names backend '{}', which the file does not hold",
                crate::text::sanitize(id, 80)
            ));
        }
        for id in hints.keys() {
            problems.push(format!(
                "\"secret_hints\" names backend '{}', which the file does not hold",
                crate::text::sanitize(id, 80)
            ));
        }
        if !problems.is_empty() {
            return Err(BackupError::Invalid {
                file: file.to_string(),
                problems,
            });
        }
        Ok(Backup {
            version,
            exported_at,
            tool_version,
            settings,
            settings_left_out,
            backends,
        })
    }

    pub fn backend(&self, id: &str) -> Option<&BackupBackend> {
        self.backends.iter().find(|b| b.id == id)
    }
}

/// Checks one backend of a backup: an id the store can write, a document with a `config`
/// object, and a config of a known kind whose every field is valid. A config of a kind this
/// console does not know is kept as it is, as the store keeps it.
fn check_backend(
    id: &str,
    doc: Value,
    pointers: Option<Value>,
    hints: Option<Value>,
) -> Result<BackupBackend, Vec<String>> {
    let shown = crate::text::sanitize(id, 80);
    let mut problems = Vec::new();
    if let Err(err) = names::check_backend_id(id) {
        problems.push(crate::text::sanitize(&err.to_string(), 200));
    }
    let secrets_left_out = match pointers {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items))
            if items
                .iter()
                .all(|item| item.as_str().is_some_and(|p| p.starts_with('/'))) =>
        {
            items
                .into_iter()
                .filter_map(|item| item.as_str().map(str::to_string))
                .collect()
        }
        Some(_) => {
            problems.push(format!(
                "backend '{shown}': its \"secrets_left_out\" entry is not a list of JSON pointers"
            ));
            Vec::new()
        }
    };
    let secret_hints = match hints {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(map)) if map.values().all(Value::is_string) => map
            .into_iter()
            .filter_map(|(pointer, hint)| hint.as_str().map(|hint| (pointer, hint.to_string())))
            .collect(),
        Some(_) => {
            problems.push(format!(
                "backend '{shown}': its \"secret_hints\" entry is not an object of masked values"
            ));
            BTreeMap::new()
        }
    };
    let Value::Object(doc) = doc else {
        problems.push(format!(
            "backend '{shown}' is {}, not an object",
            crate::store::fsio::json_kind(&doc)
        ));
        return Err(problems);
    };
    match doc.get("id") {
        None => {}
        Some(Value::String(inner)) if inner == id => {}
        Some(other) => problems.push(format!(
            "backend '{shown}': its \"id\" is {}, not '{shown}'",
            crate::text::sanitize(&other.to_string(), 80)
        )),
    }
    let Some(Value::Object(config)) = doc.get("config") else {
        problems.push(format!("backend '{shown}' has no \"config\" object"));
        return Err(problems);
    };
    let mut incomplete = None;
    if let Some(kind) = config
        .get("type")
        .and_then(Value::as_str)
        .and_then(|name| Kind::parse(name).ok())
    {
        for spec in kind.fields() {
            if let Some(value) = config.get(spec.name) {
                if let Err(reason) = spec.validate(value) {
                    problems.push(format!(
                        "backend '{shown}': field '{}': {}",
                        spec.name,
                        crate::text::sanitize(&reason, 200)
                    ));
                }
            }
        }
        if problems.is_empty() {
            // What is left is completeness: a secret left out stands in as a placeholder,
            // since its absence is said apart.
            let mut filled = config.clone();
            for pointer in &secrets_left_out {
                if let Some([_, field]) = pointer_tokens(pointer).as_deref() {
                    if kind.field(field).is_some_and(|spec| spec.secret) {
                        filled
                            .entry(field.clone())
                            .or_insert_with(|| json!(LEFT_OUT_PLACEHOLDER));
                    }
                }
            }
            incomplete = backends::problems(&filled)
                .first()
                .map(|problem| crate::text::sanitize(&problem.to_string(), 200));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(BackupBackend {
        id: id.to_string(),
        doc,
        secrets_left_out,
        secret_hints,
        incomplete,
    })
}

// ---------------------------------------------------------------------------------------------
// The plan

/// What this home holds, as far as an import is concerned.
#[derive(Clone, Debug, Default)]
pub struct Here {
    /// Every backend file by id: its object, or why it does not read.
    pub backends: BTreeMap<String, Result<Map<String, Value>, String>>,
    /// `global_settings` as stored.
    pub settings: Map<String, Value>,
    /// The home was made for this import (or does not exist yet): the backup's settings
    /// replace the defaults a new home starts with.
    pub fresh: bool,
}

impl Here {
    /// A home that does not exist yet.
    pub fn nothing() -> Here {
        Here {
            fresh: true,
            ..Here::default()
        }
    }

    /// Reads what `store` holds. `fresh`: the home was created just now.
    pub fn read(store: &Store, fresh: bool) -> Result<Here, StoreError> {
        let listing = store.list_backends();
        let mut backends = BTreeMap::new();
        for error in listing.errors {
            match &error {
                StoreError::Corrupt { path, reason } => {
                    let id = path
                        .file_name()
                        .map(|name| name.to_string_lossy().into_owned())
                        .and_then(|name| name.strip_suffix(".json").map(str::to_string));
                    if let Some(id) = id {
                        backends.insert(id, Err(reason.clone()));
                    }
                }
                _ => return Err(error),
            }
        }
        for backend in listing.backends {
            backends.insert(backend.id, Ok(backend.doc));
        }
        Ok(Here {
            backends,
            settings: store.stored_global_settings()?,
            fresh,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Add,
    /// Replaces what is here; the fields that differ.
    Change {
        fields: Vec<String>,
    },
    Keep {
        why: Keep,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Keep {
    /// What the file holds is what is here.
    Identical,
    /// It differs, and `--replace` was not given.
    Exists,
    /// The file here does not read (the reason): it is left alone.
    Unreadable(String),
}

impl Action {
    pub fn writes(&self) -> bool {
        matches!(self, Action::Add | Action::Change { .. })
    }

    fn word(&self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Change { .. } => "change",
            Action::Keep { .. } => "keep",
        }
    }

    fn note(&self) -> String {
        match self {
            Action::Add => String::new(),
            Action::Change { fields } => format!(" (fields: {})", fields.join(", ")),
            Action::Keep {
                why: Keep::Identical,
            } => " (identical)".into(),
            Action::Keep { why: Keep::Exists } => " (exists here; --replace to overwrite)".into(),
            Action::Keep {
                why: Keep::Unreadable(reason),
            } => format!(" (its file here does not read: {reason})"),
        }
    }
}

/// One backend of the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct BackendStep {
    pub id: String,
    pub action: Action,
    /// The document to write (the backup's, with the secrets this home has put back).
    pub doc: Map<String, Value>,
    /// Secrets (JSON pointers) it will lack: left out of the file and not here either.
    pub missing_secrets: Vec<String>,
    /// The backup's masked form of each of them, where it has one.
    pub secret_hints: BTreeMap<String, String>,
    /// What its config lacks besides (a warning).
    pub incomplete: Option<String>,
}

/// One setting of the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingStep {
    pub key: String,
    pub action: Action,
    pub value: Value,
}

/// What an import does, decided before it writes anything.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub backends: Vec<BackendStep>,
    pub settings: Vec<SettingStep>,
    /// Settings left out of the backup (they looked secret) that this home does not have.
    pub settings_missing: Vec<String>,
    /// The backup's settings replace the new home's defaults whole.
    pub fresh: bool,
    /// Why the import cannot go ahead (a file here to be replaced does not read).
    pub blocked: Vec<String>,
}

/// The names of what differs between two documents: the config's fields, then other keys.
/// `updated` is not a difference: it is when, not what.
fn changed_fields(new: &Map<String, Value>, old: &Map<String, Value>) -> Vec<String> {
    let empty = Map::new();
    let config_of = |doc: &Map<String, Value>| match doc.get("config") {
        Some(Value::Object(config)) => config.clone(),
        _ => empty.clone(),
    };
    let (new_config, old_config) = (config_of(new), config_of(old));
    let mut fields = differing_keys(&new_config, &old_config, &[]);
    fields.extend(differing_keys(new, old, &["config", "updated"]));
    fields
        .iter()
        .map(|field| crate::text::sanitize(field, 64))
        .collect()
}

fn differing_keys(
    new: &Map<String, Value>,
    old: &Map<String, Value>,
    skip: &[&str],
) -> Vec<String> {
    new.keys()
        .chain(old.keys().filter(|key| !new.contains_key(*key)))
        .filter(|key| !skip.contains(&key.as_str()) && new.get(*key) != old.get(*key))
        .cloned()
        .collect()
}

/// Decides what importing `backup` into `here` does.
pub fn plan(backup: &Backup, here: &Here, replace: bool) -> Plan {
    let mut plan = Plan {
        backends: Vec::new(),
        settings: Vec::new(),
        settings_missing: Vec::new(),
        fresh: here.fresh,
        blocked: Vec::new(),
    };
    for backend in &backup.backends {
        let mut doc = backend.doc.clone();
        let (action, missing_secrets) = match here.backends.get(&backend.id) {
            None => (Action::Add, backend.secrets_left_out.clone()),
            Some(Err(reason)) if replace => {
                plan.blocked.push(format!(
                    "backends/{}.json here does not read ({}): mend or remove it, then import again",
                    crate::text::sanitize(&backend.id, 80),
                    crate::text::sanitize(reason, 200)
                ));
                (
                    Action::Keep {
                        why: Keep::Unreadable(crate::text::sanitize(reason, 200)),
                    },
                    Vec::new(),
                )
            }
            Some(Err(reason)) => (
                Action::Keep {
                    why: Keep::Unreadable(crate::text::sanitize(reason, 200)),
                },
                Vec::new(),
            ),
            Some(Ok(current)) => {
                // Secrets come back only from a backend of the same kind: another kind's
                // credentials are for another service.
                let same_kind = kind_of(current) == backend.kind();
                let missing = restore_secrets(
                    &mut doc,
                    &backend.secrets_left_out,
                    same_kind.then_some(current),
                );
                let fields = changed_fields(&doc, current);
                if fields.is_empty() {
                    (
                        Action::Keep {
                            why: Keep::Identical,
                        },
                        Vec::new(),
                    )
                } else if replace {
                    (Action::Change { fields }, missing)
                } else {
                    (Action::Keep { why: Keep::Exists }, Vec::new())
                }
            }
        };
        let secret_hints = missing_secrets
            .iter()
            .filter_map(|pointer| {
                backend
                    .secret_hints
                    .get(pointer)
                    .map(|hint| (pointer.clone(), hint.clone()))
            })
            .collect();
        plan.backends.push(BackendStep {
            id: backend.id.clone(),
            secret_hints,
            incomplete: action
                .writes()
                .then(|| backend.incomplete.clone())
                .flatten(),
            action,
            doc,
            missing_secrets,
        });
    }
    for (key, value) in &backup.settings {
        let action = match here.settings.get(key) {
            _ if here.fresh => Action::Add,
            None => Action::Add,
            Some(current) if current == value => Action::Keep {
                why: Keep::Identical,
            },
            Some(_) if replace => Action::Change { fields: Vec::new() },
            Some(_) => Action::Keep { why: Keep::Exists },
        };
        plan.settings.push(SettingStep {
            key: key.clone(),
            action,
            value: value.clone(),
        });
    }
    plan.settings_missing = backup
        .settings_left_out
        .iter()
        .filter(|key| here.fresh || !here.settings.contains_key(*key))
        .cloned()
        .collect();
    plan
}

impl Plan {
    /// One line per backend and setting: `add backend ID`, `change backend ID (fields: a, b)`,
    /// `keep backend ID (identical)`, ...
    pub fn lines(&self) -> Vec<String> {
        let backends = self.backends.iter().map(|step| {
            format!(
                "{:<6} backend {}{}",
                step.action.word(),
                shown_id(&step.id),
                step.action.note()
            )
        });
        let settings = self.settings.iter().map(|step| {
            let note = match &step.action {
                Action::Change { .. } => String::new(),
                other => other.note(),
            };
            format!(
                "{:<6} setting {}{}",
                step.action.word(),
                crate::text::sanitize(&step.key, 64),
                note
            )
        });
        backends.chain(settings).collect()
    }

    /// How many backends and settings are added, changed and kept: `backends: 2 to add, ...`
    /// for a plan, `backends: 2 added, ...` once `done`.
    pub fn summary(&self, done: bool) -> String {
        let words = if done {
            ["added", "changed", "kept"]
        } else {
            ["to add", "to change", "to keep"]
        };
        let count = |actions: &mut dyn Iterator<Item = &Action>| {
            let mut counts = [0usize; 3];
            for action in actions {
                counts[match action {
                    Action::Add => 0,
                    Action::Change { .. } => 1,
                    Action::Keep { .. } => 2,
                }] += 1;
            }
            format!(
                "{} {}, {} {}, {} {}",
                counts[0], words[0], counts[1], words[1], counts[2], words[2]
            )
        };
        format!(
            "backends: {}; settings: {}",
            count(&mut self.backends.iter().map(|s| &s.action)),
            count(&mut self.settings.iter().map(|s| &s.action))
        )
    }

    pub fn writes_anything(&self) -> bool {
        self.backends.iter().any(|s| s.action.writes())
            || self.settings.iter().any(|s| s.action.writes())
    }

    /// Warnings to say loudly: secrets to set, incomplete configs, settings left out.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for step in self.backends.iter().filter(|s| s.action.writes()) {
            if !step.missing_secrets.is_empty() {
                // Each with the masked form the backup kept (`access_key ••••XYZ`): which key
                // to supply, without the key.
                let fields: Vec<String> = step
                    .missing_secrets
                    .iter()
                    .map(|p| match step.secret_hints.get(p) {
                        Some(hint) => {
                            format!(
                                "{} (was {})",
                                pointer_label(p),
                                crate::text::sanitize(hint, 16)
                            )
                        }
                        None => pointer_label(p),
                    })
                    .collect();
                let settable: Vec<String> = step
                    .missing_secrets
                    .iter()
                    .filter_map(|p| match pointer_tokens(p).as_deref() {
                        Some([config, field]) if config == "config" => {
                            Some(format!("{}=...", crate::text::sanitize(field, 64)))
                        }
                        _ => None,
                    })
                    .collect();
                let how = if settable.len() == fields.len() {
                    format!(
                        "set them with: ipfs-kit-tui backend set {} {}",
                        shell_word(&step.id),
                        settable.join(" ")
                    )
                } else {
                    format!(
                        "set them in backends/{}.json",
                        crate::text::sanitize(&step.id, 80)
                    )
                };
                warnings.push(format!(
                    "backend {} has no value for {} (left out of the backup): {how}",
                    shown_id(&step.id),
                    fields.join(", ")
                ));
            }
            if let Some(problem) = &step.incomplete {
                warnings.push(format!(
                    "backend {} is incomplete in the backup ({problem}); imported as it is",
                    shown_id(&step.id)
                ));
            }
        }
        for key in &self.settings_missing {
            warnings.push(format!(
                "setting '{}' was left out of the backup (it looks secret): set it again if it is needed",
                crate::text::sanitize(key, 64)
            ));
        }
        warnings
    }
}

/// An id in a message: as it is when it follows the creation rule, else quoted.
fn shown_id(id: &str) -> String {
    if names::is_conventional_backend_id(id) {
        id.to_string()
    } else {
        format!("'{}'", crate::text::sanitize(id, 80))
    }
}

/// An id as one word a shell reads back as it is.
fn shell_word(id: &str) -> String {
    if names::is_conventional_backend_id(id) {
        id.to_string()
    } else {
        format!("'{}'", crate::text::sanitize(id, 80).replace('\'', r"'\''"))
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// What an import wrote, one line each (`backend x`, `settings: a, b`), and what it found it
/// must not write after all (a backend another program created meanwhile).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    pub written: Vec<String>,
    pub skipped: Vec<String>,
}

/// An import that stopped midway: what was written before, what was not, and why.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct ApplyError {
    pub written: Vec<String>,
    pub not_written: Vec<String>,
    pub error: StoreError,
}

/// Writes what `plan` says, under the session's lock: each backend file (atomic, indexed),
/// then the settings in one write of `main.json`. A backend planned as new that another
/// program created meanwhile is kept unless `replace`.
pub fn apply(
    session: &RestoreSession<'_>,
    backup: &Backup,
    plan: &Plan,
    replace: bool,
) -> Result<Applied, ApplyError> {
    let mut written = Vec::new();
    let mut skipped = Vec::new();
    let backend_steps: Vec<&BackendStep> =
        plan.backends.iter().filter(|s| s.action.writes()).collect();
    let setting_steps: Vec<&SettingStep> =
        plan.settings.iter().filter(|s| s.action.writes()).collect();
    let settings_label = || {
        let keys: Vec<String> = setting_steps
            .iter()
            .map(|s| crate::text::sanitize(&s.key, 64))
            .collect();
        format!("settings: {}", keys.join(", "))
    };
    let not_written_from = |index: usize| {
        let mut rest: Vec<String> = backend_steps[index..]
            .iter()
            .map(|s| format!("backend {}", shown_id(&s.id)))
            .collect();
        if !setting_steps.is_empty() {
            rest.push(settings_label());
        }
        rest
    };
    for (index, step) in backend_steps.iter().enumerate() {
        let Some(source) = backup.backend(&step.id) else {
            continue;
        };
        if step.action == Action::Add && !replace && session.store().backend_exists(&step.id) {
            // Created by another program since the plan was made: not ours to overwrite.
            skipped.push(format!(
                "backend {} was created by another program meanwhile: kept (--replace to overwrite)",
                shown_id(&step.id)
            ));
            continue;
        }
        let result = session.put_backend(&step.id, |current| {
            let mut doc = source.doc.clone();
            let same_kind = current.is_some_and(|current| kind_of(current) == source.kind());
            restore_secrets(
                &mut doc,
                &source.secrets_left_out,
                current.filter(|_| same_kind),
            );
            Ok(doc)
        });
        let backend = match result {
            Ok(backend) => backend,
            Err(error) => {
                return Err(ApplyError {
                    written,
                    not_written: not_written_from(index),
                    error,
                })
            }
        };
        written.push(format!("backend {}", shown_id(&step.id)));
        if let Err(error) = session.index_backend(&backend) {
            // The file is written; the next write of any backend brings the index in step.
            if let Some(last) = written.last_mut() {
                last.push_str(" (its file; not yet its entry in config/main.json)");
            }
            return Err(ApplyError {
                written,
                not_written: not_written_from(index + 1),
                error,
            });
        }
    }
    if !setting_steps.is_empty() {
        let result = session.update_global_settings(|settings| {
            if plan.fresh {
                *settings = backup.settings.clone();
            } else {
                for step in &setting_steps {
                    settings.insert(step.key.clone(), step.value.clone());
                }
            }
        });
        if let Err(error) = result {
            return Err(ApplyError {
                written,
                not_written: vec![settings_label()],
                error,
            });
        }
        written.push(settings_label());
    }
    Ok(Applied { written, skipped })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn s3_doc() -> Map<String, Value> {
        map(json!({
            "id": "s3main",
            "updated": "2025-07-28T10:11:12.000001+00:00",
            "config": {
                "type": "s3",
                "endpoint": "http://127.0.0.1:3900",
                "access_key": "GKSECRETACCESS",
                "secret_key": "very-secret",
                "bucket": "media",
                "admin_url": "http://127.0.0.1:3903",
                "admin_token": "env:GARAGE_ADMIN",
                "nested": {"items": [{"password": "p4ss", "plain": 1}], "use_auth": true},
                "enabled": true,
            },
            "legacy_api_token": "top-level-secret",
        }))
    }

    fn backup_of(docs: &[Map<String, Value>], include_secrets: bool) -> Value {
        let mut backends = Map::new();
        let mut left_out = Map::new();
        for doc in docs {
            let id = doc["id"].as_str().unwrap().to_string();
            let mut doc = doc.clone();
            if !include_secrets {
                left_out.insert(id.clone(), json!(strip_secrets(&mut doc)));
            }
            backends.insert(id, Value::Object(doc));
        }
        json!({
            "format": FORMAT, "version": 1, "include_secrets": include_secrets,
            "secrets_left_out": left_out,
            "global_settings": {"refresh_secs": 7, "custom": {"x": 1}},
            "backends": backends,
        })
    }

    #[test]
    fn secrets_are_removed_by_kind_and_by_look_env_references_kept() {
        let mut doc = s3_doc();
        let removed = strip_secrets(&mut doc);
        assert_eq!(
            removed,
            vec![
                "/config/access_key",
                "/config/secret_key",
                "/config/nested/items/0/password",
                "/legacy_api_token",
            ]
        );
        let text = Value::Object(doc.clone()).to_string();
        for secret in ["GKSECRETACCESS", "very-secret", "p4ss", "top-level-secret"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(doc["config"]["admin_token"], json!("env:GARAGE_ADMIN"));
        assert_eq!(doc["config"]["nested"]["use_auth"], json!(true));
        assert_eq!(doc["config"]["nested"]["items"][0]["plain"], json!(1));
    }

    #[test]
    fn secrets_put_back_from_here_land_where_they_were() {
        let original = s3_doc();
        let mut doc = original.clone();
        let removed = strip_secrets(&mut doc);
        let missing = restore_secrets(&mut doc, &removed, Some(&original));
        assert!(missing.is_empty(), "{missing:?}");
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            serde_json::to_string(&original).unwrap(),
            "same keys in the same order"
        );
        let mut bare = original.clone();
        strip_secrets(&mut bare);
        let missing = restore_secrets(&mut bare, &removed, None);
        assert_eq!(missing, removed);
    }

    #[test]
    fn pointers_escape_slashes_and_tildes() {
        let pointer = pointer_to("/config", "a/b~c");
        assert_eq!(pointer, "/config/a~1b~0c");
        assert_eq!(
            pointer_tokens(&pointer).unwrap(),
            vec!["config".to_string(), "a/b~c".to_string()]
        );
        assert_eq!(pointer_label(&pointer), "a/b~c");
        assert_eq!(pointer_label("/legacy_api_token"), "/legacy_api_token");
    }

    #[test]
    fn a_backup_without_secrets_reads_back_and_its_left_out_secrets_are_not_problems() {
        let backup = Backup::from_value(backup_of(&[s3_doc()], false), "b.json").unwrap();
        let backend = backup.backend("s3main").unwrap();
        assert_eq!(backend.secrets_left_out.len(), 4);
        assert_eq!(
            backend.incomplete, None,
            "the required secrets were left out, not lost"
        );
        assert_eq!(backup.settings["refresh_secs"], json!(7));
    }

    #[test]
    fn format_version_and_syntax_are_checked_first() {
        let err = Backup::parse(b"{\"format\": \"ipfs-kit", "b.json").unwrap_err();
        assert!(matches!(err, BackupError::Syntax { .. }));
        assert!(err.to_string().contains("line 1"), "{err}");
        let err = Backup::parse(br#"{"format": "other", "version": 1}"#, "b.json").unwrap_err();
        assert!(
            err.to_string().contains("not an ipfs-kit-tui backup"),
            "{err}"
        );
        let newer = json!({"format": FORMAT, "version": 2, "backends": "whatever"});
        assert_eq!(
            Backup::from_value(newer, "b.json").unwrap_err().to_string(),
            "b.json was written by a newer ipfs-kit-tui (format version 2; this one reads up to 1)"
        );
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let mut document = backup_of(&[s3_doc()], true);
        document["backends"]["s3main"]["config"]["endpoint"] = json!("ftp://nowhere");
        document["backends"]["bad/id"] = json!({"config": {"type": "local", "path": "/x"}});
        document["backends"]["noconfig"] = json!({"id": "noconfig"});
        document["backends"]["alien"] = json!({"config": {"type": "lassie", "anything": [1]}});
        document["global_settings"]["refresh_secs"] = json!(0);
        document["global_settings"]["python_only"] = json!("kept as it is");
        let BackupError::Invalid { problems, .. } =
            Backup::from_value(document, "b.json").unwrap_err()
        else {
            panic!("expected Invalid");
        };
        let text = problems.join("\n");
        assert_eq!(problems.len(), 4, "{text}");
        assert!(
            text.contains("setting 'refresh_secs': 0 is out of range"),
            "{text}"
        );
        assert!(
            text.contains("backend 's3main': field 'endpoint'"),
            "{text}"
        );
        assert!(text.contains("must not contain '/'"), "{text}");
        assert!(
            text.contains("backend 'noconfig' has no \"config\" object"),
            "{text}"
        );
    }

    #[test]
    fn an_incomplete_config_is_a_warning_not_a_refusal() {
        let doc = map(json!({"id": "hf_demo", "config": {"type": "huggingface", "enabled": true}}));
        let backup = Backup::from_value(backup_of(&[doc], true), "b.json").unwrap();
        let incomplete = backup.backends[0].incomplete.clone().unwrap();
        assert!(incomplete.contains("repo_id"), "{incomplete}");
        let plan = plan(&backup, &Here::nothing(), false);
        assert!(
            plan.warnings()[0].contains("imported as it is"),
            "{:?}",
            plan.warnings()
        );
    }

    #[test]
    fn plan_adds_changes_and_keeps() {
        let mut changed = s3_doc();
        changed["config"]["bucket"] = json!("other");
        let local =
            map(json!({"id": "local", "updated": "t1", "config": {"type": "local", "path": "/x"}}));
        let mut local_restamped = local.clone();
        local_restamped["updated"] = json!("t2");
        let backup = Backup::from_value(
            backup_of(
                &[
                    changed,
                    local,
                    map(json!({"id": "new", "config": {"type": "local", "path": "/y"}})),
                ],
                false,
            ),
            "b.json",
        )
        .unwrap();
        let mut here = Here::default();
        here.backends.insert("s3main".into(), Ok(s3_doc()));
        here.backends.insert("local".into(), Ok(local_restamped));
        here.settings = map(json!({"refresh_secs": 5, "custom": {"x": 1}}));

        let kept = plan(&backup, &here, false);
        assert_eq!(
            kept.lines(),
            vec![
                "keep   backend s3main (exists here; --replace to overwrite)",
                "keep   backend local (identical)",
                "add    backend new",
                "keep   setting refresh_secs (exists here; --replace to overwrite)",
                "keep   setting custom (identical)",
            ]
        );
        let replaced = plan(&backup, &here, true);
        assert_eq!(
            replaced.backends[0].action,
            Action::Change {
                fields: vec!["bucket".into()]
            },
            "the secrets left out come back from here, so only the bucket differs"
        );
        assert!(replaced.backends[0].missing_secrets.is_empty());
        assert_eq!(
            replaced.backends[0].doc["config"]["secret_key"],
            json!("very-secret")
        );
        assert_eq!(
            replaced.settings[0].action,
            Action::Change { fields: vec![] }
        );
        assert!(replaced.warnings().is_empty(), "{:?}", replaced.warnings());
    }

    #[test]
    fn a_new_backend_without_its_secrets_is_added_with_a_loud_warning() {
        let backup = Backup::from_value(backup_of(&[s3_doc()], false), "b.json").unwrap();
        let plan = plan(&backup, &Here::nothing(), false);
        assert_eq!(plan.backends[0].action, Action::Add);
        let warnings = plan.warnings().join("\n");
        assert!(
            warnings.contains(
                "access_key, secret_key, /config/nested/items/0/password, /legacy_api_token"
            ),
            "{warnings}"
        );
        assert!(warnings.contains("backends/s3main.json"), "{warnings}");
        let simple = map(
            json!({"id": "hf", "config": {"type": "huggingface", "repo_id": "a/b", "token": "hf_xxxxxxxx"}}),
        );
        let backup = Backup::from_value(backup_of(&[simple], false), "b.json").unwrap();
        let warnings = super::plan(&backup, &Here::nothing(), false).warnings();
        assert_eq!(
            warnings,
            vec!["backend hf has no value for token (left out of the backup): set them with: ipfs-kit-tui backend set hf token=..."]
        );
    }

    #[test]
    fn an_export_without_secrets_keeps_their_masked_hints_and_nothing_more() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path().join("home")).unwrap();
        let access = "AKIAEXAMPLEACCESSKEYXYZ";
        let short = "SHORTKEY";
        store
            .create_backend(
                "media",
                map(
                    json!({"type": "s3", "endpoint": "http://127.0.0.1:3900", "bucket": "media",
                    "access_key": access, "secret_key": short}),
                ),
            )
            .unwrap();
        let exported = export(&store, false).unwrap();
        let document = &exported.document;
        assert_eq!(
            document["secret_hints"]["media"],
            json!({"/config/access_key": "••••XYZ", "/config/secret_key": "••••"}),
            "what the screen shows: the last 3 of a long secret, nothing of a short one"
        );
        let text = String::from_utf8(crate::store::fsio::to_json_bytes(document).unwrap()).unwrap();
        for secret in [access, short] {
            let chars: Vec<char> = secret.chars().collect();
            for window in chars.windows(4) {
                let piece: String = window.iter().collect();
                assert!(
                    !text.contains(&piece),
                    "{piece} of a secret in the file:\n{text}"
                );
            }
        }
        // Read back (a reader that predates the field ignores it), the import names each
        // missing secret with its hint.
        let backup = Backup::from_value(document.clone(), "b.json").unwrap();
        let warnings = plan(&backup, &Here::nothing(), false).warnings();
        assert_eq!(
            warnings,
            vec![
                "backend media has no value for access_key (was ••••XYZ), secret_key (was ••••) \
                  (left out of the backup): set them with: ipfs-kit-tui backend set media \
                  access_key=... secret_key=..."
            ]
        );
        // With the secrets, no hints.
        let full = export(&store, true).unwrap();
        assert_eq!(full.document["secret_hints"], json!({}));
        // A malformed entry is named, like every other problem of the file.
        let mut bad = document.clone();
        bad["secret_hints"]["media"] = json!(["••••XYZ"]);
        let err = Backup::from_value(bad, "b.json").unwrap_err().to_string();
        assert!(err.contains("\"secret_hints\" entry"), "{err}");
    }

    #[test]
    fn a_replaced_backend_that_does_not_read_here_blocks_the_import() {
        let backup = Backup::from_value(backup_of(&[s3_doc()], true), "b.json").unwrap();
        let mut here = Here::default();
        here.backends
            .insert("s3main".into(), Err("does not parse".into()));
        assert!(plan(&backup, &here, false).blocked.is_empty());
        let blocked = plan(&backup, &here, true).blocked;
        assert_eq!(blocked.len(), 1);
        assert!(blocked[0].contains("backends/s3main.json"), "{blocked:?}");
    }

    #[test]
    fn unknown_settings_that_look_secret_are_left_out() {
        assert!(setting_holds_secret("api_token", &json!("abc")));
        assert!(setting_holds_secret("hooks", &json!({"password": "x"})));
        assert!(!setting_holds_secret("api_token", &json!("env:TOKEN")));
        assert!(!setting_holds_secret(
            "alert_command",
            &json!("notify --token x")
        ));
        assert!(!setting_holds_secret(
            "python_only",
            &json!({"nested": ["café", 1]})
        ));
        // A webhook URL often holds its token (in the path, the query or the user part).
        assert!(setting_holds_secret(
            "alert_webhook",
            &json!("https://hooks.slack.com/services/T0/B0/XXXX")
        ));
        assert!(!setting_holds_secret("alert_webhook", &Value::Null));
    }

    #[test]
    fn a_write_that_fails_midway_says_what_was_written_and_what_was_not() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path().join("home")).unwrap();
        let docs = [
            map(json!({"id": "first", "updated": "t", "config": {"type": "local", "path": "/a"}})),
            map(json!({"id": "second", "updated": "t", "config": {"type": "local", "path": "/b"}})),
            map(json!({"id": "third", "updated": "t", "config": {"type": "local", "path": "/c"}})),
        ];
        let backup = Backup::from_value(backup_of(&docs, true), "b.json").unwrap();
        let session = store.restore_session().unwrap();
        let here = Here::read(&store, false).unwrap();
        let plan = plan(&backup, &here, true);
        // Something that cannot be replaced by a file takes the second one's place.
        std::fs::create_dir_all(store.backend_path("second")).unwrap();
        let failed = apply(&session, &backup, &plan, true).unwrap_err();
        assert_eq!(failed.written, vec!["backend first"]);
        assert_eq!(
            failed.not_written,
            vec![
                "backend second",
                "backend third",
                "settings: refresh_secs, custom"
            ]
        );
        assert!(store.backend_path("first").is_file());
        assert!(!store.backend_path("third").exists());
        assert!(store
            .stored_global_settings()
            .unwrap()
            .get("custom")
            .is_none());
    }
}
