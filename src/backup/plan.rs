//! The plan: what importing a backup into this home does (add, change, keep), decided before
//! anything is written, and how it is said (its lines, summary and warnings).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::document::{kind_of, Backup};
use super::secrets::{pointer_label, pointer_tokens, restore_secrets};
use crate::store::{names, Store, StoreError};

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
pub(super) fn shown_id(id: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::test_docs::{backup_of, map, s3_doc};
    use serde_json::json;

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
}
