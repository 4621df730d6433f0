//! The monitor engine under load: 1,000 backends polled every 10 s, 10% of them hanging, for
//! BENCH_SECS (default 600). Prints CPU %, RSS, store flushes per second, events per second and
//! polls per second. Run through scripts/bench-engine.sh, which starts the fixture server
//! (`examples/fixture_backends.rs --rclone`) in a separate process so that only the engine is
//! measured.

// Test and bench code may panic: a panic there is a failure with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ipfs_kit_tui::monitor::{LiveProber, Monitor, MonitorConfig};
use ipfs_kit_tui::probe::ProbeContext;
use ipfs_kit_tui::store::Store;
use serde_json::json;

mod support;
use support::usage;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs benches without it, as a
    // smoke check that they build, and a ten-minute soak is not a test.
    if !std::env::args().any(|a| a == "--bench") {
        println!("engine_soak: run with scripts/bench-engine.sh (cargo bench); nothing to do under cargo test");
        return;
    }
    let secs = env_u64("BENCH_SECS", 600);
    let backends = env_u64("BENCH_BACKENDS", 1000);
    let interval = env_u64("BENCH_INTERVAL", 10);
    let ok_port = env_u64("FIXTURE_OK_PORT", 0);
    let hang_port = env_u64("FIXTURE_HANG_PORT", 0);
    assert!(
        ok_port > 0 && hang_port > 0,
        "run through scripts/bench-engine.sh (it starts the fixture server)"
    );
    let home = tempfile::tempdir().expect("temp home");
    let store = Store::open(home.path()).expect("open store").0;
    for i in 0..backends {
        let port = if i % 10 == 9 { hang_port } else { ok_port };
        let config = json!({"type": "rclone", "enabled": true, "rc_url": format!("http://127.0.0.1:{port}"),
                            "remote": "bench:", "poll_interval": interval});
        store
            .create_backend(
                &format!("b{i:04}"),
                config.as_object().expect("object").clone(),
            )
            .expect("create");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(env_u64("BENCH_WORKERS", 2) as usize)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let ctx = ProbeContext::new(Duration::from_secs(10)).expect("client");
        let monitor = Monitor::start(store, Arc::new(LiveProber { ctx }), MonitorConfig::default());
        let events = Arc::new(AtomicU64::new(0));
        let mut rx = monitor.subscribe();
        {
            let events = events.clone();
            tokio::spawn(async move {
                while rx.recv().await.is_ok() {
                    events.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // Warm-up: one interval, so every backend has had its first poll.
        tokio::time::sleep(Duration::from_secs(interval)).await;
        let (cpu0, _) = usage();
        let (flushes0, polls0, events0) = (monitor.flushes(), monitor.polls(), events.load(Ordering::Relaxed));
        let started = Instant::now();
        let mut peak_rss = 0;
        while started.elapsed() < Duration::from_secs(secs) {
            tokio::time::sleep(Duration::from_secs(10.min(secs))).await;
            let (_, rss) = usage();
            peak_rss = peak_rss.max(rss);
        }
        let wall = started.elapsed().as_secs_f64();
        let (cpu1, rss) = usage();
        let flushes = (monitor.flushes() - flushes0) as f64 / wall;
        let polls = (monitor.polls() - polls0) as f64 / wall;
        let events = (events.load(Ordering::Relaxed) - events0) as f64 / wall;
        let cpu = (cpu1 - cpu0) / wall * 100.0;
        println!("engine soak: {backends} backends, {interval} s interval, 10% hanging, {wall:.0} s measured");
        println!("  CPU            {cpu:.2} % of one core");
        println!("  RSS            {:.1} MiB (peak {:.1} MiB)", rss as f64 / 1048576.0, peak_rss as f64 / 1048576.0);
        println!("  store flushes  {flushes:.2} per second");
        println!("  events         {events:.1} per second");
        println!("  polls          {polls:.1} per second");
        println!(
            "{}",
            json!({"backends": backends, "interval_secs": interval, "seconds": wall, "cpu_percent": cpu,
                   "rss_bytes": rss, "peak_rss_bytes": peak_rss, "flushes_per_sec": flushes,
                   "events_per_sec": events, "polls_per_sec": polls})
        );
        monitor.shutdown().await;
    });
}
