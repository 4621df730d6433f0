//! Reading a backup: its format and version first, then every setting and every backend,
//! each problem collected, so that a refused file names all of them at once.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::secrets::pointer_tokens;
use super::{FORMAT, VERSION};
use crate::backends::{self, Kind};
use crate::store::{names, settings};

/// What a backup says in place of a left-out secret while its config is checked, so that a
/// required secret that is missing only because it was left out is not called a problem.
const LEFT_OUT_PLACEHOLDER: &str = "env:IPFS_KIT_TUI_SECRET_LEFT_OUT";

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

pub(super) fn kind_of(doc: &Map<String, Value>) -> Option<&str> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::test_docs::{backup_of, s3_doc};

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
}
