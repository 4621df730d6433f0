//! The hooks' worker: one bounded queue and one task per hook, so that each delivers in
//! order (a raise before its clear) and a slow one does not hold the other back; the feed the
//! engine pushes into, and the runner that starts the tasks and stops them within a grace.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{broadcast, Notify};
use tokio::task::JoinHandle;

use super::command::{command_label, run_command};
use super::payload::{hostname, Notice, Payload};
use super::webhook::{post, redact_url, webhook_client};
use super::{seconds, HookConfig, HookError, HookFailure, Targets};
use crate::monitor::alerts::Change;
use crate::monitor::Event;
use crate::store::{timestamp, Store};

pub(super) fn hook_label(hook: HookKind, target: &str) -> String {
    match hook {
        HookKind::Command => command_label(target),
        HookKind::Webhook => format!("webhook {}", redact_url(target)),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum HookKind {
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
        self.push(targets, notice);
    }

    /// Queues a reminder of an alert still active for each hook in `targets`; never waits.
    pub fn remind(
        &self,
        targets: &Targets,
        alert: &crate::monitor::alerts::Alert,
        kind: Option<&str>,
    ) {
        if targets.command.is_none() && targets.webhook.is_none() {
            return;
        }
        self.push(targets, Notice::reminder(alert, kind));
    }

    fn push(&self, targets: &Targets, notice: Notice) {
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
                post(&client, &job.target, &self.config, || {
                    self.payload(&job.notice)
                })
                .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::hooks::payload::AlertEvent;
    use crate::monitor::hooks::test_notice::notice;

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
}
