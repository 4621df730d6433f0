//! The integration tests, one test binary: each module is what used to be its own binary under
//! `tests/` (each of which linked the whole crate, so that `cargo test` linked it 29 times).
//! Run one module with `cargo test --test integration -- MODULE::`.
//!
//! Three test files stay binaries of their own, because each needs a process to itself:
//! `tui_render.rs` sets `TZ` for the whole process (every child a test here spawns would inherit
//! it), `tui_e2e.rs` opens pseudo-terminals whose descriptors are inheritable for a moment (a
//! process another test spawned then would hold the console's terminal open), and
//! `python_concurrent.rs` must have the machine's cores to itself for its timing.

// Test code may panic: a panic there is a failure with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../support/mod.rs"]
mod support;

mod alert_hooks;
mod availability;
mod backup;
mod bad_input;
mod cli_basics;
mod cli_watch;
mod concurrency;
mod config_samples;
mod console_config;
mod crash_consistency;
mod edges;
mod filecoin;
mod fixture_backends;
mod fleet;
mod garage;
mod http_client;
mod huggingface;
mod ipfs_cluster;
mod jsipfs;
mod kubo;
mod local_probe;
mod maintenance;
mod metrics_cli;
mod monitor;
mod prometheus;
mod python_compat;
mod python_home;
mod rclone;
mod real_servers;
mod s3_faults;
mod secrets;
mod timeline;
