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

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use url::Url;

use super::kind::Config;
use super::secret;
use crate::probe::{clean, field, required, Cap, ProbeContext, ProbeError, TestRun};
use crate::stats::{FailedCall, Measurement};

/// The `filecoin` kind. Every call costs the same whatever the chain holds: no inventory.
pub struct Filecoin;

// Pulse: Filecoin.Version, Filecoin.ChainHead, and Filecoin.WalletBalance when a wallet is set.
super::kind::backend_kind!(
    Filecoin,
    "filecoin",
    pulse_requests: 3,
);

/// Where the backend lives, for lists.
fn target(config: &Config) -> String {
    field(config, "api_url").unwrap_or("?").to_string()
}

/// attoFIL in one FIL.
const ATTO_PER_FIL: u128 = 1_000_000_000_000_000_000;
/// Sync lag beyond which the node counts as behind when it does not say its block time.
const DEFAULT_MAX_LAG_SECS: u64 = 300;
/// Blocks of lag tolerated before the node counts as behind (null rounds and slow blocks
/// routinely cost one or two).
const MAX_LAG_BLOCKS: u64 = 10;

/// JSON-RPC request ids: unique per process, so a confused proxy cannot pass one answer off as
/// another's.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

struct Node {
    url: Url,
    token: Option<String>,
}

impl Node {
    fn from_config(config: &Map<String, Value>) -> Result<Node, ProbeError> {
        let text = required(config, "api_url")?;
        let url = Url::parse(text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                ProbeError::Config(format!(
                    "field 'api_url': '{}' is not an http(s) URL",
                    clean(text)
                ))
            })?;
        Ok(Node {
            url,
            token: secret::field(config, "token")?,
        })
    }

    /// What a 404 from the API URL means is missing (the path only: no credentials shown).
    fn endpoint_name(&self) -> String {
        format!("JSON-RPC endpoint '{}'", self.url.path())
    }
}

/// What each call may answer. Lotus's answers are small: a version, a balance, and a chain
/// head of a few blocks.
mod cap {
    use crate::probe::Cap;

    pub const LIVEZ: Cap = Cap::kib("Lotus /health/livez", 64);
    pub const VERSION: Cap = Cap::kib("Filecoin.Version", 64);
    /// A tipset: a handful of block headers (at most ~15) of ~2 KiB each with their tickets,
    /// beacon entries and proofs.
    pub const CHAIN_HEAD: Cap = Cap::kib("Filecoin.ChainHead", 128);
    pub const WALLET_BALANCE: Cap = Cap::kib("Filecoin.WalletBalance", 64);
}

#[derive(Deserialize)]
struct RpcResponse {
    result: Option<Value>,
    error: Option<RpcError>,
    id: Option<Value>,
}

#[derive(Deserialize)]
struct RpcError {
    code: Option<i64>,
    message: Option<String>,
}

/// A JSON-RPC error object, naming the method, the code (and what it means) and the message.
fn rpc_error(method: &str, error: &RpcError) -> ProbeError {
    let meaning = match error.code {
        Some(-32700) => " (parse error)",
        Some(-32600) => " (invalid request)",
        Some(-32601) => " (method not found)",
        Some(-32602) => " (invalid params)",
        Some(-32603) => " (internal error)",
        _ => "",
    };
    let code = error.code.map(|c| format!(" {c}")).unwrap_or_default();
    let message = clean(error.message.as_deref().unwrap_or("no message"));
    ProbeError::Other(format!(
        "{method}: JSON-RPC error{code}{meaning}: {message}"
    ))
}

/// Calls `method` and decodes its result.
async fn call<T: DeserializeOwned>(
    ctx: &ProbeContext,
    node: &Node,
    method: &str,
    params: Value,
    cap: Cap,
) -> Result<T, ProbeError> {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let body = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id});
    let mut request = ctx.http.client().post(node.url.clone()).json(&body);
    if let Some(token) = &node.token {
        request = request.bearer_auth(token);
    }
    let reply = ctx.http.send(request, cap).await?;
    if matches!(reply.status, 401 | 403) {
        return Err(reply.status_error(&node.endpoint_name()));
    }
    // go-jsonrpc answers some errors (a body it cannot parse, ...) with a non-2xx status and
    // an error object: the object says more than the status.
    let parsed = serde_json::from_slice::<RpcResponse>(&reply.body);
    if let Ok(RpcResponse {
        error: Some(error), ..
    }) = &parsed
    {
        return Err(rpc_error(method, error));
    }
    if !reply.is_success() {
        return Err(reply.status_error(&node.endpoint_name()));
    }
    let response = parsed.map_err(|e| ProbeError::unparsable(method, e))?;
    if response.id.as_ref().is_some_and(|got| *got != json!(id)) {
        return Err(ProbeError::unparsable(
            method,
            "the answer carries another request's id",
        ));
    }
    let result = response
        .result
        .ok_or_else(|| ProbeError::unparsable(method, "neither a result nor an error"))?;
    serde_json::from_value(result).map_err(|e| ProbeError::unparsable(method, e))
}

