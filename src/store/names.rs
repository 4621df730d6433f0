//! Which strings may become file names: backend ids and metadata keys.

use super::error::{Result, StoreError};

pub const ID_RULE: &str = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";

/// Checks a backend id against `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`.
pub fn check_backend_id(id: &str) -> Result<()> {
    check_name("backend id", id, 64)
}

/// Metadata keys follow the id rule but may be longer, so that `stats.<id>` fits.
pub fn check_metadata_key(key: &str) -> Result<()> {
    check_name("metadata key", key, 200)
}

fn check_name(what: &'static str, value: &str, max_len: usize) -> Result<()> {
    let invalid = |reason: String| StoreError::InvalidName {
        what,
        value: value.escape_debug().to_string(),
        reason,
    };
    let Some(first) = value.chars().next() else {
        return Err(invalid("must not be empty".into()));
    };
    if !first.is_ascii_alphanumeric() {
        return Err(invalid(format!(
            "must start with a letter or digit ({ID_RULE})"
        )));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(invalid(format!(
            "character {:?} is not allowed: only A-Z a-z 0-9 . _ -",
            bad
        )));
    }
    if value.len() > max_len {
        return Err(invalid(format!(
            "{} characters, at most {max_len} allowed",
            value.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for good in ["a", "A1", "garage-media", "x.y_z-0", &"a".repeat(64)] {
            assert!(check_backend_id(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "../x",
            "a/b",
            ".hidden",
            "-x",
            "_x",
            "é",
            "a b",
            &"a".repeat(65),
            "a\0",
        ] {
            assert!(check_backend_id(bad).is_err(), "{bad:?}");
        }
    }
}
