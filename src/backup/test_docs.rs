//! The backends and backup documents the stages' tests share.

use serde_json::{json, Map, Value};

use super::{strip_secrets, FORMAT};

pub(super) fn map(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

pub(super) fn s3_doc() -> Map<String, Value> {
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

pub(super) fn backup_of(docs: &[Map<String, Value>], include_secrets: bool) -> Value {
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
