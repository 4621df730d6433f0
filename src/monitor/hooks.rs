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

use std::collections::VecDeque;
use std::fmt;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{broadcast, oneshot, Notify};
use tokio::task::JoinHandle;

use super::alerts::{Alert, Change, Closed, Rule};
use super::Event;
use crate::store::{timestamp, Settings, Store};

/// The payload's format; a receiver checks it before reading the rest.
pub const PAYLOAD_VERSION: u32 = 1;
/// What is kept of a command's standard output and error, each, for the failure message.
pub const CAPTURE_LIMIT: usize = 4096;
/// A `Retry-After` longer than this is not waited for (the next alerts are queued behind).
const RETRY_AFTER_CAP: Duration = Duration::from_secs(30);
/// How long a command's output is waited for once it has exited: something it started in the
/// background may hold its pipes open for much longer.
const OUTPUT_WAIT: Duration = Duration::from_millis(500);
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

/// The wait before retry number `retry` (0-based): `base`, then twice as long each time.
pub fn backoff(base: Duration, retry: u32) -> Duration {
    base.saturating_mul(1u32 << retry.min(16))
}

/// Whether the alert was raised or cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertEvent {
    Raised,
    Cleared,
}

impl AlertEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertEvent::Raised => "raised",
            AlertEvent::Cleared => "cleared",
        }
    }
}

/// One alert change as the hooks receive it (stdin of the command, body of the POST).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Payload {
    pub version: u32,
    pub event: AlertEvent,
    pub backend: String,
    /// The backend's kind; unknown (null) when the backend was removed before this was sent.
    pub kind: Option<String>,
    /// The rule: quota, down, error_rate, credentials.
    pub alert: Rule,
    pub message: String,
    /// When the alert was raised.
    pub since: String,
    pub cleared_at: Option<String>,
    /// Why a cleared alert ended: recovered, removed or disabled (null when raised).
    pub closed: Option<Closed>,
    /// The machine this console runs on, for a receiver that hears from several.
    pub host: Option<String>,
    pub sent_at: String,
}

/// Characters of an alert's message in the payload.
const MESSAGE_CHARS: usize = 500;

impl Payload {
    pub fn new(notice: &Notice, host: Option<&str>, sent_at: String) -> Payload {
        let alert = &notice.alert;
        let cleared = notice.event == AlertEvent::Cleared;
        Payload {
            version: PAYLOAD_VERSION,
            event: notice.event,
            backend: alert.backend.clone(),
            kind: notice.kind.clone(),
            alert: alert.rule,
            message: crate::text::sanitize(&alert.message, MESSAGE_CHARS),
            since: alert.raised_at.clone(),
            cleared_at: alert.cleared_at.clone().filter(|_| cleared),
            // A record from before the reason was kept is a recovery.
            closed: cleared.then(|| alert.closed.unwrap_or(Closed::Recovered)),
            host: host.map(str::to_string),
            sent_at,
        }
    }
}

/// An alert change waiting for a hook.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub event: AlertEvent,
    pub alert: Alert,
    pub kind: Option<String>,
}

impl Notice {
    /// The notice of a raise or a clear; `None` for a message that follows its figure (hooks
    /// hear of an alert once when raised and once when cleared).
    pub fn of(change: &Change, kind: Option<&str>) -> Option<Notice> {
        let (event, alert) = match change {
            Change::Raised(alert) => (AlertEvent::Raised, alert),
            Change::Cleared(alert) => (AlertEvent::Cleared, alert),
            Change::Updated(_) => return None,
        };
        Some(Notice {
            event,
            alert: alert.clone(),
            kind: kind.map(crate::probe::clean),
        })
    }

