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

pub(crate) fn check_repo_id(repo_id: &str) -> Result<(), String> {
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

mod hub;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use url::Url;

use self::hub::{first_tree_url, info, tree_page, whoami, Repo};
use super::kind::Config;
use crate::probe::{clean, Budget, ProbeContext, ProbeError, TestRun};
use crate::stats::{FailedCall, Figures, InventoryRun, Measurement, Storage};

/// The `huggingface` kind.
pub struct HuggingFace;

// Pulse: The repository info, with only the fields we show.
super::kind::backend_kind!(
    HuggingFace,
    "huggingface",
    pulse_requests: 1,
    inventory: inventory,
);

/// Where the backend lives, for lists.
fn target(config: &Config) -> String {
    let get = |name| crate::probe::field(config, name).unwrap_or("?");
    format!("{} {}", get("repo_type"), get("repo_id"))
}

/// One request: the repository's info is both the liveness call and its usage (`usedStorage`).
async fn pulse(ctx: &ProbeContext, config: &Map<String, Value>) -> Result<Measurement, ProbeError> {
    let repo = Repo::from_config(config)?;
    let info = info(ctx, &repo).await?;
    let mut pulse = Measurement::default();
    let vital = &mut pulse.vital;
    if let Some(private) = info.private {
        vital.insert("private".into(), json!(private));
    }
    match info.gated {
        Some(Value::Bool(gated)) => {
            vital.insert("gated".into(), json!(gated));
        }
        Some(Value::String(mode)) => {
            vital.insert("gated".into(), json!(clean(&mode)));
        }
        _ => {}
    }
    if let Some(sha) = info.sha {
        vital.insert("sha".into(), json!(clean(&sha)));
    }
    if let Some(modified) = info.last_modified {
        vital.insert("last_modified".into(), json!(clean(&modified)));
    }
    pulse.storage = Storage::new(None, info.used_storage, None);
    pulse.storage.identity = identity(config);
    Ok(pulse)
}

/// The repository the figures are of: two backends of one repository count it once.
fn identity(config: &Config) -> Option<String> {
    let endpoint = crate::probe::field(config, "endpoint").unwrap_or("https://huggingface.co");
    let kind = crate::probe::field(config, "repo_type").unwrap_or("model");
    let repo = crate::probe::field(config, "repo_id")?;
    let address = super::host_port(endpoint)?;
    Some(format!("huggingface:{address}/{kind}/{repo}"))
}

/// Where a tree listing stopped: the next page's address and the totals so far.
#[derive(Debug, Default, Serialize, Deserialize)]
struct TreeResume {
    next: String,
    count: u64,
    bytes: u64,
    largest: Option<u64>,
    /// A file's size was missing: the bytes are a lower bound.
    sizes_missing: bool,
}

/// The account (whoami is strictly rate limited: once an inventory, not every poll) and the
/// files of the tree, page by page (one page in memory at a time), going on where the last
/// run stopped.
async fn inventory(
    ctx: &ProbeContext,
    config: &Map<String, Value>,
    resume: Option<Value>,
    budget: &Budget,
) -> Result<InventoryRun, ProbeError> {
    let repo = Repo::from_config(config)?;
    let mut run = InventoryRun::default();
    let mut figures = Figures::default();
    if repo.token.is_some() && budget.take_request() {
        match whoami(ctx, &repo).await {
            Ok(me) => {
                if let Some(name) = me.name {
                    figures.vital.insert("account".into(), json!(clean(&name)));
                }
            }
            Err(err) => run
                .failed
                .push(FailedCall::new("whoami", err, &["vital.account"])),
        }
    }
    let mut state = resume
        .and_then(|v| serde_json::from_value::<TreeResume>(v).ok())
        .unwrap_or_default();
    let mut url = if state.next.is_empty() {
        Some(first_tree_url(&repo))
    } else {
        // The token goes with every page: a kept address must still be on the configured host.
        Url::parse(&state.next)
            .ok()
            .filter(|u| u.origin() == repo.endpoint.origin())
            .or_else(|| Some(first_tree_url(&repo)))
    };
    let mut pages = 0u32;
    while let Some(current) = url.take() {
        if !budget.take_request() {
            url = Some(current);
            break;
        }
        let page = match tree_page(ctx, &repo, current.clone()).await {
            Ok(page) => page,
            // Nothing counted in this run: the run failed (the kept progress stays).
            Err(err) if pages == 0 => return Err(err),
            // Pages counted are kept; the next run goes on from the page that failed.
            Err(err) => {
                run.failed
                    .push(FailedCall::new("tree page", err, &["files"]));
                url = Some(current);
                break;
            }
        };
        pages += 1;
        for entry in page.entries.iter().filter(|e| e.kind == "file") {
            state.count += 1;
            // An LFS file's `size` may be its pointer's; `lfs.size` is the content's.
            match entry.lfs.as_ref().and_then(|l| l.size).or(entry.size) {
                Some(size) => {
                    state.bytes = state.bytes.saturating_add(size);
                    state.largest = Some(state.largest.map_or(size, |l| l.max(size)));
                }
                // Counted, but its bytes are unknown: the sum is a lower bound.
                None => state.sizes_missing = true,
            }
        }
        url = page.next;
    }
    let more = url.is_some();
    figures.files.count = Some(state.count);
    figures.files.bytes = Some(state.bytes);
    figures.files.largest = state.largest;
    figures.files.partial = more || state.sizes_missing;
    run.complete = !more && !state.sizes_missing;
    run.resume = url.and_then(|next| {
        state.next = next.to_string();
        serde_json::to_value(&state).ok()
    });
    run.requests = budget.requests();
    run.figures = figures;
    Ok(run)
}

async fn test(ctx: &ProbeContext, config: &Config, run: &mut TestRun) -> Result<(), ProbeError> {
    let repo = Repo::from_config(config)?;
    if repo.token.is_some() {
        run.step("authenticated: whoami", whoami(ctx, &repo), |me| {
            format!("as {}", me.name.as_deref().unwrap_or("(no name given)"))
        })
        .await?;
    } else {
        run.step("anonymous: no token set", async { Ok(()) }, |_| {
            "public repositories only".to_string()
        })
        .await?;
    }
    run.step("reachable: repository info", info(ctx, &repo), |info| {
        let mut text = repo.id.clone();
        if let Some(sha) = &info.sha {
            text.push_str(&format!(" at {}", sha.chars().take(12).collect::<String>()));
        }
        if let Some(used) = info.used_storage {
            text.push_str(&format!(", {} stored", crate::text::bytes(used)));
        }
        text
    })
    .await?;
    run.step(
        "read: first tree page",
        tree_page(ctx, &repo, first_tree_url(&repo)),
        |page| {
            let files = page.entries.iter().filter(|e| e.kind == "file").count();
            let more = if page.next.is_some() {
                "; more pages follow"
            } else {
                ""
            };
            format!("{} entries, {files} files{more}", page.entries.len())
        },
    )
    .await?;
    Ok(())
}
