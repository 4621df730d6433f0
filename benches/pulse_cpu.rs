//! CPU per pulse, in this process (a CLI round's numbers are dominated by process start-up):
//! the pulse of a `local` backend over a large tree (BENCH_FILES files, default 100,000) and,
//! for comparison, one inventory run over the same tree. The pulse must not grow with the tree
//! (no walk): the design target is under 1 ms of CPU per pulse for 100,000 files.
//!
//!   cargo bench --bench pulse_cpu            (BENCH_PULSES=20000, BENCH_DIR to reuse a tree)

// Test and bench code may panic: a panic there is a failure with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::Duration;

use ipfs_kit_tui::backends::Kind;
use ipfs_kit_tui::probe::{Budget, ProbeContext};
use serde_json::json;

mod support;
use support::usage;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A tree of `files` small files in directories of 1,000, made once and reused.
fn tree(files: u64) -> PathBuf {
    let root = std::env::var_os("BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("ipfs-kit-tui-pulse-{files}")));
    // The marker sits beside the tree, not in it: the tree holds exactly `files` files.
    let done = root.with_extension("complete");
    if !done.exists() {
        for i in 0..files {
            let dir = root.join(format!("d{:04}", i / 1000));
            std::fs::create_dir_all(&dir).expect("create a directory of the tree");
            std::fs::write(dir.join(format!("f{i}")), b"x").expect("write a file of the tree");
        }
        std::fs::write(&done, b"").expect("mark the tree complete");
    }
    root
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "pulse_cpu: run with cargo bench --bench pulse_cpu; nothing to do under cargo test"
        );
        return;
    }
    let files = env_u64("BENCH_FILES", 100_000);
    let pulses = env_u64("BENCH_PULSES", 20_000);
    let root = tree(files);
    let config = json!({"type": "local", "enabled": true, "path": root.to_string_lossy(),
                        "max_files": files + 1});
    let config = config.as_object().expect("config").clone();
    let ctx = ProbeContext::new(Duration::from_secs(60)).expect("probe context");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let spec = Kind::Local.spec();
    runtime.block_on(async {
        // Warm up the runtime's blocking pool and the filesystem's caches.
        let _ = spec.pulse(&ctx, &config).await;
        let (cpu_before, _) = usage();
        for _ in 0..pulses {
            spec.pulse(&ctx, &config).await.expect("pulse");
        }
        let (cpu_after, rss) = usage();
        let per_pulse_ms = (cpu_after - cpu_before) * 1000.0 / pulses as f64;
        let budget = Budget::new(Duration::from_secs(600), 1);
        let (inv_before, _) = usage();
        let run = spec
            .inventory(&ctx, &config, None, &budget)
            .await
            .expect("inventory");
        let (inv_after, _) = usage();
        println!(
            "{}",
            json!({"files": files, "pulses": pulses, "cpu_ms_per_pulse": per_pulse_ms,
                   "inventory_cpu_ms": (inv_after - inv_before) * 1000.0,
                   "inventory_files": run.figures.files.count, "rss_bytes": rss})
        );
    });
}
