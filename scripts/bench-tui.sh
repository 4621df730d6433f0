#!/usr/bin/env bash
# The console's budgets (scripts/tui_budget.py): bytes/s, CPU and RSS with 20 live backends next
# to htop, 0 B/s paused and idle, first frame with 100 unreachable backends, key latency while
# 1,000 backends are polled. Installs htop if missing; starts the rclone fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v htop >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq htop; }
cargo build --release --quiet
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export FIXTURE_OK_PORT=$(free_port) FIXTURE_HANG_PORT=$(free_port)
cargo build --release --quiet --example fixture_backends
target/release/examples/fixture_backends --rclone "$FIXTURE_OK_PORT" "$FIXTURE_HANG_PORT" &
fixture=$!
trap 'kill $fixture 2>/dev/null' EXIT
sleep 0.5
IPFS_KIT_TUI=$PWD/target/release/ipfs-kit-tui python3 scripts/tui_budget.py
