//! The Python library, our command line and our engine writing one home at the same time.
//!
//! `tests/python_library/library_writer.py` behaves as `ipfs_kit_py`'s `MetadataManager` does
//! (main.json loaded once and saved whole from memory, in-place writes with no lock, odd ids,
//! configs without `type`, kinds we do not know). While it runs, this test runs 200 of our
//! commands in sequence and `status --watch 1` (the engine, which writes metadata) the whole
//! time. Two variants:
//!
//! - paced (`python_library_cli_and_engine_at_once_lose_nothing_of_python`): Python runs 200
//!   operations 150 ms apart; our commands add, change and remove our own backends, change
//!   settings, switch Python's backends on and off (odd ids, kinds we do not know, configs
//!   without `type`), and read (list, show of ours and of Python's, settings get, status);
//! - write-heavy (`python_library_saving_often_and_our_quick_writes_lose_nothing_of_python`):
//!   Python runs 400 operations 25 ms apart (it saves main.json every 35 ms or so); our commands
//!   are all quick writes of main.json and backend files (settings set, backend add, set and
//!   remove of ours, `enabled` of Python's), with a listing or show now and then and no status,
//!   so that the two collide as often as they can.
//!
//! Afterwards, in both:
//!
//! - none of our commands failed (a non-zero exit, or an `error:` line on stderr), except one
//!   that found a Python backend gone which Python removed meanwhile; failures are counted by
//!   cause (a torn read of a file Python was writing, a file that kept changing or a writer's
//!   lock, an id or kind rejected, other);
//! - every `.json` file in the home parses (hidden temp files aside);
//! - everything the Python writer's journal expects is there: its settings with their values,
//!   its backends as `backends/ID.json` with their final config and in the index as the library
//!   indexes them, its metadata; and the backends it removed are gone;
//! - our own backend files hold what our commands wrote (Python never touches them);
//! - at least half of our commands started while Python was running.
//!
//! Python losing our settings and index entries is the library's own behaviour (its in-memory
//! copy of main.json is saved whole): counted and printed, not asserted.
//!
//! Ignored for plain `cargo test`; scripts/test.sh runs them (one at a time: they share a lock,
//! as each must have the machine's two cores to itself for its timing), and so does
//! scripts/bench-python-sharing.sh, which prints their summary lines over several runs. They
//! fail, not skip, without python3. The temp directory (home, journal, the writer's and the
//! engine's output) is kept when a test fails, or always with PYTHON_CONCURRENT_KEEP=1.

// Test and bench code may panic: a panic there is a failure with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The one file of the shared test support this binary uses (alone, so that the file can be
// copied beside this one into an older checkout: scripts/bench-python-sharing.sh); `pub` so
// that what this binary does not use is not dead code here: the integration binary uses all of
// it and is where unused code is found.
#[path = "support/home.rs"]
pub mod home;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ipfs_kit_tui::backends::{self, Kind};
use serde_json::{json, Map, Value};

const PY_SEED: u64 = 20_250_728;
const CLI_SEED: u64 = 0x5eed_0c11;
const WRITER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/python_library/library_writer.py"
);

/// How one run is shaped: each side's count and pace, and what our commands are.
struct Variant {
    /// Names the run in the summary line.
    name: &'static str,
    py_ops: usize,
    /// Between the Python writer's operations. The pause changes when its writes land, not
    /// what it writes.
    py_pause_ms: u64,
    cli_commands: usize,
    /// A new library instance (a fresh load of main.json) for every operation, as short-lived
    /// scripts make one. Then the library keeps what others wrote before its load, and a
    /// setting of its own can only be lost to another writer's rewrite: the case the stamp
    /// check before our rename exists for. (A long-lived instance saves its copy from memory
    /// on every change, which puts back anything a rewrite of ours dropped.)
    py_instance_per_op: bool,
    /// Our next command, from the rng, its number, our model and Python's backends now.
    plan: fn(&mut fastrand::Rng, usize, &Ours, &[String]) -> Planned,
}

/// At its default pause (5 ms) the Python writer is done with 200 operations within two
/// seconds, while our first few commands run; our 200 take about 30 s (debug build, 2 cores:
/// the `status --json` among them count the files of every new `local` backend), so it is paced
/// to last about as long (200 x 150 ms).
const PACED: Variant = Variant {
    name: "paced",
    py_ops: 200,
    py_pause_ms: 150,
    cli_commands: 200,
    py_instance_per_op: false,
    plan: next_command,
};

