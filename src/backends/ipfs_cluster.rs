//! `ipfs_cluster`: an IPFS Cluster peer's REST API.

use serde_json::{Map, Value};

use super::schema::{Default, FieldSpec, FieldType};
use super::FieldError;

pub const DESCRIPTION: &str = "an IPFS Cluster peer's REST API";

pub const FIELDS: &[FieldSpec] = &[
    FieldSpec::new(
        "api_url",
        FieldType::Url,
        "Cluster REST API, e.g. http://127.0.0.1:9094",
    )
    .required()
    .default(Default::Str("http://127.0.0.1:9094")),
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
