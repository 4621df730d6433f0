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

use reqwest::header::{HeaderValue, AUTHORIZATION};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::probe::{clean, join_url, required, secret, ProbeContext, ProbeError, TestRun};
use crate::stats::{Files, Measurement, Quota, Storage};

/// Kubo's `StorageMax` when no limit is set.
const NO_LIMIT: u64 = u64::MAX;

/// `version`; only what we show.
#[derive(Deserialize)]
struct Version {
    #[serde(rename = "Version", default)]
    version: Option<String>,
    #[serde(rename = "Commit", default)]
    commit: Option<String>,
}

/// `id`; only what we show.
#[derive(Deserialize)]
struct Id {
    #[serde(rename = "ID", default)]
    id: Option<String>,
    #[serde(rename = "AgentVersion", default)]
    agent_version: Option<String>,
}

/// `repo/stat`. Parsed as u64 so that `StorageMax` = u64::MAX (no limit) survives;
/// `NumObjects` is absent or 0 with `size-only=true`.
#[derive(Deserialize)]
struct RepoStat {
    #[serde(rename = "RepoSize")]
    repo_size: u64,
    #[serde(rename = "StorageMax")]
    storage_max: u64,
    #[serde(rename = "NumObjects", default)]
    num_objects: Option<u64>,
}

impl RepoStat {
    fn limit(&self) -> Option<u64> {
        (self.storage_max != NO_LIMIT).then_some(self.storage_max)
    }

    fn describe(&self) -> String {
        match self.limit() {
            Some(max) => format!(
                "repo {} of {} (StorageMax)",
                crate::text::bytes(self.repo_size),
                crate::text::bytes(max)
            ),
            None => format!(
                "repo {}, no StorageMax limit",
                crate::text::bytes(self.repo_size)
            ),
        }
    }
}

/// `stats/bw`.
#[derive(Deserialize)]
struct Bandwidth {
    #[serde(rename = "TotalIn")]
    total_in: i64,
    #[serde(rename = "TotalOut")]
    total_out: i64,
    #[serde(rename = "RateIn")]
    rate_in: f64,
    #[serde(rename = "RateOut")]
    rate_out: f64,
}

/// `swarm/peers`: `Peers` is `null` (not `[]`) when there are none.
#[derive(Deserialize)]
struct SwarmPeers {
    #[serde(rename = "Peers", default)]
    peers: Option<Vec<IgnoredAny>>,
}

/// One line of `pin/ls?stream=true`: `{"Cid","Type"}`, or a Kubo error object.
#[derive(Deserialize)]
struct PinLine {
    #[serde(rename = "Cid", default)]
    cid: Option<IgnoredAny>,
    #[serde(rename = "Type", default)]
    kind: Option<String>,
    #[serde(rename = "Message", default)]
    message: Option<String>,
}

/// A Kubo node's RPC API: every command is a POST with its arguments in the query string.
struct Rpc<'a> {
    ctx: &'a ProbeContext,
    base: String,
    auth: Option<HeaderValue>,
}