/// `Filecoin.Version`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Version {
    version: Option<String>,
    /// A number packing major.minor.patch into bytes (Lotus `api.Version`).
    #[serde(rename = "APIVersion")]
    api_version: Option<Value>,
    /// Seconds between epochs (30 on mainnet).
    block_delay: Option<u64>,
    agent: Option<String>,
}

impl Version {
    fn api_version_text(&self) -> Option<String> {
        match self.api_version.as_ref()? {
            Value::Number(n) => {
                let v = u32::try_from(n.as_u64()?).ok()?;
                Some(format!("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff))
            }
            Value::String(s) => Some(clean(s)),
            _ => None,
        }
    }
}

async fn version(ctx: &ProbeContext, node: &Node) -> Result<Version, ProbeError> {
    call(ctx, node, "Filecoin.Version", json!([]), cap::VERSION).await
}

/// `Filecoin.ChainHead`: a tipset; only its height and its blocks' timestamps are read.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Head {
    height: Option<i64>,
    blocks: Option<Vec<Block>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Block {
    /// Unix seconds.
    timestamp: Option<u64>,
}

impl Head {
    /// How far the head is behind the wall clock, in seconds (0 when ahead: clock skew).
    fn lag_secs(&self) -> Option<u64> {
        let stamp = self.blocks.as_ref()?.first()?.timestamp?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        Some(now.saturating_sub(stamp))
    }
}

async fn chain_head(ctx: &ProbeContext, node: &Node) -> Result<Head, ProbeError> {
    call(ctx, node, "Filecoin.ChainHead", json!([]), cap::CHAIN_HEAD).await
}

/// `Filecoin.WalletBalance`: attoFIL as a decimal string, which can exceed u64.
async fn balance(ctx: &ProbeContext, node: &Node, wallet: &str) -> Result<u128, ProbeError> {
    let method = "Filecoin.WalletBalance";
    let value: Value = call(ctx, node, method, json!([wallet]), cap::WALLET_BALANCE).await?;
    let text = match &value {
        Value::String(s) => s.clone(),
        // A plain number is accepted only in its exact integer form (a float loses digits).
        Value::Number(n) => n.to_string(),
        other => {
            return Err(ProbeError::unparsable(
                method,
                format!(
                    "expected a decimal string, got {}",
                    crate::store::fsio::json_kind(other)
                ),
            ))
        }
    };
    parse_atto(&text).map_err(|detail| ProbeError::unparsable(method, detail))
}

/// Parses an attoFIL amount exactly; only ASCII digits are accepted (no sign, no exponent).
fn parse_atto(text: &str) -> Result<u128, String> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "'{}' is not a whole number of attoFIL",
            clean(text)
        ));
    }
    text.parse::<u128>()
        .map_err(|_| format!("'{}' attoFIL is beyond any possible balance", clean(text)))
}

