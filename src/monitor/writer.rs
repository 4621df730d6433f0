//! Write coalescing: every poller's results go through one writer task that batches them and
//! writes at most once per `every` (1 s), with a single filesystem sync per batch, however many
//! backends there are. A final flush on shutdown keeps everything acknowledged.
//!
//! When the home cannot be written (its disk is full, read-only, or denies us), nothing is
//! lost while the process runs: what did not land is held in memory and tried again every
//! `RETRY_EVERY` (newer stats and alerts replacing held ones, appends kept in order), the
//! trouble is announced once (`Event::HomeTrouble`) with its reason, and again when writing
//! works (`Event::HomeWritable`); on shutdown, what still cannot be written is reported.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, mpsc, oneshot};

use super::alerts::Alert;
use super::history::{encode_line, Point};
use super::timeline::{self, TimelineEvent};
use super::Event;
use crate::stats::{BackendStats, HealthStatus};
use crate::store::{BatchFailure, BatchWrite, Store};

/// While the home cannot be written, held writes are tried again this often.
pub const RETRY_EVERY: Duration = Duration::from_secs(5);

/// Why the home cannot be written, as the screen and the log say it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HomeTrouble {
    /// The reason, naming the file and the system's word (`No space left on device`).
    pub reason: String,
    /// Writes held in memory, waiting to be written.
    pub held: usize,
}

/// What a shutdown's last flush left unwritten: `None` when everything landed.
pub type Unsaved = Option<HomeTrouble>;

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
    /// Every alert kept. `urgent` for a raise, a clear or an operator's change (written at the
    /// next flush); a message that only follows its figure waits for a flush due anyway (at
    /// most `STATS_WRITE_EVERY`, and on shutdown): it must not cost a sync a second.
    Alerts {
        records: Vec<Alert>,
        urgent: bool,
    },
    /// A backend was removed: drop what is pending for it, and delete what was written of it
    /// (stats, inventory, test result, history), so that nothing of it comes back and a new
    /// backend with the same id starts clean. Done here, in the one task that writes, so that
    /// no pending write can land after the deletion.
    Forget(String),
    /// An event of a backend's timeline. `urgent` (health, alerts) goes out at the next
    /// flush; the others wait like history appends (at most `HISTORY_WRITE_EVERY`).
    Event {
        id: String,
        event: TimelineEvent,
        urgent: bool,
    },
    /// Write everything pending now, sync, and answer with what could not be written.
    Flush(oneshot::Sender<Unsaved>),
}

/// A timeline is compacted (cut to `timeline::MAX_EVENTS` and `MAX_AGE_SECS`) at this
/// process's first append to it, then after this many more: not on every append.
pub const EVENTS_COMPACT_MARGIN: usize = 100;

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
    /// When the pending alerts became dirty, and whether a raise or clear is among them.
    alerts_since: Option<(tokio::time::Instant, bool)>,
    /// Timeline lines per backend not yet written, and when the oldest came and whether one
    /// of them is urgent.
    events: HashMap<String, String>,
    events_since: Option<(tokio::time::Instant, bool)>,
    /// Events appended to each timeline by this process since it was last compacted (absent:
    /// not compacted yet by this process).
    events_appended: HashMap<String, usize>,
    /// Writes of a batch that did not land (the home could not be written), to try again.
    held: Vec<BatchWrite>,
    /// Set while the home cannot be written: the reason, and when to try again.
    trouble: Option<(String, tokio::time::Instant)>,
}

