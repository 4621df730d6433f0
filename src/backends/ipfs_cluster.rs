//! `ipfs_cluster`: an IPFS Cluster peer's REST API.

use serde_json::{Map, Value};

use super::schema::{DefaultValue, FieldSpec, FieldType};
use super::FieldError;

pub const DESCRIPTION: &str = "an IPFS Cluster peer's REST API";

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::new(
        "api_url",
        FieldType::Url,
        "Cluster REST API, e.g. http://127.0.0.1:9094",
    )
    .required()
    .default(DefaultValue::Str("http://127.0.0.1:9094")),
    FieldSpec::new(
        "user",
        FieldType::Text,
        "basic-auth user (restapi.basic_auth_credentials)",
    ),
    FieldSpec::new("password", FieldType::Text, "basic-auth password").secret(),
];

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
