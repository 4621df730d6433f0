#!/usr/bin/env bash
# Runs the engine soak benchmark (benches/engine_soak.rs): 1,000 backends, 10 s interval, 10%
# hanging, for BENCH_SECS (default 600) against a fixture server in its own process.
set -euo pipefail
cd "$(dirname "$0")/.."
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export FIXTURE_OK_PORT=$(free_port) FIXTURE_HANG_PORT=$(free_port)
cargo build --release --quiet --example fixture_backends
target/release/examples/fixture_backends --rclone "$FIXTURE_OK_PORT" "$FIXTURE_HANG_PORT" &
fixture=$!
trap 'kill $fixture 2>/dev/null' EXIT
sleep 0.5
cargo bench --bench engine_soak
