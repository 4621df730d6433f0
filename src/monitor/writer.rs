//! Write coalescing: every poller's results go through one writer task that batches them and
//! writes at most once per `every` (1 s), with a single filesystem sync per batch, however many
//! backends there are. A final flush on shutdown keeps everything acknowledged.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::alerts::Alert;
use super::history::{encode_line, Point};
use crate::stats::{BackendStats, HealthStatus};
use crate::store::{BatchWrite, Store};

pub enum WriteOp {
    Stats(Box<BackendStats>),
    History {
        id: String,
        point: Point,
    },
    /// Compact the history file: keep what `history::retain` keeps for `hours`.
    HistoryCompact {
        id: String,
        hours: u64,
    },
    Alerts(Vec<Alert>),
    /// A backend was removed: drop what is pending for it, and delete what was written of it
    /// (stats, inventory, test result, history), so that nothing of it comes back and a new
    /// backend with the same id starts clean. Done here, in the one task that writes, so that
    /// no pending write can land after the deletion.
    Forget(String),
    /// Write everything pending now, sync, and answer.
    Flush(oneshot::Sender<()>),
}

pub fn history_path(store: &Store, id: &str) -> std::path::PathBuf {
    store.cache_dir().join(id).join("history.ndjson")
}

/// Stats of one backend are written at most this often (and on shutdown), unless their health
/// changed: they are what the next start shows first, and creating a thousand files a minute
/// (inode allocation is most of the engine's CPU) costs more than figures a few minutes old
/// after a crash are worth. A change of health goes out at the next flush.
pub const STATS_WRITE_EVERY: Duration = Duration::from_secs(300);

/// History appends wait at most this long: charts are drawn from memory, and batching them
/// spares a thousand small appends every few seconds.
pub const HISTORY_WRITE_EVERY: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Pending {
    /// When the oldest history append still pending arrived.
    appends_since: Option<tokio::time::Instant>,
    /// Latest stats per backend, with when they first became dirty.
    stats: HashMap<String, (tokio::time::Instant, BackendStats)>,
    /// The health last written for each backend: a change is written at the next flush.
    written_health: HashMap<String, HealthStatus>,
    appends: HashMap<String, String>,
    compactions: HashMap<String, u64>,
    alerts: Option<Vec<Alert>>,
}

impl Pending {
    /// Something is due for the next periodic flush.
    fn is_due(&self) -> bool {
        self.stats
            .values()
            .any(|(since, stats)| self.stats_due(since, stats))
            || self
                .appends_since
                .is_some_and(|since| since.elapsed() >= HISTORY_WRITE_EVERY)
            || !self.compactions.is_empty()
            || self.alerts.is_some()
    }

    fn stats_due(&self, since: &tokio::time::Instant, stats: &BackendStats) -> bool {
        since.elapsed() >= STATS_WRITE_EVERY
            || self.written_health.get(&stats.id) != Some(&stats.health.status)
    }

    fn add(&mut self, op: WriteOp) {
        match op {
            WriteOp::Stats(stats) => {
                let since = self
                    .stats
                    .get(&stats.id)
                    .map(|(since, _)| *since)
                    .unwrap_or_else(tokio::time::Instant::now);
                self.stats.insert(stats.id.clone(), (since, *stats));
            }
            WriteOp::History { id, point } => {
                self.appends_since
                    .get_or_insert_with(tokio::time::Instant::now);
                self.appends
                    .entry(id)
                    .or_default()
                    .push_str(&encode_line(&point));
            }
            WriteOp::HistoryCompact { id, hours } => {
                self.compactions.insert(id, hours);
            }
            WriteOp::Alerts(alerts) => self.alerts = Some(alerts),
            WriteOp::Forget(id) => {
                self.stats.remove(&id);
                self.written_health.remove(&id);
                self.appends.remove(&id);
                self.compactions.remove(&id);
            }
            WriteOp::Flush(_) => {}
        }
    }

