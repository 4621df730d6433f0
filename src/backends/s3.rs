//! `s3`: a bucket on any S3 endpoint; with Garage's admin API, its real counters and quotas.

use serde_json::{Map, Value};

use super::schema::{DefaultValue, FieldSpec, FieldType};
use super::FieldError;

pub const DESCRIPTION: &str = "an S3 bucket (Garage, MinIO, AWS, ...)";

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::new(
        "endpoint",
        FieldType::Url,
        "S3 endpoint, e.g. http://127.0.0.1:3900",
    )
    .required(),
    FieldSpec::new("region", FieldType::Text, "signing region (Garage: garage)")
        .default(DefaultValue::Str("us-east-1")),
    FieldSpec::new("bucket", FieldType::Text, "bucket name")
        .required()
        .check(check_bucket),
    FieldSpec::new("access_key", FieldType::Text, "access key id")
        .required()
        .secret(),
    FieldSpec::new("secret_key", FieldType::Text, "secret access key")
        .required()
        .secret(),
    FieldSpec::new(
        "path_style",
        FieldType::Bool,
        "address the bucket in the path (Garage, MinIO) rather than the host name",
    )
    .default(DefaultValue::Bool(true)),
    FieldSpec::new(
        "admin_url",
        FieldType::Url,
        "Garage admin API, e.g. http://127.0.0.1:3903",
    ),
    FieldSpec::new(
        "admin_token",
        FieldType::Text,
        "Garage admin API bearer token",
    )
    .secret(),
    FieldSpec::new(
        "quota_bytes",
        FieldType::UInt {
            min: 1,
            max: u64::MAX,
        },
        "soft quota in bytes when the store has none of its own",
    ),
];

/// S3 bucket naming rules: 3-63 characters of lower-case letters, digits, dots and hyphens,
/// starting and ending with a letter or digit.
fn check_bucket(name: &str) -> Result<(), String> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !(3..=63).contains(&name.len()) {
        return Err(format!("'{name}' must be 3 to 63 characters long"));
    }
    if !ok_chars || !ends_ok(name.chars().next()) || !ends_ok(name.chars().last()) {
        return Err(format!(
            "'{name}' is not a valid bucket name (lower-case letters, digits, '.', '-'; starting and ending with a letter or digit)"
        ));
    }
    Ok(())
}

pub(super) fn check_combination(config: &Map<String, Value>) -> Result<(), FieldError> {
    super::requires(config, "admin_token", "admin_url")?;
    super::requires(config, "admin_url", "admin_token")
}

// PROBE-PLACEHOLDER: replaced by the real probe in this change.
pub async fn measure(
    _ctx: &crate::probe::ProbeContext,
    _config: &serde_json::Map<String, serde_json::Value>,
) -> Result<crate::stats::Measurement, crate::probe::ProbeError> {
    Err(crate::probe::ProbeError::Other(
        "probe not written yet".into(),
    ))
}

pub async fn test(
    _ctx: &crate::probe::ProbeContext,
    _config: &serde_json::Map<String, serde_json::Value>,
    _run: &mut crate::probe::TestRun,
) -> Result<(), crate::probe::ProbeError> {
    Err(crate::probe::ProbeError::Other(
        "probe not written yet".into(),
    ))
}
