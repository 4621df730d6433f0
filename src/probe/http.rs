//! The one HTTP client every probe uses: connect and total timeouts, a cap on what each call
//! will read, bounded redirects, a User-Agent, no `Origin` header (Kubo refuses requests that
//! carry one), and access to HTTP trailers (Kubo and Cluster report stream errors in
//! `X-Stream-Error`). It never retries: the monitor decides that.
//!
//! Memory: a backend that answers with an oversized or endless body costs at most its call's
//! cap. A `Content-Length` over the cap is refused before the body is read; otherwise reading
//! stops at the first frame that would pass the cap, and a buffer never grows past it (it
//! doubles up to the cap, never from a length the server gave).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Body;
use reqwest::header::{HeaderMap, CONTENT_LENGTH, RETRY_AFTER};

use super::error::{clean, ProbeError};

pub const USER_AGENT: &str = concat!("ipfs-kit-tui/", env!("CARGO_PKG_VERSION"));
/// The trailer in which Kubo and IPFS Cluster report an error after a 200 has begun.
pub const STREAM_ERROR_TRAILER: &str = "x-stream-error";
/// How much of a non-success answer is read: the server's own words about the error are in its
/// first lines (`Reply::detail` shows at most 4,096 characters), and the status says the rest.
pub const ERROR_BODY_CAP: usize = 4 * 1024;

/// The most one call may read: its whole answer (`Http::send`) or each line of its stream
/// (`Http::send_lines`). Sized per call to what the real answer can be, with generous headroom;
/// each kind lists its calls' caps in one place. Over it, the call fails with
/// `ProbeError::TooLarge` naming the call and the cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cap {
    /// The call as a person knows it (`Kubo version`, `Cluster /peers`).
    pub call: &'static str,
    pub bytes: u64,
}

impl Cap {
    pub const fn kib(call: &'static str, kib: u64) -> Cap {
        Cap {
            call,
            bytes: kib * 1024,
        }
    }

    pub const fn mib(call: &'static str, mib: u64) -> Cap {
        Cap {
            call,
            bytes: mib * 1024 * 1024,
        }
    }

    fn limit(self) -> usize {
        usize::try_from(self.bytes).unwrap_or(usize::MAX)
    }

    /// The error for an answer (or, `per_line`, one line of a stream) over this cap.
    pub fn exceeded(self, per_line: bool) -> ProbeError {
        ProbeError::TooLarge {
            call: self.call.to_string(),
            limit_bytes: self.bytes,
            per_line,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    timeout: Duration,
    /// How long a connection may stay silent (connecting, or between two reads) before the
    /// request is given up: the whole timeout for ordinary requests, less for long streams.
    stall: Duration,
}

/// A whole answer, read within its call's cap (a non-success answer: its first
/// `ERROR_BODY_CAP` bytes).
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub trailers: Option<HeaderMap>,
}

/// A response whose head has arrived and whose body is still to be read.
struct Started {
    status: u16,
    headers: HeaderMap,
    body: reqwest::Body,
    url: String,
    /// A HEAD request: its `Content-Length` describes a body that is not sent.
    head: bool,
}

impl Started {
    fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Refuses at once an answer whose `Content-Length` is over the cap: none of it is read.
    fn check_length(&self, cap: Cap) -> Result<(), ProbeError> {
        let length = self
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        match length {
            Some(length) if !self.head && length > cap.bytes => Err(cap.exceeded(false)),
            _ => Ok(()),
        }
    }

    /// The status, headers and the start of the body of a non-success answer.
    async fn error_reply(mut self) -> Reply {
        let body = read_error_body(&mut self.body).await;
        Reply {
            status: self.status,
            headers: self.headers,
            body,
            trailers: None,
        }
    }
}

impl Http {
    pub fn new(timeout: Duration) -> Result<Http, ProbeError> {
        Http::for_streams(timeout, timeout)
    }

