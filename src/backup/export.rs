//! `export`: the backup document of a home's backends and settings, as they are stored, with
//! its secrets left out unless asked for, checked as `import` would check it.

use serde_json::{json, Map, Value};

use super::document::{Backup, BackupError};
use super::secrets::{mask_of, setting_holds_secret, strip_secrets, value_at};
use super::{FORMAT, VERSION};
use crate::store::{timestamp, Store, StoreError};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::plan::{plan, Here};
    use crate::backup::test_docs::map;

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
}