/// Python saves main.json often (400 operations, three in four of them a save of main.json)
/// while our 200 quick writes run back to back. Alone a write of ours takes about 10 ms (debug
/// build); against this writer 15-40 ms, as one that finds main.json changed before its rename
/// starts over (up to 1-3 s for the unluckiest), and 100 ms or more when the machine is busy
/// with other work, disk writes above all (our commands need the CPU and fsync, the writer
/// mostly sleeps). At a 5 ms pause the writer was done in 2.7 s, when only 70-80 of ours had
/// started; at 10 ms in 5-5.5 s (97-153 of ours started); at 20 ms in 11-12 s (66-158 started,
/// the fewer on a busy machine). At 25 ms it lasts 11-15 s (a save of main.json every 35 ms or
/// so), and 124-200 of ours started while it ran in 18 runs, some beside another build's
/// tests; a machine busy enough can still leave fewer than half, and then the test says so.
/// Our side is never slowed down.
const WRITE_HEAVY: Variant = Variant {
    name: "write-heavy",
    py_ops: 400,
    py_pause_ms: 25,
    cli_commands: 200,
    py_instance_per_op: false,
    plan: next_write,
};

/// As `WRITE_HEAVY`, with the library as short-lived scripts use it: one instance per
/// operation, each loading main.json afresh.
const SHORT_LIVED: Variant = Variant {
    name: "short-lived",
    py_ops: 300,
    py_pause_ms: 25,
    cli_commands: 200,
    py_instance_per_op: true,
    plan: next_write,
};

/// The two tests never run at once (the test harness runs tests in parallel threads): each
/// needs the cores for its timing.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Our settings that the commands change, with the range of values used (all valid).
const OUR_SETTINGS: &[(&str, u64, u64)] = &[
    ("refresh_secs", 1, 10),
    ("timeout_secs", 1, 60),
    ("history_hours", 1, 720),
    ("test_ttl_secs", 0, 600),
    ("quota_alert_percent", 50, 100),
];
const LOG_LEVELS: &[&str] = &["debug", "info", "warning", "error"];