    /// The alert in a failure message: `the down alert on 'kubo' (raised)`.
    pub fn describe(&self) -> String {
        format!(
            "the {} alert on '{}' ({})",
            self.alert.rule.as_str(),
            crate::text::sanitize(&self.alert.backend, 80),
            self.event.as_str()
        )
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

/// A command as shown in messages: its program only (the rest may carry a token), or nothing
/// when the line starts with a variable assignment.
pub fn command_label(command: &str) -> String {
    match command.split_whitespace().next() {
        Some(program) if !program.contains('=') => {
            format!("command '{}'", crate::text::sanitize(program, 60))
        }
        _ => "command".to_string(),
    }
}

fn hook_label(hook: HookKind, target: &str) -> String {
    match hook {
        HookKind::Command => command_label(target),
        HookKind::Webhook => format!("webhook {}", redact_url(target)),
    }
}

/// This machine's name: the kernel's, else /etc/hostname; none when neither says.
pub fn hostname() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|text| crate::text::sanitize(text.trim(), 255))
        .find(|name| !name.is_empty())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HookKind {
    Command,
    Webhook,
}

/// One alert for one hook.
struct Job {
    target: String,
    notice: Notice,
}

#[derive(Default)]
struct QueueState {
    jobs: VecDeque<Job>,
    /// Dropped since the worker last looked.
    dropped: u64,
    closed: bool,
}

/// One hook's waiting alerts: pushed without waiting, bounded, oldest dropped first.
struct Queue {
    state: Mutex<QueueState>,
    ready: Notify,
    limit: usize,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock means a panic elsewhere; the queue is still usable.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Queue {
    fn new(limit: usize) -> Queue {
        Queue {
            state: Mutex::new(QueueState::default()),
            ready: Notify::new(),
            limit: limit.max(1),
        }
    }

    fn push(&self, job: Job) {
        {
            let mut state = lock(&self.state);
            if state.closed {
                return;
            }
            state.jobs.push_back(job);
            while state.jobs.len() > self.limit {
                state.jobs.pop_front();
                state.dropped += 1;
            }
        }
        // Stores a permit when the worker is busy: it looks again before it waits.
        self.ready.notify_one();
    }

    /// The next job, with how many were dropped before it; none once closed and empty.
    async fn next(&self) -> Option<(Job, u64)> {
        loop {
            {
                let mut state = lock(&self.state);
                if let Some(job) = state.jobs.pop_front() {
                    return Some((job, std::mem::take(&mut state.dropped)));
                }
                if state.closed {
                    return None;
                }
            }
            self.ready.notified().await;
        }
    }

    /// No more jobs are taken; the worker ends once it has done those waiting.
    fn close(&self) {
        lock(&self.state).closed = true;
        self.ready.notify_one();
    }

    fn waiting(&self) -> usize {
        lock(&self.state).jobs.len()
    }
}

/// The engine's end of the hooks: hands each alert change to the hooks set now.
#[derive(Clone)]
pub struct HookFeed {
    command: Arc<Queue>,
    webhook: Arc<Queue>,
}

impl HookFeed {
    /// Queues the change for each hook in `targets`; never waits.
    pub fn offer(&self, targets: &Targets, change: &Change, kind: Option<&str>) {
        if targets.command.is_none() && targets.webhook.is_none() {
            return;
        }
        let Some(notice) = Notice::of(change, kind) else {
            return;
        };
        if let Some(command) = &targets.command {
            self.command.push(Job {
                target: command.clone(),
                notice: notice.clone(),
            });
        }
        if let Some(webhook) = &targets.webhook {
            self.webhook.push(Job {
                target: webhook.clone(),
                notice,
            });
        }
    }