impl Pending {
    /// Something is due for the next periodic flush. While the home cannot be written, only
    /// every `RETRY_EVERY`.
    fn is_due(&self) -> bool {
        if let Some((_, since)) = &self.trouble {
            return since.elapsed() >= RETRY_EVERY;
        }
        self.stats
            .values()
            .any(|(since, stats)| self.stats_due(since, stats))
            || self
                .appends_since
                .is_some_and(|since| since.elapsed() >= HISTORY_WRITE_EVERY)
            || !self.compactions.is_empty()
            || self
                .events_since
                .is_some_and(|(since, urgent)| urgent || since.elapsed() >= HISTORY_WRITE_EVERY)
            || self
                .alerts_since
                .is_some_and(|(since, urgent)| urgent || since.elapsed() >= STATS_WRITE_EVERY)
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
            WriteOp::Alerts { records, urgent } => {
                self.alerts = Some(records);
                let (since, was_urgent) = self
                    .alerts_since
                    .unwrap_or((tokio::time::Instant::now(), false));
                self.alerts_since = Some((since, was_urgent || urgent));
            }
            WriteOp::Event { id, event, urgent } => {
                let (since, was_urgent) = self
                    .events_since
                    .unwrap_or((tokio::time::Instant::now(), false));
                self.events_since = Some((since, was_urgent || urgent));
                self.events
                    .entry(id)
                    .or_default()
                    .push_str(&event.encode_line());
            }
            WriteOp::Forget(id) => {
                self.stats.remove(&id);
                self.written_health.remove(&id);
                self.appends.remove(&id);
                self.compactions.remove(&id);
                self.events.remove(&id);
                self.events_appended.remove(&id);
                let key = crate::poll::stats_key(&id);
                self.held.retain(|write| match write {
                    BatchWrite::Metadata { key: held, .. } => *held != key,
                    BatchWrite::AppendHistory { id: held, .. }
                    | BatchWrite::ReplaceHistory { id: held, .. }
                    | BatchWrite::AppendEvents { id: held, .. }
                    | BatchWrite::CompactEvents { id: held, .. } => *held != id,
                });
            }
            WriteOp::Flush(_) => {}
        }
    }

    /// What to write now: everything when `all` (shutdown), else what is due, after what was
    /// held from a batch that did not land; and the history files to compact, with the points
    /// still pending for them.
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
        if let Some(alerts) = self.alerts.take() {
            self.alerts_since = None;
            match serde_json::to_value(&alerts) {
                Ok(value) => batch.push(BatchWrite::Metadata {
                    key: "alerts".into(),
                    value,
                }),
                Err(err) => store.log("ERROR", &format!("cannot encode the alerts: {err}")),
            }
        }
        // Held replacements of a file (a compaction that did not land) take the appends to it
        // that came since, so that the file is never appended to before it is replaced.
        let mut held = std::mem::take(&mut self.held);
        for write in &mut held {
            if let BatchWrite::ReplaceHistory { id, bytes } = write {
                if let Some(text) = self.appends.remove(id.as_str()) {
                    bytes.extend_from_slice(text.as_bytes());
                }
                self.compactions.remove(id.as_str());
            }
        }
        let held_replacing = |id: &str| {
            held.iter()
                .any(|w| matches!(w, BatchWrite::ReplaceHistory { id: held, .. } if held == id))
        };
        let compactions: Vec<Compaction> = self
            .compactions
            .drain()
            .map(|(id, hours)| Compaction {
                pending: self.appends.remove(&id).unwrap_or_default(),
                id,
                hours,
            })
            .filter(|c| !held_replacing(&c.id))
            .collect();
        self.appends_since = None;
        for (id, text) in self.appends.drain() {
            // Appends held from before go first: the file keeps the points' order.
            let mut bytes = Vec::new();
            held.retain(|write| match write {
                BatchWrite::AppendHistory { id: held, bytes: b } if *held == id => {
                    bytes.extend_from_slice(b);
                    false
                }
                _ => true,
            });
            bytes.extend_from_slice(text.as_bytes());
            trim_held_history(&mut bytes);
            batch.push(BatchWrite::AppendHistory { id, bytes });
        }
        self.events_since = None;
        for (id, text) in self.events.drain() {
            // Events held from before go first: the timeline keeps its order.
            let mut bytes = Vec::new();
            held.retain(|write| match write {
                BatchWrite::AppendEvents { id: held, bytes: b } if *held == id => {
                    bytes.extend_from_slice(b);
                    false
                }
                _ => true,
            });
            let lines = text.lines().count();
            bytes.extend_from_slice(text.as_bytes());
            trim_held_history(&mut bytes);
            batch.push(BatchWrite::AppendEvents {
                id: id.clone(),
                bytes,
            });
            let appended = self.events_appended.get(&id).map(|n| n + lines);
            match appended {
                Some(n) if n < EVENTS_COMPACT_MARGIN => {
                    self.events_appended.insert(id, n);
                }
                _ => {
                    self.events_appended.insert(id.clone(), 0);
                    batch.push(BatchWrite::CompactEvents {
                        id,
                        keep: timeline::MAX_EVENTS,
                        max_age_secs: timeline::MAX_AGE_SECS,
                    });
                }
            }
        }
        // A held stats or alerts file is replaced by a newer one of the same key.
        held.retain(|write| match write {
            BatchWrite::Metadata { key, .. } => !batch
                .iter()
                .any(|w| matches!(w, BatchWrite::Metadata { key: k, .. } if k == key)),
            _ => true,
        });
        held.extend(batch);
        (held, compactions)
    }

    /// Takes a batch's outcome: what did not land is held to try again, and a change of the
    /// home's state is announced once.
    fn landed(
        &mut self,
        store: &Store,
        events: &broadcast::Sender<Event>,
        failure: Option<BatchFailure>,
    ) {
        match failure {
            None => {
                if let Some((reason, _)) = self.trouble.take() {
                    store.log(
                        "INFO",
                        &format!("the home can be written again (it could not: {reason})"),
                    );
                    let _ = events.send(Event::HomeWritable);
                }
            }
            Some(BatchFailure { error, unwritten }) => {
                let reason = trouble_reason(store, &error);
                let said = self.trouble.as_ref().map(|(r, _)| r.as_str()) == Some(&reason);
                self.held = unwritten;
                self.trouble = Some((reason.clone(), tokio::time::Instant::now()));
                if !said {
                    store.log(
                        "ERROR",
                        &format!(
                            "cannot write the home ({} writes held in memory): {reason}",
                            self.held.len()
                        ),
                    );
                    let _ = events.send(Event::HomeTrouble(HomeTrouble {
                        reason,
                        held: self.held.len(),
                    }));
                }
            }
        }
    }

    /// What is still unwritten now, for the shutdown's report.
    fn unsaved(&self) -> Unsaved {
        self.trouble.as_ref().map(|(reason, _)| HomeTrouble {
            reason: reason.clone(),
            held: self.held.len(),
        })
    }
}

