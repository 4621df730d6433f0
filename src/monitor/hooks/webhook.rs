//! The webhook: one POST of the payload, again on connection errors, timeouts, 5xx and 429
//! with a doubling wait, through a client that follows no redirect; and the URL as messages
//! show it, without what may carry a token.

use std::time::Duration;

use super::{HookConfig, HookError, SHOWN_CHARS};

/// A `Retry-After` longer than this is not waited for (the next alerts are queued behind).
const RETRY_AFTER_CAP: Duration = Duration::from_secs(30);

/// The wait before retry number `retry` (0-based): `base`, then twice as long each time.
pub fn backoff(base: Duration, retry: u32) -> Duration {
    base.saturating_mul(1u32 << retry.min(16))
}

/// A webhook's URL as shown in messages: scheme, host and port. Its userinfo and query may
/// carry a token, and so may its path (Slack's and Discord's hooks are a secret path).
pub fn redact_url(raw: &str) -> String {
    let Ok(url) = url::Url::parse(raw.trim()) else {
        return "(a URL that does not parse)".to_string();
    };
    let host = url.host_str().unwrap_or_default();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = if url.path().trim_matches('/').is_empty() {
        ""
    } else {
        "/…"
    };
    crate::text::sanitize(&format!("{}://{host}{port}{path}", url.scheme()), 120)
}

/// POSTs the alert, again after `retry_base`, twice that, ... on connection errors,
/// timeouts, 5xx and 429 (waiting at least what `Retry-After` asks, up to a cap).
/// `payload` makes the body anew for each attempt (its `sent_at` is when it was sent).
pub(super) async fn post(
    client: &reqwest::Client,
    target: &str,
    config: &HookConfig,
    payload: impl Fn() -> Result<Vec<u8>, HookError>,
) -> Result<(), HookError> {
    let shown = redact_url(target);
    let mut retry = 0u32;
    loop {
        let body = payload()?;
        let sent = client
            .post(target.trim())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let (error, again, asked_wait) = match sent {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) => {
                let status = response.status().as_u16();
                let asked =
                    crate::probe::http::retry_after(response.headers()).map(Duration::from_secs);
                let reason = response
                    .status()
                    .canonical_reason()
                    .unwrap_or_default()
                    .to_string();
                let body = answer_start(response).await;
                let again = status == 429 || (500..600).contains(&status);
                let error = HookError::Status {
                    status,
                    reason,
                    body,
                };
                (error, again, asked)
            }
            Err(err) => {
                // A bad URL or a refused redirect will not get better.
                let again = !(err.is_builder() || err.is_redirect());
                // reqwest's message carries the whole URL: shown without it.
                let reason = crate::probe::http::map_reqwest(
                    &err.without_url(),
                    config.webhook_timeout,
                    &shown,
                );
                (HookError::Transport(reason.to_string()), again, None)
            }
        };
        if !again || retry >= config.retries {
            return Err(if retry == 0 {
                error
            } else {
                HookError::GaveUp {
                    attempts: retry + 1,
                    last: Box::new(error),
                }
            });
        }
        let wait = backoff(config.retry_base, retry)
            .max(asked_wait.unwrap_or_default().min(RETRY_AFTER_CAP));
        tokio::time::sleep(wait).await;
        retry += 1;
    }
}

pub(super) fn webhook_client(config: &HookConfig) -> Result<reqwest::Client, HookError> {
    reqwest::Client::builder()
        .user_agent(crate::probe::http::USER_AGENT)
        .connect_timeout(config.webhook_timeout)
        .timeout(config.webhook_timeout)
        // The alert goes where the operator said, not wherever a 3xx points (and a POST
        // turned into a GET would deliver nothing): a redirect is a failure to fix.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| HookError::Client(e.without_url().to_string()))
}

/// The start of a refused answer's body, for the failure message.
async fn answer_start(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while body.len() < 1024 {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    crate::text::sanitize(String::from_utf8_lossy(&body).trim(), SHOWN_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::hooks::payload::AlertEvent;
    use crate::monitor::hooks::test_notice::notice;
    use crate::monitor::hooks::worker::{hook_label, HookKind};
    use crate::monitor::hooks::HookFailure;

    #[test]
    fn backoff_doubles_from_the_base() {
        let base = Duration::from_secs(1);
        let waits: Vec<Duration> = (0..3).map(|retry| backoff(base, retry)).collect();
        assert_eq!(
            waits,
            [1, 2, 4].map(Duration::from_secs).to_vec(),
            "three retries: 1 s, 2 s, 4 s"
        );
        assert_eq!(
            backoff(Duration::from_millis(10), 2),
            Duration::from_millis(40)
        );
        // Never overflows.
        assert!(backoff(base, u32::MAX) >= Duration::from_secs(65_536));
        let defaults = HookConfig::default();
        assert_eq!((defaults.retries, defaults.retry_base), (3, base));
    }

    #[test]
    fn urls_are_shown_without_userinfo_path_or_query() {
        assert_eq!(
            redact_url("https://user:pw@hooks.example.com:8443/services/T0/B0/XyZ?token=abc#x"),
            "https://hooks.example.com:8443/…"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:9000/"),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            redact_url("http://[::1]:80/hook?k=v"),
            "http://[::1]/…",
            "the scheme's own port is not said"
        );
        assert_eq!(redact_url("not a url"), "(a URL that does not parse)");
        let failure = HookFailure {
            hook: hook_label(HookKind::Webhook, "https://u:secret@h.example/x?token=t"),
            alert: Some(notice(AlertEvent::Raised).describe()),
            reason: "HTTP 500".into(),
        };
        let text = failure.to_string();
        assert_eq!(
            text,
            "alert hook webhook https://h.example/… failed for the down alert on 'kubo' \
             (raised): HTTP 500"
        );
    }
}
