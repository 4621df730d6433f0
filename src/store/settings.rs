//! Global settings in `config/main.json` → `global_settings`. The first three are the Python
//! library's; the rest are ours. Unset keys read as their defaults.

use serde_json::{json, Map, Value};

use super::error::Result;
use super::Store;

#[derive(Clone, Copy, Debug)]
pub enum SettingType {
    Bool,
    /// A whole number in `min..=max`.
    UInt {
        min: u64,
        max: u64,
    },
    /// One of a fixed set of words, as written.
    Choice(&'static [&'static str]),
    /// A size such as `1GB`, `512MiB` or `1048576`.
    Size,
    /// An http(s) URL, or null (unset; an empty value on the command line unsets it).
    Url,
    /// A command line run through `sh -c`, or null (unset).
    Command,
}

#[derive(Debug)]
pub struct SettingSpec {
    pub key: &'static str,
    pub ty: SettingType,
    pub default: fn() -> Value,
    pub help: &'static str,
}

pub const SETTINGS: &[SettingSpec] = &[
    SettingSpec {
        key: "default_cache_size",
        ty: SettingType::Size,
        default: || json!("1GB"),
        help: "cache size per backend (the Python library's setting)",
    },
    SettingSpec {
        key: "log_level",
        ty: SettingType::Choice(&["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]),
        default: || json!("INFO"),
        help: "log level (the Python library's setting)",
    },
    SettingSpec {
        key: "auto_cleanup",
        ty: SettingType::Bool,
        default: || json!(true),
        help: "remove metadata older than 30 days automatically",
    },
    SettingSpec {
        key: "refresh_secs",
        ty: SettingType::UInt {
            min: 1,
            max: 86_400,
        },
        default: || json!(5),
        help: "seconds between polls of a backend (unless it sets poll_interval)",
    },
    SettingSpec {
        key: "timeout_secs",
        ty: SettingType::UInt { min: 1, max: 600 },
        default: || json!(10),
        help: "connect and total timeout of one probe, in seconds",
    },
    SettingSpec {
        key: "history_hours",
        ty: SettingType::UInt { min: 1, max: 720 },
        default: || json!(24),
        help: "hours of history kept at full resolution (older points are downsampled)",
    },
    SettingSpec {
        key: "test_ttl_secs",
        ty: SettingType::UInt {
            min: 0,
            max: 86_400,
        },
        default: || json!(60),
        help: "seconds a test result is reused before testing again (0: always test)",
    },
    SettingSpec {
        key: "inventory_secs",
        ty: SettingType::UInt {
            min: 60,
            max: 30 * 86_400,
        },
        default: || json!(3600),
        help: "seconds between inventories (listings, walks, pin and object counts) of a backend \
               (unless it sets inventory_secs)",
    },
    SettingSpec {
        key: "quota_alert_percent",
        ty: SettingType::UInt { min: 1, max: 100 },
        default: || json!(90),
        help: "raise an alert when a quota or a filesystem is this full (unless a backend sets \
               its own quota_alert_percent)",
    },
    SettingSpec {
        key: "error_rate_alert_percent",
        ty: SettingType::UInt { min: 1, max: 100 },
        default: || json!(20),
        help: "raise an alert when more than this share of a backend's recent polls failed \
               (unless it sets its own error_rate_alert_percent)",
    },
    SettingSpec {
        key: "forecast_alert_hours",
        ty: SettingType::UInt { min: 0, max: 8_760 },
        default: || json!(24),
        help: "raise a filling alert when a backend is forecast to be full within this many \
               hours (0: never; unless it sets its own forecast_alert_hours)",
    },
    SettingSpec {
        key: "alert_command",
        ty: SettingType::Command,
        default: || Value::Null,
        help: "command run (through sh -c) when an alert is raised or cleared, with the alert \
               as JSON on its standard input (empty: none)",
    },
    SettingSpec {
        key: "alert_webhook",
        ty: SettingType::Url,
        default: || Value::Null,
        help: "URL the alert is POSTed to as JSON when it is raised or cleared (empty: none)",
    },
    SettingSpec {
        key: "alert_repeat_secs",
        ty: SettingType::UInt {
            min: 0,
            max: 7 * 86_400,
        },
        default: || json!(0),
        help: "seconds after which an alert still active, not acknowledged, not silenced and not \
               in maintenance is sent to the hooks again, as a reminder (0: never)",
    },
    SettingSpec {
        key: "fleet_url",
        ty: SettingType::Url,
        default: || Value::Null,
        help: "Prometheus URL the console reads the fleet view from when started with --fleet \
               and no URL (empty: none)",
    },
];

/// The thresholds a backend's alerts are judged by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thresholds {
    pub quota_alert_percent: u64,
    pub error_rate_alert_percent: u64,
    pub forecast_alert_hours: u64,
}

impl Thresholds {
    /// The config keys a backend sets them with, as the settings name the global ones.
    pub const KEYS: [&'static str; 3] = [
        "quota_alert_percent",
        "error_rate_alert_percent",
        "forecast_alert_hours",
    ];

    /// The thresholds that differ from `global`'s, by name (what a backend sets for itself).
    pub fn differing_from(&self, global: &Thresholds) -> std::collections::BTreeMap<String, u64> {
        self.entries()
            .into_iter()
            .zip(global.entries())
            .filter(|((_, mine), (_, theirs))| mine != theirs)
            .map(|((key, mine), _)| (key.to_string(), mine))
            .collect()
    }

    /// Each threshold as `(key, value)`, in `KEYS` order.
    pub fn entries(&self) -> [(&'static str, u64); 3] {
        [
            (Self::KEYS[0], self.quota_alert_percent),
            (Self::KEYS[1], self.error_rate_alert_percent),
            (Self::KEYS[2], self.forecast_alert_hours),
        ]
    }
}

/// What `main.json` gets when we create it: the Python library's three defaults.
pub(super) fn python_defaults() -> Value {
    let mut map = Map::new();
    for spec in &SETTINGS[..3] {
        map.insert(spec.key.into(), (spec.default)());
    }
    Value::Object(map)
}

pub fn spec(key: &str) -> Option<&'static SettingSpec> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// A setting that was rejected: names the key and the reason.
#[derive(Debug, thiserror::Error)]
#[error("setting '{key}': {reason}")]
pub struct SettingError {
    pub key: String,
    pub reason: String,
}

/// Parses a value given on the command line for `key`.
pub fn parse(key: &str, raw: &str) -> Result<Value, SettingError> {
    let fail = |reason: String| SettingError {
        key: key.to_string(),
        reason,
    };
    let spec = spec(key).ok_or_else(|| {
        let known: Vec<_> = SETTINGS.iter().map(|s| s.key).collect();
        fail(format!("unknown setting; known: {}", known.join(", ")))
    })?;
    let raw = raw.trim();
    let value = match spec.ty {
        SettingType::Bool => json!(parse_bool(raw)
            .ok_or_else(|| fail(format!("'{raw}' is not a boolean (true/false)")))?),
        SettingType::UInt { .. } => json!(raw
            .parse::<u64>()
            .map_err(|_| fail(format!("'{raw}' is not a whole number")))?),
        SettingType::Choice(_) => json!(raw.to_ascii_uppercase()),
        SettingType::Size => json!(raw),
        SettingType::Url | SettingType::Command if raw.is_empty() => Value::Null,
        SettingType::Url | SettingType::Command => json!(raw),
    };
    check(spec, &value).map_err(fail)?;
    Ok(value)
}

/// Checks a value (from the command line or from the file) against its spec.
pub fn check(spec: &SettingSpec, value: &Value) -> Result<(), String> {
    match (spec.ty, value) {
        (SettingType::Bool, Value::Bool(_)) => Ok(()),
        (SettingType::UInt { min, max }, Value::Number(n)) => match n.as_u64() {
            Some(v) if (min..=max).contains(&v) => Ok(()),
            _ => Err(format!("{n} is out of range {min}..={max}")),
        },
        (SettingType::Choice(words), Value::String(s)) if words.contains(&s.as_str()) => Ok(()),
        (SettingType::Choice(words), Value::String(s)) => {
            Err(format!("'{s}' is not one of {}", words.join(", ")))
        }
        (SettingType::Size, Value::String(s)) => parse_size(s).map(|_| ()),
        (SettingType::Url | SettingType::Command, Value::Null) => Ok(()),
        (SettingType::Url, Value::String(s)) => check_url(s),
        (SettingType::Command, Value::String(s)) if s.trim().is_empty() => {
            Err("is an empty command".into())
        }
        (SettingType::Command, Value::String(_)) => Ok(()),
        (ty, other) => Err(format!(
            "expected {}, found {}",
            match ty {
                SettingType::Bool => "a boolean",
                SettingType::UInt { .. } => "a whole number",
                SettingType::Choice(_)
                | SettingType::Size
                | SettingType::Url
                | SettingType::Command => "a string",
            },
            super::fsio::json_kind(other)
        )),
    }
}

/// An http(s) URL with a host; the reason names what is wrong.
fn check_url(text: &str) -> Result<(), String> {
    let url = url::Url::parse(text).map_err(|e| format!("'{text}' is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("'{text}' is not an http or https URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("'{text}' has no host"));
    }
    Ok(())
}

pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// What a size field accepts, said when a value is refused.
pub const SIZES_ACCEPTED: &str = "a number of bytes, or a number and a unit: kB, MB, GB, TB, PB \
(powers of 1000) or KiB, MiB, GiB, TiB, PiB (powers of 1024), e.g. 10GiB, 1.5 TB, 500M";

/// The multiplier of a size unit, case-insensitive: decimal (`k`, `MB`), binary (`Ki`, `GiB`).
fn unit_multiplier(unit: &str) -> Option<u64> {
    let unit = unit.to_ascii_lowercase();
    let unit = unit
        .strip_suffix("bytes")
        .or_else(|| unit.strip_suffix('b'))
        .unwrap_or(&unit);
    let (prefix, binary) = match unit.strip_suffix('i') {
        Some(prefix) => (prefix, true),
        None => (unit, false),
    };
    let power = match prefix {
        "" if !binary => 0,
        "k" => 1,
        "m" => 2,
        "g" => 3,
        "t" => 4,
        "p" => 5,
        _ => return None,
    };
    let base: u64 = if binary { 1024 } else { 1000 };
    Some(base.pow(power))
}

/// Reads a size typed by a person into bytes (settings such as `1GB`, a form's byte fields): `10GiB`, `1.5 TB`, `500M` (decimal), `1024`.
/// Exact (no floating point): `1.5 TB` is 1500000000000; a fraction of a byte is dropped.
pub fn parse_size(raw: &str) -> Result<u64, String> {
    let text = raw.trim();
    let refuse = |what: String| format!("{what}: expected {SIZES_ACCEPTED}");
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let Some(multiplier) = unit_multiplier(unit.trim()) else {
        return Err(refuse(format!("unknown unit '{}'", unit.trim())));
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return Err(refuse(format!("'{text}' is not a size")));
    }
    if multiplier == 1 && !fraction.trim_end_matches('0').is_empty() {
        return Err(refuse(format!("'{text}' is not a whole number of bytes")));
    }
    // Digits past the 18th of a fraction are worth less than a byte even in PiB.
    let fraction = &fraction[..fraction.len().min(18)];
    let too_large = || refuse(format!("'{text}' is too large"));
    let scale = 10u128.pow(fraction.len() as u32);
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_large())?
    };
    let fraction: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| too_large())?
    };
    let bytes = whole
        .checked_mul(scale)
        .and_then(|n| n.checked_add(fraction))
        .and_then(|n| n.checked_mul(u128::from(multiplier)))
        .map(|n| n / scale)
        .ok_or_else(too_large)?;
    u64::try_from(bytes).map_err(|_| too_large())
}

