//! `ipfs`: a Kubo node's RPC API.

use super::schema::{DefaultValue, FieldSpec, FieldType};

pub const DESCRIPTION: &str = "an IPFS (Kubo) node's RPC API";

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::new(
        "api_url",
        FieldType::Url,
        "Kubo RPC API, e.g. http://127.0.0.1:5001",
    )
    .required()
    .default(DefaultValue::Str("http://127.0.0.1:5001")),
    FieldSpec::new(
        "auth",
        FieldType::Text,
        "Authorization header for API.Authorizations: 'Bearer TOKEN' or 'Basic BASE64'",
    )
    .secret()
    .check(check_auth),
];

fn check_auth(value: &str) -> Result<(), String> {
    let scheme = value.split_whitespace().next().unwrap_or_default();
    if (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("basic"))
        && value.split_whitespace().nth(1).is_some()
    {
        Ok(())
    } else {
        Err(
            "must be 'Bearer TOKEN' or 'Basic BASE64' (as Kubo's API.Authorizations expects)"
                .into(),
        )
    }
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
