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

fn check_combination(config: &Map<String, Value>) -> Result<(), FieldError> {
    super::requires(config, "password", "user")
}

use serde::Deserialize;
use serde_json::json;

use super::kind::Config;
use super::secret;
use crate::probe::num::opt_u64;
use crate::probe::{clean, join_url, required, Budget, Cap, ProbeContext, ProbeError, TestRun};
use crate::stats::{FailedCall, Files, InventoryRun, Measurement, Storage};

/// The `rclone` kind. Its pulse is `operations/about`, which costs the same whatever the
/// remote holds (rclone answers it from the remote's own usage API); rclone's version never
/// changes between polls, so it is read by the hourly inventory.
pub struct Rclone;

// Pulse: operations/about.
super::kind::backend_kind!(
    Rclone,
    "rclone",
    pulse_requests: 1,
    check: check_combination,
    inventory: inventory,
);

/// Where the backend lives, for lists.
fn target(config: &Config) -> String {
    let get = |name| crate::probe::field(config, name).unwrap_or("?");
    format!("{} {}", get("rc_url"), get("remote"))
}

/// What each rc method may answer: both are a few hundred bytes.
mod cap {
    use crate::probe::Cap;

    pub const VERSION: Cap = Cap::kib("rclone core/version", 64);
    pub const ABOUT: Cap = Cap::kib("rclone operations/about", 64);
}

/// `core/version`; only the fields we show.
#[derive(Deserialize)]
struct Version {
    version: Option<String>,
    os: Option<String>,
    arch: Option<String>,
}

/// `operations/about`: every field is optional; an omitted one is unknown (or unlimited).
#[derive(Deserialize)]
struct About {
    #[serde(default, deserialize_with = "opt_u64")]
    total: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    used: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    free: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    trashed: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    other: Option<u64>,
    #[serde(default, deserialize_with = "opt_u64")]
    objects: Option<u64>,
}

/// POSTs a JSON body to an rc method. With --rc-user set, rclone wants credentials on every
/// call (core/version included, seen with rclone 1.60), so they go on every call.
async fn call(
    ctx: &ProbeContext,
    config: &Map<String, Value>,
    method: &str,
    body: Value,
    cap: Cap,
) -> Result<crate::probe::Reply, ProbeError> {
    let url = join_url(required(config, "rc_url")?, method);
    let mut request = ctx.http.client().post(url).json(&body);
    if let Some(user) = crate::probe::field(config, "user") {
        request = request.basic_auth(user, secret::field(config, "password")?);
    }
    ctx.http
        .send(request, cap)
        .await?
        .success_or(&format!("rc method {method}"))
}

async fn version(ctx: &ProbeContext, config: &Map<String, Value>) -> Result<Version, ProbeError> {
    call(ctx, config, "core/version", json!({}), cap::VERSION)
        .await?
        .json("core/version")
}

async fn about(ctx: &ProbeContext, config: &Map<String, Value>) -> Result<About, ProbeError> {
    let remote = required(config, "remote")?;
    call(
        ctx,
        config,
        "operations/about",
        json!({ "fs": remote }),
        cap::ABOUT,
    )
    .await?
    .json("operations/about")
}

/// `operations/about` is both the liveness call and the usage figures. An rc error answer
/// (HTTP 500, the remote could not say) means the rcd is up: degraded, naming the call.
async fn pulse(ctx: &ProbeContext, config: &Map<String, Value>) -> Result<Measurement, ProbeError> {
    let mut pulse = Measurement::default();
    match about(ctx, config).await {
        Ok(about) => {
            if let Some(trashed) = about.trashed {
                pulse.vital.insert("trashed".into(), json!(trashed));
            }
            if let Some(other) = about.other {
                pulse.vital.insert("other".into(), json!(other));
            }
            // `free` is what the remote lets us write: fullness as `df` computes it.
            pulse.storage = Storage::filesystem(about.total, about.used, about.free);
            // `about` measures the remote's root (`gdrive:`), whatever path under it.
            let remote = crate::probe::field(config, "remote").unwrap_or("");
            let root = remote.split_inclusive(':').next().unwrap_or(remote);
            pulse.storage.identity = super::storage_identity("rclone", config, "rc_url", root);
            pulse.files = Files {
                count: about.objects,
                ..Files::default()
            };
        }
        Err(err @ ProbeError::Http { status: 500, .. }) => pulse.failed.push(FailedCall::new(
            "operations/about",
            err,
            &["storage", "files", "vital.trashed", "vital.other"],
        )),
        Err(err) => return Err(err),
    }
    Ok(pulse)
}

/// rclone's version, which does not change between polls.
async fn inventory(
    ctx: &ProbeContext,
    config: &Map<String, Value>,
    _resume: Option<Value>,
    budget: &Budget,
) -> Result<InventoryRun, ProbeError> {
    let mut run = InventoryRun {
        complete: true,
        ..InventoryRun::default()
    };
    if budget.take_request() {
        match version(ctx, config).await {
            Ok(version) => {
                for (key, value) in [
                    ("version", version.version),
                    ("os", version.os),
                    ("arch", version.arch),
                ] {
                    if let Some(value) = value {
                        run.figures.vital.insert(key.into(), json!(clean(&value)));
                    }
                }
            }
            Err(err) => run.failed.push(FailedCall::new(
                "core/version",
                err,
                &["vital.version", "vital.os", "vital.arch"],
            )),
        }
    }
    run.requests = budget.requests();
    Ok(run)
}

async fn test(ctx: &ProbeContext, config: &Config, run: &mut TestRun) -> Result<(), ProbeError> {
    run.step(
        "reachable+authenticated: core/version",
        version(ctx, config),
        |v| {
            format!(
                "rclone {}",
                v.version.as_deref().unwrap_or("(version not given)")
            )
        },
    )
    .await?;
    run.step("read: operations/about", about(ctx, config), |a| {
        match (a.used, a.free, a.total) {
            // Free given: used and free of what is usable, the total apart, as the detail.
            (Some(used), Some(free), total) => crate::text::filesystem_space(used, free, total),
            (Some(used), None, Some(total)) => format!(
                "{} used of {}",
                crate::text::bytes(used),
                crate::text::bytes(total)
            ),
            (Some(used), None, None) => {
                format!("{} used, no total given", crate::text::bytes(used))
            }
            _ => "answered; this remote reports no usage".into(),
        }
    })
    .await?;
    Ok(())
}
