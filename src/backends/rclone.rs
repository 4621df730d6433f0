//! `rclone`: a remote served by rclone's remote control API (`rclone rcd`).

use serde_json::{Map, Value};

use super::schema::{DefaultValue, FieldSpec, FieldType};
use super::FieldError;

pub const DESCRIPTION: &str = "a remote behind rclone's remote control (rclone rcd)";

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::new(
        "rc_url",
        FieldType::Url,
        "rclone remote control, e.g. http://127.0.0.1:5572",
    )
    .required()
    .default(DefaultValue::Str("http://127.0.0.1:5572")),
    FieldSpec::new(
        "remote",
        FieldType::Text,
        "remote to measure, e.g. gdrive: or s3:bucket/path",
    )
    .required()
    .check(check_remote),
    FieldSpec::new("user", FieldType::Text, "rc user (--rc-user)"),
    FieldSpec::new("password", FieldType::Text, "rc password (--rc-pass)").secret(),
];

fn check_remote(remote: &str) -> Result<(), String> {
    if remote.contains(':') || remote.starts_with('/') {
        Ok(())
    } else {
        Err(format!(
            "'{remote}' is not an rclone remote: write it as name: or name:path"
        ))
    }
}

pub(super) fn check_combination(config: &Map<String, Value>) -> Result<(), FieldError> {
    super::requires(config, "password", "user")
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