/// Why the home cannot be written, the same words each time for one cause (said once per
/// reason): the home and the system's word for it, not the temp file that met it (a new name
/// at each try).
fn trouble_reason(store: &Store, error: &crate::store::StoreError) -> String {
    use std::io::ErrorKind;
    let crate::store::StoreError::Io { source, .. } = error else {
        return error.to_string();
    };
    let what = match (source.raw_os_error(), source.kind()) {
        (Some(code), _) => std::io::Error::from_raw_os_error(code).to_string(),
        // A wrapped error (the temp file crate's names its path) keeps its kind.
        (None, ErrorKind::StorageFull) => "No space left on device".to_string(),
        (None, ErrorKind::ReadOnlyFilesystem) => "Read-only file system".to_string(),
        (None, ErrorKind::PermissionDenied) => "Permission denied".to_string(),
        (None, ErrorKind::QuotaExceeded) => "Disk quota exceeded".to_string(),
        (None, _) => source
            .to_string()
            .split(" at path ")
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    format!("{}: {what}", store.home().display())
}

/// History held for one backend while the home cannot be written, at most: the newest points
/// (about an hour at a 5 s refresh) are kept, older ones go first, so that memory stays
/// bounded however long the disk stays full. Stats and alerts are never dropped: there is one
/// of each per backend, the newest.
pub const HELD_HISTORY_BYTES: usize = 64 * 1024;

/// Cuts whole lines from the front of a backend's held history beyond `HELD_HISTORY_BYTES`.
fn trim_held_history(bytes: &mut Vec<u8>) {
    if bytes.len() <= HELD_HISTORY_BYTES {
        return;
    }
    let from = bytes.len() - HELD_HISTORY_BYTES;
    let cut = bytes[from..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |at| from + at + 1);
    bytes.drain(..cut);
}

/// Runs until every sender is gone, then flushes what is left.
pub async fn run(
    store: Store,
    mut ops: mpsc::UnboundedReceiver<WriteOp>,
    flushes: Arc<AtomicU64>,
    every: Duration,
    events: broadcast::Sender<Event>,
) {
    let mut pending = Pending::default();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            op = ops.recv() => match op {
                Some(WriteOp::Flush(done)) => {
                    flush(&store, &mut pending, &flushes, true, &events).await;
                    // Make the last renames durable too: this is a shutdown.
                    let sync_store = store.clone();
                    let _ = tokio::task::spawn_blocking(move || sync_store.sync_now()).await;
                    let _ = done.send(pending.unsaved());
                }
                Some(WriteOp::Forget(id)) => {
                    pending.add(WriteOp::Forget(id.clone()));
                    let store = store.clone();
                    let _ = tokio::task::spawn_blocking(move || forget(&store, &id)).await;
                }
                Some(op) => pending.add(op),
                None => {
                    flush(&store, &mut pending, &flushes, true, &events).await;
                    return;
                }
            },
            _ = tick.tick() => {
                if pending.is_due() {
                    flush(&store, &mut pending, &flushes, false, &events).await;
                }
            }
        }
    }
}

/// Deletes what was kept of a removed backend, unless a backend with its id exists again (added
/// back by another process in the meantime).
fn forget(store: &Store, id: &str) {
    if !store.backend_exists(id) {
        store.forget_backend(id);
    }
}

