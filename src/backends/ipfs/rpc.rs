//! Kubo's RPC API as both Kubo and js-ipfs answer it: every command a POST with its arguments
//! in the query string; numbers as JSON numbers (Kubo) or decimal strings (js-ipfs).

use reqwest::header::{HeaderValue, AUTHORIZATION};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::backends::secret;
use crate::probe::num::{self, opt_f64, opt_i64, opt_u64};
use crate::probe::{
    clean, join_url, required, Budget, Cap, ListCounter, ProbeContext, ProbeError, Reply,
};

/// What each command may answer. Kubo's answers to these are a few hundred bytes, except the
/// peer list, which grows with the node's connections.
mod cap {
    use crate::probe::Cap;

    pub const VERSION: Cap = Cap::kib("Kubo version", 64);
    /// `ID`, `AgentVersion`, the node's addresses and protocols: about 2 KiB on a public node.
    pub const ID: Cap = Cap::kib("Kubo id", 64);
    pub const REPO_STAT: Cap = Cap::kib("Kubo repo/stat", 64);
    pub const STATS_BW: Cap = Cap::kib("Kubo stats/bw", 64);
    /// One entry per connected peer, about 250 bytes each: 4 MiB holds some 16,000 peers, far
    /// past a node's connection manager (it trims to a few hundred by default). The answer is
    /// counted as it arrives and never held, so this bounds what is read, not memory.
    pub const SWARM_PEERS: Cap = Cap::mib("Kubo swarm/peers", 4);
    /// One line per pin, `{"Cid","Type","Name"}`: a CID under 100 bytes and a name under 256
    /// (Kubo refuses longer ones). A node too old to stream sends its whole pin set as one
    /// `{"Keys":{...}}` object instead, which fits only for a few dozen pins.
    pub const PIN_LS_LINE: Cap = Cap::kib("Kubo pin/ls", 4);
    /// `{"Sweep":{...},"Legacy":...}`: about 1.5 KiB, whatever the node holds.
    pub const PROVIDE_STAT: Cap = Cap::kib("Kubo provide/stat", 64);
    /// The write check's own block (64 bytes) and the short answers about it.
    pub const BLOCK: Cap = Cap::kib("Kubo block", 64);
}

/// `version`; only what we show.
#[derive(Deserialize)]
pub struct Version {
    #[serde(rename = "Version", default)]
    pub version: Option<String>,
    #[serde(rename = "Commit", default)]
    pub commit: Option<String>,
}

/// `id`; only what we show.
#[derive(Deserialize)]
pub struct Id {
    #[serde(rename = "ID", default)]
    pub id: Option<String>,
    #[serde(rename = "AgentVersion", default)]
    pub agent_version: Option<String>,
}

/// `repo/stat`. `StorageMax` may be a "no limit" sentinel (u64::MAX from Kubo, 2^53-1 from
/// js-ipfs); `NumObjects` is absent or 0 with `size-only=true`.
#[derive(Deserialize)]
pub struct RepoStat {
    #[serde(rename = "RepoSize", default, deserialize_with = "opt_u64")]
    pub repo_size: Option<u64>,
    #[serde(rename = "StorageMax", default, deserialize_with = "opt_u64")]
    pub storage_max: Option<u64>,
    #[serde(rename = "NumObjects", default, deserialize_with = "opt_u64")]
    pub num_objects: Option<u64>,
}

impl RepoStat {
    /// The GC threshold, `None` when unlimited or not given.
    pub fn gc_threshold(&self) -> Option<u64> {
        self.storage_max.and_then(num::limit)
    }

    pub fn describe(&self) -> String {
        let size = self
            .repo_size
            .map_or_else(|| "?".to_string(), crate::text::bytes);
        match self.gc_threshold() {
            Some(max) => format!(
                "repo {size}, GC threshold (StorageMax) {}",
                crate::text::bytes(max)
            ),
            None => format!("repo {size}, no StorageMax"),
        }
    }
}