/// attoFIL as FIL with up to 18 decimals, trailing zeros trimmed ("1.5", "0.000000000000000001").
fn fil_text(atto: u128) -> String {
    let whole = atto / ATTO_PER_FIL;
    let fraction = atto % ATTO_PER_FIL;
    if fraction == 0 {
        whole.to_string()
    } else {
        let digits = format!("{fraction:018}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// A lag in words for the health message.
fn lag_text(secs: u64) -> String {
    match secs {
        0..=119 => format!("{secs} s"),
        120..=7199 => format!("{} min", secs / 60),
        7200..=172_799 => format!("{} h", secs / 3600),
        _ => format!("{} days", secs / 86_400),
    }
}

/// `Filecoin.Version` is the liveness call; the chain head and the wallet balance stand alone.
async fn pulse(ctx: &ProbeContext, config: &Map<String, Value>) -> Result<Measurement, ProbeError> {
    let node = Node::from_config(config)?;
    let wallet = field(config, "wallet");
    let balance = async {
        match wallet {
            Some(wallet) => balance(ctx, &node, wallet).await.map(Some),
            None => Ok(None),
        }
    };
    // Concurrently: one pulse costs one timeout at most, not one per call.
    let (version, head, balance) =
        tokio::join!(version(ctx, &node), chain_head(ctx, &node), balance);
    let version = version?;
    let mut pulse = Measurement::default();
    let vital = &mut pulse.vital;
    if let Some(text) = &version.version {
        vital.insert("version".into(), json!(clean(text)));
    }
    if let Some(api) = version.api_version_text() {
        vital.insert("api_version".into(), json!(api));
    }
    if let Some(delay) = version.block_delay {
        vital.insert("block_delay".into(), json!(delay));
    }
    if let Some(agent) = &version.agent {
        vital.insert("agent".into(), json!(clean(agent)));
    }
    match head {
        Ok(head) => {
            if let Some(height) = head.height {
                vital.insert("chain_height".into(), json!(height));
            }
            let lag = head.lag_secs();
            if let Some(lag) = lag {
                vital.insert("sync_lag_secs".into(), json!(lag));
            }
            let max_lag = version
                .block_delay
                .filter(|d| *d > 0)
                .map_or(DEFAULT_MAX_LAG_SECS, |d| d.saturating_mul(MAX_LAG_BLOCKS));
            pulse.degraded = lag.filter(|lag| *lag > max_lag).map(|lag| {
                format!(
                    "chain head is {} behind the wall clock (sync lag {lag} s, more than {max_lag} s): \
                     the node is not in sync",
                    lag_text(lag)
                )
            });
        }
        Err(err) => pulse.failed.push(FailedCall::new(
            "Filecoin.ChainHead",
            err,
            &["vital.chain_height", "vital.sync_lag_secs"],
        )),
    }
    match (wallet, balance) {
        (Some(wallet), Ok(Some(atto))) => {
            let vital = &mut pulse.vital;
            vital.insert("wallet".into(), json!(clean(wallet)));
            vital.insert("wallet_balance_atto".into(), json!(atto.to_string()));
            vital.insert("wallet_balance_fil".into(), json!(fil_text(atto)));
        }
        (_, Err(err)) => pulse.failed.push(FailedCall::new(
            "Filecoin.WalletBalance",
            err,
            &[
                "vital.wallet",
                "vital.wallet_balance_atto",
                "vital.wallet_balance_fil",
            ],
        )),
        _ => {}
    }
    // Lotus has no storage or quota figures: those stay unknown (null).
    Ok(pulse)
}

/// What `/health/livez` said.
enum Liveness {
    Live,
    /// 404: nodes older than the health endpoints.
    NotOffered,
}

async fn livez(ctx: &ProbeContext, node: &Node) -> Result<Liveness, ProbeError> {
    // The health endpoints sit at the root of the API listener, beside /rpc/v1, and need no
    // token.
    let mut url = node.url.clone();
    url.set_path("/health/livez");
    url.set_query(None);
    url.set_fragment(None);
    let reply = ctx
        .http
        .send(ctx.http.client().get(url), cap::LIVEZ)
        .await?;
    match reply.status {
        200..=299 => Ok(Liveness::Live),
        404 => Ok(Liveness::NotOffered),
        _ => Err(reply.status_error("/health/livez")),
    }
}

async fn test(ctx: &ProbeContext, config: &Config, run: &mut TestRun) -> Result<(), ProbeError> {
    let node = Node::from_config(config)?;
    run.step("reachable: livez", livez(ctx, &node), |live| match live {
        Liveness::Live => "live".into(),
        Liveness::NotOffered => "no /health/livez (an older node): Filecoin.Version decides".into(),
    })
    .await?;
    run.step("reachable: Filecoin.Version", version(ctx, &node), |v| {
        let mut text = v
            .version
            .clone()
            .unwrap_or_else(|| "version not given".into());
        if let Some(api) = v.api_version_text() {
            text.push_str(&format!(", API {api}"));
        }
        if let Some(delay) = v.block_delay {
            text.push_str(&format!(", block delay {delay} s"));
        }
        text
    })
    .await?;
    run.step("read: Filecoin.ChainHead", chain_head(ctx, &node), |head| {
        let height = head
            .height
            .map_or_else(|| "height not given".into(), |h| format!("height {h}"));
        match head.lag_secs() {
            Some(lag) => format!("{height}, head {} old", lag_text(lag)),
            None => height,
        }
    })
    .await?;
    if let Some(wallet) = field(config, "wallet") {
        run.step(
            "read: wallet balance",
            balance(ctx, &node, wallet),
            |atto| format!("{} FIL in {wallet}", fil_text(*atto)),
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances_are_exact() {
        assert_eq!(fil_text(0), "0");
        assert_eq!(fil_text(1), "0.000000000000000001");
        assert_eq!(fil_text(1_500_000_000_000_000_000), "1.5");
        assert_eq!(fil_text(2 * ATTO_PER_FIL), "2");
        let big = parse_atto("123456789012345678901234567890").unwrap();
        assert_eq!(big.to_string(), "123456789012345678901234567890");
        assert_eq!(fil_text(big), "123456789012.34567890123456789");
        assert_eq!(
            fil_text(u128::MAX),
            "340282366920938463463.374607431768211455"
        );
    }

    #[test]
    fn odd_balances_are_unparsable() {
        for bad in ["", "-5", "1.5", "1e30", " 12", "12a", "+1"] {
            assert!(parse_atto(bad).is_err(), "{bad:?}");
        }
        // One more than u128::MAX.
        assert!(parse_atto("340282366920938463463374607431768211456").is_err());
    }

    #[test]
    fn api_version_is_unpacked() {
        let v: Version = serde_json::from_value(json!({"APIVersion": 131840})).unwrap();
        assert_eq!(v.api_version_text().as_deref(), Some("2.3.0"));
    }
}