fn python3_version() -> String {
    let output = Command::new("python3")
        .arg("--version")
        .output()
        .unwrap_or_else(|e| {
            panic!("python3 is needed for this test (scripts/test.sh runs it): {e}")
        });
    assert!(
        output.status.success(),
        "python3 --version failed: {output:?}"
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// What our side expects to find afterwards, kept as the commands succeed.
#[derive(Default)]
struct Ours {
    /// Live backends and the config each must hold.
    backends: BTreeMap<String, Map<String, Value>>,
    removed: Vec<String>,
    /// The last value each setting was set to.
    settings: BTreeMap<String, Value>,
    /// Python's backends we switched on or off, with the last value we set.
    python_enabled: BTreeMap<String, bool>,
}

/// A command of our plan, and how it changes the model when it succeeds.
enum Effect {
    None,
    Add(String, Map<String, Value>),
    Edit(String, Vec<(String, String)>),
    Remove(String),
    Setting(String, Value),
    /// `backend set` of one of Python's backends: `enabled` only.
    PythonEnabled(String, bool),
}

struct Planned {
    args: Vec<String>,
    effect: Effect,
    /// The Python backend the command reads or changes: Python may remove it meanwhile.
    python_target: Option<String>,
}

/// Ours: the first-run backend and every id our plan makes.
fn is_ours(id: &str) -> bool {
    id == "local" || id.starts_with("seed-") || id.starts_with("ours-")
}

/// The backends Python has now (by their files), sorted.
fn python_ids(home: &Path) -> Vec<String> {
    let mut ids: Vec<String> = fs::read_dir(home.join("backends"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| !name.starts_with('.'))
                .filter_map(|name| name.strip_suffix(".json").map(str::to_string))
                .filter(|id| !is_ours(id))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn plain(args: Vec<String>, effect: Effect) -> Planned {
    Planned {
        args,
        effect,
        python_target: None,
    }
}

fn pick(rng: &mut fastrand::Rng, ids: &[&String]) -> String {
    ids[rng.usize(0..ids.len())].clone()
}

/// `backend add ours-K` (a `local` backend).
fn add_ours(k: usize) -> Planned {
    let id = format!("ours-{k}");
    let sets = vec![("path".to_string(), "/tmp".to_string())];
    let config = backends::new_config(Kind::Local, &sets).expect("valid plan");
    let args = strings(&[
        "backend",
        "add",
        &id,
        "--type",
        "local",
        "--set",
        "path=/tmp",
    ]);
    plain(args, Effect::Add(id, config))
}

/// `backend set ID enabled=…` or `max_files=…` of one of ours.
fn set_ours(rng: &mut fastrand::Rng, id: String) -> Planned {
    let set = if rng.bool() {
        ("enabled".to_string(), rng.bool().to_string())
    } else {
        ("max_files".to_string(), rng.u64(1..1_000_000).to_string())
    };
    let assignment = format!("{}={}", set.0, set.1);
    let args = strings(&["backend", "set", &id, &assignment]);
    plain(args, Effect::Edit(id, vec![set]))
}

/// `backend set ID enabled=…` of one of Python's.
fn set_python_enabled(rng: &mut fastrand::Rng, id: String) -> Planned {
    let enabled = rng.bool();
    let assignment = format!("enabled={enabled}");
    Planned {
        args: strings(&["backend", "set", &id, &assignment]),
        effect: Effect::PythonEnabled(id.clone(), enabled),
        python_target: Some(id),
    }
}

/// `settings set` of one of ours, with a valid value.
fn set_setting(rng: &mut fastrand::Rng) -> Planned {
    let (key, raw, value) = if rng.u32(0..6) == 0 {
        let level = LOG_LEVELS[rng.usize(0..LOG_LEVELS.len())];
        ("log_level", level.to_string(), json!(level.to_uppercase()))
    } else {
        let (key, min, max) = OUR_SETTINGS[rng.usize(0..OUR_SETTINGS.len())];
        let n = rng.u64(min..=max);
        (key, n.to_string(), json!(n))
    };
    let args = strings(&["settings", "set", key, &raw]);
    plain(args, Effect::Setting(key.into(), value))
}

/// `backend remove ID --yes` of one of ours.
fn remove_ours(id: String) -> Planned {
    let args = strings(&["backend", "remove", &id, "--yes"]);
    plain(args, Effect::Remove(id))
}

/// `backend show ID`, plain or `--json`, of one of Python's.
fn show_python(rng: &mut fastrand::Rng, id: String) -> Planned {
    let mut args = strings(&["backend", "show", &id]);
    if rng.bool() {
        args.push("--json".into());
    }
    Planned {
        args,
        effect: Effect::None,
        python_target: Some(id),
    }
}

/// The paced plan's next command: a mix of writes (add, set of ours and of Python's backends,
/// settings set, remove of ours) and reads (list, show of ours and of Python's, settings get,
/// status).
fn next_command(rng: &mut fastrand::Rng, k: usize, ours: &Ours, python: &[String]) -> Planned {
    let live: Vec<&String> = ours.backends.keys().collect();
    let python: Vec<&String> = python.iter().collect();
    match rng.u32(0..100) {
        0..=21 => add_ours(k),
        22..=31 if !live.is_empty() => {
            let id = pick(rng, &live);
            set_ours(rng, id)
        }
        32..=37 if !python.is_empty() => {
            let id = pick(rng, &python);
            set_python_enabled(rng, id)
        }
        38..=51 => set_setting(rng),
        52..=57 if live.len() > 1 => remove_ours(pick(rng, &live)),
        _ => match rng.u32(0..9) {
            0 => plain(strings(&["backend", "list"]), Effect::None),
            1 => plain(strings(&["backend", "list", "--json"]), Effect::None),
            2 if !live.is_empty() => plain(
                strings(&["backend", "show", &pick(rng, &live)]),
                Effect::None,
            ),
            3 if !live.is_empty() => plain(
                strings(&["backend", "show", &pick(rng, &live), "--json"]),
                Effect::None,
            ),
            4 | 5 if !python.is_empty() => {
                let id = pick(rng, &python);
                show_python(rng, id)
            }
            6 => plain(strings(&["settings", "get"]), Effect::None),
            7 => plain(strings(&["settings", "get", "refresh_secs"]), Effect::None),
            _ => plain(strings(&["status", "--json"]), Effect::None),
        },
    }
}

/// The write-heavy plan's next command: a quick write of main.json and backend files (settings
/// set; add, set and remove of ours; `enabled` of Python's), one in twenty a listing or show.
/// No status. Where a write has no target yet (no Python backend, one of ours left), a setting.
fn next_write(rng: &mut fastrand::Rng, k: usize, ours: &Ours, python: &[String]) -> Planned {
    let live: Vec<&String> = ours.backends.keys().collect();
    let python: Vec<&String> = python.iter().collect();
    match rng.u32(0..100) {
        0..=4 => match rng.u32(0..4) {
            0 => plain(strings(&["backend", "list"]), Effect::None),
            1 => plain(strings(&["backend", "list", "--json"]), Effect::None),
            2 if !python.is_empty() => {
                let id = pick(rng, &python);
                show_python(rng, id)
            }
            _ => plain(
                strings(&["backend", "show", &pick(rng, &live), "--json"]),
                Effect::None,
            ),
        },
        5..=19 => add_ours(k),
        20..=34 if !live.is_empty() => {
            let id = pick(rng, &live);
            set_ours(rng, id)
        }
        35..=59 if !python.is_empty() => {
            let id = pick(rng, &python);
            set_python_enabled(rng, id)
        }
        60..=69 if live.len() > 1 => remove_ours(pick(rng, &live)),
        _ => set_setting(rng),
    }
}

fn apply(ours: &mut Ours, effect: Effect) {
    match effect {
        Effect::None => {}
        Effect::Add(id, config) => {
            ours.backends.insert(id, config);
        }
        Effect::Edit(id, sets) => {
            let config = ours.backends.get_mut(&id).expect("edits a live backend");
            for (field, edit) in backends::edits(Kind::Local, config, &sets).expect("valid plan") {
                match edit {
                    Some(value) => config.insert(field, value),
                    None => config.shift_remove(&field),
                };
            }
        }
        Effect::Remove(id) => {
            ours.backends.remove(&id);
            ours.removed.push(id);
        }
        Effect::Setting(key, value) => {
            ours.settings.insert(key, value);
        }
        Effect::PythonEnabled(id, enabled) => {
            ours.python_enabled.insert(id, enabled);
        }
    }
}

/// One of our commands that failed.
struct FailedRun {
    /// Its number in the plan.
    k: usize,
    argv: String,
    code: Option<i32>,
    stderr: String,
    /// The Python backend it read or changed, if any.
    python_target: Option<String>,
}

/// Why one of our commands failed, from what it printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Cause {
    /// A file read while Python was writing it in place: cut short, empty, not JSON.
    Torn,
    /// A file that kept changing under our write, or a writer's lock held too long: we gave up
    /// and changed nothing.
    Busy,
    /// An id or a kind refused (Python's odd ids, configs without `type`, kinds we do not
    /// know): not a matter of timing.
    Rejected,
    Other,
}

impl Cause {
    const ALL: [Cause; 4] = [Cause::Torn, Cause::Busy, Cause::Rejected, Cause::Other];

    fn of(stderr: &str) -> Cause {
        let has = |needles: &[&str]| needles.iter().any(|n| stderr.contains(n));
        if has(&["invalid backend id", "unknown kind", "has no \"type\""]) {
            Cause::Rejected
        } else if has(&[
            "does not parse",
            "EOF while parsing",
            "expected a JSON object",
        ]) {
            Cause::Torn
        } else if has(&["kept changing", "another writer holds"]) {
            Cause::Busy
        } else {
            Cause::Other
        }
    }

    fn label(self) -> &'static str {
        match self {
            Cause::Torn => "torn read",
            Cause::Busy => "busy",
            Cause::Rejected => "id/kind rejected",
            Cause::Other => "other",
        }
    }
}

/// "torn read a, busy b, id/kind rejected c, other d".
fn by_cause(runs: &[&FailedRun]) -> String {
    let counts: Vec<String> = Cause::ALL
        .iter()
        .map(|cause| {
            let n = runs
                .iter()
                .filter(|run| Cause::of(&run.stderr) == *cause)
                .count();
            format!("{} {n}", cause.label())
        })
        .collect();
    counts.join(", ")
}

/// A command failed: a non-zero exit, or an `error:` line (the listing reports files it could
/// not take without failing the command).
fn failed(run: &home::Run) -> bool {
    run.code != Some(0) || run.stderr.lines().any(|l| l.starts_with("error:"))
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes more)", &text[..end], text.len() - end)
}

/// Kills the child if it is still running when dropped (a panic before the end).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn wait_with_deadline(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait child") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn read_object(path: &Path) -> Option<Map<String, Value>> {
    let text = fs::read_to_string(path).ok()?;
    match serde_json::from_str(&text).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// Every `.json` file under the home (hidden temp files aside) that does not parse.
fn unparseable_json(home: &Path) -> Vec<String> {
    home::json_files(home)
        .into_iter()
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .filter_map(|path| {
            let text = match fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => return Some(format!("{}: {e}", path.display())),
            };
            serde_json::from_str::<Value>(&text)
                .err()
                .map(|e| format!("{}: {e}: {}", path.display(), truncate(&text, 200)))
        })
        .collect()
}

