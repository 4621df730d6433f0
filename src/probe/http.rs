//! The one HTTP client every probe uses: connect and total timeouts, a cap on what it will read,
//! bounded redirects, a User-Agent, no `Origin` header (Kubo refuses requests that carry one),
//! and access to HTTP trailers (Kubo and Cluster report stream errors in `X-Stream-Error`).
//! It never retries: the monitor decides that.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use reqwest::header::{HeaderMap, CONTENT_LENGTH, RETRY_AFTER};

use super::error::{clean, ProbeError};

/// Default cap on one answer (or one line of a stream).
pub const DEFAULT_MAX_BODY: u64 = 16 * 1024 * 1024;
pub const USER_AGENT: &str = concat!("ipfs-kit-tui/", env!("CARGO_PKG_VERSION"));
/// The trailer in which Kubo and IPFS Cluster report an error after a 200 has begun.
pub const STREAM_ERROR_TRAILER: &str = "x-stream-error";

#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    timeout: Duration,
    /// How long a connection may stay silent (connecting, or between two reads) before the
    /// request is given up: the whole timeout for ordinary requests, less for long streams.
    stall: Duration,
    max_body: u64,
}

/// A whole answer, read within the cap.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub trailers: Option<HeaderMap>,
}

impl Http {
    pub fn new(timeout: Duration) -> Result<Http, ProbeError> {
        Http::with_limit(timeout, DEFAULT_MAX_BODY)
    }

    pub fn with_limit(timeout: Duration, max_body: u64) -> Result<Http, ProbeError> {
        Http::for_streams(timeout, timeout, max_body)
    }

    /// A client for answers that may stream for up to `total` (an inventory's listing) but
    /// that give up once the server stays silent for `stall` (the poll's own timeout).
    pub fn for_streams(
        total: Duration,
        stall: Duration,
        max_body: u64,
    ) -> Result<Http, ProbeError> {
        let stall = stall.min(total);
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(stall)
            .read_timeout(stall)
            .timeout(total)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(|e| ProbeError::Other(format!("cannot build the HTTP client: {e}")))?;
        Ok(Http {
            client,
            timeout: total,
            stall,
            max_body,
        })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn max_body(&self) -> u64 {
        self.max_body
    }

    /// Sends and reads the whole answer (at most `max_body` bytes) and its trailers.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<Reply, ProbeError> {
        self.bounded(async {
            let (status, headers, mut body, url) = self.start(request).await?;
            let mut buf = BytesMut::new();
            let mut trailers = None;
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| map_reqwest(&e, self.stall, &url))?;
                match frame.into_data() {
                    Ok(data) => {
                        if (buf.len() + data.len()) as u64 > self.max_body {
                            return Err(ProbeError::TooLarge {
                                limit_bytes: self.max_body,
                            });
                        }
                        buf.extend_from_slice(&data);
                    }
                    Err(frame) => {
                        if let Ok(map) = frame.into_trailers() {
                            trailers = Some(map);
                        }
                    }
                }
            }
            Ok(Reply {
                status,
                headers,
                body: buf.freeze(),
                trailers,
            })
        })
        .await
    }

    /// Sends and hands each line of a streamed answer (NDJSON) to `on_line` as it arrives, so a
    /// stream of any length is consumed in constant memory. A non-success status is returned as
    /// an error; so is an `X-Stream-Error` trailer. Returns the status (204 = empty stream).
    pub async fn send_lines(
        &self,
        request: reqwest::RequestBuilder,
        mut on_line: impl FnMut(&[u8]) -> Result<(), ProbeError>,
    ) -> Result<u16, ProbeError> {
        self.bounded(async {
            let (status, headers, mut body, url) = self.start(request).await?;
            if !(200..300).contains(&status) {
                // Read the (capped) error body for its message.
                let mut buf = BytesMut::new();
                while let Some(Ok(frame)) = body.frame().await {
                    if let Ok(data) = frame.into_data() {
                        if (buf.len() + data.len()) as u64 > self.max_body {
                            break;
                        }
                        buf.extend_from_slice(&data);
                    }
                }
                let reply = Reply {
                    status,
                    headers,
                    body: buf.freeze(),
                    trailers: None,
                };
                return Err(reply.status_error("resource"));
            }
            let mut pending = BytesMut::new();
            let mut trailers = None;
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| map_reqwest(&e, self.stall, &url))?;
                match frame.into_data() {
                    Ok(data) => {
                        pending.extend_from_slice(&data);
                        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                            let line = pending.split_to(end + 1);
                            let line = trim_line(&line);
                            if !line.is_empty() {
                                on_line(line)?;
                            }
                        }
                        if pending.len() as u64 > self.max_body {
                            return Err(ProbeError::TooLarge {
                                limit_bytes: self.max_body,
                            });
                        }
                    }
                    Err(frame) => {
                        if let Ok(map) = frame.into_trailers() {
                            trailers = Some(map);
                        }
                    }
                }
            }
            if let Some(message) = stream_error(trailers.as_ref()) {
                return Err(ProbeError::Stream { detail: message });
            }
            let rest = trim_line(&pending);
            if !rest.is_empty() {
                on_line(rest)?;
            }
            Ok(status)
        })
        .await
    }

    async fn start(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, HeaderMap, reqwest::Body, String), ProbeError> {
        let request = request.build().map_err(|e| {
            ProbeError::Config(format!(
                "cannot build the request: {}",
                clean(&e.to_string())
            ))
        })?;
        let url = request.url().clone();
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|e| map_reqwest(&e, self.stall, url.as_str()))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if let Some(length) = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
        {
            if length > self.max_body {
                return Err(ProbeError::TooLarge {
                    limit_bytes: self.max_body,
                });
            }
        }
        let body = http::Response::from(response).into_body();
        Ok((status, headers, body, url.to_string()))
    }

    /// reqwest's own timeout covers connect, headers and body; this outer bound is a second
    /// line in case a body stalls between frames in a way the inner timer misses.
    async fn bounded<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, ProbeError>>,
    ) -> Result<T, ProbeError> {
        match tokio::time::timeout(self.timeout + Duration::from_millis(500), work).await {
            Ok(result) => result,
            Err(_) => Err(ProbeError::Timeout {
                secs: self.timeout.as_secs().max(1),
            }),
        }
    }
}

