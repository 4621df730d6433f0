//! How a backend kind describes its config fields, and the checks every field goes through.

use crate::store::settings::parse_size;
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
    /// A number of bytes in `min..=max`: typed as `10GiB`, `1.5 TB`, `500M` or plain bytes,
    /// stored as the integer (as the Python library keeps `quota_bytes`).
    Bytes {
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
            FieldType::Bytes { .. } => json!(parse_size(raw)?),
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
            (FieldType::Bytes { min, max }, Value::Number(n)) => match n.as_u64() {
                Some(v) if (min..=max).contains(&v) => Ok(()),
                _ => Err(format!("{n} bytes is out of range {min}..={max}")),
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
                    FieldType::Bytes { .. } => "a whole number of bytes",
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
            FieldType::Bytes { .. } => "bytes (10GiB, 1.5 TB, 500M, 1024)".into(),
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
    FieldSpec::new(
        "quota_alert_percent",
        FieldType::UInt { min: 1, max: 100 },
        "alert at this % full, quota or disk (default: setting)",
    ),
    FieldSpec::new(
        "error_rate_alert_percent",
        FieldType::UInt { min: 1, max: 100 },
        "alert above this % of failed polls (default: setting)",
    ),
    FieldSpec::new(
        "forecast_alert_hours",
        FieldType::UInt { min: 0, max: 8_760 },
        "alert if full within N h, 0: never (default: setting)",
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
    fn sizes_parse_binary_and_decimal_units_case_insensitively() {
        assert_eq!(parse_size("10GiB"), Ok(10_737_418_240));
        assert_eq!(parse_size("10gib"), Ok(10_737_418_240));
        assert_eq!(parse_size("1.5 TB"), Ok(1_500_000_000_000));
        assert_eq!(parse_size("1.5 TiB"), Ok(1_649_267_441_664));
        assert_eq!(parse_size("500M"), Ok(500_000_000));
        assert_eq!(parse_size("2Ki"), Ok(2_048));
        assert_eq!(parse_size(" 1024 "), Ok(1_024));
        assert_eq!(parse_size("1024 B"), Ok(1_024));
        assert_eq!(parse_size(".5k"), Ok(500));
        assert_eq!(parse_size("0.1KB"), Ok(100), "exact, no floating point");
        assert_eq!(
            parse_size("1.0001KiB"),
            Ok(1_024),
            "a fraction of a byte is dropped"
        );
        assert!(parse_size("16EiB")
            .unwrap_err()
            .starts_with("unknown unit 'EiB'"));
        let bad_unit = parse_size("10XB").unwrap_err();
        assert!(bad_unit.starts_with("unknown unit 'XB'"), "{bad_unit}");
        assert!(
            bad_unit.contains("GiB") && bad_unit.contains("1.5 TB"),
            "{bad_unit}"
        );
        assert!(parse_size("1.5")
            .unwrap_err()
            .contains("whole number of bytes"));
        assert!(parse_size("").unwrap_err().contains("is not a size"));
        assert!(parse_size("1.2.3GB").unwrap_err().contains("is not a size"));
        assert!(parse_size("-5GB").is_err());
        assert!(parse_size("20000000PB").unwrap_err().contains("too large"));
        assert_eq!(parse_size("16383PiB"), Ok(16_383 * (1 << 50)));
    }

    #[test]
    fn a_byte_field_stores_the_integer_and_names_what_it_accepts() {
        let quota = FieldSpec::new(
            "quota_bytes",
            FieldType::Bytes {
                min: 1,
                max: u64::MAX,
            },
            "",
        );
        assert_eq!(quota.parse("10GiB").unwrap(), json!(10_737_418_240u64));
        assert_eq!(quota.parse("1024").unwrap(), json!(1024));
        assert!(quota.parse("0").unwrap_err().contains("out of range"));
        assert!(quota.validate(&json!(5)).is_ok());
        assert!(quota
            .validate(&json!("10GiB"))
            .unwrap_err()
            .contains("a whole number of bytes"));
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
