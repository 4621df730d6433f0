//! Crash consistency: a child process writing through the store in a loop is SIGKILLed at random
//! moments, over and over. After every kill each file in the home must parse, and each backend
//! must hold the value it had at the last acknowledged write or the one after it (the write the
//! kill interrupted): never a torn file, never a lost acknowledged write.
//!
//! The test binary re-executes itself as the child: `child_writer` is an ignored test that does
//! nothing unless `CRASH_CHILD_HOME` is set. Set `CRASH_SEED` to replay a run.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use ipfs_kit_tui::store::Store;
use serde_json::{json, Map, Value};

use crate::support;

const HOME_ENV: &str = "CRASH_CHILD_HOME";
/// Backends whose `generation` the child keeps raising.
const BACKENDS: usize = 4;
/// The backend the child adds and removes in turn.
const CYCLED: &str = "cyc";
const METADATA_KEY: &str = "crash.generation";
const KILLS: usize = 200;
/// Every line the child means for the parent starts with this, wherever libtest's own output
/// leaves it on the line.
const TAG: &str = "@@crash ";

fn backend_id(i: usize) -> String {
    format!("b{i}")
}

fn local_config(path: &str, generation: u64) -> Map<String, Value> {
    let value = json!({"type": "local", "enabled": true, "path": path, "generation": generation});
    value.as_object().expect("object").clone()
}

fn generation(config: &Map<String, Value>) -> u64 {
    config
        .get("generation")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no generation in {config:?}"))
}

/// The child: raises each backend's generation in turn, writes a metadata entry, adds and
/// removes `cyc`; after each completed write it prints `@@crash ack WHAT VALUE` and flushes.
#[test]
#[ignore = "helper process spawned by crash_consistency; does nothing on its own"]
fn child_writer() {
    let Some(home) = std::env::var_os(HOME_ENV) else {
        return;
    };
    let (store, _) = Store::open(PathBuf::from(home)).expect("child: open store");
    // Continue from what is on disk: a write the previous child did not acknowledge may be there.
    let mut generations: Vec<u64> = (0..BACKENDS)
        .map(|i| generation(store.get_backend(&backend_id(i)).expect("read").config()))
        .collect();
    let mut meta = store
        .read_metadata(METADATA_KEY)
        .expect("read metadata")
        .and_then(|e| e.value.get("n").and_then(Value::as_u64))
        .unwrap_or(0);
    let mut cycled_present = store.backend_exists(CYCLED);
    let mut out = std::io::stdout().lock();
    writeln!(out, "\n{TAG}ready").expect("write");
    out.flush().expect("flush");
    let mut step = 0usize;
    loop {
        // Every other write adds or removes `cyc`, so that kills land in those too.
        let slot = if step % 2 == 1 {
            BACKENDS + 1
        } else {
            (step / 2) % (BACKENDS + 1)
        };
        let line = match slot {
            i if i < BACKENDS => {
                let id = backend_id(i);
                let next = generations[i] + 1;
                store
                    .update_backend(&id, &[("generation".into(), Some(json!(next)))])
                    .expect("child: update");
                generations[i] = next;
                format!("ack {id} {next}")
            }
            i if i == BACKENDS => {
                meta += 1;
                store
                    .write_metadata(METADATA_KEY, json!({ "n": meta }))
                    .expect("child: write metadata");
                format!("ack meta {meta}")
            }
            _ => {
                if cycled_present {
                    store.remove_backend(CYCLED).expect("child: remove");
                } else {
                    store
                        .create_backend(CYCLED, local_config("/data/cyc", step as u64))
                        .expect("child: create");
                }
                cycled_present = !cycled_present;
                format!("ack {CYCLED} {}", u8::from(cycled_present))
            }
        };
        writeln!(out, "\n{TAG}{line}").expect("write");
        out.flush().expect("flush");
        step += 1;
    }
}

/// Kills the child if the parent panics before it does.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What the parent knows: the last acknowledged value of everything the child writes.
#[derive(Debug, Default)]
struct Acked {
    generations: Vec<u64>,
    meta: u64,
}

