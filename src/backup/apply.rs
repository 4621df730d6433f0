//! The writes of an import: what the plan says, under the restore session's lock, and what
//! was and was not written when it stops midway.

use super::document::{kind_of, Backup};
use super::plan::{shown_id, Action, BackendStep, Plan, SettingStep};
use super::secrets::restore_secrets;
use crate::store::{RestoreSession, StoreError};

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
    use crate::backup::plan::{plan, Here};
    use crate::backup::test_docs::{backup_of, map};
    use crate::store::Store;
    use serde_json::json;

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
