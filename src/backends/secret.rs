//! Secrets: masked wherever shown, absent from JSON output, never logged. A secret may be given
//! as `env:NAME` so the file holds only a reference; it is read when a probe uses it.

/// The prefix that makes a secret a reference to an environment variable.
pub const ENV_PREFIX: &str = "env:";

pub fn validate(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err("must not be empty".into());
    }
    if let Some(name) = value.strip_prefix(ENV_PREFIX) {
        let mut chars = name.chars();
        let ok_start = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
        if !ok_start || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "'{value}' does not name an environment variable (env:NAME, NAME of letters, digits, _)"
            ));
        }
    }
    Ok(())
}

/// What to show instead of a secret: `••••` plus at most its last 3 characters, and those only
/// when the secret is long enough (12+) that they give nothing away. An `env:NAME` reference is
/// not itself secret and is shown whole.
pub fn mask(value: &str) -> String {
    if value.starts_with(ENV_PREFIX) {
        return crate::text::sanitize(value, 80);
    }
    let chars: Vec<char> = value.chars().collect();
    if chars.len() >= 12 {
        let tail: String = chars[chars.len() - 3..].iter().collect();
        format!("••••{}", crate::text::sanitize(&tail, 3))
    } else {
        "••••".to_string()
    }
}

/// A secret field of a config, resolved at use time (`env:NAME` read now); `None` when unset.
pub fn field(
    config: &serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Result<Option<String>, crate::probe::ProbeError> {
    match crate::probe::field(config, name) {
        Some(value) => resolve(name, value)
            .map(Some)
            .map_err(|e| crate::probe::ProbeError::Config(e.to_string())),
        None => Ok(None),
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("field '{field}': environment variable {name} is not set")]
pub struct MissingEnv {
    pub field: String,
    pub name: String,
}

/// The secret's value at use time: an `env:NAME` reference is read now.
pub fn resolve(field: &str, value: &str) -> Result<String, MissingEnv> {
    match value.strip_prefix(ENV_PREFIX) {
        Some(name) => std::env::var(name).map_err(|_| MissingEnv {
            field: field.to_string(),
            name: name.to_string(),
        }),
        None => Ok(value.to_string()),
    }
}

/// Whether a key the Python library (or a person) added, and that we do not know, looks like it
/// holds a secret. Such keys are masked too: better safe than leaked.
pub fn looks_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "secret",
        "token",
        "password",
        "passwd",
        "credential",
        "auth",
        "private",
        "api_key",
        "apikey",
        "access_key",
    ]
    .iter()
    .any(|word| key.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask("short"), "••••");
        assert_eq!(mask("abcdefghijklmnop"), "••••nop");
        assert_eq!(mask("env:S3_SECRET"), "env:S3_SECRET");
        assert!(!mask("GKa1b2c3d4e5f6secretvalue").contains("secret"));
    }

    #[test]
    fn env_references() {
        assert!(validate("env:GOOD_NAME1").is_ok());
        assert!(validate("env:1BAD").is_err());
        assert!(validate("env:").is_err());
        assert!(validate("").is_err());
        assert_eq!(resolve("f", "plain").unwrap(), "plain");
        let err = resolve("token", "env:IPFS_KIT_TUI_SURELY_UNSET_VAR").unwrap_err();
        assert_eq!(
            err.to_string(),
            "field 'token': environment variable IPFS_KIT_TUI_SURELY_UNSET_VAR is not set"
        );
    }

    #[test]
    fn secret_looking_keys() {
        assert!(looks_secret("api_token"));
        assert!(looks_secret("AWS_SECRET"));
        assert!(!looks_secret("bucket"));
    }
}
