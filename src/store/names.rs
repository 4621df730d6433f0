//! Which strings may become file names: backend ids and metadata keys.
//!
//! Two rules for backend ids. A backend created here gets a conservative id (`ID_RULE`). A
//! backend file another tool wrote (the Python library takes any id: `_staging`, `my backend`,
//! `café`) is shown, edited and removed under the id it has, as long as that id is a safe single
//! file name: not empty, no `/`, no NUL, not `.` or `..`.

use super::error::{Result, StoreError};

pub const ID_RULE: &str = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";

/// The longest file name Linux file systems take, in bytes.
const MAX_FILE_NAME: usize = 255;

/// Checks the id of a backend to be created against `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`.
pub fn check_new_backend_id(id: &str) -> Result<()> {
    check_name("backend id", id, 64)
}

/// Checks the id of an existing backend (one that any tool may have written): any id that
/// names exactly one file in `backends/`.
pub fn check_backend_id(id: &str) -> Result<()> {
    let invalid = |reason: &str| StoreError::InvalidName {
        what: "backend id",
        value: id.escape_debug().to_string(),
        reason: reason.to_string(),
    };
    if id.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if id == "." || id == ".." {
        return Err(invalid("must not be '.' or '..'"));
    }
    if id.contains('/') {
        return Err(invalid("must not contain '/'"));
    }
    if id.contains('\0') {
        return Err(invalid("must not contain a NUL character"));
    }
    if id.len() + ".json".len() > MAX_FILE_NAME {
        return Err(invalid("too long for a file name (at most 250 bytes)"));
    }
    Ok(())
}

/// Whether an existing backend's id also follows the creation rule (ids that do not are shown
/// as they are, and marked, since they may be awkward to type in a shell).
pub fn is_conventional_backend_id(id: &str) -> bool {
    check_new_backend_id(id).is_ok()
}

/// The metadata key under which a backend's last stats are kept.
pub fn stats_key(id: &str) -> String {
    format!("stats.{}", id_in_key(id))
}

/// The metadata key under which a backend's inventory is kept.
pub fn inventory_key(id: &str) -> String {
    format!("inventory.{}", id_in_key(id))
}

/// The metadata key under which a backend's last test report is kept.
pub fn test_key(id: &str) -> String {
    format!("test.{}", id_in_key(id))
}

/// A backend id as a part of a metadata key (`stats.<id>`): conventional ids as they are,
/// others with every byte outside `A-Z a-z 0-9 . _ -` written `%XX`, so that any id the
/// library allows gives one safe file name, and different ids never give the same one.
pub fn id_in_key(id: &str) -> std::borrow::Cow<'_, str> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-');
    if id.bytes().all(plain) {
        return std::borrow::Cow::Borrowed(id);
    }
    let mut encoded = String::with_capacity(id.len() * 3);
    for byte in id.bytes() {
        if plain(byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    std::borrow::Cow::Owned(encoded)
}

/// Metadata keys follow the id rule but may be longer, so that `stats.<id>` fits, and may
/// hold `%` (an id encoded by `id_in_key`).
pub fn check_metadata_key(key: &str) -> Result<()> {
    check_name("metadata key", key, 800)
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
    if let Some(bad) = value.chars().find(|c| {
        !(c.is_ascii_alphanumeric()
            || matches!(c, '.' | '_' | '-')
            || (*c == '%' && what == "metadata key"))
    }) {
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
    fn new_ids_follow_the_strict_rule() {
        for good in ["a", "A1", "garage-media", "x.y_z-0", &"a".repeat(64)] {
            assert!(check_new_backend_id(good).is_ok(), "{good}");
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
            assert!(check_new_backend_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn existing_ids_need_only_be_safe_file_names() {
        for good in ["_staging", "my backend", "café", ".hidden", "-x", "a..b"] {
            assert!(check_backend_id(good).is_ok(), "{good:?}");
            assert!(!is_conventional_backend_id(good) || good == "a..b");
        }
        for bad in ["", ".", "..", "a/b", "../x", "/", "a\0b", &"a".repeat(251)] {
            let err = check_backend_id(bad).unwrap_err();
            assert!(err.to_string().contains("backend id"), "{err}");
        }
        assert!(check_backend_id(&"a".repeat(250)).is_ok());
    }

    #[test]
    fn any_id_gives_a_distinct_safe_metadata_key() {
        assert_eq!(id_in_key("garage-1"), "garage-1");
        assert_eq!(id_in_key("my backend"), "my%20backend");
        assert_eq!(id_in_key("café"), "caf%C3%A9");
        assert_ne!(id_in_key("a%20b"), id_in_key("a b"));
        for id in ["_staging", "my backend", "café", ".x", "a%b"] {
            let key = format!("stats.{}", id_in_key(id));
            assert!(check_metadata_key(&key).is_ok(), "{key}");
        }
    }
}
