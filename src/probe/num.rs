//! Numbers as backends really send them. Kubo sends JSON numbers; js-ipfs sends the same fields
//! as decimal strings (`"RepoSize":"1636"`); Cluster sends free space as a string; several
//! servers mean "no limit" by the largest value their language has. Be liberal here, once.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The values servers use for "no limit": u64::MAX (Go's uint64), i64::MAX (Go's int64) and
/// 2^53 - 1 (JavaScript's `Number.MAX_SAFE_INTEGER`, js-ipfs).
pub const NO_LIMIT_SENTINELS: [u64; 3] = [u64::MAX, i64::MAX as u64, (1 << 53) - 1];

/// A limit, or `None` when the server said "no limit" with a sentinel.
pub fn limit(value: u64) -> Option<u64> {
    (!NO_LIMIT_SENTINELS.contains(&value)).then_some(value)
}

/// A non-negative integer from a JSON number or a decimal string; `None` for anything else
/// (null, negative, fractional, text).
pub fn to_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
}

/// A signed integer from a JSON number or a decimal string.
pub fn to_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
}

/// A real number from a JSON number or a decimal string; never NaN or infinite.
pub fn to_f64(value: &Value) -> Option<f64> {
    let number = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    number.filter(|f| f.is_finite())
}

/// A field that holds a value we cannot read as a number is an unparsable answer, not an
/// unknown figure: it says so, with the text it got.
fn reject<E: serde::de::Error>(value: &Value, wanted: &str) -> E {
    E::custom(format!(
        "expected {wanted} (a number or a decimal string), got {}",
        crate::text::sanitize(&value.to_string(), 40)
    ))
}

/// `#[serde(default, deserialize_with = "num::opt_u64")]`: absent or null is `None`.
pub fn opt_u64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<u64>, D::Error> {
    match Option::<Value>::deserialize(de)? {
        None | Some(Value::Null) => Ok(None),
        Some(value) => to_u64(&value)
            .map(Some)
            .ok_or_else(|| reject(&value, "a non-negative integer")),
    }
}

/// `#[serde(default, deserialize_with = "num::opt_i64")]`.
pub fn opt_i64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i64>, D::Error> {
    match Option::<Value>::deserialize(de)? {
        None | Some(Value::Null) => Ok(None),
        Some(value) => to_i64(&value)
            .map(Some)
            .ok_or_else(|| reject(&value, "an integer")),
    }
}

/// `#[serde(default, deserialize_with = "num::opt_f64")]`.
pub fn opt_f64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<f64>, D::Error> {
    match Option::<Value>::deserialize(de)? {
        None | Some(Value::Null) => Ok(None),
        Some(value) => to_f64(&value)
            .map(Some)
            .ok_or_else(|| reject(&value, "a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize)]
    struct Sample {
        #[serde(default, deserialize_with = "opt_u64")]
        size: Option<u64>,
        #[serde(default, deserialize_with = "opt_f64")]
        rate: Option<f64>,
        #[serde(default, deserialize_with = "opt_i64")]
        total: Option<i64>,
    }

    #[test]
    fn numbers_and_decimal_strings_are_the_same_figure() {
        let kubo: Sample =
            serde_json::from_value(json!({"size": 1636, "rate": 1.5, "total": -3})).unwrap();
        let js: Sample =
            serde_json::from_value(json!({"size": "1636", "rate": "1.5", "total": "-3"})).unwrap();
        assert_eq!(
            (kubo.size, kubo.rate, kubo.total),
            (Some(1636), Some(1.5), Some(-3))
        );
        assert_eq!(
            (js.size, js.rate, js.total),
            (Some(1636), Some(1.5), Some(-3))
        );
        let empty: Sample = serde_json::from_value(json!({"size": null})).unwrap();
        assert_eq!((empty.size, empty.rate), (None, None));
        assert_eq!(to_u64(&json!(1e3)), Some(1000));
    }

    #[test]
    fn garbage_is_an_error_naming_what_it_got() {
        let err = serde_json::from_value::<Sample>(json!({"size": "lots"}))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("\"lots\""), "{err}");
        assert!(serde_json::from_value::<Sample>(json!({"size": -1})).is_err());
        assert!(serde_json::from_value::<Sample>(json!({"rate": "NaN"})).is_err());
    }

    #[test]
    fn sentinels_mean_no_limit() {
        assert_eq!(limit(u64::MAX), None);
        assert_eq!(limit(i64::MAX as u64), None);
        assert_eq!(limit(9_007_199_254_740_991), None);
        assert_eq!(limit(10_000_000_000), Some(10_000_000_000));
    }
}