    /// A client for answers that may stream for up to `total` (an inventory's listing) but
    /// that give up once the server stays silent for `stall` (the poll's own timeout).
    pub fn for_streams(total: Duration, stall: Duration) -> Result<Http, ProbeError> {
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
        })
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends and reads the whole answer (at most `cap`) and its trailers. A non-success status
    /// is a `Reply` too, with only the start of its body (`ERROR_BODY_CAP`).
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
        cap: Cap,
    ) -> Result<Reply, ProbeError> {
        self.bounded(async {
            let mut started = self.start(request).await?;
            if !started.is_success() {
                return Ok(started.error_reply().await);
            }
            started.check_length(cap)?;
            let url = &started.url;
            let (body, trailers) =
                read_whole(&mut started.body, cap, |e| map_reqwest(&e, self.stall, url)).await?;
            Ok(Reply {
                status: started.status,
                headers: started.headers,
                body,
                trailers,
            })
        })
        .await
    }

    /// Sends and hands the answer's bytes to `scan` as they arrive, keeping none of them: for an
    /// answer that is only counted, whose memory then does not grow with it. At most `cap` bytes
    /// are read. A success is a `Reply` with an empty body (`scan` saw it) and its trailers; a
    /// non-success status is a `Reply` with the start of its body, and `scan` sees none of it.
    pub async fn send_scanned(
        &self,
        request: reqwest::RequestBuilder,
        cap: Cap,
        scan: impl FnMut(&[u8]) -> Result<(), ProbeError>,
    ) -> Result<Reply, ProbeError> {
        self.bounded(async {
            let mut started = self.start(request).await?;
            if !started.is_success() {
                return Ok(started.error_reply().await);
            }
            started.check_length(cap)?;
            let url = &started.url;
            let trailers = scan_whole(
                &mut started.body,
                cap,
                |e| map_reqwest(&e, self.stall, url),
                scan,
            )
            .await?;
            Ok(Reply {
                status: started.status,
                headers: started.headers,
                body: Bytes::new(),
                trailers,
            })
        })
        .await
    }

    /// Sends and hands each line of a streamed answer (NDJSON) to `on_line` as it arrives, so a
    /// stream of any length is consumed in constant memory: no line may be longer than
    /// `line_cap`. A non-success status is returned as an error; so is an `X-Stream-Error`
    /// trailer. Returns the status (204 = empty stream).
    pub async fn send_lines(
        &self,
        request: reqwest::RequestBuilder,
        line_cap: Cap,
        on_line: impl FnMut(&[u8]) -> Result<(), ProbeError>,
    ) -> Result<u16, ProbeError> {
        self.bounded(async {
            let mut started = self.start(request).await?;
            if !started.is_success() {
                return Err(started.error_reply().await.status_error("resource"));
            }
            let url = &started.url;
            read_lines(
                &mut started.body,
                line_cap,
                |e| map_reqwest(&e, self.stall, url),
                on_line,
            )
            .await?;
            Ok(started.status)
        })
        .await
    }

    async fn start(&self, request: reqwest::RequestBuilder) -> Result<Started, ProbeError> {
        let request = request.build().map_err(|e| {
            ProbeError::Config(format!(
                "cannot build the request: {}",
                clean(&e.to_string())
            ))
        })?;
        let url = request.url().clone();
        let head = request.method() == reqwest::Method::HEAD;
        let response = self
            .client
            .execute(request)
            .await
            .map_err(|e| map_reqwest(&e, self.stall, url.as_str()))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = http::Response::from(response).into_body();
        Ok(Started {
            status,
            headers,
            body,
            url: url.to_string(),
            head,
        })
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

/// Appends `data` to `buf`, doubling its capacity as it grows but never past `limit` (what the
/// cap allows), so that a buffer is at most as large as its cap. The caller has checked that
/// the result fits.
fn push_within(buf: &mut Vec<u8>, data: &[u8], limit: usize) {
    let needed = buf.len() + data.len();
    if needed > buf.capacity() {
        let grown = buf.capacity().saturating_mul(2).min(limit).max(needed);
        buf.reserve_exact(grown - buf.len());
    }
    buf.extend_from_slice(data);
}

/// Reads a whole body within `cap`. The frame that would pass the cap is the last one pulled,
/// and it is not copied.
async fn read_whole<B>(
    body: &mut B,
    cap: Cap,
    map_err: impl Fn(B::Error) -> ProbeError,
) -> Result<(Bytes, Option<HeaderMap>), ProbeError>
where
    B: Body<Data = Bytes> + Unpin,
{
    let limit = cap.limit();
    let mut buf = Vec::new();
    let mut trailers = None;
    while let Some(frame) = body.frame().await {
        match frame.map_err(&map_err)?.into_data() {
            Ok(data) => {
                if data.len() > limit - buf.len() {
                    return Err(cap.exceeded(false));
                }
                push_within(&mut buf, &data, limit);
            }
            Err(frame) => {
                if let Ok(map) = frame.into_trailers() {
                    trailers = Some(map);
                }
            }
        }
    }
    Ok((Bytes::from(buf), trailers))
}

/// Hands a whole body to `scan` frame by frame, within `cap`; the frame that would pass the cap
/// is the last one pulled, and `scan` does not see it.
async fn scan_whole<B>(
    body: &mut B,
    cap: Cap,
    map_err: impl Fn(B::Error) -> ProbeError,
    mut scan: impl FnMut(&[u8]) -> Result<(), ProbeError>,
) -> Result<Option<HeaderMap>, ProbeError>
where
    B: Body<Data = Bytes> + Unpin,
{
    let mut left = cap.limit();
    let mut trailers = None;
    while let Some(frame) = body.frame().await {
        match frame.map_err(&map_err)?.into_data() {
            Ok(data) => {
                left = left
                    .checked_sub(data.len())
                    .ok_or_else(|| cap.exceeded(false))?;
                scan(&data)?;
            }
            Err(frame) => {
                if let Ok(map) = frame.into_trailers() {
                    trailers = Some(map);
                }
            }
        }
    }
    Ok(trailers)
}

/// Reads the start of a non-success answer's body, at most `ERROR_BODY_CAP` bytes, and stops
/// there: the rest is never read. A body that fails midway keeps what arrived.
async fn read_error_body<B>(body: &mut B) -> Bytes
where
    B: Body<Data = Bytes> + Unpin,
{
    let mut buf = Vec::new();
    while buf.len() < ERROR_BODY_CAP {
        let Some(Ok(frame)) = body.frame().await else {
            break;
        };
        if let Ok(data) = frame.into_data() {
            let room = ERROR_BODY_CAP - buf.len();
            buf.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    Bytes::from(buf)
}

/// Hands each line of a stream to `on_line`, then fails on an `X-Stream-Error` trailer. A line that arrives
/// whole in one frame is handed over from that frame; only a line split across frames is
/// gathered, and never past `line_cap`: a line longer than that fails as soon as it is.
async fn read_lines<B>(
    body: &mut B,
    line_cap: Cap,
    map_err: impl Fn(B::Error) -> ProbeError,
    mut on_line: impl FnMut(&[u8]) -> Result<(), ProbeError>,
) -> Result<(), ProbeError>
where
    B: Body<Data = Bytes> + Unpin,
{
    let limit = line_cap.limit();
    let mut emit = |line: &[u8]| {
        let line = trim_line(line);
        if line.is_empty() {
            Ok(())
        } else {
            on_line(line)
        }
    };
    let mut pending: Vec<u8> = Vec::new();
    let mut trailers = None;
    while let Some(frame) = body.frame().await {
        let data = match frame.map_err(&map_err)?.into_data() {
            Ok(data) => data,
            Err(frame) => {
                if let Ok(map) = frame.into_trailers() {
                    trailers = Some(map);
                }
                continue;
            }
        };
        let mut rest: &[u8] = &data;
        while let Some(end) = rest.iter().position(|b| *b == b'\n') {
            if end > limit - pending.len() {
                return Err(line_cap.exceeded(true));
            }
            if pending.is_empty() {
                emit(&rest[..end])?;
            } else {
                push_within(&mut pending, &rest[..end], limit);
                emit(&pending)?;
                pending.clear();
            }
            rest = &rest[end + 1..];
        }
        if rest.len() > limit - pending.len() {
            return Err(line_cap.exceeded(true));
        }
        push_within(&mut pending, rest, limit);
    }
    if let Some(message) = stream_error(trailers.as_ref()) {
        return Err(ProbeError::Stream { detail: message });
    }
    emit(&pending)
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

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::convert::Infallible;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use hyper::body::Frame;

    use super::*;

    const CAP: Cap = Cap::kib("the test call", 64);
    const FRAME: usize = 8 * 1024;

    /// A body that hands out `frames`, then `endless` (if set) up to 16 MiB, counting the bytes
    /// it was asked for: what the reader pulled off the connection. Its end, far past any cap
    /// here, makes a reader that does not stop fail its test rather than hang.
    struct Counted {
        frames: VecDeque<Bytes>,
        endless: Option<Bytes>,
        pulled: usize,
    }

    impl Counted {
        fn of(frames: &[&[u8]]) -> Counted {
            Counted {
                frames: frames.iter().map(|f| Bytes::copy_from_slice(f)).collect(),
                endless: None,
                pulled: 0,
            }
        }

        fn endless(frame: &[u8]) -> Counted {
            Counted {
                frames: VecDeque::new(),
                endless: Some(Bytes::copy_from_slice(frame)),
                pulled: 0,
            }
        }
    }

    impl Body for Counted {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            let this = self.get_mut();
            let more = this.pulled < 16 * 1024 * 1024;
            let next = this
                .frames
                .pop_front()
                .or_else(|| this.endless.clone().filter(|_| more));
            if let Some(data) = &next {
                this.pulled += data.len();
            }
            Poll::Ready(next.map(|data| Ok(Frame::data(data))))
        }
    }

    fn unreachable(never: Infallible) -> ProbeError {
        match never {}
    }

    async fn lines_of(body: &mut Counted, cap: Cap) -> Result<Vec<String>, ProbeError> {
        let mut lines = Vec::new();
        read_lines(body, cap, unreachable, |line| {
            lines.push(String::from_utf8_lossy(line).into_owned());
            Ok(())
        })
        .await?;
        Ok(lines)
    }

    #[tokio::test]
    async fn a_whole_answer_within_its_cap_is_read_whole() {
        let mut body = Counted::of(&[b"{\"Version\":", b"\"0.32.1\"}"]);
        let (data, trailers) = read_whole(&mut body, CAP, unreachable).await.unwrap();
        assert_eq!(&data[..], b"{\"Version\":\"0.32.1\"}");
        assert!(trailers.is_none());
        // Exactly the cap is within it.
        let exact = vec![b'x'; CAP.limit()];
        let mut body = Counted::of(&[&exact[..FRAME], &exact[FRAME..]]);
        let (data, _) = read_whole(&mut body, CAP, unreachable).await.unwrap();
        assert_eq!(data.len(), CAP.limit());
    }

    #[tokio::test]
    async fn an_endless_answer_stops_one_frame_past_its_cap() {
        let mut body = Counted::endless(&[b'x'; FRAME]);
        let err = read_whole(&mut body, CAP, unreachable).await.unwrap_err();
        assert_eq!(
            err,
            ProbeError::TooLarge {
                call: "the test call".into(),
                limit_bytes: 64 * 1024,
                per_line: false,
            }
        );
        assert_eq!(
            err.to_string(),
            "answer too large: the test call sent more than 64 KiB (its cap)"
        );
        assert!(body.pulled <= CAP.limit() + FRAME, "{}", body.pulled);
        // One byte over, in a single frame larger than the cap.
        let mut body = Counted::of(&[&vec![b'x'; CAP.limit() + 1]]);
        let err = read_whole(&mut body, CAP, unreachable).await.unwrap_err();
        assert_eq!(err.class(), "too_large");
    }

    #[tokio::test]
    async fn a_scanned_answer_is_seen_whole_within_its_cap_and_stops_past_it() {
        let mut seen = 0;
        let mut body = Counted::of(&[&[b'x'; FRAME], &[b'x'; FRAME]]);
        scan_whole(&mut body, CAP, unreachable, |piece| {
            seen += piece.len();
            Ok(())
        })
        .await
        .unwrap();
        assert_eq!(seen, 2 * FRAME);
        let mut seen = 0;
        let mut body = Counted::endless(&[b'x'; FRAME]);
        let err = scan_whole(&mut body, CAP, unreachable, |piece| {
            seen += piece.len();
            Ok(())
        })
        .await
        .unwrap_err();
        assert_eq!(err, CAP.exceeded(false));
        assert_eq!(seen, CAP.limit());
        assert!(body.pulled <= CAP.limit() + FRAME, "{}", body.pulled);
        // The scanner's own refusal stops the reading at once.
        let mut body = Counted::endless(&[b'x'; FRAME]);
        let err = scan_whole(&mut body, CAP, unreachable, |_| Err(ProbeError::Budget))
            .await
            .unwrap_err();
        assert_eq!(err, ProbeError::Budget);
        assert_eq!(body.pulled, FRAME);
    }

    #[test]
    fn a_buffer_never_grows_past_its_cap() {
        let limit = 100_000;
        let mut buf = Vec::new();
        for _ in 0..(limit / 3_000) {
            push_within(&mut buf, &[b'x'; 3_000], limit);
            assert!(buf.capacity() <= limit, "{}", buf.capacity());
        }
        let rest = vec![b'x'; limit - buf.len()];
        push_within(&mut buf, &rest, limit);
        assert_eq!(buf.len(), limit);
        assert!(buf.capacity() <= limit, "{}", buf.capacity());
    }

    #[tokio::test]
    async fn an_error_body_is_cut_after_its_first_kilobytes() {
        let mut body = Counted::endless(&[b'e'; 1000]);
        let data = read_error_body(&mut body).await;
        assert_eq!(data.len(), ERROR_BODY_CAP);
        assert!(body.pulled < ERROR_BODY_CAP + 1000, "{}", body.pulled);
        let mut body = Counted::of(&[b"{\"Message\":\"boom\"}"]);
        assert_eq!(
            &read_error_body(&mut body).await[..],
            b"{\"Message\":\"boom\"}"
        );
    }

    #[tokio::test]
    async fn lines_are_found_across_and_within_frames() {
        let mut body = Counted::of(&[b"{\"a\":1}\n{\"b\"", b":2", b"}\r\n\n{\"c\":3}\n{\"d\":4}"]);
        let lines = lines_of(&mut body, CAP).await.unwrap();
        assert_eq!(lines, ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}", "{\"d\":4}"]);
    }

    #[tokio::test]
    async fn a_line_at_its_cap_passes_and_one_byte_more_fails() {
        let cap = Cap::kib("the test stream", 1);
        let mut at_cap = vec![b'x'; 1024];
        at_cap.push(b'\n');
        // Whole in one frame, and split over two.
        for frames in [vec![&at_cap[..]], vec![&at_cap[..500], &at_cap[500..]]] {
            let mut body = Counted::of(&frames);
            assert_eq!(lines_of(&mut body, cap).await.unwrap().len(), 1);
        }
        let mut over = vec![b'x'; 1025];
        over.push(b'\n');
        for frames in [vec![&over[..]], vec![&over[..500], &over[500..]]] {
            let mut body = Counted::of(&frames);
            let err = lines_of(&mut body, cap).await.unwrap_err();
            assert_eq!(
                err.to_string(),
                "answer too large: a line of the test stream is longer than 1 KiB (its cap)"
            );
        }
        // The last line, without a newline, is held to the cap too.
        let mut body = Counted::of(&[b"{}\n", &over[..1025]]);
        assert_eq!(
            lines_of(&mut body, cap).await.unwrap_err().class(),
            "too_large"
        );
    }

    #[tokio::test]
    async fn an_endless_line_stops_one_frame_past_its_cap() {
        let mut body = Counted::of(&[b"{\"Cid\":\"a\"}\n{\"Cid\":\""]);
        body.endless = Some(Bytes::from(vec![b'x'; FRAME]));
        let mut seen = 0;
        let err = read_lines(&mut body, CAP, unreachable, |_| {
            seen += 1;
            Ok(())
        })
        .await
        .unwrap_err();
        assert_eq!(seen, 1);
        assert_eq!(
            err,
            ProbeError::TooLarge {
                call: "the test call".into(),
                limit_bytes: 64 * 1024,
                per_line: true,
            }
        );
        assert!(body.pulled <= CAP.limit() + 2 * FRAME, "{}", body.pulled);
    }

    #[tokio::test]
    async fn a_stream_of_short_lines_is_not_held_to_the_line_cap() {
        // Lines are handed on, not kept: 10,000 of them pass a cap of 1 KiB 300 times over
        // (an endless stream is bounded by the poll's time, not by a cap).
        let line = b"{\"Cid\":\"bafy\",\"Type\":\"recursive\"}\n";
        let frame: Vec<u8> = line
            .iter()
            .copied()
            .cycle()
            .take(line.len() * 200)
            .collect();
        let mut body = Counted::endless(&frame);
        let mut seen = 0u64;
        let err = read_lines(&mut body, Cap::kib("pins", 1), unreachable, |_| {
            seen += 1;
            if seen == 10_000 {
                return Err(ProbeError::Budget);
            }
            Ok(())
        })
        .await
        .unwrap_err();
        assert_eq!(err, ProbeError::Budget);
        assert!(seen * line.len() as u64 > 300 * 1024);
    }
}
