//! Backend kinds: one directory each, holding one registered type (`BackendKind`) with the
//! kind's config schema and its probes. `Kind` is the typed name of a kind; the registry below
//! is the only place that maps it to its type. This module also applies the schema to configs.

pub mod filecoin;
pub mod huggingface;
pub mod ipfs;
pub mod ipfs_cluster;
pub mod kind;
pub mod local;
pub mod rclone;
pub mod s3;
pub mod schema;
pub mod secret;

use serde_json::{Map, Value};

pub use kind::BackendKind;
pub use schema::{FieldSpec, FieldType};

/// Every kind's type, in `Kind::ALL` order.
static REGISTRY: [&dyn BackendKind; 7] = [
    &local::Local,
    &ipfs::Ipfs,
    &ipfs_cluster::IpfsCluster,
    &s3::S3,
    &huggingface::HuggingFace,
    &filecoin::Filecoin,
    &rclone::Rclone,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Local,
    Ipfs,
    IpfsCluster,
    S3,
    HuggingFace,
    Filecoin,
    Rclone,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Local,
        Kind::Ipfs,
        Kind::IpfsCluster,
        Kind::S3,
        Kind::HuggingFace,
        Kind::Filecoin,
        Kind::Rclone,
    ];

    /// The kind's registered type: its schema and probes.
    pub fn spec(self) -> &'static dyn BackendKind {
        REGISTRY[self as usize]
    }

    /// The name used in files (`config.type`) and on the command line.
    pub fn as_str(self) -> &'static str {
        self.spec().name()
    }

    pub fn parse(name: &str) -> Result<Kind, FieldError> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| FieldError {
                field: "type".into(),
                reason: format!(
                    "unknown kind '{}'; known: {}",
                    crate::text::sanitize(name, 40),
                    Kind::ALL.map(Kind::as_str).join(", ")
                ),
            })
    }

    pub fn description(self) -> &'static str {
        self.spec().description()
    }

    /// The kind's own fields (without the common ones), in the order a form shows them.
    pub fn own_fields(self) -> &'static [FieldSpec] {
        self.spec().fields()
    }

    /// Own fields, then the ones every kind has.
    pub fn fields(self) -> impl Iterator<Item = &'static FieldSpec> {
        self.own_fields().iter().chain(schema::COMMON_FIELDS)
    }

    pub fn field(self, name: &str) -> Option<&'static FieldSpec> {
        self.fields().find(|f| f.name == name)
    }

    /// Why a write check of a backend of kind `name` (its `type`) is refused before anything
    /// runs, naming the kinds that have one; `None` when the kind has one. Pure: the console
    /// asks it on a key press.
    pub fn write_check_refusal(name: &str) -> Option<String> {
        if Kind::parse(name).is_ok_and(|kind| kind.spec().has_write_check()) {
            return None;
        }
        let with: Vec<&str> = Kind::ALL
            .into_iter()
            .filter(|kind| kind.spec().has_write_check())
            .map(Kind::as_str)
            .collect();
        Some(format!(
            "kind {} has no write check (kinds with one: {})",
            crate::text::sanitize(name, 30),
            with.join(", ")
        ))
    }

    /// Rules that span fields (a password needs a user, ...).
    fn check_combination(self, config: &Map<String, Value>) -> Result<(), FieldError> {
        self.spec().check_combination(config)
    }

    /// A short description of where the backend lives, for lists.
    pub fn target(self, config: &Map<String, Value>) -> String {
        crate::text::sanitize(&self.spec().target(config), 120)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A config field that was rejected, with the reason.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("field '{field}': {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: &str, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

fn parse_field(kind: Kind, name: &str, raw: &str) -> Result<Value, FieldError> {
    if name == "type" {
        return Err(FieldError::new(
            "type",
            "the kind is chosen with --type when adding and cannot be changed; remove and add again",
        ));
    }
    let spec = kind.field(name).ok_or_else(|| {
        let known: Vec<_> = kind.fields().map(|f| f.name).collect();
        FieldError::new(
            &crate::text::sanitize(name, 64),
            format!("unknown field for kind {kind}; known: {}", known.join(", ")),
        )
    })?;
    spec.parse(raw)
        .map_err(|reason| FieldError::new(name, reason))
}

/// Builds a new config from `FIELD=VALUE` pairs: parses and checks each, fills defaults, and
/// requires the required fields.
pub fn new_config(kind: Kind, sets: &[(String, String)]) -> Result<Map<String, Value>, FieldError> {
    let mut config = Map::new();
    config.insert("type".into(), Value::String(kind.as_str().into()));
    for (name, raw) in sets {
        let value = parse_field(kind, name, raw)?;
        config.insert(name.clone(), value);
    }
    for spec in kind.fields() {
        if let (false, Some(default)) = (config.contains_key(spec.name), spec.default) {
            config.insert(spec.name.into(), default.to_json());
        }
    }
    check_complete(kind, &config)?;
    Ok(config)
}

/// Turns `FIELD=VALUE` pairs into edits of an existing config. `FIELD=` (empty) removes an
/// optional field. The merged result must still be complete.
pub fn edits(
    kind: Kind,
    existing: &Map<String, Value>,
    sets: &[(String, String)],
) -> Result<Vec<crate::store::Edit>, FieldError> {
    let mut merged = existing.clone();
    let mut edits = Vec::with_capacity(sets.len());
    for (name, raw) in sets {
        let value = if raw.is_empty() && name != "type" {
            match kind.field(name) {
                Some(spec) if spec.required => {
                    return Err(FieldError::new(name, "is required and cannot be removed"))
                }
                Some(_) => None,
                None => Some(parse_field(kind, name, raw)?),
            }
        } else {
            Some(parse_field(kind, name, raw)?)
        };
        match &value {
            Some(v) => merged.insert(name.clone(), v.clone()),
            None => merged.shift_remove(name),
        };
        edits.push((name.clone(), value));
    }
    // A config another tool wrote may already be incomplete (the library's demo backends
    // are): a change is refused only for a problem it brings, so that such a backend can
    // still be switched off, or mended one field at a time.
    let before = problems(existing);
    if let Some(new) = problems(&merged)
        .into_iter()
        .find(|problem| !before.contains(problem))
    {
        return Err(new);
    }
    Ok(edits)
}

/// Turns `FIELD=VALUE` pairs into edits of a config whose kind this console does not know (the
/// Python library knows more kinds, and a config may name none). Only what is safe without
/// its schema: the common fields (`enabled`, `poll_interval`, ...) checked as for every kind,
/// and the config's other fields, each keeping the JSON type it has (`FIELD=` removes one).
/// `type` is not changed here.
pub fn edits_unknown_kind(
    existing: &Map<String, Value>,
    sets: &[(String, String)],
) -> Result<Vec<crate::store::Edit>, FieldError> {
    sets.iter()
        .map(|(name, raw)| {
            if name == "type" {
                return Err(FieldError::new(
                    "type",
                    "the kind cannot be changed here; remove the backend and add it again",
                ));
            }
            if let Some(spec) = schema::COMMON_FIELDS.iter().find(|f| f.name == name) {
                if raw.is_empty() && name != "enabled" {
                    return Ok((name.clone(), None));
                }
                return spec
                    .parse(raw)
                    .map(|value| (name.clone(), Some(value)))
                    .map_err(|reason| FieldError::new(name, reason));
            }
            if raw.is_empty() {
                return Ok((name.clone(), None));
            }
            let value = match existing.get(name) {
                None | Some(Value::String(_)) => Value::String(raw.clone()),
                Some(current) => {
                    let parsed: Value = serde_json::from_str(raw).map_err(|_| {
                        FieldError::new(
                            &crate::text::sanitize(name, 64),
                            format!(
                                "holds {}; give a value of that type in JSON (not '{}')",
                                schema::kind_of(current),
                                crate::text::sanitize(raw, 40)
                            ),
                        )
                    })?;
                    if std::mem::discriminant(&parsed) != std::mem::discriminant(current) {
                        return Err(FieldError::new(
                            &crate::text::sanitize(name, 64),
                            format!(
                                "holds {}, not {}",
                                schema::kind_of(current),
                                schema::kind_of(&parsed)
                            ),
                        ));
                    }
                    parsed
                }
            };
            Ok((name.clone(), Some(value)))
        })
        .collect()
}

/// Required fields present and cross-field rules kept. Values already checked one by one.
fn check_complete(kind: Kind, config: &Map<String, Value>) -> Result<(), FieldError> {
    if let Some(missing) = kind
        .fields()
        .find(|f| f.required && config.get(f.name).is_none_or(Value::is_null))
    {
        return Err(FieldError::new(
            missing.name,
            format!("is required for kind {kind} ({})", missing.help),
        ));
    }
    kind.check_combination(config)
}

/// Everything wrong with a stored config (a file may have been written by hand or by another
/// tool): unknown kind, wrong types, missing fields. Empty when it is valid.
pub fn problems(config: &Map<String, Value>) -> Vec<FieldError> {
    let kind_name = config.get("type").and_then(Value::as_str).unwrap_or("");
    let kind = match Kind::parse(kind_name) {
        Ok(kind) => kind,
        Err(err) => return vec![err],
    };
    let mut problems: Vec<FieldError> = kind
        .fields()
        .filter_map(|spec| {
            let value = config.get(spec.name)?;
            spec.validate(value)
                .err()
                .map(|reason| FieldError::new(spec.name, reason))
        })
        .collect();
    if problems.is_empty() {
        if let Err(err) = check_complete(kind, config) {
            problems.push(err);
        }
    }
    problems
}

/// What is wrong with the fields every kind has (all a config of an unknown kind is checked
/// against).
pub fn common_field_problems(config: &Map<String, Value>) -> Vec<FieldError> {
    schema::COMMON_FIELDS
        .iter()
        .filter_map(|spec| {
            let value = config.get(spec.name)?;
            spec.validate(value)
                .err()
                .map(|reason| FieldError::new(spec.name, reason))
        })
        .collect()
}

/// The network endpoint a backend talks to (`host:port`), from the first URL field it has:
/// backends that share one go down together, and their alerts are grouped.
pub fn endpoint(config: &Map<String, Value>) -> Option<String> {
    ENDPOINT_FIELDS
        .iter()
        .filter_map(|field| config.get(*field).and_then(Value::as_str))
        .find_map(host_port)
}

/// The fields that hold a backend's network address, every kind's: Kubo's, Cluster's and
/// Lotus' `api_url`, S3's and the Hub's `endpoint`, rclone's `rc_url`, Garage's `admin_url`.
const ENDPOINT_FIELDS: [&str; 6] = [
    "api_url",
    "endpoint",
    "rc_url",
    "url",
    "rpc_url",
    "admin_url",
];

/// `host:port` of a URL (the scheme's port when none is written); `None` when it is not one.
pub fn host_port(text: &str) -> Option<String> {
    let url = url::Url::parse(text).ok()?;
    let host = url.host_str()?.to_string();
    Some(match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// What a backend's storage figures measure, as `KIND:HOST:PORT/WHAT` (an address and a name
/// from the config, never a secret): two backends of one node, bucket or remote share it and
/// are counted once in totals. `None` without a readable address.
pub fn storage_identity(
    kind: &str,
    config: &Map<String, Value>,
    address_field: &str,
    what: &str,
) -> Option<String> {
    let address = config
        .get(address_field)
        .and_then(Value::as_str)
        .and_then(host_port)?;
    Some(format!("{kind}:{address}/{what}"))
}

pub fn is_secret_key(kind: Option<Kind>, key: &str) -> bool {
    match kind.and_then(|k| k.field(key)) {
        Some(spec) => spec.secret,
        None => key != "type" && secret::looks_secret(key),
    }
}

/// A config as it may be shown: secrets replaced by their mask, strings sanitised. Nested
/// objects (the dashboard's YAML nests a `config`) are masked by key as well.
pub fn display_fields(config: &Map<String, Value>) -> Vec<(String, String)> {
    let kind = config
        .get("type")
        .and_then(Value::as_str)
        .and_then(|k| Kind::parse(k).ok());
    config
        .iter()
        .map(|(key, value)| {
            let shown = match value {
                Value::String(s) if is_secret_key(kind, key) => secret::mask(s),
                _ if is_secret_key(kind, key) => "••••".to_string(),
                Value::String(s) => crate::text::sanitize(s, 200),
                other => crate::text::sanitize(&masked_nested(other).to_string(), 200),
            };
            (crate::text::sanitize(key, 64), shown)
        })
        .collect()
}

/// A value with every secret-looking key inside it (at any depth) masked.
fn masked_nested(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = match value {
                        Value::String(s) if secret::looks_secret(key) => {
                            Value::String(secret::mask(s))
                        }
                        _ if secret::looks_secret(key) => Value::String("••••".into()),
                        other => masked_nested(other),
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(masked_nested).collect()),
        other => other.clone(),
    }
}

/// A config for JSON output: secrets removed; `secrets_set` names the secret fields that hold a
/// value (names only: even an `env:` reference is left out, to keep the rule simple). Secret
/// keys of nested objects are removed too, and named by their path (`config.secret_key`).
pub fn public_config(config: &Map<String, Value>) -> (Map<String, Value>, Vec<String>) {
    let kind = config
        .get("type")
        .and_then(Value::as_str)
        .and_then(|k| Kind::parse(k).ok());
    let mut public = Map::new();
    let mut secrets_set = Vec::new();
    for (key, value) in config {
        if is_secret_key(kind, key) {
            secrets_set.push(key.clone());
        } else {
            public.insert(
                key.clone(),
                without_nested_secrets(key, value, &mut secrets_set),
            );
        }
    }
    (public, secrets_set)
}

fn without_nested_secrets(path: &str, value: &Value, removed: &mut Vec<String>) -> Value {
    match value {
        Value::Object(map) => {
            let mut kept = Map::new();
            for (key, value) in map {
                let inner = format!("{path}.{key}");
                if secret::looks_secret(key) {
                    removed.push(inner);
                } else {
                    kept.insert(key.clone(), without_nested_secrets(&inner, value, removed));
                }
            }
            Value::Object(kept)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| without_nested_secrets(&format!("{path}[{i}]"), item, removed))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `field` may only be set together with `needs`.
fn requires(config: &Map<String, Value>, field: &str, needs: &str) -> Result<(), FieldError> {
    let set = |name: &str| config.get(name).is_some_and(|v| !v.is_null());
    if set(field) && !set(needs) {
        Err(FieldError::new(
            field,
            format!("needs '{needs}' to be set too"),
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sets(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_registry_follows_kind_order() {
        for (index, kind) in Kind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, index);
            assert_eq!(Kind::parse(kind.as_str()), Ok(kind));
            assert!(kind.spec().pulse_requests() <= 4, "{kind}");
        }
    }

    #[test]
    fn every_kind_has_distinct_fields_with_valid_defaults() {
        for kind in Kind::ALL {
            let mut names: Vec<_> = kind.fields().map(|f| f.name).collect();
            let len = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), len, "{kind} repeats a field");
            for spec in kind.fields() {
                if let Some(default) = spec.default {
                    assert!(
                        spec.validate(&default.to_json()).is_ok(),
                        "{kind}.{}",
                        spec.name
                    );
                }
            }
        }
    }

    #[test]
    fn new_config_fills_defaults_and_requires_fields() {
        let config = new_config(Kind::Ipfs, &[]).unwrap();
        assert_eq!(config["api_url"], json!("http://127.0.0.1:5001"));
        assert_eq!(config["enabled"], json!(true));
        let err =
            new_config(Kind::S3, &sets(&[("endpoint", "http://127.0.0.1:3900")])).unwrap_err();
        assert_eq!(err.field, "bucket");
        let err = new_config(Kind::Local, &sets(&[("path", "/x"), ("bogus", "1")])).unwrap_err();
        assert_eq!(err.field, "bogus");
        let err = new_config(Kind::Ipfs, &sets(&[("api_url", "127.0.0.1:5001")])).unwrap_err();
        assert_eq!(err.field, "api_url");
    }

    #[test]
    fn edits_remove_optional_fields_only() {
        let existing = new_config(Kind::Ipfs, &sets(&[("auth", "Bearer abc")])).unwrap();
        let edits = edits(Kind::Ipfs, &existing, &sets(&[("auth", "")])).unwrap();
        assert_eq!(edits, vec![("auth".to_string(), None)]);
        let err = super::edits(Kind::Ipfs, &existing, &sets(&[("api_url", "")])).unwrap_err();
        assert_eq!(err.field, "api_url");
        let err = super::edits(Kind::Ipfs, &existing, &sets(&[("type", "s3")])).unwrap_err();
        assert_eq!(err.field, "type");
    }

    #[test]
    fn secrets_are_masked_and_left_out_of_json() {
        let mut config = new_config(
            Kind::S3,
            &sets(&[
                ("endpoint", "http://127.0.0.1:3900"),
                ("bucket", "media"),
                ("access_key", "GK0123456789abcdef"),
                ("secret_key", "env:S3_SECRET"),
            ]),
        )
        .unwrap();
        config.insert("legacy_api_token".into(), json!("zzzzzzzzzzzzzzzzTOP"));
        let shown = display_fields(&config);
        let shown_text = format!("{shown:?}");
        assert!(!shown_text.contains("GK0123456789"), "{shown_text}");
        assert!(!shown_text.contains("zzzzzz"), "{shown_text}");
        assert!(shown_text.contains("env:S3_SECRET"));
        let (public, secrets) = public_config(&config);
        assert!(!public.contains_key("access_key"));
        assert!(!public.contains_key("legacy_api_token"));
        assert_eq!(
            secrets,
            vec!["access_key", "secret_key", "legacy_api_token"]
        );
    }

    #[test]
    fn problems_of_hand_written_configs() {
        let config = json!({"type": "s3", "endpoint": "nope", "bucket": "media", "access_key": "a", "secret_key": "s", "path_style": "yes"});
        let problems = problems(config.as_object().unwrap());
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, vec!["endpoint", "path_style"]);
        let unknown = json!({"type": "ftp"});
        assert_eq!(
            super::problems(unknown.as_object().unwrap())[0].field,
            "type"
        );
    }
}