fn trim_line(line: &[u8]) -> &[u8] {
    let mut line = line;
    while let [rest @ .., b'\n' | b'\r' | b' '] = line {
        line = rest;
    }
    line
}

/// The `X-Stream-Error` trailer, if the server set a non-empty one.
pub fn stream_error(trailers: Option<&HeaderMap>) -> Option<String> {
    let value = trailers?.get(STREAM_ERROR_TRAILER)?;
    let text = clean(&String::from_utf8_lossy(value.as_bytes()));
    (!text.is_empty()).then_some(text)
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Parses the body as JSON into `T`; `what` names the request in the error.
    pub fn json<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, ProbeError> {
        serde_json::from_slice(&self.body).map_err(|e| ProbeError::unparsable(what, e))
    }

    /// Ok when 2xx and no stream error; otherwise the error this status means. `what` names the
    /// thing a 404 means is missing (e.g. "bucket 'media'").
    pub fn success_or(self, what: &str) -> Result<Reply, ProbeError> {
        if !self.is_success() {
            return Err(self.status_error(what));
        }
        if let Some(detail) = stream_error(self.trailers.as_ref()) {
            return Err(ProbeError::Stream { detail });
        }
        Ok(self)
    }

    pub fn status_error(&self, what: &str) -> ProbeError {
        let detail = self.detail();
        match self.status {
            401 | 403 => ProbeError::Unauthorized {
                status: self.status,
                detail,
            },
            404 => ProbeError::NotFound {
                what: clean(what),
                detail,
            },
            429 => ProbeError::RateLimited {
                retry_after_secs: retry_after(&self.headers),
            },
            status => ProbeError::Http { status, detail },
        }
    }

    /// The server's own words about an error: the `Message`/`message`/`error` field of a JSON
    /// body, an XML `<Message>`, else the start of the text.
    pub fn detail(&self) -> String {
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(&self.body) {
            for key in ["Message", "message", "error", "Error"] {
                if let Some(serde_json::Value::String(text)) = map.get(key) {
                    return clean(text);
                }
            }
        }
        let text = String::from_utf8_lossy(&self.body[..self.body.len().min(4096)]);
        if let (Some(start), Some(end)) = (text.find("<Message>"), text.find("</Message>")) {
            if start + 9 <= end {
                return clean(&text[start + 9..end]);
            }
        }
        clean(&text)
    }
}

/// Seconds to wait from `Retry-After` (seconds form) or the IETF `RateLimit` header
/// (`"api";r=0;t=42`, as the Hugging Face Hub sends).
pub fn retry_after(headers: &HeaderMap) -> Option<u64> {
    if let Some(secs) = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(secs);
    }
    let value = headers.get("ratelimit")?.to_str().ok()?;
    value
        .split(';')
        .filter_map(|part| part.trim().strip_prefix("t="))
        .find_map(|t| t.trim().parse::<u64>().ok())
}

/// Turns a transport error into the reason a person can act on.
pub fn map_reqwest(err: &reqwest::Error, timeout: Duration, url: &str) -> ProbeError {
    let parsed = url::Url::parse(url).ok();
    let host = parsed
        .as_ref()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let addr = parsed
        .as_ref()
        .map(|u| format!("{host}:{}", u.port_or_known_default().unwrap_or(0)))
        .unwrap_or_default();
    if err.is_timeout() {
        return ProbeError::Timeout {
            secs: timeout.as_secs().max(1),
        };
    }
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(current) = source {
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return ProbeError::Refused { addr },
                std::io::ErrorKind::TimedOut => {
                    return ProbeError::Timeout {
                        secs: timeout.as_secs().max(1),
                    }
                }
                _ => {}
            }
        }
        chain.push(current.to_string());
        source = current.source();
    }
    let text = chain.join(": ");
    let lower = text.to_ascii_lowercase();
    if lower.contains("dns error") || lower.contains("failed to lookup address") {
        return ProbeError::Dns { host: clean(&host) };
    }
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        return ProbeError::Tls {
            detail: clean(chain.last().map(String::as_str).unwrap_or(&text)),
        };
    }
    if err.is_connect() {
        return ProbeError::Connect {
            addr,
            detail: clean(chain.last().map(String::as_str).unwrap_or(&text)),
        };
    }
    if err.is_redirect() {
        return ProbeError::Other(format!("too many redirects from {}", clean(url)));
    }
    ProbeError::Stream {
        detail: clean(&text),
    }
}
