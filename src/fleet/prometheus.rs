//! The little of Prometheus' HTTP API the fleet view reads: instant queries, range queries and
//! the active targets (each scrape's health and last error). Values arrive as strings
//! (`"12"`, `"NaN"`, `"+Inf"`); a sample that is not a finite number is dropped, as an unknown
//! figure is absent, never 0.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::probe::http::{Cap, Http, Reply};
use crate::probe::ProbeError;

/// An answer larger than this is refused (a fleet of 100 hosts with 100 backends each is a few
/// megabytes).
const MAX_ANSWER: Cap = Cap::mib("the Prometheus API", 64);

/// Why Prometheus could not be read, in words for the screen.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FleetError {
    #[error("the fleet URL '{url}' is not usable: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("Prometheus at {url} did not answer: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("Prometheus at {url} refused the query ({error_type}): {error}")]
    Query {
        url: String,
        error_type: String,
        error: String,
    },
    #[error("Prometheus at {url} answered something unreadable: {detail}")]
    Unparsable { url: String, detail: String },
}

/// One series' labels and value at the query's time.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.get(name).map(String::as_str)
    }
}

/// One series over a range: (unix seconds, value), oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeSeries {
    pub labels: BTreeMap<String, String>,
    pub values: Vec<(f64, f64)>,
}

/// One scrape target as Prometheus last saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub instance: String,
    pub job: String,
    /// `up`, `down` or `unknown` (not scraped yet).
    pub health: String,
    /// Prometheus' reason for the last failed scrape (empty when it succeeded).
    pub last_error: String,
    /// RFC 3339 time of the last scrape.
    pub last_scrape: Option<String>,
}

impl Target {
    pub fn is_up(&self) -> bool {
        self.health == "up"
    }
}

