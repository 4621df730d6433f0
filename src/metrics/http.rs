//! `GET /metrics` over HTTP/1 (hyper + hyper-util on tokio). Each scrape renders a snapshot the
//! caller reads from memory; nothing here touches the disk or the network beyond the connection.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{render, Format, Snapshot};

/// Connections served at once; more wait to be accepted (a scraper needs one or two).
const MAX_CONNECTIONS: usize = 64;

/// How long a client may take to send its request head (a connection that sends nothing is
/// closed rather than held).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The page at `/`.
const INDEX: &str = "ipfs-kit-tui exporter\n\nMetrics: /metrics (OpenMetrics when asked for, \
else the classic Prometheus text format)\n";

/// Serves until `shutdown` completes, then closes every connection and returns.
pub async fn serve<F>(listener: TcpListener, snapshot: F, shutdown: impl Future<Output = ()>)
where
    F: Fn() -> Snapshot + Send + Sync + 'static,
{
    let snapshot = Arc::new(snapshot);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else {
            break;
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        // Finished connections are reaped as new ones come, so the set stays small.
        while connections.try_join_next().is_some() {}
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors and the like: wait a moment rather than spin.
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let snapshot = snapshot.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let snapshot = snapshot.clone();
                async move { Ok::<_, Infallible>(respond(&request, &*snapshot)) }
            });
            // A client that goes away mid-request is no error of ours.
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            drop(slot);
        });
    }
    connections.shutdown().await;
}

/// The answer to one request: `/metrics` (GET, HEAD), `/`, else 404; other methods 405.
pub fn respond<B>(request: &Request<B>, snapshot: &dyn Fn() -> Snapshot) -> Response<Full<Bytes>> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return answer(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "only GET and HEAD\n".into(),
        )
        .map(|mut response| {
            response
                .headers_mut()
                .insert(ALLOW, http::HeaderValue::from_static("GET, HEAD"));
            response
        })
        .unwrap_or_else(|| fallback(StatusCode::METHOD_NOT_ALLOWED));
    }
    let built = match request.uri().path() {
        "/metrics" => {
            let format = Format::negotiate(
                request
                    .headers()
                    .get(http::header::ACCEPT)
                    .and_then(|v| v.to_str().ok()),
            );
            match render(&snapshot(), format) {
                Ok(text) => answer(StatusCode::OK, format.content_type(), text),
                Err(err) => answer(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain; charset=utf-8",
                    format!("{err}\n"),
                ),
            }
        }
        "/" => answer(StatusCode::OK, "text/plain; charset=utf-8", INDEX.into()),
        _ => answer(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found: the metrics are at /metrics\n".into(),
        ),
    };
    built.unwrap_or_else(|| fallback(StatusCode::INTERNAL_SERVER_ERROR))
}

fn answer(
    status: StatusCode,
    content_type: &'static str,
    body: String,
) -> Option<Response<Full<Bytes>>> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, content_type)
        .body(Full::new(Bytes::from(body)))
        .ok()
}

/// A response with a status only (the builder refuses nothing we give it; this is its fallback).
fn fallback(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}