/// The global settings as read, with a typed view that falls back to defaults.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    raw: Map<String, Value>,
}

impl Settings {
    /// The stored value if it is valid, else the default. Unknown keys come back as stored.
    pub fn get(&self, key: &str) -> Option<Value> {
        match (spec(key), self.raw.get(key)) {
            (Some(spec), Some(value)) if check(spec, value).is_ok() => Some(value.clone()),
            (Some(spec), _) => Some((spec.default)()),
            (None, value) => value.cloned(),
        }
    }

    fn uint(&self, key: &str) -> u64 {
        self.get(key).and_then(|v| v.as_u64()).unwrap_or_default()
    }

    pub fn refresh_secs(&self) -> u64 {
        self.uint("refresh_secs")
    }
    pub fn timeout_secs(&self) -> u64 {
        self.uint("timeout_secs")
    }
    pub fn history_hours(&self) -> u64 {
        self.uint("history_hours")
    }
    pub fn test_ttl_secs(&self) -> u64 {
        self.uint("test_ttl_secs")
    }
    pub fn inventory_secs(&self) -> u64 {
        self.uint("inventory_secs")
    }
    pub fn quota_alert_percent(&self) -> u64 {
        self.uint("quota_alert_percent")
    }
    pub fn error_rate_alert_percent(&self) -> u64 {
        self.uint("error_rate_alert_percent")
    }
    pub fn forecast_alert_hours(&self) -> u64 {
        self.uint("forecast_alert_hours")
    }
    /// A backend's alert thresholds: its own where its config sets them (and they are valid),
    /// else the global ones.
    pub fn thresholds(&self, config: &Map<String, Value>) -> Thresholds {
        let own = |key: &str, max: u64, min: u64| {
            config
                .get(key)
                .and_then(Value::as_u64)
                .filter(|v| (min..=max).contains(v))
        };
        Thresholds {
            quota_alert_percent: own("quota_alert_percent", 100, 1)
                .unwrap_or_else(|| self.quota_alert_percent()),
            error_rate_alert_percent: own("error_rate_alert_percent", 100, 1)
                .unwrap_or_else(|| self.error_rate_alert_percent()),
            forecast_alert_hours: own("forecast_alert_hours", 8_760, 0)
                .unwrap_or_else(|| self.forecast_alert_hours()),
        }
    }
    /// A text setting that is set (not null, not empty).
    /// How often an alert still open is sent to the hooks again; `None`: never (the default).
    pub fn alert_repeat(&self) -> Option<std::time::Duration> {
        Some(self.uint("alert_repeat_secs"))
            .filter(|secs| *secs > 0)
            .map(std::time::Duration::from_secs)
    }

