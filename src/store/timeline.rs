//! Each backend's timeline file (`cache/ID/events.ndjson`): one JSON object a line, each with an
//! RFC 3339 `at`. Appended to through [`Store::write_batch`] (`BatchWrite::AppendEvents`, by the
//! engine's one writer) or [`Store::append_events`] (a command without an engine), and bounded
//! by `BatchWrite::CompactEvents`: the newest `keep` lines younger than `max_age_secs`,
//! rewritten atomically under the metadata lock, so that a line another process appends
//! meanwhile is never lost. The store knows only `at`; what a line holds is the engine's
//! (`monitor::timeline`). The file goes with the backend's cache directory (`forget_backend`).

use std::path::PathBuf;

use super::error::Result;
use super::{fsio, timestamp, Store};

impl Store {
    /// A backend's timeline file.
    pub(super) fn events_path(&self, id: &str) -> Result<PathBuf> {
        Ok(self.backend_cache_dir(id)?.join("events.ndjson"))
    }

    /// The text of a backend's timeline file: empty when it has none (or it cannot be read:
    /// a timeline without its past is better than none).
    pub fn read_events(&self, id: &str) -> String {
        self.events_path(id)
            .ok()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default()
    }

    /// The last whole lines of a backend's timeline within its last `max_bytes` (the engine's
    /// start looks there for the last health transition, without reading the whole file).
    pub fn read_events_tail(&self, id: &str, max_bytes: u64) -> String {
        self.events_path(id)
            .map(|path| super::fsio::read_tail(&path, max_bytes))
            .unwrap_or_default()
    }

    /// Appends whole lines to a backend's timeline now, under the metadata lock (a command
    /// that runs no engine: its own edits and tests). A torn last line is cut off first.
    pub fn append_events(&self, id: &str, bytes: &[u8]) -> Result<()> {
        let path = self.events_path(id)?;
        let _lock = self.lock_metadata()?;
        self.append_whole(&path, bytes)?;
        std::fs::File::open(&path)
            .and_then(|file| file.sync_data())
            .map_err(|e| super::StoreError::io(&path, e))
    }

    /// Rewrites a backend's timeline with its newest `keep` lines younger than `max_age_secs`
    /// (the caller holds the metadata lock). Lines that do not read (torn, no time) go too.
    pub(super) fn compact_events_locked(
        &self,
        id: &str,
        keep: usize,
        max_age_secs: u64,
    ) -> Result<()> {
        let path = self.events_path(id)?;
        let Some(bytes) = fsio::read_optional(&path)? else {
            return Ok(());
        };
        let text = String::from_utf8_lossy(&bytes);
        let kept = compacted(&text, keep, max_age_secs, chrono::Utc::now().timestamp());
        if kept.len() == bytes.len() {
            return Ok(());
        }
        fsio::write_atomic(&path, kept.as_bytes())
    }
}

/// The lines of a timeline `compact_events_locked` keeps at `now` (unix seconds).
fn compacted(text: &str, keep: usize, max_age_secs: u64, now: i64) -> String {
    let oldest = now.saturating_sub(i64::try_from(max_age_secs).unwrap_or(i64::MAX));
    let young: Vec<&str> = text
        .split_inclusive('\n')
        .filter(|line| line.ends_with('\n'))
        .filter(|line| {
            serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("at").and_then(|at| at.as_str()).map(str::to_string))
                .and_then(|at| timestamp::parse(&at))
                .is_some_and(|at| at.timestamp() >= oldest)
        })
        .collect();
    let skip = young.len().saturating_sub(keep);
    young[skip..].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::BatchWrite;

    fn line(at: i64, n: usize) -> String {
        let at = chrono::DateTime::from_timestamp(at, 0).unwrap();
        format!(
            "{{\"at\":\"{}\",\"kind\":\"x\",\"n\":{n}}}\n",
            timestamp::format(at)
        )
    }

    #[test]
    fn compaction_keeps_the_newest_within_the_age_and_drops_what_does_not_read() {
        let now = 1_800_000_000;
        let mut text = line(now - 40 * 86_400, 0);
        for n in 1..=10 {
            text.push_str(&line(now - 100 + n as i64, n));
        }
        text.push_str("not json\n{\"kind\":\"no time\"}\n");
        text.push_str(&line(now, 11));
        text.push_str("{\"at\":\"2026-"); // torn
        let kept = compacted(&text, 5, 30 * 86_400, now);
        let ns: Vec<u64> = kept
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["n"]
                    .as_u64()
                    .unwrap()
            })
            .collect();
        assert_eq!(ns, [7, 8, 9, 10, 11]);
        let all = compacted(&text, 1_000, 30 * 86_400, now);
        assert_eq!(all.lines().count(), 11, "the 40-day-old line goes");
    }

    #[test]
    fn appends_from_a_command_and_the_writer_share_one_file_which_goes_with_the_backend() {
        let home = tempfile::tempdir().unwrap();
        let (store, _) = Store::open(home.path()).unwrap();
        let now = chrono::Utc::now().timestamp();
        store
            .append_events("objs", line(now - 2, 1).as_bytes())
            .unwrap();
        // A torn line left by a crash is cut off before the next append.
        let path = store.events_path("objs").unwrap();
        let mut torn = std::fs::read_to_string(&path).unwrap();
        torn.push_str("{\"at\":");
        std::fs::write(&path, torn).unwrap();
        store
            .write_batch(vec![BatchWrite::AppendEvents {
                id: "objs".into(),
                bytes: line(now - 1, 2).into_bytes(),
            }])
            .unwrap();
        assert_eq!(
            store.read_events("objs"),
            line(now - 2, 1) + &line(now - 1, 2)
        );
        store
            .write_batch(vec![
                BatchWrite::AppendEvents {
                    id: "objs".into(),
                    bytes: line(now, 3).into_bytes(),
                },
                BatchWrite::CompactEvents {
                    id: "objs".into(),
                    keep: 2,
                    max_age_secs: 86_400,
                },
            ])
            .unwrap();
        assert_eq!(
            store.read_events("objs"),
            line(now - 1, 2) + &line(now, 3),
            "the append of the same batch lands before the compaction"
        );
        store.forget_backend("objs");
        assert!(!path.exists());
        assert_eq!(store.read_events("objs"), "");
    }
}