    fn close(&self) {
        self.command.close();
        self.webhook.close();
    }
}

/// Where failures go: the log, and the engine's events (the console's messages pane).
#[derive(Clone)]
struct Reporter {
    store: Store,
    events: broadcast::Sender<Event>,
}

impl Reporter {
    fn failed(&self, failure: HookFailure) {
        self.store.log("WARNING", &failure.to_string());
        let _ = self.events.send(Event::HookFailed(failure));
    }
}

/// The hooks' tasks. Dropping it aborts them (a command under way is killed); call
/// [`HookRunner::shutdown`] to let them finish first.
pub struct HookRunner {
    feed: HookFeed,
    workers: Vec<JoinHandle<()>>,
    /// Per worker: whether a delivery is under way.
    busy: Vec<Arc<AtomicBool>>,
    grace: Duration,
    reporter: Reporter,
}

impl HookRunner {
    /// Starts one task per hook (on the current tokio runtime); the feed is what the engine
    /// pushes alert changes into.
    pub fn start(
        store: Store,
        events: broadcast::Sender<Event>,
        config: HookConfig,
    ) -> (HookRunner, HookFeed) {
        let feed = HookFeed {
            command: Arc::new(Queue::new(config.queue_limit)),
            webhook: Arc::new(Queue::new(config.queue_limit)),
        };
        let reporter = Reporter { store, events };
        let host: Option<Arc<str>> = hostname().map(Arc::from);
        let mut workers = Vec::new();
        let mut busy = Vec::new();
        for (hook, queue) in [
            (HookKind::Command, feed.command.clone()),
            (HookKind::Webhook, feed.webhook.clone()),
        ] {
            let flag = Arc::new(AtomicBool::new(false));
            let worker = Worker {
                hook,
                queue,
                reporter: reporter.clone(),
                config: config.clone(),
                host: host.clone(),
                busy: flag.clone(),
                client: None,
            };
            workers.push(tokio::spawn(worker.run()));
            busy.push(flag);
        }
        let runner = HookRunner {
            feed: feed.clone(),
            workers,
            busy,
            grace: config.shutdown_grace,
            reporter,
        };
        (runner, feed)
    }

    /// Takes no more alerts, lets the deliveries under way and those queued go on for the
    /// grace, then stops the rest (a command still running is killed) and logs what was left.
    pub async fn shutdown(&mut self) {
        self.shutdown_within(None).await;
    }

    /// [`HookRunner::shutdown`] with the grace cut to `limit` when that is shorter.
    pub async fn shutdown_within(&mut self, limit: Option<Duration>) {
        self.feed.close();
        let grace = limit.map_or(self.grace, |limit| limit.min(self.grace));
        let deadline = tokio::time::Instant::now() + grace;
        let mut finished = true;
        for worker in &mut self.workers {
            if tokio::time::timeout_at(deadline, &mut *worker)
                .await
                .is_err()
            {
                finished = false;
            }
        }
        if finished {
            self.workers.clear();
            return;
        }
        let left = self.feed.command.waiting()
            + self.feed.webhook.waiting()
            + self
                .busy
                .iter()
                .filter(|busy| busy.load(Ordering::Relaxed))
                .count();
        for worker in self.workers.drain(..) {
            worker.abort();
        }
        self.reporter.store.log(
            "WARNING",
            &format!(
                "alert hooks stopped {} after the monitor: {left} alert(s) not delivered",
                seconds(self.grace)
            ),
        );
    }
}

impl Drop for HookRunner {
    fn drop(&mut self) {
        for worker in &self.workers {
            worker.abort();
        }
    }
}

struct Worker {
    hook: HookKind,
    queue: Arc<Queue>,
    reporter: Reporter,
    config: HookConfig,
    host: Option<Arc<str>>,
    busy: Arc<AtomicBool>,
    /// Built at the first webhook delivery: a console without a webhook never needs one.
    client: Option<reqwest::Client>,
}

impl Worker {
    async fn run(mut self) {
        while let Some((job, dropped)) = self.queue.next().await {
            let hook = hook_label(self.hook, &job.target);
            if dropped > 0 {
                self.reporter.failed(HookFailure {
                    hook: hook.clone(),
                    alert: None,
                    reason: format!(
                        "fell behind: {dropped} older alert(s) dropped unsent (more than {} \
                         waiting)",
                        self.queue.limit
                    ),
                });
            }
            self.busy.store(true, Ordering::Relaxed);
            let delivered = self.deliver(&job).await;
            self.busy.store(false, Ordering::Relaxed);
            if let Err(err) = delivered {
                self.reporter.failed(HookFailure {
                    hook,
                    alert: Some(job.notice.describe()),
                    reason: err.to_string(),
                });
            }
        }
    }

