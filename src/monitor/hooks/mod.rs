//! Alert hooks: every alert raised or cleared is handed to the operator's own command
//! (`alert_command`, run through `sh -c` with the alert as one JSON document on one line of its
//! standard input) and POSTed to `alert_webhook`, as the settings say at the moment of the change.
//!
//! The engine only pushes onto a queue (`HookFeed::offer`, from `announce_alerts`, under the
//! state's lock: it never waits). Each hook has its own queue and task, so a slow webhook does
//! not hold the command back, and its deliveries stay in order (a raise before its clear). A
//! queue holds at most `queue_limit` alerts; past that the oldest are dropped and the count is
//! reported. Failures (after the webhook's retries) go to the log and are announced as
//! `Event::HookFailed`; successes are not logged, to keep the log small.
//!
//! The payload (`Payload`, version 1) carries the alert and where it came from, never a
//! backend's config: no secrets, no URLs. A failure names the webhook by its scheme, host and
//! port only (its userinfo, path and query may carry a token), and the command by its program.
//!
//! One file per part: `payload` (what a hook receives), `worker` (the queues, the tasks that
//! deliver in order, the runner that starts and stops them), `webhook` (the POST and its
//! retries) and `command` (the command run in its own process group).

mod command;
mod payload;
#[cfg(test)]
mod test_notice;
mod webhook;
mod worker;

use std::fmt;
use std::time::Duration;

use crate::store::Settings;

pub use command::{command_label, run_command, CAPTURE_LIMIT};
pub use payload::{hostname, AlertEvent, Notice, Payload, PAYLOAD_VERSION};
pub use webhook::{backoff, redact_url};
pub use worker::{HookFeed, HookRunner};

/// Characters of a command's output or a webhook's answer shown in a failure.
const SHOWN_CHARS: usize = 300;

#[derive(Clone, Debug)]
pub struct HookConfig {
    /// How long the command may run before its process group is killed.
    pub command_limit: Duration,
    /// One webhook request's time limit, connecting included.
    pub webhook_timeout: Duration,
    /// Webhook attempts after the first one (on connection errors, timeouts, 5xx and 429).
    pub retries: u32,
    /// The wait before the first retry; each next one waits twice as long.
    pub retry_base: Duration,
    /// Alerts waiting for one hook beyond which the oldest are dropped.
    pub queue_limit: usize,
    /// How long deliveries under way (and queued) may go on once the monitor stops.
    pub shutdown_grace: Duration,
}

impl Default for HookConfig {
    fn default() -> Self {
        HookConfig {
            command_limit: Duration::from_secs(10),
            webhook_timeout: Duration::from_secs(10),
            retries: 3,
            retry_base: Duration::from_secs(1),
            queue_limit: 256,
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

/// The hooks set now, as the settings say.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Targets {
    /// A command line for `sh -c`.
    pub command: Option<String>,
    /// An http(s) URL.
    pub webhook: Option<String>,
}

impl Targets {
    pub fn of(settings: &Settings) -> Targets {
        Targets {
            command: settings.alert_command(),
            webhook: settings.alert_webhook(),
        }
    }
}

/// A hook that could not deliver an alert (or fell behind), as logged and announced.
#[derive(Clone, Debug, PartialEq)]
pub struct HookFailure {
    /// The hook, named without secrets: `command 'notify.sh'`, `webhook https://host/…`.
    pub hook: String,
    /// The alert it was delivering (`Notice::describe`); none for alerts dropped unsent.
    pub alert: Option<String>,
    pub reason: String,
}

impl fmt::Display for HookFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.alert {
            Some(alert) => write!(
                f,
                "alert hook {} failed for {alert}: {}",
                self.hook, self.reason
            ),
            None => write!(f, "alert hook {}: {}", self.hook, self.reason),
        }
    }
}

/// Why one delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("cannot run it: {0}")]
    Spawn(String),
    #[error("exit status {code}{}", tail(.output))]
    Exit { code: i32, output: String },
    #[error("killed by signal {signal}{}", tail(.output))]
    Signal { signal: i32, output: String },
    #[error("still running after {}: killed{}", seconds(*.limit), tail(.output))]
    TimedOut { limit: Duration, output: String },
    /// The webhook's answer: its status, the status's reason phrase, the start of its body.
    #[error("HTTP {status}{}{}", before(" ", .reason), tail(.body))]
    Status {
        status: u16,
        reason: String,
        body: String,
    },
    #[error("{0}")]
    Transport(String),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("cannot encode the alert: {0}")]
    Encode(String),
    #[error("{last} ({attempts} attempts)")]
    GaveUp { attempts: u32, last: Box<HookError> },
}

fn tail(text: &str) -> String {
    before(": ", text)
}

fn before(separator: &str, text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("{separator}{text}")
    }
}

fn seconds(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}
