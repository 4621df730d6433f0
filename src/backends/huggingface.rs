//! `huggingface`: a model, dataset or space repository on the Hugging Face Hub.

use super::schema::{DefaultValue, FieldSpec, FieldType};

pub const DESCRIPTION: &str = "a Hugging Face Hub repository";

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::new("repo_id", FieldType::Text, "repository, e.g. owner/name")
        .required()
        .check(check_repo_id),
    FieldSpec::new(
        "repo_type",
        FieldType::Choice(&["model", "dataset", "space"]),
        "kind of repository",
    )
    .default(DefaultValue::Str("model")),
    FieldSpec::new(
        "revision",
        FieldType::Text,
        "branch, tag or commit to measure",
    )
    .default(DefaultValue::Str("main")),
    FieldSpec::new("endpoint", FieldType::Url, "Hub endpoint")
        .default(DefaultValue::Str("https://huggingface.co")),
    FieldSpec::new(
        "token",
        FieldType::Text,
        "access token (hf_...); needed for private repos",
    )
    .secret(),
];

fn check_repo_id(repo_id: &str) -> Result<(), String> {
    let parts: Vec<&str> = repo_id.split('/').collect();
    let part_ok = |p: &&str| {
        !p.is_empty()
            && p.len() <= 96
            && !p.starts_with(['.', '-'])
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    if (1..=2).contains(&parts.len()) && parts.iter().all(part_ok) {
        Ok(())
    } else {
        Err(format!(
            "'{repo_id}' is not a repository id such as owner/name"
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
