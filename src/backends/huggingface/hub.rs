//! The Hub's API: repository info (one request, with only the fields we show), the account,
//! and the recursive tree listing paginated by `Link: <...>; rel="next"`.

use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

use super::check_repo_id;
use crate::backends::secret;
use crate::probe::num::opt_u64;
use crate::probe::{clean, field, required, Cap, ProbeContext, ProbeError, Reply};

/// What each Hub call may answer.
mod cap {
    use crate::probe::Cap;

    /// Only the fields asked for with `expand`: a few hundred bytes.
    pub const INFO: Cap = Cap::kib("the Hub's repository info", 64);
    /// The account with its organizations (~500 bytes each) and the token's scopes.
    pub const WHOAMI: Cap = Cap::kib("the Hub's whoami-v2", 128);
    /// A page of the recursive tree holds up to 1,000 entries of ~250 bytes (type, oid, size,
    /// LFS oid and size) plus the path: 2 MiB leaves ~1,800 bytes for each path.
    pub const TREE_PAGE: Cap = Cap::mib("the Hub's tree page", 2);
}

/// Where the repository lives and how to reach it.
pub struct Repo {
    pub endpoint: Url,
    /// `models`, `datasets` or `spaces`.
    pub kind: &'static str,
    pub id: String,
    pub revision: String,
    pub token: Option<String>,
}

impl Repo {
    pub fn from_config(config: &Map<String, Value>) -> Result<Repo, ProbeError> {
        let id = required(config, "repo_id")?;
        check_repo_id(id).map_err(|reason| ProbeError::Config(clean(&reason)))?;
        let kind = match field(config, "repo_type").unwrap_or("model") {
            "model" => "models",
            "dataset" => "datasets",
            "space" => "spaces",
            other => {
                return Err(ProbeError::Config(format!(
                    "field 'repo_type': '{}' is not model, dataset or space",
                    clean(other)
                )))
            }
        };
        let revision = field(config, "revision").unwrap_or("main");
        // `.` and `..` would be dropped as path segments and silently measure something else.
        if matches!(revision, "." | "..") {
            return Err(ProbeError::Config(format!(
                "field 'revision': '{revision}' is not a branch, tag or commit"
            )));
        }
        let endpoint_text = field(config, "endpoint").unwrap_or("https://huggingface.co");
        let endpoint = Url::parse(endpoint_text)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && !u.cannot_be_a_base())
            .ok_or_else(|| {
                ProbeError::Config(format!(
                    "field 'endpoint': '{}' is not an http(s) URL",
                    clean(endpoint_text)
                ))
            })?;
        Ok(Repo {
            endpoint,
            kind,
            id: id.to_string(),
            revision: revision.to_string(),
            token: secret::field(config, "token")?,
        })
    }

    /// `endpoint/api/<segments>`; each segment is percent-encoded on its own, so a '/' inside
    /// one (a revision such as `refs/pr/1`) becomes %2F instead of a path separator.
    fn api_url<'a>(&self, segments: impl IntoIterator<Item = &'a str>) -> Url {
        let mut url = self.endpoint.clone();
        url.set_query(None);
        url.set_fragment(None);
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("api").extend(segments);
        }
        url
    }

    /// `api/{kind}/{owner}/{name}` followed by `tail`: the repo id's slash stays a separator.
    fn repo_url<'a>(&'a self, tail: &[&'a str]) -> Url {
        let segments = std::iter::once(self.kind)
            .chain(self.id.split('/'))
            .chain(tail.iter().copied());
        self.api_url(segments)
    }

    pub fn named(&self) -> String {
        format!("repository '{}'", self.id)
    }

    async fn get(
        &self,
        ctx: &ProbeContext,
        url: Url,
        what: &str,
        cap: Cap,
    ) -> Result<Reply, ProbeError> {
        let mut request = ctx.http.client().get(url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let reply = ctx.http.send(request, cap).await?;
        if reply.is_success() {
            Ok(reply)
        } else {
            Err(self.error(&reply, what))
        }
    }

    /// The Hub names its errors in `X-Error-Code`; the status alone is ambiguous (an anonymous
    /// request for a private or missing repository gets 401 RepoNotFound, not 404).
    fn error(&self, reply: &Reply, what: &str) -> ProbeError {
        let header = |name: &str| {
            reply
                .headers
                .get(name)
                .map(|v| clean(&String::from_utf8_lossy(v.as_bytes())))
                .unwrap_or_default()
        };
        let mut detail = reply.detail();
        if detail.is_empty() {
            detail = header("x-error-message");
        }
        match header("x-error-code").as_str() {
            "RepoNotFound" => {
                if self.token.is_none() && reply.status == 401 {
                    detail = clean(&format!("{detail} (a private repository needs a token)"));
                }
                ProbeError::NotFound {
                    what: clean(&self.named()),
                    detail,
                }
            }
            "RevisionNotFound" => ProbeError::NotFound {
                what: clean(&format!("revision '{}' of {}", self.revision, self.named())),
                detail,
            },
            "GatedRepo" => ProbeError::Unauthorized {
                status: reply.status,
                detail,
            },
            _ => reply.status_error(what),
        }
    }
}

/// `GET /api/whoami-v2`; only the account name is shown.
#[derive(Deserialize)]
pub struct WhoAmI {
    pub name: Option<String>,
}

