#!/usr/bin/env bash
# The fleet view's budgets (scripts/fleet_budget.py): bytes/s, CPU and RSS at 120x40 next to
# htop, paused, and the first frame, over a real Prometheus scraping two exporters of 10 live
# backends each. Installs htop and prometheus if missing; starts the rclone fixture.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v htop >/dev/null 2>&1 || need+=(htop)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
cargo build --release --quiet
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export FIXTURE_OK_PORT=$(free_port) FIXTURE_HANG_PORT=$(free_port)
cargo build --release --quiet --example fixture_backends
target/release/examples/fixture_backends --rclone "$FIXTURE_OK_PORT" "$FIXTURE_HANG_PORT" &
fixture=$!
trap 'kill $fixture 2>/dev/null' EXIT
sleep 0.5
IPFS_KIT_TUI=$PWD/target/release/ipfs-kit-tui python3 scripts/fleet_budget.py