/// A backend's history file to rewrite with what `history::retain` keeps, plus the points not
/// yet in it.
struct Compaction {
    id: String,
    pending: String,
    hours: u64,
}

impl Compaction {
    /// Reads the file and returns its compacted replacement (blocking I/O).
    fn into_write(self, store: &Store) -> BatchWrite {
        let mut text = store.read_history(&self.id);
        text.push_str(&self.pending);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let kept = super::history::retain(super::history::decode_text(&text), now, self.hours);
        BatchWrite::ReplaceHistory {
            id: self.id,
            bytes: kept
                .iter()
                .map(encode_line)
                .collect::<String>()
                .into_bytes(),
        }
    }
}

async fn flush(
    store: &Store,
    pending: &mut Pending,
    flushes: &AtomicU64,
    all: bool,
    events: &broadcast::Sender<Event>,
) {
    let (mut batch, compactions) = pending.take_batch(store, all);
    if batch.is_empty() && compactions.is_empty() {
        return;
    }
    let writer = store.clone();
    let result = tokio::task::spawn_blocking(move || {
        batch.extend(compactions.into_iter().map(|c| c.into_write(&writer)));
        writer.write_batch(batch)
    })
    .await;
    flushes.fetch_add(1, Ordering::Relaxed);
    match result {
        Ok(Ok(())) => pending.landed(store, events, None),
        Ok(Err(failure)) => pending.landed(store, events, Some(failure)),
        // The terminal may belong to the console: errors go to the log, not to stderr.
        Err(err) => store.log("ERROR", &format!("the writer task failed: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    fn acknowledged(id: &str) -> WriteOp {
        WriteOp::Event {
            id: id.into(),
            event: TimelineEvent::now(timeline::What::AlertAcknowledged {
                rule: super::super::alerts::Rule::Down,
            }),
            urgent: false,
        }
    }

    fn compactions_of(batch: &[BatchWrite]) -> usize {
        batch
            .iter()
            .filter(|w| matches!(w, BatchWrite::CompactEvents { .. }))
            .count()
    }

    #[tokio::test(start_paused = true)]
    async fn events_wait_unless_urgent_and_a_timeline_is_compacted_first_then_every_margin() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let mut pending = Pending::default();
        pending.add(acknowledged("a"));
        assert!(
            !pending.is_due(),
            "an ordinary event waits for the history's flush"
        );
        tokio::time::advance(HISTORY_WRITE_EVERY).await;
        assert!(pending.is_due());
        let (batch, _) = pending.take_batch(&store, false);
        assert_eq!(
            compactions_of(&batch),
            1,
            "this process's first append to it"
        );
        assert!(batch
            .iter()
            .any(|w| matches!(w, BatchWrite::AppendEvents { id, .. } if id == "a")));

        let mut urgent = acknowledged("a");
        if let WriteOp::Event { urgent: u, .. } = &mut urgent {
            *u = true;
        }
        pending.add(urgent);
        assert!(
            pending.is_due(),
            "health and alerts go out at the next flush"
        );
        let (batch, _) = pending.take_batch(&store, false);
        assert_eq!(compactions_of(&batch), 0, "not on every append");
        for _ in 0..EVENTS_COMPACT_MARGIN {
            pending.add(acknowledged("a"));
        }
        let (batch, _) = pending.take_batch(&store, true);
        assert_eq!(compactions_of(&batch), 1, "again once past the margin");

        // A removed backend's pending and held events go with it.
        pending.add(acknowledged("b"));
        pending.held.push(BatchWrite::AppendEvents {
            id: "b".into(),
            bytes: b"{}\n".to_vec(),
        });
        pending.add(WriteOp::Forget("b".into()));
        let (batch, _) = pending.take_batch(&store, true);
        assert!(batch.is_empty(), "{batch:?}");
    }

    #[test]
    fn one_cause_is_said_in_the_same_words_whatever_temp_file_met_it() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(dir.path()).unwrap();
        let full = |temp: &str| StoreError::Io {
            path: store.metadata_dir().join(temp),
            source: std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                format!("No space left on device (os error 28) at path \"{temp}\""),
            ),
        };
        let first = trouble_reason(&store, &full(".stats.a.json.JlEkbO.tmp"));
        let second = trouble_reason(&store, &full(".stats.b.json.57EfaQ.tmp"));
        assert_eq!(first, second);
        assert_eq!(
            first,
            format!("{}: No space left on device", store.home().display())
        );
        let raw = StoreError::Io {
            path: store.home().join("x"),
            source: std::io::Error::from_raw_os_error(30),
        };
        assert!(trouble_reason(&store, &raw).ends_with("Read-only file system (os error 30)"));
    }
}
