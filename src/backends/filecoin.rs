//! `filecoin`: a Lotus node's JSON-RPC API.

use super::schema::{DefaultValue, FieldSpec, FieldType};

pub const DESCRIPTION: &str = "a Filecoin (Lotus) node's JSON-RPC API";

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::new(
        "api_url",
        FieldType::Url,
        "Lotus JSON-RPC, e.g. http://127.0.0.1:1234/rpc/v1",
    )
    .required()
    .default(DefaultValue::Str("http://127.0.0.1:1234/rpc/v1")),
    FieldSpec::new("token", FieldType::Text, "API token (reads need none)").secret(),
    FieldSpec::new(
        "wallet",
        FieldType::Text,
        "wallet address whose balance to show, e.g. f1...",
    )
    .check(check_address),
];

/// Filecoin addresses: network `f` or `t`, protocol 0-4, then digits (ID) or base32.
fn check_address(address: &str) -> Result<(), String> {
    let mut chars = address.chars();
    let network_ok = matches!(chars.next(), Some('f' | 't'));
    let protocol = chars.next();
    let rest: String = chars.collect();
    let rest_ok = match protocol {
        Some('0') => !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()),
        Some('1'..='4') => {
            rest.len() >= 8
                && rest
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        }
        _ => false,
    };
    if network_ok && rest_ok {
        Ok(())
    } else {
        Err(format!(
            "'{address}' is not a Filecoin address (f0…, f1…, f3…, t1…)"
        ))
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
