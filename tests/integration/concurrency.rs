//! Concurrency: several processes adding and changing backends in one home at the same time.
//! Every write of `config/main.json` is a read-modify-write; without the advisory lock two
//! writers lose each other's index entries. Afterwards the index must hold every backend with
//! the right `type`/`enabled`, and every file the last value its process wrote.
//!
//! The library variant re-executes this test binary as the writers (`concurrent_writer`, an
//! ignored test that does nothing unless `CONCURRENT_CHILD_HOME` is set); the CLI variant runs
//! the real binary from several threads.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use ipfs_kit_tui::backends::{self, Kind};
use ipfs_kit_tui::store::Store;
use serde_json::{json, Map, Value};

use crate::support;

const HOME_ENV: &str = "CONCURRENT_CHILD_HOME";
const INDEX_ENV: &str = "CONCURRENT_CHILD_INDEX";
const PROCESSES: usize = 3;
const OPS_PER_PROCESS: usize = 300;
/// One add in three operations: 100 backends per process.
const BACKENDS_PER_PROCESS: usize = OPS_PER_PROCESS / 3;
const TAG: &str = "@@concurrent ";

/// One operation of a writer's plan, as `FIELD=VALUE` text the way the command line takes it.
#[derive(Clone, Debug)]
enum Op {
    Add {
        id: String,
        sets: Vec<(String, String)>,
    },
    Set {
        id: String,
        sets: Vec<(String, String)>,
    },
}

fn id(prefix: &str, process: usize, i: usize) -> String {
    format!("{prefix}{process}-b{i}")
}

/// The same plan in the writer and in the checker: every third operation adds the next
/// backend, the others change a random earlier one (max_files, enabled, poll_interval).
fn plan(prefix: &str, process: usize, ops: usize) -> Vec<Op> {
    let mut rng = fastrand::Rng::with_seed(0x5eed + process as u64);
    let mut plan = Vec::with_capacity(ops);
    let mut added = 0usize;
    for k in 0..ops {
        if k.is_multiple_of(3) {
            let mut sets = vec![(
                "path".to_string(),
                format!("/data/{}", id(prefix, process, added)),
            )];
            if added.is_multiple_of(4) {
                sets.push(("enabled".into(), "false".into()));
            }
            plan.push(Op::Add {
                id: id(prefix, process, added),
                sets,
            });
            added += 1;
        } else {
            let target = id(prefix, process, rng.usize(0..added));
            let sets = match rng.u8(0..3) {
                0 => vec![("max_files".into(), rng.u64(1..1_000_000).to_string())],
                1 => vec![("enabled".into(), rng.bool().to_string())],
                _ => vec![
                    ("poll_interval".into(), rng.u64(1..3600).to_string()),
                    ("max_files".into(), rng.u64(1..1_000_000).to_string()),
                ],
            };
            plan.push(Op::Set { id: target, sets });
        }
    }
    plan
}

/// The config each backend must end with after `plan` ran: new_config for the add, then
/// every set merged in order.
fn expected_configs(plan: &[Op]) -> BTreeMap<String, Map<String, Value>> {
    let mut configs = BTreeMap::new();
    for op in plan {
        match op {
            Op::Add { id, sets } => {
                let config = backends::new_config(Kind::Local, sets).expect("valid plan");
                configs.insert(id.clone(), config);
            }
            Op::Set { id, sets } => {
                let config: &mut Map<String, Value> = configs.get_mut(id).expect("added first");
                for (field, edit) in backends::edits(Kind::Local, config, sets).expect("valid plan")
                {
                    config.insert(field, edit.expect("plans only set"));
                }
            }
        }
    }
    configs
}

/// The writer: waits for `go` on stdin, then runs its plan through the library exactly as the
/// command line does (schema checks, then the store).
#[test]
#[ignore = "helper process spawned by concurrency; does nothing on its own"]
fn concurrent_writer() {
    let Some(home) = std::env::var_os(HOME_ENV) else {
        return;
    };
    let process: usize = std::env::var(INDEX_ENV)
        .expect("index")
        .parse()
        .expect("index");
    let (store, _) = Store::open(PathBuf::from(home)).expect("writer: open");
    let plan = plan("p", process, OPS_PER_PROCESS);
    let mut out = std::io::stdout().lock();
    writeln!(out, "\n{TAG}ready").expect("write");
    out.flush().expect("flush");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).expect("read go");
    assert_eq!(go.trim(), "go");
    for op in &plan {
        match op {
            Op::Add { id, sets } => {
                let config = backends::new_config(Kind::Local, sets).expect("config");
                store.create_backend(id, config).expect("writer: create");
            }
            Op::Set { id, sets } => {
                let current = store.get_backend(id).expect("writer: read");
                let edits = backends::edits(Kind::Local, current.config(), sets).expect("edits");
                store.update_backend(id, &edits).expect("writer: update");
            }
        }
    }
    writeln!(out, "\n{TAG}done").expect("write");
    out.flush().expect("flush");
}