    fn text(&self, key: &str) -> Option<String> {
        self.get(key)
            .and_then(|v| v.as_str().map(str::to_string))
            .filter(|s| !s.trim().is_empty())
    }
    pub fn alert_command(&self) -> Option<String> {
        self.text("alert_command")
    }
    pub fn alert_webhook(&self) -> Option<String> {
        self.text("alert_webhook")
    }
    pub fn fleet_url(&self) -> Option<String> {
        self.text("fleet_url")
    }
    pub fn auto_cleanup(&self) -> bool {
        self.get("auto_cleanup")
            .and_then(|v| v.as_bool())
            .unwrap_or(true)
    }

    /// Every setting: ours with their effective values, then any other key the file holds.
    pub fn all(&self) -> Vec<(String, Value, bool)> {
        let mut out: Vec<(String, Value, bool)> = SETTINGS
            .iter()
            .map(|s| {
                let value = self.get(s.key).unwrap_or(Value::Null);
                (s.key.to_string(), value, self.raw.contains_key(s.key))
            })
            .collect();
        for (key, value) in &self.raw {
            if spec(key).is_none() {
                out.push((key.clone(), value.clone(), true));
            }
        }
        out
    }

    /// Stored values that are not valid (they read as their default), for a warning.
    pub fn problems(&self) -> Vec<SettingError> {
        SETTINGS
            .iter()
            .filter_map(|spec| {
                let value = self.raw.get(spec.key)?;
                check(spec, value).err().map(|reason| SettingError {
                    key: spec.key.to_string(),
                    reason: format!("{reason} in config/main.json; using the default"),
                })
            })
            .collect()
    }
}

