//! Secrets in a backup: removed from each backend (the secret fields of its kind, and keys
//! that look secret at any depth) and from the settings, noted as JSON pointers with a masked
//! hint, and put back on import from the backend as this home has it.

use serde_json::{Map, Value};

use crate::backends::{self, secret, Kind};
use crate::store::settings;

/// A JSON pointer (RFC 6901) one key below `parent`.
fn pointer_to(parent: &str, key: &str) -> String {
    format!("{parent}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// The keys and indexes a JSON pointer goes through; `None` when it is not one.
pub(super) fn pointer_tokens(pointer: &str) -> Option<Vec<String>> {
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
pub(super) fn value_at<'a>(doc: &'a Map<String, Value>, pointer: &str) -> Option<&'a Value> {
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
pub(super) fn setting_holds_secret(key: &str, value: &Value) -> bool {
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
pub(super) fn mask_of(value: &Value) -> String {
    match value {
        Value::String(text) => secret::mask(text),
        _ => secret::mask(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::test_docs::s3_doc;
    use serde_json::json;

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
}