    fn payload(&self, notice: &Notice) -> Result<Vec<u8>, HookError> {
        let payload = Payload::new(notice, self.host.as_deref(), timestamp::now());
        serde_json::to_vec(&payload).map_err(|e| HookError::Encode(e.to_string()))
    }

    async fn deliver(&mut self, job: &Job) -> Result<(), HookError> {
        match self.hook {
            HookKind::Command => {
                let mut payload = self.payload(&job.notice)?;
                // One line: `read` in a shell script, and `cat >> file` makes NDJSON.
                payload.push(b'\n');
                run_command(&job.target, &payload, self.config.command_limit).await
            }
            HookKind::Webhook => {
                let client = match &self.client {
                    Some(client) => client.clone(),
                    None => {
                        let client = webhook_client(&self.config)?;
                        self.client = Some(client.clone());
                        client
                    }
                };
                self.post(&client, job).await
            }
        }
    }

    /// POSTs the alert, again after `retry_base`, twice that, ... on connection errors,
    /// timeouts, 5xx and 429 (waiting at least what `Retry-After` asks, up to a cap).
    async fn post(&self, client: &reqwest::Client, job: &Job) -> Result<(), HookError> {
        let shown = redact_url(&job.target);
        let mut retry = 0u32;
        loop {
            let body = self.payload(&job.notice)?;
            let sent = client
                .post(job.target.trim())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .send()
                .await;
            let (error, again, asked_wait) = match sent {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let asked = crate::probe::http::retry_after(response.headers())
                        .map(Duration::from_secs);
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
                        self.config.webhook_timeout,
                        &shown,
                    );
                    (HookError::Transport(reason.to_string()), again, None)
                }
            };
            if !again || retry >= self.config.retries {
                return Err(if retry == 0 {
                    error
                } else {
                    HookError::GaveUp {
                        attempts: retry + 1,
                        last: Box::new(error),
                    }
                });
            }
            let wait = backoff(self.config.retry_base, retry)
                .max(asked_wait.unwrap_or_default().min(RETRY_AFTER_CAP));
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }
}

fn webhook_client(config: &HookConfig) -> Result<reqwest::Client, HookError> {
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

/// A command's process group: killed when the command overstays its limit or its delivery is
/// dropped (the runner stopped), so that nothing it started outlives it. Once the command
/// has exited by itself, what it left running in the background is its business.
struct ProcessGroup {
    id: u32,
    running: bool,
}

impl ProcessGroup {
    fn kill(&mut self) {
        if std::mem::take(&mut self.running) {
            // std signals only the child itself (sh): the group takes what it started too.
            if let Ok(id) = i32::try_from(self.id) {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(id),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads a stream to its end on its own thread, keeping the first `CAPTURE_LIMIT` bytes (the
/// rest is read and dropped, so that the command never blocks on a full pipe). A plain thread,
/// not the blocking pool: a pipe held open by something the command left behind must not
/// hold up the runtime's shutdown.
fn capture(
    mut stream: impl Read + Send + 'static,
) -> Result<oneshot::Receiver<Vec<u8>>, HookError> {
    let (done, captured) = oneshot::channel();
    std::thread::Builder::new()
        .name("alert-hook-output".into())
        .spawn(move || {
            let mut kept = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match stream.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        let room = CAPTURE_LIMIT.saturating_sub(kept.len());
                        kept.extend_from_slice(&buf[..n.min(room)]);
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = done.send(kept);
        })
        .map_err(|e| HookError::Spawn(format!("cannot start a thread: {e}")))?;
    Ok(captured)
}

/// What the command said, for its failure message: its error output, else its output.
async fn said(stdout: oneshot::Receiver<Vec<u8>>, stderr: oneshot::Receiver<Vec<u8>>) -> String {
    let read = |captured: oneshot::Receiver<Vec<u8>>| async move {
        tokio::time::timeout(OUTPUT_WAIT, captured)
            .await
            .ok()
            .and_then(Result::ok)
            .map(|bytes| crate::text::sanitize(String::from_utf8_lossy(&bytes).trim(), SHOWN_CHARS))
            .unwrap_or_default()
    };
    let (out, err) = tokio::join!(read(stdout), read(stderr));
    if err.is_empty() {
        out
    } else {
        err
    }
}

/// Runs `command` through `sh -c` in its own process group with `payload` on its standard
/// input (then closed); fails on a non-zero exit, a signal, or when it outlives `limit`
/// (then the whole group is killed).
pub async fn run_command(command: &str, payload: &[u8], limit: Duration) -> Result<(), HookError> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| HookError::Spawn(format!("cannot start sh: {e}")))?;
    let mut group = ProcessGroup {
        id: child.id(),
        running: true,
    };
    if let Some(mut stdin) = child.stdin.take() {
        // The payload is a few KiB at most, less than a pipe holds: this write does not wait
        // for the command to read. A command that does not read it at all is fine (EPIPE).
        let _ = stdin.write_all(payload);
    }
    let stdout = child.stdout.take().map(capture).transpose()?;
    let stderr = child.stderr.take().map(capture).transpose()?;
    let (exited, exit) = oneshot::channel::<std::io::Result<ExitStatus>>();
    std::thread::Builder::new()
        .name("alert-hook-wait".into())
        .spawn(move || {
            let _ = exited.send(child.wait());
        })
        .map_err(|e| HookError::Spawn(format!("cannot start a thread: {e}")))?;
    let output = |stdout: Option<oneshot::Receiver<Vec<u8>>>,
                  stderr: Option<oneshot::Receiver<Vec<u8>>>| async move {
        match (stdout, stderr) {
            (Some(out), Some(err)) => said(out, err).await,
            _ => String::new(),
        }
    };
    let status = match tokio::time::timeout(limit, exit).await {
        Ok(Ok(Ok(status))) => {
            group.running = false;
            status
        }
        Ok(Ok(Err(err))) => return Err(HookError::Spawn(format!("cannot wait for it: {err}"))),
        Ok(Err(_)) => return Err(HookError::Spawn("its waiting thread ended".into())),
        Err(_) => {
            group.kill();
            return Err(HookError::TimedOut {
                limit,
                output: output(stdout, stderr).await,
            });
        }
    };
    if status.success() {
        return Ok(());
    }
    let output = output(stdout, stderr).await;
    Err(match (status.code(), status.signal()) {
        (Some(code), _) => HookError::Exit { code, output },
        (None, Some(signal)) => HookError::Signal { signal, output },
        (None, None) => HookError::Exit { code: -1, output },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::alerts::{Alerts, Facts};
    use crate::stats::BackendStats;

    fn notice(event: AlertEvent) -> Notice {
        Notice {
            event,
            alert: Alert {
                backend: "kubo".into(),
                rule: Rule::Down,
                message: "down for 3 polls: connection refused".into(),
                raised_at: "2026-01-02T03:04:05.000000+00:00".into(),
                cleared_at: (event == AlertEvent::Cleared)
                    .then(|| "2026-01-02T03:14:05.000000+00:00".into()),
                closed: (event == AlertEvent::Cleared).then_some(Closed::Recovered),
                acknowledged_at: None,
                silenced_until: None,
            },
            kind: Some("ipfs".into()),
        }
    }

    #[test]
    fn payload_has_the_documented_shape() {
        let raised = Payload::new(&notice(AlertEvent::Raised), Some("node-1"), "now".into());
        assert_eq!(
            serde_json::to_value(&raised).unwrap(),
            serde_json::json!({
                "version": 1,
                "event": "raised",
                "backend": "kubo",
                "kind": "ipfs",
                "alert": "down",
                "message": "down for 3 polls: connection refused",
                "since": "2026-01-02T03:04:05.000000+00:00",
                "cleared_at": null,
                "closed": null,
                "host": "node-1",
                "sent_at": "now",
            })
        );
        let cleared = Payload::new(&notice(AlertEvent::Cleared), None, "later".into());
        let value = serde_json::to_value(&cleared).unwrap();
        assert_eq!(value["event"], "cleared");
        assert_eq!(value["cleared_at"], "2026-01-02T03:14:05.000000+00:00");
        assert_eq!(value["closed"], "recovered");
        assert_eq!(value["host"], serde_json::Value::Null);
    }

    #[test]
    fn payload_carries_no_secret_and_no_url_of_the_backend() {
        // A backend whose config holds a secret and a URL with a token and a password.
        let config = serde_json::json!({
            "id": "s3-main",
            "config": {
                "type": "s3",
                "bucket": "b",
                "access_key": "AKIA-HOOKTEST",
                "secret_key": "s3cr3t-HOOKTEST",
                "endpoint": "https://user:pa55w0rd@s3.example.com/?token=tok-HOOKTEST",
            }
        });
        let serde_json::Value::Object(doc) = config else {
            panic!("an object")
        };
        let doc = crate::store::BackendDoc {
            id: "s3-main".into(),
            path: "s3-main.json".into(),
            doc,
        };
        let mut stats = BackendStats {
            id: "s3-main".into(),
            kind: "s3".into(),
            ..BackendStats::default()
        };
        stats.health.message =
            Some("credentials rejected (HTTP 403)\u{1b}]0;retitled\u{7}\nsecond line".into());
        let mut alerts = Alerts::default();
        let changes = alerts.evaluate(
            &Facts {
                stats: &stats,
                consecutive_failures: 3,
                error_rate: (0.0, 0),
                quota_alert_percent: 90,
                credentials_rejected: true,
            },
            "2026-01-02T03:04:05+00:00",
        );
        assert_eq!(changes.len(), 2, "{changes:?}");
        for change in &changes {
            // As the monitor does: the kind from the backend's doc, nothing else of it.
            let notice = Notice::of(change, Some(doc.kind())).unwrap();
            let text = serde_json::to_string(&Payload::new(&notice, None, "now".into())).unwrap();
            for secret in [
                "AKIA-HOOKTEST",
                "s3cr3t-HOOKTEST",
                "pa55w0rd",
                "tok-HOOKTEST",
                "s3.example.com",
                "endpoint",
                "bucket",
            ] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
            let value: serde_json::Value = serde_json::from_str(&text).unwrap();
            let message = value["message"].as_str().unwrap();
            assert!(
                !message.contains('\u{1b}') && !message.contains('\n'),
                "sanitized: {message:?}"
            );
            assert_eq!(value["backend"], "s3-main");
            assert_eq!(value["kind"], "s3");
        }
    }

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

    #[test]
    fn commands_are_shown_by_their_program() {
        assert_eq!(
            command_label("notify.sh --token abc"),
            "command 'notify.sh'"
        );
        assert_eq!(command_label("TOKEN=abc notify.sh"), "command");
    }

    fn job(n: usize) -> Job {
        let mut notice = notice(AlertEvent::Raised);
        notice.alert.backend = format!("b{n}");
        Job {
            target: "true".into(),
            notice,
        }
    }

    #[tokio::test]
    async fn a_full_queue_drops_the_oldest_and_counts_them() {
        let queue = Queue::new(3);
        for n in 0..5 {
            queue.push(job(n));
        }
        let (first, dropped) = queue.next().await.unwrap();
        assert_eq!((first.notice.alert.backend.as_str(), dropped), ("b2", 2));
        let (second, dropped) = queue.next().await.unwrap();
        assert_eq!((second.notice.alert.backend.as_str(), dropped), ("b3", 0));
        queue.close();
        queue.push(job(9));
        assert_eq!(
            queue.next().await.map(|(j, _)| j.notice.alert.backend),
            Some("b4".to_string()),
            "what waits is still done after closing"
        );
        assert!(queue.next().await.is_none());
    }

    #[tokio::test]
    async fn commands_fail_on_exit_status_and_time_limit() {
        let limit = Duration::from_secs(5);
        assert!(run_command("cat >/dev/null", b"{}", limit).await.is_ok());
        let err = run_command("echo oops >&2; exit 3", b"{}", limit)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "exit status 3: oops");
        let started = std::time::Instant::now();
        let err = run_command("sleep 30", b"{}", Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(matches!(err, HookError::TimedOut { .. }), "{err}");
        assert_eq!(err.to_string(), "still running after 0.2s: killed");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