/// `stats/bw`: totals as numbers (Kubo) or strings (js-ipfs).
#[derive(Deserialize)]
pub struct Bandwidth {
    #[serde(rename = "TotalIn", default, deserialize_with = "opt_i64")]
    pub total_in: Option<i64>,
    #[serde(rename = "TotalOut", default, deserialize_with = "opt_i64")]
    pub total_out: Option<i64>,
    #[serde(rename = "RateIn", default, deserialize_with = "opt_f64")]
    pub rate_in: Option<f64>,
    #[serde(rename = "RateOut", default, deserialize_with = "opt_f64")]
    pub rate_out: Option<f64>,
}

/// `block/put`: `{"Key","Size"}`.
#[derive(Deserialize)]
struct BlockPut {
    #[serde(rename = "Key", default)]
    key: Option<String>,
}

/// `block/rm`: one `{"Hash","Error"}` line per block.
#[derive(Deserialize)]
struct BlockRm {
    #[serde(rename = "Error", default)]
    error: Option<String>,
}

/// `provide/stat` as Kubo 0.43 answers it with the sweep provider (the default); only what we
/// show and judge. The legacy provider answers `{"Legacy":{...}}` without `Sweep`.
#[derive(Deserialize)]
pub struct ProvideStat {
    #[serde(rename = "Sweep", default)]
    pub sweep: Option<Sweep>,
}

#[derive(Deserialize)]
pub struct Sweep {
    #[serde(default)]
    pub connectivity: Option<Connectivity>,
    #[serde(default)]
    pub queues: Option<ProvideQueues>,
    #[serde(default)]
    pub schedule: Option<ProvideSchedule>,
    #[serde(default)]
    pub operations: Option<ProvideOperations>,
}

#[derive(Deserialize)]
pub struct Connectivity {
    /// `online`, `disconnected` or `offline`.
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Deserialize)]
pub struct ProvideQueues {
    #[serde(default, deserialize_with = "opt_u64")]
    pub pending_key_provides: Option<u64>,
    /// Regions whose reprovide is overdue: Kubo's own sign of falling behind.
    #[serde(default, deserialize_with = "opt_u64")]
    pub pending_region_reprovides: Option<u64>,
}

#[derive(Deserialize)]
pub struct ProvideSchedule {
    /// CIDs scheduled for reprovide.
    #[serde(default, deserialize_with = "opt_u64")]
    pub keys: Option<u64>,
}

#[derive(Deserialize)]
pub struct ProvideOperations {
    #[serde(default)]
    pub past: Option<PastOperations>,
}

#[derive(Deserialize)]
pub struct PastOperations {
    #[serde(default, deserialize_with = "opt_u64")]
    pub keys_failed: Option<u64>,
}

/// One line of `pin/ls?stream=true`: `{"Cid","Type"}`, a Kubo error object, or (older Kubo,
/// no streaming) the whole answer `{"Keys":{CID:{"Type"}}}`.
#[derive(Deserialize)]
struct PinLine {
    #[serde(rename = "Cid", default)]
    cid: Option<IgnoredAny>,
    #[serde(rename = "Type", default)]
    kind: Option<String>,
    #[serde(rename = "Message", default)]
    message: Option<String>,
    #[serde(rename = "Keys", default)]
    keys: Option<Map<String, Value>>,
}

/// What `stats/bw` found.
pub enum BandwidthReading {
    Figures(Bandwidth),
    /// The node runs offline and says so (Kubo's own words).
    Offline(String),
    /// Not reported: bandwidth metrics disabled, or no such command.
    NotReported,
}

/// What a peer count call found.
pub enum Peers {
    Count(u64),
    /// The node runs offline (a degraded node, not a failed call).
    Offline(String),
    /// The server has no such command.
    NotOffered,
}

/// Recursive pins counted so far, and whether the listing was cut at the budget.
pub struct PinCount {
    pub count: u64,
    pub cut: bool,
}

/// A node's RPC API.
pub struct Rpc<'a> {
    ctx: &'a ProbeContext,
    base: String,
    auth: Option<HeaderValue>,
}