impl Store {
    pub fn settings(&self) -> Result<Settings> {
        let main = self.read_main()?;
        let raw = match main.get("global_settings") {
            Some(Value::Object(map)) => map.clone(),
            _ => Map::new(),
        };
        Ok(Settings { raw })
    }

    /// Writes one setting (already checked with [`parse`]), keeping every other key, and
    /// brings the backend index in step in the same write, as every command that writes
    /// `main.json` does (a library process may have saved an index without our entries).
    pub fn set_setting(&self, key: &str, value: Value) -> Result<()> {
        let _lock = self.lock_config()?;
        self.update_main(|main| {
            if let Some(settings) = super::fsio::object_entry(main, "global_settings") {
                settings.insert(key.to_string(), value.clone());
            }
            self.reconcile_index(main);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backend_s_own_thresholds_win_where_valid_and_are_told_apart() {
        let settings = Settings::default();
        let global = settings.thresholds(&Map::new());
        assert_eq!(
            global,
            Thresholds {
                quota_alert_percent: 90,
                error_rate_alert_percent: 20,
                forecast_alert_hours: 24
            }
        );
        let config = json!({"quota_alert_percent": 99, "forecast_alert_hours": 0,
                            "error_rate_alert_percent": 150});
        let Value::Object(config) = config else {
            unreachable!()
        };
        let own = settings.thresholds(&config);
        assert_eq!(own.quota_alert_percent, 99);
        assert_eq!(own.forecast_alert_hours, 0, "0: never");
        assert_eq!(
            own.error_rate_alert_percent, 20,
            "out of range: the global one"
        );
        let differing: Vec<(String, u64)> = own.differing_from(&global).into_iter().collect();
        assert_eq!(
            differing,
            [
                ("forecast_alert_hours".to_string(), 0),
                ("quota_alert_percent".to_string(), 99)
            ]
        );
    }

    #[test]
    fn parse_checks_types_and_ranges() {
        assert_eq!(parse("refresh_secs", "3").unwrap(), json!(3));
        assert!(parse("refresh_secs", "0")
            .unwrap_err()
            .to_string()
            .contains("out of range"));
        assert!(parse("refresh_secs", "abc").is_err());
        assert_eq!(parse("auto_cleanup", "off").unwrap(), json!(false));
        assert_eq!(parse("log_level", "debug").unwrap(), json!("DEBUG"));
        assert!(parse("log_level", "LOUD").is_err());
        assert!(parse("nope", "1")
            .unwrap_err()
            .to_string()
            .contains("unknown setting"));
        assert!(parse("default_cache_size", "2GiB").is_ok());
        assert!(parse("default_cache_size", "2 parsecs").is_err());
        assert_eq!(parse("alert_webhook", "").unwrap(), Value::Null);
        assert!(parse("alert_webhook", "ftp://x/")
            .unwrap_err()
            .to_string()
            .contains("not an http or https URL"));
        assert!(parse("fleet_url", "not a url").is_err());
        assert_eq!(
            parse("fleet_url", "http://127.0.0.1:9090").unwrap(),
            json!("http://127.0.0.1:9090")
        );
        assert_eq!(parse("alert_command", " ").unwrap(), Value::Null);
        assert_eq!(parse("alert_repeat_secs", "0").unwrap(), json!(0));
        assert!(parse("alert_repeat_secs", "-5").is_err());
        assert!(parse("alert_repeat_secs", "999999999").is_err());
    }

    #[test]
    fn reminders_are_off_unless_set() {
        assert_eq!(Settings::default().alert_repeat(), None);
        let mut raw = Map::new();
        raw.insert("alert_repeat_secs".into(), json!(3600));
        assert_eq!(
            Settings { raw }.alert_repeat(),
            Some(std::time::Duration::from_secs(3600))
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1GB").unwrap(), 1_000_000_000);
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_size("512 MB").unwrap(), 512_000_000);
        assert_eq!(parse_size("1.5KB").unwrap(), 1500);
        assert_eq!(parse_size("42").unwrap(), 42);
        assert!(parse_size("GB").is_err());
    }

    #[test]
    fn invalid_stored_values_fall_back_and_are_reported() {
        let mut raw = Map::new();
        raw.insert("refresh_secs".into(), json!("5"));
        raw.insert("custom".into(), json!("kept"));
        let settings = Settings { raw };
        assert_eq!(settings.refresh_secs(), 5);
        assert_eq!(settings.timeout_secs(), 10);
        assert_eq!(settings.problems().len(), 1);
        assert!(settings
            .all()
            .iter()
            .any(|(k, v, _)| k == "custom" && v == "kept"));
    }
}