/// Runs one child until `delay` after it is ready, kills it, and returns its messages.
fn run_and_kill(home: &Path, stderr_path: &Path, delay: Duration) -> Vec<String> {
    let stderr = std::fs::File::create(stderr_path).expect("stderr file");
    let mut child = Command::new(std::env::current_exe().expect("current exe"))
        .args([
            "--exact",
            "crash_consistency::child_writer",
            "--nocapture",
            "--include-ignored",
        ])
        .env(HOME_ENV, home)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("child stdout");
    let mut child = KillOnDrop(child);
    let (tx, rx) = mpsc::channel::<String>();
    let reader = thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                // A line cut short by the kill is no acknowledgement.
                Ok(_) if !line.ends_with('\n') => break,
                Ok(_) => {
                    if let Some(at) = line.find(TAG) {
                        let message = line[at + TAG.len()..].trim().to_string();
                        if tx.send(message).is_err() {
                            break;
                        }
                    }
                }
            }
        }
    });
    let started = Instant::now();
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(message) if message == "ready" => {}
        Ok(message) => panic!("child spoke before it was ready: {message}"),
        Err(_) => {
            let _ = child.0.kill();
            let status = child.0.wait();
            panic!(
                "child not ready after {:?} ({status:?}); stderr:\n{}",
                started.elapsed(),
                std::fs::read_to_string(stderr_path).unwrap_or_default()
            );
        }
    }
    // Not a sleep-as-assertion: this is the random moment at which the writer dies.
    thread::sleep(delay);
    child.0.kill().expect("kill child");
    let status = child.0.wait().expect("wait child");
    assert_eq!(
        status.signal(),
        Some(9),
        "the child must die of SIGKILL, not exit on its own ({status:?}); stderr:\n{}",
        std::fs::read_to_string(stderr_path).unwrap_or_default()
    );
    reader.join().expect("reader thread");
    rx.try_iter().collect()
}

/// The checks after one kill. Updates `acked` to what is on disk, the base the next child
/// starts from.
fn check_after_kill(store: &Store, acked: &mut Acked, round: usize) -> bool {
    let home = store.home();
    for path in support::home::json_files(home) {
        let text = std::fs::read_to_string(&path).expect("read");
        if let Err(err) = serde_json::from_str::<Value>(&text) {
            panic!(
                "round {round}: {} does not parse after a kill: {err}\n{text}",
                path.display()
            );
        }
    }

    let listing = store.list_backends();
    let errors: Vec<String> = listing.errors.iter().map(ToString::to_string).collect();
    assert!(
        errors.is_empty(),
        "round {round}: list_backends reports {errors:?} (a temp file taken for a backend?)"
    );
    let on_disk: BTreeMap<String, &Map<String, Value>> = listing
        .backends
        .iter()
        .map(|b| (b.id.clone(), b.config()))
        .collect();
    let mut unacked_write_landed = false;
    for (i, last) in acked.generations.iter_mut().enumerate() {
        let id = backend_id(i);
        let config = on_disk
            .get(&id)
            .unwrap_or_else(|| panic!("round {round}: backend {id} is gone"));
        let found = generation(config);
        assert!(
            found == *last || found == *last + 1,
            "round {round}: {id} holds generation {found}; the last acknowledged was {last}"
        );
        assert_eq!(config["path"], json!(format!("/data/{id}")), "{config:?}");
        unacked_write_landed |= found != *last;
        *last = found;
    }
    let unknown: Vec<&String> = on_disk
        .keys()
        .filter(|id| *id != CYCLED && !id.starts_with('b'))
        .collect();
    assert!(
        unknown.is_empty(),
        "round {round}: stray backends {unknown:?}"
    );

    let meta = store
        .read_metadata(METADATA_KEY)
        .expect("metadata parses")
        .map(|e| e.value["n"].as_u64().expect("n"))
        .unwrap_or(0);
    assert!(
        meta == acked.meta || meta == acked.meta + 1,
        "round {round}: metadata holds {meta}; the last acknowledged was {}",
        acked.meta
    );
    acked.meta = meta;

    // The index: exactly the files, except that the one backend being added or removed at the
    // kill may be out of step (the kill fell between the file and the index write).
    let main = support::home::read_json(&store.main_json());
    let index = main["backends"].as_object().expect("index object");
    for i in 0..BACKENDS {
        let entry = &index[&backend_id(i)];
        assert_eq!(entry["type"], json!("local"), "round {round}: {main:#}");
        assert_eq!(entry["enabled"], json!(true), "round {round}: {main:#}");
    }
    let stray: Vec<&String> = index
        .keys()
        .filter(|id| *id != CYCLED && !on_disk.contains_key(*id))
        .collect();
    assert!(stray.is_empty(), "round {round}: index entries {stray:?}");
    unacked_write_landed
}