pub async fn whoami(ctx: &ProbeContext, repo: &Repo) -> Result<WhoAmI, ProbeError> {
    let url = repo.api_url(["whoami-v2"]);
    repo.get(ctx, url, "whoami", cap::WHOAMI)
        .await?
        .json("whoami-v2")
}

/// The repository's info, with only the fields we show (`expand` limits the answer to them).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    #[serde(default, deserialize_with = "opt_u64")]
    pub used_storage: Option<u64>,
    pub private: Option<bool>,
    /// `false`, or how access is granted (`"auto"`, `"manual"`).
    pub gated: Option<Value>,
    pub sha: Option<String>,
    pub last_modified: Option<String>,
}

pub async fn info(ctx: &ProbeContext, repo: &Repo) -> Result<Info, ProbeError> {
    // Info about another revision than main lives under /revision/ (its sha is that revision's).
    let mut url = if repo.revision == "main" {
        repo.repo_url(&[])
    } else {
        repo.repo_url(&["revision", &repo.revision])
    };
    {
        let mut query = url.query_pairs_mut();
        // Spaces cannot be gated and the Hub rejects an expand key a kind does not have.
        let gated: &[&str] = if repo.kind == "spaces" {
            &[]
        } else {
            &["gated"]
        };
        for key in ["usedStorage", "private", "sha", "lastModified"]
            .iter()
            .chain(gated)
        {
            query.append_pair("expand", key);
        }
    }
    repo.get(ctx, url, &repo.named(), cap::INFO)
        .await?
        .json("the repository info")
}

/// One entry of a tree listing; `path` and `oid` are not needed and are skipped unread.
#[derive(Deserialize)]
pub struct Entry {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, deserialize_with = "opt_u64")]
    pub size: Option<u64>,
    pub lfs: Option<Lfs>,
}

#[derive(Deserialize)]
pub struct Lfs {
    #[serde(default, deserialize_with = "opt_u64")]
    pub size: Option<u64>,
}

/// One page of the tree and the address of the next one.
pub struct Page {
    pub entries: Vec<Entry>,
    pub next: Option<Url>,
}

pub async fn tree_page(ctx: &ProbeContext, repo: &Repo, url: Url) -> Result<Page, ProbeError> {
    let reply = repo
        .get(
            ctx,
            url.clone(),
            &format!("revision '{}'", repo.revision),
            cap::TREE_PAGE,
        )
        .await?;
    let next = match next_link(&reply) {
        Some(link) => {
            let next = url
                .join(&link)
                .map_err(|e| ProbeError::unparsable("the tree's Link header", e))?;
            // The token goes with every page: never to a host the user did not configure.
            if next.origin() != repo.endpoint.origin() {
                return Err(ProbeError::Other(format!(
                    "the tree's next page is on another host ({}); not followed",
                    clean(next.host_str().unwrap_or("?"))
                )));
            }
            Some(next)
        }
        None => None,
    };
    Ok(Page {
        entries: reply.json("the tree listing")?,
        next,
    })
}

pub fn first_tree_url(repo: &Repo) -> Url {
    let mut url = repo.repo_url(&["tree", &repo.revision]);
    url.query_pairs_mut().append_pair("recursive", "true");
    url
}

/// The `rel="next"` target of an RFC 8288 `Link` header (`<url>; rel="next", <url>; rel=...`).
fn next_link(reply: &Reply) -> Option<String> {
    for value in reply.headers.get_all("link") {
        let text = String::from_utf8_lossy(value.as_bytes());
        let mut rest = text.as_ref();
        while let Some(open) = rest.find('<') {
            let after = &rest[open + 1..];
            let close = after.find('>')?;
            let target = &after[..close];
            let params_end = after[close..].find('<').map_or(after.len(), |i| close + i);
            let params = &after[close + 1..params_end];
            let is_next = params.split(';').any(|param| {
                let param = param.trim().trim_end_matches(',').trim();
                param.strip_prefix("rel=").is_some_and(|rel| {
                    rel.trim_matches('"')
                        .split_ascii_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
                })
            });
            if is_next {
                return Some(target.trim().to_string());
            }
            rest = &after[params_end..];
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply_with_link(link: &str) -> Reply {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("link", link.parse().unwrap());
        Reply {
            status: 200,
            headers,
            body: Default::default(),
            trailers: None,
        }
    }

    #[test]
    fn finds_the_next_link_among_others() {
        let link = r#"<https://h/a?cursor=x,y>; rel="prev", <https://h/b?cursor=z>; rel="next""#;
        assert_eq!(
            next_link(&reply_with_link(link)).as_deref(),
            Some("https://h/b?cursor=z")
        );
        assert_eq!(
            next_link(&reply_with_link("<https://h/c>; rel=next")).as_deref(),
            Some("https://h/c")
        );
        assert_eq!(
            next_link(&reply_with_link(r#"<https://h/d>; rel="prev""#)),
            None
        );
    }

    #[test]
    fn revision_slashes_are_encoded_and_repo_slash_is_kept() {
        let config = json!({"repo_id": "acme/widget", "repo_type": "dataset",
                            "revision": "refs/pr/1", "endpoint": "http://h:1/mirror/"});
        let repo = Repo::from_config(config.as_object().unwrap()).unwrap();
        assert_eq!(
            first_tree_url(&repo).as_str(),
            "http://h:1/mirror/api/datasets/acme/widget/tree/refs%2Fpr%2F1?recursive=true"
        );
    }
}