impl<'a> Rpc<'a> {
    fn new(ctx: &'a ProbeContext, config: &Map<String, Value>) -> Result<Rpc<'a>, ProbeError> {
        let api_url = required(config, "api_url")?.trim_end_matches('/');
        // Accept both `http://host:5001` and `http://host:5001/api/v0`.
        let base = if api_url.ends_with("/api/v0") {
            api_url.to_string()
        } else {
            join_url(api_url, "api/v0")
        };
        let auth = match secret(config, "auth")? {
            Some(value) => {
                // Marked sensitive so that it is never printed in debug output.
                let mut header = HeaderValue::from_str(&value).map_err(|_| {
                    ProbeError::Config("field 'auth' is not a valid header value".into())
                })?;
                header.set_sensitive(true);
                Some(header)
            }
            None => None,
        };
        Ok(Rpc { ctx, base, auth })
    }

    fn request(&self, cmd: &str, args: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let mut request = self.ctx.http.client().post(join_url(&self.base, cmd));
        if !args.is_empty() {
            request = request.query(args);
        }
        if let Some(auth) = &self.auth {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        request
    }

    /// The raw answer of `cmd`, any status.
    async fn send(
        &self,
        cmd: &str,
        args: &[(&str, &str)],
    ) -> Result<crate::probe::Reply, ProbeError> {
        self.ctx.http.send(self.request(cmd, args)).await
    }

    /// `cmd`'s answer parsed as `T`, or the error its status means.
    async fn call<T: DeserializeOwned>(
        &self,
        cmd: &str,
        args: &[(&str, &str)],
    ) -> Result<T, ProbeError> {
        self.send(cmd, args)
            .await?
            .success_or(&format!("Kubo command '{cmd}'"))?
            .json(&format!("Kubo {cmd}"))
    }

    async fn version(&self) -> Result<Version, ProbeError> {
        self.call("version", &[]).await
    }

    async fn id(&self) -> Result<Id, ProbeError> {
        self.call("id", &[]).await
    }

    async fn repo_stat(&self, size_only: bool) -> Result<RepoStat, ProbeError> {
        if size_only {
            self.call("repo/stat", &[("size-only", "true")]).await
        } else {
            self.call("repo/stat", &[]).await
        }
    }

    /// `None` when the node cannot say: 400 when offline, 500 when bandwidth metrics are
    /// disabled. Neither makes the node unhealthy.
    async fn bandwidth(&self) -> Result<Option<Bandwidth>, ProbeError> {
        let reply = self.send("stats/bw", &[]).await?;
        if matches!(reply.status, 400 | 500) {
            return Ok(None);
        }
        reply
            .success_or("Kubo command 'stats/bw'")?
            .json("Kubo stats/bw")
            .map(Some)
    }

    /// Connected peers, or `Err(Ok(reason))` when the node runs offline (a degraded node,
    /// not a failed probe).
    async fn swarm_peers(&self) -> Result<Result<u64, String>, ProbeError> {
        let reply = self.send("swarm/peers", &[]).await?;
        if matches!(reply.status, 400 | 500) {
            let detail = reply.detail();
            if detail.contains("online mode") {
                return Ok(Err(detail));
            }
        }
        let peers: SwarmPeers = reply
            .success_or("Kubo command 'swarm/peers'")?
            .json("Kubo swarm/peers")?;
        // `null` is a real zero: the node is up and has no peers.
        Ok(Ok(peers.peers.map_or(0, |p| p.len() as u64)))
    }

    /// Recursive pins, counted line by line as they stream in (constant memory).
    async fn pins(&self) -> Result<u64, ProbeError> {
        let mut count = 0u64;
        let request = self.request("pin/ls", &[("stream", "true"), ("type", "recursive")]);
        self.ctx
            .http
            .send_lines(request, |line| {
                let pin: PinLine = serde_json::from_slice(line)
                    .map_err(|e| ProbeError::unparsable("Kubo pin/ls", e))?;
                if pin.kind.as_deref() == Some("error") {
                    return Err(ProbeError::Stream {
                        detail: clean(pin.message.as_deref().unwrap_or("pin/ls failed")),
                    });
                }
                if pin.cid.is_none() {
                    return Err(ProbeError::unparsable(
                        "Kubo pin/ls",
                        "a line without 'Cid'",
                    ));
                }
                count += 1;
                Ok(())
            })
            .await?;
        Ok(count)
    }
}

pub async fn measure(
    ctx: &ProbeContext,
    config: &Map<String, Value>,
) -> Result<Measurement, ProbeError> {
    let rpc = Rpc::new(ctx, config)?;
    // Concurrently: one round costs one timeout at most, not one per command.
    let (version, id, repo, bandwidth, peers, pins) = tokio::try_join!(
        rpc.version(),
        rpc.id(),
        rpc.repo_stat(false),
        rpc.bandwidth(),
        rpc.swarm_peers(),
        rpc.pins(),
    )?;

    let mut vital = Map::new();
    crate::probe::put_text(&mut vital, "version", version.version.as_deref());
    crate::probe::put_text(&mut vital, "commit", version.commit.as_deref());
    crate::probe::put_text(&mut vital, "peer_id", id.id.as_deref());
    crate::probe::put_text(&mut vital, "agent_version", id.agent_version.as_deref());
    let limit = repo.limit();
    if limit.is_none() {
        vital.insert("storage_max".into(), json!("no limit"));
    }
    if let Some(bw) = bandwidth {
        vital.insert("total_in".into(), json!(bw.total_in));
        vital.insert("total_out".into(), json!(bw.total_out));
        vital.insert("rate_in".into(), json!(bw.rate_in));
        vital.insert("rate_out".into(), json!(bw.rate_out));
    }
    let mut degraded = None;
    match peers {
        Ok(count) => {
            vital.insert("peers".into(), json!(count));
        }
        Err(detail) => degraded = Some(format!("the node runs offline: {detail}")),
    }
    vital.insert("pins".into(), json!(pins));

    let used = repo.repo_size;
    Ok(Measurement {
        degraded,
        storage: Storage::new(limit, Some(used), limit.map(|max| max.saturating_sub(used))),
        files: Files {
            count: repo.num_objects,
            ..Files::default()
        },
        // StorageMax is a soft GC threshold: the closest thing Kubo has to a quota.
        quota: match limit {
            Some(_) => Quota::bytes(limit, Some(used)),
            None => Quota::default(),
        },
        vital,
    })
}

pub async fn test(
    ctx: &ProbeContext,
    config: &Map<String, Value>,
    run: &mut TestRun,
) -> Result<(), ProbeError> {
    let rpc = Rpc::new(ctx, config)?;
    run.step("reachable: version", rpc.version(), |v| {
        format!(
            "Kubo {}",
            v.version.as_deref().unwrap_or("(version not given)")
        )
    })
    .await?;
    // `version` is answered even without credentials; `id` is not.
    run.step("authenticated: id", rpc.id(), |id| {
        format!("peer {}", id.id.as_deref().unwrap_or("(no ID given)"))
    })
    .await?;
    run.step("read: repo/stat", rpc.repo_stat(true), RepoStat::describe)
        .await?;
    Ok(())
}