#[test]
fn sigkill_at_random_moments_leaves_old_or_new_values() {
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    println!("crash_consistency seed: {seed} (replay with CRASH_SEED={seed})");
    let mut rng = fastrand::Rng::with_seed(seed);

    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let stderr_path = dir.path().join("child.stderr");
    let (store, _) = Store::open(&home).expect("open store");
    for i in 0..BACKENDS {
        let id = backend_id(i);
        store
            .create_backend(&id, local_config(&format!("/data/{id}"), 0))
            .expect("create");
    }
    store
        .write_metadata(METADATA_KEY, json!({"n": 0}))
        .expect("metadata");

    let mut acked = Acked {
        generations: vec![0; BACKENDS],
        meta: 0,
    };
    let started = Instant::now();
    let (mut acks, mut interrupted, mut cycled_kills) = (0usize, 0usize, 0usize);
    for round in 0..KILLS {
        let delay = Duration::from_millis(rng.u64(1..=40));
        let messages = run_and_kill(&home, &stderr_path, delay);
        let mut cycled_acked = None;
        for message in &messages {
            let mut words = message.split_whitespace();
            let (Some("ack"), Some(what), Some(value)) = (words.next(), words.next(), words.next())
            else {
                panic!("round {round}: unexpected message from the child: {message}");
            };
            let value: u64 = value.parse().expect("number");
            match what {
                "meta" => {
                    assert_eq!(value, acked.meta + 1, "acks come in order");
                    acked.meta = value;
                }
                CYCLED => cycled_acked = Some(value == 1),
                id => {
                    let i: usize = id[1..].parse().expect("backend index");
                    assert_eq!(value, acked.generations[i] + 1, "acks come in order");
                    acked.generations[i] = value;
                }
            }
        }
        acks += messages.len();
        let present = store.backend_exists(CYCLED);
        if cycled_acked.is_some_and(|acked_present| acked_present != present) {
            cycled_kills += 1;
        }
        if check_after_kill(&store, &mut acked, round) {
            interrupted += 1;
        }
    }

    // The index can always be brought back in step with the files.
    let listing = store.reindex().expect("reindex");
    assert!(listing.errors.is_empty());
    let main = support::home::read_json(&store.main_json());
    let index = main["backends"].as_object().expect("index");
    let files: Vec<&str> = listing.backends.iter().map(|b| b.id.as_str()).collect();
    let indexed: Vec<&str> = index.keys().map(String::as_str).collect();
    let mut indexed_sorted = indexed.clone();
    indexed_sorted.sort_unstable();
    assert_eq!(indexed_sorted, files);
    // In step means the same kind and the same enabled flag; `updated` may lag the file (it
    // is never a reason to rewrite main.json, which other processes write too).
    for backend in &listing.backends {
        assert_eq!(index[&backend.id]["type"], backend.kind(), "{}", backend.id);
        assert_eq!(
            index[&backend.id]["enabled"],
            backend.enabled(),
            "{}",
            backend.id
        );
    }

    let temp_files = walkdir::WalkDir::new(&home)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count();
    println!(
        "{KILLS} kills in {:?}: {acks} acknowledged writes, {interrupted} kills landed between a \
         write and its acknowledgement, {cycled_kills} interrupted an add/remove, {temp_files} \
         temp files left by killed writes",
        started.elapsed()
    );
    assert!(
        acks >= KILLS / 4,
        "the child hardly wrote anything before it was killed: {acks} writes in {KILLS} runs"
    );
}