impl<'a> Rpc<'a> {
    pub fn new(ctx: &'a ProbeContext, config: &Map<String, Value>) -> Result<Rpc<'a>, ProbeError> {
        let api_url = required(config, "api_url")?.trim_end_matches('/');
        // Accept both `http://host:5001` and `http://host:5001/api/v0`.
        let base = if api_url.ends_with("/api/v0") {
            api_url.to_string()
        } else {
            join_url(api_url, "api/v0")
        };
        let auth = match secret::field(config, "auth")? {
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

    /// The raw answer of `cmd`, any status, within `cap`.
    async fn send(&self, cmd: &str, args: &[(&str, &str)], cap: Cap) -> Result<Reply, ProbeError> {
        self.ctx.http.send(self.request(cmd, args), cap).await
    }

    /// `cmd`'s answer parsed as `T`, or the error its status means.
    async fn call<T: DeserializeOwned>(
        &self,
        cmd: &str,
        args: &[(&str, &str)],
        cap: Cap,
    ) -> Result<T, ProbeError> {
        self.send(cmd, args, cap)
            .await?
            .success_or(&format!("Kubo command '{cmd}'"))?
            .json(&format!("Kubo {cmd}"))
    }

    pub async fn version(&self) -> Result<Version, ProbeError> {
        self.call("version", &[], cap::VERSION).await
    }

    pub async fn id(&self) -> Result<Id, ProbeError> {
        self.call("id", &[], cap::ID).await
    }

    /// Without `size_only` the node walks every block to count them: inventory only.
    pub async fn repo_stat(&self, size_only: bool) -> Result<RepoStat, ProbeError> {
        if size_only {
            self.call("repo/stat", &[("size-only", "true")], cap::REPO_STAT)
                .await
        } else {
            self.call("repo/stat", &[], cap::REPO_STAT).await
        }
    }

    /// Offline, Kubo answers 400 "this command must be run in online mode"; 500 when bandwidth
    /// metrics are disabled, 404/405 when the server has no such command. None is a failure.
    pub async fn bandwidth(&self) -> Result<BandwidthReading, ProbeError> {
        let reply = self.send("stats/bw", &[], cap::STATS_BW).await?;
        if matches!(reply.status, 400 | 500) {
            let detail = reply.detail();
            if detail.contains("online mode") {
                return Ok(BandwidthReading::Offline(detail));
            }
            return Ok(BandwidthReading::NotReported);
        }
        if crate::probe::not_offered(reply.status) {
            return Ok(BandwidthReading::NotReported);
        }
        reply
            .success_or("Kubo command 'stats/bw'")?
            .json("Kubo stats/bw")
            .map(BandwidthReading::Figures)
    }

    /// `provide/stat` (Kubo 0.39 and later): `None` when the server has no such command, the
    /// node runs offline, or providing is switched off (`Provide.Enabled=false`).
    pub async fn provide_stat(&self) -> Result<Option<ProvideStat>, ProbeError> {
        let reply = self.send("provide/stat", &[], cap::PROVIDE_STAT).await?;
        if crate::probe::not_offered(reply.status) || matches!(reply.status, 400 | 500) {
            return Ok(None);
        }
        reply
            .success_or("Kubo command 'provide/stat'")?
            .json("Kubo provide/stat")
            .map(Some)
    }

    /// `block/put` of `data` as a raw block, not pinned: its CID.
    pub async fn block_put(&self, data: Vec<u8>) -> Result<String, ProbeError> {
        // multipart/form-data with one part, by hand: reqwest's multipart feature is not built.
        const BOUNDARY: &str = "ipfs-kit-tui-write-check-2b7e41";
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"check\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&data);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let request = self
            .request(
                "block/put",
                &[
                    ("cid-codec", "raw"),
                    ("mhtype", "sha2-256"),
                    ("pin", "false"),
                ],
            )
            .header(
                reqwest::header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body);
        let put: BlockPut = self
            .ctx
            .http
            .send(request, cap::BLOCK)
            .await?
            .success_or("Kubo command 'block/put'")?
            .json("Kubo block/put")?;
        put.key
            .map(|key| clean(&key))
            .filter(|key| !key.is_empty())
            .ok_or_else(|| ProbeError::unparsable("Kubo block/put", "no 'Key' in the answer"))
    }

    /// `block/get`: the block's bytes.
    pub async fn block_get(&self, cid: &str) -> Result<Vec<u8>, ProbeError> {
        let reply = self
            .send("block/get", &[("arg", cid)], cap::BLOCK)
            .await?
            .success_or("Kubo command 'block/get'")?;
        Ok(reply.body.to_vec())
    }

    /// `block/rm`: Kubo answers 200 with `{"Hash","Error"}`, the error inside.
    pub async fn block_rm(&self, cid: &str) -> Result<(), ProbeError> {
        let reply = self
            .send("block/rm", &[("arg", cid)], cap::BLOCK)
            .await?
            .success_or("Kubo command 'block/rm'")?;
        for line in reply.body.split(|b| *b == b'\n') {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let removed: BlockRm = serde_json::from_slice(line)
                .map_err(|e| ProbeError::unparsable("Kubo block/rm", e))?;
            let error = clean(removed.error.as_deref().unwrap_or(""));
            if !error.is_empty() {
                return Err(ProbeError::Other(format!("block/rm: {error}")));
            }
        }
        Ok(())
    }

    /// The peers of `{"Peers":[...]}`, counted as the answer streams in: it is the one pulse
    /// answer that grows with the node, and only its length matters.
    pub async fn swarm_peers(&self) -> Result<Peers, ProbeError> {
        const WHAT: &str = "Kubo swarm/peers";
        let mut peers = ListCounter::new("Peers");
        let request = self.request("swarm/peers", &[]);
        let reply = self
            .ctx
            .http
            .send_scanned(request, cap::SWARM_PEERS, |piece| {
                peers
                    .feed(piece)
                    .map_err(|e| ProbeError::unparsable(WHAT, e))
            })
            .await?;
        if crate::probe::not_offered(reply.status) {
            return Ok(Peers::NotOffered);
        }
        if matches!(reply.status, 400 | 500) {
            let detail = reply.detail();
            if detail.contains("online mode") {
                return Ok(Peers::Offline(detail));
            }
        }
        reply.success_or("Kubo command 'swarm/peers'")?;
        // `null` is a real zero: the node is up and has no peers.
        let count = peers
            .finish()
            .map_err(|e| ProbeError::unparsable(WHAT, e))?;
        Ok(Peers::Count(count))
    }

    /// Recursive pins, counted line by line as they stream in (constant memory), until the
    /// budget's time is up. An older node that does not stream answers one `{"Keys":{}}`
    /// object: its keys are counted.
    pub async fn pins(&self, budget: &Budget) -> Result<PinCount, ProbeError> {
        let mut count = 0u64;
        let request = self.request("pin/ls", &[("stream", "true"), ("type", "recursive")]);
        let streamed = self
            .ctx
            .http
            .send_lines(request, cap::PIN_LS_LINE, |line| {
                let pin: PinLine = serde_json::from_slice(line)
                    .map_err(|e| ProbeError::unparsable("Kubo pin/ls", e))?;
                if pin.kind.as_deref() == Some("error") {
                    return Err(ProbeError::Stream {
                        detail: clean(pin.message.as_deref().unwrap_or("pin/ls failed")),
                    });
                }
                if let Some(keys) = pin.keys {
                    count += keys.len() as u64;
                    return Ok(());
                }
                if pin.cid.is_none() {
                    return Err(ProbeError::unparsable(
                        "Kubo pin/ls",
                        "a line without 'Cid'",
                    ));
                }
                count += 1;
                // The clock is read every 4096 pins: cheap, and fine-grained enough.
                if count.is_multiple_of(4096) && budget.expired() {
                    return Err(ProbeError::Budget);
                }
                Ok(())
            })
            .await;
        match streamed {
            Ok(_) => Ok(PinCount { count, cut: false }),
            Err(ProbeError::Budget) => Ok(PinCount { count, cut: true }),
            Err(err) => Err(err),
        }
    }
}