    /// What to write now: everything when `all` (shutdown), else what is due; and the history
    /// files to compact, with the points still pending for them.
    fn take_batch(&mut self, store: &Store, all: bool) -> (Vec<BatchWrite>, Vec<Compaction>) {
        let mut batch = Vec::new();
        let due: Vec<String> = self
            .stats
            .iter()
            .filter(|(_, (since, stats))| all || self.stats_due(since, stats))
            .map(|(id, _)| id.clone())
            .collect();
        for (id, stats) in due
            .into_iter()
            .filter_map(|id| self.stats.remove(&id).map(|(_, s)| (id, s)))
        {
            self.written_health.insert(id.clone(), stats.health.status);
            match serde_json::to_value(&stats) {
                Ok(value) => batch.push(BatchWrite::Metadata {
                    key: crate::poll::stats_key(&id),
                    value,
                }),
                Err(err) => store.log("ERROR", &format!("cannot encode the stats of {id}: {err}")),
            }
        }
        let compactions: Vec<Compaction> = self
            .compactions
            .drain()
            .map(|(id, hours)| Compaction {
                path: history_path(store, &id),
                pending: self.appends.remove(&id).unwrap_or_default(),
                hours,
            })
            .collect();
        self.appends_since = None;
        for (id, text) in self.appends.drain() {
            batch.push(BatchWrite::Append {
                path: history_path(store, &id),
                bytes: text.into_bytes(),
            });
        }
        if let Some(alerts) = self.alerts.take() {
            match serde_json::to_value(&alerts) {
                Ok(value) => batch.push(BatchWrite::Metadata {
                    key: "alerts".into(),
                    value,
                }),
                Err(err) => store.log("ERROR", &format!("cannot encode the alerts: {err}")),
            }
        }
        (batch, compactions)
    }
}

/// Runs until every sender is gone, then flushes what is left.
pub async fn run(
    store: Store,
    mut ops: mpsc::UnboundedReceiver<WriteOp>,
    flushes: Arc<AtomicU64>,
    every: Duration,
) {
    let mut pending = Pending::default();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            op = ops.recv() => match op {
                Some(WriteOp::Flush(done)) => {
                    flush(&store, &mut pending, &flushes, true).await;
                    // Make the last renames durable too: this is a shutdown.
                    let sync_store = store.clone();
                    let _ = tokio::task::spawn_blocking(move || sync_store.sync_now()).await;
                    let _ = done.send(());
                }
                Some(WriteOp::Forget(id)) => {
                    pending.add(WriteOp::Forget(id.clone()));
                    let store = store.clone();
                    let _ = tokio::task::spawn_blocking(move || forget(&store, &id)).await;
                }
                Some(op) => pending.add(op),
                None => {
                    flush(&store, &mut pending, &flushes, true).await;
                    return;
                }
            },
            _ = tick.tick() => {
                if pending.is_due() {
                    flush(&store, &mut pending, &flushes, false).await;
                }
            }
        }
    }
}

/// Deletes what was kept of a removed backend, unless a backend with its id exists again (added
/// back by another process in the meantime).
fn forget(store: &Store, id: &str) {
    if store.backend_exists(id) {
        return;
    }
    for key in [
        crate::poll::stats_key(id),
        crate::poll::inventory_key(id),
        crate::poll::test_key(id),
    ] {
        if let Err(err) = store.remove_metadata(&key) {
            store.log("WARNING", &format!("cannot remove {key}: {err}"));
        }
    }
    let cache = store.cache_dir().join(id);
    match std::fs::remove_dir_all(&cache) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => store.log(
            "WARNING",
            &format!("cannot remove {}: {err}", cache.display()),
        ),
    }
}

/// A history file to rewrite with what `history::retain` keeps, plus the points not yet in it.
struct Compaction {
    path: std::path::PathBuf,
    pending: String,
    hours: u64,
}

impl Compaction {
    /// Reads the file and returns its compacted replacement (blocking I/O).
    fn into_write(self) -> BatchWrite {
        let mut text = std::fs::read_to_string(&self.path).unwrap_or_default();
        text.push_str(&self.pending);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let kept = super::history::retain(super::history::decode_text(&text), now, self.hours);
        BatchWrite::Replace {
            path: self.path,
            bytes: kept
                .iter()
                .map(encode_line)
                .collect::<String>()
                .into_bytes(),
        }
    }
}

async fn flush(store: &Store, pending: &mut Pending, flushes: &AtomicU64, all: bool) {
    let (mut batch, compactions) = pending.take_batch(store, all);
    if batch.is_empty() && compactions.is_empty() {
        return;
    }
    let writer = store.clone();
    let result = tokio::task::spawn_blocking(move || {
        batch.extend(compactions.into_iter().map(Compaction::into_write));
        writer.write_batch(batch)
    })
    .await;
    flushes.fetch_add(1, Ordering::Relaxed);
    match result {
        Ok(Ok(())) => {}
        // The terminal may belong to the console: errors go to the log, not to stderr.
        Ok(Err(err)) => store.log("ERROR", &format!("writing stats failed: {err}")),
        Err(err) => store.log("ERROR", &format!("the writer task failed: {err}")),
    }
}