/// Every file parses; the index holds exactly `expected` with the right type/enabled and the
/// same `updated` as each file; each file's config is the expected one.
fn check_home(home: &Path, expected: &BTreeMap<String, Map<String, Value>>) {
    for path in support::home::json_files(home) {
        support::home::read_json(&path);
    }
    let (store, _) = Store::open(home).expect("open");
    let listing = store.list_backends();
    let errors: Vec<String> = listing.errors.iter().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let files: Vec<&str> = listing.backends.iter().map(|b| b.id.as_str()).collect();
    let wanted: Vec<&str> = expected.keys().map(String::as_str).collect();
    assert_eq!(files, wanted, "backend files");

    let main = support::home::read_json(&store.main_json());
    let index = main["backends"].as_object().expect("index object");
    let mut indexed: Vec<&str> = index.keys().map(String::as_str).collect();
    indexed.sort_unstable();
    let missing: Vec<&&str> = wanted
        .iter()
        .filter(|id| !index.contains_key(**id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} backends missing from the index (lost updates): {missing:?}",
        missing.len(),
        wanted.len()
    );
    assert_eq!(indexed, wanted, "index keys");

    for backend in &listing.backends {
        let want = &expected[&backend.id];
        assert_eq!(
            backend.config(),
            want,
            "backends/{}.json does not hold the last value written",
            backend.id
        );
        let entry = &index[&backend.id];
        assert_eq!(entry["type"], want["type"], "index entry of {}", backend.id);
        assert_eq!(
            entry["enabled"], want["enabled"],
            "index entry of {}",
            backend.id
        );
        assert_eq!(
            entry["updated"], backend.doc["updated"],
            "index entry of {} is not in step with its file",
            backend.id
        );
    }
}

#[test]
fn three_processes_adding_and_setting_at_once_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    Store::open(&home).expect("create home");

    let mut children = Vec::new();
    let mut readers = Vec::new();
    for process in 0..PROCESSES {
        let mut child = Command::new(std::env::current_exe().expect("current exe"))
            .args([
                "--exact",
                "concurrency::concurrent_writer",
                "--nocapture",
                "--include-ignored",
            ])
            .env(HOME_ENV, &home)
            .env(INDEX_ENV, process.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn writer");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        readers.push(thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find(TAG) {
                    let _ = tx.send(line[at + TAG.len()..].trim().to_string());
                }
            }
        }));
        children.push((child, rx));
    }
    // Start them together, so that their writes overlap.
    for (_, rx) in &children {
        let ready = rx.recv_timeout(Duration::from_secs(60));
        assert_eq!(ready.as_deref(), Ok("ready"), "writer did not start");
    }
    for (child, _) in &mut children {
        let mut stdin = child.stdin.take().expect("stdin");
        writeln!(stdin, "go").expect("send go");
    }
    let started = Instant::now();
    for (process, (child, rx)) in children.into_iter().enumerate() {
        let output = child.wait_with_output().expect("wait writer");
        assert!(
            output.status.success(),
            "writer {process} failed ({:?}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        // Everything the writer printed, up to the end of its output (the reader thread ends,
        // and drops its sender, at end of file).
        let said: Vec<String> = rx.iter().collect();
        assert!(
            said.iter().any(|s| s == "done"),
            "writer {process} did not finish its plan: {said:?}"
        );
    }
    for reader in readers {
        reader.join().expect("reader");
    }
    println!(
        "{} operations by {PROCESSES} processes in {:?}",
        PROCESSES * OPS_PER_PROCESS,
        started.elapsed()
    );

    let mut expected = BTreeMap::new();
    for process in 0..PROCESSES {
        expected.extend(expected_configs(&plan("p", process, OPS_PER_PROCESS)));
    }
    assert_eq!(expected.len(), PROCESSES * BACKENDS_PER_PROCESS);
    check_home(&home, &expected);
}

/// The same through the real binary: 3 threads, each running 30 `backend add`/`backend set`.
#[test]
fn three_cli_writers_at_once_lose_nothing() {
    const CLI_OPS: usize = 30;
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    support::home::run(&home, &["backend", "list"]).ok();
    let barrier = Arc::new(Barrier::new(PROCESSES));
    let threads: Vec<_> = (0..PROCESSES)
        .map(|process| {
            let home = home.clone();
            let barrier = barrier.clone();
            thread::spawn(move || {
                barrier.wait();
                for op in plan("c", process, CLI_OPS) {
                    let mut args: Vec<String> = Vec::new();
                    match op {
                        Op::Add { id, sets } => {
                            args.extend(["backend".into(), "add".into(), id]);
                            args.extend(["--type".into(), "local".into()]);
                            for (field, value) in sets {
                                args.push("--set".into());
                                args.push(format!("{field}={value}"));
                            }
                        }
                        Op::Set { id, sets } => {
                            args.extend(["backend".into(), "set".into(), id]);
                            args.extend(sets.into_iter().map(|(f, v)| format!("{f}={v}")));
                        }
                    }
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let run = support::home::run(&home, &args);
                    assert_eq!(run.code, Some(0), "{args:?}: {run:#?}");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("CLI writer thread");
    }

    let mut expected = BTreeMap::new();
    for process in 0..PROCESSES {
        expected.extend(expected_configs(&plan("c", process, CLI_OPS)));
    }
    assert_eq!(expected.len(), PROCESSES * CLI_OPS / 3);
    // The first-run backend is there too, as the first run wrote it.
    let (store, _) = Store::open(&home).expect("open");
    let local = store.get_backend("local").expect("first-run backend");
    expected.insert("local".into(), local.config().clone());
    check_home(&home, &expected);
    assert_eq!(json!(local.config()["path"]), json!(home.to_string_lossy()));
}