/// A Prometheus server: its base URL (credentials in the URL are sent as basic auth and never
/// shown) and the shared HTTP client.
#[derive(Clone, Debug)]
pub struct Prometheus {
    base: url::Url,
    shown: String,
    http: Http,
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    data: Value,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

/// The URL as it may be shown: without user, password, query or fragment.
pub fn shown_url(url: &url::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string().trim_end_matches('/').to_string()
}

fn number(text: &Value) -> Option<f64> {
    let value = match text {
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        Value::Number(n) => n.as_f64()?,
        _ => return None,
    };
    value.is_finite().then_some(value)
}

fn labels(metric: &Value) -> BTreeMap<String, String> {
    metric
        .as_object()
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// A `[ts, "value"]` pair.
fn pair(value: &Value) -> Option<(f64, f64)> {
    let pair = value.as_array()?;
    let at = pair.first().and_then(Value::as_f64)?;
    Some((at, number(pair.get(1)?)?))
}

impl Prometheus {
    pub fn new(url: &str, timeout: Duration) -> Result<Prometheus, FleetError> {
        let bad = |reason: String| FleetError::BadUrl {
            url: crate::text::sanitize(url, 200),
            reason,
        };
        let mut base = url::Url::parse(url.trim()).map_err(|e| bad(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad("not an http or https URL".into()));
        }
        if base.host_str().is_none_or(str::is_empty) {
            return Err(bad("it has no host".into()));
        }
        // `http://prom:9090/prefix` and `.../prefix/` both mean the same base.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = Http::new(timeout).map_err(|e| bad(e.to_string()))?;
        let shown = shown_url(&base);
        Ok(Prometheus { base, shown, http })
    }

    /// The URL as shown on screen (no credentials).
    pub fn url(&self) -> &str {
        &self.shown
    }

    fn endpoint(&self, path: &str) -> url::Url {
        // `path` is one of ours, relative: joining cannot fail for an http base.
        self.base.join(path).unwrap_or_else(|_| self.base.clone())
    }

    fn unreachable(&self, err: &ProbeError) -> FleetError {
        FleetError::Unreachable {
            url: self.shown.clone(),
            reason: err.to_string(),
        }
    }

    fn unparsable(&self, detail: impl Into<String>) -> FleetError {
        FleetError::Unparsable {
            url: self.shown.clone(),
            detail: detail.into(),
        }
    }

    async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, FleetError> {
        let mut url = self.endpoint(path);
        let (user, password) = (
            url.username().to_string(),
            url.password().map(str::to_string),
        );
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let mut request = self.http.client().get(url).query(query);
        if !user.is_empty() || password.is_some() {
            request = request.basic_auth(user, password);
        }
        let reply: Reply = self
            .http
            .send(request, MAX_ANSWER)
            .await
            .map_err(|e| self.unreachable(&e))?;
        // Prometheus answers errors (400, 422, 503) with the same envelope: read it first.
        let envelope: Envelope = match serde_json::from_slice(&reply.body) {
            Ok(envelope) => envelope,
            Err(_) if !reply.is_success() => {
                return Err(FleetError::Unreachable {
                    url: self.shown.clone(),
                    reason: reply.status_error(path).to_string(),
                })
            }
            Err(e) => return Err(self.unparsable(format!("{path}: {e}"))),
        };
        if envelope.status != "success" {
            return Err(FleetError::Query {
                url: self.shown.clone(),
                error_type: envelope.error_type.unwrap_or_else(|| "error".into()),
                error: crate::text::sanitize(&envelope.error.unwrap_or_default(), 500),
            });
        }
        Ok(envelope.data)
    }

    /// An instant query; the answer must be a vector.
    pub async fn query(&self, expr: &str) -> Result<Vec<Sample>, FleetError> {
        let data = self
            .get("api/v1/query", &[("query", expr.to_string())])
            .await?;
        let result = data
            .get("result")
            .and_then(Value::as_array)
            .ok_or_else(|| self.unparsable("query: no result"))?;
        Ok(result
            .iter()
            .filter_map(|series| {
                let (_, value) = pair(series.get("value")?)?;
                Some(Sample {
                    labels: labels(series.get("metric")?),
                    value,
                })
            })
            .collect())
    }

    /// A range query from `start` to `end` (unix seconds) every `step` seconds.
    pub async fn query_range(
        &self,
        expr: &str,
        start: u64,
        end: u64,
        step: u64,
    ) -> Result<Vec<RangeSeries>, FleetError> {
        let data = self
            .get(
                "api/v1/query_range",
                &[
                    ("query", expr.to_string()),
                    ("start", start.to_string()),
                    ("end", end.to_string()),
                    ("step", step.max(1).to_string()),
                ],
            )
            .await?;
        let result = data
            .get("result")
            .and_then(Value::as_array)
            .ok_or_else(|| self.unparsable("query_range: no result"))?;
        Ok(result
            .iter()
            .filter_map(|series| {
                let values = series.get("values")?.as_array()?;
                Some(RangeSeries {
                    labels: labels(series.get("metric")?),
                    values: values.iter().filter_map(pair).collect(),
                })
            })
            .collect())
    }

    /// The active scrape targets.
    pub async fn targets(&self) -> Result<Vec<Target>, FleetError> {
        let data = self
            .get("api/v1/targets", &[("state", "active".to_string())])
            .await?;
        let active = data
            .get("activeTargets")
            .and_then(Value::as_array)
            .ok_or_else(|| self.unparsable("targets: no activeTargets"))?;
        let text = |v: &Value, key: &str| {
            v.get(key)
                .and_then(Value::as_str)
                .map(|s| crate::text::sanitize(s, 300))
        };
        Ok(active
            .iter()
            .filter_map(|target| {
                let labels = target.get("labels")?;
                Some(Target {
                    instance: text(labels, "instance")?,
                    job: text(labels, "job").unwrap_or_default(),
                    health: text(target, "health").unwrap_or_else(|| "unknown".into()),
                    last_error: text(target, "lastError").unwrap_or_default(),
                    last_scrape: text(target, "lastScrape"),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_read_as_prometheus_writes_them() {
        assert_eq!(number(&json!("12")), Some(12.0));
        assert_eq!(number(&json!("1.5e3")), Some(1500.0));
        assert_eq!(number(&json!("NaN")), None);
        assert_eq!(number(&json!("+Inf")), None);
        assert_eq!(pair(&json!([1700000000.5, "3"])), Some((1700000000.5, 3.0)));
        assert_eq!(pair(&json!([1700000000.5])), None);
    }

    #[test]
    fn a_url_is_shown_without_its_credentials() {
        let prom = Prometheus::new(
            "http://admin:hunter2@prom.example:9090/base?x=1",
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(prom.url(), "http://prom.example:9090/base");
        assert!(!prom.url().contains("hunter2"));
        assert_eq!(
            prom.endpoint("api/v1/query").path(),
            "/base/api/v1/query",
            "a path prefix is kept"
        );
    }

    #[test]
    fn bad_urls_say_why() {
        let err = Prometheus::new("ftp://x", Duration::from_secs(1)).unwrap_err();
        assert!(
            err.to_string().contains("not an http or https URL"),
            "{err}"
        );
        let err = Prometheus::new("not a url", Duration::from_secs(1)).unwrap_err();
        assert!(matches!(err, FleetError::BadUrl { .. }));
    }
}