#[test]
#[ignore = "needs python3; run by scripts/test.sh"]
fn python_library_cli_and_engine_at_once_lose_nothing_of_python() {
    run_variant(&PACED);
}

#[test]
#[ignore = "needs python3; run by scripts/test.sh"]
fn python_library_saving_often_and_our_quick_writes_lose_nothing_of_python() {
    run_variant(&WRITE_HEAVY);
}

#[test]
#[ignore = "needs python3; run by scripts/test.sh"]
fn short_lived_library_instances_and_our_quick_writes_lose_nothing_of_python() {
    run_variant(&SHORT_LIVED);
}

/// Runs one variant and asserts what the module's header says.
fn run_variant(v: &Variant) {
    // A test that panicked poisons the lock; the next one still runs.
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let tag = format!("python_concurrent[{}]", v.name);
    let python = python3_version();
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    let journal_path = dir.path().join("journal.json");

    // Our first run creates the home (with the first-run `local` backend); then two of ours.
    home::run(&home, &["backend", "list"]).ok();
    let mut ours = Ours::default();
    let local = read_object(&home.join("backends/local.json")).expect("first-run backend");
    ours.backends.insert(
        "local".into(),
        local["config"].as_object().expect("config").clone(),
    );
    for id in ["seed-a", "seed-b"] {
        home::run(
            &home,
            &[
                "backend",
                "add",
                id,
                "--type",
                "local",
                "--set",
                "path=/tmp",
            ],
        )
        .ok();
        let sets = [("path".to_string(), "/tmp".to_string())];
        ours.backends.insert(
            id.into(),
            backends::new_config(Kind::Local, &sets).expect("config"),
        );
    }

    // The engine, the whole time.
    let watch_stderr = dir.path().join("watch.stderr");
    let mut watch = KillOnDrop(
        home::command()
            .arg("--home")
            .arg(&home)
            .args(["status", "--watch", "1"])
            .stdout(Stdio::null())
            .stderr(fs::File::create(&watch_stderr).expect("watch stderr"))
            .spawn()
            .expect("spawn status --watch"),
    );
    // The Python library.
    let writer_stdout = dir.path().join("writer.stdout");
    let writer_stderr = dir.path().join("writer.stderr");
    let mut writer = KillOnDrop(
        Command::new("python3")
            .arg(WRITER)
            .arg("--home")
            .arg(&home)
            .args([
                "--ops",
                &v.py_ops.to_string(),
                "--seed",
                &PY_SEED.to_string(),
            ])
            .args(["--pause-ms", &v.py_pause_ms.to_string()])
            .args(v.py_instance_per_op.then_some("--instance-per-op"))
            .arg("--journal")
            .arg(&journal_path)
            .stdin(Stdio::null())
            .stdout(fs::File::create(&writer_stdout).expect("writer stdout"))
            .stderr(fs::File::create(&writer_stderr).expect("writer stderr"))
            .spawn()
            .expect("spawn python3 library_writer.py"),
    );

    // Our commands, in sequence.
    let started = Instant::now();
    let mut rng = fastrand::Rng::with_seed(CLI_SEED);
    let mut failed_runs: Vec<FailedRun> = Vec::new();
    let mut writes = 0usize;
    // Commands (and writes among them) started while the Python writer was still running.
    let mut overlapped = 0usize;
    let mut overlapped_writes = 0usize;
    let mut slowest = (Duration::ZERO, String::new());
    for k in 0..v.cli_commands {
        let planned = (v.plan)(&mut rng, k, &ours, &python_ids(&home));
        let write = !matches!(planned.effect, Effect::None);
        let python_running = matches!(writer.0.try_wait(), Ok(None));
        writes += usize::from(write);
        overlapped += usize::from(python_running);
        overlapped_writes += usize::from(python_running && write);
        let argv: Vec<&str> = planned.args.iter().map(String::as_str).collect();
        let began = Instant::now();
        let run = home::run(&home, &argv);
        if began.elapsed() > slowest.0 {
            slowest = (began.elapsed(), planned.args.join(" "));
        }
        if failed(&run) {
            failed_runs.push(FailedRun {
                k,
                argv: format!("{argv:?}"),
                code: run.code,
                stderr: run.stderr,
                python_target: planned.python_target,
            });
        } else {
            apply(&mut ours, planned.effect);
        }
    }
    let cli_elapsed = started.elapsed();

    let mut problems: Vec<String> = Vec::new();
    match wait_with_deadline(&mut writer.0, Duration::from_secs(120)) {
        Some(status) if status.success() => {}
        Some(status) => problems.push(format!(
            "the Python writer failed ({status:?}):\n{}",
            fs::read_to_string(&writer_stderr).unwrap_or_default()
        )),
        None => problems.push("the Python writer did not finish within 120 s".into()),
    }
    let py_summary = fs::read_to_string(&writer_stdout)
        .unwrap_or_default()
        .trim()
        .to_string();
    let py_stderr = fs::read_to_string(&writer_stderr).unwrap_or_default();

    // The engine must still be running; Ctrl-C stops it (it flushes on the way out).
    let watch_pid = nix::unistd::Pid::from_raw(watch.0.id() as i32);
    match watch.0.try_wait().expect("watch status") {
        Some(status) => problems.push(format!(
            "status --watch exited early ({status:?}):\n{}",
            fs::read_to_string(&watch_stderr).unwrap_or_default()
        )),
        None => {
            nix::sys::signal::kill(watch_pid, nix::sys::signal::Signal::SIGINT).expect("SIGINT");
            match wait_with_deadline(&mut watch.0, Duration::from_secs(15)) {
                Some(status) if status.success() => {}
                Some(status) => problems.push(format!(
                    "status --watch ended with {status:?} on Ctrl-C:\n{}",
                    fs::read_to_string(&watch_stderr).unwrap_or_default()
                )),
                None => {
                    let _ = watch.0.kill();
                    let _ = watch.0.wait();
                    problems.push("status --watch did not stop within 15 s of Ctrl-C".into());
                }
            }
        }
    }
    let watch_stderr_text = fs::read_to_string(&watch_stderr).unwrap_or_default();

    // Every JSON file parses.
    let unparseable = unparseable_json(&home);
    if !unparseable.is_empty() {
        problems.push(format!(
            "{} JSON files do not parse:\n{}",
            unparseable.len(),
            unparseable.join("\n")
        ));
    }

    let Some(journal) = fs::read_to_string(&journal_path)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
    else {
        panic!(
            "the Python writer left no journal; {}",
            problems.join("\n\n")
        );
    };
    // Our commands. One that read or changed a Python backend which Python removed meanwhile
    // fails with "does not exist" (exit 2): a race, not a failure.
    let py_removed: Vec<&str> = journal["removed"]
        .as_array()
        .expect("journal removed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let (raced, failures): (Vec<_>, Vec<_>) = failed_runs.iter().partition(|run| {
        run.python_target
            .as_deref()
            .is_some_and(|id| py_removed.contains(&id))
            && run.code == Some(2)
            && run.stderr.contains("does not exist")
    });
    if !failures.is_empty() {
        let listed: Vec<String> = failures
            .iter()
            .map(|run| {
                format!(
                    "#{} {} exit {:?} ({}):\n{}",
                    run.k,
                    run.argv,
                    run.code,
                    Cause::of(&run.stderr).label(),
                    truncate(run.stderr.trim_end(), 2000)
                )
            })
            .collect();
        problems.push(format!(
            "{} of our {} commands failed ({}):\n{}",
            failures.len(),
            v.cli_commands,
            by_cause(&failures),
            listed.join("\n")
        ));
    }

    let main = read_object(&home.join("config/main.json")).unwrap_or_default();
    let empty = Map::new();
    let settings = main
        .get("global_settings")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let index = main
        .get("backends")
        .and_then(Value::as_object)
        .unwrap_or(&empty);

    // Python's settings, with their values.
    let py_settings = journal["settings"].as_object().expect("journal settings");
    let lost_settings: Vec<String> = py_settings
        .iter()
        .filter(|(key, value)| settings.get(*key) != Some(*value))
        .map(|(key, value)| format!("{key}: want {value}, found {:?}", settings.get(key)))
        .collect();
    if !lost_settings.is_empty() {
        problems.push(format!(
            "{} of {} Python settings are not in main.json with their value:\n{}",
            lost_settings.len(),
            py_settings.len(),
            lost_settings.join("\n")
        ));
    }

    // Python's backends: the file with its final config, the index entry as the library
    // writes it; the removed ones gone. Where we switched one on or off, its last write may be
    // ours: Python's final config with our `enabled`.
    let py_backends = journal["backends"].as_object().expect("journal backends");
    let mut lost_backends = Vec::new();
    let mut lost_py_index = Vec::new();
    for (id, config) in py_backends {
        let config = config.as_object().expect("journal config");
        let mut accepted = vec![config.clone()];
        if let Some(enabled) = ours.python_enabled.get(id) {
            let mut edited = config.clone();
            edited.insert("enabled".into(), json!(enabled));
            accepted.push(edited);
        }
        let path = home.join("backends").join(format!("{id}.json"));
        match read_object(&path) {
            None => lost_backends.push(format!("{id:?}: backends/{id}.json missing or unreadable")),
            Some(doc)
                if doc.get("id") != Some(&json!(id))
                    || !accepted
                        .iter()
                        .any(|want| doc.get("config") == Some(&Value::Object(want.clone()))) =>
            {
                lost_backends.push(format!(
                    "{id:?}: want config {}, found {}",
                    Value::Object(config.clone()),
                    Value::Object(doc)
                ))
            }
            Some(_) => {}
        }
        let want_type = config.get("type").cloned().unwrap_or(json!("unknown"));
        let want_enabled: Vec<Value> = accepted
            .iter()
            .map(|c| c.get("enabled").cloned().unwrap_or(json!(true)))
            .collect();
        match index.get(id) {
            Some(entry)
                if entry["type"] == want_type && want_enabled.contains(&entry["enabled"]) => {}
            other => lost_py_index.push(format!(
                "{id:?}: want type {want_type} enabled {want_enabled:?}, found {other:?}"
            )),
        }
    }
    let removed_back: Vec<String> = journal["removed"]
        .as_array()
        .expect("journal removed")
        .iter()
        .filter_map(Value::as_str)
        .filter(|id| home.join("backends").join(format!("{id}.json")).exists())
        .map(|id| format!("{id:?}: removed by Python, but backends/{id}.json exists"))
        .collect();
    if !lost_backends.is_empty() || !removed_back.is_empty() {
        problems.push(format!(
            "{} of {} Python backends lost, {} removed ones back:\n{}",
            lost_backends.len(),
            py_backends.len(),
            removed_back.len(),
            [lost_backends.clone(), removed_back.clone()]
                .concat()
                .join("\n")
        ));
    }
    if !lost_py_index.is_empty() {
        problems.push(format!(
            "{} of {} Python backends are not in the main.json index as the library indexed \
             them:\n{}",
            lost_py_index.len(),
            py_backends.len(),
            lost_py_index.join("\n")
        ));
    }

    // Python's metadata.
    let py_metadata = journal["metadata"].as_object().expect("journal metadata");
    let lost_metadata: Vec<String> = py_metadata
        .iter()
        .filter(|(key, value)| {
            read_object(&home.join("metadata").join(format!("{key}.json")))
                .and_then(|doc| doc.get("value").cloned())
                .as_ref()
                != Some(*value)
        })
        .map(|(key, _)| key.clone())
        .collect();
    if !lost_metadata.is_empty() {
        problems.push(format!(
            "{} of {} Python metadata keys lost: {lost_metadata:?}",
            lost_metadata.len(),
            py_metadata.len()
        ));
    }

    // Our backend files: only we write them.
    let mut our_files_wrong = Vec::new();
    for (id, config) in &ours.backends {
        match read_object(&home.join("backends").join(format!("{id}.json"))) {
            Some(doc) if doc.get("config") == Some(&Value::Object(config.clone())) => {}
            other => our_files_wrong.push(format!(
                "{id}: want {}, found {other:?}",
                Value::Object(config.clone())
            )),
        }
    }
    for id in &ours.removed {
        if home.join("backends").join(format!("{id}.json")).exists() {
            our_files_wrong.push(format!("{id}: removed, but the file exists"));
        }
    }
    if !our_files_wrong.is_empty() {
        problems.push(format!(
            "{} of our backend files are not as our commands left them:\n{}",
            our_files_wrong.len(),
            our_files_wrong.join("\n")
        ));
    }

    // Ours lost to Python's in-memory save: the library's behaviour, counted only.
    let our_settings_lost = ours
        .settings
        .iter()
        .filter(|(key, value)| settings.get(*key) != Some(*value))
        .count();
    let our_index_lost = ours
        .backends
        .iter()
        .filter(|(id, config)| match index.get(*id) {
            Some(entry) => {
                entry["type"] != config["type"]
                    || entry["enabled"] != config.get("enabled").cloned().unwrap_or(json!(true))
            }
            None => true,
        })
        .count();

    eprintln!("{tag}: {python}; python writer: {py_summary}");
    if !py_stderr.trim().is_empty() {
        eprintln!(
            "{tag}: python writer stderr:\n{}",
            truncate(&py_stderr, 4000)
        );
    }
    if !watch_stderr_text.trim().is_empty() {
        eprintln!(
            "{tag}: status --watch stderr:\n{}",
            truncate(&watch_stderr_text, 4000)
        );
    }
    // A run in which the two hardly overlapped tests nothing.
    if overlapped < v.cli_commands / 2 {
        problems.push(format!(
            "only {overlapped} of our {} commands ran while the Python writer did \
             (paced at {} ms between operations): the run did not test concurrency",
            v.cli_commands, v.py_pause_ms
        ));
    }
    let our_removed_back = ours
        .removed
        .iter()
        .filter(|id| index.contains_key(*id))
        .count();
    let py_secs = journal["elapsed_secs"].as_f64().unwrap_or(f64::NAN);
    eprintln!(
        "{tag}: {} commands run ({writes} writes) in {:.1}s \
         (slowest {:.2}s: {}), {} failed ({}; {} more raced with Python's remove_backend), \
         {} of Python's backends switched on or off; {overlapped} of them \
         ({overlapped_writes} writes) while Python ran; \
         Python: {} ops in {py_secs:.1}s ({} ms pause), \
         {} of {} settings lost, {} of {} backends lost, {} removed ones back, \
         {} index entries lost, {} of {} metadata lost; {} JSON files unparseable; \
         ours lost to Python's in-memory save: {} of {} settings, {} of {} index entries, \
         {} of {} removed back in the index",
        v.cli_commands,
        cli_elapsed.as_secs_f64(),
        slowest.0.as_secs_f64(),
        slowest.1,
        failures.len(),
        by_cause(&failures),
        raced.len(),
        ours.python_enabled.len(),
        v.py_ops,
        v.py_pause_ms,
        lost_settings.len(),
        py_settings.len(),
        lost_backends.len(),
        py_backends.len(),
        removed_back.len(),
        lost_py_index.len(),
        lost_metadata.len(),
        py_metadata.len(),
        unparseable.len(),
        our_settings_lost,
        ours.settings.len(),
        our_index_lost,
        ours.backends.len(),
        our_removed_back,
        ours.removed.len(),
    );

    let keep = !problems.is_empty() || std::env::var_os("PYTHON_CONCURRENT_KEEP").is_some();
    let place = if keep {
        format!("kept in {}", dir.keep().display())
    } else {
        "removed".to_string()
    };
    eprintln!("{tag}: temp directory {place}");
    assert!(
        problems.is_empty(),
        "{} problems (temp directory {place}):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}
