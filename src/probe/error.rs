//! Why a probe failed, in words a person can act on. Every string from the backend inside an
//! error is sanitised and bounded before it gets here.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot resolve host '{host}' (name resolution failed)")]
    Dns { host: String },
    #[error("connection refused by {addr}")]
    Refused { addr: String },
    #[error("timed out after {secs} s")]
    Timeout { secs: u64 },
    #[error("TLS error: {detail}")]
    Tls { detail: String },
    #[error("cannot connect to {addr}: {detail}")]
    Connect { addr: String, detail: String },
    #[error("credentials rejected (HTTP {status}){}", detail_suffix(.detail))]
    Unauthorized { status: u16, detail: String },
    #[error("{what} not found (HTTP 404){}", detail_suffix(.detail))]
    NotFound { what: String, detail: String },
    #[error("rate limited (HTTP 429){}", match .retry_after_secs { Some(s) => format!(", retry in {s} s"), None => String::new() })]
    RateLimited { retry_after_secs: Option<u64> },
    #[error("HTTP {status}{}", detail_suffix(.detail))]
    Http { status: u16, detail: String },
    #[error("unparsable answer from {what}: {detail}")]
    Unparsable { what: String, detail: String },
    /// An answer (or one line of a stream, `per_line`) over its call's cap; the rest of it was
    /// never read.
    #[error("{}", too_large(.call, *.limit_bytes, *.per_line))]
    TooLarge {
        call: String,
        limit_bytes: u64,
        per_line: bool,
    },
    #[error("the stream failed: {detail}")]
    Stream { detail: String },
    #[error("{0}")]
    Config(String),
    #[error("{path}: {detail}")]
    Io { path: String, detail: String },
    #[error("{0}")]
    Other(String),
    /// An inventory run reached its time or request budget (not a failure of the backend).
    #[error("stopped at the inventory budget")]
    Budget,
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

/// The failure class of rejected credentials (`ProbeError::class`, `health.failure`).
pub const CREDENTIALS_CLASS: &str = "credentials";
fn too_large(call: &str, limit_bytes: u64, per_line: bool) -> String {
    let cap = crate::text::bytes(limit_bytes);
    if per_line {
        format!("answer too large: a line of {call} is longer than {cap} (its cap)")
    } else {
        format!("answer too large: {call} sent more than {cap} (its cap)")
    }
}

/// Bounds and cleans text that came from a backend before it goes into an error.
pub fn clean(text: &str) -> String {
    crate::text::sanitize(text.trim(), 300)
}

impl ProbeError {
    pub fn unparsable(what: &str, detail: impl std::fmt::Display) -> ProbeError {
        ProbeError::Unparsable {
            what: clean(what),
            detail: clean(&detail.to_string()),
        }
    }

    /// Retrying soon will not help: the config or the credentials must change first.
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            ProbeError::Unauthorized { .. } | ProbeError::Config(_) | ProbeError::NotFound { .. }
        )
    }

    /// How long the backend asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProbeError::RateLimited {
                retry_after_secs: Some(secs),
            } => Some(Duration::from_secs(*secs)),
            _ => None,
        }
    }

    /// The failure's class, for JSON output and `health.failure`.
    pub fn error_class(&self) -> ErrorClass {
        match self {
            ProbeError::Dns { .. } => ErrorClass::Dns,
            ProbeError::Refused { .. } => ErrorClass::Refused,
            ProbeError::Timeout { .. } => ErrorClass::Timeout,
            ProbeError::Tls { .. } => ErrorClass::Tls,
            ProbeError::Connect { .. } => ErrorClass::Connect,
            ProbeError::Unauthorized { .. } => ErrorClass::Credentials,
            ProbeError::NotFound { .. } => ErrorClass::NotFound,
            ProbeError::RateLimited { .. } => ErrorClass::RateLimited,
            ProbeError::Http { .. } => ErrorClass::Http,
            ProbeError::Unparsable { .. } => ErrorClass::Unparsable,
            ProbeError::TooLarge { .. } => ErrorClass::TooLarge,
            ProbeError::Stream { .. } => ErrorClass::Stream,
            ProbeError::Config(_) => ErrorClass::Config,
            ProbeError::Io { .. } => ErrorClass::Io,
            ProbeError::Other(_) => ErrorClass::Other,
            ProbeError::Budget => ErrorClass::Budget,
        }
    }

    /// A short machine-readable name of the failure class, for JSON output.
    pub fn class(&self) -> &'static str {
        self.error_class().as_str()
    }
}

/// What kind of failure a probe met, as a short machine-readable name in JSON (`class` of a
/// test's failure, `health.failure`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    Dns,
    Refused,
    Timeout,
    Tls,
    Connect,
    Credentials,
    NotFound,
    RateLimited,
    Http,
    Unparsable,
    TooLarge,
    Stream,
    Config,
    Io,
    Budget,
    /// Also what a class this version does not know reads as (a kept report written by a
    /// newer version or another writer): liberal in what is read.
    #[serde(other)]
    Other,
}

impl ErrorClass {
    /// The name, as serialized.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Dns => "dns",
            ErrorClass::Refused => "refused",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Tls => "tls",
            ErrorClass::Connect => "connect",
            ErrorClass::Credentials => CREDENTIALS_CLASS,
            ErrorClass::NotFound => "not_found",
            ErrorClass::RateLimited => "rate_limited",
            ErrorClass::Http => "http",
            ErrorClass::Unparsable => "unparsable",
            ErrorClass::TooLarge => "too_large",
            ErrorClass::Stream => "stream",
            ErrorClass::Config => "config",
            ErrorClass::Io => "io",
            ErrorClass::Other => "other",
            ErrorClass::Budget => "budget",
        }
    }
}
