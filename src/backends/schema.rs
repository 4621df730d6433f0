//! How a backend kind describes its config fields, and the checks every field goes through.

use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// Free text, non-empty.
    Text,
    /// An absolute http:// or https:// URL.
    Url,
    /// An absolute filesystem path.
    AbsPath,
    Bool,
    /// A whole number in `min..=max`.
    UInt {
        min: u64,
        max: u64,
    },
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DefaultValue {
    Str(&'static str),
    Bool(bool),
    UInt(u64),
}

impl DefaultValue {
    pub fn to_json(self) -> Value {
        match self {
            DefaultValue::Str(s) => json!(s),
            DefaultValue::Bool(b) => json!(b),
            DefaultValue::UInt(n) => json!(n),
        }
    }
}

/// A kind-specific check of a text value; the error is the reason.
pub type ValueCheck = fn(&str) -> Result<(), String>;

/// One config field of a backend kind.
#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: FieldType,
    pub required: bool,
    /// Masked on screen, absent from JSON output, never logged. May be given as `env:NAME`.
    pub secret: bool,
    pub default: Option<DefaultValue>,
    pub help: &'static str,
    /// A kind-specific check after the type check (a bucket name's rules, a wallet address).
    pub check: Option<ValueCheck>,
}

impl FieldSpec {
    pub const fn new(name: &'static str, ty: FieldType, help: &'static str) -> FieldSpec {
        FieldSpec {
            name,
            ty,
            required: false,
            secret: false,
            default: None,
            help,
            check: None,
        }
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }
    pub const fn default(mut self, default: DefaultValue) -> Self {
        self.default = Some(default);
        self
    }
    pub const fn check(mut self, check: ValueCheck) -> Self {
        self.check = Some(check);
        self
    }

    /// Turns text typed by a person (a `--set` value, a form field) into the stored JSON value.
    pub fn parse(&self, raw: &str) -> Result<Value, String> {
        let value = match self.ty {
            FieldType::Bool => json!(crate::store::settings::parse_bool(raw.trim())
                .ok_or_else(|| format!("'{raw}' is not a boolean (true/false)"))?),
            FieldType::UInt { .. } => json!(raw
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("'{raw}' is not a whole number"))?),
            _ => json!(raw),
        };
        self.validate(&value)?;
        Ok(value)
    }

    /// Checks a stored value: types are exact (a boolean is a JSON boolean, a number a number).
    pub fn validate(&self, value: &Value) -> Result<(), String> {
        if self.secret {
            let Value::String(text) = value else {
                return Err(format!("expected a string, found {}", kind_of(value)));
            };
            super::secret::validate(text)?;
            return match self.check {
                Some(check) if !text.starts_with(super::secret::ENV_PREFIX) => check(text),
                _ => Ok(()),
            };
        }
        match (self.ty, value) {
            (FieldType::Bool, Value::Bool(_)) => Ok(()),
            (FieldType::UInt { min, max }, Value::Number(n)) => match n.as_u64() {
                Some(v) if (min..=max).contains(&v) => Ok(()),
                _ => Err(format!("{n} is out of range {min}..={max}")),
            },
            (FieldType::Text, Value::String(s)) => non_empty(s),
            (FieldType::Url, Value::String(s)) => check_url(s),
            (FieldType::AbsPath, Value::String(s)) => check_abs_path(s),
            (FieldType::Choice(words), Value::String(s)) => {
                if words.contains(&s.as_str()) {
                    Ok(())
                } else {
                    Err(format!("'{s}' is not one of {}", words.join(", ")))
                }
            }
            (ty, other) => Err(format!(
                "expected {}, found {}",
                match ty {
                    FieldType::Bool => "a boolean",
                    FieldType::UInt { .. } => "a whole number",
                    _ => "a string",
                },
                kind_of(other)
            )),
        }?;
        match (self.check, value) {
            (Some(check), Value::String(s)) => check(s),
            _ => Ok(()),
        }
    }

    pub fn type_hint(&self) -> String {
        match self.ty {
            FieldType::Text => "text".into(),
            FieldType::Url => "http(s) URL".into(),
            FieldType::AbsPath => "absolute path".into(),
            FieldType::Bool => "true|false".into(),
            FieldType::UInt { min, max } => format!("{min}..{max}"),
            FieldType::Choice(words) => words.join("|"),
        }
    }
}

pub(crate) fn kind_of(value: &Value) -> &'static str {
    crate::store::fsio::json_kind(value)
}

fn non_empty(s: &str) -> Result<(), String> {
    if s.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(())
    }
}

pub fn check_url(s: &str) -> Result<(), String> {
    let url = url::Url::parse(s.trim()).map_err(|e| format!("'{s}' is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "'{s}' must be http:// or https://, not {}://",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{s}' has no host"));
    }
    Ok(())
}

fn check_abs_path(s: &str) -> Result<(), String> {
    non_empty(s)?;
    if std::path::Path::new(s).is_absolute() {
        Ok(())
    } else {
        Err(format!("'{s}' is not an absolute path (start it with /)"))
    }
}

/// Fields every kind has besides its own.
pub const COMMON_FIELDS: &[FieldSpec] = &[
    FieldSpec::new("enabled", FieldType::Bool, "poll and show this backend")
        .default(DefaultValue::Bool(true)),
    FieldSpec::new(
        "poll_interval",
        FieldType::UInt {
            min: 1,
            max: 86_400,
        },
        "seconds between polls (default: the refresh_secs setting)",
    ),
    FieldSpec::new(
        "inventory_secs",
        FieldType::UInt {
            min: 60,
            max: 30 * 86_400,
        },
        "seconds between counts (default: the inventory_secs setting)",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(check_url("http://127.0.0.1:5001").is_ok());
        assert!(check_url("https://huggingface.co").is_ok());
        assert!(check_url("ftp://x").unwrap_err().contains("http"));
        assert!(check_url("localhost:5001").is_err());
        assert!(check_url("not a url").is_err());
        assert!(check_url("http://").is_err());
    }

    #[test]
    fn exact_types() {
        let field = FieldSpec::new("n", FieldType::UInt { min: 1, max: 10 }, "");
        assert_eq!(field.parse(" 5 ").unwrap(), json!(5));
        assert!(field.parse("11").is_err());
        assert!(field
            .validate(&json!("5"))
            .unwrap_err()
            .contains("found a string"));
        let flag = FieldSpec::new("b", FieldType::Bool, "");
        assert_eq!(flag.parse("yes").unwrap(), json!(true));
        assert!(flag.validate(&json!("true")).is_err());
        let path = FieldSpec::new("p", FieldType::AbsPath, "");
        assert!(path.parse("relative/dir").is_err());
        assert!(path.parse("/data").is_ok());
    }
}
