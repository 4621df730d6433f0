//! The bucket through the S3 API: HEAD for liveness, ListObjectsV2 pages for the inventory.

use std::time::Duration;

use rusty_s3::actions::list_objects_v2::ListObjectsV2Response;
use rusty_s3::actions::{DeleteObject, GetObject, HeadBucket, ListObjectsV2, PutObject, S3Action};
use rusty_s3::{Bucket, Credentials, UrlStyle};
use serde_json::{Map, Value};

use crate::backends::secret;
use crate::probe::{clean, field, required, ProbeContext, ProbeError, Reply};

/// Presigned URLs live this long: one probe, with room for a slow answer.
const SIGNED_FOR: Duration = Duration::from_secs(300);
/// Keys per ListObjectsV2 page (the S3 maximum).
pub const PAGE_KEYS: usize = 1000;

/// What each S3 call may answer (the admin API's are in `garage.rs`).
mod cap {
    use crate::probe::Cap;

    /// HEAD: no body is sent.
    pub const HEAD_BUCKET: Cap = Cap::kib("HeadBucket", 64);
    /// A page of `PAGE_KEYS` keys: each `<Contents>` is ~200 bytes of ETag, date, size and
    /// class around a key of at most 1,024 bytes, so a page of the longest keys is ~1.3 MB.
    pub const LIST_PAGE: Cap = Cap::mib("ListObjectsV2", 2);
    /// The write check's own 64-byte object.
    pub const GET_OBJECT: Cap = Cap::kib("GetObject", 64);
    pub const PUT_OBJECT: Cap = Cap::kib("PutObject", 64);
    pub const DELETE_OBJECT: Cap = Cap::kib("DeleteObject", 64);
}

pub struct Target {
    bucket: Bucket,
    credentials: Credentials,
    pub name: String,
}

pub fn target(config: &Map<String, Value>) -> Result<Target, ProbeError> {
    let endpoint = required(config, "endpoint")?;
    let name = required(config, "bucket")?.to_string();
    let region = field(config, "region").unwrap_or("us-east-1").to_string();
    let style = match config.get("path_style").and_then(Value::as_bool) {
        Some(false) => UrlStyle::VirtualHost,
        _ => UrlStyle::Path,
    };
    let url = url::Url::parse(endpoint)
        .map_err(|e| ProbeError::Config(format!("field 'endpoint': {e}")))?;
    let bucket = Bucket::new(url, style, name.clone(), region)
        .map_err(|e| ProbeError::Config(format!("bucket '{name}': {e}")))?;
    let key = secret::field(config, "access_key")?
        .ok_or_else(|| ProbeError::Config("field 'access_key' is not set".into()))?;
    let secret_key = secret::field(config, "secret_key")?
        .ok_or_else(|| ProbeError::Config("field 'secret_key' is not set".into()))?;
    Ok(Target {
        bucket,
        credentials: Credentials::new(key, secret_key),
        name,
    })
}

impl Target {
    pub fn what(&self) -> String {
        format!("bucket '{}'", clean(&self.name))
    }

    /// Maps a reply to an error with S3's own words; `SlowDown` is said plainly.
    fn check(&self, reply: Reply) -> Result<Reply, ProbeError> {
        if reply.status == 503 {
            return Err(ProbeError::Http {
                status: 503,
                detail: format!("the store asks to slow down: {}", reply.detail()),
            });
        }
        reply.success_or(&self.what())
    }

    pub async fn head(&self, ctx: &ProbeContext) -> Result<Option<String>, ProbeError> {
        let url = HeadBucket::new(&self.bucket, Some(&self.credentials)).sign(SIGNED_FOR);
        let reply = self.check(
            ctx.http
                .send(ctx.http.client().head(url.as_str()), cap::HEAD_BUCKET)
                .await?,
        )?;
        Ok(reply
            .headers
            .get("x-amz-bucket-region")
            .and_then(|v| v.to_str().ok())
            .map(clean))
    }

    pub async fn page(
        &self,
        ctx: &ProbeContext,
        token: Option<&str>,
        keys: usize,
    ) -> Result<ListObjectsV2Response, ProbeError> {
        let mut action = ListObjectsV2::new(&self.bucket, Some(&self.credentials));
        action.with_max_keys(keys);
        if let Some(token) = token {
            action.with_continuation_token(token.to_string());
        }
        let url = action.sign(SIGNED_FOR);
        let reply = self.check(
            ctx.http
                .send(ctx.http.client().get(url.as_str()), cap::LIST_PAGE)
                .await?,
        )?;
        let text = std::str::from_utf8(&reply.body)
            .map_err(|e| ProbeError::unparsable("ListObjectsV2", e))?;
        ListObjectsV2::parse_response(text).map_err(|e| ProbeError::unparsable("ListObjectsV2", e))
    }

    /// PutObject (the opt-in write check only: the monitor never writes).
    pub async fn put(
        &self,
        ctx: &ProbeContext,
        key: &str,
        body: Vec<u8>,
    ) -> Result<(), ProbeError> {
        let url = PutObject::new(&self.bucket, Some(&self.credentials), key).sign(SIGNED_FOR);
        self.check(
            ctx.http
                .send(
                    ctx.http.client().put(url.as_str()).body(body),
                    cap::PUT_OBJECT,
                )
                .await?,
        )?;
        Ok(())
    }

    pub async fn get(&self, ctx: &ProbeContext, key: &str) -> Result<Vec<u8>, ProbeError> {
        let url = GetObject::new(&self.bucket, Some(&self.credentials), key).sign(SIGNED_FOR);
        let reply = self.check(
            ctx.http
                .send(ctx.http.client().get(url.as_str()), cap::GET_OBJECT)
                .await?,
        )?;
        Ok(reply.body.to_vec())
    }

    pub async fn delete(&self, ctx: &ProbeContext, key: &str) -> Result<(), ProbeError> {
        let url = DeleteObject::new(&self.bucket, Some(&self.credentials), key).sign(SIGNED_FOR);
        self.check(
            ctx.http
                .send(ctx.http.client().delete(url.as_str()), cap::DELETE_OBJECT)
                .await?,
        )?;
        Ok(())
    }
}
